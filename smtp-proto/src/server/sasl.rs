//! The two password mechanisms the machine decodes itself: PLAIN (RFC 4616) and LOGIN
//! (draft-murchison-sasl-login).

use mailwire_core::sasl;
use mailwire_core::Secret;

/// Decoded PLAIN credentials.
#[derive(Debug)]
pub(crate) struct PlainCredentials {
    pub(crate) authzid: Option<String>,
    pub(crate) authcid: String,
    pub(crate) password: Secret<String>,
}

/// Splits `[authzid] NUL authcid NUL passwd` (RFC 4616 §2) with [`mailwire_core::sasl`].
/// Each field is UTF-8 without NUL, at most 255 octets; authcid and passwd are not empty.
/// `None` when the message is malformed.
pub(crate) fn parse_plain(message: &[u8]) -> Option<PlainCredentials> {
    let plain = sasl::PlainCredentials::decode(message).ok()?;
    Some(PlainCredentials {
        authzid: plain.authorization_identity().map(str::to_owned),
        authcid: plain.authcid,
        password: plain.password,
    })
}

/// A LOGIN user name or password: UTF-8, not empty, at most 255 octets as for PLAIN.
pub(crate) fn parse_login_field(field: &[u8]) -> Option<String> {
    sasl::decode_login_field(field).ok()
}

/// The LOGIN prompts, base64 of "Username:" and "Password:" as every LOGIN client
/// expects them.
pub(crate) use mailwire_core::sasl::{LOGIN_PASSWORD_PROMPT, LOGIN_USERNAME_PROMPT};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_splits_the_three_fields() {
        let creds = parse_plain(b"\0tim\0tanstaaftanstaaf").unwrap();
        assert_eq!(creds.authzid, None);
        assert_eq!(creds.authcid, "tim");
        assert_eq!(creds.password.expose(), "tanstaaftanstaaf");
        let creds = parse_plain(b"Ursel\0Kurt\0xipj3plmq").unwrap();
        assert_eq!(creds.authzid.as_deref(), Some("Ursel"));
        assert_eq!(creds.authcid, "Kurt");
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
        let long = [b'a'; 256];
        let mut message = b"\0".to_vec();
        message.extend_from_slice(&long);
        message.extend_from_slice(b"\0pw");
        assert!(parse_plain(&message).is_none());
    }

    #[test]
    fn login_fields_are_utf8_and_not_empty() {
        assert_eq!(
            parse_login_field("jörg".as_bytes()).as_deref(),
            Some("jörg")
        );
        assert!(parse_login_field(b"").is_none());
        assert!(parse_login_field(b"a\0b").is_none());
        assert!(parse_login_field(b"\xff").is_none());
    }
}
