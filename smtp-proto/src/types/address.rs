//! Domains, address literals, mailboxes and paths (RFC 5321 §4.1.2, §4.1.3; RFC 6531 §3.3).
//!
//! Every type here is validated when built, so encoding it can not fail. Values decoded
//! from the wire borrow the input; [`Mailbox::into_owned`] and friends give `'static`
//! copies.
//!
//! Non-ASCII (RFC 6531 U-labels, UTF-8 atext and qtext) is accepted by the constructors;
//! the command decoder rejects it unless [`crate::codec::DecodeOptions::smtputf8`] is set,
//! and [`Mailbox::is_ascii`] tells a client whether a value needs SMTPUTF8.

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::codec::parse::address as grammar;
use crate::error::DecodeError;
use crate::types::Text;

/// Longest local part, in octets (RFC 5321 §4.5.3.1.1).
pub const MAX_LOCAL_PART_LEN: usize = 64;
/// Longest domain, in octets (RFC 5321 §4.5.3.1.2).
pub const MAX_DOMAIN_LEN: usize = 255;
/// Longest domain label, in octets (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest reverse- or forward-path, brackets included, in octets (RFC 5321 §4.5.3.1.3).
pub const MAX_PATH_LEN: usize = 256;

/// A domain name: `sub-domain *("." sub-domain)`, labels of letters, digits and inner
/// hyphens, or RFC 6531 U-labels (non-ASCII UTF-8; their IDNA validity is not checked).
///
/// Comparison is exact; use [`Domain::eq_ignore_case`] for DNS semantics.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain<'a>(Text<'a>);

impl<'a> Domain<'a> {
    /// Validates a domain name.
    ///
    /// ```
    /// use mailwire_smtp::types::Domain;
    /// assert!(Domain::new("mail.example.com").is_ok());
    /// assert!(Domain::new("bad_name.example").is_err());
    /// ```
    pub fn new(text: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let text = text.into();
        let len = grammar::scan_domain(text.as_bytes(), true)?;
        if len != text.len() {
            return Err(DecodeError::InvalidDomain);
        }
        Ok(Domain(Text::from_cow(text)))
    }

    /// Wraps text the grammar already accepted.
    pub(crate) fn from_valid(octets: &'a [u8]) -> Self {
        Domain(Text::from_valid(octets))
    }

    /// The domain as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The domain as written, as octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// True when every label is ASCII (no U-label).
    pub fn is_ascii(&self) -> bool {
        self.0.as_bytes().is_ascii()
    }

    /// Compares two domains ignoring ASCII case, as DNS does.
    pub fn eq_ignore_case(&self, other: &Domain<'_>) -> bool {
        self.0.as_bytes().eq_ignore_ascii_case(other.0.as_bytes())
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Domain<'static> {
        Domain(self.0.into_owned())
    }
}

impl fmt::Display for Domain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An address literal: `"[" (IPv4 / "IPv6:" IPv6 / tag ":" content) "]"` (RFC 5321 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressLiteral<'a> {
    /// `[192.0.2.1]`.
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`.
    Ipv6(Ipv6Addr),
    /// `[tag:content]` for a standardized tag other than IPv6.
    General(GeneralLiteral<'a>),
}

impl AddressLiteral<'_> {
    /// A copy that owns its text.
    pub fn into_owned(self) -> AddressLiteral<'static> {
        match self {
            AddressLiteral::Ipv4(a) => AddressLiteral::Ipv4(a),
            AddressLiteral::Ipv6(a) => AddressLiteral::Ipv6(a),
            AddressLiteral::General(g) => AddressLiteral::General(g.into_owned()),
        }
    }
}

impl fmt::Display for AddressLiteral<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressLiteral::Ipv4(a) => write!(f, "[{a}]"),
            AddressLiteral::Ipv6(a) => write!(f, "[IPv6:{a}]"),
            AddressLiteral::General(g) => write!(f, "[{}:{}]", g.tag(), g.content()),
        }
    }
}

/// `General-address-literal = Standardized-tag ":" 1*dcontent` (RFC 5321 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GeneralLiteral<'a> {
    tag: Text<'a>,
    content: Text<'a>,
}

impl<'a> GeneralLiteral<'a> {
    /// Validates a tag (`Ldh-str`, not `IPv6`) and its content (`1*dcontent`).
    pub fn new(
        tag: impl Into<Cow<'a, str>>,
        content: impl Into<Cow<'a, str>>,
    ) -> Result<Self, DecodeError> {
        let tag = tag.into();
        let content = content.into();
        if !grammar::is_general_tag(tag.as_bytes()) || !grammar::is_dcontent(content.as_bytes()) {
            return Err(DecodeError::InvalidAddressLiteral);
        }
        Ok(GeneralLiteral {
            tag: Text::from_cow(tag),
            content: Text::from_cow(content),
        })
    }

    pub(crate) fn from_valid(tag: &'a [u8], content: &'a [u8]) -> Self {
        GeneralLiteral {
            tag: Text::from_valid(tag),
            content: Text::from_valid(content),
        }
    }

    /// The standardized tag.
    pub fn tag(&self) -> &str {
        self.tag.as_str()
    }

    /// The address after the colon.
    pub fn content(&self) -> &str {
        self.content.as_str()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> GeneralLiteral<'static> {
        GeneralLiteral {
            tag: self.tag.into_owned(),
            content: self.content.into_owned(),
        }
    }
}

/// The part after `@`, and the argument of EHLO/HELO/LHLO: a domain or an address literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A domain name.
    Domain(Domain<'a>),
    /// An address literal.
    Literal(AddressLiteral<'a>),
}

impl<'a> Host<'a> {
    /// Parses a domain or an address literal.
    ///
    /// ```
    /// use mailwire_smtp::types::Host;
    /// assert!(matches!(Host::new("[IPv6:::1]"), Ok(Host::Literal(_))));
    /// assert!(matches!(Host::new("client.example"), Ok(Host::Domain(_))));
    /// ```
    pub fn new(text: &'a str) -> Result<Self, DecodeError> {
        let (host, len) = grammar::parse_host(text.as_bytes(), true)?;
        if len != text.len() {
            return Err(DecodeError::InvalidDomain);
        }
        Ok(host)
    }

    /// True when the host is ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(d) => d.is_ascii(),
            Host::Literal(_) => true,
        }
    }

    /// Length of the host on the wire, in octets.
    pub(crate) fn wire_len(&self) -> usize {
        match self {
            Host::Domain(d) => d.as_bytes().len(),
            Host::Literal(l) => grammar::literal_wire_len(l),
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Host<'static> {
        match self {
            Host::Domain(d) => Host::Domain(d.into_owned()),
            Host::Literal(l) => Host::Literal(l.into_owned()),
        }
    }
}

impl<'a> From<Domain<'a>> for Host<'a> {
    fn from(domain: Domain<'a>) -> Self {
        Host::Domain(domain)
    }
}

impl<'a> From<AddressLiteral<'a>> for Host<'a> {
    fn from(literal: AddressLiteral<'a>) -> Self {
        Host::Literal(literal)
    }
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => d.fmt(f),
            Host::Literal(l) => l.fmt(f),
        }
    }
}

/// A local part as it appears on the wire: a Dot-string (`john.smith`) or a
/// Quoted-string (`"john smith"`, quotes and backslashes included), at most 64 octets.
///
/// [`LocalPart::unquoted`] gives the meaning; [`LocalPart::from_unquoted`] builds the
/// minimal quoting from a meaning (RFC 5321 §4.1.2: "transmit the form that uses the
/// minimum quoting possible").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LocalPart<'a>(Text<'a>);

impl<'a> LocalPart<'a> {
    /// Validates a local part in wire form (Dot-string or Quoted-string).
    ///
    /// ```
    /// use mailwire_smtp::types::LocalPart;
    /// assert!(LocalPart::new("john.smith").is_ok());
    /// assert!(LocalPart::new("\"john smith\"").is_ok());
    /// assert!(LocalPart::new("john..smith").is_err());
    /// ```
    pub fn new(wire: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let wire = wire.into();
        let len = grammar::scan_local_part(wire.as_bytes(), true)?;
        if len != wire.len() {
            return Err(DecodeError::InvalidLocalPart);
        }
        Ok(LocalPart(Text::from_cow(wire)))
    }

    /// Builds the wire form of a local part meaning `text`, quoting only when needed.
    ///
    /// ```
    /// use mailwire_smtp::types::LocalPart;
    /// assert_eq!(LocalPart::from_unquoted("joe").unwrap().as_str(), "joe");
    /// assert_eq!(LocalPart::from_unquoted("joe smith").unwrap().as_str(), "\"joe smith\"");
    /// assert_eq!(LocalPart::from_unquoted("a\"b").unwrap().as_str(), "\"a\\\"b\"");
    /// ```
    pub fn from_unquoted(text: &str) -> Result<LocalPart<'static>, DecodeError> {
        if !text.is_empty() && grammar::is_dot_string(text.as_bytes(), true) {
            return LocalPart::new(text.to_owned());
        }
        let mut quoted = String::with_capacity(text.len() + 2);
        quoted.push('"');
        for c in text.chars() {
            if c == '"' || c == '\\' {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        LocalPart::new(quoted)
    }

    pub(crate) fn from_valid(wire: &'a [u8]) -> Self {
        LocalPart(Text::from_valid(wire))
    }

    /// The wire form.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The wire form, as octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// True for the Quoted-string form.
    pub fn is_quoted(&self) -> bool {
        self.0.as_bytes().first() == Some(&b'"')
    }

    /// The meaning: quotes removed and quoted-pairs resolved (allocates only for
    /// quoted parts that contain a backslash).
    pub fn unquoted(&self) -> Cow<'_, str> {
        let wire = self.0.as_str();
        let Some(inner) = wire.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
            return Cow::Borrowed(wire);
        };
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        let mut out = String::with_capacity(inner.len());
        let mut escaped = false;
        for c in inner.chars() {
            if c == '\\' && !escaped {
                escaped = true;
            } else {
                out.push(c);
                escaped = false;
            }
        }
        Cow::Owned(out)
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> LocalPart<'static> {
        LocalPart(self.0.into_owned())
    }
}

impl fmt::Display for LocalPart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a> {
    local_part: LocalPart<'a>,
    host: Host<'a>,
}

impl<'a> Mailbox<'a> {
    /// Joins a local part and a host; fails when the path `<local@host>` would exceed
    /// 256 octets.
    pub fn new(local_part: LocalPart<'a>, host: impl Into<Host<'a>>) -> Result<Self, DecodeError> {
        let host = host.into();
        // "<" local "@" host ">"
        if local_part.as_bytes().len() + host.wire_len() + 3 > MAX_PATH_LEN {
            return Err(DecodeError::PathTooLong);
        }
        Ok(Mailbox { local_part, host })
    }

    /// Parses `local@host` (wire form, no angle brackets).
    ///
    /// ```
    /// use mailwire_smtp::types::Mailbox;
    /// let mailbox = Mailbox::parse("\"joe smith\"@[192.0.2.1]").unwrap();
    /// assert_eq!(mailbox.local_part().unquoted(), "joe smith");
    /// assert_eq!(mailbox.to_string(), "\"joe smith\"@[192.0.2.1]");
    /// ```
    pub fn parse(text: &'a str) -> Result<Self, DecodeError> {
        let (mailbox, len) = grammar::parse_mailbox(text.as_bytes(), true)?;
        if len != text.len() {
            return Err(DecodeError::InvalidPath);
        }
        if len + 2 > MAX_PATH_LEN {
            return Err(DecodeError::PathTooLong);
        }
        Ok(mailbox)
    }

    pub(crate) fn from_parts_unchecked(local_part: LocalPart<'a>, host: Host<'a>) -> Self {
        Mailbox { local_part, host }
    }

    /// The local part (wire form).
    pub fn local_part(&self) -> &LocalPart<'a> {
        &self.local_part
    }

    /// The part after `@`.
    pub fn host(&self) -> &Host<'a> {
        &self.host
    }

    /// True when the mailbox needs no SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        self.local_part.as_bytes().is_ascii() && self.host.is_ascii()
    }

    /// Length on the wire, without brackets.
    pub(crate) fn wire_len(&self) -> usize {
        self.local_part.as_bytes().len() + 1 + self.host.wire_len()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            local_part: self.local_part.into_owned(),
            host: self.host.into_owned(),
        }
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local_part, self.host)
    }
}

/// A source route `@one,@two` (RFC 5321 §4.1.2 `A-d-l`): accepted, kept for information,
/// and to be ignored (Appendix C). Clients should not build one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceRoute<'a>(Text<'a>);

impl<'a> SourceRoute<'a> {
    /// Validates `At-domain *( "," At-domain )`.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let text = text.into();
        let len = grammar::scan_source_route(text.as_bytes(), true)?;
        if len != text.len() {
            return Err(DecodeError::InvalidPath);
        }
        Ok(SourceRoute(Text::from_cow(text)))
    }

    pub(crate) fn from_valid(octets: &'a [u8]) -> Self {
        SourceRoute(Text::from_valid(octets))
    }

    /// The route as written, without the trailing colon.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The domains of the route, in order.
    pub fn domains(&self) -> impl Iterator<Item = &str> + '_ {
        self.0
            .as_str()
            .split(',')
            .map(|hop| hop.trim_start_matches('@'))
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> SourceRoute<'static> {
        SourceRoute(self.0.into_owned())
    }
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path<'a> {
    source_route: Option<SourceRoute<'a>>,
    mailbox: Mailbox<'a>,
}

impl<'a> Path<'a> {
    /// A path to a mailbox, without source route.
    pub fn new(mailbox: Mailbox<'a>) -> Self {
        Path {
            source_route: None,
            mailbox,
        }
    }

    /// A path with a source route; fails when it would exceed 256 octets.
    pub fn with_source_route(
        source_route: SourceRoute<'a>,
        mailbox: Mailbox<'a>,
    ) -> Result<Self, DecodeError> {
        if source_route.0.as_bytes().len() + 1 + mailbox.wire_len() + 2 > MAX_PATH_LEN {
            return Err(DecodeError::PathTooLong);
        }
        Ok(Path {
            source_route: Some(source_route),
            mailbox,
        })
    }

    pub(crate) fn from_parts_unchecked(
        source_route: Option<SourceRoute<'a>>,
        mailbox: Mailbox<'a>,
    ) -> Self {
        Path {
            source_route,
            mailbox,
        }
    }

    /// The mailbox.
    pub fn mailbox(&self) -> &Mailbox<'a> {
        &self.mailbox
    }

    /// The source route, if the peer sent one (to be ignored, RFC 5321 Appendix C).
    pub fn source_route(&self) -> Option<&SourceRoute<'a>> {
        self.source_route.as_ref()
    }

    /// Drops the path and keeps the mailbox.
    pub fn into_mailbox(self) -> Mailbox<'a> {
        self.mailbox
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Path<'static> {
        Path {
            source_route: self.source_route.map(SourceRoute::into_owned),
            mailbox: self.mailbox.into_owned(),
        }
    }
}

impl<'a> From<Mailbox<'a>> for Path<'a> {
    fn from(mailbox: Mailbox<'a>) -> Self {
        Path::new(mailbox)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source_route {
            Some(route) => write!(f, "<{}:{}>", route.as_str(), self.mailbox),
            None => write!(f, "<{}>", self.mailbox),
        }
    }
}

/// The argument of MAIL FROM: `Reverse-path = Path / "<>"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath<'a> {
    /// `<>`: the null reverse path of notifications (RFC 5321 §4.5.5).
    Null,
    /// A sender path.
    Path(Path<'a>),
}

impl ReversePath<'_> {
    /// The sender mailbox, `None` for `<>`.
    pub fn mailbox(&self) -> Option<&Mailbox<'_>> {
        match self {
            ReversePath::Null => None,
            ReversePath::Path(p) => Some(p.mailbox()),
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> ReversePath<'static> {
        match self {
            ReversePath::Null => ReversePath::Null,
            ReversePath::Path(p) => ReversePath::Path(p.into_owned()),
        }
    }
}

impl<'a> From<Mailbox<'a>> for ReversePath<'a> {
    fn from(mailbox: Mailbox<'a>) -> Self {
        ReversePath::Path(Path::new(mailbox))
    }
}

impl fmt::Display for ReversePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReversePath::Null => f.write_str("<>"),
            ReversePath::Path(p) => p.fmt(f),
        }
    }
}

/// The argument of RCPT TO: a path, or the bare `<Postmaster>` (RFC 5321 §4.1.1.3).
///
/// `<Postmaster@domain>` is an ordinary [`ForwardPath::Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath<'a> {
    /// `<Postmaster>` without domain (case-insensitive on the wire).
    Postmaster,
    /// A recipient path.
    Path(Path<'a>),
}

impl ForwardPath<'_> {
    /// The recipient mailbox, `None` for the bare `<Postmaster>`.
    pub fn mailbox(&self) -> Option<&Mailbox<'_>> {
        match self {
            ForwardPath::Postmaster => None,
            ForwardPath::Path(p) => Some(p.mailbox()),
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> ForwardPath<'static> {
        match self {
            ForwardPath::Postmaster => ForwardPath::Postmaster,
            ForwardPath::Path(p) => ForwardPath::Path(p.into_owned()),
        }
    }
}

impl<'a> From<Mailbox<'a>> for ForwardPath<'a> {
    fn from(mailbox: Mailbox<'a>) -> Self {
        ForwardPath::Path(Path::new(mailbox))
    }
}

impl fmt::Display for ForwardPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
            ForwardPath::Path(p) => p.fmt(f),
        }
    }
}
