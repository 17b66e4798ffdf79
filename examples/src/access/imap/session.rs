//! One IMAP connection: TLS, the machine's events, logins, and the store work of each
//! command (see the [parent module](super)).

use std::sync::Arc;
use std::time::{Duration, Instant};

use mailwire_core::tokio::{Driver, Next};
use mailwire_core::Session as _;
use mailwire_imap::server::{
    AppendedMessage, CommandId, Credentials, Server, ServerError, ServerEvent,
};
use mailwire_imap::types::{Capability, Code, CommandBody, Data, ResponseText, State, Tag, Text};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::commands::{self, Context, Core, Progress};
use super::ImapSetup;
use crate::access::{AccessListener, Stream};
use crate::users::normalize_address;

type SessionDriver = Driver<Box<dyn Stream>, Server>;

/// How long a session closed by a shutdown may take to send its last words.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Response text from our own words.
pub(super) fn text(value: &str) -> Text<'static> {
    Text::new(value.to_string()).unwrap_or_default()
}

/// Serves one connection to its end.
pub(super) async fn run(
    listener: Arc<AccessListener>,
    setup: ImapSetup,
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
    let machine = Server::new(setup.machine.clone(), now());
    let read_buffer = listener.settings().read_buffer;
    let mut driver: SessionDriver = Driver::with_buffer_size(stream, machine, read_buffer);
    let mut session = Session::new(Arc::clone(&listener));
    let poll = setup.idle_poll;
    loop {
        let idling = session.idle.is_some();
        let next = tokio::select! {
            biased;
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    close_for_shutdown(&mut driver).await;
                    break;
                }
                continue;
            }
            () = tokio::time::sleep(poll), if idling => {
                if !session.poll_idle(&mut driver).await {
                    break;
                }
                continue;
            }
            next = driver.next_event() => next,
        };
        match next {
            Ok(Next::Event(event)) => {
                if let Err(error) = session.handle(&mut driver, event).await {
                    tracing::error!(%error, "decision refused by the machine; closing");
                    let _ = driver.machine_mut().close("Internal error");
                }
            }
            Ok(Next::StartTls) => {
                // The driver stopped reading at the OK: the client's handshake is intact.
                let (stream, mut machine) = driver.into_parts();
                let Some(stream) = listener.access().handshake(stream).await else {
                    break;
                };
                machine.handle_tls_established(now());
                driver = Driver::with_buffer_size(stream, machine, read_buffer);
            }
            Ok(Next::Closed) => break,
            Err(error) => {
                tracing::info!(%error, "connection lost");
                break;
            }
        }
    }
    tracing::info!(user = session.user.as_deref().unwrap_or("-"), "disconnect");
}

async fn close_for_shutdown(driver: &mut SessionDriver) {
    let _ = driver.machine_mut().close("Server shutting down");
    let _ = tokio::time::timeout(CLOSE_FLUSH, async {
        while let Ok(Next::Event(_)) = driver.next_event().await {}
    })
    .await;
}

/// An APPEND being received.
#[derive(Debug)]
struct Appending {
    id: CommandId,
    mailbox: String,
    /// The messages complete so far, then the one arriving.
    messages: Vec<commands::Incoming>,
}

/// What a session keeps besides its machine.
struct Session {
    listener: Arc<AccessListener>,
    user: Option<String>,
    auth_failures: u32,
    /// The user's mailboxes and the selected one; `None` before login, and while a
    /// blocking thread works on it.
    core: Option<Core>,
    /// The IDLE command in progress.
    idle: Option<CommandId>,
    appending: Option<Appending>,
}

impl Session {
    fn new(listener: Arc<AccessListener>) -> Session {
        Session {
            listener,
            user: None,
            auth_failures: 0,
            core: None,
            idle: None,
            appending: None,
        }
    }

    /// Runs `work` on the user's mailboxes on a blocking thread. `None` when nobody is
    /// logged in or the work failed abnormally (the mailboxes are then gone with it and
    /// the session must end).
    async fn blocking<R, F>(&mut self, work: F) -> Option<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Core) -> R + Send + 'static,
    {
        let mut core = self.core.take()?;
        match tokio::task::spawn_blocking(move || {
            let result = work(&mut core);
            (core, result)
        })
        .await
        {
            Ok((core, result)) => {
                self.core = Some(core);
                Some(result)
            }
            Err(error) => {
                tracing::error!(%error, "mailbox work failed");
                None
            }
        }
    }

    fn context(&self, driver: &SessionDriver, tag: Option<Tag<'static>>) -> Context {
        let machine = driver.machine();
        Context {
            tag,
            condstore: machine.is_enabled(&Capability::CondStore),
            qresync: machine.is_enabled(&Capability::QResync),
        }
    }

    async fn handle(
        &mut self,
        driver: &mut SessionDriver,
        event: ServerEvent,
    ) -> Result<(), ServerError> {
        match event {
            ServerEvent::Login {
                id, credentials, ..
            } => self.login(driver, id, credentials).await,
            ServerEvent::Authenticate { id, .. } => {
                // Only PLAIN is offered, and the machine runs it.
                driver
                    .machine_mut()
                    .no(now(), id, None, "Unsupported authentication mechanism")
            }
            ServerEvent::Command { id, tag, command } => {
                self.command(driver, id, tag, command).await
            }
            ServerEvent::AppendMessage { id, message, .. } => {
                self.append_message(driver, id, message).await
            }
            ServerEvent::AppendData { id, chunk } => {
                if let Some(appending) = self.appending.as_mut().filter(|a| a.id == id) {
                    if let Some(message) = appending.messages.last_mut() {
                        message.bytes.extend_from_slice(&chunk);
                    }
                }
                Ok(())
            }
            ServerEvent::AppendDone { id, .. } => self.append_done(driver, id).await,
            ServerEvent::AppendAborted { id } => {
                if self.appending.as_ref().is_some_and(|a| a.id == id) {
                    self.appending = None;
                }
                Ok(())
            }
            ServerEvent::Idle { id, .. } => {
                self.idle = Some(id);
                // Changes that happened just before the IDLE are reported at once.
                if !self.poll_idle(driver).await {
                    let _ = driver.machine_mut().close("Mailbox unavailable");
                }
                Ok(())
            }
            ServerEvent::IdleDone { .. } => {
                self.idle = None;
                Ok(())
            }
            ServerEvent::Enabled { capabilities } => {
                tracing::debug!(?capabilities, "enabled");
                Ok(())
            }
            ServerEvent::PlaintextDiscarded { octets } => {
                tracing::warn!(octets, "plaintext after STARTTLS discarded");
                Ok(())
            }
            ServerEvent::Closed { reason } => {
                tracing::debug!(?reason, "closed");
                Ok(())
            }
            _ => Ok(()),
        }
    }

    async fn login(
        &mut self,
        driver: &mut SessionDriver,
        id: CommandId,
        credentials: Credentials,
    ) -> Result<(), ServerError> {
        // Acting for someone else is not allowed: an authzid must name the same user.
        let authzid_ok = credentials.authzid.as_deref().is_none_or(|authzid| {
            normalize_address(authzid) == normalize_address(&credentials.username)
        });
        let access = Arc::clone(self.listener.access());
        let user = if authzid_ok {
            access
                .verify(&credentials.username, credentials.password.expose().clone())
                .await
        } else {
            None
        };
        let opened = match &user {
            Some(address) => {
                let store = access.store.clone();
                let address = address.clone();
                tokio::task::spawn_blocking(move || store.user(&address))
                    .await
                    .ok()
            }
            None => None,
        };
        match opened {
            Some(Ok(mailboxes)) => {
                tracing::info!(user = user.as_deref().unwrap_or(""), "login ok");
                self.core = Some(Core::new(mailboxes));
                self.user = user;
                driver.machine_mut().ok(now(), id, "LOGIN completed")
            }
            Some(Err(error)) => {
                tracing::error!(%error, "cannot open the user's mailboxes");
                driver
                    .machine_mut()
                    .no(now(), id, Some(Code::Unavailable), "Mailboxes unavailable")
            }
            None => {
                self.auth_failures += 1;
                // The name is logged only when it is a well-formed address.
                tracing::warn!(
                    user = normalize_address(&credentials.username)
                        .as_deref()
                        .unwrap_or("-"),
                    failures = self.auth_failures,
                    "login failed"
                );
                let machine = driver.machine_mut();
                machine.no(
                    now(),
                    id,
                    Some(Code::AuthenticationFailed),
                    "Invalid credentials",
                )?;
                if self.auth_failures >= self.listener.settings().max_auth_failures {
                    machine.close("Too many authentication failures")?;
                }
                Ok(())
            }
        }
    }

    /// Answers a command with `outcome`: its data, then its completion.
    fn finish(
        driver: &mut SessionDriver,
        id: CommandId,
        outcome: commands::Outcome,
    ) -> Result<(), ServerError> {
        let machine = driver.machine_mut();
        for data in &outcome.data {
            machine.send_data(id, data)?;
        }
        if let Some(reason) = &outcome.bye {
            return machine.close(reason);
        }
        machine.complete(
            now(),
            id,
            outcome.state,
            ResponseText {
                code: outcome.code,
                text: text(&outcome.text),
            },
        )
    }

    async fn command(
        &mut self,
        driver: &mut SessionDriver,
        id: CommandId,
        tag: Tag<'static>,
        command: CommandBody<'static>,
    ) -> Result<(), ServerError> {
        if self.core.is_none() {
            // The machine only hands over commands of a logged-in session.
            return driver.machine_mut().no(now(), id, None, "Not logged in");
        }
        let context = self.context(driver, Some(tag));
        let started = self
            .blocking(move |core| commands::execute(core, &context, command))
            .await;
        let mut progress = match started {
            Some(progress) => progress,
            None => return driver.machine_mut().close("Mailbox unavailable"),
        };
        loop {
            match progress {
                Progress::Done(outcome) => return Self::finish(driver, id, outcome),
                Progress::Fetching(job, data) => {
                    for item in &data {
                        driver.machine_mut().send_data(id, item)?;
                    }
                    // Written before more is read, so a large FETCH is never all in
                    // memory at once.
                    if let Err(error) = driver.flush().await {
                        tracing::info!(%error, "connection lost");
                        return driver.machine_mut().close("Connection lost");
                    }
                    let step = self
                        .blocking(move |core| commands::fetch_step(core, job))
                        .await;
                    progress = match step {
                        Some(progress) => progress,
                        None => return driver.machine_mut().close("Mailbox unavailable"),
                    };
                }
            }
        }
    }

    async fn append_message(
        &mut self,
        driver: &mut SessionDriver,
        id: CommandId,
        message: AppendedMessage,
    ) -> Result<(), ServerError> {
        let Some(name) = message.mailbox.name().as_str().map(str::to_string) else {
            self.appending = None;
            return driver
                .machine_mut()
                .no(now(), id, Some(Code::TryCreate), "No such mailbox");
        };
        if message.index == 0 {
            let lookup = name.clone();
            let exists = self
                .blocking(move |core| core.mailbox_exists(&lookup))
                .await;
            match exists {
                Some(true) => {}
                Some(false) => {
                    self.appending = None;
                    return driver.machine_mut().no(
                        now(),
                        id,
                        Some(Code::TryCreate),
                        "No such mailbox",
                    );
                }
                None => return driver.machine_mut().close("Mailbox unavailable"),
            }
            self.appending = Some(Appending {
                id,
                mailbox: name,
                messages: Vec::new(),
            });
        }
        let Some(appending) = self.appending.as_mut().filter(|a| a.id == id) else {
            return driver.machine_mut().no(now(), id, None, "APPEND failed");
        };
        appending.messages.push(commands::Incoming::new(&message));
        driver.machine_mut().accept_append(now(), id)
    }

    async fn append_done(
        &mut self,
        driver: &mut SessionDriver,
        id: CommandId,
    ) -> Result<(), ServerError> {
        let Some(appending) = self.appending.take().filter(|a| a.id == id) else {
            return driver.machine_mut().no(now(), id, None, "APPEND failed");
        };
        let context = self.context(driver, None);
        let outcome = self
            .blocking(move |core| {
                commands::append(core, &context, &appending.mailbox, appending.messages)
            })
            .await;
        match outcome {
            Some(outcome) => Self::finish(driver, id, outcome),
            None => driver.machine_mut().close("Mailbox unavailable"),
        }
    }

    /// Looks at the selected mailbox during IDLE and pushes what changed; false when
    /// the session must end.
    async fn poll_idle(&mut self, driver: &mut SessionDriver) -> bool {
        if self.core.as_ref().is_none_or(|core| !core.is_selected()) {
            return self.core.is_some();
        }
        let context = self.context(driver, None);
        let Some(outcome) = self
            .blocking(move |core| commands::idle_updates(core, &context))
            .await
        else {
            return false;
        };
        let machine = driver.machine_mut();
        for data in &outcome.data {
            if let Err(error) = machine.push(data) {
                tracing::warn!(%error, "update refused by the machine");
                return false;
            }
        }
        if let Some(reason) = &outcome.bye {
            let _ = machine.close(reason);
            return false;
        }
        true
    }
}

/// Untagged data of our own words (`* OK [code] text`).
pub(super) fn status_data(code: Option<Code<'static>>, value: &str) -> Data<'static> {
    Data::State {
        state: State::Ok,
        text: ResponseText {
            code,
            text: text(value),
        },
    }
}
