//! The embeddable test server (`mailwire_examples::harness`): it starts, records what it
//! takes (envelope and octets, local and remote recipients), delivers local copies to
//! the Maildir, stands in for the relay, serves TLS from its test CA to Python's smtplib
//! and to a rustls client, waits with a limit, runs side by side with another one, and
//! leaves no folder behind.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::time::Duration;

use frontend::{peer, python, read_messages, split_trace, Raw};
use mailwire_examples::harness::{HarnessError, Role, TestServer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

const WAIT: Duration = Duration::from_secs(20);

/// Sends one message over a plain connection to `address` and returns the reply to the
/// data.
async fn send_plain(address: std::net::SocketAddr, from: &str, to: &[&str], body: &str) -> u16 {
    let mut smtp = Raw::connect(address).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command(&format!("MAIL FROM:<{from}>")).await.code, 250);
    for recipient in to {
        assert_eq!(
            smtp.command(&format!("RCPT TO:<{recipient}>")).await.code,
            250
        );
    }
    assert_eq!(smtp.command("DATA").await.code, 354);
    smtp.send(body.replace("\r\n.", "\r\n..").as_bytes()).await;
    let answer = smtp.command(".").await.code;
    assert_eq!(smtp.command("QUIT").await.code, 221);
    answer
}

#[tokio::test]
async fn the_mx_port_records_envelope_and_octets_and_delivers_to_the_maildir() {
    let server = TestServer::builder()
        .user("alice@mailwire.test", "alice pw")
        .start()
        .await
        .unwrap();
    let body = "Subject: hello\r\nFrom: <bob@example.org>\r\n\r\nline one\r\n.dot line\r\n";
    let code = send_plain(
        server.smtp_address(),
        "bob@example.org",
        &["Alice@mailwire.test"],
        body,
    )
    .await;
    assert_eq!(code, 250);
    // Recorded before the 250 left: no wait needed.
    let received = server.received();
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(message.role, Role::Mx);
    assert_eq!(message.mail_from.as_deref(), Some("bob@example.org"));
    assert_eq!(message.rcpt_to, ["Alice@mailwire.test"]);
    assert_eq!(&message.data[..], body.as_bytes());
    assert!(!message.tls);
    assert_eq!(message.authenticated, None);
    assert!(!message.queue_id.is_empty());
    // The local copy takes its usual way into the Maildir.
    let maildir = server.maildir("alice@mailwire.test");
    let delivered = frontend::wait_for_messages(&maildir, 1).await;
    let (_trace, content) = split_trace(&delivered[0]);
    assert_eq!(content, body.as_bytes());
    assert!(server.relayed().is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn the_mx_port_keeps_the_servers_rules_unless_opened() {
    let server = TestServer::builder()
        .user("alice@mailwire.test", "pw")
        .start()
        .await
        .unwrap();
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command("MAIL FROM:<x@example.org>").await.code, 250);
    assert_eq!(
        smtp.command("RCPT TO:<nobody@mailwire.test>").await.code,
        550
    );
    assert_eq!(
        smtp.command("RCPT TO:<someone@example.com>").await.code,
        554
    );
    drop(smtp);
    server.shutdown().await;

    let open = TestServer::builder()
        .mx_accepts_any_domain(true)
        .start()
        .await
        .unwrap();
    let body = "Subject: to anywhere\r\n\r\nbody\r\n";
    let code = send_plain(
        open.smtp_address(),
        "app@example.org",
        &["customer@example.com", "other@example.net"],
        body,
    )
    .await;
    assert_eq!(code, 250);
    let received = open.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(
        received[0].rcpt_to,
        ["customer@example.com", "other@example.net"]
    );
    // The remote copies reach the stand-in for the relay, with the server's Received.
    let deadline = tokio::time::Instant::now() + WAIT;
    let relayed = loop {
        let relayed = open.relayed();
        let recipients: usize = relayed.iter().map(|m| m.rcpt_to.len()).sum();
        if recipients == 2 {
            break relayed;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "relayed: {relayed:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for copy in &relayed {
        assert_eq!(copy.mail_from.as_deref(), Some("app@example.org"));
        assert_eq!(copy.queue_id, received[0].queue_id);
        let (trace, content) = split_trace(&copy.data);
        assert_eq!(content, body.as_bytes());
        assert!(
            trace[0].starts_with("Received: from client.test"),
            "{trace:?}"
        );
    }
    open.shutdown().await;
}

/// smtplib over STARTTLS on the submission port (`starttls`) or implicit TLS on the
/// submissions port (`ssl`), trusting the CA file, with AUTH. Arguments: MODE PORT CAFILE
/// USER PASSWORD RECIPIENTS(comma separated); the password `-` for no AUTH (MX). The
/// message is built here so its bytes are known.
const SUBMIT: &str = r#"
import smtplib, ssl, sys
mode, port, cafile, user, password, recipients = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)
message = (
    "From: <" + user + ">\r\n"
    "To: <" + recipients + ">\r\n"
    "Subject: from smtplib\r\n"
    "Message-ID: <smtplib-1@client.test>\r\n"
    "Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n"
    "\r\n"
    "Hello over STARTTLS.\r\n"
)
if mode == "ssl":
    smtp = smtplib.SMTP_SSL("localhost", int(port), timeout=20, context=context)
else:
    smtp = smtplib.SMTP("127.0.0.1", int(port), timeout=20)
with smtp:
    smtp.ehlo("client.test")
    if mode != "ssl":
        smtp.starttls(context=context)
        smtp.ehlo("client.test")
    if password != "-":
        smtp.login(user, password)
    refused = smtp.sendmail(user, recipients.split(","), message.encode())
    print("refused", refused)
print("done")
"#;

#[tokio::test]
async fn smtplib_submits_over_starttls_and_implicit_tls_and_uses_mx_starttls_trusting_the_test_ca()
{
    if !peer("python3") {
        return;
    }
    let server = TestServer::builder()
        .user("alice@mailwire.test", "alice's password")
        .user("bob@mailwire.test", "bob pw")
        .start()
        .await
        .unwrap();
    let port = server.submission_address().port().to_string();
    let (ok, out, err) = python(
        SUBMIT,
        &[
            "starttls",
            &port,
            server.ca_file().to_str().unwrap(),
            "alice@mailwire.test",
            "alice's password",
            "bob@mailwire.test,carol@example.com",
        ],
    )
    .await;
    assert!(ok, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("refused {}"), "{out}");
    let received = server.wait_for_messages(1, WAIT).await.unwrap();
    let message = &received[0];
    assert_eq!(message.role, Role::Submission);
    assert!(message.tls);
    assert_eq!(
        message.authenticated.as_deref(),
        Some("alice@mailwire.test")
    );
    assert_eq!(message.mail_from.as_deref(), Some("alice@mailwire.test"));
    assert_eq!(message.rcpt_to, ["bob@mailwire.test", "carol@example.com"]);
    let expected = "From: <alice@mailwire.test>\r\n\
                    To: <bob@mailwire.test,carol@example.com>\r\n\
                    Subject: from smtplib\r\n\
                    Message-ID: <smtplib-1@client.test>\r\n\
                    Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n\
                    \r\n\
                    Hello over STARTTLS.\r\n";
    assert_eq!(String::from_utf8_lossy(&message.data), expected);
    // Bob's copy in his Maildir, carol's at the stand-in for the relay.
    let delivered = frontend::wait_for_messages(&server.maildir("bob@mailwire.test"), 1).await;
    assert_eq!(split_trace(&delivered[0]).1, expected.as_bytes());
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.relayed().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "nothing relayed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.relayed()[0].rcpt_to, ["carol@example.com"]);

    // The same over implicit TLS, by name (localhost) this time.
    let port = server.submissions_address().port().to_string();
    let (ok, out, err) = python(
        SUBMIT,
        &[
            "ssl",
            &port,
            server.ca_file().to_str().unwrap(),
            "bob@mailwire.test",
            "bob pw",
            "alice@mailwire.test",
        ],
    )
    .await;
    assert!(ok, "stdout: {out}\nstderr: {err}");
    let received = server.wait_for_messages(2, WAIT).await.unwrap();
    assert_eq!(received[1].role, Role::Submissions);
    assert_eq!(
        received[1].authenticated.as_deref(),
        Some("bob@mailwire.test")
    );
    assert_eq!(received[1].rcpt_to, ["alice@mailwire.test"]);

    // STARTTLS on the MX port, without AUTH.
    let port = server.smtp_address().port().to_string();
    let (ok, out, err) = python(
        SUBMIT,
        &[
            "starttls",
            &port,
            server.ca_file().to_str().unwrap(),
            "someone@example.org",
            "-",
            "alice@mailwire.test",
        ],
    )
    .await;
    assert!(ok, "stdout: {out}\nstderr: {err}");
    let received = server.wait_for_messages(3, WAIT).await.unwrap();
    assert_eq!(received[2].role, Role::Mx);
    assert!(received[2].tls);
    assert_eq!(received[2].authenticated, None);
    assert_eq!(
        received[2].mail_from.as_deref(),
        Some("someone@example.org")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_rustls_client_trusting_the_test_ca_reaches_the_implicit_tls_port() {
    let server = TestServer::start().await.unwrap();
    let connector = TlsConnector::from(server.client_config().unwrap());
    for name in ["localhost", "127.0.0.1"] {
        let tcp = tokio::net::TcpStream::connect(server.submissions_address())
            .await
            .unwrap();
        let tls = connector
            .connect(ServerName::try_from(name).unwrap().to_owned(), tcp)
            .await
            .unwrap();
        let (reader, mut writer) = tokio::io::split(tls);
        let mut reader = BufReader::new(reader);
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("220 "), "{line}");
        writer.write_all(b"QUIT\r\n").await.unwrap();
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("221 "), "{line}");
    }
    // A client that trusts nothing else refuses a certificate from another test CA.
    let other = TestServer::start().await.unwrap();
    let tcp = tokio::net::TcpStream::connect(other.submissions_address())
        .await
        .unwrap();
    let refused = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await;
    assert!(refused.is_err());
    // The DER and PEM forms name the same certificate.
    let der = server.ca_der().as_ref().to_vec();
    let pem_body: String = server
        .ca_pem()
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(pem_body)
            .unwrap(),
        der
    );
    server.shutdown().await;
    other.shutdown().await;
}

#[tokio::test]
async fn waiting_for_more_messages_than_arrive_times_out() {
    let server = TestServer::builder()
        .user("alice@mailwire.test", "pw")
        .start()
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = server
        .wait_for_messages(1, Duration::from_millis(300))
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(
            error,
            HarnessError::Timeout {
                expected: 1,
                received: 0
            }
        ),
        "{error}"
    );
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    // One arrives: waiting for one succeeds, waiting for two still times out.
    let code = send_plain(
        server.smtp_address(),
        "x@example.org",
        &["alice@mailwire.test"],
        "Subject: one\r\n\r\n1\r\n",
    )
    .await;
    assert_eq!(code, 250);
    assert_eq!(server.wait_for_messages(1, WAIT).await.unwrap().len(), 1);
    assert!(matches!(
        server
            .wait_for_messages(2, Duration::from_millis(100))
            .await,
        Err(HarnessError::Timeout {
            expected: 2,
            received: 1
        })
    ));
    // take_received empties the record and the count starts again.
    assert_eq!(server.take_received().len(), 1);
    assert!(server.received().is_empty());
    assert!(server
        .wait_for_messages(1, Duration::from_millis(100))
        .await
        .is_err());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_run_side_by_side_and_each_records_its_own() {
    let (first, second) = tokio::join!(
        TestServer::builder().user("a@mailwire.test", "pw").start(),
        TestServer::builder().user("a@mailwire.test", "pw").start()
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_ne!(first.data_dir(), second.data_dir());
    for role in [Role::Mx, Role::Submission, Role::Submissions] {
        assert_ne!(first.address(role), second.address(role));
    }
    assert_ne!(first.ca_pem(), second.ca_pem());
    let (one, two) = tokio::join!(
        send_plain(
            first.smtp_address(),
            "x@example.org",
            &["a@mailwire.test"],
            "Subject: first\r\n\r\n1\r\n"
        ),
        send_plain(
            second.smtp_address(),
            "y@example.org",
            &["a@mailwire.test"],
            "Subject: second\r\n\r\n2\r\n"
        )
    );
    assert_eq!((one, two), (250, 250));
    let first_received = first.wait_for_messages(1, WAIT).await.unwrap();
    let second_received = second.wait_for_messages(1, WAIT).await.unwrap();
    assert_eq!(first_received.len(), 1);
    assert_eq!(second_received.len(), 1);
    assert_eq!(
        first_received[0].mail_from.as_deref(),
        Some("x@example.org")
    );
    assert_eq!(
        second_received[0].mail_from.as_deref(),
        Some("y@example.org")
    );
    let first_box = frontend::wait_for_messages(&first.maildir("a@mailwire.test"), 1).await;
    let second_box = frontend::wait_for_messages(&second.maildir("a@mailwire.test"), 1).await;
    assert!(split_trace(&first_box[0]).1.ends_with(b"\r\n1\r\n"));
    assert!(split_trace(&second_box[0]).1.ends_with(b"\r\n2\r\n"));
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test]
async fn the_data_folder_goes_on_drop_and_on_shutdown() {
    let server = TestServer::builder()
        .user("alice@mailwire.test", "pw")
        .start()
        .await
        .unwrap();
    let dir = server.data_dir().to_path_buf();
    assert!(dir.join("tls").is_dir());
    assert!(server.ca_file().is_file());
    drop(server);
    assert!(!dir.exists(), "{} left behind", dir.display());

    let server = TestServer::start().await.unwrap();
    let dir = server.data_dir().to_path_buf();
    let address = server.smtp_address();
    server.shutdown().await;
    assert!(!dir.exists(), "{} left behind", dir.display());
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}

#[tokio::test]
async fn users_added_while_running_can_authenticate_and_receive() {
    let server = TestServer::start().await.unwrap();
    server.add_user("dave@mailwire.test", "dave pw").unwrap();
    let code = send_plain(
        server.smtp_address(),
        "x@example.org",
        &["dave@mailwire.test"],
        "Subject: late user\r\n\r\nhi\r\n",
    )
    .await;
    assert_eq!(code, 250);
    let delivered = frontend::wait_for_messages(&server.maildir("dave@mailwire.test"), 1).await;
    assert_eq!(delivered.len(), 1);
    assert!(read_messages(&server.maildir("nobody@mailwire.test")).is_empty());
    // AUTH over implicit TLS with the new password.
    let connector = TlsConnector::from(server.client_config().unwrap());
    let tcp = tokio::net::TcpStream::connect(server.submissions_address())
        .await
        .unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let mut smtp = Raw::over(tls);
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    use base64::Engine;
    let plain = base64::engine::general_purpose::STANDARD.encode("\0dave@mailwire.test\0dave pw");
    assert_eq!(smtp.command(&format!("AUTH PLAIN {plain}")).await.code, 235);
    let wrong = base64::engine::general_purpose::STANDARD.encode("\0dave@mailwire.test\0nope");
    drop(smtp);
    let tcp = tokio::net::TcpStream::connect(server.submissions_address())
        .await
        .unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let mut smtp = Raw::over(tls);
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command(&format!("AUTH PLAIN {wrong}")).await.code, 535);
    server.shutdown().await;
}
