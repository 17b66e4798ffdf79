//! check_host() (RFC 7208 §4) as a state machine fed with DNS answers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::record::{
    is_spf_record, MacroLetter, MacroPart, MacroString, Mechanism, Qualifier, SpfRecord,
};
use crate::dns::{Answer, Question, Record, RecordType};

/// The result of an SPF check (RFC 7208 §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpfResult {
    /// No record was published (or the domain is not a usable name).
    None,
    /// The domain makes no assertion about the client.
    Neutral,
    /// The client is authorized.
    Pass,
    /// The client is not authorized.
    Fail,
    /// The client is probably not authorized.
    SoftFail,
    /// A transient DNS error; a later retry may succeed.
    TempError,
    /// The published records could not be interpreted, or a limit was exceeded.
    PermError,
}

impl SpfResult {
    /// The lowercase name used in Received-SPF and Authentication-Results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Neutral => "neutral",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::SoftFail => "softfail",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }
}

impl From<Qualifier> for SpfResult {
    fn from(qualifier: Qualifier) -> Self {
        match qualifier {
            Qualifier::Pass => Self::Pass,
            Qualifier::Fail => Self::Fail,
            Qualifier::SoftFail => Self::SoftFail,
            Qualifier::Neutral => Self::Neutral,
        }
    }
}

/// The final answer of an evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfOutcome {
    /// The result.
    pub result: SpfResult,
    /// For `fail`, the expanded `exp=` explanation when the domain published one.
    pub explanation: Option<String>,
    /// How many DNS-querying terms were evaluated (the 10-lookup budget used).
    pub lookups: u32,
}

/// What the evaluator needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpfPoll {
    /// Resolve this question and hand the answer to [`SpfEvaluator::answer`].
    Query(Question),
    /// The evaluation is over.
    Done(SpfOutcome),
}

/// The answer did not belong to the question the evaluator is waiting on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpfAnswerError {
    /// No question is outstanding, or a different one is.
    #[error("answer does not match the outstanding question")]
    UnexpectedAnswer,
}

/// Limits and environment of an evaluation. Defaults follow RFC 7208 §4.6.4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfConfig {
    /// DNS-querying terms (include, a, mx, ptr, exists, redirect) allowed; default 10.
    pub max_lookups: u32,
    /// Terms whose query returned no data or NXDOMAIN allowed; default 2.
    pub max_void_lookups: u32,
    /// MX names allowed in one `mx` mechanism before permerror; default 10.
    pub max_mx_names: usize,
    /// PTR names examined by `ptr`; further ones are ignored; default 10.
    pub max_ptr_names: usize,
    /// The receiving host's domain, for the `%{r}` macro; default `unknown`.
    pub receiver: String,
    /// Seconds since the epoch, for the `%{t}` macro (time is injected); default 0.
    pub timestamp: u64,
}

impl Default for SpfConfig {
    fn default() -> Self {
        Self {
            max_lookups: 10,
            max_void_lookups: 2,
            max_mx_names: 10,
            max_ptr_names: 10,
            receiver: "unknown".to_owned(),
            timestamp: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Top,
    Include(Qualifier),
}

#[derive(Debug)]
struct Frame {
    domain: String,
    record: Option<SpfRecord>,
    next_term: usize,
    origin: Origin,
    redirected: bool,
}

#[derive(Debug, Clone, Copy)]
struct Cidr {
    v4: u8,
    v6: u8,
}

#[derive(Debug)]
enum Pending {
    Record,
    Address(Qualifier, Cidr),
    MxNames(Qualifier, Cidr),
    MxHost(Qualifier, Cidr, Vec<String>),
    PtrNames(Qualifier, String),
    PtrHost(Qualifier, String, Vec<String>),
    Exists(Qualifier),
    Explanation(String),
}

/// check_host(ip, domain, sender) as a Sans-IO machine: [`poll`](Self::poll) for the next DNS
/// question, [`answer`](Self::answer) with what the resolver said, until `poll` gives
/// [`SpfPoll::Done`].
#[derive(Debug)]
pub struct SpfEvaluator {
    ip: IpAddr,
    sender_local: String,
    sender_domain: String,
    helo: String,
    config: SpfConfig,
    frames: Vec<Frame>,
    asked: Option<(Question, Pending)>,
    lookups: u32,
    void_lookups: u32,
    done: Option<SpfOutcome>,
}

impl SpfEvaluator {
    /// Checks the MAIL FROM identity `sender` (`local@domain`; the HELO identity
    /// `postmaster@helo` when the reverse-path is empty, RFC 7208 §2.4) for client `ip`.
    pub fn mail_from(ip: IpAddr, sender: &str, helo: &str, config: SpfConfig) -> Self {
        let sender = if sender.is_empty() {
            format!("postmaster@{helo}")
        } else {
            sender.to_owned()
        };
        let domain = sender
            .rsplit_once('@')
            .map_or(sender.as_str(), |(_, d)| d)
            .to_owned();
        Self::new(ip, &domain, &sender, helo, config)
    }

    /// Checks the HELO identity (RFC 7208 §2.3) for client `ip`.
    pub fn helo(ip: IpAddr, helo: &str, config: SpfConfig) -> Self {
        Self::new(ip, helo, &format!("postmaster@{helo}"), helo, config)
    }

    /// check_host(`ip`, `domain`, `sender`) with `helo` for the `%{h}` macro.
    pub fn new(ip: IpAddr, domain: &str, sender: &str, helo: &str, config: SpfConfig) -> Self {
        // An IPv4-mapped IPv6 client is the IPv4 client it stands for.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        let (local, sender_domain) = match sender.rsplit_once('@') {
            Some((local, domain)) if !local.is_empty() => (local, domain),
            Some((_, domain)) => ("postmaster", domain),
            None => ("postmaster", sender),
        };
        let domain = domain.strip_suffix('.').unwrap_or(domain).to_owned();
        let mut evaluator = Self {
            ip,
            sender_local: local.to_owned(),
            sender_domain: sender_domain.to_owned(),
            helo: helo.to_owned(),
            config,
            frames: Vec::new(),
            asked: None,
            lookups: 0,
            void_lookups: 0,
            done: None,
        };
        if is_valid_domain(&domain) {
            evaluator.frames.push(Frame {
                domain,
                record: None,
                next_term: 0,
                origin: Origin::Top,
                redirected: false,
            });
        } else {
            evaluator.finish(SpfResult::None, None);
        }
        evaluator
    }

    /// The next DNS question, or the outcome. Asking again without answering repeats the
    /// same question.
    #[must_use]
    pub fn poll(&mut self) -> SpfPoll {
        loop {
            if let Some(outcome) = &self.done {
                return SpfPoll::Done(outcome.clone());
            }
            if let Some((question, _)) = &self.asked {
                return SpfPoll::Query(question.clone());
            }
            self.step();
        }
    }

    /// Hands over the resolver's answer to the outstanding `question`.
    pub fn answer(&mut self, question: &Question, answer: Answer) -> Result<(), SpfAnswerError> {
        match &self.asked {
            Some((asked, _)) if asked == question => {}
            _ => return Err(SpfAnswerError::UnexpectedAnswer),
        }
        let Some((_, pending)) = self.asked.take() else {
            return Err(SpfAnswerError::UnexpectedAnswer);
        };
        self.handle(pending, answer);
        Ok(())
    }

    fn finish(&mut self, result: SpfResult, explanation: Option<String>) {
        self.asked = None;
        self.frames.clear();
        self.done = Some(SpfOutcome {
            result,
            explanation,
            lookups: self.lookups,
        });
    }

    fn ask(&mut self, name: String, record_type: RecordType, pending: Pending) {
        self.asked = Some((Question::new(name, record_type), pending));
    }

    fn address_type(&self) -> RecordType {
        match self.ip {
            IpAddr::V4(_) => RecordType::A,
            IpAddr::V6(_) => RecordType::Aaaa,
        }
    }

    /// Advances the top frame until a question is asked or the evaluation ends.
    fn step(&mut self) {
        let Some(frame) = self.frames.last() else {
            self.finish(SpfResult::PermError, None);
            return;
        };
        let domain = frame.domain.clone();
        let Some(record) = &frame.record else {
            if is_valid_domain(&domain) {
                self.ask(domain, RecordType::Txt, Pending::Record);
            } else {
                self.conclude_frame(SpfResult::None);
            }
            return;
        };
        let next = frame.next_term;
        let directive = record.directives().nth(next).cloned();
        let redirect = record.redirect().cloned();
        let Some(directive) = directive else {
            match redirect {
                Some(target) => {
                    if !self.count_lookup() {
                        return;
                    }
                    let target = self.expand_domain(&target, &domain);
                    if let Some(frame) = self.frames.last_mut() {
                        frame.domain = target;
                        frame.record = None;
                        frame.next_term = 0;
                        frame.redirected = true;
                    }
                }
                None => self.conclude_frame(SpfResult::Neutral),
            }
            return;
        };
        if let Some(frame) = self.frames.last_mut() {
            frame.next_term += 1;
        }
        if directive.mechanism.needs_dns() && !self.count_lookup() {
            return;
        }
        let qualifier = directive.qualifier;
        match directive.mechanism {
            Mechanism::All => self.conclude_frame(qualifier.into()),
            Mechanism::Ip4 { address, prefix } => {
                if let IpAddr::V4(ip) = self.ip {
                    if v4_in(ip, address, prefix.unwrap_or(32)) {
                        self.conclude_frame(qualifier.into());
                    }
                }
            }
            Mechanism::Ip6 { address, prefix } => {
                if let IpAddr::V6(ip) = self.ip {
                    if v6_in(ip, address, prefix.unwrap_or(128)) {
                        self.conclude_frame(qualifier.into());
                    }
                }
            }
            Mechanism::A {
                domain: target,
                cidr4,
                cidr6,
            } => {
                let name = self.target_name(target.as_ref(), &domain);
                let cidr = Cidr {
                    v4: cidr4.unwrap_or(32),
                    v6: cidr6.unwrap_or(128),
                };
                let record_type = self.address_type();
                self.ask(name, record_type, Pending::Address(qualifier, cidr));
            }
            Mechanism::Mx {
                domain: target,
                cidr4,
                cidr6,
            } => {
                let name = self.target_name(target.as_ref(), &domain);
                let cidr = Cidr {
                    v4: cidr4.unwrap_or(32),
                    v6: cidr6.unwrap_or(128),
                };
                self.ask(name, RecordType::Mx, Pending::MxNames(qualifier, cidr));
            }
            Mechanism::Ptr(target) => {
                let target = self.target_name(target.as_ref(), &domain);
                let name = reverse_name(self.ip);
                self.ask(name, RecordType::Ptr, Pending::PtrNames(qualifier, target));
            }
            Mechanism::Exists(target) => {
                let name = self.expand_domain(&target, &domain);
                // exists always asks for A, whatever the client's address family (§5.7).
                self.ask(name, RecordType::A, Pending::Exists(qualifier));
            }
            Mechanism::Include(target) => {
                let name = self.expand_domain(&target, &domain);
                self.frames.push(Frame {
                    domain: name,
                    record: None,
                    next_term: 0,
                    origin: Origin::Include(qualifier),
                    redirected: false,
                });
            }
        }
    }

    /// Counts a DNS-querying term; false (and permerror) once over the limit.
    fn count_lookup(&mut self) -> bool {
        self.lookups = self.lookups.saturating_add(1);
        if self.lookups > self.config.max_lookups {
            self.finish(SpfResult::PermError, None);
            return false;
        }
        true
    }

    /// Counts a void lookup; false (and permerror) once over the limit.
    fn count_void(&mut self) -> bool {
        self.void_lookups = self.void_lookups.saturating_add(1);
        if self.void_lookups > self.config.max_void_lookups {
            self.finish(SpfResult::PermError, None);
            return false;
        }
        true
    }

    /// The current frame ends with `result`; include results flow to the parent (§5.2).
    fn conclude_frame(&mut self, mut result: SpfResult) {
        loop {
            let Some(frame) = self.frames.pop() else {
                self.finish(result, None);
                return;
            };
            if frame.redirected && result == SpfResult::None {
                result = SpfResult::PermError;
            }
            match frame.origin {
                Origin::Top => {
                    let explanation = frame.record.as_ref().and_then(SpfRecord::explanation);
                    match explanation {
                        Some(target) if result == SpfResult::Fail => {
                            let name = self.expand_domain(target, &frame.domain);
                            // The frame stays away: only the explanation is left to fetch.
                            self.ask(name, RecordType::Txt, Pending::Explanation(frame.domain));
                        }
                        _ => self.finish(result, None),
                    }
                    return;
                }
                Origin::Include(qualifier) => match result {
                    SpfResult::Pass => result = qualifier.into(),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => return,
                    SpfResult::TempError => {
                        self.finish(SpfResult::TempError, None);
                        return;
                    }
                    SpfResult::PermError | SpfResult::None => {
                        self.finish(SpfResult::PermError, None);
                        return;
                    }
                },
            }
        }
    }

    fn handle(&mut self, pending: Pending, answer: Answer) {
        let records = match answer {
            Answer::Records(records) => records,
            Answer::NxDomain => Vec::new(),
            Answer::Error => {
                match pending {
                    // A failed PTR lookup only means no match (§5.5); a failed host lookup
                    // under ptr skips that name.
                    Pending::PtrNames(..) => {}
                    Pending::PtrHost(qualifier, target, rest) => {
                        self.next_ptr_host(qualifier, target, rest)
                    }
                    Pending::Explanation(_) => self.finish(SpfResult::Fail, None),
                    _ => self.finish(SpfResult::TempError, None),
                }
                return;
            }
        };
        match pending {
            Pending::Record => {
                let mut spf = records.iter().filter_map(|r| match r {
                    Record::Txt(text) if is_spf_record(text) => Some(text),
                    _ => None,
                });
                match (spf.next(), spf.next()) {
                    (None, _) => self.conclude_frame(SpfResult::None),
                    (Some(_), Some(_)) => self.finish(SpfResult::PermError, None),
                    (Some(text), None) => match SpfRecord::parse(text) {
                        Ok(record) => {
                            if let Some(frame) = self.frames.last_mut() {
                                frame.record = Some(record);
                            }
                        }
                        Err(_) => self.finish(SpfResult::PermError, None),
                    },
                }
            }
            Pending::Address(qualifier, cidr) => {
                if records.is_empty() {
                    self.count_void();
                } else if self.any_address_matches(&records, cidr) {
                    self.conclude_frame(qualifier.into());
                }
            }
            Pending::MxNames(qualifier, cidr) => {
                if records.is_empty() {
                    self.count_void();
                    return;
                }
                let mut exchanges: Vec<(u16, String)> = records
                    .into_iter()
                    .filter_map(|r| match r {
                        Record::Mx {
                            preference,
                            exchange,
                        } => Some((preference, exchange)),
                        _ => None,
                    })
                    .collect();
                if exchanges.len() > self.config.max_mx_names {
                    self.finish(SpfResult::PermError, None);
                    return;
                }
                exchanges.sort_by_key(|(preference, _)| *preference);
                // Ask in preference order: pop from the back.
                let mut hosts: Vec<String> = exchanges
                    .into_iter()
                    .map(|(_, host)| trim_dot(&host).to_owned())
                    .filter(|host| !host.is_empty())
                    .rev()
                    .collect();
                if let Some(host) = hosts.pop() {
                    let record_type = self.address_type();
                    self.ask(host, record_type, Pending::MxHost(qualifier, cidr, hosts));
                }
            }
            Pending::MxHost(qualifier, cidr, mut rest) => {
                if self.any_address_matches(&records, cidr) {
                    self.conclude_frame(qualifier.into());
                } else if let Some(host) = rest.pop() {
                    let record_type = self.address_type();
                    self.ask(host, record_type, Pending::MxHost(qualifier, cidr, rest));
                }
            }
            Pending::PtrNames(qualifier, target) => {
                if records.is_empty() {
                    self.count_void();
                    return;
                }
                // Only names inside the target can validate it, so the others are not
                // looked up (§5.5 allows any order; the outcome is the same).
                let mut names: Vec<String> = records
                    .into_iter()
                    .filter_map(|r| match r {
                        Record::Ptr(name) => Some(trim_dot(&name).to_owned()),
                        _ => None,
                    })
                    .take(self.config.max_ptr_names)
                    .filter(|name| is_within(name, &target))
                    .collect();
                names.reverse();
                self.next_ptr_host(qualifier, target, names);
            }
            Pending::PtrHost(qualifier, target, rest) => {
                let cidr = Cidr { v4: 32, v6: 128 };
                if self.any_address_matches(&records, cidr) {
                    self.conclude_frame(qualifier.into());
                } else {
                    self.next_ptr_host(qualifier, target, rest);
                }
            }
            Pending::Exists(qualifier) => {
                if records.iter().any(|r| matches!(r, Record::A(_))) {
                    self.conclude_frame(qualifier.into());
                } else {
                    self.count_void();
                }
            }
            Pending::Explanation(domain) => {
                let explanation = self.explanation(&records, &domain);
                self.finish(SpfResult::Fail, explanation);
            }
        }
    }

    fn next_ptr_host(&mut self, qualifier: Qualifier, target: String, mut rest: Vec<String>) {
        if let Some(host) = rest.pop() {
            let record_type = self.address_type();
            self.ask(host, record_type, Pending::PtrHost(qualifier, target, rest));
        }
    }

    fn explanation(&self, records: &[Record], domain: &str) -> Option<String> {
        let mut texts = records.iter().filter_map(|r| match r {
            Record::Txt(text) => Some(text),
            _ => None,
        });
        let (Some(text), None) = (texts.next(), texts.next()) else {
            return None;
        };
        let macro_string = MacroString::parse(text, true).ok()?;
        let expanded = self.expand(&macro_string, domain);
        // Only printable ASCII may reach the SMTP reply.
        expanded
            .bytes()
            .all(|b| b == b' ' || b.is_ascii_graphic())
            .then_some(expanded)
    }

    fn any_address_matches(&self, records: &[Record], cidr: Cidr) -> bool {
        records.iter().any(|record| match (record, self.ip) {
            (Record::A(address), IpAddr::V4(ip)) => v4_in(ip, *address, cidr.v4),
            (Record::Aaaa(address), IpAddr::V6(ip)) => v6_in(ip, *address, cidr.v6),
            _ => false,
        })
    }

    fn target_name(&self, target: Option<&MacroString>, domain: &str) -> String {
        match target {
            Some(spec) => self.expand_domain(spec, domain),
            None => domain.to_owned(),
        }
    }

    /// Expands a domain-spec and shortens it from the left to 253 octets (§7.3).
    fn expand_domain(&self, spec: &MacroString, domain: &str) -> String {
        let expanded = self.expand(spec, domain);
        let mut name = trim_dot(&expanded);
        while name.len() > 253 {
            match name.split_once('.') {
                Some((_, rest)) => name = rest,
                None => return String::new(),
            }
        }
        name.to_owned()
    }

    /// Expands macros (RFC 7208 §7.3) with `domain` as `%{d}`.
    pub(crate) fn expand(&self, macro_string: &MacroString, domain: &str) -> String {
        let mut out = String::new();
        for part in &macro_string.parts {
            let m = match part {
                MacroPart::Literal(text) => {
                    out.push_str(text);
                    continue;
                }
                MacroPart::Macro(m) => m,
            };
            let value = match m.letter {
                MacroLetter::Sender => format!("{}@{}", self.sender_local, self.sender_domain),
                MacroLetter::LocalPart => self.sender_local.clone(),
                MacroLetter::SenderDomain => self.sender_domain.clone(),
                MacroLetter::Domain => domain.to_owned(),
                MacroLetter::Ip => dotted_ip(self.ip),
                // Validating the client's name would take lookups of its own that RFC 7208
                // §7.3 lets a checker skip; its fallback value is "unknown".
                MacroLetter::ValidatedName => "unknown".to_owned(),
                MacroLetter::IpVersion => match self.ip {
                    IpAddr::V4(_) => "in-addr".to_owned(),
                    IpAddr::V6(_) => "ip6".to_owned(),
                },
                MacroLetter::Helo => self.helo.clone(),
                MacroLetter::ClientIp => self.ip.to_string(),
                MacroLetter::Receiver => self.config.receiver.clone(),
                MacroLetter::Timestamp => self.config.timestamp.to_string(),
            };
            let delimiters = if m.delimiters.is_empty() {
                "."
            } else {
                m.delimiters.as_str()
            };
            let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
            if m.reverse {
                parts.reverse();
            }
            if let Some(keep) = m.keep {
                let keep = usize::try_from(keep).unwrap_or(usize::MAX);
                let skip = parts.len().saturating_sub(keep);
                parts.drain(..skip);
            }
            let transformed = parts.join(".");
            if m.url_escape {
                for byte in transformed.bytes() {
                    if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                        out.push(char::from(byte));
                    } else {
                        out.push_str(&format!("%{byte:02X}"));
                    }
                }
            } else {
                out.push_str(&transformed);
            }
        }
        out
    }
}

fn trim_dot(name: &str) -> &str {
    name.strip_suffix('.').unwrap_or(name)
}

/// True when `name` is `target` or a subdomain of it, ignoring case.
fn is_within(name: &str, target: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let target = target.to_ascii_lowercase();
    name == target || name.ends_with(&format!(".{target}"))
}

/// A usable multi-label domain name (RFC 7208 §4.3).
fn is_valid_domain(domain: &str) -> bool {
    let domain = trim_dot(domain);
    domain.len() <= 253
        && domain.contains('.')
        && domain
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63)
}

fn v4_in(ip: Ipv4Addr, network: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX
        .checked_shl(32 - u32::from(prefix.min(32)))
        .unwrap_or(0);
    u32::from(ip) & mask == u32::from(network) & mask
}

fn v6_in(ip: Ipv6Addr, network: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX
        .checked_shl(128 - u32::from(prefix.min(128)))
        .unwrap_or(0);
    u128::from(ip) & mask == u128::from(network) & mask
}

/// `%{i}`: dotted quad, or 32 dot-separated nibbles for IPv6 (§7.3).
fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => nibbles(v6).join("."),
    }
}

fn nibbles(ip: Ipv6Addr) -> Vec<String> {
    ip.octets()
        .iter()
        .flat_map(|octet| [octet >> 4, octet & 0x0f])
        .map(|nibble| format!("{nibble:x}"))
        .collect()
}

/// The in-addr.arpa / ip6.arpa name for a PTR query.
fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut parts = nibbles(v6);
            parts.reverse();
            format!("{}.ip6.arpa", parts.join("."))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluator(ip: &str) -> SpfEvaluator {
        SpfEvaluator::new(
            ip.parse().unwrap(),
            "email.example.com",
            "strong-bad@email.example.com",
            "mx.example.org",
            SpfConfig::default(),
        )
    }

    fn expand(ip: &str, text: &str) -> String {
        let spec = MacroString::parse(text, true).unwrap();
        evaluator(ip).expand(&spec, "email.example.com")
    }

    /// RFC 7208 §7.4, every row.
    #[test]
    fn rfc7208_expansion_examples() {
        let table = [
            ("%{s}", "strong-bad@email.example.com"),
            ("%{o}", "email.example.com"),
            ("%{d}", "email.example.com"),
            ("%{d4}", "email.example.com"),
            ("%{d3}", "email.example.com"),
            ("%{d2}", "example.com"),
            ("%{d1}", "com"),
            ("%{dr}", "com.example.email"),
            ("%{d2r}", "example.email"),
            ("%{l}", "strong-bad"),
            ("%{l-}", "strong.bad"),
            ("%{lr}", "strong-bad"),
            ("%{lr-}", "bad.strong"),
            ("%{l1r-}", "strong"),
            (
                "%{ir}.%{v}._spf.%{d2}",
                "3.2.0.192.in-addr._spf.example.com",
            ),
            ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
            (
                "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
                "bad.strong.lp.3.2.0.192.in-addr._spf.example.com",
            ),
            (
                "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
                "3.2.0.192.in-addr.strong.lp._spf.example.com",
            ),
            (
                "%{d2}.trusted-domains.example.net",
                "example.com.trusted-domains.example.net",
            ),
        ];
        for (macro_string, expected) in table {
            assert_eq!(
                expand("192.0.2.3", macro_string),
                expected,
                "{macro_string}"
            );
        }
        assert_eq!(
            expand("2001:db8::cb01", "%{ir}.%{v}._spf.%{d2}"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn url_escape_and_explanation_letters() {
        assert_eq!(
            expand("192.0.2.3", "%{S}"),
            "strong-bad%40email.example.com"
        );
        assert_eq!(expand("192.0.2.3", "%{c} %{r} %{t}"), "192.0.2.3 unknown 0");
        assert_eq!(expand("192.0.2.3", "a%%b%_c%-d"), "a%b c%20d");
        assert_eq!(expand("192.0.2.3", "%{h}"), "mx.example.org");
    }

    #[test]
    fn cidr_matching_and_reverse_names() {
        let net: Ipv4Addr = "192.0.2.128".parse().unwrap();
        assert!(v4_in("192.0.2.131".parse().unwrap(), net, 30));
        assert!(!v4_in("192.0.2.132".parse().unwrap(), net, 30));
        assert!(v4_in("10.1.2.3".parse().unwrap(), net, 0));
        let net6: Ipv6Addr = "2001:db8::".parse().unwrap();
        assert!(v6_in("2001:db8::1".parse().unwrap(), net6, 64));
        assert!(!v6_in("2001:db9::1".parse().unwrap(), net6, 32));
        assert_eq!(
            reverse_name("192.0.2.3".parse().unwrap()),
            "3.2.0.192.in-addr.arpa"
        );
        assert!(reverse_name("2001:db8::cb01".parse().unwrap()).starts_with("1.0.b.c.0.0.0.0"));
        assert!(is_within("mail.Example.com", "example.com"));
        assert!(!is_within("badexample.com", "example.com"));
    }

    #[test]
    fn long_expansion_is_shortened_from_the_left() {
        let evaluator = evaluator("192.0.2.3");
        let label = "a".repeat(60);
        let text = format!("{label}.{label}.{label}.{label}.{label}.%{{d}}");
        let spec = MacroString::parse(&text, false).unwrap();
        let name = evaluator.expand_domain(&spec, "email.example.com");
        assert!(name.len() <= 253);
        assert!(name.ends_with(".email.example.com"));
    }
}
