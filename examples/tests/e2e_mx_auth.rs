//! Sender authentication on the MX listener against a test DNS server (hickory-server,
//! tests/common/dns_server.rs): SPF, DKIM and DMARC results in an
//! Authentication-Results field on top of the delivered message, a DMARC fail under
//! `p=reject` refused with 550 5.7.1 and not delivered, an SPF fail alone accepted, and
//! a silent name server costing a bounded wait and a `temperror`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/dns_server.rs"]
mod dns_server;
#[path = "common/frontend.rs"]
mod frontend;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use dns_server::TestDns;
use frontend::{read_messages, test_config, wait_for_messages, Raw, TestServer, BOB};
use mailwire_auth::dkim::{DkimSigner, DkimSigningKey};
use mailwire_examples::dns::DnsConfig;
use mailwire_examples::inbound::Role;

const SELECTOR: &str = "sel";

fn signing_key() -> DkimSigningKey {
    DkimSigningKey::ed25519_seed(&[9u8; 32]).unwrap()
}

/// good.test: SPF passes 127.0.0.1, its mail is signed, DMARC p=reject.
/// bad.test: SPF fails everyone, DMARC p=reject. soft.test: SPF fails everyone,
/// DMARC p=none.
async fn zone() -> TestDns {
    TestDns::builder()
        .txt("good.test", "v=spf1 ip4:127.0.0.1 -all")
        .txt("_dmarc.good.test", "v=DMARC1; p=reject")
        .txt(
            &format!("{SELECTOR}._domainkey.good.test"),
            &signing_key().dns_record(),
        )
        .txt("bad.test", "v=spf1 -all")
        .txt("_dmarc.bad.test", "v=DMARC1; p=reject")
        .txt("soft.test", "v=spf1 -all")
        .txt("_dmarc.soft.test", "v=DMARC1; p=none")
        .start()
        .await
}

async fn server(name: &str, dns: SocketAddr) -> TestServer {
    let mut config = test_config();
    config.hostname = String::from("mx.mailwire.test");
    config.mx_auth.enabled = true;
    config.mx_auth.timeout_secs = 5;
    config.relay.dns = DnsConfig::Nameserver(dns);
    config.relay.dns_timeout_secs = 1;
    TestServer::start(name, config).await
}

fn message(from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: <{from}>\r\nTo: <{}>\r\nSubject: {subject}\r\n\
         Date: Sun, 22 Nov 2026 05:00:00 +0000\r\nMessage-ID: <{subject}@test>\r\n\r\n\
         Hello from {from}.\r\n",
        BOB.0
    )
    .into_bytes()
}

fn signed(from: &str, subject: &str) -> Vec<u8> {
    let domain = from.rsplit_once('@').unwrap().1;
    let signer = DkimSigner::new(signing_key(), domain, SELECTOR);
    let plain = message(from, subject);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut out = signer.sign(&plain, now).unwrap().into_bytes();
    out.extend_from_slice(&plain);
    out
}

/// Sends one message in an open session; gives the reply to the final dot.
async fn send(raw: &mut Raw<tokio::net::TcpStream>, mail_from: &str, data: &[u8]) -> (u16, String) {
    assert_eq!(
        raw.command(&format!("MAIL FROM:<{mail_from}>")).await.code,
        250
    );
    assert_eq!(raw.command(&format!("RCPT TO:<{}>", BOB.0)).await.code, 250);
    assert_eq!(raw.command("DATA").await.code, 354);
    raw.send(data).await;
    let end = raw.command(".").await;
    (end.code, end.text())
}

/// The Authentication-Results field of a delivered message, unfolded.
fn auth_results(message: &[u8]) -> String {
    let text = String::from_utf8_lossy(message);
    let header = text.split("\r\n\r\n").next().unwrap();
    let unfolded = header.replace("\r\n\t", " ").replace("\r\n ", " ");
    let fields: Vec<&str> = unfolded
        .lines()
        .filter(|line| line.starts_with("Authentication-Results:"))
        .collect();
    assert_eq!(fields.len(), 1, "{header}");
    fields[0].to_owned()
}

/// True when some file under `dir` contains `needle`.
fn any_file_contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            any_file_contains(&path, needle)
        } else {
            std::fs::read(&path)
                .map(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
                .unwrap_or(false)
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_mail_from_an_spf_pass_domain_passes_all_three() {
    let dns = zone().await;
    let server = server("mxauth-pass", dns.address).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    assert_eq!(raw.reply().await.code, 220);
    assert_eq!(raw.command("EHLO client.good.test").await.code, 250);
    let sent = signed("alice@good.test", "signed");
    let (code, text) = send(&mut raw, "alice@good.test", &sent).await;
    assert_eq!(code, 250, "{text}");
    raw.command("QUIT").await;

    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    let field = auth_results(&delivered[0]);
    assert!(
        field.starts_with("Authentication-Results: mx.mailwire.test;"),
        "{field}"
    );
    assert!(
        field.contains("spf=pass smtp.mailfrom=alice@good.test;"),
        "{field}"
    );
    assert!(
        field.contains("dkim=pass header.d=good.test header.s=sel header.a=ed25519-sha256;"),
        "{field}"
    );
    assert!(
        field.contains("dmarc=pass header.from=good.test"),
        "{field}"
    );
    // The message itself follows unchanged.
    assert!(
        delivered[0].ends_with(&sent),
        "the sent message is kept whole"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dmarc_fail_under_p_reject_is_refused_and_not_delivered() {
    let dns = zone().await;
    let server = server("mxauth-reject", dns.address).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    assert_eq!(raw.reply().await.code, 220);
    assert_eq!(raw.command("EHLO client.bad.test").await.code, 250);
    let (code, text) = send(
        &mut raw,
        "mallory@bad.test",
        &message("mallory@bad.test", "refused-by-dmarc"),
    )
    .await;
    assert_eq!(code, 550, "{text}");
    assert!(text.starts_with("5.7.1 "), "{text}");
    // The session goes on: a passing message afterwards is the only one delivered.
    let (code, text) = send(
        &mut raw,
        "alice@good.test",
        &signed("alice@good.test", "after-the-refusal"),
    )
    .await;
    assert_eq!(code, 250, "{text}");
    raw.command("QUIT").await;

    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    // A little longer, in case the refused one were on its way.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered_now = read_messages(&server.maildir(BOB.0));
    assert_eq!(delivered_now.len(), 1);
    assert_eq!(delivered_now, delivered);
    let text = String::from_utf8_lossy(&delivered[0]);
    assert!(text.contains("Subject: after-the-refusal"), "{text}");
    // Nothing of the refused message is left in the data folder (spool included).
    assert!(!any_file_contains(
        server.dir.path(),
        b"Subject: refused-by-dmarc"
    ));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_spf_fail_alone_under_p_none_is_accepted_and_marked() {
    let dns = zone().await;
    let server = server("mxauth-spf-fail", dns.address).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    assert_eq!(raw.reply().await.code, 220);
    assert_eq!(raw.command("EHLO client.soft.test").await.code, 250);
    let (code, text) = send(
        &mut raw,
        "someone@soft.test",
        &message("someone@soft.test", "spf-fail"),
    )
    .await;
    assert_eq!(code, 250, "{text}");
    raw.command("QUIT").await;

    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    let field = auth_results(&delivered[0]);
    assert!(
        field.contains("spf=fail smtp.mailfrom=someone@soft.test;"),
        "{field}"
    );
    assert!(field.contains("dkim=none;"), "{field}");
    assert!(
        field.contains("dmarc=fail header.from=soft.test"),
        "{field}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_name_server_costs_a_bounded_wait_and_gives_temperror() {
    // A UDP socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut config = test_config();
    config.mx_auth.enabled = true;
    config.mx_auth.timeout_secs = 2;
    config.relay.dns = DnsConfig::Nameserver(silent.local_addr().unwrap());
    config.relay.dns_timeout_secs = 1;
    let server = TestServer::start("mxauth-silent", config).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    assert_eq!(raw.reply().await.code, 220);
    assert_eq!(raw.command("EHLO client.good.test").await.code, 250);
    let started = Instant::now();
    let (code, text) = send(
        &mut raw,
        "alice@good.test",
        &signed("alice@good.test", "no-dns"),
    )
    .await;
    let waited = started.elapsed();
    assert_eq!(code, 250, "{text}");
    assert!(waited < Duration::from_secs(8), "waited {waited:?}");
    raw.command("QUIT").await;

    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    let field = auth_results(&delivered[0]);
    assert!(field.contains("spf=temperror"), "{field}");
    assert!(field.contains("dmarc=temperror"), "{field}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spf_reject_refuses_at_mail_from_before_any_data() {
    let dns = zone().await;
    let mut config = test_config();
    config.hostname = String::from("mx.mailwire.test");
    config.mx_auth.enabled = true;
    config.mx_auth.spf_reject = true;
    config.mx_auth.timeout_secs = 5;
    config.relay.dns = DnsConfig::Nameserver(dns.address);
    config.relay.dns_timeout_secs = 1;
    let server = TestServer::start("mxauth-spf-reject", config).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    assert_eq!(raw.reply().await.code, 220);
    assert_eq!(raw.command("EHLO client.soft.test").await.code, 250);
    let refused = raw.command("MAIL FROM:<someone@soft.test>").await;
    assert_eq!(refused.code, 550, "{}", refused.text());
    assert!(refused.text().contains("5.7.23"), "{}", refused.text());
    // No transaction: RCPT is out of sequence.
    assert_eq!(raw.command(&format!("RCPT TO:<{}>", BOB.0)).await.code, 503);
    // A sender whose domain passes SPF goes through in the same session.
    let (code, text) = send(
        &mut raw,
        "alice@good.test",
        &signed("alice@good.test", "after-refusal"),
    )
    .await;
    assert_eq!(code, 250, "{text}");
    raw.command("QUIT").await;

    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    assert_eq!(delivered.len(), 1);
    let field = auth_results(&delivered[0]);
    assert!(
        field.contains("spf=pass smtp.mailfrom=alice@good.test"),
        "{field}"
    );
    server.stop().await;
}
