//! SEARCH keys (RFC 3501 §6.4.4, RFC 9051 §6.4.4, RFC 7162 MODSEQ) and ESEARCH (RFC 4731).

use std::num::{NonZeroU32, NonZeroU64};

use crate::types::{
    Atom, Date, ExtParameter, IString, IntoOwned, NonEmpty, SequenceSet, TaggedExtVal,
};

/// The metadata type a `MODSEQ` search key looks at (RFC 7162 `entry-type-req`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryType {
    /// `priv`.
    Private,
    /// `shared`.
    Shared,
    /// `all`.
    All,
}

/// A search criterion (`search-key`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchKey<'a> {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `BCC string`.
    Bcc(IString<'a>),
    /// `BEFORE date` (internal date).
    Before(Date),
    /// `BODY string`.
    Body(IString<'a>),
    /// `CC string`.
    Cc(IString<'a>),
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `FROM string`.
    From(IString<'a>),
    /// `HEADER field-name string`.
    Header(IString<'a>, IString<'a>),
    /// `KEYWORD flag-keyword`.
    Keyword(Atom<'a>),
    /// `LARGER n`.
    Larger(u64),
    /// `NEW` (deprecated by RFC 9051).
    New,
    /// `NOT key`.
    Not(Box<SearchKey<'a>>),
    /// `OLD` (deprecated by RFC 9051).
    Old,
    /// `ON date`.
    On(Date),
    /// `OR key key`.
    Or(Box<SearchKey<'a>>, Box<SearchKey<'a>>),
    /// `RECENT` (deprecated by RFC 9051).
    Recent,
    /// `SEEN`.
    Seen,
    /// `SENTBEFORE date` (Date: header field).
    SentBefore(Date),
    /// `SENTON date`.
    SentOn(Date),
    /// `SENTSINCE date`.
    SentSince(Date),
    /// `SINCE date`.
    Since(Date),
    /// `SMALLER n`.
    Smaller(u64),
    /// `SUBJECT string`.
    Subject(IString<'a>),
    /// `TEXT string`.
    Text(IString<'a>),
    /// `TO string`.
    To(IString<'a>),
    /// `UID sequence-set`.
    Uid(SequenceSet),
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNKEYWORD flag-keyword`.
    Unkeyword(Atom<'a>),
    /// `UNSEEN`.
    Unseen,
    /// A bare sequence set: messages with these numbers.
    SequenceSet(SequenceSet),
    /// `(key key ...)`: all of them.
    And(NonEmpty<SearchKey<'a>>),
    /// `MODSEQ ["entry" type] modseq` (RFC 7162).
    ModSeq {
        /// The metadata entry (`/flags/\\seen`) and type, if given.
        entry: Option<(IString<'a>, EntryType)>,
        /// Messages whose mod-sequence is at least this (0 allowed).
        mod_seq: u64,
    },
}

impl IntoOwned for SearchKey<'_> {
    type Owned = SearchKey<'static>;
    fn into_owned(self) -> SearchKey<'static> {
        use SearchKey as K;
        match self {
            K::All => K::All,
            K::Answered => K::Answered,
            K::Bcc(value) => K::Bcc(value.into_owned()),
            K::Before(date) => K::Before(date),
            K::Body(value) => K::Body(value.into_owned()),
            K::Cc(value) => K::Cc(value.into_owned()),
            K::Deleted => K::Deleted,
            K::Draft => K::Draft,
            K::Flagged => K::Flagged,
            K::From(value) => K::From(value.into_owned()),
            K::Header(name, value) => K::Header(name.into_owned(), value.into_owned()),
            K::Keyword(atom) => K::Keyword(atom.into_owned()),
            K::Larger(size) => K::Larger(size),
            K::New => K::New,
            K::Not(key) => K::Not(key.into_owned()),
            K::Old => K::Old,
            K::On(date) => K::On(date),
            K::Or(left, right) => K::Or(left.into_owned(), right.into_owned()),
            K::Recent => K::Recent,
            K::Seen => K::Seen,
            K::SentBefore(date) => K::SentBefore(date),
            K::SentOn(date) => K::SentOn(date),
            K::SentSince(date) => K::SentSince(date),
            K::Since(date) => K::Since(date),
            K::Smaller(size) => K::Smaller(size),
            K::Subject(value) => K::Subject(value.into_owned()),
            K::Text(value) => K::Text(value.into_owned()),
            K::To(value) => K::To(value.into_owned()),
            K::Uid(set) => K::Uid(set),
            K::Unanswered => K::Unanswered,
            K::Undeleted => K::Undeleted,
            K::Undraft => K::Undraft,
            K::Unflagged => K::Unflagged,
            K::Unkeyword(atom) => K::Unkeyword(atom.into_owned()),
            K::Unseen => K::Unseen,
            K::SequenceSet(set) => K::SequenceSet(set),
            K::And(keys) => K::And(keys.into_owned()),
            K::ModSeq { entry, mod_seq } => K::ModSeq {
                entry: entry.map(|(name, kind)| (name.into_owned(), kind)),
                mod_seq,
            },
        }
    }
}

/// A SEARCH return option (`search-return-opt`, RFC 4731 and RFC 5182).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchReturnOption<'a> {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `ALL`.
    All,
    /// `COUNT`.
    Count,
    /// `SAVE` (SEARCHRES).
    Save,
    /// Another option.
    Other(ExtParameter<'a>),
}

impl IntoOwned for SearchReturnOption<'_> {
    type Owned = SearchReturnOption<'static>;
    fn into_owned(self) -> SearchReturnOption<'static> {
        match self {
            SearchReturnOption::Min => SearchReturnOption::Min,
            SearchReturnOption::Max => SearchReturnOption::Max,
            SearchReturnOption::All => SearchReturnOption::All,
            SearchReturnOption::Count => SearchReturnOption::Count,
            SearchReturnOption::Save => SearchReturnOption::Save,
            SearchReturnOption::Other(parameter) => {
                SearchReturnOption::Other(parameter.into_owned())
            }
        }
    }
}

/// A data item of an ESEARCH response (`search-return-data`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ESearchData<'a> {
    /// `MIN n`.
    Min(NonZeroU32),
    /// `MAX n`.
    Max(NonZeroU32),
    /// `ALL sequence-set`.
    All(SequenceSet),
    /// `COUNT n`.
    Count(u32),
    /// `MODSEQ n` (RFC 7162 with RFC 4731).
    ModSeq(NonZeroU64),
    /// Another item: label and value.
    Other {
        /// The label.
        name: Atom<'a>,
        /// The value.
        value: TaggedExtVal<'a>,
    },
}

impl IntoOwned for ESearchData<'_> {
    type Owned = ESearchData<'static>;
    fn into_owned(self) -> ESearchData<'static> {
        match self {
            ESearchData::Min(number) => ESearchData::Min(number),
            ESearchData::Max(number) => ESearchData::Max(number),
            ESearchData::All(set) => ESearchData::All(set),
            ESearchData::Count(count) => ESearchData::Count(count),
            ESearchData::ModSeq(modseq) => ESearchData::ModSeq(modseq),
            ESearchData::Other { name, value } => ESearchData::Other {
                name: name.into_owned(),
                value: value.into_owned(),
            },
        }
    }
}
