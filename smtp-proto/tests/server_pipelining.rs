//! PIPELINING (RFC 2920): replies leave in command order whatever order the application
//! answers in, commands that depend on a decision wait for it, and the same bytes give
//! the same events and output however they are split.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use harness::{config, decision_id, ids, Harness};
use mailwire_core::Session;
use mailwire_smtp::server::{ServerConfig, ServerEvent, ServerSession};
use mailwire_smtp::types::{Mechanism, Reply, ReplyCode};
use proptest::prelude::*;

fn is_rcpt(event: &ServerEvent) -> bool {
    matches!(event, ServerEvent::Recipient { .. })
}

#[test]
fn replies_leave_in_command_order_whatever_the_answer_order() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send(
        "EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<one@d.test>\r\n\
         RCPT TO:<two@d.test>\r\nRCPT TO:<three@d.test>\r\nNOOP\r\nDATA\r\n",
    );
    // Only EHLO is answered: every RCPT needs the sender's fate first.
    assert_eq!(h.codes(), vec![250]);
    let events = h.events();
    assert_eq!(events.len(), 2, "{events:?}");
    let mail = decision_id(&events[1]).unwrap();
    h.accept(mail);
    let rcpts = ids(&h.events(), is_rcpt);
    assert_eq!(rcpts.len(), 3);
    assert_eq!(h.output(), "250 2.1.0 Sender OK\r\n");

    // The application answers backwards: nothing may leave before the first answer.
    h.reply(rcpts[2], 550, "5.1.1 three unknown");
    assert_eq!(h.output(), "");
    h.accept(rcpts[1]);
    assert_eq!(h.output(), "");
    // DATA still waits for the last recipient decision.
    assert!(h.events().is_empty());
    h.accept(rcpts[0]);
    assert_eq!(
        h.output(),
        "250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n550 5.1.1 three unknown\r\n\
         250 2.0.0 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    );
}

#[test]
fn a_refused_sender_makes_the_pipelined_recipients_and_data_fail() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<spam@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\nQUIT\r\n");
    h.output();
    let mail = ids(&h.events(), |e| matches!(e, ServerEvent::Mail { .. }))[0];
    h.reject(mail);
    assert_eq!(
        h.output(),
        "550 5.7.1 Sender rejected\r\n503 5.5.1 Need MAIL command\r\n\
         503 5.5.1 Need MAIL command\r\n221 2.0.0 mx.test closing connection\r\n"
    );
    // No recipient event was ever raised for the refused transaction.
    assert!(!h.events().iter().any(is_rcpt));
}

#[test]
fn all_recipients_refused_then_data_is_refused() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nRCPT TO:<y@d.test>\r\nDATA\r\n");
    h.output();
    let mail = ids(&h.events(), |e| matches!(e, ServerEvent::Mail { .. }))[0];
    h.accept(mail);
    for id in ids(&h.events(), is_rcpt) {
        h.reject(id);
    }
    assert_eq!(
        h.output(),
        "250 2.1.0 Sender OK\r\n550 5.1.1 Recipient rejected\r\n550 5.1.1 Recipient rejected\r\n\
         554 5.5.1 No valid recipients\r\n"
    );
    // RFC 2920 §3.2 (4): the client's "empty message" after a refused DATA is read as
    // commands, and nothing is delivered.
    h.send(".\r\n");
    assert_eq!(h.codes(), vec![500]);
    assert!(!h
        .events()
        .iter()
        .any(|e| matches!(e, ServerEvent::MessageEnd { .. })));
}

#[test]
fn next_transaction_pipelined_behind_the_data_waits_for_the_final_reply() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\n");
    h.accept_all();
    h.output();
    h.send("first\r\n.\r\nMAIL FROM:<b@b.test>\r\nRCPT TO:<y@d.test>\r\nDATA\r\n");
    let events = h.events();
    let Some(ServerEvent::MessageEnd { id, .. }) = events.last() else {
        panic!("{events:?}")
    };
    // The next MAIL is not even looked at before the message is decided.
    assert_eq!(h.output(), "");
    h.reply(*id, 451, "4.3.0 try again later");
    let events = h.events();
    let mail = ids(&events, |e| matches!(e, ServerEvent::Mail { .. }));
    assert_eq!(mail.len(), 1);
    h.accept(mail[0]);
    let rcpt = ids(&h.events(), is_rcpt);
    h.accept(rcpt[0]);
    assert_eq!(
        h.output(),
        "451 4.3.0 try again later\r\n250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n\
         354 End data with <CR><LF>.<CR><LF>\r\n"
    );
}

#[test]
fn recipients_are_decided_concurrently_and_kept_in_rcpt_order() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    h.accept_all();
    h.send("RCPT TO:<r1@d.test>\r\nRCPT TO:<r2@d.test>\r\nRCPT TO:<r3@d.test>\r\nDATA\r\n");
    let rcpts = ids(&h.events(), is_rcpt);
    assert_eq!(
        rcpts.len(),
        3,
        "all three are raised before any is answered"
    );
    h.accept(rcpts[2]);
    h.reject(rcpts[1]);
    h.accept(rcpts[0]);
    h.send("x\r\n.\r\n");
    let events = h.events();
    let Some(ServerEvent::MessageEnd { recipients, .. }) = events.last() else {
        panic!("{events:?}")
    };
    let recipients: Vec<String> = recipients.iter().map(ToString::to_string).collect();
    assert_eq!(recipients, ["<r1@d.test>", "<r3@d.test>"]);
}

#[test]
fn auth_plain_with_initial_response_may_be_pipelined() {
    // RFC 4954 §4: AUTH with an initial response of a one-round mechanism may be
    // followed by more commands in the same group.
    let mut h = Harness::greeted(
        config()
            .auth_mechanisms([Mechanism::PLAIN])
            .plaintext_auth_without_tls(true)
            .build()
            .unwrap(),
    );
    h.send("EHLO c.test\r\n");
    h.output();
    h.events();
    h.send("AUTH PLAIN AHVzZXIAcGFzcw==\r\nMAIL FROM:<a@b.test>\r\n");
    let events = h.events();
    let [ServerEvent::AuthCredentials { id, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(h.output(), "");
    h.accept(*id);
    let events = h.events();
    assert!(
        matches!(&events[..], [ServerEvent::Mail { .. }]),
        "{events:?}"
    );
    assert_eq!(h.output(), "235 2.7.0 Authentication successful\r\n");
}

// ---------------------------------------------------------------------------------------
// Chunking invariance
// ---------------------------------------------------------------------------------------

/// A deterministic application: refuses recipients whose address holds "bad", rejects
/// messages when the recipient list has two entries, accepts everything else; answers
/// SASL with one challenge then success.
fn decide(server: &mut ServerSession, event: &ServerEvent) {
    match event {
        ServerEvent::Recipient { id, to, .. } if to.to_string().contains("bad") => {
            server.reject(*id).unwrap()
        }
        ServerEvent::MessageEnd { id, recipients, .. } if recipients.len() == 2 => {
            server.reject(*id).unwrap()
        }
        ServerEvent::SaslStart { id, .. } => server.sasl_challenge(*id, b"nonce").unwrap(),
        ServerEvent::Verify { id, .. }
        | ServerEvent::Expand { id, .. }
        | ServerEvent::Help { id, .. } => server
            .reply(
                *id,
                Reply::single(ReplyCode::CANNOT_VERIFY, "maybe").unwrap(),
            )
            .unwrap(),
        other => {
            if let Some(id) = decision_id(other) {
                server.accept(id).unwrap()
            }
        }
    }
}

/// Runs `input` cut at `cuts`, answering events after each piece; returns the output and
/// the events with adjacent message data and discard reports merged.
fn run(
    config: &std::sync::Arc<ServerConfig>,
    input: &[u8],
    cuts: &[usize],
) -> (Vec<u8>, Vec<ServerEvent>) {
    let now = std::time::Instant::now();
    let mut server = ServerSession::new(config.clone(), now);
    let mut output = Vec::new();
    let mut events = Vec::new();
    let mut pieces = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        pieces.push(&input[start..cut]);
        start = cut;
    }
    let settle =
        |server: &mut ServerSession, output: &mut Vec<u8>, events: &mut Vec<ServerEvent>| loop {
            while server.poll_transmit(output) > 0 {}
            if server.poll_timeout().is_some_and(|due| due <= now) {
                server.handle_timeout(now);
            }
            let Some(event) = server.poll_event() else {
                break;
            };
            decide(server, &event);
            events.push(event);
        };
    settle(&mut server, &mut output, &mut events);
    for piece in pieces {
        server.handle_input(now, piece);
        settle(&mut server, &mut output, &mut events);
    }
    server.handle_eof(now);
    settle(&mut server, &mut output, &mut events);
    (output, normalize(events))
}

fn normalize(events: Vec<ServerEvent>) -> Vec<ServerEvent> {
    let mut merged: Vec<ServerEvent> = Vec::new();
    for event in events {
        match (merged.last_mut(), event) {
            (Some(ServerEvent::MessageData(previous)), ServerEvent::MessageData(next)) => {
                let mut joined = previous.to_vec();
                joined.extend_from_slice(&next);
                *previous = joined.into();
            }
            (
                Some(ServerEvent::DiscardedAfterStartTls { octets: previous }),
                ServerEvent::DiscardedAfterStartTls { octets },
            ) => *previous += octets,
            (_, event) => merged.push(event),
        }
    }
    merged
}

const SESSION: &[u8] = b"EHLO client.test\r\n\
MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME\r\n\
RCPT TO:<one@d.test>\r\n\
RCPT TO:<bad@d.test>\r\n\
RCPT TO:<two@d.test>\r\n\
DATA\r\n\
Subject: hi\r\n\
\r\n\
..leading dot\r\n\
a\n.\nMAIL FROM:<smuggled@evil.test>\r\n\
b\r.\rc\r\n\
.\r\n\
MAIL FROM:<c@b.test>\r\n\
RCPT TO:<three@d.test>\r\n\
BDAT 5\r\n\
12345BDAT 0 LAST\r\n\
NOOP\r\n\
VRFY someone\r\n\
GARBAGE\r\n\
RCPT TO:<nomail@d.test>\r\n\
AUTH X-TEST dGVzdA==\r\n\
cmVzcG9uc2U=\r\n\
MAIL FROM:<d@b.test>\r\n\
RCPT TO:<x@d.test>\r\n\
BDAT 3 LAST\r\n\
abcQUIT\r\n";

fn session_config() -> std::sync::Arc<ServerConfig> {
    config()
        .auth_mechanisms([Mechanism::new("X-TEST").unwrap()])
        .starttls(true)
        .max_message_size(Some(1000))
        .build_shared()
        .unwrap()
}

#[test]
fn the_reference_session_does_what_it_should() {
    let (output, events) = run(&session_config(), SESSION, &[]);
    let output = String::from_utf8(output).unwrap();
    let codes: Vec<&str> = output
        .split_terminator("\r\n")
        .filter(|l| l.as_bytes()[3] == b' ')
        .map(|l| &l[..3])
        .collect();
    assert_eq!(
        codes,
        [
            "220", "250", "250", "250", "550", "250", "354",
            "554", // first message: 2 recipients, rejected
            "250", "250", "250", "250", // second: BDAT 5, BDAT 0 LAST accepted
            "250", "252", "500", "503", // NOOP, VRFY, GARBAGE, RCPT without MAIL
            "334", "235", // generic SASL
            "250", "250", "250", "221"
        ],
        "{output}"
    );
    let data: Vec<&[u8]> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::MessageData(chunk) => Some(&chunk[..]),
            _ => None,
        })
        .collect();
    assert_eq!(
        data,
        [
            &b"Subject: hi\r\n\r\n.leading dot\r\na\n.\nMAIL FROM:<smuggled@evil.test>\r\nb\r.\rc\r\n"[..],
            b"12345",
            b"abc"
        ]
    );
    assert!(!events.iter().any(
        |e| matches!(e, ServerEvent::Mail { from, .. } if from.to_string().contains("smuggled"))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn split_input_gives_the_same_events_and_output(cuts in proptest::collection::vec(0usize..SESSION.len(), 0..12)) {
        let config = session_config();
        let mut cuts = cuts;
        cuts.sort_unstable();
        let whole = run(&config, SESSION, &[]);
        let split = run(&config, SESSION, &cuts);
        prop_assert_eq!(whole, split);
    }
}

#[test]
fn byte_by_byte_input_gives_the_same_events_and_output() {
    let config = session_config();
    let cuts: Vec<usize> = (1..SESSION.len()).collect();
    assert_eq!(run(&config, SESSION, &[]), run(&config, SESSION, &cuts));
}
