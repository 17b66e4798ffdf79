//! From the queue's records to the client machine's envelope, and from the machine's
//! per-recipient results back to the queue's outcomes; shared by the LMTP handoff and
//! the SMTP relay.

use std::time::SystemTime;

use mailwire_lmtp::client::{DeliveryReport, MailEnvelope, RecipientDelivery, RecipientStatus};
use mailwire_smtp::types::{
    Body, EhloResponse, MailParameters, Mailbox, Notify, OriginalRecipient, RcptParameters, Ret,
    ReversePath, XText,
};

use crate::queue::{DeliveryJob, Diagnostic, DsnReturn, Outcome};

/// A diagnostic made here (no server answered), e.g. `4.4.1` "connection refused".
pub(crate) fn local(status: &str, text: impl Into<String>, now: SystemTime) -> Diagnostic {
    Diagnostic {
        status: status.to_string(),
        reply_code: None,
        text: text.into(),
        remote_mta: None,
        relayed: false,
        dsn_passed_on: false,
        at: now,
    }
}

/// The same outcome for every recipient of a job.
pub(crate) fn all(
    job: &DeliveryJob,
    outcome: impl Fn(Diagnostic) -> Outcome,
    d: Diagnostic,
) -> Vec<Outcome> {
    job.recipients.iter().map(|_| outcome(d.clone())).collect()
}

/// The envelope to send for `job`, and the positions of the job's recipients in it
/// (`None`: the address could not be sent, with the outcome to record). `capabilities`
/// decide which extensions are used: DSN parameters only to a server offering DSN,
/// `BODY=8BITMIME` only with 8BITMIME.
pub(crate) struct Prepared {
    pub(crate) envelope: MailEnvelope,
    /// For each job recipient: its index in the envelope, or the outcome decided here.
    pub(crate) slots: Vec<Result<usize, Outcome>>,
}

pub(crate) fn prepare(
    job: &DeliveryJob,
    capabilities: Option<&EhloResponse<'static>>,
    now: SystemTime,
) -> Result<Prepared, Outcome> {
    let offers = |keyword: &str| capabilities.is_some_and(|c| c.has_keyword(keyword));
    let dsn = offers("DSN");
    let from = match &job.reverse_path {
        None => ReversePath::Null,
        Some(text) => match Mailbox::parse(text) {
            Ok(mailbox) => ReversePath::from(mailbox.into_owned()),
            Err(_) => {
                return Err(Outcome::Failed(local(
                    "5.1.7",
                    "the sender address cannot be sent",
                    now,
                )))
            }
        },
    };
    let mut params = MailParameters::default();
    params.size = Some(job.content.len() as u64);
    if job.eight_bit && offers("8BITMIME") {
        params.body = Some(Body::EightBitMime);
    }
    if dsn {
        params.ret = job.ret.map(|ret| match ret {
            DsnReturn::Full => Ret::Full,
            DsnReturn::Headers => Ret::Headers,
        });
        params.envid = job
            .envid
            .as_deref()
            .and_then(|id| XText::encode(id.as_bytes()).ok());
    }
    let mut envelope = MailEnvelope::new(from).mail_parameters(params);
    let mut slots = Vec::with_capacity(job.recipients.len());
    let mut next = 0;
    for recipient in &job.recipients {
        let Ok(mailbox) = Mailbox::parse(&recipient.address) else {
            slots.push(Err(Outcome::Failed(local(
                "5.1.3",
                "the recipient address cannot be sent",
                now,
            ))));
            continue;
        };
        let mut rcpt = RcptParameters::default();
        if dsn {
            rcpt.notify = recipient
                .notify
                .map(|n| Notify::on(n.success, n.failure, n.delay).unwrap_or(Notify::NEVER));
            rcpt.orcpt = match &recipient.orcpt {
                Some(text) => text.split_once(';').and_then(|(kind, address)| {
                    let encoded = XText::encode(address.trim().as_bytes()).ok()?;
                    OriginalRecipient::new(kind.trim().to_string(), encoded).ok()
                }),
                None => Some(OriginalRecipient::rfc822(&mailbox)),
            };
        }
        envelope = envelope.to_with(mailbox.into_owned(), rcpt);
        slots.push(Ok(next));
        next += 1;
    }
    if next == 0 {
        // Nothing to send: every slot already has its outcome.
        let first = slots.iter().find_map(|s| s.clone().err());
        return Err(first.unwrap_or_else(|| {
            Outcome::Failed(local("5.1.3", "no recipient address can be sent", now))
        }));
    }
    Ok(Prepared { envelope, slots })
}

/// The outcome of one recipient from its final result.
pub(crate) fn outcome(
    result: &RecipientDelivery,
    remote: Option<&str>,
    relayed: bool,
    now: SystemTime,
) -> Outcome {
    let code = result.code();
    let status = result.enhanced().map(|e| e.to_string()).unwrap_or_else(|| {
        match result.status {
            RecipientStatus::Accepted => "2.0.0",
            RecipientStatus::Deferred => "4.0.0",
            RecipientStatus::Rejected => "5.0.0",
        }
        .to_string()
    });
    let text = if result.reply.is_some() {
        result.text()
    } else {
        String::from("the connection ended before the reply")
    };
    let diagnostic = Diagnostic {
        status: if code.is_none() && result.status == RecipientStatus::Deferred {
            String::from("4.4.2")
        } else {
            status
        },
        reply_code: code.map(|c| c.get()),
        text,
        remote_mta: remote.map(str::to_string),
        relayed,
        dsn_passed_on: false,
        at: now,
    };
    match result.status {
        RecipientStatus::Accepted => Outcome::Delivered(diagnostic),
        RecipientStatus::Deferred => Outcome::Deferred(diagnostic),
        RecipientStatus::Rejected => Outcome::Failed(diagnostic),
    }
}

/// Every job recipient's outcome from a delivery report.
pub(crate) fn outcomes(
    prepared: &Prepared,
    report: &DeliveryReport,
    remote: Option<&str>,
    relayed: bool,
    now: SystemTime,
) -> Vec<Outcome> {
    prepared
        .slots
        .iter()
        .map(|slot| match slot {
            Err(decided) => decided.clone(),
            Ok(index) => match report.recipients.iter().find(|r| r.index == *index) {
                Some(result) => outcome(result, remote, relayed, now),
                None => Outcome::Deferred(local("4.4.2", "no result for this recipient", now)),
            },
        })
        .collect()
}
