//! IMAP part numbers (RFC 3501 §6.4.5): `1`, `1.2`, `3.1.2`.

use std::fmt;

/// The IMAP part number of an entity, as in `BODY[1.2.3]`.
///
/// Numbering follows RFC 3501 §6.4.5:
/// - a message that is not multipart has one part, `1` (its body);
/// - the parts of a multipart are numbered 1, 2, 3... in order, below the number of
///   the multipart; the top-level multipart itself has the empty path;
/// - a message/rfc822 (or message/global) part `P` has nested numbers for the parts
///   of the message it encapsulates: if that message is multipart, its parts are
///   `P.1`, `P.2`... and the encapsulated message itself shares the path `P`; if it
///   is not multipart, its body is `P.1`.
///
/// So the empty path and the path of a message/rfc822 part can each belong to two
/// entities (the container and the multipart message inside); a lookup by path
/// ([`Message::part`](crate::tree::Message::part)) returns the outer one, which is
/// what `BODY[P]` means.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartPath(Vec<u32>);

impl PartPath {
    /// The empty path (the top-level multipart).
    pub fn root() -> Self {
        PartPath(Vec::new())
    }

    /// A path from its numbers.
    pub fn from_numbers(numbers: impl Into<Vec<u32>>) -> Self {
        PartPath(numbers.into())
    }

    /// Parses `1.2.3` (numbers from 1, separated by dots); the empty string is the
    /// empty path. Anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return Some(Self::root());
        }
        let mut numbers = Vec::new();
        for piece in text.split('.') {
            if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let number: u32 = piece.parse().ok()?;
            if number == 0 {
                return None;
            }
            numbers.push(number);
        }
        Some(PartPath(numbers))
    }

    /// The numbers, outermost first.
    pub fn numbers(&self) -> &[u32] {
        &self.0
    }

    /// Whether this is the empty path.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// How many numbers the path has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the path has no numbers (same as [`PartPath::is_root`]).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// This path with `number` appended.
    #[must_use]
    pub fn child(&self, number: u32) -> Self {
        let mut numbers = Vec::with_capacity(self.0.len() + 1);
        numbers.extend_from_slice(&self.0);
        numbers.push(number);
        PartPath(numbers)
    }
}

impl fmt::Display for PartPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, number) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{number}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        for text in ["", "1", "1.2", "4.2.2.1", "10.200"] {
            let path = PartPath::parse(text).unwrap();
            assert_eq!(path.to_string(), text);
        }
        assert_eq!(PartPath::root().child(3).child(1).numbers(), &[3, 1]);
        for bad in ["0", "1.", ".1", "1..2", "a", "1.0", "-1", "99999999999"] {
            assert_eq!(PartPath::parse(bad), None, "{bad}");
        }
    }
}
