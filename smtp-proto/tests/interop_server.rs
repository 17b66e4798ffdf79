//! Our server (the `smtp-sink` example, run in-process over TCP) against clients nobody
//! here wrote: Python's smtplib (plain, STARTTLS with certificate verification, AUTH
//! PLAIN and LOGIN, several recipients, SMTPUTF8), swaks with `--pipeline` (checked in
//! its transcript to really pipeline), and curl uploading a file. Each test checks the
//! bytes of the Maildir files the sink wrote.
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

/// Without the `tokio` feature there is no driver to run the server over TCP.
#[cfg(not(feature = "tokio"))]
#[test]
fn interop_server_needs_the_tokio_feature() {
    eprintln!(
        "SKIPPED: interop_server needs --features tokio (scripts/test.sh uses --all-features)"
    );
}

#[cfg(feature = "tokio")]
#[allow(dead_code)]
#[path = "../examples/smtp-sink.rs"]
mod sink;

#[cfg(feature = "tokio")]
mod interop {
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::Arc;
    use std::time::Duration;

    use super::peers::{peer_present, wait_for_files, ScratchDir};
    use super::sink::{load_tls, serve, SinkOptions};

    const USER: &str = "alice";
    const PASSWORD: &str = "wonderland";

    /// The sink running on a free port, with a fresh self-signed certificate for
    /// `localhost` and 127.0.0.1; stopped when dropped.
    struct Sink {
        runtime: Option<tokio::runtime::Runtime>,
        port: u16,
        folder: ScratchDir,
    }

    impl Sink {
        fn start() -> Sink {
            let folder = ScratchDir::new("smtp-sink");
            let certified = rcgen::generate_simple_self_signed(vec![
                "localhost".to_string(),
                "127.0.0.1".to_string(),
            ])
            .unwrap();
            let cert = folder.path().join("cert.pem");
            let key = folder.path().join("key.pem");
            std::fs::write(&cert, certified.cert.pem()).unwrap();
            std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
            let options = Arc::new(SinkOptions {
                maildir: folder.path().join("Maildir"),
                hostname: "sink.test".to_string(),
                tls: Some(load_tls(&cert, &key).unwrap()),
                user: Some((USER.to_string(), PASSWORD.to_string())),
            });
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .unwrap();
            let port = listener.local_addr().unwrap().port();
            runtime.spawn(async move {
                if let Err(error) = serve(listener, options).await {
                    eprintln!("sink stopped: {error}");
                }
            });
            Sink {
                runtime: Some(runtime),
                port,
                folder,
            }
        }

        fn cert(&self) -> PathBuf {
            self.folder.path().join("cert.pem")
        }

        fn new_dir(&self) -> PathBuf {
            self.folder.path().join("Maildir").join("new")
        }

        /// The delivered messages' bytes, once `count` arrived (sorted by content).
        fn delivered(&self, count: usize) -> Vec<Vec<u8>> {
            let files = wait_for_files(&self.new_dir(), count, |_| true, Duration::from_secs(20));
            assert_eq!(files.len(), count, "{files:?}");
            let leftovers = std::fs::read_dir(self.folder.path().join("Maildir").join("tmp"))
                .unwrap()
                .count();
            assert_eq!(leftovers, 0, "nothing may stay in tmp/");
            let mut contents: Vec<Vec<u8>> =
                files.iter().map(|f| std::fs::read(f).unwrap()).collect();
            contents.sort();
            contents
        }

        fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
            let path = self.folder.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    impl Drop for Sink {
        fn drop(&mut self) {
            if let Some(runtime) = self.runtime.take() {
                runtime.shutdown_timeout(Duration::from_secs(5));
            }
        }
    }

    fn python_present() -> bool {
        peer_present(
            "python3",
            Command::new("python3").args(["-c", "import smtplib, ssl"]),
        )
    }

    /// Runs a Python smtplib script with a time bound; returns its standard output.
    fn python(script: &str, args: &[&str]) -> String {
        let output = Command::new("timeout")
            .args(["60", "python3", "-c", script])
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "python failed: {}\nstdout: {stdout}\nstderr: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    const SMTPLIB_PLAIN: &str = r#"
import smtplib, sys
port, message = int(sys.argv[1]), open(sys.argv[2], 'rb').read()
with smtplib.SMTP('127.0.0.1', port, timeout=30) as s:
    code, _ = s.ehlo('client.test')
    assert code == 250
    for feature in ['pipelining', '8bitmime', 'smtputf8', 'chunking', 'size', 'enhancedstatuscodes', 'starttls']:
        assert s.has_extn(feature), feature
    # Cleartext-password mechanisms are not offered before TLS.
    assert not s.has_extn('auth'), s.esmtp_features
    refused = s.sendmail('sender@client.test', ['rcpt@sink.test'], message)
    assert refused == {}, refused
    print('sent')
"#;

    #[test]
    fn smtplib_plain_session() {
        if !python_present() {
            return;
        }
        let sink = Sink::start();
        let message = b"From: sender@client.test\r\nTo: rcpt@sink.test\r\nSubject: plain\r\n\r\nHello.\r\n.leading dot\r\n";
        let file = sink.write("plain.eml", message);
        let out = python(
            SMTPLIB_PLAIN,
            &[&sink.port.to_string(), file.to_str().unwrap()],
        );
        assert_eq!(out.trim(), "sent");
        assert_eq!(sink.delivered(1), vec![message.to_vec()]);
    }

    const SMTPLIB_TLS_AUTH: &str = r#"
import smtplib, ssl, sys
port, cafile, mechanism, message = int(sys.argv[1]), sys.argv[2], sys.argv[3], open(sys.argv[4], 'rb').read()
context = ssl.create_default_context(cafile=cafile)
with smtplib.SMTP('127.0.0.1', port, timeout=30) as s:
    s.ehlo('client.test')
    code, _ = s.starttls(context=context)
    assert code == 220
    s.ehlo('client.test')
    # STARTTLS is no longer offered, AUTH now is.
    assert not s.has_extn('starttls')
    assert s.has_extn('auth'), s.esmtp_features
    assert set(s.esmtp_features['auth'].split()) == {'PLAIN', 'LOGIN'}
    s.user, s.password = 'alice', 'wrong'
    try:
        s.auth(mechanism, getattr(s, 'auth_' + mechanism.lower()), initial_response_ok=(mechanism == 'PLAIN'))
        raise SystemExit('a wrong password was accepted')
    except smtplib.SMTPAuthenticationError as error:
        assert error.smtp_code == 535, error
    s.user, s.password = 'alice', 'wonderland'
    # PLAIN with an initial response; LOGIN without (the server prompts twice).
    code, _ = s.auth(mechanism, getattr(s, 'auth_' + mechanism.lower()), initial_response_ok=(mechanism == 'PLAIN'))
    assert code == 235
    refused = s.sendmail('alice@client.test', ['one@sink.test', 'two@sink.test', 'three@sink.test'], message)
    assert refused == {}, refused
    print(s.sock.version())
"#;

    #[test]
    fn smtplib_starttls_with_verified_certificate_and_auth_plain_and_login() {
        if !python_present() {
            return;
        }
        let sink = Sink::start();
        let cert = sink.cert();
        let mut expected = Vec::new();
        for mechanism in ["PLAIN", "LOGIN"] {
            let message = format!(
                "From: alice@client.test\r\nTo: one@sink.test, two@sink.test\r\n\
                 Subject: over TLS with {mechanism}\r\n\r\nSecret body.\r\n"
            );
            let file = sink.write(&format!("{mechanism}.eml"), message.as_bytes());
            let out = python(
                SMTPLIB_TLS_AUTH,
                &[
                    &sink.port.to_string(),
                    cert.to_str().unwrap(),
                    mechanism,
                    file.to_str().unwrap(),
                ],
            );
            assert!(out.trim().starts_with("TLSv1."), "{out}");
            expected.push(message.into_bytes());
        }
        expected.sort();
        assert_eq!(sink.delivered(2), expected);
    }

    const SMTPLIB_UTF8: &str = r#"
import smtplib, sys
port, message = int(sys.argv[1]), open(sys.argv[2], 'rb').read()
with smtplib.SMTP('127.0.0.1', port, timeout=30) as s:
    s.ehlo('client.test')
    refused = s.sendmail('jörg@bücher.test', ['用户@例子.test', 'plain@sink.test'], message, mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
    assert refused == {}, refused
    print('sent')
"#;

    #[test]
    fn smtplib_smtputf8_with_utf8_addresses() {
        if !python_present() {
            return;
        }
        let sink = Sink::start();
        let message = "From: jörg@bücher.test\r\nTo: 用户@例子.test\r\nSubject: grüße\r\n\r\nÜnïcödé body ✓\r\n";
        let file = sink.write("utf8.eml", message.as_bytes());
        let out = python(
            SMTPLIB_UTF8,
            &[&sink.port.to_string(), file.to_str().unwrap()],
        );
        assert_eq!(out.trim(), "sent");
        assert_eq!(sink.delivered(1), vec![message.as_bytes().to_vec()]);
    }

    #[test]
    fn swaks_really_pipelines() {
        if !peer_present("swaks", Command::new("swaks").arg("--version")) {
            return;
        }
        let sink = Sink::start();
        let message = "Subject: pipelined by swaks\r\n\r\nfirst line\r\n..two dots\r\n";
        let file = sink.write("swaks.eml", message.as_bytes());
        let output = Command::new("timeout")
            .args(["60", "swaks", "--server"])
            .arg(format!("127.0.0.1:{}", sink.port))
            .args(["--helo", "client.test", "--from", "a@client.test"])
            .args(["--to", "b@sink.test,c@sink.test", "--pipeline"])
            .arg("--data")
            .arg(format!("@{}", file.display()))
            .output()
            .unwrap();
        let transcript = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{transcript}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // Pipelined: MAIL, both RCPTs and DATA leave before the first reply comes back.
        let lines: Vec<&str> = transcript.lines().collect();
        let mail = lines
            .iter()
            .position(|l| l.starts_with(" -> MAIL FROM:<a@client.test>"))
            .unwrap_or_else(|| panic!("{transcript}"));
        assert!(
            lines[mail + 1].starts_with(" -> RCPT TO:<b@sink.test>"),
            "{transcript}"
        );
        assert!(
            lines[mail + 2].starts_with(" -> RCPT TO:<c@sink.test>"),
            "{transcript}"
        );
        assert!(lines[mail + 3].starts_with(" -> DATA"), "{transcript}");
        assert!(lines[mail + 4].starts_with("<-  250 2.1.0"), "{transcript}");
        assert!(lines[mail + 7].starts_with("<-  354"), "{transcript}");
        assert!(
            transcript.contains("<-  250 2.0.0 Message accepted"),
            "{transcript}"
        );
        // swaks stuffs the leading dots itself (the server removes them again) and ends
        // the data with its own CRLF before the final dot.
        let delivered = sink.delivered(1);
        assert_eq!(
            String::from_utf8_lossy(&delivered[0]),
            format!("{message}\r\n")
        );
    }

    #[test]
    fn curl_uploads_a_file() {
        if !peer_present("curl", Command::new("curl").arg("--version")) {
            return;
        }
        let sink = Sink::start();
        let message = b"From: a@client.test\r\nTo: b@sink.test\r\nSubject: by curl\r\n\r\n.starts with a dot\r\nlast line\r\n";
        let file = sink.write("curl.eml", message);
        let output = Command::new("curl")
            .args(["--silent", "--show-error", "--max-time", "30"])
            .arg(format!("smtp://127.0.0.1:{}/client.test", sink.port))
            .args(["--mail-from", "a@client.test", "--mail-rcpt", "b@sink.test"])
            .arg("--upload-file")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "curl failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(sink.delivered(1), vec![message.to_vec()]);
    }

    /// The same sink answers many clients at once and keeps every message.
    #[test]
    fn concurrent_smtplib_clients() {
        if !python_present() {
            return;
        }
        let sink = Sink::start();
        let children: Vec<_> = (0..4)
            .map(|n| {
                let message = format!("Subject: client {n}\r\n\r\nbody {n}\r\n");
                let file = sink.write(&format!("c{n}.eml"), message.as_bytes());
                let child = Command::new("timeout")
                    .args(["60", "python3", "-c", SMTPLIB_PLAIN])
                    .arg(sink.port.to_string())
                    .arg(&file)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                (child, message)
            })
            .collect();
        let mut expected = Vec::new();
        for (mut child, message) in children {
            assert!(child.wait().unwrap().success());
            expected.push(message.into_bytes());
        }
        expected.sort();
        assert_eq!(sink.delivered(4), expected);
    }
}
