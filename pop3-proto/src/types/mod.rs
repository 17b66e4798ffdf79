//! Validated POP3 data types; no parsing here (see [`crate::codec`]).

mod atoms;
mod capability;
mod command;
mod response;

pub use atoms::{
    ApopDigest, ApopTimestamp, Mechanism, MessageNumber, Password, Text, UniqueId, Word,
    MAX_MECHANISM_LENGTH, MAX_TIMESTAMP_LENGTH, MAX_UNIQUE_ID_LENGTH,
};
pub use capability::{Capability, ExpirePolicy};
pub use command::{Command, CommandName, ResponseKind, SaslResponse};
pub use response::{
    DropListing, KnownCode, LanguageListing, Response, ResponseCode, ScanListing, StatusIndicator,
    StatusLine, UniqueIdListing, MAX_CODE_LEVELS,
};
