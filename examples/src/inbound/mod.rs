//! The SMTP listeners: MX inbound (port 25 role), submission (587 role, STARTTLS then
//! AUTH) and submissions (465 role, implicit TLS then AUTH).
//!
//! Each connection is one [`ServerSession`](mailwire_smtp::server::ServerSession) of
//! mailwire-smtp, moved by the mailwire-core tokio driver; TLS is tokio-rustls, handed
//! the stream by the driver at STARTTLS (or before the session starts, for implicit
//! TLS). The decisions the machine leaves to the application are taken in
//! [`session`]:
//!
//! | | MX | submission, submissions |
//! | --- | --- | --- |
//! | AUTH | not offered | PLAIN and LOGIN against the user store, only under TLS |
//! | MAIL FROM | any sender | the authenticated user's own address, else `553 5.7.1` |
//! | RCPT TO, local domain | known users only, else `550 5.1.1` | same |
//! | RCPT TO, other domains | `554 5.7.1` (never an open relay) | queued for relay |
//! | header | `Received` added | `Received` added, `Date` and `Message-ID` when missing, `DKIM-Signature` for a local sender ([`crate::dkim`]) |
//!
//! A message is answered `250` only once the queue has it on disk. A client's bad input
//! gets its answer from the machine (500/501/503, then 421 after too many errors) and
//! touches no other session; each listener serves at most
//! [`ListenerConfig::max_connections`] clients at once.

pub mod hook;
pub mod message;
pub mod policy;
pub mod session;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailwire_smtp::server::{ConfigError, Greeting, ServerConfig};
use mailwire_smtp::types::Mechanism;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use crate::config::ListenerConfig;
use crate::queue::{Clock, Queue, Random};
use crate::users::UserStore;
use policy::ClientPolicy;

/// Which role a listener plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Mail from other servers for the local domains (port 25 role).
    Mx,
    /// Mail from the users, after STARTTLS and AUTH (port 587 role, RFC 6409).
    Submission,
    /// Mail from the users over implicit TLS, after AUTH (port 465 role, RFC 8314).
    Submissions,
}

impl Role {
    /// True for the roles where users authenticate and submit.
    pub fn is_submission(self) -> bool {
        matches!(self, Role::Submission | Role::Submissions)
    }

    /// The role's name in logs and in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Role::Mx => "mx",
            Role::Submission => "submission",
            Role::Submissions => "submissions",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What every listener shares: names, users, the queue, TLS, time and randomness.
pub struct Inbound {
    /// The server's name.
    pub hostname: String,
    /// The local domains, in lower case.
    pub local_domains: Vec<String>,
    /// Where mail for `postmaster` goes (lower case), if anywhere.
    pub postmaster: Option<String>,
    /// The users.
    pub users: Arc<UserStore>,
    /// The queue every accepted message goes into.
    pub queue: Queue,
    /// The wall clock (for `Received` and `Date`).
    pub clock: Arc<dyn Clock>,
    /// Randomness (for `Message-ID`).
    pub random: Arc<dyn Random>,
    /// The TLS side of STARTTLS and implicit TLS.
    pub tls: TlsAcceptor,
    /// Longest wait for a client's TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// The DKIM signers of mail submitted from the local domains, if signing is on.
    pub dkim: Option<Arc<crate::dkim::DkimKeys>>,
    /// Checks of MX clients, if any is on.
    pub policy: Option<Arc<ClientPolicy>>,
    /// SPF, DKIM and DMARC of mail arriving on the MX listener, if on.
    pub mx_auth: Option<Arc<crate::mx_auth::MxAuth>>,
    /// Password checks under way at once, at most: each Argon2 verification takes a
    /// core and 19 MiB for tens of milliseconds, so a burst of logins waits here
    /// instead of exhausting memory.
    pub password_checks: Arc<Semaphore>,
    /// Faults and a copy of accepted messages, for an embedding application (the test
    /// harness); `None` in the normal server.
    pub hook: Option<Arc<dyn hook::SessionHook>>,
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound")
            .field("hostname", &self.hostname)
            .field("local_domains", &self.local_domains)
            .field("postmaster", &self.postmaster)
            .field("queue", &self.queue.dir())
            .field("policy", &self.policy)
            .field("hook", &self.hook.is_some())
            .finish_non_exhaustive()
    }
}

impl Inbound {
    /// True when `domain` is local.
    pub fn is_local_domain(&self, domain: &str) -> bool {
        self.local_domains
            .iter()
            .any(|local| local.eq_ignore_ascii_case(domain))
    }
}

/// One listener: its role, settings and the machine configuration its sessions share.
#[derive(Debug)]
pub struct Listener {
    role: Role,
    settings: ListenerConfig,
    smtp: Arc<ServerConfig>,
    inbound: Arc<Inbound>,
    connections: Arc<Semaphore>,
}

/// How long sessions get to finish after a shutdown was asked before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl Listener {
    /// A listener for `role` with `settings`.
    pub fn new(
        role: Role,
        settings: ListenerConfig,
        inbound: Arc<Inbound>,
    ) -> Result<Listener, ConfigError> {
        let mut builder = ServerConfig::builder(inbound.hostname.as_str())
            .greeting_text("ESMTP mailwire")
            .max_message_size(Some(settings.max_message_size))
            .max_recipients(settings.max_recipients)
            .max_errors(settings.max_errors)
            .command_timeout(Duration::from_secs(settings.command_timeout_secs))
            .data_timeout(Duration::from_secs(settings.data_timeout_secs))
            .dsn(true);
        builder = match role {
            Role::Mx => {
                let greeting = if inbound.policy.is_some() {
                    Greeting::AskApplication
                } else {
                    Greeting::Accept
                };
                builder.starttls(true).greeting(greeting)
            }
            Role::Submission => builder
                .starttls(true)
                .require_tls_for_auth(true)
                .auth_mechanisms([Mechanism::PLAIN, Mechanism::LOGIN]),
            Role::Submissions => builder
                .implicit_tls(true)
                .auth_mechanisms([Mechanism::PLAIN, Mechanism::LOGIN]),
        };
        if inbound.hook.is_some() {
            // The hook may hold a fault for the greeting.
            builder = builder.greeting(Greeting::AskApplication);
        }
        let connections = Arc::new(Semaphore::new(settings.max_connections));
        Ok(Listener {
            role,
            smtp: builder.build_shared()?,
            settings,
            inbound,
            connections,
        })
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Serves `listener` until `shutdown` turns true (or its sender is dropped); then
    /// stops accepting, asks every session to end (`421 4.3.2`) and waits for them a
    /// few seconds.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        mut shutdown: watch::Receiver<bool>,
    ) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let accepted = tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    continue;
                }
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => self.admit(stream, peer, shutdown.clone()).await,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    tracing::warn!(role = %self.role, %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        drop(listener);
        let all = u32::try_from(self.settings.max_connections).unwrap_or(u32::MAX);
        let drained =
            tokio::time::timeout(SHUTDOWN_GRACE, self.connections.acquire_many(all)).await;
        if drained.is_err() {
            tracing::warn!(role = %self.role, "sessions still open at shutdown");
        }
        tracing::info!(role = %self.role, "listener stopped");
    }

    async fn admit(
        self: &Arc<Self>,
        mut stream: TcpStream,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) {
        let Ok(permit) = Arc::clone(&self.connections).try_acquire_owned() else {
            tracing::warn!(role = %self.role, %peer, "too many connections, refused");
            if self.role != Role::Submissions {
                let refusal = format!(
                    "421 4.7.0 {} Too many connections, try again later\r\n",
                    self.inbound.hostname
                );
                // Best effort: the client may already be gone.
                let _ = tokio::time::timeout(
                    Duration::from_secs(1),
                    stream.write_all(refusal.as_bytes()),
                )
                .await;
            }
            return;
        };
        let listener = Arc::clone(self);
        let span = tracing::info_span!("smtp", role = %self.role, %peer);
        tokio::spawn(
            async move {
                session::run(listener, stream, peer, shutdown).await;
                drop(permit);
            }
            .instrument(span),
        );
    }
}
