//! Tolerant quoted-printable decoding (RFC 2045 §6.7), one-shot and streaming.
//!
//! Rules, from the RFC and from what real mail needs:
//! - `=XY` with two hex digits is the octet XY; lowercase digits are accepted too
//!   (the RFC asks encoders for uppercase, robust decoders take both).
//! - `=` followed by a line break is a soft line break and is removed; so is `=`
//!   followed by spaces or tabs and then a line break (transport padding added after
//!   the `=`), and a `=` (plus such whitespace) at the very end of the body.
//! - Any other `=` (a bad escape such as `=G1` or `=4` at the end) is left literally,
//!   and decoding goes on with the byte after it.
//! - Spaces and tabs at the end of a line (before CRLF, before a bare LF, or at the
//!   end of the body) are deleted, as RFC 2045 rule 3 tells decoders to do: they were
//!   added by transports. A run of more than [`MAX_PENDING_WHITESPACE`] blanks is
//!   released as text without waiting for the end of its line, so memory stays bounded.
//! - Hard line breaks are kept as they are in the input: CRLF stays CRLF, a bare LF
//!   stays a bare LF; a lone CR is literal.
//!
//! The decoder never fails; the output is never longer than the input.

/// Longest run of blanks held back to find out whether it ends a line.
pub const MAX_PENDING_WHITESPACE: usize = 1024;

/// Length of the run at the start of `input` that decodes to itself when no blank is
/// pending: everything up to a `=`, or up to a blank that may end its line (one
/// followed by another blank, a line break, or the end of the input). CR and LF are
/// themselves here (CRLF stays CRLF, a lone CR is literal).
#[inline]
fn plain_run(input: &[u8]) -> usize {
    let mut i = 0;
    while let Some(&byte) = input.get(i) {
        match byte {
            b'=' => break,
            b' ' | b'\t' => match input.get(i + 1) {
                Some(b' ' | b'\t' | b'\r' | b'\n') | None => break,
                Some(_) => i += 1,
            },
            _ => i += 1,
        }
    }
    i
}

#[inline]
fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    /// Plain text; `blanks` may hold pending whitespace.
    #[default]
    Text,
    /// A CR was seen (after the pending `blanks`); a LF would make a line break.
    Cr,
    /// A `=` was seen.
    Equals,
    /// `=` and one hex digit (kept as written, for the literal fallback).
    EqualsHex(u8),
    /// `=` and then blanks (held in `blanks`): a soft break if a line break follows.
    EqualsBlanks,
    /// `=`, maybe blanks, then CR.
    EqualsCr,
}

/// Streaming quoted-printable decoder: feed chunks split anywhere, get the same bytes
/// as the one-shot [`decode_quoted_printable`] on the whole input.
#[derive(Debug, Clone, Default)]
pub struct QuotedPrintableDecoder {
    state: State,
    /// Pending blanks: at the end of a line they are dropped, elsewhere they are text.
    blanks: Vec<u8>,
}

impl QuotedPrintableDecoder {
    /// A decoder at the start of the body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `input`, appending the bytes to `out`.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len());
        let mut rest = input;
        while !rest.is_empty() {
            if self.state == State::Text && self.blanks.is_empty() {
                let run = plain_run(rest);
                let (plain, tail) = rest.split_at(run);
                out.extend_from_slice(plain);
                rest = tail;
            }
            let Some((&byte, tail)) = rest.split_first() else {
                return;
            };
            rest = tail;
            self.step(byte, out);
        }
    }

    /// Ends the body: trailing blanks are dropped, a final `=` is a soft break, a
    /// final `=X` is literal.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self.state {
            State::Text | State::Equals | State::EqualsBlanks | State::EqualsCr => {}
            State::Cr => {
                out.extend_from_slice(&self.blanks);
                out.push(b'\r');
            }
            State::EqualsHex(digit) => out.extend_from_slice(&[b'=', digit]),
        }
        self.blanks.clear();
        self.state = State::Text;
    }

    fn release_blanks(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.blanks);
        self.blanks.clear();
    }

    fn step(&mut self, byte: u8, out: &mut Vec<u8>) {
        match self.state {
            State::Text => match byte {
                b' ' | b'\t' => {
                    if self.blanks.len() >= MAX_PENDING_WHITESPACE {
                        self.release_blanks(out);
                    }
                    self.blanks.push(byte);
                }
                b'\r' => self.state = State::Cr,
                b'\n' => {
                    self.blanks.clear();
                    out.push(b'\n');
                }
                b'=' => {
                    self.release_blanks(out);
                    self.state = State::Equals;
                }
                _ => {
                    self.release_blanks(out);
                    out.push(byte);
                }
            },
            State::Cr => {
                if byte == b'\n' {
                    self.blanks.clear();
                    out.extend_from_slice(b"\r\n");
                    self.state = State::Text;
                } else {
                    self.release_blanks(out);
                    out.push(b'\r');
                    self.state = State::Text;
                    self.step(byte, out);
                }
            }
            State::Equals => match byte {
                b'\n' => self.state = State::Text,
                b'\r' => self.state = State::EqualsCr,
                b' ' | b'\t' => {
                    self.blanks.push(byte);
                    self.state = State::EqualsBlanks;
                }
                _ if hex_value(byte).is_some() => self.state = State::EqualsHex(byte),
                _ => {
                    out.push(b'=');
                    self.state = State::Text;
                    self.step(byte, out);
                }
            },
            State::EqualsHex(high) => match (hex_value(high), hex_value(byte)) {
                (Some(h), Some(l)) => {
                    out.push((h << 4) | l);
                    self.state = State::Text;
                }
                _ => {
                    out.extend_from_slice(&[b'=', high]);
                    self.state = State::Text;
                    self.step(byte, out);
                }
            },
            State::EqualsBlanks => match byte {
                b'\n' => {
                    self.blanks.clear();
                    self.state = State::Text;
                }
                b'\r' => self.state = State::EqualsCr,
                b' ' | b'\t' if self.blanks.len() < MAX_PENDING_WHITESPACE => {
                    self.blanks.push(byte);
                }
                _ => {
                    // Not a soft break: the `=` is literal, the blanks are ordinary
                    // pending blanks of the text.
                    out.push(b'=');
                    self.state = State::Text;
                    self.step(byte, out);
                }
            },
            State::EqualsCr => {
                if byte == b'\n' {
                    self.blanks.clear();
                    self.state = State::Text;
                } else {
                    out.push(b'=');
                    self.state = State::Cr;
                    self.step(byte, out);
                }
            }
        }
    }
}

/// Decodes a whole quoted-printable body (see the module docs for what is tolerated).
pub fn decode_quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut decoder = QuotedPrintableDecoder::new();
    decoder.decode(input, &mut out);
    decoder.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &[u8], expected: &[u8]) {
        let whole = decode_quoted_printable(input);
        assert_eq!(
            whole,
            expected,
            "input {:?} gave {:?}",
            String::from_utf8_lossy(input),
            String::from_utf8_lossy(&whole)
        );
        for cut in 0..=input.len() {
            let (a, b) = input.split_at(cut);
            let mut decoder = QuotedPrintableDecoder::new();
            let mut out = Vec::new();
            decoder.decode(a, &mut out);
            decoder.decode(b, &mut out);
            decoder.finish(&mut out);
            assert_eq!(
                out,
                expected,
                "cut at {cut} of {:?}",
                String::from_utf8_lossy(input)
            );
        }
        // Byte by byte.
        let mut decoder = QuotedPrintableDecoder::new();
        let mut out = Vec::new();
        for byte in input {
            decoder.decode(std::slice::from_ref(byte), &mut out);
        }
        decoder.finish(&mut out);
        assert_eq!(out, expected);
    }

    #[test]
    fn escapes() {
        check(b"a=3Db", b"a=b");
        check(b"a=3db", b"a=b");
        check(b"=E9t=E9", b"\xE9t\xE9");
        check(b"=00=FF", b"\x00\xFF");
    }

    #[test]
    fn bad_escapes_stay_literal() {
        check(b"a=G1b", b"a=G1b");
        check(b"a=4", b"a=4");
        check(b"a=4x", b"a=4x");
        check(b"x=0", b"x=0");
        check(b"==41", b"=A");
        check(b"=4=41", b"=4A");
        check(b"= x", b"= x");
        check(b"=\rx", b"=\rx");
        check(b"= \r x", b"= \r x");
    }

    #[test]
    fn soft_breaks() {
        check(b"a=\r\nb", b"ab");
        check(b"a=\nb", b"ab");
        check(b"a= \t \r\nb", b"ab");
        check(b"a= \nb", b"ab");
        check(b"a=", b"a");
        check(b"a=  ", b"a");
        check(b"long line=\r\n continued", b"long line continued");
    }

    #[test]
    fn trailing_whitespace_is_deleted() {
        check(b"a b  c \r\nd\te =\r\nf g", b"a b  c\r\nd\te f g");
        check(b"a  \r\nb", b"a\r\nb");
        check(b"a \t\nb", b"a\nb");
        check(b"a\tb  ", b"a\tb");
        check(b"a  b", b"a  b");
        check(b"a \rb", b"a \rb");
        check(b"a \r", b"a \r");
        check(b"  =41", b"  A");
    }

    #[test]
    fn line_breaks_are_kept() {
        check(b"one\r\ntwo\nthree\r", b"one\r\ntwo\nthree\r");
        check(b"\r\r\n", b"\r\r\n");
    }

    #[test]
    fn rfc2045_example() {
        let input = b"Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.";
        check(
            input,
            b"Now's the time for all folk to come to the aid of their country.",
        );
    }

    /// Every short string over the bytes that matter decodes the same whole (fast
    /// paths) and byte by byte (the state machine alone).
    #[test]
    fn fast_path_agrees_with_the_state_machine() {
        let alphabet = [b'a', b' ', b'\t', b'\r', b'\n', b'=', b'4', b'1'];
        let mut input = Vec::new();
        for length in 0..=6u32 {
            for mut code in 0..alphabet.len().pow(length) {
                input.clear();
                for _ in 0..length {
                    input.push(alphabet[code % alphabet.len()]);
                    code /= alphabet.len();
                }
                let whole = decode_quoted_printable(&input);
                let mut decoder = QuotedPrintableDecoder::new();
                let mut out = Vec::new();
                for byte in &input {
                    decoder.decode(std::slice::from_ref(byte), &mut out);
                }
                decoder.finish(&mut out);
                assert_eq!(whole, out, "{:?}", String::from_utf8_lossy(&input));
            }
        }
    }

    #[test]
    fn long_blank_runs_are_released() {
        let mut input = vec![b' '; MAX_PENDING_WHITESPACE + 10];
        input.extend_from_slice(b"\r\n");
        // The first MAX blanks were released as text before the line end was known;
        // the last 10 are trailing and dropped.
        let mut expected = vec![b' '; MAX_PENDING_WHITESPACE];
        expected.extend_from_slice(b"\r\n");
        assert_eq!(decode_quoted_printable(&input), expected);
        let mut decoder = QuotedPrintableDecoder::new();
        let mut out = Vec::new();
        for chunk in input.chunks(7) {
            decoder.decode(chunk, &mut out);
        }
        decoder.finish(&mut out);
        assert_eq!(out, expected);
    }
}
