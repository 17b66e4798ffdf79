//! A test certificate authority and a server certificate it signed (rcgen), written as
//! PEM files for peers (aiosmtpd) and for the relay's verifying TLS policy.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

pub struct TestCa {
    /// The CA certificate: what the relay trusts.
    pub ca_pem: PathBuf,
    /// The server's certificate (signed by the CA) and its key.
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

/// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir`; the server certificate names
/// `names` (DNS names or IP addresses).
pub fn make(dir: &Path, names: &[&str]) -> TestCa {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "mailwire test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "mailwire test server");
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();

    let ca_pem = dir.join("ca.pem");
    let cert_pem = dir.join("cert.pem");
    let key_pem = dir.join("key.pem");
    std::fs::write(&ca_pem, ca.pem()).unwrap();
    std::fs::write(&cert_pem, cert.pem()).unwrap();
    std::fs::write(&key_pem, key.serialize_pem()).unwrap();
    TestCa {
        ca_pem,
        cert_pem,
        key_pem,
    }
}
