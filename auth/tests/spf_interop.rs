//! SPF check_host() beside Python's pyspf (PyPI `pyspf`, `dnspython`) on one table of
//! records and clients: both get the same canned zone (pyspf through its `DNSLookup` hook),
//! and every case must give the same result. Without pyspf the test skips loudly, or fails
//! under MAILWIRE_REQUIRE_PEERS=1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::io::Write as _;
use std::net::IpAddr;
use std::process::{Command, Stdio};

use mailwire_auth::dns::{Answer, Question, Record, RecordType};
use mailwire_auth::spf::{SpfConfig, SpfEvaluator, SpfPoll};

/// The zone: (name, type, value). A name listed as "broken" fails every query (SERVFAIL).
const ZONE: &[(&str, &str, &str)] = &[
    ("a.test", "TXT", "v=spf1 ip4:192.0.2.0/24 -all"),
    ("b.test", "TXT", "v=spf1 a mx -all"),
    ("b.test", "A", "192.0.2.10"),
    ("b.test", "MX", "10 mx.b.test"),
    ("mx.b.test", "A", "192.0.2.20"),
    ("c.test", "TXT", "v=spf1 include:a.test ~all"),
    ("d.test", "TXT", "v=spf1 ?all"),
    ("d.test", "TXT", "some other text"),
    ("f.test", "TXT", "v=spf1 include:nothing.test -all"),
    ("g.test", "TXT", "v=spf1 redirect=a.test"),
    ("h.test", "TXT", "v=spf1 -all"),
    ("h.test", "TXT", "v=spf1 +all"),
    ("i.test", "TXT", "v=spf1 ip4:192.0.2.0/33 -all"),
    ("j.test", "TXT", "v=spf1 exists:%{i}.allow.j.test -all"),
    ("192.0.2.7.allow.j.test", "A", "127.0.0.2"),
    ("k.test", "TXT", "v=spf1 ip6:2001:db8::/32 -all"),
    (
        "l.test",
        "TXT",
        "v=spf1 include:l1.test include:l1.test include:l1.test include:l1.test \
         include:l1.test include:l1.test include:l1.test include:l1.test include:l1.test \
         include:l1.test include:l1.test -all",
    ),
    ("l1.test", "TXT", "v=spf1 ip4:198.51.100.99 -all"),
    (
        "m.test",
        "TXT",
        "v=spf1 a:void1.test a:void2.test a:void3.test ip4:192.0.2.0/24 -all",
    ),
    ("n.test", "TXT", "v=spf1 include:broken.test -all"),
    ("p.test", "TXT", "v=spf1 mx:mail.p.test/24 -all"),
    ("mail.p.test", "MX", "10 relay.p.test"),
    ("relay.p.test", "A", "203.0.113.5"),
    ("q.test", "TXT", "v=spf1 ptr -all"),
    ("50.2.0.192.in-addr.arpa", "PTR", "host.q.test"),
    ("host.q.test", "A", "192.0.2.50"),
    ("51.2.0.192.in-addr.arpa", "PTR", "host.elsewhere.test"),
    ("host.elsewhere.test", "A", "192.0.2.51"),
    ("r.test", "TXT", "v=spf1 -ip4:192.0.2.1 +all"),
    ("s.test", "TXT", "v=spf1 a:%{l}.users.s.test -all"),
    ("alice.users.s.test", "A", "192.0.2.60"),
    ("t.test", "TXT", "v=spf1 include:a.test include:b.test ?all"),
    ("u.test", "TXT", "v=spf1 a:u.test/24 aaaa -all"),
    ("u.test", "A", "198.51.100.200"),
    ("v.test", "TXT", "v=spf1 redirect=%{d}.v2.test"),
    ("v.test.v2.test", "TXT", "v=spf1 ip4:192.0.2.77 -all"),
    ("w.test", "TXT", "v=spf1 include:w.test -all"),
    ("x.test", "TXT", "v=spf1 ip4:192.0.2.1 exp=why.x.test -all"),
    ("why.x.test", "TXT", "%{i} is not one of %{d}'s servers"),
    ("y.test", "TXT", "v=spf1 foo=bar ip4:192.0.2.0/24 ~all"),
    ("z.test", "TXT", "v=spf1 mx -all"),
    ("z.test", "MX", "10 z1.test"),
    ("z1.test", "AAAA", "2001:db8::25"),
];

/// The cases: (client IP, MAIL FROM, HELO).
const CASES: &[(&str, &str, &str)] = &[
    ("192.0.2.5", "user@a.test", "helo.test"),
    ("198.51.100.1", "user@a.test", "helo.test"),
    ("192.0.2.10", "user@b.test", "helo.test"),
    ("192.0.2.20", "user@b.test", "helo.test"),
    ("192.0.2.30", "user@b.test", "helo.test"),
    ("192.0.2.5", "user@c.test", "helo.test"),
    ("203.0.113.1", "user@c.test", "helo.test"),
    ("192.0.2.5", "user@d.test", "helo.test"),
    ("192.0.2.5", "user@e.test", "helo.test"),
    ("192.0.2.5", "user@f.test", "helo.test"),
    ("192.0.2.5", "user@g.test", "helo.test"),
    ("203.0.113.9", "user@g.test", "helo.test"),
    ("192.0.2.5", "user@h.test", "helo.test"),
    ("192.0.2.5", "user@i.test", "helo.test"),
    ("192.0.2.7", "user@j.test", "helo.test"),
    ("192.0.2.8", "user@j.test", "helo.test"),
    ("2001:db8::1", "user@k.test", "helo.test"),
    ("192.0.2.5", "user@k.test", "helo.test"),
    ("192.0.2.5", "user@l.test", "helo.test"),
    ("192.0.2.5", "user@m.test", "helo.test"),
    ("192.0.2.5", "user@n.test", "helo.test"),
    ("192.0.2.5", "user@broken.test", "helo.test"),
    ("203.0.113.77", "user@p.test", "helo.test"),
    ("198.51.100.77", "user@p.test", "helo.test"),
    ("192.0.2.50", "user@q.test", "helo.test"),
    ("192.0.2.51", "user@q.test", "helo.test"),
    ("192.0.2.1", "user@r.test", "helo.test"),
    ("192.0.2.2", "user@r.test", "helo.test"),
    ("192.0.2.60", "alice@s.test", "helo.test"),
    ("192.0.2.60", "bob@s.test", "helo.test"),
    ("192.0.2.20", "user@t.test", "helo.test"),
    ("203.0.113.20", "user@t.test", "helo.test"),
    ("198.51.100.3", "user@u.test", "helo.test"),
    ("192.0.2.77", "user@v.test", "helo.test"),
    ("192.0.2.78", "user@v.test", "helo.test"),
    ("192.0.2.5", "user@w.test", "helo.test"),
    ("192.0.2.2", "user@x.test", "helo.test"),
    ("192.0.2.9", "user@y.test", "helo.test"),
    ("10.0.0.1", "user@y.test", "helo.test"),
    ("2001:db8::25", "user@z.test", "helo.test"),
    ("2001:db8::26", "user@z.test", "helo.test"),
    ("192.0.2.5", "", "a.test"),
    ("198.51.100.5", "", "a.test"),
];

/// pyspf with `DNSLookup` answering from the zone given on stdin (as JSON), one result
/// per case line.
const PEER: &str = r#"
import json, sys, spf
data = json.load(sys.stdin)
zone = {}
for name, kind, value in data["zone"]:
    if kind == "TXT":
        value = [value.encode()]
    elif kind == "MX":
        preference, exchange = value.split()
        value = (int(preference), exchange)
    zone.setdefault((name.lower(), kind), []).append(value)

def lookup(name, qtype, *args, **kwargs):
    name = name.rstrip(".").lower()
    if name == "broken.test":
        raise spf.TempError("DNS broken.test SERVFAIL")
    return [((name, qtype), value) for value in zone.get((name, qtype), [])]

spf.DNSLookup = lookup
for ip, sender, helo in data["cases"]:
    result, _explanation = spf.check2(i=ip, s=sender, h=helo)
    print(result)
"#;

fn pyspf_present() -> bool {
    let present = Command::new("python3")
        .args(["-c", "import spf, dns"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !present {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer pyspf (python3 -m pip install pyspf dnspython) missing");
        }
        eprintln!("SKIPPED: peer pyspf missing (python3 -m pip install pyspf dnspython)");
    }
    present
}

fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_triples(rows: &[(&str, &str, &str)]) -> String {
    let rows: Vec<String> = rows
        .iter()
        .map(|(a, b, c)| {
            format!(
                "[{}, {}, {}]",
                json_string(a),
                json_string(b),
                json_string(c)
            )
        })
        .collect();
    format!("[{}]", rows.join(", "))
}

fn pyspf_results() -> Vec<String> {
    let input = format!(
        "{{\"zone\": {}, \"cases\": {}}}",
        json_triples(ZONE),
        json_triples(CASES)
    );
    let mut child = Command::new("timeout")
        .args(["60", "python3", "-c", PEER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "pyspf failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn resolve(question: &Question) -> Answer {
    let name = question.name.to_ascii_lowercase();
    if name == "broken.test" {
        return Answer::Error;
    }
    let kind = question.record_type.to_string();
    let records: Vec<Record> = ZONE
        .iter()
        .filter(|(n, k, _)| *n == name && *k == kind)
        .map(|(_, _, value)| match question.record_type {
            RecordType::A => Record::A(value.parse().unwrap()),
            RecordType::Aaaa => Record::Aaaa(value.parse().unwrap()),
            RecordType::Mx => {
                let (preference, exchange) = value.split_once(' ').unwrap();
                Record::Mx {
                    preference: preference.parse().unwrap(),
                    exchange: exchange.to_owned(),
                }
            }
            RecordType::Ptr => Record::Ptr((*value).to_owned()),
            _ => Record::Txt((*value).to_owned()),
        })
        .collect();
    if records.is_empty() && !ZONE.iter().any(|(n, _, _)| *n == name) {
        Answer::NxDomain
    } else {
        Answer::Records(records)
    }
}

fn our_result(ip: &str, sender: &str, helo: &str) -> String {
    let ip: IpAddr = ip.parse().unwrap();
    let mut spf = SpfEvaluator::mail_from(ip, sender, helo, SpfConfig::default());
    for _ in 0..200 {
        match spf.poll() {
            SpfPoll::Query(question) => {
                let answer = resolve(&question);
                spf.answer(&question, answer).unwrap();
            }
            SpfPoll::Done(outcome) => return outcome.result.as_str().to_owned(),
        }
    }
    panic!("evaluation did not end");
}

#[test]
fn spf_results_match_pyspf() {
    if !pyspf_present() {
        return;
    }
    let theirs = pyspf_results();
    eprintln!("pyspf: {theirs:?}");
    assert_eq!(theirs.len(), CASES.len(), "{theirs:?}");
    let mut differences = Vec::new();
    for ((ip, sender, helo), their) in CASES.iter().zip(&theirs) {
        let ours = our_result(ip, sender, helo);
        if ours != *their {
            differences.push(format!(
                "{ip} {sender:?} {helo}: ours {ours}, pyspf {their}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "differences:\n{}",
        differences.join("\n")
    );
    // The table reaches every result.
    let seen: BTreeSet<&str> = theirs.iter().map(String::as_str).collect();
    assert_eq!(
        seen,
        BTreeSet::from([
            "fail",
            "neutral",
            "none",
            "pass",
            "permerror",
            "softfail",
            "temperror"
        ])
    );
}
