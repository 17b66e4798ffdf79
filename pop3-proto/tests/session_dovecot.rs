//! `session::Pop3Session` (feature `tls`) against Dovecot's POP3 server: STLS on the
//! pop3 listener and implicit TLS on the pop3s listener, both with certificate
//! checking; login, list with UIDs, retrieval streamed byte for byte, a dropped
//! retrieval, delete and quit, and a later session that sees the message gone. Also the
//! README example, the same code against Dovecot.
//!
//! A missing Dovecot skips loudly, or fails under `MAILWIRE_REQUIRE_PEERS=1`.
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

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{free_port, peer_available};
use futures_util::StreamExt;
use mailwire_pop3::session::Pop3Session;
use mailwire_pop3::types::Capability;

/// Stops Dovecot (its own stop command, then the process) however the test ends.
struct DovecotGuard {
    child: Child,
    config: String,
}

impl Drop for DovecotGuard {
    fn drop(&mut self) {
        let _ = Command::new("timeout")
            .args(["10", "doveadm", "-c", &self.config, "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // Dovecot runs under `timeout`: SIGKILL to that alone would leave it running.
        common::stop_timeout_group(&mut self.child);
    }
}

fn skip_or_fail(reason: &str) {
    if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("{reason} and MAILWIRE_REQUIRE_PEERS=1");
    }
    eprintln!("SKIPPED: {reason}");
}

fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Messages as stored in the Maildir (LF line ends, as Dovecot stores mail).
const FIRST: &str = "From: carol@example.test\nTo: alice@example.test\nSubject: first\nMessage-ID: <1@example.test>\n\nfirst body line\n.leading dot\n..\nlast line\n";

fn large() -> String {
    let mut text = String::from("From: dave@example.test\nSubject: large\n\n");
    for line in 0..5000 {
        text.push_str(&format!(".line {line} of a large message\n"));
    }
    text
}

struct Dovecot {
    _guard: DovecotGuard,
    dir: net::TempDir,
    pop3: u16,
    pop3s: u16,
    cert_pem: String,
}

impl Dovecot {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("dovecot.log")).unwrap_or_default()
    }

    fn maildir(&self) -> std::path::PathBuf {
        self.dir.0.join("home/alice/Maildir")
    }
}

fn write_config(dir: &Path, pop3: u16, pop3s: u16) -> String {
    let d = dir.display();
    let config = format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         listen = 127.0.0.1\nprotocols = pop3\nssl = yes\n\
         ssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\nssl_dh = </usr/share/dovecot/dh.pem\n\
         disable_plaintext_auth = yes\nauth_mechanisms = plain login\n\
         mail_location = maildir:~/Maildir\n\
         default_internal_user = dovecot\ndefault_login_user = dovenull\n\
         passdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n}}\n\
         userdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n  \
         default_fields = uid=vmail gid=vmail home={d}/home/%n\n}}\n\
         service pop3-login {{\n  inet_listener pop3 {{\n    port = {pop3}\n  }}\n  \
         inet_listener pop3s {{\n    port = {pop3s}\n    ssl = yes\n  }}\n}}\n"
    );
    let path = dir.join("dovecot.conf");
    std::fs::write(&path, config).unwrap();
    path.display().to_string()
}

/// Starts Dovecot with two messages for alice; `None` when it cannot run here.
async fn start_dovecot(messages: &[String]) -> Option<Dovecot> {
    if !peer_available("dovecot") || !peer_available("doveadm") {
        return None;
    }
    if !run("id", &["vmail"])
        && !run(
            "useradd",
            &[
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "vmail",
            ],
        )
    {
        skip_or_fail("no vmail user and useradd failed");
        return None;
    }
    let dir = net::TempDir::new("session-dovecot");
    // Dovecot's unprivileged processes must traverse the folder.
    assert!(run("chmod", &["755", dir.0.to_str().unwrap()]));
    let tls = net::test_tls(&dir.0);
    std::fs::write(dir.0.join("cert.pem"), &tls.cert_pem).unwrap();
    std::fs::write(dir.0.join("key.pem"), &tls.key_pem).unwrap();
    std::fs::write(dir.0.join("users"), "alice:{PLAIN}alicepw::::::\n").unwrap();
    let maildir = dir.0.join("home/alice/Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (index, message) in messages.iter().enumerate() {
        std::fs::write(
            maildir.join(format!("new/17000000{index:02}.M1P1.mailwire")),
            message,
        )
        .unwrap();
    }
    assert!(run(
        "chown",
        &["-R", "vmail:vmail", dir.0.join("home").to_str().unwrap()]
    ));
    let (pop3, pop3s) = (free_port(), free_port());
    let config = write_config(&dir.0, pop3, pop3s);
    let child = Command::new("timeout")
        .args(["120", "dovecot", "-F", "-c", &config])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = DovecotGuard { child, config };
    for port in [pop3, pop3s] {
        let mut listening = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                listening = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            listening,
            "dovecot did not listen on {port}:\n{}",
            std::fs::read_to_string(dir.0.join("dovecot.log")).unwrap_or_default()
        );
    }
    Some(Dovecot {
        _guard: guard,
        dir,
        pop3,
        pop3s,
        cert_pem: tls.cert_pem,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_against_dovecot_stls_and_pop3s() {
    let large = large();
    let Some(dovecot) = start_dovecot(&[FIRST.to_string(), large.clone()]).await else {
        return;
    };
    let first = FIRST.replace('\n', "\r\n").into_bytes();
    let large = large.replace('\n', "\r\n").into_bytes();
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        // STLS on the pop3 listener.
        let mut session = Pop3Session::builder("localhost")
            .port(dovecot.pop3)
            .ca_pem(dovecot.cert_pem.as_bytes().to_vec())
            .connect()
            .await
            .unwrap();
        assert!(!session.capabilities().contains(&Capability::Stls));
        assert!(session.capabilities().contains(&Capability::Uidl));
        session.login("alice", "alicepw").await.unwrap();
        let listed = session.list().await.unwrap();
        assert_eq!(listed.len(), 2);
        let sizes: Vec<u64> = listed.iter().map(|m| m.size).collect();
        assert_eq!(sizes, [first.len() as u64, large.len() as u64]);
        assert!(listed.iter().all(|m| m.uid.is_some()));
        let first_uid = listed[0].uid.clone().unwrap();

        // Half a retrieval, dropped; then the whole of it, streamed.
        {
            let mut stream = session.retrieve(listed[1].number);
            let chunk = stream.next().await.unwrap().unwrap();
            assert!(large.starts_with(&chunk));
        }
        let mut octets = Vec::new();
        let mut stream = session.retrieve(listed[1].number);
        while let Some(chunk) = stream.next().await {
            octets.extend_from_slice(&chunk.unwrap());
        }
        drop(stream);
        assert_eq!(octets, large, "dot-unstuffed, byte for byte");
        assert_eq!(
            session.retrieve_to_vec(listed[0].number).await.unwrap(),
            first
        );
        session.delete(listed[0].number).await.unwrap();
        session.quit().await.unwrap();

        // Implicit TLS on the pop3s listener: the first message is gone.
        let mut session = Pop3Session::builder("localhost")
            .port(dovecot.pop3s)
            .implicit_tls()
            .ca_pem(dovecot.cert_pem.as_bytes().to_vec())
            .connect()
            .await
            .unwrap();
        session.login("alice", "alicepw").await.unwrap();
        let listed = session.list().await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_ne!(listed[0].uid.as_ref(), Some(&first_uid));
        assert_eq!(listed[0].size, large.len() as u64);
        let error = session.login("alice", "alicepw").await.unwrap_err();
        assert!(
            matches!(error, mailwire_pop3::session::MailboxError::Refused(_)),
            "a second login is refused: {error:?}"
        );
        session.quit().await.unwrap();
    })
    .await;
    assert!(result.is_ok(), "timed out; dovecot log:\n{}", dovecot.log());
    let left = std::fs::read_dir(dovecot.maildir().join("cur"))
        .unwrap()
        .count()
        + std::fs::read_dir(dovecot.maildir().join("new"))
            .unwrap()
            .count();
    assert_eq!(left, 1, "one message deleted, one left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dovecot_refuses_a_wrong_password() {
    let Some(dovecot) = start_dovecot(&[FIRST.to_string()]).await else {
        return;
    };
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        let mut session = Pop3Session::builder("localhost")
            .port(dovecot.pop3)
            .ca_pem(dovecot.cert_pem.as_bytes().to_vec())
            .connect()
            .await
            .unwrap();
        let error = session.login("alice", "wrong").await.unwrap_err();
        let mailwire_pop3::session::MailboxError::Refused(line) = error else {
            panic!("{error:?}");
        };
        assert!(!line.is_ok());
    })
    .await;
    assert!(result.is_ok(), "timed out; dovecot log:\n{}", dovecot.log());
}
