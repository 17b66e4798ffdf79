//! Reply lines (RFC 5321 §4.2) and enhanced status codes (RFC 2034 §4, RFC 3463 §2).

use std::borrow::Cow;

use super::frame_line;
use crate::codec::{DecodeOptions, ReplyLine};
use crate::error::DecodeError;
use crate::types::{EnhancedStatusCode, Reply, ReplyCode};

/// `Reply-code = %x32-35 %x30-35 %x30-39`.
fn parse_code(bytes: &[u8]) -> Result<ReplyCode, DecodeError> {
    match bytes {
        [a @ b'2'..=b'5', b @ b'0'..=b'5', c @ b'0'..=b'9', ..] => Ok(ReplyCode::from_valid(
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
        )),
        _ => Err(DecodeError::InvalidReplyCode),
    }
}

/// Reply text: HT, SP, printable ASCII, and octets beyond ASCII (servers under SMTPUTF8
/// send UTF-8; the caller checks the octets are UTF-8).
fn is_reply_text(text: &[u8]) -> bool {
    super::run_end(&super::REPLY_TEXT, text, 0) == text.len()
}

/// Checks one reply line (line end removed) without converting it: its code, whether it
/// is the last, and its text octets.
fn check_line(line: &[u8]) -> Result<(ReplyCode, bool, &[u8]), DecodeError> {
    let code = parse_code(line)?;
    let (last, text) = match line.get(3) {
        None => (true, &[][..]),
        Some(b' ') => (true, line.get(4..).unwrap_or_default()),
        Some(b'-') => (false, line.get(4..).unwrap_or_default()),
        Some(_) => return Err(DecodeError::MalformedReplyLine),
    };
    if !is_reply_text(text) {
        return Err(DecodeError::InvalidText);
    }
    Ok((code, last, text))
}

/// Decodes one reply line, line end removed.
pub(crate) fn decode_line(line: &[u8]) -> Result<ReplyLine<'_>, DecodeError> {
    let (code, last, text) = check_line(line)?;
    let text = std::str::from_utf8(text).map_err(|_| DecodeError::InvalidUtf8)?;
    Ok(ReplyLine { code, last, text })
}

/// `status-code SP+` (or the end) at the start of `text`: the code and the octets it
/// takes, spaces included.
pub(crate) fn parse_enhanced(bytes: &[u8]) -> Option<(EnhancedStatusCode, usize)> {
    let class = match bytes.first()? {
        b @ (b'2' | b'4' | b'5') => b - b'0',
        _ => return None,
    };
    if bytes.get(1) != Some(&b'.') {
        return None;
    }
    let number = |start: usize| -> Option<(u16, usize)> {
        let digits = bytes
            .get(start..)?
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if !(1..=3).contains(&digits) {
            return None;
        }
        let mut value = 0u16;
        for &d in bytes.get(start..start + digits)? {
            value = value * 10 + u16::from(d - b'0');
        }
        Some((value, start + digits))
    };
    let (subject, end) = number(2)?;
    if bytes.get(end) != Some(&b'.') {
        return None;
    }
    let (detail, end) = number(end + 1)?;
    // RFC 2034 says "one or more spaces" follow; only the first is taken as the
    // separator so that text starting with spaces survives a round trip
    let separator = match bytes.get(end) {
        None => 0,
        Some(b' ') => 1,
        Some(_) => return None,
    };
    Some((
        EnhancedStatusCode::from_valid(class, subject, detail),
        end + separator,
    ))
}

/// The enhanced code a reply's first line carries, if its class matches the reply code.
fn enhanced_of(code: ReplyCode, first_text: &[u8]) -> Option<EnhancedStatusCode> {
    parse_enhanced(first_text)
        .map(|(e, _)| e)
        .filter(|e| e.class() == code.class())
}

/// Each line's text as sent (after `code` and its separator). Lines of a wire form are
/// separated by CRLF and hold no other LF.
pub(crate) fn reply_raw_texts(wire: &str) -> impl Iterator<Item = &str> + '_ {
    let mut rest = Some(wire);
    std::iter::from_fn(move || {
        let current = rest?;
        let line = match super::find_lf_words(current.as_bytes()) {
            Some(lf) => {
                rest = current.get(lf + 1..);
                current.get(..lf.saturating_sub(1)).unwrap_or("")
            }
            None => {
                rest = None;
                current
            }
        };
        Some(line.get(4..).unwrap_or(""))
    })
}

/// Each line's text without the enhanced code where it equals `enhanced`.
pub(crate) fn reply_texts(
    wire: &str,
    enhanced: Option<EnhancedStatusCode>,
) -> impl Iterator<Item = &str> + '_ {
    reply_raw_texts(wire).map(move |text| match enhanced {
        Some(expected) => match parse_enhanced(text.as_bytes()) {
            Some((found, len)) if found == expected => text.get(len..).unwrap_or(""),
            _ => text,
        },
        None => text,
    })
}

/// Decodes a whole (possibly multi-line) reply at the start of `input`.
pub(crate) fn decode<'a>(
    input: &'a [u8],
    opts: &DecodeOptions,
) -> Result<Option<(Reply<'a>, usize)>, DecodeError> {
    let mut offset = 0;
    let mut lines = 0;
    let mut first: Option<(ReplyCode, &[u8])> = None;
    loop {
        let rest = input.get(offset..).unwrap_or_default();
        let Some((line, consumed)) = frame_line(rest, opts.max_reply_line, false)? else {
            return Ok(None);
        };
        let (code, last, text) = check_line(line)?;
        lines += 1;
        if lines > opts.max_reply_lines {
            return Err(DecodeError::TooManyReplyLines {
                limit: opts.max_reply_lines,
            });
        }
        let (first_code, first_text) = *first.get_or_insert((code, text));
        if code != first_code {
            return Err(DecodeError::InconsistentReplyCodes);
        }
        let line_end = offset + line.len();
        offset += consumed;
        if last {
            // one UTF-8 check over all the lines (the CRLFs between them are ASCII)
            let wire = input.get(..line_end).unwrap_or_default();
            let wire = std::str::from_utf8(wire).map_err(|_| DecodeError::InvalidUtf8)?;
            let enhanced = enhanced_of(code, first_text);
            return Ok(Some((
                Reply::from_valid(code, enhanced, Cow::Borrowed(wire)),
                offset,
            )));
        }
    }
}

/// Builds a reply in wire form from texts, checking each line.
pub(crate) fn build_reply<'t>(
    code: ReplyCode,
    enhanced: Option<EnhancedStatusCode>,
    lines: impl IntoIterator<Item = &'t str>,
    max_line: usize,
) -> Result<Reply<'static>, DecodeError> {
    if let Some(e) = enhanced {
        if e.class() != code.class() {
            return Err(DecodeError::InvalidEnhancedStatusCode);
        }
    }
    let prefix = enhanced.map(|e| format!("{e} "));
    let code_text = code.get().to_string();
    let mut texts = lines.into_iter().peekable();
    let mut wire = String::new();
    let mut first = true;
    loop {
        let text = texts.next().unwrap_or("");
        let last = texts.peek().is_none();
        if !is_reply_text(text.as_bytes()) {
            return Err(DecodeError::InvalidText);
        }
        if !first {
            wire.push_str("\r\n");
        }
        let start = wire.len();
        wire.push_str(&code_text);
        if first && enhanced.is_none() && enhanced_of(code, text.as_bytes()).is_some() {
            // the decoder would read the text's head as the enhanced code
            return Err(DecodeError::InvalidEnhancedStatusCode);
        }
        let mut body = String::new();
        if let Some(prefix) = &prefix {
            body.push_str(prefix);
        }
        body.push_str(text);
        if text.is_empty() {
            // an enhanced code with no text must not leave a trailing space behind
            body.truncate(body.trim_end_matches(' ').len());
        }
        if body.is_empty() && last {
            // `250` alone: `Reply-code [ SP textstring ] CRLF`
        } else {
            wire.push(if last { ' ' } else { '-' });
            wire.push_str(&body);
        }
        if wire.len() - start + 2 > max_line {
            return Err(DecodeError::LineTooLong { limit: max_line });
        }
        first = false;
        if last {
            break;
        }
    }
    Ok(Reply::from_valid(code, enhanced, Cow::Owned(wire)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enhanced_codes() {
        let (code, len) = parse_enhanced(b"5.1.1 no such user").unwrap();
        assert_eq!(
            (code.class(), code.subject(), code.detail(), len),
            (5, 1, 1, 6)
        );
        assert_eq!(
            parse_enhanced(b"2.0.0").map(|(c, l)| (c.to_string(), l)),
            Some(("2.0.0".into(), 5))
        );
        assert_eq!(parse_enhanced(b"4.7.123  x").map(|(_, l)| l), Some(8));
        for not in [
            "3.0.0 x",
            "2.0.0x",
            "2.0 x",
            "2..0 x",
            "2.1000.0 x",
            "x",
            "",
            "2.0.",
            "25.0.0 x",
        ] {
            assert!(parse_enhanced(not.as_bytes()).is_none(), "{not}");
        }
    }

    #[test]
    fn lines() {
        let line = decode_line(b"250-PIPELINING").unwrap();
        assert_eq!(
            (line.code.get(), line.last, line.text),
            (250, false, "PIPELINING")
        );
        let line = decode_line(b"250").unwrap();
        assert!(line.last && line.text.is_empty());
        let line = decode_line(b"250 ").unwrap();
        assert!(line.last && line.text.is_empty());
        assert_eq!(decode_line(b"25"), Err(DecodeError::InvalidReplyCode));
        assert_eq!(decode_line(b"199 x"), Err(DecodeError::InvalidReplyCode));
        assert_eq!(decode_line(b"260 x"), Err(DecodeError::InvalidReplyCode));
        assert_eq!(decode_line(b"250x"), Err(DecodeError::MalformedReplyLine));
        assert_eq!(decode_line(b"250 a\x00b"), Err(DecodeError::InvalidText));
        assert_eq!(decode_line(b"250 a\rb"), Err(DecodeError::InvalidText));
    }

    #[test]
    fn builds_each_line_with_its_enhanced_code() {
        let code = ReplyCode::OK;
        let e = EnhancedStatusCode::new(2, 0, 0);
        let reply = build_reply(code, e, ["a", "", "b"], 512).unwrap();
        assert_eq!(reply.wire(), "250-2.0.0 a\r\n250-2.0.0\r\n250 2.0.0 b");
        assert_eq!(reply.lines().collect::<Vec<_>>(), vec!["a", "", "b"]);
        let empty = build_reply(code, None, [], 512).unwrap();
        assert_eq!(empty.wire(), "250");
        assert!(build_reply(code, EnhancedStatusCode::new(5, 0, 0), ["x"], 512).is_err());
        let long = "x".repeat(506);
        assert!(build_reply(code, None, [long.as_str()], 512).is_ok());
        let long = "x".repeat(507);
        assert!(build_reply(code, None, [long.as_str()], 512).is_err());
    }
}
