//! SPF record parser: every mechanism and modifier, errors, display round trip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_auth::spf::{
    Directive, Mechanism, Modifier, Qualifier, SpfRecord, SpfRecordError, Term,
};

fn round_trip(text: &str) -> SpfRecord {
    let record = SpfRecord::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let shown = record.to_string();
    let again = SpfRecord::parse(&shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
    assert_eq!(record, again, "{text} -> {shown}");
    record
}

#[test]
fn every_mechanism_and_modifier() {
    let record = round_trip(
        "v=spf1 +all -include:_spf.example.com ~a ?a:example.org/24//64 mx mx/30 \
         mx:example.org//48 ptr ptr:example.com ip4:192.0.2.0/24 ip4:192.0.2.1 \
         ip6:2001:db8::/32 ip6:::1 exists:%{ir}.%{l1r+}._spf.%{d} redirect=example.net \
         exp=explain._spf.%{d} moo=bar",
    );
    let directives: Vec<&Directive> = record.directives().collect();
    assert_eq!(directives.len(), 14);
    assert_eq!(directives[0].qualifier, Qualifier::Pass);
    assert_eq!(directives[0].mechanism, Mechanism::All);
    assert_eq!(directives[1].qualifier, Qualifier::Fail);
    assert_eq!(directives[2].qualifier, Qualifier::SoftFail);
    assert_eq!(directives[3].qualifier, Qualifier::Neutral);
    match &directives[3].mechanism {
        Mechanism::A {
            domain: Some(d),
            cidr4,
            cidr6,
        } => {
            assert_eq!(d.to_string(), "example.org");
            assert_eq!((*cidr4, *cidr6), (Some(24), Some(64)));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        directives[5].mechanism,
        Mechanism::Mx {
            domain: None,
            cidr4: Some(30),
            cidr6: None
        }
    ));
    assert!(matches!(
        directives[6].mechanism,
        Mechanism::Mx {
            domain: Some(_),
            cidr4: None,
            cidr6: Some(48)
        }
    ));
    assert!(matches!(
        directives[9].mechanism,
        Mechanism::Ip4 {
            prefix: Some(24),
            ..
        }
    ));
    assert!(matches!(directives[13].mechanism, Mechanism::Exists(_)));
    assert_eq!(record.redirect().unwrap().to_string(), "example.net");
    assert_eq!(
        record.explanation().unwrap().to_string(),
        "explain._spf.%{d}"
    );
    assert!(record.terms.iter().any(|t| matches!(
        t,
        Term::Modifier(Modifier::Unknown { name, .. }) if name == "moo"
    )));
}

#[test]
fn case_and_spaces_are_tolerated() {
    let record = round_trip("V=SPF1   MX   -ALL  ");
    assert_eq!(record.directives().count(), 2);
    round_trip("v=spf1");
}

#[test]
fn rfc_appendix_records_parse() {
    for text in [
        "v=spf1 +all",
        "v=spf1 a -all",
        "v=spf1 a:example.org -all",
        "v=spf1 mx -all",
        "v=spf1 mx:example.org -all",
        "v=spf1 mx mx:example.org -all",
        "v=spf1 mx/30 mx:example.org/30 -all",
        "v=spf1 ptr -all",
        "v=spf1 ip4:192.0.2.128/28 -all",
        "v=spf1 include:example.com include:example.net -all",
        "v=spf1 redirect=example.org",
        "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all",
        "v=spf1 exists:%{l1r+}.%{d}",
        "v=spf1 exists:%{ir}.%{l1r+}.%{d}",
        "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all",
        "v=spf1 -ip4:192.0.2.0/24 +all",
        "v=spf1 -ptr +all",
    ] {
        round_trip(text);
    }
}

#[test]
fn errors_are_typed() {
    let table = [
        ("v=spf10 a", SpfRecordError::NotSpf),
        ("spf1 a", SpfRecordError::NotSpf),
        ("v=spf1 a\u{e9}", SpfRecordError::InvalidCharacter),
        ("v=spf1 foo", SpfRecordError::UnknownMechanism),
        (
            "v=spf1 -redirect=example.com",
            SpfRecordError::QualifiedModifier,
        ),
        ("v=spf1 include", SpfRecordError::MissingDomain),
        ("v=spf1 exists", SpfRecordError::MissingDomain),
        ("v=spf1 all:foo.com", SpfRecordError::UnexpectedArgument),
        ("v=spf1 include:example", SpfRecordError::InvalidDomainSpec),
        (
            "v=spf1 include:example.123",
            SpfRecordError::InvalidDomainSpec,
        ),
        ("v=spf1 exists:%{x}.com", SpfRecordError::InvalidMacro),
        (
            "v=spf1 exists:%{c}.example.com",
            SpfRecordError::InvalidMacro,
        ),
        (
            "v=spf1 exists:%{d0}.example.com",
            SpfRecordError::InvalidMacro,
        ),
        (
            "v=spf1 exists:%{d!}.example.com",
            SpfRecordError::InvalidMacro,
        ),
        ("v=spf1 exists:%x.example.com", SpfRecordError::InvalidMacro),
        ("v=spf1 exists:%{d", SpfRecordError::InvalidMacro),
        ("v=spf1 ip4:192.0.2.300", SpfRecordError::InvalidIp4),
        ("v=spf1 ip4:192.0.02.1", SpfRecordError::InvalidIp4),
        ("v=spf1 ip4", SpfRecordError::InvalidIp4),
        ("v=spf1 ip6:2001:db8::g", SpfRecordError::InvalidIp6),
        ("v=spf1 ip4:192.0.2.0/33", SpfRecordError::InvalidCidr),
        ("v=spf1 ip6:::1/129", SpfRecordError::InvalidCidr),
        ("v=spf1 a/024", SpfRecordError::InvalidCidr),
        ("v=spf1 mx//", SpfRecordError::InvalidCidr),
        (
            "v=spf1 redirect=a.example.com redirect=b.example.com",
            SpfRecordError::DuplicateModifier,
        ),
        (
            "v=spf1 exp=a.example.com exp=b.example.com",
            SpfRecordError::DuplicateModifier,
        ),
    ];
    for (text, expected) in table {
        assert_eq!(SpfRecord::parse(text), Err(expected), "{text}");
    }
}

#[test]
fn macro_transformers_round_trip() {
    let record = round_trip("v=spf1 exists:%{L2r-+}.%{ir}.%{v}._spf.%{d2} exp=%{d}.x.org");
    assert_eq!(
        record.to_string(),
        "v=spf1 exists:%{L2r-+}.%{ir}.%{v}._spf.%{d2} exp=%{d}.x.org"
    );
}
