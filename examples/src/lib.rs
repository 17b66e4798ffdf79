//! The mailwire reference mail server, as a library: the parts that the `mailserver`
//! binary composes, usable as an embeddable test server from Rust tests.
//!
//! - [`queue`]: the durable spool between the SMTP listeners and delivery, with its
//!   retry schedule and runner.
//! - [`bounce`]: delivery status notifications (RFC 3464) for the queue.
//! - [`delivery`]: the LMTP hand-off, the delivery agent and the Maildir store.
//! - [`dns`]: MX, address, PTR and TXT lookups through hickory.
//! - [`relay`]: delivery to other domains over SMTP (MX lookups or a smart host).
//! - [`config`]: the configuration file, written with every default at first start.
//! - [`users`]: the user store (Argon2id password hashes).
//! - [`tls`]: the certificate, made self-signed at first start.
//! - [`inbound`]: the SMTP listeners (MX, submission, submissions) and their sessions.
//! - [`mx_auth`]: SPF, DKIM and DMARC of mail arriving on the MX listener.
//! - [`mailstore`]: the users' mailboxes (Maildir++ folders, UIDs, flags) that the IMAP
//!   and POP3 servers read.
//! - [`access`]: the mailbox-access listeners (POP3, POP3S, IMAP, IMAPS) and their
//!   sessions.
//! - [`server`]: starts the whole system (listeners, queue runner, delivery agent) and
//!   stops it.
//! - [`harness`]: the embeddable test server: the whole system on ephemeral ports with a
//!   test CA, a record of what it received, and faults per SMTP command.
#![forbid(unsafe_code)]

pub mod access;
pub mod bounce;
pub mod config;
pub mod delivery;
pub mod dkim;
pub mod dns;
pub mod harness;
pub mod inbound;
pub mod mailstore;
pub mod mx_auth;
pub mod queue;
pub mod relay;
pub mod server;
pub mod tls;
pub mod users;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
