//! The POP3 (STLS) and POP3S listeners end to end, against clients nobody here wrote
//! (Python's poplib, curl) and our own pop3-client example: mail delivered over SMTP
//! into the Maildir is listed, retrieved byte for byte, deleted at QUIT (and an IMAP
//! view of the store sees the expunge); a second session gets [IN-USE]; logins before
//! TLS are refused; bad input gets answers and harms no other session.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::path::{Path, PathBuf};
use std::time::Duration;

use frontend::{peer, python, run_peer, test_config, tricky_body, TestServer, ALICE, BOB};
use mailwire_examples::access::AccessRole;
use mailwire_examples::inbound::Role;
use mailwire_examples::mailstore::INBOX;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Sends messages over SMTP to the MX port. Arguments: `PORT TO FILE...`.
const SEND: &str = r#"
import smtplib, sys
port, recipient = sys.argv[1:3]
for path in sys.argv[3:]:
    client = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
    client.sendmail("sender@example.org", [recipient], open(path, "rb").read())
    client.quit()
print("sent")
"#;

/// One poplib session. Arguments: `stls|ssl PORT CAFILE USER PASSWORD OUTDIR DELE`
/// (DELE: comma-separated message numbers to delete, or `-`). Writes each retrieved
/// message to OUTDIR/N.eml and TOP N 0 to OUTDIR/N.top; prints one line a step.
const SESSION: &str = r#"
import poplib, ssl, sys
mode, port, cafile, user, password, outdir, dele = sys.argv[1:8]
context = ssl.create_default_context(cafile=cafile)
if mode == "ssl":
    client = poplib.POP3_SSL("127.0.0.1", int(port), context=context, timeout=30)
else:
    client = poplib.POP3("127.0.0.1", int(port), timeout=30)
    print("capa-before-tls", " ".join(sorted(client.capa().keys())))
    try:
        client.user(user)
        print("user-before-tls accepted")
    except poplib.error_proto as error:
        print("user-before-tls", error.args[0].decode())
    client.stls(context=context)
print("capa", " ".join(sorted(client.capa().keys())))
client.user(user)
print("pass", client.pass_(password).decode())
count, size = client.stat()
print("stat", count, size)
print("list", " ".join(line.decode() for line in client.list()[1]))
print("uidl", " ".join(line.decode() for line in client.uidl()[1]))
for number in range(1, count + 1):
    response, lines, octets = client.retr(number)
    open(f"{outdir}/{number}.eml", "wb").write(b"\r\n".join(lines) + b"\r\n")
    response, lines, octets = client.top(number, 0)
    open(f"{outdir}/{number}.top", "wb").write(b"\r\n".join(lines) + b"\r\n")
if dele != "-":
    for number in dele.split(","):
        print("dele", client.dele(int(number)).decode())
print("quit", client.quit().decode())
"#;

/// The message files of a Maildir (new/ and cur/), by unique name.
fn maildir_files(maildir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            let base = name.split(':').next().unwrap().to_string();
            files.push((base, std::fs::read(entry.path()).unwrap()));
        }
    }
    files.sort();
    files
}

/// Sends `messages` to `to` through the MX listener and waits until the Maildir has
/// `expected` messages.
async fn deliver(server: &TestServer, to: &str, messages: &[String], expected: usize) {
    let mut args = vec![server.port(Role::Mx).to_string(), to.to_string()];
    for (index, message) in messages.iter().enumerate() {
        let path = server.dir.path().join(format!("outgoing-{index}.eml"));
        std::fs::write(&path, message).unwrap();
        args.push(path.to_str().unwrap().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (ok, out, err) = python(SEND, &args).await;
    assert!(ok, "smtplib failed:\n{out}\n{err}");
    let maildir = server.maildir(to);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while maildir_files(&maildir).len() < expected {
        assert!(
            std::time::Instant::now() < deadline,
            "{} messages never arrived",
            expected
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn pop3_port(server: &TestServer, role: AccessRole) -> String {
    server
        .running()
        .access_address(role)
        .unwrap()
        .port()
        .to_string()
}

async fn poplib_session(
    server: &TestServer,
    mode: &str,
    user: (&str, &str),
    outdir: &Path,
    dele: &str,
) -> String {
    std::fs::create_dir_all(outdir).unwrap();
    let role = if mode == "ssl" {
        AccessRole::Pop3s
    } else {
        AccessRole::Pop3
    };
    let port = pop3_port(server, role);
    let cert = server.cert();
    let (ok, out, err) = python(
        SESSION,
        &[
            mode,
            &port,
            cert.to_str().unwrap(),
            user.0,
            user.1,
            outdir.to_str().unwrap(),
            dele,
        ],
    )
    .await;
    assert!(ok, "poplib {mode} failed:\n{out}\n{err}");
    out
}

fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|line| {
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(' '))
                .map(str::trim)
        })
        .unwrap_or_else(|| panic!("no {key:?} line in:\n{out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poplib_lists_retrieves_and_deletes_over_stls_and_pop3s() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("pop3-poplib", test_config()).await;
    let messages = [
        format!(
            "From: a@example.org\r\nSubject: first\r\n\r\n{}",
            tricky_body()
        ),
        String::from("From: b@example.org\r\nSubject: second\r\n\r\nline 1\r\nline 2\r\n"),
    ];
    deliver(&server, BOB.0, &messages, 2).await;
    let maildir = server.maildir(BOB.0);
    let on_disk = maildir_files(&maildir);
    let first_file = on_disk
        .iter()
        .find(|(_, content)| String::from_utf8_lossy(content).contains("Subject: first"))
        .unwrap()
        .clone();
    let second_file = on_disk
        .iter()
        .find(|(_, content)| String::from_utf8_lossy(content).contains("Subject: second"))
        .unwrap()
        .clone();
    // An IMAP-like view of the INBOX, open while POP3 works.
    let mailboxes = server.running().mail_store().user(BOB.0).unwrap();
    let mut view = mailboxes.open(INBOX, false).unwrap();
    assert_eq!(view.messages().len(), 2);

    // STLS: USER refused before TLS, then the whole session.
    let outdir = server.dir.path().join("poplib-stls");
    let out = poplib_session(&server, "stls", BOB, &outdir, "1").await;
    let before = line(&out, "capa-before-tls");
    assert!(before.contains("STLS"), "{out}");
    assert!(
        !before.contains("USER"),
        "USER not offered before TLS: {out}"
    );
    assert!(
        line(&out, "user-before-tls").starts_with("-ERR [AUTH]"),
        "{out}"
    );
    let capa = line(&out, "capa");
    for capability in ["USER", "UIDL", "TOP", "SASL", "PIPELINING", "RESP-CODES"] {
        assert!(capa.contains(capability), "{capability} in {out}");
    }
    assert!(!capa.contains("STLS"), "no STLS under TLS: {out}");
    let total = first_file.1.len() + second_file.1.len();
    assert_eq!(line(&out, "stat"), format!("2 {total}"));
    // Delivery order: the first message sent is number 1.
    let retrieved_1 = std::fs::read(outdir.join("1.eml")).unwrap();
    let retrieved_2 = std::fs::read(outdir.join("2.eml")).unwrap();
    assert_eq!(
        retrieved_1, first_file.1,
        "RETR 1 byte-identical to the Maildir file"
    );
    assert_eq!(retrieved_2, second_file.1, "RETR 2 byte-identical");
    assert!(retrieved_1.ends_with(tricky_body().as_bytes()));
    assert_eq!(
        line(&out, "list"),
        format!("1 {} 2 {}", first_file.1.len(), second_file.1.len())
    );
    assert_eq!(
        line(&out, "uidl"),
        format!("1 {} 2 {}", first_file.0, second_file.0),
        "UIDL = Maildir unique names"
    );
    let top = std::fs::read(outdir.join("2.top")).unwrap();
    let header_end = second_file
        .1
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap();
    assert_eq!(
        top,
        &second_file.1[..header_end + 4],
        "TOP 2 0 = the header"
    );
    assert!(line(&out, "dele").starts_with("+OK"), "{out}");
    assert!(line(&out, "quit").starts_with("+OK"), "{out}");
    // Deleted at QUIT: the file is gone, the other stays; the IMAP view sees it.
    let left = maildir_files(&maildir);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, second_file.0);
    let changes = view.refresh().unwrap();
    assert_eq!(changes.expunged, [1]);

    // POP3S: the same UIDL for the message left; delete it.
    let outdir = server.dir.path().join("poplib-ssl");
    let out = poplib_session(&server, "ssl", BOB, &outdir, "1").await;
    assert_eq!(line(&out, "stat"), format!("1 {}", second_file.1.len()));
    assert_eq!(line(&out, "uidl"), format!("1 {}", second_file.0));
    assert_eq!(std::fs::read(outdir.join("1.eml")).unwrap(), second_file.1);
    assert!(maildir_files(&maildir).is_empty(), "the message is gone");
    assert_eq!(view.refresh().unwrap().expunged, [1]);

    // A session without DELE removes nothing; a wrong password gets -ERR [AUTH].
    deliver(&server, BOB.0, &messages[1..], 1).await;
    let outdir = server.dir.path().join("poplib-keep");
    let out = poplib_session(&server, "ssl", BOB, &outdir, "-").await;
    let kept = maildir_files(&maildir);
    assert_eq!(kept.len(), 1);
    // Retrieved and kept: \Seen for IMAP (in the file name).
    let names: Vec<_> = ["new", "cur"]
        .iter()
        .flat_map(|sub| std::fs::read_dir(maildir.join(sub)).unwrap())
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(
        mailboxes.status(INBOX).unwrap().unseen,
        0,
        "{out}\n{names:?}"
    );
    let changes = view.refresh().unwrap();
    assert_eq!(changes.new_messages, 1);
    assert!(view.messages()[0].has(mailwire_examples::mailstore::Flag::Seen));
    let cert = server.cert();
    let (ok, out, err) = python(
        r#"
import poplib, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
client = poplib.POP3_SSL("127.0.0.1", int(sys.argv[1]), context=context, timeout=30)
client.user(sys.argv[3])
try:
    client.pass_("wrong password")
    print("pass accepted")
except poplib.error_proto as error:
    print("pass", error.args[0].decode())
"#,
        &[
            &pop3_port(&server, AccessRole::Pop3s),
            cert.to_str().unwrap(),
            BOB.0,
        ],
    )
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(line(&out, "pass").starts_with("-ERR [AUTH]"), "{out}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_session_of_the_same_user_gets_in_use() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("pop3-in-use", test_config()).await;
    deliver(
        &server,
        ALICE.0,
        &[String::from("Subject: x\r\n\r\nx\r\n")],
        1,
    )
    .await;
    let cert = server.cert();
    let (ok, out, err) = python(
        r#"
import poplib, ssl, sys, time
port, cafile, user, password, other, other_password = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)
def connect():
    return poplib.POP3_SSL("127.0.0.1", int(port), context=context, timeout=30)
first = connect()
first.user(user)
print("first", first.pass_(password).decode())
second = connect()
second.user(user)
try:
    second.pass_(password)
    print("second accepted")
except poplib.error_proto as error:
    print("second", error.args[0].decode())
# Another user is not affected.
third = connect()
third.user(other)
print("other", third.pass_(other_password).decode())
third.quit()
# The first session marks the message and goes away without QUIT: nothing is removed,
# and the lock goes with the connection.
print("dele", first.dele(1).decode())
first.file.close()
first.sock.close()
for attempt in range(100):
    again = connect()
    again.user(user)
    try:
        print("again", again.pass_(password).decode())
        break
    except poplib.error_proto as error:
        again.close()
        time.sleep(0.05)
print("stat", *again.stat())
again.quit()
"#,
        &[
            &pop3_port(&server, AccessRole::Pop3s),
            cert.to_str().unwrap(),
            ALICE.0,
            ALICE.1,
            BOB.0,
            BOB.1,
        ],
    )
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(line(&out, "first").starts_with("+OK"), "{out}");
    assert!(line(&out, "second").starts_with("-ERR [IN-USE]"), "{out}");
    assert!(line(&out, "other").starts_with("+OK"), "{out}");
    assert!(line(&out, "again").starts_with("+OK"), "{out}");
    assert!(
        line(&out, "stat").starts_with("1 "),
        "no QUIT, nothing removed: {out}"
    );
    let status = server
        .running()
        .mail_store()
        .user(ALICE.0)
        .unwrap()
        .status(INBOX)
        .unwrap();
    assert_eq!(status.messages, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_lists_retrieves_and_deletes_over_pop3_and_pop3s() {
    if !peer("curl") {
        return;
    }
    let server = TestServer::start("pop3-curl", test_config()).await;
    let message = String::from("From: c@example.org\r\nSubject: curl\r\n\r\nfetched by curl\r\n");
    deliver(&server, BOB.0, &[message.clone(), message], 2).await;
    let maildir = server.maildir(BOB.0);
    let files = maildir_files(&maildir);
    let cert = server.cert();
    let user = format!("{}:{}", BOB.0, BOB.1);
    let curl = |url: String, extra: Vec<&'static str>| {
        let cert = cert.clone();
        let user = user.clone();
        async move {
            let mut args = vec![
                "--silent",
                "--show-error",
                "--ssl-reqd",
                "--cacert",
                cert.to_str().unwrap(),
                "--user",
                &user,
            ];
            args.extend(extra);
            args.push(&url);
            let (ok, out, err) = run_peer("curl", &args, b"").await;
            assert!(ok, "curl {url} failed:\n{out}\n{err}");
            out
        }
    };
    let pop3 = pop3_port(&server, AccessRole::Pop3);
    let pop3s = pop3_port(&server, AccessRole::Pop3s);
    // STLS (--ssl-reqd refuses to go on without it): LIST, then RETR.
    let listing = curl(format!("pop3://127.0.0.1:{pop3}/"), vec![]).await;
    assert_eq!(
        listing.replace("\r\n", "\n"),
        format!("1 {}\n2 {}\n", files[0].1.len(), files[1].1.len())
    );
    let retrieved = curl(format!("pop3://127.0.0.1:{pop3}/1"), vec![]).await;
    assert!(retrieved.contains("fetched by curl"), "{retrieved}");
    // POP3S: UIDL through a custom request, then DELE of message 1.
    let uidl = curl(format!("pop3s://127.0.0.1:{pop3s}/"), vec!["-X", "UIDL"]).await;
    let mut ids: Vec<&str> = uidl
        .lines()
        .map(|line| line.split_whitespace().nth(1).unwrap())
        .collect();
    ids.sort_unstable();
    let mut names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(ids, names);
    curl(
        format!("pop3s://127.0.0.1:{pop3s}/1"),
        vec!["-X", "DELE", "-I"],
    )
    .await;
    assert_eq!(maildir_files(&maildir).len(), 1, "DELE applied at QUIT");
    server.stop().await;
}

/// The pop3-client example of mailwire-pop3, built on demand into the shared target
/// folder.
fn pop3_client_example() -> Option<PathBuf> {
    let target = std::env::current_exe()
        .ok()?
        .parent()? // deps
        .parent()? // debug
        .to_path_buf();
    let binary = target.join("examples").join("pop3-client");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| String::from("cargo"));
    let built = std::process::Command::new("timeout")
        .args([
            "600",
            &cargo,
            "build",
            "--quiet",
            "-p",
            "mailwire-pop3",
            "--features",
            "tokio",
        ])
        .args(["--example", "pop3-client"])
        .env("CARGO_TARGET_DIR", target.parent()?)
        .status()
        .ok()?;
    (built.success() && binary.exists()).then_some(binary)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_pop3_client_example_lists_and_retrieves() {
    let Some(example) = tokio::task::spawn_blocking(pop3_client_example)
        .await
        .unwrap()
    else {
        panic!("the pop3-client example did not build");
    };
    let server = TestServer::start("pop3-example", test_config()).await;
    let message = format!("Subject: example\r\n\r\n{}", tricky_body());
    deliver(&server, ALICE.0, &[message], 1).await;
    let files = maildir_files(&server.maildir(ALICE.0));
    let cert = server.cert();
    for (flag, role) in [("--stls", AccessRole::Pop3), ("--tls", AccessRole::Pop3s)] {
        let address = server.running().access_address(role).unwrap().to_string();
        let base = [
            "--server",
            &address,
            flag,
            "--ca",
            cert.to_str().unwrap(),
            "--user",
            ALICE.0,
            "--pass",
            ALICE.1,
        ];
        let run = |action: &'static [&'static str]| {
            let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            args.extend(action.iter().map(|s| s.to_string()));
            let example = example.clone();
            async move {
                let output = tokio::process::Command::new("timeout")
                    .arg("60")
                    .arg(&example)
                    .args(&args)
                    .kill_on_drop(true)
                    .output()
                    .await
                    .unwrap();
                assert!(
                    output.status.success(),
                    "pop3-client {args:?} failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                output.stdout
            }
        };
        let list = String::from_utf8(run(&["list"]).await).unwrap();
        assert!(
            list.contains(&format!("1 {}", files[0].1.len())),
            "{flag} list: {list}"
        );
        let uidl = String::from_utf8(run(&["uidl"]).await).unwrap();
        assert!(uidl.contains(&files[0].0), "{flag} uidl: {uidl}");
        assert_eq!(run(&["retr", "1"]).await, files[0].1, "{flag} retr");
    }
    server.stop().await;
}

/// Reads one line (within 10 s); empty when the connection closed.
async fn read_line(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    let mut line = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), reader.read_line(&mut line))
        .await
        .expect("an answer within 10 s");
    line
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_answers_and_harms_no_other_session() {
    let server = TestServer::start("pop3-bad-input", test_config()).await;
    let address = server.running().access_address(AccessRole::Pop3).unwrap();
    let connect = || async move {
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let (reader, writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        let greeting = read_line(&mut reader).await;
        assert!(greeting.starts_with("+OK"), "{greeting}");
        (reader, writer)
    };
    let (mut bad_reader, mut bad) = connect().await;
    let (mut good_reader, mut good) = connect().await;

    bad.write_all(b"\x00\xff garbage \x01\r\n").await.unwrap();
    assert!(read_line(&mut bad_reader).await.starts_with("-ERR"));
    bad.write_all(&[b'A'; 5000]).await.unwrap();
    bad.write_all(b"\r\n").await.unwrap();
    assert!(read_line(&mut bad_reader).await.starts_with("-ERR"));
    bad.write_all(b"STAT\r\n").await.unwrap();
    assert!(
        read_line(&mut bad_reader).await.starts_with("-ERR"),
        "STAT before login"
    );
    bad.write_all(b"PASS x\r\n").await.unwrap();
    assert!(read_line(&mut bad_reader).await.starts_with("-ERR"));
    bad.write_all(b"AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n")
        .await
        .unwrap();
    assert!(
        read_line(&mut bad_reader).await.starts_with("-ERR [AUTH]"),
        "PLAIN before TLS"
    );

    // The other session is served meanwhile.
    good.write_all(b"CAPA\r\n").await.unwrap();
    assert!(read_line(&mut good_reader).await.starts_with("+OK"));
    let mut capabilities = Vec::new();
    loop {
        let line = read_line(&mut good_reader).await;
        if line == ".\r\n" || line.is_empty() {
            break;
        }
        capabilities.push(line.trim_end().to_string());
    }
    assert!(
        capabilities.contains(&String::from("STLS")),
        "{capabilities:?}"
    );

    // Too many errors close the bad session.
    let mut closed = false;
    for _ in 0..20 {
        if bad.write_all(b"NONSENSE\r\n").await.is_err() {
            closed = true;
            break;
        }
        let line = read_line(&mut bad_reader).await;
        if line.is_empty() {
            closed = true;
            break;
        }
        assert!(line.starts_with("-ERR"), "{line}");
    }
    assert!(closed, "the session closes after too many errors");
    good.write_all(b"NOOP\r\n").await.unwrap();
    assert!(!read_line(&mut good_reader).await.is_empty());
    good.write_all(b"QUIT\r\n").await.unwrap();
    assert!(read_line(&mut good_reader).await.starts_with("+OK"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_plain_with_and_without_initial_response() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("pop3-auth-plain", test_config()).await;
    let cert = server.cert();
    let (ok, out, err) = python(
        r#"
import base64, poplib, ssl, sys
port, cafile, user, password = sys.argv[1:5]
context = ssl.create_default_context(cafile=cafile)
def connect():
    return poplib.POP3_SSL("127.0.0.1", int(port), context=context, timeout=30)
def plain(authzid, authcid, secret):
    return base64.b64encode(f"{authzid}\0{authcid}\0{secret}".encode()).decode()
print("sasl", connect().capa().get("SASL"))
client = connect()
try:
    client._shortcmd("AUTH PLAIN " + plain("", user, "wrong"))
    print("wrong accepted")
except poplib.error_proto as error:
    print("wrong", error.args[0].decode())
try:
    client._shortcmd("AUTH PLAIN " + plain("someone@else.test", user, password))
    print("other-authzid accepted")
except poplib.error_proto as error:
    print("other-authzid", error.args[0].decode())
print("initial", client._shortcmd("AUTH PLAIN " + plain("", user, password)).decode())
print("stat", *client.stat())
client.quit()
client = connect()
client._putcmd("AUTH PLAIN")
print("challenge", client._getline()[0].decode())
print("continued", client._shortcmd(plain(user, user, password)).decode())
client.quit()
"#,
        &[
            &pop3_port(&server, AccessRole::Pop3s),
            cert.to_str().unwrap(),
            ALICE.0,
            ALICE.1,
        ],
    )
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(line(&out, "sasl").contains("PLAIN"), "{out}");
    assert!(line(&out, "wrong").starts_with("-ERR [AUTH]"), "{out}");
    assert!(
        line(&out, "other-authzid").starts_with("-ERR [AUTH]"),
        "{out}"
    );
    assert!(line(&out, "initial").starts_with("+OK"), "{out}");
    assert_eq!(line(&out, "stat"), "0 0");
    assert_eq!(line(&out, "challenge"), "+");
    assert!(line(&out, "continued").starts_with("+OK"), "{out}");
    server.stop().await;
}
