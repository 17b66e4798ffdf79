//! Errors of the message parsers.

use crate::header::{FieldError, HeaderError};

/// Why a message could not be parsed. Every variant is a limit of
/// [`Limits`](crate::limits::Limits) that the message exceeds: anything else in a
/// message, however malformed, is parsed the way common clients read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A header section exceeds [`HeaderLimits`](crate::header::HeaderLimits).
    #[error("header section of part {part:?} exceeds a limit")]
    Header {
        /// The part path (`""` for the top-level multipart or message header).
        part: String,
        /// Which limit.
        #[source]
        source: HeaderError,
    },
    /// A Content-Type or Content-Disposition parameter list exceeds
    /// [`ParameterLimits`](crate::header::ParameterLimits).
    #[error("parameters of part {part:?} exceed a limit")]
    Parameters {
        /// The part path.
        part: String,
        /// Which limit.
        #[source]
        source: FieldError,
    },
    /// Multiparts or encapsulated messages nest deeper than
    /// [`Limits::max_depth`](crate::limits::Limits::max_depth).
    #[error("parts nest deeper than {limit} levels")]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// More entities than [`Limits::max_parts`](crate::limits::Limits::max_parts).
    #[error("message has more than {limit} parts")]
    TooManyParts {
        /// The limit in force.
        limit: usize,
    },
}

/// Why the streaming parser refused input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The message exceeds a limit; the parser stays failed with this error.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Input was fed after [`StreamParser::finish`](crate::stream::StreamParser::finish).
    #[error("input after the end of the message")]
    Finished,
}
