//! The LMTP server: mailwire-smtp's server machine in its LMTP flavor, with a
//! configuration that keeps what RFC 2033 requires, and per-recipient delivery answers
//! that may come in any order.
//!
//! [`LmtpServer`] wraps [`ServerSession`] and adds no protocol logic of its own: LHLO,
//! the refusal of HELO and EHLO (`500 5.5.1`), the `503` to DATA without a successful
//! RCPT (RFC 2033 §4.2), the zero replies to a BDAT LAST without one (§4.3) and the one
//! reply place per accepted recipient after the data are the smtp machine's. What the
//! wrapper adds is bookkeeping for [`ServerEvent::MessageEnd`]: the application answers
//! each recipient by its position ([`LmtpServer::deliver`]), in whatever order its
//! deliveries finish, and the answers are handed to the machine in RCPT order, each as
//! soon as every earlier one is known (RFC 2033 §5: "send each reply as soon as
//! possible").
//!
//! ```
//! use std::time::Instant;
//! use mailwire_lmtp::server::{Delivery, LmtpServer, LmtpServerConfig, ServerEvent};
//! use mailwire_lmtp::Session;
//!
//! let config = LmtpServerConfig::builder("mda.example").build().unwrap();
//! let now = Instant::now();
//! let mut server = LmtpServer::new(config, now);
//! server.handle_input(now, b"LHLO mta.example\r\nMAIL FROM:<a@example.org>\r\n\
//!     RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n");
//! while let Some(event) = server.poll_event() {
//!     if let ServerEvent::Mail { id, .. } | ServerEvent::Recipient { id, .. } = event {
//!         server.accept(id).unwrap();
//!     }
//! }
//! // DATA got its 354: the message follows.
//! server.handle_input(now, b"Subject: hi\r\n\r\nHello\r\n.\r\n");
//! let mut message_end = None;
//! while let Some(event) = server.poll_event() {
//!     if let ServerEvent::MessageEnd { id, recipients, .. } = event {
//!         assert_eq!(recipients.len(), 2);
//!         message_end = Some(id);
//!     }
//! }
//! let id = message_end.unwrap();
//! // The second recipient's delivery finishes first: nothing leaves yet.
//! server.deliver(id, 1, Delivery::MailboxFull { permanent: false }).unwrap();
//! server.deliver(id, 0, Delivery::Delivered).unwrap();
//! let mut wire = Vec::new();
//! while server.poll_transmit(&mut wire) > 0 {}
//! let wire = String::from_utf8(wire).unwrap();
//! assert!(wire.ends_with("250 2.0.0 <b@example.org> delivered\r\n\
//!     452 4.2.2 <c@example.org> mailbox full\r\n"));
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use mailwire_core::{Session, Transport};
use mailwire_smtp::server::ServerConfigBuilder;
use mailwire_smtp::types::{EnhancedStatusCode, ForwardPath, Host, Mechanism, Reply, ReplyCode};

pub use mailwire_smtp::server::{
    AbortReason, CloseReason, ConfigError, DataMode, Delegation, Greeting, HelloKind, ReplyId,
    ServerConfig, ServerError, ServerEvent, ServerSession, DEFAULT_COMMAND_TIMEOUT,
    DEFAULT_DATA_TIMEOUT, DEFAULT_MAX_ERRORS, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MAX_PENDING_INPUT,
    DEFAULT_MAX_RECIPIENTS,
};

/// The default text after the hostname in the 220 greeting.
pub const DEFAULT_GREETING_TEXT: &str = "LMTP mailwire";

/// The configuration of an [`LmtpServer`]: an smtp [`ServerConfig`] in the LMTP flavor
/// with PIPELINING and ENHANCEDSTATUSCODES always on (RFC 2033 §5 requires both).
/// Cheap to clone; share one between sessions.
#[derive(Debug, Clone)]
pub struct LmtpServerConfig {
    smtp: Arc<ServerConfig>,
}

impl LmtpServerConfig {
    /// Starts a configuration for a server that calls itself `hostname`.
    ///
    /// The extensions offered by default are PIPELINING, SIZE (with the message size
    /// limit), 8BITMIME, ENHANCEDSTATUSCODES and CHUNKING; STARTTLS once
    /// [`starttls`](LmtpServerConfigBuilder::starttls) says the transport can do TLS.
    /// SMTPUTF8 is off unless asked for (a delivery agent must then store UTF-8
    /// addresses). Every other default is mailwire-smtp's, quoted on each setter.
    pub fn builder(hostname: impl Into<String>) -> LmtpServerConfigBuilder {
        LmtpServerConfigBuilder {
            smtp: ServerConfig::builder(hostname)
                .greeting_text(DEFAULT_GREETING_TEXT)
                .smtputf8(false),
        }
    }

    /// The smtp machine's configuration behind it.
    pub fn smtp(&self) -> &ServerConfig {
        &self.smtp
    }

    /// The server's name.
    pub fn hostname(&self) -> &str {
        self.smtp.hostname()
    }
}

/// Builds an [`LmtpServerConfig`]; see [`LmtpServerConfig::builder`].
///
/// The setters are those of mailwire-smtp's [`ServerConfigBuilder`] that make sense for
/// LMTP; the flavor, PIPELINING and ENHANCEDSTATUSCODES are not settable.
#[derive(Debug, Clone)]
#[must_use]
pub struct LmtpServerConfigBuilder {
    smtp: ServerConfigBuilder,
}

impl LmtpServerConfigBuilder {
    fn map(self, change: impl FnOnce(ServerConfigBuilder) -> ServerConfigBuilder) -> Self {
        LmtpServerConfigBuilder {
            smtp: change(self.smtp),
        }
    }

    /// Text after the hostname in the 220 greeting. Default [`DEFAULT_GREETING_TEXT`].
    pub fn greeting_text(self, text: impl Into<String>) -> Self {
        self.map(|b| b.greeting_text(text))
    }

    /// How the session opens. Default [`Greeting::Accept`].
    pub fn greeting(self, greeting: Greeting) -> Self {
        self.map(|b| b.greeting(greeting))
    }

    /// Advertise 8BITMIME (RFC 6152; RFC 2033 §5 says a server SHOULD). Default on.
    pub fn eight_bit_mime(self, on: bool) -> Self {
        self.map(|b| b.eight_bit_mime(on))
    }

    /// Advertise SMTPUTF8 and accept UTF-8 addresses (RFC 6531). Default off.
    pub fn smtputf8(self, on: bool) -> Self {
        self.map(|b| b.smtputf8(on))
    }

    /// Advertise CHUNKING and accept BDAT (RFC 3030; RFC 2033 §4.3). Default on.
    pub fn chunking(self, on: bool) -> Self {
        self.map(|b| b.chunking(on))
    }

    /// Advertise BINARYMIME (RFC 3030), which needs CHUNKING. Default off.
    pub fn binary_mime(self, on: bool) -> Self {
        self.map(|b| b.binary_mime(on))
    }

    /// Advertise `SIZE n` (RFC 1870). Default on.
    pub fn advertise_size(self, on: bool) -> Self {
        self.map(|b| b.advertise_size(on))
    }

    /// Advertise DSN and accept its parameters (RFC 3461). Default off.
    pub fn dsn(self, on: bool) -> Self {
        self.map(|b| b.dsn(on))
    }

    /// Offer STARTTLS (RFC 3207) because the transport can do TLS. Default off.
    pub fn starttls(self, on: bool) -> Self {
        self.map(|b| b.starttls(on))
    }

    /// The connection is TLS from its first byte. Default off.
    pub fn implicit_tls(self, on: bool) -> Self {
        self.map(|b| b.implicit_tls(on))
    }

    /// SASL mechanisms offered with AUTH (RFC 4954). Default none.
    pub fn auth_mechanisms<'m>(self, mechanisms: impl IntoIterator<Item = Mechanism<'m>>) -> Self {
        self.map(|b| b.auth_mechanisms(mechanisms))
    }

    /// Allow PLAIN and LOGIN without TLS. Default off.
    pub fn plaintext_auth_without_tls(self, on: bool) -> Self {
        self.map(|b| b.plaintext_auth_without_tls(on))
    }

    /// Refuse AUTH until TLS is active. Default off.
    pub fn require_tls_for_auth(self, on: bool) -> Self {
        self.map(|b| b.require_tls_for_auth(on))
    }

    /// Refuse MAIL until TLS is active. Default off.
    pub fn require_tls_for_mail(self, on: bool) -> Self {
        self.map(|b| b.require_tls_for_mail(on))
    }

    /// Pass unknown MAIL and RCPT parameters to the application instead of `555`.
    /// Default off.
    pub fn pass_unknown_parameters(self, on: bool) -> Self {
        self.map(|b| b.pass_unknown_parameters(on))
    }

    /// Longest command line, CRLF included. Default 2048
    /// ([`mailwire_smtp::codec::DEFAULT_MAX_COMMAND_LINE`]).
    pub fn max_line_length(self, octets: usize) -> Self {
        self.map(|b| b.max_line_length(octets))
    }

    /// Longest AUTH exchange line, CRLF included. Default 12288 (RFC 4954 §4).
    pub fn max_auth_line_length(self, octets: usize) -> Self {
        self.map(|b| b.max_auth_line_length(octets))
    }

    /// Most recipients per transaction. Default [`DEFAULT_MAX_RECIPIENTS`].
    pub fn max_recipients(self, count: usize) -> Self {
        self.map(|b| b.max_recipients(count))
    }

    /// Largest message in octets; `None`: no limit. Default [`DEFAULT_MAX_MESSAGE_SIZE`].
    /// A larger message gets `552 5.3.4` once per accepted recipient.
    pub fn max_message_size(self, octets: Option<u64>) -> Self {
        self.map(|b| b.max_message_size(octets))
    }

    /// Largest single BDAT chunk; `None`: only the message limit applies. Default `None`.
    pub fn max_bdat_chunk_size(self, octets: Option<u64>) -> Self {
        self.map(|b| b.max_bdat_chunk_size(octets))
    }

    /// Protocol errors allowed before `421 4.7.0`. Default [`DEFAULT_MAX_ERRORS`].
    pub fn max_errors(self, count: u32) -> Self {
        self.map(|b| b.max_errors(count))
    }

    /// Most input held while the application decides. Default
    /// [`DEFAULT_MAX_PENDING_INPUT`].
    pub fn max_pending_input(self, octets: usize) -> Self {
        self.map(|b| b.max_pending_input(octets))
    }

    /// Refuse a message holding a bare CR or LF (`550 5.6.0` per recipient). Default off.
    pub fn reject_bare_line_ends_in_data(self, on: bool) -> Self {
        self.map(|b| b.reject_bare_line_ends_in_data(on))
    }

    /// Accept command lines ended by a bare LF. Default off.
    pub fn quirk_bare_lf_commands(self, on: bool) -> Self {
        self.map(|b| b.quirk_bare_lf_commands(on))
    }

    /// Which of VRFY, EXPN and HELP the application answers. Default none.
    pub fn delegation(self, delegation: Delegation) -> Self {
        self.map(|b| b.delegation(delegation))
    }

    /// The wait for the next command. Default [`DEFAULT_COMMAND_TIMEOUT`].
    pub fn command_timeout(self, timeout: Duration) -> Self {
        self.map(|b| b.command_timeout(timeout))
    }

    /// The wait for more message data. Default [`DEFAULT_DATA_TIMEOUT`].
    pub fn data_timeout(self, timeout: Duration) -> Self {
        self.map(|b| b.data_timeout(timeout))
    }

    /// Checks the configuration (see [`ServerConfigBuilder::build`]).
    pub fn build(self) -> Result<LmtpServerConfig, ConfigError> {
        // Set last, so nothing above can undo what RFC 2033 requires.
        let smtp = self
            .smtp
            .flavor(mailwire_smtp::server::Flavor::Lmtp)
            .pipelining(true)
            .enhanced_status_codes(true)
            .build()?;
        Ok(LmtpServerConfig {
            smtp: Arc::new(smtp),
        })
    }
}

/// An enhanced status code that is valid by construction (checked at compile time).
macro_rules! enhanced {
    ($class:literal, $subject:literal, $detail:literal) => {{
        const CODE: EnhancedStatusCode = match EnhancedStatusCode::new($class, $subject, $detail) {
            Some(code) => code,
            // Evaluated at compile time: an invalid constant fails the build.
            #[allow(clippy::panic)]
            None => panic!("invalid enhanced status code"),
        };
        CODE
    }};
}

/// What became of the message for one recipient: the typed form of the usual replies
/// after the data (enhanced codes from RFC 3463).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// Stored: `250 2.0.0 <rcpt> delivered`.
    Delivered,
    /// The mailbox is full (RFC 3463 X.2.2): `452 4.2.2`, or `552 5.2.2` when
    /// `permanent`.
    MailboxFull {
        /// The mailbox will not take it later either.
        permanent: bool,
    },
    /// The mailbox is disabled or busy (RFC 3463 X.2.1): `450 4.2.1`, or `550 5.2.1`
    /// when `permanent`.
    MailboxUnavailable {
        /// The mailbox will not take it later either.
        permanent: bool,
    },
    /// The user no longer exists (RFC 3463 5.1.1): `550 5.1.1`.
    NoSuchUser,
    /// A local error, worth trying again (RFC 3463 4.3.0): `451 4.3.0`.
    TemporaryFailure,
    /// The message was refused for this recipient (a filter, a policy; RFC 3463 5.7.1):
    /// `554 5.7.1`.
    Rejected,
}

impl Delivery {
    /// The reply code and the enhanced status code.
    pub fn codes(self) -> (ReplyCode, EnhancedStatusCode) {
        match self {
            Delivery::Delivered => (ReplyCode::OK, enhanced!(2, 0, 0)),
            Delivery::MailboxFull { permanent: false } => {
                (ReplyCode::INSUFFICIENT_STORAGE, enhanced!(4, 2, 2))
            }
            Delivery::MailboxFull { permanent: true } => {
                (ReplyCode::EXCEEDED_STORAGE, enhanced!(5, 2, 2))
            }
            Delivery::MailboxUnavailable { permanent: false } => {
                (ReplyCode::MAILBOX_BUSY, enhanced!(4, 2, 1))
            }
            Delivery::MailboxUnavailable { permanent: true } => {
                (ReplyCode::MAILBOX_UNAVAILABLE, enhanced!(5, 2, 1))
            }
            Delivery::NoSuchUser => (ReplyCode::MAILBOX_UNAVAILABLE, enhanced!(5, 1, 1)),
            Delivery::TemporaryFailure => (ReplyCode::LOCAL_ERROR, enhanced!(4, 3, 0)),
            Delivery::Rejected => (ReplyCode::TRANSACTION_FAILED, enhanced!(5, 7, 1)),
        }
    }

    /// A short text for the reply.
    pub fn text(self) -> &'static str {
        match self {
            Delivery::Delivered => "delivered",
            Delivery::MailboxFull { .. } => "mailbox full",
            Delivery::MailboxUnavailable { .. } => "mailbox unavailable",
            Delivery::NoSuchUser => "no such user",
            Delivery::TemporaryFailure => "local error, try again later",
            Delivery::Rejected => "message refused",
        }
    }

    /// The reply for `recipient`: `code enhanced <recipient> text`, as Dovecot and
    /// Cyrus write theirs, so that the client's log names the mailbox. A recipient that
    /// cannot appear in reply text (a UTF-8 address) is left out.
    ///
    /// ```
    /// use mailwire_lmtp::server::Delivery;
    /// use mailwire_lmtp::types::{ForwardPath, Mailbox};
    /// let to: ForwardPath = Mailbox::parse("green@foo.example").unwrap().into();
    /// let reply = Delivery::MailboxFull { permanent: false }.reply_for(&to);
    /// assert_eq!(reply.to_string(), "452 4.2.2 <green@foo.example> mailbox full\r\n");
    /// ```
    pub fn reply_for(self, recipient: &ForwardPath<'_>) -> Reply<'static> {
        let (code, enhanced) = self.codes();
        let text = format!("{recipient} {}", self.text());
        match Reply::new(code, Some(enhanced), [text.as_str()]) {
            Ok(reply) => reply,
            Err(_) => self.reply(),
        }
    }

    /// The reply without the recipient: `code enhanced text`.
    pub fn reply(self) -> Reply<'static> {
        let (code, enhanced) = self.codes();
        #[allow(clippy::expect_used)]
        // Constant codes whose classes agree and constant ASCII text: always valid, and
        // nothing from the wire reaches this.
        Reply::new(code, Some(enhanced), [self.text()]).expect("constant reply is valid")
    }
}

/// Why a decision of the application was refused (caller bugs; protocol errors are
/// answered on the wire by the machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LmtpServerError {
    /// The smtp machine refused the decision.
    #[error(transparent)]
    Session(#[from] ServerError),
    /// The message has no recipient at this position.
    #[error("no recipient {index} in this message (it has {count})")]
    NoSuchRecipient {
        /// The position given.
        index: usize,
        /// How many recipients the message has.
        count: usize,
    },
    /// This recipient was already answered.
    #[error("recipient {index} was already answered")]
    AlreadyAnswered {
        /// The position given.
        index: usize,
    },
}

/// The per-recipient answers owed for one [`ServerEvent::MessageEnd`].
#[derive(Debug)]
struct PendingDelivery {
    id: ReplyId,
    recipients: Vec<ForwardPath<'static>>,
    /// Answers given but not yet handed to the machine (an earlier one is missing).
    answers: Vec<Option<Reply<'static>>>,
    /// Answers handed to the machine: always a prefix, in RCPT order.
    released: usize,
}

impl PendingDelivery {
    fn first_unanswered(&self) -> Option<usize> {
        (self.released..self.answers.len())
            .find(|index| self.answers.get(*index).is_some_and(Option::is_none))
    }
}

/// The LMTP server machine: mailwire-smtp's [`ServerSession`] in its LMTP flavor, with
/// per-recipient answers by position; see the [module docs](self).
///
/// It implements [`Session`] exactly as the smtp machine does (same events, same call
/// order). Decisions other than the per-recipient ones go through the same methods as
/// on [`ServerSession`].
#[derive(Debug)]
pub struct LmtpServer {
    inner: ServerSession,
    deliveries: Vec<PendingDelivery>,
}

impl LmtpServer {
    /// A session for a client that connected at `now`.
    pub fn new(config: LmtpServerConfig, now: Instant) -> Self {
        LmtpServer {
            inner: ServerSession::new(config.smtp, now),
            deliveries: Vec::new(),
        }
    }

    /// The smtp machine inside, to inspect it.
    pub fn session(&self) -> &ServerSession {
        &self.inner
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        self.inner.config()
    }

    /// True once TLS is active.
    pub fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }

    /// True once an AUTH exchange succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.inner.is_authenticated()
    }

    /// The client's LHLO name, if it sent one.
    pub fn hello(&self) -> Option<&Host<'static>> {
        self.inner.hello().map(|(_, host)| host)
    }

    /// True while the application owes at least one decision.
    pub fn awaits_decision(&self) -> bool {
        self.inner.awaits_decision()
    }

    /// The recipients of a message whose per-recipient answers are still owed, in RCPT
    /// order (the positions [`deliver`](Self::deliver) takes).
    pub fn pending_recipients(&self, id: ReplyId) -> Option<&[ForwardPath<'static>]> {
        self.delivery(id).map(|d| d.recipients.as_slice())
    }

    /// Answers recipient `index` of the message `id` (its position in
    /// [`ServerEvent::MessageEnd`]'s `recipients`) with a typed outcome.
    pub fn deliver(
        &mut self,
        id: ReplyId,
        index: usize,
        outcome: Delivery,
    ) -> Result<(), LmtpServerError> {
        let reply = {
            let delivery = self.delivery(id).ok_or(ServerError::UnknownId)?;
            let count = delivery.recipients.len();
            let recipient = delivery
                .recipients
                .get(index)
                .ok_or(LmtpServerError::NoSuchRecipient { index, count })?;
            outcome.reply_for(recipient)
        };
        self.deliver_reply(id, index, reply)
    }

    /// Answers recipient `index` of the message `id` with any final reply (2yz, 4yz or
    /// 5yz). Answers may come in any order; they leave in RCPT order.
    pub fn deliver_reply(
        &mut self,
        id: ReplyId,
        index: usize,
        reply: Reply<'_>,
    ) -> Result<(), LmtpServerError> {
        if reply.code().is_intermediate() {
            return Err(ServerError::IntermediateReply.into());
        }
        let position = self
            .deliveries
            .iter()
            .position(|d| d.id == id)
            .ok_or(ServerError::UnknownId)?;
        let Some(delivery) = self.deliveries.get_mut(position) else {
            return Err(ServerError::UnknownId.into());
        };
        let count = delivery.answers.len();
        if index < delivery.released {
            return Err(LmtpServerError::AlreadyAnswered { index });
        }
        match delivery.answers.get_mut(index) {
            None => return Err(LmtpServerError::NoSuchRecipient { index, count }),
            Some(Some(_)) => return Err(LmtpServerError::AlreadyAnswered { index }),
            Some(slot) => *slot = Some(reply.into_owned()),
        }
        self.release(position)
    }

    /// Answers every recipient of the message `id` at once, in RCPT order.
    pub fn deliver_all(
        &mut self,
        id: ReplyId,
        outcomes: impl IntoIterator<Item = Delivery>,
    ) -> Result<(), LmtpServerError> {
        for (index, outcome) in outcomes.into_iter().enumerate() {
            self.deliver(id, index, outcome)?;
        }
        Ok(())
    }

    /// Answers the decision `id` with `reply`, as [`ServerSession::reply`]. For a
    /// message's per-recipient answers it answers the first recipient not yet answered.
    pub fn reply(&mut self, id: ReplyId, reply: Reply<'_>) -> Result<(), LmtpServerError> {
        match self
            .delivery(id)
            .and_then(PendingDelivery::first_unanswered)
        {
            Some(index) => self.deliver_reply(id, index, reply),
            None => Ok(self.inner.reply(id, reply)?),
        }
    }

    /// Accepts with the usual positive reply, as [`ServerSession::accept`]; for a
    /// message, [`Delivery::Delivered`] for the first recipient not yet answered.
    pub fn accept(&mut self, id: ReplyId) -> Result<(), LmtpServerError> {
        match self
            .delivery(id)
            .and_then(PendingDelivery::first_unanswered)
        {
            Some(index) => self.deliver(id, index, Delivery::Delivered),
            None => Ok(self.inner.accept(id)?),
        }
    }

    /// Refuses with the usual negative reply, as [`ServerSession::reject`]; for a
    /// message, [`Delivery::Rejected`] for the first recipient not yet answered.
    pub fn reject(&mut self, id: ReplyId) -> Result<(), LmtpServerError> {
        match self
            .delivery(id)
            .and_then(PendingDelivery::first_unanswered)
        {
            Some(index) => self.deliver(id, index, Delivery::Rejected),
            None => Ok(self.inner.reject(id)?),
        }
    }

    /// Answers a generic SASL step with a challenge, as
    /// [`ServerSession::sasl_challenge`].
    pub fn sasl_challenge(&mut self, id: ReplyId, challenge: &[u8]) -> Result<(), LmtpServerError> {
        Ok(self.inner.sasl_challenge(id, challenge)?)
    }

    /// Ends the session with an optional last reply, as [`ServerSession::close`];
    /// answers still owed are dropped.
    pub fn close(&mut self, reply: Option<Reply<'_>>) {
        self.deliveries.clear();
        self.inner.close(reply);
    }

    fn delivery(&self, id: ReplyId) -> Option<&PendingDelivery> {
        self.deliveries.iter().find(|d| d.id == id)
    }

    /// Hands the answers that are now in order to the machine.
    fn release(&mut self, position: usize) -> Result<(), LmtpServerError> {
        loop {
            let Some(delivery) = self.deliveries.get_mut(position) else {
                return Ok(());
            };
            let next = delivery.released;
            let Some(reply) = delivery.answers.get_mut(next).and_then(Option::take) else {
                break;
            };
            delivery.released += 1;
            let id = delivery.id;
            self.inner.reply(id, reply)?;
        }
        if self
            .deliveries
            .get(position)
            .is_some_and(|d| d.released >= d.answers.len())
        {
            self.deliveries.remove(position);
        }
        Ok(())
    }
}

impl Session for LmtpServer {
    type Event = ServerEvent;

    fn handle_input(&mut self, now: Instant, input: &[u8]) {
        self.inner.handle_input(now, input);
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.inner.handle_timeout(now);
    }

    fn handle_eof(&mut self, now: Instant) {
        self.inner.handle_eof(now);
    }

    fn handle_tls_established(&mut self, now: Instant) {
        self.inner.handle_tls_established(now);
    }

    fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        self.inner.poll_transmit(out)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn poll_event(&mut self) -> Option<ServerEvent> {
        let event = self.inner.poll_event()?;
        // The machine's replies after a session closed by the client still leave when
        // answered, so the bookkeeping stays until the answers come.
        if let ServerEvent::MessageEnd { id, recipients, .. } = &event {
            self.deliveries.push(PendingDelivery {
                id: *id,
                recipients: recipients.clone(),
                answers: vec![None; recipients.len()],
                released: 0,
            });
        }
        Some(event)
    }

    fn transport(&self) -> Transport {
        self.inner.transport()
    }

    fn wants_input(&self) -> bool {
        self.inner.wants_input()
    }
}
