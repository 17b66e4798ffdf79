//! Lossless editing of a parsed message.
//!
//! An [`Editor`] holds a parsed [`Message`] (the tree parser's ranges) and a list of splices:
//! byte ranges of the original input and what replaces them. Serializing copies every byte
//! outside the splices as it is, so whatever was not edited comes out byte for byte, including
//! obsolete syntax, odd folding, bare-LF line ends, preambles and epilogues. With no edit the
//! output is the input.
//!
//! Edits: header fields added at the top (a `Received` field), at the end of a part's header,
//! replaced or removed; a part replaced by a newly built [`Part`], a leaf's body replaced by new
//! text or data (its Content-Transfer-Encoding and charset follow), a part removed from its
//! multipart (with its delimiter line), a part appended to a multipart.
//!
//! New bytes use the message's line ends: CRLF, or bare LF when the message's header uses bare
//! LF (a message stored on Unix). New content is checked against the boundaries of every
//! enclosing multipart, so an edit cannot cut the message in a different place; a new text body
//! that would collide is written in base64, which never starts a line with `-`. Two edits of
//! overlapping bytes are refused ([`EditError::Overlap`]).
//!
//! ```
//! use mailwire_mime::edit::Editor;
//! use mailwire_mime::encode::structured_field;
//! use mailwire_mime::tree::Message;
//!
//! let input = b"Subject: hi\r\nX-Old: 1\r\n\r\nbody\r\n";
//! let message = Message::parse(input).unwrap();
//! let mut editor = Editor::new(&message);
//! editor
//!     .prepend_field(structured_field("Received", "from a by b; Thu, 1 Feb 2024 10:00:00 +0000").unwrap())
//!     .unwrap();
//! editor.remove_field(message.root(), "X-Old").unwrap();
//! assert_eq!(
//!     editor.to_bytes(),
//!     b"Received: from a by b; Thu, 1 Feb 2024 10:00:00 +0000\r\nSubject: hi\r\n\r\nbody\r\n"
//! );
//! ```

use std::ops::Range;

use thiserror::Error;

use crate::build::part::{encode_part, encode_text_octets, Encoding};
use crate::build::{BuildError, Part, Randomness};
use crate::encode::base64_body::encode_base64_lines;
use crate::encode::field::{is_valid_field_name, write_with_parameters, ParameterStyle};
use crate::encode::fold::{FieldWriter, HARD_LINE_LIMIT};
use crate::tree::{Message, Part as TreePart};

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EditError {
    /// The part does not belong to the message this editor holds.
    #[error("part is not in this message")]
    ForeignPart,
    /// The edit touches bytes another edit already changed.
    #[error("edit overlaps an earlier edit")]
    Overlap,
    /// The field bytes are not one well-formed header field ending in CRLF.
    #[error("malformed header field")]
    MalformedField,
    /// The part is not a multipart with at least one part.
    #[error("part is not a multipart with parts")]
    NotMultipart,
    /// The part has no parent multipart (the message itself, or an encapsulated message).
    #[error("part is not inside a multipart")]
    NotInMultipart,
    /// Removing the only part would leave a multipart without parts (RFC 2046 §5.1.1).
    #[error("cannot remove the last part of a multipart")]
    LastPart,
    /// The whole message cannot be replaced as a part; edit its fields and body instead.
    #[error("the message itself cannot be replaced")]
    RootPart,
    /// The body to replace is a multipart or an encapsulated message, not a leaf.
    #[error("part is not a leaf")]
    NotLeaf,
    /// New content holds a line that is an enclosing multipart's boundary delimiter.
    #[error("new content collides with an enclosing boundary")]
    BoundaryCollision,
    /// Building the new part failed.
    #[error("building the new part failed: {0}")]
    Build(#[from] BuildError),
}

#[derive(Debug, Clone)]
struct Splice {
    range: Range<usize>,
    bytes: Vec<u8>,
}

/// Edits of one parsed message, serialized losslessly (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub struct Editor<'m, 'a> {
    message: &'m Message<'a>,
    splices: Vec<Splice>,
    bare_lf: bool,
}

fn splices_conflict(a: &Range<usize>, b: &Range<usize>) -> bool {
    if a.is_empty() && b.is_empty() {
        return false;
    }
    if a.is_empty() {
        return b.start < a.start && a.start < b.end;
    }
    if b.is_empty() {
        return a.start < b.start && b.start < a.end;
    }
    a.start < b.end && b.start < a.end
}

/// Splits at each CRLF.
fn split_crlf(bytes: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0usize;
    let mut index = 0usize;
    while index + 1 < bytes.len() {
        if bytes.get(index..index + 2) == Some(b"\r\n") {
            lines.push(bytes.get(start..index).unwrap_or_default());
            index += 2;
            start = index;
        } else {
            index += 1;
        }
    }
    lines.push(bytes.get(start..).unwrap_or_default());
    lines
}

/// Checks that `field` is exactly one header field: a name, `:`, lines of at most 998 octets
/// ended by CRLF, continuation lines starting with white space and not blank, no other CR or
/// LF.
fn check_field(field: &[u8]) -> Result<(), EditError> {
    let colon = field
        .iter()
        .position(|&b| b == b':')
        .ok_or(EditError::MalformedField)?;
    let name = std::str::from_utf8(field.get(..colon).unwrap_or_default())
        .map_err(|_| EditError::MalformedField)?;
    let body = field
        .strip_suffix(b"\r\n")
        .ok_or(EditError::MalformedField)?;
    if !is_valid_field_name(name) {
        return Err(EditError::MalformedField);
    }
    for (index, line) in split_crlf(body).into_iter().enumerate() {
        let continuation_ok = index == 0
            || (matches!(line.first(), Some(b' ' | b'\t'))
                && line.iter().any(|&b| b != b' ' && b != b'\t'));
        if line.len() > HARD_LINE_LIMIT
            || line.contains(&b'\r')
            || line.contains(&b'\n')
            || !continuation_ok
        {
            return Err(EditError::MalformedField);
        }
    }
    Ok(())
}

/// Lines of `bytes` that start with `--boundary` for one of `boundaries`.
fn collides(bytes: &[u8], boundaries: &[&str]) -> bool {
    bytes.split(|&b| b == b'\n').any(|line| {
        line.strip_prefix(b"--").is_some_and(|rest| {
            boundaries
                .iter()
                .any(|boundary| rest.starts_with(boundary.as_bytes()))
        })
    })
}

impl<'m, 'a> Editor<'m, 'a> {
    /// An editor with no edits yet.
    #[must_use]
    pub fn new(message: &'m Message<'a>) -> Self {
        Editor {
            message,
            splices: Vec::new(),
            bare_lf: message.header().has_bare_lf(),
        }
    }

    /// The message being edited.
    #[must_use]
    pub fn message(&self) -> &'m Message<'a> {
        self.message
    }

    fn push(&mut self, range: Range<usize>, bytes: Vec<u8>) -> Result<(), EditError> {
        if self
            .splices
            .iter()
            .any(|splice| splices_conflict(&splice.range, &range))
        {
            return Err(EditError::Overlap);
        }
        let bytes = if self.bare_lf {
            crlf_to_lf(&bytes)
        } else {
            bytes
        };
        self.splices.push(Splice { range, bytes });
        Ok(())
    }

    /// The chain from the root to `part` (inclusive), found by identity.
    fn ancestry(&self, part: &TreePart<'a>) -> Result<Vec<&'m TreePart<'a>>, EditError> {
        fn search<'t, 'a>(
            node: &'t TreePart<'a>,
            target: &TreePart<'a>,
            chain: &mut Vec<&'t TreePart<'a>>,
        ) -> bool {
            chain.push(node);
            if std::ptr::eq(node, target) {
                return true;
            }
            let found = node
                .children()
                .iter()
                .chain(node.message())
                .any(|child| search(child, target, chain));
            if !found {
                chain.pop();
            }
            found
        }
        let mut chain = Vec::new();
        if search(self.message.root(), part, &mut chain) {
            Ok(chain)
        } else {
            Err(EditError::ForeignPart)
        }
    }

    /// Boundaries of the multiparts enclosing the last element of `chain`.
    fn enclosing_boundaries<'t>(chain: &[&'t TreePart<'a>]) -> Vec<&'t str> {
        let count = chain.len().saturating_sub(1);
        chain
            .iter()
            .take(count)
            .filter_map(|ancestor| ancestor.multipart().map(|multipart| multipart.boundary()))
            .collect()
    }

    /// Inserts `field` (one complete field, e.g. from
    /// [`structured_field`](crate::encode::structured_field)) at the top of the message, after
    /// an mbox `From ` line if there is one: where a relay puts `Received`.
    ///
    /// # Errors
    /// [`EditError::MalformedField`], [`EditError::Overlap`].
    pub fn prepend_field(&mut self, field: Vec<u8>) -> Result<(), EditError> {
        check_field(&field)?;
        let root = self.message.root();
        let at = root.range().start
            + root
                .header()
                .mbox_from()
                .map_or(0, |mbox_from| mbox_from.end);
        self.push(at..at, field)
    }

    /// Appends `field` at the end of `part`'s header section.
    ///
    /// # Errors
    /// [`EditError::MalformedField`], [`EditError::ForeignPart`], [`EditError::Overlap`].
    pub fn add_field(&mut self, part: &TreePart<'a>, field: Vec<u8>) -> Result<(), EditError> {
        check_field(&field)?;
        self.ancestry(part)?;
        let at = part.range().start + part.header().header_end();
        let input = self.message.input();
        // A last field cut off by the end of the input gets its line end first.
        let mut bytes = Vec::with_capacity(field.len() + 2);
        if at > part.range().start && input.get(at - 1) != Some(&b'\n') {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(&field);
        self.push(at..at, bytes)
    }

    /// Replaces the first field of `part` with the same name as `field` by `field`, and
    /// removes the other fields of that name; adds it at the end when there is none.
    ///
    /// # Errors
    /// As [`Self::add_field`].
    pub fn set_field(&mut self, part: &TreePart<'a>, field: Vec<u8>) -> Result<(), EditError> {
        check_field(&field)?;
        self.ancestry(part)?;
        let colon = field.iter().position(|&b| b == b':').unwrap_or(0);
        let name = String::from_utf8_lossy(field.get(..colon).unwrap_or_default()).into_owned();
        let ranges: Vec<Range<usize>> = part
            .header()
            .get_all(&name)
            .map(|existing| part.field_range(existing))
            .collect();
        let Some(first) = ranges.first().cloned() else {
            return self.add_field(part, field);
        };
        let mut bytes = field;
        if self.message.input().get(first.end.saturating_sub(1)) != Some(&b'\n') {
            // The field replaced ended the input without a line end: keep it that way.
            bytes.truncate(bytes.len() - 2);
        }
        self.check_free(&ranges)?;
        self.push(first, bytes)?;
        for range in ranges.into_iter().skip(1) {
            self.push(range, Vec::new())?;
        }
        Ok(())
    }

    fn check_free(&self, ranges: &[Range<usize>]) -> Result<(), EditError> {
        let clash = ranges.iter().any(|range| {
            self.splices
                .iter()
                .any(|splice| splices_conflict(&splice.range, range))
        });
        if clash {
            Err(EditError::Overlap)
        } else {
            Ok(())
        }
    }

    /// Removes every field of `part` named `name` (ASCII case-insensitive); returns how many.
    ///
    /// # Errors
    /// [`EditError::ForeignPart`], [`EditError::Overlap`].
    pub fn remove_field(&mut self, part: &TreePart<'a>, name: &str) -> Result<usize, EditError> {
        self.ancestry(part)?;
        let ranges: Vec<Range<usize>> = part
            .header()
            .get_all(name)
            .map(|field| part.field_range(field))
            .collect();
        self.check_free(&ranges)?;
        for range in &ranges {
            self.push(range.clone(), Vec::new())?;
        }
        Ok(ranges.len())
    }

    /// Replaces a whole part (its header and body) by `new`, built with `random` for any
    /// boundary it needs.
    ///
    /// # Errors
    /// [`EditError::RootPart`] for the message itself, [`EditError::Build`],
    /// [`EditError::BoundaryCollision`], [`EditError::ForeignPart`], [`EditError::Overlap`].
    pub fn replace_part(
        &mut self,
        part: &TreePart<'a>,
        new: &Part,
        random: &mut dyn Randomness,
    ) -> Result<(), EditError> {
        if std::ptr::eq(part, self.message.root()) {
            return Err(EditError::RootPart);
        }
        let chain = self.ancestry(part)?;
        let mut bytes = Vec::new();
        encode_part(new, random, chain.len(), &mut bytes)?;
        if collides(&bytes, &Self::enclosing_boundaries(&chain)) {
            return Err(EditError::BoundaryCollision);
        }
        self.push(part.range(), bytes)
    }

    /// Appends `new` as the last part of `multipart`.
    ///
    /// # Errors
    /// [`EditError::NotMultipart`], [`EditError::Build`], [`EditError::BoundaryCollision`],
    /// [`EditError::ForeignPart`], [`EditError::Overlap`].
    pub fn append_part(
        &mut self,
        multipart: &TreePart<'a>,
        new: &Part,
        random: &mut dyn Randomness,
    ) -> Result<(), EditError> {
        let mut chain = self.ancestry(multipart)?;
        let last = multipart.children().last().ok_or(EditError::NotMultipart)?;
        let boundary = multipart
            .multipart()
            .map(|inner| inner.boundary())
            .ok_or(EditError::NotMultipart)?;
        let mut encoded = Vec::new();
        encode_part(new, random, chain.len(), &mut encoded)?;
        chain.push(last);
        if collides(&encoded, &Self::enclosing_boundaries(&chain)) {
            return Err(EditError::BoundaryCollision);
        }
        let mut bytes = Vec::with_capacity(encoded.len() + boundary.len() + 6);
        bytes.extend_from_slice(b"\r\n--");
        bytes.extend_from_slice(boundary.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        bytes.extend_from_slice(&encoded);
        let at = last.range().end;
        self.push(at..at, bytes)
    }

    /// Removes `part` from its multipart, with the delimiter line before it.
    ///
    /// # Errors
    /// [`EditError::NotInMultipart`], [`EditError::LastPart`], [`EditError::ForeignPart`],
    /// [`EditError::Overlap`].
    pub fn remove_part(&mut self, part: &TreePart<'a>) -> Result<(), EditError> {
        let chain = self.ancestry(part)?;
        let parent = chain
            .len()
            .checked_sub(2)
            .and_then(|index| chain.get(index))
            .ok_or(EditError::NotInMultipart)?;
        let multipart = parent.multipart().ok_or(EditError::NotInMultipart)?;
        let siblings = multipart.parts();
        let index = siblings
            .iter()
            .position(|sibling| std::ptr::eq(sibling, part))
            .ok_or(EditError::NotInMultipart)?;
        if siblings.len() == 1 {
            return Err(EditError::LastPart);
        }
        let input = self.message.input();
        let boundary = multipart.boundary();
        let previous_end = match index.checked_sub(1).and_then(|before| siblings.get(before)) {
            Some(previous) => previous.range().end,
            None => multipart.preamble().end,
        };
        // Cut from the `--` of this part's delimiter line to the `--` of the next delimiter
        // (or of the close delimiter): the line break before the next delimiter stays, so the
        // part before keeps its bytes even when an empty part shares that line break.
        let own = last_delimiter(input, previous_end..part.range().start, boundary);
        let next = match siblings.get(index + 1) {
            Some(next) => last_delimiter(input, part.range().end..next.range().start, boundary),
            None => multipart.epilogue().and_then(|epilogue| {
                last_delimiter(input, part.range().end..epilogue.start, boundary)
            }),
        };
        let range = match (own, next) {
            (Some(own), Some(next)) => own..next,
            // No close delimiter: take the line break before this part's delimiter instead.
            _ => previous_end..part.range().end,
        };
        self.push(range, Vec::new())
    }

    /// Replaces the body of the leaf `part` with `text`, encoded as the builder would (line
    /// ends normalised to CRLF; 7bit, quoted-printable or base64). Its Content-Type keeps the
    /// media type and parameters with `charset=utf-8`; Content-Transfer-Encoding is set to
    /// match. Other fields stay as they are.
    ///
    /// # Errors
    /// [`EditError::NotLeaf`], [`EditError::ForeignPart`], [`EditError::Overlap`].
    pub fn replace_text(&mut self, part: &TreePart<'a>, text: &str) -> Result<(), EditError> {
        let chain = self.ancestry(part)?;
        if !part.children().is_empty() || part.message().is_some() {
            return Err(EditError::NotLeaf);
        }
        // The text takes the message's line ends: in a bare-LF message, base64 must hold LF
        // too, or the part would decode with a different convention than the rest.
        let mut octets = crate::build::normalize_line_ends(text.as_bytes());
        if self.bare_lf {
            octets = crlf_to_lf(&octets);
        }
        let (mut encoding, mut body) = encode_text_octets(octets.clone());
        if collides(&body, &Self::enclosing_boundaries(&chain)) {
            encoding = Encoding::Base64;
            body = Vec::new();
            encode_base64_lines(&octets, &mut body);
        }
        let content_type = part.content_type();
        let essence = content_type.essence();
        let kept: Vec<(String, String)> = content_type
            .params()
            .iter()
            .filter(|parameter| !parameter.name().eq_ignore_ascii_case("charset"))
            .map(|parameter| {
                (
                    parameter.name().to_ascii_lowercase(),
                    parameter.decoded_value().into_owned(),
                )
            })
            .collect();
        let mut parameters: Vec<(&str, &str, ParameterStyle)> =
            vec![("charset", "utf-8", ParameterStyle::Standard)];
        for (name, value) in &kept {
            parameters.push((name, value, ParameterStyle::Standard));
        }
        let mut writer = FieldWriter::new("Content-Type");
        write_with_parameters(&mut writer, &essence, &parameters);
        let content_type_field = writer.finish();
        let mut writer = FieldWriter::new("Content-Transfer-Encoding");
        writer.push(" ", encoding.as_str());
        let encoding_field = writer.finish();
        self.replace_body_and_field(part, Some(content_type_field), encoding_field, body)
    }

    /// Replaces the body of the leaf `part` with `data` in base64; Content-Transfer-Encoding
    /// is set to base64, every other field stays.
    ///
    /// # Errors
    /// [`EditError::NotLeaf`], [`EditError::ForeignPart`], [`EditError::Overlap`].
    pub fn replace_data(&mut self, part: &TreePart<'a>, data: &[u8]) -> Result<(), EditError> {
        self.ancestry(part)?;
        if !part.children().is_empty() || part.message().is_some() {
            return Err(EditError::NotLeaf);
        }
        let mut body = Vec::new();
        encode_base64_lines(data, &mut body);
        let mut writer = FieldWriter::new("Content-Transfer-Encoding");
        writer.push(" ", Encoding::Base64.as_str());
        let encoding_field = writer.finish();
        self.replace_body_and_field(part, None, encoding_field, body)
    }

    fn replace_body_and_field(
        &mut self,
        part: &TreePart<'a>,
        content_type_field: Option<Vec<u8>>,
        encoding_field: Vec<u8>,
        body: Vec<u8>,
    ) -> Result<(), EditError> {
        let mut touched: Vec<Range<usize>> = vec![part.body_range()];
        for name in ["Content-Type", "Content-Transfer-Encoding"] {
            touched.extend(
                part.header()
                    .get_all(name)
                    .map(|field| part.field_range(field)),
            );
        }
        let header_end = part.range().start + part.header().header_end();
        touched.push(header_end..header_end);
        self.check_free(&touched)?;
        if let Some(field) = content_type_field {
            self.set_field(part, field)?;
        }
        self.set_field(part, encoding_field)?;
        self.push(part.body_range(), body)
    }

    /// The edited message.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.message.input().len());
        self.write(&mut out);
        out
    }

    /// Appends the edited message to `out`: the original bytes with the splices applied.
    pub fn write(&self, out: &mut Vec<u8>) {
        let input = self.message.input();
        let mut order: Vec<&Splice> = self.splices.iter().collect();
        // Insertions before replacements at the same offset; otherwise in the order given.
        order.sort_by_key(|splice| (splice.range.start, !splice.range.is_empty()));
        let mut copied = 0usize;
        for splice in order {
            if splice.range.start > copied {
                out.extend_from_slice(input.get(copied..splice.range.start).unwrap_or_default());
            }
            out.extend_from_slice(&splice.bytes);
            copied = copied.max(splice.range.end);
        }
        out.extend_from_slice(input.get(copied..).unwrap_or_default());
    }
}

/// Start of the last line within `range` of `input` that begins with `--boundary`.
fn last_delimiter(input: &[u8], range: Range<usize>, boundary: &str) -> Option<usize> {
    let mut dashed = Vec::with_capacity(boundary.len() + 2);
    dashed.extend_from_slice(b"--");
    dashed.extend_from_slice(boundary.as_bytes());
    range.clone().rev().find(|&at| {
        let at_line_start = at == 0 || input.get(at - 1) == Some(&b'\n');
        at_line_start
            && input
                .get(at..range.end)
                .is_some_and(|rest| rest.starts_with(&dashed))
    })
}

fn crlf_to_lf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().copied().peekable();
    while let Some(byte) = iter.next() {
        if byte == b'\r' && iter.peek() == Some(&b'\n') {
            continue;
        }
        out.push(byte);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_checks() {
        assert!(check_field(b"X: y\r\n").is_ok());
        assert!(check_field(b"X: y\r\n z\r\n").is_ok());
        assert!(check_field(b"X: y").is_err());
        assert!(check_field(b"X: y\r\nz\r\n").is_err());
        assert!(check_field(b"X: y\r\n \r\n").is_err());
        assert!(check_field(b"X: y\nz\r\n").is_err());
        assert!(check_field(b"Bad Name: y\r\n").is_err());
        assert!(check_field(b"X: a\rb\r\n").is_err());
    }

    #[test]
    fn conflicts() {
        assert!(splices_conflict(&(2..5), &(4..6)));
        assert!(!splices_conflict(&(2..5), &(5..6)));
        assert!(!splices_conflict(&(5..5), &(5..5)));
        assert!(splices_conflict(&(3..3), &(2..5)));
        assert!(!splices_conflict(&(2..2), &(2..5)));
        assert!(!splices_conflict(&(5..5), &(2..5)));
    }
}
