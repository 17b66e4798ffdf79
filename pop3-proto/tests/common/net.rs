//! A small POP3 server for interop tests: our server machine on the core tokio driver,
//! messages from an in-memory store, TLS (STLS or implicit) from an rcgen certificate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    dead_code
)]

use std::sync::{Arc, Mutex};
use std::time::Instant;

use mailwire_core::tokio::{Driver, Next};
use mailwire_core::Session;
use mailwire_pop3::server::{Server, ServerConfig};
use mailwire_pop3::types::ApopTimestamp;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

use super::common::{Store, StoreApp};

/// Any stream the server can run on.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A self-signed certificate for localhost and 127.0.0.1, written as PEM into `dir`.
pub struct TestTls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub ca_path: std::path::PathBuf,
    pub cert_pem: String,
    pub key_pem: String,
}

pub fn test_tls(dir: &std::path::Path) -> TestTls {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key_pem = certified.signing_key.serialize_pem();
    let ca_path = dir.join("ca.pem");
    std::fs::write(&ca_path, &cert_pem).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    TestTls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        ca_path,
        cert_pem,
        key_pem,
    }
}

/// Serves one connection to the end.
async fn serve(
    stream: Box<dyn Io>,
    config: ServerConfig,
    store: Arc<Mutex<Store>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    seed: u64,
) {
    let timestamp = ApopTimestamp::generate(seed, 1_700_000_000 + seed, "pop.test").unwrap();
    let machine = Server::with_apop(config, Instant::now(), timestamp);
    let mut driver: Driver<Box<dyn Io>, Server> = Driver::new(stream, machine);
    let mut app = StoreApp::new(store);
    loop {
        match driver.next_event().await {
            Ok(Next::Event(event)) => app.handle(driver.machine_mut(), Instant::now(), event),
            Ok(Next::StartTls) => {
                let Some(acceptor) = tls.clone() else { return };
                let (stream, mut machine) = driver.into_parts();
                let Ok(tls_stream) = acceptor.accept(stream).await else {
                    return;
                };
                machine.handle_tls_established(Instant::now());
                driver = Driver::new(Box::new(tls_stream), machine);
            }
            Ok(Next::Closed) | Err(_) => return,
        }
    }
}

/// Listens on a free port of 127.0.0.1; `implicit_tls` wraps every connection in TLS
/// first (port 995 style), otherwise STLS is offered when `tls` is given.
pub async fn spawn_server(
    mut config: ServerConfig,
    store: Arc<Mutex<Store>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    implicit_tls: bool,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    config.implicit_tls = implicit_tls;
    config.stls = tls.is_some() && !implicit_tls;
    tokio::spawn(async move {
        let mut seed = 0u64;
        while let Ok((tcp, _)) = listener.accept().await {
            seed += 1;
            let (config, store, tls) = (config.clone(), store.clone(), tls.clone());
            tokio::spawn(async move {
                let stream: Box<dyn Io> = if implicit_tls {
                    let Some(acceptor) = tls.clone() else { return };
                    match acceptor.accept(tcp).await {
                        Ok(tls_stream) => Box::new(tls_stream),
                        Err(_) => return,
                    }
                } else {
                    Box::new(tcp)
                };
                serve(stream, config, store, tls, seed).await;
            });
        }
    });
    port
}

/// Runs a program under `timeout`, returning (success, stdout, stderr). If the test
/// ends first (a panic, or the future dropped), `timeout` gets SIGTERM and passes it
/// on: a SIGKILL (tokio's `kill_on_drop`) would stop `timeout` alone and leave the
/// program running.
pub async fn run_bounded(program: &str, args: &[&str], seconds: u32) -> (bool, String, String) {
    let child = tokio::process::Command::new("timeout")
        .arg(seconds.to_string())
        .arg(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut guard = TermOnDrop(child.id());
    let output = child.wait_with_output().await.unwrap();
    // Reaped: its id may be reused now.
    guard.0 = None;
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Sends SIGTERM to a `timeout` process that was not waited for to the end.
struct TermOnDrop(Option<u32>);

impl Drop for TermOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// A fresh temporary folder, removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "mailwire-pop3-{tag}-{}-{}",
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
