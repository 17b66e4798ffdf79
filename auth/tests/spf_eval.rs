//! check_host() against canned DNS: RFC 7208 Appendix A replayed, limits, error paths.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;
use std::net::IpAddr;

use mailwire_auth::dns::{Answer, Question, Record, RecordType};
use mailwire_auth::spf::{SpfConfig, SpfEvaluator, SpfOutcome, SpfPoll, SpfResult};

#[derive(Default, Clone)]
struct Zone {
    answers: HashMap<(String, RecordType), Answer>,
}

impl Zone {
    fn add(&mut self, name: &str, record: Record) -> &mut Self {
        let record_type = match &record {
            Record::Txt(_) => RecordType::Txt,
            Record::A(_) => RecordType::A,
            Record::Aaaa(_) => RecordType::Aaaa,
            Record::Mx { .. } => RecordType::Mx,
            Record::Ptr(_) => RecordType::Ptr,
            _ => unreachable!(),
        };
        let entry = self
            .answers
            .entry((name.to_owned(), record_type))
            .or_insert_with(|| Answer::Records(Vec::new()));
        if let Answer::Records(records) = entry {
            records.push(record);
        }
        self
    }

    fn txt(&mut self, name: &str, text: &str) -> &mut Self {
        self.add(name, Record::Txt(text.to_owned()))
    }

    fn a(&mut self, name: &str, ip: &str) -> &mut Self {
        self.add(name, Record::A(ip.parse().unwrap()))
    }

    fn mx(&mut self, name: &str, preference: u16, exchange: &str) -> &mut Self {
        self.add(
            name,
            Record::Mx {
                preference,
                exchange: exchange.to_owned(),
            },
        )
    }

    fn ptr(&mut self, name: &str, target: &str) -> &mut Self {
        self.add(name, Record::Ptr(target.to_owned()))
    }

    fn set(&mut self, name: &str, record_type: RecordType, answer: Answer) -> &mut Self {
        self.answers.insert((name.to_owned(), record_type), answer);
        self
    }

    fn resolve(&self, question: &Question) -> Answer {
        // A name that exists with other types answers "no data", otherwise NXDOMAIN.
        if let Some(answer) = self
            .answers
            .get(&(question.name.to_ascii_lowercase(), question.record_type))
        {
            return answer.clone();
        }
        let exists = self.answers.keys().any(|(name, _)| *name == question.name);
        if exists {
            Answer::Records(Vec::new())
        } else {
            Answer::NxDomain
        }
    }

    /// Runs check_host(ip, domain, sender) and returns the outcome and the questions asked.
    fn check(&self, ip: &str, domain: &str, sender: &str) -> (SpfOutcome, Vec<Question>) {
        self.check_with(ip, domain, sender, SpfConfig::default())
    }

    fn check_with(
        &self,
        ip: &str,
        domain: &str,
        sender: &str,
        config: SpfConfig,
    ) -> (SpfOutcome, Vec<Question>) {
        let ip: IpAddr = ip.parse().unwrap();
        let mut spf = SpfEvaluator::new(ip, domain, sender, "helo.example.net", config);
        let mut asked = Vec::new();
        for _ in 0..1000 {
            match spf.poll() {
                SpfPoll::Query(question) => {
                    let answer = self.resolve(&question);
                    spf.answer(&question, answer).unwrap();
                    asked.push(question);
                }
                SpfPoll::Done(outcome) => return (outcome, asked),
            }
        }
        panic!("evaluation did not end: {asked:?}");
    }

    fn result(&self, ip: &str, domain: &str) -> SpfResult {
        self.check(ip, domain, &format!("user@{domain}")).0.result
    }
}

/// RFC 7208 Appendix A's zone, without the TXT record under test.
fn appendix_a_zone() -> Zone {
    let mut zone = Zone::default();
    zone.mx("example.com", 10, "mail-a.example.com")
        .mx("example.com", 20, "mail-b.example.com")
        .a("example.com", "192.0.2.10")
        .a("example.com", "192.0.2.11")
        .a("amy.example.com", "192.0.2.65")
        .a("bob.example.com", "192.0.2.66")
        .a("mail-a.example.com", "192.0.2.129")
        .a("mail-b.example.com", "192.0.2.130")
        .a("www.example.com", "192.0.2.10")
        .a("www.example.com", "192.0.2.11")
        .mx("example.org", 10, "mail-c.example.org")
        .a("mail-c.example.org", "192.0.2.140")
        .ptr("10.2.0.192.in-addr.arpa", "example.com")
        .ptr("11.2.0.192.in-addr.arpa", "example.com")
        .ptr("65.2.0.192.in-addr.arpa", "amy.example.com")
        .ptr("66.2.0.192.in-addr.arpa", "bob.example.com")
        .ptr("129.2.0.192.in-addr.arpa", "mail-a.example.com")
        .ptr("130.2.0.192.in-addr.arpa", "mail-b.example.com")
        .ptr("140.2.0.192.in-addr.arpa", "mail-c.example.org")
        .ptr("4.0.0.10.in-addr.arpa", "bob.example.com");
    zone
}

const HOSTS: [&str; 10] = [
    "192.0.2.10",
    "192.0.2.11",
    "192.0.2.65",
    "192.0.2.66",
    "192.0.2.129",
    "192.0.2.130",
    "192.0.2.131",
    "192.0.2.140",
    "192.0.2.143",
    "10.0.0.4",
];

/// Which of HOSTS pass when example.com publishes `record`.
fn passing(record: &str) -> Vec<&'static str> {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", record);
    HOSTS
        .into_iter()
        .filter(|ip| {
            let result = zone.result(ip, "example.com");
            assert!(
                matches!(result, SpfResult::Pass | SpfResult::Fail),
                "{record} {ip}: {result:?}"
            );
            result == SpfResult::Pass
        })
        .collect()
}

#[test]
fn appendix_a1_simple_examples() {
    assert_eq!(passing("v=spf1 +all"), HOSTS.to_vec());
    assert_eq!(passing("v=spf1 a -all"), ["192.0.2.10", "192.0.2.11"]);
    assert!(passing("v=spf1 a:example.org -all").is_empty());
    assert_eq!(passing("v=spf1 mx -all"), ["192.0.2.129", "192.0.2.130"]);
    assert_eq!(passing("v=spf1 mx:example.org -all"), ["192.0.2.140"]);
    assert_eq!(
        passing("v=spf1 mx mx:example.org -all"),
        ["192.0.2.129", "192.0.2.130", "192.0.2.140"]
    );
    assert_eq!(
        passing("v=spf1 mx/30 mx:example.org/30 -all"),
        [
            "192.0.2.129",
            "192.0.2.130",
            "192.0.2.131",
            "192.0.2.140",
            "192.0.2.143"
        ]
    );
    // ptr: valid reverse names inside example.com pass; 192.0.2.140 is outside, and
    // 10.0.0.4's claim to be bob.example.com does not validate.
    assert_eq!(
        passing("v=spf1 ptr -all"),
        [
            "192.0.2.10",
            "192.0.2.11",
            "192.0.2.65",
            "192.0.2.66",
            "192.0.2.129",
            "192.0.2.130"
        ]
    );
    assert_eq!(
        passing("v=spf1 ip4:192.0.2.128/28 -all"),
        [
            "192.0.2.129",
            "192.0.2.130",
            "192.0.2.131",
            "192.0.2.140",
            "192.0.2.143"
        ]
    );
}

#[test]
fn appendix_a2_include_and_redirect() {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 mx -all")
        .txt("example.net", "v=spf1 a:mail-c.example.org -all")
        .txt(
            "example.org",
            "v=spf1 include:example.com include:example.net -all",
        )
        .txt("la.example.org", "v=spf1 redirect=example.org")
        .txt("ny.example.org", "v=spf1 redirect=example.org");
    for domain in ["example.org", "la.example.org", "ny.example.org"] {
        assert_eq!(zone.result("192.0.2.129", domain), SpfResult::Pass);
        assert_eq!(zone.result("192.0.2.140", domain), SpfResult::Pass);
        assert_eq!(zone.result("192.0.2.65", domain), SpfResult::Fail);
    }
    // sf.example.org publishes nothing.
    assert_eq!(
        zone.result("192.0.2.129", "sf.example.org"),
        SpfResult::None
    );
}

#[test]
fn appendix_a3_dnsbl_style() {
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all",
    )
    .txt(
        "mobile-users._spf.example.com",
        "v=spf1 exists:%{l1r+}.%{d}",
    )
    .txt(
        "remote-users._spf.example.com",
        "v=spf1 exists:%{ir}.%{l1r+}.%{d}",
    )
    .a("mary.mobile-users._spf.example.com", "127.0.0.2")
    .a("fred.mobile-users._spf.example.com", "127.0.0.2")
    .a(
        "15.15.168.192.joel.remote-users._spf.example.com",
        "127.0.0.2",
    )
    .a(
        "16.15.168.192.joel.remote-users._spf.example.com",
        "127.0.0.2",
    );
    let check = |ip: &str, sender: &str| zone.check(ip, "example.com", sender).0.result;
    assert_eq!(check("203.0.113.7", "mary@example.com"), SpfResult::Pass);
    assert_eq!(
        check("203.0.113.7", "fred+ext@example.com"),
        SpfResult::Pass
    );
    assert_eq!(check("192.168.15.15", "joel@example.com"), SpfResult::Pass);
    assert_eq!(check("192.168.15.16", "joel@example.com"), SpfResult::Pass);
    assert_eq!(check("192.168.15.17", "joel@example.com"), SpfResult::Fail);
    assert_eq!(check("203.0.113.7", "bob@example.com"), SpfResult::Fail);
    assert_eq!(check("192.0.2.129", "anyone@example.com"), SpfResult::Pass);
}

#[test]
fn appendix_a4_multiple_requirements() {
    // As printed, ptr._spf.example.com's bare `ptr` checks names under ptr._spf.example.com
    // (the include changed <domain>), so no reverse name ever validates and every client
    // fails; an evaluator that kept example.com for `ptr` would let 192.0.2.65 pass.
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all",
    )
    .txt("ip4._spf.example.com", "v=spf1 -ip4:192.0.2.0/24 +all")
    .txt("ptr._spf.example.com", "v=spf1 -ptr +all");
    assert_eq!(zone.result("192.0.2.65", "example.com"), SpfResult::Fail);
    assert_eq!(zone.result("10.0.0.4", "example.com"), SpfResult::Fail);
    // With the domain the example means, the two requirements combine as intended.
    zone.set(
        "ptr._spf.example.com",
        RecordType::Txt,
        Answer::Records(Vec::new()),
    )
    .txt("ptr._spf.example.com", "v=spf1 -ptr:example.com +all");
    // In 192.0.2.0/24 with valid reverse DNS in example.com: pass.
    assert_eq!(zone.result("192.0.2.65", "example.com"), SpfResult::Pass);
    // Right range, reverse name outside example.com: fail.
    assert_eq!(zone.result("192.0.2.140", "example.com"), SpfResult::Fail);
    // Outside the range (and a reverse name that does not validate): fail.
    assert_eq!(zone.result("10.0.0.4", "example.com"), SpfResult::Fail);
}

#[test]
fn none_results() {
    let zone = appendix_a_zone();
    // No TXT at all, no SPF among the TXT, or not a usable domain name.
    assert_eq!(zone.result("192.0.2.10", "example.com"), SpfResult::None);
    assert_eq!(
        zone.result("192.0.2.10", "nowhere.example"),
        SpfResult::None
    );
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "google-site-verification=abc");
    assert_eq!(zone.result("192.0.2.10", "example.com"), SpfResult::None);
    assert_eq!(zone.result("192.0.2.10", "localhost"), SpfResult::None);
    let long_label = format!("{}.com", "a".repeat(64));
    assert_eq!(zone.result("192.0.2.10", &long_label), SpfResult::None);
}

#[test]
fn default_is_neutral_and_qualifiers_map() {
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        "v=spf1 ip4:192.0.2.10 ~ip4:192.0.2.11 ?ip4:192.0.2.65 -ip4:192.0.2.66",
    );
    assert_eq!(zone.result("192.0.2.10", "example.com"), SpfResult::Pass);
    assert_eq!(
        zone.result("192.0.2.11", "example.com"),
        SpfResult::SoftFail
    );
    assert_eq!(zone.result("192.0.2.65", "example.com"), SpfResult::Neutral);
    assert_eq!(zone.result("192.0.2.66", "example.com"), SpfResult::Fail);
    assert_eq!(
        zone.result("192.0.2.129", "example.com"),
        SpfResult::Neutral
    );
}

#[test]
fn permerrors_from_records() {
    for record in [
        "v=spf1 foo:bar -all",
        "v=spf1 include:nothing.example.com -all",
        "v=spf1 redirect=nothing.example.com",
        "v=spf1 ip4:192.0.2.999",
    ] {
        let mut zone = appendix_a_zone();
        zone.txt("example.com", record);
        assert_eq!(
            zone.result("192.0.2.10", "example.com"),
            SpfResult::PermError,
            "{record}"
        );
    }
    // Two SPF records at one name.
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 +all")
        .txt("example.com", "v=spf1 -all");
    assert_eq!(
        zone.result("192.0.2.10", "example.com"),
        SpfResult::PermError
    );
}

#[test]
fn a_permerror_after_the_match_is_never_reached() {
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        "v=spf1 ip4:192.0.2.10 include:nothing.example.com",
    );
    assert_eq!(zone.result("192.0.2.10", "example.com"), SpfResult::Pass);
    assert_eq!(
        zone.result("192.0.2.11", "example.com"),
        SpfResult::PermError
    );
}

#[test]
fn dns_errors_are_temperrors() {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 a:broken.example.com -all")
        .set("broken.example.com", RecordType::A, Answer::Error);
    assert_eq!(
        zone.result("192.0.2.10", "example.com"),
        SpfResult::TempError
    );
    let mut zone = appendix_a_zone();
    zone.set("example.com", RecordType::Txt, Answer::Error);
    assert_eq!(
        zone.result("192.0.2.10", "example.com"),
        SpfResult::TempError
    );
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 include:broken.example.com -all")
        .set("broken.example.com", RecordType::Txt, Answer::Error);
    assert_eq!(
        zone.result("192.0.2.10", "example.com"),
        SpfResult::TempError
    );
    // A failed PTR lookup only makes ptr not match.
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 ptr -all").set(
        "65.2.0.192.in-addr.arpa",
        RecordType::Ptr,
        Answer::Error,
    );
    assert_eq!(zone.result("192.0.2.65", "example.com"), SpfResult::Fail);
}

#[test]
fn ten_lookup_limit() {
    // Eleven includes of a record that never matches: the eleventh lookup is over the limit.
    let mut zone = appendix_a_zone();
    let includes: Vec<String> = (0..11)
        .map(|n| format!("include:i{n}.example.com"))
        .collect();
    zone.txt(
        "example.com",
        &format!("v=spf1 {} -all", includes.join(" ")),
    );
    for n in 0..11 {
        zone.txt(&format!("i{n}.example.com"), "v=spf1 -all");
    }
    let (outcome, _) = zone.check("192.0.2.10", "example.com", "u@example.com");
    assert_eq!(outcome.result, SpfResult::PermError);
    assert_eq!(outcome.lookups, 11);
    // Ten are fine.
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        &format!("v=spf1 {} -all", includes[..10].join(" ")),
    );
    for n in 0..10 {
        zone.txt(&format!("i{n}.example.com"), "v=spf1 -all");
    }
    let (outcome, _) = zone.check("192.0.2.10", "example.com", "u@example.com");
    assert_eq!(outcome.result, SpfResult::Fail);
    assert_eq!(outcome.lookups, 10);
    // ip4/ip6/all cost nothing.
    let mut zone = appendix_a_zone();
    let ips: Vec<String> = (0..50).map(|n| format!("ip4:198.51.100.{n}")).collect();
    zone.txt("example.com", &format!("v=spf1 {} -all", ips.join(" ")));
    assert_eq!(zone.result("192.0.2.10", "example.com"), SpfResult::Fail);
}

#[test]
fn include_loop_is_stopped_by_the_limit() {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 include:example.com -all");
    let (outcome, asked) = zone.check("192.0.2.10", "example.com", "u@example.com");
    assert_eq!(outcome.result, SpfResult::PermError);
    assert!(asked.len() <= 12, "{}", asked.len());
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 redirect=example.com");
    assert_eq!(
        zone.result("192.0.2.10", "example.com"),
        SpfResult::PermError
    );
}

#[test]
fn void_lookup_limit() {
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        "v=spf1 a:v1.example.com a:v2.example.com a:v3.example.com ip4:192.0.2.10 -all",
    );
    // Three void lookups: over the default of two.
    assert_eq!(
        zone.result("192.0.2.10", "example.com"),
        SpfResult::PermError
    );
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        "v=spf1 a:v1.example.com exists:v2.example.com ip4:192.0.2.10 -all",
    );
    assert_eq!(zone.result("192.0.2.10", "example.com"), SpfResult::Pass);
    // Configurable.
    let mut zone = appendix_a_zone();
    zone.txt(
        "example.com",
        "v=spf1 a:v1.example.com a:v2.example.com a:v3.example.com ip4:192.0.2.10 -all",
    );
    let config = SpfConfig {
        max_void_lookups: 5,
        ..SpfConfig::default()
    };
    let (outcome, _) = zone.check_with("192.0.2.10", "example.com", "u@example.com", config);
    assert_eq!(outcome.result, SpfResult::Pass);
}

#[test]
fn too_many_mx_names_is_permerror() {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 mx:big.example.com -all");
    for n in 0..11 {
        zone.mx("big.example.com", n, &format!("mx{n}.example.com"));
    }
    assert_eq!(
        zone.result("192.0.2.10", "example.com"),
        SpfResult::PermError
    );
}

#[test]
fn explanation_is_fetched_and_expanded_on_fail() {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 mx -all exp=explain._spf.%{d}")
        .txt(
            "explain._spf.example.com",
            "%{i} is not one of %{d}'s designated mail servers (sender %{s}, client %{c})",
        );
    let (outcome, asked) = zone.check("192.0.2.65", "example.com", "amy@example.com");
    assert_eq!(outcome.result, SpfResult::Fail);
    assert_eq!(
        outcome.explanation.as_deref(),
        Some(
            "192.0.2.65 is not one of example.com's designated mail servers \
             (sender amy@example.com, client 192.0.2.65)"
        )
    );
    assert_eq!(asked.last().unwrap().name, "explain._spf.example.com");
    // A pass never fetches it; a missing explanation leaves the fail alone.
    let (outcome, asked) = zone.check("192.0.2.129", "example.com", "amy@example.com");
    assert_eq!(outcome.result, SpfResult::Pass);
    assert!(asked.iter().all(|q| q.name != "explain._spf.example.com"));
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 -all exp=missing.example.com");
    let (outcome, _) = zone.check("192.0.2.65", "example.com", "amy@example.com");
    assert_eq!(
        (outcome.result, outcome.explanation),
        (SpfResult::Fail, None)
    );
}

#[test]
fn ipv6_clients() {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 ip6:2001:db8::/32 a//64 -all")
        .add(
            "example.com",
            Record::Aaaa("2001:db9:1::1".parse().unwrap()),
        );
    assert_eq!(zone.result("2001:db8::1", "example.com"), SpfResult::Pass);
    assert_eq!(
        zone.result("2001:db9:1::ffff", "example.com"),
        SpfResult::Pass
    );
    assert_eq!(zone.result("2001:db9:2::1", "example.com"), SpfResult::Fail);
    // An IPv4-mapped address is checked as IPv4: ip6 skips it, `a` finds 192.0.2.10 by A.
    assert_eq!(
        zone.result("::ffff:192.0.2.10", "example.com"),
        SpfResult::Pass
    );
    assert_eq!(
        zone.result("::ffff:192.0.2.12", "example.com"),
        SpfResult::Fail
    );
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 a -all");
    assert_eq!(
        zone.result("::ffff:192.0.2.10", "example.com"),
        SpfResult::Pass
    );
}

#[test]
fn mail_from_and_helo_identities() {
    let mut zone = appendix_a_zone();
    zone.txt("example.com", "v=spf1 exists:%{l}.users.example.com -all")
        .a("postmaster.users.example.com", "127.0.0.2");
    let run = |mut spf: SpfEvaluator| loop {
        match spf.poll() {
            SpfPoll::Query(q) => {
                let answer = zone.resolve(&q);
                spf.answer(&q, answer).unwrap();
            }
            SpfPoll::Done(outcome) => break outcome.result,
        }
    };
    let ip: IpAddr = "203.0.113.1".parse().unwrap();
    // Empty reverse-path: postmaster@helo.
    let spf = SpfEvaluator::mail_from(ip, "", "example.com", SpfConfig::default());
    assert_eq!(run(spf), SpfResult::Pass);
    let spf = SpfEvaluator::helo(ip, "example.com", SpfConfig::default());
    assert_eq!(run(spf), SpfResult::Pass);
    let spf = SpfEvaluator::mail_from(ip, "bob@example.com", "x.example", SpfConfig::default());
    assert_eq!(run(spf), SpfResult::Fail);
}

#[test]
fn answers_must_match_the_question() {
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let mut spf = SpfEvaluator::new(
        ip,
        "example.com",
        "a@example.com",
        "h",
        SpfConfig::default(),
    );
    let wrong = Question::new("other.example.com", RecordType::Txt);
    assert!(spf.answer(&wrong, Answer::NxDomain).is_err());
    let SpfPoll::Query(question) = spf.poll() else {
        panic!("expected a question");
    };
    assert_eq!(question, Question::new("example.com", RecordType::Txt));
    assert!(spf.answer(&wrong, Answer::NxDomain).is_err());
    // Polling again repeats the question.
    assert_eq!(spf.poll(), SpfPoll::Query(question.clone()));
    spf.answer(&question, Answer::NxDomain).unwrap();
    assert!(matches!(spf.poll(), SpfPoll::Done(o) if o.result == SpfResult::None));
    assert!(spf.answer(&question, Answer::NxDomain).is_err());
}
