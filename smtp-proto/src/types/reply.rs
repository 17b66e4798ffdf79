//! Replies (RFC 5321 §4.2) and enhanced status codes (RFC 2034, RFC 3463).

use std::borrow::Cow;
use std::fmt;

use crate::codec::parse::reply as grammar;
use crate::error::DecodeError;

/// Longest reply line, `code`, separator, text and CRLF included (RFC 5321 §4.5.3.1.5).
pub const MAX_REPLY_LINE_LEN: usize = 512;

/// A reply code `[2-5][0-5][0-9]` (RFC 5321 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// 211 System status.
    pub const SYSTEM_STATUS: ReplyCode = ReplyCode(211);
    /// 214 Help message.
    pub const HELP: ReplyCode = ReplyCode(214);
    /// 220 Service ready (greeting).
    pub const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// 221 Service closing transmission channel.
    pub const CLOSING: ReplyCode = ReplyCode(221);
    /// 235 Authentication succeeded (RFC 4954).
    pub const AUTH_SUCCEEDED: ReplyCode = ReplyCode(235);
    /// 250 Requested mail action okay, completed.
    pub const OK: ReplyCode = ReplyCode(250);
    /// 251 User not local; will forward.
    pub const USER_NOT_LOCAL_WILL_FORWARD: ReplyCode = ReplyCode(251);
    /// 252 Cannot VRFY user, but will accept message.
    pub const CANNOT_VERIFY: ReplyCode = ReplyCode(252);
    /// 334 SASL challenge (RFC 4954).
    pub const AUTH_CHALLENGE: ReplyCode = ReplyCode(334);
    /// 354 Start mail input.
    pub const START_MAIL_INPUT: ReplyCode = ReplyCode(354);
    /// 421 Service not available, closing transmission channel.
    pub const SERVICE_NOT_AVAILABLE: ReplyCode = ReplyCode(421);
    /// 450 Mailbox unavailable (temporary).
    pub const MAILBOX_BUSY: ReplyCode = ReplyCode(450);
    /// 451 Local error in processing.
    pub const LOCAL_ERROR: ReplyCode = ReplyCode(451);
    /// 452 Insufficient system storage (also: too many recipients).
    pub const INSUFFICIENT_STORAGE: ReplyCode = ReplyCode(452);
    /// 454 TLS not available / temporary authentication failure.
    pub const TEMPORARY_FAILURE: ReplyCode = ReplyCode(454);
    /// 455 Server unable to accommodate parameters.
    pub const PARAMETERS_NOT_ACCOMMODATED: ReplyCode = ReplyCode(455);
    /// 500 Syntax error, command unrecognized (also: line too long).
    pub const SYNTAX_ERROR: ReplyCode = ReplyCode(500);
    /// 501 Syntax error in parameters or arguments.
    pub const PARAMETER_SYNTAX_ERROR: ReplyCode = ReplyCode(501);
    /// 502 Command not implemented.
    pub const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    /// 503 Bad sequence of commands.
    pub const BAD_SEQUENCE: ReplyCode = ReplyCode(503);
    /// 504 Command parameter not implemented.
    pub const PARAMETER_NOT_IMPLEMENTED: ReplyCode = ReplyCode(504);
    /// 530 Must issue a STARTTLS command first / authentication required.
    pub const AUTH_REQUIRED: ReplyCode = ReplyCode(530);
    /// 535 Authentication credentials invalid (RFC 4954).
    pub const AUTH_INVALID: ReplyCode = ReplyCode(535);
    /// 550 Mailbox unavailable.
    pub const MAILBOX_UNAVAILABLE: ReplyCode = ReplyCode(550);
    /// 551 User not local.
    pub const USER_NOT_LOCAL: ReplyCode = ReplyCode(551);
    /// 552 Exceeded storage allocation.
    pub const EXCEEDED_STORAGE: ReplyCode = ReplyCode(552);
    /// 553 Mailbox name not allowed.
    pub const MAILBOX_NAME_NOT_ALLOWED: ReplyCode = ReplyCode(553);
    /// 554 Transaction failed (or, as a greeting, no SMTP service here).
    pub const TRANSACTION_FAILED: ReplyCode = ReplyCode(554);
    /// 555 MAIL/RCPT parameters not recognized or not implemented.
    pub const PARAMETERS_NOT_RECOGNIZED: ReplyCode = ReplyCode(555);

    /// Validates a code: first digit 2 to 5, second 0 to 5, third 0 to 9.
    ///
    /// ```
    /// use mailwire_smtp::types::ReplyCode;
    /// assert_eq!(ReplyCode::new(250), Some(ReplyCode::OK));
    /// assert_eq!(ReplyCode::new(260), None);
    /// assert_eq!(ReplyCode::new(199), None);
    /// ```
    pub const fn new(code: u16) -> Option<ReplyCode> {
        let first = code / 100;
        let second = code / 10 % 10;
        if first >= 2 && first <= 5 && second <= 5 {
            Some(ReplyCode(code))
        } else {
            None
        }
    }

    /// For codes known valid at compile time inside the crate.
    pub(crate) const fn from_valid(code: u16) -> ReplyCode {
        ReplyCode(code)
    }

    /// The numeric code.
    pub fn get(self) -> u16 {
        self.0
    }

    /// The first digit: 2 positive completion, 3 intermediate, 4 transient, 5 permanent.
    pub fn class(self) -> u8 {
        // the code is at most 599, so the quotient fits a u8
        u8::try_from(self.0 / 100).unwrap_or(5)
    }

    /// 2yz.
    pub fn is_positive(self) -> bool {
        self.class() == 2
    }

    /// 3yz.
    pub fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4yz.
    pub fn is_transient_failure(self) -> bool {
        self.class() == 4
    }

    /// 5yz.
    pub fn is_permanent_failure(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code `class.subject.detail` (RFC 3463 §2): class 2, 4 or 5,
/// subject and detail 0 to 999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatusCode {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedStatusCode {
    /// Validates the three numbers.
    ///
    /// ```
    /// use mailwire_smtp::types::EnhancedStatusCode;
    /// let code = EnhancedStatusCode::new(5, 1, 1).unwrap();
    /// assert_eq!(code.to_string(), "5.1.1");
    /// assert!(EnhancedStatusCode::new(3, 0, 0).is_none());
    /// ```
    pub const fn new(class: u8, subject: u16, detail: u16) -> Option<EnhancedStatusCode> {
        if (class == 2 || class == 4 || class == 5) && subject <= 999 && detail <= 999 {
            Some(EnhancedStatusCode {
                class,
                subject,
                detail,
            })
        } else {
            None
        }
    }

    pub(crate) const fn from_valid(class: u8, subject: u16, detail: u16) -> Self {
        EnhancedStatusCode {
            class,
            subject,
            detail,
        }
    }

    /// 2 success, 4 persistent transient failure, 5 permanent failure.
    pub fn class(self) -> u8 {
        self.class
    }

    /// The subject (RFC 3463 §3: 0 other, 1 addressing, 2 mailbox, 3 mail system,
    /// 4 network and routing, 5 mail delivery protocol, 6 message content, 7 security).
    pub fn subject(self) -> u16 {
        self.subject
    }

    /// The detail.
    pub fn detail(self) -> u16 {
        self.detail
    }
}

impl fmt::Display for EnhancedStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A whole reply, one or more lines sharing one code.
///
/// The enhanced status code, when the first line's text starts with one of the reply's
/// class followed by a space or the line end, is parsed out; [`Reply::lines`] gives each
/// line's text without the code, and without the enhanced code where it equals the
/// first line's. [`Reply::new`] writes the enhanced code at the head of every line, as
/// RFC 2034 §4 requires; a decoded reply is encoded again exactly as it was received.
///
/// A decoded reply borrows its lines from the input (no allocation).
#[derive(Clone)]
pub struct Reply<'a> {
    code: ReplyCode,
    enhanced: Option<EnhancedStatusCode>,
    /// The lines in wire form, `code` and separators included, joined by CRLF, without
    /// the final CRLF.
    wire: Cow<'a, str>,
}

impl<'a> Reply<'a> {
    /// Builds a reply from its lines of text (at least one; an empty text is allowed).
    ///
    /// Fails when a line contains CR, LF or another control character except HT, when a
    /// line would exceed 512 octets on the wire, or when the enhanced code's class
    /// disagrees with the reply code (or is given to a 3yz reply). Without an enhanced
    /// code, a first line that starts like one of the reply's class (`2.0.0 Ok` in a 250)
    /// is refused too: pass the code as `enhanced` instead, so that decoding the reply
    /// gives back the same value.
    ///
    /// ```
    /// use mailwire_smtp::types::{EnhancedStatusCode, Reply, ReplyCode};
    /// let reply = Reply::new(ReplyCode::OK, EnhancedStatusCode::new(2, 1, 0), ["Sender ok"]).unwrap();
    /// assert_eq!(reply.to_string(), "250 2.1.0 Sender ok\r\n");
    /// assert!(Reply::new(ReplyCode::OK, None, ["a\r\nb"]).is_err());
    /// ```
    pub fn new<'t>(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        lines: impl IntoIterator<Item = &'t str>,
    ) -> Result<Reply<'static>, DecodeError> {
        grammar::build_reply(code, enhanced, lines, MAX_REPLY_LINE_LEN)
    }

    /// A one-line reply without enhanced code.
    pub fn single(code: ReplyCode, text: &str) -> Result<Reply<'static>, DecodeError> {
        Reply::new(code, None, [text])
    }

    pub(crate) fn from_valid(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        wire: Cow<'a, str>,
    ) -> Self {
        Reply {
            code,
            enhanced,
            wire,
        }
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, if the reply carries one.
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.enhanced
    }

    /// The text of each line, without the reply code and enhanced code.
    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        grammar::reply_texts(&self.wire, self.enhanced)
    }

    /// The text of each line as sent: without the reply code but with any enhanced code.
    pub fn raw_lines(&self) -> impl Iterator<Item = &str> + '_ {
        grammar::reply_raw_texts(&self.wire)
    }

    /// The text of the first line (without codes).
    pub fn first_line(&self) -> &str {
        self.lines().next().unwrap_or("")
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.raw_lines().count()
    }

    /// The wire form without the final CRLF, used by the encoder.
    pub(crate) fn wire(&self) -> &str {
        &self.wire
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Reply<'static> {
        Reply {
            code: self.code,
            enhanced: self.enhanced,
            wire: Cow::Owned(self.wire.into_owned()),
        }
    }
}

impl PartialEq for Reply<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.enhanced == other.enhanced && self.lines().eq(other.lines())
    }
}

impl Eq for Reply<'_> {}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("lines", &self.lines().collect::<Vec<_>>())
            .finish()
    }
}

impl fmt::Display for Reply<'_> {
    /// The reply as encoded on the wire, CRLF included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        crate::codec::encode_reply(self, &mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}
