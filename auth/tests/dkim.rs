//! DKIM verification and signing: the RFC examples (RFC 8463 Appendix A, RFC 6376 Appendix
//! A), tampering, key answers, the body length tag, streaming, and sign/verify round trips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::HashMap;

use base64::Engine as _;
use mailwire_auth::dkim::{
    signature_input, BodyHasher, Canonicalization, DkimConfig, DkimFailure, DkimNeutral,
    DkimOutcome, DkimPermError, DkimPoll, DkimResult, DkimSignError, DkimSigner, DkimSigningKey,
    DkimVerifier,
};
use mailwire_auth::dns::{Answer, Question, Record, RecordType};
use mailwire_mime::header::{HeaderLimits, HeaderSection};

/// RFC 8463 Appendix A.3: the message signed by football.example.com with Ed25519
/// (selector brisbane) and with a 1024-bit RSA key (selector test).
const RFC8463_SIGNED: &str = concat!(
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n",
    " d=football.example.com; i=@football.example.com;\r\n",
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n",
    " subject : date : message-id : from : subject : date;\r\n",
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n",
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n",
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n",
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n",
    " d=football.example.com; i=@football.example.com;\r\n",
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n",
    " date : message-id : from : subject : date;\r\n",
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n",
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n",
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n",
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n",
    "From: Joe SixPack <joe@football.example.com>\r\n",
    "To: Suzie Q <suzie@shopping.example.net>\r\n",
    "Subject: Is dinner ready?\r\n",
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n",
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n",
    "\r\n",
    "Hi.\r\n",
    "\r\n",
    "We lost the game.  Are you hungry yet?\r\n",
    "\r\n",
    "Joe.\r\n",
    "\r\n",
);

/// RFC 8463 Appendix A.1: the Ed25519 private key (the RFC 8032 test 1 seed).
const RFC8463_ED25519_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

/// RFC 8463 Appendix A.2: the key records, their strings joined.
const RFC8463_ED25519_RECORD: &str =
    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const RFC8463_RSA_RECORD: &str = concat!(
    "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR",
    "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutAC",
    "DfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3",
    "Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
);

/// RFC 6376 Appendix A.2, as printed (continuation lines indented as there).
const RFC6376_SIGNED: &str = concat!(
    "DKIM-Signature: v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n",
    "     c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n",
    "     h=Received : From : To : Subject : Date : Message-ID;\r\n",
    "     bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n",
    "     b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n",
    "     4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n",
    "     KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n",
    "     4bmp/YzhwvcubU4=;\r\n",
    "Received: from client1.football.example.com  [192.0.2.1]\r\n",
    "     by submitserver.example.com with SUBMISSION;\r\n",
    "     Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n",
    "From: Joe SixPack <joe@football.example.com>\r\n",
    "To: Suzie Q <suzie@shopping.example.net>\r\n",
    "Subject: Is dinner ready?\r\n",
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n",
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n",
    "\r\n",
    "Hi.\r\n",
    "\r\n",
    "We lost the game.  Are you hungry yet?\r\n",
    "\r\n",
    "Joe.\r\n",
);

/// RFC 6376 Appendix C's key record, its strings joined.
const RFC6376_RECORD: &str = concat!(
    "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ",
    "KBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt",
    "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v",
    "/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi",
    "tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB",
);

/// A 512-bit RSA public key (SubjectPublicKeyInfo), too short for RFC 8301.
const RSA512_SPKI: &str = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMjB1heN8hpWDJevdrUJHKbP/SrnelnZJjhaYe0hFKuWWW2Baf8FX7tZ0TrmfSO0twCdIlZpbE6oLidNNUDlq+0CAwEAAQ==";

/// 2026-10-02, long after the RFC signatures' t=.
const NOW: u64 = 1_790_910_000;

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.split_whitespace().collect::<String>())
        .unwrap()
}

/// A 2048-bit RSA test key (PKCS#8), made with `openssl genpkey` for these tests.
fn rsa_key() -> DkimSigningKey {
    DkimSigningKey::rsa_pkcs8(&b64(include_str!("data/rsa2048.pkcs8.b64"))).unwrap()
}

fn ed25519_key() -> DkimSigningKey {
    DkimSigningKey::ed25519_seed(&b64(RFC8463_ED25519_SEED)).unwrap()
}

/// Canned key records by name; a name missing is NXDOMAIN.
#[derive(Clone, Default)]
struct Keys(HashMap<String, Answer>);

impl Keys {
    fn with(mut self, name: &str, record: &str) -> Self {
        self.0.insert(
            name.to_owned(),
            Answer::Records(vec![Record::Txt(record.to_owned())]),
        );
        self
    }

    fn answer(mut self, name: &str, answer: Answer) -> Self {
        self.0.insert(name.to_owned(), answer);
        self
    }

    fn rfc8463() -> Self {
        Self::default()
            .with(
                "brisbane._domainkey.football.example.com",
                RFC8463_ED25519_RECORD,
            )
            .with("test._domainkey.football.example.com", RFC8463_RSA_RECORD)
    }

    fn resolve(&self, question: &Question) -> Answer {
        assert_eq!(question.record_type, RecordType::Txt);
        self.0
            .get(&question.name)
            .cloned()
            .unwrap_or(Answer::NxDomain)
    }
}

fn run(mut verifier: DkimVerifier, keys: &Keys) -> (Vec<DkimOutcome>, Vec<Question>) {
    let mut asked = Vec::new();
    for _ in 0..100 {
        match verifier.poll() {
            DkimPoll::Query(question) => {
                verifier.answer(&question, keys.resolve(&question)).unwrap();
                asked.push(question);
            }
            DkimPoll::Done(outcomes) => return (outcomes, asked),
            DkimPoll::NeedMessage => panic!("the message was finished"),
        }
    }
    panic!("verification did not end");
}

fn verify_with(message: &[u8], keys: &Keys, config: DkimConfig) -> Vec<DkimOutcome> {
    run(DkimVerifier::for_message(message, config, NOW), keys).0
}

fn results(message: &[u8], keys: &Keys) -> Vec<DkimResult> {
    verify_with(message, keys, DkimConfig::default())
        .into_iter()
        .map(|outcome| outcome.result)
        .collect()
}

/// The raw fields of a message's header, as `signature_input` takes them.
fn raw_fields(message: &[u8]) -> Vec<&[u8]> {
    let section = HeaderSection::parse(message, &HeaderLimits::default()).unwrap();
    section
        .fields()
        .iter()
        .map(|field| &message[field.range()])
        .collect()
}

#[test]
fn rfc8463_example_verifies() {
    let (outcomes, asked) = run(
        DkimVerifier::for_message(RFC8463_SIGNED.as_bytes(), DkimConfig::default(), NOW),
        &Keys::rfc8463(),
    );
    assert_eq!(outcomes.len(), 2);
    for (outcome, (selector, algorithm)) in outcomes
        .iter()
        .zip([("brisbane", "ed25519-sha256"), ("test", "rsa-sha256")])
    {
        assert_eq!(outcome.result, DkimResult::Pass, "{outcome:?}");
        assert_eq!(outcome.domain, "football.example.com");
        assert_eq!(outcome.selector, selector);
        assert_eq!(outcome.algorithm, algorithm);
        assert_eq!(outcome.identity, "@football.example.com");
        assert_eq!(outcome.unsigned_body_octets, 0);
        assert!(outcome.dmarc_identity().pass);
    }
    assert_eq!(
        asked,
        [
            Question::new("brisbane._domainkey.football.example.com", RecordType::Txt),
            Question::new("test._domainkey.football.example.com", RecordType::Txt),
        ]
    );
}

/// Ed25519 is deterministic: the RFC's private key over the data we compute for the RFC's
/// field gives the RFC's signature, octet for octet.
#[test]
fn rfc8463_ed25519_signature_is_reproduced() {
    let message = RFC8463_SIGNED.as_bytes();
    let fields = raw_fields(message);
    let signature_field = fields[0];
    let data = signature_input(&fields, signature_field).unwrap();
    assert_eq!(
        String::from_utf8(data.clone()).unwrap(),
        concat!(
            "from:Joe SixPack <joe@football.example.com>\r\n",
            "to:Suzie Q <suzie@shopping.example.net>\r\n",
            "subject:Is dinner ready?\r\n",
            "date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n",
            "message-id:<20030712040037.46341.5F8J@football.example.com>\r\n",
            "dkim-signature:v=1; a=ed25519-sha256; c=relaxed/relaxed; d=football.example.com; ",
            "i=@football.example.com; q=dns/txt; s=brisbane; t=1528637909; h=from : to : ",
            "subject : date : message-id : from : subject : date; ",
            "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=",
        )
    );
    let key = ed25519_key();
    assert_eq!(key.dns_record(), RFC8463_ED25519_RECORD);
    let signature = key.sign_data(&data).unwrap();
    assert_eq!(
        signature,
        b64("/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==")
    );
    // The body hash the RFC prints is ours too.
    let body = HeaderSection::parse(message, &HeaderLimits::default())
        .unwrap()
        .body();
    let mut hasher = BodyHasher::new(Canonicalization::Relaxed, None);
    hasher.update(body);
    assert_eq!(
        hasher.finish().digest,
        b64("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=")
    );
}

/// RFC 6376's example says c=simple/simple but prints the relaxed body hash (its body has
/// two spaces in "game.  Are"), so it fails on the body hash, as it does under dkimpy; its
/// key is read as a 1024-bit RSA key and asked at the right name.
#[test]
fn rfc6376_example_is_read_and_its_known_errata_fails() {
    let keys = Keys::default().with("brisbane._domainkey.example.com", RFC6376_RECORD);
    let (outcomes, asked) = run(
        DkimVerifier::for_message(RFC6376_SIGNED.as_bytes(), DkimConfig::default(), NOW),
        &keys,
    );
    assert_eq!(
        asked,
        [Question::new(
            "brisbane._domainkey.example.com",
            RecordType::Txt
        )]
    );
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].identity, "joe@football.example.com");
    assert_eq!(
        outcomes[0].result,
        DkimResult::Fail(DkimFailure::BodyHashMismatch)
    );
    // With the body made to match its hash (one space), the signature itself is checked.
    let one_space = RFC6376_SIGNED.replace("game.  Are", "game. Are");
    assert_eq!(
        results(one_space.as_bytes(), &keys),
        [DkimResult::Fail(DkimFailure::SignatureMismatch)]
    );
}

#[test]
fn tampered_messages_fail() {
    let keys = Keys::rfc8463();
    let both = |result: DkimResult| vec![result.clone(), result];
    assert_eq!(
        results(RFC8463_SIGNED.replace("hungry", "angry").as_bytes(), &keys),
        both(DkimResult::Fail(DkimFailure::BodyHashMismatch))
    );
    assert_eq!(
        results(RFC8463_SIGNED.replace("dinner", "lunch").as_bytes(), &keys),
        both(DkimResult::Fail(DkimFailure::SignatureMismatch))
    );
    // From is named twice in h=: a second From, anywhere, breaks the signature.
    let added_from =
        RFC8463_SIGNED.replace("From: Joe", "From: Mallory <m@evil.example>\r\nFrom: Joe");
    assert_eq!(
        results(added_from.as_bytes(), &keys),
        both(DkimResult::Fail(DkimFailure::SignatureMismatch))
    );
    // A field no signature names may be added; relaxed canonicalization forgives refolding.
    let harmless = RFC8463_SIGNED
        .replace("Message-ID:", "X-Mailer: any\r\nMessage-ID:")
        .replace(
            "Subject: Is dinner ready?",
            "Subject:   Is dinner\r\n\tready?  ",
        )
        .replace("Hi.\r\n", "Hi. \t\r\n");
    assert_eq!(results(harmless.as_bytes(), &keys), both(DkimResult::Pass));
    // Bare LF line ends (a message stored on Unix) are read as CRLF.
    let bare_lf = RFC8463_SIGNED.replace("\r\n", "\n");
    assert_eq!(results(bare_lf.as_bytes(), &keys), both(DkimResult::Pass));
}

#[test]
fn key_answers_decide() {
    let message = RFC8463_SIGNED.as_bytes();
    let ed_name = "brisbane._domainkey.football.example.com";
    let first = |keys: Keys| results(message, &keys).remove(0);
    assert_eq!(
        first(Keys::rfc8463().answer(ed_name, Answer::NxDomain)),
        DkimResult::PermError(DkimPermError::NoKey)
    );
    assert_eq!(
        first(Keys::rfc8463().answer(ed_name, Answer::Records(Vec::new()))),
        DkimResult::PermError(DkimPermError::NoKey)
    );
    assert_eq!(
        first(Keys::rfc8463().answer(ed_name, Answer::Error)),
        DkimResult::TempError
    );
    assert_eq!(
        first(Keys::rfc8463().with(ed_name, "v=DKIM1; k=ed25519; p=")),
        DkimResult::PermError(DkimPermError::KeyRevoked)
    );
    assert_eq!(
        first(Keys::rfc8463().with(ed_name, RFC8463_RSA_RECORD)),
        DkimResult::PermError(DkimPermError::KeyTypeMismatch)
    );
    assert_eq!(
        first(Keys::rfc8463().with(ed_name, &format!("{RFC8463_ED25519_RECORD}; h=sha1"))),
        DkimResult::PermError(DkimPermError::HashNotAllowed)
    );
    assert_eq!(
        first(Keys::rfc8463().with(ed_name, &format!("{RFC8463_ED25519_RECORD}; s=tlsrpt"))),
        DkimResult::PermError(DkimPermError::KeyNotForEmail)
    );
    assert!(matches!(
        first(Keys::rfc8463().with(ed_name, "v=DKIM1; p=!!")),
        DkimResult::PermError(DkimPermError::KeySyntax(_))
    ));
    assert_eq!(
        first(Keys::rfc8463().with(ed_name, "v=DKIM1; k=ed25519; p=AAAA")),
        DkimResult::PermError(DkimPermError::InvalidKey)
    );
    // A key that parses wins over junk published beside it.
    let mixed = Answer::Records(vec![
        Record::Txt("not a key".to_owned()),
        Record::Txt(RFC8463_ED25519_RECORD.to_owned()),
    ]);
    assert_eq!(
        first(Keys::rfc8463().answer(ed_name, mixed)),
        DkimResult::Pass
    );
    // t=y is reported; t=s with i= in d= exactly still passes, with a subdomain it does not.
    let testing = verify_with(
        message,
        &Keys::rfc8463().with(ed_name, &format!("{RFC8463_ED25519_RECORD}; t=y:s")),
        DkimConfig::default(),
    );
    assert_eq!(testing[0].result, DkimResult::Pass);
    assert!(testing[0].testing);
    let below =
        RFC8463_SIGNED.replacen("i=@football.example.com", "i=@news.football.example.com", 1);
    assert_eq!(
        results(
            below.as_bytes(),
            &Keys::rfc8463().with(ed_name, &format!("{RFC8463_ED25519_RECORD}; t=s"))
        )[0],
        DkimResult::PermError(DkimPermError::IdentityNotStrict)
    );
    // RFC 8301: keys under 1024 bits are refused.
    let weak = Keys::rfc8463().with(
        "test._domainkey.football.example.com",
        &format!("v=DKIM1; p={RSA512_SPKI}"),
    );
    assert_eq!(
        results(message, &weak)[1],
        DkimResult::PermError(DkimPermError::WeakKey { bits: 512 })
    );
}

#[test]
fn signature_fields_decide() {
    let keys = Keys::rfc8463();
    let first = |message: String| results(message.as_bytes(), &keys).remove(0);
    let rsa_sha1 = results(
        RFC8463_SIGNED
            .replacen("a=rsa-sha256", "a=rsa-sha1", 1)
            .as_bytes(),
        &keys,
    );
    assert_eq!(
        rsa_sha1[1],
        DkimResult::PermError(DkimPermError::WeakAlgorithm)
    );
    assert_eq!(rsa_sha1[1].to_string(), "permerror (rsa-sha1 is too weak)");
    assert_eq!(
        first(RFC8463_SIGNED.replacen("a=ed25519-sha256", "a=dsa-sha256", 1)),
        DkimResult::PermError(DkimPermError::UnsupportedAlgorithm)
    );
    assert_eq!(
        first(RFC8463_SIGNED.replacen("t=1528637909;", "t=1528637909; x=1528637910;", 1)),
        DkimResult::Fail(DkimFailure::Expired)
    );
    assert_eq!(
        first(RFC8463_SIGNED.replacen("t=1528637909;", "t=1528637909; x=1528637900;", 1)),
        DkimResult::PermError(DkimPermError::ExpiresBeforeSigned)
    );
    assert_eq!(
        first(RFC8463_SIGNED.replacen("t=1528637909;", "t=2528637909;", 1)),
        DkimResult::Fail(DkimFailure::FutureTimestamp)
    );
    assert_eq!(
        first(RFC8463_SIGNED.replacen("s=brisbane;", "s=bris bane;", 1)),
        DkimResult::PermError(DkimPermError::InvalidDomain)
    );
    let syntax = verify_with(
        RFC8463_SIGNED
            .replacen("s=brisbane;", "s=brisbane; s=brisbane;", 1)
            .as_bytes(),
        &keys,
        DkimConfig::default(),
    );
    assert!(matches!(
        syntax[0].result,
        DkimResult::PermError(DkimPermError::Syntax(_))
    ));
    // What could be read still names the signature.
    assert_eq!(syntax[0].domain, "football.example.com");
    assert_eq!(syntax[1].result, DkimResult::Pass);
}

/// Signs RFC 8463's message with the RFC's Ed25519 key under `l=`, by hand: the field,
/// the limited body hash, then the signature over the field.
fn sign_with_length(body_for_hash: &[u8], length: u64) -> String {
    let unsigned = RFC8463_SIGNED.split_once("From: Joe").unwrap().1;
    let message = format!("From: Joe{unsigned}");
    let mut hasher = BodyHasher::new(Canonicalization::Relaxed, Some(length));
    hasher.update(body_for_hash);
    let body_hash = base64::engine::general_purpose::STANDARD.encode(hasher.finish().digest);
    let field = format!(
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=football.example.com;\r\n \
         s=brisbane; l={length}; h=from:subject; bh={body_hash}; b="
    );
    let fields = raw_fields(message.as_bytes());
    let data = signature_input(&fields, field.as_bytes()).unwrap();
    let signature =
        base64::engine::general_purpose::STANDARD.encode(ed25519_key().sign_data(&data).unwrap());
    format!("{field}{signature}\r\n{message}")
}

#[test]
fn body_length_tag_never_looks_fully_signed() {
    let keys = Keys::rfc8463();
    // The relaxed body is "Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n".
    let canonical = b"Hi.\r\n\r\nWe lost the game. Are you hungry yet?\r\n\r\nJoe.\r\n";
    let whole = sign_with_length(canonical, canonical.len() as u64);
    assert_eq!(results(whole.as_bytes(), &keys), [DkimResult::Pass]);

    // l= covering the first line only: the rest is unsigned, so neutral, never pass.
    let partial = sign_with_length(canonical, 5);
    let outcome = &verify_with(partial.as_bytes(), &keys, DkimConfig::default())[0];
    let unsigned = canonical.len() as u64 - 5;
    assert_eq!(
        outcome.result,
        DkimResult::Neutral(DkimNeutral::UnsignedContent {
            unsigned_octets: unsigned
        })
    );
    assert_eq!(outcome.body_length, Some(5));
    assert_eq!(outcome.unsigned_body_octets, unsigned);
    assert!(!outcome.dmarc_identity().pass);

    // Content appended after a whole-body l= is reported the same way: the empty line that
    // ended the signed body and the appended line, 2 + 34 octets.
    let appended = format!("{whole}Click here: http://evil.example/\r\n");
    let outcome = &verify_with(appended.as_bytes(), &keys, DkimConfig::default())[0];
    assert!(matches!(
        outcome.result,
        DkimResult::Neutral(DkimNeutral::UnsignedContent {
            unsigned_octets: 36
        })
    ));

    // Opting in makes it pass, still telling what is unsigned.
    let mut config = DkimConfig::default();
    config.accept_body_length = true;
    let outcome = &verify_with(appended.as_bytes(), &keys, config)[0];
    assert_eq!(outcome.result, DkimResult::Pass);
    assert_eq!(outcome.unsigned_body_octets, 36);

    // A body shorter than l= fails.
    let truncated = whole.replace("Joe.\r\n", "");
    assert_eq!(
        results(truncated.as_bytes(), &keys),
        [DkimResult::Fail(DkimFailure::BodyShorterThanLength)]
    );
}

fn keys_for(signer: &DkimSigner) -> Keys {
    Keys::default().with(&signer.record_name(), &signer.key().dns_record())
}

const PLAIN: &str = concat!(
    "From: Ada <ada@example.com>\r\n",
    "To: grace@example.org\r\n",
    "Subject: Hello\r\n",
    " folded\r\n",
    "Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n",
    "Message-ID: <m1@example.com>\r\n",
    "X-Unsigned: yes\r\n",
    "\r\n",
    "Hi.  \r\n",
    "\r\n",
    "Bye.\r\n",
    "\r\n",
    "\r\n",
);

#[test]
fn signed_messages_verify_with_both_algorithms_and_canonicalizations() {
    for key in [rsa_key(), ed25519_key()] {
        let algorithm = key.algorithm();
        let mut signer = DkimSigner::new(key, "example.com", "sel");
        for (header, body) in [
            (Canonicalization::Relaxed, Canonicalization::Relaxed),
            (Canonicalization::Simple, Canonicalization::Simple),
            (Canonicalization::Relaxed, Canonicalization::Simple),
            (Canonicalization::Simple, Canonicalization::Relaxed),
        ] {
            signer = signer.with_canonicalization(header, body);
            let field = signer.sign(PLAIN.as_bytes(), NOW).unwrap();
            assert!(field.starts_with("DKIM-Signature: v=1; a="), "{field}");
            assert!(field.ends_with("\r\n"));
            assert!(field.split("\r\n").all(|line| line.len() <= 78), "{field}");
            assert!(field.contains(&format!("t={NOW};")), "{field}");
            assert!(field.contains(&format!("a={};", algorithm.as_str())));
            let signed = format!("{field}{PLAIN}");
            let outcomes =
                verify_with(signed.as_bytes(), &keys_for(&signer), DkimConfig::default());
            assert_eq!(outcomes.len(), 1);
            assert_eq!(
                outcomes[0].result,
                DkimResult::Pass,
                "{header:?}/{body:?} {field}"
            );
            assert_eq!(outcomes[0].domain, "example.com");
        }
    }
}

#[test]
fn signer_oversigns_and_chooses_fields() {
    let signer = DkimSigner::new(ed25519_key(), "Example.COM", "sel").with_expiration(3600);
    let field = signer.sign(PLAIN.as_bytes(), NOW).unwrap();
    let value = field.split_once(':').unwrap().1;
    let unfolded = value.replace("\r\n\t", "");
    let tags = mailwire_auth::dkim::parse_tag_list(&unfolded).unwrap();
    let tag = |name: &str| tags.iter().find(|(n, _)| *n == name).unwrap().1;
    let h: Vec<&str> = tag("h").split(':').collect();
    let count = |name: &str| h.iter().filter(|n| **n == name).count();
    // Present and oversigned: twice. Absent but oversigned: once. Unsigned: never.
    for name in ["from", "to", "subject", "date", "message-id"] {
        assert_eq!(count(name), 2, "{name} in {h:?}");
    }
    for name in ["cc", "reply-to", "sender", "mime-version", "content-type"] {
        assert_eq!(count(name), 1, "{name} in {h:?}");
    }
    assert_eq!(count("x-unsigned"), 0);
    assert_eq!(count("list-id"), 0);
    assert_eq!(tag("d"), "example.com");
    assert_eq!(tag("c"), "relaxed/relaxed");
    assert_eq!(tag("x"), (NOW + 3600).to_string());

    let keys = keys_for(&signer);
    let signed = format!("{field}{PLAIN}");
    assert_eq!(results(signed.as_bytes(), &keys), [DkimResult::Pass]);
    // Adding a Cc (absent when signed) or a second Subject breaks it; X-Unsigned does not.
    for (from, to, still_passes) in [
        (
            "X-Unsigned: yes\r\n",
            "X-Unsigned: yes\r\nCc: mallory@evil.example\r\n",
            false,
        ),
        ("To: grace", "Subject: Urgent\r\nTo: grace", false),
        ("X-Unsigned: yes\r\n", "X-Unsigned: changed\r\n", true),
    ] {
        let changed = signed.replace(from, to);
        let result = results(changed.as_bytes(), &keys).remove(0);
        assert_eq!(result == DkimResult::Pass, still_passes, "{to}: {result:?}");
    }
}

#[test]
fn signer_errors() {
    let signer = DkimSigner::new(ed25519_key(), "example.com", "sel");
    assert_eq!(
        signer.sign(b"To: x@example.org\r\n\r\nbody\r\n", NOW),
        Err(DkimSignError::NoFrom)
    );
    let bad = DkimSigner::new(ed25519_key(), "example..com", "sel");
    assert_eq!(
        bad.sign(PLAIN.as_bytes(), NOW),
        Err(DkimSignError::InvalidDomain)
    );
    let outside = DkimSigner::new(ed25519_key(), "example.com", "sel").with_identity("u@other.org");
    assert_eq!(
        outside.sign(PLAIN.as_bytes(), NOW),
        Err(DkimSignError::InvalidIdentity)
    );
    let small = DkimSigner::new(ed25519_key(), "example.com", "sel")
        .with_header_limits(HeaderLimits::default().with_max_header_bytes(32));
    assert_eq!(
        small.sign(PLAIN.as_bytes(), NOW),
        Err(DkimSignError::HeaderTooLarge)
    );
    // RSA keys under 2048 bits cannot sign (ring), and junk is no key.
    assert!(DkimSigningKey::rsa_pkcs8(b"junk").is_err());
    assert!(DkimSigningKey::ed25519_seed(&[1, 2, 3]).is_err());
    let (generated, pkcs8) = DkimSigningKey::generate_ed25519().unwrap();
    let reloaded = DkimSigningKey::ed25519_pkcs8(&pkcs8).unwrap();
    assert_eq!(generated.public_key(), reloaded.public_key());
}

/// The message fed in chunks of every size gives the same outcomes, and questions come as
/// soon as the header is in.
#[test]
fn streaming_gives_the_same_outcomes() {
    let keys = Keys::rfc8463();
    let expected = results(RFC8463_SIGNED.as_bytes(), &keys);
    let message = RFC8463_SIGNED.as_bytes();
    for size in 1..=message.len() {
        let mut verifier = DkimVerifier::new(DkimConfig::default(), NOW);
        assert_eq!(verifier.poll(), DkimPoll::NeedMessage);
        let mut asked_early = false;
        for chunk in message.chunks(size) {
            verifier.update(chunk);
            // Answer what is asked while the body still streams.
            while let DkimPoll::Query(question) = verifier.poll() {
                verifier.answer(&question, keys.resolve(&question)).unwrap();
                asked_early = true;
            }
        }
        assert!(asked_early || size == message.len());
        assert_eq!(verifier.poll(), DkimPoll::NeedMessage);
        verifier.finish();
        let DkimPoll::Done(outcomes) = verifier.poll() else {
            panic!("not done");
        };
        let got: Vec<DkimResult> = outcomes.into_iter().map(|o| o.result).collect();
        assert_eq!(got, expected, "chunk size {size}");
    }
}

#[test]
fn verifier_protocol_and_limits() {
    let mut verifier =
        DkimVerifier::for_message(RFC8463_SIGNED.as_bytes(), DkimConfig::default(), NOW);
    assert_eq!(verifier.pending_questions().len(), 2);
    let stranger = Question::new("other._domainkey.example.com", RecordType::Txt);
    assert!(verifier.answer(&stranger, Answer::NxDomain).is_err());
    // Two signatures under one key name ask once.
    let twice = RFC8463_SIGNED.replacen("s=test;", "s=brisbane;", 1);
    let (_, asked) = run(
        DkimVerifier::for_message(twice.as_bytes(), DkimConfig::default(), NOW),
        &Keys::rfc8463(),
    );
    assert_eq!(asked.len(), 1);
    // Unsigned message: done at once, no outcome.
    let (outcomes, asked) = run(
        DkimVerifier::for_message(
            b"From: a@b.example\r\n\r\nhi\r\n",
            DkimConfig::default(),
            NOW,
        ),
        &Keys::default(),
    );
    assert!(outcomes.is_empty() && asked.is_empty());
    // Signatures over the limit are counted, not verified.
    let mut config = DkimConfig::default();
    config.max_signatures = 1;
    let mut verifier = DkimVerifier::for_message(RFC8463_SIGNED.as_bytes(), config.clone(), NOW);
    assert_eq!(verifier.ignored_signatures(), 1);
    let DkimPoll::Query(_) = verifier.poll() else {
        panic!("expected a question");
    };
    // A header over the limit is one permerror, and nothing is asked.
    config.header_limits = HeaderLimits::default().with_max_header_bytes(100);
    let (outcomes, asked) = run(
        DkimVerifier::for_message(RFC8463_SIGNED.as_bytes(), config, NOW),
        &Keys::rfc8463(),
    );
    assert!(asked.is_empty());
    assert_eq!(
        outcomes
            .iter()
            .map(|o| o.result.clone())
            .collect::<Vec<_>>(),
        [DkimResult::PermError(DkimPermError::Header)]
    );
    // A message that is all header (no empty line) is verified with an empty body.
    let headers_only = RFC8463_SIGNED.split("\r\n\r\n").next().unwrap().to_owned() + "\r\n";
    assert_eq!(
        results(headers_only.as_bytes(), &Keys::rfc8463()),
        vec![DkimResult::Fail(DkimFailure::BodyHashMismatch); 2]
    );
}

/// The signer fed in chunks of every size writes the same field as when fed whole (both
/// algorithms are deterministic), and only holds the header section.
#[test]
fn streaming_signer_matches_one_shot() {
    for key in [rsa_key(), ed25519_key()] {
        let signer = DkimSigner::new(key, "example.com", "sel");
        let whole = signer.sign(PLAIN.as_bytes(), NOW).unwrap();
        for size in [1, 2, 3, 7, 16, 64, PLAIN.len()] {
            let mut signing = signer.start(NOW);
            for chunk in PLAIN.as_bytes().chunks(size) {
                signing.update(chunk);
            }
            assert_eq!(signing.finish().unwrap(), whole, "chunk size {size}");
        }
    }
}
