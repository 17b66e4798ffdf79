//! Commands (RFC 3501 / RFC 9051 §9 `command` and the extensions).

use mailwire_core::Secret;

use super::{PResult, Parser, Upper};
use crate::chars;
use crate::types::{
    AppendData, AppendMessage, AuthenticateData, Charset, Command, CommandBody, CreateParameter,
    EntryType, ExtParameter, FetchAttribute, FetchAttributes, FetchModifier, IString, IdParameters,
    ListAttribute, ListOptionExtension, ListReturnOption, ListSelectOption, NonEmpty, Partial,
    QResyncParameters, Resource, SearchKey, SearchReturnOption, SelectParameter, StatusAttribute,
    StoreAction, StoreModifier, Tag,
};

pub(crate) fn command<'a>(p: &mut Parser<'a, '_>) -> PResult<Command<'a>> {
    let tag = tag(p)?;
    p.sp()?;
    let body = command_body(p)?;
    p.crlf()?;
    Ok(Command { tag, body })
}

fn tag<'a>(p: &mut Parser<'a, '_>) -> PResult<Tag<'a>> {
    let run = p.take_while1(chars::is_tag_char, "tag")?;
    match std::str::from_utf8(run) {
        Ok(text) => Ok(Tag::from_checked(text)),
        Err(_) => p.fail("tag"),
    }
}

fn command_body<'a>(p: &mut Parser<'a, '_>) -> PResult<CommandBody<'a>> {
    let start = p.pos;
    let name = p.word("command name")?;
    Ok(match name.as_bytes() {
        b"CAPABILITY" => CommandBody::Capability,
        b"NOOP" => CommandBody::Noop,
        b"LOGOUT" => CommandBody::Logout,
        b"STARTTLS" => CommandBody::StartTls,
        b"AUTHENTICATE" => authenticate(p)?,
        b"LOGIN" => {
            p.sp()?;
            let username = p.astring()?;
            p.sp()?;
            let password = Secret::new(p.astring()?);
            CommandBody::Login { username, password }
        }
        b"SELECT" => {
            let (mailbox, parameters) = select(p)?;
            CommandBody::Select {
                mailbox,
                parameters,
            }
        }
        b"EXAMINE" => {
            let (mailbox, parameters) = select(p)?;
            CommandBody::Examine {
                mailbox,
                parameters,
            }
        }
        b"CREATE" => create(p)?,
        b"DELETE" => {
            p.sp()?;
            CommandBody::Delete {
                mailbox: p.mailbox()?,
            }
        }
        b"RENAME" => {
            p.sp()?;
            let from = p.mailbox()?;
            p.sp()?;
            let to = p.mailbox()?;
            CommandBody::Rename { from, to }
        }
        b"SUBSCRIBE" => {
            p.sp()?;
            CommandBody::Subscribe {
                mailbox: p.mailbox()?,
            }
        }
        b"UNSUBSCRIBE" => {
            p.sp()?;
            CommandBody::Unsubscribe {
                mailbox: p.mailbox()?,
            }
        }
        b"LIST" => list(p)?,
        b"LSUB" => {
            p.sp()?;
            let reference = p.mailbox()?;
            p.sp()?;
            let pattern = p.list_mailbox()?;
            CommandBody::Lsub { reference, pattern }
        }
        b"NAMESPACE" => CommandBody::Namespace,
        b"STATUS" => {
            p.sp()?;
            let mailbox = p.mailbox()?;
            p.sp()?;
            let attributes = p.paren_list1(status_attribute)?;
            CommandBody::Status {
                mailbox,
                attributes,
            }
        }
        b"APPEND" => append(p)?,
        b"IDLE" => CommandBody::Idle,
        b"CHECK" => CommandBody::Check,
        b"CLOSE" => CommandBody::Close,
        b"UNSELECT" => CommandBody::Unselect,
        b"EXPUNGE" => CommandBody::Expunge,
        b"SEARCH" => search(p, false)?,
        b"FETCH" => fetch(p, false)?,
        b"STORE" => store(p, false)?,
        b"COPY" => {
            let (sequence_set, mailbox) = copy(p)?;
            CommandBody::Copy {
                uid: false,
                sequence_set,
                mailbox,
            }
        }
        b"MOVE" => {
            let (sequence_set, mailbox) = copy(p)?;
            CommandBody::Move {
                uid: false,
                sequence_set,
                mailbox,
            }
        }
        b"UID" => {
            p.sp()?;
            let sub_start = p.pos;
            let sub = p.word("UID command")?;
            match sub.as_bytes() {
                b"FETCH" => fetch(p, true)?,
                b"STORE" => store(p, true)?,
                b"SEARCH" => search(p, true)?,
                b"COPY" => {
                    let (sequence_set, mailbox) = copy(p)?;
                    CommandBody::Copy {
                        uid: true,
                        sequence_set,
                        mailbox,
                    }
                }
                b"MOVE" => {
                    let (sequence_set, mailbox) = copy(p)?;
                    CommandBody::Move {
                        uid: true,
                        sequence_set,
                        mailbox,
                    }
                }
                b"EXPUNGE" => {
                    p.sp()?;
                    CommandBody::UidExpunge {
                        uids: p.sequence_set()?,
                    }
                }
                _ => return p.fail_at(sub_start, "UID command"),
            }
        }
        b"ENABLE" => {
            let mut capabilities = Vec::new();
            while p.maybe_sp()? {
                capabilities.push(p.capability()?);
            }
            match NonEmpty::from_vec_checked(capabilities) {
                Some(capabilities) => CommandBody::Enable { capabilities },
                None => return p.fail("capability"),
            }
        }
        b"ID" => {
            p.sp()?;
            CommandBody::Id {
                parameters: id_parameters(p)?,
            }
        }
        b"GETQUOTA" => {
            p.sp()?;
            CommandBody::GetQuota { root: p.astring()? }
        }
        b"GETQUOTAROOT" => {
            p.sp()?;
            CommandBody::GetQuotaRoot {
                mailbox: p.mailbox()?,
            }
        }
        b"SETQUOTA" => {
            p.sp()?;
            let root = p.astring()?;
            p.sp()?;
            let limits = p.paren_list(|p| {
                let resource = Resource::from_atom(p.atom()?);
                p.sp()?;
                Ok((resource, p.number64()?))
            })?;
            CommandBody::SetQuota { root, limits }
        }
        b"COMPRESS" => {
            p.sp()?;
            CommandBody::Compress {
                algorithm: p.atom()?,
            }
        }
        _ => return p.fail_at(start, "command name"),
    })
}

/// `ID` parameters, also used by the ID response.
pub(crate) fn id_parameters<'a>(p: &mut Parser<'a, '_>) -> PResult<IdParameters<'a>> {
    if !p.at(b'(')? {
        p.keyword("NIL")?;
        return Ok(None);
    }
    let pairs = p.paren_list(|p| {
        let field = p.string()?;
        p.sp()?;
        Ok((field, p.nstring()?))
    })?;
    Ok(Some(pairs))
}

fn authenticate<'a>(p: &mut Parser<'a, '_>) -> PResult<CommandBody<'a>> {
    p.sp()?;
    let mechanism = p.atom()?;
    let initial_response = if p.maybe_sp()? {
        if p.at(b'=')? && p.peek_at(1)? == b'\r' {
            p.pos += 1;
            Some(Secret::new(Vec::new()))
        } else {
            let start = p.pos;
            let data = p.base64_line()?;
            if data.is_empty() {
                return p.fail_at(start, "base64 or =");
            }
            Some(Secret::new(data))
        }
    } else {
        None
    };
    Ok(CommandBody::Authenticate {
        mechanism,
        initial_response,
    })
}

/// A line of AUTHENTICATE data: base64, or `*` to cancel.
pub(crate) fn authenticate_data(p: &mut Parser<'_, '_>) -> PResult<AuthenticateData> {
    if p.at(b'*')? {
        p.pos += 1;
        p.crlf()?;
        return Ok(AuthenticateData::Cancel);
    }
    let data = p.base64_line()?;
    p.crlf()?;
    Ok(AuthenticateData::Response(Secret::new(data)))
}

/// The `DONE` line that ends IDLE.
pub(crate) fn idle_done(p: &mut Parser<'_, '_>) -> PResult<()> {
    p.keyword("DONE")?;
    p.crlf()
}

fn select<'a>(
    p: &mut Parser<'a, '_>,
) -> PResult<(crate::types::Mailbox<'a>, Vec<SelectParameter<'a>>)> {
    p.sp()?;
    let mailbox = p.mailbox()?;
    let mut parameters = Vec::new();
    if p.maybe_sp()? {
        parameters = p.paren_list1(select_parameter)?.into_vec();
    }
    Ok((mailbox, parameters))
}

fn select_parameter<'a>(p: &mut Parser<'a, '_>) -> PResult<SelectParameter<'a>> {
    let name = p.atom()?;
    if name.as_str().eq_ignore_ascii_case("CONDSTORE") {
        return Ok(SelectParameter::CondStore);
    }
    if name.as_str().eq_ignore_ascii_case("QRESYNC") {
        p.sp()?;
        p.byte(b'(', "(")?;
        let uid_validity = p.nz_number()?;
        p.sp()?;
        let mod_seq = p.nz_number64()?;
        let mut known_uids = None;
        let mut sequence_match = None;
        if p.maybe_sp()? {
            if !p.at(b'(')? {
                known_uids = Some(p.sequence_set()?);
                if p.maybe_sp()? {
                    sequence_match = Some(sequence_match_data(p)?);
                }
            } else {
                sequence_match = Some(sequence_match_data(p)?);
            }
        }
        p.byte(b')', ")")?;
        return Ok(SelectParameter::QResync(QResyncParameters {
            uid_validity,
            mod_seq,
            known_uids,
            sequence_match,
        }));
    }
    let value = p.optional_ext_value()?;
    Ok(SelectParameter::Other(ExtParameter { name, value }))
}

fn sequence_match_data(
    p: &mut Parser<'_, '_>,
) -> PResult<(crate::types::SequenceSet, crate::types::SequenceSet)> {
    p.byte(b'(', "(")?;
    let known_sequence = p.sequence_set()?;
    p.sp()?;
    let known_uids = p.sequence_set()?;
    p.byte(b')', ")")?;
    Ok((known_sequence, known_uids))
}

fn create<'a>(p: &mut Parser<'a, '_>) -> PResult<CommandBody<'a>> {
    p.sp()?;
    let mailbox = p.mailbox()?;
    let mut parameters = Vec::new();
    if p.maybe_sp()? {
        parameters = p
            .paren_list1(|p| {
                let name = p.atom()?;
                if name.as_str().eq_ignore_ascii_case("USE") {
                    p.sp()?;
                    return Ok(CreateParameter::Use(p.paren_list(list_attribute)?));
                }
                let value = p.optional_ext_value()?;
                Ok(CreateParameter::Other(ExtParameter { name, value }))
            })?
            .into_vec();
    }
    Ok(CommandBody::Create {
        mailbox,
        parameters,
    })
}

/// A mailbox attribute: `\` and an atom.
pub(crate) fn list_attribute<'a>(p: &mut Parser<'a, '_>) -> PResult<ListAttribute<'a>> {
    p.byte(b'\\', "mailbox attribute")?;
    let atom = p.atom()?;
    Ok(match Upper::new(atom.as_str().as_bytes()).as_bytes() {
        b"NOINFERIORS" => ListAttribute::NoInferiors,
        b"NOSELECT" => ListAttribute::NoSelect,
        b"MARKED" => ListAttribute::Marked,
        b"UNMARKED" => ListAttribute::Unmarked,
        b"NONEXISTENT" => ListAttribute::NonExistent,
        b"SUBSCRIBED" => ListAttribute::Subscribed,
        b"REMOTE" => ListAttribute::Remote,
        b"HASCHILDREN" => ListAttribute::HasChildren,
        b"HASNOCHILDREN" => ListAttribute::HasNoChildren,
        b"ALL" => ListAttribute::All,
        b"ARCHIVE" => ListAttribute::Archive,
        b"DRAFTS" => ListAttribute::Drafts,
        b"FLAGGED" => ListAttribute::Flagged,
        b"JUNK" => ListAttribute::Junk,
        b"SENT" => ListAttribute::Sent,
        b"TRASH" => ListAttribute::Trash,
        _ => ListAttribute::Extension(atom),
    })
}

fn list_option_extension<'a>(
    p: &mut Parser<'a, '_>,
    name: crate::types::Atom<'a>,
) -> PResult<ListOptionExtension<'a>> {
    let value = if p.at(b' ')? && p.peek_at(1)? == b'(' {
        p.pos += 1;
        p.enter()?;
        p.byte(b'(', "(")?;
        let start = p.pos;
        let items = p.ext_items()?;
        p.byte(b')', ")")?;
        p.leave();
        match NonEmpty::from_vec_checked(items) {
            Some(items) => Some(items),
            None => return p.fail_at(start, "option value"),
        }
    } else {
        None
    };
    Ok(ListOptionExtension { name, value })
}

fn list<'a>(p: &mut Parser<'a, '_>) -> PResult<CommandBody<'a>> {
    p.sp()?;
    let mut selection = Vec::new();
    if p.at(b'(')? {
        selection = p.paren_list(|p| {
            let name = p.atom()?;
            Ok(match Upper::new(name.as_str().as_bytes()).as_bytes() {
                b"SUBSCRIBED" => ListSelectOption::Subscribed,
                b"REMOTE" => ListSelectOption::Remote,
                b"RECURSIVEMATCH" => ListSelectOption::RecursiveMatch,
                b"SPECIAL-USE" => ListSelectOption::SpecialUse,
                _ => ListSelectOption::Other(list_option_extension(p, name)?),
            })
        })?;
        p.sp()?;
    }
    let reference = p.mailbox()?;
    p.sp()?;
    let patterns = if p.at(b'(')? {
        p.paren_list1(|p| p.list_mailbox())?
    } else {
        NonEmpty::new(p.list_mailbox()?)
    };
    let mut return_options = Vec::new();
    if p.maybe_sp()? {
        p.keyword("RETURN")?;
        p.sp()?;
        return_options = p.paren_list(|p| {
            let name = p.atom()?;
            Ok(match Upper::new(name.as_str().as_bytes()).as_bytes() {
                b"SUBSCRIBED" => ListReturnOption::Subscribed,
                b"CHILDREN" => ListReturnOption::Children,
                b"SPECIAL-USE" => ListReturnOption::SpecialUse,
                b"STATUS" => {
                    p.sp()?;
                    ListReturnOption::Status(p.paren_list1(status_attribute)?)
                }
                _ => ListReturnOption::Other(list_option_extension(p, name)?),
            })
        })?;
    }
    Ok(CommandBody::List {
        selection,
        reference,
        patterns,
        return_options,
    })
}

pub(crate) fn status_attribute(p: &mut Parser<'_, '_>) -> PResult<StatusAttribute> {
    let start = p.pos;
    let word = p.take_while1(chars::is_atom_char, "status attribute")?;
    match StatusAttribute::from_name(word) {
        Some(attribute) => Ok(attribute),
        None => p.fail_at(start, "status attribute"),
    }
}

fn append<'a>(p: &mut Parser<'a, '_>) -> PResult<CommandBody<'a>> {
    p.sp()?;
    let mailbox = p.mailbox()?;
    let mut messages = Vec::new();
    while p.maybe_sp()? {
        let mut flags = Vec::new();
        if p.at(b'(')? {
            flags = p.paren_list(|p| p.flag())?;
            p.sp()?;
        }
        let mut date = None;
        if p.at(b'"')? {
            date = Some(p.date_time()?);
            p.sp()?;
        }
        let data = match p.peek()? {
            b'{' => AppendData::Literal(IString::from_checked(std::borrow::Cow::Borrowed(
                p.literal(false)?.0,
            ))),
            b'~' => AppendData::Literal8(std::borrow::Cow::Borrowed(p.literal(true)?.0)),
            b'U' | b'u' => {
                p.keyword("UTF8")?;
                p.sp()?;
                p.byte(b'(', "(")?;
                let data = p.literal(true)?.0;
                p.byte(b')', ")")?;
                AppendData::Utf8(std::borrow::Cow::Borrowed(data))
            }
            _ => return p.fail("literal"),
        };
        messages.push(AppendMessage { flags, date, data });
    }
    match NonEmpty::from_vec_checked(messages) {
        Some(messages) => Ok(CommandBody::Append { mailbox, messages }),
        None => p.fail("message"),
    }
}

fn copy<'a>(
    p: &mut Parser<'a, '_>,
) -> PResult<(crate::types::SequenceSet, crate::types::Mailbox<'a>)> {
    p.sp()?;
    let set = p.sequence_set()?;
    p.sp()?;
    Ok((set, p.mailbox()?))
}

fn search<'a>(p: &mut Parser<'a, '_>, uid: bool) -> PResult<CommandBody<'a>> {
    p.sp()?;
    let mut return_options = None;
    let mut charset = None;
    let (word, _) = p.peek_word()?;
    if word.as_bytes() == b"RETURN" {
        p.keyword("RETURN")?;
        p.sp()?;
        return_options = Some(p.paren_list(search_return_option)?);
        p.sp()?;
    }
    let (word, _) = p.peek_word()?;
    if word.as_bytes() == b"CHARSET" {
        p.keyword("CHARSET")?;
        p.sp()?;
        let start = p.pos;
        let name = p.astring_bytes()?;
        let name = std::str::from_utf8(&name)
            .ok()
            .and_then(|name| Charset::new(name.to_owned()).ok());
        match name {
            Some(name) => charset = Some(name),
            None => return p.fail_at(start, "charset"),
        }
        p.sp()?;
    }
    let mut criteria = NonEmpty::new(search_key(p)?);
    while p.maybe_sp()? {
        criteria.push(search_key(p)?);
    }
    Ok(CommandBody::Search {
        uid,
        return_options,
        charset,
        criteria,
    })
}

fn search_return_option<'a>(p: &mut Parser<'a, '_>) -> PResult<SearchReturnOption<'a>> {
    let name = p.atom()?;
    Ok(match Upper::new(name.as_str().as_bytes()).as_bytes() {
        b"MIN" => SearchReturnOption::Min,
        b"MAX" => SearchReturnOption::Max,
        b"ALL" => SearchReturnOption::All,
        b"COUNT" => SearchReturnOption::Count,
        b"SAVE" => SearchReturnOption::Save,
        _ => {
            let value = p.optional_ext_value()?;
            SearchReturnOption::Other(ExtParameter { name, value })
        }
    })
}

fn search_key<'a>(p: &mut Parser<'a, '_>) -> PResult<SearchKey<'a>> {
    let first = p.peek()?;
    if first == b'(' {
        p.enter()?;
        p.pos += 1;
        let mut keys = NonEmpty::new(search_key(p)?);
        while p.maybe_sp()? {
            keys.push(search_key(p)?);
        }
        p.byte(b')', ")")?;
        p.leave();
        return Ok(SearchKey::And(keys));
    }
    if first.is_ascii_digit() || first == b'*' || first == b'$' {
        return Ok(SearchKey::SequenceSet(p.sequence_set()?));
    }
    let start = p.pos;
    let word = p.word("search key")?;
    let key = match word.as_bytes() {
        b"ALL" => SearchKey::All,
        b"ANSWERED" => SearchKey::Answered,
        b"DELETED" => SearchKey::Deleted,
        b"DRAFT" => SearchKey::Draft,
        b"FLAGGED" => SearchKey::Flagged,
        b"NEW" => SearchKey::New,
        b"OLD" => SearchKey::Old,
        b"RECENT" => SearchKey::Recent,
        b"SEEN" => SearchKey::Seen,
        b"UNANSWERED" => SearchKey::Unanswered,
        b"UNDELETED" => SearchKey::Undeleted,
        b"UNDRAFT" => SearchKey::Undraft,
        b"UNFLAGGED" => SearchKey::Unflagged,
        b"UNSEEN" => SearchKey::Unseen,
        b"BCC" => SearchKey::Bcc(sp_astring(p)?),
        b"BODY" => SearchKey::Body(sp_astring(p)?),
        b"CC" => SearchKey::Cc(sp_astring(p)?),
        b"FROM" => SearchKey::From(sp_astring(p)?),
        b"SUBJECT" => SearchKey::Subject(sp_astring(p)?),
        b"TEXT" => SearchKey::Text(sp_astring(p)?),
        b"TO" => SearchKey::To(sp_astring(p)?),
        b"HEADER" => {
            let name = sp_astring(p)?;
            SearchKey::Header(name, sp_astring(p)?)
        }
        b"BEFORE" => SearchKey::Before(sp_date(p)?),
        b"ON" => SearchKey::On(sp_date(p)?),
        b"SINCE" => SearchKey::Since(sp_date(p)?),
        b"SENTBEFORE" => SearchKey::SentBefore(sp_date(p)?),
        b"SENTON" => SearchKey::SentOn(sp_date(p)?),
        b"SENTSINCE" => SearchKey::SentSince(sp_date(p)?),
        b"KEYWORD" => {
            p.sp()?;
            SearchKey::Keyword(p.atom()?)
        }
        b"UNKEYWORD" => {
            p.sp()?;
            SearchKey::Unkeyword(p.atom()?)
        }
        b"LARGER" => {
            p.sp()?;
            SearchKey::Larger(p.number64()?)
        }
        b"SMALLER" => {
            p.sp()?;
            SearchKey::Smaller(p.number64()?)
        }
        b"UID" => {
            p.sp()?;
            SearchKey::Uid(p.sequence_set()?)
        }
        b"NOT" => {
            p.sp()?;
            p.enter()?;
            let key = search_key(p)?;
            p.leave();
            SearchKey::Not(Box::new(key))
        }
        b"OR" => {
            p.sp()?;
            p.enter()?;
            let left = search_key(p)?;
            p.sp()?;
            let right = search_key(p)?;
            p.leave();
            SearchKey::Or(Box::new(left), Box::new(right))
        }
        b"MODSEQ" => {
            p.sp()?;
            let mut entry = None;
            // The entry name is quoted in the ABNF; a literal is accepted too, as the
            // encoder needs one for names that cannot be quoted.
            if matches!(p.peek()?, b'"' | b'{') {
                let name = p.string()?;
                p.sp()?;
                let type_start = p.pos;
                let kind = match p.word("entry type")?.as_bytes() {
                    b"PRIV" => EntryType::Private,
                    b"SHARED" => EntryType::Shared,
                    b"ALL" => EntryType::All,
                    _ => return p.fail_at(type_start, "entry type"),
                };
                p.sp()?;
                entry = Some((name, kind));
            }
            SearchKey::ModSeq {
                entry,
                mod_seq: p.number64()?,
            }
        }
        _ => return p.fail_at(start, "search key"),
    };
    Ok(key)
}

fn sp_astring<'a>(p: &mut Parser<'a, '_>) -> PResult<IString<'a>> {
    p.sp()?;
    p.astring()
}

fn sp_date(p: &mut Parser<'_, '_>) -> PResult<crate::types::Date> {
    p.sp()?;
    p.date()
}

fn fetch<'a>(p: &mut Parser<'a, '_>, uid: bool) -> PResult<CommandBody<'a>> {
    p.sp()?;
    let sequence_set = p.sequence_set()?;
    p.sp()?;
    let attributes = if p.at(b'(')? {
        FetchAttributes::Attributes(p.paren_list1(fetch_attribute)?)
    } else {
        let (word, _) = p.peek_word()?;
        match word.as_bytes() {
            b"ALL" => {
                p.keyword("ALL")?;
                FetchAttributes::All
            }
            b"FAST" => {
                p.keyword("FAST")?;
                FetchAttributes::Fast
            }
            b"FULL" => {
                p.keyword("FULL")?;
                FetchAttributes::Full
            }
            _ => FetchAttributes::Attributes(NonEmpty::new(fetch_attribute(p)?)),
        }
    };
    let mut modifiers = Vec::new();
    if p.maybe_sp()? {
        modifiers = p
            .paren_list1(|p| {
                let name = p.atom()?;
                Ok(match Upper::new(name.as_str().as_bytes()).as_bytes() {
                    b"CHANGEDSINCE" => {
                        p.sp()?;
                        FetchModifier::ChangedSince(p.nz_number64()?)
                    }
                    b"VANISHED" => FetchModifier::Vanished,
                    _ => {
                        let value = p.optional_ext_value()?;
                        FetchModifier::Other(ExtParameter { name, value })
                    }
                })
            })?
            .into_vec();
    }
    Ok(CommandBody::Fetch {
        uid,
        sequence_set,
        attributes,
        modifiers,
    })
}

fn partial(p: &mut Parser<'_, '_>) -> PResult<Option<Partial>> {
    if !p.at(b'<')? {
        return Ok(None);
    }
    p.pos += 1;
    let offset = p.number64()?;
    p.byte(b'.', ".")?;
    let length = p.nz_number64()?;
    p.byte(b'>', ">")?;
    Ok(Some(Partial { offset, length }))
}

fn fetch_attribute<'a>(p: &mut Parser<'a, '_>) -> PResult<FetchAttribute<'a>> {
    let start = p.pos;
    let word = p.take_while1(
        |byte| byte.is_ascii_alphanumeric() || byte == b'.',
        "fetch attribute",
    )?;
    let word = Upper::new(word);
    Ok(match word.as_bytes() {
        b"ENVELOPE" => FetchAttribute::Envelope,
        b"FLAGS" => FetchAttribute::Flags,
        b"INTERNALDATE" => FetchAttribute::InternalDate,
        b"RFC822" => FetchAttribute::Rfc822,
        b"RFC822.HEADER" => FetchAttribute::Rfc822Header,
        b"RFC822.SIZE" => FetchAttribute::Rfc822Size,
        b"RFC822.TEXT" => FetchAttribute::Rfc822Text,
        b"BODYSTRUCTURE" => FetchAttribute::BodyStructure,
        b"UID" => FetchAttribute::Uid,
        b"MODSEQ" => FetchAttribute::ModSeq,
        b"BODY" if !p.at(b'[')? => FetchAttribute::Body,
        b"BODY" | b"BODY.PEEK" => {
            let peek = word.as_bytes() == b"BODY.PEEK";
            let section = super::body::section(p)?;
            FetchAttribute::BodySection {
                peek,
                section,
                partial: partial(p)?,
            }
        }
        b"BINARY" | b"BINARY.PEEK" => {
            let peek = word.as_bytes() == b"BINARY.PEEK";
            let part = super::body::section_binary(p)?;
            FetchAttribute::Binary {
                peek,
                part,
                partial: partial(p)?,
            }
        }
        b"BINARY.SIZE" => FetchAttribute::BinarySize {
            part: super::body::section_binary(p)?,
        },
        _ => return p.fail_at(start, "fetch attribute"),
    })
}

fn store<'a>(p: &mut Parser<'a, '_>, uid: bool) -> PResult<CommandBody<'a>> {
    p.sp()?;
    let sequence_set = p.sequence_set()?;
    p.sp()?;
    let mut modifiers = Vec::new();
    if p.at(b'(')? {
        modifiers = p
            .paren_list1(|p| {
                let name = p.atom()?;
                if name.as_str().eq_ignore_ascii_case("UNCHANGEDSINCE") {
                    p.sp()?;
                    return Ok(StoreModifier::UnchangedSince(p.number64()?));
                }
                let value = p.optional_ext_value()?;
                Ok(StoreModifier::Other(ExtParameter { name, value }))
            })?
            .into_vec();
        p.sp()?;
    }
    let action = match p.peek()? {
        b'+' => {
            p.pos += 1;
            StoreAction::Add
        }
        b'-' => {
            p.pos += 1;
            StoreAction::Remove
        }
        _ => StoreAction::Replace,
    };
    p.keyword("FLAGS")?;
    let silent = if p.at(b'.')? {
        p.keyword(".SILENT")?;
        true
    } else {
        false
    };
    p.sp()?;
    let flags = if p.at(b'(')? {
        p.paren_list(|p| p.flag())?
    } else {
        let mut flags = vec![p.flag()?];
        while p.maybe_sp()? {
            flags.push(p.flag()?);
        }
        flags
    };
    Ok(CommandBody::Store {
        uid,
        sequence_set,
        modifiers,
        action,
        silent,
        flags,
    })
}
