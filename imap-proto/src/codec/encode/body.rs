//! Writing sections, ENVELOPE and body structures.

use std::num::NonZeroU32;

use super::Writer;
use crate::types::{
    Address, BodyExtension, BodyFields, BodyStructure, Disposition, Envelope, ExtensionTail,
    IString, Section, SinglePartKind,
};

fn part_path(w: &mut Writer<'_>, part: &[NonZeroU32]) {
    for (index, number) in part.iter().enumerate() {
        if index > 0 {
            w.byte(b'.');
        }
        w.number(u64::from(number.get()));
    }
}

fn part_prefix(w: &mut Writer<'_>, part: Option<&crate::types::PartPath>) {
    if let Some(part) = part {
        part_path(w, part);
        w.byte(b'.');
    }
}

pub(crate) fn section(w: &mut Writer<'_>, section: Option<&Section<'_>>) {
    w.byte(b'[');
    match section {
        None => {}
        Some(Section::Part(part)) => part_path(w, part),
        Some(Section::Header(part)) => {
            part_prefix(w, part.as_ref());
            w.str("HEADER");
        }
        Some(Section::HeaderFields(part, names)) => {
            part_prefix(w, part.as_ref());
            w.str("HEADER.FIELDS ");
            w.list(names, |w, name| w.astring(name.as_bytes()));
        }
        Some(Section::HeaderFieldsNot(part, names)) => {
            part_prefix(w, part.as_ref());
            w.str("HEADER.FIELDS.NOT ");
            w.list(names, |w, name| w.astring(name.as_bytes()));
        }
        Some(Section::Text(part)) => {
            part_prefix(w, part.as_ref());
            w.str("TEXT");
        }
        Some(Section::Mime(part)) => {
            part_path(w, part);
            w.str(".MIME");
        }
    }
    w.byte(b']');
}

pub(crate) fn section_binary(w: &mut Writer<'_>, part: &[NonZeroU32]) {
    w.byte(b'[');
    part_path(w, part);
    w.byte(b']');
}

fn address_list(w: &mut Writer<'_>, addresses: &[Address<'_>]) {
    if addresses.is_empty() {
        w.str("NIL");
        return;
    }
    w.byte(b'(');
    for address in addresses {
        w.byte(b'(');
        w.nstring(address.name.as_ref());
        w.sp();
        w.nstring(address.adl.as_ref());
        w.sp();
        w.nstring(address.mailbox.as_ref());
        w.sp();
        w.nstring(address.host.as_ref());
        w.byte(b')');
    }
    w.byte(b')');
}

pub(crate) fn envelope(w: &mut Writer<'_>, envelope: &Envelope<'_>) {
    w.byte(b'(');
    w.nstring(envelope.date.as_ref());
    w.sp();
    w.nstring(envelope.subject.as_ref());
    for list in [
        &envelope.from,
        &envelope.sender,
        &envelope.reply_to,
        &envelope.to,
        &envelope.cc,
        &envelope.bcc,
    ] {
        w.sp();
        address_list(w, list);
    }
    w.sp();
    w.nstring(envelope.in_reply_to.as_ref());
    w.sp();
    w.nstring(envelope.message_id.as_ref());
    w.byte(b')');
}

fn parameters(w: &mut Writer<'_>, parameters: &[(IString<'_>, IString<'_>)]) {
    if parameters.is_empty() {
        w.str("NIL");
        return;
    }
    w.list(parameters, |w, (name, value)| {
        w.istring(name);
        w.sp();
        w.istring(value);
    });
}

fn fields(w: &mut Writer<'_>, fields: &BodyFields<'_>) {
    parameters(w, &fields.parameters);
    w.sp();
    w.nstring(fields.id.as_ref());
    w.sp();
    w.nstring(fields.description.as_ref());
    w.sp();
    w.istring(&fields.encoding);
    w.sp();
    w.number(u64::from(fields.octets));
}

fn disposition(w: &mut Writer<'_>, disposition: Option<&Disposition<'_>>) {
    match disposition {
        None => w.str("NIL"),
        Some(disposition) => {
            w.byte(b'(');
            w.istring(&disposition.kind);
            w.sp();
            parameters(w, &disposition.parameters);
            w.byte(b')');
        }
    }
}

fn body_extension(w: &mut Writer<'_>, extension: &BodyExtension<'_>) {
    match extension {
        BodyExtension::String(value) => w.nstring(value.as_ref()),
        BodyExtension::Number(number) => w.number(*number),
        BodyExtension::List(list) => w.list(list, body_extension),
    }
}

fn extension_tail(w: &mut Writer<'_>, tail: Option<&ExtensionTail<'_>>) {
    let Some(tail) = tail else {
        return;
    };
    w.sp();
    disposition(w, tail.disposition.as_ref());
    let Some(language) = &tail.language else {
        return;
    };
    w.sp();
    match language.languages.as_slice() {
        [] => w.str("NIL"),
        [single] => w.istring(single),
        many => w.list(many, |w, language| w.istring(language)),
    }
    let Some(location) = &language.location else {
        return;
    };
    w.sp();
    w.nstring(location.location.as_ref());
    for extension in &location.extensions {
        w.sp();
        body_extension(w, extension);
    }
}

pub(crate) fn body(w: &mut Writer<'_>, body: &BodyStructure<'_>) {
    w.byte(b'(');
    match body {
        BodyStructure::Multi {
            parts,
            subtype,
            extension,
        } => {
            for part in parts {
                self::body(w, part);
            }
            w.sp();
            w.istring(subtype);
            if let Some(extension) = extension {
                w.sp();
                parameters(w, &extension.parameters);
                extension_tail(w, extension.tail.as_ref());
            }
        }
        BodyStructure::Single {
            kind,
            fields: body_fields,
            extension,
        } => {
            match kind {
                SinglePartKind::Basic {
                    media_type,
                    subtype,
                } => {
                    w.istring(media_type);
                    w.sp();
                    w.istring(subtype);
                    w.sp();
                    fields(w, body_fields);
                }
                SinglePartKind::Text { subtype, lines } => {
                    w.str("\"TEXT\" ");
                    w.istring(subtype);
                    w.sp();
                    fields(w, body_fields);
                    w.sp();
                    w.number(*lines);
                }
                SinglePartKind::Message {
                    subtype,
                    envelope: message_envelope,
                    body: inner,
                    lines,
                } => {
                    w.str("\"MESSAGE\" ");
                    w.istring(subtype);
                    w.sp();
                    fields(w, body_fields);
                    w.sp();
                    envelope(w, message_envelope);
                    w.sp();
                    self::body(w, inner);
                    w.sp();
                    w.number(*lines);
                }
            }
            if let Some(extension) = extension {
                w.sp();
                w.nstring(extension.md5.as_ref());
                extension_tail(w, extension.tail.as_ref());
            }
        }
    }
    w.byte(b')');
}
