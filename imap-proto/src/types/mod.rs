//! Validated, borrowing IMAP values: commands, responses and everything inside them.
//!
//! Values borrow from the decoded input where they can (`'a`) and turn into owned
//! `'static` values with [`IntoOwned::into_owned`]. Constructors check the grammar, so
//! every value can be encoded.

mod body;
mod capability;
mod command;
mod datetime;
mod extension;
mod fetch;
mod flag;
mod mailbox;
mod response;
mod search;
mod sequence;
mod status;
mod string;
pub mod utf7;

pub use body::{
    Address, BodyExtension, BodyFields, BodyParameters, BodyStructure, Disposition, Envelope,
    ExtensionTail, LanguageTail, LocationTail, MultiPartExtension, PartPath, Section,
    SinglePartExtension, SinglePartKind,
};
pub use capability::Capability;
pub use command::{
    AppendData, AppendMessage, AuthenticateData, Command, CommandBody, CreateParameter,
    IdParameters, ListOptionExtension, ListReturnOption, ListSelectOption, QResyncParameters,
    SelectParameter, StoreAction, StoreModifier,
};
pub(crate) use datetime::MONTHS;
pub use datetime::{Date, DateTime};
pub use extension::{ExtItem, ExtParameter, TaggedExtVal};
pub use fetch::{FetchAttribute, FetchAttributes, FetchModifier, MessageDataItem, Partial};
pub use flag::{Flag, FlagFetch, FlagPerm, ListAttribute};
pub use mailbox::{Mailbox, MailboxName};
pub(crate) use response::SIMPLE_CODES;
pub use response::{
    Code, Continuation, Data, ESearchResponse, Greeting, GreetingKind, ListData, ListExtendedItem,
    NamespaceDescription, OtherCode, Response, ResponseText, State, TaggedResponse,
};
pub use search::{ESearchData, EntryType, SearchKey, SearchReturnOption};
pub use sequence::{SeqNumber, SequenceItem, SequenceSet, UidItem, UidSet};
pub use status::{QuotaResource, Resource, StatusAttribute, StatusItem};
pub use string::{Atom, Charset, Delimiter, IString, NString, NonEmpty, Tag, Text};

/// Turns a value that may borrow from decoded input into one that owns its data.
pub trait IntoOwned {
    /// The owned form, usually the same type with `'static`.
    type Owned;
    /// Copies borrowed data so the result outlives the input.
    fn into_owned(self) -> Self::Owned;
}

impl<T: IntoOwned> IntoOwned for Option<T> {
    type Owned = Option<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.map(IntoOwned::into_owned)
    }
}

impl<T: IntoOwned> IntoOwned for Vec<T> {
    type Owned = Vec<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        self.into_iter().map(IntoOwned::into_owned).collect()
    }
}

impl<T: IntoOwned> IntoOwned for Box<T> {
    type Owned = Box<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        Box::new((*self).into_owned())
    }
}

impl<A: IntoOwned, B: IntoOwned> IntoOwned for (A, B) {
    type Owned = (A::Owned, B::Owned);
    fn into_owned(self) -> Self::Owned {
        (self.0.into_owned(), self.1.into_owned())
    }
}
