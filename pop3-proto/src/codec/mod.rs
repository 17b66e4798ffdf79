//! Stateless decoding and encoding of POP3 commands and responses.
//!
//! `decode_*` take the bytes received so far and return [`Status::Partial`] until a
//! whole command or response is there; `encode_*` append the wire form to a buffer (a
//! value that exists is valid, so encoding does not fail). Line-level decoders
//! (`decode_*_line`) take one line without its CRLF; the session machines use them on
//! lines framed by [`mailwire_core::line::LineBuffer`].
//!
//! Limits ([`Limits`]) are those of RFC 2449 §4: a command line is at most 255 octets
//! and the first line of a response at most 512, line ends included.
//!
//! ```
//! use mailwire_pop3::codec::{decode_command, encode_command};
//! use mailwire_pop3::types::{Command, MessageNumber};
//! use mailwire_core::Status;
//!
//! let Ok(Status::Complete { value, consumed }) = decode_command(b"top 1 10\r\nQUIT\r\n") else {
//!     panic!("not a command");
//! };
//! assert_eq!(consumed, 10);
//! assert_eq!(value, Command::Top { message: MessageNumber::new(1).unwrap(), lines: 10 });
//! let mut wire = Vec::new();
//! encode_command(&value, &mut wire);
//! assert_eq!(wire, b"TOP 1 10\r\n");
//! ```

mod encode;
mod parse;

use std::borrow::Cow;

use mailwire_core::dot::DotUnstuffer;
use mailwire_core::Status;

use crate::error::DecodeError;
use crate::types::{
    Capability, Command, DropListing, LanguageListing, Response, ResponseKind, SaslResponse,
    ScanListing, StatusIndicator, StatusLine, UniqueIdListing,
};

pub use encode::{
    encode_capability_line, encode_command, encode_language_listing_line, encode_response,
    encode_sasl_response, encode_scan_listing_line, encode_status_line,
    encode_unique_id_listing_line,
};

/// Maximum command line, CRLF included (RFC 2449 §4).
pub const MAX_COMMAND_LINE: usize = 255;
/// Maximum first line of a response (and capability line), CRLF included (RFC 1939 §3,
/// RFC 2449 §4).
pub const MAX_RESPONSE_LINE: usize = 512;
/// Default maximum of a SASL line (RFC 5034 §4 puts no limit on challenges and responses;
/// 16 KiB holds the largest GSSAPI tokens seen in practice).
pub const DEFAULT_MAX_SASL_LINE: usize = 16 * 1024;
/// Default maximum number of lines in a CAPA, LIST, UIDL or LANG listing decoded whole.
pub const DEFAULT_MAX_LISTING_LINES: usize = 1 << 20;

/// Limits applied while decoding; every length from the wire is checked against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest command line, CRLF included. Default [`MAX_COMMAND_LINE`].
    pub max_command_line: usize,
    /// Longest response status line or listing line, CRLF included. Default
    /// [`MAX_RESPONSE_LINE`].
    pub max_response_line: usize,
    /// Longest SASL challenge or response line, CRLF included. Default
    /// [`DEFAULT_MAX_SASL_LINE`].
    pub max_sasl_line: usize,
    /// Most lines in a multi-line listing. Default [`DEFAULT_MAX_LISTING_LINES`].
    pub max_listing_lines: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_command_line: MAX_COMMAND_LINE,
            max_response_line: MAX_RESPONSE_LINE,
            max_sasl_line: DEFAULT_MAX_SASL_LINE,
            max_listing_lines: DEFAULT_MAX_LISTING_LINES,
        }
    }
}

/// Finds the next CRLF-terminated line: `Ok(Some((line, consumed)))`, `Ok(None)` when
/// partial, an error for a bare LF or a line over `max` octets (CRLF included).
fn next_line(input: &[u8], max: usize) -> Result<Option<(&[u8], usize)>, DecodeError> {
    match input.iter().position(|b| *b == b'\n') {
        Some(lf) => {
            if lf + 1 > max {
                return Err(DecodeError::LineTooLong);
            }
            match input.get(..lf) {
                Some([line @ .., b'\r']) => Ok(Some((line, lf + 1))),
                _ => Err(DecodeError::BareLineFeed),
            }
        }
        None if input.len() >= max => Err(DecodeError::LineTooLong),
        None => Ok(None),
    }
}

/// Decodes one command line (with its CRLF) from the start of `input`.
pub fn decode_command(input: &[u8]) -> Result<Status<Command<'_>>, DecodeError> {
    decode_command_with(input, &Limits::default())
}

/// [`decode_command`] with explicit limits.
pub fn decode_command_with<'a>(
    input: &'a [u8],
    limits: &Limits,
) -> Result<Status<Command<'a>>, DecodeError> {
    match next_line(input, limits.max_command_line)? {
        Some((line, consumed)) => Ok(Status::Complete {
            value: parse::command(line)?,
            consumed,
        }),
        None => Ok(Status::Partial),
    }
}

/// Decodes one command line given without its line end.
pub fn decode_command_line(line: &[u8]) -> Result<Command<'_>, DecodeError> {
    parse::command(line)
}

/// Decodes one client line of an AUTH exchange (with its CRLF).
pub fn decode_sasl_response(input: &[u8]) -> Result<Status<SaslResponse>, DecodeError> {
    match next_line(input, Limits::default().max_sasl_line)? {
        Some((line, consumed)) => Ok(Status::Complete {
            value: parse::sasl_response(line)?,
            consumed,
        }),
        None => Ok(Status::Partial),
    }
}

/// Decodes one client line of an AUTH exchange given without its line end.
pub fn decode_sasl_response_line(line: &[u8]) -> Result<SaslResponse, DecodeError> {
    parse::sasl_response(line)
}

/// Decodes a status line given without its line end.
pub fn decode_status_line(line: &[u8]) -> Result<StatusLine<'_>, DecodeError> {
    parse::status_line(line)
}

/// Decodes an AUTH challenge line (`+ base64`) given without its line end; `None` when
/// the line is not a challenge.
pub fn decode_continuation_line(line: &[u8]) -> Option<Result<Vec<u8>, DecodeError>> {
    parse::continuation(line)
}

/// Decodes the text of STAT's `+OK` into a drop listing.
pub fn decode_drop_listing(text: &[u8]) -> Result<DropListing<'_>, DecodeError> {
    parse::drop_listing(text)
}

/// Decodes a scan listing line (`msg size`), without line end.
pub fn decode_scan_listing_line(line: &[u8]) -> Result<ScanListing<'_>, DecodeError> {
    parse::scan_listing(line)
}

/// Decodes a unique-id listing line (`msg uid`), without line end.
pub fn decode_unique_id_listing_line(line: &[u8]) -> Result<UniqueIdListing<'_>, DecodeError> {
    parse::unique_id_listing(line)
}

/// Decodes a capability line, without line end.
pub fn decode_capability_line(line: &[u8]) -> Result<Capability<'_>, DecodeError> {
    parse::capability(line)
}

/// Decodes a language listing line, without line end.
pub fn decode_language_listing_line(line: &[u8]) -> Result<LanguageListing<'_>, DecodeError> {
    parse::language_listing(line)
}

/// Decodes one whole response of the given kind from the start of `input`.
pub fn decode_response(
    kind: ResponseKind,
    input: &[u8],
) -> Result<Status<Response<'_>>, DecodeError> {
    decode_response_with(kind, input, &Limits::default())
}

/// Strips the dot-stuffing of one listing line; `None` for the terminating `.`.
fn unstuff_line(line: &[u8]) -> Option<&[u8]> {
    match line {
        b"." => None,
        [b'.', rest @ ..] => Some(rest),
        other => Some(other),
    }
}

/// Decodes the lines of a multi-line listing after its first line.
fn listing<'a, T>(
    input: &'a [u8],
    mut consumed: usize,
    limits: &Limits,
    parse_line: impl Fn(&'a [u8]) -> Result<T, DecodeError>,
) -> Result<Status<Vec<T>>, DecodeError> {
    let mut entries = Vec::new();
    loop {
        let remaining = input.get(consumed..).unwrap_or_default();
        let Some((line, used)) = next_line(remaining, limits.max_response_line)? else {
            return Ok(Status::Partial);
        };
        consumed += used;
        match unstuff_line(line) {
            None => {
                return Ok(Status::Complete {
                    value: entries,
                    consumed,
                })
            }
            Some(line) => {
                if entries.len() >= limits.max_listing_lines {
                    return Err(DecodeError::TooManyLines);
                }
                entries.push(parse_line(line)?);
            }
        }
    }
}

/// [`decode_response`] with explicit limits.
pub fn decode_response_with<'a>(
    kind: ResponseKind,
    input: &'a [u8],
    limits: &Limits,
) -> Result<Status<Response<'a>>, DecodeError> {
    let first_limit = if kind == ResponseKind::Auth {
        limits.max_sasl_line
    } else {
        limits.max_response_line
    };
    let Some((first, consumed)) = next_line(input, first_limit)? else {
        return Ok(Status::Partial);
    };
    if kind == ResponseKind::Auth {
        if let Some(challenge) = parse::continuation(first) {
            return Ok(Status::Complete {
                value: Response::Continuation(challenge?),
                consumed,
            });
        }
    } else if first.len() + 2 > limits.max_response_line {
        return Err(DecodeError::LineTooLong);
    }
    let line = parse::status_line(first)?;
    let complete = |value| Ok(Status::Complete { value, consumed });
    if line.status == StatusIndicator::Err {
        return complete(Response::Status(line));
    }
    // The bytes after "+OK " hold the data of single-line listings.
    let data = first.get(4..).unwrap_or_default();
    match kind {
        ResponseKind::Greeting | ResponseKind::Status | ResponseKind::Auth => {
            complete(Response::Status(line))
        }
        ResponseKind::DropListing => complete(Response::DropListing(parse::drop_listing(data)?)),
        ResponseKind::ScanListing => complete(Response::ScanListing(parse::scan_listing(data)?)),
        ResponseKind::UniqueIdListing => {
            complete(Response::UniqueIdListing(parse::unique_id_listing(data)?))
        }
        ResponseKind::Capabilities => Ok(listing(input, consumed, limits, parse::capability)?
            .map(|capabilities| Response::Capabilities { line, capabilities })),
        ResponseKind::ScanListings => Ok(listing(input, consumed, limits, parse::scan_listing)?
            .map(|listings| Response::ScanListings { line, listings })),
        ResponseKind::UniqueIdListings => {
            Ok(listing(input, consumed, limits, parse::unique_id_listing)?
                .map(|listings| Response::UniqueIdListings { line, listings }))
        }
        ResponseKind::Languages => Ok(listing(input, consumed, limits, parse::language_listing)?
            .map(|languages| Response::Languages { line, languages })),
        ResponseKind::Message => {
            let rest = input.get(consumed..).unwrap_or_default();
            let mut body = Vec::new();
            let mut unstuffer = DotUnstuffer::new();
            let fed = unstuffer.feed(rest, |part| body.extend_from_slice(part));
            if !fed.finished {
                return Ok(Status::Partial);
            }
            Ok(Status::Complete {
                value: Response::Message {
                    line,
                    body: Cow::Owned(body),
                },
                consumed: consumed + fed.consumed,
            })
        }
    }
}

#[cfg(test)]
mod tests;
