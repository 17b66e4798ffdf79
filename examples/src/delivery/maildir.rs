//! Maildir storage: one folder per user, `DATA_DIR/mail/<mailbox>/Maildir/{tmp,new,cur}`,
//! the layout qmail defined and Dovecot, Courier and mutt read; the IMAP and POP3
//! servers read the same folders.
//!
//! A message is written to `tmp/` under a unique name, flushed (`fsync`), renamed into
//! `new/` and the `new/` folder is flushed: once [`MaildirStore::deliver`] returned, the
//! message survives a crash, and a reader never sees a partial file in `new/`.
//!
//! Unique names follow the Maildir convention `time.unique.host`, with the unique part
//! in the modern form `M<microseconds>P<pid>R<random>Q<counter>` (so two deliveries in
//! the same microsecond, from the same process or not, never collide), and the size
//! appended as `,S=<octets>` as Dovecot and Courier do, so that quota accounting reads
//! sizes from names.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::queue::{Clock, Random};

/// Longest mailbox name (a lower-cased address: 64 + 1 + 255 octets at most).
pub const MAX_MAILBOX_NAME: usize = 320;

/// The folder name of a mailbox, from a recipient address: the address lower-cased, if
/// it is a safe single path component (ASCII letters, digits, `.`, `-`, `_`, `+`, `@`;
/// not starting with a dot). `None` otherwise.
pub fn mailbox_name(address: &str) -> Option<String> {
    let name = address.to_ascii_lowercase();
    let safe = !name.is_empty()
        && name.len() <= MAX_MAILBOX_NAME
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+' | b'@'));
    safe.then_some(name)
}

/// Why a message was not stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The mailbox name is not a safe folder name.
    #[error("invalid mailbox name")]
    InvalidMailbox,
    /// Storing it would pass the mailbox's quota.
    #[error("mailbox full")]
    OverQuota {
        /// Octets in the mailbox now.
        used: u64,
        /// The quota.
        quota: u64,
    },
    /// The disk refused.
    #[error("maildir i/o error")]
    Io(#[from] io::Error),
}

/// How long a measured mailbox size is trusted before it is measured again (messages
/// removed by IMAP or POP3 clients free space only at the next measure).
const USAGE_TTL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy)]
struct Usage {
    octets: u64,
    measured: SystemTime,
}

/// The Maildirs of every local user under one folder.
#[derive(Debug)]
pub struct MaildirStore {
    root: PathBuf,
    hostname: String,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    counter: AtomicU64,
    default_quota: Option<u64>,
    quotas: HashMap<String, u64>,
    usage: Mutex<HashMap<String, Usage>>,
}

/// The host part of unique names: `/` and `:` are written `\057` and `\072` (the Maildir
/// convention), other unsafe octets dropped.
pub(crate) fn name_host(hostname: &str) -> String {
    let mut host = String::new();
    for c in hostname.chars() {
        match c {
            '/' => host.push_str("\\057"),
            ':' => host.push_str("\\072"),
            c if c.is_ascii_graphic() && c != ',' => host.push(c),
            _ => {}
        }
    }
    if host.is_empty() {
        host.push_str("localhost");
    }
    host
}

impl MaildirStore {
    /// A store under `root` (`DATA_DIR/mail`), naming files with `hostname`, with a
    /// default quota in octets for every mailbox (`None`: unlimited) and quotas for
    /// some mailboxes by name.
    pub fn new(
        root: impl Into<PathBuf>,
        hostname: &str,
        default_quota: Option<u64>,
        quotas: HashMap<String, u64>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Self {
        MaildirStore {
            root: root.into(),
            hostname: name_host(hostname),
            clock,
            random,
            counter: AtomicU64::new(0),
            default_quota,
            quotas,
            usage: Mutex::new(HashMap::new()),
        }
    }

    /// The Maildir folder of `mailbox` (which must be a [`mailbox_name`]).
    pub fn maildir(&self, mailbox: &str) -> Result<PathBuf, StoreError> {
        if mailbox_name(mailbox).as_deref() != Some(mailbox) {
            return Err(StoreError::InvalidMailbox);
        }
        Ok(self.root.join(mailbox).join("Maildir"))
    }

    /// The quota of `mailbox`, if any.
    pub fn quota(&self, mailbox: &str) -> Option<u64> {
        self.quotas.get(mailbox).copied().or(self.default_quota)
    }

    /// Creates `Maildir/{tmp,new,cur}` for `mailbox` if missing.
    pub fn create(&self, mailbox: &str) -> Result<PathBuf, StoreError> {
        let maildir = self.maildir(mailbox)?;
        if !maildir.join("cur").is_dir() {
            for sub in ["tmp", "new", "cur"] {
                fs::create_dir_all(maildir.join(sub))?;
            }
            sync_dir(&maildir)?;
            if let Some(parent) = maildir.parent() {
                sync_dir(parent)?;
            }
            sync_dir(&self.root)?;
        }
        Ok(maildir)
    }

    /// A new unique file name for a message of `size` octets.
    fn unique_name(&self, size: u64) -> String {
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

    /// Octets stored in `mailbox` (`new/` and `cur/`), measured from the names' `,S=`
    /// or from the files.
    pub fn measure(&self, mailbox: &str) -> Result<u64, StoreError> {
        let maildir = self.maildir(mailbox)?;
        let mut total = 0u64;
        for sub in ["new", "cur"] {
            let entries = match fs::read_dir(maildir.join(sub)) {
                Ok(entries) => entries,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error.into()),
            };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name();
                let from_name = name.to_str().and_then(size_from_name);
                let size = match from_name {
                    Some(size) => size,
                    None => entry.metadata().map(|m| m.len()).unwrap_or(0),
                };
                total = total.saturating_add(size);
            }
        }
        Ok(total)
    }

    fn usage(&self, mailbox: &str, fresh: bool) -> Result<u64, StoreError> {
        let now = self.clock.now();
        if !fresh {
            let cached = self
                .usage
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(mailbox)
                .copied();
            if let Some(usage) = cached {
                let age = now.duration_since(usage.measured).unwrap_or(Duration::ZERO);
                if age < USAGE_TTL {
                    return Ok(usage.octets);
                }
            }
        }
        let octets = self.measure(mailbox)?;
        self.usage.lock().unwrap_or_else(|p| p.into_inner()).insert(
            mailbox.to_string(),
            Usage {
                octets,
                measured: now,
            },
        );
        Ok(octets)
    }

    /// Stores one message for `mailbox`: `prefix` (the delivery's own header fields,
    /// such as Return-Path and Delivered-To) then `content`. Returns the path in `new/`.
    /// Blocks (file writes and fsync): call it from a blocking task.
    pub fn deliver(
        &self,
        mailbox: &str,
        prefix: &[u8],
        content: &[u8],
    ) -> Result<PathBuf, StoreError> {
        let size = (prefix.len() + content.len()) as u64;
        if let Some(quota) = self.quota(mailbox) {
            let mut used = self.usage(mailbox, false)?;
            if used.saturating_add(size) > quota {
                // Measure again before refusing: mail may have been removed since.
                used = self.usage(mailbox, true)?;
                if used.saturating_add(size) > quota {
                    return Err(StoreError::OverQuota { used, quota });
                }
            }
        }
        let maildir = self.create(mailbox)?;
        let name = self.unique_name(size);
        let tmp = maildir.join("tmp").join(&name);
        let new = maildir.join("new").join(&name);
        let written = (|| -> io::Result<()> {
            let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            file.write_all(prefix)?;
            file.write_all(content)?;
            file.sync_all()?;
            fs::rename(&tmp, &new)?;
            sync_dir(&maildir.join("new"))
        })();
        if let Err(error) = written {
            let _ = fs::remove_file(&tmp);
            return Err(error.into());
        }
        if let Some(usage) = self
            .usage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(mailbox)
        {
            usage.octets = usage.octets.saturating_add(size);
        }
        Ok(new)
    }
}

/// The `,S=<size>` of a Maildir file name.
pub(crate) fn size_from_name(name: &str) -> Option<u64> {
    let start = name.find(",S=")? + 3;
    let digits: String = name
        .get(start..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn sync_dir(path: &Path) -> io::Result<()> {
    fs::File::open(path)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{ManualClock, SeededRandom};

    fn temp_root(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!(
            "mailwire-maildir-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        fs::create_dir_all(&root).unwrap();
        root
    }

    #[test]
    fn mailbox_names_are_safe_path_components() {
        assert_eq!(
            mailbox_name("Bob@Example.COM").as_deref(),
            Some("bob@example.com")
        );
        assert_eq!(mailbox_name("../etc"), None);
        assert_eq!(mailbox_name("a/b@c"), None);
        assert_eq!(mailbox_name(".hidden@x"), None);
        assert_eq!(mailbox_name(""), None);
        assert_eq!(mailbox_name("\"a b\"@x"), None);
    }

    #[test]
    fn messages_land_in_new_with_unique_names_and_sizes() {
        let root = temp_root("names");
        let clock = ManualClock::new(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        let store = MaildirStore::new(
            &root,
            "mx/1:a",
            None,
            HashMap::new(),
            Arc::new(clock),
            Arc::new(SeededRandom::new(1)),
        );
        let first = store
            .deliver("bob@x.test", b"Delivered-To: bob@x.test\r\n", b"a\r\n")
            .unwrap();
        let second = store.deliver("bob@x.test", b"", b"b\r\n").unwrap();
        assert_ne!(first, second);
        let name = first.file_name().unwrap().to_str().unwrap().to_string();
        assert!(name.starts_with("1700000000.M0P"), "{name}");
        assert!(name.contains(".mx\\0571\\072a,S=29"), "{name}");
        assert_eq!(
            fs::read(&first).unwrap(),
            b"Delivered-To: bob@x.test\r\na\r\n"
        );
        let maildir = store.maildir("bob@x.test").unwrap();
        assert!(maildir.join("cur").is_dir());
        assert_eq!(fs::read_dir(maildir.join("tmp")).unwrap().count(), 0);
        assert_eq!(store.measure("bob@x.test").unwrap(), 29 + 3);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_full_mailbox_refuses_until_space_is_freed() {
        let root = temp_root("quota");
        let mut quotas = HashMap::new();
        quotas.insert(String::from("small@x.test"), 10);
        let store = MaildirStore::new(
            &root,
            "host",
            None,
            quotas,
            Arc::new(ManualClock::new(UNIX_EPOCH)),
            Arc::new(SeededRandom::new(2)),
        );
        let kept = store.deliver("small@x.test", b"", b"12345678").unwrap();
        assert!(matches!(
            store.deliver("small@x.test", b"", b"123"),
            Err(StoreError::OverQuota { used: 8, quota: 10 })
        ));
        // Unlimited mailboxes are not affected.
        store.deliver("big@x.test", b"", &[b'x'; 100]).unwrap();
        // A reader removed the message: the refusal measures again and accepts.
        fs::remove_file(kept).unwrap();
        store.deliver("small@x.test", b"", b"123").unwrap();
        fs::remove_dir_all(&root).unwrap();
    }
}
