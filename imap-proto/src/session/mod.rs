//! Reading a mailbox from an application (feature `tls`): [`Session`] connects over
//! implicit TLS (port 993) or STARTTLS (port 143, required), logs in (LOGIN,
//! AUTHENTICATE PLAIN, XOAUTH2 or OAUTHBEARER tokens), lists the mailboxes with their
//! special-use roles, selects one, searches, fetches messages as a [`Stream`] of typed
//! [`Message`]s, stores flags, copies, moves, appends, expunges, and waits for changes
//! with [`Session::idle`], a [`Stream`] of [`MailboxChange`]s.
//!
//! It is built on the Sans-IO [`Client`] machine through mailwire-core's tokio
//! [`Driver`], with tokio-rustls for TLS.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use mailwire_imap::session::{FetchOptions, Session};
//! use mailwire_imap::types::SearchKey;
//!
//! # async fn read() -> Result<(), Box<dyn std::error::Error>> {
//! let mut session = Session::builder("imap.example.com").connect().await?; // STARTTLS, 143
//! session.login("alice", "app password").await?;
//! session.examine("INBOX").await?;
//! let unseen = session.search(SearchKey::Unseen).await?;
//! let mut messages = session.fetch(&unseen, FetchOptions::new().envelope()).await?;
//! while let Some(message) = messages.next().await {
//!     let message = message?;
//!     println!("{:?} {:?}", message.from_address(), message.subject());
//! }
//! drop(messages);
//! session.logout().await?;
//! # Ok(()) }
//! ```
//!
//! - STARTTLS (RFC 3501 §6.2.1) is required unless the session is built with
//!   [`SessionBuilder::implicit_tls`]; a server that does not offer it (or greets with
//!   PREAUTH in clear text) gets LOGOUT and [`SessionError::StartTlsNotOffered`], never
//!   a silent fall back to clear text. Clear text exists only as
//!   [`SessionBuilder::insecure_plaintext_loopback_only`], refused towards any peer that
//!   is not loopback, for tests.
//! - Certificates come from the platform's store (rustls-native-certs) or only the CA
//!   certificates given ([`Trust`]).
//! - Messages are addressed by UID ([`Uids`]): UID SEARCH, UID FETCH, UID STORE, UID
//!   COPY, UID MOVE, UID EXPUNGE.
//! - Streams borrow the session. A [`FetchStream`] dropped before its end is read to
//!   its end (and dropped) before the next command; an [`Idle`] dropped while idling
//!   queues `DONE` in the machine at once, and the next operation sends it and reads
//!   IDLE's completion first. [`Idle::done`] ends the IDLE and waits for the
//!   completion right away. Either way the session stays usable.
//! - Mailbox changes the server reports outside IDLE (new messages during a NOOP, flag
//!   changes by other clients, expunges during MOVE) are kept, up to
//!   [`MAX_PENDING_CHANGES`], for [`Session::take_changes`] and the next IDLE.
//! - Errors are [`SessionError`]s; refusals carry the server's completion (response
//!   code and text). Nothing the server sends can panic the session; every length it
//!   announces is checked against the machine's limits and
//!   [`SessionBuilder::max_message_size`] before anything is held.
//!
//! A blocking API (for applications without tokio) is out of scope: use a tokio
//! runtime's `block_on`.

mod connect;
mod error;
mod message;
mod stream;

use std::collections::VecDeque;
use std::io;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use futures_util::Stream;
use mailwire_core::{sasl, Secret, Session as _};
use tokio::time::Sleep;

use connect::BoxedStream;
pub use connect::SessionBuilder;
pub use error::{SessionError, TimeoutStage};
pub use mailwire_core::tls::Trust;
pub use message::{FetchOptions, MailboxChange, MailboxInfo, Message, SpecialUse, Uids};
pub use stream::{FetchStream, Idle};

use crate::client::{
    Client, ClientError, ClientEvent, ClientState, CloseReason, CommandId, MailboxState,
    ProtocolError,
};
use crate::codec::{decode_command, DecodeOptions};
use crate::tokio::{Driver, Next};
use crate::types::{
    AppendData, AppendMessage, Capability, Code, CommandBody, Data, Flag, FlagFetch, IString,
    IntoOwned, ListReturnOption, Mailbox, MailboxName, MessageDataItem, NonEmpty, ResponseText,
    SearchKey, State, StoreAction, UidItem,
};

/// Default port of IMAP with STARTTLS.
pub const IMAP_PORT: u16 = 143;
/// Default port of IMAP over implicit TLS (RFC 8314 §7.3).
pub const IMAPS_PORT: u16 = 993;
/// Default limit for opening the TCP connection and for the TLS handshake.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default largest message content one fetched message may carry (all its sections
/// together): larger content is read and dropped, and reported as
/// [`SessionError::MessageTooLarge`].
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 64 * 1024 * 1024;
/// The most mailbox changes kept for [`Session::take_changes`] and the next IDLE; the
/// oldest are dropped beyond it (the counts in [`Session::mailbox`] stay exact).
pub const MAX_PENDING_CHANGES: usize = 10_000;

/// `Ok` for an OK completion, the typed refusal otherwise.
fn refusal(
    command: &'static str,
    state: State,
    text: ResponseText<'static>,
) -> Result<ResponseText<'static>, SessionError> {
    match state {
        State::Ok => Ok(text),
        State::No => Err(SessionError::No { command, text }),
        State::Bad => Err(SessionError::Bad { command, text }),
    }
}

/// What a command returned.
#[derive(Debug, Default)]
struct Outcome {
    data: Vec<Data<'static>>,
    mailbox: Option<MailboxState>,
    completion: ResponseText<'static>,
}

/// A command whose stream was dropped before its completion.
#[derive(Debug, Clone, Copy)]
enum Unfinished {
    Fetch(CommandId),
    Idle(CommandId),
}

/// An IMAP session for an application; see the [module docs](self).
#[derive(Debug)]
pub struct Session {
    driver: Driver<BoxedStream, Client>,
    greeting: ResponseText<'static>,
    host: String,
    port: u16,
    max_message_size: u64,
    changes: VecDeque<MailboxChange>,
    /// The text of a `* BYE` the server sent.
    bye: Option<ResponseText<'static>>,
    /// The protocol error that ended the session.
    fatal: Option<ProtocolError>,
    close_reason: Option<CloseReason>,
    warnings: u64,
    unfinished: Option<Unfinished>,
}

impl Session {
    /// The server's greeting (code and text).
    pub fn greeting(&self) -> &ResponseText<'static> {
        &self.greeting
    }

    /// The server's capabilities now (learnt again after TLS and after login).
    pub fn capabilities(&self) -> &[Capability<'static>] {
        self.driver.machine().capabilities().unwrap_or_default()
    }

    /// True when the server offers `capability`.
    pub fn has_capability(&self, capability: &Capability<'_>) -> bool {
        self.driver.machine().has_capability(capability)
    }

    /// True when the connection is protected by TLS.
    pub fn is_tls(&self) -> bool {
        self.driver.machine().is_tls()
    }

    /// The selected mailbox as the server described it (message count, UIDVALIDITY,
    /// UIDNEXT, flags), kept up to date by the changes it reported since.
    pub fn mailbox(&self) -> Option<&MailboxState> {
        self.driver.machine().mailbox()
    }

    /// The underlying client machine (state, capabilities, enabled extensions).
    pub fn machine(&self) -> &Client {
        self.driver.machine()
    }

    /// How many malformed responses the server sent that the session skipped (each
    /// is a server bug; the session went on).
    pub fn protocol_warnings(&self) -> u64 {
        self.warnings
    }

    /// The mailbox changes reported since the last call (outside IDLE), oldest first.
    pub fn take_changes(&mut self) -> Vec<MailboxChange> {
        self.changes.drain(..).collect()
    }

    // ----- Login -----

    /// Logs in with a user name and password: `AUTHENTICATE PLAIN` when the server
    /// offers it (one round trip with SASL-IR), LOGIN otherwise (unless the server
    /// says LOGINDISABLED). A refusal is [`SessionError::AuthFailed`] with the
    /// server's completion (often `[AUTHENTICATIONFAILED]`).
    pub async fn login(&mut self, username: &str, password: &str) -> Result<(), SessionError> {
        self.settle().await?;
        let offers_plain = self.offers_mechanism("PLAIN");
        let machine = self.driver.machine_mut();
        let id = if offers_plain {
            machine
                .authenticate_plain(None, username, password)
                .map_err(|error| self.local(error))?
        } else if machine.has_capability(&Capability::LoginDisabled) {
            return Err(SessionError::NoLoginMethod);
        } else {
            machine
                .login(username, password)
                .map_err(|error| self.local(error))?
        };
        self.finish_login(id, Vec::new()).await
    }

    /// Authenticates with an OAuth 2.0 access token and Google's and Microsoft's
    /// `XOAUTH2` mechanism.
    pub async fn authenticate_xoauth2(
        &mut self,
        username: &str,
        token: &str,
    ) -> Result<(), SessionError> {
        let message = sasl::encode_xoauth2(username, token).map_err(oauth_field_refused)?;
        self.authenticate_token("XOAUTH2", message, Vec::new())
            .await
    }

    /// Authenticates with an OAuth 2.0 bearer token and `OAUTHBEARER` (RFC 7628).
    pub async fn authenticate_oauthbearer(
        &mut self,
        username: &str,
        token: &str,
    ) -> Result<(), SessionError> {
        let message = sasl::encode_oauthbearer(username, token, &self.host, self.port)
            .map_err(oauth_field_refused)?;
        self.authenticate_token("OAUTHBEARER", message, vec![sasl::OAUTH_SEPARATOR])
            .await
    }

    async fn authenticate_token(
        &mut self,
        mechanism: &str,
        message: Secret<Vec<u8>>,
        after_error: Vec<u8>,
    ) -> Result<(), SessionError> {
        self.settle().await?;
        if !self.offers_mechanism(mechanism) {
            return Err(SessionError::NoLoginMethod);
        }
        let id = self
            .driver
            .machine_mut()
            .authenticate(mechanism, Some(message))
            .map_err(|error| self.local(error))?;
        self.finish_login(id, after_error).await
    }

    fn offers_mechanism(&self, mechanism: &str) -> bool {
        self.capabilities().iter().any(|capability| {
            matches!(capability, Capability::Auth(name)
                if name.as_str().eq_ignore_ascii_case(mechanism))
        })
    }

    /// Waits for the login's completion; a SASL challenge (an error report of the token
    /// mechanisms) is answered with `after_error` so the server can finish with NO.
    async fn finish_login(
        &mut self,
        id: CommandId,
        after_error: Vec<u8>,
    ) -> Result<(), SessionError> {
        loop {
            match self.next_event().await? {
                ClientEvent::SaslChallenge { id: got, .. } if got == id => {
                    self.driver
                        .machine_mut()
                        .sasl_respond(id, Secret::new(after_error.clone()))
                        .map_err(|error| self.local(error))?;
                }
                ClientEvent::Completed {
                    id: got,
                    state,
                    text,
                    ..
                } if got == id => {
                    if state != State::Ok {
                        return Err(SessionError::AuthFailed(text));
                    }
                    break;
                }
                other => self.observe(other),
            }
        }
        self.await_capabilities().await
    }

    /// Reads on until the capabilities are known (the machine asks for them after TLS
    /// and after a login whose completion carried none).
    async fn await_capabilities(&mut self) -> Result<(), SessionError> {
        while self.driver.machine().capabilities().is_none()
            && self.driver.machine().config().auto_capability
        {
            let event = self.next_event().await?;
            self.observe(event);
        }
        Ok(())
    }

    // ----- Mailboxes -----

    /// Every mailbox (`LIST "" "*"`), with its special-use role when the server tells
    /// (asked with `RETURN (SPECIAL-USE)` when the server offers SPECIAL-USE and
    /// LIST-EXTENDED).
    pub async fn list(&mut self) -> Result<Vec<MailboxInfo>, SessionError> {
        self.list_matching("", "*").await
    }

    /// The mailboxes whose names match `pattern` (`*` and `%` wildcards) under
    /// `reference`.
    pub async fn list_matching(
        &mut self,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<MailboxInfo>, SessionError> {
        let reference = Mailbox::try_from(reference.to_owned()).map_err(ClientError::from)?;
        let pattern = MailboxName::try_from(pattern.to_owned()).map_err(ClientError::from)?;
        let special_use = self.has_capability(&Capability::SpecialUse)
            && self.has_capability(&Capability::ListExtended);
        let return_options = if special_use {
            vec![ListReturnOption::SpecialUse]
        } else {
            Vec::new()
        };
        let outcome = self
            .run(
                CommandBody::List {
                    selection: Vec::new(),
                    reference,
                    patterns: NonEmpty::new(pattern),
                    return_options,
                },
                |data| matches!(data, Data::List(_)),
            )
            .await?;
        Ok(outcome
            .data
            .into_iter()
            .filter_map(|data| match data {
                Data::List(list) => Some(MailboxInfo::new(
                    list.mailbox,
                    list.delimiter,
                    list.attributes,
                )),
                _ => None,
            })
            .collect())
    }

    /// The first mailbox with this special-use role, if the server marks one.
    pub async fn find_role(
        &mut self,
        role: SpecialUse,
    ) -> Result<Option<MailboxInfo>, SessionError> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .find(|info| info.role == Some(role)))
    }

    /// SELECT (read-write); returns what the server said about the mailbox (message
    /// count, UIDVALIDITY, UIDNEXT, flags). Pending changes of the previous mailbox are
    /// forgotten.
    pub async fn select(&mut self, mailbox: &str) -> Result<MailboxState, SessionError> {
        self.settle().await?;
        let id = self
            .driver
            .machine_mut()
            .select(mailbox)
            .map_err(|error| self.local(error))?;
        self.finish_select(id).await
    }

    /// EXAMINE: SELECT read-only (nothing changes, `\Seen` included).
    pub async fn examine(&mut self, mailbox: &str) -> Result<MailboxState, SessionError> {
        self.settle().await?;
        let id = self
            .driver
            .machine_mut()
            .examine(mailbox)
            .map_err(|error| self.local(error))?;
        self.finish_select(id).await
    }

    async fn finish_select(&mut self, id: CommandId) -> Result<MailboxState, SessionError> {
        self.changes.clear();
        let outcome = self.wait(id, is_select_data).await?;
        outcome.mailbox.ok_or(SessionError::Closed)
    }

    /// CREATE a mailbox.
    pub async fn create(&mut self, mailbox: &str) -> Result<(), SessionError> {
        let mailbox = Mailbox::try_from(mailbox.to_owned()).map_err(ClientError::from)?;
        self.run(
            CommandBody::Create {
                mailbox,
                parameters: Vec::new(),
            },
            |_| false,
        )
        .await
        .map(drop)
    }

    // ----- Messages -----

    /// The UIDs of the messages of the selected mailbox that match `key` (UID SEARCH).
    /// Several keys are combined with [`SearchKey::And`].
    pub async fn search(&mut self, key: SearchKey<'_>) -> Result<Vec<NonZeroU32>, SessionError> {
        self.search_criteria(NonEmpty::new(key.into_owned())).await
    }

    /// UID SEARCH with criteria written as IMAP text, for example
    /// `UNSEEN FROM "bob" SINCE 1-Feb-2024`. The text is parsed first: anything that is
    /// not a valid search is [`SessionError::InvalidSearch`], never sent.
    pub async fn search_raw(&mut self, criteria: &str) -> Result<Vec<NonZeroU32>, SessionError> {
        let line = format!("S UID SEARCH {criteria}\r\n");
        let options = DecodeOptions::default().with_version(self.driver.machine().version());
        let parsed = match decode_command(line.as_bytes(), &options) {
            Ok(mailwire_core::Status::Complete { value, consumed }) if consumed == line.len() => {
                value.into_owned()
            }
            _ => return Err(SessionError::InvalidSearch),
        };
        let CommandBody::Search {
            uid: true,
            charset,
            criteria,
            ..
        } = parsed.body
        else {
            return Err(SessionError::InvalidSearch);
        };
        self.search_with(charset, criteria).await
    }

    async fn search_criteria(
        &mut self,
        criteria: NonEmpty<SearchKey<'static>>,
    ) -> Result<Vec<NonZeroU32>, SessionError> {
        self.search_with(None, criteria).await
    }

    async fn search_with(
        &mut self,
        charset: Option<crate::types::Charset<'static>>,
        criteria: NonEmpty<SearchKey<'static>>,
    ) -> Result<Vec<NonZeroU32>, SessionError> {
        self.require_selected()?;
        let outcome = self
            .run(
                CommandBody::Search {
                    uid: true,
                    return_options: None,
                    charset,
                    criteria,
                },
                |data| matches!(data, Data::Search { .. }),
            )
            .await?;
        Ok(outcome
            .data
            .into_iter()
            .flat_map(|data| match data {
                Data::Search { numbers, .. } => numbers,
                _ => Vec::new(),
            })
            .collect())
    }

    /// Fetches the messages `uids` of the selected mailbox (UID FETCH) as a [`Stream`]
    /// of [`Message`]s, one as soon as the server has sent it. Content asked for in
    /// `options` is gathered per message, up to
    /// [`SessionBuilder::max_message_size`].
    pub async fn fetch(
        &mut self,
        uids: impl Into<Uids>,
        options: FetchOptions,
    ) -> Result<FetchStream<'_>, SessionError> {
        self.settle().await?;
        self.require_selected()?;
        let Some(set) = uids.into().to_sequence_set() else {
            return Ok(FetchStream::empty(self));
        };
        let id = self.driver.machine_mut().send(CommandBody::Fetch {
            uid: true,
            sequence_set: set,
            attributes: crate::types::FetchAttributes::Attributes(options.attributes()),
            modifiers: Vec::new(),
        });
        let id = id.map_err(|error| self.local(error))?;
        self.unfinished = Some(Unfinished::Fetch(id));
        Ok(FetchStream::new(self, id))
    }

    /// Adds flags to the messages (UID STORE +FLAGS.SILENT).
    pub async fn add_flags(
        &mut self,
        uids: impl Into<Uids>,
        flags: &[Flag<'_>],
    ) -> Result<(), SessionError> {
        self.store(uids.into(), StoreAction::Add, flags).await
    }

    /// Removes flags from the messages (UID STORE -FLAGS.SILENT).
    pub async fn remove_flags(
        &mut self,
        uids: impl Into<Uids>,
        flags: &[Flag<'_>],
    ) -> Result<(), SessionError> {
        self.store(uids.into(), StoreAction::Remove, flags).await
    }

    /// Replaces the flags of the messages (UID STORE FLAGS.SILENT).
    pub async fn set_flags(
        &mut self,
        uids: impl Into<Uids>,
        flags: &[Flag<'_>],
    ) -> Result<(), SessionError> {
        self.store(uids.into(), StoreAction::Replace, flags).await
    }

    async fn store(
        &mut self,
        uids: Uids,
        action: StoreAction,
        flags: &[Flag<'_>],
    ) -> Result<(), SessionError> {
        self.require_selected()?;
        let Some(set) = uids.to_sequence_set() else {
            return Ok(());
        };
        self.run(
            CommandBody::Store {
                uid: true,
                sequence_set: set,
                modifiers: Vec::new(),
                action,
                silent: true,
                flags: flags.iter().cloned().map(IntoOwned::into_owned).collect(),
            },
            |_| false,
        )
        .await
        .map(drop)
    }

    /// Copies the messages into `mailbox` (UID COPY).
    pub async fn copy(&mut self, uids: impl Into<Uids>, mailbox: &str) -> Result<(), SessionError> {
        self.require_selected()?;
        let Some(set) = uids.into().to_sequence_set() else {
            return Ok(());
        };
        let mailbox = Mailbox::try_from(mailbox.to_owned()).map_err(ClientError::from)?;
        self.run(
            CommandBody::Copy {
                uid: true,
                sequence_set: set,
                mailbox,
            },
            |_| false,
        )
        .await
        .map(drop)
    }

    /// Moves the messages into `mailbox`: UID MOVE (RFC 6851) when offered, otherwise
    /// UID COPY, `\Deleted` and UID EXPUNGE of just these messages (UIDPLUS). Without
    /// either, [`SessionError::NotOffered`]: a plain EXPUNGE could remove other
    /// messages marked `\Deleted`.
    pub async fn move_to(
        &mut self,
        uids: impl Into<Uids>,
        mailbox: &str,
    ) -> Result<(), SessionError> {
        self.require_selected()?;
        let Some(set) = uids.into().to_sequence_set() else {
            return Ok(());
        };
        let target = Mailbox::try_from(mailbox.to_owned()).map_err(ClientError::from)?;
        if self.has_capability(&Capability::Move) {
            return self
                .run(
                    CommandBody::Move {
                        uid: true,
                        sequence_set: set,
                        mailbox: target,
                    },
                    |_| false,
                )
                .await
                .map(drop);
        }
        if !self.has_capability(&Capability::UidPlus) {
            return Err(SessionError::NotOffered { capability: "MOVE" });
        }
        self.copy(Uids::Set(set.clone()), mailbox).await?;
        self.store(Uids::Set(set.clone()), StoreAction::Add, &[Flag::Deleted])
            .await?;
        self.expunge_uids(Uids::Set(set)).await.map(drop)
    }

    /// Appends a message to `mailbox` with these flags; returns its UID when the
    /// server tells (UIDPLUS `[APPENDUID]`).
    pub async fn append(
        &mut self,
        mailbox: &str,
        flags: &[Flag<'_>],
        message: &[u8],
    ) -> Result<Option<NonZeroU32>, SessionError> {
        let mailbox = Mailbox::try_from(mailbox.to_owned()).map_err(ClientError::from)?;
        let data = match IString::new(message.to_vec()) {
            Ok(string) => AppendData::Literal(string),
            // A NUL can only travel in a literal8 (BINARY).
            Err(_) => AppendData::Literal8(message.to_vec().into()),
        };
        let outcome = self
            .run(
                CommandBody::Append {
                    mailbox,
                    messages: NonEmpty::new(AppendMessage {
                        flags: flags.iter().cloned().map(IntoOwned::into_owned).collect(),
                        date: None,
                        data,
                    }),
                },
                |_| false,
            )
            .await?;
        Ok(match outcome.completion.code {
            Some(Code::AppendUid { uids, .. }) => uids.0.first().map(|item| match item {
                UidItem::Single(uid) | UidItem::Range(uid, _) => *uid,
            }),
            _ => None,
        })
    }

    /// Removes the messages marked `\Deleted` from the selected mailbox (EXPUNGE);
    /// returns the sequence numbers the server reported, in its order (each applies
    /// after the ones before it).
    pub async fn expunge(&mut self) -> Result<Vec<NonZeroU32>, SessionError> {
        self.require_selected()?;
        let outcome = self
            .run(CommandBody::Expunge, |data| {
                matches!(data, Data::Expunge(_))
            })
            .await?;
        Ok(expunged(outcome.data))
    }

    /// Removes those of these messages that are marked `\Deleted` (UID EXPUNGE,
    /// UIDPLUS); returns the sequence numbers the server reported.
    pub async fn expunge_uids(
        &mut self,
        uids: impl Into<Uids>,
    ) -> Result<Vec<NonZeroU32>, SessionError> {
        self.require_selected()?;
        if !self.has_capability(&Capability::UidPlus) {
            return Err(SessionError::NotOffered {
                capability: "UIDPLUS",
            });
        }
        let Some(set) = uids.into().to_sequence_set() else {
            return Ok(Vec::new());
        };
        let outcome = self
            .run(CommandBody::UidExpunge { uids: set }, |data| {
                matches!(data, Data::Expunge(_))
            })
            .await?;
        Ok(expunged(outcome.data))
    }

    /// NOOP: lets the server report changes; returns every change kept since the last
    /// [`take_changes`](Self::take_changes).
    pub async fn noop(&mut self) -> Result<Vec<MailboxChange>, SessionError> {
        self.run(CommandBody::Noop, |_| false).await?;
        Ok(self.take_changes())
    }

    /// Waits for changes of the selected mailbox (IDLE, RFC 2177) as a [`Stream`] of
    /// [`MailboxChange`]s; changes kept from before come first. The IDLE is renewed
    /// every [`SessionBuilder::idle_refresh`]. See [`Idle`] for how it ends.
    pub async fn idle(&mut self) -> Result<Idle<'_>, SessionError> {
        self.settle().await?;
        let id = self
            .driver
            .machine_mut()
            .idle()
            .map_err(|error| self.local(error))?;
        self.unfinished = Some(Unfinished::Idle(id));
        loop {
            match self.next_event().await {
                Err(error) => {
                    self.unfinished = None;
                    return Err(error);
                }
                Ok(ClientEvent::IdleStarted { id: got }) if got == id => break,
                Ok(ClientEvent::Completed {
                    id: got,
                    command,
                    state,
                    text,
                    ..
                }) if got == id => {
                    self.unfinished = None;
                    refusal(command, state, text)?;
                    // An IDLE that completed OK at once: nothing to wait on.
                    return Ok(Idle::ended(self));
                }
                Ok(other) => self.observe(other),
            }
        }
        Ok(Idle::new(self, id))
    }

    /// Ends the session (LOGOUT) and waits for the server to close it.
    pub async fn logout(mut self) -> Result<(), SessionError> {
        self.settle().await?;
        let id = self
            .driver
            .machine_mut()
            .logout()
            .map_err(|error| self.local(error))?;
        loop {
            match self.driver.next_event().await.map_err(SessionError::Io)? {
                Next::Event(ClientEvent::Completed {
                    id: got,
                    command,
                    state,
                    text,
                    ..
                }) if got == id => {
                    refusal(command, state, text)?;
                }
                Next::Event(_) => {}
                Next::Closed | Next::StartTls => return Ok(()),
            }
        }
    }

    // ----- Machinery -----

    /// The machine's refusal of a command, with the session's end told as it happened.
    fn local(&self, error: ClientError) -> SessionError {
        match error {
            ClientError::Closed | ClientError::LoggingOut => self.closed_error(),
            other => other.into(),
        }
    }

    fn require_selected(&self) -> Result<(), SessionError> {
        if self.driver.machine().state() == ClientState::Selected {
            Ok(())
        } else if self.driver.machine().is_closed() {
            Err(self.closed_error())
        } else {
            Err(SessionError::NoMailboxSelected)
        }
    }

    /// Sends `command` and waits for its completion; untagged data for which `answer`
    /// says true is returned, the rest is observed (changes).
    async fn run(
        &mut self,
        command: CommandBody<'_>,
        answer: fn(&Data<'_>) -> bool,
    ) -> Result<Outcome, SessionError> {
        self.settle().await?;
        let id = self
            .driver
            .machine_mut()
            .send(command)
            .map_err(|error| self.local(error))?;
        self.wait(id, answer).await
    }

    async fn wait(
        &mut self,
        id: CommandId,
        answer: fn(&Data<'_>) -> bool,
    ) -> Result<Outcome, SessionError> {
        let mut outcome = Outcome::default();
        loop {
            match self.next_event().await? {
                ClientEvent::Completed {
                    id: got,
                    command,
                    state,
                    text,
                    ..
                } if got == id => {
                    outcome.completion = refusal(command, state, text)?;
                    return Ok(outcome);
                }
                ClientEvent::Selected { id: got, mailbox } if got == id => {
                    outcome.mailbox = Some(mailbox);
                }
                ClientEvent::Data {
                    command: Some(got),
                    data,
                } if got == id && answer(&data) => outcome.data.push(data),
                other => self.observe(other),
            }
        }
    }

    /// Reads what is left of a stream dropped before its end.
    async fn settle(&mut self) -> Result<(), SessionError> {
        let Some(unfinished) = self.unfinished else {
            return Ok(());
        };
        let id = match unfinished {
            Unfinished::Fetch(id) => id,
            Unfinished::Idle(id) => {
                // Already asked when the Idle was dropped: NotIdling is expected then.
                let _ = self.driver.machine_mut().idle_done();
                id
            }
        };
        loop {
            let event = match self.next_event().await {
                Ok(event) => event,
                Err(error) => {
                    self.unfinished = None;
                    return Err(error);
                }
            };
            match event {
                ClientEvent::Completed { id: got, .. } if got == id => {
                    self.unfinished = None;
                    return Ok(());
                }
                ClientEvent::Fetch {
                    command,
                    sequence_number,
                    items,
                    ..
                } if command == Some(id) => {
                    // Every answer to UID FETCH carries the UID; one without is another
                    // client's flag change.
                    let answer = items
                        .iter()
                        .any(|item| matches!(item, MessageDataItem::Uid(_)));
                    if !answer {
                        self.observe_fetch(sequence_number, &items);
                    }
                }
                ClientEvent::BodyStart { command, .. }
                | ClientEvent::BodyChunk { command, .. }
                | ClientEvent::BodyEnd { command, .. }
                    if command == Some(id) => {}
                other => self.observe(other),
            }
        }
    }

    async fn next_event(&mut self) -> Result<ClientEvent, SessionError> {
        let next = self.driver.next_event().await;
        self.map_next(next)
    }

    /// [`Session::next_event`] for the streams: a fresh driver future per poll (the
    /// driver's `next_event` keeps no state across its await points, so dropping it
    /// while pending loses nothing), and a timer of the stream's own for the machine's
    /// deadline, whose wake-up would otherwise go with the dropped future.
    fn poll_event(
        &mut self,
        context: &mut Context<'_>,
        timer: &mut Option<Pin<Box<Sleep>>>,
    ) -> Poll<Result<ClientEvent, SessionError>> {
        use std::future::Future;
        loop {
            let polled = {
                let future = self.driver.next_event();
                let mut future = std::pin::pin!(future);
                future.as_mut().poll(context)
            };
            if let Poll::Ready(next) = polled {
                return Poll::Ready(self.map_next(next));
            }
            let Some(deadline) = self.driver.machine().poll_timeout() else {
                return Poll::Pending;
            };
            let deadline = tokio::time::Instant::from_std(deadline);
            let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            if sleep.as_mut().poll(context).is_pending() {
                return Poll::Pending;
            }
            // The deadline passed: the next round lets the machine handle it.
        }
    }

    fn map_next(
        &mut self,
        next: io::Result<Next<ClientEvent>>,
    ) -> Result<ClientEvent, SessionError> {
        match next.map_err(SessionError::Io)? {
            Next::Event(ClientEvent::ProtocolError { error }) if error.is_fatal() => {
                self.fatal = Some(error.clone());
                Err(SessionError::Protocol(error))
            }
            Next::Event(ClientEvent::Closed { reason, .. }) => {
                self.close_reason = Some(reason);
                Err(self.closed_error())
            }
            Next::Event(event) => Ok(event),
            Next::Closed | Next::StartTls => Err(self.closed_error()),
        }
    }

    fn closed_error(&self) -> SessionError {
        match (self.close_reason, &self.fatal, &self.bye) {
            (Some(CloseReason::TimedOut), _, _) => SessionError::TimedOut(TimeoutStage::Response),
            (_, Some(error), _) => SessionError::Protocol(error.clone()),
            (Some(CloseReason::Logout), _, _) => SessionError::Closed,
            (_, _, Some(text)) => SessionError::Bye(text.clone()),
            _ => SessionError::Closed,
        }
    }

    /// Keeps what an event says about the mailbox.
    fn observe(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Data { data, .. } => self.observe_data(data),
            ClientEvent::Fetch {
                sequence_number,
                items,
                ..
            } => self.observe_fetch(sequence_number, &items),
            ClientEvent::ProtocolError { .. } => self.warnings = self.warnings.saturating_add(1),
            _ => {}
        }
    }

    fn observe_data(&mut self, data: Data<'static>) {
        let change = match data {
            Data::Exists(count) => MailboxChange::Exists(count),
            Data::Recent(count) => MailboxChange::Recent(count),
            Data::Expunge(number) => MailboxChange::Expunge(number),
            Data::Vanished {
                earlier: false,
                uids,
            } => MailboxChange::Vanished(uids),
            Data::Flags(flags) => MailboxChange::MailboxFlags(flags),
            Data::Bye(text) => {
                self.bye = Some(text);
                return;
            }
            _ => return,
        };
        self.push_change(change);
    }

    fn observe_fetch(&mut self, sequence_number: NonZeroU32, items: &[MessageDataItem<'static>]) {
        let Some(flags) = items.iter().find_map(|item| match item {
            MessageDataItem::Flags(flags) => Some(flags),
            _ => None,
        }) else {
            return;
        };
        let uid = items.iter().find_map(|item| match item {
            MessageDataItem::Uid(uid) => Some(*uid),
            _ => None,
        });
        let flags = flags
            .iter()
            .filter_map(|flag| match flag {
                FlagFetch::Flag(flag) => Some(flag.clone()),
                FlagFetch::Recent => None,
            })
            .collect();
        self.push_change(MailboxChange::Flags {
            sequence_number,
            uid,
            flags,
        });
    }

    fn push_change(&mut self, change: MailboxChange) {
        if self.changes.len() >= MAX_PENDING_CHANGES {
            self.changes.pop_front();
        }
        self.changes.push_back(change);
    }
}

/// The untagged data that answer SELECT and EXAMINE (rather than report changes).
fn is_select_data(data: &Data<'_>) -> bool {
    matches!(
        data,
        Data::Exists(_) | Data::Recent(_) | Data::Flags(_) | Data::State { .. }
    )
}

fn expunged(data: Vec<Data<'static>>) -> Vec<NonZeroU32> {
    data.into_iter()
        .filter_map(|data| match data {
            Data::Expunge(number) => Some(number),
            _ => None,
        })
        .collect()
}

/// A token message that cannot be built is the caller's configuration.
fn oauth_field_refused(_: sasl::OAuthFieldError) -> SessionError {
    SessionError::InvalidConfig {
        reason: "a user name or token holds a control character",
    }
}
