//! Load into the MX port of the real `mailserver`: Postfix's smtp-source sends 4 KB
//! messages over 20 sessions to a local user; every message must land in the Maildir,
//! once. `cargo test` runs 200 messages; `load_mx_full` (ignored, started by
//! benches/load/run.sh in release mode) runs 2000 and reports messages per second and
//! the server's peak memory (VmHWM).
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

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backend::TempDir;
use dns_server::TestDns;
use server_process::{add_user, count_files, free_port, ServerProcess};

async fn run(messages: usize) {
    if !backend::peer_available("smtp-source") {
        return;
    }
    let dir = TempDir::new("load-mx");
    let data = dir.path().join("data");
    let dns = TestDns::builder().zone("local.test").start().await;
    let mx = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut config = server_process::config(mx.port(), dns.address);
    config.mx.max_connections = 100;
    server_process::write_config(&data, &config);
    add_user(&data, "user@local.test", "load password");
    let server = ServerProcess::start(&data, mx);
    let new = server.maildir_new("user@local.test");

    let start = Instant::now();
    let output = Command::new("timeout")
        .args(["600", "smtp-source", "-s", "20", "-m"])
        .arg(messages.to_string())
        .args(["-l", "4096", "-f", "a@x", "-t", "user@local.test"])
        .arg(format!("127.0.0.1:{}", mx.port()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let sent = start.elapsed();
    assert!(
        output.status.success(),
        "smtp-source failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        server.log()
    );
    let deadline = Instant::now() + Duration::from_secs(300);
    while count_files(&new) < messages {
        assert!(
            Instant::now() < deadline,
            "{} of {messages} in the Maildir",
            count_files(&new)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = start.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count_files(&new), messages, "every message once, none lost");
    // Every file is a whole message: the delivery fields, then smtp-source's content.
    for entry in std::fs::read_dir(&new).unwrap() {
        let content = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(content.starts_with(b"Return-Path: <a@x>\r\nDelivered-To: user@local.test\r\n"));
        assert!(content.len() > 4096);
    }
    eprintln!(
        "LOAD mx: smtp-source -s 20 -m {messages} -l 4096: accepted in {:.2} s ({:.0} msg/s), all in the Maildir after {:.2} s ({:.0} msg/s); server peak RSS (VmHWM) {} KiB",
        sent.as_secs_f64(),
        messages as f64 / sent.as_secs_f64(),
        delivered.as_secs_f64(),
        messages as f64 / delivered.as_secs_f64(),
        server.status_kib("VmHWM")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_mx_bounded() {
    run(200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full load run; benches/load/run.sh starts it in release mode"]
async fn load_mx_full() {
    let messages = std::env::var("MAILWIRE_LOAD_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    run(messages).await;
}
