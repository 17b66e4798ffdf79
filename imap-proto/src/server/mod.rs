//! The IMAP server machine (Sans-IO): IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051).
//!
//! [`Server`] implements [`mailwire_core::Session`]: client octets in, responses and
//! [`ServerEvent`]s out, a timer through `poll_timeout`/`handle_timeout`. It never
//! touches a socket or a clock.
//!
//! What the machine does by itself:
//! - **States** (not authenticated, authenticated, selected, logout) and which commands
//!   each allows; commands of extensions not advertised, misplaced and malformed
//!   commands get BAD and the session goes on; too many of them end it with `* BYE`.
//! - **Commands in order**: one command at a time (RFC 9051 §5.5 permits no more
//!   without knowing each command's effects); those pipelined behind it wait in the
//!   input buffer, within [`ServerConfig::max_pipelined_input`], so responses always
//!   leave in command order whatever the application's pace.
//! - **Literals**: a synchronizing literal gets `+` only once the limits (and, for
//!   APPEND's message, the application) accept its size; otherwise the command is
//!   refused before a single octet of it is read. Non-synchronizing literals (LITERAL+,
//!   LITERAL-, and IMAP4rev2's 4096-octet ones) are checked the same way; a refused one
//!   is read and dropped, or ends the session when larger than
//!   [`ServerConfig::max_discarded_literal`] (RFC 7888 §4). APPEND's message octets flow
//!   to the application as [`ServerEvent::AppendData`] chunks and are never gathered;
//!   MULTIAPPEND too.
//! - **CAPABILITY, LOGOUT, STARTTLS** (pipelined plaintext after it is dropped and
//!   reported), **ENABLE** (CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4rev2: the codec
//!   options follow), **IDLE** (`+ idling` ... DONE), **LOGIN** with the LOGINDISABLED
//!   policy before TLS, **AUTHENTICATE** with SASL-IR: PLAIN decoded by the machine,
//!   other mechanisms stepped by the application.
//! - **Unsolicited updates** pushed by the application at any time, with EXPUNGE and
//!   VANISHED held back while no command allows them (RFC 3501 §7.4.1).
//! - **Autologout** (RFC 3501 §5.4, at least 30 minutes once logged in; shorter before)
//!   while the machine waits for the client; never while it waits for the application.
//!
//! Commands the machine answers itself (CAPABILITY, NOOP before login, ENABLE, IDLE and
//! its DONE, STARTTLS, LOGOUT) are answered as soon as they arrive, also while the
//! application has not yet looked at earlier informational events ([`ServerEvent::Idle`],
//! [`ServerEvent::Enabled`], ...): an update pushed in reaction to `Idle` may leave after
//! that IDLE already ended, as a (correct) unsolicited response. Everything that needs a
//! decision stops the reading until the decision comes, so the answers never depend on
//! how the client's octets were cut into reads.
//!
//! The application answers everything mailbox-related: [`ServerEvent::Command`] (SELECT,
//! FETCH, SEARCH, STORE, LIST, ...) with [`Server::send_data`] and [`Server::complete`],
//! logins, APPEND, SASL steps. Decisions take `now` because the autologout timer restarts
//! when the server has finished answering.
//!
//! ```
//! use std::time::Instant;
//! use mailwire_core::Session;
//! use mailwire_imap::server::{CleartextLogin, Server, ServerConfig, ServerEvent};
//!
//! let now = Instant::now();
//! let config = ServerConfig {
//!     cleartext_login: CleartextLogin::Allow,
//!     capability_in_greeting: false,
//!     capability_after_login: false,
//!     ..ServerConfig::default()
//! };
//! let mut server = Server::new(config, now);
//! server.handle_input(now, b"a001 login mrc secret\r\n");
//! let Some(ServerEvent::Login { id, credentials, .. }) = server.poll_event() else {
//!     panic!("no login");
//! };
//! assert_eq!(credentials.username, "mrc");
//! if credentials.password.expose() == "secret" {
//!     server.ok(now, id, "LOGIN completed").unwrap();
//! }
//! let mut out = Vec::new();
//! while server.poll_transmit(&mut out) > 0 {}
//! assert_eq!(out, b"* OK IMAP server ready\r\na001 OK LOGIN completed\r\n");
//! ```

mod config;
mod error;
mod event;
mod framing;
mod machine;
mod sasl;
#[cfg(test)]
mod tests;

pub use config::{
    CleartextLogin, ServerConfig, Versions, DEFAULT_AUTOLOGOUT, DEFAULT_MAX_APPEND_SIZE,
    DEFAULT_MAX_COMMAND_LENGTH, DEFAULT_MAX_DISCARDED_LITERAL, DEFAULT_MAX_ERRORS,
    DEFAULT_MAX_HELD_UPDATES, DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_LITERAL_LENGTH,
    DEFAULT_MAX_PIPELINED_INPUT, DEFAULT_UNAUTHENTICATED_TIMEOUT,
};
pub use error::ServerError;
pub use event::{
    AppendFormat, AppendedMessage, CloseReason, CommandId, Credentials, Delivery, LoginMethod,
    ServerEvent, SessionState,
};
pub use machine::Server;
