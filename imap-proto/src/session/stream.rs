//! The streams a [`Session`] hands out: fetched messages and IDLE changes.

use std::num::NonZeroU32;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::Stream;
use tokio::time::Sleep;

use super::{refusal, MailboxChange, Message, Session, SessionError, Unfinished};
use crate::client::{BodyItem, ClientEvent, CommandId};
use crate::types::State;

/// Bodies are gathered in buffers that grow with what arrives, not with what a
/// server announces.
const INITIAL_BUFFER: u64 = 64 * 1024;

/// The messages of one [`Session::fetch`], as the server sends them.
///
/// A [`Stream`] of `Result<Message, SessionError>`. It ends after the last message; a
/// refusal (NO, BAD) or the loss of the session is its last item. A message whose
/// content exceeds [`SessionBuilder::max_message_size`] is an
/// [`SessionError::MessageTooLarge`] item, and the stream goes on with the next one.
///
/// It borrows the session; dropped before its end, the rest of the answer is read and
/// dropped by the session's next operation.
///
/// [`SessionBuilder::max_message_size`]: super::SessionBuilder::max_message_size
pub struct FetchStream<'a> {
    session: &'a mut Session,
    /// The UID FETCH; `None` once finished (or when nothing was asked).
    id: Option<CommandId>,
    gathered: Vec<(BodyItem, Vec<u8>)>,
    /// Octets announced for the message being read.
    announced: u64,
    /// The current content item exceeds the limit and is dropped.
    skipping: bool,
    timer: Option<Pin<Box<Sleep>>>,
}

impl std::fmt::Debug for FetchStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchStream")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<'a> FetchStream<'a> {
    pub(super) fn new(session: &'a mut Session, id: CommandId) -> Self {
        FetchStream {
            session,
            id: Some(id),
            gathered: Vec::new(),
            announced: 0,
            skipping: false,
            timer: None,
        }
    }

    pub(super) fn empty(session: &'a mut Session) -> Self {
        FetchStream {
            session,
            id: None,
            gathered: Vec::new(),
            announced: 0,
            skipping: false,
            timer: None,
        }
    }

    fn finish(&mut self) {
        self.id = None;
        self.session.unfinished = None;
        self.gathered.clear();
    }

    /// Reads the stream to its end and returns every message (errors stop it).
    pub async fn collect_all(mut self) -> Result<Vec<Message>, SessionError> {
        use futures_util::StreamExt;
        let mut messages = Vec::new();
        while let Some(message) = self.next().await {
            messages.push(message?);
        }
        Ok(messages)
    }

    /// What one event means for the stream: `Some` item to return, or `None` to read on.
    fn handle(
        &mut self,
        id: CommandId,
        event: ClientEvent,
    ) -> Option<Option<Result<Message, SessionError>>> {
        let limit = self.session.max_message_size;
        let mine = |command: &Option<CommandId>| *command == Some(id);
        match event {
            ClientEvent::BodyStart {
                command,
                item,
                length,
                ..
            } if mine(&command) => {
                self.announced = self.announced.saturating_add(length);
                self.skipping = self.announced > limit;
                if !self.skipping {
                    let capacity = usize::try_from(length.min(INITIAL_BUFFER)).unwrap_or(0);
                    self.gathered.push((item, Vec::with_capacity(capacity)));
                }
            }
            ClientEvent::BodyChunk { command, chunk, .. } if mine(&command) => {
                if !self.skipping {
                    if let Some((_, content)) = self.gathered.last_mut() {
                        content.extend_from_slice(&chunk);
                    }
                }
            }
            ClientEvent::BodyEnd { command, .. } if mine(&command) => self.skipping = false,
            ClientEvent::Fetch {
                command,
                sequence_number,
                items,
                ..
            } if mine(&command) => {
                let streamed = std::mem::take(&mut self.gathered);
                let announced = std::mem::take(&mut self.announced);
                if announced > limit {
                    return Some(Some(Err(SessionError::MessageTooLarge {
                        length: announced,
                        limit,
                    })));
                }
                let message = Message::from_items(sequence_number, items, streamed);
                if message.uid.is_none() {
                    // Every answer to UID FETCH carries the UID: this is another
                    // client's flag change, reported during the command.
                    self.session
                        .push_flags_change(sequence_number, message.uid, message.flags);
                    return None;
                }
                return Some(Some(Ok(message)));
            }
            ClientEvent::Completed {
                id: got,
                command,
                state,
                text,
                ..
            } if got == id => {
                self.finish();
                return Some(refusal(command, state, text).err().map(Err));
            }
            other => self.session.observe(other),
        }
        None
    }
}

impl Stream for FetchStream<'_> {
    type Item = Result<Message, SessionError>;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let Some(id) = this.id else {
                return Poll::Ready(None);
            };
            let event = match this.session.poll_event(context, &mut this.timer) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    this.finish();
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(Ok(event)) => event,
            };
            if let Some(item) = this.handle(id, event) {
                return Poll::Ready(item);
            }
        }
    }
}

/// The changes of the selected mailbox while IDLE runs ([`Session::idle`]).
///
/// A [`Stream`] of `Result<MailboxChange, SessionError>`, endless while the session
/// lives: the IDLE command is renewed every
/// [`SessionBuilder::idle_refresh`](super::SessionBuilder::idle_refresh) (29 minutes by
/// default, under RFC 2177's 30). An error (the server ended the session, a refusal of
/// a renewed IDLE) is its last item.
///
/// How it ends:
/// - [`Idle::done`] sends `DONE` and waits for IDLE's completion: the session is ready
///   at once.
/// - Dropping it queues `DONE` in the client machine (no I/O can happen in `drop`);
///   the session's next operation sends it and reads IDLE's completion before its own
///   command. The session never sends a command while IDLE runs.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use mailwire_imap::session::{MailboxChange, Session};
///
/// # async fn wait(session: &mut Session) -> Result<(), Box<dyn std::error::Error>> {
/// session.select("INBOX").await?;
/// let mut idle = session.idle().await?;
/// while let Some(change) = idle.next().await {
///     if let MailboxChange::Exists(count) = change? {
///         println!("{count} messages now");
///         break;
///     }
/// }
/// idle.done().await?;
/// # Ok(()) }
/// ```
pub struct Idle<'a> {
    session: &'a mut Session,
    /// The IDLE command running; `None` once finished.
    id: Option<CommandId>,
    timer: Option<Pin<Box<Sleep>>>,
}

impl std::fmt::Debug for Idle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<'a> Idle<'a> {
    pub(super) fn new(session: &'a mut Session, id: CommandId) -> Self {
        Idle {
            session,
            id: Some(id),
            timer: None,
        }
    }

    pub(super) fn ended(session: &'a mut Session) -> Self {
        Idle {
            session,
            id: None,
            timer: None,
        }
    }

    /// Ends the IDLE (`DONE`) and waits for the server's completion.
    pub async fn done(mut self) -> Result<(), SessionError> {
        if let Some(id) = self.id.take() {
            // NotIdling: DONE was already sent (the refresh timer); settle waits for it.
            let _ = self.session.driver.machine_mut().idle_done();
            self.session.unfinished = Some(Unfinished::Idle(id));
        }
        self.session.settle().await
    }

    fn finish(&mut self) {
        self.id = None;
        self.session.unfinished = None;
    }
}

impl Stream for Idle<'_> {
    type Item = Result<MailboxChange, SessionError>;

    fn poll_next(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(change) = this.session.changes.pop_front() {
                return Poll::Ready(Some(Ok(change)));
            }
            let Some(id) = this.id else {
                return Poll::Ready(None);
            };
            let event = match this.session.poll_event(context, &mut this.timer) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => {
                    this.finish();
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(Ok(event)) => event,
            };
            match event {
                ClientEvent::Completed {
                    id: got,
                    state: State::Ok,
                    ..
                } if got == id => {
                    // The machine ended this IDLE at its refresh time (or the server
                    // did): start the next one.
                    match this.session.driver.machine_mut().idle() {
                        Ok(next) => {
                            this.id = Some(next);
                            this.session.unfinished = Some(Unfinished::Idle(next));
                        }
                        Err(error) => {
                            this.finish();
                            let error = this.session.local(error);
                            return Poll::Ready(Some(Err(error)));
                        }
                    }
                }
                ClientEvent::Completed {
                    id: got,
                    command,
                    state,
                    text,
                    ..
                } if got == id => {
                    this.finish();
                    return Poll::Ready(refusal(command, state, text).err().map(Err));
                }
                ClientEvent::IdleStarted { .. } => {}
                other => this.session.observe(other),
            }
        }
    }
}

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            // DONE goes out with the session's next I/O, which reads IDLE's completion
            // before anything else (Session::settle).
            let _ = self.session.driver.machine_mut().idle_done();
            self.session.unfinished = Some(Unfinished::Idle(id));
        }
    }
}

impl Session {
    pub(super) fn push_flags_change(
        &mut self,
        sequence_number: NonZeroU32,
        uid: Option<NonZeroU32>,
        flags: Vec<crate::types::Flag<'static>>,
    ) {
        self.push_change(MailboxChange::Flags {
            sequence_number,
            uid,
            flags,
        });
    }
}
