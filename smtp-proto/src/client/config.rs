//! Configuration of the client machine: flavor, timeouts, limits and preferences.

use std::time::Duration;

use crate::types::Host;

/// Which protocol the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavor {
    /// SMTP/ESMTP (RFC 5321): EHLO, falling back to HELO; one reply after the data.
    Smtp,
    /// LMTP (RFC 2033): LHLO; after the data, one reply per accepted recipient.
    Lmtp,
}

/// What the client waits for; each has its own time limit (RFC 5321 §4.5.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Waiting {
    /// The 220 greeting after connecting.
    Greeting,
    /// The reply to MAIL FROM.
    Mail,
    /// The reply to RCPT TO.
    Rcpt,
    /// The 354 reply to DATA.
    DataInitiation,
    /// Progress of the message content: the application supplying the next body chunk,
    /// or the reply to a BDAT chunk that is not the last.
    DataBlock,
    /// The reply (or, with LMTP, the replies) after the end of the content.
    DataTermination,
    /// The reply to any other command (EHLO, STARTTLS, AUTH, RSET, NOOP, QUIT, ...).
    Command,
}

/// Time limits of the client (RFC 5321 §4.5.3.2). The defaults are the RFC's minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientTimeouts {
    /// Waiting for the greeting: 5 minutes.
    pub greeting: Duration,
    /// Waiting for the reply to MAIL: 5 minutes.
    pub mail: Duration,
    /// Waiting for the reply to each RCPT: 5 minutes.
    pub rcpt: Duration,
    /// Waiting for the 354 reply to DATA: 2 minutes.
    pub data_initiation: Duration,
    /// Waiting for body progress or a BDAT chunk's reply: 3 minutes.
    pub data_block: Duration,
    /// Waiting for the reply after the end of the content: 10 minutes.
    pub data_termination: Duration,
    /// Waiting for the reply to other commands: 5 minutes (RFC 5321 names no value;
    /// this is the one it gives for MAIL and RCPT).
    pub command: Duration,
}

impl Default for ClientTimeouts {
    fn default() -> Self {
        const MINUTE: u64 = 60;
        ClientTimeouts {
            greeting: Duration::from_secs(5 * MINUTE),
            mail: Duration::from_secs(5 * MINUTE),
            rcpt: Duration::from_secs(5 * MINUTE),
            data_initiation: Duration::from_secs(2 * MINUTE),
            data_block: Duration::from_secs(3 * MINUTE),
            data_termination: Duration::from_secs(10 * MINUTE),
            command: Duration::from_secs(5 * MINUTE),
        }
    }
}

impl ClientTimeouts {
    /// The limit for one kind of wait.
    pub fn for_waiting(&self, waiting: Waiting) -> Duration {
        match waiting {
            Waiting::Greeting => self.greeting,
            Waiting::Mail => self.mail,
            Waiting::Rcpt => self.rcpt,
            Waiting::DataInitiation => self.data_initiation,
            Waiting::DataBlock => self.data_block,
            Waiting::DataTermination => self.data_termination,
            Waiting::Command => self.command,
        }
    }
}

/// Default longest reply line accepted, CRLF included.
///
/// RFC 5321 §4.5.3.1.5 allows 512 octets; real servers sometimes exceed it (long EHLO
/// keyword lists, verbose rejections), so the client accepts four times that.
pub const CLIENT_MAX_REPLY_LINE: usize = 2048;

/// Default most lines in one multi-line reply (an EHLO reply has one per extension).
pub const CLIENT_MAX_REPLY_LINES: usize = 128;

/// Default most octets buffered while no command waits for a reply: 64 KiB, room for
/// many early replies (a server that answers faster than the application decides)
/// while a server that talks unasked is cut off.
pub const CLIENT_MAX_UNSOLICITED_INPUT: usize = 64 * 1024;

/// How the client machine behaves. Build with [`ClientConfig::new`] (SMTP) or
/// [`ClientConfig::lmtp`], then adjust the public fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// SMTP or LMTP.
    pub flavor: Flavor,
    /// The name the client gives in EHLO/HELO/LHLO: its domain or an address literal.
    pub hello_name: Host<'static>,
    /// Time limits.
    pub timeouts: ClientTimeouts,
    /// Pipeline commands when the server offers PIPELINING (default true).
    pub use_pipelining: bool,
    /// Send the content with BDAT when the server offers CHUNKING (default true);
    /// otherwise DATA is used unless the message is BINARYMIME.
    pub use_chunking: bool,
    /// Send the first SASL response on the AUTH line (RFC 4954 §4) for PLAIN and for
    /// generic mechanisms given an initial response (default true). Turn off for
    /// servers that only take it after an empty 334 challenge.
    pub sasl_initial_response: bool,
    /// The connection is already encrypted (implicit TLS, port 465 style): STARTTLS is
    /// never attempted and [`ClientEvent::Ready`](crate::client::ClientEvent::Ready)
    /// reports TLS.
    pub implicit_tls: bool,
    /// Longest reply line accepted, CRLF included ([`CLIENT_MAX_REPLY_LINE`]).
    pub max_reply_line: usize,
    /// Most lines in one reply ([`CLIENT_MAX_REPLY_LINES`]).
    pub max_reply_lines: usize,
    /// Most octets buffered while no command waits for a reply
    /// ([`CLIENT_MAX_UNSOLICITED_INPUT`]). Replies that arrive before the command they
    /// answer was sent wait for it; past this the session closes with
    /// [`ProtocolError::UnsolicitedInput`](crate::client::ProtocolError).
    pub max_unsolicited_input: usize,
    /// Ignore EHLO lines whose registered keyword has malformed parameters, keeping the
    /// other capabilities. Off by default: an unreadable EHLO reply is reported as
    /// [`ProtocolError::MalformedCapabilities`](crate::client::ProtocolError) and the
    /// session goes on as if no extension were offered.
    pub quirk_skip_invalid_capabilities: bool,
}

impl ClientConfig {
    /// An SMTP client introducing itself as `hello_name`.
    pub fn new(hello_name: Host<'static>) -> Self {
        ClientConfig {
            flavor: Flavor::Smtp,
            hello_name,
            timeouts: ClientTimeouts::default(),
            use_pipelining: true,
            use_chunking: true,
            sasl_initial_response: true,
            implicit_tls: false,
            max_reply_line: CLIENT_MAX_REPLY_LINE,
            max_reply_lines: CLIENT_MAX_REPLY_LINES,
            max_unsolicited_input: CLIENT_MAX_UNSOLICITED_INPUT,
            quirk_skip_invalid_capabilities: false,
        }
    }

    /// An LMTP client (RFC 2033) introducing itself as `hello_name`.
    pub fn lmtp(hello_name: Host<'static>) -> Self {
        ClientConfig {
            flavor: Flavor::Lmtp,
            ..ClientConfig::new(hello_name)
        }
    }
}
