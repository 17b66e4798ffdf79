//! The `Mailer` (feature `tls`) against scripted misbehaving servers on 127.0.0.1:
//! garbage, over-long lines, endless replies, silence, a connection cut in the middle
//! of a transaction, 421, and bytes injected after the 220 to STARTTLS. Each ends in a
//! typed error (never a panic, never a hang) and nothing is reported as delivered.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use std::time::Duration;

use mailwire_smtp::client::{MailEnvelope, ProtocolError, Waiting};
use mailwire_smtp::mailer::{Mailer, MailerError, TimeoutStage};
use mailwire_smtp::types::{Mailbox, ReplyCode};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

const EHLO_REPLY: &[u8] = b"250-hostile.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n";

fn envelope() -> MailEnvelope {
    MailEnvelope::new(Mailbox::parse("a@client.test").unwrap().into_owned()).to(Mailbox::parse(
        "b@hostile.test",
    )
    .unwrap()
    .into_owned())
}

fn certificate() -> (String, tokio_rustls::TlsAcceptor) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    (
        certified.cert.pem(),
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    )
}

/// Reads one command line (None at the end of the stream).
async fn line<S: AsyncRead + Unpin>(reader: &mut BufReader<S>) -> Option<String> {
    let mut text = String::new();
    match reader.read_line(&mut text).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(text),
    }
}

/// Runs `script` on the first connection to a fresh listener; sends one message with a
/// plaintext loopback mailer (short time limits) and returns the error.
async fn against<F, Fut>(script: F, starttls: Option<String>) -> MailerError
where
    F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        script(stream).await;
    });
    let (builder, pem) = match starttls {
        Some(pem) => (Mailer::builder("localhost"), pem),
        None => (
            Mailer::builder("127.0.0.1").insecure_plaintext_loopback_only(),
            certificate().0,
        ),
    };
    let mailer = builder
        .port(port)
        .ca_pem(pem)
        .hello_name("client.test")
        .reply_timeout(Duration::from_millis(800))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        mailer.send_raw(envelope(), &b"Subject: x\r\n\r\nx\r\n"[..]),
    )
    .await
    .expect("the mailer hung");
    server.abort();
    match result {
        Ok(delivery) => panic!("delivered to a hostile server: {delivery:?}"),
        Err(error) => error,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_instead_of_a_greeting() {
    let error = against(
        |mut stream| async move {
            let _ = stream.write_all(b"HELLO THERE, NOT SMTP\r\n").await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        },
        None,
    )
    .await;
    assert!(
        matches!(
            error,
            MailerError::Protocol(ProtocolError::MalformedReply(_))
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_line() {
    let error = against(
        |mut stream| async move {
            let chunk = vec![b'2'; 64 * 1024];
            for _ in 0..64 {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        },
        None,
    )
    .await;
    assert!(
        matches!(
            error,
            MailerError::Protocol(ProtocolError::MalformedReply(_))
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_multiline_reply() {
    let error = against(
        |mut stream| async move {
            let _ = stream.write_all(b"220 hostile.test ESMTP\r\n").await;
            let mut reader = BufReader::new(stream);
            let _ = line(&mut reader).await;
            for _ in 0..10_000 {
                if reader.get_mut().write_all(b"250-MORE\r\n").await.is_err() {
                    return;
                }
            }
        },
        None,
    )
    .await;
    assert!(
        matches!(
            error,
            MailerError::Protocol(ProtocolError::MalformedReply(_))
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_times_out() {
    let error = against(
        |stream| async move {
            // Keeps the connection open without a word.
            let _open = stream;
            tokio::time::sleep(Duration::from_secs(10)).await;
        },
        None,
    )
    .await;
    assert!(
        matches!(
            error,
            MailerError::TimedOut(TimeoutStage::Reply(Waiting::Greeting))
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_answering_the_data() {
    let error = against(
        |mut stream| async move {
            let _ = stream.write_all(b"220 hostile.test ESMTP\r\n").await;
            let mut reader = BufReader::new(stream);
            let _ = line(&mut reader).await;
            let _ = reader.get_mut().write_all(EHLO_REPLY).await;
            // MAIL, RCPT, DATA pipelined: answer them, then swallow the content.
            for _ in 0..3 {
                let _ = line(&mut reader).await;
            }
            let _ = reader
                .get_mut()
                .write_all(b"250 ok\r\n250 ok\r\n354 go\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        },
        None,
    )
    .await;
    assert!(
        matches!(
            error,
            MailerError::TimedOut(TimeoutStage::Reply(Waiting::DataTermination))
        ),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cut_in_the_middle_of_a_transaction() {
    let error = against(
        |mut stream| async move {
            let _ = stream.write_all(b"220 hostile.test ESMTP\r\n").await;
            let mut reader = BufReader::new(stream);
            let _ = line(&mut reader).await;
            let _ = reader.get_mut().write_all(EHLO_REPLY).await;
            let _ = line(&mut reader).await;
            let _ = reader.get_mut().write_all(b"250 ok\r\n").await;
            // gone before the RCPT reply
        },
        None,
    )
    .await;
    assert!(matches!(error, MailerError::ConnectionLost), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_closing_421_carries_the_reply() {
    let error = against(
        |mut stream| async move {
            let _ = stream.write_all(b"220 hostile.test ESMTP\r\n").await;
            let mut reader = BufReader::new(stream);
            let _ = line(&mut reader).await;
            let _ = reader.get_mut().write_all(EHLO_REPLY).await;
            let _ = line(&mut reader).await;
            let _ = reader
                .get_mut()
                .write_all(b"421 4.3.2 System shutting down\r\n")
                .await;
        },
        None,
    )
    .await;
    let MailerError::ServiceClosing(reply) = error else {
        panic!("{error:?}");
    };
    assert_eq!(reply.code(), ReplyCode::SERVICE_NOT_AVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_greeting_refusal_carries_the_reply() {
    let error = against(
        |mut stream| async move {
            let _ = stream.write_all(b"554 5.7.1 No service for you\r\n").await;
            let mut reader = BufReader::new(stream);
            // The client says QUIT (RFC 5321 §3.1).
            if let Some(quit) = line(&mut reader).await {
                assert_eq!(quit, "QUIT\r\n");
                let _ = reader.get_mut().write_all(b"221 bye\r\n").await;
            }
        },
        None,
    )
    .await;
    let MailerError::GreetingRefused(reply) = error else {
        panic!("{error:?}");
    };
    assert_eq!(reply.code(), ReplyCode::TRANSACTION_FAILED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_injected_after_the_starttls_reply_abort_the_session() {
    let (pem, acceptor) = certificate();
    let error = against(
        move |mut stream| async move {
            let _ = stream.write_all(b"220 hostile.test ESMTP\r\n").await;
            let mut reader = BufReader::new(stream);
            let _ = line(&mut reader).await;
            let _ = reader
                .get_mut()
                .write_all(b"250-hostile.test\r\n250 STARTTLS\r\n")
                .await;
            let starttls = line(&mut reader).await;
            assert_eq!(starttls.as_deref(), Some("STARTTLS\r\n"));
            // A man in the middle's injected reply rides along with the 220.
            let _ = reader
                .get_mut()
                .write_all(b"220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n")
                .await;
            let Ok(mut tls) = acceptor.accept(reader.into_inner()).await else {
                return;
            };
            let mut buffer = [0u8; 512];
            let _ = tokio::io::AsyncReadExt::read(&mut tls, &mut buffer).await;
            let _ = tls
                .write_all(b"250-hostile.test\r\n250 PIPELINING\r\n")
                .await;
            tokio::time::sleep(Duration::from_secs(3)).await;
        },
        Some(pem),
    )
    .await;
    assert!(
        matches!(
            error,
            MailerError::Protocol(ProtocolError::DataAfterStartTls { .. })
        ),
        "{error:?}"
    );
}

/// A stream type check: the mailer's future is Send (usable in spawned tasks).
#[allow(dead_code)]
fn the_send_future_is_send(mailer: &Mailer) -> impl std::future::Future + Send + '_ {
    fn assert_io<T: AsyncRead + AsyncWrite>() {}
    assert_io::<tokio::net::TcpStream>();
    mailer.send_raw(envelope(), &b""[..])
}
