//! Our client against our server, in memory: CHUNKING (RFC 3030) with BDAT, BINARYMIME,
//! refused recipients and chunks.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/session_pair.rs"]
mod pair;

use mailwire_smtp::client::{ClientError, FailureStage, RecipientStage, TransactionOutcome};
use mailwire_smtp::server::{DataMode, ServerEvent};
use mailwire_smtp::types::Body;
use pair::{client_config, envelope, server_config, Pair};

#[test]
fn bdat_chunks_arrive_unchanged() {
    let mut pair = Pair::ready(client_config(), server_config().build().unwrap());
    let before = pair.flights.len();
    // Dots and CRs are not special in BDAT: nothing is stuffed.
    let content: &[u8] = b"Subject: chunks\r\n\r\n.\r\nline\r\n.leading\r\n";
    pair.send_message(
        envelope("a@client.test", &["b@mx.test", "c@mx.test"]),
        content,
        10,
    );
    let flights = pair.flights_text();
    assert_eq!(
        flights[before],
        "MAIL FROM:<a@client.test>\r\nRCPT TO:<b@mx.test>\r\nRCPT TO:<c@mx.test>\r\n",
        "BDAT waits for the envelope replies (RFC 3030 §2)"
    );
    let content_flights = flights[before + 1..].concat();
    let pieces: Vec<&[u8]> = content.chunks(10).collect();
    let mut expected = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        let last = if i + 1 == pieces.len() { " LAST" } else { "" };
        expected.push_str(&format!("BDAT {}{last}\r\n", piece.len()));
        expected.push_str(std::str::from_utf8(piece).unwrap());
    }
    assert_eq!(content_flights, expected);
    assert!(content_flights.ends_with("BDAT 8 LAST\r\neading\r\n"));
    assert_eq!(pair.received.len(), 1);
    assert_eq!(pair.received[0].mode, DataMode::Bdat);
    assert_eq!(pair.received[0].content, content);
    assert_eq!(
        pair.reports()[0].outcome,
        TransactionOutcome::Accepted { recipients: 2 }
    );
}

#[test]
fn binarymime_needs_the_extension_and_goes_by_bdat() {
    let mut pair = Pair::ready(client_config(), server_config().build().unwrap());
    assert_eq!(
        pair.client
            .start_mail(envelope("a@client.test", &["b@mx.test"]).body(Body::BinaryMime)),
        Err(ClientError::NotOffered {
            extension: "BINARYMIME"
        })
    );

    let mut config = client_config();
    // Even when the client prefers DATA, BINARYMIME forces BDAT.
    config.use_chunking = false;
    let mut pair = Pair::ready(config, server_config().binary_mime(true).build().unwrap());
    let content: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    pair.send_message(
        envelope("a@client.test", &["b@mx.test"]).body(Body::BinaryMime),
        &content,
        300,
    );
    assert_eq!(pair.received.len(), 1);
    let message = &pair.received[0];
    assert_eq!(message.mode, DataMode::Bdat);
    assert_eq!(message.params.body, Some(Body::BinaryMime));
    assert_eq!(message.content, content, "every octet preserved");
    let wire = pair.flights.concat();
    let count = |needle: &[u8]| wire.windows(needle.len()).filter(|w| *w == needle).count();
    assert_eq!(count(b"BDAT 300\r\n"), 3);
    assert_eq!(count(b"BDAT 100 LAST\r\n"), 1);
    assert_eq!(count(b"DATA\r\n"), 0);
}

#[test]
fn bdat_with_partly_and_wholly_refused_recipients() {
    let mut pair = Pair::ready(client_config(), server_config().build().unwrap());
    pair.send_message(
        envelope("a@client.test", &["reject-x@mx.test", "b@mx.test"]),
        b"hello\r\n",
        3,
    );
    assert_eq!(
        pair.recipient_results(),
        vec![
            (0, RecipientStage::Rcpt, 550),
            (1, RecipientStage::Rcpt, 250),
            (1, RecipientStage::Delivery, 250)
        ]
    );
    assert_eq!(pair.received.len(), 1);
    assert_eq!(pair.received[0].recipients.len(), 1);

    let before = pair.flights.len();
    pair.send_message(
        envelope("a@client.test", &["reject-x@mx.test", "reject-y@mx.test"]),
        b"never sent\r\n",
        3,
    );
    assert_eq!(pair.received.len(), 1, "nothing more delivered");
    let wire = pair.flights_text()[before..].concat();
    assert!(!wire.contains("BDAT"), "{wire}");
    assert!(wire.ends_with("RSET\r\n"), "{wire}");
    assert_eq!(
        pair.reports()[1].outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Recipients,
            temporary: false
        }
    );
}

#[test]
fn too_big_chunked_message_is_refused_and_reset() {
    let mut pair = Pair::ready(
        client_config(),
        server_config().max_message_size(Some(20)).build().unwrap(),
    );
    pair.send_message(envelope("a@client.test", &["b@mx.test"]), &[b'x'; 100], 10);
    assert!(pair.received.is_empty());
    let report = &pair.reports()[0];
    assert_eq!(
        report.outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Content,
            temporary: false
        }
    );
    assert_eq!(report.reply.as_ref().unwrap().code().get(), 552);
    assert!(pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::TransactionAborted { .. })));
    // The session is usable afterwards.
    pair.send_message(envelope("a@client.test", &["b@mx.test"]), b"small\r\n", 10);
    assert_eq!(pair.received.len(), 1);
    assert_eq!(pair.received[0].content, b"small\r\n");
}
