//! Our LMTP client (tokio `LmtpClient` on the client machine) delivering into Dovecot's
//! LMTP server (a delivery agent nobody here wrote): over TCP after STARTTLS, in BDAT
//! chunks, to two local users and an unknown one; then over Dovecot's unix socket with
//! DATA. Each message is then read back from each user's Maildir: our header and body
//! byte for byte (LF line ends, as Maildir stores them) after the fields Dovecot
//! prepends (Return-Path, Delivered-To, Received).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{free_port, peer_available, skip_or_fail, test_tls, TempDir};
use mailwire_lmtp::client::{client_config, DecidedBy, MailEnvelope, RecipientStatus};
use mailwire_lmtp::tokio::LmtpClient;
use mailwire_lmtp::types::{Capability, Host, Mailbox};
use tokio_rustls::rustls;

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

fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn write_config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    let config = format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         listen = 127.0.0.1\nprotocols = lmtp\nssl = yes\n\
         ssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\nssl_dh = </usr/share/dovecot/dh.pem\n\
         mail_location = maildir:~/Maildir\n\
         default_internal_user = dovecot\ndefault_login_user = dovenull\n\
         passdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n}}\n\
         userdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n  \
         default_fields = uid=vmail gid=vmail home={d}/home/%n\n}}\n\
         service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
         unix_listener lmtp {{\n    mode = 0666\n  }}\n}}\n"
    );
    let path = dir.join("dovecot.conf");
    std::fs::write(&path, config).unwrap();
    path.display().to_string()
}

/// The messages in a user's Maildir `new/`, oldest first.
fn maildir_messages(home: &Path, user: &str) -> Vec<Vec<u8>> {
    let new = home.join(user).join("Maildir/new");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    // Maildir names start with the delivery time in seconds, then a sequence part.
    files.sort_by_key(|path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .zip(Some(path.clone()))
    });
    files
        .iter()
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

/// Splits a stored message at the end of the fields Dovecot prepended: every field
/// before our first one (`From:`).
fn split_prepended(stored: &[u8]) -> (String, Vec<u8>) {
    let text = String::from_utf8_lossy(stored);
    let ours = text
        .find("\nFrom: ")
        .map(|at| at + 1)
        .unwrap_or_else(|| panic!("our header is not in:\n{text}"));
    (text[..ours].to_string(), stored[ours..].to_vec())
}

fn mailbox(text: &str) -> Mailbox<'static> {
    Mailbox::parse(text).unwrap().into_owned()
}

const FIRST: &[u8] = b"From: chris@bar.test\r\nTo: alice@example.test, bob@example.test\r\n\
Subject: lmtp interop\r\nMessage-ID: <lmtp-1@bar.test>\r\n\r\nfirst body line\r\n\
.leading dot\r\n..\r\n\r\nlast line\r\n";

const SECOND: &[u8] = b"From: chris@bar.test\r\nTo: alice@example.test\r\n\
Subject: over the unix socket\r\nMessage-ID: <lmtp-2@bar.test>\r\n\r\nsecond\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_delivers_into_dovecot_lmtp() {
    if !peer_available("dovecot") || !peer_available("doveadm") {
        return;
    }
    if !Path::new("/usr/lib/dovecot/lmtp").exists() {
        return skip_or_fail("dovecot-lmtpd is not installed");
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
        return skip_or_fail("no vmail user and useradd failed");
    }
    let dir = TempDir::new("dovecot");
    // Dovecot's unprivileged processes must traverse the folder.
    assert!(run("chmod", &["755", dir.0.to_str().unwrap()]));
    let tls = test_tls();
    std::fs::write(dir.0.join("cert.pem"), &tls.cert_pem).unwrap();
    std::fs::write(dir.0.join("key.pem"), &tls.key_pem).unwrap();
    std::fs::write(
        dir.0.join("users"),
        "alice:{PLAIN}alicepw::::::\nbob:{PLAIN}bobpw::::::\n",
    )
    .unwrap();
    let home = dir.0.join("home");
    std::fs::create_dir_all(&home).unwrap();
    assert!(run("chown", &["-R", "vmail:vmail", home.to_str().unwrap()]));
    let port = free_port();
    let config = write_config(&dir.0, port);
    let child = Command::new("timeout")
        .args(["120", "dovecot", "-F", "-c", &config])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = DovecotGuard { child, config };
    let log = || std::fs::read_to_string(dir.0.join("dovecot.log")).unwrap_or_default();
    let address = format!("127.0.0.1:{port}");
    let socket = dir.0.join("run/lmtp");
    let mut listening = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&address).is_ok() && socket.exists() {
            listening = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(listening, "dovecot did not listen:\n{}", log());

    let hello = || client_config(Host::new("bar.test").unwrap().into_owned());
    let session = async {
        // TCP, upgraded with STARTTLS (certificate checked against our rcgen one).
        let client = LmtpClient::connect_tcp(address.as_str(), hello())
            .await
            .unwrap();
        let capabilities = client.capabilities().unwrap().clone();
        assert!(
            capabilities
                .capabilities()
                .contains(&Capability::Pipelining),
            "{capabilities:?}"
        );
        for offered in [Capability::StartTls, Capability::Chunking] {
            assert!(
                capabilities.capabilities().contains(&offered),
                "{capabilities:?}"
            );
        }
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let connector = tls.connector.clone();
        let mut client = client
            .starttls(|plain| connector.connect(name, plain))
            .await
            .unwrap();
        assert!(client.machine().is_tls());
        let envelope = MailEnvelope::new(mailbox("chris@bar.test"))
            .to(mailbox("alice@example.test"))
            .to(mailbox("nobody@example.test"))
            .to(mailbox("bob@example.test"));
        // In BDAT chunks (Dovecot offers CHUNKING): its replies come after the last.
        let chunks = FIRST.chunks(16).map(bytes::Bytes::copy_from_slice);
        let report = client.deliver_chunks(envelope, chunks).await.unwrap();
        let summary: Vec<(String, RecipientStatus, DecidedBy, u16)> = report
            .recipients
            .iter()
            .map(|r| {
                (
                    r.recipient.to_string(),
                    r.status,
                    r.decided_by,
                    r.code().unwrap().get(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "<alice@example.test>".into(),
                    RecipientStatus::Accepted,
                    DecidedBy::Delivery,
                    250
                ),
                (
                    "<nobody@example.test>".into(),
                    RecipientStatus::Rejected,
                    DecidedBy::Rcpt,
                    550
                ),
                (
                    "<bob@example.test>".into(),
                    RecipientStatus::Accepted,
                    DecidedBy::Delivery,
                    250
                ),
            ],
            "{report:#?}"
        );
        assert_eq!(
            report.recipients[1].enhanced().unwrap().to_string(),
            "5.1.1"
        );
        client.quit().await.unwrap();

        // Dovecot's unix socket, the way an MTA on the same host reaches it; DATA this
        // time.
        let mut config = hello();
        config.use_chunking = false;
        let mut client = LmtpClient::connect_unix(&socket, config).await.unwrap();
        let envelope =
            MailEnvelope::new(mailbox("chris@bar.test")).to(mailbox("alice@example.test"));
        let report = client.deliver(envelope, SECOND).await.unwrap();
        assert!(report.all_delivered(), "{report:#?}");
        client.quit().await.unwrap();
    };
    let finished = tokio::time::timeout(Duration::from_secs(60), session).await;
    assert!(finished.is_ok(), "timed out; dovecot log:\n{}", log());

    // What Dovecot stored: its own fields first, then our message, unstuffed, with the
    // LF line ends Maildir files have (`mail_save_crlf = no`, Dovecot's default).
    let alice = maildir_messages(&home, "alice");
    let bob = maildir_messages(&home, "bob");
    assert_eq!(alice.len(), 2, "dovecot log:\n{}", log());
    assert_eq!(bob.len(), 1, "dovecot log:\n{}", log());
    // Dovecot writes Delivered-To only for a message with a single recipient
    // (`lmtp_hdr_delivery_address = final`).
    for (stored, delivered_to, ours) in [
        (&alice[0], None, FIRST),
        (&bob[0], None, FIRST),
        (&alice[1], Some("alice"), SECOND),
    ] {
        let (prepended, rest) = split_prepended(stored);
        assert!(
            prepended.starts_with("Return-Path: <chris@bar.test>"),
            "{prepended}"
        );
        if let Some(user) = delivered_to {
            assert!(
                prepended.contains(&format!("\nDelivered-To: {user}@example.test\n")),
                "{prepended}"
            );
        }
        assert!(prepended.contains("Received: from bar.test"), "{prepended}");
        let expected_lf = String::from_utf8(ours.to_vec())
            .unwrap()
            .replace("\r\n", "\n")
            .into_bytes();
        assert_eq!(
            String::from_utf8_lossy(&rest),
            String::from_utf8_lossy(&expected_lf)
        );
    }
    assert!(maildir_messages(&home, "nobody").is_empty());
}
