//! RFC 2047 encoded words: `=?charset?B|Q?encoded-text?=`.
//!
//! Decoding is lenient in the ways common clients are:
//! - an encoded word is recognised wherever its syntax is complete, also
//!   when not separated from surrounding text by whitespace;
//! - whitespace (including folding) between two adjacent encoded words is
//!   dropped (RFC 2047 §6.2); adjacent words in the same charset are joined
//!   before charset conversion, so a multi-byte character split across
//!   words comes out whole;
//! - the charset may carry an RFC 2231 §5 language tag (`utf-8*en`), which
//!   is accepted and exposed;
//! - spaces inside the encoded text (illegal, but sent by some mailers) are
//!   tolerated; base64 without padding is accepted;
//! - a malformed encoded word (unknown encoding letter, invalid base64, a
//!   `=` without two hex digits in `Q`) is left as it is, as plain text;
//! - charsets are converted as described in [`crate::charset`]: unknown
//!   charsets are taken as UTF-8 with replacement.

use std::borrow::Cow;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use crate::charset;
use crate::header::section::remove_line_breaks;

/// The transfer encoding of an encoded word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordEncoding {
    /// `B`: base64.
    Base64,
    /// `Q`: the quoted-printable variant of RFC 2047 §4.2.
    Q,
}

/// One encoded word, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EncodedWord<'a> {
    /// Charset label, as written.
    pub charset: &'a [u8],
    /// RFC 2231 §5 language tag, if any.
    pub language: Option<&'a [u8]>,
    /// Transfer encoding.
    pub encoding: WordEncoding,
    /// The encoded text, as written.
    pub text: &'a [u8],
}

const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

impl<'a> EncodedWord<'a> {
    /// Parses an encoded word at the very start of `input`; returns it and
    /// the number of bytes it spans.
    pub fn parse(input: &'a [u8]) -> Option<(EncodedWord<'a>, usize)> {
        let rest = input.strip_prefix(b"=?")?;
        let charset_end = rest.iter().position(|&b| b == b'?')?;
        let full_charset = rest.get(..charset_end)?;
        if full_charset.is_empty()
            || !full_charset
                .iter()
                .all(|&b| b > b' ' && b < 0x7f && !matches!(b, b'(' | b')' | b'"' | b'='))
        {
            return None;
        }
        let (charset, language) = match full_charset.iter().position(|&b| b == b'*') {
            Some(star) => (
                full_charset.get(..star)?,
                full_charset.get(star + 1..).filter(|l| !l.is_empty()),
            ),
            None => (full_charset, None),
        };
        if charset.is_empty() {
            return None;
        }
        let encoding = match rest.get(charset_end + 1..charset_end + 3)? {
            [b'B' | b'b', b'?'] => WordEncoding::Base64,
            [b'Q' | b'q', b'?'] => WordEncoding::Q,
            _ => return None,
        };
        let text_start = charset_end + 3;
        let after = rest.get(text_start..)?;
        let mut text_len = 0;
        loop {
            match after.get(text_len..text_len + 2)? {
                [b'?', b'='] => break,
                [b'?', _] => return None,
                [b, _] if *b == b' ' || *b == b'\t' || (*b > b' ' && *b < 0x7f) => text_len += 1,
                _ => return None,
            }
        }
        let text = after.get(..text_len)?;
        let consumed = 2 + text_start + text_len + 2;
        Some((
            EncodedWord {
                charset,
                language,
                encoding,
                text,
            },
            consumed,
        ))
    }

    /// The decoded bytes (still in the word's charset), or `None` if the
    /// encoded text is invalid.
    pub fn decode_bytes(&self) -> Option<Vec<u8>> {
        match self.encoding {
            WordEncoding::Base64 => {
                let compact: Cow<'_, [u8]> = if self.text.iter().any(|&b| b == b' ' || b == b'\t') {
                    Cow::Owned(
                        self.text
                            .iter()
                            .copied()
                            .filter(|&b| b != b' ' && b != b'\t')
                            .collect(),
                    )
                } else {
                    Cow::Borrowed(self.text)
                };
                BASE64_LENIENT.decode(compact.as_ref()).ok()
            }
            WordEncoding::Q => decode_q(self.text),
        }
    }

    /// The decoded text in UTF-8, or `None` if the encoded text is invalid.
    pub fn decode(&self) -> Option<String> {
        let bytes = self.decode_bytes()?;
        Some(charset::decode_owned(self.charset, bytes))
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Decodes RFC 2047 `Q` text: `_` is a space, `=XX` a byte. A `=` not
/// followed by two hex digits makes the word malformed (`None`), so it is
/// left as text, as Python's `email` package does.
fn decode_q(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'_' => {
                out.push(b' ');
                i += 1;
            }
            b'=' => {
                let hi = text.get(i + 1).copied().and_then(hex_value)?;
                let lo = text.get(i + 2).copied().and_then(hex_value)?;
                out.push((hi << 4) | lo);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Decoded encoded words of one charset that are waiting to be converted.
struct Pending<'a> {
    charset: &'a [u8],
    bytes: Vec<u8>,
}

fn flush(out: &mut String, pending: &mut Option<Pending<'_>>) {
    if let Some(p) = pending.take() {
        out.push_str(&charset::decode_owned(p.charset, p.bytes));
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// Decodes encoded words anywhere in `text` (already unfolded or not) and
/// converts everything else from UTF-8 with replacement. Borrowed when
/// there is no encoded word and the text is valid UTF-8.
pub fn decode_text(text: &[u8]) -> Cow<'_, str> {
    decode_text_with(text, crate::header::lex::lossy_str)
}

/// [`decode_text`], taking the text outside encoded words (pieces of `text`)
/// as text with `as_text`, which a parser that already checked the whole
/// field value as UTF-8 does by slicing it.
pub(crate) fn decode_text_with<'a>(
    text: &'a [u8],
    as_text: impl Fn(&'a [u8]) -> Cow<'a, str>,
) -> Cow<'a, str> {
    let Some(first) = find_marker(text, 0) else {
        return as_text(text);
    };
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<Pending<'_>> = None;
    let mut literal_start = 0;
    let mut search = first;
    let mut decoded_any = false;
    while let Some(at) = find_marker(text, search) {
        let parsed = text
            .get(at..)
            .and_then(EncodedWord::parse)
            .and_then(|(word, len)| word.decode_bytes().map(|bytes| (word, len, bytes)));
        let Some((word, len, bytes)) = parsed else {
            search = at + 2;
            continue;
        };
        decoded_any = true;
        let literal = text.get(literal_start..at).unwrap_or_default();
        if !(pending.is_some() && is_blank(literal)) {
            flush(&mut out, &mut pending);
            out.push_str(&as_text(literal));
        }
        match pending.as_mut() {
            Some(p) if p.charset.eq_ignore_ascii_case(word.charset) => {
                p.bytes.extend_from_slice(&bytes);
            }
            _ => {
                flush(&mut out, &mut pending);
                pending = Some(Pending {
                    charset: word.charset,
                    bytes,
                });
            }
        }
        literal_start = at + len;
        search = literal_start;
    }
    if !decoded_any {
        return as_text(text);
    }
    flush(&mut out, &mut pending);
    out.push_str(&as_text(text.get(literal_start..).unwrap_or_default()));
    Cow::Owned(out)
}

fn find_marker(text: &[u8], from: usize) -> Option<usize> {
    let rest = text.get(from..)?;
    // `=` is rare in header text, so a byte search beats a substring
    // searcher that has to be set up on every call.
    memchr::memchr_iter(b'=', rest)
        .find(|&p| rest.get(p + 1) == Some(&b'?'))
        .map(|p| p + from)
}

/// Decodes an unstructured field value (Subject, Comments, X-...): drops
/// the whitespace after the colon, unfolds, decodes RFC 2047 encoded words
/// and takes the remaining bytes as UTF-8 (RFC 6532) with replacement of
/// invalid sequences. Trailing whitespace is part of `unstructured` (RFC
/// 5322 §3.2.5) and is kept, as Python's `email` package keeps it.
/// Borrowed when the value is neither folded nor encoded and is valid
/// UTF-8.
pub fn decode_unstructured(raw: &[u8]) -> Cow<'_, str> {
    let start = raw
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(raw.len());
    let mut text = raw.get(start..).unwrap_or_default();
    // A stray line ending at the very end is no content.
    while let Some(rest) = text
        .strip_suffix(b"\n")
        .or_else(|| text.strip_suffix(b"\r"))
    {
        text = rest;
    }
    match remove_line_breaks(text) {
        Cow::Borrowed(text) => decode_text(text),
        // Folded but not encoded: the unfolded copy becomes the text.
        Cow::Owned(text) if find_marker(&text, 0).is_none() => Cow::Owned(
            String::from_utf8(text)
                .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned()),
        ),
        Cow::Owned(text) => Cow::Owned(decode_text(&text).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_word_parts() {
        let (w, len) = EncodedWord::parse(b"=?US-ASCII*EN?Q?Keith_Moore?= x").unwrap();
        assert_eq!(w.charset, b"US-ASCII");
        assert_eq!(w.language, Some(&b"EN"[..]));
        assert_eq!(w.encoding, WordEncoding::Q);
        assert_eq!(len, 29);
        assert!(EncodedWord::parse(b"=?x?X?abc?=").is_none());
        assert!(EncodedWord::parse(b"=??Q?abc?=").is_none());
        assert!(EncodedWord::parse(b"=?x?Q?abc").is_none());
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            decode_unstructured(b" Hello there"),
            Cow::Borrowed("Hello there")
        ));
    }

    #[test]
    fn adjacent_words_join_and_split_utf8_rejoins() {
        // "é" split across two base64 words: C3 | A9.
        assert_eq!(decode_text(b"=?utf-8?B?ww==?= =?utf-8?B?qQ==?="), "é");
        assert_eq!(decode_text(b"a =?utf-8?q?b?= c"), "a b c");
        assert_eq!(
            decode_text(b"=?utf-8?q?bad=?= =?x?Y?z?="),
            "=?utf-8?q?bad=?= =?x?Y?z?="
        );
        assert_eq!(
            decode_text(b"=?utf-8?q?=ZZ?= =?utf-8?q?ok?="),
            "=?utf-8?q?=ZZ?= ok"
        );
    }
}
