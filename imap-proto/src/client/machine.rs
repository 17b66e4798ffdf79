//! The client machine: commands out, responses in, state tracked.

use std::collections::VecDeque;
use std::time::Instant;

use mailwire_core::{Secret, Session, Transport};

use crate::codec::{
    decode_greeting, decode_response, encode_authenticate_data, encode_command_fragments,
    encode_idle_done, DecodeOptions, EncodeOptions, Limits, NonSyncLiterals, Version,
};
use crate::types::{
    Atom, AuthenticateData, Capability, Code, Command, CommandBody, Continuation, Data,
    GreetingKind, IString, IntoOwned, Mailbox, NonEmpty, Response, SearchKey, SelectParameter,
    SequenceItem, SequenceSet, State, Tag, TaggedResponse,
};

use super::config::{ClientConfig, CounterTags, TagGenerator};
use super::error::{ClientError, ProtocolError};
use super::event::{BodyItem, ClientEvent, ClientState, CloseReason, CommandId, MailboxState};
use super::reader::{Piece, Reader};

/// What the machine must do about a command beyond sending it and pairing its
/// completion.
#[derive(Debug)]
enum Kind {
    Capability,
    Login,
    Authenticate {
        /// The initial response, sent inline with SASL-IR or at the first challenge.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    StartTls,
    Select {
        mailbox: Mailbox<'static>,
        read_only: bool,
    },
    /// CLOSE or UNSELECT.
    Deselect,
    Idle {
        /// `+` arrived.
        started: bool,
        /// The application asked for DONE.
        done_requested: bool,
        /// DONE was sent.
        done_sent: bool,
    },
    Enable,
    Logout,
    Other,
}

impl Kind {
    fn of(body: &CommandBody<'_>) -> Kind {
        match body {
            CommandBody::Capability => Kind::Capability,
            CommandBody::Login { .. } => Kind::Login,
            CommandBody::Authenticate {
                initial_response, ..
            } => Kind::Authenticate {
                initial_response: initial_response.clone(),
            },
            CommandBody::StartTls => Kind::StartTls,
            CommandBody::Select { mailbox, .. } => Kind::Select {
                mailbox: mailbox.clone().into_owned(),
                read_only: false,
            },
            CommandBody::Examine { mailbox, .. } => Kind::Select {
                mailbox: mailbox.clone().into_owned(),
                read_only: true,
            },
            CommandBody::Close | CommandBody::Unselect => Kind::Deselect,
            CommandBody::Idle => Kind::Idle {
                started: false,
                done_requested: false,
                done_sent: false,
            },
            CommandBody::Enable { .. } => Kind::Enable,
            CommandBody::Logout => Kind::Logout,
            _ => Kind::Other,
        }
    }

    /// Commands that change what later commands mean or how they are encoded (state,
    /// capabilities, the selected mailbox) or that hold the connection (continuations):
    /// they wait for everything before them and hold back everything after them.
    fn is_barrier(&self) -> bool {
        !matches!(self, Kind::Other)
    }
}

fn search_uses_sequence_numbers(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::SequenceSet(_) => true,
        SearchKey::Not(inner) => search_uses_sequence_numbers(inner),
        SearchKey::Or(left, right) => {
            search_uses_sequence_numbers(left) || search_uses_sequence_numbers(right)
        }
        SearchKey::And(keys) => keys.iter().any(search_uses_sequence_numbers),
        _ => false,
    }
}

/// RFC 3501 §5.5: commands whose meaning an untagged EXPUNGE could change.
fn uses_sequence_numbers(body: &CommandBody<'_>) -> bool {
    match body {
        CommandBody::Fetch { uid, .. }
        | CommandBody::Store { uid, .. }
        | CommandBody::Copy { uid, .. }
        | CommandBody::Move { uid, .. } => !uid,
        CommandBody::Search { uid, criteria, .. } => {
            !uid || criteria.iter().any(search_uses_sequence_numbers)
        }
        _ => false,
    }
}

/// RFC 3501 §5.5: the only commands during which a server may not send EXPUNGE.
fn is_expunge_free(body: &CommandBody<'_>) -> bool {
    matches!(
        body,
        CommandBody::Fetch { uid: false, .. }
            | CommandBody::Store { uid: false, .. }
            | CommandBody::Search { uid: false, .. }
    )
}

#[derive(Debug)]
struct Queued {
    id: CommandId,
    tag: Tag<'static>,
    body: CommandBody<'static>,
    kind: Kind,
    /// Sent by the machine itself (CAPABILITY after STARTTLS or login).
    internal: bool,
}

#[derive(Debug)]
struct InFlight {
    id: CommandId,
    tag: Tag<'static>,
    name: &'static str,
    kind: Kind,
    internal: bool,
    expunge_free: bool,
    /// [`Client::capability_updates`] when the command left: capabilities learnt after
    /// it (untagged CAPABILITY during LOGIN) are fresh.
    capability_updates: u64,
    /// PLAIN's message when the server has no SASL-IR: sent at the first challenge.
    auto_response: Option<Secret<Vec<u8>>>,
}

/// The rest of a command whose synchronizing literal waits for `+`.
#[derive(Debug)]
struct Writing {
    bytes: Vec<u8>,
    /// Where each remaining fragment ends (the next one starts at `sent`).
    bounds: VecDeque<usize>,
    sent: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TimerKind {
    /// The greeting, a response, or the end of the connection after BYE.
    Response,
    /// IDLE runs; at the deadline the machine ends it.
    IdleRefresh,
}

#[derive(Debug, Clone, Copy)]
struct Timer {
    kind: TimerKind,
    /// `None`: armed by a decision, which carries no time; [`Session::poll_timeout`]
    /// then asks to be called at once to learn the time.
    deadline: Option<Instant>,
}

/// The IMAP client machine; see the [module docs](crate::client).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    tags: Box<dyn TagGenerator>,
    reader: Reader,
    out: Vec<u8>,
    events: VecDeque<ClientEvent>,
    queue: VecDeque<Queued>,
    in_flight: VecDeque<InFlight>,
    writing: Option<Writing>,
    greeted: bool,
    state: ClientState,
    capabilities: Option<Vec<Capability<'static>>>,
    enabled: Vec<Capability<'static>>,
    tls: bool,
    mailbox: Option<MailboxState>,
    /// The mailbox a SELECT / EXAMINE in flight is learning about.
    selecting: Option<(CommandId, MailboxState)>,
    transport: Transport,
    closed: bool,
    bye: bool,
    logout_queued: bool,
    sasl_waiting: Option<CommandId>,
    discarded_after_starttls: usize,
    /// How many times capabilities were learnt.
    capability_updates: u64,
    next_id: u64,
    timer: Option<Timer>,
    clock: Instant,
}

impl Client {
    /// A client at the start of a connection, waiting for the greeting, with tags
    /// `A1`, `A2`, ...
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        Self::with_tag_generator(config, now, CounterTags::default())
    }

    /// A client whose tags come from `tags`.
    pub fn with_tag_generator(
        config: ClientConfig,
        now: Instant,
        tags: impl TagGenerator + 'static,
    ) -> Self {
        let timer = config.response_timeout.map(|limit| Timer {
            kind: TimerKind::Response,
            deadline: now.checked_add(limit),
        });
        Client {
            reader: Reader::new(
                config.max_line_length,
                config.max_response_length,
                config.max_streamed_literal,
            ),
            tls: config.implicit_tls,
            config,
            tags: Box::new(tags),
            out: Vec::new(),
            events: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: VecDeque::new(),
            writing: None,
            greeted: false,
            state: ClientState::NotAuthenticated,
            capabilities: None,
            enabled: Vec::new(),
            mailbox: None,
            selecting: None,
            transport: Transport::Open,
            closed: false,
            bye: false,
            logout_queued: false,
            sasl_waiting: None,
            discarded_after_starttls: 0,
            capability_updates: 0,
            next_id: 0,
            timer,
            clock: now,
        }
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The session state.
    pub fn state(&self) -> ClientState {
        self.state
    }

    /// The server's capabilities, `None` while unknown (before the greeting, after
    /// STARTTLS, after a login whose completion carried none, until CAPABILITY answers).
    pub fn capabilities(&self) -> Option<&[Capability<'static>]> {
        self.capabilities.as_deref()
    }

    /// True when the capabilities are known and include `capability`.
    pub fn has_capability(&self, capability: &Capability<'_>) -> bool {
        self.capabilities
            .as_ref()
            .is_some_and(|known| known.iter().any(|have| have == capability))
    }

    /// What ENABLE turned on (RFC 5161), in the server's order.
    pub fn enabled(&self) -> &[Capability<'static>] {
        &self.enabled
    }

    /// True once TLS is active (implicit, or after STARTTLS).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The selected mailbox, as far as the server told.
    pub fn mailbox(&self) -> Option<&MailboxState> {
        self.mailbox.as_ref()
    }

    /// True while an IDLE is outstanding and DONE was not sent.
    pub fn is_idling(&self) -> bool {
        self.in_flight.iter().any(|flight| {
            matches!(
                flight.kind,
                Kind::Idle {
                    done_sent: false,
                    ..
                }
            )
        })
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Commands queued or sent and not completed.
    pub fn outstanding(&self) -> usize {
        self.queue.iter().filter(|queued| !queued.internal).count()
            + self
                .in_flight
                .iter()
                .filter(|flight| !flight.internal)
                .count()
    }

    /// The tag of an outstanding command.
    pub fn tag(&self, id: CommandId) -> Option<&Tag<'static>> {
        self.queue
            .iter()
            .find(|queued| queued.id == id)
            .map(|queued| &queued.tag)
            .or_else(|| {
                self.in_flight
                    .iter()
                    .find(|flight| flight.id == id)
                    .map(|flight| &flight.tag)
            })
    }

    /// The IMAP version in effect: IMAP4rev2 once enabled, or when the server offers
    /// only it.
    pub fn version(&self) -> Version {
        let rev2_enabled = self.enabled.contains(&Capability::Imap4Rev2);
        let rev2_only = self.has_capability(&Capability::Imap4Rev2)
            && !self.has_capability(&Capability::Imap4Rev1);
        if rev2_enabled || rev2_only {
            Version::Rev2
        } else {
            Version::Rev1
        }
    }

    /// How commands are encoded now: the version, UTF8=ACCEPT, and the
    /// non-synchronizing literals the server allows (LITERAL+, LITERAL-, and IMAP4rev2's
    /// own LITERAL-).
    pub fn encode_options(&self) -> EncodeOptions {
        let version = self.version();
        let offered = if self.has_capability(&Capability::LiteralPlus) {
            NonSyncLiterals::Plus
        } else if self.has_capability(&Capability::LiteralMinus) || version == Version::Rev2 {
            NonSyncLiterals::Minus
        } else {
            NonSyncLiterals::Forbidden
        };
        let rank = |literals: NonSyncLiterals| match literals {
            NonSyncLiterals::Forbidden => 0,
            NonSyncLiterals::Minus => 1,
            NonSyncLiterals::Plus => 2,
        };
        let non_sync = if rank(self.config.non_sync_literals) < rank(offered) {
            self.config.non_sync_literals
        } else {
            offered
        };
        EncodeOptions::default()
            .with_version(version)
            .with_utf8_accept(self.enabled.contains(&Capability::Utf8Accept))
            .with_non_sync_literals(non_sync)
    }

    /// How responses are decoded now.
    pub fn decode_options(&self) -> DecodeOptions {
        let limits = Limits {
            max_literal_length: self.config.max_response_length as u64,
            max_line_length: self.config.max_line_length,
            max_nesting: self.config.max_nesting,
            max_body_depth: self.config.max_body_depth,
        };
        DecodeOptions::default()
            .with_version(self.version())
            .with_utf8_accept(self.enabled.contains(&Capability::Utf8Accept))
            .with_limits(limits)
            .with_quirks(self.config.quirks.clone())
    }

    // ----- Commands -----

    /// Queues any command; it leaves as soon as the pipelining rules allow (at once when
    /// nothing is outstanding). Its untagged data and its completion come as events
    /// with the returned id. Commands that change the session (LOGIN, AUTHENTICATE,
    /// STARTTLS, SELECT, EXAMINE, CLOSE, UNSELECT, ENABLE, IDLE, LOGOUT) are tracked
    /// whichever method sent them.
    pub fn send(&mut self, command: CommandBody<'_>) -> Result<CommandId, ClientError> {
        let body = command.into_owned();
        self.check(&body)?;
        let kind = Kind::of(&body);
        let id = self.enqueue(body, kind, false)?;
        self.flush_queue();
        self.sync_timer(None);
        Ok(id)
    }

    fn check(&self, body: &CommandBody<'_>) -> Result<(), ClientError> {
        if self.closed || self.bye {
            return Err(ClientError::Closed);
        }
        if self.logout_queued {
            return Err(ClientError::LoggingOut);
        }
        let known = self.capabilities.is_some();
        let rev2 = self.version() == Version::Rev2;
        let offers = |capability: &Capability<'_>| !known || self.has_capability(capability);
        match body {
            CommandBody::Compress { .. } => Err(ClientError::Unsupported {
                command: "COMPRESS",
            }),
            CommandBody::StartTls => {
                if self.tls {
                    Err(ClientError::TlsActive)
                } else if self.state != ClientState::NotAuthenticated {
                    Err(ClientError::WrongState)
                } else if !offers(&Capability::StartTls) {
                    Err(ClientError::NotOffered {
                        capability: "STARTTLS",
                    })
                } else {
                    Ok(())
                }
            }
            CommandBody::Login { .. } => {
                if self.has_capability(&Capability::LoginDisabled) {
                    Err(ClientError::LoginDisabled)
                } else {
                    Ok(())
                }
            }
            CommandBody::Authenticate { mechanism, .. } => {
                let offered = self.capabilities.as_ref().is_none_or(|known| {
                    known.iter().any(|capability| {
                        matches!(capability, Capability::Auth(name)
                            if name.as_str().eq_ignore_ascii_case(mechanism.as_str()))
                    })
                });
                if offered {
                    Ok(())
                } else {
                    Err(ClientError::MechanismNotOffered)
                }
            }
            CommandBody::Idle => {
                if self
                    .in_flight
                    .iter()
                    .any(|f| matches!(f.kind, Kind::Idle { .. }))
                    || self
                        .queue
                        .iter()
                        .any(|q| matches!(q.kind, Kind::Idle { .. }))
                {
                    Err(ClientError::WrongState)
                } else if !rev2 && !offers(&Capability::Idle) {
                    Err(ClientError::NotOffered { capability: "IDLE" })
                } else {
                    Ok(())
                }
            }
            CommandBody::Enable { .. } if !rev2 && !offers(&Capability::Enable) => {
                Err(ClientError::NotOffered {
                    capability: "ENABLE",
                })
            }
            _ => Ok(()),
        }
    }

    fn enqueue(
        &mut self,
        body: CommandBody<'static>,
        kind: Kind,
        internal: bool,
    ) -> Result<CommandId, ClientError> {
        let tag = self.tags.next_tag();
        let taken = self.queue.iter().any(|queued| queued.tag == tag)
            || self.in_flight.iter().any(|flight| flight.tag == tag);
        if taken {
            return Err(ClientError::DuplicateTag);
        }
        self.next_id += 1;
        let id = CommandId(self.next_id);
        if matches!(kind, Kind::Logout) {
            self.logout_queued = true;
        }
        let queued = Queued {
            id,
            tag,
            body,
            kind,
            internal,
        };
        if internal {
            self.queue.push_front(queued);
        } else {
            self.queue.push_back(queued);
        }
        Ok(id)
    }

    /// CAPABILITY.
    pub fn capability(&mut self) -> Result<CommandId, ClientError> {
        self.send(CommandBody::Capability)
    }

    /// NOOP (lets the server report mailbox changes).
    pub fn noop(&mut self) -> Result<CommandId, ClientError> {
        self.send(CommandBody::Noop)
    }

    /// STARTTLS (RFC 3501 §6.2.1). After its OK, [`Session::transport`] says
    /// [`Transport::StartTls`]; octets the server sent after the OK are discarded and
    /// reported. After [`Session::handle_tls_established`] the capabilities are
    /// forgotten (and asked again with [`ClientConfig::auto_capability`]).
    pub fn starttls(&mut self) -> Result<CommandId, ClientError> {
        self.send(CommandBody::StartTls)
    }

    /// LOGIN. Refused when the server advertises LOGINDISABLED.
    pub fn login(&mut self, username: &str, password: &str) -> Result<CommandId, ClientError> {
        let username = IString::try_from(username)?;
        let password = IString::try_from(password)?;
        self.send(CommandBody::Login {
            username,
            password: Secret::new(password),
        })
    }

    /// `AUTHENTICATE PLAIN` (RFC 4616): the credentials go in the command with SASL-IR
    /// (RFC 4959), otherwise after the server's empty challenge.
    pub fn authenticate_plain(
        &mut self,
        authzid: Option<&str>,
        username: &str,
        password: &str,
    ) -> Result<CommandId, ClientError> {
        let fields = [authzid.unwrap_or_default(), username, password];
        if let Some(position) = fields.iter().find_map(|field| field.find('\0')) {
            return Err(ClientError::Invalid(
                crate::error::ValidationError::InvalidCharacter {
                    what: "sasl plain field",
                    position,
                },
            ));
        }
        let message = mailwire_core::sasl::encode_plain(authzid, username, password);
        self.authenticate("PLAIN", Some(message))
    }

    /// AUTHENTICATE with any mechanism: challenges come as
    /// [`ClientEvent::SaslChallenge`], answered with [`Client::sasl_respond`]. An
    /// `initial_response` goes in the command when the server offers SASL-IR, otherwise
    /// in answer to the first (empty) challenge.
    pub fn authenticate(
        &mut self,
        mechanism: &str,
        initial_response: Option<Secret<Vec<u8>>>,
    ) -> Result<CommandId, ClientError> {
        let mechanism = Atom::new(mechanism.to_owned())?;
        self.send(CommandBody::Authenticate {
            mechanism,
            initial_response,
        })
    }

    /// Answers the SASL challenge of the AUTHENTICATE `id`.
    pub fn sasl_respond(
        &mut self,
        id: CommandId,
        response: Secret<Vec<u8>>,
    ) -> Result<(), ClientError> {
        self.sasl_answer(id, AuthenticateData::Response(response))
    }

    /// Cancels the AUTHENTICATE `id` (`*`); the server answers BAD.
    pub fn sasl_cancel(&mut self, id: CommandId) -> Result<(), ClientError> {
        self.sasl_answer(id, AuthenticateData::Cancel)
    }

    fn sasl_answer(&mut self, id: CommandId, data: AuthenticateData) -> Result<(), ClientError> {
        if self.closed {
            return Err(ClientError::Closed);
        }
        if self.sasl_waiting != Some(id) {
            return Err(if self.tag(id).is_some() {
                ClientError::NoChallengePending
            } else {
                ClientError::UnknownCommand
            });
        }
        encode_authenticate_data(&data, &mut self.out);
        self.sasl_waiting = None;
        self.sync_timer(None);
        self.process();
        Ok(())
    }

    /// SELECT (read-write).
    pub fn select(&mut self, mailbox: &str) -> Result<CommandId, ClientError> {
        let mailbox = Mailbox::try_from(mailbox.to_owned())?;
        self.send(CommandBody::Select {
            mailbox,
            parameters: Vec::new(),
        })
    }

    /// SELECT with `(CONDSTORE)` (RFC 7162), so HIGHESTMODSEQ is reported.
    pub fn select_condstore(&mut self, mailbox: &str) -> Result<CommandId, ClientError> {
        let mailbox = Mailbox::try_from(mailbox.to_owned())?;
        self.send(CommandBody::Select {
            mailbox,
            parameters: vec![SelectParameter::CondStore],
        })
    }

    /// EXAMINE (read-only SELECT).
    pub fn examine(&mut self, mailbox: &str) -> Result<CommandId, ClientError> {
        let mailbox = Mailbox::try_from(mailbox.to_owned())?;
        self.send(CommandBody::Examine {
            mailbox,
            parameters: Vec::new(),
        })
    }

    /// IDLE (RFC 2177). [`ClientEvent::IdleStarted`] tells when the server accepted;
    /// updates follow until [`Client::idle_done`], or until
    /// [`ClientConfig::idle_refresh`] has passed, when the machine sends DONE itself.
    pub fn idle(&mut self) -> Result<CommandId, ClientError> {
        self.send(CommandBody::Idle)
    }

    /// Ends the IDLE: DONE leaves now, or as soon as the server accepted the IDLE.
    pub fn idle_done(&mut self) -> Result<(), ClientError> {
        if self.closed {
            return Err(ClientError::Closed);
        }
        let mut send_now = false;
        let mut found = false;
        let kinds = self
            .in_flight
            .iter_mut()
            .map(|flight| &mut flight.kind)
            .chain(self.queue.iter_mut().map(|queued| &mut queued.kind));
        for kind in kinds {
            if let Kind::Idle {
                started,
                done_requested,
                done_sent,
            } = kind
            {
                if *done_requested || *done_sent {
                    return Err(ClientError::NotIdling);
                }
                *done_requested = true;
                found = true;
                if *started {
                    *done_sent = true;
                    send_now = true;
                }
            }
        }
        if !found {
            return Err(ClientError::NotIdling);
        }
        if send_now {
            encode_idle_done(&mut self.out);
            self.sync_timer(None);
        }
        Ok(())
    }

    /// ENABLE (RFC 5161): CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4rev2, ... What the
    /// server enabled comes as `* ENABLED` and changes how commands and responses are
    /// encoded from then on.
    pub fn enable(
        &mut self,
        capabilities: NonEmpty<Capability<'static>>,
    ) -> Result<CommandId, ClientError> {
        self.send(CommandBody::Enable { capabilities })
    }

    /// LOGOUT: the session closes after its completion.
    pub fn logout(&mut self) -> Result<CommandId, ClientError> {
        self.send(CommandBody::Logout)
    }

    // ----- Sending -----

    fn can_send(&self, next: &Queued) -> bool {
        if !self.greeted
            || self.closed
            || self.bye
            || self.transport != Transport::Open
            || self.writing.is_some()
            || self.sasl_waiting.is_some()
        {
            return false;
        }
        if self.in_flight.is_empty() {
            return true;
        }
        if !self.config.pipelining
            || next.kind.is_barrier()
            || self.in_flight.iter().any(|flight| flight.kind.is_barrier())
        {
            return false;
        }
        // RFC 3501 §5.5: a command with message numbers waits while any command during
        // which the server may send EXPUNGE is outstanding.
        !(uses_sequence_numbers(&next.body)
            && self.in_flight.iter().any(|flight| !flight.expunge_free))
    }

    fn flush_queue(&mut self) {
        while let Some(next) = self.queue.front() {
            if !self.can_send(next) {
                break;
            }
            let Some(queued) = self.queue.pop_front() else {
                break;
            };
            self.transmit(queued);
        }
    }

    fn transmit(&mut self, queued: Queued) {
        let Queued {
            id,
            tag,
            mut body,
            mut kind,
            internal,
        } = queued;
        let mut auto_response = None;
        if let (
            Kind::Authenticate { initial_response },
            CommandBody::Authenticate {
                initial_response: inline,
                ..
            },
        ) = (&mut kind, &mut body)
        {
            // SASL-IR is part of IMAP4rev2 (RFC 9051 §6.2.2).
            if self.has_capability(&Capability::SaslIr) || self.version() == Version::Rev2 {
                *inline = initial_response.take();
            } else {
                *inline = None;
                auto_response = initial_response.take();
            }
        }
        let name = body.name();
        let expunge_free = is_expunge_free(&body);
        if let Kind::Select { mailbox, read_only } = &kind {
            // The server leaves the current mailbox as it starts the command.
            self.mailbox = None;
            if self.state == ClientState::Selected {
                self.state = ClientState::Authenticated;
            }
            self.selecting = Some((id, MailboxState::new(mailbox.clone(), *read_only)));
        }
        let command = Command {
            tag: tag.clone(),
            body,
        };
        let encoded = encode_command_fragments(&command, &self.encode_options());
        let points = encoded.sync_points().to_vec();
        let bytes = encoded.into_bytes();
        match points.first() {
            Some(&first) => {
                self.out
                    .extend_from_slice(bytes.get(..first).unwrap_or_default());
                let mut bounds: VecDeque<usize> = points.iter().skip(1).copied().collect();
                bounds.push_back(bytes.len());
                self.writing = Some(Writing {
                    bytes,
                    bounds,
                    sent: first,
                });
            }
            None => self.out.extend_from_slice(&bytes),
        }
        self.in_flight.push_back(InFlight {
            id,
            tag,
            name,
            kind,
            internal,
            expunge_free,
            capability_updates: self.capability_updates,
            auto_response,
        });
    }

    /// Sends the next fragment of the command waiting for `+`.
    fn continue_writing(&mut self) {
        let Some(writing) = &mut self.writing else {
            return;
        };
        let Some(end) = writing.bounds.pop_front() else {
            self.writing = None;
            return;
        };
        self.out
            .extend_from_slice(writing.bytes.get(writing.sent..end).unwrap_or_default());
        writing.sent = end;
        if writing.bounds.is_empty() {
            self.writing = None;
        }
    }

    // ----- Reading -----

    /// Reads what is buffered as far as it goes: not past a STARTTLS completion (what
    /// follows it is discarded), nor past a SASL challenge the application has not
    /// answered (so the events do not depend on how the input was cut).
    fn process(&mut self) {
        while !self.closed && self.transport == Transport::Open && self.sasl_waiting.is_none() {
            let options = self.decode_options();
            match self.reader.next(&options) {
                Ok(None) => break,
                Ok(Some(piece)) => self.piece(piece),
                Err(error) => self.fatal(error),
            }
            // What a response lets go leaves before the next response is read.
            self.flush_queue();
        }
        if self.transport == Transport::StartTls {
            self.discarded_after_starttls = self
                .discarded_after_starttls
                .saturating_add(self.reader.clear());
        }
    }

    fn attribution(&self) -> Option<CommandId> {
        self.in_flight
            .iter()
            .find(|flight| !flight.internal)
            .map(|flight| flight.id)
    }

    fn piece(&mut self, piece: Piece) {
        let command = self.attribution();
        match piece {
            Piece::Response { bytes, streamed } => {
                if self.greeted {
                    self.response(&bytes, streamed);
                } else {
                    self.greeting(&bytes);
                }
            }
            Piece::BodyStart {
                sequence_number,
                item,
                length,
            } => self.events.push_back(ClientEvent::BodyStart {
                command,
                sequence_number,
                item,
                length,
            }),
            Piece::BodyChunk {
                sequence_number,
                chunk,
            } => self.events.push_back(ClientEvent::BodyChunk {
                command,
                sequence_number,
                chunk,
            }),
            Piece::BodyEnd { sequence_number } => self.events.push_back(ClientEvent::BodyEnd {
                command,
                sequence_number,
            }),
        }
    }

    fn greeting(&mut self, bytes: &[u8]) {
        let greeting = match decode_greeting(bytes, &self.decode_options()) {
            Ok(status) => match status.complete() {
                Some((greeting, consumed)) if consumed == bytes.len() => greeting.into_owned(),
                _ => {
                    return self.fatal(ProtocolError::MalformedGreeting(
                        crate::error::DecodeError::Syntax {
                            offset: 0,
                            expected: "greeting",
                        },
                    ))
                }
            },
            Err(error) => return self.fatal(ProtocolError::MalformedGreeting(error)),
        };
        self.greeted = true;
        let capabilities = match &greeting.text.code {
            Some(Code::Capability(capabilities)) => Some(capabilities.to_vec()),
            _ => None,
        };
        let kind = greeting.kind;
        self.events.push_back(ClientEvent::Greeting {
            kind,
            text: greeting.text,
        });
        match kind {
            GreetingKind::Bye => return self.close(CloseReason::Rejected),
            GreetingKind::PreAuth => self.state = ClientState::Authenticated,
            GreetingKind::Ok => {}
        }
        match capabilities {
            Some(capabilities) => self.learn_capabilities(None, capabilities),
            None => self.ask_capabilities(),
        }
    }

    fn learn_capabilities(
        &mut self,
        command: Option<CommandId>,
        capabilities: Vec<Capability<'static>>,
    ) {
        self.capabilities = Some(capabilities.clone());
        self.capability_updates = self.capability_updates.wrapping_add(1);
        self.events.push_back(ClientEvent::Capabilities {
            command,
            capabilities,
        });
    }

    /// Forgets the capabilities and, if configured, asks them before anything else.
    fn ask_capabilities(&mut self) {
        self.capabilities = None;
        let asking = self.queue.iter().any(|queued| queued.internal)
            || self.in_flight.iter().any(|flight| flight.internal);
        if self.config.auto_capability && !asking && !self.closed {
            // Cannot fail: a duplicate tag only skips the question.
            let _ = self.enqueue(CommandBody::Capability, Kind::Capability, true);
        }
    }

    fn response(&mut self, bytes: &[u8], streamed: Vec<(usize, BodyItem)>) {
        let decoded = decode_response(bytes, &self.decode_options()).map(|status| {
            status
                .complete()
                .filter(|(_, consumed)| *consumed == bytes.len())
                .map(|(response, _)| response.into_owned())
        });
        let response = match decoded {
            Ok(Some(response)) => response,
            Ok(None) => {
                return self.report(ProtocolError::MalformedResponse(
                    crate::error::DecodeError::Syntax {
                        offset: bytes.len(),
                        expected: "end of response",
                    },
                ))
            }
            Err(error) => return self.report(ProtocolError::MalformedResponse(error)),
        };
        match response {
            Response::Tagged(tagged) => self.tagged(tagged),
            Response::Data(data) => self.data(data, streamed),
            Response::Continuation(continuation) => self.continuation(continuation),
        }
    }

    fn data(&mut self, data: Data<'static>, streamed: Vec<(usize, BodyItem)>) {
        let mut command = self.attribution();
        match data {
            Data::Capability(capabilities) => {
                return self.learn_capabilities(command, capabilities.into_vec());
            }
            Data::Fetch {
                sequence_number,
                items,
            } => {
                let mut items = items.into_vec();
                let mut streamed_items = Vec::with_capacity(streamed.len());
                for (index, item) in streamed.into_iter().rev() {
                    if index < items.len() {
                        items.remove(index);
                    }
                    streamed_items.push(item);
                }
                streamed_items.reverse();
                self.events.push_back(ClientEvent::Fetch {
                    command,
                    sequence_number,
                    items,
                    streamed: streamed_items,
                });
                return;
            }
            Data::Enabled(ref capabilities) => {
                for capability in capabilities {
                    if !self.enabled.contains(capability) {
                        self.enabled.push(capability.clone());
                    }
                }
            }
            Data::Bye(_) => self.bye_received(),
            Data::ESearch(ref search) => {
                if let Some(tag) = &search.tag {
                    if let Some(flight) = self
                        .in_flight
                        .iter()
                        .find(|flight| flight.tag.as_str().as_bytes() == tag.as_bytes())
                    {
                        command = Some(flight.id);
                    }
                }
            }
            Data::State {
                state: State::Ok,
                ref text,
            } => {
                if let Some(Code::Capability(capabilities)) = &text.code {
                    self.learn_capabilities(command, capabilities.to_vec());
                }
                if let Some(code) = &text.code {
                    if let Some(mailbox) = self.tracked_mailbox() {
                        apply_code(mailbox, code);
                    }
                }
            }
            _ => {
                if let Some(mailbox) = self.tracked_mailbox() {
                    apply_data(mailbox, &data);
                }
            }
        }
        self.events.push_back(ClientEvent::Data { command, data });
    }

    /// The mailbox untagged updates are about: the one being selected, or the selected one.
    fn tracked_mailbox(&mut self) -> Option<&mut MailboxState> {
        match &mut self.selecting {
            Some((_, mailbox)) => Some(mailbox),
            None => self.mailbox.as_mut(),
        }
    }

    fn bye_received(&mut self) {
        self.bye = true;
        self.state = ClientState::Logout;
    }

    fn continuation(&mut self, continuation: Continuation<'static>) {
        if self.writing.is_some() {
            self.continue_writing();
            return;
        }
        // AUTHENTICATE and IDLE are barriers: when they wait for `+` they are alone.
        let Some(flight) = self.in_flight.back_mut() else {
            return self.report(ProtocolError::UnexpectedContinuation);
        };
        let id = flight.id;
        match &mut flight.kind {
            Kind::Authenticate { .. } => {
                let auto_response = flight.auto_response.take();
                match (continuation.decode_base64(), auto_response) {
                    (Some(challenge), Some(response)) if challenge.is_empty() => {
                        encode_authenticate_data(
                            &AuthenticateData::Response(response),
                            &mut self.out,
                        );
                    }
                    (Some(challenge), None) => {
                        self.sasl_waiting = Some(id);
                        self.events
                            .push_back(ClientEvent::SaslChallenge { id, challenge });
                    }
                    (None, _) | (Some(_), Some(_)) => {
                        encode_authenticate_data(&AuthenticateData::Cancel, &mut self.out);
                        self.report(ProtocolError::MalformedChallenge);
                    }
                }
            }
            Kind::Idle {
                started,
                done_requested,
                done_sent,
            } if !*started => {
                *started = true;
                let send_done = *done_requested;
                if send_done {
                    *done_sent = true;
                }
                self.events.push_back(ClientEvent::IdleStarted { id });
                if send_done {
                    encode_idle_done(&mut self.out);
                }
            }
            _ => self.report(ProtocolError::UnexpectedContinuation),
        }
    }

    fn tagged(&mut self, tagged: TaggedResponse<'static>) {
        let Some(index) = self
            .in_flight
            .iter()
            .position(|flight| flight.tag == tagged.tag)
        else {
            return self.report(ProtocolError::UnknownTag);
        };
        let Some(flight) = self.in_flight.remove(index) else {
            return;
        };
        if index == self.in_flight.len() && self.writing.is_some() {
            // The server refused the command instead of inviting its literal.
            self.writing = None;
        }
        let ok = tagged.state == State::Ok;
        let code_capabilities = match &tagged.text.code {
            Some(Code::Capability(capabilities)) if ok => Some(capabilities.to_vec()),
            _ => None,
        };
        if let Some(capabilities) = code_capabilities {
            let command = (!flight.internal).then_some(flight.id);
            self.learn_capabilities(command, capabilities);
        }
        match &flight.kind {
            Kind::Login | Kind::Authenticate { .. } if ok => {
                self.state = ClientState::Authenticated;
                if self.capability_updates == flight.capability_updates {
                    // RFC 9051 §6.2.2: logging in may change the capabilities; none came
                    // with or during the command.
                    self.ask_capabilities();
                }
            }
            Kind::StartTls if ok => {
                self.transport = Transport::StartTls;
            }
            Kind::Select { .. } => {
                let selecting = self.selecting.take();
                // RFC 3501 §6.3.1: a failed SELECT leaves no mailbox selected (the
                // selected one was forgotten when the command left).
                if let (State::Ok, Some((_, mut mailbox))) = (tagged.state, selecting) {
                    match &tagged.text.code {
                        Some(Code::ReadOnly) => mailbox.read_only = true,
                        Some(Code::ReadWrite) => mailbox.read_only = false,
                        Some(code) => apply_code(&mut mailbox, code),
                        None => {}
                    }
                    self.state = ClientState::Selected;
                    self.mailbox = Some(mailbox.clone());
                    self.events.push_back(ClientEvent::Selected {
                        id: flight.id,
                        mailbox,
                    });
                }
            }
            Kind::Deselect if ok => {
                self.mailbox = None;
                if self.state == ClientState::Selected {
                    self.state = ClientState::Authenticated;
                }
            }
            _ => {}
        }
        if !flight.internal {
            self.events.push_back(ClientEvent::Completed {
                id: flight.id,
                tag: tagged.tag,
                command: flight.name,
                state: tagged.state,
                text: tagged.text,
            });
        }
        if matches!(flight.kind, Kind::Logout) {
            self.close(CloseReason::Logout);
        }
    }

    // ----- Ending -----

    fn report(&mut self, error: ProtocolError) {
        self.events.push_back(ClientEvent::ProtocolError { error });
    }

    fn fatal(&mut self, error: ProtocolError) {
        self.report(error);
        self.close(CloseReason::ProtocolError);
    }

    fn report_discarded(&mut self) {
        let octets = std::mem::take(&mut self.discarded_after_starttls);
        if octets > 0 {
            self.report(ProtocolError::DataAfterStartTls { octets });
        }
    }

    fn close(&mut self, reason: CloseReason) {
        if self.closed {
            return;
        }
        self.report_discarded();
        self.closed = true;
        self.state = ClientState::Logout;
        self.transport = Transport::Closed;
        self.timer = None;
        self.writing = None;
        self.sasl_waiting = None;
        self.reader.clear();
        let unanswered = self
            .in_flight
            .drain(..)
            .filter(|flight| !flight.internal)
            .map(|flight| flight.id)
            .chain(
                self.queue
                    .drain(..)
                    .filter(|queued| !queued.internal)
                    .map(|queued| queued.id),
            )
            .collect();
        self.events
            .push_back(ClientEvent::Closed { reason, unanswered });
    }

    // ----- Time -----

    fn wanted_timer(&self) -> Option<(TimerKind, std::time::Duration)> {
        if self.closed || self.transport != Transport::Open || self.sasl_waiting.is_some() {
            return None;
        }
        let idling = self.in_flight.iter().any(|flight| {
            matches!(
                flight.kind,
                Kind::Idle {
                    started: true,
                    done_sent: false,
                    ..
                }
            )
        });
        if idling {
            return Some((TimerKind::IdleRefresh, self.config.idle_refresh));
        }
        let waiting = !self.greeted || self.bye || !self.in_flight.is_empty();
        match (waiting, self.config.response_timeout) {
            (true, Some(limit)) => Some((TimerKind::Response, limit)),
            _ => None,
        }
    }

    /// Re-arms the timer for what the machine waits for now. `now` is the time of an
    /// input (progress: the wait starts again); decisions pass `None` and a wait already
    /// running keeps its deadline.
    fn sync_timer(&mut self, now: Option<Instant>) {
        let Some((kind, limit)) = self.wanted_timer() else {
            self.timer = None;
            return;
        };
        let fresh = Timer {
            kind,
            deadline: now.and_then(|now| now.checked_add(limit)),
        };
        self.timer = match self.timer {
            Some(running) if running.kind == kind => {
                // Input restarts the response wait; an IDLE lasts from its start.
                let restart =
                    now.is_some() && (kind == TimerKind::Response || running.deadline.is_none());
                Some(if restart { fresh } else { running })
            }
            _ => Some(fresh),
        };
    }
}

/// Applies an untagged OK response code to the mailbox it is about.
fn apply_code(mailbox: &mut MailboxState, code: &Code<'_>) {
    match code {
        Code::PermanentFlags(flags) => {
            mailbox.permanent_flags = Some(flags.clone().into_owned());
        }
        Code::UidValidity(value) => mailbox.uid_validity = Some(*value),
        Code::UidNext(value) => mailbox.uid_next = Some(*value),
        Code::Unseen(value) => mailbox.unseen = Some(*value),
        Code::HighestModSeq(value) => {
            mailbox.highest_mod_seq = Some(*value);
            mailbox.no_mod_seq = false;
        }
        Code::NoModSeq => {
            mailbox.highest_mod_seq = None;
            mailbox.no_mod_seq = true;
        }
        Code::ReadOnly => mailbox.read_only = true,
        Code::ReadWrite => mailbox.read_only = false,
        _ => {}
    }
}

/// How many numbers a set of known UIDs holds (VANISHED never uses `*`).
fn count(set: &SequenceSet) -> u32 {
    let SequenceSet::Items(items) = set else {
        return 0;
    };
    items
        .iter()
        .map(|item| match *item {
            SequenceItem::Single(_) => 1,
            SequenceItem::Range(from, to) => {
                let (from, to) = (from.resolve(u32::MAX), to.resolve(u32::MAX));
                from.abs_diff(to).saturating_add(1)
            }
        })
        .fold(0u32, u32::saturating_add)
}

/// Applies untagged data to the mailbox it is about.
fn apply_data(mailbox: &mut MailboxState, data: &Data<'_>) {
    match data {
        Data::Exists(count) => mailbox.exists = *count,
        Data::Recent(count) => mailbox.recent = *count,
        Data::Expunge(_) => mailbox.exists = mailbox.exists.saturating_sub(1),
        Data::Vanished {
            earlier: false,
            uids,
        } => mailbox.exists = mailbox.exists.saturating_sub(count(uids)),
        Data::Flags(flags) => mailbox.flags = flags.clone().into_owned(),
        _ => {}
    }
}

impl Session for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, input: &[u8]) {
        self.clock = now;
        if self.closed {
            return;
        }
        if self.transport == Transport::StartTls {
            self.discarded_after_starttls =
                self.discarded_after_starttls.saturating_add(input.len());
            return;
        }
        self.reader.extend(input);
        self.process();
        if !input.is_empty() {
            self.sync_timer(Some(now));
        } else {
            self.sync_timer(None);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.clock = now;
        let Some(timer) = self.timer else {
            return;
        };
        let Some(deadline) = timer.deadline else {
            // Armed by a decision: start counting now.
            self.sync_timer(Some(now));
            return;
        };
        if now < deadline {
            return;
        }
        match timer.kind {
            TimerKind::Response => {
                let reason = if self.bye {
                    CloseReason::ServerBye
                } else {
                    CloseReason::TimedOut
                };
                self.close(reason);
            }
            TimerKind::IdleRefresh => {
                // Ending the IDLE is the application's idle_done, made by the machine.
                let _ = self.idle_done();
                self.sync_timer(Some(now));
            }
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.clock = now;
        let reason = if self.bye {
            CloseReason::ServerBye
        } else {
            CloseReason::PeerClosed
        };
        self.close(reason);
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.clock = now;
        if self.closed {
            return;
        }
        self.report_discarded();
        if self.transport == Transport::StartTls {
            self.transport = Transport::Open;
            self.tls = true;
            // RFC 3501 §6.2.1: discard what was learnt before TLS.
            self.reader.clear();
            self.ask_capabilities();
            self.flush_queue();
        } else {
            self.tls = true;
        }
        self.sync_timer(Some(now));
    }

    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let count = self.out.len();
        out.append(&mut self.out);
        count
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timer.map(|timer| timer.deadline.unwrap_or(self.clock))
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn transport(&self) -> Transport {
        self.transport
    }

    fn wants_input(&self) -> bool {
        // While a challenge waits for the application nothing is read, so hold at most
        // one line's worth.
        self.sasl_waiting.is_none() || self.reader.buffered() < self.config.max_line_length
    }
}
