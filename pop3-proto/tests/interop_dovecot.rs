//! Our client (the tokio `Pop3Client` on the client machine) against Dovecot's POP3
//! server: STLS with certificate checking, pipelined USER/PASS, STAT, LIST, UIDL, RETR
//! byte for byte, TOP, DELE, and a second session to see the message gone.
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
use std::sync::Arc;
use std::time::Duration;

use common::{free_port, peer_available};
use mailwire_pop3::client::ClientConfig;
use mailwire_pop3::tokio::Pop3Client;
use mailwire_pop3::types::{Capability, MessageNumber};
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
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The message as stored in the Maildir (LF line ends, as Dovecot stores mail).
const STORED: &str = "From: carol@example.test\nTo: alice@example.test\nSubject: interop\nMessage-ID: <1@example.test>\n\nfirst body line\n.leading dot\n..\nlast line\n";

fn write_config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    let config = format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         listen = 127.0.0.1\nprotocols = pop3\nssl = yes\n\
         ssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\nssl_dh = </usr/share/dovecot/dh.pem\n\
         disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
         mail_location = maildir:~/Maildir\n\
         default_internal_user = dovecot\ndefault_login_user = dovenull\n\
         pop3_uidl_format = %08Xu%08Xv\n\
         passdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n}}\n\
         userdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n  \
         default_fields = uid=vmail gid=vmail home={d}/home/%n\n}}\n\
         service pop3-login {{\n  inet_listener pop3 {{\n    port = {port}\n  }}\n  \
         inet_listener pop3s {{\n    port = 0\n  }}\n}}\n"
    );
    let path = dir.join("dovecot.conf");
    std::fs::write(&path, config).unwrap();
    path.display().to_string()
}

fn connector(tls: &net::TestTls) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    let mut reader = tls.cert_pem.as_bytes();
    for certificate in rustls_pemfile::certs(&mut reader) {
        roots.add(certificate.unwrap()).unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_dovecot_pop3() {
    if !peer_available("dovecot") || !peer_available("doveadm") {
        return;
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
    let dir = net::TempDir::new("dovecot");
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
    std::fs::write(maildir.join("new/1700000000.M1P1.mailwire"), STORED).unwrap();
    assert!(run(
        "chown",
        &["-R", "vmail:vmail", dir.0.join("home").to_str().unwrap()]
    ));
    let port = free_port();
    let config = write_config(&dir.0, port);
    let child = Command::new("timeout")
        .args(["120", "dovecot", "-F", "-c", &config])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = DovecotGuard { child, config };
    let address = format!("127.0.0.1:{port}");
    let mut tcp = None;
    for _ in 0..100 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&address).await {
            tcp = Some(stream);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = || std::fs::read_to_string(dir.0.join("dovecot.log")).unwrap_or_default();
    let tcp = tcp.unwrap_or_else(|| panic!("dovecot did not listen:\n{}", log()));

    let expected = STORED.replace('\n', "\r\n").into_bytes();
    let one = MessageNumber::new(1).unwrap();
    let result = tokio::time::timeout(Duration::from_secs(60), async {
        let (client, greeting) = Pop3Client::connect(tcp, ClientConfig::default())
            .await
            .unwrap();
        assert!(greeting.is_ok());
        let mut client = client;
        let capabilities = client.capa().await.unwrap();
        assert!(capabilities.contains(&Capability::Stls), "{capabilities:?}");
        let tls_connector = connector(&tls);
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut client = client
            .stls(|plain| tls_connector.connect(name, plain))
            .await
            .unwrap();
        let capabilities = client.capa().await.unwrap();
        assert!(!capabilities.contains(&Capability::Stls));
        assert!(capabilities.contains(&Capability::Pipelining));
        assert!(client.driver_mut().machine().server_pipelining());
        client.login("alice", "alicepw").await.unwrap();
        let stat = client.stat().await.unwrap();
        assert_eq!((stat.count, stat.size), (1, expected.len() as u64));
        let list = client.list().await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].size, expected.len() as u64);
        let uidl = client.uidl().await.unwrap();
        assert_eq!(uidl.len(), 1);
        let unique_id = uidl[0].unique_id.as_str().to_string();
        assert_eq!(client.retr(one).await.unwrap(), expected);
        let top = client.top(one, 0).await.unwrap();
        let header_end = STORED.find("\n\n").unwrap() + 2;
        assert_eq!(top, STORED[..header_end].replace('\n', "\r\n").into_bytes());
        let top = client.top(one, 2).await.unwrap();
        assert!(top.ends_with(b"first body line\r\n.leading dot\r\n"));
        client.dele(one).await.unwrap();
        assert!(matches!(
            client.retr(one).await,
            Err(mailwire_pop3::tokio::Pop3Error::Refused(_))
        ));
        client.quit().await.unwrap();

        // A second session: the message is gone.
        let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
        let (mut client, _) = Pop3Client::connect(tcp, ClientConfig::default())
            .await
            .unwrap();
        client.login("alice", "alicepw").await.unwrap();
        assert_eq!(client.stat().await.unwrap().count, 0);
        assert!(client
            .uidl()
            .await
            .unwrap()
            .iter()
            .all(|l| l.unique_id.as_str() != unique_id));
        client.quit().await.unwrap();
    })
    .await;
    assert!(result.is_ok(), "timed out; dovecot log:\n{}", log());
    assert!(std::fs::read_dir(maildir.join("new"))
        .unwrap()
        .next()
        .is_none());
    assert!(std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .next()
        .is_none());
}
