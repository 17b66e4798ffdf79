//! DMARC: record parsing, policy discovery, alignment, disposition with pct.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_auth::dmarc::{
    is_aligned, organizational_domain, AlignmentMode, DkimIdentity, DmarcEvaluator, DmarcOutcome,
    DmarcPoll, DmarcRecord, DmarcRecordError, DmarcResult, Policy, SpfIdentity,
};
use mailwire_auth::dns::{Answer, Question, Record};
use mailwire_auth::spf::SpfResult;

#[test]
fn record_tags() {
    let record = DmarcRecord::parse(
        "v=DMARC1; p=quarantine; sp=reject; pct=25; adkim=s; aspf=r; \
         rua=mailto:agg@example.com, mailto:agg2@example.net; ruf=mailto:f@example.com; fo=1",
    )
    .unwrap();
    assert_eq!(record.policy, Policy::Quarantine);
    assert_eq!(record.subdomain_policy, Some(Policy::Reject));
    assert_eq!(record.percent, 25);
    assert_eq!(record.dkim_alignment, AlignmentMode::Strict);
    assert_eq!(record.spf_alignment, AlignmentMode::Relaxed);
    assert_eq!(
        record.aggregate_reports,
        ["mailto:agg@example.com", "mailto:agg2@example.net"]
    );
    assert_eq!(record.failure_reports, ["mailto:f@example.com"]);
    let defaults = DmarcRecord::parse("v=DMARC1;p=none").unwrap();
    assert_eq!(defaults.percent, 100);
    assert_eq!(defaults.dkim_alignment, AlignmentMode::Relaxed);
    assert_eq!(defaults.subdomain_policy, None);
}

#[test]
fn record_errors() {
    for (text, error) in [
        ("v=spf1 -all", DmarcRecordError::NotDmarc),
        ("p=reject; v=DMARC1", DmarcRecordError::NotDmarc),
        ("v=DMARC1; sp=reject", DmarcRecordError::InvalidPolicy),
        ("v=DMARC1; p=drop", DmarcRecordError::InvalidPolicy),
        (
            "v=DMARC1; p=none; sp=x",
            DmarcRecordError::InvalidSubdomainPolicy,
        ),
        (
            "v=DMARC1; p=none; pct=101",
            DmarcRecordError::InvalidPercent,
        ),
        (
            "v=DMARC1; p=none; adkim=x",
            DmarcRecordError::InvalidAlignment,
        ),
        ("v=DMARC1; p=none; junk", DmarcRecordError::MalformedTag),
    ] {
        assert_eq!(DmarcRecord::parse(text), Err(error), "{text}");
    }
}

#[test]
fn organizational_domains_and_alignment() {
    assert_eq!(organizational_domain("mail.example.com"), "example.com");
    assert_eq!(organizational_domain("a.b.example.co.uk"), "example.co.uk");
    assert_eq!(organizational_domain("Example.COM."), "example.com");
    assert!(is_aligned(
        "bounce.example.com",
        "example.com",
        AlignmentMode::Relaxed
    ));
    assert!(!is_aligned(
        "bounce.example.com",
        "example.com",
        AlignmentMode::Strict
    ));
    assert!(is_aligned(
        "EXAMPLE.com",
        "example.com",
        AlignmentMode::Strict
    ));
    assert!(!is_aligned(
        "example.net",
        "example.com",
        AlignmentMode::Relaxed
    ));
    assert!(!is_aligned(
        "other.co.uk",
        "example.co.uk",
        AlignmentMode::Relaxed
    ));
}

/// Runs DMARC for `from` against a zone of `_dmarc` TXT records; returns the outcome and
/// the names asked.
fn run(
    zone: &[(&str, Answer)],
    from: &str,
    spf: Option<SpfIdentity>,
    dkim: Vec<DkimIdentity>,
    roll: u8,
) -> (DmarcOutcome, Vec<String>) {
    let mut dmarc = DmarcEvaluator::new(from, spf, dkim, roll);
    let mut asked = Vec::new();
    loop {
        match dmarc.poll() {
            DmarcPoll::Query(question) => {
                let answer = zone
                    .iter()
                    .find(|(name, _)| *name == question.name)
                    .map_or(Answer::NxDomain, |(_, a)| a.clone());
                dmarc.answer(&question, answer).unwrap();
                asked.push(question.name);
                assert!(asked.len() <= 2);
            }
            DmarcPoll::Done(outcome) => return (outcome, asked),
        }
    }
}

fn txt(text: &str) -> Answer {
    Answer::Records(vec![Record::Txt(text.to_owned())])
}

fn spf(result: SpfResult, domain: &str) -> Option<SpfIdentity> {
    Some(SpfIdentity {
        result,
        domain: domain.to_owned(),
    })
}

fn dkim(pass: bool, domain: &str) -> Vec<DkimIdentity> {
    vec![DkimIdentity {
        pass,
        domain: domain.to_owned(),
    }]
}

#[test]
fn aligned_spf_or_dkim_passes() {
    let zone = [("_dmarc.example.com", txt("v=DMARC1; p=reject"))];
    let (outcome, asked) = run(
        &zone,
        "example.com",
        spf(SpfResult::Pass, "bounce.example.com"),
        vec![],
        0,
    );
    assert_eq!(outcome.result, DmarcResult::Pass);
    assert!(outcome.spf_aligned && !outcome.dkim_aligned);
    assert_eq!(outcome.disposition, Policy::None);
    assert_eq!(asked, ["_dmarc.example.com"]);
    let (outcome, _) = run(
        &zone,
        "example.com",
        spf(SpfResult::Fail, "example.com"),
        dkim(true, "mail.example.com"),
        0,
    );
    assert_eq!(outcome.result, DmarcResult::Pass);
    assert!(outcome.dkim_aligned);
}

#[test]
fn unaligned_or_failing_is_rejected() {
    let zone = [("_dmarc.example.com", txt("v=DMARC1; p=reject; aspf=s"))];
    // SPF passes for a subdomain, but strict SPF alignment wants the exact domain.
    let (outcome, _) = run(
        &zone,
        "example.com",
        spf(SpfResult::Pass, "bounce.example.com"),
        dkim(true, "example.net"),
        0,
    );
    assert_eq!(outcome.result, DmarcResult::Fail);
    assert_eq!(outcome.disposition, Policy::Reject);
    // A DKIM signature from the right domain that failed does not count.
    let (outcome, _) = run(&zone, "example.com", None, dkim(false, "example.com"), 0);
    assert_eq!(outcome.result, DmarcResult::Fail);
}

#[test]
fn organizational_domain_record_and_subdomain_policy() {
    let zone = [(
        "_dmarc.example.co.uk",
        txt("v=DMARC1; p=reject; sp=quarantine"),
    )];
    let (outcome, asked) = run(&zone, "news.Example.co.uk", None, vec![], 0);
    assert_eq!(asked, ["_dmarc.news.example.co.uk", "_dmarc.example.co.uk"]);
    assert_eq!(outcome.result, DmarcResult::Fail);
    assert_eq!(outcome.disposition, Policy::Quarantine);
    assert_eq!(outcome.policy_domain.as_deref(), Some("example.co.uk"));
    // At the organizational domain itself, p applies and there is no second lookup.
    let (outcome, asked) = run(&zone, "example.co.uk", None, vec![], 0);
    assert_eq!(asked, ["_dmarc.example.co.uk"]);
    assert_eq!(outcome.disposition, Policy::Reject);
}

#[test]
fn pct_sampling_uses_the_injected_roll() {
    let zone = [("_dmarc.example.com", txt("v=DMARC1; p=reject; pct=30"))];
    let (outcome, _) = run(&zone, "example.com", None, vec![], 29);
    assert_eq!(outcome.disposition, Policy::Reject);
    let (outcome, _) = run(&zone, "example.com", None, vec![], 30);
    assert_eq!(outcome.disposition, Policy::Quarantine);
    let zone = [("_dmarc.example.com", txt("v=DMARC1; p=quarantine; pct=0"))];
    let (outcome, _) = run(&zone, "example.com", None, vec![], 0);
    assert_eq!(
        (outcome.result, outcome.disposition),
        (DmarcResult::Fail, Policy::None)
    );
}

#[test]
fn none_temperror_permerror() {
    let (outcome, asked) = run(&[], "mail.example.com", None, vec![], 0);
    assert_eq!(outcome.result, DmarcResult::None);
    assert_eq!(asked.len(), 2);
    // Two DMARC records: no policy.
    let two = Answer::Records(vec![
        Record::Txt("v=DMARC1; p=none".into()),
        Record::Txt("v=DMARC1; p=reject".into()),
    ]);
    let (outcome, _) = run(
        &[("_dmarc.example.com", two)],
        "example.com",
        None,
        vec![],
        0,
    );
    assert_eq!(outcome.result, DmarcResult::None);
    let (outcome, _) = run(
        &[("_dmarc.example.com", Answer::Error)],
        "example.com",
        None,
        vec![],
        0,
    );
    assert_eq!(outcome.result, DmarcResult::TempError);
    let (outcome, _) = run(
        &[("_dmarc.example.com", txt("v=DMARC1; p=bogus"))],
        "example.com",
        None,
        vec![],
        0,
    );
    assert_eq!(outcome.result, DmarcResult::PermError);
    // Unrelated TXT records are skipped.
    let mixed = Answer::Records(vec![
        Record::Txt("hello".into()),
        Record::Txt("v=DMARC1; p=none".into()),
    ]);
    let (outcome, _) = run(
        &[("_dmarc.example.com", mixed)],
        "example.com",
        None,
        vec![],
        0,
    );
    assert_eq!(outcome.result, DmarcResult::Fail);
    assert_eq!(outcome.disposition, Policy::None);
}

#[test]
fn answers_must_match() {
    let mut dmarc = DmarcEvaluator::new("example.com", None, vec![], 0);
    let wrong = Question::new("_dmarc.example.net", mailwire_auth::dns::RecordType::Txt);
    assert!(dmarc.answer(&wrong, Answer::NxDomain).is_err());
}

#[test]
fn from_domain_of_messages() {
    use mailwire_auth::dmarc::{from_domain, FromDomainError};
    let message =
        b"Received: x\r\nFrom: \"Amy\" <amy@Mail.Example.COM>\r\nTo: b@example.net\r\n\r\nbody\r\n";
    assert_eq!(from_domain(message).unwrap(), "mail.example.com");
    let same = b"From: a@example.com, b@EXAMPLE.com\r\n\r\n";
    assert_eq!(from_domain(same).unwrap(), "example.com");
    let mixed = b"From: a@example.com, b@example.net\r\n\r\n";
    assert_eq!(from_domain(mixed), Err(FromDomainError::MultipleDomains));
    let two = b"From: a@example.com\r\nFrom: b@example.com\r\n\r\n";
    assert_eq!(from_domain(two), Err(FromDomainError::MultipleFields));
    let none = b"To: a@example.com\r\n\r\n";
    assert_eq!(from_domain(none), Err(FromDomainError::Missing));
}
