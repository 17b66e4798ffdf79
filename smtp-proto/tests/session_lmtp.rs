//! Our LMTP client against our LMTP server, in memory (RFC 2033): LHLO, and one reply
//! per accepted recipient after the data, with DATA and with BDAT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/session_pair.rs"]
mod pair;

use mailwire_smtp::client::{
    ClientConfig, ClientEvent, FailureStage, RecipientStage, RecipientStatus, TransactionOutcome,
};
use mailwire_smtp::server::{Flavor, ServerConfig};
use mailwire_smtp::types::Verb;
use pair::{envelope, host, mailbox, server_config, Pair};

fn lmtp_server(chunking: bool) -> ServerConfig {
    server_config()
        .flavor(Flavor::Lmtp)
        .chunking(chunking)
        .build()
        .unwrap()
}

fn lmtp_client() -> ClientConfig {
    ClientConfig::lmtp(host("mta.test"))
}

fn statuses(pair: &Pair) -> Vec<(usize, RecipientStage, RecipientStatus, u16)> {
    pair.client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Recipient(r) => Some((r.index, r.stage, r.status, r.reply.code().get())),
            _ => None,
        })
        .collect()
}

#[test]
fn lhlo_and_mixed_per_recipient_replies_with_data() {
    let mut pair = Pair::ready(lmtp_client(), lmtp_server(false));
    assert_eq!(pair.flights_text()[0], "LHLO mta.test\r\n");
    assert!(pair.client_events.iter().any(|e| matches!(
        e,
        ClientEvent::Ready {
            hello: Verb::Lhlo,
            capabilities: Some(_),
            ..
        }
    )));
    pair.send_message(
        envelope(
            "chris@bar.test",
            &[
                "pat@foo.test",
                "reject-jones@foo.test",
                "quota-green@foo.test",
                "lee@foo.test",
            ],
        ),
        b"Subject: lmtp\r\n\r\nBlah blah blah...\r\n",
        7,
    );
    assert_eq!(
        statuses(&pair),
        vec![
            (0, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (1, RecipientStage::Rcpt, RecipientStatus::Rejected, 550),
            (2, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (3, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (0, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
            (2, RecipientStage::Delivery, RecipientStatus::Deferred, 452),
            (3, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
        ]
    );
    let report = &pair.reports()[0];
    assert_eq!(
        report.outcome,
        TransactionOutcome::Accepted { recipients: 2 }
    );
    assert_eq!(pair.received.len(), 1);
    assert_eq!(
        pair.received[0].recipients,
        vec![
            mailbox("pat@foo.test").into(),
            mailbox("lee@foo.test").into()
        ]
    );
    assert_eq!(
        pair.received[0].content,
        b"Subject: lmtp\r\n\r\nBlah blah blah...\r\n"
    );
    // The session goes on with a second transaction: the reply count stayed in step.
    pair.send_message(
        envelope("chris@bar.test", &["pat@foo.test"]),
        b"again\r\n",
        100,
    );
    assert_eq!(pair.reports().len(), 2);
    assert_eq!(
        pair.reports()[1].outcome,
        TransactionOutcome::Accepted { recipients: 1 }
    );
    assert!(!pair
        .client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::ProtocolError(_))));
}

#[test]
fn every_recipient_fails_after_data() {
    let mut pair = Pair::ready(lmtp_client(), lmtp_server(false));
    pair.send_message(
        envelope("chris@bar.test", &["quota-a@foo.test", "quota-b@foo.test"]),
        b"x\r\n",
        100,
    );
    let report = &pair.reports()[0];
    assert_eq!(
        report.outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Content,
            temporary: true
        }
    );
    assert_eq!(report.reply.as_ref().unwrap().code().get(), 452);
}

#[test]
fn lmtp_with_bdat() {
    let mut pair = Pair::ready(lmtp_client(), lmtp_server(true));
    let before = pair.flights.len();
    pair.send_message(
        envelope("chris@bar.test", &["pat@foo.test", "quota-green@foo.test"]),
        b"Subject: chunked\r\n\r\nbody\r\n",
        10,
    );
    let wire = pair.flights_text()[before..].concat();
    assert!(wire.contains("BDAT 10\r\n"), "{wire}");
    assert!(wire.contains(" LAST\r\n"), "{wire}");
    assert_eq!(
        statuses(&pair)[2..],
        [
            (0, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
            (1, RecipientStage::Delivery, RecipientStatus::Deferred, 452),
        ]
    );
    assert_eq!(
        pair.received[0].content,
        b"Subject: chunked\r\n\r\nbody\r\n"
    );
    assert_eq!(
        pair.reports()[0].outcome,
        TransactionOutcome::Accepted { recipients: 1 }
    );
}
