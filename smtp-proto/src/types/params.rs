//! MAIL and RCPT parameters (`esmtp-param`, RFC 5321 §4.1.2) and xtext (RFC 3461 §4).
//!
//! Known parameters get typed fields: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030),
//! SMTPUTF8 (RFC 6531), RET and ENVID (RFC 3461), AUTH (RFC 4954), REQUIRETLS
//! (RFC 8689) on MAIL; NOTIFY and ORCPT (RFC 3461) on RCPT. Every other parameter is kept
//! in [`OtherParameters`], in order, never dropped.
//!
//! Decoding does not allocate: unknown parameters stay a borrowed slice of the command
//! line that is iterated on demand.

use std::borrow::Cow;
use std::fmt;

use crate::codec::parse::params as grammar;
use crate::error::DecodeError;
use crate::types::{Mailbox, Text};

/// `BODY=` (RFC 6152 §2, RFC 3030 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// `7BIT`.
    SevenBit,
    /// `8BITMIME`.
    EightBitMime,
    /// `BINARYMIME` (requires BDAT).
    BinaryMime,
}

impl Body {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Body::SevenBit => "7BIT",
            Body::EightBitMime => "8BITMIME",
            Body::BinaryMime => "BINARYMIME",
        }
    }
}

/// `RET=` (RFC 3461 §4.3): what a failure DSN returns of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `FULL`: the whole message.
    Full,
    /// `HDRS`: the headers only.
    Headers,
}

impl Ret {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Ret::Full => "FULL",
            Ret::Headers => "HDRS",
        }
    }
}

/// `NOTIFY=` (RFC 3461 §4.1): `NEVER` or a non-empty set of SUCCESS, FAILURE, DELAY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Notify {
    bits: u8,
}

impl Notify {
    const SUCCESS: u8 = 1;
    const FAILURE: u8 = 2;
    const DELAY: u8 = 4;

    /// `NOTIFY=NEVER`.
    pub const NEVER: Notify = Notify { bits: 0 };

    /// A set of conditions; `None` when all three are false (use [`Notify::NEVER`]).
    pub fn on(success: bool, failure: bool, delay: bool) -> Option<Notify> {
        let bits = u8::from(success) * Self::SUCCESS
            + u8::from(failure) * Self::FAILURE
            + u8::from(delay) * Self::DELAY;
        (bits != 0).then_some(Notify { bits })
    }

    /// True for `NEVER`.
    pub fn is_never(self) -> bool {
        self.bits == 0
    }

    /// Notify on successful delivery.
    pub fn success(self) -> bool {
        self.bits & Self::SUCCESS != 0
    }

    /// Notify on failure.
    pub fn failure(self) -> bool {
        self.bits & Self::FAILURE != 0
    }

    /// Notify on delay.
    pub fn delay(self) -> bool {
        self.bits & Self::DELAY != 0
    }
}

impl fmt::Display for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_never() {
            return f.write_str("NEVER");
        }
        let mut first = true;
        for (set, name) in [
            (self.success(), "SUCCESS"),
            (self.failure(), "FAILURE"),
            (self.delay(), "DELAY"),
        ] {
            if set {
                if !first {
                    f.write_str(",")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Text in xtext form (RFC 3461 §4): printable ASCII except `+` and `=`, other octets as
/// `+HH` (upper-case hex). Holds the encoded form; [`XText::decode`] gives the octets.
///
/// Never empty: every parameter that carries xtext (ENVID, ORCPT, AUTH) needs a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XText<'a>(Text<'a>);

impl<'a> XText<'a> {
    /// Validates text already in xtext form (non-empty).
    ///
    /// ```
    /// use mailwire_smtp::types::XText;
    /// let text = XText::new("e+3Dmc2@example.com").unwrap();
    /// assert_eq!(&*text.decode(), b"e=mc2@example.com");
    /// assert!(XText::new("a=b").is_err());
    /// ```
    pub fn new(encoded: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let encoded = encoded.into();
        if !grammar::is_xtext(encoded.as_bytes()) {
            return Err(DecodeError::InvalidXtext);
        }
        Ok(XText(Text::from_cow(encoded)))
    }

    /// Encodes octets as xtext; fails on empty input.
    ///
    /// ```
    /// use mailwire_smtp::types::XText;
    /// assert_eq!(XText::encode(b"a b+c").unwrap().as_str(), "a+20b+2Bc");
    /// assert!(XText::encode(b"").is_err());
    /// ```
    pub fn encode(raw: &[u8]) -> Result<XText<'static>, DecodeError> {
        if raw.is_empty() {
            return Err(DecodeError::InvalidXtext);
        }
        Ok(XText(Text::from_cow(Cow::Owned(grammar::xtext_encode(
            raw,
        )))))
    }

    /// Encodes a mailbox (never empty: it holds an `@`).
    fn encode_mailbox(mailbox: &Mailbox<'_>) -> XText<'static> {
        XText(Text::from_cow(Cow::Owned(grammar::xtext_encode(
            mailbox.to_string().as_bytes(),
        ))))
    }

    pub(crate) fn from_valid(encoded: &'a [u8]) -> Self {
        XText(Text::from_valid(encoded))
    }

    /// The encoded form.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The encoded form, as octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The decoded octets (borrowed when there is no `+HH`).
    pub fn decode(&self) -> Cow<'_, [u8]> {
        grammar::xtext_decode(self.0.as_bytes())
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> XText<'static> {
        XText(self.0.into_owned())
    }
}

/// `ORCPT=addr-type;xtext` (RFC 3461 §4.2): the original recipient.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OriginalRecipient<'a> {
    address_type: Text<'a>,
    address: XText<'a>,
}

impl<'a> OriginalRecipient<'a> {
    /// Builds an ORCPT value; `address_type` is an atom such as `rfc822`.
    pub fn new(
        address_type: impl Into<Cow<'a, str>>,
        address: XText<'a>,
    ) -> Result<Self, DecodeError> {
        let address_type = address_type.into();
        if !grammar::is_atom(address_type.as_bytes()) {
            return Err(DecodeError::InvalidParameter { keyword: "ORCPT" });
        }
        Ok(OriginalRecipient {
            address_type: Text::from_cow(address_type),
            address,
        })
    }

    /// `rfc822;` plus the xtext of a mailbox, the usual form.
    pub fn rfc822(mailbox: &Mailbox<'_>) -> OriginalRecipient<'static> {
        OriginalRecipient {
            address_type: Text::from_static("rfc822"),
            address: XText::encode_mailbox(mailbox),
        }
    }

    pub(crate) fn from_valid(address_type: &'a [u8], address: &'a [u8]) -> Self {
        OriginalRecipient {
            address_type: Text::from_valid(address_type),
            address: XText::from_valid(address),
        }
    }

    /// The address type (`rfc822`, `utf-8`, ...).
    pub fn address_type(&self) -> &str {
        self.address_type.as_str()
    }

    /// The address, xtext-encoded.
    pub fn address(&self) -> &XText<'a> {
        &self.address
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> OriginalRecipient<'static> {
        OriginalRecipient {
            address_type: self.address_type.into_owned(),
            address: self.address.into_owned(),
        }
    }
}

/// `AUTH=` on MAIL (RFC 4954 §5): who submitted the message, or `<>` for unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthIdentity<'a> {
    /// `AUTH=<>`: the submitter is not known or not trusted.
    Unknown,
    /// An xtext whose decoded form is a mailbox.
    Mailbox(XText<'a>),
}

impl<'a> AuthIdentity<'a> {
    /// `AUTH=` for a mailbox (xtext-encoded).
    pub fn from_mailbox(mailbox: &Mailbox<'_>) -> AuthIdentity<'static> {
        AuthIdentity::Mailbox(XText::encode_mailbox(mailbox))
    }

    /// Validates an xtext value: it must decode to `<>` or a mailbox.
    pub fn new(value: XText<'a>) -> Result<Self, DecodeError> {
        grammar::auth_identity_from_xtext(value)
    }

    /// The mailbox, decoded from its xtext; `None` for `<>`.
    pub fn mailbox(&self) -> Option<Mailbox<'static>> {
        match self {
            AuthIdentity::Unknown => None,
            AuthIdentity::Mailbox(x) => {
                let octets = x.decode();
                let text = std::str::from_utf8(&octets).ok()?;
                Mailbox::parse(text).ok().map(Mailbox::into_owned)
            }
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> AuthIdentity<'static> {
        match self {
            AuthIdentity::Unknown => AuthIdentity::Unknown,
            AuthIdentity::Mailbox(x) => AuthIdentity::Mailbox(x.into_owned()),
        }
    }
}

/// One `esmtp-keyword ["=" esmtp-value]` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EsmtpParameter<'a> {
    /// The keyword, as written (compare ignoring ASCII case).
    pub keyword: &'a str,
    /// The value after `=`, if any.
    pub value: Option<&'a str>,
}

/// The parameters without a typed field, in the order the peer sent them.
///
/// Decoded values borrow the whole parameter section of the command line and skip the
/// known keywords when iterated, so decoding stays allocation-free.
#[derive(Clone, Default)]
pub struct OtherParameters<'a> {
    raw: Text<'a>,
}

impl<'a> OtherParameters<'a> {
    /// No parameters.
    pub fn new() -> Self {
        OtherParameters {
            raw: Text::from_static(""),
        }
    }

    /// A view on an already validated parameter section.
    pub(crate) fn from_valid(raw: &'a [u8]) -> Self {
        OtherParameters {
            raw: Text::from_valid(raw),
        }
    }

    /// Appends a parameter; rejects known keywords (they have typed fields), keywords not
    /// of `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`, and values outside `esmtp-value`.
    ///
    /// ```
    /// use mailwire_smtp::types::OtherParameters;
    /// let mut other = OtherParameters::new();
    /// other.push("X-TRACE", Some("abc")).unwrap();
    /// other.push("HOLD", None).unwrap();
    /// assert!(other.push("SIZE", Some("10")).is_err());
    /// assert_eq!(other.iter().count(), 2);
    /// ```
    pub fn push(&mut self, keyword: &str, value: Option<&str>) -> Result<(), DecodeError> {
        if !grammar::is_esmtp_keyword(keyword.as_bytes()) {
            return Err(DecodeError::MalformedParameter);
        }
        if let Some(known) = grammar::known_keyword(keyword) {
            return Err(DecodeError::ReservedParameter { keyword: known });
        }
        if let Some(value) = value {
            if !grammar::is_esmtp_value(value.as_bytes(), true) {
                return Err(DecodeError::MalformedParameter);
            }
        }
        let raw = &mut self.raw;
        if !raw.as_bytes().is_empty() {
            raw.push_str(" ");
        }
        raw.push_str(keyword);
        if let Some(value) = value {
            raw.push_str("=");
            raw.push_str(value);
        }
        Ok(())
    }

    /// The parameters, in order.
    pub fn iter(&self) -> impl Iterator<Item = EsmtpParameter<'_>> + '_ {
        grammar::split_params(self.raw.as_str())
            .filter(|p| grammar::known_keyword(p.keyword).is_none())
    }

    /// The first parameter with this keyword (ASCII case ignored).
    pub fn get(&self, keyword: &str) -> Option<EsmtpParameter<'_>> {
        self.iter()
            .find(|p| p.keyword.eq_ignore_ascii_case(keyword))
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }

    /// A copy that owns its text (only the unknown parameters are kept).
    pub fn into_owned(self) -> OtherParameters<'static> {
        let mut raw = String::new();
        for p in self.iter() {
            if !raw.is_empty() {
                raw.push(' ');
            }
            raw.push_str(p.keyword);
            if let Some(v) = p.value {
                raw.push('=');
                raw.push_str(v);
            }
        }
        OtherParameters {
            raw: Text::from_cow(Cow::Owned(raw)),
        }
    }
}

impl PartialEq for OtherParameters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for OtherParameters<'_> {}

impl fmt::Debug for OtherParameters<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Parameters of MAIL FROM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailParameters<'a> {
    /// `SIZE=n`: declared message size in octets (RFC 1870).
    pub size: Option<u64>,
    /// `BODY=`: body type (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// `SMTPUTF8`: the message needs SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// `RET=`: what a failure DSN returns (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=`: envelope identifier for DSNs (RFC 3461).
    pub envid: Option<XText<'a>>,
    /// `AUTH=`: submitter identity (RFC 4954).
    pub auth: Option<AuthIdentity<'a>>,
    /// `REQUIRETLS` (RFC 8689).
    pub requiretls: bool,
    /// Every other parameter.
    pub other: OtherParameters<'a>,
}

impl MailParameters<'_> {
    /// True when no parameter at all is set.
    pub fn is_empty(&self) -> bool {
        self.size.is_none()
            && self.body.is_none()
            && !self.smtputf8
            && self.ret.is_none()
            && self.envid.is_none()
            && self.auth.is_none()
            && !self.requiretls
            && self.other.is_empty()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> MailParameters<'static> {
        MailParameters {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: self.envid.map(XText::into_owned),
            auth: self.auth.map(AuthIdentity::into_owned),
            requiretls: self.requiretls,
            other: self.other.into_owned(),
        }
    }
}

/// Parameters of RCPT TO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RcptParameters<'a> {
    /// `NOTIFY=`: when to send DSNs (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=`: the original recipient (RFC 3461).
    pub orcpt: Option<OriginalRecipient<'a>>,
    /// Every other parameter.
    pub other: OtherParameters<'a>,
}

impl RcptParameters<'_> {
    /// True when no parameter at all is set.
    pub fn is_empty(&self) -> bool {
        self.notify.is_none() && self.orcpt.is_none() && self.other.is_empty()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> RcptParameters<'static> {
        RcptParameters {
            notify: self.notify,
            orcpt: self.orcpt.map(OriginalRecipient::into_owned),
            other: self.other.into_owned(),
        }
    }
}
