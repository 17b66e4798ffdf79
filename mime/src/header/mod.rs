//! RFC 5322 / MIME header sections and fields.
//!
//! - [`HeaderSection`] splits a header block into [`HeaderField`]s that
//!   borrow the input (raw name, raw folded value, byte range), under
//!   [`HeaderLimits`].
//! - Structured field values parse into typed values that borrow the raw
//!   value where they can: [`ContentType`], [`ContentDisposition`],
//!   [`ContentTransferEncoding`] and their [`Parameters`] (RFC 2231).
//! - Unstructured values decode with
//!   [`decode_unstructured`](crate::encoded_word::decode_unstructured).
//!
//! Every structured parser takes the raw value as it is in the input
//! (still folded, leading space included): line breaks count as
//! whitespace, so no unfolding copy is needed first.

mod content_type;
mod lex;
mod params;
pub mod section;

pub use content_type::{
    filename, ContentDisposition, ContentTransferEncoding, ContentType, DispositionType,
};
pub use params::{Parameter, ParameterLimits, Parameters};
pub use section::{
    unfold, HeaderError, HeaderField, HeaderLimits, HeaderSection, HeaderTerminator,
};

/// Why a structured field value could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The value is empty (or only whitespace and comments).
    #[error("empty field value")]
    Empty,
    /// The value does not follow the grammar of `what`.
    #[error("invalid {what}")]
    Invalid {
        /// What was being parsed (for example "content type").
        what: &'static str,
    },
    /// More parameters than [`ParameterLimits::max_parameters`].
    #[error("more than {limit} parameters")]
    TooManyParameters {
        /// The limit in force.
        limit: usize,
    },
    /// More RFC 2231 sections for one parameter than
    /// [`ParameterLimits::max_continuations`].
    #[error("parameter has more than {limit} continuation sections")]
    TooManyContinuations {
        /// The limit in force.
        limit: usize,
    },
}
