//! Settings of the IMAP listeners (`[imap]` and `[imaps]` in the configuration file).

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::AccessListenerConfig;

/// One IMAP listener: STARTTLS (143 role) or implicit TLS (993 role).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapListenerConfig {
    /// False to not open this listener. Default true.
    #[serde(default = "defaults::enabled")]
    pub enabled: bool,
    /// Address and port to listen on; port 0 lets the system choose (tests).
    pub listen: SocketAddr,
    /// Most connections served at once; more get `* BYE` and are closed. Default 200.
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// Malformed or misplaced commands before `* BYE`. Default 10.
    #[serde(default = "defaults::max_errors")]
    pub max_errors: u32,
    /// Failed logins before `* BYE`. Default 3.
    #[serde(default = "defaults::max_auth_failures")]
    pub max_auth_failures: u32,
    /// Largest message APPEND takes, advertised as `APPENDLIMIT=` (RFC 7889); a larger
    /// literal is refused before a single octet of it is read. Default 64 MiB.
    #[serde(default = "defaults::max_append_size")]
    pub max_append_size: u64,
    /// Inactivity autologout once logged in (RFC 3501 §5.4: at least 30 minutes; less
    /// counts as 30). Default 1800.
    #[serde(default = "defaults::autologout_secs")]
    pub autologout_secs: u64,
    /// How often a session in IDLE looks at its mailbox for changes, in milliseconds.
    /// Default 250.
    #[serde(default = "defaults::idle_poll_millis")]
    pub idle_poll_millis: u64,
    /// Octets read from the connection at a time. Default 16384.
    #[serde(default = "defaults::read_buffer")]
    pub read_buffer: usize,
}

mod defaults {
    pub(super) fn enabled() -> bool {
        true
    }
    pub(super) fn max_connections() -> usize {
        200
    }
    pub(super) fn max_errors() -> u32 {
        mailwire_imap::server::DEFAULT_MAX_ERRORS
    }
    pub(super) fn max_auth_failures() -> u32 {
        3
    }
    pub(super) fn max_append_size() -> u64 {
        mailwire_imap::server::DEFAULT_MAX_APPEND_SIZE
    }
    pub(super) fn autologout_secs() -> u64 {
        mailwire_imap::server::DEFAULT_AUTOLOGOUT.as_secs()
    }
    pub(super) fn idle_poll_millis() -> u64 {
        250
    }
    pub(super) fn read_buffer() -> usize {
        16 * 1024
    }
}

impl ImapListenerConfig {
    /// A listener on `listen` with every other setting at its default.
    pub fn on(listen: SocketAddr) -> Self {
        ImapListenerConfig {
            enabled: defaults::enabled(),
            listen,
            max_connections: defaults::max_connections(),
            max_errors: defaults::max_errors(),
            max_auth_failures: defaults::max_auth_failures(),
            max_append_size: defaults::max_append_size(),
            autologout_secs: defaults::autologout_secs(),
            idle_poll_millis: defaults::idle_poll_millis(),
            read_buffer: defaults::read_buffer(),
        }
    }

    /// The IDLE poll interval (at least 10 ms).
    pub fn idle_poll(&self) -> Duration {
        Duration::from_millis(self.idle_poll_millis.max(10))
    }

    /// The settings every access listener has (connections, errors, logins,
    /// autologout, read buffer).
    pub fn common(&self) -> AccessListenerConfig {
        AccessListenerConfig {
            enabled: self.enabled,
            listen: self.listen,
            max_connections: self.max_connections,
            max_errors: self.max_errors,
            max_auth_failures: self.max_auth_failures,
            idle_timeout_secs: self.autologout_secs,
            read_buffer: self.read_buffer,
        }
    }

    /// Checks what the types cannot: the limits are not zero.
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.max_connections == 0
            || self.max_errors == 0
            || self.max_auth_failures == 0
            || self.max_append_size == 0
            || self.read_buffer == 0
        {
            return Err(
                "max_connections, max_errors, max_auth_failures, max_append_size \
                        and read_buffer must be at least 1",
            );
        }
        Ok(())
    }
}
