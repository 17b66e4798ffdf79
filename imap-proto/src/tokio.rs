//! Tokio adapters (feature `tokio`): mailwire-core's generic [`Driver`] re-exported,
//! conveniences to run the IMAP [`Server`] machine over a stream, and [`ImapClient`], an
//! async client on the [`Client`](crate::client::Client) machine (STARTTLS through a
//! handshake closure, FETCH content gathered or streamed to a sink, IDLE for a while).
//!
//! TLS stays outside the machine: after [`Next::StartTls`], [`upgrade_server`] hands the
//! plain stream to a closure that performs the handshake (tokio-rustls'
//! `TlsAcceptor::accept`, for example) and resumes the session over the TLS stream.
//! Implicit TLS (port 993) is a TLS stream given to [`server_driver`] with
//! [`ServerConfig::implicit_tls`] set.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use mailwire_imap::server::{CleartextLogin, ServerConfig, ServerEvent};
//! use mailwire_imap::tokio::{server_driver, Next};
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//!
//! let (ours, theirs) = tokio::io::duplex(4096);
//! let config = ServerConfig {
//!     cleartext_login: CleartextLogin::Allow,
//!     capability_in_greeting: false,
//!     capability_after_login: false,
//!     ..ServerConfig::default()
//! };
//! let server = tokio::spawn(async move {
//!     let mut driver = server_driver(ours, config);
//!     loop {
//!         match driver.next_event().await? {
//!             Next::Event(ServerEvent::Login { id, credentials, .. }) => {
//!                 let now = std::time::Instant::now();
//!                 let verdict = if credentials.password.expose() == "secret" {
//!                     driver.machine_mut().ok(now, id, "welcome")
//!                 } else {
//!                     driver.machine_mut().no(now, id, None, "go away")
//!                 };
//!                 verdict.expect("the login waits for this answer");
//!             }
//!             Next::Event(_) => {}
//!             Next::StartTls | Next::Closed => return Ok::<_, std::io::Error>(()),
//!         }
//!     }
//! });
//! let (read, mut write) = tokio::io::split(theirs);
//! let mut lines = BufReader::new(read).lines();
//! assert_eq!(lines.next_line().await?.as_deref(), Some("* OK IMAP server ready"));
//! write.write_all(b"a LOGIN joe secret\r\nb LOGOUT\r\n").await?;
//! assert_eq!(lines.next_line().await?.as_deref(), Some("a OK welcome"));
//! assert_eq!(
//!     lines.next_line().await?.as_deref(),
//!     Some("* BYE IMAP server terminating connection")
//! );
//! assert_eq!(lines.next_line().await?.as_deref(), Some("b OK LOGOUT completed"));
//! server.await??;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::io;

use mailwire_core::Session;
use tokio::io::{AsyncRead, AsyncWrite};

pub use mailwire_core::tokio::{Driver, Next, DEFAULT_READ_BUFFER};

use crate::server::{Server, ServerConfig};

mod client;
pub use client::{Answer, BodySink, FetchedMessage, ImapClient, ImapError, MAX_UNSOLICITED};

/// The tokio driver running an IMAP server session over `S`.
pub type ServerDriver<S> = Driver<S, Server>;

fn now() -> std::time::Instant {
    // The driver's clock, so paused-time tests see one time line.
    tokio::time::Instant::now().into_std()
}

/// A server session over `stream`; the greeting leaves with the first
/// [`Driver::next_event`].
pub fn server_driver<S>(stream: S, config: ServerConfig) -> ServerDriver<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Driver::new(stream, Server::new(config, now()))
}

/// Completes a STARTTLS upgrade after [`Next::StartTls`]: `handshake` turns the plain
/// stream into a TLS one, the machine learns that TLS is established, and the session
/// goes on over the new stream. Plaintext the client pipelined behind STARTTLS was
/// already dropped by the machine (and reported).
pub async fn upgrade_server<S, T, F, Fut>(
    driver: ServerDriver<S>,
    handshake: F,
) -> io::Result<ServerDriver<T>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let (stream, mut machine) = driver.into_parts();
    let secured = handshake(stream).await?;
    machine.handle_tls_established(now());
    Ok(Driver::new(secured, machine))
}
