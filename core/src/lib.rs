#![doc = include_str!("../README.md")]
//!
//! Shared mechanics of the mailwire protocol crates.
//!
//! Every protocol crate of the family (SMTP, LMTP, POP3, IMAP) frames lines, moves
//! dot-stuffed bodies and drives a Sans-IO [`Session`] the same way; that logic lives here
//! once:
//!
//! - [`Status`]: the result of a stateless decode (`Complete` or `Partial`).
//! - [`line::LineBuffer`]: CRLF line framing with a maximum line length and resynchronisation
//!   after an over-long line, plus raw access for bodies and literals.
//! - [`dot::DotUnstuffer`] and [`dot::DotStuffer`]: streaming dot-unstuffing (strict: only
//!   `<CRLF>.<CRLF>` ends the data) and dot-stuffing.
//! - [`Secret`]: a value whose `Debug` never shows it.
//! - [`Session`]: the one vocabulary of the eight state machines.
//! - [`sasl`]: the PLAIN (RFC 4616) and LOGIN messages, decoded and encoded.
//! - `tokio::Driver` (feature `tokio`): one generic driver over any `AsyncRead + AsyncWrite`.
//! - `tls::client_config` (feature `tls`): the rustls client configuration for the trusted
//!   roots the application chose (`tls::Trust`).
//!
//! ```
//! use mailwire_core::line::{Line, LineBuffer, LineEnding};
//!
//! let mut lines = LineBuffer::new(512);
//! lines.extend(b"EHLO client.example\r\nMAIL FR");
//! match lines.next_line() {
//!     Some(Line::Complete { bytes, ending }) => {
//!         assert_eq!(&bytes[..], b"EHLO client.example");
//!         assert_eq!(ending, LineEnding::Crlf);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//! assert!(lines.next_line().is_none()); // "MAIL FR" waits for its line end
//! ```
#![forbid(unsafe_code)]

pub mod dot;
pub mod line;
pub mod sasl;
mod secret;
mod session;
mod status;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use secret::Secret;
pub use session::{Session, Transport};
pub use status::Status;
