//! mailwire-pop3's `session::Pop3Session` (feature `tls`) against the reference
//! server's POP3 listeners: two messages arrive through the MX listener (sent by
//! mailwire-smtp's Mailer) and the delivery agent; over STLS (certificate checked against
//! the server's own self-signed one) the session lists them with UIDs that are the
//! Maildir names, retrieves them as streams byte for byte equal to the Maildir files,
//! deletes one and quits; over implicit TLS the other is still there under the same UID
//! and the deleted one is gone from the disk. A wrong password is refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::path::Path;
use std::time::Duration;

use frontend::{test_config, wait_for_messages, TestServer, ALICE, BOB};
use futures_util::StreamExt;
use mailwire_examples::access::AccessRole;
use mailwire_examples::inbound::Role;
use mailwire_pop3::session::{Pop3Session, SessionBuilder};
use mailwire_smtp::mailer::{MailEnvelope, Mailer};
use mailwire_smtp::types::Mailbox;

fn builder(server: &TestServer, role: AccessRole) -> SessionBuilder {
    let builder = Pop3Session::builder("localhost")
        .address(([127, 0, 0, 1], server.imap_port(role)).into())
        .ca_pem(std::fs::read(server.cert()).unwrap())
        .connect_timeout(Duration::from_secs(10))
        .response_timeout(Duration::from_secs(20));
    match role {
        AccessRole::Pop3s => builder.implicit_tls(),
        _ => builder.stls(),
    }
}

/// Sends one message per subject from Alice to Bob through the MX listener.
async fn send_through_mx(server: &TestServer, subjects: &[&str]) {
    let mailer = Mailer::builder("localhost")
        .address(server.address(Role::Mx))
        .insecure_plaintext_loopback_only()
        .build()
        .unwrap();
    for subject in subjects {
        let envelope = MailEnvelope::new(Mailbox::parse(ALICE.0).unwrap().into_owned())
            .to(Mailbox::parse(BOB.0).unwrap().into_owned());
        let message = format!(
            "From: <{}>\r\nTo: <{}>\r\nSubject: {subject}\r\n\r\nHello Bob: {subject}.\r\n..a dot-stuffed line\r\n",
            ALICE.0, BOB.0
        );
        mailer
            .send_raw(envelope, message.into_bytes())
            .await
            .unwrap();
    }
    mailer.close().await;
}

/// Every message file of the Maildir (new/ and cur/) with its file name.
fn maildir_files(maildir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for folder in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(folder)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.unwrap();
            files.push((
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            ));
        }
    }
    files
}

/// The file whose name the UIDL names (the Maildir base name, before the `:2,` info).
fn file_of<'a>(files: &'a [(String, Vec<u8>)], uid: &str) -> &'a (String, Vec<u8>) {
    files
        .iter()
        .find(|(name, _)| name.split(':').next() == Some(uid))
        .unwrap_or_else(|| panic!("no Maildir file is named by UIDL {uid:?}: {files:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_pop3_session_against_the_reference_server() {
    let server = TestServer::start("pop3-session", test_config()).await;
    tokio::time::timeout(Duration::from_secs(90), scenario(&server))
        .await
        .expect("the sessions finished in time");
    server.stop().await;
}

async fn scenario(server: &TestServer) {
    send_through_mx(server, &["first", "second"]).await;
    let maildir = server.maildir(BOB.0);
    wait_for_messages(&maildir, 2).await;

    let mut refused = builder(server, AccessRole::Pop3).connect().await.unwrap();
    assert!(refused.login(BOB.0, "not the password").await.is_err());
    drop(refused);

    let mut session = builder(server, AccessRole::Pop3).connect().await.unwrap();
    session.login(BOB.0, BOB.1).await.unwrap();
    let listed = session.list().await.unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let files = maildir_files(&maildir);
    let mut uids = Vec::new();
    for entry in &listed {
        let uid = entry
            .uid
            .as_ref()
            .expect("UIDL offered")
            .as_str()
            .to_string();
        let (_, bytes) = file_of(&files, &uid);
        assert_eq!(
            entry.size,
            bytes.len() as u64,
            "LIST counts the file's octets"
        );
        let mut stream = session.retrieve(entry.number);
        let mut retrieved = Vec::new();
        while let Some(chunk) = stream.next().await {
            retrieved.extend_from_slice(&chunk.unwrap());
        }
        drop(stream);
        assert_eq!(
            &retrieved, bytes,
            "RETR gives the Maildir file byte for byte"
        );
        uids.push(uid);
    }
    session.delete(listed[0].number).await.unwrap();
    session.quit().await.unwrap();

    let mut session = builder(server, AccessRole::Pop3s).connect().await.unwrap();
    session.login(BOB.0, BOB.1).await.unwrap();
    let left = session.list().await.unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(
        left[0].uid.as_ref().map(|uid| uid.as_str().to_string()),
        Some(uids[1].clone()),
        "the kept message keeps its UIDL"
    );
    session.quit().await.unwrap();

    let files = maildir_files(&maildir);
    assert_eq!(files.len(), 1, "the deleted message is gone: {files:?}");
    assert_eq!(files[0].0.split(':').next(), Some(uids[1].as_str()));
}
