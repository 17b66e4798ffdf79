//! Message flags and mailbox attributes.

use crate::types::{Atom, IntoOwned};

/// A message flag (`flag` of RFC 3501 §9). Known system flags are matched without regard
/// to case and written in their canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag<'a> {
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Seen`.
    Seen,
    /// `\Draft`.
    Draft,
    /// A keyword (an atom without backslash, such as `$MDNSent` or `$Junk`).
    Keyword(Atom<'a>),
    /// Another system flag, `\` and an atom (`flag-extension`).
    Extension(Atom<'a>),
}

impl Flag<'_> {
    pub(crate) fn system_name(&self) -> Option<&'static str> {
        match self {
            Flag::Answered => Some("\\Answered"),
            Flag::Flagged => Some("\\Flagged"),
            Flag::Deleted => Some("\\Deleted"),
            Flag::Seen => Some("\\Seen"),
            Flag::Draft => Some("\\Draft"),
            Flag::Keyword(_) | Flag::Extension(_) => None,
        }
    }
}

impl IntoOwned for Flag<'_> {
    type Owned = Flag<'static>;
    fn into_owned(self) -> Flag<'static> {
        match self {
            Flag::Answered => Flag::Answered,
            Flag::Flagged => Flag::Flagged,
            Flag::Deleted => Flag::Deleted,
            Flag::Seen => Flag::Seen,
            Flag::Draft => Flag::Draft,
            Flag::Keyword(atom) => Flag::Keyword(atom.into_owned()),
            Flag::Extension(atom) => Flag::Extension(atom.into_owned()),
        }
    }
}

/// A flag in a FETCH response (`flag-fetch`): a flag or the obsolete `\Recent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagFetch<'a> {
    /// A flag.
    Flag(Flag<'a>),
    /// `\Recent` (deprecated by RFC 9051).
    Recent,
}

impl IntoOwned for FlagFetch<'_> {
    type Owned = FlagFetch<'static>;
    fn into_owned(self) -> FlagFetch<'static> {
        match self {
            FlagFetch::Flag(flag) => FlagFetch::Flag(flag.into_owned()),
            FlagFetch::Recent => FlagFetch::Recent,
        }
    }
}

/// A flag in a PERMANENTFLAGS response code (`flag-perm`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlagPerm<'a> {
    /// A flag that can be changed permanently.
    Flag(Flag<'a>),
    /// `\*`: new keywords can be created.
    Wildcard,
}

impl IntoOwned for FlagPerm<'_> {
    type Owned = FlagPerm<'static>;
    fn into_owned(self) -> FlagPerm<'static> {
        match self {
            FlagPerm::Flag(flag) => FlagPerm::Flag(flag.into_owned()),
            FlagPerm::Wildcard => FlagPerm::Wildcard,
        }
    }
}

/// A mailbox attribute of a LIST response: RFC 3501, CHILDREN (3348), LIST-EXTENDED
/// (5258) and SPECIAL-USE (6154); the special-use ones also appear in `CREATE ... USE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ListAttribute<'a> {
    /// `\Noinferiors`.
    NoInferiors,
    /// `\Noselect`.
    NoSelect,
    /// `\Marked`.
    Marked,
    /// `\Unmarked`.
    Unmarked,
    /// `\NonExistent`.
    NonExistent,
    /// `\Subscribed`.
    Subscribed,
    /// `\Remote`.
    Remote,
    /// `\HasChildren`.
    HasChildren,
    /// `\HasNoChildren`.
    HasNoChildren,
    /// `\All` (special use).
    All,
    /// `\Archive` (special use).
    Archive,
    /// `\Drafts` (special use).
    Drafts,
    /// `\Flagged` (special use).
    Flagged,
    /// `\Junk` (special use).
    Junk,
    /// `\Sent` (special use).
    Sent,
    /// `\Trash` (special use).
    Trash,
    /// Another attribute, `\` and an atom.
    Extension(Atom<'a>),
}

impl ListAttribute<'_> {
    pub(crate) const KNOWN: [(&'static str, ListAttribute<'static>); 16] = [
        ("\\Noinferiors", ListAttribute::NoInferiors),
        ("\\Noselect", ListAttribute::NoSelect),
        ("\\Marked", ListAttribute::Marked),
        ("\\Unmarked", ListAttribute::Unmarked),
        ("\\NonExistent", ListAttribute::NonExistent),
        ("\\Subscribed", ListAttribute::Subscribed),
        ("\\Remote", ListAttribute::Remote),
        ("\\HasChildren", ListAttribute::HasChildren),
        ("\\HasNoChildren", ListAttribute::HasNoChildren),
        ("\\All", ListAttribute::All),
        ("\\Archive", ListAttribute::Archive),
        ("\\Drafts", ListAttribute::Drafts),
        ("\\Flagged", ListAttribute::Flagged),
        ("\\Junk", ListAttribute::Junk),
        ("\\Sent", ListAttribute::Sent),
        ("\\Trash", ListAttribute::Trash),
    ];

    pub(crate) fn known_name(&self) -> Option<&'static str> {
        Self::KNOWN
            .iter()
            .find(|(_, known)| known == self)
            .map(|(name, _)| *name)
    }
}

impl IntoOwned for ListAttribute<'_> {
    type Owned = ListAttribute<'static>;
    fn into_owned(self) -> ListAttribute<'static> {
        match self {
            ListAttribute::Extension(atom) => ListAttribute::Extension(atom.into_owned()),
            ListAttribute::NoInferiors => ListAttribute::NoInferiors,
            ListAttribute::NoSelect => ListAttribute::NoSelect,
            ListAttribute::Marked => ListAttribute::Marked,
            ListAttribute::Unmarked => ListAttribute::Unmarked,
            ListAttribute::NonExistent => ListAttribute::NonExistent,
            ListAttribute::Subscribed => ListAttribute::Subscribed,
            ListAttribute::Remote => ListAttribute::Remote,
            ListAttribute::HasChildren => ListAttribute::HasChildren,
            ListAttribute::HasNoChildren => ListAttribute::HasNoChildren,
            ListAttribute::All => ListAttribute::All,
            ListAttribute::Archive => ListAttribute::Archive,
            ListAttribute::Drafts => ListAttribute::Drafts,
            ListAttribute::Flagged => ListAttribute::Flagged,
            ListAttribute::Junk => ListAttribute::Junk,
            ListAttribute::Sent => ListAttribute::Sent,
            ListAttribute::Trash => ListAttribute::Trash,
        }
    }
}
