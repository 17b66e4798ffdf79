//! Canonicalization (RFC 6376 §3.4) of header fields and of the body, and the streaming body
//! hash.
//!
//! Line breaks: a line ends at LF; a CR right before that LF belongs to the line break, so
//! CRLF and a bare LF (messages stored on Unix) both end a line and are written as CRLF. A CR
//! that no LF follows is an ordinary byte.

use ring::digest;

use super::record::Canonicalization;

/// Appends the canonical form of one header field to `out`, with its final CRLF.
///
/// `field` is the field as in the message: the name, the colon, the value with its folding
/// and, optionally, the line break that ends it. Bytes before the first colon are the name
/// (trailing whitespace there is the obsolete syntax of RFC 5322 §4.5).
pub fn canonicalize_header(canonicalization: Canonicalization, field: &[u8], out: &mut Vec<u8>) {
    match canonicalization {
        Canonicalization::Simple => {
            let field = strip_line_break(field);
            push_crlf_lines(field, out);
            out.extend_from_slice(b"\r\n");
        }
        Canonicalization::Relaxed => {
            let colon = memchr::memchr(b':', field).unwrap_or(field.len());
            let (name, value) = field.split_at(colon);
            let name = trim_wsp_end(name);
            out.extend(name.iter().map(u8::to_ascii_lowercase));
            out.push(b':');
            relaxed_value(value.get(1..).unwrap_or_default(), out);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// The field without the line break that ends it (CRLF or bare LF), if any.
fn strip_line_break(field: &[u8]) -> &[u8] {
    match field.strip_suffix(b"\n") {
        Some(line) => line.strip_suffix(b"\r").unwrap_or(line),
        None => field,
    }
}

/// Copies `text`, writing every line break (CRLF or bare LF) as CRLF.
fn push_crlf_lines(text: &[u8], out: &mut Vec<u8>) {
    let mut rest = text;
    while let Some(lf) = memchr::memchr(b'\n', rest) {
        let (line, after) = rest.split_at(lf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        rest = after.get(1..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
}

fn trim_wsp_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |p| p + 1);
    bytes.get(..end).unwrap_or_default()
}

/// A relaxed header value: unfolded, every run of whitespace one space, none at the ends.
fn relaxed_value(value: &[u8], out: &mut Vec<u8>) {
    let mut pending_space = false;
    let mut started = false;
    let mut index = 0;
    while let Some(&byte) = value.get(index) {
        index += 1;
        match byte {
            b'\n' => {}
            b'\r' if value.get(index) == Some(&b'\n') => {}
            b' ' | b'\t' => pending_space = true,
            _ => {
                if pending_space && started {
                    out.push(b' ');
                }
                pending_space = false;
                started = true;
                out.push(byte);
            }
        }
    }
}

/// Many CRLFs at once, for the empty lines held back until content follows them.
const CRLF_BLOCK: &[u8; 64] = b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\
\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

/// Canonicalizes a body given in chunks of any size, cut anywhere, passing the canonical
/// bytes to a sink as slices (of the input where it can, so nothing is copied).
///
/// Memory is constant: the only things held back between chunks are a count of empty
/// lines (dropped if the body ends with them, §3.4.3 and §3.4.4), whether whitespace is
/// pending (relaxed) and whether the last byte was a CR.
#[derive(Debug, Clone)]
pub struct BodyCanonicalizer {
    canonicalization: Canonicalization,
    pending_empty_lines: u64,
    pending_cr: bool,
    pending_space: bool,
    line_has_content: bool,
    wrote_any: bool,
}

impl BodyCanonicalizer {
    /// A canonicalizer at the start of a body.
    pub fn new(canonicalization: Canonicalization) -> Self {
        Self {
            canonicalization,
            pending_empty_lines: 0,
            pending_cr: false,
            pending_space: false,
            line_has_content: false,
            wrote_any: false,
        }
    }

    /// Canonicalizes the next chunk of the body.
    pub fn update(&mut self, input: &[u8], sink: &mut impl FnMut(&[u8])) {
        let relaxed = self.canonicalization == Canonicalization::Relaxed;
        let mut rest = input;
        while !rest.is_empty() {
            if self.pending_cr {
                self.pending_cr = false;
                if rest.first() == Some(&b'\n') {
                    self.end_line(sink);
                    rest = rest.get(1..).unwrap_or_default();
                    continue;
                }
                self.content(b"\r", sink);
            }
            let special = if relaxed {
                rest.iter()
                    .position(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
            } else {
                memchr::memchr2(b'\r', b'\n', rest)
            };
            let run = special.unwrap_or(rest.len());
            if run > 0 {
                self.content(rest.get(..run).unwrap_or_default(), sink);
            }
            let Some(at) = special else {
                break;
            };
            match rest.get(at) {
                Some(b'\r') => self.pending_cr = true,
                Some(b'\n') => self.end_line(sink),
                _ => self.pending_space = true,
            }
            rest = rest.get(at + 1..).unwrap_or_default();
        }
    }

    /// Ends the body: completes an unterminated last line, drops trailing empty lines, and
    /// writes the CRLF an empty body is under simple canonicalization.
    pub fn finish(&mut self, sink: &mut impl FnMut(&[u8])) {
        if self.pending_cr {
            self.pending_cr = false;
            self.content(b"\r", sink);
        }
        self.pending_space = false;
        if self.line_has_content {
            self.line_has_content = false;
            sink(b"\r\n");
        }
        self.pending_empty_lines = 0;
        if !self.wrote_any && self.canonicalization == Canonicalization::Simple {
            self.wrote_any = true;
            sink(b"\r\n");
        }
    }

    fn content(&mut self, bytes: &[u8], sink: &mut impl FnMut(&[u8])) {
        if !self.line_has_content {
            while self.pending_empty_lines > 0 {
                let lines = usize::try_from(self.pending_empty_lines)
                    .unwrap_or(usize::MAX)
                    .min(CRLF_BLOCK.len() / 2);
                sink(CRLF_BLOCK.get(..lines * 2).unwrap_or_default());
                self.pending_empty_lines -= lines as u64;
            }
        }
        if self.pending_space {
            self.pending_space = false;
            sink(b" ");
        }
        sink(bytes);
        self.line_has_content = true;
        self.wrote_any = true;
    }

    fn end_line(&mut self, sink: &mut impl FnMut(&[u8])) {
        // Whitespace at the end of a line is dropped (relaxed); simple never sets it.
        self.pending_space = false;
        if self.line_has_content {
            self.line_has_content = false;
            sink(b"\r\n");
        } else {
            self.pending_empty_lines = self.pending_empty_lines.saturating_add(1);
        }
    }
}

/// A finished body hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyHash {
    /// The SHA-256 digest of the canonical body, cut at the length limit if one was given.
    pub digest: Vec<u8>,
    /// The length of the whole canonical body.
    pub canonical_length: u64,
    /// How many canonical octets were hashed (the length limit, or the whole body).
    pub hashed_length: u64,
}

impl BodyHash {
    /// Canonical octets after the length limit, which no signature covers.
    pub fn unsigned_length(&self) -> u64 {
        self.canonical_length.saturating_sub(self.hashed_length)
    }
}

/// Canonicalizes and hashes (SHA-256) a body given in chunks, stopping the hash at an
/// optional length limit (the `l=` tag) while still counting what follows it.
#[derive(Clone)]
pub struct BodyHasher {
    canonicalizer: BodyCanonicalizer,
    context: digest::Context,
    limit: Option<u64>,
    hashed: u64,
    length: u64,
}

impl std::fmt::Debug for BodyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyHasher")
            .field("canonicalizer", &self.canonicalizer)
            .field("limit", &self.limit)
            .field("hashed", &self.hashed)
            .field("length", &self.length)
            .finish_non_exhaustive()
    }
}

impl BodyHasher {
    /// A SHA-256 body hasher; `limit` is the `l=` value, if any.
    pub fn new(canonicalization: Canonicalization, limit: Option<u64>) -> Self {
        Self {
            canonicalizer: BodyCanonicalizer::new(canonicalization),
            context: digest::Context::new(&digest::SHA256),
            limit,
            hashed: 0,
            length: 0,
        }
    }

    /// Hashes the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        let Self {
            canonicalizer,
            context,
            limit,
            hashed,
            length,
        } = self;
        canonicalizer.update(chunk, &mut |bytes| {
            hash_limited(context, *limit, hashed, length, bytes);
        });
    }

    /// Ends the body and gives the digest.
    pub fn finish(mut self) -> BodyHash {
        let Self {
            canonicalizer,
            context,
            limit,
            hashed,
            length,
        } = &mut self;
        canonicalizer.finish(&mut |bytes| hash_limited(context, *limit, hashed, length, bytes));
        BodyHash {
            digest: self.context.finish().as_ref().to_vec(),
            canonical_length: self.length,
            hashed_length: self.hashed,
        }
    }
}

fn hash_limited(
    context: &mut digest::Context,
    limit: Option<u64>,
    hashed: &mut u64,
    length: &mut u64,
    bytes: &[u8],
) {
    *length = length.saturating_add(bytes.len() as u64);
    let room = limit.map_or(u64::MAX, |l| l.saturating_sub(*hashed));
    let take = usize::try_from(room).unwrap_or(usize::MAX).min(bytes.len());
    if take > 0 {
        context.update(bytes.get(..take).unwrap_or_default());
        *hashed += take as u64;
    }
}

/// The canonical form of a whole body in one call (for tests and small bodies).
pub fn canonicalize_body(canonicalization: Canonicalization, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut canonicalizer = BodyCanonicalizer::new(canonicalization);
    canonicalizer.update(body, &mut |bytes| out.extend_from_slice(bytes));
    canonicalizer.finish(&mut |bytes| out.extend_from_slice(bytes));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Canonicalization::{Relaxed, Simple};

    fn header(canonicalization: Canonicalization, fields: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for field in fields {
            canonicalize_header(canonicalization, field, &mut out);
        }
        out
    }

    /// RFC 6376 §3.4.5's examples.
    #[test]
    fn rfc6376_examples() {
        let fields: [&[u8]; 2] = [b"A: X\r\n", b"B : Y\t\r\n\tZ  \r\n"];
        assert_eq!(header(Relaxed, &fields), b"a:X\r\nb:Y Z\r\n");
        assert_eq!(header(Simple, &fields), b"A: X\r\nB : Y\t\r\n\tZ  \r\n");
        let body = b" C \r\nD \t E\r\n\r\n\r\n";
        assert_eq!(canonicalize_body(Relaxed, body), b" C\r\nD E\r\n");
        assert_eq!(canonicalize_body(Simple, body), b" C \r\nD \t E\r\n");
    }

    #[test]
    fn empty_bodies_and_crlf_runs() {
        assert_eq!(canonicalize_body(Simple, b""), b"\r\n");
        assert_eq!(canonicalize_body(Relaxed, b""), b"");
        assert_eq!(canonicalize_body(Simple, b"\r\n\r\n\r\n"), b"\r\n");
        assert_eq!(canonicalize_body(Relaxed, b"\r\n \t\r\n\r\n"), b"");
        // Empty lines inside the body stay, only the trailing ones go.
        let body = b"a\r\n\r\n\r\n\r\nb\r\n\r\n";
        assert_eq!(canonicalize_body(Simple, body), b"a\r\n\r\n\r\n\r\nb\r\n");
        assert_eq!(canonicalize_body(Relaxed, body), b"a\r\n\r\n\r\n\r\nb\r\n");
        // Over a hundred held-back empty lines are written in blocks.
        let many = [b"x\r\n".as_slice(), &b"\r\n".repeat(150), b"y"].concat();
        let expected = [b"x\r\n".as_slice(), &b"\r\n".repeat(150), b"y\r\n"].concat();
        assert_eq!(canonicalize_body(Relaxed, &many), expected);
    }

    #[test]
    fn trailing_whitespace_missing_crlf_and_lone_cr() {
        assert_eq!(canonicalize_body(Relaxed, b"a  \t\r\n b\t"), b"a\r\n b\r\n");
        assert_eq!(canonicalize_body(Simple, b"a  \r\nb"), b"a  \r\nb\r\n");
        // Bare LF ends a line too; a CR with no LF after it is content.
        assert_eq!(canonicalize_body(Simple, b"a\nb\n\n"), b"a\r\nb\r\n");
        assert_eq!(canonicalize_body(Simple, b"a\rb\r\n\r"), b"a\rb\r\n\r\r\n");
        assert_eq!(canonicalize_body(Relaxed, b"a \r b"), b"a \r b\r\n");
    }

    #[test]
    fn folded_and_odd_headers() {
        assert_eq!(
            header(Relaxed, &[b"SUBJECT :  Hello\r\n \tthere \t \r\n"]),
            b"subject:Hello there\r\n"
        );
        // Bare LF folding is written as CRLF (simple) or removed (relaxed).
        assert_eq!(
            header(Simple, &[b"X: a\n b\n"]),
            b"X: a\r\n b\r\n".as_slice()
        );
        assert_eq!(header(Relaxed, &[b"X: a\n b"]), b"x:a b\r\n");
        assert_eq!(header(Relaxed, &[b"X:"]), b"x:\r\n");
        assert_eq!(
            header(Simple, &[b"X: no line break"]),
            b"X: no line break\r\n"
        );
    }

    /// Whatever the cut, a chunked body gives the same canonical bytes as a whole one.
    #[test]
    fn chunking_invariance() {
        let body = b"  Hi \t there \r\n\r\n\ra\nb \r\n \r\n\r\n\r";
        for canonicalization in [Simple, Relaxed] {
            let whole = canonicalize_body(canonicalization, body);
            for cut in 0..body.len() {
                for second in cut..body.len() {
                    let mut out = Vec::new();
                    let mut c = BodyCanonicalizer::new(canonicalization);
                    let mut sink = |bytes: &[u8]| out.extend_from_slice(bytes);
                    c.update(&body[..cut], &mut sink);
                    c.update(&body[cut..second], &mut sink);
                    c.update(&body[second..], &mut sink);
                    c.finish(&mut sink);
                    assert_eq!(out, whole, "{canonicalization:?} {cut} {second}");
                }
            }
        }
    }

    fn b64(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn body_hashes_and_length_limit() {
        // The well-known hashes of the empty body.
        let simple = BodyHasher::new(Simple, None).finish();
        assert_eq!(
            b64(&simple.digest),
            "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="
        );
        let relaxed = BodyHasher::new(Relaxed, None).finish();
        assert_eq!(
            b64(&relaxed.digest),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        // The body of RFC 6376 Appendix A and RFC 8463 Appendix A: its relaxed hash is the
        // bh= both examples print. (RFC 6376 says c=simple there, yet prints this relaxed
        // hash: the two spaces of "game.  Are" count under simple, one of the reasons its
        // example signature does not verify.)
        let body = b"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n\r\n";
        let mut hasher = BodyHasher::new(Relaxed, None);
        hasher.update(body);
        assert_eq!(
            b64(&hasher.finish().digest),
            "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
        );
        let mut hasher = BodyHasher::new(Simple, None);
        hasher.update(body);
        assert_eq!(
            b64(&hasher.finish().digest),
            "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ="
        );
        let body = &body[..body.len() - 2];
        // l=5 hashes "Hi.\r\n" and counts what follows as unsigned.
        let mut limited = BodyHasher::new(Simple, Some(5));
        limited.update(body);
        let limited = limited.finish();
        let mut first_line = BodyHasher::new(Simple, None);
        first_line.update(b"Hi.\r\n");
        assert_eq!(limited.digest, first_line.finish().digest);
        assert_eq!(limited.hashed_length, 5);
        assert_eq!(limited.canonical_length, body.len() as u64);
        assert_eq!(limited.unsigned_length(), body.len() as u64 - 5);
    }
}
