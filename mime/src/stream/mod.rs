//! The streaming push parser: feed a message chunk by chunk, receive events.
//!
//! [`StreamParser`] reads the same structure as [`Message::parse`](crate::tree::Message)
//! (same part paths, content types and decoded payloads) from input that arrives in
//! pieces, for example as it comes out of SMTP DATA, without ever holding the whole
//! message. What it buffers is bounded by the [`Limits`], not by the message size:
//! - one header section at a time (at most twice [`HeaderLimits::max_header_bytes`]
//!   plus a line, because the end of a header section is looked for when the
//!   buffered bytes have doubled or when an empty line arrives);
//! - in a body, only the line break and the start of a line that may still turn out
//!   to be a boundary delimiter (the boundary, `--` twice and at most
//!   [`Limits::max_transport_padding`] blanks);
//! - the decoder state of the current leaf (a base64 quantum, or quoted-printable
//!   blanks up to [`MAX_PENDING_WHITESPACE`](crate::transfer::quoted_printable::MAX_PENDING_WHITESPACE)).
//!
//! Each [`feed`](StreamParser::feed) also holds the chunk it was given while it
//! works through it, and the events it queues until they are polled.
//!
//! # Events
//! For every entity, in document order: [`Event::PartStart`] (once its header is
//! read, so it can carry the content type), one [`Event::HeaderField`] per field,
//! [`Event::HeaderEnd`], then for a leaf its decoded body as [`Event::BodyChunk`]s,
//! for a multipart the events of its parts, for a message/rfc822 part the events of
//! the encapsulated message; then [`Event::PartEnd`]. [`Event::End`] comes last,
//! after [`finish`](StreamParser::finish).
//!
//! Feeding a message whole or split anywhere gives the same events, except that the
//! body of a leaf may come in a different number of chunks: concatenated, the chunks
//! are the same bytes.
//!
//! [`HeaderLimits::max_header_bytes`]: crate::header::HeaderLimits::max_header_bytes

use std::collections::VecDeque;

use crate::error::{ParseError, StreamError};
use crate::header::{
    ContentDisposition, ContentTransferEncoding, ContentType, HeaderError, HeaderSection,
};
use crate::limits::Limits;
use crate::transfer::TransferDecoder;
use crate::tree::boundary::{line_break_start, match_delimiter, LineMatch};
use crate::tree::entity::{admit_entity, entity_fields, EntityFields, PathRule, Shape};
use crate::tree::PartPath;

/// What an entity's body holds, as announced by [`Event::PartStart`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PartShape {
    /// An opaque body: [`Event::BodyChunk`]s follow.
    Leaf,
    /// A multipart: the events of its parts follow.
    Multipart,
    /// An encapsulated message: the events of that message follow.
    Message,
}

/// What [`Event::PartStart`] says about an entity (the same facts as a
/// [`Part`](crate::tree::Part) of the tree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartStart {
    /// The IMAP part number (see [`PartPath`]).
    pub path: PartPath,
    /// Nesting depth: 0 for the message itself.
    pub depth: usize,
    /// The content type (given, or the default).
    pub content_type: ContentType<'static>,
    /// Whether the content type came from a Content-Type field that parsed.
    pub has_content_type_field: bool,
    /// The Content-Disposition, if present and parsable.
    pub disposition: Option<ContentDisposition<'static>>,
    /// The Content-Transfer-Encoding (7bit when absent).
    pub transfer_encoding: ContentTransferEncoding<'static>,
    /// What the body holds.
    pub shape: PartShape,
}

impl PartStart {
    /// The file name: Content-Disposition's `filename`, else Content-Type's `name`.
    pub fn filename(&self) -> Option<std::borrow::Cow<'_, str>> {
        crate::header::filename(
            self.disposition.as_ref(),
            self.has_content_type_field.then_some(&self.content_type),
        )
    }
}

/// One event of the streaming parser.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An entity begins; its header has been read.
    PartStart(Box<PartStart>),
    /// A field of the header of the entity just started, as in the input.
    HeaderField {
        /// The field name as written.
        name: String,
        /// The raw value (still folded), as [`HeaderField::raw_value`](crate::header::HeaderField::raw_value).
        value: Vec<u8>,
    },
    /// The header fields of the entity just started are done.
    HeaderEnd,
    /// A piece of the body of the current leaf, transfer-decoded.
    BodyChunk(Vec<u8>),
    /// The entity with this path ends.
    PartEnd {
        /// Its IMAP part number.
        path: PartPath,
    },
    /// The message ends; no more events follow.
    End,
}

/// An entity whose header has been read and whose body is not over.
#[derive(Debug)]
struct OpenEntity {
    path: PartPath,
    depth: usize,
    kind: OpenKind,
}

#[derive(Debug)]
enum OpenKind {
    Leaf(TransferDecoder),
    Multipart {
        boundary: Vec<u8>,
        parts: u32,
        digest: bool,
        closed: bool,
    },
    Message,
}

/// An entity whose header is still being read; the unconsumed input starts with it.
#[derive(Debug)]
struct PendingHeader {
    depth: usize,
    rule: PathRule,
    in_digest: bool,
    admitted: bool,
    /// Where the delimiter scan resumes.
    scanned: usize,
    /// How many complete bytes the last look for the end of the header covered.
    checked: usize,
}

impl PendingHeader {
    fn new(depth: usize, rule: PathRule, in_digest: bool) -> Self {
        PendingHeader {
            depth,
            rule,
            in_digest,
            admitted: false,
            scanned: 0,
            checked: 0,
        }
    }
}

/// Where the next delimiter line is, as far as the buffered input tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// A delimiter line of the open multipart at `index`, starting at `line`.
    Delimiter {
        index: usize,
        close: bool,
        line: usize,
        length: usize,
    },
    /// Everything before `end` is content; what follows may start a delimiter.
    Content { end: usize },
}

/// The push parser. See the [module documentation](self).
#[derive(Debug)]
pub struct StreamParser {
    limits: Limits,
    buf: Vec<u8>,
    /// Start of the unconsumed input in `buf`.
    pos: usize,
    /// Whether the unconsumed input starts at the beginning of a line.
    line_start: bool,
    open: Vec<OpenEntity>,
    pending: Option<PendingHeader>,
    events: VecDeque<Event>,
    count: usize,
    error: Option<ParseError>,
    finished: bool,
}

impl Default for StreamParser {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamParser {
    /// A parser with the default [`Limits`].
    pub fn new() -> Self {
        Self::with_limits(Limits::DEFAULT)
    }

    /// A parser with explicit limits.
    pub fn with_limits(limits: Limits) -> Self {
        StreamParser {
            limits,
            buf: Vec::new(),
            pos: 0,
            line_start: true,
            open: Vec::new(),
            pending: Some(PendingHeader::new(
                0,
                PathRule::MessageRoot(PartPath::root()),
                false,
            )),
            events: VecDeque::new(),
            count: 0,
            error: None,
            finished: false,
        }
    }

    /// Feeds the next chunk of the message. Events become available through
    /// [`poll_event`](Self::poll_event). After an error the parser stays failed.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), StreamError> {
        self.check_usable()?;
        self.compact();
        self.buf.extend_from_slice(chunk);
        self.run(false)
    }

    /// Ends the message: what is still buffered is read as the end of the input,
    /// every open entity ends, and [`Event::End`] is queued.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        self.check_usable()?;
        self.run(true)?;
        self.finished = true;
        close_entities(&mut self.open, &mut self.events, 0);
        self.events.push_back(Event::End);
        self.buf = Vec::new();
        self.pos = 0;
        Ok(())
    }

    /// The next event, if any.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// How many input bytes are buffered, waiting for more input to be decided.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Whether [`finish`](Self::finish) was called successfully.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn check_usable(&self) -> Result<(), StreamError> {
        if let Some(error) = &self.error {
            return Err(StreamError::Parse(error.clone()));
        }
        if self.finished {
            return Err(StreamError::Finished);
        }
        Ok(())
    }

    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    fn run(&mut self, at_end: bool) -> Result<(), StreamError> {
        let result = self.run_inner(at_end);
        if let Err(error) = &result {
            self.error = Some(error.clone());
            // A failed parser reads nothing more: let go of the input it held.
            self.buf = Vec::new();
            self.pos = 0;
        }
        result.map_err(StreamError::Parse)
    }

    fn run_inner(&mut self, at_end: bool) -> Result<(), ParseError> {
        loop {
            let progressed = if self.pending.is_some() {
                self.step_header(at_end)?
            } else if self.open.is_empty() {
                // Nothing is open: the root ended (only at the end of input).
                self.pos = self.buf.len();
                false
            } else {
                self.step_content(at_end)?
            };
            if !progressed {
                return Ok(());
            }
        }
    }

    fn consume(&mut self, length: usize) {
        let data = self.buf.get(self.pos..).unwrap_or_default();
        let length = length.min(data.len());
        if length > 0 {
            self.line_start = data.get(length - 1) == Some(&b'\n');
        }
        self.pos += length;
    }

    /// Reads body, preamble or epilogue bytes up to the next delimiter line.
    fn step_content(&mut self, at_end: bool) -> Result<bool, ParseError> {
        let data = self.buf.get(self.pos..).unwrap_or_default();
        let scan = scan_delimiters(
            data,
            0,
            self.line_start,
            &self.open,
            self.limits.max_transport_padding,
            at_end,
        );
        match scan {
            Scan::Content { end } => {
                emit_content(
                    &mut self.open,
                    &mut self.events,
                    data.get(..end).unwrap_or_default(),
                );
                self.consume(end);
                Ok(false)
            }
            Scan::Delimiter {
                index,
                close,
                line,
                length,
            } => {
                let content_end = content_end_before(data, line);
                emit_content(
                    &mut self.open,
                    &mut self.events,
                    data.get(..content_end).unwrap_or_default(),
                );
                self.consume(line + length);
                self.line_start = true;
                self.delimiter(index, close);
                Ok(true)
            }
        }
    }

    /// Acts on a delimiter line of the multipart at `index`.
    fn delimiter(&mut self, index: usize, close: bool) {
        close_entities(&mut self.open, &mut self.events, index + 1);
        let Some(OpenEntity {
            path,
            depth,
            kind:
                OpenKind::Multipart {
                    parts,
                    digest,
                    closed,
                    ..
                },
        }) = self.open.get_mut(index)
        else {
            return;
        };
        if close {
            *closed = true;
        } else {
            *parts = parts.saturating_add(1);
            self.pending = Some(PendingHeader::new(
                *depth + 1,
                PathRule::Numbered(path.child(*parts)),
                *digest,
            ));
        }
    }

    /// Reads the header of the pending entity; true once it is read.
    fn step_header(&mut self, at_end: bool) -> Result<bool, ParseError> {
        let Some(pending) = self.pending.as_mut() else {
            return Ok(false);
        };
        if !pending.admitted {
            admit_entity(self.count, pending.depth, &self.limits)?;
            self.count += 1;
            pending.admitted = true;
        }
        let data = self.buf.get(self.pos..).unwrap_or_default();
        let header_limits = &self.limits.header;
        let tentative = pending.rule.tentative().clone();
        let part_name = || tentative.to_string();
        let header_error = |source: HeaderError| ParseError::Header {
            part: part_name(),
            source,
        };
        let scan = scan_delimiters(
            data,
            pending.scanned.min(data.len()),
            self.line_start,
            &self.open,
            self.limits.max_transport_padding,
            at_end,
        );
        let section = match scan {
            // The entity ends before its header did: the header is all of it.
            Scan::Delimiter { line, .. } => {
                let content = data
                    .get(..content_end_before(data, line))
                    .unwrap_or_default();
                HeaderSection::parse(content, header_limits).map_err(header_error)?
            }
            Scan::Content { end } if at_end => {
                let content = data.get(..end).unwrap_or_default();
                HeaderSection::parse(content, header_limits).map_err(header_error)?
            }
            Scan::Content { end } => {
                pending.scanned = end;
                let decided = data.get(..end).unwrap_or_default();
                let complete = decided
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |lf| lf + 1);
                let partial = decided.get(complete..).unwrap_or_default();
                let partial_length = partial.len() - usize::from(partial.last() == Some(&b'\r'));
                let too_long = partial_length > header_limits.max_line_length;
                let grown = complete > pending.checked
                    && (complete >= pending.checked.saturating_mul(2)
                        || has_empty_line(
                            decided.get(..complete).unwrap_or_default(),
                            pending.checked,
                        ));
                if !grown && !too_long {
                    return Ok(false);
                }
                pending.checked = complete;
                let complete_lines = decided.get(..complete).unwrap_or_default();
                match HeaderSection::parse_partial(complete_lines, header_limits)
                    .map_err(header_error)?
                {
                    Some(section) => section,
                    None if too_long => {
                        return Err(header_error(HeaderError::LineTooLong {
                            limit: header_limits.max_line_length,
                            offset: complete,
                        }))
                    }
                    None => return Ok(false),
                }
            }
        };
        let (fields, shape) = entity_fields(&section, pending.in_digest, &self.limits, part_name)?;
        let header_fields: Vec<(String, Vec<u8>)> = section
            .fields()
            .iter()
            .map(|field| (field.name().to_owned(), field.raw_value().to_vec()))
            .collect();
        let body_offset = section.body_offset();
        let fields = fields.into_owned();
        let Some(pending) = self.pending.take() else {
            return Ok(false);
        };
        self.start_entity(pending, fields, shape, header_fields)?;
        self.consume(body_offset);
        Ok(true)
    }

    fn start_entity(
        &mut self,
        pending: PendingHeader,
        fields: EntityFields<'static>,
        shape: Shape,
        header_fields: Vec<(String, Vec<u8>)>,
    ) -> Result<(), ParseError> {
        let path = pending.rule.resolve(&shape);
        let (kind, shape) = match shape {
            Shape::Leaf => (
                OpenKind::Leaf(TransferDecoder::new(&fields.encoding)),
                PartShape::Leaf,
            ),
            Shape::Multipart(boundary) => (
                OpenKind::Multipart {
                    boundary: boundary.into_bytes(),
                    parts: 0,
                    digest: fields.content_type.is("multipart", "digest"),
                    closed: false,
                },
                PartShape::Multipart,
            ),
            Shape::Message => (OpenKind::Message, PartShape::Message),
        };
        if shape == PartShape::Message {
            self.pending = Some(PendingHeader::new(
                pending.depth + 1,
                PathRule::MessageRoot(path.clone()),
                false,
            ));
        }
        self.events.push_back(Event::PartStart(Box::new(PartStart {
            path: path.clone(),
            depth: pending.depth,
            content_type: fields.content_type,
            has_content_type_field: fields.has_content_type,
            disposition: fields.disposition,
            transfer_encoding: fields.encoding,
            shape,
        })));
        for (name, value) in header_fields {
            self.events.push_back(Event::HeaderField { name, value });
        }
        self.events.push_back(Event::HeaderEnd);
        self.open.push(OpenEntity {
            path,
            depth: pending.depth,
            kind,
        });
        Ok(())
    }
}

/// End of the content before the delimiter line at `line`: its line break belongs to
/// the delimiter.
fn content_end_before(data: &[u8], line: usize) -> usize {
    if line == 0 {
        0
    } else {
        line_break_start(data, 0, line)
    }
}

/// Whether `complete` (whole lines) holds an empty line that starts at or after
/// `from` (roughly: the search may look two bytes back).
fn has_empty_line(complete: &[u8], from: usize) -> bool {
    if from == 0 && (complete.starts_with(b"\n") || complete.starts_with(b"\r\n")) {
        return true;
    }
    let window = complete.get(from.saturating_sub(2)..).unwrap_or_default();
    window.windows(2).any(|pair| pair == b"\n\n")
        || window.windows(3).any(|triple| triple == b"\n\r\n")
}

/// Sends content to the innermost open entity: decoded into a body chunk for a leaf,
/// dropped for a preamble or epilogue.
fn emit_content(open: &mut [OpenEntity], events: &mut VecDeque<Event>, content: &[u8]) {
    if content.is_empty() {
        return;
    }
    if let Some(OpenEntity {
        kind: OpenKind::Leaf(decoder),
        ..
    }) = open.last_mut()
    {
        let mut out = Vec::new();
        decoder.decode(content, &mut out);
        if !out.is_empty() {
            events.push_back(Event::BodyChunk(out));
        }
    }
}

/// Ends every open entity from `keep` up, innermost first.
fn close_entities(open: &mut Vec<OpenEntity>, events: &mut VecDeque<Event>, keep: usize) {
    while open.len() > keep {
        let Some(mut entity) = open.pop() else {
            return;
        };
        if let OpenKind::Leaf(decoder) = &mut entity.kind {
            let mut out = Vec::new();
            decoder.finish(&mut out);
            if !out.is_empty() {
                events.push_back(Event::BodyChunk(out));
            }
        }
        events.push_back(Event::PartEnd { path: entity.path });
    }
}

/// Looks for the first delimiter line of any open multipart (outermost first, as the
/// tree parser splits the outer multipart before the inner one) in `data`, from line
/// starts at or after `from`.
fn scan_delimiters(
    data: &[u8],
    from: usize,
    line_start: bool,
    open: &[OpenEntity],
    max_padding: usize,
    at_end: bool,
) -> Scan {
    let active: Vec<(usize, &[u8])> = open
        .iter()
        .enumerate()
        .filter_map(|(index, entity)| match &entity.kind {
            OpenKind::Multipart {
                boundary,
                closed: false,
                ..
            } => Some((index, boundary.as_slice())),
            _ => None,
        })
        .collect();
    if active.is_empty() {
        return Scan::Content { end: data.len() };
    }
    let mut candidate = if from == 0 {
        line_start.then_some(0)
    } else if data.get(from - 1) == Some(&b'\n') {
        Some(from)
    } else {
        None
    };
    let mut search = from;
    loop {
        let line = match candidate.take() {
            Some(line) => line,
            None => {
                let window = data.get(search..).unwrap_or_default();
                match memchr::memchr(b'\n', window) {
                    Some(lf) => search + lf + 1,
                    None => {
                        // A CR at the end may begin the CRLF before a delimiter.
                        let end = if !at_end && data.last() == Some(&b'\r') {
                            data.len() - 1
                        } else {
                            data.len()
                        };
                        return Scan::Content { end };
                    }
                }
            }
        };
        let rest = data.get(line..).unwrap_or_default();
        for &(index, boundary) in &active {
            match match_delimiter(rest, boundary, max_padding, at_end) {
                LineMatch::Delimiter { close, length } => {
                    return Scan::Delimiter {
                        index,
                        close,
                        line,
                        length,
                    }
                }
                LineMatch::NeedMore => {
                    return Scan::Content {
                        end: content_end_before(data, line),
                    }
                }
                LineMatch::No => {}
            }
        }
        search = line;
    }
}
