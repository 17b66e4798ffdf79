//! FETCH data computed from a message's bytes (feature `mime`): ENVELOPE, BODY and
//! BODYSTRUCTURE, RFC822.SIZE, `BODY[section]<partial>`, `BINARY[part]` and
//! `BINARY.SIZE` (RFC 3501 §6.4.5 and §7.4.2, RFC 3516), as this crate's own types.
//!
//! [`FetchView::parse`] reads the message once with `mailwire-mime`'s tree parser;
//! every item is then computed from that tree and the input bytes.
//!
//! Conventions, where the RFCs leave a choice:
//! - Media types, subtypes, parameter names and transfer encodings are sent in upper
//!   case (as the RFC 3501 §7.4.2 example does); parameter values as the message gives
//!   them (RFC 2231 continuations joined).
//! - Date, Subject, In-Reply-To, Message-ID, Content-ID, Content-Description,
//!   Content-MD5 and Content-Location are the raw field values, unfolded and trimmed.
//! - An address without a domain gets host `MISSING_DOMAIN`, one without a local part
//!   mailbox `MISSING_MAILBOX` (NIL would read as group syntax).
//! - A multipart whose boundary never appears gets one empty `TEXT/PLAIN` part, since
//!   BODYSTRUCTURE needs a part at least.
//! - A text part without a charset parameter gets `CHARSET us-ascii` (RFC 2045 §5.2),
//!   and line counts are line feeds (a last line without one, as a part has before its
//!   delimiter, does not count), both as Dovecot reports them.
//! - Non-ASCII display and group names (decoded by the parser) go out as RFC 2047
//!   encoded words again.
//! - NUL octets, which an IMAP string cannot hold, are dropped from header values.
//! - A section naming no part, or HEADER/TEXT below a part that is not a message, is a
//!   [`SectionError`]; a server may answer it with an empty string, as Dovecot does.

mod envelope;
mod section;
mod structure;

use std::num::NonZeroU32;

use mailwire_mime::tree::{Message, Part};

use crate::types::{BodyStructure, Envelope, FetchAttribute, IString, MessageDataItem, NString};

pub use section::SectionError;

/// Why a FETCH item could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchDataError {
    /// The message exceeds the parser's limits.
    #[error("message cannot be parsed")]
    Parse(#[source] mailwire_mime::error::ParseError),
    /// A section or part could not be served.
    #[error(transparent)]
    Section(#[from] SectionError),
    /// A size does not fit the 32 bits the IMAP grammar allows there.
    #[error("{what} of {size} octets does not fit in 32 bits")]
    TooLarge {
        /// What was measured.
        what: &'static str,
        /// Its size.
        size: u64,
    },
    /// The attribute is not computed from the message bytes (FLAGS, UID, ...).
    #[error("fetch attribute is not computed from the message bytes")]
    NotFromBytes,
}

/// A parsed message, ready to answer FETCH items.
#[derive(Debug, Clone)]
pub struct FetchView<'a> {
    message: Message<'a>,
}

impl<'a> FetchView<'a> {
    /// Parses `input` (the message as stored, CRLF line ends expected) with the default
    /// limits of `mailwire-mime`.
    pub fn parse(input: &'a [u8]) -> Result<Self, FetchDataError> {
        Message::parse(input)
            .map(|message| FetchView { message })
            .map_err(FetchDataError::Parse)
    }

    /// Wraps a message parsed already (with limits of the caller's choice).
    pub fn from_message(message: Message<'a>) -> Self {
        FetchView { message }
    }

    /// The parsed tree.
    pub fn message(&self) -> &Message<'a> {
        &self.message
    }

    /// RFC822.SIZE: the message's size in octets.
    pub fn rfc822_size(&self) -> u64 {
        u64::try_from(self.message.input().len()).unwrap_or(u64::MAX)
    }

    /// ENVELOPE of the message.
    pub fn envelope(&self) -> Envelope<'static> {
        envelope::envelope(self.message.root())
    }

    /// BODYSTRUCTURE (`extensions` true) or BODY (false).
    pub fn body_structure(
        &self,
        extensions: bool,
    ) -> Result<BodyStructure<'static>, FetchDataError> {
        structure::body_structure(self.message.root(), extensions)
    }

    /// `BODY[section]<partial>`: the octets of `section` (`None` for the whole
    /// message), cut to `partial` when given (an origin past the end gives nothing).
    pub fn section(
        &self,
        section: Option<&crate::types::Section<'_>>,
        partial: Option<crate::types::Partial>,
    ) -> Result<Vec<u8>, FetchDataError> {
        let whole = section::section(&self.message, section)?;
        Ok(section::cut(&whole, partial).to_vec())
    }

    /// `BINARY[part]<partial>`: the part's body with its transfer encoding undone (the
    /// whole message as stored for an empty path).
    pub fn binary(
        &self,
        part: &[NonZeroU32],
        partial: Option<crate::types::Partial>,
    ) -> Result<Vec<u8>, FetchDataError> {
        let whole = section::binary(&self.message, part)?;
        Ok(section::cut(&whole, partial).to_vec())
    }

    /// `BINARY.SIZE[part]`: the size of [`FetchView::binary`] without a partial.
    pub fn binary_size(&self, part: &[NonZeroU32]) -> Result<u32, FetchDataError> {
        let whole = section::binary(&self.message, part)?;
        fit_u32("binary size", whole.len())
    }

    /// The FETCH response item for `attribute`, for every attribute computed from the
    /// message bytes. FLAGS, INTERNALDATE, UID and MODSEQ come from the mailbox, not
    /// from here: [`FetchDataError::NotFromBytes`].
    pub fn item(
        &self,
        attribute: &FetchAttribute<'_>,
    ) -> Result<MessageDataItem<'static>, FetchDataError> {
        use crate::types::IntoOwned;
        let input = self.message.input();
        Ok(match attribute {
            FetchAttribute::Envelope => MessageDataItem::Envelope(Box::new(self.envelope())),
            FetchAttribute::Body => MessageDataItem::Body(Box::new(self.body_structure(false)?)),
            FetchAttribute::BodyStructure => {
                MessageDataItem::BodyStructure(Box::new(self.body_structure(true)?))
            }
            FetchAttribute::Rfc822Size => MessageDataItem::Rfc822Size(self.rfc822_size()),
            FetchAttribute::Rfc822 => MessageDataItem::Rfc822(literal(input.to_vec())),
            FetchAttribute::Rfc822Header => {
                let root = self.message.root();
                let header = input.get(root.header_range()).unwrap_or_default();
                MessageDataItem::Rfc822Header(literal(header.to_vec()))
            }
            FetchAttribute::Rfc822Text => {
                MessageDataItem::Rfc822Text(literal(self.message.root().body().to_vec()))
            }
            FetchAttribute::BodySection {
                section, partial, ..
            } => {
                let data = self.section(section.as_ref(), *partial)?;
                MessageDataItem::BodySection {
                    section: section.clone().map(IntoOwned::into_owned),
                    origin: origin(*partial)?,
                    data: literal(data),
                }
            }
            FetchAttribute::Binary { part, partial, .. } => MessageDataItem::Binary {
                part: part.clone(),
                origin: origin(*partial)?,
                data: Some(self.binary(part, *partial)?.into()),
            },
            FetchAttribute::BinarySize { part } => MessageDataItem::BinarySize {
                part: part.clone(),
                size: self.binary_size(part)?,
            },
            FetchAttribute::Flags
            | FetchAttribute::InternalDate
            | FetchAttribute::Uid
            | FetchAttribute::ModSeq => return Err(FetchDataError::NotFromBytes),
        })
    }
}

/// The origin a partial response names (`BODY[]<origin>`).
fn origin(partial: Option<crate::types::Partial>) -> Result<Option<u32>, FetchDataError> {
    partial
        .map(|partial| {
            u32::try_from(partial.offset).map_err(|_| FetchDataError::TooLarge {
                what: "partial origin",
                size: partial.offset,
            })
        })
        .transpose()
}

/// Octets as an nstring: never NIL, and the encoder picks a literal when needed. NUL
/// octets (allowed in a literal8 only) are dropped.
fn literal(bytes: Vec<u8>) -> NString<'static> {
    Some(string_without_nul(bytes))
}

fn string_without_nul(mut bytes: Vec<u8>) -> IString<'static> {
    bytes.retain(|&byte| byte != 0);
    IString::from_checked(std::borrow::Cow::Owned(bytes))
}

/// A size as the u32 the grammar allows.
fn fit_u32(what: &'static str, size: usize) -> Result<u32, FetchDataError> {
    u32::try_from(size).map_err(|_| FetchDataError::TooLarge {
        what,
        size: u64::try_from(size).unwrap_or(u64::MAX),
    })
}

/// The raw value of a header field, unfolded and trimmed, as an nstring; NIL when the
/// field is absent.
fn raw_field(part: &Part<'_>, name: &str) -> NString<'static> {
    part.header()
        .get(name)
        .map(|field| string_without_nul(field.unfolded_value().into_owned()))
}
