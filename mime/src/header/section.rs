//! Splitting a header section (RFC 5322 §2.2, §3.6, §4.5) into fields.
//!
//! The parser borrows the input: each [`HeaderField`] holds its raw name,
//! its raw (still folded) value and the byte range it occupies, so a
//! serializer can reproduce every untouched byte.
//!
//! # Line endings
//! CRLF is the canonical line ending. A bare LF is tolerated as a line
//! ending too (messages stored on Unix systems use it); the section records
//! that it saw one ([`HeaderSection::has_bare_lf`]). A CR that is not
//! followed by LF is an ordinary byte inside the line.
//!
//! # Where the section ends
//! - at the first empty line ([`HeaderTerminator::EmptyLine`]); the body
//!   starts after it;
//! - at the end of the input, for a message without body and without the
//!   empty line ([`HeaderTerminator::EndOfInput`]);
//! - at the first line that is neither a field nor a continuation, like
//!   Python's `email` package and common MTAs do
//!   ([`HeaderTerminator::NonFieldLine`]); the body starts at that line,
//!   which is not consumed. A continuation line before any field is such a
//!   line too.
//!
//! An mbox `From ` separator line at the very start is skipped and kept
//! apart ([`HeaderSection::mbox_from`]).
//!
//! # Obsolete syntax
//! Whitespace between the field name and the colon (RFC 5322 §4.5,
//! `obs-optional`) is accepted; the name excludes it. Values may hold any
//! byte, including 8-bit and UTF-8 (RFC 6532); they are kept as bytes.

use std::borrow::Cow;
use std::ops::Range;

/// Limits applied while splitting a header section. Exceeding one is an
/// error ([`HeaderError`]), so the work and memory spent on a header
/// section are bounded whatever the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeaderLimits {
    /// Maximum number of fields. Default 1000: far above what real mail
    /// carries (a long relay path has a few dozen `Received` fields), low
    /// enough to bound the field table.
    pub max_fields: usize,
    /// Maximum length of one physical line in bytes, excluding its line
    /// ending. Default 32768. RFC 5322 §2.1.1 caps lines at 998 octets for
    /// senders, but longer unfolded lines are common in received mail, so
    /// the parser accepts them up to this bound.
    pub max_line_length: usize,
    /// Maximum size of the whole header section in bytes, including line
    /// endings and the empty line. Default 1 MiB.
    pub max_header_bytes: usize,
}

impl HeaderLimits {
    /// The documented defaults (see each field).
    pub const DEFAULT: HeaderLimits = HeaderLimits {
        max_fields: 1000,
        max_line_length: 32 * 1024,
        max_header_bytes: 1024 * 1024,
    };

    /// Limits with every bound set to `usize::MAX`, for trusted input.
    pub const UNLIMITED: HeaderLimits = HeaderLimits {
        max_fields: usize::MAX,
        max_line_length: usize::MAX,
        max_header_bytes: usize::MAX,
    };

    /// Returns these limits with `max_fields` replaced.
    #[must_use]
    pub fn with_max_fields(mut self, max_fields: usize) -> Self {
        self.max_fields = max_fields;
        self
    }

    /// Returns these limits with `max_line_length` replaced.
    #[must_use]
    pub fn with_max_line_length(mut self, max_line_length: usize) -> Self {
        self.max_line_length = max_line_length;
        self
    }

    /// Returns these limits with `max_header_bytes` replaced.
    #[must_use]
    pub fn with_max_header_bytes(mut self, max_header_bytes: usize) -> Self {
        self.max_header_bytes = max_header_bytes;
        self
    }
}

impl Default for HeaderLimits {
    fn default() -> Self {
        HeaderLimits::DEFAULT
    }
}

/// Why a header section could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// More fields than [`HeaderLimits::max_fields`].
    #[error("header section has more than {limit} fields")]
    TooManyFields {
        /// The limit in force.
        limit: usize,
    },
    /// A physical line longer than [`HeaderLimits::max_line_length`].
    #[error("header line at byte {offset} is longer than {limit} bytes")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
        /// Byte offset of the start of the line in the input.
        offset: usize,
    },
    /// A header section larger than [`HeaderLimits::max_header_bytes`].
    #[error("header section is larger than {limit} bytes")]
    SectionTooLarge {
        /// The limit in force.
        limit: usize,
    },
}

/// How the header section ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeaderTerminator {
    /// An empty line (CRLF, or a bare LF) ended it; the body follows it.
    EmptyLine,
    /// The input ended inside the header section: a message with no body.
    EndOfInput,
    /// A line that is neither a field nor a continuation started the body
    /// (a missing empty line, tolerated like common clients do).
    NonFieldLine,
}

/// One header field: name, raw value and position in the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderField<'a> {
    name: &'a str,
    raw_value: &'a [u8],
    range: Range<usize>,
}

impl<'a> HeaderField<'a> {
    /// The field name as written (case preserved, obsolete whitespace
    /// before the colon excluded). Always printable US-ASCII.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// Whether the field name equals `name`, ignoring ASCII case.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// The value exactly as in the input: every byte after the colon up to,
    /// not including, the line ending that ends the field. Folding line
    /// breaks and the usual leading space are kept.
    pub fn raw_value(&self) -> &'a [u8] {
        self.raw_value
    }

    /// The value unfolded (RFC 5322 §2.2.3: line breaks followed by
    /// whitespace removed) and trimmed of leading and trailing whitespace.
    /// Borrowed unless the value was folded.
    pub fn unfolded_value(&self) -> Cow<'a, [u8]> {
        unfold(self.raw_value)
    }

    /// Byte range of the whole field in the input, from the first byte of
    /// its name through the line ending of its last line (if any).
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }
}

/// Unfolds a raw field value: removes CR and LF line breaks that fold it
/// and trims leading and trailing whitespace. Borrowed unless the trimmed
/// value contains a line break.
pub fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    remove_line_breaks(trim_ws(raw))
}

/// Removes the line breaks (CRLF or bare LF) of folded text, keeping the
/// whitespace that follows them (RFC 5322 §2.2.3). A CR not followed by LF
/// is content. Borrowed when there is no line break.
pub(crate) fn remove_line_breaks(text: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\n', text).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'\r' if text.get(i + 1) == Some(&b'\n') => i += 2,
            b'\n' => i += 1,
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// Trims spaces, tabs, CR and LF at both ends.
pub(crate) fn trim_ws(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !super::lex::is_ws(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !super::lex::is_ws(b))
        .map_or(start, |p| p + 1);
    bytes.get(start..end).unwrap_or_default()
}

/// A parsed header section: the fields in input order and where the body
/// starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSection<'a> {
    input: &'a [u8],
    fields: Vec<HeaderField<'a>>,
    mbox_from: Option<Range<usize>>,
    header_end: usize,
    body_offset: usize,
    terminator: HeaderTerminator,
    bare_lf: bool,
}

/// Result of scanning for one line.
struct LineSpan {
    /// Offset just past the line content (before CR LF / LF).
    content_end: usize,
    /// Offset just past the line ending (or the input end).
    next: usize,
    /// Whether the line had a line ending at all.
    terminated: bool,
    bare_lf: bool,
}

fn find_line(input: &[u8], start: usize) -> LineSpan {
    let rest = input.get(start..).unwrap_or_default();
    match memchr::memchr(b'\n', rest) {
        Some(lf) => {
            let lf_at = start + lf;
            let cr = lf_at > start && input.get(lf_at - 1) == Some(&b'\r');
            LineSpan {
                content_end: if cr { lf_at - 1 } else { lf_at },
                next: lf_at + 1,
                terminated: true,
                bare_lf: !cr,
            }
        }
        None => {
            // A trailing CR at the very end of input is a truncated CRLF.
            let end = input.len();
            let cr = end > start && input.get(end - 1) == Some(&b'\r');
            LineSpan {
                content_end: if cr { end - 1 } else { end },
                next: end,
                terminated: false,
                bare_lf: false,
            }
        }
    }
}

/// Gives each field its name as text. The whole section is checked as UTF-8
/// once and each name sliced from it (a name is printable ASCII, but a
/// `&str` needs a check, and one check per short name costs far more than
/// one for the section); a section that is not UTF-8 (8-bit values) has its
/// names checked one by one.
fn name_fields<'a>(input: &'a [u8], header_end: usize, fields: &mut [HeaderField<'a>]) {
    let text = input
        .get(..header_end)
        .and_then(|section| std::str::from_utf8(section).ok());
    for field in fields {
        let start = field.range.start;
        // The name ends at the colon before the value, less obsolete blanks.
        let value_start = (field.raw_value.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
        let mut end = value_start.wrapping_sub(1);
        if input.get(end) != Some(&b':') || end < start {
            // Not where the value says: find the name again.
            let line = input.get(start..).unwrap_or_default();
            end = start + field_name(line).map_or(0, |(name_len, _)| name_len);
        }
        while end > start && matches!(input.get(end - 1), Some(b' ' | b'\t')) {
            end -= 1;
        }
        field.name = text
            .and_then(|text| text.get(start..end))
            .or_else(|| {
                input
                    .get(start..end)
                    .and_then(|name| std::str::from_utf8(name).ok())
            })
            .unwrap_or_default();
    }
}

/// Whether all eight bytes of `word` may be in a field name: printable
/// ASCII (33 to 126) other than the colon. Bit tricks on the whole word
/// (each test is exact as a whole: some byte is below 33, above 126, or a
/// colon).
fn all_name_bytes(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_33 = word.wrapping_sub(ONES * 33) & !word & HIGH;
    let above_126 = (word.wrapping_add(ONES) | word) & HIGH;
    let colons = word ^ (ONES * u64::from(b':'));
    let colon = colons.wrapping_sub(ONES) & !colons & HIGH;
    below_33 | above_126 | colon == 0
}

/// Where a field's name ends and its value starts, if `line` is a field.
fn field_name(line: &[u8]) -> Option<(usize, usize)> {
    // Eight bytes at a time while all are name bytes, then one at a time.
    let mut whole_words = 0;
    while let Some(word) = line
        .get(whole_words..)
        .and_then(|rest| rest.first_chunk::<8>())
    {
        if !all_name_bytes(u64::from_le_bytes(*word)) {
            break;
        }
        whole_words += 8;
    }
    let rest = line.get(whole_words..).unwrap_or_default();
    let name_len = whole_words
        + rest
            .iter()
            .position(|&b| !(33..=126).contains(&b) || b == b':')
            .unwrap_or(rest.len());
    if name_len == 0 {
        return None;
    }
    let mut colon = name_len;
    while matches!(line.get(colon), Some(b' ' | b'\t')) {
        colon += 1;
    }
    if line.get(colon) == Some(&b':') {
        Some((name_len, colon + 1))
    } else {
        None
    }
}

impl<'a> HeaderSection<'a> {
    /// Parses the header section at the start of `input`, which holds a
    /// whole message (or at least a whole header section). The end of the
    /// input ends the section if no empty line came first.
    pub fn parse(input: &'a [u8], limits: &HeaderLimits) -> Result<Self, HeaderError> {
        match Self::scan(input, limits, true)? {
            Some(section) => Ok(section),
            // `at_eof` makes scan always finish; keep a sane fallback.
            None => Ok(HeaderSection {
                input,
                fields: Vec::new(),
                mbox_from: None,
                header_end: input.len(),
                body_offset: input.len(),
                terminator: HeaderTerminator::EndOfInput,
                bare_lf: false,
            }),
        }
    }

    /// Parses a header section from input that may still be incomplete
    /// (for streaming). Returns `Ok(None)` when more input is needed to
    /// find where the section ends. Limits are enforced on what is already
    /// there, so a caller that buffers until `Some` keeps its buffer
    /// bounded by [`HeaderLimits::max_header_bytes`] (plus one line).
    pub fn parse_partial(
        input: &'a [u8],
        limits: &HeaderLimits,
    ) -> Result<Option<Self>, HeaderError> {
        Self::scan(input, limits, false)
    }

    fn scan(
        input: &'a [u8],
        limits: &HeaderLimits,
        at_eof: bool,
    ) -> Result<Option<Self>, HeaderError> {
        let mut section = Self::scan_fields(input, limits, at_eof)?;
        if let Some(section) = section.as_mut() {
            name_fields(input, section.header_end, &mut section.fields);
        }
        Ok(section)
    }

    /// Splits the fields; their names are left empty for [`name_fields`].
    fn scan_fields(
        input: &'a [u8],
        limits: &HeaderLimits,
        at_eof: bool,
    ) -> Result<Option<Self>, HeaderError> {
        // Sized for a typical top-level header, so it rarely grows.
        let mut fields: Vec<HeaderField<'a>> = Vec::with_capacity(16);
        let mut bare_lf = false;
        let mut pos = 0usize;
        let mut mbox_from = None;
        // The field being collected: (start, value_start, content_end).
        let mut current: Option<(usize, usize, usize)> = None;

        let finish = |fields: &mut Vec<HeaderField<'a>>,
                      current: &mut Option<(usize, usize, usize)>,
                      end: usize| {
            if let Some((start, value_start, content_end)) = current.take() {
                fields.push(HeaderField {
                    // Named once the section is complete (see `name_fields`).
                    name: "",
                    raw_value: input.get(value_start..content_end).unwrap_or_default(),
                    range: start..end,
                });
            }
        };

        // An mbox separator, unless the line is an obsolete `From :` field.
        let first_line = find_line(input, 0);
        let is_field =
            field_name(input.get(..first_line.content_end).unwrap_or_default()).is_some();
        if input.starts_with(b"From ") && !is_field {
            let line = first_line;
            if !line.terminated && !at_eof {
                return check_partial_line(input, 0, limits).map(|()| None);
            }
            check_line(0, line.content_end, limits)?;
            check_total(line.next, limits)?;
            bare_lf |= line.bare_lf;
            mbox_from = Some(0..line.next);
            pos = line.next;
        }

        loop {
            if pos >= input.len() {
                if !at_eof {
                    check_total(pos, limits)?;
                    return Ok(None);
                }
                finish(&mut fields, &mut current, pos);
                return Ok(Some(HeaderSection {
                    input,
                    fields,
                    mbox_from,
                    header_end: pos,
                    body_offset: pos,
                    terminator: HeaderTerminator::EndOfInput,
                    bare_lf,
                }));
            }
            let line = find_line(input, pos);
            if !line.terminated && !at_eof {
                check_partial_line(input, pos, limits)?;
                check_total(input.len(), limits)?;
                return Ok(None);
            }
            check_line(pos, line.content_end, limits)?;
            let content = input.get(pos..line.content_end).unwrap_or_default();

            if content.is_empty() {
                if line.terminated {
                    check_total(line.next, limits)?;
                    finish(&mut fields, &mut current, pos);
                    return Ok(Some(HeaderSection {
                        input,
                        fields,
                        mbox_from,
                        header_end: pos,
                        body_offset: line.next,
                        terminator: HeaderTerminator::EmptyLine,
                        bare_lf: bare_lf || line.bare_lf,
                    }));
                }
                // A lone CR at the end of input: a truncated empty line.
                check_total(line.next, limits)?;
                finish(&mut fields, &mut current, pos);
                return Ok(Some(HeaderSection {
                    input,
                    fields,
                    mbox_from,
                    header_end: pos,
                    body_offset: line.next,
                    terminator: HeaderTerminator::EndOfInput,
                    bare_lf,
                }));
            }

            let is_continuation = matches!(content.first(), Some(b' ' | b'\t'));
            if is_continuation {
                if let Some(field) = current.as_mut() {
                    check_total(line.next, limits)?;
                    field.2 = line.content_end;
                    bare_lf |= line.bare_lf;
                    pos = line.next;
                    continue;
                }
            }
            let name = if is_continuation {
                None
            } else {
                field_name(content)
            };
            match name {
                Some((_, value_offset)) => {
                    check_total(line.next, limits)?;
                    finish(&mut fields, &mut current, pos);
                    if fields.len() >= limits.max_fields {
                        return Err(HeaderError::TooManyFields {
                            limit: limits.max_fields,
                        });
                    }
                    current = Some((pos, pos + value_offset, line.content_end));
                    bare_lf |= line.bare_lf;
                    pos = line.next;
                }
                None => {
                    finish(&mut fields, &mut current, pos);
                    return Ok(Some(HeaderSection {
                        input,
                        fields,
                        mbox_from,
                        header_end: pos,
                        body_offset: pos,
                        terminator: HeaderTerminator::NonFieldLine,
                        bare_lf,
                    }));
                }
            }
        }
    }

    /// The input this section was parsed from.
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// The fields, in input order.
    pub fn fields(&self) -> &[HeaderField<'a>] {
        &self.fields
    }

    /// Iterates over the fields in input order.
    pub fn iter(&self) -> std::slice::Iter<'_, HeaderField<'a>> {
        self.fields.iter()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there is no field at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The first field named `name` (ASCII case-insensitive).
    pub fn get(&self, name: &str) -> Option<&HeaderField<'a>> {
        self.fields.iter().find(|f| f.is(name))
    }

    /// The raw value of the first field named `name`.
    pub fn get_raw(&self, name: &str) -> Option<&'a [u8]> {
        self.get(name).map(HeaderField::raw_value)
    }

    /// Every field named `name` (ASCII case-insensitive), in input order.
    pub fn get_all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s HeaderField<'a>> + 's {
        self.fields.iter().filter(move |f| f.is(name))
    }

    /// The last field named `name`; some fields (for example `Content-Type`
    /// when duplicated) are read from the last occurrence by some clients.
    pub fn get_last(&self, name: &str) -> Option<&HeaderField<'a>> {
        self.fields.iter().rev().find(|f| f.is(name))
    }

    /// Byte range of the mbox `From ` line skipped at the start, if any.
    pub fn mbox_from(&self) -> Option<Range<usize>> {
        self.mbox_from.clone()
    }

    /// Offset just past the last field (where the empty line, if any,
    /// starts).
    pub fn header_end(&self) -> usize {
        self.header_end
    }

    /// Offset of the first body byte in the input (equal to the input
    /// length for a message without body).
    pub fn body_offset(&self) -> usize {
        self.body_offset
    }

    /// The body: every byte from [`Self::body_offset`] on.
    pub fn body(&self) -> &'a [u8] {
        self.input.get(self.body_offset..).unwrap_or_default()
    }

    /// How the header section ended.
    pub fn terminator(&self) -> HeaderTerminator {
        self.terminator
    }

    /// Whether a bare LF (without CR) ended any line of the section.
    pub fn has_bare_lf(&self) -> bool {
        self.bare_lf
    }
}

impl<'s, 'a> IntoIterator for &'s HeaderSection<'a> {
    type Item = &'s HeaderField<'a>;
    type IntoIter = std::slice::Iter<'s, HeaderField<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.fields.iter()
    }
}

fn check_line(start: usize, content_end: usize, limits: &HeaderLimits) -> Result<(), HeaderError> {
    if content_end.saturating_sub(start) > limits.max_line_length {
        Err(HeaderError::LineTooLong {
            limit: limits.max_line_length,
            offset: start,
        })
    } else {
        Ok(())
    }
}

/// An unterminated last line in streaming mode: fail as soon as it is
/// already too long, so the caller stops buffering.
fn check_partial_line(
    input: &[u8],
    start: usize,
    limits: &HeaderLimits,
) -> Result<(), HeaderError> {
    // A trailing CR may be the start of the CRLF, not content.
    let mut end = input.len();
    if end > start && input.get(end - 1) == Some(&b'\r') {
        end -= 1;
    }
    check_line(start, end, limits)
}

fn check_total(end: usize, limits: &HeaderLimits) -> Result<(), HeaderError> {
    if end > limits.max_header_bytes {
        Err(HeaderError::SectionTooLarge {
            limit: limits.max_header_bytes,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> HeaderSection<'_> {
        HeaderSection::parse(input, &HeaderLimits::default()).unwrap()
    }

    #[test]
    fn splits_fields_and_body() {
        let msg = b"From: a@b\r\nSubject: hi\r\n there\r\n\r\nbody";
        let s = parse(msg);
        assert_eq!(s.len(), 2);
        assert_eq!(s.fields()[0].name(), "From");
        assert_eq!(s.fields()[0].raw_value(), b" a@b");
        assert_eq!(s.fields()[0].range(), 0..11);
        assert_eq!(s.fields()[1].raw_value(), b" hi\r\n there");
        assert_eq!(s.fields()[1].unfolded_value().as_ref(), b"hi there");
        assert_eq!(s.body(), b"body");
        assert_eq!(s.terminator(), HeaderTerminator::EmptyLine);
        assert_eq!(s.header_end(), 32);
        assert!(!s.has_bare_lf());
    }

    #[test]
    fn bare_lf_and_obs_colon() {
        let s = parse(b"Subject  : x\nTo: y\n\nb");
        assert_eq!(s.get("subject").unwrap().raw_value(), b" x");
        assert_eq!(s.get("SUBJECT").unwrap().name(), "Subject");
        assert!(s.has_bare_lf());
        assert_eq!(s.body(), b"b");
    }

    #[test]
    fn no_body_and_non_field_line() {
        let s = parse(b"A: 1\r\nB: 2");
        assert_eq!(s.terminator(), HeaderTerminator::EndOfInput);
        assert_eq!(s.fields()[1].raw_value(), b" 2");
        let s = parse(b"A: 1\r\nnot a field\r\nmore");
        assert_eq!(s.terminator(), HeaderTerminator::NonFieldLine);
        assert_eq!(s.body(), b"not a field\r\nmore");
    }

    #[test]
    fn partial_needs_more_until_empty_line() {
        let l = HeaderLimits::default();
        assert!(HeaderSection::parse_partial(b"A: 1\r\nB:", &l)
            .unwrap()
            .is_none());
        assert!(HeaderSection::parse_partial(b"A: 1\r\n\r", &l)
            .unwrap()
            .is_none());
        let s = HeaderSection::parse_partial(b"A: 1\r\n\r\nx", &l)
            .unwrap()
            .unwrap();
        assert_eq!(s.body_offset(), 8);
    }

    #[test]
    fn mbox_from_line_is_skipped() {
        let s = parse(b"From someone Mon Jan 1 00:00:00 2001\nA: b\n\n");
        assert_eq!(s.mbox_from(), Some(0..37));
        assert_eq!(s.fields()[0].name(), "A");
        let s = parse(b"From  : a@b\r\n\r\n");
        assert_eq!(s.mbox_from(), None);
        assert_eq!(s.fields()[0].name(), "From");
    }

    /// Names are sliced from the section checked once as UTF-8, or checked one
    /// by one when an 8-bit value makes the section invalid UTF-8; obsolete
    /// blanks before the colon and empty values do not change them.
    #[test]
    fn field_names_whatever_the_values_hold() {
        for input in [
            &b"Subject: caf\xC3\xA9\r\nX-A :\r\nTo:\tb\r\n\r\nbody"[..],
            b"Subject: caf\xE9\r\nX-A :\r\nTo:\tb\r\n\r\nbody",
            b"Subject: x\r\nX-A \t: v\r\n folded\r\nTo:b",
            b"Subject:\nX-A:\xFF\xFE\nTo:",
        ] {
            let section = parse(input);
            let names: Vec<&str> = section.fields().iter().map(HeaderField::name).collect();
            assert_eq!(
                names,
                ["Subject", "X-A", "To"],
                "{:?}",
                String::from_utf8_lossy(input)
            );
            for field in section.fields() {
                assert_eq!(
                    &input[field.range().start..][..field.name().len()],
                    field.name().as_bytes()
                );
            }
        }
    }

    /// The word test agrees with the byte test on every byte value in every
    /// position, alone and with neighbours.
    #[test]
    fn name_bytes_eight_at_a_time() {
        let byte_ok = |b: u8| (33..=126).contains(&b) && b != b':';
        for value in 0..=255u8 {
            for position in 0..8 {
                for filler in [b'a', b'-', b'~', b'!'] {
                    let mut word = [filler; 8];
                    word[position] = value;
                    assert_eq!(
                        all_name_bytes(u64::from_le_bytes(word)),
                        byte_ok(value),
                        "{value} at {position}"
                    );
                }
            }
        }
        assert_eq!(field_name(b"Content-Transfer-Encoding: x"), Some((25, 26)));
        assert_eq!(field_name(b"X-Long-Name-Here-12345 : x"), Some((22, 24)));
        assert_eq!(field_name(b"Subject\xC3: x"), None);
        assert_eq!(field_name(b"ABCDEFGH"), None);
        assert_eq!(field_name(b"ABCDEFGH:"), Some((8, 9)));
    }
}
