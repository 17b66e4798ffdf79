//! DMARC (RFC 7489): policy records, policy discovery through the organizational domain,
//! identifier alignment and the disposition, as a poll/answer machine.

use crate::dns::{Answer, Question, Record, RecordType};
use crate::spf::SpfResult;

/// Why a DMARC record did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DmarcRecordError {
    /// The record does not start with `v=DMARC1`.
    #[error("not a dmarc version 1 record")]
    NotDmarc,
    /// A tag without `=`.
    #[error("malformed tag")]
    MalformedTag,
    /// `p` missing or not none/quarantine/reject.
    #[error("missing or invalid p tag")]
    InvalidPolicy,
    /// `sp` not none/quarantine/reject.
    #[error("invalid sp tag")]
    InvalidSubdomainPolicy,
    /// `pct` not an integer from 0 to 100.
    #[error("invalid pct tag")]
    InvalidPercent,
    /// `adkim` or `aspf` not `r` or `s`.
    #[error("invalid alignment mode")]
    InvalidAlignment,
}

/// A requested policy (`p`, `sp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    /// Monitor only.
    None,
    /// Treat as suspicious.
    Quarantine,
    /// Reject during the SMTP transaction.
    Reject,
}

impl Policy {
    fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "none" => Some(Self::None),
            "quarantine" => Some(Self::Quarantine),
            "reject" => Some(Self::Reject),
            _ => None,
        }
    }

    /// The next milder policy, used when a message falls outside `pct` (RFC 7489 §6.6.4).
    fn milder(self) -> Self {
        match self {
            Self::Reject => Self::Quarantine,
            Self::Quarantine | Self::None => Self::None,
        }
    }
}

/// Identifier alignment mode (`adkim`, `aspf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlignmentMode {
    /// Same organizational domain (the default).
    Relaxed,
    /// Exactly the same domain.
    Strict,
}

/// A parsed DMARC record (RFC 7489 §6.3). `fo`, `rf` and `ri` are accepted and not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcRecord {
    /// `p`: the policy for the domain.
    pub policy: Policy,
    /// `sp`: the policy for subdomains (`p` when absent).
    pub subdomain_policy: Option<Policy>,
    /// `pct`: the percentage of failing messages the policy applies to (default 100).
    pub percent: u8,
    /// `adkim` (default relaxed).
    pub dkim_alignment: AlignmentMode,
    /// `aspf` (default relaxed).
    pub spf_alignment: AlignmentMode,
    /// `rua`: aggregate report URIs.
    pub aggregate_reports: Vec<String>,
    /// `ruf`: failure report URIs.
    pub failure_reports: Vec<String>,
}

/// True when a TXT string starts like a DMARC record.
fn looks_like_dmarc(text: &str) -> bool {
    let mut first = text.split(';').next().unwrap_or_default().splitn(2, '=');
    let tag = first.next().unwrap_or_default().trim();
    let value = first.next().unwrap_or_default().trim();
    tag == "v" && value == "DMARC1"
}

impl DmarcRecord {
    /// Parses `v=DMARC1; p=...; ...`.
    pub fn parse(text: &str) -> Result<Self, DmarcRecordError> {
        if !looks_like_dmarc(text) {
            return Err(DmarcRecordError::NotDmarc);
        }
        let mut record = Self {
            policy: Policy::None,
            subdomain_policy: None,
            percent: 100,
            dkim_alignment: AlignmentMode::Relaxed,
            spf_alignment: AlignmentMode::Relaxed,
            aggregate_reports: Vec::new(),
            failure_reports: Vec::new(),
        };
        let mut policy = None;
        for tag in text.split(';').skip(1) {
            let tag = tag.trim();
            if tag.is_empty() {
                continue;
            }
            let (name, value) = tag.split_once('=').ok_or(DmarcRecordError::MalformedTag)?;
            let (name, value) = (name.trim(), value.trim());
            match name {
                "p" => policy = Some(Policy::parse(value).ok_or(DmarcRecordError::InvalidPolicy)?),
                "sp" => {
                    record.subdomain_policy =
                        Some(Policy::parse(value).ok_or(DmarcRecordError::InvalidSubdomainPolicy)?)
                }
                "pct" => {
                    record.percent = value
                        .parse::<u8>()
                        .ok()
                        .filter(|p| *p <= 100)
                        .ok_or(DmarcRecordError::InvalidPercent)?
                }
                "adkim" => record.dkim_alignment = parse_alignment(value)?,
                "aspf" => record.spf_alignment = parse_alignment(value)?,
                "rua" => record.aggregate_reports = uri_list(value),
                "ruf" => record.failure_reports = uri_list(value),
                // Unknown tags are ignored (§6.3), so are fo/rf/ri which only steer reports.
                _ => {}
            }
        }
        record.policy = policy.ok_or(DmarcRecordError::InvalidPolicy)?;
        Ok(record)
    }
}

fn parse_alignment(value: &str) -> Result<AlignmentMode, DmarcRecordError> {
    match value {
        "r" | "R" => Ok(AlignmentMode::Relaxed),
        "s" | "S" => Ok(AlignmentMode::Strict),
        _ => Err(DmarcRecordError::InvalidAlignment),
    }
}

fn uri_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|uri| !uri.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The organizational domain of `domain` through the Public Suffix List (RFC 7489 §3.2),
/// lowercased; the name itself when the list knows no registrable domain for it.
pub fn organizational_domain(domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    psl::domain_str(&domain).unwrap_or(&domain).to_owned()
}

/// True when `identifier` aligns with `from_domain` under `mode` (RFC 7489 §3.1).
pub fn is_aligned(identifier: &str, from_domain: &str, mode: AlignmentMode) -> bool {
    let identifier = identifier.trim_end_matches('.');
    let from_domain = from_domain.trim_end_matches('.');
    match mode {
        AlignmentMode::Strict => identifier.eq_ignore_ascii_case(from_domain),
        AlignmentMode::Relaxed => {
            organizational_domain(identifier) == organizational_domain(from_domain)
        }
    }
}

/// What SPF said, and about which domain (the MAIL FROM domain, or HELO when it was empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfIdentity {
    /// The SPF result.
    pub result: SpfResult,
    /// The domain SPF checked.
    pub domain: String,
}

/// One DKIM signature's verification, by its `d=` domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimIdentity {
    /// True when the signature verified.
    pub pass: bool,
    /// The signing domain (`d=`).
    pub domain: String,
}

/// The DMARC result (RFC 7489 §11.2 values for Authentication-Results).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DmarcResult {
    /// No policy record was found.
    None,
    /// An aligned SPF or DKIM pass.
    Pass,
    /// No aligned pass.
    Fail,
    /// A DNS error during policy discovery.
    TempError,
    /// The policy record could not be interpreted.
    PermError,
}

impl DmarcResult {
    /// The lowercase name used in Authentication-Results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::TempError => "temperror",
            Self::PermError => "permerror",
        }
    }
}

/// The final answer of a DMARC evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DmarcOutcome {
    /// The result.
    pub result: DmarcResult,
    /// What to do with the message: [`Policy::None`] unless the result is a fail under a
    /// quarantine/reject policy (milder when `pct` left the message out).
    pub disposition: Policy,
    /// The domain whose `_dmarc` record was used.
    pub policy_domain: Option<String>,
    /// The record used.
    pub record: Option<DmarcRecord>,
    /// An SPF pass aligned with the From domain.
    pub spf_aligned: bool,
    /// A DKIM pass aligned with the From domain.
    pub dkim_aligned: bool,
}

/// What the evaluator needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmarcPoll {
    /// Resolve this question and hand the answer to [`DmarcEvaluator::answer`].
    Query(Question),
    /// The evaluation is over.
    Done(DmarcOutcome),
}

/// The answer did not belong to the outstanding question.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DmarcAnswerError {
    /// No question is outstanding, or a different one is.
    #[error("answer does not match the outstanding question")]
    UnexpectedAnswer,
}

/// DMARC for one message: the RFC 5322 From domain, the SPF and DKIM results, and a random
/// roll in `0..100` for `pct` sampling (randomness is injected).
#[derive(Debug)]
pub struct DmarcEvaluator {
    from_domain: String,
    organizational: String,
    spf: Option<SpfIdentity>,
    dkim: Vec<DkimIdentity>,
    percent_roll: u8,
    asked: Option<(Question, bool)>,
    done: Option<DmarcOutcome>,
}

impl DmarcEvaluator {
    /// A new evaluation; `percent_roll` is a uniformly random number from 0 to 99.
    pub fn new(
        from_domain: &str,
        spf: Option<SpfIdentity>,
        dkim: Vec<DkimIdentity>,
        percent_roll: u8,
    ) -> Self {
        let from_domain = from_domain.trim_end_matches('.').to_ascii_lowercase();
        let organizational = organizational_domain(&from_domain);
        let question = Question::new(format!("_dmarc.{from_domain}"), RecordType::Txt);
        Self {
            from_domain,
            organizational,
            spf,
            dkim,
            percent_roll,
            asked: Some((question, false)),
            done: None,
        }
    }

    /// The next DNS question, or the outcome.
    #[must_use]
    pub fn poll(&self) -> DmarcPoll {
        match (&self.done, &self.asked) {
            (Some(outcome), _) => DmarcPoll::Done(outcome.clone()),
            (None, Some((question, _))) => DmarcPoll::Query(question.clone()),
            (None, None) => DmarcPoll::Done(self.outcome(DmarcResult::PermError, None, None)),
        }
    }

    /// Hands over the resolver's answer to the outstanding `question`.
    pub fn answer(&mut self, question: &Question, answer: Answer) -> Result<(), DmarcAnswerError> {
        let at_organizational = match &self.asked {
            Some((asked, at_org)) if asked == question && self.done.is_none() => *at_org,
            _ => return Err(DmarcAnswerError::UnexpectedAnswer),
        };
        self.asked = None;
        let records = match answer {
            Answer::Records(records) => records,
            Answer::NxDomain => Vec::new(),
            Answer::Error => {
                self.done = Some(self.outcome(DmarcResult::TempError, None, None));
                return Ok(());
            }
        };
        let mut candidates = records.iter().filter_map(|r| match r {
            Record::Txt(text) if looks_like_dmarc(text) => Some(text),
            _ => None,
        });
        // Zero or several records: no policy here (RFC 7489 §6.6.3).
        let text = match (candidates.next(), candidates.next()) {
            (Some(text), None) => Some(text),
            _ => None,
        };
        let policy_domain = if at_organizational {
            self.organizational.clone()
        } else {
            self.from_domain.clone()
        };
        match text.map(|t| DmarcRecord::parse(t)) {
            Some(Ok(record)) => {
                self.done = Some(self.evaluate(record, policy_domain, at_organizational));
            }
            Some(Err(_)) => {
                self.done = Some(self.outcome(DmarcResult::PermError, Some(policy_domain), None));
            }
            None if !at_organizational && self.organizational != self.from_domain => {
                let name = format!("_dmarc.{}", self.organizational);
                self.asked = Some((Question::new(name, RecordType::Txt), true));
            }
            None => self.done = Some(self.outcome(DmarcResult::None, None, None)),
        }
        Ok(())
    }

    fn evaluate(
        &self,
        record: DmarcRecord,
        policy_domain: String,
        at_organizational: bool,
    ) -> DmarcOutcome {
        let spf_aligned = self.spf.as_ref().is_some_and(|spf| {
            spf.result == SpfResult::Pass
                && is_aligned(&spf.domain, &self.from_domain, record.spf_alignment)
        });
        let dkim_aligned = self.dkim.iter().any(|dkim| {
            dkim.pass && is_aligned(&dkim.domain, &self.from_domain, record.dkim_alignment)
        });
        let pass = spf_aligned || dkim_aligned;
        let requested = if at_organizational {
            record.subdomain_policy.unwrap_or(record.policy)
        } else {
            record.policy
        };
        let disposition = if pass {
            Policy::None
        } else if self.percent_roll < record.percent {
            requested
        } else {
            requested.milder()
        };
        DmarcOutcome {
            result: if pass {
                DmarcResult::Pass
            } else {
                DmarcResult::Fail
            },
            disposition,
            policy_domain: Some(policy_domain),
            record: Some(record),
            spf_aligned,
            dkim_aligned,
        }
    }

    fn outcome(
        &self,
        result: DmarcResult,
        policy_domain: Option<String>,
        record: Option<DmarcRecord>,
    ) -> DmarcOutcome {
        DmarcOutcome {
            result,
            disposition: Policy::None,
            policy_domain,
            record,
            spf_aligned: false,
            dkim_aligned: false,
        }
    }
}

/// Why no single RFC 5322.From domain could be taken from a message (RFC 7489 §6.6.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FromDomainError {
    /// The header section did not parse.
    #[error("header section does not parse")]
    Header,
    /// No From field, or one without a usable mailbox.
    #[error("no from address")]
    Missing,
    /// More than one From field.
    #[error("more than one from field")]
    MultipleFields,
    /// Several From mailboxes with different domains: no single policy applies.
    #[error("from addresses in different domains")]
    MultipleDomains,
}

/// The RFC 5322.From domain of `message` (header section, or whole message), lowercased,
/// parsed with mailwire-mime under its default header limits.
pub fn from_domain(message: &[u8]) -> Result<String, FromDomainError> {
    use mailwire_mime::header::{AddressList, HeaderLimits, HeaderSection};
    let section = HeaderSection::parse(message, &HeaderLimits::default())
        .map_err(|_| FromDomainError::Header)?;
    if section.get_all("From").nth(1).is_some() {
        return Err(FromDomainError::MultipleFields);
    }
    let raw = section.get_raw("From").ok_or(FromDomainError::Missing)?;
    let list = AddressList::parse(raw);
    let mut domain: Option<String> = None;
    for mailbox in list.mailboxes() {
        let this = mailbox.domain().trim_end_matches('.').to_ascii_lowercase();
        if this.is_empty() {
            continue;
        }
        match &domain {
            Some(seen) if *seen != this => return Err(FromDomainError::MultipleDomains),
            Some(_) => {}
            None => domain = Some(this),
        }
    }
    domain.ok_or(FromDomainError::Missing)
}
