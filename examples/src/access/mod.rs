//! The mailbox-access listeners: POP3 (port 110 role, STLS) and POP3S (port 995 role,
//! implicit TLS), and IMAP (port 143 role, STARTTLS) and IMAPS (port 993 role,
//! implicit TLS, see [`imap`]), reading the users' mailboxes through the
//! [`crate::mailstore`].
//!
//! Each listener accepts connections up to its
//! [`AccessListenerConfig::max_connections`] and runs one session per connection in
//! its own task: a broken session (bad input, a lost connection, a failed disk
//! operation) ends only itself. Logins are checked against the same [`UserStore`] as
//! submission, and only under TLS; the store's blocking file work runs in
//! `spawn_blocking`.

pub mod imap;
pub mod pop3;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio_rustls::TlsAcceptor;
use tracing::Instrument;

use crate::config::AccessListenerConfig;
use crate::mailstore::MailStore;
use crate::users::{normalize_address, UserStore};

/// Which mailbox-access listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccessRole {
    /// POP3 with STLS (port 110 role).
    Pop3,
    /// POP3 over implicit TLS (port 995 role).
    Pop3s,
    /// IMAP with STARTTLS (port 143 role).
    Imap,
    /// IMAP over implicit TLS (port 993 role).
    Imaps,
}

impl AccessRole {
    /// The role's name in logs, in the configuration and for
    /// [`crate::server::Running::access_address`].
    pub fn name(self) -> &'static str {
        match self {
            AccessRole::Pop3 => "pop3",
            AccessRole::Pop3s => "pop3s",
            AccessRole::Imap => "imap",
            AccessRole::Imaps => "imaps",
        }
    }

    /// True when the connection is TLS from the first byte.
    pub fn implicit_tls(self) -> bool {
        matches!(self, AccessRole::Pop3s | AccessRole::Imaps)
    }
}

impl fmt::Display for AccessRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What every access listener shares.
pub struct Access {
    /// The server's name (greetings).
    pub hostname: String,
    /// The users.
    pub users: Arc<UserStore>,
    /// The mailboxes.
    pub store: MailStore,
    /// The TLS side of STLS/STARTTLS and implicit TLS.
    pub tls: TlsAcceptor,
    /// Longest wait for a client's TLS handshake.
    pub tls_handshake_timeout: Duration,
    /// Password checks under way at once, at most (each Argon2 verification takes a
    /// core and 19 MiB): shared with the SMTP listeners.
    pub password_checks: Arc<Semaphore>,
}

impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("hostname", &self.hostname)
            .field("store", &self.store.root())
            .finish_non_exhaustive()
    }
}

impl Access {
    /// Checks `password` for the user `name` (an address, any case) off the async
    /// threads, at most [`Access::password_checks`] at once. Returns the normalized
    /// address when it matches.
    pub async fn verify(&self, name: &str, password: String) -> Option<String> {
        let address = normalize_address(name)?;
        let permit = Arc::clone(&self.password_checks).acquire_owned().await;
        let users = Arc::clone(&self.users);
        let checked = address.clone();
        let valid = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            users.verify(&checked, &password)
        })
        .await
        .unwrap_or(false);
        valid.then_some(address)
    }

    /// Accepts the TLS handshake of a client within the configured time.
    pub async fn handshake<S>(&self, stream: S) -> Option<Box<dyn Stream>>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let accepting = self.tls.accept(stream);
        match tokio::time::timeout(self.tls_handshake_timeout, accepting).await {
            Ok(Ok(tls)) => Some(Box::new(tls)),
            Ok(Err(error)) => {
                tracing::info!(%error, "tls handshake failed");
                None
            }
            Err(_) => {
                tracing::info!("tls handshake timed out");
                None
            }
        }
    }
}

/// Any byte stream a session runs on: plain TCP, then TLS.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// How long sessions get to finish after a shutdown was asked before they are dropped.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// One access listener: its role, settings and what its sessions share.
#[derive(Debug)]
pub struct AccessListener {
    role: AccessRole,
    settings: AccessListenerConfig,
    access: Arc<Access>,
    connections: Arc<Semaphore>,
    /// What an IMAP listener needs besides (`None` for POP3).
    imap: Option<imap::ImapSetup>,
}

impl AccessListener {
    /// A listener for `role` with `settings`.
    pub fn new(role: AccessRole, settings: AccessListenerConfig, access: Arc<Access>) -> Self {
        let connections = Arc::new(Semaphore::new(settings.max_connections));
        AccessListener {
            role,
            settings,
            access,
            connections,
            imap: None,
        }
    }

    /// An IMAP listener (`role` [`AccessRole::Imap`] or [`AccessRole::Imaps`]) with
    /// `settings`.
    pub fn imap(
        role: AccessRole,
        settings: &imap::config::ImapListenerConfig,
        access: Arc<Access>,
    ) -> Self {
        let setup = imap::ImapSetup::new(role, settings, &access.hostname);
        let mut listener = AccessListener::new(role, settings.common(), access);
        listener.imap = Some(setup);
        listener
    }

    /// The role.
    pub fn role(&self) -> AccessRole {
        self.role
    }

    /// The settings.
    pub fn settings(&self) -> &AccessListenerConfig {
        &self.settings
    }

    /// What the sessions share.
    pub fn access(&self) -> &Arc<Access> {
        &self.access
    }

    /// Serves `listener` until `shutdown` turns true (or its sender is dropped); then
    /// stops accepting, lets every session end (each is told the server is going
    /// away) and waits for them a few seconds.
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
                Ok((stream, peer)) => self.admit(stream, peer, shutdown.clone()),
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

    fn admit(
        self: &Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        shutdown: watch::Receiver<bool>,
    ) {
        let Ok(permit) = Arc::clone(&self.connections).try_acquire_owned() else {
            tracing::warn!(role = %self.role, %peer, "too many connections, refused");
            let listener = Arc::clone(self);
            tokio::spawn(async move { listener.refuse(stream).await });
            return;
        };
        let listener = Arc::clone(self);
        let span = tracing::info_span!("access", role = %self.role, %peer);
        tokio::spawn(
            async move {
                let _ = stream.set_nodelay(true);
                tracing::info!("connect");
                match listener.role {
                    AccessRole::Pop3 | AccessRole::Pop3s => {
                        pop3::run(listener, stream, shutdown).await;
                    }
                    AccessRole::Imap | AccessRole::Imaps => {
                        imap::run(listener, stream, shutdown).await;
                    }
                }
                drop(permit);
            }
            .instrument(span),
        );
    }

    /// Tells a client over the connection limit to come back later (in clear text
    /// only: an implicit-TLS client is just closed).
    async fn refuse(&self, mut stream: TcpStream) {
        use tokio::io::AsyncWriteExt;
        let refusal: &[u8] = match self.role {
            AccessRole::Pop3 => b"-ERR [SYS/TEMP] too many connections, try again later\r\n",
            AccessRole::Imap => b"* BYE Too many connections, try again later\r\n",
            AccessRole::Pop3s | AccessRole::Imaps => return,
        };
        // Best effort: the client may already be gone.
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(refusal)).await;
    }
}
