//! Chunking invariance of the LMTP server (the smtp machine in its LMTP flavor plus the
//! per-recipient bookkeeping of `LmtpServer`): a pipelined client transcript fed whole
//! or split at random points gives the same replies and the same events, while the
//! delivery agent answers every message's recipients in a shuffled order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/pair.rs"]
mod pair;

use std::time::Instant;

use mailwire_lmtp::server::{LmtpServer, ServerEvent};
use mailwire_lmtp::Session;
use pair::{outcome_for, server_config};
use proptest::prelude::*;

/// One recipient line.
fn rcpt() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        Just(&b"RCPT TO:<pat@foo.test>\r\n"[..]),
        Just(&b"RCPT TO:<unknown@foo.test>\r\n"[..]),
        Just(&b"RCPT TO:<full@foo.test>\r\n"[..]),
        Just(&b"RCPT TO:<over@foo.test>\r\n"[..]),
        Just(&b"RCPT TO:<gone@foo.test>\r\n"[..]),
    ]
}

/// How the content goes.
fn content() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        Just(&b"DATA\r\nSubject: x\r\n\r\n..dot\r\nbody\n.\n\r\n.\r\n"[..]),
        Just(&b"BDAT 7\r\n1234567BDAT 4 LAST\r\nabcd"[..]),
        Just(&b"BDAT 0 LAST\r\n"[..]),
        Just(&b"RSET\r\n"[..]),
    ]
}

/// Lines between transactions, valid and not.
fn noise() -> impl Strategy<Value = &'static [u8]> {
    prop_oneof![
        Just(&b""[..]),
        Just(&b"NOOP\r\n"[..]),
        Just(&b"EHLO bar.test\r\n"[..]),
        Just(&b"bogus\r\n"[..]),
        Just(&b"RCPT TO:<pat@foo.test>\n"[..]),
        Just(&b"LHLO again.test\r\n"[..]),
    ]
}

/// LHLO, then transactions: MAIL, one to four recipients, the content, noise.
fn transcript() -> impl Strategy<Value = Vec<u8>> {
    let transaction = (proptest::collection::vec(rcpt(), 1..5), content(), noise()).prop_map(
        |(rcpts, content, noise)| {
            let mut bytes = b"MAIL FROM:<chris@bar.test>\r\n".to_vec();
            for line in rcpts {
                bytes.extend_from_slice(line);
            }
            bytes.extend_from_slice(content);
            bytes.extend_from_slice(noise);
            bytes
        },
    );
    (noise(), proptest::collection::vec(transaction, 1..5)).prop_map(|(first, transactions)| {
        let mut bytes = first.to_vec();
        bytes.extend_from_slice(b"LHLO bar.test\r\n");
        bytes.extend(transactions.concat());
        bytes.extend_from_slice(b"QUIT\r\n");
        bytes
    })
}

/// Runs the transcript in `chunks`; the agent answers message `n`'s recipients rotated
/// by `n` (so neither in order nor reversed every time).
fn run(chunks: &[&[u8]]) -> (String, Vec<ServerEvent>) {
    let now = Instant::now();
    let config = server_config()
        .max_errors(1000)
        .max_pending_input(1 << 20)
        .build()
        .unwrap();
    let mut server = LmtpServer::new(config, now);
    let mut output = Vec::new();
    let mut events: Vec<ServerEvent> = Vec::new();
    let mut messages = 0usize;
    for chunk in chunks {
        server.handle_input(now, chunk);
        loop {
            while server.poll_transmit(&mut output) > 0 {}
            let Some(event) = server.poll_event() else {
                break;
            };
            match &event {
                ServerEvent::Mail { id, .. } => server.accept(*id).unwrap(),
                ServerEvent::Recipient { id, to, .. } => match outcome_for(to) {
                    Some(_) => server.accept(*id).unwrap(),
                    None => server.reject(*id).unwrap(),
                },
                ServerEvent::MessageEnd { id, recipients, .. } => {
                    let count = recipients.len();
                    for step in 0..count {
                        let index = (step + messages) % count;
                        let outcome = outcome_for(&recipients[index]).unwrap();
                        server.deliver(*id, index, outcome).unwrap();
                    }
                    messages += 1;
                }
                _ => {}
            }
            match (events.last_mut(), event) {
                (Some(ServerEvent::MessageData(joined)), ServerEvent::MessageData(more)) => {
                    let mut all = joined.to_vec();
                    all.extend_from_slice(&more);
                    *joined = all.into();
                }
                (_, event) => events.push(event),
            }
        }
    }
    (String::from_utf8(output).unwrap(), events)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn replies_and_events_do_not_depend_on_chunking(
        input in transcript(),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let whole = run(&[&input]);
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
        points.push(0);
        points.push(input.len());
        points.sort_unstable();
        points.dedup();
        let chunks: Vec<&[u8]> = points.windows(2).map(|w| &input[w[0]..w[1]]).collect();
        let split = run(&chunks);
        prop_assert_eq!(&split.0, &whole.0);
        prop_assert_eq!(&split.1, &whole.1);
        // One reply per accepted recipient after each message, whatever the order the
        // agent answered in: the replies after a 354 name recipients in RCPT order.
        let ends = whole.1.iter().filter(|e| matches!(e, ServerEvent::MessageEnd { .. })).count();
        prop_assert_eq!(ends, messages_answered(&whole.0, &whole.1));
    }
}

/// How many messages got all their per-recipient replies on the wire: every
/// `MessageEnd`'s recipients, each with a reply naming it, in order.
fn messages_answered(output: &str, events: &[ServerEvent]) -> usize {
    let mut rest = output;
    let mut answered = 0;
    for event in events {
        if let ServerEvent::MessageEnd { recipients, .. } = event {
            let mut all = true;
            for recipient in recipients {
                let name = recipient.to_string();
                match rest.find(&format!(" {name} ")) {
                    Some(at) => rest = &rest[at + name.len()..],
                    None => all = false,
                }
            }
            answered += usize::from(all);
        }
    }
    answered
}
