#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
pub mod transfer;

pub mod build;
pub mod edit;
pub mod encode;

pub mod charset;
pub mod encoded_word;
pub mod error;
pub mod header;
pub mod limits;
pub mod stream;
pub mod tree;
