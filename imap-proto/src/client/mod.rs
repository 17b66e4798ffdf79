//! The IMAP client machine (Sans-IO): IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051).
//!
//! [`Client`] implements [`mailwire_core::Session`]: the server's octets in, commands
//! and [`ClientEvent`]s out, a timer through `poll_timeout`/`handle_timeout`. It never
//! touches a socket or a clock.
//!
//! The application queues commands with [`Client::send`] (any [`CommandBody`]) or the
//! conveniences ([`Client::login`], [`Client::authenticate_plain`], [`Client::select`],
//! [`Client::idle`], ...) and gets a [`CommandId`]; the tag comes from an injected
//! [`TagGenerator`] (`A1`, `A2`, ... by default). What the machine does by itself:
//!
//! - **Greeting and capabilities**: `* OK`, `* PREAUTH` or `* BYE`; capabilities from
//!   the greeting's code, CAPABILITY responses and `[CAPABILITY ...]` codes, forgotten
//!   after STARTTLS (RFC 3501 §6.2.1) and after a login whose OK carried none, and then
//!   asked again before any queued command leaves ([`ClientConfig::auto_capability`]),
//!   so each command is encoded for what the server offers.
//! - **Literals**: a synchronizing literal leaves only after the server's `+`; with
//!   LITERAL+, LITERAL- (up to 4096 octets) or IMAP4rev2 they go non-synchronizing. A
//!   server that answers the command instead of `+` ends it there.
//! - **Pipelining** (RFC 3501 §5.5): commands leave without waiting for earlier
//!   completions, except those that change the session (LOGIN, AUTHENTICATE, STARTTLS,
//!   SELECT, EXAMINE, CLOSE, UNSELECT, ENABLE, IDLE, LOGOUT), which wait for everything
//!   before them and hold back everything after them, and commands with message numbers,
//!   which wait while a command during which EXPUNGE may come is outstanding.
//! - **STARTTLS**: after its OK, [`Transport::StartTls`]; octets the server sent after
//!   the OK are discarded and reported ([`ProtocolError::DataAfterStartTls`]).
//! - **AUTHENTICATE**: PLAIN by itself (with SASL-IR when offered), any other mechanism
//!   stepped by the application ([`ClientEvent::SaslChallenge`], [`Client::sasl_respond`]).
//! - **SELECT / EXAMINE**: the mailbox state ([`MailboxState`]: EXISTS, RECENT, FLAGS,
//!   PERMANENTFLAGS, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, read-only), kept up to date by
//!   later EXISTS, EXPUNGE and VANISHED.
//! - **FETCH**: message content (`BODY[...]`, `BINARY[...]`, `RFC822*`) that comes as a
//!   literal streams out as [`ClientEvent::BodyChunk`]s as it arrives, never gathered;
//!   the rest of the response is one [`ClientEvent::Fetch`], bounded by
//!   [`ClientConfig::max_response_length`].
//! - **IDLE** with [`ClientEvent::IdleStarted`], updates as events, DONE on
//!   [`Client::idle_done`] or after [`ClientConfig::idle_refresh`]; **ENABLE** with the
//!   codec following what was enabled (UTF8=ACCEPT, IMAP4rev2).
//! - **Completions** paired with their commands ([`ClientEvent::Completed`]), untagged
//!   data attributed to the command in flight, BYE, a response timeout, and protocol
//!   errors as events ([`ClientEvent::ProtocolError`]), never panics.
//!
//! ```
//! use std::time::Instant;
//! use mailwire_core::Session;
//! use mailwire_imap::client::{Client, ClientConfig, ClientEvent};
//! use mailwire_imap::types::State;
//!
//! let now = Instant::now();
//! let mut client = Client::new(ClientConfig::default(), now);
//! let login = client.login("mrc", "secret").unwrap();
//! client.handle_input(now, b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n");
//! let mut wire = Vec::new();
//! while client.poll_transmit(&mut wire) > 0 {}
//! assert_eq!(wire, b"A1 LOGIN mrc secret\r\n");
//!
//! client.handle_input(now, b"A1 OK [CAPABILITY IMAP4rev1 IDLE] LOGIN completed\r\n");
//! let mut completed = None;
//! while let Some(event) = client.poll_event() {
//!     if let ClientEvent::Completed { id, state, .. } = event {
//!         completed = Some((id, state));
//!     }
//! }
//! assert_eq!(completed, Some((login, State::Ok)));
//! ```
//!
//! [`CommandBody`]: crate::types::CommandBody
//! [`Transport::StartTls`]: mailwire_core::Transport::StartTls

mod config;
mod error;
mod event;
mod machine;
mod reader;
#[cfg(test)]
mod tests;

pub use config::{
    ClientConfig, CounterTags, TagGenerator, DEFAULT_IDLE_REFRESH, DEFAULT_MAX_LINE_LENGTH,
    DEFAULT_MAX_RESPONSE_LENGTH, DEFAULT_MAX_STREAMED_LITERAL, DEFAULT_RESPONSE_TIMEOUT,
};
pub use error::{ClientError, ProtocolError};
pub use event::{BodyItem, ClientEvent, ClientState, CloseReason, CommandId, MailboxState};
pub use machine::Client;
