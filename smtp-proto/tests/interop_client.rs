//! Our client (through the tokio driver) against servers nobody here wrote: aiosmtpd
//! (with a recorder that writes each accepted message and its envelope to a folder) and
//! Postfix's smtp-sink (its odd EHLO reply ending in a bare `250 `, its dump files, its
//! LMTP mode). Each test checks what really arrived.
//!
//! A missing peer skips loudly, or fails under `MAILWIRE_REQUIRE_PEERS=1`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/client_peers.rs"]
mod peers;

/// Without the `tokio` feature there is no driver to run the client over TCP.
#[cfg(not(feature = "tokio"))]
#[test]
fn interop_client_needs_the_tokio_feature() {
    eprintln!(
        "SKIPPED: interop_client needs --features tokio (scripts/test.sh uses --all-features)"
    );
}

#[cfg(feature = "tokio")]
mod interop {

    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::sync::Arc;
    use std::time::Duration;

    use super::peers::{
        free_port, is_root, peer_present, wait_for_files, wait_for_port, Peer, ScratchDir,
    };
    use mailwire_core::Session;
    use mailwire_smtp::client::{
        ClientConfig, ClientEvent, Credentials, FailureStage, MailEnvelope, RecipientStage,
        RecipientStatus, TransactionOutcome, TransactionReport,
    };
    use mailwire_smtp::tokio::{Driver, Next};
    use mailwire_smtp::types::{Body, Host, Mailbox};
    use tokio::io::{AsyncRead, AsyncWrite};
    use tokio_rustls::rustls;

    const RECORDER: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/common/aiosmtpd_recorder.py"
    );

    trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
    impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

    /// What the client does once connected: STARTTLS, AUTH, one message, QUIT.
    struct Scenario {
        config: ClientConfig,
        tls: Option<(tokio_rustls::TlsConnector, String)>,
        auth: Option<Credentials>,
        mail: Option<(MailEnvelope, Vec<u8>)>,
    }

    fn scenario(config: ClientConfig) -> Scenario {
        Scenario {
            config,
            tls: None,
            auth: None,
            mail: None,
        }
    }

    fn client_config() -> ClientConfig {
        ClientConfig::new(Host::new("client.test").unwrap().into_owned())
    }

    fn mailbox(text: &str) -> Mailbox<'static> {
        Mailbox::parse(text).unwrap().into_owned()
    }

    fn envelope(from: &str, to: &[&str]) -> MailEnvelope {
        to.iter()
            .fold(MailEnvelope::new(mailbox(from)), |e, t| e.to(mailbox(t)))
    }

    /// Runs the scenario over TCP with the tokio driver; returns every client event.
    async fn drive(port: u16, mut scenario: Scenario) -> Vec<ClientEvent> {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let stream: Box<dyn Stream> = Box::new(tcp);
        let client = mailwire_smtp::client::Client::new(
            scenario.config.clone(),
            tokio::time::Instant::now().into_std(),
        );
        let mut driver = Driver::new(stream, client);
        let mut events = Vec::new();
        loop {
            match driver.next_event().await.unwrap() {
                Next::Event(event) => {
                    let client = driver.machine_mut();
                    match &event {
                        ClientEvent::Ready { .. } | ClientEvent::Authenticated { .. } => {
                            if scenario.tls.is_some() && !client.is_tls() {
                                client.starttls().unwrap();
                            } else if let Some(credentials) = scenario.auth.take() {
                                client.authenticate(credentials).unwrap();
                            } else if let Some((envelope, content)) = scenario.mail.take() {
                                client.start_mail(envelope).unwrap();
                                for chunk in content.chunks(1000) {
                                    client.send_body(chunk.to_vec()).unwrap();
                                }
                                client.finish_body().unwrap();
                            } else {
                                client.quit().unwrap();
                            }
                        }
                        ClientEvent::AuthFailed { .. }
                        | ClientEvent::StartTlsRefused { .. }
                        | ClientEvent::TransactionDone(_) => {
                            let _ = client.quit();
                        }
                        _ => {}
                    }
                    events.push(event);
                }
                Next::StartTls => {
                    let (connector, name) = scenario.tls.clone().unwrap();
                    let (stream, mut client) = driver.into_parts();
                    let name = rustls::pki_types::ServerName::try_from(name).unwrap();
                    let tls = connector.connect(name, stream).await.unwrap();
                    client.handle_tls_established(tokio::time::Instant::now().into_std());
                    let stream: Box<dyn Stream> = Box::new(tls);
                    driver = Driver::new(stream, client);
                }
                Next::Closed => return events,
            }
        }
    }

    fn run(port: u16, scenario: Scenario) -> Vec<ClientEvent> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(60), drive(port, scenario)).await
            })
            .expect("the session did not finish within 60 s")
    }

    fn report(events: &[ClientEvent]) -> TransactionReport {
        events
            .iter()
            .find_map(|e| match e {
                ClientEvent::TransactionDone(r) => Some(r.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no TransactionDone in {events:?}"))
    }

    fn recipient_results(
        events: &[ClientEvent],
    ) -> Vec<(usize, RecipientStage, RecipientStatus, u16)> {
        events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Recipient(r) => {
                    Some((r.index, r.stage, r.status, r.reply.code().get()))
                }
                _ => None,
            })
            .collect()
    }

    fn no_protocol_errors(events: &[ClientEvent]) {
        assert!(
            !events.iter().any(|e| matches!(
                e,
                ClientEvent::ProtocolError(_)
                    | ClientEvent::ConnectionLost
                    | ClientEvent::TimedOut { .. }
            )),
            "{events:?}"
        );
    }

    // ----- aiosmtpd -----

    fn aiosmtpd_present() -> bool {
        peer_present(
            "aiosmtpd (python3 -m aiosmtpd)",
            Command::new("python3").args(["-c", "import aiosmtpd"]),
        )
    }

    /// Starts the recorder; returns it with its port.
    fn start_recorder(dir: &Path, extra: &[&str]) -> (Peer, u16) {
        let port = free_port();
        let child = Command::new("timeout")
            .arg("120")
            .arg("python3")
            .arg(RECORDER)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let peer = Peer(child);
        wait_for_port(port, Duration::from_secs(20));
        (peer, port)
    }

    fn recorded(dir: &Path, count: usize) -> Vec<serde_json::Value> {
        wait_for_files(
            dir,
            count,
            |n| n.ends_with(".json"),
            Duration::from_secs(10),
        )
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect()
    }

    fn content_of(record: &serde_json::Value) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(record["content_b64"].as_str().unwrap())
            .unwrap()
    }

    #[test]
    fn aiosmtpd_receives_our_message_and_refusals() {
        if !aiosmtpd_present() {
            return;
        }
        let dir = ScratchDir::new("aiosmtpd");
        let (_server, port) = start_recorder(dir.path(), &["--reject-rcpt", "nobody@mx.test"]);
        let content = "Subject: interop\r\nFrom: alice@client.test\r\n\r\n.leading dot\r\n..two\r\n8-bit: caf\u{e9}\r\n.\r\nend\r\n";
        let mut s = scenario(client_config());
        s.mail = Some((
            envelope(
                "alice@client.test",
                &["bob@mx.test", "nobody@mx.test", "carol@mx.test"],
            )
            .size(content.len() as u64)
            .body(Body::EightBitMime),
            content.as_bytes().to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        assert_eq!(
            recipient_results(&events),
            vec![
                (0, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
                (1, RecipientStage::Rcpt, RecipientStatus::Rejected, 550),
                (2, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
                (0, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
                (2, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
            ]
        );
        assert_eq!(
            report(&events).outcome,
            TransactionOutcome::Accepted { recipients: 2 }
        );
        let records = recorded(dir.path(), 1);
        assert_eq!(records.len(), 1);
        let record = &records[0];
        assert_eq!(record["mail_from"], "alice@client.test");
        assert_eq!(
            record["rcpt_tos"],
            serde_json::json!(["bob@mx.test", "carol@mx.test"])
        );
        let options: Vec<String> = record["mail_options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert!(
            options.contains(&format!("SIZE={}", content.len())),
            "{options:?}"
        );
        assert!(
            options.contains(&"BODY=8BITMIME".to_string()),
            "{options:?}"
        );
        // Unstuffed by aiosmtpd: exactly what we gave.
        assert_eq!(content_of(record), content.as_bytes());
    }

    #[test]
    fn aiosmtpd_smtputf8_addresses() {
        if !aiosmtpd_present() {
            return;
        }
        let dir = ScratchDir::new("aiosmtpd-utf8");
        let (_server, port) = start_recorder(dir.path(), &[]);
        let mut s = scenario(client_config());
        let content = "Subject: gr\u{fc}\u{df}e\r\n\r\nh\u{e9}llo\r\n";
        s.mail = Some((
            envelope("j\u{f6}rg@b\u{fc}cher.test", &["m\u{fc}ller@mx.test"])
                .body(Body::EightBitMime),
            content.as_bytes().to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        assert_eq!(
            report(&events).outcome,
            TransactionOutcome::Accepted { recipients: 1 }
        );
        let record = &recorded(dir.path(), 1)[0];
        assert_eq!(record["smtp_utf8"], true);
        assert_eq!(record["mail_from"], "j\u{f6}rg@b\u{fc}cher.test");
        assert_eq!(
            record["rcpt_tos"],
            serde_json::json!(["m\u{fc}ller@mx.test"])
        );
        assert_eq!(content_of(record), content.as_bytes());
    }

    #[test]
    fn aiosmtpd_auth_plain_login_and_refusal() {
        if !aiosmtpd_present() {
            return;
        }
        let dir = ScratchDir::new("aiosmtpd-auth");
        let (_server, port) = start_recorder(dir.path(), &["--auth", "alice:wonderland"]);

        let mut s = scenario(client_config());
        s.auth = Some(Credentials::plain("alice", "wonderland"));
        s.mail = Some((
            envelope("alice@client.test", &["bob@mx.test"]),
            b"plain\r\n".to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        assert!(events.iter().any(
            |e| matches!(e, ClientEvent::Authenticated { reply } if reply.code().get() == 235)
        ));

        let mut s = scenario(client_config());
        s.auth = Some(Credentials::login("alice", "wonderland"));
        s.mail = Some((
            envelope("alice@client.test", &["bob@mx.test"]),
            b"login\r\n".to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        assert!(events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. })));

        let mut s = scenario(client_config());
        s.auth = Some(Credentials::plain("alice", "wrong"));
        let events = run(port, s);
        assert!(events
            .iter()
            .any(|e| matches!(e, ClientEvent::AuthFailed { reply } if reply.code().get() == 535)));

        let records = recorded(dir.path(), 2);
        assert_eq!(records.len(), 2);
        for (record, body) in records.iter().zip([&b"plain\r\n"[..], b"login\r\n"]) {
            assert_eq!(record["authenticated"], true);
            assert_eq!(content_of(record), body);
        }
    }

    fn write_certificate(dir: &Path) -> (String, String) {
        let certified = rcgen::generate_simple_self_signed(vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
        ])
        .unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        (
            cert.to_string_lossy().into_owned(),
            key.to_string_lossy().into_owned(),
        )
    }

    fn connector(cert_pem: &str) -> tokio_rustls::TlsConnector {
        let pem = std::fs::read(cert_pem).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots.add(cert.unwrap()).unwrap();
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }

    #[test]
    fn aiosmtpd_starttls_then_auth() {
        if !aiosmtpd_present() {
            return;
        }
        let dir = ScratchDir::new("aiosmtpd-tls");
        let (cert, key) = write_certificate(dir.path());
        let (_server, port) = start_recorder(
            dir.path(),
            &[
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
                "--auth",
                "alice:wonderland",
            ],
        );
        let mut s = scenario(client_config());
        s.tls = Some((connector(&cert), "localhost".to_string()));
        s.auth = Some(Credentials::plain("alice", "wonderland"));
        s.mail = Some((
            envelope("alice@client.test", &["bob@mx.test"]),
            b"Subject: tls\r\n\r\nsecret\r\n".to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        let readies: Vec<(bool, bool)> = events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Ready {
                    tls, capabilities, ..
                } => Some((
                    *tls,
                    capabilities.as_ref().is_some_and(|c| c.has_keyword("AUTH")),
                )),
                _ => None,
            })
            .collect();
        // aiosmtpd offers AUTH only after TLS (auth_require_tls).
        assert_eq!(readies, vec![(false, false), (true, true)]);
        assert_eq!(
            report(&events).outcome,
            TransactionOutcome::Accepted { recipients: 1 }
        );
        let record = &recorded(dir.path(), 1)[0];
        assert_eq!(record["tls"], true);
        assert_eq!(record["authenticated"], true);
        assert_eq!(content_of(record), b"Subject: tls\r\n\r\nsecret\r\n");
    }

    // ----- Postfix smtp-sink -----

    /// smtp-sink lives in /usr/sbin, which is not always on PATH.
    fn smtp_sink_command() -> String {
        let in_sbin = Path::new("/usr/sbin/smtp-sink");
        if in_sbin.exists() {
            in_sbin.to_string_lossy().into_owned()
        } else {
            String::from("smtp-sink")
        }
    }

    fn smtp_sink_present() -> bool {
        peer_present(
            "postfix smtp-sink",
            Command::new("sh").args(["-c", &format!("command -v {}", smtp_sink_command())]),
        )
    }

    fn start_smtp_sink(dir: &ScratchDir, extra: &[&str]) -> (Peer, u16) {
        dir.open_to_all();
        let port = free_port();
        let mut command = Command::new("timeout");
        command.arg("120").arg(smtp_sink_command());
        if is_root() {
            command.args(["-u", "nobody"]);
        }
        command
            .args(extra)
            .arg("-R")
            .arg(dir.path())
            .args(["-d", "%M%S."])
            .arg(format!("127.0.0.1:{port}"))
            .arg("16")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let peer = Peer(command.spawn().unwrap());
        wait_for_port(port, Duration::from_secs(20));
        (peer, port)
    }

    fn sink_dumps(dir: &Path, count: usize) -> Vec<String> {
        wait_for_files(dir, count, |n| !n.starts_with('.'), Duration::from_secs(10))
            .iter()
            .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
            .collect()
    }

    #[test]
    fn smtp_sink_accepts_our_client() {
        if !smtp_sink_present() {
            return;
        }
        let dir = ScratchDir::new("smtp-sink");
        let (_sink, port) = start_smtp_sink(&dir, &[]);
        let mut s = scenario(client_config());
        s.auth = Some(Credentials::plain("anyone", "anything"));
        s.mail = Some((
            envelope("alice@client.test", &["bob@mx.test", "carol@mx.test"]),
            b"Subject: sink\r\n\r\n.dot\r\nbody line\r\n".to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        // Its EHLO reply ends with a bare "250 " line; the capabilities before it count.
        let capabilities = events
            .iter()
            .find_map(|e| match e {
                ClientEvent::Ready { capabilities, .. } => capabilities.clone(),
                _ => None,
            })
            .expect("capabilities");
        for keyword in [
            "PIPELINING",
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "DSN",
            "XCLIENT",
        ] {
            assert!(
                capabilities.has_keyword(keyword),
                "{keyword}: {capabilities:?}"
            );
        }
        assert!(events
            .iter()
            .any(|e| matches!(e, ClientEvent::Authenticated { .. })));
        assert_eq!(
            report(&events).outcome,
            TransactionOutcome::Accepted { recipients: 2 }
        );
        let dumps = sink_dumps(dir.path(), 1);
        assert_eq!(dumps.len(), 1, "one message dumped");
        let dump = &dumps[0];
        assert!(dump.contains("X-Helo-Args: client.test\n"), "{dump}");
        assert!(
            dump.contains("X-Mail-Args: <alice@client.test>\n"),
            "{dump}"
        );
        assert!(
            dump.contains("X-Rcpt-Args: <bob@mx.test>\nX-Rcpt-Args: <carol@mx.test>\n"),
            "{dump}"
        );
        // smtp-sink stores lines with LF and unstuffs the dot.
        assert!(
            dump.trim_end()
                .ends_with("Subject: sink\n\n.dot\nbody line"),
            "{dump}"
        );
    }

    #[test]
    fn smtp_sink_soft_rejects_every_recipient() {
        if !smtp_sink_present() {
            return;
        }
        let dir = ScratchDir::new("smtp-sink-reject");
        // -r RCPT: every RCPT gets 450 (and PIPELINING is no longer offered).
        let (_sink, port) = start_smtp_sink(&dir, &["-r", "RCPT"]);
        let mut s = scenario(client_config());
        s.mail = Some((
            envelope("alice@client.test", &["bob@mx.test", "carol@mx.test"]),
            b"never\r\n".to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        assert_eq!(
            recipient_results(&events),
            vec![
                (0, RecipientStage::Rcpt, RecipientStatus::Deferred, 450),
                (1, RecipientStage::Rcpt, RecipientStatus::Deferred, 450),
            ]
        );
        assert_eq!(
            report(&events).outcome,
            TransactionOutcome::Failed {
                stage: FailureStage::Recipients,
                temporary: true
            }
        );
        assert!(
            sink_dumps(dir.path(), 0).is_empty(),
            "nothing was delivered"
        );
    }

    #[test]
    fn smtp_sink_lmtp_per_recipient_replies() {
        if !smtp_sink_present() {
            return;
        }
        let dir = ScratchDir::new("smtp-sink-lmtp");
        let (_sink, port) = start_smtp_sink(&dir, &["-L"]);
        let mut s = scenario(ClientConfig::lmtp(
            Host::new("mta.test").unwrap().into_owned(),
        ));
        s.mail = Some((
            envelope(
                "alice@client.test",
                &["bob@mx.test", "carol@mx.test", "dave@mx.test"],
            ),
            b"Subject: lmtp\r\n\r\nhello\r\n".to_vec(),
        ));
        let events = run(port, s);
        no_protocol_errors(&events);
        assert!(events.iter().any(|e| matches!(
            e,
            ClientEvent::Ready {
                hello: mailwire_smtp::types::Verb::Lhlo,
                ..
            }
        )));
        let delivery: Vec<_> = recipient_results(&events)
            .into_iter()
            .filter(|r| r.1 == RecipientStage::Delivery)
            .collect();
        assert_eq!(
            delivery,
            vec![
                (0, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
                (1, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
                (2, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
            ]
        );
        assert_eq!(
            report(&events).outcome,
            TransactionOutcome::Accepted { recipients: 3 }
        );
        let dumps = sink_dumps(dir.path(), 1);
        assert_eq!(dumps.len(), 1);
        assert!(dumps[0].contains("X-Client-Proto: LMTP\n"), "{}", dumps[0]);
        assert!(
            dumps[0].trim_end().ends_with("Subject: lmtp\n\nhello"),
            "{}",
            dumps[0]
        );
    }

    #[test]
    fn smtp_send_example_against_smtp_sink() {
        if !smtp_sink_present() {
            return;
        }
        let Some(example) = example_binary() else {
            eprintln!("SKIPPED: the smtp-send example is not built (cargo build --features tokio --example smtp-send)");
            return;
        };
        let dir = ScratchDir::new("smtp-send");
        let (_sink, port) = start_smtp_sink(&dir, &[]);
        let message = dir.path().join("message.eml");
        std::fs::write(&message, "Subject: example\n\nsent by smtp-send\n").unwrap();
        let output = Command::new("timeout")
            .arg("60")
            .arg(example)
            .args(["--server", &format!("127.0.0.1:{port}")])
            .args([
                "--from",
                "alice@client.test",
                "--to",
                "bob@mx.test",
                "--to",
                "carol@mx.test",
            ])
            .arg(&message)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("bob@mx.test: accepted (250 2.0.0 Ok"),
            "{stdout}"
        );
        assert!(
            stdout.contains("carol@mx.test: accepted (250 2.0.0 Ok"),
            "{stdout}"
        );
        let dumps = sink_dumps(dir.path(), 1);
        assert!(
            dumps[0]
                .trim_end()
                .ends_with("Subject: example\n\nsent by smtp-send"),
            "{}",
            dumps[0]
        );
    }

    #[test]
    fn smtp_send_example_starttls_auth_against_aiosmtpd() {
        if !aiosmtpd_present() || !peer_present("openssl", Command::new("openssl").arg("version")) {
            return;
        }
        let Some(example) = example_binary() else {
            eprintln!("SKIPPED: the smtp-send example is not built (cargo build --features tokio --example smtp-send)");
            return;
        };
        let dir = ScratchDir::new("smtp-send-tls");
        // A certificate as PEERS.md makes them: self-signed and marked as a CA, which the
        // example accepts because it is exactly the one given with --ca.
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success());
        let (cert, key) = (
            cert.to_string_lossy().into_owned(),
            key.to_string_lossy().into_owned(),
        );
        let (_server, port) = start_recorder(
            dir.path(),
            &[
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
                "--auth",
                "alice:wonderland",
            ],
        );
        let message = dir.path().join("message.eml");
        std::fs::write(&message, "Subject: tls example\n\nover tls\n").unwrap();
        let output = Command::new("timeout")
            .arg("60")
            .arg(&example)
            .args([
                "--server",
                &format!("127.0.0.1:{port}"),
                "--starttls",
                "--ca",
                &cert,
            ])
            .args(["--tls-name", "localhost", "--auth", "alice:wonderland"])
            .args(["--from", "alice@client.test", "--to", "bob@mx.test"])
            .arg(&message)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("tls active"), "{stdout}");
        assert!(stdout.contains("authenticated"), "{stdout}");
        assert!(stdout.contains("bob@mx.test: accepted (250"), "{stdout}");
        let record = &recorded(dir.path(), 1)[0];
        assert_eq!(record["tls"], true);
        assert_eq!(record["authenticated"], true);
        assert_eq!(
            content_of(record),
            b"Subject: tls example\r\n\r\nover tls\r\n"
        );

        // A certificate the server does not have: the handshake is refused.
        let other = dir.path().join("other.pem");
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args(["-subj", "/CN=localhost", "-keyout"])
            .arg(dir.path().join("other-key.pem"))
            .arg("-out")
            .arg(&other)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(made.success());
        let output = Command::new("timeout")
            .arg("60")
            .arg(&example)
            .args([
                "--server",
                &format!("127.0.0.1:{port}"),
                "--starttls",
                "--ca",
            ])
            .arg(&other)
            .args(["--from", "alice@client.test", "--to", "bob@mx.test"])
            .arg(&message)
            .output()
            .unwrap();
        assert!(!output.status.success());
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("tls handshake"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(recorded(dir.path(), 1).len(), 1, "nothing more arrived");
    }

    /// The example binary next to this test's binary, if cargo built it (`cargo test`
    /// builds examples, named `smtp-send` or `smtp-send-<hash>`): the newest one.
    fn example_binary() -> Option<std::path::PathBuf> {
        let test = std::env::current_exe().ok()?;
        let examples = test.parent()?.parent()?.join("examples");
        std::fs::read_dir(examples)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                (name == "smtp-send" || name.starts_with("smtp-send-")) && !name.contains('.')
            })
            .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
            .max()
            .map(|(_, path)| path)
    }
}
