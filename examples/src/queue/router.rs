//! Routing: recipients in the local domains go to local delivery (LMTP to the delivery
//! agent), all others to the relay (MX lookups or the smart host).

use std::sync::Arc;

use super::{BoxFuture, DeliveryJob, EnvelopeRecipient, Outcome, Transport};

/// The domain of an address, lower-cased, without a final dot.
fn domain_of(address: &str) -> String {
    address
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// Sends each batch to the local or the remote transport.
pub struct Router {
    local_domains: Vec<String>,
    local: Arc<dyn Transport>,
    remote: Arc<dyn Transport>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("local_domains", &self.local_domains)
            .finish_non_exhaustive()
    }
}

impl Router {
    /// A router delivering `local_domains` (compared without case) through `local` and
    /// everything else through `remote`.
    pub fn new<I, S>(
        local_domains: I,
        local: Arc<dyn Transport>,
        remote: Arc<dyn Transport>,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Router {
            local_domains: local_domains
                .into_iter()
                .map(|d| d.as_ref().trim_end_matches('.').to_ascii_lowercase())
                .collect(),
            local,
            remote,
        }
    }

    /// True when `address` is in a local domain.
    pub fn is_local(&self, address: &str) -> bool {
        let domain = domain_of(address);
        self.local_domains.contains(&domain)
    }

    fn route(&self, local: bool) -> &dyn Transport {
        if local {
            self.local.as_ref()
        } else {
            self.remote.as_ref()
        }
    }
}

impl Transport for Router {
    fn plan(&self, recipients: &[EnvelopeRecipient]) -> Vec<Vec<usize>> {
        let mut batches = Vec::new();
        for local in [true, false] {
            let positions: Vec<usize> = recipients
                .iter()
                .enumerate()
                .filter(|(_, r)| self.is_local(&r.address) == local)
                .map(|(index, _)| index)
                .collect();
            if positions.is_empty() {
                continue;
            }
            let subset: Vec<EnvelopeRecipient> = positions
                .iter()
                .filter_map(|&p| recipients.get(p).cloned())
                .collect();
            for batch in self.route(local).plan(&subset) {
                batches.push(
                    batch
                        .into_iter()
                        .filter_map(|i| positions.get(i).copied())
                        .collect(),
                );
            }
        }
        batches
    }

    fn deliver<'a>(&'a self, job: &'a DeliveryJob) -> BoxFuture<'a, Vec<Outcome>> {
        // A batch from `plan` is all local or all remote.
        let local = job
            .recipients
            .first()
            .is_some_and(|r| self.is_local(&r.address));
        self.route(local).deliver(job)
    }
}
