//! What became of a message: one typed result per recipient.

use crate::client::{FailureStage, RecipientStage, TransactionOutcome};
use crate::types::{EnhancedStatusCode, ForwardPath, Reply, ReplyCode};

/// The result for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecipientOutcome {
    /// The server took responsibility for the message for this recipient.
    Accepted {
        /// The reply that accepted it (the reply after the content).
        reply: Reply<'static>,
    },
    /// Refused for good (5yz).
    Rejected {
        /// When: at RCPT, or by the reply after the content.
        stage: RecipientStage,
        /// The refusal, with its code and enhanced status code.
        reply: Reply<'static>,
    },
    /// Refused for now (4yz): try again later.
    Deferred {
        /// When: at RCPT, or by the reply after the content.
        stage: RecipientStage,
        /// The refusal.
        reply: Reply<'static>,
    },
    /// The server never answered for this recipient (the transaction ended before, for
    /// example when MAIL FROM was refused or the connection was lost).
    NotReached,
}

impl RecipientOutcome {
    /// The reply that decided, if any.
    pub fn reply(&self) -> Option<&Reply<'static>> {
        match self {
            RecipientOutcome::Accepted { reply }
            | RecipientOutcome::Rejected { reply, .. }
            | RecipientOutcome::Deferred { reply, .. } => Some(reply),
            RecipientOutcome::NotReached => None,
        }
    }

    /// The reply code, if any.
    pub fn code(&self) -> Option<ReplyCode> {
        self.reply().map(Reply::code)
    }

    /// The enhanced status code (RFC 3463) of the reply, if any.
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.reply().and_then(Reply::enhanced)
    }

    /// True when the server took the message for this recipient.
    pub fn is_accepted(&self) -> bool {
        matches!(self, RecipientOutcome::Accepted { .. })
    }
}

/// One recipient of the envelope and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientReport {
    /// The recipient as sent in RCPT TO.
    pub recipient: ForwardPath<'static>,
    /// Its result.
    pub outcome: RecipientOutcome,
}

/// The outcome of one message: returned by [`Mailer::send`](crate::mailer::Mailer::send)
/// when the server accepted it for at least one recipient, and carried by
/// [`MailerError::Refused`](crate::mailer::MailerError::Refused) otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub(crate) recipients: Vec<RecipientReport>,
    pub(crate) outcome: TransactionOutcome,
    pub(crate) reply: Option<Reply<'static>>,
}

impl Delivery {
    /// Every recipient of the envelope, in envelope order.
    pub fn recipients(&self) -> &[RecipientReport] {
        &self.recipients
    }

    /// The recipients the server took the message for.
    pub fn accepted(&self) -> impl Iterator<Item = &RecipientReport> + '_ {
        self.recipients.iter().filter(|r| r.outcome.is_accepted())
    }

    /// The recipients refused for good.
    pub fn rejected(&self) -> impl Iterator<Item = &RecipientReport> + '_ {
        self.recipients
            .iter()
            .filter(|r| matches!(r.outcome, RecipientOutcome::Rejected { .. }))
    }

    /// The recipients refused for now.
    pub fn deferred(&self) -> impl Iterator<Item = &RecipientReport> + '_ {
        self.recipients
            .iter()
            .filter(|r| matches!(r.outcome, RecipientOutcome::Deferred { .. }))
    }

    /// True when the server took responsibility for the message for at least one
    /// recipient.
    pub fn is_accepted(&self) -> bool {
        matches!(self.outcome, TransactionOutcome::Accepted { .. })
    }

    /// Where the transaction failed, and whether the failure is temporary; `None` when
    /// the message was accepted.
    pub fn failure(&self) -> Option<(FailureStage, bool)> {
        match self.outcome {
            TransactionOutcome::Failed { stage, temporary } => Some((stage, temporary)),
            TransactionOutcome::Accepted { .. } => None,
        }
    }

    /// The reply that decided the transaction when there is one: the reply after the
    /// content, or the refusal of MAIL FROM, DATA or the content.
    pub fn reply(&self) -> Option<&Reply<'static>> {
        self.reply.as_ref()
    }
}
