//! Reading a mailbox from an application (feature `tls`): [`Pop3Session`] connects
//! over implicit TLS (port 995) or STLS (port 110, required), logs in, lists the
//! messages with their unique ids, retrieves one as a [`Stream`] of octets, deletes and
//! quits. It is built on the Sans-IO [`Client`](crate::client::Client) machine through
//! [`Pop3Client`](crate::tokio::Pop3Client), tokio and tokio-rustls.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use mailwire_pop3::session::Pop3Session;
//!
//! # async fn read() -> Result<(), Box<dyn std::error::Error>> {
//! let mut session = Pop3Session::builder("pop.example.com").connect().await?; // STLS on 110
//! session.login("alice", "app password").await?;
//! for message in session.list().await? {
//!     let mut octets = Vec::new();
//!     let mut body = session.retrieve(message.number);
//!     while let Some(chunk) = body.next().await {
//!         octets.extend_from_slice(&chunk?);
//!     }
//!     println!("{:?}: {} octets", message.uid, octets.len());
//! }
//! session.quit().await?;
//! # Ok(()) }
//! ```
//!
//! - STLS (RFC 2595) is required unless the session is built with
//!   [`SessionBuilder::implicit_tls`]; a server that does not offer it gets QUIT and
//!   [`MailboxError::StlsNotOffered`], never a silent fall back to clear text. Clear
//!   text exists only as [`SessionBuilder::insecure_plaintext_loopback_only`], refused
//!   towards any peer that is not loopback, for tests.
//! - Certificates come from the platform's store (rustls-native-certs) or only the CA
//!   certificates given ([`Trust`]).
//! - Login uses USER/PASS, or AUTH PLAIN (RFC 5034) when the server offers SASL PLAIN
//!   and not USER.
//! - Message octets arrive as they are read (dot-unstuffed by the machine), never
//!   accumulated. A retrieval dropped before its end is read to its end (and dropped)
//!   before the next command, so the session stays usable.
//! - Deletions take effect at [`Pop3Session::quit`] (RFC 1939 UPDATE state); dropping
//!   the session without QUIT leaves the mailbox as it was.
//!
//! A blocking API (for applications without tokio) is out of scope: use a tokio
//! runtime's `block_on`.

mod error;

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
pub use futures_util::Stream;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

pub use error::{MailboxError, TimeoutStage};
pub use mailwire_core::tls::Trust;

use crate::client::{ClientConfig, ClientEvent, CommandId, DEFAULT_RESPONSE_TIMEOUT};
use crate::sasl::PlainCredentials;
use crate::tokio::{Next, Pop3Client, Pop3Error};
use crate::types::{Capability, Command, MessageNumber, StatusLine, UniqueId};

/// Default port of POP3 with STLS.
pub const POP3_PORT: u16 = 110;
/// Default port of POP3 over implicit TLS (RFC 8314 §7.3).
pub const POP3S_PORT: u16 = 995;
/// Default limit for opening the TCP connection and for the TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Any stream a session runs on: TCP, or TLS over it.
trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

type BoxedStream = Box<dyn AsyncStream>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    ImplicitTls,
    Stls,
    PlaintextLoopback,
}

/// Configures a [`Pop3Session`]; start with [`Pop3Session::builder`].
#[derive(Debug, Clone)]
pub struct SessionBuilder {
    host: String,
    port: Option<u16>,
    address: Option<SocketAddr>,
    security: Security,
    trust: Trust,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl SessionBuilder {
    /// Port 995 with TLS from the first byte (RFC 8314), instead of STLS on 110.
    pub fn implicit_tls(mut self) -> Self {
        self.security = Security::ImplicitTls;
        self
    }

    /// STLS, required (the default): port 110 unless [`port`](Self::port) says
    /// otherwise.
    pub fn stls(mut self) -> Self {
        self.security = Security::Stls;
        self
    }

    /// No TLS at all, for tests against a local server: a peer that is not a loopback
    /// address is refused with [`MailboxError::PlaintextNotLoopback`] before anything
    /// is read or sent.
    pub fn insecure_plaintext_loopback_only(mut self) -> Self {
        self.security = Security::PlaintextLoopback;
        self
    }

    /// The server's port (default: 110, or 995 with implicit TLS).
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

    /// Limit for each answer of the server (default: the client machine's
    /// [`DEFAULT_RESPONSE_TIMEOUT`], 10 minutes as RFC 1939's autologout); after it the
    /// session is closed.
    pub fn response_timeout(mut self, limit: Duration) -> Self {
        self.response_timeout = limit;
        self
    }

    /// Connects, protects the connection (TLS or STLS) and reads the capabilities; the
    /// session is then ready for [`Pop3Session::login`].
    pub async fn connect(self) -> Result<Pop3Session, MailboxError> {
        let server_name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|_| MailboxError::InvalidServerName)?;
        let connector =
            tokio_rustls::TlsConnector::from(mailwire_core::tls::client_config(&self.trust)?);
        let port = self.port.unwrap_or(match self.security {
            Security::ImplicitTls => POP3S_PORT,
            Security::Stls | Security::PlaintextLoopback => POP3_PORT,
        });
        let tcp = self.tcp_connect(port).await?;
        let stream: BoxedStream = Box::new(tcp);
        let stream = if self.security == Security::ImplicitTls {
            handshake(&connector, &server_name, stream, self.connect_timeout)
                .await
                .map_err(|error| tls_error(&error).unwrap_or(MailboxError::Tls(error)))?
        } else {
            stream
        };
        let config = ClientConfig {
            response_timeout: Some(self.response_timeout),
            ..ClientConfig::default()
        };
        let (mut client, greeting) = Pop3Client::connect(stream, config).await?;
        let mut capabilities = read_capabilities(&mut client).await?;
        if self.security == Security::Stls {
            if !capabilities.contains(&Capability::Stls) {
                // Best effort: the error is the missing STLS, whatever QUIT gives.
                let _ = tokio::time::timeout(self.connect_timeout, client.quit()).await;
                return Err(MailboxError::StlsNotOffered);
            }
            let limit = self.connect_timeout;
            client = client
                .stls(
                    |plain| async move { handshake(&connector, &server_name, plain, limit).await },
                )
                .await
                .map_err(|error| match error {
                    Pop3Error::Io(error) => tls_error(&error).unwrap_or(MailboxError::Tls(error)),
                    other => MailboxError::from(other),
                })?;
            // RFC 2595 §4: what was learned before TLS is forgotten.
            capabilities = read_capabilities(&mut client).await?;
        }
        Ok(Pop3Session {
            client,
            capabilities,
            greeting,
            unfinished: None,
        })
    }

    async fn tcp_connect(&self, port: u16) -> Result<TcpStream, MailboxError> {
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
                MailboxError::TimedOut(TimeoutStage::Connect)
            }
            mailwire_core::tokio::connect::ConnectError::NotLoopback => {
                MailboxError::PlaintextNotLoopback
            }
            mailwire_core::tokio::connect::ConnectError::Io(error) => MailboxError::Connect(error),
            _ => MailboxError::Connect(std::io::Error::other("cannot connect")),
        })
    }
}

/// The handshake's time limit shows as this error kind.
fn tls_error(error: &io::Error) -> Option<MailboxError> {
    (error.kind() == io::ErrorKind::TimedOut)
        .then_some(MailboxError::TimedOut(TimeoutStage::TlsHandshake))
}

async fn handshake(
    connector: &tokio_rustls::TlsConnector,
    name: &rustls::pki_types::ServerName<'static>,
    stream: BoxedStream,
    limit: Duration,
) -> io::Result<BoxedStream> {
    match tokio::time::timeout(limit, connector.connect(name.clone(), stream)).await {
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "tls handshake timed out",
        )),
        Ok(Err(error)) => Err(error),
        Ok(Ok(tls)) => Ok(Box::new(tls)),
    }
}

/// CAPA; a server without CAPA (RFC 1939 only) has none.
async fn read_capabilities(
    client: &mut Pop3Client<BoxedStream>,
) -> Result<Vec<Capability<'static>>, MailboxError> {
    match client.capa().await {
        Ok(capabilities) => Ok(capabilities),
        Err(Pop3Error::Refused(_)) => Ok(Vec::new()),
        Err(error) => Err(error.into()),
    }
}

/// A message of the mailbox, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedMessage {
    /// Its number in this session (RFC 1939: valid until QUIT).
    pub number: MessageNumber,
    /// Its size in octets as the server counts it (with CRLF line ends).
    pub size: u64,
    /// Its unique id (UIDL), stable across sessions; `None` when the server has no
    /// UIDL.
    pub uid: Option<UniqueId<'static>>,
}

/// A POP3 session for an application; see the [module docs](self).
#[derive(Debug)]
pub struct Pop3Session {
    client: Pop3Client<BoxedStream>,
    capabilities: Vec<Capability<'static>>,
    greeting: StatusLine<'static>,
    /// A RETR whose stream was dropped before its end: the rest of its answer is read
    /// and dropped before the next command.
    unfinished: Option<CommandId>,
}

impl std::fmt::Debug for dyn AsyncStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stream")
    }
}

impl Pop3Session {
    /// A builder for the POP3 server `host`: STLS on port 110, the platform's trusted
    /// roots, RFC 1939's time limits.
    pub fn builder(host: impl Into<String>) -> SessionBuilder {
        SessionBuilder {
            host: host.into(),
            port: None,
            address: None,
            security: Security::Stls,
            trust: Trust::Platform,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
        }
    }

    /// The server's greeting.
    pub fn greeting(&self) -> &StatusLine<'static> {
        &self.greeting
    }

    /// The server's capabilities (CAPA, read again after TLS).
    pub fn capabilities(&self) -> &[Capability<'static>] {
        &self.capabilities
    }

    /// Logs in with a user name and password: USER/PASS, or AUTH PLAIN when the
    /// server offers SASL PLAIN and not USER. A wrong password is
    /// [`MailboxError::Refused`] with the server's line (often `[AUTH]`).
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), MailboxError> {
        self.finish_unfinished().await?;
        let offers_user = self.capabilities.contains(&Capability::User);
        let offers_plain = self.capabilities.iter().any(|c| match c {
            Capability::Sasl(mechanisms) => mechanisms
                .iter()
                .any(|m| m.as_str().eq_ignore_ascii_case("PLAIN")),
            _ => false,
        });
        if offers_plain && !offers_user {
            let credentials = PlainCredentials::new(user, password);
            self.client.auth_plain(&credentials).await?;
        } else if offers_user || self.capabilities.is_empty() {
            // Without CAPA, USER/PASS is the one method every server has (RFC 1939).
            self.client.login(user, password).await?;
        } else {
            return Err(MailboxError::NoLoginMethod);
        }
        Ok(())
    }

    /// Every message with its size and unique id (LIST and UIDL).
    pub async fn list(&mut self) -> Result<Vec<ListedMessage>, MailboxError> {
        self.finish_unfinished().await?;
        let scans = self.client.list().await?;
        let unique_ids = match self.client.uidl().await {
            Ok(listings) => listings,
            // UIDL is optional (RFC 1939 §7).
            Err(Pop3Error::Refused(_)) => Vec::new(),
            Err(error) => return Err(error.into()),
        };
        Ok(scans
            .into_iter()
            .map(|scan| ListedMessage {
                number: scan.message,
                size: scan.size,
                uid: unique_ids
                    .iter()
                    .find(|u| u.message == scan.message)
                    .map(|u| u.unique_id.clone()),
            })
            .collect())
    }

    /// The number of messages and their total size (STAT).
    pub async fn stat(&mut self) -> Result<(u32, u64), MailboxError> {
        self.finish_unfinished().await?;
        let listing = self.client.stat().await?;
        Ok((listing.count, listing.size))
    }

    /// The message's octets as they arrive (RETR), dot-unstuffed, CRLF line ends. The
    /// stream ends after the last octet; an error (`-ERR` for a message that does not
    /// exist, a lost connection) is its last item.
    pub fn retrieve(&mut self, message: MessageNumber) -> MessageStream<'_> {
        enum Step {
            Start,
            Reading(CommandId),
            Done,
        }
        let stream =
            futures_util::stream::unfold((self, Step::Start), move |(session, step)| async move {
                let id = match step {
                    Step::Done => return None,
                    Step::Reading(id) => id,
                    Step::Start => {
                        if let Err(error) = session.finish_unfinished().await {
                            return Some((Err(error), (session, Step::Done)));
                        }
                        let sent = session
                            .client
                            .driver_mut()
                            .machine_mut()
                            .send(Command::Retr(message));
                        match sent {
                            Ok(id) => {
                                session.unfinished = Some(id);
                                id
                            }
                            Err(error) => return Some((Err(error.into()), (session, Step::Done))),
                        }
                    }
                };
                match session.next_chunk(id).await {
                    Ok(Some(chunk)) => Some((Ok(chunk), (session, Step::Reading(id)))),
                    Ok(None) => None,
                    Err(error) => Some((Err(error), (session, Step::Done))),
                }
            });
        MessageStream {
            inner: Box::pin(stream),
        }
    }

    /// The whole message in memory (RETR); see [`retrieve`](Self::retrieve) to stream
    /// it.
    pub async fn retrieve_to_vec(
        &mut self,
        message: MessageNumber,
    ) -> Result<Vec<u8>, MailboxError> {
        self.finish_unfinished().await?;
        Ok(self.client.retr(message).await?)
    }

    /// Marks the message for deletion (DELE); it is removed at [`quit`](Self::quit).
    pub async fn delete(&mut self, message: MessageNumber) -> Result<(), MailboxError> {
        self.finish_unfinished().await?;
        Ok(self.client.dele(message).await?)
    }

    /// Unmarks every message marked for deletion (RSET).
    pub async fn reset(&mut self) -> Result<(), MailboxError> {
        self.finish_unfinished().await?;
        Ok(self.client.rset().await?)
    }

    /// Keeps the session alive (NOOP).
    pub async fn noop(&mut self) -> Result<(), MailboxError> {
        self.finish_unfinished().await?;
        Ok(self.client.noop().await?)
    }

    /// Ends the session (QUIT): the server removes the messages marked for deletion.
    /// A refusal (`-ERR`, for example when the removal failed) carries its line.
    pub async fn quit(mut self) -> Result<(), MailboxError> {
        self.finish_unfinished().await?;
        self.client.quit().await?;
        Ok(())
    }

    /// Reads what is left of a retrieval whose stream was dropped.
    async fn finish_unfinished(&mut self) -> Result<(), MailboxError> {
        let Some(id) = self.unfinished else {
            return Ok(());
        };
        loop {
            match self.next_chunk(id).await {
                Ok(Some(_)) => {}
                Ok(None) | Err(MailboxError::Refused(_)) => return Ok(()),
                Err(error) => return Err(error),
            }
        }
    }

    /// The next octets of the retrieval `id`; `None` after its end.
    async fn next_chunk(&mut self, id: CommandId) -> Result<Option<Bytes>, MailboxError> {
        loop {
            let next = self
                .client
                .driver_mut()
                .next_event()
                .await
                .map_err(MailboxError::Io)?;
            let event = match next {
                Next::Event(event) => event,
                Next::StartTls | Next::Closed => {
                    self.unfinished = None;
                    return Err(MailboxError::Closed);
                }
            };
            match event {
                ClientEvent::MessageData { id: got, chunk } if got == id => return Ok(Some(chunk)),
                ClientEvent::MessageEnd { id: got } if got == id => {
                    self.unfinished = None;
                    return Ok(None);
                }
                ClientEvent::Err { id: got, line, .. } if got == id => {
                    self.unfinished = None;
                    return Err(MailboxError::Refused(line));
                }
                ClientEvent::ProtocolError { error } => {
                    self.unfinished = None;
                    return Err(MailboxError::Protocol(error));
                }
                ClientEvent::Closed { .. } => {
                    self.unfinished = None;
                    return Err(MailboxError::Closed);
                }
                _ => {}
            }
        }
    }
}

/// The octets of one message, as [`Pop3Session::retrieve`] reads them.
///
/// A [`Stream`] of `Result<Bytes, MailboxError>`; it borrows the session until it is
/// dropped.
pub struct MessageStream<'a> {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, MailboxError>> + Send + 'a>>,
}

impl std::fmt::Debug for MessageStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStream").finish_non_exhaustive()
    }
}

impl Stream for MessageStream<'_> {
    type Item = Result<Bytes, MailboxError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}
