//! Keys: the public keys of key records (RSA, Ed25519) and the private keys a signer uses.

use base64::Engine as _;
use ring::signature::{self, KeyPair as _};

/// The algorithms this crate signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DkimAlgorithm {
    /// `rsa-sha256` (RFC 6376; keys of at least 1024 bits, RFC 8301).
    RsaSha256,
    /// `ed25519-sha256` (RFC 8463).
    Ed25519Sha256,
}

impl DkimAlgorithm {
    /// The `a=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaSha256 => "rsa-sha256",
            Self::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// The key record's `k=` value.
    pub fn key_type(self) -> &'static str {
        match self {
            Self::RsaSha256 => "rsa",
            Self::Ed25519Sha256 => "ed25519",
        }
    }
}

/// The OID 1.2.840.113549.1.1.1 (rsaEncryption), DER-encoded with its tag and length.
const RSA_ENCRYPTION_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// Reads one DER element: (tag, contents, rest). Only definite lengths of up to 4 octets.
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (octets, rest) = (rest.get(..count)?, rest.get(count..)?);
        let length = octets
            .iter()
            .fold(0usize, |acc, &octet| (acc << 8) | usize::from(octet));
        (length, rest)
    };
    Some((tag, rest.get(..length)?, rest.get(length..)?))
}

/// An RSA public key as DKIM publishes it: a SubjectPublicKeyInfo (what `openssl rsa
/// -pubout` writes), or a bare RSAPublicKey. Gives the RSAPublicKey DER and the modulus size
/// in bits.
pub(crate) fn rsa_public_key(der: &[u8]) -> Option<(&[u8], usize)> {
    let (tag, outer, _) = der_element(der)?;
    if tag != 0x30 {
        return None;
    }
    let rsa_public_key = match der_element(outer)? {
        // SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier, BIT STRING }.
        (0x30, algorithm, rest) => {
            if !algorithm.starts_with(RSA_ENCRYPTION_OID) {
                return None;
            }
            let (tag, bits, _) = der_element(rest)?;
            let (&unused_bits, key) = bits.split_first()?;
            if tag != 0x03 || unused_bits != 0 {
                return None;
            }
            key
        }
        // RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }.
        (0x02, _, _) => der,
        _ => return None,
    };
    let (tag, sequence, _) = der_element(rsa_public_key)?;
    let (modulus_tag, modulus, rest) = der_element(sequence)?;
    let (exponent_tag, _, _) = der_element(rest)?;
    if tag != 0x30 || modulus_tag != 0x02 || exponent_tag != 0x02 {
        return None;
    }
    let significant = modulus
        .iter()
        .position(|&b| b != 0)
        .map_or(&[][..], |p| modulus.get(p..).unwrap_or_default());
    let bits = significant.first().map_or(0, |&top| {
        (significant.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
    });
    Some((rsa_public_key, bits))
}

/// Appends a DER length.
fn der_length(length: usize, out: &mut Vec<u8>) {
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let octets = length.to_be_bytes();
        let skip = octets.iter().take_while(|&&b| b == 0).count();
        let significant = octets.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Wraps an RSAPublicKey into a SubjectPublicKeyInfo, the form key records carry.
fn rsa_subject_public_key_info(rsa_public_key: &[u8]) -> Vec<u8> {
    let mut algorithm = Vec::with_capacity(15);
    algorithm.push(0x30);
    der_length(RSA_ENCRYPTION_OID.len() + 2, &mut algorithm);
    algorithm.extend_from_slice(RSA_ENCRYPTION_OID);
    algorithm.extend_from_slice(&[0x05, 0x00]);
    let mut bit_string = vec![0x03];
    der_length(rsa_public_key.len() + 1, &mut bit_string);
    bit_string.push(0);
    bit_string.extend_from_slice(rsa_public_key);
    let mut out = vec![0x30];
    der_length(algorithm.len() + bit_string.len(), &mut out);
    out.extend_from_slice(&algorithm);
    out.extend_from_slice(&bit_string);
    out
}

/// Verifies `signature` over the canonical header `data`. RSA signs the data with
/// PKCS#1 v1.5 and SHA-256; Ed25519 signs the SHA-256 digest of the data (RFC 8463 §3).
pub(crate) fn verify_signature(
    algorithm: DkimAlgorithm,
    public_key: &[u8],
    data: &[u8],
    signature: &[u8],
) -> bool {
    match algorithm {
        DkimAlgorithm::RsaSha256 => signature::UnparsedPublicKey::new(
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            public_key,
        )
        .verify(data, signature)
        .is_ok(),
        DkimAlgorithm::Ed25519Sha256 => {
            let digest = ring::digest::digest(&ring::digest::SHA256, data);
            signature::UnparsedPublicKey::new(&signature::ED25519, public_key)
                .verify(digest.as_ref(), signature)
                .is_ok()
        }
    }
}

/// Why a private key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DkimKeyError {
    /// The DER did not hold a key of the expected kind, or ring refused it (RSA keys must be
    /// 2048 to 4096 bits to sign).
    #[error("invalid or unsupported private key")]
    Invalid,
    /// The system's random source failed while generating a key.
    #[error("random source failed")]
    Random,
}

enum KeyPair {
    Rsa(signature::RsaKeyPair),
    Ed25519(signature::Ed25519KeyPair),
}

/// A private key to sign with.
pub struct DkimSigningKey {
    pair: KeyPair,
}

impl std::fmt::Debug for DkimSigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never shows.
        f.debug_struct("DkimSigningKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl DkimSigningKey {
    /// An RSA key from PKCS#8 DER (`openssl genpkey -algorithm rsa`), 2048 to 4096 bits.
    pub fn rsa_pkcs8(der: &[u8]) -> Result<Self, DkimKeyError> {
        signature::RsaKeyPair::from_pkcs8(der)
            .map(|pair| Self {
                pair: KeyPair::Rsa(pair),
            })
            .map_err(|_| DkimKeyError::Invalid)
    }

    /// An RSA key from PKCS#1 RSAPrivateKey DER (`openssl genrsa -traditional`).
    pub fn rsa_pkcs1(der: &[u8]) -> Result<Self, DkimKeyError> {
        signature::RsaKeyPair::from_der(der)
            .map(|pair| Self {
                pair: KeyPair::Rsa(pair),
            })
            .map_err(|_| DkimKeyError::Invalid)
    }

    /// An Ed25519 key from PKCS#8 DER, v1 (`openssl genpkey -algorithm ed25519`) or v2.
    pub fn ed25519_pkcs8(der: &[u8]) -> Result<Self, DkimKeyError> {
        signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
            .map(|pair| Self {
                pair: KeyPair::Ed25519(pair),
            })
            .map_err(|_| DkimKeyError::Invalid)
    }

    /// An Ed25519 key from its 32-octet private key (the seed, as RFC 8463 Appendix A
    /// prints it).
    pub fn ed25519_seed(seed: &[u8]) -> Result<Self, DkimKeyError> {
        signature::Ed25519KeyPair::from_seed_unchecked(seed)
            .map(|pair| Self {
                pair: KeyPair::Ed25519(pair),
            })
            .map_err(|_| DkimKeyError::Invalid)
    }

    /// Generates an Ed25519 key from the system's random source; gives the key and its
    /// PKCS#8 DER to store.
    pub fn generate_ed25519() -> Result<(Self, Vec<u8>), DkimKeyError> {
        let rng = ring::rand::SystemRandom::new();
        let document =
            signature::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| DkimKeyError::Random)?;
        let key = Self::ed25519_pkcs8(document.as_ref())?;
        Ok((key, document.as_ref().to_vec()))
    }

    /// The algorithm this key signs with.
    pub fn algorithm(&self) -> DkimAlgorithm {
        match self.pair {
            KeyPair::Rsa(_) => DkimAlgorithm::RsaSha256,
            KeyPair::Ed25519(_) => DkimAlgorithm::Ed25519Sha256,
        }
    }

    /// The public key as a key record's `p=` carries it: a SubjectPublicKeyInfo for RSA, the
    /// 32 raw octets for Ed25519.
    pub fn public_key(&self) -> Vec<u8> {
        match &self.pair {
            KeyPair::Rsa(pair) => rsa_subject_public_key_info(pair.public_key().as_ref()),
            KeyPair::Ed25519(pair) => pair.public_key().as_ref().to_vec(),
        }
    }

    /// The TXT record to publish at `selector._domainkey.domain`.
    pub fn dns_record(&self) -> String {
        format!(
            "v=DKIM1; k={}; p={}",
            self.algorithm().key_type(),
            base64::engine::general_purpose::STANDARD.encode(self.public_key())
        )
    }

    /// Signs the canonical header `data` (see [`super::signature_input`]). Both algorithms
    /// are deterministic: RSA PKCS#1 v1.5 uses ring's system random source only to blind the
    /// computation, which does not change the signature.
    pub fn sign_data(&self, data: &[u8]) -> Result<Vec<u8>, DkimKeyError> {
        match &self.pair {
            KeyPair::Rsa(pair) => {
                let rng = ring::rand::SystemRandom::new();
                let mut out = vec![0; pair.public().modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, data, &mut out)
                    .map_err(|_| DkimKeyError::Random)?;
                Ok(out)
            }
            KeyPair::Ed25519(pair) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, data);
                Ok(pair.sign(digest.as_ref()).as_ref().to_vec())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_public_key_forms() {
        // RFC 6376 Appendix C's key: a SubjectPublicKeyInfo of a 1024-bit key.
        let spki = base64::engine::general_purpose::STANDARD
            .decode(
                "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt\
                 IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0\
                 fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB",
            )
            .unwrap();
        let (inner, bits) = rsa_public_key(&spki).unwrap();
        assert_eq!(bits, 1024);
        // The bare RSAPublicKey inside is accepted as such, and wraps back to the same SPKI.
        assert_eq!(rsa_public_key(inner).unwrap(), (inner, 1024));
        assert_eq!(rsa_subject_public_key_info(inner), spki);
        for junk in [
            &b""[..],
            b"\x30",
            b"\x30\x03\x02\x01",
            b"\x04\x00",
            &spki[..40],
        ] {
            assert_eq!(rsa_public_key(junk), None);
        }
    }
}
