//! The hand-written recursive-descent parser: a cursor over the input with the
//! primitives of RFC 3501 / RFC 9051 §9 (strings, literals, numbers, sets, dates,
//! flags, extension values). Private to the codec.
//!
//! Every primitive returns `Stop::Incomplete` when it needs a byte beyond the input, so
//! a prefix of a valid message is never mistaken for an error, and
//! `Stop::Invalid` as soon as a byte cannot fit (no continuation can repair it).

pub(crate) mod body;
pub(crate) mod command;
pub(crate) mod response;

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use mailwire_core::Status;

use crate::chars;
use crate::codec::DecodeOptions;
use crate::error::DecodeError;
use crate::types::{
    Atom, Capability, Date, DateTime, ExtItem, Flag, FlagFetch, FlagPerm, IString, Mailbox,
    MailboxName, NonEmpty, SeqNumber, SequenceItem, SequenceSet, TaggedExtVal, Text, UidItem,
    UidSet,
};

/// Why parsing stopped.
pub(crate) enum Stop {
    /// More input is needed.
    Incomplete,
    /// The input is invalid or exceeds a limit.
    Invalid(DecodeError),
}

impl From<DecodeError> for Stop {
    fn from(error: DecodeError) -> Self {
        Stop::Invalid(error)
    }
}

pub(crate) type PResult<T> = Result<T, Stop>;

/// Runs a top-level rule over `input`.
pub(crate) fn run<'a, T>(
    input: &'a [u8],
    options: &DecodeOptions,
    from_server: bool,
    rule: impl FnOnce(&mut Parser<'a, '_>) -> PResult<T>,
) -> Result<Status<T>, DecodeError> {
    let mut parser = Parser::new(input, options, from_server);
    match rule(&mut parser) {
        Ok(value) => Ok(Status::Complete {
            value,
            consumed: parser.pos,
        }),
        Err(Stop::Incomplete) => Ok(Status::Partial),
        Err(Stop::Invalid(error)) => Err(error),
    }
}

/// A keyword read for dispatch, upper-cased into a small buffer (longer words never
/// match a keyword and come out empty).
pub(crate) struct Upper {
    bytes: [u8; 24],
    len: usize,
}

impl Upper {
    pub(crate) fn new(word: &[u8]) -> Self {
        let mut bytes = [0u8; 24];
        if word.len() > bytes.len() {
            return Upper { bytes, len: 0 };
        }
        for (target, source) in bytes.iter_mut().zip(word) {
            *target = source.to_ascii_uppercase();
        }
        Upper {
            bytes,
            len: word.len(),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// The parser's cursor and configuration.
pub(crate) struct Parser<'a, 'o> {
    input: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) options: &'o DecodeOptions,
    utf8: bool,
    from_server: bool,
    depth: u32,
    body_depth: u32,
}

fn is_keyword_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'-' || byte == b'='
}

fn parse_digits(digits: &[u8]) -> Option<u64> {
    let mut value: u64 = 0;
    for &digit in digits {
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(digit.wrapping_sub(b'0')))?;
    }
    Some(value)
}

fn seq_number(token: &[u8]) -> Option<SeqNumber> {
    if token == b"*" {
        return Some(SeqNumber::Largest);
    }
    nz_digits(token).map(SeqNumber::Value)
}

/// `nz-number` from a token: digits, no leading zero, 32 bits.
fn nz_digits(token: &[u8]) -> Option<NonZeroU32> {
    if token.first() == Some(&b'0') || !token.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = u32::try_from(parse_digits(token)?).ok()?;
    NonZeroU32::new(value)
}

pub(crate) fn parse_sequence_set(token: &[u8]) -> Option<SequenceSet> {
    if token == b"$" {
        return Some(SequenceSet::Saved);
    }
    let mut items = Vec::new();
    for part in token.split(|&byte| byte == b',') {
        let mut bounds = part.splitn(2, |&byte| byte == b':');
        let first = seq_number(bounds.next()?)?;
        items.push(match bounds.next() {
            Some(second) => SequenceItem::Range(first, seq_number(second)?),
            None => SequenceItem::Single(first),
        });
    }
    NonEmpty::from_vec_checked(items).map(SequenceSet::Items)
}

fn parse_uid_set(token: &[u8]) -> Option<UidSet> {
    let mut items = Vec::new();
    for part in token.split(|&byte| byte == b',') {
        let mut bounds = part.splitn(2, |&byte| byte == b':');
        let first = nz_digits(bounds.next()?)?;
        items.push(match bounds.next() {
            Some(second) => UidItem::Range(first, nz_digits(second)?),
            None => UidItem::Single(first),
        });
    }
    NonEmpty::from_vec_checked(items).map(UidSet)
}

impl<'a, 'o> Parser<'a, 'o> {
    pub(crate) fn new(input: &'a [u8], options: &'o DecodeOptions, from_server: bool) -> Self {
        Parser {
            input,
            pos: 0,
            options,
            utf8: options.utf8(),
            from_server,
            depth: 0,
            body_depth: 0,
        }
    }

    // ----- cursor -----

    #[inline]
    pub(crate) fn peek(&self) -> PResult<u8> {
        self.input.get(self.pos).copied().ok_or(Stop::Incomplete)
    }

    #[inline]
    pub(crate) fn peek_at(&self, ahead: usize) -> PResult<u8> {
        self.input
            .get(self.pos + ahead)
            .copied()
            .ok_or(Stop::Incomplete)
    }

    #[inline]
    pub(crate) fn at(&self, byte: u8) -> PResult<bool> {
        Ok(self.peek()? == byte)
    }

    pub(crate) fn fail<T>(&self, expected: &'static str) -> PResult<T> {
        Err(Stop::Invalid(DecodeError::Syntax {
            offset: self.pos,
            expected,
        }))
    }

    pub(crate) fn fail_at<T>(&self, offset: usize, expected: &'static str) -> PResult<T> {
        Err(Stop::Invalid(DecodeError::Syntax { offset, expected }))
    }

    #[inline]
    pub(crate) fn byte(&mut self, byte: u8, expected: &'static str) -> PResult<()> {
        if self.peek()? == byte {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(expected)
        }
    }

    #[inline]
    pub(crate) fn sp(&mut self) -> PResult<()> {
        self.byte(b' ', "space")
    }

    pub(crate) fn crlf(&mut self) -> PResult<()> {
        self.byte(b'\r', "line end")?;
        self.byte(b'\n', "line end")
    }

    /// Consumes a space if one is next.
    pub(crate) fn maybe_sp(&mut self) -> PResult<bool> {
        if self.at(b' ')? {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Matches `word` case-insensitively.
    pub(crate) fn keyword(&mut self, word: &'static str) -> PResult<()> {
        for &expected in word.as_bytes() {
            if !self.peek()?.eq_ignore_ascii_case(&expected) {
                return self.fail(word);
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// A run of bytes of `class`; incomplete when the run reaches the end of the input.
    #[inline]
    pub(crate) fn take_while(&mut self, class: impl Fn(u8) -> bool) -> PResult<&'a [u8]> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|&byte| !class(byte)) {
            Some(length) => {
                self.pos += length;
                Ok(rest.get(..length).unwrap_or_default())
            }
            None => Err(Stop::Incomplete),
        }
    }

    pub(crate) fn take_while1(
        &mut self,
        class: impl Fn(u8) -> bool,
        expected: &'static str,
    ) -> PResult<&'a [u8]> {
        let run = self.take_while(class)?;
        if run.is_empty() {
            self.fail(expected)
        } else {
            Ok(run)
        }
    }

    /// The keyword-like word at the cursor (letters, digits, `.`, `-`, `=`), upper-cased,
    /// without consuming it; with its length.
    pub(crate) fn peek_word(&self) -> PResult<(Upper, usize)> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        match rest.iter().position(|&byte| !is_keyword_char(byte)) {
            Some(length) => Ok((Upper::new(rest.get(..length).unwrap_or_default()), length)),
            None => Err(Stop::Incomplete),
        }
    }

    /// Reads a keyword-like word, upper-cased.
    pub(crate) fn word(&mut self, expected: &'static str) -> PResult<Upper> {
        let word = self.take_while1(is_keyword_char, expected)?;
        Ok(Upper::new(word))
    }

    // ----- nesting -----

    pub(crate) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        let limit = self.options.limits.max_nesting;
        if self.depth > limit {
            return Err(Stop::Invalid(DecodeError::NestingTooDeep { limit }));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    pub(crate) fn enter_body(&mut self) -> PResult<()> {
        self.body_depth += 1;
        let limit = self.options.limits.max_body_depth;
        if self.body_depth > limit {
            return Err(Stop::Invalid(DecodeError::NestingTooDeep { limit }));
        }
        Ok(())
    }

    pub(crate) fn leave_body(&mut self) {
        self.body_depth = self.body_depth.saturating_sub(1);
    }

    // ----- numbers -----

    /// Reads digits and their value in one pass.
    fn digits_value(&mut self) -> PResult<(u64, usize)> {
        let start = self.pos;
        let rest = self.input.get(start..).unwrap_or_default();
        let mut value: u64 = 0;
        let mut overflow = false;
        let mut length = 0;
        for &byte in rest {
            let digit = byte.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(digit)))
            {
                Some(next) => value = next,
                None => overflow = true,
            }
            length += 1;
        }
        if length == rest.len() {
            return Err(Stop::Incomplete);
        }
        if length == 0 {
            return self.fail("number");
        }
        self.pos += length;
        if overflow {
            return Err(Stop::Invalid(DecodeError::NumberOutOfRange {
                offset: start,
            }));
        }
        Ok((value, start))
    }

    /// `number`: 32-bit unsigned.
    pub(crate) fn number(&mut self) -> PResult<u32> {
        let (value, start) = self.digits_value()?;
        u32::try_from(value)
            .map_err(|_| Stop::Invalid(DecodeError::NumberOutOfRange { offset: start }))
    }

    /// `number64`: 63-bit unsigned.
    pub(crate) fn number64(&mut self) -> PResult<u64> {
        let (value, start) = self.digits_value()?;
        if value > i64::MAX as u64 {
            return Err(Stop::Invalid(DecodeError::NumberOutOfRange {
                offset: start,
            }));
        }
        Ok(value)
    }

    /// `nz-number`: 32-bit, non-zero, no leading zero.
    pub(crate) fn nz_number(&mut self) -> PResult<NonZeroU32> {
        if self.at(b'0')? {
            return self.fail("non-zero number");
        }
        let start = self.pos;
        let value = self.number()?;
        NonZeroU32::new(value).ok_or(Stop::Invalid(DecodeError::NumberOutOfRange {
            offset: start,
        }))
    }

    /// `nz-number64` / `mod-sequence-value`: 63-bit, non-zero.
    pub(crate) fn nz_number64(&mut self) -> PResult<NonZeroU64> {
        if self.at(b'0')? {
            return self.fail("non-zero number");
        }
        let start = self.pos;
        let value = self.number64()?;
        NonZeroU64::new(value).ok_or(Stop::Invalid(DecodeError::NumberOutOfRange {
            offset: start,
        }))
    }

    // ----- strings -----

    /// `quoted`, unescaped. 8-bit octets only under UTF-8 (valid UTF-8 required) or the
    /// `eight_bit_quoted` quirk.
    pub(crate) fn quoted(&mut self) -> PResult<Cow<'a, [u8]>> {
        self.byte(b'"', "quoted string")?;
        let start = self.pos;
        let mut unescaped: Option<Vec<u8>> = None;
        let mut eight_bit = false;
        loop {
            let rest = self.input.get(self.pos..).unwrap_or_default();
            let run = rest
                .iter()
                .position(|&byte| !chars::is_plain_quoted_char(byte))
                .ok_or(Stop::Incomplete)?;
            if let Some(buffer) = unescaped.as_mut() {
                buffer.extend_from_slice(rest.get(..run).unwrap_or_default());
            }
            self.pos += run;
            match self.peek()? {
                b'"' => {
                    let content = self.input.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    let value = match unescaped {
                        Some(buffer) => Cow::Owned(buffer),
                        None => Cow::Borrowed(content),
                    };
                    if eight_bit
                        && self.utf8
                        && !self.options.quirks.eight_bit_quoted
                        && std::str::from_utf8(&value).is_err()
                    {
                        return self.fail_at(start, "utf-8 quoted string");
                    }
                    return Ok(value);
                }
                b'\\' => {
                    let escaped = self.peek_at(1)?;
                    if escaped != b'"' && escaped != b'\\' {
                        return self.fail("quoted-specials after backslash");
                    }
                    let buffer = unescaped.get_or_insert_with(|| {
                        self.input.get(start..self.pos).unwrap_or_default().to_vec()
                    });
                    buffer.push(escaped);
                    self.pos += 2;
                }
                byte if byte >= 0x80 && (self.utf8 || self.options.quirks.eight_bit_quoted) => {
                    eight_bit = true;
                    if let Some(buffer) = unescaped.as_mut() {
                        buffer.push(byte);
                    }
                    self.pos += 1;
                }
                _ => return self.fail("quoted character"),
            }
        }
    }

    /// A literal (`{n}`, `{n+}`) or, with `allow_binary`, a literal8 (`~{n}`). The
    /// length is checked against the limit before anything else.
    pub(crate) fn literal(&mut self, allow_binary: bool) -> PResult<(&'a [u8], bool)> {
        let binary = if self.at(b'~')? {
            if !allow_binary {
                return self.fail("string");
            }
            self.pos += 1;
            true
        } else {
            false
        };
        self.byte(b'{', "literal")?;
        // The announced length is checked while its digits arrive, so an absurd one is
        // refused before the rest of the line (let alone the data) is waited for.
        let limit = self.options.limits.max_literal_length;
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let digit_count = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        let digits = rest.get(..digit_count).unwrap_or_default();
        let length = match parse_digits(digits) {
            Some(length) if length <= limit => length,
            Some(length) => return Err(DecodeError::LiteralTooLarge { length, limit }.into()),
            None => {
                return Err(DecodeError::LiteralTooLarge {
                    length: u64::MAX,
                    limit,
                }
                .into())
            }
        };
        if digit_count == rest.len() {
            return Err(Stop::Incomplete);
        }
        if digit_count == 0 {
            return self.fail("literal length");
        }
        self.pos += digit_count;
        let non_sync = self.at(b'+')?;
        if non_sync {
            self.pos += 1;
            if self.from_server || !self.options.non_sync_literals.allows(length) {
                return Err(DecodeError::NonSyncLiteralNotAllowed { length }.into());
            }
        }
        self.byte(b'}', "end of literal length")?;
        self.crlf()?;
        let length = usize::try_from(length)
            .map_err(|_| Stop::Invalid(DecodeError::LiteralTooLarge { length, limit }))?;
        let end = self.pos.checked_add(length).ok_or(Stop::Incomplete)?;
        let data = self.input.get(self.pos..end).ok_or(Stop::Incomplete)?;
        if !binary {
            if let Some(nul) = memchr::memchr(0, data) {
                return self.fail_at(self.pos + nul, "literal without NUL");
            }
        }
        self.pos = end;
        Ok((data, binary))
    }

    /// `string`: quoted or literal.
    pub(crate) fn string_bytes(&mut self) -> PResult<Cow<'a, [u8]>> {
        match self.peek()? {
            b'"' => self.quoted(),
            b'{' => Ok(Cow::Borrowed(self.literal(false)?.0)),
            _ => self.fail("string"),
        }
    }

    pub(crate) fn string(&mut self) -> PResult<IString<'a>> {
        Ok(IString::from_checked(self.string_bytes()?))
    }

    /// `astring`: atom-like run of ASTRING-CHARs, or a string.
    pub(crate) fn astring_bytes(&mut self) -> PResult<Cow<'a, [u8]>> {
        match self.peek()? {
            b'"' | b'{' => self.string_bytes(),
            _ => Ok(Cow::Borrowed(
                self.take_while1(chars::is_astring_char, "astring")?,
            )),
        }
    }

    pub(crate) fn astring(&mut self) -> PResult<IString<'a>> {
        Ok(IString::from_checked(self.astring_bytes()?))
    }

    /// `nstring`: string or NIL.
    pub(crate) fn nstring(&mut self) -> PResult<Option<IString<'a>>> {
        match self.peek()? {
            b'"' | b'{' => Ok(Some(self.string()?)),
            b'N' | b'n' => {
                self.keyword("NIL")?;
                Ok(None)
            }
            _ => self.fail("string or NIL"),
        }
    }

    /// `atom`.
    pub(crate) fn atom(&mut self) -> PResult<Atom<'a>> {
        let run = self.take_while1(chars::is_atom_char, "atom")?;
        // ATOM-CHARs are ASCII.
        match std::str::from_utf8(run) {
            Ok(text) => Ok(Atom::from_checked(text)),
            Err(_) => self.fail("atom"),
        }
    }

    /// `text` up to the line end (possibly empty), 7-bit unless UTF-8 is in effect.
    pub(crate) fn text(&mut self) -> PResult<Text<'a>> {
        let start = self.pos;
        let run = self.take_while(|byte| byte != b'\r' && byte != b'\n' && byte != 0)?;
        self.text_from(run, start)
    }

    pub(crate) fn text_from(&self, run: &'a [u8], start: usize) -> PResult<Text<'a>> {
        if run.is_ascii() {
            return match std::str::from_utf8(run) {
                Ok(text) => Ok(Text::from_checked(Cow::Borrowed(text))),
                Err(_) => self.fail_at(start, "text"),
            };
        }
        if self.utf8 {
            if let Ok(text) = std::str::from_utf8(run) {
                return Ok(Text::from_checked(Cow::Borrowed(text)));
            }
        }
        if self.options.quirks.lossy_text {
            let lossy = String::from_utf8_lossy(run).into_owned();
            return Ok(Text::from_checked(Cow::Owned(lossy)));
        }
        let offset = start + run.iter().position(|byte| !byte.is_ascii()).unwrap_or(0);
        self.fail_at(offset, "7-bit text")
    }

    // ----- mailboxes -----

    pub(crate) fn mailbox(&mut self) -> PResult<Mailbox<'a>> {
        let bytes = self.astring_bytes()?;
        Ok(Mailbox::new(MailboxName::from_wire_checked(
            bytes, self.utf8,
        )))
    }

    /// `list-mailbox`: a LIST pattern.
    pub(crate) fn list_mailbox(&mut self) -> PResult<MailboxName<'a>> {
        let bytes = match self.peek()? {
            b'"' | b'{' => self.string_bytes()?,
            _ => Cow::Borrowed(self.take_while1(chars::is_list_char, "mailbox pattern")?),
        };
        Ok(MailboxName::from_wire_checked(bytes, self.utf8))
    }

    // ----- sets -----

    fn sequence_token(&mut self) -> PResult<(&'a [u8], usize)> {
        let start = self.pos;
        let token = self.take_while1(chars::is_sequence_char, "sequence set")?;
        Ok((token, start))
    }

    pub(crate) fn sequence_set(&mut self) -> PResult<SequenceSet> {
        let (token, start) = self.sequence_token()?;
        match parse_sequence_set(token) {
            Some(set) => Ok(set),
            None => self.fail_at(start, "sequence set"),
        }
    }

    pub(crate) fn uid_set(&mut self) -> PResult<UidSet> {
        let (token, start) = self.sequence_token()?;
        match parse_uid_set(token) {
            Some(set) => Ok(set),
            None => self.fail_at(start, "uid set"),
        }
    }

    // ----- dates -----

    fn fixed_digits(&mut self, count: usize) -> PResult<u32> {
        let mut value = 0u32;
        for _ in 0..count {
            let byte = self.peek()?;
            if !byte.is_ascii_digit() {
                return self.fail("digit");
            }
            value = value * 10 + u32::from(byte - b'0');
            self.pos += 1;
        }
        Ok(value)
    }

    fn month(&mut self) -> PResult<u8> {
        let start = self.pos;
        let mut name = [0u8; 3];
        for slot in &mut name {
            *slot = self.peek()?;
            self.pos += 1;
        }
        for (index, month) in crate::types::MONTHS.iter().enumerate() {
            if month.as_bytes().eq_ignore_ascii_case(&name) {
                return Ok(u8::try_from(index + 1).unwrap_or(1));
            }
        }
        self.fail_at(start, "month")
    }

    fn date_text(&mut self) -> PResult<Date> {
        let start = self.pos;
        let mut day = self.fixed_digits(1)?;
        if self.peek()?.is_ascii_digit() {
            day = day * 10 + self.fixed_digits(1)?;
        }
        self.byte(b'-', "-")?;
        let month = self.month()?;
        self.byte(b'-', "-")?;
        let year = self.fixed_digits(4)?;
        let day = u8::try_from(day).unwrap_or(0);
        let year = u16::try_from(year).unwrap_or(u16::MAX);
        match Date::new(year, month, day) {
            Ok(date) => Ok(date),
            Err(_) => self.fail_at(start, "valid date"),
        }
    }

    /// `date`: date-text, optionally quoted.
    pub(crate) fn date(&mut self) -> PResult<Date> {
        if self.at(b'"')? {
            self.pos += 1;
            let date = self.date_text()?;
            self.byte(b'"', "closing quote")?;
            Ok(date)
        } else {
            self.date_text()
        }
    }

    /// `date-time`: `"dd-Mon-yyyy hh:mm:ss +zzzz"`, the day as 2DIGIT or SP DIGIT.
    pub(crate) fn date_time(&mut self) -> PResult<DateTime> {
        let start = self.pos;
        self.byte(b'"', "date-time")?;
        let day = if self.at(b' ')? {
            self.pos += 1;
            self.fixed_digits(1)?
        } else {
            self.fixed_digits(2)?
        };
        self.byte(b'-', "-")?;
        let month = self.month()?;
        self.byte(b'-', "-")?;
        let year = self.fixed_digits(4)?;
        self.sp()?;
        let hour = self.fixed_digits(2)?;
        self.byte(b':', ":")?;
        let minute = self.fixed_digits(2)?;
        self.byte(b':', ":")?;
        let second = self.fixed_digits(2)?;
        self.sp()?;
        let negative = match self.peek()? {
            b'+' => false,
            b'-' => true,
            _ => return self.fail("zone sign"),
        };
        self.pos += 1;
        let zone_hours = self.fixed_digits(2)?;
        let zone_minutes = self.fixed_digits(2)?;
        self.byte(b'"', "closing quote")?;
        let offset = i16::try_from(zone_hours * 60 + zone_minutes).unwrap_or(i16::MAX);
        let offset = if negative { -offset } else { offset };
        let to_u8 = |value: u32| u8::try_from(value).unwrap_or(u8::MAX);
        let date = Date::new(u16::try_from(year).unwrap_or(u16::MAX), month, to_u8(day));
        let date_time = date.and_then(|date| {
            if zone_minutes > 59 {
                return Err(crate::error::ValidationError::OutOfRange { what: "zone" });
            }
            DateTime::new(date, to_u8(hour), to_u8(minute), to_u8(second), offset)
        });
        match date_time {
            Ok(value) => Ok(value),
            Err(_) => self.fail_at(start, "valid date-time"),
        }
    }

    // ----- flags and capabilities -----

    /// `flag` (with `\Recent` as an extension flag).
    pub(crate) fn flag(&mut self) -> PResult<Flag<'a>> {
        if self.at(b'\\')? {
            self.pos += 1;
            let atom = self.atom()?;
            Ok(system_flag(atom))
        } else {
            Ok(Flag::Keyword(self.atom()?))
        }
    }

    /// `flag-fetch`.
    pub(crate) fn flag_fetch(&mut self) -> PResult<FlagFetch<'a>> {
        match self.flag()? {
            Flag::Extension(atom) if atom.as_str().eq_ignore_ascii_case("Recent") => {
                Ok(FlagFetch::Recent)
            }
            flag => Ok(FlagFetch::Flag(flag)),
        }
    }

    /// `flag-perm`.
    pub(crate) fn flag_perm(&mut self) -> PResult<FlagPerm<'a>> {
        if self.at(b'\\')? && self.peek_at(1)? == b'*' {
            self.pos += 2;
            return Ok(FlagPerm::Wildcard);
        }
        Ok(FlagPerm::Flag(self.flag()?))
    }

    /// `"(" [item *(SP item)] ")"`.
    pub(crate) fn paren_list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.byte(b'(', "(")?;
        let mut items = Vec::new();
        if self.at(b')')? {
            self.pos += 1;
            return Ok(items);
        }
        loop {
            items.push(item(self)?);
            match self.peek()? {
                b' ' => self.pos += 1,
                b')' => {
                    self.pos += 1;
                    return Ok(items);
                }
                _ => return self.fail("space or )"),
            }
        }
    }

    /// `"(" item *(SP item) ")"`.
    pub(crate) fn paren_list1<T>(
        &mut self,
        item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<NonEmpty<T>> {
        let start = self.pos;
        let items = self.paren_list(item)?;
        match NonEmpty::from_vec_checked(items) {
            Some(items) => Ok(items),
            None => self.fail_at(start + 1, "at least one item"),
        }
    }

    pub(crate) fn capability(&mut self) -> PResult<Capability<'a>> {
        Ok(Capability::from_atom(self.atom()?))
    }

    // ----- extension values (RFC 4466) -----

    /// True when a space and then a `tagged-ext-val` follow (labels never start with a
    /// digit, `*`, `$` or `(`).
    pub(crate) fn value_follows(&self) -> PResult<bool> {
        if self.peek()? != b' ' {
            return Ok(false);
        }
        let next = self.peek_at(1)?;
        Ok(matches!(next, b'(' | b'"' | b'{') || chars::is_sequence_char(next))
    }

    pub(crate) fn tagged_ext_val(&mut self) -> PResult<TaggedExtVal<'a>> {
        if self.at(b'(')? {
            self.enter()?;
            self.pos += 1;
            let items = if self.at(b')')? {
                Vec::new()
            } else {
                self.ext_items()?
            };
            self.byte(b')', ")")?;
            self.leave();
            return Ok(TaggedExtVal::List(items));
        }
        if matches!(self.peek()?, b'"' | b'{') {
            return Ok(TaggedExtVal::String(self.string()?));
        }
        let (token, start) = self.sequence_token()?;
        if token.iter().all(u8::is_ascii_digit) {
            return match parse_digits(token) {
                Some(value) if value <= i64::MAX as u64 => Ok(TaggedExtVal::Number(value)),
                _ => Err(Stop::Invalid(DecodeError::NumberOutOfRange {
                    offset: start,
                })),
            };
        }
        match parse_sequence_set(token) {
            Some(set) => Ok(TaggedExtVal::SequenceSet(set)),
            None => self.fail_at(start, "extension value"),
        }
    }

    /// `tagged-ext-comp`: items separated by spaces, up to (not including) `)`.
    pub(crate) fn ext_items(&mut self) -> PResult<Vec<ExtItem<'a>>> {
        let mut items = Vec::new();
        loop {
            if self.at(b'(')? {
                self.enter()?;
                self.pos += 1;
                let start = self.pos;
                let inner = self.ext_items()?;
                self.byte(b')', ")")?;
                self.leave();
                match NonEmpty::from_vec_checked(inner) {
                    Some(inner) => items.push(ExtItem::Group(inner)),
                    None => return self.fail_at(start, "extension value"),
                }
            } else {
                items.push(ExtItem::String(self.astring()?));
            }
            if !self.maybe_sp()? {
                return Ok(items);
            }
        }
    }

    /// `[SP tagged-ext-val]` after an extension label.
    pub(crate) fn optional_ext_value(&mut self) -> PResult<Option<TaggedExtVal<'a>>> {
        if self.value_follows()? {
            self.pos += 1;
            Ok(Some(self.tagged_ext_val()?))
        } else {
            Ok(None)
        }
    }

    /// Base64 to the line end (possibly empty), decoded.
    pub(crate) fn base64_line(&mut self) -> PResult<Vec<u8>> {
        use base64::Engine as _;
        let start = self.pos;
        let run = self.take_while(|byte| chars::is_base64_char(byte) || byte == b'=')?;
        match base64::engine::general_purpose::STANDARD.decode(run) {
            Ok(data) => Ok(data),
            Err(_) => self.fail_at(start, "base64"),
        }
    }
}

fn system_flag(atom: Atom<'_>) -> Flag<'_> {
    let name = atom.as_str();
    for (known, flag) in [
        ("Answered", Flag::Answered),
        ("Flagged", Flag::Flagged),
        ("Deleted", Flag::Deleted),
        ("Seen", Flag::Seen),
        ("Draft", Flag::Draft),
    ] {
        if name.eq_ignore_ascii_case(known) {
            return flag;
        }
    }
    Flag::Extension(atom)
}
