//! `session::Pop3Session` (feature `tls`) against scripted misbehaving servers on
//! 127.0.0.1: garbage, a refused greeting, an endless line, silence, and a connection
//! cut in the middle of a message. Each ends in a typed error, never a panic or a hang,
//! and a cut message never looks complete.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use futures_util::StreamExt;
use mailwire_pop3::session::{MailboxError, Pop3Session};
use mailwire_pop3::types::MessageNumber;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A certificate the plaintext sessions never use, but the builder needs a trust.
fn some_ca() -> Vec<u8> {
    rcgen::generate_simple_self_signed(vec!["localhost".into()])
        .unwrap()
        .cert
        .pem()
        .into_bytes()
}

async fn serve<F, Fut>(script: F) -> u16
where
    F: FnOnce(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        if let Ok((stream, _)) = listener.accept().await {
            script(stream).await;
        }
    });
    port
}

async fn connect(port: u16) -> Result<Pop3Session, MailboxError> {
    tokio::time::timeout(
        Duration::from_secs(20),
        Pop3Session::builder("127.0.0.1")
            .port(port)
            .ca_pem(some_ca())
            .insecure_plaintext_loopback_only()
            .response_timeout(Duration::from_millis(800))
            .connect(),
    )
    .await
    .expect("the session hung")
}

/// Answers CAPA (with USER) and the login, as a server would.
async fn greet_and_login(reader: &mut BufReader<TcpStream>) {
    let _ = reader.get_mut().write_all(b"+OK ready\r\n").await;
    let mut line = String::new();
    let _ = reader.read_line(&mut line).await;
    let _ = reader
        .get_mut()
        .write_all(b"+OK\r\nUSER\r\nUIDL\r\n.\r\n")
        .await;
    for answer in [&b"+OK\r\n"[..], b"+OK logged in\r\n"] {
        line.clear();
        let _ = reader.read_line(&mut line).await;
        let _ = reader.get_mut().write_all(answer).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_greeting() {
    let port = serve(|mut stream| async move {
        let _ = stream.write_all(b"220 this is SMTP, not POP3\r\n").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    })
    .await;
    let error = connect(port).await.unwrap_err();
    assert!(matches!(error, MailboxError::Protocol(_)), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_greeting_carries_the_line() {
    let port = serve(|mut stream| async move {
        let _ = stream
            .write_all(b"-ERR [SYS/TEMP] too many connections\r\n")
            .await;
    })
    .await;
    let error = connect(port).await.unwrap_err();
    let MailboxError::Refused(line) = error else {
        panic!("{error:?}");
    };
    assert!(!line.is_ok());
    assert!(line.code.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_line() {
    let port = serve(|mut stream| async move {
        let chunk = vec![b'+'; 64 * 1024];
        for _ in 0..64 {
            if stream.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let error = connect(port).await.unwrap_err();
    // The machine drops an over-long line as it comes (memory stays bounded) and
    // reports it, or the server's close ends the wait first.
    assert!(
        matches!(error, MailboxError::Protocol(_) | MailboxError::Closed),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_ends_the_session() {
    let port = serve(|stream| async move {
        let _open = stream;
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await;
    let error = connect(port).await.unwrap_err();
    assert!(matches!(error, MailboxError::Closed), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_cut_short_is_an_error_not_an_end() {
    let port = serve(|stream| async move {
        let mut reader = BufReader::new(stream);
        greet_and_login(&mut reader).await;
        let mut line = String::new();
        let _ = reader.read_line(&mut line).await;
        assert_eq!(line, "RETR 1\r\n");
        let _ = reader
            .get_mut()
            .write_all(b"+OK 1000 octets\r\nSubject: cut\r\n\r\nthe first line\r\n")
            .await;
        // gone without the terminating dot
    })
    .await;
    let mut session = connect(port).await.unwrap();
    session.login("alice", "pw").await.unwrap();
    let mut stream = session.retrieve(MessageNumber::new(1).unwrap());
    let mut octets = Vec::new();
    let mut failure = None;
    let outcome = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => octets.extend_from_slice(&chunk),
                Err(error) => failure = Some(error),
            }
        }
    })
    .await;
    assert!(outcome.is_ok(), "the stream hung");
    assert!(
        matches!(
            failure,
            Some(MailboxError::Closed) | Some(MailboxError::Io(_))
        ),
        "{failure:?}"
    );
    assert!(b"Subject: cut\r\n\r\nthe first line\r\n".starts_with(&octets));
}
