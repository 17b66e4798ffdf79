#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod chars;
pub mod client;
pub mod codec;
pub mod error;
#[cfg(feature = "mime")]
pub mod mime;
pub mod server;
#[cfg(feature = "tls")]
pub mod session;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod types;

pub use error::{DecodeError, ValidationError};
