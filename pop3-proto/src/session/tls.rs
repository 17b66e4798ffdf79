//! Which certificates a session trusts, and the rustls client configuration made from
//! them (ring provider, safe default protocol versions).

use std::sync::Arc;

use tokio_rustls::rustls;

use crate::session::error::MailboxError;

/// Which server certificates are trusted.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum Trust {
    /// The platform's trusted roots (rustls-native-certs), loaded when connecting. The
    /// default.
    #[default]
    Platform,
    /// Only the CA certificates in this PEM text (a private CA, or a test server's own
    /// certificate).
    CaPem(Vec<u8>),
    /// A rustls configuration made by the application. Used as given.
    Config(Arc<rustls::ClientConfig>),
}

/// The rustls configuration for `trust`.
pub(crate) fn client_config(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, MailboxError> {
    let mut roots = rustls::RootCertStore::empty();
    match trust {
        Trust::Config(config) => return Ok(Arc::clone(config)),
        Trust::Platform => {
            // Unreadable entries of the store are skipped; some roots must be left.
            let loaded = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(loaded.certs);
        }
        Trust::CaPem(pem) => {
            let mut reader = pem.as_slice();
            for certificate in rustls_pemfile::certs(&mut reader) {
                let certificate = certificate.map_err(MailboxError::InvalidCertificate)?;
                roots.add(certificate).map_err(|error| {
                    MailboxError::InvalidCertificate(std::io::Error::other(error))
                })?;
            }
        }
    }
    if roots.is_empty() {
        return Err(MailboxError::NoTrustedRoots);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|_| MailboxError::InvalidConfig {
            reason: "the tls provider offers no safe protocol version",
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
