//! Body sections, ENVELOPE and BODY / BODYSTRUCTURE.

use std::num::NonZeroU32;

use super::{PResult, Parser};
use crate::types::{
    Address, BodyExtension, BodyFields, BodyParameters, BodyStructure, Disposition, Envelope,
    ExtensionTail, IString, LanguageTail, LocationTail, MultiPartExtension, NonEmpty, Section,
    SinglePartExtension, SinglePartKind,
};

/// `section`: `[` [section-spec] `]`.
pub(crate) fn section<'a>(p: &mut Parser<'a, '_>) -> PResult<Option<Section<'a>>> {
    p.byte(b'[', "[")?;
    if p.at(b']')? {
        p.pos += 1;
        return Ok(None);
    }
    let mut part: Option<NonEmpty<NonZeroU32>> = None;
    if p.peek()?.is_ascii_digit() {
        let mut numbers = NonEmpty::new(p.nz_number()?);
        loop {
            if !p.at(b'.')? {
                // A bare part number.
                p.byte(b']', "]")?;
                return Ok(Some(Section::Part(numbers)));
            }
            p.pos += 1;
            if p.peek()?.is_ascii_digit() {
                numbers.push(p.nz_number()?);
            } else {
                break;
            }
        }
        part = Some(numbers);
    }
    let start = p.pos;
    let word = p.take_while1(
        |byte| byte.is_ascii_alphabetic() || byte == b'.',
        "section text",
    )?;
    let word = super::Upper::new(word);
    let section = match (word.as_bytes(), part) {
        (b"HEADER", part) => Section::Header(part),
        (b"TEXT", part) => Section::Text(part),
        (b"MIME", Some(part)) => Section::Mime(part),
        (b"HEADER.FIELDS", part) => {
            p.sp()?;
            Section::HeaderFields(part, header_list(p)?)
        }
        (b"HEADER.FIELDS.NOT", part) => {
            p.sp()?;
            Section::HeaderFieldsNot(part, header_list(p)?)
        }
        _ => return p.fail_at(start, "section text"),
    };
    p.byte(b']', "]")?;
    Ok(Some(section))
}

fn header_list<'a>(p: &mut Parser<'a, '_>) -> PResult<NonEmpty<IString<'a>>> {
    p.paren_list1(|p| p.astring())
}

/// `section-binary`: `[` [part] `]`.
pub(crate) fn section_binary(p: &mut Parser<'_, '_>) -> PResult<Vec<NonZeroU32>> {
    p.byte(b'[', "[")?;
    let mut part = Vec::new();
    if !p.at(b']')? {
        part.push(p.nz_number()?);
        while p.at(b'.')? {
            p.pos += 1;
            part.push(p.nz_number()?);
        }
    }
    p.byte(b']', "]")?;
    Ok(part)
}

fn address<'a>(p: &mut Parser<'a, '_>) -> PResult<Address<'a>> {
    p.byte(b'(', "address")?;
    let name = p.nstring()?;
    p.sp()?;
    let adl = p.nstring()?;
    p.sp()?;
    let mailbox = p.nstring()?;
    p.sp()?;
    let host = p.nstring()?;
    p.byte(b')', ")")?;
    Ok(Address {
        name,
        adl,
        mailbox,
        host,
    })
}

/// `"(" 1*address ")" / nil`; NIL is empty.
fn address_list<'a>(p: &mut Parser<'a, '_>) -> PResult<Vec<Address<'a>>> {
    if !p.at(b'(')? {
        p.keyword("NIL")?;
        return Ok(Vec::new());
    }
    p.pos += 1;
    let mut addresses = vec![address(p)?];
    while p.at(b'(')? {
        addresses.push(address(p)?);
    }
    p.byte(b')', ")")?;
    Ok(addresses)
}

/// `envelope`.
pub(crate) fn envelope<'a>(p: &mut Parser<'a, '_>) -> PResult<Envelope<'a>> {
    p.byte(b'(', "envelope")?;
    let date = p.nstring()?;
    p.sp()?;
    let subject = p.nstring()?;
    p.sp()?;
    let from = address_list(p)?;
    p.sp()?;
    let sender = address_list(p)?;
    p.sp()?;
    let reply_to = address_list(p)?;
    p.sp()?;
    let to = address_list(p)?;
    p.sp()?;
    let cc = address_list(p)?;
    p.sp()?;
    let bcc = address_list(p)?;
    p.sp()?;
    let in_reply_to = p.nstring()?;
    p.sp()?;
    let message_id = p.nstring()?;
    p.byte(b')', ")")?;
    Ok(Envelope {
        date,
        subject,
        from,
        sender,
        reply_to,
        to,
        cc,
        bcc,
        in_reply_to,
        message_id,
    })
}

/// `body-fld-param`; NIL is empty.
fn parameters<'a>(p: &mut Parser<'a, '_>) -> PResult<BodyParameters<'a>> {
    if !p.at(b'(')? {
        p.keyword("NIL")?;
        return Ok(Vec::new());
    }
    let list = p.paren_list1(|p| {
        let name = p.string()?;
        p.sp()?;
        Ok((name, p.string()?))
    })?;
    Ok(list.into_vec())
}

fn fields<'a>(p: &mut Parser<'a, '_>) -> PResult<BodyFields<'a>> {
    let parameters = parameters(p)?;
    p.sp()?;
    let id = p.nstring()?;
    p.sp()?;
    let description = p.nstring()?;
    p.sp()?;
    let encoding = p.string()?;
    p.sp()?;
    let octets = p.number()?;
    Ok(BodyFields {
        parameters,
        id,
        description,
        encoding,
        octets,
    })
}

fn disposition<'a>(p: &mut Parser<'a, '_>) -> PResult<Option<Disposition<'a>>> {
    if !p.at(b'(')? {
        p.keyword("NIL")?;
        return Ok(None);
    }
    p.pos += 1;
    let kind = p.string()?;
    p.sp()?;
    let parameters = parameters(p)?;
    p.byte(b')', ")")?;
    Ok(Some(Disposition { kind, parameters }))
}

fn languages<'a>(p: &mut Parser<'a, '_>) -> PResult<Vec<IString<'a>>> {
    if p.at(b'(')? {
        Ok(p.paren_list1(|p| p.string())?.into_vec())
    } else {
        Ok(p.nstring()?.into_iter().collect())
    }
}

fn body_extension<'a>(p: &mut Parser<'a, '_>) -> PResult<BodyExtension<'a>> {
    match p.peek()? {
        b'(' => {
            p.enter()?;
            let list = p.paren_list1(body_extension)?;
            p.leave();
            Ok(BodyExtension::List(list))
        }
        byte if byte.is_ascii_digit() => Ok(BodyExtension::Number(p.number64()?)),
        _ => Ok(BodyExtension::String(p.nstring()?)),
    }
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`.
fn extension_tail<'a>(p: &mut Parser<'a, '_>) -> PResult<Option<ExtensionTail<'a>>> {
    if !p.maybe_sp()? {
        return Ok(None);
    }
    let disposition = disposition(p)?;
    let language = if p.maybe_sp()? {
        let languages = languages(p)?;
        let location = if p.maybe_sp()? {
            let location = p.nstring()?;
            let mut extensions = Vec::new();
            while p.maybe_sp()? {
                extensions.push(body_extension(p)?);
            }
            Some(LocationTail {
                location,
                extensions,
            })
        } else {
            None
        };
        Some(LanguageTail {
            languages,
            location,
        })
    } else {
        None
    };
    Ok(Some(ExtensionTail {
        disposition,
        language,
    }))
}

/// `body`. The work is split over small functions so that each level of nesting costs
/// little stack, even in debug builds.
pub(crate) fn body<'a>(p: &mut Parser<'a, '_>) -> PResult<BodyStructure<'a>> {
    p.enter_body()?;
    p.byte(b'(', "body")?;
    let structure = if p.at(b'(')? {
        multipart(p)?
    } else {
        single_part(p)?
    };
    p.byte(b')', ")")?;
    p.leave_body();
    Ok(structure)
}

#[inline(never)]
fn multipart<'a>(p: &mut Parser<'a, '_>) -> PResult<BodyStructure<'a>> {
    let mut parts = NonEmpty::new(body(p)?);
    while p.at(b'(')? {
        parts.push(body(p)?);
    }
    p.sp()?;
    let subtype = p.string()?;
    let extension = if p.maybe_sp()? {
        let parameters = parameters(p)?;
        Some(MultiPartExtension {
            parameters,
            tail: extension_tail(p)?,
        })
    } else {
        None
    };
    Ok(BodyStructure::Multi {
        parts,
        subtype,
        extension,
    })
}

#[inline(never)]
fn single_part<'a>(p: &mut Parser<'a, '_>) -> PResult<BodyStructure<'a>> {
    let media_type = p.string()?;
    p.sp()?;
    let subtype = p.string()?;
    p.sp()?;
    let fields = fields(p)?;
    let is =
        |value: &IString<'_>, name: &str| value.as_bytes().eq_ignore_ascii_case(name.as_bytes());
    let kind = if is(&media_type, "TEXT") {
        p.sp()?;
        SinglePartKind::Text {
            subtype,
            lines: p.number64()?,
        }
    } else if is(&media_type, "MESSAGE") && (is(&subtype, "RFC822") || is(&subtype, "GLOBAL")) {
        message_part(p, subtype)?
    } else {
        SinglePartKind::Basic {
            media_type,
            subtype,
        }
    };
    let extension = if p.maybe_sp()? {
        let md5 = p.nstring()?;
        Some(SinglePartExtension {
            md5,
            tail: extension_tail(p)?,
        })
    } else {
        None
    };
    Ok(BodyStructure::Single {
        kind,
        fields,
        extension,
    })
}

#[inline(never)]
fn message_part<'a>(p: &mut Parser<'a, '_>, subtype: IString<'a>) -> PResult<SinglePartKind<'a>> {
    p.sp()?;
    let envelope = Box::new(envelope(p)?);
    p.sp()?;
    let inner = Box::new(body(p)?);
    p.sp()?;
    Ok(SinglePartKind::Message {
        subtype,
        envelope,
        body: inner,
        lines: p.number64()?,
    })
}
