//! The notification the queue sends for a failed recipient reads back as an RFC 3464
//! report with mailwire-mime and with Python's email package.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/backend.rs"]
mod backend;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use backend::{start_time, Script, ScriptedTransport, TempDir};
use mailwire_examples::queue::{
    DsnNotify, DsnReturn, Envelope, EnvelopeRecipient, ManualClock, Queue, QueueConfig,
    SeededRandom, Transport,
};
use mailwire_mime::tree::Message;

/// Queues `content` for a failing and a succeeding recipient (which asked for a success
/// report) and returns the notification that the queue then sends.
async fn notification(content: &[u8], ret: Option<DsnReturn>) -> Vec<u8> {
    let dir = TempDir::new("queue-bounce");
    let clock = ManualClock::new(start_time());
    let queue = Queue::open(
        dir.path(),
        QueueConfig {
            hostname: String::from("mx.mailwire.test"),
            ..QueueConfig::default()
        },
        Arc::new(clock),
        Arc::new(SeededRandom::new(3)),
    )
    .await
    .unwrap();
    let transport = ScriptedTransport::new(|address| {
        if address.starts_with("ghost") {
            Script::Fail
        } else {
            Script::Deliver
        }
    });
    let mut envelope = Envelope::new(
        Some(String::from("alice@example.org")),
        [
            EnvelopeRecipient {
                address: String::from("ghost@example.com"),
                orcpt: Some(String::from("rfc822;ghost@example.com")),
                notify: None,
            },
            EnvelopeRecipient {
                address: String::from("bob@example.com"),
                orcpt: None,
                notify: Some(DsnNotify {
                    success: true,
                    failure: true,
                    delay: false,
                }),
            },
        ],
        start_time(),
    );
    envelope.envid = Some(String::from("ENV-42"));
    envelope.ret = ret;
    envelope.received_from = Some(String::from("client.example.org [192.0.2.7]"));
    queue.enqueue(envelope, content).await.unwrap();
    let transport_dyn = Arc::clone(&transport) as Arc<dyn Transport>;
    queue.process_due(Arc::clone(&transport_dyn)).await;
    queue.process_due(transport_dyn).await;
    assert!(queue.is_empty());
    let reports: Vec<_> = transport
        .calls()
        .into_iter()
        .filter(|c| c.recipients == ["alice@example.org"])
        .collect();
    assert_eq!(reports.len(), 1, "one notification for both recipients");
    assert_eq!(reports[0].reverse_path, None);
    reports[0].content.clone()
}

const ORIGINAL: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: ghost@example.com, bob@example.com\r\n\
Subject: caf\xc3\xa9 plans\r\n\
Message-ID: <plans@example.org>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
See you at the caf\xc3\xa9.\r\n\
.leading dot line\r\n";

#[tokio::test]
async fn the_report_parses_with_mailwire_mime() {
    let report = notification(ORIGINAL, None).await;
    let message = Message::parse(&report).unwrap();
    let root = message.root();
    assert!(root.content_type().is("multipart", "report"));
    assert_eq!(
        root.content_type().params().get("report-type"),
        Some("delivery-status")
    );
    let children = root.children();
    assert_eq!(children.len(), 3);
    assert!(children[0].content_type().is("text", "plain"));
    assert!(children[0]
        .text()
        .contains("<ghost@example.com>: 550 5.1.1"));
    assert!(children[0].text().contains("<bob@example.com>: delivered"));

    assert!(children[1].content_type().is("message", "delivery-status"));
    let status = String::from_utf8(children[1].body().to_vec()).unwrap();
    let groups: Vec<&str> = status.split("\r\n\r\n").collect();
    assert_eq!(groups.len(), 3, "per-message fields, then two recipients");
    assert!(groups[0].contains("Original-Envelope-Id: ENV-42"));
    assert!(groups[0].contains("Reporting-MTA: dns; mx.mailwire.test"));
    assert!(groups[0].contains("Received-From-MTA: dns; client.example.org [192.0.2.7]"));
    assert!(groups[0].contains("Arrival-Date: "));
    assert!(groups[1].contains("Original-Recipient: rfc822;ghost@example.com"));
    assert!(groups[1].contains("Final-Recipient: rfc822; ghost@example.com"));
    assert!(groups[1].contains("Action: failed"));
    assert!(groups[1].contains("Status: 5.1.1"));
    assert!(groups[1].contains("Remote-MTA: dns; scripted.test"));
    assert!(groups[1].contains("Diagnostic-Code: smtp; 550 5.1.1 no such user"));
    assert!(groups[2].contains("Final-Recipient: rfc822; bob@example.com"));
    assert!(groups[2].contains("Action: delivered"));
    assert!(groups[2].contains("Status: 2.0.0"));

    assert!(children[2].content_type().is("message", "rfc822"));
    assert_eq!(children[2].body(), ORIGINAL, "the original, byte for byte");
    let header = message.header();
    assert_eq!(
        header.get_raw("Auto-Submitted"),
        Some(&b" auto-replied"[..])
    );
    assert!(header
        .get_raw("From")
        .is_some_and(|v| String::from_utf8_lossy(v).contains("MAILER-DAEMON@mx.mailwire.test")));
    assert!(header
        .get_raw("To")
        .is_some_and(|v| String::from_utf8_lossy(v).contains("alice@example.org")));
}

#[tokio::test]
async fn ret_hdrs_returns_only_the_header_section() {
    let report = notification(ORIGINAL, Some(DsnReturn::Headers)).await;
    let message = Message::parse(&report).unwrap();
    let children = message.root().children();
    assert!(children[2].content_type().is("text", "rfc822-headers"));
    let returned = children[2].body();
    assert!(returned.starts_with(b"From: Alice"));
    assert!(!returned.windows(9).any(|w| w == b"See you a"));
}

#[tokio::test]
async fn the_report_parses_with_python_email() {
    if !backend::peer_available("python3") {
        return;
    }
    let report = notification(ORIGINAL, None).await;
    let script = r#"
import sys, email, email.policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
assert msg.get_content_type() == "multipart/report", msg.get_content_type()
assert msg.get_param("report-type") == "delivery-status"
parts = list(msg.iter_parts())
assert [p.get_content_type() for p in parts] == ["text/plain", "message/delivery-status", "message/rfc822"], [p.get_content_type() for p in parts]
# Python parses message/delivery-status into a list of field blocks.
blocks = parts[1].get_payload()
assert len(blocks) == 3, len(blocks)
assert blocks[0]["Reporting-MTA"] == "dns; mx.mailwire.test", blocks[0]["Reporting-MTA"]
assert blocks[0]["Original-Envelope-Id"] == "ENV-42"
assert blocks[1]["Final-Recipient"] == "rfc822; ghost@example.com"
assert blocks[1]["Action"] == "failed"
assert blocks[1]["Status"] == "5.1.1"
assert blocks[2]["Action"] == "delivered"
inner = parts[2].get_payload()[0]
assert inner["Subject"] == "caf\u00e9 plans", inner["Subject"]
assert inner["Message-ID"] == "<plans@example.org>"
assert msg["Auto-Submitted"] == "auto-replied"
assert not msg.defects, msg.defects
print("ok")
"#;
    let mut child = Command::new("timeout")
        .args(["60", "python3", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&report).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "ok");
}
