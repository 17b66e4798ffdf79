//! LMTP (RFC 2033) on top of mailwire-smtp: Sans-IO session machines.
//!
//! Part of the mailwire family; see the workspace README.
#![forbid(unsafe_code)]
