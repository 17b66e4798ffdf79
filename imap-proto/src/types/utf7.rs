//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3, RFC 9051 Appendix A.1).
//!
//! Printable ASCII except `&` stands for itself, `&` is `&-`, and every run of other
//! characters is UTF-16BE in base64 with `,` for `/`, between `&` and `-`. The decoder is
//! strict: it refuses what the RFC forbids (printable ASCII in base64, superfluous
//! shifts, missing `-`, non-zero padding bits), so each name has exactly one encoding.

use crate::error::ValidationError;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn sextet(byte: u8) -> Option<u32> {
    let value = match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    };
    Some(u32::from(value))
}

fn is_direct(character: char) -> bool {
    (' '..='~').contains(&character)
}

fn push_sextet(out: &mut String, value: u32) {
    let index = usize::try_from(value & 0x3f).unwrap_or(0);
    if let Some(&byte) = ALPHABET.get(index) {
        out.push(char::from(byte));
    }
}

fn flush_run(out: &mut String, run: &[u16]) {
    if run.is_empty() {
        return;
    }
    out.push('&');
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    for &unit in run {
        bits = (bits << 16) | u32::from(unit);
        bit_count += 16;
        while bit_count >= 6 {
            bit_count -= 6;
            push_sextet(out, bits >> bit_count);
        }
        bits &= (1 << bit_count) - 1;
    }
    if bit_count > 0 {
        push_sextet(out, bits << (6 - bit_count));
    }
    out.push('-');
}

/// Encodes a mailbox name in modified UTF-7.
pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut run: Vec<u16> = Vec::new();
    for character in name.chars() {
        if is_direct(character) {
            flush_run(&mut out, &run);
            run.clear();
            if character == '&' {
                out.push_str("&-");
            } else {
                out.push(character);
            }
        } else {
            let mut units = [0u16; 2];
            run.extend_from_slice(character.encode_utf16(&mut units));
        }
    }
    flush_run(&mut out, &run);
    out
}

/// Decodes a modified UTF-7 mailbox name, refusing any form the RFC forbids.
pub fn decode(encoded: &[u8]) -> Result<String, ValidationError> {
    let mut out = String::with_capacity(encoded.len());
    let mut index = 0;
    let mut previous_was_base64 = false;
    while let Some(&byte) = encoded.get(index) {
        match byte {
            b'&' => {
                let rest = encoded.get(index + 1..).unwrap_or_default();
                let end = rest
                    .iter()
                    .position(|&b| b == b'-')
                    .ok_or(ValidationError::InvalidUtf7)?;
                let run = rest.get(..end).unwrap_or_default();
                if run.is_empty() {
                    out.push('&');
                    previous_was_base64 = false;
                } else {
                    if previous_was_base64 {
                        // "-&" between two base64 runs is a superfluous shift.
                        return Err(ValidationError::InvalidUtf7);
                    }
                    decode_run(run, &mut out)?;
                    previous_was_base64 = true;
                }
                index += end + 2;
            }
            0x20..=0x7e => {
                out.push(char::from(byte));
                previous_was_base64 = false;
                index += 1;
            }
            _ => return Err(ValidationError::InvalidUtf7),
        }
    }
    Ok(out)
}

fn decode_run(run: &[u8], out: &mut String) -> Result<(), ValidationError> {
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    let mut bits: u32 = 0;
    let mut bit_count = 0;
    for &byte in run {
        let value = sextet(byte).ok_or(ValidationError::InvalidUtf7)?;
        bits = (bits << 6) | value;
        bit_count += 6;
        if bit_count >= 16 {
            bit_count -= 16;
            units.push(((bits >> bit_count) & 0xffff) as u16);
            bits &= (1 << bit_count) - 1;
        }
    }
    // Leftover bits are padding: fewer than six, all zero.
    if bit_count >= 6 || bits != 0 || units.is_empty() {
        return Err(ValidationError::InvalidUtf7);
    }
    for decoded in char::decode_utf16(units) {
        let character = decoded.map_err(|_| ValidationError::InvalidUtf7)?;
        if is_direct(character) {
            return Err(ValidationError::InvalidUtf7);
        }
        out.push(character);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_examples() {
        assert_eq!(
            decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(),
            "~peter/mail/台北/日本語"
        );
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(encode("台北日本語"), "&U,BTF2XlZyyKng-");
        assert_eq!(decode(b"&U,BTF2XlZyyKng-").unwrap(), "台北日本語");
        // Forbidden forms.
        assert!(decode(b"&Jjo!").is_err());
        assert!(decode(b"&U,BTFw-&ZeVnLIqe-").is_err());
        assert_eq!(decode(b"&Jjo-!").unwrap(), "\u{263a}!");
    }

    #[test]
    fn ampersand_and_ascii() {
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(decode(b"Tom &- Jerry").unwrap(), "Tom & Jerry");
        assert_eq!(decode(b"&-&-").unwrap(), "&&");
        assert_eq!(encode("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(decode(b"Entw&APw-rfe").unwrap(), "Entwürfe");
    }

    #[test]
    fn refuses_malformed_runs() {
        // "a" (U+0061) encoded in base64 must stand for itself.
        assert!(decode(b"&AGE-").is_err());
        // Non-zero padding bits.
        assert!(decode(b"&APx-").is_err());
        // Unpaired surrogate.
        assert!(decode(b"&2AA-").is_err());
        // No closing '-'.
        assert!(decode(b"&APw").is_err());
        // Eight-bit and control octets are never part of modified UTF-7.
        assert!(decode("Entwürfe".as_bytes()).is_err());
        assert!(decode(b"a\tb").is_err());
        // Characters outside the alphabet.
        assert!(decode(b"&AP/-").is_err());
    }

    #[test]
    fn astral_plane_uses_surrogate_pairs() {
        let name = "mail 📬 box";
        let encoded = encode(name);
        assert_eq!(decode(encoded.as_bytes()).unwrap(), name);
    }

    proptest::proptest! {
        #[test]
        fn encoding_round_trips(name in "\\PC*") {
            let encoded = encode(&name);
            proptest::prop_assert!(encoded.bytes().all(|b| (0x20..0x7f).contains(&b)));
            proptest::prop_assert_eq!(decode(encoded.as_bytes()).unwrap(), name);
        }
    }
}
