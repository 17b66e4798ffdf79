//! SMTP smuggling: only `<CRLF>.<CRLF>` ends DATA, so a second message hidden behind a
//! bare LF or a bare CR stays message text; the Postfix-style policy refuses such
//! messages; command lines must end with CRLF.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use harness::{body, config, Harness};
use mailwire_smtp::server::{AbortReason, ServerEvent};

/// Opens a transaction up to the 354, the application accepting everything.
fn in_data(harness: &mut Harness) {
    harness.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\n");
    harness.accept_all();
    assert!(harness
        .output()
        .ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"));
}

const SMUGGLED: &str =
    "MAIL FROM:<admin@victim.test>\r\nRCPT TO:<target@d.test>\r\nDATA\r\nforged\r\n";

#[test]
fn bare_line_end_dots_never_end_the_data() {
    for end in ["\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", "\r.\r\n", "\n.\r"] {
        for bytewise in [false, true] {
            let mut h = Harness::greeted(config().build().unwrap());
            in_data(&mut h);
            let message = format!("Subject: one\r\n\r\nhello{end}{SMUGGLED}");
            if bytewise {
                h.send_bytewise(&message);
            } else {
                h.send(&message);
            }
            // Still inside the first message: no reply, no second MAIL.
            assert_eq!(h.output(), "", "{end:?}");
            let events = h.events();
            assert!(
                !events.iter().any(|e| matches!(
                    e,
                    ServerEvent::Mail { .. } | ServerEvent::MessageEnd { .. }
                )),
                "{end:?} ended the data: {events:?}"
            );
            h.send("\r\n.\r\n");
            let mut events_after = h.events();
            let mut all = events;
            all.append(&mut events_after);
            let Some(ServerEvent::MessageEnd { id, size, .. }) = all.last() else {
                panic!("{end:?}: {all:?}")
            };
            // The smuggled transaction is part of the one message's text (a dot that
            // starts a real line is stuffing and goes, as for any line).
            let mut expected = message.replace("\r\n.", "\r\n").into_bytes();
            expected.extend_from_slice(b"\r\n");
            assert_eq!(body(&all), expected, "{end:?}");
            assert_eq!(*size, expected.len() as u64);
            h.accept(*id);
            assert_eq!(h.output(), "250 2.0.0 Message accepted\r\n");
        }
    }
}

#[test]
fn policy_refuses_messages_with_bare_line_ends() {
    for end in ["\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r"] {
        let mut h = Harness::greeted(
            config()
                .reject_bare_line_ends_in_data(true)
                .build()
                .unwrap(),
        );
        in_data(&mut h);
        h.send(format!("hello{end}{SMUGGLED}.\r\n"));
        let events = h.events();
        assert!(
            events.contains(&ServerEvent::TransactionAborted {
                reason: AbortReason::BareLineEnd
            }),
            "{end:?}: {events:?}"
        );
        assert!(!events
            .iter()
            .any(|e| matches!(e, ServerEvent::MessageEnd { .. } | ServerEvent::Mail { .. })));
        assert_eq!(
            h.output(),
            "550 5.6.0 Message contains a bare CR or LF, lines must end with CRLF\r\n",
            "{end:?}"
        );
        // The session goes on with a clean transaction.
        h.send("MAIL FROM:<a@b.test>\r\n");
        assert!(matches!(&h.events()[..], [ServerEvent::Mail { .. }]));
    }
    // A message with proper line ends passes the policy.
    let mut h = Harness::greeted(
        config()
            .reject_bare_line_ends_in_data(true)
            .build()
            .unwrap(),
    );
    in_data(&mut h);
    h.send("line one\r\nline two\r\n.\r\n");
    assert!(matches!(
        h.events().last(),
        Some(ServerEvent::MessageEnd { .. })
    ));
}

#[test]
fn command_lines_must_end_with_crlf() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\nMAIL FROM:<a@b.test>\n");
    assert_eq!(
        h.output(),
        "500 5.5.2 Line must end with CRLF\r\n500 5.5.2 Line must end with CRLF\r\n"
    );
    assert!(h.events().is_empty());
    let mut h = Harness::greeted(config().quirk_bare_lf_commands(true).build().unwrap());
    h.send("EHLO c.test\nNOOP\n");
    assert_eq!(h.codes(), vec![250, 250]);
}

#[test]
fn dot_stuffing_is_removed_and_a_lone_dot_line_is_kept() {
    let mut h = Harness::greeted(config().build().unwrap());
    in_data(&mut h);
    h.send("..\r\n...\r\n.x\r\n.\r\n");
    let events = h.events();
    assert_eq!(body(&events), b".\r\n..\r\nx\r\n");
}

#[test]
fn empty_message_and_terminator_split_everywhere() {
    let mut h = Harness::greeted(config().build().unwrap());
    in_data(&mut h);
    h.send_bytewise(".\r\n");
    let events = h.events();
    assert!(
        matches!(&events[..], [ServerEvent::MessageEnd { size: 0, .. }]),
        "{events:?}"
    );
}
