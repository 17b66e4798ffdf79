//! The embeddable test server against our own client, mailwire-smtp's `Mailer`
//! (STARTTLS or implicit TLS trusting the test CA, AUTH, PIPELINING, BDAT): what a
//! harness author tests with it, namely how a client copes with each fault.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use mailwire_examples::harness::{FaultRule, Role, SmtpCommand, TestServer};
use mailwire_smtp::mailer::{Authentication, MailEnvelope, Mailer, MailerError, TimeoutStage};
use mailwire_smtp::types::Mailbox;

const ALICE: (&str, &str) = ("alice@mailwire.test", "alice's password");
const BOB: &str = "bob@mailwire.test";
const MESSAGE: &[u8] = b"From: <alice@mailwire.test>\r\nTo: <bob@mailwire.test>\r\n\
                         Subject: from the mailer\r\n\r\nHello Bob.\r\n.leading dot\r\n";

async fn server_with(rules: Vec<FaultRule>) -> TestServer {
    let mut builder = TestServer::builder()
        .user(ALICE.0, ALICE.1)
        .user(BOB, "bob pw");
    for rule in rules {
        builder = builder.fault(rule);
    }
    builder.start().await.unwrap()
}

fn mailer(server: &TestServer, implicit_tls: bool) -> Mailer {
    let builder = Mailer::builder("localhost")
        .ca_pem(server.ca_pem())
        .authentication(Authentication::password(ALICE.0, ALICE.1))
        .reply_timeout(Duration::from_secs(10))
        // One connection per send, so each test's faults meet a fresh session.
        .max_idle(0);
    if implicit_tls {
        builder
            .implicit_tls()
            .address(server.submissions_address())
            .build()
            .unwrap()
    } else {
        builder
            .address(server.submission_address())
            .build()
            .unwrap()
    }
}

fn envelope(recipients: &[&str]) -> MailEnvelope {
    let mut envelope = MailEnvelope::new(Mailbox::parse(ALICE.0).unwrap().into_owned());
    for recipient in recipients {
        envelope = envelope.to(Mailbox::parse(recipient).unwrap().into_owned());
    }
    envelope
}

#[tokio::test]
async fn the_mailer_sends_over_both_tls_ports_and_bdat_content_is_recorded_as_sent() {
    let server = server_with(vec![]).await;
    for implicit_tls in [false, true] {
        let mailer = mailer(&server, implicit_tls);
        let delivery = mailer
            .send_raw(envelope(&[BOB, "far@example.net"]), MESSAGE)
            .await
            .unwrap();
        assert_eq!(delivery.accepted().count(), 2);
        mailer.close().await;
    }
    let received = server
        .wait_for_messages(2, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(
        received.iter().map(|m| m.role).collect::<Vec<_>>(),
        [Role::Submission, Role::Submissions]
    );
    for message in &received {
        assert!(message.tls);
        assert_eq!(message.authenticated.as_deref(), Some(ALICE.0));
        assert_eq!(message.rcpt_to, [BOB, "far@example.net"]);
        // The mailer uses BDAT here (CHUNKING is offered): no dot-stuffing at all.
        assert_eq!(&message.data[..], MESSAGE);
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_mailer_reports_each_fault() {
    let server = server_with(vec![]).await;

    // A refused greeting.
    server.add_fault(FaultRule::reply(SmtpCommand::Connect, 554, "5.3.2 Not now").unwrap());
    let error = mailer(&server, false)
        .send_raw(envelope(&[BOB]), MESSAGE)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, MailerError::GreetingRefused(reply) if reply.code().get() == 554),
        "{error:?}"
    );

    // AUTH answered 454.
    server.clear_faults();
    server.add_fault(FaultRule::reply(SmtpCommand::Auth, 454, "4.7.0 Try later").unwrap());
    let error = mailer(&server, false)
        .send_raw(envelope(&[BOB]), MESSAGE)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, MailerError::AuthFailed(reply) if reply.code().get() == 454),
        "{error:?}"
    );

    // MAIL answered 451: nothing taken, the report carries the reply.
    server.clear_faults();
    server.add_fault(FaultRule::reply(SmtpCommand::Mail, 451, "4.3.0 Busy").unwrap());
    let error = mailer(&server, false)
        .send_raw(envelope(&[BOB]), MESSAGE)
        .await
        .unwrap_err();
    let MailerError::Refused(delivery) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(delivery.reply().map(|r| r.code().get()), Some(451));
    assert!(delivery.failure().is_some_and(|(_, temporary)| temporary));

    // One recipient refused: the message goes to the other.
    server.clear_faults();
    server.add_fault(
        FaultRule::reply(SmtpCommand::Rcpt, 550, "5.1.1 No such user")
            .unwrap()
            .matching("gone@example.com"),
    );
    let delivery = mailer(&server, false)
        .send_raw(envelope(&["gone@example.com", BOB]), MESSAGE)
        .await
        .unwrap();
    let rejected: Vec<_> = delivery
        .rejected()
        .map(|r| r.outcome.code().map(|c| c.get()))
        .collect();
    assert_eq!(rejected, [Some(550)]);
    assert_eq!(delivery.accepted().count(), 1);

    // 421 after the content: the mailer hears the closing, the server took nothing.
    server.clear_faults();
    let before = server.received().len();
    server.add_fault(FaultRule::reply(SmtpCommand::DataEnd, 421, "4.3.2 Bye").unwrap());
    let error = mailer(&server, false)
        .send_raw(envelope(&[BOB]), MESSAGE)
        .await
        .unwrap_err();
    let code = match &error {
        MailerError::ServiceClosing(reply) => reply.code().get(),
        MailerError::Refused(delivery) => delivery.reply().map_or(0, |r| r.code().get()),
        other => panic!("{other:?}"),
    };
    assert_eq!(code, 421);
    assert_eq!(server.received().len(), before);

    // The connection dropped at the end of the content.
    server.clear_faults();
    server.add_fault(FaultRule::disconnect(SmtpCommand::DataEnd));
    let error = mailer(&server, false)
        .send_raw(envelope(&[BOB]), MESSAGE)
        .await
        .unwrap_err();
    assert!(
        matches!(error, MailerError::ConnectionLost | MailerError::Io(_)),
        "{error:?}"
    );
    assert_eq!(server.received().len(), before);
    server.shutdown().await;
}

#[tokio::test]
async fn a_delay_longer_than_the_clients_reply_limit_times_it_out() {
    let server = server_with(vec![FaultRule::delay(
        SmtpCommand::DataEnd,
        Duration::from_secs(3),
    )])
    .await;
    let impatient = Mailer::builder("localhost")
        .address(server.submission_address())
        .ca_pem(server.ca_pem())
        .authentication(Authentication::password(ALICE.0, ALICE.1))
        .reply_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let error = impatient
        .send_raw(envelope(&[BOB]), MESSAGE)
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert!(
        matches!(error, MailerError::TimedOut(TimeoutStage::Reply(_))),
        "{error:?}"
    );
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // The server still takes the message once its delay is over (the client gave up,
    // which is the duplicate risk RFC 5321 §6.1 accepts).
    let received = server
        .wait_for_messages(1, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(&received[0].data[..], MESSAGE);
    server.shutdown().await;
}
