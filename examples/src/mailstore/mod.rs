//! The mailbox store the IMAP and POP3 servers read: the users' Maildirs, in the
//! Maildir++ layout Dovecot reads, with what Maildir does not keep (UIDs, MODSEQs,
//! keywords, which messages are \Recent) in a small file per folder.
//!
//! Layout, below `DATA_DIR/mail/<address>/Maildir` (the folder the delivery agent
//! writes, which is INBOX):
//! - `.Name` and `.Parent.Child` folders for the other mailboxes (IMAP names with `/`
//!   as separator; see [`names`] for the escaping);
//! - in every folder `tmp/ new/ cur/`, and `mailwire-uidlist` (see [`uidlist`]);
//! - `subscriptions` (one name a line) and `mailwire-uidvalidity` in the root.
//!
//! Flags live in the file names (`:2,` info, see [`flags`]); the internal date of a
//! message is its file's modification time; its size comes from the `,S=` of its name,
//! else from the file. \Recent follows RFC 3501: the first read-write session that
//! sees a message (open or refresh) gets it as recent, no other session does.
//!
//! [`MailStore::user`] gives a user's [`UserMailboxes`] (making INBOX and the
//! special-use folders Sent, Drafts, Trash, Junk and Archive when missing); a
//! [`Mailbox`] is one session's view of one folder, with sequence numbers (index + 1
//! into [`Mailbox::messages`]) that change only when the session asks
//! ([`Mailbox::refresh`], [`Mailbox::expunge`]).
//!
//! Every call is blocking file-system work (reads, renames, `fsync`): from async code,
//! run it in `tokio::task::spawn_blocking`. Changes to a folder are serialized by an
//! in-process lock per folder, so the store must be shared (it is cheap to clone; all
//! clones share the locks) by every session of the process; other programs may add
//! messages or rename flags at any time, and the next sync sees it.

pub mod flags;
mod folder;
pub mod names;
pub mod uidlist;

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

pub use flags::{is_valid_keyword, Flag, MAX_KEYWORDS_PER_MESSAGE, MAX_KEYWORD_LEN};
pub use names::{INBOX, MAX_NAME_LEN, SEPARATOR};

use flags::{add_keyword, FlagSet};
use folder::{Claim, FolderState, OnDisk, Shared};
use uidlist::Record;

use crate::delivery::maildir::{mailbox_name, name_host};
use crate::queue::{Clock, Random};

/// The subscriptions file in a user's root.
pub const SUBSCRIPTIONS_FILE: &str = "subscriptions";

/// The key of a user's structure lock (create, delete, rename, subscriptions); a name
/// no folder has, so it never shares a lock with one.
const STRUCTURE_LOCK: &str = "mailwire-structure";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailStoreError {
    /// The mailbox does not exist.
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// A mailbox of that name exists already.
    #[error("mailbox already exists")]
    AlreadyExists,
    /// The name is not acceptable (see [`names::normalize`]).
    #[error("invalid mailbox name")]
    InvalidName,
    /// The user address is not a safe folder name.
    #[error("invalid user address")]
    InvalidAddress,
    /// A keyword is not an IMAP atom (see [`is_valid_keyword`]).
    #[error("invalid keyword")]
    InvalidKeyword,
    /// A message would carry more than [`MAX_KEYWORDS_PER_MESSAGE`] keywords.
    #[error("too many keywords")]
    TooManyKeywords,
    /// INBOX cannot be deleted.
    #[error("inbox cannot be deleted")]
    CannotDeleteInbox,
    /// The mailbox has children: delete them first.
    #[error("mailbox has children")]
    HasChildren,
    /// A mailbox cannot be renamed below itself.
    #[error("cannot rename a mailbox below itself")]
    RenameIntoItself,
    /// The view was opened read-only.
    #[error("mailbox is read-only")]
    ReadOnly,
    /// The message is not in the view, or its file is gone.
    #[error("no such message")]
    NoSuchMessage,
    /// The folder has given 2^32 - 1 UIDs.
    #[error("uids exhausted")]
    UidsExhausted,
    /// The file system refused.
    #[error("mail store i/o error: {0}")]
    Io(#[from] io::Error),
}

/// The role of a special-use mailbox (RFC 6154).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialUse {
    /// `\Sent`.
    Sent,
    /// `\Drafts`.
    Drafts,
    /// `\Trash`.
    Trash,
    /// `\Junk`.
    Junk,
    /// `\Archive`.
    Archive,
}

impl SpecialUse {
    /// Every role, with the mailbox made for it.
    pub const ALL: [(SpecialUse, &'static str); 5] = [
        (SpecialUse::Sent, "Sent"),
        (SpecialUse::Drafts, "Drafts"),
        (SpecialUse::Trash, "Trash"),
        (SpecialUse::Junk, "Junk"),
        (SpecialUse::Archive, "Archive"),
    ];

    /// The role of the mailbox `name`, if it is one of the special-use mailboxes.
    pub fn of(name: &str) -> Option<SpecialUse> {
        SpecialUse::ALL
            .into_iter()
            .find(|(_, mailbox)| *mailbox == name)
            .map(|(role, _)| role)
    }

    /// The RFC 6154 attribute (`\Sent`).
    pub fn attribute(self) -> &'static str {
        match self {
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Trash => "\\Trash",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Archive => "\\Archive",
        }
    }
}

/// One mailbox in a [`UserMailboxes::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxInfo {
    /// The IMAP name (`/` separated).
    pub name: String,
    /// Its special-use role.
    pub special_use: Option<SpecialUse>,
    /// True when the user subscribed it.
    pub subscribed: bool,
    /// True when other mailboxes are below it.
    pub has_children: bool,
}

/// What IMAP STATUS reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxStatus {
    /// Messages.
    pub messages: u32,
    /// Messages no read-write session has seen yet.
    pub recent: u32,
    /// Messages without \Seen.
    pub unseen: u32,
    /// The next UID.
    pub uid_next: u32,
    /// The UIDVALIDITY.
    pub uid_validity: u32,
    /// The highest MODSEQ.
    pub highest_modseq: u64,
    /// The sum of the messages' sizes, in octets.
    pub size: u64,
}

/// Where APPEND put a message (RFC 4315 APPENDUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendUid {
    /// The UIDVALIDITY of the mailbox.
    pub uid_validity: u32,
    /// The message's UID.
    pub uid: u32,
}

/// Where COPY put messages (RFC 4315 COPYUID): `source[i]` became `target[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyUid {
    /// The UIDVALIDITY of the target mailbox.
    pub uid_validity: u32,
    /// The UIDs copied, ascending (messages expunged meanwhile are left out).
    pub source: Vec<u32>,
    /// Their UIDs in the target.
    pub target: Vec<u32>,
}

/// One message of a [`Mailbox`] view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The UID.
    pub uid: u32,
    /// The system flags, in [`Flag::ALL`] order.
    pub flags: Vec<Flag>,
    /// The keywords.
    pub keywords: Vec<String>,
    /// \Recent in this session.
    pub recent: bool,
    /// Size in octets.
    pub size: u64,
    /// The internal date (the file's modification time).
    pub internal_date: SystemTime,
    /// The MODSEQ of the last change.
    pub modseq: u64,
}

impl MessageInfo {
    /// True when the message has `flag`.
    pub fn has(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }
}

/// How [`Mailbox::store_flags`] changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// Add these (`+FLAGS`).
    Add,
    /// Remove these (`-FLAGS`).
    Remove,
    /// Set exactly these (`FLAGS`).
    Replace,
}

/// What [`Mailbox::store_flags`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    /// UIDs whose flags or keywords changed (each got a new MODSEQ).
    pub changed: Vec<u32>,
    /// UIDs left alone because their MODSEQ is above `unchanged_since` (RFC 7162
    /// MODIFIED).
    pub modified: Vec<u32>,
}

/// What [`Mailbox::refresh`] found changed since the view was last updated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Sequence numbers of the messages gone, in DESCENDING order: sent one by one as
    /// `* n EXPUNGE` in this order, each number is right when it is sent.
    pub expunged: Vec<u32>,
    /// The UIDs of the messages gone (for QRESYNC VANISHED), ascending.
    pub expunged_uids: Vec<u32>,
    /// Messages added at the end of the view.
    pub new_messages: u32,
    /// Messages in the view now (EXISTS).
    pub exists: u32,
    /// UIDs of messages (already in the view before) whose flags or keywords changed.
    pub flags_changed: Vec<u32>,
    /// The folder's UIDs were given anew (damaged uidlist): every old message is in
    /// `expunged`; a session should end (IMAP BYE), UIDs it knew mean nothing now.
    pub uid_validity_changed: bool,
}

/// The mailboxes of every user under one folder (`DATA_DIR/mail`). Cloning shares the
/// locks.
#[derive(Debug, Clone)]
pub struct MailStore {
    shared: Arc<Shared>,
}

impl MailStore {
    /// A store under `root` (`DATA_DIR/mail`), naming new message files with
    /// `hostname` and times and numbers from `clock` and `random`.
    pub fn new(
        root: PathBuf,
        hostname: String,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Self {
        MailStore {
            shared: Arc::new(Shared::new(root, name_host(&hostname), clock, random)),
        }
    }

    /// The folder holding every user.
    pub fn root(&self) -> &Path {
        &self.shared.root
    }

    /// The mailboxes of the user `address` (lower-cased, as the delivery agent names
    /// folders); makes INBOX and the special-use mailboxes (subscribed) when missing.
    pub fn user(&self, address: &str) -> Result<UserMailboxes, MailStoreError> {
        let folder_name = mailbox_name(address).ok_or(MailStoreError::InvalidAddress)?;
        let root = self.shared.root.join(&folder_name).join("Maildir");
        let user = UserMailboxes {
            shared: Arc::clone(&self.shared),
            address: folder_name,
            root,
        };
        let structure = self.shared.folder_lock(&user.root.join(STRUCTURE_LOCK));
        let _held = structure.hold();
        let first_time = !user.root.join(SUBSCRIPTIONS_FILE).exists();
        if !folder::exists(&user.root) {
            folder::create(&user.root)?;
        }
        if !user.root.join(uidlist::UIDLIST_FILE).exists() {
            // INBOX's UIDVALIDITY is fixed now, before the other folders'.
            let guard = self.shared.folder_lock(&user.root);
            let _inbox_held = guard.hold();
            folder::sync(&self.shared, &user.root, &user.root, Claim::Nothing)?;
        }
        let mut subscriptions = user.read_subscriptions()?;
        let mut subscribed = false;
        if first_time {
            subscriptions.insert(INBOX.to_string());
            subscribed = true;
        }
        for (_, name) in SpecialUse::ALL {
            if !folder::exists(&user.folder_path(name)) {
                user.make_folder(name)?;
                subscriptions.insert(name.to_string());
                subscribed = true;
            }
        }
        if subscribed {
            user.write_subscriptions(&subscriptions)?;
        }
        Ok(user)
    }

    /// Locks the maildrop of `address` for one POP3 session (RFC 1939: one session at
    /// a time); `None` when another session of this process holds it. The lock is
    /// released when the returned value is dropped.
    pub fn lock_maildrop(&self, address: &str) -> Option<MaildropLock> {
        let address = mailbox_name(address)?;
        let mut held = self
            .shared
            .maildrops
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !held.insert(address.clone()) {
            return None;
        }
        Some(MaildropLock {
            held: Arc::clone(&self.shared.maildrops),
            address,
        })
    }
}

/// A held maildrop lock; see [`MailStore::lock_maildrop`].
#[derive(Debug)]
pub struct MaildropLock {
    held: Arc<Mutex<HashSet<String>>>,
    address: String,
}

impl Drop for MaildropLock {
    fn drop(&mut self) {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.address);
    }
}

/// One user's mailboxes; see [`MailStore::user`].
#[derive(Debug, Clone)]
pub struct UserMailboxes {
    shared: Arc<Shared>,
    address: String,
    root: PathBuf,
}

fn normalize(name: &str) -> Result<String, MailStoreError> {
    names::normalize(name).ok_or(MailStoreError::InvalidName)
}

fn check_keywords(keywords: &[String]) -> Result<(), MailStoreError> {
    if keywords.iter().all(|keyword| is_valid_keyword(keyword)) {
        Ok(())
    } else {
        Err(MailStoreError::InvalidKeyword)
    }
}

impl UserMailboxes {
    /// The user's address (lower-cased).
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The user's root Maildir (INBOX).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of a normalized name.
    fn folder_path(&self, name: &str) -> PathBuf {
        if names::is_inbox(name) {
            self.root.clone()
        } else {
            self.root.join(names::to_folder(name))
        }
    }

    fn read_subscriptions(&self) -> Result<HashSet<String>, MailStoreError> {
        match fs::read_to_string(self.root.join(SUBSCRIPTIONS_FILE)) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(names::normalize)
                .collect::<HashSet<_>>()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(HashSet::new()),
            Err(error) => Err(error.into()),
        }
    }

    fn write_subscriptions(&self, names: &HashSet<String>) -> Result<(), MailStoreError> {
        let mut sorted: Vec<&String> = names.iter().collect();
        sorted.sort();
        let mut text = String::new();
        for name in sorted {
            text.push_str(name);
            text.push('\n');
        }
        folder::write_atomically(&self.root.join(SUBSCRIPTIONS_FILE), text.as_bytes())?;
        Ok(())
    }

    /// The subscribed names, sorted (some may not exist: IMAP LSUB shows them too).
    pub fn subscriptions(&self) -> Result<Vec<String>, MailStoreError> {
        let mut names: Vec<String> = self.read_subscriptions()?.into_iter().collect();
        names.sort();
        Ok(names)
    }

    /// The names of every folder below the root (not INBOX), unsorted.
    fn folder_names(&self) -> Result<Vec<String>, MailStoreError> {
        let mut found = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let Ok(file_name) = entry.file_name().into_string() else {
                continue;
            };
            let Some(name) = names::from_folder(&file_name) else {
                continue;
            };
            if folder::exists(&entry.path()) {
                found.push(name);
            }
        }
        Ok(found)
    }

    /// Every mailbox, INBOX first, then the others sorted by name.
    pub fn list(&self) -> Result<Vec<MailboxInfo>, MailStoreError> {
        let mut all = self.folder_names()?;
        all.sort();
        all.insert(0, INBOX.to_string());
        let subscriptions = self.read_subscriptions()?;
        let infos = all
            .iter()
            .map(|name| {
                let prefix = format!("{name}/");
                MailboxInfo {
                    name: name.clone(),
                    special_use: SpecialUse::of(name),
                    subscribed: subscriptions.contains(name),
                    has_children: all.iter().any(|other| other.starts_with(&prefix)),
                }
            })
            .collect();
        Ok(infos)
    }

    /// True when the mailbox `name` exists.
    pub fn exists(&self, name: &str) -> bool {
        names::normalize(name).is_some_and(|name| folder::exists(&self.folder_path(&name)))
    }

    /// Makes the folder of the normalized `name` and its missing parents, each with
    /// its UIDVALIDITY.
    fn make_folder(&self, name: &str) -> Result<(), MailStoreError> {
        let mut all = names::parents(name);
        all.push(name.to_string());
        for each in all {
            let path = self.folder_path(&each);
            if folder::exists(&path) {
                continue;
            }
            folder::create(&path)?;
            let guard = self.shared.folder_lock(&path);
            let _held = guard.hold();
            folder::sync(&self.shared, &self.root, &path, Claim::Nothing)?;
        }
        Ok(())
    }

    /// Makes the mailbox `name` (and its missing parents, as RFC 3501 CREATE asks).
    pub fn create(&self, name: &str) -> Result<(), MailStoreError> {
        let name = normalize(name)?;
        let structure = self.shared.folder_lock(&self.root.join(STRUCTURE_LOCK));
        let _held = structure.hold();
        if folder::exists(&self.folder_path(&name)) {
            return Err(MailStoreError::AlreadyExists);
        }
        self.make_folder(&name)
    }

    /// Deletes the mailbox `name` and its messages. INBOX and mailboxes with children
    /// are refused. Subscriptions are left as they are (RFC 3501).
    pub fn delete(&self, name: &str) -> Result<(), MailStoreError> {
        let name = normalize(name)?;
        if names::is_inbox(&name) {
            return Err(MailStoreError::CannotDeleteInbox);
        }
        let structure = self.shared.folder_lock(&self.root.join(STRUCTURE_LOCK));
        let _held = structure.hold();
        let path = self.folder_path(&name);
        if !folder::exists(&path) {
            return Err(MailStoreError::NoSuchMailbox);
        }
        let prefix = format!("{name}/");
        if self
            .folder_names()?
            .iter()
            .any(|other| other.starts_with(&prefix))
        {
            return Err(MailStoreError::HasChildren);
        }
        let guard = self.shared.folder_lock(&path);
        let _folder_held = guard.hold();
        self.shared.forget(&path);
        fs::remove_dir_all(&path)?;
        Ok(())
    }

    /// Renames the mailbox `from` (with its children) to `to`, making `to`'s missing
    /// parents. Renaming INBOX moves its messages into a new mailbox `to` and leaves
    /// INBOX empty (RFC 3501); the moved messages get new UIDs there, keeping flags,
    /// keywords and internal dates.
    pub fn rename(&self, from: &str, to: &str) -> Result<(), MailStoreError> {
        let from = normalize(from)?;
        let to = normalize(to)?;
        let structure = self.shared.folder_lock(&self.root.join(STRUCTURE_LOCK));
        let _held = structure.hold();
        let from_path = self.folder_path(&from);
        if !folder::exists(&from_path) {
            return Err(MailStoreError::NoSuchMailbox);
        }
        if names::is_inbox(&to) || folder::exists(&self.folder_path(&to)) {
            return Err(MailStoreError::AlreadyExists);
        }
        if names::is_inbox(&from) {
            self.make_folder(&to)?;
            return self.move_inbox_messages(&self.folder_path(&to));
        }
        if to == from || to.starts_with(&format!("{from}/")) {
            return Err(MailStoreError::RenameIntoItself);
        }
        // The mailbox and every child, parents first.
        let prefix = format!("{from}/");
        let mut moves: Vec<(String, String)> = vec![(from.clone(), to.clone())];
        let mut children: Vec<String> = self
            .folder_names()?
            .into_iter()
            .filter(|name| name.starts_with(&prefix))
            .collect();
        children.sort();
        for child in children {
            let rest = child.get(prefix.len()..).unwrap_or_default();
            let target = normalize(&format!("{to}/{rest}"))?;
            moves.push((child, target));
        }
        for (_, target) in &moves {
            if folder::exists(&self.folder_path(target)) {
                return Err(MailStoreError::AlreadyExists);
            }
        }
        for parent in names::parents(&to) {
            self.make_folder(&parent)?;
        }
        for (old, new) in moves {
            let old_path = self.folder_path(&old);
            let guard = self.shared.folder_lock(&old_path);
            let _folder_held = guard.hold();
            let new_path = self.folder_path(&new);
            self.shared.forget(&old_path);
            self.shared.forget(&new_path);
            fs::rename(&old_path, new_path)?;
        }
        Ok(())
    }

    /// Moves every INBOX message into the (new, empty) folder `target`.
    fn move_inbox_messages(&self, target: &Path) -> Result<(), MailStoreError> {
        let inbox_guard = self.shared.folder_lock(&self.root);
        let _inbox_held = inbox_guard.hold();
        let target_guard = self.shared.folder_lock(target);
        let _target_held = target_guard.hold();
        let source = folder::sync(&self.shared, &self.root, &self.root, Claim::Nothing)?;
        let mut state = folder::sync(&self.shared, &self.root, target, Claim::Nothing)?;
        for (record, on_disk) in source.list.records.iter().zip(&source.files) {
            let cur_name = on_disk.name.cur_name();
            match fs::rename(on_disk.path(&self.root), target.join("cur").join(&cur_name)) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => {
                    self.shared.write_list(target, &state.list)?;
                    return Err(error.into());
                }
            }
            let uid = state.list.next_uid().ok_or(MailStoreError::UidsExhausted)?;
            let modseq = state.list.next_modseq();
            state.list.records.push(Record {
                uid,
                modseq,
                flags: on_disk.name.flags,
                base: record.base.clone(),
                keywords: record.keywords.clone(),
            });
        }
        self.shared.write_list(target, &state.list)?;
        folder::sync(&self.shared, &self.root, &self.root, Claim::Nothing)?;
        Ok(())
    }

    /// Subscribes (`true`) or unsubscribes `name`; the mailbox need not exist.
    pub fn subscribe(&self, name: &str, subscribed: bool) -> Result<(), MailStoreError> {
        let name = normalize(name)?;
        let structure = self.shared.folder_lock(&self.root.join(STRUCTURE_LOCK));
        let _held = structure.hold();
        let mut subscriptions = self.read_subscriptions()?;
        let changed = if subscribed {
            subscriptions.insert(name)
        } else {
            subscriptions.remove(&name)
        };
        if changed {
            self.write_subscriptions(&subscriptions)?;
        }
        Ok(())
    }

    /// The counters of the mailbox `name` (new deliveries get their UIDs now; nothing
    /// is claimed as \Recent).
    pub fn status(&self, name: &str) -> Result<MailboxStatus, MailStoreError> {
        let path = self.folder_path(&normalize(name)?);
        let guard = self.shared.folder_lock(&path);
        let _held = guard.hold();
        let state = folder::sync(&self.shared, &self.root, &path, Claim::Nothing)?;
        let list = &state.list;
        let count = |predicate: &dyn Fn(&Record) -> bool| {
            u32::try_from(list.records.iter().filter(|r| predicate(r)).count()).unwrap_or(u32::MAX)
        };
        Ok(MailboxStatus {
            messages: count(&|_| true),
            recent: count(&|record| record.uid >= list.first_recent),
            unseen: count(&|record| !record.flags.contains(Flag::Seen)),
            uid_next: list.uid_next,
            uid_validity: list.uid_validity,
            highest_modseq: list.highest_modseq,
            size: state.files.iter().map(|on_disk| on_disk.size).sum(),
        })
    }

    /// Opens a view of the mailbox `name` for one session. Read-write (`read_only`
    /// false, IMAP SELECT) claims the messages no session has seen as this session's
    /// \Recent; read-only (EXAMINE) changes nothing.
    pub fn open(&self, name: &str, read_only: bool) -> Result<Mailbox, MailStoreError> {
        let access = if read_only {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        };
        self.open_with(name, access)
    }

    /// Opens INBOX for a POP3 session: read-write (deletions), without claiming
    /// \Recent (POP3 has no such notion, and an IMAP client should still see new mail
    /// as recent).
    pub fn open_maildrop(&self) -> Result<Mailbox, MailStoreError> {
        self.open_with(INBOX, Access::Maildrop)
    }

    fn open_with(&self, name: &str, access: Access) -> Result<Mailbox, MailStoreError> {
        let name = normalize(name)?;
        let folder = self.folder_path(&name);
        let guard = self.shared.folder_lock(&folder);
        let _held = guard.hold();
        let claim = if access == Access::ReadWrite {
            Claim::Recent
        } else {
            Claim::Nothing
        };
        let state = folder::sync(&self.shared, &self.root, &folder, claim)?;
        let mut mailbox = Mailbox {
            user: self.clone(),
            name,
            folder,
            access,
            uid_validity: state.list.uid_validity,
            uid_next: state.list.uid_next,
            highest_modseq: state.list.highest_modseq,
            messages: Vec::new(),
            files: Vec::new(),
        };
        mailbox.append_new(&state, 0);
        Ok(mailbox)
    }

    /// Adds a message to the mailbox `name`, with `flags`, `keywords` and
    /// `internal_date` (now, when `None`). The message is \Recent for the next
    /// read-write session that sees it.
    pub fn append(
        &self,
        name: &str,
        message: &[u8],
        flags: &[Flag],
        keywords: &[String],
        internal_date: Option<SystemTime>,
    ) -> Result<AppendUid, MailStoreError> {
        check_keywords(keywords)?;
        let mut unique = Vec::new();
        for keyword in keywords {
            add_keyword(&mut unique, keyword);
        }
        if unique.len() > MAX_KEYWORDS_PER_MESSAGE {
            return Err(MailStoreError::TooManyKeywords);
        }
        let path = self.folder_path(&normalize(name)?);
        let guard = self.shared.folder_lock(&path);
        let _held = guard.hold();
        let mut state = folder::sync(&self.shared, &self.root, &path, Claim::Nothing)?;
        let flags = FlagSet::from_flags(flags);
        let uid = state.list.next_uid().ok_or(MailStoreError::UidsExhausted)?;
        let on_disk = folder::write_message(&self.shared, &path, message, flags, internal_date)?;
        let modseq = state.list.next_modseq();
        state.list.records.push(Record {
            uid,
            modseq,
            flags,
            base: on_disk.name.base.clone(),
            keywords: unique,
        });
        if let Err(error) = self.shared.write_list(&path, &state.list) {
            let _ = fs::remove_file(on_disk.path(&path));
            return Err(error.into());
        }
        Ok(AppendUid {
            uid_validity: state.list.uid_validity,
            uid,
        })
    }

    /// Copies files into the folder `target` (holding its lock) and records them.
    fn receive(&self, target: &Path, sources: &[CopySource]) -> Result<CopyUid, MailStoreError> {
        let guard = self.shared.folder_lock(target);
        let _held = guard.hold();
        let mut state = folder::sync(&self.shared, &self.root, target, Claim::Nothing)?;
        let mut written: Vec<OnDisk> = Vec::new();
        let mut outcome = CopyUid {
            uid_validity: state.list.uid_validity,
            source: Vec::new(),
            target: Vec::new(),
        };
        let result = (|| -> Result<(), MailStoreError> {
            for CopySource {
                uid,
                path,
                base,
                size,
                modified,
                flags,
                keywords,
            } in sources
            {
                let copied = match folder::copy_message(
                    &self.shared,
                    target,
                    path,
                    *size,
                    *modified,
                    *flags,
                ) {
                    Ok(copied) => copied,
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {
                        // Renamed (flags) since the view looked: find it once more.
                        let Some(parent) = path.parent().and_then(Path::parent) else {
                            continue;
                        };
                        let Some(found) = folder::locate(parent, base)? else {
                            continue;
                        };
                        folder::copy_message(
                            &self.shared,
                            target,
                            &found.path(parent),
                            *size,
                            *modified,
                            *flags,
                        )?
                    }
                    Err(error) => return Err(error.into()),
                };
                let new_uid = state.list.next_uid().ok_or(MailStoreError::UidsExhausted)?;
                let modseq = state.list.next_modseq();
                state.list.records.push(Record {
                    uid: new_uid,
                    modseq,
                    flags: *flags,
                    base: copied.name.base.clone(),
                    keywords: keywords.clone(),
                });
                written.push(copied);
                outcome.source.push(*uid);
                outcome.target.push(new_uid);
            }
            self.shared.write_list(target, &state.list)?;
            Ok(())
        })();
        match result {
            Ok(()) => Ok(outcome),
            Err(error) => {
                // All or nothing (RFC 3501 COPY): take back what was copied.
                for copied in written {
                    let _ = fs::remove_file(copied.path(target));
                }
                Err(error)
            }
        }
    }
}

/// A message to copy: its UID and file, as the source view knows them.
#[derive(Debug)]
struct CopySource {
    uid: u32,
    path: PathBuf,
    base: String,
    size: u64,
    modified: SystemTime,
    flags: FlagSet,
    keywords: Vec<String>,
}

/// How a view was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
    Maildrop,
}

/// Where a view's message file is.
#[derive(Debug, Clone)]
struct FileRef {
    base: String,
    on_disk: OnDisk,
}

/// One session's view of one mailbox; see [`UserMailboxes::open`]. Sequence number
/// `n` is `messages()[n - 1]`.
#[derive(Debug)]
pub struct Mailbox {
    user: UserMailboxes,
    name: String,
    folder: PathBuf,
    access: Access,
    uid_validity: u32,
    uid_next: u32,
    highest_modseq: u64,
    messages: Vec<MessageInfo>,
    files: Vec<FileRef>,
}

fn info_of(record: &Record, on_disk: &OnDisk, recent: bool) -> MessageInfo {
    MessageInfo {
        uid: record.uid,
        flags: record.flags.to_vec(),
        keywords: record.keywords.clone(),
        recent,
        size: on_disk.size,
        internal_date: on_disk.modified,
        modseq: record.modseq,
    }
}

impl Mailbox {
    /// The mailbox name (normalized: `INBOX` in capitals).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True for a read-only view (EXAMINE).
    pub fn read_only(&self) -> bool {
        self.access == Access::ReadOnly
    }

    /// The UIDVALIDITY.
    pub fn uid_validity(&self) -> u32 {
        self.uid_validity
    }

    /// The next UID, as of the last refresh.
    pub fn uid_next(&self) -> u32 {
        self.uid_next
    }

    /// The highest MODSEQ, as of the last refresh.
    pub fn highest_modseq(&self) -> u64 {
        self.highest_modseq
    }

    /// The messages, in UID order; sequence number `n` is index `n - 1`.
    pub fn messages(&self) -> &[MessageInfo] {
        &self.messages
    }

    /// The index of `uid` in [`Mailbox::messages`].
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.messages
            .binary_search_by_key(&uid, |message| message.uid)
            .ok()
    }

    /// The Maildir unique name of the message `uid` (stable for the message's life;
    /// POP3 UIDL uses it).
    pub fn unique_name(&self, uid: u32) -> Option<&str> {
        let index = self.index_of(uid)?;
        self.files.get(index).map(|file| file.base.as_str())
    }

    /// The path of the message `uid`'s file (found again if its flags were renamed
    /// since the view looked), `None` when it is not in the view or gone.
    pub fn path(&self, uid: u32) -> Option<PathBuf> {
        let file = self.files.get(self.index_of(uid)?)?;
        let path = file.on_disk.path(&self.folder);
        if path.exists() {
            return Some(path);
        }
        folder::locate(&self.folder, &file.base)
            .ok()
            .flatten()
            .map(|found| found.path(&self.folder))
    }

    /// The whole message `uid`.
    pub fn read(&self, uid: u32) -> Result<Vec<u8>, MailStoreError> {
        let file = self
            .index_of(uid)
            .and_then(|index| self.files.get(index))
            .ok_or(MailStoreError::NoSuchMessage)?;
        match fs::read(file.on_disk.path(&self.folder)) {
            Ok(content) => return Ok(content),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error.into()),
        }
        let found =
            folder::locate(&self.folder, &file.base)?.ok_or(MailStoreError::NoSuchMessage)?;
        match fs::read(found.path(&self.folder)) {
            Ok(content) => Ok(content),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                Err(MailStoreError::NoSuchMessage)
            }
            Err(error) => Err(error.into()),
        }
    }

    fn lock(&self) -> folder::FolderGuard {
        self.user.shared.folder_lock(&self.folder)
    }

    fn sync(&self, claim: Claim) -> Result<FolderState, MailStoreError> {
        folder::sync(&self.user.shared, &self.user.root, &self.folder, claim)
    }

    /// Appends the records of `state` with UIDs above `after` to the view.
    fn append_new(&mut self, state: &FolderState, after: u32) -> u32 {
        let mut added = 0;
        for (record, on_disk) in state.list.records.iter().zip(&state.files) {
            if record.uid <= after {
                continue;
            }
            let recent = match self.access {
                Access::ReadWrite => state.claimed_from.is_some_and(|first| record.uid >= first),
                Access::ReadOnly | Access::Maildrop => record.uid >= state.list.first_recent,
            };
            self.messages.push(info_of(record, on_disk, recent));
            self.files.push(FileRef {
                base: record.base.clone(),
                on_disk: on_disk.clone(),
            });
            added += 1;
        }
        added
    }

    /// Drops from the view the messages `state` no longer has; returns their sequence
    /// numbers (descending) and UIDs (ascending).
    fn drop_gone(&mut self, state: &FolderState) -> (Vec<u32>, Vec<u32>) {
        let mut sequence_numbers = Vec::new();
        let mut uids = Vec::new();
        for index in (0..self.messages.len()).rev() {
            let Some(uid) = self.messages.get(index).map(|message| message.uid) else {
                continue;
            };
            if state.index_of(uid).is_none() {
                self.messages.remove(index);
                self.files.remove(index);
                sequence_numbers.push(u32::try_from(index + 1).unwrap_or(u32::MAX));
                uids.push(uid);
            }
        }
        uids.reverse();
        (sequence_numbers, uids)
    }

    /// Updates the view's copy of message `index` from `state`; true when its flags,
    /// keywords or MODSEQ differ.
    fn update_from(&mut self, index: usize, state: &FolderState) -> bool {
        let (Some(message), Some(file)) = (self.messages.get_mut(index), self.files.get_mut(index))
        else {
            return false;
        };
        let Some(at) = state.index_of(message.uid) else {
            return false;
        };
        let (Some(record), Some(on_disk)) = (state.list.records.get(at), state.files.get(at))
        else {
            return false;
        };
        file.on_disk = on_disk.clone();
        if message.modseq == record.modseq {
            return false;
        }
        message.flags = record.flags.to_vec();
        message.keywords = record.keywords.clone();
        message.modseq = record.modseq;
        true
    }

    /// Looks at the folder again: messages others expunged leave the view, new ones
    /// are added at the end (claimed as \Recent by a read-write view), flag changes by
    /// others are taken in.
    pub fn refresh(&mut self) -> Result<Changes, MailStoreError> {
        let guard = self.lock();
        let _held = guard.hold();
        let claim = if self.access == Access::ReadWrite {
            Claim::Recent
        } else {
            Claim::Nothing
        };
        let state = self.sync(claim)?;
        let mut changes = Changes::default();
        if state.list.uid_validity != self.uid_validity {
            changes.uid_validity_changed = true;
            changes.expunged = (1..=u32::try_from(self.messages.len()).unwrap_or(u32::MAX))
                .rev()
                .collect();
            changes.expunged_uids = self.messages.iter().map(|m| m.uid).collect();
            self.messages.clear();
            self.files.clear();
            self.uid_validity = state.list.uid_validity;
        } else {
            let (sequence_numbers, uids) = self.drop_gone(&state);
            changes.expunged = sequence_numbers;
            changes.expunged_uids = uids;
            for index in 0..self.messages.len() {
                if self.update_from(index, &state) {
                    if let Some(message) = self.messages.get(index) {
                        changes.flags_changed.push(message.uid);
                    }
                }
            }
        }
        let last = self.messages.last().map_or(0, |message| message.uid);
        changes.new_messages = self.append_new(&state, last);
        changes.exists = u32::try_from(self.messages.len()).unwrap_or(u32::MAX);
        self.uid_next = state.list.uid_next;
        self.highest_modseq = state.list.highest_modseq;
        Ok(changes)
    }

    /// Changes the flags and keywords of the messages `uids` (those not in the view are
    /// ignored): adds, removes or replaces `flags` and `keywords`. With
    /// `unchanged_since` (RFC 7162 CONDSTORE), messages whose MODSEQ is above it are
    /// left alone and reported in [`StoreOutcome::modified`]. The view's copies of
    /// these messages are brought up to date.
    pub fn store_flags(
        &mut self,
        uids: &[u32],
        op: FlagOp,
        flags: &[Flag],
        keywords: &[String],
        unchanged_since: Option<u64>,
    ) -> Result<StoreOutcome, MailStoreError> {
        if self.read_only() {
            return Err(MailStoreError::ReadOnly);
        }
        check_keywords(keywords)?;
        let wanted = FlagSet::from_flags(flags);
        let guard = self.lock();
        let _held = guard.hold();
        let mut state = self.sync(Claim::Nothing)?;
        let mut outcome = StoreOutcome::default();
        let mut targets: Vec<u32> = uids
            .iter()
            .copied()
            .filter(|uid| self.index_of(*uid).is_some())
            .collect();
        targets.sort_unstable();
        targets.dedup();
        for uid in &targets {
            let Some(at) = state.index_of(*uid) else {
                continue;
            };
            let (Some(record), Some(on_disk)) =
                (state.list.records.get_mut(at), state.files.get_mut(at))
            else {
                continue;
            };
            if unchanged_since.is_some_and(|since| record.modseq > since) {
                outcome.modified.push(*uid);
                continue;
            }
            let new_flags = match op {
                FlagOp::Add => record.flags.union(wanted),
                FlagOp::Remove => record.flags.without(wanted),
                FlagOp::Replace => wanted,
            };
            let mut new_keywords = match op {
                FlagOp::Replace => Vec::new(),
                FlagOp::Add | FlagOp::Remove => record.keywords.clone(),
            };
            match op {
                FlagOp::Add | FlagOp::Replace => {
                    for keyword in keywords {
                        add_keyword(&mut new_keywords, keyword);
                    }
                }
                FlagOp::Remove => new_keywords
                    .retain(|kept| !keywords.iter().any(|k| k.eq_ignore_ascii_case(kept))),
            }
            if new_keywords.len() > MAX_KEYWORDS_PER_MESSAGE {
                return Err(MailStoreError::TooManyKeywords);
            }
            if new_flags == record.flags && new_keywords == record.keywords {
                continue;
            }
            if !folder::set_file_flags(&self.folder, on_disk, new_flags)? {
                continue;
            }
            record.flags = new_flags;
            record.keywords = new_keywords;
            outcome.changed.push(*uid);
        }
        if !outcome.changed.is_empty() {
            for uid in &outcome.changed {
                let modseq = state.list.next_modseq();
                if let Some(record) = state
                    .index_of(*uid)
                    .and_then(|at| state.list.records.get_mut(at))
                {
                    record.modseq = modseq;
                }
            }
            self.user.shared.write_list(&self.folder, &state.list)?;
        }
        for uid in &targets {
            if let Some(index) = self.index_of(*uid) {
                self.update_from(index, &state);
                if let Some(message) = self.messages.get(index) {
                    self.highest_modseq = self.highest_modseq.max(message.modseq);
                }
            }
        }
        Ok(outcome)
    }

    /// Removes the messages of the view marked \Deleted (now, on disk), only those
    /// among `only` when given (UID EXPUNGE). Messages other sessions expunged leave
    /// the view too. Returns the sequence numbers gone, in DESCENDING order (see
    /// [`Changes::expunged`]); new messages wait for [`Mailbox::refresh`].
    pub fn expunge(&mut self, only: Option<&[u32]>) -> Result<Vec<u32>, MailStoreError> {
        if self.read_only() {
            return Err(MailStoreError::ReadOnly);
        }
        self.remove_where(|record, in_view| {
            in_view
                && record.flags.contains(Flag::Deleted)
                && only.is_none_or(|only| only.contains(&record.uid))
        })
    }

    /// Removes the messages `uids` whatever their flags (POP3 deletions at QUIT, the
    /// second half of MOVE). Returns the sequence numbers gone, descending, like
    /// [`Mailbox::expunge`].
    pub fn remove(&mut self, uids: &[u32]) -> Result<Vec<u32>, MailStoreError> {
        if self.read_only() {
            return Err(MailStoreError::ReadOnly);
        }
        self.remove_where(|record, in_view| in_view && uids.contains(&record.uid))
    }

    fn remove_where(
        &mut self,
        doomed: impl Fn(&Record, bool) -> bool,
    ) -> Result<Vec<u32>, MailStoreError> {
        let guard = self.lock();
        let _held = guard.hold();
        let mut state = self.sync(Claim::Nothing)?;
        let mut removed = false;
        let mut kept_records = Vec::with_capacity(state.list.records.len());
        let mut kept_files = Vec::with_capacity(state.files.len());
        let records = std::mem::take(&mut state.list.records);
        let files = std::mem::take(&mut state.files);
        for (record, on_disk) in records.into_iter().zip(files) {
            let in_view = self.index_of(record.uid).is_some();
            if doomed(&record, in_view) {
                match fs::remove_file(on_disk.path(&self.folder)) {
                    Ok(()) => {}
                    Err(error) if error.kind() == io::ErrorKind::NotFound => {
                        if let Some(found) = folder::locate(&self.folder, &record.base)? {
                            fs::remove_file(found.path(&self.folder))?;
                        }
                    }
                    Err(error) => return Err(error.into()),
                }
                removed = true;
                continue;
            }
            kept_records.push(record);
            kept_files.push(on_disk);
        }
        state.list.records = kept_records;
        state.files = kept_files;
        if removed {
            state.list.next_modseq();
            self.user.shared.write_list(&self.folder, &state.list)?;
        }
        let (sequence_numbers, _) = self.drop_gone(&state);
        self.highest_modseq = state.list.highest_modseq;
        Ok(sequence_numbers)
    }

    /// Copies the messages `uids` (those not in the view are ignored) into the mailbox
    /// `target` of `mailboxes`, keeping flags, keywords and internal dates; the copies
    /// are \Recent for the next read-write session there. All or nothing.
    pub fn copy_to(
        &self,
        uids: &[u32],
        mailboxes: &UserMailboxes,
        target: &str,
    ) -> Result<CopyUid, MailStoreError> {
        let target = mailboxes.folder_path(&normalize(target)?);
        if !folder::exists(&target) {
            return Err(MailStoreError::NoSuchMailbox);
        }
        let mut wanted: Vec<u32> = uids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut sources = Vec::new();
        for uid in wanted {
            let Some(index) = self.index_of(uid) else {
                continue;
            };
            let (Some(message), Some(file)) = (self.messages.get(index), self.files.get(index))
            else {
                continue;
            };
            sources.push(CopySource {
                uid,
                path: file.on_disk.path(&self.folder),
                base: file.base.clone(),
                size: message.size,
                modified: message.internal_date,
                flags: FlagSet::from_flags(&message.flags),
                keywords: message.keywords.clone(),
            });
        }
        mailboxes.receive(&target, &sources)
    }

    /// Moves the messages `uids` into `target` (RFC 6851 MOVE): copies, then removes
    /// them here. Returns the COPYUID data and the sequence numbers gone (descending).
    pub fn move_to(
        &mut self,
        uids: &[u32],
        mailboxes: &UserMailboxes,
        target: &str,
    ) -> Result<(CopyUid, Vec<u32>), MailStoreError> {
        if self.read_only() {
            return Err(MailStoreError::ReadOnly);
        }
        let copied = self.copy_to(uids, mailboxes, target)?;
        let expunged = self.remove(&copied.source)?;
        Ok((copied, expunged))
    }
}
