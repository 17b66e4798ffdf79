//! The PLAIN mechanism (RFC 4616), which the machine decodes itself.

use mailwire_core::sasl::PlainCredentials;

use crate::server::Credentials;

/// True for the mechanisms that send a password in the clear (refused before TLS unless
/// the policy allows cleartext logins).
pub(crate) fn is_plaintext_mechanism(name: &str) -> bool {
    name.eq_ignore_ascii_case("PLAIN") || name.eq_ignore_ascii_case("LOGIN")
}

/// Splits `[authzid] NUL authcid NUL passwd` (RFC 4616 §2) with
/// [`mailwire_core::sasl`]: UTF-8 fields without NUL, authcid and passwd not empty, each at
/// most 255 octets. `None` when malformed.
pub(crate) fn parse_plain(message: &[u8]) -> Option<Credentials> {
    let plain = PlainCredentials::decode(message).ok()?;
    Some(Credentials {
        authzid: plain.authorization_identity().map(str::to_owned),
        username: plain.authcid,
        password: plain.password,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_splits_the_three_fields() {
        // RFC 4616 §4 examples.
        let credentials = parse_plain(b"\0tim\0tanstaaftanstaaf").unwrap();
        assert_eq!(credentials.authzid, None);
        assert_eq!(credentials.username, "tim");
        assert_eq!(credentials.password.expose(), "tanstaaftanstaaf");
        let credentials = parse_plain(b"Ursel\0Kurt\0xipj3plmq").unwrap();
        assert_eq!(credentials.authzid.as_deref(), Some("Ursel"));
        assert_eq!(credentials.username, "Kurt");
    }

    #[test]
    fn plain_refuses_malformed_messages() {
        for bad in [
            &b""[..],
            b"user\0pass",
            b"\0\0pass",
            b"\0user\0",
            b"\0user\0pass\0extra",
            b"\0us\xffer\0pass",
        ] {
            assert!(parse_plain(bad).is_none(), "{bad:?}");
        }
        let mut long = b"\0".to_vec();
        long.extend_from_slice(&[b'a'; 256]);
        long.extend_from_slice(b"\0pw");
        assert!(parse_plain(&long).is_none());
    }

    #[test]
    fn plaintext_mechanisms_are_recognised_in_any_case() {
        assert!(is_plaintext_mechanism("plain"));
        assert!(is_plaintext_mechanism("LOGIN"));
        assert!(!is_plaintext_mechanism("SCRAM-SHA-256"));
    }
}
