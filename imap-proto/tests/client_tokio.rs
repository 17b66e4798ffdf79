//! `mailwire_imap::tokio::ImapClient` (the client machine on mailwire-core's driver)
//! against scripted servers over in-memory streams: a STARTTLS upgrade with real TLS
//! (tokio-rustls, rcgen), the same with a response injected before the handshake, IDLE
//! ended after its duration on tokio's paused clock, content streamed to a sink, and a
//! silent server timed out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use mailwire_imap::client::{BodyItem, ClientConfig, ClientEvent, ProtocolError};
use mailwire_imap::tokio::{ImapClient, ImapError};
use mailwire_imap::types::{
    Capability, CommandBody, Data, FetchAttribute, FetchAttributes, NonEmpty, SequenceSet,
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::rustls;

/// A TLS acceptor and a connector that trusts exactly its certificate.
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

/// Reads one command line; `None` at the end of the stream.
async fn command<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R) -> Option<String> {
    let mut line = String::new();
    match reader.read_line(&mut line).await.unwrap() {
        0 => None,
        _ => Some(line.trim_end().to_owned()),
    }
}

/// Answers commands after TLS: CAPABILITY, LOGIN, LOGOUT.
async fn serve_after_tls<S: AsyncRead + AsyncWrite + Unpin>(stream: S) {
    let (read, mut write) = tokio::io::split(stream);
    let mut reader = BufReader::new(read);
    while let Some(line) = command(&mut reader).await {
        let mut words = line.split(' ');
        let tag = words.next().unwrap().to_owned();
        let answer = match words.next().unwrap() {
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n"),
            "LOGIN" => format!("{tag} OK [CAPABILITY IMAP4rev1 IDLE] in\r\n"),
            _ => format!("* BYE bye\r\n{tag} OK bye\r\n"),
        };
        write.write_all(answer.as_bytes()).await.unwrap();
    }
}

async fn starttls_server(
    stream: tokio::io::DuplexStream,
    acceptor: tokio_rustls::TlsAcceptor,
    injected: &'static [u8],
) {
    let mut stream = BufReader::new(stream);
    stream
        .get_mut()
        .write_all(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n")
        .await
        .unwrap();
    let line = command(&mut stream).await.unwrap();
    assert!(line.ends_with(" STARTTLS"), "{line}");
    let tag = line.split(' ').next().unwrap();
    let mut answer = format!("{tag} OK begin TLS\r\n").into_bytes();
    answer.extend_from_slice(injected);
    stream.get_mut().write_all(&answer).await.unwrap();
    assert!(
        stream.buffer().is_empty(),
        "nothing pipelined behind STARTTLS"
    );
    let Ok(tls) = acceptor.accept(stream.into_inner()).await else {
        return;
    };
    serve_after_tls(tls).await;
}

#[tokio::test]
async fn starttls_upgrades_and_forgets_the_old_capabilities() {
    let (acceptor, connector) = tls_pair();
    let (ours, theirs) = tokio::io::duplex(16 * 1024);
    let server = tokio::spawn(starttls_server(theirs, acceptor, b""));
    let (client, _) = ImapClient::connect(ours, ClientConfig::default())
        .await
        .unwrap();
    assert!(client.machine().has_capability(&Capability::LoginDisabled));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut client = client
        .starttls(|plain| connector.connect(name, plain))
        .await
        .unwrap();
    assert!(client.machine().is_tls());
    assert!(!client.machine().has_capability(&Capability::LoginDisabled));
    client.login("user", "pass").await.unwrap();
    assert!(client.machine().has_capability(&Capability::Idle));
    client.logout().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_response_injected_before_the_handshake_fails_the_upgrade() {
    let (acceptor, connector) = tls_pair();
    let (ours, theirs) = tokio::io::duplex(16 * 1024);
    let injected = b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n";
    let server = tokio::spawn(starttls_server(theirs, acceptor, injected));
    let (client, _) = ImapClient::connect(ours, ClientConfig::default())
        .await
        .unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let result = client
        .starttls(|plain| connector.connect(name, plain))
        .await;
    assert!(
        matches!(
            result,
            Err(ImapError::Protocol(ProtocolError::DataAfterStartTls { octets }))
                if octets == injected.len()
        ),
        "{result:?}"
    );
    server.abort();
}

#[tokio::test(start_paused = true)]
async fn idle_ends_after_its_duration() {
    let (ours, theirs) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let (read, mut write) = tokio::io::split(theirs);
        let mut reader = BufReader::new(read);
        write
            .write_all(b"* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
            .await
            .unwrap();
        let idle = command(&mut reader).await.unwrap();
        let tag = idle.split(' ').next().unwrap().to_owned();
        assert!(idle.ends_with(" IDLE"));
        write.write_all(b"+ idling\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        write.write_all(b"* 3 EXISTS\r\n").await.unwrap();
        let started = tokio::time::Instant::now();
        assert_eq!(command(&mut reader).await.unwrap(), "DONE");
        let waited = started.elapsed();
        write
            .write_all(format!("{tag} OK IDLE terminated\r\n").as_bytes())
            .await
            .unwrap();
        waited
    });
    let (mut client, _) = ImapClient::connect(ours, ClientConfig::default())
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    let updates = client
        .idle(Duration::from_secs(60), |_| false)
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(60));
    assert!(matches!(
        updates.as_slice(),
        [ClientEvent::Data {
            data: Data::Exists(3),
            ..
        }]
    ));
    // DONE left about 50 s after the update, when the duration was over.
    assert!(server.await.unwrap() >= Duration::from_secs(49));
}

#[tokio::test]
async fn content_streams_to_a_sink() {
    let (ours, theirs) = tokio::io::duplex(1024);
    let content: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let sent = content.clone();
    let server = tokio::spawn(async move {
        let (read, mut write) = tokio::io::split(theirs);
        let mut reader = BufReader::new(read);
        write
            .write_all(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
            .await
            .unwrap();
        let fetch = command(&mut reader).await.unwrap();
        let tag = fetch.split(' ').next().unwrap().to_owned();
        write
            .write_all(format!("* 1 FETCH (UID 9 BODY[] {{{}}}\r\n", sent.len()).as_bytes())
            .await
            .unwrap();
        // Through a small pipe, in pieces.
        for piece in sent.chunks(777) {
            write.write_all(piece).await.unwrap();
        }
        write
            .write_all(format!(")\r\n{tag} OK done\r\n").as_bytes())
            .await
            .unwrap();
    });
    let (mut client, _) = ImapClient::connect(ours, ClientConfig::default())
        .await
        .unwrap();
    let mut received = Vec::new();
    let mut chunks = 0;
    let mut sink = |number: NonZeroU32, item: &BodyItem, chunk: bytes::Bytes| {
        assert_eq!(number.get(), 1);
        assert!(matches!(item, BodyItem::Section { section: None, .. }));
        chunks += 1;
        received.extend_from_slice(&chunk);
    };
    let answer = client
        .run_with(
            CommandBody::Fetch {
                uid: false,
                sequence_set: SequenceSet::all(),
                attributes: FetchAttributes::Attributes(NonEmpty::new(
                    FetchAttribute::BodySection {
                        peek: true,
                        section: None,
                        partial: None,
                    },
                )),
                modifiers: Vec::new(),
            },
            &mut sink,
        )
        .await
        .unwrap();
    assert_eq!(received, content);
    assert!(chunks > 1, "streamed in pieces");
    assert_eq!(answer.fetches.len(), 1);
    assert!(answer.fetches[0].bodies.is_empty(), "the sink took it");
    assert_eq!(answer.fetches[0].uid().map(NonZeroU32::get), Some(9));
    server.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_is_timed_out() {
    let (ours, theirs) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let (read, mut write) = tokio::io::split(theirs);
        let mut reader = BufReader::new(read);
        write
            .write_all(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")
            .await
            .unwrap();
        // Reads the command and never answers.
        let _ = command(&mut reader).await;
        let _ = command(&mut reader).await;
    });
    let config = ClientConfig {
        response_timeout: Some(Duration::from_secs(30)),
        ..ClientConfig::default()
    };
    let (mut client, _) = ImapClient::connect(ours, config).await.unwrap();
    let started = tokio::time::Instant::now();
    let result = client.noop().await;
    assert!(matches!(result, Err(ImapError::Closed)), "{result:?}");
    assert!(started.elapsed() >= Duration::from_secs(30));
    assert!(client.take_unsolicited().is_empty());
    server.abort();
}
