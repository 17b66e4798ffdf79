//! The delivery agent: an LMTP server (RFC 2033, mailwire-lmtp) on loopback TCP or a
//! unix socket that stores each message into its recipients' Maildirs, answering each
//! recipient on its own (a full mailbox fails only that recipient).
//!
//! Unknown recipients are refused at RCPT (`550 5.1.1`). After the data, each
//! recipient's copy gets `Return-Path` (RFC 5321 §4.4, the reverse-path) and
//! `Delivered-To` (the recipient, as Postfix and Dovecot write it) prepended and is
//! stored with [`MaildirStore::deliver`]; the answer is `250 2.0.0` once the file is
//! flushed in `new/`, `452 4.2.2` (or `552 5.2.2` when configured permanent) over
//! quota, `451 4.3.0` for a disk error.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::BytesMut;
use mailwire_lmtp::server::{Delivery, LmtpServer, LmtpServerConfig, ServerEvent};
use mailwire_lmtp::tokio::{Driver, Next};
use mailwire_lmtp::types::{ForwardPath, ReversePath};
use tokio::io::{AsyncRead, AsyncWrite};

use super::maildir::{MaildirStore, StoreError};

/// Which local addresses have a mailbox: implemented by the server's user store.
pub trait LocalMailboxes: Send + Sync {
    /// The mailbox name (see [`super::maildir::mailbox_name`]) that receives mail for
    /// `address` (`local@domain`), or `None` when there is no such user.
    fn mailbox(&self, address: &str) -> Option<String>;
}

/// A fixed set of mailboxes (tests, small set-ups): each address is its own mailbox.
#[derive(Debug, Clone, Default)]
pub struct StaticMailboxes {
    names: std::collections::HashSet<String>,
}

impl StaticMailboxes {
    /// Mailboxes for these addresses.
    pub fn new<I, S>(addresses: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        StaticMailboxes {
            names: addresses
                .into_iter()
                .filter_map(|a| super::maildir::mailbox_name(a.as_ref()))
                .collect(),
        }
    }
}

impl LocalMailboxes for StaticMailboxes {
    fn mailbox(&self, address: &str) -> Option<String> {
        super::maildir::mailbox_name(address).filter(|name| self.names.contains(name))
    }
}

/// The delivery agent; share it with `Arc` between connections.
pub struct DeliveryAgent {
    store: Arc<MaildirStore>,
    mailboxes: Arc<dyn LocalMailboxes>,
    config: LmtpServerConfig,
    quota_full_permanent: bool,
}

impl std::fmt::Debug for DeliveryAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryAgent")
            .field("store", &self.store)
            .field("quota_full_permanent", &self.quota_full_permanent)
            .finish_non_exhaustive()
    }
}

/// The text of a mailbox address for header fields and lookups.
fn address_of(path: &ForwardPath<'_>) -> Option<String> {
    path.mailbox().map(|m| m.to_string())
}

impl DeliveryAgent {
    /// An agent storing into `store`, knowing users through `mailboxes`, speaking LMTP
    /// with `config`. With `quota_full_permanent` a full mailbox is a permanent failure
    /// (552 5.2.2, the sender gets a notification at once) instead of a temporary one
    /// (452 4.2.2, retried until the queue's maximum age).
    pub fn new(
        store: Arc<MaildirStore>,
        mailboxes: Arc<dyn LocalMailboxes>,
        config: LmtpServerConfig,
        quota_full_permanent: bool,
    ) -> Self {
        DeliveryAgent {
            store,
            mailboxes,
            config,
            quota_full_permanent,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<MaildirStore> {
        &self.store
    }

    /// Serves TCP connections from `listener` until `shutdown` completes.
    pub async fn serve_tcp(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        let agent = Arc::clone(&self);
                        tokio::spawn(async move { agent.serve_connection(stream).await });
                    }
                    Err(error) => {
                        tracing::warn!(%error, "delivery agent: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
    }

    /// Serves unix-socket connections from `listener` until `shutdown` completes.
    #[cfg(unix)]
    pub async fn serve_unix(
        self: Arc<Self>,
        listener: tokio::net::UnixListener,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let agent = Arc::clone(&self);
                        tokio::spawn(async move { agent.serve_connection(stream).await });
                    }
                    Err(error) => {
                        tracing::warn!(%error, "delivery agent: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
            }
        }
    }

    /// Runs one LMTP session over `stream` to its end.
    pub async fn serve_connection<S>(self: Arc<Self>, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let now = tokio::time::Instant::now().into_std();
        let mut driver = Driver::new(stream, LmtpServer::new(self.config.clone(), now));
        let mut reverse_path: Option<String> = None;
        let mut content = BytesMut::new();
        loop {
            let event = match driver.next_event().await {
                Ok(Next::Event(event)) => event,
                Ok(Next::StartTls | Next::Closed) => break,
                Err(error) => {
                    tracing::debug!(%error, "delivery agent: connection ended");
                    break;
                }
            };
            match event {
                ServerEvent::Mail { id, from, .. } => {
                    reverse_path = Some(match &from {
                        ReversePath::Null => String::new(),
                        ReversePath::Path(path) => path.mailbox().to_string(),
                    });
                    content.clear();
                    let _ = driver.machine_mut().accept(id);
                }
                ServerEvent::Recipient { id, to, .. } => {
                    let known = address_of(&to).and_then(|a| self.mailboxes.mailbox(&a));
                    let machine = driver.machine_mut();
                    let _ = if known.is_some() {
                        machine.accept(id)
                    } else {
                        machine.reply(id, Delivery::NoSuchUser.reply_for(&to))
                    };
                }
                ServerEvent::MessageStart { .. } => content.clear(),
                ServerEvent::MessageData(chunk) => content.extend_from_slice(&chunk),
                ServerEvent::MessageEnd { id, recipients, .. } => {
                    let from = reverse_path.clone().unwrap_or_default();
                    let message = std::mem::take(&mut content).freeze();
                    let outcomes = self.store_all(&from, &recipients, message).await;
                    for (index, outcome) in outcomes.into_iter().enumerate() {
                        let _ = driver.machine_mut().deliver(id, index, outcome);
                    }
                }
                ServerEvent::TransactionAborted { .. } => content.clear(),
                ServerEvent::Closed { .. } => {}
                _ => {}
            }
        }
    }

    /// Stores one copy per recipient, in a blocking task, and says how each went.
    async fn store_all(
        &self,
        from: &str,
        recipients: &[ForwardPath<'static>],
        message: bytes::Bytes,
    ) -> Vec<Delivery> {
        let jobs: Vec<(Option<String>, String)> = recipients
            .iter()
            .map(|to| {
                let address = address_of(to).unwrap_or_default();
                (self.mailboxes.mailbox(&address), address)
            })
            .collect();
        let store = Arc::clone(&self.store);
        let from = from.to_string();
        let permanent = self.quota_full_permanent;
        let stored = tokio::task::spawn_blocking(move || {
            jobs.into_iter()
                .map(|(mailbox, address)| {
                    let Some(mailbox) = mailbox else {
                        return Delivery::NoSuchUser;
                    };
                    let prefix = format!("Return-Path: <{from}>\r\nDelivered-To: {address}\r\n");
                    match store.deliver(&mailbox, prefix.as_bytes(), &message) {
                        Ok(path) => {
                            tracing::info!(to = %address, file = %path.display(),
                                "delivery agent: stored");
                            Delivery::Delivered
                        }
                        Err(StoreError::OverQuota { used, quota }) => {
                            tracing::info!(to = %address, used, quota,
                                "delivery agent: mailbox full");
                            Delivery::MailboxFull { permanent }
                        }
                        Err(StoreError::InvalidMailbox) => Delivery::NoSuchUser,
                        Err(error) => {
                            tracing::error!(to = %address, %error, "delivery agent: cannot store");
                            Delivery::TemporaryFailure
                        }
                    }
                })
                .collect::<Vec<_>>()
        })
        .await;
        stored.unwrap_or_else(|_| vec![Delivery::TemporaryFailure; recipients.len()])
    }
}

/// Where the delivery agent listens, for the queue's LMTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LmtpTarget {
    /// TCP, usually on loopback.
    Tcp(std::net::SocketAddr),
    /// A unix-domain socket.
    Unix(PathBuf),
}
