//! The message side shared by verifier and signer: the header section collected from
//! chunks (bounded), its fields, and the data a signature signs (RFC 6376 §3.7).

use std::collections::HashMap;
use std::ops::Range;

use mailwire_mime::header::{HeaderLimits, HeaderSection};

use super::canon::canonicalize_header;
use super::record::{Canonicalization, DkimParseError, DkimSignature};

/// What pushing a chunk into a [`HeaderCollector`] gave.
pub(crate) enum Push<'c> {
    /// The header section goes on.
    Pending,
    /// The header section grew over the limit; the collector holds nothing any more.
    TooLarge,
    /// The header section is complete; these bytes (first the buffered ones, then the rest
    /// of the chunk) start the body.
    Complete(Vec<u8>, &'c [u8]),
}

/// Buffers the header section of a message given in chunks, up to a size limit, and
/// finds where it ends the way mailwire-mime does: at the empty line, or at the first line
/// that is neither a field nor a continuation.
#[derive(Debug, Clone)]
pub(crate) struct HeaderCollector {
    buffer: Vec<u8>,
    scan_position: usize,
    seen_field: bool,
    max_bytes: usize,
}

fn is_field_line(line: &[u8]) -> bool {
    let name_length = line
        .iter()
        .position(|&b| !(33..=126).contains(&b) || b == b':')
        .unwrap_or(line.len());
    let after_name = line.get(name_length..).unwrap_or_default();
    let colon = after_name
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .and_then(|p| after_name.get(p));
    name_length > 0 && colon == Some(&b':')
}

impl HeaderCollector {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            buffer: Vec::new(),
            scan_position: 0,
            seen_field: false,
            max_bytes,
        }
    }

    /// The header section collected so far (the whole of it once complete).
    #[cfg(test)]
    pub(crate) fn header(&self) -> &[u8] {
        &self.buffer
    }

    /// Gives up the collected header section.
    pub(crate) fn into_header(self) -> Vec<u8> {
        self.buffer
    }

    pub(crate) fn push<'c>(&mut self, chunk: &'c [u8]) -> Push<'c> {
        // Room for the limit plus the empty line that ends the section.
        let room = self
            .max_bytes
            .saturating_add(2)
            .saturating_sub(self.buffer.len());
        let (taken, rest) = chunk.split_at(room.min(chunk.len()));
        self.buffer.extend_from_slice(taken);
        match self.scan() {
            Some((header_end, body_start)) => {
                let body = self.buffer.split_off(body_start.min(self.buffer.len()));
                self.buffer.truncate(header_end);
                Push::Complete(body, rest)
            }
            None if self.buffer.len() > self.max_bytes => {
                self.buffer = Vec::new();
                Push::TooLarge
            }
            None => Push::Pending,
        }
    }

    /// Looks at the complete lines not yet seen; gives (end of the header, start of the
    /// body) once the section ended.
    fn scan(&mut self) -> Option<(usize, usize)> {
        loop {
            let start = self.scan_position;
            let rest = self.buffer.get(start..)?;
            let lf = memchr::memchr(b'\n', rest)?;
            let next = start + lf + 1;
            let line = rest.get(..lf).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                return Some((start, next));
            }
            let continues = if matches!(line.first(), Some(b' ' | b'\t')) {
                self.seen_field
            } else if is_field_line(line) {
                self.seen_field = true;
                true
            } else {
                // An mbox "From " line may open the message.
                start == 0 && line.starts_with(b"From ")
            };
            if !continues {
                return Some((start, start));
            }
            self.scan_position = next;
        }
    }
}

/// One field of the collected header: where its name and the whole field are.
#[derive(Debug, Clone)]
pub(crate) struct FieldSpan {
    pub(crate) name: Range<usize>,
    pub(crate) whole: Range<usize>,
}

/// Splits a complete header section into fields with mailwire-mime.
pub(crate) fn field_spans(
    header: &[u8],
    limits: &HeaderLimits,
) -> Result<Vec<FieldSpan>, mailwire_mime::header::HeaderError> {
    let section = HeaderSection::parse(header, limits)?;
    Ok(section
        .fields()
        .iter()
        .map(|field| {
            let whole = field.range();
            FieldSpan {
                name: whole.start..whole.start + field.name().len(),
                whole,
            }
        })
        .collect())
}

/// The name of a raw field: the bytes before its colon, without trailing whitespace.
fn raw_field_name(field: &[u8]) -> &[u8] {
    let colon = memchr::memchr(b':', field).unwrap_or(field.len());
    let name = field.get(..colon).unwrap_or_default();
    let end = name
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |p| p + 1);
    name.get(..end).unwrap_or_default()
}

/// The field with the value of its `b=` tag deleted (RFC 6376 §3.5, "b="), and without its
/// final line break.
pub(crate) fn without_signature_value(field: &[u8]) -> Vec<u8> {
    let field = match field.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => field,
    };
    let colon = memchr::memchr(b':', field).map_or(field.len(), |c| c + 1);
    let (head, value) = field.split_at(colon.min(field.len()));
    let mut out = Vec::with_capacity(field.len());
    out.extend_from_slice(head);
    let mut segments = value.split(|&b| b == b';').peekable();
    while let Some(segment) = segments.next() {
        let kept = match memchr::memchr(b'=', segment) {
            Some(equals) => {
                let name = segment.get(..equals).unwrap_or_default();
                let name = name
                    .iter()
                    .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                    .copied()
                    .collect::<Vec<u8>>();
                if name == b"b" {
                    segment.get(..=equals).unwrap_or_default()
                } else {
                    segment
                }
            }
            None => segment,
        };
        out.extend_from_slice(kept);
        if segments.peek().is_some() {
            out.push(b';');
        }
    }
    out
}

/// Appends what a signature signs: the fields `signed_headers` names, each taken from the
/// bottom up among those not taken yet (a name with no field left adds nothing), then the
/// signature field itself with `b=` emptied and no final CRLF.
pub(crate) fn append_signed_data(
    fields: &[&[u8]],
    signed_headers: &[String],
    signature_field: &[u8],
    canonicalization: Canonicalization,
    out: &mut Vec<u8>,
) {
    // Each name's fields, top to bottom; taking pops the lowest one not taken yet. One
    // pass over the fields and one over h=, whatever their sizes.
    let mut by_name: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
    for (index, field) in fields.iter().enumerate() {
        by_name
            .entry(raw_field_name(field).to_ascii_lowercase())
            .or_default()
            .push(index);
    }
    for name in signed_headers {
        let taken = by_name
            .get_mut(name.to_ascii_lowercase().as_bytes())
            .and_then(Vec::pop);
        if let Some(field) = taken.and_then(|index| fields.get(index)) {
            canonicalize_header(canonicalization, field, out);
        }
    }
    canonicalize_header(
        canonicalization,
        &without_signature_value(signature_field),
        out,
    );
    // The signature field is the last thing signed, without its CRLF.
    out.truncate(out.len().saturating_sub(2));
}

/// The data a DKIM signature signs (RFC 6376 §3.7): `header_fields` are the message's
/// fields as they are in the message, top to bottom, each from its name through its line
/// break; `signature_field` is the whole DKIM-Signature field (`DKIM-Signature: v=1; ...`),
/// whose `h=` and `c=` say what to take and how. Its `b=` value, if any, is ignored.
///
/// Sign the result with [`super::DkimSigningKey::sign_data`] to reproduce a signature.
pub fn signature_input(
    header_fields: &[&[u8]],
    signature_field: &[u8],
) -> Result<Vec<u8>, DkimParseError> {
    let colon = memchr::memchr(b':', signature_field).ok_or(DkimParseError::MalformedTag)?;
    let value = signature_field.get(colon + 1..).unwrap_or_default();
    let value = std::str::from_utf8(value).map_err(|_| DkimParseError::MalformedTag)?;
    let signature = DkimSignature::parse(value)?;
    let mut out = Vec::new();
    append_signed_data(
        header_fields,
        &signature.signed_headers,
        signature_field,
        signature.header_canonicalization,
        &mut out,
    );
    Ok(out)
}

/// A name DNS can carry: at most 253 octets, labels of 1 to 63 letters, digits, hyphens
/// and underscores.
pub(crate) fn is_dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_value_is_emptied() {
        assert_eq!(
            without_signature_value(b"DKIM-Signature: v=1; b=abc\r\n def; bh=xyz; c=x\r\n"),
            b"DKIM-Signature: v=1; b=; bh=xyz; c=x"
        );
        assert_eq!(
            without_signature_value(b"DKIM-Signature: a=1;\r\n b = abc\r\n def\r\n"),
            b"DKIM-Signature: a=1;\r\n b ="
        );
        assert_eq!(without_signature_value(b"X: b"), b"X: b");
    }

    #[test]
    fn collector_finds_the_end() {
        let mut collector = HeaderCollector::new(100);
        assert!(matches!(
            collector.push(b"From x\r\nA: 1\r\n b"),
            Push::Pending
        ));
        match collector.push(b"\r\n\r\nbody") {
            Push::Complete(buffered, rest) => {
                assert_eq!([buffered.as_slice(), rest].concat(), b"body");
            }
            _ => panic!("incomplete"),
        }
        assert_eq!(collector.header(), b"From x\r\nA: 1\r\n b\r\n");
        // A line that is no field starts the body.
        let mut collector = HeaderCollector::new(100);
        match collector.push(b"A: 1\nnot a field\nmore\n") {
            Push::Complete(buffered, rest) => {
                assert_eq!(buffered, b"not a field\nmore\n");
                assert_eq!(rest, b"");
            }
            _ => panic!("incomplete"),
        }
        assert_eq!(collector.header(), b"A: 1\n");
        let mut collector = HeaderCollector::new(10);
        assert!(matches!(collector.push(b"A: 1234567"), Push::Pending));
        assert!(matches!(collector.push(b"0123"), Push::TooLarge));
    }
}
