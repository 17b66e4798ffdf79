//! Validated, borrowing SMTP data types: commands, paths, parameters, replies and EHLO
//! capabilities.
//!
//! Constructors validate, so a value that exists encodes to valid SMTP. Decoded values
//! borrow the input; every type has an `into_owned` giving a `'static` copy.
//!
//! Text values (domains, local parts, xtext, arguments, ...) keep the octets the grammar
//! accepted, so decoding a command makes no UTF-8 pass per value; `as_str` makes the
//! `&str` when it is called (a check that cannot fail, as cheap as a scan of the value),
//! and `as_bytes` where offered gives the octets for free.

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
