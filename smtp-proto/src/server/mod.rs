//! The SMTP and LMTP server machine (Sans-IO): RFC 5321 with PIPELINING (RFC 2920),
//! STARTTLS (RFC 3207), AUTH (RFC 4954, PLAIN RFC 4616, LOGIN), CHUNKING and BINARYMIME
//! (RFC 3030), SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES
//! (RFC 2034, RFC 3463), DSN parameters (RFC 3461) and LMTP (RFC 2033).
//!
//! [`ServerSession`] implements [`mailwire_core::Session`]: bytes in, replies and
//! [`ServerEvent`]s out, a timer through `poll_timeout`/`handle_timeout`. It never
//! touches a socket or a clock; the tokio driver (feature `tokio`) or your own loop moves
//! the bytes.
//!
//! What the machine guarantees:
//! - Replies leave in command order, whatever order the application decides in.
//! - DATA ends only at `<CRLF>.<CRLF>`: `\n.\n`, `\r\n.\n`, `\n.\r\n` and `\r.\r` are
//!   message text (no SMTP smuggling). The body is streamed in [`ServerEvent::MessageData`]
//!   chunks, never gathered; the size limit is enforced while it streams.
//! - Bytes pipelined after STARTTLS are dropped and reported
//!   ([`ServerEvent::DiscardedAfterStartTls`]); after the handshake the client must EHLO
//!   again and STARTTLS is neither offered nor accepted.
//! - Malformed commands get 500/501 and the session goes on; too many errors, too much
//!   silence (RFC 5321 §4.5.3.2) or too much input while waiting for the application end
//!   it with 421.

mod config;
mod error;
mod event;
mod outbox;
mod sasl;
mod session;
#[cfg(test)]
mod tests;

pub use config::{
    ConfigError, Delegation, Flavor, Greeting, ServerConfig, ServerConfigBuilder,
    DEFAULT_COMMAND_TIMEOUT, DEFAULT_DATA_TIMEOUT, DEFAULT_MAX_ERRORS, DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_PENDING_INPUT, DEFAULT_MAX_RECIPIENTS,
};
pub use error::ServerError;
pub use event::{AbortReason, CloseReason, DataMode, HelloKind, ReplyId, ServerEvent};
pub use session::ServerSession;
