//! DNS for the mail system, through hickory-resolver: MX lookups with the rules of
//! RFC 5321 §5.1 and RFC 7505, address lookups, and the PTR/TXT/A lookups that PTR and
//! DNSBL policies need.
//!
//! The resolver is the system's (`/etc/resolv.conf`) by default, or one name server at
//! a given address (a test DNS server on 127.0.0.1, a local cache) with
//! [`DnsConfig::Nameserver`]. Names are always looked up fully qualified, so the
//! system's search list never turns `example.com` into `example.com.corp.lan`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Name, ResolveError, TokioResolver};
use serde::{Deserialize, Serialize};

use crate::queue::Random;

/// Which resolver to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum DnsConfig {
    /// The operating system's configuration (`/etc/resolv.conf`).
    #[default]
    System,
    /// One recursive name server at this address (UDP, then TCP for truncated
    /// answers).
    Nameserver(SocketAddr),
}

/// Why a lookup failed. Only [`LookupError::Temporary`] is worth trying again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// The name does not exist (NXDOMAIN).
    #[error("no such domain")]
    NoSuchDomain,
    /// The name exists but has no record of the type asked for.
    #[error("no records")]
    NoRecords,
    /// The name is not a valid domain name.
    #[error("invalid domain name")]
    InvalidName,
    /// A timeout, SERVFAIL, or a network problem.
    #[error("temporary dns failure: {0}")]
    Temporary(String),
}

/// Why the resolver could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsSetupError {
    /// The system's resolver configuration is unreadable.
    #[error("cannot read the system resolver configuration")]
    System(#[source] ResolveError),
}

/// One MX host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxHost {
    /// Its preference (lower first).
    pub preference: u16,
    /// Its name, without the final dot.
    pub exchange: String,
}

/// What the MX lookup of a domain says about where its mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MxRoute {
    /// These hosts, in the order to try them (RFC 5321 §5.1: preference ascending,
    /// random among equal preferences).
    Hosts(Vec<MxHost>),
    /// No MX records: the domain itself is the host (its A/AAAA records, the implicit
    /// MX of RFC 5321 §5.1).
    Implicit(String),
    /// A null MX (RFC 7505): the domain accepts no mail.
    NullMx,
}

/// A resolver; cheap to clone.
#[derive(Debug, Clone)]
pub struct Dns {
    resolver: TokioResolver,
}

fn classify(error: &ResolveError) -> LookupError {
    if error.is_nx_domain() {
        LookupError::NoSuchDomain
    } else if error.is_no_records_found() {
        LookupError::NoRecords
    } else {
        LookupError::Temporary(error.to_string())
    }
}

/// A fully qualified name for `domain` (a final dot added).
fn fqdn(domain: &str) -> Result<Name, LookupError> {
    let text = domain.trim_end_matches('.');
    if text.is_empty() {
        return Err(LookupError::InvalidName);
    }
    Name::from_ascii(format!("{text}.")).map_err(|_| LookupError::InvalidName)
}

/// Orders MX records as RFC 5321 §5.1 says: ascending preference, equal preferences in
/// random order (spreading load between equal hosts). A single record with preference
/// 0 and the root as exchange is a null MX (RFC 7505 §3).
pub fn order_mx(records: Vec<MxHost>, random: &dyn Random) -> MxRoute {
    let null = |r: &MxHost| r.exchange.is_empty() || r.exchange == ".";
    if records.iter().any(null) {
        // RFC 7505 §3: a domain with a null MX must have no other; if it has, the null
        // MX still says it takes no mail (and the other records are a misconfiguration).
        return MxRoute::NullMx;
    }
    let mut records = records;
    // Fisher-Yates with the injected randomness, then a stable sort by preference.
    for index in (1..records.len()).rev() {
        let other = usize::try_from(random.below(index as u64 + 1)).unwrap_or(0);
        records.swap(index, other);
    }
    records.sort_by_key(|r| r.preference);
    MxRoute::Hosts(records)
}

impl Dns {
    /// A resolver as configured, with `timeout` per query.
    pub fn new(config: &DnsConfig, timeout: Duration) -> Result<Dns, DnsSetupError> {
        let builder = match config {
            DnsConfig::System => TokioResolver::builder_tokio().map_err(DnsSetupError::System)?,
            DnsConfig::Nameserver(address) => {
                let servers =
                    NameServerConfigGroup::from_ips_clear(&[address.ip()], address.port(), true);
                let config = ResolverConfig::from_parts(None, Vec::new(), servers);
                TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            }
        };
        let mut options = ResolverOpts::default();
        if let DnsConfig::Nameserver(_) = config {
            // A named server answers everything; /etc/hosts must not override it.
            options.use_hosts_file = ResolveHosts::Never;
        }
        options.timeout = timeout;
        options.attempts = 2;
        options.ndots = 0;
        Ok(Dns {
            resolver: builder.with_options(options).build(),
        })
    }

    /// Where mail for `domain` goes (MX records ordered, implicit MX, or null MX).
    pub async fn mx(&self, domain: &str, random: &dyn Random) -> Result<MxRoute, LookupError> {
        let name = fqdn(domain)?;
        match self.resolver.mx_lookup(name).await {
            Ok(lookup) => {
                let records: Vec<MxHost> = lookup
                    .iter()
                    .map(|mx| MxHost {
                        preference: mx.preference(),
                        exchange: mx.exchange().to_ascii().trim_end_matches('.').to_string(),
                    })
                    .collect();
                if records.is_empty() {
                    Ok(MxRoute::Implicit(domain.trim_end_matches('.').to_string()))
                } else {
                    Ok(order_mx(records, random))
                }
            }
            Err(error) => match classify(&error) {
                LookupError::NoRecords => {
                    Ok(MxRoute::Implicit(domain.trim_end_matches('.').to_string()))
                }
                other => Err(other),
            },
        }
    }

    /// The IPv6 and IPv4 addresses of `host` (IPv6 first, as RFC 5321 §5.1 leaves to
    /// the client; both families are tried).
    pub async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
        if let Ok(literal) = host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
        {
            return Ok(vec![literal]);
        }
        let name = fqdn(host)?;
        let v6 = self.resolver.ipv6_lookup(name.clone());
        let v4 = self.resolver.ipv4_lookup(name);
        let (v6, v4) = tokio::join!(v6, v4);
        let mut addresses: Vec<IpAddr> = Vec::new();
        let mut errors = Vec::new();
        match v6 {
            Ok(lookup) => addresses.extend(lookup.iter().map(|a| IpAddr::V6(a.0))),
            Err(error) => errors.push(classify(&error)),
        }
        match v4 {
            Ok(lookup) => addresses.extend(lookup.iter().map(|a| IpAddr::V4(a.0))),
            Err(error) => errors.push(classify(&error)),
        }
        if !addresses.is_empty() {
            return Ok(addresses);
        }
        // A temporary failure of either family outranks "no such name".
        if let Some(temporary) = errors
            .iter()
            .find(|e| matches!(e, LookupError::Temporary(_)))
        {
            return Err(temporary.clone());
        }
        if errors.contains(&LookupError::NoSuchDomain) {
            return Err(LookupError::NoSuchDomain);
        }
        Err(LookupError::NoRecords)
    }

    /// The names of an address (PTR), without final dots. hickory answers loopback
    /// addresses itself (`localhost`, RFC 6761) without asking the name server.
    pub async fn reverse(&self, address: IpAddr) -> Result<Vec<String>, LookupError> {
        match self.resolver.reverse_lookup(address).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .map(|name| name.0.to_ascii().trim_end_matches('.').to_string())
                .collect()),
            Err(error) => Err(classify(&error)),
        }
    }

    /// The TXT strings of `name`, each record's strings joined.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let name = fqdn(name)?;
        match self.resolver.txt_lookup(name).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .map(|txt| {
                    txt.iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>()
                })
                .collect()),
            Err(error) => Err(classify(&error)),
        }
    }

    /// The IPv4 addresses of `name` (DNSBL answers are A records like 127.0.0.2).
    pub async fn ipv4(&self, name: &str) -> Result<Vec<std::net::Ipv4Addr>, LookupError> {
        let name = fqdn(name)?;
        match self.resolver.ipv4_lookup(name).await {
            Ok(lookup) => Ok(lookup.iter().map(|a| a.0).collect()),
            Err(error) => Err(classify(&error)),
        }
    }

    /// The hickory resolver underneath (for evaluators that drive it themselves, such
    /// as [`crate::mx_auth`]).
    pub fn resolver(&self) -> &TokioResolver {
        &self.resolver
    }

    /// Any records of `name` of the given type, as hickory's data (for policies not
    /// covered above).
    pub async fn raw(
        &self,
        name: &str,
        record_type: hickory_resolver::proto::rr::RecordType,
    ) -> Result<Vec<RData>, LookupError> {
        let name = fqdn(name)?;
        match self.resolver.lookup(name, record_type).await {
            Ok(lookup) => Ok(lookup.iter().cloned().collect()),
            Err(error) => Err(classify(&error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::SeededRandom;

    fn host(preference: u16, exchange: &str) -> MxHost {
        MxHost {
            preference,
            exchange: exchange.to_string(),
        }
    }

    #[test]
    fn lowest_preference_first_and_equal_ones_shuffled() {
        let records = vec![
            host(20, "c"),
            host(10, "a1"),
            host(10, "a2"),
            host(10, "a3"),
            host(30, "d"),
        ];
        let mut first_seen = std::collections::HashSet::new();
        for seed in 0..64 {
            let MxRoute::Hosts(ordered) = order_mx(records.clone(), &SeededRandom::new(seed))
            else {
                panic!("not hosts");
            };
            let preferences: Vec<u16> = ordered.iter().map(|h| h.preference).collect();
            assert_eq!(preferences, [10, 10, 10, 20, 30]);
            first_seen.insert(ordered[0].exchange.clone());
        }
        assert_eq!(
            first_seen.len(),
            3,
            "every equal host comes first sometimes"
        );
    }

    #[test]
    fn a_null_mx_takes_no_mail() {
        let random = SeededRandom::new(1);
        assert_eq!(order_mx(vec![host(0, "")], &random), MxRoute::NullMx);
        assert_eq!(order_mx(vec![host(0, ".")], &random), MxRoute::NullMx);
    }

    #[test]
    fn names_are_fully_qualified() {
        assert_eq!(fqdn("example.com").unwrap().to_ascii(), "example.com.");
        assert_eq!(fqdn("example.com.").unwrap().to_ascii(), "example.com.");
        assert_eq!(fqdn(""), Err(LookupError::InvalidName));
    }
}
