//! What the client machine tells the application, and the state it tracks.

use std::num::{NonZeroU32, NonZeroU64};

use bytes::Bytes;

use crate::client::ProtocolError;
use crate::types::{
    Capability, Data, Flag, FlagPerm, GreetingKind, Mailbox, MessageDataItem, ResponseText,
    Section, State, Tag,
};

/// Identifies one command of the session. Events about it carry it; ids are never
/// reused within a session (tags may be, by a custom [`TagGenerator`]).
///
/// [`TagGenerator`]: crate::client::TagGenerator
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommandId(pub(crate) u64);

impl CommandId {
    /// The number behind the id (for logs).
    pub fn get(self) -> u64 {
        self.0
    }
}

/// The session states of RFC 3501 §3 / RFC 9051 §3, as the client sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientState {
    /// Before the greeting, or before LOGIN or AUTHENTICATE succeeded.
    NotAuthenticated,
    /// Logged in (or PREAUTH), no mailbox selected.
    Authenticated,
    /// A mailbox is selected; see [`Client::mailbox`](crate::client::Client::mailbox).
    Selected,
    /// LOGOUT, BYE or the end of the connection.
    Logout,
}

/// What the client knows about the selected mailbox (RFC 3501 §6.3.1, RFC 7162),
/// from the responses to SELECT / EXAMINE and the updates that followed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailboxState {
    /// The mailbox.
    pub mailbox: Mailbox<'static>,
    /// EXAMINE, or `[READ-ONLY]` in SELECT's completion.
    pub read_only: bool,
    /// Messages in the mailbox (`EXISTS`, lowered by `EXPUNGE` and `VANISHED`).
    pub exists: u32,
    /// `RECENT` (IMAP4rev1).
    pub recent: u32,
    /// `FLAGS`: the flags defined in the mailbox.
    pub flags: Vec<Flag<'static>>,
    /// `[PERMANENTFLAGS ...]`, when sent.
    pub permanent_flags: Option<Vec<FlagPerm<'static>>>,
    /// `[UIDVALIDITY n]`.
    pub uid_validity: Option<NonZeroU32>,
    /// `[UIDNEXT n]`.
    pub uid_next: Option<NonZeroU32>,
    /// `[UNSEEN n]` (IMAP4rev1): the first unseen message.
    pub unseen: Option<NonZeroU32>,
    /// `[HIGHESTMODSEQ n]` (CONDSTORE); `None` also after `[NOMODSEQ]`.
    pub highest_mod_seq: Option<NonZeroU64>,
    /// `[NOMODSEQ]`: the mailbox keeps no mod-sequences.
    pub no_mod_seq: bool,
}

impl MailboxState {
    pub(crate) fn new(mailbox: Mailbox<'static>, read_only: bool) -> Self {
        MailboxState {
            mailbox,
            read_only,
            exists: 0,
            recent: 0,
            flags: Vec::new(),
            permanent_flags: None,
            uid_validity: None,
            uid_next: None,
            unseen: None,
            highest_mod_seq: None,
            no_mod_seq: false,
        }
    }
}

/// A FETCH data item whose content is streamed (see [`ClientEvent::BodyStart`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyItem {
    /// `BODY[section]<origin>`; `section` is `None` for `BODY[]`.
    Section {
        /// The section.
        section: Option<Section<'static>>,
        /// The first octet's offset, for a partial fetch.
        origin: Option<u32>,
    },
    /// `BINARY[part]<origin>` (RFC 3516), decoded content.
    Binary {
        /// The part path; empty for the whole message.
        part: Vec<NonZeroU32>,
        /// The first octet's offset, for a partial fetch.
        origin: Option<u32>,
    },
    /// `RFC822`.
    Rfc822,
    /// `RFC822.HEADER`.
    Rfc822Header,
    /// `RFC822.TEXT`.
    Rfc822Text,
}

impl BodyItem {
    /// The item of a FETCH response whose content this is, if it is message content.
    pub(crate) fn of(item: &MessageDataItem<'_>) -> Option<BodyItem> {
        use crate::types::IntoOwned;
        Some(match item {
            MessageDataItem::BodySection {
                section, origin, ..
            } => BodyItem::Section {
                section: section.clone().into_owned(),
                origin: *origin,
            },
            MessageDataItem::Binary { part, origin, .. } => BodyItem::Binary {
                part: part.clone(),
                origin: *origin,
            },
            MessageDataItem::Rfc822(_) => BodyItem::Rfc822,
            MessageDataItem::Rfc822Header(_) => BodyItem::Rfc822Header,
            MessageDataItem::Rfc822Text(_) => BodyItem::Rfc822Text,
            _ => return None,
        })
    }
}

/// Why the session closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// LOGOUT completed.
    Logout,
    /// The greeting was `* BYE`.
    Rejected,
    /// The server said `* BYE` (other than for LOGOUT) and closed the connection, or did
    /// not close it within the response timeout.
    ServerBye,
    /// The server closed the connection.
    PeerClosed,
    /// No greeting or no progress within [`ClientConfig::response_timeout`].
    ///
    /// [`ClientConfig::response_timeout`]: crate::client::ClientConfig::response_timeout
    TimedOut,
    /// A fatal [`ProtocolError`] (reported just before).
    ProtocolError,
}

/// What the client machine tells the application.
///
/// Untagged responses carry `command`: the outstanding command they are attributed to
/// (the oldest one sent by the application, or the one an ESEARCH `(TAG ...)` names),
/// `None` when nothing is outstanding (unsolicited updates).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server's greeting. `* BYE` is followed by [`ClientEvent::Closed`].
    Greeting {
        /// OK, PREAUTH or BYE.
        kind: GreetingKind,
        /// Code and text.
        text: ResponseText<'static>,
    },
    /// The server's capabilities were (re)learnt: from the greeting, a CAPABILITY
    /// response or a `[CAPABILITY ...]` code. See also
    /// [`Client::capabilities`](crate::client::Client::capabilities).
    Capabilities {
        /// The command it answers, if any.
        command: Option<CommandId>,
        /// The capabilities now in effect.
        capabilities: Vec<Capability<'static>>,
    },
    /// Untagged data (everything but CAPABILITY and FETCH, which have their own events).
    Data {
        /// The command it is attributed to.
        command: Option<CommandId>,
        /// The data.
        data: Data<'static>,
    },
    /// A FETCH response. Message content that came as literals (`BODY[...]`,
    /// `BINARY[...]`, `RFC822*`) was streamed before this event, between
    /// [`ClientEvent::BodyStart`] and [`ClientEvent::BodyEnd`], and is not in `items`;
    /// content that came as a quoted string or NIL is (and so are content literals
    /// beyond the 64th of one response, which only a hostile server sends: they are held
    /// within [`ClientConfig::max_response_length`]).
    ///
    /// [`ClientConfig::max_response_length`]: crate::client::ClientConfig::max_response_length
    Fetch {
        /// The command it is attributed to.
        command: Option<CommandId>,
        /// The message number.
        sequence_number: NonZeroU32,
        /// The data items, in the server's order, except the streamed ones.
        items: Vec<MessageDataItem<'static>>,
        /// The items that were streamed, in order.
        streamed: Vec<BodyItem>,
    },
    /// Message content of a FETCH response begins: `length` octets follow as
    /// [`ClientEvent::BodyChunk`]s, then [`ClientEvent::BodyEnd`].
    BodyStart {
        /// The command it is attributed to.
        command: Option<CommandId>,
        /// The message number.
        sequence_number: NonZeroU32,
        /// Which item.
        item: BodyItem,
        /// The announced length.
        length: u64,
    },
    /// The next octets of the content begun by [`ClientEvent::BodyStart`], as they arrive.
    BodyChunk {
        /// The command it is attributed to.
        command: Option<CommandId>,
        /// The message number.
        sequence_number: NonZeroU32,
        /// The octets.
        chunk: Bytes,
    },
    /// The content begun by [`ClientEvent::BodyStart`] is complete.
    BodyEnd {
        /// The command it is attributed to.
        command: Option<CommandId>,
        /// The message number.
        sequence_number: NonZeroU32,
    },
    /// A SASL challenge of an AUTHENTICATE the application steps: answer with
    /// [`Client::sasl_respond`](crate::client::Client::sasl_respond) or
    /// [`Client::sasl_cancel`](crate::client::Client::sasl_cancel). Nothing more is read
    /// until then.
    SaslChallenge {
        /// The AUTHENTICATE command.
        id: CommandId,
        /// The decoded challenge.
        challenge: Vec<u8>,
    },
    /// The server accepted IDLE (`+`): updates follow as [`ClientEvent::Data`] and
    /// [`ClientEvent::Fetch`] until [`Client::idle_done`](crate::client::Client::idle_done).
    IdleStarted {
        /// The IDLE command.
        id: CommandId,
    },
    /// SELECT or EXAMINE succeeded (just before its [`ClientEvent::Completed`]).
    Selected {
        /// The command.
        id: CommandId,
        /// What the server said about the mailbox.
        mailbox: MailboxState,
    },
    /// A command completed (tagged OK, NO or BAD).
    Completed {
        /// The command.
        id: CommandId,
        /// Its tag.
        tag: Tag<'static>,
        /// Its name (`UID FETCH`, `LOGIN`, ...).
        command: &'static str,
        /// OK, NO or BAD.
        state: State,
        /// Response code and text.
        text: ResponseText<'static>,
    },
    /// The server violated the protocol; see [`ProtocolError::is_fatal`]. A fatal one
    /// is followed by [`ClientEvent::Closed`].
    ProtocolError {
        /// What was wrong.
        error: ProtocolError,
    },
    /// The session is over.
    Closed {
        /// Why.
        reason: CloseReason,
        /// Commands sent or queued by the application that will never complete.
        unanswered: Vec<CommandId>,
    },
}
