//! Writing addresses, display names and message identifiers (RFC 5322 §3.4, §3.6.4).

use crate::encode::fold::{FieldWriter, SOFT_LINE_LIMIT};
use crate::header::{Address, Mailbox};

use super::BuildError;

/// Longest local part, in octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// Longest domain, in octets (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN: usize = 255;
/// Longest message or content identifier accepted, angle brackets excluded.
pub const MAX_MESSAGE_ID: usize = 250;

/// RFC 5322 `atext`, extended with UTF-8 by RFC 6532 §3.2.
fn is_atext(character: char) -> bool {
    if !character.is_ascii() {
        return !character.is_control();
    }
    character.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(character)
}

/// RFC 5322 `dot-atom-text` (with RFC 6532 UTF-8).
pub(crate) fn is_dot_atom_text(text: &str) -> bool {
    !text.is_empty()
        && text
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// `"` qcontent `"` with qtext or quoted pairs (printable ASCII, space, UTF-8).
fn is_quoted_string(text: &str) -> bool {
    let Some(inner) = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return false;
    };
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => match characters.next() {
                Some(quoted) if quoted == ' ' || quoted == '\t' || !quoted.is_control() => {}
                _ => return false,
            },
            '"' => return false,
            other if other == ' ' || other == '\t' || !other.is_control() => {}
            _ => return false,
        }
    }
    true
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        if character == '"' || character == '\\' {
            out.push('\\');
        }
        out.push(character);
    }
    out.push('"');
    out
}

/// RFC 5322 `domain-literal` without folding: `[` dtext `]`.
fn is_domain_literal(text: &str) -> bool {
    text.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .is_some_and(|inner| inner.bytes().all(|b| matches!(b, 33..=90 | 94..=126)))
}

/// The `addr-spec` to write for `mailbox`: the local part as a dot-atom, or quoted when it has
/// to be, `@`, the domain.
pub(crate) fn addr_spec(mailbox: &Mailbox<'_>) -> Result<String, BuildError> {
    let local = mailbox.local_part();
    let domain = mailbox.domain();
    let local = if is_dot_atom_text(local) || is_quoted_string(local) {
        local.to_owned()
    } else if !local.is_empty() && local.chars().all(|c| c == ' ' || !c.is_control()) {
        quote(local)
    } else {
        return Err(BuildError::InvalidAddress);
    };
    if local.len() > MAX_LOCAL_PART
        || domain.len() > MAX_DOMAIN
        || !(is_dot_atom_text(domain) || is_domain_literal(domain))
    {
        return Err(BuildError::InvalidAddress);
    }
    Ok(format!("{local}@{domain}"))
}

/// Validates a message identifier (`id-left@id-right`, angle brackets optional) and returns
/// it with its angle brackets.
pub(crate) fn message_id(text: &str) -> Result<String, BuildError> {
    let inner = text
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or(text);
    let (left, right) = inner.rsplit_once('@').ok_or(BuildError::InvalidMessageId)?;
    let valid = inner.len() <= MAX_MESSAGE_ID
        && is_dot_atom_text(left)
        && (is_dot_atom_text(right) || is_domain_literal(right));
    if valid {
        Ok(format!("<{inner}>"))
    } else {
        Err(BuildError::InvalidMessageId)
    }
}

/// Longest word kept in a quoted display name; longer runs are encoded so they can be split.
const MAX_QUOTED_WORD: usize = SOFT_LINE_LIMIT - 8;

/// How a display name (or group name) is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhraseForm {
    Atoms,
    Quoted,
    Encoded,
}

fn phrase_form(phrase: &str) -> PhraseForm {
    let words_fit = |limit: usize| phrase.split([' ', '\t']).all(|word| word.len() <= limit);
    // Text that looks like an encoded word is encoded itself: many readers (this crate's
    // parser, Thunderbird) decode encoded words even inside quoted strings.
    let ascii_printable =
        phrase.bytes().all(|b| (0x20..0x7f).contains(&b)) && !phrase.contains("=?");
    if ascii_printable
        && phrase
            .split(' ')
            .all(|word| !word.is_empty() && word.chars().all(is_atext) && !word.contains("=?"))
        && words_fit(SOFT_LINE_LIMIT - 1)
    {
        PhraseForm::Atoms
    } else if ascii_printable && words_fit(MAX_QUOTED_WORD) {
        PhraseForm::Quoted
    } else {
        PhraseForm::Encoded
    }
}

/// Writes a display name; returns true when it ended with an encoded word (which must then be
/// followed by white space before any special, RFC 2047 §5 (3)).
pub(crate) fn write_phrase(writer: &mut FieldWriter, phrase: &str) -> bool {
    match phrase_form(phrase) {
        PhraseForm::Atoms => {
            for word in phrase.split(' ') {
                writer.push(" ", word);
            }
            false
        }
        PhraseForm::Quoted => {
            write_quoted_phrase(writer, phrase);
            false
        }
        PhraseForm::Encoded => {
            writer.push_encoded(" ", phrase);
            true
        }
    }
}

/// Writes `"..."`, with fold points before the spaces inside (RFC 5322 §3.2.4 allows FWS in a
/// quoted string; unfolding removes only the CRLF, so the spaces survive).
fn write_quoted_phrase(writer: &mut FieldWriter, phrase: &str) {
    // Chunks: a run of spaces followed by a word; trailing spaces join the last chunk.
    let mut chunks: Vec<(&str, String)> = Vec::new();
    let mut rest = phrase;
    while !rest.is_empty() {
        let space_end = rest.find(|c: char| c != ' ').unwrap_or(rest.len());
        let (space, after) = rest.split_at(space_end);
        let word_end = after.find(' ').unwrap_or(after.len());
        let (word, remaining) = after.split_at(word_end);
        let mut escaped = String::with_capacity(word.len());
        for character in word.chars() {
            if character == '"' || character == '\\' {
                escaped.push('\\');
            }
            escaped.push(character);
        }
        if word.is_empty() {
            if let Some(last) = chunks.last_mut() {
                last.1.push_str(space);
                rest = remaining;
                continue;
            }
        }
        chunks.push((space, escaped));
        rest = remaining;
    }
    if chunks.is_empty() {
        writer.push(" ", "\"\"");
        return;
    }
    let count = chunks.len();
    for (index, (space, word)) in chunks.into_iter().enumerate() {
        let closing = if index + 1 == count { "\"" } else { "" };
        if index == 0 {
            writer.push(" ", &format!("\"{space}{word}{closing}"));
        } else {
            writer.push(space, &format!("{word}{closing}"));
        }
    }
}

/// Writes one mailbox followed by `trailing` (`,` between list members).
pub(crate) fn write_mailbox(
    writer: &mut FieldWriter,
    mailbox: &Mailbox<'_>,
    trailing: &str,
) -> Result<(), BuildError> {
    let spec = addr_spec(mailbox)?;
    match mailbox.name().filter(|name| !name.is_empty()) {
        Some(name) => {
            write_phrase(writer, name);
            writer.push(" ", &format!("<{spec}>{trailing}"));
        }
        None => writer.push(" ", &format!("{spec}{trailing}")),
    }
    Ok(())
}

/// Writes an address list field (From, To, Cc, Bcc, Reply-To).
pub(crate) fn address_field(name: &str, addresses: &[Address<'_>]) -> Result<Vec<u8>, BuildError> {
    let mut writer = FieldWriter::new(name);
    let count = addresses.len();
    for (index, address) in addresses.iter().enumerate() {
        let separator = if index + 1 < count { "," } else { "" };
        match address {
            Address::Mailbox(mailbox) => write_mailbox(&mut writer, mailbox, separator)?,
            Address::Group(group) => {
                if write_phrase(&mut writer, group.name()) {
                    writer.push(" ", ":");
                } else {
                    writer.glue(":");
                }
                let members = group.members();
                for (position, member) in members.iter().enumerate() {
                    let comma = if position + 1 < members.len() {
                        ","
                    } else {
                        ""
                    };
                    write_mailbox(&mut writer, member, comma)?;
                }
                writer.glue(";");
                writer.glue(separator);
            }
        }
    }
    Ok(writer.finish())
}

/// Writes a field holding message identifiers separated by spaces (Message-ID, In-Reply-To,
/// References); identifiers must already be validated by [`message_id`].
pub(crate) fn message_id_field(name: &str, ids: &[String]) -> Vec<u8> {
    let mut writer = FieldWriter::new(name);
    for id in ids {
        writer.push(" ", id);
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::header::Group;

    fn mailbox(name: Option<&'static str>, address: &'static str) -> Mailbox<'static> {
        Mailbox::new(name.map(Cow::Borrowed), address)
    }

    fn field(addresses: &[Address<'_>]) -> String {
        String::from_utf8(address_field("To", addresses).unwrap()).unwrap()
    }

    #[test]
    fn display_names_are_atoms_quoted_or_encoded() {
        let list = [
            Address::Mailbox(mailbox(Some("John Doe"), "jdoe@example.com")),
            Address::Mailbox(mailbox(Some("Doe, John"), "jd@example.com")),
            Address::Mailbox(mailbox(None, "plain@example.com")),
        ];
        assert_eq!(
            field(&list),
            "To: John Doe <jdoe@example.com>, \"Doe, John\" <jd@example.com>,\r\n plain@example.com\r\n"
        );
        let list = [Address::Mailbox(mailbox(
            Some("J\u{f6}rg"),
            "j@example.com",
        ))];
        assert_eq!(field(&list), "To: =?utf-8?b?SsO2cmc=?= <j@example.com>\r\n");
        let list = [Address::Mailbox(mailbox(
            Some("a =?x?q?y?= b"),
            "x@example.com",
        ))];
        assert_eq!(
            field(&list),
            "To: =?utf-8?b?YSA9P3g/cT95Pz0gYg==?= <x@example.com>\r\n"
        );
        let list = [Address::Mailbox(mailbox(
            Some("Say \"hi\" \\o/"),
            "x@example.com",
        ))];
        assert_eq!(
            field(&list),
            "To: \"Say \\\"hi\\\" \\\\o/\" <x@example.com>\r\n"
        );
    }

    #[test]
    fn groups_and_empty_groups() {
        let list = [
            Address::Group(Group::new(
                "A Group",
                vec![mailbox(None, "a@x.test"), mailbox(Some("B"), "b@x.test")],
            )),
            Address::Group(Group::new("Undisclosed recipients", Vec::new())),
        ];
        assert_eq!(
            field(&list),
            "To: A Group: a@x.test, B <b@x.test>;, Undisclosed recipients:;\r\n"
        );
    }

    #[test]
    fn local_parts_are_quoted_when_needed_and_bad_addresses_refused() {
        assert_eq!(
            addr_spec(&mailbox(None, "john doe@example.com")).unwrap(),
            "\"john doe\"@example.com"
        );
        assert_eq!(
            addr_spec(&mailbox(None, "\"a b\"@example.com")).unwrap(),
            "\"a b\"@example.com"
        );
        assert_eq!(
            addr_spec(&mailbox(None, "user@[192.0.2.1]")).unwrap(),
            "user@[192.0.2.1]"
        );
        for bad in ["nodomain", "a@", "a@b..c", "a@b c", "a\r\nb@c.d"] {
            assert_eq!(
                addr_spec(&mailbox(None, bad)),
                Err(BuildError::InvalidAddress),
                "{bad}"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(addr_spec(&Mailbox::new(None, long_local)).is_err());
    }

    #[test]
    fn message_ids_are_validated() {
        assert_eq!(
            message_id("abc.def@example.com").unwrap(),
            "<abc.def@example.com>"
        );
        assert_eq!(message_id("<x@[1.2.3.4]>").unwrap(), "<x@[1.2.3.4]>");
        for bad in ["", "noat", "<a b@c>", "a@b@", "<x@y"] {
            assert!(message_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_lists_fold_between_addresses() {
        let list: Vec<Address<'static>> = (0..20)
            .map(|n| Address::Mailbox(Mailbox::new(None, format!("user{n}@example.com"))))
            .collect();
        let text = field(&list);
        for line in text.split_terminator("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
        assert_eq!(text.matches(',').count(), 19);
    }
}
