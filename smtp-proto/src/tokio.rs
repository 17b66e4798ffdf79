//! tokio adapters (feature `tokio`): the generic driver of `mailwire-core`, and helpers
//! to run the client machine over TCP and the server machine on accepted connections.
//!
//! TLS stays in the transport: after [`Next::StartTls`], take the stream and the
//! machine back with [`Driver::into_parts`], run the handshake (for example with
//! tokio-rustls), call [`Session::handle_tls_established`](mailwire_core::Session) and
//! build a new driver over the encrypted stream. The `smtp-send` example shows it.

use std::io;

use ::tokio::net::{TcpStream, ToSocketAddrs};

pub use mailwire_core::tokio::{Driver, Next, DEFAULT_READ_BUFFER};

use crate::client::{Client, ClientConfig};
use crate::server::{ServerConfig, ServerSession};

/// A client machine driven over a stream.
pub type ClientDriver<S> = Driver<S, Client>;

/// Connects to `address` over TCP and drives a new client machine on the connection
/// (the machine's clock starts now; it waits for the greeting).
pub async fn connect(
    address: impl ToSocketAddrs,
    config: ClientConfig,
) -> io::Result<ClientDriver<TcpStream>> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let client = Client::new(config, ::tokio::time::Instant::now().into_std());
    Ok(Driver::new(stream, client))
}

/// A server machine driven over a stream.
pub type ServerDriver<S> = Driver<S, ServerSession>;

/// Drives a new server session on an accepted connection: the session's clock starts
/// now and its greeting (or the application's greeting decision) is queued. The
/// `smtp-sink` example shows the event loop, STARTTLS included.
pub fn server_driver<S>(
    stream: S,
    config: impl Into<std::sync::Arc<ServerConfig>>,
) -> ServerDriver<S>
where
    S: ::tokio::io::AsyncRead + ::tokio::io::AsyncWrite + Unpin,
{
    let session = ServerSession::new(config, ::tokio::time::Instant::now().into_std());
    Driver::new(stream, session)
}
