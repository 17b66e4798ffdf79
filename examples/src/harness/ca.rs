//! The test certificate authority of a test server: a CA certificate made fresh for the
//! server, and the server's certificate (for `localhost`, `127.0.0.1`, `::1` and the
//! server's hostname) signed by it. A client trusts the CA, as it would trust a real one,
//! and checks the server's name as usual.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::CertificateDer;

use super::HarnessError;

/// The CA and the server certificate it signed, in PEM and DER.
#[derive(Clone)]
pub struct TestCa {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    /// The server's certificate then the CA's: the chain the server presents.
    chain_pem: String,
    key_pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("TestCa")
            .field("ca_pem", &self.ca_pem)
            .finish_non_exhaustive()
    }
}

fn generation(error: rcgen::Error) -> HarnessError {
    HarnessError::Certificate(error.to_string())
}

impl TestCa {
    /// A new CA (its key from the operating system's random source, through ring) and a
    /// server certificate for `localhost`, `127.0.0.1`, `::1` and `hostname`.
    pub fn generate(hostname: &str) -> Result<TestCa, HarnessError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(generation)?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "mailwire test CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().map_err(generation)?)
            .map_err(generation)?;

        let mut names = vec![
            String::from("localhost"),
            String::from("127.0.0.1"),
            String::from("::1"),
        ];
        if !names.iter().any(|name| name.eq_ignore_ascii_case(hostname)) {
            names.push(hostname.to_string());
        }
        let mut params = CertificateParams::new(names).map_err(generation)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "mailwire test server");
        params.is_ca = IsCa::ExplicitNoCa;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().map_err(generation)?;
        let leaf = params.signed_by(&key, &ca).map_err(generation)?;

        let ca_pem = ca.pem();
        Ok(TestCa {
            chain_pem: format!("{}{}", leaf.pem(), ca_pem),
            ca_der: ca.der().clone(),
            ca_pem,
            key_pem: key.serialize_pem(),
        })
    }

    /// The CA certificate, PEM: what a client trusts (Python's
    /// `ssl.create_default_context(cadata=...)`, `curl --cacert`, `swaks --tls-ca-path`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> &CertificateDer<'static> {
        &self.ca_der
    }

    /// The server's certificate chain, PEM (its certificate, then the CA's).
    pub fn chain_pem(&self) -> &str {
        &self.chain_pem
    }

    /// The server's private key, PEM.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Roots holding only this CA.
    pub fn root_store(&self) -> Result<rustls::RootCertStore, HarnessError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone())?;
        Ok(roots)
    }

    /// A rustls client configuration (ring, safe default versions) that trusts this CA
    /// only; connect with the server name `localhost` or the address `127.0.0.1`.
    pub fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, HarnessError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(self.root_store()?)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}
