//! The LMTP flavor (RFC 2033): LHLO only, and one reply per accepted recipient after
//! the data, in RCPT order, whatever order the application answers in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use harness::{body, config, decision_id, ids, Harness};
use mailwire_smtp::server::{AbortReason, Flavor, Greeting, HelloKind, ServerEvent};
use mailwire_smtp::types::Mechanism;

fn lmtp() -> Harness {
    Harness::greeted(config().flavor(Flavor::Lmtp).build().unwrap())
}

fn is_rcpt(event: &ServerEvent) -> bool {
    matches!(event, ServerEvent::Recipient { .. })
}

#[test]
fn helo_and_ehlo_are_refused_lhlo_works() {
    let mut h = lmtp();
    h.send("HELO c.test\r\nEHLO c.test\r\n");
    assert_eq!(
        h.output(),
        "500 5.5.1 This is an LMTP server, use LHLO\r\n500 5.5.1 This is an LMTP server, use LHLO\r\n"
    );
    h.send("LHLO foo.edu\r\n");
    let lines = h.lines();
    assert_eq!(lines[0], "250-mx.test");
    assert!(lines.contains(&"250-PIPELINING".to_string()));
    assert_eq!(lines.last().unwrap(), "250 ENHANCEDSTATUSCODES");
    assert!(matches!(
        &h.events()[..],
        [ServerEvent::Hello {
            kind: HelloKind::Lhlo,
            ..
        }]
    ));
    // And SMTP refuses LHLO.
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("LHLO c.test\r\n");
    assert_eq!(
        h.output(),
        "500 5.5.1 LHLO is an LMTP command, use EHLO\r\n"
    );
}

#[test]
fn sequence_and_refusal_replies_name_lhlo_and_lmtp() {
    let mut h = Harness::greeted(
        config()
            .flavor(Flavor::Lmtp)
            .starttls(true)
            .auth_mechanisms([Mechanism::PLAIN])
            .plaintext_auth_without_tls(true)
            .build()
            .unwrap(),
    );
    h.send("MAIL FROM:<a@b.test>\r\nSTARTTLS\r\nAUTH PLAIN\r\n");
    assert_eq!(
        h.lines(),
        [
            "503 5.5.1 Send LHLO first",
            "503 5.5.1 Send LHLO first",
            "503 5.5.1 Send LHLO first",
        ]
    );

    let mut h = Harness::new(
        config()
            .flavor(Flavor::Lmtp)
            .greeting(Greeting::Refuse("No LMTP service here".into()))
            .build()
            .unwrap(),
    );
    assert_eq!(h.output(), "554 mx.test No LMTP service here\r\n");
    h.send("LHLO c.test\r\n");
    assert_eq!(h.output(), "503 5.5.1 No LMTP service here, send QUIT\r\n");

    let mut h = Harness::new(
        config()
            .flavor(Flavor::Lmtp)
            .greeting(Greeting::AskApplication)
            .build()
            .unwrap(),
    );
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Connected { .. }))[0];
    h.reject(id);
    assert_eq!(h.output(), "554 mx.test No LMTP service here\r\n");
    h.send("MAIL FROM:<a@b.test>\r\nQUIT\r\n");
    assert_eq!(
        h.lines(),
        [
            "503 5.5.1 No LMTP service here, send QUIT",
            "221 2.0.0 mx.test closing connection",
        ]
    );
}

#[test]
fn rfc2033_example_with_mixed_per_recipient_replies() {
    let mut h = lmtp();
    h.send(
        "LHLO foo.edu\r\nMAIL FROM:<chris@bar.com>\r\nRCPT TO:<pat@foo.edu>\r\n\
         RCPT TO:<jones@foo.edu>\r\nRCPT TO:<green@foo.edu>\r\nDATA\r\n",
    );
    h.output();
    let events = h.events();
    h.accept(decision_id(&events[1]).unwrap());
    let rcpts = ids(&h.events(), is_rcpt);
    h.accept(rcpts[0]);
    h.reply(rcpts[1], 550, "5.1.1 No such user here");
    h.accept(rcpts[2]);
    assert!(h
        .output()
        .ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"));
    h.send("Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\n");
    let events = h.events();
    assert_eq!(body(&events), b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
    let Some(ServerEvent::MessageEnd { id, recipients, .. }) = events.last() else {
        panic!("{events:?}")
    };
    let recipients: Vec<String> = recipients.iter().map(ToString::to_string).collect();
    assert_eq!(recipients, ["<pat@foo.edu>", "<green@foo.edu>"]);
    // One reply per accepted recipient, each sent as soon as it is given.
    h.accept(*id);
    assert_eq!(h.output(), "250 2.0.0 Message accepted\r\n");
    h.reply(*id, 452, "4.2.2 <green@foo.edu> is temporarily over quota");
    assert_eq!(
        h.output(),
        "452 4.2.2 <green@foo.edu> is temporarily over quota\r\n"
    );
    // The id is used up once every recipient is answered.
    assert!(h.server.accept(*id).is_err());
    h.send("QUIT\r\n");
    assert_eq!(h.codes(), vec![221]);
}

#[test]
fn per_recipient_replies_follow_commands_already_waiting() {
    let mut h = lmtp();
    h.send("LHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<r1@d.test>\r\nRCPT TO:<r2@d.test>\r\nRCPT TO:<r3@d.test>\r\nDATA\r\n");
    h.accept_all();
    h.output();
    h.send("x\r\n.\r\nRSET\r\nNOOP\r\n");
    let events = h.events();
    let Some(ServerEvent::MessageEnd { id, recipients, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(recipients.len(), 3);
    h.reply(*id, 250, "2.1.5 r1 delivered");
    h.reply(*id, 550, "5.2.1 r2 mailbox disabled");
    assert_eq!(
        h.output(),
        "250 2.1.5 r1 delivered\r\n550 5.2.1 r2 mailbox disabled\r\n"
    );
    // RSET waits for the last per-recipient reply.
    h.reply(*id, 250, "2.1.5 r3 delivered");
    assert_eq!(
        h.output(),
        "250 2.1.5 r3 delivered\r\n250 2.0.0 OK\r\n250 2.0.0 OK\r\n"
    );
}

#[test]
fn data_without_accepted_recipients_is_503() {
    let mut h = lmtp();
    h.send("LHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<r1@d.test>\r\nDATA\r\n");
    let events = h.events();
    h.accept(decision_id(&events[1]).unwrap());
    let rcpt = ids(&h.events(), is_rcpt)[0];
    h.reject(rcpt);
    assert!(h.output().ends_with("503 5.5.1 No valid recipients\r\n"));
}

#[test]
fn bdat_last_gets_one_reply_per_recipient() {
    let mut h = lmtp();
    h.send("LHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<r1@d.test>\r\nRCPT TO:<r2@d.test>\r\n");
    h.accept_all();
    h.output();
    h.send("BDAT 4\r\nabcdBDAT 2 LAST\r\nef");
    let events = h.events();
    assert_eq!(body(&events), b"abcdef");
    let Some(ServerEvent::MessageEnd { id, .. }) = events.last() else {
        panic!("{events:?}")
    };
    h.accept(*id);
    h.reply(*id, 450, "4.2.0 r2 busy");
    assert_eq!(
        h.output(),
        "250 2.0.0 4 octets received\r\n250 2.0.0 Message accepted\r\n450 4.2.0 r2 busy\r\n"
    );
}

#[test]
fn bdat_last_without_accepted_recipients_gets_no_reply() {
    let mut h = lmtp();
    h.send("LHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<r1@d.test>\r\n");
    let events = h.events();
    h.accept(decision_id(&events[1]).unwrap());
    let rcpt = ids(&h.events(), is_rcpt)[0];
    h.reject(rcpt);
    h.output();
    // RFC 2033 §4.3: zero replies to BDAT LAST; NOOP's reply comes next.
    h.send("BDAT 3 LAST\r\nabcNOOP\r\n");
    assert_eq!(h.output(), "250 2.0.0 OK\r\n");
    assert_eq!(
        h.events(),
        vec![ServerEvent::TransactionAborted {
            reason: AbortReason::NoRecipients
        }]
    );
}

#[test]
fn oversized_message_is_refused_once_per_recipient() {
    let mut h = Harness::greeted(
        config()
            .flavor(Flavor::Lmtp)
            .max_message_size(Some(5))
            .build()
            .unwrap(),
    );
    h.send("LHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<r1@d.test>\r\nRCPT TO:<r2@d.test>\r\nDATA\r\n");
    h.accept_all();
    h.output();
    h.send("too long for five\r\n.\r\n");
    assert_eq!(
        h.output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n\
         552 5.3.4 Message size exceeds fixed maximum message size\r\n"
    );
}
