//! Opening a client's TCP connection, the same way for every high-level client: one time
//! limit for the connect, `TCP_NODELAY` (commands are small and pipelined), and the rule
//! that a connection without TLS may only go to a loopback address.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::net::TcpStream;

/// Why [`connect_tcp`] gave no stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The time limit passed before the connection was open.
    #[error("connecting timed out")]
    TimedOut,
    /// The system refused (resolution, connection refused, unreachable, ...).
    #[error("cannot connect")]
    Io(#[source] io::Error),
    /// `loopback_only` was asked and the peer is not a loopback address.
    #[error("the peer is not a loopback address")]
    NotLoopback,
}

/// Connects to `address`, or else to `host` on `port` (resolved by the system), within
/// `limit`; with `loopback_only`, a peer outside 127.0.0.0/8, ::1 and IPv4-mapped
/// loopback is refused before anything is read or sent.
pub async fn connect_tcp(
    host: &str,
    address: Option<SocketAddr>,
    port: u16,
    limit: Duration,
    loopback_only: bool,
) -> Result<TcpStream, ConnectError> {
    let connecting = async {
        match address {
            Some(address) => TcpStream::connect(address).await,
            None => TcpStream::connect((host, port)).await,
        }
    };
    let stream = match tokio::time::timeout(limit, connecting).await {
        Err(_) => return Err(ConnectError::TimedOut),
        Ok(Err(error)) => return Err(ConnectError::Io(error)),
        Ok(Ok(stream)) => stream,
    };
    if loopback_only {
        let peer = stream.peer_addr().map_err(ConnectError::Io)?;
        if !is_loopback(peer.ip()) {
            return Err(ConnectError::NotLoopback);
        }
    }
    stream.set_nodelay(true).map_err(ConnectError::Io)?;
    Ok(stream)
}

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses() {
        for loopback in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(loopback.parse().unwrap()), "{loopback}");
        }
        for remote in ["10.0.0.1", "192.0.2.1", "::ffff:192.0.2.1", "2001:db8::1"] {
            assert!(!is_loopback(remote.parse().unwrap()), "{remote}");
        }
    }

    #[tokio::test]
    async fn connects_within_the_limit_and_refuses_a_closed_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let stream = connect_tcp("localhost", Some(address), 0, Duration::from_secs(5), true)
            .await
            .unwrap();
        assert!(stream.nodelay().unwrap());
        drop(listener);
        let refused =
            connect_tcp("localhost", Some(address), 0, Duration::from_secs(5), true).await;
        assert!(matches!(refused, Err(ConnectError::Io(_))), "{refused:?}");
    }
}
