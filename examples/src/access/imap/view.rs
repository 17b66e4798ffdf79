//! The client's view of its selected mailbox: which message has which number, and
//! which changes the client has not been told about yet.
//!
//! The store always tells the mailbox as it is on disk. A client, however, may only
//! see messages vanish when an `EXPUNGE` (or `VANISHED`) response may be sent: not
//! while a FETCH, STORE or SEARCH by message numbers is answered (RFC 3501 §7.4.1),
//! never between commands. So the view keeps a message that disappeared (`gone`) at
//! its number until an expunge report is allowed, and remembers flag changes made by
//! others until they are reported as `FETCH (FLAGS ...)`.

use std::collections::BTreeSet;
use std::num::{NonZeroU32, NonZeroU64};
use std::time::SystemTime;

use mailwire_imap::types::{
    Atom, Data, Flag, FlagFetch, MessageDataItem, NonEmpty, SeqNumber, SequenceItem, SequenceSet,
};

use crate::mailstore::{Flag as StoreFlag, MessageInfo};

/// One message as the client knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// Its UID.
    pub(super) uid: u32,
    /// Its system flags.
    pub(super) flags: Vec<StoreFlag>,
    /// Its keywords.
    pub(super) keywords: Vec<String>,
    /// `\Recent` for this session.
    pub(super) recent: bool,
    /// Its size in octets.
    pub(super) size: u64,
    /// When it arrived.
    pub(super) internal_date: SystemTime,
    /// Its mod-sequence (RFC 7162).
    pub(super) modseq: u64,
    /// Expunged in the store, not yet reported to the client.
    pub(super) gone: bool,
}

impl Entry {
    fn from_info(info: &MessageInfo) -> Entry {
        Entry {
            uid: info.uid,
            flags: info.flags.clone(),
            keywords: info.keywords.clone(),
            recent: info.recent,
            size: info.size,
            internal_date: info.internal_date,
            modseq: info.modseq,
            gone: false,
        }
    }

    /// True when the message carries `flag`.
    pub(super) fn has(&self, flag: StoreFlag) -> bool {
        self.flags.contains(&flag)
    }

    /// True when the message carries `keyword` (compared without regard to case).
    pub(super) fn has_keyword(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|known| known.eq_ignore_ascii_case(keyword))
    }

    /// The flags as a FETCH response gives them.
    pub(super) fn fetch_flags(&self) -> Vec<FlagFetch<'static>> {
        let mut flags: Vec<FlagFetch<'static>> = self
            .flags
            .iter()
            .map(|flag| FlagFetch::Flag(imap_flag(*flag)))
            .collect();
        flags.extend(
            self.keywords
                .iter()
                .filter_map(|keyword| Atom::new(keyword.clone()).ok())
                .map(|atom| FlagFetch::Flag(Flag::Keyword(atom))),
        );
        if self.recent {
            flags.push(FlagFetch::Recent);
        }
        flags
    }
}

/// The IMAP flag of a store flag.
pub(super) fn imap_flag(flag: StoreFlag) -> Flag<'static> {
    match flag {
        StoreFlag::Seen => Flag::Seen,
        StoreFlag::Answered => Flag::Answered,
        StoreFlag::Flagged => Flag::Flagged,
        StoreFlag::Deleted => Flag::Deleted,
        StoreFlag::Draft => Flag::Draft,
    }
}

/// The store's system flags and keywords among IMAP flags; extension flags
/// (`\Something` this server does not know) are left out.
pub(super) fn split_flags(flags: &[Flag<'_>]) -> (Vec<StoreFlag>, Vec<String>) {
    let mut system = Vec::new();
    let mut keywords: Vec<String> = Vec::new();
    for flag in flags {
        let store = match flag {
            Flag::Seen => StoreFlag::Seen,
            Flag::Answered => StoreFlag::Answered,
            Flag::Flagged => StoreFlag::Flagged,
            Flag::Deleted => StoreFlag::Deleted,
            Flag::Draft => StoreFlag::Draft,
            Flag::Keyword(atom) => {
                let keyword = atom.as_str();
                if !keywords
                    .iter()
                    .any(|known| known.eq_ignore_ascii_case(keyword))
                {
                    keywords.push(keyword.to_string());
                }
                continue;
            }
            Flag::Extension(_) => continue,
        };
        if !system.contains(&store) {
            system.push(store);
        }
    }
    (system, keywords)
}

/// What [`View::updates`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Reporting {
    /// EXPUNGE (or VANISHED) may be sent now.
    pub(super) expunge_allowed: bool,
    /// QRESYNC is on: VANISHED instead of EXPUNGE.
    pub(super) vanished: bool,
    /// CONDSTORE is on: MODSEQ in FETCH responses.
    pub(super) modseq: bool,
}

/// The client's view; see the [module docs](self).
#[derive(Debug, Clone, Default)]
pub(super) struct View {
    entries: Vec<Entry>,
    /// UIDs whose flags changed since they were last reported.
    changed: BTreeSet<u32>,
    /// The EXISTS count the client knows.
    reported_exists: usize,
}

impl View {
    /// The view of a mailbox just selected (its EXISTS and RECENT are sent by SELECT).
    pub(super) fn new(messages: &[MessageInfo]) -> View {
        let entries: Vec<Entry> = messages.iter().map(Entry::from_info).collect();
        View {
            reported_exists: entries.len(),
            entries,
            changed: BTreeSet::new(),
        }
    }

    /// The messages, by message number (index + 1).
    pub(super) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many messages the client knows.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// How many are `\Recent`.
    pub(super) fn recent(&self) -> usize {
        self.entries.iter().filter(|entry| entry.recent).count()
    }

    /// The highest UID the client knows, 0 when the mailbox is empty.
    pub(super) fn max_uid(&self) -> u32 {
        self.entries.last().map_or(0, |entry| entry.uid)
    }

    /// The message number of `uid`, if the client knows it.
    pub(super) fn seq_of(&self, uid: u32) -> Option<u32> {
        let index = self
            .entries
            .binary_search_by_key(&uid, |entry| entry.uid)
            .ok()?;
        u32::try_from(index + 1).ok()
    }

    /// The entry of `uid`.
    pub(super) fn entry(&self, uid: u32) -> Option<&Entry> {
        let index = self
            .entries
            .binary_search_by_key(&uid, |entry| entry.uid)
            .ok()?;
        self.entries.get(index)
    }

    /// The indexes of the messages `set` names: message numbers, or UIDs with `uid`.
    /// `*` is the last message (its UID for `uid`); a UID range ending in `*` includes
    /// the last message even when its UID is below the range's start (RFC 3501 §6.4.8).
    pub(super) fn select(&self, set: &SequenceSet, uid: bool) -> Vec<usize> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let largest = if uid {
            self.max_uid()
        } else {
            u32::try_from(self.entries.len()).unwrap_or(u32::MAX)
        };
        let mut found = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let number = if uid {
                entry.uid
            } else {
                u32::try_from(index + 1).unwrap_or(u32::MAX)
            };
            if set.contains(number, largest) {
                found.push(index);
            }
        }
        found
    }

    /// True when the message numbers of `set` exceed what the client knows (a client
    /// error: RFC 9051 §6.4.5 says BAD).
    pub(super) fn out_of_range(&self, set: &SequenceSet) -> bool {
        let count = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        match set {
            SequenceSet::Saved => true,
            SequenceSet::Items(items) => items.iter().any(|item| {
                let beyond = |number: &SeqNumber| match number {
                    SeqNumber::Value(value) => value.get() > count,
                    SeqNumber::Largest => count == 0,
                };
                match item {
                    SequenceItem::Single(number) => beyond(number),
                    SequenceItem::Range(from, to) => beyond(from) && beyond(to),
                }
            }),
        }
    }

    /// Merges the store's current list of messages (ordered by UID): new messages are
    /// added at the end, changed flags remembered for a report, vanished ones marked
    /// `gone`.
    pub(super) fn sync(&mut self, messages: &[MessageInfo]) {
        let mut current = messages.iter().peekable();
        for entry in &mut self.entries {
            while current.peek().is_some_and(|info| info.uid < entry.uid) {
                // A message below a known UID that the view never had: cannot happen
                // with growing UIDs; skip it.
                current.next();
            }
            match current.peek() {
                Some(info) if info.uid == entry.uid => {
                    let Some(info) = current.next() else {
                        break;
                    };
                    if !entry.gone
                        && (entry.flags != info.flags
                            || entry.keywords != info.keywords
                            || entry.modseq != info.modseq)
                    {
                        let flags_differ =
                            entry.flags != info.flags || entry.keywords != info.keywords;
                        entry.flags = info.flags.clone();
                        entry.keywords = info.keywords.clone();
                        entry.modseq = info.modseq;
                        if flags_differ {
                            self.changed.insert(entry.uid);
                        }
                    }
                }
                _ => entry.gone = true,
            }
        }
        let max = self.max_uid();
        for info in current {
            if info.uid > max {
                self.entries.push(Entry::from_info(info));
            }
        }
    }

    /// Forgets a pending flag report for `uid` (the session reports it itself).
    pub(super) fn forget_change(&mut self, uid: u32) {
        self.changed.remove(&uid);
    }

    /// The untagged responses that bring the client up to date, as far as `reporting`
    /// allows; the view then matches what the client knows.
    pub(super) fn updates(&mut self, reporting: Reporting) -> Vec<Data<'static>> {
        let mut out = Vec::new();
        if reporting.expunge_allowed && self.entries.iter().any(|entry| entry.gone) {
            // Messages that came and went before the client heard of them leave quietly.
            let known = self.reported_exists.min(self.entries.len());
            let mut position = 0;
            self.entries.retain(|entry| {
                position += 1;
                position <= known || !entry.gone
            });
            if reporting.vanished {
                let uids: Vec<u32> = self
                    .entries
                    .iter()
                    .filter(|entry| entry.gone)
                    .map(|entry| entry.uid)
                    .collect();
                if let Some(uids) = compress(&uids) {
                    out.push(Data::Vanished {
                        earlier: false,
                        uids,
                    });
                }
            } else {
                // Highest number first: each EXPUNGE renumbers only what follows it.
                for (index, entry) in self.entries.iter().enumerate().rev() {
                    if entry.gone {
                        if let Some(number) = number_of(index) {
                            out.push(Data::Expunge(number));
                        }
                    }
                }
            }
            let gone = self.entries.iter().filter(|entry| entry.gone).count();
            for entry in self.entries.iter().filter(|entry| entry.gone) {
                self.changed.remove(&entry.uid);
            }
            self.entries.retain(|entry| !entry.gone);
            // Each EXPUNGE lowered the client's count by one.
            self.reported_exists = known.saturating_sub(gone);
        }
        if self.entries.len() != self.reported_exists {
            out.push(Data::Exists(
                u32::try_from(self.entries.len()).unwrap_or(u32::MAX),
            ));
            self.reported_exists = self.entries.len();
            // RFC 3501 §7.3.2: RECENT goes with every EXISTS.
            out.push(Data::Recent(
                u32::try_from(self.recent()).unwrap_or(u32::MAX),
            ));
        }
        let changed = std::mem::take(&mut self.changed);
        for uid in changed {
            let Some(index) = self
                .entries
                .binary_search_by_key(&uid, |entry| entry.uid)
                .ok()
            else {
                continue;
            };
            let Some(entry) = self.entries.get(index) else {
                continue;
            };
            if entry.gone {
                continue;
            }
            if let Some(data) = flags_response(index, entry, reporting.modseq) {
                out.push(data);
            }
        }
        out
    }
}

/// The message number of an index.
pub(super) fn number_of(index: usize) -> Option<NonZeroU32> {
    u32::try_from(index + 1).ok().and_then(NonZeroU32::new)
}

/// `* n FETCH (UID u FLAGS (...) [MODSEQ (m)])` for the entry at `index`.
pub(super) fn flags_response(index: usize, entry: &Entry, modseq: bool) -> Option<Data<'static>> {
    let number = number_of(index)?;
    let mut items = NonEmpty::new(MessageDataItem::Uid(NonZeroU32::new(entry.uid)?));
    items.push(MessageDataItem::Flags(entry.fetch_flags()));
    if modseq {
        if let Some(value) = NonZeroU64::new(entry.modseq) {
            items.push(MessageDataItem::ModSeq(value));
        }
    }
    Some(Data::Fetch {
        sequence_number: number,
        items,
    })
}

/// Ascending numbers as a sequence set of ranges (`1:3,7`); `None` when empty.
pub(super) fn compress(numbers: &[u32]) -> Option<SequenceSet> {
    let mut items: Vec<SequenceItem> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    let push = |items: &mut Vec<SequenceItem>, (from, to): (u32, u32)| {
        let (Some(from), Some(to)) = (NonZeroU32::new(from), NonZeroU32::new(to)) else {
            return;
        };
        items.push(if from == to {
            SequenceItem::Single(SeqNumber::Value(from))
        } else {
            SequenceItem::Range(SeqNumber::Value(from), SeqNumber::Value(to))
        });
    };
    for &number in numbers {
        run = match run {
            Some((from, to)) if to.checked_add(1) == Some(number) => Some((from, number)),
            Some(done) => {
                push(&mut items, done);
                Some((number, number))
            }
            None => Some((number, number)),
        };
    }
    if let Some(done) = run {
        push(&mut items, done);
    }
    NonEmpty::try_from(items).ok().map(SequenceSet::Items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(uid: u32, flags: &[StoreFlag]) -> MessageInfo {
        MessageInfo {
            uid,
            flags: flags.to_vec(),
            keywords: Vec::new(),
            recent: false,
            size: 10,
            internal_date: SystemTime::UNIX_EPOCH,
            modseq: u64::from(uid),
        }
    }

    #[test]
    fn expunges_wait_until_allowed_and_go_highest_first() {
        let mut view = View::new(&[info(1, &[]), info(2, &[]), info(3, &[]), info(5, &[])]);
        view.sync(&[info(1, &[]), info(3, &[]), info(7, &[])]);
        let held = Reporting {
            expunge_allowed: false,
            vanished: false,
            modseq: false,
        };
        // Numbers stay: 2 and 5 are gone but still 2nd and 4th; 7 is 5th.
        assert_eq!(view.updates(held), vec![Data::Exists(5), Data::Recent(0)]);
        assert_eq!(view.seq_of(7), Some(5));
        let allowed = Reporting {
            expunge_allowed: true,
            ..held
        };
        let nz = |n| NonZeroU32::new(n).unwrap();
        assert_eq!(
            view.updates(allowed),
            vec![Data::Expunge(nz(4)), Data::Expunge(nz(2))]
        );
        assert_eq!(view.len(), 3);
        assert_eq!(view.seq_of(7), Some(3));
        assert!(view.updates(allowed).is_empty());
    }

    #[test]
    fn flag_changes_are_reported_once() {
        let mut view = View::new(&[info(4, &[]), info(9, &[])]);
        let mut changed = info(9, &[StoreFlag::Seen]);
        changed.modseq = 20;
        view.sync(&[info(4, &[]), changed]);
        let reporting = Reporting {
            expunge_allowed: false,
            vanished: false,
            modseq: true,
        };
        let updates = view.updates(reporting);
        assert_eq!(updates.len(), 1);
        let Data::Fetch {
            sequence_number,
            items,
        } = &updates[0]
        else {
            panic!("{updates:?}");
        };
        assert_eq!(sequence_number.get(), 2);
        assert!(items.contains(&MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)])));
        assert!(items.contains(&MessageDataItem::ModSeq(NonZeroU64::new(20).unwrap())));
        assert!(view.updates(reporting).is_empty());
    }

    #[test]
    fn sets_resolve_star_and_uid_ranges() {
        let view = View::new(&[info(3, &[]), info(8, &[]), info(10, &[])]);
        let set = |text: &str| -> SequenceSet {
            let items: Vec<SequenceItem> = text
                .split(',')
                .map(|item| {
                    let number = |n: &str| {
                        if n == "*" {
                            SeqNumber::Largest
                        } else {
                            SeqNumber::Value(n.parse().unwrap())
                        }
                    };
                    match item.split_once(':') {
                        Some((a, b)) => SequenceItem::Range(number(a), number(b)),
                        None => SequenceItem::Single(number(item)),
                    }
                })
                .collect();
            SequenceSet::Items(NonEmpty::try_from(items).unwrap())
        };
        assert_eq!(view.select(&set("2:*"), false), vec![1, 2]);
        assert_eq!(view.select(&set("4:9"), true), vec![1]);
        // 11:* still names the last message.
        assert_eq!(view.select(&set("11:*"), true), vec![2]);
        assert!(view.out_of_range(&set("4")));
        assert!(view.out_of_range(&set("3,4:9")));
        assert!(!view.out_of_range(&set("3,2:9,*")));
        assert_eq!(
            compress(&[1, 2, 3, 7, 9, 10]).unwrap().to_string(),
            "1:3,7,9:10"
        );
    }
}
