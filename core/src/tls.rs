//! TLS client configuration shared by the high-level clients (feature `tls`): which server
//! certificates are trusted, and the rustls client configuration made from them (ring
//! provider, safe default protocol versions).
//!
//! TLS stays out of the protocol machines; this only builds what a transport (tokio-rustls)
//! needs to connect.

use std::io;
use std::sync::Arc;

/// Which server certificates are trusted.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Trust {
    /// The platform's trusted roots (rustls-native-certs), loaded when the configuration
    /// is built. The default.
    #[default]
    Platform,
    /// Only the CA certificates in this PEM text (a private CA, or a test server's own
    /// certificate).
    CaPem(Vec<u8>),
    /// A rustls configuration made by the application (client certificates, pinning,
    /// other providers). Used as given.
    Config(Arc<rustls::ClientConfig>),
}

/// Why no client configuration could be built from a [`Trust`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// No trusted root certificate could be loaded (none in the platform store, or none
    /// in the given PEM).
    #[error("no trusted root certificate")]
    NoTrustedRoots,
    /// The given CA certificates are not readable PEM, or not acceptable as roots.
    #[error("unreadable ca certificate")]
    InvalidCertificate(#[source] io::Error),
    /// The crypto provider offers no safe protocol version.
    #[error("the tls provider offers no safe protocol version")]
    NoSafeProtocolVersion,
}

/// The rustls client configuration for `trust`: the ring provider, rustls' safe default
/// protocol versions, no client certificate. [`Trust::Config`] is returned as given.
pub fn client_config(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, TlsConfigError> {
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        Trust::Config(config) => return Ok(Arc::clone(config)),
        Trust::Platform => {
            // Unreadable entries of the store are skipped; what matters is that some
            // roots are left.
            let loaded = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(loaded.certs);
        }
        Trust::CaPem(pem) => {
            let mut reader = pem.as_slice();
            for certificate in rustls_pemfile::certs(&mut reader) {
                let certificate = certificate.map_err(TlsConfigError::InvalidCertificate)?;
                roots
                    .add(certificate)
                    .map_err(|error| TlsConfigError::InvalidCertificate(io::Error::other(error)))?;
            }
        }
    }
    if roots.is_empty() {
        return Err(TlsConfigError::NoTrustedRoots);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| TlsConfigError::NoSafeProtocolVersion)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed_pem() -> String {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["mail.test".to_owned()]).expect("params");
        params.self_signed(&key).expect("certificate").pem()
    }

    #[test]
    fn ca_pem_builds_a_config_trusting_it() {
        let config = client_config(&Trust::CaPem(self_signed_pem().into_bytes()));
        assert!(config.is_ok(), "{config:?}");
    }

    #[test]
    fn empty_pem_has_no_trusted_roots() {
        let error = client_config(&Trust::CaPem(Vec::new())).unwrap_err();
        assert!(matches!(error, TlsConfigError::NoTrustedRoots), "{error:?}");
    }

    #[test]
    fn broken_pem_is_an_invalid_certificate() {
        let pem = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".to_vec();
        let error = client_config(&Trust::CaPem(pem)).unwrap_err();
        assert!(
            matches!(error, TlsConfigError::InvalidCertificate(_)),
            "{error:?}"
        );
    }

    #[test]
    fn a_given_config_is_used_as_given() {
        let given = client_config(&Trust::CaPem(self_signed_pem().into_bytes())).unwrap();
        let returned = client_config(&Trust::Config(Arc::clone(&given))).unwrap();
        assert!(Arc::ptr_eq(&given, &returned));
    }
}
