//! Local delivery: the queue hands messages for local domains over LMTP
//! ([`LmtpTransport`]) to the delivery agent ([`DeliveryAgent`], an LMTP server on
//! loopback TCP or a unix socket), which stores them in each recipient's Maildir
//! ([`MaildirStore`], `DATA_DIR/mail/<mailbox>/Maildir`).
//!
//! [`start_agent`] binds the agent's listener from a [`DeliveryConfig`] and serves it in
//! a task; the server passes the bound [`LmtpTarget`] to the queue's router.

mod agent;
mod lmtp;
pub(crate) mod maildir;
pub(crate) mod wire;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use agent::{DeliveryAgent, LmtpTarget, LocalMailboxes, StaticMailboxes};
pub use lmtp::LmtpTransport;
pub use maildir::{mailbox_name, MaildirStore, StoreError, MAX_MAILBOX_NAME};

use crate::queue::{Clock, Random};

/// The `[delivery]` section of the server's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliveryConfig {
    /// Where the delivery agent listens: `HOST:PORT` (loopback; port 0 picks a free
    /// one) or `unix:PATH` (relative to the data folder). Default `127.0.0.1:2424`.
    pub lmtp_listen: String,
    /// Quota of every mailbox in octets, unless `quotas` names it; 0 for none.
    /// Default 1 GiB.
    pub default_quota_bytes: u64,
    /// Quotas of particular mailboxes (by mailbox name, the lower-cased address).
    pub quotas: BTreeMap<String, u64>,
    /// A full mailbox fails for good (552 5.2.2) instead of temporarily (452 4.2.2,
    /// retried until the queue's maximum age). Default false.
    pub quota_full_permanent: bool,
    /// Largest message the agent takes, in octets. Default 50 MiB.
    pub max_message_size: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            lmtp_listen: String::from("127.0.0.1:2424"),
            default_quota_bytes: 1024 * 1024 * 1024,
            quotas: BTreeMap::new(),
            quota_full_permanent: false,
            max_message_size: 50 * 1024 * 1024,
        }
    }
}

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// `lmtp_listen` is neither `HOST:PORT` nor `unix:PATH`.
    #[error("invalid lmtp_listen address")]
    InvalidListen,
    /// The LMTP configuration was refused.
    #[error("invalid lmtp configuration")]
    Config(#[from] mailwire_lmtp::server::ConfigError),
    /// Binding the listener failed.
    #[error("cannot listen")]
    Io(#[from] io::Error),
}

impl DeliveryConfig {
    /// Where the agent listens, unix paths resolved against `data_dir`.
    pub fn target(&self, data_dir: &Path) -> Result<LmtpTarget, AgentError> {
        if let Some(path) = self.lmtp_listen.strip_prefix("unix:") {
            let path = PathBuf::from(path);
            return Ok(LmtpTarget::Unix(if path.is_absolute() {
                path
            } else {
                data_dir.join(path)
            }));
        }
        self.lmtp_listen
            .parse()
            .map(LmtpTarget::Tcp)
            .map_err(|_| AgentError::InvalidListen)
    }

    /// A store for `DATA_DIR/mail` with these quotas.
    pub fn store(
        &self,
        data_dir: &Path,
        hostname: &str,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> MaildirStore {
        let default_quota = (self.default_quota_bytes > 0).then_some(self.default_quota_bytes);
        MaildirStore::new(
            data_dir.join("mail"),
            hostname,
            default_quota,
            self.quotas.clone().into_iter().collect(),
            clock,
            random,
        )
    }
}

/// Binds the agent's listener and serves it in a task until `shutdown` completes.
/// Returns where it listens (with the port the system chose, for port 0) and the task.
pub async fn start_agent(
    config: &DeliveryConfig,
    data_dir: &Path,
    hostname: &str,
    mailboxes: Arc<dyn LocalMailboxes>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(LmtpTarget, tokio::task::JoinHandle<()>), AgentError> {
    let lmtp = mailwire_lmtp::server::LmtpServerConfig::builder(hostname)
        .max_message_size(Some(config.max_message_size))
        .build()?;
    let store = Arc::new(config.store(data_dir, hostname, clock, random));
    let agent = Arc::new(DeliveryAgent::new(
        store,
        mailboxes,
        lmtp,
        config.quota_full_permanent,
    ));
    match config.target(data_dir)? {
        LmtpTarget::Tcp(address) => {
            let listener = tokio::net::TcpListener::bind(address).await?;
            let bound = listener.local_addr()?;
            tracing::info!(listen = %bound, "delivery agent: lmtp listening");
            let task = tokio::spawn(agent.serve_tcp(listener, shutdown));
            Ok((LmtpTarget::Tcp(bound), task))
        }
        #[cfg(unix)]
        LmtpTarget::Unix(path) => {
            // A socket left by a previous run (kill -9) would make bind fail.
            match std::fs::remove_file(&path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error.into()),
                _ => {}
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let listener = tokio::net::UnixListener::bind(&path)?;
            tracing::info!(listen = %path.display(), "delivery agent: lmtp listening");
            let task = tokio::spawn(agent.serve_unix(listener, shutdown));
            Ok((LmtpTarget::Unix(path), task))
        }
        #[cfg(not(unix))]
        LmtpTarget::Unix(_) => Err(AgentError::InvalidListen),
    }
}
