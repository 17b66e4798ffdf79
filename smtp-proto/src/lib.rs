//! SMTP and ESMTP (RFC 5321 and extensions): Sans-IO codec and session machines.
//!
//! Part of the mailwire family; see the workspace README.
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
pub mod error;
#[cfg(feature = "tls")]
pub mod mailer;
pub mod server;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod types;

/// The README's examples, compiled as doctests.
#[cfg(all(doctest, feature = "tls"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
