//! Load: the queue and our SMTP client deliver many 4 KB messages into Postfix's
//! smtp-sink (through the hickory test DNS server's MX record). Every message must
//! arrive. The bounded test runs with `cargo test`; the full run (2000 messages,
//! reporting messages per second and peak memory) is `load_relay_full`, ignored by
//! default and started by benches/load/run.sh in release mode.
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

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use backend::{envelope, TempDir};
use dns_server::TestDns;
use mailwire_examples::dns::DnsConfig;
use mailwire_examples::queue::{OsSeededRandom, Queue, QueueConfig, SystemClock, Transport};
use mailwire_examples::relay::{MxRelay, RelayConfig};

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        // The peer runs under `timeout`, which passes SIGTERM on but not SIGKILL:
        // TERM first so the peer itself stops, KILL only if it lingers.
        let pid = self.0.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(std::process::Stdio::null())
            .status();
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(5) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident memory of this process (VmHWM), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn count_files(dir: &Path) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path: PathBuf = entry.path();
        if path.is_dir() {
            count += count_files(&path);
        } else {
            count += 1;
        }
    }
    count
}

/// A 4 KB message body (like smtp-source -l 4096).
fn message(index: usize) -> Vec<u8> {
    let mut content =
        format!("From: load@origin.test\r\nTo: sink@sink.test\r\nSubject: load {index}\r\n\r\n")
            .into_bytes();
    while content.len() < 4096 {
        content.extend_from_slice(
            b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n",
        );
    }
    content
}

async fn run(messages: usize) {
    if !backend::peer_available("smtp-sink") {
        return;
    }
    let dir = TempDir::new("load-relay");
    let dump = dir.path().join("dump");
    std::fs::create_dir_all(&dump).unwrap();
    Command::new("chmod")
        .args(["777", dump.to_str().unwrap()])
        .status()
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = Command::new("timeout")
        .args(["600", "smtp-sink", "-u", "nobody", "-R"])
        .arg(&dump)
        .args(["-d", "%M%S.", &format!("127.0.0.1:{port}"), "1024"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _sink = Peer(sink);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "smtp-sink did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let dns = TestDns::builder()
        .mx("sink.test", 10, "mx.sink.test")
        .a("mx.sink.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let relay = MxRelay::new(
        RelayConfig {
            helo_name: String::from("load.mailwire.test"),
            dns: DnsConfig::Nameserver(dns.address),
            mx_port: port,
            connect_timeout_secs: 10,
            session_timeout_secs: 60,
            ..RelayConfig::default()
        },
        Arc::new(SystemClock),
        Arc::new(OsSeededRandom::default()),
    )
    .unwrap();
    let queue = Queue::open(
        dir.path().join("queue"),
        QueueConfig {
            max_concurrent_deliveries: 20,
            ..QueueConfig::default()
        },
        Arc::new(SystemClock),
        Arc::new(OsSeededRandom::default()),
    )
    .await
    .unwrap();

    let enqueue_start = Instant::now();
    for index in 0..messages {
        queue
            .enqueue(
                envelope(
                    Some("load@origin.test"),
                    &["sink@sink.test"],
                    SystemTime::now(),
                ),
                &message(index),
            )
            .await
            .unwrap();
    }
    let enqueue_time = enqueue_start.elapsed();

    let transport: Arc<dyn Transport> = Arc::new(relay);
    let start = Instant::now();
    let summary = queue.process_due(transport).await;
    let elapsed = start.elapsed();
    assert_eq!(summary.delivered, messages, "{summary:?}");
    assert!(queue.is_empty());
    let deadline = Instant::now() + Duration::from_secs(30);
    while count_files(&dump) < messages {
        assert!(
            Instant::now() < deadline,
            "smtp-sink has {} of {messages}",
            count_files(&dump)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(count_files(&dump), messages, "every message arrived once");
    eprintln!(
        "LOAD relay: {messages} messages of 4 KB into smtp-sink: enqueue {:.2} s ({:.0} msg/s, durable), delivery {:.2} s ({:.0} msg/s) over 20 concurrent sessions; peak RSS (VmHWM) of the process {} KiB",
        enqueue_time.as_secs_f64(),
        messages as f64 / enqueue_time.as_secs_f64(),
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64(),
        peak_rss_kib()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_relay_bounded() {
    run(200).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full load run; benches/load/run.sh starts it in release mode"]
async fn load_relay_full() {
    let messages = std::env::var("MAILWIRE_LOAD_MESSAGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    run(messages).await;
}
