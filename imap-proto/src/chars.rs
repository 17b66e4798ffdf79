//! Character classes of RFC 3501 / RFC 9051 §9, as one lookup table.

const ATOM: u8 = 1;
const ASTRING: u8 = 1 << 1;
const TAG: u8 = 1 << 2;
const LIST: u8 = 1 << 3;
/// TEXT-CHAR restricted to 7 bits: CHAR except CR and LF.
const TEXT: u8 = 1 << 4;
/// QUOTED-CHAR without escaping: TEXT-CHAR except `"` and `\`.
const QUOTED: u8 = 1 << 5;
const BASE64: u8 = 1 << 6;
/// Characters of a sequence set token: digits, `*`, `:`, `,`, `$`.
const SEQUENCE: u8 = 1 << 7;

const fn is_atom_special(byte: u8) -> bool {
    matches!(
        byte,
        b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\' | b']'
    ) || byte < 0x20
        || byte == 0x7f
}

const fn classify(byte: u8) -> u8 {
    let mut class = 0;
    let is_char = byte >= 0x01 && byte <= 0x7f;
    if is_char && !is_atom_special(byte) {
        class |= ATOM | ASTRING | LIST;
        if byte != b'+' {
            class |= TAG;
        }
    }
    if byte == b']' {
        class |= ASTRING | TAG | LIST;
    }
    if byte == b'%' || byte == b'*' {
        class |= LIST;
    }
    if is_char && byte != b'\r' && byte != b'\n' {
        class |= TEXT;
        if byte != b'"' && byte != b'\\' {
            class |= QUOTED;
        }
    }
    if byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/' {
        class |= BASE64;
    }
    if byte.is_ascii_digit() || matches!(byte, b'*' | b':' | b',' | b'$') {
        class |= SEQUENCE;
    }
    class
}

// The index runs over 0..256 exactly, the table's length.
#[allow(clippy::indexing_slicing)]
const fn build_table() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut index = 0;
    while index < 256 {
        table[index] = classify(index as u8);
        index += 1;
    }
    table
}

static TABLE: [u8; 256] = build_table();

#[inline]
fn class_of(byte: u8) -> u8 {
    TABLE.get(usize::from(byte)).copied().unwrap_or(0)
}

/// ATOM-CHAR: any CHAR except atom-specials.
#[inline]
pub(crate) fn is_atom_char(byte: u8) -> bool {
    class_of(byte) & ATOM != 0
}

/// ASTRING-CHAR: ATOM-CHAR or `]`.
#[inline]
pub(crate) fn is_astring_char(byte: u8) -> bool {
    class_of(byte) & ASTRING != 0
}

/// A tag character: ASTRING-CHAR except `+`.
#[inline]
pub(crate) fn is_tag_char(byte: u8) -> bool {
    class_of(byte) & TAG != 0
}

/// list-char: ATOM-CHAR, list-wildcards or `]`.
#[inline]
pub(crate) fn is_list_char(byte: u8) -> bool {
    class_of(byte) & LIST != 0
}

/// TEXT-CHAR (7-bit): CHAR except CR and LF.
#[inline]
pub(crate) fn is_text_char(byte: u8) -> bool {
    class_of(byte) & TEXT != 0
}

/// A QUOTED-CHAR that needs no backslash (7-bit).
#[inline]
pub(crate) fn is_plain_quoted_char(byte: u8) -> bool {
    class_of(byte) & QUOTED != 0
}

/// base64-char.
#[inline]
pub(crate) fn is_base64_char(byte: u8) -> bool {
    class_of(byte) & BASE64 != 0
}

/// A character that may appear in a sequence-set token.
#[inline]
pub(crate) fn is_sequence_char(byte: u8) -> bool {
    class_of(byte) & SEQUENCE != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_follow_the_abnf() {
        for byte in [
            b'(', b')', b'{', b' ', b'%', b'*', b'"', b'\\', b']', 0, 0x1f, 0x7f, 0x80,
        ] {
            assert!(!is_atom_char(byte), "{byte:#x}");
        }
        for byte in [
            b'a', b'Z', b'0', b'+', b'[', b'}', b'&', b'$', b'.', b'-', b'~',
        ] {
            assert!(is_atom_char(byte), "{byte:#x}");
        }
        assert!(is_astring_char(b']') && !is_atom_char(b']'));
        assert!(is_tag_char(b']') && !is_tag_char(b'+') && is_astring_char(b'+'));
        assert!(is_list_char(b'%') && is_list_char(b'*') && !is_list_char(b'('));
        assert!(is_text_char(b'"') && !is_text_char(b'\r') && !is_text_char(b'\n'));
        assert!(!is_text_char(0) && !is_text_char(0xc3));
        assert!(!is_plain_quoted_char(b'"') && !is_plain_quoted_char(b'\\'));
        assert!(is_base64_char(b'/') && !is_base64_char(b'='));
        assert!(is_sequence_char(b'$') && !is_sequence_char(b' '));
    }
}
