//! RFC 5322 / MIME header sections and fields.
//!
//! - [`HeaderSection`] splits a header block into [`HeaderField`]s that
//!   borrow the input (raw name, raw folded value, byte range), under
//!   [`HeaderLimits`].
//! - Structured field values parse into typed values that borrow the raw
//!   value where they can: [`AddressList`] / [`Mailbox`] / [`Group`],
//!   [`DateTime`], [`MessageId`], [`Received`], [`ReturnPath`],
//!   [`MimeVersion`], [`ContentType`], [`ContentDisposition`],
//!   [`ContentTransferEncoding`] and their [`Parameters`] (RFC 2231).
//! - [`HeaderSection`] has shortcuts for the common fields
//!   ([`HeaderSection::subject`], [`HeaderSection::addresses`], ...).
//! - Unstructured values decode with
//!   [`decode_unstructured`](crate::encoded_word::decode_unstructured).
//!
//! Every structured parser takes the raw value as it is in the input
//! (still folded, leading space included): line breaks count as
//! whitespace, so no unfolding copy is needed first.
//!
//! ```
//! use mailwire_mime::header::{ContentType, HeaderLimits, HeaderSection};
//!
//! let msg = b"From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\r\n\
//! Subject: Hello\r\n world\r\n\
//! Content-Type: text/plain; charset=\"utf-8\"\r\n\
//! \r\n\
//! body";
//! let header = HeaderSection::parse(msg, &HeaderLimits::default())?;
//! assert_eq!(header.subject().as_deref(), Some("Hello world"));
//! let from = header.addresses("from").unwrap_or_default();
//! let author = from.mailboxes().next().map(|m| (m.name(), m.address()));
//! assert_eq!(author, Some((Some("Jörg"), "j@example.org")));
//! let content_type = ContentType::parse(header.get_raw("content-type").unwrap_or_default())?;
//! assert_eq!(content_type.charset(), Some("utf-8"));
//! assert_eq!(header.body(), b"body");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod address;
mod content_type;
mod date;
pub(crate) mod lex;
mod msgid;
mod params;
mod received;
pub mod section;

use std::borrow::Cow;

pub use address::{Address, AddressList, Group, Mailbox, ReturnPath};
pub use date::{DateTime, Weekday};
pub use msgid::MessageId;
pub use received::{MimeVersion, Received, ReceivedToken};

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

/// Shortcuts for the common fields. Each reads the first field of that
/// name and gives `None` when it is absent or cannot be parsed; use
/// [`HeaderSection::get`] and the parsers for the details.
impl<'a> HeaderSection<'a> {
    /// The decoded unstructured text of field `name` (Subject, Comments,
    /// X-...), see [`crate::encoded_word::decode_unstructured`].
    pub fn text(&self, name: &str) -> Option<Cow<'a, str>> {
        self.get_raw(name)
            .map(crate::encoded_word::decode_unstructured)
    }

    /// The decoded Subject.
    pub fn subject(&self) -> Option<Cow<'a, str>> {
        self.text("Subject")
    }

    /// The address list of field `name` (From, To, Cc, Bcc, Reply-To,
    /// Resent-To, ...).
    pub fn addresses(&self, name: &str) -> Option<AddressList<'a>> {
        self.get_raw(name).map(AddressList::parse)
    }

    /// The Date field.
    pub fn date(&self) -> Option<DateTime> {
        self.get_raw("Date")
            .and_then(|raw| DateTime::parse(raw).ok())
    }

    /// The Message-ID field.
    pub fn message_id(&self) -> Option<MessageId<'a>> {
        self.get_raw("Message-ID")
            .and_then(|raw| MessageId::parse(raw).ok())
    }

    /// The identifiers of the In-Reply-To field (empty if absent).
    pub fn in_reply_to(&self) -> Vec<MessageId<'a>> {
        self.get_raw("In-Reply-To")
            .map(MessageId::parse_list)
            .unwrap_or_default()
    }

    /// The identifiers of the References field (empty if absent).
    pub fn references(&self) -> Vec<MessageId<'a>> {
        self.get_raw("References")
            .map(MessageId::parse_list)
            .unwrap_or_default()
    }

    /// The Content-Type field (callers default to
    /// [`ContentType::default_text_plain`] when this is `None`).
    pub fn content_type(&self) -> Option<ContentType<'a>> {
        self.get_raw("Content-Type")
            .and_then(|raw| ContentType::parse(raw).ok())
    }

    /// The Content-Disposition field.
    pub fn content_disposition(&self) -> Option<ContentDisposition<'a>> {
        self.get_raw("Content-Disposition")
            .and_then(|raw| ContentDisposition::parse(raw).ok())
    }

    /// The Content-Transfer-Encoding field (7bit when this is `None`).
    pub fn content_transfer_encoding(&self) -> Option<ContentTransferEncoding<'a>> {
        self.get_raw("Content-Transfer-Encoding")
            .and_then(|raw| ContentTransferEncoding::parse(raw).ok())
    }

    /// The MIME-Version field.
    pub fn mime_version(&self) -> Option<MimeVersion> {
        self.get_raw("MIME-Version")
            .and_then(|raw| MimeVersion::parse(raw).ok())
    }

    /// The Return-Path field.
    pub fn return_path(&self) -> Option<ReturnPath<'a>> {
        self.get_raw("Return-Path")
            .and_then(|raw| ReturnPath::parse(raw).ok())
    }

    /// Every Received field, parsed, in input order (newest first).
    pub fn received(&self) -> Vec<Received<'a>> {
        self.get_all("Received")
            .map(|f| Received::parse(f.raw_value()))
            .collect()
    }
}
