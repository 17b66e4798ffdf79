#![no_main]
//! mailwire-auth SPF check_host() fed arbitrary DNS answers: nothing panics, the machine
//! always ends, and the number of questions stays within what the lookup limits allow
//! (10 DNS-querying terms, each with at most 10 MX or PTR host lookups, plus the first
//! record and the explanation).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mailwire_auth::dns::{Answer, Record, RecordType};
use mailwire_auth::spf::{SpfConfig, SpfEvaluator, SpfPoll};

const MAX_QUESTIONS: usize = 1 + 10 * (1 + 10) + 1;

fn answer(u: &mut Unstructured<'_>, record_type: RecordType) -> Result<Answer> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => Answer::NxDomain,
        1 => Answer::Error,
        _ => {
            let count = u.int_in_range(0usize..=12)?;
            let mut records = Vec::with_capacity(count);
            for _ in 0..count {
                // Mostly the asked type, sometimes another one (which must be ignored).
                let kind = if u.ratio(7u8, 8u8)? {
                    record_type
                } else {
                    *u.choose(&[
                        RecordType::Txt,
                        RecordType::A,
                        RecordType::Aaaa,
                        RecordType::Mx,
                        RecordType::Ptr,
                    ])?
                };
                records.push(match kind {
                    RecordType::A => Record::A(Ipv4Addr::from(u.arbitrary::<u32>()?)),
                    RecordType::Aaaa => Record::Aaaa(Ipv6Addr::from(u.arbitrary::<u128>()?)),
                    RecordType::Mx => Record::Mx {
                        preference: u.arbitrary()?,
                        exchange: u.arbitrary()?,
                    },
                    RecordType::Ptr => Record::Ptr(u.arbitrary()?),
                    _ => {
                        let text: String = u.arbitrary()?;
                        if u.arbitrary()? {
                            Record::Txt(format!("v=spf1 {text}"))
                        } else {
                            Record::Txt(text)
                        }
                    }
                });
            }
            Answer::Records(records)
        }
    })
}

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let ip = if u.arbitrary()? {
        IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?))
    } else {
        IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?))
    };
    let sender: String = u.arbitrary()?;
    let mut spf = SpfEvaluator::mail_from(ip, &sender, "helo.example.org", SpfConfig::default());
    let mut questions = 0;
    loop {
        match spf.poll() {
            SpfPoll::Query(question) => {
                questions += 1;
                assert!(questions <= MAX_QUESTIONS, "too many questions");
                let answer = match answer(&mut u, question.record_type) {
                    Ok(answer) => answer,
                    // Out of input: the resolver fails from here on.
                    Err(_) => Answer::Error,
                };
                spf.answer(&question, answer)
                    .expect("the asked question is accepted");
            }
            SpfPoll::Done(outcome) => {
                assert!(outcome.lookups <= 11);
                return Ok(());
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
