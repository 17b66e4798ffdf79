//! An embeddable test server for test-harness authors: the whole reference server,
//! started inside a `#[tokio::test]` on ephemeral ports of 127.0.0.1 in a temporary
//! data folder, with a test CA the test trusts, users, a record of every message it took,
//! and faults injected per SMTP command. See the README of the package for a complete
//! example.
//!
//! # What runs
//! [`TestServer::builder`] ... [`start`](TestServerBuilder::start) runs
//! [`crate::server::start_with`]: the MX listener (plain, STARTTLS offered, no AUTH),
//! submission (STARTTLS, then AUTH PLAIN or LOGIN, required) and submissions (implicit
//! TLS, then AUTH), the queue, the delivery agent writing local users' Maildirs, and
//! the mailbox-access listeners reading them: IMAP (STARTTLS) and IMAPS
//! ([`TestServer::imap_address`]), POP3 (STLS) and POP3S ([`TestServer::pop3_address`];
//! all four by [`TestServer::access_address`]). Every listener is on
//! an ephemeral port of 127.0.0.1. Their TLS certificate is signed by a [`TestCa`] made for this server: trust
//! [`TestServer::ca_pem`] (or use [`TestServer::client_config`]) and connect to
//! `localhost` or `127.0.0.1`.
//!
//! # What is recorded, and where mail goes
//! Every message the server answers `250` for is recorded at the SMTP side, before the
//! `250` leaves, with its envelope and the octets the client sent
//! ([`AcceptedMessage`]): for all its recipients, local or not. Then the message takes
//! its usual way through the queue: local users' copies are delivered to their Maildir
//! ([`TestServer::maildir`]); copies for other domains (from submission, or from MX with
//! [`TestServerBuilder::mx_accepts_any_domain`]) go to a stand-in for the MX relay that
//! records them ([`TestServer::relayed`]) and sends nothing anywhere.
//!
//! The server's own rules stay on: the MX listener takes only users of the local domains
//! (unknown users `550 5.1.1`, other domains `554 5.7.1` unless opened), submission
//! requires TLS and AUTH and a sender address owned by the user.
//!
//! # Faults
//! [`FaultRule`]s (at start, or any time with [`TestServer::add_fault`]) answer a
//! command with a chosen refusal, close the connection at it, or delay its answer; see
//! [`SmtpCommand`] for where each acts. The first rule that matches a command applies.
//!
//! # Clean-up
//! [`TestServer::shutdown`] stops every part, waits for them, and removes the data
//! folder. Dropping the server asks the parts to stop and removes the folder at once,
//! without waiting: at the end of a `#[tokio::test]` the runtime ends with it, but a
//! test that drops a server and goes on while a local delivery is under way may see
//! that delivery write its mailbox folder again; prefer `shutdown().await`.

mod ca;
mod capture;
mod fault;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;

use crate::config::{Config, MxAuthConfig};
use crate::queue::{Clock, OsSeededRandom, Random, SystemClock, Transport};
use crate::server::{self, Running, StartError, StartOptions};
use crate::users::{UserError, SALT_LEN};
use capture::{Recorder, RelaySink};

pub use crate::access::AccessRole;
pub use crate::inbound::hook::{AcceptedMessage, Fault, SmtpCommand};
pub use crate::inbound::Role;
pub use ca::TestCa;
pub use capture::RelayedMessage;
pub use fault::{FaultError, FaultRule};

/// Why a test server could not be started or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// rcgen could not make the test certificates.
    #[error("cannot make the test certificates: {0}")]
    Certificate(String),
    /// The configuration could not be set to ephemeral ports.
    #[error("cannot set the test server's configuration: {0}")]
    Config(String),
    /// rustls refused the test CA.
    #[error("tls configuration refused: {0}")]
    Tls(#[from] rustls::Error),
    /// The server did not start.
    #[error("the test server did not start: {0}")]
    Start(#[from] StartError),
    /// A user could not be added.
    #[error("cannot add the user: {0}")]
    User(#[from] UserError),
    /// The data folder could not be made or written.
    #[error("test server data folder i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// [`TestServer::wait_for_messages`] ran out of time.
    #[error("timed out waiting for {expected} messages ({received} received)")]
    Timeout {
        /// How many messages were awaited.
        expected: usize,
        /// How many had arrived.
        received: usize,
    },
}

/// The settings of a test server; see [`TestServer::builder`].
#[must_use]
pub struct TestServerBuilder {
    hostname: String,
    local_domains: Vec<String>,
    users: Vec<(String, String)>,
    faults: Vec<FaultRule>,
    mx_accepts_any_domain: bool,
    configure: Vec<ConfigChange>,
}

/// A change of the configuration, made before the server starts.
type ConfigChange = Box<dyn FnOnce(&mut Config) + Send>;

impl std::fmt::Debug for TestServerBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServerBuilder")
            .field("hostname", &self.hostname)
            .field("local_domains", &self.local_domains)
            .field(
                "users",
                &self.users.iter().map(|(user, _)| user).collect::<Vec<_>>(),
            )
            .field("faults", &self.faults)
            .field("mx_accepts_any_domain", &self.mx_accepts_any_domain)
            .finish_non_exhaustive()
    }
}

/// Counts the test servers of this process, for unique folder names.
static SERVERS: AtomicU64 = AtomicU64::new(0);

/// The data folder; removed on drop.
#[derive(Debug)]
struct DataDir(PathBuf);

impl Drop for DataDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.0) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(dir = %self.0.display(), %error, "cannot remove the test server's data folder");
            }
        }
    }
}

/// Writes `text` to `path`, making its folder.
fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

impl TestServerBuilder {
    fn new() -> TestServerBuilder {
        TestServerBuilder {
            hostname: String::from("localhost"),
            local_domains: vec![String::from("mailwire.test")],
            users: Vec::new(),
            faults: Vec::new(),
            mx_accepts_any_domain: false,
            configure: Vec::new(),
        }
    }

    /// The server's name (greetings, `Received`, a name in its certificate). Default
    /// `localhost`.
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = hostname.into();
        self
    }

    /// Adds a local domain (mail for its users goes to their Maildir). The default is
    /// `mailwire.test` alone.
    pub fn local_domain(mut self, domain: impl Into<String>) -> Self {
        self.local_domains.push(domain.into());
        self
    }

    /// Adds a user with its password (AUTH on submission; a Maildir when its domain is
    /// local).
    pub fn user(mut self, address: impl Into<String>, password: impl Into<String>) -> Self {
        self.users.push((address.into(), password.into()));
        self
    }

    /// Adds a fault rule.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// True to let the MX listener take recipients in any domain, as a mail sink does
    /// (they are recorded and never relayed). Default false: the server's rule, only
    /// users of the local domains.
    pub fn mx_accepts_any_domain(mut self, on: bool) -> Self {
        self.mx_accepts_any_domain = on;
        self
    }

    /// Changes the server's configuration before it starts (limits, timeouts, the queue's
    /// retry schedule, ...). The listeners are already on port 0 of 127.0.0.1.
    pub fn configure(mut self, change: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }

    /// Makes the certificates and the data folder, and starts the server; returns once
    /// every listener is bound.
    pub async fn start(self) -> Result<TestServer, HarnessError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let random: Arc<dyn Random> = Arc::new(OsSeededRandom::default());
        let ca = TestCa::generate(&self.hostname)?;
        let dir = DataDir(std::env::temp_dir().join(format!(
            "mailwire-test-server-{}-{}-{:016x}",
            std::process::id(),
            SERVERS.fetch_add(1, Ordering::Relaxed),
            random.next_u64()
        )));
        std::fs::create_dir_all(&dir.0)?;

        let config = Config {
            hostname: self.hostname,
            local_domains: self.local_domains,
            demo_user: String::new(),
            postmaster: String::new(),
            // Delivered copies are the submitted ones, unsigned; `configure` turns
            // DKIM signing on.
            dkim_selector: String::new(),
            // Nor do they get an Authentication-Results field from lookups in the
            // system's DNS; `configure` turns the checks on.
            mx_auth: MxAuthConfig {
                enabled: false,
                ..MxAuthConfig::default()
            },
            ..Config::default()
        };
        let mut config = on_ephemeral_ports(config)?;
        for change in self.configure {
            change(&mut config);
        }
        // The server loads the chain and key it finds; the CA is there for clients.
        write(&Config::resolve(&dir.0, &config.tls.cert), ca.chain_pem())?;
        write(&Config::resolve(&dir.0, &config.tls.key), ca.key_pem())?;
        let ca_file = dir.0.join("test-ca.pem");
        write(&ca_file, ca.ca_pem())?;

        let users = server::user_store(&config, &dir.0);
        for (address, password) in &self.users {
            users.set_password(address, password, &salt(random.as_ref()))?;
        }

        let recorder = Arc::new(Recorder::new(self.faults, self.mx_accepts_any_domain));
        let relay = Arc::new(RelaySink::new(Arc::clone(&clock)));
        let options = StartOptions {
            hook: Some(recorder.clone()),
            remote: Some(relay.clone() as Arc<dyn Transport>),
        };
        let running =
            server::start_with(config, &dir.0, clock, Arc::clone(&random), options).await?;
        Ok(TestServer {
            running,
            ca,
            ca_file,
            recorder,
            relay,
            random,
            dir,
        })
    }
}

/// Where every listener of a test server listens: a port the system chooses.
const EPHEMERAL: &str = "127.0.0.1:0";

/// `config` with every listener on [`EPHEMERAL`]: each section with a `listen` key (the
/// SMTP listeners, and whichever listeners the server gains later, without a change
/// here) and the delivery agent's `lmtp_listen`.
fn on_ephemeral_ports(config: Config) -> Result<Config, HarnessError> {
    let invalid = |error: &dyn std::fmt::Display| HarnessError::Config(error.to_string());
    let mut table = toml::Table::try_from(config).map_err(|error| invalid(&error))?;
    for (_, section) in table.iter_mut() {
        if let Some(section) = section.as_table_mut() {
            for (key, value) in section.iter_mut() {
                if (key == "listen" || key == "lmtp_listen") && value.is_str() {
                    *value = toml::Value::String(String::from(EPHEMERAL));
                }
            }
        }
    }
    table.try_into().map_err(|error| invalid(&error))
}

/// Random octets for a password hash.
fn salt(random: &dyn Random) -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    for chunk in salt.chunks_mut(8) {
        let bytes = random.next_u64().to_le_bytes();
        for (octet, byte) in chunk.iter_mut().zip(bytes) {
            *octet = byte;
        }
    }
    salt
}

/// A running test server; see the [module docs](self).
#[derive(Debug)]
pub struct TestServer {
    // Field order is drop order: the server stops before its folder goes.
    running: Running,
    ca: TestCa,
    ca_file: PathBuf,
    recorder: Arc<Recorder>,
    relay: Arc<RelaySink>,
    random: Arc<dyn Random>,
    dir: DataDir,
}

impl TestServer {
    /// The settings, to [`start`](TestServerBuilder::start) from.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::new()
    }

    /// A server with the default settings and no users.
    pub async fn start() -> Result<TestServer, HarnessError> {
        TestServer::builder().start().await
    }

    /// The server itself (its queue, user store, LMTP address, ...).
    pub fn running(&self) -> &Running {
        &self.running
    }

    /// Where the listener of `role` listens, if it runs.
    pub fn address(&self, role: Role) -> Option<SocketAddr> {
        self.running.address(role)
    }

    /// The address of `role`, or `127.0.0.1:0` (where nothing answers) when a
    /// [`configure`](TestServerBuilder::configure) change turned it off.
    fn address_of(&self, role: Role) -> SocketAddr {
        self.address(role)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The MX listener (plain SMTP, STARTTLS offered, no AUTH). The address accessors
    /// give `127.0.0.1:0` (where nothing answers) for a listener turned off by
    /// [`configure`](TestServerBuilder::configure).
    pub fn smtp_address(&self) -> SocketAddr {
        self.address_of(Role::Mx)
    }

    /// The submission listener (STARTTLS, then AUTH).
    pub fn submission_address(&self) -> SocketAddr {
        self.address_of(Role::Submission)
    }

    /// The submissions listener (implicit TLS, then AUTH).
    pub fn submissions_address(&self) -> SocketAddr {
        self.address_of(Role::Submissions)
    }

    /// Where the mailbox-access listener of `role` (POP3, IMAP) listens, if it runs.
    pub fn access_address(&self, role: AccessRole) -> Option<SocketAddr> {
        self.running.access_address(role)
    }

    fn access_address_of(&self, role: AccessRole) -> SocketAddr {
        self.access_address(role)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The POP3 listener (STLS, then USER/PASS or AUTH PLAIN).
    pub fn pop3_address(&self) -> SocketAddr {
        self.access_address_of(AccessRole::Pop3)
    }

    /// The POP3 listener over implicit TLS.
    pub fn pop3s_address(&self) -> SocketAddr {
        self.access_address_of(AccessRole::Pop3s)
    }

    /// The IMAP listener (STARTTLS, then LOGIN or AUTHENTICATE PLAIN).
    pub fn imap_address(&self) -> SocketAddr {
        self.access_address_of(AccessRole::Imap)
    }

    /// The IMAP listener over implicit TLS.
    pub fn imaps_address(&self) -> SocketAddr {
        self.access_address_of(AccessRole::Imaps)
    }

    /// The test CA and the server's certificate.
    pub fn ca(&self) -> &TestCa {
        &self.ca
    }

    /// The CA certificate to trust, PEM.
    pub fn ca_pem(&self) -> &str {
        self.ca.ca_pem()
    }

    /// The CA certificate to trust, DER.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        self.ca.ca_der()
    }

    /// The CA certificate as a PEM file (in the data folder), for programs that want a
    /// path (`cafile=`, `--cacert`).
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// A rustls client configuration trusting the test CA only.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, HarnessError> {
        self.ca.client_config()
    }

    /// Adds a user, or changes its password.
    pub fn add_user(&self, address: &str, password: &str) -> Result<(), HarnessError> {
        self.running
            .users()
            .set_password(address, password, &salt(self.random.as_ref()))?;
        Ok(())
    }

    /// Every message taken so far, oldest first.
    pub fn received(&self) -> Vec<AcceptedMessage> {
        self.recorder.received()
    }

    /// Every message taken so far, oldest first; the record starts empty again.
    pub fn take_received(&self) -> Vec<AcceptedMessage> {
        self.recorder.take_received()
    }

    /// Waits until at least `count` messages were taken (counting since the start or
    /// the last [`take_received`](Self::take_received)), at most `limit`; returns them
    /// all, oldest first.
    pub async fn wait_for_messages(
        &self,
        count: usize,
        limit: Duration,
    ) -> Result<Vec<AcceptedMessage>, HarnessError> {
        let mut watcher = self.recorder.watch_count();
        let reached = tokio::time::timeout(limit, watcher.wait_for(|&seen| seen >= count)).await;
        match reached {
            Ok(Ok(_)) => Ok(self.received()),
            // The sender lives in the recorder, which outlives this call: only a timeout.
            Ok(Err(_)) | Err(_) => Err(HarnessError::Timeout {
                expected: count,
                received: self.received().len(),
            }),
        }
    }

    /// What the server handed to its stand-in for the MX relay (mail for other domains,
    /// and the delivery status notifications it made), oldest first.
    pub fn relayed(&self) -> Vec<RelayedMessage> {
        self.relay.relayed()
    }

    /// Adds a fault rule (after those already there).
    pub fn add_fault(&self, rule: FaultRule) {
        self.recorder.add_fault(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.recorder.clear_faults();
    }

    /// The Maildir of the local user `address` (`new/` holds delivered messages).
    pub fn maildir(&self, address: &str) -> PathBuf {
        self.dir
            .0
            .join("mail")
            .join(address.to_lowercase())
            .join("Maildir")
    }

    /// The data folder (removed when the server stops or is dropped).
    pub fn data_dir(&self) -> &Path {
        &self.dir.0
    }

    /// Stops every part (sessions under way get `421`) and removes the data folder.
    pub async fn shutdown(self) {
        let TestServer { running, dir, .. } = self;
        running.shutdown().await;
        drop(dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listener_moves_to_an_ephemeral_port_and_nothing_else_changes() {
        let config = Config::default();
        let moved = on_ephemeral_ports(config.clone()).unwrap();
        let ephemeral: SocketAddr = EPHEMERAL.parse().unwrap();
        assert_eq!(moved.mx.listen, ephemeral);
        assert_eq!(moved.submission.listen, ephemeral);
        assert_eq!(moved.submissions.listen, ephemeral);
        assert_eq!(moved.delivery.lmtp_listen, EPHEMERAL);
        let before = toml::Table::try_from(&config).unwrap();
        let after = toml::Table::try_from(&moved).unwrap();
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>()
        );
        for (name, value) in &after {
            match (value.as_table(), before[name].as_table()) {
                (Some(section), Some(old)) => {
                    for (key, value) in section {
                        if key == "listen" || key == "lmtp_listen" {
                            assert_eq!(value.as_str(), Some(EPHEMERAL), "{name}.{key}");
                        } else {
                            assert_eq!(Some(value), old.get(key), "{name}.{key}");
                        }
                    }
                }
                _ => assert_eq!(value, &before[name], "{name}"),
            }
        }
    }
}
