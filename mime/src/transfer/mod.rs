//! Content-Transfer-Encoding (RFC 2045 §6): the field value and the decoders.
//!
//! The field value is read by [`ContentTransferEncoding::parse`]; [`decode`] undoes
//! the encoding of a whole body (borrowing it for the identity encodings), and
//! [`TransferDecoder`] does the same chunk by chunk for the streaming parser. The
//! base64 and quoted-printable decoders are tolerant; their modules say exactly what
//! they accept.
//!
//! `7bit`, `8bit` and `binary` are the identity transformation. An unknown encoding
//! cannot be undone: RFC 2045 §6.4 says to treat such an entity as
//! application/octet-stream, so its body is passed on as it is.

pub mod base64;
pub mod quoted_printable;

use std::borrow::Cow;

use crate::header::ContentTransferEncoding;

pub use self::base64::{decode_base64, Base64Decoder};
pub use self::quoted_printable::{decode_quoted_printable, QuotedPrintableDecoder};

/// Decodes a whole body: borrowed for the identity encodings, a new buffer for base64
/// and quoted-printable.
pub fn decode<'b>(encoding: &ContentTransferEncoding<'_>, body: &'b [u8]) -> Cow<'b, [u8]> {
    match encoding {
        ContentTransferEncoding::Base64 => Cow::Owned(decode_base64(body)),
        ContentTransferEncoding::QuotedPrintable => Cow::Owned(decode_quoted_printable(body)),
        _ => Cow::Borrowed(body),
    }
}

/// Whether decoding `encoding` leaves the bytes as they are (7bit, 8bit, binary, and
/// unknown encodings, which cannot be undone).
pub fn is_identity(encoding: &ContentTransferEncoding<'_>) -> bool {
    !matches!(
        encoding,
        ContentTransferEncoding::Base64 | ContentTransferEncoding::QuotedPrintable
    )
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
    pub fn new(encoding: &ContentTransferEncoding<'_>) -> Self {
        let inner = match encoding {
            ContentTransferEncoding::Base64 => DecoderInner::Base64(Base64Decoder::new()),
            ContentTransferEncoding::QuotedPrintable => {
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
    fn decode_borrows_identity_bodies() {
        let eight = ContentTransferEncoding::EightBit;
        assert!(matches!(decode(&eight, b"caf\xC3\xA9"), Cow::Borrowed(_)));
        let other = ContentTransferEncoding::Other("x-uuencode".into());
        assert!(matches!(decode(&other, b"begin 644 x"), Cow::Borrowed(_)));
        assert!(is_identity(&other));
        assert!(!is_identity(&ContentTransferEncoding::Base64));
        assert_eq!(
            decode(&ContentTransferEncoding::Base64, b"YWJj").as_ref(),
            b"abc"
        );
        assert_eq!(
            decode(&ContentTransferEncoding::QuotedPrintable, b"a=3Db").as_ref(),
            b"a=b"
        );
    }

    #[test]
    fn streaming_decoder_matches_whole_decoding() {
        let cases: &[(ContentTransferEncoding<'_>, &[u8])] = &[
            (
                ContentTransferEncoding::Base64,
                b"SGVs\r\nbG8s\r\nIFdvcmxkIQ==\r\n",
            ),
            (
                ContentTransferEncoding::QuotedPrintable,
                b"caf=C3=A9 =\r\nlatte  \r\nend",
            ),
            (ContentTransferEncoding::SevenBit, b"plain\r\ntext"),
        ];
        for (encoding, body) in cases {
            let whole = decode(encoding, body);
            for cut in 0..=body.len() {
                let mut decoder = TransferDecoder::new(encoding);
                let mut out = Vec::new();
                decoder.decode(&body[..cut], &mut out);
                decoder.decode(&body[cut..], &mut out);
                decoder.finish(&mut out);
                assert_eq!(out, whole.as_ref());
            }
        }
    }
}
