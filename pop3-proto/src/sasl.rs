//! The PLAIN SASL mechanism (RFC 4616): `[authzid] NUL authcid NUL passwd`.

use mailwire_core::Secret;

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

/// Longest field RFC 4616 §2 requires servers to accept; longer fields are refused.
pub const MAX_PLAIN_FIELD: usize = 255;

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

impl PlainCredentials {
    /// Credentials without an authorization identity.
    pub fn new(authcid: impl Into<String>, password: impl Into<String>) -> Self {
        PlainCredentials {
            authzid: String::new(),
            authcid: authcid.into(),
            password: Secret::new(password.into()),
        }
    }

    /// The PLAIN message.
    pub fn encode(&self) -> Secret<Vec<u8>> {
        let mut message = Vec::with_capacity(
            self.authzid.len() + self.authcid.len() + self.password.expose().len() + 2,
        );
        message.extend_from_slice(self.authzid.as_bytes());
        message.push(0);
        message.extend_from_slice(self.authcid.as_bytes());
        message.push(0);
        message.extend_from_slice(self.password.expose().as_bytes());
        Secret::new(message)
    }

    /// Parses a PLAIN message.
    pub fn decode(message: &[u8]) -> Result<Self, PlainError> {
        let mut fields = message.split(|b| *b == 0);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5034_example_message() {
        // "dGVzdAB0ZXN0AHRlc3Q=" of RFC 5034 §6 is "test\0test\0test".
        let credentials = PlainCredentials::decode(b"test\0test\0test").unwrap();
        assert_eq!(credentials.authzid, "test");
        assert_eq!(credentials.authcid, "test");
        assert_eq!(credentials.password.expose(), "test");
        assert_eq!(credentials.encode().expose(), b"test\0test\0test");
        assert_eq!(PlainCredentials::decode(b"a\0b"), Err(PlainError::Fields));
        assert_eq!(
            PlainCredentials::decode(b"a\0b\0c\0d"),
            Err(PlainError::Fields)
        );
        assert_eq!(PlainCredentials::decode(b"\0\0pw"), Err(PlainError::Empty));
        assert_eq!(
            PlainCredentials::new("tim", "tanstaaftanstaaf")
                .encode()
                .expose(),
            b"\0tim\0tanstaaftanstaaf"
        );
    }
}
