//! The PLAIN SASL mechanism (RFC 4616): `[authzid] NUL authcid NUL passwd`.
//!
//! The one implementation lives in [`mailwire_core::sasl`], shared with the SMTP and IMAP
//! crates; these are its re-exports.

pub use mailwire_core::sasl::{PlainCredentials, PlainError, MAX_PLAIN_FIELD};
