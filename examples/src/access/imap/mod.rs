//! The IMAP sessions of the access listeners [`AccessRole::Imap`] (port 143 role,
//! STARTTLS, LOGINDISABLED before TLS) and [`AccessRole::Imaps`] (port 993 role, TLS
//! from the first byte), serving each user's Maildir through the
//! [`mailbox store`](crate::mailstore).
//!
//! Each connection is one [`Server`](mailwire_imap::server::Server) machine of
//! mailwire-imap moved by the mailwire-core tokio driver; TLS is tokio-rustls. The
//! machine answers malformed and misplaced commands itself (BAD, then `* BYE` after
//! too many), refuses an APPEND literal above the limit before reading it, and runs
//! CAPABILITY, STARTTLS, LOGOUT, ENABLE and IDLE's framing; [`session`] answers the
//! rest from the store:
//!
//! - logins (LOGIN, AUTHENTICATE PLAIN) against the same user store as submission,
//!   only under TLS;
//! - mailbox commands (LIST with LIST-EXTENDED, LIST-STATUS and SPECIAL-USE, LSUB,
//!   STATUS, NAMESPACE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, APPEND with
//!   MULTIAPPEND and APPENDUID);
//! - the selected mailbox (SELECT, EXAMINE, FETCH of every item, STORE, SEARCH with
//!   ESEARCH, COPY and MOVE with COPYUID, EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT, IDLE),
//!   keeping the client's view of the mailbox ([`view`]) so that changes made by other
//!   sessions and deliveries reach it as `EXISTS`, `EXPUNGE` and `FETCH FLAGS` between
//!   commands and during IDLE, never renumbering messages while RFC 3501 §7.4.1
//!   forbids it.
//!
//! The store works with blocking file-system calls; sessions call it on tokio's
//! blocking threads (`spawn_blocking`), never on the runtime's workers.

mod commands;
pub mod config;
mod fetch;
mod list;
mod search;
mod session;
mod view;

use std::sync::Arc;
use std::time::Duration;

use mailwire_imap::server::{CleartextLogin, ServerConfig};
use mailwire_imap::types::Capability;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::{AccessListener, AccessRole};
use config::ImapListenerConfig;

/// The capabilities the sessions implement, besides those the machine derives from
/// its configuration (IMAP4rev1, STARTTLS, LOGINDISABLED, AUTH=PLAIN, SASL-IR,
/// LITERAL-, IDLE, ENABLE, CONDSTORE, QRESYNC, APPENDLIMIT).
fn implemented_capabilities() -> Vec<Capability<'static>> {
    vec![
        Capability::UidPlus,
        Capability::Move,
        Capability::Unselect,
        Capability::Namespace,
        Capability::Id,
        Capability::Children,
        Capability::SpecialUse,
        Capability::ListExtended,
        Capability::ListStatus,
        Capability::ESearch,
        Capability::Binary,
        Capability::MultiAppend,
        Capability::StatusSize,
    ]
}

/// What an IMAP listener's sessions share besides the [`super::Access`]: the
/// machine's configuration and the IDLE poll interval.
#[derive(Debug, Clone)]
pub struct ImapSetup {
    machine: ServerConfig,
    idle_poll: Duration,
}

impl ImapSetup {
    /// The setup of a listener of `role` with `settings`, greeting as `hostname`.
    pub fn new(role: AccessRole, settings: &ImapListenerConfig, hostname: &str) -> ImapSetup {
        let machine = ServerConfig {
            greeting: format!("{hostname} IMAP mailwire ready"),
            starttls: !role.implicit_tls(),
            implicit_tls: role.implicit_tls(),
            cleartext_login: CleartextLogin::RequireTls,
            capabilities: implemented_capabilities(),
            enable: vec![Capability::CondStore, Capability::QResync],
            autologout: Duration::from_secs(settings.autologout_secs),
            max_errors: settings.max_errors,
            max_append_size: settings.max_append_size,
            ..ServerConfig::default()
        };
        ImapSetup {
            machine,
            idle_poll: settings.idle_poll(),
        }
    }
}

/// Serves one IMAP connection of `listener` to its end.
pub(super) async fn run(
    listener: Arc<AccessListener>,
    stream: TcpStream,
    shutdown: watch::Receiver<bool>,
) {
    let Some(setup) = listener.imap.clone() else {
        // Only `AccessListener::imap` makes IMAP listeners, always with a setup.
        tracing::error!("imap listener without its setup");
        return;
    };
    session::run(listener, setup, stream, shutdown).await;
}
