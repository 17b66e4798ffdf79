//! What the harness plugs into the server: the session hook that injects the fault
//! rules and records every accepted message, and the transport that stands in for the
//! MX relay (mail for other domains is recorded, never sent).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio::sync::watch;

use super::fault::FaultRule;
use crate::inbound::hook::{AcceptedMessage, Fault, SessionHook, SmtpCommand};
use crate::inbound::Role;
use crate::queue::{BoxFuture, Clock, DeliveryJob, Diagnostic, Outcome, Transport};

/// A lock that survives a panic in another holder (the data stay consistent: every
/// change under these locks is a single push or assignment).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The session hook of a test server.
#[derive(Debug)]
pub(super) struct Recorder {
    faults: Mutex<Vec<FaultRule>>,
    received: Mutex<Vec<AcceptedMessage>>,
    /// How many messages were received; waiters watch it.
    count: watch::Sender<usize>,
    mx_accepts_any_domain: bool,
}

impl Recorder {
    pub(super) fn new(faults: Vec<FaultRule>, mx_accepts_any_domain: bool) -> Recorder {
        Recorder {
            faults: Mutex::new(faults),
            received: Mutex::new(Vec::new()),
            count: watch::Sender::new(0),
            mx_accepts_any_domain,
        }
    }

    pub(super) fn add_fault(&self, rule: FaultRule) {
        lock(&self.faults).push(rule);
    }

    pub(super) fn clear_faults(&self) {
        lock(&self.faults).clear();
    }

    pub(super) fn received(&self) -> Vec<AcceptedMessage> {
        lock(&self.received).clone()
    }

    pub(super) fn take_received(&self) -> Vec<AcceptedMessage> {
        let taken = std::mem::take(&mut *lock(&self.received));
        self.count.send_replace(0);
        taken
    }

    pub(super) fn watch_count(&self) -> watch::Receiver<usize> {
        self.count.subscribe()
    }
}

impl SessionHook for Recorder {
    fn fault(&self, role: Role, command: SmtpCommand, argument: &str) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let rule = faults
            .iter_mut()
            .find(|rule| rule.matches(role, command, argument))?;
        rule.use_once();
        Some(rule.fault().clone())
    }

    fn accepted(&self, message: AcceptedMessage) {
        let mut received = lock(&self.received);
        received.push(message);
        self.count.send_replace(received.len());
    }

    fn mx_accepts_any_domain(&self) -> bool {
        self.mx_accepts_any_domain
    }
}

/// A message the queue handed to the relay: what the server would have sent to another
/// domain's MX (including the delivery status notifications it makes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayedMessage {
    /// The queue id.
    pub queue_id: String,
    /// The sender, `None` for `<>`.
    pub mail_from: Option<String>,
    /// The recipients of this delivery.
    pub rcpt_to: Vec<String>,
    /// The content as queued (with the `Received` field the server added).
    pub data: Bytes,
}

/// The transport in place of the MX relay: records each delivery and reports it
/// delivered.
pub(super) struct RelaySink {
    relayed: Mutex<Vec<RelayedMessage>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RelaySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelaySink").finish_non_exhaustive()
    }
}

impl RelaySink {
    pub(super) fn new(clock: Arc<dyn Clock>) -> RelaySink {
        RelaySink {
            relayed: Mutex::new(Vec::new()),
            clock,
        }
    }

    pub(super) fn relayed(&self) -> Vec<RelayedMessage> {
        lock(&self.relayed).clone()
    }
}

impl Transport for RelaySink {
    fn deliver<'a>(&'a self, job: &'a DeliveryJob) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move {
            lock(&self.relayed).push(RelayedMessage {
                queue_id: job.id.to_string(),
                mail_from: job.reverse_path.clone(),
                rcpt_to: job.recipients.iter().map(|r| r.address.clone()).collect(),
                data: job.content.clone(),
            });
            let diagnostic = Diagnostic {
                status: String::from("2.0.0"),
                reply_code: Some(250),
                text: String::from("captured by the test server, not sent"),
                remote_mta: None,
                relayed: true,
                dsn_passed_on: false,
                at: self.clock.now(),
            };
            job.recipients
                .iter()
                .map(|_| Outcome::Delivered(diagnostic.clone()))
                .collect()
        })
    }
}
