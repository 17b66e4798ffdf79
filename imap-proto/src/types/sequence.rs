//! Sequence sets (RFC 3501 §9, RFC 9051 `$` from SEARCHRES) and UID sets (RFC 4315).

use std::fmt;
use std::num::NonZeroU32;

use crate::types::{IntoOwned, NonEmpty};

/// A message number or UID in a sequence set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNumber {
    /// A number.
    Value(NonZeroU32),
    /// `*`: the largest number in use.
    Largest,
}

impl SeqNumber {
    /// The number, with `*` standing for `largest`.
    pub fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqNumber::Value(value) => value.get(),
            SeqNumber::Largest => largest,
        }
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeqNumber::Value(value) => write!(f, "{value}"),
            SeqNumber::Largest => f.write_str("*"),
        }
    }
}

/// One element of a sequence set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SequenceItem {
    /// A single number.
    Single(SeqNumber),
    /// Two numbers and all between them, in either order (`4:2` is `2:4`).
    Range(SeqNumber, SeqNumber),
}

impl fmt::Display for SequenceItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SequenceItem::Single(number) => write!(f, "{number}"),
            SequenceItem::Range(from, to) => write!(f, "{from}:{to}"),
        }
    }
}

/// A set of message numbers or UIDs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SequenceSet {
    /// Numbers and ranges, comma-separated on the wire.
    Items(NonEmpty<SequenceItem>),
    /// `$`: the result saved by the last `SEARCH RETURN (SAVE)` (RFC 5182, RFC 9051).
    Saved,
}

impl SequenceSet {
    /// A set of one number.
    pub fn single(number: NonZeroU32) -> Self {
        SequenceSet::Items(NonEmpty::new(SequenceItem::Single(SeqNumber::Value(
            number,
        ))))
    }

    /// A set of one range.
    pub fn range(from: SeqNumber, to: SeqNumber) -> Self {
        SequenceSet::Items(NonEmpty::new(SequenceItem::Range(from, to)))
    }

    /// `1:*`.
    pub fn all() -> Self {
        SequenceSet::range(SeqNumber::Value(NonZeroU32::MIN), SeqNumber::Largest)
    }

    /// True when `number` is in the set, `*` standing for `largest`. Always false for
    /// `$`, whose content only the server knows.
    pub fn contains(&self, number: u32, largest: u32) -> bool {
        match self {
            SequenceSet::Saved => false,
            SequenceSet::Items(items) => items.iter().any(|item| match *item {
                SequenceItem::Single(single) => single.resolve(largest) == number,
                SequenceItem::Range(from, to) => {
                    let (from, to) = (from.resolve(largest), to.resolve(largest));
                    (from.min(to)..=from.max(to)).contains(&number)
                }
            }),
        }
    }
}

impl fmt::Display for SequenceSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SequenceSet::Saved => f.write_str("$"),
            SequenceSet::Items(items) => {
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

impl IntoOwned for SequenceSet {
    type Owned = SequenceSet;
    fn into_owned(self) -> SequenceSet {
        self
    }
}

/// One element of a UID set: no `*` (RFC 4315 `uid-set`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UidItem {
    /// A single UID.
    Single(NonZeroU32),
    /// Two UIDs and all between them, in either order.
    Range(NonZeroU32, NonZeroU32),
}

/// A set of UIDs, as in APPENDUID and COPYUID response codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UidSet(pub NonEmpty<UidItem>);

impl UidSet {
    /// A set of one UID.
    pub fn single(uid: NonZeroU32) -> Self {
        UidSet(NonEmpty::new(UidItem::Single(uid)))
    }

    /// The UIDs in wire order, ranges expanded from their first to their second
    /// number (COPYUID pairs source and destination UIDs by this order). `None` when
    /// more than `max` UIDs would come out, so a hostile range cannot exhaust memory.
    pub fn expand(&self, max: usize) -> Option<Vec<u32>> {
        let mut out = Vec::new();
        for item in self.0.iter() {
            match *item {
                UidItem::Single(uid) => out.push(uid.get()),
                UidItem::Range(from, to) => {
                    let (from, to) = (from.get(), to.get());
                    let count = usize::try_from(from.abs_diff(to)).ok()?.checked_add(1)?;
                    if out.len().checked_add(count)? > max {
                        return None;
                    }
                    if from <= to {
                        out.extend(from..=to);
                    } else {
                        out.extend((to..=from).rev());
                    }
                }
            }
            if out.len() > max {
                return None;
            }
        }
        Some(out)
    }
}

impl fmt::Display for UidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, item) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            match item {
                UidItem::Single(uid) => write!(f, "{uid}")?,
                UidItem::Range(from, to) => write!(f, "{from}:{to}")?,
            }
        }
        Ok(())
    }
}

impl IntoOwned for UidSet {
    type Owned = UidSet;
    fn into_owned(self) -> UidSet {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nz(value: u32) -> NonZeroU32 {
        NonZeroU32::new(value).unwrap()
    }

    #[test]
    fn contains_resolves_star_and_reversed_ranges() {
        let set = SequenceSet::Items(
            NonEmpty::try_from(vec![
                SequenceItem::Single(SeqNumber::Value(nz(2))),
                SequenceItem::Range(SeqNumber::Value(nz(7)), SeqNumber::Value(nz(4))),
                SequenceItem::Range(SeqNumber::Value(nz(12)), SeqNumber::Largest),
            ])
            .unwrap(),
        );
        assert_eq!(set.to_string(), "2,7:4,12:*");
        for number in [2, 4, 5, 7, 12, 15] {
            assert!(set.contains(number, 15), "{number}");
        }
        for number in [1, 3, 8, 11, 16] {
            assert!(!set.contains(number, 15), "{number}");
        }
        assert!(!SequenceSet::Saved.contains(1, 1));
    }

    #[test]
    fn uid_set_expansion_is_bounded() {
        let set = UidSet(
            NonEmpty::try_from(vec![
                UidItem::Single(nz(304)),
                UidItem::Range(nz(320), nz(319)),
            ])
            .unwrap(),
        );
        assert_eq!(set.expand(10), Some(vec![304, 320, 319]));
        assert_eq!(set.to_string(), "304,320:319");
        let huge = UidSet(NonEmpty::new(UidItem::Range(nz(1), nz(u32::MAX))));
        assert_eq!(huge.expand(1000), None);
    }
}
