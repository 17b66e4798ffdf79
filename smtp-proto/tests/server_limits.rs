//! Limits (RFC 5321 §4.5.3.1, RFC 1870) and timeouts (RFC 5321 §4.5.3.2) on a virtual
//! clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use std::time::Duration;

use harness::{body, config, ids, Harness};
use mailwire_core::{Session, Transport};
use mailwire_smtp::server::{AbortReason, CloseReason, ServerEvent};

const MINUTE: Duration = Duration::from_secs(60);

fn is_rcpt(event: &ServerEvent) -> bool {
    matches!(event, ServerEvent::Recipient { .. })
}

#[test]
fn over_long_lines_get_500_and_the_session_resyncs() {
    let mut h = Harness::greeted(config().max_line_length(64).build().unwrap());
    let long = format!("MAIL FROM:<{}@b.test>\r\n", "a".repeat(10_000));
    h.send(format!("EHLO c.test\r\n{long}NOOP\r\n"));
    let lines = h.lines();
    assert_eq!(
        lines[lines.len() - 2..],
        ["500 5.5.2 Line too long", "250 2.0.0 OK"]
    );
    // Arriving in pieces, the over-long line is dropped as it comes.
    for piece in long.as_bytes().chunks(100) {
        h.send(piece);
    }
    h.send("NOOP\r\n");
    assert_eq!(h.codes(), vec![500, 250]);
    assert!(!h
        .events()
        .iter()
        .any(|e| matches!(e, ServerEvent::Mail { .. })));
}

#[test]
fn recipient_limit_answers_452_and_waits_for_undecided_recipients() {
    let mut h = Harness::greeted(config().max_recipients(2).build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    h.accept_all();
    h.output();
    h.send("RCPT TO:<r1@d.test>\r\nRCPT TO:<r2@d.test>\r\nRCPT TO:<r3@d.test>\r\nRCPT TO:<r4@d.test>\r\n");
    // r3 may fit if r1 or r2 is refused: it waits.
    let rcpts = ids(&h.events(), is_rcpt);
    assert_eq!(rcpts.len(), 2);
    h.reject(rcpts[0]);
    let more = ids(&h.events(), is_rcpt);
    assert_eq!(more.len(), 1, "r3 now fits");
    h.accept(rcpts[1]);
    h.accept(more[0]);
    assert_eq!(
        h.output(),
        "550 5.1.1 Recipient rejected\r\n250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n\
         452 4.5.3 Too many recipients\r\n"
    );
    // 452 is not an error of the client: the limit does not count towards closing.
    assert_eq!(h.transport(), Transport::Open);
}

#[test]
fn declared_size_over_the_limit_is_refused_at_mail() {
    let mut h = Harness::greeted(config().max_message_size(Some(1000)).build().unwrap());
    h.send("EHLO c.test\r\n");
    assert!(h.lines().contains(&"250-SIZE 1000".to_string()));
    h.send("MAIL FROM:<a@b.test> SIZE=1001\r\n");
    assert_eq!(
        h.output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
    );
    h.send("MAIL FROM:<a@b.test> SIZE=1000\r\n");
    assert!(
        matches!(h.events().last(), Some(ServerEvent::Mail { params, .. }) if params.size == Some(1000))
    );
}

#[test]
fn data_over_the_limit_is_cut_and_refused_after_its_end() {
    let mut h = Harness::greeted(config().max_message_size(Some(100)).build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\n");
    h.accept_all();
    h.output();
    let line = format!("{}\r\n", "x".repeat(38));
    for _ in 0..10 {
        h.send(&line);
        // Never more than the limit is passed on, and no reply before the end.
        assert_eq!(h.output(), "");
    }
    h.send(".\r\nNOOP\r\n");
    let events = h.events();
    assert_eq!(body(&events).len(), 100);
    assert_eq!(body(&events), line.repeat(3).as_bytes()[..100]);
    assert!(events.contains(&ServerEvent::TransactionAborted {
        reason: AbortReason::TooLarge
    }));
    assert!(!events
        .iter()
        .any(|e| matches!(e, ServerEvent::MessageEnd { .. })));
    assert_eq!(
        h.output(),
        "552 5.3.4 Message size exceeds fixed maximum message size\r\n250 2.0.0 OK\r\n"
    );
    // A message exactly at the limit passes.
    h.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\n");
    h.accept_all();
    h.send(format!("{}\r\n.\r\n", "y".repeat(98)));
    assert!(matches!(
        h.events().last(),
        Some(ServerEvent::MessageEnd { size: 100, .. })
    ));
}

#[test]
fn too_many_errors_close_with_421() {
    let mut h = Harness::greeted(config().max_errors(3).build().unwrap());
    h.send("BOGUS\r\nMAIL FROM:<a@b.test>\r\n");
    assert_eq!(h.codes(), vec![500, 503]);
    assert_eq!(h.transport(), Transport::Open);
    h.send("RCPT TO:<x@d.test>\r\nNOOP\r\n");
    assert_eq!(h.output(), "421 4.7.0 mx.test too many errors\r\n");
    assert_eq!(
        h.events(),
        vec![ServerEvent::Closed {
            reason: CloseReason::TooManyErrors
        }]
    );
    assert_eq!(h.transport(), Transport::Closed);
}

#[test]
fn too_much_input_while_waiting_for_the_application_closes() {
    let mut h = Harness::greeted(config().max_pending_input(200).build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let mail = ids(&h.events(), |e| matches!(e, ServerEvent::Mail { .. }))[0];
    h.output();
    for _ in 0..5 {
        h.send("RCPT TO:<someone@d.test>\r\n");
    }
    assert_eq!(h.transport(), Transport::Open);
    for _ in 0..5 {
        h.send("RCPT TO:<someone@d.test>\r\n");
    }
    // The 421 queues behind the owed MAIL decision.
    assert_eq!(h.output(), "");
    assert!(h.events().contains(&ServerEvent::Closed {
        reason: CloseReason::TooMuchPendingInput
    }));
    h.accept(mail);
    assert_eq!(
        h.output(),
        "250 2.1.0 Sender OK\r\n421 4.7.0 mx.test too much pipelined input\r\n"
    );
    assert_eq!(h.transport(), Transport::Closed);
}

#[test]
fn input_held_for_the_application_stops_reading_at_half_the_limit() {
    let mut h = Harness::greeted(config().max_pending_input(200).build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let mail = ids(&h.events(), |e| matches!(e, ServerEvent::Mail { .. }))[0];
    h.output();
    assert!(h.server.wants_input());
    let rcpt = "RCPT TO:<someone@d.test>\r\n";
    for _ in 0..3 {
        h.send(rcpt);
    }
    // 78 octets wait for the sender's decision: under half the limit.
    assert!(h.server.wants_input());
    h.send(rcpt);
    // 104 octets: a transport should stop reading now; the session stays open.
    assert!(!h.server.wants_input());
    assert_eq!(h.transport(), Transport::Open);
    assert_eq!(h.output(), "");
    // The decision lets the held recipients be served: reading may resume.
    h.accept(mail);
    assert!(h.server.wants_input());
    let recipients = ids(&h.events(), is_rcpt);
    assert_eq!(recipients.len(), 4);
    // A transport that ignores it still meets the limit itself: 421. (NOOP waits for
    // the owed recipient decisions, and so does everything after it.)
    h.send("NOOP\r\n");
    for _ in 0..8 {
        h.send(rcpt);
    }
    assert!(h.events().contains(&ServerEvent::Closed {
        reason: CloseReason::TooMuchPendingInput
    }));
    for id in recipients {
        h.accept(id);
    }
    assert!(h
        .output()
        .ends_with("421 4.7.0 mx.test too much pipelined input\r\n"));
    assert_eq!(h.transport(), Transport::Closed);
}

#[cfg(feature = "tokio")]
mod driven {
    use super::config;
    use mailwire_core::{Session, Transport};
    use mailwire_smtp::server::{ServerEvent, ServerSession};
    use mailwire_smtp::tokio::{Driver, Next};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A client pipelines far more than the limit while the application keeps the
    /// sender's decision: the driver stops reading at half the limit (the rest stays in
    /// the pipe) instead of the machine closing with 421, and everything is served once
    /// the application decides.
    #[tokio::test]
    async fn the_driver_stops_reading_instead_of_the_machine_closing() {
        let config = config().max_pending_input(200).build().unwrap();
        let now = tokio::time::Instant::now().into_std();
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let mut driver = Driver::with_buffer_size(ours, ServerSession::new(config, now), 16);
        let recipients = 30;
        let mut pipelined = String::from("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
        for _ in 0..recipients {
            pipelined.push_str("RCPT TO:<someone@d.test>\r\n");
        }
        theirs.write_all(pipelined.as_bytes()).await.unwrap();
        let mail = loop {
            match driver.next_event().await.unwrap() {
                Next::Event(ServerEvent::Mail { id, .. }) => break id,
                Next::Event(_) => {}
                other => panic!("{other:?}"),
            }
        };
        // The application waits for an event while it owes the decision: the driver
        // reads until the machine wants no more, then has nothing left to wait for.
        let error = driver.next_event().await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::Other);
        assert!(!driver.machine().wants_input());
        assert_eq!(driver.machine().transport(), Transport::Open);
        driver.machine_mut().accept(mail).unwrap();
        let mut served = 0;
        while served < recipients {
            match driver.next_event().await.unwrap() {
                Next::Event(ServerEvent::Recipient { id, .. }) => {
                    driver.machine_mut().accept(id).unwrap();
                    served += 1;
                }
                Next::Event(ServerEvent::Closed { reason }) => panic!("closed: {reason:?}"),
                Next::Event(_) => {}
                other => panic!("{other:?}"),
            }
        }
        theirs.write_all(b"QUIT\r\n").await.unwrap();
        while driver.next_event().await.unwrap() != Next::Closed {}
        drop(driver);
        let mut answer = String::new();
        theirs.read_to_string(&mut answer).await.unwrap();
        assert!(!answer.contains("421"), "{answer}");
        assert!(answer.contains("250 2.1.0 Sender OK\r\n"), "{answer}");
        assert_eq!(
            answer.matches("250 2.1.5 Recipient OK\r\n").count(),
            recipients
        );
        assert!(answer.ends_with("221 2.0.0 mx.test closing connection\r\n"));
    }
}

#[test]
fn idle_client_times_out_after_five_minutes() {
    let mut h = Harness::greeted(config().build().unwrap());
    assert_eq!(h.server.poll_timeout(), Some(h.now + 5 * MINUTE));
    h.advance(4 * MINUTE);
    h.send("EHLO c.test\r\n");
    h.output();
    // Input restarts the wait.
    assert_eq!(h.server.poll_timeout(), Some(h.now + 5 * MINUTE));
    h.advance(5 * MINUTE - Duration::from_secs(1));
    assert_eq!(h.output(), "");
    h.advance(Duration::from_secs(1));
    assert_eq!(h.output(), "421 4.4.2 mx.test timeout exceeded\r\n");
    let events = h.events();
    assert!(events.contains(&ServerEvent::Closed {
        reason: CloseReason::Timeout
    }));
    assert_eq!(h.transport(), Transport::Closed);
    assert_eq!(h.server.poll_timeout(), None);
}

#[test]
fn data_wait_is_three_minutes_and_aborts_the_transaction() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\n");
    h.accept_all();
    h.output();
    h.send("Subject: slow\r\n");
    assert_eq!(h.server.poll_timeout(), Some(h.now + 3 * MINUTE));
    h.advance(3 * MINUTE);
    assert_eq!(h.output(), "421 4.4.2 mx.test timeout exceeded\r\n");
    let events = h.events();
    assert!(events.contains(&ServerEvent::TransactionAborted {
        reason: AbortReason::SessionEnded
    }));
}

#[test]
fn no_timer_runs_while_the_application_decides() {
    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\n");
    let mail = ids(&h.events(), |e| matches!(e, ServerEvent::Mail { .. }))[0];
    assert_eq!(h.server.poll_timeout(), None);
    h.advance(60 * MINUTE);
    assert_eq!(h.transport(), Transport::Open);
    h.output();
    // The client's wait starts when the decision is made, not when MAIL arrived.
    h.accept(mail);
    assert_eq!(h.server.poll_timeout(), Some(h.now + 5 * MINUTE));
    h.advance(5 * MINUTE - Duration::from_secs(1));
    assert_eq!(h.output(), "250 2.1.0 Sender OK\r\n");
    h.advance(Duration::from_secs(1));
    assert_eq!(h.codes(), vec![421]);
}

#[test]
fn timeouts_are_configurable() {
    let mut h = Harness::greeted(
        config()
            .command_timeout(Duration::from_secs(10))
            .data_timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
    );
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + Duration::from_secs(10))
    );
    h.send("EHLO c.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@d.test>\r\nDATA\r\n");
    h.accept_all();
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + Duration::from_secs(20))
    );
    // A spurious early wake-up changes nothing.
    h.server.handle_timeout(h.now + Duration::from_secs(5));
    assert!(!h.output().contains("421"));
    assert_eq!(h.transport(), Transport::Open);
}

#[test]
fn the_pending_input_limit_counts_only_input_held_for_the_application() {
    let mut h = Harness::greeted(config().max_pending_input(100).build().unwrap());
    h.send("EHLO c.test\r\n");
    h.output();
    // A long partial line while nothing is owed is bounded by the line limit alone.
    let long = format!("NOOP {}", "x".repeat(500));
    h.send(&long);
    assert_eq!(h.transport(), Transport::Open);
    h.send("\r\n");
    assert_eq!(h.output(), "250 2.0.0 OK\r\n");
}
