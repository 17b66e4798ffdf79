//! Sender authentication of mail arriving on the MX listener: SPF (RFC 7208) of the
//! client address and MAIL FROM (or HELO), DKIM (RFC 6376) of the spooled message and
//! DMARC (RFC 7489) of its From domain, asked through the resolver of `[relay] dns`.
//!
//! The checks run once the message is in the spool, over the spooled file (the same
//! second pass as DKIM signing, see [`crate::dkim`]); the results are put on top of it
//! as an `Authentication-Results` field (RFC 8601). A message is refused only as
//! [`MxAuthConfig`] says: by default a DMARC fail under `p=reject`, never SPF alone.
//! Every check shares one deadline; what is not answered by then is a `temperror`, so
//! a slow or silent name server delays a message by at most that much.

use std::net::IpAddr;
use std::time::Duration;

use mailwire_auth::dkim::{DkimConfig, DkimOutcome, DkimResult, DkimVerifier};
use mailwire_auth::dmarc::{
    from_domain, DmarcEvaluator, DmarcOutcome, DmarcResult, Policy, SpfIdentity,
};
use mailwire_auth::results::AuthenticationResults;
use mailwire_auth::spf::{SpfConfig, SpfEvaluator, SpfResult};
use mailwire_auth::tokio::HickoryDns;

use crate::config::MxAuthConfig;
use crate::dns::Dns;
use crate::queue::{QueueError, SpoolWriter};

/// How much of the spooled message is kept to find its From field: the header
/// section must fit (a longer one gives no From domain, so no DMARC result).
const MAX_HEADER_COPY: usize = 256 * 1024;

/// The checks, as configured.
#[derive(Debug, Clone)]
pub struct MxAuth {
    dns: HickoryDns,
    authserv_id: String,
    timeout: Duration,
    reject_dmarc_reject: bool,
    spf_reject: bool,
}

/// Who sent the message, as the SMTP session saw it.
#[derive(Debug, Clone)]
pub struct SmtpIdentity<'a> {
    /// The client's address.
    pub client: IpAddr,
    /// The MAIL FROM address; empty for the null reverse-path.
    pub mail_from: &'a str,
    /// The HELO/EHLO name.
    pub helo: &'a str,
}

/// What the checks concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MxAuthVerdict {
    /// The `Authentication-Results` field put on top of the message (without CRLF).
    pub field: String,
    /// Why the message is to be refused with `550 5.7.1`, if it is.
    pub refusal: Option<&'static str>,
    /// The SPF result.
    pub spf: SpfResult,
    /// The DMARC result, when the message had a single From domain.
    pub dmarc: Option<DmarcResult>,
}

/// Keeps the first [`MAX_HEADER_COPY`] octets of a message.
fn keep_prefix(prefix: &mut Vec<u8>, chunk: &[u8]) {
    let room = MAX_HEADER_COPY.saturating_sub(prefix.len());
    prefix.extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
}

impl MxAuth {
    /// The checks with `config`, asking `dns`; `authserv_id` names this server in the
    /// field (its host name).
    pub fn new(config: &MxAuthConfig, dns: &Dns, authserv_id: &str) -> Self {
        MxAuth {
            dns: HickoryDns::new(dns.resolver().clone()),
            authserv_id: authserv_id.to_owned(),
            timeout: Duration::from_secs(config.timeout_secs.max(1)),
            reject_dmarc_reject: config.reject_dmarc_reject,
            spf_reject: config.spf_reject,
        }
    }

    /// SPF (RFC 7208) of `sender`'s client address and MAIL FROM (HELO for the null
    /// reverse-path) at `now` (seconds since the epoch), within the configured time
    /// limit: `temperror` when the name servers do not answer in time. Run when MAIL
    /// FROM arrives, so a refusal comes before any data.
    pub async fn check_spf(&self, sender: &SmtpIdentity<'_>, now: u64) -> SpfResult {
        let spf_config = SpfConfig {
            receiver: self.authserv_id.clone(),
            timestamp: now,
            ..SpfConfig::default()
        };
        let evaluator =
            SpfEvaluator::mail_from(sender.client, sender.mail_from, sender.helo, spf_config);
        tokio::time::timeout(self.timeout, self.dns.check_spf(evaluator))
            .await
            .map_or(SpfResult::TempError, |outcome| outcome.result)
    }

    /// Why MAIL FROM is to be refused (`550 5.7.23`, RFC 7372) for the SPF result
    /// `spf`: only a `fail` under `spf_reject`.
    pub fn spf_refusal(&self, spf: SpfResult) -> Option<&'static str> {
        (self.spf_reject && spf == SpfResult::Fail)
            .then_some("Rejected by the sender domain's SPF policy")
    }

    /// Checks the message in `writer` sent by `sender`, whose SPF result (from
    /// [`MxAuth::check_spf`] at MAIL FROM) is `spf`, at `now` (seconds since the epoch),
    /// with `percent_roll` (0 to 99) for DMARC's `pct`; puts the field on top of the
    /// message unless it is to be refused. Only spool errors are returned.
    pub async fn check_spooled(
        &self,
        writer: &mut SpoolWriter,
        sender: &SmtpIdentity<'_>,
        spf: SpfResult,
        now: u64,
        percent_roll: u8,
    ) -> Result<MxAuthVerdict, QueueError> {
        let deadline = tokio::time::Instant::now() + self.timeout;

        let spf_domain = if sender.mail_from.is_empty() {
            sender.helo.to_owned()
        } else {
            sender
                .mail_from
                .rsplit_once('@')
                .map_or(sender.mail_from, |(_, domain)| domain)
                .to_owned()
        };

        let mut verifier = DkimVerifier::new(DkimConfig::default(), now);
        let mut header = Vec::new();
        writer
            .read_back(&mut |chunk| {
                verifier.update(chunk);
                keep_prefix(&mut header, chunk);
            })
            .await?;
        verifier.finish();
        let dkim = match tokio::time::timeout_at(deadline, self.dns.verify_dkim(verifier)).await {
            Ok(Ok(outcomes)) => outcomes,
            // The verifier was finished above; neither can happen but a silent server.
            Ok(Err(_)) | Err(_) => vec![DkimOutcome {
                result: DkimResult::TempError,
                domain: String::new(),
                selector: String::new(),
                identity: String::new(),
                algorithm: String::new(),
                body_length: None,
                unsigned_body_octets: 0,
                testing: false,
            }],
        };

        let dmarc = match from_domain(&header) {
            Ok(domain) => {
                let evaluator = DmarcEvaluator::new(
                    &domain,
                    Some(SpfIdentity {
                        result: spf,
                        domain: spf_domain,
                    }),
                    dkim.iter().map(DkimOutcome::dmarc_identity).collect(),
                    percent_roll.min(99),
                );
                let outcome = tokio::time::timeout_at(deadline, self.dns.check_dmarc(evaluator))
                    .await
                    .unwrap_or(DmarcOutcome {
                        result: DmarcResult::TempError,
                        disposition: Policy::None,
                        policy_domain: None,
                        record: None,
                        spf_aligned: false,
                        dkim_aligned: false,
                    });
                Some((outcome, domain))
            }
            Err(error) => {
                tracing::info!(queue_id = %writer.id(), %error, "no dmarc evaluation");
                None
            }
        };

        let mut results =
            AuthenticationResults::new(&self.authserv_id).spf(spf, sender.mail_from, sender.helo);
        if dkim.is_empty() {
            results = results.dkim_none();
        }
        for outcome in &dkim {
            results = results.dkim_outcome(outcome);
        }
        if let Some((outcome, domain)) = &dmarc {
            results = results.dmarc(outcome, domain);
        }
        let field = results.to_header();

        let dmarc_rejects = dmarc.as_ref().is_some_and(|(outcome, _)| {
            outcome.result == DmarcResult::Fail && outcome.disposition == Policy::Reject
        });
        let refusal = if self.reject_dmarc_reject && dmarc_rejects {
            Some("Rejected by the sender domain's DMARC policy")
        } else {
            self.spf_refusal(spf)
        };
        tracing::info!(
            queue_id = %writer.id(),
            spf = spf.as_str(),
            dkim = ?dkim.iter().map(|outcome| outcome.result.as_str()).collect::<Vec<_>>(),
            dmarc = dmarc.as_ref().map_or("none", |(outcome, _)| outcome.result.as_str()),
            refused = refusal.is_some(),
            "sender authentication"
        );
        if refusal.is_none() {
            writer.prepend(format!("{field}\r\n").as_bytes()).await?;
        }
        Ok(MxAuthVerdict {
            field,
            refusal,
            spf,
            dmarc: dmarc.map(|(outcome, _)| outcome.result),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_octets_are_kept() {
        let mut prefix = Vec::new();
        keep_prefix(&mut prefix, b"From: a@b.test\r\n");
        assert_eq!(prefix, b"From: a@b.test\r\n");
        let big = vec![b'x'; MAX_HEADER_COPY];
        keep_prefix(&mut prefix, &big);
        assert_eq!(prefix.len(), MAX_HEADER_COPY);
        keep_prefix(&mut prefix, b"more");
        assert_eq!(prefix.len(), MAX_HEADER_COPY);
    }
}
