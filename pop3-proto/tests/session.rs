//! `session::Pop3Session` (feature `tls`) against our POP3 server machine run in the
//! test over TCP on 127.0.0.1: STLS and implicit TLS with certificate checking, login
//! by USER/PASS or AUTH PLAIN, list with UIDs, retrieval as a Stream (whole, dropped
//! half-way, of a missing message), delete and quit, refusals. Bounded by timeouts.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
#[path = "common/net.rs"]
mod net;

use std::time::Duration;

use common::{sample_message, Store};
use futures_util::StreamExt;
use mailwire_pop3::server::{CleartextLogin, ServerConfig};
use mailwire_pop3::session::{MailboxError, Pop3Session, SessionBuilder};
use mailwire_pop3::types::{Capability, Mechanism, MessageNumber};

async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), future)
        .await
        .expect("the test took too long")
}

fn number(n: u32) -> MessageNumber {
    MessageNumber::new(n).unwrap()
}

/// A message large enough to arrive in many chunks.
fn large_message() -> Vec<u8> {
    let mut message = b"From: carol@example.test\r\nSubject: large\r\n\r\n".to_vec();
    for line in 0..20_000 {
        message.extend_from_slice(format!(".line {line} of the large message\r\n").as_bytes());
    }
    message
}

fn builder(port: u16, cert_pem: &str) -> SessionBuilder {
    Pop3Session::builder("localhost")
        .port(port)
        .ca_pem(cert_pem.as_bytes().to_vec())
        .connect_timeout(Duration::from_secs(10))
        .response_timeout(Duration::from_secs(10))
}

async fn collect(session: &mut Pop3Session, message: MessageNumber) -> (Vec<u8>, usize) {
    let mut octets = Vec::new();
    let mut chunks = 0;
    let mut stream = session.retrieve(message);
    while let Some(chunk) = stream.next().await {
        octets.extend_from_slice(&chunk.unwrap());
        chunks += 1;
    }
    (octets, chunks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stls_list_retrieve_delete_quit() {
    let dir = net::TempDir::new("session-stls");
    let tls = net::test_tls(&dir.0);
    let messages = vec![
        sample_message("first"),
        large_message(),
        sample_message("third"),
    ];
    let store = Store::with_user("bob", "pw", messages.clone());
    let port = net::spawn_server(
        ServerConfig::default(),
        store.clone(),
        Some(tls.acceptor.clone()),
        false,
    )
    .await;
    bounded(async {
        let mut session = builder(port, &tls.cert_pem).connect().await.unwrap();
        assert!(session.greeting().is_ok());
        // Learned again after STLS: USER is offered only under TLS by this server.
        assert!(session.capabilities().contains(&Capability::User));
        assert!(!session.capabilities().contains(&Capability::Stls));
        session.login("bob", "pw").await.unwrap();

        let listed = session.list().await.unwrap();
        assert_eq!(listed.len(), 3);
        for (index, entry) in listed.iter().enumerate() {
            assert_eq!(entry.number.get(), index as u32 + 1);
            assert_eq!(entry.size, messages[index].len() as u64);
            assert_eq!(
                entry.uid.as_ref().map(|u| u.as_str().to_string()),
                Some(format!("uid-{}", index + 1))
            );
        }
        assert_eq!(
            session.stat().await.unwrap(),
            (3, messages.iter().map(|m| m.len() as u64).sum())
        );

        let (octets, chunks) = collect(&mut session, number(2)).await;
        assert_eq!(octets, messages[1], "dot-unstuffed, byte for byte");
        assert!(chunks > 1, "streamed in pieces, not accumulated");
        let (octets, _) = collect(&mut session, number(1)).await;
        assert_eq!(octets, messages[0]);
        assert_eq!(
            session.retrieve_to_vec(number(3)).await.unwrap(),
            messages[2]
        );

        session.delete(number(2)).await.unwrap();
        session.quit().await.unwrap();
    })
    .await;
    let left: Vec<String> = store.lock().unwrap().users["bob"]
        .1
        .iter()
        .map(|m| m.unique_id.clone())
        .collect();
    assert_eq!(left, ["uid-1", "uid-3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_session() {
    let dir = net::TempDir::new("session-implicit");
    let tls = net::test_tls(&dir.0);
    let messages = vec![sample_message("only")];
    let store = Store::with_user("bob", "pw", messages.clone());
    let port = net::spawn_server(
        ServerConfig::default(),
        store.clone(),
        Some(tls.acceptor.clone()),
        true,
    )
    .await;
    bounded(async {
        let mut session = builder(port, &tls.cert_pem)
            .implicit_tls()
            .connect()
            .await
            .unwrap();
        session.login("bob", "pw").await.unwrap();
        let listed = session.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        let (octets, _) = collect(&mut session, listed[0].number).await;
        assert_eq!(octets, messages[0]);
        session.quit().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_retrieval_and_a_missing_message_leave_the_session_usable() {
    let dir = net::TempDir::new("session-drop");
    let tls = net::test_tls(&dir.0);
    let messages = vec![large_message(), sample_message("second")];
    let store = Store::with_user("bob", "pw", messages.clone());
    let port = net::spawn_server(
        ServerConfig::default(),
        store.clone(),
        Some(tls.acceptor.clone()),
        false,
    )
    .await;
    bounded(async {
        let mut session = builder(port, &tls.cert_pem).connect().await.unwrap();
        session.login("bob", "pw").await.unwrap();
        {
            let mut stream = session.retrieve(number(1));
            let first = stream.next().await.unwrap().unwrap();
            assert!(!first.is_empty());
            assert!(messages[0].starts_with(&first));
            // dropped here, in the middle of the message
        }
        let (octets, _) = collect(&mut session, number(2)).await;
        assert_eq!(octets, messages[1]);

        let mut missing = session.retrieve(number(99));
        let error = missing.next().await.unwrap().unwrap_err();
        assert!(matches!(error, MailboxError::Refused(ref line) if !line.is_ok()));
        assert!(missing.next().await.is_none(), "the error ends the stream");
        drop(missing);
        assert_eq!(session.list().await.unwrap().len(), 2);
        session.quit().await.unwrap();
    })
    .await;
    assert_eq!(store.lock().unwrap().users["bob"].1.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stls_offered_means_no_login() {
    let dir = net::TempDir::new("session-nostls");
    let tls = net::test_tls(&dir.0);
    let store = Store::with_user("bob", "pw", vec![sample_message("x")]);
    let config = ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        ..ServerConfig::default()
    };
    let port = net::spawn_server(config, store, None, false).await;
    let error = bounded(builder(port, &tls.cert_pem).connect())
        .await
        .unwrap_err();
    assert!(matches!(error, MailboxError::StlsNotOffered), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_a_foreign_certificate() {
    let dir = net::TempDir::new("session-refusals");
    let tls = net::test_tls(&dir.0);
    let other = net::test_tls(&dir.0);
    let store = Store::with_user("bob", "pw", vec![sample_message("x")]);
    let port = net::spawn_server(
        ServerConfig::default(),
        store,
        Some(tls.acceptor.clone()),
        false,
    )
    .await;
    bounded(async {
        let mut session = builder(port, &tls.cert_pem).connect().await.unwrap();
        let error = session.login("bob", "wrong").await.unwrap_err();
        assert!(matches!(error, MailboxError::Refused(_)), "{error:?}");

        let error = builder(port, &other.cert_pem).connect().await.unwrap_err();
        assert!(matches!(error, MailboxError::Tls(_)), "{error:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_plain_when_user_is_not_offered() {
    let dir = net::TempDir::new("session-sasl");
    let tls = net::test_tls(&dir.0);
    let messages = vec![sample_message("sasl")];
    let store = Store::with_user("bob", "pw", messages.clone());
    let config = ServerConfig {
        user_pass: false,
        sasl_mechanisms: vec![Mechanism::plain()],
        ..ServerConfig::default()
    };
    let port = net::spawn_server(config, store, Some(tls.acceptor.clone()), true).await;
    bounded(async {
        let mut session = builder(port, &tls.cert_pem)
            .implicit_tls()
            .connect()
            .await
            .unwrap();
        assert!(!session.capabilities().contains(&Capability::User));
        session.login("bob", "pw").await.unwrap();
        assert_eq!(
            session.retrieve_to_vec(number(1)).await.unwrap(),
            messages[0]
        );
        session.quit().await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_only_with_the_loopback_opt_in() {
    let dir = net::TempDir::new("session-plain");
    let tls = net::test_tls(&dir.0);
    let messages = vec![sample_message("plain")];
    let store = Store::with_user("bob", "pw", messages.clone());
    let config = ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        ..ServerConfig::default()
    };
    let port = net::spawn_server(config, store, None, false).await;
    bounded(async {
        let mut session = Pop3Session::builder("127.0.0.1")
            .port(port)
            .ca_pem(tls.cert_pem.as_bytes().to_vec())
            .insecure_plaintext_loopback_only()
            .connect()
            .await
            .unwrap();
        session.login("bob", "pw").await.unwrap();
        assert_eq!(session.list().await.unwrap().len(), 1);
        session.quit().await.unwrap();
    })
    .await;
}

/// The README's example, the same code with the test server's port and certificate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_example_against_a_server() {
    let dir = net::TempDir::new("session-readme");
    let tls = net::test_tls(&dir.0);
    let messages = vec![sample_message("one"), large_message()];
    let store = Store::with_user("alice", "app password", messages.clone());
    let port = net::spawn_server(
        ServerConfig::default(),
        store,
        Some(tls.acceptor.clone()),
        false,
    )
    .await;
    let mut seen = Vec::new();
    let read = async {
        let mut session = Pop3Session::builder("localhost") // here: the test server
            .port(port)
            .ca_pem(tls.cert_pem.as_bytes().to_vec())
            .connect()
            .await?;
        session.login("alice", "app password").await?;
        for message in session.list().await? {
            let mut body = session.retrieve(message.number);
            let mut octets = Vec::new();
            while let Some(chunk) = body.next().await {
                octets.extend_from_slice(&chunk?);
            }
            println!("{:?}: {} octets", message.uid, octets.len());
            seen.push(octets);
        }
        session.quit().await?; // messages marked with delete() are removed now
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    bounded(read).await.unwrap();
    assert_eq!(seen, messages);
}
