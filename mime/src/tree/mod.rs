//! The borrowed message tree: parse a whole message once, then walk its parts.
//!
//! [`Message::parse`] reads the header section of every entity and the multipart
//! structure, and records byte ranges into the input; bodies are decoded only when
//! asked ([`Part::decoded`], [`Part::text`]). Every byte of the input belongs to
//! exactly one of: a header range, a leaf body, a preamble or epilogue, or a boundary
//! delimiter line (what lies between those ranges), which is what lossless
//! re-serialization needs.
//!
//! # How common breakage is read
//! - A multipart without its close delimiter: the last part runs to the end of the
//!   multipart (the end of the message, or the next delimiter of an enclosing
//!   multipart), like mail clients do; [`Multipart::epilogue`] is then `None`.
//! - A multipart whose boundary never appears has no parts: its whole body is the
//!   preamble. A multipart without a boundary parameter is a leaf.
//! - Lines may end with CRLF or with a bare LF (messages stored on Unix); sizes and
//!   line counts are of the bytes as given, so an IMAP server that stores bare-LF
//!   mail and announces CRLF sizes must convert first. A lone CR is not a line end.
//! - When boundaries of nested multiparts collide, the outermost wins: a line that
//!   delimits an enclosing multipart ends the inner one.
//! - A delimiter line is `--boundary`, maybe `--`, then at most
//!   [`Limits::max_transport_padding`] spaces and tabs, then the line end; anything
//!   else after the boundary makes an ordinary line, so a boundary that is a prefix
//!   of a nested one (`abc` and `abcdef`) is never mistaken for it. Each delimiter
//!   line starts a part, so two delimiter lines in a row make an empty part.
//! - message/rfc822 and message/global parts are parsed as messages when their
//!   transfer encoding is 7bit, 8bit or binary; an encoded message/global stays a
//!   leaf (parse its [`Part::decoded`] payload as a message of its own). Other
//!   message types (delivery-status, external-body, partial) are leaves.
//!
//! Part numbers follow IMAP ([`PartPath`]); what is refused is in [`Limits`].

pub(crate) mod boundary;
pub(crate) mod entity;
mod path;

use std::borrow::Cow;
use std::ops::Range;

pub use self::path::PartPath;

use self::boundary::{line_break_start, match_delimiter, DelimiterFinder, LineMatch};
use self::entity::{admit_entity, entity_fields, EntityFields, PathRule, Shape};
use crate::charset;
use crate::error::ParseError;
use crate::header::{
    filename, ContentDisposition, ContentTransferEncoding, ContentType, HeaderField, HeaderSection,
};
use crate::limits::Limits;
use crate::transfer;

/// A parsed message: a tree of [`Part`]s borrowing the input.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    input: &'a [u8],
    root: Part<'a>,
    part_count: usize,
}

impl<'a> Message<'a> {
    /// Parses a whole message with the default [`Limits`].
    pub fn parse(input: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_with(input, &Limits::DEFAULT)
    }

    /// Parses a whole message with explicit limits.
    pub fn parse_with(input: &'a [u8], limits: &Limits) -> Result<Self, ParseError> {
        let mut parser = TreeParser {
            input,
            limits,
            count: 0,
        };
        let root = parser.entity(
            0..input.len(),
            0,
            PathRule::MessageRoot(PartPath::root()),
            false,
        )?;
        Ok(Message {
            input,
            root,
            part_count: parser.count,
        })
    }

    /// The input the message was parsed from.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The top-level entity: the message's own header and body.
    pub fn root(&self) -> &Part<'a> {
        &self.root
    }

    /// The message's header section (the root entity's).
    pub fn header(&self) -> &HeaderSection<'a> {
        self.root.header()
    }

    /// Every entity in document order (pre-order): the root, then each part, an
    /// encapsulated message right after its message/rfc822 part.
    pub fn parts(&self) -> Parts<'_, 'a> {
        Parts {
            stack: vec![&self.root],
        }
    }

    /// The entity with this IMAP part number; for a path shared by a
    /// message/rfc822 part and the multipart message inside it, the former (see
    /// [`PartPath`]).
    pub fn part(&self, path: &PartPath) -> Option<&Part<'a>> {
        self.parts().find(|part| part.path() == path)
    }

    /// How many entities the tree holds (root, parts and encapsulated messages).
    pub fn part_count(&self) -> usize {
        self.part_count
    }
}

/// Pre-order iterator over the entities of a [`Message`] or of a [`Part`].
#[derive(Debug, Clone)]
pub struct Parts<'t, 'a> {
    stack: Vec<&'t Part<'a>>,
}

impl<'t, 'a> Iterator for Parts<'t, 'a> {
    type Item = &'t Part<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let part = self.stack.pop()?;
        match &part.kind {
            PartKind::Leaf => {}
            PartKind::Multipart(multipart) => self.stack.extend(multipart.parts.iter().rev()),
            PartKind::Message(inner) => self.stack.push(inner),
        }
        Some(part)
    }
}

/// What the body of an entity holds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum PartKind<'a> {
    /// An opaque body (text, attachment, or anything not split further).
    Leaf,
    /// A multipart body with its parts.
    Multipart(Multipart<'a>),
    /// An encapsulated message (message/rfc822 or message/global).
    Message(Box<Part<'a>>),
}

/// The body of a multipart entity.
#[derive(Debug, Clone)]
pub struct Multipart<'a> {
    boundary: String,
    preamble: Range<usize>,
    parts: Vec<Part<'a>>,
    epilogue: Option<Range<usize>>,
}

impl<'a> Multipart<'a> {
    /// The boundary parameter.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The preamble: from the start of the body to the line break before the first
    /// delimiter (the whole body if no delimiter was found).
    pub fn preamble(&self) -> Range<usize> {
        self.preamble.clone()
    }

    /// The parts, in order. Empty when the boundary never appears in the body (IMAP
    /// BODYSTRUCTURE needs one part at least; Dovecot writes an empty text/plain part
    /// for such a multipart).
    pub fn parts(&self) -> &[Part<'a>] {
        &self.parts
    }

    /// The epilogue: after the close delimiter line to the end of the body; `None`
    /// when the close delimiter is missing.
    pub fn epilogue(&self) -> Option<Range<usize>> {
        self.epilogue.clone()
    }
}

/// One entity: the message itself, a body part, or an encapsulated message.
#[derive(Debug, Clone)]
pub struct Part<'a> {
    input: &'a [u8],
    path: PartPath,
    depth: usize,
    range: Range<usize>,
    header: HeaderSection<'a>,
    fields: EntityFields<'a>,
    body: Range<usize>,
    kind: PartKind<'a>,
}

impl<'a> Part<'a> {
    /// The IMAP part number (see [`PartPath`]).
    pub fn path(&self) -> &PartPath {
        &self.path
    }

    /// Nesting depth: 0 for the message, 1 for its parts, and so on (an
    /// encapsulated message is one level below its message/rfc822 part).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The whole entity in the input: header section and body.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// The header section. Its fields' ranges ([`HeaderField::range`]) are relative
    /// to the start of [`Part::range`]; [`Part::field_range`] gives them in the
    /// input.
    pub fn header(&self) -> &HeaderSection<'a> {
        &self.header
    }

    /// Where a field of this part's header lies in the input.
    pub fn field_range(&self, field: &HeaderField<'_>) -> Range<usize> {
        let relative = field.range();
        self.range.start + relative.start..self.range.start + relative.end
    }

    /// The header section in the input, including the empty line that ends it (what
    /// IMAP `BODY[HEADER]` and `BODY[n.MIME]` return).
    pub fn header_range(&self) -> Range<usize> {
        self.range.start..self.body.start
    }

    /// The body in the input, still transfer-encoded (IMAP `BODY[TEXT]` / `BODY[n]`).
    pub fn body_range(&self) -> Range<usize> {
        self.body.clone()
    }

    /// The body bytes, still transfer-encoded.
    pub fn body(&self) -> &'a [u8] {
        self.input.get(self.body.clone()).unwrap_or_default()
    }

    /// Size of the body in octets, as IMAP BODYSTRUCTURE reports it.
    pub fn size(&self) -> usize {
        self.body.len()
    }

    /// Number of lines of the body, as IMAP BODYSTRUCTURE reports it for text and
    /// message/rfc822 parts: the line feeds, plus one for a last line without one.
    pub fn body_lines(&self) -> usize {
        count_lines(self.body())
    }

    /// The content type: from the Content-Type field, or the default
    /// (text/plain; charset=us-ascii, or message/rfc822 in a multipart/digest), or
    /// text/plain when the field does not parse.
    pub fn content_type(&self) -> &ContentType<'a> {
        &self.fields.content_type
    }

    /// Whether the content type came from a Content-Type field that parsed.
    pub fn has_content_type_field(&self) -> bool {
        self.fields.has_content_type
    }

    /// The Content-Disposition, if present and parsable.
    pub fn disposition(&self) -> Option<&ContentDisposition<'a>> {
        self.fields.disposition.as_ref()
    }

    /// The file name: Content-Disposition's `filename`, else Content-Type's `name`
    /// (RFC 2231 and RFC 2047 forms decoded).
    pub fn filename(&self) -> Option<Cow<'_, str>> {
        filename(
            self.fields.disposition.as_ref(),
            self.has_content_type_field()
                .then_some(&self.fields.content_type),
        )
    }

    /// The Content-Transfer-Encoding (7bit when absent).
    pub fn transfer_encoding(&self) -> &ContentTransferEncoding<'a> {
        &self.fields.encoding
    }

    /// The `charset` parameter of the content type (the default content type of a
    /// part without one has `us-ascii`).
    pub fn charset(&self) -> Option<&str> {
        self.fields.content_type.charset()
    }

    /// What the body holds.
    pub fn kind(&self) -> &PartKind<'a> {
        &self.kind
    }

    /// The multipart body, if this entity is a multipart that was split.
    pub fn multipart(&self) -> Option<&Multipart<'a>> {
        match &self.kind {
            PartKind::Multipart(multipart) => Some(multipart),
            _ => None,
        }
    }

    /// The parts of a multipart (empty for other entities).
    pub fn children(&self) -> &[Part<'a>] {
        self.multipart().map_or(&[], |multipart| multipart.parts())
    }

    /// The encapsulated message of a message/rfc822 or message/global part.
    pub fn message(&self) -> Option<&Part<'a>> {
        match &self.kind {
            PartKind::Message(inner) => Some(inner),
            _ => None,
        }
    }

    /// This entity and everything below it, in document order.
    pub fn walk(&self) -> Parts<'_, 'a> {
        Parts { stack: vec![self] }
    }

    /// The body with its transfer encoding undone: borrowed for 7bit, 8bit, binary
    /// and unknown encodings, decoded for base64 and quoted-printable.
    pub fn decoded(&self) -> Cow<'a, [u8]> {
        transfer::decode(&self.fields.encoding, self.body())
    }

    /// The decoded body converted to UTF-8 from its charset (us-ascii when none is
    /// given; see [`crate::charset`] for unknown charsets). Meant for text parts.
    pub fn text(&self) -> Cow<'a, str> {
        let label = self.charset().unwrap_or("us-ascii");
        let decoded = self.decoded();
        // ASCII text in a charset that agrees with ASCII is already UTF-8: skip the
        // charset lookup (the common case, and exactly what the lookup would give).
        let ascii_based = ["us-ascii", "ascii", "utf-8", "utf8", "iso-8859-1", "latin1"]
            .iter()
            .any(|known| label.eq_ignore_ascii_case(known));
        if ascii_based && decoded.is_ascii() {
            return match decoded {
                Cow::Borrowed(bytes) => std::str::from_utf8(bytes)
                    .map_or_else(|_| charset::decode(label.as_bytes(), bytes), Cow::Borrowed),
                Cow::Owned(bytes) => Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|error| {
                    charset::decode_owned(label.as_bytes(), error.into_bytes())
                })),
            };
        }
        match decoded {
            Cow::Borrowed(bytes) => charset::decode(label.as_bytes(), bytes),
            Cow::Owned(bytes) => Cow::Owned(charset::decode_owned(label.as_bytes(), bytes)),
        }
    }
}

/// Bodies from this size on are searched for delimiters with a substring search.
const LARGE_BODY: usize = 4096;

/// Position of the first LF in `window` that `needle` (LF "--" boundary) starts at.
///
/// Dashes are looked for rather than line breaks: most lines of a body do not
/// start with one, and base64 has none, so there are fewer places to look at.
fn next_line_with_prefix(window: &[u8], needle: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(hit) = window
        .get(from..)
        .and_then(|rest| memchr::memchr(b'-', rest))
    {
        let dash = from + hit;
        if dash > 0
            && window.get(dash - 1) == Some(&b'\n')
            && window
                .get(dash - 1..)
                .is_some_and(|rest| rest.starts_with(needle))
        {
            return Some(dash - 1);
        }
        // The rest of a run of dashes cannot start the needle (its LF comes first).
        from = dash + 1;
        while window.get(from) == Some(&b'-') {
            from += 1;
        }
    }
    None
}

/// Line count as IMAP reports it: every LF, and a last line without one.
fn count_lines(body: &[u8]) -> usize {
    let feeds = memchr::memchr_iter(b'\n', body).count();
    match body.last() {
        Some(b'\n') | None => feeds,
        Some(_) => feeds + 1,
    }
}

struct TreeParser<'a, 'l> {
    input: &'a [u8],
    limits: &'l Limits,
    count: usize,
}

/// A multipart body cut at its delimiter lines.
struct Split {
    preamble: Range<usize>,
    parts: Vec<Range<usize>>,
    epilogue: Option<Range<usize>>,
    /// More parts exist than the entity budget allows.
    over_budget: bool,
}

impl<'a> TreeParser<'a, '_> {
    fn entity(
        &mut self,
        range: Range<usize>,
        depth: usize,
        rule: PathRule,
        in_digest: bool,
    ) -> Result<Part<'a>, ParseError> {
        admit_entity(self.count, depth, self.limits)?;
        self.count += 1;
        let slice = self.input.get(range.clone()).unwrap_or_default();
        let header = HeaderSection::parse(slice, &self.limits.header).map_err(|source| {
            ParseError::Header {
                part: rule.tentative().to_string(),
                source,
            }
        })?;
        let (fields, shape) = entity_fields(&header, in_digest, self.limits, || {
            rule.tentative().to_string()
        })?;
        let path = rule.resolve(&shape);
        let body = (range.start + header.body_offset()).min(range.end)..range.end;
        let kind = match shape {
            Shape::Leaf => PartKind::Leaf,
            Shape::Message => {
                let inner = self.entity(
                    body.clone(),
                    depth + 1,
                    PathRule::MessageRoot(path.clone()),
                    false,
                )?;
                PartKind::Message(Box::new(inner))
            }
            Shape::Multipart(boundary) => {
                let at_line_start = body.start == range.start
                    || self.input.get(body.start.wrapping_sub(1)) == Some(&b'\n');
                let budget = self.limits.max_parts.saturating_sub(self.count);
                let split = self.split(body.clone(), boundary.as_bytes(), at_line_start, budget);
                let digest = fields.content_type.is("multipart", "digest");
                let mut parts = Vec::with_capacity(split.parts.len());
                for (index, part_range) in split.parts.into_iter().enumerate() {
                    let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
                    parts.push(self.entity(
                        part_range,
                        depth + 1,
                        PathRule::Numbered(path.child(number)),
                        digest,
                    )?);
                }
                if split.over_budget {
                    // The budget check above stops at the first part too many; this
                    // only guards the invariant.
                    return Err(ParseError::TooManyParts {
                        limit: self.limits.max_parts,
                    });
                }
                PartKind::Multipart(Multipart {
                    boundary,
                    preamble: split.preamble,
                    parts,
                    epilogue: split.epilogue,
                })
            }
        };
        Ok(Part {
            input: self.input,
            path,
            depth,
            range,
            header,
            fields,
            body,
            kind,
        })
    }

    /// Cuts `body` at the delimiter lines of `boundary`, collecting at most
    /// `budget + 1` parts.
    fn split(
        &self,
        body: Range<usize>,
        boundary: &[u8],
        at_line_start: bool,
        budget: usize,
    ) -> Split {
        let input = self.input;
        let max_padding = self.limits.max_transport_padding;
        // Candidates are lines that start with "--" and the boundary. In a large body
        // a search for LF "--" boundary finds them ([`DelimiterFinder`]); in a small one,
        // where setting that search up costs more than it saves, each line start is
        // looked at. Either way each candidate is then checked as a whole line.
        let mut needle = Vec::with_capacity(boundary.len() + 3);
        needle.extend_from_slice(b"\n--");
        needle.extend_from_slice(boundary);
        let mut finder = (body.len() >= LARGE_BODY).then(|| DelimiterFinder::new(&needle));
        // A line starting inside the body may end after it (its line break belongs
        // to an enclosing delimiter), so the search window reaches a needle past it.
        let window_end = body.end.saturating_add(needle.len()).min(input.len());
        let mut preamble = None;
        let mut parts = Vec::new();
        let mut segment_start = body.start;
        let mut line_start = if at_line_start {
            Some(body.start)
        } else {
            None
        };
        let mut search_from = body.start;
        loop {
            let start = match line_start.take() {
                Some(start) => start,
                None => {
                    let window = input.get(search_from..window_end).unwrap_or_default();
                    let found = match &mut finder {
                        Some(finder) => finder.find(window),
                        None => next_line_with_prefix(window, &needle),
                    };
                    match found {
                        Some(lf) => search_from + lf + 1,
                        None => break,
                    }
                }
            };
            if start >= body.end {
                break;
            }
            let line = input.get(start..).unwrap_or_default();
            match match_delimiter(line, boundary, max_padding, true) {
                LineMatch::Delimiter { close, length } => {
                    let content_end = if start > segment_start {
                        line_break_start(input, segment_start, start)
                    } else {
                        segment_start
                    };
                    if preamble.is_none() {
                        preamble = Some(segment_start..content_end);
                    } else {
                        parts.push(segment_start..content_end);
                    }
                    let line_end = (start + length).min(body.end);
                    if close {
                        return Split {
                            preamble: preamble.unwrap_or(body.start..body.start),
                            parts,
                            epilogue: Some(line_end..body.end),
                            over_budget: false,
                        };
                    }
                    if parts.len() > budget {
                        return Split {
                            preamble: preamble.unwrap_or(body.start..body.start),
                            parts,
                            epilogue: None,
                            over_budget: true,
                        };
                    }
                    segment_start = line_end;
                    search_from = line_end;
                    line_start = Some(line_end);
                }
                LineMatch::No | LineMatch::NeedMore => search_from = start,
            }
        }
        match preamble {
            None => Split {
                preamble: body.clone(),
                parts,
                epilogue: None,
                over_budget: false,
            },
            Some(preamble) => {
                parts.push(segment_start..body.end);
                let over_budget = parts.len() > budget + 1;
                Split {
                    preamble,
                    parts,
                    epilogue: None,
                    over_budget,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_like_imap() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"one"), 1);
        assert_eq!(count_lines(b"one\r\n"), 1);
        assert_eq!(count_lines(b"one\r\ntwo"), 2);
        assert_eq!(count_lines(b"\n\n"), 2);
    }

    /// The dash search finds what a search of every line start finds.
    #[test]
    fn next_delimiter_line_like_a_line_by_line_search() {
        let needle = b"\n--b-1";
        let window: &[u8] = b"x\n-- sig\n---b-1\n--b-\n--b-1 \n----\n--b-12\r\n--b-1\r\n--b-1--";
        for start in 0..window.len() {
            let window = &window[start..];
            let expected =
                memchr::memchr_iter(b'\n', window).find(|&lf| window[lf..].starts_with(needle));
            assert_eq!(
                next_line_with_prefix(window, needle),
                expected,
                "from {start}"
            );
        }
        assert_eq!(next_line_with_prefix(b"--b-1\n", needle), None);
        assert_eq!(next_line_with_prefix(b"\n--b-1", needle), Some(0));
    }
}
