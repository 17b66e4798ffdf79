//! The queue's files: how a message becomes durable, how its state is replaced
//! atomically, and what a restart finds.
//!
//! Layout under the spool folder:
//! - `tmp/`: files being written; anything here at start-up is a leftover and removed.
//! - `messages/ID.eml`: the content, written once.
//! - `messages/ID.json`: the envelope and every recipient's state ([`MessageRecord`]).
//!   Its presence is the commit point: a message is queued exactly when both files are
//!   in `messages/`.
//! - `flush-request`: made by `mailserver queue flush` in another process; the runner
//!   removes it and retries everything at once.
//!
//! Every write goes to `tmp/`, is flushed with `fsync`, renamed into place, and the
//! folder is `fsync`ed, so that after a crash (power loss, kill -9) a file is either the
//! old complete one or the new complete one. These functions block; the queue calls
//! them on tokio's blocking pool.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::envelope::{MessageRecord, QueueId};

/// Largest state file read back (a message with the maximum number of recipients and
/// long diagnostics stays far below).
const MAX_STATE_FILE: u64 = 16 * 1024 * 1024;

/// The spool folder.
#[derive(Debug, Clone)]
pub(crate) struct Spool {
    root: PathBuf,
    tmp: PathBuf,
    messages: PathBuf,
}

/// What a start-up scan found.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// Committed messages.
    pub(crate) records: Vec<MessageRecord>,
    /// Leftovers removed: temporary files, and content or state without its partner
    /// (an enqueue that never returned).
    pub(crate) removed: usize,
    /// State files that could not be read; kept in place for an administrator.
    pub(crate) unreadable: Vec<PathBuf>,
}

impl Spool {
    /// Opens (creating) the spool folder.
    pub(crate) fn open(root: &Path) -> io::Result<Spool> {
        let spool = Spool {
            root: root.to_path_buf(),
            tmp: root.join("tmp"),
            messages: root.join("messages"),
        };
        fs::create_dir_all(&spool.tmp)?;
        fs::create_dir_all(&spool.messages)?;
        sync_dir(&spool.root)?;
        Ok(spool)
    }

    /// The spool folder.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn content_path(&self, id: &QueueId) -> PathBuf {
        self.messages.join(format!("{id}.eml"))
    }

    fn state_path(&self, id: &QueueId) -> PathBuf {
        self.messages.join(format!("{id}.json"))
    }

    /// Where the content of a message being received is written.
    pub(crate) fn tmp_content_path(&self, id: &QueueId) -> PathBuf {
        self.tmp.join(format!("{id}.eml"))
    }

    /// The file another process makes to ask the running queue to flush.
    pub(crate) fn flush_request_path(&self) -> PathBuf {
        self.root.join("flush-request")
    }

    /// Makes a received message durable: its content (already written and synced at
    /// `tmp_content`) and its first state move into `messages/`, state last.
    pub(crate) fn commit(&self, tmp_content: &Path, record: &MessageRecord) -> io::Result<()> {
        fs::rename(tmp_content, self.content_path(&record.id))?;
        self.write_state_file(record)?;
        sync_dir(&self.messages)
    }

    /// Replaces a message's state atomically and durably.
    pub(crate) fn save(&self, record: &MessageRecord) -> io::Result<()> {
        self.write_state_file(record)?;
        sync_dir(&self.messages)
    }

    fn write_state_file(&self, record: &MessageRecord) -> io::Result<()> {
        let bytes = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
        let tmp = self.tmp.join(format!("{}.json", record.id));
        write_synced(&tmp, &bytes)?;
        fs::rename(&tmp, self.state_path(&record.id))
    }

    /// Removes a finished message: state first (then it is no longer queued), content
    /// after.
    pub(crate) fn remove(&self, id: &QueueId) -> io::Result<()> {
        remove_if_present(&self.state_path(id))?;
        sync_dir(&self.messages)?;
        remove_if_present(&self.content_path(id))
    }

    /// Reads a message's content.
    pub(crate) fn read_content(&self, id: &QueueId) -> io::Result<Vec<u8>> {
        fs::read(self.content_path(id))
    }

    /// Removes leftovers and loads every committed message.
    pub(crate) fn recover(&self) -> io::Result<Recovered> {
        let mut recovered = Recovered::default();
        for entry in fs::read_dir(&self.tmp)? {
            let path = entry?.path();
            if path.is_file() {
                fs::remove_file(&path)?;
                recovered.removed += 1;
            }
        }
        let mut contents = Vec::new();
        let mut states = Vec::new();
        for entry in fs::read_dir(&self.messages)? {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if let Some(id) = name.strip_suffix(".eml").and_then(QueueId::parse) {
                contents.push(id);
            } else if let Some(id) = name.strip_suffix(".json").and_then(QueueId::parse) {
                states.push(id);
            }
        }
        contents.sort();
        states.sort();
        for id in &contents {
            if states.binary_search(id).is_err() {
                // Content without state: the enqueue did not return, nobody was told 250.
                remove_if_present(&self.content_path(id))?;
                recovered.removed += 1;
            }
        }
        for id in &states {
            if contents.binary_search(id).is_err() {
                // State without content can only be an enqueue cut before its folder
                // sync (both renames are synced together), so it was never acknowledged.
                remove_if_present(&self.state_path(id))?;
                recovered.removed += 1;
                continue;
            }
            match read_record(&self.state_path(id)) {
                Ok(record) if record.id == *id => recovered.records.push(record),
                _ => recovered.unreadable.push(self.state_path(id)),
            }
        }
        sync_dir(&self.messages)?;
        Ok(recovered)
    }

    /// Reads every committed message without changing anything (for `queue list` while
    /// the server runs).
    pub(crate) fn scan(&self) -> io::Result<Vec<MessageRecord>> {
        let mut records = Vec::new();
        for entry in fs::read_dir(&self.messages)? {
            let path = entry?.path();
            let is_state = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
                .and_then(QueueId::parse)
                .is_some();
            if is_state {
                if let Ok(record) = read_record(&path) {
                    records.push(record);
                }
            }
        }
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }
}

fn read_record(path: &Path) -> io::Result<MessageRecord> {
    let length = fs::metadata(path)?.len();
    if length > MAX_STATE_FILE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "state file too large",
        ));
    }
    let bytes = fs::read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Writes `bytes` to a new file at `path` and flushes it to the disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Flushes a folder's entries (new names, renames, removals) to the disk.
pub(crate) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
