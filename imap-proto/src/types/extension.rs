//! The generic extension syntax of RFC 4466 (`tagged-ext-val`) and the values that follow
//! it: parameters of SELECT, FETCH, STORE, CREATE, LIST and SEARCH that this crate has no
//! dedicated type for.

use crate::types::{Atom, IString, IntoOwned, NonEmpty, SequenceSet};

/// One element of a parenthesised extension value (`tagged-ext-comp`,
/// `option-val-comp`): an astring or a parenthesised group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExtItem<'a> {
    /// An astring.
    String(IString<'a>),
    /// `(` items `)`.
    Group(NonEmpty<ExtItem<'a>>),
}

impl IntoOwned for ExtItem<'_> {
    type Owned = ExtItem<'static>;
    fn into_owned(self) -> ExtItem<'static> {
        match self {
            ExtItem::String(string) => ExtItem::String(string.into_owned()),
            ExtItem::Group(items) => ExtItem::Group(items.into_owned()),
        }
    }
}

/// The value of an extension parameter (`tagged-ext-val`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaggedExtVal<'a> {
    /// A number (`number` / `number64`, at most 2^63 - 1). A sequence set of one bare
    /// number is read as this.
    Number(u64),
    /// A sequence set with more than one bare number, a range, `*` or `$`.
    SequenceSet(SequenceSet),
    /// `(` items `)`, possibly empty.
    List(Vec<ExtItem<'a>>),
    /// A quoted string or literal. Not in the ABNF of RFC 4466, but RFC 9051 §7.3.1 has
    /// a LIST example with one (`Sample "text"`); accepting it is unambiguous, since no
    /// other form starts with `"` or `{`.
    String(IString<'a>),
}

impl IntoOwned for TaggedExtVal<'_> {
    type Owned = TaggedExtVal<'static>;
    fn into_owned(self) -> TaggedExtVal<'static> {
        match self {
            TaggedExtVal::Number(number) => TaggedExtVal::Number(number),
            TaggedExtVal::SequenceSet(set) => TaggedExtVal::SequenceSet(set),
            TaggedExtVal::List(items) => TaggedExtVal::List(items.into_owned()),
            TaggedExtVal::String(string) => TaggedExtVal::String(string.into_owned()),
        }
    }
}

/// An extension parameter this crate has no dedicated type for: a label and an optional
/// value (`select-param`, `fetch-modifier`, `store-modifier`, `create-param`,
/// `search-return-opt`, `option-extension`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtParameter<'a> {
    /// The label.
    pub name: Atom<'a>,
    /// The value, if any.
    pub value: Option<TaggedExtVal<'a>>,
}

impl IntoOwned for ExtParameter<'_> {
    type Owned = ExtParameter<'static>;
    fn into_owned(self) -> ExtParameter<'static> {
        ExtParameter {
            name: self.name.into_owned(),
            value: self.value.into_owned(),
        }
    }
}
