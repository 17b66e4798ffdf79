//! MIME parameters (RFC 2045 §5.1) with RFC 2231 continuations and charset encoding.
//!
//! A value is written in the simplest form that is valid and keeps lines short:
//! a token (`name=value`), a quoted string (`name="a value"`), quoted continuations
//! (`name*0="..."; name*1="..."`) for long ASCII values, and the extended form
//! (`name*=utf-8''%C3%A9` or `name*0*=utf-8''...; name*1*=...`) for values with non-ASCII or
//! control characters. Segments never split a `%XX` escape, a quoted pair or a UTF-8
//! character, so even readers that decode each segment on its own get whole characters.
//!
//! For old readers that know neither RFC 2231 nor the `filename` parameter, the builder also
//! writes the legacy `name` parameter of Content-Type; when the file name is not plain ASCII
//! that legacy value is RFC 2047 encoded words inside a quoted string
//! ([`legacy_encoded_words`]). RFC 2047 §5 forbids encoded words in parameters, so conforming
//! readers (which use `filename*` from Content-Disposition) ignore it, while the mail clients
//! that predate RFC 2231 (Outlook, Lotus Notes, old webmail) read exactly this form.

use super::encoded_word::{choose_word_encoding, encode_words};
use super::quoted_printable::push_hex_escape;

/// Longest parameter segment the builder writes, so that " segment;" fits a 78-column line.
pub const MAX_PARAMETER_SEGMENT: usize = 76;

/// RFC 2045 `token` characters: printable ASCII except space and tspecials.
pub(crate) fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_graphic()
        && !matches!(
            byte,
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
        )
}

/// RFC 2231 `attribute-char`: a token character other than `*`, `'` and `%`.
pub(crate) fn is_attribute_char(byte: u8) -> bool {
    is_token_char(byte) && !matches!(byte, b'*' | b'\'' | b'%')
}

/// True when `name` can be a parameter name (1 to 64 attribute characters).
#[must_use]
pub fn is_valid_parameter_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(is_attribute_char)
}

fn quoted_len(text: &str) -> usize {
    2 + text
        .bytes()
        .map(|b| if b == b'"' || b == b'\\' { 2 } else { 1 })
        .sum::<usize>()
}

fn push_quoted(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        if character == '"' || character == '\\' {
            out.push('\\');
        }
        out.push(character);
    }
    out.push('"');
}

fn percent_len(character: char) -> usize {
    let mut buffer = [0u8; 4];
    character
        .encode_utf8(&mut buffer)
        .bytes()
        .map(|b| if is_attribute_char(b) { 1 } else { 3 })
        .sum()
}

fn push_percent(text: &str, out: &mut String) {
    let mut bytes = Vec::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if is_attribute_char(byte) {
            bytes.push(byte);
        } else {
            push_hex_escape(byte, &mut bytes);
        }
    }
    for byte in bytes {
        // `push_hex_escape` writes `=XX`; RFC 2231 wants `%XX`.
        out.push(if byte == b'=' { '%' } else { char::from(byte) });
    }
}

/// Splits `text` into consecutive pieces whose cost (per character) fits `budget(index)`.
/// Every piece holds at least one character.
fn split_by_cost(
    text: &str,
    cost: impl Fn(char) -> usize,
    budget: impl Fn(usize) -> usize,
) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0usize;
    let mut used = 0usize;
    for (offset, character) in text.char_indices() {
        let width = cost(character);
        if offset > start && used + width > budget(pieces.len()) {
            pieces.push(text.get(start..offset).unwrap_or_default());
            start = offset;
            used = 0;
        }
        used += width;
    }
    if start < text.len() || pieces.is_empty() {
        pieces.push(text.get(start..).unwrap_or_default());
    }
    pieces
}

/// Encodes parameter `attribute` = `value` as one or more segments of at most `max_len`
/// characters each (when the name allows), to be written separated by `;` and white space.
/// `attribute` must satisfy [`is_valid_parameter_name`].
#[must_use]
pub fn encode_parameter(attribute: &str, value: &str, max_len: usize) -> Vec<String> {
    // A value that looks like an RFC 2047 encoded word goes in the extended form (which
    // percent-encodes `=` and `?`): lenient readers decode encoded words in parameters.
    let is_ascii_printable =
        value.bytes().all(|b| (0x20..0x7f).contains(&b)) && !value.contains("=?");
    if !value.is_empty()
        && is_ascii_printable
        && value.bytes().all(is_token_char)
        && attribute.len() + 1 + value.len() <= max_len
    {
        return vec![format!("{attribute}={value}")];
    }
    if is_ascii_printable && attribute.len() + 1 + quoted_len(value) <= max_len {
        let mut segment = format!("{attribute}=");
        push_quoted(value, &mut segment);
        return vec![segment];
    }
    if is_ascii_printable {
        // attribute*N="..." : name, "*", up to 3 digits, "=", two quotes.
        let overhead = attribute.len() + 7;
        let budget = max_len.saturating_sub(overhead).max(2);
        let pieces = split_by_cost(
            value,
            |c| if c == '"' || c == '\\' { 2 } else { 1 },
            |_| budget,
        );
        return pieces
            .iter()
            .enumerate()
            .map(|(index, piece)| {
                let mut segment = format!("{attribute}*{index}=");
                push_quoted(piece, &mut segment);
                segment
            })
            .collect();
    }
    let single = attribute.len() + 9 + value.chars().map(percent_len).sum::<usize>();
    if single <= max_len {
        let mut segment = format!("{attribute}*=utf-8''");
        push_percent(value, &mut segment);
        return vec![segment];
    }
    // attribute*N*= plus, on the first segment only, the charset prefix utf-8''.
    let overhead = attribute.len() + 6;
    let budget = max_len.saturating_sub(overhead).max(12);
    let pieces = split_by_cost(value, percent_len, |index| {
        if index == 0 {
            budget.saturating_sub(7).max(12)
        } else {
            budget
        }
    });
    pieces
        .iter()
        .enumerate()
        .map(|(index, piece)| {
            let mut segment = if index == 0 {
                format!("{attribute}*0*=utf-8''")
            } else {
                format!("{attribute}*{index}*=")
            };
            push_percent(piece, &mut segment);
            segment
        })
        .collect()
}

/// The legacy form for readers without RFC 2231: RFC 2047 encoded words of `value`, to be
/// written inside one quoted string, separated by spaces (see the module documentation).
/// The first word fits `first_max` characters, the others `rest_max`.
#[must_use]
pub fn legacy_encoded_words(value: &str, first_max: usize, rest_max: usize) -> Vec<String> {
    encode_words(value, choose_word_encoding(value), first_max, rest_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_forms() {
        assert_eq!(encode_parameter("charset", "utf-8", 76), ["charset=utf-8"]);
        assert_eq!(
            encode_parameter("filename", "my file.txt", 76),
            ["filename=\"my file.txt\""]
        );
        assert_eq!(
            encode_parameter("name", "a\"b\\c", 76),
            ["name=\"a\\\"b\\\\c\""]
        );
        assert_eq!(encode_parameter("name", "", 76), ["name=\"\""]);
    }

    #[test]
    fn rfc2231_section4_style_extended_value() {
        assert_eq!(
            encode_parameter("title", "\u{e9}t\u{e9} 2024.pdf", 76),
            ["title*=utf-8''%C3%A9t%C3%A9%202024.pdf"]
        );
    }

    #[test]
    fn long_ascii_values_use_quoted_continuations() {
        let value = format!("{}.txt", "long-name ".repeat(20));
        let segments = encode_parameter("filename", &value, 76);
        assert!(segments.len() > 2);
        let mut joined = String::new();
        for (index, segment) in segments.iter().enumerate() {
            assert!(segment.len() <= 76, "{segment}");
            let prefix = format!("filename*{index}=\"");
            assert!(segment.starts_with(&prefix), "{segment}");
            joined.push_str(&segment[prefix.len()..segment.len() - 1]);
        }
        assert_eq!(joined, value);
    }

    #[test]
    fn long_non_ascii_values_use_extended_continuations_without_splitting_characters() {
        let value = "\u{65e5}\u{672c}\u{8a9e}\u{1f600}".repeat(12);
        let segments = encode_parameter("filename", &value, 76);
        assert!(segments[0].starts_with("filename*0*=utf-8''%"));
        let mut octets = Vec::new();
        for (index, segment) in segments.iter().enumerate() {
            assert!(segment.len() <= 76, "{segment}");
            let (head, encoded) = segment.split_once('=').unwrap();
            assert_eq!(head, format!("filename*{index}*"));
            let encoded = encoded.strip_prefix("utf-8''").unwrap_or(encoded);
            let mut piece = Vec::new();
            let mut bytes = encoded.bytes();
            while let Some(byte) = bytes.next() {
                if byte == b'%' {
                    let hex = [bytes.next().unwrap(), bytes.next().unwrap()];
                    piece.push(u8::from_str_radix(std::str::from_utf8(&hex).unwrap(), 16).unwrap());
                } else {
                    piece.push(byte);
                }
            }
            assert!(
                std::str::from_utf8(&piece).is_ok(),
                "split character in {segment}"
            );
            octets.extend(piece);
        }
        assert_eq!(String::from_utf8(octets).unwrap(), value);
    }

    #[test]
    fn values_that_look_encoded_use_the_extended_form() {
        assert_eq!(
            encode_parameter("filename", "=?utf-8?q?x?=.txt", 76),
            ["filename*=utf-8''%3D%3Futf-8%3Fq%3Fx%3F%3D.txt"]
        );
    }

    #[test]
    fn control_characters_force_the_extended_form() {
        assert_eq!(encode_parameter("x", "a\tb", 76), ["x*=utf-8''a%09b"]);
    }
}
