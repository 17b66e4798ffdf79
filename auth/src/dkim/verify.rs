//! DKIM verification (RFC 6376 §6) as a Sans-IO machine: the message goes in by chunks,
//! key questions come out of [`DkimVerifier::poll`], answers go in through
//! [`DkimVerifier::answer`].

use std::fmt;

use mailwire_mime::header::HeaderLimits;

use super::canon::{BodyHash, BodyHasher};
use super::key::{rsa_public_key, verify_signature, DkimAlgorithm};
use super::message::{
    append_signed_data, field_spans, is_dns_name, FieldSpan, HeaderCollector, Push,
};
use super::record::{Canonicalization, DkimKey, DkimParseError, DkimSignature};
use crate::dmarc::DkimIdentity;
use crate::dns::{Answer, Question, Record, RecordType};

/// Why a signature failed (its content does not match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DkimFailure {
    /// The body hash differs from `bh=`: the body changed.
    BodyHashMismatch,
    /// The signature does not verify over the signed header fields.
    SignatureMismatch,
    /// `x=` is in the past.
    Expired,
    /// `t=` is in the future (beyond the allowed clock skew).
    FutureTimestamp,
    /// The canonical body is shorter than `l=` says.
    BodyShorterThanLength,
}

/// Why a verifier cannot vouch for a signature that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DkimNeutral {
    /// `l=` covers only the start of the body: this many canonical octets follow unsigned,
    /// and anyone could have appended them (RFC 6376 §8.2). Reported as neutral unless
    /// [`DkimConfig::accept_body_length`] is set.
    UnsignedContent {
        /// Canonical body octets after the signed length.
        unsigned_octets: u64,
    },
}

/// Why a signature cannot be verified, permanently.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DkimPermError {
    /// The DKIM-Signature field does not parse.
    Syntax(DkimParseError),
    /// `a=rsa-sha1`, which RFC 8301 forbids verifiers to accept.
    WeakAlgorithm,
    /// An algorithm other than rsa-sha256 and ed25519-sha256.
    UnsupportedAlgorithm,
    /// `t=` is later than `x=`.
    ExpiresBeforeSigned,
    /// `d=` or `s=` does not make a usable DNS name.
    InvalidDomain,
    /// No key record at the selector (NXDOMAIN, no TXT, or no record that parses).
    NoKey,
    /// The key record does not parse.
    KeySyntax(DkimParseError),
    /// The key record's `p=` is empty.
    KeyRevoked,
    /// The key's `k=` is not the signature's algorithm.
    KeyTypeMismatch,
    /// The key's `h=` does not allow sha256.
    HashNotAllowed,
    /// The key's `s=` names services other than email.
    KeyNotForEmail,
    /// The key's `t=s` requires `i=` to be in `d=` exactly, and it is a subdomain.
    IdentityNotStrict,
    /// The public key is not a key of its type.
    InvalidKey,
    /// An RSA key shorter than [`DkimConfig::min_rsa_bits`] (RFC 8301: at least 1024).
    WeakKey {
        /// The modulus size.
        bits: usize,
    },
    /// The header section could not be split (over a limit); no signature could be read.
    Header,
}

/// The result of verifying one signature (RFC 8601 §2.7.1 names).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DkimResult {
    /// The signature verified and covers the whole body.
    Pass,
    /// The signature does not match the message.
    Fail(DkimFailure),
    /// The signature verified but does not vouch for the whole message.
    Neutral(DkimNeutral),
    /// The key could not be fetched now; a later retry may succeed.
    TempError,
    /// The signature or its key is unusable.
    PermError(DkimPermError),
}

impl DkimResult {
    /// The lowercase name used in Authentication-Results.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail(_) => "fail",
            Self::Neutral(_) => "neutral",
            Self::TempError => "temperror",
            Self::PermError(_) => "permerror",
        }
    }
}

impl fmt::Display for DkimResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = match self {
            Self::Pass => return f.write_str("pass"),
            Self::TempError => "key lookup failed",
            Self::Fail(DkimFailure::BodyHashMismatch) => "body hash mismatch",
            Self::Fail(DkimFailure::SignatureMismatch) => "signature mismatch",
            Self::Fail(DkimFailure::Expired) => "signature expired",
            Self::Fail(DkimFailure::FutureTimestamp) => "signature timestamp in the future",
            Self::Fail(DkimFailure::BodyShorterThanLength) => "body shorter than l=",
            Self::Neutral(DkimNeutral::UnsignedContent { .. }) => {
                "unsigned content follows the signed body length"
            }
            Self::PermError(error) => match error {
                DkimPermError::Syntax(_) => "signature syntax error",
                DkimPermError::WeakAlgorithm => "rsa-sha1 is too weak",
                DkimPermError::UnsupportedAlgorithm => "unsupported algorithm",
                DkimPermError::ExpiresBeforeSigned => "x= before t=",
                DkimPermError::InvalidDomain => "invalid domain or selector",
                DkimPermError::NoKey => "no key",
                DkimPermError::KeySyntax(_) => "key syntax error",
                DkimPermError::KeyRevoked => "key revoked",
                DkimPermError::KeyTypeMismatch => "key type mismatch",
                DkimPermError::HashNotAllowed => "hash not allowed by key",
                DkimPermError::KeyNotForEmail => "key not for email",
                DkimPermError::IdentityNotStrict => "identity not allowed by key t=s",
                DkimPermError::InvalidKey => "invalid key",
                DkimPermError::WeakKey { .. } => "key too short",
                DkimPermError::Header => "header section unreadable",
            },
        };
        write!(f, "{} ({reason})", self.as_str())
    }
}

/// The outcome for one DKIM-Signature field, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimOutcome {
    /// The result.
    pub result: DkimResult,
    /// `d=` (empty when the field did not say).
    pub domain: String,
    /// `s=` (empty when the field did not say).
    pub selector: String,
    /// `i=` (`@d` by default; empty when the field did not parse).
    pub identity: String,
    /// `a=` as written.
    pub algorithm: String,
    /// `l=`, if the signature limits the body length.
    pub body_length: Option<u64>,
    /// Canonical body octets after `l=` that no signature covers (0 without `l=`).
    pub unsigned_body_octets: u64,
    /// The key is marked as testing (`t=y`).
    pub testing: bool,
}

impl DkimOutcome {
    /// The identity DMARC weighs (passes only for [`DkimResult::Pass`]).
    pub fn dmarc_identity(&self) -> DkimIdentity {
        DkimIdentity {
            pass: self.result == DkimResult::Pass,
            domain: self.domain.clone(),
        }
    }
}

/// Limits and policy of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DkimConfig {
    /// DKIM-Signature fields verified, from the top; further ones are ignored (counted in
    /// [`DkimVerifier::ignored_signatures`]). Default 8.
    pub max_signatures: usize,
    /// Limits of the header section (default: mailwire-mime's, 1 MiB and 1000 fields); the
    /// header is the only part of the message the verifier holds.
    pub header_limits: HeaderLimits,
    /// Seconds of clock difference tolerated for `t=` and `x=`. Default 300.
    pub clock_skew: u64,
    /// Smallest RSA key accepted, in bits. Default 1024 (RFC 8301 §3.2).
    pub min_rsa_bits: usize,
    /// Count a signature whose `l=` leaves unsigned content as pass (its
    /// [`DkimOutcome::unsigned_body_octets`] still says so). Default false: neutral.
    pub accept_body_length: bool,
}

impl Default for DkimConfig {
    fn default() -> Self {
        Self {
            max_signatures: 8,
            header_limits: HeaderLimits::default(),
            clock_skew: 300,
            min_rsa_bits: 1024,
            accept_body_length: false,
        }
    }
}

/// What the verifier needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DkimPoll {
    /// Resolve this TXT question and hand the answer to [`DkimVerifier::answer`].
    Query(Question),
    /// More of the message is needed: [`DkimVerifier::update`] and then
    /// [`DkimVerifier::finish`].
    NeedMessage,
    /// Every signature has its outcome, top to bottom (empty: the message is unsigned).
    Done(Vec<DkimOutcome>),
}

/// The answer did not belong to a question the verifier is waiting on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DkimAnswerError {
    /// No such question is outstanding.
    #[error("answer does not match an outstanding question")]
    UnexpectedAnswer,
}

#[derive(Debug)]
struct Candidate {
    signature: DkimSignature,
    algorithm: DkimAlgorithm,
    field: usize,
    hasher: usize,
    key: usize,
}

#[derive(Debug)]
struct Entry {
    outcome: DkimOutcome,
    candidate: Option<Candidate>,
}

#[derive(Debug)]
struct KeyQuery {
    question: Question,
    answer: Option<Answer>,
}

#[derive(Debug)]
enum HasherSlot {
    Running(Box<BodyHasher>),
    Finished(BodyHash),
}

#[derive(Debug)]
enum Phase {
    Header(HeaderCollector),
    Body,
    Finished,
}

/// Verifies every DKIM-Signature of one message.
///
/// The message is fed by [`update`](Self::update) in chunks of any size and ended with
/// [`finish`](Self::finish); only the header section is held (bounded by
/// [`DkimConfig::header_limits`]), the body is canonicalized and hashed as it passes, once
/// per distinct (canonicalization, `l=`). Key questions can be answered as soon as the
/// header is in, while the body still streams.
#[derive(Debug)]
pub struct DkimVerifier {
    config: DkimConfig,
    now: u64,
    phase: Phase,
    header: Vec<u8>,
    fields: Vec<FieldSpan>,
    entries: Vec<Entry>,
    hashers: Vec<((Canonicalization, Option<u64>), HasherSlot)>,
    keys: Vec<KeyQuery>,
    ignored: usize,
    done: Option<Vec<DkimOutcome>>,
}

impl DkimVerifier {
    /// A verifier for one message; `now` is the verification time in seconds since the Unix
    /// epoch (for `t=` and `x=`).
    pub fn new(config: DkimConfig, now: u64) -> Self {
        let collector = HeaderCollector::new(config.header_limits.max_header_bytes);
        Self {
            config,
            now,
            phase: Phase::Header(collector),
            header: Vec::new(),
            fields: Vec::new(),
            entries: Vec::new(),
            hashers: Vec::new(),
            keys: Vec::new(),
            ignored: 0,
            done: None,
        }
    }

    /// A verifier that has been given the whole `message`.
    pub fn for_message(message: &[u8], config: DkimConfig, now: u64) -> Self {
        let mut verifier = Self::new(config, now);
        verifier.update(message);
        verifier.finish();
        verifier
    }

    /// Feeds the next chunk of the message (header and body, as received, CRLF or LF line
    /// ends). Ignored after [`finish`](Self::finish).
    pub fn update(&mut self, chunk: &[u8]) {
        let Phase::Header(collector) = &mut self.phase else {
            if matches!(self.phase, Phase::Body) {
                self.hash_body(chunk);
            }
            return;
        };
        match collector.push(chunk) {
            Push::Pending => {}
            Push::TooLarge => self.header_failed(),
            Push::Complete(buffered, rest) => {
                let header = self.take_header();
                self.header_complete(header);
                self.hash_body(&buffered);
                self.hash_body(rest);
            }
        }
    }

    /// Ends the message.
    pub fn finish(&mut self) {
        if matches!(self.phase, Phase::Header(_)) {
            // No empty line: the message is all header, with no body.
            let header = self.take_header();
            self.header_complete(header);
        }
        if matches!(self.phase, Phase::Finished) {
            return;
        }
        self.phase = Phase::Finished;
        for (_, slot) in &mut self.hashers {
            let placeholder = HasherSlot::Finished(BodyHash {
                digest: Vec::new(),
                canonical_length: 0,
                hashed_length: 0,
            });
            if let HasherSlot::Running(hasher) = std::mem::replace(slot, placeholder) {
                *slot = HasherSlot::Finished(hasher.finish());
            }
        }
    }

    /// Moves to the body phase, giving the collected header section.
    fn take_header(&mut self) -> Vec<u8> {
        match std::mem::replace(&mut self.phase, Phase::Body) {
            Phase::Header(collector) => collector.into_header(),
            other => {
                self.phase = other;
                Vec::new()
            }
        }
    }

    /// DKIM-Signature fields beyond [`DkimConfig::max_signatures`], not verified.
    pub fn ignored_signatures(&self) -> usize {
        self.ignored
    }

    /// Every key question not answered yet (to resolve them in parallel); `poll` gives them
    /// one at a time.
    pub fn pending_questions(&self) -> Vec<Question> {
        self.keys
            .iter()
            .filter(|key| key.answer.is_none())
            .map(|key| key.question.clone())
            .collect()
    }

    /// The next key question, a request for more message, or the outcomes. Asking again
    /// without answering repeats the same question.
    #[must_use]
    pub fn poll(&mut self) -> DkimPoll {
        if let Some(outcomes) = &self.done {
            return DkimPoll::Done(outcomes.clone());
        }
        if matches!(self.phase, Phase::Header(_)) {
            return DkimPoll::NeedMessage;
        }
        if let Some(key) = self.keys.iter().find(|key| key.answer.is_none()) {
            return DkimPoll::Query(key.question.clone());
        }
        if !matches!(self.phase, Phase::Finished) {
            return DkimPoll::NeedMessage;
        }
        let outcomes = self.conclude();
        self.done = Some(outcomes.clone());
        DkimPoll::Done(outcomes)
    }

    /// Hands over the resolver's answer to an outstanding `question`.
    pub fn answer(&mut self, question: &Question, answer: Answer) -> Result<(), DkimAnswerError> {
        let key = self
            .keys
            .iter_mut()
            .find(|key| key.answer.is_none() && key.question == *question)
            .ok_or(DkimAnswerError::UnexpectedAnswer)?;
        key.answer = Some(answer);
        Ok(())
    }

    fn header_failed(&mut self) {
        self.phase = Phase::Body;
        self.entries.push(Entry {
            outcome: blank_outcome(DkimResult::PermError(DkimPermError::Header)),
            candidate: None,
        });
    }

    fn header_complete(&mut self, header: Vec<u8>) {
        self.phase = Phase::Body;
        let fields = match field_spans(&header, &self.config.header_limits) {
            Ok(fields) => fields,
            Err(_) => {
                self.header_failed();
                return;
            }
        };
        self.header = header;
        self.fields = fields;
        let signature_fields: Vec<usize> = self
            .fields
            .iter()
            .enumerate()
            .filter(|(_, field)| {
                self.header
                    .get(field.name.clone())
                    .is_some_and(|name| name.eq_ignore_ascii_case(b"DKIM-Signature"))
            })
            .map(|(index, _)| index)
            .collect();
        for (count, field) in signature_fields.into_iter().enumerate() {
            if count >= self.config.max_signatures {
                self.ignored += 1;
                continue;
            }
            let entry = self.examine(field);
            self.entries.push(entry);
        }
    }

    /// Reads one DKIM-Signature field and decides what can be decided before the key.
    fn examine(&mut self, field: usize) -> Entry {
        let value = self
            .fields
            .get(field)
            .and_then(|span| {
                let whole = self.header.get(span.whole.clone())?;
                let colon = memchr::memchr(b':', whole)?;
                whole.get(colon + 1..)
            })
            .unwrap_or_default();
        let text = std::str::from_utf8(value);
        let signature = match text.map_err(|_| DkimParseError::MalformedTag) {
            Ok(text) => DkimSignature::parse(text),
            Err(error) => Err(error),
        };
        let signature = match signature {
            Ok(signature) => signature,
            Err(error) => {
                let mut outcome =
                    blank_outcome(DkimResult::PermError(DkimPermError::Syntax(error)));
                // What can be read of the field still names it in reports (first of each).
                for spec in text.unwrap_or_default().split(';') {
                    let Some((name, tag_value)) = spec.split_once('=') else {
                        continue;
                    };
                    let tag_value = tag_value.trim();
                    let slot = match name.trim() {
                        "d" => &mut outcome.domain,
                        "s" => &mut outcome.selector,
                        "a" => &mut outcome.algorithm,
                        _ => continue,
                    };
                    if slot.is_empty() {
                        *slot = tag_value.to_ascii_lowercase();
                    }
                }
                return Entry {
                    outcome,
                    candidate: None,
                };
            }
        };
        let mut outcome = DkimOutcome {
            result: DkimResult::Pass,
            domain: signature.domain.clone(),
            selector: signature.selector.clone(),
            identity: signature.identity.clone(),
            algorithm: format!(
                "{}-{}",
                signature.signature_algorithm, signature.hash_algorithm
            ),
            body_length: signature.body_length,
            unsigned_body_octets: 0,
            testing: false,
        };
        let early = |outcome: &mut DkimOutcome, result: DkimResult| {
            outcome.result = result;
            Entry {
                outcome: outcome.clone(),
                candidate: None,
            }
        };
        let algorithm = match (
            signature.signature_algorithm.as_str(),
            signature.hash_algorithm.as_str(),
        ) {
            ("rsa", "sha256") => DkimAlgorithm::RsaSha256,
            ("ed25519", "sha256") => DkimAlgorithm::Ed25519Sha256,
            ("rsa", "sha1") => {
                return early(
                    &mut outcome,
                    DkimResult::PermError(DkimPermError::WeakAlgorithm),
                )
            }
            _ => {
                return early(
                    &mut outcome,
                    DkimResult::PermError(DkimPermError::UnsupportedAlgorithm),
                )
            }
        };
        if let (Some(signed), Some(expires)) = (signature.timestamp, signature.expiration) {
            if signed > expires {
                return early(
                    &mut outcome,
                    DkimResult::PermError(DkimPermError::ExpiresBeforeSigned),
                );
            }
        }
        if let Some(expires) = signature.expiration {
            if expires.saturating_add(self.config.clock_skew) < self.now {
                return early(&mut outcome, DkimResult::Fail(DkimFailure::Expired));
            }
        }
        if let Some(signed) = signature.timestamp {
            if signed > self.now.saturating_add(self.config.clock_skew) {
                return early(&mut outcome, DkimResult::Fail(DkimFailure::FutureTimestamp));
            }
        }
        let name = format!("{}._domainkey.{}", signature.selector, signature.domain);
        if !is_dns_name(&name) {
            return early(
                &mut outcome,
                DkimResult::PermError(DkimPermError::InvalidDomain),
            );
        }
        let question = Question::new(name, RecordType::Txt);
        let key = match self.keys.iter().position(|key| key.question == question) {
            Some(index) => index,
            None => {
                self.keys.push(KeyQuery {
                    question,
                    answer: None,
                });
                self.keys.len() - 1
            }
        };
        let hasher_key = (signature.body_canonicalization, signature.body_length);
        let hasher = match self.hashers.iter().position(|(k, _)| *k == hasher_key) {
            Some(index) => index,
            None => {
                self.hashers.push((
                    hasher_key,
                    HasherSlot::Running(Box::new(BodyHasher::new(hasher_key.0, hasher_key.1))),
                ));
                self.hashers.len() - 1
            }
        };
        Entry {
            outcome,
            candidate: Some(Candidate {
                signature,
                algorithm,
                field,
                hasher,
                key,
            }),
        }
    }

    fn hash_body(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        for (_, slot) in &mut self.hashers {
            if let HasherSlot::Running(hasher) = slot {
                hasher.update(bytes);
            }
        }
    }

    fn conclude(&self) -> Vec<DkimOutcome> {
        let fields: Vec<&[u8]> = self
            .fields
            .iter()
            .map(|span| self.header.get(span.whole.clone()).unwrap_or_default())
            .collect();
        self.entries
            .iter()
            .map(|entry| {
                let mut outcome = entry.outcome.clone();
                if let Some(candidate) = &entry.candidate {
                    self.verify_candidate(candidate, &fields, &mut outcome);
                }
                outcome
            })
            .collect()
    }

    fn verify_candidate(&self, candidate: &Candidate, fields: &[&[u8]], outcome: &mut DkimOutcome) {
        let signature = &candidate.signature;
        let key = match self.keys.get(candidate.key).and_then(|k| k.answer.as_ref()) {
            Some(Answer::Records(records)) => select_key(records),
            Some(Answer::NxDomain) => Err(DkimPermError::NoKey),
            // Unanswered cannot happen once done; treat it like a failed lookup.
            Some(Answer::Error) | None => {
                outcome.result = DkimResult::TempError;
                return;
            }
        };
        let key = match key {
            Ok(key) => key,
            Err(error) => {
                outcome.result = DkimResult::PermError(error);
                return;
            }
        };
        outcome.testing = key.testing;
        if let Err(error) = self.check_key(candidate, &key) {
            outcome.result = DkimResult::PermError(error);
            return;
        }
        let Some((_, HasherSlot::Finished(body))) = self.hashers.get(candidate.hasher) else {
            outcome.result = DkimResult::TempError;
            return;
        };
        if let Some(limit) = signature.body_length {
            if body.canonical_length < limit {
                outcome.result = DkimResult::Fail(DkimFailure::BodyShorterThanLength);
                return;
            }
        }
        if body.digest != signature.body_hash {
            outcome.result = DkimResult::Fail(DkimFailure::BodyHashMismatch);
            return;
        }
        let public_key = match candidate.algorithm {
            DkimAlgorithm::RsaSha256 => rsa_public_key(&key.public_key)
                .map(|(der, _)| der)
                .unwrap_or_default(),
            DkimAlgorithm::Ed25519Sha256 => &key.public_key,
        };
        let signature_field = self
            .fields
            .get(candidate.field)
            .and_then(|span| self.header.get(span.whole.clone()))
            .unwrap_or_default();
        let mut data = Vec::with_capacity(1024);
        append_signed_data(
            fields,
            &signature.signed_headers,
            signature_field,
            signature.header_canonicalization,
            &mut data,
        );
        if !verify_signature(candidate.algorithm, public_key, &data, &signature.signature) {
            outcome.result = DkimResult::Fail(DkimFailure::SignatureMismatch);
            return;
        }
        outcome.unsigned_body_octets = body.unsigned_length();
        outcome.result = if outcome.unsigned_body_octets > 0 && !self.config.accept_body_length {
            DkimResult::Neutral(DkimNeutral::UnsignedContent {
                unsigned_octets: outcome.unsigned_body_octets,
            })
        } else {
            DkimResult::Pass
        };
    }

    fn check_key(&self, candidate: &Candidate, key: &DkimKey) -> Result<(), DkimPermError> {
        if key.is_revoked() {
            return Err(DkimPermError::KeyRevoked);
        }
        if key.key_type != candidate.algorithm.key_type() {
            return Err(DkimPermError::KeyTypeMismatch);
        }
        if !key.serves_email() {
            return Err(DkimPermError::KeyNotForEmail);
        }
        if !key.hash_algorithms.is_empty() && !key.hash_algorithms.iter().any(|h| h == "sha256") {
            return Err(DkimPermError::HashNotAllowed);
        }
        let signature = &candidate.signature;
        if key.strict_identity {
            let identity_domain = signature
                .identity
                .rsplit_once('@')
                .map_or("", |(_, domain)| domain);
            if !identity_domain.eq_ignore_ascii_case(&signature.domain) {
                return Err(DkimPermError::IdentityNotStrict);
            }
        }
        match candidate.algorithm {
            DkimAlgorithm::RsaSha256 => {
                let (_, bits) = rsa_public_key(&key.public_key).ok_or(DkimPermError::InvalidKey)?;
                if bits < self.config.min_rsa_bits {
                    return Err(DkimPermError::WeakKey { bits });
                }
                if bits > 8192 {
                    return Err(DkimPermError::InvalidKey);
                }
            }
            DkimAlgorithm::Ed25519Sha256 => {
                if key.public_key.len() != 32 {
                    return Err(DkimPermError::InvalidKey);
                }
            }
        }
        Ok(())
    }
}

/// The first TXT record that parses as a key; a syntax error only when none does.
fn select_key(records: &[Record]) -> Result<DkimKey, DkimPermError> {
    let mut first_error = None;
    for record in records {
        if let Record::Txt(text) = record {
            match DkimKey::parse(text) {
                Ok(key) => return Ok(key),
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
    }
    Err(first_error.map_or(DkimPermError::NoKey, DkimPermError::KeySyntax))
}

fn blank_outcome(result: DkimResult) -> DkimOutcome {
    DkimOutcome {
        result,
        domain: String::new(),
        selector: String::new(),
        identity: String::new(),
        algorithm: String::new(),
        body_length: None,
        unsigned_body_octets: 0,
        testing: false,
    }
}
