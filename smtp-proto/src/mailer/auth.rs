//! The credentials a mailer logs in with, and the SASL messages of the token mechanisms.

use mailwire_core::Secret;

use crate::client::Credentials;
use crate::types::{EhloResponse, Mechanism};

/// How the mailer authenticates (RFC 4954), after TLS.
///
/// Secrets are [`Secret`]s: a `{:?}` never shows them.
///
/// ```
/// use mailwire_smtp::mailer::Authentication;
/// let auth = Authentication::password("alice", "s3cret");
/// assert!(!format!("{auth:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Authentication {
    /// A user name and password: PLAIN (RFC 4616) when offered, else LOGIN.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: Secret<String>,
    },
    /// An OAuth 2.0 access token with Google's and Microsoft's `XOAUTH2` mechanism.
    XOAuth2 {
        /// The user (an email address).
        username: String,
        /// The access token.
        token: Secret<String>,
    },
    /// An OAuth 2.0 bearer token with `OAUTHBEARER` (RFC 7628).
    OAuthBearer {
        /// The user, sent as the authorization identity.
        username: String,
        /// The access token.
        token: Secret<String>,
    },
}

impl Authentication {
    /// Password credentials (PLAIN, or LOGIN when the server offers no PLAIN).
    pub fn password(username: impl Into<String>, password: impl Into<String>) -> Self {
        Authentication::Password {
            username: username.into(),
            password: Secret::new(password.into()),
        }
    }

    /// An OAuth 2.0 access token sent with `XOAUTH2`.
    pub fn xoauth2(username: impl Into<String>, token: impl Into<String>) -> Self {
        Authentication::XOAuth2 {
            username: username.into(),
            token: Secret::new(token.into()),
        }
    }

    /// An OAuth 2.0 bearer token sent with `OAUTHBEARER` (RFC 7628).
    pub fn oauthbearer(username: impl Into<String>, token: impl Into<String>) -> Self {
        Authentication::OAuthBearer {
            username: username.into(),
            token: Secret::new(token.into()),
        }
    }

    /// False when a field holds a control character, which the SASL messages cannot
    /// carry (PLAIN's NUL separator, the `^A` separators of the token mechanisms).
    pub(crate) fn is_valid(&self) -> bool {
        let clean = |text: &str| !text.chars().any(char::is_control);
        match self {
            Authentication::Password { username, password } => {
                !username.contains('\0') && !password.expose().contains('\0')
            }
            Authentication::XOAuth2 { username, token }
            | Authentication::OAuthBearer { username, token } => {
                clean(username) && clean(token.expose())
            }
        }
    }
}

/// What the connection runs for the credentials, given what the server offers.
pub(crate) enum AuthPlan {
    /// PLAIN or LOGIN, answered by the client machine itself.
    Builtin(Credentials),
    /// A token mechanism: its initial response, and the answer to an error challenge.
    Token {
        mechanism: Mechanism<'static>,
        initial: Secret<Vec<u8>>,
        /// RFC 7628 §3.2.3 (and XOAUTH2's habit): after an error challenge the client
        /// sends this so that the server can finish with its failure reply.
        after_error: Vec<u8>,
    },
}

/// Chooses the mechanism, or `None` when the server offers none that fits.
pub(crate) fn plan(
    auth: &Authentication,
    offered: &EhloResponse<'_>,
    host: &str,
    port: u16,
) -> Option<AuthPlan> {
    match auth {
        Authentication::Password { username, password } => {
            if offered.offers_mechanism(&Mechanism::PLAIN) {
                Some(AuthPlan::Builtin(Credentials::plain(
                    username.clone(),
                    password.expose().clone(),
                )))
            } else if offered.offers_mechanism(&Mechanism::LOGIN) {
                Some(AuthPlan::Builtin(Credentials::login(
                    username.clone(),
                    password.expose().clone(),
                )))
            } else {
                None
            }
        }
        Authentication::XOAuth2 { username, token } => offered
            .offers_mechanism(&Mechanism::XOAUTH2)
            .then(|| AuthPlan::Token {
                mechanism: Mechanism::XOAUTH2,
                initial: xoauth2_message(username, token),
                after_error: Vec::new(),
            }),
        Authentication::OAuthBearer { username, token } => offered
            .offers_mechanism(&Mechanism::OAUTHBEARER)
            .then(|| AuthPlan::Token {
                mechanism: Mechanism::OAUTHBEARER,
                initial: oauthbearer_message(username, token, host, port),
                after_error: vec![KVSEP],
            }),
    }
}

/// The `^A` separator of XOAUTH2 and OAUTHBEARER.
const KVSEP: u8 = 0x01;

/// `user=USER ^A auth=Bearer TOKEN ^A ^A`.
pub(crate) fn xoauth2_message(username: &str, token: &Secret<String>) -> Secret<Vec<u8>> {
    let mut message = Vec::with_capacity(username.len() + token.expose().len() + 20);
    message.extend_from_slice(b"user=");
    message.extend_from_slice(username.as_bytes());
    message.push(KVSEP);
    message.extend_from_slice(b"auth=Bearer ");
    message.extend_from_slice(token.expose().as_bytes());
    message.extend_from_slice(&[KVSEP, KVSEP]);
    Secret::new(message)
}

/// RFC 7628 §3.1: `n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A`, the user
/// as a GS2 saslname (RFC 5801 §4: `=` as `=3D`, `,` as `=2C`).
pub(crate) fn oauthbearer_message(
    username: &str,
    token: &Secret<String>,
    host: &str,
    port: u16,
) -> Secret<Vec<u8>> {
    let mut message = Vec::with_capacity(username.len() + token.expose().len() + host.len() + 40);
    message.extend_from_slice(b"n,a=");
    for character in username.chars() {
        match character {
            '=' => message.extend_from_slice(b"=3D"),
            ',' => message.extend_from_slice(b"=2C"),
            other => {
                let mut buffer = [0u8; 4];
                message.extend_from_slice(other.encode_utf8(&mut buffer).as_bytes());
            }
        }
    }
    message.push(b',');
    message.push(KVSEP);
    message.extend_from_slice(b"host=");
    message.extend_from_slice(host.as_bytes());
    message.push(KVSEP);
    message.extend_from_slice(format!("port={port}").as_bytes());
    message.push(KVSEP);
    message.extend_from_slice(b"auth=Bearer ");
    message.extend_from_slice(token.expose().as_bytes());
    message.extend_from_slice(&[KVSEP, KVSEP]);
    Secret::new(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_message_layout() {
        let message = xoauth2_message("someuser@example.com", &Secret::new("ya29.vF9dft4".into()));
        assert_eq!(
            message.expose().as_slice(),
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_message_is_rfc7628_example() {
        // RFC 7628 §4.1, the initial client response.
        let message = oauthbearer_message(
            "user@example.com",
            &Secret::new("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==".into()),
            "server.example.com",
            143,
        );
        assert_eq!(
            message.expose().as_slice(),
            &b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"[..]
        );
    }

    #[test]
    fn oauthbearer_escapes_the_authzid() {
        let message = oauthbearer_message("a=b,c", &Secret::new("t".into()), "h", 1);
        assert!(message.expose().starts_with(b"n,a=a=3Db=2Cc,\x01"));
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(!Authentication::xoauth2("u", "tok\x01en").is_valid());
        assert!(!Authentication::oauthbearer("u\n", "token").is_valid());
        assert!(!Authentication::password("u", "p\0").is_valid());
        assert!(Authentication::password("u", "p\u{e9}").is_valid());
    }
}
