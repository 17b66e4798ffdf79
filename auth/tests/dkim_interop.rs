//! DKIM interop with Python's dkimpy (PyPI `dkimpy`, with `pynacl` for Ed25519): what we
//! sign dkimpy verifies, what dkimpy signs we verify, RSA and Ed25519, several
//! canonicalizations. Without dkimpy the tests skip loudly, or fail under
//! MAILWIRE_REQUIRE_PEERS=1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use mailwire_auth::dkim::{
    Canonicalization, DkimConfig, DkimFailure, DkimPoll, DkimResult, DkimSigner, DkimSigningKey,
    DkimVerifier,
};
use mailwire_auth::dns::{Answer, Record};

/// The dkimpy side: `verify RECORD` reads a message and prints True/False (the key record
/// is handed to dkimpy through its dnsfunc); `sign ALGORITHM CANON SELECTOR DOMAIN KEY`
/// reads a message and prints the DKIM-Signature field dkimpy makes.
const PEER: &str = r#"
import sys, dkim
message = sys.stdin.buffer.read()
if sys.argv[1] == "verify":
    record = sys.argv[2].encode()
    print(dkim.verify(message, dnsfunc=lambda name, timeout=5: record, minkey=1024))
else:
    _, _, algorithm, canon, selector, domain, key = sys.argv
    header, body = canon.encode().split(b"/")
    field = dkim.sign(message, selector.encode(), domain.encode(), key.encode(),
                      canonicalize=(header, body), signature_algorithm=algorithm.encode())
    sys.stdout.buffer.write(field)
"#;

/// True when dkimpy (and pynacl) can be imported; otherwise skips loudly, or panics when
/// the peers are required.
fn dkimpy_present() -> bool {
    let present = Command::new("python3")
        .args(["-c", "import dkim, nacl"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !present {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer dkimpy (python3 -m pip install dkimpy pynacl) missing");
        }
        eprintln!("SKIPPED: peer dkimpy missing (python3 -m pip install dkimpy pynacl)");
    }
    present
}

/// Runs the peer script under a time limit with `message` on stdin.
fn peer(args: &[&str], message: &[u8]) -> String {
    let mut child = Command::new("timeout")
        .args(["60", "python3", "-c", PEER])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(message).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "dkimpy {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn dkimpy_verifies(message: &[u8], record: &str) -> bool {
    match peer(&["verify", record], message).trim() {
        "True" => true,
        "False" => false,
        other => panic!("dkimpy said {other:?}"),
    }
}

/// dkimpy stamps t= with the real clock, so the verifier's time is the real one too.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

const MESSAGE: &str = concat!(
    "From: Ada Lovelace <ada@example.com>\r\n",
    "To: Grace Hopper <grace@example.org>, bob@example.net\r\n",
    "Cc: team@example.org\r\n",
    "Subject: Interop\r\n",
    "  across implementations\r\n",
    "Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n",
    "Message-ID: <interop.1@example.com>\r\n",
    "MIME-Version: 1.0\r\n",
    "Content-Type: text/plain; charset=utf-8\r\n",
    "\r\n",
    "Hello,  world.\t\r\n",
    "\r\n",
    "Trailing space here   \r\n",
    "Last line\r\n",
    "\r\n",
    "\r\n",
);

fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.split_whitespace().collect::<String>())
        .unwrap()
}

const RSA_PKCS8: &str = include_str!("data/rsa2048.pkcs8.b64");
/// RFC 8463's Ed25519 private key (RFC 8032 test 1).
const ED25519_SEED: &str = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

fn rsa_pem() -> String {
    format!("-----BEGIN PRIVATE KEY-----\n{RSA_PKCS8}-----END PRIVATE KEY-----\n")
}

fn keys() -> [DkimSigningKey; 2] {
    [
        DkimSigningKey::rsa_pkcs8(&b64(RSA_PKCS8)).unwrap(),
        DkimSigningKey::ed25519_seed(&b64(ED25519_SEED)).unwrap(),
    ]
}

/// Verifies with ours, answering the one key question with `record`.
fn our_result(message: &[u8], name: &str, record: &str) -> DkimResult {
    let mut verifier = DkimVerifier::for_message(message, DkimConfig::default(), now());
    loop {
        match verifier.poll() {
            DkimPoll::Query(question) => {
                assert_eq!(question.name, name);
                let answer = Answer::Records(vec![Record::Txt(record.to_owned())]);
                verifier.answer(&question, answer).unwrap();
            }
            DkimPoll::Done(outcomes) => {
                assert_eq!(outcomes.len(), 1, "{outcomes:?}");
                return outcomes[0].result.clone();
            }
            DkimPoll::NeedMessage => panic!("message was finished"),
        }
    }
}

const CANONICALIZATIONS: [(Canonicalization, Canonicalization); 3] = [
    (Canonicalization::Relaxed, Canonicalization::Relaxed),
    (Canonicalization::Simple, Canonicalization::Simple),
    (Canonicalization::Relaxed, Canonicalization::Simple),
];

#[test]
fn dkimpy_verifies_what_we_sign() {
    if !dkimpy_present() {
        return;
    }
    for key in keys() {
        let record = key.dns_record();
        let mut signer = DkimSigner::new(key, "example.com", "mw2026");
        for (header, body) in CANONICALIZATIONS {
            signer = signer.with_canonicalization(header, body);
            let signed = format!(
                "{}{MESSAGE}",
                signer.sign(MESSAGE.as_bytes(), now()).unwrap()
            );
            assert!(
                dkimpy_verifies(signed.as_bytes(), &record),
                "{header:?}/{body:?}: dkimpy refused\n{signed}"
            );
            // The harness can say no: a changed body fails there too.
            let changed = signed.replace("Last line", "Last  line!");
            assert!(!dkimpy_verifies(changed.as_bytes(), &record));
        }
    }
}

#[test]
fn we_verify_what_dkimpy_signs() {
    if !dkimpy_present() {
        return;
    }
    let [rsa, ed25519] = keys();
    let cases = [
        ("rsa-sha256", rsa_pem(), rsa.dns_record()),
        (
            "ed25519-sha256",
            ED25519_SEED.to_owned(),
            ed25519.dns_record(),
        ),
    ];
    for (algorithm, private_key, record) in cases {
        for canonicalization in ["relaxed/relaxed", "simple/simple", "relaxed/simple"] {
            let field = peer(
                &[
                    "sign",
                    algorithm,
                    canonicalization,
                    "py",
                    "example.org",
                    &private_key,
                ],
                MESSAGE.as_bytes(),
            );
            assert!(field.starts_with("DKIM-Signature:"), "{field}");
            let signed = format!("{field}{MESSAGE}");
            let name = "py._domainkey.example.org";
            assert_eq!(
                our_result(signed.as_bytes(), name, &record),
                DkimResult::Pass,
                "{algorithm} {canonicalization}\n{signed}"
            );
            let changed = signed.replace("Subject: Interop", "Subject: Intercepted");
            assert_eq!(
                our_result(changed.as_bytes(), name, &record),
                DkimResult::Fail(DkimFailure::SignatureMismatch)
            );
        }
    }
}

/// RFC 6376 Appendix C's 1024-bit key signs Appendix A's message in dkimpy (ring signs with
/// 2048 bits or more only); we verify it with the RFC's key record.
#[test]
fn rfc6376_key_and_message_through_dkimpy() {
    if !dkimpy_present() {
        return;
    }
    let private_key = concat!(
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "MIICXwIBAAKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFC\n",
        "jxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gb\n",
        "to/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB\n",
        "AoGBALmn+XwWk7akvkUlqb+dOxyLB9i5VBVfje89Teolwc9YJT36BGN/l4e0l6QX\n",
        "/1//6DWUTB3KI6wFcm7TWJcxbS0tcKZX7FsJvUz1SbQnkS54DJck1EZO/BLa5ckJ\n",
        "gAYIaqlA9C0ZwM6i58lLlPadX/rtHb7pWzeNcZHjKrjM461ZAkEA+itss2nRlmyO\n",
        "n1/5yDyCluST4dQfO8kAB3toSEVc7DeFeDhnC1mZdjASZNvdHS4gbLIA1hUGEF9m\n",
        "3hKsGUMMPwJBAPW5v/U+AWTADFCS22t72NUurgzeAbzb1HWMqO4y4+9Hpjk5wvL/\n",
        "eVYizyuce3/fGke7aRYw/ADKygMJdW8H/OcCQQDz5OQb4j2QDpPZc0Nc4QlbvMsj\n",
        "7p7otWRO5xRa6SzXqqV3+F0VpqvDmshEBkoCydaYwc2o6WQ5EBmExeV8124XAkEA\n",
        "qZzGsIxVP+sEVRWZmW6KNFSdVUpk3qzK0Tz/WjQMe5z0UunY9Ax9/4PVhp/j61bf\n",
        "eAYXunajbBSOLlx4D+TunwJBANkPI5S9iylsbLs6NkaMHV6k5ioHBBmgCak95JGX\n",
        "GMot/L2x0IYyMLAz6oLWh2hm7zwtb0CgOrPo1ke44hFYnfc=\n",
        "-----END RSA PRIVATE KEY-----\n",
    );
    let record = concat!(
        "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ",
        "KBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt",
        "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v",
        "/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi",
        "tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB",
    );
    let message = concat!(
        "Received: from client1.football.example.com  [192.0.2.1]\r\n",
        "      by submitserver.example.com with SUBMISSION;\r\n",
        "      Fri, 11 Jul 2003 21:01:54 -0700 (PDT)\r\n",
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
    let field = peer(
        &[
            "sign",
            "rsa-sha256",
            "simple/simple",
            "brisbane",
            "example.com",
            private_key,
        ],
        message.as_bytes(),
    );
    let signed = format!("{field}{message}");
    assert_eq!(
        our_result(signed.as_bytes(), "brisbane._domainkey.example.com", record),
        DkimResult::Pass,
        "{signed}"
    );
}
