//! The MX relay end to end on 127.0.0.1: the test DNS server (hickory) answers MX and A
//! records for test domains; aiosmtpd (with STARTTLS under a test CA, or AUTH for the
//! smart host) or Postfix's smtp-sink receives. Null MX bounces, unreachable MX hosts
//! defer, every MX is tried.
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
#[path = "common/test_ca.rs"]
mod test_ca;

use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use backend::{envelope, TempDir};
use dns_server::TestDns;
use mailwire_examples::dns::DnsConfig;
use mailwire_examples::queue::{
    OsSeededRandom, Queue, QueueConfig, RecipientState, SystemClock, Transport,
};
use mailwire_examples::relay::{MxRelay, RelayConfig, SmartHost, TlsMode};

/// A peer process, killed however the test ends.
struct Peer {
    child: Child,
}

impl Drop for Peer {
    fn drop(&mut self) {
        // The peer runs under `timeout`, which passes SIGTERM on but not SIGKILL:
        // TERM first so the peer itself stops, KILL only if it lingers.
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(std::process::Stdio::null())
            .status();
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the aiosmtpd recorder; returns it, its port, and the file it records into.
fn start_sink(dir: &Path, extra: &[&str]) -> (Peer, u16, PathBuf) {
    let out = dir.join(format!("received-{}.jsonl", extra.len()));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/relay_sink.py");
    let mut child = Command::new("timeout")
        .arg("120")
        .arg("python3")
        .arg(script)
        .arg(&out)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("relay_sink did not start: {line:?}"))
        .parse()
        .unwrap();
    (Peer { child }, port, out)
}

fn received(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn content_of(record: &serde_json::Value) -> Vec<u8> {
    use std::io::Write;
    let text = record["content"].as_str().unwrap();
    let output = Command::new("base64")
        .arg("-d")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    output.stdout
}

async fn queue_with(dir: &Path, relay: MxRelay) -> (Queue, Arc<dyn Transport>) {
    let queue = Queue::open(
        dir.join("queue"),
        QueueConfig {
            hostname: String::from("mx.mailwire.test"),
            ..QueueConfig::default()
        },
        Arc::new(SystemClock),
        Arc::new(OsSeededRandom::default()),
    )
    .await
    .unwrap();
    (queue, Arc::new(relay))
}

fn relay(config: RelayConfig) -> MxRelay {
    MxRelay::new(
        config,
        Arc::new(SystemClock),
        Arc::new(OsSeededRandom::default()),
    )
    .unwrap()
}

fn base_config(dns: &TestDns, port: u16) -> RelayConfig {
    RelayConfig {
        helo_name: String::from("mx.mailwire.test"),
        dns: DnsConfig::Nameserver(dns.address),
        dns_timeout_secs: 2,
        mx_port: port,
        connect_timeout_secs: 5,
        session_timeout_secs: 30,
        ..RelayConfig::default()
    }
}

fn state_of(queue: &Queue, address: &str) -> Option<RecipientState> {
    queue
        .list()
        .iter()
        .flat_map(|m| m.recipients.clone())
        .find(|r| r.recipient.address == address)
        .map(|r| r.state)
}

const EIGHT_BIT: &[u8] = b"From: alice@example.org\r\n\
To: ok@relay.test\r\n\
Subject: relay\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: 8bit\r\n\
\r\n\
Gr\xc3\xbc\xc3\x9fe aus dem Relay.\r\n\
.a line with a leading dot\r\n";

#[tokio::test]
async fn mx_relay_with_starttls_verified_against_the_test_ca_and_per_recipient_results() {
    if !backend::python_module_available("aiosmtpd") {
        return;
    }
    let dir = TempDir::new("relay-mx");
    let ca = test_ca::make(dir.path(), &["mx1.relay.test"]);
    let (_sink, port, out) = start_sink(
        dir.path(),
        &[
            "--tls",
            ca.cert_pem.to_str().unwrap(),
            ca.key_pem.to_str().unwrap(),
        ],
    );
    let dns = TestDns::builder()
        .mx("relay.test", 10, "mx1.relay.test")
        .a("mx1.relay.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let config = RelayConfig {
        tls: TlsMode::Verify,
        ca_file: Some(ca.ca_pem.clone()),
        ..base_config(&dns, port)
    };
    let (queue, transport) = queue_with(dir.path(), relay(config)).await;
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["ok@relay.test", "reject@relay.test", "defer@relay.test"],
                SystemTime::now(),
            ),
            EIGHT_BIT,
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(
        (summary.delivered, summary.failed, summary.deferred),
        (1, 1, 1),
        "{summary:?}"
    );
    assert_eq!(summary.notifications, 1);
    assert_eq!(
        state_of(&queue, "ok@relay.test"),
        Some(RecipientState::Delivered)
    );
    assert!(matches!(
        state_of(&queue, "defer@relay.test"),
        Some(RecipientState::Pending { .. })
    ));

    let records = received(&out);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["mail_from"], "alice@example.org");
    assert_eq!(record["rcpt_tos"], serde_json::json!(["ok@relay.test"]));
    assert_eq!(record["tls"], true, "STARTTLS was used");
    assert_eq!(content_of(record), EIGHT_BIT, "byte for byte");
    let options: Vec<String> = record["mail_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(
        options.contains(&String::from("BODY=8BITMIME")),
        "{options:?}"
    );
    assert!(
        options.iter().any(|o| o.starts_with("SIZE=")),
        "{options:?}"
    );

    // The failure's notification names the server's refusal.
    let notice = queue
        .list()
        .into_iter()
        .find(|m| m.envelope.reverse_path.is_none())
        .unwrap();
    let content = std::fs::read(
        dir.path()
            .join("queue/messages")
            .join(format!("{}.eml", notice.id)),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&content);
    assert!(text.contains("Final-Recipient: rfc822; reject@relay.test"));
    assert!(text.contains("Remote-MTA: dns; mx1.relay.test [127.0.0.1]"));
    assert!(text.contains("Diagnostic-Code: smtp; 550 5.1.1 no such user here"));
}

#[tokio::test]
async fn a_certificate_the_policy_does_not_trust_defers() {
    if !backend::python_module_available("aiosmtpd") {
        return;
    }
    let dir = TempDir::new("relay-untrusted");
    let ca = test_ca::make(dir.path(), &["mx1.relay.test"]);
    let other = TempDir::new("relay-other-ca");
    let other_ca = test_ca::make(other.path(), &["elsewhere.test"]);
    let (_sink, port, out) = start_sink(
        dir.path(),
        &[
            "--tls",
            ca.cert_pem.to_str().unwrap(),
            ca.key_pem.to_str().unwrap(),
        ],
    );
    let dns = TestDns::builder()
        .mx("relay.test", 10, "mx1.relay.test")
        .a("mx1.relay.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let config = RelayConfig {
        tls: TlsMode::Verify,
        ca_file: Some(other_ca.ca_pem.clone()),
        ..base_config(&dns, port)
    };
    let (queue, transport) = queue_with(dir.path(), relay(config)).await;
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["ok@relay.test"],
                SystemTime::now(),
            ),
            b"Subject: x\r\n\r\nx\r\n",
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(summary.deferred, 1, "{summary:?}");
    assert!(received(&out).is_empty());
    let last = queue.list()[0].recipients[0].last.clone().unwrap();
    assert!(last.text.contains("tls handshake"), "{last:?}");
}

#[tokio::test]
async fn every_mx_is_tried_unreachable_ones_defer_and_no_mx_falls_back_to_a() {
    if !backend::python_module_available("aiosmtpd") {
        return;
    }
    let dir = TempDir::new("relay-fallback");
    let (_sink, port, out) = start_sink(dir.path(), &[]);
    // dead.two.test points at 127.0.0.2, where nothing listens on the port.
    let dns = TestDns::builder()
        .mx("two.test", 10, "dead.two.test")
        .mx("two.test", 20, "mx.two.test")
        .a("dead.two.test", Ipv4Addr::new(127, 0, 0, 2))
        .a("mx.two.test", Ipv4Addr::LOCALHOST)
        .mx("down.test", 10, "dead.two.test")
        .a("nomx.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let (queue, transport) = queue_with(dir.path(), relay(base_config(&dns, port))).await;
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["bob@two.test", "carol@down.test", "dave@nomx.test"],
                SystemTime::now(),
            ),
            b"Subject: fallback\r\n\r\nhello\r\n",
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!((summary.delivered, summary.deferred), (2, 1), "{summary:?}");
    let carol = queue.list()[0]
        .recipients
        .iter()
        .find(|r| r.recipient.address == "carol@down.test")
        .cloned()
        .unwrap();
    let last = carol.last.unwrap();
    assert_eq!(last.status, "4.4.1");
    assert!(last.text.contains("127.0.0.2"), "{last:?}");
    let records = received(&out);
    let mut recipients: Vec<String> = records
        .iter()
        .flat_map(|r| r["rcpt_tos"].as_array().unwrap().clone())
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    recipients.sort();
    assert_eq!(recipients, ["bob@two.test", "dave@nomx.test"]);
    assert!(
        records.iter().all(|r| r["tls"] == false),
        "no STARTTLS offered"
    );
}

#[tokio::test]
async fn null_mx_and_missing_domains_fail_at_once() {
    let dir = TempDir::new("relay-nullmx");
    let dns = TestDns::builder()
        .null_mx("nullmx.test")
        .zone("empty.test")
        .start()
        .await;
    let (queue, transport) = queue_with(dir.path(), relay(base_config(&dns, 9))).await;
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["bob@nullmx.test", "carol@missing.empty.test"],
                SystemTime::now(),
            ),
            b"Subject: nowhere\r\n\r\nhello\r\n",
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(summary.failed, 2, "{summary:?}");
    assert_eq!(summary.notifications, 1);
    let notice = queue
        .list()
        .into_iter()
        .find(|m| m.envelope.reverse_path.is_none())
        .unwrap();
    let content = std::fs::read(
        dir.path()
            .join("queue/messages")
            .join(format!("{}.eml", notice.id)),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&content);
    assert!(text.contains(
        "Final-Recipient: rfc822; bob@nullmx.test\r\nAction: failed\r\nStatus: 5.1.10\r\n"
    ));
    assert!(text.contains("Diagnostic-Code: smtp; 556 5.1.10"));
    assert!(text.contains(
        "Final-Recipient: rfc822; carol@missing.empty.test\r\nAction: failed\r\nStatus: 5.1.2\r\n"
    ));
}

#[tokio::test]
async fn smart_host_with_starttls_and_auth() {
    if !backend::python_module_available("aiosmtpd") {
        return;
    }
    let dir = TempDir::new("relay-smarthost");
    let ca = test_ca::make(dir.path(), &["smarthost.test", "127.0.0.1"]);
    for implicit in [false, true] {
        let flag = if implicit { "--implicit-tls" } else { "--tls" };
        let (_sink, port, out) = start_sink(
            dir.path(),
            &[
                flag,
                ca.cert_pem.to_str().unwrap(),
                ca.key_pem.to_str().unwrap(),
                "--auth",
                "relayuser:relay secret",
            ],
        );
        let config = RelayConfig {
            helo_name: String::from("mx.mailwire.test"),
            ca_file: Some(ca.ca_pem.clone()),
            smart_host: Some(SmartHost {
                host: String::from("127.0.0.1"),
                port,
                username: Some(String::from("relayuser")),
                password: Some(String::from("relay secret")),
                implicit_tls: implicit,
            }),
            connect_timeout_secs: 5,
            session_timeout_secs: 30,
            ..RelayConfig::default()
        };
        let queue_dir = TempDir::new("relay-smarthost-queue");
        let (queue, transport) = queue_with(queue_dir.path(), relay(config)).await;
        queue
            .enqueue(
                envelope(
                    Some("alice@example.org"),
                    &["x@one.example", "y@two.example"],
                    SystemTime::now(),
                ),
                b"Subject: smart\r\n\r\nvia the smart host\r\n",
            )
            .await
            .unwrap();
        let summary = queue.process_due(Arc::clone(&transport)).await;
        assert_eq!(summary.delivered, 2, "implicit={implicit} {summary:?}");
        let records = received(&out);
        assert_eq!(records.len(), 1, "one transaction for both domains");
        assert_eq!(records[0]["tls"], true);
        assert_eq!(records[0]["authenticated"], true);
        assert_eq!(
            records[0]["rcpt_tos"],
            serde_json::json!(["x@one.example", "y@two.example"])
        );
        std::fs::remove_file(&out).unwrap();
    }
}

#[tokio::test]
async fn a_wrong_smart_host_password_defers() {
    if !backend::python_module_available("aiosmtpd") {
        return;
    }
    let dir = TempDir::new("relay-badauth");
    let ca = test_ca::make(dir.path(), &["127.0.0.1"]);
    let (_sink, port, out) = start_sink(
        dir.path(),
        &[
            "--tls",
            ca.cert_pem.to_str().unwrap(),
            ca.key_pem.to_str().unwrap(),
            "--auth",
            "relayuser:right",
        ],
    );
    let config = RelayConfig {
        ca_file: Some(ca.ca_pem.clone()),
        smart_host: Some(SmartHost {
            host: String::from("127.0.0.1"),
            port,
            username: Some(String::from("relayuser")),
            password: Some(String::from("wrong")),
            implicit_tls: false,
        }),
        connect_timeout_secs: 5,
        session_timeout_secs: 30,
        ..RelayConfig::default()
    };
    let (queue, transport) = queue_with(dir.path(), relay(config)).await;
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["x@one.example"],
                SystemTime::now(),
            ),
            b"Subject: x\r\n\r\nx\r\n",
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(summary.deferred, 1, "{summary:?}");
    assert!(received(&out).is_empty());
    let last = queue.list()[0].recipients[0].last.clone().unwrap();
    assert_eq!(last.reply_code, Some(535), "{last:?}");
}

#[tokio::test]
async fn pipelined_delivery_into_postfix_smtp_sink() {
    if !backend::peer_available("smtp-sink") {
        return;
    }
    let dir = TempDir::new("relay-smtp-sink");
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
        .args(["120", "smtp-sink", "-u", "nobody", "-R"])
        .arg(&dump)
        .args(["-d", "%M%S.", &format!("127.0.0.1:{port}"), "256"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _sink = Peer { child: sink };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "smtp-sink did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let dns = TestDns::builder()
        .mx("sink.test", 10, "mx.sink.test")
        .a("mx.sink.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let (queue, transport) = queue_with(dir.path(), relay(base_config(&dns, port))).await;
    for index in 0..5 {
        queue
            .enqueue(
                envelope(
                    Some("alice@example.org"),
                    &["a@sink.test", "b@sink.test"],
                    SystemTime::now(),
                ),
                format!("Subject: sink {index}\r\n\r\nbody {index}\r\n").as_bytes(),
            )
            .await
            .unwrap();
    }
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(summary.delivered, 10, "{summary:?}");
    assert!(queue.is_empty());
    // smtp-sink dumps every message (with its own Received-like envelope lines first).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let dumps: Vec<_> = walk(&dump);
        if dumps.len() >= 5 {
            let bodies: Vec<String> = dumps
                .iter()
                .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
                .collect();
            for index in 0..5 {
                assert!(
                    bodies
                        .iter()
                        // smtp-sink writes its dumps with LF line ends.
                        .any(|b| b.contains(&format!("Subject: sink {index}\n\nbody {index}"))),
                    "message {index} missing"
                );
            }
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "smtp-sink dumped {}",
            dumps.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// What the in-process receiving server saw.
#[derive(Debug)]
struct Seen {
    modes: Vec<mailwire_smtp::server::DataMode>,
    content: Vec<u8>,
    recipients: usize,
}

/// One SMTP session on our server machine (mailwire-smtp) offering CHUNKING, 8BITMIME
/// and PIPELINING, accepting everything.
async fn chunking_server(listener: tokio::net::TcpListener) -> Seen {
    use mailwire_core::tokio::{Driver, Next};
    use mailwire_smtp::server::{ServerConfig, ServerEvent, ServerSession};
    let (stream, _) = listener.accept().await.unwrap();
    let config = ServerConfig::builder("mx.chunk.test")
        .chunking(true)
        .build()
        .unwrap();
    let now = tokio::time::Instant::now().into_std();
    let mut driver = Driver::new(stream, ServerSession::new(config, now));
    let mut seen = Seen {
        modes: Vec::new(),
        content: Vec::new(),
        recipients: 0,
    };
    while let Ok(Next::Event(event)) = driver.next_event().await {
        let machine = driver.machine_mut();
        match event {
            ServerEvent::Mail { id, .. } => machine.accept(id).unwrap(),
            ServerEvent::Recipient { id, .. } => {
                seen.recipients += 1;
                machine.accept(id).unwrap()
            }
            ServerEvent::MessageStart { mode } => seen.modes.push(mode),
            ServerEvent::MessageData(chunk) => seen.content.extend_from_slice(&chunk),
            ServerEvent::MessageEnd { id, .. } => machine.accept(id).unwrap(),
            _ => {}
        }
    }
    seen
}

#[tokio::test]
async fn chunking_is_used_when_offered() {
    let dir = TempDir::new("relay-chunking");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(chunking_server(listener));
    let dns = TestDns::builder()
        .mx("chunk.test", 10, "mx.chunk.test")
        .a("mx.chunk.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let (queue, transport) = queue_with(dir.path(), relay(base_config(&dns, port))).await;
    let mut content = EIGHT_BIT.to_vec();
    // Larger than one read buffer, with a line that is only a dot: BDAT carries it as
    // is, with no dot-stuffing.
    for line in 0..3000 {
        content.extend_from_slice(format!("line {line} of the big body\r\n.\r\n").as_bytes());
    }
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["x@chunk.test", "y@chunk.test"],
                SystemTime::now(),
            ),
            &content,
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(summary.delivered, 2, "{summary:?}");
    let seen = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.modes, [mailwire_smtp::server::DataMode::Bdat]);
    assert_eq!(seen.recipients, 2);
    assert_eq!(seen.content, content, "byte for byte");
}

#[tokio::test]
async fn opportunistic_tls_encrypts_without_trusting_the_certificate() {
    if !backend::python_module_available("aiosmtpd") {
        return;
    }
    let dir = TempDir::new("relay-opportunistic");
    // A certificate from a CA nobody trusts, for a name that is not the MX's.
    let ca = test_ca::make(dir.path(), &["someone-else.test"]);
    let (_sink, port, out) = start_sink(
        dir.path(),
        &[
            "--tls",
            ca.cert_pem.to_str().unwrap(),
            ca.key_pem.to_str().unwrap(),
        ],
    );
    let dns = TestDns::builder()
        .mx("relay.test", 10, "mx1.relay.test")
        .a("mx1.relay.test", Ipv4Addr::LOCALHOST)
        .start()
        .await;
    let config = RelayConfig {
        tls: TlsMode::Opportunistic,
        ..base_config(&dns, port)
    };
    let (queue, transport) = queue_with(dir.path(), relay(config)).await;
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["ok@relay.test"],
                SystemTime::now(),
            ),
            b"Subject: opportunistic\r\n\r\nencrypted anyway\r\n",
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(summary.delivered, 1, "{summary:?}");
    let records = received(&out);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["tls"], true);
}
