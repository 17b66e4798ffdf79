//! Writing commands.

use super::Writer;
use crate::types::{
    AppendData, Command, CommandBody, CreateParameter, EntryType, FetchAttribute, FetchAttributes,
    FetchModifier, ListOptionExtension, ListReturnOption, ListSelectOption, SearchKey,
    SearchReturnOption, SelectParameter, StatusAttribute, StoreAction, StoreModifier,
};

pub(crate) fn command(w: &mut Writer<'_>, command: &Command<'_>) {
    w.str(command.tag.as_str());
    w.sp();
    w.str(command.body.name());
    body(w, &command.body);
    w.crlf();
}

fn status_attributes(w: &mut Writer<'_>, attributes: &[StatusAttribute]) {
    w.list(attributes, |w, attribute| w.str(attribute.name()));
}

fn list_option_extension(w: &mut Writer<'_>, option: &ListOptionExtension<'_>) {
    w.str(option.name.as_str());
    if let Some(value) = &option.value {
        w.str(" (");
        w.ext_items(value);
        w.byte(b')');
    }
}

fn body(w: &mut Writer<'_>, body: &CommandBody<'_>) {
    use base64::Engine as _;
    match body {
        CommandBody::Capability
        | CommandBody::Noop
        | CommandBody::Logout
        | CommandBody::StartTls
        | CommandBody::Namespace
        | CommandBody::Idle
        | CommandBody::Check
        | CommandBody::Close
        | CommandBody::Unselect
        | CommandBody::Expunge => {}
        CommandBody::Authenticate {
            mechanism,
            initial_response,
        } => {
            w.sp();
            w.str(mechanism.as_str());
            if let Some(response) = initial_response {
                w.sp();
                if response.expose().is_empty() {
                    w.byte(b'=');
                } else {
                    let encoded =
                        base64::engine::general_purpose::STANDARD.encode(response.expose());
                    w.str(&encoded);
                }
            }
        }
        CommandBody::Login { username, password } => {
            w.sp();
            w.astring(username.as_bytes());
            w.sp();
            w.astring(password.expose().as_bytes());
        }
        CommandBody::Select {
            mailbox,
            parameters,
        }
        | CommandBody::Examine {
            mailbox,
            parameters,
        } => {
            w.sp();
            w.mailbox(mailbox);
            if !parameters.is_empty() {
                w.sp();
                w.list(parameters, |w, parameter| match parameter {
                    SelectParameter::CondStore => w.str("CONDSTORE"),
                    SelectParameter::QResync(qresync) => {
                        w.str("QRESYNC (");
                        w.number(u64::from(qresync.uid_validity.get()));
                        w.sp();
                        w.number(qresync.mod_seq.get());
                        if let Some(known) = &qresync.known_uids {
                            w.sp();
                            w.sequence_set(known);
                        }
                        if let Some((sequence, uids)) = &qresync.sequence_match {
                            w.str(" (");
                            w.sequence_set(sequence);
                            w.sp();
                            w.sequence_set(uids);
                            w.byte(b')');
                        }
                        w.byte(b')');
                    }
                    SelectParameter::Other(other) => w.ext_parameter(other),
                });
            }
        }
        CommandBody::Create {
            mailbox,
            parameters,
        } => {
            w.sp();
            w.mailbox(mailbox);
            if !parameters.is_empty() {
                w.sp();
                w.list(parameters, |w, parameter| match parameter {
                    CreateParameter::Use(attributes) => {
                        w.str("USE ");
                        w.list(attributes, |w, attribute| w.list_attribute(attribute));
                    }
                    CreateParameter::Other(other) => w.ext_parameter(other),
                });
            }
        }
        CommandBody::Delete { mailbox }
        | CommandBody::Subscribe { mailbox }
        | CommandBody::Unsubscribe { mailbox }
        | CommandBody::GetQuotaRoot { mailbox } => {
            w.sp();
            w.mailbox(mailbox);
        }
        CommandBody::Rename { from, to } => {
            w.sp();
            w.mailbox(from);
            w.sp();
            w.mailbox(to);
        }
        CommandBody::List {
            selection,
            reference,
            patterns,
            return_options,
        } => {
            w.sp();
            if !selection.is_empty() {
                w.list(selection, |w, option| match option {
                    ListSelectOption::Subscribed => w.str("SUBSCRIBED"),
                    ListSelectOption::Remote => w.str("REMOTE"),
                    ListSelectOption::RecursiveMatch => w.str("RECURSIVEMATCH"),
                    ListSelectOption::SpecialUse => w.str("SPECIAL-USE"),
                    ListSelectOption::Other(other) => list_option_extension(w, other),
                });
                w.sp();
            }
            w.mailbox(reference);
            w.sp();
            match patterns.as_slice() {
                [single] => w.list_mailbox(single),
                many => w.list(many, |w, pattern| w.list_mailbox(pattern)),
            }
            if !return_options.is_empty() {
                w.str(" RETURN ");
                w.list(return_options, |w, option| match option {
                    ListReturnOption::Subscribed => w.str("SUBSCRIBED"),
                    ListReturnOption::Children => w.str("CHILDREN"),
                    ListReturnOption::SpecialUse => w.str("SPECIAL-USE"),
                    ListReturnOption::Status(attributes) => {
                        w.str("STATUS ");
                        status_attributes(w, attributes);
                    }
                    ListReturnOption::Other(other) => list_option_extension(w, other),
                });
            }
        }
        CommandBody::Lsub { reference, pattern } => {
            w.sp();
            w.mailbox(reference);
            w.sp();
            w.list_mailbox(pattern);
        }
        CommandBody::Status {
            mailbox,
            attributes,
        } => {
            w.sp();
            w.mailbox(mailbox);
            w.sp();
            status_attributes(w, attributes);
        }
        CommandBody::Append { mailbox, messages } => {
            w.sp();
            w.mailbox(mailbox);
            for message in messages {
                w.sp();
                if !message.flags.is_empty() {
                    w.list(&message.flags, |w, flag| w.flag(flag));
                    w.sp();
                }
                if let Some(date) = &message.date {
                    w.date_time(date);
                    w.sp();
                }
                match &message.data {
                    AppendData::Literal(data) => w.literal(data.as_bytes(), false),
                    AppendData::Literal8(data) => w.literal(data, true),
                    AppendData::Utf8(data) => {
                        w.str("UTF8 (");
                        w.literal(data, true);
                        w.byte(b')');
                    }
                }
            }
        }
        CommandBody::UidExpunge { uids } => {
            w.sp();
            w.sequence_set(uids);
        }
        CommandBody::Search {
            return_options,
            charset,
            criteria,
            ..
        } => {
            if let Some(options) = return_options {
                w.str(" RETURN ");
                w.list(options, |w, option| match option {
                    SearchReturnOption::Min => w.str("MIN"),
                    SearchReturnOption::Max => w.str("MAX"),
                    SearchReturnOption::All => w.str("ALL"),
                    SearchReturnOption::Count => w.str("COUNT"),
                    SearchReturnOption::Save => w.str("SAVE"),
                    SearchReturnOption::Other(other) => w.ext_parameter(other),
                });
            }
            if let Some(charset) = charset {
                w.str(" CHARSET ");
                w.charset(charset);
            }
            for key in criteria {
                w.sp();
                search_key(w, key);
            }
        }
        CommandBody::Fetch {
            sequence_set,
            attributes,
            modifiers,
            ..
        } => {
            w.sp();
            w.sequence_set(sequence_set);
            w.sp();
            match attributes {
                FetchAttributes::All => w.str("ALL"),
                FetchAttributes::Fast => w.str("FAST"),
                FetchAttributes::Full => w.str("FULL"),
                FetchAttributes::Attributes(list) => match list.as_slice() {
                    [single] => fetch_attribute(w, single),
                    many => w.list(many, fetch_attribute),
                },
            }
            if !modifiers.is_empty() {
                w.sp();
                w.list(modifiers, |w, modifier| match modifier {
                    FetchModifier::ChangedSince(modseq) => {
                        w.str("CHANGEDSINCE ");
                        w.number(modseq.get());
                    }
                    FetchModifier::Vanished => w.str("VANISHED"),
                    FetchModifier::Other(other) => w.ext_parameter(other),
                });
            }
        }
        CommandBody::Store {
            sequence_set,
            modifiers,
            action,
            silent,
            flags,
            ..
        } => {
            w.sp();
            w.sequence_set(sequence_set);
            w.sp();
            if !modifiers.is_empty() {
                w.list(modifiers, |w, modifier| match modifier {
                    StoreModifier::UnchangedSince(modseq) => {
                        w.str("UNCHANGEDSINCE ");
                        w.number(*modseq);
                    }
                    StoreModifier::Other(other) => w.ext_parameter(other),
                });
                w.sp();
            }
            w.str(match action {
                StoreAction::Replace => "FLAGS",
                StoreAction::Add => "+FLAGS",
                StoreAction::Remove => "-FLAGS",
            });
            if *silent {
                w.str(".SILENT");
            }
            w.sp();
            w.list(flags, |w, flag| w.flag(flag));
        }
        CommandBody::Copy {
            sequence_set,
            mailbox,
            ..
        }
        | CommandBody::Move {
            sequence_set,
            mailbox,
            ..
        } => {
            w.sp();
            w.sequence_set(sequence_set);
            w.sp();
            w.mailbox(mailbox);
        }
        CommandBody::Enable { capabilities } => {
            for capability in capabilities {
                w.sp();
                w.capability(capability);
            }
        }
        CommandBody::Id { parameters } => {
            w.sp();
            super::response::id_parameters(w, parameters);
        }
        CommandBody::GetQuota { root } => {
            w.sp();
            w.astring(root.as_bytes());
        }
        CommandBody::SetQuota { root, limits } => {
            w.sp();
            w.astring(root.as_bytes());
            w.sp();
            w.list(limits, |w, (resource, limit)| {
                w.str(resource.name());
                w.sp();
                w.number(*limit);
            });
        }
        CommandBody::Compress { algorithm } => {
            w.sp();
            w.str(algorithm.as_str());
        }
    }
}

fn search_key(w: &mut Writer<'_>, key: &SearchKey<'_>) {
    let keyword_astring = |w: &mut Writer<'_>, name: &str, value: &crate::types::IString<'_>| {
        w.str(name);
        w.sp();
        w.astring(value.as_bytes());
    };
    let keyword_date = |w: &mut Writer<'_>, name: &str, date: &crate::types::Date| {
        w.str(name);
        w.sp();
        w.date(date);
    };
    match key {
        SearchKey::All => w.str("ALL"),
        SearchKey::Answered => w.str("ANSWERED"),
        SearchKey::Deleted => w.str("DELETED"),
        SearchKey::Draft => w.str("DRAFT"),
        SearchKey::Flagged => w.str("FLAGGED"),
        SearchKey::New => w.str("NEW"),
        SearchKey::Old => w.str("OLD"),
        SearchKey::Recent => w.str("RECENT"),
        SearchKey::Seen => w.str("SEEN"),
        SearchKey::Unanswered => w.str("UNANSWERED"),
        SearchKey::Undeleted => w.str("UNDELETED"),
        SearchKey::Undraft => w.str("UNDRAFT"),
        SearchKey::Unflagged => w.str("UNFLAGGED"),
        SearchKey::Unseen => w.str("UNSEEN"),
        SearchKey::Bcc(value) => keyword_astring(w, "BCC", value),
        SearchKey::Body(value) => keyword_astring(w, "BODY", value),
        SearchKey::Cc(value) => keyword_astring(w, "CC", value),
        SearchKey::From(value) => keyword_astring(w, "FROM", value),
        SearchKey::Subject(value) => keyword_astring(w, "SUBJECT", value),
        SearchKey::Text(value) => keyword_astring(w, "TEXT", value),
        SearchKey::To(value) => keyword_astring(w, "TO", value),
        SearchKey::Header(name, value) => {
            keyword_astring(w, "HEADER", name);
            w.sp();
            w.astring(value.as_bytes());
        }
        SearchKey::Before(date) => keyword_date(w, "BEFORE", date),
        SearchKey::On(date) => keyword_date(w, "ON", date),
        SearchKey::Since(date) => keyword_date(w, "SINCE", date),
        SearchKey::SentBefore(date) => keyword_date(w, "SENTBEFORE", date),
        SearchKey::SentOn(date) => keyword_date(w, "SENTON", date),
        SearchKey::SentSince(date) => keyword_date(w, "SENTSINCE", date),
        SearchKey::Keyword(atom) => {
            w.str("KEYWORD ");
            w.str(atom.as_str());
        }
        SearchKey::Unkeyword(atom) => {
            w.str("UNKEYWORD ");
            w.str(atom.as_str());
        }
        SearchKey::Larger(size) => {
            w.str("LARGER ");
            w.number(*size);
        }
        SearchKey::Smaller(size) => {
            w.str("SMALLER ");
            w.number(*size);
        }
        SearchKey::Uid(set) => {
            w.str("UID ");
            w.sequence_set(set);
        }
        SearchKey::SequenceSet(set) => w.sequence_set(set),
        SearchKey::Not(inner) => {
            w.str("NOT ");
            search_key(w, inner);
        }
        SearchKey::Or(left, right) => {
            w.str("OR ");
            search_key(w, left);
            w.sp();
            search_key(w, right);
        }
        SearchKey::And(keys) => w.list(keys, search_key),
        SearchKey::ModSeq { entry, mod_seq } => {
            w.str("MODSEQ ");
            if let Some((name, kind)) = entry {
                w.string(name.as_bytes());
                w.str(match kind {
                    EntryType::Private => " priv ",
                    EntryType::Shared => " shared ",
                    EntryType::All => " all ",
                });
            }
            w.number(*mod_seq);
        }
    }
}

fn partial(w: &mut Writer<'_>, partial: &Option<crate::types::Partial>) {
    if let Some(partial) = partial {
        w.byte(b'<');
        w.number(partial.offset);
        w.byte(b'.');
        w.number(partial.length.get());
        w.byte(b'>');
    }
}

fn fetch_attribute(w: &mut Writer<'_>, attribute: &FetchAttribute<'_>) {
    match attribute {
        FetchAttribute::Envelope => w.str("ENVELOPE"),
        FetchAttribute::Flags => w.str("FLAGS"),
        FetchAttribute::InternalDate => w.str("INTERNALDATE"),
        FetchAttribute::Rfc822 => w.str("RFC822"),
        FetchAttribute::Rfc822Header => w.str("RFC822.HEADER"),
        FetchAttribute::Rfc822Size => w.str("RFC822.SIZE"),
        FetchAttribute::Rfc822Text => w.str("RFC822.TEXT"),
        FetchAttribute::Body => w.str("BODY"),
        FetchAttribute::BodyStructure => w.str("BODYSTRUCTURE"),
        FetchAttribute::Uid => w.str("UID"),
        FetchAttribute::ModSeq => w.str("MODSEQ"),
        FetchAttribute::BodySection {
            peek,
            section,
            partial: range,
        } => {
            w.str(if *peek { "BODY.PEEK" } else { "BODY" });
            super::body::section(w, section.as_ref());
            partial(w, range);
        }
        FetchAttribute::Binary {
            peek,
            part,
            partial: range,
        } => {
            w.str(if *peek { "BINARY.PEEK" } else { "BINARY" });
            super::body::section_binary(w, part);
            partial(w, range);
        }
        FetchAttribute::BinarySize { part } => {
            w.str("BINARY.SIZE");
            super::body::section_binary(w, part);
        }
    }
}
