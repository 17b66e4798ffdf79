//! What a [`Session`](crate::session::Session) returns: messages, mailboxes, changes,
//! and the selections and fetch options it takes.

use std::borrow::Cow;
use std::num::NonZeroU32;

use crate::client::BodyItem;
use crate::types::{
    Address, BodyStructure, DateTime, Delimiter, Envelope, FetchAttribute, Flag, FlagFetch,
    IntoOwned, ListAttribute, Mailbox, MessageDataItem, NonEmpty, PartPath, Section, SeqNumber,
    SequenceItem, SequenceSet,
};

/// Which messages a command is about, by UID (the session addresses messages by UID
/// only: UIDs stay valid while other clients expunge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uids {
    /// Every message of the mailbox (`1:*`).
    All,
    /// These UIDs (possibly none: the command is then not sent).
    List(Vec<NonZeroU32>),
    /// A sequence set of UIDs as IMAP writes it.
    Set(SequenceSet),
}

impl Uids {
    /// The sequence set to send, `None` for an empty list. Consecutive UIDs become
    /// ranges.
    pub fn to_sequence_set(&self) -> Option<SequenceSet> {
        match self {
            Uids::All => Some(SequenceSet::all()),
            Uids::Set(set) => Some(set.clone()),
            Uids::List(uids) => {
                let mut sorted = uids.clone();
                sorted.sort_unstable();
                sorted.dedup();
                let mut items: Vec<SequenceItem> = Vec::new();
                let mut run: Option<(NonZeroU32, NonZeroU32)> = None;
                for uid in sorted {
                    run = match run {
                        Some((first, last)) if last.get().checked_add(1) == Some(uid.get()) => {
                            Some((first, uid))
                        }
                        Some((first, last)) => {
                            items.push(item(first, last));
                            Some((uid, uid))
                        }
                        None => Some((uid, uid)),
                    };
                }
                if let Some((first, last)) = run {
                    items.push(item(first, last));
                }
                NonEmpty::try_from(items).ok().map(SequenceSet::Items)
            }
        }
    }
}

fn item(first: NonZeroU32, last: NonZeroU32) -> SequenceItem {
    if first == last {
        SequenceItem::Single(SeqNumber::Value(first))
    } else {
        SequenceItem::Range(SeqNumber::Value(first), SeqNumber::Value(last))
    }
}

impl From<&[NonZeroU32]> for Uids {
    fn from(uids: &[NonZeroU32]) -> Self {
        Uids::List(uids.to_vec())
    }
}

impl From<&Vec<NonZeroU32>> for Uids {
    fn from(uids: &Vec<NonZeroU32>) -> Self {
        Uids::List(uids.clone())
    }
}

impl From<Vec<NonZeroU32>> for Uids {
    fn from(uids: Vec<NonZeroU32>) -> Self {
        Uids::List(uids)
    }
}

impl From<NonZeroU32> for Uids {
    fn from(uid: NonZeroU32) -> Self {
        Uids::List(vec![uid])
    }
}

impl From<SequenceSet> for Uids {
    fn from(set: SequenceSet) -> Self {
        Uids::Set(set)
    }
}

/// What [`Session::fetch`](crate::session::Session::fetch) asks for. The UID and the
/// flags always come; the rest on request.
///
/// ```
/// use mailwire_imap::session::FetchOptions;
/// let options = FetchOptions::new().envelope().size().body();
/// assert!(options.wants_body());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchOptions {
    envelope: bool,
    structure: bool,
    size: bool,
    internal_date: bool,
    sections: Vec<Option<Section<'static>>>,
    mark_seen: bool,
}

impl FetchOptions {
    /// UID and flags only.
    pub fn new() -> Self {
        FetchOptions::default()
    }

    /// The ENVELOPE (date, subject, addresses, message id).
    pub fn envelope(mut self) -> Self {
        self.envelope = true;
        self
    }

    /// The BODYSTRUCTURE (MIME structure, sizes, encodings).
    pub fn structure(mut self) -> Self {
        self.structure = true;
        self
    }

    /// The size in octets (RFC822.SIZE).
    pub fn size(mut self) -> Self {
        self.size = true;
        self
    }

    /// The date the server received the message (INTERNALDATE).
    pub fn internal_date(mut self) -> Self {
        self.internal_date = true;
        self
    }

    /// The whole message's octets (`BODY.PEEK[]`).
    pub fn body(mut self) -> Self {
        self.sections.push(None);
        self
    }

    /// The header of the message (`BODY.PEEK[HEADER]`).
    pub fn header(mut self) -> Self {
        self.sections.push(Some(Section::Header(None)));
        self
    }

    /// The octets of one MIME part, by its IMAP part number (`BODY.PEEK[1.2]`), as
    /// transferred (still in its Content-Transfer-Encoding).
    pub fn part(mut self, part: PartPath) -> Self {
        self.sections.push(Some(Section::Part(part)));
        self
    }

    /// Any section (`BODY.PEEK[section]`).
    pub fn section(mut self, section: Section<'static>) -> Self {
        self.sections.push(Some(section));
        self
    }

    /// Fetch content with `BODY[...]` instead of `BODY.PEEK[...]`, so the server sets
    /// `\Seen` on the messages read.
    pub fn mark_seen(mut self) -> Self {
        self.mark_seen = true;
        self
    }

    /// True when message content is asked for.
    pub fn wants_body(&self) -> bool {
        !self.sections.is_empty()
    }

    pub(crate) fn attributes(&self) -> NonEmpty<FetchAttribute<'static>> {
        let mut attributes = NonEmpty::new(FetchAttribute::Uid);
        attributes.push(FetchAttribute::Flags);
        let wanted = [
            (self.envelope, FetchAttribute::Envelope),
            (self.structure, FetchAttribute::BodyStructure),
            (self.size, FetchAttribute::Rfc822Size),
            (self.internal_date, FetchAttribute::InternalDate),
        ];
        for (wanted, attribute) in wanted {
            if wanted {
                attributes.push(attribute);
            }
        }
        for section in &self.sections {
            attributes.push(FetchAttribute::BodySection {
                peek: !self.mark_seen,
                section: section.clone(),
                partial: None,
            });
        }
        attributes
    }
}

/// One fetched message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// Its message sequence number at the time of the answer.
    pub sequence_number: NonZeroU32,
    /// Its UID.
    pub uid: Option<NonZeroU32>,
    /// Its flags (`\Recent` apart, see [`Message::recent`]).
    pub flags: Vec<Flag<'static>>,
    /// `\Recent` (IMAP4rev1).
    pub recent: bool,
    /// Its envelope, when asked for.
    pub envelope: Option<Envelope<'static>>,
    /// Its MIME structure, when asked for.
    pub structure: Option<BodyStructure<'static>>,
    /// Its size in octets, when asked for.
    pub size: Option<u64>,
    /// When the server received it, when asked for.
    pub internal_date: Option<DateTime>,
    /// The content asked for (whole message, header, parts), in the server's order.
    pub sections: Vec<(BodyItem, Vec<u8>)>,
    /// The other items of the answer (MODSEQ, BINARY.SIZE, ...).
    pub other: Vec<MessageDataItem<'static>>,
}

impl Message {
    pub(crate) fn from_items(
        sequence_number: NonZeroU32,
        items: Vec<MessageDataItem<'static>>,
        streamed: Vec<(BodyItem, Vec<u8>)>,
    ) -> Message {
        let mut message = Message {
            sequence_number,
            uid: None,
            flags: Vec::new(),
            recent: false,
            envelope: None,
            structure: None,
            size: None,
            internal_date: None,
            sections: streamed,
            other: Vec::new(),
        };
        for item in items {
            match item {
                MessageDataItem::Uid(uid) => message.uid = Some(uid),
                MessageDataItem::Flags(flags) => {
                    for flag in flags {
                        match flag {
                            FlagFetch::Flag(flag) => message.flags.push(flag),
                            FlagFetch::Recent => message.recent = true,
                        }
                    }
                }
                MessageDataItem::Envelope(envelope) => message.envelope = Some(*envelope),
                MessageDataItem::BodyStructure(structure) | MessageDataItem::Body(structure) => {
                    message.structure = Some(*structure)
                }
                MessageDataItem::Rfc822Size(size) => message.size = Some(size),
                MessageDataItem::InternalDate(date) => message.internal_date = Some(date),
                // Content that came as a quoted string (or NIL) instead of a literal.
                MessageDataItem::BodySection {
                    section,
                    origin,
                    data,
                } => message.sections.push((
                    BodyItem::Section { section, origin },
                    data.map(|data| data.into_inner().into_owned())
                        .unwrap_or_default(),
                )),
                other => message.other.push(other.into_owned()),
            }
        }
        message
    }

    /// True when the message has `flag`.
    pub fn has_flag(&self, flag: &Flag<'_>) -> bool {
        self.flags.iter().any(|have| have == flag)
    }

    /// True when the message is `\Seen`.
    pub fn is_seen(&self) -> bool {
        self.has_flag(&Flag::Seen)
    }

    /// The content of `BODY[]` (the whole message), when fetched.
    pub fn body(&self) -> Option<&[u8]> {
        self.content(|section| section.is_none())
    }

    /// The header, when fetched with [`FetchOptions::header`].
    pub fn header(&self) -> Option<&[u8]> {
        self.content(|section| matches!(section, Some(Section::Header(None))))
    }

    /// The content of the part `part`, when fetched with [`FetchOptions::part`].
    pub fn part(&self, part: &[NonZeroU32]) -> Option<&[u8]> {
        self.content(
            |section| matches!(section, Some(Section::Part(path)) if path.as_slice() == part),
        )
    }

    fn content(&self, wanted: impl Fn(&Option<Section<'static>>) -> bool) -> Option<&[u8]> {
        self.sections.iter().find_map(|(item, content)| match item {
            BodyItem::Section {
                section,
                origin: None,
            } if wanted(section) => Some(content.as_slice()),
            _ => None,
        })
    }

    /// The subject from the envelope, as sent (RFC 2047 encoded words are decoded by
    /// [`Message::decoded_subject`]).
    pub fn subject(&self) -> Option<Cow<'_, str>> {
        let subject = self.envelope.as_ref()?.subject.as_ref()?;
        Some(subject.to_str_lossy())
    }

    /// The subject from the envelope with RFC 2047 encoded words decoded.
    pub fn decoded_subject(&self) -> Option<String> {
        let subject = self.envelope.as_ref()?.subject.as_ref()?;
        Some(mailwire_mime::encoded_word::decode_unstructured(subject.as_bytes()).into_owned())
    }

    /// The first From address of the envelope as `local@domain`.
    pub fn from_address(&self) -> Option<String> {
        address_text(self.envelope.as_ref()?.from.first()?)
    }

    /// The whole message parsed as a MIME tree (mailwire-mime): its parts, decoded
    /// bodies, attachments. `None` when `BODY[]` was not fetched.
    pub fn mime(
        &self,
    ) -> Option<Result<mailwire_mime::tree::Message<'_>, mailwire_mime::error::ParseError>> {
        self.body().map(mailwire_mime::tree::Message::parse)
    }
}

fn address_text(address: &Address<'_>) -> Option<String> {
    let mailbox = address.mailbox.as_ref()?.to_str_lossy();
    match &address.host {
        Some(host) => Some(format!("{mailbox}@{}", host.to_str_lossy())),
        None => Some(mailbox.into_owned()),
    }
}

/// What a mailbox is for (RFC 6154 special-use attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SpecialUse {
    /// `\All`: every message.
    All,
    /// `\Archive`.
    Archive,
    /// `\Drafts`.
    Drafts,
    /// `\Flagged`: the flagged messages.
    Flagged,
    /// `\Junk`.
    Junk,
    /// `\Sent`.
    Sent,
    /// `\Trash`.
    Trash,
}

impl SpecialUse {
    fn of(attribute: &ListAttribute<'_>) -> Option<SpecialUse> {
        Some(match attribute {
            ListAttribute::All => SpecialUse::All,
            ListAttribute::Archive => SpecialUse::Archive,
            ListAttribute::Drafts => SpecialUse::Drafts,
            ListAttribute::Flagged => SpecialUse::Flagged,
            ListAttribute::Junk => SpecialUse::Junk,
            ListAttribute::Sent => SpecialUse::Sent,
            ListAttribute::Trash => SpecialUse::Trash,
            _ => return None,
        })
    }
}

/// A mailbox as LIST reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailboxInfo {
    /// Its full name (Unicode; modified UTF-7 decoded).
    pub name: String,
    /// The name as the protocol types hold it (for other commands).
    pub mailbox: Mailbox<'static>,
    /// The hierarchy delimiter, if the server has one.
    pub delimiter: Option<char>,
    /// Every attribute reported (`\HasChildren`, `\Noselect`, ...).
    pub attributes: Vec<ListAttribute<'static>>,
    /// What it is for (special use), if the server said.
    pub role: Option<SpecialUse>,
}

impl MailboxInfo {
    pub(crate) fn new(
        mailbox: Mailbox<'static>,
        delimiter: Option<Delimiter>,
        attributes: Vec<ListAttribute<'static>>,
    ) -> Self {
        MailboxInfo {
            name: if mailbox.is_inbox() {
                "INBOX".to_owned()
            } else {
                mailbox.name().to_string_lossy().into_owned()
            },
            mailbox,
            delimiter: delimiter.map(Delimiter::as_char),
            role: attributes.iter().find_map(SpecialUse::of),
            attributes,
        }
    }

    /// False for `\Noselect` and `\NonExistent` mailboxes (names that only hold
    /// others).
    pub fn is_selectable(&self) -> bool {
        !self
            .attributes
            .iter()
            .any(|a| matches!(a, ListAttribute::NoSelect | ListAttribute::NonExistent))
    }
}

/// A change of the selected mailbox, as the server reported it (during IDLE, or
/// alongside other commands).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxChange {
    /// The mailbox now holds this many messages (new mail when it grew).
    Exists(u32),
    /// The message with this sequence number was removed; later numbers shift down
    /// by one.
    Expunge(NonZeroU32),
    /// These UIDs were removed (QRESYNC's VANISHED).
    Vanished(SequenceSet),
    /// This many messages are `\Recent` (IMAP4rev1).
    Recent(u32),
    /// A message's flags changed.
    Flags {
        /// Its sequence number.
        sequence_number: NonZeroU32,
        /// Its UID, when the server said.
        uid: Option<NonZeroU32>,
        /// Its flags now.
        flags: Vec<Flag<'static>>,
    },
    /// The flags defined in the mailbox changed (`* FLAGS`).
    MailboxFlags(Vec<Flag<'static>>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uid(value: u32) -> NonZeroU32 {
        NonZeroU32::new(value).unwrap_or(NonZeroU32::MIN)
    }

    #[test]
    fn uid_lists_become_ranges() {
        let uids = Uids::from(vec![uid(7), uid(3), uid(4), uid(5), uid(9), uid(4)]);
        let expected = SequenceSet::Items(
            NonEmpty::try_from(vec![
                SequenceItem::Range(SeqNumber::Value(uid(3)), SeqNumber::Value(uid(5))),
                SequenceItem::Single(SeqNumber::Value(uid(7))),
                SequenceItem::Single(SeqNumber::Value(uid(9))),
            ])
            .unwrap_or_else(|_| NonEmpty::new(SequenceItem::Single(SeqNumber::Largest))),
        );
        assert_eq!(uids.to_sequence_set(), Some(expected));
        assert_eq!(Uids::List(Vec::new()).to_sequence_set(), None);
        assert_eq!(
            Uids::from(uid(u32::MAX)).to_sequence_set(),
            Some(SequenceSet::single(uid(u32::MAX)))
        );
    }

    #[test]
    fn message_from_items_sorts_them_out() {
        use crate::types::{Envelope, IString};
        let envelope = Envelope {
            subject: IString::try_from("=?utf-8?q?caf=C3=A9?= time").ok(),
            from: vec![Address {
                name: None,
                adl: None,
                mailbox: IString::try_from("ann").ok(),
                host: IString::try_from("example.org").ok(),
            }],
            ..Envelope::default()
        };
        let items = vec![
            MessageDataItem::Uid(uid(42)),
            MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen), FlagFetch::Recent]),
            MessageDataItem::Envelope(Box::new(envelope)),
            MessageDataItem::Rfc822Size(1234),
            MessageDataItem::BodySection {
                section: Some(Section::Header(None)),
                origin: None,
                data: IString::try_from("Subject: x\r\n\r\n").ok(),
            },
        ];
        let message = Message::from_items(uid(3), items, Vec::new());
        assert_eq!(message.uid, Some(uid(42)));
        assert!(message.is_seen());
        assert!(message.recent);
        assert_eq!(message.size, Some(1234));
        assert_eq!(
            message.subject().as_deref(),
            Some("=?utf-8?q?caf=C3=A9?= time")
        );
        assert_eq!(message.decoded_subject().as_deref(), Some("café time"));
        assert_eq!(message.from_address().as_deref(), Some("ann@example.org"));
        assert_eq!(message.header(), Some(&b"Subject: x\r\n\r\n"[..]));
        assert_eq!(message.body(), None);
        assert!(message.mime().is_none());
    }

    #[test]
    fn fetch_options_always_ask_uid_and_flags() {
        let attributes = FetchOptions::new().envelope().body().attributes();
        assert_eq!(attributes.len(), 4);
        assert_eq!(attributes[0], FetchAttribute::Uid);
        assert_eq!(attributes[1], FetchAttribute::Flags);
        assert!(matches!(
            attributes[3],
            FetchAttribute::BodySection {
                peek: true,
                section: None,
                ..
            }
        ));
    }
}
