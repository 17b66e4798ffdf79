//! The durable mail queue between the SMTP listeners and delivery.
//!
//! A listener answers 250 to a message only after [`Queue::enqueue`] (or
//! [`SpoolWriter::commit`]) returned: by then the content and the envelope are on the
//! disk, flushed, under their final names (see the spool layout in `spool.rs`), so a
//! crash of any kind after the 250 loses nothing and a restart picks the message up.
//!
//! The runner ([`Queue::run`]) hands due recipients to a [`Transport`] (in the server, a
//! router sending local domains over LMTP to the delivery agent and the rest to the MX
//! relay) and records each recipient's result durably as soon as the batch it belongs
//! to has one: delivered recipients are never tried again, even after a restart;
//! deferred ones (4yz, unreachable hosts) come back with growing waits
//! ([`QueueConfig::retry_interval`]) until the maximum age; failed ones (5yz, too old)
//! get a delivery status notification to the sender ([`crate::bounce`]), except for the
//! null sender.
//!
//! # What can still happen twice
//! Between the moment the next hop accepted a batch and the moment its new state is on
//! the disk (one file write, fsync and rename, milliseconds) a crash leaves the state
//! saying "pending", and the batch is delivered again after the restart. No queue can
//! close this window without the next hop's help (RFC 5321 §6.1 prefers a duplicate to
//! a loss); this one keeps it to one batch of one message. Likewise a notification
//! enqueued just before a crash may be sent again.

mod clock;
mod config;
mod envelope;
mod router;
mod spool;

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;
use tokio::task::JoinSet;

pub use clock::{Clock, ManualClock, OsSeededRandom, Random, SeededRandom, SystemClock};
pub use config::QueueConfig;
pub use envelope::{
    Diagnostic, DsnNotify, DsnReturn, Envelope, EnvelopeRecipient, MessageRecord, QueueId,
    RecipientRecord, RecipientState,
};

pub use router::Router;

use spool::Spool;

/// How often the runner looks for a flush request from another process, at most.
const FLUSH_REQUEST_POLL: Duration = Duration::from_secs(2);

/// Why a queue operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// The disk refused: the message is not queued.
    #[error("spool i/o error")]
    Io(#[from] io::Error),
    /// The envelope has no recipient.
    #[error("no recipients")]
    NoRecipients,
    /// The envelope has more recipients than [`QueueConfig::max_recipients`].
    #[error("too many recipients")]
    TooManyRecipients,
    /// The content is larger than [`QueueConfig::max_message_size`].
    #[error("message too large")]
    TooLarge,
    /// The queue is shutting down or its blocking task failed.
    #[error("queue unavailable")]
    Unavailable,
}

/// The result of one delivery attempt for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The next hop took responsibility.
    Delivered(Diagnostic),
    /// A temporary failure: try again later.
    Deferred(Diagnostic),
    /// A permanent failure: tell the sender.
    Failed(Diagnostic),
}

impl Outcome {
    /// The diagnostic, whatever the outcome.
    pub fn diagnostic(&self) -> &Diagnostic {
        match self {
            Outcome::Delivered(d) | Outcome::Deferred(d) | Outcome::Failed(d) => d,
        }
    }
}

/// One delivery attempt: a message for some of its recipients.
#[derive(Debug, Clone)]
pub struct DeliveryJob {
    /// The message.
    pub id: QueueId,
    /// The sender; `None` for `<>`.
    pub reverse_path: Option<String>,
    /// The recipients of this attempt.
    pub recipients: Vec<EnvelopeRecipient>,
    /// The content, CRLF line ends, as received.
    pub content: Bytes,
    /// True when the content holds octets above 127.
    pub eight_bit: bool,
    /// RFC 3461 ENVID, passed on to servers that offer DSN.
    pub envid: Option<String>,
    /// RFC 3461 RET, passed on to servers that offer DSN.
    pub ret: Option<DsnReturn>,
}

/// A boxed future, for the object-safe [`Transport`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where the runner hands messages: delivers one [`DeliveryJob`] and reports one
/// [`Outcome`] per recipient, in the job's order.
pub trait Transport: Send + Sync {
    /// Splits due recipients into batches, each delivered by one [`deliver`] call (for
    /// example one per destination domain); indexes into `recipients`. The default is
    /// one batch.
    ///
    /// [`deliver`]: Transport::deliver
    fn plan(&self, recipients: &[EnvelopeRecipient]) -> Vec<Vec<usize>> {
        vec![(0..recipients.len()).collect()]
    }

    /// Delivers `job`; the result has one outcome per recipient of the job (missing
    /// ones count as deferred).
    fn deliver<'a>(&'a self, job: &'a DeliveryJob) -> BoxFuture<'a, Vec<Outcome>>;
}

/// What one pass of [`Queue::process_due`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassSummary {
    /// Messages that had due recipients.
    pub messages: usize,
    /// Recipients delivered.
    pub delivered: usize,
    /// Recipients deferred.
    pub deferred: usize,
    /// Recipients failed.
    pub failed: usize,
    /// Notifications enqueued.
    pub notifications: usize,
}

impl PassSummary {
    fn add(&mut self, other: PassSummary) {
        self.messages += other.messages;
        self.delivered += other.delivered;
        self.deferred += other.deferred;
        self.failed += other.failed;
        self.notifications += other.notifications;
    }
}

#[derive(Debug)]
struct Inner {
    spool: Spool,
    config: QueueConfig,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    records: Mutex<BTreeMap<QueueId, MessageRecord>>,
    in_flight: Mutex<HashSet<QueueId>>,
    wake: Notify,
}

/// The queue; cheap to clone (every clone is the same queue). See the [module
/// docs](self).
#[derive(Debug, Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn blocking<T, F>(work: F) -> Result<T, QueueError>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(QueueError::Io),
        Err(_) => Err(QueueError::Unavailable),
    }
}

impl Queue {
    /// Opens the queue in `dir` (created if missing), removes leftovers of enqueues that
    /// never returned, and loads every queued message. Only one process may have a
    /// spool folder open at a time; other processes use [`Queue::scan`] and
    /// [`Queue::request_flush`].
    pub async fn open(
        dir: impl AsRef<Path>,
        config: QueueConfig,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<Queue, QueueError> {
        let dir = dir.as_ref().to_path_buf();
        let (spool, recovered) = blocking(move || {
            let spool = Spool::open(&dir)?;
            let recovered = spool.recover()?;
            Ok((spool, recovered))
        })
        .await?;
        for path in &recovered.unreadable {
            tracing::error!(path = %path.display(), "queue: unreadable state file left in place");
        }
        if recovered.removed > 0 {
            tracing::info!(
                removed = recovered.removed,
                "queue: removed leftovers of unfinished enqueues"
            );
        }
        let records = recovered
            .records
            .into_iter()
            .map(|record| (record.id.clone(), record))
            .collect::<BTreeMap<_, _>>();
        tracing::info!(messages = records.len(), "queue: opened");
        Ok(Queue {
            inner: Arc::new(Inner {
                spool,
                config,
                clock,
                random,
                records: Mutex::new(records),
                in_flight: Mutex::new(HashSet::new()),
                wake: Notify::new(),
            }),
        })
    }

    /// The queue's settings.
    pub fn config(&self) -> &QueueConfig {
        &self.inner.config
    }

    /// The spool folder.
    pub fn dir(&self) -> &Path {
        self.inner.spool.root()
    }

    /// Queues a message whose content is complete in memory (CRLF line ends). Returns
    /// once the message is durable: then, and only then, may the listener answer 250.
    pub async fn enqueue(&self, envelope: Envelope, content: &[u8]) -> Result<QueueId, QueueError> {
        let mut writer = self.writer().await?;
        writer.write(content).await?;
        writer.commit(envelope).await
    }

    /// Starts receiving a message whose content arrives in pieces (the chunks of an SMTP
    /// DATA or BDAT). Dropping the writer without [`SpoolWriter::commit`] discards it.
    pub async fn writer(&self) -> Result<SpoolWriter, QueueError> {
        let id = QueueId::generate(self.inner.clock.now(), self.inner.random.next_u64());
        let path = self.inner.spool.tmp_content_path(&id);
        let file = tokio::fs::File::create(&path).await?;
        Ok(SpoolWriter {
            queue: self.clone(),
            id,
            path,
            file: Some(tokio::io::BufWriter::with_capacity(64 * 1024, file)),
            size: 0,
            eight_bit: false,
            committed: false,
        })
    }

    async fn commit(
        &self,
        id: QueueId,
        tmp_path: PathBuf,
        envelope: Envelope,
        size: u64,
        eight_bit: bool,
    ) -> Result<QueueId, QueueError> {
        if envelope.recipients.is_empty() {
            return Err(QueueError::NoRecipients);
        }
        if envelope.recipients.len() > self.inner.config.max_recipients {
            return Err(QueueError::TooManyRecipients);
        }
        let first_attempt = self.inner.clock.now();
        let record = MessageRecord {
            version: MessageRecord::VERSION,
            id: id.clone(),
            size,
            eight_bit,
            recipients: envelope
                .recipients
                .iter()
                .map(|recipient| RecipientRecord {
                    recipient: recipient.clone(),
                    state: RecipientState::Pending {
                        next_attempt: first_attempt,
                    },
                    attempts: 0,
                    last: None,
                    notified: false,
                })
                .collect(),
            envelope,
        };
        let spool = self.inner.spool.clone();
        let saved = record.clone();
        blocking(move || spool.commit(&tmp_path, &saved)).await?;
        tracing::info!(
            queue_id = %id,
            from = record.envelope.reverse_path.as_deref().unwrap_or(""),
            recipients = record.recipients.len(),
            size,
            "queue: message queued"
        );
        lock(&self.inner.records).insert(id.clone(), record);
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// Every queued message with its recipients' states, oldest first.
    pub fn list(&self) -> Vec<MessageRecord> {
        lock(&self.inner.records).values().cloned().collect()
    }

    /// How many messages are queued.
    pub fn len(&self) -> usize {
        lock(&self.inner.records).len()
    }

    /// True when no message is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes every pending recipient due now and wakes the runner.
    pub fn flush(&self) {
        let now = self.inner.clock.now();
        for record in lock(&self.inner.records).values_mut() {
            for recipient in &mut record.recipients {
                if let RecipientState::Pending { next_attempt } = &mut recipient.state {
                    *next_attempt = (*next_attempt).min(now);
                }
            }
        }
        self.inner.wake.notify_one();
    }

    /// Reads the queued messages of the spool folder `dir` without opening the queue
    /// (for `mailserver queue list` while the server runs; state files are replaced
    /// atomically, so each one read is complete).
    pub async fn scan(dir: impl AsRef<Path>) -> Result<Vec<MessageRecord>, QueueError> {
        let dir = dir.as_ref().to_path_buf();
        blocking(move || {
            let spool = Spool::open(&dir)?;
            spool.scan()
        })
        .await
    }

    /// Asks the queue running on the spool folder `dir` (in another process) to flush:
    /// its runner notices within a few seconds (for `mailserver queue flush`).
    pub async fn request_flush(dir: impl AsRef<Path>) -> Result<(), QueueError> {
        let dir = dir.as_ref().to_path_buf();
        blocking(move || {
            let spool = Spool::open(&dir)?;
            spool::write_synced(&spool.flush_request_path(), b"flush\n")
        })
        .await
    }

    /// Handles a flush request file, if there is one.
    async fn take_flush_request(&self) {
        let path = self.inner.spool.flush_request_path();
        if tokio::fs::remove_file(&path).await.is_ok() {
            tracing::info!("queue: flush requested");
            self.flush();
        }
    }

    /// The earliest time a message not being delivered is due.
    fn next_due(&self) -> Option<SystemTime> {
        let in_flight = lock(&self.inner.in_flight);
        lock(&self.inner.records)
            .values()
            .filter(|r| !in_flight.contains(&r.id))
            .filter_map(MessageRecord::next_due)
            .min()
    }

    /// Claims up to `limit` due messages that are not being delivered.
    fn claim_due(&self, now: SystemTime, limit: usize) -> Vec<QueueId> {
        let mut in_flight = lock(&self.inner.in_flight);
        let records = lock(&self.inner.records);
        let mut claimed = Vec::new();
        for record in records.values() {
            if claimed.len() >= limit {
                break;
            }
            let due = record.recipients.iter().any(|r| r.is_due(now))
                || record.recipients.iter().any(RecipientRecord::owes_notice)
                || record.is_finished();
            if due && in_flight.insert(record.id.clone()) {
                claimed.push(record.id.clone());
            }
        }
        claimed
    }

    fn release(&self, id: &QueueId) {
        lock(&self.inner.in_flight).remove(id);
    }

    /// Delivers every message due now (at most [`QueueConfig::max_concurrent_deliveries`]
    /// at a time) and waits for the results. Tests call it on a virtual clock; the
    /// server uses [`run`](Self::run).
    pub async fn process_due(&self, transport: Arc<dyn Transport>) -> PassSummary {
        let now = self.inner.clock.now();
        let ids = self.claim_due(now, usize::MAX);
        let mut summary = PassSummary::default();
        let mut tasks = JoinSet::new();
        let mut pending = ids.into_iter();
        let limit = self.inner.config.max_concurrent_deliveries.max(1);
        loop {
            while tasks.len() < limit {
                let Some(id) = pending.next() else { break };
                let queue = self.clone();
                let transport = Arc::clone(&transport);
                tasks.spawn(async move {
                    let result = queue.process_message(&id, transport.as_ref()).await;
                    queue.release(&id);
                    result
                });
            }
            match tasks.join_next().await {
                Some(Ok(one)) => summary.add(one),
                Some(Err(error)) => tracing::error!(%error, "queue: delivery task failed"),
                None => break,
            }
        }
        summary
    }

    /// Delivers due messages until `shutdown` completes, sleeping until the next
    /// recipient is due, a message is enqueued, or [`flush`](Self::flush) is called.
    /// On shutdown it stops starting deliveries and waits for those under way.
    pub async fn run(&self, transport: Arc<dyn Transport>, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let limit = self.inner.config.max_concurrent_deliveries.max(1);
        let mut tasks: JoinSet<PassSummary> = JoinSet::new();
        tracing::info!(messages = self.len(), "queue: runner started");
        loop {
            self.take_flush_request().await;
            let now = self.inner.clock.now();
            let free = limit.saturating_sub(tasks.len());
            for id in self.claim_due(now, free) {
                let queue = self.clone();
                let transport = Arc::clone(&transport);
                tasks.spawn(async move {
                    let result = queue.process_message(&id, transport.as_ref()).await;
                    queue.release(&id);
                    queue.inner.wake.notify_one();
                    result
                });
            }
            let wait = match self.next_due() {
                Some(due) => due
                    .duration_since(self.inner.clock.now())
                    .unwrap_or(Duration::ZERO)
                    .min(FLUSH_REQUEST_POLL),
                None => FLUSH_REQUEST_POLL,
            };
            // With every slot busy, only a finished delivery frees one.
            let wait = if tasks.len() >= limit {
                FLUSH_REQUEST_POLL
            } else {
                wait
            };
            tokio::select! {
                () = &mut shutdown => break,
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Err(error) = joined {
                        tracing::error!(%error, "queue: delivery task failed");
                    }
                }
            }
        }
        tracing::info!(under_way = tasks.len(), "queue: runner stopping");
        while let Some(joined) = tasks.join_next().await {
            if let Err(error) = joined {
                tracing::error!(%error, "queue: delivery task failed");
            }
        }
    }

    /// One message: its due recipients batch by batch, then notifications, then removal
    /// when nothing is left to do.
    async fn process_message(&self, id: &QueueId, transport: &dyn Transport) -> PassSummary {
        let mut summary = PassSummary::default();
        let now = self.inner.clock.now();
        let Some(record) = lock(&self.inner.records).get(id).cloned() else {
            return summary;
        };
        let due: Vec<usize> = record
            .recipients
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_due(now))
            .map(|(index, _)| index)
            .collect();
        if !due.is_empty() {
            summary.messages = 1;
            let spool = self.inner.spool.clone();
            let read_id = id.clone();
            match blocking(move || spool.read_content(&read_id)).await {
                Ok(content) => {
                    let content = Bytes::from(content);
                    self.attempt(&record, &due, content, transport, &mut summary)
                        .await;
                }
                Err(error) => {
                    // Leave the message queued: an administrator can restore the file.
                    tracing::error!(queue_id = %id, %error, "queue: content unreadable");
                    let diagnostic = self.local_diagnostic("4.3.0", "queued content unreadable");
                    let outcomes = due
                        .iter()
                        .map(|&index| (index, Outcome::Deferred(diagnostic.clone())))
                        .collect::<Vec<_>>();
                    self.apply(id, &outcomes, &mut summary).await;
                }
            }
        }
        summary.notifications += self.send_notices(id).await;
        self.remove_if_finished(id).await;
        summary
    }

    fn local_diagnostic(&self, status: &str, text: &str) -> Diagnostic {
        Diagnostic {
            status: status.to_string(),
            reply_code: None,
            text: text.to_string(),
            remote_mta: None,
            relayed: false,
            dsn_passed_on: false,
            at: self.inner.clock.now(),
        }
    }

    async fn attempt(
        &self,
        record: &MessageRecord,
        due: &[usize],
        content: Bytes,
        transport: &dyn Transport,
        summary: &mut PassSummary,
    ) {
        let recipients: Vec<EnvelopeRecipient> = due
            .iter()
            .filter_map(|&index| record.recipients.get(index))
            .map(|r| r.recipient.clone())
            .collect();
        for batch in transport.plan(&recipients) {
            let indexes: Vec<usize> = batch
                .iter()
                .filter_map(|&position| due.get(position).copied())
                .collect();
            let job = DeliveryJob {
                id: record.id.clone(),
                reverse_path: record.envelope.reverse_path.clone(),
                recipients: batch
                    .iter()
                    .filter_map(|&position| recipients.get(position).cloned())
                    .collect(),
                content: content.clone(),
                eight_bit: record.eight_bit,
                envid: record.envelope.envid.clone(),
                ret: record.envelope.ret,
            };
            let results = transport.deliver(&job).await;
            let mut results = results.into_iter();
            let outcomes: Vec<(usize, Outcome)> = indexes
                .iter()
                .map(|&index| {
                    let outcome = results.next().unwrap_or_else(|| {
                        Outcome::Deferred(
                            self.local_diagnostic("4.3.0", "no result from the transport"),
                        )
                    });
                    (index, outcome)
                })
                .collect();
            self.apply(&record.id, &outcomes, summary).await;
        }
    }

    /// Records the outcomes of one batch, durably, before anything else happens.
    async fn apply(&self, id: &QueueId, outcomes: &[(usize, Outcome)], summary: &mut PassSummary) {
        let now = self.inner.clock.now();
        let updated = {
            let mut records = lock(&self.inner.records);
            let Some(record) = records.get_mut(id) else {
                return;
            };
            let received_at = record.envelope.received_at;
            for (index, outcome) in outcomes {
                let Some(recipient) = record.recipients.get_mut(*index) else {
                    continue;
                };
                recipient.attempts = recipient.attempts.saturating_add(1);
                let address = recipient.recipient.address.clone();
                match outcome {
                    Outcome::Delivered(diagnostic) => {
                        recipient.state = RecipientState::Delivered;
                        recipient.last = Some(diagnostic.clone());
                        summary.delivered += 1;
                        tracing::info!(queue_id = %id, to = %address, status = %diagnostic.status,
                            relay = diagnostic.remote_mta.as_deref().unwrap_or("-"),
                            "queue: delivered");
                    }
                    Outcome::Failed(diagnostic) => {
                        recipient.state = RecipientState::Failed;
                        recipient.last = Some(diagnostic.clone());
                        summary.failed += 1;
                        tracing::info!(queue_id = %id, to = %address, status = %diagnostic.status,
                            reason = %diagnostic.text, "queue: failed");
                    }
                    Outcome::Deferred(diagnostic) => {
                        match self
                            .inner
                            .config
                            .next_attempt(received_at, now, recipient.attempts)
                        {
                            Some(next_attempt) => {
                                recipient.state = RecipientState::Pending { next_attempt };
                                recipient.last = Some(diagnostic.clone());
                                summary.deferred += 1;
                                tracing::info!(queue_id = %id, to = %address,
                                    status = %diagnostic.status, reason = %diagnostic.text,
                                    attempts = recipient.attempts, "queue: deferred");
                            }
                            None => {
                                // The last temporary status stays (RFC 3464 §2.3.3:
                                // "failed" with a 4.x.x status is a give-up).
                                let mut expired = diagnostic.clone();
                                if expired.reply_code.is_none() {
                                    expired.text =
                                        format!("delivery time expired: {}", diagnostic.text);
                                }
                                recipient.state = RecipientState::Failed;
                                recipient.last = Some(expired);
                                summary.failed += 1;
                                tracing::info!(queue_id = %id, to = %address,
                                    reason = %diagnostic.text, "queue: failed, too old");
                            }
                        }
                    }
                }
            }
            record.clone()
        };
        self.persist(updated).await;
    }

    async fn persist(&self, record: MessageRecord) {
        let spool = self.inner.spool.clone();
        let id = record.id.clone();
        if let Err(error) = blocking(move || spool.save(&record)).await {
            // The in-memory state is right; the disk keeps the previous one, so a
            // restart may repeat this batch (never lose it).
            tracing::error!(queue_id = %id, %error, "queue: cannot save delivery state");
        }
    }

    /// Enqueues the notifications owed (failures, and successes asked for), then marks
    /// them sent. Returns how many were enqueued.
    async fn send_notices(&self, id: &QueueId) -> usize {
        let Some(record) = lock(&self.inner.records).get(id).cloned() else {
            return 0;
        };
        let owed: Vec<usize> = record
            .recipients
            .iter()
            .enumerate()
            .filter(|(_, r)| r.owes_notice())
            .map(|(index, _)| index)
            .collect();
        if owed.is_empty() {
            return 0;
        }
        let mut sent = 0;
        if let Some(sender) = record.envelope.reverse_path.clone() {
            let content = self.read_content_for_notice(&record).await;
            let notice = crate::bounce::Notice {
                reporting_mta: &self.inner.config.hostname,
                record: &record,
                recipients: &owed,
                original: &content,
                arrival: record.envelope.received_at,
                now: self.inner.clock.now(),
            };
            let random = Arc::clone(&self.inner.random);
            let message = notice.build(&mut |buffer: &mut [u8]| {
                for byte in buffer.iter_mut() {
                    *byte = (random.next_u64() & 0xff) as u8;
                }
            });
            let envelope = Envelope {
                reverse_path: None,
                recipients: vec![EnvelopeRecipient::new(sender.clone())],
                received_at: self.inner.clock.now(),
                auth_user: None,
                envid: None,
                ret: None,
                received_from: None,
            };
            match self.enqueue(envelope, &message).await {
                Ok(notice_id) => {
                    sent = 1;
                    tracing::info!(queue_id = %id, notice = %notice_id, to = %sender,
                        "queue: delivery status notification queued");
                }
                Err(error) => {
                    tracing::error!(queue_id = %id, %error, "queue: cannot queue notification");
                    return 0;
                }
            }
        }
        let updated = {
            let mut records = lock(&self.inner.records);
            let Some(record) = records.get_mut(id) else {
                return sent;
            };
            for index in owed {
                if let Some(recipient) = record.recipients.get_mut(index) {
                    recipient.notified = true;
                }
            }
            record.clone()
        };
        self.persist(updated).await;
        sent
    }

    async fn read_content_for_notice(&self, record: &MessageRecord) -> Vec<u8> {
        let spool = self.inner.spool.clone();
        let id = record.id.clone();
        blocking(move || spool.read_content(&id))
            .await
            .unwrap_or_default()
    }

    async fn remove_if_finished(&self, id: &QueueId) {
        let finished = lock(&self.inner.records)
            .get(id)
            .is_some_and(MessageRecord::is_finished);
        if !finished {
            return;
        }
        let spool = self.inner.spool.clone();
        let remove_id = id.clone();
        match blocking(move || spool.remove(&remove_id)).await {
            Ok(()) => {
                lock(&self.inner.records).remove(id);
                tracing::debug!(queue_id = %id, "queue: message done");
            }
            Err(error) => tracing::error!(queue_id = %id, %error, "queue: cannot remove"),
        }
    }
}

/// A message being received into the spool; see [`Queue::writer`].
#[derive(Debug)]
pub struct SpoolWriter {
    queue: Queue,
    id: QueueId,
    path: PathBuf,
    file: Option<tokio::io::BufWriter<tokio::fs::File>>,
    size: u64,
    eight_bit: bool,
    committed: bool,
}

impl SpoolWriter {
    /// The id the message will have.
    pub fn id(&self) -> &QueueId {
        &self.id
    }

    /// Octets written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a piece of the content.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), QueueError> {
        let size = self.size.saturating_add(chunk.len() as u64);
        if size > self.queue.inner.config.max_message_size {
            return Err(QueueError::TooLarge);
        }
        let file = self.file.as_mut().ok_or(QueueError::Unavailable)?;
        file.write_all(chunk).await?;
        self.size = size;
        self.eight_bit |= !chunk.is_ascii();
        Ok(())
    }

    /// Reads back everything written so far, in pieces, handing each to `each`.
    pub async fn read_back(
        &mut self,
        each: &mut (dyn FnMut(&[u8]) + Send),
    ) -> Result<(), QueueError> {
        use tokio::io::AsyncReadExt as _;
        let file = self.file.as_mut().ok_or(QueueError::Unavailable)?;
        file.flush().await?;
        let mut input = tokio::fs::File::open(&self.path).await?;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = input.read(&mut buffer).await?;
            if read == 0 {
                return Ok(());
            }
            each(buffer.get(..read).unwrap_or_default());
        }
    }

    /// Puts `head` before everything written so far. This copies the file once, so it
    /// is for what can only be known at the end (a DKIM signature over the body).
    pub async fn prepend(&mut self, head: &[u8]) -> Result<(), QueueError> {
        let size = self.size.saturating_add(head.len() as u64);
        if size > self.queue.inner.config.max_message_size {
            return Err(QueueError::TooLarge);
        }
        let mut old = self.file.take().ok_or(QueueError::Unavailable)?;
        old.flush().await?;
        drop(old);
        // In tmp/ too, so a leftover is removed at the next start.
        let staging = self.path.with_extension("prepend");
        let mut out = tokio::io::BufWriter::with_capacity(
            64 * 1024,
            tokio::fs::File::create(&staging).await?,
        );
        out.write_all(head).await?;
        let mut input = tokio::fs::File::open(&self.path).await?;
        tokio::io::copy(&mut input, &mut out).await?;
        out.flush().await?;
        tokio::fs::rename(&staging, &self.path).await?;
        self.file = Some(out);
        self.size = size;
        self.eight_bit |= !head.is_ascii();
        Ok(())
    }

    /// Makes the message durable with its envelope and queues it; returns its id. Only
    /// after this returned `Ok` may the listener answer 250.
    pub async fn commit(mut self, envelope: Envelope) -> Result<QueueId, QueueError> {
        let mut file = self.file.take().ok_or(QueueError::Unavailable)?;
        file.flush().await?;
        let file = file.into_inner();
        file.sync_all().await?;
        drop(file);
        self.committed = true;
        let queue = self.queue.clone();
        let result = queue
            .commit(
                self.id.clone(),
                self.path.clone(),
                envelope,
                self.size,
                self.eight_bit,
            )
            .await;
        if result.is_err() {
            self.committed = false;
        }
        result
    }
}

impl Drop for SpoolWriter {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: a leftover is removed at the next start anyway.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
