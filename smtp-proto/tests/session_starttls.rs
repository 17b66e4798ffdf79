//! Our client against our server, in memory: the STARTTLS step (RFC 3207) with a
//! simulated upgrade, capabilities refreshed after it, policies that need TLS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/session_pair.rs"]
mod pair;

use mailwire_core::{Session, Transport};
use mailwire_smtp::client::{ClientError, ClientEvent, Credentials, TransactionOutcome};
use mailwire_smtp::server::ServerEvent;
use mailwire_smtp::types::{Command, Mechanism, Verb};
use pair::{client_config, envelope, server_config, Pair};

fn ready_events(pair: &Pair) -> Vec<(bool, Vec<String>)> {
    pair.client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Ready {
                tls,
                capabilities: Some(caps),
                hello: Verb::Ehlo,
            } => Some((
                *tls,
                caps.capabilities()
                    .iter()
                    .map(|c| c.keyword().to_string())
                    .collect(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn starttls_then_ehlo_again_with_new_capabilities() {
    let server = server_config()
        .starttls(true)
        .require_tls_for_mail(true)
        .auth_mechanisms([Mechanism::PLAIN, Mechanism::LOGIN])
        .build()
        .unwrap();
    let mut pair = Pair::ready(client_config(), server);
    let before = ready_events(&pair);
    assert_eq!(before.len(), 1);
    assert!(!before[0].0);
    assert!(before[0].1.contains(&"STARTTLS".to_string()));
    assert!(
        !before[0].1.contains(&"AUTH".to_string()),
        "PLAIN/LOGIN need TLS"
    );
    // Before TLS, AUTH is not offered: the client refuses locally.
    assert_eq!(
        pair.client
            .authenticate(Credentials::plain("alice", "secret")),
        Err(ClientError::NotOffered { extension: "AUTH" })
    );

    let sent_before = pair.flights.len();
    pair.client.starttls().unwrap();
    pair.run();
    assert_eq!(pair.tls_upgrades, 1);
    assert_eq!(
        &pair.flights_text()[sent_before..],
        ["STARTTLS\r\n", "EHLO client.test\r\n"]
    );
    assert!(pair.client.is_tls());
    assert!(pair.server.is_tls());
    assert!(pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::TlsEstablished)));
    let after = ready_events(&pair);
    assert_eq!(after.len(), 2);
    assert!(after[1].0, "the second Ready reports TLS");
    assert!(!after[1].1.contains(&"STARTTLS".to_string()));
    assert!(after[1].1.contains(&"AUTH".to_string()));
    assert_eq!(pair.client.starttls(), Err(ClientError::TlsActive));

    // Now the policies are met: authenticate and send.
    pair.client
        .authenticate(Credentials::plain("alice", "secret"))
        .unwrap();
    pair.run();
    assert!(pair.client.is_authenticated());
    pair.send_message(
        envelope("alice@client.test", &["b@mx.test"]),
        b"over tls\r\n",
        100,
    );
    assert_eq!(pair.received.len(), 1);
    assert_eq!(
        pair.reports()[0].outcome,
        TransactionOutcome::Accepted { recipients: 1 }
    );
    assert!(!pair
        .client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::ProtocolError(_))));
}

#[test]
fn mail_before_tls_is_refused_by_policy() {
    let server = server_config()
        .starttls(true)
        .require_tls_for_mail(true)
        .build()
        .unwrap();
    let mut pair = Pair::ready(client_config(), server);
    pair.send_message(envelope("a@client.test", &["b@mx.test"]), b"x\r\n", 10);
    let report = &pair.reports()[0];
    assert_eq!(
        report.outcome,
        TransactionOutcome::Failed {
            stage: mailwire_smtp::client::FailureStage::Sender,
            temporary: false
        }
    );
    assert_eq!(report.reply.as_ref().unwrap().code().get(), 530);
    assert!(pair.received.is_empty());
}

#[test]
fn commands_wait_during_the_upgrade() {
    let server = server_config().starttls(true).build().unwrap();
    let mut pair = Pair::ready(client_config(), server);
    pair.client.starttls().unwrap();
    let noop = pair.client.send(Command::Noop { argument: None }).unwrap();
    // Only STARTTLS leaves before the upgrade.
    let mut wire = Vec::new();
    while pair.client.poll_transmit(&mut wire) > 0 {}
    assert_eq!(wire, b"STARTTLS\r\n");
    pair.server.handle_input(pair.now, &wire);
    pair.flights.push(wire);
    pair.run();
    assert_eq!(pair.tls_upgrades, 1);
    let flights = pair.flights_text();
    let tail = &flights[flights.len() - 3..];
    assert_eq!(tail, ["STARTTLS\r\n", "EHLO client.test\r\n", "NOOP\r\n"]);
    assert!(pair
        .client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::Reply { id, reply } if *id == noop && reply.code().get() == 250)));
    assert_eq!(pair.client.transport(), Transport::Open);
}

#[test]
fn no_starttls_offered() {
    let mut pair = Pair::ready(client_config(), server_config().build().unwrap());
    assert_eq!(
        pair.client.starttls(),
        Err(ClientError::NotOffered {
            extension: "STARTTLS"
        })
    );
}
