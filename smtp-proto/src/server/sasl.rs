//! The two password mechanisms the machine decodes itself: PLAIN (RFC 4616) and LOGIN
//! (draft-murchison-sasl-login).

use mailwire_core::Secret;

/// Longest authzid, authcid and password of PLAIN (RFC 4616 §2: "up to 255 octets").
const MAX_PLAIN_FIELD: usize = 255;

/// Decoded PLAIN credentials.
#[derive(Debug)]
pub(crate) struct PlainCredentials {
    pub(crate) authzid: Option<String>,
    pub(crate) authcid: String,
    pub(crate) password: Secret<String>,
}

/// Splits `[authzid] NUL authcid NUL passwd` (RFC 4616 §2). Each field is UTF-8 without
/// NUL; authcid and passwd are not empty. `None` when the message is malformed.
pub(crate) fn parse_plain(message: &[u8]) -> Option<PlainCredentials> {
    let mut fields = message.split(|&b| b == 0);
    let authzid = fields.next()?;
    let authcid = fields.next()?;
    let password = fields.next()?;
    if fields.next().is_some()
        || authcid.is_empty()
        || password.is_empty()
        || [authzid, authcid, password]
            .iter()
            .any(|field| field.len() > MAX_PLAIN_FIELD)
    {
        return None;
    }
    let authzid = std::str::from_utf8(authzid).ok()?;
    let authcid = std::str::from_utf8(authcid).ok()?;
    let password = std::str::from_utf8(password).ok()?;
    Some(PlainCredentials {
        authzid: (!authzid.is_empty()).then(|| authzid.to_owned()),
        authcid: authcid.to_owned(),
        password: Secret::new(password.to_owned()),
    })
}

/// A LOGIN user name or password: UTF-8, not empty, at most 255 octets as for PLAIN.
pub(crate) fn parse_login_field(field: &[u8]) -> Option<String> {
    if field.is_empty() || field.len() > MAX_PLAIN_FIELD || field.contains(&0) {
        return None;
    }
    std::str::from_utf8(field).ok().map(str::to_owned)
}

/// The LOGIN prompts, base64 of "Username:" and "Password:" as every LOGIN client
/// expects them.
pub(crate) const LOGIN_USERNAME_PROMPT: &[u8] = b"Username:";
pub(crate) const LOGIN_PASSWORD_PROMPT: &[u8] = b"Password:";

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
