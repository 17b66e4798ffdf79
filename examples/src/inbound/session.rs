//! One SMTP session of a listener: the machine's events and the decisions taken on them
//! (see the table in the [parent module](super)).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use mailwire_core::tokio::{Driver, Next};
use mailwire_core::Session;
use mailwire_smtp::server::{
    CloseReason, HelloKind, ReplyId, ServerError, ServerEvent, ServerSession,
};
use mailwire_smtp::types::{
    EnhancedStatusCode, ForwardPath, Host, MailParameters, RcptParameters, Reply, ReplyCode, Ret,
    ReversePath,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::rustls;

use super::hook::{AcceptedMessage, Fault, SessionHook, SmtpCommand};
use super::message::{received_field, HeaderFixes, HeaderRefusal, Incoming, IncomingError, Trace};
use super::policy::Verdict;
use super::{Listener, Role};
use crate::queue::{DsnNotify, DsnReturn, Envelope, EnvelopeRecipient, QueueError};
use crate::users::normalize_address;

/// Any byte stream a session runs on: plain TCP, then TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

type SessionDriver = Driver<Box<dyn Stream>, ServerSession>;

/// How long a session closed by a shutdown may take to send its last reply.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

/// A reply of ours; the texts are fixed or made of validated parts, so building one
/// does not fail (if it did, the machine's canned reply of the same meaning is used).
fn reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Option<Reply<'static>> {
    let code = ReplyCode::new(code)?;
    let (class, subject, detail) = enhanced;
    Reply::new(
        code,
        EnhancedStatusCode::new(class, subject, detail),
        [text],
    )
    .ok()
}

/// The TLS version and cipher suite of a connection, for logs and `Received`.
fn describe_tls(connection: &rustls::ServerConnection) -> String {
    let version = connection
        .protocol_version()
        .map(|v| v.as_str().map_or_else(|| format!("{v:?}"), str::to_string))
        .unwrap_or_else(|| String::from("TLS"));
    match connection.negotiated_cipher_suite() {
        Some(suite) => {
            let suite = suite.suite();
            let name = suite
                .as_str()
                .map_or_else(|| format!("{suite:?}"), str::to_string);
            format!("{version} {name}")
        }
        None => version,
    }
}

/// Accepts the TLS handshake of a client within the configured time.
async fn handshake<S>(listener: &Listener, stream: S) -> Option<(Box<dyn Stream>, String)>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let accepting = listener.inbound.tls.accept(stream);
    match tokio::time::timeout(listener.inbound.tls_handshake_timeout, accepting).await {
        Ok(Ok(tls)) => {
            let description = describe_tls(tls.get_ref().1);
            tracing::debug!(tls = %description, "tls established");
            Some((Box::new(tls), description))
        }
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

/// Serves one connection to its end.
pub(super) async fn run(
    listener: Arc<Listener>,
    stream: TcpStream,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    tracing::info!("connect");
    let (stream, tls): (Box<dyn Stream>, Option<String>) = if listener.role == Role::Submissions {
        match handshake(&listener, stream).await {
            Some((stream, description)) => (stream, Some(description)),
            None => return,
        }
    } else {
        (Box::new(stream), None)
    };
    let machine = ServerSession::new(
        Arc::clone(&listener.smtp),
        tokio::time::Instant::now().into_std(),
    );
    let mut driver: SessionDriver =
        Driver::with_buffer_size(stream, machine, listener.settings.read_buffer);
    let mut state = State::new(Arc::clone(&listener), peer, tls);
    loop {
        let next = tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    close_for_shutdown(&listener, &mut driver).await;
                    break;
                }
                continue;
            }
            next = driver.next_event() => next,
        };
        match next {
            Ok(Next::Event(event)) => {
                let injected = match listener.inbound.hook.as_deref() {
                    Some(hook) => state.inject(hook, &mut driver, &event).await,
                    None => Ok(Injected::Nothing),
                };
                let handled = match injected {
                    Ok(Injected::Nothing) => state.handle(&mut driver, event).await,
                    Ok(Injected::Answered) => Ok(()),
                    Ok(Injected::Disconnect) => break,
                    Err(error) => Err(error),
                };
                if let Err(error) = handled {
                    tracing::error!(%error, "decision refused by the machine; closing");
                    driver
                        .machine_mut()
                        .close(reply(421, (4, 3, 0), "Local error"));
                }
            }
            Ok(Next::StartTls) => {
                // The driver stopped reading at the 220: the client's handshake is intact.
                let (stream, mut machine) = driver.into_parts();
                let Some((stream, description)) = handshake(&listener, stream).await else {
                    break;
                };
                machine.handle_tls_established(tokio::time::Instant::now().into_std());
                state.tls = Some(description);
                driver = Driver::with_buffer_size(stream, machine, listener.settings.read_buffer);
            }
            Ok(Next::Closed) => break,
            Err(error) => {
                tracing::info!(%error, "connection lost");
                break;
            }
        }
    }
    // A message cut short leaves nothing behind: dropping its writer removes its file.
    drop(state.incoming.take());
}

async fn close_for_shutdown(listener: &Listener, driver: &mut SessionDriver) {
    let text = format!("{} Service shutting down", listener.inbound.hostname);
    driver.machine_mut().close(reply(421, (4, 3, 2), &text));
    let _ = tokio::time::timeout(CLOSE_FLUSH, async {
        while let Ok(Next::Event(_)) = driver.next_event().await {}
    })
    .await;
}

/// The transaction under way.
#[derive(Debug, Default)]
struct Transaction {
    /// The sender, `None` for `<>`.
    sender: Option<String>,
    smtputf8: bool,
    envid: Option<String>,
    ret: Option<DsnReturn>,
    recipients: Vec<EnvelopeRecipient>,
    received_at: Option<SystemTime>,
    /// The SPF result found at MAIL FROM (MX role with sender authentication on).
    spf: Option<mailwire_auth::spf::SpfResult>,
}

/// What a session keeps besides its machine.
struct State {
    listener: Arc<Listener>,
    peer: SocketAddr,
    ptr_name: Option<String>,
    tls: Option<String>,
    user: Option<String>,
    auth_failures: u32,
    transaction: Option<Transaction>,
    incoming: Option<Incoming>,
    /// The message data as received, kept only for a hook.
    captured: Option<Vec<u8>>,
}

/// What a fault of the hook did to an event.
enum Injected {
    /// Nothing (or a delay): handle the event as usual.
    Nothing,
    /// The fault answered the command.
    Answered,
    /// The connection is to be dropped.
    Disconnect,
}

/// A recipient as the client wrote it.
fn recipient_text(to: &ForwardPath<'_>) -> String {
    to.mailbox()
        .map_or_else(|| String::from("Postmaster"), ToString::to_string)
}

/// Why a recipient is refused.
struct Refusal {
    code: u16,
    enhanced: (u8, u16, u16),
    text: &'static str,
    log: &'static str,
}

impl State {
    fn new(listener: Arc<Listener>, peer: SocketAddr, tls: Option<String>) -> Self {
        State {
            listener,
            peer,
            ptr_name: None,
            tls,
            user: None,
            auth_failures: 0,
            transaction: None,
            incoming: None,
            captured: None,
        }
    }

    fn role(&self) -> Role {
        self.listener.role
    }

    /// The injected clock's time in seconds since the epoch (for DKIM and SPF).
    fn unix_now(&self) -> u64 {
        self.listener
            .inbound
            .clock
            .now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs())
    }

    async fn handle(
        &mut self,
        driver: &mut SessionDriver,
        event: ServerEvent,
    ) -> Result<(), ServerError> {
        match event {
            ServerEvent::Connected { id } => self.greet(driver, id).await,
            ServerEvent::Hello { kind, host } => {
                tracing::debug!(?kind, helo = %host, "hello");
                Ok(())
            }
            ServerEvent::DiscardedAfterStartTls { octets } => {
                tracing::warn!(octets, "dropped input sent after STARTTLS");
                Ok(())
            }
            ServerEvent::TlsEstablished => Ok(()),
            ServerEvent::AuthCredentials {
                id,
                mechanism,
                authzid,
                authcid,
                password,
            } => {
                self.authenticate(driver, id, mechanism.as_str(), authzid, authcid, password)
                    .await
            }
            ServerEvent::SaslStart { id, .. } | ServerEvent::SaslResponse { id, .. } => {
                // Only PLAIN and LOGIN are offered, and the machine decodes those.
                match reply(504, (5, 5, 4), "Mechanism not supported") {
                    Some(answer) => driver.machine_mut().reply(id, answer),
                    None => driver.machine_mut().reject(id),
                }
            }
            ServerEvent::AuthCancelled => Ok(()),
            ServerEvent::Mail { id, from, params } => self.mail(driver, id, &from, &params).await,
            ServerEvent::Recipient { id, to, params } => self.recipient(driver, id, &to, &params),
            ServerEvent::MessageStart { .. } => {
                self.start_message(driver).await;
                Ok(())
            }
            ServerEvent::MessageData(chunk) => {
                if let Some(captured) = self.captured.as_mut() {
                    captured.extend_from_slice(&chunk);
                }
                if let Some(incoming) = self.incoming.as_mut() {
                    incoming.push(&chunk).await;
                }
                Ok(())
            }
            ServerEvent::MessageEnd {
                id,
                size,
                recipients,
            } => self.end_message(driver, id, size, &recipients).await,
            ServerEvent::TransactionAborted { reason } => {
                tracing::debug!(?reason, "transaction aborted");
                self.incoming = None;
                self.transaction = None;
                self.captured = None;
                Ok(())
            }
            ServerEvent::Closed { reason } => {
                match reason {
                    CloseReason::Quit | CloseReason::ClientClosed => {
                        tracing::info!(?reason, "disconnect")
                    }
                    _ => tracing::warn!(?reason, "disconnect"),
                }
                Ok(())
            }
            ServerEvent::Verify { id, .. }
            | ServerEvent::Expand { id, .. }
            | ServerEvent::Help { id, .. } => {
                // Not delegated by the configuration; answer anyway rather than stall.
                match reply(502, (5, 5, 1), "Command not implemented") {
                    Some(answer) => driver.machine_mut().reply(id, answer),
                    None => driver.machine_mut().reject(id),
                }
            }
            other => {
                tracing::debug!(event = ?other, "event ignored");
                Ok(())
            }
        }
    }

    /// Applies the hook's fault for the command behind `event`, if it has one.
    async fn inject(
        &mut self,
        hook: &dyn SessionHook,
        driver: &mut SessionDriver,
        event: &ServerEvent,
    ) -> Result<Injected, ServerError> {
        let (command, argument, id) = match event {
            ServerEvent::Connected { id } => (SmtpCommand::Connect, String::new(), Some(*id)),
            ServerEvent::Hello { host, .. } => (SmtpCommand::Hello, host.to_string(), None),
            ServerEvent::AuthCredentials { id, authcid, .. } => {
                (SmtpCommand::Auth, authcid.clone(), Some(*id))
            }
            ServerEvent::Mail { id, from, .. } => (
                SmtpCommand::Mail,
                from.mailbox().map(ToString::to_string).unwrap_or_default(),
                Some(*id),
            ),
            ServerEvent::Recipient { id, to, .. } => {
                (SmtpCommand::Rcpt, recipient_text(to), Some(*id))
            }
            ServerEvent::MessageStart { .. } => (SmtpCommand::Data, String::new(), None),
            ServerEvent::MessageEnd { id, .. } => (SmtpCommand::DataEnd, String::new(), Some(*id)),
            _ => return Ok(Injected::Nothing),
        };
        let Some(fault) = hook.fault(self.role(), command, &argument) else {
            return Ok(Injected::Nothing);
        };
        tracing::info!(%command, ?fault, "injecting a fault");
        match fault {
            Fault::Delay(wait) => {
                tokio::time::sleep(wait).await;
                Ok(Injected::Nothing)
            }
            Fault::Disconnect => {
                if id.is_some() {
                    // Replies decided before go out; the one owed now never does. (For
                    // HELO and DATA the machine's reply is already waiting: not sent.)
                    let _ = driver.flush().await;
                }
                Ok(Injected::Disconnect)
            }
            Fault::Reply(answer) => match id {
                Some(id) if !answer.code().is_positive() => {
                    if matches!(command, SmtpCommand::Mail | SmtpCommand::DataEnd) {
                        // No transaction (MAIL), or the message is not taken: its spool
                        // file goes with its writer.
                        self.transaction = None;
                        self.incoming = None;
                        self.captured = None;
                    }
                    driver.machine_mut().reply(id, answer)?;
                    Ok(Injected::Answered)
                }
                _ => Ok(Injected::Nothing),
            },
        }
    }

    /// The MX checks at connection time.
    async fn greet(&mut self, driver: &mut SessionDriver, id: ReplyId) -> Result<(), ServerError> {
        let verdict = match &self.listener.inbound.policy {
            Some(policy) => policy.check(self.peer.ip()).await,
            None => Verdict::Accept { ptr_name: None },
        };
        let server = driver.machine_mut();
        match verdict {
            Verdict::Accept { ptr_name } => {
                self.ptr_name = ptr_name;
                server.accept(id)
            }
            Verdict::Refuse { reason } => {
                tracing::info!(%reason, "client refused by policy");
                match reply(554, (5, 7, 1), &format!("Service unavailable; {reason}")) {
                    Some(answer) => server.reply(id, answer),
                    None => server.reject(id),
                }
            }
            Verdict::TryLater { reason } => {
                tracing::info!(%reason, "client deferred by policy");
                match reply(421, (4, 7, 1), &format!("Try again later; {reason}")) {
                    Some(answer) => server.reply(id, answer),
                    None => server.reject(id),
                }
            }
        }
    }

    async fn authenticate(
        &mut self,
        driver: &mut SessionDriver,
        id: ReplyId,
        mechanism: &str,
        authzid: Option<String>,
        authcid: String,
        password: mailwire_core::Secret<String>,
    ) -> Result<(), ServerError> {
        let user = normalize_address(&authcid);
        // Acting for someone else is not allowed: an authzid must name the same user.
        let authzid_ok = authzid
            .as_deref()
            .is_none_or(|authzid| normalize_address(authzid) == user);
        let valid = match (&user, authzid_ok) {
            (Some(user), true) => {
                let inbound = &self.listener.inbound;
                let permit = Arc::clone(&inbound.password_checks).acquire_owned().await;
                let users = Arc::clone(&inbound.users);
                let user = user.clone();
                tokio::task::spawn_blocking(move || {
                    let _permit = permit;
                    users.verify(&user, password.expose())
                })
                .await
                .unwrap_or(false)
            }
            _ => false,
        };
        let server = driver.machine_mut();
        if valid {
            tracing::info!(user = user.as_deref().unwrap_or(""), mechanism, "auth ok");
            self.user = user;
            return server.accept(id);
        }
        self.auth_failures += 1;
        // The name is logged only when it is a well-formed address (never raw bytes).
        tracing::warn!(
            user = user.as_deref().unwrap_or("-"),
            mechanism,
            failures = self.auth_failures,
            "auth failed"
        );
        server.reject(id)?;
        if self.auth_failures >= self.listener.settings.max_auth_failures {
            server.close(reply(421, (4, 7, 0), "Too many authentication failures"));
        }
        Ok(())
    }

    async fn mail(
        &mut self,
        driver: &mut SessionDriver,
        id: ReplyId,
        from: &ReversePath<'static>,
        params: &MailParameters<'static>,
    ) -> Result<(), ServerError> {
        self.transaction = None;
        self.incoming = None;
        self.captured = None;
        let server = driver.machine_mut();
        let sender = from.mailbox().map(ToString::to_string);
        if self.role().is_submission() {
            let Some(user) = self.user.as_deref() else {
                tracing::info!("mail refused: not authenticated");
                return match reply(530, (5, 7, 0), "Authentication required") {
                    Some(answer) => server.reply(id, answer),
                    None => server.reject(id),
                };
            };
            let owned = sender.as_deref().and_then(normalize_address).as_deref() == Some(user);
            if !owned {
                tracing::info!(user, "mail refused: sender not owned by the user");
                return match reply(
                    553,
                    (5, 7, 1),
                    "Sender address not owned by the authenticated user",
                ) {
                    Some(answer) => server.reply(id, answer),
                    None => server.reject(id),
                };
            }
        }
        let spf = match (&self.listener.inbound.mx_auth, self.role()) {
            (Some(checks), Role::Mx) => {
                let helo = server
                    .hello()
                    .map(|(_, host)| host.to_string())
                    .unwrap_or_default();
                let identity = crate::mx_auth::SmtpIdentity {
                    client: self.peer.ip(),
                    mail_from: sender.as_deref().unwrap_or_default(),
                    helo: &helo,
                };
                let spf = checks.check_spf(&identity, self.unix_now()).await;
                if let Some(text) = checks.spf_refusal(spf) {
                    tracing::info!(
                        from = sender.as_deref().unwrap_or("<>"),
                        "mail refused: spf fail"
                    );
                    let server = driver.machine_mut();
                    return match reply(550, (5, 7, 23), text) {
                        Some(answer) => server.reply(id, answer),
                        None => server.reject(id),
                    };
                }
                Some(spf)
            }
            _ => None,
        };
        let server = driver.machine_mut();
        self.transaction = Some(Transaction {
            sender,
            smtputf8: params.smtputf8,
            envid: params
                .envid
                .as_ref()
                .map(|envid| String::from_utf8_lossy(&envid.decode()).into_owned()),
            ret: params.ret.map(|ret| match ret {
                Ret::Full => DsnReturn::Full,
                Ret::Headers => DsnReturn::Headers,
            }),
            recipients: Vec::new(),
            received_at: None,
            spf,
        });
        server.accept(id)
    }

    /// Where mail for `to` goes, or why not.
    fn route(&self, to: &ForwardPath<'static>) -> Result<String, Refusal> {
        let inbound = &self.listener.inbound;
        let unknown = Refusal {
            code: 550,
            enhanced: (5, 1, 1),
            text: "User unknown",
            log: "unknown user",
        };
        let mailbox = match to {
            ForwardPath::Postmaster => return inbound.postmaster.clone().ok_or(unknown),
            ForwardPath::Path(path) => path.mailbox(),
        };
        let Host::Domain(domain) = mailbox.host() else {
            return Err(match self.role() {
                Role::Mx => Refusal {
                    code: 554,
                    enhanced: (5, 7, 1),
                    text: "Relay access denied",
                    log: "relay denied",
                },
                _ => Refusal {
                    code: 550,
                    enhanced: (5, 1, 2),
                    text: "Address literals are not accepted",
                    log: "address literal",
                },
            });
        };
        if inbound.is_local_domain(domain.as_str()) {
            if mailbox
                .local_part()
                .unquoted()
                .eq_ignore_ascii_case("postmaster")
            {
                if let Some(postmaster) = &inbound.postmaster {
                    return Ok(postmaster.clone());
                }
            }
            return match normalize_address(&mailbox.to_string()) {
                Some(address) if inbound.users.contains(&address) => Ok(address),
                _ => Err(unknown),
            };
        }
        let open_for_hook = inbound
            .hook
            .as_ref()
            .is_some_and(|hook| hook.mx_accepts_any_domain());
        if self.role().is_submission() || open_for_hook {
            return Ok(mailbox.to_string());
        }
        Err(Refusal {
            code: 554,
            enhanced: (5, 7, 1),
            text: "Relay access denied",
            log: "relay denied",
        })
    }

    fn recipient(
        &mut self,
        driver: &mut SessionDriver,
        id: ReplyId,
        to: &ForwardPath<'static>,
        params: &RcptParameters<'static>,
    ) -> Result<(), ServerError> {
        let server = driver.machine_mut();
        if self.transaction.is_none() {
            // The machine only asks after an accepted MAIL; refuse rather than guess.
            return server.reject(id);
        }
        match self.route(to) {
            Ok(address) => {
                let recipient = EnvelopeRecipient {
                    address,
                    orcpt: params.orcpt.as_ref().map(|orcpt| {
                        format!(
                            "{};{}",
                            orcpt.address_type(),
                            String::from_utf8_lossy(&orcpt.address().decode())
                        )
                    }),
                    notify: params.notify.map(|notify| DsnNotify {
                        success: notify.success(),
                        failure: notify.failure(),
                        delay: notify.delay(),
                    }),
                };
                if let Some(transaction) = self.transaction.as_mut() {
                    transaction.recipients.push(recipient);
                }
                server.accept(id)
            }
            Err(refusal) => {
                let recipient = to.mailbox().map(ToString::to_string).unwrap_or_default();
                tracing::info!(to = %recipient, reason = refusal.log, "recipient refused");
                match reply(refusal.code, refusal.enhanced, refusal.text) {
                    Some(answer) => server.reply(id, answer),
                    None => server.reject(id),
                }
            }
        }
    }

    fn trace(&self, server: &ServerSession, smtputf8: bool) -> Trace {
        let (helo, esmtp) = match server.hello() {
            Some((kind, host)) => (Some(host.to_string()), kind != HelloKind::Helo),
            None => (None, true),
        };
        Trace {
            helo,
            esmtp,
            peer: self.peer.ip(),
            ptr_name: self.ptr_name.clone(),
            tls: self.tls.clone(),
            authenticated: server.is_authenticated(),
            smtputf8,
        }
    }

    async fn start_message(&mut self, driver: &mut SessionDriver) {
        self.incoming = None;
        self.captured = self.listener.inbound.hook.is_some().then(Vec::new);
        let inbound = Arc::clone(&self.listener.inbound);
        let Some(transaction) = self.transaction.as_mut() else {
            return;
        };
        let now = inbound.clock.now();
        transaction.received_at = Some(now);
        let writer = match inbound.queue.writer().await {
            Ok(writer) => writer,
            Err(error) => {
                tracing::error!(%error, "cannot start a spool file");
                return;
            }
        };
        let smtputf8 = transaction.smtputf8;
        let single = match transaction.recipients.as_slice() {
            [only] => Some(only.address.clone()),
            _ => None,
        };
        let trace = self.trace(driver.machine(), smtputf8);
        let received = received_field(
            &inbound.hostname,
            &trace,
            writer.id(),
            single.as_deref(),
            now,
        );
        let fixes = self.role().is_submission().then(|| {
            HeaderFixes::new(
                &inbound.hostname,
                writer.id(),
                inbound.random.next_u64(),
                now,
            )
        });
        self.incoming = Some(Incoming::start(writer, &received, fixes).await);
    }

    async fn end_message(
        &mut self,
        driver: &mut SessionDriver,
        id: ReplyId,
        size: u64,
        accepted: &[ForwardPath<'static>],
    ) -> Result<(), ServerError> {
        let captured = self.captured.take();
        let incoming = self.incoming.take();
        let transaction = self.transaction.take();
        let (Some(incoming), Some(transaction)) = (incoming, transaction) else {
            tracing::error!("message data without a spool file");
            return self.answer_failure(driver, id, &IncomingError::Queue(QueueError::Unavailable));
        };
        let mut written = match incoming.finish().await {
            Ok(writer) => writer,
            Err(error) => return self.answer_failure(driver, id, &error),
        };
        let inbound = Arc::clone(&self.listener.inbound);
        let signer = match (&inbound.dkim, &transaction.sender) {
            (Some(keys), Some(sender)) if self.role().is_submission() => keys.signer_for(sender),
            _ => None,
        };
        if let Some(signer) = signer {
            let now = self.unix_now();
            if let Err(error) = crate::dkim::sign_spooled(&mut written, signer, now).await {
                return self.answer_failure(driver, id, &IncomingError::Queue(error));
            }
        }
        if let (Some(checks), Role::Mx) = (&inbound.mx_auth, self.role()) {
            let now = self.unix_now();
            let helo = driver
                .machine()
                .hello()
                .map(|(_, host)| host.to_string())
                .unwrap_or_default();
            let sender = crate::mx_auth::SmtpIdentity {
                client: self.peer.ip(),
                mail_from: transaction.sender.as_deref().unwrap_or_default(),
                helo: &helo,
            };
            let roll = u8::try_from(inbound.random.below(100)).unwrap_or(0);
            let spf = match transaction.spf {
                Some(spf) => spf,
                None => checks.check_spf(&sender, now).await,
            };
            match checks
                .check_spooled(&mut written, &sender, spf, now, roll)
                .await
            {
                Ok(verdict) => {
                    if let Some(text) = verdict.refusal {
                        tracing::info!(
                            from = transaction.sender.as_deref().unwrap_or("<>"),
                            reason = text,
                            "message refused by sender authentication"
                        );
                        // Dropping the spool file unfinished removes it.
                        drop(written);
                        let server = driver.machine_mut();
                        return match reply(550, (5, 7, 1), text) {
                            Some(answer) => server.reply(id, answer),
                            None => server.reject(id),
                        };
                    }
                }
                Err(error) => return self.answer_failure(driver, id, &IncomingError::Queue(error)),
            }
        }
        let received_at = transaction
            .received_at
            .unwrap_or_else(|| self.listener.inbound.clock.now());
        let recipients: Vec<String> = transaction
            .recipients
            .iter()
            .map(|r| r.address.clone())
            .collect();
        let mut envelope = Envelope::new(
            transaction.sender.clone(),
            transaction.recipients,
            received_at,
        );
        envelope.auth_user = self.user.clone();
        envelope.envid = transaction.envid;
        envelope.ret = transaction.ret;
        let helo = driver
            .machine()
            .hello()
            .map(|(_, host)| host.to_string())
            .unwrap_or_default();
        envelope.received_from = Some(
            format!("{helo} {}", super::message::address_literal(self.peer.ip()))
                .trim()
                .to_string(),
        );
        let sender = transaction.sender.clone();
        match written.commit(envelope).await {
            Ok(queue_id) => {
                if let (Some(hook), Some(data)) = (self.listener.inbound.hook.as_deref(), captured)
                {
                    hook.accepted(AcceptedMessage {
                        role: self.role(),
                        peer: self.peer,
                        queue_id: queue_id.to_string(),
                        mail_from: sender,
                        rcpt_to: accepted.iter().map(recipient_text).collect(),
                        data: data.into(),
                        authenticated: self.user.clone(),
                        tls: self.tls.is_some(),
                    });
                }
                tracing::info!(
                    queue_id = %queue_id,
                    from = transaction.sender.as_deref().unwrap_or("<>"),
                    to = %recipients.join(","),
                    size,
                    user = self.user.as_deref().unwrap_or("-"),
                    "message accepted"
                );
                let text = format!("Ok: queued as {queue_id}");
                let server = driver.machine_mut();
                match reply(250, (2, 0, 0), &text) {
                    Some(answer) => server.reply(id, answer),
                    None => server.accept(id),
                }
            }
            Err(error) => self.answer_failure(driver, id, &IncomingError::Queue(error)),
        }
    }

    fn answer_failure(
        &self,
        driver: &mut SessionDriver,
        id: ReplyId,
        error: &IncomingError,
    ) -> Result<(), ServerError> {
        let (code, enhanced, text) = match error {
            IncomingError::Queue(QueueError::TooLarge) => (552, (5, 3, 4), "Message too large"),
            IncomingError::Queue(QueueError::TooManyRecipients) => {
                (452, (4, 5, 3), "Too many recipients")
            }
            IncomingError::Header(HeaderRefusal::TooLarge) => {
                (552, (5, 3, 4), "Message header section too large")
            }
            IncomingError::Header(_) => (554, (5, 6, 0), "Message header section not acceptable"),
            IncomingError::Queue(_) => {
                (451, (4, 3, 0), "Local error in processing, try again later")
            }
        };
        tracing::warn!(%error, code, "message not accepted");
        let server = driver.machine_mut();
        match reply(code, enhanced, text) {
            Some(answer) => server.reply(id, answer),
            None => server.reject(id),
        }
    }
}
