//! STARTTLS (RFC 3207): the upgrade, the injection defence (bytes pipelined after the
//! command are dropped and reported), the state reset, and the TLS policies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use harness::{config, Harness};
use mailwire_core::{Session, Transport};
use mailwire_smtp::server::ServerEvent;
use mailwire_smtp::types::Mechanism;

fn tls_harness() -> Harness {
    let mut h = Harness::greeted(
        config()
            .starttls(true)
            .auth_mechanisms([Mechanism::PLAIN, Mechanism::LOGIN, Mechanism::CRAM_MD5])
            .require_tls_for_mail(true)
            .build()
            .unwrap(),
    );
    h.send("EHLO c.test\r\n");
    let ehlo = h.lines();
    assert!(
        ehlo.contains(&"250-STARTTLS".to_string()) || ehlo.contains(&"250 STARTTLS".to_string()),
        "{ehlo:?}"
    );
    // Cleartext-password mechanisms are hidden before TLS.
    assert_eq!(ehlo.last().unwrap(), "250 AUTH CRAM-MD5");
    h.events();
    h
}

#[test]
fn pipelined_commands_after_starttls_are_discarded_and_reported() {
    let mut h = tls_harness();
    h.send("STARTTLS\r\nMAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@d.test>\r\n");
    assert_eq!(h.output(), "220 2.0.0 Ready to start TLS\r\n");
    assert_eq!(h.transport(), Transport::StartTls);
    let injected = "MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<victim@d.test>\r\n".len();
    assert_eq!(
        h.events(),
        vec![ServerEvent::DiscardedAfterStartTls { octets: injected }]
    );
    // Bytes arriving before the handshake finishes are dropped too.
    h.send("NOOP\r\n");
    assert_eq!(
        h.events(),
        vec![ServerEvent::DiscardedAfterStartTls { octets: 6 }]
    );
    assert_eq!(h.output(), "");

    h.server.handle_tls_established(h.now);
    h.pump();
    assert_eq!(h.events(), vec![ServerEvent::TlsEstablished]);
    assert_eq!(h.transport(), Transport::Open);
    assert!(h.server.is_tls());
    // Nothing of the injected commands survived: MAIL needs a new EHLO.
    h.send("MAIL FROM:<a@b.test>\r\n");
    assert_eq!(h.output(), "503 5.5.1 Send HELO/EHLO first\r\n");
    h.send("EHLO c.test\r\n");
    let ehlo = h.lines();
    assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")), "{ehlo:?}");
    assert_eq!(ehlo.last().unwrap(), "250 AUTH PLAIN LOGIN CRAM-MD5");
    h.send("STARTTLS\r\n");
    assert_eq!(h.output(), "503 5.5.1 TLS already active\r\n");
    h.send("MAIL FROM:<a@b.test>\r\n");
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, ServerEvent::Mail { .. })));
}

#[test]
fn split_injection_is_caught_too() {
    let mut h = tls_harness();
    h.send_bytewise("STARTTLS\r\nMAIL FROM:<evil@attacker.test>\r\n");
    let discarded: usize = h
        .events()
        .iter()
        .map(|e| match e {
            ServerEvent::DiscardedAfterStartTls { octets } => *octets,
            other => panic!("{other:?}"),
        })
        .sum();
    assert_eq!(discarded, "MAIL FROM:<evil@attacker.test>\r\n".len());
}

#[test]
fn clean_starttls_reports_nothing() {
    let mut h = tls_harness();
    h.send("STARTTLS\r\n");
    assert!(h.events().is_empty());
    h.server.handle_tls_established(h.now);
    assert_eq!(h.events(), vec![ServerEvent::TlsEstablished]);
}

#[test]
fn starttls_is_refused_out_of_place() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nSTARTTLS\r\n");
    assert_eq!(
        h.lines().last().unwrap(),
        "502 5.5.1 STARTTLS not available"
    );

    let mut h = Harness::greeted(config().starttls(true).build().unwrap());
    h.send("STARTTLS\r\n");
    assert_eq!(h.output(), "503 5.5.1 Send EHLO first\r\n");
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    h.accept_all();
    h.output();
    h.send("STARTTLS\r\n");
    assert_eq!(
        h.output(),
        "503 5.5.1 STARTTLS not allowed during a mail transaction\r\n"
    );
    h.send("STARTTLS extra\r\n");
    assert_eq!(h.codes(), vec![501]);
    assert_eq!(h.transport(), Transport::Open);
}

#[test]
fn tls_policies_answer_530() {
    let mut h = tls_harness();
    h.send("MAIL FROM:<a@b.test>\r\n");
    assert_eq!(
        h.output(),
        "530 5.7.0 Must issue a STARTTLS command first\r\n"
    );
    h.send("AUTH PLAIN AHUAcA==\r\n");
    assert_eq!(
        h.output(),
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n"
    );

    let mut h = Harness::greeted(
        config()
            .starttls(true)
            .auth_mechanisms([Mechanism::CRAM_MD5])
            .require_tls_for_auth(true)
            .build()
            .unwrap(),
    );
    h.send("EHLO c.test\r\n");
    assert!(!h.lines().iter().any(|l| l.contains("AUTH")));
    h.send("AUTH CRAM-MD5\r\n");
    assert_eq!(
        h.output(),
        "530 5.7.0 Must issue a STARTTLS command first\r\n"
    );
}

#[test]
fn implicit_tls_meets_the_policies_and_hides_starttls() {
    let mut h = Harness::greeted(
        config()
            .starttls(true)
            .implicit_tls(true)
            .require_tls_for_mail(true)
            .auth_mechanisms([Mechanism::PLAIN])
            .build()
            .unwrap(),
    );
    h.send("EHLO c.test\r\n");
    let ehlo = h.lines();
    assert!(!ehlo.iter().any(|l| l.contains("STARTTLS")));
    assert_eq!(ehlo.last().unwrap(), "250 AUTH PLAIN");
    h.send("STARTTLS\r\nMAIL FROM:<a@b.test>\r\n");
    assert_eq!(h.codes(), vec![502]);
    assert!(h
        .events()
        .iter()
        .any(|e| matches!(e, ServerEvent::Mail { .. })));
}
