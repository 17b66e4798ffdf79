//! The MX relay: delivers queued mail for other domains over SMTP, as RFC 5321 §5
//! describes.
//!
//! For each destination domain (one batch per domain, at most
//! [`RelayConfig::max_recipients_per_transaction`] recipients):
//! 1. MX lookup through hickory ([`crate::dns`]): hosts by ascending preference, random
//!    among equals; no MX means the domain itself (its A/AAAA records); a null MX
//!    (RFC 7505) fails at once with `556 5.1.10`; a domain that does not exist fails
//!    with `5.1.2`; a DNS failure defers.
//! 2. Every address of every host is tried in that order (up to
//!    [`RelayConfig::max_addresses`]) until one answers the transaction; when none
//!    does, the recipients are deferred with the last error.
//! 3. One session per attempt with our SMTP client machine: STARTTLS per the TLS
//!    policy ([`TlsMode`]), PIPELINING, CHUNKING and 8BITMIME when offered, DSN
//!    parameters passed on when the server offers DSN, and each recipient's own result
//!    (2yz delivered, 4yz deferred, 5yz failed).
//!
//! With a smart host every message goes to that one host (STARTTLS or implicit TLS,
//! then AUTH), without MX lookups.

mod config;
mod session;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mailwire_smtp::types::Host;

pub use config::{RelayConfig, SmartHost, TlsMode};
pub use tls::{opportunistic_connector, verifying_connector, RelayTlsError, SYSTEM_CA_BUNDLE};

use crate::delivery::wire;
use crate::dns::{Dns, DnsSetupError, LookupError, MxRoute};
use crate::queue::{
    BoxFuture, Clock, DeliveryJob, Diagnostic, EnvelopeRecipient, Outcome, Random, Transport,
};
use session::{SessionEnd, Settings, TlsPlan};

/// Why the relay could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// The EHLO name is not a domain or address literal.
    #[error("invalid helo_name")]
    InvalidHelo,
    /// The resolver could not be made.
    #[error("dns setup failed")]
    Dns(#[from] DnsSetupError),
    /// The TLS configuration could not be made.
    #[error("tls setup failed")]
    Tls(#[from] RelayTlsError),
}

/// The domain of an address, lower-cased, without a final dot.
pub fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .unwrap_or(address)
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Delivers mail for other domains; see the [module docs](self).
pub struct MxRelay {
    config: RelayConfig,
    dns: Dns,
    settings: Settings,
    random: Arc<dyn Random>,
}

impl std::fmt::Debug for MxRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MxRelay")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl MxRelay {
    /// A relay as configured.
    pub fn new(
        config: RelayConfig,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
    ) -> Result<MxRelay, RelayError> {
        let dns = Dns::new(
            &config.dns,
            Duration::from_secs(config.dns_timeout_secs.max(1)),
        )?;
        let hello = Host::new(&config.helo_name)
            .map_err(|_| RelayError::InvalidHelo)?
            .into_owned();
        let tls = match (&config.smart_host, config.tls) {
            (Some(smart), _) if smart.implicit_tls => {
                TlsPlan::Implicit(verifying_connector(config.ca_file.as_deref())?)
            }
            // Credentials never travel in cleartext: a smart host with a login gets
            // verified STARTTLS whatever the MX policy says.
            (Some(smart), _) if smart.username.is_some() => {
                TlsPlan::Required(verifying_connector(config.ca_file.as_deref())?)
            }
            (_, TlsMode::None) => TlsPlan::None,
            (_, TlsMode::Opportunistic) => TlsPlan::Opportunistic(opportunistic_connector()?),
            (_, TlsMode::Verify) => {
                TlsPlan::Required(verifying_connector(config.ca_file.as_deref())?)
            }
        };
        let credentials = config.smart_host.as_ref().and_then(|smart| {
            Some((
                smart.username.clone()?,
                smart.password.clone().unwrap_or_default(),
            ))
        });
        let settings = Settings {
            hello,
            tls,
            credentials,
            connect_timeout: config.connect_timeout(),
            session_timeout: config.session_timeout(),
            clock,
        };
        Ok(MxRelay {
            config,
            dns,
            settings,
            random,
        })
    }

    fn now(&self) -> std::time::SystemTime {
        self.settings.clock.now()
    }

    /// The hosts to try for `domain`, with their ports, or the outcome for every
    /// recipient when there is nothing to try.
    async fn targets(&self, domain: &str) -> Result<(Vec<(String, u16)>, bool), Outcome> {
        if let Some(smart) = &self.config.smart_host {
            return Ok((vec![(smart.host.clone(), smart.port)], false));
        }
        let port = self.config.mx_port;
        if domain.starts_with('[') {
            // An address literal: that address, no lookup (RFC 5321 §5.1).
            return Ok((vec![(domain.to_string(), port)], true));
        }
        match self.dns.mx(domain, self.random.as_ref()).await {
            Ok(MxRoute::Hosts(hosts)) => Ok((
                hosts.into_iter().map(|h| (h.exchange, port)).collect(),
                false,
            )),
            Ok(MxRoute::Implicit(host)) => Ok((vec![(host, port)], true)),
            Ok(MxRoute::NullMx) => {
                let mut diagnostic = wire::local(
                    "5.1.10",
                    format!("{domain} accepts no mail (null MX, RFC 7505)"),
                    self.now(),
                );
                diagnostic.reply_code = Some(556);
                Err(Outcome::Failed(diagnostic))
            }
            Err(LookupError::NoSuchDomain | LookupError::InvalidName) => Err(Outcome::Failed(
                wire::local("5.1.2", format!("{domain}: no such domain"), self.now()),
            )),
            Err(LookupError::NoRecords) => Ok((vec![(domain.to_string(), port)], true)),
            Err(LookupError::Temporary(text)) => Err(Outcome::Deferred(wire::local(
                "4.4.3",
                format!("mx lookup of {domain}: {text}"),
                self.now(),
            ))),
        }
    }

    async fn deliver_job(&self, job: &DeliveryJob) -> Vec<Outcome> {
        let domain = job
            .recipients
            .first()
            .map(|r| domain_of(&r.address))
            .unwrap_or_default();
        let (targets, implicit) = match self.targets(&domain).await {
            Ok(targets) => targets,
            Err(outcome) => {
                tracing::info!(queue_id = %job.id, %domain,
                    status = %outcome.diagnostic().status, reason = %outcome.diagnostic().text,
                    "relay: no delivery possible");
                return job.recipients.iter().map(|_| outcome.clone()).collect();
            }
        };
        let mut last: Option<Diagnostic> = None;
        let mut tried = 0usize;
        for (host, port) in &targets {
            let addresses = match self.dns.addresses(host).await {
                Ok(addresses) => addresses,
                Err(error) => {
                    let permanent = implicit
                        && matches!(error, LookupError::NoSuchDomain | LookupError::NoRecords);
                    if permanent {
                        // No MX and no address: the domain has no mail server.
                        let diagnostic = wire::local(
                            "5.1.2",
                            format!("{domain} has no mail server (no MX, no address)"),
                            self.now(),
                        );
                        return wire::all(job, Outcome::Failed, diagnostic);
                    }
                    last = Some(wire::local(
                        "4.4.3",
                        format!("address lookup of {host}: {error}"),
                        self.now(),
                    ));
                    continue;
                }
            };
            for address in addresses {
                if tried >= self.config.max_addresses.max(1) {
                    break;
                }
                tried += 1;
                let socket = SocketAddr::new(address, *port);
                let tls_name = host.trim_matches(|c| c == '[' || c == ']');
                let mut end = session::deliver(socket, tls_name, job, &self.settings).await;
                if let SessionEnd::Failed {
                    tls_failed: true, ..
                } = &end
                {
                    if let TlsPlan::Opportunistic(_) = self.settings.tls {
                        // Opportunistic TLS that fails falls back to cleartext with the
                        // same host (RFC 7435 §3), as Postfix's `may` does.
                        let cleartext = Settings {
                            tls: TlsPlan::None,
                            ..self.settings.clone()
                        };
                        tracing::info!(queue_id = %job.id, host = %host, %address,
                            "relay: tls handshake failed, retrying in cleartext");
                        end = session::deliver(socket, tls_name, job, &cleartext).await;
                    }
                }
                match end {
                    SessionEnd::Answered(outcomes) => {
                        let delivered = outcomes
                            .iter()
                            .filter(|o| matches!(o, Outcome::Delivered(_)))
                            .count();
                        tracing::info!(queue_id = %job.id, host = %host, %address,
                            recipients = outcomes.len(), delivered, "relay: attempt answered");
                        return outcomes;
                    }
                    SessionEnd::Failed {
                        diagnostic,
                        permanent,
                        ..
                    } => {
                        tracing::info!(queue_id = %job.id, host = %host, %address,
                            status = %diagnostic.status, reason = %diagnostic.text, permanent,
                            "relay: attempt failed, trying the next address");
                        last = Some(diagnostic);
                    }
                }
            }
        }
        let diagnostic = last.unwrap_or_else(|| {
            wire::local(
                "4.4.1",
                format!("no mail server of {domain} reachable"),
                self.now(),
            )
        });
        wire::all(job, Outcome::Deferred, diagnostic)
    }
}

impl Transport for MxRelay {
    fn plan(&self, recipients: &[EnvelopeRecipient]) -> Vec<Vec<usize>> {
        let limit = self.config.max_recipients_per_transaction.max(1);
        let mut batches: Vec<(String, Vec<usize>)> = Vec::new();
        for (index, recipient) in recipients.iter().enumerate() {
            // With a smart host every domain goes the same way.
            let key = if self.config.smart_host.is_some() {
                String::new()
            } else {
                domain_of(&recipient.address)
            };
            match batches
                .iter_mut()
                .find(|(domain, batch)| *domain == key && batch.len() < limit)
            {
                Some((_, batch)) => batch.push(index),
                None => batches.push((key, vec![index])),
            }
        }
        batches.into_iter().map(|(_, batch)| batch).collect()
    }

    fn deliver<'a>(&'a self, job: &'a DeliveryJob) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(self.deliver_job(job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_compared_lower_case_without_final_dot() {
        assert_eq!(domain_of("a@Example.COM."), "example.com");
        assert_eq!(domain_of("b@[127.0.0.1]"), "[127.0.0.1]");
    }
}
