//! The user store: the local mailboxes and their passwords, in one text file under the
//! data folder.
//!
//! Each line is `address hash`, where `hash` is an Argon2id hash in the PHC string
//! format (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`, the RustCrypto `argon2` crate with
//! its default cost, which follows the OWASP recommendation); `#` starts a comment line.
//! Passwords are never stored or logged in clear.
//!
//! Addresses are kept in lower case: a user's local part is matched without regard to
//! case (as nearly every mail system does), and so is the domain.
//!
//! The file is replaced atomically (written beside, flushed, renamed, folder flushed), so
//! a running server that re-reads it (it does whenever the file's size or time changed)
//! sees either the old or the new set of users, never a half-written one. Two
//! administrators adding users at the same instant may lose one of the two additions
//! (the last rename wins); the file has no lock.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::SystemTime;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use mailwire_smtp::types::{Host, Mailbox};

/// Longest password accepted (PLAIN and LOGIN carry at most 255 octets, RFC 4616 §2).
pub const MAX_PASSWORD_LEN: usize = 255;

/// Length of the random salt given to [`UserStore::set_password`], in octets (16, as
/// the PHC string format recommends).
pub const SALT_LEN: usize = 16;

/// Why a user-store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// Reading or writing the file failed.
    #[error("user file i/o error")]
    Io(#[from] io::Error),
    /// The address is not a plain `local@domain` mailbox (no quoted local part, no
    /// address literal).
    #[error("not a valid mailbox address")]
    InvalidAddress,
    /// The password is empty, too long, or holds a NUL.
    #[error("the password must be 1 to 255 octets without nul")]
    InvalidPassword,
    /// A line of the file is neither a comment nor `address hash`.
    #[error("line {line} of the user file is malformed")]
    Malformed {
        /// The line number, from 1.
        line: usize,
    },
    /// The hash could not be computed.
    #[error("password hashing failed")]
    Hash,
}

/// What [`UserStore::set_password`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    /// A new user was added.
    Added,
    /// The user existed; its password was replaced.
    Replaced,
}

/// What identifies a version of the file, to notice a change by another process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
    /// Every rewrite is a new file (rename), so a new inode even within one tick of the
    /// file system's clock.
    inode: u64,
}

#[derive(Debug, Default)]
struct Loaded {
    users: BTreeMap<String, String>,
    stamp: Option<FileStamp>,
}

/// The user store; see the [module docs](self). Share it with an `Arc`.
#[derive(Debug)]
pub struct UserStore {
    path: PathBuf,
    loaded: Mutex<Loaded>,
}

/// Normalizes a user address: a plain `local@domain` mailbox, in lower case.
///
/// ```
/// use mailwire_examples::users::normalize_address;
/// assert_eq!(normalize_address("Demo@MailWire.test").as_deref(), Some("demo@mailwire.test"));
/// assert_eq!(normalize_address("\"a b\"@example.org"), None);
/// assert_eq!(normalize_address("a@[127.0.0.1]"), None);
/// assert_eq!(normalize_address("no-at-sign"), None);
/// ```
pub fn normalize_address(address: &str) -> Option<String> {
    let mailbox = Mailbox::parse(address).ok()?;
    if mailbox.local_part().is_quoted() || !matches!(mailbox.host(), Host::Domain(_)) {
        return None;
    }
    Some(address.to_lowercase())
}

fn lock(mutex: &Mutex<Loaded>) -> MutexGuard<'_, Loaded> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn stamp_of(path: &Path) -> io::Result<Option<FileStamp>> {
    match std::fs::metadata(path) {
        Ok(meta) => {
            #[cfg(unix)]
            let inode = std::os::unix::fs::MetadataExt::ino(&meta);
            #[cfg(not(unix))]
            let inode = 0;
            Ok(Some(FileStamp {
                modified: meta.modified().ok(),
                len: meta.len(),
                inode,
            }))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

fn parse_file(text: &str) -> Result<BTreeMap<String, String>, UserError> {
    let mut users = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let malformed = UserError::Malformed { line: index + 1 };
        let mut words = line.split_whitespace();
        let (Some(address), Some(hash), None) = (words.next(), words.next(), words.next()) else {
            return Err(malformed);
        };
        let address = normalize_address(address).ok_or(UserError::Malformed { line: index + 1 })?;
        if PasswordHash::new(hash).is_err() {
            return Err(malformed);
        }
        users.insert(address, hash.to_string());
    }
    Ok(users)
}

/// A hash to verify against when the user does not exist, so that an unknown user costs
/// the same time as a wrong password (no user enumeration by timing).
fn dummy_hash() -> Option<&'static str> {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    DUMMY
        .get_or_init(|| {
            let salt = SaltString::encode_b64(b"mailwire-no-user").ok()?;
            Argon2::default()
                .hash_password(b"no such user", &salt)
                .ok()
                .map(|hash| hash.to_string())
        })
        .as_deref()
}

impl UserStore {
    /// A store kept in the file `path` (which need not exist yet: the store is then
    /// empty).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        UserStore {
            path: path.into(),
            loaded: Mutex::new(Loaded::default()),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the file exists.
    pub fn file_exists(&self) -> bool {
        self.path.exists()
    }

    /// Re-reads the file if it changed since the last read. A file that became
    /// unreadable or malformed keeps the previous users (and the error is returned).
    pub fn refresh(&self) -> Result<(), UserError> {
        let stamp = stamp_of(&self.path)?;
        let mut loaded = lock(&self.loaded);
        if loaded.stamp == stamp && (stamp.is_some() || loaded.users.is_empty()) {
            return Ok(());
        }
        let users = match stamp {
            None => BTreeMap::new(),
            Some(_) => parse_file(&std::fs::read_to_string(&self.path)?)?,
        };
        loaded.users = users;
        loaded.stamp = stamp;
        Ok(())
    }

    fn refreshed(&self) -> MutexGuard<'_, Loaded> {
        if let Err(error) = self.refresh() {
            tracing::error!(path = %self.path.display(), %error, "users: cannot read the user file");
        }
        lock(&self.loaded)
    }

    /// True when `address` is a user (case-insensitive).
    pub fn contains(&self, address: &str) -> bool {
        self.refreshed()
            .users
            .contains_key(&address.to_ascii_lowercase())
    }

    /// The users' addresses, sorted.
    pub fn addresses(&self) -> Vec<String> {
        self.refreshed().users.keys().cloned().collect()
    }

    /// Checks `password` for `address`. Costs one Argon2 verification (tens of
    /// milliseconds and 19 MiB) whether or not the user exists: call it off the async
    /// threads (`spawn_blocking`).
    pub fn verify(&self, address: &str, password: &str) -> bool {
        let stored = self
            .refreshed()
            .users
            .get(&address.to_ascii_lowercase())
            .cloned();
        let (hash, known) = match stored.as_deref() {
            Some(hash) => (hash, true),
            None => match dummy_hash() {
                Some(hash) => (hash, false),
                None => return false,
            },
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        matches && known
    }

    /// Adds the user `address`, or replaces its password, hashing `password` with
    /// `salt` (random octets from the caller: [`SALT_LEN`] of them). The file is
    /// rewritten atomically.
    pub fn set_password(
        &self,
        address: &str,
        password: &str,
        salt: &[u8; SALT_LEN],
    ) -> Result<PasswordChange, UserError> {
        let address = normalize_address(address).ok_or(UserError::InvalidAddress)?;
        if password.is_empty() || password.len() > MAX_PASSWORD_LEN || password.contains('\0') {
            return Err(UserError::InvalidPassword);
        }
        let salt = SaltString::encode_b64(salt).map_err(|_| UserError::Hash)?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|_| UserError::Hash)?
            .to_string();
        // Read the file as it is now (another process may have changed it), then
        // write the new version.
        let stamp = stamp_of(&self.path)?;
        let mut users = match stamp {
            None => BTreeMap::new(),
            Some(_) => parse_file(&std::fs::read_to_string(&self.path)?)?,
        };
        let change = match users.insert(address, hash) {
            None => PasswordChange::Added,
            Some(_) => PasswordChange::Replaced,
        };
        self.write(&users)?;
        let mut loaded = lock(&self.loaded);
        loaded.stamp = stamp_of(&self.path)?;
        loaded.users = users;
        Ok(change)
    }

    fn write(&self, users: &BTreeMap<String, String>) -> Result<(), UserError> {
        let mut text = String::from(
            "# mailwire users: one \"address argon2-hash\" per line; \
             add or change with `mailserver user add ADDRESS`\n",
        );
        for (address, hash) in users {
            text.push_str(address);
            text.push(' ');
            text.push_str(hash);
            text.push('\n');
        }
        let folder = match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&folder)?;
        let file_name = self
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| String::from("users"));
        let temporary = folder.join(format!(".{file_name}.tmp"));
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                // Hashes are not passwords, but nobody else needs to read them.
                options.mode(0o600);
            }
            let mut file = options.open(&temporary)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
        }
        std::fs::rename(&temporary, &self.path)?;
        // The rename lives in the folder: flush it too (best effort where folders
        // cannot be opened).
        if let Ok(dir) = std::fs::File::open(&folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// The delivery agent knows the users through the store: each user's mailbox is named
/// after its address.
impl crate::delivery::LocalMailboxes for UserStore {
    fn mailbox(&self, address: &str) -> Option<String> {
        let address = normalize_address(address)?;
        if self.contains(&address) {
            crate::delivery::mailbox_name(&address)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mailwire-users-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("users")
    }

    #[test]
    fn add_verify_and_reload() {
        let path = temp_path("add");
        let store = UserStore::new(&path);
        assert!(!store.contains("a@example.org"));
        assert_eq!(
            store
                .set_password("A@Example.org", "secret one", &[1; SALT_LEN])
                .unwrap(),
            PasswordChange::Added
        );
        assert!(store.contains("a@example.org"));
        assert!(store.verify("a@EXAMPLE.org", "secret one"));
        assert!(!store.verify("a@example.org", "secret two"));
        assert!(!store.verify("b@example.org", "secret one"));
        // The file holds the hash, never the password.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("a@example.org $argon2id$"));
        assert!(!text.contains("secret one"));
        // Another process (a second store on the same file) adds a user: seen at once.
        let other = UserStore::new(&path);
        assert_eq!(
            other
                .set_password("a@example.org", "secret two", &[2; SALT_LEN])
                .unwrap(),
            PasswordChange::Replaced
        );
        other
            .set_password("b@example.org", "bee", &[3; SALT_LEN])
            .unwrap();
        assert!(store.contains("b@example.org"));
        assert!(store.verify("a@example.org", "secret two"));
        assert!(!store.verify("a@example.org", "secret one"));
        assert_eq!(store.addresses(), ["a@example.org", "b@example.org"]);
        use crate::delivery::LocalMailboxes;
        assert_eq!(
            store.mailbox("B@example.org").as_deref(),
            Some("b@example.org")
        );
        assert_eq!(store.mailbox("c@example.org"), None);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn refuses_bad_addresses_passwords_and_lines() {
        let path = temp_path("bad");
        let store = UserStore::new(&path);
        for address in ["", "plain", "\"q r\"@example.org", "a@[192.0.2.1]", "a@-x-"] {
            assert!(matches!(
                store.set_password(address, "pw", &[0; SALT_LEN]),
                Err(UserError::InvalidAddress)
            ));
        }
        for password in ["", "a\0b", &"x".repeat(256)] {
            assert!(matches!(
                store.set_password("a@example.org", password, &[0; SALT_LEN]),
                Err(UserError::InvalidPassword)
            ));
        }
        std::fs::write(&path, "# comment\n\nuser@example.org not-a-hash\n").unwrap();
        assert!(matches!(
            store.refresh(),
            Err(UserError::Malformed { line: 3 })
        ));
        assert!(!store.contains("user@example.org"));
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
