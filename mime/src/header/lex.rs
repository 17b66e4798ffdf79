//! Private lexical helpers shared by the structured-field parsers.
//!
//! Every parser here works on the raw, still folded field value: CR and LF are
//! treated as whitespace, so folding never needs a separate unfolding pass and
//! the common unfolded value can be borrowed.

use std::borrow::Cow;

/// Space, tab, CR or LF: what folding whitespace is made of once we accept
/// the value still folded.
#[inline]
pub(crate) fn is_ws(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Byte classes, looked up in one table instead of chains of comparisons
/// (the structured-field parsers test every byte of every value).
const ATEXT: u8 = 1;
const MIME_TOKEN: u8 = 2;
/// `A` to `Z`, so a scan notices uppercase with the lookup it does anyway.
const UPPER: u8 = 4;
/// What ends the plain run of a quoted string: the quote, a backslash, CR, LF.
const QUOTED_STOP: u8 = 8;

// Evaluated at compile time only: an index out of bounds would fail the
// build, never run on input.
#[allow(clippy::indexing_slicing)]
const fn byte_classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut i = 0usize;
    while i < 256 {
        // `i < 256`, so the cast is lossless.
        let b = i as u8;
        let atext = b.is_ascii_alphanumeric()
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
            || b >= 0x80;
        let token = b > b' '
            && b != 0x7f
            && !matches!(
                b,
                b'(' | b')'
                    | b'<'
                    | b'>'
                    | b'@'
                    | b','
                    | b';'
                    | b':'
                    | b'\\'
                    | b'"'
                    | b'/'
                    | b'['
                    | b']'
                    | b'?'
                    | b'='
            );
        let mut class = 0;
        if atext {
            class |= ATEXT;
        }
        if token {
            class |= MIME_TOKEN;
        }
        if b.is_ascii_uppercase() {
            class |= UPPER;
        }
        if matches!(b, b'"' | b'\\' | b'\r' | b'\n') {
            class |= QUOTED_STOP;
        }
        table[i] = class;
        i += 1;
    }
    table
}

static BYTE_CLASSES: [u8; 256] = byte_classes();

#[inline]
fn class_of(byte: u8) -> u8 {
    // A `[u8; 256]` indexed by a `u8` is always in bounds.
    BYTE_CLASSES.get(usize::from(byte)).copied().unwrap_or(0)
}

/// RFC 5322 `atext` plus 8-bit bytes (RFC 6532 allows UTF-8 there).
#[inline]
pub(crate) fn is_atext(byte: u8) -> bool {
    class_of(byte) & ATEXT != 0
}

/// RFC 2045 `token` character (also accepting 8-bit bytes, which some
/// senders put in unquoted parameter values).
#[inline]
pub(crate) fn is_mime_token(byte: u8) -> bool {
    class_of(byte) & MIME_TOKEN != 0
}

/// `String::from_utf8_lossy` with a fast path: valid UTF-8 (nearly every
/// header value) is checked with the word-at-a-time validator and borrowed,
/// instead of walking it chunk by chunk.
#[inline]
pub(crate) fn lossy_str(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// [`lossy_str`] for a byte string that may already be owned.
pub(crate) fn cow_bytes_to_str(bytes: Cow<'_, [u8]>) -> Cow<'_, str> {
    match bytes {
        Cow::Borrowed(b) => lossy_str(b),
        Cow::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Cow::Owned(s),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
    }
}

/// Lowercases ASCII text, borrowing when it already is lowercase.
pub(crate) fn ascii_lowercase(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        text
    }
}

/// A read position over a raw field value.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    input: &'a [u8],
    /// The input as text, when it was checked ([`Cursor::checked`]) and is
    /// valid UTF-8.
    text: Option<&'a str>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Cursor {
            input,
            text: None,
            pos: 0,
        }
    }

    /// A cursor over a whole value that is checked as UTF-8 once, up front:
    /// the pieces the parser then turns into text ([`Cursor::text_of`]) are
    /// sliced from it instead of each being checked on its own (a parser
    /// makes several per value, and the check has a cost per call).
    pub(crate) fn checked(input: &'a [u8]) -> Self {
        Cursor {
            input,
            text: std::str::from_utf8(input).ok(),
            pos: 0,
        }
    }

    /// A cursor over `part`, a piece of this cursor's input, that keeps the
    /// checked text of that piece.
    pub(crate) fn within(&self, part: &'a [u8]) -> Self {
        Cursor {
            input: part,
            text: match self.text_of(part) {
                Cow::Borrowed(text) => Some(text),
                Cow::Owned(_) => None,
            },
            pos: 0,
        }
    }

    /// `part` as text, replacing invalid UTF-8 with U+FFFD. When `part` lies
    /// in a checked input that is valid UTF-8, it is the same slice of that
    /// text (no second check); otherwise it is checked now.
    pub(crate) fn text_of(&self, part: &'a [u8]) -> Cow<'a, str> {
        if let Some(text) = self.text {
            // Where `part` starts in the input; a piece from elsewhere gives an
            // offset out of range, and the general path below.
            let offset = (part.as_ptr() as usize).wrapping_sub(self.input.as_ptr() as usize);
            if let Some(slice) = offset
                .checked_add(part.len())
                .and_then(|end| text.get(offset..end))
            {
                return Cow::Borrowed(slice);
            }
        }
        lossy_str(part)
    }

    /// [`Cursor::text_of`] for a piece that may be a copy (quoted pairs
    /// resolved, folding removed).
    pub(crate) fn cow_text_of(&self, part: Cow<'a, [u8]>) -> Cow<'a, str> {
        match part {
            Cow::Borrowed(part) => self.text_of(part),
            owned => cow_bytes_to_str(owned),
        }
    }

    pub(crate) fn input(&self) -> &'a [u8] {
        self.input
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.input.len());
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    pub(crate) fn slice(&self, start: usize, end: usize) -> &'a [u8] {
        self.input.get(start..end).unwrap_or_default()
    }

    pub(crate) fn bump(&mut self) {
        if self.pos < self.input.len() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` if it is next.
    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Skips folding whitespace (and stray CR/LF).
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Skips whitespace and comments. Returns whether anything was skipped.
    pub(crate) fn skip_cfws(&mut self) -> bool {
        let start = self.pos;
        loop {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                self.skip_comment();
            } else {
                break;
            }
        }
        self.pos != start
    }

    /// Skips one comment starting at `(`, with nesting and quoted pairs.
    /// An unterminated comment runs to the end of the value. Nesting is
    /// counted, not recursed, so deep nesting cannot exhaust the stack.
    pub(crate) fn skip_comment(&mut self) {
        let mut depth: usize = 0;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.bump(),
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// Reads a run of bytes matching `pred`.
    pub(crate) fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if pred(b) {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.slice(start, self.pos)
    }

    /// Reads an RFC 2045 token, lowercased (borrowed when it already is, the
    /// case noticed in the same pass); `None` if there is none.
    pub(crate) fn lower_token(&mut self) -> Option<Cow<'a, str>> {
        let start = self.pos;
        let rest = self.input.get(start..).unwrap_or_default();
        let mut classes = 0;
        let mut length = 0;
        for &b in rest {
            let class = class_of(b);
            if class & MIME_TOKEN == 0 {
                break;
            }
            classes |= class;
            length += 1;
        }
        if length == 0 {
            return None;
        }
        self.pos = start + length;
        let text = self.text_of(rest.get(..length).unwrap_or_default());
        Some(if classes & UPPER != 0 {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            text
        })
    }

    /// Reads a dot-atom-text or atom (`dots` allows interior dots).
    pub(crate) fn atom(&mut self, dots: bool) -> Option<&'a [u8]> {
        let text = self.take_while(|b| is_atext(b) || (dots && b == b'.'));
        if text.is_empty() {
            None
        } else {
            Some(text)
        }
    }

    /// Reads a quoted string starting at `"`; returns its content with
    /// quoted pairs resolved and folding removed. An unterminated quoted
    /// string runs to the end of the value.
    pub(crate) fn quoted_string(&mut self) -> Option<Cow<'a, [u8]>> {
        if self.peek() != Some(b'"') {
            return None;
        }
        self.pos += 1;
        let start = self.pos;
        // Fast path: the closing quote comes before any escape or line
        // break, so the content is borrowed as it stands. Quoted strings are
        // short: one pass with the class table beats two vector searches.
        let rest = self.input.get(start..).unwrap_or_default();
        if let Some(stop) = rest.iter().position(|&b| class_of(b) & QUOTED_STOP != 0) {
            if rest.get(stop) == Some(&b'"') {
                self.pos = start + stop + 1;
                return Some(Cow::Borrowed(rest.get(..stop).unwrap_or_default()));
            }
        }
        let mut needs_copy = false;
        while let Some(b) = self.peek() {
            match b {
                b'"' => break,
                b'\\' => {
                    needs_copy = true;
                    self.pos += 1;
                    self.bump();
                }
                b'\r' | b'\n' => {
                    needs_copy = true;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        let content = self.slice(start, self.pos);
        self.eat(b'"');
        if !needs_copy {
            return Some(Cow::Borrowed(content));
        }
        let mut out = Vec::with_capacity(content.len());
        let mut iter = content.iter().copied();
        while let Some(b) = iter.next() {
            match b {
                b'\\' => {
                    if let Some(next) = iter.next() {
                        out.push(next);
                    }
                }
                b'\r' | b'\n' => {}
                _ => out.push(b),
            }
        }
        Some(Cow::Owned(out))
    }

    /// Reads a domain literal `[...]` and returns it with its brackets,
    /// whitespace and folding removed.
    pub(crate) fn domain_literal(&mut self) -> Option<Cow<'a, [u8]>> {
        if self.peek() != Some(b'[') {
            return None;
        }
        let start = self.pos;
        self.pos += 1;
        let mut needs_copy = false;
        while let Some(b) = self.peek() {
            match b {
                b']' => break,
                b'\\' => {
                    needs_copy = true;
                    self.pos += 1;
                    self.bump();
                }
                _ if is_ws(b) => {
                    needs_copy = true;
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        let closed = self.eat(b']');
        let raw = self.slice(start, self.pos);
        if !needs_copy && closed {
            return Some(Cow::Borrowed(raw));
        }
        let mut out = Vec::with_capacity(raw.len() + 1);
        let mut iter = raw.iter().copied();
        while let Some(b) = iter.next() {
            match b {
                b'\\' => {
                    if let Some(next) = iter.next() {
                        out.push(next);
                    }
                }
                _ if is_ws(b) => {}
                _ => out.push(b),
            }
        }
        if !closed {
            out.push(b']');
        }
        Some(Cow::Owned(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_nest_and_unterminated_run_to_end() {
        let mut c = Cursor::new(b" (a (b) c) x");
        assert!(c.skip_cfws());
        assert_eq!(c.peek(), Some(b'x'));
        let mut c = Cursor::new(b"(a (b c");
        c.skip_cfws();
        assert!(c.at_end());
    }

    #[test]
    fn quoted_string_borrows_when_plain() {
        let mut c = Cursor::new(b"\"abc\" rest");
        assert!(matches!(c.quoted_string(), Some(Cow::Borrowed(b"abc"))));
        let mut c = Cursor::new(b"\"a\\\"b\r\n c\"");
        assert_eq!(c.quoted_string().unwrap().as_ref(), b"a\"b c");
    }

    #[test]
    fn quoted_strings_plain_escaped_folded_unterminated() {
        let cases: [(&[u8], &[u8], usize, bool); 7] = [
            (b"\"plain\" rest", b"plain", 7, true),
            (b"\"\"x", b"", 2, true),
            (b"\"a\\\"b\"", b"a\"b", 6, false),
            (b"\"a\r\n b\" x", b"a b", 7, false),
            (b"\"a\nb\"", b"ab", 5, false),
            (b"\"open", b"open", 5, true),
            (b"\"caf\xC3\xA9\";", b"caf\xC3\xA9", 7, true),
        ];
        for (input, content, end, borrowed) in cases {
            let mut c = Cursor::new(input);
            let value = c.quoted_string().unwrap();
            assert_eq!(
                value.as_ref(),
                content,
                "{:?}",
                String::from_utf8_lossy(input)
            );
            assert_eq!(c.pos(), end, "{:?}", String::from_utf8_lossy(input));
            assert_eq!(matches!(value, Cow::Borrowed(_)), borrowed);
        }
    }

    #[test]
    fn domain_literal_strips_whitespace() {
        let mut c = Cursor::new(b"[ 1.2.3.4 ]");
        assert_eq!(c.domain_literal().unwrap().as_ref(), b"[1.2.3.4]");
    }

    #[test]
    fn checked_text_is_sliced_not_checked_again() {
        let input: &[u8] = b"caf\xC3\xA9 <a@b>";
        let cursor = Cursor::checked(input);
        assert!(matches!(
            cursor.text_of(&input[..5]),
            Cow::Borrowed("caf\u{e9}")
        ));
        assert!(matches!(
            cursor.text_of(&input[7..10]),
            Cow::Borrowed("a@b")
        ));
        // Half a character: not a slice of the text, converted on its own.
        assert_eq!(cursor.text_of(&input[..4]), "caf\u{fffd}");
        // A piece of some other input is checked on its own.
        assert!(matches!(cursor.text_of(b"other"), Cow::Borrowed("other")));
        let inner = cursor.within(&input[7..10]);
        assert!(matches!(inner.text_of(&input[8..9]), Cow::Borrowed("@")));
        // 8-bit input that is not UTF-8: every piece is converted on its own.
        let latin: &[u8] = b"caf\xE9 ok";
        let cursor = Cursor::checked(latin);
        assert_eq!(cursor.text_of(&latin[..4]), "caf\u{fffd}");
        assert!(matches!(cursor.text_of(&latin[5..]), Cow::Borrowed("ok")));
    }
}
