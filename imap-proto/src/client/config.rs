//! Settings of the client machine, its limits, and the injected tag generator.

use std::fmt;
use std::time::Duration;

use crate::codec::{NonSyncLiterals, Quirks};
use crate::types::{IntoOwned, Tag};

/// Default time to wait for the greeting or for progress on a command in flight.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Default time after which an IDLE is ended by the client: RFC 2177 §3 asks clients to
/// re-issue IDLE at least every 29 minutes, so that servers with a 30-minute autologout
/// do not drop them.
pub const DEFAULT_IDLE_REFRESH: Duration = Duration::from_secs(29 * 60);
/// Default longest response line (between literals), CRLF included. Generous because
/// `* SEARCH` answers for large mailboxes come as one line.
pub const DEFAULT_MAX_LINE_LENGTH: usize = 1024 * 1024;
/// Default largest response held whole (lines plus the literals that are not streamed:
/// ENVELOPE strings, mailbox names, ...).
pub const DEFAULT_MAX_RESPONSE_LENGTH: usize = 16 * 1024 * 1024;
/// Default largest message-content literal streamed out of a FETCH response (it is
/// never held, so the limit only rejects absurd announcements): the largest size an
/// IMAP4rev1 `number` can express.
pub const DEFAULT_MAX_STREAMED_LITERAL: u64 = u32::MAX as u64;

/// Client settings; each field says its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long to wait for the greeting or for any progress (input) while a command is
    /// in flight; `None` waits forever. Default [`DEFAULT_RESPONSE_TIMEOUT`].
    pub response_timeout: Option<Duration>,
    /// How long an IDLE lasts before the machine sends `DONE` by itself (RFC 2177: less
    /// than 30 minutes). Default [`DEFAULT_IDLE_REFRESH`].
    pub idle_refresh: Duration,
    /// Send commands without waiting for the previous ones to complete, within the
    /// ambiguity rules of RFC 3501 §5.5. Default `true`.
    pub pipelining: bool,
    /// Ask CAPABILITY by itself whenever the capabilities are unknown (no code in the
    /// greeting, after STARTTLS, after a login whose OK carried none), before any queued
    /// command leaves, so commands are encoded for what the server offers. Default `true`.
    pub auto_capability: bool,
    /// The most non-synchronizing literals the client uses when the server allows them:
    /// [`NonSyncLiterals::Plus`] takes whatever the server offers (LITERAL+, LITERAL-,
    /// IMAP4rev2); [`NonSyncLiterals::Minus`] keeps literals above 4096 octets
    /// synchronizing even under LITERAL+, so the server can refuse a large APPEND before
    /// it is sent (RFC 7888 §4); [`NonSyncLiterals::Forbidden`] always waits for `+`.
    /// Default [`NonSyncLiterals::Plus`].
    pub non_sync_literals: NonSyncLiterals,
    /// The connection starts in TLS (port 993): STARTTLS is refused. Default `false`.
    pub implicit_tls: bool,
    /// Longest response line between literals, CRLF included; a longer one ends the
    /// session. Default [`DEFAULT_MAX_LINE_LENGTH`].
    pub max_line_length: usize,
    /// Largest response held whole (see [`DEFAULT_MAX_RESPONSE_LENGTH`]); a larger one
    /// ends the session before its excess is buffered.
    pub max_response_length: usize,
    /// Largest message-content literal of a FETCH response (streamed, never held).
    /// Default [`DEFAULT_MAX_STREAMED_LITERAL`].
    pub max_streamed_literal: u64,
    /// How deeply parentheses may nest in a response. Default 64.
    pub max_nesting: u32,
    /// How deeply body structures may nest. Default 64.
    pub max_body_depth: u32,
    /// Leniencies of the response decoder for servers that bend the grammar. Default none.
    pub quirks: Quirks,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            response_timeout: Some(DEFAULT_RESPONSE_TIMEOUT),
            idle_refresh: DEFAULT_IDLE_REFRESH,
            pipelining: true,
            auto_capability: true,
            non_sync_literals: NonSyncLiterals::Plus,
            implicit_tls: false,
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            max_response_length: DEFAULT_MAX_RESPONSE_LENGTH,
            max_streamed_literal: DEFAULT_MAX_STREAMED_LITERAL,
            max_nesting: 64,
            max_body_depth: 64,
            quirks: Quirks::default(),
        }
    }
}

/// Makes the tags of the commands (injected, so tests and logs can choose them).
///
/// A tag must not repeat while a command with it is outstanding; the machine refuses a
/// command whose generated tag does. Any `FnMut() -> Tag<'static>` closure is a
/// generator.
pub trait TagGenerator: Send {
    /// The next tag.
    fn next_tag(&mut self) -> Tag<'static>;
}

impl<F> TagGenerator for F
where
    F: FnMut() -> Tag<'static> + Send,
{
    fn next_tag(&mut self) -> Tag<'static> {
        self()
    }
}

/// The default generator: a prefix and a counter from 1 (`A1`, `A2`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterTags {
    prefix: String,
    next: u64,
}

impl CounterTags {
    /// Tags `prefix1`, `prefix2`, ...; `None` when the prefix cannot start a tag (empty
    /// prefixes are allowed: the tags are then plain numbers).
    pub fn new(prefix: &str) -> Option<Self> {
        if !prefix.is_empty() && Tag::new(prefix).is_err() {
            return None;
        }
        Some(CounterTags {
            prefix: prefix.to_owned(),
            next: 1,
        })
    }
}

impl Default for CounterTags {
    fn default() -> Self {
        CounterTags {
            prefix: "A".to_owned(),
            next: 1,
        }
    }
}

impl TagGenerator for CounterTags {
    fn next_tag(&mut self) -> Tag<'static> {
        let number = self.next;
        self.next = self.next.wrapping_add(1).max(1);
        let text = format!("{}{}", self.prefix, number);
        // The prefix was checked and digits are tag characters; the fallback cannot occur.
        Tag::new(text).unwrap_or_else(|_| Tag::from_checked("A").into_owned())
    }
}

impl fmt::Debug for dyn TagGenerator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TagGenerator")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_tags_count_from_one() {
        let mut tags = CounterTags::default();
        assert_eq!(tags.next_tag().as_str(), "A1");
        assert_eq!(tags.next_tag().as_str(), "A2");
        let mut plain = CounterTags::new("").unwrap();
        assert_eq!(plain.next_tag().as_str(), "1");
        assert!(CounterTags::new("a b").is_none());
        assert!(CounterTags::new("a+").is_none());
    }

    #[test]
    fn closures_are_generators() {
        let mut count = 0;
        let mut generator = move || {
            count += 1;
            Tag::new(format!("x{count}")).unwrap()
        };
        assert_eq!(TagGenerator::next_tag(&mut generator).as_str(), "x1");
    }
}
