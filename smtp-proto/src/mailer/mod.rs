//! Sending mail from an application (feature `tls`): a [`Mailer`] for a submission
//! server, built on the Sans-IO [`Client`](crate::client::Client) machine, tokio and
//! tokio-rustls.
//!
//! ```no_run
//! use mailwire_smtp::mailer::{Authentication, Mailer};
//!
//! # async fn send(message: &mailwire_mime::build::Message) -> Result<(), Box<dyn std::error::Error>> {
//! let mailer = Mailer::builder("smtp.example.com") // STARTTLS on 587, platform roots
//!     .authentication(Authentication::password("alice@example.com", "app-password"))
//!     .build()?;
//! let delivery = mailer.send(message).await?;
//! for recipient in delivery.recipients() {
//!     println!("{}: {:?}", recipient.recipient, recipient.outcome.code());
//! }
//! # Ok(()) }
//! ```
//!
//! What it does for the application:
//! - **Submission defaults** (RFC 8314, RFC 6409): STARTTLS on port 587, or implicit TLS
//!   on 465 with [`MailerBuilder::implicit_tls`]. STARTTLS is required: a server that
//!   does not offer it gets QUIT and [`MailerError::StartTlsNotOffered`], never a
//!   silent fallback to clear text. Clear text exists only as
//!   [`MailerBuilder::insecure_plaintext_loopback_only`], refused towards any address
//!   that is not loopback, for tests.
//! - **Certificates** from the platform's store (rustls-native-certs), or only the CA
//!   certificates given ([`Trust`]), or a whole rustls configuration.
//! - **AUTH** after TLS: PLAIN (LOGIN when PLAIN is not offered) with a password,
//!   `XOAUTH2` and `OAUTHBEARER` (RFC 7628) with OAuth 2.0 tokens ([`Authentication`]).
//! - **The envelope** of a [`mailwire_mime::build::Message`] from its Sender/From and
//!   To/Cc/Bcc; the Bcc field is not in the transmitted data. Or raw octets with an
//!   explicit [`MailEnvelope`] ([`Mailer::send_raw`]).
//! - **Extensions when offered**: PIPELINING (RSET, MAIL, every RCPT and DATA in one
//!   flight), CHUNKING (BDAT, no dot-stuffing), SIZE (declared, a message over the
//!   limit fails before sending), 8BITMIME (declared for 8-bit content, which a server
//!   without it does not get), SMTPUTF8 (for internationalized addresses).
//! - **A typed result per recipient** ([`Delivery`], [`RecipientOutcome`]): accepted,
//!   rejected or deferred with the reply's code and enhanced status code.
//! - **A small connection pool**: a connection is kept after a send and reused by the
//!   next one, with RSET first; idle connections are closed after
//!   [`MailerBuilder::idle_timeout`]. A pooled connection that the server closed
//!   meanwhile is replaced transparently, as long as the server answered nothing of
//!   the new message on it (so a message is never sent twice).
//! - **Time limits**: for connecting and the TLS handshake, and for each reply (RFC
//!   5321 §4.5.3.2 defaults, see [`MailerBuilder::reply_timeout`]).
//!
//! A blocking API for applications without tokio is out of scope: run the mailer in a
//! tokio runtime (`Runtime::block_on` from synchronous code).

mod auth;
mod connection;
mod error;
mod report;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Semaphore;
use tokio_rustls::rustls;

pub use auth::Authentication;
pub use error::{MailerError, TimeoutStage};
pub use mailwire_core::tls::Trust;
pub use report::{Delivery, RecipientOutcome, RecipientReport};

pub use crate::client::{ClientTimeouts, MailEnvelope};
use crate::mailer::connection::{Connection, Security, Settings};
use crate::types::{ForwardPath, Host, Mailbox, ReversePath};

/// Default port of submission with STARTTLS (RFC 6409).
pub const SUBMISSION_PORT: u16 = 587;
/// Default port of submission over implicit TLS (RFC 8314 §7.3).
pub const SUBMISSIONS_PORT: u16 = 465;
/// Default limit for opening the TCP connection and for the TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default number of idle connections kept.
pub const DEFAULT_MAX_IDLE: usize = 2;
/// Default number of connections open at once (sends beyond it wait).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4;
/// Default time an idle connection is kept (servers commonly drop idle clients after
/// a few minutes; RFC 5321 §4.5.3.2.7 lets them after 5).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of messages sent on one connection before it is replaced.
pub const DEFAULT_MAX_MESSAGES_PER_CONNECTION: usize = 100;
/// Default largest piece of content handed to the machine at once, and so the largest
/// BDAT chunk.
pub const DEFAULT_CHUNK_SIZE: usize = 1024 * 1024;

/// Configures a [`Mailer`]; start with [`Mailer::builder`].
#[derive(Debug, Clone)]
pub struct MailerBuilder {
    host: String,
    port: Option<u16>,
    address: Option<SocketAddr>,
    security: Security,
    trust: Trust,
    authentication: Option<Authentication>,
    hello_name: Option<String>,
    connect_timeout: Duration,
    timeouts: ClientTimeouts,
    max_idle: usize,
    max_connections: usize,
    idle_timeout: Duration,
    max_messages_per_connection: usize,
    chunk_size: usize,
}

impl MailerBuilder {
    /// Port 465 with TLS from the first byte (RFC 8314), instead of STARTTLS on 587.
    pub fn implicit_tls(mut self) -> Self {
        self.security = Security::ImplicitTls;
        self
    }

    /// STARTTLS, required (the default): port 587 unless [`port`](Self::port) says
    /// otherwise.
    pub fn starttls(mut self) -> Self {
        self.security = Security::StartTls;
        self
    }

    /// No TLS at all, for tests against a local server: every connection whose peer is
    /// not a loopback address fails with [`MailerError::PlaintextNotLoopback`].
    /// Credentials then travel in clear text, on the loopback interface only.
    pub fn insecure_plaintext_loopback_only(mut self) -> Self {
        self.security = Security::PlaintextLoopback;
        self
    }

    /// The server's port (default: 587, or 465 with implicit TLS).
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

    /// Trusts only the CA certificates of this PEM text; shorthand for
    /// `trust(Trust::CaPem(..))`.
    pub fn ca_pem(self, pem: impl Into<Vec<u8>>) -> Self {
        self.trust(Trust::CaPem(pem.into()))
    }

    /// Authenticates with these credentials after TLS.
    pub fn authentication(mut self, authentication: Authentication) -> Self {
        self.authentication = Some(authentication);
        self
    }

    /// The name given in EHLO (default: the address literal of the local end of each
    /// connection, such as `[192.0.2.1]`).
    pub fn hello_name(mut self, name: impl Into<String>) -> Self {
        self.hello_name = Some(name.into());
        self
    }

    /// Limit for opening the TCP connection, and again for the TLS handshake (default
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.connect_timeout = limit;
        self
    }

    /// One limit for every reply of the server, instead of RFC 5321's defaults (5
    /// minutes for most, 10 after the content).
    pub fn reply_timeout(mut self, limit: Duration) -> Self {
        self.timeouts = ClientTimeouts {
            greeting: limit,
            mail: limit,
            rcpt: limit,
            data_initiation: limit,
            data_block: limit,
            data_termination: limit,
            command: limit,
        };
        self
    }

    /// Every reply limit separately.
    pub fn client_timeouts(mut self, timeouts: ClientTimeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// How many idle connections are kept for later sends (default
    /// [`DEFAULT_MAX_IDLE`]; 0 closes each connection after its send).
    pub fn max_idle(mut self, count: usize) -> Self {
        self.max_idle = count;
        self
    }

    /// How many connections may be open at once; further sends wait (default
    /// [`DEFAULT_MAX_CONNECTIONS`], at least 1).
    pub fn max_connections(mut self, count: usize) -> Self {
        self.max_connections = count;
        self
    }

    /// How long an idle connection is kept (default [`DEFAULT_IDLE_TIMEOUT`]).
    pub fn idle_timeout(mut self, limit: Duration) -> Self {
        self.idle_timeout = limit;
        self
    }

    /// How many messages one connection sends before it is replaced (default
    /// [`DEFAULT_MAX_MESSAGES_PER_CONNECTION`]).
    pub fn max_messages_per_connection(mut self, count: usize) -> Self {
        self.max_messages_per_connection = count;
        self
    }

    /// The largest BDAT chunk (default [`DEFAULT_CHUNK_SIZE`]).
    pub fn chunk_size(mut self, octets: usize) -> Self {
        self.chunk_size = octets;
        self
    }

    /// Checks the configuration and loads the trusted certificates. Nothing connects
    /// yet.
    pub fn build(self) -> Result<Mailer, MailerError> {
        if self.host.is_empty() {
            return Err(MailerError::InvalidConfig {
                reason: "empty host name",
            });
        }
        if self.max_connections == 0 {
            return Err(MailerError::InvalidConfig {
                reason: "max_connections must be at least 1",
            });
        }
        if self.authentication.as_ref().is_some_and(|a| !a.is_valid()) {
            return Err(MailerError::InvalidConfig {
                reason: "the credentials hold a control character",
            });
        }
        let hello_name = match &self.hello_name {
            Some(name) => Some(
                Host::new(name)
                    .map_err(|_| MailerError::InvalidConfig {
                        reason: "the ehlo name is neither a domain nor an address literal",
                    })?
                    .into_owned(),
            ),
            None => None,
        };
        let server_name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|_| MailerError::InvalidServerName)?;
        let tls_config = mailwire_core::tls::client_config(&self.trust)?;
        let port = self.port.unwrap_or(match self.security {
            Security::ImplicitTls => SUBMISSIONS_PORT,
            Security::StartTls | Security::PlaintextLoopback => SUBMISSION_PORT,
        });
        let settings = Settings {
            host: self.host,
            port,
            address: self.address,
            security: self.security,
            tls: tls_config,
            server_name,
            authentication: self.authentication,
            hello_name,
            connect_timeout: self.connect_timeout,
            timeouts: self.timeouts,
            chunk_size: self.chunk_size.max(1),
            quit_timeout: Duration::from_secs(5).min(self.connect_timeout),
        };
        Ok(Mailer {
            inner: Arc::new(Inner {
                settings: Arc::new(settings),
                idle: Mutex::new(Vec::new()),
                permits: Semaphore::new(self.max_connections),
                max_idle: self.max_idle,
                idle_timeout: self.idle_timeout,
                max_messages: self.max_messages_per_connection.max(1),
                opened: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }
}

#[derive(Debug)]
struct Inner {
    settings: Arc<Settings>,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    max_idle: usize,
    idle_timeout: Duration,
    max_messages: usize,
    opened: std::sync::atomic::AtomicU64,
}

/// Sends messages through one submission server; see the [module docs](self).
///
/// Cheap to clone: clones share the connection pool. Dropping the last clone drops the
/// idle connections without QUIT; call [`Mailer::close`] to end them politely.
#[derive(Debug, Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

impl Mailer {
    /// A builder for the submission server `host`: STARTTLS on port 587, the
    /// platform's trusted roots, no authentication, RFC 5321 time limits.
    pub fn builder(host: impl Into<String>) -> MailerBuilder {
        MailerBuilder {
            host: host.into(),
            port: None,
            address: None,
            security: Security::StartTls,
            trust: Trust::Platform,
            authentication: None,
            hello_name: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeouts: ClientTimeouts::default(),
            max_idle: DEFAULT_MAX_IDLE,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_messages_per_connection: DEFAULT_MAX_MESSAGES_PER_CONNECTION,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }

    /// Sends a built message: MAIL FROM its Sender (else its first From), RCPT TO every
    /// To, Cc and Bcc address, and the message without its Bcc field. SMTPUTF8 is
    /// asked for when an address needs it, `BODY=8BITMIME` when the content is 8-bit.
    ///
    /// Returns the per-recipient results when the server took the message for at least
    /// one recipient, [`MailerError::Refused`] with the same results when it took it
    /// for none.
    pub async fn send(
        &self,
        message: &mailwire_mime::build::Message,
    ) -> Result<Delivery, MailerError> {
        let envelope = envelope_of(message)?;
        self.send_raw(envelope, message.to_bytes()).await
    }

    /// Sends raw message octets with an explicit envelope. Bare LF or CR line ends are
    /// made CRLF (the form SMTP carries); the content is otherwise sent as it is.
    pub async fn send_raw(
        &self,
        envelope: MailEnvelope,
        content: impl Into<Bytes>,
    ) -> Result<Delivery, MailerError> {
        if envelope.recipients().is_empty() {
            return Err(MailerError::NoRecipients);
        }
        let content = canonical(content.into());
        // The semaphore is never closed.
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| MailerError::ConnectionLost)?;
        loop {
            let (mut connection, reused) = match self.take_idle() {
                Some(connection) => (connection, true),
                None => (self.open().await?, false),
            };
            match connection
                .transact(
                    envelope.clone(),
                    content.clone(),
                    self.inner.settings.chunk_size,
                )
                .await
            {
                Ok(delivery) => {
                    self.put_back(connection).await;
                    return if delivery.is_accepted() {
                        Ok(delivery)
                    } else {
                        Err(MailerError::Refused(Box::new(delivery)))
                    };
                }
                Err(failure) => {
                    if failure.connection_ok && connection.is_usable() {
                        self.put_back(connection).await;
                    }
                    // A pooled connection the server had dropped: try the next one (or
                    // a new one, which is never retried).
                    if !(reused && failure.retry_safe) {
                        return Err(failure.error);
                    }
                }
            }
        }
    }

    /// Opens a connection (TLS, EHLO, AUTH) and keeps it in the pool: checks the
    /// configuration and the credentials before the first message.
    pub async fn verify(&self) -> Result<(), MailerError> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| MailerError::ConnectionLost)?;
        let connection = self.open().await?;
        self.put_back(connection).await;
        Ok(())
    }

    /// Ends the idle connections with QUIT. Connections in use by a send are returned
    /// to the pool afterwards as usual.
    pub async fn close(&self) {
        let idle = std::mem::take(&mut *self.lock_idle());
        for connection in idle {
            connection.quit(self.inner.settings.quit_timeout).await;
        }
    }

    /// How many connections this mailer has opened so far (a measure of pool reuse).
    pub fn connections_opened(&self) -> u64 {
        self.inner.opened.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The list stays consistent even if a holder panicked: take it anyway.
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn open(&self) -> Result<Connection, MailerError> {
        self.inner
            .opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Connection::open(&self.inner.settings).await
    }

    /// The most recently used idle connection that is still fresh; stale ones are
    /// dropped.
    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.lock_idle();
        while let Some(connection) = idle.pop() {
            if connection.idle_since.elapsed() < self.inner.idle_timeout && connection.is_usable() {
                return Some(connection);
            }
        }
        None
    }

    async fn put_back(&self, connection: Connection) {
        let keep = connection.is_usable() && connection.messages < self.inner.max_messages;
        let surplus = if keep {
            let mut idle = self.lock_idle();
            if idle.len() < self.inner.max_idle {
                idle.push(connection);
                None
            } else {
                Some(connection)
            }
        } else {
            Some(connection)
        };
        if let Some(connection) = surplus {
            connection.quit(self.inner.settings.quit_timeout).await;
        }
    }
}

/// Makes bare LF and bare CR line ends CRLF, copying only when needed.
fn canonical(content: Bytes) -> Bytes {
    let mut previous = 0u8;
    let mut clean = true;
    for (index, &byte) in content.iter().enumerate() {
        let next = content.get(index + 1).copied();
        if (byte == b'\n' && previous != b'\r') || (byte == b'\r' && next != Some(b'\n')) {
            clean = false;
            break;
        }
        previous = byte;
    }
    if clean {
        content
    } else {
        Bytes::from(mailwire_mime::build::normalize_line_ends(&content))
    }
}

/// The SMTP envelope of a built message.
fn envelope_of(message: &mailwire_mime::build::Message) -> Result<MailEnvelope, MailerError> {
    let envelope = message.envelope();
    let sender = Mailbox::parse(envelope.sender())
        .map_err(|_| MailerError::InvalidAddress)?
        .into_owned();
    let mut mail = MailEnvelope::new(ReversePath::from(sender));
    for recipient in envelope.recipients() {
        let mailbox = Mailbox::parse(recipient)
            .map_err(|_| MailerError::InvalidAddress)?
            .into_owned();
        mail = mail.to(ForwardPath::from(mailbox));
    }
    if message.requires_smtputf8() {
        mail = mail.smtputf8();
    }
    Ok(mail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_line_ends() {
        let clean = Bytes::from_static(b"a\r\nb\r\n");
        assert_eq!(canonical(clean.clone()), clean);
        assert_eq!(
            canonical(Bytes::from_static(b"a\nb\r\nc\r")),
            &b"a\r\nb\r\nc\r\n"[..]
        );
    }

    #[test]
    fn builder_defaults_and_refusals() {
        let built = Mailer::builder("")
            .ca_pem(Vec::new())
            .build()
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(built, MailerError::InvalidConfig { .. }));
        let built = Mailer::builder("smtp.example.com")
            .ca_pem(b"not pem".to_vec())
            .build()
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(built, MailerError::NoTrustedRoots));
        let built = Mailer::builder("smtp.example.com")
            .authentication(Authentication::xoauth2("u", "a\u{1}b"))
            .build()
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(built, MailerError::InvalidConfig { .. }));
    }
}
