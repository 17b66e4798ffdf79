//! What the client machine tells the application.

use std::fmt;

use crate::client::config::Waiting;
use crate::client::error::ProtocolError;
use crate::types::{EhloResponse, EnhancedStatusCode, ForwardPath, Reply, ReplyCode, Verb};

/// Identifies a command sent with [`Client::send`](crate::client::Client::send); the
/// [`ClientEvent::Reply`] to it carries the same id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub(crate) u64);

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "command#{}", self.0)
    }
}

/// Identifies a mail transaction started with
/// [`Client::start_mail`](crate::client::Client::start_mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub(crate) u64);

impl fmt::Display for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "transaction#{}", self.0)
    }
}

/// How a reply classifies a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientStatus {
    /// 2yz: accepted (at RCPT: the server will take the message for it; after the
    /// content: the server took responsibility for it).
    Accepted,
    /// 4yz: temporarily refused; try again later.
    Deferred,
    /// 5yz (or a code the command does not allow): refused for good.
    Rejected,
}

impl RecipientStatus {
    /// The status a reply code means.
    pub fn from_code(code: ReplyCode) -> Self {
        if code.is_positive() {
            RecipientStatus::Accepted
        } else if code.is_transient_failure() {
            RecipientStatus::Deferred
        } else {
            RecipientStatus::Rejected
        }
    }
}

/// When a recipient's result was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientStage {
    /// The reply to its RCPT command.
    Rcpt,
    /// The outcome after the content (the final reply with SMTP, the recipient's own
    /// reply with LMTP, or the reply that ended the transaction early). Only recipients
    /// accepted at RCPT get one.
    Delivery,
}

/// The result of one recipient of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientResult {
    /// The transaction.
    pub transaction: TransactionId,
    /// The recipient's position in the envelope, from 0.
    pub index: usize,
    /// The recipient.
    pub recipient: ForwardPath<'static>,
    /// When it was decided.
    pub stage: RecipientStage,
    /// Accepted, deferred or rejected.
    pub status: RecipientStatus,
    /// The server's reply.
    pub reply: Reply<'static>,
}

impl RecipientResult {
    /// The reply's enhanced status code (RFC 2034), if any.
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.reply.enhanced()
    }
}

/// Where a transaction failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureStage {
    /// MAIL FROM was refused.
    Sender,
    /// No recipient was accepted.
    Recipients,
    /// DATA (or the first BDAT) was refused before any content was taken.
    DataCommand,
    /// The content was refused: the reply after the end of data, or a refused BDAT
    /// chunk. With LMTP, every recipient's reply was a failure.
    Content,
    /// The connection ended (closed, timed out, 421, protocol error) before the
    /// transaction did (with LMTP: before any recipient's reply after the content was
    /// positive). [`TransactionReport::unanswered`] lists the recipients to try again.
    Connection,
}

/// How a transaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionOutcome {
    /// The server took responsibility for the message, for `recipients` recipients
    /// (the [`RecipientResult`]s of stage [`RecipientStage::Delivery`] say which).
    ///
    /// With LMTP this is also the outcome when the connection ended after some
    /// recipients' replies arrived and at least one was positive (RFC 2033 §5: the
    /// replies that arrived count, the rest are temporary failures, listed in
    /// [`TransactionReport::unanswered`]).
    Accepted {
        /// How many recipients it accepted the message for.
        recipients: usize,
    },
    /// Nothing was delivered.
    Failed {
        /// Where it failed.
        stage: FailureStage,
        /// True when the failure is temporary (4yz reply, or a connection problem).
        temporary: bool,
    },
}

/// The end of a mail transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionReport {
    /// The transaction.
    pub transaction: TransactionId,
    /// Accepted or failed.
    pub outcome: TransactionOutcome,
    /// The reply that decided the outcome when there is a single one: the reply after
    /// the content (SMTP), the reply that refused the transaction, or the 421 that
    /// ended the connection under it. `None` with LMTP success (see the recipients'
    /// results), when no recipient was accepted, or when the connection ended without
    /// a reply.
    pub reply: Option<Reply<'static>>,
    /// When the connection ended under the transaction: the envelope positions (from
    /// 0, in order) of the recipients the server never gave a final answer, neither a
    /// refusal at RCPT nor a [`RecipientStage::Delivery`] result. They are temporary
    /// failures, to be tried again (RFC 2033 §5; for SMTP, RFC 5321 §6.1: the message
    /// may or may not have been taken). Empty when the transaction ended otherwise.
    pub unanswered: Vec<usize>,
}

/// An event of the client machine, read with
/// [`Session::poll_event`](mailwire_core::Session::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server greeted with 220; the machine sends EHLO (LHLO) by itself.
    Greeting {
        /// The greeting.
        reply: Reply<'static>,
    },
    /// The server refused the session in its greeting (554, or another failure code);
    /// the machine sends QUIT and closes.
    GreetingRefused {
        /// The greeting.
        reply: Reply<'static>,
    },
    /// EHLO, HELO or LHLO succeeded: the session is ready for STARTTLS, AUTH, mail
    /// transactions and other commands. Comes again after STARTTLS.
    Ready {
        /// The command that succeeded.
        hello: Verb,
        /// The advertised capabilities; `None` after a HELO fallback.
        capabilities: Option<EhloResponse<'static>>,
        /// True when the connection is encrypted (after STARTTLS, or implicit TLS).
        tls: bool,
    },
    /// EHLO/LHLO (and the HELO fallback) were refused; the machine sends QUIT and closes.
    HelloRefused {
        /// The refusal.
        reply: Reply<'static>,
    },
    /// The reply to a command sent with [`Client::send`](crate::client::Client::send).
    Reply {
        /// The command's id.
        id: CommandId,
        /// The reply.
        reply: Reply<'static>,
    },
    /// STARTTLS was refused; the session goes on unencrypted (the application decides
    /// whether to quit).
    StartTlsRefused {
        /// The refusal.
        reply: Reply<'static>,
    },
    /// AUTH succeeded (235).
    Authenticated {
        /// The 235 reply.
        reply: Reply<'static>,
    },
    /// A generic SASL mechanism got a challenge (334); answer with
    /// [`Client::auth_respond`](crate::client::Client::auth_respond) or
    /// [`Client::auth_cancel`](crate::client::Client::auth_cancel).
    AuthChallenge {
        /// The decoded challenge (possibly empty).
        challenge: Vec<u8>,
    },
    /// AUTH failed or was cancelled; the session goes on unauthenticated.
    AuthFailed {
        /// The failure reply.
        reply: Reply<'static>,
    },
    /// A recipient's result, at RCPT time and again after the content.
    Recipient(RecipientResult),
    /// The server is ready for the content (354 to DATA, or every RCPT answered when
    /// BDAT is used); body chunks given earlier are on their way.
    BodyReady {
        /// The transaction.
        transaction: TransactionId,
    },
    /// A mail transaction ended; the machine is ready for the next one.
    TransactionDone(TransactionReport),
    /// The server closes the session (421, RFC 5321 §3.8); the machine closes.
    ServiceClosing {
        /// The 421 reply.
        reply: Reply<'static>,
    },
    /// A reply did not come in time; the machine closes.
    TimedOut {
        /// What it waited for.
        waiting: Waiting,
    },
    /// The server broke the protocol; see each variant for what the machine did.
    ProtocolError(ProtocolError),
    /// The server closed the connection while the session was still in use.
    ConnectionLost,
}
