//! SEARCH: every key of RFC 3501 §6.4.4 (and MODSEQ of RFC 7162) evaluated against a
//! message of the view, and the ESEARCH result (RFC 4731).
//!
//! Text keys (BCC, BODY, CC, FROM, HEADER, SUBJECT, TEXT, TO) match a substring
//! without regard to case (Unicode lower case on both sides), as RFC 3501 asks, over
//! decoded text: header values with their RFC 2047 encoded words decoded, and the
//! bodies of text parts with their transfer encoding undone and converted from their
//! charset to UTF-8. Parts that are not text (attachments, images) are not searched.
//! Dates: BEFORE/ON/SINCE look at the internal date's day in UTC; SENTBEFORE/SENTON/
//! SENTSINCE at the day of the Date field in its own zone (RFC 3501: "disregarding time
//! and timezone"); a message without a valid Date field matches none of them.

use std::num::{NonZeroU32, NonZeroU64};
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_imap::types::{Date, ESearchData, IString, SearchKey, SearchReturnOption};
use mailwire_mime::encoded_word::decode_unstructured;
use mailwire_mime::header::DateTime as MimeDateTime;
use mailwire_mime::tree::{Message, Part};

use super::view::{compress, Entry};
use crate::mailstore::Flag;

/// Where the message being tested stands.
pub(super) struct Candidate<'v> {
    /// Its message number.
    pub(super) number: u32,
    /// The view's entry.
    pub(super) entry: &'v Entry,
    /// The largest message number (`*`).
    pub(super) max_number: u32,
    /// The largest UID (`*` in `UID` keys).
    pub(super) max_uid: u32,
}

/// True when some key needs the message's content (header or body).
pub(super) fn needs_content(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::Bcc(_)
        | SearchKey::Body(_)
        | SearchKey::Cc(_)
        | SearchKey::From(_)
        | SearchKey::Header(..)
        | SearchKey::Subject(_)
        | SearchKey::Text(_)
        | SearchKey::To(_)
        | SearchKey::SentBefore(_)
        | SearchKey::SentOn(_)
        | SearchKey::SentSince(_) => true,
        SearchKey::Not(inner) => needs_content(inner),
        SearchKey::Or(left, right) => needs_content(left) || needs_content(right),
        SearchKey::And(keys) => keys.iter().any(needs_content),
        _ => false,
    }
}

/// True when some key is `MODSEQ` (the result then carries the highest mod-sequence).
pub(super) fn uses_modseq(key: &SearchKey<'_>) -> bool {
    match key {
        SearchKey::ModSeq { .. } => true,
        SearchKey::Not(inner) => uses_modseq(inner),
        SearchKey::Or(left, right) => uses_modseq(left) || uses_modseq(right),
        SearchKey::And(keys) => keys.iter().any(uses_modseq),
        _ => false,
    }
}

/// The day of a point in time, in UTC.
pub(super) fn utc_day(time: SystemTime) -> Option<(u16, u8, u8)> {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(duration) => i64::try_from(duration.as_secs()).ok()?,
        Err(error) => -i64::try_from(error.duration().as_secs()).ok()?,
    };
    let date = MimeDateTime::from_unix_timestamp(seconds, 0)?;
    Some((date.year(), date.month(), date.day()))
}

fn day_of(date: Date) -> (u16, u8, u8) {
    (date.year(), date.month(), date.day())
}

/// The needle of a text key, lower case.
fn needle(value: &IString<'_>) -> String {
    value.to_str_lossy().to_lowercase()
}

fn contains(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_lowercase().contains(needle)
}

/// True when a field named `name` of `part` contains `value` (decoded).
fn field_contains(part: &Part<'_>, name: &str, value: &str) -> bool {
    part.header()
        .iter()
        .filter(|field| field.name().eq_ignore_ascii_case(name))
        .any(|field| contains(&decode_unstructured(&field.unfolded_value()), value))
}

/// True when a text part of the message contains `value`.
fn body_contains(message: &Message<'_>, value: &str) -> bool {
    message.root().walk().any(|part| {
        let content_type = part.content_type();
        part.children().is_empty()
            && part.message().is_none()
            && content_type.is_text()
            && contains(&part.text(), value)
    })
}

/// True when a header field of the top-level message contains `value`.
fn header_contains(message: &Message<'_>, value: &str) -> bool {
    message.root().header().iter().any(|field| {
        let line = format!(
            "{}: {}",
            field.name(),
            decode_unstructured(&field.unfolded_value())
        );
        contains(&line, value)
    })
}

/// The day of the Date field, as the field gives it.
fn sent_day(message: &Message<'_>) -> Option<(u16, u8, u8)> {
    let date = message.root().header().date()?;
    Some((date.year(), date.month(), date.day()))
}

/// True when `candidate` matches `key`; `message` is its parsed content when a key
/// needs it (see [`needs_content`]; `None` then matches no content key).
pub(super) fn matches(
    key: &SearchKey<'_>,
    candidate: &Candidate<'_>,
    message: Option<&Message<'_>>,
) -> bool {
    let entry = candidate.entry;
    let text = |check: &dyn Fn(&Message<'_>) -> bool| message.is_some_and(check);
    match key {
        SearchKey::All => true,
        SearchKey::Answered => entry.has(Flag::Answered),
        SearchKey::Deleted => entry.has(Flag::Deleted),
        SearchKey::Draft => entry.has(Flag::Draft),
        SearchKey::Flagged => entry.has(Flag::Flagged),
        SearchKey::Seen => entry.has(Flag::Seen),
        SearchKey::Unanswered => !entry.has(Flag::Answered),
        SearchKey::Undeleted => !entry.has(Flag::Deleted),
        SearchKey::Undraft => !entry.has(Flag::Draft),
        SearchKey::Unflagged => !entry.has(Flag::Flagged),
        SearchKey::Unseen => !entry.has(Flag::Seen),
        SearchKey::Recent => entry.recent,
        SearchKey::New => entry.recent && !entry.has(Flag::Seen),
        SearchKey::Old => !entry.recent,
        SearchKey::Keyword(atom) => entry.has_keyword(atom.as_str()),
        SearchKey::Unkeyword(atom) => !entry.has_keyword(atom.as_str()),
        SearchKey::Larger(size) => entry.size > *size,
        SearchKey::Smaller(size) => entry.size < *size,
        SearchKey::Before(date) => utc_day(entry.internal_date).is_some_and(|d| d < day_of(*date)),
        SearchKey::On(date) => utc_day(entry.internal_date).is_some_and(|d| d == day_of(*date)),
        SearchKey::Since(date) => utc_day(entry.internal_date).is_some_and(|d| d >= day_of(*date)),
        SearchKey::SentBefore(date) => message
            .and_then(sent_day)
            .is_some_and(|d| d < day_of(*date)),
        SearchKey::SentOn(date) => message
            .and_then(sent_day)
            .is_some_and(|d| d == day_of(*date)),
        SearchKey::SentSince(date) => message
            .and_then(sent_day)
            .is_some_and(|d| d >= day_of(*date)),
        SearchKey::Bcc(value) => text(&|m| field_contains(m.root(), "Bcc", &needle(value))),
        SearchKey::Cc(value) => text(&|m| field_contains(m.root(), "Cc", &needle(value))),
        SearchKey::From(value) => text(&|m| field_contains(m.root(), "From", &needle(value))),
        SearchKey::To(value) => text(&|m| field_contains(m.root(), "To", &needle(value))),
        SearchKey::Subject(value) => text(&|m| field_contains(m.root(), "Subject", &needle(value))),
        SearchKey::Header(name, value) => {
            let name = name.to_str_lossy();
            text(&|m| field_contains(m.root(), &name, &needle(value)))
        }
        SearchKey::Body(value) => text(&|m| body_contains(m, &needle(value))),
        SearchKey::Text(value) => {
            let value = needle(value);
            text(&|m| header_contains(m, &value) || body_contains(m, &value))
        }
        SearchKey::Uid(set) => set.contains(entry.uid, candidate.max_uid),
        SearchKey::SequenceSet(set) => set.contains(candidate.number, candidate.max_number),
        SearchKey::ModSeq { mod_seq, .. } => entry.modseq >= *mod_seq,
        SearchKey::Not(inner) => !matches(inner, candidate, message),
        SearchKey::Or(left, right) => {
            matches(left, candidate, message) || matches(right, candidate, message)
        }
        SearchKey::And(keys) => keys.iter().all(|key| matches(key, candidate, message)),
    }
}

/// What ESEARCH returns, from `RETURN (...)`: `None` when an option is not supported
/// (SAVE: SEARCHRES is not offered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ReturnOptions {
    min: bool,
    max: bool,
    all: bool,
    count: bool,
}

impl ReturnOptions {
    /// The options asked for; `RETURN ()` means ALL (RFC 4731 §3.1).
    pub(super) fn parse(options: &[SearchReturnOption<'_>]) -> Option<ReturnOptions> {
        let mut parsed = ReturnOptions::default();
        for option in options {
            match option {
                SearchReturnOption::Min => parsed.min = true,
                SearchReturnOption::Max => parsed.max = true,
                SearchReturnOption::All => parsed.all = true,
                SearchReturnOption::Count => parsed.count = true,
                SearchReturnOption::Save | SearchReturnOption::Other(_) => return None,
            }
        }
        if parsed == ReturnOptions::default() {
            parsed.all = true;
        }
        Some(parsed)
    }

    /// The ESEARCH data for the (ascending) matches, with their highest mod-sequence
    /// when the search used MODSEQ.
    pub(super) fn data(
        self,
        matches: &[u32],
        modseq: Option<NonZeroU64>,
    ) -> Vec<ESearchData<'static>> {
        let mut data = Vec::new();
        if self.min {
            if let Some(min) = matches.first().copied().and_then(NonZeroU32::new) {
                data.push(ESearchData::Min(min));
            }
        }
        if self.max {
            if let Some(max) = matches.last().copied().and_then(NonZeroU32::new) {
                data.push(ESearchData::Max(max));
            }
        }
        if self.all {
            if let Some(set) = compress(matches) {
                data.push(ESearchData::All(set));
            }
        }
        if self.count {
            data.push(ESearchData::Count(
                u32::try_from(matches.len()).unwrap_or(u32::MAX),
            ));
        }
        if let Some(modseq) = modseq {
            if !matches.is_empty() {
                data.push(ESearchData::ModSeq(modseq));
            }
        }
        data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailwire_imap::types::{Atom, NonEmpty, SeqNumber, SequenceItem, SequenceSet};

    const MESSAGE: &[u8] = b"From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.org>\r\n\
To: Bob <bob@mailwire.test>\r\n\
Cc: carol@example.net\r\n\
Subject: Quarterly =?utf-8?b?UmVwb3J0?=\r\n\
Date: Tue, 3 Mar 2026 23:30:00 -0800\r\n\
X-Tracking: abc-123\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Die Zahlen f=C3=BCr M=C3=A4rz.\r\n\
--b\r\n\
Content-Type: application/octet-stream\r\n\
\r\n\
SECRETWORD\r\n\
--b--\r\n";

    fn entry(flags: &[Flag], recent: bool) -> Entry {
        Entry {
            uid: 42,
            flags: flags.to_vec(),
            keywords: vec![String::from("$Important")],
            recent,
            size: 500,
            // 2026-03-04 10:00:00 UTC
            internal_date: UNIX_EPOCH + std::time::Duration::from_secs(1_772_618_400),
            modseq: 7,
            gone: false,
        }
    }

    fn string(value: &str) -> IString<'static> {
        IString::try_from(value.to_string()).unwrap()
    }

    fn check(key: SearchKey<'static>, entry: &Entry) -> bool {
        let message = Message::parse(MESSAGE).unwrap();
        let candidate = Candidate {
            number: 3,
            entry,
            max_number: 5,
            max_uid: 50,
        };
        matches(&key, &candidate, Some(&message))
    }

    #[test]
    fn every_kind_of_key() {
        let seen = entry(&[Flag::Seen, Flag::Flagged], true);
        let date = |y, m, d| Date::new(y, m, d).unwrap();
        let yes = [
            SearchKey::All,
            SearchKey::Seen,
            SearchKey::Flagged,
            SearchKey::Unanswered,
            SearchKey::Undeleted,
            SearchKey::Undraft,
            SearchKey::Recent,
            SearchKey::Keyword(Atom::new("$important").unwrap()),
            SearchKey::Unkeyword(Atom::new("$Junk").unwrap()),
            SearchKey::Larger(499),
            SearchKey::Smaller(501),
            SearchKey::On(date(2026, 3, 4)),
            SearchKey::Since(date(2026, 3, 4)),
            SearchKey::Before(date(2026, 3, 5)),
            // The Date field's own day, not UTC's (which is March 4th).
            SearchKey::SentOn(date(2026, 3, 3)),
            SearchKey::SentBefore(date(2026, 3, 4)),
            SearchKey::SentSince(date(2026, 3, 3)),
            SearchKey::From(string("jürgen")),
            SearchKey::From(string("EXAMPLE.ORG")),
            SearchKey::To(string("bob@")),
            SearchKey::Cc(string("carol")),
            SearchKey::Subject(string("quarterly report")),
            SearchKey::Header(string("x-tracking"), string("ABC")),
            SearchKey::Header(string("X-Tracking"), string("")),
            SearchKey::Body(string("für märz")),
            SearchKey::Text(string("bob@mailwire")),
            SearchKey::Text(string("zahlen")),
            SearchKey::Uid(SequenceSet::Items(NonEmpty::new(SequenceItem::Range(
                SeqNumber::Value(NonZeroU32::new(40).unwrap()),
                SeqNumber::Largest,
            )))),
            SearchKey::SequenceSet(SequenceSet::single(NonZeroU32::new(3).unwrap())),
            SearchKey::ModSeq {
                entry: None,
                mod_seq: 7,
            },
            SearchKey::Or(Box::new(SearchKey::Deleted), Box::new(SearchKey::Seen)),
            SearchKey::Not(Box::new(SearchKey::Answered)),
            SearchKey::And(NonEmpty::new(SearchKey::Seen)),
        ];
        for key in yes {
            assert!(check(key.clone(), &seen), "{key:?}");
        }
        let no = [
            SearchKey::Answered,
            SearchKey::Unseen,
            SearchKey::New,
            SearchKey::Old,
            SearchKey::Bcc(string("x")),
            SearchKey::Larger(500),
            SearchKey::On(date(2026, 3, 3)),
            SearchKey::SentSince(date(2026, 3, 4)),
            // Attachments are not searched.
            SearchKey::Body(string("secretword")),
            SearchKey::Header(string("X-Missing"), string("")),
            SearchKey::ModSeq {
                entry: None,
                mod_seq: 8,
            },
            SearchKey::Not(Box::new(SearchKey::Seen)),
        ];
        for key in no {
            assert!(!check(key.clone(), &seen), "{key:?}");
        }
        assert!(check(SearchKey::New, &entry(&[], true)));
        assert!(check(SearchKey::Old, &entry(&[], false)));
        assert!(needs_content(&SearchKey::Not(Box::new(SearchKey::Body(
            string("x")
        )))));
        assert!(!needs_content(&SearchKey::Or(
            Box::new(SearchKey::Seen),
            Box::new(SearchKey::Larger(4))
        )));
    }

    #[test]
    fn esearch_results() {
        let options =
            ReturnOptions::parse(&[SearchReturnOption::Min, SearchReturnOption::Count]).unwrap();
        assert_eq!(
            options.data(&[2, 3, 4, 9], None),
            vec![
                ESearchData::Min(NonZeroU32::new(2).unwrap()),
                ESearchData::Count(4)
            ]
        );
        let all = ReturnOptions::parse(&[]).unwrap();
        let data = all.data(&[2, 3, 4, 9], None);
        assert_eq!(data.len(), 1);
        let ESearchData::All(set) = &data[0] else {
            panic!("{data:?}");
        };
        assert_eq!(set.to_string(), "2:4,9");
        assert!(all.data(&[], None).is_empty());
        assert!(ReturnOptions::parse(&[SearchReturnOption::Save]).is_none());
    }
}
