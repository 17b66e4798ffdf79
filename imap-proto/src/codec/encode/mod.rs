//! Encoding: a writer with the primitives (strings in the right form, literals,
//! numbers, sets, dates, flags) and the public `encode_*` functions.

mod body;
mod command;
mod response;

use crate::chars;
use crate::codec::{EncodeOptions, NonSyncLiterals};
use crate::types::{
    AuthenticateData, Capability, Charset, Date, DateTime, ExtItem, Flag, FlagFetch, FlagPerm,
    IString, ListAttribute, Mailbox, MailboxName, SeqNumber, SequenceItem, SequenceSet,
    TaggedExtVal, Text, UidItem, UidSet,
};
use crate::types::{Command, Greeting, Response};

/// Strings longer than this go as literals even when they could be quoted, so lines stay
/// short for peers with line-length limits.
const MAX_QUOTED_LENGTH: usize = 1024;

/// Encodes a command, literals included. A client that may not send non-synchronizing
/// literals must wait for `+` after each synchronizing one: see
/// [`encode_command_fragments`].
pub fn encode_command(command: &Command<'_>, options: &EncodeOptions, out: &mut Vec<u8>) {
    let mut writer = Writer::new(out, options, true);
    command::command(&mut writer, command);
}

/// A command encoded for sending, with the points where the client must wait for a
/// continuation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedCommand {
    bytes: Vec<u8>,
    sync_points: Vec<usize>,
}

impl EncodedCommand {
    /// The whole command.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The whole command, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Offsets just after each synchronizing literal announcement (`{n}\r\n`): send up
    /// to there, then wait for `+` before sending on.
    pub fn sync_points(&self) -> &[usize] {
        &self.sync_points
    }

    /// The command cut at its sync points: send the first fragment, then each next one
    /// after a continuation request. A command without synchronizing literals is one
    /// fragment.
    pub fn fragments(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut bounds = Vec::with_capacity(self.sync_points.len() + 2);
        bounds.push(0);
        bounds.extend_from_slice(&self.sync_points);
        bounds.push(self.bytes.len());
        let pairs: Vec<(usize, usize)> = bounds
            .windows(2)
            .filter_map(|pair| match pair {
                [start, end] => Some((*start, *end)),
                _ => None,
            })
            .collect();
        pairs
            .into_iter()
            .map(move |(start, end)| self.bytes.get(start..end).unwrap_or_default())
    }
}

/// Encodes a command and records its sync points; see [`EncodedCommand`].
pub fn encode_command_fragments(command: &Command<'_>, options: &EncodeOptions) -> EncodedCommand {
    let mut bytes = Vec::new();
    let sync_points = {
        let mut writer = Writer::new(&mut bytes, options, true);
        command::command(&mut writer, command);
        writer.sync_points
    };
    EncodedCommand { bytes, sync_points }
}

/// Encodes a response (tagged, untagged or continuation request).
pub fn encode_response(response: &Response<'_>, options: &EncodeOptions, out: &mut Vec<u8>) {
    let mut writer = Writer::new(out, options, false);
    response::response(&mut writer, response);
}

/// Encodes the server greeting.
pub fn encode_greeting(greeting: &Greeting<'_>, options: &EncodeOptions, out: &mut Vec<u8>) {
    let mut writer = Writer::new(out, options, false);
    response::greeting(&mut writer, greeting);
}

/// Encodes a line of AUTHENTICATE data (base64 and CRLF, or `*` to cancel).
pub fn encode_authenticate_data(data: &AuthenticateData, out: &mut Vec<u8>) {
    use base64::Engine as _;
    match data {
        AuthenticateData::Response(response) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(response.expose());
            out.extend_from_slice(encoded.as_bytes());
        }
        AuthenticateData::Cancel => out.push(b'*'),
    }
    out.extend_from_slice(b"\r\n");
}

/// Encodes the `DONE` line that ends IDLE.
pub fn encode_idle_done(out: &mut Vec<u8>) {
    out.extend_from_slice(b"DONE\r\n");
}

/// The output buffer and the session facts that decide each value's form.
pub(crate) struct Writer<'w> {
    out: &'w mut Vec<u8>,
    utf8: bool,
    /// Writing commands: literals may be non-synchronizing, and synchronizing ones are
    /// sync points.
    client: bool,
    non_sync: NonSyncLiterals,
    pub(crate) sync_points: Vec<usize>,
}

fn is_quotable(bytes: &[u8], utf8: bool) -> bool {
    if bytes.len() > MAX_QUOTED_LENGTH {
        return false;
    }
    let mut eight_bit = false;
    for &byte in bytes {
        if byte >= 0x80 {
            eight_bit = true;
        } else if !chars::is_text_char(byte) {
            return false;
        }
    }
    !eight_bit || (utf8 && std::str::from_utf8(bytes).is_ok())
}

impl<'w> Writer<'w> {
    pub(crate) fn new(out: &'w mut Vec<u8>, options: &EncodeOptions, client: bool) -> Self {
        Writer {
            out,
            utf8: options.utf8(),
            client,
            non_sync: options.non_sync_literals,
            sync_points: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    #[inline]
    pub(crate) fn str(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    #[inline]
    pub(crate) fn byte(&mut self, byte: u8) {
        self.out.push(byte);
    }

    #[inline]
    pub(crate) fn sp(&mut self) {
        self.out.push(b' ');
    }

    pub(crate) fn crlf(&mut self) {
        self.out.extend_from_slice(b"\r\n");
    }

    pub(crate) fn number(&mut self, value: u64) {
        let mut digits = [0u8; 20];
        let mut index = digits.len();
        let mut rest = value;
        loop {
            index -= 1;
            if let Some(slot) = digits.get_mut(index) {
                *slot = b'0' + (rest % 10) as u8;
            }
            rest /= 10;
            if rest == 0 || index == 0 {
                break;
            }
        }
        self.raw(digits.get(index..).unwrap_or_default());
    }

    pub(crate) fn quoted(&mut self, bytes: &[u8]) {
        self.out.reserve(bytes.len() + 2);
        self.out.push(b'"');
        for &byte in bytes {
            if byte == b'"' || byte == b'\\' {
                self.out.push(b'\\');
            }
            self.out.push(byte);
        }
        self.out.push(b'"');
    }

    /// A literal: `{n}` (a sync point for a client that may not use `{n+}`), `{n+}`,
    /// or `~{n}` / `~{n+}` when `binary`.
    pub(crate) fn literal(&mut self, bytes: &[u8], binary: bool) {
        let length = bytes.len() as u64;
        if binary {
            self.out.push(b'~');
        }
        self.out.push(b'{');
        self.number(length);
        let non_sync = self.client && self.non_sync.allows(length);
        if non_sync {
            self.out.push(b'+');
        }
        self.out.extend_from_slice(b"}\r\n");
        if self.client && !non_sync {
            self.sync_points.push(self.out.len());
        }
        self.raw(bytes);
    }

    /// `string`: quoted when it can be, literal otherwise.
    pub(crate) fn string(&mut self, bytes: &[u8]) {
        if is_quotable(bytes, self.utf8) {
            self.quoted(bytes);
        } else {
            self.literal(bytes, false);
        }
    }

    pub(crate) fn istring(&mut self, value: &IString<'_>) {
        self.string(value.as_bytes());
    }

    /// `astring`: bare when every octet is an ASTRING-CHAR.
    pub(crate) fn astring(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() && bytes.iter().all(|&byte| chars::is_astring_char(byte)) {
            self.raw(bytes);
        } else {
            self.string(bytes);
        }
    }

    pub(crate) fn nstring(&mut self, value: Option<&IString<'_>>) {
        match value {
            Some(value) => self.string(value.as_bytes()),
            None => self.str("NIL"),
        }
    }

    /// Human-readable text: `?` for non-ASCII characters when UTF-8 is not in effect.
    pub(crate) fn text(&mut self, text: &Text<'_>) {
        let text = text.as_str();
        if self.utf8 || text.is_ascii() {
            self.str(text);
        } else {
            for character in text.chars() {
                self.byte(if character.is_ascii() {
                    character as u8
                } else {
                    b'?'
                });
            }
        }
    }

    pub(crate) fn mailbox(&mut self, mailbox: &Mailbox<'_>) {
        let wire = mailbox.name().to_wire(self.utf8);
        self.astring(&wire);
    }

    /// `list-mailbox`: bare when every octet is a list-char.
    pub(crate) fn list_mailbox(&mut self, name: &MailboxName<'_>) {
        let wire = name.to_wire(self.utf8);
        if !wire.is_empty() && wire.iter().all(|&byte| chars::is_list_char(byte)) {
            self.raw(&wire);
        } else {
            self.string(&wire);
        }
    }

    pub(crate) fn charset(&mut self, charset: &Charset<'_>) {
        let name = charset.as_str().as_bytes();
        if name.iter().all(|&byte| chars::is_atom_char(byte)) {
            self.raw(name);
        } else {
            self.quoted(name);
        }
    }

    /// `"(" item *(SP item) ")"`.
    pub(crate) fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.byte(b'(');
        for (index, value) in items.iter().enumerate() {
            if index > 0 {
                self.sp();
            }
            item(self, value);
        }
        self.byte(b')');
    }

    /// Items separated by spaces, no parentheses.
    pub(crate) fn spaced<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        for (index, value) in items.iter().enumerate() {
            if index > 0 {
                self.sp();
            }
            item(self, value);
        }
    }

    pub(crate) fn flag(&mut self, flag: &Flag<'_>) {
        match flag {
            Flag::Keyword(atom) => self.str(atom.as_str()),
            Flag::Extension(atom) => {
                self.byte(b'\\');
                self.str(atom.as_str());
            }
            known => self.str(known.system_name().unwrap_or("\\Seen")),
        }
    }

    pub(crate) fn flag_fetch(&mut self, flag: &FlagFetch<'_>) {
        match flag {
            FlagFetch::Flag(flag) => self.flag(flag),
            FlagFetch::Recent => self.str("\\Recent"),
        }
    }

    pub(crate) fn flag_perm(&mut self, flag: &FlagPerm<'_>) {
        match flag {
            FlagPerm::Flag(flag) => self.flag(flag),
            FlagPerm::Wildcard => self.str("\\*"),
        }
    }

    pub(crate) fn list_attribute(&mut self, attribute: &ListAttribute<'_>) {
        match attribute {
            ListAttribute::Extension(atom) => {
                self.byte(b'\\');
                self.str(atom.as_str());
            }
            known => self.str(known.known_name().unwrap_or("\\Marked")),
        }
    }

    pub(crate) fn capability(&mut self, capability: &Capability<'_>) {
        match capability {
            Capability::Auth(mechanism) => {
                self.str("AUTH=");
                self.str(mechanism.as_str());
            }
            Capability::Compress(algorithm) => {
                self.str("COMPRESS=");
                self.str(algorithm.as_str());
            }
            Capability::QuotaResource(resource) => {
                self.str("QUOTA=RES-");
                self.str(resource.as_str());
            }
            Capability::Other(atom) => self.str(atom.as_str()),
            known => self.str(known.simple_name().unwrap_or("IMAP4rev1")),
        }
    }

    pub(crate) fn date(&mut self, date: &Date) {
        self.number(u64::from(date.day()));
        self.byte(b'-');
        self.str(date.month_name());
        self.byte(b'-');
        self.four_digits(u64::from(date.year()));
    }

    fn two_digits(&mut self, value: u64) {
        self.byte(b'0' + (value / 10 % 10) as u8);
        self.byte(b'0' + (value % 10) as u8);
    }

    fn four_digits(&mut self, value: u64) {
        self.two_digits(value / 100);
        self.two_digits(value % 100);
    }

    pub(crate) fn date_time(&mut self, value: &DateTime) {
        let date = value.date();
        self.byte(b'"');
        self.two_digits(u64::from(date.day()));
        self.byte(b'-');
        self.str(date.month_name());
        self.byte(b'-');
        self.four_digits(u64::from(date.year()));
        self.sp();
        self.two_digits(u64::from(value.hour()));
        self.byte(b':');
        self.two_digits(u64::from(value.minute()));
        self.byte(b':');
        self.two_digits(u64::from(value.second()));
        self.sp();
        let offset = value.offset_minutes();
        self.byte(if offset < 0 { b'-' } else { b'+' });
        let offset = u64::from(offset.unsigned_abs());
        self.two_digits(offset / 60);
        self.two_digits(offset % 60);
        self.byte(b'"');
    }

    fn seq_number(&mut self, number: SeqNumber) {
        match number {
            SeqNumber::Value(value) => self.number(u64::from(value.get())),
            SeqNumber::Largest => self.byte(b'*'),
        }
    }

    pub(crate) fn sequence_set(&mut self, set: &SequenceSet) {
        match set {
            SequenceSet::Saved => self.byte(b'$'),
            SequenceSet::Items(items) => {
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.byte(b',');
                    }
                    match *item {
                        SequenceItem::Single(number) => self.seq_number(number),
                        SequenceItem::Range(from, to) => {
                            self.seq_number(from);
                            self.byte(b':');
                            self.seq_number(to);
                        }
                    }
                }
            }
        }
    }

    pub(crate) fn uid_set(&mut self, set: &UidSet) {
        for (index, item) in set.0.iter().enumerate() {
            if index > 0 {
                self.byte(b',');
            }
            match *item {
                UidItem::Single(uid) => self.number(u64::from(uid.get())),
                UidItem::Range(from, to) => {
                    self.number(u64::from(from.get()));
                    self.byte(b':');
                    self.number(u64::from(to.get()));
                }
            }
        }
    }

    pub(crate) fn ext_items(&mut self, items: &[ExtItem<'_>]) {
        self.spaced(items, |writer, item| match item {
            ExtItem::String(string) => writer.astring(string.as_bytes()),
            ExtItem::Group(inner) => {
                writer.byte(b'(');
                writer.ext_items(inner);
                writer.byte(b')');
            }
        });
    }

    pub(crate) fn tagged_ext_val(&mut self, value: &TaggedExtVal<'_>) {
        match value {
            TaggedExtVal::Number(number) => self.number(*number),
            TaggedExtVal::SequenceSet(set) => self.sequence_set(set),
            TaggedExtVal::List(items) => {
                self.byte(b'(');
                self.ext_items(items);
                self.byte(b')');
            }
            TaggedExtVal::String(string) => self.istring(string),
        }
    }

    /// `name [SP value]`.
    pub(crate) fn ext_parameter(&mut self, parameter: &crate::types::ExtParameter<'_>) {
        self.str(parameter.name.as_str());
        if let Some(value) = &parameter.value {
            self.sp();
            self.tagged_ext_val(value);
        }
    }
}
