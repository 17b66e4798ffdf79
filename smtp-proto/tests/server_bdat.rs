//! CHUNKING and BINARYMIME (RFC 3030): exact chunk counting, `BDAT 0 LAST`, refused
//! chunks still read, DATA/BDAT mixing rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use harness::{body, config, Harness};
use mailwire_smtp::server::{AbortReason, DataMode, ServerEvent};

fn transaction(h: &mut Harness) {
    h.send("EHLO c.test\r\nMAIL FROM:<Sam@Random.com>\r\nRCPT TO:<Susan@Random.com>\r\n");
    h.accept_all();
    h.output();
}

#[test]
fn rfc3030_simple_chunking_example() {
    let mut h = Harness::greeted(config().build().unwrap());
    transaction(&mut h);
    let message = "To: Susan@random.com\r\nFrom: Sam@random.com\r\nSubject: This is a bodyless test message\r\n";
    assert_eq!(message.len(), 86);
    h.send(format!("BDAT 86 LAST\r\n{message}"));
    let events = h.events();
    assert_eq!(
        events[0],
        ServerEvent::MessageStart {
            mode: DataMode::Bdat
        }
    );
    assert_eq!(body(&events), message.as_bytes());
    let Some(ServerEvent::MessageEnd { id, size: 86, .. }) = events.last() else {
        panic!("{events:?}")
    };
    h.accept(*id);
    assert_eq!(h.output(), "250 2.0.0 Message accepted\r\n");
}

#[test]
fn pipelined_chunks_with_binary_content_and_bdat_0_last() {
    let mut h = Harness::greeted(config().binary_mime(true).build().unwrap());
    h.send("EHLO c.test\r\n");
    assert!(h.lines().contains(&"250-BINARYMIME".to_string()));
    h.send("MAIL FROM:<a@b.test> BODY=BINARYMIME\r\nRCPT TO:<x@d.test>\r\n");
    h.accept_all();
    h.output();
    // Chunk content that looks like commands and like a DATA terminator is data.
    let first = b"\r\n.\r\nQUIT\r\n\x00\xff";
    let mut input = format!("BDAT {}\r\n", first.len()).into_bytes();
    input.extend_from_slice(first);
    input.extend_from_slice(b"BDAT 3\r\nabcBDAT 0 LAST\r\n");
    h.send_bytewise(&input);
    let events = h.events();
    let mut expected = first.to_vec();
    expected.extend_from_slice(b"abc");
    assert_eq!(body(&events), expected);
    let starts = events
        .iter()
        .filter(|e| matches!(e, ServerEvent::MessageStart { .. }))
        .count();
    assert_eq!(starts, 1);
    let Some(ServerEvent::MessageEnd { id, size, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(*size, expected.len() as u64);
    assert_eq!(
        h.output(),
        "250 2.0.0 13 octets received\r\n250 2.0.0 3 octets received\r\n"
    );
    h.accept(*id);
    assert_eq!(h.output(), "250 2.0.0 Message accepted\r\n");
}

#[test]
fn bdat_0_last_alone_is_an_empty_message() {
    let mut h = Harness::greeted(config().build().unwrap());
    transaction(&mut h);
    h.send("BDAT 0 LAST\r\n");
    let events = h.events();
    assert!(
        matches!(
            &events[..],
            [
                ServerEvent::MessageStart {
                    mode: DataMode::Bdat
                },
                ServerEvent::MessageEnd { size: 0, .. }
            ]
        ),
        "{events:?}"
    );
}

#[test]
fn out_of_sequence_chunks_are_read_and_dropped() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\n");
    h.output();
    h.events();
    // No MAIL: the chunk (which holds a command) is swallowed, then 503.
    let hidden = "MAIL FROM:<evil@x.test>\r\n";
    h.send(format!("BDAT {} LAST\r\n{hidden}NOOP\r\n", hidden.len()));
    assert_eq!(
        h.output(),
        "503 5.5.1 Need MAIL command\r\n250 2.0.0 OK\r\n"
    );
    assert!(h.events().is_empty());
}

#[test]
fn data_and_bdat_do_not_mix_in_one_transaction() {
    let mut h = Harness::greeted(config().build().unwrap());
    transaction(&mut h);
    h.send("BDAT 2\r\nabDATA\r\n");
    assert_eq!(
        h.output(),
        "250 2.0.0 2 octets received\r\n503 5.5.1 DATA cannot follow BDAT\r\n"
    );
    // The transaction is failed: further chunks are read and refused until RSET.
    h.send("BDAT 3 LAST\r\nxyzRCPT TO:<y@d.test>\r\n");
    assert_eq!(
        h.output(),
        "503 5.5.1 Transaction failed, send RSET\r\n503 5.5.1 RCPT not allowed now, send RSET\r\n"
    );
    let events = h.events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::MessageEnd { .. })),
        "{events:?}"
    );
    h.send("RSET\r\n");
    assert_eq!(h.output(), "250 2.0.0 OK\r\n");
    // A DATA transaction after the reset is fine.
    h.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\n");
    h.accept_all();
    assert!(h
        .output()
        .ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"));
}

#[test]
fn binarymime_needs_bdat() {
    let mut h = Harness::greeted(config().binary_mime(true).build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\nRCPT TO:<x@d.test>\r\n");
    h.accept_all();
    h.output();
    h.send("DATA\r\n");
    assert_eq!(h.output(), "503 5.5.1 BINARYMIME needs BDAT\r\n");
    // Without the extension enabled the parameter itself is refused.
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\n");
    assert_eq!(
        h.lines().last().unwrap(),
        "555 5.5.4 BINARYMIME not supported"
    );
}

#[test]
fn chunk_over_the_size_limit_is_read_then_refused() {
    let mut h = Harness::greeted(config().max_message_size(Some(10)).build().unwrap());
    transaction(&mut h);
    h.send("BDAT 6\r\n123456");
    assert_eq!(h.output(), "250 2.0.0 6 octets received\r\n");
    h.send("BDAT 5 LAST\r\nabcdeNOOP\r\n");
    assert_eq!(
        h.output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 OK\r\n"
    );
    let events = h.events();
    assert_eq!(
        body(&events),
        b"123456",
        "nothing of the refused chunk is passed on"
    );
    assert!(events.contains(&ServerEvent::TransactionAborted {
        reason: AbortReason::TooLarge
    }));
}

#[test]
fn chunk_size_limit() {
    let mut h = Harness::greeted(config().max_bdat_chunk_size(Some(4)).build().unwrap());
    transaction(&mut h);
    h.send("BDAT 5 LAST\r\n12345BDAT 1 LAST\r\nx");
    assert_eq!(
        h.output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n\
         503 5.5.1 Transaction failed, send RSET\r\n"
    );
}

#[test]
fn bdat_without_accepted_recipients_is_refused() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\n");
    let events = h.events();
    h.accept(harness::decision_id(&events[1]).unwrap());
    let rcpt = harness::ids(&h.events(), |e| matches!(e, ServerEvent::Recipient { .. }))[0];
    h.reject(rcpt);
    h.output();
    h.send("BDAT 3\r\nabcBDAT 2 LAST\r\nde");
    assert_eq!(
        h.output(),
        "554 5.5.1 No valid recipients\r\n503 5.5.1 Transaction failed, send RSET\r\n"
    );
    assert_eq!(
        h.events(),
        vec![ServerEvent::TransactionAborted {
            reason: AbortReason::NoRecipients
        }]
    );
}

#[test]
fn bdat_needs_chunking() {
    let mut h = Harness::greeted(config().chunking(false).build().unwrap());
    transaction(&mut h);
    // Not offered: still the chunk is swallowed, so its bytes are never commands.
    h.send("BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n");
    assert_eq!(
        h.output(),
        "502 5.5.1 BDAT not available\r\n250 2.0.0 OK\r\n"
    );
}
