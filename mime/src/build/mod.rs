//! Building messages an application sends (RFC 5322, MIME).
//!
//! [`MessageBuilder`] collects typed header values and the content; [`MessageBuilder::build`]
//! validates everything, chooses every encoding and boundary, and returns a [`Message`] whose
//! bytes are correct by construction:
//!
//! - header fields folded at 78 columns (76 on lines with encoded words), never over 998;
//!   unbreakable runs are RFC 2047 encoded so they can be split;
//! - non-ASCII unstructured text and display names as RFC 2047 encoded words (UTF-8, B or Q,
//!   whichever is shorter, at most 75 characters, whole characters per word); display names
//!   quoted when they hold specials;
//! - parameters per RFC 2231 when non-ASCII or long (`filename*0*=utf-8''...`), plus the legacy
//!   Content-Type `name` for old readers (see [`crate::encode::param`]);
//! - a transfer encoding per part: 7bit for short-lined ASCII text, quoted-printable or base64
//!   (the shorter) for other text, base64 for binary data, 7bit/8bit for forwarded messages;
//! - boundaries from the injected randomness, checked against the content
//!   ([`boundary`]);
//! - CRLF everywhere.
//!
//! Nothing reads a clock or a random source: the Date is a value the caller gives, and
//! randomness (boundaries, the generated Message-ID) comes from a [`Randomness`] the caller
//! passes to [`MessageBuilder::build`].
//!
//! Body structure made from the convenience methods:
//! `mixed( alternative( text, related( html, inline... ) ), attachments..., forwarded... )`,
//! where each multipart appears only when it has more than one child.

mod address;
pub mod boundary;
pub(crate) mod part;

use std::ops::Range;

use thiserror::Error;

use crate::encode::field::is_valid_field_name;
use crate::encode::fold::{write_unstructured, FieldWriter};
use crate::header::{Address, DateTime, Group, Mailbox};

pub use address::{MAX_DOMAIN, MAX_LOCAL_PART, MAX_MESSAGE_ID};
pub use part::{normalize_line_ends, Body, Disposition, Part, MAX_PART_DEPTH};

/// A source of unpredictable bytes, injected so that building is deterministic under test.
/// Any `FnMut(&mut [u8])` is one.
pub trait Randomness {
    /// Fills `buffer` with random bytes.
    fn fill(&mut self, buffer: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> Randomness for F {
    fn fill(&mut self, buffer: &mut [u8]) {
        self(buffer);
    }
}

/// What can stand in an address list: a [`Mailbox`], a [`Group`] or an [`Address`].
pub trait IntoAddress {
    /// Converts to an [`Address`].
    fn into_address(self) -> Address<'static>;
}

impl IntoAddress for Address<'static> {
    fn into_address(self) -> Address<'static> {
        self
    }
}

impl IntoAddress for Mailbox<'static> {
    fn into_address(self) -> Address<'static> {
        Address::Mailbox(self)
    }
}

impl IntoAddress for Group<'static> {
    fn into_address(self) -> Address<'static> {
        Address::Group(self)
    }
}

/// Why a message could not be built. Messages name the problem, never the offending value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No From address was given (RFC 5322 §3.6 requires one).
    #[error("missing from address")]
    MissingFrom,
    /// No Date was given (RFC 5322 §3.6 requires one).
    #[error("missing date")]
    MissingDate,
    /// Several From mailboxes need a Sender (RFC 5322 §3.6.2).
    #[error("several from mailboxes need a sender")]
    MissingSender,
    /// An address is not a valid addr-spec, or exceeds the RFC 5321 lengths.
    #[error("invalid address")]
    InvalidAddress,
    /// A Message-ID, In-Reply-To or References identifier is invalid.
    #[error("invalid message id")]
    InvalidMessageId,
    /// A Content-ID is invalid.
    #[error("invalid content id")]
    InvalidContentId,
    /// A header field name is invalid.
    #[error("invalid header field name")]
    InvalidFieldName,
    /// An extra header field names a field the builder writes itself.
    #[error("field is written by the builder")]
    ReservedField,
    /// A media type is not `type/subtype` made of tokens.
    #[error("invalid media type")]
    InvalidMediaType,
    /// A Content-Type parameter name is invalid.
    #[error("invalid parameter name")]
    InvalidParameterName,
    /// A parameter value (a file name) needs more RFC 2231 sections than readers accept
    /// ([`crate::header::ParameterLimits::DEFAULT`]).
    #[error("parameter value too long")]
    ParameterTooLong,
    /// A Content-Type parameter is one the builder writes itself (charset, boundary, name).
    #[error("parameter is written by the builder")]
    ReservedParameter,
    /// The body kind does not fit the media type (text body for `image/png`, ...).
    #[error("body does not match the media type")]
    BodyDoesNotMatchType,
    /// A multipart without parts (RFC 2046 §5.1.1 requires at least one).
    #[error("multipart without parts")]
    EmptyMultipart,
    /// Parts nested deeper than [`MAX_PART_DEPTH`].
    #[error("parts nested too deeply")]
    TooDeep,
    /// A forwarded message holds NUL or a line over 998 octets.
    #[error("forwarded message cannot be sent with an identity encoding")]
    UnencodableMessage,
    /// A header section would pass the parser's default limits
    /// ([`crate::header::HeaderLimits::DEFAULT`]: 1000 fields, 1 MiB).
    #[error("header section too large")]
    HeaderTooLarge,
    /// Both an explicit body and text/HTML/attachments were given.
    #[error("explicit body conflicts with text, html or attachments")]
    BodyConflict,
    /// No boundary free of collisions was found (needs adversarial randomness and content).
    #[error("no collision-free boundary found")]
    NoBoundary,
}

/// Whether the Bcc field is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BccHandling {
    /// Leave Bcc out: the form to transmit (RFC 5322 §3.6.3, first method). The default.
    #[default]
    Omit,
    /// Keep Bcc: the sender's own copy (Sent folder).
    Keep,
}

/// SMTP envelope of a built message: the reverse-path and every recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    sender: String,
    recipients: Vec<String>,
}

impl Envelope {
    /// The sender's address (Sender if given, else the first From mailbox): MAIL FROM.
    #[must_use]
    pub fn sender(&self) -> &str {
        &self.sender
    }

    /// Every To, Cc and Bcc mailbox address (groups expanded), first occurrence order,
    /// duplicates removed: one RCPT TO each.
    #[must_use]
    pub fn recipients(&self) -> &[String] {
        &self.recipients
    }
}

/// A built message, ready to serialize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    header: Vec<u8>,
    bcc: Option<Range<usize>>,
    content: Vec<u8>,
    envelope: Envelope,
    message_id: String,
}

impl Message {
    /// The message in its transmission form (no Bcc field).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.header.len() + self.content.len());
        self.write(BccHandling::Omit, &mut out);
        out
    }

    /// Appends the message to `out`, with or without its Bcc field.
    pub fn write(&self, bcc: BccHandling, out: &mut Vec<u8>) {
        match (&self.bcc, bcc) {
            (Some(range), BccHandling::Omit) => {
                out.extend_from_slice(self.header.get(..range.start).unwrap_or_default());
                out.extend_from_slice(self.header.get(range.end..).unwrap_or_default());
            }
            _ => out.extend_from_slice(&self.header),
        }
        out.extend_from_slice(&self.content);
    }

    /// The SMTP envelope: sender and all recipients, Bcc included.
    #[must_use]
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The Message-ID, with angle brackets.
    #[must_use]
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// Whether the message holds octets over 127 (a forwarded 8bit message, UTF-8 addresses):
    /// it must then be sent with `BODY=8BITMIME` (RFC 6152) or SMTPUTF8.
    #[must_use]
    pub fn requires_8bitmime(&self) -> bool {
        !self.header.is_ascii() || !self.content.is_ascii()
    }

    /// Whether an address is not ASCII (RFC 6531/6532 internationalized addresses): the
    /// message must then be sent with `SMTPUTF8`. Display names and other text never need it,
    /// they are RFC 2047 encoded.
    #[must_use]
    pub fn requires_smtputf8(&self) -> bool {
        !self.header.is_ascii()
            || !self.envelope.sender.is_ascii()
            || self.envelope.recipients.iter().any(|r| !r.is_ascii())
    }
}

/// Top-level fields the builder writes itself; refused as custom fields.
const RESERVED_MESSAGE_FIELDS: [&str; 12] = [
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
];

/// Collects the parts of a message; see the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct MessageBuilder {
    from: Vec<Mailbox<'static>>,
    sender: Option<Mailbox<'static>>,
    reply_to: Vec<Address<'static>>,
    to: Vec<Address<'static>>,
    cc: Vec<Address<'static>>,
    bcc: Vec<Address<'static>>,
    subject: Option<String>,
    date: Option<DateTime>,
    message_id: Option<String>,
    message_id_domain: Option<String>,
    in_reply_to: Vec<String>,
    references: Vec<String>,
    fields: Vec<(String, String)>,
    text: Option<String>,
    html: Option<String>,
    related: Vec<Part>,
    attachments: Vec<Part>,
    body: Option<Part>,
}

impl MessageBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> MessageBuilder {
        MessageBuilder::default()
    }

    /// Adds a From mailbox (one is required; several need a [`Self::sender`]).
    #[must_use]
    pub fn from(mut self, mailbox: Mailbox<'static>) -> Self {
        self.from.push(mailbox);
        self
    }

    /// Sets Sender (RFC 5322 §3.6.2).
    #[must_use]
    pub fn sender(mut self, mailbox: Mailbox<'static>) -> Self {
        self.sender = Some(mailbox);
        self
    }

    /// Adds a Reply-To address.
    #[must_use]
    pub fn reply_to(mut self, address: impl IntoAddress) -> Self {
        self.reply_to.push(address.into_address());
        self
    }

    /// Adds a To address (mailbox or group).
    #[must_use]
    pub fn to(mut self, address: impl IntoAddress) -> Self {
        self.to.push(address.into_address());
        self
    }

    /// Adds a Cc address.
    #[must_use]
    pub fn cc(mut self, address: impl IntoAddress) -> Self {
        self.cc.push(address.into_address());
        self
    }

    /// Adds a Bcc address: in the envelope, left out of the transmitted header.
    #[must_use]
    pub fn bcc(mut self, address: impl IntoAddress) -> Self {
        self.bcc.push(address.into_address());
        self
    }

    /// Sets the Subject (any Unicode text).
    #[must_use]
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the Date (required): the caller's clock, injected.
    #[must_use]
    pub fn date(mut self, date: DateTime) -> Self {
        self.date = Some(date);
        self
    }

    /// Sets the Message-ID (`left@right`, angle brackets optional). Without it one is made from
    /// the injected randomness and [`Self::message_id_domain`] (else the From domain).
    #[must_use]
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    /// Domain for a generated Message-ID.
    #[must_use]
    pub fn message_id_domain(mut self, domain: impl Into<String>) -> Self {
        self.message_id_domain = Some(domain.into());
        self
    }

    /// Adds an In-Reply-To identifier.
    #[must_use]
    pub fn in_reply_to(mut self, id: impl Into<String>) -> Self {
        self.in_reply_to.push(id.into());
        self
    }

    /// Adds a References identifier.
    #[must_use]
    pub fn references(mut self, id: impl Into<String>) -> Self {
        self.references.push(id.into());
        self
    }

    /// Adds a custom header field, written as unstructured text (RFC 2047 when needed).
    #[must_use]
    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// Sets the plain-text body.
    #[must_use]
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Sets the HTML body (with the text body, they become multipart/alternative).
    #[must_use]
    pub fn html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }

    /// Adds a resource the HTML refers to as `cid:content_id` (an inline image): the HTML and
    /// these become multipart/related (RFC 2387).
    #[must_use]
    pub fn inline(
        mut self,
        content_id: impl Into<String>,
        media_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        self.related
            .push(Part::inline(content_id, media_type, data));
        self
    }

    /// Adds an attachment from its file name, media type and octets.
    #[must_use]
    pub fn attachment(
        self,
        filename: impl Into<String>,
        media_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Self {
        self.attach(Part::attachment(filename, media_type, data))
    }

    /// Adds any part to the multipart/mixed level (an attachment with extra settings).
    #[must_use]
    pub fn attach(mut self, part: Part) -> Self {
        self.attachments.push(part);
        self
    }

    /// Adds a forwarded message (message/rfc822) from its raw octets.
    #[must_use]
    pub fn forward(self, raw: impl Into<Vec<u8>>) -> Self {
        self.attach(Part::message(raw).with_disposition(Disposition::Inline))
    }

    /// Sets the whole body as one part tree (instead of text/html/attachments).
    #[must_use]
    pub fn body(mut self, part: Part) -> Self {
        self.body = Some(part);
        self
    }

    fn body_tree(&mut self) -> Result<Part, BuildError> {
        let has_content = self.text.is_some()
            || self.html.is_some()
            || !self.related.is_empty()
            || !self.attachments.is_empty();
        if let Some(body) = self.body.take() {
            if has_content {
                return Err(BuildError::BodyConflict);
            }
            return Ok(body);
        }
        let html = self.html.take().map(Part::html);
        let related = std::mem::take(&mut self.related);
        let rich = match (html, related.is_empty()) {
            (Some(html), true) => Some(html),
            (Some(html), false) => {
                let mut parts = vec![html];
                parts.extend(related);
                Some(Part::multipart("related", parts))
            }
            (None, true) => None,
            // Inline resources without HTML are just inline parts of the mixed level.
            (None, false) => {
                self.attachments.splice(0..0, related);
                None
            }
        };
        let text = self.text.take().map(Part::text);
        let main = match (text, rich) {
            (Some(text), Some(rich)) => Some(Part::multipart("alternative", vec![text, rich])),
            (Some(text), None) => Some(text),
            (None, Some(rich)) => Some(rich),
            (None, None) => None,
        };
        let attachments = std::mem::take(&mut self.attachments);
        Ok(match (main, attachments.is_empty()) {
            (Some(main), true) => main,
            (main, false) => {
                let mut parts: Vec<Part> = main.into_iter().collect();
                parts.extend(attachments);
                Part::multipart("mixed", parts)
            }
            (None, true) => Part::text(""),
        })
    }

    /// Validates, encodes and assembles the message. `random` supplies the boundaries and, when
    /// none was set, the Message-ID.
    ///
    /// # Errors
    /// A [`BuildError`] naming the first invalid input.
    pub fn build(mut self, random: &mut dyn Randomness) -> Result<Message, BuildError> {
        let first_from = self.from.first().cloned().ok_or(BuildError::MissingFrom)?;
        let date = self.date.ok_or(BuildError::MissingDate)?;
        if self.from.len() > 1 && self.sender.is_none() {
            return Err(BuildError::MissingSender);
        }
        for (name, _) in &self.fields {
            if !is_valid_field_name(name) {
                return Err(BuildError::InvalidFieldName);
            }
            let reserved = RESERVED_MESSAGE_FIELDS
                .iter()
                .any(|reserved| reserved.eq_ignore_ascii_case(name))
                || part::is_reserved_part_field(name);
            if reserved {
                return Err(BuildError::ReservedField);
            }
        }

        let mut header = Vec::new();
        let mut writer = FieldWriter::new("Date");
        writer.push(" ", &date.to_rfc5322());
        header.extend_from_slice(&writer.finish());
        let from: Vec<Address<'static>> = self.from.iter().cloned().map(Address::Mailbox).collect();
        header.extend_from_slice(&address::address_field("From", &from)?);
        if let Some(sender) = &self.sender {
            header.extend_from_slice(&address::address_field(
                "Sender",
                &[Address::Mailbox(sender.clone())],
            )?);
        }
        for (name, list) in [
            ("Reply-To", &self.reply_to),
            ("To", &self.to),
            ("Cc", &self.cc),
        ] {
            if !list.is_empty() {
                header.extend_from_slice(&address::address_field(name, list)?);
            }
        }
        let bcc = if self.bcc.is_empty() {
            None
        } else {
            let start = header.len();
            header.extend_from_slice(&address::address_field("Bcc", &self.bcc)?);
            Some(start..header.len())
        };

        let message_id = match &self.message_id {
            Some(id) => address::message_id(id)?,
            None => {
                let domain = self
                    .message_id_domain
                    .as_deref()
                    .unwrap_or_else(|| first_from.domain());
                generated_message_id(random, domain)?
            }
        };
        header.extend_from_slice(&address::message_id_field(
            "Message-ID",
            std::slice::from_ref(&message_id),
        ));
        for (name, ids) in [
            ("In-Reply-To", &self.in_reply_to),
            ("References", &self.references),
        ] {
            if !ids.is_empty() {
                let ids = ids
                    .iter()
                    .map(|id| address::message_id(id))
                    .collect::<Result<Vec<_>, _>>()?;
                header.extend_from_slice(&address::message_id_field(name, &ids));
            }
        }
        if let Some(subject) = &self.subject {
            let mut writer = FieldWriter::new("Subject");
            write_unstructured(&mut writer, subject);
            header.extend_from_slice(&writer.finish());
        }
        for (name, value) in &self.fields {
            let mut writer = FieldWriter::new(name);
            write_unstructured(&mut writer, value);
            header.extend_from_slice(&writer.finish());
        }
        header.extend_from_slice(b"MIME-Version: 1.0\r\n");

        let tree = self.body_tree()?;
        let mut content = Vec::new();
        part::encode_part(&tree, random, 0, &mut content)?;
        // The message's header section is its own fields plus the root part's MIME fields.
        let root_fields = content
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .map_or(0, |at| at + 2);
        let mut section = header.clone();
        section.extend_from_slice(content.get(..root_fields).unwrap_or_default());
        part::check_header_section(&section)?;
        if matches!(tree.body(), Body::Multipart(_)) {
            content.extend_from_slice(b"\r\n");
        }

        let envelope = self.envelope(&first_from)?;
        Ok(Message {
            header,
            bcc,
            content,
            envelope,
            message_id,
        })
    }

    fn envelope(&self, first_from: &Mailbox<'static>) -> Result<Envelope, BuildError> {
        let sender = address::addr_spec(self.sender.as_ref().unwrap_or(first_from))?;
        let mut recipients: Vec<String> = Vec::new();
        for list in [&self.to, &self.cc, &self.bcc] {
            for address in list.iter() {
                let members: Vec<&Mailbox<'static>> = match address {
                    Address::Mailbox(mailbox) => vec![mailbox],
                    Address::Group(group) => group.members().iter().collect(),
                };
                for mailbox in members {
                    let spec = address::addr_spec(mailbox)?;
                    if !recipients.iter().any(|known| same_address(known, &spec)) {
                        recipients.push(spec);
                    }
                }
            }
        }
        Ok(Envelope { sender, recipients })
    }
}

/// Writes an address-list field (`To`, `Cc`, `Reply-To`, `Resent-To`, ...) the way the builder
/// does: display names quoted or RFC 2047 encoded as needed, folded, ending in CRLF. Useful
/// with [`crate::edit::Editor`].
///
/// # Errors
/// [`BuildError::InvalidFieldName`] or [`BuildError::InvalidAddress`].
pub fn address_field(name: &str, addresses: &[Address<'_>]) -> Result<Vec<u8>, BuildError> {
    if !is_valid_field_name(name) {
        return Err(BuildError::InvalidFieldName);
    }
    address::address_field(name, addresses)
}

/// Addresses compare with the local part exact and the domain case-insensitive (RFC 5321 §2.4).
fn same_address(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((local_a, domain_a)), Some((local_b, domain_b))) => {
            local_a == local_b && domain_a.eq_ignore_ascii_case(domain_b)
        }
        _ => a == b,
    }
}

/// `<26 base32 characters from 16 random bytes @ domain>`.
fn generated_message_id(random: &mut dyn Randomness, domain: &str) -> Result<String, BuildError> {
    const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    let mut left = String::with_capacity(26);
    let mut buffer = 0u32;
    let mut bits = 0u32;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = usize::try_from((buffer >> bits) & 31).unwrap_or(0);
            left.push(char::from(BASE32.get(index).copied().unwrap_or(b'a')));
        }
    }
    if bits > 0 {
        let index = usize::try_from((buffer << (5 - bits)) & 31).unwrap_or(0);
        left.push(char::from(BASE32.get(index).copied().unwrap_or(b'a')));
    }
    address::message_id(&format!("{left}@{domain}"))
}
