//! Multipart boundaries (RFC 2046 §5.1.1) that cannot collide with the content.
//!
//! A boundary is `=_` followed by 24 characters from 18 injected random bytes. `=_` can never
//! start a line of quoted-printable or base64 output (RFC 2045 §6.7 suggests exactly this), and
//! the candidate is then checked against every line of the encoded children: if any line starts
//! with `--` and the candidate, the candidate is extended one character at a time, each time
//! with the character that the fewest colliding lines continue with, until no line matches.
//! Each step divides the colliding lines by up to 64, so this ends long before the 70-character
//! limit for any content that fits in memory.

use super::{BuildError, Randomness};

/// Longest boundary allowed by RFC 2046 §5.1.1.
pub const MAX_BOUNDARY: usize = 70;

/// Characters used after `=_`: all of them are RFC 2046 `bcharsnospace`.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+_";

/// How many fresh random candidates are tried before giving up (each is also extended).
const ATTEMPTS: usize = 8;

fn alphabet_char(value: u8) -> u8 {
    ALPHABET
        .get(usize::from(value & 63))
        .copied()
        .unwrap_or(b'A')
}

fn random_candidate(random: &mut dyn Randomness) -> Vec<u8> {
    let mut bytes = [0u8; 18];
    random.fill(&mut bytes);
    let mut candidate = Vec::with_capacity(MAX_BOUNDARY);
    candidate.extend_from_slice(b"=_");
    // 18 bytes = 144 bits = 24 characters of 6 bits.
    for chunk in bytes.chunks(3) {
        let word = chunk
            .iter()
            .fold(0u32, |acc, &byte| (acc << 8) | u32::from(byte));
        for shift in [18u32, 12, 6, 0] {
            let six = u8::try_from((word >> shift) & 63).unwrap_or(0);
            candidate.push(alphabet_char(six));
        }
    }
    candidate
}

/// Lines of `content` (start of content or after LF) that start with `--` + `candidate`;
/// returns the octet following that prefix for each (None when the line ends right there).
fn colliding_lines(content: &[Vec<u8>], candidate: &[u8]) -> Vec<Option<u8>> {
    let mut found = Vec::new();
    for block in content {
        let mut start = 0usize;
        loop {
            let line = block.get(start..).unwrap_or_default();
            if line.len() >= candidate.len() + 2
                && line.starts_with(b"--")
                && line.get(2..2 + candidate.len()) == Some(candidate)
            {
                found.push(line.get(2 + candidate.len()).copied());
            }
            match line.iter().position(|&b| b == b'\n') {
                Some(lf) => start += lf + 1,
                None => break,
            }
        }
    }
    found
}

/// Picks a boundary that no line of `content` starts with (as `--boundary`).
pub(crate) fn choose_boundary(
    random: &mut dyn Randomness,
    content: &[Vec<u8>],
) -> Result<String, BuildError> {
    for _ in 0..ATTEMPTS {
        let mut candidate = random_candidate(random);
        while candidate.len() <= MAX_BOUNDARY {
            let collisions = colliding_lines(content, &candidate);
            if collisions.is_empty() {
                return Ok(String::from_utf8_lossy(&candidate).into_owned());
            }
            // Extend with the alphabet character the fewest colliding lines continue with.
            let best = ALPHABET
                .iter()
                .copied()
                .min_by_key(|&c| collisions.iter().filter(|&&next| next == Some(c)).count())
                .unwrap_or(b'A');
            candidate.push(best);
        }
    }
    Err(BuildError::NoBoundary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut(&mut [u8]) {
        let mut next = 0u8;
        move |buffer: &mut [u8]| {
            for byte in buffer {
                *byte = next;
                next = next.wrapping_add(1);
            }
        }
    }

    #[test]
    fn boundary_uses_bchars_and_is_not_in_content() {
        let mut random = counter();
        let boundary = choose_boundary(&mut random, &[b"hello".to_vec()]).unwrap();
        assert_eq!(boundary.len(), 26);
        assert!(boundary.starts_with("=_"));
        assert!(boundary
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"=_+".contains(&b)));
    }

    #[test]
    fn colliding_candidate_is_extended() {
        // Zero randomness: the candidate is always "=_AAAA...". Plant it, and its one-character
        // extensions, in the content.
        let mut zeros = |buffer: &mut [u8]| buffer.fill(0);
        let base = format!("=_{}", "A".repeat(24));
        let mut content = format!("text\r\n--{base}\r\n--{base}--\r\n");
        for c in ALPHABET.iter().take(63) {
            content.push_str(&format!("--{base}{}\r\n", char::from(*c)));
        }
        let boundary = choose_boundary(&mut zeros, &[content.clone().into_bytes()]).unwrap();
        assert_eq!(boundary, format!("{base}_"));
        assert!(!content.contains(&format!("\n--{boundary}")));
    }
}
