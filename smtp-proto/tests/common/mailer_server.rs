//! An in-test submission server for the Mailer tests: our server machine on the core
//! tokio driver over real TCP on 127.0.0.1, with implicit TLS or STARTTLS (rcgen
//! certificate), AUTH PLAIN/LOGIN/XOAUTH2/OAUTHBEARER for one user, recipients refused
//! or deferred by address, and records of what arrived: every message with its
//! envelope, the client's bytes per connection (after TLS), and the connection count.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use mailwire_core::tokio::{Driver, Next};
use mailwire_core::Session;
use mailwire_smtp::server::{DataMode, ServerConfig, ServerEvent, ServerSession};
use mailwire_smtp::types::{EnhancedStatusCode, Mechanism, Reply, ReplyCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

pub const USER: &str = "alice";
pub const PASSWORD: &str = "wonderland";
pub const TOKEN: &str = "ya29.test-token";

/// What the server does.
#[derive(Clone, Default)]
pub struct Options {
    /// TLS from the first byte.
    pub implicit_tls: bool,
    /// Offer STARTTLS.
    pub starttls: bool,
    /// Offer AUTH PLAIN and LOGIN (after TLS), and XOAUTH2 and OAUTHBEARER.
    pub auth: bool,
    /// Offer PLAIN and LOGIN without TLS too (for the plaintext loopback test).
    pub plaintext_auth: bool,
    /// Recipients refused with 550 5.1.1.
    pub reject: Vec<String>,
    /// Recipients deferred with 451 4.2.1.
    pub defer: Vec<String>,
    /// Turn PIPELINING, CHUNKING, 8BITMIME off.
    pub no_pipelining: bool,
    pub no_chunking: bool,
    pub no_8bitmime: bool,
    /// Require AUTH before MAIL (like a submission server).
    pub require_auth: bool,
    /// After each message, say 421 and close (a server that drops idle clients).
    pub close_after_message: bool,
}

/// A message as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub content: Vec<u8>,
    pub mode: DataMode,
    pub tls: bool,
    pub authenticated: bool,
    pub body_8bit: bool,
    pub smtputf8: bool,
    pub connection: usize,
}

#[derive(Default)]
pub struct Records {
    pub messages: Mutex<Vec<Received>>,
    /// The client's bytes, per connection, as the server machine saw them.
    pub transcripts: Mutex<Vec<Vec<u8>>>,
    pub connections: AtomicUsize,
}

pub struct TestServer {
    pub port: u16,
    pub cert_pem: String,
    pub records: Arc<Records>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub async fn start(options: Options) -> TestServer {
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .unwrap();
        let cert_pem = certified.cert.pem();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
        );
        let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let records = Arc::new(Records::default());
        let task = {
            let records = Arc::clone(&records);
            tokio::spawn(async move {
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        return;
                    };
                    let number = records.connections.fetch_add(1, Ordering::SeqCst);
                    records.transcripts.lock().unwrap().push(Vec::new());
                    let options = options.clone();
                    let records = Arc::clone(&records);
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        connection(stream, number, options, records, acceptor).await;
                    });
                }
            })
        };
        TestServer {
            port,
            cert_pem,
            records,
            task,
        }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.records.messages.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.records.connections.load(Ordering::SeqCst)
    }

    pub fn transcript(&self, connection: usize) -> String {
        String::from_utf8_lossy(&self.records.transcripts.lock().unwrap()[connection]).into_owned()
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Records what is read from the stream into the connection's transcript, while
/// `recording` is on (off for the TLS ciphertext under the recorder of the TLS layer).
struct Recorder<S> {
    inner: S,
    records: Arc<Records>,
    connection: usize,
    recording: Arc<AtomicBool>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorder<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.recording.load(Ordering::SeqCst) {
            let new = buf.filled()[before..].to_vec();
            self.records.transcripts.lock().unwrap()[self.connection].extend_from_slice(&new);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorder<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn reply(code: ReplyCode, enhanced: (u8, u16, u16), text: &str) -> Reply<'static> {
    Reply::new(
        code,
        EnhancedStatusCode::new(enhanced.0, enhanced.1, enhanced.2),
        [text],
    )
    .unwrap()
}

fn config(options: &Options) -> ServerConfig {
    let mut builder = ServerConfig::builder("mx.test")
        .starttls(options.starttls)
        .implicit_tls(options.implicit_tls)
        .pipelining(!options.no_pipelining)
        .chunking(!options.no_chunking)
        .eight_bit_mime(!options.no_8bitmime)
        .plaintext_auth_without_tls(options.plaintext_auth);
    if options.auth {
        builder = builder.auth_mechanisms([
            Mechanism::PLAIN,
            Mechanism::LOGIN,
            Mechanism::XOAUTH2,
            Mechanism::OAUTHBEARER,
        ]);
    }
    builder.build().unwrap()
}

/// Checks a token mechanism's initial response.
fn token_valid(mechanism: &Mechanism<'_>, response: &[u8]) -> bool {
    let text = String::from_utf8_lossy(response);
    if *mechanism == Mechanism::XOAUTH2 {
        text == format!("user={USER}\x01auth=Bearer {TOKEN}\x01\x01")
    } else {
        text.starts_with(&format!("n,a={USER},\x01"))
            && text.ends_with(&format!("\x01auth=Bearer {TOKEN}\x01\x01"))
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    number: usize,
    options: Options,
    records: Arc<Records>,
    acceptor: tokio_rustls::TlsAcceptor,
) {
    let recording = Arc::new(AtomicBool::new(true));
    let plain = Recorder {
        inner: stream,
        records: Arc::clone(&records),
        connection: number,
        recording: Arc::clone(&recording),
    };
    let stream: Box<dyn Io> = if options.implicit_tls {
        recording.store(false, Ordering::SeqCst);
        let Ok(tls) = acceptor.accept(plain).await else {
            return;
        };
        Box::new(Recorder {
            inner: tls,
            records: Arc::clone(&records),
            connection: number,
            recording: Arc::new(AtomicBool::new(true)),
        })
    } else {
        Box::new(plain)
    };
    let machine = ServerSession::new(config(&options), std::time::Instant::now());
    let mut driver: Driver<Box<dyn Io>, ServerSession> = Driver::new(stream, machine);
    let mut from = String::new();
    let mut content = Vec::new();
    let mut params_8bit = false;
    let mut params_utf8 = false;
    let mut mode = DataMode::Data;
    let mut pending_sasl: Option<Mechanism<'static>> = None;
    loop {
        let event = match driver.next_event().await {
            Ok(Next::Event(event)) => event,
            Ok(Next::StartTls) => {
                let (stream, mut machine) = driver.into_parts();
                recording.store(false, Ordering::SeqCst);
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                machine.handle_tls_established(std::time::Instant::now());
                let stream: Box<dyn Io> = Box::new(Recorder {
                    inner: tls,
                    records: Arc::clone(&records),
                    connection: number,
                    recording: Arc::new(AtomicBool::new(true)),
                });
                driver = Driver::new(stream, machine);
                continue;
            }
            Ok(Next::Closed) | Err(_) => return,
        };
        let server = driver.machine_mut();
        match event {
            ServerEvent::AuthCredentials {
                id,
                authcid,
                password,
                ..
            } => {
                if authcid == USER && password.expose() == PASSWORD {
                    server.accept(id).unwrap();
                } else {
                    server.reject(id).unwrap();
                }
            }
            ServerEvent::SaslStart {
                id,
                mechanism,
                initial_response,
            } => {
                let valid = initial_response
                    .as_ref()
                    .is_some_and(|r| token_valid(&mechanism, r.expose()));
                if valid {
                    server.accept(id).unwrap();
                } else {
                    // RFC 7628 §3.2.2: an error challenge, then the failure.
                    server
                        .sasl_challenge(id, br#"{"status":"invalid_token"}"#)
                        .unwrap();
                    pending_sasl = Some(mechanism);
                }
            }
            ServerEvent::SaslResponse { id, response } => {
                let expected: &[u8] = match &pending_sasl {
                    Some(m) if *m == Mechanism::OAUTHBEARER => b"\x01",
                    _ => b"",
                };
                assert_eq!(response.expose().as_slice(), expected);
                server.reject(id).unwrap();
            }
            ServerEvent::Mail {
                id,
                from: sender,
                params,
            } => {
                if options.require_auth && !server.is_authenticated() {
                    server
                        .reply(
                            id,
                            reply(
                                ReplyCode::AUTH_REQUIRED,
                                (5, 7, 0),
                                "Authentication required",
                            ),
                        )
                        .unwrap();
                    continue;
                }
                from = sender.to_string();
                params_8bit = params.body == Some(mailwire_smtp::types::Body::EightBitMime);
                params_utf8 = params.smtputf8;
                server.accept(id).unwrap();
            }
            ServerEvent::Recipient { id, to, .. } => {
                let address = to.to_string();
                let bare = address.trim_matches(|c| c == '<' || c == '>').to_string();
                if options.reject.contains(&bare) {
                    server
                        .reply(
                            id,
                            reply(
                                ReplyCode::MAILBOX_UNAVAILABLE,
                                (5, 1, 1),
                                "No such user here",
                            ),
                        )
                        .unwrap();
                } else if options.defer.contains(&bare) {
                    server
                        .reply(
                            id,
                            reply(ReplyCode::LOCAL_ERROR, (4, 2, 1), "Mailbox busy, try later"),
                        )
                        .unwrap();
                } else {
                    server.accept(id).unwrap();
                }
            }
            ServerEvent::MessageStart { mode: started } => {
                mode = started;
                content.clear();
            }
            ServerEvent::MessageData(chunk) => content.extend_from_slice(&chunk),
            ServerEvent::MessageEnd { id, recipients, .. } => {
                let received = Received {
                    from: from.clone(),
                    to: recipients
                        .iter()
                        .map(|r| {
                            r.to_string()
                                .trim_matches(|c| c == '<' || c == '>')
                                .to_string()
                        })
                        .collect(),
                    content: std::mem::take(&mut content),
                    mode,
                    tls: server.is_tls(),
                    authenticated: server.is_authenticated(),
                    body_8bit: params_8bit,
                    smtputf8: params_utf8,
                    connection: number,
                };
                records.messages.lock().unwrap().push(received);
                server.accept(id).unwrap();
                if options.close_after_message {
                    server.close(Some(reply(
                        ReplyCode::SERVICE_NOT_AVAILABLE,
                        (4, 4, 2),
                        "Idle too long, closing",
                    )));
                }
            }
            _ => {}
        }
    }
}
