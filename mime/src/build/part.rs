//! Body parts: what the caller describes ([`Part`]) and how it is encoded.

use crate::encode::base64_body::{encode_base64_lines, encoded_base64_len};
use crate::encode::field::{
    is_valid_field_name, is_valid_media_value, write_with_parameters, ParameterStyle,
};
use crate::encode::fold::ENCODED_WORD_LINE_LIMIT;
use crate::encode::fold::{write_unstructured, FieldWriter, HARD_LINE_LIMIT, SOFT_LINE_LIMIT};
use crate::encode::param::{encode_parameter, is_valid_parameter_name};
use crate::encode::quoted_printable::{encode_quoted_printable, QpLineBreaks};
use crate::header::{HeaderLimits, ParameterLimits};

use super::address::message_id;
use super::boundary::choose_boundary;
use super::{BuildError, Randomness};

/// Deepest nesting of multiparts and parts the builder accepts.
pub const MAX_PART_DEPTH: usize = 32;

/// Content-Disposition type (RFC 2183).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Shown in the flow of the message.
    Inline,
    /// Offered as a separate file.
    Attachment,
}

impl Disposition {
    fn as_str(self) -> &'static str {
        match self {
            Disposition::Inline => "inline",
            Disposition::Attachment => "attachment",
        }
    }
}

/// The content of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Text (`text/*`): written as UTF-8 with `charset=utf-8`; line ends are normalised to CRLF
    /// (bare LF and bare CR each become CRLF), then 7bit, quoted-printable or base64 is chosen.
    Text(String),
    /// Octets sent exactly as given, always base64.
    Binary(Vec<u8>),
    /// A whole message (`message/rfc822`, RFC 2046 §5.2.1, which allows only the identity
    /// encodings): bare LF and bare CR become CRLF; then 7bit or 8bit. Refused if it holds NUL or
    /// a line over 998 octets, which no identity encoding can carry over SMTP.
    Message(Vec<u8>),
    /// Child parts of a `multipart/*` part; the boundary is chosen when building.
    Multipart(Vec<Part>),
}

/// A body part (or the whole body of a message): media type, optional disposition, file name,
/// Content-ID and extra fields, and its [`Body`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    media_type: String,
    parameters: Vec<(String, String)>,
    disposition: Option<Disposition>,
    filename: Option<String>,
    content_id: Option<String>,
    description: Option<String>,
    fields: Vec<(String, String)>,
    body: Body,
}

impl Part {
    fn new(media_type: impl Into<String>, body: Body) -> Part {
        Part {
            media_type: media_type.into(),
            parameters: Vec::new(),
            disposition: None,
            filename: None,
            content_id: None,
            description: None,
            fields: Vec::new(),
            body,
        }
    }

    /// A `text/plain` part.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Part {
        Part::new("text/plain", Body::Text(text.into()))
    }

    /// A `text/html` part.
    #[must_use]
    pub fn html(html: impl Into<String>) -> Part {
        Part::new("text/html", Body::Text(html.into()))
    }

    /// A text part of another subtype (`text/calendar`, `text/csv`, ...); `media_type` is the
    /// full `text/subtype`.
    #[must_use]
    pub fn text_of_type(media_type: impl Into<String>, text: impl Into<String>) -> Part {
        Part::new(media_type, Body::Text(text.into()))
    }

    /// A part holding octets (`image/png`, `application/pdf`, ...), base64 encoded.
    #[must_use]
    pub fn binary(media_type: impl Into<String>, data: impl Into<Vec<u8>>) -> Part {
        Part::new(media_type, Body::Binary(data.into()))
    }

    /// An attachment: [`Part::binary`] with disposition `attachment` and a file name.
    #[must_use]
    pub fn attachment(
        filename: impl Into<String>,
        media_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Part {
        Part::binary(media_type, data)
            .with_disposition(Disposition::Attachment)
            .with_filename(filename)
    }

    /// An inline image (or other resource) referenced from HTML as `cid:content_id`, for
    /// `multipart/related` (RFC 2387).
    #[must_use]
    pub fn inline(
        content_id: impl Into<String>,
        media_type: impl Into<String>,
        data: impl Into<Vec<u8>>,
    ) -> Part {
        Part::binary(media_type, data)
            .with_disposition(Disposition::Inline)
            .with_content_id(content_id)
    }

    /// A forwarded message (`message/rfc822`) from its raw octets.
    #[must_use]
    pub fn message(raw: impl Into<Vec<u8>>) -> Part {
        Part::new("message/rfc822", Body::Message(raw.into()))
    }

    /// A `multipart/subtype` part (`mixed`, `alternative`, `related`, ...) holding `parts`.
    #[must_use]
    pub fn multipart(subtype: &str, parts: Vec<Part>) -> Part {
        Part::new(format!("multipart/{subtype}"), Body::Multipart(parts))
    }

    /// Adds a Content-Type parameter. `charset` (text), `boundary` (multipart) and `name` (set
    /// from the file name) are written by the builder and refused here at build time.
    #[must_use]
    pub fn with_parameter(mut self, name: impl Into<String>, value: impl Into<String>) -> Part {
        self.parameters.push((name.into(), value.into()));
        self
    }

    /// Sets the Content-Disposition type.
    #[must_use]
    pub fn with_disposition(mut self, disposition: Disposition) -> Part {
        self.disposition = Some(disposition);
        self
    }

    /// Sets the file name (Content-Disposition `filename`, plus the legacy Content-Type
    /// `name`); a part with a file name and no disposition is an attachment.
    #[must_use]
    pub fn with_filename(mut self, filename: impl Into<String>) -> Part {
        self.filename = Some(filename.into());
        self
    }

    /// Sets the Content-ID (with or without angle brackets).
    #[must_use]
    pub fn with_content_id(mut self, content_id: impl Into<String>) -> Part {
        self.content_id = Some(content_id.into());
        self
    }

    /// Sets Content-Description (unstructured text).
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Part {
        self.description = Some(description.into());
        self
    }

    /// Adds a header field to the part, written as unstructured text.
    #[must_use]
    pub fn with_field(mut self, name: impl Into<String>, value: impl Into<String>) -> Part {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// The media type, `type/subtype`.
    #[must_use]
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The body.
    #[must_use]
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The file name, if any.
    #[must_use]
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The Content-ID as given, if any.
    #[must_use]
    pub fn content_id(&self) -> Option<&str> {
        self.content_id.as_deref()
    }
}

/// A transfer encoding the builder writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    SevenBit,
    EightBit,
    QuotedPrintable,
    Base64,
}

impl Encoding {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Encoding::SevenBit => "7bit",
            Encoding::EightBit => "8bit",
            Encoding::QuotedPrintable => "quoted-printable",
            Encoding::Base64 => "base64",
        }
    }
}

/// Converts every bare LF and bare CR to CRLF (the canonical form of text, RFC 2046 §4.1.1).
#[must_use]
pub fn normalize_line_ends(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 32);
    let mut bytes = input.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        match byte {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if bytes.peek() == Some(&b'\n') {
                    bytes.next();
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            other => out.push(other),
        }
    }
    out
}

/// True when canonical text can go as 7bit: ASCII without NUL or controls other than tab and
/// CRLF, every line at most 78 characters.
fn is_short_line_ascii(canonical: &[u8]) -> bool {
    canonical.split(|&b| b == b'\n').all(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.len() <= SOFT_LINE_LIMIT
            && line
                .iter()
                .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
    })
}

/// Chooses and applies the transfer encoding of text: 7bit when it already is short-lined
/// ASCII, else the shorter of quoted-printable and base64 (quoted-printable on a tie).
pub(crate) fn encode_text(text: &str) -> (Encoding, Vec<u8>) {
    encode_text_octets(normalize_line_ends(text.as_bytes()))
}

/// [`encode_text`] for text whose line ends are already what they should be.
pub(crate) fn encode_text_octets(canonical: Vec<u8>) -> (Encoding, Vec<u8>) {
    if is_short_line_ascii(&canonical) {
        return (Encoding::SevenBit, canonical);
    }
    let mut quoted = Vec::new();
    encode_quoted_printable(&canonical, QpLineBreaks::Text, &mut quoted);
    if quoted.len() <= encoded_base64_len(canonical.len()) {
        (Encoding::QuotedPrintable, quoted)
    } else {
        let mut base64 = Vec::new();
        encode_base64_lines(&canonical, &mut base64);
        (Encoding::Base64, base64)
    }
}

fn encode_message(raw: &[u8]) -> Result<(Encoding, Vec<u8>), BuildError> {
    let canonical = normalize_line_ends(raw);
    let fits = canonical
        .split(|&b| b == b'\n')
        .all(|line| line.strip_suffix(b"\r").unwrap_or(line).len() <= HARD_LINE_LIMIT);
    if !fits || canonical.contains(&0) {
        return Err(BuildError::UnencodableMessage);
    }
    let encoding = if canonical.is_ascii() {
        Encoding::SevenBit
    } else {
        Encoding::EightBit
    };
    Ok((encoding, canonical))
}

/// Fields the builder writes itself in a part; refused as extra fields.
const RESERVED_PART_FIELDS: [&str; 6] = [
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
    "content-id",
    "content-description",
    "mime-version",
];

pub(crate) fn is_reserved_part_field(name: &str) -> bool {
    RESERVED_PART_FIELDS
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(name))
}

/// Refuses parameter values so long that their RFC 2231 sections would pass the parser's
/// default limit ([`ParameterLimits::DEFAULT`], 64 sections, a file name of roughly 1300 to
/// 3800 octets depending on how much must be percent-encoded).
fn check_sections(parameters: &[(&str, &str, ParameterStyle)]) -> Result<(), BuildError> {
    let limit = ParameterLimits::DEFAULT.max_continuations;
    for (name, value, style) in parameters {
        if *style != ParameterStyle::Whole
            && encode_parameter(name, value, ENCODED_WORD_LINE_LIMIT).len() > limit
        {
            return Err(BuildError::ParameterTooLong);
        }
    }
    Ok(())
}

/// Encodes `part` as its MIME header fields, a blank line and its body.
pub(crate) fn encode_part(
    part: &Part,
    random: &mut dyn Randomness,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), BuildError> {
    if depth > MAX_PART_DEPTH {
        return Err(BuildError::TooDeep);
    }
    let header_start = out.len();
    let media_type = part.media_type.to_ascii_lowercase();
    if !is_valid_media_value(&media_type) || !media_type.contains('/') {
        return Err(BuildError::InvalidMediaType);
    }
    let top_level = media_type.split('/').next().unwrap_or_default();
    let body_fits = match &part.body {
        Body::Text(_) => top_level == "text",
        Body::Binary(_) => top_level != "multipart" && top_level != "message",
        Body::Message(_) => media_type == "message/rfc822" || media_type == "message/global",
        Body::Multipart(_) => top_level == "multipart",
    };
    if !body_fits {
        return Err(BuildError::BodyDoesNotMatchType);
    }
    for (name, _) in &part.parameters {
        let reserved = ["charset", "boundary", "name"]
            .iter()
            .any(|reserved| reserved.eq_ignore_ascii_case(name));
        if reserved {
            return Err(BuildError::ReservedParameter);
        }
        if !is_valid_parameter_name(name) {
            return Err(BuildError::InvalidParameterName);
        }
    }
    for (name, _) in &part.fields {
        if !is_valid_field_name(name) {
            return Err(BuildError::InvalidFieldName);
        }
        if is_reserved_part_field(name) {
            return Err(BuildError::ReservedField);
        }
    }

    // Body first: the multipart boundary depends on the encoded children.
    let mut body = Vec::new();
    let mut boundary = None;
    let encoding = match &part.body {
        Body::Text(text) => {
            let (encoding, bytes) = encode_text(text);
            body = bytes;
            Some(encoding)
        }
        Body::Binary(data) => {
            encode_base64_lines(data, &mut body);
            Some(Encoding::Base64)
        }
        Body::Message(raw) => {
            let (encoding, bytes) = encode_message(raw)?;
            body = bytes;
            Some(encoding)
        }
        Body::Multipart(children) => {
            if children.is_empty() {
                return Err(BuildError::EmptyMultipart);
            }
            let mut encoded_children = Vec::with_capacity(children.len());
            for child in children {
                let mut bytes = Vec::new();
                encode_part(child, random, depth + 1, &mut bytes)?;
                encoded_children.push(bytes);
            }
            let chosen = choose_boundary(random, &encoded_children)?;
            for child in &encoded_children {
                body.extend_from_slice(b"--");
                body.extend_from_slice(chosen.as_bytes());
                body.extend_from_slice(b"\r\n");
                body.extend_from_slice(child);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(b"--");
            body.extend_from_slice(chosen.as_bytes());
            body.extend_from_slice(b"--");
            boundary = Some(chosen);
            None
        }
    };

    // Content-Type with its parameters.
    let mut parameters: Vec<(&str, &str, ParameterStyle)> = Vec::new();
    if matches!(part.body, Body::Text(_)) {
        parameters.push(("charset", "utf-8", ParameterStyle::Standard));
    }
    let related_type;
    if let (Some(chosen), Body::Multipart(children)) = (&boundary, &part.body) {
        parameters.push(("boundary", chosen, ParameterStyle::Whole));
        if media_type == "multipart/related" {
            // RFC 2387 §3.1: `type` is required and names the root (first) part's type.
            related_type = children
                .first()
                .map(|root| root.media_type.to_ascii_lowercase())
                .unwrap_or_default();
            parameters.push(("type", &related_type, ParameterStyle::Standard));
        }
    }
    for (name, value) in &part.parameters {
        parameters.push((name, value, ParameterStyle::Standard));
    }
    if let Some(filename) = &part.filename {
        parameters.push(("name", filename, ParameterStyle::Legacy));
    }
    check_sections(&parameters)?;
    let mut writer = FieldWriter::new("Content-Type");
    write_with_parameters(&mut writer, &media_type, &parameters);
    out.extend_from_slice(&writer.finish());

    if let Some(encoding) = encoding {
        let mut writer = FieldWriter::new("Content-Transfer-Encoding");
        writer.push(" ", encoding.as_str());
        out.extend_from_slice(&writer.finish());
    }
    let disposition = part
        .disposition
        .or_else(|| part.filename.as_ref().map(|_| Disposition::Attachment));
    if let Some(disposition) = disposition {
        let mut parameters = Vec::new();
        if let Some(filename) = &part.filename {
            parameters.push(("filename", filename.as_str(), ParameterStyle::Standard));
        }
        check_sections(&parameters)?;
        let mut writer = FieldWriter::new("Content-Disposition");
        write_with_parameters(&mut writer, disposition.as_str(), &parameters);
        out.extend_from_slice(&writer.finish());
    }
    if let Some(content_id) = &part.content_id {
        let id = message_id(content_id).map_err(|_| BuildError::InvalidContentId)?;
        let mut writer = FieldWriter::new("Content-ID");
        writer.push(" ", &id);
        out.extend_from_slice(&writer.finish());
    }
    if let Some(description) = &part.description {
        let mut writer = FieldWriter::new("Content-Description");
        write_unstructured(&mut writer, description);
        out.extend_from_slice(&writer.finish());
    }
    for (name, value) in &part.fields {
        let mut writer = FieldWriter::new(name);
        write_unstructured(&mut writer, value);
        out.extend_from_slice(&writer.finish());
    }
    check_header_section(out.get(header_start..).unwrap_or_default())?;
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    Ok(())
}

/// Refuses a header section that readers with the parser's default limits would refuse
/// ([`HeaderLimits::DEFAULT`]: at most 1000 fields and 1 MiB).
pub(crate) fn check_header_section(section: &[u8]) -> Result<(), BuildError> {
    let limits = HeaderLimits::DEFAULT;
    let fields = section
        .split(|&b| b == b'\n')
        .filter(|line| matches!(line.first(), Some(first) if *first != b' ' && *first != b'\t'))
        .count();
    if fields > limits.max_fields || section.len() > limits.max_header_bytes {
        Err(BuildError::HeaderTooLarge)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_are_normalised() {
        assert_eq!(
            normalize_line_ends(b"a\nb\r\nc\rd\r"),
            b"a\r\nb\r\nc\r\nd\r\n"
        );
    }

    #[test]
    fn text_encoding_choice() {
        assert_eq!(encode_text("Hello\nworld").0, Encoding::SevenBit);
        assert_eq!(encode_text("Hello\nworld").1, b"Hello\r\nworld");
        assert_eq!(
            encode_text(&"long ".repeat(40)).0,
            Encoding::QuotedPrintable
        );
        assert_eq!(
            encode_text("Gr\u{fc}\u{df}e aus K\u{f6}ln, wir sehen uns morgen im B\u{fc}ro.").0,
            Encoding::QuotedPrintable
        );
        assert_eq!(
            encode_text(&"\u{65e5}\u{672c}\u{8a9e}".repeat(10)).0,
            Encoding::Base64
        );
        assert_eq!(encode_text("nul\0byte").0, Encoding::QuotedPrintable);
    }

    #[test]
    fn forwarded_messages_must_fit_identity_encodings() {
        assert_eq!(
            encode_message(b"Subject: x\n\nbody\n").unwrap(),
            (Encoding::SevenBit, b"Subject: x\r\n\r\nbody\r\n".to_vec())
        );
        assert_eq!(
            encode_message("Subject: \u{e9}\r\n\r\n".as_bytes())
                .unwrap()
                .0,
            Encoding::EightBit
        );
        let long = format!("Subject: x\r\n\r\n{}\r\n", "y".repeat(999));
        assert_eq!(
            encode_message(long.as_bytes()),
            Err(BuildError::UnencodableMessage)
        );
        assert_eq!(encode_message(b"a\0b"), Err(BuildError::UnencodableMessage));
    }
}
