//! FETCH responses: the items that come from the mailbox (FLAGS, UID, INTERNALDATE,
//! MODSEQ, RFC822.SIZE) from the view, the others from the message bytes through
//! mailwire-imap's [`FetchView`].

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_imap::mime::{FetchDataError, FetchView, SectionError};
use mailwire_imap::types::{
    Data, Date, DateTime, FetchAttribute, FetchAttributes, IString, MessageDataItem, NString,
    NonEmpty,
};

use super::view::{number_of, Entry};

/// Why a message's items could not be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FetchFailure {
    /// BINARY of a part with an unknown transfer encoding (`NO [UNKNOWN-CTE]`).
    UnknownEncoding,
    /// The message could not be parsed (it exceeds the parser's limits).
    Unparsable,
}

/// What one FETCH command asks for, worked out once for all its messages.
#[derive(Debug, Clone)]
pub(super) struct FetchPlan {
    attributes: Vec<FetchAttribute<'static>>,
    /// UID FETCH: the UID is always returned.
    uid: bool,
    /// MODSEQ is returned (asked for, or CHANGEDSINCE given).
    modseq: bool,
    /// CONDSTORE is on: a flag change the fetch made comes with its MODSEQ.
    condstore: bool,
}

/// The INTERNALDATE of a point in time (in UTC).
pub(super) fn internal_date(time: SystemTime) -> Option<DateTime> {
    let seconds = match time.duration_since(UNIX_EPOCH) {
        Ok(duration) => i64::try_from(duration.as_secs()).ok()?,
        Err(_) => 0,
    };
    let value = mailwire_mime::header::DateTime::from_unix_timestamp(seconds, 0)?;
    let date = Date::new(value.year(), value.month(), value.day()).ok()?;
    DateTime::new(date, value.hour(), value.minute(), value.second(), 0).ok()
}

/// The point in time of an IMAP date-time (APPEND's internal date).
pub(super) fn system_time(value: &DateTime) -> Option<SystemTime> {
    let date = value.date();
    let days = days_from_civil(
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let seconds = days * 86_400
        + i64::from(value.hour()) * 3600
        + i64::from(value.minute()) * 60
        + i64::from(value.second())
        - i64::from(value.offset_minutes()) * 60;
    let seconds = u64::try_from(seconds).ok()?;
    UNIX_EPOCH.checked_add(std::time::Duration::from_secs(seconds))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl FetchPlan {
    /// The plan of `attributes` for `UID FETCH` (`uid`), returning MODSEQ when
    /// `modseq` (CHANGEDSINCE), and with flag changes under `condstore`.
    pub(super) fn new(
        attributes: &FetchAttributes<'_>,
        uid: bool,
        modseq: bool,
        condstore: bool,
    ) -> FetchPlan {
        let attributes: Vec<FetchAttribute<'static>> = attributes
            .expand()
            .into_iter()
            .map(mailwire_imap::types::IntoOwned::into_owned)
            .collect();
        let modseq = modseq
            || attributes
                .iter()
                .any(|attribute| matches!(attribute, FetchAttribute::ModSeq));
        FetchPlan {
            attributes,
            uid,
            modseq,
            condstore,
        }
    }

    /// True when the message bytes are needed.
    pub(super) fn needs_bytes(&self) -> bool {
        self.attributes.iter().any(|attribute| {
            !matches!(
                attribute,
                FetchAttribute::Flags
                    | FetchAttribute::Uid
                    | FetchAttribute::InternalDate
                    | FetchAttribute::ModSeq
                    | FetchAttribute::Rfc822Size
            )
        })
    }

    /// True when fetching sets `\Seen` (a body item without `.PEEK`, RFC 3501 §6.4.5).
    pub(super) fn sets_seen(&self) -> bool {
        self.attributes.iter().any(|attribute| {
            matches!(
                attribute,
                FetchAttribute::Rfc822
                    | FetchAttribute::Rfc822Text
                    | FetchAttribute::BodySection { peek: false, .. }
                    | FetchAttribute::Binary { peek: false, .. }
            )
        })
    }

    /// The FETCH response for the entry at `index`. `bytes` is the message when
    /// [`needs_bytes`](Self::needs_bytes); `flags_changed` adds FLAGS when it was not
    /// asked for (the fetch itself set `\Seen`).
    pub(super) fn response(
        &self,
        index: usize,
        entry: &Entry,
        bytes: Option<&[u8]>,
        flags_changed: bool,
    ) -> Result<Option<Data<'static>>, FetchFailure> {
        let Some(number) = number_of(index) else {
            return Ok(None);
        };
        let Some(uid) = NonZeroU32::new(entry.uid) else {
            return Ok(None);
        };
        let mut items: Vec<MessageDataItem<'static>> = Vec::new();
        let asked_uid = self
            .attributes
            .iter()
            .any(|attribute| matches!(attribute, FetchAttribute::Uid));
        if self.uid && !asked_uid {
            items.push(MessageDataItem::Uid(uid));
        }
        let mut view: Option<FetchView<'_>> = None;
        let mut parse_failed = false;
        let mut flags_given = false;
        let mut modseq_given = false;
        for attribute in &self.attributes {
            let item = match attribute {
                FetchAttribute::Flags => {
                    flags_given = true;
                    MessageDataItem::Flags(entry.fetch_flags())
                }
                FetchAttribute::Uid => MessageDataItem::Uid(uid),
                FetchAttribute::InternalDate => match internal_date(entry.internal_date) {
                    Some(date) => MessageDataItem::InternalDate(date),
                    None => continue,
                },
                FetchAttribute::ModSeq => {
                    modseq_given = true;
                    match NonZeroU64::new(entry.modseq) {
                        Some(modseq) => MessageDataItem::ModSeq(modseq),
                        None => continue,
                    }
                }
                FetchAttribute::Rfc822Size => MessageDataItem::Rfc822Size(
                    bytes.map_or(entry.size, |bytes| bytes.len() as u64),
                ),
                FetchAttribute::Rfc822 => MessageDataItem::Rfc822(whole(bytes.unwrap_or_default())),
                FetchAttribute::BodySection {
                    section: None,
                    partial,
                    ..
                } => {
                    let data = cut(bytes.unwrap_or_default(), *partial);
                    MessageDataItem::BodySection {
                        section: None,
                        origin: partial.and_then(|p| u32::try_from(p.offset).ok()),
                        data: whole(data),
                    }
                }
                other => {
                    if view.is_none() && !parse_failed {
                        match FetchView::parse(bytes.unwrap_or_default()) {
                            Ok(parsed) => view = Some(parsed),
                            Err(_) => parse_failed = true,
                        }
                    }
                    let Some(parsed) = &view else {
                        return Err(FetchFailure::Unparsable);
                    };
                    match parsed.item(other) {
                        Ok(item) => item,
                        Err(FetchDataError::Section(SectionError::UnknownEncoding)) => {
                            return Err(FetchFailure::UnknownEncoding)
                        }
                        // A section that names no part is empty, as Dovecot answers.
                        Err(FetchDataError::Section(_)) => empty_item(other),
                        Err(_) => return Err(FetchFailure::Unparsable),
                    }
                }
            };
            items.push(item);
        }
        if flags_changed && !flags_given {
            items.push(MessageDataItem::Flags(entry.fetch_flags()));
        }
        if (self.modseq || (flags_changed && self.condstore)) && !modseq_given {
            if let Some(modseq) = NonZeroU64::new(entry.modseq) {
                items.push(MessageDataItem::ModSeq(modseq));
            }
        }
        Ok(NonEmpty::try_from(items).ok().map(|items| Data::Fetch {
            sequence_number: number,
            items,
        }))
    }
}

/// The octets `partial` selects.
fn cut(data: &[u8], partial: Option<mailwire_imap::types::Partial>) -> &[u8] {
    let Some(partial) = partial else {
        return data;
    };
    let start = usize::try_from(partial.offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let length = usize::try_from(partial.length.get()).unwrap_or(usize::MAX);
    let end = start.saturating_add(length).min(data.len());
    data.get(start..end).unwrap_or_default()
}

/// Octets as a string (a literal when needed); NUL octets, which only a literal8 may
/// carry, are dropped (so the string is never NIL).
fn whole(bytes: &[u8]) -> NString<'static> {
    let mut owned = bytes.to_vec();
    owned.retain(|&octet| octet != 0);
    IString::new(owned).ok()
}

/// The item of an attribute whose section names nothing: empty content.
fn empty_item(attribute: &FetchAttribute<'_>) -> MessageDataItem<'static> {
    let empty = || whole(b"");
    match attribute {
        FetchAttribute::BodySection {
            section, partial, ..
        } => MessageDataItem::BodySection {
            section: section
                .clone()
                .map(mailwire_imap::types::IntoOwned::into_owned),
            origin: partial.and_then(|p| u32::try_from(p.offset).ok()),
            data: empty(),
        },
        FetchAttribute::Binary { part, partial, .. } => MessageDataItem::Binary {
            part: part.clone(),
            origin: partial.and_then(|p| u32::try_from(p.offset).ok()),
            data: Some(Cow::Owned(Vec::new())),
        },
        FetchAttribute::BinarySize { part } => MessageDataItem::BinarySize {
            part: part.clone(),
            size: 0,
        },
        _ => MessageDataItem::Rfc822Text(empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailwire_imap::types::IntoOwned;

    #[test]
    fn dates_convert_both_ways() {
        let time = UNIX_EPOCH + std::time::Duration::from_secs(1_772_618_400);
        let date = internal_date(time).unwrap();
        assert_eq!(date.date(), Date::new(2026, 3, 4).unwrap());
        assert_eq!((date.hour(), date.minute(), date.second()), (10, 0, 0));
        assert_eq!(system_time(&date), Some(time));
        let zoned = DateTime::new(Date::new(2026, 3, 4).unwrap(), 2, 0, 0, -8 * 60).unwrap();
        assert_eq!(system_time(&zoned), Some(time));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn items_come_in_order_with_uid_and_implicit_flags() {
        let entry = Entry {
            uid: 9,
            flags: vec![crate::mailstore::Flag::Seen],
            keywords: Vec::new(),
            recent: false,
            size: 30,
            internal_date: UNIX_EPOCH,
            modseq: 4,
            gone: false,
        };
        let message = b"Subject: hi\r\n\r\nbody\r\n";
        let attributes = FetchAttributes::Attributes(
            NonEmpty::try_from(vec![
                FetchAttribute::Rfc822Size,
                FetchAttribute::BodySection {
                    peek: false,
                    section: None,
                    partial: None,
                },
            ])
            .unwrap(),
        );
        let plan = FetchPlan::new(&attributes, true, false, false);
        assert!(plan.needs_bytes());
        assert!(plan.sets_seen());
        let data = plan
            .response(1, &entry, Some(message), true)
            .unwrap()
            .unwrap()
            .into_owned();
        let Data::Fetch {
            sequence_number,
            items,
        } = data
        else {
            panic!();
        };
        assert_eq!(sequence_number.get(), 2);
        assert_eq!(items[0], MessageDataItem::Uid(NonZeroU32::new(9).unwrap()));
        assert_eq!(items[1], MessageDataItem::Rfc822Size(21));
        let MessageDataItem::BodySection { data, .. } = &items[2] else {
            panic!("{items:?}");
        };
        assert_eq!(data.as_ref().unwrap().as_bytes(), message);
        assert!(matches!(items[3], MessageDataItem::Flags(_)));
    }
}
