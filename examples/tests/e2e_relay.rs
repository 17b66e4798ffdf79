//! The whole path to another domain, through two servers in this process: a message
//! submitted to server A for a user of `remote.example` is queued, the MX of
//! `remote.example` is looked up on a test DNS server, and A's relay hands it to server
//! B's MX listener, which delivers it (over a unix-socket LMTP agent) into the user's
//! Maildir. A recipient whose domain has a null MX (RFC 7505) bounces to the sender.
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

use std::net::Ipv4Addr;

use dns_server::TestDns;
use frontend::{
    peer, python, split_trace, test_config, tricky_body, wait_for_messages, TestServer, ALICE,
};
use mailwire_examples::dns::DnsConfig;
use mailwire_examples::inbound::Role;

const CAROL: (&str, &str) = ("carol@remote.example", "carol pw");

const SUBMIT: &str = r#"
import smtplib, ssl, sys
port, cafile, user, password, path = sys.argv[1:6]
context = ssl.create_default_context(cafile=cafile)
client = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
client.starttls(context=context)
client.ehlo("client.example")
client.login(user, password)
print("refused", client.sendmail(user, sys.argv[6:], open(path, "rb").read()))
client.quit()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submission_to_another_domain_is_relayed_by_mx_and_null_mx_bounces() {
    if !peer("python3") {
        return;
    }
    // Server B: the MX of remote.example, its delivery agent on a unix socket.
    let mut remote = test_config();
    remote.local_domains = vec![String::from("remote.example")];
    remote.demo_user = String::new();
    remote.postmaster = String::new();
    remote.hostname = String::from("mx.remote.example");
    remote.delivery.lmtp_listen = String::from("unix:lmtp.sock");
    let b = TestServer::start("relay-b", remote).await;
    b.running()
        .users()
        .set_password(CAROL.0, CAROL.1, &[3; 16])
        .unwrap();

    let dns = TestDns::builder()
        .mx("remote.example", 10, "mx.remote.example")
        .a("mx.remote.example", Ipv4Addr::LOCALHOST)
        .null_mx("nomail.example")
        .start()
        .await;
    // Server A: relays through the test DNS server to B's MX port.
    let mut local = test_config();
    local.relay.dns = DnsConfig::Nameserver(dns.address);
    local.relay.mx_port = b.port(Role::Mx);
    local.relay.helo_name = String::from("a.mailwire.test");
    let a = TestServer::start("relay-a", local).await;

    let message = format!(
        "From: alice@mailwire.test\r\nTo: carol@remote.example\r\nSubject: across\r\n\r\n{}",
        tricky_body()
    );
    let path = a.dir.path().join("across.eml");
    std::fs::write(&path, &message).unwrap();
    let port = a.port(Role::Submission).to_string();
    let cert = a.cert();
    let (ok, out, err) = python(
        SUBMIT,
        &[
            &port,
            cert.to_str().unwrap(),
            ALICE.0,
            ALICE.1,
            path.to_str().unwrap(),
            CAROL.0,
            "nobody@nomail.example",
        ],
    )
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("refused {}"), "{out}");

    // At B: A's Received, then B's; the rest as A passed it on (Date and Message-ID
    // added by A's submission), the body byte for byte.
    let delivered = wait_for_messages(&b.maildir(CAROL.0), 1).await;
    let (trace, rest) = split_trace(&delivered[0]);
    assert_eq!(trace[0], "Return-Path: <alice@mailwire.test>");
    assert_eq!(trace[1], "Delivered-To: carol@remote.example");
    assert!(
        trace[2].starts_with("Received: from a.mailwire.test ([127.0.0.1]) by mx.remote.example"),
        "{trace:?}"
    );
    assert!(
        trace[2].contains(" with ESMTPS "),
        "opportunistic STARTTLS: {trace:?}"
    );
    assert!(
        trace[3].starts_with("Received: from client.example"),
        "{trace:?}"
    );
    assert!(trace[3].contains(" with ESMTPSA "), "{trace:?}");
    let rest = String::from_utf8(rest).unwrap();
    let (head, body) = rest.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with(
        "From: alice@mailwire.test\r\nTo: carol@remote.example\r\nSubject: across\r\nDate: "
    ));
    assert!(head.contains("\r\nMessage-ID: <"), "{head}");
    assert_eq!(body, tricky_body());

    // The null-MX recipient failed at once: alice gets a notification from <>.
    let bounces = wait_for_messages(&a.maildir(ALICE.0), 1).await;
    let bounce = String::from_utf8_lossy(&bounces[0]);
    assert!(bounce.starts_with("Return-Path: <>\r\n"), "{bounce}");
    assert!(bounce.contains("multipart/report"), "{bounce}");
    assert!(bounce.contains("nobody@nomail.example"), "{bounce}");
    a.stop().await;
    b.stop().await;
}
