//! ENVELOPE, BODY / BODYSTRUCTURE and body sections (RFC 3501 §7.4.2, RFC 9051 §7.5.2).

use std::num::NonZeroU32;

use crate::types::{IString, IntoOwned, NString, NonEmpty};

/// An address of an envelope (`address`). A group is a pair of addresses: one with
/// `host` NIL and the group name in `mailbox`, then one with `mailbox` and `host` NIL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Address<'a> {
    /// The display name (phrase), without RFC 5322 quoting.
    pub name: NString<'a>,
    /// The obsolete source route.
    pub adl: NString<'a>,
    /// The local part, or the group name.
    pub mailbox: NString<'a>,
    /// The domain; NIL in group syntax.
    pub host: NString<'a>,
}

impl IntoOwned for Address<'_> {
    type Owned = Address<'static>;
    fn into_owned(self) -> Address<'static> {
        Address {
            name: self.name.into_owned(),
            adl: self.adl.into_owned(),
            mailbox: self.mailbox.into_owned(),
            host: self.host.into_owned(),
        }
    }
}

/// The ENVELOPE of a message. Address lists are empty for NIL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Envelope<'a> {
    /// The Date header field.
    pub date: NString<'a>,
    /// The Subject header field.
    pub subject: NString<'a>,
    /// From.
    pub from: Vec<Address<'a>>,
    /// Sender.
    pub sender: Vec<Address<'a>>,
    /// Reply-To.
    pub reply_to: Vec<Address<'a>>,
    /// To.
    pub to: Vec<Address<'a>>,
    /// Cc.
    pub cc: Vec<Address<'a>>,
    /// Bcc.
    pub bcc: Vec<Address<'a>>,
    /// The In-Reply-To header field.
    pub in_reply_to: NString<'a>,
    /// The Message-ID header field.
    pub message_id: NString<'a>,
}

impl IntoOwned for Envelope<'_> {
    type Owned = Envelope<'static>;
    fn into_owned(self) -> Envelope<'static> {
        Envelope {
            date: self.date.into_owned(),
            subject: self.subject.into_owned(),
            from: self.from.into_owned(),
            sender: self.sender.into_owned(),
            reply_to: self.reply_to.into_owned(),
            to: self.to.into_owned(),
            cc: self.cc.into_owned(),
            bcc: self.bcc.into_owned(),
            in_reply_to: self.in_reply_to.into_owned(),
            message_id: self.message_id.into_owned(),
        }
    }
}

/// A body parameter list (`body-fld-param`); empty for NIL.
pub type BodyParameters<'a> = Vec<(IString<'a>, IString<'a>)>;

/// The fields every non-multipart part has (`body-fields`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyFields<'a> {
    /// Content-Type parameters (`charset`, `name`, ...).
    pub parameters: BodyParameters<'a>,
    /// Content-ID.
    pub id: NString<'a>,
    /// Content-Description.
    pub description: NString<'a>,
    /// Content-Transfer-Encoding (`7BIT`, `BASE64`, ...).
    pub encoding: IString<'a>,
    /// Size of the part in octets, in its transfer encoding.
    pub octets: u32,
}

impl IntoOwned for BodyFields<'_> {
    type Owned = BodyFields<'static>;
    fn into_owned(self) -> BodyFields<'static> {
        BodyFields {
            parameters: self.parameters.into_owned(),
            id: self.id.into_owned(),
            description: self.description.into_owned(),
            encoding: self.encoding.into_owned(),
            octets: self.octets,
        }
    }
}

/// What a non-multipart part is, with the fields that depend on it.
///
/// The media type decides the wire form: `TEXT/*` carries a line count, and
/// `MESSAGE/RFC822` (or `MESSAGE/GLOBAL`) an envelope, a body and a line count. So a
/// [`SinglePartKind::Basic`] must not have media type `TEXT`, nor `MESSAGE` with subtype
/// `RFC822` or `GLOBAL`; the decoder never produces one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SinglePartKind<'a> {
    /// Any other media type.
    Basic {
        /// The media type (`APPLICATION`, `IMAGE`, ...).
        media_type: IString<'a>,
        /// The subtype.
        subtype: IString<'a>,
    },
    /// `TEXT/subtype`.
    Text {
        /// The subtype (`PLAIN`, `HTML`, ...).
        subtype: IString<'a>,
        /// Size in text lines.
        lines: u64,
    },
    /// `MESSAGE/RFC822` or `MESSAGE/GLOBAL`: an encapsulated message.
    Message {
        /// The subtype, `RFC822` or `GLOBAL`.
        subtype: IString<'a>,
        /// The encapsulated message's envelope.
        envelope: Box<Envelope<'a>>,
        /// The encapsulated message's body structure.
        body: Box<BodyStructure<'a>>,
        /// Size in text lines.
        lines: u64,
    },
}

impl IntoOwned for SinglePartKind<'_> {
    type Owned = SinglePartKind<'static>;
    fn into_owned(self) -> SinglePartKind<'static> {
        match self {
            SinglePartKind::Basic {
                media_type,
                subtype,
            } => SinglePartKind::Basic {
                media_type: media_type.into_owned(),
                subtype: subtype.into_owned(),
            },
            SinglePartKind::Text { subtype, lines } => SinglePartKind::Text {
                subtype: subtype.into_owned(),
                lines,
            },
            SinglePartKind::Message {
                subtype,
                envelope,
                body,
                lines,
            } => SinglePartKind::Message {
                subtype: subtype.into_owned(),
                envelope: envelope.into_owned(),
                body: body.into_owned(),
                lines,
            },
        }
    }
}

/// A Content-Disposition (`body-fld-dsp`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Disposition<'a> {
    /// `inline`, `attachment`, ...
    pub kind: IString<'a>,
    /// Its parameters (`filename`, ...).
    pub parameters: BodyParameters<'a>,
}

impl IntoOwned for Disposition<'_> {
    type Owned = Disposition<'static>;
    fn into_owned(self) -> Disposition<'static> {
        Disposition {
            kind: self.kind.into_owned(),
            parameters: self.parameters.into_owned(),
        }
    }
}

/// Future extension data of a body (`body-extension`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyExtension<'a> {
    /// A string or NIL.
    String(NString<'a>),
    /// A number.
    Number(u64),
    /// A parenthesised list.
    List(NonEmpty<BodyExtension<'a>>),
}

impl IntoOwned for BodyExtension<'_> {
    type Owned = BodyExtension<'static>;
    fn into_owned(self) -> BodyExtension<'static> {
        match self {
            BodyExtension::String(string) => BodyExtension::String(string.into_owned()),
            BodyExtension::Number(number) => BodyExtension::Number(number),
            BodyExtension::List(list) => BodyExtension::List(list.into_owned()),
        }
    }
}

/// The extension data shared by both kinds of part after their first field:
/// disposition, then language, then location, then future extensions. Each is present
/// only if the one before is (the wire form is positional).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ExtensionTail<'a> {
    /// Content-Disposition; NIL when absent.
    pub disposition: Option<Disposition<'a>>,
    /// Content-Language and what follows, if sent.
    pub language: Option<LanguageTail<'a>>,
}

impl IntoOwned for ExtensionTail<'_> {
    type Owned = ExtensionTail<'static>;
    fn into_owned(self) -> ExtensionTail<'static> {
        ExtensionTail {
            disposition: self.disposition.into_owned(),
            language: self.language.into_owned(),
        }
    }
}

/// Content-Language and what follows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LanguageTail<'a> {
    /// The language tags; empty for NIL. One tag travels as a string, more as a list.
    pub languages: Vec<IString<'a>>,
    /// Content-Location and what follows it, if sent.
    pub location: Option<LocationTail<'a>>,
}

impl IntoOwned for LanguageTail<'_> {
    type Owned = LanguageTail<'static>;
    fn into_owned(self) -> LanguageTail<'static> {
        LanguageTail {
            languages: self.languages.into_owned(),
            location: self.location.into_owned(),
        }
    }
}

/// Content-Location and future extension data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LocationTail<'a> {
    /// Content-Location.
    pub location: NString<'a>,
    /// Extension data defined by later standards.
    pub extensions: Vec<BodyExtension<'a>>,
}

impl IntoOwned for LocationTail<'_> {
    type Owned = LocationTail<'static>;
    fn into_owned(self) -> LocationTail<'static> {
        LocationTail {
            location: self.location.into_owned(),
            extensions: self.extensions.into_owned(),
        }
    }
}

/// Extension data of a non-multipart part (`body-ext-1part`), only in BODYSTRUCTURE.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SinglePartExtension<'a> {
    /// Content-MD5.
    pub md5: NString<'a>,
    /// Disposition and what follows, if sent.
    pub tail: Option<ExtensionTail<'a>>,
}

impl IntoOwned for SinglePartExtension<'_> {
    type Owned = SinglePartExtension<'static>;
    fn into_owned(self) -> SinglePartExtension<'static> {
        SinglePartExtension {
            md5: self.md5.into_owned(),
            tail: self.tail.into_owned(),
        }
    }
}

/// Extension data of a multipart (`body-ext-mpart`), only in BODYSTRUCTURE.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MultiPartExtension<'a> {
    /// Content-Type parameters (`boundary`, ...); empty for NIL.
    pub parameters: BodyParameters<'a>,
    /// Disposition and what follows, if sent.
    pub tail: Option<ExtensionTail<'a>>,
}

impl IntoOwned for MultiPartExtension<'_> {
    type Owned = MultiPartExtension<'static>;
    fn into_owned(self) -> MultiPartExtension<'static> {
        MultiPartExtension {
            parameters: self.parameters.into_owned(),
            tail: self.tail.into_owned(),
        }
    }
}

/// The MIME structure of a message (`body`), as BODY or BODYSTRUCTURE return it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BodyStructure<'a> {
    /// A non-multipart part.
    Single {
        /// Its media type and the fields that depend on it.
        kind: SinglePartKind<'a>,
        /// Its basic fields.
        fields: BodyFields<'a>,
        /// Extension data (BODYSTRUCTURE only).
        extension: Option<SinglePartExtension<'a>>,
    },
    /// A multipart: its parts and subtype.
    Multi {
        /// The parts, in order.
        parts: NonEmpty<BodyStructure<'a>>,
        /// The subtype (`MIXED`, `ALTERNATIVE`, ...).
        subtype: IString<'a>,
        /// Extension data (BODYSTRUCTURE only).
        extension: Option<MultiPartExtension<'a>>,
    },
}

impl IntoOwned for BodyStructure<'_> {
    type Owned = BodyStructure<'static>;
    fn into_owned(self) -> BodyStructure<'static> {
        match self {
            BodyStructure::Single {
                kind,
                fields,
                extension,
            } => BodyStructure::Single {
                kind: kind.into_owned(),
                fields: fields.into_owned(),
                extension: extension.into_owned(),
            },
            BodyStructure::Multi {
                parts,
                subtype,
                extension,
            } => BodyStructure::Multi {
                parts: parts.into_owned(),
                subtype: subtype.into_owned(),
                extension: extension.into_owned(),
            },
        }
    }
}

/// A part number path (`section-part`): `1.2.3`.
pub type PartPath = NonEmpty<NonZeroU32>;

/// A body section (`section-spec`); `BODY[]` is no section at all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Section<'a> {
    /// A part: `1.2`.
    Part(PartPath),
    /// `[part.]HEADER`.
    Header(Option<PartPath>),
    /// `[part.]HEADER.FIELDS (names)`.
    HeaderFields(Option<PartPath>, NonEmpty<IString<'a>>),
    /// `[part.]HEADER.FIELDS.NOT (names)`.
    HeaderFieldsNot(Option<PartPath>, NonEmpty<IString<'a>>),
    /// `[part.]TEXT`.
    Text(Option<PartPath>),
    /// `part.MIME`.
    Mime(PartPath),
}

impl IntoOwned for Section<'_> {
    type Owned = Section<'static>;
    fn into_owned(self) -> Section<'static> {
        match self {
            Section::Part(part) => Section::Part(part),
            Section::Header(part) => Section::Header(part),
            Section::HeaderFields(part, names) => Section::HeaderFields(part, names.into_owned()),
            Section::HeaderFieldsNot(part, names) => {
                Section::HeaderFieldsNot(part, names.into_owned())
            }
            Section::Text(part) => Section::Text(part),
            Section::Mime(part) => Section::Mime(part),
        }
    }
}

impl IntoOwned for NonZeroU32 {
    type Owned = NonZeroU32;
    fn into_owned(self) -> NonZeroU32 {
        self
    }
}
