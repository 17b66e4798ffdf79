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
#[derive(Clone, Default)]
pub struct PartPath(Numbers);

/// How many numbers a path keeps without allocating (real mail rarely nests deeper).
const INLINE: usize = 6;

#[derive(Clone)]
enum Numbers {
    Inline { len: u8, numbers: [u32; INLINE] },
    Heap(Vec<u32>),
}

impl Default for Numbers {
    fn default() -> Self {
        Numbers::Inline {
            len: 0,
            numbers: [0; INLINE],
        }
    }
}

impl PartPath {
    /// The empty path (the top-level multipart).
    pub fn root() -> Self {
        PartPath::default()
    }

    /// A path from its numbers.
    pub fn from_numbers(numbers: impl Into<Vec<u32>>) -> Self {
        let numbers: Vec<u32> = numbers.into();
        let mut path = PartPath::root();
        for number in numbers {
            path.push(number);
        }
        path
    }

    /// Parses `1.2.3` (numbers from 1, separated by dots); the empty string is the
    /// empty path. Anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut path = PartPath::root();
        if text.is_empty() {
            return Some(path);
        }
        for piece in text.split('.') {
            if piece.is_empty() || !piece.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let number: u32 = piece.parse().ok()?;
            if number == 0 {
                return None;
            }
            path.push(number);
        }
        Some(path)
    }

    /// The numbers, outermost first.
    pub fn numbers(&self) -> &[u32] {
        match &self.0 {
            Numbers::Inline { len, numbers } => {
                numbers.get(..usize::from(*len)).unwrap_or_default()
            }
            Numbers::Heap(numbers) => numbers,
        }
    }

    /// Whether this is the empty path.
    pub fn is_root(&self) -> bool {
        self.numbers().is_empty()
    }

    /// How many numbers the path has.
    pub fn len(&self) -> usize {
        self.numbers().len()
    }

    /// Whether the path has no numbers (same as [`PartPath::is_root`]).
    pub fn is_empty(&self) -> bool {
        self.numbers().is_empty()
    }

    /// This path with `number` appended.
    #[must_use]
    pub fn child(&self, number: u32) -> Self {
        let mut path = self.clone();
        path.push(number);
        path
    }

    fn push(&mut self, number: u32) {
        match &mut self.0 {
            Numbers::Inline { len, numbers } => {
                if let Some(slot) = numbers.get_mut(usize::from(*len)) {
                    *slot = number;
                    *len += 1;
                } else {
                    let mut heap = numbers.to_vec();
                    heap.push(number);
                    self.0 = Numbers::Heap(heap);
                }
            }
            Numbers::Heap(numbers) => numbers.push(number),
        }
    }
}

impl fmt::Debug for PartPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PartPath").field(&self.numbers()).finish()
    }
}

impl PartialEq for PartPath {
    fn eq(&self, other: &Self) -> bool {
        self.numbers() == other.numbers()
    }
}

impl Eq for PartPath {}

impl std::hash::Hash for PartPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.numbers().hash(state);
    }
}

impl PartialOrd for PartPath {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PartPath {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.numbers().cmp(other.numbers())
    }
}

impl fmt::Display for PartPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, number) in self.numbers().iter().enumerate() {
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
        // Deeper than the inline storage, and equal however it is stored.
        let deep = PartPath::parse("1.2.3.4.5.6.7.8").unwrap();
        assert_eq!(deep.numbers(), &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(deep.to_string(), "1.2.3.4.5.6.7.8");
        assert_eq!(PartPath::from_numbers(vec![1, 2, 3, 4, 5, 6, 7, 8]), deep);
        assert!(PartPath::parse("1.2").unwrap() < PartPath::parse("1.10").unwrap());
        for bad in ["0", "1.", ".1", "1..2", "a", "1.0", "-1", "99999999999"] {
            assert_eq!(PartPath::parse(bad), None, "{bad}");
        }
    }
}
