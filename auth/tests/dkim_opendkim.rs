//! DKIM interop with OpenDKIM's tools (Debian package opendkim-tools, OpenDKIM 2.11.0):
//!
//! - `opendkim-testkey`: the key record we publish for a private key is the one OpenDKIM
//!   accepts for that same key. It looks the record up through libunbound; its
//!   configuration's `ResolverConfiguration` names an unbound configuration whose
//!   `local-zone`/`local-data` answer locally, so no real DNS is touched.
//! - `opendkim-testmsg` verifying what we sign: libopendkim asks the resolver named in
//!   /etc/resolv.conf, so the tool runs in its own mount namespace (`unshare -m`) with a
//!   resolv.conf naming a loopback address where this test answers the key query. That needs
//!   root (port 53, unshare); without it the test skips loudly.
//! - `opendkim-testmsg` signing: this version always signs `rsa-sha1` (it has no option for
//!   the algorithm), which RFC 8301 forbids verifiers to accept; we check that we parse its
//!   field and refuse it for exactly that reason.
//!
//! Without the tools the tests skip loudly, or fail under MAILWIRE_REQUIRE_PEERS=1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use mailwire_auth::dkim::{
    Canonicalization, DkimConfig, DkimPermError, DkimPoll, DkimResult, DkimSigner, DkimSigningKey,
    DkimVerifier,
};

const RSA_PKCS8: &str = include_str!("data/rsa2048.pkcs8.b64");
const DOMAIN: &str = "example.com";
const SELECTOR: &str = "mw2026";

/// True when `tool` (from opendkim-tools) is installed; otherwise skips loudly, or panics
/// when the peers are required.
fn tool_present(tool: &str) -> bool {
    let present = Command::new("which")
        .arg(tool)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !present {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer {tool} (apt-get install opendkim-tools) missing");
        }
        eprintln!("SKIPPED: peer {tool} missing (apt-get install opendkim-tools)");
    }
    present
}

fn testkey_present() -> bool {
    tool_present("opendkim-testkey")
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("mailwire-opendkim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Unbound's presentation format for one TXT record: the text split into character-strings
/// of at most 255 octets (an RSA 2048 record is longer than one).
fn unbound_txt(name: &str, text: &str) -> String {
    let strings: Vec<String> = text
        .as_bytes()
        .chunks(200)
        .map(|chunk| format!("\"{}\"", std::str::from_utf8(chunk).unwrap()))
        .collect();
    format!("'{name}. 300 IN TXT {}'", strings.join(" "))
}

/// Runs opendkim-testkey for `DOMAIN`/`SELECTOR` with `private_key_pem`, answering its key
/// query with `record` from a local unbound zone.
fn testkey(scratch: &Scratch, private_key_pem: &str, record: &str) -> Output {
    let key = scratch.write("key.pem", private_key_pem);
    // testkey complains about a private key file others can read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let unbound = scratch.write(
        "unbound.conf",
        &format!(
            "server:\n    local-zone: \"{DOMAIN}.\" static\n    local-data: {}\n",
            unbound_txt(&format!("{SELECTOR}._domainkey.{DOMAIN}"), record)
        ),
    );
    let config = scratch.write(
        "opendkim.conf",
        &format!("ResolverConfiguration {}\n", unbound.display()),
    );
    run_testkey(&config, &key)
}

fn run_testkey(config: &Path, key: &Path) -> Output {
    Command::new("timeout")
        .arg("60")
        .arg("opendkim-testkey")
        .arg("-x")
        .arg(config)
        .args(["-d", DOMAIN, "-s", SELECTOR, "-k"])
        .arg(key)
        // Three -v make it print "key OK" on success.
        .arg("-vvv")
        .output()
        .unwrap()
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn rsa_pem() -> String {
    format!("-----BEGIN PRIVATE KEY-----\n{RSA_PKCS8}-----END PRIVATE KEY-----\n")
}

fn rsa_key() -> DkimSigningKey {
    let der = base64::engine::general_purpose::STANDARD
        .decode(RSA_PKCS8.split_whitespace().collect::<String>())
        .unwrap();
    DkimSigningKey::rsa_pkcs8(&der).unwrap()
}

#[test]
fn opendkim_testkey_accepts_our_rsa_record() {
    if !testkey_present() {
        return;
    }
    let scratch = Scratch::new("accept");
    let record = rsa_key().dns_record();
    let output = testkey(&scratch, &rsa_pem(), &record);
    let said = said(&output);
    assert!(output.status.success(), "{record}\n{said}");
    assert!(said.contains("key OK"), "{said}");
}

/// The harness can say no: one changed octet inside the modulus makes a record for some
/// other key, and opendkim-testkey refuses it.
#[test]
fn opendkim_testkey_refuses_a_record_for_another_key() {
    if !testkey_present() {
        return;
    }
    let scratch = Scratch::new("refuse");
    let record = rsa_key().dns_record();
    let middle = record.len() / 2;
    let replacement = if &record[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let mut changed = record.clone();
    changed.replace_range(middle..=middle, replacement);
    let output = testkey(&scratch, &rsa_pem(), &changed);
    let said = said(&output);
    assert!(!output.status.success(), "{changed}\n{said}");
    assert!(said.contains("keys do not match"), "{said}");
}

/// opendkim-testmsg's verify mode needs Date and Message-ID (its header check refuses a
/// message without them).
const MESSAGE: &str = concat!(
    "From: Ada Lovelace <ada@example.com>\r\n",
    "To: Grace Hopper <grace@example.org>\r\n",
    "Subject: Interop\r\n",
    "  with OpenDKIM\r\n",
    "Date: Sun, 22 Nov 2026 03:00:00 +0000\r\n",
    "Message-ID: <opendkim.1@example.com>\r\n",
    "MIME-Version: 1.0\r\n",
    "Content-Type: text/plain; charset=utf-8\r\n",
    "\r\n",
    "Hello,  world.\t\r\n",
    "\r\n",
    "Trailing space here   \r\n",
    "Last line\r\n",
    "\r\n",
);

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A DNS server for one TXT record on a loopback address's port 53, answering until dropped.
struct KeyServer {
    address: std::net::Ipv4Addr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl KeyServer {
    /// None when port 53 cannot be bound (not root).
    fn start(record: &str) -> Option<Self> {
        // A loopback address of our own, so nothing else on port 53 is in the way.
        let pid = std::process::id();
        let address = std::net::Ipv4Addr::new(127, 53, (pid >> 8) as u8, (pid as u8).max(1));
        let socket = std::net::UdpSocket::bind((address, 53)).ok()?;
        socket
            .set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let record = record.as_bytes().to_vec();
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut query = [0u8; 512];
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok((length, peer)) = socket.recv_from(&mut query) {
                        if let Some(reply) = dns_reply(&query[..length], &record) {
                            let _ = socket.send_to(&reply, peer);
                        }
                    }
                }
            })
        };
        Some(KeyServer {
            address,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for KeyServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The reply to one query: `record` as the TXT answer for a TXT question (whatever the name,
/// the test asks for one only), no answer otherwise.
fn dns_reply(query: &[u8], record: &[u8]) -> Option<Vec<u8>> {
    let mut end = 12;
    loop {
        let label = usize::from(*query.get(end)?);
        end += 1 + label;
        if label == 0 {
            break;
        }
    }
    let question = query.get(12..end + 4)?;
    let is_txt = question[question.len() - 4..question.len() - 2] == [0, 16];
    let mut reply = Vec::new();
    reply.extend_from_slice(&query[..2]);
    reply.extend_from_slice(&[0x81, 0x80, 0, 1, 0, u8::from(is_txt), 0, 0, 0, 0]);
    reply.extend_from_slice(question);
    if is_txt {
        let mut data = Vec::new();
        for chunk in record.chunks(255) {
            data.push(chunk.len() as u8);
            data.extend_from_slice(chunk);
        }
        reply.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 1, 44]);
        reply.extend_from_slice(&(data.len() as u16).to_be_bytes());
        reply.extend_from_slice(&data);
    }
    Some(reply)
}

/// Runs opendkim-testmsg in verify mode on `message`, in a mount namespace whose
/// resolv.conf names `server`. Ok when it verified, Err with what it said otherwise.
fn testmsg_verify(scratch: &Scratch, server: &KeyServer, message: &str) -> Result<(), String> {
    let resolv = scratch.write("resolv.conf", &format!("nameserver {}\n", server.address));
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec opendkim-testmsg",
        resolv.display()
    );
    let mut child = Command::new("timeout")
        .args(["60", "unshare", "-m", "sh", "-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(said(&output))
    }
}

#[test]
fn opendkim_testmsg_verifies_what_we_sign() {
    if !tool_present("opendkim-testmsg") {
        return;
    }
    let ed25519_seed = base64::engine::general_purpose::STANDARD
        .decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
        .unwrap();
    let keys = [
        rsa_key(),
        DkimSigningKey::ed25519_seed(&ed25519_seed).unwrap(),
    ];
    for key in keys {
        let record = key.dns_record();
        let Some(server) = KeyServer::start(&record) else {
            eprintln!("SKIPPED: cannot bind port 53 on loopback for opendkim-testmsg (needs root)");
            return;
        };
        let scratch = Scratch::new("testmsg");
        let mut signer = DkimSigner::new(key, DOMAIN, SELECTOR);
        for (header, body) in [
            (Canonicalization::Relaxed, Canonicalization::Relaxed),
            (Canonicalization::Simple, Canonicalization::Simple),
            (Canonicalization::Relaxed, Canonicalization::Simple),
        ] {
            signer = signer.with_canonicalization(header, body);
            let signed = format!(
                "{}{MESSAGE}",
                signer.sign(MESSAGE.as_bytes(), now()).unwrap()
            );
            if let Err(said) = testmsg_verify(&scratch, &server, &signed) {
                panic!("{header:?}/{body:?}: opendkim refused\n{signed}\n{said}");
            }
            // The harness can say no: a changed body fails there too.
            let changed = signed.replace("Last line", "Last  line!");
            let said = testmsg_verify(&scratch, &server, &changed).unwrap_err();
            assert!(said.contains("dkim_eom(): Bad signature"), "{said}");
        }
    }
}

/// opendkim-testmsg in sign mode: returns its output (the signed message).
fn testmsg_sign(scratch: &Scratch, message: &str) -> String {
    let key = scratch.write("key.pem", &rsa_pem());
    let mut child = Command::new("timeout")
        .args([
            "60",
            "opendkim-testmsg",
            "-C",
            "-d",
            DOMAIN,
            "-s",
            SELECTOR,
            "-k",
        ])
        .arg(&key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", said(&output));
    String::from_utf8(output.stdout).unwrap()
}

/// Our verdicts on every signature of `message`, answering key questions with `record`.
fn our_results(message: &[u8], record: &str) -> Vec<DkimResult> {
    let mut verifier = DkimVerifier::for_message(message, DkimConfig::default(), now());
    loop {
        match verifier.poll() {
            DkimPoll::Query(question) => {
                let answer =
                    mailwire_auth::dns::Answer::Records(vec![mailwire_auth::dns::Record::Txt(
                        record.to_owned(),
                    )]);
                verifier.answer(&question, answer).unwrap();
            }
            DkimPoll::Done(outcomes) => {
                return outcomes.into_iter().map(|outcome| outcome.result).collect();
            }
            DkimPoll::NeedMessage => panic!("message was finished"),
        }
    }
}

/// This opendkim-testmsg signs with its library's default, rsa-sha1, and has no option to
/// choose another algorithm; we read its field and refuse it as too weak (RFC 8301), the one
/// verdict a verifier may give it. Our own signature added on top still passes, so the
/// refusal is about the algorithm, not about a message we could not read.
#[test]
fn we_refuse_the_rsa_sha1_opendkim_testmsg_signs() {
    if !tool_present("opendkim-testmsg") {
        return;
    }
    let scratch = Scratch::new("sign");
    let signed = testmsg_sign(&scratch, MESSAGE);
    assert!(
        signed.starts_with("DKIM-Signature: v=1; a=rsa-sha1;"),
        "{signed}"
    );
    assert!(signed.ends_with(MESSAGE), "{signed}");
    let record = rsa_key().dns_record();
    assert_eq!(
        our_results(signed.as_bytes(), &record),
        [DkimResult::PermError(DkimPermError::WeakAlgorithm)],
        "{signed}"
    );
    let ours = DkimSigner::new(rsa_key(), DOMAIN, SELECTOR)
        .sign(signed.as_bytes(), now())
        .unwrap();
    let both = format!("{ours}{signed}");
    assert_eq!(
        our_results(both.as_bytes(), &record),
        [
            DkimResult::Pass,
            DkimResult::PermError(DkimPermError::WeakAlgorithm)
        ],
        "{both}"
    );
}
