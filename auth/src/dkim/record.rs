//! The DKIM-Signature field and key records (RFC 6376 §3.2, §3.5, §3.6.1), parsed.

use base64::Engine as _;

/// Why a DKIM-Signature or key record did not parse (each is a permerror).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DkimParseError {
    /// A tag-spec without `=`, or a tag name that is not ALPHA *(ALNUM / "_").
    #[error("malformed tag")]
    MalformedTag,
    /// The same tag twice (RFC 6376 §3.2).
    #[error("duplicate tag")]
    DuplicateTag,
    /// A required tag is missing.
    #[error("missing required tag {0}")]
    MissingTag(&'static str),
    /// `v` is not `1` (signature) or `DKIM1` (key).
    #[error("unsupported version")]
    UnsupportedVersion,
    /// `a` is not `<sig>-<hash>`.
    #[error("malformed algorithm")]
    MalformedAlgorithm,
    /// `c` is not simple/relaxed[/simple|relaxed].
    #[error("malformed canonicalization")]
    MalformedCanonicalization,
    /// A base64 value (b, bh, p) that does not decode.
    #[error("invalid base64")]
    InvalidBase64,
    /// A number (l, t, x) that is not 1-76 digits or overflows.
    #[error("invalid number")]
    InvalidNumber,
    /// `h` does not include From (RFC 6376 §5.4).
    #[error("signed headers do not include from")]
    FromNotSigned,
    /// The `i` domain is not `d` or a subdomain of it.
    #[error("identity is not within the signing domain")]
    IdentityOutsideDomain,
}

/// Splits a tag-list (RFC 6376 §3.2) into (name, value) pairs, values with folding
/// whitespace trimmed at the ends; duplicate names are an error.
pub fn parse_tag_list(text: &str) -> Result<Vec<(&str, &str)>, DkimParseError> {
    let mut tags: Vec<(&str, &str)> = Vec::new();
    for spec in text.split(';') {
        if spec.trim().is_empty() {
            continue;
        }
        let (name, value) = spec.split_once('=').ok_or(DkimParseError::MalformedTag)?;
        let name = name.trim();
        let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(DkimParseError::MalformedTag);
        }
        if tags.iter().any(|(seen, _)| *seen == name) {
            return Err(DkimParseError::DuplicateTag);
        }
        tags.push((
            name,
            value.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n')),
        ));
    }
    Ok(tags)
}

/// Header or body canonicalization (RFC 6376 §3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Canonicalization {
    /// `simple`: (almost) no change.
    Simple,
    /// `relaxed`: whitespace and header-name case normalized.
    Relaxed,
}

impl Canonicalization {
    /// The name used in the `c=` tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simple => "simple",
            Self::Relaxed => "relaxed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "simple" => Some(Self::Simple),
            "relaxed" => Some(Self::Relaxed),
            _ => None,
        }
    }
}

/// A parsed DKIM-Signature field value (RFC 6376 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSignature {
    /// `a`, signature part: `rsa` or `ed25519` (others kept for the verifier to refuse).
    pub signature_algorithm: String,
    /// `a`, hash part: `sha256` or `sha1` (reported too weak by the verifier).
    pub hash_algorithm: String,
    /// `b`: the signature, decoded.
    pub signature: Vec<u8>,
    /// `bh`: the body hash, decoded.
    pub body_hash: Vec<u8>,
    /// `c`, header part (default simple).
    pub header_canonicalization: Canonicalization,
    /// `c`, body part (default simple).
    pub body_canonicalization: Canonicalization,
    /// `d`: the signing domain.
    pub domain: String,
    /// `h`: the signed header field names, in order.
    pub signed_headers: Vec<String>,
    /// `i`: the agent or user identifier (`@d` when absent).
    pub identity: String,
    /// `l`: the body length limit, reported because content after it is unsigned.
    pub body_length: Option<u64>,
    /// `s`: the selector.
    pub selector: String,
    /// `t`: signature timestamp.
    pub timestamp: Option<u64>,
    /// `x`: expiration timestamp.
    pub expiration: Option<u64>,
}

fn decode_base64(value: &str) -> Result<Vec<u8>, DkimParseError> {
    let compact: String = value.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| DkimParseError::InvalidBase64)
}

fn parse_number(value: &str) -> Result<u64, DkimParseError> {
    if value.is_empty() || value.len() > 76 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DkimParseError::InvalidNumber);
    }
    value.parse().map_err(|_| DkimParseError::InvalidNumber)
}

impl DkimSignature {
    /// Parses the value of a DKIM-Signature field.
    pub fn parse(value: &str) -> Result<Self, DkimParseError> {
        let tags = parse_tag_list(value)?;
        let get = |name: &str| tags.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let required = |name: &'static str| get(name).ok_or(DkimParseError::MissingTag(name));
        if required("v")? != "1" {
            return Err(DkimParseError::UnsupportedVersion);
        }
        let (signature_algorithm, hash_algorithm) = required("a")?
            .split_once('-')
            .filter(|(s, h)| !s.is_empty() && !h.is_empty())
            .ok_or(DkimParseError::MalformedAlgorithm)?;
        let (header_canonicalization, body_canonicalization) = match get("c") {
            None => (Canonicalization::Simple, Canonicalization::Simple),
            Some(c) => {
                let (header, body) = c.split_once('/').unwrap_or((c, "simple"));
                (
                    Canonicalization::parse(header)
                        .ok_or(DkimParseError::MalformedCanonicalization)?,
                    Canonicalization::parse(body)
                        .ok_or(DkimParseError::MalformedCanonicalization)?,
                )
            }
        };
        let domain = required("d")?.to_ascii_lowercase();
        let signed_headers: Vec<String> = required("h")?
            .split(':')
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect();
        if !signed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("from"))
        {
            return Err(DkimParseError::FromNotSigned);
        }
        let identity = get("i").map_or_else(|| format!("@{domain}"), str::to_owned);
        let identity_domain = identity
            .rsplit_once('@')
            .map_or("", |(_, d)| d)
            .to_ascii_lowercase();
        if identity_domain != domain && !identity_domain.ends_with(&format!(".{domain}")) {
            return Err(DkimParseError::IdentityOutsideDomain);
        }
        Ok(Self {
            signature_algorithm: signature_algorithm.to_ascii_lowercase(),
            hash_algorithm: hash_algorithm.to_ascii_lowercase(),
            signature: decode_base64(required("b")?)?,
            body_hash: decode_base64(required("bh")?)?,
            header_canonicalization,
            body_canonicalization,
            domain,
            signed_headers,
            identity,
            body_length: get("l").map(parse_number).transpose()?,
            selector: required("s")?.to_owned(),
            timestamp: get("t").map(parse_number).transpose()?,
            expiration: get("x").map(parse_number).transpose()?,
        })
    }
}

/// A parsed DKIM key record (RFC 6376 §3.6.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimKey {
    /// `k`: the key type (default `rsa`; `ed25519` per RFC 8463).
    pub key_type: String,
    /// `h`: acceptable hash algorithms (empty: any).
    pub hash_algorithms: Vec<String>,
    /// `p`: the public key, decoded; empty when revoked.
    pub public_key: Vec<u8>,
    /// `t=y`: the domain is testing DKIM.
    pub testing: bool,
    /// `t=s`: the `i` domain must equal `d` exactly.
    pub strict_identity: bool,
    /// `s`: the service types the key is for (empty: any; `*` or `email` serve mail).
    pub service_types: Vec<String>,
}

impl DkimKey {
    /// Parses a key record (`v=DKIM1; k=...; p=...`).
    pub fn parse(text: &str) -> Result<Self, DkimParseError> {
        let tags = parse_tag_list(text)?;
        let get = |name: &str| tags.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        // v, when present, must come first and be DKIM1.
        if let Some(v) = get("v") {
            let first = tags.first().map(|(n, _)| *n);
            if v != "DKIM1" || first != Some("v") {
                return Err(DkimParseError::UnsupportedVersion);
            }
        }
        let flags: Vec<&str> = get("t")
            .map(|t| t.split(':').map(str::trim).collect())
            .unwrap_or_default();
        Ok(Self {
            key_type: get("k").unwrap_or("rsa").to_ascii_lowercase(),
            hash_algorithms: get("h")
                .map(|h| {
                    h.split(':')
                        .map(|a| a.trim().to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default(),
            public_key: decode_base64(get("p").ok_or(DkimParseError::MissingTag("p"))?)?,
            testing: flags.contains(&"y"),
            strict_identity: flags.contains(&"s"),
            service_types: get("s")
                .map(|s| {
                    s.split(':')
                        .map(|t| t.trim().to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// True when the key may sign mail (`s=` absent, `*` or `email`).
    pub fn serves_email(&self) -> bool {
        self.service_types.is_empty()
            || self
                .service_types
                .iter()
                .any(|service| service == "*" || service == "email")
    }

    /// True when the key was revoked (empty `p=`).
    pub fn is_revoked(&self) -> bool {
        self.public_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6376 §A.2's signature field, as folded there.
    const RFC6376_SIGNATURE: &str = "v=1; a=rsa-sha256; s=brisbane; d=example.com;
        c=simple/simple; q=dns/txt; i=joe@football.example.com;
        h=Received : From : To : Subject : Date : Message-ID;
        bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
        b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB
        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut
        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV
        4bmp/YzhwvcubU4=;";

    /// RFC 6376 Appendix C's key record, its strings concatenated.
    const RFC6376_KEY: &str = "v=DKIM1; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ\
KBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt\
IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v\
/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi\
tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB";

    #[test]
    fn rfc6376_signature_parses() {
        let signature = DkimSignature::parse(RFC6376_SIGNATURE).unwrap();
        assert_eq!(signature.signature_algorithm, "rsa");
        assert_eq!(signature.hash_algorithm, "sha256");
        assert_eq!(signature.header_canonicalization, Canonicalization::Simple);
        assert_eq!(signature.body_canonicalization, Canonicalization::Simple);
        assert_eq!(signature.domain, "example.com");
        assert_eq!(signature.identity, "joe@football.example.com");
        assert_eq!(signature.selector, "brisbane");
        assert_eq!(
            signature.signed_headers,
            ["Received", "From", "To", "Subject", "Date", "Message-ID"]
        );
        assert_eq!(signature.body_hash.len(), 32);
        // A 1024-bit RSA signature.
        assert_eq!(signature.signature.len(), 128);
        assert_eq!(signature.body_length, None);
    }

    #[test]
    fn rfc6376_key_parses() {
        let key = DkimKey::parse(RFC6376_KEY).unwrap();
        assert_eq!(key.key_type, "rsa");
        // SubjectPublicKeyInfo DER of a 1024-bit RSA key.
        assert_eq!(key.public_key.len(), 162);
        assert!(!key.is_revoked());
        let revoked = DkimKey::parse("v=DKIM1; p=").unwrap();
        assert!(revoked.is_revoked());
        let flags = DkimKey::parse("k=ed25519; p=; t=y:s; h=sha256").unwrap();
        assert_eq!(flags.key_type, "ed25519");
        assert!(flags.testing && flags.strict_identity);
        assert_eq!(flags.hash_algorithms, ["sha256"]);
        assert!(flags.serves_email());
        assert!(DkimKey::parse("p=; s=email:tlsrpt").unwrap().serves_email());
        assert!(!DkimKey::parse("p=; s=tlsrpt").unwrap().serves_email());
    }

    #[test]
    fn errors() {
        let base = "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA";
        assert!(DkimSignature::parse(base).is_ok());
        for (text, error) in [
            (
                "v=2; a=rsa-sha256; d=e.com; s=s; h=from; bh=; b=",
                DkimParseError::UnsupportedVersion,
            ),
            (
                "v=1; a=rsa; d=e.com; s=s; h=from; bh=; b=",
                DkimParseError::MalformedAlgorithm,
            ),
            (
                "v=1; a=rsa-sha256; d=e.com; s=s; h=to; bh=; b=",
                DkimParseError::FromNotSigned,
            ),
            (
                "v=1; a=rsa-sha256; d=e.com; h=from; bh=; b=",
                DkimParseError::MissingTag("s"),
            ),
            ("v=1; v=1", DkimParseError::DuplicateTag),
            ("v=1; 1x=2", DkimParseError::MalformedTag),
            ("v=1; junk", DkimParseError::MalformedTag),
            (
                "v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=!!; b=",
                DkimParseError::InvalidBase64,
            ),
            (
                "v=1; a=rsa-sha256; c=fancy; d=e.com; s=s; h=from; bh=; b=",
                DkimParseError::MalformedCanonicalization,
            ),
            (
                "v=1; a=rsa-sha256; d=e.com; s=s; h=from; bh=; b=; l=-1",
                DkimParseError::InvalidNumber,
            ),
            (
                "v=1; a=rsa-sha256; d=e.com; i=u@other.com; s=s; h=from; bh=; b=",
                DkimParseError::IdentityOutsideDomain,
            ),
        ] {
            assert_eq!(DkimSignature::parse(text), Err(error), "{text}");
        }
        assert_eq!(
            DkimKey::parse("k=rsa; v=DKIM1; p="),
            Err(DkimParseError::UnsupportedVersion)
        );
        assert_eq!(
            DkimKey::parse("v=DKIM1"),
            Err(DkimParseError::MissingTag("p"))
        );
    }
}
