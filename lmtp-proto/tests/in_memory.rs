//! Our LMTP client machine against our LMTP server machine, in memory, on a virtual
//! clock: LHLO, HELO/EHLO refused, pipelining, mixed per-recipient replies in RCPT order
//! whatever order the delivery agent answers in, BDAT with the per-recipient replies
//! after the last chunk only, no data reply for refused recipients, timeouts and
//! RFC 2033 §5's connection loss in the middle of the replies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/pair.rs"]
mod pair;

use std::time::Duration;

use mailwire_lmtp::client::{
    ClientEvent, DecidedBy, FailureStage, RecipientStatus, TransactionOutcome, Waiting,
};
use mailwire_lmtp::server::{
    CloseReason, Delivery, HelloKind, LmtpServerError, ServerError, ServerEvent,
};
use mailwire_lmtp::types::{Capability, Reply, ReplyCode, Verb};
use mailwire_lmtp::{Session, Transport};
use pair::{envelope, mailbox, raw_session, server_config, AnswerOrder, Pair};

const MESSAGE: &[u8] =
    b"From: chris@bar.test\r\nSubject: lmtp\r\n\r\nBlah blah blah...\r\n..etc. etc. etc.\r\n.\r\n";

#[test]
fn lhlo_and_the_capabilities_rfc_2033_asks_for() {
    let pair = Pair::new(server_config().build().unwrap());
    assert_eq!(pair.flights_text()[0], "LHLO bar.test\r\n");
    assert_eq!(
        pair.server_text(),
        "220 foo.test LMTP mailwire\r\n250-foo.test\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n\
         250-8BITMIME\r\n250-CHUNKING\r\n250 ENHANCEDSTATUSCODES\r\n"
    );
    let ready = pair
        .client_events
        .iter()
        .find_map(|e| match e {
            ClientEvent::Ready {
                hello,
                capabilities,
                tls,
            } => Some((*hello, capabilities.clone().unwrap(), *tls)),
            _ => None,
        })
        .unwrap();
    assert_eq!(ready.0, Verb::Lhlo);
    assert!(!ready.2);
    assert_eq!(
        ready.1.capabilities(),
        &[
            Capability::Pipelining,
            Capability::Size(Some(25 * 1024 * 1024)),
            Capability::EightBitMime,
            Capability::Chunking,
            Capability::EnhancedStatusCodes,
        ]
    );
    assert!(pair.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::Hello {
            kind: HelloKind::Lhlo,
            ..
        }
    )));

    // STARTTLS when the transport can; PIPELINING and ENHANCEDSTATUSCODES cannot be
    // turned off (RFC 2033 §5), SMTPUTF8 on request.
    let pair = Pair::new(
        server_config()
            .starttls(true)
            .smtputf8(true)
            .chunking(false)
            .build()
            .unwrap(),
    );
    let text = pair.server_text();
    for keyword in ["PIPELINING", "ENHANCEDSTATUSCODES", "STARTTLS", "SMTPUTF8"] {
        assert!(text.contains(keyword), "{keyword} missing: {text}");
    }
    assert!(!text.contains("CHUNKING"));
}

#[test]
fn helo_and_ehlo_are_refused() {
    let (output, events) = raw_session(
        server_config().build().unwrap(),
        b"HELO bar.test\r\nEHLO bar.test\r\nMAIL FROM:<chris@bar.test>\r\nLHLO bar.test\r\nQUIT\r\n",
    );
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[0], "220 foo.test LMTP mailwire");
    // RFC 2033 §4.1: no positive reply to HELO or EHLO; 500 recommended.
    assert_eq!(lines[1], "500 5.5.1 This is an LMTP server, use LHLO");
    assert_eq!(lines[2], "500 5.5.1 This is an LMTP server, use LHLO");
    // Neither counted as a greeting.
    assert_eq!(lines[3], "503 5.5.1 Send LHLO first");
    assert_eq!(lines[4], "250-foo.test");
    assert_eq!(lines.last(), Some(&"221 2.0.0 foo.test closing connection"));
    let hellos: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Hello { kind, .. } => Some(*kind),
            _ => None,
        })
        .collect();
    assert_eq!(hellos, [HelloKind::Lhlo]);
}

#[test]
fn data_without_a_successful_rcpt_fails_with_503() {
    let (output, events) = raw_session(
        server_config().chunking(false).build().unwrap(),
        b"LHLO bar.test\r\nMAIL FROM:<chris@bar.test>\r\nRCPT TO:<unknown@foo.test>\r\nDATA\r\nNOOP\r\n",
    );
    let tail: Vec<&str> = output.lines().rev().take(4).collect();
    assert_eq!(
        tail,
        [
            "250 2.0.0 OK",
            "503 5.5.1 No valid recipients",
            "550 5.1.1 Recipient rejected",
            "250 2.1.0 Sender OK",
        ]
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, ServerEvent::MessageStart { .. })));
}

#[test]
fn bdat_last_without_a_successful_rcpt_gets_zero_replies() {
    let (output, events) = raw_session(
        server_config().build().unwrap(),
        b"LHLO bar.test\r\nMAIL FROM:<chris@bar.test>\r\nRCPT TO:<unknown@foo.test>\r\n\
          BDAT 5 LAST\r\nhelloNOOP\r\n",
    );
    // RFC 2033 §4.3: BDAT LAST returns zero replies; the next reply is NOOP's.
    let tail: Vec<&str> = output.lines().rev().take(2).collect();
    assert_eq!(tail, ["250 2.0.0 OK", "550 5.1.1 Recipient rejected"]);
    assert!(!events
        .iter()
        .any(|e| matches!(e, ServerEvent::MessageEnd { .. })));
}

#[test]
fn the_envelope_goes_in_one_pipelined_flight() {
    let mut pair = Pair::new(server_config().chunking(false).build().unwrap());
    let before = pair.flights.len();
    pair.send(
        envelope("chris@bar.test", &["pat@foo.test", "green@foo.test"]),
        MESSAGE,
        1000,
    );
    let flights = &pair.flights_text()[before..];
    assert_eq!(
        flights[0],
        "MAIL FROM:<chris@bar.test>\r\nRCPT TO:<pat@foo.test>\r\nRCPT TO:<green@foo.test>\r\nDATA\r\n"
    );
    // The content waits for the 354; lines starting with a dot are stuffed.
    assert_eq!(
        flights[1],
        "From: chris@bar.test\r\nSubject: lmtp\r\n\r\nBlah blah blah...\r\n...etc. etc. etc.\r\n..\r\n.\r\n"
    );
    assert_eq!(pair.received[0].content, MESSAGE);
    // The server's four envelope replies came back together too.
    assert!(pair.server_text().contains(
        "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n354 "
    ));
    assert!(pair.reports[0].all_delivered());
}

/// The RFC 2033 §4.2 example, with one mailbox full (452), one over its quota for good
/// (552), one refused at RCPT, and the others delivered.
fn mixed_recipients() -> Vec<&'static str> {
    vec![
        "pat@foo.test",
        "unknown-jones@foo.test",
        "full-green@foo.test",
        "over-lee@foo.test",
        "kim@foo.test",
    ]
}

fn check_mixed(pair: &Pair) {
    // One reply per successful RCPT, in RCPT order; none for jones.
    assert_eq!(
        pair.replies_after_data(),
        [
            "250 2.0.0 <pat@foo.test> delivered",
            "452 4.2.2 <full-green@foo.test> mailbox full",
            "552 5.2.2 <over-lee@foo.test> mailbox full",
            "250 2.0.0 <kim@foo.test> delivered",
        ]
    );
    let report = pair.reports.last().unwrap();
    let summary: Vec<(usize, RecipientStatus, DecidedBy, Option<u16>)> = report
        .recipients
        .iter()
        .map(|r| (r.index, r.status, r.decided_by, r.code().map(|c| c.get())))
        .collect();
    assert_eq!(
        summary,
        [
            (0, RecipientStatus::Accepted, DecidedBy::Delivery, Some(250)),
            (1, RecipientStatus::Rejected, DecidedBy::Rcpt, Some(550)),
            (2, RecipientStatus::Deferred, DecidedBy::Delivery, Some(452)),
            (3, RecipientStatus::Rejected, DecidedBy::Delivery, Some(552)),
            (4, RecipientStatus::Accepted, DecidedBy::Delivery, Some(250)),
        ]
    );
    assert_eq!(
        report.recipients[2].enhanced().unwrap().to_string(),
        "4.2.2"
    );
    assert_eq!(
        report.outcome,
        TransactionOutcome::Accepted { recipients: 2 }
    );
    assert_eq!(report.delivered().count(), 2);
    assert_eq!(report.failed().count(), 3);
    let received = pair.received.last().unwrap();
    assert_eq!(
        received.recipients,
        [
            mailbox("pat@foo.test").into(),
            mailbox("full-green@foo.test").into(),
            mailbox("over-lee@foo.test").into(),
            mailbox("kim@foo.test").into(),
        ]
    );
    assert!(!pair
        .client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::ProtocolError(_))));
}

#[test]
fn mixed_replies_in_rcpt_order_when_answered_in_order_or_reversed() {
    for order in [AnswerOrder::InOrder, AnswerOrder::Reversed] {
        let mut pair = Pair::new(server_config().chunking(false).build().unwrap());
        pair.order = order;
        pair.send(envelope("chris@bar.test", &mixed_recipients()), MESSAGE, 7);
        check_mixed(&pair);
        assert_eq!(pair.received[0].content, MESSAGE);
    }
}

#[test]
fn each_reply_leaves_as_soon_as_every_earlier_one_is_known() {
    let mut pair = Pair::new(server_config().chunking(false).build().unwrap());
    pair.order = AnswerOrder::Hold;
    pair.send(
        envelope("chris@bar.test", &mixed_recipients()),
        MESSAGE,
        100,
    );
    let (id, recipients) = pair.held.pop().unwrap();
    assert_eq!(recipients.len(), 4);
    assert_eq!(
        pair.server.pending_recipients(id).unwrap(),
        recipients.as_slice()
    );
    assert!(pair.replies_after_data().is_empty());
    let answer = |pair: &mut Pair, index: usize, outcome: Delivery, expect: usize| {
        pair.server.deliver(id, index, outcome).unwrap();
        pair.pump();
        assert_eq!(
            pair.replies_after_data().len(),
            expect,
            "after answering {index}"
        );
    };
    // The third and the last first: nothing may leave before the first's reply.
    answer(&mut pair, 2, Delivery::MailboxFull { permanent: true }, 0);
    answer(&mut pair, 3, Delivery::Delivered, 0);
    answer(&mut pair, 0, Delivery::Delivered, 1);
    // The second releases itself and the two answered after it.
    answer(&mut pair, 1, Delivery::MailboxFull { permanent: false }, 4);
    check_mixed(&pair);
    assert!(pair.server.pending_recipients(id).is_none());
}

#[test]
fn misuse_of_the_per_recipient_answers_is_refused() {
    let mut pair = Pair::new(server_config().chunking(false).build().unwrap());
    pair.order = AnswerOrder::Hold;
    pair.send(
        envelope("chris@bar.test", &["pat@foo.test", "kim@foo.test"]),
        MESSAGE,
        100,
    );
    let (id, _) = pair.held.pop().unwrap();
    assert_eq!(
        pair.server.deliver(id, 2, Delivery::Delivered),
        Err(LmtpServerError::NoSuchRecipient { index: 2, count: 2 })
    );
    let intermediate = Reply::single(ReplyCode::START_MAIL_INPUT, "go on").unwrap();
    assert_eq!(
        pair.server.deliver_reply(id, 0, intermediate),
        Err(LmtpServerError::Session(ServerError::IntermediateReply))
    );
    pair.server.deliver(id, 1, Delivery::Delivered).unwrap();
    assert_eq!(
        pair.server.deliver(id, 1, Delivery::Delivered),
        Err(LmtpServerError::AlreadyAnswered { index: 1 })
    );
    // `accept` answers the first recipient not yet answered, here the first.
    pair.server.accept(id).unwrap();
    assert_eq!(
        pair.server.deliver(id, 0, Delivery::Delivered),
        Err(LmtpServerError::Session(ServerError::UnknownId))
    );
    pair.pump();
    assert_eq!(
        pair.replies_after_data(),
        [
            "250 2.0.0 <pat@foo.test> delivered",
            "250 2.0.0 <kim@foo.test> delivered"
        ]
    );
}

#[test]
fn bdat_gets_the_per_recipient_replies_after_the_last_chunk_only() {
    let mut pair = Pair::new(server_config().build().unwrap());
    pair.order = AnswerOrder::Reversed;
    let before = pair.flights.len();
    let wire_before = pair.server_wire.len();
    // 20-octet body pieces: each becomes its own BDAT chunk, the last with LAST.
    pair.send(envelope("chris@bar.test", &mixed_recipients()), MESSAGE, 20);
    let flights = pair.flights_text()[before..].concat();
    assert!(flights.starts_with("MAIL FROM:<chris@bar.test>\r\nRCPT TO:<pat@foo.test>\r\n"));
    assert!(!flights.contains("DATA\r\n"));
    let chunks = MESSAGE.len().div_ceil(20);
    assert_eq!(flights.matches("BDAT ").count(), chunks);
    assert_eq!(flights.matches(" LAST\r\n").count(), 1);
    assert_eq!(pair.received[0].content, MESSAGE);

    let answers = String::from_utf8(pair.server_wire[wire_before..].to_vec()).unwrap();
    let lines: Vec<&str> = answers.lines().collect();
    // MAIL and five RCPTs, one 250 per non-last chunk, then the four recipients.
    assert_eq!(lines.len(), 6 + (chunks - 1) + 4, "{answers}");
    for line in &lines[6..6 + chunks - 1] {
        assert!(line.starts_with("250 2.0.0 20 octets received"), "{line}");
    }
    assert_eq!(
        lines[6 + chunks - 1..],
        [
            "250 2.0.0 <pat@foo.test> delivered",
            "452 4.2.2 <full-green@foo.test> mailbox full",
            "552 5.2.2 <over-lee@foo.test> mailbox full",
            "250 2.0.0 <kim@foo.test> delivered",
        ]
    );
    // The client sent BDAT LAST only after the earlier chunks were answered (their
    // success decides how many replies LAST gets): it is alone in its flight.
    let last_flight = pair.flights_text()[before..]
        .iter()
        .find(|f| f.contains(" LAST\r\n"))
        .unwrap()
        .clone();
    assert!(last_flight.starts_with("BDAT "), "{last_flight}");
    let report = pair.reports.last().unwrap();
    assert_eq!(
        report
            .recipients
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>(),
        [
            RecipientStatus::Accepted,
            RecipientStatus::Rejected,
            RecipientStatus::Deferred,
            RecipientStatus::Rejected,
            RecipientStatus::Accepted,
        ]
    );
}

#[test]
fn a_message_over_the_size_limit_gets_552_for_each_recipient() {
    for chunking in [false, true] {
        let mut pair = Pair::new(
            server_config()
                .chunking(chunking)
                .max_message_size(Some(32))
                .build()
                .unwrap(),
        );
        pair.send(
            envelope(
                "chris@bar.test",
                &["pat@foo.test", "unknown@foo.test", "kim@foo.test"],
            ),
            &[b'x'; 100],
            100,
        );
        let report = pair.reports.last().unwrap();
        let codes: Vec<Option<u16>> = report
            .recipients
            .iter()
            .map(|r| r.code().map(|c| c.get()))
            .collect();
        assert_eq!(
            codes,
            [Some(552), Some(550), Some(552)],
            "chunking {chunking}"
        );
        assert!(report.delivered().next().is_none());
        assert!(pair.received.is_empty());
        assert!(pair
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::TransactionAborted { .. })));
    }
}

#[test]
fn transactions_stay_in_step() {
    let mut pair = Pair::new(server_config().chunking(false).build().unwrap());
    pair.send(envelope("chris@bar.test", &mixed_recipients()), MESSAGE, 9);
    pair.send(
        envelope("chris@bar.test", &["full-a@foo.test"]),
        b"two\r\n",
        9,
    );
    pair.send(envelope("chris@bar.test", &["b@foo.test"]), b"three\r\n", 9);
    assert_eq!(pair.reports.len(), 3);
    assert_eq!(
        pair.reports[0].outcome,
        TransactionOutcome::Accepted { recipients: 2 }
    );
    assert_eq!(
        pair.reports[0]
            .recipients
            .iter()
            .map(|r| r.code().map(|c| c.get()))
            .collect::<Vec<_>>(),
        [Some(250), Some(550), Some(452), Some(552), Some(250)]
    );
    assert_eq!(
        pair.reports[1].outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Content,
            temporary: true
        }
    );
    assert!(pair.reports[2].all_delivered());
    assert_eq!(pair.received[2].content, b"three\r\n");
    pair.client.quit().unwrap();
    pair.pump();
    assert_eq!(pair.client.transport(), Transport::Closed);
    assert!(pair.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::Closed {
            reason: CloseReason::Quit
        }
    )));
}

#[test]
fn the_server_closes_a_silent_client_on_the_virtual_clock() {
    let mut pair = Pair::new(server_config().build().unwrap());
    pair.advance(Duration::from_secs(4 * 60));
    assert!(!pair.server_text().contains("421"));
    pair.advance(Duration::from_secs(61));
    assert!(pair
        .server_text()
        .ends_with("421 4.4.2 foo.test timeout exceeded\r\n"));
    assert!(pair.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::Closed {
            reason: CloseReason::Timeout
        }
    )));
    assert_eq!(pair.server.transport(), Transport::Closed);
}

#[test]
fn a_delivery_agent_that_never_answers_times_the_client_out() {
    let mut pair = Pair::new(server_config().chunking(false).build().unwrap());
    pair.order = AnswerOrder::Hold;
    pair.send(
        envelope("chris@bar.test", &["pat@foo.test", "kim@foo.test"]),
        MESSAGE,
        100,
    );
    // RFC 5321 §4.5.3.2.6: the client waits 10 minutes for the replies after the data.
    pair.advance(Duration::from_secs(9 * 60));
    assert!(pair.reports.is_empty());
    pair.advance(Duration::from_secs(61));
    assert!(pair.client_events.iter().any(|e| matches!(
        e,
        ClientEvent::TimedOut {
            waiting: Waiting::DataTermination
        }
    )));
    let report = &pair.reports[0];
    assert!(report
        .recipients
        .iter()
        .all(|r| r.status == RecipientStatus::Deferred
            && r.decided_by == DecidedBy::ConnectionEnded
            && r.reply.is_none()));
}

#[test]
fn replies_that_arrived_before_the_connection_closed_are_kept() {
    let mut pair = Pair::new(server_config().chunking(false).build().unwrap());
    pair.order = AnswerOrder::Hold;
    pair.send(
        envelope(
            "chris@bar.test",
            &["pat@foo.test", "full-green@foo.test", "kim@foo.test"],
        ),
        MESSAGE,
        100,
    );
    let (id, _) = pair.held.pop().unwrap();
    pair.server.deliver(id, 0, Delivery::Delivered).unwrap();
    pair.server
        .deliver(id, 1, Delivery::MailboxFull { permanent: false })
        .unwrap();
    pair.pump();
    // The delivery agent dies before the third recipient.
    pair.client.handle_eof(pair.now);
    pair.pump();
    let report = &pair.reports[0];
    let summary: Vec<(RecipientStatus, DecidedBy)> = report
        .recipients
        .iter()
        .map(|r| (r.status, r.decided_by))
        .collect();
    // RFC 2033 §5: process the replies that arrived, the rest are temporary failures.
    assert_eq!(
        summary,
        [
            (RecipientStatus::Accepted, DecidedBy::Delivery),
            (RecipientStatus::Deferred, DecidedBy::Delivery),
            (RecipientStatus::Deferred, DecidedBy::ConnectionEnded),
        ]
    );
    assert_eq!(report.delivered().count(), 1);
    // The machine itself keeps the delivery: the transaction is not failed as a whole.
    assert_eq!(
        report.outcome,
        TransactionOutcome::Accepted { recipients: 1 }
    );
    assert!(pair
        .client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::ConnectionLost)));
}

#[test]
fn an_smtp_client_learns_it_reached_an_lmtp_server() {
    use mailwire_lmtp::client::{Client, ClientConfig};
    use mailwire_lmtp::server::LmtpServer;
    // RFC 2033 §4.1: LHLO replaces HELO and EHLO so that a client speaking the wrong
    // protocol is detected.
    let now = std::time::Instant::now();
    let mut client = Client::new(ClientConfig::new(pair::host("mta.test")), now);
    let mut server = LmtpServer::new(server_config().build().unwrap(), now);
    let mut client_wire = Vec::new();
    let mut events = Vec::new();
    for _ in 0..10 {
        let mut bytes = Vec::new();
        while client.poll_transmit(&mut bytes) > 0 {}
        client_wire.extend_from_slice(&bytes);
        server.handle_input(now, &bytes);
        while server.poll_event().is_some() {}
        let mut answer = Vec::new();
        while server.poll_transmit(&mut answer) > 0 {}
        client.handle_input(now, &answer);
        if server.transport() == Transport::Closed {
            client.handle_eof(now);
        }
        while let Some(event) = client.poll_event() {
            events.push(event);
        }
    }
    assert_eq!(
        String::from_utf8(client_wire).unwrap(),
        "EHLO mta.test\r\nHELO mta.test\r\nQUIT\r\n"
    );
    let refusal = events
        .iter()
        .find_map(|e| match e {
            ClientEvent::HelloRefused { reply } => Some(reply.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(refusal.code(), ReplyCode::SYNTAX_ERROR);
    assert_eq!(refusal.first_line(), "This is an LMTP server, use LHLO");
    assert!(client.is_closed());
}
