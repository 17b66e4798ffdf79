//! Errors of the client machine: calls it refuses ([`ClientError`], returned to the
//! application) and the server's violations ([`ProtocolError`], reported as events).

use crate::error::{DecodeError, ValidationError};

/// Why the client machine refused a call of the application. Nothing was queued or sent
/// and the session goes on as before.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The session is closed, or the server said BYE.
    #[error("the session is closed")]
    Closed,
    /// LOGOUT was already sent or queued.
    #[error("logout is in progress")]
    LoggingOut,
    /// The server's capabilities (known at the time of the call) do not include the
    /// extension this command needs.
    #[error("the server does not offer {capability}")]
    NotOffered {
        /// The capability name.
        capability: &'static str,
    },
    /// The server does not offer this SASL mechanism (`AUTH=` capability).
    #[error("the server does not offer this sasl mechanism")]
    MechanismNotOffered,
    /// The server advertises LOGINDISABLED (RFC 3501 §6.2.3): use STARTTLS or
    /// AUTHENTICATE.
    #[error("the server disabled login")]
    LoginDisabled,
    /// TLS is already active.
    #[error("tls is already active")]
    TlsActive,
    /// The command cannot be sent in the current state (STARTTLS after login, a second
    /// IDLE, ...).
    #[error("the command is not allowed in the current state")]
    WrongState,
    /// No command with this id is outstanding.
    #[error("no such command is outstanding")]
    UnknownCommand,
    /// No SASL challenge of this command waits for the application's answer.
    #[error("no sasl challenge is waiting for a response")]
    NoChallengePending,
    /// No IDLE is outstanding.
    #[error("no idle is in progress")]
    NotIdling,
    /// The tag generator returned a tag that an outstanding command already has.
    #[error("the generated tag is already in use")]
    DuplicateTag,
    /// A command the machine cannot carry out (COMPRESS: the transport would have to
    /// change under bytes already read).
    #[error("{command} is not supported by the client machine")]
    Unsupported {
        /// The command name.
        command: &'static str,
    },
    /// An argument is not valid IMAP (a NUL in a string, an empty mailbox name, ...).
    #[error("invalid argument: {0}")]
    Invalid(#[from] ValidationError),
}

/// A violation of the protocol by the server, reported as
/// [`ClientEvent::ProtocolError`](crate::client::ClientEvent::ProtocolError). The
/// messages never contain the server's bytes.
///
/// [`ProtocolError::is_fatal`] says which ones end the session (framing can no longer
/// be trusted); the others are reported and the session goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The greeting is not `* OK`, `* PREAUTH` or `* BYE`.
    #[error("malformed greeting: {0}")]
    MalformedGreeting(DecodeError),
    /// A response, framed correctly, does not follow the grammar; it was skipped. If it
    /// was a command's completion, that command is answered by the response timeout.
    #[error("malformed response: {0}")]
    MalformedResponse(DecodeError),
    /// A literal announcement that cannot be (a non-synchronizing literal from the
    /// server, a length beyond 64 bits).
    #[error("invalid literal announcement: {0}")]
    InvalidLiteral(DecodeError),
    /// A response line longer than [`ClientConfig::max_line_length`](crate::client::ClientConfig::max_line_length).
    #[error("response line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// A response larger than [`ClientConfig::max_response_length`](crate::client::ClientConfig::max_response_length).
    #[error("response larger than {limit} octets")]
    ResponseTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// A literal larger than the limit that applies to it (announced; nothing of it was
    /// read).
    #[error("literal of {length} octets exceeds the limit of {limit}")]
    LiteralTooLarge {
        /// The announced length.
        length: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A line ended with a bare LF (IMAP lines end with CRLF).
    #[error("response line ended with a bare line feed")]
    BareLineFeed,
    /// A tagged response whose tag no outstanding command has; it was ignored.
    #[error("completion for a tag no outstanding command has")]
    UnknownTag,
    /// A continuation request while no command waits for one; it was ignored.
    #[error("continuation request while no command waits for one")]
    UnexpectedContinuation,
    /// An AUTHENTICATE challenge that is not base64 (or not the empty one PLAIN
    /// expects); the exchange was cancelled with `*`.
    #[error("sasl challenge is not valid base64")]
    MalformedChallenge,
    /// The server sent octets after its OK to STARTTLS, before the TLS handshake (a
    /// response injection attempt); they were discarded. Reported once, with the total,
    /// when TLS is established or the session closes.
    #[error("{octets} octets after the starttls completion were discarded")]
    DataAfterStartTls {
        /// How many octets were discarded.
        octets: usize,
    },
}

impl ProtocolError {
    /// True when the error ended the session.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            ProtocolError::MalformedGreeting(_)
                | ProtocolError::InvalidLiteral(_)
                | ProtocolError::LineTooLong { .. }
                | ProtocolError::ResponseTooLarge { .. }
                | ProtocolError::LiteralTooLarge { .. }
                | ProtocolError::BareLineFeed
        )
    }
}
