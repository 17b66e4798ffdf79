//! One Maildir folder on disk: scanning `new/` and `cur/`, reconciling what is found
//! with the folder's uidlist, and the lock that serializes those steps.
//!
//! Every change to a folder (UIDs given, flags renamed, files removed or added) is made
//! while holding the folder's in-process lock ([`Shared::folder_lock`]), between a
//! [`sync`] and the uidlist write, so sessions of this process never lose each other's
//! updates. Other programs may add files (the delivery agent), move them from `new/`
//! to `cur/` or rename their flags: the next sync sees it.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::flags::{FileName, FlagSet};
use super::uidlist::{Record, UidList};
use super::MailStoreError;
use crate::delivery::maildir::size_from_name;
use crate::queue::{Clock, Random};

/// The file in a user's root that remembers the last UIDVALIDITY given, so a folder
/// deleted and made again within one second still gets a new one.
const UIDVALIDITY_FILE: &str = "mailwire-uidvalidity";

/// What every part of the store shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) root: PathBuf,
    pub(crate) hostname: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) random: Arc<dyn Random>,
    counter: AtomicU64,
    locks: Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>,
    /// The last sync of each folder, reused while the folder's directories and
    /// uidlist are untouched (an IDLE session refreshes several times a second).
    caches: Mutex<HashMap<PathBuf, Cached>>,
    pub(crate) maildrops: Arc<Mutex<std::collections::HashSet<String>>>,
}

/// A held folder lock.
pub(crate) struct FolderGuard {
    lock: Arc<Mutex<()>>,
}

impl FolderGuard {
    pub(crate) fn hold(&self) -> MutexGuard<'_, ()> {
        self.lock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Shared {
    pub(crate) fn new(
        root: PathBuf,
        hostname: String,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Shared {
        Shared {
            root,
            hostname,
            clock,
            random,
            counter: AtomicU64::new(0),
            locks: Mutex::new(HashMap::new()),
            caches: Mutex::new(HashMap::new()),
            maildrops: Arc::new(Mutex::new(std::collections::HashSet::new())),
        }
    }

    /// The lock of the folder (or other file) at `path`.
    pub(crate) fn folder_lock(&self, path: &Path) -> FolderGuard {
        let mut locks = self
            .locks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Forget locks nobody holds, so the table stays as small as the open folders.
        if locks.len() > 64 {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        let lock = locks.entry(path.to_path_buf()).or_default();
        FolderGuard {
            lock: Arc::clone(lock),
        }
    }

    /// Replaces the uidlist of `folder` (hold its lock) and forgets the folder's cached
    /// sync.
    pub(crate) fn write_list(&self, folder: &Path, list: &UidList) -> io::Result<()> {
        self.forget(folder);
        list.write(folder)
    }

    /// Forgets the cached syncs of `path` and every folder below it.
    pub(crate) fn forget(&self, path: &Path) {
        self.caches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|folder, _| !folder.starts_with(path));
    }

    fn cached(&self, folder: &Path, stamp: &Stamp) -> Option<Cached> {
        let caches = self
            .caches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        caches
            .get(folder)
            .filter(|cached| cached.stamp == *stamp)
            .cloned()
    }

    fn remember(&self, folder: &Path, cached: Cached) {
        let mut caches = self
            .caches
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if caches.len() >= MAX_CACHED_FOLDERS && !caches.contains_key(folder) {
            caches.clear();
        }
        caches.insert(folder.to_path_buf(), cached);
    }

    /// A new unique Maildir base name for a message of `size` octets (the form the
    /// delivery agent uses).
    pub(crate) fn unique_name(&self, size: u64) -> String {
        let now = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        format!(
            "{}.M{}P{}R{:016x}Q{}.{},S={size}",
            now.as_secs(),
            now.subsec_micros(),
            std::process::id(),
            self.random.next_u64(),
            self.counter.fetch_add(1, Ordering::Relaxed),
            self.hostname,
        )
    }

    /// A UIDVALIDITY for a new folder of the user at `user_root`: the clock's seconds,
    /// above every one given before in that user's folders.
    pub(crate) fn new_uid_validity(&self, user_root: &Path) -> io::Result<u32> {
        let path = user_root.join(UIDVALIDITY_FILE);
        let guard = self.folder_lock(&path);
        let _held = guard.hold();
        let last: u32 = match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse().unwrap_or(0),
            Err(error) if error.kind() == io::ErrorKind::NotFound => 0,
            Err(error) => return Err(error),
        };
        let seconds = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
        let value = seconds.max(last.saturating_add(1)).max(1);
        write_atomically(&path, format!("{value}\n").as_bytes())?;
        Ok(value)
    }
}

/// Folders whose last sync is kept (beyond, the table starts afresh).
const MAX_CACHED_FOLDERS: usize = 256;

/// How long after a directory changed its modification time is trusted to show the
/// next change: file systems stamp times in steps (a jiffy, or a second or two on old
/// ones), so a change in the same step as the one seen would leave it unchanged.
const STAMP_SETTLE: Duration = Duration::from_secs(2);

/// The modification times of a folder's `new/` and `cur/` and the size and time of
/// its uidlist: when none moved, neither did the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    new: SystemTime,
    cur: SystemTime,
    uidlist: Option<(u64, SystemTime)>,
}

impl Stamp {
    fn read(folder: &Path) -> io::Result<Stamp> {
        let modified = |path: PathBuf| -> io::Result<SystemTime> { fs::metadata(path)?.modified() };
        let uidlist = match fs::metadata(folder.join(super::uidlist::UIDLIST_FILE)) {
            Ok(metadata) => Some((metadata.len(), metadata.modified()?)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(error),
        };
        Ok(Stamp {
            new: modified(folder.join("new"))?,
            cur: modified(folder.join("cur"))?,
            uidlist,
        })
    }
}

/// A folder's sync, with the stamp read before its directories were listed.
#[derive(Debug, Clone)]
struct Cached {
    stamp: Stamp,
    list: UidList,
    files: Vec<OnDisk>,
}

/// Replaces the file at `path` with `content`: temporary file, flush, rename.
pub(crate) fn write_atomically(path: &Path, content: &[u8]) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        file.write_all(content)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

/// Where a message's file is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OnDisk {
    /// In `new/` (else `cur/`).
    pub(crate) in_new: bool,
    /// The whole file name.
    pub(crate) file_name: String,
    pub(crate) name: FileName,
    pub(crate) size: u64,
    pub(crate) modified: SystemTime,
}

impl OnDisk {
    pub(crate) fn path(&self, folder: &Path) -> PathBuf {
        folder
            .join(if self.in_new { "new" } else { "cur" })
            .join(&self.file_name)
    }
}

/// A folder as the last sync left it: the uidlist and, for each record, its file.
#[derive(Debug, Clone)]
pub(crate) struct FolderState {
    pub(crate) list: UidList,
    pub(crate) files: Vec<OnDisk>,
    /// UIDs this sync claimed as \Recent (the first one, when any).
    pub(crate) claimed_from: Option<u32>,
}

impl FolderState {
    pub(crate) fn index_of(&self, uid: u32) -> Option<usize> {
        self.list
            .records
            .binary_search_by_key(&uid, |record| record.uid)
            .ok()
    }
}

/// True when `folder` is a Maildir (has `cur/`).
pub(crate) fn exists(folder: &Path) -> bool {
    folder.join("cur").is_dir()
}

/// Makes `folder` a Maildir (`tmp`, `new`, `cur`).
pub(crate) fn create(folder: &Path) -> io::Result<()> {
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(folder.join(sub))?;
    }
    Ok(())
}

/// The size of a message from its base name's `,S=` or else its file.
fn size_of(base: &str, metadata: &fs::Metadata) -> u64 {
    size_from_name(base).unwrap_or(metadata.len())
}

/// Every message file in `new/` and `cur/`, by base name (`cur/` wins when a file is
/// in both, a move by another program caught half-way).
fn scan(folder: &Path) -> io::Result<HashMap<String, OnDisk>> {
    let mut found: HashMap<String, OnDisk> = HashMap::new();
    for (sub, in_new) in [("new", true), ("cur", false)] {
        let entries = match fs::read_dir(folder.join(sub)) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let Ok(file_name) = entry.file_name().into_string() else {
                continue;
            };
            let Some(name) = FileName::parse(&file_name) else {
                continue;
            };
            let metadata = match entry.metadata() {
                Ok(metadata) => metadata,
                // Moved or removed since the listing.
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            if !metadata.is_file() {
                continue;
            }
            let mut name = name;
            if in_new {
                // A file in new/ has no flags yet, whatever its name says.
                name.flags = FlagSet::default();
            }
            found.insert(
                name.base.clone(),
                OnDisk {
                    in_new,
                    size: size_of(&name.base, &metadata),
                    modified: metadata.modified().unwrap_or(UNIX_EPOCH),
                    file_name,
                    name,
                },
            );
        }
    }
    Ok(found)
}

/// How a sync treats \Recent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// A read-write session looks: it takes the unclaimed messages as its \Recent
    /// ones and moves `new/` files to `cur/`.
    Recent,
    /// Someone only looks (STATUS, EXAMINE, a step inside an update).
    Nothing,
}

/// Reconciles the uidlist of `folder` with its files and writes it back when it
/// changed: vanished files are dropped, flag changes made by other programs get a new
/// MODSEQ, unknown files get the next UIDs in arrival order (modification time, then
/// name). Call it holding the folder's lock.
pub(crate) fn sync(
    shared: &Shared,
    user_root: &Path,
    folder: &Path,
    claim: Claim,
) -> Result<FolderState, MailStoreError> {
    if !exists(folder) {
        return Err(MailStoreError::NoSuchMailbox);
    }
    // Read before listing: a change made during the listing moves the stamp, so it is
    // never hidden by the cache.
    let stamp = Stamp::read(folder)?;
    let stamped_at = shared.clock.now();
    let settled = stamp.new.max(stamp.cur) + STAMP_SETTLE <= stamped_at;
    let hit = if settled {
        shared.cached(folder, &stamp)
    } else {
        None
    };
    let (mut list, mut files, mut changed) = match hit {
        Some(cached) => (cached.list, cached.files, false),
        None => reconcile(shared, user_root, folder)?,
    };

    let mut claimed_from = None;
    let mut moved = false;
    if claim == Claim::Recent {
        for on_disk in files.iter_mut().filter(|on_disk| on_disk.in_new) {
            move_to_cur(folder, on_disk)?;
            moved = true;
        }
        if list.first_recent < list.uid_next {
            let first = list.first_recent;
            if list.records.iter().any(|record| record.uid >= first) {
                claimed_from = Some(first);
            }
            list.first_recent = list.uid_next;
            changed = true;
        }
    }
    if changed {
        shared.write_list(folder, &list)?;
    }
    if settled && !moved {
        // Only the uidlist changed (by this process, under the lock): the
        // directories' stamps still describe what was listed.
        let stamp = Stamp {
            uidlist: Stamp::read(folder)?.uidlist,
            ..stamp
        };
        shared.remember(
            folder,
            Cached {
                stamp,
                list: list.clone(),
                files: files.clone(),
            },
        );
    }
    Ok(FolderState {
        list,
        files,
        claimed_from,
    })
}

/// Reads the uidlist of `folder` and lists its files: the records of files still
/// there (with flags changed by other programs under a new MODSEQ), new UIDs for new
/// files. Returns the list, each record's file, and whether the list changed.
fn reconcile(
    shared: &Shared,
    user_root: &Path,
    folder: &Path,
) -> Result<(UidList, Vec<OnDisk>, bool), MailStoreError> {
    let mut rebuilt = false;
    let mut list = match UidList::read(folder)? {
        Some(text) => match UidList::decode(&text) {
            Some(list) => list,
            None => {
                tracing::warn!(folder = %folder.display(), "damaged uidlist: UIDs given again");
                rebuilt = true;
                UidList::new(shared.new_uid_validity(user_root)?)
            }
        },
        None => UidList::new(shared.new_uid_validity(user_root)?),
    };
    let mut changed = rebuilt || !folder.join(super::uidlist::UIDLIST_FILE).exists();
    let mut found = scan(folder)?;

    let mut records = Vec::with_capacity(list.records.len());
    let mut files = Vec::with_capacity(list.records.len());
    let mut removed = false;
    // A directory listing may miss a file another program renames meanwhile (POSIX
    // leaves it unspecified): when known files seem gone, list once more before
    // calling them expunged.
    let missing = list
        .records
        .iter()
        .any(|record| !found.contains_key(&record.base));
    let mut second_look = if missing {
        scan(folder)?
    } else {
        HashMap::new()
    };
    for mut record in std::mem::take(&mut list.records) {
        let on_disk = match found.remove(&record.base) {
            Some(on_disk) => Some(on_disk),
            None => second_look.remove(&record.base),
        };
        match on_disk {
            Some(on_disk) => {
                if on_disk.name.flags != record.flags {
                    record.flags = on_disk.name.flags;
                    record.modseq = list.next_modseq();
                    changed = true;
                }
                records.push(record);
                files.push(on_disk);
            }
            None => removed = true,
        }
    }
    if removed {
        list.next_modseq();
        changed = true;
    }
    let mut arrivals: Vec<OnDisk> = found.into_values().collect();
    arrivals.sort_by(|a, b| {
        a.modified
            .cmp(&b.modified)
            .then_with(|| a.name.base.cmp(&b.name.base))
    });
    for on_disk in arrivals {
        let uid = list.next_uid().ok_or(MailStoreError::UidsExhausted)?;
        let modseq = list.next_modseq();
        records.push(Record {
            uid,
            modseq,
            flags: on_disk.name.flags,
            base: on_disk.name.base.clone(),
            keywords: Vec::new(),
        });
        files.push(on_disk);
        changed = true;
    }
    list.records = records;
    Ok((list, files, changed))
}

/// Moves a `new/` file to `cur/` (with its flags); if another program moved it first,
/// finds it there.
fn move_to_cur(folder: &Path, on_disk: &mut OnDisk) -> io::Result<()> {
    let cur_name = on_disk.name.cur_name();
    match fs::rename(on_disk.path(folder), folder.join("cur").join(&cur_name)) {
        Ok(()) => {
            on_disk.in_new = false;
            on_disk.file_name = cur_name;
            Ok(())
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            if let Some(found) = locate(folder, &on_disk.name.base)? {
                *on_disk = OnDisk {
                    size: on_disk.size,
                    modified: on_disk.modified,
                    ..found
                };
            }
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// Finds the file of base name `base` in `new/` or `cur/`.
pub(crate) fn locate(folder: &Path, base: &str) -> io::Result<Option<OnDisk>> {
    let in_new = folder.join("new").join(base);
    if let Ok(metadata) = fs::metadata(&in_new) {
        let name = FileName {
            base: base.to_string(),
            flags: FlagSet::default(),
            other_letters: String::new(),
        };
        return Ok(Some(OnDisk {
            in_new: true,
            file_name: base.to_string(),
            name,
            size: size_of(base, &metadata),
            modified: metadata.modified().unwrap_or(UNIX_EPOCH),
        }));
    }
    let prefix = format!("{base}:");
    for entry in fs::read_dir(folder.join("cur"))? {
        let entry = entry?;
        let Ok(file_name) = entry.file_name().into_string() else {
            continue;
        };
        if file_name != base && !file_name.starts_with(&prefix) {
            continue;
        }
        let (Some(name), Ok(metadata)) = (FileName::parse(&file_name), entry.metadata()) else {
            continue;
        };
        return Ok(Some(OnDisk {
            in_new: false,
            size: size_of(base, &metadata),
            modified: metadata.modified().unwrap_or(UNIX_EPOCH),
            file_name,
            name,
        }));
    }
    Ok(None)
}

/// Renames the file of `on_disk` to carry `flags` (moving it to `cur/`). Returns false
/// when the file is gone.
pub(crate) fn set_file_flags(
    folder: &Path,
    on_disk: &mut OnDisk,
    flags: FlagSet,
) -> io::Result<bool> {
    let mut name = on_disk.name.clone();
    name.flags = flags;
    let cur_name = name.cur_name();
    if !on_disk.in_new && cur_name == on_disk.file_name {
        on_disk.name = name;
        return Ok(true);
    }
    let target = folder.join("cur").join(&cur_name);
    match fs::rename(on_disk.path(folder), &target) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            // Moved by another program since the sync: try once more from where it is.
            let Some(found) = locate(folder, &on_disk.name.base)? else {
                return Ok(false);
            };
            match fs::rename(found.path(folder), &target) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(error) => return Err(error),
            }
        }
        Err(error) => return Err(error),
    }
    on_disk.in_new = false;
    on_disk.file_name = cur_name;
    on_disk.name = name;
    Ok(true)
}

/// Writes `content` as a new message file of `folder` with `flags`: written in `tmp/`,
/// flushed, its modification time set to `internal_date`, renamed into `cur/`. Returns
/// the file.
pub(crate) fn write_message(
    shared: &Shared,
    folder: &Path,
    content: &[u8],
    flags: FlagSet,
    internal_date: Option<SystemTime>,
) -> io::Result<OnDisk> {
    let size = content.len() as u64;
    let base = shared.unique_name(size);
    let temporary = folder.join("tmp").join(&base);
    let name = FileName {
        base,
        flags,
        other_letters: String::new(),
    };
    let cur_name = name.cur_name();
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        file.write_all(content)?;
        if let Some(date) = internal_date {
            file.set_modified(date)?;
        }
        file.sync_all()?;
        let modified = file.metadata()?.modified().unwrap_or(UNIX_EPOCH);
        fs::rename(&temporary, folder.join("cur").join(&cur_name))?;
        Ok(modified)
    })();
    match written {
        Ok(modified) => Ok(OnDisk {
            in_new: false,
            file_name: cur_name,
            name,
            size,
            modified,
        }),
        Err(error) => {
            let _ = fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// Puts a copy of the file `source` into `folder` under a new name with `flags`: a hard
/// link when the file system allows, else a copy through `tmp/`. The copy keeps the
/// modification time (the internal date).
pub(crate) fn copy_message(
    shared: &Shared,
    folder: &Path,
    source: &Path,
    size: u64,
    modified: SystemTime,
    flags: FlagSet,
) -> io::Result<OnDisk> {
    let name = FileName {
        base: shared.unique_name(size),
        flags,
        other_letters: String::new(),
    };
    let cur_name = name.cur_name();
    let target = folder.join("cur").join(&cur_name);
    if fs::hard_link(source, &target).is_err() {
        let content = fs::read(source)?;
        return write_message(shared, folder, &content, flags, Some(modified));
    }
    Ok(OnDisk {
        in_new: false,
        file_name: cur_name,
        name,
        size,
        modified,
    })
}
