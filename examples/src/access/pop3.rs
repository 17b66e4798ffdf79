//! One POP3 session (RFC 1939, RFC 2449, RFC 2595, RFC 5034) over the user's INBOX.
//!
//! The mailwire-pop3 server machine answers STAT, LIST, UIDL, DELE, RSET, NOOP, CAPA
//! and STLS itself from the maildrop listing given at login, refuses USER/PASS and AUTH
//! PLAIN before TLS (`-ERR [AUTH]`), dot-stuffs bodies and answers bad commands. This
//! module takes the decisions it leaves to the application:
//!
//! - login (USER/PASS, AUTH PLAIN): the password is checked against the user store;
//!   a wrong one gets `-ERR [AUTH]`, [`AccessListenerConfig::max_auth_failures`] of
//!   them close the session;
//! - the maildrop is locked for the session ([`MailStore::lock_maildrop`]): a second
//!   session of the same user gets `-ERR [IN-USE]`;
//! - the listing is the INBOX as the login found it: sizes from the store, unique ids
//!   (UIDL) the Maildir unique names (stable for a message's life; a name that is not
//!   a valid RFC 1939 unique-id becomes `UIDVALIDITY.UID`);
//! - RETR and TOP read the file (a message another session expunged meanwhile gets
//!   `-ERR`); messages marked with DELE are removed only at QUIT, through the store,
//!   so IMAP sessions see the expunge; messages retrieved whole and kept are marked
//!   \Seen at QUIT (as Dovecot does). A session that ends without QUIT changes
//!   nothing.
//!
//! [`AccessListenerConfig::max_auth_failures`]: crate::config::AccessListenerConfig
//! [`MailStore::lock_maildrop`]: crate::mailstore::MailStore::lock_maildrop

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mailwire_core::tokio::{Driver, Next};
use mailwire_core::Session;
use mailwire_pop3::sasl::PlainCredentials;
use mailwire_pop3::server::{
    CleartextLogin, Maildrop, MessageInfo, RequestId, Server, ServerConfig, ServerEvent,
};
use mailwire_pop3::types::{KnownCode, MessageNumber, ResponseCode, StatusLine, Text, UniqueId};
use mailwire_pop3::SessionError;
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::{AccessListener, AccessRole, Stream};
use crate::mailstore::{Flag, FlagOp, MailStoreError, Mailbox, MaildropLock};

type Pop3Driver = Driver<Box<dyn Stream>, Server>;

/// Octets of a message handed to the machine at a time (then written out), so a large
/// message never sits twice in memory.
const BODY_CHUNK: usize = 64 * 1024;

/// How long a session closed by a shutdown may take to send its last line.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

/// The machine configuration of a listener's sessions.
fn machine_config(listener: &AccessListener) -> ServerConfig {
    let settings = listener.settings();
    let role = listener.role();
    ServerConfig {
        greeting: format!("{} POP3 mailwire ready", listener.access().hostname),
        signoff: String::from("mailwire POP3 signing off"),
        implementation: Some(String::from("mailwire")),
        stls: role == AccessRole::Pop3,
        implicit_tls: role.implicit_tls(),
        cleartext_login: CleartextLogin::RequireTls,
        autologout: Duration::from_secs(settings.idle_timeout_secs),
        max_errors: settings.max_errors,
        ..ServerConfig::default()
    }
}

/// A `-ERR` line of ours (fixed texts, so it is always valid).
fn err_line(code: Option<KnownCode>, text: &'static str) -> StatusLine<'static> {
    StatusLine::err(
        code.map(ResponseCode::known),
        Text::new(text.as_bytes()).unwrap_or_else(|_| Text::empty()),
    )
}

/// The RFC 1939 unique-id of a message: its Maildir unique name when that is one
/// (1 to 70 characters 0x21-0x7E), else `UIDVALIDITY.UID`.
fn unique_id(mailbox: &Mailbox, uid: u32) -> Option<UniqueId<'static>> {
    mailbox
        .unique_name(uid)
        .and_then(|name| UniqueId::new(name.to_string()).ok())
        .or_else(|| UniqueId::new(format!("{}.{uid}", mailbox.uid_validity())).ok())
}

/// The part of `message` TOP sends: the header, the blank line, and `lines` lines of
/// the body (RFC 1939 §7).
pub fn top_of(message: &[u8], lines: u32) -> &[u8] {
    // The header ends at the first empty line (CRLF CRLF, or LF LF in files written
    // with bare LF).
    let mut position = 0;
    let body_start = loop {
        let Some(rest) = message.get(position..) else {
            break message.len();
        };
        let Some(offset) = rest.iter().position(|&b| b == b'\n') else {
            break message.len();
        };
        let line = rest.get(..offset).unwrap_or_default();
        position += offset + 1;
        if line.is_empty() || line == b"\r" {
            break position;
        }
    };
    let mut end = body_start;
    for _ in 0..lines {
        let Some(rest) = message.get(end..).filter(|rest| !rest.is_empty()) else {
            break;
        };
        end += rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |offset| offset + 1);
    }
    message.get(..end).unwrap_or(message)
}

/// Serves one connection to its end.
pub(super) async fn run(
    listener: Arc<AccessListener>,
    stream: TcpStream,
    mut shutdown: watch::Receiver<bool>,
) {
    let stream: Box<dyn Stream> = if listener.role().implicit_tls() {
        match listener.access().handshake(stream).await {
            Some(stream) => stream,
            None => return,
        }
    } else {
        Box::new(stream)
    };
    let machine = Server::new(
        machine_config(&listener),
        tokio::time::Instant::now().into_std(),
    );
    let mut driver: Pop3Driver =
        Driver::with_buffer_size(stream, machine, listener.settings().read_buffer);
    let mut state = State {
        listener: Arc::clone(&listener),
        auth_failures: 0,
        lock: None,
        mailbox: None,
        uids: Vec::new(),
        retrieved: Vec::new(),
    };
    loop {
        let next = tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    let line = err_line(Some(KnownCode::SysTemp), "server shutting down");
                    let _ = driver.machine_mut().close(Some(&line));
                    let _ = tokio::time::timeout(CLOSE_FLUSH, driver.flush()).await;
                    break;
                }
                continue;
            }
            next = driver.next_event() => next,
        };
        match next {
            Ok(Next::Event(event)) => {
                if let Err(error) = state.handle(&mut driver, event).await {
                    tracing::error!(%error, "decision refused by the machine; closing");
                    let line = err_line(Some(KnownCode::SysTemp), "local error");
                    let _ = driver.machine_mut().close(Some(&line));
                }
            }
            Ok(Next::StartTls) => {
                // The driver stopped reading after the +OK: the handshake is intact.
                let (stream, mut machine) = driver.into_parts();
                let Some(stream) = listener.access().handshake(stream).await else {
                    break;
                };
                machine.handle_tls_established(tokio::time::Instant::now().into_std());
                driver = Driver::with_buffer_size(stream, machine, listener.settings().read_buffer);
            }
            Ok(Next::Closed) => break,
            Err(error) => {
                tracing::info!(%error, "connection lost");
                break;
            }
        }
    }
    // The maildrop lock goes with the state: nothing was removed unless QUIT said so.
    drop(state);
}

/// What a session keeps besides its machine.
struct State {
    listener: Arc<AccessListener>,
    auth_failures: u32,
    lock: Option<MaildropLock>,
    mailbox: Option<Mailbox>,
    /// The UID of each message number (index = number - 1).
    uids: Vec<u32>,
    /// UIDs of the messages retrieved whole (RETR): marked \Seen at QUIT.
    retrieved: Vec<u32>,
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

impl State {
    async fn handle(
        &mut self,
        driver: &mut Pop3Driver,
        event: ServerEvent,
    ) -> Result<(), SessionError> {
        match event {
            ServerEvent::User { id, .. } => {
                // Whether the user exists is not told: PASS answers for both.
                driver.machine_mut().reply_ok(now(), id, "send PASS")
            }
            ServerEvent::Pass { id, name, password } => {
                let password = String::from_utf8(password.expose().to_vec()).ok();
                match password {
                    Some(password) => self.login(driver, id, name.as_str(), password).await,
                    None => self.refuse_login(driver, id),
                }
            }
            ServerEvent::Auth {
                id,
                mechanism,
                initial_response,
            } => {
                if !mechanism.as_str().eq_ignore_ascii_case("PLAIN") {
                    return driver.machine_mut().reply_err(
                        now(),
                        id,
                        None,
                        "mechanism not supported",
                    );
                }
                match initial_response {
                    Some(response) => self.plain(driver, id, response.expose()).await,
                    // RFC 5034: an empty challenge asks for the PLAIN message.
                    None => driver.machine_mut().sasl_challenge(now(), id, b""),
                }
            }
            ServerEvent::SaslResponse { id, response } => {
                self.plain(driver, id, response.expose()).await
            }
            ServerEvent::Apop { id, .. } => {
                // No greeting timestamp is sent, so no client should try; the stored
                // hashes cannot check an MD5 digest anyway.
                driver
                    .machine_mut()
                    .reply_err(now(), id, None, "APOP not supported")
            }
            ServerEvent::Retr { id, message } => self.retrieve(driver, id, message, None).await,
            ServerEvent::Top { id, message, lines } => {
                self.retrieve(driver, id, message, Some(lines)).await
            }
            ServerEvent::Update { id, deleted } => self.update(driver, id, &deleted).await,
            ServerEvent::Utf8 { id } | ServerEvent::Lang { id, .. } => driver
                .machine_mut()
                .reply_err(now(), id, None, "not supported"),
            ServerEvent::PlaintextDiscarded { octets } => {
                tracing::warn!(octets, "dropped input sent after STLS");
                Ok(())
            }
            ServerEvent::AuthAborted { .. } => Ok(()),
            ServerEvent::Closed { reason } => {
                tracing::info!(?reason, "disconnect");
                Ok(())
            }
            other => {
                tracing::debug!(event = ?other, "event ignored");
                Ok(())
            }
        }
    }

    async fn plain(
        &mut self,
        driver: &mut Pop3Driver,
        id: RequestId,
        message: &[u8],
    ) -> Result<(), SessionError> {
        let Ok(credentials) = PlainCredentials::decode(message) else {
            return self.refuse_login(driver, id);
        };
        // Acting for someone else is not allowed: an authzid must name the same user.
        let same = credentials.authorization_identity().is_none_or(|authzid| {
            crate::users::normalize_address(authzid)
                == crate::users::normalize_address(&credentials.authcid)
        });
        if !same {
            return self.refuse_login(driver, id);
        }
        let password = credentials.password.expose().clone();
        self.login(driver, id, &credentials.authcid, password).await
    }

    fn refuse_login(&mut self, driver: &mut Pop3Driver, id: RequestId) -> Result<(), SessionError> {
        self.auth_failures += 1;
        tracing::warn!(failures = self.auth_failures, "login failed");
        let server = driver.machine_mut();
        server.reply_err(
            now(),
            id,
            Some(ResponseCode::known(KnownCode::Auth)),
            "authentication failed",
        )?;
        if self.auth_failures >= self.listener.settings().max_auth_failures {
            let line = err_line(None, "too many authentication failures");
            server.close(Some(&line))?;
        }
        Ok(())
    }

    async fn login(
        &mut self,
        driver: &mut Pop3Driver,
        id: RequestId,
        name: &str,
        password: String,
    ) -> Result<(), SessionError> {
        let access = Arc::clone(self.listener.access());
        let Some(address) = access.verify(name, password).await else {
            return self.refuse_login(driver, id);
        };
        let Some(lock) = access.store.lock_maildrop(&address) else {
            tracing::info!(user = %address, "maildrop in use");
            return driver.machine_mut().reply_err(
                now(),
                id,
                Some(ResponseCode::known(KnownCode::InUse)),
                "maildrop already locked by another session",
            );
        };
        let store = access.store.clone();
        let user = address.clone();
        let opened = tokio::task::spawn_blocking(move || {
            store
                .user(&user)
                .and_then(|mailboxes| mailboxes.open_maildrop())
        })
        .await;
        let mailbox = match opened {
            Ok(Ok(mailbox)) => mailbox,
            Ok(Err(error)) => {
                tracing::error!(user = %address, %error, "cannot open the maildrop");
                return driver.machine_mut().reply_err(
                    now(),
                    id,
                    Some(ResponseCode::known(KnownCode::SysTemp)),
                    "cannot open the maildrop",
                );
            }
            Err(error) => {
                tracing::error!(user = %address, %error, "maildrop task failed");
                return driver.machine_mut().reply_err(
                    now(),
                    id,
                    Some(ResponseCode::known(KnownCode::SysTemp)),
                    "cannot open the maildrop",
                );
            }
        };
        let mut listing = Vec::with_capacity(mailbox.messages().len());
        let mut uids = Vec::with_capacity(mailbox.messages().len());
        for message in mailbox.messages() {
            let Some(unique_id) = unique_id(&mailbox, message.uid) else {
                continue;
            };
            listing.push(MessageInfo {
                size: message.size,
                unique_id,
            });
            uids.push(message.uid);
        }
        let maildrop = match Maildrop::new(listing) {
            Ok(maildrop) => maildrop,
            Err(_) => {
                return driver.machine_mut().reply_err(
                    now(),
                    id,
                    Some(ResponseCode::known(KnownCode::SysPerm)),
                    "maildrop too large",
                );
            }
        };
        tracing::info!(user = %address, messages = uids.len(), "login");
        self.lock = Some(lock);
        self.mailbox = Some(mailbox);
        self.uids = uids;
        driver.machine_mut().accept_login(now(), id, maildrop)
    }

    /// Runs `work` on the session's mailbox in a blocking task; `None` when there is
    /// no mailbox (or the task failed).
    async fn with_mailbox<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Mailbox) -> T + Send + 'static,
    ) -> Option<T> {
        let mut mailbox = self.mailbox.take()?;
        let done = tokio::task::spawn_blocking(move || {
            let result = work(&mut mailbox);
            (mailbox, result)
        })
        .await;
        match done {
            Ok((mailbox, result)) => {
                self.mailbox = Some(mailbox);
                Some(result)
            }
            Err(error) => {
                tracing::error!(%error, "maildrop task failed");
                None
            }
        }
    }

    async fn retrieve(
        &mut self,
        driver: &mut Pop3Driver,
        id: RequestId,
        message: MessageNumber,
        top: Option<u32>,
    ) -> Result<(), SessionError> {
        let Some(&uid) = self.uids.get(message.index()) else {
            return driver
                .machine_mut()
                .reply_err(now(), id, None, "no such message");
        };
        let read = self.with_mailbox(move |mailbox| mailbox.read(uid)).await;
        let content = match read {
            Some(Ok(content)) => content,
            Some(Err(MailStoreError::NoSuchMessage)) => {
                return driver.machine_mut().reply_err(
                    now(),
                    id,
                    None,
                    "message was removed by another session",
                );
            }
            Some(Err(error)) => {
                tracing::error!(uid, %error, "cannot read a message");
                return driver.machine_mut().reply_err(
                    now(),
                    id,
                    Some(ResponseCode::known(KnownCode::SysTemp)),
                    "cannot read the message",
                );
            }
            None => {
                return driver.machine_mut().reply_err(
                    now(),
                    id,
                    Some(ResponseCode::known(KnownCode::SysTemp)),
                    "cannot read the message",
                );
            }
        };
        let content = Bytes::from(content);
        let sent = match top {
            Some(lines) => content.slice(..top_of(&content, lines).len()),
            None => content,
        };
        let mut offset = 0;
        while offset < sent.len() {
            let end = (offset + BODY_CHUNK).min(sent.len());
            driver
                .machine_mut()
                .send_body(id, sent.slice(offset..end))?;
            offset = end;
            if let Err(error) = driver.flush().await {
                // The connection is gone; the driver reports it at the next read.
                tracing::info!(%error, "connection lost while sending a message");
                break;
            }
        }
        if top.is_none() && !self.retrieved.contains(&uid) {
            self.retrieved.push(uid);
        }
        driver.machine_mut().finish_body(now(), id)
    }

    async fn update(
        &mut self,
        driver: &mut Pop3Driver,
        id: RequestId,
        deleted: &[MessageNumber],
    ) -> Result<(), SessionError> {
        let uids: Vec<u32> = deleted
            .iter()
            .filter_map(|number| self.uids.get(number.index()).copied())
            .collect();
        // Retrieved messages that stay are marked \Seen, as Dovecot does, so an IMAP
        // client sees them read.
        let seen: Vec<u32> = self
            .retrieved
            .iter()
            .copied()
            .filter(|uid| !uids.contains(uid))
            .collect();
        let count = uids.len();
        let updated = self
            .with_mailbox(move |mailbox| {
                if !seen.is_empty() {
                    let marked = mailbox.store_flags(&seen, FlagOp::Add, &[Flag::Seen], &[], None);
                    if let Err(error) = marked {
                        tracing::warn!(%error, "cannot mark retrieved messages seen");
                    }
                }
                if uids.is_empty() {
                    Ok(Vec::new())
                } else {
                    mailbox.remove(&uids)
                }
            })
            .await;
        match updated {
            Some(Ok(_)) => {
                if count > 0 {
                    tracing::info!(messages = count, "deleted at QUIT");
                }
                let text = match count {
                    0 => String::from("bye"),
                    1 => String::from("1 message deleted"),
                    _ => format!("{count} messages deleted"),
                };
                driver.machine_mut().reply_ok(now(), id, &text)
            }
            Some(Err(error)) => {
                tracing::error!(%error, "cannot remove the deleted messages");
                driver.machine_mut().reply_err(
                    now(),
                    id,
                    Some(ResponseCode::known(KnownCode::SysTemp)),
                    "some deleted messages not removed",
                )
            }
            None => driver.machine_mut().reply_err(
                now(),
                id,
                Some(ResponseCode::known(KnownCode::SysTemp)),
                "some deleted messages not removed",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_takes_the_header_and_some_body_lines() {
        let message = b"A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\nline 3\r\n";
        assert_eq!(top_of(message, 0), b"A: 1\r\nB: 2\r\n\r\n");
        assert_eq!(
            top_of(message, 2),
            b"A: 1\r\nB: 2\r\n\r\nline 1\r\nline 2\r\n"
        );
        assert_eq!(top_of(message, 10), message);
        assert_eq!(top_of(b"A: 1\n\nbody\n", 0), b"A: 1\n\n");
        assert_eq!(top_of(b"A: 1\r\n", 3), b"A: 1\r\n");
        assert_eq!(top_of(b"", 3), b"");
        assert_eq!(top_of(b"A: 1\r\n\r\nno end", 5), b"A: 1\r\n\r\nno end");
    }
}
