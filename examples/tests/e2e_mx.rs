//! The MX listener (port 25 role) end to end: never an open relay, unknown users refused
//! at RCPT, the SIZE limit, the Received field, and the optional PTR and DNSBL checks
//! against a test DNS server (hickory-server, tests/common/dns_server.rs).
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

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use dns_server::TestDns;
use frontend::{
    peer, python, run_peer, split_trace, test_config, tricky_body, wait_for_messages, Raw,
    TestServer, ALICE, BOB,
};
use mailwire_examples::config::PolicyConfig;
use mailwire_examples::dns::{Dns, DnsConfig};
use mailwire_examples::inbound::policy::{ClientPolicy, Verdict};
use mailwire_examples::inbound::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relaying_is_refused_unknown_users_at_rcpt_and_local_mail_delivered() {
    let server = TestServer::start("mx-relay", test_config()).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    assert_eq!(raw.reply().await.code, 220);
    let ehlo = raw.command("EHLO sender.example").await;
    assert!(
        !ehlo.lines.iter().any(|l| l.starts_with("AUTH")),
        "{ehlo:?}"
    );
    assert!(ehlo.lines.iter().any(|l| l == "STARTTLS"), "{ehlo:?}");
    assert_eq!(
        raw.command("MAIL FROM:<someone@sender.example>").await.code,
        250
    );
    for remote in [
        "<victim@elsewhere.example>",
        "<victim@[192.0.2.1]>",
        "<@mailwire.test:victim@elsewhere.example>",
    ] {
        let reply = raw.command(&format!("RCPT TO:{remote}")).await;
        assert_eq!(reply.code, 554, "{remote}: {reply:?}");
        assert_eq!(reply.text(), "5.7.1 Relay access denied");
    }
    let unknown = raw.command("RCPT TO:<nobody@mailwire.test>").await;
    assert_eq!(
        (unknown.code, unknown.text().as_str()),
        (550, "5.1.1 User unknown")
    );
    // Local users are found whatever the case of the address.
    assert_eq!(raw.command("RCPT TO:<Bob@MailWire.Test>").await.code, 250);
    assert_eq!(raw.command("DATA").await.code, 354);
    raw.send(b"Subject: from the outside\r\n\r\n..dot\r\nbody\r\n.\r\n")
        .await;
    let accepted = raw.reply().await;
    assert_eq!(accepted.code, 250, "{accepted:?}");
    // No recipient accepted: DATA is refused, nothing is queued.
    assert_eq!(raw.command("MAIL FROM:<>").await.code, 250);
    assert_eq!(raw.command("RCPT TO:<x@elsewhere.example>").await.code, 554);
    assert_eq!(raw.command("DATA").await.code, 554);
    assert_eq!(raw.command("QUIT").await.code, 221);

    let delivered = wait_for_messages(&server.maildir(BOB.0), 1).await;
    let (trace, rest) = split_trace(&delivered[0]);
    assert_eq!(rest, b"Subject: from the outside\r\n\r\n.dot\r\nbody\r\n");
    assert_eq!(trace[0], "Return-Path: <someone@sender.example>");
    assert!(
        trace[2].starts_with(
            "Received: from sender.example ([127.0.0.1]) by localhost (mailwire) with ESMTP id "
        ),
        "{trace:?}"
    );
    assert!(trace[2].contains(" for <bob@mailwire.test>; "), "{trace:?}");
    // The MX adds no Date or Message-ID (RFC 6409 §8 is for submission).
    assert!(!String::from_utf8_lossy(&rest).contains("Message-ID"));
    // Delivered, so it leaves the queue.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !server.running().queue().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the queue keeps a delivered message"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postmaster_is_accepted_for_every_local_domain() {
    let mut config = test_config();
    config.local_domains.push(String::from("second.test"));
    let server = TestServer::start("mx-postmaster", config).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    raw.reply().await;
    raw.command("HELO old.example").await;
    assert_eq!(raw.command("MAIL FROM:<>").await.code, 250);
    for postmaster in [
        "<Postmaster>",
        "<postmaster@second.test>",
        "<POSTMASTER@mailwire.test>",
    ] {
        assert_eq!(
            raw.command(&format!("RCPT TO:{postmaster}")).await.code,
            250,
            "{postmaster}"
        );
    }
    assert_eq!(raw.command("DATA").await.code, 354);
    raw.send(b"Subject: bounce\r\n\r\nreport\r\n.\r\n").await;
    assert_eq!(raw.reply().await.code, 250);
    // One copy per recipient, all to the postmaster (alice); HELO gives plain SMTP.
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 3).await;
    let (trace, _) = split_trace(&delivered[0]);
    assert_eq!(trace[0], "Return-Path: <>");
    assert!(trace[2].contains(" with SMTP id "), "{trace:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_size_limit_is_advertised_and_enforced() {
    let mut config = test_config();
    config.mx.max_message_size = 10_000;
    let server = TestServer::start("mx-size", config).await;
    let mut raw = Raw::connect(server.address(Role::Mx)).await;
    raw.reply().await;
    let ehlo = raw.command("EHLO sender.example").await;
    assert!(ehlo.lines.iter().any(|l| l == "SIZE 10000"), "{ehlo:?}");
    let declared = raw.command("MAIL FROM:<a@sender.example> SIZE=20000").await;
    assert_eq!(declared.code, 552, "{declared:?}");
    assert_eq!(raw.command("MAIL FROM:<a@sender.example>").await.code, 250);
    assert_eq!(raw.command("RCPT TO:<alice@mailwire.test>").await.code, 250);
    assert_eq!(raw.command("DATA").await.code, 354);
    let line = format!("{}\r\n", "y".repeat(98));
    raw.send(b"Subject: big\r\n\r\n").await;
    for _ in 0..200 {
        raw.send(line.as_bytes()).await;
    }
    raw.send(b".\r\n").await;
    let refused = raw.reply().await;
    assert_eq!(refused.code, 552, "{refused:?}");
    // The session goes on: a small message passes.
    assert_eq!(raw.command("MAIL FROM:<a@sender.example>").await.code, 250);
    assert_eq!(raw.command("RCPT TO:<alice@mailwire.test>").await.code, 250);
    assert_eq!(raw.command("DATA").await.code, 354);
    raw.send(b"Subject: small\r\n\r\nok\r\n.\r\n").await;
    assert_eq!(raw.reply().await.code, 250);
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 1).await;
    assert!(String::from_utf8_lossy(&delivered[0]).contains("Subject: small"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_on_the_mx_gives_esmtps_and_smtplib_delivers_byte_identical() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::start("mx-tls", test_config()).await;
    let script = r#"
import smtplib, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
client = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="relay.example", timeout=30)
client.starttls(context=context)
client.ehlo("relay.example")
print("refused", client.sendmail("a@relay.example", ["alice@mailwire.test", "bob@elsewhere.example"], open(sys.argv[3], "rb").read()))
"#;
    let message = format!(
        "Subject: over TLS\r\nMessage-ID: <m@relay.example>\r\n\r\n{}",
        tricky_body()
    );
    let path = server.dir.path().join("mx.eml");
    std::fs::write(&path, &message).unwrap();
    let port = server.port(Role::Mx).to_string();
    let cert = server.cert();
    let (ok, out, err) = python(
        script,
        &[&port, cert.to_str().unwrap(), path.to_str().unwrap()],
    )
    .await;
    assert!(ok, "{out}\n{err}");
    assert!(
        out.contains("'bob@elsewhere.example': (554, b'5.7.1 Relay access denied')"),
        "{out}"
    );
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 1).await;
    let (trace, rest) = split_trace(&delivered[0]);
    assert_eq!(rest, message.as_bytes());
    assert!(trace[2].contains(" with ESMTPS (TLSv1_3 "), "{trace:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_to_the_mx_with_pipelining() {
    if !peer("swaks") {
        return;
    }
    let server = TestServer::start("mx-swaks", test_config()).await;
    let (ok, out, err) = run_peer(
        "swaks",
        &[
            "--server",
            &server.address(Role::Mx).to_string(),
            "--from",
            "sender@outside.example",
            "--to",
            "alice@mailwire.test,nobody@mailwire.test",
            "--pipeline",
            "--body",
            "pipelined",
        ],
        b"",
    )
    .await;
    // swaks exits non-zero when a recipient is refused; the other is delivered.
    let _ = ok;
    assert!(out.contains("<** 550 5.1.1 User unknown"), "{out}\n{err}");
    assert!(out.contains("250 2.0.0 Ok: queued as"), "{out}\n{err}");
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 1).await;
    let text = String::from_utf8_lossy(&delivered[0]);
    // swaks ends its body with an empty line of its own.
    assert!(text.contains("\r\n\r\npipelined\r\n"), "{text:?}");
    server.stop().await;
}

const LISTED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const UNLISTED: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// Greets from `source`: the greeting reply.
async fn greeting_from(
    server: &TestServer,
    source: Ipv4Addr,
) -> (frontend::RawReply, Raw<tokio::net::TcpStream>) {
    let mut raw = Raw::connect_from(IpAddr::V4(source), server.address(Role::Mx)).await;
    (raw.reply().await, raw)
}

#[tokio::test]
async fn the_ptr_check_wants_forward_confirmed_reverse_dns() {
    // The policy itself, on documentation addresses the test DNS server knows:
    // 192.0.2.7 has a name that points back to it, 192.0.2.8's name points elsewhere,
    // 192.0.2.9 has no name at all.
    let dns = TestDns::builder()
        .ptr("192.0.2.7".parse().unwrap(), "client.example")
        .a("client.example", Ipv4Addr::new(192, 0, 2, 7))
        .ptr("192.0.2.8".parse().unwrap(), "liar.example")
        .a("liar.example", Ipv4Addr::new(198, 51, 100, 1))
        .start()
        .await;
    let policy_config = PolicyConfig {
        ptr_check: true,
        ..PolicyConfig::default()
    };
    let resolver = Dns::new(&DnsConfig::Nameserver(dns.address), Duration::from_secs(2)).unwrap();
    let policy = ClientPolicy::from_config(&policy_config, &resolver).unwrap();
    assert_eq!(
        policy.check("192.0.2.7".parse().unwrap()).await,
        Verdict::Accept {
            ptr_name: Some(String::from("client.example"))
        }
    );
    for refused in ["192.0.2.8", "192.0.2.9"] {
        let verdict = policy.check(refused.parse().unwrap()).await;
        assert!(
            matches!(verdict, Verdict::Refuse { .. }),
            "{refused}: {verdict:?}"
        );
    }
    // A name server that does not answer may answer later: try again later.
    let silent = Dns::new(
        &DnsConfig::Nameserver("127.0.0.1:9".parse().unwrap()),
        Duration::from_secs(1),
    )
    .unwrap();
    let policy = ClientPolicy::from_config(&policy_config, &silent).unwrap();
    let verdict = policy.check("192.0.2.7".parse().unwrap()).await;
    assert!(matches!(verdict, Verdict::TryLater { .. }), "{verdict:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mx_greets_only_clients_that_pass_the_ptr_check() {
    // Connections come from loopback, whose names the resolver answers itself (RFC
    // 6761): 127.0.0.1 is localhost and back, 127.0.0.2 is named localhost, which is
    // not 127.0.0.2.
    let dns = TestDns::builder().zone("unused.example").start().await;
    let mut config = test_config();
    config.mx_policy.ptr_check = true;
    config.relay.dns = DnsConfig::Nameserver(dns.address);
    let server = TestServer::start("mx-ptr", config).await;
    let (greeting, mut confirmed) = greeting_from(&server, Ipv4Addr::LOCALHOST).await;
    assert_eq!(greeting.code, 220, "{greeting:?}");
    confirmed.command("EHLO whatever.example").await;
    confirmed.command("MAIL FROM:<a@client.example>").await;
    confirmed.command("RCPT TO:<alice@mailwire.test>").await;
    confirmed.command("DATA").await;
    confirmed
        .send(b"Subject: confirmed\r\n\r\nhi\r\n.\r\n")
        .await;
    assert_eq!(confirmed.reply().await.code, 250);
    let delivered = wait_for_messages(&server.maildir(ALICE.0), 1).await;
    let (trace, _) = split_trace(&delivered[0]);
    // The confirmed name is in the Received field's TCP-info.
    assert!(
        trace[2].starts_with("Received: from whatever.example (localhost [127.0.0.1])"),
        "{trace:?}"
    );
    let (greeting, mut refused) = greeting_from(&server, LISTED).await;
    assert_eq!(greeting.code, 554, "{greeting:?}");
    assert!(
        greeting
            .text()
            .starts_with("5.7.1 Service unavailable; reverse DNS"),
        "{greeting:?}"
    );
    // Only QUIT is served after a refusing greeting.
    assert_eq!(refused.command("EHLO x.example").await.code, 503);
    assert_eq!(refused.command("QUIT").await.code, 221);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_on_a_dnsbl_is_refused_and_others_served() {
    let dns = TestDns::builder()
        .a("2.0.0.127.bl.example", Ipv4Addr::new(127, 0, 0, 2))
        .zone("bl.example")
        .start()
        .await;
    let mut config = test_config();
    config.mx_policy.dnsbl_zones = vec![String::from("bl.example")];
    config.relay.dns = DnsConfig::Nameserver(dns.address);
    let server = TestServer::start("mx-dnsbl", config).await;
    let (greeting, _) = greeting_from(&server, LISTED).await;
    assert_eq!(greeting.code, 554, "{greeting:?}");
    assert!(
        greeting.text().contains("listed in bl.example (127.0.0.2)"),
        "{greeting:?}"
    );
    let (greeting, mut served) = greeting_from(&server, UNLISTED).await;
    assert_eq!(greeting.code, 220, "{greeting:?}");
    assert_eq!(served.command("EHLO ok.example").await.code, 250);
    server.stop().await;

    // A blocklist that does not answer blocks no one.
    let mut config = test_config();
    config.mx_policy.dnsbl_zones = vec![String::from("bl.example")];
    config.relay.dns = DnsConfig::Nameserver("127.0.0.1:9".parse().unwrap());
    config.relay.dns_timeout_secs = 1;
    let server = TestServer::start("mx-dnsbl-down", config).await;
    let (greeting, _) = greeting_from(&server, LISTED).await;
    assert_eq!(greeting.code, 220, "{greeting:?}");
    server.stop().await;
}
