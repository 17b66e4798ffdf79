//! DKIM interop with OpenDKIM's `opendkim-testkey` (Debian package opendkim-tools): the key
//! record we publish for a private key is the one OpenDKIM accepts for that same key.
//!
//! opendkim-testkey looks the record up through libunbound; its configuration's
//! `ResolverConfiguration` names an unbound configuration, whose `local-zone`/`local-data`
//! answer the query locally, so no real DNS is touched. Without the tool the test skips
//! loudly, or fails under MAILWIRE_REQUIRE_PEERS=1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use mailwire_auth::dkim::DkimSigningKey;

const RSA_PKCS8: &str = include_str!("data/rsa2048.pkcs8.b64");
const DOMAIN: &str = "example.com";
const SELECTOR: &str = "mw2026";

/// True when opendkim-testkey is installed; otherwise skips loudly, or panics when the
/// peers are required.
fn testkey_present() -> bool {
    let present = Command::new("which")
        .arg("opendkim-testkey")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !present {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer opendkim-testkey (apt-get install opendkim-tools) missing");
        }
        eprintln!("SKIPPED: peer opendkim-testkey missing (apt-get install opendkim-tools)");
    }
    present
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mailwire-opendkim-{name}-{}",
            std::process::id()
        ));
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
