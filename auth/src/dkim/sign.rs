//! DKIM signing (RFC 6376 §5): chooses the fields to sign (oversigning the ones nobody may
//! add), hashes the body as it streams, and writes the DKIM-Signature field.

use base64::Engine as _;
use mailwire_mime::header::HeaderLimits;

use super::canon::BodyHasher;
use super::key::{DkimKeyError, DkimSigningKey};
use super::message::{append_signed_data, field_spans, is_dns_name, HeaderCollector, Push};
use super::record::Canonicalization;

/// Fields signed when present, in this order (RFC 6376 §5.4.1 and common practice).
const DEFAULT_SIGNED: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "To",
    "Cc",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-ID",
    "Content-Description",
    "Resent-Date",
    "Resent-From",
    "Resent-Sender",
    "Resent-To",
    "Resent-Cc",
    "Resent-Message-ID",
    "In-Reply-To",
    "References",
    "List-Id",
    "List-Help",
    "List-Unsubscribe",
    "List-Subscribe",
    "List-Post",
    "List-Owner",
    "List-Archive",
];

/// Fields named once more than they occur (RFC 6376 §8.15), so that adding one, where
/// readers show the first, breaks the signature.
const DEFAULT_OVERSIGNED: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "To",
    "Cc",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "In-Reply-To",
    "References",
];

/// Longest line the signer writes before folding.
const FOLD_AT: usize = 76;

/// Why a message could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DkimSignError {
    /// The header section is larger than the limit, or over a limit of mailwire-mime.
    #[error("header section over the limit")]
    HeaderTooLarge,
    /// The message has no From field, which every signature must cover.
    #[error("message has no from field")]
    NoFrom,
    /// `selector._domainkey.domain` is not a usable DNS name.
    #[error("invalid signing domain or selector")]
    InvalidDomain,
    /// The identity (`i=`) is not in the signing domain.
    #[error("identity is not within the signing domain")]
    InvalidIdentity,
    /// The key failed to sign.
    #[error("signing failed: {0}")]
    Key(#[from] DkimKeyError),
}

/// Signs messages for one domain and selector with one key. Defaults: relaxed/relaxed,
/// the common fields signed and the identifying ones oversigned, no expiration.
#[derive(Debug)]
pub struct DkimSigner {
    key: DkimSigningKey,
    domain: String,
    selector: String,
    identity: Option<String>,
    header_canonicalization: Canonicalization,
    body_canonicalization: Canonicalization,
    signed: Vec<String>,
    oversigned: Vec<String>,
    expire_after: Option<u64>,
    header_limits: HeaderLimits,
}

impl DkimSigner {
    /// A signer for `d=domain`, `s=selector`.
    pub fn new(key: DkimSigningKey, domain: &str, selector: &str) -> Self {
        Self {
            key,
            domain: domain.to_ascii_lowercase(),
            selector: selector.to_owned(),
            identity: None,
            header_canonicalization: Canonicalization::Relaxed,
            body_canonicalization: Canonicalization::Relaxed,
            signed: DEFAULT_SIGNED.iter().map(|s| (*s).to_owned()).collect(),
            oversigned: DEFAULT_OVERSIGNED.iter().map(|s| (*s).to_owned()).collect(),
            expire_after: None,
            header_limits: HeaderLimits::default(),
        }
    }

    /// Sets the header and body canonicalization (`c=`).
    #[must_use]
    pub fn with_canonicalization(
        mut self,
        header: Canonicalization,
        body: Canonicalization,
    ) -> Self {
        self.header_canonicalization = header;
        self.body_canonicalization = body;
        self
    }

    /// Sets the agent or user identifier (`i=`), which must be within the domain.
    #[must_use]
    pub fn with_identity(mut self, identity: &str) -> Self {
        self.identity = Some(identity.to_owned());
        self
    }

    /// Replaces the fields signed when present and those oversigned (signed once more than
    /// they occur, so also when absent). From is always signed.
    #[must_use]
    pub fn with_headers(mut self, signed: &[&str], oversigned: &[&str]) -> Self {
        self.signed = signed.iter().map(|s| (*s).to_owned()).collect();
        self.oversigned = oversigned.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Adds `x=`, this many seconds after the signing time.
    #[must_use]
    pub fn with_expiration(mut self, seconds: u64) -> Self {
        self.expire_after = Some(seconds);
        self
    }

    /// Sets the limits of the header section the signer holds (default: mailwire-mime's).
    #[must_use]
    pub fn with_header_limits(mut self, limits: HeaderLimits) -> Self {
        self.header_limits = limits;
        self
    }

    /// The key this signer uses.
    pub fn key(&self) -> &DkimSigningKey {
        &self.key
    }

    /// The DNS name the key record is published at.
    pub fn record_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// Signs a whole message at `now` (seconds since the Unix epoch, for `t=`); gives the
    /// DKIM-Signature field, with its CRLF, to put on top of the message.
    pub fn sign(&self, message: &[u8], now: u64) -> Result<String, DkimSignError> {
        let mut signing = self.start(now);
        signing.update(message);
        signing.finish()
    }

    /// Starts signing a message given in chunks; only its header section is held.
    pub fn start(&self, now: u64) -> DkimSigning<'_> {
        DkimSigning {
            signer: self,
            now,
            collector: Some(HeaderCollector::new(self.header_limits.max_header_bytes)),
            header: Vec::new(),
            too_large: false,
            hasher: BodyHasher::new(self.body_canonicalization, None),
        }
    }

    /// The `h=` names for a header whose field names are `present`: each signed name as
    /// often as it occurs, oversigned ones once more, From always.
    fn signed_names(&self, present: &[&[u8]]) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let wanted = std::iter::once("From")
            .chain(self.signed.iter().map(String::as_str))
            .chain(self.oversigned.iter().map(String::as_str));
        for name in wanted {
            let lower = name.to_ascii_lowercase();
            if names.contains(&lower) {
                continue;
            }
            let occurs = present
                .iter()
                .filter(|field| field.eq_ignore_ascii_case(lower.as_bytes()))
                .count();
            let oversign = self
                .oversigned
                .iter()
                .any(|over| over.eq_ignore_ascii_case(&lower));
            let count = occurs + usize::from(oversign);
            names.extend(std::iter::repeat_n(lower, count));
        }
        names
    }
}

/// One message being signed: feed it with [`update`](Self::update), end with
/// [`finish`](Self::finish).
#[derive(Debug)]
pub struct DkimSigning<'a> {
    signer: &'a DkimSigner,
    now: u64,
    collector: Option<HeaderCollector>,
    header: Vec<u8>,
    too_large: bool,
    hasher: BodyHasher,
}

impl DkimSigning<'_> {
    /// Feeds the next chunk of the message.
    pub fn update(&mut self, chunk: &[u8]) {
        let Some(collector) = &mut self.collector else {
            if !self.too_large {
                self.hasher.update(chunk);
            }
            return;
        };
        match collector.push(chunk) {
            Push::Pending => {}
            Push::TooLarge => {
                self.collector = None;
                self.too_large = true;
            }
            Push::Complete(buffered, rest) => {
                if let Some(collector) = self.collector.take() {
                    self.header = collector.into_header();
                }
                self.hasher.update(&buffered);
                self.hasher.update(rest);
            }
        }
    }

    /// Ends the message and gives the DKIM-Signature field (with its CRLF) to prepend.
    pub fn finish(mut self) -> Result<String, DkimSignError> {
        if let Some(collector) = self.collector.take() {
            self.header = collector.into_header();
        }
        if self.too_large {
            return Err(DkimSignError::HeaderTooLarge);
        }
        let signer = self.signer;
        if !is_dns_name(&signer.record_name()) {
            return Err(DkimSignError::InvalidDomain);
        }
        if let Some(identity) = &signer.identity {
            let domain = identity.rsplit_once('@').map_or("", |(_, d)| d);
            let domain = domain.to_ascii_lowercase();
            if domain != signer.domain && !domain.ends_with(&format!(".{}", signer.domain)) {
                return Err(DkimSignError::InvalidIdentity);
            }
        }
        let spans = field_spans(&self.header, &signer.header_limits)
            .map_err(|_| DkimSignError::HeaderTooLarge)?;
        let fields: Vec<&[u8]> = spans
            .iter()
            .map(|span| self.header.get(span.whole.clone()).unwrap_or_default())
            .collect();
        let names: Vec<&[u8]> = spans
            .iter()
            .map(|span| self.header.get(span.name.clone()).unwrap_or_default())
            .collect();
        if !names.iter().any(|name| name.eq_ignore_ascii_case(b"From")) {
            return Err(DkimSignError::NoFrom);
        }
        let signed_names = signer.signed_names(&names);
        let body_hash = self.hasher.finish();
        let base64 = &base64::engine::general_purpose::STANDARD;

        let mut field = FoldedField::new("DKIM-Signature:");
        field.tag(" v=1;");
        field.tag(&format!(" a={};", signer.key.algorithm().as_str()));
        field.tag(&format!(
            " c={}/{};",
            signer.header_canonicalization.as_str(),
            signer.body_canonicalization.as_str()
        ));
        field.tag(&format!(" d={};", signer.domain));
        field.tag(&format!(" s={};", signer.selector));
        if let Some(identity) = &signer.identity {
            field.tag(&format!(" i={identity};"));
        }
        field.tag(&format!(" t={};", self.now));
        if let Some(seconds) = signer.expire_after {
            field.tag(&format!(" x={};", self.now.saturating_add(seconds)));
        }
        field.tag(" h=");
        for (index, name) in signed_names.iter().enumerate() {
            if index > 0 {
                field.text(":");
            }
            field.tag(name);
        }
        field.text(";");
        field.tag(&format!(" bh={};", base64.encode(&body_hash.digest)));
        field.tag(" b=");

        let mut data = Vec::with_capacity(1024);
        append_signed_data(
            &fields,
            &signed_names,
            field.text.as_bytes(),
            signer.header_canonicalization,
            &mut data,
        );
        let signature = base64.encode(signer.key.sign_data(&data)?);
        // The b= value may be folded anywhere: the verifier deletes it whole.
        let mut rest = signature.as_str();
        while !rest.is_empty() {
            let room = FOLD_AT.saturating_sub(field.line_length).max(8);
            let (piece, after) = rest.split_at(room.min(rest.len()));
            field.tag(piece);
            rest = after;
        }
        field.text.push_str("\r\n");
        Ok(field.text)
    }
}

/// A header field written with folding before pieces that would overflow the line.
struct FoldedField {
    text: String,
    line_length: usize,
}

impl FoldedField {
    fn new(name: &str) -> Self {
        Self {
            text: name.to_owned(),
            line_length: name.len(),
        }
    }

    /// Appends a piece, folding first if it would overflow (and the line has content).
    fn tag(&mut self, piece: &str) {
        if self.line_length + piece.len() > FOLD_AT && self.line_length > 1 {
            self.text.push_str("\r\n\t");
            self.line_length = 1;
            let piece = piece.strip_prefix(' ').unwrap_or(piece);
            self.text.push_str(piece);
            self.line_length += piece.len();
        } else {
            self.text.push_str(piece);
            self.line_length += piece.len();
        }
    }

    /// Appends text that is never folded before.
    fn text(&mut self, text: &str) {
        self.text.push_str(text);
        self.line_length += text.len();
    }
}
