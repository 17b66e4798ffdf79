//! Responses: greeting, status responses with codes, untagged data, continuation
//! requests.

use std::num::NonZeroU32;

use super::{PResult, Parser, Stop, Upper};
use crate::chars;
use crate::error::DecodeError;
use crate::types::{
    Charset, Code, Continuation, Data, Delimiter, ESearchData, ESearchResponse, Greeting,
    GreetingKind, ListData, ListExtendedItem, MessageDataItem, NamespaceDescription, NonEmpty,
    OtherCode, QuotaResource, Resource, Response, ResponseText, State, StatusItem, Tag, Text,
};

pub(crate) fn greeting<'a>(p: &mut Parser<'a, '_>) -> PResult<Greeting<'a>> {
    p.byte(b'*', "*")?;
    p.sp()?;
    let start = p.pos;
    let kind = match p.word("greeting")?.as_bytes() {
        b"OK" => GreetingKind::Ok,
        b"PREAUTH" => GreetingKind::PreAuth,
        b"BYE" => GreetingKind::Bye,
        _ => return p.fail_at(start, "OK, PREAUTH or BYE"),
    };
    let text = resp_text(p)?;
    p.crlf()?;
    Ok(Greeting { kind, text })
}

pub(crate) fn response<'a>(p: &mut Parser<'a, '_>) -> PResult<Response<'a>> {
    let response = match p.peek()? {
        b'+' => {
            p.pos += 1;
            Response::Continuation(Continuation {
                text: resp_text(p)?,
            })
        }
        b'*' => {
            p.pos += 1;
            p.sp()?;
            Response::Data(data(p)?)
        }
        _ => {
            let run = p.take_while1(chars::is_tag_char, "tag")?;
            let tag = match std::str::from_utf8(run) {
                Ok(text) => Tag::from_checked(text),
                Err(_) => return p.fail("tag"),
            };
            p.sp()?;
            let start = p.pos;
            let state = match p.word("OK, NO or BAD")?.as_bytes() {
                b"OK" => State::Ok,
                b"NO" => State::No,
                b"BAD" => State::Bad,
                _ => return p.fail_at(start, "OK, NO or BAD"),
            };
            Response::Tagged(crate::types::TaggedResponse {
                tag,
                state,
                text: resp_text(p)?,
            })
        }
    };
    p.crlf()?;
    Ok(response)
}

/// `[SP ["[" resp-text-code "]" [SP]] text]` after a status keyword. A missing space
/// before an empty text is accepted.
fn resp_text<'a>(p: &mut Parser<'a, '_>) -> PResult<ResponseText<'a>> {
    if p.at(b'\r')? {
        return Ok(ResponseText::default());
    }
    p.sp()?;
    if p.at(b'[')? {
        let saved = p.pos;
        p.pos += 1;
        match code(p) {
            Ok(code) => {
                if p.at(b']')? {
                    p.pos += 1;
                    let text = if p.at(b'\r')? {
                        Text::default()
                    } else {
                        p.sp()?;
                        p.text()?
                    };
                    return Ok(ResponseText {
                        code: Some(code),
                        text,
                    });
                }
                p.pos = saved;
            }
            Err(Stop::Incomplete) => return Err(Stop::Incomplete),
            Err(Stop::Invalid(DecodeError::Syntax { .. }))
            | Err(Stop::Invalid(DecodeError::NumberOutOfRange { .. })) => p.pos = saved,
            Err(other) => return Err(other),
        }
    }
    Ok(ResponseText {
        code: None,
        text: p.text()?,
    })
}

fn code<'a>(p: &mut Parser<'a, '_>) -> PResult<Code<'a>> {
    let name = p.atom()?;
    let after_name = p.pos;
    let upper = Upper::new(name.as_str().as_bytes());
    let specific = specific_code(p, upper.as_bytes());
    match specific {
        Ok(Some(code)) if p.at(b']')? => return Ok(code),
        Ok(_) => {}
        Err(Stop::Incomplete) => return Err(Stop::Incomplete),
        Err(Stop::Invalid(DecodeError::Syntax { .. }))
        | Err(Stop::Invalid(DecodeError::NumberOutOfRange { .. })) => {}
        Err(other) => return Err(other),
    }
    // The generic form: atom [SP 1*<any TEXT-CHAR except "]">].
    p.pos = after_name;
    let argument = if p.maybe_sp()? {
        let start = p.pos;
        let run =
            p.take_while(|byte| byte != b']' && byte != b'\r' && byte != b'\n' && byte != 0)?;
        if run.is_empty() {
            return p.fail("response code argument");
        }
        Some(p.text_from(run, start)?)
    } else {
        None
    };
    Ok(Code::Other(OtherCode::from_checked(name, argument)))
}

/// A known code with its arguments; `None` for an unknown name.
fn specific_code<'a>(p: &mut Parser<'a, '_>, name: &[u8]) -> PResult<Option<Code<'a>>> {
    for (known, code) in crate::types::SIMPLE_CODES.iter() {
        if known.as_bytes() == name {
            return Ok(Some(code.clone()));
        }
    }
    Ok(Some(match name {
        b"BADCHARSET" => {
            let mut charsets = Vec::new();
            if p.at(b' ')? {
                p.pos += 1;
                charsets = p
                    .paren_list1(|p| {
                        let start = p.pos;
                        let bytes = p.astring_bytes()?;
                        match std::str::from_utf8(&bytes)
                            .ok()
                            .and_then(|name| Charset::new(name.to_owned()).ok())
                        {
                            Some(charset) => Ok(charset),
                            None => p.fail_at(start, "charset"),
                        }
                    })?
                    .into_vec();
            }
            Code::BadCharset(charsets)
        }
        b"CAPABILITY" => {
            p.sp()?;
            let mut capabilities = NonEmpty::new(p.capability()?);
            while p.maybe_sp()? {
                capabilities.push(p.capability()?);
            }
            Code::Capability(capabilities)
        }
        b"PERMANENTFLAGS" => {
            p.sp()?;
            Code::PermanentFlags(p.paren_list(|p| p.flag_perm())?)
        }
        b"UIDNEXT" => {
            p.sp()?;
            Code::UidNext(p.nz_number()?)
        }
        b"UIDVALIDITY" => {
            p.sp()?;
            Code::UidValidity(p.nz_number()?)
        }
        b"UNSEEN" => {
            p.sp()?;
            Code::Unseen(p.nz_number()?)
        }
        b"APPENDUID" => {
            p.sp()?;
            let uid_validity = p.nz_number()?;
            p.sp()?;
            Code::AppendUid {
                uid_validity,
                uids: p.uid_set()?,
            }
        }
        b"COPYUID" => {
            p.sp()?;
            let uid_validity = p.nz_number()?;
            p.sp()?;
            let source = p.uid_set()?;
            p.sp()?;
            Code::CopyUid {
                uid_validity,
                source,
                destination: p.uid_set()?,
            }
        }
        b"HIGHESTMODSEQ" => {
            p.sp()?;
            Code::HighestModSeq(p.nz_number64()?)
        }
        b"MODIFIED" => {
            p.sp()?;
            Code::Modified(p.sequence_set()?)
        }
        _ => return Ok(None),
    }))
}

fn data<'a>(p: &mut Parser<'a, '_>) -> PResult<Data<'a>> {
    if p.peek()?.is_ascii_digit() {
        return message_data(p);
    }
    let start = p.pos;
    let word = p.word("response")?;
    Ok(match word.as_bytes() {
        b"OK" => Data::State {
            state: State::Ok,
            text: resp_text(p)?,
        },
        b"NO" => Data::State {
            state: State::No,
            text: resp_text(p)?,
        },
        b"BAD" => Data::State {
            state: State::Bad,
            text: resp_text(p)?,
        },
        b"BYE" => Data::Bye(resp_text(p)?),
        b"CAPABILITY" => {
            p.sp()?;
            let mut capabilities = NonEmpty::new(p.capability()?);
            while p.maybe_sp()? {
                capabilities.push(p.capability()?);
            }
            Data::Capability(capabilities)
        }
        b"ENABLED" => {
            let mut capabilities = Vec::new();
            while p.maybe_sp()? {
                capabilities.push(p.capability()?);
            }
            Data::Enabled(capabilities)
        }
        b"LIST" => {
            p.sp()?;
            Data::List(list_data(p)?)
        }
        b"LSUB" => {
            p.sp()?;
            Data::Lsub(list_data(p)?)
        }
        b"STATUS" => {
            p.sp()?;
            let mailbox = p.mailbox()?;
            p.sp()?;
            let items = p.paren_list(status_item)?;
            Data::Status { mailbox, items }
        }
        b"SEARCH" => {
            let mut numbers = Vec::new();
            let mut mod_seq = None;
            while p.maybe_sp()? {
                if p.at(b'(')? {
                    p.pos += 1;
                    p.keyword("MODSEQ")?;
                    p.sp()?;
                    mod_seq = Some(p.nz_number64()?);
                    p.byte(b')', ")")?;
                    break;
                }
                numbers.push(p.nz_number()?);
            }
            Data::Search { numbers, mod_seq }
        }
        b"ESEARCH" => Data::ESearch(esearch(p)?),
        b"FLAGS" => {
            p.sp()?;
            Data::Flags(p.paren_list(|p| p.flag())?)
        }
        b"ID" => {
            p.sp()?;
            Data::Id(super::command::id_parameters(p)?)
        }
        b"NAMESPACE" => {
            p.sp()?;
            let personal = namespace(p)?;
            p.sp()?;
            let other = namespace(p)?;
            p.sp()?;
            let shared = namespace(p)?;
            Data::Namespace {
                personal,
                other,
                shared,
            }
        }
        b"QUOTA" => {
            p.sp()?;
            let root = p.astring()?;
            p.sp()?;
            let resources = p.paren_list(|p| {
                let resource = Resource::from_atom(p.atom()?);
                p.sp()?;
                let usage = p.number64()?;
                p.sp()?;
                let limit = p.number64()?;
                Ok(QuotaResource {
                    resource,
                    usage,
                    limit,
                })
            })?;
            Data::Quota { root, resources }
        }
        b"QUOTAROOT" => {
            p.sp()?;
            let mailbox = p.mailbox()?;
            let mut roots = Vec::new();
            while p.maybe_sp()? {
                roots.push(p.astring()?);
            }
            Data::QuotaRoot { mailbox, roots }
        }
        b"VANISHED" => {
            p.sp()?;
            let earlier = if p.at(b'(')? {
                p.pos += 1;
                p.keyword("EARLIER")?;
                p.byte(b')', ")")?;
                p.sp()?;
                true
            } else {
                false
            };
            Data::Vanished {
                earlier,
                uids: p.sequence_set()?,
            }
        }
        b"PREAUTH" => return p.fail_at(start, "PREAUTH only in the greeting"),
        _ => return p.fail_at(start, "response"),
    })
}

fn message_data<'a>(p: &mut Parser<'a, '_>) -> PResult<Data<'a>> {
    let number_start = p.pos;
    let number = p.number()?;
    p.sp()?;
    let start = p.pos;
    let nonzero = || {
        NonZeroU32::new(number).ok_or(Stop::Invalid(DecodeError::NumberOutOfRange {
            offset: number_start,
        }))
    };
    Ok(
        match p.word("EXISTS, RECENT, EXPUNGE or FETCH")?.as_bytes() {
            b"EXISTS" => Data::Exists(number),
            b"RECENT" => Data::Recent(number),
            b"EXPUNGE" => Data::Expunge(nonzero()?),
            b"FETCH" => {
                let sequence_number = nonzero()?;
                p.sp()?;
                Data::Fetch {
                    sequence_number,
                    items: p.paren_list1(message_data_item)?,
                }
            }
            _ => return p.fail_at(start, "EXISTS, RECENT, EXPUNGE or FETCH"),
        },
    )
}

fn delimiter(p: &mut Parser<'_, '_>) -> PResult<Option<Delimiter>> {
    if !p.at(b'"')? {
        p.keyword("NIL")?;
        return Ok(None);
    }
    p.pos += 1;
    let mut byte = p.peek()?;
    if byte == b'\\' {
        p.pos += 1;
        byte = p.peek()?;
        if byte != b'"' && byte != b'\\' {
            return p.fail("quoted-specials after backslash");
        }
    } else if !(0x20..0x7f).contains(&byte) || byte == b'"' {
        return p.fail("hierarchy delimiter");
    }
    p.pos += 1;
    p.byte(b'"', "closing quote")?;
    Ok(Some(Delimiter::from_checked(byte)))
}

fn list_data<'a>(p: &mut Parser<'a, '_>) -> PResult<ListData<'a>> {
    let attributes = p.paren_list(super::command::list_attribute)?;
    p.sp()?;
    let delimiter = delimiter(p)?;
    p.sp()?;
    let mailbox = p.mailbox()?;
    let mut extended = Vec::new();
    if p.maybe_sp()? {
        extended = p.paren_list(|p| {
            let tag = p.astring()?;
            p.sp()?;
            let is = |name: &str| tag.as_bytes().eq_ignore_ascii_case(name.as_bytes());
            if is("CHILDINFO") {
                return Ok(ListExtendedItem::ChildInfo(p.paren_list1(|p| p.string())?));
            }
            if is("OLDNAME") {
                p.byte(b'(', "(")?;
                let mailbox = p.mailbox()?;
                p.byte(b')', ")")?;
                return Ok(ListExtendedItem::OldName(mailbox));
            }
            Ok(ListExtendedItem::Other {
                tag,
                value: p.tagged_ext_val()?,
            })
        })?;
    }
    Ok(ListData {
        attributes,
        delimiter,
        mailbox,
        extended,
    })
}

fn status_item(p: &mut Parser<'_, '_>) -> PResult<StatusItem> {
    use crate::types::StatusAttribute as A;
    let attribute = super::command::status_attribute(p)?;
    p.sp()?;
    Ok(match attribute {
        A::Messages => StatusItem::Messages(p.number()?),
        A::Recent => StatusItem::Recent(p.number()?),
        A::UidNext => StatusItem::UidNext(p.nz_number()?),
        A::UidValidity => StatusItem::UidValidity(p.nz_number()?),
        A::Unseen => StatusItem::Unseen(p.number()?),
        A::Deleted => StatusItem::Deleted(p.number()?),
        A::Size => StatusItem::Size(p.number64()?),
        A::HighestModSeq => StatusItem::HighestModSeq(p.number64()?),
        A::DeletedStorage => StatusItem::DeletedStorage(p.number64()?),
    })
}

fn esearch<'a>(p: &mut Parser<'a, '_>) -> PResult<ESearchResponse<'a>> {
    let mut tag = None;
    if p.at(b' ')? && p.peek_at(1)? == b'(' {
        p.pos += 2;
        p.keyword("TAG")?;
        p.sp()?;
        tag = Some(p.astring()?);
        p.byte(b')', ")")?;
    }
    let mut uid = false;
    if p.at(b' ')? {
        let saved = p.pos;
        p.pos += 1;
        let (word, length) = p.peek_word()?;
        if word.as_bytes() == b"UID" {
            p.pos += length;
            uid = true;
        } else {
            p.pos = saved;
        }
    }
    let mut data = Vec::new();
    while p.maybe_sp()? {
        let name = p.atom()?;
        p.sp()?;
        let upper = Upper::new(name.as_str().as_bytes());
        data.push(match upper.as_bytes() {
            b"MIN" => ESearchData::Min(p.nz_number()?),
            b"MAX" => ESearchData::Max(p.nz_number()?),
            b"ALL" => ESearchData::All(p.sequence_set()?),
            b"COUNT" => ESearchData::Count(p.number()?),
            b"MODSEQ" => ESearchData::ModSeq(p.nz_number64()?),
            _ => ESearchData::Other {
                name,
                value: p.tagged_ext_val()?,
            },
        });
    }
    Ok(ESearchResponse { tag, uid, data })
}

fn namespace<'a>(p: &mut Parser<'a, '_>) -> PResult<Vec<NamespaceDescription<'a>>> {
    if !p.at(b'(')? {
        p.keyword("NIL")?;
        return Ok(Vec::new());
    }
    p.pos += 1;
    let mut descriptions = Vec::new();
    loop {
        p.byte(b'(', "namespace description")?;
        let prefix = p.string()?;
        p.sp()?;
        let delimiter = delimiter(p)?;
        let mut extensions = Vec::new();
        while p.maybe_sp()? {
            let name = p.string()?;
            p.sp()?;
            extensions.push((name, p.paren_list1(|p| p.string())?));
        }
        p.byte(b')', ")")?;
        descriptions.push(NamespaceDescription {
            prefix,
            delimiter,
            extensions,
        });
        if !p.at(b'(')? {
            break;
        }
    }
    p.byte(b')', ")")?;
    Ok(descriptions)
}

fn origin(p: &mut Parser<'_, '_>) -> PResult<Option<u32>> {
    if !p.at(b'<')? {
        return Ok(None);
    }
    p.pos += 1;
    let origin = p.number()?;
    p.byte(b'>', ">")?;
    Ok(Some(origin))
}

fn message_data_item<'a>(p: &mut Parser<'a, '_>) -> PResult<MessageDataItem<'a>> {
    let start = p.pos;
    let word = p.take_while1(
        |byte| byte.is_ascii_alphanumeric() || byte == b'.',
        "message data item",
    )?;
    let word = Upper::new(word);
    Ok(match word.as_bytes() {
        b"FLAGS" => {
            p.sp()?;
            MessageDataItem::Flags(p.paren_list(|p| p.flag_fetch())?)
        }
        b"INTERNALDATE" => {
            p.sp()?;
            MessageDataItem::InternalDate(p.date_time()?)
        }
        b"RFC822" => {
            p.sp()?;
            MessageDataItem::Rfc822(p.nstring()?)
        }
        b"RFC822.HEADER" => {
            p.sp()?;
            MessageDataItem::Rfc822Header(p.nstring()?)
        }
        b"RFC822.TEXT" => {
            p.sp()?;
            MessageDataItem::Rfc822Text(p.nstring()?)
        }
        b"RFC822.SIZE" => {
            p.sp()?;
            MessageDataItem::Rfc822Size(p.number64()?)
        }
        b"ENVELOPE" => {
            p.sp()?;
            MessageDataItem::Envelope(Box::new(super::body::envelope(p)?))
        }
        b"BODYSTRUCTURE" => {
            p.sp()?;
            MessageDataItem::BodyStructure(Box::new(super::body::body(p)?))
        }
        b"BODY" if p.at(b'[')? => {
            let section = super::body::section(p)?;
            let origin = origin(p)?;
            p.sp()?;
            MessageDataItem::BodySection {
                section,
                origin,
                data: p.nstring()?,
            }
        }
        b"BODY" => {
            p.sp()?;
            MessageDataItem::Body(Box::new(super::body::body(p)?))
        }
        b"BINARY" => {
            let part = super::body::section_binary(p)?;
            let origin = origin(p)?;
            p.sp()?;
            let data = match p.peek()? {
                b'~' | b'{' => Some(std::borrow::Cow::Borrowed(p.literal(true)?.0)),
                _ => p.nstring()?.map(|string| string.into_inner()),
            };
            MessageDataItem::Binary { part, origin, data }
        }
        b"BINARY.SIZE" => {
            let part = super::body::section_binary(p)?;
            p.sp()?;
            MessageDataItem::BinarySize {
                part,
                size: p.number()?,
            }
        }
        b"UID" => {
            p.sp()?;
            MessageDataItem::Uid(p.nz_number()?)
        }
        b"MODSEQ" => {
            p.sp()?;
            p.byte(b'(', "(")?;
            let mod_seq = p.nz_number64()?;
            p.byte(b')', ")")?;
            MessageDataItem::ModSeq(mod_seq)
        }
        _ => return p.fail_at(start, "message data item"),
    })
}
