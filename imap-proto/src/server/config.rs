//! What the server machine offers, and its limits.

use std::time::Duration;

use crate::codec::{NonSyncLiterals, Quirks};
use crate::types::{Atom, Capability};

/// The inactivity autologout once logged in. RFC 3501 §5.4 / RFC 9051 §5.4: at least 30
/// minutes.
pub const DEFAULT_AUTOLOGOUT: Duration = Duration::from_secs(30 * 60);
/// The inactivity autologout before login; RFC 9051 §5.4 allows it to be shorter, to
/// protect the server from idle unauthenticated connections.
pub const DEFAULT_UNAUTHENTICATED_TIMEOUT: Duration = Duration::from_secs(3 * 60);
/// Malformed or misplaced commands tolerated before `* BYE`.
pub const DEFAULT_MAX_ERRORS: u32 = 10;
/// Longest line between literals, CRLF included (Dovecot's `imap_max_line_length`; RFC
/// 7162 §4 asks servers to accept at least 8192 octets).
pub const DEFAULT_MAX_LINE_LENGTH: usize = 64 * 1024;
/// Largest literal in a command other than APPEND's message (mailbox names, passwords,
/// SEARCH strings). RFC 7888 §4: such literals can have much lower limits than APPEND.
pub const DEFAULT_MAX_LITERAL_LENGTH: u64 = 64 * 1024;
/// Largest command other than APPEND's message octets, lines and literals included.
pub const DEFAULT_MAX_COMMAND_LENGTH: usize = 256 * 1024;
/// Largest APPEND message (advertised as `APPENDLIMIT=`, RFC 7889).
pub const DEFAULT_MAX_APPEND_SIZE: u64 = 64 * 1024 * 1024;
/// Largest refused non-synchronizing literal the machine reads and drops to keep the
/// session going (RFC 7888 §4, first choice); a larger one ends the session with
/// `* BYE [TOOBIG]` (second choice).
pub const DEFAULT_MAX_DISCARDED_LITERAL: u64 = 1024 * 1024;
/// Client octets held while a command waits for the application (the commands
/// pipelined behind it).
pub const DEFAULT_MAX_PIPELINED_INPUT: usize = 1024 * 1024;
/// Unsolicited updates held back (RFC 3501 §7.4.1) before [`Server::push`] refuses more.
///
/// [`Server::push`]: crate::server::Server::push
pub const DEFAULT_MAX_HELD_UPDATES: usize = 10_000;

/// How the server treats LOGIN and the plaintext SASL mechanisms (PLAIN, LOGIN) before
/// TLS (RFC 3501 §6.2.3, RFC 9051 §6.2.3, RFC 2595 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CleartextLogin {
    /// Advertise LOGINDISABLED, hide `AUTH=PLAIN`, and refuse them with
    /// `NO [PRIVACYREQUIRED]` until TLS is active (the configuration the RFCs require a
    /// server to have).
    RequireTls,
    /// Allow them on a plaintext connection too.
    Allow,
}

/// Which IMAP versions the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Versions {
    /// IMAP4rev1 (RFC 3501) only.
    Rev1,
    /// IMAP4rev2 (RFC 9051) only: rev2 rules from the greeting on.
    Rev2,
    /// Both advertised: rev1 until the client sends `ENABLE IMAP4rev2`.
    Both,
}

/// What the server machine offers; see each field for its default.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Text of the `* OK` greeting. Default `"IMAP server ready"`.
    pub greeting: String,
    /// Put `[CAPABILITY ...]` in the greeting. Default `true`.
    pub capability_in_greeting: bool,
    /// Put `[CAPABILITY ...]` in the OK of a successful LOGIN or AUTHENTICATE when the
    /// application gave no response code (RFC 9051 §6.2.2 recommends it). Default `true`.
    pub capability_after_login: bool,
    /// Text of the `* BYE` before LOGOUT's OK. Default
    /// `"IMAP server terminating connection"`.
    pub logout_text: String,
    /// IMAP4rev1, IMAP4rev2 or both. Default [`Versions::Rev1`].
    pub versions: Versions,
    /// Offer STARTTLS (the transport can upgrade). Default `false`.
    pub starttls: bool,
    /// The connection starts in TLS (port 993). Default `false`.
    pub implicit_tls: bool,
    /// LOGIN and plaintext SASL before TLS. Default [`CleartextLogin::RequireTls`].
    pub cleartext_login: CleartextLogin,
    /// SASL mechanisms offered. PLAIN is run by the machine (it reports a
    /// [`ServerEvent::Login`](crate::server::ServerEvent::Login)); the application runs
    /// the others through [`ServerEvent::Authenticate`](crate::server::ServerEvent::Authenticate).
    /// Default `[PLAIN]`.
    pub auth_mechanisms: Vec<Atom<'static>>,
    /// Offer SASL-IR (RFC 4959). Default `true`.
    pub sasl_ir: bool,
    /// LITERAL+ or LITERAL- (RFC 7888). Default [`NonSyncLiterals::Minus`]. IMAP4rev2
    /// always allows LITERAL- sized ones.
    pub non_sync_literals: NonSyncLiterals,
    /// Offer IDLE (RFC 2177). Default `true`.
    pub idle: bool,
    /// What ENABLE may turn on and the application implements: any of CONDSTORE, QRESYNC
    /// (RFC 7162) and UTF8=ACCEPT (RFC 6855); they are advertised. IMAP4rev2 is
    /// enableable when [`Versions::Both`]. Default empty.
    pub enable: Vec<Capability<'static>>,
    /// Capabilities of extensions the application implements (UIDPLUS, MOVE, UNSELECT,
    /// NAMESPACE, ID, MULTIAPPEND, SPECIAL-USE, QUOTA, ...). Commands of extensions not
    /// advertised get BAD. Default empty.
    pub capabilities: Vec<Capability<'static>>,
    /// Advertise `APPENDLIMIT=` with [`max_append_size`](Self::max_append_size) (RFC
    /// 7889). Default `true`.
    pub advertise_append_limit: bool,
    /// Inactivity autologout once logged in. Default [`DEFAULT_AUTOLOGOUT`]; shorter
    /// values count as 30 minutes, the least RFC 3501 §5.4 allows.
    pub autologout: Duration,
    /// Inactivity autologout before login. Default [`DEFAULT_UNAUTHENTICATED_TIMEOUT`].
    pub unauthenticated_timeout: Duration,
    /// Malformed or misplaced commands before `* BYE`. Default [`DEFAULT_MAX_ERRORS`].
    pub max_errors: u32,
    /// Longest line between literals. Default [`DEFAULT_MAX_LINE_LENGTH`].
    pub max_line_length: usize,
    /// Largest literal outside APPEND's message. Default [`DEFAULT_MAX_LITERAL_LENGTH`].
    pub max_literal_length: u64,
    /// Largest command outside APPEND's message. Default [`DEFAULT_MAX_COMMAND_LENGTH`].
    pub max_command_length: usize,
    /// Largest APPEND message; the application can change it per session with
    /// [`Server::set_append_limit`](crate::server::Server::set_append_limit). Default
    /// [`DEFAULT_MAX_APPEND_SIZE`].
    pub max_append_size: u64,
    /// Largest refused non-synchronizing literal that is skipped rather than ending the
    /// session. Default [`DEFAULT_MAX_DISCARDED_LITERAL`].
    pub max_discarded_literal: u64,
    /// Client octets held while the application decides. Default
    /// [`DEFAULT_MAX_PIPELINED_INPUT`] (at least a whole command is always allowed).
    pub max_pipelined_input: usize,
    /// Updates held back before pushes are refused. Default [`DEFAULT_MAX_HELD_UPDATES`].
    pub max_held_updates: usize,
    /// How deeply parentheses may nest in a command. Default 64.
    pub max_nesting: u32,
    /// Leniencies of the command decoder. Default none.
    pub quirks: Quirks,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            greeting: "IMAP server ready".into(),
            capability_in_greeting: true,
            capability_after_login: true,
            logout_text: "IMAP server terminating connection".into(),
            versions: Versions::Rev1,
            starttls: false,
            implicit_tls: false,
            cleartext_login: CleartextLogin::RequireTls,
            auth_mechanisms: vec![Atom::from_checked("PLAIN")],
            sasl_ir: true,
            non_sync_literals: NonSyncLiterals::Minus,
            idle: true,
            enable: Vec::new(),
            capabilities: Vec::new(),
            advertise_append_limit: true,
            autologout: DEFAULT_AUTOLOGOUT,
            unauthenticated_timeout: DEFAULT_UNAUTHENTICATED_TIMEOUT,
            max_errors: DEFAULT_MAX_ERRORS,
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            max_literal_length: DEFAULT_MAX_LITERAL_LENGTH,
            max_command_length: DEFAULT_MAX_COMMAND_LENGTH,
            max_append_size: DEFAULT_MAX_APPEND_SIZE,
            max_discarded_literal: DEFAULT_MAX_DISCARDED_LITERAL,
            max_pipelined_input: DEFAULT_MAX_PIPELINED_INPUT,
            max_held_updates: DEFAULT_MAX_HELD_UPDATES,
            max_nesting: 64,
            quirks: Quirks::default(),
        }
    }
}
