//! Stateless decoding and encoding of IMAP commands and responses.
//!
//! Decoders take the bytes received so far and return
//! [`Status::Complete`] with the value and the number
//! of bytes it took, [`Status::Partial`] when more bytes
//! are needed, or a [`DecodeError`]. Values borrow from the input.
//!
//! A synchronizing literal (`{n}`) makes the sender wait for a continuation request
//! before it sends the literal's bytes. [`frame_command`] tells a server exactly that:
//! it returns [`Frame::Literal`] with the announced length as soon as the announcing
//! line is in, after checking the length against [`Limits::max_literal_length`], so the
//! server can answer `+` (or refuse) before a single literal byte is read or buffered.
//! [`frame_response`] does the same for a client reading responses.
//!
//! Encoders append to a `Vec<u8>` and cannot fail: every value that exists is valid.
//! They pick the form of each string (atom, quoted or literal) from the value and the
//! [`EncodeOptions`], and modified UTF-7 or UTF-8 for mailbox names.
//! [`encode_command_fragments`] also returns where a client must stop and wait for `+`.

mod encode;
mod parse;

use mailwire_core::Status;

use crate::error::DecodeError;
use crate::types::{AuthenticateData, Command, Greeting, Response, Tag};

pub use encode::{
    encode_authenticate_data, encode_command, encode_command_fragments, encode_greeting,
    encode_idle_done, encode_response, EncodedCommand,
};

/// The IMAP version in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// IMAP4rev1 (RFC 3501): 7-bit quoted strings, modified UTF-7 mailbox names.
    #[default]
    Rev1,
    /// IMAP4rev2 (RFC 9051), once the server advertises only it or after
    /// `ENABLE IMAP4rev2`: UTF-8 in quoted strings, text and mailbox names.
    Rev2,
}

/// Which non-synchronizing literals (`{n+}`, RFC 7888) the server accepts.
///
/// There is no `{n-}` form: LITERAL- uses the same `{n+}` syntax, capped at 4096 octets
/// (RFC 7888 §5), and `{n-}` is a syntax error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NonSyncLiterals {
    /// Neither LITERAL+ nor LITERAL- was advertised: every literal a client sends waits
    /// for `+`.
    #[default]
    Forbidden,
    /// `LITERAL-`: non-synchronizing literals of at most 4096 octets.
    Minus,
    /// `LITERAL+`: non-synchronizing literals of any size.
    Plus,
}

impl NonSyncLiterals {
    /// The largest literal LITERAL- lets a client send without waiting.
    pub const LITERAL_MINUS_MAX: u64 = 4096;

    /// True when a literal of `length` octets may be sent without waiting for `+`.
    pub fn allows(self, length: u64) -> bool {
        match self {
            NonSyncLiterals::Forbidden => false,
            NonSyncLiterals::Minus => length <= Self::LITERAL_MINUS_MAX,
            NonSyncLiterals::Plus => true,
        }
    }
}

/// Limits that bound what a decoder accepts, so no input can make it allocate or
/// recurse without bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Limits {
    /// The largest literal accepted, in octets; a larger announcement is refused before
    /// any of its bytes is read. Default 64 MiB, enough for APPEND of any message a
    /// mail server would store, and for FETCH of one.
    pub max_literal_length: u64,
    /// The longest line between literals, CRLF included, that [`frame_command`] and
    /// [`frame_response`] accept. Default 64 KiB (Dovecot's `imap_max_line_length`).
    pub max_line_length: usize,
    /// How deeply parentheses may nest in search keys, extension values and body
    /// extension data. Default 64.
    pub max_nesting: u32,
    /// How deeply body structures may nest (each multipart and each encapsulated
    /// message is one level). Default 64: a forwarded message inside a forwarded message
    /// inside multiparts needs about 6; imap-codec stops at 8.
    pub max_body_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_literal_length: 64 * 1024 * 1024,
            max_line_length: 64 * 1024,
            max_nesting: 64,
            max_body_depth: 64,
        }
    }
}

/// Named leniencies for peers that bend the grammar. All off by default.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Quirks {
    /// Accept 8-bit octets in quoted strings under IMAP4rev1 (some servers put raw
    /// UTF-8 subjects in ENVELOPE quoted strings).
    pub eight_bit_quoted: bool,
    /// Accept 8-bit or invalid UTF-8 human-readable text, replacing what is not valid
    /// with U+FFFD.
    pub lossy_text: bool,
}

/// What a decoder needs to know about the session: the capabilities in effect and the
/// limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// IMAP4rev1 or IMAP4rev2.
    pub version: Version,
    /// `ENABLE UTF8=ACCEPT` succeeded (RFC 6855): UTF-8 in quoted strings and mailbox
    /// names, as under IMAP4rev2.
    pub utf8_accept: bool,
    /// The non-synchronizing literals a server accepts (for commands; responses never
    /// have them).
    pub non_sync_literals: NonSyncLiterals,
    /// Size and depth limits.
    pub limits: Limits,
    /// Leniencies.
    pub quirks: Quirks,
}

impl DecodeOptions {
    /// These options with another IMAP version.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// These options with UTF8=ACCEPT enabled or not.
    pub fn with_utf8_accept(mut self, utf8_accept: bool) -> Self {
        self.utf8_accept = utf8_accept;
        self
    }

    /// These options with other non-synchronizing literal rules.
    pub fn with_non_sync_literals(mut self, non_sync_literals: NonSyncLiterals) -> Self {
        self.non_sync_literals = non_sync_literals;
        self
    }

    /// These options with other limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// These options with other quirks.
    pub fn with_quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// True when quoted strings and mailbox names are UTF-8 (IMAP4rev2 or UTF8=ACCEPT).
    pub fn utf8(&self) -> bool {
        self.version == Version::Rev2 || self.utf8_accept
    }
}

/// What an encoder needs to know about the session: the capabilities in effect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// IMAP4rev1 or IMAP4rev2.
    pub version: Version,
    /// `ENABLE UTF8=ACCEPT` succeeded.
    pub utf8_accept: bool,
    /// The non-synchronizing literals the server advertised (used when encoding
    /// commands).
    pub non_sync_literals: NonSyncLiterals,
}

impl EncodeOptions {
    /// These options with another IMAP version.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// These options with UTF8=ACCEPT enabled or not.
    pub fn with_utf8_accept(mut self, utf8_accept: bool) -> Self {
        self.utf8_accept = utf8_accept;
        self
    }

    /// These options with other non-synchronizing literal rules.
    pub fn with_non_sync_literals(mut self, non_sync_literals: NonSyncLiterals) -> Self {
        self.non_sync_literals = non_sync_literals;
        self
    }

    /// True when quoted strings and mailbox names are UTF-8 (IMAP4rev2 or UTF8=ACCEPT).
    pub fn utf8(&self) -> bool {
        self.version == Version::Rev2 || self.utf8_accept
    }
}

impl From<&DecodeOptions> for EncodeOptions {
    fn from(options: &DecodeOptions) -> Self {
        EncodeOptions {
            version: options.version,
            utf8_accept: options.utf8_accept,
            non_sync_literals: options.non_sync_literals,
        }
    }
}

/// Decodes one command, literals included.
///
/// `Partial` when the command is not complete, including while the bytes of a literal
/// are still to come: use [`frame_command`] to learn whether the client waits for `+`.
/// A literal longer than the limit is an error as soon as its announcement is read.
pub fn decode_command<'a>(
    input: &'a [u8],
    options: &DecodeOptions,
) -> Result<Status<Command<'a>>, DecodeError> {
    parse::run(input, options, false, parse::command::command)
}

/// Decodes one response (tagged, untagged or continuation request), literals included.
pub fn decode_response<'a>(
    input: &'a [u8],
    options: &DecodeOptions,
) -> Result<Status<Response<'a>>, DecodeError> {
    parse::run(input, options, true, parse::response::response)
}

/// Decodes the server greeting (`* OK`, `* PREAUTH` or `* BYE`).
pub fn decode_greeting<'a>(
    input: &'a [u8],
    options: &DecodeOptions,
) -> Result<Status<Greeting<'a>>, DecodeError> {
    parse::run(input, options, true, parse::response::greeting)
}

/// Decodes a line a client sends during AUTHENTICATE: base64 data or `*` to cancel.
pub fn decode_authenticate_data(
    input: &[u8],
    options: &DecodeOptions,
) -> Result<Status<AuthenticateData>, DecodeError> {
    parse::run(input, options, false, parse::command::authenticate_data)
}

/// Decodes the `DONE` line that ends IDLE (RFC 2177).
pub fn decode_idle_done(input: &[u8], options: &DecodeOptions) -> Result<Status<()>, DecodeError> {
    parse::run(input, options, false, parse::command::idle_done)
}

/// The tag at the start of `input`, if it has a valid one followed by a space: what a
/// server puts in the BAD response to a command it could not decode.
pub fn command_tag(input: &[u8]) -> Option<Tag<'_>> {
    let end = input
        .iter()
        .position(|&byte| !crate::chars::is_tag_char(byte))?;
    if end == 0 || input.get(end) != Some(&b' ') {
        return None;
    }
    let tag = std::str::from_utf8(input.get(..end)?).ok()?;
    Some(Tag::from_checked(tag))
}

/// A literal announced at the end of a line whose bytes are not all there yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PendingLiteral {
    /// The announced length in octets (already checked against the limit).
    pub length: u64,
    /// `{n}`: the sender waits for a continuation request before sending the bytes.
    /// `{n+}` is not synchronizing.
    pub synchronizing: bool,
    /// `~{n}`: a literal8 (RFC 3516), which may hold NUL.
    pub binary: bool,
    /// Where the literal's first byte is (or will be) in the input.
    pub data_offset: usize,
    /// How many of its bytes are already in the input.
    pub available: u64,
}

impl PendingLiteral {
    /// How many more bytes the literal needs.
    pub fn missing(&self) -> u64 {
        self.length.saturating_sub(self.available)
    }
}

/// Where the first message in a buffer ends, found without decoding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frame {
    /// A whole command or response: the first `length` bytes.
    Complete {
        /// Its length, CRLF and literals included.
        length: usize,
    },
    /// The current line has not ended yet.
    NeedLine,
    /// A line ended with a literal announcement and the literal is not complete.
    /// For a synchronizing literal, a server sends `+` (or refuses) now.
    Literal(PendingLiteral),
}

/// Finds the end of the first command in `input`, checking every literal length and
/// every line length against the limits before anything is buffered; see the
/// [module docs](self).
pub fn frame_command(input: &[u8], options: &DecodeOptions) -> Result<Frame, DecodeError> {
    frame(input, options, false)
}

/// Finds the end of the first response in `input`, like [`frame_command`].
pub fn frame_response(input: &[u8], options: &DecodeOptions) -> Result<Frame, DecodeError> {
    frame(input, options, true)
}

struct Announcement {
    length: u64,
    non_sync: bool,
    binary: bool,
}

/// Reads `{n}`, `{n+}`, `~{n}` or `~{n+}` at the end of a line (CR included, LF not).
fn announcement_at_end(line: &[u8]) -> Option<Result<Announcement, DecodeError>> {
    let line = line.strip_suffix(b"}\r")?;
    let (line, non_sync) = match line.strip_suffix(b"+") {
        Some(rest) => (rest, true),
        None => (line, false),
    };
    let digit_count = line
        .iter()
        .rev()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    if digit_count == 0 {
        return None;
    }
    let split = line.len() - digit_count;
    let before = line.get(..split)?;
    let digits = line.get(split..)?;
    let before = before.strip_suffix(b"{")?;
    let binary = before.ends_with(b"~");
    let mut length: u64 = 0;
    for &digit in digits {
        length = match length
            .checked_mul(10)
            .and_then(|value| value.checked_add(u64::from(digit - b'0')))
        {
            Some(value) => value,
            None => {
                return Some(Err(DecodeError::LiteralTooLarge {
                    length: u64::MAX,
                    limit: 0,
                }))
            }
        };
    }
    Some(Ok(Announcement {
        length,
        non_sync,
        binary,
    }))
}

fn check_literal(
    announcement: &Announcement,
    options: &DecodeOptions,
    from_server: bool,
) -> Result<(), DecodeError> {
    let limit = options.limits.max_literal_length;
    if announcement.length > limit {
        return Err(DecodeError::LiteralTooLarge {
            length: announcement.length,
            limit,
        });
    }
    if announcement.non_sync
        && (from_server || !options.non_sync_literals.allows(announcement.length))
    {
        return Err(DecodeError::NonSyncLiteralNotAllowed {
            length: announcement.length,
        });
    }
    Ok(())
}

fn frame(input: &[u8], options: &DecodeOptions, from_server: bool) -> Result<Frame, DecodeError> {
    let max_line = options.limits.max_line_length;
    let mut position = 0usize;
    loop {
        let rest = input.get(position..).unwrap_or_default();
        let Some(line_feed) = memchr::memchr(b'\n', rest) else {
            if rest.len() >= max_line {
                return Err(DecodeError::LineTooLong { limit: max_line });
            }
            return Ok(Frame::NeedLine);
        };
        if line_feed + 1 > max_line {
            return Err(DecodeError::LineTooLong { limit: max_line });
        }
        let line = rest.get(..line_feed).unwrap_or_default();
        let line_end = position + line_feed + 1;
        match announcement_at_end(line) {
            None => return Ok(Frame::Complete { length: line_end }),
            Some(announcement) => {
                let announcement = match announcement {
                    Ok(announcement) => announcement,
                    Err(DecodeError::LiteralTooLarge { length, .. }) => {
                        return Err(DecodeError::LiteralTooLarge {
                            length,
                            limit: options.limits.max_literal_length,
                        })
                    }
                    Err(other) => return Err(other),
                };
                check_literal(&announcement, options, from_server)?;
                let available = (input.len() - line_end) as u64;
                if available < announcement.length {
                    return Ok(Frame::Literal(PendingLiteral {
                        length: announcement.length,
                        synchronizing: !announcement.non_sync,
                        binary: announcement.binary,
                        data_offset: line_end,
                        available,
                    }));
                }
                // The length fits in usize: it is at most the bytes available.
                position = line_end
                    .saturating_add(usize::try_from(announcement.length).unwrap_or(usize::MAX));
            }
        }
    }
}

#[cfg(test)]
mod tests;
