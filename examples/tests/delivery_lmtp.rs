//! The queue hands messages over LMTP to the delivery agent, which writes them into
//! Maildirs; per-recipient results flow back (a full mailbox fails only that
//! recipient, an unknown user is refused at RCPT).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/backend.rs"]
mod backend;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use backend::{envelope, message, TempDir};
use mailwire_examples::delivery::{start_agent, DeliveryConfig, LmtpTransport, StaticMailboxes};
use mailwire_examples::queue::{
    OsSeededRandom, Queue, QueueConfig, RecipientState, SystemClock, Transport,
};

fn maildir_files(data: &Path, mailbox: &str, sub: &str) -> Vec<PathBuf> {
    let dir = data.join("mail").join(mailbox).join("Maildir").join(sub);
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

async fn run_case(listen: &str) {
    let data = TempDir::new("delivery");
    let mut quotas = BTreeMap::new();
    quotas.insert(String::from("full@local.test"), 100);
    let config = DeliveryConfig {
        lmtp_listen: listen.to_string(),
        quotas,
        ..DeliveryConfig::default()
    };
    let clock = Arc::new(SystemClock);
    let random = Arc::new(OsSeededRandom::default());
    let mailboxes = Arc::new(StaticMailboxes::new([
        "alice@local.test",
        "Carol@Local.Test",
        "full@local.test",
    ]));
    let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let (target, agent) = start_agent(
        &config,
        data.path(),
        "mx.local.test",
        mailboxes,
        clock.clone(),
        random.clone(),
        async move {
            let _ = shutdown_rx.await;
        },
    )
    .await
    .unwrap();

    let queue = Queue::open(
        data.path().join("queue"),
        QueueConfig {
            hostname: String::from("mx.local.test"),
            ..QueueConfig::default()
        },
        clock.clone(),
        random,
    )
    .await
    .unwrap();
    let transport: Arc<dyn Transport> =
        Arc::new(LmtpTransport::new(target, "mx.local.test", clock).unwrap());
    let content = message("lmtp", "Dear all,\r\n.\r\n..dots stay\r\nbye");
    let id = queue
        .enqueue(
            envelope(
                Some("sender@remote.test"),
                &[
                    "alice@local.test",
                    "full@local.test",
                    "nobody@local.test",
                    "carol@local.test",
                ],
                std::time::SystemTime::now(),
            ),
            &content,
        )
        .await
        .unwrap();
    let summary = queue.process_due(Arc::clone(&transport)).await;
    assert_eq!(summary.delivered, 2, "{summary:?}");
    assert_eq!(summary.deferred, 1, "{summary:?}");
    assert_eq!(summary.failed, 1, "{summary:?}");
    assert_eq!(summary.notifications, 1);

    // alice and carol got byte-identical copies with the two fields prepended.
    for (mailbox, address) in [
        ("alice@local.test", "alice@local.test"),
        ("carol@local.test", "carol@local.test"),
    ] {
        let files = maildir_files(data.path(), mailbox, "new");
        assert_eq!(files.len(), 1, "{mailbox}");
        let stored = std::fs::read(&files[0]).unwrap();
        let mut expected =
            format!("Return-Path: <sender@remote.test>\r\nDelivered-To: {address}\r\n")
                .into_bytes();
        expected.extend_from_slice(&content);
        assert_eq!(stored, expected, "{mailbox}");
        assert!(maildir_files(data.path(), mailbox, "tmp").is_empty());
        assert!(data
            .path()
            .join("mail")
            .join(mailbox)
            .join("Maildir/cur")
            .is_dir());
    }
    assert!(maildir_files(data.path(), "full@local.test", "new").is_empty());
    assert!(maildir_files(data.path(), "nobody@local.test", "new").is_empty());

    // The states: full is deferred with 452 4.2.2, nobody failed with 550 5.1.1.
    let record = queue.list().into_iter().find(|r| r.id == id).unwrap();
    let by_address = |a: &str| {
        record
            .recipients
            .iter()
            .find(|r| r.recipient.address == a)
            .unwrap()
            .clone()
    };
    let full = by_address("full@local.test");
    assert!(matches!(full.state, RecipientState::Pending { .. }));
    let last = full.last.unwrap();
    assert_eq!(last.reply_code, Some(452));
    assert_eq!(last.status, "4.2.2");
    let nobody = by_address("nobody@local.test");
    assert_eq!(nobody.state, RecipientState::Failed);
    assert_eq!(nobody.last.unwrap().reply_code, Some(550));
    assert_eq!(
        by_address("alice@local.test").state,
        RecipientState::Delivered
    );

    // The notification (for nobody) goes back out through the same transport: the
    // sender is not local, so the agent refuses it and it fails without another
    // notification (its sender is <>).
    queue.process_due(Arc::clone(&transport)).await;
    assert!(queue
        .list()
        .iter()
        .all(|r| r.envelope.reverse_path.is_some()));

    let _ = shutdown_tx.send(());
    agent.await.unwrap();
}

#[tokio::test]
async fn lmtp_over_tcp_into_maildirs_with_per_recipient_results() {
    run_case("127.0.0.1:0").await;
}

#[tokio::test]
async fn lmtp_over_a_unix_socket() {
    run_case("unix:lmtp.sock").await;
}
