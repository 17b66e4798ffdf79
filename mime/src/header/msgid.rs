//! Message identifiers: Message-ID, In-Reply-To, References (RFC 5322
//! §3.6.4 with the obsolete forms of §4.5.4).
//!
//! Inside the angle brackets, whitespace and comments are removed (the
//! obsolete `id-left`/`id-right` allow them: `<1234 @ local(blah) .x>`
//! gives `1234@local.x`). A quoted `id-left` keeps its quotes. Phrases
//! between identifiers (obs-references) are skipped. Values without any
//! angle bracket are read leniently as whitespace-separated bare
//! identifiers (words containing `@`).

use std::borrow::Cow;

use super::lex::{is_ws, Cursor};
use super::FieldError;

/// One message identifier, without its angle brackets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId<'a>(Cow<'a, str>);

impl<'a> MessageId<'a> {
    /// An identifier from its text (without angle brackets), for building.
    pub fn new(id: impl Into<Cow<'a, str>>) -> Self {
        MessageId(id.into())
    }

    /// Parses a Message-ID value: its first identifier.
    pub fn parse(raw: &'a [u8]) -> Result<Self, FieldError> {
        let mut cursor = Cursor::checked(raw);
        match next_id(&mut cursor, raw.contains(&b'<')) {
            Some(id) => Ok(id),
            None if super::section::trim_ws(raw).is_empty() => Err(FieldError::Empty),
            None => Err(FieldError::Invalid {
                what: "message identifier",
            }),
        }
    }

    /// Parses an In-Reply-To or References value: every identifier, in
    /// order.
    pub fn parse_list(raw: &'a [u8]) -> Vec<MessageId<'a>> {
        let mut ids = Vec::new();
        let bracketed = raw.contains(&b'<');
        let mut cursor = Cursor::checked(raw);
        while let Some(id) = next_id(&mut cursor, bracketed) {
            ids.push(id);
        }
        ids
    }

    /// The identifier, without angle brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> MessageId<'static> {
        MessageId(Cow::Owned(self.0.into_owned()))
    }
}

impl std::fmt::Display for MessageId<'_> {
    /// Writes `<id>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

/// The next identifier in a list: `<...>`, or, in a value without any `<`, a bare
/// word holding `@`. `None` at the end of the value.
fn next_id<'a>(cursor: &mut Cursor<'a>, bracketed: bool) -> Option<MessageId<'a>> {
    loop {
        cursor.skip_cfws();
        match cursor.peek() {
            None => return None,
            Some(b'<') => {
                if let Some(id) = read_angle_id(cursor) {
                    return Some(MessageId(id));
                }
            }
            Some(b'"') => {
                cursor.quoted_string();
            }
            Some(_) => {
                let word = cursor.take_while(|b| !is_ws(b) && !matches!(b, b'<' | b'(' | b'"'));
                if word.is_empty() {
                    cursor.bump();
                } else if !bracketed && word.contains(&b'@') {
                    return Some(MessageId(cursor.text_of(word)));
                }
            }
        }
    }
}

/// Reads `<...>` at the cursor; `None` if it holds nothing.
fn read_angle_id<'a>(cursor: &mut Cursor<'a>) -> Option<Cow<'a, str>> {
    cursor.eat(b'<');
    // The first piece is borrowed; only an identifier split by whitespace,
    // comments or quotes is copied together.
    let mut first: Option<(usize, usize)> = None;
    let mut joined: Option<Vec<u8>> = None;
    loop {
        cursor.skip_cfws();
        let start = cursor.pos();
        match cursor.peek() {
            None | Some(b'<') => break,
            Some(b'>') => {
                cursor.bump();
                break;
            }
            Some(b'"') => {
                cursor.quoted_string();
            }
            Some(_) => {
                cursor.take_while(|b| !is_ws(b) && !matches!(b, b'<' | b'>' | b'(' | b'"'));
                if cursor.pos() == start {
                    cursor.bump();
                    continue;
                }
            }
        }
        let piece = cursor.slice(start, cursor.pos());
        match (first, joined.as_mut()) {
            (None, _) => first = Some((start, cursor.pos())),
            (Some((first_start, first_end)), None) => {
                let mut text = cursor.slice(first_start, first_end).to_vec();
                text.extend_from_slice(piece);
                joined = Some(text);
            }
            (Some(_), Some(text)) => text.extend_from_slice(piece),
        }
    }
    match (first, joined) {
        (None, _) => None,
        (Some(_), Some(text)) => Some(Cow::Owned(String::from_utf8_lossy(&text).into_owned())),
        (Some((start, end)), None) => Some(cursor.text_of(cursor.slice(start, end))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_list() {
        let id = MessageId::parse(b" <1234@local.machine.example>").unwrap();
        assert!(matches!(id.0, Cow::Borrowed("1234@local.machine.example")));
        assert_eq!(id.to_string(), "<1234@local.machine.example>");
        let ids = MessageId::parse_list(b" <a@b> Your message of (x) \"q\" <c@d>");
        let ids: Vec<&str> = ids.iter().map(MessageId::as_str).collect();
        assert_eq!(ids, ["a@b", "c@d"]);
        let ids = MessageId::parse_list(b"a@b c@d junk");
        assert_eq!(ids.len(), 2);
        assert_eq!(MessageId::parse(b"  "), Err(FieldError::Empty));
        assert!(MessageId::parse(b"<>").is_err());
    }
}
