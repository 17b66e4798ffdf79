//! `BODY[section]`, `BINARY[part]` and partial ranges (RFC 3501 §6.4.5, RFC 3516).

use std::borrow::Cow;
use std::num::NonZeroU32;

use mailwire_mime::header::ContentTransferEncoding;
use mailwire_mime::tree::{Message, Part, PartPath as TreePath};

use crate::types::{IString, PartPath, Partial, Section};

/// Why a section cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SectionError {
    /// The part number names no part of the message.
    #[error("no such part")]
    NoSuchPart,
    /// HEADER, TEXT or HEADER.FIELDS with a part number need a message/rfc822 part.
    #[error("part is not an encapsulated message")]
    NotAMessage,
    /// BINARY of a part whose transfer encoding is unknown (`UNKNOWN-CTE`).
    #[error("unknown content transfer encoding")]
    UnknownEncoding,
}

/// The entity a part number names (the message/rfc822 part itself, not the message it
/// encapsulates, when both share the number).
fn entity<'t, 'a>(
    message: &'t Message<'a>,
    path: &[NonZeroU32],
) -> Result<&'t Part<'a>, SectionError> {
    if path.is_empty() {
        return Ok(message.root());
    }
    let numbers: Vec<u32> = path.iter().map(|number| number.get()).collect();
    message
        .part(&TreePath::from_numbers(numbers))
        .ok_or(SectionError::NoSuchPart)
}

/// The message HEADER, TEXT and HEADER.FIELDS apply to: the whole message, or the one
/// a message/rfc822 part encapsulates.
fn message_entity<'t, 'a>(
    message: &'t Message<'a>,
    path: Option<&PartPath>,
) -> Result<&'t Part<'a>, SectionError> {
    match path {
        None => Ok(message.root()),
        Some(path) => entity(message, path)?
            .message()
            .ok_or(SectionError::NotAMessage),
    }
}

/// The octets of `section`, whole.
pub(super) fn section<'a>(
    message: &Message<'a>,
    section: Option<&Section<'_>>,
) -> Result<Cow<'a, [u8]>, SectionError> {
    let input = message.input();
    let slice = |range: std::ops::Range<usize>| Cow::Borrowed(input.get(range).unwrap_or_default());
    Ok(match section {
        None => Cow::Borrowed(input),
        Some(Section::Part(path)) => slice(entity(message, path)?.body_range()),
        Some(Section::Mime(path)) => slice(entity(message, path)?.header_range()),
        Some(Section::Header(path)) => {
            slice(message_entity(message, path.as_ref())?.header_range())
        }
        Some(Section::Text(path)) => slice(message_entity(message, path.as_ref())?.body_range()),
        Some(Section::HeaderFields(path, names)) => Cow::Owned(header_fields(
            input,
            message_entity(message, path.as_ref())?,
            names,
            true,
        )),
        Some(Section::HeaderFieldsNot(path, names)) => Cow::Owned(header_fields(
            input,
            message_entity(message, path.as_ref())?,
            names,
            false,
        )),
    })
}

/// The fields of `part`'s header whose name is (`wanted`) or is not among `names`, in
/// their order and raw form, then the empty line that ends a header.
fn header_fields(input: &[u8], part: &Part<'_>, names: &[IString<'_>], wanted: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for field in part.header().iter() {
        let listed = names.iter().any(|name| {
            name.as_bytes()
                .eq_ignore_ascii_case(field.name().as_bytes())
        });
        if listed == wanted {
            out.extend_from_slice(input.get(part.field_range(field)).unwrap_or_default());
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// BINARY of `path`: the whole message as stored, or a part's body decoded.
pub(super) fn binary<'a>(
    message: &Message<'a>,
    path: &[NonZeroU32],
) -> Result<Cow<'a, [u8]>, SectionError> {
    if path.is_empty() {
        return Ok(Cow::Borrowed(message.input()));
    }
    let part = entity(message, path)?;
    if matches!(part.transfer_encoding(), ContentTransferEncoding::Other(_)) {
        return Err(SectionError::UnknownEncoding);
    }
    Ok(part.decoded())
}

/// The octets `partial` selects: from its offset, at most its length; nothing when the
/// offset lies past the end.
pub(super) fn cut(data: &[u8], partial: Option<Partial>) -> &[u8] {
    let Some(partial) = partial else {
        return data;
    };
    let start = usize::try_from(partial.offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let length = usize::try_from(partial.length.get()).unwrap_or(usize::MAX);
    let end = start.saturating_add(length).min(data.len());
    data.get(start..end).unwrap_or_default()
}
