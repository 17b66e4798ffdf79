//! The private grammar: hand-written byte scanners over the ABNF of RFC 5321 and its
//! extensions. No allocation on the decode paths; every index is checked (`get`).

pub(crate) mod address;
pub(crate) mod capability;
pub(crate) mod command;
pub(crate) mod params;
pub(crate) mod reply;

use crate::error::DecodeError;

/// `atext` of RFC 5322 §3.2.3.
const ATEXT: u8 = 1;
/// ALPHA / DIGIT.
const LET_DIG: u8 = 1 << 1;
/// `dcontent` of RFC 5321 §4.1.3: %d33-90 / %d94-126.
const DCONTENT: u8 = 1 << 2;
/// `qtextSMTP` of RFC 5321 §4.1.2: %d32-33 / %d35-91 / %d93-126.
const QTEXT: u8 = 1 << 3;
/// `xchar` of RFC 3461 §4: %d33-126 except "+" and "=".
const XCHAR: u8 = 1 << 4;
/// `esmtp-value` octets of RFC 5321 §4.1.2: %d33-60 / %d62-126.
const ESMTP_VALUE: u8 = 1 << 5;
/// base64 alphabet (without "=").
const BASE64: u8 = 1 << 6;
/// Printable text of replies and arguments: HT, SP, %d33-126.
const TEXT: u8 = 1 << 7;

const fn build_classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut class = 0;
        let alpha = b.is_ascii_alphabetic();
        let digit = b.is_ascii_digit();
        if alpha || digit {
            class |= LET_DIG | BASE64;
        }
        if alpha
            || digit
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            )
        {
            class |= ATEXT;
        }
        if (b >= 33 && b <= 90) || (b >= 94 && b <= 126) {
            class |= DCONTENT;
        }
        if b == 32 || b == 33 || (b >= 35 && b <= 91) || (b >= 93 && b <= 126) {
            class |= QTEXT;
        }
        if b >= 33 && b <= 126 && b != b'+' && b != b'=' {
            class |= XCHAR;
        }
        if (b >= 33 && b <= 60) || (b >= 62 && b <= 126) {
            class |= ESMTP_VALUE;
        }
        if b == b'+' || b == b'/' {
            class |= BASE64;
        }
        if b == b'\t' || (b >= 32 && b <= 126) {
            class |= TEXT;
        }
        // evaluated at compile time: an index out of bounds would fail the build, not a run
        #[allow(clippy::indexing_slicing)]
        {
            table[i] = class;
        }
        i += 1;
    }
    table
}

static CLASSES: [u8; 256] = build_classes();

#[inline]
fn has(b: u8, class: u8) -> bool {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0) & class != 0
}

#[inline]
pub(crate) fn is_atext(b: u8, utf8: bool) -> bool {
    has(b, ATEXT) || (utf8 && b >= 0x80)
}

#[inline]
pub(crate) fn is_let_dig(b: u8) -> bool {
    has(b, LET_DIG)
}

#[inline]
pub(crate) fn is_dcontent(b: u8) -> bool {
    has(b, DCONTENT)
}

#[inline]
pub(crate) fn is_qtext(b: u8, utf8: bool) -> bool {
    has(b, QTEXT) || (utf8 && b >= 0x80)
}

#[inline]
pub(crate) fn is_xchar(b: u8) -> bool {
    has(b, XCHAR)
}

#[inline]
pub(crate) fn is_esmtp_value_octet(b: u8, utf8: bool) -> bool {
    has(b, ESMTP_VALUE) || (utf8 && b >= 0x80)
}

#[inline]
pub(crate) fn is_base64_char(b: u8) -> bool {
    has(b, BASE64)
}

/// HT, SP and printable ASCII, plus non-ASCII when `utf8` (the caller has checked the
/// text is UTF-8).
#[inline]
pub(crate) fn is_text(b: u8, utf8: bool) -> bool {
    has(b, TEXT) || (utf8 && b >= 0x80)
}

/// Parses `1*max_digits DIGIT` as a u64; `None` on a non-digit, too many digits or
/// overflow is reported separately by the caller through `Err`.
pub(crate) fn parse_u64(digits: &[u8], max_digits: usize) -> Result<u64, DecodeError> {
    if digits.is_empty() || digits.len() > max_digits || !digits.iter().all(u8::is_ascii_digit) {
        return Err(DecodeError::NumberOutOfRange);
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(DecodeError::NumberOutOfRange)?;
    }
    Ok(value)
}

/// Turns bytes into `&str`, enforcing the SMTPUTF8 rule: without it every octet must be
/// ASCII.
pub(crate) fn to_text(bytes: &[u8], utf8: bool) -> Result<&str, DecodeError> {
    if bytes.is_ascii() {
        // ASCII is always valid UTF-8
        return std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8);
    }
    if !utf8 {
        return Err(DecodeError::NonAscii);
    }
    std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8)
}

/// Finds the first line of `input`: returns the line without its end and the number of
/// octets it takes with its end, `None` when no line end arrived yet.
///
/// `max` counts the line end. A bare LF is an error unless `bare_lf_ok`.
pub(crate) fn frame_line(
    input: &[u8],
    max: usize,
    bare_lf_ok: bool,
) -> Result<Option<(&[u8], usize)>, DecodeError> {
    let window = input.get(..max).unwrap_or(input);
    match window.iter().position(|&b| b == b'\n') {
        Some(lf) => {
            let consumed = lf + 1;
            let before = window.get(..lf).unwrap_or_default();
            match before.split_last() {
                Some((b'\r', line)) => Ok(Some((line, consumed))),
                _ if bare_lf_ok => Ok(Some((before, consumed))),
                _ => Err(DecodeError::BareLineFeed),
            }
        }
        None if input.len() >= max => Err(DecodeError::LineTooLong { limit: max }),
        None => Ok(None),
    }
}

/// Counts the octets a `Display` value writes, without allocating.
pub(crate) fn display_len(value: &impl std::fmt::Display) -> usize {
    struct Counter(usize);
    impl std::fmt::Write for Counter {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // writing into a counter can not fail
    let _ = std::fmt::write(&mut counter, format_args!("{value}"));
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_abnf() {
        assert!(is_atext(b'a', false) && is_atext(b'~', false) && !is_atext(b'.', false));
        assert!(!is_atext(b'@', false) && !is_atext(0xC3, false) && is_atext(0xC3, true));
        assert!(is_dcontent(b'Z') && !is_dcontent(b'[') && !is_dcontent(b'\\'));
        assert!(is_qtext(b' ', false) && !is_qtext(b'"', false) && !is_qtext(b'\\', false));
        assert!(is_xchar(b'!') && !is_xchar(b'+') && !is_xchar(b'=') && !is_xchar(b' '));
        assert!(!is_esmtp_value_octet(b'=', false) && is_esmtp_value_octet(b'<', false));
        assert!(is_base64_char(b'/') && !is_base64_char(b'='));
        assert!(is_text(b'\t', false) && !is_text(b'\r', false) && !is_text(0x7f, false));
    }

    #[test]
    fn numbers_check_overflow() {
        assert_eq!(parse_u64(b"18446744073709551615", 20), Ok(u64::MAX));
        assert_eq!(
            parse_u64(b"18446744073709551616", 20),
            Err(DecodeError::NumberOutOfRange)
        );
        assert!(parse_u64(b"", 20).is_err());
        assert!(parse_u64(b"12a", 20).is_err());
        assert!(parse_u64(b"123", 2).is_err());
    }

    #[test]
    fn framing_finds_crlf_and_limits() {
        assert_eq!(
            frame_line(b"ab\r\ncd", 10, false),
            Ok(Some((&b"ab"[..], 4)))
        );
        assert_eq!(frame_line(b"ab", 10, false), Ok(None));
        assert_eq!(
            frame_line(b"ab\n", 10, false),
            Err(DecodeError::BareLineFeed)
        );
        assert_eq!(frame_line(b"ab\n", 10, true), Ok(Some((&b"ab"[..], 3))));
        assert_eq!(
            frame_line(b"abcdef", 4, false),
            Err(DecodeError::LineTooLong { limit: 4 })
        );
        // exactly at the limit, line end included
        assert_eq!(frame_line(b"ab\r\n", 4, false), Ok(Some((&b"ab"[..], 4))));
        assert_eq!(
            frame_line(b"abc\r\n", 4, false),
            Err(DecodeError::LineTooLong { limit: 4 })
        );
    }
}
