//! Server configuration and the maildrop listing handed over at login.

use std::time::Duration;

use crate::codec::{DEFAULT_MAX_SASL_LINE, MAX_COMMAND_LINE};
use crate::error::ValueError;
use crate::types::{Capability, Mechanism, UniqueId};

/// The inactivity autologout of RFC 1939 §3: at least 10 minutes.
pub const DEFAULT_AUTOLOGOUT: Duration = Duration::from_secs(10 * 60);
/// Default number of bad commands after which the session is closed.
pub const DEFAULT_MAX_ERRORS: u32 = 10;
/// Default limit of client bytes held while a command waits for the application
/// (pipelined commands behind it).
pub const DEFAULT_MAX_PIPELINED_INPUT: usize = 64 * 1024;

/// How the server treats USER/PASS and plaintext SASL mechanisms (PLAIN, LOGIN) before
/// TLS (RFC 2595 §2.2, RFC 5034 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleartextLogin {
    /// Refuse them with `-ERR [AUTH]` and do not advertise them until TLS is active
    /// (the default RFC 5034 asks for).
    RequireTls,
    /// Allow them on a plaintext connection too.
    Allow,
}

/// What the server machine offers; see the field docs for defaults.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Greeting text after `+OK` (the APOP timestamp, if any, is appended).
    /// Default `"POP3 server ready"`.
    pub greeting: String,
    /// Text of the `+OK` to QUIT in AUTHORIZATION. Default `"POP3 server signing off"`.
    pub signoff: String,
    /// `IMPLEMENTATION` capability, if any. Default `None`.
    pub implementation: Option<String>,
    /// Whether STLS is offered (the transport can do TLS). Default `false`.
    pub stls: bool,
    /// Whether the connection starts in TLS (port 995). Default `false`.
    pub implicit_tls: bool,
    /// USER/PASS and plaintext SASL without TLS. Default [`CleartextLogin::RequireTls`].
    pub cleartext_login: CleartextLogin,
    /// Whether USER/PASS is offered at all. Default `true`.
    pub user_pass: bool,
    /// SASL mechanisms offered (the application runs them). Default `[PLAIN]`.
    pub sasl_mechanisms: Vec<Mechanism<'static>>,
    /// Whether the UTF8 command is offered (RFC 6856 §2); `Some(true)` adds `USER`.
    /// Default `None`.
    pub utf8: Option<bool>,
    /// Whether the LANG command is offered (RFC 6856 §3). Default `false`.
    pub lang: bool,
    /// More capability lines (EXPIRE, LOGIN-DELAY, ...). Default empty.
    pub extra_capabilities: Vec<Capability<'static>>,
    /// Inactivity autologout (RFC 1939 §3 asks for at least 10 minutes). Default
    /// [`DEFAULT_AUTOLOGOUT`].
    pub autologout: Duration,
    /// Bad commands tolerated before the session is closed. Default
    /// [`DEFAULT_MAX_ERRORS`].
    pub max_errors: u32,
    /// Longest command line, CRLF included (RFC 2449 §4: 255). Default
    /// [`MAX_COMMAND_LINE`].
    pub max_command_line: usize,
    /// Longest SASL response line, CRLF included. Default [`DEFAULT_MAX_SASL_LINE`].
    pub max_sasl_line: usize,
    /// Client bytes held while a command waits for the application; more closes the
    /// session. Default [`DEFAULT_MAX_PIPELINED_INPUT`].
    pub max_pipelined_input: usize,
    /// Quirk: accept commands ending in a bare LF. Default `false` (they get `-ERR`).
    pub quirk_accept_bare_lf: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: "POP3 server ready".into(),
            signoff: "POP3 server signing off".into(),
            implementation: None,
            stls: false,
            implicit_tls: false,
            cleartext_login: CleartextLogin::RequireTls,
            user_pass: true,
            sasl_mechanisms: vec![Mechanism::plain()],
            utf8: None,
            lang: false,
            extra_capabilities: Vec::new(),
            autologout: DEFAULT_AUTOLOGOUT,
            max_errors: DEFAULT_MAX_ERRORS,
            max_command_line: MAX_COMMAND_LINE,
            max_sasl_line: DEFAULT_MAX_SASL_LINE,
            max_pipelined_input: DEFAULT_MAX_PIPELINED_INPUT,
            quirk_accept_bare_lf: false,
        }
    }
}

/// One message of the maildrop, as the server sees it at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    /// The exact size in octets with CRLF line ends (RFC 1939 §11).
    pub size: u64,
    /// Its unique-id (RFC 1939 §7), stable across sessions.
    pub unique_id: UniqueId<'static>,
}

/// The maildrop snapshot of a session: message numbers are positions in this list and
/// stay fixed for the whole TRANSACTION state (RFC 1939 §4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Maildrop {
    messages: Vec<MessageInfo>,
}

impl Maildrop {
    /// A maildrop of these messages (at most `u32::MAX`).
    pub fn new(messages: Vec<MessageInfo>) -> Result<Self, ValueError> {
        if u32::try_from(messages.len()).is_err() {
            return Err(ValueError::TooLong("maildrop"));
        }
        Ok(Maildrop { messages })
    }

    /// The messages.
    pub fn messages(&self) -> &[MessageInfo] {
        &self.messages
    }
}
