//! What an entity's header says about it, shared by both parsers.

use crate::error::ParseError;
use crate::header::{
    ContentDisposition, ContentTransferEncoding, ContentType, FieldError, HeaderSection,
};
use crate::limits::Limits;
use crate::tree::PartPath;

/// How the body of an entity is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An opaque body.
    Leaf,
    /// A multipart body split on this boundary.
    Multipart(String),
    /// An encapsulated message (message/rfc822 or message/global).
    Message,
}

/// The MIME fields of one entity, interpreted.
#[derive(Debug, Clone)]
pub(crate) struct EntityFields<'a> {
    pub(crate) content_type: ContentType<'a>,
    pub(crate) has_content_type: bool,
    pub(crate) disposition: Option<ContentDisposition<'a>>,
    pub(crate) encoding: ContentTransferEncoding<'a>,
}

impl EntityFields<'_> {
    /// A copy that does not borrow the input.
    pub(crate) fn into_owned(self) -> EntityFields<'static> {
        EntityFields {
            content_type: self.content_type.into_owned(),
            has_content_type: self.has_content_type,
            disposition: self.disposition.map(ContentDisposition::into_owned),
            encoding: self.encoding.into_owned(),
        }
    }
}

/// How an entity's path follows from its place.
#[derive(Debug, Clone)]
pub(crate) enum PathRule {
    /// A part of a multipart: its number is given.
    Numbered(PartPath),
    /// A message (the top-level one, or one encapsulated in the part with this
    /// path): a multipart shares the path, anything else is `.1` below it.
    MessageRoot(PartPath),
}

impl PathRule {
    /// The path used to name the entity before its header is read.
    pub(crate) fn tentative(&self) -> &PartPath {
        match self {
            PathRule::Numbered(path) | PathRule::MessageRoot(path) => path,
        }
    }

    /// The entity's path once its shape is known.
    pub(crate) fn resolve(self, shape: &Shape) -> PartPath {
        match (self, shape) {
            (PathRule::Numbered(path), _) => path,
            (PathRule::MessageRoot(path), Shape::Multipart(_)) => path,
            (PathRule::MessageRoot(path), _) => path.child(1),
        }
    }
}

/// The default content type of a part: message/rfc822 inside multipart/digest
/// (RFC 2046 §5.1.5), else text/plain; charset=us-ascii (RFC 2045 §5.2).
pub(crate) fn default_content_type(in_digest: bool) -> ContentType<'static> {
    if in_digest {
        ContentType::new("message", "rfc822")
    } else {
        ContentType::default_text_plain()
    }
}

fn limit_error(error: FieldError) -> Option<FieldError> {
    match error {
        FieldError::TooManyParameters { .. } | FieldError::TooManyContinuations { .. } => {
            Some(error)
        }
        _ => None,
    }
}

/// Reads Content-Type, Content-Disposition and Content-Transfer-Encoding, and says how
/// the body is read.
///
/// The first occurrence of each field counts. A missing Content-Type gives the
/// default; a Content-Type that does not parse gives text/plain (RFC 2045 §5.2, also
/// inside a digest, as Python does); a parameter list over the limits is an error.
/// A multipart without a (non-empty) boundary is read as a leaf. message/rfc822 and
/// message/global encapsulate a message only with an identity transfer encoding:
/// RFC 2046 forbids encoding message/rfc822, and an encoded message/global (which
/// RFC 6532 allows) has no byte range of its own in the input, so it stays a leaf
/// whose decoded payload can be parsed as a message of its own.
pub(crate) fn entity_fields<'a>(
    header: &HeaderSection<'a>,
    in_digest: bool,
    limits: &Limits,
    part: impl Fn() -> String,
) -> Result<(EntityFields<'a>, Shape), ParseError> {
    let parameters_error = |source| ParseError::Parameters {
        part: part(),
        source,
    };
    // One pass over the fields for the three MIME fields (the first of each).
    let (mut type_field, mut disposition_field, mut encoding_field) = (None, None, None);
    for field in header.fields() {
        let name = field.name();
        let Some(rest) = name
            .get(..8)
            .filter(|prefix| prefix.eq_ignore_ascii_case("content-"))
            .and_then(|_| name.get(8..))
        else {
            continue;
        };
        let slot = if rest.eq_ignore_ascii_case("type") {
            &mut type_field
        } else if rest.eq_ignore_ascii_case("disposition") {
            &mut disposition_field
        } else if rest.eq_ignore_ascii_case("transfer-encoding") {
            &mut encoding_field
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(field);
        }
    }
    let (content_type, has_content_type) = match type_field {
        None => (default_content_type(in_digest), false),
        Some(field) => match ContentType::parse_with_limits(field.raw_value(), &limits.params) {
            Ok(content_type) => (content_type, true),
            Err(error) => match limit_error(error) {
                Some(error) => return Err(parameters_error(error)),
                None => (ContentType::default_text_plain(), false),
            },
        },
    };
    let disposition = match disposition_field {
        None => None,
        Some(field) => {
            match ContentDisposition::parse_with_limits(field.raw_value(), &limits.params) {
                Ok(disposition) => Some(disposition),
                Err(error) => match limit_error(error) {
                    Some(error) => return Err(parameters_error(error)),
                    None => None,
                },
            }
        }
    };
    let encoding = encoding_field
        .and_then(|field| ContentTransferEncoding::parse(field.raw_value()).ok())
        .unwrap_or_default();
    let shape = if content_type.is_multipart() {
        match content_type.boundary() {
            Some(boundary) if !boundary.is_empty() => Shape::Multipart(boundary.to_owned()),
            _ => Shape::Leaf,
        }
    } else if (content_type.is("message", "rfc822") || content_type.is("message", "global"))
        && matches!(
            encoding,
            ContentTransferEncoding::SevenBit
                | ContentTransferEncoding::EightBit
                | ContentTransferEncoding::Binary
        )
    {
        Shape::Message
    } else {
        Shape::Leaf
    };
    Ok((
        EntityFields {
            content_type,
            has_content_type,
            disposition,
            encoding,
        },
        shape,
    ))
}

/// Counts an entity against the limits: `count` entities exist before it, it sits at
/// `depth`.
pub(crate) fn admit_entity(count: usize, depth: usize, limits: &Limits) -> Result<(), ParseError> {
    if count >= limits.max_parts {
        return Err(ParseError::TooManyParts {
            limit: limits.max_parts,
        });
    }
    if depth > limits.max_depth {
        return Err(ParseError::TooDeep {
            limit: limits.max_depth,
        });
    }
    Ok(())
}
