//! The mailwire reference mail server, as a library: the parts that the `mailserver`
//! binary composes, usable as an embeddable test server from Rust tests.
//!
//! - [`queue`]: the durable spool between the SMTP listeners and delivery, with its
//!   retry schedule and runner.
//! - [`bounce`]: delivery status notifications (RFC 3464) for the queue.
#![forbid(unsafe_code)]

pub mod bounce;
pub mod queue;
