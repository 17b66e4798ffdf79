#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
pub mod server;
#[cfg(feature = "tokio")]
pub mod tokio;

/// Validated, borrowing data types: mailwire-smtp's, which LMTP shares (RFC 2033 §4).
pub use mailwire_smtp::types;

pub use mailwire_core::{Session, Transport};
