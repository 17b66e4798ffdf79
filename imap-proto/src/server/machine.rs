//! The server machine itself; see the [module docs](super).

use std::collections::VecDeque;
use std::time::Instant;

use mailwire_core::line::LineBuffer;
use mailwire_core::{Session, Transport};

use crate::codec::{
    command_tag, decode_authenticate_data, decode_command, decode_idle_done, encode_greeting,
    encode_response, DecodeOptions, EncodeOptions, Limits, NonSyncLiterals, Version,
};
use crate::types::{
    Atom, AuthenticateData, Capability, Code, Command, CommandBody, Continuation, Data,
    FetchAttribute, FetchAttributes, FetchModifier, Greeting, GreetingKind, IntoOwned, Mailbox,
    NonEmpty, OtherCode, Response, ResponseText, SearchKey, SelectParameter, State, StoreModifier,
    Tag, TaggedResponse, Text,
};

use super::config::{CleartextLogin, ServerConfig, Versions, DEFAULT_AUTOLOGOUT};
use super::error::ServerError;
use super::event::{
    AppendFormat, AppendedMessage, CloseReason, CommandId, Credentials, Delivery, LoginMethod,
    ServerEvent, SessionState,
};
use super::framing::{self, AfterMessage, Announcement, LineEnd};
use super::sasl;

/// The `+` that lets a client send a synchronizing literal.
const LITERAL_CONTINUATION: &str = "Ready for literal data";

/// What the machine reads next from the client's octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Commands, line by line and literal by literal (while no command waits for the
    /// application).
    Commands,
    /// The octets of an APPEND message, streamed to the application.
    AppendOctets { left: u64 },
    /// What follows an APPEND message: the end of the command or the next message.
    AppendRest,
    /// The octets of a refused non-synchronizing literal, dropped.
    SkipOctets { left: u64 },
    /// The rest of a refused command, dropped up to its end.
    SkipRest,
    /// An over-long line, dropped up to its LF.
    SkipLine,
    /// A line of AUTHENTICATE data.
    SaslResponse,
    /// The DONE that ends IDLE.
    IdleDone,
}

/// Progress through the command at the start of the input.
#[derive(Debug, Clone, Copy, Default)]
struct Scan {
    /// Offset of the first line not yet read.
    position: usize,
    /// Where the octets of the literal already decided on start.
    decided: Option<usize>,
}

/// What a completion does to the session state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transition {
    Select,
    Examine,
    Unselect,
    None,
}

/// The step of the command in progress.
#[derive(Debug)]
enum Step {
    /// Handed to the application; waits for its completion.
    Command {
        transition: Transition,
        /// EXPUNGE may be sent now (not FETCH, STORE or SEARCH, RFC 3501 §7.4.1).
        expunge_allowed: bool,
        /// VANISHED may be sent now (also not UID SEARCH by message numbers, RFC 7162
        /// §3.2.10).
        vanished_allowed: bool,
    },
    /// LOGIN or AUTHENTICATE PLAIN; waits for the application's verdict.
    Login,
    /// Another SASL mechanism.
    Authenticate {
        /// PLAIN, run by the machine.
        plain: bool,
        /// The machine waits for the client's next line (not for the application).
        awaiting_client: bool,
    },
    Append {
        mailbox: Mailbox<'static>,
        index: usize,
        format: AppendFormat,
        stage: AppendStage,
    },
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AppendStage {
    /// The message waits for `accept_append`.
    AwaitAccept { length: u64, synchronizing: bool },
    /// Octets are arriving (or the rest of the command is being read).
    Receiving,
    /// The whole command arrived; waits for the completion.
    Done,
}

#[derive(Debug)]
struct Current {
    id: CommandId,
    tag: Tag<'static>,
    step: Step,
}

impl Current {
    /// True while the application owes a decision (the autologout timer stops).
    fn waits_for_application(&self) -> bool {
        match &self.step {
            Step::Command { .. } | Step::Login => true,
            Step::Authenticate {
                awaiting_client, ..
            } => !awaiting_client,
            Step::Append { stage, .. } => *stage != AppendStage::Receiving,
            Step::Idle => false,
        }
    }

    /// Whether `data`, an EXPUNGE or VANISHED, may be sent now (RFC 3501 §7.4.1: only
    /// while a command other than FETCH, STORE, SEARCH is in progress; a command is not
    /// in progress until all of it was received).
    fn allows(&self, data: &Data<'_>) -> bool {
        let vanished = matches!(data, Data::Vanished { .. });
        match &self.step {
            Step::Command {
                expunge_allowed,
                vanished_allowed,
                ..
            } => {
                if vanished {
                    *vanished_allowed
                } else {
                    *expunge_allowed
                }
            }
            Step::Idle => true,
            Step::Append { stage, .. } => *stage == AppendStage::Done,
            Step::Login | Step::Authenticate { .. } => false,
        }
    }
}

/// What to do with a literal announced at the end of a command line.
#[derive(Debug)]
enum LiteralDecision {
    /// Read it as part of the command (`+` first when synchronizing).
    Accept,
    /// APPEND's message: announce it and stream its octets.
    Message(Mailbox<'static>, AppendedMessage),
    /// Refuse the command now, before the literal is read.
    Refuse(Refusal),
}

#[derive(Debug)]
struct Refusal {
    state: State,
    code: Option<Code<'static>>,
    text: &'static str,
    /// Counts as a protocol error.
    error: bool,
}

fn too_big() -> Code<'static> {
    Code::Other(OtherCode::from_checked(Atom::from_checked("TOOBIG"), None))
}

/// Response text from a string, line breaks and NUL replaced by spaces.
fn text(value: &str) -> Text<'static> {
    let cleaned: String = value
        .chars()
        .map(|c| {
            if matches!(c, '\r' | '\n' | '\0') {
                ' '
            } else {
                c
            }
        })
        .collect();
    Text::new(cleaned).unwrap_or_default()
}

fn mailbox_bound(data: &Data<'_>) -> bool {
    matches!(
        data,
        Data::Exists(_)
            | Data::Recent(_)
            | Data::Expunge(_)
            | Data::Vanished { .. }
            | Data::Fetch { .. }
            | Data::Flags(_)
    )
}

/// EXPUNGE and live VANISHED change message numbers: RFC 3501 §7.4.1, RFC 7162 §3.2.10.
fn renumbers(data: &Data<'_>) -> bool {
    matches!(
        data,
        Data::Expunge(_) | Data::Vanished { earlier: false, .. }
    )
}

fn search_uses_numbers(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::SequenceSet(_) => true,
        SearchKey::Not(inner) => search_uses_numbers(inner),
        SearchKey::Or(left, right) => search_uses_numbers(left) || search_uses_numbers(right),
        SearchKey::And(keys) => keys.iter().any(search_uses_numbers),
        _ => false,
    }
}

fn search_uses_modseq(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::ModSeq { .. } => true,
        SearchKey::Not(inner) => search_uses_modseq(inner),
        SearchKey::Or(left, right) => search_uses_modseq(left) || search_uses_modseq(right),
        SearchKey::And(keys) => keys.iter().any(search_uses_modseq),
        _ => false,
    }
}

/// True for the CONDSTORE enabling commands of RFC 7162 §3.1.
fn enables_condstore(body: &CommandBody<'_>) -> bool {
    match body {
        CommandBody::Select { parameters, .. } | CommandBody::Examine { parameters, .. } => {
            parameters
                .iter()
                .any(|parameter| matches!(parameter, SelectParameter::CondStore))
        }
        CommandBody::Fetch {
            attributes,
            modifiers,
            ..
        } => {
            modifiers
                .iter()
                .any(|modifier| matches!(modifier, FetchModifier::ChangedSince(_)))
                || matches!(attributes, FetchAttributes::Attributes(list)
                    if list.iter().any(|attribute| matches!(attribute, FetchAttribute::ModSeq)))
        }
        CommandBody::Store { modifiers, .. } => modifiers
            .iter()
            .any(|modifier| matches!(modifier, StoreModifier::UnchangedSince(_))),
        CommandBody::Search { criteria, .. } => criteria.iter().any(search_uses_modseq),
        _ => false,
    }
}

/// The IMAP server machine (Sans-IO); see the [module docs](super).
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    input: LineBuffer,
    out: Vec<u8>,
    events: VecDeque<ServerEvent>,
    state: SessionState,
    transport: Transport,
    tls_active: bool,
    version: Version,
    utf8_accept: bool,
    condstore: bool,
    qresync: bool,
    reading: Reading,
    scan: Scan,
    current: Option<Current>,
    held: VecDeque<Data<'static>>,
    next_id: u64,
    errors: u32,
    last_activity: Instant,
    append_limit: u64,
}

impl Server {
    /// A session that greets with `* OK` (not authenticated yet).
    pub fn new(config: ServerConfig, now: Instant) -> Self {
        Self::start(config, now, GreetingKind::Ok)
    }

    /// A session that greets with `* PREAUTH`: the transport already authenticated the
    /// client (a local socket, a client certificate).
    pub fn preauthenticated(config: ServerConfig, now: Instant) -> Self {
        Self::start(config, now, GreetingKind::PreAuth)
    }

    /// A session that refuses the connection with `* BYE` and closes.
    pub fn refused(config: ServerConfig, now: Instant, reason: &str) -> Self {
        let mut server = Self::build(config, now, SessionState::NotAuthenticated);
        let greeting = Greeting {
            kind: GreetingKind::Bye,
            text: ResponseText {
                code: None,
                text: text(reason),
            },
        };
        encode_greeting(&greeting, &server.encode_options(), &mut server.out);
        server.close_with(CloseReason::Application);
        server
    }

    fn start(config: ServerConfig, now: Instant, kind: GreetingKind) -> Self {
        let state = match kind {
            GreetingKind::PreAuth => SessionState::Authenticated,
            _ => SessionState::NotAuthenticated,
        };
        let mut server = Self::build(config, now, state);
        let code = server
            .config
            .capability_in_greeting
            .then(|| Code::Capability(server.capability_list()));
        let greeting = Greeting {
            kind,
            text: ResponseText {
                code,
                text: text(&server.config.greeting),
            },
        };
        encode_greeting(&greeting, &server.encode_options(), &mut server.out);
        server
    }

    fn build(config: ServerConfig, now: Instant, state: SessionState) -> Self {
        let version = match config.versions {
            Versions::Rev2 => Version::Rev2,
            Versions::Rev1 | Versions::Both => Version::Rev1,
        };
        Server {
            input: LineBuffer::new(config.max_line_length),
            out: Vec::new(),
            events: VecDeque::new(),
            state,
            transport: Transport::Open,
            tls_active: config.implicit_tls,
            version,
            utf8_accept: false,
            condstore: false,
            qresync: false,
            reading: Reading::Commands,
            scan: Scan::default(),
            current: None,
            held: VecDeque::new(),
            next_id: 0,
            errors: 0,
            last_activity: now,
            append_limit: config.max_append_size,
            config,
        }
    }

    /// The session state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// True once TLS is active (implicit, or after STARTTLS).
    pub fn is_tls_active(&self) -> bool {
        self.tls_active
    }

    /// The IMAP version in effect (IMAP4rev2 after `ENABLE IMAP4rev2`, or from the start
    /// when only it is offered).
    pub fn version(&self) -> Version {
        self.version
    }

    /// True when `capability` (CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4rev2) is in effect.
    pub fn is_enabled(&self, capability: &Capability<'_>) -> bool {
        match capability {
            Capability::CondStore => self.condstore,
            Capability::QResync => self.qresync,
            Capability::Utf8Accept => self.utf8_accept,
            Capability::Imap4Rev2 => self.version == Version::Rev2,
            _ => false,
        }
    }

    /// The capabilities advertised now (they depend on TLS and on the state).
    pub fn capabilities(&self) -> Vec<Capability<'static>> {
        self.capability_list().into_vec()
    }

    /// How the machine encodes responses now; for applications that encode their own.
    pub fn encode_options(&self) -> EncodeOptions {
        EncodeOptions::default()
            .with_version(self.version)
            .with_utf8_accept(self.utf8_accept)
    }

    /// Changes the APPEND size limit for the rest of the session (a user's quota, say);
    /// it is advertised as `APPENDLIMIT=` from now on.
    pub fn set_append_limit(&mut self, limit: u64) {
        self.append_limit = limit;
    }

    fn decode_options(&self) -> DecodeOptions {
        // Literal and line limits were applied while framing, with the right answers.
        let limits = Limits {
            max_literal_length: u64::MAX,
            max_line_length: usize::MAX,
            max_nesting: self.config.max_nesting,
            ..Limits::default()
        };
        DecodeOptions::default()
            .with_version(self.version)
            .with_utf8_accept(self.utf8_accept)
            .with_non_sync_literals(NonSyncLiterals::Plus)
            .with_limits(limits)
            .with_quirks(self.config.quirks.clone())
    }

    /// The non-synchronizing literals accepted: as configured, and LITERAL- sized ones
    /// under IMAP4rev2 (RFC 9051 §4.3).
    fn non_sync_literals(&self) -> NonSyncLiterals {
        match self.config.non_sync_literals {
            NonSyncLiterals::Forbidden if self.version == Version::Rev2 => NonSyncLiterals::Minus,
            other => other,
        }
    }

    fn cleartext_allowed(&self) -> bool {
        self.tls_active || self.config.cleartext_login == CleartextLogin::Allow
    }

    fn offers(&self, capability: &Capability<'_>) -> bool {
        self.config
            .capabilities
            .iter()
            .any(|offered| offered == capability)
    }

    fn enableable(&self, capability: &Capability<'_>) -> bool {
        matches!(
            capability,
            Capability::CondStore | Capability::QResync | Capability::Utf8Accept
        ) && self
            .config
            .enable
            .iter()
            .any(|offered| offered == capability)
    }

    fn enable_offered(&self) -> bool {
        self.config.versions == Versions::Both
            || self
                .config
                .enable
                .iter()
                .any(|capability| self.enableable(capability))
            || self.offers(&Capability::Enable)
    }

    fn rev2(&self) -> bool {
        self.version == Version::Rev2
    }

    fn capability_list(&self) -> NonEmpty<Capability<'static>> {
        let mut list = NonEmpty::new(match self.config.versions {
            Versions::Rev2 => Capability::Imap4Rev2,
            Versions::Rev1 | Versions::Both => Capability::Imap4Rev1,
        });
        let add = |list: &mut NonEmpty<Capability<'static>>, capability: Capability<'static>| {
            if !list.contains(&capability) {
                list.push(capability);
            }
        };
        if self.config.versions == Versions::Both {
            add(&mut list, Capability::Imap4Rev2);
        }
        if self.state == SessionState::NotAuthenticated {
            if self.config.starttls && !self.tls_active {
                add(&mut list, Capability::StartTls);
            }
            let cleartext = self.cleartext_allowed();
            if !cleartext {
                add(&mut list, Capability::LoginDisabled);
            }
            let mut any_mechanism = false;
            for mechanism in &self.config.auth_mechanisms {
                if cleartext || !sasl::is_plaintext_mechanism(mechanism.as_str()) {
                    any_mechanism = true;
                    add(&mut list, Capability::Auth(mechanism.clone()));
                }
            }
            if any_mechanism && self.config.sasl_ir {
                add(&mut list, Capability::SaslIr);
            }
        }
        match self.config.non_sync_literals {
            NonSyncLiterals::Plus => add(&mut list, Capability::LiteralPlus),
            NonSyncLiterals::Minus => add(&mut list, Capability::LiteralMinus),
            NonSyncLiterals::Forbidden => {}
        }
        if self.config.idle {
            add(&mut list, Capability::Idle);
        }
        if self.enable_offered() {
            add(&mut list, Capability::Enable);
        }
        for capability in &self.config.enable {
            if self.enableable(capability) {
                add(&mut list, capability.clone());
            }
        }
        if self.config.advertise_append_limit {
            if let Ok(atom) = Atom::new(format!("APPENDLIMIT={}", self.append_limit)) {
                add(&mut list, Capability::Other(atom));
            }
        }
        for capability in &self.config.capabilities {
            add(&mut list, capability.clone());
        }
        list
    }

    fn new_id(&mut self) -> CommandId {
        self.next_id += 1;
        CommandId(self.next_id)
    }

    fn write(&mut self, response: &Response<'_>) {
        let options = self.encode_options();
        encode_response(response, &options, &mut self.out);
    }

    fn write_data(&mut self, data: &Data<'_>) {
        let options = self.encode_options();
        encode_response(&Response::Data(data.clone()), &options, &mut self.out);
    }

    fn write_tagged(&mut self, tag: &Tag<'_>, state: State, code: Option<Code<'_>>, value: &str) {
        let response = Response::Tagged(TaggedResponse {
            tag: tag.clone(),
            state,
            text: ResponseText {
                code,
                text: text(value),
            },
        });
        self.write(&response);
    }

    fn write_continuation(&mut self, value: &str) {
        self.write(&Response::Continuation(Continuation {
            text: ResponseText {
                code: None,
                text: text(value),
            },
        }));
    }

    fn write_bye(&mut self, code: Option<Code<'_>>, value: &str) {
        self.write_data(&Data::Bye(ResponseText {
            code,
            text: text(value),
        }));
    }

    /// The tag at the start of the input (the command being read), if valid.
    fn input_tag(&self) -> Option<Tag<'static>> {
        command_tag(self.input.buffered()).map(IntoOwned::into_owned)
    }

    /// The tag of an over-long command, read within the line limit only, so that the
    /// answer is the same whether the line end has arrived or not.
    fn long_line_tag(&self) -> Option<Tag<'static>> {
        let buffered = self.input.buffered();
        let head = buffered
            .get(..self.config.max_line_length.min(buffered.len()))
            .unwrap_or_default();
        command_tag(head).map(IntoOwned::into_owned)
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.state == SessionState::Logout && self.transport == Transport::Closed {
            return;
        }
        self.state = SessionState::Logout;
        self.transport = Transport::Closed;
        self.current = None;
        self.held.clear();
        self.input.clear();
        self.events.push_back(ServerEvent::Closed { reason });
    }

    /// A malformed or misplaced command: BAD (tagged when the tag could be read), and
    /// `* BYE` after too many.
    fn protocol_error(&mut self, tag: Option<&Tag<'_>>, value: &str) {
        match tag {
            Some(tag) => self.write_tagged(tag, State::Bad, None, value),
            None => self.write_data(&Data::State {
                state: State::Bad,
                text: ResponseText {
                    code: None,
                    text: text(value),
                },
            }),
        }
        self.count_error();
    }

    fn count_error(&mut self) {
        self.errors = self.errors.saturating_add(1);
        if self.errors >= self.config.max_errors {
            self.write_bye(None, "Too many invalid commands");
            self.close_with(CloseReason::TooManyErrors);
        }
    }

    /// Reads as far as the input and the pending decisions allow.
    fn process(&mut self) {
        while self.transport == Transport::Open && self.state != SessionState::Logout {
            let progressed = match self.reading {
                Reading::Commands => self.current.is_none() && self.next_command(),
                Reading::AppendOctets { left } => self.append_octets(left),
                Reading::AppendRest => self.append_rest(),
                Reading::SkipOctets { left } => self.skip_octets(left),
                Reading::SkipRest => self.skip_rest(),
                Reading::SkipLine => self.skip_line(),
                Reading::SaslResponse => self.sasl_response(),
                Reading::IdleDone => self.idle_done(),
            };
            if !progressed {
                break;
            }
        }
    }

    /// Reads the next line of the command at the start of the input; true when
    /// something happened.
    fn next_command(&mut self) -> bool {
        let start = self.scan.position;
        let max_line = self.config.max_line_length;
        let buffered = self.input.buffered();
        let rest = buffered.get(start..).unwrap_or_default();
        let Some(line_feed) = memchr::memchr(b'\n', rest) else {
            if rest.len() >= max_line {
                // The line cannot end within the limit: answer now, drop it as it comes.
                let tag = self.long_line_tag();
                self.input.clear();
                self.scan = Scan::default();
                self.reading = Reading::SkipLine;
                self.protocol_error(tag.as_ref(), "Line too long");
                return true;
            }
            return false;
        };
        let line_end = start + line_feed + 1;
        if line_feed + 1 > max_line {
            let tag = self.long_line_tag();
            self.input.consume(line_end);
            self.scan = Scan::default();
            self.protocol_error(tag.as_ref(), "Line too long");
            return true;
        }
        let line = rest.get(..=line_feed).unwrap_or_default();
        match framing::line_end(line) {
            LineEnd::Plain => {
                let command = self.input.take_up_to(line_end);
                self.scan = Scan::default();
                self.decode_and_dispatch(&command);
                true
            }
            LineEnd::Overflow { non_synchronizing } => {
                let refusal = Refusal {
                    state: if non_synchronizing {
                        State::Bad
                    } else {
                        State::No
                    },
                    code: Some(too_big()),
                    text: "Literal too large",
                    error: non_synchronizing,
                };
                self.refuse(refusal, line_end, non_synchronizing.then_some(u64::MAX));
                true
            }
            LineEnd::Literal(announcement) => {
                if self.scan.decided != Some(line_end) {
                    match self.literal_decision(start, line, announcement, line_end) {
                        LiteralDecision::Accept => {
                            if announcement.synchronizing {
                                self.write_continuation(LITERAL_CONTINUATION);
                            }
                            self.scan.decided = Some(line_end);
                        }
                        LiteralDecision::Message(mailbox, message) => {
                            let Some(tag) = self.input_tag() else {
                                return false;
                            };
                            self.input.consume(line_end);
                            self.scan = Scan::default();
                            self.announce_message(tag, mailbox, message, announcement);
                            return true;
                        }
                        LiteralDecision::Refuse(refusal) => {
                            let skip = (!announcement.synchronizing).then_some(announcement.length);
                            self.refuse(refusal, line_end, skip);
                            return true;
                        }
                    }
                }
                let available = self.input.len().saturating_sub(line_end) as u64;
                if available < announcement.length {
                    return false;
                }
                // The literal is in: the command goes on after it.
                self.scan.position = line_end
                    .saturating_add(usize::try_from(announcement.length).unwrap_or(usize::MAX));
                self.scan.decided = None;
                true
            }
        }
    }

    /// Decides on a literal announced at the end of `line`, which starts at `start` of the
    /// command; its octets would start at `data_start`.
    fn literal_decision(
        &self,
        start: usize,
        line: &[u8],
        announcement: Announcement,
        data_start: usize,
    ) -> LiteralDecision {
        let length = announcement.length;
        let non_sync = self.non_sync_literals();
        let refuse_non_sync = |code: Option<Code<'static>>, text| {
            LiteralDecision::Refuse(Refusal {
                state: State::Bad,
                code,
                text,
                error: true,
            })
        };
        if !announcement.synchronizing && !non_sync.allows(length) {
            return match non_sync {
                NonSyncLiterals::Forbidden => {
                    refuse_non_sync(None, "Non-synchronizing literals are not supported")
                }
                _ => refuse_non_sync(Some(too_big()), "Non-synchronizing literal too large"),
            };
        }
        let command = self.input.buffered();
        if let Some(arguments) = framing::append_arguments(command) {
            // APPEND's only literal before the message is a mailbox written right after
            // the command name.
            let mailbox_literal = start == 0 && announcement.brace == arguments;
            if !mailbox_literal {
                if !matches!(
                    self.state,
                    SessionState::Authenticated | SessionState::Selected { .. }
                ) {
                    return LiteralDecision::Refuse(Refusal {
                        state: State::Bad,
                        code: None,
                        text: "Command not valid in this state",
                        error: true,
                    });
                }
                let head = command.get(..start).unwrap_or_default();
                let Some((mailbox, mut message)) = framing::announced_message(
                    head,
                    line,
                    announcement.brace,
                    &self.decode_options(),
                ) else {
                    return LiteralDecision::Refuse(Refusal {
                        state: State::Bad,
                        code: None,
                        text: "Invalid APPEND arguments",
                        error: true,
                    });
                };
                if let Some(refusal) = self.message_refusal(announcement) {
                    return LiteralDecision::Refuse(refusal);
                }
                message.length = length;
                return LiteralDecision::Message(mailbox, message);
            }
        }
        let total = (data_start as u64).saturating_add(length);
        if length > self.config.max_literal_length || total > self.config.max_command_length as u64
        {
            return LiteralDecision::Refuse(Refusal {
                state: if announcement.synchronizing {
                    State::No
                } else {
                    State::Bad
                },
                code: Some(too_big()),
                text: "Literal too large",
                error: !announcement.synchronizing,
            });
        }
        LiteralDecision::Accept
    }

    /// Answers a refused command whose line ends at `line_end`; `skip` is the length of
    /// a non-synchronizing literal whose octets come anyway.
    fn refuse(&mut self, refusal: Refusal, line_end: usize, skip: Option<u64>) {
        let tag = self.input_tag();
        self.input.consume(line_end);
        self.scan = Scan::default();
        match &tag {
            Some(tag) => self.write_tagged(tag, refusal.state, refusal.code.clone(), refusal.text),
            None => self.write_data(&Data::State {
                state: refusal.state,
                text: ResponseText {
                    code: refusal.code.clone(),
                    text: text(refusal.text),
                },
            }),
        }
        self.skip_literal(skip);
        if refusal.error {
            self.count_error();
        }
    }

    /// Drops a refused non-synchronizing literal and the rest of its command, or ends the
    /// session when it is too large to drop (RFC 7888 §4).
    fn skip_literal(&mut self, length: Option<u64>) {
        match length {
            None => self.reading = Reading::Commands,
            Some(length) if length <= self.config.max_discarded_literal => {
                self.reading = Reading::SkipOctets { left: length };
            }
            Some(_) => {
                self.write_bye(Some(too_big()), "Literal too large to skip");
                self.close_with(CloseReason::TooMuchInput);
            }
        }
    }

    fn decode_and_dispatch(&mut self, command: &[u8]) {
        match decode_command(command, &self.decode_options()) {
            Ok(status) => match status.complete() {
                Some((decoded, _)) => self.dispatch(decoded.into_owned()),
                None => {
                    let tag = command_tag(command).map(IntoOwned::into_owned);
                    self.protocol_error(tag.as_ref(), "Incomplete command");
                }
            },
            Err(error) => {
                let tag = command_tag(command).map(IntoOwned::into_owned);
                self.protocol_error(tag.as_ref(), &format!("Invalid command: {error}"));
            }
        }
    }

    /// Why an APPEND message of this announcement cannot be read, if it cannot.
    fn message_refusal(&self, announcement: Announcement) -> Option<Refusal> {
        let length = announcement.length;
        if !announcement.synchronizing && !self.non_sync_literals().allows(length) {
            // RFC 7888 §5: for APPEND, a tagged BAD with TOOBIG.
            return Some(Refusal {
                state: State::Bad,
                code: Some(too_big()),
                text: "Non-synchronizing literal too large",
                error: true,
            });
        }
        if length > self.append_limit {
            // RFC 7889: NO [TOOBIG] before the client sends the octets; BAD when they come
            // anyway.
            return Some(Refusal {
                state: if announcement.synchronizing {
                    State::No
                } else {
                    State::Bad
                },
                code: Some(too_big()),
                text: "Message too large",
                error: !announcement.synchronizing,
            });
        }
        None
    }

    /// Where a command may not run now: not offered, or not valid in this state.
    fn misplaced(&self, body: &CommandBody<'_>) -> Option<&'static str> {
        use CommandBody as C;
        let offered = match body {
            C::Idle => self.config.idle || self.rev2(),
            C::Move { .. } => self.offers(&Capability::Move) || self.rev2(),
            C::UidExpunge { .. } => self.offers(&Capability::UidPlus) || self.rev2(),
            C::Unselect => self.offers(&Capability::Unselect) || self.rev2(),
            C::Namespace => self.offers(&Capability::Namespace) || self.rev2(),
            C::Enable { .. } => self.enable_offered(),
            C::Id { .. } => self.offers(&Capability::Id),
            C::GetQuota { .. } | C::GetQuotaRoot { .. } | C::SetQuota { .. } => {
                self.offers(&Capability::Quota)
            }
            C::Compress { .. } => self
                .config
                .capabilities
                .iter()
                .any(|capability| matches!(capability, Capability::Compress(_))),
            C::StartTls => self.config.starttls && !self.tls_active,
            _ => true,
        };
        if !offered {
            return Some("Command not supported");
        }
        let selected = matches!(self.state, SessionState::Selected { .. });
        let valid = match body {
            C::Capability | C::Noop | C::Logout | C::Id { .. } => true,
            C::StartTls | C::Authenticate { .. } | C::Login { .. } => {
                self.state == SessionState::NotAuthenticated
            }
            // RFC 5161 §3.1: before any mailbox is selected.
            C::Enable { .. } => self.state == SessionState::Authenticated,
            C::Check
            | C::Close
            | C::Unselect
            | C::Expunge
            | C::UidExpunge { .. }
            | C::Search { .. }
            | C::Fetch { .. }
            | C::Store { .. }
            | C::Copy { .. }
            | C::Move { .. } => selected,
            _ => self.state == SessionState::Authenticated || selected,
        };
        (!valid).then_some("Command not valid in this state")
    }

    fn dispatch(&mut self, command: Command<'static>) {
        let Command { tag, body } = command;
        if let Some(reason) = self.misplaced(&body) {
            self.protocol_error(Some(&tag), reason);
            return;
        }
        match body {
            CommandBody::Capability => {
                let list = self.capability_list();
                self.write_data(&Data::Capability(list));
                self.write_tagged(&tag, State::Ok, None, "CAPABILITY completed");
            }
            CommandBody::Noop if self.state == SessionState::NotAuthenticated => {
                self.write_tagged(&tag, State::Ok, None, "NOOP completed");
            }
            CommandBody::Logout => self.logout(&tag),
            CommandBody::StartTls => self.start_tls(&tag),
            CommandBody::Login { username, password } => {
                if !self.cleartext_allowed() {
                    self.write_tagged(
                        &tag,
                        State::No,
                        Some(Code::PrivacyRequired),
                        "LOGIN is disabled until TLS is active",
                    );
                    return;
                }
                let (Some(username), Some(password)) =
                    (username.as_str(), password.expose().as_str())
                else {
                    self.write_tagged(
                        &tag,
                        State::No,
                        Some(Code::AuthenticationFailed),
                        "Invalid credentials",
                    );
                    return;
                };
                let credentials = Credentials {
                    authzid: None,
                    username: username.to_owned(),
                    password: mailwire_core::Secret::new(password.to_owned()),
                };
                self.begin_login(tag, credentials, LoginMethod::Login);
            }
            CommandBody::Authenticate {
                mechanism,
                initial_response,
            } => self.authenticate(tag, mechanism, initial_response),
            CommandBody::Enable { capabilities } => self.enable(&tag, capabilities),
            CommandBody::Idle => self.idle(tag),
            // APPEND's message is always a literal, announced and streamed before the
            // command could be decoded whole.
            CommandBody::Append { .. } => {
                self.protocol_error(Some(&tag), "Invalid APPEND arguments");
            }
            body => self.hand_over(tag, body),
        }
    }

    fn logout(&mut self, tag: &Tag<'_>) {
        self.drop_held();
        let bye = self.config.logout_text.clone();
        self.write_bye(None, &bye);
        self.write_tagged(tag, State::Ok, None, "LOGOUT completed");
        self.close_with(CloseReason::Logout);
    }

    fn start_tls(&mut self, tag: &Tag<'_>) {
        self.write_tagged(tag, State::Ok, None, "Begin TLS negotiation now");
        self.transport = Transport::StartTls;
        // Whatever followed the command in plaintext must not run under TLS.
        let octets = self.input.len();
        self.input.clear();
        self.scan = Scan::default();
        if octets > 0 {
            self.events
                .push_back(ServerEvent::PlaintextDiscarded { octets });
        }
    }

    fn begin_login(&mut self, tag: Tag<'static>, credentials: Credentials, method: LoginMethod) {
        // AUTHENTICATE PLAIN keeps the id of its exchange.
        let id = match &self.current {
            Some(current) => current.id,
            None => self.new_id(),
        };
        self.current = Some(Current {
            id,
            tag: tag.clone(),
            step: Step::Login,
        });
        self.reading = Reading::Commands;
        self.events.push_back(ServerEvent::Login {
            id,
            tag,
            credentials,
            method,
        });
    }

    fn authenticate(
        &mut self,
        tag: Tag<'static>,
        mechanism: Atom<'static>,
        initial_response: Option<mailwire_core::Secret<Vec<u8>>>,
    ) {
        let offered = self
            .config
            .auth_mechanisms
            .iter()
            .any(|offered| offered.as_str().eq_ignore_ascii_case(mechanism.as_str()));
        if !offered {
            self.write_tagged(
                &tag,
                State::No,
                None,
                "Unsupported authentication mechanism",
            );
            return;
        }
        if sasl::is_plaintext_mechanism(mechanism.as_str()) && !self.cleartext_allowed() {
            self.write_tagged(
                &tag,
                State::No,
                Some(Code::PrivacyRequired),
                "Plaintext authentication is disabled until TLS is active",
            );
            return;
        }
        // IMAP4rev2 includes SASL-IR (RFC 9051 §6.2.2).
        if initial_response.is_some() && !self.config.sasl_ir && !self.rev2() {
            self.protocol_error(Some(&tag), "SASL-IR is not supported");
            return;
        }
        let id = self.new_id();
        let plain = mechanism.as_str().eq_ignore_ascii_case("PLAIN");
        self.current = Some(Current {
            id,
            tag: tag.clone(),
            step: Step::Authenticate {
                plain,
                awaiting_client: plain && initial_response.is_none(),
            },
        });
        if plain {
            match initial_response {
                Some(response) => self.plain_response(response.expose()),
                None => {
                    // RFC 4959 §3: an empty challenge asks for the initial response.
                    self.write(&Response::Continuation(Continuation::base64(b"")));
                    self.reading = Reading::SaslResponse;
                }
            }
        } else {
            self.events.push_back(ServerEvent::Authenticate {
                id,
                tag,
                mechanism,
                initial_response,
            });
        }
    }

    fn plain_response(&mut self, message: &[u8]) {
        match (sasl::parse_plain(message), &self.current) {
            (Some(credentials), Some(current)) => {
                let tag = current.tag.clone();
                self.begin_login(tag, credentials, LoginMethod::Plain);
            }
            _ => self.abort_authentication("Malformed PLAIN response", true),
        }
    }

    /// Ends an AUTHENTICATE exchange with BAD.
    fn abort_authentication(&mut self, value: &str, error: bool) {
        let Some(current) = self.current.take() else {
            return;
        };
        self.reading = Reading::Commands;
        if let Step::Authenticate { plain: false, .. } = current.step {
            self.events
                .push_back(ServerEvent::AuthenticateAborted { id: current.id });
        }
        self.write_tagged(&current.tag, State::Bad, None, value);
        if error {
            self.count_error();
        }
    }

    fn sasl_response(&mut self) -> bool {
        let max_line = self.config.max_line_length;
        let Some(line_feed) = memchr::memchr(b'\n', self.input.buffered()) else {
            if self.input.len() >= max_line {
                self.input.clear();
                self.abort_authentication("Line too long", true);
                if self.transport == Transport::Open {
                    self.reading = Reading::SkipLine;
                }
                return true;
            }
            return false;
        };
        let line = self.input.take_up_to(line_feed + 1);
        if line.len() > max_line {
            self.abort_authentication("Line too long", true);
            return true;
        }
        match decode_authenticate_data(&line, &self.decode_options())
            .map(|status| status.complete())
        {
            Ok(Some((AuthenticateData::Response(response), _))) => {
                let plain = match &mut self.current {
                    Some(Current {
                        step:
                            Step::Authenticate {
                                plain,
                                awaiting_client,
                            },
                        ..
                    }) => {
                        *awaiting_client = false;
                        *plain
                    }
                    _ => return true,
                };
                if plain {
                    self.plain_response(response.expose());
                } else if let Some(current) = &self.current {
                    self.reading = Reading::Commands;
                    self.events.push_back(ServerEvent::SaslResponse {
                        id: current.id,
                        response,
                    });
                }
            }
            // RFC 3501 §6.2.2: a cancelled exchange is rejected with BAD.
            Ok(Some((AuthenticateData::Cancel, _))) => {
                self.abort_authentication("Authentication cancelled", false);
            }
            Ok(None) | Err(_) => self.abort_authentication("Invalid authentication data", true),
        }
        true
    }

    fn enable(&mut self, tag: &Tag<'_>, capabilities: NonEmpty<Capability<'static>>) {
        let mut enabled: Vec<Capability<'static>> = Vec::new();
        for capability in capabilities {
            let newly = match capability {
                Capability::CondStore if self.enableable(&capability) && !self.condstore => {
                    self.condstore = true;
                    true
                }
                Capability::QResync if self.enableable(&capability) && !self.qresync => {
                    // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
                    self.qresync = true;
                    self.condstore = true;
                    true
                }
                Capability::Utf8Accept if self.enableable(&capability) && !self.utf8_accept => {
                    self.utf8_accept = true;
                    true
                }
                Capability::Imap4Rev2
                    if self.config.versions == Versions::Both && self.version == Version::Rev1 =>
                {
                    self.version = Version::Rev2;
                    true
                }
                _ => false,
            };
            if newly && !enabled.contains(&capability) {
                enabled.push(capability);
            }
        }
        self.write_data(&Data::Enabled(enabled.clone()));
        self.write_tagged(tag, State::Ok, None, "ENABLE completed");
        if !enabled.is_empty() {
            self.events.push_back(ServerEvent::Enabled {
                capabilities: enabled,
            });
        }
    }

    fn idle(&mut self, tag: Tag<'static>) {
        let id = self.new_id();
        self.current = Some(Current {
            id,
            tag: tag.clone(),
            step: Step::Idle,
        });
        self.reading = Reading::IdleDone;
        // The command is in progress: held updates leave first (RFC 9051 §6.3.13's
        // example sends them before `+ idling`).
        self.flush_held();
        self.write_continuation("idling");
        self.events.push_back(ServerEvent::Idle { id, tag });
    }

    fn idle_done(&mut self) -> bool {
        let max_line = self.config.max_line_length;
        let done = match memchr::memchr(b'\n', self.input.buffered()) {
            Some(line_feed) => {
                let line = self.input.take_up_to(line_feed + 1);
                self.reading = Reading::Commands;
                line.len() <= max_line
                    && matches!(
                        decode_idle_done(&line, &self.decode_options()),
                        Ok(status) if !status.is_partial()
                    )
            }
            None if self.input.len() >= max_line => {
                self.input.clear();
                self.reading = Reading::SkipLine;
                false
            }
            None => return false,
        };
        let Some(current) = self.current.take() else {
            return true;
        };
        self.events
            .push_back(ServerEvent::IdleDone { id: current.id });
        if done {
            self.write_tagged(&current.tag, State::Ok, None, "IDLE terminated");
        } else {
            self.protocol_error(Some(&current.tag), "Expected DONE");
        }
        true
    }

    /// Hands a command to the application.
    fn hand_over(&mut self, tag: Tag<'static>, body: CommandBody<'static>) {
        use CommandBody as C;
        let transition = match &body {
            C::Select { .. } => Transition::Select,
            C::Examine { .. } => Transition::Examine,
            C::Close | C::Unselect => Transition::Unselect,
            _ => Transition::None,
        };
        if transition != Transition::None {
            // Held updates concern the mailbox the client is leaving.
            self.drop_held();
        }
        if matches!(transition, Transition::Select | Transition::Examine)
            && matches!(self.state, SessionState::Selected { .. })
        {
            // RFC 9051 §6.3.2, RFC 7162 §3.2.11: the previous mailbox is closed now.
            if self.qresync || self.rev2() {
                self.write_data(&Data::State {
                    state: State::Ok,
                    text: ResponseText {
                        code: Some(Code::Closed),
                        text: text("Previous mailbox closed"),
                    },
                });
            }
            self.state = SessionState::Authenticated;
        }
        if !self.condstore && self.enableable(&Capability::CondStore) && enables_condstore(&body) {
            self.condstore = true;
            self.events.push_back(ServerEvent::Enabled {
                capabilities: vec![Capability::CondStore],
            });
        }
        let expunge_allowed = !matches!(
            body,
            C::Fetch { uid: false, .. }
                | C::Store { uid: false, .. }
                | C::Search { uid: false, .. }
        );
        let vanished_allowed = expunge_allowed
            && !matches!(&body, C::Search { criteria, .. }
                if criteria.iter().any(search_uses_numbers));
        let id = self.new_id();
        self.current = Some(Current {
            id,
            tag: tag.clone(),
            step: Step::Command {
                transition,
                expunge_allowed,
                vanished_allowed,
            },
        });
        self.flush_held();
        self.events.push_back(ServerEvent::Command {
            id,
            tag,
            command: body,
        });
    }

    /// Sends the held updates the command in progress allows, in order.
    fn flush_held(&mut self) {
        if self.held.is_empty() || !matches!(self.state, SessionState::Selected { .. }) {
            return;
        }
        let Some(current) = &self.current else {
            return;
        };
        let count = self
            .held
            .iter()
            .take_while(|data| !renumbers(data) || current.allows(data))
            .count();
        if count == 0 {
            return;
        }
        let updates: Vec<Data<'static>> = self.held.drain(..count).collect();
        for data in &updates {
            self.write_data(data);
        }
        self.events
            .push_back(ServerEvent::HeldUpdatesSent { updates });
    }

    fn drop_held(&mut self) {
        if !self.held.is_empty() {
            let count = self.held.len();
            self.held.clear();
            self.events
                .push_back(ServerEvent::HeldUpdatesDropped { count });
        }
    }

    fn hold(&mut self, data: &Data<'_>) -> Result<Delivery, ServerError> {
        if self.held.len() >= self.config.max_held_updates {
            return Err(ServerError::TooManyHeldUpdates);
        }
        self.held.push_back(data.clone().into_owned());
        Ok(Delivery::Held)
    }

    fn announce_message(
        &mut self,
        tag: Tag<'static>,
        mailbox: Mailbox<'static>,
        mut message: AppendedMessage,
        announcement: Announcement,
    ) {
        let (id, index) = match &self.current {
            Some(Current {
                id,
                step: Step::Append { index, .. },
                ..
            }) => (*id, index + 1),
            _ => (self.new_id(), 0),
        };
        let length = announcement.length;
        message.index = index;
        message.mailbox = mailbox.clone();
        message.length = length;
        // Nothing more is read until the application decides, so its decision never
        // races the machine (and the answers do not depend on how the input arrived).
        self.reading = Reading::Commands;
        let stage = AppendStage::AwaitAccept {
            length,
            synchronizing: announcement.synchronizing,
        };
        self.current = Some(Current {
            id,
            tag: tag.clone(),
            step: Step::Append {
                mailbox,
                index,
                format: message.format,
                stage,
            },
        });
        self.events.push_back(ServerEvent::AppendMessage {
            id,
            tag,
            message,
            synchronizing: announcement.synchronizing,
        });
    }

    fn append_octets(&mut self, left: u64) -> bool {
        if left == 0 {
            self.reading = Reading::AppendRest;
            return true;
        }
        if self.input.is_empty() {
            return false;
        }
        let chunk = self
            .input
            .take_up_to(usize::try_from(left).unwrap_or(usize::MAX));
        self.reading = Reading::AppendOctets {
            left: left.saturating_sub(chunk.len() as u64),
        };
        if let Some(current) = &self.current {
            self.events.push_back(ServerEvent::AppendData {
                id: current.id,
                chunk,
            });
        }
        true
    }

    /// Ends an APPEND the machine refuses after its first message was announced.
    fn abort_append(&mut self, refusal: Refusal, consume: usize, skip: Option<u64>) {
        self.input.consume(consume);
        let Some(current) = self.current.take() else {
            self.reading = Reading::Commands;
            return;
        };
        self.events
            .push_back(ServerEvent::AppendAborted { id: current.id });
        self.write_tagged(&current.tag, refusal.state, refusal.code, refusal.text);
        self.skip_literal(skip);
        if refusal.error {
            self.count_error();
        }
    }

    fn append_rest(&mut self) -> bool {
        let max_line = self.config.max_line_length;
        let buffered = self.input.buffered();
        let line_feed = match memchr::memchr(b'\n', buffered) {
            Some(line_feed) if line_feed < max_line => line_feed,
            found => {
                if found.is_none() && buffered.len() < max_line {
                    return false;
                }
                let consume = found.map_or(buffered.len(), |line_feed| line_feed + 1);
                let refusal = Refusal {
                    state: State::Bad,
                    code: None,
                    text: "Line too long",
                    error: true,
                };
                self.abort_append(refusal, consume, None);
                if found.is_none() && self.transport == Transport::Open {
                    self.reading = Reading::SkipLine;
                }
                return true;
            }
        };
        let Some(Current {
            tag,
            step:
                Step::Append {
                    mailbox,
                    index,
                    format,
                    ..
                },
            ..
        }) = &self.current
        else {
            self.reading = Reading::Commands;
            return true;
        };
        let line = buffered.get(..=line_feed).unwrap_or_default();
        let after =
            framing::after_message(line, *format == AppendFormat::Utf8, &self.decode_options());
        let consume = line_feed + 1;
        match after {
            AfterMessage::End => {
                let messages = index + 1;
                self.input.consume(consume);
                self.reading = Reading::Commands;
                if let Some(Current {
                    id,
                    step: Step::Append { stage, .. },
                    ..
                }) = &mut self.current
                {
                    *stage = AppendStage::Done;
                    let id = *id;
                    // The whole command is in: it is in progress (RFC 3501 §7.4.1).
                    self.flush_held();
                    self.events
                        .push_back(ServerEvent::AppendDone { id, messages });
                }
            }
            AfterMessage::Next(message, announcement) => {
                let skip = (!announcement.synchronizing).then_some(announcement.length);
                if !self.offers(&Capability::MultiAppend) {
                    let refusal = Refusal {
                        state: State::Bad,
                        code: None,
                        text: "MULTIAPPEND is not supported",
                        error: true,
                    };
                    self.abort_append(refusal, consume, skip);
                } else if let Some(refusal) = self.message_refusal(announcement) {
                    self.abort_append(refusal, consume, skip);
                } else {
                    let (tag, mailbox) = (tag.clone(), mailbox.clone());
                    self.input.consume(consume);
                    self.announce_message(tag, mailbox, message, announcement);
                }
            }
            AfterMessage::Invalid => {
                let skip = match framing::line_end(line) {
                    LineEnd::Literal(announcement) if !announcement.synchronizing => {
                        Some(announcement.length)
                    }
                    LineEnd::Overflow {
                        non_synchronizing: true,
                    } => Some(u64::MAX),
                    _ => None,
                };
                let refusal = Refusal {
                    state: State::Bad,
                    code: None,
                    text: "Invalid APPEND arguments",
                    error: true,
                };
                self.abort_append(refusal, consume, skip);
            }
        }
        true
    }

    fn skip_octets(&mut self, left: u64) -> bool {
        if left == 0 {
            self.reading = Reading::SkipRest;
            return true;
        }
        if self.input.is_empty() {
            return false;
        }
        let count = usize::try_from(left)
            .unwrap_or(usize::MAX)
            .min(self.input.len());
        self.input.consume(count);
        self.reading = Reading::SkipOctets {
            left: left.saturating_sub(count as u64),
        };
        true
    }

    fn skip_rest(&mut self) -> bool {
        let buffered = self.input.buffered();
        let Some(line_feed) = memchr::memchr(b'\n', buffered) else {
            if buffered.len() >= self.config.max_line_length {
                self.input.clear();
                self.reading = Reading::SkipLine;
                return true;
            }
            return false;
        };
        let line = buffered.get(..=line_feed).unwrap_or_default();
        let skip = match framing::line_end(line) {
            LineEnd::Literal(announcement) if !announcement.synchronizing => {
                Some(announcement.length)
            }
            LineEnd::Overflow {
                non_synchronizing: true,
            } => Some(u64::MAX),
            _ => None,
        };
        self.input.consume(line_feed + 1);
        self.skip_literal(skip);
        true
    }

    fn skip_line(&mut self) -> bool {
        match memchr::memchr(b'\n', self.input.buffered()) {
            Some(line_feed) => {
                self.input.consume(line_feed + 1);
                self.reading = Reading::Commands;
                true
            }
            None => {
                self.input.clear();
                false
            }
        }
    }

    fn current_for(&self, id: CommandId) -> Result<&Current, ServerError> {
        if self.state == SessionState::Logout {
            return Err(ServerError::Closed);
        }
        match &self.current {
            Some(current) if current.id == id => Ok(current),
            _ => Err(ServerError::UnknownId),
        }
    }

    /// Sends untagged data answering the command `id` (SEARCH results, FETCH items, LIST
    /// entries, `* OK [UIDVALIDITY ...]`, ...). An EXPUNGE or VANISHED is held back
    /// while it may not be sent (answering FETCH, STORE or SEARCH); the result says
    /// which.
    pub fn send_data(&mut self, id: CommandId, data: &Data<'_>) -> Result<Delivery, ServerError> {
        let current = self.current_for(id)?;
        if matches!(data, Data::Bye(_)) {
            // BYE ends the session: that is `close`.
            return Err(ServerError::WrongDecision);
        }
        let allowed = !renumbers(data) || current.allows(data);
        self.flush_held();
        if allowed && (self.held.is_empty() || !renumbers(data)) {
            self.write_data(data);
            Ok(Delivery::Sent)
        } else {
            self.hold(data)
        }
    }

    /// Sends an unsolicited update (EXISTS, EXPUNGE, FETCH FLAGS, `* OK [ALERT]`, ...)
    /// at any time. EXPUNGE and VANISHED are held back while no command allows them
    /// (RFC 3501 §7.4.1), and what is pushed after them waits too, so the client sees
    /// every update in order. Mailbox updates need a selected mailbox; before login only
    /// status responses (`* OK/NO/BAD`) may be pushed. A `* BYE` closes the session.
    pub fn push(&mut self, data: &Data<'_>) -> Result<Delivery, ServerError> {
        if self.state == SessionState::Logout {
            return Err(ServerError::Closed);
        }
        if let Data::Bye(_) = data {
            self.write_data(data);
            self.close_with(CloseReason::Application);
            return Ok(Delivery::Sent);
        }
        if mailbox_bound(data) && !matches!(self.state, SessionState::Selected { .. }) {
            return Err(ServerError::NoMailboxSelected);
        }
        if self.state == SessionState::NotAuthenticated && !matches!(data, Data::State { .. }) {
            return Err(ServerError::NotAllowedInState);
        }
        self.flush_held();
        let allowed = !renumbers(data)
            || self
                .current
                .as_ref()
                .is_some_and(|current| current.allows(data));
        if allowed && self.held.is_empty() {
            self.write_data(data);
            Ok(Delivery::Sent)
        } else {
            self.hold(data)
        }
    }

    /// Finishes the command `id` with its tagged response. State follows: OK to LOGIN or
    /// AUTHENTICATE logs in (with `[CAPABILITY ...]` added when `text` has no code and
    /// [`ServerConfig::capability_after_login`]); OK to SELECT/EXAMINE selects (read-only
    /// for EXAMINE or a `[READ-ONLY]` code), and anything else leaves no mailbox selected
    /// (RFC 3501 §6.3.1); OK to CLOSE/UNSELECT deselects.
    ///
    /// An APPEND can be refused (NO or BAD) at any step; the octets still on their way
    /// are then dropped. It can succeed only after [`ServerEvent::AppendDone`].
    pub fn complete(
        &mut self,
        now: Instant,
        id: CommandId,
        state: State,
        text: ResponseText<'_>,
    ) -> Result<(), ServerError> {
        let current = self.current_for(id)?;
        match &current.step {
            Step::Idle
            | Step::Authenticate {
                awaiting_client: true,
                ..
            } => return Err(ServerError::WrongDecision),
            Step::Append { stage, .. } if *stage != AppendStage::Done && state == State::Ok => {
                return Err(ServerError::WrongDecision)
            }
            _ => {}
        }
        let Some(current) = self.current.take() else {
            return Err(ServerError::UnknownId);
        };
        let ResponseText { mut code, text } = text;
        match current.step {
            Step::Command { transition, .. } => match (transition, state) {
                (Transition::Select, State::Ok) => {
                    self.state = SessionState::Selected {
                        read_only: code == Some(Code::ReadOnly),
                    };
                }
                (Transition::Examine, State::Ok) => {
                    self.state = SessionState::Selected { read_only: true };
                }
                (Transition::Select | Transition::Examine, _)
                | (Transition::Unselect, State::Ok) => {
                    self.state = SessionState::Authenticated;
                }
                _ => {}
            },
            Step::Login | Step::Authenticate { .. } if state == State::Ok => {
                self.state = SessionState::Authenticated;
                if code.is_none() && self.config.capability_after_login {
                    code = Some(Code::Capability(self.capability_list()));
                }
            }
            Step::Append {
                stage: AppendStage::Receiving,
                ..
            } => {
                // Refused while octets arrive: they were announced, so they come; drop
                // them and the rest of the command.
                self.reading = match self.reading {
                    Reading::AppendOctets { left } => Reading::SkipOctets { left },
                    Reading::AppendRest => Reading::SkipRest,
                    other => other,
                };
            }
            Step::Append {
                stage:
                    AppendStage::AwaitAccept {
                        length,
                        synchronizing,
                    },
                ..
            } => {
                self.reading = if synchronizing {
                    // The client waits for `+` and sends nothing more of this command.
                    Reading::Commands
                } else {
                    // Announced within the limits, so dropped rather than fatal.
                    Reading::SkipOctets { left: length }
                };
            }
            _ => {}
        }
        self.write(&Response::Tagged(TaggedResponse {
            tag: current.tag,
            state,
            text: ResponseText { code, text },
        }));
        self.last_activity = now;
        self.process();
        Ok(())
    }

    /// [`complete`](Self::complete) with OK and `value` as text.
    pub fn ok(&mut self, now: Instant, id: CommandId, value: &str) -> Result<(), ServerError> {
        self.complete(
            now,
            id,
            State::Ok,
            ResponseText {
                code: None,
                text: text(value),
            },
        )
    }

    /// [`complete`](Self::complete) with NO, an optional code and `value` as text.
    pub fn no(
        &mut self,
        now: Instant,
        id: CommandId,
        code: Option<Code<'_>>,
        value: &str,
    ) -> Result<(), ServerError> {
        self.complete(
            now,
            id,
            State::No,
            ResponseText {
                code,
                text: text(value),
            },
        )
    }

    /// [`complete`](Self::complete) with BAD and `value` as text.
    pub fn bad(&mut self, now: Instant, id: CommandId, value: &str) -> Result<(), ServerError> {
        self.complete(
            now,
            id,
            State::Bad,
            ResponseText {
                code: None,
                text: text(value),
            },
        )
    }

    /// Accepts the APPEND message announced by the last [`ServerEvent::AppendMessage`]:
    /// `+ Ready for literal data` for a synchronizing literal, and its octets flow as
    /// [`ServerEvent::AppendData`].
    pub fn accept_append(&mut self, now: Instant, id: CommandId) -> Result<(), ServerError> {
        self.current_for(id)?;
        let (length, synchronizing) = match &mut self.current {
            Some(Current {
                step: Step::Append { stage, .. },
                ..
            }) => match *stage {
                AppendStage::AwaitAccept {
                    length,
                    synchronizing,
                } => {
                    *stage = AppendStage::Receiving;
                    (length, synchronizing)
                }
                _ => return Err(ServerError::WrongDecision),
            },
            _ => return Err(ServerError::WrongDecision),
        };
        if synchronizing {
            self.write_continuation(LITERAL_CONTINUATION);
        }
        self.reading = Reading::AppendOctets { left: length };
        self.last_activity = now;
        self.process();
        Ok(())
    }

    /// Sends a SASL challenge (`+ base64`) in an AUTHENTICATE exchange of a mechanism the
    /// application runs; the client's answer comes as [`ServerEvent::SaslResponse`].
    pub fn sasl_challenge(
        &mut self,
        now: Instant,
        id: CommandId,
        challenge: &[u8],
    ) -> Result<(), ServerError> {
        self.current_for(id)?;
        match &mut self.current {
            Some(Current {
                step:
                    Step::Authenticate {
                        plain: false,
                        awaiting_client,
                    },
                ..
            }) if !*awaiting_client => *awaiting_client = true,
            _ => return Err(ServerError::WrongDecision),
        }
        self.write(&Response::Continuation(Continuation::base64(challenge)));
        self.reading = Reading::SaslResponse;
        self.last_activity = now;
        self.process();
        Ok(())
    }

    /// Closes the session now (server shutdown), with `* BYE text`.
    pub fn close(&mut self, value: &str) -> Result<(), ServerError> {
        if self.state == SessionState::Logout {
            return Err(ServerError::Closed);
        }
        self.write_bye(None, value);
        self.close_with(CloseReason::Application);
        Ok(())
    }

    /// How many client octets are buffered (for tests of the memory bound).
    #[cfg(test)]
    pub(super) fn buffered_input(&self) -> usize {
        self.input.len()
    }

    /// The limit of client octets held while the application decides.
    fn input_limit(&self) -> usize {
        self.config.max_pipelined_input.max(
            self.config
                .max_command_length
                .saturating_add(self.config.max_line_length),
        )
    }
}

impl Session for Server {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, input: &[u8]) {
        if self.state == SessionState::Logout || input.is_empty() {
            return;
        }
        match self.transport {
            Transport::StartTls => {
                // Plaintext after STARTTLS and before the handshake: never a command.
                self.events.push_back(ServerEvent::PlaintextDiscarded {
                    octets: input.len(),
                });
            }
            Transport::Open => {
                self.last_activity = now;
                self.input.extend(input);
                self.process();
                if self.transport == Transport::Open && self.input.len() > self.input_limit() {
                    self.write_bye(None, "Too much input");
                    self.close_with(CloseReason::TooMuchInput);
                }
            }
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if let Some(deadline) = self.poll_timeout() {
            if now >= deadline {
                self.write_bye(None, "Autologout; idle for too long");
                self.close_with(CloseReason::Autologout);
            }
        }
    }

    fn handle_eof(&mut self, _now: Instant) {
        if self.state != SessionState::Logout {
            self.close_with(CloseReason::PeerClosed);
        }
    }

    fn handle_tls_established(&mut self, now: Instant) {
        if self.state == SessionState::Logout {
            return;
        }
        self.tls_active = true;
        if self.transport == Transport::StartTls {
            self.transport = Transport::Open;
            self.input.clear();
            self.scan = Scan::default();
            self.reading = Reading::Commands;
        }
        self.last_activity = now;
        self.process();
    }

    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let count = self.out.len();
        out.append(&mut self.out);
        count
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if self.state == SessionState::Logout || self.transport != Transport::Open {
            return None;
        }
        if self
            .current
            .as_ref()
            .is_some_and(Current::waits_for_application)
        {
            return None;
        }
        let timeout = if self.state == SessionState::NotAuthenticated {
            self.config.unauthenticated_timeout
        } else {
            // RFC 3501 §5.4 / RFC 9051 §5.4: at least 30 minutes once logged in.
            self.config.autologout.max(DEFAULT_AUTOLOGOUT)
        };
        self.last_activity.checked_add(timeout)
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    fn transport(&self) -> Transport {
        self.transport
    }
}
