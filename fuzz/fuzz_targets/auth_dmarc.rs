#![no_main]
//! mailwire-auth DMARC: the policy record parser and the From-domain extraction on
//! arbitrary input, and the evaluator fed arbitrary SPF/DKIM results and DNS answers:
//! nothing panics, at most two questions are asked (`_dmarc.<From domain>`, then the
//! organizational domain's), a pass always has an aligned identifier, and only a fail
//! carries a quarantine or reject disposition.

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mailwire_auth::dmarc::{
    from_domain, DkimIdentity, DmarcEvaluator, DmarcPoll, DmarcRecord, DmarcResult, Policy,
    SpfIdentity,
};
use mailwire_auth::dns::{Answer, Record};
use mailwire_auth::spf::SpfResult;

/// Domains drawn from a small set, so that alignment is sometimes true.
const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.com",
    "a.b.example.com",
    "example.org",
    "example.co.uk",
    "sub.example.co.uk",
    "com",
    "",
];

fn domain(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(3u8, 4u8)? {
        Ok((*u.choose(DOMAINS)?).to_string())
    } else {
        u.arbitrary()
    }
}

fn answer(u: &mut Unstructured<'_>) -> Result<Answer> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 => Answer::NxDomain,
        1 => Answer::Error,
        _ => {
            let count = u.int_in_range(0usize..=3)?;
            let mut records = Vec::with_capacity(count);
            for _ in 0..count {
                let text: String = u.arbitrary()?;
                records.push(if u.arbitrary()? {
                    Record::Txt(format!("v=DMARC1; {text}"))
                } else {
                    Record::Txt(text)
                });
            }
            Answer::Records(records)
        }
    })
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let from = domain(&mut u)?;
    let spf = if u.arbitrary()? {
        Some(SpfIdentity {
            result: *u.choose(&[
                SpfResult::None,
                SpfResult::Neutral,
                SpfResult::Pass,
                SpfResult::Fail,
                SpfResult::SoftFail,
                SpfResult::TempError,
                SpfResult::PermError,
            ])?,
            domain: domain(&mut u)?,
        })
    } else {
        None
    };
    let mut dkim = Vec::new();
    for _ in 0..u.int_in_range(0usize..=3)? {
        dkim.push(DkimIdentity {
            pass: u.arbitrary()?,
            domain: domain(&mut u)?,
        });
    }
    let roll = u.int_in_range(0u8..=99)?;
    let mut evaluator = DmarcEvaluator::new(&from, spf, dkim, roll);
    let mut questions = 0;
    loop {
        match evaluator.poll() {
            DmarcPoll::Query(question) => {
                questions += 1;
                assert!(questions <= 2, "more than two questions");
                let answer = answer(&mut u).unwrap_or(Answer::Error);
                evaluator
                    .answer(&question, answer)
                    .expect("the asked question is accepted");
            }
            DmarcPoll::Done(outcome) => {
                if outcome.result == DmarcResult::Pass {
                    assert!(outcome.spf_aligned || outcome.dkim_aligned);
                }
                if outcome.result != DmarcResult::Fail {
                    assert_eq!(outcome.disposition, Policy::None);
                }
                return Ok(());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = DmarcRecord::parse(&text);
    let _ = from_domain(data);
    let _ = run(data);
});
