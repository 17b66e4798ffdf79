//! RFC 2047 encoded-word encoder (UTF-8 only).
//!
//! Every word is at most 75 characters (§2), holds whole UTF-8 characters (§5: "a multi-octet
//! character may not be split across adjacent encoded-words") and complete `=XX` or base64
//! quanta. The `Q` form uses only the characters §5 (3) allows inside a `phrase` (letters,
//! digits, `!*+-/`, `_` for space, `=XX` for the rest), so the same words are valid in
//! unstructured text, in comments and in display names.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::quoted_printable::push_hex_escape;

/// Longest encoded word, delimiters included (RFC 2047 §2).
pub const MAX_ENCODED_WORD: usize = 75;

/// The two encodings of RFC 2047 §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordEncoding {
    /// "B": base64 of the UTF-8 octets (§4.1).
    B,
    /// "Q": quoted-printable-like, readable for mostly-ASCII text (§4.2).
    Q,
}

impl WordEncoding {
    fn prefix(self) -> &'static str {
        match self {
            WordEncoding::B => "=?utf-8?b?",
            WordEncoding::Q => "=?utf-8?q?",
        }
    }
}

/// Characters an encoded word spends on `=?utf-8?X?` and `?=`.
pub const WORD_OVERHEAD: usize = 12;

fn q_literal(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'!' | b'*' | b'+' | b'-' | b'/')
}

fn q_octet_len(byte: u8) -> usize {
    if q_literal(byte) || byte == b' ' {
        1
    } else {
        3
    }
}

fn q_len(text: &str) -> usize {
    text.bytes().map(q_octet_len).sum()
}

fn b_len(octets: usize) -> usize {
    octets.div_ceil(3) * 4
}

/// Picks the shorter encoding for `text`; on a tie `Q`, which stays readable.
#[must_use]
pub fn choose_word_encoding(text: &str) -> WordEncoding {
    if q_len(text) <= b_len(text.len()) {
        WordEncoding::Q
    } else {
        WordEncoding::B
    }
}

/// Encodes the longest prefix of `text` (whole characters) that fits in one word of at most
/// `max_len` characters. Returns the word and the number of bytes of `text` it holds, or `None`
/// when not even the first character fits (or `text` is empty).
#[must_use]
pub fn encode_word_prefix(
    text: &str,
    encoding: WordEncoding,
    max_len: usize,
) -> Option<(String, usize)> {
    let budget = max_len.min(MAX_ENCODED_WORD).checked_sub(WORD_OVERHEAD)?;
    let mut taken = 0usize;
    let mut encoded_len = 0usize;
    for (offset, character) in text.char_indices() {
        let end = offset + character.len_utf8();
        let next_len = match encoding {
            WordEncoding::B => b_len(end),
            WordEncoding::Q => {
                encoded_len
                    + text
                        .get(offset..end)
                        .map(q_len)
                        .unwrap_or(3 * character.len_utf8())
            }
        };
        if next_len > budget {
            break;
        }
        encoded_len = next_len;
        taken = end;
    }
    if taken == 0 {
        return None;
    }
    let chunk = text.get(..taken)?;
    let mut word = String::with_capacity(WORD_OVERHEAD + encoded_len);
    word.push_str(encoding.prefix());
    match encoding {
        WordEncoding::B => STANDARD.encode_string(chunk.as_bytes(), &mut word),
        WordEncoding::Q => {
            let mut bytes = Vec::with_capacity(encoded_len);
            for byte in chunk.bytes() {
                if q_literal(byte) {
                    bytes.push(byte);
                } else if byte == b' ' {
                    bytes.push(b'_');
                } else {
                    push_hex_escape(byte, &mut bytes);
                }
            }
            // Only ASCII was pushed, so this conversion cannot fail.
            word.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    word.push_str("?=");
    Some((word, taken))
}

/// Encodes all of `text` as encoded words: the first at most `first_max` characters, the
/// others at most `rest_max` (both capped at 75). A limit too small for the next character is
/// raised to 75 for that word. Adjacent words are meant to be separated by folding white space,
/// which decoders drop (RFC 2047 §6.2).
#[must_use]
pub fn encode_words(
    text: &str,
    encoding: WordEncoding,
    first_max: usize,
    rest_max: usize,
) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = text;
    let mut max_len = first_max;
    while !rest.is_empty() {
        let next = encode_word_prefix(rest, encoding, max_len)
            .or_else(|| encode_word_prefix(rest, encoding, MAX_ENCODED_WORD));
        let Some((word, used)) = next else {
            // Unreachable: a 75-character word holds any single character.
            break;
        };
        words.push(word);
        rest = rest.get(used..).unwrap_or_default();
        max_len = rest_max;
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q_words_escape_specials_and_use_underscore_for_space() {
        let words = encode_words("Keld J\u{f8}rn Simonsen", WordEncoding::Q, 75, 75);
        assert_eq!(words, ["=?utf-8?q?Keld_J=C3=B8rn_Simonsen?="]);
        let words = encode_words("a=b?c_d\"e", WordEncoding::Q, 75, 75);
        assert_eq!(words, ["=?utf-8?q?a=3Db=3Fc=5Fd=22e?="]);
    }

    #[test]
    fn b_words_match_rfc2047_example() {
        // RFC 2047 §8: "=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=" is "If you can read this yo".
        let words = encode_words("If you can read this yo", WordEncoding::B, 75, 75);
        assert_eq!(words, ["=?utf-8?b?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?="]);
    }

    #[test]
    fn choice_prefers_q_for_ascii_and_b_for_non_latin() {
        assert_eq!(choose_word_encoding("Hello J\u{f6}rg"), WordEncoding::Q);
        assert_eq!(
            choose_word_encoding("\u{65e5}\u{672c}\u{8a9e}\u{306e}\u{4ef6}\u{540d}"),
            WordEncoding::B
        );
    }

    #[test]
    fn words_never_exceed_75_nor_split_characters() {
        let text = "\u{1f600}a\u{e9}\u{65e5}".repeat(40);
        for encoding in [WordEncoding::B, WordEncoding::Q] {
            let words = encode_words(&text, encoding, 30, 75);
            assert!(words.first().unwrap().len() <= 30);
            let mut decoded = Vec::new();
            for word in &words {
                assert!(word.len() <= MAX_ENCODED_WORD, "{word}");
                let inner = &word[WORD_OVERHEAD - 2..word.len() - 2];
                let octets = match encoding {
                    WordEncoding::B => STANDARD.decode(inner).unwrap(),
                    WordEncoding::Q => decode_q(inner),
                };
                // Each word must hold whole characters on its own.
                assert!(std::str::from_utf8(&octets).is_ok(), "{word}");
                decoded.extend(octets);
            }
            assert_eq!(String::from_utf8(decoded).unwrap(), text);
        }
    }

    #[test]
    fn first_word_too_small_falls_back_to_full_size() {
        let words = encode_words("\u{1f600}", WordEncoding::Q, 13, 75);
        assert_eq!(words, ["=?utf-8?q?=F0=9F=98=80?="]);
    }

    fn decode_q(text: &str) -> Vec<u8> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut index = 0;
        while index < bytes.len() {
            match bytes[index] {
                b'_' => out.push(b' '),
                b'=' => {
                    let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    index += 2;
                }
                other => out.push(other),
            }
            index += 1;
        }
        out
    }
}
