//! The stateless SMTP codec: command lines, AUTH exchange lines, replies and EHLO
//! capabilities, in both directions.
//!
//! Decoders take bytes and return [`Status`]: `Complete { value, consumed }` once a whole
//! line (or multi-line reply) ending in CRLF is there, `Partial` before. Decoded values
//! borrow the input and decoding a command does not allocate. Encoders append to a
//! `Vec<u8>` and can not fail: every value was validated when it was built.
//!
//! Strict by default; each leniency is a named `quirk_*` field of [`DecodeOptions`].
//!
//! ```
//! use mailwire_core::Status;
//! use mailwire_smtp::codec::{decode_reply, decode_ehlo, DecodeOptions};
//! use mailwire_smtp::types::Capability;
//!
//! let opts = DecodeOptions::default();
//! let input = b"250-mail.example.com Hello\r\n250-SIZE 35882577\r\n250 PIPELINING\r\n";
//! let Ok(Status::Complete { value: reply, consumed }) = decode_reply(input, &opts) else { panic!() };
//! assert_eq!(consumed, input.len());
//! let ehlo = decode_ehlo(&reply, &opts).unwrap();
//! assert_eq!(ehlo.domain(), "mail.example.com");
//! assert_eq!(ehlo.capabilities(), &[Capability::Size(Some(35882577)), Capability::Pipelining]);
//! ```

pub(crate) mod parse;

use mailwire_core::Status;

use crate::error::DecodeError;
use crate::types::{Capability, Command, EhloResponse, Reply, ReplyCode, SaslResponse, Verb};

/// Default longest command line, CRLF included: 2048 octets.
///
/// RFC 5321 §4.5.3.1.4 sets 512, and lets extensions raise it: SIZE adds 26 (RFC 1870),
/// DSN requires accepting 1036 (RFC 3461 §10.1), AUTH= adds 500 (RFC 4954 §5), plus
/// BODY, SMTPUTF8, REQUIRETLS. That sums to about 1600; 2048 is Postfix's
/// `line_length_limit` and leaves room for unknown parameters.
pub const DEFAULT_MAX_COMMAND_LINE: usize = 2048;
/// Default longest AUTH exchange line, CRLF included: 12288 octets (RFC 4954 §4).
pub const DEFAULT_MAX_SASL_LINE: usize = 12288;
/// Default longest reply line, CRLF included: 512 octets (RFC 5321 §4.5.3.1.5).
pub const DEFAULT_MAX_REPLY_LINE: usize = 512;
/// Default most lines in one reply: 100 (an EHLO reply has about 20).
pub const DEFAULT_MAX_REPLY_LINES: usize = 100;

/// What the decoders accept. `Default` is strict RFC behaviour with the documented
/// limits; set fields to change it.
///
/// ```
/// use mailwire_smtp::codec::DecodeOptions;
/// let mut opts = DecodeOptions::default();
/// opts.smtputf8 = true; // the server advertised SMTPUTF8
/// opts.quirk_space_after_colon = true; // accept `MAIL FROM: <a@b>`
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeOptions {
    /// SMTPUTF8 is in effect (RFC 6531): UTF-8 is accepted in local parts, domains
    /// (U-labels), parameter values and text arguments. Without it any octet above 127
    /// in a command is [`DecodeError::NonAscii`]. A server sets it after advertising
    /// SMTPUTF8 (for MAIL) and when the transaction's MAIL carried SMTPUTF8 (for RCPT).
    pub smtputf8: bool,
    /// Longest command line, CRLF included. Default [`DEFAULT_MAX_COMMAND_LINE`].
    pub max_command_line: usize,
    /// Longest AUTH exchange line, CRLF included. Default [`DEFAULT_MAX_SASL_LINE`].
    pub max_sasl_line: usize,
    /// Longest reply line, CRLF included. Default [`DEFAULT_MAX_REPLY_LINE`].
    pub max_reply_line: usize,
    /// Most lines in one reply. Default [`DEFAULT_MAX_REPLY_LINES`].
    pub max_reply_lines: usize,
    /// Accept spaces between `FROM:`/`TO:` and the path (`MAIL FROM: <a@b>`), which
    /// RFC 5321 §4.1.1.2 forbids but many clients send. Off by default.
    pub quirk_space_after_colon: bool,
    /// Accept a command line ended by a bare LF. Off by default: a bare LF is how SMTP
    /// smuggling starts, and RFC 5321 §2.3.8 requires CRLF.
    pub quirk_bare_lf: bool,
    /// Ignore spaces and tabs at the end of a command line (some scripts and hand-typed
    /// sessions send them). Off by default.
    pub quirk_trailing_whitespace: bool,
    /// Skip EHLO lines whose registered keyword has malformed parameters instead of
    /// failing the whole EHLO reply. Off by default.
    pub quirk_skip_invalid_capabilities: bool,
}

impl DecodeOptions {
    /// The strict defaults (also `Default::default()`).
    pub const fn new() -> Self {
        DecodeOptions {
            smtputf8: false,
            max_command_line: DEFAULT_MAX_COMMAND_LINE,
            max_sasl_line: DEFAULT_MAX_SASL_LINE,
            max_reply_line: DEFAULT_MAX_REPLY_LINE,
            max_reply_lines: DEFAULT_MAX_REPLY_LINES,
            quirk_space_after_colon: false,
            quirk_bare_lf: false,
            quirk_trailing_whitespace: false,
            quirk_skip_invalid_capabilities: false,
        }
    }
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions::new()
    }
}

/// One reply line as read: its code, whether it is the last line, and its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyLine<'a> {
    /// The reply code.
    pub code: ReplyCode,
    /// True for `code SP text` or a bare `code` (the last line of a reply).
    pub last: bool,
    /// The text after the separator, enhanced code included.
    pub text: &'a str,
}

/// Decodes the command line at the start of `input`.
///
/// `Partial` until a CRLF arrives; [`DecodeError::LineTooLong`] as soon as
/// `max_command_line` octets have arrived without one. On an error the caller discards
/// the line (through its LF) and answers with [`DecodeError::suggested_reply`].
#[inline]
pub fn decode_command<'a>(
    input: &'a [u8],
    opts: &DecodeOptions,
) -> Result<Status<Command<'a>>, DecodeError> {
    match parse::frame_line(input, opts.max_command_line, opts.quirk_bare_lf)? {
        None => Ok(Status::Partial),
        Some((line, consumed)) => Ok(Status::Complete {
            value: parse::command::decode_line(line, opts)?,
            consumed,
        }),
    }
}

/// Decodes one command line whose line end was already removed (for callers that frame
/// lines themselves, e.g. with `mailwire_core::line::LineBuffer`). The length limit is
/// the framer's business.
pub fn decode_command_line<'a>(
    line: &'a [u8],
    opts: &DecodeOptions,
) -> Result<Command<'a>, DecodeError> {
    parse::command::decode_line(line, opts)
}

/// The verb of a command line, if known (e.g. to pick the reply of a malformed command).
pub fn peek_verb(line: &[u8]) -> Option<Verb> {
    parse::command::verb_of(line)
}

/// Appends a command line, CRLF included.
pub fn encode_command(command: &Command<'_>, out: &mut Vec<u8>) {
    parse::command::encode(command, out);
}

/// Decodes a client line of an AUTH exchange (RFC 4954 §4): base64 or `*`. Only valid
/// after a 334 challenge, hence apart from [`decode_command`].
pub fn decode_sasl_response<'a>(
    input: &'a [u8],
    opts: &DecodeOptions,
) -> Result<Status<SaslResponse<'a>>, DecodeError> {
    match parse::frame_line(input, opts.max_sasl_line, opts.quirk_bare_lf)? {
        None => Ok(Status::Partial),
        Some((line, consumed)) => Ok(Status::Complete {
            value: parse::command::decode_sasl_line(line)?,
            consumed,
        }),
    }
}

/// Decodes an AUTH exchange line whose line end was already removed.
pub fn decode_sasl_response_line(line: &[u8]) -> Result<SaslResponse<'_>, DecodeError> {
    parse::command::decode_sasl_line(line)
}

/// Appends an AUTH exchange line, CRLF included.
pub fn encode_sasl_response(response: &SaslResponse<'_>, out: &mut Vec<u8>) {
    parse::command::encode_sasl(response, out);
}

/// Decodes the whole reply (all its lines) at the start of `input`.
///
/// `Partial` until the last line (`code SP` or a bare `code`) has its CRLF. Lines with
/// different codes are [`DecodeError::InconsistentReplyCodes`].
pub fn decode_reply<'a>(
    input: &'a [u8],
    opts: &DecodeOptions,
) -> Result<Status<Reply<'a>>, DecodeError> {
    Ok(match parse::reply::decode(input, opts)? {
        Some((value, consumed)) => Status::Complete { value, consumed },
        None => Status::Partial,
    })
}

/// Decodes one reply line whose line end was already removed.
pub fn decode_reply_line(line: &[u8]) -> Result<ReplyLine<'_>, DecodeError> {
    parse::reply::decode_line(line)
}

/// Appends a reply, CRLF after each line.
pub fn encode_reply(reply: &Reply<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(reply.wire().as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Reads the greeting and capabilities of a 250 reply to EHLO or LHLO.
///
/// Empty lines (Postfix's smtp-sink ends with `250 `) are skipped; trailing spaces are
/// ignored; unknown keywords are kept. A registered keyword with malformed parameters
/// fails unless [`DecodeOptions::quirk_skip_invalid_capabilities`].
pub fn decode_ehlo<'r>(
    reply: &'r Reply<'_>,
    opts: &DecodeOptions,
) -> Result<EhloResponse<'r>, DecodeError> {
    parse::capability::decode_ehlo(reply, opts)
}

/// Decodes the text of one EHLO line (after `250-`).
pub fn decode_capability(line: &str) -> Result<Capability<'_>, DecodeError> {
    parse::capability::parse_capability(line)
}

/// Appends the text of one EHLO line (no reply code, no CRLF).
pub fn encode_capability(capability: &Capability<'_>, out: &mut Vec<u8>) {
    parse::capability::encode_capability(capability, out);
}

/// Appends an EHLO response as a 250 reply.
pub fn encode_ehlo(response: &EhloResponse<'_>, out: &mut Vec<u8>) {
    encode_reply(&response.to_reply(), out);
}
