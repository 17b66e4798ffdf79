//! The `[relay]` section of the server's configuration: how mail for other domains
//! leaves.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dns::DnsConfig;

/// When the relay encrypts, and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Never STARTTLS.
    None,
    /// STARTTLS whenever the server offers it, without checking its certificate
    /// (opportunistic security, RFC 7435; Postfix's `may`, what MTAs do on the public
    /// internet where MX certificates rarely match). A failed handshake is retried once
    /// in cleartext with that host.
    #[default]
    Opportunistic,
    /// STARTTLS required and the certificate verified against the roots (`ca_file`, or
    /// the system's bundle) for the MX host name; otherwise the host is skipped and
    /// delivery deferred.
    Verify,
}

/// The relay host that takes all outgoing mail (as ISPs require), with its login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmartHost {
    /// Host name or IP address.
    pub host: String,
    /// Port (587 for submission with STARTTLS, 465 with `implicit_tls`).
    pub port: u16,
    /// User name for AUTH (PLAIN, or LOGIN when PLAIN is not offered); no AUTH when
    /// absent.
    pub username: Option<String>,
    /// Password for AUTH.
    pub password: Option<String>,
    /// TLS from the first byte (port 465 style) instead of STARTTLS.
    #[serde(default)]
    pub implicit_tls: bool,
}

/// How mail for other domains leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayConfig {
    /// The name given in EHLO (this host's public name). Default `localhost`.
    pub helo_name: String,
    /// The resolver: `"system"` (default) or `{ nameserver = "127.0.0.1:5353" }`.
    pub dns: DnsConfig,
    /// Time limit of one DNS query, seconds. Default 5.
    pub dns_timeout_secs: u64,
    /// Port of MX hosts. Default 25; tests point it at a listener on a free port.
    pub mx_port: u16,
    /// STARTTLS policy towards MX hosts and the smart host.
    pub tls: TlsMode,
    /// PEM file of the certificates trusted in [`TlsMode::Verify`] (and for the smart
    /// host); default the system bundle `/etc/ssl/certs/ca-certificates.crt`.
    pub ca_file: Option<PathBuf>,
    /// Relay everything through this host instead of MX lookups.
    pub smart_host: Option<SmartHost>,
    /// Time limit to connect to one address, seconds. Default 30.
    pub connect_timeout_secs: u64,
    /// Time limit of one whole SMTP session (greeting to QUIT), seconds; the per-reply
    /// limits of RFC 5321 §4.5.3.2 apply inside it. Default 600.
    pub session_timeout_secs: u64,
    /// Most recipients in one transaction (RFC 5321 §4.5.3.1.8 requires servers to take
    /// 100). Default 100.
    pub max_recipients_per_transaction: usize,
    /// Most addresses tried for one destination before deferring. Default 10.
    pub max_addresses: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            helo_name: String::from("localhost"),
            dns: DnsConfig::System,
            dns_timeout_secs: 5,
            mx_port: 25,
            tls: TlsMode::Opportunistic,
            ca_file: None,
            smart_host: None,
            connect_timeout_secs: 30,
            session_timeout_secs: 600,
            max_recipients_per_transaction: 100,
            max_addresses: 10,
        }
    }
}

impl RelayConfig {
    /// The connect time limit.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs.max(1))
    }

    /// The session time limit.
    pub fn session_timeout(&self) -> Duration {
        Duration::from_secs(self.session_timeout_secs.max(1))
    }
}
