//! The server machine itself; see [`ServerSession`].

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mailwire_core::dot::DotUnstuffer;
use mailwire_core::line::{Line, LineBuffer, LineEnding};
use mailwire_core::{Secret, Session, Transport};

use super::config::{Flavor, Greeting, ServerConfig};
use super::event::{AbortReason, CloseReason, DataMode, HelloKind, ReplyId, ServerEvent};
use super::outbox::Outbox;
use super::sasl;
use super::ServerError;
use crate::codec::{self, DecodeOptions};
use crate::error::DecodeError;
use crate::types::{
    Body, Capability, Command, EhloResponse, EnhancedStatusCode, ForwardPath, Host, MailParameters,
    Mechanism, MechanismList, RcptParameters, Reply, ReplyCode, ReversePath, SaslResponse,
};

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The application decides the greeting.
    AwaitingGreeting,
    /// 554 was the greeting: only QUIT is accepted.
    Refused,
    /// Commands are served.
    Open,
    /// 220 was sent to STARTTLS; waiting for the transport's handshake.
    StartTls,
    /// The last reply is queued; the transport closes once the output is flushed.
    Closing,
}

/// A decision the application owes.
#[derive(Debug)]
enum Decision {
    Greeting,
    Mail,
    Recipient { index: usize },
    Message { replies_owed: usize },
    Verify,
    Expand,
    Help,
    Credentials,
    SaslStep,
}

#[derive(Debug)]
enum RecipientState {
    Pending(ForwardPath<'static>),
    Accepted(ForwardPath<'static>),
    Rejected,
}

/// One mail transaction (RFC 5321 §3.3), from MAIL until the end of its data or a reset.
#[derive(Debug)]
struct Transaction {
    /// False while the application has not answered MAIL.
    mail_accepted: bool,
    body: Option<Body>,
    smtputf8: bool,
    recipients: Vec<RecipientState>,
    pending_recipients: usize,
    accepted_recipients: usize,
    /// A BDAT chunk was received (DATA is then out of sequence, RFC 3030 §2).
    bdat_started: bool,
    /// A BDAT failed: further BDATs are read and dropped until RSET (RFC 3030 §2).
    failed: bool,
    /// Message octets passed on so far.
    size: u64,
}

impl Transaction {
    fn accepted(&self) -> Vec<ForwardPath<'static>> {
        self.recipients
            .iter()
            .filter_map(|r| match r {
                RecipientState::Accepted(path) => Some(path.clone()),
                _ => None,
            })
            .collect()
    }
}

/// Why a message's data is not passed on any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    TooLarge,
    BareLineEnd,
}

#[derive(Debug)]
struct DataState {
    unstuffer: DotUnstuffer,
    refusal: Option<Refusal>,
    /// Under the bare-line-end policy: a `\r` ending the last piece, held back until
    /// the next octet shows whether it is bare.
    held_cr: bool,
    /// The last octet passed on (for the bare LF check across pieces).
    last_octet: Option<u8>,
}

#[derive(Debug)]
enum ChunkOutcome {
    /// Pass the chunk on; then 250 (or the final decision for LAST).
    Forward,
    /// Drop the chunk, then send `reply` `copies` times (LMTP's LAST owes one per
    /// recipient, possibly none).
    Refuse { reply: Vec<u8>, copies: usize },
}

#[derive(Debug)]
struct BdatState {
    size: u64,
    remaining: u64,
    last: bool,
    outcome: ChunkOutcome,
}

/// How the next input bytes are read.
#[derive(Debug)]
enum Mode {
    Command,
    Data(DataState),
    Bdat(BdatState),
    /// The next line answers a 334 challenge.
    AuthLine,
}

#[derive(Debug)]
enum AuthStage {
    /// `334 ` sent for PLAIN without initial response.
    PlainResponse,
    /// `334 VXNlcm5hbWU6` sent.
    LoginUsername,
    /// `334 UGFzc3dvcmQ6` sent.
    LoginPassword { username: String },
    /// The application's challenge was sent.
    SaslClient,
    /// The application owes a decision.
    Application,
}

#[derive(Debug)]
struct AuthExchange {
    mechanism: Mechanism<'static>,
    stage: AuthStage,
}

impl AuthExchange {
    fn is_generic(&self) -> bool {
        !(self.mechanism == Mechanism::PLAIN || self.mechanism == Mechanism::LOGIN)
    }
}

/// A piece of unstuffed DATA: a range of the input, or a `\r` the unstuffer had held
/// back and released.
#[derive(Debug, Clone)]
enum BodyPart {
    Input(std::ops::Range<usize>),
    Cr,
}

/// The SMTP/LMTP server machine (Sans-IO).
///
/// Feed it what the client sends with [`Session::handle_input`]; after every input and
/// every decision, drain [`Session::poll_transmit`], re-arm the timer from
/// [`Session::poll_timeout`], handle [`Session::poll_event`] until `None`, and look at
/// [`Session::transport`]. Events with an `id` wait for a decision:
/// [`ServerSession::reply`] or the typed helpers [`accept`](ServerSession::accept),
/// [`reject`](ServerSession::reject), [`sasl_challenge`](ServerSession::sasl_challenge).
/// Decisions may come in any order and at any time; replies still leave in command
/// order (RFC 2920).
///
/// The machine answers by itself everything the RFCs decide: syntax (500/501), sequence
/// (503), limits (452, 552, 500 5.5.2), policies (530, 538), PIPELINING, STARTTLS,
/// the PLAIN and LOGIN exchanges, timeouts and the error limit (421).
///
/// ```
/// use std::time::Instant;
/// use mailwire_core::Session;
/// use mailwire_smtp::server::{ServerConfig, ServerEvent, ServerSession};
///
/// let config = ServerConfig::builder("mx.example").build().unwrap();
/// let now = Instant::now();
/// let mut server = ServerSession::new(config, now);
/// server.handle_input(now, b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n");
/// let mut out = Vec::new();
/// while server.poll_transmit(&mut out) > 0 {}
/// assert!(out.starts_with(b"220 mx.example "));
/// let mut mail = None;
/// while let Some(event) = server.poll_event() {
///     if let ServerEvent::Mail { id, .. } = event { mail = Some(id); }
/// }
/// server.accept(mail.unwrap()).unwrap();
/// out.clear();
/// while server.poll_transmit(&mut out) > 0 {}
/// assert_eq!(out, b"250 2.1.0 Sender OK\r\n");
/// ```
#[derive(Debug)]
pub struct ServerSession {
    config: Arc<ServerConfig>,
    phase: Phase,
    mode: Mode,
    input: LineBuffer,
    /// A command line that must wait for decisions before it can be served.
    stalled: Option<Line>,
    outbox: Outbox,
    events: VecDeque<ServerEvent>,
    decisions: BTreeMap<u64, Decision>,
    next_id: u64,
    hello: Option<(HelloKind, Host<'static>)>,
    tls: bool,
    authenticated: bool,
    auth: Option<AuthExchange>,
    transaction: Option<Transaction>,
    errors: u32,
    client_eof: bool,
    /// The latest instant any input call told us.
    last_now: Instant,
    /// Since when the machine waits for the client (the timer runs only then).
    idle_since: Option<Instant>,
    /// The machine started waiting for the client during a decision, which has no
    /// clock: the next `handle_timeout` only reads the time.
    clock_wanted: bool,
    body_parts: Vec<BodyPart>,
}

impl ServerSession {
    /// A session for a client that connected at `now`. The greeting is queued at once,
    /// or asked of the application ([`Greeting::AskApplication`]).
    pub fn new(config: impl Into<Arc<ServerConfig>>, now: Instant) -> Self {
        let config: Arc<ServerConfig> = config.into();
        let mut session = ServerSession {
            input: LineBuffer::new(config.max_line_length),
            tls: config.implicit_tls,
            config,
            phase: Phase::Open,
            mode: Mode::Command,
            stalled: None,
            outbox: Outbox::default(),
            events: VecDeque::new(),
            decisions: BTreeMap::new(),
            next_id: 1,
            hello: None,
            authenticated: false,
            auth: None,
            transaction: None,
            errors: 0,
            client_eof: false,
            last_now: now,
            idle_since: None,
            clock_wanted: false,
            body_parts: Vec::new(),
        };
        match session.config.greeting.clone() {
            Greeting::Accept => {
                let greeting = session.greeting_reply();
                session.outbox.push(&greeting);
            }
            Greeting::Refuse(text) => {
                let text = format!("{} {}", session.config.hostname, text);
                let refusal = session.plain_reply(ReplyCode::TRANSACTION_FAILED, &text);
                session.outbox.push(&refusal);
                session.phase = Phase::Refused;
            }
            Greeting::AskApplication => {
                let id = session.owe(Decision::Greeting, 1);
                session.events.push_back(ServerEvent::Connected { id });
                session.phase = Phase::AwaitingGreeting;
            }
        }
        session.update_timer(Some(now));
        session
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// True once TLS is active (after STARTTLS, or implicit TLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// True once an AUTH exchange succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The client's HELO/EHLO/LHLO, if it sent one (forgotten after STARTTLS).
    pub fn hello(&self) -> Option<(HelloKind, &Host<'static>)> {
        self.hello.as_ref().map(|(kind, host)| (*kind, host))
    }

    /// True while the application owes at least one decision.
    pub fn awaits_decision(&self) -> bool {
        !self.decisions.is_empty()
    }

    // ----------------------------------------------------------------------------------
    // Decisions of the application
    // ----------------------------------------------------------------------------------

    /// Answers the decision `id` with `reply` (any 2yz, 4yz or 5yz reply).
    ///
    /// A positive reply accepts (the sender, the recipient, the message, the
    /// credentials, the greeting); anything else refuses. For LMTP's
    /// [`ServerEvent::MessageEnd`] call it once per recipient, in order. A 421 reply
    /// closes the session after it is sent.
    pub fn reply(&mut self, id: ReplyId, reply: Reply<'_>) -> Result<(), ServerError> {
        if reply.code().is_intermediate() {
            return Err(ServerError::IntermediateReply);
        }
        let Some(decision) = self.decisions.remove(&id.0) else {
            return Err(self.missing_decision());
        };
        let positive = reply.code().is_positive();
        let closes = reply.code() == ReplyCode::SERVICE_NOT_AVAILABLE;
        let bytes = encode(&reply);
        match decision {
            Decision::Message { replies_owed } if replies_owed > 1 => {
                self.decisions.insert(
                    id.0,
                    Decision::Message {
                        replies_owed: replies_owed - 1,
                    },
                );
            }
            other => self.apply_decision(other, positive, reply.code()),
        }
        self.outbox.fill(id.0, bytes);
        if closes && self.phase != Phase::Closing {
            self.begin_close(CloseReason::Application, None);
        }
        self.after_decision();
        Ok(())
    }

    /// Accepts with the usual positive reply: `220` greeting, `250 2.1.0` sender,
    /// `250 2.1.5` recipient, `250 2.0.0` message (per recipient for LMTP),
    /// `235 2.7.0` authentication. VRFY, EXPN and HELP need [`ServerSession::reply`].
    pub fn accept(&mut self, id: ReplyId) -> Result<(), ServerError> {
        let reply = match self.decisions.get(&id.0) {
            None => return Err(self.missing_decision()),
            Some(Decision::Greeting) => self.greeting_reply(),
            Some(Decision::Mail) => self.canned(ReplyCode::OK, (2, 1, 0), "Sender OK"),
            Some(Decision::Recipient { .. }) => {
                self.canned(ReplyCode::OK, (2, 1, 5), "Recipient OK")
            }
            Some(Decision::Message { .. }) => {
                self.canned(ReplyCode::OK, (2, 0, 0), "Message accepted")
            }
            Some(Decision::Credentials | Decision::SaslStep) => self.canned(
                ReplyCode::AUTH_SUCCEEDED,
                (2, 7, 0),
                "Authentication successful",
            ),
            Some(Decision::Verify | Decision::Expand | Decision::Help) => {
                return Err(ServerError::ReplyRequired)
            }
        };
        self.reply_encoded(id, reply)
    }

    /// Refuses with the usual negative reply: `554` greeting, `550 5.7.1` sender,
    /// `550 5.1.1` recipient, `554 5.7.1` message, `535 5.7.8` authentication,
    /// `550 5.1.1` VRFY/EXPN, `502 5.5.1` HELP.
    pub fn reject(&mut self, id: ReplyId) -> Result<(), ServerError> {
        let reply = match self.decisions.get(&id.0) {
            None => return Err(self.missing_decision()),
            Some(Decision::Greeting) => {
                let text = format!(
                    "{} No {} service here",
                    self.config.hostname,
                    self.protocol_name()
                );
                self.plain_reply(ReplyCode::TRANSACTION_FAILED, &text)
            }
            Some(Decision::Mail) => {
                self.canned(ReplyCode::MAILBOX_UNAVAILABLE, (5, 7, 1), "Sender rejected")
            }
            Some(Decision::Recipient { .. }) => self.canned(
                ReplyCode::MAILBOX_UNAVAILABLE,
                (5, 1, 1),
                "Recipient rejected",
            ),
            Some(Decision::Message { .. }) => {
                self.canned(ReplyCode::TRANSACTION_FAILED, (5, 7, 1), "Message rejected")
            }
            Some(Decision::Credentials | Decision::SaslStep) => self.canned(
                ReplyCode::AUTH_INVALID,
                (5, 7, 8),
                "Authentication credentials invalid",
            ),
            Some(Decision::Verify | Decision::Expand) => self.canned(
                ReplyCode::MAILBOX_UNAVAILABLE,
                (5, 1, 1),
                "Mailbox unavailable",
            ),
            Some(Decision::Help) => {
                self.canned(ReplyCode::NOT_IMPLEMENTED, (5, 5, 1), "HELP not available")
            }
        };
        self.reply_encoded(id, reply)
    }

    /// Answers a generic SASL step ([`ServerEvent::SaslStart`] or
    /// [`ServerEvent::SaslResponse`]) with a challenge: `334 <base64 of challenge>`. The
    /// client's answer comes as [`ServerEvent::SaslResponse`].
    pub fn sasl_challenge(&mut self, id: ReplyId, challenge: &[u8]) -> Result<(), ServerError> {
        match self.decisions.get(&id.0) {
            None => return Err(self.missing_decision()),
            Some(Decision::SaslStep) => {}
            Some(_) => return Err(ServerError::NotSaslStep),
        }
        self.decisions.remove(&id.0);
        let bytes = challenge_line(challenge);
        self.outbox.fill(id.0, bytes);
        if let Some(exchange) = self.auth.as_mut() {
            exchange.stage = AuthStage::SaslClient;
        }
        self.enter_auth_line_mode();
        self.after_decision();
        Ok(())
    }

    /// Ends the session: sends `reply` (if any) after the replies already decided and
    /// closes. Decisions still owed are dropped (their replies are never sent).
    pub fn close(&mut self, reply: Option<Reply<'_>>) {
        if self.phase == Phase::Closing {
            return;
        }
        self.decisions.clear();
        self.outbox.abandon_open_places();
        let bytes = reply.map(|reply| encode(&reply));
        self.begin_close(CloseReason::Application, bytes.as_deref());
        self.update_timer(None);
    }

    fn reply_encoded(&mut self, id: ReplyId, bytes: Vec<u8>) -> Result<(), ServerError> {
        let Some(decision) = self.decisions.remove(&id.0) else {
            return Err(self.missing_decision());
        };
        let code = reply_code_of(&bytes);
        let positive = code.is_some_and(ReplyCode::is_positive);
        match decision {
            Decision::Message { replies_owed } if replies_owed > 1 => {
                self.decisions.insert(
                    id.0,
                    Decision::Message {
                        replies_owed: replies_owed - 1,
                    },
                );
            }
            other => self.apply_decision(other, positive, code.unwrap_or(ReplyCode::OK)),
        }
        self.outbox.fill(id.0, bytes);
        self.after_decision();
        Ok(())
    }

    fn missing_decision(&self) -> ServerError {
        if self.phase == Phase::Closing && self.decisions.is_empty() {
            ServerError::Closed
        } else {
            ServerError::UnknownId
        }
    }

    /// The state change a decision brings.
    fn apply_decision(&mut self, decision: Decision, positive: bool, code: ReplyCode) {
        if self.phase == Phase::Closing {
            return;
        }
        match decision {
            Decision::Greeting => {
                self.phase = if positive {
                    Phase::Open
                } else if code.is_permanent_failure() {
                    Phase::Refused
                } else {
                    // A transient refusal (421) ends the session; `reply` closes it.
                    Phase::Open
                };
            }
            Decision::Mail => {
                if positive {
                    if let Some(transaction) = self.transaction.as_mut() {
                        transaction.mail_accepted = true;
                    }
                } else {
                    self.transaction = None;
                }
            }
            Decision::Recipient { index } => {
                if let Some(transaction) = self.transaction.as_mut() {
                    if let Some(state) = transaction.recipients.get_mut(index) {
                        let previous = std::mem::replace(state, RecipientState::Rejected);
                        if let RecipientState::Pending(path) = previous {
                            transaction.pending_recipients =
                                transaction.pending_recipients.saturating_sub(1);
                            if positive {
                                *state = RecipientState::Accepted(path);
                                transaction.accepted_recipients += 1;
                            }
                        }
                    }
                }
            }
            Decision::Credentials | Decision::SaslStep => {
                self.auth = None;
                self.authenticated = positive;
                self.leave_auth_line_mode();
            }
            Decision::Message { .. } | Decision::Verify | Decision::Expand | Decision::Help => {}
        }
    }

    /// After any decision: serve what waited, then settle output and timer.
    fn after_decision(&mut self) {
        self.process();
        self.update_timer(None);
    }

    // ----------------------------------------------------------------------------------
    // Input processing
    // ----------------------------------------------------------------------------------

    /// Serves buffered input as far as decisions allow.
    fn process(&mut self) {
        loop {
            let progressed = match self.mode {
                Mode::Command => self.step_command(),
                Mode::Data(_) => self.step_data(),
                Mode::Bdat(_) => self.step_bdat(),
                Mode::AuthLine => self.step_auth_line(),
            };
            if !progressed {
                break;
            }
        }
        if self.phase == Phase::Open
            || self.phase == Phase::Refused
            || self.phase == Phase::AwaitingGreeting
        {
            // Only input held back for the application counts: a partial line is bounded
            // by the line limits already. A transport that honours `wants_input` stops
            // reading at half the limit, so this is the last resort.
            if self.holds_input_for_application()
                && self.held_input() > self.config.max_pending_input
            {
                let text = format!("{} too much pipelined input", self.config.hostname);
                let reply = self.canned(ReplyCode::SERVICE_NOT_AVAILABLE, (4, 7, 0), &text);
                self.begin_close(CloseReason::TooMuchPendingInput, Some(&reply));
            } else if self.client_eof && self.is_starved() {
                self.begin_close(CloseReason::ClientClosed, None);
            }
        }
    }

    /// Octets received and not yet served: the buffer and a stalled command line.
    fn held_input(&self) -> usize {
        let stalled = match &self.stalled {
            Some(Line::Complete { bytes, .. }) => bytes.len(),
            _ => 0,
        };
        self.input.len() + stalled
    }

    /// True while input waits for the application's decisions rather than for more
    /// input.
    fn holds_input_for_application(&self) -> bool {
        !self.decisions.is_empty() || self.stalled.is_some()
    }

    /// True when nothing more can happen without more input (after the client's EOF,
    /// this ends the session).
    fn is_starved(&self) -> bool {
        if self.stalled.is_some() {
            return false;
        }
        match self.mode {
            Mode::Command => self.decisions.is_empty() || self.input.is_empty(),
            Mode::AuthLine | Mode::Data(_) | Mode::Bdat(_) => true,
        }
    }

    fn decode_options(&self) -> DecodeOptions {
        DecodeOptions {
            smtputf8: self.config.smtputf8 && self.is_extended(),
            quirk_bare_lf: self.config.quirk_bare_lf_commands,
            ..DecodeOptions::default()
        }
    }

    /// True after EHLO or LHLO (ESMTP in effect).
    fn is_extended(&self) -> bool {
        matches!(self.hello, Some((HelloKind::Ehlo | HelloKind::Lhlo, _)))
    }

    fn step_command(&mut self) -> bool {
        if self.phase != Phase::Open && self.phase != Phase::Refused {
            return false;
        }
        // While the application decides a generic SASL step, the next line may be the
        // answer to a challenge (framed under the AUTH line limit) or a command: it is
        // not even framed before the decision.
        if self.auth.as_ref().is_some_and(|exchange| {
            exchange.is_generic() && matches!(exchange.stage, AuthStage::Application)
        }) {
            return false;
        }
        let line = match self.stalled.take() {
            Some(line) => line,
            None => match self.input.next_line() {
                None => return false,
                Some(line) => line,
            },
        };
        // A line waits while decisions are owed, so that what it does never depends on
        // how fast the application answers (RFC 2920 §3.2 (8)); only RCPT may be decided
        // alongside other recipients.
        let bytes = match &line {
            Line::TooLong => {
                if !self.decisions.is_empty() {
                    self.stalled = Some(line);
                    return false;
                }
                let reply = self.canned(ReplyCode::SYNTAX_ERROR, (5, 5, 2), "Line too long");
                self.error(reply);
                return true;
            }
            Line::Complete { bytes, ending } => {
                if *ending == LineEnding::BareLf && !self.config.quirk_bare_lf_commands {
                    if !self.decisions.is_empty() {
                        self.stalled = Some(line);
                        return false;
                    }
                    let reply = self.canned(
                        ReplyCode::SYNTAX_ERROR,
                        (5, 5, 2),
                        "Line must end with CRLF",
                    );
                    self.error(reply);
                    return true;
                }
                bytes.clone()
            }
        };
        let opts = self.decode_options();
        match codec::decode_command_line(&bytes, &opts) {
            Ok(command) => {
                if self.must_wait(&command) {
                    self.stalled = Some(line);
                    return false;
                }
                self.serve(command);
            }
            Err(error) => {
                if !self.decisions.is_empty() {
                    self.stalled = Some(line);
                    return false;
                }
                self.malformed(&error);
            }
        }
        true
    }

    /// Whether `command` depends on decisions still owed.
    fn must_wait(&self, command: &Command<'_>) -> bool {
        if self.phase == Phase::Refused {
            return false;
        }
        match command {
            // A recipient needs the sender's fate, and room under the limit; other
            // recipients may still be undecided.
            Command::Rcpt { .. } => match &self.transaction {
                Some(t) if !t.mail_accepted => true,
                Some(t) => {
                    t.pending_recipients > 0
                        && t.accepted_recipients + t.pending_recipients
                            >= self.config.max_recipients
                }
                None => false,
            },
            _ => !self.decisions.is_empty(),
        }
    }

    fn serve(&mut self, command: Command<'_>) {
        if self.phase == Phase::Refused {
            if command == Command::Quit {
                self.quit();
            } else {
                let reply = self.refused_session_reply();
                self.error(reply);
            }
            return;
        }
        match command {
            Command::Ehlo { host } => self.hello_command(HelloKind::Ehlo, host),
            Command::Helo { host } => self.hello_command(HelloKind::Helo, host),
            Command::Lhlo { host } => self.hello_command(HelloKind::Lhlo, host),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to, params } => self.rcpt(to, params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.abort_transaction(AbortReason::Reset);
                let reply = self.canned(ReplyCode::OK, (2, 0, 0), "OK");
                self.answer(&reply);
            }
            Command::Noop { .. } => {
                let reply = self.canned(ReplyCode::OK, (2, 0, 0), "OK");
                self.answer(&reply);
            }
            Command::Quit => self.quit(),
            Command::Vrfy { target, .. } => {
                if self.config.delegation.vrfy {
                    let id = self.owe(Decision::Verify, 1);
                    self.events.push_back(ServerEvent::Verify {
                        id,
                        target: target.into_owned(),
                    });
                } else {
                    let reply = self.canned(
                        ReplyCode::CANNOT_VERIFY,
                        (2, 5, 0),
                        "Cannot VRFY user, but will accept message and attempt delivery",
                    );
                    self.answer(&reply);
                }
            }
            Command::Expn { target, .. } => {
                if self.config.delegation.expn {
                    let id = self.owe(Decision::Expand, 1);
                    self.events.push_back(ServerEvent::Expand {
                        id,
                        target: target.into_owned(),
                    });
                } else {
                    let reply =
                        self.canned(ReplyCode::NOT_IMPLEMENTED, (5, 5, 1), "EXPN not available");
                    self.error(reply);
                }
            }
            Command::Help { topic } => {
                if self.config.delegation.help {
                    let id = self.owe(Decision::Help, 1);
                    self.events.push_back(ServerEvent::Help {
                        id,
                        topic: topic.map(crate::types::Argument::into_owned),
                    });
                } else {
                    let text = self.help_text();
                    let reply = self.canned(ReplyCode::HELP, (2, 0, 0), &text);
                    self.answer(&reply);
                }
            }
            Command::StartTls => self.starttls(),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth_command(mechanism.into_owned(), initial_response),
        }
    }

    fn malformed(&mut self, error: &DecodeError) {
        if self.phase == Phase::Refused {
            let reply = self.refused_session_reply();
            self.error(reply);
            return;
        }
        let (code, enhanced) = error.suggested_reply();
        let text = match error {
            DecodeError::UnknownCommand => String::from("Command unrecognized"),
            other => capitalized(&other.to_string()),
        };
        let enhanced = (enhanced.class(), enhanced.subject(), enhanced.detail());
        let reply = self.canned(code, enhanced, &text);
        self.error(reply);
    }

    fn hello_command(&mut self, kind: HelloKind, host: Host<'_>) {
        let wrong_flavor = match (self.config.flavor, kind) {
            (Flavor::Smtp, HelloKind::Lhlo) => Some("LHLO is an LMTP command, use EHLO"),
            (Flavor::Lmtp, HelloKind::Helo | HelloKind::Ehlo) => {
                Some("This is an LMTP server, use LHLO")
            }
            _ => None,
        };
        if let Some(text) = wrong_flavor {
            let reply = self.canned(ReplyCode::SYNTAX_ERROR, (5, 5, 1), text);
            self.error(reply);
            return;
        }
        self.abort_transaction(AbortReason::Hello);
        let host = host.into_owned();
        self.hello = Some((kind, host.clone()));
        self.events.push_back(ServerEvent::Hello { kind, host });
        let reply = match kind {
            HelloKind::Helo => {
                let text = self.config.hostname.clone();
                self.plain_reply(ReplyCode::OK, &text)
            }
            HelloKind::Ehlo | HelloKind::Lhlo => self.ehlo_reply(),
        };
        self.answer(&reply);
    }

    fn mail(&mut self, from: ReversePath<'_>, params: MailParameters<'_>) {
        if self.hello.is_none() {
            let text = match self.config.flavor {
                Flavor::Smtp => "Send HELO/EHLO first",
                Flavor::Lmtp => "Send LHLO first",
            };
            let reply = self.canned(ReplyCode::BAD_SEQUENCE, (5, 5, 1), text);
            return self.error(reply);
        }
        if self.transaction.is_some() {
            let reply = self.canned(ReplyCode::BAD_SEQUENCE, (5, 5, 1), "Nested MAIL command");
            return self.error(reply);
        }
        if self.config.require_tls_for_mail && !self.tls {
            let reply = self.canned(
                ReplyCode::AUTH_REQUIRED,
                (5, 7, 0),
                "Must issue a STARTTLS command first",
            );
            return self.error(reply);
        }
        if let Some(refusal) = self.unsupported_mail_parameter(&params) {
            return self.error(refusal);
        }
        let ascii = from.mailbox().is_none_or(|mailbox| mailbox.is_ascii());
        if !ascii && !params.smtputf8 {
            let reply = self.canned(
                ReplyCode::MAILBOX_NAME_NOT_ALLOWED,
                (5, 6, 7),
                "Non-ASCII address needs the SMTPUTF8 parameter",
            );
            return self.error(reply);
        }
        if let (Some(declared), Some(max)) = (params.size, self.config.max_message_size) {
            if declared > max {
                let reply = self.canned(
                    ReplyCode::EXCEEDED_STORAGE,
                    (5, 3, 4),
                    "Message size exceeds fixed maximum message size",
                );
                return self.answer(&reply);
            }
        }
        self.transaction = Some(Transaction {
            mail_accepted: false,
            body: params.body,
            smtputf8: params.smtputf8,
            recipients: Vec::new(),
            pending_recipients: 0,
            accepted_recipients: 0,
            bdat_started: false,
            failed: false,
            size: 0,
        });
        let id = self.owe(Decision::Mail, 1);
        self.events.push_back(ServerEvent::Mail {
            id,
            from: from.into_owned(),
            params: params.into_owned(),
        });
    }

    /// The refusal for a MAIL parameter of an extension not in effect (RFC 5321
    /// §4.1.1.11: 555).
    fn unsupported_mail_parameter(&self, params: &MailParameters<'_>) -> Option<Vec<u8>> {
        let config = &self.config;
        let extended = self.is_extended();
        let unsupported = if !extended && !params.is_empty() {
            Some(self.parameters_need_hello())
        } else if params.size.is_some() && !config.advertise_size {
            Some("SIZE not supported")
        } else if params.body == Some(Body::EightBitMime) && !config.eight_bit_mime {
            Some("8BITMIME not supported")
        } else if params.body == Some(Body::BinaryMime) && !config.binary_mime {
            Some("BINARYMIME not supported")
        } else if params.smtputf8 && !config.smtputf8 {
            Some("SMTPUTF8 not supported")
        } else if (params.ret.is_some() || params.envid.is_some()) && !config.dsn {
            Some("DSN not supported")
        } else if params.auth.is_some() && config.auth_mechanisms.is_empty() {
            Some("AUTH not supported")
        } else if params.requiretls {
            Some("REQUIRETLS not supported")
        } else if !params.other.is_empty() && !config.pass_unknown_parameters {
            Some("Unsupported parameter")
        } else {
            None
        };
        unsupported.map(|text| self.canned(ReplyCode::PARAMETERS_NOT_RECOGNIZED, (5, 5, 4), text))
    }

    fn rcpt(&mut self, to: ForwardPath<'_>, params: RcptParameters<'_>) {
        let (accepted, pending, smtputf8, usable) = match &self.transaction {
            Some(t) => (
                t.accepted_recipients,
                t.pending_recipients,
                t.smtputf8,
                t.mail_accepted && !t.bdat_started && !t.failed,
            ),
            None => (0, 0, false, false),
        };
        if !usable {
            let text = if self.transaction.is_some() {
                "RCPT not allowed now, send RSET"
            } else {
                "Need MAIL command"
            };
            let reply = self.canned(ReplyCode::BAD_SEQUENCE, (5, 5, 1), text);
            return self.error(reply);
        }
        let unsupported = if !self.is_extended() && !params.is_empty() {
            Some(self.parameters_need_hello())
        } else if (params.notify.is_some() || params.orcpt.is_some()) && !self.config.dsn {
            Some("DSN not supported")
        } else if !params.other.is_empty() && !self.config.pass_unknown_parameters {
            Some("Unsupported parameter")
        } else {
            None
        };
        if let Some(text) = unsupported {
            let reply = self.canned(ReplyCode::PARAMETERS_NOT_RECOGNIZED, (5, 5, 4), text);
            return self.error(reply);
        }
        let ascii = to.mailbox().is_none_or(|mailbox| mailbox.is_ascii());
        if !ascii && !smtputf8 {
            let reply = self.canned(
                ReplyCode::MAILBOX_NAME_NOT_ALLOWED,
                (5, 6, 7),
                "Non-ASCII address needs SMTPUTF8 in MAIL",
            );
            return self.error(reply);
        }
        if accepted + pending >= self.config.max_recipients {
            let reply = self.canned(
                ReplyCode::INSUFFICIENT_STORAGE,
                (4, 5, 3),
                "Too many recipients",
            );
            return self.answer(&reply);
        }
        let to = to.into_owned();
        let index = match self.transaction.as_mut() {
            Some(t) => {
                t.recipients.push(RecipientState::Pending(to.clone()));
                t.pending_recipients += 1;
                t.recipients.len() - 1
            }
            None => return,
        };
        let id = self.owe(Decision::Recipient { index }, 1);
        self.events.push_back(ServerEvent::Recipient {
            id,
            to,
            params: params.into_owned(),
        });
    }

    fn data(&mut self) {
        let refusal = match &self.transaction {
            None => Some((ReplyCode::BAD_SEQUENCE, "Need MAIL command")),
            Some(t) if t.failed => Some((ReplyCode::BAD_SEQUENCE, "Transaction failed, send RSET")),
            Some(t) if t.bdat_started => Some((ReplyCode::BAD_SEQUENCE, "DATA cannot follow BDAT")),
            Some(t) if t.body == Some(Body::BinaryMime) => {
                Some((ReplyCode::BAD_SEQUENCE, "BINARYMIME needs BDAT"))
            }
            Some(t) if t.accepted_recipients == 0 => match self.config.flavor {
                // RFC 2033 §4.2: MUST fail with 503.
                Flavor::Lmtp => Some((ReplyCode::BAD_SEQUENCE, "No valid recipients")),
                // RFC 5321 §3.3: 503 or 554.
                Flavor::Smtp => Some((ReplyCode::TRANSACTION_FAILED, "No valid recipients")),
            },
            Some(_) => None,
        };
        if let Some((code, text)) = refusal {
            let reply = self.canned(code, (5, 5, 1), text);
            if code == ReplyCode::BAD_SEQUENCE {
                // RFC 3030 §2: DATA after BDAT leaves the transaction to be reset.
                if let Some(t) = self.transaction.as_mut() {
                    t.failed |= t.bdat_started;
                }
                return self.error(reply);
            }
            return self.answer(&reply);
        }
        let reply = self.plain_reply(
            ReplyCode::START_MAIL_INPUT,
            "End data with <CR><LF>.<CR><LF>",
        );
        self.answer(&reply);
        self.mode = Mode::Data(DataState {
            unstuffer: DotUnstuffer::new(),
            refusal: None,
            held_cr: false,
            last_octet: None,
        });
        self.events.push_back(ServerEvent::MessageStart {
            mode: DataMode::Data,
        });
    }

    fn step_data(&mut self) -> bool {
        if self.input.is_empty() {
            return false;
        }
        let Mode::Data(state) = &mut self.mode else {
            return false;
        };
        let parts = &mut self.body_parts;
        parts.clear();
        let buffered = self.input.buffered();
        let base = buffered.as_ptr() as usize;
        let length = buffered.len();
        let fed = state.unstuffer.feed(buffered, |part| {
            let start = (part.as_ptr() as usize).wrapping_sub(base);
            if start < length && part.len() <= length - start {
                match parts.last_mut() {
                    Some(BodyPart::Input(range)) if range.end == start => {
                        range.end = start + part.len();
                    }
                    _ => parts.push(BodyPart::Input(start..start + part.len())),
                }
            } else {
                // The unstuffer only emits outside the input for a held-back `\r`.
                parts.extend(part.iter().map(|_| BodyPart::Cr));
            }
        });
        let refused = state.refusal.is_some();
        let taken = self.input.take_up_to(fed.consumed);
        if !refused {
            if let Some(chunk) = assemble(&taken, &self.body_parts) {
                self.pass_data(chunk);
            }
        }
        if fed.finished {
            let refusal = match &self.mode {
                Mode::Data(state) => state.refusal,
                _ => None,
            };
            self.mode = Mode::Command;
            self.end_of_message(refusal);
        }
        fed.consumed > 0 || fed.finished
    }

    /// Passes unstuffed DATA octets on, up to the first bare line end when the policy
    /// refuses them. The cut depends only on the octets, never on how they were split
    /// in arrival: a `\r` at the end of a piece waits for the next octet.
    fn pass_data(&mut self, chunk: Bytes) {
        let Mode::Data(state) = &mut self.mode else {
            return;
        };
        let chunk = if self.config.reject_bare_line_ends_in_data {
            let combined = if state.held_cr {
                let mut joined = BytesMut::with_capacity(chunk.len() + 1);
                joined.extend_from_slice(b"\r");
                joined.extend_from_slice(&chunk);
                joined.freeze()
            } else {
                chunk
            };
            state.held_cr = false;
            match first_bare_line_end(state.last_octet, &combined) {
                Some(at) => {
                    state.refusal = Some(Refusal::BareLineEnd);
                    combined.slice(..at)
                }
                None if combined.last() == Some(&b'\r') => {
                    state.held_cr = true;
                    combined.slice(..combined.len() - 1)
                }
                None => combined,
            }
        } else {
            chunk
        };
        if let Some(&last) = chunk.last() {
            state.last_octet = Some(last);
        }
        self.forward_body(chunk);
    }

    /// Passes message octets on, up to the size limit.
    fn forward_body(&mut self, chunk: Bytes) {
        let Some(transaction) = self.transaction.as_mut() else {
            return;
        };
        let length = chunk.len() as u64;
        let allowed = match self.config.max_message_size {
            Some(max) => max.saturating_sub(transaction.size),
            None => u64::MAX,
        };
        let passed = if length > allowed {
            if let Mode::Data(state) = &mut self.mode {
                // The limit was passed before any bare line end further on.
                state.refusal = Some(Refusal::TooLarge);
            }
            // `allowed` < `length`, which came from a usize
            let allowed = usize::try_from(allowed).unwrap_or(0);
            chunk.slice(..allowed.min(chunk.len()))
        } else {
            chunk
        };
        transaction.size += passed.len() as u64;
        if !passed.is_empty() {
            self.events.push_back(ServerEvent::MessageData(passed));
        }
    }

    /// The data of the current transaction is complete.
    fn end_of_message(&mut self, refusal: Option<Refusal>) {
        let Some(transaction) = self.transaction.take() else {
            return;
        };
        let copies = match self.config.flavor {
            Flavor::Smtp => 1,
            Flavor::Lmtp => transaction.accepted_recipients,
        };
        match refusal {
            Some(Refusal::TooLarge) => {
                self.events.push_back(ServerEvent::TransactionAborted {
                    reason: AbortReason::TooLarge,
                });
                let reply = self.canned(
                    ReplyCode::EXCEEDED_STORAGE,
                    (5, 3, 4),
                    "Message size exceeds fixed maximum message size",
                );
                for _ in 0..copies {
                    self.answer(&reply);
                }
            }
            Some(Refusal::BareLineEnd) => {
                self.events.push_back(ServerEvent::TransactionAborted {
                    reason: AbortReason::BareLineEnd,
                });
                let reply = self.canned(
                    ReplyCode::MAILBOX_UNAVAILABLE,
                    (5, 6, 0),
                    "Message contains a bare CR or LF, lines must end with CRLF",
                );
                for _ in 0..copies {
                    self.answer(&reply);
                }
            }
            None if copies == 0 => {
                // LMTP BDAT LAST without accepted recipients: zero replies (RFC 2033 §4.3).
                self.events.push_back(ServerEvent::TransactionAborted {
                    reason: AbortReason::NoRecipients,
                });
            }
            None => {
                let id = self.owe(
                    Decision::Message {
                        replies_owed: copies,
                    },
                    copies,
                );
                self.events.push_back(ServerEvent::MessageEnd {
                    id,
                    size: transaction.size,
                    recipients: transaction.accepted(),
                });
            }
        }
    }

    fn bdat(&mut self, size: u64, last: bool) {
        let outcome = self.bdat_outcome(size, last);
        if let ChunkOutcome::Forward = outcome {
            if let Some(t) = self.transaction.as_mut() {
                if !t.bdat_started {
                    t.bdat_started = true;
                    self.events.push_back(ServerEvent::MessageStart {
                        mode: DataMode::Bdat,
                    });
                }
            }
        }
        self.mode = Mode::Bdat(BdatState {
            size,
            remaining: size,
            last,
            outcome,
        });
    }

    /// Decides, before reading it, what becomes of a BDAT chunk (RFC 3030 §2: a refused
    /// chunk is still read, then answered).
    fn bdat_outcome(&mut self, size: u64, last: bool) -> ChunkOutcome {
        let lmtp = self.config.flavor == Flavor::Lmtp;
        let sequence = |session: &mut Self, text: &str| {
            let reply = session.canned(ReplyCode::BAD_SEQUENCE, (5, 5, 1), text);
            session.count_error();
            ChunkOutcome::Refuse { reply, copies: 1 }
        };
        if !self.config.chunking {
            let reply = self.canned(ReplyCode::NOT_IMPLEMENTED, (5, 5, 1), "BDAT not available");
            self.count_error();
            return ChunkOutcome::Refuse { reply, copies: 1 };
        }
        let Some(transaction) = self.transaction.as_ref() else {
            return sequence(self, "Need MAIL command");
        };
        if !self.is_extended() {
            let text = self.extended_hello_first();
            return sequence(self, text);
        }
        if transaction.failed {
            return sequence(self, "Transaction failed, send RSET");
        }
        let accepted = transaction.accepted_recipients;
        if accepted == 0 {
            self.fail_transaction(AbortReason::NoRecipients);
            if lmtp {
                if last {
                    self.transaction = None;
                    return ChunkOutcome::Refuse {
                        reply: Vec::new(),
                        copies: 0,
                    };
                }
                return sequence(self, "No valid recipients");
            }
            let reply = self.canned(
                ReplyCode::TRANSACTION_FAILED,
                (5, 5, 1),
                "No valid recipients",
            );
            return ChunkOutcome::Refuse { reply, copies: 1 };
        }
        let so_far = transaction.size;
        let too_large = self
            .config
            .max_bdat_chunk_size
            .is_some_and(|max| size > max)
            || self
                .config
                .max_message_size
                .is_some_and(|max| so_far.saturating_add(size) > max);
        if too_large {
            self.fail_transaction(AbortReason::TooLarge);
            let reply = self.canned(
                ReplyCode::EXCEEDED_STORAGE,
                (5, 3, 4),
                "Message size exceeds fixed maximum message size",
            );
            let copies = if lmtp && last { accepted } else { 1 };
            return ChunkOutcome::Refuse { reply, copies };
        }
        ChunkOutcome::Forward
    }

    /// Marks the transaction failed (BDAT) and tells the application once.
    fn fail_transaction(&mut self, reason: AbortReason) {
        if let Some(t) = self.transaction.as_mut() {
            if !t.failed {
                t.failed = true;
                if t.mail_accepted {
                    self.events
                        .push_back(ServerEvent::TransactionAborted { reason });
                }
            }
        }
    }

    fn step_bdat(&mut self) -> bool {
        let Mode::Bdat(state) = &mut self.mode else {
            return false;
        };
        if state.remaining > 0 {
            if self.input.is_empty() {
                return false;
            }
            let want = usize::try_from(state.remaining).unwrap_or(usize::MAX);
            let chunk = self.input.take_up_to(want);
            state.remaining -= chunk.len() as u64;
            if let ChunkOutcome::Forward = state.outcome {
                if let Some(t) = self.transaction.as_mut() {
                    t.size += chunk.len() as u64;
                }
                if !chunk.is_empty() {
                    self.events.push_back(ServerEvent::MessageData(chunk));
                }
            }
            return true;
        }
        let Mode::Bdat(state) = std::mem::replace(&mut self.mode, Mode::Command) else {
            return false;
        };
        match state.outcome {
            ChunkOutcome::Refuse { reply, copies } => {
                for _ in 0..copies {
                    self.answer(&reply);
                }
                self.check_error_limit();
            }
            ChunkOutcome::Forward if state.last => self.end_of_message(None),
            ChunkOutcome::Forward => {
                let text = format!("{} octets received", state.size);
                let reply = self.canned(ReplyCode::OK, (2, 0, 0), &text);
                self.answer(&reply);
            }
        }
        true
    }

    fn quit(&mut self) {
        let text = format!("{} closing connection", self.config.hostname);
        let reply = self.canned(ReplyCode::CLOSING, (2, 0, 0), &text);
        self.begin_close(CloseReason::Quit, Some(&reply));
    }

    fn starttls(&mut self) {
        let refusal = if !self.config.starttls || self.config.implicit_tls {
            Some((ReplyCode::NOT_IMPLEMENTED, "STARTTLS not available"))
        } else if self.tls {
            Some((ReplyCode::BAD_SEQUENCE, "TLS already active"))
        } else if !self.is_extended() {
            Some((ReplyCode::BAD_SEQUENCE, self.extended_hello_first()))
        } else if self.transaction.is_some() {
            Some((
                ReplyCode::BAD_SEQUENCE,
                "STARTTLS not allowed during a mail transaction",
            ))
        } else {
            None
        };
        if let Some((code, text)) = refusal {
            let reply = self.canned(code, (5, 5, 1), text);
            return self.error(reply);
        }
        let reply = self.canned(ReplyCode::SERVICE_READY, (2, 0, 0), "Ready to start TLS");
        self.answer(&reply);
        self.phase = Phase::StartTls;
        // RFC 3207 §4.2 and CVE-2011-0411: nothing sent before the handshake may be
        // taken as a command after it.
        let octets = self.input.len();
        self.input.clear();
        if octets > 0 {
            self.events
                .push_back(ServerEvent::DiscardedAfterStartTls { octets });
        }
    }

    // ----------------------------------------------------------------------------------
    // AUTH (RFC 4954)
    // ----------------------------------------------------------------------------------

    /// The mechanisms offered now (after the TLS policies).
    fn offered_mechanisms(&self) -> Vec<&Mechanism<'static>> {
        if self.config.require_tls_for_auth && !self.tls {
            return Vec::new();
        }
        self.config
            .auth_mechanisms
            .iter()
            .filter(|m| self.tls || self.config.plaintext_auth_without_tls || !is_plaintext(m))
            .collect()
    }

    fn auth_command(
        &mut self,
        mechanism: Mechanism<'static>,
        initial_response: Option<crate::types::SaslData<'_>>,
    ) {
        let configured = self.config.auth_mechanisms.contains(&mechanism);
        let refusal = if self.config.auth_mechanisms.is_empty() {
            Some((ReplyCode::NOT_IMPLEMENTED, (5, 5, 1), "AUTH not available"))
        } else if !self.is_extended() {
            Some((
                ReplyCode::BAD_SEQUENCE,
                (5, 5, 1),
                self.extended_hello_first(),
            ))
        } else if self.authenticated {
            Some((ReplyCode::BAD_SEQUENCE, (5, 5, 1), "Already authenticated"))
        } else if self.transaction.is_some() {
            Some((
                ReplyCode::BAD_SEQUENCE,
                (5, 5, 1),
                "AUTH not permitted during a mail transaction",
            ))
        } else if self.config.require_tls_for_auth && !self.tls {
            Some((
                ReplyCode::AUTH_REQUIRED,
                (5, 7, 0),
                "Must issue a STARTTLS command first",
            ))
        } else if !configured {
            Some((
                ReplyCode::PARAMETER_NOT_IMPLEMENTED,
                (5, 5, 4),
                "Unrecognized authentication type",
            ))
        } else if is_plaintext(&mechanism) && !self.tls && !self.config.plaintext_auth_without_tls {
            Some((
                ReplyCode::new(538).unwrap_or(ReplyCode::AUTH_REQUIRED),
                (5, 7, 11),
                "Encryption required for requested authentication mechanism",
            ))
        } else {
            None
        };
        if let Some((code, enhanced, text)) = refusal {
            let reply = self.canned(code, enhanced, text);
            return self.error(reply);
        }
        let initial = match initial_response.map(|data| data.decode()) {
            None => None,
            Some(Ok(bytes)) => Some(bytes),
            Some(Err(_)) => {
                let reply = self.canned(
                    ReplyCode::PARAMETER_SYNTAX_ERROR,
                    (5, 5, 2),
                    "Invalid base64 data",
                );
                return self.error(reply);
            }
        };
        if mechanism == Mechanism::PLAIN {
            self.auth = Some(AuthExchange {
                mechanism,
                stage: AuthStage::PlainResponse,
            });
            match initial {
                Some(message) => self.plain_message(message.expose()),
                None => {
                    self.answer(b"334 \r\n");
                    self.enter_auth_line_mode();
                }
            }
        } else if mechanism == Mechanism::LOGIN {
            match initial {
                // Some clients send the user name as initial response.
                Some(username) => match sasl::parse_login_field(username.expose()) {
                    Some(username) => {
                        self.auth = Some(AuthExchange {
                            mechanism,
                            stage: AuthStage::LoginPassword { username },
                        });
                        self.answer(&challenge_line(sasl::LOGIN_PASSWORD_PROMPT));
                        self.enter_auth_line_mode();
                    }
                    None => self.auth_failed_malformed("Malformed LOGIN response"),
                },
                None => {
                    self.auth = Some(AuthExchange {
                        mechanism,
                        stage: AuthStage::LoginUsername,
                    });
                    self.answer(&challenge_line(sasl::LOGIN_USERNAME_PROMPT));
                    self.enter_auth_line_mode();
                }
            }
        } else {
            self.auth = Some(AuthExchange {
                mechanism: mechanism.clone(),
                stage: AuthStage::Application,
            });
            let id = self.owe(Decision::SaslStep, 1);
            self.events.push_back(ServerEvent::SaslStart {
                id,
                mechanism,
                initial_response: initial,
            });
        }
    }

    fn plain_message(&mut self, message: &[u8]) {
        match sasl::parse_plain(message) {
            Some(credentials) => {
                self.leave_auth_line_mode();
                if let Some(exchange) = self.auth.as_mut() {
                    exchange.stage = AuthStage::Application;
                }
                let id = self.owe(Decision::Credentials, 1);
                self.events.push_back(ServerEvent::AuthCredentials {
                    id,
                    mechanism: Mechanism::PLAIN,
                    authzid: credentials.authzid,
                    authcid: credentials.authcid,
                    password: credentials.password,
                });
            }
            None => self.auth_failed_malformed("Malformed PLAIN response"),
        }
    }

    fn auth_failed_malformed(&mut self, text: &str) {
        let reply = self.canned(ReplyCode::PARAMETER_SYNTAX_ERROR, (5, 5, 2), text);
        self.end_auth_exchange(false);
        self.error(reply);
    }

    /// Ends an exchange the machine stopped; tells the application when it was taking
    /// part in it.
    fn end_auth_exchange(&mut self, cancelled_by_client: bool) {
        if let Some(exchange) = self.auth.take() {
            if cancelled_by_client || exchange.is_generic() {
                self.events.push_back(ServerEvent::AuthCancelled);
            }
        }
        self.leave_auth_line_mode();
    }

    fn enter_auth_line_mode(&mut self) {
        self.mode = Mode::AuthLine;
        self.input
            .set_max_line_length(self.config.max_auth_line_length);
    }

    fn leave_auth_line_mode(&mut self) {
        if let Mode::AuthLine = self.mode {
            self.mode = Mode::Command;
        }
        self.input.set_max_line_length(self.config.max_line_length);
    }

    fn step_auth_line(&mut self) -> bool {
        if self.phase != Phase::Open {
            return false;
        }
        // A line taken as a command while the exchange waited for the application is
        // the client's answer after all.
        let next = match self.stalled.take() {
            Some(line) => Some(line),
            None => self.input.next_line(),
        };
        let line = match next {
            None => return false,
            Some(Line::TooLong) => {
                let reply = self.canned(
                    ReplyCode::SYNTAX_ERROR,
                    (5, 5, 6),
                    "Authentication exchange line too long",
                );
                self.end_auth_exchange(false);
                self.error(reply);
                return true;
            }
            Some(Line::Complete { bytes, ending }) => {
                if ending == LineEnding::BareLf && !self.config.quirk_bare_lf_commands {
                    self.auth_failed_malformed("Line must end with CRLF");
                    return true;
                }
                bytes
            }
        };
        let response = match codec::decode_sasl_response_line(&line) {
            Ok(SaslResponse::Cancel) => {
                let reply = self.canned(
                    ReplyCode::PARAMETER_SYNTAX_ERROR,
                    (5, 7, 0),
                    "Authentication cancelled",
                );
                self.end_auth_exchange(true);
                self.answer(&reply);
                return true;
            }
            Ok(SaslResponse::Data(data)) => data.decode(),
            Err(_) => Err(DecodeError::InvalidBase64),
        };
        let Ok(response) = response else {
            self.auth_failed_malformed("Invalid base64 data");
            return true;
        };
        let stage = match self.auth.as_mut() {
            Some(exchange) => std::mem::replace(&mut exchange.stage, AuthStage::Application),
            None => {
                self.leave_auth_line_mode();
                return true;
            }
        };
        match stage {
            AuthStage::PlainResponse => self.plain_message(response.expose()),
            AuthStage::LoginUsername => match sasl::parse_login_field(response.expose()) {
                Some(username) => {
                    if let Some(exchange) = self.auth.as_mut() {
                        exchange.stage = AuthStage::LoginPassword { username };
                    }
                    self.answer(&challenge_line(sasl::LOGIN_PASSWORD_PROMPT));
                }
                None => self.auth_failed_malformed("Malformed LOGIN response"),
            },
            AuthStage::LoginPassword { username } => {
                match sasl::parse_login_field(response.expose()) {
                    Some(password) => {
                        self.leave_auth_line_mode();
                        let id = self.owe(Decision::Credentials, 1);
                        self.events.push_back(ServerEvent::AuthCredentials {
                            id,
                            mechanism: Mechanism::LOGIN,
                            authzid: None,
                            authcid: username,
                            password: Secret::new(password),
                        });
                    }
                    None => self.auth_failed_malformed("Malformed LOGIN response"),
                }
            }
            AuthStage::SaslClient | AuthStage::Application => {
                self.leave_auth_line_mode();
                let id = self.owe(Decision::SaslStep, 1);
                self.events
                    .push_back(ServerEvent::SaslResponse { id, response });
            }
        }
        true
    }

    // ----------------------------------------------------------------------------------
    // Replies, errors, closing
    // ----------------------------------------------------------------------------------

    /// Registers a decision owed under a fresh id, with `places` reply places in line.
    fn owe(&mut self, decision: Decision, places: usize) -> ReplyId {
        let id = self.next_id;
        self.next_id += 1;
        self.decisions.insert(id, decision);
        for _ in 0..places {
            self.outbox.reserve(id);
        }
        ReplyId(id)
    }

    /// Queues a reply of the machine.
    fn answer(&mut self, reply: &[u8]) {
        self.outbox.push(reply);
    }

    /// Queues the reply to a protocol error, or 421 once the error limit is reached.
    fn error(&mut self, reply: Vec<u8>) {
        self.count_error();
        if self.errors >= self.config.max_errors {
            self.check_error_limit();
        } else {
            self.answer(&reply);
        }
    }

    fn count_error(&mut self) {
        self.errors = self.errors.saturating_add(1);
    }

    /// Closes with 421 once the error limit is reached.
    fn check_error_limit(&mut self) {
        if self.errors >= self.config.max_errors && self.phase != Phase::Closing {
            let text = format!("{} too many errors", self.config.hostname);
            let reply = self.canned(ReplyCode::SERVICE_NOT_AVAILABLE, (4, 7, 0), &text);
            self.begin_close(CloseReason::TooManyErrors, Some(&reply));
        }
    }

    /// Queues the last reply and stops reading; pending decisions still get their
    /// replies out before the transport closes.
    fn begin_close(&mut self, reason: CloseReason, reply: Option<&[u8]>) {
        self.abort_transaction(AbortReason::SessionEnded);
        if self
            .auth
            .take()
            .is_some_and(|exchange| exchange.is_generic())
        {
            self.events.push_back(ServerEvent::AuthCancelled);
        }
        if let Some(reply) = reply {
            self.answer(reply);
        }
        self.phase = Phase::Closing;
        self.mode = Mode::Command;
        self.stalled = None;
        self.input.clear();
        self.events.push_back(ServerEvent::Closed { reason });
    }

    /// Ends the transaction in progress, telling the application if it had accepted
    /// the sender (a still-undecided MAIL is simply void).
    fn abort_transaction(&mut self, reason: AbortReason) {
        if let Some(transaction) = self.transaction.take() {
            if transaction.mail_accepted && !transaction.failed {
                self.events
                    .push_back(ServerEvent::TransactionAborted { reason });
            }
        }
        if matches!(self.mode, Mode::Data(_) | Mode::Bdat(_)) {
            self.mode = Mode::Command;
        }
    }

    /// A reply of the machine, with its enhanced code when ENHANCEDSTATUSCODES is on.
    fn canned(&self, code: ReplyCode, enhanced: (u8, u16, u16), text: &str) -> Vec<u8> {
        let enhanced = if self.config.enhanced_status_codes && !code.is_intermediate() {
            EnhancedStatusCode::new(enhanced.0, enhanced.1, enhanced.2)
        } else {
            None
        };
        build_reply(code, enhanced, text)
    }

    /// A reply without enhanced code (greetings, HELO, 354).
    fn plain_reply(&self, code: ReplyCode, text: &str) -> Vec<u8> {
        build_reply(code, None, text)
    }

    fn greeting_reply(&self) -> Vec<u8> {
        let text = format!("{} {}", self.config.hostname, self.config.greeting_text);
        self.plain_reply(ReplyCode::SERVICE_READY, &text)
    }

    fn ehlo_reply(&self) -> Vec<u8> {
        let config = &self.config;
        let mut capabilities = Vec::new();
        if config.pipelining {
            capabilities.push(Capability::Pipelining);
        }
        if config.advertise_size {
            capabilities.push(Capability::Size(Some(config.max_message_size.unwrap_or(0))));
        }
        if config.eight_bit_mime {
            capabilities.push(Capability::EightBitMime);
        }
        if config.smtputf8 {
            capabilities.push(Capability::SmtpUtf8);
        }
        if config.chunking {
            capabilities.push(Capability::Chunking);
        }
        if config.binary_mime {
            capabilities.push(Capability::BinaryMime);
        }
        if config.dsn {
            capabilities.push(Capability::Dsn);
        }
        if config.enhanced_status_codes {
            capabilities.push(Capability::EnhancedStatusCodes);
        }
        if config.starttls && !self.tls {
            capabilities.push(Capability::StartTls);
        }
        let mechanisms = self.offered_mechanisms();
        if !mechanisms.is_empty() {
            capabilities.push(Capability::Auth {
                mechanisms: MechanismList::new(mechanisms),
                legacy_form: false,
            });
        }
        match EhloResponse::new(config.hostname.as_str(), capabilities) {
            Ok(response) => encode(&response.to_reply()),
            Err(_) => self.plain_reply(ReplyCode::OK, &config.hostname),
        }
    }

    /// "SMTP" or "LMTP", for the machine's own texts.
    fn protocol_name(&self) -> &'static str {
        match self.config.flavor {
            Flavor::Smtp => "SMTP",
            Flavor::Lmtp => "LMTP",
        }
    }

    /// The 503 to any command but QUIT after a refusing greeting.
    fn refused_session_reply(&self) -> Vec<u8> {
        let text = match self.config.flavor {
            Flavor::Smtp => "No SMTP service here, send QUIT",
            Flavor::Lmtp => "No LMTP service here, send QUIT",
        };
        self.canned(ReplyCode::BAD_SEQUENCE, (5, 5, 1), text)
    }

    /// The 503 text for a command that needs the extended greeting (EHLO, or LHLO).
    fn extended_hello_first(&self) -> &'static str {
        match self.config.flavor {
            Flavor::Smtp => "Send EHLO first",
            Flavor::Lmtp => "Send LHLO first",
        }
    }

    /// The 555 text for MAIL/RCPT parameters before the extended greeting.
    fn parameters_need_hello(&self) -> &'static str {
        match self.config.flavor {
            Flavor::Smtp => "Parameters need EHLO",
            Flavor::Lmtp => "Parameters need LHLO",
        }
    }

    fn help_text(&self) -> String {
        let mut commands = vec!["HELO", "EHLO", "MAIL", "RCPT", "DATA"];
        if self.config.flavor == Flavor::Lmtp {
            commands = vec!["LHLO", "MAIL", "RCPT", "DATA"];
        }
        if self.config.chunking {
            commands.push("BDAT");
        }
        commands.extend(["RSET", "NOOP", "QUIT", "VRFY", "HELP"]);
        if self.config.starttls {
            commands.push("STARTTLS");
        }
        if !self.config.auth_mechanisms.is_empty() {
            commands.push("AUTH");
        }
        format!("Commands: {}", commands.join(" "))
    }

    // ----------------------------------------------------------------------------------
    // Timer (RFC 5321 §4.5.3.2)
    // ----------------------------------------------------------------------------------

    /// True when the next move is the client's (the only time the timer runs).
    fn waits_for_client(&self) -> bool {
        matches!(self.phase, Phase::Open | Phase::Refused)
            && self.decisions.is_empty()
            && self.stalled.is_none()
    }

    fn current_timeout(&self) -> Duration {
        match self.mode {
            Mode::Data(_) | Mode::Bdat(_) => self.config.data_timeout,
            Mode::Command | Mode::AuthLine => self.config.command_timeout,
        }
    }

    /// Starts or stops the timer after a change; `now` when the caller knows the time.
    fn update_timer(&mut self, now: Option<Instant>) {
        if !self.waits_for_client() {
            self.idle_since = None;
            self.clock_wanted = false;
            return;
        }
        if self.idle_since.is_none() && !self.clock_wanted {
            match now {
                Some(now) => self.idle_since = Some(now),
                None => self.clock_wanted = true,
            }
        }
    }

    fn on_timeout(&mut self) {
        let text = format!("{} timeout exceeded", self.config.hostname);
        let reply = self.canned(ReplyCode::SERVICE_NOT_AVAILABLE, (4, 4, 2), &text);
        self.begin_close(CloseReason::Timeout, Some(&reply));
    }
}

impl Session for ServerSession {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, input: &[u8]) {
        self.last_now = self.last_now.max(now);
        if input.is_empty() {
            return;
        }
        match self.phase {
            Phase::Closing => return,
            Phase::StartTls => {
                self.events.push_back(ServerEvent::DiscardedAfterStartTls {
                    octets: input.len(),
                });
                return;
            }
            Phase::AwaitingGreeting | Phase::Refused | Phase::Open => {}
        }
        if self.client_eof {
            return;
        }
        self.input.extend(input);
        // Any octet from the client restarts its idle time.
        self.idle_since = None;
        self.clock_wanted = false;
        self.process();
        self.update_timer(Some(now));
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        if self.clock_wanted {
            self.clock_wanted = false;
            self.idle_since = Some(now);
            return;
        }
        let Some(since) = self.idle_since else {
            return;
        };
        if self.waits_for_client() && now >= since + self.current_timeout() {
            self.on_timeout();
            self.update_timer(Some(now));
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        if self.client_eof || self.phase == Phase::Closing {
            self.client_eof = true;
            return;
        }
        self.client_eof = true;
        if self.phase == Phase::StartTls {
            self.begin_close(CloseReason::ClientClosed, None);
        } else {
            self.process();
            if self.phase != Phase::Closing && self.is_starved() {
                self.begin_close(CloseReason::ClientClosed, None);
            }
        }
        self.update_timer(Some(now));
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.last_now = self.last_now.max(now);
        self.tls = true;
        if self.phase != Phase::StartTls {
            return;
        }
        // RFC 3207 §4.2: back to the state right after the greeting.
        self.phase = Phase::Open;
        self.mode = Mode::Command;
        self.hello = None;
        self.authenticated = false;
        self.auth = None;
        self.transaction = None;
        self.input.clear();
        self.input.set_max_line_length(self.config.max_line_length);
        self.events.push_back(ServerEvent::TlsEstablished);
        self.idle_since = None;
        self.clock_wanted = false;
        self.update_timer(Some(now));
    }

    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        self.outbox.transmit(out)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.clock_wanted {
            return Some(self.last_now);
        }
        let since = self.idle_since?;
        if !self.waits_for_client() {
            return None;
        }
        Some(since + self.current_timeout())
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn transport(&self) -> Transport {
        match self.phase {
            Phase::StartTls => Transport::StartTls,
            Phase::Closing if !self.outbox.has_open_places() => Transport::Closed,
            _ => Transport::Open,
        }
    }

    /// False while at least half of
    /// [`max_pending_input`](super::ServerConfigBuilder::max_pending_input) is held
    /// waiting for the application's decisions: the transport should stop reading (TCP
    /// then slows the client down) until a decision lets the machine serve that input.
    /// A transport that reads on anyway makes the machine close with `421 4.7.0` once
    /// the limit itself is passed; keep the transport's read size at most half the
    /// limit so that one read cannot cross both marks.
    ///
    /// With mailwire-core's tokio `Driver`, make the owed decisions before awaiting the
    /// next event: while this is false the driver has nothing to wait for.
    fn wants_input(&self) -> bool {
        !(self.holds_input_for_application()
            && self.held_input() >= self.config.max_pending_input / 2)
    }
}

/// PLAIN and LOGIN send the password itself (RFC 4954 §4: not without TLS by default).
fn is_plaintext(mechanism: &Mechanism<'_>) -> bool {
    *mechanism == Mechanism::PLAIN || *mechanism == Mechanism::LOGIN
}

fn encode(reply: &Reply<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    codec::encode_reply(reply, &mut out);
    out
}

fn build_reply(code: ReplyCode, enhanced: Option<EnhancedStatusCode>, text: &str) -> Vec<u8> {
    match Reply::new(code, enhanced, [text]) {
        Ok(reply) => encode(&reply),
        // Texts here are the machine's own, so this does not happen; a bare code is
        // still a valid reply.
        Err(_) => format!("{} \r\n", code.get()).into_bytes(),
    }
}

/// `334 <base64>` (RFC 4954 §4; `334 ` for an empty challenge). Written directly: a
/// challenge may exceed the 512-octet reply line (RFC 4954 §4 lifts that limit).
fn challenge_line(challenge: &[u8]) -> Vec<u8> {
    let mut line = b"334 ".to_vec();
    line.extend_from_slice(
        crate::types::SaslData::encode(challenge)
            .as_base64()
            .as_bytes(),
    );
    line.extend_from_slice(b"\r\n");
    line
}

/// The reply code at the head of an encoded reply.
fn reply_code_of(bytes: &[u8]) -> Option<ReplyCode> {
    let digits = bytes.get(..3)?;
    let code = std::str::from_utf8(digits).ok()?.parse::<u16>().ok()?;
    ReplyCode::new(code)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Where the first bare LF (not after CR) or bare CR (not before LF) of `data` is;
/// `previous` is the octet before `data`. A `\r` ending `data` is undecided, not bare.
fn first_bare_line_end(previous: Option<u8>, data: &[u8]) -> Option<usize> {
    let mut before = previous;
    for (index, &octet) in data.iter().enumerate() {
        match octet {
            b'\n' if before != Some(b'\r') => return Some(index),
            b'\r' => match data.get(index + 1) {
                Some(b'\n') | None => {}
                Some(_) => return Some(index),
            },
            _ => {}
        }
        before = Some(octet);
    }
    None
}

/// Joins the pieces the unstuffer passed on; no copy when there is a single piece.
fn assemble(taken: &Bytes, parts: &[BodyPart]) -> Option<Bytes> {
    match parts {
        [] => None,
        [BodyPart::Input(range)] => {
            let range = range.start.min(taken.len())..range.end.min(taken.len());
            Some(taken.slice(range))
        }
        parts => {
            let mut joined = BytesMut::new();
            for part in parts {
                match part {
                    BodyPart::Input(range) => {
                        joined.extend_from_slice(taken.get(range.clone()).unwrap_or_default());
                    }
                    BodyPart::Cr => joined.extend_from_slice(b"\r"),
                }
            }
            Some(joined.freeze())
        }
    }
}

/// Access for the unit tests in `server/tests.rs`.
#[cfg(test)]
pub(super) mod test_support {
    use super::{assemble, reply_code_of, BodyPart};
    use crate::types::ReplyCode;
    use bytes::Bytes;

    pub(crate) fn first_bare_line_end(previous: Option<u8>, data: &[u8]) -> Option<usize> {
        super::first_bare_line_end(previous, data)
    }

    pub(crate) fn reply_code(bytes: &[u8]) -> Option<ReplyCode> {
        reply_code_of(bytes)
    }

    /// `ranges` of `taken` in order, with a held-back `\r` inserted before each index of
    /// `crs`.
    pub(crate) fn assemble_parts(
        taken: &Bytes,
        ranges: &[(usize, usize)],
        crs: &[usize],
    ) -> Option<Bytes> {
        let mut parts = Vec::new();
        for (index, (start, end)) in ranges.iter().enumerate() {
            if crs.contains(&index) {
                parts.push(BodyPart::Cr);
            }
            parts.push(BodyPart::Input(*start..*end));
        }
        assemble(taken, &parts)
    }
}
