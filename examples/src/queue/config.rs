//! The queue's settings (the `[queue]` section of the server's configuration file) and
//! its retry schedule.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// How the queue retries and how much it does at once. Durations are in seconds in the
/// configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Wait before the first retry of a deferred recipient (default 300 s, as Postfix's
    /// `minimal_backoff_time`).
    pub first_retry_secs: u64,
    /// Each further wait is the previous one times this factor (default 2).
    pub backoff_factor: u32,
    /// Longest wait between two attempts (default 3600 s).
    pub max_retry_interval_secs: u64,
    /// A recipient still undelivered this long after the message arrived fails, and
    /// the sender gets a notification (default 5 days, RFC 5321 §4.5.4.1 suggests at
    /// least 4-5 days).
    pub max_age_secs: u64,
    /// Messages delivered at the same time (default 20).
    pub max_concurrent_deliveries: usize,
    /// Largest message the queue takes, in octets (default 50 MiB; the listeners' SIZE
    /// limit should be below).
    pub max_message_size: u64,
    /// Most recipients of one message (default 1000).
    pub max_recipients: usize,
    /// The name of this mail system in notifications (`Reporting-MTA`, the
    /// `MAILER-DAEMON@` sender); default `localhost`.
    pub hostname: String,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            first_retry_secs: 300,
            backoff_factor: 2,
            max_retry_interval_secs: 3600,
            max_age_secs: 5 * 24 * 3600,
            max_concurrent_deliveries: 20,
            max_message_size: 50 * 1024 * 1024,
            max_recipients: 1000,
            hostname: String::from("localhost"),
        }
    }
}

impl QueueConfig {
    /// The maximum age as a duration.
    pub fn max_age(&self) -> Duration {
        Duration::from_secs(self.max_age_secs)
    }

    /// The wait after the `attempts`-th failed attempt (1 for the first):
    /// `first_retry * factor^(attempts-1)`, at most `max_retry_interval`.
    pub fn retry_interval(&self, attempts: u32) -> Duration {
        let cap = self.max_retry_interval_secs.max(1);
        let mut secs = self.first_retry_secs.max(1).min(cap);
        for _ in 1..attempts {
            secs = secs.saturating_mul(u64::from(self.backoff_factor.max(1)));
            if secs >= cap {
                secs = cap;
                break;
            }
        }
        Duration::from_secs(secs)
    }

    /// When a recipient deferred at `now` after its `attempts`-th attempt is due again,
    /// or `None` when it must fail because the message is too old. The last attempt is
    /// made at the deadline itself, so a message gets its full maximum age.
    pub fn next_attempt(
        &self,
        received_at: SystemTime,
        now: SystemTime,
        attempts: u32,
    ) -> Option<SystemTime> {
        let deadline = received_at + self.max_age();
        if now >= deadline {
            return None;
        }
        Some((now + self.retry_interval(attempts)).min(deadline))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn intervals_double_up_to_the_cap() {
        let config = QueueConfig::default();
        let secs: Vec<u64> = (1..=7)
            .map(|n| config.retry_interval(n).as_secs())
            .collect();
        assert_eq!(secs, [300, 600, 1200, 2400, 3600, 3600, 3600]);
        assert_eq!(config.retry_interval(u32::MAX).as_secs(), 3600);
    }

    #[test]
    fn the_last_attempt_is_at_the_deadline_then_none() {
        let config = QueueConfig {
            max_age_secs: 1000,
            ..QueueConfig::default()
        };
        let start = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let next = config.next_attempt(start, start + Duration::from_secs(900), 3);
        assert_eq!(next, Some(start + Duration::from_secs(1000)));
        assert_eq!(
            config.next_attempt(start, start + Duration::from_secs(1000), 4),
            None
        );
    }
}
