//! Error types.
//!
//! Decode errors name what was wrong, never the bytes that were received (they may hold
//! credentials). Machine errors are for caller bugs: a wrong id, a decision that does
//! not fit the request, a closed session.

/// Why bytes could not be decoded into a POP3 command or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The line ends with a bare LF instead of CRLF.
    #[error("line ends with a bare lf")]
    BareLineFeed,
    /// The line holds a CR or NUL that is not part of its line end.
    #[error("line holds a control character")]
    ControlCharacter,
    /// The line is longer than the limit.
    #[error("line too long")]
    LineTooLong,
    /// The command keyword is not a POP3 command.
    #[error("unknown command")]
    UnknownCommand,
    /// A required argument is missing.
    #[error("missing argument")]
    MissingArgument,
    /// The command got more arguments than it takes.
    #[error("too many arguments")]
    TooManyArguments,
    /// An argument is malformed; the field names which one.
    #[error("invalid {0}")]
    InvalidArgument(&'static str),
    /// A SASL response or challenge is not valid base64 (RFC 5034 §4).
    #[error("invalid base64")]
    InvalidBase64,
    /// A response does not start with "+OK", "-ERR" or (in AUTH) "+ ".
    #[error("invalid status indicator")]
    InvalidStatus,
    /// A line of a multi-line response is malformed; the field names which kind.
    #[error("invalid {0} line")]
    InvalidListing(&'static str),
    /// A multi-line response has more lines than the limit allows.
    #[error("too many lines in a multi-line response")]
    TooManyLines,
}

/// Why a value could not be built from the given parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// The value is empty but must not be.
    #[error("empty {0}")]
    Empty(&'static str),
    /// The value holds a character its kind does not allow.
    #[error("invalid character in {0}")]
    InvalidCharacter(&'static str),
    /// The value is longer than its kind allows.
    #[error("{0} too long")]
    TooLong(&'static str),
    /// A message number must be at least 1.
    #[error("message numbers start at 1")]
    ZeroMessageNumber,
}

/// A decision or command the machine cannot take (a bug in the caller, not in the peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// No request with this id is waiting for a decision.
    #[error("no pending request with this id")]
    UnknownId,
    /// The decision does not fit the request (for example a body for a STAT).
    #[error("decision does not fit the pending request")]
    WrongDecision,
    /// The session is closed.
    #[error("session closed")]
    Closed,
    /// The command is not allowed now (for example APOP without a greeting timestamp,
    /// or a command after QUIT).
    #[error("command not allowed in this state")]
    NotAllowed,
    /// The command line would exceed the 255-octet limit of RFC 2449 §4.
    #[error("command line too long")]
    CommandTooLong,
    /// A response text holds CR, LF or NUL.
    #[error("text holds a line break or nul")]
    InvalidText,
}
