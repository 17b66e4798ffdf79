//! The POP3 client machine.
//!
//! [`Client`] implements [`mailwire_core::Session`]. The application queues commands
//! with [`Client::send`] (or the conveniences [`Client::login`], [`Client::apop`],
//! [`Client::auth_plain`]) and gets a [`CommandId`] back; the answers come as
//! [`ClientEvent`]s carrying that id, in command order. Message bodies of RETR and TOP
//! are streamed out as dot-unstuffed [`Bytes`] chunks, never accumulated.
//!
//! Commands are sent one at a time until the server advertises PIPELINING in its CAPA
//! answer (RFC 2449 §6.6); then they are sent as soon as queued, except STLS and AUTH,
//! which wait for everything before them and hold back everything after them.
//!
//! After `+OK` to STLS, [`Session::transport`] says [`Transport::StartTls`]; bytes the
//! server sent after that line are discarded and reported (they were not protected by
//! TLS). Once [`Session::handle_tls_established`] is called, cached capabilities are
//! forgotten (RFC 2595 §4) and queued commands go out.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mailwire_core::dot::DotUnstuffer;
use mailwire_core::line::{Line, LineBuffer, LineEnding};
use mailwire_core::{Secret, Session, Transport};

use crate::codec::{
    decode_capability_line, decode_continuation_line, decode_drop_listing,
    decode_language_listing_line, decode_scan_listing_line, decode_status_line,
    decode_unique_id_listing_line, encode_command, encode_sasl_response, DEFAULT_MAX_SASL_LINE,
    MAX_COMMAND_LINE, MAX_RESPONSE_LINE,
};
use crate::error::{DecodeError, SessionError};
use crate::sasl::PlainCredentials;
use crate::types::{
    ApopDigest, ApopTimestamp, Capability, Command, CommandName, DropListing, LanguageListing,
    Mechanism, Password, ResponseKind, SaslResponse, ScanListing, StatusIndicator, StatusLine,
    UniqueIdListing, Word,
};

/// Default time to wait for the greeting or a response.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Default maximum number of capability lines kept from a CAPA answer.
pub const DEFAULT_MAX_CAPABILITIES: usize = 256;

/// Client settings; see the field docs for defaults.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Longest status or listing line, CRLF included (RFC 1939 §3: 512). Default
    /// [`MAX_RESPONSE_LINE`].
    pub max_response_line: usize,
    /// Longest SASL challenge line, CRLF included. Default [`DEFAULT_MAX_SASL_LINE`].
    pub max_sasl_line: usize,
    /// Most capability lines kept from one CAPA answer. Default
    /// [`DEFAULT_MAX_CAPABILITIES`].
    pub max_capabilities: usize,
    /// How long to wait for the greeting or an answer; `None` waits forever. Default
    /// [`DEFAULT_RESPONSE_TIMEOUT`].
    pub response_timeout: Option<Duration>,
    /// Pipeline commands once the server advertises PIPELINING. Default `true`.
    pub pipelining: bool,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            max_response_line: MAX_RESPONSE_LINE,
            max_sasl_line: DEFAULT_MAX_SASL_LINE,
            max_capabilities: DEFAULT_MAX_CAPABILITIES,
            response_timeout: Some(DEFAULT_RESPONSE_TIMEOUT),
            pipelining: true,
        }
    }
}

/// Correlates a command with the events of its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(u64);

impl CommandId {
    /// The id as a number (for logs).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Why the client closed the session by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientCloseReason {
    /// QUIT was answered.
    Quit,
    /// The server's greeting was `-ERR`.
    Rejected,
    /// The server closed the connection.
    PeerClosed,
    /// The server sent something that is not POP3.
    ProtocolError,
    /// No answer within [`ClientConfig::response_timeout`].
    TimedOut,
}

/// What the client machine tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting; `apop_timestamp` is set when it offers APOP.
    Greeting {
        /// The greeting line.
        line: StatusLine<'static>,
        /// The APOP challenge, if any.
        apop_timestamp: Option<ApopTimestamp<'static>>,
    },
    /// `+OK` to a command without data (USER, PASS, APOP, AUTH, DELE, NOOP, RSET, QUIT,
    /// STLS, UTF8, LANG with a range).
    Ok {
        /// The command.
        id: CommandId,
        /// Its keyword.
        command: CommandName,
        /// The answer.
        line: StatusLine<'static>,
    },
    /// `-ERR` to any command (with its response code, if any).
    Err {
        /// The command.
        id: CommandId,
        /// Its keyword.
        command: CommandName,
        /// The answer.
        line: StatusLine<'static>,
    },
    /// STAT's answer.
    Stat {
        /// The command.
        id: CommandId,
        /// Count and size.
        listing: DropListing<'static>,
    },
    /// A scan listing: the answer to `LIST msg`, or one line of `LIST`.
    ScanListing {
        /// The command.
        id: CommandId,
        /// The listing.
        listing: ScanListing<'static>,
    },
    /// A unique-id listing: the answer to `UIDL msg`, or one line of `UIDL`.
    UniqueIdListing {
        /// The command.
        id: CommandId,
        /// The listing.
        listing: UniqueIdListing<'static>,
    },
    /// One line of the answer to `LANG` without argument.
    Language {
        /// The command.
        id: CommandId,
        /// The listing.
        listing: LanguageListing<'static>,
    },
    /// The end of a multi-line LIST, UIDL or LANG answer.
    ListingEnd {
        /// The command.
        id: CommandId,
    },
    /// CAPA's answer, whole.
    Capabilities {
        /// The command.
        id: CommandId,
        /// The capabilities.
        capabilities: Vec<Capability<'static>>,
    },
    /// The `+OK` line of a RETR or TOP answer; the message follows.
    MessageStart {
        /// The command.
        id: CommandId,
        /// The `+OK` line.
        line: StatusLine<'static>,
    },
    /// Message octets, dot-stuffing removed, in order.
    MessageData {
        /// The command.
        id: CommandId,
        /// The next octets.
        chunk: Bytes,
    },
    /// The message ended (the `.` line was read).
    MessageEnd {
        /// The command.
        id: CommandId,
    },
    /// A SASL challenge in an AUTH exchange: answer [`Client::sasl_respond`] or
    /// [`Client::sasl_cancel`].
    SaslChallenge {
        /// The AUTH command.
        id: CommandId,
        /// The decoded challenge.
        challenge: Vec<u8>,
    },
    /// The server sent bytes after its `+OK` to STLS, before TLS; they were discarded.
    InjectedAfterStls {
        /// How many octets.
        octets: usize,
    },
    /// The server sent something that is not POP3; the session is closed.
    ProtocolError {
        /// What was wrong.
        error: DecodeError,
    },
    /// The session is over; commands not answered never will be.
    Closed {
        /// Why.
        reason: ClientCloseReason,
    },
}

/// How the answer to the command in flight is being read.
#[derive(Debug)]
enum Reading {
    /// Its first line.
    Status,
    /// The lines of a LIST, UIDL or LANG listing.
    Listing(ResponseKind),
    /// CAPA lines.
    Capabilities(Vec<Capability<'static>>),
    /// A RETR or TOP message.
    Message(DotUnstuffer),
}

#[derive(Debug)]
struct InFlight {
    id: CommandId,
    name: CommandName,
    kind: ResponseKind,
    /// The response to send to the first (empty) challenge of AUTH PLAIN.
    auto_response: Option<Secret<Vec<u8>>>,
}

#[derive(Debug)]
struct Queued {
    command: Command<'static>,
    in_flight: InFlight,
}

/// The POP3 client machine; see the [module docs](self).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    lines: LineBuffer,
    out: Vec<u8>,
    events: VecDeque<ClientEvent>,
    queued: VecDeque<Queued>,
    in_flight: VecDeque<InFlight>,
    reading: Reading,
    greeted: bool,
    apop_timestamp: Option<ApopTimestamp<'static>>,
    server_pipelining: bool,
    /// An AUTH challenge waits for the application's answer.
    sasl_waiting: bool,
    transport: Transport,
    closed: bool,
    quit_sent: bool,
    next_id: u64,
    deadline: Option<Instant>,
    last_now: Instant,
}

impl Client {
    /// A client at the start of a connection, waiting for the greeting.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let deadline = config.response_timeout.and_then(|t| now.checked_add(t));
        Client {
            lines: LineBuffer::new(config.max_response_line),
            config,
            out: Vec::new(),
            events: VecDeque::new(),
            queued: VecDeque::new(),
            in_flight: VecDeque::new(),
            reading: Reading::Status,
            greeted: false,
            apop_timestamp: None,
            server_pipelining: false,
            sasl_waiting: false,
            transport: Transport::Open,
            closed: false,
            quit_sent: false,
            next_id: 0,
            deadline,
            last_now: now,
        }
    }

    /// True once the server advertised PIPELINING (since the last TLS upgrade).
    pub fn server_pipelining(&self) -> bool {
        self.server_pipelining
    }

    /// The APOP timestamp of the greeting, if it had one.
    pub fn apop_timestamp(&self) -> Option<&ApopTimestamp<'static>> {
        self.apop_timestamp.as_ref()
    }

    /// Commands sent or queued and not answered yet.
    pub fn outstanding(&self) -> usize {
        self.queued.len() + self.in_flight.len()
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Queues a command; its answer comes as events with the returned id.
    pub fn send(&mut self, command: Command<'_>) -> Result<CommandId, SessionError> {
        self.queue(command.into_owned(), None)
    }

    fn queue(
        &mut self,
        command: Command<'static>,
        auto_response: Option<Secret<Vec<u8>>>,
    ) -> Result<CommandId, SessionError> {
        if self.closed {
            return Err(SessionError::Closed);
        }
        if self.quit_sent {
            return Err(SessionError::NotAllowed);
        }
        let mut line = Vec::new();
        encode_command(&command, &mut line);
        if line.len() > MAX_COMMAND_LINE {
            return Err(SessionError::CommandTooLong);
        }
        self.next_id += 1;
        let id = CommandId(self.next_id);
        let name = command.name();
        if name == CommandName::Quit {
            self.quit_sent = true;
        }
        self.queued.push_back(Queued {
            in_flight: InFlight {
                id,
                name,
                kind: command.response_kind(),
                auto_response,
            },
            command,
        });
        self.flush_queue();
        Ok(id)
    }

    /// USER then PASS (pipelined when the server allows).
    pub fn login(
        &mut self,
        user: &str,
        password: &str,
    ) -> Result<(CommandId, CommandId), SessionError> {
        let user = Word::new(user).map_err(|_| SessionError::InvalidText)?;
        let password = Password::new(password.as_bytes()).map_err(|_| SessionError::InvalidText)?;
        let user_id = self.send(Command::User(user))?;
        let pass_id = self.send(Command::Pass(password))?;
        Ok((user_id, pass_id))
    }

    /// APOP with the digest of the greeting's timestamp and `secret` (RFC 1939 §7).
    /// Refused before the greeting or when it had no timestamp.
    pub fn apop(&mut self, user: &str, secret: &str) -> Result<CommandId, SessionError> {
        let timestamp = self
            .apop_timestamp
            .as_ref()
            .ok_or(SessionError::NotAllowed)?;
        let digest = ApopDigest::compute(timestamp, secret.as_bytes());
        let name = Word::new(user).map_err(|_| SessionError::InvalidText)?;
        self.send(Command::Apop {
            name: name.into_owned(),
            digest,
        })
    }

    /// AUTH PLAIN (RFC 4616, RFC 5034): with an initial response when the command fits
    /// in 255 octets, otherwise after the server's empty challenge.
    pub fn auth_plain(
        &mut self,
        credentials: &PlainCredentials,
    ) -> Result<CommandId, SessionError> {
        let message = credentials.encode();
        let with_initial = Command::Auth {
            mechanism: Mechanism::plain(),
            initial_response: Some(message.clone()),
        };
        let mut line = Vec::new();
        encode_command(&with_initial, &mut line);
        if line.len() <= MAX_COMMAND_LINE {
            self.queue(with_initial, None)
        } else {
            let without = Command::Auth {
                mechanism: Mechanism::plain(),
                initial_response: None,
            };
            self.queue(without, Some(message))
        }
    }

    /// Answers the SASL challenge of the AUTH command `id`.
    pub fn sasl_respond(&mut self, id: CommandId, response: &[u8]) -> Result<(), SessionError> {
        self.sasl_answer(id, SaslResponse::Data(Secret::new(response.to_vec())))
    }

    /// Cancels the AUTH exchange `id` (`*`); the server answers `-ERR`.
    pub fn sasl_cancel(&mut self, id: CommandId) -> Result<(), SessionError> {
        self.sasl_answer(id, SaslResponse::Cancel)
    }

    fn sasl_answer(&mut self, id: CommandId, response: SaslResponse) -> Result<(), SessionError> {
        if self.closed {
            return Err(SessionError::Closed);
        }
        match self.in_flight.front() {
            Some(head) if head.id == id && self.sasl_waiting => {}
            Some(head) if head.id == id => return Err(SessionError::WrongDecision),
            _ => return Err(SessionError::UnknownId),
        }
        encode_sasl_response(&response, &mut self.out);
        self.sasl_waiting = false;
        self.arm_timer();
        self.process();
        Ok(())
    }

    fn is_barrier(name: CommandName) -> bool {
        matches!(name, CommandName::Stls | CommandName::Auth)
    }

    /// Sends queued commands as far as the pipelining rules allow.
    fn flush_queue(&mut self) {
        while let Some(next) = self.queued.front() {
            if !self.greeted
                || self.closed
                || self.transport != Transport::Open
                || self.sasl_waiting
            {
                break;
            }
            if let Some(last) = self.in_flight.back() {
                let pipelining = self.config.pipelining && self.server_pipelining;
                if !pipelining
                    || Self::is_barrier(next.in_flight.name)
                    || Self::is_barrier(last.name)
                {
                    break;
                }
            }
            let Some(queued) = self.queued.pop_front() else {
                break;
            };
            encode_command(&queued.command, &mut self.out);
            self.in_flight.push_back(queued.in_flight);
            self.arm_timer();
        }
    }

    fn arm_timer(&mut self) {
        let waiting = !self.greeted || !self.in_flight.is_empty();
        self.deadline = if waiting && !self.closed && !self.sasl_waiting {
            self.config
                .response_timeout
                .and_then(|timeout| self.last_now.checked_add(timeout))
        } else {
            None
        };
    }

    fn close_with(&mut self, reason: ClientCloseReason) {
        if !self.closed {
            self.closed = true;
            self.transport = Transport::Closed;
            self.deadline = None;
            self.lines.clear();
            self.events.push_back(ClientEvent::Closed { reason });
        }
    }

    fn protocol_error(&mut self, error: DecodeError) {
        self.events.push_back(ClientEvent::ProtocolError { error });
        self.close_with(ClientCloseReason::ProtocolError);
    }

    /// Reads what is buffered as far as it goes (not past a SASL challenge the
    /// application has not answered yet, so the result does not depend on how the
    /// input was chunked).
    fn process(&mut self) {
        while !self.closed && self.transport == Transport::Open && !self.sasl_waiting {
            if let Reading::Message(unstuffer) = &mut self.reading {
                let Some(id) = self.in_flight.front().map(|head| head.id) else {
                    self.reading = Reading::Status;
                    continue;
                };
                if self.lines.is_empty() {
                    break;
                }
                let mut chunk = BytesMut::new();
                let fed =
                    unstuffer.feed(self.lines.buffered(), |part| chunk.extend_from_slice(part));
                self.lines.consume(fed.consumed);
                if !chunk.is_empty() {
                    self.events.push_back(ClientEvent::MessageData {
                        id,
                        chunk: chunk.freeze(),
                    });
                }
                if fed.finished {
                    self.events.push_back(ClientEvent::MessageEnd { id });
                    self.finish_head();
                }
                continue;
            }
            let limit = match self.in_flight.front() {
                Some(head) if head.name == CommandName::Auth => self.config.max_sasl_line,
                _ => self.config.max_response_line,
            };
            self.lines.set_max_line_length(limit);
            let Some(line) = self.lines.next_line() else {
                break;
            };
            match line {
                Line::TooLong => self.protocol_error(DecodeError::LineTooLong),
                Line::Complete {
                    ending: LineEnding::BareLf,
                    ..
                } => self.protocol_error(DecodeError::BareLineFeed),
                Line::Complete { bytes, .. } => self.line(&bytes),
            }
        }
    }

    fn finish_head(&mut self) {
        self.in_flight.pop_front();
        self.reading = Reading::Status;
        self.arm_timer();
        self.flush_queue();
    }

    fn line(&mut self, line: &[u8]) {
        if !self.greeted {
            return self.greeting(line);
        }
        let reading = std::mem::replace(&mut self.reading, Reading::Status);
        match reading {
            Reading::Status => self.status(line),
            Reading::Listing(kind) => self.listing_line(kind, line),
            Reading::Capabilities(capabilities) => self.capability_line(capabilities, line),
            Reading::Message(unstuffer) => self.reading = Reading::Message(unstuffer),
        }
    }

    fn greeting(&mut self, line: &[u8]) {
        match decode_status_line(line) {
            Ok(status) => {
                let status = status.into_owned();
                self.greeted = true;
                self.apop_timestamp = status.apop_timestamp();
                let ok = status.is_ok();
                self.events.push_back(ClientEvent::Greeting {
                    apop_timestamp: self.apop_timestamp.clone(),
                    line: status,
                });
                if ok {
                    self.arm_timer();
                    self.flush_queue();
                } else {
                    self.close_with(ClientCloseReason::Rejected);
                }
            }
            Err(error) => self.protocol_error(error),
        }
    }

    fn status(&mut self, line: &[u8]) {
        let Some(head) = self.in_flight.front() else {
            // Nothing was asked: the server talks out of turn.
            return self.protocol_error(DecodeError::InvalidStatus);
        };
        let (id, name, kind) = (head.id, head.name, head.kind);
        if kind == ResponseKind::Auth {
            if let Some(challenge) = decode_continuation_line(line) {
                return self.challenge(id, challenge);
            }
        }
        let status = match decode_status_line(line) {
            Ok(status) => status.into_owned(),
            Err(error) => return self.protocol_error(error),
        };
        if status.status == StatusIndicator::Err {
            self.events.push_back(ClientEvent::Err {
                id,
                command: name,
                line: status,
            });
            return self.finish_head();
        }
        let data = line.get(4..).unwrap_or_default();
        match kind {
            ResponseKind::DropListing => match decode_drop_listing(data) {
                Ok(listing) => {
                    let listing = listing.into_owned();
                    self.events.push_back(ClientEvent::Stat { id, listing });
                    self.finish_head();
                }
                Err(error) => self.protocol_error(error),
            },
            ResponseKind::ScanListing => match decode_scan_listing_line(data) {
                Ok(listing) => {
                    let listing = listing.into_owned();
                    self.events
                        .push_back(ClientEvent::ScanListing { id, listing });
                    self.finish_head();
                }
                Err(error) => self.protocol_error(error),
            },
            ResponseKind::UniqueIdListing => match decode_unique_id_listing_line(data) {
                Ok(listing) => {
                    let listing = listing.into_owned();
                    self.events
                        .push_back(ClientEvent::UniqueIdListing { id, listing });
                    self.finish_head();
                }
                Err(error) => self.protocol_error(error),
            },
            ResponseKind::ScanListings
            | ResponseKind::UniqueIdListings
            | ResponseKind::Languages => {
                self.reading = Reading::Listing(kind);
            }
            ResponseKind::Capabilities => self.reading = Reading::Capabilities(Vec::new()),
            ResponseKind::Message => {
                self.events
                    .push_back(ClientEvent::MessageStart { id, line: status });
                self.reading = Reading::Message(DotUnstuffer::new());
            }
            ResponseKind::Greeting | ResponseKind::Status | ResponseKind::Auth => {
                self.events.push_back(ClientEvent::Ok {
                    id,
                    command: name,
                    line: status,
                });
                if name == CommandName::Stls {
                    // Before the queue moves: nothing may leave until TLS is up.
                    self.start_tls();
                }
                self.finish_head();
                if name == CommandName::Quit {
                    self.close_with(ClientCloseReason::Quit);
                }
            }
        }
    }

    fn challenge(&mut self, id: CommandId, challenge: Result<Vec<u8>, DecodeError>) {
        let auto = self
            .in_flight
            .front_mut()
            .and_then(|head| head.auto_response.take());
        match (challenge, auto) {
            (Ok(challenge), Some(response)) if challenge.is_empty() => {
                encode_sasl_response(&SaslResponse::Data(response), &mut self.out);
            }
            (Ok(_), Some(_)) | (Err(_), _) => {
                // RFC 5034 §4: a challenge that is not base64 (or not the empty one
                // PLAIN expects) is answered with "*".
                encode_sasl_response(&SaslResponse::Cancel, &mut self.out);
            }
            (Ok(challenge), None) => {
                self.sasl_waiting = true;
                self.events
                    .push_back(ClientEvent::SaslChallenge { id, challenge });
            }
        }
        self.arm_timer();
    }

    fn start_tls(&mut self) {
        self.transport = Transport::StartTls;
        let octets = self.lines.len();
        self.lines.clear();
        if octets > 0 {
            self.events
                .push_back(ClientEvent::InjectedAfterStls { octets });
        }
    }

    fn listing_line(&mut self, kind: ResponseKind, line: &[u8]) {
        let Some(id) = self.in_flight.front().map(|head| head.id) else {
            return;
        };
        let line = match line {
            b"." => {
                self.events.push_back(ClientEvent::ListingEnd { id });
                return self.finish_head();
            }
            [b'.', rest @ ..] => rest,
            other => other,
        };
        let event = match kind {
            ResponseKind::ScanListings => {
                decode_scan_listing_line(line).map(|listing| ClientEvent::ScanListing {
                    id,
                    listing: listing.into_owned(),
                })
            }
            ResponseKind::UniqueIdListings => {
                decode_unique_id_listing_line(line).map(|listing| ClientEvent::UniqueIdListing {
                    id,
                    listing: listing.into_owned(),
                })
            }
            _ => decode_language_listing_line(line).map(|listing| ClientEvent::Language {
                id,
                listing: listing.into_owned(),
            }),
        };
        match event {
            Ok(event) => {
                self.events.push_back(event);
                self.reading = Reading::Listing(kind);
            }
            Err(error) => self.protocol_error(error),
        }
    }

    fn capability_line(&mut self, mut capabilities: Vec<Capability<'static>>, line: &[u8]) {
        let Some(id) = self.in_flight.front().map(|head| head.id) else {
            return;
        };
        let line = match line {
            b"." => {
                self.server_pipelining = capabilities.contains(&Capability::Pipelining);
                self.events
                    .push_back(ClientEvent::Capabilities { id, capabilities });
                return self.finish_head();
            }
            [b'.', rest @ ..] => rest,
            other => other,
        };
        if capabilities.len() >= self.config.max_capabilities {
            return self.protocol_error(DecodeError::TooManyLines);
        }
        match decode_capability_line(line) {
            Ok(capability) => {
                capabilities.push(capability.into_owned());
                self.reading = Reading::Capabilities(capabilities);
            }
            Err(error) => self.protocol_error(error),
        }
    }
}

impl Session for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, input: &[u8]) {
        self.last_now = now;
        if self.closed {
            return;
        }
        if self.transport == Transport::StartTls {
            if !input.is_empty() {
                self.events.push_back(ClientEvent::InjectedAfterStls {
                    octets: input.len(),
                });
            }
            return;
        }
        self.lines.extend(input);
        if !input.is_empty() {
            self.arm_timer();
        }
        self.process();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        if let Some(deadline) = self.deadline {
            if now >= deadline {
                self.close_with(ClientCloseReason::TimedOut);
            }
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.last_now = now;
        self.close_with(ClientCloseReason::PeerClosed);
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.last_now = now;
        if self.closed {
            return;
        }
        if self.transport == Transport::StartTls {
            self.transport = Transport::Open;
            // RFC 2595 §4: forget what was learnt before TLS.
            self.server_pipelining = false;
            self.lines.clear();
        }
        self.arm_timer();
        self.flush_queue();
    }

    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let count = self.out.len();
        out.append(&mut self.out);
        count
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn transport(&self) -> Transport {
        self.transport
    }
}

#[cfg(test)]
mod tests;
