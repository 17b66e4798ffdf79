//! SPF records (RFC 7208 §4.5, §5, §6) and macro strings (§7): parsing and display.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Why an SPF record did not parse (each is a "permerror", RFC 7208 §4.6).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpfRecordError {
    /// The text does not start with `v=spf1` followed by a space or the end.
    #[error("not an spf version 1 record")]
    NotSpf,
    /// A byte outside printable ASCII and space.
    #[error("record contains a character outside printable ascii")]
    InvalidCharacter,
    /// A mechanism name that RFC 7208 does not define.
    #[error("unknown mechanism")]
    UnknownMechanism,
    /// A term that is neither a mechanism nor a `name=value` modifier.
    #[error("malformed term")]
    MalformedTerm,
    /// A qualifier (`+ - ~ ?`) before a modifier.
    #[error("qualifier before a modifier")]
    QualifiedModifier,
    /// A mechanism that needs a domain (include, exists) was given none.
    #[error("mechanism requires a domain")]
    MissingDomain,
    /// An argument on a mechanism that takes none (all), or a bad separator.
    #[error("unexpected argument on a mechanism")]
    UnexpectedArgument,
    /// The domain-spec does not end in a macro or a valid top label.
    #[error("invalid domain specification")]
    InvalidDomainSpec,
    /// A malformed macro (`%` not followed by `{...}`, `%`, `_` or `-`), or a letter not
    /// allowed in this place (c, r and t only in `exp` explanations).
    #[error("invalid macro")]
    InvalidMacro,
    /// An `ip4:` network that is not a dotted quad.
    #[error("invalid ipv4 network")]
    InvalidIp4,
    /// An `ip6:` network that is not an IPv6 address.
    #[error("invalid ipv6 network")]
    InvalidIp6,
    /// A CIDR length that is empty, has a leading zero, or is out of range.
    #[error("invalid cidr length")]
    InvalidCidr,
    /// `redirect` or `exp` appears more than once.
    #[error("modifier appears more than once")]
    DuplicateModifier,
}

/// The qualifier in front of a mechanism (RFC 7208 §4.6.2); `+` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// `+`: pass.
    Pass,
    /// `-`: fail.
    Fail,
    /// `~`: softfail.
    SoftFail,
    /// `?`: neutral.
    Neutral,
}

impl Qualifier {
    fn symbol(self) -> char {
        match self {
            Self::Pass => '+',
            Self::Fail => '-',
            Self::SoftFail => '~',
            Self::Neutral => '?',
        }
    }
}

/// The letters of a macro (RFC 7208 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacroLetter {
    /// `s`: the sender (`local-part@domain`).
    Sender,
    /// `l`: the local-part of the sender.
    LocalPart,
    /// `o`: the domain of the sender.
    SenderDomain,
    /// `d`: the domain being checked.
    Domain,
    /// `i`: the client IP (dotted quad, or dot-separated nibbles for IPv6).
    Ip,
    /// `p`: the validated domain name of the client IP (discouraged).
    ValidatedName,
    /// `v`: `in-addr` for IPv4, `ip6` for IPv6.
    IpVersion,
    /// `h`: the HELO/EHLO domain.
    Helo,
    /// `c`: the client IP in its readable form (explanations only).
    ClientIp,
    /// `r`: the receiving host's domain (explanations only).
    Receiver,
    /// `t`: the current timestamp (explanations only).
    Timestamp,
}

impl MacroLetter {
    fn from_char(c: char) -> Option<Self> {
        Some(match c.to_ascii_lowercase() {
            's' => Self::Sender,
            'l' => Self::LocalPart,
            'o' => Self::SenderDomain,
            'd' => Self::Domain,
            'i' => Self::Ip,
            'p' => Self::ValidatedName,
            'v' => Self::IpVersion,
            'h' => Self::Helo,
            'c' => Self::ClientIp,
            'r' => Self::Receiver,
            't' => Self::Timestamp,
            _ => return None,
        })
    }

    fn to_char(self) -> char {
        match self {
            Self::Sender => 's',
            Self::LocalPart => 'l',
            Self::SenderDomain => 'o',
            Self::Domain => 'd',
            Self::Ip => 'i',
            Self::ValidatedName => 'p',
            Self::IpVersion => 'v',
            Self::Helo => 'h',
            Self::ClientIp => 'c',
            Self::Receiver => 'r',
            Self::Timestamp => 't',
        }
    }

    fn explanation_only(self) -> bool {
        matches!(self, Self::ClientIp | Self::Receiver | Self::Timestamp)
    }
}

/// One `%{...}` macro with its transformers (RFC 7208 §7.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Macro {
    /// Which value is expanded.
    pub letter: MacroLetter,
    /// Upper-case letter: the value is URL-escaped.
    pub url_escape: bool,
    /// Keep only this many right-hand parts (after reversal); never zero.
    pub keep: Option<u32>,
    /// Reverse the parts.
    pub reverse: bool,
    /// The delimiters to split on (`.` when empty), from `. - + , / _ =`.
    pub delimiters: String,
}

/// A piece of a macro string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MacroPart {
    /// Literal text (with `%%`, `%_` and `%-` already turned into `%`, ` ` and `%20`).
    Literal(String),
    /// A macro to expand.
    Macro(Macro),
}

/// A macro string (RFC 7208 §7.1): literal text and macros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MacroString {
    /// The pieces, in order.
    pub parts: Vec<MacroPart>,
}

impl MacroString {
    /// Parses a macro string; `explanation` allows the c, r and t letters and spaces.
    pub fn parse(text: &str, explanation: bool) -> Result<Self, SpfRecordError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                let allowed = c.is_ascii_graphic() || (explanation && c == ' ');
                if !allowed {
                    return Err(SpfRecordError::InvalidCharacter);
                }
                literal.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => literal.push('%'),
                Some('_') => literal.push(' '),
                Some('-') => literal.push_str("%20"),
                Some('{') => {
                    let letter_char = chars.next().ok_or(SpfRecordError::InvalidMacro)?;
                    let letter =
                        MacroLetter::from_char(letter_char).ok_or(SpfRecordError::InvalidMacro)?;
                    if letter.explanation_only() && !explanation {
                        return Err(SpfRecordError::InvalidMacro);
                    }
                    let mut keep: Option<u32> = None;
                    while let Some(digit) = chars.peek().and_then(|d| d.to_digit(10)) {
                        chars.next();
                        // Saturate: any count above the number of parts keeps them all.
                        keep = Some(keep.unwrap_or(0).saturating_mul(10).saturating_add(digit));
                    }
                    if keep == Some(0) {
                        return Err(SpfRecordError::InvalidMacro);
                    }
                    let mut reverse = false;
                    if matches!(chars.peek(), Some('r' | 'R')) {
                        chars.next();
                        reverse = true;
                    }
                    let mut delimiters = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(d @ ('.' | '-' | '+' | ',' | '/' | '_' | '=')) => {
                                delimiters.push(d)
                            }
                            _ => return Err(SpfRecordError::InvalidMacro),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(MacroPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(MacroPart::Macro(Macro {
                        letter,
                        url_escape: letter_char.is_ascii_uppercase(),
                        keep,
                        reverse,
                        delimiters,
                    }));
                }
                _ => return Err(SpfRecordError::InvalidMacro),
            }
        }
        if !literal.is_empty() {
            parts.push(MacroPart::Literal(literal));
        }
        Ok(Self { parts })
    }

    /// True when the string has no parts.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

impl fmt::Display for MacroString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                MacroPart::Literal(text) => {
                    for c in text.chars() {
                        match c {
                            '%' => f.write_str("%%")?,
                            ' ' => f.write_str("%_")?,
                            c => write!(f, "{c}")?,
                        }
                    }
                }
                MacroPart::Macro(m) => {
                    let letter = m.letter.to_char();
                    let letter = if m.url_escape {
                        letter.to_ascii_uppercase()
                    } else {
                        letter
                    };
                    write!(f, "%{{{letter}")?;
                    if let Some(keep) = m.keep {
                        write!(f, "{keep}")?;
                    }
                    if m.reverse {
                        f.write_str("r")?;
                    }
                    write!(f, "{}}}", m.delimiters)?;
                }
            }
        }
        Ok(())
    }
}

/// A mechanism (RFC 7208 §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `all`: always matches.
    All,
    /// `include:<domain-spec>`: matches when that domain's check passes.
    Include(MacroString),
    /// `a[:<domain-spec>][/<cidr4>][//<cidr6>]`.
    A {
        /// The domain (the current domain when absent).
        domain: Option<MacroString>,
        /// IPv4 prefix length (32 when absent).
        cidr4: Option<u8>,
        /// IPv6 prefix length (128 when absent).
        cidr6: Option<u8>,
    },
    /// `mx[:<domain-spec>][/<cidr4>][//<cidr6>]`.
    Mx {
        /// The domain (the current domain when absent).
        domain: Option<MacroString>,
        /// IPv4 prefix length (32 when absent).
        cidr4: Option<u8>,
        /// IPv6 prefix length (128 when absent).
        cidr6: Option<u8>,
    },
    /// `ptr[:<domain-spec>]` (discouraged, RFC 7208 §5.5).
    Ptr(Option<MacroString>),
    /// `ip4:<network>[/<len>]`.
    Ip4 {
        /// The network address.
        address: Ipv4Addr,
        /// Prefix length (32 when absent).
        prefix: Option<u8>,
    },
    /// `ip6:<network>[/<len>]`.
    Ip6 {
        /// The network address.
        address: Ipv6Addr,
        /// Prefix length (128 when absent).
        prefix: Option<u8>,
    },
    /// `exists:<domain-spec>`: matches when an A query for the name has any answer.
    Exists(MacroString),
}

impl Mechanism {
    /// True for the mechanisms that count against the 10-lookup limit (RFC 7208 §4.6.4).
    pub fn needs_dns(&self) -> bool {
        !matches!(self, Self::All | Self::Ip4 { .. } | Self::Ip6 { .. })
    }
}

/// A qualified mechanism.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Directive {
    /// The result when the mechanism matches.
    pub qualifier: Qualifier,
    /// The mechanism.
    pub mechanism: Mechanism,
}

/// A modifier (RFC 7208 §6); unknown ones are kept and ignored by evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Modifier {
    /// `redirect=<domain-spec>`.
    Redirect(MacroString),
    /// `exp=<domain-spec>`.
    Explanation(MacroString),
    /// Any other `name=value`.
    Unknown {
        /// The modifier's name.
        name: String,
        /// Its value.
        value: MacroString,
    },
}

/// A term of a record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    /// A qualified mechanism.
    Directive(Directive),
    /// A modifier.
    Modifier(Modifier),
}

/// A parsed SPF record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpfRecord {
    /// The terms in record order.
    pub terms: Vec<Term>,
}

/// True when a TXT string is an SPF version 1 record (RFC 7208 §4.5).
pub fn is_spf_record(text: &str) -> bool {
    let Some(version) = text.get(..6) else {
        return false;
    };
    version.eq_ignore_ascii_case("v=spf1") && matches!(text.as_bytes().get(6), None | Some(b' '))
}

impl SpfRecord {
    /// Parses a record (`v=spf1 ...`).
    pub fn parse(text: &str) -> Result<Self, SpfRecordError> {
        if !is_spf_record(text) {
            return Err(SpfRecordError::NotSpf);
        }
        let rest = text.get(6..).unwrap_or_default();
        if !rest.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Err(SpfRecordError::InvalidCharacter);
        }
        let mut terms = Vec::new();
        let (mut redirects, mut explanations) = (0, 0);
        for word in rest.split(' ').filter(|w| !w.is_empty()) {
            let term = parse_term(word)?;
            match &term {
                Term::Modifier(Modifier::Redirect(_)) => redirects += 1,
                Term::Modifier(Modifier::Explanation(_)) => explanations += 1,
                _ => {}
            }
            terms.push(term);
        }
        if redirects > 1 || explanations > 1 {
            return Err(SpfRecordError::DuplicateModifier);
        }
        Ok(Self { terms })
    }

    /// The directives in order.
    pub fn directives(&self) -> impl Iterator<Item = &Directive> {
        self.terms.iter().filter_map(|t| match t {
            Term::Directive(d) => Some(d),
            Term::Modifier(_) => None,
        })
    }

    /// The `redirect=` target, if any.
    pub fn redirect(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Redirect(m)) => Some(m),
            _ => None,
        })
    }

    /// The `exp=` target, if any.
    pub fn explanation(&self) -> Option<&MacroString> {
        self.terms.iter().find_map(|t| match t {
            Term::Modifier(Modifier::Explanation(m)) => Some(m),
            _ => None,
        })
    }
}

fn parse_term(word: &str) -> Result<Term, SpfRecordError> {
    let name_end = word
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(word.len());
    let (name, after) = word.split_at(name_end);
    if let Some(value) = after.strip_prefix('=') {
        if name.starts_with('-') {
            return Err(SpfRecordError::QualifiedModifier);
        }
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(SpfRecordError::MalformedTerm);
        }
        let modifier = if name.eq_ignore_ascii_case("redirect") {
            Modifier::Redirect(parse_domain_spec(value)?)
        } else if name.eq_ignore_ascii_case("exp") {
            Modifier::Explanation(parse_domain_spec(value)?)
        } else {
            Modifier::Unknown {
                name: name.to_owned(),
                value: MacroString::parse(value, false)?,
            }
        };
        return Ok(Term::Modifier(modifier));
    }
    let (qualifier, body) = match word.chars().next() {
        Some('+') => (Some(Qualifier::Pass), word.get(1..)),
        Some('-') => (Some(Qualifier::Fail), word.get(1..)),
        Some('~') => (Some(Qualifier::SoftFail), word.get(1..)),
        Some('?') => (Some(Qualifier::Neutral), word.get(1..)),
        _ => (None, Some(word)),
    };
    let body = body.unwrap_or_default();
    let name_end = body
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(body.len());
    let (name, args) = body.split_at(name_end);
    if args.starts_with('=') {
        return Err(SpfRecordError::QualifiedModifier);
    }
    let name = name.to_ascii_lowercase();
    let mechanism = match name.as_str() {
        "all" => {
            if !args.is_empty() {
                return Err(SpfRecordError::UnexpectedArgument);
            }
            Mechanism::All
        }
        "include" => Mechanism::Include(required_domain(args)?),
        "exists" => Mechanism::Exists(required_domain(args)?),
        "a" | "mx" => {
            let (domain, cidr4, cidr6) = parse_domain_and_dual_cidr(args)?;
            if name == "a" {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            }
        }
        "ptr" => match args.strip_prefix(':') {
            Some(domain) => Mechanism::Ptr(Some(parse_domain_spec(domain)?)),
            None if args.is_empty() => Mechanism::Ptr(None),
            None => return Err(SpfRecordError::UnexpectedArgument),
        },
        "ip4" => {
            let network = args.strip_prefix(':').ok_or(SpfRecordError::InvalidIp4)?;
            let (address, prefix) = split_prefix(network, 32)?;
            let address = parse_dotted_quad(address).ok_or(SpfRecordError::InvalidIp4)?;
            Mechanism::Ip4 { address, prefix }
        }
        "ip6" => {
            let network = args.strip_prefix(':').ok_or(SpfRecordError::InvalidIp6)?;
            let (address, prefix) = split_prefix(network, 128)?;
            let address = address.parse().map_err(|_| SpfRecordError::InvalidIp6)?;
            Mechanism::Ip6 { address, prefix }
        }
        "" => return Err(SpfRecordError::MalformedTerm),
        _ => return Err(SpfRecordError::UnknownMechanism),
    };
    Ok(Term::Directive(Directive {
        qualifier: qualifier.unwrap_or(Qualifier::Pass),
        mechanism,
    }))
}

fn required_domain(args: &str) -> Result<MacroString, SpfRecordError> {
    let domain = args
        .strip_prefix(':')
        .ok_or(SpfRecordError::MissingDomain)?;
    parse_domain_spec(domain)
}

/// The optional domain and IPv4/IPv6 prefix lengths of `a` and `mx`.
type DomainAndCidrs = (Option<MacroString>, Option<u8>, Option<u8>);

/// `a` and `mx` arguments. The domain-spec is cut at its first `/`: a macro-literal may
/// contain `/`, but no real host name does, and the CIDR suffix must be recognisable.
fn parse_domain_and_dual_cidr(args: &str) -> Result<DomainAndCidrs, SpfRecordError> {
    let (domain, cidrs) = match args.find('/') {
        Some(at) => args.split_at(at),
        None => (args, ""),
    };
    let domain = match domain.strip_prefix(':') {
        Some(domain) => Some(parse_domain_spec(domain)?),
        None if domain.is_empty() => None,
        None => return Err(SpfRecordError::UnexpectedArgument),
    };
    let (cidr4, cidr6) = if cidrs.is_empty() {
        (None, None)
    } else if let Some(v6) = cidrs.strip_prefix("//") {
        (None, Some(parse_cidr(v6, 128)?))
    } else {
        let v4_and_v6 = cidrs.get(1..).unwrap_or_default();
        match v4_and_v6.split_once("//") {
            Some((v4, v6)) => (Some(parse_cidr(v4, 32)?), Some(parse_cidr(v6, 128)?)),
            None => (Some(parse_cidr(v4_and_v6, 32)?), None),
        }
    };
    Ok((domain, cidr4, cidr6))
}

fn split_prefix(network: &str, max: u8) -> Result<(&str, Option<u8>), SpfRecordError> {
    match network.split_once('/') {
        Some((address, len)) => Ok((address, Some(parse_cidr(len, max)?))),
        None => Ok((network, None)),
    }
}

/// `ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT)`: no leading zeros.
fn parse_cidr(text: &str, max: u8) -> Result<u8, SpfRecordError> {
    let well_formed = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !well_formed {
        return Err(SpfRecordError::InvalidCidr);
    }
    match text.parse::<u8>() {
        Ok(len) if len <= max => Ok(len),
        _ => Err(SpfRecordError::InvalidCidr),
    }
}

/// The strict dotted quad of RFC 7208's `ip4-network` (no leading zeros beyond `0`).
fn parse_dotted_quad(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut fields = text.split('.');
    for octet in &mut octets {
        let field = fields.next()?;
        if field.is_empty() || field.len() > 3 || (field.len() > 1 && field.starts_with('0')) {
            return None;
        }
        if !field.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = field.parse().ok()?;
    }
    if fields.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// `domain-spec = macro-string domain-end`, `domain-end = ("." toplabel ["."]) / macro-expand`.
fn parse_domain_spec(text: &str) -> Result<MacroString, SpfRecordError> {
    let spec = MacroString::parse(text, false)?;
    match spec.parts.last() {
        Some(MacroPart::Macro(_)) => Ok(spec),
        Some(MacroPart::Literal(literal)) => {
            let trimmed = literal.strip_suffix('.').unwrap_or(literal);
            let valid_end = match trimmed.rsplit_once('.') {
                Some((_, top)) => is_top_label(top),
                // A bare label is a valid end only after a macro ("%{d}com" is not, but
                // "%{d}.com" is): the dot must be there.
                None => false,
            };
            if valid_end {
                Ok(spec)
            } else {
                Err(SpfRecordError::InvalidDomainSpec)
            }
        }
        None => Err(SpfRecordError::InvalidDomainSpec),
    }
}

/// `toplabel = (*alphanum ALPHA *alphanum) / (1*alphanum "-" *(alphanum / "-") alphanum)`.
fn is_top_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    if bytes.is_empty()
        || !bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
    {
        return false;
    }
    if bytes.contains(&b'-') {
        let first_ok = bytes.first().is_some_and(u8::is_ascii_alphanumeric);
        let last_ok = bytes.last().is_some_and(u8::is_ascii_alphanumeric);
        first_ok && last_ok
    } else {
        bytes.iter().any(u8::is_ascii_alphabetic)
    }
}

impl fmt::Display for SpfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=spf1")?;
        for term in &self.terms {
            f.write_str(" ")?;
            match term {
                Term::Directive(d) => {
                    if d.qualifier != Qualifier::Pass {
                        write!(f, "{}", d.qualifier.symbol())?;
                    }
                    write_mechanism(f, &d.mechanism)?;
                }
                Term::Modifier(Modifier::Redirect(m)) => write!(f, "redirect={m}")?,
                Term::Modifier(Modifier::Explanation(m)) => write!(f, "exp={m}")?,
                Term::Modifier(Modifier::Unknown { name, value }) => write!(f, "{name}={value}")?,
            }
        }
        Ok(())
    }
}

fn write_mechanism(f: &mut fmt::Formatter<'_>, mechanism: &Mechanism) -> fmt::Result {
    match mechanism {
        Mechanism::All => f.write_str("all"),
        Mechanism::Include(d) => write!(f, "include:{d}"),
        Mechanism::Exists(d) => write!(f, "exists:{d}"),
        Mechanism::A {
            domain,
            cidr4,
            cidr6,
        }
        | Mechanism::Mx {
            domain,
            cidr4,
            cidr6,
        } => {
            let name = if matches!(mechanism, Mechanism::A { .. }) {
                "a"
            } else {
                "mx"
            };
            f.write_str(name)?;
            if let Some(d) = domain {
                write!(f, ":{d}")?;
            }
            if let Some(len) = cidr4 {
                write!(f, "/{len}")?;
            }
            if let Some(len) = cidr6 {
                write!(f, "//{len}")?;
            }
            Ok(())
        }
        Mechanism::Ptr(domain) => {
            f.write_str("ptr")?;
            match domain {
                Some(d) => write!(f, ":{d}"),
                None => Ok(()),
            }
        }
        Mechanism::Ip4 { address, prefix } => {
            write!(f, "ip4:{address}")?;
            match prefix {
                Some(len) => write!(f, "/{len}"),
                None => Ok(()),
            }
        }
        Mechanism::Ip6 { address, prefix } => {
            write!(f, "ip6:{address}")?;
            match prefix {
                Some(len) => write!(f, "/{len}"),
                None => Ok(()),
            }
        }
    }
}
