//! Commands a client sends (RFC 3501 §6, RFC 9051 §6 and the extensions of issue 4).

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use mailwire_core::Secret;

use crate::types::{
    Atom, Capability, Charset, DateTime, ExtItem, ExtParameter, FetchAttributes, FetchModifier,
    Flag, IString, IntoOwned, ListAttribute, Mailbox, MailboxName, NString, NonEmpty, Resource,
    SearchKey, SearchReturnOption, SequenceSet, StatusAttribute, Tag,
};

/// A tagged command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// The tag the server's completion response will carry.
    pub tag: Tag<'a>,
    /// The command and its arguments.
    pub body: CommandBody<'a>,
}

impl Command<'_> {
    /// A copy that borrows nothing from the decoded input.
    pub fn into_owned(self) -> Command<'static> {
        IntoOwned::into_owned(self)
    }
}

impl IntoOwned for Command<'_> {
    type Owned = Command<'static>;
    fn into_owned(self) -> Command<'static> {
        Command {
            tag: self.tag.into_owned(),
            body: self.body.into_owned(),
        }
    }
}

/// QRESYNC parameters of SELECT / EXAMINE (RFC 7162 §3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QResyncParameters {
    /// The last known UIDVALIDITY.
    pub uid_validity: NonZeroU32,
    /// The last known HIGHESTMODSEQ.
    pub mod_seq: NonZeroU64,
    /// The UIDs the client knows.
    pub known_uids: Option<SequenceSet>,
    /// Message numbers and the UIDs they map to, to help the server.
    pub sequence_match: Option<(SequenceSet, SequenceSet)>,
}

/// A SELECT / EXAMINE parameter (RFC 4466 `select-param`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectParameter<'a> {
    /// `CONDSTORE` (RFC 7162).
    CondStore,
    /// `QRESYNC (...)` (RFC 7162).
    QResync(QResyncParameters),
    /// Another parameter.
    Other(ExtParameter<'a>),
}

impl IntoOwned for SelectParameter<'_> {
    type Owned = SelectParameter<'static>;
    fn into_owned(self) -> SelectParameter<'static> {
        match self {
            SelectParameter::CondStore => SelectParameter::CondStore,
            SelectParameter::QResync(parameters) => SelectParameter::QResync(parameters),
            SelectParameter::Other(parameter) => SelectParameter::Other(parameter.into_owned()),
        }
    }
}

/// A CREATE parameter (RFC 4466 `create-param`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateParameter<'a> {
    /// `USE (\Sent ...)` (RFC 6154 CREATE-SPECIAL-USE).
    Use(Vec<ListAttribute<'a>>),
    /// Another parameter.
    Other(ExtParameter<'a>),
}

impl IntoOwned for CreateParameter<'_> {
    type Owned = CreateParameter<'static>;
    fn into_owned(self) -> CreateParameter<'static> {
        match self {
            CreateParameter::Use(attributes) => CreateParameter::Use(attributes.into_owned()),
            CreateParameter::Other(parameter) => CreateParameter::Other(parameter.into_owned()),
        }
    }
}

/// An option of a LIST command this crate has no dedicated variant for
/// (`option-extension`): a name and an optional parenthesised value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOptionExtension<'a> {
    /// The option name.
    pub name: Atom<'a>,
    /// The value between parentheses, if any.
    pub value: Option<NonEmpty<ExtItem<'a>>>,
}

impl IntoOwned for ListOptionExtension<'_> {
    type Owned = ListOptionExtension<'static>;
    fn into_owned(self) -> ListOptionExtension<'static> {
        ListOptionExtension {
            name: self.name.into_owned(),
            value: self.value.into_owned(),
        }
    }
}

/// A LIST selection option (RFC 5258 §3.1, RFC 6154).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSelectOption<'a> {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `REMOTE`.
    Remote,
    /// `RECURSIVEMATCH`.
    RecursiveMatch,
    /// `SPECIAL-USE`.
    SpecialUse,
    /// Another option.
    Other(ListOptionExtension<'a>),
}

impl IntoOwned for ListSelectOption<'_> {
    type Owned = ListSelectOption<'static>;
    fn into_owned(self) -> ListSelectOption<'static> {
        match self {
            ListSelectOption::Subscribed => ListSelectOption::Subscribed,
            ListSelectOption::Remote => ListSelectOption::Remote,
            ListSelectOption::RecursiveMatch => ListSelectOption::RecursiveMatch,
            ListSelectOption::SpecialUse => ListSelectOption::SpecialUse,
            ListSelectOption::Other(option) => ListSelectOption::Other(option.into_owned()),
        }
    }
}

/// A LIST return option (RFC 5258 §3.2, RFC 5819, RFC 6154).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListReturnOption<'a> {
    /// `SUBSCRIBED`.
    Subscribed,
    /// `CHILDREN`.
    Children,
    /// `SPECIAL-USE`.
    SpecialUse,
    /// `STATUS (...)` (LIST-STATUS).
    Status(NonEmpty<StatusAttribute>),
    /// Another option.
    Other(ListOptionExtension<'a>),
}

impl IntoOwned for ListReturnOption<'_> {
    type Owned = ListReturnOption<'static>;
    fn into_owned(self) -> ListReturnOption<'static> {
        match self {
            ListReturnOption::Subscribed => ListReturnOption::Subscribed,
            ListReturnOption::Children => ListReturnOption::Children,
            ListReturnOption::SpecialUse => ListReturnOption::SpecialUse,
            ListReturnOption::Status(attributes) => ListReturnOption::Status(attributes),
            ListReturnOption::Other(option) => ListReturnOption::Other(option.into_owned()),
        }
    }
}

/// The message data of an APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendData<'a> {
    /// A literal: any octets but NUL.
    Literal(IString<'a>),
    /// A literal8 `~{n}` (BINARY, RFC 3516): any octets.
    Literal8(Cow<'a, [u8]>),
    /// `UTF8 (~{n})` (RFC 6855 §4): a message with UTF-8 headers.
    Utf8(Cow<'a, [u8]>),
}

impl AppendData<'_> {
    /// The message octets.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            AppendData::Literal(string) => string.as_bytes(),
            AppendData::Literal8(bytes) | AppendData::Utf8(bytes) => bytes,
        }
    }
}

impl IntoOwned for AppendData<'_> {
    type Owned = AppendData<'static>;
    fn into_owned(self) -> AppendData<'static> {
        match self {
            AppendData::Literal(string) => AppendData::Literal(string.into_owned()),
            AppendData::Literal8(bytes) => AppendData::Literal8(Cow::Owned(bytes.into_owned())),
            AppendData::Utf8(bytes) => AppendData::Utf8(Cow::Owned(bytes.into_owned())),
        }
    }
}

/// One message of an APPEND (several with MULTIAPPEND, RFC 3502).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage<'a> {
    /// Flags to set; none when empty.
    pub flags: Vec<Flag<'a>>,
    /// The internal date; the server picks one when `None`.
    pub date: Option<DateTime>,
    /// The message.
    pub data: AppendData<'a>,
}

impl IntoOwned for AppendMessage<'_> {
    type Owned = AppendMessage<'static>;
    fn into_owned(self) -> AppendMessage<'static> {
        AppendMessage {
            flags: self.flags.into_owned(),
            date: self.date,
            data: self.data.into_owned(),
        }
    }
}

/// How STORE changes the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreAction {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// A STORE modifier (RFC 4466 `store-modifier`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreModifier<'a> {
    /// `UNCHANGEDSINCE modseq` (RFC 7162; 0 allowed).
    UnchangedSince(u64),
    /// Another modifier.
    Other(ExtParameter<'a>),
}

impl IntoOwned for StoreModifier<'_> {
    type Owned = StoreModifier<'static>;
    fn into_owned(self) -> StoreModifier<'static> {
        match self {
            StoreModifier::UnchangedSince(modseq) => StoreModifier::UnchangedSince(modseq),
            StoreModifier::Other(parameter) => StoreModifier::Other(parameter.into_owned()),
        }
    }
}

/// ID parameters (RFC 2971): field and value pairs, or NIL.
pub type IdParameters<'a> = Option<Vec<(IString<'a>, NString<'a>)>>;

/// A command and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody<'a> {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `STARTTLS`.
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR, RFC 4959).
    Authenticate {
        /// The SASL mechanism.
        mechanism: Atom<'a>,
        /// The decoded initial response; `Some` of an empty vector is `=`.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `LOGIN user password`.
    Login {
        /// The user name.
        username: IString<'a>,
        /// The password.
        password: Secret<IString<'a>>,
    },
    /// `SELECT mailbox [(params)]`.
    Select {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE, QRESYNC and other parameters.
        parameters: Vec<SelectParameter<'a>>,
    },
    /// `EXAMINE mailbox [(params)]`.
    Examine {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// CONDSTORE, QRESYNC and other parameters.
        parameters: Vec<SelectParameter<'a>>,
    },
    /// `CREATE mailbox [(params)]`.
    Create {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// `USE (...)` and other parameters.
        parameters: Vec<CreateParameter<'a>>,
    },
    /// `DELETE mailbox`.
    Delete {
        /// The mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `RENAME from to`.
    Rename {
        /// The existing mailbox.
        from: Mailbox<'a>,
        /// The new name.
        to: Mailbox<'a>,
    },
    /// `SUBSCRIBE mailbox`.
    Subscribe {
        /// The mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `UNSUBSCRIBE mailbox`.
    Unsubscribe {
        /// The mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `LIST [(select-opts)] reference patterns [RETURN (return-opts)]`.
    ///
    /// Empty option lists are not written; one pattern travels without parentheses.
    List {
        /// Selection options (LIST-EXTENDED).
        selection: Vec<ListSelectOption<'a>>,
        /// The reference name.
        reference: Mailbox<'a>,
        /// Mailbox patterns with `%` and `*` wildcards.
        patterns: NonEmpty<MailboxName<'a>>,
        /// Return options (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE).
        return_options: Vec<ListReturnOption<'a>>,
    },
    /// `LSUB reference pattern` (deprecated by RFC 9051).
    Lsub {
        /// The reference name.
        reference: Mailbox<'a>,
        /// The pattern.
        pattern: MailboxName<'a>,
    },
    /// `NAMESPACE`.
    Namespace,
    /// `STATUS mailbox (attributes)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// What to return.
        attributes: NonEmpty<StatusAttribute>,
    },
    /// `APPEND mailbox message...`.
    Append {
        /// The target mailbox.
        mailbox: Mailbox<'a>,
        /// The messages (several with MULTIAPPEND).
        messages: NonEmpty<AppendMessage<'a>>,
    },
    /// `IDLE` (ends with a `DONE` line, see [`crate::codec::decode_idle_done`]).
    Idle,
    /// `CHECK` (removed by RFC 9051).
    Check,
    /// `CLOSE`.
    Close,
    /// `UNSELECT`.
    Unselect,
    /// `EXPUNGE`.
    Expunge,
    /// `UID EXPUNGE sequence-set` (UIDPLUS).
    UidExpunge {
        /// The UIDs.
        uids: SequenceSet,
    },
    /// `[UID] SEARCH [RETURN (...)] [CHARSET c] keys`.
    Search {
        /// `UID SEARCH`.
        uid: bool,
        /// ESEARCH return options; `Some` of an empty list is `RETURN ()`.
        return_options: Option<Vec<SearchReturnOption<'a>>>,
        /// The charset of the strings.
        charset: Option<Charset<'a>>,
        /// The keys, all of which must match.
        criteria: NonEmpty<SearchKey<'a>>,
    },
    /// `[UID] FETCH set attributes [(modifiers)]`.
    Fetch {
        /// `UID FETCH`.
        uid: bool,
        /// The messages.
        sequence_set: SequenceSet,
        /// What to fetch.
        attributes: FetchAttributes<'a>,
        /// CHANGEDSINCE, VANISHED and other modifiers.
        modifiers: Vec<FetchModifier<'a>>,
    },
    /// `[UID] STORE set [(modifiers)] [+-]FLAGS[.SILENT] flags`.
    Store {
        /// `UID STORE`.
        uid: bool,
        /// The messages.
        sequence_set: SequenceSet,
        /// UNCHANGEDSINCE and other modifiers.
        modifiers: Vec<StoreModifier<'a>>,
        /// Replace, add or remove.
        action: StoreAction,
        /// `.SILENT`: no untagged FETCH back.
        silent: bool,
        /// The flags (written as a parenthesised list).
        flags: Vec<Flag<'a>>,
    },
    /// `[UID] COPY set mailbox`.
    Copy {
        /// `UID COPY`.
        uid: bool,
        /// The messages.
        sequence_set: SequenceSet,
        /// The target mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] MOVE set mailbox` (RFC 6851).
    Move {
        /// `UID MOVE`.
        uid: bool,
        /// The messages.
        sequence_set: SequenceSet,
        /// The target mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `ENABLE capability...` (RFC 5161).
    Enable {
        /// The capabilities to enable.
        capabilities: NonEmpty<Capability<'a>>,
    },
    /// `ID (...)` or `ID NIL` (RFC 2971).
    Id {
        /// The client's identification.
        parameters: IdParameters<'a>,
    },
    /// `GETQUOTA root` (RFC 9208).
    GetQuota {
        /// The quota root.
        root: IString<'a>,
    },
    /// `GETQUOTAROOT mailbox` (RFC 9208).
    GetQuotaRoot {
        /// The mailbox.
        mailbox: Mailbox<'a>,
    },
    /// `SETQUOTA root (resource limit ...)` (RFC 9208).
    SetQuota {
        /// The quota root.
        root: IString<'a>,
        /// The new limits.
        limits: Vec<(Resource<'a>, u64)>,
    },
    /// `COMPRESS algorithm` (RFC 4978).
    Compress {
        /// The algorithm, `DEFLATE`.
        algorithm: Atom<'a>,
    },
}

impl CommandBody<'_> {
    /// The command name as it goes on the wire (`UID FETCH`, `LOGIN`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            CommandBody::Capability => "CAPABILITY",
            CommandBody::Noop => "NOOP",
            CommandBody::Logout => "LOGOUT",
            CommandBody::StartTls => "STARTTLS",
            CommandBody::Authenticate { .. } => "AUTHENTICATE",
            CommandBody::Login { .. } => "LOGIN",
            CommandBody::Select { .. } => "SELECT",
            CommandBody::Examine { .. } => "EXAMINE",
            CommandBody::Create { .. } => "CREATE",
            CommandBody::Delete { .. } => "DELETE",
            CommandBody::Rename { .. } => "RENAME",
            CommandBody::Subscribe { .. } => "SUBSCRIBE",
            CommandBody::Unsubscribe { .. } => "UNSUBSCRIBE",
            CommandBody::List { .. } => "LIST",
            CommandBody::Lsub { .. } => "LSUB",
            CommandBody::Namespace => "NAMESPACE",
            CommandBody::Status { .. } => "STATUS",
            CommandBody::Append { .. } => "APPEND",
            CommandBody::Idle => "IDLE",
            CommandBody::Check => "CHECK",
            CommandBody::Close => "CLOSE",
            CommandBody::Unselect => "UNSELECT",
            CommandBody::Expunge => "EXPUNGE",
            CommandBody::UidExpunge { .. } => "UID EXPUNGE",
            CommandBody::Search { uid: false, .. } => "SEARCH",
            CommandBody::Search { uid: true, .. } => "UID SEARCH",
            CommandBody::Fetch { uid: false, .. } => "FETCH",
            CommandBody::Fetch { uid: true, .. } => "UID FETCH",
            CommandBody::Store { uid: false, .. } => "STORE",
            CommandBody::Store { uid: true, .. } => "UID STORE",
            CommandBody::Copy { uid: false, .. } => "COPY",
            CommandBody::Copy { uid: true, .. } => "UID COPY",
            CommandBody::Move { uid: false, .. } => "MOVE",
            CommandBody::Move { uid: true, .. } => "UID MOVE",
            CommandBody::Enable { .. } => "ENABLE",
            CommandBody::Id { .. } => "ID",
            CommandBody::GetQuota { .. } => "GETQUOTA",
            CommandBody::GetQuotaRoot { .. } => "GETQUOTAROOT",
            CommandBody::SetQuota { .. } => "SETQUOTA",
            CommandBody::Compress { .. } => "COMPRESS",
        }
    }
}

impl IntoOwned for CommandBody<'_> {
    type Owned = CommandBody<'static>;
    fn into_owned(self) -> CommandBody<'static> {
        use CommandBody as C;
        match self {
            C::Capability => C::Capability,
            C::Noop => C::Noop,
            C::Logout => C::Logout,
            C::StartTls => C::StartTls,
            C::Authenticate {
                mechanism,
                initial_response,
            } => C::Authenticate {
                mechanism: mechanism.into_owned(),
                initial_response,
            },
            C::Login { username, password } => C::Login {
                username: username.into_owned(),
                password: Secret::new(password.into_inner().into_owned()),
            },
            C::Select {
                mailbox,
                parameters,
            } => C::Select {
                mailbox: mailbox.into_owned(),
                parameters: parameters.into_owned(),
            },
            C::Examine {
                mailbox,
                parameters,
            } => C::Examine {
                mailbox: mailbox.into_owned(),
                parameters: parameters.into_owned(),
            },
            C::Create {
                mailbox,
                parameters,
            } => C::Create {
                mailbox: mailbox.into_owned(),
                parameters: parameters.into_owned(),
            },
            C::Delete { mailbox } => C::Delete {
                mailbox: mailbox.into_owned(),
            },
            C::Rename { from, to } => C::Rename {
                from: from.into_owned(),
                to: to.into_owned(),
            },
            C::Subscribe { mailbox } => C::Subscribe {
                mailbox: mailbox.into_owned(),
            },
            C::Unsubscribe { mailbox } => C::Unsubscribe {
                mailbox: mailbox.into_owned(),
            },
            C::List {
                selection,
                reference,
                patterns,
                return_options,
            } => C::List {
                selection: selection.into_owned(),
                reference: reference.into_owned(),
                patterns: patterns.into_owned(),
                return_options: return_options.into_owned(),
            },
            C::Lsub { reference, pattern } => C::Lsub {
                reference: reference.into_owned(),
                pattern: pattern.into_owned(),
            },
            C::Namespace => C::Namespace,
            C::Status {
                mailbox,
                attributes,
            } => C::Status {
                mailbox: mailbox.into_owned(),
                attributes,
            },
            C::Append { mailbox, messages } => C::Append {
                mailbox: mailbox.into_owned(),
                messages: messages.into_owned(),
            },
            C::Idle => C::Idle,
            C::Check => C::Check,
            C::Close => C::Close,
            C::Unselect => C::Unselect,
            C::Expunge => C::Expunge,
            C::UidExpunge { uids } => C::UidExpunge { uids },
            C::Search {
                uid,
                return_options,
                charset,
                criteria,
            } => C::Search {
                uid,
                return_options: return_options.into_owned(),
                charset: charset.into_owned(),
                criteria: criteria.into_owned(),
            },
            C::Fetch {
                uid,
                sequence_set,
                attributes,
                modifiers,
            } => C::Fetch {
                uid,
                sequence_set,
                attributes: attributes.into_owned(),
                modifiers: modifiers.into_owned(),
            },
            C::Store {
                uid,
                sequence_set,
                modifiers,
                action,
                silent,
                flags,
            } => C::Store {
                uid,
                sequence_set,
                modifiers: modifiers.into_owned(),
                action,
                silent,
                flags: flags.into_owned(),
            },
            C::Copy {
                uid,
                sequence_set,
                mailbox,
            } => C::Copy {
                uid,
                sequence_set,
                mailbox: mailbox.into_owned(),
            },
            C::Move {
                uid,
                sequence_set,
                mailbox,
            } => C::Move {
                uid,
                sequence_set,
                mailbox: mailbox.into_owned(),
            },
            C::Enable { capabilities } => C::Enable {
                capabilities: capabilities.into_owned(),
            },
            C::Id { parameters } => C::Id {
                parameters: parameters.into_owned(),
            },
            C::GetQuota { root } => C::GetQuota {
                root: root.into_owned(),
            },
            C::GetQuotaRoot { mailbox } => C::GetQuotaRoot {
                mailbox: mailbox.into_owned(),
            },
            C::SetQuota { root, limits } => C::SetQuota {
                root: root.into_owned(),
                limits: limits
                    .into_iter()
                    .map(|(resource, limit)| (resource.into_owned(), limit))
                    .collect(),
            },
            C::Compress { algorithm } => C::Compress {
                algorithm: algorithm.into_owned(),
            },
        }
    }
}

/// A line a client sends during AUTHENTICATE, after a continuation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthenticateData {
    /// A SASL response, base64-decoded.
    Response(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange.
    Cancel,
}
