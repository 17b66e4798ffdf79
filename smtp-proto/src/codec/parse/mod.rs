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

/// The octet sets that have their own lookup table.
#[derive(Clone, Copy)]
enum Set {
    Ldh,
    LetDig,
    LetDigUtf8,
    Atext,
    AtextUtf8,
    EsmtpValue,
    EsmtpValueUtf8,
    Xchar,
    Digit,
    AtextValue,
    ReplyText,
}

/// Builds a membership table at compile time.
const fn table(set: Set) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let ldh = b.is_ascii_alphanumeric() || b == b'-';
        // evaluated at compile time: an index out of bounds would fail the build
        #[allow(clippy::indexing_slicing)]
        {
            table[i] = match set {
                Set::Ldh => ldh,
                Set::LetDig => b.is_ascii_alphanumeric(),
                Set::LetDigUtf8 => b.is_ascii_alphanumeric() || b >= 0x80,
                Set::Atext => is_atext_ascii(b),
                Set::AtextUtf8 => is_atext_ascii(b) || b >= 0x80,
                Set::EsmtpValue => is_esmtp_value_ascii(b),
                Set::EsmtpValueUtf8 => is_esmtp_value_ascii(b) || b >= 0x80,
                Set::Xchar => b >= 33 && b <= 126 && b != b'+' && b != b'=',
                Set::Digit => b.is_ascii_digit(),
                Set::AtextValue => is_atext_ascii(b) && is_esmtp_value_ascii(b),
                Set::ReplyText => b == b'\t' || b >= 32 && b != 127,
            };
        }
        i += 1;
    }
    table
}

/// Letters, digits and hyphen (domain labels, keywords).
pub(crate) static LDH: [bool; 256] = table(Set::Ldh);
/// Letters and digits.
static LET_DIG_ASCII: [bool; 256] = table(Set::LetDig);
/// Letters, digits and every non-ASCII octet (U-labels).
static LET_DIG_UTF8: [bool; 256] = table(Set::LetDigUtf8);
/// `atext` (RFC 5322 §3.2.3).
pub(crate) static ATEXT_ASCII: [bool; 256] = table(Set::Atext);
/// `atext` under SMTPUTF8 (RFC 6531 §3.3).
pub(crate) static ATEXT_UTF8: [bool; 256] = table(Set::AtextUtf8);

/// `esmtp-value` octets (RFC 5321 §4.1.2), as one lookup per octet.
pub(crate) static ESMTP_VALUE_ASCII: [bool; 256] = table(Set::EsmtpValue);
/// `esmtp-value` octets under SMTPUTF8 (RFC 6531 §3.3).
pub(crate) static ESMTP_VALUE_UTF8: [bool; 256] = table(Set::EsmtpValueUtf8);
/// `xchar` of RFC 3461 §4, as one lookup per octet.
pub(crate) static XCHAR_TABLE: [bool; 256] = table(Set::Xchar);
/// DIGIT.
pub(crate) static DIGIT: [bool; 256] = table(Set::Digit);
/// `atext` that may stand in an `esmtp-value` (all but "=").
pub(crate) static ATEXT_VALUE: [bool; 256] = table(Set::AtextValue);
/// Reply text: HT, SP, printable ASCII and octets beyond ASCII ([`is_text`] with UTF-8).
pub(crate) static REPLY_TEXT: [bool; 256] = table(Set::ReplyText);

/// `esmtp-value = 1*(%d33-60 / %d62-126)`.
const fn is_esmtp_value_ascii(b: u8) -> bool {
    matches!(b, 33..=60 | 62..=126)
}

const fn is_atext_ascii(b: u8) -> bool {
    b.is_ascii_alphanumeric()
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
}

/// Looks a byte up in a membership table.
#[inline(always)]
pub(crate) fn member(table: &[bool; 256], b: u8) -> bool {
    table.get(usize::from(b)).copied().unwrap_or(false)
}

/// End of the run of `table` octets that starts at `from` in `s` (`s.len()` at most).
///
/// Four octets per step, each a table lookup and a branch: the loop bookkeeping of a
/// byte-at-a-time scan costs as much as the lookups on the short runs of SMTP (labels,
/// atoms, keywords and values of a few to a few dozen octets).
#[inline(always)]
pub(crate) fn run_end(table: &[bool; 256], s: &[u8], from: usize) -> usize {
    let rest = s.get(from..).unwrap_or_default();
    let mut chunks = rest.chunks_exact(4);
    let mut at = from;
    for chunk in &mut chunks {
        let &[a, b, c, d] = chunk else {
            break;
        };
        if !member(table, a) {
            return at;
        }
        if !member(table, b) {
            return at + 1;
        }
        if !member(table, c) {
            return at + 2;
        }
        if !member(table, d) {
            return at + 3;
        }
        at += 4;
    }
    for &b in chunks.remainder() {
        if !member(table, b) {
            return at;
        }
        at += 1;
    }
    at
}

/// The label octets but the hyphen, for the mode.
#[inline(always)]
pub(crate) fn let_dig_table(utf8: bool) -> &'static [bool; 256] {
    if utf8 {
        &LET_DIG_UTF8
    } else {
        &LET_DIG_ASCII
    }
}

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

/// `atext` (the tables above serve the scanners; this serves the table tests).
#[cfg(test)]
fn is_atext(b: u8, utf8: bool) -> bool {
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

/// Parses `1*max_digits DIGIT` as a u64: an error for an empty or too long run, a
/// non-digit, or a value above `u64::MAX`.
#[inline]
pub(crate) fn parse_u64(digits: &[u8], max_digits: usize) -> Result<u64, DecodeError> {
    if digits.is_empty() || digits.len() > max_digits {
        return Err(DecodeError::NumberOutOfRange);
    }
    let mut value: u64 = 0;
    if digits.len() <= 19 {
        // 19 digits stay below 2^64: no overflow check needed on this, the usual, path
        for &d in digits {
            let digit = d.wrapping_sub(b'0');
            if digit > 9 {
                return Err(DecodeError::NumberOutOfRange);
            }
            value = value * 10 + u64::from(digit);
        }
        return Ok(value);
    }
    for &d in digits {
        let digit = d.wrapping_sub(b'0');
        if digit > 9 {
            return Err(DecodeError::NumberOutOfRange);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
            .ok_or(DecodeError::NumberOutOfRange)?;
    }
    Ok(value)
}

/// Finds `needle` in `haystack` (short slices: a plain loop beats a SIMD setup).
#[inline]
pub(crate) fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// How much of a line [`find_lf_words`] scans before memchr takes over.
const LINE_HEAD: usize = 128;

/// The octets of `word` (little-endian) that equal LF, as the high bit of each: an octet
/// equal to LF becomes zero after the XOR, and the lowest set bit of the zero-octet test
/// marks the first one (a borrow only ever flags octets above a true zero).
#[inline(always)]
fn lf_mask(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    const LFS: u64 = u64::from_le_bytes([b'\n'; 8]);
    let x = word ^ LFS;
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Position of the first LF in `s`, sixteen octets per step (two words tested with one
/// branch). Lines longer than [`LINE_HEAD`] are left to memchr.
#[inline(always)]
pub(crate) fn find_lf_words(s: &[u8]) -> Option<usize> {
    let mut rest = s;
    let mut offset = 0;
    while let Some((pair, tail)) = rest.split_first_chunk::<16>() {
        let (low, high) = pair.split_at(8);
        let low = lf_mask(u64::from_le_bytes(low.try_into().unwrap_or_default()));
        let high = lf_mask(u64::from_le_bytes(high.try_into().unwrap_or_default()));
        if low | high != 0 {
            // at most 15: fits any usize
            let bit = if low != 0 {
                low.trailing_zeros()
            } else {
                64 + high.trailing_zeros()
            };
            return Some(offset + (bit / 8) as usize);
        }
        offset += 16;
        rest = tail;
        if offset >= LINE_HEAD {
            return memchr::memchr(b'\n', rest).map(|lf| lf + offset);
        }
    }
    if let Some((word, tail)) = rest.split_first_chunk::<8>() {
        let mask = lf_mask(u64::from_le_bytes(*word));
        if mask != 0 {
            return Some(offset + (mask.trailing_zeros() / 8) as usize);
        }
        offset += 8;
        rest = tail;
    }
    find_byte(b'\n', rest).map(|i| i + offset)
}

/// Finds the first line of `input`: returns the line without its end and the number of
/// octets it takes with its end, `None` when no line end arrived yet.
///
/// `max` counts the line end. A bare LF is an error unless `bare_lf_ok`.
#[inline(always)]
pub(crate) fn frame_line(
    input: &[u8],
    max: usize,
    bare_lf_ok: bool,
) -> Result<Option<(&[u8], usize)>, DecodeError> {
    let window = input.get(..max).unwrap_or(input);
    match find_lf_words(window) {
        Some(lf) => {
            let before = window.get(..lf).unwrap_or_default();
            match before.split_last() {
                Some((b'\r', line)) => Ok(Some((line, lf + 1))),
                _ if bare_lf_ok => Ok(Some((before, lf + 1))),
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
    fn runs_end_at_the_first_octet_outside_the_set() {
        for len in 0..20 {
            for stop in 0..=len {
                let mut s = vec![b'a'; len];
                if let Some(b) = s.get_mut(stop) {
                    *b = b'.';
                }
                for from in 0..=stop {
                    assert_eq!(run_end(&LDH, &s, from), stop, "len {len} stop {stop}");
                }
            }
        }
        assert_eq!(run_end(&LDH, b"ab", 2), 2);
        assert_eq!(run_end(&LDH, "é".as_bytes(), 0), 0);
        assert_eq!(run_end(&LET_DIG_UTF8, "éa-".as_bytes(), 0), 3);
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
    fn value_tables_agree_with_the_classes() {
        for b in 0..=255u8 {
            assert_eq!(
                member(&ESMTP_VALUE_ASCII, b),
                is_esmtp_value_octet(b, false)
            );
            assert_eq!(member(&ESMTP_VALUE_UTF8, b), is_esmtp_value_octet(b, true));
            assert_eq!(member(&XCHAR_TABLE, b), is_xchar(b));
            assert_eq!(member(&REPLY_TEXT, b), is_text(b, true));
        }
    }

    #[test]
    fn word_scan_finds_the_first_lf() {
        for len in 0..40 {
            for at in 0..len {
                let mut s = vec![b'a'; len];
                s[at] = b'\n';
                if at + 3 < len {
                    s[at + 3] = b'\n';
                }
                // octets right below and above LF must not be taken for it
                if at > 0 {
                    s[at - 1] = 0x0b;
                }
                assert_eq!(find_lf_words(&s), Some(at), "len {len} at {at}");
            }
            assert_eq!(find_lf_words(&vec![0x09; len]), None);
        }
        assert_eq!(find_lf_words(&[0x8a, 0x0a]), Some(1));
        assert_eq!(find_lf_words(&[0x0b, 0x00, 0x0a]), Some(2));
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
