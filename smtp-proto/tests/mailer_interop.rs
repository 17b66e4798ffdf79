//! The `Mailer` (feature `tls`) against servers nobody here wrote: aiosmtpd with
//! STARTTLS and AUTH (a refused recipient, Bcc, two messages on one pooled connection),
//! and Postfix's smtp-sink (AUTH, PIPELINING, two messages with RSET between them).
//!
//! A missing peer skips loudly, or fails under `MAILWIRE_REQUIRE_PEERS=1`.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/client_peers.rs"]
mod peers;

use std::borrow::Cow;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use mailwire_mime::build::{Message, MessageBuilder};
use mailwire_mime::header::{DateTime, Mailbox};
use mailwire_smtp::mailer::{Authentication, Mailer, MailerError, RecipientOutcome};
use mailwire_smtp::types::{EnhancedStatusCode, ReplyCode};
use peers::{free_port, is_root, peer_present, wait_for_files, wait_for_port, Peer, ScratchDir};

const RECORDER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/common/aiosmtpd_recorder.py"
);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    runtime().block_on(async {
        tokio::time::timeout(Duration::from_secs(60), future)
            .await
            .expect("the test took too long")
    })
}

fn message(subject: &str, to: &[&str], bcc: &[&str]) -> Message {
    let mut builder = MessageBuilder::new()
        .from(Mailbox::new(
            Some(Cow::Borrowed("Alice")),
            "alice@client.test",
        ))
        .subject(subject)
        .date(DateTime::new(2024, 5, 1, 12, 0, 0, 120).unwrap())
        .text("Hello,\r\n.a line with a leading dot\r\nbye\r\n")
        .attachment(
            "data.bin",
            "application/octet-stream",
            vec![0u8, 159, 146, 150],
        );
    for to in to {
        builder = builder.to(Mailbox::new(None, to.to_string()));
    }
    for bcc in bcc {
        builder = builder.bcc(Mailbox::new(None, bcc.to_string()));
    }
    builder
        .build(&mut |buffer: &mut [u8]| buffer.fill(3))
        .unwrap()
}

fn certificate(dir: &Path) -> (String, String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
        certified.cert.pem(),
    )
}

// ----- aiosmtpd -----

fn aiosmtpd_present() -> bool {
    peer_present(
        "aiosmtpd (python3 -m aiosmtpd)",
        Command::new("python3").args(["-c", "import aiosmtpd"]),
    )
}

fn recorded(dir: &Path, count: usize) -> Vec<serde_json::Value> {
    let files = wait_for_files(
        dir,
        count,
        |n| n.ends_with(".json"),
        Duration::from_secs(10),
    );
    assert_eq!(files.len(), count, "{files:?}");
    files
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
}

fn content_of(record: &serde_json::Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(record["content_b64"].as_str().unwrap())
        .unwrap()
}

#[test]
fn aiosmtpd_starttls_auth_bcc_and_a_refused_recipient() {
    if !aiosmtpd_present() {
        return;
    }
    let dir = ScratchDir::new("mailer-aiosmtpd");
    let (cert, key, cert_pem) = certificate(dir.path());
    let port = free_port();
    let child = Command::new("timeout")
        .arg("120")
        .arg("python3")
        .arg(RECORDER)
        .args(["--port", &port.to_string(), "--dir"])
        .arg(dir.path())
        .args(["--tls-cert", &cert, "--tls-key", &key])
        .args(["--auth", "alice:wonderland"])
        .args(["--reject-rcpt", "nobody@mx.test"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Peer(child);
    wait_for_port(port, Duration::from_secs(20));

    let first = message(
        "first",
        &["bob@mx.test", "nobody@mx.test"],
        &["carol@mx.test"],
    );
    let second = message("second", &["bob@mx.test"], &[]);
    let (one, two, opened) = bounded(async {
        let mailer = Mailer::builder("localhost")
            .port(port)
            .ca_pem(cert_pem)
            .hello_name("client.test")
            .authentication(Authentication::password("alice", "wonderland"))
            .reply_timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let one = mailer.send(&first).await.unwrap();
        let two = mailer.send(&second).await.unwrap();
        let opened = mailer.connections_opened();
        mailer.close().await;
        (one, two, opened)
    });
    assert_eq!(opened, 1, "both messages on one connection");
    assert_eq!(one.accepted().count(), 2);
    let refused: Vec<_> = one.rejected().collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].recipient.to_string(), "<nobody@mx.test>");
    assert_eq!(
        refused[0].outcome.code(),
        Some(ReplyCode::MAILBOX_UNAVAILABLE)
    );
    assert_eq!(
        refused[0].outcome.enhanced(),
        EnhancedStatusCode::new(5, 1, 1)
    );
    assert!(matches!(
        one.recipients()[0].outcome,
        RecipientOutcome::Accepted { .. }
    ));
    assert!(two.is_accepted());

    let records = recorded(dir.path(), 2);
    let first_record = records
        .iter()
        .find(|r| content_of(r) == first.to_bytes())
        .expect("the first message, byte for byte");
    assert_eq!(first_record["tls"], true);
    assert_eq!(first_record["authenticated"], true);
    assert_eq!(first_record["mail_from"], "alice@client.test");
    assert_eq!(
        first_record["rcpt_tos"],
        serde_json::json!(["bob@mx.test", "carol@mx.test"])
    );
    let text = String::from_utf8_lossy(&content_of(first_record)).into_owned();
    assert!(!text.contains("carol"), "Bcc left out of the data: {text}");
    assert!(records.iter().any(|r| content_of(r) == second.to_bytes()));
}

#[test]
fn aiosmtpd_without_starttls_gets_nothing() {
    if !aiosmtpd_present() {
        return;
    }
    let dir = ScratchDir::new("mailer-aiosmtpd-plain");
    let (_, _, cert_pem) = certificate(dir.path());
    let port = free_port();
    let child = Command::new("timeout")
        .arg("120")
        .arg("python3")
        .arg(RECORDER)
        .args(["--port", &port.to_string(), "--dir"])
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let _server = Peer(child);
    wait_for_port(port, Duration::from_secs(20));
    let message = message("never", &["bob@mx.test"], &[]);
    let error = bounded(async {
        let mailer = Mailer::builder("localhost")
            .port(port)
            .ca_pem(cert_pem)
            .build()
            .unwrap();
        mailer.send(&message).await.unwrap_err()
    });
    assert!(
        matches!(error, MailerError::StartTlsNotOffered),
        "{error:?}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let stored = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json"))
        })
        .count();
    assert_eq!(stored, 0);
}

// ----- Postfix smtp-sink -----

/// smtp-sink lives in /usr/sbin, which is not always on PATH.
fn smtp_sink_command() -> String {
    let in_sbin = Path::new("/usr/sbin/smtp-sink");
    if in_sbin.exists() {
        in_sbin.to_string_lossy().into_owned()
    } else {
        String::from("smtp-sink")
    }
}

#[test]
fn postfix_smtp_sink_takes_two_messages_on_one_connection() {
    if !peer_present(
        "postfix smtp-sink",
        Command::new("sh").args(["-c", &format!("command -v {}", smtp_sink_command())]),
    ) {
        return;
    }
    let dir = ScratchDir::new("mailer-smtp-sink");
    dir.open_to_all();
    let port = free_port();
    let mut command = Command::new("timeout");
    command.arg("120").arg(smtp_sink_command());
    if is_root() {
        command.args(["-u", "nobody"]);
    }
    command
        .arg("-R")
        .arg(dir.path())
        .args(["-d", "%M%S."])
        .arg(format!("127.0.0.1:{port}"))
        .arg("16")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _sink = Peer(command.spawn().unwrap());
    wait_for_port(port, Duration::from_secs(20));

    // smtp-sink speaks no TLS: the loopback-only plaintext opt-in.
    let (_, _, cert_pem) = certificate(dir.path());
    let first = message("first", &["bob@mx.test", "carol@mx.test"], &[]);
    let second = message("second", &["dave@mx.test"], &["erin@mx.test"]);
    let (one, two, opened) = bounded(async {
        let mailer = Mailer::builder("127.0.0.1")
            .port(port)
            .ca_pem(cert_pem)
            .insecure_plaintext_loopback_only()
            .hello_name("client.test")
            .authentication(Authentication::password("anyone", "anything"))
            .reply_timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let one = mailer.send(&first).await.unwrap();
        let two = mailer.send(&second).await.unwrap();
        let opened = mailer.connections_opened();
        mailer.close().await;
        (one, two, opened)
    });
    assert_eq!(opened, 1);
    assert_eq!(one.accepted().count(), 2);
    assert_eq!(two.accepted().count(), 2);
    let dumps: Vec<String> = wait_for_files(
        dir.path(),
        2,
        |n| !n.starts_with('.') && !n.ends_with(".pem"),
        Duration::from_secs(10),
    )
    .iter()
    .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
    .collect();
    assert_eq!(dumps.len(), 2, "{dumps:?}");
    let second_dump = dumps
        .iter()
        .find(|d| d.contains("Subject: second"))
        .expect("second message");
    assert!(
        second_dump.contains("X-Rcpt-Args: <dave@mx.test>\nX-Rcpt-Args: <erin@mx.test>\n"),
        "{second_dump}"
    );
    assert!(!second_dump.contains("Bcc:"), "{second_dump}");
    let first_dump = dumps
        .iter()
        .find(|d| d.contains("Subject: first"))
        .expect("first message");
    assert!(
        first_dump.contains("X-Helo-Args: client.test\n"),
        "{first_dump}"
    );
    assert!(
        first_dump.contains("X-Mail-Args: <alice@client.test>"),
        "{first_dump}"
    );
    // smtp-sink stores LF line ends and unstuffs the dot.
    assert!(
        first_dump.contains("\n.a line with a leading dot\n"),
        "{first_dump}"
    );
}
