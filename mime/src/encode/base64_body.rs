//! Base64 body encoder (RFC 2045 §6.8): the standard alphabet with padding, in lines of 76
//! characters, every line ended by CRLF.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Characters per encoded line (RFC 2045 §6.8: "no more than 76 characters").
pub const BASE64_LINE: usize = 76;

/// Input octets that make one full encoded line (76 / 4 * 3).
const OCTETS_PER_LINE: usize = BASE64_LINE / 4 * 3;

/// Appends the base64 encoding of `input` to `out`, in CRLF-terminated lines of 76 characters
/// (the last line may be shorter). Empty input produces no output.
pub fn encode_base64_lines(input: &[u8], out: &mut Vec<u8>) {
    out.reserve(encoded_base64_len(input.len()));
    let mut line = String::with_capacity(BASE64_LINE);
    for chunk in input.chunks(OCTETS_PER_LINE) {
        line.clear();
        STANDARD.encode_string(chunk, &mut line);
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Returns the base64 encoding of `input` in CRLF-terminated 76-character lines.
#[must_use]
pub fn base64_lines(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_base64_lines(input, &mut out);
    out
}

/// The exact number of octets [`encode_base64_lines`] writes for `len` input octets.
#[must_use]
pub fn encoded_base64_len(len: usize) -> usize {
    let characters = len.div_ceil(3) * 4;
    characters + 2 * characters.div_ceil(BASE64_LINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4648_vectors_single_line() {
        for (input, expected) in [
            ("f", "Zg==\r\n"),
            ("fo", "Zm8=\r\n"),
            ("foo", "Zm9v\r\n"),
            ("foobar", "Zm9vYmFy\r\n"),
        ] {
            assert_eq!(base64_lines(input.as_bytes()), expected.as_bytes());
        }
        assert!(base64_lines(b"").is_empty());
    }

    #[test]
    fn lines_are_76_characters() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let out = base64_lines(&data);
        assert_eq!(out.len(), encoded_base64_len(data.len()));
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        assert!(lines
            .iter()
            .rev()
            .skip(1)
            .all(|line| line.len() == BASE64_LINE));
        assert!(lines.last().unwrap().len() <= BASE64_LINE);
        let joined: String = lines.concat();
        assert_eq!(STANDARD.decode(joined).unwrap(), data);
    }

    #[test]
    fn length_formula_matches_for_every_small_size() {
        for len in 0..300 {
            let data = vec![0xa5u8; len];
            assert_eq!(base64_lines(&data).len(), encoded_base64_len(len), "{len}");
        }
    }
}
