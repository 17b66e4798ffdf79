//! Charset conversion to UTF-8.
//!
//! Every label of the WHATWG Encoding Standard is recognised through
//! `encoding_rs` (so `latin1`, `iso-8859-1` and `us-ascii` decode as
//! windows-1252, as browsers do; labels that WHATWG maps to the
//! "replacement" encoding, such as `iso-2022-kr`, decode to one U+FFFD).
//! UTF-7 (RFC 2152), which WHATWG leaves out but mail still carries, has its
//! own decoder here.
//!
//! An unknown charset is not an error: its bytes are taken as UTF-8 where
//! they are valid UTF-8 and every invalid sequence becomes U+FFFD. Most
//! unknown labels in the wild name ASCII supersets, so ASCII text comes
//! through intact.

use std::borrow::Cow;

use encoding_rs::Encoding;

/// A charset resolved from its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Charset {
    /// A charset of the WHATWG Encoding Standard.
    Whatwg(&'static Encoding),
    /// UTF-7 (RFC 2152).
    Utf7,
    /// A label nobody recognises; decoded as UTF-8 with replacement.
    Unknown,
}

impl Charset {
    /// Resolves a charset label (case-insensitive, surrounding whitespace
    /// and quotes ignored).
    pub fn from_label(label: &[u8]) -> Charset {
        let label = trim_label(label);
        if label.eq_ignore_ascii_case(b"utf-7")
            || label.eq_ignore_ascii_case(b"utf7")
            || label.eq_ignore_ascii_case(b"unicode-1-1-utf-7")
            || label.eq_ignore_ascii_case(b"csunicode11utf7")
        {
            return Charset::Utf7;
        }
        match Encoding::for_label_no_replacement(label) {
            Some(encoding) => Charset::Whatwg(encoding),
            None => match Encoding::for_label(label) {
                // Labels of the replacement encoding (ISO-2022-KR, HZ, ...)
                // are known but deliberately undecodable.
                Some(encoding) => Charset::Whatwg(encoding),
                None => Charset::Unknown,
            },
        }
    }

    /// Decodes `bytes` in this charset to UTF-8. Borrowed when the bytes
    /// are already valid UTF-8 in an ASCII-compatible charset without
    /// anything to convert.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Cow<'a, str> {
        match self {
            Charset::Whatwg(encoding) => encoding.decode_with_bom_removal(bytes).0,
            Charset::Utf7 => decode_utf7(bytes),
            Charset::Unknown => crate::header::lex::lossy_str(bytes),
        }
    }

    /// Whether this is UTF-8 (decoding then only replaces invalid
    /// sequences).
    pub fn is_utf8(&self) -> bool {
        matches!(self, Charset::Whatwg(e) if *e == encoding_rs::UTF_8)
    }
}

/// Decodes `bytes` labelled with charset `label` to UTF-8; see the module
/// documentation for unknown labels.
pub fn decode<'a>(label: &[u8], bytes: &'a [u8]) -> Cow<'a, str> {
    Charset::from_label(label).decode(bytes)
}

/// Like [`decode`] for bytes that are already owned; avoids a copy when the
/// result equals the input.
pub fn decode_owned(label: &[u8], bytes: Vec<u8>) -> String {
    let charset = Charset::from_label(label);
    match charset {
        Charset::Whatwg(e) if e == encoding_rs::UTF_8 => match String::from_utf8(bytes) {
            Ok(s) => s.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(s),
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        },
        Charset::Unknown => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        },
        _ => charset.decode(&bytes).into_owned(),
    }
}

fn trim_label(label: &[u8]) -> &[u8] {
    let is_junk = |b: &u8| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'';
    let start = label
        .iter()
        .position(|b| !is_junk(b))
        .unwrap_or(label.len());
    let end = label
        .iter()
        .rposition(|b| !is_junk(b))
        .map_or(start, |p| p + 1);
    label.get(start..end).unwrap_or_default()
}

fn modified_base64_value(byte: u8) -> Option<u32> {
    match byte {
        b'A'..=b'Z' => Some(u32::from(byte - b'A')),
        b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Collects UTF-16 code units into text, pairing surrogates and replacing
/// unpaired ones with U+FFFD.
struct Utf16Sink {
    out: String,
    high: Option<u16>,
}

impl Utf16Sink {
    fn push_unit(&mut self, unit: u16) {
        match unit {
            0xD800..=0xDBFF => {
                if self.high.replace(unit).is_some() {
                    self.out.push(char::REPLACEMENT_CHARACTER);
                }
            }
            0xDC00..=0xDFFF => match self.high.take() {
                Some(high) => {
                    let code =
                        0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                    self.out
                        .push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                None => self.out.push(char::REPLACEMENT_CHARACTER),
            },
            _ => {
                self.flush();
                self.out
                    .push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
        }
    }

    fn flush(&mut self) {
        if self.high.take().is_some() {
            self.out.push(char::REPLACEMENT_CHARACTER);
        }
    }
}

/// Decodes UTF-7 (RFC 2152) to UTF-8.
///
/// Direct and optional-direct characters pass through; `+` starts a
/// modified-base64 run of UTF-16 code units that ends at the first
/// character outside the base64 alphabet (an ending `-` is absorbed);
/// `+-` is a literal `+`. Malformed input never fails: unpaired surrogates
/// and 8-bit bytes become U+FFFD, and leftover bits of a run are dropped.
/// Borrowed when the input has no `+` and is pure ASCII.
pub fn decode_utf7(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.iter().all(|&b| b < 0x80 && b != b'+') {
        return crate::header::lex::lossy_str(bytes);
    }
    let mut sink = Utf16Sink {
        out: String::with_capacity(bytes.len()),
        high: None,
    };
    let mut in_base64 = false;
    let mut bits: u32 = 0;
    let mut bit_count: u32 = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if in_base64 {
            if let Some(value) = modified_base64_value(b) {
                bits = (bits << 6) | value;
                bit_count += 6;
                if bit_count >= 16 {
                    bit_count -= 16;
                    let unit = (bits >> bit_count) & 0xFFFF;
                    bits &= (1 << bit_count) - 1;
                    sink.push_unit(u16::try_from(unit).unwrap_or(0xFFFD));
                }
                continue;
            }
            in_base64 = false;
            bits = 0;
            bit_count = 0;
            sink.flush();
            if b == b'-' {
                continue;
            }
        }
        if b == b'+' {
            if bytes.get(i) == Some(&b'-') {
                i += 1;
                sink.out.push('+');
            } else {
                in_base64 = true;
            }
        } else if b < 0x80 {
            sink.out.push(char::from(b));
        } else {
            sink.out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    sink.flush();
    Cow::Owned(sink.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf7_rfc2152_examples() {
        assert_eq!(decode_utf7(b"A+ImIDkQ."), "A\u{2262}\u{391}.");
        assert_eq!(decode_utf7(b"Hi Mom -+Jjo--!"), "Hi Mom -\u{263a}-!");
        assert_eq!(decode_utf7(b"+ZeVnLIqe-"), "\u{65e5}\u{672c}\u{8a9e}");
        assert_eq!(decode_utf7(b"Item 3 is +AKM-1."), "Item 3 is \u{a3}1.");
        assert_eq!(decode_utf7(b"1 +- 1"), "1 + 1");
        // Surrogate pair for U+1F600.
        assert_eq!(decode_utf7(b"+2D3eAA-"), "\u{1f600}");
        // Unpaired high surrogate.
        assert_eq!(decode_utf7(b"+2D0-x"), "\u{fffd}x");
    }

    #[test]
    fn labels_resolve() {
        assert_eq!(decode(b"ISO-8859-1", b"caf\xe9"), "caf\u{e9}");
        assert_eq!(decode(b"\"utf-8\"", "é".as_bytes()), "é");
        assert_eq!(decode(b"UTF-7", b"+AOk-"), "\u{e9}");
        assert_eq!(decode(b"koi8-r", b"\xf0\xd2"), "\u{41f}\u{440}");
        assert_eq!(decode(b"x-no-such", b"ab\xff"), "ab\u{fffd}");
        assert_eq!(Charset::from_label(b"x-no-such"), Charset::Unknown);
        assert!(matches!(
            decode(b"us-ascii", b"plain"),
            Cow::Borrowed("plain")
        ));
        assert_eq!(decode_owned(b"utf-8", b"ok".to_vec()), "ok");
        assert_eq!(decode_owned(b"shift_jis", b"\x82\xa0".to_vec()), "\u{3042}");
    }
}
