//! The whole mail system in one process: the SMTP listeners ([`crate::inbound`]), the
//! queue and its runner ([`crate::queue`]) routing local recipients over LMTP to the
//! delivery agent ([`crate::delivery`]) and the others to the MX relay
//! ([`crate::relay`]).
//!
//! [`prepare`] does what a first start needs (the configuration file with every
//! default, the demo user); [`start`] opens everything and returns a [`Running`]
//! server that tells where it listens and stops on [`Running::shutdown`]. The
//! `mailserver` binary is these two calls; tests call them too, on port 0 and a
//! temporary data folder.
//!
//! The POP3 and IMAP listeners ([`crate::access`]) read the same Maildirs through the
//! [`crate::mailstore`].
//!
//! Data folder layout: `mailserver.toml` (configuration), `users` (user store),
//! `tls/` (certificate), `queue/` (spool), `mail/<address>/Maildir` (mailboxes).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

use crate::access::{Access, AccessListener, AccessRole};
use crate::config::{Config, ConfigError, CONFIG_FILE_NAME};
use crate::delivery::{start_agent, AgentError, LmtpTarget, LmtpTransport, LocalMailboxes};
use crate::dns::{Dns, DnsSetupError};
use crate::inbound::hook::SessionHook;
use crate::inbound::policy::ClientPolicy;
use crate::inbound::{Inbound, Listener, Role};
use crate::mailstore::MailStore;
use crate::queue::{Clock, Queue, QueueError, Random, Router, Transport};
use crate::relay::{MxRelay, RelayError};
use crate::tls::{CertificateOrigin, TlsError};
use crate::users::{UserError, UserStore, SALT_LEN};

/// The spool folder inside the data folder.
pub const QUEUE_FOLDER: &str = "queue";

/// Length of the demo user's password (62 symbols each: about 119 bits).
pub const DEMO_PASSWORD_LEN: usize = 20;

/// How long [`Running::shutdown`] waits for the parts to finish.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(20);

/// Why the server could not be prepared or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The user store.
    #[error(transparent)]
    Users(#[from] UserError),
    /// The certificate.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The queue.
    #[error("cannot open the queue: {0}")]
    Queue(#[from] QueueError),
    /// The delivery agent.
    #[error("cannot start the delivery agent: {0}")]
    Delivery(#[from] AgentError),
    /// The relay.
    #[error("cannot set up the relay: {0}")]
    Relay(#[from] RelayError),
    /// The DKIM signing key.
    #[error(transparent)]
    Dkim(#[from] crate::dkim::DkimSetupError),
    /// The resolver of the MX policies.
    #[error("cannot set up dns: {0}")]
    Dns(#[from] DnsSetupError),
    /// A listener's SMTP settings.
    #[error("invalid {role} listener settings: {source}")]
    Listener {
        /// Which listener.
        role: Role,
        /// What the SMTP machine refused.
        source: mailwire_smtp::server::ConfigError,
    },
    /// A listener could not bind its address.
    #[error("cannot listen on {address} for {role}: {source}")]
    Bind {
        /// Which listener.
        role: Role,
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A mailbox-access listener could not bind its address.
    #[error("cannot listen on {address} for {role}: {source}")]
    AccessBind {
        /// Which listener.
        role: AccessRole,
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The data folder could not be made.
    #[error("data folder i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// What [`prepare`] found or made.
#[derive(Debug)]
pub struct Prepared {
    /// The configuration.
    pub config: Config,
    /// Where it is.
    pub config_path: PathBuf,
    /// True when the file was written now (first start).
    pub config_created: bool,
    /// The demo user and its password, when it was made now (first start): the only
    /// time the password is known in clear.
    pub demo_user: Option<(String, String)>,
    /// The DKIM key and its records, when signing is on.
    pub dkim: Option<crate::dkim::DkimSetup>,
}

/// A password of `length` letters and digits from the random octets `fill` gives
/// (octets above 247 are skipped, so every symbol is equally likely).
pub fn random_password(fill: &mut dyn FnMut(&mut [u8]), length: usize) -> String {
    const SYMBOLS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut password = String::with_capacity(length);
    let mut octets = [0u8; 32];
    while password.len() < length {
        fill(&mut octets);
        for octet in octets {
            if password.len() == length {
                break;
            }
            if octet < 248 {
                if let Some(&symbol) = SYMBOLS.get(usize::from(octet % 62)) {
                    password.push(char::from(symbol));
                }
            }
        }
    }
    password
}

/// The path of the configuration file: `config` when given, else the data folder's
/// [`CONFIG_FILE_NAME`].
pub fn config_path(data_dir: &Path, config: Option<&Path>) -> PathBuf {
    config.map_or_else(|| data_dir.join(CONFIG_FILE_NAME), Path::to_path_buf)
}

/// The user store of a configuration.
pub fn user_store(config: &Config, data_dir: &Path) -> UserStore {
    UserStore::new(Config::resolve(data_dir, &config.users_file))
}

/// Makes the data folder, reads the configuration (writing the defaults at first
/// start), and with `first_start_user`, when there is no user file yet, makes the demo
/// user with a random password. `fill` gives random octets (the operating system's, in
/// the binary).
pub fn prepare(
    data_dir: &Path,
    config: Option<&Path>,
    first_start_user: bool,
    fill: &mut dyn FnMut(&mut [u8]),
) -> Result<Prepared, StartError> {
    std::fs::create_dir_all(data_dir)?;
    let config_path = config_path(data_dir, config);
    let (config, config_created) = Config::load_or_create(&config_path)?;
    let users = user_store(&config, data_dir);
    let mut demo_user = None;
    if first_start_user && !users.file_exists() && !config.demo_user.is_empty() {
        let password = random_password(fill, DEMO_PASSWORD_LEN);
        let mut salt = [0u8; SALT_LEN];
        fill(&mut salt);
        users.set_password(&config.demo_user, &password, &salt)?;
        demo_user = Some((config.demo_user.to_lowercase(), password));
    }
    let dkim = if config.dkim_selector.is_empty() || !first_start_user {
        None
    } else {
        Some(crate::dkim::load_or_create(
            data_dir,
            &config.dkim_selector,
            &config.local_domains,
            &mut || {
                let mut seed = [0u8; 32];
                fill(&mut seed);
                Ok(seed)
            },
        )?)
    };
    Ok(Prepared {
        config,
        config_path,
        config_created,
        demo_user,
        dkim,
    })
}

/// A started server; see [`start`].
#[derive(Debug)]
pub struct Running {
    addresses: BTreeMap<&'static str, SocketAddr>,
    lmtp: LmtpTarget,
    queue: Queue,
    users: Arc<UserStore>,
    store: MailStore,
    data_dir: PathBuf,
    shutdown: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Running {
    /// Where the listener of `role` listens (with the port the system chose for port
    /// 0), if it is enabled.
    pub fn address(&self, role: Role) -> Option<SocketAddr> {
        self.addresses.get(role.name()).copied()
    }

    /// Where the mailbox-access listener of `role` (POP3, IMAP) listens, if it is
    /// enabled.
    pub fn access_address(&self, role: AccessRole) -> Option<SocketAddr> {
        self.addresses.get(role.name()).copied()
    }

    /// The mailbox store the access listeners read.
    pub fn mail_store(&self) -> &MailStore {
        &self.store
    }

    /// Where the delivery agent listens.
    pub fn lmtp(&self) -> &LmtpTarget {
        &self.lmtp
    }

    /// The queue.
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The user store.
    pub fn users(&self) -> &Arc<UserStore> {
        &self.users
    }

    /// The data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The Maildir of the local user `address`.
    pub fn maildir(&self, address: &str) -> PathBuf {
        self.data_dir
            .join("mail")
            .join(address.to_lowercase())
            .join("Maildir")
    }

    /// Stops accepting, lets sessions and deliveries under way finish (a few seconds at
    /// most), and waits for every part to end.
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        let _ = self.shutdown.send(true);
        for (name, task) in self.tasks {
            match tokio::time::timeout(SHUTDOWN_WAIT, task).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(part = name, %error, "stopped abnormally"),
                Err(_) => tracing::warn!(part = name, "did not stop in time"),
            }
        }
        tracing::info!("stopped");
    }
}

/// Completes when `shutdown` turns true or its sender is gone.
async fn stopped(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// What an embedding application (the test harness) changes in the server it starts
/// with [`start_with`]; the default is the normal server.
#[derive(Default)]
#[non_exhaustive]
pub struct StartOptions {
    /// A hook into every SMTP session: faults per command, a copy of each accepted
    /// message. None by default.
    pub hook: Option<Arc<dyn SessionHook>>,
    /// Where the queue sends mail for other domains instead of the MX relay. None by
    /// default (the relay of [`Config::relay`]).
    pub remote: Option<Arc<dyn Transport>>,
}

impl std::fmt::Debug for StartOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartOptions")
            .field("hook", &self.hook.is_some())
            .field("remote", &self.remote.is_some())
            .finish()
    }
}

/// Opens the queue, starts the delivery agent, the queue runner and the listeners of
/// `config` with data in `data_dir`, and returns once every listener is bound. The
/// certificate is made at first start when missing.
pub async fn start(
    config: Config,
    data_dir: &Path,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
) -> Result<Running, StartError> {
    start_with(config, data_dir, clock, random, StartOptions::default()).await
}

/// [`start`] with the changes of `options`.
pub async fn start_with(
    config: Config,
    data_dir: &Path,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    options: StartOptions,
) -> Result<Running, StartError> {
    config.validate()?;
    std::fs::create_dir_all(data_dir)?;
    let data_dir = data_dir.to_path_buf();
    let users = Arc::new(user_store(&config, &data_dir));
    users.refresh()?;
    let (acceptor, origin) = crate::tls::load_or_create(
        &Config::resolve(&data_dir, &config.tls.cert),
        &Config::resolve(&data_dir, &config.tls.key),
        &config.hostname,
    )?;
    if origin == CertificateOrigin::Created {
        tracing::info!(
            cert = %Config::resolve(&data_dir, &config.tls.cert).display(),
            "made a self-signed certificate"
        );
    }
    let dkim = if config.dkim_selector.is_empty() {
        None
    } else {
        let setup = crate::dkim::load_or_create(
            &data_dir,
            &config.dkim_selector,
            &config.local_domains,
            &mut || {
                let mut seed = [0u8; 32];
                getrandom::fill(&mut seed).map_err(|_| crate::dkim::DkimSetupError::Random)?;
                Ok(seed)
            },
        )?;
        if setup.created {
            tracing::info!(records = %setup.records_path.display(), "made a dkim key");
        }
        Some(Arc::new(setup.keys))
    };
    let (shutdown, watcher) = watch::channel(false);
    let mut tasks = Vec::new();

    let queue = Queue::open(
        data_dir.join(QUEUE_FOLDER),
        config.queue.clone(),
        Arc::clone(&clock),
        Arc::clone(&random),
    )
    .await?;

    let mailboxes: Arc<dyn LocalMailboxes> = users.clone();
    let (lmtp, agent) = start_agent(
        &config.delivery,
        &data_dir,
        &config.hostname,
        mailboxes,
        Arc::clone(&clock),
        Arc::clone(&random),
        stopped(watcher.clone()),
    )
    .await?;
    tasks.push(("delivery agent", agent));

    let local: Arc<dyn Transport> = Arc::new(
        LmtpTransport::new(lmtp.clone(), &config.hostname, Arc::clone(&clock)).map_err(|_| {
            ConfigError::Invalid {
                key: "hostname",
                reason: "not usable in LHLO",
            }
        })?,
    );
    let remote: Arc<dyn Transport> = match options.remote {
        Some(remote) => remote,
        None => Arc::new(MxRelay::new(
            config.relay.clone(),
            Arc::clone(&clock),
            Arc::clone(&random),
        )?),
    };
    let router: Arc<dyn Transport> =
        Arc::new(Router::new(config.local_domains.iter(), local, remote));
    let runner_queue = queue.clone();
    let runner_stop = stopped(watcher.clone());
    tasks.push((
        "queue runner",
        tokio::spawn(async move { runner_queue.run(router, runner_stop).await }),
    ));

    // The resolver is made only when a policy needs it.
    let policy_on = config.mx_policy.ptr_check || !config.mx_policy.dnsbl_zones.is_empty();
    let policy = if policy_on {
        let dns = Dns::new(
            &config.relay.dns,
            Duration::from_secs(config.relay.dns_timeout_secs.max(1)),
        )?;
        ClientPolicy::from_config(&config.mx_policy, &dns).map(Arc::new)
    } else {
        None
    };
    let mx_auth = if config.mx_auth.enabled {
        let dns = Dns::new(
            &config.relay.dns,
            Duration::from_secs(config.relay.dns_timeout_secs.max(1)),
        )?;
        Some(Arc::new(crate::mx_auth::MxAuth::new(
            &config.mx_auth,
            &dns,
            &config.hostname,
        )))
    } else {
        None
    };
    let inbound = Arc::new(Inbound {
        hostname: config.hostname.clone(),
        local_domains: config
            .local_domains
            .iter()
            .map(|domain| domain.to_ascii_lowercase())
            .collect(),
        postmaster: (!config.postmaster.is_empty()).then(|| config.postmaster.to_lowercase()),
        users: Arc::clone(&users),
        queue: queue.clone(),
        clock: Arc::clone(&clock),
        random: Arc::clone(&random),
        tls: acceptor.clone(),
        tls_handshake_timeout: Duration::from_secs(config.tls.handshake_timeout_secs.max(1)),
        dkim,
        policy,
        mx_auth,
        password_checks: Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        )),
        hook: options.hook,
    });
    let store = MailStore::new(
        data_dir.join("mail"),
        config.hostname.clone(),
        Arc::clone(&clock),
        Arc::clone(&random),
    );
    let access = Arc::new(Access {
        hostname: config.hostname.clone(),
        users: Arc::clone(&users),
        store: store.clone(),
        tls: acceptor,
        tls_handshake_timeout: inbound.tls_handshake_timeout,
        password_checks: Arc::clone(&inbound.password_checks),
    });

    let mut addresses = BTreeMap::new();
    for (role, settings) in [
        (Role::Mx, &config.mx),
        (Role::Submission, &config.submission),
        (Role::Submissions, &config.submissions),
    ] {
        if !settings.enabled {
            continue;
        }
        let listener = Listener::new(role, settings.clone(), Arc::clone(&inbound))
            .map_err(|source| StartError::Listener { role, source })?;
        let socket =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::Bind {
                    role,
                    address: settings.listen,
                    source,
                })?;
        let bound = socket.local_addr()?;
        tracing::info!(role = %role, listen = %bound, "listening");
        addresses.insert(role.name(), bound);
        tasks.push((
            role.name(),
            tokio::spawn(Arc::new(listener).serve(socket, watcher.clone())),
        ));
    }
    for (role, settings) in [
        (AccessRole::Pop3, &config.pop3),
        (AccessRole::Pop3s, &config.pop3s),
    ] {
        if !settings.enabled {
            continue;
        }
        let socket =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::AccessBind {
                    role,
                    address: settings.listen,
                    source,
                })?;
        let bound = socket.local_addr()?;
        tracing::info!(role = %role, listen = %bound, "listening");
        addresses.insert(role.name(), bound);
        let listener = AccessListener::new(role, settings.clone(), Arc::clone(&access));
        tasks.push((
            role.name(),
            tokio::spawn(Arc::new(listener).serve(socket, watcher.clone())),
        ));
    }
    for (role, settings) in [
        (AccessRole::Imap, &config.imap),
        (AccessRole::Imaps, &config.imaps),
    ] {
        if !settings.enabled {
            continue;
        }
        let socket =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::AccessBind {
                    role,
                    address: settings.listen,
                    source,
                })?;
        let bound = socket.local_addr()?;
        tracing::info!(role = %role, listen = %bound, "listening");
        addresses.insert(role.name(), bound);
        let listener = AccessListener::imap(role, settings, Arc::clone(&access));
        tasks.push((
            role.name(),
            tokio::spawn(Arc::new(listener).serve(socket, watcher.clone())),
        ));
    }
    Ok(Running {
        addresses,
        lmtp,
        queue,
        users,
        store,
        data_dir,
        shutdown,
        tasks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_use_letters_and_digits_without_bias_from_skipped_octets() {
        let mut counter = 0u8;
        let mut fill = |buffer: &mut [u8]| {
            for octet in buffer.iter_mut() {
                *octet = counter;
                counter = counter.wrapping_add(1);
            }
        };
        let password = random_password(&mut fill, 300);
        assert_eq!(password.len(), 300);
        assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
        // Octets 248..=255 are skipped: after 0..=247 comes 0 again, so "A" follows
        // the 248th symbol.
        assert_eq!(password.get(..3), Some("ABC"));
        assert_eq!(password.get(248..250), Some("AB"));
    }

    #[test]
    fn first_start_writes_the_config_and_the_demo_user_once() {
        let dir = std::env::temp_dir().join(format!("mailwire-prepare-{}", std::process::id()));
        let mut fill = |buffer: &mut [u8]| buffer.fill(7);
        let first = prepare(&dir, None, true, &mut fill).unwrap();
        assert!(first.config_created);
        assert_eq!(first.config, Config::default());
        let (user, password) = first.demo_user.clone().unwrap();
        assert_eq!(user, "demo@mailwire.test");
        assert_eq!(password.len(), DEMO_PASSWORD_LEN);
        assert!(user_store(&first.config, &dir).verify(&user, &password));
        let again = prepare(&dir, None, true, &mut fill).unwrap();
        assert!(!again.config_created);
        assert!(again.demo_user.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
