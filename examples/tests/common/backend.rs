//! Test support for the back end (queue, relay, delivery): a scripted transport, peer
//! checks, temporary folders.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailwire_examples::queue::{
    BoxFuture, DeliveryJob, Diagnostic, Envelope, EnvelopeRecipient, Outcome, Transport,
};

/// A fresh folder under the target directory's tmp, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let base = std::env::temp_dir().join("mailwire-examples-tests");
        std::fs::create_dir_all(&base).unwrap();
        let unique = format!(
            "{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let path = base.join(unique);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a scripted transport does with one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Deliver,
    Defer,
    Fail,
    /// Deliver, then never return (a crash before the queue records the result).
    DeliverThenHang,
}

/// One call the transport received.
#[derive(Debug, Clone)]
pub struct Call {
    pub id: String,
    pub reverse_path: Option<String>,
    pub recipients: Vec<String>,
    pub content: Vec<u8>,
}

type Decide = dyn Fn(&str) -> Script + Send + Sync;

/// A transport that delivers one recipient per batch (so that every recipient's result
/// is recorded on its own) and decides by address.
pub struct ScriptedTransport {
    pub calls: Mutex<Vec<Call>>,
    decide: Box<Decide>,
    one_per_batch: bool,
}

impl ScriptedTransport {
    pub fn new(decide: impl Fn(&str) -> Script + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(ScriptedTransport {
            calls: Mutex::new(Vec::new()),
            decide: Box::new(decide),
            one_per_batch: true,
        })
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// How many times `address` was handed over.
    pub fn deliveries_to(&self, address: &str) -> usize {
        self.calls()
            .iter()
            .flat_map(|c| c.recipients.clone())
            .filter(|r| r == address)
            .count()
    }
}

pub fn diagnostic(status: &str, code: u16, text: &str) -> Diagnostic {
    Diagnostic {
        status: status.to_string(),
        reply_code: Some(code),
        text: text.to_string(),
        remote_mta: Some(String::from("scripted.test")),
        relayed: false,
        dsn_passed_on: false,
        at: SystemTime::now(),
    }
}

impl Transport for ScriptedTransport {
    fn plan(&self, recipients: &[EnvelopeRecipient]) -> Vec<Vec<usize>> {
        if self.one_per_batch {
            (0..recipients.len()).map(|i| vec![i]).collect()
        } else {
            vec![(0..recipients.len()).collect()]
        }
    }

    fn deliver<'a>(&'a self, job: &'a DeliveryJob) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move {
            self.calls.lock().unwrap().push(Call {
                id: job.id.to_string(),
                reverse_path: job.reverse_path.clone(),
                recipients: job.recipients.iter().map(|r| r.address.clone()).collect(),
                content: job.content.to_vec(),
            });
            let mut outcomes = Vec::new();
            let mut hang = false;
            for recipient in &job.recipients {
                outcomes.push(match (self.decide)(&recipient.address) {
                    Script::Deliver => Outcome::Delivered(diagnostic("2.0.0", 250, "ok")),
                    Script::DeliverThenHang => {
                        hang = true;
                        Outcome::Delivered(diagnostic("2.0.0", 250, "ok"))
                    }
                    Script::Defer => Outcome::Deferred(diagnostic("4.2.1", 450, "try again later")),
                    Script::Fail => Outcome::Failed(diagnostic("5.1.1", 550, "no such user")),
                });
            }
            if hang {
                std::future::pending::<()>().await;
            }
            outcomes
        })
    }
}

pub fn envelope(from: Option<&str>, to: &[&str], at: SystemTime) -> Envelope {
    Envelope::new(
        from.map(str::to_string),
        to.iter().map(|a| EnvelopeRecipient::new(*a)),
        at,
    )
}

pub fn start_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

/// True when the program is on PATH; otherwise fails under MAILWIRE_REQUIRE_PEERS=1, or
/// prints a loud skip.
pub fn peer_available(program: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer {program} missing and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED: peer {program} missing");
    }
    found
}

/// A message with CRLF line ends.
pub fn message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A peer process, killed however the test ends.
pub struct Peer(pub std::process::Child);

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

/// Starts tests/common/relay_sink.py (aiosmtpd) with `extra` options, recording into
/// `out`; returns it and its port.
pub fn start_relay_sink(out: &Path, extra: &[&str]) -> (Peer, u16) {
    use std::io::BufRead;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/relay_sink.py");
    let mut child = std::process::Command::new("timeout")
        .arg("300")
        .arg("python3")
        .arg(script)
        .arg(out)
        .args(extra)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("relay_sink did not start: {line:?}"))
        .parse()
        .unwrap();
    (Peer(child), port)
}

/// The messages relay_sink.py recorded.
pub fn relay_sink_records(out: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// True when python3 can import `module` (aiosmtpd for the receiving servers);
/// otherwise fails under MAILWIRE_REQUIRE_PEERS=1, or prints a loud skip.
pub fn python_module_available(module: &str) -> bool {
    if !peer_available("python3") {
        return false;
    }
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("python module {module} missing and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED: python module {module} missing");
    }
    found
}
