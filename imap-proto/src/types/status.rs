//! STATUS attributes and values (RFC 3501, RFC 9051, RFC 7162, RFC 9208) and quota
//! resources (RFC 9208).

use std::num::NonZeroU32;

use crate::types::{Atom, IntoOwned};

/// A STATUS data item a client asks for (`status-att`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusAttribute {
    /// `MESSAGES`.
    Messages,
    /// `RECENT` (deprecated by RFC 9051).
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
    /// `DELETED` (RFC 9051, RFC 9208).
    Deleted,
    /// `SIZE` (RFC 8438, RFC 9051).
    Size,
    /// `HIGHESTMODSEQ` (RFC 7162).
    HighestModSeq,
    /// `DELETED-STORAGE` (RFC 9208).
    DeletedStorage,
}

impl StatusAttribute {
    pub(crate) const ALL: [(&'static str, StatusAttribute); 9] = [
        ("MESSAGES", StatusAttribute::Messages),
        ("RECENT", StatusAttribute::Recent),
        ("UIDNEXT", StatusAttribute::UidNext),
        ("UIDVALIDITY", StatusAttribute::UidValidity),
        ("UNSEEN", StatusAttribute::Unseen),
        ("DELETED", StatusAttribute::Deleted),
        ("SIZE", StatusAttribute::Size),
        ("HIGHESTMODSEQ", StatusAttribute::HighestModSeq),
        ("DELETED-STORAGE", StatusAttribute::DeletedStorage),
    ];

    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, attribute)| *attribute == self)
            .map(|(name, _)| *name)
            .unwrap_or("MESSAGES")
    }

    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(known, _)| known.as_bytes().eq_ignore_ascii_case(name))
            .map(|(_, attribute)| *attribute)
    }
}

impl IntoOwned for StatusAttribute {
    type Owned = StatusAttribute;
    fn into_owned(self) -> StatusAttribute {
        self
    }
}

/// A STATUS data item a server returns (`status-att-val`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusItem {
    /// `MESSAGES n`.
    Messages(u32),
    /// `RECENT n`.
    Recent(u32),
    /// `UIDNEXT n`.
    UidNext(NonZeroU32),
    /// `UIDVALIDITY n`.
    UidValidity(NonZeroU32),
    /// `UNSEEN n`.
    Unseen(u32),
    /// `DELETED n`.
    Deleted(u32),
    /// `SIZE n` (63 bits).
    Size(u64),
    /// `HIGHESTMODSEQ n` (0 when the mailbox has no persistent mod-sequences).
    HighestModSeq(u64),
    /// `DELETED-STORAGE n` (63 bits).
    DeletedStorage(u64),
}

impl StatusItem {
    /// The attribute this item answers.
    pub fn attribute(self) -> StatusAttribute {
        match self {
            StatusItem::Messages(_) => StatusAttribute::Messages,
            StatusItem::Recent(_) => StatusAttribute::Recent,
            StatusItem::UidNext(_) => StatusAttribute::UidNext,
            StatusItem::UidValidity(_) => StatusAttribute::UidValidity,
            StatusItem::Unseen(_) => StatusAttribute::Unseen,
            StatusItem::Deleted(_) => StatusAttribute::Deleted,
            StatusItem::Size(_) => StatusAttribute::Size,
            StatusItem::HighestModSeq(_) => StatusAttribute::HighestModSeq,
            StatusItem::DeletedStorage(_) => StatusAttribute::DeletedStorage,
        }
    }
}

impl IntoOwned for StatusItem {
    type Owned = StatusItem;
    fn into_owned(self) -> StatusItem {
        self
    }
}

/// A quota resource name (RFC 9208 `resource-name`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Resource<'a> {
    /// `STORAGE`: kibibytes.
    Storage,
    /// `MESSAGE`: messages.
    Message,
    /// `MAILBOX`: mailboxes.
    Mailbox,
    /// `ANNOTATION-STORAGE`: kibibytes of annotations.
    AnnotationStorage,
    /// Another resource.
    Other(Atom<'a>),
}

impl<'a> Resource<'a> {
    pub(crate) fn from_atom(atom: Atom<'a>) -> Self {
        let name = atom.as_str();
        if name.eq_ignore_ascii_case("STORAGE") {
            Resource::Storage
        } else if name.eq_ignore_ascii_case("MESSAGE") {
            Resource::Message
        } else if name.eq_ignore_ascii_case("MAILBOX") {
            Resource::Mailbox
        } else if name.eq_ignore_ascii_case("ANNOTATION-STORAGE") {
            Resource::AnnotationStorage
        } else {
            Resource::Other(atom)
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            Resource::Storage => "STORAGE",
            Resource::Message => "MESSAGE",
            Resource::Mailbox => "MAILBOX",
            Resource::AnnotationStorage => "ANNOTATION-STORAGE",
            Resource::Other(atom) => atom.as_str(),
        }
    }
}

impl IntoOwned for Resource<'_> {
    type Owned = Resource<'static>;
    fn into_owned(self) -> Resource<'static> {
        match self {
            Resource::Storage => Resource::Storage,
            Resource::Message => Resource::Message,
            Resource::Mailbox => Resource::Mailbox,
            Resource::AnnotationStorage => Resource::AnnotationStorage,
            Resource::Other(atom) => Resource::Other(atom.into_owned()),
        }
    }
}

/// One resource of a QUOTA response: usage and limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuotaResource<'a> {
    /// The resource.
    pub resource: Resource<'a>,
    /// Current usage.
    pub usage: u64,
    /// The limit.
    pub limit: u64,
}

impl IntoOwned for QuotaResource<'_> {
    type Owned = QuotaResource<'static>;
    fn into_owned(self) -> QuotaResource<'static> {
        QuotaResource {
            resource: self.resource.into_owned(),
            usage: self.usage,
            limit: self.limit,
        }
    }
}
