//! [`ImapClient`]: an async IMAP client over any stream, built on the [`Client`] machine
//! and the core [`Driver`].

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::num::NonZeroU32;
use std::time::Duration;

use bytes::Bytes;
use mailwire_core::Session;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{now, Driver, Next};
use crate::client::{
    BodyItem, Client, ClientConfig, ClientError, ClientEvent, CommandId, MailboxState,
    ProtocolError,
};
use crate::types::{
    AppendData, AppendMessage, Capability, CommandBody, Data, FetchAttributes, Flag, GreetingKind,
    IString, ListData, Mailbox, MailboxName, MessageDataItem, NonEmpty, ResponseText, SearchKey,
    SequenceSet, State,
};

/// Events not attributed to the command being waited for are kept for
/// [`ImapClient::take_unsolicited`], at most this many (the oldest are dropped).
pub const MAX_UNSOLICITED: usize = 10_000;

/// Where streamed FETCH content goes: message number, item, octets.
pub type BodySink<'s> = &'s mut (dyn FnMut(NonZeroU32, &BodyItem, Bytes) + Send);

/// Why an async IMAP operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImapError {
    /// The transport failed.
    #[error("i/o error")]
    Io(#[source] io::Error),
    /// The greeting was `* BYE`.
    #[error("the server refused the connection")]
    Rejected(ResponseText<'static>),
    /// The command completed with NO or BAD.
    #[error("the server answered {state:?}")]
    Refused {
        /// NO or BAD.
        state: State,
        /// Code and text of the completion.
        text: ResponseText<'static>,
    },
    /// The server violated the protocol and the session ended.
    #[error("protocol error: {0}")]
    Protocol(ProtocolError),
    /// The machine refused the command.
    #[error("command not sent: {0}")]
    Client(#[from] ClientError),
    /// The session closed before the answer.
    #[error("the session closed")]
    Closed,
}

impl From<io::Error> for ImapError {
    fn from(error: io::Error) -> Self {
        ImapError::Io(error)
    }
}

/// One message of a FETCH answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMessage {
    /// The message number.
    pub sequence_number: NonZeroU32,
    /// The items that were not streamed.
    pub items: Vec<MessageDataItem<'static>>,
    /// The streamed message content, gathered, in the server's order.
    pub bodies: Vec<(BodyItem, Vec<u8>)>,
}

impl FetchedMessage {
    /// The UID, if fetched.
    pub fn uid(&self) -> Option<NonZeroU32> {
        self.items.iter().find_map(|item| match item {
            MessageDataItem::Uid(uid) => Some(*uid),
            _ => None,
        })
    }

    /// The content of the first streamed item, or of a quoted `BODY[...]`, if any.
    pub fn body(&self) -> Option<&[u8]> {
        self.bodies
            .first()
            .map(|(_, content)| content.as_slice())
            .or_else(|| {
                self.items.iter().find_map(|item| match item {
                    MessageDataItem::BodySection {
                        data: Some(data), ..
                    } => Some(data.as_bytes()),
                    _ => None,
                })
            })
    }
}

/// What one command returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// Untagged data attributed to the command (FETCH and CAPABILITY apart).
    pub data: Vec<Data<'static>>,
    /// FETCH responses attributed to the command; streamed content gathered unless a
    /// sink took it.
    pub fetches: Vec<FetchedMessage>,
    /// Capabilities learnt during the command.
    pub capabilities: Option<Vec<Capability<'static>>>,
    /// The mailbox, for SELECT and EXAMINE.
    pub mailbox: Option<MailboxState>,
    /// The completion's code and text.
    pub completion: ResponseText<'static>,
}

/// An async IMAP client over the stream `S`; see the [module docs](super).
///
/// Each method sends its command and waits for its completion; events that belong to no
/// waiting command (unsolicited updates, non-fatal protocol errors) are kept for
/// [`ImapClient::take_unsolicited`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mailwire_imap::client::ClientConfig;
/// use mailwire_imap::tokio::ImapClient;
/// use mailwire_imap::types::{FetchAttribute, FetchAttributes, NonEmpty, SequenceSet};
/// use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
///
/// let (ours, theirs) = tokio::io::duplex(4096);
/// // A scripted server: the greeting, then an answer to each command line.
/// let server = tokio::spawn(async move {
///     let (read, mut write) = tokio::io::split(theirs);
///     let mut lines = BufReader::new(read).lines();
///     write.write_all(b"* OK [CAPABILITY IMAP4rev1] ready\r\n").await?;
///     while let Some(line) = lines.next_line().await? {
///         let tag = line.split(' ').next().unwrap_or_default().to_owned();
///         let answer = match line.split(' ').nth(1).unwrap_or_default() {
///             "LOGIN" => format!("{tag} OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n"),
///             "SELECT" => format!("* 1 EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n"),
///             "FETCH" => format!("* 1 FETCH (BODY[] {{5}}\r\nhello)\r\n{tag} OK done\r\n"),
///             _ => format!("* BYE see you\r\n{tag} OK bye\r\n"),
///         };
///         write.write_all(answer.as_bytes()).await?;
///     }
///     Ok::<_, std::io::Error>(())
/// });
///
/// let (mut client, _greeting) = ImapClient::connect(ours, ClientConfig::default()).await?;
/// client.login("user", "pass").await?;
/// assert_eq!(client.select("INBOX").await?.exists, 1);
/// let body = FetchAttribute::BodySection { peek: true, section: None, partial: None };
/// let attributes = FetchAttributes::Attributes(NonEmpty::new(body));
/// let messages = client.fetch(false, SequenceSet::all(), attributes).await?;
/// assert_eq!(messages[0].body(), Some(&b"hello"[..]));
/// client.logout().await?;
/// server.await??;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ImapClient<S> {
    driver: Driver<S, Client>,
    unsolicited: VecDeque<ClientEvent>,
}

impl<S> ImapClient<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    /// Waits for the greeting on `stream` (and the capabilities, when the greeting has
    /// none and [`ClientConfig::auto_capability`] is on). A `* BYE` greeting is
    /// [`ImapError::Rejected`].
    pub async fn connect(
        stream: S,
        config: ClientConfig,
    ) -> Result<(Self, ResponseText<'static>), ImapError> {
        let driver = Driver::new(stream, Client::new(config, now()));
        let mut client = ImapClient {
            driver,
            unsolicited: VecDeque::new(),
        };
        let mut greeting = None;
        loop {
            let event = match client.driver.next_event().await? {
                Next::Event(event) => event,
                Next::StartTls | Next::Closed => return Err(ImapError::Closed),
            };
            match event {
                ClientEvent::Greeting {
                    kind: GreetingKind::Bye,
                    text,
                } => return Err(ImapError::Rejected(text)),
                ClientEvent::Greeting { text, .. } => greeting = Some(text),
                ClientEvent::ProtocolError { error } if error.is_fatal() => {
                    return Err(ImapError::Protocol(error))
                }
                ClientEvent::Closed { .. } => return Err(ImapError::Closed),
                other => client.keep(other),
            }
            if let Some(text) = &greeting {
                let machine = client.driver.machine();
                if machine.capabilities().is_some() || !machine.config().auto_capability {
                    return Ok((client, text.clone()));
                }
            }
        }
    }

    /// The machine (capabilities, mailbox state, ...).
    pub fn machine(&self) -> &Client {
        self.driver.machine()
    }

    /// The driver, for direct use of the machine.
    pub fn driver_mut(&mut self) -> &mut Driver<S, Client> {
        &mut self.driver
    }

    /// Gives back the driver.
    pub fn into_driver(self) -> Driver<S, Client> {
        self.driver
    }

    /// Events that arrived while waiting for commands but were not theirs (unsolicited
    /// updates, non-fatal protocol errors), oldest first.
    pub fn take_unsolicited(&mut self) -> Vec<ClientEvent> {
        self.unsolicited.drain(..).collect()
    }

    fn keep(&mut self, event: ClientEvent) {
        if self.unsolicited.len() >= MAX_UNSOLICITED {
            self.unsolicited.pop_front();
        }
        self.unsolicited.push_back(event);
    }

    /// Sends `command` and waits for its completion; streamed content is gathered into
    /// [`Answer::fetches`]. NO and BAD are [`ImapError::Refused`].
    pub async fn run(&mut self, command: CommandBody<'_>) -> Result<Answer, ImapError> {
        let id = self.driver.machine_mut().send(command)?;
        self.wait(id, None).await
    }

    /// Like [`ImapClient::run`], but streamed content goes to `sink` as it arrives
    /// (message number, item, octets) instead of being gathered.
    pub async fn run_with(
        &mut self,
        command: CommandBody<'_>,
        sink: BodySink<'_>,
    ) -> Result<Answer, ImapError> {
        let id = self.driver.machine_mut().send(command)?;
        self.wait(id, Some(sink)).await
    }

    /// Waits for the completion of a command sent through [`ImapClient::driver_mut`].
    pub async fn wait(
        &mut self,
        id: CommandId,
        mut sink: Option<BodySink<'_>>,
    ) -> Result<Answer, ImapError> {
        let mut answer = Answer::default();
        let mut streaming: Option<BodyItem> = None;
        let mut gathered: Vec<(BodyItem, Vec<u8>)> = Vec::new();
        loop {
            let event = match self.driver.next_event().await? {
                Next::Event(event) => event,
                Next::StartTls | Next::Closed => return Err(ImapError::Closed),
            };
            let mine = |command: &Option<CommandId>| *command == Some(id);
            match event {
                ClientEvent::Completed {
                    id: got,
                    state,
                    text,
                    ..
                } if got == id => {
                    if state == State::Ok {
                        answer.completion = text;
                        return Ok(answer);
                    }
                    return Err(ImapError::Refused { state, text });
                }
                ClientEvent::Data { command, data } if mine(&command) => answer.data.push(data),
                ClientEvent::Capabilities { capabilities, .. } => {
                    answer.capabilities = Some(capabilities);
                }
                ClientEvent::Selected { id: got, mailbox } if got == id => {
                    answer.mailbox = Some(mailbox);
                }
                ClientEvent::BodyStart { command, item, .. } if mine(&command) => {
                    if sink.is_none() {
                        gathered.push((item.clone(), Vec::new()));
                    }
                    streaming = Some(item);
                }
                ClientEvent::BodyChunk {
                    command,
                    sequence_number,
                    chunk,
                } if mine(&command) => match (&mut sink, &streaming) {
                    (Some(sink), Some(item)) => sink(sequence_number, item, chunk),
                    _ => {
                        if let Some((_, content)) = gathered.last_mut() {
                            content.extend_from_slice(&chunk);
                        }
                    }
                },
                ClientEvent::BodyEnd { command, .. } if mine(&command) => streaming = None,
                ClientEvent::Fetch {
                    command,
                    sequence_number,
                    items,
                    ..
                } if mine(&command) => answer.fetches.push(FetchedMessage {
                    sequence_number,
                    items,
                    bodies: std::mem::take(&mut gathered),
                }),
                ClientEvent::SaslChallenge { id: got, .. } if got == id => {
                    // Only mechanisms the machine runs by itself are driven here.
                    self.driver.machine_mut().sasl_cancel(id)?;
                }
                ClientEvent::ProtocolError { error } if error.is_fatal() => {
                    return Err(ImapError::Protocol(error))
                }
                ClientEvent::Closed { .. } => return Err(ImapError::Closed),
                other => self.keep(other),
            }
        }
    }

    /// CAPABILITY; returns what the server offers.
    pub async fn capability(&mut self) -> Result<Vec<Capability<'static>>, ImapError> {
        self.run(CommandBody::Capability).await?;
        Ok(self.machine().capabilities().unwrap_or_default().to_vec())
    }

    /// NOOP; returns the untagged data it brought.
    pub async fn noop(&mut self) -> Result<Vec<Data<'static>>, ImapError> {
        Ok(self.run(CommandBody::Noop).await?.data)
    }

    /// LOGIN.
    pub async fn login(&mut self, username: &str, password: &str) -> Result<(), ImapError> {
        let id = self.driver.machine_mut().login(username, password)?;
        self.wait(id, None).await.map(drop)
    }

    /// `AUTHENTICATE PLAIN` (with SASL-IR when offered).
    pub async fn authenticate_plain(
        &mut self,
        username: &str,
        password: &str,
    ) -> Result<(), ImapError> {
        let id = self
            .driver
            .machine_mut()
            .authenticate_plain(None, username, password)?;
        self.wait(id, None).await.map(drop)
    }

    /// STARTTLS: after the server's OK, `handshake` turns the plain stream into a TLS one
    /// (tokio-rustls' `TlsConnector::connect`, for example); the session goes on over it
    /// with the capabilities asked again. Octets the server sent between its OK and the
    /// handshake (a response injection) fail the upgrade with
    /// [`ProtocolError::DataAfterStartTls`].
    pub async fn starttls<T, F, Fut>(mut self, handshake: F) -> Result<ImapClient<T>, ImapError>
    where
        T: AsyncRead + AsyncWrite + Unpin,
        F: FnOnce(S) -> Fut,
        Fut: Future<Output = io::Result<T>>,
    {
        let id = self.driver.machine_mut().starttls()?;
        self.wait(id, None).await?;
        match self.driver.next_event().await? {
            Next::StartTls => {}
            Next::Event(ClientEvent::ProtocolError { error }) => {
                return Err(ImapError::Protocol(error))
            }
            Next::Event(_) | Next::Closed => return Err(ImapError::Closed),
        }
        let (stream, mut machine) = self.driver.into_parts();
        let secured = handshake(stream).await?;
        machine.handle_tls_established(now());
        // Octets the server sent after its OK, before TLS, are reported at once: an
        // injection attempt ends the session here.
        let mut early = Vec::new();
        while let Some(event) = machine.poll_event() {
            if let ClientEvent::ProtocolError {
                error: error @ ProtocolError::DataAfterStartTls { .. },
            } = event
            {
                return Err(ImapError::Protocol(error));
            }
            early.push(event);
        }
        let mut unsolicited = self.unsolicited;
        unsolicited.extend(early);
        let mut client = ImapClient {
            driver: Driver::new(secured, machine),
            unsolicited,
        };
        // Wait for the capabilities asked after the handshake.
        while client.machine().capabilities().is_none() && client.machine().config().auto_capability
        {
            match client.driver.next_event().await? {
                Next::Event(ClientEvent::ProtocolError { error }) if error.is_fatal() => {
                    return Err(ImapError::Protocol(error))
                }
                Next::Event(ClientEvent::Closed { .. }) | Next::Closed | Next::StartTls => {
                    return Err(ImapError::Closed)
                }
                Next::Event(other) => client.keep(other),
            }
        }
        Ok(client)
    }

    /// `LIST reference pattern`.
    pub async fn list(
        &mut self,
        reference: &str,
        pattern: &str,
    ) -> Result<Vec<ListData<'static>>, ImapError> {
        let reference = Mailbox::try_from(reference.to_owned()).map_err(ClientError::from)?;
        let pattern = MailboxName::try_from(pattern.to_owned()).map_err(ClientError::from)?;
        let answer = self
            .run(CommandBody::List {
                selection: Vec::new(),
                reference,
                patterns: NonEmpty::new(pattern),
                return_options: Vec::new(),
            })
            .await?;
        Ok(answer
            .data
            .into_iter()
            .filter_map(|data| match data {
                Data::List(list) => Some(list),
                _ => None,
            })
            .collect())
    }

    /// SELECT; returns the mailbox state.
    pub async fn select(&mut self, mailbox: &str) -> Result<MailboxState, ImapError> {
        let id = self.driver.machine_mut().select(mailbox)?;
        self.wait(id, None).await?.mailbox.ok_or(ImapError::Closed)
    }

    /// EXAMINE; returns the mailbox state.
    pub async fn examine(&mut self, mailbox: &str) -> Result<MailboxState, ImapError> {
        let id = self.driver.machine_mut().examine(mailbox)?;
        self.wait(id, None).await?.mailbox.ok_or(ImapError::Closed)
    }

    /// `[UID] FETCH set attributes`, content gathered.
    pub async fn fetch(
        &mut self,
        uid: bool,
        sequence_set: SequenceSet,
        attributes: FetchAttributes<'_>,
    ) -> Result<Vec<FetchedMessage>, ImapError> {
        let answer = self
            .run(CommandBody::Fetch {
                uid,
                sequence_set,
                attributes,
                modifiers: Vec::new(),
            })
            .await?;
        Ok(answer.fetches)
    }

    /// `[UID] SEARCH criteria`; returns the numbers (or UIDs) found.
    pub async fn search(
        &mut self,
        uid: bool,
        criteria: NonEmpty<SearchKey<'_>>,
    ) -> Result<Vec<NonZeroU32>, ImapError> {
        let answer = self
            .run(CommandBody::Search {
                uid,
                return_options: None,
                charset: None,
                criteria,
            })
            .await?;
        Ok(answer
            .data
            .into_iter()
            .flat_map(|data| match data {
                Data::Search { numbers, .. } => numbers,
                _ => Vec::new(),
            })
            .collect())
    }

    /// APPEND one message; returns the completion (with `[APPENDUID ...]` under UIDPLUS).
    pub async fn append(
        &mut self,
        mailbox: &str,
        flags: Vec<Flag<'static>>,
        message: &[u8],
    ) -> Result<ResponseText<'static>, ImapError> {
        let mailbox = Mailbox::try_from(mailbox.to_owned()).map_err(ClientError::from)?;
        let data = match IString::new(message) {
            Ok(string) => AppendData::Literal(string),
            // A NUL can only travel in a literal8 (BINARY).
            Err(_) => AppendData::Literal8(message.into()),
        };
        let answer = self
            .run(CommandBody::Append {
                mailbox,
                messages: NonEmpty::new(AppendMessage {
                    flags,
                    date: None,
                    data,
                }),
            })
            .await?;
        Ok(answer.completion)
    }

    /// IDLE until an update arrives for which `stop` says true, or `duration` passed;
    /// then DONE. Returns the updates received, in order.
    pub async fn idle(
        &mut self,
        duration: Duration,
        mut stop: impl FnMut(&ClientEvent) -> bool,
    ) -> Result<Vec<ClientEvent>, ImapError> {
        let id = self.driver.machine_mut().idle()?;
        let deadline = tokio::time::Instant::now() + duration;
        let mut updates = Vec::new();
        let mut done = false;
        loop {
            let next = if done {
                self.driver.next_event().await
            } else {
                match tokio::time::timeout_at(deadline, self.driver.next_event()).await {
                    Ok(next) => next,
                    Err(_elapsed) => {
                        done = true;
                        self.driver.machine_mut().idle_done()?;
                        continue;
                    }
                }
            };
            let event = match next? {
                Next::Event(event) => event,
                Next::StartTls | Next::Closed => return Err(ImapError::Closed),
            };
            match event {
                ClientEvent::Completed {
                    id: got,
                    state,
                    text,
                    ..
                } if got == id => {
                    return if state == State::Ok {
                        Ok(updates)
                    } else {
                        Err(ImapError::Refused { state, text })
                    };
                }
                ClientEvent::IdleStarted { .. } => {}
                ClientEvent::ProtocolError { error } if error.is_fatal() => {
                    return Err(ImapError::Protocol(error))
                }
                ClientEvent::Closed { .. } => return Err(ImapError::Closed),
                update @ (ClientEvent::Data { .. }
                | ClientEvent::Fetch { .. }
                | ClientEvent::BodyStart { .. }
                | ClientEvent::BodyChunk { .. }
                | ClientEvent::BodyEnd { .. }) => {
                    let finished = stop(&update);
                    updates.push(update);
                    if finished && !done {
                        done = true;
                        self.driver.machine_mut().idle_done()?;
                    }
                }
                other => self.keep(other),
            }
        }
    }

    /// LOGOUT; waits for the server's completion and the end of the session.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        let id = self.driver.machine_mut().logout()?;
        loop {
            match self.driver.next_event().await? {
                Next::Event(ClientEvent::Completed {
                    id: got,
                    state,
                    text,
                    ..
                }) if got == id && state != State::Ok => {
                    return Err(ImapError::Refused { state, text })
                }
                // The Closed event comes first; the driver then flushes and shuts down.
                Next::Closed => return Ok(()),
                Next::Event(_) => {}
                Next::StartTls => return Err(ImapError::Closed),
            }
        }
    }
}
