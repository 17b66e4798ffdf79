//! Credentials for the built-in SASL mechanisms and the state of an AUTH exchange.

use mailwire_core::Secret;

use crate::types::Mechanism;

/// Credentials for the mechanisms the client runs by itself.
///
/// The password is a [`Secret`]: a `{:?}` of the credentials never shows it.
///
/// ```
/// use mailwire_smtp::client::Credentials;
/// let credentials = Credentials::plain("alice", "s3cret");
/// assert!(!format!("{credentials:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// PLAIN (RFC 4616): `authzid NUL authcid NUL passwd`, sent as the initial response.
    Plain {
        /// The identity to act as; `None` to act as the user itself.
        authzid: Option<String>,
        /// The user name.
        username: String,
        /// The password.
        password: Secret<String>,
    },
    /// LOGIN (draft-murchison-sasl-login): the user name, then the password, each in
    /// answer to a 334 challenge.
    Login {
        /// The user name.
        username: String,
        /// The password.
        password: Secret<String>,
    },
}

impl Credentials {
    /// PLAIN credentials acting as the user itself.
    pub fn plain(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Plain {
            authzid: None,
            username: username.into(),
            password: Secret::new(password.into()),
        }
    }

    /// PLAIN credentials acting as `authzid` (RFC 4616 §2).
    pub fn plain_as(
        authzid: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Credentials::Plain {
            authzid: Some(authzid.into()),
            username: username.into(),
            password: Secret::new(password.into()),
        }
    }

    /// LOGIN credentials.
    pub fn login(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials::Login {
            username: username.into(),
            password: Secret::new(password.into()),
        }
    }

    /// The mechanism these credentials run.
    pub fn mechanism(&self) -> Mechanism<'static> {
        match self {
            Credentials::Plain { .. } => Mechanism::PLAIN,
            Credentials::Login { .. } => Mechanism::LOGIN,
        }
    }

    /// False when a field holds a NUL, which PLAIN cannot carry (RFC 4616 §2).
    pub(crate) fn is_valid(&self) -> bool {
        match self {
            Credentials::Plain {
                authzid,
                username,
                password,
            } => {
                !authzid.as_deref().unwrap_or("").contains('\0')
                    && !username.contains('\0')
                    && !password.expose().contains('\0')
            }
            Credentials::Login { .. } => true,
        }
    }
}

/// The PLAIN message of RFC 4616 §2.
pub(crate) fn plain_message(
    authzid: Option<&str>,
    username: &str,
    password: &Secret<String>,
) -> Secret<Vec<u8>> {
    mailwire_core::sasl::encode_plain(authzid, username, password.expose())
}

/// Where an AUTH exchange stands.
#[derive(Debug)]
pub(crate) enum AuthState {
    /// PLAIN: the response, and whether it was sent.
    Plain {
        response: Secret<Vec<u8>>,
        sent: bool,
    },
    /// LOGIN: what the next 334 gets (user name, then password, then a cancel).
    Login {
        username: Secret<Vec<u8>>,
        password: Secret<Vec<u8>>,
        answered: u8,
    },
    /// A mechanism run by the application: it answers each challenge.
    Generic {
        /// A challenge was reported and awaits the application's answer.
        challenge_pending: bool,
        /// An initial response kept for the first challenge (when it could not go on
        /// the AUTH line).
        initial: Option<Secret<Vec<u8>>>,
    },
}
