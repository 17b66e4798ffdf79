//! The server's configuration file (TOML).
//!
//! At first start the server writes the file with every setting spelled out at its
//! default (see [`Config::render`]); the administrator changes what they need. Every
//! setting has a default, so a file may also name only what differs. Unknown keys are
//! refused, so a typo does not go unnoticed. Relative paths are taken from the data
//! folder. Durations are in seconds (`_secs`), sizes in octets.
//!
//! Sections: the top-level keys (names, domains, users), `[mx]`, `[submission]`,
//! `[submissions]` (the three SMTP listeners, [`ListenerConfig`]), `[pop3]`, `[pop3s]`
//! (the POP3 listeners, [`AccessListenerConfig`]), `[imap]`, `[imaps]` (the IMAP
//! listeners, [`ImapListenerConfig`]), `[tls]`,
//! `[mx_policy]` (optional checks of inbound clients), `[queue]`
//! ([`QueueConfig`]), `[delivery]` ([`DeliveryConfig`]), `[relay]` ([`RelayConfig`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use mailwire_smtp::types::Domain;
use serde::{Deserialize, Serialize};

use crate::access::imap::config::ImapListenerConfig;
use crate::delivery::DeliveryConfig;
use crate::queue::QueueConfig;
use crate::relay::RelayConfig;

/// The default name of the configuration file in the data folder.
pub const CONFIG_FILE_NAME: &str = "mailserver.toml";

/// Why the configuration could not be read, written or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Reading or writing the file failed.
    #[error("configuration file i/o error")]
    Io(#[from] std::io::Error),
    /// The file is not valid TOML for this configuration (the message says where).
    #[error("configuration file is invalid: {0}")]
    Parse(String),
    /// The configuration could not be written as TOML.
    #[error("configuration cannot be written: {0}")]
    Render(String),
    /// A value is not acceptable; the message names the key.
    #[error("invalid setting {key}: {reason}")]
    Invalid {
        /// The key, as `section.key`.
        key: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

fn invalid(key: &'static str, reason: &'static str) -> ConfigError {
    ConfigError::Invalid { key, reason }
}

/// The whole configuration; see the [module docs](self) and the README for each key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The server's name: in greetings, `Received` fields, the certificate made at
    /// first start, Maildir file names. Default `localhost`.
    pub hostname: String,
    /// The domains whose mail this server delivers locally (the MX listener accepts
    /// mail only for them). Default `["mailwire.test"]`.
    pub local_domains: Vec<String>,
    /// The user made at first start with a random password, printed once; empty for
    /// none. Default `demo@mailwire.test`.
    pub demo_user: String,
    /// Where mail to `postmaster` (RFC 5321 §4.5.1: every domain must accept it) of
    /// every local domain, and to the bare `<Postmaster>`, is delivered. Default the
    /// demo user.
    pub postmaster: String,
    /// The user file ([`crate::users`]). Default `users`.
    pub users_file: PathBuf,
    /// What is logged, as a `tracing` filter (`info`, `debug`,
    /// `mailwire_examples=debug`); the `RUST_LOG` environment variable wins.
    /// Default `info`.
    pub log: String,
    /// The DKIM selector submission signs with (RFC 6376 §3.1): at first start an
    /// Ed25519 key is made in `dkim/<selector>.key` and the TXT record to publish at
    /// `<selector>._domainkey.<domain>` written to `dkim/<selector>.txt`; mail
    /// submitted from a local domain is signed. Empty to not sign. Default `mailwire`.
    pub dkim_selector: String,
    /// The MX listener (port 25 role): mail from anywhere for the local domains, no
    /// AUTH, STARTTLS offered. Default `127.0.0.1:2525`.
    pub mx: ListenerConfig,
    /// The submission listener (port 587 role): STARTTLS, then AUTH, required.
    /// Default `127.0.0.1:2587`.
    pub submission: ListenerConfig,
    /// The submissions listener (port 465 role): TLS from the first byte (RFC 8314),
    /// AUTH required. Default `127.0.0.1:2465`.
    pub submissions: ListenerConfig,
    /// The POP3 listener (port 110 role): STLS, then USER/PASS or AUTH PLAIN.
    /// Default `127.0.0.1:2110`.
    pub pop3: AccessListenerConfig,
    /// The POP3S listener (port 995 role): TLS from the first byte. Default
    /// `127.0.0.1:2995`.
    pub pop3s: AccessListenerConfig,
    /// The IMAP listener (port 143 role): STARTTLS, then LOGIN or AUTHENTICATE PLAIN
    /// (LOGINDISABLED before TLS). Default `127.0.0.1:2143`.
    pub imap: ImapListenerConfig,
    /// The IMAP listener with TLS from the first byte (port 993 role). Default
    /// `127.0.0.1:2993`.
    pub imaps: ImapListenerConfig,
    /// The certificate.
    pub tls: TlsConfig,
    /// Checks of clients of the MX listener, each off by default.
    pub mx_policy: PolicyConfig,
    /// SPF, DKIM and DMARC checks of mail arriving on the MX listener.
    pub mx_auth: MxAuthConfig,
    /// The queue's retry schedule and limits.
    pub queue: QueueConfig,
    /// The delivery agent (LMTP server writing the Maildirs `mail/<address>/Maildir`).
    pub delivery: DeliveryConfig,
    /// How mail for other domains leaves (MX lookups or a smart host); its resolver
    /// (`dns`) also serves the MX policies.
    pub relay: RelayConfig,
}

/// One SMTP listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerConfig {
    /// False to not open this listener. Default true.
    #[serde(default = "defaults::enabled")]
    pub enabled: bool,
    /// Address and port to listen on; port 0 lets the system choose (tests).
    pub listen: SocketAddr,
    /// Largest message in octets, advertised with SIZE (RFC 1870). Default 25 MiB.
    #[serde(default = "defaults::max_message_size")]
    pub max_message_size: u64,
    /// Most recipients of one message (RFC 5321 §4.5.3.1.8 asks for at least 100).
    /// Default 100.
    #[serde(default = "defaults::max_recipients")]
    pub max_recipients: usize,
    /// Most connections served at once; more are answered `421 4.7.0` and closed.
    /// Default 200.
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// Protocol errors (bad commands) before the session is closed with 421.
    /// Default 10.
    #[serde(default = "defaults::max_errors")]
    pub max_errors: u32,
    /// Failed AUTH attempts before the session is closed with 421. Default 3.
    #[serde(default = "defaults::max_auth_failures")]
    pub max_auth_failures: u32,
    /// Wait for the next command (RFC 5321 §4.5.3.2.7: 5 minutes). Default 300.
    #[serde(default = "defaults::command_timeout_secs")]
    pub command_timeout_secs: u64,
    /// Wait for more message data (RFC 5321 §4.5.3.2.5: 3 minutes). Default 180.
    #[serde(default = "defaults::data_timeout_secs")]
    pub data_timeout_secs: u64,
    /// Octets read from a connection at a time; small keeps idle connections cheap.
    /// Default 4096.
    #[serde(default = "defaults::read_buffer")]
    pub read_buffer: usize,
}

/// One mailbox-access listener (POP3, IMAP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessListenerConfig {
    /// False to not open this listener. Default true.
    #[serde(default = "defaults::enabled")]
    pub enabled: bool,
    /// Address and port to listen on; port 0 lets the system choose (tests).
    pub listen: SocketAddr,
    /// Most connections served at once; more are refused. Default 200.
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// Protocol errors (bad commands) before the session is closed. Default 10.
    #[serde(default = "defaults::max_errors")]
    pub max_errors: u32,
    /// Failed logins before the session is closed. Default 3.
    #[serde(default = "defaults::max_auth_failures")]
    pub max_auth_failures: u32,
    /// Inactivity before the session is closed (POP3 autologout: RFC 1939 asks for at
    /// least 10 minutes; IMAP: RFC 3501 at least 30). Default 1800.
    #[serde(default = "defaults::idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// Octets read from a connection at a time. Default 4096.
    #[serde(default = "defaults::read_buffer")]
    pub read_buffer: usize,
}

impl AccessListenerConfig {
    /// A listener on `listen` with every other setting at its default.
    pub fn on(listen: SocketAddr) -> Self {
        AccessListenerConfig {
            enabled: defaults::enabled(),
            listen,
            max_connections: defaults::max_connections(),
            max_errors: defaults::max_errors(),
            max_auth_failures: defaults::max_auth_failures(),
            idle_timeout_secs: defaults::idle_timeout_secs(),
            read_buffer: defaults::read_buffer(),
        }
    }
}

/// The certificate for STARTTLS and implicit TLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain; made self-signed at first start when neither it nor the
    /// key exists. Default `tls/cert.pem`.
    pub cert: PathBuf,
    /// PEM private key. Default `tls/key.pem`.
    pub key: PathBuf,
    /// Longest wait for a client's TLS handshake. Default 30.
    pub handshake_timeout_secs: u64,
}

/// Optional checks of the MX listener's clients, made when they connect. A client that
/// fails one is greeted with `554 5.7.1` (and may only QUIT); a DNS failure that may be
/// temporary answers `421 4.7.1` for the PTR check, and lets the client in for DNSBLs
/// (a blocklist that cannot be reached blocks no one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyConfig {
    /// Refuse clients whose address has no name (PTR) that resolves back to it
    /// (forward-confirmed reverse DNS). Default false.
    pub ptr_check: bool,
    /// DNS blocklists (DNSBL, RFC 5782) to look the client's address up in, such as
    /// `zen.spamhaus.org`; a client listed in one is refused. Default none.
    pub dnsbl_zones: Vec<String>,
}

/// Sender authentication of mail arriving on the MX listener (RFC 7208 SPF, RFC 6376
/// DKIM, RFC 7489 DMARC), asked through the resolver of `[relay] dns`. The results go
/// into an `Authentication-Results` field (RFC 8601) on top of the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MxAuthConfig {
    /// False to check nothing and add no field. Default true.
    pub enabled: bool,
    /// Refuse (`550 5.7.1`) a message whose DMARC evaluation fails under a
    /// `p=reject` policy. Default true.
    pub reject_dmarc_reject: bool,
    /// Refuse MAIL FROM (`550 5.7.23`) when its SPF result is `fail`, whatever DMARC
    /// would say. Default false (SPF alone breaks forwarding).
    pub spf_reject: bool,
    /// The longest the SPF check at MAIL FROM, and then the DKIM and DMARC checks after
    /// DATA, may each take, in seconds; what is not answered by then is a `temperror`.
    /// Default 10.
    pub timeout_secs: u64,
}

impl Default for MxAuthConfig {
    fn default() -> Self {
        MxAuthConfig {
            enabled: true,
            reject_dmarc_reject: true,
            spf_reject: false,
            timeout_secs: 10,
        }
    }
}

mod defaults {
    pub(super) fn enabled() -> bool {
        true
    }
    pub(super) fn max_message_size() -> u64 {
        mailwire_smtp::server::DEFAULT_MAX_MESSAGE_SIZE
    }
    pub(super) fn max_recipients() -> usize {
        mailwire_smtp::server::DEFAULT_MAX_RECIPIENTS
    }
    pub(super) fn max_connections() -> usize {
        200
    }
    pub(super) fn max_errors() -> u32 {
        mailwire_smtp::server::DEFAULT_MAX_ERRORS
    }
    pub(super) fn max_auth_failures() -> u32 {
        3
    }
    pub(super) fn command_timeout_secs() -> u64 {
        mailwire_smtp::server::DEFAULT_COMMAND_TIMEOUT.as_secs()
    }
    pub(super) fn data_timeout_secs() -> u64 {
        mailwire_smtp::server::DEFAULT_DATA_TIMEOUT.as_secs()
    }
    pub(super) fn read_buffer() -> usize {
        4096
    }
    pub(super) fn idle_timeout_secs() -> u64 {
        30 * 60
    }
}

impl ListenerConfig {
    /// A listener on `listen` with every other setting at its default.
    pub fn on(listen: SocketAddr) -> Self {
        ListenerConfig {
            enabled: defaults::enabled(),
            listen,
            max_message_size: defaults::max_message_size(),
            max_recipients: defaults::max_recipients(),
            max_connections: defaults::max_connections(),
            max_errors: defaults::max_errors(),
            max_auth_failures: defaults::max_auth_failures(),
            command_timeout_secs: defaults::command_timeout_secs(),
            data_timeout_secs: defaults::data_timeout_secs(),
            read_buffer: defaults::read_buffer(),
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Default for Config {
    fn default() -> Self {
        Config {
            hostname: String::from("localhost"),
            local_domains: vec![String::from("mailwire.test")],
            demo_user: String::from("demo@mailwire.test"),
            postmaster: String::from("demo@mailwire.test"),
            users_file: PathBuf::from("users"),
            log: String::from("info"),
            dkim_selector: String::from("mailwire"),
            mx: ListenerConfig::on(loopback(2525)),
            submission: ListenerConfig::on(loopback(2587)),
            submissions: ListenerConfig::on(loopback(2465)),
            pop3: AccessListenerConfig::on(loopback(2110)),
            pop3s: AccessListenerConfig::on(loopback(2995)),
            imap: ImapListenerConfig::on(loopback(2143)),
            imaps: ImapListenerConfig::on(loopback(2993)),
            tls: TlsConfig::default(),
            mx_policy: PolicyConfig::default(),
            mx_auth: MxAuthConfig::default(),
            queue: QueueConfig::default(),
            delivery: DeliveryConfig::default(),
            relay: RelayConfig::default(),
        }
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert: PathBuf::from("tls/cert.pem"),
            key: PathBuf::from("tls/key.pem"),
            handshake_timeout_secs: 30,
        }
    }
}

/// What each section of the written file says about itself.
const SECTION_COMMENTS: &[(&str, &str)] = &[
    (
        "mx",
        "The MX listener (port 25 role): mail from anywhere, only for local_domains and\n\
         their users; no AUTH; STARTTLS offered.",
    ),
    (
        "submission",
        "The submission listener (port 587 role): STARTTLS, then AUTH (PLAIN, LOGIN),\n\
         required; the sender must be the authenticated user.",
    ),
    (
        "submissions",
        "The submissions listener (port 465 role): TLS from the first byte, then AUTH.",
    ),
    (
        "pop3",
        "The POP3 listener (port 110 role): STLS, then USER/PASS or AUTH PLAIN (refused\n\
         before TLS); the maildrop is the user's INBOX, one session at a time.",
    ),
    (
        "pop3s",
        "The POP3S listener (port 995 role): TLS from the first byte.",
    ),
    (
        "imap",
        "The IMAP listener (port 143 role) serving each user's Maildir: STARTTLS, then\n\
         LOGIN or AUTHENTICATE PLAIN (LOGINDISABLED before TLS).",
    ),
    (
        "imaps",
        "The IMAP listener with TLS from the first byte (port 993 role).",
    ),
    (
        "tls",
        "The certificate; made self-signed at first start when neither file exists.",
    ),
    (
        "mx_policy",
        "Checks of MX clients when they connect, each off by default: ptr_check refuses\n\
         addresses without forward-confirmed reverse DNS; dnsbl_zones lists DNS\n\
         blocklists. Both ask the resolver of [relay] dns.",
    ),
    (
        "mx_auth",
        "SPF (at MAIL FROM), DKIM and DMARC (after DATA) of mail arriving on the MX\n\
         listener, through the resolver of [relay] dns: an Authentication-Results field\n\
         is added; a DMARC fail under p=reject is refused (reject_dmarc_reject), an SPF\n\
         fail alone only if spf_reject (at MAIL FROM).",
    ),
    (
        "delivery",
        "The delivery agent: an LMTP server (lmtp_listen, HOST:PORT or unix:PATH) that\n\
         writes each local user's Maildir, mail/<address>/Maildir, with quotas.",
    ),
    (
        "relay",
        "The relay of mail for other domains: MX lookups through dns (\"system\" or\n\
         { nameserver = \"ADDRESS:PORT\" }, also used by mx_policy), opportunistic\n\
         STARTTLS, or everything through a smart_host.",
    ),
    (
        "queue",
        "The queue: retries of deferred recipients (first_retry_secs, doubling by\n\
         backoff_factor up to max_retry_interval_secs) until max_age_secs, then a bounce.",
    ),
];

const FILE_HEADER: &str = "\
# mailwire mailserver configuration.
#
# Written at first start with every setting at its default. Relative paths are taken
# from the data folder; durations are in seconds, sizes in octets. Every key may be
# left out (it then keeps its default); unknown keys are refused. See examples/README.md
# for each setting.

";

impl Config {
    /// Reads and checks the configuration in `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)?;
        let config = Config::parse(&text)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses configuration text (without [`Config::validate`]).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|error| ConfigError::Parse(error.to_string()))
    }

    /// Reads `path`, or writes the defaults there first when it does not exist.
    /// Returns the configuration and whether the file was written.
    pub fn load_or_create(path: &Path) -> Result<(Config, bool), ConfigError> {
        if path.exists() {
            return Ok((Config::load(path)?, false));
        }
        let config = Config::default();
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        std::fs::write(&temporary, config.render()?)?;
        std::fs::rename(&temporary, path)?;
        Ok((config, true))
    }

    /// The configuration as a TOML file: a comment header, every key spelled out, each
    /// section preceded by a comment saying what it is.
    pub fn render(&self) -> Result<String, ConfigError> {
        let body =
            toml::to_string_pretty(self).map_err(|error| ConfigError::Render(error.to_string()))?;
        let hints = self.unset_hints();
        let push_hints = |out: &mut String, section: &str| {
            for (_, lines) in hints.iter().filter(|(name, _)| *name == section) {
                for hint in lines {
                    out.push_str(hint);
                    out.push('\n');
                }
            }
        };
        let mut out = String::from(FILE_HEADER);
        let mut current = String::new();
        for line in body.lines() {
            if let Some(section) = line
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
            {
                push_hints(&mut out, &current);
                current = section.to_string();
                if let Some((_, comment)) =
                    SECTION_COMMENTS.iter().find(|(name, _)| *name == section)
                {
                    if !out.ends_with("\n\n") {
                        out.push('\n');
                    }
                    for comment_line in comment.lines() {
                        out.push_str("# ");
                        out.push_str(comment_line.trim_start());
                        out.push('\n');
                    }
                }
            }
            out.push_str(line);
            out.push('\n');
        }
        push_hints(&mut out, &current);
        Ok(out)
    }

    /// Commented examples of the settings that are unset by default (TOML has no way
    /// to write "none"), so that the written file shows every setting there is.
    fn unset_hints(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut hints = Vec::new();
        if self.delivery.quotas.is_empty() {
            hints.push((
                "delivery.quotas",
                vec!["# \"demo@mailwire.test\" = 104857600   (per mailbox; none by default)"],
            ));
        }
        let mut relay = Vec::new();
        if self.relay.ca_file.is_none() {
            relay.push(
                "# ca_file = \"/etc/ssl/certs/ca-certificates.crt\"   (unset: the system's bundle)",
            );
        }
        if self.relay.smart_host.is_none() {
            relay.extend([
                "# [relay.smart_host]   (unset: MX lookups; set to relay everything through one host)",
                "# host = \"smtp.example.net\"",
                "# port = 587",
                "# username = \"user@example.net\"",
                "# password = \"secret\"",
                "# implicit_tls = false",
            ]);
        }
        hints.push(("relay", relay));
        hints
    }

    /// Checks what the types cannot: names are domains, the local domains are not
    /// empty, the demo user and postmaster are local addresses, limits are not zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if Domain::new(self.hostname.as_str()).is_err() {
            return Err(invalid("hostname", "not a domain name"));
        }
        if self.local_domains.is_empty() {
            return Err(invalid("local_domains", "at least one domain is needed"));
        }
        if self
            .local_domains
            .iter()
            .any(|domain| Domain::new(domain.as_str()).is_err())
        {
            return Err(invalid("local_domains", "not a domain name"));
        }
        for (key, address) in [
            ("demo_user", &self.demo_user),
            ("postmaster", &self.postmaster),
        ] {
            if address.is_empty() {
                continue;
            }
            let Some(normalized) = crate::users::normalize_address(address) else {
                return Err(invalid(key, "not a mailbox address"));
            };
            if !self.is_local_address(&normalized) {
                return Err(invalid(key, "not in one of local_domains"));
            }
        }
        for (key, listener) in [
            ("mx", &self.mx),
            ("submission", &self.submission),
            ("submissions", &self.submissions),
        ] {
            if listener.max_recipients == 0
                || listener.max_connections == 0
                || listener.max_errors == 0
                || listener.read_buffer == 0
                || listener.max_message_size == 0
            {
                return Err(invalid(
                    key,
                    "max_recipients, max_connections, max_errors, read_buffer and \
                     max_message_size must be at least 1",
                ));
            }
            if listener.max_message_size > self.queue.max_message_size {
                return Err(invalid(
                    key,
                    "max_message_size is above queue.max_message_size",
                ));
            }
        }
        for (key, listener) in [("pop3", &self.pop3), ("pop3s", &self.pop3s)] {
            if listener.max_connections == 0
                || listener.max_errors == 0
                || listener.max_auth_failures == 0
                || listener.read_buffer == 0
            {
                return Err(invalid(
                    key,
                    "max_connections, max_errors, max_auth_failures and read_buffer must be \
                     at least 1",
                ));
            }
            if listener.idle_timeout_secs < 600 {
                return Err(invalid(
                    key,
                    "idle_timeout_secs below 600 (RFC 1939: at least 10 minutes)",
                ));
            }
        }
        for (key, listener) in [("imap", &self.imap), ("imaps", &self.imaps)] {
            listener.validate().map_err(|reason| invalid(key, reason))?;
        }
        if self
            .mx_policy
            .dnsbl_zones
            .iter()
            .any(|zone| Domain::new(zone.as_str()).is_err())
        {
            return Err(invalid("mx_policy.dnsbl_zones", "not a domain name"));
        }
        Ok(())
    }

    /// True when `address` (lower case) is in one of the local domains.
    pub fn is_local_address(&self, address: &str) -> bool {
        address
            .rsplit_once('@')
            .is_some_and(|(_, domain)| self.is_local_domain(domain))
    }

    /// True when `domain` is one of the local domains (case-insensitive).
    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains
            .iter()
            .any(|local| local.eq_ignore_ascii_case(domain))
    }

    /// `path` taken from `data_dir` when relative.
    pub fn resolve(data_dir: &Path, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            data_dir.join(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_file_parses_back_to_the_defaults() {
        let text = Config::default().render().unwrap();
        assert!(text.starts_with("# mailwire mailserver configuration."));
        let parsed = Config::parse(&text).unwrap();
        assert_eq!(parsed, Config::default());
        parsed.validate().unwrap();
        // Every key is spelled out: the file holds as many keys as the defaults have.
        let table: toml::Table = toml::from_str(&text).unwrap();
        let written = toml::Table::try_from(Config::default()).unwrap();
        assert_eq!(table, written);
        for section in ["[mx]", "[submission]", "[submissions]", "[tls]", "[queue]"] {
            assert!(text.contains(section), "{section}");
        }
        assert!(text.contains("listen = \"127.0.0.1:2525\""));
        assert!(text.contains("listen = \"127.0.0.1:2587\""));
        assert!(text.contains("listen = \"127.0.0.1:2465\""));
        assert!(text.contains("[imap]\nenabled = true\nlisten = \"127.0.0.1:2143\""));
        assert!(text.contains("[imaps]\nenabled = true\nlisten = \"127.0.0.1:2993\""));
        // The settings unset by default are shown commented out.
        assert!(text.contains("# [relay.smart_host]"), "{text}");
        assert!(text.contains("# ca_file = "), "{text}");
    }

    #[test]
    fn partial_files_keep_the_other_defaults_and_typos_are_refused() {
        let config = Config::parse(
            "hostname = \"mx.example.org\"\n[submission]\nlisten = \"0.0.0.0:587\"\n",
        )
        .unwrap();
        assert_eq!(config.hostname, "mx.example.org");
        assert_eq!(config.submission.listen, "0.0.0.0:587".parse().unwrap());
        assert_eq!(config.submission.max_recipients, 100);
        assert_eq!(config.mx, Config::default().mx);
        assert!(matches!(
            Config::parse("hostnme = \"x\"\n"),
            Err(ConfigError::Parse(_))
        ));
        // A listener section names its address.
        assert!(Config::parse("[mx]\nmax_connections = 5\n").is_err());
    }

    #[test]
    fn validation_names_the_key() {
        let config = Config {
            postmaster: String::from("someone@elsewhere.example"),
            ..Config::default()
        };
        assert!(matches!(
            config.validate(),
            Err(ConfigError::Invalid {
                key: "postmaster",
                ..
            })
        ));
        let mut config = Config::default();
        config.local_domains.clear();
        assert!(config.validate().is_err());
        let mut config = Config::default();
        config.mx.max_message_size = config.queue.max_message_size + 1;
        assert!(config.validate().is_err());
        assert!(Config::default().is_local_address("x@MailWire.test"));
        assert!(!Config::default().is_local_address("x@example.org"));
    }
}
