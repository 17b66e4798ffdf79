//! Sender authentication: mailwire-auth side by side with Stalwart's `mail-auth` on the same
//! inputs.
//!
//! - DKIM: verifying one rsa-sha256 (2048-bit, relaxed/relaxed) signature over a 100 KB
//!   message, and one ed25519-sha256 signature over the same message; reported as message
//!   bytes per second. Ours is fed the whole message and handed the key record; mail-auth
//!   parses the message (`AuthenticatedMessage::parse`) and gets the key from a cache
//!   filled before the run, already parsed (its API caches parsed records), so it does not
//!   parse the key record each time and ours does.
//! - SPF: check_host() for a MAIL FROM whose record includes another and ends on `mx`
//!   (4 DNS answers: TXT, TXT, A of the include's `a:`, MX, A). Ours parses each TXT
//!   answer each time; mail-auth's cache again holds parsed records.
//!
//! mail-auth's verifiers are async; with every answer in its cache they complete on the
//! first poll, which a no-op waker does (and the bench panics if one ever waits).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::spf::Spf;
use mail_auth::{
    AuthenticatedMessage, DkimResult as TheirDkimResult, MessageAuthenticator, Parameters,
    ResolverCache, SpfResult as TheirSpfResult, Txt, MX,
};
use mailwire_auth::dkim::{
    DkimConfig, DkimPoll, DkimResult, DkimSigner, DkimSigningKey, DkimVerifier,
};
use mailwire_auth::dns::{Answer, Question, Record, RecordType};
use mailwire_auth::spf::{SpfConfig, SpfEvaluator, SpfPoll, SpfResult};

/// The 2048-bit test key of mailwire-auth's tests.
const RSA_PKCS8: &str = include_str!("../../auth/tests/data/rsa2048.pkcs8.b64");
/// RFC 8463's Ed25519 private key.
const ED25519_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
const NOW: u64 = 1_790_910_000;

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.split_whitespace().collect::<String>())
        .unwrap()
}

/// A plain-text message of about 100 KB: a usual header and lines of prose.
fn message_100k() -> String {
    let mut message = String::from(concat!(
        "From: Ada Lovelace <ada@example.com>\r\n",
        "To: Grace Hopper <grace@example.org>\r\n",
        "Cc: team@example.org\r\n",
        "Subject: Quarterly figures and the notes on the analytical engine\r\n",
        "Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n",
        "Message-ID: <bench.1@example.com>\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "\r\n",
    ));
    let mut line = 0u32;
    while message.len() < 100 * 1024 {
        line += 1;
        message.push_str(&format!(
            "Line {line}: the engine weaves algebraic patterns  just as the loom weaves flowers.\r\n"
        ));
        if line % 12 == 0 {
            message.push_str("\r\n");
        }
    }
    message
}

/// Runs a future that must not wait (every DNS answer is cached).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    match future.as_mut().poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("mail-auth waited for the network"),
    }
}

/// A map that serves as each of mail-auth's caches.
struct Map<K, V>(Mutex<HashMap<K, V>>);

impl<K: Hash + Eq, V: Clone> Map<K, V> {
    fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq, V: Clone> ResolverCache<K, V> for Map<K, V> {
    fn get<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().unwrap().get(name).cloned()
    }

    fn remove<Q>(&self, name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.lock().unwrap().remove(name)
    }

    fn insert(&self, key: K, value: V, _: std::time::Instant) {
        self.0.lock().unwrap().insert(key, value);
    }
}

type TxtCache = Map<String, Txt>;
type MxCache = Map<String, Arc<Vec<MX>>>;
type Ipv4Cache = Map<String, Arc<Vec<Ipv4Addr>>>;
type Ipv6Cache = Map<String, Arc<Vec<Ipv6Addr>>>;
type PtrCache = Map<IpAddr, Arc<Vec<String>>>;
type Cached<'x, P> = Parameters<'x, P, TxtCache, MxCache, Ipv4Cache, Ipv6Cache, PtrCache>;

/// mail-auth's caches, filled before the run.
struct Caches {
    txt: TxtCache,
    mx: MxCache,
    ipv4: Ipv4Cache,
    ipv6: Ipv6Cache,
    ptr: PtrCache,
}

fn later() -> std::time::Instant {
    std::time::Instant::now() + std::time::Duration::from_secs(86_400)
}

impl Caches {
    fn new() -> Self {
        Self {
            txt: Map::new(),
            mx: Map::new(),
            ipv4: Map::new(),
            ipv6: Map::new(),
            ptr: Map::new(),
        }
    }

    /// Under the name with and without the final dot, whichever mail-auth asks.
    fn txt(&self, name: &str, value: Txt) {
        self.txt.insert(format!("{name}."), value.clone(), later());
        self.txt.insert(name.to_owned(), value, later());
    }

    fn ipv4(&self, name: &str, address: Ipv4Addr) {
        for key in [format!("{name}."), name.to_owned()] {
            self.ipv4.insert(key, Arc::new(vec![address]), later());
        }
    }

    fn mx(&self, name: &str, exchange: &str) {
        for key in [format!("{name}."), name.to_owned()] {
            let records = vec![MX {
                exchanges: vec![format!("{exchange}.")],
                preference: 10,
            }];
            self.mx.insert(key, Arc::new(records), later());
        }
    }

    fn parameters<P>(&self, params: P) -> Cached<'_, P> {
        Parameters::new(params)
            .with_txt_cache(&self.txt)
            .with_mx_cache(&self.mx)
            .with_ipv4_cache(&self.ipv4)
            .with_ipv6_cache(&self.ipv6)
            .with_ptr_cache(&self.ptr)
    }
}

fn ours_dkim(message: &[u8], record: &str) -> DkimResult {
    let mut verifier = DkimVerifier::for_message(message, DkimConfig::default(), NOW);
    loop {
        match verifier.poll() {
            DkimPoll::Query(question) => {
                let answer = Answer::Records(vec![Record::Txt(record.to_owned())]);
                verifier.answer(&question, answer).unwrap();
            }
            DkimPoll::Done(mut outcomes) => return outcomes.remove(0).result,
            DkimPoll::NeedMessage => unreachable!(),
        }
    }
}

fn dkim(c: &mut Criterion) {
    let body = message_100k();
    let authenticator = MessageAuthenticator::new_cloudflare().unwrap();
    let mut group = c.benchmark_group("dkim_verify_100k");
    let keys = [
        (
            "rsa2048",
            DkimSigningKey::rsa_pkcs8(&b64(RSA_PKCS8)).unwrap(),
        ),
        (
            "ed25519",
            DkimSigningKey::ed25519_seed(&b64(ED25519_SEED)).unwrap(),
        ),
    ];
    for (name, key) in keys {
        let record = key.dns_record();
        let signer = DkimSigner::new(key, "example.com", "bench");
        let message = format!("{}{body}", signer.sign(body.as_bytes(), NOW).unwrap());
        let message = message.as_bytes();
        group.throughput(Throughput::Bytes(message.len() as u64));

        assert_eq!(ours_dkim(message, &record), DkimResult::Pass);
        let caches = Caches::new();
        caches.txt(
            "bench._domainkey.example.com",
            Txt::from(DomainKey::parse(record.as_bytes()).unwrap()),
        );
        let theirs = |message: &[u8]| {
            let parsed = AuthenticatedMessage::parse(message).unwrap();
            let outputs = ready(authenticator.verify_dkim(caches.parameters(&parsed)));
            outputs
                .iter()
                .all(|output| output.result() == &TheirDkimResult::Pass)
                && !outputs.is_empty()
        };
        assert!(
            theirs(message),
            "mail-auth does not pass the {name} message"
        );

        group.bench_function(format!("mailwire-auth/{name}"), |b| {
            b.iter(|| black_box(ours_dkim(black_box(message), &record)))
        });
        group.bench_function(format!("mail-auth/{name}"), |b| {
            b.iter(|| black_box(theirs(black_box(message))))
        });
    }
    group.finish();
}

const SPF_TOP: &str = "v=spf1 ip4:192.0.2.0/28 include:_spf.example.net mx -all";
const SPF_INCLUDED: &str = "v=spf1 a:relay.example.net ip6:2001:db8::/32 -all";

fn ours_spf(ip: IpAddr) -> SpfResult {
    let resolve = |question: &Question| -> Answer {
        match (question.name.as_str(), question.record_type) {
            ("example.com", RecordType::Txt) => {
                Answer::Records(vec![Record::Txt(SPF_TOP.to_owned())])
            }
            ("_spf.example.net", RecordType::Txt) => {
                Answer::Records(vec![Record::Txt(SPF_INCLUDED.to_owned())])
            }
            ("relay.example.net", RecordType::A) => {
                Answer::Records(vec![Record::A(Ipv4Addr::new(198, 51, 100, 7))])
            }
            ("example.com", RecordType::Mx) => Answer::Records(vec![Record::Mx {
                preference: 10,
                exchange: "mx1.example.com".to_owned(),
            }]),
            ("mx1.example.com", RecordType::A) => {
                Answer::Records(vec![Record::A(Ipv4Addr::new(192, 0, 2, 200))])
            }
            _ => Answer::NxDomain,
        }
    };
    let mut spf = SpfEvaluator::mail_from(
        ip,
        "bounce@example.com",
        "mx1.example.com",
        SpfConfig::default(),
    );
    loop {
        match spf.poll() {
            SpfPoll::Query(question) => {
                let answer = resolve(&question);
                spf.answer(&question, answer).unwrap();
            }
            SpfPoll::Done(outcome) => return outcome.result,
        }
    }
}

fn spf(c: &mut Criterion) {
    let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 200));
    assert_eq!(ours_spf(ip), SpfResult::Pass);
    let authenticator = MessageAuthenticator::new_cloudflare().unwrap();
    let caches = Caches::new();
    for (name, text) in [("example.com", SPF_TOP), ("_spf.example.net", SPF_INCLUDED)] {
        caches.txt(name, Txt::from(Spf::parse(text.as_bytes()).unwrap()));
    }
    caches.ipv4("relay.example.net", Ipv4Addr::new(198, 51, 100, 7));
    caches.ipv4("mx1.example.com", Ipv4Addr::new(192, 0, 2, 200));
    caches.mx("example.com", "mx1.example.com");
    let theirs = |ip: IpAddr| {
        let parameters = SpfParameters::verify_mail_from(
            ip,
            "mx1.example.com",
            "mx.example.org",
            "bounce@example.com",
        );
        ready(authenticator.verify_spf(caches.parameters(parameters))).result()
    };
    assert_eq!(theirs(ip), TheirSpfResult::Pass);

    let mut group = c.benchmark_group("spf_check_host");
    group.bench_function("mailwire-auth", |b| {
        b.iter(|| black_box(ours_spf(black_box(ip))))
    });
    group.bench_function("mail-auth", |b| b.iter(|| black_box(theirs(black_box(ip)))));
    group.finish();
}

criterion_group!(benches, dkim, spf);
criterion_main!(benches);
