//! Whole SMTP sessions against the server machine, in memory: the RFC 5321 example,
//! greeting policies, the commands the machine answers itself, and error handling.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use harness::{body, config, ids, Harness};
use mailwire_core::Transport;
use mailwire_smtp::server::{
    AbortReason, CloseReason, DataMode, Delegation, Greeting, HelloKind, ServerEvent,
};

#[test]
fn rfc5321_appendix_d1_session() {
    let mut h = Harness::new(config().build().unwrap());
    assert_eq!(h.output(), "220 mx.test ESMTP mailwire\r\n");
    h.send("EHLO bar.com\r\n");
    let ehlo = h.lines();
    assert_eq!(ehlo[0], "250-mx.test");
    assert!(ehlo.contains(&"250-PIPELINING".to_string()), "{ehlo:?}");
    assert!(ehlo.contains(&"250-SIZE 26214400".to_string()), "{ehlo:?}");
    assert!(ehlo.contains(&"250-8BITMIME".to_string()), "{ehlo:?}");
    assert!(ehlo.contains(&"250-SMTPUTF8".to_string()), "{ehlo:?}");
    assert!(ehlo.contains(&"250-CHUNKING".to_string()), "{ehlo:?}");
    assert_eq!(ehlo.last().unwrap(), "250 ENHANCEDSTATUSCODES");
    assert!(!ehlo
        .iter()
        .any(|l| l.contains("STARTTLS") || l.contains("AUTH")));
    let events = h.events();
    assert!(
        matches!(&events[..], [ServerEvent::Hello { kind: HelloKind::Ehlo, host }] if host.to_string() == "bar.com")
    );

    h.send("MAIL FROM:<Smith@bar.com>\r\n");
    let events = h.events();
    let [ServerEvent::Mail { id, from, params }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(from.to_string(), "<Smith@bar.com>");
    assert!(params.is_empty());
    h.accept(*id);
    assert_eq!(h.output(), "250 2.1.0 Sender OK\r\n");

    h.send("RCPT TO:<Jones@foo.com>\r\n");
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Recipient { .. }))[0];
    h.accept(id);
    h.send("RCPT TO:<Green@foo.com>\r\n");
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Recipient { .. }))[0];
    h.reply(id, 550, "No such user here");
    h.send("RCPT TO:<Brown@foo.com>\r\n");
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Recipient { .. }))[0];
    h.accept(id);
    assert_eq!(
        h.output(),
        "250 2.1.5 Recipient OK\r\n550 No such user here\r\n250 2.1.5 Recipient OK\r\n"
    );

    h.send("DATA\r\n");
    assert_eq!(h.output(), "354 End data with <CR><LF>.<CR><LF>\r\n");
    assert_eq!(
        h.events(),
        vec![ServerEvent::MessageStart {
            mode: DataMode::Data
        }]
    );
    h.send("Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\n");
    let events = h.events();
    assert_eq!(body(&events), b"Blah blah blah...\r\n..etc. etc. etc.\r\n");
    let Some(ServerEvent::MessageEnd {
        id,
        size,
        recipients,
    }) = events.last()
    else {
        panic!("{events:?}")
    };
    assert_eq!(*size, 37);
    let recipients: Vec<String> = recipients.iter().map(ToString::to_string).collect();
    assert_eq!(recipients, ["<Jones@foo.com>", "<Brown@foo.com>"]);
    assert_eq!(h.output(), "");
    h.accept(*id);
    assert_eq!(h.output(), "250 2.0.0 Message accepted\r\n");

    h.send("QUIT\r\n");
    assert_eq!(h.output(), "221 2.0.0 mx.test closing connection\r\n");
    assert_eq!(
        h.events(),
        vec![ServerEvent::Closed {
            reason: CloseReason::Quit
        }]
    );
    assert_eq!(h.transport(), Transport::Closed);
    // Nothing is read after QUIT.
    h.send("NOOP\r\n");
    assert_eq!(h.output(), "");
}

#[test]
fn helo_gives_a_plain_reply_and_refuses_extension_parameters() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("HELO client.test\r\n");
    assert_eq!(h.output(), "250 mx.test\r\n");
    h.send("MAIL FROM:<a@b.test> BODY=8BITMIME\r\n");
    assert_eq!(h.output(), "555 5.5.4 Parameters need EHLO\r\n");
    h.send("AUTH PLAIN\r\n");
    assert_eq!(h.codes(), vec![502]);
    h.send("MAIL FROM:<a@b.test>\r\n");
    assert_eq!(h.accept_all().len(), 2);
    assert_eq!(h.output(), "250 2.1.0 Sender OK\r\n");
}

#[test]
fn machine_answers_noop_rset_vrfy_expn_help() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("NOOP\r\nNOOP hello\r\nVRFY john\r\nEXPN staff\r\nHELP\r\nRSET\r\n");
    let lines = h.lines();
    assert_eq!(lines[0], "250 2.0.0 OK");
    assert_eq!(lines[1], "250 2.0.0 OK");
    assert!(lines[2].starts_with("252 2.5.0 "), "{lines:?}");
    assert_eq!(lines[3], "502 5.5.1 EXPN not available");
    assert!(
        lines[4].starts_with("214 2.0.0 Commands: HELO EHLO MAIL"),
        "{lines:?}"
    );
    assert_eq!(lines[5], "250 2.0.0 OK");
    assert!(h.events().is_empty());
}

#[test]
fn delegated_vrfy_expn_help_wait_for_the_application() {
    let mut delegation = Delegation::default();
    delegation.vrfy = true;
    delegation.expn = true;
    delegation.help = true;
    let mut h = Harness::greeted(config().delegation(delegation).build().unwrap());
    h.send("VRFY Smith\r\nEXPN Example-People\r\nHELP MAIL\r\nNOOP\r\n");
    // One decision at a time: what follows waits for it.
    let events = h.events();
    let [ServerEvent::Verify { id, target }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(target.as_str(), "Smith");
    assert_eq!(h.output(), "");
    assert_eq!(
        h.server.accept(*id),
        Err(mailwire_smtp::server::ServerError::ReplyRequired)
    );
    h.reply(*id, 250, "Fred Smith <Smith@USC-ISIF.ARPA>");
    let events = h.events();
    let [ServerEvent::Expand { id, target }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(target.as_str(), "Example-People");
    h.reply(*id, 250, "<jon@foo.com>");
    let events = h.events();
    let [ServerEvent::Help { id, topic }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(topic.as_ref().unwrap().as_str(), "MAIL");
    h.reject(*id);
    assert_eq!(
        h.output(),
        "250 Fred Smith <Smith@USC-ISIF.ARPA>\r\n250 <jon@foo.com>\r\n\
         502 5.5.1 HELP not available\r\n250 2.0.0 OK\r\n"
    );
}

#[test]
fn malformed_and_unknown_commands_are_answered_and_the_session_goes_on() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("FOO bar\r\n");
    assert_eq!(h.output(), "500 5.5.1 Command unrecognized\r\n");
    h.send("EHLO\r\n");
    assert_eq!(h.codes(), vec![501]);
    h.send("MAIL FROM:<a@b.test>\r\n");
    assert_eq!(h.output(), "503 5.5.1 Send HELO/EHLO first\r\n");
    h.send("EHLO c.test\r\nMAIL TO:<a@b.test>\r\nMAIL FROM:<no-at-sign>\r\n");
    let codes = h.codes();
    assert_eq!(codes[codes.len() - 2..], [501, 501]);
    h.send("RCPT TO:<a@b.test>\r\nDATA\r\n");
    assert_eq!(
        h.output(),
        "503 5.5.1 Need MAIL command\r\n503 5.5.1 Need MAIL command\r\n"
    );
    h.send("MAIL FROM:<a@b.test> FOO=BAR\r\n");
    assert_eq!(h.output(), "555 5.5.4 Unsupported parameter\r\n");
    h.send("MAIL FROM:<a@b.test>\r\n");
    h.accept_all();
    h.send("MAIL FROM:<c@b.test>\r\n");
    assert_eq!(
        h.output(),
        "250 2.1.0 Sender OK\r\n503 5.5.1 Nested MAIL command\r\n"
    );
    h.send("DATA\r\n");
    assert_eq!(h.output(), "554 5.5.1 No valid recipients\r\n");
    assert_eq!(h.transport(), Transport::Open);
}

#[test]
fn unknown_parameters_reach_the_application_when_allowed() {
    let mut h = Harness::greeted(config().pass_unknown_parameters(true).build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test> X-PRIORITY=5 SIZE=100\r\n");
    let events = h.events();
    let Some(ServerEvent::Mail { params, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(params.size, Some(100));
    let other: Vec<_> = params
        .other
        .iter()
        .map(|p| (p.keyword.to_string(), p.value.map(str::to_string)))
        .collect();
    assert_eq!(
        other,
        vec![("X-PRIORITY".to_string(), Some("5".to_string()))]
    );
}

#[test]
fn refused_greeting_accepts_only_quit() {
    let mut h = Harness::new(
        config()
            .greeting(Greeting::Refuse("No SMTP service here".into()))
            .build()
            .unwrap(),
    );
    assert_eq!(h.output(), "554 mx.test No SMTP service here\r\n");
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nGARBAGE\r\n");
    assert_eq!(h.codes(), vec![503, 503, 503]);
    assert!(h.events().is_empty());
    h.send("QUIT\r\n");
    assert_eq!(h.codes(), vec![221]);
    assert_eq!(h.transport(), Transport::Closed);
}

#[test]
fn application_decides_the_greeting() {
    let ask = || config().greeting(Greeting::AskApplication).build().unwrap();

    let mut h = Harness::new(ask());
    assert_eq!(h.output(), "");
    // An early talker waits behind the greeting decision.
    h.send("EHLO c.test\r\n");
    let events = h.events();
    let [ServerEvent::Connected { id }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(h.output(), "");
    h.accept(*id);
    let lines = h.lines();
    assert_eq!(lines[0], "220 mx.test ESMTP mailwire");
    assert_eq!(lines[1], "250-mx.test");

    let mut h = Harness::new(ask());
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Connected { .. }))[0];
    h.reject(id);
    assert_eq!(h.output(), "554 mx.test No SMTP service here\r\n");
    h.send("HELO c.test\r\nQUIT\r\n");
    assert_eq!(h.codes(), vec![503, 221]);

    let mut h = Harness::new(ask());
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Connected { .. }))[0];
    h.reply(id, 421, "mx.test busy, try later");
    assert_eq!(h.output(), "421 mx.test busy, try later\r\n");
    assert_eq!(
        h.events(),
        vec![ServerEvent::Closed {
            reason: CloseReason::Application
        }]
    );
    assert_eq!(h.transport(), Transport::Closed);
}

#[test]
fn rset_and_ehlo_abort_an_accepted_transaction() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    h.accept_all();
    h.send("RSET\r\n");
    assert_eq!(
        h.events(),
        vec![ServerEvent::TransactionAborted {
            reason: AbortReason::Reset
        }]
    );
    h.send("MAIL FROM:<a@b.test>\r\n");
    h.accept_all();
    h.send("EHLO again.test\r\n");
    let events = h.events();
    assert_eq!(
        events[0],
        ServerEvent::TransactionAborted {
            reason: AbortReason::Hello
        }
    );
    // After the reset a new MAIL is in sequence again.
    h.send("MAIL FROM:<>\r\n");
    let events = h.accept_all();
    assert!(matches!(
        &events[..],
        [ServerEvent::Mail {
            from: mailwire_smtp::types::ReversePath::Null,
            ..
        }]
    ));
    h.output();
    h.send("RSET\r\nRSET\r\n");
    assert_eq!(h.codes(), vec![250, 250]);
}

#[test]
fn smtputf8_addresses_need_the_parameter() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\n");
    h.output();
    h.events();
    h.send("MAIL FROM:<jörg@bücher.test>\r\n");
    assert_eq!(
        h.output(),
        "553 5.6.7 Non-ASCII address needs the SMTPUTF8 parameter\r\n"
    );
    h.send("MAIL FROM:<jörg@bücher.test> SMTPUTF8\r\n");
    let events = h.accept_all();
    assert!(matches!(&events[..], [ServerEvent::Mail { params, .. }] if params.smtputf8));
    h.send("RCPT TO:<用户@例子.test>\r\n");
    let events = h.accept_all();
    assert!(
        matches!(&events[..], [ServerEvent::Recipient { to, .. }] if to.to_string() == "<用户@例子.test>")
    );
    assert_eq!(h.codes(), vec![250, 250]);

    let mut h = Harness::greeted(config().smtputf8(false).build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<jörg@bücher.test> SMTPUTF8\r\n");
    assert_eq!(h.codes(), vec![250, 553]);
}

#[test]
fn eof_ends_the_session_and_aborts_the_transaction() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
    h.accept_all();
    h.send("Subject: half a message\r\n");
    h.server_eof();
    let events = h.events();
    assert_eq!(
        events[events.len() - 2..],
        [
            ServerEvent::TransactionAborted {
                reason: AbortReason::SessionEnded
            },
            ServerEvent::Closed {
                reason: CloseReason::ClientClosed
            }
        ]
    );
    assert_eq!(h.transport(), Transport::Closed);
}

#[test]
fn eof_after_pipelined_commands_still_answers_them() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nQUIT\r\n");
    h.server_eof();
    // The MAIL decision is owed: the RCPT and QUIT wait, the transport stays open.
    assert_eq!(h.transport(), Transport::Open);
    h.accept_all();
    assert_eq!(h.codes(), vec![250, 250, 250, 221]);
    assert_eq!(h.transport(), Transport::Closed);
}

#[test]
fn decisions_on_unknown_ids_are_refused() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Mail { .. }))[0];
    h.accept(id);
    assert_eq!(
        h.server.accept(id),
        Err(mailwire_smtp::server::ServerError::UnknownId)
    );
    let reply = mailwire_smtp::types::Reply::single(
        mailwire_smtp::types::ReplyCode::START_MAIL_INPUT,
        "go",
    )
    .unwrap();
    h.send("RCPT TO:<c@d.test>\r\n");
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Recipient { .. }))[0];
    assert_eq!(
        h.server.reply(id, reply),
        Err(mailwire_smtp::server::ServerError::IntermediateReply)
    );
    assert_eq!(
        h.server.sasl_challenge(id, b"x"),
        Err(mailwire_smtp::server::ServerError::NotSaslStep)
    );
}

#[test]
fn application_close_drops_owed_decisions() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let id = ids(&h.events(), |e| matches!(e, ServerEvent::Mail { .. }))[0];
    h.output();
    h.server.close(Some(
        mailwire_smtp::types::Reply::single(
            mailwire_smtp::types::ReplyCode::SERVICE_NOT_AVAILABLE,
            "mx.test shutting down",
        )
        .unwrap(),
    ));
    assert_eq!(h.output(), "421 mx.test shutting down\r\n");
    assert_eq!(h.transport(), Transport::Closed);
    assert_eq!(
        h.server.accept(id),
        Err(mailwire_smtp::server::ServerError::Closed)
    );
}
