//! FETCH: the attributes a client asks for and the items a server returns.

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use crate::types::{
    BodyStructure, DateTime, Envelope, ExtParameter, FlagFetch, IntoOwned, NString, NonEmpty,
    Section,
};

/// A partial fetch range (`partial`): `<offset.length>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partial {
    /// The first octet, from 0.
    pub offset: u64,
    /// How many octets at most.
    pub length: NonZeroU64,
}

/// A FETCH attribute requested by a client (`fetch-att`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttribute<'a> {
    /// `ENVELOPE`.
    Envelope,
    /// `FLAGS`.
    Flags,
    /// `INTERNALDATE`.
    InternalDate,
    /// `RFC822` (deprecated by RFC 9051).
    Rfc822,
    /// `RFC822.HEADER` (deprecated by RFC 9051).
    Rfc822Header,
    /// `RFC822.SIZE`.
    Rfc822Size,
    /// `RFC822.TEXT` (deprecated by RFC 9051).
    Rfc822Text,
    /// `BODY` (structure without extension data).
    Body,
    /// `BODYSTRUCTURE`.
    BodyStructure,
    /// `UID`.
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[section]<partial>`.
    BodySection {
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
        /// The section; `None` for the whole message.
        section: Option<Section<'a>>,
        /// A partial range.
        partial: Option<Partial>,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[part]<partial>` (RFC 3516, RFC 9051).
    Binary {
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
        /// The part path; empty for the whole message.
        part: Vec<NonZeroU32>,
        /// A partial range.
        partial: Option<Partial>,
    },
    /// `BINARY.SIZE[part]`.
    BinarySize {
        /// The part path; empty for the whole message.
        part: Vec<NonZeroU32>,
    },
    /// `MODSEQ` (RFC 7162).
    ModSeq,
}

impl IntoOwned for FetchAttribute<'_> {
    type Owned = FetchAttribute<'static>;
    fn into_owned(self) -> FetchAttribute<'static> {
        match self {
            FetchAttribute::Envelope => FetchAttribute::Envelope,
            FetchAttribute::Flags => FetchAttribute::Flags,
            FetchAttribute::InternalDate => FetchAttribute::InternalDate,
            FetchAttribute::Rfc822 => FetchAttribute::Rfc822,
            FetchAttribute::Rfc822Header => FetchAttribute::Rfc822Header,
            FetchAttribute::Rfc822Size => FetchAttribute::Rfc822Size,
            FetchAttribute::Rfc822Text => FetchAttribute::Rfc822Text,
            FetchAttribute::Body => FetchAttribute::Body,
            FetchAttribute::BodyStructure => FetchAttribute::BodyStructure,
            FetchAttribute::Uid => FetchAttribute::Uid,
            FetchAttribute::BodySection {
                peek,
                section,
                partial,
            } => FetchAttribute::BodySection {
                peek,
                section: section.into_owned(),
                partial,
            },
            FetchAttribute::Binary {
                peek,
                part,
                partial,
            } => FetchAttribute::Binary {
                peek,
                part,
                partial,
            },
            FetchAttribute::BinarySize { part } => FetchAttribute::BinarySize { part },
            FetchAttribute::ModSeq => FetchAttribute::ModSeq,
        }
    }
}

/// What a FETCH command asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchAttributes<'a> {
    /// `ALL`: FLAGS INTERNALDATE RFC822.SIZE ENVELOPE.
    All,
    /// `FAST`: FLAGS INTERNALDATE RFC822.SIZE.
    Fast,
    /// `FULL`: FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY.
    Full,
    /// A list of attributes (one travels without parentheses).
    Attributes(NonEmpty<FetchAttribute<'a>>),
}

impl FetchAttributes<'_> {
    /// The attributes a macro stands for (RFC 3501 §6.4.5).
    pub fn expand(&self) -> Vec<FetchAttribute<'_>> {
        let base = [
            FetchAttribute::Flags,
            FetchAttribute::InternalDate,
            FetchAttribute::Rfc822Size,
        ];
        match self {
            FetchAttributes::Fast => base.to_vec(),
            FetchAttributes::All => {
                let mut all = base.to_vec();
                all.push(FetchAttribute::Envelope);
                all
            }
            FetchAttributes::Full => {
                let mut full = base.to_vec();
                full.push(FetchAttribute::Envelope);
                full.push(FetchAttribute::Body);
                full
            }
            FetchAttributes::Attributes(list) => list.to_vec(),
        }
    }
}

impl IntoOwned for FetchAttributes<'_> {
    type Owned = FetchAttributes<'static>;
    fn into_owned(self) -> FetchAttributes<'static> {
        match self {
            FetchAttributes::All => FetchAttributes::All,
            FetchAttributes::Fast => FetchAttributes::Fast,
            FetchAttributes::Full => FetchAttributes::Full,
            FetchAttributes::Attributes(list) => FetchAttributes::Attributes(list.into_owned()),
        }
    }
}

/// A FETCH modifier (RFC 4466 `fetch-modifier`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FetchModifier<'a> {
    /// `CHANGEDSINCE modseq` (RFC 7162).
    ChangedSince(NonZeroU64),
    /// `VANISHED` (RFC 7162, UID FETCH only).
    Vanished,
    /// Another modifier.
    Other(ExtParameter<'a>),
}

impl IntoOwned for FetchModifier<'_> {
    type Owned = FetchModifier<'static>;
    fn into_owned(self) -> FetchModifier<'static> {
        match self {
            FetchModifier::ChangedSince(modseq) => FetchModifier::ChangedSince(modseq),
            FetchModifier::Vanished => FetchModifier::Vanished,
            FetchModifier::Other(parameter) => FetchModifier::Other(parameter.into_owned()),
        }
    }
}

/// A data item of a FETCH response (`msg-att`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MessageDataItem<'a> {
    /// `FLAGS (...)`.
    Flags(Vec<FlagFetch<'a>>),
    /// `INTERNALDATE "..."`.
    InternalDate(DateTime),
    /// `RFC822 nstring`.
    Rfc822(NString<'a>),
    /// `RFC822.HEADER nstring`.
    Rfc822Header(NString<'a>),
    /// `RFC822.TEXT nstring`.
    Rfc822Text(NString<'a>),
    /// `RFC822.SIZE n` (63 bits in IMAP4rev2).
    Rfc822Size(u64),
    /// `ENVELOPE (...)`.
    Envelope(Box<Envelope<'a>>),
    /// `BODY (...)`: the structure without extension data.
    Body(Box<BodyStructure<'a>>),
    /// `BODYSTRUCTURE (...)`.
    BodyStructure(Box<BodyStructure<'a>>),
    /// `BODY[section]<origin> nstring`.
    BodySection {
        /// The section; `None` for the whole message.
        section: Option<Section<'a>>,
        /// The first octet's offset, for a partial fetch.
        origin: Option<u32>,
        /// The content.
        data: NString<'a>,
    },
    /// `BINARY[part]<origin>` with an nstring or a literal8 (RFC 3516): the decoded
    /// content, which may hold NUL octets.
    Binary {
        /// The part path; empty for the whole message.
        part: Vec<NonZeroU32>,
        /// The first octet's offset, for a partial fetch.
        origin: Option<u32>,
        /// The content; `None` for NIL.
        data: Option<Cow<'a, [u8]>>,
    },
    /// `BINARY.SIZE[part] n`.
    BinarySize {
        /// The part path; empty for the whole message.
        part: Vec<NonZeroU32>,
        /// The decoded size in octets.
        size: u32,
    },
    /// `UID n`.
    Uid(NonZeroU32),
    /// `MODSEQ (n)` (RFC 7162).
    ModSeq(NonZeroU64),
}

impl IntoOwned for MessageDataItem<'_> {
    type Owned = MessageDataItem<'static>;
    fn into_owned(self) -> MessageDataItem<'static> {
        match self {
            MessageDataItem::Flags(flags) => MessageDataItem::Flags(flags.into_owned()),
            MessageDataItem::InternalDate(date) => MessageDataItem::InternalDate(date),
            MessageDataItem::Rfc822(data) => MessageDataItem::Rfc822(data.into_owned()),
            MessageDataItem::Rfc822Header(data) => MessageDataItem::Rfc822Header(data.into_owned()),
            MessageDataItem::Rfc822Text(data) => MessageDataItem::Rfc822Text(data.into_owned()),
            MessageDataItem::Rfc822Size(size) => MessageDataItem::Rfc822Size(size),
            MessageDataItem::Envelope(envelope) => MessageDataItem::Envelope(envelope.into_owned()),
            MessageDataItem::Body(body) => MessageDataItem::Body(body.into_owned()),
            MessageDataItem::BodyStructure(body) => {
                MessageDataItem::BodyStructure(body.into_owned())
            }
            MessageDataItem::BodySection {
                section,
                origin,
                data,
            } => MessageDataItem::BodySection {
                section: section.into_owned(),
                origin,
                data: data.into_owned(),
            },
            MessageDataItem::Binary { part, origin, data } => MessageDataItem::Binary {
                part,
                origin,
                data: data.map(|bytes| Cow::Owned(bytes.into_owned())),
            },
            MessageDataItem::BinarySize { part, size } => {
                MessageDataItem::BinarySize { part, size }
            }
            MessageDataItem::Uid(uid) => MessageDataItem::Uid(uid),
            MessageDataItem::ModSeq(modseq) => MessageDataItem::ModSeq(modseq),
        }
    }
}
