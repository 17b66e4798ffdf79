//! Received (RFC 5322 §3.6.7, obs-received §4.5.7) and MIME-Version
//! (RFC 2045 §4).

use std::borrow::Cow;

use super::date::DateTime;
use super::lex::{is_ws, Cursor};
use super::FieldError;

/// One token of a Received field before its `;`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReceivedToken<'a> {
    /// An atom, domain, addr-spec, domain literal or quoted string
    /// (unquoted).
    Word(Cow<'a, str>),
    /// An angle address, without its brackets (`for <a@b>`).
    AngleAddr(Cow<'a, str>),
    /// A comment, without its outer parentheses (MTAs put the client's
    /// reverse name and IP address there).
    Comment(Cow<'a, str>),
}

impl ReceivedToken<'_> {
    /// The token's text.
    pub fn as_str(&self) -> &str {
        match self {
            ReceivedToken::Word(s) | ReceivedToken::AngleAddr(s) | ReceivedToken::Comment(s) => s,
        }
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> ReceivedToken<'static> {
        match self {
            ReceivedToken::Word(s) => ReceivedToken::Word(Cow::Owned(s.into_owned())),
            ReceivedToken::AngleAddr(s) => ReceivedToken::AngleAddr(Cow::Owned(s.into_owned())),
            ReceivedToken::Comment(s) => ReceivedToken::Comment(Cow::Owned(s.into_owned())),
        }
    }
}

/// A parsed Received field: its tokens and the date after the last `;`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Received<'a> {
    tokens: Vec<ReceivedToken<'a>>,
    date: Option<DateTime>,
}

/// Position of the last `;` outside quoted strings and comments.
fn last_semicolon(raw: &[u8]) -> Option<usize> {
    let mut cursor = Cursor::new(raw);
    let mut last = None;
    // Jump from one byte that matters to the next.
    while let Some(found) = raw
        .get(cursor.pos()..)
        .and_then(|rest| memchr::memchr3(b';', b'"', b'(', rest))
    {
        cursor.set_pos(cursor.pos() + found);
        match cursor.peek() {
            Some(b';') => {
                last = Some(cursor.pos());
                cursor.bump();
            }
            Some(b'"') => {
                cursor.quoted_string();
            }
            _ => cursor.skip_comment(),
        }
    }
    last
}

impl<'a> Received<'a> {
    /// Parses a raw Received value. Never fails: a missing `;` (allowed by
    /// obs-received) or an unparsable date gives `date() == None`.
    pub fn parse(raw: &'a [u8]) -> Self {
        let whole = Cursor::checked(raw);
        let (token_part, date) = match last_semicolon(raw) {
            Some(semi) => (
                raw.get(..semi).unwrap_or_default(),
                DateTime::parse(raw.get(semi + 1..).unwrap_or_default()).ok(),
            ),
            None => (raw, None),
        };
        let mut cursor = whole.within(token_part);
        // A Received field has about ten tokens (clauses and comments).
        let mut tokens = Vec::with_capacity(12);
        loop {
            cursor.skip_ws();
            match cursor.peek() {
                None => break,
                Some(b'(') => {
                    let start = cursor.pos();
                    cursor.skip_comment();
                    let text = cursor.slice(start, cursor.pos());
                    let inner = text.strip_prefix(b"(").unwrap_or(text);
                    let inner = inner.strip_suffix(b")").unwrap_or(inner);
                    tokens.push(ReceivedToken::Comment(cursor.text_of(inner)));
                }
                Some(b'"') => {
                    let quoted = cursor.quoted_string().unwrap_or_default();
                    tokens.push(ReceivedToken::Word(cursor.cow_text_of(quoted)));
                }
                Some(b'<') => {
                    cursor.bump();
                    let inner = cursor.take_while(|b| b != b'>');
                    cursor.eat(b'>');
                    let inner = super::section::trim_ws(inner);
                    tokens.push(ReceivedToken::AngleAddr(cursor.text_of(inner)));
                }
                Some(b';') => cursor.bump(),
                Some(_) => {
                    let word =
                        cursor.take_while(|b| !is_ws(b) && !matches!(b, b'(' | b'"' | b'<' | b';'));
                    if word.is_empty() {
                        cursor.bump();
                    } else {
                        tokens.push(ReceivedToken::Word(cursor.text_of(word)));
                    }
                }
            }
        }
        Received { tokens, date }
    }

    /// Every token before the `;`, in order.
    pub fn tokens(&self) -> &[ReceivedToken<'a>] {
        &self.tokens
    }

    /// The date after the `;`, if present and valid.
    pub fn date(&self) -> Option<&DateTime> {
        self.date.as_ref()
    }

    /// The token after clause keyword `name` (`from`, `by`, `via`, `with`,
    /// `id`, `for`; case-insensitive), skipping comments.
    pub fn clause(&self, name: &str) -> Option<&str> {
        let mut iter = self.tokens.iter();
        while let Some(token) = iter.next() {
            if matches!(token, ReceivedToken::Word(w) if w.eq_ignore_ascii_case(name)) {
                return iter
                    .find(|t| !matches!(t, ReceivedToken::Comment(_)))
                    .map(ReceivedToken::as_str);
            }
        }
        None
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> Received<'static> {
        Received {
            tokens: self
                .tokens
                .into_iter()
                .map(ReceivedToken::into_owned)
                .collect(),
            date: self.date,
        }
    }
}

/// A MIME-Version value (RFC 2045 §4): `1.0`, comments allowed anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MimeVersion {
    /// Major version (1 in all MIME mail).
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl MimeVersion {
    /// Version 1.0.
    pub const V1_0: MimeVersion = MimeVersion { major: 1, minor: 0 };

    /// Parses a raw MIME-Version value.
    pub fn parse(raw: &[u8]) -> Result<Self, FieldError> {
        let invalid = FieldError::Invalid {
            what: "mime version",
        };
        let mut cursor = Cursor::new(raw);
        cursor.skip_cfws();
        if cursor.at_end() {
            return Err(FieldError::Empty);
        }
        let number = |cursor: &mut Cursor<'_>| -> Option<u32> {
            let digits = cursor.take_while(|b| b.is_ascii_digit());
            if digits.is_empty() {
                return None;
            }
            digits.iter().try_fold(0u32, |acc, &d| {
                acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
            })
        };
        let major = number(&mut cursor).ok_or(invalid.clone())?;
        cursor.skip_cfws();
        if !cursor.eat(b'.') {
            return Err(invalid);
        }
        cursor.skip_cfws();
        let minor = number(&mut cursor).ok_or(invalid)?;
        Ok(MimeVersion { major, minor })
    }
}

impl std::fmt::Display for MimeVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn received_tokens_and_date() {
        let r = Received::parse(
            b" from mx.example (mx.example [192.0.2.1])\r\n by mail.test with ESMTPS id 42\r\n for <a@b.test>; Tue, 1 Jul 2003 10:52:37 +0200",
        );
        assert_eq!(r.clause("from"), Some("mx.example"));
        assert_eq!(r.clause("BY"), Some("mail.test"));
        assert_eq!(r.clause("for"), Some("a@b.test"));
        assert_eq!(r.tokens()[2].as_str(), "mx.example [192.0.2.1]");
        assert_eq!(r.date().unwrap().to_rfc3339(), "2003-07-01T10:52:37+02:00");
        assert!(Received::parse(b"from a by b").date().is_none());
    }

    #[test]
    fn mime_version_with_comments() {
        assert_eq!(MimeVersion::parse(b" 1.0").unwrap(), MimeVersion::V1_0);
        assert_eq!(
            MimeVersion::parse(b"(produced by MetaSend Vx.x) 1.0").unwrap(),
            MimeVersion::V1_0
        );
        assert_eq!(MimeVersion::parse(b"1.(x)2").unwrap().to_string(), "1.2");
        assert!(MimeVersion::parse(b"one").is_err());
        assert!(MimeVersion::parse(b"99999999999.0").is_err());
    }

    /// The jumping search finds the semicolon a byte-by-byte walk finds.
    #[test]
    fn last_semicolon_outside_comments_and_quotes() {
        fn walk(raw: &[u8]) -> Option<usize> {
            let mut cursor = Cursor::new(raw);
            let mut last = None;
            while let Some(b) = cursor.peek() {
                match b {
                    b';' => {
                        last = Some(cursor.pos());
                        cursor.bump();
                    }
                    b'"' => {
                        cursor.quoted_string();
                    }
                    b'(' => cursor.skip_comment(),
                    _ => cursor.bump(),
                }
            }
            last
        }
        let cases: [&[u8]; 9] = [
            b"from a (b; c) by d; Tue, 1 Jul 2003 10:52:37 +0200 (x;y)",
            b"from a \"q;\" by d; date",
            b"from a (nested (c;) ;) by b",
            b"from a (esc \\) ;) ; date",
            b"\"unterminated ; quote",
            b"(unterminated ; comment",
            b"no semicolon at all",
            b";;;",
            b"a \"x\\\";\" ; b",
        ];
        for raw in cases {
            assert_eq!(
                last_semicolon(raw),
                walk(raw),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}
