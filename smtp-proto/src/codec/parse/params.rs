//! `esmtp-param` lists of MAIL and RCPT, and xtext (RFC 3461 §4).

use std::borrow::Cow;

use super::{is_esmtp_value_octet, is_let_dig, is_xchar, parse_u64};
use crate::error::DecodeError;
use crate::types::{
    AuthIdentity, Body, EsmtpParameter, MailParameters, Notify, OriginalRecipient, OtherParameters,
    RcptParameters, Ret, XText,
};

/// `xtext = *( xchar / hexchar )`; hex digits of either case are accepted (ABNF's HEXDIG
/// is case-insensitive), the encoder writes upper case.
pub(crate) fn is_xtext(s: &[u8]) -> bool {
    // xtext allows empty, but every esmtp-value that carries it needs one octet or more
    if s.is_empty() {
        return false;
    }
    let mut i = 0;
    loop {
        // a run of xchar, then a hexchar or the end
        i = super::run_end(&super::XCHAR_TABLE, s, i);
        match s.get(i) {
            None => return true,
            Some(b'+') => {
                let hex = |j: usize| s.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
            }
            Some(_) => return false,
        }
    }
}

/// Encodes octets as xtext.
pub(crate) fn xtext_encode(raw: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(raw.len());
    for &b in raw {
        if is_xchar(b) {
            out.push(char::from(b));
        } else {
            out.push('+');
            for nibble in [b >> 4, b & 0x0f] {
                let digit = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
                out.push(char::from(digit));
            }
        }
    }
    out
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

/// Iterates the octets an xtext stands for (the input is validated xtext).
pub(crate) fn xtext_octets(bytes: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let b = *bytes.get(i)?;
        if b == b'+' {
            let hi = hex_value(bytes.get(i + 1).copied().unwrap_or(b'0'));
            let lo = hex_value(bytes.get(i + 2).copied().unwrap_or(b'0'));
            i += 3;
            Some(hi << 4 | lo)
        } else {
            i += 1;
            Some(b)
        }
    })
}

/// Decodes validated xtext.
pub(crate) fn xtext_decode(s: &[u8]) -> Cow<'_, [u8]> {
    if !s.contains(&b'+') {
        return Cow::Borrowed(s);
    }
    Cow::Owned(xtext_octets(s).collect())
}

/// RFC 5322 `atom = 1*atext` (ASCII only).
pub(crate) fn is_atom(s: &[u8]) -> bool {
    !s.is_empty() && super::run_end(&super::ATEXT_ASCII, s, 0) == s.len()
}

/// `esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
pub(crate) fn is_esmtp_keyword(s: &[u8]) -> bool {
    s.first().is_some_and(|&b| is_let_dig(b)) && s.iter().all(|&b| is_let_dig(b) || b == b'-')
}

/// `esmtp-value = 1*(%d33-60 / %d62-126)`, plus UTF8-non-ascii under SMTPUTF8.
pub(crate) fn is_esmtp_value(s: &[u8], utf8: bool) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_esmtp_value_octet(b, utf8))
}

/// The parameters with a typed field.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Size,
    Body,
    SmtpUtf8,
    Ret,
    Envid,
    Auth,
    RequireTls,
    Notify,
    Orcpt,
}

impl Known {
    fn name(self) -> &'static str {
        match self {
            Known::Size => "SIZE",
            Known::Body => "BODY",
            Known::SmtpUtf8 => "SMTPUTF8",
            Known::Ret => "RET",
            Known::Envid => "ENVID",
            Known::Auth => "AUTH",
            Known::RequireTls => "REQUIRETLS",
            Known::Notify => "NOTIFY",
            Known::Orcpt => "ORCPT",
        }
    }

    /// Recognises a keyword, ignoring ASCII case: the keyword is folded into one word
    /// and compared once per candidate of its length.
    #[inline]
    fn of(keyword: &[u8]) -> Option<Known> {
        Known::at(keyword, 0, keyword.len())
    }

    /// [`Known::of`] the `len` octets at `at` in `buf`.
    #[inline(always)]
    fn at(buf: &[u8], at: usize, len: usize) -> Option<Known> {
        if len == 10 {
            return buf
                .get(at..at + len)
                .is_some_and(|k| k.eq_ignore_ascii_case(b"REQUIRETLS"))
                .then_some(Known::RequireTls);
        }
        let folded = fold_word_at(buf, at, len)?;
        Some(match folded {
            w if w == word(b"ret") => Known::Ret,
            w if w == word(b"size") => Known::Size,
            w if w == word(b"body") => Known::Body,
            w if w == word(b"auth") => Known::Auth,
            w if w == word(b"envid") => Known::Envid,
            w if w == word(b"orcpt") => Known::Orcpt,
            w if w == word(b"notify") => Known::Notify,
            w if w == word(b"smtputf8") => Known::SmtpUtf8,
            _ => return None,
        })
    }
}

/// Up to eight lower-case octets as one word, zero-padded (a constant to compare with).
const fn word(s: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let mut i = 0;
    while i < s.len() && i < 8 {
        // both indices are below the bounds the loop checks; evaluated at compile time
        #[allow(clippy::indexing_slicing)]
        {
            bytes[i] = s[i];
        }
        i += 1;
    }
    u64::from_le_bytes(bytes)
}

/// Up to eight octets as one word with `| 0x20` on each, zero-padded; `None` when longer.
///
/// Equal to [`word`] of a lower-case candidate exactly when the octets match it ignoring
/// ASCII case, provided each octet is a letter, a digit or "-" on the candidate's side:
/// the only octets that fold onto a letter are its two cases, and onto a digit or "-"
/// only the control octets 0x10-0x19 and 0x0D, which no caller passes in (keywords are
/// LDH-checked, values are esmtp-value octets, %d33-126).
#[inline(always)]
fn fold_word(s: &[u8]) -> Option<u64> {
    let len = s.len();
    if len > 8 {
        return None;
    }
    // ones over the `len` low octets (the first ones in memory)
    let mask = u64::MAX.checked_shr(8 * (8 - len as u32)).unwrap_or(0);
    let word = match s.first_chunk::<8>() {
        Some(octets) => u64::from_le_bytes(*octets),
        None => {
            // shorter than a word: assemble it octet by octet (no copy call)
            let mut word = 0;
            for (i, &b) in s.iter().enumerate() {
                word |= u64::from(b) << (8 * i);
            }
            word
        }
    };
    Some((word | 0x2020_2020_2020_2020) & mask)
}

/// [`fold_word`] of the `len` octets at `at` in `buf`, read with one 8-octet load when
/// `buf` has eight octets from `at` (or up to `at + len`) instead of octet by octet.
#[inline(always)]
fn fold_word_at(buf: &[u8], at: usize, len: usize) -> Option<u64> {
    if len > 8 {
        return None;
    }
    let mask = u64::MAX.checked_shr(8 * (8 - len as u32)).unwrap_or(0);
    if let Some(octets) = buf.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        return Some((u64::from_le_bytes(*octets) | 0x2020_2020_2020_2020) & mask);
    }
    let end = at.checked_add(len)?;
    if let Some(octets) = buf.get(..end).and_then(<[u8]>::last_chunk::<8>) {
        // the word ends with our octets: shift them down
        let word = u64::from_le_bytes(*octets).checked_shr(8 * (8 - len as u32));
        return Some((word.unwrap_or(0) | 0x2020_2020_2020_2020) & mask);
    }
    fold_word(buf.get(at..end)?)
}

/// The canonical spelling of a keyword that has a typed field, if `keyword` is one.
pub(crate) fn known_keyword(keyword: &str) -> Option<&'static str> {
    Known::of(keyword.as_bytes()).map(Known::name)
}

/// Splits a validated parameter section into parameters.
pub(crate) fn split_params(raw: &str) -> impl Iterator<Item = EsmtpParameter<'_>> + '_ {
    raw.split(' ')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((keyword, value)) => EsmtpParameter {
                keyword,
                value: Some(value),
            },
            None => EsmtpParameter {
                keyword: p,
                value: None,
            },
        })
}

/// Checks an AUTH= xtext: it must decode to `<>` or to a mailbox.
pub(crate) fn auth_identity_from_xtext(value: XText<'_>) -> Result<AuthIdentity<'_>, DecodeError> {
    const INVALID: DecodeError = DecodeError::InvalidParameter { keyword: "AUTH" };
    // a mailbox is at most 254 octets (path limit minus brackets); decode into the stack
    let mut buf = [0u8; crate::types::MAX_PATH_LEN];
    let mut len = 0;
    for b in xtext_octets(value.as_bytes()) {
        *buf.get_mut(len).ok_or(INVALID)? = b;
        len += 1;
    }
    let decoded = buf.get(..len).ok_or(INVALID)?;
    if decoded == b"<>" {
        return Ok(AuthIdentity::Unknown);
    }
    // the identity may be UTF-8 (RFC 6531 §3.3); parsing it as such needs valid UTF-8
    let text = std::str::from_utf8(decoded).map_err(|_| INVALID)?;
    match super::address::parse_mailbox(text.as_bytes(), true) {
        Ok((_, consumed))
            if consumed == text.len() && consumed + 2 <= crate::types::MAX_PATH_LEN =>
        {
            Ok(AuthIdentity::Mailbox(value))
        }
        _ => Err(INVALID),
    }
}

/// Walks the space-separated parameters of a section, checking
/// `esmtp-keyword ["=" esmtp-value]` as it goes; an empty parameter (two spaces, or a
/// space at either end) is malformed.
struct ParamScanner<'a> {
    raw: &'a [u8],
    at: usize,
    utf8: bool,
    done: bool,
}

impl<'a> ParamScanner<'a> {
    fn new(raw: &'a [u8], utf8: bool) -> Self {
        ParamScanner {
            raw,
            at: 0,
            utf8,
            done: false,
        }
    }

    /// The next keyword: what it means and where it ends; `None` after the last one.
    #[inline(always)]
    fn next_keyword(&mut self) -> Result<Option<(Option<Known>, usize)>, DecodeError> {
        if self.done {
            return Ok(None);
        }
        let bytes = self.raw;
        let start = self.at;
        match bytes.get(start) {
            Some(&b) if is_let_dig(b) => {}
            _ => return Err(DecodeError::MalformedParameter),
        }
        let end = super::run_end(&super::LDH, bytes, start + 1);
        Ok(Some((Known::at(bytes, start, end - start), end)))
    }

    /// The value after the keyword ending at `keyword_end`, read in one pass by the
    /// grammar of its keyword: `read` gets the section and where the value starts, and
    /// gives where the value ends (before a space or the end of the section) with what
    /// it read. `None`, and the cursor unmoved, when there is no `=` or `read` declines;
    /// [`ParamScanner::value`] then reads the value the general way.
    ///
    /// Whatever `read` accepts is `1*esmtp-value` followed by a space or the end, so the
    /// general way would have found the same value.
    #[inline(always)]
    fn typed_value<T>(
        &mut self,
        keyword_end: usize,
        read: impl FnOnce(&'a [u8], usize) -> Option<(usize, T)>,
    ) -> Option<((usize, usize), T)> {
        if self.raw.get(keyword_end) != Some(&b'=') {
            return None;
        }
        let start = keyword_end + 1;
        let (end, value) = read(self.raw, start)?;
        match self.raw.get(end) {
            None => self.done = true,
            Some(b' ') if end > start => self.at = end + 1,
            Some(_) => return None,
        }
        Some(((start, end), value))
    }

    /// The value after the keyword ending at `keyword_end`, if any, as `1*esmtp-value`,
    /// and the space or end after it.
    #[inline(always)]
    fn value(&mut self, keyword_end: usize) -> Result<Option<(usize, usize)>, DecodeError> {
        const MALFORMED: DecodeError = DecodeError::MalformedParameter;
        let bytes = self.raw;
        let mut i = keyword_end;
        let value = if bytes.get(i) == Some(&b'=') {
            let value_start = i + 1;
            let value_octet = if self.utf8 {
                &super::ESMTP_VALUE_UTF8
            } else {
                &super::ESMTP_VALUE_ASCII
            };
            i = super::run_end(value_octet, bytes, value_start);
            if i == value_start {
                return Err(MALFORMED);
            }
            Some((value_start, i))
        } else {
            None
        };
        match bytes.get(i) {
            None => self.done = true,
            Some(b' ') => self.at = i + 1,
            Some(_) => return Err(MALFORMED),
        }
        Ok(value)
    }
}

/// Up to eight octets at `at`, folded like [`fold_word`], zeros past the end of `raw`:
/// compared under a mask, it matches a candidate of known length without first finding
/// where the value ends.
#[inline(always)]
fn folded_word_at(raw: &[u8], at: usize) -> u64 {
    let left = raw.len().saturating_sub(at);
    let word = match raw.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        Some(octets) => u64::from_le_bytes(*octets),
        // the section's last word holds what is left in its top octets
        None => match raw.last_chunk::<8>() {
            Some(octets) => u64::from_le_bytes(*octets)
                .checked_shr(8 * (8 - left as u32))
                .unwrap_or(0),
            None => fold_word(raw.get(at..).unwrap_or_default()).unwrap_or(0),
        },
    };
    word | 0x2020_2020_2020_2020
}

/// Ones over the `len` (at most 8) low octets.
const fn low_octets(len: u32) -> u64 {
    if len >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * len)) - 1
    }
}

/// `NOTIFY=` as clients send it: SUCCESS, FAILURE and DELAY joined by commas, each
/// matched as one folded word. NEVER and anything unusual go the general way.
#[inline(always)]
fn read_notify(raw: &[u8], start: usize) -> Option<(usize, Notify)> {
    let (mut success, mut failure, mut delay) = (false, false, false);
    let mut at = start;
    loop {
        let folded = folded_word_at(raw, at);
        let seven = folded & low_octets(7);
        let len = if seven == word(b"success") {
            success = true;
            7
        } else if seven == word(b"failure") {
            failure = true;
            7
        } else if folded & low_octets(5) == word(b"delay") {
            delay = true;
            5
        } else {
            return None;
        };
        at += len;
        match raw.get(at) {
            Some(b',') => at += 1,
            _ => return Some((at, Notify::on(success, failure, delay)?)),
        }
    }
}

/// `SIZE=` of up to 19 digits (which always fits in a u64); longer ones go the general
/// way.
#[inline(always)]
fn read_size(raw: &[u8], start: usize) -> Option<(usize, u64)> {
    let end = super::run_end(&super::DIGIT, raw, start);
    let digits = raw.get(start..end)?;
    if digits.len() > 19 {
        return None;
    }
    Some((end, parse_u64(digits, 19).ok()?))
}

/// `BODY=` of the three registered values.
#[inline(always)]
fn read_body(raw: &[u8], start: usize) -> Option<(usize, Body)> {
    let folded = folded_word_at(raw, start);
    if folded == word(b"8bitmime") {
        Some((start + 8, Body::EightBitMime))
    } else if folded & low_octets(4) == word(b"7bit") {
        Some((start + 4, Body::SevenBit))
    } else {
        let value = raw.get(start..start + 10)?;
        value
            .eq_ignore_ascii_case(b"BINARYMIME")
            .then_some((start + 10, Body::BinaryMime))
    }
}

/// `RET=HDRS` or `RET=FULL`.
#[inline(always)]
fn read_ret(raw: &[u8], start: usize) -> Option<(usize, Ret)> {
    let folded = folded_word_at(raw, start) & low_octets(4);
    if folded == word(b"hdrs") {
        Some((start + 4, Ret::Headers))
    } else if folded == word(b"full") {
        Some((start + 4, Ret::Full))
    } else {
        None
    }
}

/// A non-empty xtext from `start`, in one pass: runs of xchar and `+HH`; it ends at the
/// first other octet.
#[inline(always)]
fn read_xtext(raw: &[u8], start: usize) -> Option<(usize, ())> {
    let mut at = start;
    loop {
        at = super::run_end(&super::XCHAR_TABLE, raw, at);
        match raw.get(at) {
            Some(b'+')
                if raw.get(at + 1).is_some_and(u8::is_ascii_hexdigit)
                    && raw.get(at + 2).is_some_and(u8::is_ascii_hexdigit) =>
            {
                at += 3
            }
            _ => return (at > start).then_some((at, ())),
        }
    }
}

/// `ORCPT=addr-type;xtext` in one pass: the atom, its semicolon (whose position is
/// given), the xtext. An esmtp-value has no "=", so neither has the atom here.
#[inline(always)]
fn read_orcpt(raw: &[u8], start: usize) -> Option<(usize, usize)> {
    let semicolon = super::run_end(&super::ATEXT_VALUE, raw, start);
    if semicolon == start || raw.get(semicolon) != Some(&b';') {
        return None;
    }
    let (end, ()) = read_xtext(raw, semicolon + 1)?;
    Some((end, semicolon))
}

fn set_once<T>(slot: &mut Option<T>, value: T, keyword: &'static str) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(DecodeError::DuplicateParameter { keyword });
    }
    *slot = Some(value);
    Ok(())
}

fn flag_once(
    slot: &mut bool,
    value: Option<(usize, usize)>,
    keyword: &'static str,
) -> Result<(), DecodeError> {
    if value.is_some() {
        return Err(DecodeError::InvalidParameter { keyword });
    }
    if *slot {
        return Err(DecodeError::DuplicateParameter { keyword });
    }
    *slot = true;
    Ok(())
}

fn required(
    value: Option<(usize, usize)>,
    keyword: &'static str,
) -> Result<(usize, usize), DecodeError> {
    value.ok_or(DecodeError::InvalidParameter { keyword })
}

/// The octets of a value span of `raw`.
fn octets(raw: &[u8], (start, end): (usize, usize)) -> &[u8] {
    raw.get(start..end).unwrap_or_default()
}

fn parse_body(raw: &[u8], (start, end): (usize, usize)) -> Result<Body, DecodeError> {
    const INVALID: DecodeError = DecodeError::InvalidParameter { keyword: "BODY" };
    match fold_word_at(raw, start, end - start) {
        Some(w) if w == word(b"8bitmime") => Ok(Body::EightBitMime),
        Some(w) if w == word(b"7bit") => Ok(Body::SevenBit),
        Some(_) => Err(INVALID),
        None if octets(raw, (start, end)).eq_ignore_ascii_case(b"BINARYMIME") => {
            Ok(Body::BinaryMime)
        }
        None => Err(INVALID),
    }
}

fn parse_ret(raw: &[u8], (start, end): (usize, usize)) -> Result<Ret, DecodeError> {
    match fold_word_at(raw, start, end - start) {
        Some(w) if w == word(b"hdrs") => Ok(Ret::Headers),
        Some(w) if w == word(b"full") => Ok(Ret::Full),
        _ => Err(DecodeError::InvalidParameter { keyword: "RET" }),
    }
}

fn parse_notify(raw: &[u8], (start, end): (usize, usize)) -> Result<Notify, DecodeError> {
    const INVALID: DecodeError = DecodeError::InvalidParameter { keyword: "NOTIFY" };
    if fold_word_at(raw, start, end - start) == Some(word(b"never")) {
        return Ok(Notify::NEVER);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    let mut element = start;
    loop {
        let comma = octets(raw, (element, end))
            .iter()
            .position(|&b| b == b',')
            .map_or(end, |i| element + i);
        match fold_word_at(raw, element, comma - element) {
            Some(w) if w == word(b"success") => success = true,
            Some(w) if w == word(b"failure") => failure = true,
            Some(w) if w == word(b"delay") => delay = true,
            // includes NEVER mixed with others, which RFC 3461 §4.1 forbids
            _ => return Err(INVALID),
        }
        if comma == end {
            break;
        }
        element = comma + 1;
    }
    Notify::on(success, failure, delay).ok_or(INVALID)
}

fn parse_xtext_value<'a>(value: &'a [u8], keyword: &'static str) -> Result<XText<'a>, DecodeError> {
    if !is_xtext(value) {
        return Err(DecodeError::InvalidParameter { keyword });
    }
    Ok(XText::from_valid(value))
}

/// Parses the parameter section of MAIL (after the path and its space).
pub(crate) fn parse_mail_params(raw: &[u8], utf8: bool) -> Result<MailParameters<'_>, DecodeError> {
    // locals rather than fields of the result: they stay in registers while parsing
    let mut size = None;
    let mut body = None;
    let mut smtputf8 = false;
    let mut ret = None;
    let mut envid = None;
    let mut auth = None;
    let mut requiretls = false;
    let mut has_other = false;
    let mut scanner = ParamScanner::new(raw, utf8);
    while let Some((known, keyword_end)) = scanner.next_keyword()? {
        // the usual values in one pass each; the general way below for the rest
        match known {
            Some(Known::Size) => {
                if let Some((_, n)) = scanner.typed_value(keyword_end, read_size) {
                    set_once(&mut size, n, "SIZE")?;
                    continue;
                }
            }
            Some(Known::Body) => {
                if let Some((_, value)) = scanner.typed_value(keyword_end, read_body) {
                    set_once(&mut body, value, "BODY")?;
                    continue;
                }
            }
            Some(Known::Ret) => {
                if let Some((_, value)) = scanner.typed_value(keyword_end, read_ret) {
                    set_once(&mut ret, value, "RET")?;
                    continue;
                }
            }
            Some(Known::Envid) => {
                if let Some((span, ())) = scanner.typed_value(keyword_end, read_xtext) {
                    set_once(&mut envid, XText::from_valid(octets(raw, span)), "ENVID")?;
                    continue;
                }
            }
            _ => {}
        }
        let value = scanner.value(keyword_end)?;
        let Some(known) = known else {
            has_other = true;
            continue;
        };
        let name = known.name();
        match known {
            Known::Size => {
                let digits = octets(raw, required(value, name)?);
                // size-value ::= 1*20DIGIT (RFC 1870); more than u64 is out of range
                let n = parse_u64(digits, 20).map_err(|_| {
                    if digits.iter().all(u8::is_ascii_digit) && !digits.is_empty() {
                        DecodeError::NumberOutOfRange
                    } else {
                        DecodeError::InvalidParameter { keyword: name }
                    }
                })?;
                set_once(&mut size, n, name)?;
            }
            Known::Body => set_once(&mut body, parse_body(raw, required(value, name)?)?, name)?,
            Known::SmtpUtf8 => flag_once(&mut smtputf8, value, name)?,
            Known::Ret => set_once(&mut ret, parse_ret(raw, required(value, name)?)?, name)?,
            Known::Envid => {
                let xtext = parse_xtext_value(octets(raw, required(value, name)?), name)?;
                set_once(&mut envid, xtext, name)?;
            }
            Known::Auth => {
                let xtext = parse_xtext_value(octets(raw, required(value, name)?), name)?;
                set_once(&mut auth, auth_identity_from_xtext(xtext)?, name)?;
            }
            Known::RequireTls => flag_once(&mut requiretls, value, name)?,
            Known::Notify | Known::Orcpt => {
                return Err(DecodeError::MisplacedParameter { keyword: name })
            }
        }
    }
    Ok(MailParameters {
        size,
        body,
        smtputf8,
        ret,
        envid,
        auth,
        requiretls,
        other: if has_other {
            OtherParameters::from_valid(raw)
        } else {
            OtherParameters::new()
        },
    })
}

/// Parses the parameter section of RCPT.
pub(crate) fn parse_rcpt_params(raw: &[u8], utf8: bool) -> Result<RcptParameters<'_>, DecodeError> {
    let mut notify = None;
    let mut orcpt = None;
    let mut has_other = false;
    let mut scanner = ParamScanner::new(raw, utf8);
    while let Some((known, keyword_end)) = scanner.next_keyword()? {
        // the usual values in one pass each; the general way below for the rest
        match known {
            Some(Known::Notify) => {
                if let Some((_, value)) = scanner.typed_value(keyword_end, read_notify) {
                    set_once(&mut notify, value, "NOTIFY")?;
                    continue;
                }
            }
            Some(Known::Orcpt) => {
                if let Some(((start, end), semicolon)) =
                    scanner.typed_value(keyword_end, read_orcpt)
                {
                    let address_type = octets(raw, (start, semicolon));
                    let address = octets(raw, (semicolon + 1, end));
                    let value = OriginalRecipient::from_valid(address_type, address);
                    set_once(&mut orcpt, value, "ORCPT")?;
                    continue;
                }
            }
            _ => {}
        }
        let value = scanner.value(keyword_end)?;
        let Some(known) = known else {
            has_other = true;
            continue;
        };
        let name = known.name();
        match known {
            Known::Notify => set_once(
                &mut notify,
                parse_notify(raw, required(value, name)?)?,
                name,
            )?,
            Known::Orcpt => {
                let invalid = DecodeError::InvalidParameter { keyword: name };
                let value = octets(raw, required(value, name)?);
                // addr-type ends at the first octet outside atext, which must be ";"
                let semicolon = super::run_end(&super::ATEXT_ASCII, value, 0);
                if semicolon == 0 || value.get(semicolon) != Some(&b';') {
                    return Err(invalid);
                }
                let addr_type = value.get(..semicolon).ok_or(invalid)?;
                let address = value.get(semicolon + 1..).ok_or(invalid)?;
                if !is_xtext(address) {
                    return Err(invalid);
                }
                set_once(
                    &mut orcpt,
                    OriginalRecipient::from_valid(addr_type, address),
                    name,
                )?;
            }
            _ => return Err(DecodeError::MisplacedParameter { keyword: name }),
        }
    }
    Ok(RcptParameters {
        notify,
        orcpt,
        other: if has_other {
            OtherParameters::from_valid(raw)
        } else {
            OtherParameters::new()
        },
    })
}

fn push_param(out: &mut Vec<u8>, keyword: &str, value: Option<&[u8]>) {
    out.push(b' ');
    out.extend_from_slice(keyword.as_bytes());
    if let Some(v) = value {
        out.push(b'=');
        out.extend_from_slice(v);
    }
}

/// Writes ` KEY=VALUE` for each MAIL parameter.
pub(crate) fn encode_mail_params(params: &MailParameters<'_>, out: &mut Vec<u8>) {
    if let Some(size) = params.size {
        out.extend_from_slice(b" SIZE=");
        out.extend_from_slice(size.to_string().as_bytes());
    }
    if let Some(body) = params.body {
        push_param(out, "BODY", Some(body.as_str().as_bytes()));
    }
    if params.smtputf8 {
        push_param(out, "SMTPUTF8", None);
    }
    if let Some(ret) = params.ret {
        push_param(out, "RET", Some(ret.as_str().as_bytes()));
    }
    if let Some(envid) = &params.envid {
        push_param(out, "ENVID", Some(envid.as_bytes()));
    }
    match &params.auth {
        Some(AuthIdentity::Unknown) => push_param(out, "AUTH", Some(b"<>")),
        Some(AuthIdentity::Mailbox(x)) => push_param(out, "AUTH", Some(x.as_bytes())),
        None => {}
    }
    if params.requiretls {
        push_param(out, "REQUIRETLS", None);
    }
    for p in params.other.iter() {
        push_param(out, p.keyword, p.value.map(str::as_bytes));
    }
}

/// Writes ` KEY=VALUE` for each RCPT parameter.
pub(crate) fn encode_rcpt_params(params: &RcptParameters<'_>, out: &mut Vec<u8>) {
    if let Some(notify) = params.notify {
        push_param(out, "NOTIFY", Some(notify.to_string().as_bytes()));
    }
    if let Some(orcpt) = &params.orcpt {
        out.extend_from_slice(b" ORCPT=");
        out.extend_from_slice(orcpt.address_type().as_bytes());
        out.push(b';');
        out.extend_from_slice(orcpt.address().as_bytes());
    }
    for p in params.other.iter() {
        push_param(out, p.keyword, p.value.map(str::as_bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keywords_in_any_case() {
        for k in [
            "SIZE",
            "BODY",
            "SMTPUTF8",
            "RET",
            "ENVID",
            "AUTH",
            "REQUIRETLS",
            "NOTIFY",
            "ORCPT",
        ] {
            assert_eq!(known_keyword(k), Some(k));
            assert_eq!(known_keyword(&k.to_ascii_lowercase()), Some(k));
        }
        for k in ["SIZ", "SIZES", "X-SIZE", "", "HOLDFOR", "MT-PRIORITY"] {
            assert_eq!(known_keyword(k), None, "{k}");
        }
    }

    #[test]
    fn folded_words_match_ignoring_case_only() {
        assert_eq!(fold_word(b"SmTpUtF8"), Some(word(b"smtputf8")));
        assert_eq!(fold_word(b"NOTIFY"), Some(word(b"notify")));
        assert_ne!(fold_word(b"NOTIF"), Some(word(b"notify")));
        assert_ne!(fold_word(b"NOTIFYX"), Some(word(b"notify")));
        assert_eq!(fold_word(b""), Some(0));
        assert_eq!(fold_word(b"REQUIRETL"), None);
        assert!(Known::of(b"RequireTLS") == Some(Known::RequireTls));
        assert!(Known::of(b"SIZ").is_none() && Known::of(b"SIZEE").is_none());
        for name in [
            "RET", "SIZE", "BODY", "AUTH", "ENVID", "ORCPT", "NOTIFY", "SMTPUTF8",
        ] {
            let known = Known::of(name.to_ascii_lowercase().as_bytes()).unwrap();
            assert_eq!(known.name(), name);
        }
        assert_eq!(
            parse_notify(b"success,FAILURE,Delay", (0, 21)).unwrap(),
            Notify::on(true, true, true).unwrap()
        );
        assert_eq!(parse_notify(b"Never", (0, 5)).unwrap(), Notify::NEVER);
        assert!(parse_notify(b"NEVER,SUCCESS", (0, 13)).is_err());
        assert!(parse_notify(b"SUCCES", (0, 6)).is_err());
        assert!(parse_notify(b"SUCCESS,", (0, 8)).is_err());
        assert_eq!(parse_body(b"8bitMIME", (0, 8)).unwrap(), Body::EightBitMime);
        assert_eq!(parse_body(b"7Bit", (0, 4)).unwrap(), Body::SevenBit);
        assert_eq!(
            parse_body(b"binaryMime", (0, 10)).unwrap(),
            Body::BinaryMime
        );
        assert!(
            parse_body(b"8BIT", (0, 4)).is_err() && parse_body(b"BINARYMIMEX", (0, 11)).is_err()
        );
        assert_eq!(parse_ret(b"hdrs", (0, 4)).unwrap(), Ret::Headers);
        assert_eq!(parse_ret(b"FULL", (0, 4)).unwrap(), Ret::Full);
        assert!(parse_ret(b"FUL", (0, 3)).is_err());
    }

    #[test]
    fn xtext_round_trip() {
        assert!(is_xtext(b"abc+2B+3d"));
        assert!(!is_xtext(b"a+2"));
        assert!(!is_xtext(b"a+zz"));
        assert!(!is_xtext(b"a b"));
        assert!(!is_xtext(b"a=b"));
        assert!(!is_xtext(b""));
        let raw = b"e=mc2 +\x00\xff";
        let encoded = xtext_encode(raw);
        assert_eq!(encoded, "e+3Dmc2+20+2B+00+FF");
        assert_eq!(&*xtext_decode(encoded.as_bytes()), raw);
        assert_eq!(&*xtext_decode(b"a+3d"), b"a=");
    }

    #[test]
    fn mail_params() {
        let p = parse_mail_params(
            b"SIZE=100 body=8bitmime SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS X-Y=z",
            false,
        )
        .unwrap();
        assert_eq!(p.size, Some(100));
        assert_eq!(p.body, Some(Body::EightBitMime));
        assert!(p.smtputf8 && p.requiretls);
        assert_eq!(p.ret, Some(Ret::Headers));
        assert_eq!(p.envid.as_ref().map(XText::as_str), Some("QQ314159"));
        assert_eq!(p.auth, Some(AuthIdentity::Unknown));
        assert_eq!(
            p.other.iter().collect::<Vec<_>>(),
            vec![EsmtpParameter {
                keyword: "X-Y",
                value: Some("z")
            }]
        );
        let mut out = Vec::new();
        encode_mail_params(&p, &mut out);
        assert_eq!(
            out,
            b" SIZE=100 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159 AUTH=<> REQUIRETLS X-Y=z"
        );
    }

    #[test]
    fn mail_param_errors() {
        let cases: [(&str, DecodeError); 12] = [
            (
                "SIZE=1 SIZE=2",
                DecodeError::DuplicateParameter { keyword: "SIZE" },
            ),
            ("SIZE", DecodeError::InvalidParameter { keyword: "SIZE" }),
            ("SIZE=x", DecodeError::InvalidParameter { keyword: "SIZE" }),
            ("SIZE=99999999999999999999", DecodeError::NumberOutOfRange),
            (
                "BODY=9BIT",
                DecodeError::InvalidParameter { keyword: "BODY" },
            ),
            (
                "SMTPUTF8=yes",
                DecodeError::InvalidParameter {
                    keyword: "SMTPUTF8",
                },
            ),
            (
                "AUTH=not-a-mailbox",
                DecodeError::InvalidParameter { keyword: "AUTH" },
            ),
            (
                "NOTIFY=NEVER",
                DecodeError::MisplacedParameter { keyword: "NOTIFY" },
            ),
            ("SIZE=1  BODY=7BIT", DecodeError::MalformedParameter),
            ("-X=1", DecodeError::MalformedParameter),
            ("X=", DecodeError::MalformedParameter),
            (
                "ENVID=a+zz",
                DecodeError::InvalidParameter { keyword: "ENVID" },
            ),
        ];
        for (raw, error) in cases {
            assert_eq!(
                parse_mail_params(raw.as_bytes(), false),
                Err(error),
                "{raw}"
            );
        }
    }

    #[test]
    fn rcpt_params() {
        let p = parse_rcpt_params(
            b"NOTIFY=SUCCESS,delay ORCPT=rfc822;joe+40example.com XX",
            false,
        )
        .unwrap();
        let notify = p.notify.unwrap();
        assert!(notify.success() && notify.delay() && !notify.failure());
        let orcpt = p.orcpt.as_ref().unwrap();
        assert_eq!(orcpt.address_type(), "rfc822");
        assert_eq!(&*orcpt.address().decode(), b"joe@example.com");
        let mut out = Vec::new();
        encode_rcpt_params(&p, &mut out);
        assert_eq!(
            out,
            b" NOTIFY=SUCCESS,DELAY ORCPT=rfc822;joe+40example.com XX"
        );
        for bad in [
            "NOTIFY=NEVER,SUCCESS",
            "NOTIFY=",
            "NOTIFY",
            "NOTIFY=SOMETIMES",
            "ORCPT=rfc822",
            "ORCPT=;x",
            "SIZE=10",
        ] {
            assert!(parse_rcpt_params(bad.as_bytes(), false).is_err(), "{bad}");
        }
    }

    #[test]
    fn one_pass_values_agree_with_the_general_way() {
        // each typed reader either declines or reads what the general path reads; the
        // cases around their edges, with the answer the general path gives
        // what the general path answers: NOTIFY, and ORCPT's type and address
        type RcptAnswer<'a> = Result<(Option<Notify>, Option<(&'a str, &'a str)>), DecodeError>;
        let rcpt: [(&str, RcptAnswer<'_>); 17] = [
            (
                "NOTIFY=SUCCESS,FAILURE",
                Ok((Notify::on(true, true, false), None)),
            ),
            (
                "NOTIFY=delay,Success",
                Ok((Notify::on(true, false, true), None)),
            ),
            (
                "NOTIFY=FAILURE NOTIFY=DELAY",
                Err(DecodeError::DuplicateParameter { keyword: "NOTIFY" }),
            ),
            (
                "NOTIFY=FAILURE,",
                Err(DecodeError::InvalidParameter { keyword: "NOTIFY" }),
            ),
            (
                "NOTIFY=FAILURES",
                Err(DecodeError::InvalidParameter { keyword: "NOTIFY" }),
            ),
            ("NOTIFY=FAILURE\x01", Err(DecodeError::MalformedParameter)),
            ("NOTIFY=NEVER", Ok((Some(Notify::NEVER), None))),
            ("ORCPT=rfc822;a+2Bb", Ok((None, Some(("rfc822", "a+2Bb"))))),
            (
                "ORCPT=rfc822;+41 NOTIFY=DELAY",
                Ok((Notify::on(false, false, true), Some(("rfc822", "+41")))),
            ),
            (
                "ORCPT=rfc822;a+2",
                Err(DecodeError::InvalidParameter { keyword: "ORCPT" }),
            ),
            (
                "ORCPT=rfc822;a+",
                Err(DecodeError::InvalidParameter { keyword: "ORCPT" }),
            ),
            (
                "ORCPT=rfc822;a+zz",
                Err(DecodeError::InvalidParameter { keyword: "ORCPT" }),
            ),
            (
                "ORCPT=rfc822;",
                Err(DecodeError::InvalidParameter { keyword: "ORCPT" }),
            ),
            (
                "ORCPT=;x",
                Err(DecodeError::InvalidParameter { keyword: "ORCPT" }),
            ),
            // "=" is atext but no esmtp-value octet
            ("ORCPT=a=b;c", Err(DecodeError::MalformedParameter)),
            ("ORCPT=rfc822;a=b", Err(DecodeError::MalformedParameter)),
            (
                "ORCPT=rfc822;a ORCPT=rfc822;b",
                Err(DecodeError::DuplicateParameter { keyword: "ORCPT" }),
            ),
        ];
        for (raw, expected) in rcpt {
            let got = parse_rcpt_params(raw.as_bytes(), false).map(|p| {
                let orcpt = p
                    .orcpt
                    .as_ref()
                    .map(|o| (o.address_type().to_owned(), o.address().as_str().to_owned()));
                (p.notify, orcpt)
            });
            let expected = expected.map(|(n, o)| (n, o.map(|(t, a)| (t.to_owned(), a.to_owned()))));
            assert_eq!(got, expected, "{raw}");
        }
        // SIZE, BODY, RET and ENVID
        type MailAnswer<'a> =
            Result<(Option<u64>, Option<Body>, Option<Ret>, Option<&'a str>), DecodeError>;
        let mail: [(&str, MailAnswer<'_>); 14] = [
            (
                "SIZE=9999999999999999999",
                Ok((Some(9_999_999_999_999_999_999), None, None, None)),
            ),
            (
                "SIZE=18446744073709551615",
                Ok((Some(u64::MAX), None, None, None)),
            ),
            (
                "SIZE=00000000000000000000001",
                Err(DecodeError::NumberOutOfRange),
            ),
            (
                "SIZE=18446744073709551616",
                Err(DecodeError::NumberOutOfRange),
            ),
            (
                "SIZE=12a",
                Err(DecodeError::InvalidParameter { keyword: "SIZE" }),
            ),
            (
                "SIZE=007 BODY=7bit",
                Ok((Some(7), Some(Body::SevenBit), None, None)),
            ),
            (
                "BODY=binarymime",
                Ok((None, Some(Body::BinaryMime), None, None)),
            ),
            (
                "BODY=8BITMIMEX",
                Err(DecodeError::InvalidParameter { keyword: "BODY" }),
            ),
            (
                "BODY=BINARYMIM",
                Err(DecodeError::InvalidParameter { keyword: "BODY" }),
            ),
            (
                "RET=hdrs ENVID=a+2Bb",
                Ok((None, None, Some(Ret::Headers), Some("a+2Bb"))),
            ),
            (
                "RET=FULLY",
                Err(DecodeError::InvalidParameter { keyword: "RET" }),
            ),
            (
                "ENVID=a+2",
                Err(DecodeError::InvalidParameter { keyword: "ENVID" }),
            ),
            ("ENVID=a=b", Err(DecodeError::MalformedParameter)),
            (
                "ENVID=x ENVID=y",
                Err(DecodeError::DuplicateParameter { keyword: "ENVID" }),
            ),
        ];
        for (raw, expected) in mail {
            let got = parse_mail_params(raw.as_bytes(), false).map(|p| {
                (
                    p.size,
                    p.body,
                    p.ret,
                    p.envid.as_ref().map(|e| e.as_str().to_owned()),
                )
            });
            let expected = expected.map(|(s, b, r, e)| (s, b, r, e.map(str::to_owned)));
            assert_eq!(got, expected, "{raw}");
        }
        // under SMTPUTF8 a value may go on past ASCII: the readers leave it to the
        // general way, which keeps it
        let p = parse_rcpt_params("NOTIFY=SUCCESS X-A=é".as_bytes(), true).unwrap();
        assert_eq!(p.other.get("X-A").and_then(|p| p.value), Some("é"));
        assert_eq!(
            parse_rcpt_params("NOTIFY=SUCCESSé".as_bytes(), true),
            Err(DecodeError::InvalidParameter { keyword: "NOTIFY" })
        );
    }

    #[test]
    fn auth_identity() {
        let ok = XText::new("e+3Dmc2@example.com").unwrap();
        assert!(matches!(
            auth_identity_from_xtext(ok),
            Ok(AuthIdentity::Mailbox(_))
        ));
        let long = XText::encode(format!("{}@x.example", "a".repeat(300)).as_bytes()).unwrap();
        assert!(auth_identity_from_xtext(long).is_err());
    }
}
