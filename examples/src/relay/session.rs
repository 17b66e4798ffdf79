//! One SMTP session from the relay to one address: our client machine
//! (mailwire-smtp) over mailwire-core's driver, STARTTLS or implicit TLS through
//! tokio-rustls, AUTH for the smart host, one mail transaction with PIPELINING,
//! CHUNKING and 8BITMIME when offered, and every recipient's result.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailwire_core::tokio::{Driver, Next};
use mailwire_core::Session;
use mailwire_lmtp::client::{DeliveryReport, DeliveryTracker};
use mailwire_smtp::client::{Client, ClientConfig, ClientError, ClientEvent, Credentials};
use mailwire_smtp::types::{EhloResponse, Host, Mechanism, Reply};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use crate::delivery::wire::{self, Prepared};
use crate::queue::{Clock, DeliveryJob, Diagnostic, Outcome};

/// Any byte stream the driver can run on: TCP, then TLS after STARTTLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How a session uses TLS.
#[derive(Clone)]
pub(crate) enum TlsPlan {
    /// Never.
    None,
    /// STARTTLS when offered; on a failed handshake the caller retries in cleartext.
    Opportunistic(TlsConnector),
    /// STARTTLS required (the connector verifies).
    Required(TlsConnector),
    /// TLS from the first byte (port 465 style).
    Implicit(TlsConnector),
}

/// Everything a session needs besides the destination and the message.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) hello: Host<'static>,
    pub(crate) tls: TlsPlan,
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) connect_timeout: Duration,
    pub(crate) session_timeout: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

/// How a session ended.
#[derive(Debug)]
pub(crate) enum SessionEnd {
    /// The server answered the transaction: every recipient has an outcome.
    Answered(Vec<Outcome>),
    /// No transaction result: try the next address. `tls_failed` says the TLS
    /// handshake failed (worth a cleartext retry when TLS was opportunistic).
    Failed {
        diagnostic: Diagnostic,
        tls_failed: bool,
        /// True when the server refused for good (5yz greeting or AUTH refusal), not
        /// a network problem.
        permanent: bool,
    },
}

fn reply_diagnostic(reply: &Reply<'_>, remote: &str, now: std::time::SystemTime) -> Diagnostic {
    let code = reply.code();
    let status = reply.enhanced().map(|e| e.to_string()).unwrap_or_else(|| {
        if code.is_permanent_failure() {
            String::from("5.0.0")
        } else {
            String::from("4.0.0")
        }
    });
    Diagnostic {
        status,
        reply_code: Some(code.get()),
        text: reply.lines().collect::<Vec<_>>().join(" "),
        remote_mta: Some(remote.to_string()),
        relayed: true,
        dsn_passed_on: false,
        at: now,
    }
}

struct Run<'a> {
    job: &'a DeliveryJob,
    settings: &'a Settings,
    remote: String,
    prepared: Option<Prepared>,
    tracker: DeliveryTracker,
    report: Option<DeliveryReport>,
    decided: Option<Vec<Outcome>>,
    failure: Option<(Diagnostic, bool)>,
    started: bool,
    dsn_offered: bool,
    tls_refused: bool,
}

impl Run<'_> {
    fn fail(&mut self, status: &str, text: String, permanent: bool) {
        let mut diagnostic = wire::local(status, text, self.settings.clock.now());
        diagnostic.remote_mta = Some(self.remote.clone());
        self.failure.get_or_insert((diagnostic, permanent));
    }

    fn fail_reply(&mut self, reply: &Reply<'_>) {
        let diagnostic = reply_diagnostic(reply, &self.remote, self.settings.clock.now());
        let permanent = reply.code().is_permanent_failure();
        self.failure.get_or_insert((diagnostic, permanent));
    }

    /// The next step once the session is ready (after EHLO, STARTTLS or AUTH).
    fn proceed(&mut self, client: &mut Client) {
        let capabilities = client.capabilities().cloned();
        let offers = |keyword: &str| {
            capabilities
                .as_ref()
                .is_some_and(|c: &EhloResponse<'static>| c.has_keyword(keyword))
        };
        if !client.is_tls() && !self.tls_refused {
            match &self.settings.tls {
                TlsPlan::Opportunistic(_) if offers("STARTTLS") => {
                    if let Err(error) = client.starttls() {
                        self.fail("4.7.0", format!("starttls: {error}"), false);
                        let _ = client.quit();
                    }
                    return;
                }
                TlsPlan::Required(_) => {
                    if offers("STARTTLS") {
                        if let Err(error) = client.starttls() {
                            self.fail("4.7.0", format!("starttls: {error}"), false);
                            let _ = client.quit();
                        }
                    } else {
                        self.fail(
                            "4.7.0",
                            String::from("tls required, starttls not offered"),
                            false,
                        );
                        let _ = client.quit();
                    }
                    return;
                }
                _ => {}
            }
        }
        if let Some((user, password)) = &self.settings.credentials {
            if !client.is_authenticated() {
                if !offers("AUTH") {
                    self.fail(
                        "4.7.0",
                        String::from("the relay host does not offer auth"),
                        false,
                    );
                    let _ = client.quit();
                    return;
                }
                let plain = capabilities
                    .as_ref()
                    .is_some_and(|c| c.offers_mechanism(&Mechanism::PLAIN));
                let credentials = if plain {
                    Credentials::plain(user.clone(), password.clone())
                } else {
                    Credentials::login(user.clone(), password.clone())
                };
                if let Err(error) = client.authenticate(credentials) {
                    self.fail("4.7.0", format!("auth: {error}"), false);
                    let _ = client.quit();
                }
                return;
            }
        }
        if self.started {
            return;
        }
        self.started = true;
        self.dsn_offered = offers("DSN");
        let now = self.settings.clock.now();
        let prepared = match wire::prepare(self.job, capabilities.as_ref(), now) {
            Ok(prepared) => prepared,
            Err(outcome) => {
                self.decided = Some(
                    self.job
                        .recipients
                        .iter()
                        .map(|_| outcome.clone())
                        .collect(),
                );
                let _ = client.quit();
                return;
            }
        };
        let envelope = prepared.envelope.clone();
        match client.start_mail(envelope.clone()) {
            Ok(transaction) => {
                self.tracker.track(transaction, &envelope);
                // The machine holds the content until the server is ready for it.
                let _ = client.send_body(self.job.content.clone());
                let _ = client.finish_body();
                self.prepared = Some(prepared);
            }
            Err(ClientError::TooLarge { .. }) => {
                let mut diagnostic =
                    wire::local("5.3.4", "message larger than the server's size limit", now);
                diagnostic.remote_mta = Some(self.remote.clone());
                self.decided = Some(wire::all(self.job, Outcome::Failed, diagnostic));
                let _ = client.quit();
            }
            Err(ClientError::NotOffered { extension }) => {
                let mut diagnostic = wire::local(
                    "5.6.7",
                    format!("the server does not offer {extension}, which the message needs"),
                    now,
                );
                diagnostic.remote_mta = Some(self.remote.clone());
                self.decided = Some(wire::all(self.job, Outcome::Failed, diagnostic));
                let _ = client.quit();
            }
            Err(error) => {
                self.fail(
                    "4.3.0",
                    format!("cannot start the transaction: {error}"),
                    false,
                );
                let _ = client.quit();
            }
        }
    }

    fn on_event(&mut self, client: &mut Client, event: ClientEvent) {
        if let Some(report) = self.tracker.observe(&event) {
            self.report = Some(report);
            let _ = client.quit();
            return;
        }
        match event {
            ClientEvent::Ready { .. } | ClientEvent::Authenticated { .. } => self.proceed(client),
            ClientEvent::StartTlsRefused { reply } => {
                if matches!(self.settings.tls, TlsPlan::Required(_)) {
                    self.fail_reply(&reply);
                    let _ = client.quit();
                } else {
                    // Opportunistic: go on in cleartext.
                    self.tls_refused = true;
                    self.proceed(client);
                }
            }
            ClientEvent::AuthFailed { reply } => {
                self.fail_reply(&reply);
                let _ = client.quit();
            }
            ClientEvent::GreetingRefused { reply }
            | ClientEvent::HelloRefused { reply }
            | ClientEvent::ServiceClosing { reply } => self.fail_reply(&reply),
            ClientEvent::TimedOut { waiting } => {
                self.fail("4.4.2", format!("no reply in time ({waiting:?})"), false)
            }
            ClientEvent::ProtocolError(error) => {
                tracing::debug!(remote = %self.remote, %error, "relay: protocol error");
            }
            ClientEvent::ConnectionLost => {
                self.fail("4.4.2", String::from("connection lost"), false)
            }
            _ => {}
        }
    }
}

async fn connect(address: SocketAddr, settings: &Settings) -> Result<TcpStream, String> {
    match tokio::time::timeout(settings.connect_timeout, TcpStream::connect(address)).await {
        Ok(Ok(stream)) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Ok(Err(error)) => Err(format!("connect to {address}: {error}")),
        Err(_) => Err(format!("connect to {address}: timed out")),
    }
}

async fn handshake(
    connector: &TlsConnector,
    host_name: &str,
    stream: Box<dyn Stream>,
    timeout: Duration,
) -> Result<Box<dyn Stream>, String> {
    let name = ServerName::try_from(host_name.to_string())
        .map_err(|_| format!("{host_name} is not a tls server name"))?;
    match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
        Ok(Ok(tls)) => Ok(Box::new(tls)),
        Ok(Err(error)) => Err(format!("tls handshake: {error}")),
        Err(_) => Err(String::from("tls handshake: timed out")),
    }
}

/// Delivers `job` in one session to `address` (`host_name` names it for TLS and logs).
pub(crate) async fn deliver(
    address: SocketAddr,
    host_name: &str,
    job: &DeliveryJob,
    settings: &Settings,
) -> SessionEnd {
    let remote = format!("{host_name} [{}]", address.ip());
    let work = session(address, host_name, &remote, job, settings);
    match tokio::time::timeout(settings.session_timeout, work).await {
        Ok(end) => end,
        Err(_) => {
            let mut diagnostic = wire::local("4.4.2", "session timed out", settings.clock.now());
            diagnostic.remote_mta = Some(remote);
            SessionEnd::Failed {
                diagnostic,
                tls_failed: false,
                permanent: false,
            }
        }
    }
}

async fn session(
    address: SocketAddr,
    host_name: &str,
    remote: &str,
    job: &DeliveryJob,
    settings: &Settings,
) -> SessionEnd {
    let failed = |status: &str, text: String, tls_failed: bool| {
        let mut diagnostic = wire::local(status, text, settings.clock.now());
        diagnostic.remote_mta = Some(remote.to_string());
        SessionEnd::Failed {
            diagnostic,
            tls_failed,
            permanent: false,
        }
    };
    let tcp = match connect(address, settings).await {
        Ok(tcp) => tcp,
        Err(text) => return failed("4.4.1", text, false),
    };
    let mut config = ClientConfig::new(settings.hello.clone());
    let mut stream: Box<dyn Stream> = Box::new(tcp);
    if let TlsPlan::Implicit(connector) = &settings.tls {
        stream = match handshake(connector, host_name, stream, settings.connect_timeout).await {
            Ok(stream) => stream,
            Err(text) => return failed("4.7.0", text, true),
        };
        config.implicit_tls = true;
    }
    let now = tokio::time::Instant::now().into_std();
    let mut driver = Driver::new(stream, Client::new(config, now));
    let mut run = Run {
        job,
        settings,
        remote: remote.to_string(),
        prepared: None,
        tracker: DeliveryTracker::new(),
        report: None,
        decided: None,
        failure: None,
        started: false,
        dsn_offered: false,
        tls_refused: false,
    };
    loop {
        match driver.next_event().await {
            Ok(Next::Event(event)) => run.on_event(driver.machine_mut(), event),
            Ok(Next::StartTls) => {
                let connector = match &settings.tls {
                    TlsPlan::Opportunistic(c) | TlsPlan::Required(c) | TlsPlan::Implicit(c) => {
                        c.clone()
                    }
                    TlsPlan::None => return failed("4.7.0", String::from("unexpected tls"), false),
                };
                let (stream, mut client) = driver.into_parts();
                let tls = match handshake(&connector, host_name, stream, settings.connect_timeout)
                    .await
                {
                    Ok(tls) => tls,
                    Err(text) => return failed("4.7.0", text, true),
                };
                client.handle_tls_established(tokio::time::Instant::now().into_std());
                driver = Driver::new(tls, client);
            }
            Ok(Next::Closed) => break,
            Err(error) => {
                // The machine ends a transaction under way with its report.
                driver
                    .machine_mut()
                    .handle_eof(tokio::time::Instant::now().into_std());
                while let Some(event) = driver.machine_mut().poll_event() {
                    if let Some(report) = run.tracker.observe(&event) {
                        run.report = Some(report);
                    }
                }
                if run.report.is_none() {
                    run.fail("4.4.2", format!("connection failed: {error}"), false);
                }
                break;
            }
        }
    }
    let now = settings.clock.now();
    if let Some(decided) = run.decided {
        return SessionEnd::Answered(decided);
    }
    if let (Some(prepared), Some(report)) = (&run.prepared, &run.report) {
        let mut outcomes = wire::outcomes(prepared, report, Some(remote), !run.dsn_offered, now);
        if run.dsn_offered {
            for outcome in &mut outcomes {
                if let Outcome::Delivered(diagnostic) = outcome {
                    diagnostic.dsn_passed_on = true;
                }
            }
        }
        return SessionEnd::Answered(outcomes);
    }
    match run.failure {
        Some((diagnostic, permanent)) => SessionEnd::Failed {
            diagnostic,
            tls_failed: false,
            permanent,
        },
        None => failed(
            "4.4.2",
            String::from("the session ended without a result"),
            false,
        ),
    }
}
