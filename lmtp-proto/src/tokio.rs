//! tokio adapters (feature `tokio`): mailwire-core's generic [`Driver`] re-exported,
//! [`LmtpClient`] (an async delivering client on the client machine), and helpers that
//! put either machine on a TCP or unix-domain socket.
//!
//! LMTP is mostly spoken over a unix socket between an MTA and the delivery agent on the
//! same host (Postfix's `lmtp:unix:private/dovecot-lmtp`), or over TCP on a local
//! network (RFC 2033 §5: not over wide area networks, never on port 25).
//!
//! TLS stays in the transport: [`LmtpClient::starttls`] hands the plain stream to a
//! closure that performs the handshake (tokio-rustls, for example); on the server side
//! [`Next::StartTls`] asks the caller to do it, as in mailwire-core's driver docs.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mailwire_lmtp::client::{client_config, MailEnvelope};
//! use mailwire_lmtp::server::{Delivery, LmtpServerConfig, ServerEvent};
//! use mailwire_lmtp::tokio::{server_driver, LmtpClient, Next};
//! use mailwire_lmtp::types::{Host, Mailbox};
//!
//! let (client_side, server_side) = tokio::io::duplex(4096);
//! // The server: accept everything at RCPT, then a full mailbox for the second recipient.
//! let config = LmtpServerConfig::builder("mda.example").build()?;
//! let mut server = server_driver(server_side, &config);
//! let serving = tokio::spawn(async move {
//!     while let Ok(Next::Event(event)) = server.next_event().await {
//!         let machine = server.machine_mut();
//!         match event {
//!             ServerEvent::Mail { id, .. } | ServerEvent::Recipient { id, .. } => machine.accept(id)?,
//!             ServerEvent::MessageEnd { id, .. } => machine.deliver_all(
//!                 id,
//!                 [Delivery::Delivered, Delivery::MailboxFull { permanent: true }],
//!             )?,
//!             _ => {}
//!         }
//!     }
//!     Ok::<_, mailwire_lmtp::server::LmtpServerError>(())
//! });
//!
//! let hello = Host::new("mta.example")?.into_owned();
//! let mut client = LmtpClient::connect(client_side, client_config(hello)).await?;
//! let envelope = MailEnvelope::new(Mailbox::parse("a@example.org")?.into_owned())
//!     .to(Mailbox::parse("b@example.org")?.into_owned())
//!     .to(Mailbox::parse("c@example.org")?.into_owned());
//! let report = client.deliver(envelope, &b"Subject: hi\r\n\r\nHello\r\n"[..]).await?;
//! assert_eq!(report.delivered().count(), 1);
//! assert_eq!(report.recipients[1].code().map(|c| c.get()), Some(552));
//! client.quit().await?;
//! serving.await??;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use ::tokio::io::{AsyncRead, AsyncWrite};
use ::tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use bytes::Bytes;
use mailwire_core::Session;

pub use mailwire_core::tokio::{Driver, Next, DEFAULT_READ_BUFFER};

use crate::client::{
    new_client, Client, ClientConfig, ClientError, ClientEvent, DeliveryReport, DeliveryTracker,
    MailEnvelope, ProtocolError, TransactionId, Waiting,
};
use crate::server::{LmtpServer, LmtpServerConfig};
use crate::types::{EhloResponse, Reply};

/// A client machine driven over a stream.
pub type ClientDriver<S> = Driver<S, Client>;

/// An LMTP server machine driven over a stream.
pub type ServerDriver<S> = Driver<S, LmtpServer>;

/// Why an [`LmtpClient`] operation failed. Per-recipient failures are not errors: they
/// are in the [`DeliveryReport`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LmtpError {
    /// The transport failed before the session was ready.
    #[error("i/o error")]
    Io(#[source] io::Error),
    /// The server refused the session (in its greeting, or to LHLO).
    #[error("the server refused the session")]
    Refused(Reply<'static>),
    /// The server refused STARTTLS; the session goes on unencrypted.
    #[error("the server refused starttls")]
    StartTlsRefused(Reply<'static>),
    /// The server closed the session with 421.
    #[error("the server closed the session")]
    ServiceClosing(Reply<'static>),
    /// No reply came in time.
    #[error("no reply in time")]
    TimedOut(Waiting),
    /// The server broke the protocol and the session was closed.
    #[error("protocol error")]
    Protocol(#[source] ProtocolError),
    /// The client machine refused the call.
    #[error("the client machine refused the call")]
    Client(#[from] ClientError),
    /// The session is closed.
    #[error("the session is closed")]
    Closed,
}

impl From<io::Error> for LmtpError {
    fn from(error: io::Error) -> Self {
        LmtpError::Io(error)
    }
}

/// The machines' clock: tokio's, so that tests with a paused clock stay consistent with
/// the driver's timers.
fn now() -> Instant {
    ::tokio::time::Instant::now().into_std()
}

/// An async LMTP client over the stream `S`, on the client machine in its LMTP flavor.
#[derive(Debug)]
pub struct LmtpClient<S> {
    driver: Driver<S, Client>,
    tracker: DeliveryTracker,
}

impl<S> LmtpClient<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Waits for the greeting and the LHLO reply on `stream`.
    pub async fn connect(stream: S, config: ClientConfig) -> Result<Self, LmtpError> {
        let client = new_client(config, now());
        let mut this = LmtpClient {
            driver: Driver::new(stream, client),
            tracker: DeliveryTracker::new(),
        };
        this.wait_ready().await?;
        Ok(this)
    }

    async fn wait_ready(&mut self) -> Result<(), LmtpError> {
        let mut fatal = None;
        loop {
            match self.driver.next_event().await? {
                Next::Event(ClientEvent::Ready { .. }) => return Ok(()),
                Next::Event(
                    ClientEvent::GreetingRefused { reply } | ClientEvent::HelloRefused { reply },
                ) => fatal = Some(LmtpError::Refused(reply)),
                Next::Event(ClientEvent::ServiceClosing { reply }) => {
                    fatal = Some(LmtpError::ServiceClosing(reply))
                }
                Next::Event(ClientEvent::TimedOut { waiting }) => {
                    fatal = Some(LmtpError::TimedOut(waiting))
                }
                // Unreadable capabilities leave the session usable; other violations
                // close it, and the first one says why.
                Next::Event(ClientEvent::ProtocolError(ProtocolError::MalformedCapabilities(
                    _,
                ))) => {}
                Next::Event(ClientEvent::ProtocolError(error)) => {
                    fatal.get_or_insert(LmtpError::Protocol(error));
                }
                Next::Event(_) => {}
                Next::StartTls | Next::Closed => return Err(fatal.unwrap_or(LmtpError::Closed)),
            }
        }
    }

    /// The capabilities of the latest LHLO reply.
    pub fn capabilities(&self) -> Option<&EhloResponse<'static>> {
        self.driver.machine().capabilities()
    }

    /// The machine, to inspect it.
    pub fn machine(&self) -> &Client {
        self.driver.machine()
    }

    /// The driver, for direct use of the machine.
    pub fn driver_mut(&mut self) -> &mut ClientDriver<S> {
        &mut self.driver
    }

    /// Gives back the driver.
    pub fn into_driver(self) -> ClientDriver<S> {
        self.driver
    }

    /// Delivers one message (header and body with CRLF line ends) to the envelope's
    /// recipients and returns each recipient's result.
    ///
    /// If the connection fails or closes before every reply came, the recipients already
    /// answered keep their results and the others are temporary failures (RFC 2033 §5);
    /// that is still an `Ok` report, so that delivered recipients are not delivered
    /// twice on a retry. Errors are the machine refusing the call (busy, closed, an
    /// extension the envelope needs is not offered).
    pub async fn deliver(
        &mut self,
        envelope: MailEnvelope,
        message: impl Into<Bytes>,
    ) -> Result<DeliveryReport, LmtpError> {
        self.deliver_chunks(envelope, [message.into()]).await
    }

    /// As [`deliver`](Self::deliver), with the content in chunks (each becomes one BDAT
    /// chunk when the server offers CHUNKING).
    pub async fn deliver_chunks(
        &mut self,
        envelope: MailEnvelope,
        chunks: impl IntoIterator<Item = Bytes>,
    ) -> Result<DeliveryReport, LmtpError> {
        let machine = self.driver.machine_mut();
        let transaction = machine.start_mail(envelope.clone())?;
        self.tracker.track(transaction, &envelope);
        for chunk in chunks {
            // Refused only once the transaction ended early (MAIL refused, no recipient
            // accepted): its report is on the way.
            if machine.send_body(chunk).is_err() {
                break;
            }
        }
        let _ = machine.finish_body();
        self.wait_report(transaction).await
    }

    async fn wait_report(
        &mut self,
        transaction: TransactionId,
    ) -> Result<DeliveryReport, LmtpError> {
        loop {
            let next = self.driver.next_event().await;
            let event = match next {
                Ok(Next::Event(event)) => event,
                Ok(Next::StartTls | Next::Closed) => {
                    // The machine ends a transaction it closes under with its report
                    // first, so this is a transaction it never had.
                    return Err(LmtpError::Closed);
                }
                Err(_) => {
                    // The connection failed: the machine ends the transaction, keeping
                    // the replies that arrived (RFC 2033 §5).
                    self.driver.machine_mut().handle_eof(now());
                    match self.drain_report(transaction) {
                        Some(report) => return Ok(report),
                        None => return Err(LmtpError::Closed),
                    }
                }
            };
            if let Some(report) = self.tracker.observe(&event) {
                if report.transaction == transaction {
                    return Ok(report);
                }
            }
        }
    }

    fn drain_report(&mut self, transaction: TransactionId) -> Option<DeliveryReport> {
        let mut found = None;
        while let Some(event) = self.driver.machine_mut().poll_event() {
            if let Some(report) = self.tracker.observe(&event) {
                if report.transaction == transaction {
                    found = Some(report);
                }
            }
        }
        found
    }

    /// Sends QUIT and waits for the server to close.
    pub async fn quit(mut self) -> Result<(), LmtpError> {
        self.driver.machine_mut().quit()?;
        loop {
            match self.driver.next_event().await {
                Ok(Next::Event(_)) => {}
                Ok(Next::StartTls | Next::Closed) => return Ok(()),
                // The server may drop the connection right after its 221.
                Err(_) if self.driver.machine().is_closed() => return Ok(()),
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// STARTTLS (RFC 3207): `upgrade` performs the TLS handshake on the plain stream,
    /// then LHLO is sent again over TLS.
    pub async fn starttls<T, F, Fut>(mut self, upgrade: F) -> Result<LmtpClient<T>, LmtpError>
    where
        T: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(S) -> Fut,
        Fut: Future<Output = io::Result<T>>,
    {
        self.driver.machine_mut().starttls()?;
        loop {
            match self.driver.next_event().await? {
                Next::StartTls => break,
                Next::Event(ClientEvent::StartTlsRefused { reply }) => {
                    return Err(LmtpError::StartTlsRefused(reply))
                }
                Next::Event(ClientEvent::ServiceClosing { reply }) => {
                    return Err(LmtpError::ServiceClosing(reply))
                }
                Next::Event(ClientEvent::TimedOut { waiting }) => {
                    return Err(LmtpError::TimedOut(waiting))
                }
                // Bytes after the server's 220 were discarded by the machine (injection).
                Next::Event(_) => {}
                Next::Closed => return Err(LmtpError::Closed),
            }
        }
        let (stream, mut machine) = self.driver.into_parts();
        let stream = upgrade(stream).await?;
        machine.handle_tls_established(now());
        let mut upgraded = LmtpClient {
            driver: Driver::new(stream, machine),
            tracker: self.tracker,
        };
        upgraded.wait_ready().await?;
        Ok(upgraded)
    }
}

impl LmtpClient<TcpStream> {
    /// Connects over TCP (LMTP's registered port is 24) and waits for the session to be
    /// ready.
    pub async fn connect_tcp(
        address: impl ToSocketAddrs,
        config: ClientConfig,
    ) -> Result<Self, LmtpError> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Self::connect(stream, config).await
    }
}

#[cfg(unix)]
impl LmtpClient<::tokio::net::UnixStream> {
    /// Connects to a unix-domain socket (how an MTA usually reaches its delivery agent)
    /// and waits for the session to be ready.
    pub async fn connect_unix(
        path: impl AsRef<std::path::Path>,
        config: ClientConfig,
    ) -> Result<Self, LmtpError> {
        let stream = ::tokio::net::UnixStream::connect(path).await?;
        Self::connect(stream, config).await
    }
}

/// A new LMTP server machine for a connection accepted now, driven over `stream`; the
/// greeting is sent with the first [`Driver::next_event`].
pub fn server_driver<S>(stream: S, config: &LmtpServerConfig) -> ServerDriver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Driver::new(stream, LmtpServer::new(config.clone(), now()))
}

/// Accepts the next TCP connection and puts a new server machine on it.
pub async fn accept_tcp(
    listener: &TcpListener,
    config: &LmtpServerConfig,
) -> io::Result<(ServerDriver<TcpStream>, SocketAddr)> {
    let (stream, peer) = listener.accept().await?;
    stream.set_nodelay(true)?;
    Ok((server_driver(stream, config), peer))
}

/// Accepts the next unix-socket connection and puts a new server machine on it.
#[cfg(unix)]
pub async fn accept_unix(
    listener: &::tokio::net::UnixListener,
    config: &LmtpServerConfig,
) -> io::Result<ServerDriver<::tokio::net::UnixStream>> {
    let (stream, _) = listener.accept().await?;
    Ok(server_driver(stream, config))
}
