//! Errors of the SMTP codec and of the validating constructors of [`crate::types`].
//!
//! One error type serves both: a value read from the wire and a value built by the
//! application go through the same grammar, so they fail the same way. Messages are
//! lowercase and never contain input bytes (a malformed line may carry credentials).

use crate::types::{EnhancedStatusCode, ReplyCode};

/// Why bytes (or a value given to a constructor) are not valid SMTP.
///
/// [`DecodeError::suggested_reply`] maps each case to the reply a server sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The line (line end included) exceeds the configured limit.
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force, in octets, line end included.
        limit: usize,
    },
    /// A line ended with LF alone while CRLF is required.
    #[error("line ends with a bare line feed")]
    BareLineFeed,
    /// The line is not valid UTF-8.
    #[error("line is not valid utf-8")]
    InvalidUtf8,
    /// Octets above 127 appeared while SMTPUTF8 is not in effect.
    #[error("non-ascii octets while smtputf8 is not in effect")]
    NonAscii,
    /// The command verb is not one this codec knows.
    #[error("unrecognized command")]
    UnknownCommand,
    /// The arguments of a known command do not follow its grammar.
    #[error("syntax error in the arguments of {verb}")]
    Syntax {
        /// The command whose arguments are malformed.
        verb: &'static str,
    },
    /// A domain name does not follow the `Domain` grammar of RFC 5321 §4.1.2.
    #[error("invalid domain")]
    InvalidDomain,
    /// A domain label is longer than 63 octets (RFC 1035 §2.3.4).
    #[error("domain label longer than 63 octets")]
    DomainLabelTooLong,
    /// A domain is longer than 255 octets (RFC 5321 §4.5.3.1.2).
    #[error("domain longer than 255 octets")]
    DomainTooLong,
    /// An address literal (`[...]`) is malformed.
    #[error("invalid address literal")]
    InvalidAddressLiteral,
    /// A local part follows neither the Dot-string nor the Quoted-string grammar.
    #[error("invalid local part")]
    InvalidLocalPart,
    /// A local part is longer than 64 octets (RFC 5321 §4.5.3.1.1).
    #[error("local part longer than 64 octets")]
    LocalPartTooLong,
    /// A path is malformed (brackets, source route, missing `@`).
    #[error("invalid path")]
    InvalidPath,
    /// A path is longer than 256 octets (RFC 5321 §4.5.3.1.3).
    #[error("path longer than 256 octets")]
    PathTooLong,
    /// An ESMTP parameter does not follow `esmtp-keyword ["=" esmtp-value]`.
    #[error("malformed esmtp parameter")]
    MalformedParameter,
    /// A known ESMTP parameter has an invalid value (or a value where none is allowed).
    #[error("invalid {keyword} parameter")]
    InvalidParameter {
        /// The parameter keyword, upper case.
        keyword: &'static str,
    },
    /// A known ESMTP parameter appears twice.
    #[error("duplicate {keyword} parameter")]
    DuplicateParameter {
        /// The parameter keyword, upper case.
        keyword: &'static str,
    },
    /// A known parameter of RCPT appears in MAIL or the other way around.
    #[error("{keyword} parameter is not valid in this command")]
    MisplacedParameter {
        /// The parameter keyword, upper case.
        keyword: &'static str,
    },
    /// A parameter given to a constructor names a known parameter, which has its own field.
    #[error("{keyword} has its own typed field")]
    ReservedParameter {
        /// The parameter keyword, upper case.
        keyword: &'static str,
    },
    /// A number does not fit its type (SIZE, BDAT chunk size, ...).
    #[error("number out of range")]
    NumberOutOfRange,
    /// An xtext value (RFC 3461 §4) is malformed.
    #[error("invalid xtext")]
    InvalidXtext,
    /// A SASL response is not valid base64 (RFC 4954 §8).
    #[error("invalid base64")]
    InvalidBase64,
    /// A SASL mechanism name is not `1*20(UPPER-ALPHA / DIGIT / "-" / "_")` (RFC 4422 §3.1).
    #[error("invalid sasl mechanism name")]
    InvalidMechanism,
    /// Free text contains a control character (CR, LF, NUL, ...).
    #[error("invalid character in text")]
    InvalidText,
    /// A reply code is not `[2-5][0-5][0-9]`.
    #[error("invalid reply code")]
    InvalidReplyCode,
    /// A reply line is neither `code SP text`, `code-text` nor a bare `code`.
    #[error("malformed reply line")]
    MalformedReplyLine,
    /// The lines of one multi-line reply carry different codes.
    #[error("reply lines carry different codes")]
    InconsistentReplyCodes,
    /// A multi-line reply has more lines than the configured limit.
    #[error("reply has more than {limit} lines")]
    TooManyReplyLines {
        /// The limit in force.
        limit: usize,
    },
    /// An enhanced status code is not `class.subject.detail` (RFC 3463 §2) or its class
    /// disagrees with the reply code.
    #[error("invalid enhanced status code")]
    InvalidEnhancedStatusCode,
    /// An EHLO reply line is not `ehlo-keyword *(SP ehlo-param)`.
    #[error("invalid ehlo line")]
    InvalidEhloLine,
    /// A registered EHLO keyword has parameters that do not follow its grammar.
    #[error("invalid parameters of the {keyword} capability")]
    InvalidCapability {
        /// The capability keyword, upper case.
        keyword: &'static str,
    },
    /// An EHLO reply does not carry the 250 code.
    #[error("ehlo reply is not a 250 reply")]
    NotEhloReply,
}

impl DecodeError {
    /// The reply a server answers a command with when decoding it failed this way.
    ///
    /// Follows RFC 5321 §4.2 and the enhanced codes of RFC 3463: 500 5.5.2 for over-long
    /// lines, 500 5.5.1 for unknown commands, 555 5.5.4 for parameter errors, 553/501 with
    /// 5.1.x for bad addresses, 501 5.5.4 for other syntax errors.
    pub fn suggested_reply(&self) -> (ReplyCode, EnhancedStatusCode) {
        use DecodeError as E;
        let (code, subject, detail) = match self {
            E::LineTooLong { .. } => (500, 5, 2),
            E::UnknownCommand => (500, 5, 1),
            E::BareLineFeed | E::InvalidUtf8 => (500, 5, 2),
            E::NonAscii => (553, 6, 7),
            E::InvalidDomain | E::DomainLabelTooLong | E::DomainTooLong => (501, 1, 2),
            E::InvalidAddressLiteral
            | E::InvalidLocalPart
            | E::LocalPartTooLong
            | E::InvalidPath
            | E::PathTooLong => (501, 1, 3),
            E::MalformedParameter
            | E::InvalidParameter { .. }
            | E::DuplicateParameter { .. }
            | E::MisplacedParameter { .. }
            | E::ReservedParameter { .. }
            | E::InvalidXtext => (555, 5, 4),
            E::InvalidMechanism => (504, 5, 4),
            E::InvalidBase64 => (501, 5, 2),
            E::Syntax { .. }
            | E::NumberOutOfRange
            | E::InvalidText
            | E::InvalidReplyCode
            | E::MalformedReplyLine
            | E::InconsistentReplyCodes
            | E::TooManyReplyLines { .. }
            | E::InvalidEnhancedStatusCode
            | E::InvalidEhloLine
            | E::InvalidCapability { .. }
            | E::NotEhloReply => (501, 5, 4),
        };
        (
            ReplyCode::from_valid(code),
            EnhancedStatusCode::from_valid(5, subject, detail),
        )
    }
}
