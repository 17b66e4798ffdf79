//! DKIM signing of submitted mail (RFC 6376, Ed25519 keys of RFC 8463).
//!
//! At first start an Ed25519 key is made in `dkim/<selector>.key` (PKCS#8, PEM) of the
//! data folder, and the TXT records to publish, one per local domain, are written to
//! `dkim/<selector>.txt` in zone-file form. Messages accepted on the submission roles
//! whose sender is in a local domain get a `DKIM-Signature` with `d=` that domain.
//!
//! The signature covers the whole body, so it is known only once the message is in the
//! spool; it is then computed over the spooled file and put on top of it (a second
//! pass over the file, see [`SpoolWriter::prepend`]), before the message is queued.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use mailwire_auth::dkim::{DkimSigner, DkimSigningKey};

use crate::queue::{QueueError, SpoolWriter};

/// The folder of the data folder holding the keys.
pub const DKIM_FOLDER: &str = "dkim";

/// The PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410 §7), followed by the 32
/// octets of the seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Why the signing key could not be loaded or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DkimSetupError {
    /// The key file or the record file could not be read or written.
    #[error("dkim key file i/o error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file does not hold an Ed25519 or RSA PKCS#8 key.
    #[error("dkim key file {0} holds no usable private key")]
    BadKey(PathBuf),
    /// The selector is not a DNS label.
    #[error("invalid dkim selector")]
    BadSelector,
    /// No random octets for a new key.
    #[error("no random octets for a dkim key")]
    Random,
}

/// The signers of the local domains, one per domain, sharing one key.
#[derive(Debug)]
pub struct DkimKeys {
    selector: String,
    signers: Vec<(String, DkimSigner)>,
}

/// What [`load_or_create`] found or made.
#[derive(Debug)]
pub struct DkimSetup {
    /// The signers.
    pub keys: DkimKeys,
    /// True when the key was made now (first start).
    pub created: bool,
    /// The file with the TXT records to publish.
    pub records_path: PathBuf,
    /// The TXT records to publish, in zone-file form, one line per local domain.
    pub records: String,
}

impl DkimKeys {
    /// The selector.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// The signer for mail from `sender` (an address), when its domain is local.
    pub fn signer_for(&self, sender: &str) -> Option<&DkimSigner> {
        let (_, domain) = sender.rsplit_once('@')?;
        self.signers
            .iter()
            .find(|(local, _)| local.eq_ignore_ascii_case(domain))
            .map(|(_, signer)| signer)
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> DkimSetupError + '_ {
    move |source| DkimSetupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn pem(der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END PRIVATE KEY-----\n");
    out
}

fn der_from_pem(text: &str) -> Option<Vec<u8>> {
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

fn key_from_der(der: &[u8]) -> Option<DkimSigningKey> {
    DkimSigningKey::ed25519_pkcs8(der)
        .or_else(|_| DkimSigningKey::rsa_pkcs8(der))
        .ok()
}

/// Loads `DATA/dkim/<selector>.key`, or makes it (with the 32 random octets `seed`
/// gives) and `DATA/dkim/<selector>.txt` when it is missing; returns a signer for each
/// of `domains`.
pub fn load_or_create(
    data_dir: &Path,
    selector: &str,
    domains: &[String],
    seed: &mut dyn FnMut() -> Result<[u8; 32], DkimSetupError>,
) -> Result<DkimSetup, DkimSetupError> {
    let label_ok = !selector.is_empty()
        && selector.len() <= 63
        && selector
            .bytes()
            .all(|octet| octet.is_ascii_alphanumeric() || octet == b'-');
    if !label_ok {
        return Err(DkimSetupError::BadSelector);
    }
    let folder = data_dir.join(DKIM_FOLDER);
    let key_path = folder.join(format!("{selector}.key"));
    let records_path = folder.join(format!("{selector}.txt"));
    let (der, created) = if key_path.exists() {
        let text = std::fs::read_to_string(&key_path).map_err(io_error(&key_path))?;
        let der = der_from_pem(&text).ok_or_else(|| DkimSetupError::BadKey(key_path.clone()))?;
        (der, false)
    } else {
        std::fs::create_dir_all(&folder).map_err(io_error(&folder))?;
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&seed()?);
        write_private(&key_path, pem(&der).as_bytes())?;
        (der, true)
    };
    let mut signers = Vec::new();
    let mut records = String::new();
    for domain in domains {
        let key = key_from_der(&der).ok_or_else(|| DkimSetupError::BadKey(key_path.clone()))?;
        records.push_str(&format!(
            "{selector}._domainkey.{domain}. IN TXT \"{}\"\n",
            key.dns_record()
        ));
        signers.push((
            domain.to_ascii_lowercase(),
            DkimSigner::new(key, domain, selector),
        ));
    }
    if created || !records_path.exists() {
        std::fs::write(&records_path, &records).map_err(io_error(&records_path))?;
    }
    Ok(DkimSetup {
        keys: DkimKeys {
            selector: selector.to_owned(),
            signers,
        },
        created,
        records_path,
        records,
    })
}

/// Writes a file only its owner may read (on Unix).
fn write_private(path: &Path, content: &[u8]) -> Result<(), DkimSetupError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error(path))?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .map_err(io_error(path))
}

/// Signs the message in `writer` with `signer` at `now` (seconds since the epoch) and
/// puts the signature on top. A message that cannot be signed (no From, a header over
/// the limits) is left unsigned and logged; only spool errors are returned.
pub async fn sign_spooled(
    writer: &mut SpoolWriter,
    signer: &DkimSigner,
    now: u64,
) -> Result<bool, QueueError> {
    let mut signing = signer.start(now);
    writer.read_back(&mut |chunk| signing.update(chunk)).await?;
    match signing.finish() {
        Ok(field) => {
            writer.prepend(field.as_bytes()).await?;
            Ok(true)
        }
        Err(error) => {
            tracing::warn!(queue_id = %writer.id(), %error, "message left unsigned");
            Ok(false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_made_once_and_loaded_after() {
        let dir = std::env::temp_dir().join(format!("mailwire-dkim-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let domains = vec![String::from("example.org"), String::from("Example.NET")];
        let made = load_or_create(&dir, "sel", &domains, &mut || Ok([7u8; 32])).unwrap();
        assert!(made.created);
        let written = std::fs::read_to_string(&made.records_path).unwrap();
        assert_eq!(written, made.records);
        assert!(written.starts_with("sel._domainkey.example.org. IN TXT \"v=DKIM1; k=ed25519; p="));
        assert_eq!(written.lines().count(), 2);
        let again =
            load_or_create(&dir, "sel", &domains, &mut || Err(DkimSetupError::Random)).unwrap();
        assert!(!again.created);
        assert_eq!(again.records, made.records);
        // The seed is the key: the same public key as a key made from it directly.
        let direct = DkimSigningKey::ed25519_seed(&[7u8; 32]).unwrap();
        assert!(made.records.contains(&direct.dns_record()));
        assert!(again.keys.signer_for("a@example.net").is_some());
        assert!(again.keys.signer_for("a@other.test").is_none());
        assert!(load_or_create(&dir, "bad.sel", &domains, &mut || Ok([0; 32])).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
