//! The SASL mechanisms that the protocol crates speak themselves: PLAIN (RFC 4616:
//! `[authzid] NUL authcid NUL passwd`), LOGIN (draft-murchison-sasl-login: a user name and
//! a password, each answering a prompt), and the client messages of the OAuth 2.0 token
//! mechanisms XOAUTH2 and OAUTHBEARER (RFC 7628).
//!
//! The messages here are the SASL octets; each protocol wraps them in base64 its own way
//! (`AUTH`, `AUTHENTICATE`, continuation lines).
//!
//! ```
//! use mailwire_core::sasl::PlainCredentials;
//!
//! // RFC 4616 §4: "tim" logs in with password "tanstaaftanstaaf".
//! let credentials = PlainCredentials::decode(b"\0tim\0tanstaaftanstaaf")?;
//! assert_eq!(credentials.authorization_identity(), None);
//! assert_eq!(credentials.authcid, "tim");
//! assert_eq!(credentials.password.expose(), "tanstaaftanstaaf");
//! assert_eq!(credentials.encode().expose(), b"\0tim\0tanstaaftanstaaf");
//! # Ok::<(), mailwire_core::sasl::PlainError>(())
//! ```

use crate::Secret;

/// Longest field RFC 4616 §2 requires servers to accept ("up to 255 octets"); longer
/// fields are refused. LOGIN fields are held to the same limit.
pub const MAX_PLAIN_FIELD: usize = 255;

/// The LOGIN prompt for the user name, sent base64-encoded; every LOGIN client expects
/// exactly this text.
pub const LOGIN_USERNAME_PROMPT: &[u8] = b"Username:";

/// The LOGIN prompt for the password, sent base64-encoded.
pub const LOGIN_PASSWORD_PROMPT: &[u8] = b"Password:";

/// The parts of a PLAIN message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlainCredentials {
    /// The identity to act as; empty when the same as `authcid`.
    pub authzid: String,
    /// The identity whose password is given.
    pub authcid: String,
    /// The password.
    pub password: Secret<String>,
}

/// Why a PLAIN message is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlainError {
    /// Not exactly three NUL-separated fields.
    #[error("plain message must hold three nul-separated fields")]
    Fields,
    /// The authentication identity or the password is empty.
    #[error("empty authentication identity or password")]
    Empty,
    /// A field is not UTF-8.
    #[error("plain field is not utf-8")]
    NotUtf8,
    /// A field is longer than [`MAX_PLAIN_FIELD`].
    #[error("plain field too long")]
    TooLong,
}

/// Why a LOGIN user name or password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginFieldError {
    /// The field is empty.
    #[error("empty login field")]
    Empty,
    /// The field contains a NUL octet.
    #[error("login field contains nul")]
    Nul,
    /// The field is not UTF-8.
    #[error("login field is not utf-8")]
    NotUtf8,
    /// The field is longer than [`MAX_PLAIN_FIELD`].
    #[error("login field too long")]
    TooLong,
}

impl PlainCredentials {
    /// Credentials without an authorization identity.
    pub fn new(authcid: impl Into<String>, password: impl Into<String>) -> Self {
        PlainCredentials {
            authzid: String::new(),
            authcid: authcid.into(),
            password: Secret::new(password.into()),
        }
    }

    /// The authorization identity, `None` when absent (empty on the wire).
    pub fn authorization_identity(&self) -> Option<&str> {
        (!self.authzid.is_empty()).then_some(self.authzid.as_str())
    }

    /// The PLAIN message.
    pub fn encode(&self) -> Secret<Vec<u8>> {
        encode_plain(
            self.authorization_identity(),
            &self.authcid,
            self.password.expose(),
        )
    }

    /// Parses a PLAIN message: exactly three fields, authcid and passwd not empty, each
    /// field UTF-8 and at most [`MAX_PLAIN_FIELD`] octets.
    pub fn decode(message: &[u8]) -> Result<Self, PlainError> {
        let mut fields = message.split(|byte| *byte == 0);
        let (Some(authzid), Some(authcid), Some(password), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(PlainError::Fields);
        };
        if authcid.is_empty() || password.is_empty() {
            return Err(PlainError::Empty);
        }
        if [authzid, authcid, password]
            .iter()
            .any(|field| field.len() > MAX_PLAIN_FIELD)
        {
            return Err(PlainError::TooLong);
        }
        let text = |field: &[u8]| {
            std::str::from_utf8(field)
                .map(str::to_owned)
                .map_err(|_| PlainError::NotUtf8)
        };
        Ok(PlainCredentials {
            authzid: text(authzid)?,
            authcid: text(authcid)?,
            password: Secret::new(text(password)?),
        })
    }
}

/// The PLAIN message `[authzid] NUL authcid NUL passwd` (RFC 4616 §2). The caller checks
/// that no field contains NUL (such a message would not split back into the same fields).
pub fn encode_plain(authzid: Option<&str>, authcid: &str, password: &str) -> Secret<Vec<u8>> {
    let authzid = authzid.unwrap_or_default();
    let mut message = Vec::with_capacity(authzid.len() + authcid.len() + password.len() + 2);
    message.extend_from_slice(authzid.as_bytes());
    message.push(0);
    message.extend_from_slice(authcid.as_bytes());
    message.push(0);
    message.extend_from_slice(password.as_bytes());
    Secret::new(message)
}

/// A LOGIN user name or password: UTF-8 without NUL, not empty, at most
/// [`MAX_PLAIN_FIELD`] octets as for PLAIN.
pub fn decode_login_field(field: &[u8]) -> Result<String, LoginFieldError> {
    if field.is_empty() {
        return Err(LoginFieldError::Empty);
    }
    if field.len() > MAX_PLAIN_FIELD {
        return Err(LoginFieldError::TooLong);
    }
    if field.contains(&0) {
        return Err(LoginFieldError::Nul);
    }
    std::str::from_utf8(field)
        .map(str::to_owned)
        .map_err(|_| LoginFieldError::NotUtf8)
}

/// The `^A` separator of the XOAUTH2 and OAUTHBEARER messages; alone, it is also what a
/// client answers to an OAUTHBEARER error challenge (RFC 7628 §3.2.3).
pub const OAUTH_SEPARATOR: u8 = 0x01;

/// Why an XOAUTH2 or OAUTHBEARER message cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthFieldError {
    /// A control character (which would break the `^A`-separated message).
    #[error("a user name or token holds a control character")]
    ControlCharacter,
}

fn check_oauth_field(field: &str) -> Result<(), OAuthFieldError> {
    if field.chars().any(char::is_control) {
        Err(OAuthFieldError::ControlCharacter)
    } else {
        Ok(())
    }
}

/// The XOAUTH2 client message: `user=USER ^A auth=Bearer TOKEN ^A ^A`.
pub fn encode_xoauth2(username: &str, token: &str) -> Result<Secret<Vec<u8>>, OAuthFieldError> {
    check_oauth_field(username)?;
    check_oauth_field(token)?;
    let text = format!("user={username}\u{1}auth=Bearer {token}\u{1}\u{1}");
    Ok(Secret::new(text.into_bytes()))
}

/// The OAUTHBEARER initial client response of RFC 7628 §3.1:
/// `n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A`, the user as a GS2 saslname
/// (RFC 5801 §4: `=` as `=3D`, `,` as `=2C`).
pub fn encode_oauthbearer(
    username: &str,
    token: &str,
    host: &str,
    port: u16,
) -> Result<Secret<Vec<u8>>, OAuthFieldError> {
    check_oauth_field(username)?;
    check_oauth_field(token)?;
    check_oauth_field(host)?;
    let escaped = username.replace('=', "=3D").replace(',', "=2C");
    let text =
        format!("n,a={escaped},\u{1}host={host}\u{1}port={port}\u{1}auth=Bearer {token}\u{1}\u{1}");
    Ok(Secret::new(text.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4616_examples_decode_and_encode() {
        // RFC 4616 §4: without and with an authorization identity.
        let tim = PlainCredentials::decode(b"\0tim\0tanstaaftanstaaf").unwrap();
        assert_eq!(tim.authorization_identity(), None);
        assert_eq!(tim.authcid, "tim");
        assert_eq!(tim.password.expose(), "tanstaaftanstaaf");
        assert_eq!(tim.encode().expose(), b"\0tim\0tanstaaftanstaaf");
        assert_eq!(tim, PlainCredentials::new("tim", "tanstaaftanstaaf"));

        let kurt = PlainCredentials::decode(b"Ursel\0Kurt\0xipj3plmq").unwrap();
        assert_eq!(kurt.authorization_identity(), Some("Ursel"));
        assert_eq!(kurt.authcid, "Kurt");
        assert_eq!(kurt.password.expose(), "xipj3plmq");
        assert_eq!(kurt.encode().expose(), b"Ursel\0Kurt\0xipj3plmq");
        assert_eq!(
            encode_plain(Some("Ursel"), "Kurt", "xipj3plmq").expose(),
            b"Ursel\0Kurt\0xipj3plmq"
        );
    }

    #[test]
    fn rfc5034_example_message() {
        // "dGVzdAB0ZXN0AHRlc3Q=" of RFC 5034 §6 is "test\0test\0test".
        let credentials = PlainCredentials::decode(b"test\0test\0test").unwrap();
        assert_eq!(credentials.authzid, "test");
        assert_eq!(credentials.authcid, "test");
        assert_eq!(credentials.password.expose(), "test");
        assert_eq!(credentials.encode().expose(), b"test\0test\0test");
    }

    #[test]
    fn malformed_plain_messages_say_why() {
        for (bad, why) in [
            (&b""[..], PlainError::Fields),
            (b"user\0pass", PlainError::Fields),
            (b"\0user\0pass\0extra", PlainError::Fields),
            (b"\0\0pass", PlainError::Empty),
            (b"\0user\0", PlainError::Empty),
            (b"\0us\xffer\0pass", PlainError::NotUtf8),
            (b"\xff\0user\0pass", PlainError::NotUtf8),
        ] {
            assert_eq!(PlainCredentials::decode(bad), Err(why), "{bad:?}");
        }
        let mut long = b"\0".to_vec();
        long.extend_from_slice(&[b'a'; MAX_PLAIN_FIELD + 1]);
        long.extend_from_slice(b"\0pw");
        assert_eq!(PlainCredentials::decode(&long), Err(PlainError::TooLong));
        let mut longest = b"\0".to_vec();
        longest.extend_from_slice(&[b'a'; MAX_PLAIN_FIELD]);
        longest.extend_from_slice(b"\0pw");
        assert!(PlainCredentials::decode(&longest).is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let credentials = PlainCredentials::new("tim", "tanstaaftanstaaf");
        assert!(!format!("{credentials:?}").contains("tanstaaf"));
    }

    #[test]
    fn login_fields_are_utf8_without_nul_and_not_empty() {
        assert_eq!(decode_login_field("jörg".as_bytes()).as_deref(), Ok("jörg"));
        assert_eq!(decode_login_field(b""), Err(LoginFieldError::Empty));
        assert_eq!(decode_login_field(b"a\0b"), Err(LoginFieldError::Nul));
        assert_eq!(decode_login_field(b"\xff"), Err(LoginFieldError::NotUtf8));
        assert_eq!(
            decode_login_field(&[b'a'; MAX_PLAIN_FIELD + 1]),
            Err(LoginFieldError::TooLong)
        );
        assert_eq!(LOGIN_USERNAME_PROMPT, b"Username:");
        assert_eq!(LOGIN_PASSWORD_PROMPT, b"Password:");
    }

    #[test]
    fn xoauth2_layout() {
        let message = encode_xoauth2("someuser@example.com", "ya29.vF9dft4").unwrap();
        assert_eq!(
            message.expose().as_slice(),
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_is_the_rfc7628_example() {
        // RFC 7628 §4.1, the initial client response (IMAP port 143).
        let message = encode_oauthbearer(
            "user@example.com",
            "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
            "server.example.com",
            143,
        )
        .unwrap();
        assert_eq!(
            message.expose().as_slice(),
            &b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"[..]
        );
        let escaped = encode_oauthbearer("a=b,c", "t", "h", 1).unwrap();
        assert!(escaped.expose().starts_with(b"n,a=a=3Db=2Cc,\x01"));
    }

    #[test]
    fn oauth_control_characters_are_refused() {
        assert_eq!(
            encode_xoauth2("u", "tok\x01en").unwrap_err(),
            OAuthFieldError::ControlCharacter
        );
        assert!(encode_oauthbearer("u\n", "t", "h", 1).is_err());
        assert!(encode_oauthbearer("u", "t", "h\x01", 1).is_err());
    }
}
