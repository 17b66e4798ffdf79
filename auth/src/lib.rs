#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod dkim;
pub mod dmarc;
pub mod dns;
pub mod results;
pub mod spf;
#[cfg(feature = "tokio")]
pub mod tokio;
