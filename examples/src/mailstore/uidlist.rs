//! The per-folder `mailwire-uidlist` file: what Maildir itself does not keep.
//!
//! ```text
//! mailwire-uidlist 1
//! uidvalidity 1700000000
//! uidnext 4
//! highestmodseq 7
//! firstrecent 3
//! 1 2 S 1700000000.M1P2R3Q0.host,S=120
//! 3 7 - 1700000100.M5P2R9Q1.host,S=80 $Forwarded Work
//! ```
//!
//! One line per message, in UID order: UID, MODSEQ, the flags last seen in its file
//! name (`-` for none; a difference means another program changed them), the Maildir
//! base name, then its keywords. Base names and keywords are written with `%XX` for
//! `%` and octets outside printable ASCII, so fields never contain spaces. Messages
//! from `firstrecent` on have not been seen by a read-write session yet (\Recent).
//!
//! The file is replaced atomically: written under a temporary name, flushed, renamed.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::flags::FlagSet;

/// The file name inside a Maildir folder.
pub const UIDLIST_FILE: &str = "mailwire-uidlist";

const MAGIC: &str = "mailwire-uidlist 1";

/// One message's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) uid: u32,
    pub(crate) modseq: u64,
    pub(crate) flags: FlagSet,
    pub(crate) base: String,
    pub(crate) keywords: Vec<String>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UidList {
    pub(crate) uid_validity: u32,
    pub(crate) uid_next: u32,
    pub(crate) highest_modseq: u64,
    pub(crate) first_recent: u32,
    pub(crate) records: Vec<Record>,
}

impl UidList {
    pub(crate) fn new(uid_validity: u32) -> UidList {
        UidList {
            uid_validity,
            uid_next: 1,
            highest_modseq: 1,
            first_recent: 1,
            records: Vec::new(),
        }
    }

    /// The next MODSEQ, recorded as the highest.
    pub(crate) fn next_modseq(&mut self) -> u64 {
        self.highest_modseq = self.highest_modseq.saturating_add(1);
        self.highest_modseq
    }

    /// The next UID, `None` when UIDs are exhausted (the folder needs a new
    /// UIDVALIDITY).
    pub(crate) fn next_uid(&mut self) -> Option<u32> {
        let uid = self.uid_next;
        self.uid_next = uid.checked_add(1)?;
        Some(uid)
    }

    pub(crate) fn encode(&self) -> String {
        let mut text = format!(
            "{MAGIC}\nuidvalidity {}\nuidnext {}\nhighestmodseq {}\nfirstrecent {}\n",
            self.uid_validity, self.uid_next, self.highest_modseq, self.first_recent
        );
        for record in &self.records {
            let letters = record.flags.letters();
            text.push_str(&format!(
                "{} {} {} {}",
                record.uid,
                record.modseq,
                if letters.is_empty() { "-" } else { &letters },
                escape(&record.base)
            ));
            for keyword in &record.keywords {
                text.push(' ');
                text.push_str(&escape(keyword));
            }
            text.push('\n');
        }
        text
    }

    /// Parses a file; `None` when it is damaged (the caller rebuilds the folder's UIDs
    /// under a new UIDVALIDITY, as Dovecot does).
    pub(crate) fn decode(text: &str) -> Option<UidList> {
        let mut lines = text.lines();
        if lines.next()? != MAGIC {
            return None;
        }
        let mut header = |key: &str| -> Option<u64> {
            let line = lines.next()?;
            line.strip_prefix(key)?.strip_prefix(' ')?.parse().ok()
        };
        let uid_validity = u32::try_from(header("uidvalidity")?).ok()?;
        let uid_next = u32::try_from(header("uidnext")?).ok()?;
        let highest_modseq = header("highestmodseq")?;
        let first_recent = u32::try_from(header("firstrecent")?).ok()?;
        let mut records: Vec<Record> = Vec::new();
        for line in lines {
            let mut fields = line.split(' ');
            let uid: u32 = fields.next()?.parse().ok()?;
            let modseq: u64 = fields.next()?.parse().ok()?;
            let letters = fields.next()?;
            let base = unescape(fields.next()?)?;
            let keywords = fields.map(unescape).collect::<Option<Vec<_>>>()?;
            let ascending = records.last().is_none_or(|last| last.uid < uid);
            if uid == 0 || uid >= uid_next || !ascending || base.is_empty() {
                return None;
            }
            records.push(Record {
                uid,
                modseq,
                flags: if letters == "-" {
                    FlagSet::default()
                } else {
                    FlagSet::from_letters(letters)
                },
                base,
                keywords,
            });
        }
        (uid_validity != 0).then_some(UidList {
            uid_validity,
            uid_next,
            highest_modseq,
            first_recent,
            records,
        })
    }

    /// Reads the file of `folder`: `Ok(None)` when there is none.
    pub(crate) fn read(folder: &Path) -> io::Result<Option<String>> {
        match fs::read_to_string(folder.join(UIDLIST_FILE)) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) if error.kind() == io::ErrorKind::InvalidData => Ok(Some(String::new())),
            Err(error) => Err(error),
        }
    }

    /// Replaces the file of `folder` atomically.
    pub(crate) fn write(&self, folder: &Path) -> io::Result<()> {
        let temporary = folder.join(format!("{UIDLIST_FILE}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&temporary)?;
            file.write_all(self.encode().as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, folder.join(UIDLIST_FILE))
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for octet in text.bytes() {
        if octet.is_ascii_graphic() && octet != b'%' {
            escaped.push(char::from(octet));
        } else {
            escaped.push_str(&format!("%{octet:02X}"));
        }
    }
    escaped
}

fn unescape(text: &str) -> Option<String> {
    let mut octets = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(octet) = bytes.next() {
        if octet == b'%' {
            let pair = [bytes.next()?, bytes.next()?];
            let hex = std::str::from_utf8(&pair).ok()?;
            octets.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            octets.push(octet);
        }
    }
    String::from_utf8(octets).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailstore::Flag;

    #[test]
    fn the_file_round_trips() {
        let list = UidList {
            uid_validity: 1_700_000_000,
            uid_next: 4,
            highest_modseq: 7,
            first_recent: 3,
            records: vec![
                Record {
                    uid: 1,
                    modseq: 2,
                    flags: FlagSet::from_flags(&[Flag::Seen]),
                    base: String::from("1.M1.host,S=1"),
                    keywords: Vec::new(),
                },
                Record {
                    uid: 3,
                    modseq: 7,
                    flags: FlagSet::default(),
                    base: String::from("odd name%"),
                    keywords: vec![String::from("$Forwarded"), String::from("Work")],
                },
            ],
        };
        let text = list.encode();
        assert!(
            text.contains("\n3 7 - odd%20name%25 $Forwarded Work\n"),
            "{text}"
        );
        assert_eq!(UidList::decode(&text), Some(list));
    }

    #[test]
    fn damaged_files_are_refused() {
        assert_eq!(UidList::decode(""), None);
        let good = UidList::new(5).encode();
        assert!(UidList::decode(&good).is_some());
        assert_eq!(UidList::decode(&format!("{good}1 1 - a\n1 1 - b\n")), None);
        assert_eq!(UidList::decode(&format!("{good}9 1 - a\n")), None);
        assert_eq!(UidList::decode(&format!("{good}x\n")), None);
        assert_eq!(
            UidList::decode(&good.replace("uidvalidity 5", "uidvalidity 0")),
            None
        );
    }
}
