//! IMAP4rev1 and IMAP4rev2 with extensions: Sans-IO codec and session machines.
//!
//! Part of the mailwire family; see the workspace README.
#![forbid(unsafe_code)]
