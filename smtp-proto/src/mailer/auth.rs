//! The credentials a mailer logs in with, and the SASL messages of the token mechanisms.

use mailwire_core::{sasl, Secret};

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
        // Control characters were refused when the credentials were checked
        // (`is_valid`), so the messages build; were one not to, no mechanism fits.
        Authentication::XOAuth2 { username, token } => {
            let initial = sasl::encode_xoauth2(username, token.expose()).ok()?;
            offered
                .offers_mechanism(&Mechanism::XOAUTH2)
                .then(|| AuthPlan::Token {
                    mechanism: Mechanism::XOAUTH2,
                    initial,
                    after_error: Vec::new(),
                })
        }
        Authentication::OAuthBearer { username, token } => {
            let initial = sasl::encode_oauthbearer(username, token.expose(), host, port).ok()?;
            offered
                .offers_mechanism(&Mechanism::OAUTHBEARER)
                .then(|| AuthPlan::Token {
                    mechanism: Mechanism::OAUTHBEARER,
                    initial,
                    after_error: vec![sasl::OAUTH_SEPARATOR],
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused() {
        assert!(!Authentication::xoauth2("u", "tok\x01en").is_valid());
        assert!(!Authentication::oauthbearer("u\n", "token").is_valid());
        assert!(!Authentication::password("u", "p\0").is_valid());
        assert!(Authentication::password("u", "p\u{e9}").is_valid());
    }
}
