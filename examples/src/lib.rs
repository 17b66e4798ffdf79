//! The mailwire reference mail server, as a library: the parts that the `mailserver`
//! binary composes, usable as an embeddable test server from Rust tests.
//!
//! - [`queue`]: the durable spool between the SMTP listeners and delivery.
#![forbid(unsafe_code)]

pub mod queue;
