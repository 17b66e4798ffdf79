//! The store work of each command, run on a blocking thread: it gets the session's
//! [`Core`] (the user's mailboxes, the selected one and the client's view of it) and
//! gives back the untagged data and the completion.
//!
//! Every command on a selected mailbox first looks at the mailbox again (new messages
//! and flag changes by others are reported before the command's own data, which never
//! renumbers anything) and, when RFC 3501 §7.4.1 allows it, ends by reporting the
//! messages expunged meanwhile (`EXPUNGE`, or `VANISHED` under QRESYNC).

// An early answer (`Err(Outcome)`) is as large as the answer it replaces; boxing it
// would buy nothing on this path.
#![allow(clippy::result_large_err)]

use std::collections::VecDeque;
use std::num::{NonZeroU32, NonZeroU64};
use std::time::SystemTime;

use mailwire_imap::server::AppendedMessage;
use mailwire_imap::types::{
    Code, CommandBody, Data, ESearchResponse, FetchModifier, Flag, FlagPerm, IString,
    Mailbox as ImapMailbox, MessageDataItem, NonEmpty, SearchKey, SelectParameter, SequenceSet,
    State, StatusAttribute, StatusItem, StoreAction, StoreModifier, Tag, UidItem, UidSet,
};
use mailwire_mime::tree::Message;

use super::fetch::{system_time, FetchFailure, FetchPlan};
use super::list;
use super::search::{self, Candidate, ReturnOptions};
use super::session::status_data;
use super::view::{compress, flags_response, imap_flag, number_of, split_flags, Reporting, View};
use crate::mailstore::{Flag as StoreFlag, FlagOp, MailStoreError, Mailbox, UserMailboxes};

/// Messages one FETCH step handles at most before its data is written out.
const FETCH_BATCH_MESSAGES: usize = 64;
/// Message octets one FETCH step reads at most (a larger message is still read whole).
const FETCH_BATCH_OCTETS: usize = 8 * 1024 * 1024;
/// The APPEND buffer reserved up front at most (the rest grows as octets arrive).
const APPEND_RESERVE: u64 = 1024 * 1024;

/// What a command's work needs to know about the session.
#[derive(Debug, Clone)]
pub(super) struct Context {
    /// The command's tag (ESEARCH quotes it).
    pub(super) tag: Option<Tag<'static>>,
    /// CONDSTORE is in effect: MODSEQ in FETCH responses of flag changes.
    pub(super) condstore: bool,
    /// QRESYNC is in effect: VANISHED instead of EXPUNGE.
    pub(super) qresync: bool,
}

/// The selected mailbox and the client's view of it.
#[derive(Debug)]
struct Selected {
    mailbox: Mailbox,
    view: View,
}

/// A logged-in session's mailboxes.
#[derive(Debug)]
pub(super) struct Core {
    mailboxes: UserMailboxes,
    selected: Option<Selected>,
}

impl Core {
    /// The mailboxes of a user who just logged in.
    pub(super) fn new(mailboxes: UserMailboxes) -> Core {
        Core {
            mailboxes,
            selected: None,
        }
    }

    /// True while a mailbox is selected.
    pub(super) fn is_selected(&self) -> bool {
        self.selected.is_some()
    }

    /// True when the mailbox `name` exists.
    pub(super) fn mailbox_exists(&self, name: &str) -> bool {
        self.mailboxes.exists(name)
    }
}

/// The answer to a command: untagged data, then the completion (or `* BYE`).
#[derive(Debug, Clone)]
pub(super) struct Outcome {
    /// Untagged responses, in order.
    pub(super) data: Vec<Data<'static>>,
    /// OK, NO or BAD.
    pub(super) state: State,
    /// The response code.
    pub(super) code: Option<Code<'static>>,
    /// The text.
    pub(super) text: String,
    /// The session must end with `* BYE` and this text instead.
    pub(super) bye: Option<String>,
}

impl Outcome {
    pub(super) fn new(state: State, code: Option<Code<'static>>, text: &str) -> Outcome {
        Outcome {
            data: Vec::new(),
            state,
            code,
            text: text.to_string(),
            bye: None,
        }
    }

    pub(super) fn ok(text: &str) -> Outcome {
        Outcome::new(State::Ok, None, text)
    }

    pub(super) fn no(code: Option<Code<'static>>, text: &str) -> Outcome {
        Outcome::new(State::No, code, text)
    }

    pub(super) fn bad(text: &str) -> Outcome {
        Outcome::new(State::Bad, None, text)
    }

    fn with_code(mut self, code: Code<'static>) -> Outcome {
        self.code = Some(code);
        self
    }

    fn bye(text: &str) -> Outcome {
        let mut outcome = Outcome::no(None, text);
        outcome.bye = Some(text.to_string());
        outcome
    }

    /// `data` before what the outcome already carries.
    fn after(mut self, mut data: Vec<Data<'static>>) -> Outcome {
        data.append(&mut self.data);
        self.data = data;
        self
    }
}

/// The answer of a store error.
pub(super) fn store_error(error: &MailStoreError) -> Outcome {
    match error {
        MailStoreError::NoSuchMailbox => Outcome::no(Some(Code::NonExistent), "No such mailbox"),
        MailStoreError::AlreadyExists => {
            Outcome::no(Some(Code::AlreadyExists), "Mailbox already exists")
        }
        MailStoreError::InvalidName => Outcome::no(Some(Code::Cannot), "Invalid mailbox name"),
        MailStoreError::InvalidKeyword => Outcome::bad("Invalid keyword"),
        MailStoreError::TooManyKeywords => Outcome::no(Some(Code::Limit), "Too many keywords"),
        MailStoreError::CannotDeleteInbox => {
            Outcome::no(Some(Code::Cannot), "INBOX cannot be deleted")
        }
        MailStoreError::HasChildren => Outcome::no(Some(Code::HasChildren), "Mailbox has children"),
        MailStoreError::RenameIntoItself => {
            Outcome::no(Some(Code::Cannot), "Cannot rename a mailbox below itself")
        }
        MailStoreError::ReadOnly => Outcome::no(Some(Code::Cannot), "Mailbox is read-only"),
        MailStoreError::NoSuchMessage => {
            Outcome::no(Some(Code::ExpungeIssued), "Some messages no longer exist")
        }
        MailStoreError::UidsExhausted => Outcome::no(Some(Code::Limit), "Mailbox is full"),
        other => {
            tracing::error!(error = %other, "mail store failed");
            Outcome::no(Some(Code::ServerBug), "Mailbox store failed")
        }
    }
}

/// The name of a mailbox argument; raw names (not valid in the session's encoding)
/// name nothing here.
fn name_of(mailbox: &ImapMailbox<'_>) -> Result<String, Outcome> {
    match mailbox.name().as_str() {
        Some(name) => Ok(name.to_string()),
        None => Err(Outcome::no(Some(Code::Cannot), "Invalid mailbox name")),
    }
}

/// What the client may be told now.
fn reporting(context: &Context, expunge_allowed: bool) -> Reporting {
    Reporting {
        expunge_allowed,
        vanished: context.qresync,
        modseq: context.condstore,
    }
}

/// Looks at the selected mailbox again; an outcome when the session cannot go on.
fn refresh(selected: &mut Selected) -> Result<(), Outcome> {
    match selected.mailbox.refresh() {
        Ok(changes) if changes.uid_validity_changed => {
            Err(Outcome::bye("Mailbox UIDVALIDITY changed; select it again"))
        }
        Ok(_) => {
            selected.view.sync(selected.mailbox.messages());
            Ok(())
        }
        Err(error) => {
            tracing::warn!(%error, "selected mailbox cannot be read any more");
            Err(Outcome::bye("Selected mailbox is no longer available"))
        }
    }
}

/// True for the commands during which EXPUNGE may be sent (RFC 3501 §7.4.1; the UID
/// forms are commands too). Under QRESYNC, a UID SEARCH by message numbers allows no
/// VANISHED either (RFC 7162 §3.2.10).
fn expunge_allowed(command: &CommandBody<'_>, context: &Context) -> bool {
    match command {
        CommandBody::Fetch { uid: false, .. }
        | CommandBody::Store { uid: false, .. }
        | CommandBody::Search { uid: false, .. } => false,
        CommandBody::Search { criteria, .. } if context.qresync => {
            !criteria.iter().any(uses_numbers)
        }
        _ => true,
    }
}

/// True for the commands whose arguments hold message numbers.
fn names_messages_by_number(command: &CommandBody<'_>) -> bool {
    match command {
        CommandBody::Fetch { uid, .. }
        | CommandBody::Store { uid, .. }
        | CommandBody::Copy { uid, .. }
        | CommandBody::Move { uid, .. } => !uid,
        CommandBody::Search { criteria, .. } => criteria.iter().any(uses_numbers),
        _ => false,
    }
}

fn uses_numbers(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::SequenceSet(_) => true,
        SearchKey::Not(inner) => uses_numbers(inner),
        SearchKey::Or(left, right) => uses_numbers(left) || uses_numbers(right),
        SearchKey::And(keys) => keys.iter().any(uses_numbers),
        _ => false,
    }
}

/// What [`execute`] and [`fetch_step`] give back.
#[derive(Debug)]
pub(super) enum Progress {
    /// The command is answered.
    Done(Outcome),
    /// A FETCH goes on: send this data, then call [`fetch_step`].
    Fetching(FetchJob, Vec<Data<'static>>),
}

/// Runs `command` (one the machine handed over) on the user's mailboxes.
pub(super) fn execute(
    core: &mut Core,
    context: &Context,
    command: CommandBody<'static>,
) -> Progress {
    let allowed = expunge_allowed(&command, context);
    // Expunges can go first when no message number of the command could be shifted by
    // them.
    let early = allowed && !names_messages_by_number(&command);
    let leaving = matches!(
        command,
        CommandBody::Select { .. }
            | CommandBody::Examine { .. }
            | CommandBody::Close
            | CommandBody::Unselect
    );
    // Step 1: new messages and flag changes, never renumbering.
    let mut before = Vec::new();
    if !leaving {
        if let Some(selected) = core.selected.as_mut() {
            if let Err(outcome) = refresh(selected) {
                return Progress::Done(outcome);
            }
            before = selected.view.updates(reporting(context, early));
        }
    }
    let progress = match command {
        CommandBody::Fetch {
            uid,
            sequence_set,
            attributes,
            modifiers,
        } => {
            let changed_since = modifiers
                .iter()
                .any(|modifier| matches!(modifier, FetchModifier::ChangedSince(_)));
            let plan = FetchPlan::new(&attributes, uid, changed_since, context.condstore);
            match start_fetch(core, context, uid, &sequence_set, &modifiers, plan) {
                Ok((job, data)) => {
                    before.extend(data);
                    return Progress::Fetching(job, before);
                }
                Err(outcome) => outcome,
            }
        }
        other => run(core, context, other),
    };
    // Step 3: what the command changed, and the expunges it may report.
    let mut outcome = progress.after(before);
    if outcome.bye.is_none() {
        if let Some(selected) = core.selected.as_mut() {
            selected.view.sync(selected.mailbox.messages());
            outcome
                .data
                .extend(selected.view.updates(reporting(context, allowed)));
        }
    }
    Progress::Done(outcome)
}

fn run(core: &mut Core, context: &Context, command: CommandBody<'static>) -> Outcome {
    let result = match command {
        CommandBody::Noop => Ok(Outcome::ok("NOOP completed")),
        CommandBody::Check => Ok(Outcome::ok("CHECK completed")),
        CommandBody::Select {
            mailbox,
            parameters,
        } => select(core, context, &mailbox, &parameters, false),
        CommandBody::Examine {
            mailbox,
            parameters,
        } => select(core, context, &mailbox, &parameters, true),
        CommandBody::Create {
            mailbox,
            parameters,
        } => create(core, &mailbox, parameters.is_empty()),
        CommandBody::Delete { mailbox } => {
            name_of(&mailbox).map(|name| match core.mailboxes.delete(&name) {
                Ok(()) => Outcome::ok("DELETE completed"),
                Err(error) => store_error(&error),
            })
        }
        CommandBody::Rename { from, to } => name_of(&from)
            .and_then(|from| name_of(&to).map(|to| (from, to)))
            .map(|(from, to)| match core.mailboxes.rename(&from, &to) {
                Ok(()) => Outcome::ok("RENAME completed"),
                Err(error) => store_error(&error),
            }),
        CommandBody::Subscribe { mailbox } => subscribe(core, &mailbox, true),
        CommandBody::Unsubscribe { mailbox } => subscribe(core, &mailbox, false),
        CommandBody::List {
            selection,
            reference,
            patterns,
            return_options,
        } => Ok(list::list(
            &core.mailboxes,
            &selection,
            &reference,
            &patterns,
            &return_options,
            context.condstore,
        )),
        CommandBody::Lsub { reference, pattern } => {
            Ok(list::lsub(&core.mailboxes, &reference, &pattern))
        }
        CommandBody::Namespace => Ok(namespace()),
        CommandBody::Status {
            mailbox,
            attributes,
        } => name_of(&mailbox).map(|name| {
            match list::status_items(&core.mailboxes, &name, &attributes) {
                Ok(items) => {
                    let mut outcome = Outcome::ok("STATUS completed");
                    outcome.data.push(Data::Status { mailbox, items });
                    outcome
                }
                Err(outcome) => outcome,
            }
        }),
        CommandBody::Close => Ok(close(core, true)),
        CommandBody::Unselect => Ok(close(core, false)),
        CommandBody::Expunge => Ok(expunge(core, None)),
        CommandBody::UidExpunge { uids } => Ok(expunge(core, Some(&uids))),
        CommandBody::Search {
            uid,
            return_options,
            charset,
            criteria,
        } => Ok(search_command(
            core,
            context,
            uid,
            return_options.as_deref(),
            charset.as_ref().map(|charset| charset.as_str()),
            criteria,
        )),
        CommandBody::Store {
            uid,
            sequence_set,
            modifiers,
            action,
            silent,
            flags,
        } => Ok(store(
            core,
            context,
            uid,
            &sequence_set,
            &modifiers,
            action,
            silent,
            &flags,
        )),
        CommandBody::Copy {
            uid,
            sequence_set,
            mailbox,
        } => Ok(copy(core, uid, &sequence_set, &mailbox, false)),
        CommandBody::Move {
            uid,
            sequence_set,
            mailbox,
        } => Ok(copy(core, uid, &sequence_set, &mailbox, true)),
        CommandBody::Id { .. } => Ok(id()),
        _ => Ok(Outcome::bad("Command not supported")),
    };
    result.unwrap_or_else(|outcome| outcome)
}

fn namespace() -> Outcome {
    let mut outcome = Outcome::ok("NAMESPACE completed");
    if let (Ok(prefix), Ok(delimiter)) = (
        IString::try_from(""),
        mailwire_imap::types::Delimiter::new(crate::mailstore::SEPARATOR),
    ) {
        outcome.data.push(Data::Namespace {
            personal: vec![mailwire_imap::types::NamespaceDescription {
                prefix,
                delimiter: Some(delimiter),
                extensions: Vec::new(),
            }],
            other: Vec::new(),
            shared: Vec::new(),
        });
    }
    outcome
}

fn id() -> Outcome {
    let mut outcome = Outcome::ok("ID completed");
    let pairs: Vec<(IString<'static>, Option<IString<'static>>)> = [
        ("name", "mailwire"),
        ("version", env!("CARGO_PKG_VERSION")),
        ("vendor", "mailwire reference server"),
    ]
    .iter()
    .filter_map(|(field, value)| {
        Some((
            IString::try_from(field.to_string()).ok()?,
            IString::try_from(value.to_string()).ok(),
        ))
    })
    .collect();
    outcome.data.push(Data::Id(Some(pairs)));
    outcome
}

fn subscribe(core: &Core, mailbox: &ImapMailbox<'_>, on: bool) -> Result<Outcome, Outcome> {
    let name = name_of(mailbox)?;
    if on && !core.mailboxes.exists(&name) {
        return Ok(Outcome::no(Some(Code::NonExistent), "No such mailbox"));
    }
    Ok(match core.mailboxes.subscribe(&name, on) {
        Ok(()) if on => Outcome::ok("SUBSCRIBE completed"),
        Ok(()) => Outcome::ok("UNSUBSCRIBE completed"),
        Err(error) => store_error(&error),
    })
}

fn create(core: &Core, mailbox: &ImapMailbox<'_>, plain: bool) -> Result<Outcome, Outcome> {
    if !plain {
        // CREATE-SPECIAL-USE is not offered; other parameters are unknown.
        return Ok(Outcome::no(
            Some(Code::UseAttr),
            "CREATE parameters not supported",
        ));
    }
    let name = name_of(mailbox)?;
    // RFC 3501 §6.3.3: a trailing delimiter says the client wants children below it.
    let name = name
        .strip_suffix(crate::mailstore::SEPARATOR)
        .unwrap_or(&name)
        .to_string();
    Ok(match core.mailboxes.create(&name) {
        Ok(()) => Outcome::ok("CREATE completed"),
        Err(error) => store_error(&error),
    })
}

/// `* FLAGS`, PERMANENTFLAGS, EXISTS, RECENT, UNSEEN, UIDVALIDITY, UIDNEXT,
/// HIGHESTMODSEQ of a mailbox just opened.
fn select(
    core: &mut Core,
    context: &Context,
    mailbox: &ImapMailbox<'static>,
    parameters: &[SelectParameter<'static>],
    read_only: bool,
) -> Result<Outcome, Outcome> {
    core.selected = None;
    let name = name_of(mailbox)?;
    if parameters
        .iter()
        .any(|parameter| matches!(parameter, SelectParameter::Other(_)))
    {
        return Ok(Outcome::bad("Unknown SELECT parameter"));
    }
    if !core.mailboxes.exists(&name) {
        return Ok(Outcome::no(Some(Code::NonExistent), "No such mailbox"));
    }
    let opened = match core.mailboxes.open(&name, read_only) {
        Ok(opened) => opened,
        Err(error) => return Ok(store_error(&error)),
    };
    let view = View::new(opened.messages());
    let mut outcome = Outcome::ok(if read_only {
        "EXAMINE completed"
    } else {
        "SELECT completed"
    });
    let mut keywords: Vec<String> = Vec::new();
    for entry in view.entries() {
        for keyword in &entry.keywords {
            if !keywords
                .iter()
                .any(|known| known.eq_ignore_ascii_case(keyword))
            {
                keywords.push(keyword.clone());
            }
        }
    }
    let mut flags: Vec<Flag<'static>> = StoreFlag::ALL.into_iter().map(imap_flag).collect();
    flags.extend(
        keywords
            .iter()
            .filter_map(|keyword| mailwire_imap::types::Atom::new(keyword.clone()).ok())
            .map(Flag::Keyword),
    );
    outcome.data.push(Data::Flags(flags.clone()));
    let permanent: Vec<FlagPerm<'static>> = if read_only {
        Vec::new()
    } else {
        flags
            .into_iter()
            .map(FlagPerm::Flag)
            .chain([FlagPerm::Wildcard])
            .collect()
    };
    outcome.data.push(status_data(
        Some(Code::PermanentFlags(permanent)),
        "Flags permitted",
    ));
    outcome
        .data
        .push(Data::Exists(u32::try_from(view.len()).unwrap_or(u32::MAX)));
    outcome.data.push(Data::Recent(
        u32::try_from(view.recent()).unwrap_or(u32::MAX),
    ));
    if let Some(index) = view
        .entries()
        .iter()
        .position(|entry| !entry.has(StoreFlag::Seen))
    {
        if let Some(number) = number_of(index) {
            outcome
                .data
                .push(status_data(Some(Code::Unseen(number)), "First unseen"));
        }
    }
    if let Some(validity) = NonZeroU32::new(opened.uid_validity()) {
        outcome
            .data
            .push(status_data(Some(Code::UidValidity(validity)), "UIDs valid"));
    }
    if let Some(next) = NonZeroU32::new(opened.uid_next()) {
        outcome
            .data
            .push(status_data(Some(Code::UidNext(next)), "Predicted next UID"));
    }
    match NonZeroU64::new(opened.highest_modseq()) {
        Some(modseq) => outcome.data.push(status_data(
            Some(Code::HighestModSeq(modseq)),
            "Highest mod-sequence",
        )),
        None => outcome
            .data
            .push(status_data(Some(Code::NoModSeq), "No mod-sequences")),
    }
    let mut selected = Selected {
        mailbox: opened,
        view,
    };
    for parameter in parameters {
        if let SelectParameter::QResync(qresync) = parameter {
            if !context.qresync {
                return Ok(Outcome::bad("QRESYNC is not enabled"));
            }
            outcome
                .data
                .extend(resynchronize(&selected, qresync, context));
        }
    }
    selected.view.sync(selected.mailbox.messages());
    core.selected = Some(selected);
    let code = if read_only {
        Code::ReadOnly
    } else {
        Code::ReadWrite
    };
    Ok(outcome.with_code(code))
}

/// QRESYNC (RFC 7162 §3.2.5): the known UIDs that are gone (`VANISHED (EARLIER)`),
/// then the messages changed since the client's mod-sequence.
fn resynchronize(
    selected: &Selected,
    qresync: &mailwire_imap::types::QResyncParameters,
    context: &Context,
) -> Vec<Data<'static>> {
    let mut data = Vec::new();
    if qresync.uid_validity.get() != selected.mailbox.uid_validity() {
        return data;
    }
    let view = &selected.view;
    let last = selected.mailbox.uid_next().saturating_sub(1);
    data.extend(vanished_earlier(view, qresync.known_uids.as_ref(), last));
    let since = qresync.mod_seq.get();
    for (index, entry) in view.entries().iter().enumerate() {
        let known = qresync
            .known_uids
            .as_ref()
            .is_none_or(|set| set.contains(entry.uid, last));
        if known && entry.modseq > since {
            if let Some(response) = flags_response(index, entry, context.condstore) {
                data.push(response);
            }
        }
    }
    data
}

/// `VANISHED (EARLIER)` for the UIDs of `set` (all below `last` when `None`) that are
/// not in the mailbox: expunged, or never given (RFC 7162 §3.2.5.2 allows both).
fn vanished_earlier(view: &View, set: Option<&SequenceSet>, last: u32) -> Option<Data<'static>> {
    // Bounded: a client's "1:4294967295" is walked range by range, not UID by UID.
    let mut missing: Vec<(u32, u32)> = Vec::new();
    let ranges: Vec<(u32, u32)> = match set {
        None => vec![(1, last)],
        Some(SequenceSet::Saved) => Vec::new(),
        Some(SequenceSet::Items(items)) => items
            .iter()
            .map(|item| match *item {
                mailwire_imap::types::SequenceItem::Single(number) => {
                    let value = number.resolve(last);
                    (value, value)
                }
                mailwire_imap::types::SequenceItem::Range(from, to) => {
                    let (from, to) = (from.resolve(last), to.resolve(last));
                    (from.min(to), from.max(to).min(last))
                }
            })
            .collect(),
    };
    for (from, to) in ranges {
        let mut start = from.max(1);
        let present = view
            .entries()
            .iter()
            .map(|entry| entry.uid)
            .filter(|uid| (from..=to).contains(uid));
        for uid in present {
            if uid > start {
                missing.push((start, uid - 1));
            }
            start = uid.saturating_add(1);
        }
        if start <= to {
            missing.push((start, to));
        }
    }
    missing.sort_unstable();
    let items: Vec<mailwire_imap::types::SequenceItem> = missing
        .into_iter()
        .filter_map(|(from, to)| {
            let from = NonZeroU32::new(from)?;
            let to = NonZeroU32::new(to)?;
            Some(if from == to {
                mailwire_imap::types::SequenceItem::Single(mailwire_imap::types::SeqNumber::Value(
                    from,
                ))
            } else {
                mailwire_imap::types::SequenceItem::Range(
                    mailwire_imap::types::SeqNumber::Value(from),
                    mailwire_imap::types::SeqNumber::Value(to),
                )
            })
        })
        .collect();
    NonEmpty::try_from(items).ok().map(|items| Data::Vanished {
        earlier: true,
        uids: SequenceSet::Items(items),
    })
}

fn close(core: &mut Core, expunge: bool) -> Outcome {
    let Some(mut selected) = core.selected.take() else {
        return Outcome::bad("No mailbox selected");
    };
    if expunge && !selected.mailbox.read_only() {
        // RFC 3501 §6.4.2: silently, no EXPUNGE responses.
        if let Err(error) = selected.mailbox.expunge(None) {
            tracing::warn!(%error, "expunge at CLOSE failed");
        }
    }
    Outcome::ok(if expunge {
        "CLOSE completed"
    } else {
        "UNSELECT completed"
    })
}

fn expunge(core: &mut Core, uids: Option<&SequenceSet>) -> Outcome {
    let Some(selected) = core.selected.as_mut() else {
        return Outcome::bad("No mailbox selected");
    };
    if selected.mailbox.read_only() {
        return Outcome::no(Some(Code::Cannot), "Mailbox is read-only");
    }
    let only: Option<Vec<u32>> = uids.map(|set| {
        selected
            .view
            .select(set, true)
            .into_iter()
            .filter_map(|index| selected.view.entries().get(index).map(|entry| entry.uid))
            .collect()
    });
    match selected.mailbox.expunge(only.as_deref()) {
        Ok(_) => Outcome::ok("EXPUNGE completed"),
        Err(error) => store_error(&error),
    }
}

/// The UIDs of the messages `set` names; `gone` tells whether some of them were
/// expunged meanwhile. An error when message numbers exceed the mailbox.
fn targets(view: &View, set: &SequenceSet, uid: bool) -> Result<(Vec<u32>, bool), Outcome> {
    if matches!(set, SequenceSet::Saved) {
        return Err(Outcome::bad("SEARCHRES is not supported"));
    }
    if !uid && view.out_of_range(set) {
        return Err(Outcome::bad("Invalid message number"));
    }
    let mut gone = false;
    let mut uids = Vec::new();
    for index in view.select(set, uid) {
        if let Some(entry) = view.entries().get(index) {
            if entry.gone {
                gone = true;
            } else {
                uids.push(entry.uid);
            }
        }
    }
    Ok((uids, gone))
}

/// A set of UIDs (ascending) as RFC 4315 writes them.
fn uid_set(uids: &[u32]) -> Option<UidSet> {
    let set = compress(uids)?;
    let SequenceSet::Items(items) = set else {
        return None;
    };
    let converted: Vec<UidItem> = items
        .iter()
        .filter_map(|item| match *item {
            mailwire_imap::types::SequenceItem::Single(mailwire_imap::types::SeqNumber::Value(
                value,
            )) => Some(UidItem::Single(value)),
            mailwire_imap::types::SequenceItem::Range(
                mailwire_imap::types::SeqNumber::Value(from),
                mailwire_imap::types::SeqNumber::Value(to),
            ) => Some(UidItem::Range(from, to)),
            _ => None,
        })
        .collect();
    NonEmpty::try_from(converted).ok().map(UidSet)
}

fn copy_code(copied: &crate::mailstore::CopyUid) -> Option<Code<'static>> {
    Some(Code::CopyUid {
        uid_validity: NonZeroU32::new(copied.uid_validity)?,
        source: uid_set(&copied.source)?,
        destination: uid_set(&copied.target)?,
    })
}

fn copy(
    core: &mut Core,
    uid: bool,
    set: &SequenceSet,
    target: &ImapMailbox<'_>,
    moving: bool,
) -> Outcome {
    let Some(selected) = core.selected.as_mut() else {
        return Outcome::bad("No mailbox selected");
    };
    let (uids, gone) = match targets(&selected.view, set, uid) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let name = match name_of(target) {
        Ok(name) => name,
        Err(outcome) => return outcome,
    };
    if !core.mailboxes.exists(&name) {
        return Outcome::no(Some(Code::TryCreate), "No such mailbox");
    }
    if gone {
        return Outcome::no(Some(Code::ExpungeIssued), "Some messages no longer exist");
    }
    if moving && selected.mailbox.read_only() {
        return Outcome::no(Some(Code::Cannot), "Mailbox is read-only");
    }
    if uids.is_empty() {
        return Outcome::ok(if moving {
            "MOVE completed"
        } else {
            "COPY completed"
        });
    }
    if moving {
        match selected.mailbox.move_to(&uids, &core.mailboxes, &name) {
            Ok((copied, _)) => {
                let mut outcome = Outcome::ok("MOVE completed");
                // RFC 6851 §4.3: COPYUID in an untagged OK, before the expunges.
                outcome.data.push(status_data(copy_code(&copied), "Moved"));
                outcome
            }
            Err(error) => store_error(&error),
        }
    } else {
        match selected.mailbox.copy_to(&uids, &core.mailboxes, &name) {
            Ok(copied) => {
                let outcome = Outcome::ok("COPY completed");
                match copy_code(&copied) {
                    Some(code) => outcome.with_code(code),
                    None => outcome,
                }
            }
            Err(error) => store_error(&error),
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn store(
    core: &mut Core,
    context: &Context,
    uid: bool,
    set: &SequenceSet,
    modifiers: &[StoreModifier<'static>],
    action: StoreAction,
    silent: bool,
    flags: &[Flag<'static>],
) -> Outcome {
    let Some(selected) = core.selected.as_mut() else {
        return Outcome::bad("No mailbox selected");
    };
    if selected.mailbox.read_only() {
        return Outcome::no(Some(Code::Cannot), "Mailbox is read-only");
    }
    let mut unchanged_since = None;
    for modifier in modifiers {
        match modifier {
            StoreModifier::UnchangedSince(value) => unchanged_since = Some(*value),
            StoreModifier::Other(_) => return Outcome::bad("Unknown STORE modifier"),
        }
    }
    let (uids, gone) = match targets(&selected.view, set, uid) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let (system, keywords) = split_flags(flags);
    let operation = match action {
        StoreAction::Add => FlagOp::Add,
        StoreAction::Remove => FlagOp::Remove,
        StoreAction::Replace => FlagOp::Replace,
    };
    let stored =
        match selected
            .mailbox
            .store_flags(&uids, operation, &system, &keywords, unchanged_since)
        {
            Ok(stored) => stored,
            Err(error) => return store_error(&error),
        };
    selected.view.sync(selected.mailbox.messages());
    let mut outcome = Outcome::ok("STORE completed");
    let modseq = context.condstore || unchanged_since.is_some();
    for uid_value in &uids {
        if stored.modified.contains(uid_value) {
            continue;
        }
        let Some(number) = selected.view.seq_of(*uid_value) else {
            continue;
        };
        let index = usize::try_from(number)
            .unwrap_or(usize::MAX)
            .saturating_sub(1);
        let Some(entry) = selected.view.entries().get(index).cloned() else {
            continue;
        };
        let changed_here = stored.changed.contains(uid_value);
        if silent {
            if changed_here {
                selected.view.forget_change(*uid_value);
                // RFC 7162 §3.1.3: even .SILENT reports the new mod-sequence.
                if modseq {
                    if let (Some(sequence_number), Some(uid), Some(value)) = (
                        number_of(index),
                        NonZeroU32::new(entry.uid),
                        NonZeroU64::new(entry.modseq),
                    ) {
                        let mut items = NonEmpty::new(MessageDataItem::Uid(uid));
                        items.push(MessageDataItem::ModSeq(value));
                        outcome.data.push(Data::Fetch {
                            sequence_number,
                            items,
                        });
                    }
                }
            }
            continue;
        }
        if let Some(response) = flags_response(index, &entry, modseq) {
            outcome.data.push(response);
        }
        selected.view.forget_change(*uid_value);
    }
    if !stored.modified.is_empty() {
        let mut numbers: Vec<u32> = if uid {
            stored.modified.clone()
        } else {
            stored
                .modified
                .iter()
                .filter_map(|uid| selected.view.seq_of(*uid))
                .collect()
        };
        numbers.sort_unstable();
        if let Some(set) = compress(&numbers) {
            outcome = outcome.with_code(Code::Modified(set));
        }
        outcome.text = String::from("Conditional STORE failed for some messages");
    } else if gone {
        outcome = Outcome {
            state: State::No,
            code: Some(Code::ExpungeIssued),
            text: String::from("Some messages no longer exist"),
            ..outcome
        };
    }
    outcome
}

fn search_command(
    core: &mut Core,
    context: &Context,
    uid: bool,
    return_options: Option<&[mailwire_imap::types::SearchReturnOption<'static>]>,
    charset: Option<&str>,
    criteria: NonEmpty<SearchKey<'static>>,
) -> Outcome {
    let Some(selected) = core.selected.as_mut() else {
        return Outcome::bad("No mailbox selected");
    };
    if let Some(charset) = charset {
        let known = ["US-ASCII", "UTF-8"]
            .iter()
            .any(|known| known.eq_ignore_ascii_case(charset));
        if !known {
            let charsets = ["US-ASCII", "UTF-8"]
                .iter()
                .filter_map(|name| mailwire_imap::types::Charset::new(*name).ok())
                .collect();
            return Outcome::no(Some(Code::BadCharset(charsets)), "Unsupported charset");
        }
    }
    let options = match return_options.map(ReturnOptions::parse) {
        Some(None) => return Outcome::bad("Unsupported SEARCH return option"),
        Some(Some(options)) => Some(options),
        None => None,
    };
    let key = if criteria.len() == 1 {
        criteria
            .into_vec()
            .into_iter()
            .next()
            .unwrap_or(SearchKey::All)
    } else {
        SearchKey::And(criteria)
    };
    let content = search::needs_content(&key);
    let view = &selected.view;
    let max_number = u32::try_from(view.len()).unwrap_or(u32::MAX);
    let max_uid = view.max_uid();
    let mut found: Vec<u32> = Vec::new();
    let mut highest_modseq = 0u64;
    for (index, entry) in view.entries().iter().enumerate() {
        if entry.gone {
            continue;
        }
        let Some(number) = number_of(index) else {
            continue;
        };
        let candidate = Candidate {
            number: number.get(),
            entry,
            max_number,
            max_uid,
        };
        let bytes = if content {
            selected.mailbox.read(entry.uid).ok()
        } else {
            None
        };
        let message = bytes
            .as_deref()
            .and_then(|bytes| Message::parse(bytes).ok());
        if search::matches(&key, &candidate, message.as_ref()) {
            found.push(if uid { entry.uid } else { number.get() });
            highest_modseq = highest_modseq.max(entry.modseq);
        }
    }
    let modseq = search::uses_modseq(&key)
        .then(|| NonZeroU64::new(highest_modseq))
        .flatten();
    let mut outcome = Outcome::ok("SEARCH completed");
    match options {
        Some(options) => {
            let tag = context
                .tag
                .as_ref()
                .and_then(|tag| IString::try_from(tag.as_str().to_string()).ok());
            outcome.data.push(Data::ESearch(ESearchResponse {
                tag,
                uid,
                data: options.data(&found, modseq),
            }));
        }
        None => outcome.data.push(Data::Search {
            numbers: found.iter().filter_map(|n| NonZeroU32::new(*n)).collect(),
            mod_seq: modseq,
        }),
    }
    outcome
}

/// A FETCH under way: the messages left, in order.
#[derive(Debug)]
pub(super) struct FetchJob {
    plan: FetchPlan,
    uids: VecDeque<u32>,
    changed_since: Option<u64>,
    gone: bool,
    failure: Option<FetchFailure>,
    reporting: Reporting,
}

fn start_fetch(
    core: &mut Core,
    context: &Context,
    uid: bool,
    set: &SequenceSet,
    modifiers: &[FetchModifier<'static>],
    plan: FetchPlan,
) -> Result<(FetchJob, Vec<Data<'static>>), Outcome> {
    let Some(selected) = core.selected.as_mut() else {
        return Err(Outcome::bad("No mailbox selected"));
    };
    let mut changed_since = None;
    let mut vanished = false;
    for modifier in modifiers {
        match modifier {
            FetchModifier::ChangedSince(value) => changed_since = Some(value.get()),
            FetchModifier::Vanished if uid && context.qresync => vanished = true,
            FetchModifier::Vanished => {
                return Err(Outcome::bad("VANISHED needs QRESYNC and UID FETCH"))
            }
            FetchModifier::Other(_) => return Err(Outcome::bad("Unknown FETCH modifier")),
        }
    }
    if vanished && changed_since.is_none() {
        return Err(Outcome::bad("VANISHED needs CHANGEDSINCE"));
    }
    let (uids, gone) = targets(&selected.view, set, uid)?;
    let mut data = Vec::new();
    if vanished {
        let last = selected.mailbox.uid_next().saturating_sub(1);
        data.extend(vanished_earlier(&selected.view, Some(set), last));
    }
    Ok((
        FetchJob {
            plan,
            uids: uids.into(),
            changed_since,
            gone,
            failure: None,
            reporting: reporting(context, uid),
        },
        data,
    ))
}

/// Answers the next messages of a FETCH.
pub(super) fn fetch_step(core: &mut Core, mut job: FetchJob) -> Progress {
    let Some(selected) = core.selected.as_mut() else {
        return Progress::Done(Outcome::bad("No mailbox selected"));
    };
    let mut batch: Vec<u32> = Vec::new();
    while batch.len() < FETCH_BATCH_MESSAGES {
        let Some(uid) = job.uids.pop_front() else {
            break;
        };
        let Some(entry) = selected.view.entry(uid) else {
            continue;
        };
        if job.changed_since.is_some_and(|since| entry.modseq <= since) {
            continue;
        }
        batch.push(uid);
    }
    // \Seen first, so the responses show it.
    let mut seen_now: Vec<u32> = Vec::new();
    if job.plan.sets_seen() && !selected.mailbox.read_only() {
        let unseen: Vec<u32> = batch
            .iter()
            .copied()
            .filter(|uid| {
                selected
                    .view
                    .entry(*uid)
                    .is_some_and(|entry| !entry.has(StoreFlag::Seen))
            })
            .collect();
        if !unseen.is_empty() {
            match selected
                .mailbox
                .store_flags(&unseen, FlagOp::Add, &[StoreFlag::Seen], &[], None)
            {
                Ok(stored) => seen_now = stored.changed,
                Err(error) => tracing::warn!(%error, "cannot set \\Seen"),
            }
            selected.view.sync(selected.mailbox.messages());
        }
    }
    let mut data = Vec::new();
    let mut octets = 0usize;
    let mut unread: Vec<u32> = Vec::new();
    for (position, uid) in batch.iter().enumerate() {
        if octets >= FETCH_BATCH_OCTETS {
            unread.extend(batch.get(position..).unwrap_or_default());
            break;
        }
        let Some(number) = selected.view.seq_of(*uid) else {
            continue;
        };
        let index = usize::try_from(number)
            .unwrap_or(usize::MAX)
            .saturating_sub(1);
        let Some(entry) = selected.view.entries().get(index) else {
            continue;
        };
        let bytes = if job.plan.needs_bytes() {
            match selected.mailbox.read(*uid) {
                Ok(bytes) => Some(bytes),
                Err(MailStoreError::NoSuchMessage) => {
                    job.gone = true;
                    continue;
                }
                Err(error) => {
                    tracing::warn!(%error, uid, "cannot read a message");
                    job.failure = Some(FetchFailure::Unparsable);
                    continue;
                }
            }
        } else {
            None
        };
        octets = octets.saturating_add(bytes.as_ref().map_or(0, Vec::len));
        let flags_changed = seen_now.contains(uid);
        match job
            .plan
            .response(index, entry, bytes.as_deref(), flags_changed)
        {
            Ok(Some(response)) => data.push(response),
            Ok(None) => {}
            Err(failure) => job.failure = Some(failure),
        }
        if flags_changed {
            selected.view.forget_change(*uid);
        }
    }
    for uid in unread.into_iter().rev() {
        job.uids.push_front(uid);
    }
    if !job.uids.is_empty() {
        return Progress::Fetching(job, data);
    }
    let mut outcome = match job.failure {
        Some(FetchFailure::UnknownEncoding) => {
            Outcome::no(Some(Code::UnknownCte), "Unknown content transfer encoding")
        }
        Some(FetchFailure::Unparsable) => {
            Outcome::no(Some(Code::ServerBug), "Some messages could not be read")
        }
        None if job.gone => Outcome::no(Some(Code::ExpungeIssued), "Some messages no longer exist"),
        None => Outcome::ok("FETCH completed"),
    };
    outcome.data = data;
    selected.view.sync(selected.mailbox.messages());
    outcome.data.extend(selected.view.updates(job.reporting));
    Progress::Done(outcome)
}

/// One APPEND message as it arrives.
#[derive(Debug)]
pub(super) struct Incoming {
    flags: Vec<StoreFlag>,
    keywords: Vec<String>,
    date: Option<SystemTime>,
    /// The octets so far.
    pub(super) bytes: Vec<u8>,
}

impl Incoming {
    /// An empty message with the announced flags and date; room for its octets is
    /// reserved within a bound (the length was checked against the APPEND limit).
    pub(super) fn new(message: &AppendedMessage) -> Incoming {
        let (flags, keywords) = split_flags(&message.flags);
        let reserve = usize::try_from(message.length.min(APPEND_RESERVE)).unwrap_or(0);
        Incoming {
            flags,
            keywords,
            date: message.date.as_ref().and_then(system_time),
            bytes: Vec::with_capacity(reserve),
        }
    }
}

/// Stores the messages of an APPEND (all or none, for MULTIAPPEND).
pub(super) fn append(
    core: &mut Core,
    context: &Context,
    name: &str,
    messages: Vec<Incoming>,
) -> Outcome {
    let mut validity = 0;
    let mut uids: Vec<u32> = Vec::new();
    let mut failure = None;
    for message in &messages {
        // Without a date from the client, the store's clock dates the message.
        match core.mailboxes.append(
            name,
            &message.bytes,
            &message.flags,
            &message.keywords,
            message.date,
        ) {
            Ok(appended) => {
                validity = appended.uid_validity;
                uids.push(appended.uid);
            }
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    let mut outcome = match failure {
        Some(error) => {
            if !uids.is_empty() {
                // MULTIAPPEND is all or nothing (RFC 3502 §3): take back what went in.
                let undone = core
                    .mailboxes
                    .open(name, false)
                    .and_then(|mut mailbox| mailbox.remove(&uids));
                if let Err(undo) = undone {
                    tracing::error!(error = %undo, "cannot take back a partial MULTIAPPEND");
                }
            }
            match error {
                MailStoreError::NoSuchMailbox => {
                    Outcome::no(Some(Code::TryCreate), "No such mailbox")
                }
                other => store_error(&other),
            }
        }
        None => {
            let outcome = Outcome::ok("APPEND completed");
            match (NonZeroU32::new(validity), uid_set(&uids)) {
                (Some(uid_validity), Some(uids)) => {
                    outcome.with_code(Code::AppendUid { uid_validity, uids })
                }
                _ => outcome,
            }
        }
    };
    if let Some(selected) = core.selected.as_mut() {
        match refresh(selected) {
            Ok(()) => outcome
                .data
                .extend(selected.view.updates(reporting(context, true))),
            Err(bye) => return bye,
        }
    }
    outcome
}

/// The updates an IDLE session is pushed.
pub(super) fn idle_updates(core: &mut Core, context: &Context) -> Outcome {
    let Some(selected) = core.selected.as_mut() else {
        return Outcome::ok("");
    };
    if let Err(outcome) = refresh(selected) {
        return outcome;
    }
    let mut outcome = Outcome::ok("");
    outcome.data = selected.view.updates(reporting(context, true));
    outcome
}

/// STATUS items of a store status.
pub(super) fn items_of(
    status: &crate::mailstore::MailboxStatus,
    attributes: &[StatusAttribute],
) -> Result<Vec<StatusItem>, Outcome> {
    let mut items = Vec::new();
    for attribute in attributes {
        items.push(match attribute {
            StatusAttribute::Messages => StatusItem::Messages(status.messages),
            StatusAttribute::Recent => StatusItem::Recent(status.recent),
            StatusAttribute::Unseen => StatusItem::Unseen(status.unseen),
            StatusAttribute::UidNext => match NonZeroU32::new(status.uid_next) {
                Some(next) => StatusItem::UidNext(next),
                None => continue,
            },
            StatusAttribute::UidValidity => match NonZeroU32::new(status.uid_validity) {
                Some(validity) => StatusItem::UidValidity(validity),
                None => continue,
            },
            StatusAttribute::Size => StatusItem::Size(status.size),
            StatusAttribute::HighestModSeq => StatusItem::HighestModSeq(status.highest_modseq),
            StatusAttribute::Deleted | StatusAttribute::DeletedStorage => {
                return Err(Outcome::bad("STATUS DELETED is not supported"))
            }
        });
    }
    Ok(items)
}
