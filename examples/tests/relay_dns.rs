//! MX resolution through hickory against the test DNS server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/dns_server.rs"]
mod dns_server;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use dns_server::TestDns;
use mailwire_examples::dns::{Dns, DnsConfig, LookupError, MxRoute};
use mailwire_examples::queue::SeededRandom;

async fn server() -> TestDns {
    TestDns::builder()
        .mx("relay.test", 20, "backup.relay.test")
        .mx("relay.test", 10, "mx1.relay.test")
        .mx("relay.test", 10, "mx2.relay.test")
        .a("mx1.relay.test", Ipv4Addr::new(127, 0, 0, 1))
        .a("mx2.relay.test", Ipv4Addr::new(127, 0, 0, 2))
        .aaaa("mx2.relay.test", Ipv6Addr::LOCALHOST)
        .a("backup.relay.test", Ipv4Addr::new(127, 0, 0, 3))
        .a("nomx.test", Ipv4Addr::new(127, 0, 0, 4))
        .null_mx("nullmx.test")
        .txt("2.0.0.127.bl.test", "listed")
        .a("2.0.0.127.bl.test", Ipv4Addr::new(127, 0, 0, 2))
        .ptr(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)), "client.relay.test")
        .zone("empty.test")
        .start()
        .await
}

#[tokio::test]
async fn mx_records_are_ordered_by_preference_and_shuffled_among_equals() {
    let server = server().await;
    let dns = Dns::new(
        &DnsConfig::Nameserver(server.address),
        Duration::from_secs(2),
    )
    .unwrap();
    let mut first = std::collections::HashSet::new();
    for seed in 0..16 {
        let route = dns
            .mx("relay.test", &SeededRandom::new(seed))
            .await
            .unwrap();
        let MxRoute::Hosts(hosts) = route else {
            panic!("{route:?}")
        };
        let preferences: Vec<u16> = hosts.iter().map(|h| h.preference).collect();
        assert_eq!(preferences, [10, 10, 20]);
        assert_eq!(hosts[2].exchange, "backup.relay.test");
        first.insert(hosts[0].exchange.clone());
    }
    assert_eq!(first.len(), 2);
    let addresses = dns.addresses("mx2.relay.test").await.unwrap();
    assert_eq!(
        addresses,
        [
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))
        ]
    );
}

#[tokio::test]
async fn no_mx_null_mx_and_missing_domains() {
    let server = server().await;
    let dns = Dns::new(
        &DnsConfig::Nameserver(server.address),
        Duration::from_secs(2),
    )
    .unwrap();
    let random = SeededRandom::new(1);
    assert_eq!(
        dns.mx("nomx.test", &random).await.unwrap(),
        MxRoute::Implicit(String::from("nomx.test"))
    );
    assert_eq!(
        dns.addresses("nomx.test").await.unwrap(),
        [IpAddr::V4(Ipv4Addr::new(127, 0, 0, 4))]
    );
    assert_eq!(
        dns.mx("nullmx.test", &random).await.unwrap(),
        MxRoute::NullMx
    );
    assert_eq!(
        dns.mx("missing.empty.test", &random).await,
        Err(LookupError::NoSuchDomain)
    );
    assert_eq!(
        dns.addresses("missing.empty.test").await,
        Err(LookupError::NoSuchDomain)
    );
    // Lookups for the PTR and DNSBL policies.
    assert_eq!(
        dns.reverse(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9)))
            .await
            .unwrap(),
        ["client.relay.test"]
    );
    assert_eq!(dns.txt("2.0.0.127.bl.test").await.unwrap(), ["listed"]);
    assert_eq!(
        dns.ipv4("2.0.0.127.bl.test").await.unwrap(),
        [Ipv4Addr::new(127, 0, 0, 2)]
    );
    assert_eq!(
        dns.ipv4("3.0.0.127.bl.test").await,
        Err(LookupError::NoSuchDomain)
    );
}

#[tokio::test]
async fn an_unanswering_server_is_a_temporary_failure() {
    // A UDP socket that never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dns = Dns::new(
        &DnsConfig::Nameserver(silent.local_addr().unwrap()),
        Duration::from_millis(200),
    )
    .unwrap();
    let result = dns.mx("relay.test", &SeededRandom::new(1)).await;
    assert!(
        matches!(result, Err(LookupError::Temporary(_))),
        "{result:?}"
    );
}
