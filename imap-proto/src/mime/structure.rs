//! BODY and BODYSTRUCTURE (RFC 3501 §7.4.2) from the part tree.

use mailwire_mime::header::Parameters;
use mailwire_mime::tree::{Message, Part};

use super::envelope::envelope;
use super::{fit_u32, raw_field, string_without_nul, FetchDataError};
use crate::types::{
    BodyFields, BodyParameters, BodyStructure, Disposition, ExtensionTail, IString, LanguageTail,
    LocationTail, MultiPartExtension, NonEmpty, SinglePartExtension, SinglePartKind,
};

/// The structure of `part` and everything below it; with extension data when
/// `extensions` (BODYSTRUCTURE), without (BODY).
pub(super) fn body_structure(
    part: &Part<'_>,
    extensions: bool,
) -> Result<BodyStructure<'static>, FetchDataError> {
    let content_type = part.content_type();
    if let Some(multipart) = part.multipart() {
        let mut parts = Vec::with_capacity(multipart.parts().len());
        for child in multipart.parts() {
            parts.push(body_structure(child, extensions)?);
        }
        let parts = NonEmpty::try_from(parts).unwrap_or_else(|_| NonEmpty::new(empty_text()));
        let extension = extensions.then(|| MultiPartExtension {
            parameters: parameters(content_type.params()),
            tail: Some(tail(part)),
        });
        return Ok(BodyStructure::Multi {
            parts,
            subtype: upper(content_type.subtype()),
            extension,
        });
    }
    // Line feeds, as Dovecot counts: a last line without one (the body of a part
    // before its delimiter) is not a line.
    let feeds = memchr::memchr_iter(b'\n', part.body()).count();
    let lines = u64::try_from(feeds).unwrap_or(u64::MAX);
    let kind = if content_type.is_text() {
        SinglePartKind::Text {
            subtype: upper(content_type.subtype()),
            lines,
        }
    } else if is_encapsulated(part) {
        let (envelope, body) = match part.message() {
            Some(inner) => (envelope(inner), body_structure(inner, extensions)?),
            // An encoded message/global is a leaf in the tree: parse its payload.
            None => {
                let decoded = part.decoded();
                let inner = Message::parse(&decoded).map_err(FetchDataError::Parse)?;
                (
                    envelope(inner.root()),
                    body_structure(inner.root(), extensions)?,
                )
            }
        };
        SinglePartKind::Message {
            subtype: upper(content_type.subtype()),
            envelope: Box::new(envelope),
            body: Box::new(body),
            lines,
        }
    } else {
        SinglePartKind::Basic {
            media_type: upper(content_type.media_type()),
            subtype: upper(content_type.subtype()),
        }
    };
    let mut body_parameters = parameters(content_type.params());
    // A text part without a charset is us-ascii (RFC 2045 §5.2); say so, as Dovecot does.
    if content_type.is_text() && content_type.charset().is_none() {
        body_parameters.push((upper("charset"), string("us-ascii")));
    }
    let fields = BodyFields {
        parameters: body_parameters,
        id: raw_field(part, "content-id"),
        description: raw_field(part, "content-description"),
        encoding: upper(part.transfer_encoding().as_str()),
        octets: fit_u32("body part", part.size())?,
    };
    let extension = extensions.then(|| SinglePartExtension {
        md5: raw_field(part, "content-md5"),
        tail: Some(tail(part)),
    });
    Ok(BodyStructure::Single {
        kind,
        fields,
        extension,
    })
}

/// message/rfc822 and message/global carry an envelope and a body in the grammar.
fn is_encapsulated(part: &Part<'_>) -> bool {
    let content_type = part.content_type();
    content_type.is("message", "rfc822") || content_type.is("message", "global")
}

/// The part BODYSTRUCTURE shows for a multipart that has none.
fn empty_text() -> BodyStructure<'static> {
    BodyStructure::Single {
        kind: SinglePartKind::Text {
            subtype: upper("plain"),
            lines: 0,
        },
        fields: BodyFields {
            parameters: vec![(upper("charset"), string("us-ascii"))],
            id: None,
            description: None,
            encoding: upper("7bit"),
            octets: 0,
        },
        extension: None,
    }
}

/// Disposition, language and location: always sent, NIL when absent.
fn tail(part: &Part<'_>) -> ExtensionTail<'static> {
    let disposition = part.disposition().map(|disposition| Disposition {
        kind: upper(disposition.disposition().as_str()),
        parameters: parameters(disposition.params()),
    });
    let languages = part
        .header()
        .get("content-language")
        .map(|field| {
            let value = field.unfolded_value();
            String::from_utf8_lossy(&value)
                .split(',')
                .map(str::trim)
                .filter(|tag| !tag.is_empty())
                .map(string)
                .collect()
        })
        .unwrap_or_default();
    ExtensionTail {
        disposition,
        language: Some(LanguageTail {
            languages,
            location: Some(LocationTail {
                location: raw_field(part, "content-location"),
                extensions: Vec::new(),
            }),
        }),
    }
}

fn parameters(params: &Parameters<'_>) -> BodyParameters<'static> {
    params
        .iter()
        .map(|param| (upper(param.name()), string(param.value())))
        .collect()
}

fn upper(text: &str) -> IString<'static> {
    string_without_nul(text.to_ascii_uppercase().into_bytes())
}

fn string(text: &str) -> IString<'static> {
    string_without_nul(text.as_bytes().to_vec())
}
