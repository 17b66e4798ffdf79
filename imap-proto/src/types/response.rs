//! Responses a server sends (RFC 3501 §7, RFC 9051 §7 and the extensions of issue 4).

use std::num::{NonZeroU32, NonZeroU64};

use crate::error::ValidationError;
use crate::types::{
    Atom, Capability, Charset, Delimiter, ESearchData, Flag, FlagPerm, IString, IdParameters,
    IntoOwned, ListAttribute, Mailbox, MessageDataItem, NonEmpty, QuotaResource, SequenceSet,
    StatusItem, Tag, TaggedExtVal, Text, UidSet,
};

/// A response code that this crate has no dedicated variant for (`atom [SP 1*<any
/// TEXT-CHAR except "]">]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OtherCode<'a> {
    name: Atom<'a>,
    argument: Option<Text<'a>>,
}

impl<'a> OtherCode<'a> {
    /// Checks that the argument is non-empty and holds no `]` (it ends the code).
    pub fn new(name: Atom<'a>, argument: Option<Text<'a>>) -> Result<Self, ValidationError> {
        if let Some(text) = &argument {
            if text.is_empty() {
                return Err(ValidationError::Empty {
                    what: "response code argument",
                });
            }
            if let Some(position) = text.as_str().find(']') {
                return Err(ValidationError::InvalidCharacter {
                    what: "response code argument",
                    position,
                });
            }
        }
        Ok(OtherCode { name, argument })
    }

    pub(crate) fn from_checked(name: Atom<'a>, argument: Option<Text<'a>>) -> Self {
        OtherCode { name, argument }
    }

    /// The code's name.
    pub fn name(&self) -> &Atom<'a> {
        &self.name
    }

    /// The code's argument text.
    pub fn argument(&self) -> Option<&Text<'a>> {
        self.argument.as_ref()
    }
}

impl IntoOwned for OtherCode<'_> {
    type Owned = OtherCode<'static>;
    fn into_owned(self) -> OtherCode<'static> {
        OtherCode {
            name: self.name.into_owned(),
            argument: self.argument.into_owned(),
        }
    }
}

/// A response code (`resp-text-code`): RFC 3501, 4315, 4978, 5530, 6154, 7162, 9051.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Code<'a> {
    /// `ALERT`.
    Alert,
    /// `BADCHARSET [(charsets)]`.
    BadCharset(Vec<Charset<'a>>),
    /// `CAPABILITY ...`.
    Capability(NonEmpty<Capability<'a>>),
    /// `PARSE`.
    Parse,
    /// `PERMANENTFLAGS (...)`.
    PermanentFlags(Vec<FlagPerm<'a>>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`.
    TryCreate,
    /// `UIDNEXT n`.
    UidNext(NonZeroU32),
    /// `UIDVALIDITY n`.
    UidValidity(NonZeroU32),
    /// `UNSEEN n` (deprecated by RFC 9051).
    Unseen(NonZeroU32),
    /// `APPENDUID uidvalidity uids` (RFC 4315; several UIDs with MULTIAPPEND).
    AppendUid {
        /// The target mailbox's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The new messages' UIDs.
        uids: UidSet,
    },
    /// `COPYUID uidvalidity source destination` (RFC 4315).
    CopyUid {
        /// The target mailbox's UIDVALIDITY.
        uid_validity: NonZeroU32,
        /// The source UIDs.
        source: UidSet,
        /// The new UIDs, in the same order.
        destination: UidSet,
    },
    /// `UIDNOTSTICKY` (RFC 4315).
    UidNotSticky,
    /// `UNAVAILABLE` (RFC 5530).
    Unavailable,
    /// `AUTHENTICATIONFAILED` (RFC 5530).
    AuthenticationFailed,
    /// `AUTHORIZATIONFAILED` (RFC 5530).
    AuthorizationFailed,
    /// `EXPIRED` (RFC 5530).
    Expired,
    /// `PRIVACYREQUIRED` (RFC 5530).
    PrivacyRequired,
    /// `CONTACTADMIN` (RFC 5530).
    ContactAdmin,
    /// `NOPERM` (RFC 5530).
    NoPerm,
    /// `INUSE` (RFC 5530).
    InUse,
    /// `EXPUNGEISSUED` (RFC 5530).
    ExpungeIssued,
    /// `CORRUPTION` (RFC 5530).
    Corruption,
    /// `SERVERBUG` (RFC 5530).
    ServerBug,
    /// `CLIENTBUG` (RFC 5530).
    ClientBug,
    /// `CANNOT` (RFC 5530).
    Cannot,
    /// `LIMIT` (RFC 5530).
    Limit,
    /// `OVERQUOTA` (RFC 5530, RFC 9208).
    OverQuota,
    /// `ALREADYEXISTS` (RFC 5530).
    AlreadyExists,
    /// `NONEXISTENT` (RFC 5530).
    NonExistent,
    /// `NOTSAVED` (RFC 9051).
    NotSaved,
    /// `HASCHILDREN` (RFC 9051).
    HasChildren,
    /// `UNKNOWN-CTE` (RFC 3516, RFC 9051).
    UnknownCte,
    /// `CLOSED` (RFC 7162, RFC 9051).
    Closed,
    /// `HIGHESTMODSEQ n` (RFC 7162).
    HighestModSeq(NonZeroU64),
    /// `NOMODSEQ` (RFC 7162).
    NoModSeq,
    /// `MODIFIED set` (RFC 7162).
    Modified(SequenceSet),
    /// `COMPRESSIONACTIVE` (RFC 4978).
    CompressionActive,
    /// `USEATTR` (RFC 6154).
    UseAttr,
    /// Any other code.
    Other(OtherCode<'a>),
}

/// The response codes without arguments, with their names.
pub(crate) const SIMPLE_CODES: [(&str, Code<'static>); 30] = [
    ("ALERT", Code::Alert),
    ("PARSE", Code::Parse),
    ("READ-ONLY", Code::ReadOnly),
    ("READ-WRITE", Code::ReadWrite),
    ("TRYCREATE", Code::TryCreate),
    ("UIDNOTSTICKY", Code::UidNotSticky),
    ("UNAVAILABLE", Code::Unavailable),
    ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
    ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
    ("EXPIRED", Code::Expired),
    ("PRIVACYREQUIRED", Code::PrivacyRequired),
    ("CONTACTADMIN", Code::ContactAdmin),
    ("NOPERM", Code::NoPerm),
    ("INUSE", Code::InUse),
    ("EXPUNGEISSUED", Code::ExpungeIssued),
    ("CORRUPTION", Code::Corruption),
    ("SERVERBUG", Code::ServerBug),
    ("CLIENTBUG", Code::ClientBug),
    ("CANNOT", Code::Cannot),
    ("LIMIT", Code::Limit),
    ("OVERQUOTA", Code::OverQuota),
    ("ALREADYEXISTS", Code::AlreadyExists),
    ("NONEXISTENT", Code::NonExistent),
    ("NOTSAVED", Code::NotSaved),
    ("HASCHILDREN", Code::HasChildren),
    ("UNKNOWN-CTE", Code::UnknownCte),
    ("CLOSED", Code::Closed),
    ("NOMODSEQ", Code::NoModSeq),
    ("COMPRESSIONACTIVE", Code::CompressionActive),
    ("USEATTR", Code::UseAttr),
];

impl IntoOwned for Code<'_> {
    type Owned = Code<'static>;
    fn into_owned(self) -> Code<'static> {
        match self {
            Code::BadCharset(charsets) => Code::BadCharset(charsets.into_owned()),
            Code::Capability(capabilities) => Code::Capability(capabilities.into_owned()),
            Code::PermanentFlags(flags) => Code::PermanentFlags(flags.into_owned()),
            Code::UidNext(n) => Code::UidNext(n),
            Code::UidValidity(n) => Code::UidValidity(n),
            Code::Unseen(n) => Code::Unseen(n),
            Code::AppendUid { uid_validity, uids } => Code::AppendUid { uid_validity, uids },
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            } => Code::CopyUid {
                uid_validity,
                source,
                destination,
            },
            Code::HighestModSeq(n) => Code::HighestModSeq(n),
            Code::Modified(set) => Code::Modified(set),
            Code::Other(other) => Code::Other(other.into_owned()),
            Code::Alert => Code::Alert,
            Code::Parse => Code::Parse,
            Code::ReadOnly => Code::ReadOnly,
            Code::ReadWrite => Code::ReadWrite,
            Code::TryCreate => Code::TryCreate,
            Code::UidNotSticky => Code::UidNotSticky,
            Code::Unavailable => Code::Unavailable,
            Code::AuthenticationFailed => Code::AuthenticationFailed,
            Code::AuthorizationFailed => Code::AuthorizationFailed,
            Code::Expired => Code::Expired,
            Code::PrivacyRequired => Code::PrivacyRequired,
            Code::ContactAdmin => Code::ContactAdmin,
            Code::NoPerm => Code::NoPerm,
            Code::InUse => Code::InUse,
            Code::ExpungeIssued => Code::ExpungeIssued,
            Code::Corruption => Code::Corruption,
            Code::ServerBug => Code::ServerBug,
            Code::ClientBug => Code::ClientBug,
            Code::Cannot => Code::Cannot,
            Code::Limit => Code::Limit,
            Code::OverQuota => Code::OverQuota,
            Code::AlreadyExists => Code::AlreadyExists,
            Code::NonExistent => Code::NonExistent,
            Code::NotSaved => Code::NotSaved,
            Code::HasChildren => Code::HasChildren,
            Code::UnknownCte => Code::UnknownCte,
            Code::Closed => Code::Closed,
            Code::NoModSeq => Code::NoModSeq,
            Code::CompressionActive => Code::CompressionActive,
            Code::UseAttr => Code::UseAttr,
        }
    }
}

/// The text part of a status response: an optional code and human-readable text
/// (`resp-text`).
///
/// When `code` is `None` the text should not start with `[`, or it would be read as a
/// code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ResponseText<'a> {
    /// The response code.
    pub code: Option<Code<'a>>,
    /// The text (may be empty, as RFC 9051 allows).
    pub text: Text<'a>,
}

impl IntoOwned for ResponseText<'_> {
    type Owned = ResponseText<'static>;
    fn into_owned(self) -> ResponseText<'static> {
        ResponseText {
            code: self.code.into_owned(),
            text: self.text.into_owned(),
        }
    }
}

/// The condition of a status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// `OK`.
    Ok,
    /// `NO`.
    No,
    /// `BAD`.
    Bad,
}

/// The condition of the greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GreetingKind {
    /// `* OK`: not authenticated yet.
    Ok,
    /// `* PREAUTH`: already authenticated.
    PreAuth,
    /// `* BYE`: the server refuses the connection.
    Bye,
}

/// The server greeting (`greeting`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting<'a> {
    /// OK, PREAUTH or BYE.
    pub kind: GreetingKind,
    /// Code (often CAPABILITY) and text.
    pub text: ResponseText<'a>,
}

impl Greeting<'_> {
    /// A copy that borrows nothing from the decoded input.
    pub fn into_owned(self) -> Greeting<'static> {
        Greeting {
            kind: self.kind,
            text: self.text.into_owned(),
        }
    }
}

/// A tagged status response, completing the command with that tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedResponse<'a> {
    /// The command's tag.
    pub tag: Tag<'a>,
    /// OK, NO or BAD.
    pub state: State,
    /// Code and text.
    pub text: ResponseText<'a>,
}

impl IntoOwned for TaggedResponse<'_> {
    type Owned = TaggedResponse<'static>;
    fn into_owned(self) -> TaggedResponse<'static> {
        TaggedResponse {
            tag: self.tag.into_owned(),
            state: self.state,
            text: self.text.into_owned(),
        }
    }
}

/// A LIST or LSUB response (`mailbox-list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListData<'a> {
    /// Mailbox attributes.
    pub attributes: Vec<ListAttribute<'a>>,
    /// The hierarchy delimiter; `None` for NIL (flat namespace).
    pub delimiter: Option<Delimiter>,
    /// The mailbox.
    pub mailbox: Mailbox<'a>,
    /// Extended data items (LIST-EXTENDED); not written when empty.
    pub extended: Vec<ListExtendedItem<'a>>,
}

impl IntoOwned for ListData<'_> {
    type Owned = ListData<'static>;
    fn into_owned(self) -> ListData<'static> {
        ListData {
            attributes: self.attributes.into_owned(),
            delimiter: self.delimiter,
            mailbox: self.mailbox.into_owned(),
            extended: self.extended.into_owned(),
        }
    }
}

/// An extended data item of a LIST response (`mbox-list-extended-item`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListExtendedItem<'a> {
    /// `CHILDINFO ("SUBSCRIBED" ...)` (RFC 5258).
    ChildInfo(NonEmpty<IString<'a>>),
    /// `OLDNAME (mailbox)` (RFC 9051).
    OldName(Mailbox<'a>),
    /// Another item: tag and value.
    Other {
        /// The item tag.
        tag: IString<'a>,
        /// Its value.
        value: TaggedExtVal<'a>,
    },
}

impl IntoOwned for ListExtendedItem<'_> {
    type Owned = ListExtendedItem<'static>;
    fn into_owned(self) -> ListExtendedItem<'static> {
        match self {
            ListExtendedItem::ChildInfo(options) => {
                ListExtendedItem::ChildInfo(options.into_owned())
            }
            ListExtendedItem::OldName(mailbox) => ListExtendedItem::OldName(mailbox.into_owned()),
            ListExtendedItem::Other { tag, value } => ListExtendedItem::Other {
                tag: tag.into_owned(),
                value: value.into_owned(),
            },
        }
    }
}

/// An ESEARCH response (RFC 4731).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ESearchResponse<'a> {
    /// The tag of the command it answers (`(TAG "...")`).
    pub tag: Option<IString<'a>>,
    /// `UID`: the numbers are UIDs.
    pub uid: bool,
    /// The returned data.
    pub data: Vec<ESearchData<'a>>,
}

impl IntoOwned for ESearchResponse<'_> {
    type Owned = ESearchResponse<'static>;
    fn into_owned(self) -> ESearchResponse<'static> {
        ESearchResponse {
            tag: self.tag.into_owned(),
            uid: self.uid,
            data: self.data.into_owned(),
        }
    }
}

/// One namespace of a NAMESPACE response (RFC 2342).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceDescription<'a> {
    /// The prefix.
    pub prefix: IString<'a>,
    /// The hierarchy delimiter.
    pub delimiter: Option<Delimiter>,
    /// Extensions: a name and its values.
    pub extensions: Vec<(IString<'a>, NonEmpty<IString<'a>>)>,
}

impl IntoOwned for NamespaceDescription<'_> {
    type Owned = NamespaceDescription<'static>;
    fn into_owned(self) -> NamespaceDescription<'static> {
        NamespaceDescription {
            prefix: self.prefix.into_owned(),
            delimiter: self.delimiter,
            extensions: self
                .extensions
                .into_iter()
                .map(|(name, values)| (name.into_owned(), values.into_owned()))
                .collect(),
        }
    }
}

/// Untagged data (`response-data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data<'a> {
    /// `* OK / NO / BAD`.
    State {
        /// The condition.
        state: State,
        /// Code and text.
        text: ResponseText<'a>,
    },
    /// `* BYE`: the server is closing the connection.
    Bye(ResponseText<'a>),
    /// `* CAPABILITY ...`.
    Capability(NonEmpty<Capability<'a>>),
    /// `* ENABLED ...` (RFC 5161).
    Enabled(Vec<Capability<'a>>),
    /// `* LIST ...`.
    List(ListData<'a>),
    /// `* LSUB ...`.
    Lsub(ListData<'a>),
    /// `* STATUS mailbox (...)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// The values.
        items: Vec<StatusItem>,
    },
    /// `* SEARCH n...` with the optional `(MODSEQ n)` of RFC 7162, which is only written
    /// when there are numbers.
    Search {
        /// The matching numbers.
        numbers: Vec<NonZeroU32>,
        /// The highest mod-sequence of the matches.
        mod_seq: Option<NonZeroU64>,
    },
    /// `* ESEARCH ...` (RFC 4731).
    ESearch(ESearchResponse<'a>),
    /// `* FLAGS (...)`.
    Flags(Vec<Flag<'a>>),
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n RECENT` (deprecated by RFC 9051).
    Recent(u32),
    /// `* n EXPUNGE`.
    Expunge(NonZeroU32),
    /// `* VANISHED [(EARLIER)] uids` (RFC 7162).
    Vanished {
        /// `(EARLIER)`: an answer to a command, not a live expunge.
        earlier: bool,
        /// The expunged UIDs.
        uids: SequenceSet,
    },
    /// `* n FETCH (...)`.
    Fetch {
        /// The message number.
        sequence_number: NonZeroU32,
        /// The data items.
        items: NonEmpty<MessageDataItem<'a>>,
    },
    /// `* ID (...)` (RFC 2971).
    Id(IdParameters<'a>),
    /// `* NAMESPACE personal other shared` (RFC 2342); empty lists are NIL.
    Namespace {
        /// Personal namespaces.
        personal: Vec<NamespaceDescription<'a>>,
        /// Other users' namespaces.
        other: Vec<NamespaceDescription<'a>>,
        /// Shared namespaces.
        shared: Vec<NamespaceDescription<'a>>,
    },
    /// `* QUOTA root (...)` (RFC 9208).
    Quota {
        /// The quota root.
        root: IString<'a>,
        /// Usage and limit per resource (RFC 9208 wants at least one; RFC 2087
        /// servers may send none).
        resources: Vec<QuotaResource<'a>>,
    },
    /// `* QUOTAROOT mailbox root...` (RFC 9208).
    QuotaRoot {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// Its quota roots.
        roots: Vec<IString<'a>>,
    },
}

impl IntoOwned for Data<'_> {
    type Owned = Data<'static>;
    fn into_owned(self) -> Data<'static> {
        match self {
            Data::State { state, text } => Data::State {
                state,
                text: text.into_owned(),
            },
            Data::Bye(text) => Data::Bye(text.into_owned()),
            Data::Capability(capabilities) => Data::Capability(capabilities.into_owned()),
            Data::Enabled(capabilities) => Data::Enabled(capabilities.into_owned()),
            Data::List(list) => Data::List(list.into_owned()),
            Data::Lsub(list) => Data::Lsub(list.into_owned()),
            Data::Status { mailbox, items } => Data::Status {
                mailbox: mailbox.into_owned(),
                items,
            },
            Data::Search { numbers, mod_seq } => Data::Search { numbers, mod_seq },
            Data::ESearch(response) => Data::ESearch(response.into_owned()),
            Data::Flags(flags) => Data::Flags(flags.into_owned()),
            Data::Exists(n) => Data::Exists(n),
            Data::Recent(n) => Data::Recent(n),
            Data::Expunge(n) => Data::Expunge(n),
            Data::Vanished { earlier, uids } => Data::Vanished { earlier, uids },
            Data::Fetch {
                sequence_number,
                items,
            } => Data::Fetch {
                sequence_number,
                items: items.into_owned(),
            },
            Data::Id(parameters) => Data::Id(parameters.into_owned()),
            Data::Namespace {
                personal,
                other,
                shared,
            } => Data::Namespace {
                personal: personal.into_owned(),
                other: other.into_owned(),
                shared: shared.into_owned(),
            },
            Data::Quota { root, resources } => Data::Quota {
                root: root.into_owned(),
                resources: resources.into_owned(),
            },
            Data::QuotaRoot { mailbox, roots } => Data::QuotaRoot {
                mailbox: mailbox.into_owned(),
                roots: roots.into_owned(),
            },
        }
    }
}

/// A continuation request (`continue-req`): `+` and text, or base64 data during
/// AUTHENTICATE. Which one it is depends on the command in progress, so both travel as
/// [`ResponseText`]; see [`Continuation::base64`] and [`Continuation::decode_base64`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation<'a> {
    /// Code and text (or base64 data).
    pub text: ResponseText<'a>,
}

impl Continuation<'_> {
    /// A continuation carrying a SASL challenge, base64-encoded.
    pub fn base64(challenge: &[u8]) -> Continuation<'static> {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::STANDARD.encode(challenge);
        Continuation {
            text: ResponseText {
                code: None,
                text: Text::from_checked(encoded.into()),
            },
        }
    }

    /// The text decoded as a base64 SASL challenge, if it is valid base64.
    pub fn decode_base64(&self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        if self.text.code.is_some() {
            return None;
        }
        base64::engine::general_purpose::STANDARD
            .decode(self.text.text.as_str())
            .ok()
    }
}

impl IntoOwned for Continuation<'_> {
    type Owned = Continuation<'static>;
    fn into_owned(self) -> Continuation<'static> {
        Continuation {
            text: self.text.into_owned(),
        }
    }
}

/// Anything a server sends after the greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// A tagged completion.
    Tagged(TaggedResponse<'a>),
    /// Untagged data.
    Data(Data<'a>),
    /// A continuation request.
    Continuation(Continuation<'a>),
}

impl Response<'_> {
    /// A copy that borrows nothing from the decoded input.
    pub fn into_owned(self) -> Response<'static> {
        IntoOwned::into_owned(self)
    }
}

impl IntoOwned for Response<'_> {
    type Owned = Response<'static>;
    fn into_owned(self) -> Response<'static> {
        match self {
            Response::Tagged(tagged) => Response::Tagged(tagged.into_owned()),
            Response::Data(data) => Response::Data(data.into_owned()),
            Response::Continuation(continuation) => {
                Response::Continuation(continuation.into_owned())
            }
        }
    }
}
