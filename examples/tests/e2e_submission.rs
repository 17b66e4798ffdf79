//! The submission (587 role) and submissions (465 role) listeners end to end, against
//! clients nobody here wrote: Python's smtplib, swaks and curl. Messages go through the
//! queue and the delivery agent into the users' Maildirs, where they are compared byte
//! for byte with what was sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use base64::Engine;
use frontend::{
    peer, python, run_peer, split_trace, test_config, tricky_body, wait_for_messages, Raw,
    TestServer, ALICE, BOB,
};
use mailwire_examples::inbound::Role;
use mailwire_mime::header::DateTime;

/// Submits one message with smtplib. Arguments: `starttls|ssl PORT CAFILE USER
/// PASSWORD PLAIN|LOGIN FROM TO[,TO...] MESSAGE-FILE`. Prints one line per step with
/// the server's reply code.
const SUBMIT: &str = r#"
import smtplib, ssl, sys
mode, port, cafile, user, password, mechanism, sender, recipients, path = sys.argv[1:10]
context = ssl.create_default_context(cafile=cafile)
if mode == "ssl":
    client = smtplib.SMTP_SSL("127.0.0.1", int(port), context=context, timeout=30)
else:
    client = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
    client.ehlo("client.example")
    print("before-tls-auth", "auth" in client.esmtp_features)
    client.starttls(context=context)
client.ehlo("client.example")
print("auth-offered", client.esmtp_features.get("auth", "").strip())
client.user, client.password = user, password
if mechanism == "LOGIN":
    code, text = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
else:
    code, text = client.auth("PLAIN", client.auth_plain)
print("auth", code)
print("mail", client.mail(sender)[0])
for recipient in recipients.split(","):
    print("rcpt", client.rcpt(recipient)[0])
code, text = client.data(open(path, "rb").read())
print("data", code, text.decode())
client.quit()
"#;

fn header_lines(lines: &[&str]) -> String {
    lines.iter().map(|line| format!("{line}\r\n")).collect()
}

async fn submit(
    server: &TestServer,
    mode: &str,
    mechanism: &str,
    user: (&str, &str),
    recipients: &str,
    message: &[u8],
) -> String {
    let path = server
        .dir
        .path()
        .join(format!("outgoing-{mode}-{mechanism}.eml"));
    std::fs::write(&path, message).unwrap();
    let port = match mode {
        "ssl" => server.port(Role::Submissions),
        _ => server.port(Role::Submission),
    }
    .to_string();
    let cert = server.cert();
    let (ok, out, err) = python(
        SUBMIT,
        &[
            mode,
            &port,
            cert.to_str().unwrap(),
            user.0,
            user.1,
            mechanism,
            user.0,
            recipients,
            path.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "smtplib failed: {out}\n{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_starttls_auth_delivers_with_date_and_message_id_added() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("starttls", test_config()).await;
    let header = header_lines(&[
        "From: Alice <alice@mailwire.test>",
        "To: Bob <bob@mailwire.test>, alice@mailwire.test",
        "Subject:   submission over STARTTLS  (odd spacing kept)",
    ]);
    let message = format!("{header}\r\n{}", tricky_body());
    let out = submit(
        &server,
        "starttls",
        "PLAIN",
        ALICE,
        "bob@mailwire.test,alice@mailwire.test",
        message.as_bytes(),
    )
    .await;
    assert!(out.contains("before-tls-auth False"), "{out}");
    assert!(out.contains("auth-offered PLAIN LOGIN"), "{out}");
    assert!(out.contains("auth 235"), "{out}");
    assert!(out.contains("data 250 2.0.0 Ok: queued as "), "{out}");

    let bob = wait_for_messages(&server.maildir(BOB.0), 1).await;
    let alice = wait_for_messages(&server.maildir(ALICE.0), 1).await;
    let (bob_trace, bob_rest) = split_trace(&bob[0]);
    let (alice_trace, alice_rest) = split_trace(&alice[0]);
    // Both copies carry the same message: the original with Date and Message-ID added
    // at the end of its header section, every other octet as sent.
    assert_eq!(bob_rest, alice_rest);
    let rest = String::from_utf8(bob_rest).unwrap();
    let (head, body) = rest.split_once("\r\n\r\n").unwrap();
    assert_eq!(format!("{body}"), tricky_body());
    let added = head.strip_prefix(header.trim_end_matches("\r\n")).unwrap();
    let added: Vec<&str> = added.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(added.len(), 2, "{added:?}");
    let date = added[0].strip_prefix("Date: ").unwrap();
    let sent_at = DateTime::parse(date.as_bytes())
        .unwrap()
        .to_unix_timestamp();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - sent_at).abs() < 300, "{date}");
    let message_id = added[1].strip_prefix("Message-ID: <").unwrap();
    assert!(message_id.ends_with("@localhost>"), "{message_id}");
    // Trace: Return-Path and Delivered-To from delivery, Received from submission with
    // the RFC 3848 type for TLS and authentication, no `for` with two recipients.
    assert_eq!(bob_trace[0], "Return-Path: <alice@mailwire.test>");
    assert_eq!(bob_trace[1], "Delivered-To: bob@mailwire.test");
    assert_eq!(alice_trace[1], "Delivered-To: alice@mailwire.test");
    let received = &bob_trace[2];
    assert!(
        received.starts_with("Received: from client.example ([127.0.0.1]) by localhost"),
        "{received}"
    );
    assert!(received.contains(" with ESMTPSA (TLSv1_3 "), "{received}");
    assert!(!received.contains(" for "), "{received}");

    // LOGIN works too, for a single recipient (the Received field then names it).
    let message = format!(
        "{}\r\nsecond\r\n",
        header_lines(&["Subject: login", "Date: Thu, 1 Feb 2024 10:00:00 +0000"])
    );
    let out = submit(
        &server,
        "starttls",
        "LOGIN",
        BOB,
        "alice@mailwire.test",
        message.as_bytes(),
    )
    .await;
    assert!(out.contains("auth 235"), "{out}");
    let alice = wait_for_messages(&server.maildir(ALICE.0), 2).await;
    let second = alice
        .iter()
        .find(|m| String::from_utf8_lossy(m).contains("Subject: login"))
        .unwrap();
    let (trace, rest) = split_trace(second);
    assert!(trace[2].contains("for <alice@mailwire.test>"), "{trace:?}");
    let rest = String::from_utf8(rest).unwrap();
    // Date was there: only Message-ID is added.
    assert!(
        rest.starts_with("Subject: login\r\nDate: Thu, 1 Feb 2024 10:00:00 +0000\r\nMessage-ID: <")
    );
    assert!(rest.ends_with("@localhost>\r\n\r\nsecond\r\n"), "{rest}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_implicit_tls_delivers_a_complete_message_unchanged() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("implicit", test_config()).await;
    let message = format!(
        "{}\r\n{}",
        header_lines(&[
            "From: bob@mailwire.test",
            "To: alice@mailwire.test",
            "Date: Thu, 1 Feb 2024 10:00:00 +0000",
            "Message-ID: <kept@client.example>",
            "Subject: implicit TLS",
        ]),
        tricky_body()
    );
    let out = submit(
        &server,
        "ssl",
        "PLAIN",
        BOB,
        "alice@mailwire.test",
        message.as_bytes(),
    )
    .await;
    assert!(out.contains("auth-offered PLAIN LOGIN"), "{out}");
    assert!(out.contains("data 250"), "{out}");
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 1).await;
    let (trace, rest) = split_trace(&delivered[0]);
    assert_eq!(rest, message.as_bytes());
    assert_eq!(trace.len(), 3, "{trace:?}");
    assert!(trace[2].contains(" with ESMTPSA "), "{trace:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_is_neither_offered_nor_accepted_before_starttls() {
    let server = TestServer::start("auth-before-tls", test_config()).await;
    let mut raw = Raw::connect(server.address(Role::Submission)).await;
    assert_eq!(raw.reply().await.code, 220);
    let ehlo = raw.command("EHLO client.example").await;
    assert_eq!(ehlo.code, 250);
    assert!(ehlo.lines.iter().any(|l| l == "STARTTLS"), "{ehlo:?}");
    assert!(
        !ehlo.lines.iter().any(|l| l.starts_with("AUTH")),
        "{ehlo:?}"
    );
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("\0{}\0{}", ALICE.0, ALICE.1));
    let plain = raw.command(&format!("AUTH PLAIN {credentials}")).await;
    assert_eq!(plain.code, 530, "{plain:?}");
    assert!(plain.text().starts_with("5.7.0"), "{plain:?}");
    assert_eq!(raw.command("AUTH LOGIN").await.code, 530);
    // Nor can mail be submitted without authenticating.
    let mail = raw.command("MAIL FROM:<alice@mailwire.test>").await;
    assert_eq!(mail.code, 530, "{mail:?}");
    assert_eq!(raw.command("QUIT").await.code, 221);
    server.stop().await;
}

/// After STARTTLS: MAIL before AUTH, a wrong password, a foreign sender, an unknown
/// local recipient and a remote recipient. Prints `step code` lines.
const POLICY: &str = r#"
import smtplib, ssl, sys
port, cafile, user, password = sys.argv[1:5]
context = ssl.create_default_context(cafile=cafile)
client = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
client.starttls(context=context)
client.ehlo("client.example")
print("mail-unauthenticated", client.mail(user)[0])
client.rset()
try:
    client.login(user, "wrong " + password)
except smtplib.SMTPAuthenticationError as error:
    print("wrong-password", error.smtp_code)
client.login(user, password)
code, text = client.mail("someone-else@mailwire.test")
print("foreign-sender", code, text.decode())
client.rset()
code, text = client.mail("<>")
print("null-sender", code)
client.rset()
print("own-sender", client.mail(user.upper())[0])
code, text = client.rcpt("nobody@mailwire.test")
print("unknown-local", code, text.decode())
print("remote", client.rcpt("friend@elsewhere.example")[0])
print("postmaster", client.rcpt("<Postmaster>")[0])
client.rset()
client.quit()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_must_be_the_user_and_unknown_local_users_are_refused() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("ownership", test_config()).await;
    let port = server.port(Role::Submission).to_string();
    let cert = server.cert();
    let (ok, out, err) = python(POLICY, &[&port, cert.to_str().unwrap(), ALICE.0, ALICE.1]).await;
    assert!(ok, "{out}\n{err}");
    for expected in [
        "mail-unauthenticated 530",
        "wrong-password 535",
        "foreign-sender 553 5.7.1 Sender address not owned by the authenticated user",
        "null-sender 553",
        "own-sender 250",
        "unknown-local 550 5.1.1 User unknown",
        "remote 250",
        "postmaster 250",
    ] {
        assert!(out.lines().any(|l| l == expected), "{expected} in\n{out}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_auth_failures_close_the_session() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("auth-failures", test_config()).await;
    let script = r#"
import smtplib, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
client = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=context, timeout=30)
client.ehlo("client.example")
for attempt in range(3):
    code, text = client.docmd("AUTH", "PLAIN " + __import__("base64").b64encode(b"\0alice@mailwire.test\0guess%d" % attempt).decode())
    print("attempt", code)
try:
    print("after", client.docmd("NOOP")[0])
except smtplib.SMTPServerDisconnected:
    print("after disconnected")
"#;
    let port = server.port(Role::Submissions).to_string();
    let cert = server.cert();
    let (ok, out, err) = python(script, &[&port, cert.to_str().unwrap()]).await;
    assert!(ok, "{out}\n{err}");
    assert_eq!(out.matches("attempt 535").count(), 3, "{out}");
    // The third failure is followed by 421 and the close.
    assert!(
        out.contains("after 421") || out.contains("after disconnected"),
        "{out}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_submits_with_starttls_and_auth() {
    if !peer("swaks") {
        return;
    }
    let server = TestServer::start("swaks", test_config()).await;
    let port = server.port(Role::Submission);
    let cert = server.cert();
    let (ok, out, err) = run_peer(
        "swaks",
        &[
            "--server",
            &format!("127.0.0.1:{port}"),
            "--ehlo",
            "swaks.example",
            "--from",
            ALICE.0,
            "--to",
            BOB.0,
            "--tls",
            "--tls-verify",
            "--tls-ca-path",
            cert.to_str().unwrap(),
            "--tls-sni",
            "localhost",
            "--auth",
            "LOGIN",
            "--auth-user",
            ALICE.0,
            "--auth-password",
            ALICE.1,
            "--pipeline",
            "--header",
            "Subject: from swaks",
            "--body",
            "swaks body line",
        ],
        b"",
    )
    .await;
    assert!(ok, "swaks failed:\n{out}\n{err}");
    assert!(out.contains("<~  250 2.0.0 Ok: queued as"), "{out}");
    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    let (trace, rest) = split_trace(&delivered[0]);
    assert!(
        trace[2].starts_with("Received: from swaks.example"),
        "{trace:?}"
    );
    assert!(trace[2].contains(" with ESMTPSA "), "{trace:?}");
    let rest = String::from_utf8(rest).unwrap();
    assert!(rest.contains("Subject: from swaks\r\n"), "{rest}");
    // swaks ends its body with an empty line of its own.
    assert!(rest.contains("\r\n\r\nswaks body line\r\n"), "{rest}");
    // swaks writes `Message-Id` and `Date`: nothing is added (names match without case).
    assert_eq!(
        rest.to_ascii_lowercase().matches("\r\nmessage-id:").count(),
        1,
        "{rest}"
    );
    assert_eq!(
        rest.to_ascii_lowercase().matches("date:").count(),
        1,
        "{rest}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_submits_over_implicit_tls_and_starttls() {
    if !peer("curl") {
        return;
    }
    let server = TestServer::start("curl", test_config()).await;
    let cert = server.cert();
    let message_path = server.dir.path().join("curl.eml");
    for (url, subject) in [
        (
            format!(
                "smtps://127.0.0.1:{}/curl.example",
                server.port(Role::Submissions)
            ),
            "curl implicit",
        ),
        (
            format!(
                "smtp://127.0.0.1:{}/curl.example",
                server.port(Role::Submission)
            ),
            "curl starttls",
        ),
    ] {
        let message = format!(
            "From: {}\r\nSubject: {subject}\r\n\r\nsent by curl\r\n",
            BOB.0
        );
        std::fs::write(&message_path, &message).unwrap();
        let user = format!("{}:{}", BOB.0, BOB.1);
        let (ok, out, err) = run_peer(
            "curl",
            &[
                "--silent",
                "--show-error",
                "--ssl-reqd",
                "--cacert",
                cert.to_str().unwrap(),
                "--resolve",
                "localhost:0:127.0.0.1",
                &url,
                "--user",
                &user,
                "--mail-from",
                BOB.0,
                "--mail-rcpt",
                ALICE.0,
                "-T",
                message_path.to_str().unwrap(),
            ],
            b"",
        )
        .await;
        assert!(ok, "curl {url} failed:\n{out}\n{err}");
    }
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 2).await;
    for subject in ["curl implicit", "curl starttls"] {
        let message = delivered
            .iter()
            .find(|m| String::from_utf8_lossy(m).contains(subject))
            .unwrap_or_else(|| panic!("{subject} delivered"));
        let (trace, rest) = split_trace(message);
        assert!(
            trace[2].starts_with("Received: from curl.example"),
            "{trace:?}"
        );
        assert!(trace[2].contains(" with ESMTPSA "), "{trace:?}");
        let rest = String::from_utf8(rest).unwrap();
        assert!(rest.starts_with(&format!("From: {}\r\nSubject: {subject}\r\nDate: ", BOB.0)));
        assert!(rest.ends_with("\r\n\r\nsent by curl\r\n"), "{rest}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_section_beyond_the_limits_is_refused_and_the_session_goes_on() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("big-header", test_config()).await;
    // 1001 fields: one more than mailwire-mime's header limit.
    let fields: Vec<String> = (0..1001).map(|n| format!("X-Field-{n}: {n}")).collect();
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    let message = format!("{}\r\nbody\r\n", header_lines(&fields));
    let out = submit(&server, "ssl", "PLAIN", ALICE, BOB.0, message.as_bytes()).await;
    assert!(
        out.contains("data 552 5.3.4 Message header section too large"),
        "{out}"
    );
    // Nothing was queued, and a normal message still passes on a new session.
    assert!(server.running().queue().is_empty());
    let out = submit(
        &server,
        "ssl",
        "LOGIN",
        ALICE,
        BOB.0,
        b"Subject: ok\r\n\r\nfine\r\n",
    )
    .await;
    assert!(out.contains("data 250"), "{out}");
    wait_for_messages(&server.maildir(BOB.0), 1).await;
    server.stop().await;
}
