//! Errors of the client machine: caller bugs ([`ClientError`], returned by the decision
//! methods) and the server's protocol violations ([`ProtocolError`], reported as events).

use crate::error::DecodeError;
use crate::types::{ReplyCode, Verb};

/// Why the client machine refused a call of the application.
///
/// These are decisions the machine cannot carry out in its current state; nothing was
/// sent and the session goes on as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The session is closed, or QUIT was already requested.
    #[error("the session is closed")]
    Closed,
    /// Another exchange (greeting, EHLO, STARTTLS, AUTH or a mail transaction) is in
    /// progress; wait for its outcome event.
    #[error("another exchange is in progress")]
    Busy,
    /// The server did not advertise the extension this call needs.
    #[error("the server does not offer {extension}")]
    NotOffered {
        /// The EHLO keyword, upper case.
        extension: &'static str,
    },
    /// The SASL mechanism is not in the server's AUTH list.
    #[error("the server does not offer this sasl mechanism")]
    MechanismNotOffered,
    /// The connection is already encrypted.
    #[error("tls is already active")]
    TlsActive,
    /// The session is already authenticated (RFC 4954 §4 forbids a second AUTH).
    #[error("the session is already authenticated")]
    AlreadyAuthenticated,
    /// A mail transaction needs at least one recipient.
    #[error("the transaction has no recipient")]
    NoRecipients,
    /// The declared size exceeds the limit the server advertised with SIZE.
    #[error("declared size {declared} exceeds the server limit {limit}")]
    TooLarge {
        /// The size declared by the application.
        declared: u64,
        /// The server's SIZE limit.
        limit: u64,
    },
    /// This command changes the machine's state and has its own method.
    #[error("{verb} has its own method on the client")]
    UseDedicatedMethod {
        /// The command's verb.
        verb: Verb,
    },
    /// No transaction is waiting for body data (none active, or its body was finished).
    #[error("no transaction is waiting for body data")]
    NoBodyExpected,
    /// The credentials cannot be sent (PLAIN cannot carry a NUL in a field).
    #[error("the credentials contain a nul octet")]
    InvalidCredentials,
    /// No SASL challenge is waiting for the application's response.
    #[error("no sasl challenge is waiting for a response")]
    NoChallengePending,
}

/// A violation of the protocol by the server, reported as
/// [`ClientEvent::ProtocolError`](crate::client::ClientEvent::ProtocolError).
///
/// The messages never contain the server's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Bytes that are not a valid reply; the session is closed, as replies can no longer
    /// be matched with commands.
    #[error("malformed reply: {0}")]
    MalformedReply(DecodeError),
    /// A reply arrived while no command was waiting for one, and the connection ended
    /// before a command it could answer was sent (such a reply waits for the next
    /// command, as the server may just have been faster than the application); the
    /// session is closed.
    #[error("reply {code} arrived while no command was outstanding")]
    UnexpectedReply {
        /// Its code.
        code: ReplyCode,
    },
    /// A reply code that the command does not allow (for example 250 to DATA).
    #[error("reply code {code} is not valid for {verb}")]
    UnexpectedCode {
        /// The command it answered.
        verb: Verb,
        /// The code received.
        code: ReplyCode,
    },
    /// More than [`ClientConfig::max_unsolicited_input`](crate::client::ClientConfig)
    /// octets arrived while no command was waiting for a reply; the session is closed.
    #[error("{octets} octets arrived while no command was outstanding")]
    UnsolicitedInput {
        /// How many octets were buffered.
        octets: usize,
    },
    /// The EHLO/LHLO reply could not be read as capabilities; the session goes on as if
    /// none were offered.
    #[error("unreadable capabilities: {0}")]
    MalformedCapabilities(DecodeError),
    /// A 334 challenge whose text is not base64; the exchange is cancelled with `*`.
    #[error("sasl challenge is not valid base64")]
    MalformedChallenge,
    /// The server sent bytes after its 220 reply to STARTTLS, before the TLS handshake
    /// (a response injection attempt); they were discarded. Reported once the handshake
    /// is done (or the session closed), with the total.
    #[error("{octets} octets after the starttls reply were discarded")]
    DataAfterStartTls {
        /// How many octets were discarded.
        octets: usize,
    },
}
