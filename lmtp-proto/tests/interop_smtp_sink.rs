//! Our LMTP client against Postfix's `smtp-sink -L` (an LMTP sink nobody here wrote):
//! LHLO with its bare `250 ` last line, pipelined envelope, one 250 per recipient after
//! the data, the message as the sink dumped it; and the `lmtp-deliver` example against
//! the same sink.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{example_binary, free_port, peer_available, KillOnDrop, TempDir};
use mailwire_lmtp::client::{client_config, DecidedBy, MailEnvelope, RecipientStatus};
use mailwire_lmtp::tokio::LmtpClient;
use mailwire_lmtp::types::{Host, Mailbox};

const MESSAGE: &[u8] = b"From: chris@bar.test\r\nTo: pat@foo.test\r\nSubject: sink\r\n\r\nfirst line\r\n.leading dot\r\n.\r\nlast line\r\n";

fn mailbox(text: &str) -> Mailbox<'static> {
    Mailbox::parse(text).unwrap().into_owned()
}

/// Starts `smtp-sink -L` on a free port of 127.0.0.1, dumping every transaction into
/// `dir`; waits until it accepts connections.
fn start_sink(dir: &TempDir) -> (KillOnDrop, u16) {
    // smtp-sink runs as `nobody` and writes its dumps there.
    assert!(Command::new("chmod")
        .args(["777", dir.0.to_str().unwrap()])
        .status()
        .unwrap()
        .success());
    let port = free_port();
    let child = Command::new("timeout")
        .args(["120", "smtp-sink", "-L", "-u", "nobody", "-R"])
        .arg(&dir.0)
        .args(["-d", "%M%S.", "-c", &format!("127.0.0.1:{port}"), "256"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = KillOnDrop(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (guard, port);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("smtp-sink did not listen on {port}");
}

/// The dumped transactions (each a file), once `count` of them are complete.
fn dumps(dir: &TempDir, count: usize) -> Vec<String> {
    // smtp-sink writes a dump in pieces: a file is complete once it ends in a line end
    // AND reads the same twice in a row.
    let mut previous: Vec<String> = Vec::new();
    for _ in 0..200 {
        let mut found: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect();
        found.sort();
        if found.len() >= count && found.iter().all(|d| d.ends_with('\n')) && found == previous {
            return found;
        }
        previous = found;
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("smtp-sink did not dump {count} messages");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_gets_one_250_per_recipient_from_smtp_sink() {
    if !peer_available("smtp-sink") {
        return;
    }
    let dir = TempDir::new("smtp-sink");
    let (_sink, port) = start_sink(&dir);
    let run = async {
        let hello = Host::new("bar.test").unwrap().into_owned();
        let mut client = LmtpClient::connect_tcp(("127.0.0.1", port), client_config(hello))
            .await
            .unwrap();
        let capabilities = client.capabilities().unwrap().clone();
        assert!(capabilities.has_keyword("PIPELINING"), "{capabilities:?}");
        assert!(capabilities.has_keyword("ENHANCEDSTATUSCODES"));
        let envelope = MailEnvelope::new(mailbox("chris@bar.test"))
            .to(mailbox("pat@foo.test"))
            .to(mailbox("green@foo.test"))
            .to(mailbox("lee@foo.test"));
        let report = client.deliver(envelope, MESSAGE).await.unwrap();
        let results: Vec<(String, RecipientStatus, DecidedBy, u16)> = report
            .recipients
            .iter()
            .map(|r| {
                (
                    r.recipient.to_string(),
                    r.status,
                    r.decided_by,
                    r.code().unwrap().get(),
                )
            })
            .collect();
        assert_eq!(
            results,
            [
                (
                    "<pat@foo.test>".to_string(),
                    RecipientStatus::Accepted,
                    DecidedBy::Delivery,
                    250
                ),
                (
                    "<green@foo.test>".to_string(),
                    RecipientStatus::Accepted,
                    DecidedBy::Delivery,
                    250
                ),
                (
                    "<lee@foo.test>".to_string(),
                    RecipientStatus::Accepted,
                    DecidedBy::Delivery,
                    250
                ),
            ]
        );
        assert!(report.all_delivered());
        // A second transaction on the same session stays in step.
        let envelope = MailEnvelope::new(mailbox("chris@bar.test")).to(mailbox("kim@foo.test"));
        let report = client
            .deliver(envelope, &b"Subject: second\r\n\r\ntwo\r\n"[..])
            .await
            .unwrap();
        assert!(report.all_delivered());
        client.quit().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the session with smtp-sink timed out");
    let dumps = dumps(&dir, 2);
    let first = dumps
        .iter()
        .find(|d| d.contains("Subject: sink"))
        .expect("the first message was dumped");
    assert!(first.contains("X-Client-Proto: LMTP\n"), "{first}");
    for rcpt in ["pat@foo.test", "green@foo.test", "lee@foo.test"] {
        assert!(first.contains(&format!("X-Rcpt-Args: <{rcpt}>")), "{first}");
    }
    // The sink stores LF line ends and ends each dump with an empty line; the content
    // before it is ours, unstuffed.
    let expected = String::from_utf8(MESSAGE.to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    assert!(first.ends_with(&format!("{expected}\n")), "{first}");
}

#[test]
fn the_lmtp_deliver_example_against_smtp_sink() {
    if !peer_available("smtp-sink") {
        return;
    }
    let Some(example) = example_binary() else {
        common::skip_or_fail("the lmtp-deliver example is not built (cargo test builds it)");
        return;
    };
    let dir = TempDir::new("smtp-sink-example");
    let (_sink, port) = start_sink(&dir);
    // A file with LF line ends: the example makes them CRLF. It lives outside the dump
    // folder, so it can never be taken for a dump.
    let input = TempDir::new("smtp-sink-example-input");
    let file = input.0.join("message.eml");
    std::fs::write(&file, "Subject: from the example\n\n.dot\nbody\n").unwrap();
    let output = Command::new("timeout")
        .arg("60")
        .arg(&example)
        .args([
            "--server",
            &format!("127.0.0.1:{port}"),
            "--from",
            "chris@bar.test",
        ])
        .args(["--to", "pat@foo.test", "--to", "<green@foo.test>"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("<pat@foo.test> 250 2."), "{stdout}");
    assert!(lines[1].starts_with("<green@foo.test> 250 2."), "{stdout}");
    let dumps = dumps(&dir, 1);
    let dump = dumps.iter().find(|d| d.contains("Subject:")).unwrap();
    assert!(
        dump.ends_with("Subject: from the example\n\n.dot\nbody\n\n"),
        "{dump}"
    );
}
