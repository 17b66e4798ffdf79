//! Quoted-printable body encoder (RFC 2045 §6.7).
//!
//! Output lines are at most 76 characters plus CRLF (rule 5); `=` and every octet outside
//! 33..=126 are written as `=XX` with upper-case hex (rules 1 and 2); a space or tab is written
//! literally only when something printable follows it on the same encoded line (rule 3).

/// How CR and LF octets in the input are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QpLineBreaks {
    /// Text: CRLF and bare LF are hard line breaks and come out as CRLF (rule 4); a CR that is
    /// not followed by LF is encoded as `=0D`.
    Text,
    /// Binary data: every CR and LF is encoded (`=0D`, `=0A`), so the octets survive exactly.
    Binary,
}

/// Longest encoded line, not counting CRLF (RFC 2045 §6.7 rule 5).
pub const MAX_QP_LINE: usize = 76;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the quoted-printable encoding of `input` to `out`.
///
/// The output ends with CRLF exactly when the input ends with a hard line break (text mode).
pub fn encode_quoted_printable(input: &[u8], line_breaks: QpLineBreaks, out: &mut Vec<u8>) {
    out.reserve(input.len() + input.len() / 8);
    match line_breaks {
        QpLineBreaks::Binary => encode_line(input, out),
        QpLineBreaks::Text => {
            let mut rest = input;
            while let Some(lf) = rest.iter().position(|&b| b == b'\n') {
                let (line, after) = rest.split_at(lf);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                encode_line(line, out);
                out.extend_from_slice(b"\r\n");
                rest = after.get(1..).unwrap_or_default();
            }
            encode_line(rest, out);
        }
    }
}

/// Returns the quoted-printable encoding of `input` as a new vector.
#[must_use]
pub fn quoted_printable(input: &[u8], line_breaks: QpLineBreaks) -> Vec<u8> {
    let mut out = Vec::new();
    encode_quoted_printable(input, line_breaks, &mut out);
    out
}

fn is_literal(byte: u8) -> bool {
    matches!(byte, 33..=60 | 62..=126)
}

/// Encodes one line that holds no hard line break, inserting soft breaks as needed.
fn encode_line(line: &[u8], out: &mut Vec<u8>) {
    let mut column = 0usize;
    let count = line.len();
    for (index, &byte) in line.iter().enumerate() {
        let is_last = index + 1 == count;
        let whitespace = byte == b' ' || byte == b'\t';
        let literal = is_literal(byte) || (whitespace && !is_last);
        let width = if literal { 1 } else { 3 };
        // A token that is not the last one needs room for the `=` of a possible soft break.
        let limit = if is_last {
            MAX_QP_LINE
        } else {
            MAX_QP_LINE - 1
        };
        if column + width > limit {
            out.extend_from_slice(b"=\r\n");
            column = 0;
        }
        if literal {
            out.push(byte);
        } else {
            push_hex_escape(byte, out);
        }
        column += width;
    }
}

pub(crate) fn push_hex_escape(byte: u8, out: &mut Vec<u8>) {
    out.push(b'=');
    out.push(hex_digit(byte >> 4));
    out.push(hex_digit(byte & 0x0f));
}

pub(crate) fn hex_digit(nibble: u8) -> u8 {
    HEX_UPPER
        .get(usize::from(nibble & 0x0f))
        .copied()
        .unwrap_or(b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(input: &str) -> String {
        String::from_utf8(quoted_printable(input.as_bytes(), QpLineBreaks::Text)).unwrap()
    }

    #[test]
    fn plain_ascii_is_unchanged() {
        assert_eq!(text("Hello, world.\r\nBye"), "Hello, world.\r\nBye");
    }

    #[test]
    fn equals_and_eight_bit_are_escaped_upper_case() {
        assert_eq!(text("a=b"), "a=3Db");
        assert_eq!(text("caf\u{e9}"), "caf=C3=A9");
        assert_eq!(text("\u{c}"), "=0C");
    }

    #[test]
    fn trailing_whitespace_is_encoded() {
        assert_eq!(text("end \r\nnext\t"), "end=20\r\nnext=09");
        assert_eq!(text("a b"), "a b");
    }

    #[test]
    fn bare_lf_becomes_crlf_and_bare_cr_is_escaped() {
        assert_eq!(text("a\nb\rc\r\n"), "a\r\nb=0Dc\r\n");
    }

    #[test]
    fn binary_escapes_line_breaks() {
        let out = quoted_printable(b"a\r\nb", QpLineBreaks::Binary);
        assert_eq!(out, b"a=0D=0Ab");
    }

    #[test]
    fn long_lines_get_soft_breaks_at_76() {
        let input = "x".repeat(200);
        let out = text(&input);
        for line in out.split("\r\n") {
            assert!(line.len() <= MAX_QP_LINE, "{line}");
        }
        assert_eq!(out.replace("=\r\n", ""), input);
        let first = out.split("\r\n").next().unwrap();
        assert_eq!(first.len(), 76);
        assert!(first.ends_with('='));
    }

    #[test]
    fn escapes_are_never_split_by_a_soft_break() {
        let input = "\u{e9}".repeat(60);
        let out = text(&input);
        for line in out.split("\r\n") {
            assert!(line.len() <= MAX_QP_LINE);
            let body = line.strip_suffix('=').unwrap_or(line);
            assert_eq!(body.len() % 3, 0, "{line}");
        }
    }

    #[test]
    fn last_character_may_use_the_full_76() {
        let input = "y".repeat(76);
        assert_eq!(text(&input), input);
        let input77 = "y".repeat(77);
        assert_eq!(text(&input77), format!("{}=\r\nyy", "y".repeat(75)));
    }

    #[test]
    fn whitespace_before_a_soft_break_stays_literal() {
        // The 75th character is a space followed by more text: it may sit before the `=`.
        let input = format!("{} tail", "z".repeat(74));
        let out = text(&input);
        assert_eq!(out, format!("{} =\r\ntail", "z".repeat(74)));
    }
}
