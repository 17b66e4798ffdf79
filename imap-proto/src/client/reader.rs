//! Cutting the server's octets into responses, with message content streamed.
//!
//! Responses are read a line at a time; a line that ends with a literal announcement
//! is followed by the literal's octets. Most literals (mailbox names, ENVELOPE strings)
//! are small and stay in the response, which is decoded whole once its last line is in,
//! within [`ClientConfig::max_response_length`].
//!
//! Message content is different: a `BODY[]` can be any size. When a literal is
//! announced in a FETCH response, the response so far is decoded with an empty literal
//! in its place and the closing parenthesis after it; if that gives a FETCH whose last
//! item is message content (`BODY[...]`, `BINARY[...]`, `RFC822*`), the literal sits at
//! the top level as that item's value. Its octets are then handed out as they arrive
//! and the response keeps `{0}` in their place, so the final decode sees an empty value
//! at a known item index. A literal anywhere else (inside ENVELOPE, BODYSTRUCTURE or a
//! header-field list) fails that decode and is held.
//!
//! [`ClientConfig::max_response_length`]: crate::client::ClientConfig::max_response_length

use std::num::NonZeroU32;

use bytes::Bytes;
use mailwire_core::line::{Line, LineBuffer, LineEnding};

use crate::codec::{decode_response, frame_response, DecodeOptions, Frame, Limits};
use crate::types::{Data, Response};

use super::error::ProtocolError;
use super::event::BodyItem;

/// One step of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// A whole response, to decode. `streamed` lists the FETCH items (by index) whose
    /// content was streamed and replaced by an empty literal.
    Response {
        bytes: Vec<u8>,
        streamed: Vec<(usize, BodyItem)>,
    },
    /// Streamed content begins.
    BodyStart {
        sequence_number: NonZeroU32,
        item: BodyItem,
        length: u64,
    },
    /// Streamed content octets.
    BodyChunk {
        sequence_number: NonZeroU32,
        chunk: Bytes,
    },
    /// Streamed content ended.
    BodyEnd { sequence_number: NonZeroU32 },
}

#[derive(Debug)]
struct Literal {
    remaining: u64,
    /// The FETCH's message number when the octets are streamed out.
    streaming: Option<NonZeroU32>,
}

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Reader {
    lines: LineBuffer,
    response: Vec<u8>,
    literal: Option<Literal>,
    streamed: Vec<(usize, BodyItem)>,
    /// Trial decodes made for the response being read (see [`MAX_CONTENT_CHECKS`]).
    content_checks: u32,
    max_line_length: usize,
    max_response_length: usize,
    max_streamed_literal: u64,
}

/// Options under which the framer only reports announcements; the reader applies its
/// own limits.
fn announcement_options() -> DecodeOptions {
    let limits = Limits {
        max_literal_length: u64::MAX,
        max_line_length: usize::MAX,
        ..Limits::default()
    };
    DecodeOptions::default().with_limits(limits)
}

/// Trial decodes per response, at most: each decodes the response so far, so a response
/// made of many literals could otherwise cost time quadratic in its size. Real FETCH
/// responses name a few content items; literals beyond the limit are held (within
/// [`ClientConfig::max_response_length`](crate::client::ClientConfig::max_response_length)).
const MAX_CONTENT_CHECKS: u32 = 64;

/// True when the line text before a literal announcement (`before`, from the start of
/// the line or the end of the previous literal) can end the name of a content item:
/// `BODY[...]`, `BODY[...]<n>`, `BINARY[...]` (with `~` for literal8), `RFC822`,
/// `RFC822.HEADER`, `RFC822.TEXT`. A cheap filter before the trial decode.
fn names_content(before: &[u8]) -> bool {
    let before = before.strip_suffix(b"~").unwrap_or(before);
    let Some(before) = before.strip_suffix(b" ") else {
        return false;
    };
    let before = match before.strip_suffix(b">") {
        Some(rest) => {
            let digits = rest.iter().rev().take_while(|b| b.is_ascii_digit()).count();
            match rest
                .get(..rest.len() - digits)
                .and_then(|r| r.strip_suffix(b"<"))
            {
                Some(rest) if digits > 0 => rest,
                _ => return false,
            }
        }
        None => before,
    };
    if before.ends_with(b"]") {
        return true;
    }
    ["RFC822", "RFC822.HEADER", "RFC822.TEXT"]
        .iter()
        .any(|name| {
            let name = name.as_bytes();
            before.len() > name.len()
                && before
                    .get(before.len() - name.len()..)
                    .is_some_and(|tail| tail.eq_ignore_ascii_case(name))
                && matches!(before.get(before.len() - name.len() - 1), Some(b' ' | b'('))
        })
}

/// True when `response` starts like `* 12 FETCH ` (only then can content be streamed).
fn is_fetch(response: &[u8]) -> bool {
    let Some(rest) = response.strip_prefix(b"* ") else {
        return false;
    };
    let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    rest.get(digits..digits + 7)
        .is_some_and(|word| word.eq_ignore_ascii_case(b" FETCH "))
}

impl Reader {
    pub(crate) fn new(
        max_line_length: usize,
        max_response_length: usize,
        max_streamed_literal: u64,
    ) -> Self {
        Reader {
            lines: LineBuffer::new(max_line_length),
            response: Vec::new(),
            literal: None,
            streamed: Vec::new(),
            content_checks: 0,
            max_line_length: max_line_length.max(2),
            max_response_length,
            max_streamed_literal,
        }
    }

    /// Octets received.
    pub(crate) fn extend(&mut self, input: &[u8]) {
        self.lines.extend(input);
    }

    /// Octets received and not yet cut into pieces.
    pub(crate) fn buffered(&self) -> usize {
        self.lines.len()
    }

    /// Drops everything held; returns how many received octets were not yet read.
    pub(crate) fn clear(&mut self) -> usize {
        let unread = self.lines.len();
        self.lines.clear();
        self.response.clear();
        self.literal = None;
        self.streamed.clear();
        self.content_checks = 0;
        unread
    }

    /// The next piece, `None` when more input is needed. An error leaves the reader in
    /// no usable state: framing can no longer be trusted.
    pub(crate) fn next(&mut self, options: &DecodeOptions) -> Result<Option<Piece>, ProtocolError> {
        loop {
            if let Some(literal) = &mut self.literal {
                if let Some(sequence_number) = literal.streaming {
                    if literal.remaining == 0 {
                        self.literal = None;
                        return Ok(Some(Piece::BodyEnd { sequence_number }));
                    }
                    if self.lines.is_empty() {
                        return Ok(None);
                    }
                    let wanted = usize::try_from(literal.remaining).unwrap_or(usize::MAX);
                    let chunk = self.lines.take_up_to(wanted);
                    literal.remaining = literal.remaining.saturating_sub(chunk.len() as u64);
                    return Ok(Some(Piece::BodyChunk {
                        sequence_number,
                        chunk,
                    }));
                }
                let wanted = usize::try_from(literal.remaining).unwrap_or(usize::MAX);
                let octets = self.lines.take_up_to(wanted);
                literal.remaining = literal.remaining.saturating_sub(octets.len() as u64);
                self.response.extend_from_slice(&octets);
                if literal.remaining > 0 {
                    return Ok(None);
                }
                self.literal = None;
            }
            let Some(line) = self.lines.next_line() else {
                return Ok(None);
            };
            let bytes = match line {
                Line::TooLong => {
                    return Err(ProtocolError::LineTooLong {
                        limit: self.max_line_length,
                    })
                }
                Line::Complete {
                    ending: LineEnding::BareLf,
                    ..
                } => return Err(ProtocolError::BareLineFeed),
                Line::Complete { bytes, .. } => bytes,
            };
            let line_start = self.response.len();
            if line_start.saturating_add(bytes.len()).saturating_add(2) > self.max_response_length {
                return Err(ProtocolError::ResponseTooLarge {
                    limit: self.max_response_length,
                });
            }
            self.response.extend_from_slice(&bytes);
            self.response.extend_from_slice(b"\r\n");
            let this_line = self.response.get(line_start..).unwrap_or_default();
            let announced = match frame_response(this_line, &announcement_options()) {
                Ok(Frame::Literal(pending)) => Some(pending.length),
                // A whole line that still needs more ends with `{0}`: an empty literal,
                // "complete" at once, and the response goes on after it.
                Ok(Frame::NeedLine) => Some(0),
                Ok(Frame::Complete { .. }) => None,
                Err(error) => return Err(ProtocolError::InvalidLiteral(error)),
            };
            match announced {
                Some(length) => {
                    let brace =
                        memchr::memrchr(b'{', this_line).map_or(line_start, |at| line_start + at);
                    let before = self.response.get(line_start..brace).unwrap_or_default();
                    let candidate = names_content(before);
                    if let Some(piece) = self.announced(brace, length, candidate, options)? {
                        return Ok(Some(piece));
                    }
                }
                None => {
                    self.content_checks = 0;
                    return Ok(Some(Piece::Response {
                        bytes: std::mem::take(&mut self.response),
                        streamed: std::mem::take(&mut self.streamed),
                    }));
                }
            }
        }
    }

    /// A literal of `length` octets was announced at `brace` of the response: stream it
    /// (returns the start piece) or hold it.
    fn announced(
        &mut self,
        brace: usize,
        length: u64,
        candidate: bool,
        options: &DecodeOptions,
    ) -> Result<Option<Piece>, ProtocolError> {
        let content = if candidate && self.content_checks < MAX_CONTENT_CHECKS {
            self.content_checks += 1;
            self.content_item(brace, options)
        } else {
            None
        };
        if let Some((sequence_number, index, item)) = content {
            if length > self.max_streamed_literal {
                return Err(ProtocolError::LiteralTooLarge {
                    length,
                    limit: self.max_streamed_literal,
                });
            }
            self.response.truncate(brace);
            self.response.extend_from_slice(b"{0}\r\n");
            self.streamed.push((index, item.clone()));
            self.literal = Some(Literal {
                remaining: length,
                streaming: Some(sequence_number),
            });
            return Ok(Some(Piece::BodyStart {
                sequence_number,
                item,
                length,
            }));
        }
        let room = self.max_response_length.saturating_sub(self.response.len()) as u64;
        if length > room {
            return Err(ProtocolError::LiteralTooLarge {
                length,
                limit: room,
            });
        }
        self.literal = Some(Literal {
            remaining: length,
            streaming: None,
        });
        Ok(None)
    }

    /// When the literal announced at `brace` is the value of a FETCH message-content
    /// item: the message number, the item's index and the item.
    fn content_item(
        &self,
        brace: usize,
        options: &DecodeOptions,
    ) -> Option<(NonZeroU32, usize, BodyItem)> {
        if !is_fetch(&self.response) {
            return None;
        }
        let before = self.response.get(..brace)?;
        let mut synthetic = Vec::with_capacity(before.len() + 8);
        synthetic.extend_from_slice(before);
        synthetic.extend_from_slice(b"{0}\r\n)\r\n");
        let (response, consumed) = decode_response(&synthetic, options).ok()?.complete()?;
        if consumed != synthetic.len() {
            return None;
        }
        let Response::Data(Data::Fetch {
            sequence_number,
            items,
        }) = response
        else {
            return None;
        };
        let index = items.len().checked_sub(1)?;
        let item = BodyItem::of(items.last()?)?;
        Some((sequence_number, index, item))
    }

    /// True while a partial response or literal is held (for diagnostics).
    #[cfg(test)]
    pub(crate) fn in_response(&self) -> bool {
        !self.response.is_empty() || self.literal.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Section;

    fn pieces(reader: &mut Reader, input: &[u8]) -> Vec<Piece> {
        reader.extend(input);
        let mut pieces = Vec::new();
        while let Some(piece) = reader.next(&DecodeOptions::default()).unwrap() {
            pieces.push(piece);
        }
        pieces
    }

    #[test]
    fn body_literal_is_streamed_and_envelope_literal_held() {
        let mut reader = Reader::new(1000, 10_000, 1 << 20);
        let input = b"* 3 FETCH (UID 7 ENVELOPE (NIL {3}\r\nabc NIL NIL NIL NIL NIL NIL NIL NIL) BODY[TEXT] {5}\r\nhello FLAGS ())\r\n";
        let got = pieces(&mut reader, input);
        let three = NonZeroU32::new(3).unwrap();
        assert_eq!(
            got[0],
            Piece::BodyStart {
                sequence_number: three,
                item: BodyItem::Section {
                    section: Some(Section::Text(None)),
                    origin: None
                },
                length: 5
            }
        );
        assert_eq!(
            got[1],
            Piece::BodyChunk {
                sequence_number: three,
                chunk: Bytes::from_static(b"hello")
            }
        );
        assert_eq!(
            got[2],
            Piece::BodyEnd {
                sequence_number: three
            }
        );
        let Piece::Response { bytes, streamed } = &got[3] else {
            panic!("{got:?}");
        };
        assert_eq!(
            bytes.as_slice(),
            &b"* 3 FETCH (UID 7 ENVELOPE (NIL {3}\r\nabc NIL NIL NIL NIL NIL NIL NIL NIL) BODY[TEXT] {0}\r\n FLAGS ())\r\n"[..]
        );
        assert_eq!(streamed.len(), 1);
        assert_eq!(streamed[0].0, 2);
        assert_eq!(got.len(), 4);
        assert!(!reader.in_response());
    }

    #[test]
    fn content_names_are_recognised_cheaply() {
        for yes in [
            &b"* 1 FETCH (BODY[] "[..],
            b"* 1 FETCH (UID 3 BODY[1.2.TEXT]<100> ",
            b"* 1 FETCH (BINARY[1] ~",
            b")] ",
            b"* 1 FETCH (rfc822 ",
            b" RFC822.HEADER ",
        ] {
            assert!(names_content(yes), "{:?}", String::from_utf8_lossy(yes));
        }
        for no in [
            &b"* 1 FETCH (ENVELOPE (NIL "[..],
            b"* 1 FETCH (BODY[]",
            b" \"x]\" ",
            b"* 1 FETCH (BODY[]<> ",
            b"XRFC822 ",
            b"RFC822 ",
            b"",
        ] {
            assert!(!names_content(no), "{:?}", String::from_utf8_lossy(no));
        }
    }

    #[test]
    fn a_response_of_many_literals_costs_linear_time() {
        // 20 000 content literals in one FETCH: streamed for the first checks, then held.
        let mut reader = Reader::new(1000, 1 << 20, 1 << 20);
        let mut input = b"* 1 FETCH (".to_vec();
        for _ in 0..20_000 {
            input.extend_from_slice(b"BODY[] {1}\r\nx ");
        }
        input.extend_from_slice(b"UID 1)\r\n");
        let got = pieces(&mut reader, &input);
        let starts = got
            .iter()
            .filter(|piece| matches!(piece, Piece::BodyStart { .. }))
            .count();
        assert_eq!(starts, MAX_CONTENT_CHECKS as usize);
        assert!(matches!(got.last(), Some(Piece::Response { .. })));
    }

    #[test]
    fn limits_are_checked_before_buffering() {
        let mut reader = Reader::new(1000, 100, 1 << 20);
        reader.extend(b"* LIST () \"/\" {4294967295}\r\n");
        assert!(matches!(
            reader.next(&DecodeOptions::default()),
            Err(ProtocolError::LiteralTooLarge { .. })
        ));
        let mut reader = Reader::new(1000, 100, 10);
        reader.extend(b"* 1 FETCH (BODY[] {4294967295}\r\n");
        assert_eq!(
            reader.next(&DecodeOptions::default()),
            Err(ProtocolError::LiteralTooLarge {
                length: 4_294_967_295,
                limit: 10
            })
        );
        let mut reader = Reader::new(10, 100, 10);
        reader.extend(b"* OK this line is too long\r\n");
        assert_eq!(
            reader.next(&DecodeOptions::default()),
            Err(ProtocolError::LineTooLong { limit: 10 })
        );
        let mut reader = Reader::new(100, 100, 10);
        reader.extend(b"* OK bare\n");
        assert_eq!(
            reader.next(&DecodeOptions::default()),
            Err(ProtocolError::BareLineFeed)
        );
        let mut reader = Reader::new(100, 100, 10);
        reader.extend(b"* OK {3+}\r\n");
        assert!(matches!(
            reader.next(&DecodeOptions::default()),
            Err(ProtocolError::InvalidLiteral(_))
        ));
    }
}
