//! mailwire-imap's `session::Session` (feature `tls`) against the reference server's
//! IMAP listeners: STARTTLS (certificate checked against the server's own self-signed
//! certificate), login, LIST with the special-use roles, APPEND, SEARCH, FETCH as a
//! stream byte for byte, STORE, MOVE, EXPUNGE, and IDLE seeing a message that arrives
//! through the MX listener (sent by mailwire-smtp's Mailer) and the delivery agent
//! meanwhile; then implicit TLS.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::time::Duration;

use frontend::{test_config, TestServer, ALICE, BOB};
use futures_util::StreamExt;
use mailwire_examples::access::AccessRole;
use mailwire_examples::inbound::Role;
use mailwire_imap::session::{
    FetchOptions, MailboxChange, Session, SessionError, SpecialUse, Uids,
};
use mailwire_imap::types::{Flag, SearchKey};
use mailwire_smtp::mailer::{MailEnvelope, Mailer};
use mailwire_smtp::types::Mailbox;

const APPENDED: &[u8] = b"From: Bob <bob@mailwire.test>\r\nTo: Bob <bob@mailwire.test>\r\n\
Subject: a draft\r\nMessage-ID: <draft@mailwire.test>\r\n\r\nkept by APPEND\r\n";

const ARRIVING: &[u8] = b"From: <alice@mailwire.test>\r\nTo: <bob@mailwire.test>\r\n\
Subject: arriving during idle\r\n\r\nHello Bob.\r\n";

fn builder(server: &TestServer, role: AccessRole) -> mailwire_imap::session::SessionBuilder {
    let builder = Session::builder("localhost")
        .address(([127, 0, 0, 1], server.imap_port(role)).into())
        .ca_pem(std::fs::read(server.cert()).unwrap())
        .response_timeout(Duration::from_secs(20));
    match role {
        AccessRole::Imaps => builder.implicit_tls(),
        _ => builder,
    }
}

/// Sends ARRIVING from Alice to Bob through the MX listener.
async fn send_through_mx(server: &TestServer) {
    let mailer = Mailer::builder("localhost")
        .address(server.address(Role::Mx))
        .insecure_plaintext_loopback_only()
        .build()
        .unwrap();
    let envelope = MailEnvelope::new(Mailbox::parse(ALICE.0).unwrap().into_owned())
        .to(Mailbox::parse(BOB.0).unwrap().into_owned());
    mailer.send_raw(envelope, ARRIVING.to_vec()).await.unwrap();
    mailer.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_imap_session_against_the_reference_server() {
    let server = TestServer::start("imap-session", test_config()).await;
    tokio::time::timeout(Duration::from_secs(90), scenario(&server))
        .await
        .expect("the session finished in time");
    server.stop().await;
}

async fn scenario(server: &TestServer) {
    let mut session = builder(server, AccessRole::Imap).connect().await.unwrap();
    assert!(session.is_tls(), "STARTTLS was used");
    let refused = session.login(BOB.0, "wrong").await.unwrap_err();
    assert!(
        matches!(refused, SessionError::AuthFailed(_)),
        "{refused:?}"
    );
    session.login(BOB.0, BOB.1).await.unwrap();

    let mailboxes = session.list().await.unwrap();
    for (name, role) in [
        ("Archive", SpecialUse::Archive),
        ("Sent", SpecialUse::Sent),
        ("Drafts", SpecialUse::Drafts),
        ("Trash", SpecialUse::Trash),
        ("Junk", SpecialUse::Junk),
    ] {
        let found = mailboxes.iter().find(|m| m.name == name);
        assert_eq!(found.and_then(|m| m.role), Some(role), "{mailboxes:?}");
    }
    assert!(mailboxes.iter().any(|m| m.name == "INBOX"));

    let inbox = session.select("INBOX").await.unwrap();
    assert_eq!(inbox.exists, 0);
    assert!(inbox.uid_validity.is_some());
    let appended = session.append("INBOX", &[], APPENDED).await.unwrap();
    session.noop().await.unwrap();
    assert_eq!(session.mailbox().unwrap().exists, 1);
    let unseen = session.search(SearchKey::Unseen).await.unwrap();
    assert_eq!(unseen.len(), 1);
    if let Some(uid) = appended {
        assert_eq!(unseen, vec![uid], "APPENDUID names the message");
    }
    let options = FetchOptions::new().envelope().size().body();
    let mut stream = session.fetch(&unseen, options).await.unwrap();
    let message = stream.next().await.unwrap().unwrap();
    assert!(stream.next().await.is_none());
    drop(stream);
    assert_eq!(message.body(), Some(APPENDED));
    assert_eq!(message.size, Some(APPENDED.len() as u64));
    assert_eq!(message.subject().as_deref(), Some("a draft"));
    assert!(!message.is_seen(), "BODY.PEEK[] leaves \\Seen alone");

    session.add_flags(&unseen, &[Flag::Seen]).await.unwrap();
    assert!(session.search(SearchKey::Unseen).await.unwrap().is_empty());
    session.move_to(&unseen, "Drafts").await.unwrap();
    assert_eq!(session.mailbox().unwrap().exists, 0);

    // IDLE sees a message that arrives through the MX listener and the delivery agent.
    let mut idle = session.idle().await.unwrap();
    let sender = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Accepted by the MX listener; the delivery agent stores it later, and the
        // IMAP server (which moves new messages to cur/) reports it to the IDLE.
        send_through_mx(server).await;
    };
    let watcher = async {
        while let Some(change) = idle.next().await {
            if let MailboxChange::Exists(count) = change.unwrap() {
                return count;
            }
        }
        panic!("the idle stream ended");
    };
    let ((), exists) = tokio::join!(sender, watcher);
    assert_eq!(exists, 1);
    idle.done().await.unwrap();
    let arrived = session
        .fetch(Uids::All, FetchOptions::new().envelope())
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(arrived.len(), 1);
    assert_eq!(
        arrived[0].subject().as_deref(),
        Some("arriving during idle")
    );
    session
        .add_flags(Uids::All, &[Flag::Deleted])
        .await
        .unwrap();
    assert_eq!(session.expunge().await.unwrap().len(), 1);
    session.logout().await.unwrap();

    // Implicit TLS: the draft is where MOVE put it.
    let mut session = builder(server, AccessRole::Imaps).connect().await.unwrap();
    session.login(BOB.0, BOB.1).await.unwrap();
    let drafts = session.examine("Drafts").await.unwrap();
    assert_eq!(drafts.exists, 1);
    let moved = session
        .fetch(Uids::All, FetchOptions::new().body())
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(moved[0].body(), Some(APPENDED));
    assert!(moved[0].is_seen());
    session.logout().await.unwrap();
}
