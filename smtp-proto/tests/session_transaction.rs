//! Our client against our server, in memory: whole mail transactions with DATA,
//! pipelined and not, per-recipient results, dot-stuffing end to end, RSET, QUIT.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/session_pair.rs"]
mod pair;

use mailwire_core::{Session, Transport};
use mailwire_smtp::client::{ClientEvent, FailureStage, RecipientStage, TransactionOutcome};
use mailwire_smtp::server::{DataMode, ServerEvent};
use mailwire_smtp::types::{Body, Command, ReversePath, Verb};
use pair::{client_config, envelope, host, mailbox, server_config, Pair};

#[test]
fn greeting_and_capabilities() {
    let pair = Pair::ready(client_config(), server_config().build().unwrap());
    assert_eq!(pair.flights_text()[0], "EHLO client.test\r\n");
    let ready = pair
        .client_events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Ready {
                hello,
                capabilities,
                tls,
            } => Some((*hello, capabilities.clone(), *tls)),
            _ => None,
        })
        .unwrap();
    assert_eq!(ready.0, Verb::Ehlo);
    assert!(!ready.2);
    let caps = ready.1.unwrap();
    for keyword in [
        "PIPELINING",
        "8BITMIME",
        "SMTPUTF8",
        "CHUNKING",
        "SIZE",
        "ENHANCEDSTATUSCODES",
    ] {
        assert!(caps.has_keyword(keyword), "{keyword} in {caps:?}");
    }
    assert_eq!(caps.domain(), "mx.test");
    assert!(matches!(
        pair.server_events.first(),
        Some(ServerEvent::Hello { host: h, .. }) if *h == host("client.test")
    ));
}

#[test]
fn pipelined_transaction_first_flight_and_results() {
    let mut config = client_config();
    config.use_chunking = false;
    let mut pair = Pair::ready(config, server_config().build().unwrap());
    let sent_before = pair.flights.len();
    let content = b"From: alice@client.test\r\nSubject: pipelined\r\n\r\nHello Bob.\r\n";
    let e = envelope(
        "alice@client.test",
        &[
            "bob@mx.test",
            "reject-me@mx.test",
            "defer-me@mx.test",
            "carol@mx.test",
        ],
    )
    .size(content.len() as u64)
    .body(Body::EightBitMime);
    let tx = pair.client.start_mail(e).unwrap();
    pair.client.send_body(content.to_vec()).unwrap();
    pair.client.finish_body().unwrap();
    pair.run();

    // RFC 2920: MAIL, every RCPT and DATA leave together, DATA last; the content only
    // after the 354.
    let flights = pair.flights_text();
    assert_eq!(
        flights[sent_before],
        format!(
            "MAIL FROM:<alice@client.test> SIZE={} BODY=8BITMIME\r\n\
             RCPT TO:<bob@mx.test>\r\n\
             RCPT TO:<reject-me@mx.test>\r\n\
             RCPT TO:<defer-me@mx.test>\r\n\
             RCPT TO:<carol@mx.test>\r\n\
             DATA\r\n",
            content.len()
        )
    );
    assert_eq!(
        flights[sent_before + 1],
        "From: alice@client.test\r\nSubject: pipelined\r\n\r\nHello Bob.\r\n.\r\n"
    );
    // The server answered the whole group in one write, in command order.
    assert!(String::from_utf8_lossy(&pair.server_wire).contains(
        "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n550 5.1.1 no such user\r\n\
         450 4.2.1 try again later\r\n250 2.1.5 Recipient OK\r\n354"
    ));

    assert_eq!(
        pair.recipient_results(),
        vec![
            (0, RecipientStage::Rcpt, 250),
            (1, RecipientStage::Rcpt, 550),
            (2, RecipientStage::Rcpt, 450),
            (3, RecipientStage::Rcpt, 250),
            (0, RecipientStage::Delivery, 250),
            (3, RecipientStage::Delivery, 250),
        ]
    );
    let reports = pair.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].transaction, tx);
    assert_eq!(
        reports[0].outcome,
        TransactionOutcome::Accepted { recipients: 2 }
    );

    assert_eq!(pair.received.len(), 1);
    let message = &pair.received[0];
    assert_eq!(message.mode, DataMode::Data);
    assert_eq!(message.content, content);
    assert_eq!(message.params.size, Some(content.len() as u64));
    assert_eq!(
        message.recipients,
        vec![
            mailbox("bob@mx.test").into(),
            mailbox("carol@mx.test").into()
        ]
    );
}

#[test]
fn without_pipelining_each_command_waits() {
    let mut config = client_config();
    config.use_chunking = false;
    let mut pair = Pair::ready(config, server_config().pipelining(false).build().unwrap());
    let before = pair.flights.len();
    pair.send_message(
        envelope("a@client.test", &["b@mx.test", "c@mx.test"]),
        b"x\r\n",
        64,
    );
    assert_eq!(
        &pair.flights_text()[before..],
        [
            "MAIL FROM:<a@client.test>\r\n",
            "RCPT TO:<b@mx.test>\r\n",
            "RCPT TO:<c@mx.test>\r\n",
            "DATA\r\n",
            "x\r\n.\r\n",
        ]
    );
    assert_eq!(
        pair.reports()[0].outcome,
        TransactionOutcome::Accepted { recipients: 2 }
    );
}

#[test]
fn content_survives_stuffing_and_smuggling_attempts() {
    // Lines starting with dots, and the bare-LF/bare-CR "end of data" lookalikes that
    // SMTP smuggling uses: all must arrive as sent (the server keeps bare line ends as
    // text; our client completes them to CRLF, so what arrives is their CRLF form).
    let mut config = client_config();
    config.use_chunking = false;
    let mut pair = Pair::ready(config, server_config().build().unwrap());
    let content: &[u8] = b"Subject: dots\r\n\r\n.\r\n..\r\n.starts with a dot\r\nend\r\n";
    for chunk in [1, 2, 3, 7, 1000] {
        pair.send_message(envelope("a@client.test", &["b@mx.test"]), content, chunk);
    }
    assert_eq!(pair.received.len(), 5);
    for message in &pair.received {
        assert_eq!(message.content, content);
    }
    let smuggling: &[u8] = b"Subject: s\r\n\r\nfoo\n.\nMAIL FROM:<evil@x>\r\nbar\r\n.\rbaz\r\n";
    pair.send_message(envelope("a@client.test", &["b@mx.test"]), smuggling, 3);
    assert_eq!(pair.received.len(), 6, "still one message");
    assert_eq!(
        pair.received[5].content,
        b"Subject: s\r\n\r\nfoo\r\n.\r\nMAIL FROM:<evil@x>\r\nbar\r\n.\r\nbaz\r\n"
    );
    assert!(!pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::Mail { from, .. } if from.mailbox().is_some_and(|m| m.local_part().as_str() == "evil"))));
}

#[test]
fn all_recipients_rejected() {
    let mut config = client_config();
    config.use_chunking = false;
    let mut pair = Pair::ready(config, server_config().build().unwrap());
    pair.send_message(
        envelope("a@client.test", &["reject-1@mx.test", "reject-2@mx.test"]),
        b"never delivered\r\n",
        100,
    );
    assert!(pair.received.is_empty());
    let reports = pair.reports();
    assert_eq!(
        reports[0].outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Recipients,
            temporary: false
        }
    );
    // The content never reached the server: DATA was refused, RSET cleared the state.
    let wire = pair.flights_text().concat();
    assert!(!wire.contains("never delivered"));
    assert!(wire.ends_with("DATA\r\nRSET\r\n"), "{wire}");
    // The session goes on.
    pair.send_message(
        envelope("a@client.test", &["ok@mx.test"]),
        b"second\r\n",
        100,
    );
    assert_eq!(pair.received.len(), 1);
    assert_eq!(pair.received[0].content, b"second\r\n");
}

#[test]
fn several_transactions_noop_rset_quit() {
    let mut pair = Pair::ready(client_config(), server_config().build().unwrap());
    for n in 0..3 {
        let body = format!("Subject: {n}\r\n\r\nmessage {n}\r\n");
        pair.send_message(
            envelope("a@client.test", &["b@mx.test"]),
            body.as_bytes(),
            5,
        );
    }
    assert_eq!(pair.received.len(), 3);
    assert_eq!(pair.received[2].content, b"Subject: 2\r\n\r\nmessage 2\r\n");
    let noop = pair.client.send(Command::Noop { argument: None }).unwrap();
    let rset = pair.client.send(Command::Rset).unwrap();
    let quit = pair.client.quit().unwrap();
    pair.run();
    let replies: Vec<_> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Reply { id, reply } => Some((*id, reply.code().get())),
            _ => None,
        })
        .collect();
    assert_eq!(replies, vec![(noop, 250), (rset, 250), (quit, 221)]);
    assert_eq!(pair.client.transport(), Transport::Closed);
    assert_eq!(pair.server.transport(), Transport::Closed);
    assert!(!pair.client_events.iter().any(|e| matches!(
        e,
        ClientEvent::ConnectionLost | ClientEvent::ProtocolError(_)
    )));
}

#[test]
fn null_sender_and_smtputf8() {
    let mut pair = Pair::ready(client_config(), server_config().build().unwrap());
    let e =
        mailwire_smtp::client::MailEnvelope::new(ReversePath::Null).to(mailbox("jörg@bücher.test"));
    pair.send_message(e, "Subject: grüße\r\n\r\nä\r\n".as_bytes(), 4);
    assert_eq!(pair.received.len(), 1);
    let message = &pair.received[0];
    assert_eq!(message.from, ReversePath::Null);
    assert!(message.params.smtputf8);
    assert_eq!(message.recipients, vec![mailbox("jörg@bücher.test").into()]);
    assert_eq!(message.content, "Subject: grüße\r\n\r\nä\r\n".as_bytes());
}

#[test]
fn size_over_the_server_limit_is_refused_locally() {
    let mut pair = Pair::ready(
        client_config(),
        server_config().max_message_size(Some(100)).build().unwrap(),
    );
    let before = pair.flights.len();
    assert_eq!(
        pair.client
            .start_mail(envelope("a@client.test", &["b@mx.test"]).size(101)),
        Err(mailwire_smtp::client::ClientError::TooLarge {
            declared: 101,
            limit: 100
        })
    );
    pair.run();
    assert_eq!(pair.flights.len(), before, "nothing was sent");
}
