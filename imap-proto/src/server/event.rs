//! What the server machine tells the application.

use bytes::Bytes;
use mailwire_core::Secret;

use crate::types::{Atom, Capability, CommandBody, Data, DateTime, Flag, Mailbox, Tag};

/// Identifies one command of the session: the events it produces carry it, and the
/// application passes it back to its decisions ([`Server::complete`] and friends). Ids
/// are never reused within a session (clients may reuse tags; ids stay unique).
///
/// [`Server::complete`]: crate::server::Server::complete
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub(crate) u64);

impl CommandId {
    /// The number behind the id (for logs).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The session states of RFC 3501 §3 / RFC 9051 §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SessionState {
    /// Before LOGIN or AUTHENTICATE succeeded.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected {
        /// EXAMINE, or a SELECT the application completed with `[READ-ONLY]`.
        read_only: bool,
    },
    /// LOGOUT, BYE or the end of the connection: nothing more happens.
    Logout,
}

/// How the client logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LoginMethod {
    /// The LOGIN command.
    Login,
    /// `AUTHENTICATE PLAIN` (RFC 4616), decoded by the machine.
    Plain,
}

/// A user name and password to check (LOGIN or `AUTHENTICATE PLAIN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The authorization identity (PLAIN's authzid); `None` when absent or empty (act as
    /// `username`).
    pub authzid: Option<String>,
    /// The authentication identity.
    pub username: String,
    /// The password.
    pub password: Secret<String>,
}

/// How the octets of an APPEND message are announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AppendFormat {
    /// A literal `{n}`: any octets but NUL.
    Literal,
    /// A literal8 `~{n}` (BINARY, RFC 3516): any octets.
    Literal8,
    /// `UTF8 (~{n})` (RFC 6855): a message with UTF-8 header fields.
    Utf8,
}

/// One message of an APPEND, announced before its octets arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendedMessage {
    /// The target mailbox (the same for every message of a MULTIAPPEND).
    pub mailbox: Mailbox<'static>,
    /// Position in the command, from 0 (MULTIAPPEND, RFC 3502, sends several).
    pub index: usize,
    /// Flags to set on the message.
    pub flags: Vec<Flag<'static>>,
    /// The internal date the client asks for.
    pub date: Option<DateTime>,
    /// The exact size in octets, checked against the APPEND limit.
    pub length: u64,
    /// How the octets were announced.
    pub format: AppendFormat,
}

/// Why the session closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent LOGOUT (answered `* BYE` and `OK`).
    Logout,
    /// No command for the autologout time (answered `* BYE`).
    Autologout,
    /// Too many malformed or misplaced commands (answered `* BYE`).
    TooManyErrors,
    /// The client sent more than the input limit while the machine waited for the
    /// application, or a non-synchronizing literal too large to skip (answered `* BYE`).
    TooMuchInput,
    /// The client closed the connection.
    PeerClosed,
    /// The application called [`Server::close`](crate::server::Server::close).
    Application,
}

/// Whether an unsolicited response left at once or waits (RFC 3501 §7.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// Written to the output now.
    Sent,
    /// Held back: an EXPUNGE (or VANISHED) may not be sent now, and later updates wait
    /// behind it so the client sees them in order. They leave when a command that allows
    /// them is in progress, reported by [`ServerEvent::HeldUpdatesSent`].
    Held,
}

/// What the server machine asks or tells the application.
///
/// Events that carry a [`CommandId`] and need an answer say which one; informational
/// events need none.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A command for the application, valid in the current state and offered by the
    /// capabilities in effect. Send its untagged data with
    /// [`Server::send_data`](crate::server::Server::send_data), then finish it with
    /// [`Server::complete`](crate::server::Server::complete) (or `ok`/`no`/`bad`).
    ///
    /// The machine handles CAPABILITY, LOGOUT, STARTTLS, ENABLE, IDLE, LOGIN,
    /// AUTHENTICATE and APPEND framing itself (see the other events); NOOP reaches the
    /// application once logged in, so it can report mailbox changes.
    Command {
        /// Correlation id.
        id: CommandId,
        /// The client's tag (the completion carries it).
        tag: Tag<'static>,
        /// The command.
        command: CommandBody<'static>,
    },
    /// LOGIN or `AUTHENTICATE PLAIN`: check the credentials, then complete with OK (the
    /// session becomes authenticated) or NO (for example `[AUTHENTICATIONFAILED]`).
    Login {
        /// Correlation id.
        id: CommandId,
        /// The client's tag.
        tag: Tag<'static>,
        /// What the client sent.
        credentials: Credentials,
        /// LOGIN or AUTHENTICATE PLAIN.
        method: LoginMethod,
    },
    /// AUTHENTICATE with a mechanism other than PLAIN: answer with
    /// [`Server::sasl_challenge`](crate::server::Server::sasl_challenge) or complete.
    Authenticate {
        /// Correlation id (the same for the whole exchange).
        id: CommandId,
        /// The client's tag.
        tag: Tag<'static>,
        /// The mechanism, one of [`ServerConfig::auth_mechanisms`](crate::server::ServerConfig::auth_mechanisms).
        mechanism: Atom<'static>,
        /// The SASL-IR initial response (RFC 4959), decoded; empty for `=`.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// The client's answer to a challenge; decide as for [`ServerEvent::Authenticate`].
    SaslResponse {
        /// Correlation id of the exchange.
        id: CommandId,
        /// The response, decoded.
        response: Secret<Vec<u8>>,
    },
    /// The client cancelled the exchange with `*` or sent a malformed line; the machine
    /// answered BAD. No decision is owed any more.
    AuthenticateAborted {
        /// Correlation id of the exchange.
        id: CommandId,
    },
    /// APPEND announced a message: accept it with
    /// [`Server::accept_append`](crate::server::Server::accept_append), or refuse the
    /// command with NO (`[TRYCREATE]`, `[OVERQUOTA]`, ...). The machine reads nothing
    /// more of the command until then. For a synchronizing literal the client waits:
    /// acceptance sends `+`, refusal means none of its octets is ever read. For a
    /// non-synchronizing one the octets are already on their way (they wait in the input
    /// buffer, within [`ServerConfig::max_pipelined_input`](crate::server::ServerConfig::max_pipelined_input));
    /// refusal drops them.
    ///
    /// The octets follow as [`ServerEvent::AppendData`]; the next message (MULTIAPPEND)
    /// or [`ServerEvent::AppendDone`] marks the end of this one.
    AppendMessage {
        /// Correlation id of the APPEND command.
        id: CommandId,
        /// The client's tag.
        tag: Tag<'static>,
        /// The message.
        message: AppendedMessage,
        /// A synchronizing literal: the client waits for `+`.
        synchronizing: bool,
    },
    /// Octets of the message being appended, in order, as they arrive.
    AppendData {
        /// Correlation id of the APPEND command.
        id: CommandId,
        /// The next octets.
        chunk: Bytes,
    },
    /// The whole APPEND command arrived: store the messages (atomically, for
    /// MULTIAPPEND) and complete it (`[APPENDUID ...]` with UIDPLUS).
    AppendDone {
        /// Correlation id of the APPEND command.
        id: CommandId,
        /// How many messages the command carried.
        messages: usize,
    },
    /// The APPEND ended without reaching [`ServerEvent::AppendDone`]: the machine refused
    /// what followed (syntax, limits, MULTIAPPEND not offered) and answered the client.
    /// Discard what was received; no decision is owed any more.
    AppendAborted {
        /// Correlation id of the APPEND command.
        id: CommandId,
    },
    /// IDLE began (`+ idling` was sent): push updates with
    /// [`Server::push`](crate::server::Server::push) as they happen, until
    /// [`ServerEvent::IdleDone`].
    Idle {
        /// Correlation id of the IDLE command.
        id: CommandId,
        /// The client's tag.
        tag: Tag<'static>,
    },
    /// The client ended IDLE; the machine completed the command.
    IdleDone {
        /// Correlation id of the IDLE command.
        id: CommandId,
    },
    /// Capabilities now in effect (ENABLE, or a CONDSTORE-enabling command, RFC 7162
    /// §3.1): answer accordingly from now on (MODSEQ in FETCH, UTF-8 names, IMAP4rev2
    /// responses, ...).
    Enabled {
        /// What was enabled, in the client's order.
        capabilities: Vec<Capability<'static>>,
    },
    /// Updates held back by [`Server::push`](crate::server::Server::push) were sent
    /// now, before the command that follows this event; message numbers change for the
    /// client only now.
    HeldUpdatesSent {
        /// The updates, in the order they were sent.
        updates: Vec<Data<'static>>,
    },
    /// Held updates were dropped because the client left the mailbox they concern
    /// (SELECT, EXAMINE, CLOSE, UNSELECT or LOGOUT began).
    HeldUpdatesDropped {
        /// How many.
        count: usize,
    },
    /// Bytes that followed STARTTLS before the TLS handshake were discarded (a
    /// plaintext command injection attempt, or a broken client).
    PlaintextDiscarded {
        /// How many octets.
        octets: usize,
    },
    /// The session closed; nothing more will happen and owed decisions are void.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}
