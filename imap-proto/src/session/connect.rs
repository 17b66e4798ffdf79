//! Opening a [`Session`]: the builder, TCP, implicit TLS or STARTTLS, the greeting and
//! the capabilities.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use mailwire_core::Session as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use super::{
    refusal, Session, SessionError, TimeoutStage, Trust, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_MESSAGE_SIZE, IMAPS_PORT, IMAP_PORT,
};
use crate::client::{Client, ClientConfig, ClientEvent, ClientState, CloseReason, ProtocolError};
use crate::tokio::{Driver, Next};
use crate::types::{Capability, GreetingKind, ResponseText};

/// Any stream a session runs on: TCP, or TLS over it.
pub(super) trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

pub(super) type BoxedStream = Box<dyn AsyncStream>;

impl std::fmt::Debug for dyn AsyncStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stream")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Security {
    ImplicitTls,
    StartTls,
    PlaintextLoopback,
}

/// Configures a [`Session`]; start with [`Session::builder`].
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    host: String,
    port: Option<u16>,
    address: Option<SocketAddr>,
    security: Security,
    trust: Trust,
    connect_timeout: Duration,
    max_message_size: u64,
    config: ClientConfig,
}

impl Session {
    /// A builder for the IMAP server `host`: STARTTLS on port 143, the platform's
    /// trusted roots, the client machine's default limits.
    pub fn builder(host: impl Into<String>) -> SessionBuilder {
        SessionBuilder {
            host: host.into(),
            port: None,
            address: None,
            security: Security::StartTls,
            trust: Trust::Platform,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            config: ClientConfig::default(),
        }
    }
}

impl SessionBuilder {
    /// Port 993 with TLS from the first byte (RFC 8314), instead of STARTTLS on 143.
    pub fn implicit_tls(mut self) -> Self {
        self.security = Security::ImplicitTls;
        self
    }

    /// STARTTLS, required (the default): port 143 unless [`port`](Self::port) says
    /// otherwise.
    pub fn starttls(mut self) -> Self {
        self.security = Security::StartTls;
        self
    }

    /// No TLS at all, for tests against a local server: a peer that is not a loopback
    /// address is refused with [`SessionError::PlaintextNotLoopback`] before anything
    /// is read or sent.
    pub fn insecure_plaintext_loopback_only(mut self) -> Self {
        self.security = Security::PlaintextLoopback;
        self
    }

    /// The server's port (default: 143, or 993 with implicit TLS).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Connects to this address instead of resolving the host name; the certificate is
    /// still checked against the host name.
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.address = Some(address);
        self
    }

    /// Which certificates are trusted (default: the platform's roots).
    pub fn trust(mut self, trust: Trust) -> Self {
        self.trust = trust;
        self
    }

    /// Trusts only the CA certificates of this PEM text.
    pub fn ca_pem(self, pem: impl Into<Vec<u8>>) -> Self {
        self.trust(Trust::CaPem(pem.into()))
    }

    /// Limit for opening the TCP connection, and again for the TLS handshake (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// Limit for the greeting and for each answer of the server (default: the client
    /// machine's [`DEFAULT_RESPONSE_TIMEOUT`](crate::client::DEFAULT_RESPONSE_TIMEOUT),
    /// 10 minutes); after it the session is closed with
    /// [`SessionError::TimedOut`].
    pub fn response_timeout(mut self, limit: Duration) -> Self {
        self.config.response_timeout = Some(limit);
        self
    }

    /// How long one IDLE command lasts before the session ends it and issues a new one
    /// (default [`DEFAULT_IDLE_REFRESH`](crate::client::DEFAULT_IDLE_REFRESH), 29
    /// minutes: RFC 2177 asks for less than 30).
    pub fn idle_refresh(mut self, every: Duration) -> Self {
        self.config.idle_refresh = every;
        self
    }

    /// The most message content (all fetched sections of one message together) a
    /// fetched [`Message`](super::Message) may carry (default [`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub fn max_message_size(mut self, limit: u64) -> Self {
        self.max_message_size = limit;
        self
    }

    /// The client machine's settings (limits, literal use, quirks); the settings of
    /// this builder ([`response_timeout`](Self::response_timeout),
    /// [`idle_refresh`](Self::idle_refresh), implicit TLS) are applied over it when
    /// called after it.
    pub fn client_config(mut self, config: ClientConfig) -> Self {
        self.config = config;
        self
    }

    /// Connects, protects the connection (TLS or STARTTLS) and learns the capabilities;
    /// the session is then ready for [`Session::login`].
    pub async fn connect(self) -> Result<Session, SessionError> {
        let server_name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|_| SessionError::InvalidServerName)?;
        let connector =
            tokio_rustls::TlsConnector::from(mailwire_core::tls::client_config(&self.trust)?);
        let port = self.port.unwrap_or(match self.security {
            Security::ImplicitTls => IMAPS_PORT,
            Security::StartTls | Security::PlaintextLoopback => IMAP_PORT,
        });
        let tcp = self.tcp_connect(port).await?;
        let mut stream: BoxedStream = Box::new(tcp);
        let mut config = self.config.clone();
        config.implicit_tls = self.security == Security::ImplicitTls;
        if config.implicit_tls {
            stream = handshake(&connector, &server_name, stream, self.connect_timeout).await?;
        }
        let mut driver = Driver::new(stream, Client::new(config, now()));
        let greeting = read_greeting(&mut driver).await?;
        if self.security == Security::StartTls {
            let preauth = driver.machine().state() != ClientState::NotAuthenticated;
            if preauth || !driver.machine().has_capability(&Capability::StartTls) {
                // Best effort: the error is the missing STARTTLS, whatever LOGOUT gives.
                if driver.machine_mut().logout().is_ok() {
                    let _ = tokio::time::timeout(self.connect_timeout, async {
                        while let Ok(Next::Event(_)) = driver.next_event().await {}
                    })
                    .await;
                }
                return Err(SessionError::StartTlsNotOffered);
            }
            driver = starttls(driver, &connector, &server_name, self.connect_timeout).await?;
        }
        let mut session = Session {
            driver,
            greeting,
            host: self.host,
            port,
            max_message_size: self.max_message_size,
            changes: VecDeque::new(),
            bye: None,
            fatal: None,
            close_reason: None,
            warnings: 0,
            unfinished: None,
        };
        session.await_capabilities().await?;
        Ok(session)
    }

    async fn tcp_connect(&self, port: u16) -> Result<TcpStream, SessionError> {
        mailwire_core::tokio::connect::connect_tcp(
            &self.host,
            self.address,
            port,
            self.connect_timeout,
            self.security == Security::PlaintextLoopback,
        )
        .await
        .map_err(|error| match error {
            mailwire_core::tokio::connect::ConnectError::TimedOut => {
                SessionError::TimedOut(TimeoutStage::Connect)
            }
            mailwire_core::tokio::connect::ConnectError::NotLoopback => {
                SessionError::PlaintextNotLoopback
            }
            mailwire_core::tokio::connect::ConnectError::Io(error) => SessionError::Connect(error),
            _ => SessionError::Connect(std::io::Error::other("cannot connect")),
        })
    }
}

/// The driver's clock, so paused-time tests see one time line.
pub(super) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

async fn handshake(
    connector: &tokio_rustls::TlsConnector,
    name: &rustls::pki_types::ServerName<'static>,
    stream: BoxedStream,
    limit: Duration,
) -> Result<BoxedStream, SessionError> {
    match tokio::time::timeout(limit, connector.connect(name.clone(), stream)).await {
        Err(_) => Err(SessionError::TimedOut(TimeoutStage::TlsHandshake)),
        Ok(Err(error)) => Err(SessionError::Tls(error)),
        Ok(Ok(tls)) => Ok(Box::new(tls)),
    }
}

/// The next event while connecting, with the session's end as an error.
async fn connect_event(
    driver: &mut Driver<BoxedStream, Client>,
) -> Result<ClientEvent, SessionError> {
    match driver.next_event().await.map_err(SessionError::Io)? {
        Next::Event(ClientEvent::ProtocolError { error }) if error.is_fatal() => {
            Err(SessionError::Protocol(error))
        }
        Next::Event(ClientEvent::Closed {
            reason: CloseReason::TimedOut,
            ..
        }) => Err(SessionError::TimedOut(TimeoutStage::Response)),
        Next::Event(ClientEvent::Closed { .. }) | Next::Closed | Next::StartTls => {
            Err(SessionError::Closed)
        }
        Next::Event(event) => Ok(event),
    }
}

/// Waits for the greeting; `* BYE` is [`SessionError::Rejected`].
async fn read_greeting(
    driver: &mut Driver<BoxedStream, Client>,
) -> Result<ResponseText<'static>, SessionError> {
    let greeting = loop {
        if let ClientEvent::Greeting { kind, text } = connect_event(driver).await? {
            if kind == GreetingKind::Bye {
                return Err(SessionError::Rejected(text));
            }
            break text;
        }
    };
    // The capabilities, asked by the machine when the greeting had none.
    while driver.machine().capabilities().is_none() && driver.machine().config().auto_capability {
        connect_event(driver).await?;
    }
    Ok(greeting)
}

/// STARTTLS, the handshake, and the session resumed over TLS.
async fn starttls(
    mut driver: Driver<BoxedStream, Client>,
    connector: &tokio_rustls::TlsConnector,
    name: &rustls::pki_types::ServerName<'static>,
    limit: Duration,
) -> Result<Driver<BoxedStream, Client>, SessionError> {
    let id = driver.machine_mut().starttls()?;
    loop {
        if let ClientEvent::Completed {
            id: got,
            command,
            state,
            text,
            ..
        } = connect_event(&mut driver).await?
        {
            if got == id {
                refusal(command, state, text)?;
                break;
            }
        }
    }
    match driver.next_event().await.map_err(SessionError::Io)? {
        Next::StartTls => {}
        Next::Event(ClientEvent::ProtocolError { error }) => {
            return Err(SessionError::Protocol(error))
        }
        Next::Event(_) | Next::Closed => return Err(SessionError::Closed),
    }
    let (plain, mut machine) = driver.into_parts();
    let secured = handshake(connector, name, plain, limit).await?;
    machine.handle_tls_established(now());
    // Octets the server sent after its OK and before the handshake are an injection
    // attempt: the session ends here.
    while let Some(event) = machine.poll_event() {
        if let ClientEvent::ProtocolError {
            error: error @ ProtocolError::DataAfterStartTls { .. },
        } = event
        {
            return Err(SessionError::Protocol(error));
        }
    }
    Ok(Driver::new(secured, machine))
}
