//! The server machine on the tokio driver: a real STARTTLS upgrade with injected
//! plaintext, APPEND octets streamed in read-sized chunks, and autologout on tokio's
//! paused clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use mailwire_imap::server::{CleartextLogin, Server, ServerConfig, ServerEvent};
use mailwire_imap::tokio::{server_driver, upgrade_server, Driver, Next};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio_rustls::rustls;

fn tls_pair() -> (tokio_rustls::TlsAcceptor, tokio_rustls::TlsConnector) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(server)),
        tokio_rustls::TlsConnector::from(Arc::new(client)),
    )
}

async fn line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).await.unwrap();
    line
}

#[tokio::test]
async fn starttls_upgrade_drops_injected_plaintext() {
    let (acceptor, connector) = tls_pair();
    let (ours, theirs) = tokio::io::duplex(16 * 1024);
    let config = ServerConfig {
        starttls: true,
        capability_in_greeting: false,
        ..ServerConfig::default()
    };
    let server = tokio::spawn(async move {
        let mut events = Vec::new();
        let mut driver = server_driver(ours, config);
        loop {
            match driver.next_event().await.unwrap() {
                Next::Event(event) => events.push(event),
                Next::StartTls => break,
                Next::Closed => return events,
            }
        }
        let mut driver = upgrade_server(driver, |plain| acceptor.accept(plain))
            .await
            .unwrap();
        loop {
            match driver.next_event().await {
                Ok(Next::Event(event)) => events.push(event),
                _ => return events,
            }
        }
    });

    let mut client = BufReader::new(theirs);
    assert_eq!(line(&mut client).await, "* OK IMAP server ready\r\n");
    // A man in the middle appends a command to the plaintext STARTTLS.
    client
        .get_mut()
        .write_all(b"a STARTTLS\r\nb LOGIN victim secret\r\n")
        .await
        .unwrap();
    assert_eq!(
        line(&mut client).await,
        "a OK Begin TLS negotiation now\r\n"
    );
    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = connector
        .connect(server_name, client.into_inner())
        .await
        .unwrap();
    let mut client = BufReader::new(tls);
    client
        .get_mut()
        .write_all(b"c CAPABILITY\r\nd LOGOUT\r\n")
        .await
        .unwrap();
    let capability = line(&mut client).await;
    assert!(capability.contains("AUTH=PLAIN"), "{capability}");
    assert!(!capability.contains("STARTTLS") && !capability.contains("LOGINDISABLED"));
    assert_eq!(line(&mut client).await, "c OK CAPABILITY completed\r\n");
    assert_eq!(
        line(&mut client).await,
        "* BYE IMAP server terminating connection\r\n"
    );
    assert_eq!(line(&mut client).await, "d OK LOGOUT completed\r\n");
    drop(client);

    let events = server.await.unwrap();
    assert_eq!(
        events.first(),
        Some(&ServerEvent::PlaintextDiscarded {
            octets: b"b LOGIN victim secret\r\n".len()
        })
    );
    assert!(!events
        .iter()
        .any(|event| matches!(event, ServerEvent::Login { .. })));
}

#[tokio::test]
async fn append_octets_reach_the_application_in_read_sized_chunks() {
    const SIZE: usize = 1024 * 1024;
    const READ_BUFFER: usize = 4096;
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let config = ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        capability_in_greeting: false,
        capability_after_login: false,
        ..ServerConfig::default()
    };
    let server = tokio::spawn(async move {
        let machine = Server::new(config, Instant::now());
        let mut driver = Driver::with_buffer_size(ours, machine, READ_BUFFER);
        let (mut total, mut largest, mut chunks) = (0usize, 0usize, 0usize);
        let mut checksum = 0u64;
        loop {
            let now = Instant::now();
            match driver.next_event().await.unwrap() {
                Next::Event(ServerEvent::Login { id, .. }) => {
                    driver.machine_mut().ok(now, id, "hi").unwrap();
                }
                Next::Event(ServerEvent::AppendMessage { id, message, .. }) => {
                    assert_eq!(message.length, SIZE as u64);
                    driver.machine_mut().accept_append(now, id).unwrap();
                }
                Next::Event(ServerEvent::AppendData { chunk, .. }) => {
                    chunks += 1;
                    total += chunk.len();
                    largest = largest.max(chunk.len());
                    checksum = chunk.iter().fold(checksum, |sum, byte| {
                        sum.wrapping_mul(31) + u64::from(*byte)
                    });
                }
                Next::Event(ServerEvent::AppendDone { id, .. }) => {
                    driver.machine_mut().ok(now, id, "stored").unwrap();
                }
                Next::Event(_) => {}
                Next::StartTls | Next::Closed => return (total, largest, chunks, checksum),
            }
        }
    });
    let message: Vec<u8> = (0..SIZE).map(|index| b'a' + (index % 26) as u8).collect();
    let expected = message
        .iter()
        .fold(0u64, |sum, byte| sum.wrapping_mul(31) + u64::from(*byte));
    let (read, mut write) = tokio::io::split(theirs);
    let mut client = BufReader::new(read);
    assert_eq!(line(&mut client).await, "* OK IMAP server ready\r\n");
    write
        .write_all(format!("a LOGIN u p\r\nb APPEND INBOX {{{SIZE}}}\r\n").as_bytes())
        .await
        .unwrap();
    assert_eq!(line(&mut client).await, "a OK hi\r\n");
    assert_eq!(line(&mut client).await, "+ Ready for literal data\r\n");
    write.write_all(&message).await.unwrap();
    write.write_all(b"\r\nc LOGOUT\r\n").await.unwrap();
    assert_eq!(line(&mut client).await, "b OK stored\r\n");
    let (total, largest, chunks, checksum) = server.await.unwrap();
    assert_eq!(total, SIZE);
    assert_eq!(checksum, expected);
    // Never gathered: no chunk is larger than one read.
    assert!(largest <= READ_BUFFER, "{largest}");
    assert!(chunks >= SIZE / READ_BUFFER, "{chunks}");
}

#[tokio::test(start_paused = true)]
async fn autologout_fires_on_the_driver_clock() {
    let (ours, theirs) = tokio::io::duplex(4096);
    let config = ServerConfig {
        capability_in_greeting: false,
        ..ServerConfig::default()
    };
    let server = tokio::spawn(async move {
        let mut driver = server_driver(ours, config);
        let mut closed = None;
        loop {
            // The Closed event comes first; Next::Closed once the BYE is flushed.
            match driver.next_event().await.unwrap() {
                Next::Event(ServerEvent::Closed { reason }) => closed = Some(reason),
                Next::Event(_) => {}
                Next::StartTls => panic!("no STARTTLS here"),
                Next::Closed => return closed,
            }
        }
    });
    let started = tokio::time::Instant::now();
    let mut client = BufReader::new(theirs);
    assert_eq!(line(&mut client).await, "* OK IMAP server ready\r\n");
    client.get_mut().write_all(b"a NOOP\r\n").await.unwrap();
    assert_eq!(line(&mut client).await, "a OK NOOP completed\r\n");
    assert_eq!(
        line(&mut client).await,
        "* BYE Autologout; idle for too long\r\n"
    );
    // Before login the timer is the short one, counted from the last command.
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(180), "{waited:?}");
    assert!(waited < Duration::from_secs(190), "{waited:?}");
    assert_eq!(
        server.await.unwrap(),
        Some(mailwire_imap::server::CloseReason::Autologout)
    );
}
