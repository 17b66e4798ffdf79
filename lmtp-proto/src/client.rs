//! The LMTP client: mailwire-smtp's client machine in its LMTP flavor, and a tracker
//! that turns its events into one typed result per recipient.
//!
//! [`new_client`] builds the smtp [`Client`] with [`Flavor::Lmtp`]: it greets with LHLO
//! (never falling back to HELO), pipelines MAIL, RCPT and DATA when PIPELINING is
//! offered, sends BDAT chunks when CHUNKING is, and expects one reply per accepted
//! recipient after the data, reported as a [`ClientEvent::Recipient`] of stage
//! [`RecipientStage::Delivery`].
//!
//! [`DeliveryTracker`] reads those events and, when the transaction ends, gives a
//! [`DeliveryReport`]: for every recipient of the envelope, in order, whether the
//! message was delivered, deferred or refused, and the reply that said so. RFC 2033 §5
//! ("If the connection closes after replies for some, but not all, recipients have
//! arrived, the client MUST process the replies that arrived and treat the rest as
//! temporary failures") is the machine's: the replies that arrived keep their results,
//! and the report lists the rest in [`TransactionReport::unanswered`], which the tracker
//! reports as deferred, [`DecidedBy::ConnectionEnded`].
//!
//! ```
//! use std::time::Instant;
//! use mailwire_lmtp::client::{new_client, client_config, DeliveryTracker, MailEnvelope, RecipientStatus};
//! use mailwire_lmtp::types::{Host, Mailbox};
//! use mailwire_lmtp::Session;
//!
//! let now = Instant::now();
//! let mut client = new_client(client_config(Host::new("mta.example").unwrap().into_owned()), now);
//! client.handle_input(now, b"220 mda.example LMTP\r\n");
//! client.handle_input(now, b"250-mda.example\r\n250 PIPELINING\r\n");
//! let envelope = MailEnvelope::new(Mailbox::parse("a@example.org").unwrap().into_owned())
//!     .to(Mailbox::parse("b@example.org").unwrap().into_owned())
//!     .to(Mailbox::parse("c@example.org").unwrap().into_owned());
//! let mut tracker = DeliveryTracker::new();
//! let transaction = client.start_mail(envelope.clone()).unwrap();
//! tracker.track(transaction, &envelope);
//! client.send_body(&b"Subject: hi\r\n\r\nHello\r\n"[..]).unwrap();
//! client.finish_body().unwrap();
//! client.handle_input(now, b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n250 2.1.5 ok\r\n354 go\r\n\
//!     250 2.0.0 <b@example.org> delivered\r\n452 4.2.2 <c@example.org> mailbox full\r\n");
//! let mut report = None;
//! while let Some(event) = client.poll_event() {
//!     report = report.or(tracker.observe(&event));
//! }
//! let report = report.unwrap();
//! let statuses: Vec<_> = report.recipients.iter().map(|r| r.status).collect();
//! assert_eq!(statuses, [RecipientStatus::Accepted, RecipientStatus::Deferred]);
//! assert_eq!(report.recipients[1].enhanced().unwrap().to_string(), "4.2.2");
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use mailwire_smtp::types::{EnhancedStatusCode, ForwardPath, Host, Reply, ReplyCode};

pub use mailwire_smtp::client::{
    Client, ClientConfig, ClientError, ClientEvent, ClientTimeouts, CommandId, Credentials,
    FailureStage, Flavor, MailEnvelope, ProtocolError, Recipient, RecipientResult, RecipientStage,
    RecipientStatus, TransactionId, TransactionOutcome, TransactionReport, Waiting,
    CLIENT_MAX_REPLY_LINE, CLIENT_MAX_REPLY_LINES, CLIENT_MAX_UNSOLICITED_INPUT,
};

/// The configuration of an LMTP client introducing itself as `hello_name` in LHLO,
/// with mailwire-smtp's defaults otherwise (pipelining and chunking used when offered,
/// the time limits of RFC 5321 §4.5.3.2).
pub fn client_config(hello_name: Host<'static>) -> ClientConfig {
    ClientConfig::lmtp(hello_name)
}

/// A client machine for a connection opened at `now`, speaking LMTP whatever flavor
/// `config` says (so an SMTP configuration cannot be passed by mistake).
pub fn new_client(mut config: ClientConfig, now: Instant) -> Client {
    config.flavor = Flavor::Lmtp;
    Client::new(config, now)
}

/// Which reply decided a recipient's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecidedBy {
    /// The reply to its RCPT command (it was refused there).
    Rcpt,
    /// Its own reply after the data (LMTP), or the reply that refused the data for
    /// every recipient (DATA or a BDAT chunk refused).
    Delivery,
    /// The reply that ended the transaction before the data (MAIL refused).
    Transaction,
    /// No reply: the connection ended first (RFC 2033 §5: a temporary failure).
    ConnectionEnded,
}

/// The final result of one recipient of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientDelivery {
    /// Its position in the envelope, from 0.
    pub index: usize,
    /// The recipient.
    pub recipient: ForwardPath<'static>,
    /// [`RecipientStatus::Accepted`] means delivered: the server took responsibility.
    pub status: RecipientStatus,
    /// Which reply decided.
    pub decided_by: DecidedBy,
    /// The deciding reply, if one came.
    pub reply: Option<Reply<'static>>,
}

impl RecipientDelivery {
    /// True when the server took responsibility for the message for this recipient.
    pub fn is_delivered(&self) -> bool {
        self.status == RecipientStatus::Accepted
    }

    /// The deciding reply's code.
    pub fn code(&self) -> Option<ReplyCode> {
        self.reply.as_ref().map(Reply::code)
    }

    /// The deciding reply's enhanced status code (RFC 2034), if any.
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.reply.as_ref().and_then(Reply::enhanced)
    }

    /// The deciding reply's text, lines joined by spaces, without the codes.
    pub fn text(&self) -> String {
        self.reply
            .as_ref()
            .map(|reply| reply.lines().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }
}

impl fmt::Display for RecipientDelivery {
    /// `recipient code enhanced text`, with `-` for what is missing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code()
            .map_or_else(|| String::from("-"), |c| c.to_string());
        let enhanced = self
            .enhanced()
            .map_or_else(|| String::from("-"), |e| e.to_string());
        let text = match self.decided_by {
            DecidedBy::ConnectionEnded if self.reply.is_none() => {
                String::from("connection ended before the reply")
            }
            _ => self.text(),
        };
        write!(f, "{} {code} {enhanced} {text}", self.recipient)
    }
}

/// Every recipient's result of one transaction; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The transaction.
    pub transaction: TransactionId,
    /// One result per envelope recipient, in envelope order.
    pub recipients: Vec<RecipientDelivery>,
    /// The machine's own summary of the transaction.
    pub outcome: TransactionOutcome,
    /// The machine's deciding reply, when there is a single one.
    pub reply: Option<Reply<'static>>,
}

impl DeliveryReport {
    /// The recipients the message was delivered to.
    pub fn delivered(&self) -> impl Iterator<Item = &RecipientDelivery> + '_ {
        self.recipients.iter().filter(|r| r.is_delivered())
    }

    /// The recipients it was not delivered to (deferred or refused).
    pub fn failed(&self) -> impl Iterator<Item = &RecipientDelivery> + '_ {
        self.recipients.iter().filter(|r| !r.is_delivered())
    }

    /// True when every recipient got the message.
    pub fn all_delivered(&self) -> bool {
        !self.recipients.is_empty() && self.recipients.iter().all(RecipientDelivery::is_delivered)
    }
}

#[derive(Debug)]
struct Entry {
    recipient: ForwardPath<'static>,
    at_rcpt: Option<(RecipientStatus, Reply<'static>)>,
    delivery: Option<(RecipientStatus, Reply<'static>)>,
}

/// Collects a client's recipient events per transaction into [`DeliveryReport`]s.
///
/// Register each transaction with [`track`](Self::track) (so that recipients whose
/// RCPT never got a reply are known too), then pass every event of the machine to
/// [`observe`](Self::observe). Transactions not registered are tracked from their
/// events alone.
#[derive(Debug, Default)]
pub struct DeliveryTracker {
    transactions: BTreeMap<TransactionId, Vec<Option<Entry>>>,
}

impl DeliveryTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        DeliveryTracker::default()
    }

    /// Registers the recipients of a transaction just started with `envelope`.
    pub fn track(&mut self, transaction: TransactionId, envelope: &MailEnvelope) {
        let entries = envelope
            .recipients()
            .iter()
            .map(|r| {
                Some(Entry {
                    recipient: r.path.clone(),
                    at_rcpt: None,
                    delivery: None,
                })
            })
            .collect();
        self.transactions.insert(transaction, entries);
    }

    /// Reads one event; returns the report when it ends a transaction.
    pub fn observe(&mut self, event: &ClientEvent) -> Option<DeliveryReport> {
        match event {
            ClientEvent::Recipient(result) => {
                self.record(result);
                None
            }
            ClientEvent::TransactionDone(done) => Some(self.finish(done)),
            _ => None,
        }
    }

    fn record(&mut self, result: &RecipientResult) {
        let entries = self.transactions.entry(result.transaction).or_default();
        // Positions come from the machine and are below the envelope's length; the
        // vector only grows to hold a position it has not seen.
        if entries.len() <= result.index {
            entries.resize_with(result.index + 1, || None);
        }
        let Some(slot) = entries.get_mut(result.index) else {
            return;
        };
        let entry = slot.get_or_insert_with(|| Entry {
            recipient: result.recipient.clone(),
            at_rcpt: None,
            delivery: None,
        });
        let decided = Some((result.status, result.reply.clone()));
        match result.stage {
            RecipientStage::Rcpt => entry.at_rcpt = decided,
            RecipientStage::Delivery => entry.delivery = decided,
        }
    }

    fn finish(&mut self, done: &TransactionReport) -> DeliveryReport {
        let entries = self
            .transactions
            .remove(&done.transaction)
            .unwrap_or_default();
        let recipients = entries
            .into_iter()
            .enumerate()
            .filter_map(|(index, entry)| entry.map(|entry| final_result(index, entry, done)))
            .collect();
        DeliveryReport {
            transaction: done.transaction,
            recipients,
            outcome: done.outcome,
            reply: done.reply.clone(),
        }
    }
}

/// Decides one recipient's final result from what was seen of it and of the transaction.
fn final_result(index: usize, entry: Entry, done: &TransactionReport) -> RecipientDelivery {
    let (status, decided_by, reply) = match (entry.at_rcpt, entry.delivery) {
        (_, Some((status, reply))) => (status, DecidedBy::Delivery, Some(reply)),
        (Some((status, reply)), None) if status != RecipientStatus::Accepted => {
            (status, DecidedBy::Rcpt, Some(reply))
        }
        // The connection ended before its answer (with the 421 that ended it, if any).
        (_, None) if done.unanswered.contains(&index) => (
            RecipientStatus::Deferred,
            DecidedBy::ConnectionEnded,
            done.reply.clone(),
        ),
        // Accepted at RCPT and no delivery reply: the transaction's end decides.
        (_, None) => match (done.outcome, &done.reply) {
            (TransactionOutcome::Failed { temporary, .. }, Some(reply)) => (
                if temporary {
                    RecipientStatus::Deferred
                } else {
                    RecipientStatus::Rejected
                },
                DecidedBy::Transaction,
                Some(reply.clone()),
            ),
            // Nothing says what became of it: treat it as not delivered, for now.
            _ => (RecipientStatus::Deferred, DecidedBy::ConnectionEnded, None),
        },
    };
    RecipientDelivery {
        index,
        recipient: entry.recipient,
        status,
        decided_by,
        reply,
    }
}
