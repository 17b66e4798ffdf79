//! The server's TLS certificate: loaded from PEM files, or made self-signed at first
//! start (rcgen), and turned into a tokio-rustls acceptor (rustls with ring).
//!
//! The self-signed certificate names the server's hostname, `localhost`, `127.0.0.1` and
//! `::1`, so clients on the same machine can pin it (`swaks --tls-ca-path cert.pem`,
//! `curl --cacert cert.pem`, Python's `ssl.create_default_context(cafile=...)`). It is an
//! end-entity certificate (no CA basic constraint), which rustls accepts as a server
//! certificate. Its key comes from ring's generator (the operating system's random
//! source), as a key must.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// Why the certificate could not be loaded or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// Reading or writing a PEM file failed.
    #[error("certificate file i/o error")]
    Io(#[from] io::Error),
    /// Only one of the certificate and the key exists.
    #[error("the certificate and its key must both exist, or neither")]
    HalfPresent,
    /// The key file holds no private key.
    #[error("no private key in the key file")]
    NoKey,
    /// The certificate file holds no certificate.
    #[error("no certificate in the certificate file")]
    NoCertificate,
    /// Making the self-signed certificate failed.
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
    /// rustls refused the certificate or key.
    #[error("the certificate or key is not usable: {0}")]
    Rustls(#[from] rustls::Error),
}

/// What [`load_or_create`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateOrigin {
    /// The files existed.
    Loaded,
    /// A self-signed certificate was made and written.
    Created,
}

/// Loads the certificate chain and key from `cert` and `key`; when neither file exists,
/// makes a self-signed certificate for `hostname` (plus `localhost`, `127.0.0.1`, `::1`)
/// and writes both (the key readable by its owner only).
pub fn load_or_create(
    cert: &Path,
    key: &Path,
    hostname: &str,
) -> Result<(TlsAcceptor, CertificateOrigin), TlsError> {
    let origin = match (cert.exists(), key.exists()) {
        (true, true) => CertificateOrigin::Loaded,
        (false, false) => {
            create_self_signed(cert, key, hostname)?;
            CertificateOrigin::Created
        }
        _ => return Err(TlsError::HalfPresent),
    };
    Ok((acceptor(cert, key)?, origin))
}

/// Builds an acceptor from PEM files.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let certs = rustls_pemfile::certs(&mut io::BufReader::new(std::fs::File::open(cert)?))
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let key = rustls_pemfile::private_key(&mut io::BufReader::new(std::fs::File::open(key)?))?
        .ok_or(TlsError::NoKey)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn create_self_signed(cert: &Path, key: &Path, hostname: &str) -> Result<(), TlsError> {
    let mut names = vec![hostname.to_string()];
    for extra in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|name| name.eq_ignore_ascii_case(extra)) {
            names.push(extra.to_string());
        }
    }
    let generate = |error: rcgen::Error| TlsError::Generate(error.to_string());
    let mut params = rcgen::CertificateParams::new(names).map_err(generate)?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, hostname);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "mailwire (self-signed)");
    let key_pair = rcgen::KeyPair::generate().map_err(generate)?;
    let certificate = params.self_signed(&key_pair).map_err(generate)?;
    write_file(key, key_pair.serialize_pem().as_bytes(), true)?;
    write_file(cert, certificate.pem().as_bytes(), false)?;
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename, flushed.
fn write_file(path: &Path, bytes: &[u8], private: bool) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = std::path::PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_then_loads() {
        let dir = std::env::temp_dir().join(format!("mailwire-tls-{}", std::process::id()));
        let cert = dir.join("tls/cert.pem");
        let key = dir.join("tls/key.pem");
        let (_, origin) = load_or_create(&cert, &key, "mx.example.test").unwrap();
        assert_eq!(origin, CertificateOrigin::Created);
        let pem = std::fs::read(&cert).unwrap();
        assert!(pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (_, origin) = load_or_create(&cert, &key, "mx.example.test").unwrap();
        assert_eq!(origin, CertificateOrigin::Loaded);
        assert_eq!(std::fs::read(&cert).unwrap(), pem);
        std::fs::remove_file(&key).unwrap();
        assert!(matches!(
            load_or_create(&cert, &key, "mx.example.test"),
            Err(TlsError::HalfPresent)
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
