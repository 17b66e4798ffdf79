//! Writing responses.

use super::Writer;
use crate::types::{
    Code, Data, Delimiter, ESearchData, Greeting, GreetingKind, IdParameters, ListData,
    ListExtendedItem, MessageDataItem, NamespaceDescription, Response, ResponseText, State,
    StatusItem,
};

pub(crate) fn greeting(w: &mut Writer<'_>, greeting: &Greeting<'_>) {
    w.str(match greeting.kind {
        GreetingKind::Ok => "* OK",
        GreetingKind::PreAuth => "* PREAUTH",
        GreetingKind::Bye => "* BYE",
    });
    response_text(w, &greeting.text);
    w.crlf();
}

pub(crate) fn response(w: &mut Writer<'_>, response: &Response<'_>) {
    match response {
        Response::Tagged(tagged) => {
            w.str(tagged.tag.as_str());
            w.sp();
            w.str(state(tagged.state));
            response_text(w, &tagged.text);
        }
        Response::Continuation(continuation) => {
            w.byte(b'+');
            response_text(w, &continuation.text);
        }
        Response::Data(data_response) => {
            w.str("* ");
            data(w, data_response);
        }
    }
    w.crlf();
}

fn state(state: State) -> &'static str {
    match state {
        State::Ok => "OK",
        State::No => "NO",
        State::Bad => "BAD",
    }
}

/// `SP ["[" code "]" SP] text`.
fn response_text(w: &mut Writer<'_>, text: &ResponseText<'_>) {
    w.sp();
    if let Some(code) = &text.code {
        w.byte(b'[');
        response_code(w, code);
        w.str("] ");
    }
    w.text(&text.text);
}

fn response_code(w: &mut Writer<'_>, code: &Code<'_>) {
    for (name, known) in crate::types::SIMPLE_CODES.iter() {
        if known == code {
            w.str(name);
            return;
        }
    }
    match code {
        Code::BadCharset(charsets) => {
            w.str("BADCHARSET");
            if !charsets.is_empty() {
                w.sp();
                w.list(charsets, |w, charset| w.charset(charset));
            }
        }
        Code::Capability(capabilities) => {
            w.str("CAPABILITY");
            for capability in capabilities {
                w.sp();
                w.capability(capability);
            }
        }
        Code::PermanentFlags(flags) => {
            w.str("PERMANENTFLAGS ");
            w.list(flags, |w, flag| w.flag_perm(flag));
        }
        Code::UidNext(number) => {
            w.str("UIDNEXT ");
            w.number(u64::from(number.get()));
        }
        Code::UidValidity(number) => {
            w.str("UIDVALIDITY ");
            w.number(u64::from(number.get()));
        }
        Code::Unseen(number) => {
            w.str("UNSEEN ");
            w.number(u64::from(number.get()));
        }
        Code::AppendUid { uid_validity, uids } => {
            w.str("APPENDUID ");
            w.number(u64::from(uid_validity.get()));
            w.sp();
            w.uid_set(uids);
        }
        Code::CopyUid {
            uid_validity,
            source,
            destination,
        } => {
            w.str("COPYUID ");
            w.number(u64::from(uid_validity.get()));
            w.sp();
            w.uid_set(source);
            w.sp();
            w.uid_set(destination);
        }
        Code::HighestModSeq(modseq) => {
            w.str("HIGHESTMODSEQ ");
            w.number(modseq.get());
        }
        Code::Modified(set) => {
            w.str("MODIFIED ");
            w.sequence_set(set);
        }
        Code::Other(other) => {
            w.str(other.name().as_str());
            if let Some(argument) = other.argument() {
                w.sp();
                w.text(argument);
            }
        }
        // Every code without arguments is in SIMPLE_CODES.
        _ => {}
    }
}

fn delimiter(w: &mut Writer<'_>, delimiter: Option<Delimiter>) {
    match delimiter {
        None => w.str("NIL"),
        Some(delimiter) => w.quoted(&[delimiter.as_byte()]),
    }
}

fn list_data(w: &mut Writer<'_>, list: &ListData<'_>) {
    w.list(&list.attributes, |w, attribute| w.list_attribute(attribute));
    w.sp();
    delimiter(w, list.delimiter);
    w.sp();
    w.mailbox(&list.mailbox);
    if !list.extended.is_empty() {
        w.sp();
        w.list(&list.extended, |w, item| match item {
            ListExtendedItem::ChildInfo(options) => {
                w.str("CHILDINFO ");
                w.list(options, |w, option| w.istring(option));
            }
            ListExtendedItem::OldName(mailbox) => {
                w.str("OLDNAME (");
                w.mailbox(mailbox);
                w.byte(b')');
            }
            ListExtendedItem::Other { tag, value } => {
                w.astring(tag.as_bytes());
                w.sp();
                w.tagged_ext_val(value);
            }
        });
    }
}

pub(crate) fn id_parameters(w: &mut Writer<'_>, parameters: &IdParameters<'_>) {
    match parameters {
        None => w.str("NIL"),
        Some(pairs) => w.list(pairs, |w, (field, value)| {
            w.istring(field);
            w.sp();
            w.nstring(value.as_ref());
        }),
    }
}

fn namespace(w: &mut Writer<'_>, descriptions: &[NamespaceDescription<'_>]) {
    if descriptions.is_empty() {
        w.str("NIL");
        return;
    }
    w.byte(b'(');
    for description in descriptions {
        w.byte(b'(');
        w.istring(&description.prefix);
        w.sp();
        delimiter(w, description.delimiter);
        for (name, values) in &description.extensions {
            w.sp();
            w.istring(name);
            w.sp();
            w.list(values, |w, value| w.istring(value));
        }
        w.byte(b')');
    }
    w.byte(b')');
}

fn status_item(w: &mut Writer<'_>, item: &StatusItem) {
    w.str(item.attribute().name());
    w.sp();
    w.number(match *item {
        StatusItem::Messages(n)
        | StatusItem::Recent(n)
        | StatusItem::Unseen(n)
        | StatusItem::Deleted(n) => u64::from(n),
        StatusItem::UidNext(n) | StatusItem::UidValidity(n) => u64::from(n.get()),
        StatusItem::Size(n) | StatusItem::HighestModSeq(n) | StatusItem::DeletedStorage(n) => n,
    });
}

fn data(w: &mut Writer<'_>, data: &Data<'_>) {
    match data {
        Data::State {
            state: condition,
            text,
        } => {
            w.str(state(*condition));
            response_text(w, text);
        }
        Data::Bye(text) => {
            w.str("BYE");
            response_text(w, text);
        }
        Data::Capability(capabilities) => {
            w.str("CAPABILITY");
            for capability in capabilities {
                w.sp();
                w.capability(capability);
            }
        }
        Data::Enabled(capabilities) => {
            w.str("ENABLED");
            for capability in capabilities {
                w.sp();
                w.capability(capability);
            }
        }
        Data::List(list) => {
            w.str("LIST ");
            list_data(w, list);
        }
        Data::Lsub(list) => {
            w.str("LSUB ");
            list_data(w, list);
        }
        Data::Status { mailbox, items } => {
            w.str("STATUS ");
            w.mailbox(mailbox);
            w.sp();
            w.list(items, status_item);
        }
        Data::Search { numbers, mod_seq } => {
            w.str("SEARCH");
            for number in numbers {
                w.sp();
                w.number(u64::from(number.get()));
            }
            if let (Some(mod_seq), false) = (mod_seq, numbers.is_empty()) {
                w.str(" (MODSEQ ");
                w.number(mod_seq.get());
                w.byte(b')');
            }
        }
        Data::ESearch(response) => {
            w.str("ESEARCH");
            if let Some(tag) = &response.tag {
                w.str(" (TAG ");
                w.istring(tag);
                w.byte(b')');
            }
            if response.uid {
                w.str(" UID");
            }
            for item in &response.data {
                w.sp();
                match item {
                    ESearchData::Min(n) => {
                        w.str("MIN ");
                        w.number(u64::from(n.get()));
                    }
                    ESearchData::Max(n) => {
                        w.str("MAX ");
                        w.number(u64::from(n.get()));
                    }
                    ESearchData::All(set) => {
                        w.str("ALL ");
                        w.sequence_set(set);
                    }
                    ESearchData::Count(n) => {
                        w.str("COUNT ");
                        w.number(u64::from(*n));
                    }
                    ESearchData::ModSeq(n) => {
                        w.str("MODSEQ ");
                        w.number(n.get());
                    }
                    ESearchData::Other { name, value } => {
                        w.str(name.as_str());
                        w.sp();
                        w.tagged_ext_val(value);
                    }
                }
            }
        }
        Data::Flags(flags) => {
            w.str("FLAGS ");
            w.list(flags, |w, flag| w.flag(flag));
        }
        Data::Exists(n) => {
            w.number(u64::from(*n));
            w.str(" EXISTS");
        }
        Data::Recent(n) => {
            w.number(u64::from(*n));
            w.str(" RECENT");
        }
        Data::Expunge(n) => {
            w.number(u64::from(n.get()));
            w.str(" EXPUNGE");
        }
        Data::Vanished { earlier, uids } => {
            w.str(if *earlier {
                "VANISHED (EARLIER) "
            } else {
                "VANISHED "
            });
            w.sequence_set(uids);
        }
        Data::Fetch {
            sequence_number,
            items,
        } => {
            w.number(u64::from(sequence_number.get()));
            w.str(" FETCH ");
            w.list(items, message_data_item);
        }
        Data::Id(parameters) => {
            w.str("ID ");
            id_parameters(w, parameters);
        }
        Data::Namespace {
            personal,
            other,
            shared,
        } => {
            w.str("NAMESPACE ");
            namespace(w, personal);
            w.sp();
            namespace(w, other);
            w.sp();
            namespace(w, shared);
        }
        Data::Quota { root, resources } => {
            w.str("QUOTA ");
            w.astring(root.as_bytes());
            w.sp();
            w.list(resources, |w, resource| {
                w.str(resource.resource.name());
                w.sp();
                w.number(resource.usage);
                w.sp();
                w.number(resource.limit);
            });
        }
        Data::QuotaRoot { mailbox, roots } => {
            w.str("QUOTAROOT ");
            w.mailbox(mailbox);
            for root in roots {
                w.sp();
                w.astring(root.as_bytes());
            }
        }
    }
}

fn origin(w: &mut Writer<'_>, origin: Option<u32>) {
    if let Some(origin) = origin {
        w.byte(b'<');
        w.number(u64::from(origin));
        w.byte(b'>');
    }
}

fn message_data_item(w: &mut Writer<'_>, item: &MessageDataItem<'_>) {
    match item {
        MessageDataItem::Flags(flags) => {
            w.str("FLAGS ");
            w.list(flags, |w, flag| w.flag_fetch(flag));
        }
        MessageDataItem::InternalDate(date) => {
            w.str("INTERNALDATE ");
            w.date_time(date);
        }
        MessageDataItem::Rfc822(data) => {
            w.str("RFC822 ");
            w.nstring(data.as_ref());
        }
        MessageDataItem::Rfc822Header(data) => {
            w.str("RFC822.HEADER ");
            w.nstring(data.as_ref());
        }
        MessageDataItem::Rfc822Text(data) => {
            w.str("RFC822.TEXT ");
            w.nstring(data.as_ref());
        }
        MessageDataItem::Rfc822Size(size) => {
            w.str("RFC822.SIZE ");
            w.number(*size);
        }
        MessageDataItem::Envelope(envelope) => {
            w.str("ENVELOPE ");
            super::body::envelope(w, envelope);
        }
        MessageDataItem::Body(body) => {
            w.str("BODY ");
            super::body::body(w, body);
        }
        MessageDataItem::BodyStructure(body) => {
            w.str("BODYSTRUCTURE ");
            super::body::body(w, body);
        }
        MessageDataItem::BodySection {
            section,
            origin: start,
            data,
        } => {
            w.str("BODY");
            super::body::section(w, section.as_ref());
            origin(w, *start);
            w.sp();
            w.nstring(data.as_ref());
        }
        MessageDataItem::Binary {
            part,
            origin: start,
            data,
        } => {
            w.str("BINARY");
            super::body::section_binary(w, part);
            origin(w, *start);
            w.sp();
            match data {
                None => w.str("NIL"),
                Some(bytes) if memchr::memchr(0, bytes).is_some() => w.literal(bytes, true),
                Some(bytes) => w.string(bytes),
            }
        }
        MessageDataItem::BinarySize { part, size } => {
            w.str("BINARY.SIZE");
            super::body::section_binary(w, part);
            w.sp();
            w.number(u64::from(*size));
        }
        MessageDataItem::Uid(uid) => {
            w.str("UID ");
            w.number(u64::from(uid.get()));
        }
        MessageDataItem::ModSeq(modseq) => {
            w.str("MODSEQ (");
            w.number(modseq.get());
            w.byte(b')');
        }
    }
}
