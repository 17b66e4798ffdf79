//! Memory of idle SMTP connections on the real `mailserver`: 500 clients connect to the
//! MX port, read the greeting, say EHLO, read the reply and stay silent. The server's
//! resident memory (VmRSS in /proc/PID/status) is read before and after; the increase
//! divided by the number of connections must stay at most 16 KiB.
//!
//! How it is measured, and what it covers: the server is warmed up first (50
//! connections opened, used and closed, so that the allocator's and tokio's pools
//! exist), then VmRSS is read, the 500 connections are opened, 1 s passes, VmRSS is
//! read again. RSS counts what the process touched: the session task, the SMTP machine,
//! the driver's buffers. Kernel socket buffers are not in RSS (they are the kernel's,
//! and the same for any server).
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
use std::time::Duration;

use backend::TempDir;
use dns_server::TestDns;
use server_process::{free_port, ServerProcess};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const CONNECTIONS: usize = 500;
const LIMIT_PER_CONNECTION: u64 = 16 * 1024;

/// Connects, reads the greeting, says EHLO and reads the whole reply.
async fn idle_session(mx: SocketAddr) -> BufReader<TcpStream> {
    let stream = TcpStream::connect(mx).await.unwrap();
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("220"), "{line}");
    stream
        .get_mut()
        .write_all(b"EHLO idle.test\r\n")
        .await
        .unwrap();
    loop {
        line.clear();
        stream.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("250"), "{line}");
        if line.as_bytes().get(3) == Some(&b' ') {
            break;
        }
    }
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_smtp_connection_costs_at_most_16_kib() {
    let dir = TempDir::new("load-idle");
    let data = dir.path().join("data");
    let dns = TestDns::builder().zone("local.test").start().await;
    let mx = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let mut config = server_process::config(mx.port(), dns.address);
    config.mx.max_connections = CONNECTIONS + 100;
    server_process::write_config(&data, &config);
    let server = ServerProcess::start(&data, mx);

    // Warm-up.
    let mut warm = Vec::new();
    for _ in 0..50 {
        warm.push(idle_session(mx).await);
    }
    drop(warm);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.status_kib("VmRSS");

    let mut sessions = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        sessions.push(idle_session(mx).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.status_kib("VmRSS");
    let per_connection = after.saturating_sub(before) * 1024 / CONNECTIONS as u64;
    eprintln!(
        "IDLE: VmRSS {before} KiB before, {after} KiB with {CONNECTIONS} idle connections: {per_connection} bytes each"
    );
    assert!(
        per_connection <= LIMIT_PER_CONNECTION,
        "{per_connection} bytes per idle connection"
    );
    // The server still serves while they idle.
    let mut extra = idle_session(mx).await;
    extra.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    drop(sessions);
}
