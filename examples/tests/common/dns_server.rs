//! A test DNS server on 127.0.0.1 (UDP and TCP on one ephemeral port), built on
//! hickory-server: authoritative in-memory zones holding MX, A, AAAA, TXT and PTR
//! records. Names outside its zones are refused; names inside that do not exist get
//! NXDOMAIN; names with other types get NODATA, as a real server answers.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::rdata::{A, AAAA, MX, PTR, SOA, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record};
use hickory_server::authority::{Catalog, ZoneType};
use hickory_server::store::in_memory::InMemoryAuthority;
use hickory_server::ServerFuture;

/// Records to serve; see [`TestDns::builder`].
#[derive(Default)]
pub struct TestDnsBuilder {
    records: Vec<(Name, RData)>,
    empty_zones: Vec<Name>,
}

fn name(text: &str) -> Name {
    Name::from_ascii(format!("{}.", text.trim_end_matches('.'))).unwrap()
}

/// The zone a name belongs to: its last two labels (`relay.test` for
/// `mx1.relay.test`), or the reverse tree for PTR names.
fn zone_of(name: &Name) -> Name {
    let text = name.to_ascii();
    if text.ends_with(".in-addr.arpa.") {
        return Name::from_ascii("in-addr.arpa.").unwrap();
    }
    if text.ends_with(".ip6.arpa.") {
        return Name::from_ascii("ip6.arpa.").unwrap();
    }
    let labels = name.num_labels();
    if labels <= 2 {
        name.clone()
    } else {
        name.trim_to(2)
    }
}

impl TestDnsBuilder {
    pub fn mx(mut self, domain: &str, preference: u16, exchange: &str) -> Self {
        self.records
            .push((name(domain), RData::MX(MX::new(preference, name(exchange)))));
        self
    }

    /// RFC 7505: `domain. MX 0 .`
    pub fn null_mx(mut self, domain: &str) -> Self {
        self.records
            .push((name(domain), RData::MX(MX::new(0, Name::root()))));
        self
    }

    pub fn a(mut self, host: &str, address: Ipv4Addr) -> Self {
        self.records.push((name(host), RData::A(A(address))));
        self
    }

    pub fn aaaa(mut self, host: &str, address: Ipv6Addr) -> Self {
        self.records.push((name(host), RData::AAAA(AAAA(address))));
        self
    }

    pub fn txt(mut self, host: &str, text: &str) -> Self {
        self.records
            .push((name(host), RData::TXT(TXT::new(vec![text.to_string()]))));
        self
    }

    pub fn ptr(mut self, address: IpAddr, host: &str) -> Self {
        let reverse = Name::from(address);
        self.records.push((reverse, RData::PTR(PTR(name(host)))));
        self
    }

    /// Makes `domain` exist as a zone without any record but its SOA (so lookups under
    /// it get NXDOMAIN or NODATA rather than a refusal).
    pub fn zone(mut self, domain: &str) -> Self {
        self.empty_zones.push(name(domain));
        self
    }

    pub async fn start(self) -> TestDns {
        let mut zones: BTreeMap<Name, InMemoryAuthority> = BTreeMap::new();
        let owners = self
            .records
            .iter()
            .map(|(owner, data)| (owner.clone(), Some(data.clone())))
            .chain(self.empty_zones.iter().map(|zone| (zone.clone(), None)));
        for (owner, data) in owners {
            let origin = if data.is_some() {
                zone_of(&owner)
            } else {
                owner.clone()
            };
            let authority = zones.entry(origin.clone()).or_insert_with(|| {
                let mut authority =
                    InMemoryAuthority::empty(origin.clone(), ZoneType::Primary, false);
                let soa = SOA::new(
                    name(&format!("ns.{}", origin.to_ascii())),
                    name(&format!("hostmaster.{}", origin.to_ascii())),
                    1,
                    3600,
                    600,
                    86400,
                    60,
                );
                authority.upsert_mut(Record::from_rdata(origin.clone(), 60, RData::SOA(soa)), 1);
                authority
            });
            if let Some(data) = data {
                authority.upsert_mut(Record::from_rdata(owner, 60, data), 1);
            }
        }
        let mut catalog = Catalog::new();
        for (origin, authority) in zones {
            catalog.upsert(LowerName::new(&origin), vec![Arc::new(authority)]);
        }
        let mut server = ServerFuture::new(catalog);
        // One port for both transports: UDP first, TCP on the same number.
        let (udp, tcp) = loop {
            let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let port = udp.local_addr().unwrap().port();
            if let Ok(tcp) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                break (udp, tcp);
            }
        };
        let address = udp.local_addr().unwrap();
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5));
        let task = tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        TestDns { address, task }
    }
}

/// A running test DNS server; stops when dropped.
pub struct TestDns {
    pub address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TestDns {
    pub fn builder() -> TestDnsBuilder {
        TestDnsBuilder::default()
    }
}

impl Drop for TestDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}
