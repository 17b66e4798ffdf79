//! The tokio layer over real sockets: our LMTP client (`tokio::LmtpClient`) delivering
//! to our LMTP server machine on the core driver, over a unix-domain socket and over TCP
//! with STARTTLS, and the connection dropped in the middle of the per-recipient replies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{local_part, serve, test_tls, Agent, Io, TempDir};
use mailwire_lmtp::client::{client_config, DecidedBy, MailEnvelope, RecipientStatus};
use mailwire_lmtp::server::{Delivery, LmtpServerConfig};
use mailwire_lmtp::tokio::{accept_tcp, accept_unix, server_driver, LmtpClient, LmtpError};
use mailwire_lmtp::types::{Capability, ForwardPath, Host, Mailbox};
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::rustls;

const MESSAGE: &[u8] =
    b"From: chris@bar.test\r\nSubject: sockets\r\n\r\nfirst line\r\n.leading dot\r\n.\r\nlast\r\n";

fn mailbox(text: &str) -> Mailbox<'static> {
    Mailbox::parse(text).unwrap().into_owned()
}

fn envelope(to: &[&str]) -> MailEnvelope {
    to.iter()
        .fold(MailEnvelope::new(mailbox("chris@bar.test")), |e, t| {
            e.to(mailbox(t))
        })
}

fn by_name(to: &ForwardPath<'_>) -> Option<Delivery> {
    let local = local_part(to);
    if local.starts_with("unknown") {
        None
    } else if local.starts_with("full") {
        Some(Delivery::MailboxFull { permanent: false })
    } else {
        Some(Delivery::Delivered)
    }
}

fn agent(reversed: bool, die_after: Option<usize>) -> (Agent, Arc<Mutex<Vec<common::Delivered>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    (
        Agent {
            decide: Box::new(by_name),
            reversed,
            die_after,
            log: log.clone(),
        },
        log,
    )
}

fn hello() -> Host<'static> {
    Host::new("bar.test").unwrap().into_owned()
}

#[tokio::test]
async fn delivers_over_a_unix_socket() {
    let dir = TempDir::new("unix");
    let path = dir.0.join("lmtp.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let config = LmtpServerConfig::builder("foo.test").build().unwrap();
    let (agent, log) = agent(true, None);
    let server = tokio::spawn(async move {
        // Two connections, one after the other.
        for _ in 0..2 {
            let driver = accept_unix(&listener, &config).await.unwrap();
            let (stream, machine) = driver.into_parts();
            let driver =
                mailwire_lmtp::tokio::Driver::new(Box::new(stream) as Box<dyn Io>, machine);
            serve(driver, &agent, None).await;
        }
    });
    let run = async {
        let mut client = LmtpClient::connect_unix(&path, client_config(hello()))
            .await
            .unwrap();
        assert!(client
            .capabilities()
            .unwrap()
            .capabilities()
            .contains(&Capability::Chunking));
        let report = client
            .deliver(
                envelope(&["pat@foo.test", "unknown@foo.test", "full-green@foo.test"]),
                MESSAGE,
            )
            .await
            .unwrap();
        let lines: Vec<String> = report.recipients.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "<pat@foo.test> 250 2.0.0 <pat@foo.test> delivered",
                "<unknown@foo.test> 550 5.1.1 Recipient rejected",
                "<full-green@foo.test> 452 4.2.2 <full-green@foo.test> mailbox full",
            ]
        );
        // Chunks of the message as BDAT chunks: the replies still come after LAST.
        let chunks = MESSAGE.chunks(10).map(bytes_of).collect::<Vec<_>>();
        let report = client
            .deliver_chunks(envelope(&["full-a@foo.test", "kim@foo.test"]), chunks)
            .await
            .unwrap();
        assert_eq!(
            report
                .recipients
                .iter()
                .map(|r| r.status)
                .collect::<Vec<_>>(),
            [RecipientStatus::Deferred, RecipientStatus::Accepted]
        );
        client.quit().await.unwrap();

        // A second connection through the same socket.
        let mut client = LmtpClient::connect_unix(&path, client_config(hello()))
            .await
            .unwrap();
        let report = client
            .deliver(
                envelope(&["lee@foo.test"]),
                &b"Subject: again\r\n\r\nx\r\n"[..],
            )
            .await
            .unwrap();
        assert!(report.all_delivered());
        client.quit().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].content, MESSAGE);
    assert_eq!(log[0].from, "<chris@bar.test>");
    assert_eq!(
        log[0].recipients,
        ["<pat@foo.test>", "<full-green@foo.test>"]
    );
    assert_eq!(log[1].content, MESSAGE);
    assert_eq!(log[2].content, b"Subject: again\r\n\r\nx\r\n");
}

fn bytes_of(chunk: &[u8]) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(chunk)
}

#[tokio::test]
async fn delivers_over_tcp_after_starttls() {
    let tls = test_tls();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let config = LmtpServerConfig::builder("foo.test")
        .starttls(true)
        .build()
        .unwrap();
    let (agent, log) = agent(false, None);
    let acceptor = tls.acceptor.clone();
    let server = tokio::spawn(async move {
        let (driver, peer) = accept_tcp(&listener, &config).await.unwrap();
        assert!(peer.ip().is_loopback());
        let (stream, machine) = driver.into_parts();
        let driver = mailwire_lmtp::tokio::Driver::new(Box::new(stream) as Box<dyn Io>, machine);
        serve(driver, &agent, Some(acceptor)).await;
    });
    let connector = tls.connector.clone();
    let run = async {
        let client = LmtpClient::connect_tcp(address, client_config(hello()))
            .await
            .unwrap();
        assert!(client
            .capabilities()
            .unwrap()
            .capabilities()
            .contains(&Capability::StartTls));
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut client = client
            .starttls(|plain| connector.connect(name, plain))
            .await
            .unwrap();
        assert!(client.machine().is_tls());
        // After TLS, LHLO again, and STARTTLS is no longer offered.
        assert!(!client
            .capabilities()
            .unwrap()
            .capabilities()
            .contains(&Capability::StartTls));
        let report = client
            .deliver(envelope(&["pat@foo.test", "full-b@foo.test"]), MESSAGE)
            .await
            .unwrap();
        assert_eq!(report.delivered().count(), 1);
        assert_eq!(report.recipients[1].code().unwrap().get(), 452);
        client.quit().await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].tls);
    assert_eq!(log[0].content, MESSAGE);
}

#[tokio::test]
async fn a_dropped_connection_keeps_the_replies_that_arrived() {
    let (client_side, server_side) = tokio::io::duplex(1024);
    let config = LmtpServerConfig::builder("foo.test")
        .chunking(false)
        .build()
        .unwrap();
    // The agent answers the first recipient, then the connection drops.
    let (agent, _log) = agent(false, Some(1));
    let server = tokio::spawn(async move {
        let driver = server_driver(Box::new(server_side) as Box<dyn Io>, &config);
        serve(driver, &agent, None).await;
    });
    let mut client = LmtpClient::connect(client_side, client_config(hello()))
        .await
        .unwrap();
    let report = tokio::time::timeout(
        Duration::from_secs(30),
        client.deliver(envelope(&["pat@foo.test", "kim@foo.test"]), MESSAGE),
    )
    .await
    .unwrap()
    .unwrap();
    server.await.unwrap();
    // RFC 2033 §5: pat got it (and must not get it twice); kim is a temporary failure.
    assert_eq!(
        report
            .recipients
            .iter()
            .map(|r| (r.status, r.decided_by))
            .collect::<Vec<_>>(),
        [
            (RecipientStatus::Accepted, DecidedBy::Delivery),
            (RecipientStatus::Deferred, DecidedBy::ConnectionEnded),
        ]
    );
    assert!(matches!(
        client.deliver(envelope(&["x@foo.test"]), MESSAGE).await,
        Err(LmtpError::Client(_))
    ));
}

#[tokio::test]
async fn a_refused_greeting_is_an_error() {
    let (client_side, mut server_side) = tokio::io::duplex(1024);
    let script = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        server_side
            .write_all(b"554 foo.test no LMTP for you\r\n")
            .await
            .unwrap();
        // The client says QUIT; answer it and close.
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            if server_side.read(&mut byte).await.unwrap() == 0 {
                break;
            }
            line.push(byte[0]);
        }
        server_side.write_all(b"221 bye\r\n").await.unwrap();
        line
    });
    let result = LmtpClient::connect(client_side, client_config(hello())).await;
    match result {
        Err(LmtpError::Refused(reply)) => assert_eq!(reply.code().get(), 554),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(script.await.unwrap(), b"QUIT\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lmtp_deliver_example_over_a_unix_socket() {
    let Some(example) = common::example_binary() else {
        common::skip_or_fail("the lmtp-deliver example is not built (cargo test builds it)");
        return;
    };
    let dir = TempDir::new("example-unix");
    let path = dir.0.join("lmtp.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let config = LmtpServerConfig::builder("foo.test").build().unwrap();
    let (agent, log) = agent(false, None);
    let server = tokio::spawn(async move {
        let driver = accept_unix(&listener, &config).await.unwrap();
        let (stream, machine) = driver.into_parts();
        let driver = mailwire_lmtp::tokio::Driver::new(Box::new(stream) as Box<dyn Io>, machine);
        serve(driver, &agent, None).await;
    });
    let file = dir.0.join("message.eml");
    std::fs::write(&file, "Subject: example\n\nbody\n").unwrap();
    let mut args = vec![std::ffi::OsString::from("--socket"), path.clone().into()];
    args.extend(
        [
            "--from",
            "<>",
            "--to",
            "pat@foo.test",
            "--to",
            "unknown@foo.test",
            "--to",
            "full-c@foo.test",
        ]
        .map(Into::into),
    );
    args.push(file.clone().into());
    let output = common::run_bounded(&example, &args, 60).await;
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Not every recipient got it: exit status 1, one line per recipient.
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert_eq!(
        stdout,
        "<pat@foo.test> 250 2.0.0 <pat@foo.test> delivered\n\
         <unknown@foo.test> 550 5.1.1 Recipient rejected\n\
         <full-c@foo.test> 452 4.2.2 <full-c@foo.test> mailbox full\n"
    );
    let log = log.lock().unwrap();
    assert_eq!(log[0].from, "<>");
    assert_eq!(log[0].content, b"Subject: example\r\n\r\nbody\r\n");
}
