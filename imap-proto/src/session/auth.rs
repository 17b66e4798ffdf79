//! The SASL messages of the OAuth 2.0 token mechanisms (XOAUTH2, OAUTHBEARER).

use mailwire_core::Secret;

use super::SessionError;

/// The `^A` separator of XOAUTH2 and OAUTHBEARER.
pub(crate) const KVSEP: u8 = 0x01;

/// Control characters would break the `^A`-separated messages.
fn check(field: &str) -> Result<(), SessionError> {
    if field.chars().any(char::is_control) {
        Err(SessionError::InvalidConfig {
            reason: "a user name or token holds a control character",
        })
    } else {
        Ok(())
    }
}

/// `user=USER ^A auth=Bearer TOKEN ^A ^A`.
pub(crate) fn xoauth2_message(
    username: &str,
    token: &str,
) -> Result<Secret<Vec<u8>>, SessionError> {
    check(username)?;
    check(token)?;
    let mut message = Vec::with_capacity(username.len() + token.len() + 20);
    message.extend_from_slice(b"user=");
    message.extend_from_slice(username.as_bytes());
    message.push(KVSEP);
    message.extend_from_slice(b"auth=Bearer ");
    message.extend_from_slice(token.as_bytes());
    message.extend_from_slice(&[KVSEP, KVSEP]);
    Ok(Secret::new(message))
}

/// RFC 7628 §3.1: `n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer TOKEN^A^A`, the user as a
/// GS2 saslname (RFC 5801 §4: `=` as `=3D`, `,` as `=2C`).
pub(crate) fn oauthbearer_message(
    username: &str,
    token: &str,
    host: &str,
    port: u16,
) -> Result<Secret<Vec<u8>>, SessionError> {
    check(username)?;
    check(token)?;
    let escaped = username.replace('=', "=3D").replace(',', "=2C");
    let text =
        format!("n,a={escaped},\u{1}host={host}\u{1}port={port}\u{1}auth=Bearer {token}\u{1}\u{1}");
    Ok(Secret::new(text.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_layout() {
        let message = xoauth2_message("someuser@example.com", "ya29.vF9dft4").unwrap();
        assert_eq!(
            message.expose().as_slice(),
            b"user=someuser@example.com\x01auth=Bearer ya29.vF9dft4\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_is_the_rfc7628_example() {
        // RFC 7628 §4.1, the initial client response (IMAP port 143).
        let message = oauthbearer_message(
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
        let escaped = oauthbearer_message("a=b,c", "t", "h", 1).unwrap();
        assert!(escaped.expose().starts_with(b"n,a=a=3Db=2Cc,\x01"));
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(xoauth2_message("u", "tok\x01en").is_err());
        assert!(oauthbearer_message("u\n", "t", "h", 1).is_err());
    }
}
