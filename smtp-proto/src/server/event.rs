//! What the server machine tells the application.

use bytes::Bytes;
use mailwire_core::Secret;

use crate::types::{
    Argument, ForwardPath, Host, MailParameters, Mechanism, RcptParameters, ReversePath,
};

/// Identifies a decision the application owes the machine: pass it back to
/// [`ServerSession::reply`](crate::server::ServerSession::reply) or one of its typed
/// helpers. Ids are never reused within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyId(pub(crate) u64);

impl ReplyId {
    /// The number behind the id (for logs).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// Which greeting command the client used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HelloKind {
    /// `HELO`: plain SMTP, no extensions.
    Helo,
    /// `EHLO`: ESMTP.
    Ehlo,
    /// `LHLO`: LMTP.
    Lhlo,
}

/// How the message data of a transaction arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataMode {
    /// `DATA`, dot-stuffed and ended by `<CRLF>.<CRLF>` (unstuffed by the machine).
    Data,
    /// `BDAT` chunks of exact sizes (RFC 3030).
    Bdat,
}

/// Why a transaction ended without reaching the application's final decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AbortReason {
    /// RSET.
    Reset,
    /// HELO, EHLO or LHLO in the middle of a transaction.
    Hello,
    /// The message exceeded the size limit; the machine answered `552 5.3.4`.
    TooLarge,
    /// The message held a bare LF or CR and the policy refuses that; the machine answered
    /// `550 5.6.0`.
    BareLineEnd,
    /// The data began (BDAT) while no recipient was accepted; the machine answered it.
    NoRecipients,
    /// The session ended (QUIT, timeout, error limit, connection closed).
    SessionEnded,
}

/// Why the session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The client sent QUIT (answered 221).
    Quit,
    /// The client was silent too long (answered `421 4.4.2`).
    Timeout,
    /// Too many protocol errors (answered `421 4.7.0`).
    TooManyErrors,
    /// Too much input arrived while the machine waited for the application (answered
    /// `421 4.7.0`).
    TooMuchPendingInput,
    /// The client closed the connection.
    ClientClosed,
    /// The application closed the session (with a reply of its choice).
    Application,
}

/// An event of the server machine; see [`ServerSession`](crate::server::ServerSession)
/// for the order of calls. Variants with an `id` wait for a decision of the application;
/// the others are information.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// A client connected and [`Greeting::AskApplication`](crate::server::Greeting) is
    /// configured: answer 220 (or [`ServerSession::accept`](crate::server::ServerSession::accept)),
    /// 554 or 421.
    Connected {
        /// The decision owed.
        id: ReplyId,
    },
    /// The client introduced itself; the machine answered 250 and any transaction in
    /// progress was reset.
    Hello {
        /// HELO, EHLO or LHLO.
        kind: HelloKind,
        /// The name the client gave.
        host: Host<'static>,
    },
    /// The client sent more bytes after STARTTLS, before the TLS handshake. They were
    /// discarded (a command injection attempt, CVE-2011-0411 style, or a broken client).
    DiscardedAfterStartTls {
        /// How many octets were dropped.
        octets: usize,
    },
    /// TLS is now active; the client must say EHLO again.
    TlsEstablished,
    /// The client authenticates with PLAIN or LOGIN: check the password, then
    /// [`accept`](crate::server::ServerSession::accept) (235 2.7.0) or
    /// [`reject`](crate::server::ServerSession::reject) (535 5.7.8).
    AuthCredentials {
        /// The decision owed.
        id: ReplyId,
        /// `PLAIN` or `LOGIN`.
        mechanism: Mechanism<'static>,
        /// The identity to act as, when the client asked for one different from
        /// `authcid` (PLAIN only).
        authzid: Option<String>,
        /// The identity whose password this is.
        authcid: String,
        /// The password.
        password: Secret<String>,
    },
    /// The client starts AUTH with a mechanism the machine does not decode itself:
    /// answer with [`sasl_challenge`](crate::server::ServerSession::sasl_challenge) or an
    /// outcome with [`reply`](crate::server::ServerSession::reply) (235, 535, 454, ...).
    SaslStart {
        /// The decision owed.
        id: ReplyId,
        /// The mechanism, one of those configured.
        mechanism: Mechanism<'static>,
        /// The decoded initial response, if the client sent one (empty for `=`).
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// The client answered a challenge of a generic SASL exchange; answer as for
    /// [`ServerEvent::SaslStart`].
    SaslResponse {
        /// The decision owed.
        id: ReplyId,
        /// The decoded response.
        response: Secret<Vec<u8>>,
    },
    /// The client cancelled an AUTH exchange with `*` (the machine answered 501 5.7.0).
    AuthCancelled,
    /// MAIL FROM, checked by the machine (sequence, size, parameters): accept or reject.
    Mail {
        /// The decision owed.
        id: ReplyId,
        /// The sender.
        from: ReversePath<'static>,
        /// The parameters.
        params: MailParameters<'static>,
    },
    /// RCPT TO, checked by the machine (sequence, recipient limit): accept or reject.
    Recipient {
        /// The decision owed.
        id: ReplyId,
        /// The recipient.
        to: ForwardPath<'static>,
        /// The parameters.
        params: RcptParameters<'static>,
    },
    /// The message data begins (after `354` for DATA, or with the first BDAT chunk).
    MessageStart {
        /// DATA or BDAT.
        mode: DataMode,
    },
    /// A piece of the message, in order: unstuffed for DATA, raw for BDAT.
    MessageData(Bytes),
    /// The message data is complete and within the limits: the application gives the
    /// final reply. With [`Flavor::Lmtp`](crate::server::Flavor) it gives one reply per
    /// entry of `recipients`, in that order, by calling
    /// [`reply`](crate::server::ServerSession::reply) once per recipient.
    MessageEnd {
        /// The decision owed.
        id: ReplyId,
        /// The message size in octets (as passed on in [`ServerEvent::MessageData`]).
        size: u64,
        /// The accepted recipients, in RCPT order.
        recipients: Vec<ForwardPath<'static>>,
    },
    /// A transaction that the application had accepted MAIL for ended without a
    /// [`ServerEvent::MessageEnd`]: drop what was kept of it.
    TransactionAborted {
        /// Why.
        reason: AbortReason,
    },
    /// VRFY, with [`Delegation::vrfy`](crate::server::Delegation) on.
    Verify {
        /// The decision owed.
        id: ReplyId,
        /// The string to verify.
        target: Argument<'static>,
    },
    /// EXPN, with [`Delegation::expn`](crate::server::Delegation) on.
    Expand {
        /// The decision owed.
        id: ReplyId,
        /// The list to expand.
        target: Argument<'static>,
    },
    /// HELP, with [`Delegation::help`](crate::server::Delegation) on.
    Help {
        /// The decision owed.
        id: ReplyId,
        /// The topic, if any.
        topic: Option<Argument<'static>>,
    },
    /// The session is over; once the output is flushed the transport closes.
    Closed {
        /// Why.
        reason: CloseReason,
    },
}
