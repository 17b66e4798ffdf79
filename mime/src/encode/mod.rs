//! Encoders for writing messages: transfer encodings of bodies (quoted-printable, base64 in
//! 76-character lines), RFC 2047 encoded words, RFC 2231 parameters, and header folding.
//!
//! Everything here is total: any input produces valid output, so encoders do not fail.

pub mod base64_body;
pub mod encoded_word;
pub mod field;
pub(crate) mod fold;
pub mod param;
pub mod quoted_printable;

pub use base64_body::{base64_lines, encode_base64_lines};
pub use encoded_word::{choose_word_encoding, encode_words, WordEncoding};
pub use field::{
    parameter_field, structured_field, styled_parameter_field, unstructured_field, EncodeError,
    ParameterStyle,
};
pub use fold::{ENCODED_WORD_LINE_LIMIT, HARD_LINE_LIMIT, SOFT_LINE_LIMIT};
pub use param::encode_parameter;
pub use quoted_printable::{encode_quoted_printable, quoted_printable, QpLineBreaks};
