//! Content-Transfer-Encoding (RFC 2045 §6): the field value and the decoders.
//!
//! [`TransferEncoding::parse`] reads the field value; [`decode`] undoes the encoding
//! of a whole body (borrowing it for the identity encodings), and [`TransferDecoder`]
//! does the same chunk by chunk for the streaming parser. The base64 and
//! quoted-printable decoders are tolerant; their modules say exactly what they accept.

pub mod base64;
pub mod quoted_printable;

use std::borrow::Cow;
use std::fmt;

pub use self::base64::{decode_base64, Base64Decoder};
pub use self::quoted_printable::{decode_quoted_printable, QuotedPrintableDecoder};

/// The value of a Content-Transfer-Encoding field.
///
/// `7bit`, `8bit` and `binary` are the identity transformation (they only say what
/// domain the body is in); `quoted-printable` and `base64` are decoded. Any other
/// token is kept as [`TransferEncoding::Other`]; RFC 2045 §6.4 says such an entity is
/// to be treated as application/octet-stream, so its body is passed on undecoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TransferEncoding<'a> {
    /// `7bit`, also the default when the field is missing or empty.
    #[default]
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `binary`.
    Binary,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `base64`.
    Base64,
    /// Any other token, as written (for example `x-uuencode`).
    Other(&'a str),
}

impl<'a> TransferEncoding<'a> {
    /// Reads a field value: optional comments and whitespace around one token,
    /// compared without regard to case. A value with no token gives the default 7bit.
    pub fn parse(value: &'a [u8]) -> Self {
        let token = first_token(value);
        let known = [
            ("7bit", Self::SevenBit),
            ("8bit", Self::EightBit),
            ("binary", Self::Binary),
            ("quoted-printable", Self::QuotedPrintable),
            ("base64", Self::Base64),
        ];
        if token.is_empty() {
            return Self::SevenBit;
        }
        for (name, encoding) in known {
            if token.eq_ignore_ascii_case(name) {
                return encoding;
            }
        }
        Self::Other(token)
    }

    /// The canonical lowercase name (`Other` keeps its spelling).
    pub fn as_str(&self) -> &'a str {
        match self {
            Self::SevenBit => "7bit",
            Self::EightBit => "8bit",
            Self::Binary => "binary",
            Self::QuotedPrintable => "quoted-printable",
            Self::Base64 => "base64",
            Self::Other(token) => token,
        }
    }

    /// Whether decoding leaves the bytes as they are (7bit, 8bit, binary, and unknown
    /// encodings, which cannot be decoded).
    pub fn is_identity(&self) -> bool {
        !matches!(self, Self::QuotedPrintable | Self::Base64)
    }

    /// The same value with the `Other` token copied, free of the input's lifetime.
    pub fn into_owned(self) -> OwnedTransferEncoding {
        OwnedTransferEncoding(match self {
            Self::SevenBit => OwnedInner::Known(KnownEncoding::SevenBit),
            Self::EightBit => OwnedInner::Known(KnownEncoding::EightBit),
            Self::Binary => OwnedInner::Known(KnownEncoding::Binary),
            Self::QuotedPrintable => OwnedInner::Known(KnownEncoding::QuotedPrintable),
            Self::Base64 => OwnedInner::Known(KnownEncoding::Base64),
            Self::Other(token) => OwnedInner::Other(token.to_owned()),
        })
    }
}

impl fmt::Display for TransferEncoding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A [`TransferEncoding`] that owns its `Other` token (for events of the streaming
/// parser, which outlive the chunk they were read from).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OwnedTransferEncoding(OwnedInner);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum OwnedInner {
    Known(KnownEncoding),
    Other(String),
}

impl Default for OwnedInner {
    fn default() -> Self {
        Self::Known(KnownEncoding::SevenBit)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KnownEncoding {
    SevenBit,
    EightBit,
    Binary,
    QuotedPrintable,
    Base64,
}

impl OwnedTransferEncoding {
    /// Borrows it as a [`TransferEncoding`].
    pub fn as_encoding(&self) -> TransferEncoding<'_> {
        match &self.0 {
            OwnedInner::Known(KnownEncoding::SevenBit) => TransferEncoding::SevenBit,
            OwnedInner::Known(KnownEncoding::EightBit) => TransferEncoding::EightBit,
            OwnedInner::Known(KnownEncoding::Binary) => TransferEncoding::Binary,
            OwnedInner::Known(KnownEncoding::QuotedPrintable) => TransferEncoding::QuotedPrintable,
            OwnedInner::Known(KnownEncoding::Base64) => TransferEncoding::Base64,
            OwnedInner::Other(token) => TransferEncoding::Other(token),
        }
    }
}

impl fmt::Display for OwnedTransferEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_encoding().as_str())
    }
}

/// Token characters of RFC 2045 (printable ASCII but space and tspecials).
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&byte)
}

/// The first token of a field value, after whitespace and (nested) comments.
fn first_token(value: &[u8]) -> &str {
    let mut rest = value;
    loop {
        match rest.split_first() {
            Some((b' ' | b'\t' | b'\r' | b'\n', tail)) => rest = tail,
            Some((b'(', tail)) => rest = skip_comment(tail),
            _ => break,
        }
    }
    let length = rest
        .iter()
        .position(|&b| !is_token_byte(b))
        .unwrap_or(rest.len());
    let token = rest.get(..length).unwrap_or_default();
    // Token bytes are ASCII, so this never fails.
    std::str::from_utf8(token).unwrap_or_default()
}

/// Skips the rest of a comment whose `(` was consumed; an unclosed comment runs to
/// the end.
fn skip_comment(mut rest: &[u8]) -> &[u8] {
    let mut depth = 1usize;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        match byte {
            b'\\' => rest = rest.get(1..).unwrap_or_default(),
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    rest
}

/// Decodes a whole body: borrowed for the identity encodings, a new buffer for base64
/// and quoted-printable.
pub fn decode<'b>(encoding: TransferEncoding<'_>, body: &'b [u8]) -> Cow<'b, [u8]> {
    match encoding {
        TransferEncoding::Base64 => Cow::Owned(decode_base64(body)),
        TransferEncoding::QuotedPrintable => Cow::Owned(decode_quoted_printable(body)),
        _ => Cow::Borrowed(body),
    }
}

/// Streaming decoder for any transfer encoding; the identity encodings copy through.
#[derive(Debug, Clone)]
pub struct TransferDecoder {
    inner: DecoderInner,
}

#[derive(Debug, Clone)]
enum DecoderInner {
    Identity,
    Base64(Base64Decoder),
    QuotedPrintable(QuotedPrintableDecoder),
}

impl TransferDecoder {
    /// A decoder for bodies in `encoding`.
    pub fn new(encoding: TransferEncoding<'_>) -> Self {
        let inner = match encoding {
            TransferEncoding::Base64 => DecoderInner::Base64(Base64Decoder::new()),
            TransferEncoding::QuotedPrintable => {
                DecoderInner::QuotedPrintable(QuotedPrintableDecoder::new())
            }
            _ => DecoderInner::Identity,
        };
        Self { inner }
    }

    /// Decodes the next chunk of the body, appending to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match &mut self.inner {
            DecoderInner::Identity => out.extend_from_slice(input),
            DecoderInner::Base64(decoder) => decoder.decode(input, out),
            DecoderInner::QuotedPrintable(decoder) => decoder.decode(input, out),
        }
    }

    /// Ends the body, appending what was held back.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match &mut self.inner {
            DecoderInner::Identity => {}
            DecoderInner::Base64(decoder) => decoder.finish(out),
            DecoderInner::QuotedPrintable(decoder) => decoder.finish(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_field_values() {
        assert_eq!(TransferEncoding::parse(b"base64"), TransferEncoding::Base64);
        assert_eq!(
            TransferEncoding::parse(b" BASE64 \r\n"),
            TransferEncoding::Base64
        );
        assert_eq!(
            TransferEncoding::parse(b"(comment (nested)) Quoted-Printable (x)"),
            TransferEncoding::QuotedPrintable
        );
        assert_eq!(TransferEncoding::parse(b"8Bit"), TransferEncoding::EightBit);
        assert_eq!(TransferEncoding::parse(b"binary"), TransferEncoding::Binary);
        assert_eq!(TransferEncoding::parse(b"7bit"), TransferEncoding::SevenBit);
        assert_eq!(TransferEncoding::parse(b""), TransferEncoding::SevenBit);
        assert_eq!(
            TransferEncoding::parse(b"  (only a comment"),
            TransferEncoding::SevenBit
        );
        assert_eq!(
            TransferEncoding::parse(b"x-uuencode"),
            TransferEncoding::Other("x-uuencode")
        );
        assert_eq!(
            TransferEncoding::parse(b"x-uuencode").as_str(),
            "x-uuencode"
        );
        assert!(!TransferEncoding::Base64.is_identity());
        assert!(TransferEncoding::Other("x").is_identity());
    }

    #[test]
    fn owned_form_round_trips() {
        for value in [
            &b"7bit"[..],
            b"8bit",
            b"binary",
            b"quoted-printable",
            b"base64",
            b"x-foo",
        ] {
            let encoding = TransferEncoding::parse(value);
            assert_eq!(encoding.into_owned().as_encoding(), encoding);
            assert_eq!(encoding.into_owned().to_string(), encoding.to_string());
        }
    }

    #[test]
    fn decode_borrows_identity_bodies() {
        assert!(matches!(
            decode(TransferEncoding::EightBit, b"caf\xC3\xA9"),
            Cow::Borrowed(_)
        ));
        assert_eq!(decode(TransferEncoding::Base64, b"YWJj").as_ref(), b"abc");
        assert_eq!(
            decode(TransferEncoding::QuotedPrintable, b"a=3Db").as_ref(),
            b"a=b"
        );
    }

    #[test]
    fn streaming_decoder_matches_whole_decoding() {
        let cases: &[(TransferEncoding<'_>, &[u8])] = &[
            (
                TransferEncoding::Base64,
                b"SGVs\r\nbG8s\r\nIFdvcmxkIQ==\r\n",
            ),
            (
                TransferEncoding::QuotedPrintable,
                b"caf=C3=A9 =\r\nlatte  \r\nend",
            ),
            (TransferEncoding::SevenBit, b"plain\r\ntext"),
        ];
        for (encoding, body) in cases {
            let whole = decode(*encoding, body);
            for cut in 0..=body.len() {
                let mut decoder = TransferDecoder::new(*encoding);
                let mut out = Vec::new();
                decoder.decode(&body[..cut], &mut out);
                decoder.decode(&body[cut..], &mut out);
                decoder.finish(&mut out);
                assert_eq!(out, whole.as_ref());
            }
        }
    }
}
