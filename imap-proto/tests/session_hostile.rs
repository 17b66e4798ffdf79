//! `session::Session` against scripted servers that misbehave: refusals carry the
//! server's text, a missing STARTTLS is never a plaintext fall back, and truncated,
//! malformed, huge or silent answers end in typed errors, never a panic or unbounded
//! memory. Also the IDLE life cycle (renewal before its limit, `done()`, drop) and a
//! fetch stream dropped half-way, seen from the server's side.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use mailwire_imap::client::{ClientConfig, ProtocolError};
use mailwire_imap::session::{
    FetchOptions, MailboxChange, Session, SessionBuilder, SessionError, TimeoutStage, Uids,
    MAX_PENDING_CHANGES,
};
use mailwire_imap::types::{Code, SearchKey};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

/// The server's side of one connection, line by line.
struct Peer<S> {
    stream: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Peer<S> {
    async fn send(&mut self, text: &str) {
        self.stream
            .get_mut()
            .write_all(text.as_bytes())
            .await
            .unwrap();
    }

    /// The next line from the client, without its CRLF; `None` at the end.
    async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let read = self.stream.read_line(&mut line).await.unwrap_or(0);
        (read > 0).then(|| line.trim_end_matches(['\r', '\n']).to_owned())
    }

    /// Reads a command, checks its name, returns its tag.
    async fn expect(&mut self, name: &str) -> String {
        let line = self.line().await.expect("a command");
        let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        assert!(rest.starts_with(name), "expected {name}, got {line:?}");
        tag.to_owned()
    }
}

const CAPABILITIES: &str = "IMAP4rev1 IDLE UIDPLUS MOVE";

/// Starts a scripted server on a free loopback port; returns the port.
async fn serve<F, Fut>(script: F) -> (u16, tokio::task::JoinHandle<()>)
where
    F: FnOnce(Peer<tokio::net::TcpStream>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        script(Peer {
            stream: BufReader::new(stream),
        })
        .await;
    });
    (port, task)
}

fn plaintext(port: u16) -> SessionBuilder {
    Session::builder("127.0.0.1")
        .port(port)
        .insecure_plaintext_loopback_only()
        .response_timeout(Duration::from_secs(5))
}

/// Greeting, LOGIN and SELECT of a mailbox holding `exists` messages.
async fn prelude<S: AsyncRead + AsyncWrite + Unpin>(peer: &mut Peer<S>, exists: u32) {
    peer.send(&format!("* OK [CAPABILITY {CAPABILITIES}] ready\r\n"))
        .await;
    let tag = peer.expect("LOGIN").await;
    peer.send(&format!(
        "{tag} OK [CAPABILITY {CAPABILITIES}] logged in\r\n"
    ))
    .await;
    let tag = peer.expect("SELECT").await;
    peer.send(&format!(
        "* {exists} EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 9] n\r\n\
         * FLAGS (\\Seen \\Deleted)\r\n{tag} OK [READ-WRITE] selected\r\n"
    ))
    .await;
}

async fn selected(builder: SessionBuilder) -> Session {
    let mut session = builder.connect().await.unwrap();
    session.login("alice", "pw").await.unwrap();
    session.select("INBOX").await.unwrap();
    session
}

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), future)
        .await
        .expect("the test finished in time")
}

fn uid(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap()
}

fn self_signed() -> rcgen::CertifiedKey<rcgen::KeyPair> {
    rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap()
}

#[tokio::test]
async fn a_bye_greeting_is_rejected_with_its_text() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            peer.send("* BYE [UNAVAILABLE] too busy\r\n").await;
        })
        .await;
        let error = plaintext(port).connect().await.unwrap_err();
        let SessionError::Rejected(text) = error else {
            panic!("{error:?}");
        };
        assert_eq!(text.code, Some(Code::Unavailable));
        assert_eq!(text.text.as_str(), "too busy");
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_missing_starttls_is_refused_and_nothing_but_logout_is_sent() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            peer.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no tls here\r\n")
                .await;
            let tag = peer.expect("LOGOUT").await;
            peer.send(&format!("* BYE bye\r\n{tag} OK done\r\n")).await;
            assert_eq!(peer.line().await, None, "nothing after LOGOUT");
        })
        .await;
        let error = Session::builder("localhost")
            .address(([127, 0, 0, 1], port).into())
            .ca_pem(self_signed().cert.pem().into_bytes())
            .connect()
            .await
            .unwrap_err();
        assert!(
            matches!(error, SessionError::StartTlsNotOffered),
            "{error:?}"
        );
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn preauth_in_clear_text_is_refused_under_starttls() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            peer.send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] welcome\r\n")
                .await;
            let tag = peer.expect("LOGOUT").await;
            peer.send(&format!("* BYE bye\r\n{tag} OK done\r\n")).await;
        })
        .await;
        let error = Session::builder("localhost")
            .address(([127, 0, 0, 1], port).into())
            .ca_pem(self_signed().cert.pem().into_bytes())
            .connect()
            .await
            .unwrap_err();
        assert!(
            matches!(error, SessionError::StartTlsNotOffered),
            "{error:?}"
        );
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_response_injected_before_the_tls_handshake_is_refused() {
    bounded(async {
        let certified = self_signed();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()),
        );
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let (port, server) = serve(|mut peer| async move {
            peer.send("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n")
                .await;
            let tag = peer.expect("STARTTLS").await;
            // The injected line rides in the same segment as the OK.
            peer.send(&format!(
                "{tag} OK begin tls\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"
            ))
            .await;
            let _ = acceptor.accept(peer.stream.into_inner()).await;
        })
        .await;
        let error = Session::builder("localhost")
            .address(([127, 0, 0, 1], port).into())
            .ca_pem(certified.cert.pem().into_bytes())
            .connect()
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                SessionError::Protocol(ProtocolError::DataAfterStartTls { .. })
            ),
            "{error:?}"
        );
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_login_refusal_carries_the_servers_text() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            peer.send(&format!("* OK [CAPABILITY {CAPABILITIES}] ready\r\n"))
                .await;
            let tag = peer.expect("LOGIN").await;
            peer.send(&format!(
                "{tag} NO [AUTHENTICATIONFAILED] invalid credentials\r\n"
            ))
            .await;
        })
        .await;
        let mut session = plaintext(port).connect().await.unwrap();
        let error = session.login("alice", "wrong").await.unwrap_err();
        let SessionError::AuthFailed(text) = error else {
            panic!("{error:?}");
        };
        assert_eq!(text.code, Some(Code::AuthenticationFailed));
        assert_eq!(text.text.as_str(), "invalid credentials");
        assert!(
            !format!("{text:?}").contains("wrong"),
            "no credential in errors"
        );
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn no_and_bad_carry_the_completion_and_the_session_goes_on() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 2).await;
            let tag = peer.expect("SELECT").await;
            peer.send(&format!("{tag} NO [NONEXISTENT] no such mailbox\r\n"))
                .await;
            // A failed SELECT leaves no mailbox selected: SEARCH is refused locally.
            let tag = peer.expect("SELECT").await;
            peer.send(&format!("* 2 EXISTS\r\n{tag} OK [READ-WRITE] selected\r\n"))
                .await;
            let tag = peer.expect("UID SEARCH").await;
            peer.send(&format!("{tag} BAD [CLIENTBUG] what\r\n")).await;
            let tag = peer.expect("NOOP").await;
            peer.send(&format!("{tag} OK fine\r\n")).await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        let error = session.select("Nope").await.unwrap_err();
        let SessionError::No { command, text } = error else {
            panic!("{error:?}");
        };
        assert_eq!(command, "SELECT");
        assert_eq!(text.code, Some(Code::NonExistent));
        assert_eq!(text.text.as_str(), "no such mailbox");
        assert!(matches!(
            session.search(SearchKey::All).await,
            Err(SessionError::NoMailboxSelected)
        ));
        session.select("INBOX").await.unwrap();
        let error = session.search(SearchKey::All).await.unwrap_err();
        assert!(
            matches!(&error, SessionError::Bad { command: "UID SEARCH", text } if text.code == Some(Code::ClientBug)),
            "{error:?}"
        );
        session.noop().await.unwrap();
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_truncated_literal_ends_the_stream_with_an_error() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 1).await;
            peer.expect("UID FETCH").await;
            peer.send("* 1 FETCH (UID 5 BODY[] {100}\r\nonly a part")
                .await;
            // Connection closed here.
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        let mut stream = session
            .fetch(Uids::All, FetchOptions::new().body())
            .await
            .unwrap();
        let item = stream.next().await.unwrap();
        assert!(
            matches!(item, Err(SessionError::Closed | SessionError::Io(_))),
            "{item:?}"
        );
        assert!(
            stream.next().await.is_none(),
            "the stream ends after its error"
        );
        drop(stream);
        assert!(matches!(
            session.noop().await,
            Err(SessionError::Closed | SessionError::Io(_))
        ));
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_absurd_literal_is_refused_from_its_announcement() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 1).await;
            peer.expect("UID FETCH").await;
            peer.send("* 1 FETCH (UID 5 BODY[] {99999999999}\r\n").await;
            // Then it would stream forever; the client must not wait for it.
            let _ = peer.line().await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        let messages = session
            .fetch(Uids::All, FetchOptions::new().body())
            .await
            .unwrap()
            .collect_all()
            .await;
        assert!(
            matches!(
                messages,
                Err(SessionError::Protocol(
                    ProtocolError::LiteralTooLarge { .. }
                ))
            ),
            "{messages:?}"
        );
        drop(session);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn an_overlong_line_ends_the_session() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 1).await;
            peer.expect("UID SEARCH").await;
            let huge = "1 ".repeat(200_000);
            peer.send(&format!("* SEARCH {huge}\r\n")).await;
            let _ = peer.line().await;
        })
        .await;
        let config = ClientConfig {
            max_line_length: 64 * 1024,
            ..ClientConfig::default()
        };
        let mut session = selected(plaintext(port).client_config(config)).await;
        let error = session.search(SearchKey::All).await.unwrap_err();
        assert!(
            matches!(
                error,
                SessionError::Protocol(ProtocolError::LineTooLong { limit: 65536 })
            ),
            "{error:?}"
        );
        // The session is over, and says why.
        assert!(matches!(
            session.noop().await,
            Err(SessionError::Protocol(ProtocolError::LineTooLong { .. }))
        ));
        drop(session);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn content_over_the_limit_is_skipped_and_the_stream_goes_on() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 2).await;
            let tag = peer.expect("UID FETCH").await;
            let large = "x".repeat(50);
            peer.send(&format!(
                "* 1 FETCH (UID 5 FLAGS () BODY[] {{50}}\r\n{large})\r\n\
                 * 2 FETCH (UID 6 FLAGS (\\Seen) BODY[] {{5}}\r\nsmall)\r\n\
                 {tag} OK done\r\n"
            ))
            .await;
            let tag = peer.expect("NOOP").await;
            peer.send(&format!("{tag} OK fine\r\n")).await;
        })
        .await;
        let mut session = selected(plaintext(port).max_message_size(10)).await;
        let mut stream = session
            .fetch(Uids::All, FetchOptions::new().body())
            .await
            .unwrap();
        let first = stream.next().await.unwrap();
        assert!(
            matches!(
                first,
                Err(SessionError::MessageTooLarge {
                    length: 50,
                    limit: 10
                })
            ),
            "{first:?}"
        );
        let second = stream.next().await.unwrap().unwrap();
        assert_eq!(second.uid, Some(uid(6)));
        assert_eq!(second.body(), Some(&b"small"[..]));
        assert!(second.is_seen());
        assert!(stream.next().await.is_none());
        drop(stream);
        session.noop().await.unwrap();
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_malformed_response_is_skipped_and_counted() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 1).await;
            let tag = peer.expect("UID SEARCH").await;
            peer.send(&format!(
                "* 1 FETCH (GARBAGE!!)\r\n* SEARCH 5\r\n{tag} OK done\r\n"
            ))
            .await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        assert_eq!(session.search(SearchKey::All).await.unwrap(), vec![uid(5)]);
        assert_eq!(session.protocol_warnings(), 1);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_silent_server_is_timed_out() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            peer.send(&format!("* OK [CAPABILITY {CAPABILITIES}] ready\r\n"))
                .await;
            peer.expect("LOGIN").await;
            // No answer; wait for the client to give up.
            assert_eq!(peer.line().await, None);
        })
        .await;
        let mut session = plaintext(port)
            .response_timeout(Duration::from_millis(300))
            .connect()
            .await
            .unwrap();
        let error = session.login("alice", "pw").await.unwrap_err();
        assert!(
            matches!(error, SessionError::TimedOut(TimeoutStage::Response)),
            "{error:?}"
        );
        drop(session);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_garbage_greeting_is_a_protocol_error() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            peer.send("220 this is smtp\r\n").await;
            let _ = peer.line().await;
        })
        .await;
        let error = plaintext(port).connect().await.unwrap_err();
        assert!(
            matches!(
                error,
                SessionError::Protocol(ProtocolError::MalformedGreeting(_))
            ),
            "{error:?}"
        );
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_flood_of_changes_stays_bounded() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 1).await;
            let tag = peer.expect("NOOP").await;
            let mut flood = String::new();
            for count in 1..=12_000 {
                flood.push_str(&format!("* {count} EXISTS\r\n"));
            }
            peer.send(&flood).await;
            peer.send(&format!("{tag} OK done\r\n")).await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        let changes = session.noop().await.unwrap();
        assert_eq!(changes.len(), MAX_PENDING_CHANGES);
        assert_eq!(changes.last(), Some(&MailboxChange::Exists(12_000)));
        assert_eq!(session.mailbox().unwrap().exists, 12_000);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn bye_during_a_command_is_reported_with_its_text() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 1).await;
            peer.expect("NOOP").await;
            peer.send("* BYE [ALERT] shutting down\r\n").await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        let error = session.noop().await.unwrap_err();
        let SessionError::Bye(text) = error else {
            panic!("{error:?}");
        };
        assert_eq!(text.text.as_str(), "shutting down");
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_dropped_fetch_is_read_to_its_end_before_the_next_command() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 3).await;
            let tag = peer.expect("UID FETCH").await;
            peer.send("* 1 FETCH (UID 5 FLAGS () BODY[] {5}\r\nfirst)\r\n")
                .await;
            // The rest comes later, after the client dropped the stream.
            tokio::time::sleep(Duration::from_millis(100)).await;
            peer.send(&format!(
                "* 2 FETCH (UID 6 FLAGS () BODY[] {{6}}\r\nsecond)\r\n\
                 * 3 FETCH (FLAGS (\\Flagged))\r\n\
                 * 3 FETCH (UID 7 FLAGS () BODY[] {{5}}\r\nthird)\r\n{tag} OK done\r\n"
            ))
            .await;
            let tag = peer.expect("UID SEARCH").await;
            peer.send(&format!("* SEARCH 5 6 7\r\n{tag} OK done\r\n"))
                .await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        {
            let mut stream = session
                .fetch(Uids::All, FetchOptions::new().body())
                .await
                .unwrap();
            let first = stream.next().await.unwrap().unwrap();
            assert_eq!(first.body(), Some(&b"first"[..]));
        }
        let found = session.search(SearchKey::All).await.unwrap();
        assert_eq!(found, vec![uid(5), uid(6), uid(7)]);
        // The FETCH without UID was another client's flag change.
        let changes = session.take_changes();
        assert!(
            changes.iter().any(|change| matches!(
                change,
                MailboxChange::Flags { sequence_number, uid: None, .. } if sequence_number.get() == 3
            )),
            "{changes:?}"
        );
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn idle_is_renewed_before_its_limit_and_ends_with_done() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 3).await;
            let first = peer.expect("IDLE").await;
            peer.send("+ idling\r\n").await;
            // The client ends this IDLE at its refresh time...
            assert_eq!(peer.line().await.as_deref(), Some("DONE"));
            peer.send(&format!("{first} OK idle done\r\n")).await;
            // ... and starts the next one at once.
            let second = peer.expect("IDLE").await;
            assert_ne!(first, second);
            peer.send("+ idling\r\n* 4 EXISTS\r\n* 1 EXPUNGE\r\n").await;
            assert_eq!(peer.line().await.as_deref(), Some("DONE"));
            peer.send(&format!("{second} OK idle done\r\n")).await;
            let tag = peer.expect("NOOP").await;
            peer.send(&format!("{tag} OK fine\r\n")).await;
        })
        .await;
        let mut session = selected(plaintext(port).idle_refresh(Duration::from_millis(300))).await;
        let mut idle = session.idle().await.unwrap();
        let first = idle.next().await.unwrap().unwrap();
        assert_eq!(first, MailboxChange::Exists(4));
        let second = idle.next().await.unwrap().unwrap();
        assert_eq!(second, MailboxChange::Expunge(uid(1)));
        idle.done().await.unwrap();
        assert_eq!(session.mailbox().unwrap().exists, 3);
        session.noop().await.unwrap();
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_dropped_idle_sends_done_before_the_next_command() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 3).await;
            let idle = peer.expect("IDLE").await;
            peer.send("+ idling\r\n").await;
            assert_eq!(peer.line().await.as_deref(), Some("DONE"));
            peer.send(&format!("* 5 EXISTS\r\n{idle} OK idle done\r\n"))
                .await;
            let tag = peer.expect("NOOP").await;
            peer.send(&format!("{tag} OK fine\r\n")).await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        {
            let _idle = session.idle().await.unwrap();
        }
        let changes = session.noop().await.unwrap();
        assert_eq!(changes, vec![MailboxChange::Exists(5)]);
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_refused_idle_is_an_error_and_the_session_goes_on() {
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            prelude(&mut peer, 1).await;
            let tag = peer.expect("IDLE").await;
            peer.send(&format!("{tag} NO [LIMIT] too many idlers\r\n"))
                .await;
            let tag = peer.expect("NOOP").await;
            peer.send(&format!("{tag} OK fine\r\n")).await;
        })
        .await;
        let mut session = selected(plaintext(port)).await;
        let error = session.idle().await.unwrap_err();
        assert!(
            matches!(&error, SessionError::No { command: "IDLE", text } if text.code == Some(Code::Limit)),
            "{error:?}"
        );
        session.noop().await.unwrap();
        server.await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn plaintext_is_refused_towards_a_remote_peer() {
    // 192.0.2.1 (TEST-NET-1) is never loopback; the refusal comes before any byte, or
    // the connection attempt fails: either way no plaintext session exists.
    let result = Session::builder("192.0.2.1")
        .port(143)
        .insecure_plaintext_loopback_only()
        .connect_timeout(Duration::from_millis(200))
        .connect()
        .await;
    assert!(
        matches!(
            result,
            Err(SessionError::PlaintextNotLoopback
                | SessionError::Connect(_)
                | SessionError::TimedOut(TimeoutStage::Connect))
        ),
        "{:?}",
        result.map(|_| ())
    );
}

#[tokio::test]
async fn xoauth2_sends_the_token_and_a_refusal_carries_the_servers_text() {
    use base64::Engine as _;
    bounded(async {
        let (port, server) = serve(|mut peer| async move {
            peer.send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] hi\r\n")
                .await;
            // The first token is refused with an error challenge (RFC 7628 §3.2.2).
            let line = peer.line().await.unwrap();
            let mut words = line.split(' ');
            let tag = words.next().unwrap().to_owned();
            assert_eq!(words.next(), Some("AUTHENTICATE"));
            assert_eq!(words.next(), Some("XOAUTH2"));
            let message = base64::engine::general_purpose::STANDARD
                .decode(words.next().unwrap())
                .unwrap();
            assert_eq!(
                message,
                b"user=alice@example.test\x01auth=Bearer expired\x01\x01"
            );
            peer.send("+ eyJzdGF0dXMiOiI0MDEifQ==\r\n").await;
            assert_eq!(peer.line().await.as_deref(), Some(""), "the empty answer");
            peer.send(&format!(
                "{tag} NO [AUTHENTICATIONFAILED] invalid token\r\n"
            ))
            .await;
            // The second one is accepted.
            let line = peer.line().await.unwrap();
            let (tag, rest) = line.split_once(' ').unwrap();
            assert!(rest.starts_with("AUTHENTICATE OAUTHBEARER "), "{rest}");
            let encoded = rest.rsplit(' ').next().unwrap();
            let message = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .unwrap();
            let text = String::from_utf8(message).unwrap();
            assert!(
                text.starts_with("n,a=alice@example.test,\x01host=127.0.0.1\x01port="),
                "{text:?}"
            );
            assert!(text.ends_with("\x01auth=Bearer fresh\x01\x01"), "{text:?}");
            peer.send(&format!("{tag} OK [CAPABILITY IMAP4rev1 IDLE] welcome\r\n"))
                .await;
        })
        .await;
        let mut session = plaintext(port).connect().await.unwrap();
        let error = session
            .authenticate_xoauth2("alice@example.test", "expired")
            .await
            .unwrap_err();
        let SessionError::AuthFailed(text) = error else {
            panic!("{error:?}");
        };
        assert_eq!(text.text.as_str(), "invalid token");
        session
            .authenticate_oauthbearer("alice@example.test", "fresh")
            .await
            .unwrap();
        assert!(session.has_capability(&mailwire_imap::types::Capability::Idle));
        server.await.unwrap();
    })
    .await;
}

#[test]
fn the_session_its_streams_and_its_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let uses = async {
        let mut session = plaintext(1).connect().await.unwrap();
        session.login("alice", "pw").await.unwrap();
        let mut messages = session
            .fetch(Uids::All, FetchOptions::new().body())
            .await
            .unwrap();
        send(&messages);
        let _ = messages.next().await;
        drop(messages);
        let mut idle = session.idle().await.unwrap();
        send(&idle);
        let _ = idle.next().await;
        idle.done().await.unwrap();
        session.logout().await.unwrap();
    };
    // Only compiled: tokio::spawn needs all of this to be Send.
    send(&uses);
}
