use std::time::Instant;

/// What the transport under a session should do next.
///
/// The driver reads it after draining [`Session::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// Keep reading and writing.
    Open,
    /// Flush what was transmitted, stop reading, and upgrade the stream to TLS; then call
    /// [`Session::handle_tls_established`]. Bytes after the upgrade command that were
    /// already handed to the machine are its business (it discards and reports them).
    StartTls,
    /// Flush what was transmitted and close the connection.
    Closed,
}

/// The one vocabulary of every mailwire state machine (server and client of SMTP, LMTP,
/// POP3 and IMAP).
///
/// Inputs never fail and never read the clock: the caller passes `now`. Outputs are
/// pulled, in this documented order after every input or decision:
/// 1. [`poll_transmit`](Session::poll_transmit) until it returns 0,
/// 2. [`poll_timeout`](Session::poll_timeout) to (re)arm the single timer,
/// 3. [`poll_event`](Session::poll_event) until it returns `None`,
/// 4. [`transport`](Session::transport) to learn whether to upgrade or close, and
///    [`wants_input`](Session::wants_input) to learn whether to read more.
///
/// Decisions of the application (replies, acceptance of data, authentication outcomes)
/// are protocol-specific methods on the concrete machine, correlated by ids carried in
/// the events.
pub trait Session {
    /// What the machine tells the application.
    type Event;

    /// Bytes that arrived from the peer, in order, in chunks of any size.
    fn handle_input(&mut self, now: Instant, input: &[u8]);

    /// The instant returned by [`poll_timeout`](Session::poll_timeout) has passed.
    fn handle_timeout(&mut self, now: Instant);

    /// The peer closed its sending side.
    fn handle_eof(&mut self, now: Instant);

    /// The transport finished the TLS handshake that [`Transport::StartTls`] asked for
    /// (or the connection started with implicit TLS, if the machine was not told so in
    /// its configuration).
    fn handle_tls_established(&mut self, now: Instant);

    /// Appends bytes to send to `out`; returns how many were appended (0: nothing to send).
    #[must_use]
    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize;

    /// When [`handle_timeout`](Session::handle_timeout) should be called next, if ever.
    #[must_use]
    fn poll_timeout(&self) -> Option<Instant>;

    /// The next event for the application, if any.
    #[must_use]
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// What the transport should do once pending output is flushed.
    #[must_use]
    fn transport(&self) -> Transport;

    /// False while the machine holds as much unprocessed input as it is willing to (for
    /// example while it waits for the application's decisions): the transport then stops
    /// reading, so the peer is slowed down by TCP instead of the machine buffering
    /// without bound. The default is to always take input.
    #[must_use]
    fn wants_input(&self) -> bool {
        true
    }
}
