//! kill -9 of the real `mailserver` between the 250 and the delivery: Python's smtplib
//! sends a message for a local user (whose mailbox is full, so delivery waits) to the
//! MX port, and the user submits one for a remote address (whose MX is down, so relay
//! waits) on the submission port (STARTTLS, AUTH); once both were tried, the server is
//! killed with SIGKILL. Restarted with room in the mailbox and the MX up,
//! and flushed with `mailserver queue flush`, it delivers the message exactly once to
//! each.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/backend.rs"]
mod backend;
#[path = "common/dns_server.rs"]
mod dns_server;
#[path = "common/server_process.rs"]
mod server_process;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use backend::TempDir;
use dns_server::TestDns;
use mailwire_examples::queue::Queue;
use server_process::{add_user, count_files, free_port, python_send, ServerProcess};

const INBOUND: &str = "From: sender@origin.test\r\nTo: user@local.test\r\nSubject: kill -9\r\nMessage-ID: <kill9@origin.test>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nsurvives a SIGKILL\r\n";
const OUTBOUND: &str = "From: user@local.test\r\nTo: bob@remote.test\r\nSubject: kill -9 out\r\nMessage-ID: <kill9-out@local.test>\r\nDate: Mon, 1 Jun 2026 10:00:00 +0000\r\n\r\nrelayed once\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_between_250_and_delivery_then_exactly_once() {
    if !backend::python_module_available("aiosmtpd") {
        return;
    }
    let dir = TempDir::new("kill9-binary");
    let data = dir.path().join("data");
    let dns = TestDns::builder()
        .mx("remote.test", 10, "mx.remote.test")
        .a("mx.remote.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let mx = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let submission = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let down_port = free_port();

    // First run: the mailbox holds 10 octets, the remote MX port is closed, and a
    // retry would come only in an hour.
    let mut config = server_process::config(mx.port(), dns.address);
    config
        .delivery
        .quotas
        .insert(String::from("user@local.test"), 10);
    config.relay.mx_port = down_port;
    config.queue.first_retry_secs = 3600;
    config.submission = mailwire_examples::config::ListenerConfig::on(submission);
    server_process::write_config(&data, &config);
    add_user(&data, "user@local.test", "secret password");
    let server = ServerProcess::start(&data, mx);
    let refused = python_send(mx, "sender@origin.test", &["user@local.test"], INBOUND);
    assert_eq!(refused, "REFUSED", "accepted with 250");
    let refused = server_process::python_submit(
        submission,
        "user@local.test",
        "secret password",
        &["bob@remote.test"],
        OUTBOUND,
    );
    assert_eq!(refused, "REFUSED", "accepted with 250");

    // Wait until both recipients were tried and deferred, then SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let records = Queue::scan(data.join("queue")).await.unwrap();
        let tried = records
            .iter()
            .flat_map(|r| r.recipients.iter())
            .filter(|r| r.attempts > 0 && r.is_pending())
            .count();
        if records.len() == 2 && tried == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not deferred in time: {}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill_9();
    assert_eq!(
        count_files(&data.join("mail/user@local.test/Maildir/new")),
        0
    );

    // Second run: room in the mailbox, the MX up (aiosmtpd).
    let out = dir.path().join("received.jsonl");
    let (_sink, sink_port) = backend::start_relay_sink(&out, &[]);
    config.delivery.quotas.clear();
    config.relay.mx_port = sink_port;
    server_process::write_config(&data, &config);
    let server = ServerProcess::start(&data, mx);
    assert!(server_process::queue_command(&data, "list").contains("bob@remote.test"));
    server_process::queue_command(&data, "flush");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let queued = Queue::scan(data.join("queue")).await.unwrap();
        if queued.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered after the restart: {}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate every chance to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let new = server.maildir_new("user@local.test");
    assert_eq!(count_files(&new), 1, "exactly one copy in the Maildir");
    let stored = std::fs::read(
        std::fs::read_dir(&new)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    )
    .unwrap();
    let stored = String::from_utf8(stored).unwrap();
    assert!(stored
        .starts_with("Return-Path: <sender@origin.test>\r\nDelivered-To: user@local.test\r\n"));
    assert!(
        stored.ends_with("\r\n\r\nsurvives a SIGKILL\r\n"),
        "{stored}"
    );
    let records = backend::relay_sink_records(&out);
    assert_eq!(records.len(), 1, "exactly one copy relayed");
    assert_eq!(
        records[0]["rcpt_tos"],
        serde_json::json!(["bob@remote.test"])
    );
}
