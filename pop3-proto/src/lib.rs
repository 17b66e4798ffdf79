#![doc = include_str!("../README.md")]
//!
//! # Layout
//!
//! - [`types`]: validated commands, responses, capabilities, response codes.
//! - [`codec`]: stateless `decode_*`/`encode_*` of both directions, with the limits of
//!   RFC 2449 §4.
//! - [`server`]: the server machine (AUTHORIZATION, TRANSACTION, UPDATE).
//! - [`client`]: the client machine.
//! - [`sasl`]: the PLAIN mechanism (RFC 4616).
//! - `tokio` (feature `tokio`): the core driver re-exported, with async conveniences.
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
pub mod error;
pub mod sasl;
pub mod server;
#[cfg(feature = "tls")]
pub mod session;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod types;

pub use error::{DecodeError, SessionError, ValueError};
