//! The client session machine.

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};
use mailwire_core::dot::DotStuffer;
use mailwire_core::{Secret, Session, Status, Transport};

use crate::client::auth::{plain_message, AuthState, Credentials};
use crate::client::config::{ClientConfig, Flavor, Waiting};
use crate::client::envelope::MailEnvelope;
use crate::client::error::{ClientError, ProtocolError};
use crate::client::event::{
    ClientEvent, CommandId, FailureStage, RecipientResult, RecipientStage, RecipientStatus,
    TransactionId, TransactionOutcome, TransactionReport,
};
use crate::codec::{
    decode_ehlo, decode_reply, encode_command, encode_sasl_response, DecodeOptions,
};
use crate::types::{
    Body, Command, EhloResponse, ForwardPath, Mechanism, Reply, ReplyCode, SaslData, SaslResponse,
    Verb,
};

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the 220 greeting.
    Greeting,
    /// EHLO, HELO or LHLO is in flight.
    Hello,
    /// Ready for the application's decisions (a transaction may be running).
    Ready,
    /// STARTTLS is in flight.
    StartTls,
    /// The server said 220 to STARTTLS: the transport upgrades.
    TlsHandshake,
    /// An AUTH exchange is running.
    Auth,
    /// QUIT was sent after a refusal; waiting for the server to close.
    Quitting,
    /// Nothing more happens.
    Closed,
}

/// A command on the wire whose reply has not arrived yet, in sending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Greeting,
    Hello(Verb),
    StartTls,
    /// An AUTH command or a line of the exchange.
    Auth,
    /// A command of the application ([`Client::send`]).
    User {
        id: CommandId,
        verb: Verb,
    },
    /// RSET sent by the machine to clear a failed transaction.
    InternalRset,
    /// QUIT sent by the machine after a refusal.
    InternalQuit,
    Mail(TransactionId),
    Rcpt(TransactionId, usize),
    Data(TransactionId),
    /// A BDAT chunk that is not the last.
    BdatChunk(TransactionId),
    /// A reply after the end of the content: the only one with SMTP, the `slot`-th
    /// accepted recipient's with LMTP.
    Final(TransactionId, usize),
}

impl Pending {
    fn waiting(self) -> Waiting {
        match self {
            Pending::Greeting => Waiting::Greeting,
            Pending::Mail(_) => Waiting::Mail,
            Pending::Rcpt(..) => Waiting::Rcpt,
            Pending::Data(_) => Waiting::DataInitiation,
            Pending::BdatChunk(_) => Waiting::DataBlock,
            Pending::Final(..) => Waiting::DataTermination,
            Pending::Hello(_)
            | Pending::StartTls
            | Pending::Auth
            | Pending::User { .. }
            | Pending::InternalRset
            | Pending::InternalQuit => Waiting::Command,
        }
    }

    /// RFC 2920 §3.1: only RSET, MAIL and RCPT (and, RFC 3030 §2, BDAT chunks) may be
    /// followed by more commands before their reply; the others end a group.
    fn allows_followers(self) -> bool {
        matches!(
            self,
            Pending::Mail(_)
                | Pending::Rcpt(..)
                | Pending::InternalRset
                | Pending::BdatChunk(_)
                | Pending::User {
                    verb: Verb::Rset,
                    ..
                }
        )
    }

    fn transaction(self) -> Option<TransactionId> {
        match self {
            Pending::Mail(tx)
            | Pending::Rcpt(tx, _)
            | Pending::Data(tx)
            | Pending::BdatChunk(tx)
            | Pending::Final(tx, _) => Some(tx),
            _ => None,
        }
    }
}

/// What replies a queued line expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    One(Pending),
    /// The final replies of a transaction: one with SMTP, one per accepted recipient
    /// with LMTP.
    Finals(TransactionId, usize),
}

/// A line (and, for BDAT, its chunk) waiting for its turn to be sent.
struct Outgoing {
    line: Vec<u8>,
    payload: Option<Bytes>,
    expect: Expect,
    /// Only sent once every earlier reply has arrived.
    alone: bool,
}

impl Outgoing {
    fn transaction(&self) -> Option<TransactionId> {
        match self.expect {
            Expect::One(pending) => pending.transaction(),
            Expect::Finals(tx, _) => Some(tx),
        }
    }
}

impl fmt::Debug for Outgoing {
    // The line may carry a SASL response: show sizes only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("line_octets", &self.line.len())
            .field("payload_octets", &self.payload.as_ref().map(Bytes::len))
            .field("expect", &self.expect)
            .finish()
    }
}

/// Where a transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// MAIL and RCPT (and, pipelined, DATA) are out; waiting for their replies.
    Envelope,
    /// The server takes content.
    Body,
    /// The end of the content is out; waiting for the final reply or replies.
    Final,
}

#[derive(Debug)]
struct RecipientSlot {
    path: ForwardPath<'static>,
    at_rcpt: Option<RecipientStatus>,
}

#[derive(Debug)]
struct Transaction {
    id: TransactionId,
    recipients: Vec<RecipientSlot>,
    use_bdat: bool,
    /// MAIL and the RCPTs go out in one flight.
    pipelined: bool,
    /// DATA went out with the envelope (pipelining); its reply decides.
    data_pipelined: bool,
    /// MAIL and RCPT replies still to come.
    envelope_outstanding: usize,
    mail_refusal: Option<Reply<'static>>,
    stage: Stage,
    /// Chunks given before the server was ready.
    queued_body: VecDeque<Bytes>,
    body_finished: bool,
    stuffer: DotStuffer,
    /// BDAT: the latest chunk, held back so that the last one can carry LAST.
    held_chunk: Option<Bytes>,
    /// Recipient indexes in the order of the final replies (LMTP).
    final_slots: Vec<usize>,
    finals_received: usize,
    delivered: usize,
    last_failure: Option<Reply<'static>>,
}

impl Transaction {
    fn accepted(&self) -> impl Iterator<Item = usize> + '_ {
        self.recipients
            .iter()
            .enumerate()
            .filter(|(_, r)| r.at_rcpt == Some(RecipientStatus::Accepted))
            .map(|(i, _)| i)
    }

    fn any_deferred(&self) -> bool {
        self.recipients
            .iter()
            .any(|r| r.at_rcpt == Some(RecipientStatus::Deferred))
    }

    /// The recipients without a final answer: not refused at RCPT (accepted, or not
    /// answered yet) and without a reply after the content. Only LMTP gets replies
    /// after the content one by one; SMTP's single reply ends the transaction.
    fn unanswered(&self) -> Vec<usize> {
        let answered_after_content: Vec<usize> = self
            .final_slots
            .iter()
            .take(self.finals_received)
            .copied()
            .collect();
        self.recipients
            .iter()
            .enumerate()
            .filter(|(index, r)| {
                matches!(r.at_rcpt, None | Some(RecipientStatus::Accepted))
                    && !answered_after_content.contains(index)
            })
            .map(|(index, _)| index)
            .collect()
    }
}

/// The single timer: what it waits for, the progress it was armed at, and when it
/// fires (`None`: armed at the next clock reading).
#[derive(Debug, Clone, Copy)]
struct Timer {
    waiting: Waiting,
    progress: u64,
    deadline: Option<Instant>,
}

/// The SMTP/LMTP client machine (Sans-IO); see the [module docs](crate::client).
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    decode: DecodeOptions,
    phase: Phase,
    input: BytesMut,
    output: Vec<u8>,
    events: VecDeque<ClientEvent>,
    pending: VecDeque<Pending>,
    outgoing: VecDeque<Outgoing>,
    /// Commands of the application waiting for the session to be idle.
    deferred: VecDeque<(CommandId, Command<'static>)>,
    capabilities: Option<EhloResponse<'static>>,
    tls: bool,
    authenticated: bool,
    auth: Option<AuthState>,
    transaction: Option<Transaction>,
    next_command: u64,
    next_transaction: u64,
    quit_requested: bool,
    /// The latest instant the machine was given.
    clock: Instant,
    timer: Option<Timer>,
    /// Bumped whenever a reply arrives or the body makes progress; restarts the timer.
    progress: u64,
    /// Octets that arrived after the 220 to STARTTLS, before the handshake.
    discarded_after_starttls: usize,
    /// `input` holds replies left unread because no command waited for them; they are
    /// read at the next input or timer call once one does.
    held: bool,
}

impl Client {
    /// A client whose connection was opened at `now`; it waits for the greeting.
    pub fn new(config: ClientConfig, now: Instant) -> Self {
        let mut decode = DecodeOptions::new();
        decode.max_reply_line = config.max_reply_line;
        decode.max_reply_lines = config.max_reply_lines;
        decode.quirk_skip_invalid_capabilities = config.quirk_skip_invalid_capabilities;
        let tls = config.implicit_tls;
        let mut client = Client {
            config,
            decode,
            phase: Phase::Greeting,
            input: BytesMut::new(),
            output: Vec::new(),
            events: VecDeque::new(),
            pending: VecDeque::from([Pending::Greeting]),
            outgoing: VecDeque::new(),
            deferred: VecDeque::new(),
            capabilities: None,
            tls,
            authenticated: false,
            auth: None,
            transaction: None,
            next_command: 0,
            next_transaction: 0,
            quit_requested: false,
            clock: now,
            timer: None,
            progress: 0,
            discarded_after_starttls: 0,
            held: false,
        };
        client.sync_timer(Some(now));
        client
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The capabilities of the latest EHLO/LHLO reply (`None` before it, after a HELO
    /// fallback, and during STARTTLS).
    pub fn capabilities(&self) -> Option<&EhloResponse<'static>> {
        self.capabilities.as_ref()
    }

    /// True once the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// True after a successful AUTH.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// True when the session is ready for a new exchange (STARTTLS, AUTH, a
    /// transaction): greeted, no exchange running, not closing.
    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Ready
            && self.transaction.is_none()
            && self.auth.is_none()
            && !self.quit_requested
    }

    /// True once the session has ended.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// True while a command is on the wire (or queued behind one) without its reply.
    ///
    /// The machine never reads a reply before the command it answers was sent, so an
    /// application that makes its decisions when this is false, on the events read so
    /// far, sees the same events however the server's bytes were cut. (A decision taken
    /// while replies are still owed, such as a new transaction pipelined behind the
    /// machine's own RSET, may race with a reply that ends the session.)
    pub fn awaits_reply(&self) -> bool {
        !self.pending.is_empty() || !self.outgoing.is_empty()
    }

    /// Sends a command that does not change the session's state: NOOP, VRFY, EXPN,
    /// HELP, RSET or QUIT. The [`ClientEvent::Reply`] with the returned id carries its
    /// reply; after QUIT's reply the session closes.
    ///
    /// While another exchange runs, the command waits for it to end (in order with other
    /// such commands). Commands with their own method (EHLO, MAIL, DATA, AUTH, ...) are
    /// refused with [`ClientError::UseDedicatedMethod`].
    pub fn send(&mut self, command: Command<'_>) -> Result<CommandId, ClientError> {
        let verb = command.verb();
        if !matches!(
            verb,
            Verb::Noop | Verb::Vrfy | Verb::Expn | Verb::Help | Verb::Rset | Verb::Quit
        ) {
            return Err(ClientError::UseDedicatedMethod { verb });
        }
        self.check_open()?;
        let id = CommandId(self.next_command);
        self.next_command += 1;
        if verb == Verb::Quit {
            self.quit_requested = true;
        }
        self.deferred.push_back((id, command.into_owned()));
        self.after_decision();
        Ok(id)
    }

    /// Sends QUIT (once the running exchange, if any, has ended); shorthand for
    /// `send(Command::Quit)`.
    pub fn quit(&mut self) -> Result<CommandId, ClientError> {
        self.send(Command::Quit)
    }

    /// Starts STARTTLS (RFC 3207). On the server's 220, [`Session::transport`] becomes
    /// [`Transport::StartTls`]: upgrade the stream, then call
    /// [`Session::handle_tls_established`]; the machine forgets the capabilities and
    /// sends EHLO again ([`ClientEvent::Ready`] follows). A refusal comes as
    /// [`ClientEvent::StartTlsRefused`].
    pub fn starttls(&mut self) -> Result<(), ClientError> {
        self.check_open()?;
        if !self.is_idle() {
            return Err(ClientError::Busy);
        }
        if self.tls {
            return Err(ClientError::TlsActive);
        }
        if !self.offers("STARTTLS") {
            return Err(ClientError::NotOffered {
                extension: "STARTTLS",
            });
        }
        self.queue_command(&Command::StartTls, Pending::StartTls);
        self.phase = Phase::StartTls;
        self.after_decision();
        Ok(())
    }

    /// Authenticates with PLAIN or LOGIN (RFC 4954), answering the challenges itself.
    /// The outcome is [`ClientEvent::Authenticated`] or [`ClientEvent::AuthFailed`].
    pub fn authenticate(&mut self, credentials: Credentials) -> Result<(), ClientError> {
        let mechanism = credentials.mechanism();
        self.check_auth_allowed(&mechanism)?;
        if !credentials.is_valid() {
            return Err(ClientError::InvalidCredentials);
        }
        let (state, initial) = match credentials {
            Credentials::Plain {
                authzid,
                username,
                password,
            } => {
                let response = plain_message(authzid.as_deref(), &username, &password);
                if self.config.sasl_initial_response {
                    let initial = SaslData::encode(response.expose());
                    (
                        AuthState::Plain {
                            response,
                            sent: true,
                        },
                        Some(initial),
                    )
                } else {
                    (
                        AuthState::Plain {
                            response,
                            sent: false,
                        },
                        None,
                    )
                }
            }
            Credentials::Login { username, password } => (
                AuthState::Login {
                    username: Secret::new(username.into_bytes()),
                    password: Secret::new(password.into_inner().into_bytes()),
                    answered: 0,
                },
                None,
            ),
        };
        self.start_auth(mechanism, initial, state);
        Ok(())
    }

    /// Authenticates with any SASL mechanism the application runs itself: each 334
    /// challenge comes as [`ClientEvent::AuthChallenge`], answered with
    /// [`auth_respond`](Self::auth_respond) or [`auth_cancel`](Self::auth_cancel).
    ///
    /// `initial_response` (possibly empty) goes on the AUTH line when
    /// [`ClientConfig::sasl_initial_response`] allows, otherwise in answer to the first
    /// challenge.
    pub fn authenticate_with(
        &mut self,
        mechanism: Mechanism<'_>,
        initial_response: Option<Secret<Vec<u8>>>,
    ) -> Result<(), ClientError> {
        self.check_auth_allowed(&mechanism)?;
        let (initial, held) = match initial_response {
            Some(response) if self.config.sasl_initial_response => {
                (Some(SaslData::encode(response.expose())), None)
            }
            other => (None, other),
        };
        self.start_auth(
            mechanism.into_owned(),
            initial,
            AuthState::Generic {
                challenge_pending: false,
                initial: held,
            },
        );
        Ok(())
    }

    /// Answers the pending [`ClientEvent::AuthChallenge`].
    pub fn auth_respond(&mut self, response: Secret<Vec<u8>>) -> Result<(), ClientError> {
        self.take_challenge()?;
        self.queue_sasl(&SaslResponse::Data(SaslData::encode(response.expose())));
        self.after_decision();
        Ok(())
    }

    /// Cancels the AUTH exchange at the pending challenge (`*`); the server answers
    /// with a failure ([`ClientEvent::AuthFailed`]).
    pub fn auth_cancel(&mut self) -> Result<(), ClientError> {
        self.take_challenge()?;
        self.queue_sasl(&SaslResponse::Cancel);
        self.after_decision();
        Ok(())
    }

    /// Starts a mail transaction: MAIL, every RCPT and (unless BDAT is used) DATA, in
    /// one flight when the server offers PIPELINING, one at a time otherwise.
    ///
    /// Give the content with [`send_body`](Self::send_body) and
    /// [`finish_body`](Self::finish_body), at any time: chunks given before the server
    /// is ready ([`ClientEvent::BodyReady`]) wait in the machine, and are dropped if no
    /// recipient is accepted. Results come as [`ClientEvent::Recipient`] events, then
    /// [`ClientEvent::TransactionDone`]. See [`MailEnvelope`] for how parameters are
    /// completed from the capabilities.
    pub fn start_mail(&mut self, envelope: MailEnvelope) -> Result<TransactionId, ClientError> {
        self.check_open()?;
        if !self.is_idle() {
            return Err(ClientError::Busy);
        }
        if envelope.recipients.is_empty() {
            return Err(ClientError::NoRecipients);
        }
        let binary = envelope.is_binary();
        let needs_smtputf8 = envelope.needs_smtputf8();
        let MailEnvelope {
            from,
            mut params,
            recipients,
        } = envelope;
        if let Some(declared) = params.size {
            match self.capabilities.as_ref().and_then(EhloResponse::size) {
                Some(Some(limit)) if limit > 0 && declared > limit => {
                    return Err(ClientError::TooLarge { declared, limit });
                }
                Some(_) => {}
                // RFC 1870 §6: SIZE= only to servers that offer SIZE
                None => params.size = None,
            }
        }
        match params.body {
            Some(Body::EightBitMime) => self.require("8BITMIME")?,
            Some(Body::BinaryMime) => {
                self.require("BINARYMIME")?;
                self.require("CHUNKING")?;
            }
            Some(Body::SevenBit) if !self.offers("8BITMIME") => params.body = None,
            _ => {}
        }
        if needs_smtputf8 {
            self.require("SMTPUTF8")?;
            params.smtputf8 = true;
        }
        let dsn = params.ret.is_some()
            || params.envid.is_some()
            || recipients
                .iter()
                .any(|r| r.params.notify.is_some() || r.params.orcpt.is_some());
        if dsn {
            self.require("DSN")?;
        }
        if params.requiretls {
            self.require("REQUIRETLS")?;
        }
        if params.auth.is_some() {
            self.require("AUTH")?;
        }
        let use_bdat = binary || (self.config.use_chunking && self.offers("CHUNKING"));
        let pipelined = self.pipelining();
        let id = TransactionId(self.next_transaction);
        self.next_transaction += 1;

        self.queue_command(&Command::Mail { from, params }, Pending::Mail(id));
        let mut slots = Vec::with_capacity(recipients.len());
        for (index, recipient) in recipients.into_iter().enumerate() {
            self.queue_command(
                &Command::Rcpt {
                    to: recipient.path.clone(),
                    params: recipient.params,
                },
                Pending::Rcpt(id, index),
            );
            slots.push(RecipientSlot {
                path: recipient.path,
                at_rcpt: None,
            });
        }
        if !use_bdat {
            self.queue_command(&Command::Data, Pending::Data(id));
        }
        self.transaction = Some(Transaction {
            id,
            envelope_outstanding: slots.len() + 1,
            recipients: slots,
            use_bdat,
            pipelined,
            data_pipelined: pipelined && !use_bdat,
            mail_refusal: None,
            stage: Stage::Envelope,
            queued_body: VecDeque::new(),
            body_finished: false,
            stuffer: DotStuffer::new(),
            held_chunk: None,
            final_slots: Vec::new(),
            finals_received: 0,
            delivered: 0,
            last_failure: None,
        });
        self.after_decision();
        Ok(id)
    }

    /// Gives the next chunk of the message content (header and body, CRLF line ends).
    ///
    /// With DATA the machine dot-stuffs it (and completes bare CR or LF to CRLF); with
    /// BDAT each chunk becomes one BDAT command, sent unchanged. Fails with
    /// [`ClientError::NoBodyExpected`] when no transaction runs, after
    /// [`finish_body`](Self::finish_body), or when the transaction already ended (its
    /// [`ClientEvent::TransactionDone`] is on its way).
    pub fn send_body(&mut self, chunk: impl Into<Bytes>) -> Result<(), ClientError> {
        let chunk = chunk.into();
        let transaction = self.body_transaction()?;
        if chunk.is_empty() {
            return Ok(());
        }
        if transaction.stage == Stage::Envelope {
            transaction.queued_body.push_back(chunk);
        } else {
            self.feed_body(chunk);
        }
        self.progress += 1;
        self.after_decision();
        Ok(())
    }

    /// Ends the content: `.` after DATA, `BDAT n LAST` with BDAT.
    pub fn finish_body(&mut self) -> Result<(), ClientError> {
        let transaction = self.body_transaction()?;
        transaction.body_finished = true;
        if transaction.stage == Stage::Body {
            self.end_body();
        }
        self.progress += 1;
        self.after_decision();
        Ok(())
    }

    // ----- decisions: helpers -----

    fn check_open(&self) -> Result<(), ClientError> {
        if matches!(self.phase, Phase::Closed | Phase::Quitting) || self.quit_requested {
            Err(ClientError::Closed)
        } else {
            Ok(())
        }
    }

    fn offers(&self, keyword: &str) -> bool {
        self.capabilities
            .as_ref()
            .is_some_and(|c| c.has_keyword(keyword))
    }

    fn require(&self, extension: &'static str) -> Result<(), ClientError> {
        if self.offers(extension) {
            Ok(())
        } else {
            Err(ClientError::NotOffered { extension })
        }
    }

    fn pipelining(&self) -> bool {
        self.config.use_pipelining && self.offers("PIPELINING")
    }

    fn check_auth_allowed(&self, mechanism: &Mechanism<'_>) -> Result<(), ClientError> {
        self.check_open()?;
        if !self.is_idle() {
            return Err(ClientError::Busy);
        }
        if self.authenticated {
            return Err(ClientError::AlreadyAuthenticated);
        }
        self.require("AUTH")?;
        let offered = self
            .capabilities
            .as_ref()
            .is_some_and(|c| c.offers_mechanism(mechanism));
        if !offered {
            return Err(ClientError::MechanismNotOffered);
        }
        Ok(())
    }

    fn start_auth(
        &mut self,
        mechanism: Mechanism<'static>,
        initial_response: Option<SaslData<'static>>,
        state: AuthState,
    ) {
        self.queue_command(
            &Command::Auth {
                mechanism,
                initial_response,
            },
            Pending::Auth,
        );
        self.auth = Some(state);
        self.phase = Phase::Auth;
        self.after_decision();
    }

    fn take_challenge(&mut self) -> Result<(), ClientError> {
        match &mut self.auth {
            Some(AuthState::Generic {
                challenge_pending, ..
            }) if *challenge_pending && self.phase == Phase::Auth => {
                *challenge_pending = false;
                Ok(())
            }
            _ => Err(ClientError::NoChallengePending),
        }
    }

    fn body_transaction(&mut self) -> Result<&mut Transaction, ClientError> {
        match &mut self.transaction {
            Some(t) if !t.body_finished => Ok(t),
            _ => Err(ClientError::NoBodyExpected),
        }
    }

    /// After every decision of the application: send what may go, restart the timer
    /// (armed at the next clock reading, as decisions carry no time).
    fn after_decision(&mut self) {
        self.flush_deferred();
        self.pump();
        self.sync_timer(None);
    }

    // ----- the queue of lines -----

    fn queue_command(&mut self, command: &Command<'_>, pending: Pending) {
        let mut line = Vec::new();
        encode_command(command, &mut line);
        self.outgoing.push_back(Outgoing {
            line,
            payload: None,
            expect: Expect::One(pending),
            alone: false,
        });
    }

    fn queue_sasl(&mut self, response: &SaslResponse<'_>) {
        let mut line = Vec::new();
        encode_sasl_response(response, &mut line);
        self.outgoing.push_back(Outgoing {
            line,
            payload: None,
            expect: Expect::One(Pending::Auth),
            alone: false,
        });
    }

    fn queue_bdat(&mut self, tx: TransactionId, chunk: Option<Bytes>, last: bool) {
        let size = chunk.as_ref().map_or(0, Bytes::len);
        let mut line = Vec::new();
        encode_command(
            &Command::Bdat {
                size: u64::try_from(size).unwrap_or(u64::MAX),
                last,
            },
            &mut line,
        );
        let expect = if last {
            let finals = match self.config.flavor {
                Flavor::Smtp => 1,
                Flavor::Lmtp => self.transaction.as_ref().map_or(1, |t| t.final_slots.len()),
            };
            Expect::Finals(tx, finals)
        } else {
            Expect::One(Pending::BdatChunk(tx))
        };
        self.outgoing.push_back(Outgoing {
            line,
            payload: chunk,
            expect,
            // With LMTP the count of replies to BDAT LAST depends on the earlier chunks
            // having succeeded (RFC 2033 §4.3): send it only once they are answered.
            alone: last && self.config.flavor == Flavor::Lmtp,
        });
    }

    /// Moves the application's deferred commands to the queue once the session is idle.
    fn flush_deferred(&mut self) {
        while self.phase == Phase::Ready && self.transaction.is_none() && self.auth.is_none() {
            let Some((id, command)) = self.deferred.pop_front() else {
                break;
            };
            let verb = command.verb();
            self.queue_command(&command, Pending::User { id, verb });
        }
    }

    /// Sends queued lines as far as pipelining allows (RFC 2920 §3.1): without it, one
    /// command per reply; with it, a group ends after any command other than RSET,
    /// MAIL, RCPT or a non-last BDAT.
    fn pump(&mut self) {
        if matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
            return;
        }
        let pipelining = self.pipelining();
        while let Some(next) = self.outgoing.front() {
            let may_send = match self.pending.back() {
                None => true,
                Some(last) => pipelining && last.allows_followers() && !next.alone,
            };
            if !may_send {
                break;
            }
            let Some(item) = self.outgoing.pop_front() else {
                break;
            };
            if self.pending.is_empty() {
                self.progress += 1;
            }
            self.output.extend_from_slice(&item.line);
            if let Some(payload) = &item.payload {
                self.output.extend_from_slice(payload);
            }
            match item.expect {
                Expect::One(pending) => self.pending.push_back(pending),
                Expect::Finals(tx, count) => {
                    self.pending
                        .extend((0..count.max(1)).map(|slot| Pending::Final(tx, slot)));
                }
            }
        }
    }

    // ----- the body -----

    /// Sends one chunk of a transaction in the body stage.
    fn feed_body(&mut self, chunk: Bytes) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        if transaction.use_bdat {
            let tx = transaction.id;
            if let Some(previous) = transaction.held_chunk.replace(chunk) {
                self.queue_bdat(tx, Some(previous), false);
            }
        } else {
            transaction.stuffer.feed(&chunk, &mut self.output);
        }
    }

    /// Ends the content of a transaction in the body stage.
    fn end_body(&mut self) {
        let flavor = self.config.flavor;
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        transaction.stage = Stage::Final;
        let tx = transaction.id;
        if transaction.use_bdat {
            let chunk = transaction.held_chunk.take();
            self.queue_bdat(tx, chunk, true);
        } else {
            transaction.stuffer.finish(&mut self.output);
            let finals = match flavor {
                Flavor::Smtp => 1,
                Flavor::Lmtp => transaction.final_slots.len().max(1),
            };
            if self.pending.is_empty() {
                self.progress += 1;
            }
            self.pending
                .extend((0..finals).map(|slot| Pending::Final(tx, slot)));
        }
    }

    /// The server takes content now: send what the application already gave.
    fn enter_body(&mut self) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        transaction.stage = Stage::Body;
        transaction.final_slots = transaction.accepted().collect();
        let id = transaction.id;
        let queued = std::mem::take(&mut transaction.queued_body);
        let finished = transaction.body_finished;
        self.events
            .push_back(ClientEvent::BodyReady { transaction: id });
        for chunk in queued {
            self.feed_body(chunk);
        }
        if finished {
            self.end_body();
        }
    }

    // ----- replies -----

    fn on_reply(&mut self, reply: Reply<'static>) {
        // Replies are only read while a command waits (see `read_replies`).
        let Some(pending) = self.pending.pop_front() else {
            return;
        };
        self.progress += 1;
        if reply.code() == ReplyCode::SERVICE_NOT_AVAILABLE {
            // RFC 5321 §3.8: 421 may answer any command; the server is going away.
            self.end_transaction_on_close(Some(&reply));
            self.events.push_back(ClientEvent::ServiceClosing { reply });
            self.close();
            return;
        }
        match pending {
            Pending::Greeting => self.on_greeting(reply),
            Pending::Hello(verb) => self.on_hello(verb, reply),
            Pending::StartTls => self.on_starttls(reply),
            Pending::Auth => self.on_auth(reply),
            Pending::User { id, verb } => {
                self.events.push_back(ClientEvent::Reply { id, reply });
                if verb == Verb::Quit {
                    self.close();
                }
            }
            Pending::InternalRset => {
                if !reply.code().is_positive() {
                    self.protocol_error(ProtocolError::UnexpectedCode {
                        verb: Verb::Rset,
                        code: reply.code(),
                    });
                }
            }
            Pending::InternalQuit => self.close(),
            Pending::Mail(tx) if self.is_current(tx) => self.on_mail(reply),
            Pending::Rcpt(tx, index) if self.is_current(tx) => self.on_rcpt(index, reply),
            Pending::Data(tx) if self.is_current(tx) => self.on_data(reply),
            Pending::BdatChunk(tx) if self.is_current(tx) => self.on_bdat_chunk(reply),
            Pending::Final(tx, slot) if self.is_current(tx) => self.on_final(slot, reply),
            // A reply for a transaction that already ended (chunks in flight after a
            // refused BDAT, the lone dot of RFC 2920 §3.1): nothing more to learn.
            Pending::Mail(_)
            | Pending::Rcpt(..)
            | Pending::Data(_)
            | Pending::BdatChunk(_)
            | Pending::Final(..) => {}
        }
    }

    fn is_current(&self, tx: TransactionId) -> bool {
        self.transaction.as_ref().is_some_and(|t| t.id == tx)
    }

    fn on_greeting(&mut self, reply: Reply<'static>) {
        let code = reply.code();
        if code == ReplyCode::SERVICE_READY {
            self.events.push_back(ClientEvent::Greeting { reply });
            self.start_hello();
        } else if code.is_permanent_failure() || code.is_transient_failure() {
            // RFC 5321 §3.1: after a 554 greeting the client should send QUIT.
            self.events
                .push_back(ClientEvent::GreetingRefused { reply });
            self.internal_quit();
        } else {
            self.protocol_error(ProtocolError::UnexpectedReply { code });
            self.close();
        }
    }

    fn start_hello(&mut self) {
        let verb = match self.config.flavor {
            Flavor::Smtp => Verb::Ehlo,
            Flavor::Lmtp => Verb::Lhlo,
        };
        self.send_hello(verb);
    }

    fn send_hello(&mut self, verb: Verb) {
        let host = self.config.hello_name.clone();
        let command = match verb {
            Verb::Helo => Command::Helo { host },
            Verb::Lhlo => Command::Lhlo { host },
            _ => Command::Ehlo { host },
        };
        self.queue_command(&command, Pending::Hello(verb));
        self.phase = Phase::Hello;
    }

    fn on_hello(&mut self, verb: Verb, reply: Reply<'static>) {
        let code = reply.code();
        if code.is_positive() {
            self.capabilities = if verb == Verb::Helo {
                None
            } else {
                match decode_ehlo(&reply, &self.decode) {
                    Ok(response) => Some(response.into_owned()),
                    Err(error) => {
                        self.protocol_error(ProtocolError::MalformedCapabilities(error));
                        None
                    }
                }
            };
            self.phase = Phase::Ready;
            self.events.push_back(ClientEvent::Ready {
                hello: verb,
                capabilities: self.capabilities.clone(),
                tls: self.tls,
            });
        } else if verb == Verb::Ehlo
            && !self.tls
            && (code == ReplyCode::SYNTAX_ERROR || code == ReplyCode::NOT_IMPLEMENTED)
        {
            // RFC 5321 §3.2: a server without EHLO answers 500 or 502; fall back to HELO.
            self.send_hello(Verb::Helo);
        } else {
            self.events.push_back(ClientEvent::HelloRefused { reply });
            self.internal_quit();
        }
    }

    fn on_starttls(&mut self, reply: Reply<'static>) {
        if reply.code() == ReplyCode::SERVICE_READY {
            self.phase = Phase::TlsHandshake;
            // Anything queued would go out in clear text: nothing may be (the
            // application's commands are deferred), but make sure.
            self.outgoing.clear();
        } else {
            if !(reply.code().is_transient_failure() || reply.code().is_permanent_failure()) {
                self.protocol_error(ProtocolError::UnexpectedCode {
                    verb: Verb::StartTls,
                    code: reply.code(),
                });
            }
            self.phase = Phase::Ready;
            self.events
                .push_back(ClientEvent::StartTlsRefused { reply });
        }
    }

    fn on_auth(&mut self, reply: Reply<'static>) {
        let code = reply.code();
        if code == ReplyCode::AUTH_CHALLENGE {
            let text = reply.raw_lines().next().unwrap_or("").trim();
            let challenge = SaslData::new(text).and_then(|data| data.decode());
            let Ok(challenge) = challenge else {
                self.protocol_error(ProtocolError::MalformedChallenge);
                self.queue_sasl(&SaslResponse::Cancel);
                return;
            };
            self.answer_challenge(challenge.into_inner());
            return;
        }
        self.auth = None;
        self.phase = Phase::Ready;
        if code.is_positive() {
            self.authenticated = true;
            self.events.push_back(ClientEvent::Authenticated { reply });
        } else {
            if code.is_intermediate() {
                self.protocol_error(ProtocolError::UnexpectedCode {
                    verb: Verb::Auth,
                    code,
                });
            }
            self.events.push_back(ClientEvent::AuthFailed { reply });
        }
    }

    fn answer_challenge(&mut self, challenge: Vec<u8>) {
        enum Answer {
            Send(Secret<Vec<u8>>),
            Cancel,
            Application,
        }
        let answer = match &mut self.auth {
            Some(AuthState::Plain { response, sent }) => {
                if *sent {
                    // The server wants more than PLAIN has: give up.
                    Answer::Cancel
                } else {
                    *sent = true;
                    Answer::Send(response.clone())
                }
            }
            Some(AuthState::Login {
                username,
                password,
                answered,
            }) => {
                *answered = answered.saturating_add(1);
                match *answered {
                    1 => Answer::Send(username.clone()),
                    2 => Answer::Send(password.clone()),
                    _ => Answer::Cancel,
                }
            }
            Some(AuthState::Generic {
                challenge_pending,
                initial,
            }) => match initial.take() {
                Some(response) => Answer::Send(response),
                None => {
                    *challenge_pending = true;
                    Answer::Application
                }
            },
            None => Answer::Cancel,
        };
        match answer {
            Answer::Send(response) => {
                self.queue_sasl(&SaslResponse::Data(SaslData::encode(response.expose())))
            }
            Answer::Cancel => self.queue_sasl(&SaslResponse::Cancel),
            Answer::Application => self
                .events
                .push_back(ClientEvent::AuthChallenge { challenge }),
        }
    }

    fn on_mail(&mut self, reply: Reply<'static>) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        transaction.envelope_outstanding = transaction.envelope_outstanding.saturating_sub(1);
        let code = reply.code();
        if !code.is_positive() {
            if code.is_intermediate() {
                self.protocol_error(ProtocolError::UnexpectedCode {
                    verb: Verb::Mail,
                    code,
                });
            }
            let Some(transaction) = &mut self.transaction else {
                return;
            };
            if transaction.pipelined {
                // The RCPTs (and DATA) are on the wire: collect their replies first.
                transaction.mail_refusal = Some(reply);
            } else {
                let tx = transaction.id;
                self.purge_outgoing(tx);
                self.end_transaction(failed(FailureStage::Sender, code), Some(reply));
                return;
            }
        }
        self.check_envelope_complete();
    }

    fn on_rcpt(&mut self, index: usize, reply: Reply<'static>) {
        let code = reply.code();
        if code.is_intermediate() {
            self.protocol_error(ProtocolError::UnexpectedCode {
                verb: Verb::Rcpt,
                code,
            });
        }
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        transaction.envelope_outstanding = transaction.envelope_outstanding.saturating_sub(1);
        let status = RecipientStatus::from_code(code);
        if let Some(slot) = transaction.recipients.get_mut(index) {
            slot.at_rcpt = Some(status);
            let result = RecipientResult {
                transaction: transaction.id,
                index,
                recipient: slot.path.clone(),
                stage: RecipientStage::Rcpt,
                status,
                reply,
            };
            self.events.push_back(ClientEvent::Recipient(result));
        }
        self.check_envelope_complete();
    }

    /// Once MAIL and every RCPT are answered: go on, or give up.
    fn check_envelope_complete(&mut self) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        if transaction.envelope_outstanding > 0 {
            return;
        }
        if transaction.data_pipelined {
            // DATA is on the wire: its reply decides (RFC 2920 §3.1).
            return;
        }
        let tx = transaction.id;
        let accepted = transaction.accepted().count();
        if let Some(refusal) = transaction.mail_refusal.take() {
            let code = refusal.code();
            self.purge_outgoing(tx);
            self.end_transaction(failed(FailureStage::Sender, code), Some(refusal));
        } else if accepted == 0 {
            let temporary = transaction.any_deferred();
            self.purge_outgoing(tx);
            self.queue_rset();
            self.end_transaction(
                TransactionOutcome::Failed {
                    stage: FailureStage::Recipients,
                    temporary,
                },
                None,
            );
        } else if transaction.use_bdat {
            self.enter_body();
        }
        // Otherwise DATA waits in the queue and goes out now.
    }

    fn on_data(&mut self, reply: Reply<'static>) {
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        let code = reply.code();
        let accepted = transaction.accepted().count();
        let temporary_recipients = transaction.any_deferred();
        let refusal = transaction.mail_refusal.take();
        let tx = transaction.id;
        if code == ReplyCode::START_MAIL_INPUT {
            if refusal.is_none() && accepted > 0 {
                self.enter_body();
                return;
            }
            // RFC 2920 §3.1: DATA accepted without a valid recipient: send a lone dot
            // so that the server sees an empty message it must not deliver. SMTP owes
            // one reply to it; LMTP one per accepted recipient (RFC 2033 §4.2), so none
            // when no RCPT succeeded.
            let owed = match self.config.flavor {
                Flavor::Smtp => 1,
                Flavor::Lmtp => accepted,
            };
            self.output.extend_from_slice(b".\r\n");
            self.pending
                .extend((0..owed).map(|slot| Pending::Final(tx, slot)));
        } else {
            if !(code.is_transient_failure() || code.is_permanent_failure()) {
                self.protocol_error(ProtocolError::UnexpectedCode {
                    verb: Verb::Data,
                    code,
                });
            }
            if refusal.is_none() {
                // MAIL was accepted: the server holds a transaction to clear.
                self.queue_rset();
            }
        }
        if let Some(refusal) = refusal {
            let code = refusal.code();
            self.end_transaction(failed(FailureStage::Sender, code), Some(refusal));
        } else if accepted == 0 {
            self.end_transaction(
                TransactionOutcome::Failed {
                    stage: FailureStage::Recipients,
                    temporary: temporary_recipients,
                },
                None,
            );
        } else {
            self.report_delivery(&reply, false);
            self.end_transaction(failed(FailureStage::DataCommand, code), Some(reply));
        }
    }

    fn on_bdat_chunk(&mut self, reply: Reply<'static>) {
        let code = reply.code();
        if code.is_positive() {
            return;
        }
        if code.is_intermediate() {
            self.protocol_error(ProtocolError::UnexpectedCode {
                verb: Verb::Bdat,
                code,
            });
        }
        // RFC 3030 §2: no more chunks after a refused one; RSET clears the transaction.
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        let tx = transaction.id;
        transaction.held_chunk = None;
        self.purge_outgoing(tx);
        self.queue_rset();
        self.report_delivery(&reply, false);
        self.end_transaction(failed(FailureStage::Content, code), Some(reply));
    }

    fn on_final(&mut self, slot: usize, reply: Reply<'static>) {
        let flavor = self.config.flavor;
        let code = reply.code();
        if code.is_intermediate() {
            self.protocol_error(ProtocolError::UnexpectedCode {
                verb: Verb::Data,
                code,
            });
        }
        if flavor == Flavor::Smtp {
            self.report_delivery(&reply, code.is_positive());
            let outcome = match &self.transaction {
                Some(t) if code.is_positive() => TransactionOutcome::Accepted {
                    recipients: t.accepted().count(),
                },
                _ => failed(FailureStage::Content, code),
            };
            self.end_transaction(outcome, Some(reply));
            return;
        }
        // LMTP: this reply belongs to the slot-th accepted recipient (RFC 2033 §4.2).
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        let index = transaction.final_slots.get(slot).copied();
        let status = RecipientStatus::from_code(code);
        if let Some(recipient) = index.and_then(|i| transaction.recipients.get(i).map(|r| (i, r))) {
            let (index, slot_state) = recipient;
            let result = RecipientResult {
                transaction: transaction.id,
                index,
                recipient: slot_state.path.clone(),
                stage: RecipientStage::Delivery,
                status,
                reply: reply.clone(),
            };
            self.events.push_back(ClientEvent::Recipient(result));
        }
        let Some(transaction) = &mut self.transaction else {
            return;
        };
        transaction.finals_received += 1;
        if code.is_positive() {
            transaction.delivered += 1;
        } else {
            transaction.last_failure = Some(reply);
        }
        if transaction.finals_received < transaction.final_slots.len().max(1) {
            return;
        }
        let outcome = if transaction.delivered > 0 {
            TransactionOutcome::Accepted {
                recipients: transaction.delivered,
            }
        } else {
            let last = transaction.last_failure.as_ref().map(Reply::code);
            failed(
                FailureStage::Content,
                last.unwrap_or(ReplyCode::TRANSACTION_FAILED),
            )
        };
        let report_reply = if transaction.delivered > 0 {
            None
        } else {
            transaction.last_failure.take()
        };
        self.end_transaction(outcome, report_reply);
    }

    /// A [`RecipientStage::Delivery`] result, from one reply, for every recipient
    /// accepted at RCPT.
    ///
    /// `delivered` tells whether the reply took the message; a failure is deferred when
    /// the code is 4yz and rejected otherwise (also for a code the command does not
    /// allow, such as 250 to DATA).
    fn report_delivery(&mut self, reply: &Reply<'static>, delivered: bool) {
        let Some(transaction) = &self.transaction else {
            return;
        };
        let status = if delivered {
            RecipientStatus::Accepted
        } else if reply.code().is_transient_failure() {
            RecipientStatus::Deferred
        } else {
            RecipientStatus::Rejected
        };
        for index in transaction.accepted() {
            if let Some(slot) = transaction.recipients.get(index) {
                self.events
                    .push_back(ClientEvent::Recipient(RecipientResult {
                        transaction: transaction.id,
                        index,
                        recipient: slot.path.clone(),
                        stage: RecipientStage::Delivery,
                        status,
                        reply: reply.clone(),
                    }));
            }
        }
    }

    fn end_transaction(&mut self, outcome: TransactionOutcome, reply: Option<Reply<'static>>) {
        self.end_transaction_with(outcome, reply, Vec::new());
    }

    fn end_transaction_with(
        &mut self,
        outcome: TransactionOutcome,
        reply: Option<Reply<'static>>,
        unanswered: Vec<usize>,
    ) {
        if let Some(transaction) = self.transaction.take() {
            self.events
                .push_back(ClientEvent::TransactionDone(TransactionReport {
                    transaction: transaction.id,
                    outcome,
                    reply,
                    unanswered,
                }));
        }
        self.flush_deferred();
    }

    /// The session ends under a running transaction. With LMTP the recipients' replies
    /// that arrived stand: if one took the message, the transaction is accepted for
    /// them (RFC 2033 §5); every recipient still without an answer is a temporary
    /// failure.
    fn end_transaction_on_close(&mut self, reply: Option<&Reply<'static>>) {
        let Some(transaction) = &self.transaction else {
            return;
        };
        let unanswered = transaction.unanswered();
        let outcome = if self.config.flavor == Flavor::Lmtp && transaction.delivered > 0 {
            TransactionOutcome::Accepted {
                recipients: transaction.delivered,
            }
        } else {
            TransactionOutcome::Failed {
                stage: FailureStage::Connection,
                temporary: true,
            }
        };
        self.end_transaction_with(outcome, reply.cloned(), unanswered);
    }

    fn purge_outgoing(&mut self, tx: TransactionId) {
        self.outgoing.retain(|o| o.transaction() != Some(tx));
    }

    fn queue_rset(&mut self) {
        self.queue_command(&Command::Rset, Pending::InternalRset);
    }

    fn internal_quit(&mut self) {
        self.outgoing.clear();
        self.queue_command(&Command::Quit, Pending::InternalQuit);
        self.phase = Phase::Quitting;
    }

    fn protocol_error(&mut self, error: ProtocolError) {
        self.events.push_back(ClientEvent::ProtocolError(error));
    }

    fn close(&mut self) {
        if self.phase == Phase::Closed {
            return;
        }
        self.report_discarded();
        self.end_transaction_on_close(None);
        self.phase = Phase::Closed;
        self.auth = None;
        self.pending.clear();
        self.outgoing.clear();
        self.deferred.clear();
        self.input.clear();
        self.held = false;
        self.timer = None;
    }

    // ----- the timer -----

    fn current_wait(&self) -> Option<Waiting> {
        if matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
            return None;
        }
        if let Some(front) = self.pending.front() {
            return Some(front.waiting());
        }
        match &self.transaction {
            // The server waits for content the application has not given yet.
            Some(t) if t.stage == Stage::Body => Some(Waiting::DataBlock),
            _ => None,
        }
    }

    fn sync_timer(&mut self, now: Option<Instant>) {
        let Some(waiting) = self.current_wait() else {
            self.timer = None;
            return;
        };
        let limit = self.config.timeouts.for_waiting(waiting);
        match &mut self.timer {
            Some(timer) if timer.waiting == waiting && timer.progress == self.progress => {
                if timer.deadline.is_none() {
                    timer.deadline = now.map(|now| now + limit);
                }
            }
            _ => {
                self.timer = Some(Timer {
                    waiting,
                    progress: self.progress,
                    deadline: now.map(|now| now + limit),
                });
            }
        }
    }
}

/// A failure whose temporariness follows the reply code.
fn failed(stage: FailureStage, code: ReplyCode) -> TransactionOutcome {
    TransactionOutcome::Failed {
        stage,
        temporary: code.is_transient_failure(),
    }
}

impl Session for Client {
    type Event = ClientEvent;

    fn handle_input(&mut self, now: Instant, input: &[u8]) {
        self.clock = now;
        match self.phase {
            Phase::Closed => return,
            Phase::TlsHandshake => {
                self.discarded_after_starttls += input.len();
                return;
            }
            _ => {}
        }
        self.input.extend_from_slice(input);
        self.read_replies();
        self.flush_deferred();
        self.pump();
        self.sync_timer(Some(now));
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.clock = now;
        self.read_held();
        self.sync_timer(Some(now));
        let Some(timer) = self.timer else {
            return;
        };
        if timer.deadline.is_some_and(|deadline| deadline <= now) {
            self.events.push_back(ClientEvent::TimedOut {
                waiting: timer.waiting,
            });
            self.close();
        }
    }

    fn handle_eof(&mut self, now: Instant) {
        self.clock = now;
        if self.phase == Phase::Closed {
            return;
        }
        if self.phase != Phase::TlsHandshake {
            self.read_held();
            self.settle_unsolicited_at_eof();
            if self.phase == Phase::Closed {
                return;
            }
        }
        let expected = self.phase == Phase::Quitting
            || self.pending.iter().any(|p| {
                matches!(
                    p,
                    Pending::User {
                        verb: Verb::Quit,
                        ..
                    }
                )
            });
        if !expected {
            self.events.push_back(ClientEvent::ConnectionLost);
        }
        self.close();
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.clock = now;
        if self.phase != Phase::TlsHandshake {
            return;
        }
        self.report_discarded();
        // RFC 3207 §4.2: forget everything learned before the handshake.
        self.tls = true;
        self.capabilities = None;
        self.input.clear();
        self.held = false;
        self.start_hello();
        self.pump();
        self.sync_timer(Some(now));
    }

    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let count = self.output.len();
        out.append(&mut self.output);
        count
    }

    fn poll_timeout(&self) -> Option<Instant> {
        // A timer armed by a decision (which carries no time) asks to be called at
        // once, to learn the time and start counting from it; so do held replies that a
        // decision gave a command to answer.
        let timer = self.timer.map(|timer| timer.deadline.unwrap_or(self.clock));
        if self.held_readable() {
            return Some(timer.map_or(self.clock, |at| at.min(self.clock)));
        }
        timer
    }

    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    fn transport(&self) -> Transport {
        match self.phase {
            Phase::Closed => Transport::Closed,
            Phase::TlsHandshake => Transport::StartTls,
            _ => Transport::Open,
        }
    }
}

impl Client {
    /// Reads the buffered replies, each for the oldest command still waiting for one.
    ///
    /// A reply that arrives while no command waits (the server answered before the
    /// application made the decision that sends the command, typically because several
    /// replies came in one read, or the server sent it unasked) stays buffered until the
    /// next command leaves; then [`Session::poll_timeout`] asks to be called at once and
    /// [`Session::handle_timeout`] reads it (decisions never read input themselves).
    /// Which command a reply answers, and so every event, never depends on how the
    /// input was cut. The buffer is bounded by [`ClientConfig::max_unsolicited_input`];
    /// past it the session closes.
    fn read_replies(&mut self) {
        while !self.input.is_empty() && !self.pending.is_empty() {
            if matches!(self.phase, Phase::Closed | Phase::TlsHandshake) {
                break;
            }
            let decoded = match decode_reply(&self.input, &self.decode) {
                Ok(Status::Complete { value, consumed }) => {
                    Ok(Some((value.into_owned(), consumed)))
                }
                Ok(Status::Partial) => Ok(None),
                Err(error) => Err(error),
            };
            match decoded {
                Ok(Some((reply, consumed))) => {
                    self.input.advance(consumed.min(self.input.len()));
                    self.on_reply(reply);
                    // What this reply lets go leaves before the next reply is read, so
                    // the session is the same however the input was cut.
                    self.flush_deferred();
                    self.pump();
                }
                Ok(None) => break,
                Err(error) => {
                    self.protocol_error(ProtocolError::MalformedReply(error));
                    self.close();
                }
            }
        }
        if self.phase == Phase::TlsHandshake && !self.input.is_empty() {
            self.discarded_after_starttls += self.input.len();
            self.input.clear();
        }
        self.held = self.pending.is_empty() && !self.input.is_empty();
        // With a command waiting, the buffer holds at most one partial reply, bounded by
        // the reply limits of the decoder.
        if self.pending.is_empty() && self.input.len() > self.config.max_unsolicited_input {
            let octets = self.input.len();
            self.protocol_error(ProtocolError::UnsolicitedInput { octets });
            self.close();
        }
    }

    /// True when held replies can be read: a command now waits for them.
    fn held_readable(&self) -> bool {
        self.held
            && !self.pending.is_empty()
            && !matches!(self.phase, Phase::Closed | Phase::TlsHandshake)
    }

    /// Reads the held replies once a command waits for them, and sends what they let go.
    fn read_held(&mut self) {
        if self.held_readable() {
            self.read_replies();
            self.flush_deferred();
            self.pump();
        }
    }

    /// At the end of input, what was buffered without a command to answer can no longer
    /// wait for one: a 421 closes the service, anything else was a violation.
    fn settle_unsolicited_at_eof(&mut self) {
        if !self.pending.is_empty() || self.input.is_empty() {
            return;
        }
        match decode_reply(&self.input, &self.decode) {
            Ok(Status::Complete { value, .. }) => {
                let reply = value.into_owned();
                let code = reply.code();
                if code == ReplyCode::SERVICE_NOT_AVAILABLE {
                    self.end_transaction_on_close(Some(&reply));
                    self.events.push_back(ClientEvent::ServiceClosing { reply });
                    self.close();
                } else {
                    self.protocol_error(ProtocolError::UnexpectedReply { code });
                }
            }
            Ok(Status::Partial) => {}
            Err(error) => self.protocol_error(ProtocolError::MalformedReply(error)),
        }
    }

    /// Reports, once the STARTTLS wait is over, what arrived after the 220 (counted
    /// over every input, so the report does not depend on how the input was cut).
    fn report_discarded(&mut self) {
        let octets = std::mem::take(&mut self.discarded_after_starttls);
        if octets > 0 {
            self.protocol_error(ProtocolError::DataAfterStartTls { octets });
        }
    }
}
