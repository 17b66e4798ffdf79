//! Optional checks of an MX client, made when it connects: forward-confirmed reverse DNS
//! (the PTR check) and DNS blocklists (DNSBL, RFC 5782). Both go through hickory's
//! resolver, pointed at the system's name servers or at given ones (tests run a DNS
//! server of their own on loopback), through [`crate::dns`].

use std::net::IpAddr;

use crate::config::PolicyConfig;
use crate::dns::{Dns, LookupError};

/// Most PTR names whose addresses are looked up for the PTR check (a client with more
/// names than that is judged on the first ones).
const MAX_PTR_NAMES: usize = 5;

/// What the checks decided about a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Serve the client; `ptr_name` is its confirmed name when the PTR check ran.
    Accept {
        /// The client's forward-confirmed name.
        ptr_name: Option<String>,
    },
    /// Refuse the client for good (`554 5.7.1`, then only QUIT).
    Refuse {
        /// Why, for the reply and the log (no client bytes).
        reason: String,
    },
    /// The answer may change: close with `421 4.7.1`, the client retries later.
    TryLater {
        /// Why.
        reason: String,
    },
}

/// The checks of the MX listener; see the [module docs](self).
#[derive(Debug)]
pub struct ClientPolicy {
    ptr_check: bool,
    dnsbl_zones: Vec<String>,
    dns: Dns,
}

/// The DNSBL query name of `address` in `zone`: the IPv4 octets, or the IPv6 nibbles,
/// in reverse order (RFC 5782 §2.1, §2.4), as an absolute name.
///
/// ```
/// use mailwire_examples::inbound::policy::dnsbl_query;
/// assert_eq!(dnsbl_query("192.0.2.99".parse().unwrap(), "bl.example"), "99.2.0.192.bl.example.");
/// assert!(dnsbl_query("2001:db8::1".parse().unwrap(), "bl.example")
///     .starts_with("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example"));
/// ```
pub fn dnsbl_query(address: IpAddr, zone: &str) -> String {
    let zone = zone.trim_end_matches('.');
    match address.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.{zone}.")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(64 + zone.len() + 1);
            for octet in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", octet & 0x0f, octet >> 4));
            }
            name.push_str(zone);
            name.push('.');
            name
        }
    }
}

/// True for an answer that means "not found" rather than "could not ask".
fn is_negative(error: &LookupError) -> bool {
    !matches!(error, LookupError::Temporary(_))
}

impl ClientPolicy {
    /// The checks of `config` through `dns`, or `None` when every one is off.
    pub fn from_config(config: &PolicyConfig, dns: &Dns) -> Option<ClientPolicy> {
        if !config.ptr_check && config.dnsbl_zones.is_empty() {
            return None;
        }
        Some(ClientPolicy {
            ptr_check: config.ptr_check,
            dnsbl_zones: config.dnsbl_zones.clone(),
            dns: dns.clone(),
        })
    }

    /// Runs the checks on a client connecting from `address`.
    pub async fn check(&self, address: IpAddr) -> Verdict {
        let address = address.to_canonical();
        let mut ptr_name = None;
        if self.ptr_check {
            match self.confirmed_name(address).await {
                Ok(Some(name)) => ptr_name = Some(name),
                Ok(None) => {
                    return Verdict::Refuse {
                        reason: format!("reverse DNS of [{address}] does not resolve back to it"),
                    }
                }
                Err(reason) => return Verdict::TryLater { reason },
            }
        }
        for zone in &self.dnsbl_zones {
            if let Some(listing) = self.listed(address, zone).await {
                return Verdict::Refuse {
                    reason: format!("client [{address}] is listed in {zone} ({listing})"),
                };
            }
        }
        Verdict::Accept { ptr_name }
    }

    /// The first PTR name of `address` whose A/AAAA records include it; `Ok(None)` when
    /// there is none, `Err` when DNS could not answer.
    async fn confirmed_name(&self, address: IpAddr) -> Result<Option<String>, String> {
        let names = match self.dns.reverse(address).await {
            Ok(names) => names,
            Err(error) if is_negative(&error) => return Ok(None),
            Err(error) => {
                tracing::warn!(client = %address, %error, "policy: reverse lookup failed");
                return Err(format!("reverse DNS of [{address}] is unavailable"));
            }
        };
        let mut unavailable = false;
        for name in names.iter().take(MAX_PTR_NAMES) {
            match self.dns.addresses(name).await {
                Ok(addresses) => {
                    if addresses.iter().any(|ip| ip.to_canonical() == address) {
                        return Ok(Some(name.clone()));
                    }
                }
                Err(error) if is_negative(&error) => {}
                Err(error) => {
                    tracing::warn!(client = %address, %name, %error, "policy: forward lookup failed");
                    unavailable = true;
                }
            }
        }
        if unavailable {
            Err(format!(
                "forward DNS of the names of [{address}] is unavailable"
            ))
        } else {
            Ok(None)
        }
    }

    /// The listing's answer when `address` is on the blocklist `zone`. A zone that does
    /// not answer lists no one (logged).
    async fn listed(&self, address: IpAddr, zone: &str) -> Option<String> {
        let query = dnsbl_query(address, zone);
        match self.dns.ipv4(&query).await {
            Ok(answers) => answers
                .into_iter()
                // RFC 5782 §2.1: listings are 127.0.0.2 and up; 127.255.255.x are the
                // lists' own error codes (for example "refused: public resolver").
                .find(|ip| {
                    matches!(ip.octets(), [127, second, third, _] if !(second == 255 && third == 255))
                })
                .map(|ip| ip.to_string()),
            Err(error) if is_negative(&error) => None,
            Err(error) => {
                tracing::warn!(client = %address, zone, %error, "policy: dnsbl lookup failed, not applied");
                None
            }
        }
    }
}
