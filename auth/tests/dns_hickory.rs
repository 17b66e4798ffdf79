//! The evaluators driven by `HickoryDns` (feature `tokio`) against a DNS server on
//! 127.0.0.1 (hickory-server, the examples' test server): answers are mapped as the
//! evaluators need them (NXDOMAIN, no data, records), and SPF, DKIM and DMARC reach their
//! outcomes over the network.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../../examples/tests/common/dns_server.rs"]
mod dns_server;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::TokioResolver;
use mailwire_auth::dkim::{DkimConfig, DkimResult, DkimVerifier};
use mailwire_auth::dmarc::{DmarcEvaluator, DmarcResult, Policy, SpfIdentity};
use mailwire_auth::dns::{Answer, Question, Record, RecordType};
use mailwire_auth::spf::{SpfConfig, SpfEvaluator, SpfResult};
use mailwire_auth::tokio::{DriveError, HickoryDns};

use dns_server::TestDns;

/// RFC 8463 Appendix A.3's message, signed with Ed25519 and RSA.
const RFC8463_SIGNED: &str = concat!(
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n",
    " d=football.example.com; i=@football.example.com;\r\n",
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n",
    " subject : date : message-id : from : subject : date;\r\n",
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n",
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n",
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n",
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n",
    " d=football.example.com; i=@football.example.com;\r\n",
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n",
    " date : message-id : from : subject : date;\r\n",
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n",
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n",
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n",
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n",
    "From: Joe SixPack <joe@football.example.com>\r\n",
    "To: Suzie Q <suzie@shopping.example.net>\r\n",
    "Subject: Is dinner ready?\r\n",
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n",
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n",
    "\r\n",
    "Hi.\r\n",
    "\r\n",
    "We lost the game.  Are you hungry yet?\r\n",
    "\r\n",
    "Joe.\r\n",
    "\r\n",
);

fn resolver(server: &TestDns) -> HickoryDns {
    let servers =
        NameServerConfigGroup::from_ips_clear(&[server.address.ip()], server.address.port(), true);
    let config = ResolverConfig::from_parts(None, Vec::new(), servers);
    let mut options = ResolverOpts::default();
    options.use_hosts_file = ResolveHosts::Never;
    options.timeout = Duration::from_secs(5);
    options.ndots = 0;
    options.cache_size = 0;
    HickoryDns::new(
        TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            .with_options(options)
            .build(),
    )
}

async fn server() -> TestDns {
    TestDns::builder()
        .txt("example.test", "v=spf1 mx -all")
        .mx("example.test", 10, "mx.example.test")
        .a("mx.example.test", Ipv4Addr::new(192, 0, 2, 25))
        .txt(
            "brisbane._domainkey.football.example.com",
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        )
        .txt(
            "test._domainkey.football.example.com",
            concat!(
                "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR",
                "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC",
                "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3",
                "Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
            ),
        )
        .txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .start()
        .await
}

#[tokio::test]
async fn answers_are_mapped() {
    let server = server().await;
    let dns = resolver(&server);
    assert_eq!(
        dns.answer(&Question::new("example.test", RecordType::Txt))
            .await,
        Answer::Records(vec![Record::Txt("v=spf1 mx -all".to_owned())])
    );
    assert_eq!(
        dns.answer(&Question::new("example.test", RecordType::Mx))
            .await,
        Answer::Records(vec![Record::Mx {
            preference: 10,
            exchange: "mx.example.test".to_owned()
        }])
    );
    assert_eq!(
        dns.answer(&Question::new("mx.example.test", RecordType::Txt))
            .await,
        Answer::Records(Vec::new())
    );
    assert_eq!(
        dns.answer(&Question::new("nothing.example.test", RecordType::A))
            .await,
        Answer::NxDomain
    );
}

#[tokio::test]
async fn evaluators_reach_their_outcomes() {
    let server = server().await;
    let dns = resolver(&server);

    let pass = SpfEvaluator::mail_from(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 25)),
        "bounce@example.test",
        "mx.example.test",
        SpfConfig::default(),
    );
    assert_eq!(dns.check_spf(pass).await.result, SpfResult::Pass);
    let fail = SpfEvaluator::mail_from(
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
        "bounce@example.test",
        "mx.example.test",
        SpfConfig::default(),
    );
    assert_eq!(dns.check_spf(fail).await.result, SpfResult::Fail);

    let verifier = DkimVerifier::for_message(
        RFC8463_SIGNED.as_bytes(),
        DkimConfig::default(),
        1_790_910_000,
    );
    let outcomes = dns.verify_dkim(verifier).await.unwrap();
    assert_eq!(
        outcomes
            .iter()
            .map(|o| o.result.clone())
            .collect::<Vec<_>>(),
        [DkimResult::Pass, DkimResult::Pass]
    );
    let unfinished = DkimVerifier::new(DkimConfig::default(), 0);
    assert_eq!(
        dns.verify_dkim(unfinished).await,
        Err(DriveError::MessageNotFinished)
    );

    // The From domain football.example.com has no record; its organizational domain has.
    let dmarc = DmarcEvaluator::new(
        "football.example.com",
        Some(SpfIdentity {
            result: SpfResult::Fail,
            domain: "example.test".to_owned(),
        }),
        outcomes.iter().map(|o| o.dmarc_identity()).collect(),
        0,
    );
    let outcome = dns.check_dmarc(dmarc).await;
    assert_eq!(outcome.result, DmarcResult::Pass);
    assert_eq!(outcome.disposition, Policy::None);
    assert_eq!(outcome.policy_domain.as_deref(), Some("example.com"));
}
