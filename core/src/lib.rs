//! Shared mechanics of the mailwire crates: line framing, dot-stuffing, secrets, the Session trait and the tokio driver.
//!
//! Part of the mailwire family; see the workspace README.
#![forbid(unsafe_code)]
