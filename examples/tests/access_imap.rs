//! The IMAP listeners end to end, against clients nobody here wrote: Python's imaplib
//! over STARTTLS and implicit TLS, curl, and mailwire-imap's own imap-client example.
//! Messages arrive through the MX listener or LMTP, land in the Maildir, and are read,
//! flagged, moved and expunged over IMAP; what IMAP returns is compared byte for byte
//! with the Maildir file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use frontend::{peer, python, run_peer, test_config, wait_for_messages, TestServer, ALICE, BOB};
use mailwire_examples::access::AccessRole;
use mailwire_examples::delivery::LmtpTarget;
use mailwire_examples::inbound::Role;
use mailwire_examples::queue::{OsSeededRandom, SystemClock};

/// Sends one message to the MX listener. Arguments: `PORT FROM TO FILE`.
const SEND_MX: &str = r#"
import smtplib, sys
port, sender, recipient, path = sys.argv[1:5]
client = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
client.sendmail(sender, [recipient], open(path, "rb").read())
client.quit()
print("sent")
"#;

/// The whole life of one message over imaplib. Arguments: `starttls|ssl PORT CAFILE
/// USER PASSWORD`. Prints one `key value` line per step.
const LIFECYCLE: &str = r#"
import imaplib, ssl, sys, binascii
mode, port, cafile, user, password = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
def out(*words):
    print(*words, flush=True)
if mode == "ssl":
    m = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=context, timeout=30)
else:
    m = imaplib.IMAP4("127.0.0.1", int(port), timeout=30)
    out("caps-before-tls", " ".join(m.capabilities))
    try:
        m.login(user, password)
        out("login-before-tls", "accepted")
    except imaplib.IMAP4.error as error:
        out("login-before-tls", "refused", error)
    m.starttls(ssl_context=context)
out("caps", " ".join(m.capabilities))
out("login", m.login(user, password)[0])
typ, entries = m.list()
out("list", typ)
for entry in entries:
    out("list-entry", entry.decode())
typ, data = m.select("INBOX")
out("select", typ, data[0].decode())
out("search-all", m.search(None, "ALL")[1][0].decode())
out("search-text", m.search(None, "FROM", "alice", "SUBJECT", "lifecycle", "BODY", '"MIDDLE LINE"')[1][0].decode())
out("search-none", m.search(None, "SUBJECT", '"no such subject"')[1][0].decode())
typ, data = m.fetch("1", "(UID RFC822.SIZE BODY.PEEK[])")
out("fetch-meta", data[0][0].decode())
out("body", binascii.hexlify(data[0][1]).decode())
out("flags-after-peek", m.fetch("1", "(FLAGS)")[1][0].decode())
typ, data = m.store("1", "+FLAGS", "(\\Seen)")
out("store", typ, data[0].decode())
out("search-seen", m.search(None, "SEEN")[1][0].decode())
uid = m.uid("SEARCH", "ALL")[1][0].decode()
typ, data = m.uid("MOVE", uid, "Archive")
out("move", typ)
out("copyuid", m.response("COPYUID")[1])
out("inbox-after-move", m.select("INBOX")[1][0].decode())
out("archive", m.select("Archive")[1][0].decode())
typ, data = m.fetch("1", "(FLAGS BODY[])")
out("archive-flags", data[0][0].decode())
out("archive-body", binascii.hexlify(data[0][1]).decode())
out("delete", m.store("1", "+FLAGS.SILENT", "(\\Deleted)")[0])
typ, data = m.expunge()
out("expunge", typ, data)
out("archive-after-expunge", m.select("Archive")[1][0].decode())
out("logout", m.logout()[0])
"#;

/// Parses `key value` lines (a key may repeat).
fn lines(out: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in out.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        map.entry(key.to_string())
            .or_default()
            .push(value.to_string());
    }
    map
}

fn one(map: &BTreeMap<String, Vec<String>>, key: &str) -> String {
    map.get(key)
        .and_then(|values| values.first())
        .unwrap_or_else(|| panic!("no {key} in {map:?}"))
        .clone()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A configuration with the IMAP listeners on free ports.
fn imap_config() -> mailwire_examples::config::Config {
    test_config()
}

/// Delivers `message` to `recipient` through the MX listener and returns the stored
/// Maildir files of the recipient once there are `count`.
async fn deliver(
    server: &TestServer,
    recipient: &str,
    message: &[u8],
    count: usize,
) -> Vec<Vec<u8>> {
    let path = server.dir.path().join(format!("message-{}.eml", count));
    std::fs::write(&path, message).unwrap();
    let port = server.port(Role::Mx).to_string();
    let (ok, out, err) = python(
        SEND_MX,
        &[&port, ALICE.0, recipient, path.to_str().unwrap()],
    )
    .await;
    assert!(ok, "smtplib failed: {out}\n{err}");
    wait_for_messages(&server.maildir(recipient), count).await
}

fn lifecycle_message() -> Vec<u8> {
    b"From: Alice <alice@mailwire.test>\r\n\
To: Bob <bob@mailwire.test>\r\n\
Subject: lifecycle over IMAP\r\n\
Message-ID: <lifecycle@mailwire.test>\r\n\
Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n\
\r\n\
first line\r\n\
the middle line\r\n\
..a line starting with dots\r\n\
last line\r\n"
        .to_vec()
}

async fn lifecycle(mode: &str) {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start(&format!("imap-{mode}"), imap_config()).await;
    let stored = deliver(&server, BOB.0, &lifecycle_message(), 1).await;
    let stored = stored[0].clone();
    assert!(stored.ends_with(&lifecycle_message()));
    let port = match mode {
        "ssl" => server.imap_port(AccessRole::Imaps),
        _ => server.imap_port(AccessRole::Imap),
    }
    .to_string();
    let cert = server.cert();
    let (ok, out, err) = python(
        LIFECYCLE,
        &[mode, &port, cert.to_str().unwrap(), BOB.0, BOB.1],
    )
    .await;
    assert!(ok, "imaplib failed: {out}\n{err}");
    let map = lines(&out);
    if mode == "starttls" {
        let before = one(&map, "caps-before-tls");
        assert!(before.contains("STARTTLS"), "{before}");
        assert!(before.contains("LOGINDISABLED"), "{before}");
        assert!(!before.contains("AUTH=PLAIN"), "{before}");
        let refused = one(&map, "login-before-tls");
        assert!(refused.starts_with("refused"), "{refused}");
        assert!(refused.contains("PRIVACYREQUIRED"), "{refused}");
    }
    let caps = one(&map, "caps");
    for capability in [
        "IMAP4REV1",
        "AUTH=PLAIN",
        "IDLE",
        "UIDPLUS",
        "MOVE",
        "SPECIAL-USE",
        "ESEARCH",
        "LIST-EXTENDED",
        "LIST-STATUS",
        "NAMESPACE",
        "UNSELECT",
        "ID",
        "CONDSTORE",
    ] {
        assert!(
            caps.to_uppercase().contains(capability),
            "{capability} in {caps}"
        );
    }
    assert!(
        !caps.contains("STARTTLS") && !caps.contains("LOGINDISABLED"),
        "{caps}"
    );
    assert_eq!(one(&map, "login"), "OK");
    let entries = map["list-entry"].join("\n");
    for expected in [
        r#"(\HasNoChildren) "/" INBOX"#,
        r#"(\HasNoChildren \Archive) "/" Archive"#,
        r#"(\HasNoChildren \Sent) "/" Sent"#,
        r#"(\HasNoChildren \Drafts) "/" Drafts"#,
        r#"(\HasNoChildren \Trash) "/" Trash"#,
        r#"(\HasNoChildren \Junk) "/" Junk"#,
    ] {
        assert!(entries.contains(expected), "{expected} in {entries}");
    }
    assert_eq!(one(&map, "select"), "OK 1");
    assert_eq!(one(&map, "search-all"), "1");
    assert_eq!(one(&map, "search-text"), "1");
    assert_eq!(one(&map, "search-none"), "");
    let meta = one(&map, "fetch-meta");
    assert!(
        meta.contains(&format!("RFC822.SIZE {}", stored.len())),
        "{meta}"
    );
    // BODY[] is the Maildir file, byte for byte.
    assert_eq!(unhex(&one(&map, "body")), stored);
    let peeked = one(&map, "flags-after-peek");
    assert!(!peeked.contains("\\Seen"), "{peeked}");
    let store = one(&map, "store");
    assert!(
        store.starts_with("OK") && store.contains("\\Seen"),
        "{store}"
    );
    assert_eq!(one(&map, "search-seen"), "1");
    assert_eq!(one(&map, "move"), "OK");
    let copyuid = one(&map, "copyuid");
    assert!(copyuid.contains(" 1 1"), "{copyuid}");
    assert_eq!(one(&map, "inbox-after-move"), "0");
    assert_eq!(one(&map, "archive"), "1");
    assert!(one(&map, "archive-flags").contains("\\Seen"));
    assert_eq!(unhex(&one(&map, "archive-body")), stored);
    assert_eq!(one(&map, "delete"), "OK");
    assert_eq!(one(&map, "expunge"), "OK [b'1']");
    assert_eq!(one(&map, "archive-after-expunge"), "0");
    assert_eq!(one(&map, "logout"), "BYE");
    // Nothing is left on disk.
    let archive = server.maildir(BOB.0).join(".Archive");
    for folder in ["new", "cur"] {
        assert_eq!(
            std::fs::read_dir(archive.join(folder)).unwrap().count(),
            0,
            "{folder}"
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_starttls_reads_flags_moves_and_expunges() {
    lifecycle("starttls").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_implicit_tls_reads_flags_moves_and_expunges() {
    lifecycle("ssl").await;
}

/// The LMTP port of the delivery agent.
fn lmtp_port(server: &TestServer) -> String {
    match server.running().lmtp() {
        LmtpTarget::Tcp(address) => address.port().to_string(),
        other => panic!("lmtp is not on tcp: {other:?}"),
    }
}

/// Two sessions on one INBOX and deliveries between them. Arguments: `PORT CAFILE
/// USER PASSWORD LMTP-PORT`.
const TWO_SESSIONS: &str = r#"
import imaplib, smtplib, ssl, sys
port, cafile, user, password, lmtp = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
def out(*words):
    print(*words, flush=True)
def session():
    m = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=context, timeout=30)
    m.login(user, password)
    return m
def deliver(subject):
    client = smtplib.LMTP("127.0.0.1", int(lmtp), timeout=30)
    client.sendmail("alice@mailwire.test", [user], ("Subject: " + subject + "\r\n\r\nbody\r\n").encode())
    client.quit()
a, b = session(), session()
out("a-select", a.select("INBOX")[1][0].decode())
out("b-select", b.select("INBOX")[1][0].decode())
for m in (a, b):
    # SELECT's own EXISTS and RECENT stay in imaplib's store: start afresh.
    m.response("EXISTS")
    m.response("RECENT")
deliver("one")
a.noop()
out("a-exists", a.response("EXISTS")[1], a.response("RECENT")[1])
b.noop()
out("b-exists", b.response("EXISTS")[1], b.response("RECENT")[1])
out("b-store", b.store("1", "+FLAGS", "(\\Flagged)")[0])
a.noop()
out("a-fetch", a.response("FETCH")[1])
deliver("two")
b.store("1", "+FLAGS.SILENT", "(\\Deleted)")
out("b-expunge", b.expunge()[1])
a.noop()
out("a-expunge", a.response("EXPUNGE")[1], a.response("EXISTS")[1])
typ, data = a.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
out("a-subject", data[0][1].decode().strip())
a.logout()
b.logout()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_and_deliveries_see_each_others_changes() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("imap-two", imap_config()).await;
    let port = server.imap_port(AccessRole::Imaps).to_string();
    let cert = server.cert();
    let lmtp = lmtp_port(&server);
    let (ok, out, err) = python(
        TWO_SESSIONS,
        &[&port, cert.to_str().unwrap(), BOB.0, BOB.1, &lmtp],
    )
    .await;
    assert!(ok, "imaplib failed: {out}\n{err}");
    let map = lines(&out);
    assert_eq!(one(&map, "a-select"), "0");
    assert_eq!(one(&map, "b-select"), "0");
    // The first session to see the delivery gets it as \Recent.
    assert_eq!(one(&map, "a-exists"), "[b'1'] [b'1']");
    assert_eq!(one(&map, "b-exists"), "[b'1'] [b'0']");
    assert_eq!(one(&map, "b-store"), "OK");
    let fetch = one(&map, "a-fetch");
    assert!(fetch.contains("FLAGS (\\\\Flagged \\\\Recent)"), "{fetch}");
    assert_eq!(one(&map, "b-expunge"), "[b'1']");
    // Message one went, two came: the other session hears both, in that order.
    assert_eq!(one(&map, "a-expunge"), "[b'1'] [b'1']");
    assert_eq!(one(&map, "a-subject"), "Subject: two");
    server.stop().await;
}

/// IDLE while a message is delivered over LMTP. Arguments: `PORT CAFILE USER
/// PASSWORD LMTP-PORT`.
const IDLE: &str = r#"
import imaplib, smtplib, ssl, sys, time
port, cafile, user, password, lmtp = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
def out(*words):
    print(*words, flush=True)
m = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=context, timeout=30)
m.login(user, password)
out("select", m.select("INBOX")[1][0].decode())
tag = m._new_tag()
m.send(tag + b" IDLE\r\n")
out("continuation", m.readline().decode().strip())
client = smtplib.LMTP("127.0.0.1", int(lmtp), timeout=30)
client.sendmail("alice@mailwire.test", [user], b"Subject: while idling\r\n\r\nhello\r\n")
delivered = time.monotonic()
client.quit()
line = m.readline().decode().strip()
out("elapsed", "%.3f" % (time.monotonic() - delivered))
out("update", line)
m.send(b"DONE\r\n")
while True:
    line = m.readline().decode().strip()
    if line.startswith(tag.decode()):
        out("done", line[len(tag):].strip())
        break
out("logout", m.logout()[0])
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_reports_an_lmtp_delivery_within_a_second() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("imap-idle", imap_config()).await;
    let port = server.imap_port(AccessRole::Imaps).to_string();
    let cert = server.cert();
    let lmtp = lmtp_port(&server);
    let (ok, out, err) = python(IDLE, &[&port, cert.to_str().unwrap(), BOB.0, BOB.1, &lmtp]).await;
    assert!(ok, "imaplib failed: {out}\n{err}");
    let map = lines(&out);
    assert_eq!(one(&map, "select"), "0");
    assert_eq!(one(&map, "continuation"), "+ idling");
    assert_eq!(one(&map, "update"), "* 1 EXISTS");
    let elapsed: f64 = one(&map, "elapsed").parse().unwrap();
    assert!(
        elapsed < 1.0,
        "IDLE reported the delivery after {elapsed} s"
    );
    assert_eq!(one(&map, "done"), "OK IDLE terminated");
    assert_eq!(one(&map, "logout"), "BYE");
    server.stop().await;
}

/// Flags, keywords and what identifies the messages. Arguments: `PORT CAFILE USER
/// PASSWORD set|read`.
const SNAPSHOT: &str = r#"
import imaplib, ssl, sys
port, cafile, user, password, action = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
m = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=context, timeout=30)
m.login(user, password)
m.select("INBOX")
print("uidvalidity", m.response("UIDVALIDITY")[1][0].decode())
if action == "set":
    m.store("1", "+FLAGS", "(\\Flagged $Label1)")
    m.store("2", "+FLAGS", "(\\Seen \\Answered)")
typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
for line in data:
    print("message", line.decode().replace(" \\Recent", "").replace("\\Recent ", "").replace("\\Recent", ""))
typ, data = m.status("INBOX", "(UIDNEXT MESSAGES)")
print("status", data[0].decode())
m.logout()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_uids_flags_and_uidvalidity() {
    if !peer("python3") {
        return;
    }
    let config = imap_config();
    let mut server = TestServer::start("imap-restart", config.clone()).await;
    deliver(&server, BOB.0, b"Subject: first\r\n\r\none\r\n", 1).await;
    deliver(&server, BOB.0, b"Subject: second\r\n\r\ntwo\r\n", 2).await;
    let snapshot = |server: &TestServer, action: &'static str| {
        let port = server.imap_port(AccessRole::Imaps).to_string();
        let cert = server.cert();
        async move {
            let (ok, out, err) = python(
                SNAPSHOT,
                &[&port, cert.to_str().unwrap(), BOB.0, BOB.1, action],
            )
            .await;
            assert!(ok, "imaplib failed: {out}\n{err}");
            out
        }
    };
    let before = snapshot(&server, "set").await;
    assert!(before.contains("FLAGS (\\Flagged $Label1)"), "{before}");
    assert!(before.contains("FLAGS (\\Seen \\Answered)"), "{before}");
    server.running.take().unwrap().shutdown().await;
    let restarted = mailwire_examples::server::start(
        config,
        server.dir.path(),
        Arc::new(SystemClock),
        Arc::new(OsSeededRandom::default()),
    )
    .await
    .unwrap();
    server.running = Some(restarted);
    let after = snapshot(&server, "read").await;
    assert_eq!(before, after);
    assert!(after.contains("UIDNEXT 3 MESSAGES 2"), "{after}");
    server.stop().await;
}

/// A broken session beside a good one. Arguments: `PORT CAFILE USER PASSWORD LIMIT`.
const BROKEN: &str = r#"
import imaplib, socket, ssl, sys
port, cafile, user, password, limit = sys.argv[1:6]
limit = int(limit)
context = ssl.create_default_context(cafile=cafile)
good = imaplib.IMAP4_SSL("127.0.0.1", int(port), ssl_context=context, timeout=30)
good.login(user, password)
raw = context.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=30), server_hostname="127.0.0.1")
reader = raw.makefile("rb")
def out(*words):
    print(*words, flush=True)
def line():
    return reader.readline().decode().rstrip("\r\n")
def until(tag):
    lines = []
    while True:
        got = line()
        lines.append(got)
        if got.startswith(tag + " ") or got.startswith("* BYE"):
            return lines
out("greeting", line()[:4])
raw.sendall(b"a LOGIN " + user.encode() + b" \"" + password.encode() + b"\"\r\n")
out("login", until("a")[-1])
raw.sendall(b"b APPEND INBOX {%d}\r\n" % (limit + 1))
out("oversized", until("b")[-1])
raw.sendall(b"c NOOP\r\n")
out("after-oversized", until("c")[-1])
out("good-noop", good.noop()[0])
raw.sendall(b"\x00\x01\xff garbage\r\n")
out("garbage", line())
raw.sendall(b"d FROBNICATE\r\n")
out("unknown", until("d")[-1])
raw.sendall(b"e FETCH 1 FLAGS\r\n")
out("not-selected", until("e")[-1])
out("good-select", good.select("INBOX")[0])
good.response("EXISTS")
raw.sendall(b"f SELECT INBOX\r\n")
out("select", until("f")[-1])
raw.sendall(b"g FETCH 99 FLAGS\r\n")
out("beyond", until("g")[-1])
raw.sendall(b"h APPEND INBOX (\\Seen) {17}\r\n")
out("continuation", line())
raw.sendall(b"Subject: fits\r\n\r\n\r\n")
out("append", until("h")[-1])
raw.sendall(b"i UID FETCH 1:* (FLAGS BODY[])\r\n")
fetched = until("i")
out("fetched", fetched[0])
out("fetch-done", fetched[-1])
raw.sendall(b"j LOGOUT\r\n")
out("logout", until("j")[-1])
good.noop()
out("good-exists", good.response("EXISTS")[1])
out("good-logout", good.logout()[0])
import base64
def fresh():
    connection = context.wrap_socket(socket.create_connection(("127.0.0.1", int(port)), timeout=30), server_hostname="127.0.0.1")
    lines = connection.makefile("rb")
    lines.readline()
    return connection, lines
def plain(secret):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + secret.encode())
guesser, guesses = fresh()
for attempt in range(3):
    guesser.sendall(b"p%d AUTHENTICATE PLAIN " % attempt + plain("wrong") + b"\r\n")
    out("guess", guesses.readline().decode().rstrip("\r\n"))
out("after-guesses", guesses.readline().decode().rstrip("\r\n"))
sasl, answers = fresh()
sasl.sendall(b"q AUTHENTICATE PLAIN\r\n")
out("sasl-continue", answers.readline().decode().rstrip("\r\n"))
sasl.sendall(plain(password) + b"\r\n")
out("sasl", answers.readline().decode().rstrip("\r\n")[:4])
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_and_oversized_append_are_answered_and_hurt_no_one() {
    if !peer("python3") {
        return;
    }
    let mut config = imap_config();
    config.imaps.max_append_size = 2000;
    let server = TestServer::start("imap-broken", config).await;
    let port = server.imap_port(AccessRole::Imaps).to_string();
    let cert = server.cert();
    let (ok, out, err) = python(
        BROKEN,
        &[&port, cert.to_str().unwrap(), BOB.0, BOB.1, "2000"],
    )
    .await;
    assert!(ok, "python failed: {out}\n{err}");
    let map = lines(&out);
    assert_eq!(one(&map, "greeting"), "* OK");
    assert!(one(&map, "login").starts_with("a OK"));
    // Refused from its announcement: no "+", and the session goes on.
    assert_eq!(one(&map, "oversized"), "b NO [TOOBIG] Message too large");
    assert_eq!(one(&map, "after-oversized"), "c OK NOOP completed");
    assert_eq!(one(&map, "good-noop"), "OK");
    assert!(one(&map, "garbage").starts_with("* BAD"), "{out}");
    assert!(one(&map, "unknown").starts_with("d BAD"), "{out}");
    assert!(one(&map, "not-selected").starts_with("e BAD"), "{out}");
    assert_eq!(one(&map, "good-select"), "OK");
    assert!(
        one(&map, "select").starts_with("f OK [READ-WRITE]"),
        "{out}"
    );
    assert!(one(&map, "beyond").starts_with("g BAD"), "{out}");
    assert_eq!(one(&map, "continuation"), "+ Ready for literal data");
    let append = one(&map, "append");
    assert!(append.starts_with("h OK [APPENDUID "), "{append}");
    let fetched = one(&map, "fetched");
    assert!(
        fetched.starts_with("* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) BODY[] {17}"),
        "{fetched}"
    );
    assert!(one(&map, "fetch-done").starts_with("i OK"), "{out}");
    assert_eq!(
        one(&map, "logout"),
        "* BYE IMAP server terminating connection"
    );
    assert_eq!(one(&map, "good-exists"), "[b'1']");
    assert_eq!(one(&map, "good-logout"), "BYE");
    // AUTHENTICATE PLAIN: three wrong passwords end the session; the right one, sent
    // after the empty challenge, logs in.
    for guess in &map["guess"] {
        assert!(guess.contains("NO [AUTHENTICATIONFAILED]"), "{guess}");
    }
    assert_eq!(
        one(&map, "after-guesses"),
        "* BYE Too many authentication failures"
    );
    assert_eq!(one(&map, "sasl-continue"), "+ ");
    assert_eq!(one(&map, "sasl"), "q OK");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_lists_fetches_and_searches_over_starttls_and_tls() {
    if !peer("curl") || !peer("python3") {
        return;
    }
    let server = TestServer::start("imap-curl", imap_config()).await;
    let stored = deliver(&server, BOB.0, &lifecycle_message(), 1).await[0].clone();
    let cert = server.cert();
    let cert = cert.to_str().unwrap();
    let user = format!("{}:{}", BOB.0, BOB.1);
    let imap = server.imap_port(AccessRole::Imap);
    let imaps = server.imap_port(AccessRole::Imaps);
    let curl = |url: String, extra: Vec<String>| {
        let user = user.clone();
        async move {
            let mut args: Vec<String> = vec![
                "--silent".into(),
                "--show-error".into(),
                "--cacert".into(),
                cert.to_string(),
                "--user".into(),
                user,
                "--max-time".into(),
                "30".into(),
            ];
            args.extend(extra);
            args.push(url);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (ok, out, err) = run_peer("curl", &args, b"").await;
            assert!(ok, "curl failed: {out}\n{err}");
            out
        }
    };
    let listing = curl(
        format!("imap://127.0.0.1:{imap}/"),
        vec!["--ssl-reqd".into()],
    )
    .await;
    assert!(listing.contains("\"/\" INBOX"), "{listing}");
    assert!(listing.contains("\\Archive) \"/\" Archive"), "{listing}");
    let fetched = curl(
        format!("imap://127.0.0.1:{imap}/INBOX;UID=1"),
        vec!["--ssl-reqd".into()],
    )
    .await;
    assert_eq!(fetched.as_bytes(), &stored[..]);
    let searched = curl(
        format!("imaps://127.0.0.1:{imaps}/INBOX?SUBJECT%20lifecycle"),
        Vec::new(),
    )
    .await;
    assert_eq!(searched.trim(), "* SEARCH 1");
    // curl's UID fetch set \Seen.
    let flags = curl(
        format!("imaps://127.0.0.1:{imaps}/INBOX"),
        vec!["--request".into(), "FETCH 1 (FLAGS)".into()],
    )
    .await;
    assert!(flags.contains("FLAGS (\\Seen"), "{flags}");
    server.stop().await;
}

/// The imap-client example of mailwire-imap, built next to this test by `cargo test`
/// of that package (or `cargo build -p mailwire-imap --features tokio --example
/// imap-client`).
fn imap_client_example() -> Option<std::path::PathBuf> {
    let test = std::env::current_exe().ok()?;
    let examples = test.parent()?.parent()?.join("examples");
    let mut found: Vec<std::path::PathBuf> = std::fs::read_dir(examples)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name == "imap-client"
                        || (name.starts_with("imap-client-") && !name.ends_with(".d"))
                })
        })
        .collect();
    found.sort_by_key(|path| {
        std::fs::metadata(path)
            .and_then(|metadata| metadata.modified())
            .ok()
    });
    found.pop()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_imap_client_example_reads_the_mailbox() {
    let Some(example) = imap_client_example() else {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("the imap-client example is not built and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!(
            "SKIPPED: the imap-client example is not built \
             (cargo build -p mailwire-imap --features tokio --example imap-client)"
        );
        return;
    };
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("imap-example", imap_config()).await;
    let stored = deliver(&server, BOB.0, &lifecycle_message(), 1).await[0].clone();
    let cert = server.cert();
    let example = example.to_str().unwrap().to_string();
    let run = |security: &'static str, port: u16, command: Vec<&'static str>| {
        let cert = cert.to_str().unwrap().to_string();
        let example = example.clone();
        async move {
            let server_address = format!("127.0.0.1:{port}");
            let mut args = vec![
                "--server",
                &server_address,
                security,
                "--ca",
                &cert,
                "--user",
                BOB.0,
                "--pass",
                BOB.1,
            ];
            args.extend(command);
            let (ok, out, err) = run_peer(&example, &args, b"").await;
            assert!(ok, "imap-client failed: {out}\n{err}");
            out
        }
    };
    let imap = server.imap_port(AccessRole::Imap);
    let imaps = server.imap_port(AccessRole::Imaps);
    let listing = run("--starttls", imap, vec!["list"]).await;
    assert!(
        listing.contains("INBOX") && listing.contains("Archive"),
        "{listing}"
    );
    let headers = run("--tls", imaps, vec!["headers", "INBOX"]).await;
    assert!(headers.contains("lifecycle over IMAP"), "{headers}");
    let fetched = run("--tls", imaps, vec!["fetch", "INBOX", "1"]).await;
    assert_eq!(fetched.as_bytes(), &stored[..]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_of_the_poll_is_configurable() {
    // The default written to the configuration file is 250 ms, and a smaller value
    // is raised to 10 ms.
    let config = imap_config();
    assert_eq!(config.imap.idle_poll(), Duration::from_millis(250));
    let mut fast = config.imap.clone();
    fast.idle_poll_millis = 1;
    assert_eq!(fast.idle_poll(), Duration::from_millis(10));
}
