//! What the queue keeps about a message besides its content: the envelope given at
//! enqueue time, and per recipient the delivery state that survives restarts.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A queued message's identifier: lower-case hexadecimal time and randomness, safe as a
/// file name and unique across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QueueId(String);

impl QueueId {
    /// Longest id accepted from the spool folder or the command line.
    pub const MAX_LEN: usize = 64;

    /// An id made of the arrival time (microseconds, so ids sort by arrival) and a random
    /// number.
    pub fn generate(now: SystemTime, random: u64) -> QueueId {
        let micros = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_micros();
        QueueId(format!("{micros:014x}{:08x}", random & 0xffff_ffff))
    }

    /// Validates an id read from a file name or typed by an administrator: 1 to
    /// [`MAX_LEN`](Self::MAX_LEN) characters from `[0-9a-z]`.
    pub fn parse(text: &str) -> Option<QueueId> {
        let valid = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        valid.then(|| QueueId(text.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The conditions under which a recipient's sender wants a delivery status notification
/// (RFC 3461 `NOTIFY=`). All false is `NOTIFY=NEVER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DsnNotify {
    /// A notification when the message was delivered.
    pub success: bool,
    /// A notification when delivery failed.
    pub failure: bool,
    /// A notification when delivery is delayed.
    pub delay: bool,
}

impl DsnNotify {
    /// `NOTIFY=NEVER`.
    pub const NEVER: DsnNotify = DsnNotify {
        success: false,
        failure: false,
        delay: false,
    };
}

/// How much of the message a failure notification returns (RFC 3461 `RET=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DsnReturn {
    /// The whole message.
    Full,
    /// Only its header section.
    Headers,
}

/// One recipient as given in RCPT TO.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeRecipient {
    /// The mailbox, `local@domain` as in the RCPT command (without angle brackets).
    pub address: String,
    /// The original recipient (RFC 3461 `ORCPT=`), decoded: `type;address`, for
    /// example `rfc822;alice@example.org`.
    pub orcpt: Option<String>,
    /// When to notify the sender; `None` is the default of RFC 3461 §4.1 (failures,
    /// and delays at the server's discretion).
    pub notify: Option<DsnNotify>,
}

impl EnvelopeRecipient {
    /// A recipient without DSN parameters.
    pub fn new(address: impl Into<String>) -> Self {
        EnvelopeRecipient {
            address: address.into(),
            orcpt: None,
            notify: None,
        }
    }

    /// True when a failure must be reported to the sender.
    pub fn wants_failure_notice(&self) -> bool {
        self.notify.is_none_or(|n| n.failure)
    }

    /// True when a successful delivery must be reported to the sender.
    pub fn wants_success_notice(&self) -> bool {
        self.notify.is_some_and(|n| n.success)
    }
}

/// The envelope of a message handed to [`Queue::enqueue`](crate::queue::Queue::enqueue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The reverse-path (MAIL FROM) as `local@domain`; `None` for the null reverse-path
    /// `<>` of notifications, which never get a bounce.
    pub reverse_path: Option<String>,
    /// The recipients, in RCPT order (at least one).
    pub recipients: Vec<EnvelopeRecipient>,
    /// When the message was accepted (the start of its maximum age in the queue).
    #[serde(with = "unix_millis")]
    pub received_at: SystemTime,
    /// The authenticated submitter, if it came through submission.
    pub auth_user: Option<String>,
    /// The envelope identifier (RFC 3461 `ENVID=`), decoded.
    pub envid: Option<String>,
    /// How much of the message a failure notification returns (RFC 3461 `RET=`).
    pub ret: Option<DsnReturn>,
    /// The client that handed the message over, as `name [address]`, for the
    /// `Received-From-MTA` field of notifications.
    pub received_from: Option<String>,
}

impl Envelope {
    /// An envelope from `reverse_path` (`None`: `<>`) to `recipients`, received at
    /// `received_at`, without DSN parameters.
    pub fn new(
        reverse_path: Option<String>,
        recipients: impl IntoIterator<Item = EnvelopeRecipient>,
        received_at: SystemTime,
    ) -> Self {
        Envelope {
            reverse_path,
            recipients: recipients.into_iter().collect(),
            received_at,
            auth_user: None,
            envid: None,
            ret: None,
            received_from: None,
        }
    }
}

/// What the queue knows about one recipient's delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientState {
    /// Not delivered yet; tried again at `next_attempt`.
    Pending {
        /// When the next attempt is due.
        #[serde(with = "unix_millis")]
        next_attempt: SystemTime,
    },
    /// Delivered (the next hop took responsibility); never tried again.
    Delivered,
    /// Failed for good (a 5yz reply, or too old); the sender is told unless it is `<>`.
    Failed,
}

/// The result of one delivery attempt for one recipient, as reported by the next hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The RFC 3463 status (`2.0.0`, `4.4.1`, `5.1.1`, ...).
    pub status: String,
    /// The SMTP/LMTP reply code, when a server answered.
    pub reply_code: Option<u16>,
    /// The reply text (lines joined by spaces), or what went wrong locally.
    pub text: String,
    /// The host that answered (`mx.example.org [192.0.2.1]`), if any.
    pub remote_mta: Option<String>,
    /// True when the message went to another MTA rather than into the final mailbox
    /// (a success is then "relayed" in a notification, RFC 3464 §2.3.3).
    #[serde(default)]
    pub relayed: bool,
    /// True when the next hop took the sender's DSN request (RFC 3461) over: it, not
    /// this system, reports success.
    #[serde(default)]
    pub dsn_passed_on: bool,
    /// When the attempt ended.
    #[serde(with = "unix_millis")]
    pub at: SystemTime,
}

impl Diagnostic {
    /// The `Diagnostic-Code` value of RFC 3464 (`smtp; 550 5.1.1 text`), when a server
    /// answered.
    pub fn diagnostic_code(&self) -> Option<String> {
        self.reply_code
            .map(|code| format!("smtp; {code} {} {}", self.status, self.text))
    }
}

/// A recipient with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientRecord {
    /// The recipient as enqueued.
    pub recipient: EnvelopeRecipient,
    /// Where its delivery stands.
    pub state: RecipientState,
    /// Delivery attempts made so far.
    pub attempts: u32,
    /// The result of the latest attempt.
    pub last: Option<Diagnostic>,
    /// True once the sender was sent the notification this state calls for (a failure
    /// notice, or a success notice when asked for).
    pub notified: bool,
}

impl RecipientRecord {
    /// True while the recipient waits for delivery.
    pub fn is_pending(&self) -> bool {
        matches!(self.state, RecipientState::Pending { .. })
    }

    /// True when it waits for delivery and is due at `now`.
    pub fn is_due(&self, now: SystemTime) -> bool {
        matches!(self.state, RecipientState::Pending { next_attempt } if next_attempt <= now)
    }

    /// True when a notification is owed to the sender.
    pub fn owes_notice(&self) -> bool {
        if self.notified {
            return false;
        }
        match self.state {
            RecipientState::Failed => self.recipient.wants_failure_notice(),
            RecipientState::Delivered => {
                self.recipient.wants_success_notice()
                    && !self.last.as_ref().is_some_and(|d| d.dsn_passed_on)
            }
            RecipientState::Pending { .. } => false,
        }
    }
}

/// A queued message as stored in its state file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// Format version of the state file.
    pub version: u32,
    /// The message's id.
    pub id: QueueId,
    /// The envelope as enqueued (its recipients are repeated in `recipients`).
    pub envelope: Envelope,
    /// The content's size in octets.
    pub size: u64,
    /// True when the content holds octets above 127 (needs 8BITMIME to relay as is).
    pub eight_bit: bool,
    /// Every recipient with its state, in RCPT order.
    pub recipients: Vec<RecipientRecord>,
}

impl MessageRecord {
    /// The current state file format.
    pub const VERSION: u32 = 1;

    /// The earliest time a recipient is due, if any is pending.
    pub fn next_due(&self) -> Option<SystemTime> {
        self.recipients
            .iter()
            .filter_map(|r| match r.state {
                RecipientState::Pending { next_attempt } => Some(next_attempt),
                _ => None,
            })
            .min()
    }

    /// True when no recipient is pending and every notification owed was sent.
    pub fn is_finished(&self) -> bool {
        self.recipients
            .iter()
            .all(|r| !r.is_pending() && !r.owes_notice())
    }
}

/// Serializes times as milliseconds since the Unix epoch (readable in the state files,
/// exact enough for a retry schedule).
mod unix_millis {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        time: &SystemTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let millis = time
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis();
        serializer.serialize_u64(u64::try_from(millis).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SystemTime, D::Error> {
        let millis = u64::deserialize(deserializer)?;
        Ok(UNIX_EPOCH + Duration::from_millis(millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_ids_sort_by_time_and_parse_back() {
        let early = QueueId::generate(UNIX_EPOCH + Duration::from_secs(1_700_000_000), 0xdead_beef);
        let late = QueueId::generate(UNIX_EPOCH + Duration::from_secs(1_700_000_001), 1);
        assert!(early < late);
        assert_eq!(QueueId::parse(early.as_str()), Some(early));
        assert_eq!(QueueId::parse("../etc"), None);
        assert_eq!(QueueId::parse(""), None);
        assert_eq!(QueueId::parse(&"a".repeat(65)), None);
    }

    #[test]
    fn notices_follow_notify() {
        let mut record = RecipientRecord {
            recipient: EnvelopeRecipient::new("a@example.org"),
            state: RecipientState::Failed,
            attempts: 1,
            last: None,
            notified: false,
        };
        assert!(record.owes_notice());
        record.recipient.notify = Some(DsnNotify::NEVER);
        assert!(!record.owes_notice());
        record.state = RecipientState::Delivered;
        record.recipient.notify = Some(DsnNotify {
            success: true,
            failure: false,
            delay: false,
        });
        assert!(record.owes_notice());
        record.notified = true;
        assert!(!record.owes_notice());
    }
}
