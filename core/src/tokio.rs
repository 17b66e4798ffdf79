//! The one generic tokio driver for every mailwire [`Session`] (feature `tokio`).
//!
//! [`Driver`] owns a stream (any `AsyncRead + AsyncWrite`, plain TCP, TLS, a unix socket,
//! an in-memory duplex) and a machine. [`Driver::next_event`] moves bytes both ways at
//! once (what the machine wants sent is written while the peer's bytes are read), arms
//! the machine's timer, and returns as soon as the machine has an event for the
//! application, wants a TLS upgrade, or is closed. The application then makes its
//! decisions on [`Driver::machine_mut`] and calls `next_event` again.
//!
//! For STARTTLS/STLS the driver stops reading as soon as the machine asks for TLS (so the
//! peer's handshake bytes are not swallowed), flushes, and returns [`Next::StartTls`];
//! [`Driver::into_parts`] hands back the stream and the machine, the caller performs the
//! handshake (tokio-rustls), calls [`Session::handle_tls_established`], and builds a new
//! driver over the TLS stream with [`Driver::with_buffer_size`] or [`Driver::new`].
//!
//! ```
//! # use mailwire_core::{Session, Transport, tokio::{Driver, Next}};
//! # use std::time::Instant;
//! /// A toy machine: answers every line with "OK", closes on "BYE".
//! #[derive(Default)]
//! struct Echo { out: Vec<u8>, events: Vec<String>, closed: bool }
//! impl Session for Echo {
//!     type Event = String;
//!     fn handle_input(&mut self, _now: Instant, input: &[u8]) {
//!         for line in input.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
//!             let line = String::from_utf8_lossy(line).trim().to_string();
//!             self.out.extend_from_slice(b"OK\r\n");
//!             self.closed |= line == "BYE";
//!             self.events.push(line);
//!         }
//!     }
//!     fn handle_timeout(&mut self, _now: Instant) {}
//!     fn handle_eof(&mut self, _now: Instant) { self.closed = true; }
//!     fn handle_tls_established(&mut self, _now: Instant) {}
//!     fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
//!         let n = self.out.len(); out.append(&mut self.out); n
//!     }
//!     fn poll_timeout(&self) -> Option<Instant> { None }
//!     fn poll_event(&mut self) -> Option<String> {
//!         if self.events.is_empty() { None } else { Some(self.events.remove(0)) }
//!     }
//!     fn transport(&self) -> Transport { if self.closed { Transport::Closed } else { Transport::Open } }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! let (ours, mut theirs) = tokio::io::duplex(1024);
//! let mut driver = Driver::new(ours, Echo::default());
//! theirs.write_all(b"HELLO\r\nBYE\r\n").await?;
//! assert_eq!(driver.next_event().await?, Next::Event("HELLO".to_string()));
//! assert_eq!(driver.next_event().await?, Next::Event("BYE".to_string()));
//! assert_eq!(driver.next_event().await?, Next::Closed);
//! let mut answer = String::new();
//! theirs.read_to_string(&mut answer).await?;
//! assert_eq!(answer, "OK\r\nOK\r\n");
//! # Ok(()) }
//! ```

pub mod connect;
use std::io;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::{Session, Transport};

/// What [`Driver::next_event`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next<E> {
    /// An event of the machine, for the application to act on.
    Event(E),
    /// Everything before the upgrade was flushed and nothing more was read: upgrade the
    /// stream to TLS now (see the [module docs](self)).
    StartTls,
    /// The machine closed the session; pending output was flushed and the stream shut
    /// down for writing.
    Closed,
}

/// Default size of the read buffer.
pub const DEFAULT_READ_BUFFER: usize = 16 * 1024;

/// While this much output waits for a peer that does not read, the driver stops reading
/// from it too, so a peer that only sends cannot grow the output without bound.
pub const MAX_PENDING_OUTPUT: usize = 256 * 1024;

/// Drives one [`Session`] over one stream; see the [module docs](self).
#[derive(Debug)]
pub struct Driver<S, M> {
    stream: S,
    machine: M,
    outgoing: Vec<u8>,
    written: usize,
    read_buffer: Box<[u8]>,
    peer_eof: bool,
    shut_down: bool,
}

impl<S, M> Driver<S, M>
where
    S: AsyncRead + AsyncWrite + Unpin,
    M: Session,
{
    /// A driver with a [`DEFAULT_READ_BUFFER`]-sized read buffer.
    pub fn new(stream: S, machine: M) -> Self {
        Self::with_buffer_size(stream, machine, DEFAULT_READ_BUFFER)
    }

    /// A driver that reads at most `read_buffer` bytes at a time.
    pub fn with_buffer_size(stream: S, machine: M, read_buffer: usize) -> Self {
        Driver {
            stream,
            machine,
            outgoing: Vec::new(),
            written: 0,
            read_buffer: vec![0; read_buffer.max(1)].into_boxed_slice(),
            peer_eof: false,
            shut_down: false,
        }
    }

    /// The machine, to inspect its state.
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// The machine, to make the application's decisions (replies, commands).
    pub fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }

    /// The stream, to inspect it (for example the TLS session's details).
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// Gives back the stream and the machine (for a TLS upgrade, or at the end).
    /// Call [`Driver::flush`] first if output may be pending.
    pub fn into_parts(self) -> (S, M) {
        (self.stream, self.machine)
    }

    fn collect_output(&mut self) {
        if self.written == self.outgoing.len() {
            self.outgoing.clear();
            self.written = 0;
        }
        while self.machine.poll_transmit(&mut self.outgoing) > 0 {}
    }

    fn pending_output(&self) -> &[u8] {
        self.outgoing.get(self.written..).unwrap_or_default()
    }

    /// Writes everything the machine has to send.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.collect_output();
        while self.written < self.outgoing.len() {
            let pending = self.outgoing.get(self.written..).unwrap_or_default();
            let count = self.stream.write(pending).await?;
            if count == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.written += count;
        }
        self.stream.flush().await
    }

    /// Moves bytes until the machine has something for the application; see [`Next`].
    ///
    /// An I/O error is returned as it is; the machine is left as it was, so the caller
    /// may still look at it.
    pub async fn next_event(&mut self) -> io::Result<Next<M::Event>> {
        loop {
            // The documented order: transmit, timeout, events.
            self.collect_output();
            let deadline = self.machine.poll_timeout();
            if let Some(event) = self.machine.poll_event() {
                return Ok(Next::Event(event));
            }
            match self.machine.transport() {
                Transport::StartTls => {
                    self.flush().await?;
                    return Ok(Next::StartTls);
                }
                Transport::Closed => {
                    self.flush().await?;
                    if !self.shut_down {
                        self.shut_down = true;
                        // The peer may already be gone; closing is best effort.
                        let _ = self.stream.shutdown().await;
                    }
                    return Ok(Next::Closed);
                }
                _ => {}
            }
            self.exchange(deadline).await?;
        }
    }

    /// One round of I/O: write pending output, read input, or let the timer fire,
    /// whichever comes first. Writing and reading are polled together, so a peer that
    /// does not read while it sends cannot stall the session.
    async fn exchange(&mut self, deadline: Option<std::time::Instant>) -> io::Result<()> {
        let reading = !self.peer_eof
            && self.machine.wants_input()
            && self.pending_output().len() < MAX_PENDING_OUTPUT;
        if !reading && deadline.is_none() && self.pending_output().is_empty() {
            if !self.peer_eof {
                return Err(io::Error::other(
                    "the session wants no input, has nothing to send and no timer armed",
                ));
            }
            // Nothing can happen any more: the peer is gone and no timer is armed.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "peer closed the connection and the session is idle",
            ));
        }
        enum Happened {
            Wrote(usize),
            Read(usize),
            Timer,
        }
        let mut sleep = std::pin::pin!(
            deadline.map(|at| tokio::time::sleep_until(tokio::time::Instant::from_std(at)))
        );
        let Driver {
            stream,
            read_buffer,
            outgoing,
            written,
            ..
        } = self;
        let pending = outgoing.get(*written..).unwrap_or_default();
        let happened = std::future::poll_fn(|context| {
            if !pending.is_empty() {
                if let Poll::Ready(result) = Pin::new(&mut *stream).poll_write(context, pending) {
                    return Poll::Ready(result.map(Happened::Wrote));
                }
            }
            if reading {
                let mut buffer = ReadBuf::new(read_buffer);
                if let Poll::Ready(result) = Pin::new(&mut *stream).poll_read(context, &mut buffer)
                {
                    return Poll::Ready(result.map(|()| Happened::Read(buffer.filled().len())));
                }
            }
            if let Some(sleep) = sleep.as_mut().as_pin_mut() {
                if sleep.poll(context).is_ready() {
                    return Poll::Ready(Ok(Happened::Timer));
                }
            }
            Poll::Pending
        })
        .await?;
        let now = tokio::time::Instant::now().into_std();
        match happened {
            Happened::Wrote(0) => return Err(io::ErrorKind::WriteZero.into()),
            Happened::Wrote(count) => self.written += count,
            Happened::Read(0) => {
                self.peer_eof = true;
                self.machine.handle_eof(now);
            }
            Happened::Read(count) => {
                let input = self.read_buffer.get(..count).unwrap_or_default();
                self.machine.handle_input(now, input);
            }
            Happened::Timer => self.machine.handle_timeout(now),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers "OK" per line; "STARTTLS" asks for an upgrade; a timer of 10 s after the
    /// last input closes with "TIMEOUT".
    #[derive(Default)]
    struct Toy {
        out: Vec<u8>,
        events: Vec<String>,
        starttls: bool,
        closed: bool,
        deadline: Option<Instant>,
        fed: Vec<u8>,
        paused: bool,
    }

    impl Session for Toy {
        type Event = String;
        fn handle_input(&mut self, now: Instant, input: &[u8]) {
            self.fed.extend_from_slice(input);
            self.deadline = Some(now + Duration::from_secs(10));
            while let Some(end) = self.fed.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.fed.drain(..=end).collect();
                let line = String::from_utf8_lossy(&line).trim().to_string();
                self.out.extend_from_slice(b"OK\r\n");
                self.starttls |= line == "STARTTLS";
                self.events.push(line);
                if self.starttls {
                    break;
                }
            }
        }
        fn handle_timeout(&mut self, _now: Instant) {
            self.out.extend_from_slice(b"TIMEOUT\r\n");
            self.closed = true;
            self.deadline = None;
        }
        fn handle_eof(&mut self, _now: Instant) {
            self.closed = true;
        }
        fn handle_tls_established(&mut self, _now: Instant) {
            self.starttls = false;
        }
        fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
            let count = self.out.len();
            out.append(&mut self.out);
            count
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.deadline
        }
        fn poll_event(&mut self) -> Option<String> {
            (!self.events.is_empty()).then(|| self.events.remove(0))
        }
        fn wants_input(&self) -> bool {
            !self.paused
        }
        fn transport(&self) -> Transport {
            if self.closed {
                Transport::Closed
            } else if self.starttls {
                Transport::StartTls
            } else {
                Transport::Open
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn timer_fires_on_the_machine_deadline() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut driver = Driver::new(ours, Toy::default());
        theirs.write_all(b"NOOP\r\n").await.unwrap();
        assert_eq!(
            driver.next_event().await.unwrap(),
            Next::Event("NOOP".into())
        );
        let started = tokio::time::Instant::now();
        assert_eq!(driver.next_event().await.unwrap(), Next::Closed);
        assert!(started.elapsed() >= Duration::from_secs(9));
        let mut answer = String::new();
        theirs.read_to_string(&mut answer).await.unwrap();
        assert_eq!(answer, "OK\r\nTIMEOUT\r\n");
    }

    #[tokio::test]
    async fn starttls_flushes_and_stops_reading() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut driver = Driver::new(ours, Toy::default());
        theirs.write_all(b"STARTTLS\r\n").await.unwrap();
        assert_eq!(
            driver.next_event().await.unwrap(),
            Next::Event("STARTTLS".into())
        );
        assert_eq!(driver.next_event().await.unwrap(), Next::StartTls);
        // What the peer sends now (its TLS handshake) must still be in the stream.
        theirs.write_all(b"HANDSHAKE").await.unwrap();
        let (mut stream, mut machine) = driver.into_parts();
        let mut reply = [0u8; 4];
        theirs.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"OK\r\n");
        let mut handshake = [0u8; 9];
        stream.read_exact(&mut handshake).await.unwrap();
        assert_eq!(&handshake, b"HANDSHAKE");
        machine.handle_tls_established(Instant::now());
        let mut driver = Driver::new(stream, machine);
        theirs.write_all(b"EHLO\r\n").await.unwrap();
        assert_eq!(
            driver.next_event().await.unwrap(),
            Next::Event("EHLO".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_machine_that_wants_no_input_is_not_fed() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let mut driver = Driver::new(ours, Toy::default());
        theirs.write_all(b"NOOP\r\n").await.unwrap();
        assert_eq!(
            driver.next_event().await.unwrap(),
            Next::Event("NOOP".into())
        );
        driver.machine_mut().paused = true;
        theirs.write_all(b"HELP\r\n").await.unwrap();
        // Nothing is read while paused: the 10 s timer is what ends the wait.
        assert_eq!(driver.next_event().await.unwrap(), Next::Closed);
        assert!(driver.machine().fed.is_empty());
        let (mut stream, _) = driver.into_parts();
        let mut unread = [0u8; 6];
        stream.read_exact(&mut unread).await.unwrap();
        assert_eq!(&unread, b"HELP\r\n");
    }

    #[tokio::test]
    async fn paused_without_timer_is_an_error_not_a_hang() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let mut driver = Driver::new(
            ours,
            Toy {
                paused: true,
                ..Toy::default()
            },
        );
        let error = driver.next_event().await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::Other);
    }

    #[tokio::test]
    async fn reads_while_the_peer_does_not_read() {
        // A tiny pipe: the machine's output fills it while the peer keeps sending.
        let (ours, mut theirs) = tokio::io::duplex(8);
        let mut driver = Driver::new(ours, Toy::default());
        let sender = tokio::spawn(async move {
            for _ in 0..50 {
                theirs.write_all(b"NOOP\r\n").await.unwrap();
            }
            let mut all = Vec::new();
            theirs.read_to_end(&mut all).await.unwrap();
            all
        });
        for _ in 0..50 {
            assert_eq!(
                driver.next_event().await.unwrap(),
                Next::Event("NOOP".into())
            );
        }
        driver.machine_mut().closed = true;
        assert_eq!(driver.next_event().await.unwrap(), Next::Closed);
        drop(driver);
        let answers = sender.await.unwrap();
        assert_eq!(answers, b"OK\r\n".repeat(50));
    }
}
