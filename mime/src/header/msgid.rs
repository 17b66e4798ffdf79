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

use super::lex::{bytes_to_str, is_ws, Cursor};
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
        let mut ids = Self::parse_list(raw).into_iter();
        match ids.next() {
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
        let mut cursor = Cursor::new(raw);
        loop {
            cursor.skip_cfws();
            match cursor.peek() {
                None => break,
                Some(b'<') => {
                    if let Some(id) = read_angle_id(&mut cursor) {
                        ids.push(MessageId(id));
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
                        ids.push(MessageId(bytes_to_str(word)));
                    }
                }
            }
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

/// Reads `<...>` at the cursor; `None` if it holds nothing.
fn read_angle_id<'a>(cursor: &mut Cursor<'a>) -> Option<Cow<'a, str>> {
    cursor.eat(b'<');
    let mut pieces: Vec<(usize, usize)> = Vec::new();
    loop {
        cursor.skip_cfws();
        match cursor.peek() {
            None | Some(b'<') => break,
            Some(b'>') => {
                cursor.bump();
                break;
            }
            Some(b'"') => {
                let start = cursor.pos();
                cursor.quoted_string();
                pieces.push((start, cursor.pos()));
            }
            Some(_) => {
                let start = cursor.pos();
                cursor.take_while(|b| !is_ws(b) && !matches!(b, b'<' | b'>' | b'(' | b'"'));
                if cursor.pos() == start {
                    cursor.bump();
                } else {
                    pieces.push((start, cursor.pos()));
                }
            }
        }
    }
    match pieces.as_slice() {
        [] => None,
        [(start, end)] => Some(bytes_to_str(cursor.slice(*start, *end))),
        _ => {
            let mut text = Vec::new();
            for (start, end) in &pieces {
                text.extend_from_slice(cursor.slice(*start, *end));
            }
            Some(Cow::Owned(String::from_utf8_lossy(&text).into_owned()))
        }
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
