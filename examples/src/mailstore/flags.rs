//! System flags in Maildir file names and keywords.
//!
//! Maildir keeps the flags in the `:2,` info at the end of a file name in `cur/`, one
//! letter each, in ASCII order: `D` draft, `F` flagged, `R` replied (\Answered), `S`
//! seen, `T` trashed (\Deleted). Other letters (`P` passed, Dovecot's lowercase keyword
//! letters) are kept as found.

/// An IMAP system flag kept in the file name (\Recent is a session property, see
/// [`super::MessageInfo::recent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `\Seen`, letter `S`.
    Seen,
    /// `\Answered`, letter `R`.
    Answered,
    /// `\Flagged`, letter `F`.
    Flagged,
    /// `\Deleted`, letter `T`.
    Deleted,
    /// `\Draft`, letter `D`.
    Draft,
}

impl Flag {
    /// Every flag.
    pub const ALL: [Flag; 5] = [
        Flag::Seen,
        Flag::Answered,
        Flag::Flagged,
        Flag::Deleted,
        Flag::Draft,
    ];

    /// The Maildir info letter.
    pub fn letter(self) -> char {
        match self {
            Flag::Seen => 'S',
            Flag::Answered => 'R',
            Flag::Flagged => 'F',
            Flag::Deleted => 'T',
            Flag::Draft => 'D',
        }
    }

    /// The flag of a Maildir info letter.
    pub fn from_letter(letter: char) -> Option<Flag> {
        Flag::ALL.into_iter().find(|flag| flag.letter() == letter)
    }

    /// The IMAP spelling (`\Seen`).
    pub fn imap_name(self) -> &'static str {
        match self {
            Flag::Seen => "\\Seen",
            Flag::Answered => "\\Answered",
            Flag::Flagged => "\\Flagged",
            Flag::Deleted => "\\Deleted",
            Flag::Draft => "\\Draft",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Flag::Seen => 1,
            Flag::Answered => 2,
            Flag::Flagged => 4,
            Flag::Deleted => 8,
            Flag::Draft => 16,
        }
    }
}

/// A set of system flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub(crate) struct FlagSet(u8);

impl FlagSet {
    pub(crate) fn from_flags(flags: &[Flag]) -> FlagSet {
        FlagSet(flags.iter().fold(0, |bits, flag| bits | flag.bit()))
    }

    pub(crate) fn contains(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    pub(crate) fn union(self, other: FlagSet) -> FlagSet {
        FlagSet(self.0 | other.0)
    }

    pub(crate) fn without(self, other: FlagSet) -> FlagSet {
        FlagSet(self.0 & !other.0)
    }

    pub(crate) fn to_vec(self) -> Vec<Flag> {
        Flag::ALL
            .into_iter()
            .filter(|flag| self.contains(*flag))
            .collect()
    }

    /// The flag letters in ASCII order.
    pub(crate) fn letters(self) -> String {
        let mut letters: Vec<char> = Flag::ALL
            .into_iter()
            .filter(|flag| self.contains(*flag))
            .map(Flag::letter)
            .collect();
        letters.sort_unstable();
        letters.into_iter().collect()
    }

    pub(crate) fn from_letters(letters: &str) -> FlagSet {
        FlagSet::from_flags(
            &letters
                .chars()
                .filter_map(Flag::from_letter)
                .collect::<Vec<_>>(),
        )
    }
}

/// A Maildir file name split: the unique base name, the flags of its `:2,` info, and
/// the info letters this store does not interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileName {
    pub(crate) base: String,
    pub(crate) flags: FlagSet,
    pub(crate) other_letters: String,
}

impl FileName {
    /// Splits a file name of `cur/` or `new/`; `None` for names a Maildir never holds
    /// (hidden files, empty base).
    pub(crate) fn parse(name: &str) -> Option<FileName> {
        if name.starts_with('.') || name.is_empty() {
            return None;
        }
        let (base, info) = match name.split_once(':') {
            Some((base, info)) => (base, Some(info)),
            None => (name, None),
        };
        if base.is_empty() {
            return None;
        }
        let letters = info.and_then(|info| info.strip_prefix("2,")).unwrap_or("");
        let other_letters: String = letters
            .chars()
            .filter(|c| Flag::from_letter(*c).is_none() && c.is_ascii_alphabetic())
            .collect();
        Some(FileName {
            base: base.to_string(),
            flags: FlagSet::from_letters(letters),
            other_letters,
        })
    }

    /// The name in `cur/`: `base:2,` and the letters in ASCII order.
    pub(crate) fn cur_name(&self) -> String {
        let mut letters: Vec<char> = self.flags.letters().chars().collect();
        letters.extend(self.other_letters.chars());
        letters.sort_unstable();
        letters.dedup();
        let letters: String = letters.into_iter().collect();
        format!("{}:2,{letters}", self.base)
    }
}

/// Longest keyword accepted, in octets.
pub const MAX_KEYWORD_LEN: usize = 100;

/// Most keywords on one message.
pub const MAX_KEYWORDS_PER_MESSAGE: usize = 64;

/// True when `keyword` is an IMAP flag keyword (an atom, RFC 3501 `flag-keyword`): 1 to
/// [`MAX_KEYWORD_LEN`] printable ASCII characters, none of `(){ %*"\]`.
pub fn is_valid_keyword(keyword: &str) -> bool {
    !keyword.is_empty()
        && keyword.len() <= MAX_KEYWORD_LEN
        && keyword.bytes().all(|octet| {
            octet.is_ascii_graphic()
                && !matches!(
                    octet,
                    b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']'
                )
        })
}

/// Adds `keyword` unless present (keywords compare without case, as IMAP flags do).
pub(crate) fn add_keyword(keywords: &mut Vec<String>, keyword: &str) {
    if !keywords.iter().any(|k| k.eq_ignore_ascii_case(keyword)) {
        keywords.push(keyword.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_letters_are_parsed_and_written_sorted() {
        let name = FileName::parse("123.M1P2.host,S=10:2,TSaP").unwrap();
        assert_eq!(name.base, "123.M1P2.host,S=10");
        assert!(name.flags.contains(Flag::Seen));
        assert!(name.flags.contains(Flag::Deleted));
        assert!(!name.flags.contains(Flag::Draft));
        assert_eq!(name.other_letters, "aP");
        let mut changed = name.clone();
        changed.flags = changed
            .flags
            .union(FlagSet::from_flags(&[Flag::Draft, Flag::Answered]));
        assert_eq!(changed.cur_name(), "123.M1P2.host,S=10:2,DPRSTa");
        let new = FileName::parse("123.M1P2.host").unwrap();
        assert_eq!(new.flags, FlagSet::default());
        assert_eq!(new.cur_name(), "123.M1P2.host:2,");
        assert_eq!(FileName::parse(".hidden"), None);
        assert_eq!(FileName::parse(":2,S"), None);
    }

    #[test]
    fn keywords_are_atoms() {
        assert!(is_valid_keyword("$Forwarded"));
        assert!(is_valid_keyword("work,home"));
        for bad in ["", "a b", "a(b", "\\Seen", "a]", "ü", &"k".repeat(101)] {
            assert!(!is_valid_keyword(bad), "{bad:?}");
        }
        let mut keywords = vec![String::from("Work")];
        add_keyword(&mut keywords, "work");
        add_keyword(&mut keywords, "home");
        assert_eq!(keywords, ["Work", "home"]);
    }
}
