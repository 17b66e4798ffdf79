//! Shared helpers of the socket and interop tests: peer checks, free ports, scratch
//! folders, a kill-on-drop guard for peer processes, a TLS certificate, and an LMTP
//! delivery agent on our server machine over the tokio driver.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::ffi::OsStr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailwire_lmtp::server::{Delivery, LmtpServer, ServerEvent};
use mailwire_lmtp::tokio::{Driver, Next};
use mailwire_lmtp::types::ForwardPath;
use mailwire_lmtp::Session;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls;

/// True when `program` is on the PATH; otherwise skips loudly, or fails when
/// MAILWIRE_REQUIRE_PEERS=1.
pub fn peer_available(program: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !found {
        skip_or_fail(&format!("peer {program} missing"));
    }
    found
}

/// Skips loudly, or fails when MAILWIRE_REQUIRE_PEERS=1.
pub fn skip_or_fail(reason: &str) {
    if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("{reason} and MAILWIRE_REQUIRE_PEERS=1");
    }
    eprintln!("SKIPPED: {reason}");
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh folder under the temporary directory, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "mailwire-lmtp-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Stops a peer started as `timeout N PEER ...` (and reaps it) however the test ends;
/// see [`stop_timeout_group`].
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        stop_timeout_group(&mut self.0);
    }
}

/// Stops `child`, a `timeout N PEER ...` process, and PEER with it.
///
/// `timeout` passes SIGTERM on to PEER but cannot pass SIGKILL: killing `timeout` alone
/// leaves PEER running for good. So SIGTERM first; if that has not ended it within a few
/// seconds, SIGKILL to the whole process group, which `timeout` leads.
pub fn stop_timeout_group(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    // Not reaped yet, so the id is still this process's.
    let pid = child.id().to_string();
    let _ = Command::new("kill")
        .args(["-TERM", &pid])
        .stderr(Stdio::null())
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs a client program under `timeout seconds` to its end and returns its output.
/// If the test ends first (a panic, or the future dropped), `timeout` gets SIGTERM and
/// passes it on, so the program does not outlive the test.
pub async fn run_bounded<I, A>(
    program: impl AsRef<OsStr>,
    args: I,
    seconds: u32,
) -> std::process::Output
where
    I: IntoIterator<Item = A>,
    A: AsRef<OsStr>,
{
    let child = tokio::process::Command::new("timeout")
        .arg(seconds.to_string())
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = TermOnDrop(child.id());
    let output = child.wait_with_output().await.unwrap();
    // Reaped: its id may be reused now.
    guard.0 = None;
    output
}

/// Sends SIGTERM to a `timeout` process that was not waited for to the end.
struct TermOnDrop(Option<u32>);

impl Drop for TermOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// A self-signed certificate for localhost (rcgen makes an end-entity certificate,
/// which rustls accepts as a trust anchor), with a server acceptor and a client
/// connector trusting it.
pub struct TestTls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub connector: tokio_rustls::TlsConnector,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn test_tls() -> TestTls {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TestTls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(server)),
        connector: tokio_rustls::TlsConnector::from(Arc::new(client)),
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
    }
}

/// Any stream a server session can run on.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// What the in-test delivery agent recorded of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub from: String,
    pub recipients: Vec<String>,
    pub content: Vec<u8>,
    /// The agent's answer per recipient, in RCPT order.
    pub outcomes: Vec<Delivery>,
    pub tls: bool,
}

/// The answer after the data for a recipient; `None` refuses it at RCPT.
pub type Decide = dyn Fn(&ForwardPath<'_>) -> Option<Delivery> + Send + Sync;

/// How the in-test agent decides.
pub struct Agent {
    /// The answer after the data for a recipient; `None` refuses it at RCPT.
    pub decide: Box<Decide>,
    /// Answer the recipients of a message last one first.
    pub reversed: bool,
    /// Drop the connection after answering this many recipients of a message.
    pub die_after: Option<usize>,
    pub log: Arc<Mutex<Vec<Delivered>>>,
}

/// Serves one connection with our server machine over the core driver until it ends;
/// STARTTLS is upgraded with `tls` when given.
pub async fn serve(
    mut driver: Driver<Box<dyn Io>, LmtpServer>,
    agent: &Agent,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut from = String::new();
    let mut content = Vec::new();
    loop {
        let event = match driver.next_event().await {
            Ok(Next::Event(event)) => event,
            Ok(Next::StartTls) => {
                let Some(acceptor) = tls.clone() else { return };
                let (stream, mut machine) = driver.into_parts();
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                machine.handle_tls_established(tokio::time::Instant::now().into_std());
                driver = Driver::new(Box::new(stream), machine);
                continue;
            }
            Ok(Next::Closed) | Err(_) => return,
        };
        let machine = driver.machine_mut();
        match event {
            ServerEvent::Mail {
                id, from: sender, ..
            } => {
                from = sender.to_string();
                machine.accept(id).unwrap();
            }
            ServerEvent::Recipient { id, to, .. } => match (agent.decide)(&to) {
                Some(_) => machine.accept(id).unwrap(),
                None => machine.reject(id).unwrap(),
            },
            ServerEvent::MessageStart { .. } => content.clear(),
            ServerEvent::MessageData(chunk) => content.extend_from_slice(&chunk),
            ServerEvent::MessageEnd { id, recipients, .. } => {
                let outcomes: Vec<Delivery> = recipients
                    .iter()
                    .map(|r| (agent.decide)(r).unwrap_or(Delivery::Rejected))
                    .collect();
                agent.log.lock().unwrap().push(Delivered {
                    from: from.clone(),
                    recipients: recipients.iter().map(ToString::to_string).collect(),
                    content: std::mem::take(&mut content),
                    outcomes: outcomes.clone(),
                    tls: machine.is_tls(),
                });
                let mut order: Vec<usize> = (0..recipients.len()).collect();
                if agent.reversed {
                    order.reverse();
                }
                for (answered, index) in order.into_iter().enumerate() {
                    if agent.die_after == Some(answered) {
                        // Make what was answered leave, then vanish.
                        let _ = driver.flush().await;
                        return;
                    }
                    driver
                        .machine_mut()
                        .deliver(id, index, outcomes[index])
                        .unwrap();
                }
            }
            _ => {}
        }
    }
}

/// The local part of a recipient.
pub fn local_part(path: &ForwardPath<'_>) -> String {
    path.mailbox()
        .map(|m| m.local_part().unquoted().into_owned())
        .unwrap_or_default()
}

/// The `lmtp-deliver` binary that `cargo test` built beside this test, if any.
pub fn example_binary() -> Option<std::path::PathBuf> {
    let test = std::env::current_exe().ok()?;
    let examples = test.parent()?.parent()?.join("examples");
    std::fs::read_dir(examples)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name == "lmtp-deliver" || name.starts_with("lmtp_deliver-")) && !name.contains('.')
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, path)| path)
}
