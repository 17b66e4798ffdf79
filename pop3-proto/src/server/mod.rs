//! The POP3 server machine (RFC 1939 with RFC 2449, 2595, 5034, 6856).
//!
//! [`Server`] implements [`mailwire_core::Session`]. It answers by itself what the
//! maildrop snapshot given at login determines (STAT, LIST, UIDL, DELE, RSET, NOOP,
//! CAPA, STLS, QUIT before login, and every protocol error), and asks the application,
//! through [`ServerEvent`]s carrying a [`RequestId`], for what only it knows: whether a
//! login succeeds, the message octets of RETR and TOP, the removal of the marked
//! messages at QUIT, the UTF8 and LANG answers.
//!
//! Commands are processed in turn (RFC 2449 §6.6): while one waits for the application,
//! the commands pipelined behind it stay buffered (up to
//! [`ServerConfig::max_pipelined_input`]), so replies always leave in command order.
//!
//! Decisions take `now` because the autologout timer of RFC 1939 §3 restarts when the
//! server has finished answering.

mod config;

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use mailwire_core::dot::DotStuffer;
use mailwire_core::line::{Line, LineBuffer, LineEnding};
use mailwire_core::{Secret, Session, Transport};

pub use config::{
    CleartextLogin, Maildrop, MessageInfo, ServerConfig, DEFAULT_AUTOLOGOUT, DEFAULT_MAX_ERRORS,
    DEFAULT_MAX_PIPELINED_INPUT,
};

use crate::codec::{
    decode_command_line, decode_sasl_response_line, encode_capability_line,
    encode_language_listing_line, encode_status_line,
};
use crate::error::{DecodeError, SessionError};
use crate::types::{
    ApopDigest, ApopTimestamp, Capability, Command, KnownCode, LanguageListing, Mechanism,
    MessageNumber, Password, ResponseCode, SaslResponse, StatusLine, Text, Word,
};

/// Correlates a [`ServerEvent`] with the application's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// The id as a number (for logs).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The session states of RFC 1939 §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Before login.
    Authorization,
    /// Logged in, maildrop open.
    Transaction,
    /// QUIT received in TRANSACTION; the marked messages are being removed.
    Update,
    /// The session is over.
    Closed,
}

/// Why the session closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent QUIT.
    Quit,
    /// No command for [`ServerConfig::autologout`]; nothing was removed (RFC 1939 §3).
    Autologout,
    /// Too many bad commands.
    TooManyErrors,
    /// The client sent more pipelined input than [`ServerConfig::max_pipelined_input`].
    TooMuchInput,
    /// The client closed the connection.
    PeerClosed,
    /// The application called [`Server::close`].
    Application,
}

/// What the server machine asks or tells the application.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// `USER name`: answer [`Server::reply_ok`] (then PASS may follow) or
    /// [`Server::reply_err`].
    User {
        /// Correlation id.
        id: RequestId,
        /// The mailbox name.
        name: Word<'static>,
    },
    /// `PASS`: answer [`Server::accept_login`] or [`Server::reply_err`] (for example
    /// with [`KnownCode::InUse`] or [`KnownCode::Auth`]).
    Pass {
        /// Correlation id.
        id: RequestId,
        /// The name given with USER.
        name: Word<'static>,
        /// The password.
        password: Password<'static>,
    },
    /// `APOP name digest`: check with [`ApopDigest::verify`], then
    /// [`Server::accept_login`] or [`Server::reply_err`].
    Apop {
        /// Correlation id.
        id: RequestId,
        /// The mailbox name.
        name: Word<'static>,
        /// The client's digest.
        digest: ApopDigest,
        /// The timestamp of this session's greeting.
        timestamp: ApopTimestamp<'static>,
    },
    /// `AUTH mechanism [initial-response]`: continue with [`Server::sasl_challenge`],
    /// or finish with [`Server::accept_login`] or [`Server::reply_err`].
    Auth {
        /// Correlation id (the same for the whole exchange).
        id: RequestId,
        /// The mechanism (one of [`ServerConfig::sasl_mechanisms`]).
        mechanism: Mechanism<'static>,
        /// The initial response, decoded.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// The client's answer to a challenge; decide as for [`ServerEvent::Auth`].
    SaslResponse {
        /// Correlation id of the exchange.
        id: RequestId,
        /// The response, decoded.
        response: Secret<Vec<u8>>,
    },
    /// The client cancelled the exchange with `*` or sent bad base64; the machine
    /// answered `-ERR`. No decision is needed.
    AuthAborted {
        /// Correlation id of the exchange.
        id: RequestId,
    },
    /// `RETR msg`: stream the message with [`Server::send_body`] and
    /// [`Server::finish_body`], or [`Server::reply_err`].
    Retr {
        /// Correlation id.
        id: RequestId,
        /// The message (exists, not marked as deleted).
        message: MessageNumber,
    },
    /// `TOP msg n`: stream the headers, the blank line and `lines` body lines.
    Top {
        /// Correlation id.
        id: RequestId,
        /// The message (exists, not marked as deleted).
        message: MessageNumber,
        /// Body lines wanted.
        lines: u32,
    },
    /// `UTF8`: [`Server::reply_ok`] to enter UTF-8 mode, or [`Server::reply_err`].
    Utf8 {
        /// Correlation id.
        id: RequestId,
    },
    /// `LANG [range]`: with a range, [`Server::reply_ok`] with the text
    /// `"tag text"`; without, [`Server::reply_languages`]; or [`Server::reply_err`].
    Lang {
        /// Correlation id.
        id: RequestId,
        /// The language range, or `None` for the listing.
        range: Option<Word<'static>>,
    },
    /// QUIT in TRANSACTION (UPDATE state): remove these messages, then
    /// [`Server::reply_ok`] or [`Server::reply_err`]; the session then closes.
    Update {
        /// Correlation id.
        id: RequestId,
        /// The messages marked as deleted, in increasing order.
        deleted: Vec<MessageNumber>,
    },
    /// Bytes that followed STLS before the TLS handshake were discarded (a plaintext
    /// command injection attempt, or a broken client).
    PlaintextDiscarded {
        /// How many octets.
        octets: usize,
    },
    /// The session closed; nothing more will happen.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}

/// What a pending request waits for.
#[derive(Debug)]
enum Pending {
    User(Word<'static>),
    Login {
        name: Option<Word<'static>>,
    },
    Body {
        stuffer: DotStuffer,
        status: Option<StatusLine<'static>>,
    },
    Utf8,
    Lang {
        listing: bool,
    },
    Update,
}

/// The POP3 server machine; see the [module docs](self).
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    lines: LineBuffer,
    out: Vec<u8>,
    events: VecDeque<ServerEvent>,
    state: State,
    transport: Transport,
    tls_active: bool,
    timestamp: Option<ApopTimestamp<'static>>,
    user: Option<Word<'static>>,
    maildrop: Maildrop,
    deleted: Vec<bool>,
    pending: Option<(RequestId, Pending)>,
    /// An AUTH exchange waits for the client's next line.
    sasl_waiting: Option<(RequestId, Option<Word<'static>>)>,
    authenticated_once: bool,
    utf8_mode: bool,
    next_id: u64,
    errors: u32,
    last_activity: Instant,
}

fn text(value: &str) -> Result<Text<'_>, SessionError> {
    Text::utf8(value).map_err(|_| SessionError::InvalidText)
}

/// A `+OK` or `-ERR` line from machine-made text (never holds a line break).
fn line_ok(value: String) -> StatusLine<'static> {
    StatusLine::ok(Text::new(value.into_bytes()).unwrap_or_else(|_| Text::empty()))
}

fn line_err(code: Option<KnownCode>, value: &str) -> StatusLine<'static> {
    StatusLine::err(
        code.map(ResponseCode::known),
        Text::new(value.as_bytes().to_vec()).unwrap_or_else(|_| Text::empty()),
    )
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

impl Server {
    /// A session that greets without an APOP timestamp (APOP is then refused).
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        Self::build(config, now, None)
    }

    /// A session whose greeting carries `timestamp`, enabling APOP (RFC 1939 §7). The
    /// timestamp must differ for every session: make it from injected randomness with
    /// [`ApopTimestamp::generate`].
    pub fn with_apop(config: ServerConfig, now: Instant, timestamp: ApopTimestamp<'_>) -> Self {
        Self::build(config, now, Some(timestamp.into_owned()))
    }

    fn build(
        config: ServerConfig,
        now: Instant,
        timestamp: Option<ApopTimestamp<'static>>,
    ) -> Self {
        let mut greeting = config.greeting.replace(['\r', '\n', '\0'], " ");
        if let Some(timestamp) = &timestamp {
            greeting.push(' ');
            greeting.push_str(timestamp.as_str());
        }
        let mut server = Server {
            lines: LineBuffer::new(config.max_command_line),
            out: Vec::new(),
            events: VecDeque::new(),
            state: State::Authorization,
            transport: Transport::Open,
            tls_active: config.implicit_tls,
            timestamp,
            user: None,
            maildrop: Maildrop::default(),
            deleted: Vec::new(),
            pending: None,
            sasl_waiting: None,
            authenticated_once: false,
            utf8_mode: false,
            next_id: 0,
            errors: 0,
            last_activity: now,
            config,
        };
        server.send_line(&line_ok(greeting));
        server
    }

    /// The session state.
    pub fn state(&self) -> State {
        self.state
    }

    /// True once TLS is active (implicit, or after STLS).
    pub fn is_tls_active(&self) -> bool {
        self.tls_active
    }

    /// True once the client entered UTF-8 mode (RFC 6856 §2).
    pub fn is_utf8_mode(&self) -> bool {
        self.utf8_mode
    }

    /// The messages currently marked as deleted.
    pub fn deleted(&self) -> Vec<MessageNumber> {
        self.deleted
            .iter()
            .enumerate()
            .filter(|(_, deleted)| **deleted)
            .filter_map(|(index, _)| MessageNumber::from_index(index))
            .collect()
    }

    fn send_line(&mut self, line: &StatusLine<'_>) {
        encode_status_line(line, &mut self.out);
    }

    fn plaintext_allowed(&self) -> bool {
        self.tls_active || self.config.cleartext_login == CleartextLogin::Allow
    }

    fn new_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    fn ask(&mut self, pending: Pending, event: impl FnOnce(RequestId) -> ServerEvent) {
        let id = self.new_id();
        self.events.push_back(event(id));
        self.pending = Some((id, pending));
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.state != State::Closed {
            self.state = State::Closed;
            self.transport = Transport::Closed;
            self.pending = None;
            self.sasl_waiting = None;
            self.events.push_back(ServerEvent::Closed { reason });
        }
    }

    /// A bad command: `-ERR`, and the session closes after too many.
    fn protocol_error(&mut self, message: &str) {
        self.errors += 1;
        if self.errors >= self.config.max_errors {
            self.send_line(&line_err(None, "too many bad commands, closing"));
            self.close_with(CloseReason::TooManyErrors);
        } else {
            self.send_line(&line_err(None, message));
        }
    }

    /// Frames and handles buffered lines until one waits for the application.
    fn process(&mut self, now: Instant) {
        while self.pending.is_none()
            && self.state != State::Closed
            && self.transport == Transport::Open
        {
            let limit = if self.sasl_waiting.is_some() {
                self.config.max_sasl_line
            } else {
                self.config.max_command_line
            };
            self.lines.set_max_line_length(limit);
            let Some(line) = self.lines.next_line() else {
                break;
            };
            self.last_activity = now;
            let bytes = match line {
                Line::TooLong => {
                    if let Some((id, _)) = self.sasl_waiting.take() {
                        self.send_line(&line_err(None, "authentication line too long"));
                        self.events.push_back(ServerEvent::AuthAborted { id });
                    }
                    self.protocol_error("line too long");
                    continue;
                }
                Line::Complete {
                    ending: LineEnding::BareLf,
                    ..
                } if !self.config.quirk_accept_bare_lf => {
                    if let Some((id, _)) = self.sasl_waiting.take() {
                        self.events.push_back(ServerEvent::AuthAborted { id });
                    }
                    self.protocol_error("lines must end with CRLF");
                    continue;
                }
                Line::Complete { bytes, .. } => bytes,
            };
            if let Some((id, name)) = self.sasl_waiting.take() {
                self.sasl_line(id, name, &bytes);
                continue;
            }
            match decode_command_line(&bytes) {
                Ok(command) => self.command(command.into_owned()),
                Err(error) => self.protocol_error(match error {
                    DecodeError::UnknownCommand => "unknown command",
                    DecodeError::MissingArgument => "missing argument",
                    DecodeError::TooManyArguments => "too many arguments",
                    DecodeError::InvalidBase64 => "invalid base64",
                    _ => "invalid argument",
                }),
            }
        }
    }

    fn sasl_line(&mut self, id: RequestId, name: Option<Word<'static>>, line: &[u8]) {
        match decode_sasl_response_line(line) {
            Ok(SaslResponse::Data(response)) => {
                self.pending = Some((id, Pending::Login { name }));
                self.events
                    .push_back(ServerEvent::SaslResponse { id, response });
            }
            Ok(SaslResponse::Cancel) => {
                self.send_line(&line_err(None, "authentication cancelled"));
                self.events.push_back(ServerEvent::AuthAborted { id });
            }
            Err(_) => {
                self.send_line(&line_err(None, "invalid base64 in authentication"));
                self.events.push_back(ServerEvent::AuthAborted { id });
            }
        }
    }

    fn wrong_state(&mut self) {
        self.protocol_error("command not valid in this state");
    }

    fn command(&mut self, command: Command<'static>) {
        match self.state {
            State::Authorization => self.authorization_command(command),
            State::Transaction => self.transaction_command(command),
            State::Update | State::Closed => {}
        }
    }

    fn authorization_command(&mut self, command: Command<'static>) {
        let user = self.user.take();
        match command {
            Command::User(name) => {
                if !self.config.user_pass {
                    self.send_line(&line_err(None, "USER/PASS not supported"));
                } else if !self.plaintext_allowed() {
                    self.refuse_cleartext();
                } else {
                    self.ask(Pending::User(name.clone()), |id| ServerEvent::User {
                        id,
                        name,
                    });
                }
            }
            Command::Pass(password) => match user {
                Some(name) => self.ask(
                    Pending::Login {
                        name: Some(name.clone()),
                    },
                    |id| ServerEvent::Pass { id, name, password },
                ),
                None => self.protocol_error("USER first"),
            },
            Command::Apop { name, digest } => match self.timestamp.clone() {
                Some(timestamp) => self.ask(
                    Pending::Login {
                        name: Some(name.clone()),
                    },
                    |id| ServerEvent::Apop {
                        id,
                        name,
                        digest,
                        timestamp,
                    },
                ),
                None => self.send_line(&line_err(None, "APOP not supported")),
            },
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                if self.authenticated_once {
                    self.wrong_state();
                } else if !self.config.sasl_mechanisms.contains(&mechanism) {
                    self.send_line(&line_err(None, "unsupported authentication mechanism"));
                } else if mechanism.is_plaintext() && !self.plaintext_allowed() {
                    self.refuse_cleartext();
                } else {
                    self.ask(Pending::Login { name: None }, |id| ServerEvent::Auth {
                        id,
                        mechanism,
                        initial_response,
                    });
                }
            }
            Command::Stls => {
                if !self.config.stls || self.tls_active {
                    self.send_line(&line_err(None, "STLS not available"));
                } else if self.utf8_mode {
                    // RFC 6856 §2.1: no STLS after UTF8.
                    self.send_line(&line_err(None, "STLS not allowed after UTF8"));
                } else {
                    self.send_line(&line_ok("Begin TLS negotiation now".into()));
                    self.transport = Transport::StartTls;
                    let octets = self.lines.len();
                    self.lines.clear();
                    if octets > 0 {
                        self.events
                            .push_back(ServerEvent::PlaintextDiscarded { octets });
                    }
                }
            }
            Command::Capa => self.capabilities(),
            Command::Utf8 => {
                if self.config.utf8.is_some() {
                    self.user = user;
                    self.ask(Pending::Utf8, |id| ServerEvent::Utf8 { id });
                } else {
                    self.protocol_error("unknown command");
                }
            }
            Command::Lang(range) => self.lang(range),
            Command::Quit => {
                let signoff = self.config.signoff.replace(['\r', '\n', '\0'], " ");
                self.send_line(&line_ok(signoff));
                self.close_with(CloseReason::Quit);
            }
            _ => self.wrong_state(),
        }
    }

    fn refuse_cleartext(&mut self) {
        self.send_line(&line_err(
            Some(KnownCode::Auth),
            "plaintext authentication needs TLS (use STLS)",
        ));
    }

    fn lang(&mut self, range: Option<Word<'static>>) {
        if self.config.lang {
            let listing = range.is_none();
            self.ask(Pending::Lang { listing }, |id| ServerEvent::Lang {
                id,
                range,
            });
        } else {
            self.protocol_error("unknown command");
        }
    }

    fn capabilities(&mut self) {
        let mut capabilities = vec![Capability::Top, Capability::Uidl];
        let plaintext = self.plaintext_allowed();
        if self.config.user_pass && plaintext {
            capabilities.push(Capability::User);
        }
        let mechanisms: Vec<Mechanism<'static>> = self
            .config
            .sasl_mechanisms
            .iter()
            .filter(|mechanism| plaintext || !mechanism.is_plaintext())
            .cloned()
            .collect();
        if !mechanisms.is_empty() {
            capabilities.push(Capability::Sasl(mechanisms));
        }
        capabilities.push(Capability::RespCodes);
        capabilities.push(Capability::Pipelining);
        if self.config.stls && !self.tls_active && self.state == State::Authorization {
            capabilities.push(Capability::Stls);
        }
        if let Some(user) = self.config.utf8 {
            capabilities.push(Capability::Utf8 { user });
        }
        if self.config.lang {
            capabilities.push(Capability::Lang);
        }
        if let Some(implementation) = &self.config.implementation {
            if let Ok(implementation) = Text::new(implementation.as_bytes()) {
                if !implementation.is_empty() {
                    capabilities.push(Capability::Implementation(implementation.into_owned()));
                }
            }
        }
        capabilities.extend(self.config.extra_capabilities.iter().cloned());
        self.send_line(&line_ok("Capability list follows".into()));
        for capability in &capabilities {
            encode_capability_line(capability, &mut self.out);
        }
        self.out.extend_from_slice(b".\r\n");
    }

    /// The listing of `message` if it exists and is not marked; otherwise answers -ERR.
    fn lookup(&mut self, message: MessageNumber) -> Option<(u64, crate::types::UniqueId<'static>)> {
        let total = self.maildrop.messages().len();
        match self.maildrop.messages().get(message.index()) {
            None => {
                let reply = format!(
                    "no such message, only {total} message{} in maildrop",
                    plural(total)
                );
                self.send_line(&line_err(None, &reply));
                None
            }
            Some(_) if self.deleted.get(message.index()).copied().unwrap_or(false) => {
                let reply = format!("message {message} already deleted");
                self.send_line(&line_err(None, &reply));
                None
            }
            Some(info) => Some((info.size, info.unique_id.clone())),
        }
    }

    /// (count, octets) of the messages not marked as deleted.
    fn totals(&self) -> (usize, u64) {
        self.live().fold((0, 0), |(count, octets), (_, info)| {
            (count + 1, octets.saturating_add(info.size))
        })
    }

    fn live(&self) -> impl Iterator<Item = (MessageNumber, &MessageInfo)> {
        self.maildrop
            .messages()
            .iter()
            .enumerate()
            .filter(|(index, _)| !self.deleted.get(*index).copied().unwrap_or(false))
            .filter_map(|(index, info)| MessageNumber::from_index(index).map(|n| (n, info)))
    }

    fn transaction_command(&mut self, command: Command<'static>) {
        match command {
            Command::Stat => {
                let (count, octets) = self.totals();
                self.send_line(&line_ok(format!("{count} {octets}")));
            }
            Command::List(Some(message)) => {
                if let Some((size, _)) = self.lookup(message) {
                    self.send_line(&line_ok(format!("{message} {size}")));
                }
            }
            Command::List(None) => {
                let (count, octets) = self.totals();
                self.send_line(&line_ok(format!(
                    "{count} message{} ({octets} octets)",
                    plural(count)
                )));
                let mut listing = Vec::new();
                for (message, info) in self.live() {
                    listing.extend_from_slice(format!("{message} {}\r\n", info.size).as_bytes());
                }
                self.out.extend_from_slice(&listing);
                self.out.extend_from_slice(b".\r\n");
            }
            Command::Uidl(Some(message)) => {
                if let Some((_, unique_id)) = self.lookup(message) {
                    self.send_line(&line_ok(format!("{message} {unique_id}")));
                }
            }
            Command::Uidl(None) => {
                self.send_line(&line_ok(String::new()));
                let mut listing = Vec::new();
                for (message, info) in self.live() {
                    listing
                        .extend_from_slice(format!("{message} {}\r\n", info.unique_id).as_bytes());
                }
                self.out.extend_from_slice(&listing);
                self.out.extend_from_slice(b".\r\n");
            }
            Command::Retr(message) => {
                if let Some((size, _)) = self.lookup(message) {
                    let status = line_ok(format!("{size} octets"));
                    self.ask(
                        Pending::Body {
                            stuffer: DotStuffer::new(),
                            status: Some(status),
                        },
                        |id| ServerEvent::Retr { id, message },
                    );
                }
            }
            Command::Top { message, lines } => {
                if self.lookup(message).is_some() {
                    let status = line_ok(String::new());
                    self.ask(
                        Pending::Body {
                            stuffer: DotStuffer::new(),
                            status: Some(status),
                        },
                        |id| ServerEvent::Top { id, message, lines },
                    );
                }
            }
            Command::Dele(message) => {
                if self.lookup(message).is_some() {
                    if let Some(mark) = self.deleted.get_mut(message.index()) {
                        *mark = true;
                    }
                    self.send_line(&line_ok(format!("message {message} deleted")));
                }
            }
            Command::Noop => self.send_line(&line_ok(String::new())),
            Command::Rset => {
                self.deleted.iter_mut().for_each(|mark| *mark = false);
                let (count, octets) = self.totals();
                self.send_line(&line_ok(format!(
                    "maildrop has {count} message{} ({octets} octets)",
                    plural(count)
                )));
            }
            Command::Quit => {
                self.state = State::Update;
                let deleted = self.deleted();
                self.ask(Pending::Update, |id| ServerEvent::Update { id, deleted });
            }
            Command::Capa => self.capabilities(),
            Command::Lang(range) => self.lang(range),
            Command::Utf8 if self.config.utf8.is_none() => self.protocol_error("unknown command"),
            _ => self.wrong_state(),
        }
    }

    /// Takes the pending request `id` if it is one `accepts` recognises.
    fn take_pending(
        &mut self,
        id: RequestId,
        accepts: impl Fn(&Pending) -> bool,
    ) -> Result<Pending, SessionError> {
        if self.state == State::Closed {
            return Err(SessionError::Closed);
        }
        match &self.pending {
            Some((pending_id, pending)) if *pending_id == id => {
                if !accepts(pending) {
                    return Err(SessionError::WrongDecision);
                }
                self.pending
                    .take()
                    .map(|(_, pending)| pending)
                    .ok_or(SessionError::UnknownId)
            }
            _ => Err(SessionError::UnknownId),
        }
    }

    /// The request is answered: restart the timer and go on with pipelined commands.
    fn answered(&mut self, now: Instant) {
        self.last_activity = now;
        self.process(now);
    }

    /// `+OK text` to USER, UTF8, LANG with a range, or the QUIT of the UPDATE state.
    pub fn reply_ok(
        &mut self,
        now: Instant,
        id: RequestId,
        text_ok: &str,
    ) -> Result<(), SessionError> {
        let text_ok = text(text_ok)?.into_owned();
        let pending = self.take_pending(id, |pending| {
            matches!(
                pending,
                Pending::User(_)
                    | Pending::Utf8
                    | Pending::Lang { listing: false }
                    | Pending::Update
            )
        })?;
        self.send_line(&StatusLine::ok(text_ok));
        match pending {
            Pending::User(name) => self.user = Some(name),
            Pending::Utf8 => self.utf8_mode = true,
            Pending::Update => {
                self.close_with(CloseReason::Quit);
                return Ok(());
            }
            _ => {}
        }
        self.answered(now);
        Ok(())
    }

    /// `-ERR [code] text` to any request (a failed login, a missing message, a failed
    /// removal at QUIT, ...). A body already started cannot be refused any more.
    pub fn reply_err(
        &mut self,
        now: Instant,
        id: RequestId,
        code: Option<ResponseCode<'_>>,
        text_err: &str,
    ) -> Result<(), SessionError> {
        let text_err = text(text_err)?.into_owned();
        let pending = self.take_pending(id, |pending| {
            !matches!(pending, Pending::Body { status: None, .. })
        })?;
        self.send_line(&StatusLine::err(
            code.map(ResponseCode::into_owned),
            text_err,
        ));
        if let Pending::Update = pending {
            // RFC 1939 §6: the server closes whether the removal succeeded or not.
            self.close_with(CloseReason::Quit);
            return Ok(());
        }
        self.answered(now);
        Ok(())
    }

    /// Sends a SASL challenge (`+ base64`) in an AUTH exchange; the client's answer comes
    /// as [`ServerEvent::SaslResponse`] with the same id.
    pub fn sasl_challenge(
        &mut self,
        now: Instant,
        id: RequestId,
        challenge: &[u8],
    ) -> Result<(), SessionError> {
        let pending = self.take_pending(id, |pending| {
            matches!(pending, Pending::Login { name: None })
        })?;
        let Pending::Login { name } = pending else {
            return Err(SessionError::WrongDecision);
        };
        crate::codec::encode_response(
            &crate::types::Response::Continuation(challenge.to_vec()),
            &mut self.out,
        );
        self.sasl_waiting = Some((id, name));
        self.answered(now);
        Ok(())
    }

    /// Login succeeded (PASS, APOP or AUTH): lock is held, `maildrop` is the session's
    /// snapshot; the session enters TRANSACTION.
    pub fn accept_login(
        &mut self,
        now: Instant,
        id: RequestId,
        maildrop: Maildrop,
    ) -> Result<(), SessionError> {
        let pending = self.take_pending(id, |pending| matches!(pending, Pending::Login { .. }))?;
        let Pending::Login { name } = pending else {
            return Err(SessionError::WrongDecision);
        };
        self.deleted = vec![false; maildrop.messages().len()];
        self.maildrop = maildrop;
        self.state = State::Transaction;
        self.authenticated_once = true;
        let (count, octets) = self.totals();
        let owner = name.map(|name| format!("{name}'s ")).unwrap_or_default();
        self.send_line(&line_ok(format!(
            "{owner}maildrop has {count} message{} ({octets} octets)",
            plural(count)
        )));
        self.answered(now);
        Ok(())
    }

    /// Sends the next chunk of a RETR or TOP answer (the first call sends the `+OK`). The
    /// machine dot-stuffs; bare CR and LF are sent as CRLF.
    pub fn send_body(&mut self, id: RequestId, chunk: Bytes) -> Result<(), SessionError> {
        match &mut self.pending {
            Some((pending_id, Pending::Body { stuffer, status })) if *pending_id == id => {
                if let Some(status) = status.take() {
                    encode_status_line(&status, &mut self.out);
                }
                stuffer.feed(&chunk, &mut self.out);
                Ok(())
            }
            Some((pending_id, _)) if *pending_id == id => Err(SessionError::WrongDecision),
            _ if self.state == State::Closed => Err(SessionError::Closed),
            _ => Err(SessionError::UnknownId),
        }
    }

    /// Ends a RETR or TOP answer (sends `+OK` first if no chunk was sent).
    pub fn finish_body(&mut self, now: Instant, id: RequestId) -> Result<(), SessionError> {
        let pending = self.take_pending(id, |pending| matches!(pending, Pending::Body { .. }))?;
        if let Pending::Body {
            mut stuffer,
            status,
        } = pending
        {
            if let Some(status) = status {
                encode_status_line(&status, &mut self.out);
            }
            stuffer.finish(&mut self.out);
        }
        self.answered(now);
        Ok(())
    }

    /// Answers LANG without argument with the language listing (RFC 6856 §3.2).
    pub fn reply_languages(
        &mut self,
        now: Instant,
        id: RequestId,
        languages: &[LanguageListing<'_>],
    ) -> Result<(), SessionError> {
        self.take_pending(id, |pending| {
            matches!(pending, Pending::Lang { listing: true })
        })?;
        self.send_line(&line_ok("Language listing follows".into()));
        for language in languages {
            encode_language_listing_line(language, &mut self.out);
        }
        self.out.extend_from_slice(b".\r\n");
        self.answered(now);
        Ok(())
    }

    /// Closes the session now (server shutdown), sending `line` first if given. No
    /// message is removed.
    pub fn close(&mut self, line: Option<&StatusLine<'_>>) -> Result<(), SessionError> {
        if self.state == State::Closed {
            return Err(SessionError::Closed);
        }
        if let Some(line) = line {
            self.send_line(line);
        }
        self.close_with(CloseReason::Application);
        Ok(())
    }
}

impl Session for Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, input: &[u8]) {
        match (self.state, self.transport) {
            (State::Closed, _) => {}
            (_, Transport::StartTls) => {
                // Plaintext after STLS and before the handshake: never a command.
                if !input.is_empty() {
                    self.events.push_back(ServerEvent::PlaintextDiscarded {
                        octets: input.len(),
                    });
                }
            }
            _ => {
                self.lines.extend(input);
                self.process(now);
                if self.lines.len() > self.config.max_pipelined_input {
                    self.lines.clear();
                    self.send_line(&line_err(
                        Some(KnownCode::SysPerm),
                        "too much pipelined input",
                    ));
                    self.close_with(CloseReason::TooMuchInput);
                }
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.poll_timeout() {
            if now >= deadline {
                // RFC 1939 §3: close without a response and without UPDATE.
                self.close_with(CloseReason::Autologout);
            }
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        // RFC 1939 §6: no UPDATE unless QUIT was received.
        self.close_with(CloseReason::PeerClosed);
    }

    fn handle_tls_established(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        self.tls_active = true;
        if self.transport == Transport::StartTls {
            self.transport = Transport::Open;
            self.lines.clear();
            self.user = None;
        }
        self.last_activity = now;
        self.process(now);
    }

    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let count = self.out.len();
        out.append(&mut self.out);
        count
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed || self.pending.is_some() {
            return None;
        }
        self.last_activity.checked_add(self.config.autologout)
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn transport(&self) -> Transport {
        self.transport
    }
}

#[cfg(test)]
mod tests;
