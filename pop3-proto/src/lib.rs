//! POP3 (RFC 1939, 2449, 2595, 5034, 6856): Sans-IO codec and session machines.
//!
//! Part of the mailwire family; see the workspace README.
#![forbid(unsafe_code)]
