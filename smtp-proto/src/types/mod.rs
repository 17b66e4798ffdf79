//! Validated, borrowing SMTP data types: commands, paths, parameters, replies and EHLO
//! capabilities.
//!
//! Constructors validate, so a value that exists encodes to valid SMTP. Decoded values
//! borrow the input; every type has an `into_owned` giving a `'static` copy.

mod address;
mod capability;
mod command;
mod params;
mod reply;
mod text;

pub(crate) use text::Text;

pub use address::{
    AddressLiteral, Domain, ForwardPath, GeneralLiteral, Host, LocalPart, Mailbox, Path,
    ReversePath, SourceRoute, MAX_DOMAIN_LEN, MAX_LABEL_LEN, MAX_LOCAL_PART_LEN, MAX_PATH_LEN,
};
pub use capability::{
    Capability, CapabilityParams, EhloResponse, Limits, MechanismList, UnknownCapability,
};
pub use command::{Argument, Command, Mechanism, SaslData, SaslResponse, Verb};
pub use params::{
    AuthIdentity, Body, EsmtpParameter, MailParameters, Notify, OriginalRecipient, OtherParameters,
    RcptParameters, Ret, XText,
};
pub use reply::{EnhancedStatusCode, Reply, ReplyCode, MAX_REPLY_LINE_LEN};
