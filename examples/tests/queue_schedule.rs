//! Retries on a virtual clock, failure after the maximum age, and the notifications
//! that follow (or do not, for the null sender).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/backend.rs"]
mod backend;

use std::sync::Arc;
use std::time::Duration;

use backend::{envelope, message, start_time, Script, ScriptedTransport, TempDir};
use mailwire_examples::queue::{
    Clock, ManualClock, Queue, QueueConfig, RecipientState, SeededRandom, Transport,
};

async fn open(dir: &std::path::Path, clock: &ManualClock) -> Queue {
    Queue::open(
        dir,
        QueueConfig {
            hostname: String::from("mx.mailwire.test"),
            ..QueueConfig::default()
        },
        Arc::new(clock.clone()),
        Arc::new(SeededRandom::new(7)),
    )
    .await
    .unwrap()
}

fn next_attempt(queue: &Queue, address: &str) -> Option<std::time::SystemTime> {
    queue
        .list()
        .iter()
        .flat_map(|m| m.recipients.clone())
        .find(|r| r.recipient.address == address)
        .and_then(|r| match r.state {
            RecipientState::Pending { next_attempt } => Some(next_attempt),
            _ => None,
        })
}

#[tokio::test]
async fn deferred_recipients_back_off_then_fail_after_five_days_with_a_notification() {
    let dir = TempDir::new("queue-backoff");
    let clock = ManualClock::new(start_time());
    let queue = open(dir.path(), &clock).await;
    let content = message("slow", "never accepted");
    queue
        .enqueue(
            envelope(Some("alice@example.org"), &["bob@slow.test"], start_time()),
            &content,
        )
        .await
        .unwrap();
    let transport = ScriptedTransport::new(|address| {
        if address == "bob@slow.test" {
            Script::Defer
        } else {
            Script::Deliver
        }
    });
    let transport_dyn = Arc::clone(&transport) as Arc<dyn Transport>;

    // Attempt times, relative to arrival: 0, then waits of 5, 10, 20, 40 minutes, then
    // every hour.
    let mut expected_waits = vec![300u64, 600, 1200, 2400];
    expected_waits.extend(std::iter::repeat_n(3600, 5));
    let mut attempts = 0;
    for wait in expected_waits {
        let summary = queue.process_due(Arc::clone(&transport_dyn)).await;
        assert_eq!(summary.deferred, 1);
        attempts += 1;
        let due = next_attempt(&queue, "bob@slow.test").unwrap();
        assert_eq!(due, clock.now() + Duration::from_secs(wait));
        // Not due a second early.
        clock.advance(Duration::from_secs(wait - 1));
        assert_eq!(
            queue.process_due(Arc::clone(&transport_dyn)).await.messages,
            0
        );
        clock.advance(Duration::from_secs(1));
    }
    assert_eq!(transport.deliveries_to("bob@slow.test"), attempts);

    // Jump to just before the deadline: one attempt at the deadline itself remains.
    clock.set(start_time() + Duration::from_secs(5 * 24 * 3600 - 10));
    let summary = queue.process_due(Arc::clone(&transport_dyn)).await;
    assert_eq!(summary.deferred, 1);
    assert_eq!(
        next_attempt(&queue, "bob@slow.test"),
        Some(start_time() + Duration::from_secs(5 * 24 * 3600))
    );
    clock.advance(Duration::from_secs(10));
    let summary = queue.process_due(Arc::clone(&transport_dyn)).await;
    assert_eq!(summary.failed, 1);
    assert_eq!(summary.notifications, 1);

    // The original is gone; the notification is queued from <> to the sender.
    let queued = queue.list();
    assert_eq!(queued.len(), 1);
    let notice = &queued[0];
    assert_eq!(notice.envelope.reverse_path, None);
    assert_eq!(notice.recipients[0].recipient.address, "alice@example.org");

    // Delivering it hands the report over.
    queue.process_due(Arc::clone(&transport_dyn)).await;
    assert!(queue.is_empty());
    let report = transport
        .calls()
        .into_iter()
        .find(|c| c.recipients == ["alice@example.org"])
        .unwrap();
    assert_eq!(report.reverse_path, None);
    let text = String::from_utf8(report.content).unwrap();
    assert!(text.contains("Action: failed\r\n"));
    assert!(text.contains("Status: 4.2.1\r\n"));
    assert!(text.contains("Diagnostic-Code: smtp; 450 4.2.1 try again later\r\n"));
    assert!(text.contains("delivery time expired"));
    assert!(text.contains("Subject: slow\r\n"));
}

#[tokio::test]
async fn a_permanent_failure_notifies_at_once_but_never_the_null_sender() {
    let dir = TempDir::new("queue-fail");
    let clock = ManualClock::new(start_time());
    let queue = open(dir.path(), &clock).await;
    let transport = ScriptedTransport::new(|address| {
        if address.starts_with("nobody") {
            Script::Fail
        } else {
            Script::Deliver
        }
    });
    let transport_dyn = Arc::clone(&transport) as Arc<dyn Transport>;
    queue
        .enqueue(
            envelope(
                Some("alice@example.org"),
                &["nobody@x.test", "bob@x.test"],
                start_time(),
            ),
            &message("mixed", "one fails"),
        )
        .await
        .unwrap();
    queue
        .enqueue(
            envelope(None, &["nobody@y.test"], start_time()),
            &message("bounce", "a notification that fails"),
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport_dyn)).await;
    assert_eq!(summary.failed, 2);
    assert_eq!(summary.delivered, 1);
    assert_eq!(summary.notifications, 1, "none for the null sender");
    let queued = queue.list();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].recipients[0].recipient.address,
        "alice@example.org"
    );
    // The notification names only the failed recipient.
    queue.process_due(Arc::clone(&transport_dyn)).await;
    let report = transport
        .calls()
        .into_iter()
        .find(|c| c.recipients == ["alice@example.org"])
        .unwrap();
    let text = String::from_utf8(report.content).unwrap();
    assert!(text.contains("Final-Recipient: rfc822; nobody@x.test\r\n"));
    assert!(!text.contains("Final-Recipient: rfc822; bob@x.test"));
    assert!(queue.is_empty());
}

#[tokio::test]
async fn flush_makes_deferred_recipients_due_at_once() {
    let dir = TempDir::new("queue-flush");
    let clock = ManualClock::new(start_time());
    let queue = open(dir.path(), &clock).await;
    let deliver_now = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&deliver_now);
    let transport = ScriptedTransport::new(move |_| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            Script::Deliver
        } else {
            Script::Defer
        }
    });
    let transport_dyn = Arc::clone(&transport) as Arc<dyn Transport>;
    queue
        .enqueue(
            envelope(Some("a@b.test"), &["c@d.test"], start_time()),
            b"Subject: x\r\n\r\ny\r\n",
        )
        .await
        .unwrap();
    assert_eq!(
        queue.process_due(Arc::clone(&transport_dyn)).await.deferred,
        1
    );
    assert_eq!(
        queue.process_due(Arc::clone(&transport_dyn)).await.messages,
        0
    );
    deliver_now.store(true, std::sync::atomic::Ordering::SeqCst);
    queue.flush();
    assert_eq!(
        queue
            .process_due(Arc::clone(&transport_dyn))
            .await
            .delivered,
        1
    );
    assert!(queue.is_empty());

    // A flush asked for by another process (the CLI) through the spool folder.
    deliver_now.store(false, std::sync::atomic::Ordering::SeqCst);
    queue
        .enqueue(
            envelope(Some("a@b.test"), &["e@d.test"], start_time()),
            b"Subject: x\r\n\r\ny\r\n",
        )
        .await
        .unwrap();
    assert_eq!(
        queue.process_due(Arc::clone(&transport_dyn)).await.deferred,
        1
    );
    deliver_now.store(true, std::sync::atomic::Ordering::SeqCst);
    Queue::request_flush(dir.path()).await.unwrap();
    let runner = {
        let queue = queue.clone();
        let transport = Arc::clone(&transport_dyn);
        tokio::spawn(async move {
            queue
                .run(transport, tokio::time::sleep(Duration::from_secs(3600)))
                .await;
        })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !queue.is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "flush request ignored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    runner.abort();
    assert!(!dir.path().join("flush-request").exists());
}
