//! Configuration of the server machine: identity, extensions, limits, policies, timeouts.
//!
//! Every default comes from an RFC (cited on each setter) or, where the RFCs leave the
//! choice open, from what Postfix does; each one can be changed.

use std::sync::Arc;
use std::time::Duration;

use crate::codec::{DEFAULT_MAX_COMMAND_LINE, DEFAULT_MAX_SASL_LINE};
use crate::types::{Domain, Mechanism, Reply, ReplyCode};

/// Which protocol the machine speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flavor {
    /// SMTP and ESMTP (RFC 5321): HELO or EHLO, one reply after the message data.
    #[default]
    Smtp,
    /// LMTP (RFC 2033): LHLO only (HELO and EHLO get 500), and after the message data
    /// one reply per accepted recipient, in RCPT order.
    Lmtp,
}

/// How the session opens (RFC 5321 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Greeting {
    /// Send `220 <hostname> <greeting text>` at once.
    #[default]
    Accept,
    /// Send `554 <hostname> <text>`; afterwards only QUIT is accepted, every other
    /// command gets 503 (RFC 5321 §3.1).
    Refuse(String),
    /// Ask the application with [`ServerEvent::Connected`](crate::server::ServerEvent);
    /// it answers 220 (accept), 554 (refuse as above) or 421 (close).
    AskApplication,
}

/// Which decisions the application takes itself; everything else the machine answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Delegation {
    /// VRFY raises [`ServerEvent::Verify`](crate::server::ServerEvent); otherwise the
    /// machine answers `252 2.5.0` (RFC 5321 §3.5.3: cannot verify, will try).
    pub vrfy: bool,
    /// EXPN raises [`ServerEvent::Expand`](crate::server::ServerEvent); otherwise the
    /// machine answers `502 5.5.1` (EXPN is optional, RFC 5321 §4.5.1).
    pub expn: bool,
    /// HELP raises [`ServerEvent::Help`](crate::server::ServerEvent); otherwise the machine
    /// answers `214 2.0.0` with the list of commands.
    pub help: bool,
}

/// Why a configuration was refused by [`ServerConfigBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The hostname is not a valid domain (RFC 5321 §4.1.2).
    #[error("the hostname is not a valid domain")]
    InvalidHostname,
    /// The greeting or refusal text holds characters a reply cannot carry.
    #[error("the greeting text cannot be sent in a reply")]
    InvalidGreetingText,
    /// BINARYMIME was enabled without CHUNKING (RFC 3030 §3 allows it only with BDAT).
    #[error("binarymime needs chunking")]
    BinaryMimeWithoutChunking,
    /// A limit is zero where at least one is needed.
    #[error("the {0} limit must be at least 1")]
    ZeroLimit(&'static str),
}

/// The default recipient limit per transaction: the 100 that RFC 5321 §4.5.3.1.8 says a
/// server must buffer at least.
pub const DEFAULT_MAX_RECIPIENTS: usize = 100;
/// The default maximum message size: 25 MiB (RFC 5321 §4.5.3.1.7 asks for at least
/// 64 KiB; 25 MiB is what large providers accept).
pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 25 * 1024 * 1024;
/// The default number of protocol errors after which the session ends with `421 4.7.0`
/// (Postfix's `smtpd_hard_error_limit` is 20, its soft limit 10).
pub const DEFAULT_MAX_ERRORS: u32 = 10;
/// The default amount of input held unprocessed while the machine waits for the
/// application (pipelined commands and, for BDAT, chunk bytes): 1 MiB.
pub const DEFAULT_MAX_PENDING_INPUT: usize = 1024 * 1024;
/// The server's wait for the next command: 5 minutes (RFC 5321 §4.5.3.2.7).
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The server's wait for more message data during DATA or BDAT: 3 minutes, the data block
/// timeout of RFC 5321 §4.5.3.2.5 (a client gives up on a block after that long, so a
/// longer silence means it is gone).
pub const DEFAULT_DATA_TIMEOUT: Duration = Duration::from_secs(3 * 60);

/// The configuration of a [`ServerSession`](crate::server::ServerSession); build it with
/// [`ServerConfig::builder`]. Share one configuration between sessions with an [`Arc`].
///
/// ```
/// use mailwire_smtp::server::{ServerConfig, Flavor};
/// use mailwire_smtp::types::Mechanism;
///
/// let config = ServerConfig::builder("mx.example.org")
///     .starttls(true)
///     .auth_mechanisms([Mechanism::PLAIN, Mechanism::LOGIN])
///     .max_message_size(Some(10 * 1024 * 1024))
///     .build()
///     .unwrap();
/// assert_eq!(config.flavor(), Flavor::Smtp);
/// assert_eq!(config.max_recipients(), 100);
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) hostname: String,
    pub(crate) greeting_text: String,
    pub(crate) greeting: Greeting,
    pub(crate) flavor: Flavor,
    pub(crate) pipelining: bool,
    pub(crate) eight_bit_mime: bool,
    pub(crate) smtputf8: bool,
    pub(crate) chunking: bool,
    pub(crate) binary_mime: bool,
    pub(crate) advertise_size: bool,
    pub(crate) enhanced_status_codes: bool,
    pub(crate) dsn: bool,
    pub(crate) starttls: bool,
    pub(crate) implicit_tls: bool,
    pub(crate) auth_mechanisms: Vec<Mechanism<'static>>,
    pub(crate) pass_unknown_parameters: bool,
    pub(crate) max_line_length: usize,
    pub(crate) max_auth_line_length: usize,
    pub(crate) max_recipients: usize,
    pub(crate) max_message_size: Option<u64>,
    pub(crate) max_bdat_chunk_size: Option<u64>,
    pub(crate) max_errors: u32,
    pub(crate) max_pending_input: usize,
    pub(crate) require_tls_for_mail: bool,
    pub(crate) require_tls_for_auth: bool,
    pub(crate) plaintext_auth_without_tls: bool,
    pub(crate) reject_bare_line_ends_in_data: bool,
    pub(crate) quirk_bare_lf_commands: bool,
    pub(crate) delegation: Delegation,
    pub(crate) command_timeout: Duration,
    pub(crate) data_timeout: Duration,
}

impl ServerConfig {
    /// Starts a configuration for a server that calls itself `hostname` (in the greeting,
    /// the EHLO reply and the QUIT reply). The defaults are listed on each builder method.
    pub fn builder(hostname: impl Into<String>) -> ServerConfigBuilder {
        ServerConfigBuilder {
            config: ServerConfig {
                hostname: hostname.into(),
                greeting_text: String::from("ESMTP mailwire"),
                greeting: Greeting::Accept,
                flavor: Flavor::Smtp,
                pipelining: true,
                eight_bit_mime: true,
                smtputf8: true,
                chunking: true,
                binary_mime: false,
                advertise_size: true,
                enhanced_status_codes: true,
                dsn: false,
                starttls: false,
                implicit_tls: false,
                auth_mechanisms: Vec::new(),
                pass_unknown_parameters: false,
                max_line_length: DEFAULT_MAX_COMMAND_LINE,
                max_auth_line_length: DEFAULT_MAX_SASL_LINE,
                max_recipients: DEFAULT_MAX_RECIPIENTS,
                max_message_size: Some(DEFAULT_MAX_MESSAGE_SIZE),
                max_bdat_chunk_size: None,
                max_errors: DEFAULT_MAX_ERRORS,
                max_pending_input: DEFAULT_MAX_PENDING_INPUT,
                require_tls_for_mail: false,
                require_tls_for_auth: false,
                plaintext_auth_without_tls: false,
                reject_bare_line_ends_in_data: false,
                quirk_bare_lf_commands: false,
                delegation: Delegation::default(),
                command_timeout: DEFAULT_COMMAND_TIMEOUT,
                data_timeout: DEFAULT_DATA_TIMEOUT,
            },
        }
    }

    /// The server's name.
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The protocol spoken.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// The recipient limit per transaction.
    pub fn max_recipients(&self) -> usize {
        self.max_recipients
    }

    /// The message size limit, if any.
    pub fn max_message_size(&self) -> Option<u64> {
        self.max_message_size
    }

    /// The wait for the next command.
    pub fn command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// The wait for more message data.
    pub fn data_timeout(&self) -> Duration {
        self.data_timeout
    }

    /// True when STARTTLS is offered (before TLS is active).
    pub fn offers_starttls(&self) -> bool {
        self.starttls
    }

    /// The AUTH mechanisms offered.
    pub fn auth_mechanisms(&self) -> &[Mechanism<'static>] {
        &self.auth_mechanisms
    }
}

/// Builds a [`ServerConfig`]; see [`ServerConfig::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ServerConfigBuilder {
    config: ServerConfig,
}

impl ServerConfigBuilder {
    /// Text after the hostname in the 220 greeting. Default `ESMTP mailwire`.
    pub fn greeting_text(mut self, text: impl Into<String>) -> Self {
        self.config.greeting_text = text.into();
        self
    }

    /// How the session opens. Default [`Greeting::Accept`].
    pub fn greeting(mut self, greeting: Greeting) -> Self {
        self.config.greeting = greeting;
        self
    }

    /// SMTP or LMTP. Default [`Flavor::Smtp`].
    pub fn flavor(mut self, flavor: Flavor) -> Self {
        self.config.flavor = flavor;
        self
    }

    /// Advertise PIPELINING (RFC 2920). Default on. Pipelined input is handled in order
    /// either way (RFC 2920 §3.2: a server never loses input).
    pub fn pipelining(mut self, on: bool) -> Self {
        self.config.pipelining = on;
        self
    }

    /// Advertise 8BITMIME and accept `BODY=8BITMIME` (RFC 6152). Default on.
    pub fn eight_bit_mime(mut self, on: bool) -> Self {
        self.config.eight_bit_mime = on;
        self
    }

    /// Advertise SMTPUTF8 and accept UTF-8 addresses with the `SMTPUTF8` parameter
    /// (RFC 6531). Default on.
    pub fn smtputf8(mut self, on: bool) -> Self {
        self.config.smtputf8 = on;
        self
    }

    /// Advertise CHUNKING and accept BDAT (RFC 3030). Default on.
    pub fn chunking(mut self, on: bool) -> Self {
        self.config.chunking = on;
        self
    }

    /// Advertise BINARYMIME and accept `BODY=BINARYMIME` with BDAT (RFC 3030 §3).
    /// Default off (the application must then keep every octet intact).
    pub fn binary_mime(mut self, on: bool) -> Self {
        self.config.binary_mime = on;
        self
    }

    /// Advertise `SIZE n` with the message size limit (RFC 1870). Default on.
    pub fn advertise_size(mut self, on: bool) -> Self {
        self.config.advertise_size = on;
        self
    }

    /// Advertise ENHANCEDSTATUSCODES and put enhanced codes in the machine's replies
    /// (RFC 2034). Default on.
    pub fn enhanced_status_codes(mut self, on: bool) -> Self {
        self.config.enhanced_status_codes = on;
        self
    }

    /// Advertise DSN and accept RET, ENVID, NOTIFY and ORCPT (RFC 3461); the application
    /// then owes the notifications. Default off.
    pub fn dsn(mut self, on: bool) -> Self {
        self.config.dsn = on;
        self
    }

    /// Offer STARTTLS (RFC 3207): set it when the transport can do TLS. Default off.
    pub fn starttls(mut self, on: bool) -> Self {
        self.config.starttls = on;
        self
    }

    /// The connection is TLS from its first byte (RFC 8314 implicit TLS): STARTTLS is
    /// never offered and the TLS policies are met. Default off.
    pub fn implicit_tls(mut self, on: bool) -> Self {
        self.config.implicit_tls = on;
        self
    }

    /// The SASL mechanisms offered with AUTH (RFC 4954). PLAIN (RFC 4616) and LOGIN are
    /// decoded by the machine; any other goes through the generic SASL steps. Default
    /// none (AUTH not offered).
    pub fn auth_mechanisms<'m>(
        mut self,
        mechanisms: impl IntoIterator<Item = Mechanism<'m>>,
    ) -> Self {
        self.config.auth_mechanisms = mechanisms.into_iter().map(Mechanism::into_owned).collect();
        self
    }

    /// Pass MAIL and RCPT parameters the machine does not know to the application
    /// instead of answering `555 5.5.4` (RFC 5321 §4.1.1.11). Default off.
    pub fn pass_unknown_parameters(mut self, on: bool) -> Self {
        self.config.pass_unknown_parameters = on;
        self
    }

    /// Longest command line, CRLF included; longer lines get `500 5.5.2` and are
    /// skipped. Default [`DEFAULT_MAX_COMMAND_LINE`]: RFC 5321 §4.5.3.1.4 sets 512 and
    /// lets every extension raise it (SIZE, DSN, AUTH=, BODY, SMTPUTF8).
    pub fn max_line_length(mut self, octets: usize) -> Self {
        self.config.max_line_length = octets;
        self
    }

    /// Longest line in an AUTH exchange, CRLF included; longer lines fail the AUTH with
    /// `500 5.5.6` (RFC 4954 §4). Default [`DEFAULT_MAX_SASL_LINE`] (12288, RFC 4954 §4).
    pub fn max_auth_line_length(mut self, octets: usize) -> Self {
        self.config.max_auth_line_length = octets;
        self
    }

    /// Most recipients per transaction; more get `452 4.5.3` (RFC 5321 §4.5.3.1.10).
    /// Default [`DEFAULT_MAX_RECIPIENTS`]; below 100 violates RFC 5321 §4.5.3.1.8.
    pub fn max_recipients(mut self, count: usize) -> Self {
        self.config.max_recipients = count;
        self
    }

    /// Largest message in octets (after dot-unstuffing); a larger one is not passed on
    /// beyond the limit and gets `552 5.3.4` after its data (RFC 1870). `None`: no limit.
    /// Default [`DEFAULT_MAX_MESSAGE_SIZE`].
    pub fn max_message_size(mut self, octets: Option<u64>) -> Self {
        self.config.max_message_size = octets;
        self
    }

    /// Largest single BDAT chunk; a larger one is read and dropped, then answered
    /// `552 5.3.4`. `None`: only the message size limit applies. Default `None`.
    pub fn max_bdat_chunk_size(mut self, octets: Option<u64>) -> Self {
        self.config.max_bdat_chunk_size = octets;
        self
    }

    /// Protocol errors (syntax, sequence, over-long lines) allowed before the session
    /// ends with `421 4.7.0`. Default [`DEFAULT_MAX_ERRORS`].
    pub fn max_errors(mut self, count: u32) -> Self {
        self.config.max_errors = count;
        self
    }

    /// Most input held unprocessed while the machine waits for the application; more
    /// ends the session with `421 4.7.0`. From half of it on,
    /// [`Session::wants_input`](mailwire_core::Session::wants_input) is false, so a
    /// transport that honours it stops reading first. Default
    /// [`DEFAULT_MAX_PENDING_INPUT`].
    pub fn max_pending_input(mut self, octets: usize) -> Self {
        self.config.max_pending_input = octets;
        self
    }

    /// Refuse MAIL with `530 5.7.0` until TLS is active (RFC 3207 §4). Default off.
    pub fn require_tls_for_mail(mut self, on: bool) -> Self {
        self.config.require_tls_for_mail = on;
        self
    }

    /// Refuse AUTH with `530 5.7.0` until TLS is active, and do not advertise it before.
    /// Default off.
    pub fn require_tls_for_auth(mut self, on: bool) -> Self {
        self.config.require_tls_for_auth = on;
        self
    }

    /// Allow the cleartext-password mechanisms PLAIN and LOGIN without TLS. Default off:
    /// they are not advertised before TLS and AUTH with them gets `538 5.7.11`
    /// (RFC 4954 §4 and §6).
    pub fn plaintext_auth_without_tls(mut self, on: bool) -> Self {
        self.config.plaintext_auth_without_tls = on;
        self
    }

    /// Refuse a DATA message that holds a bare LF or a bare CR (like Postfix's
    /// `smtpd_forbid_bare_newline`): it is not passed on past that point and gets
    /// `550 5.6.0` after its end. Default off; either way such a line end never ends
    /// the data.
    pub fn reject_bare_line_ends_in_data(mut self, on: bool) -> Self {
        self.config.reject_bare_line_ends_in_data = on;
        self
    }

    /// Accept command lines ended by a bare LF (hand-typed sessions, broken clients).
    /// Default off: such a line gets `500 5.5.2`.
    pub fn quirk_bare_lf_commands(mut self, on: bool) -> Self {
        self.config.quirk_bare_lf_commands = on;
        self
    }

    /// Which decisions the application takes. Default: none of VRFY, EXPN, HELP.
    pub fn delegation(mut self, delegation: Delegation) -> Self {
        self.config.delegation = delegation;
        self
    }

    /// The wait for the next command. Default [`DEFAULT_COMMAND_TIMEOUT`].
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.config.command_timeout = timeout;
        self
    }

    /// The wait for more message data. Default [`DEFAULT_DATA_TIMEOUT`].
    pub fn data_timeout(mut self, timeout: Duration) -> Self {
        self.config.data_timeout = timeout;
        self
    }

    /// Checks the configuration.
    pub fn build(self) -> Result<ServerConfig, ConfigError> {
        let config = self.config;
        if Domain::new(config.hostname.as_str()).is_err() {
            return Err(ConfigError::InvalidHostname);
        }
        let greeting = format!("{} {}", config.hostname, config.greeting_text);
        if Reply::new(ReplyCode::SERVICE_READY, None, [greeting.as_str()]).is_err() {
            return Err(ConfigError::InvalidGreetingText);
        }
        if let Greeting::Refuse(text) = &config.greeting {
            let refusal = format!("{} {}", config.hostname, text);
            if Reply::new(ReplyCode::TRANSACTION_FAILED, None, [refusal.as_str()]).is_err() {
                return Err(ConfigError::InvalidGreetingText);
            }
        }
        if config.binary_mime && !config.chunking {
            return Err(ConfigError::BinaryMimeWithoutChunking);
        }
        if config.max_recipients == 0 {
            return Err(ConfigError::ZeroLimit("recipient"));
        }
        if config.max_errors == 0 {
            return Err(ConfigError::ZeroLimit("error"));
        }
        Ok(config)
    }

    /// Checks the configuration and wraps it for sharing between sessions.
    pub fn build_shared(self) -> Result<Arc<ServerConfig>, ConfigError> {
        self.build().map(Arc::new)
    }
}
