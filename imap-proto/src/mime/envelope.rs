//! ENVELOPE (RFC 3501 §7.4.2) from an entity's header.

use mailwire_mime::encode::{choose_word_encoding, encode_words};
use mailwire_mime::header::{Address as MimeAddress, AddressList, Mailbox};
use mailwire_mime::tree::Part;

use super::{raw_field, string_without_nul};
use crate::types::{Address, Envelope, NString};

/// The envelope of the message whose header `part` holds.
pub(super) fn envelope(part: &Part<'_>) -> Envelope<'static> {
    let from = addresses(part, "from");
    // RFC 3501: a missing (or empty) Sender or Reply-To is set to From.
    let or_from = |list: Vec<Address<'static>>| if list.is_empty() { from.clone() } else { list };
    Envelope {
        date: raw_field(part, "date"),
        subject: raw_field(part, "subject"),
        sender: or_from(addresses(part, "sender")),
        reply_to: or_from(addresses(part, "reply-to")),
        to: addresses(part, "to"),
        cc: addresses(part, "cc"),
        bcc: addresses(part, "bcc"),
        in_reply_to: raw_field(part, "in-reply-to"),
        message_id: raw_field(part, "message-id"),
        from,
    }
}

/// The addresses of the first field called `name`, groups spelt as RFC 3501 wants:
/// a start marker with the group name as mailbox, the members, an end marker.
fn addresses(part: &Part<'_>, name: &str) -> Vec<Address<'static>> {
    let Some(field) = part.header().get(name) else {
        return Vec::new();
    };
    let value = field.unfolded_value();
    let list = AddressList::parse(&value);
    let mut out = Vec::new();
    for address in list.addresses() {
        match address {
            MimeAddress::Mailbox(mailbox) => out.push(mailbox_address(mailbox)),
            MimeAddress::Group(group) => {
                out.push(Address {
                    name: None,
                    adl: None,
                    mailbox: phrase(group.name()),
                    host: None,
                });
                out.extend(group.members().iter().map(mailbox_address));
                out.push(Address::default());
            }
        }
    }
    out
}

fn mailbox_address(mailbox: &Mailbox<'_>) -> Address<'static> {
    let route = mailbox.route();
    let adl = (!route.is_empty()).then(|| {
        route
            .iter()
            .map(|domain| format!("@{domain}"))
            .collect::<Vec<_>>()
            .join(",")
    });
    let local = mailbox.local_part();
    let domain = mailbox.domain();
    Address {
        name: mailbox.name().and_then(phrase),
        adl: adl.as_deref().and_then(text),
        mailbox: text(if local.is_empty() {
            "MISSING_MAILBOX"
        } else {
            local
        }),
        host: text(if domain.is_empty() {
            "MISSING_DOMAIN"
        } else {
            domain
        }),
    }
}

/// A display name or group name: the parser decoded RFC 2047 words, so non-ASCII text
/// is encoded again, as a server without UTF8=ACCEPT must send it (and as the message
/// carried it).
fn phrase(value: &str) -> NString<'static> {
    if value.is_ascii() {
        return text(value);
    }
    let words = encode_words(value, choose_word_encoding(value), 75, 75);
    text(&words.join(" "))
}

/// Text as an nstring (never NIL).
fn text(value: &str) -> NString<'static> {
    Some(string_without_nul(value.as_bytes().to_vec()))
}
