//! Tokio adapters (feature `tokio`): mailwire-core's generic [`Driver`] re-exported, and
//! [`Pop3Client`], an async client over any stream built on the [`Client`] machine.
//!
//! TLS stays outside: [`Pop3Client::stls`] hands the plain stream to a closure that
//! performs the handshake (tokio-rustls in the `pop3-client` example), and implicit TLS
//! (port 995) is just a TLS stream given to [`Pop3Client::connect`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), mailwire_pop3::tokio::Pop3Error> {
//! use mailwire_pop3::client::ClientConfig;
//! use mailwire_pop3::tokio::Pop3Client;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let (ours, mut server) = tokio::io::duplex(4096);
//! // A scripted server: greeting, then the answers to USER, PASS, STAT and QUIT.
//! let script = tokio::spawn(async move {
//!     server.write_all(b"+OK ready\r\n").await?;
//!     let mut seen = Vec::new();
//!     for answer in [&b"+OK\r\n"[..], b"+OK logged in\r\n", b"+OK 1 42\r\n", b"+OK bye\r\n"] {
//!         let mut byte = [0u8; 1];
//!         while !seen.ends_with(b"\n") { server.read_exact(&mut byte).await?; seen.push(byte[0]); }
//!         seen.clear();
//!         server.write_all(answer).await?;
//!     }
//!     Ok::<_, std::io::Error>(())
//! });
//! let (mut client, _greeting) = Pop3Client::connect(ours, ClientConfig::default()).await?;
//! client.login("alice", "secret").await?;
//! let stat = client.stat().await?;
//! assert_eq!((stat.count, stat.size), (1, 42));
//! client.quit().await?;
//! # script.await.ok(); Ok(()) }
//! ```

use std::future::Future;
use std::io;
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};

pub use mailwire_core::tokio::{Driver, Next, DEFAULT_READ_BUFFER};

use crate::client::{Client, ClientConfig, ClientEvent, CommandId};
use crate::error::{DecodeError, SessionError};
use crate::sasl::PlainCredentials;
use crate::types::{
    Capability, Command, DropListing, MessageNumber, ResponseKind, ScanListing, StatusLine,
    UniqueIdListing,
};

/// Why an async POP3 operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Pop3Error {
    /// The transport failed.
    #[error("i/o error")]
    Io(#[source] io::Error),
    /// The server answered `-ERR` (its line, with the response code if any).
    #[error("server refused the command")]
    Refused(StatusLine<'static>),
    /// The server sent something that is not POP3.
    #[error("protocol error")]
    Protocol(DecodeError),
    /// The machine refused the command (see the inner error).
    #[error("command not sent")]
    Session(#[from] SessionError),
    /// The session closed before the answer.
    #[error("session closed")]
    Closed,
}

impl From<io::Error> for Pop3Error {
    fn from(error: io::Error) -> Self {
        Pop3Error::Io(error)
    }
}

/// An async POP3 client over the stream `S`.
#[derive(Debug)]
pub struct Pop3Client<S> {
    driver: Driver<S, Client>,
}

/// What one command's answer held.
#[derive(Debug, Default)]
struct Answer {
    line: Option<StatusLine<'static>>,
    drop: Option<DropListing<'static>>,
    scans: Vec<ScanListing<'static>>,
    unique_ids: Vec<UniqueIdListing<'static>>,
    capabilities: Vec<Capability<'static>>,
}

impl<S> Pop3Client<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Waits for the greeting on `stream`; a `-ERR` greeting is [`Pop3Error::Refused`].
    pub async fn connect(
        stream: S,
        config: ClientConfig,
    ) -> Result<(Self, StatusLine<'static>), Pop3Error> {
        let driver = Driver::new(stream, Client::new(config, Instant::now()));
        let mut client = Pop3Client { driver };
        loop {
            match client.driver.next_event().await? {
                Next::Event(ClientEvent::Greeting { line, .. }) => {
                    return if line.is_ok() {
                        Ok((client, line))
                    } else {
                        Err(Pop3Error::Refused(line))
                    };
                }
                Next::Event(ClientEvent::ProtocolError { error }) => {
                    return Err(Pop3Error::Protocol(error))
                }
                Next::Event(_) => {}
                Next::StartTls | Next::Closed => return Err(Pop3Error::Closed),
            }
        }
    }

    /// The driver, for direct use of the machine.
    pub fn driver_mut(&mut self) -> &mut Driver<S, Client> {
        &mut self.driver
    }

    /// Gives back the driver.
    pub fn into_driver(self) -> Driver<S, Client> {
        self.driver
    }

    /// Sends `command` and waits for its whole answer, passing message octets to `sink`.
    async fn run(
        &mut self,
        command: Command<'_>,
        mut sink: impl FnMut(Bytes),
    ) -> Result<Answer, Pop3Error> {
        let kind = command.response_kind();
        let id = self.driver.machine_mut().send(command)?;
        self.wait(id, kind, &mut sink).await
    }

    async fn wait(
        &mut self,
        id: CommandId,
        kind: ResponseKind,
        sink: &mut impl FnMut(Bytes),
    ) -> Result<Answer, Pop3Error> {
        let mut answer = Answer::default();
        loop {
            let event = match self.driver.next_event().await? {
                Next::Event(event) => event,
                // After +OK to STLS the driver stops: the answer event came first.
                Next::StartTls | Next::Closed => return Err(Pop3Error::Closed),
            };
            match event {
                ClientEvent::ProtocolError { error } => return Err(Pop3Error::Protocol(error)),
                ClientEvent::Closed { .. } => return Err(Pop3Error::Closed),
                ClientEvent::Err { id: got, line, .. } if got == id => {
                    return Err(Pop3Error::Refused(line))
                }
                ClientEvent::Ok { id: got, line, .. } if got == id => {
                    answer.line = Some(line);
                    return Ok(answer);
                }
                ClientEvent::Stat { id: got, listing } if got == id => {
                    answer.drop = Some(listing);
                    return Ok(answer);
                }
                ClientEvent::ScanListing { id: got, listing } if got == id => {
                    answer.scans.push(listing);
                    if kind == ResponseKind::ScanListing {
                        return Ok(answer);
                    }
                }
                ClientEvent::UniqueIdListing { id: got, listing } if got == id => {
                    answer.unique_ids.push(listing);
                    if kind == ResponseKind::UniqueIdListing {
                        return Ok(answer);
                    }
                }
                ClientEvent::Capabilities {
                    id: got,
                    capabilities,
                } if got == id => {
                    answer.capabilities = capabilities;
                    return Ok(answer);
                }
                ClientEvent::MessageStart { id: got, line } if got == id => {
                    answer.line = Some(line)
                }
                ClientEvent::MessageData { id: got, chunk } if got == id => sink(chunk),
                ClientEvent::ListingEnd { id: got } | ClientEvent::MessageEnd { id: got }
                    if got == id =>
                {
                    return Ok(answer)
                }
                ClientEvent::SaslChallenge { id: got, .. } if got == id => {
                    // Only PLAIN is driven here; any other challenge is cancelled.
                    self.driver.machine_mut().sasl_cancel(id)?;
                }
                _ => {}
            }
        }
    }

    /// CAPA.
    pub async fn capa(&mut self) -> Result<Vec<Capability<'static>>, Pop3Error> {
        Ok(self.run(Command::Capa, |_| {}).await?.capabilities)
    }

    /// USER and PASS.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), Pop3Error> {
        let (user_id, pass_id) = self.driver.machine_mut().login(user, password)?;
        let mut ignore = |_| {};
        self.wait(user_id, ResponseKind::Status, &mut ignore)
            .await?;
        self.wait(pass_id, ResponseKind::Status, &mut ignore)
            .await?;
        Ok(())
    }

    /// APOP with the greeting's timestamp.
    pub async fn apop(&mut self, user: &str, secret: &str) -> Result<(), Pop3Error> {
        let id = self.driver.machine_mut().apop(user, secret)?;
        self.wait(id, ResponseKind::Status, &mut |_| {}).await?;
        Ok(())
    }

    /// AUTH PLAIN.
    pub async fn auth_plain(&mut self, credentials: &PlainCredentials) -> Result<(), Pop3Error> {
        let id = self.driver.machine_mut().auth_plain(credentials)?;
        self.wait(id, ResponseKind::Auth, &mut |_| {}).await?;
        Ok(())
    }

    /// STAT.
    pub async fn stat(&mut self) -> Result<DropListing<'static>, Pop3Error> {
        self.run(Command::Stat, |_| {})
            .await?
            .drop
            .ok_or(Pop3Error::Closed)
    }

    /// LIST.
    pub async fn list(&mut self) -> Result<Vec<ScanListing<'static>>, Pop3Error> {
        Ok(self.run(Command::List(None), |_| {}).await?.scans)
    }

    /// UIDL.
    pub async fn uidl(&mut self) -> Result<Vec<UniqueIdListing<'static>>, Pop3Error> {
        Ok(self.run(Command::Uidl(None), |_| {}).await?.unique_ids)
    }

    /// RETR, streaming the message's octets to `sink`.
    pub async fn retr_with(
        &mut self,
        message: MessageNumber,
        sink: impl FnMut(Bytes),
    ) -> Result<(), Pop3Error> {
        self.run(Command::Retr(message), sink).await.map(|_| ())
    }

    /// RETR into memory.
    pub async fn retr(&mut self, message: MessageNumber) -> Result<Vec<u8>, Pop3Error> {
        let mut octets = Vec::new();
        self.retr_with(message, |chunk| octets.extend_from_slice(&chunk))
            .await?;
        Ok(octets)
    }

    /// TOP into memory.
    pub async fn top(&mut self, message: MessageNumber, lines: u32) -> Result<Vec<u8>, Pop3Error> {
        let mut octets = Vec::new();
        self.run(Command::Top { message, lines }, |chunk| {
            octets.extend_from_slice(&chunk)
        })
        .await?;
        Ok(octets)
    }

    /// DELE.
    pub async fn dele(&mut self, message: MessageNumber) -> Result<(), Pop3Error> {
        self.run(Command::Dele(message), |_| {}).await.map(|_| ())
    }

    /// RSET.
    pub async fn rset(&mut self) -> Result<(), Pop3Error> {
        self.run(Command::Rset, |_| {}).await.map(|_| ())
    }

    /// NOOP.
    pub async fn noop(&mut self) -> Result<(), Pop3Error> {
        self.run(Command::Noop, |_| {}).await.map(|_| ())
    }

    /// QUIT (the server then removes the messages marked with DELE); returns its line.
    pub async fn quit(mut self) -> Result<StatusLine<'static>, Pop3Error> {
        let answer = self.run(Command::Quit, |_| {}).await?;
        // Until the driver has flushed and shut the stream down.
        while let Ok(Next::Event(_)) = self.driver.next_event().await {}
        answer.line.ok_or(Pop3Error::Closed)
    }

    /// STLS, then `upgrade` performs the TLS handshake on the plain stream.
    pub async fn stls<T, F, Fut>(mut self, upgrade: F) -> Result<Pop3Client<T>, Pop3Error>
    where
        T: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(S) -> Fut,
        Fut: Future<Output = io::Result<T>>,
    {
        self.run(Command::Stls, |_| {}).await?;
        loop {
            match self.driver.next_event().await? {
                Next::StartTls => break,
                // Bytes the server sent after its +OK were discarded by the machine.
                Next::Event(ClientEvent::InjectedAfterStls { .. }) => {}
                _ => return Err(Pop3Error::Closed),
            }
        }
        let (stream, mut machine) = self.driver.into_parts();
        let stream = upgrade(stream).await?;
        mailwire_core::Session::handle_tls_established(&mut machine, Instant::now());
        Ok(Pop3Client {
            driver: Driver::new(stream, machine),
        })
    }
}
