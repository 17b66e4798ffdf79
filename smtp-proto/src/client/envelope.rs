//! The envelope of a mail transaction: sender, recipients and their parameters.

use crate::types::{Body, ForwardPath, MailParameters, RcptParameters, ReversePath};

/// One recipient with its RCPT parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The forward path.
    pub path: ForwardPath<'static>,
    /// RCPT parameters (NOTIFY, ORCPT, others).
    pub params: RcptParameters<'static>,
}

/// Everything [`Client::start_mail`](crate::client::Client::start_mail) needs besides
/// the content.
///
/// The machine completes the MAIL parameters from what the server advertised:
/// - `SIZE=` is sent only when the server offers SIZE (a declared size above the
///   server's limit fails at once with
///   [`ClientError::TooLarge`](crate::client::ClientError::TooLarge));
/// - `BODY=8BITMIME` needs 8BITMIME, `BODY=BINARYMIME` needs BINARYMIME and CHUNKING
///   (and forces BDAT); `BODY=7BIT` is sent only to servers offering 8BITMIME;
/// - `SMTPUTF8` is added when an address is not ASCII, and needs SMTPUTF8;
/// - DSN parameters (RET, ENVID, NOTIFY, ORCPT) need DSN, `REQUIRETLS` needs REQUIRETLS,
///   `AUTH=` needs AUTH. Other parameters are sent as given.
///
/// ```
/// use mailwire_smtp::client::MailEnvelope;
/// use mailwire_smtp::types::{Body, Mailbox};
///
/// let envelope = MailEnvelope::new(Mailbox::parse("alice@example.org").unwrap().into_owned())
///     .to(Mailbox::parse("bob@example.com").unwrap().into_owned())
///     .size(1234)
///     .body(Body::EightBitMime);
/// assert_eq!(envelope.recipients().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailEnvelope {
    pub(crate) from: ReversePath<'static>,
    pub(crate) params: MailParameters<'static>,
    pub(crate) recipients: Vec<Recipient>,
}

impl MailEnvelope {
    /// An envelope from `from` (a mailbox, or [`ReversePath::Null`] for notifications).
    pub fn new(from: impl Into<ReversePath<'static>>) -> Self {
        MailEnvelope {
            from: from.into(),
            params: MailParameters::default(),
            recipients: Vec::new(),
        }
    }

    /// Adds a recipient without parameters.
    pub fn to(self, recipient: impl Into<ForwardPath<'static>>) -> Self {
        self.to_with(recipient, RcptParameters::default())
    }

    /// Adds a recipient with RCPT parameters.
    pub fn to_with(
        mut self,
        recipient: impl Into<ForwardPath<'static>>,
        params: RcptParameters<'static>,
    ) -> Self {
        self.recipients.push(Recipient {
            path: recipient.into(),
            params,
        });
        self
    }

    /// Declares the content's size in octets (RFC 1870 `SIZE=`).
    pub fn size(mut self, octets: u64) -> Self {
        self.params.size = Some(octets);
        self
    }

    /// Declares the body type (RFC 6152 / RFC 3030 `BODY=`).
    pub fn body(mut self, body: Body) -> Self {
        self.params.body = Some(body);
        self
    }

    /// Asks for SMTPUTF8 even when every address is ASCII (for UTF-8 header fields,
    /// RFC 6532).
    pub fn smtputf8(mut self) -> Self {
        self.params.smtputf8 = true;
        self
    }

    /// Sets every MAIL parameter at once (RET, ENVID, AUTH=, REQUIRETLS and others);
    /// replaces what [`size`](Self::size), [`body`](Self::body) and
    /// [`smtputf8`](Self::smtputf8) set.
    pub fn mail_parameters(mut self, params: MailParameters<'static>) -> Self {
        self.params = params;
        self
    }

    /// The sender.
    pub fn from_path(&self) -> &ReversePath<'static> {
        &self.from
    }

    /// The MAIL parameters as given.
    pub fn parameters(&self) -> &MailParameters<'static> {
        &self.params
    }

    /// The recipients, in order.
    pub fn recipients(&self) -> &[Recipient] {
        &self.recipients
    }

    /// True when an address needs SMTPUTF8.
    pub(crate) fn needs_smtputf8(&self) -> bool {
        self.params.smtputf8
            || self.from.mailbox().is_some_and(|m| !m.is_ascii())
            || self
                .recipients
                .iter()
                .any(|r| r.path.mailbox().is_some_and(|m| !m.is_ascii()))
    }

    /// True when the content must travel with BDAT.
    pub(crate) fn is_binary(&self) -> bool {
        self.params.body == Some(Body::BinaryMime)
    }
}
