//! EHLO capabilities (RFC 5321 §4.1.1.1 `ehlo-line`) as typed values.
//!
//! Every keyword of the IANA "SMTP Service Extensions" registry this crate knows has its
//! own variant; anything else (XCLIENT, XFORWARD, VRFY, vendor keywords) is kept as
//! [`Capability::Unknown`] with its parameters.

use std::borrow::Cow;
use std::fmt;

use crate::codec::parse::capability as grammar;
use crate::error::DecodeError;
use crate::types::{Mechanism, Reply};

/// Parameters after an EHLO keyword: `*(SP ehlo-param)`, `ehlo-param = 1*(%d33-126)`.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct CapabilityParams<'a>(Cow<'a, str>);

impl<'a> CapabilityParams<'a> {
    /// No parameters.
    pub fn none() -> CapabilityParams<'static> {
        CapabilityParams(Cow::Borrowed(""))
    }

    /// Validates parameters separated by single spaces.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let text = text.into();
        if !grammar::is_param_list(text.as_bytes()) {
            return Err(DecodeError::InvalidEhloLine);
        }
        Ok(CapabilityParams(text))
    }

    pub(crate) fn from_valid(text: &'a str) -> Self {
        CapabilityParams(Cow::Borrowed(text))
    }

    /// The parameters as written, separated by spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Each parameter.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split(' ').filter(|p| !p.is_empty())
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> CapabilityParams<'static> {
        CapabilityParams(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for CapabilityParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The `LIMITS` capability (RFC 9422): `name=value` pairs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Limits<'a>(CapabilityParams<'a>);

impl<'a> Limits<'a> {
    /// Validates `limit *(SP limit)`, `limit = name "=" value`; the registered limits
    /// RCPTMAX, MAILMAX and RCPTDOMAINMAX must be `1*6DIGIT`.
    pub fn new(params: CapabilityParams<'a>) -> Result<Self, DecodeError> {
        if !grammar::is_limits(params.as_str()) {
            return Err(DecodeError::InvalidCapability { keyword: "LIMITS" });
        }
        Ok(Limits(params))
    }

    pub(crate) fn from_valid(params: &'a str) -> Self {
        Limits(CapabilityParams::from_valid(params))
    }

    /// `RCPTMAX`: most recipients per transaction.
    pub fn rcpt_max(&self) -> Option<u32> {
        self.number("RCPTMAX")
    }

    /// `MAILMAX`: most transactions per session.
    pub fn mail_max(&self) -> Option<u32> {
        self.number("MAILMAX")
    }

    /// `RCPTDOMAINMAX`: most recipient domains per transaction.
    pub fn rcpt_domain_max(&self) -> Option<u32> {
        self.number("RCPTDOMAINMAX")
    }

    /// Every `(name, value)` pair, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.0.iter().filter_map(|p| p.split_once('='))
    }

    /// The parameters as written.
    pub fn params(&self) -> &CapabilityParams<'a> {
        &self.0
    }

    fn number(&self, name: &str) -> Option<u32> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.parse().ok())
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Limits<'static> {
        Limits(self.0.into_owned())
    }
}

/// A keyword outside the typed set, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownCapability<'a> {
    keyword: Cow<'a, str>,
    params: CapabilityParams<'a>,
}

impl<'a> UnknownCapability<'a> {
    /// Validates an `ehlo-keyword` that has no typed variant.
    ///
    /// ```
    /// use mailwire_smtp::types::{CapabilityParams, UnknownCapability};
    /// assert!(UnknownCapability::new("XCLIENT", CapabilityParams::new("NAME ADDR").unwrap()).is_ok());
    /// assert!(UnknownCapability::new("PIPELINING", CapabilityParams::none()).is_err());
    /// ```
    pub fn new(
        keyword: impl Into<Cow<'a, str>>,
        params: CapabilityParams<'a>,
    ) -> Result<Self, DecodeError> {
        let keyword = keyword.into();
        if !grammar::is_keyword(keyword.as_bytes()) {
            return Err(DecodeError::InvalidEhloLine);
        }
        if let Some(known) = grammar::registered_keyword(&keyword) {
            return Err(DecodeError::InvalidCapability { keyword: known });
        }
        Ok(UnknownCapability { keyword, params })
    }

    pub(crate) fn from_valid(keyword: &'a str, params: &'a str) -> Self {
        UnknownCapability {
            keyword: Cow::Borrowed(keyword),
            params: CapabilityParams::from_valid(params),
        }
    }

    /// The keyword as written.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }

    /// Its parameters.
    pub fn params(&self) -> &CapabilityParams<'a> {
        &self.params
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> UnknownCapability<'static> {
        UnknownCapability {
            keyword: Cow::Owned(self.keyword.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

/// The SASL mechanisms of an `AUTH` capability.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MechanismList<'a>(CapabilityParams<'a>);

impl<'a> MechanismList<'a> {
    /// Builds a list from mechanisms.
    pub fn new<'m>(
        mechanisms: impl IntoIterator<Item = &'m Mechanism<'m>>,
    ) -> MechanismList<'static> {
        let mut text = String::new();
        for m in mechanisms {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(m.as_str());
        }
        MechanismList(CapabilityParams(Cow::Owned(text)))
    }

    pub(crate) fn from_valid(text: &'a str) -> Self {
        MechanismList(CapabilityParams::from_valid(text))
    }

    /// The mechanisms, in the server's order.
    pub fn iter(&self) -> impl Iterator<Item = Mechanism<'_>> + '_ {
        self.0
            .iter()
            .map(|name| Mechanism::from_valid(name.as_bytes()))
    }

    /// True when the list offers this mechanism (case ignored).
    pub fn contains(&self, mechanism: &Mechanism<'_>) -> bool {
        self.iter().any(|m| &m == mechanism)
    }

    /// The list as written, separated by spaces.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> MechanismList<'static> {
        MechanismList(self.0.into_owned())
    }
}

/// One EHLO capability line.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability<'a> {
    /// `SIZE [n]` (RFC 1870); `Some(0)` means no fixed limit, `None` no information.
    Size(Option<u64>),
    /// `PIPELINING` (RFC 2920).
    Pipelining,
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `SMTPUTF8` (RFC 6531).
    SmtpUtf8,
    /// `CHUNKING` (RFC 3030).
    Chunking,
    /// `BINARYMIME` (RFC 3030).
    BinaryMime,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mech *(SP mech)` (RFC 4954), or with `legacy_form` the pre-standard
    /// `AUTH=mech *(SP mech)` that old Microsoft clients look for.
    Auth {
        /// The offered mechanisms.
        mechanisms: MechanismList<'a>,
        /// True for the `AUTH=` spelling.
        legacy_form: bool,
    },
    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    EnhancedStatusCodes,
    /// `DSN` (RFC 3461).
    Dsn,
    /// `DELIVERBY [min-by-time]` (RFC 2852), seconds.
    DeliverBy(Option<u64>),
    /// `ETRN` (RFC 1985).
    Etrn,
    /// `ATRN` (RFC 2645).
    Atrn,
    /// `EXPN` (RFC 5321).
    Expn,
    /// `HELP` (RFC 5321).
    Help,
    /// `REQUIRETLS` (RFC 8689).
    RequireTls,
    /// `MT-PRIORITY [profile]` (RFC 6710).
    MtPriority(Option<Cow<'a, str>>),
    /// `FUTURERELEASE max-interval max-date-time` (RFC 4865).
    FutureRelease {
        /// Longest hold, in seconds.
        max_interval: u64,
        /// Latest release time, as written (RFC 3339 date-time).
        max_date_time: Cow<'a, str>,
    },
    /// `NO-SOLICITING [keywords]` (RFC 3865).
    NoSoliciting(CapabilityParams<'a>),
    /// `BURL [params]` (RFC 4468).
    Burl(CapabilityParams<'a>),
    /// `CHECKPOINT` (RFC 1845).
    Checkpoint,
    /// `CONNEG` (RFC 4141).
    Conneg,
    /// `CONPERM` (RFC 4141).
    Conperm,
    /// `SUBMITTER` (RFC 4405).
    Submitter,
    /// `MTRK` (RFC 3885).
    Mtrk,
    /// `RRVS` (RFC 7293).
    Rrvs,
    /// `VERB` (historic, Sendmail).
    Verb,
    /// `ONEX` (historic, Sendmail).
    Onex,
    /// `SEND` (RFC 821, historic).
    Send,
    /// `SOML` (RFC 821, historic).
    Soml,
    /// `SAML` (RFC 821, historic).
    Saml,
    /// `TURN` (RFC 821, historic).
    Turn,
    /// `LIMITS` (RFC 9422).
    Limits(Limits<'a>),
    /// Any other keyword.
    Unknown(UnknownCapability<'a>),
}

impl Capability<'_> {
    /// The keyword, upper case (as written for unknown keywords).
    pub fn keyword(&self) -> &str {
        grammar::keyword_of(self)
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Capability<'static> {
        match self {
            Capability::Size(n) => Capability::Size(n),
            Capability::Pipelining => Capability::Pipelining,
            Capability::EightBitMime => Capability::EightBitMime,
            Capability::SmtpUtf8 => Capability::SmtpUtf8,
            Capability::Chunking => Capability::Chunking,
            Capability::BinaryMime => Capability::BinaryMime,
            Capability::StartTls => Capability::StartTls,
            Capability::Auth {
                mechanisms,
                legacy_form,
            } => Capability::Auth {
                mechanisms: mechanisms.into_owned(),
                legacy_form,
            },
            Capability::EnhancedStatusCodes => Capability::EnhancedStatusCodes,
            Capability::Dsn => Capability::Dsn,
            Capability::DeliverBy(n) => Capability::DeliverBy(n),
            Capability::Etrn => Capability::Etrn,
            Capability::Atrn => Capability::Atrn,
            Capability::Expn => Capability::Expn,
            Capability::Help => Capability::Help,
            Capability::RequireTls => Capability::RequireTls,
            Capability::MtPriority(p) => {
                Capability::MtPriority(p.map(|p| Cow::Owned(p.into_owned())))
            }
            Capability::FutureRelease {
                max_interval,
                max_date_time,
            } => Capability::FutureRelease {
                max_interval,
                max_date_time: Cow::Owned(max_date_time.into_owned()),
            },
            Capability::NoSoliciting(p) => Capability::NoSoliciting(p.into_owned()),
            Capability::Burl(p) => Capability::Burl(p.into_owned()),
            Capability::Checkpoint => Capability::Checkpoint,
            Capability::Conneg => Capability::Conneg,
            Capability::Conperm => Capability::Conperm,
            Capability::Submitter => Capability::Submitter,
            Capability::Mtrk => Capability::Mtrk,
            Capability::Rrvs => Capability::Rrvs,
            Capability::Verb => Capability::Verb,
            Capability::Onex => Capability::Onex,
            Capability::Send => Capability::Send,
            Capability::Soml => Capability::Soml,
            Capability::Saml => Capability::Saml,
            Capability::Turn => Capability::Turn,
            Capability::Limits(l) => Capability::Limits(l.into_owned()),
            Capability::Unknown(u) => Capability::Unknown(u.into_owned()),
        }
    }
}

/// A decoded or built EHLO (or LHLO) reply: the greeting line and the capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EhloResponse<'a> {
    greeting: Cow<'a, str>,
    capabilities: Vec<Capability<'a>>,
}

impl<'a> EhloResponse<'a> {
    /// Builds a response; `greeting` is the first line's text (`domain [SP text]`).
    ///
    /// Fails when the greeting is not valid reply text or a line would exceed 512
    /// octets on the wire.
    pub fn new(
        greeting: impl Into<Cow<'a, str>>,
        capabilities: Vec<Capability<'a>>,
    ) -> Result<Self, DecodeError> {
        let greeting = greeting.into();
        grammar::check_ehlo_lines(&greeting, &capabilities)?;
        Ok(EhloResponse {
            greeting,
            capabilities,
        })
    }

    pub(crate) fn from_valid(greeting: &'a str, capabilities: Vec<Capability<'a>>) -> Self {
        EhloResponse {
            greeting: Cow::Borrowed(greeting),
            capabilities,
        }
    }

    /// The first line's text.
    pub fn greeting(&self) -> &str {
        &self.greeting
    }

    /// The server's name: the first word of the greeting.
    pub fn domain(&self) -> &str {
        self.greeting.split(' ').next().unwrap_or("")
    }

    /// The capabilities, in the server's order.
    pub fn capabilities(&self) -> &[Capability<'a>] {
        &self.capabilities
    }

    /// True when a capability without parameters (PIPELINING, STARTTLS, ...) or with the
    /// same keyword is offered.
    pub fn has_keyword(&self, keyword: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.keyword().eq_ignore_ascii_case(keyword))
    }

    /// The SIZE limit: `Some(None)` when SIZE is offered without a number.
    pub fn size(&self) -> Option<Option<u64>> {
        self.capabilities.iter().find_map(|c| match c {
            Capability::Size(n) => Some(*n),
            _ => None,
        })
    }

    /// True when any AUTH line offers this mechanism.
    pub fn offers_mechanism(&self, mechanism: &Mechanism<'_>) -> bool {
        self.capabilities.iter().any(|c| match c {
            Capability::Auth { mechanisms, .. } => mechanisms.contains(mechanism),
            _ => false,
        })
    }

    /// The response as a 250 reply.
    pub fn to_reply(&self) -> Reply<'static> {
        grammar::ehlo_to_reply(self)
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> EhloResponse<'static> {
        EhloResponse {
            greeting: Cow::Owned(self.greeting.into_owned()),
            capabilities: self
                .capabilities
                .into_iter()
                .map(Capability::into_owned)
                .collect(),
        }
    }
}
