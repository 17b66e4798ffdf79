//! Errors of the IMAP codec and of the validating constructors of [`crate::types`].
//!
//! Messages are lowercase and never contain input bytes: a malformed line may carry
//! credentials. Offsets point into the input given to the decoder.

/// Why bytes are not a valid IMAP message, or exceed a configured limit.
///
/// Incomplete input is not an error: decoders return [`mailwire_core::Status::Partial`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes do not follow the grammar.
    #[error("syntax error at offset {offset}: expected {expected}")]
    Syntax {
        /// Offset of the first byte that does not fit.
        offset: usize,
        /// What the grammar expected there.
        expected: &'static str,
    },
    /// A number does not fit its range (32 bits, 63 bits, or non-zero).
    #[error("number out of range at offset {offset}")]
    NumberOutOfRange {
        /// Offset of the number.
        offset: usize,
    },
    /// A literal announces more octets than [`crate::codec::Limits::max_literal_length`]
    /// allows. Reported as soon as the announcement is read, before any literal byte.
    #[error("literal of {length} octets exceeds the limit of {limit}")]
    LiteralTooLarge {
        /// The announced length.
        length: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A non-synchronizing literal (`{n+}`) where the capabilities in effect do not allow
    /// it: no LITERAL+ / LITERAL-, larger than 4096 octets under LITERAL-, or sent by a
    /// server (RFC 7888 §3).
    #[error("non-synchronizing literal of {length} octets is not allowed here")]
    NonSyncLiteralNotAllowed {
        /// The announced length.
        length: u64,
    },
    /// Parentheses or body structures nest deeper than the configured limit.
    #[error("nesting deeper than the limit of {limit}")]
    NestingTooDeep {
        /// The limit in force.
        limit: u32,
    },
    /// A line (between literals) is longer than
    /// [`crate::codec::Limits::max_line_length`].
    #[error("line longer than the limit of {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
}

/// Why a value given to a constructor of [`crate::types`] is not valid IMAP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The value is empty where the grammar needs at least one element.
    #[error("{what} must not be empty")]
    Empty {
        /// The kind of value.
        what: &'static str,
    },
    /// The value holds a byte or character the grammar does not allow.
    #[error("{what} holds a character that is not allowed at position {position}")]
    InvalidCharacter {
        /// The kind of value.
        what: &'static str,
        /// Byte position of the first offending character.
        position: usize,
    },
    /// A number or date component is out of its range.
    #[error("{what} is out of range")]
    OutOfRange {
        /// The component.
        what: &'static str,
    },
    /// A mailbox name in modified UTF-7 (RFC 3501 §5.1.3) is malformed.
    #[error("malformed modified utf-7 mailbox name")]
    InvalidUtf7,
}
