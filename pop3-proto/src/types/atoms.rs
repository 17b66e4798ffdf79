//! Small validated values: message numbers, words, texts, passwords, unique-ids, SASL
//! mechanism names, APOP timestamps and digests.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;

use mailwire_core::Secret;
use md5::{Digest, Md5};

use crate::error::ValueError;

/// A message number: the n-th message of the maildrop, from 1 (RFC 1939 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageNumber(NonZeroU32);

impl MessageNumber {
    /// The number `n`, or an error for 0.
    pub fn new(n: u32) -> Result<Self, ValueError> {
        NonZeroU32::new(n)
            .map(MessageNumber)
            .ok_or(ValueError::ZeroMessageNumber)
    }

    /// The number as an integer.
    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// The position of this message in a zero-based list.
    pub fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }

    /// The message number of the zero-based position `index`, if it fits.
    pub fn from_index(index: usize) -> Option<Self> {
        u32::try_from(index)
            .ok()
            .and_then(|i| i.checked_add(1))
            .and_then(NonZeroU32::new)
            .map(MessageNumber)
    }
}

impl fmt::Display for MessageNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// True for the bytes a word may hold: printable ASCII (VCHAR) and the octets of UTF-8
/// (RFC 6856 lets names, passwords and texts be UTF-8).
fn is_word_byte(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte) || byte >= 0x80
}

/// A command argument or capability parameter: one or more printable characters, no
/// space (RFC 2449 `param = 1*VCHAR`, widened to UTF-8 by RFC 6856).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Word<'a>(Cow<'a, str>);

impl<'a> Word<'a> {
    /// Validates a word.
    pub fn new(word: impl Into<Cow<'a, str>>) -> Result<Self, ValueError> {
        let word = word.into();
        if word.is_empty() {
            return Err(ValueError::Empty("word"));
        }
        if !word.bytes().all(is_word_byte) {
            return Err(ValueError::InvalidCharacter("word"));
        }
        Ok(Word(word))
    }

    /// The word.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same word, owning its text.
    pub fn into_owned(self) -> Word<'static> {
        Word(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for Word<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text after a status indicator or in a listing: any octets but CR, LF and NUL.
///
/// Kept as bytes: before LANG/UTF8 (RFC 6856) servers may send any 8-bit text, and a
/// client must not fail on it. [`Text::to_string_lossy`] gives a printable form.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text<'a>(Cow<'a, [u8]>);

impl<'a> Text<'a> {
    /// Validates a text.
    pub fn new(text: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValueError> {
        let text = text.into();
        if text.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(ValueError::InvalidCharacter("text"));
        }
        Ok(Text(text))
    }

    /// A text from a `&str` (convenience for [`Text::new`]).
    pub fn utf8(text: &'a str) -> Result<Self, ValueError> {
        Self::new(text.as_bytes())
    }

    /// The empty text.
    pub fn empty() -> Text<'static> {
        Text(Cow::Borrowed(b""))
    }

    /// The raw octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text as UTF-8, if it is.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The text with invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The same text, owning its octets.
    pub fn into_owned(self) -> Text<'static> {
        Text(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

/// The argument of PASS: one line of octets, spaces allowed (RFC 1939 §7 lets a server
/// treat spaces as part of the password), no CR, LF or NUL. Its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Password<'a>(Secret<Cow<'a, [u8]>>);

impl<'a> Password<'a> {
    /// Validates a password.
    pub fn new(password: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValueError> {
        let password = password.into();
        if password.is_empty() {
            return Err(ValueError::Empty("password"));
        }
        if password.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(ValueError::InvalidCharacter("password"));
        }
        Ok(Password(Secret::new(password)))
    }

    /// The password's octets; call only where they are really needed.
    pub fn expose(&self) -> &[u8] {
        self.0.expose()
    }

    /// The same password, owning its octets.
    pub fn into_owned(self) -> Password<'static> {
        Password(Secret::new(Cow::Owned(self.0.into_inner().into_owned())))
    }
}

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Maximum length of a unique-id (RFC 1939 §7).
pub const MAX_UNIQUE_ID_LENGTH: usize = 70;

/// A message's unique-id: 1 to 70 characters from 0x21 to 0x7E (RFC 1939 §7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UniqueId<'a>(Cow<'a, str>);

impl<'a> UniqueId<'a> {
    /// Validates a unique-id.
    pub fn new(id: impl Into<Cow<'a, str>>) -> Result<Self, ValueError> {
        let id = id.into();
        if id.is_empty() {
            return Err(ValueError::Empty("unique-id"));
        }
        if id.len() > MAX_UNIQUE_ID_LENGTH {
            return Err(ValueError::TooLong("unique-id"));
        }
        if !id.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(ValueError::InvalidCharacter("unique-id"));
        }
        Ok(UniqueId(id))
    }

    /// The unique-id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same unique-id, owning its text.
    pub fn into_owned(self) -> UniqueId<'static> {
        UniqueId(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for UniqueId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Maximum length of a SASL mechanism name (RFC 4422 §3.1).
pub const MAX_MECHANISM_LENGTH: usize = 20;

/// A SASL mechanism name (RFC 4422 `sasl-mech`): 1 to 20 of `A-Z 0-9 - _`. Names are
/// case-insensitive and kept in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mechanism<'a>(Cow<'a, str>);

impl<'a> Mechanism<'a> {
    /// Validates a mechanism name, upper-casing it.
    pub fn new(name: impl Into<Cow<'a, str>>) -> Result<Self, ValueError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ValueError::Empty("mechanism"));
        }
        if name.len() > MAX_MECHANISM_LENGTH {
            return Err(ValueError::TooLong("mechanism"));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ValueError::InvalidCharacter("mechanism"));
        }
        if name.bytes().any(|b| b.is_ascii_lowercase()) {
            Ok(Mechanism(Cow::Owned(name.to_ascii_uppercase())))
        } else {
            Ok(Mechanism(name))
        }
    }

    /// PLAIN (RFC 4616).
    pub fn plain() -> Mechanism<'static> {
        Mechanism(Cow::Borrowed("PLAIN"))
    }

    /// The upper-case name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for mechanisms that send the password itself (PLAIN, LOGIN), which a server
    /// must not accept without TLS unless configured to (RFC 5034 §4).
    pub fn is_plaintext(&self) -> bool {
        matches!(&*self.0, "PLAIN" | "LOGIN")
    }

    /// The same name, owning its text.
    pub fn into_owned(self) -> Mechanism<'static> {
        Mechanism(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for Mechanism<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Maximum length of an APOP timestamp this crate accepts or builds; it must fit a
/// 512-octet greeting with room for text.
pub const MAX_TIMESTAMP_LENGTH: usize = 256;

/// The APOP challenge of a greeting, angle brackets included (RFC 1939 §7), for example
/// `<1896.697170952@dbc.mtview.ca.us>`. It must differ for every greeting: build it from
/// injected randomness with [`ApopTimestamp::generate`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApopTimestamp<'a>(Cow<'a, str>);

impl<'a> ApopTimestamp<'a> {
    /// Validates a timestamp: `<`, printable ASCII without `<`, `>` or space, `>`.
    pub fn new(timestamp: impl Into<Cow<'a, str>>) -> Result<Self, ValueError> {
        let timestamp = timestamp.into();
        let inner = timestamp
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix('>'))
            .ok_or(ValueError::InvalidCharacter("timestamp"))?;
        if inner.is_empty() {
            return Err(ValueError::Empty("timestamp"));
        }
        if timestamp.len() > MAX_TIMESTAMP_LENGTH {
            return Err(ValueError::TooLong("timestamp"));
        }
        if !inner
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b'<' && b != b'>')
        {
            return Err(ValueError::InvalidCharacter("timestamp"));
        }
        Ok(ApopTimestamp(timestamp))
    }

    /// `<random.clock@host>` in the style RFC 1939 suggests, from a random number and a
    /// clock reading the caller supplies (randomness and time are injected).
    pub fn generate(
        random: u64,
        clock: u64,
        host: &str,
    ) -> Result<ApopTimestamp<'static>, ValueError> {
        ApopTimestamp::new(format!("<{random}.{clock}@{host}>"))
    }

    /// The timestamp, angle brackets included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same timestamp, owning its text.
    pub fn into_owned(self) -> ApopTimestamp<'static> {
        ApopTimestamp(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for ApopTimestamp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The MD5 digest of an APOP command (RFC 1939 §7): sent as 32 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApopDigest([u8; 16]);

impl ApopDigest {
    /// A digest from its 16 octets.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        ApopDigest(bytes)
    }

    /// MD5 of the timestamp (brackets included) followed by the shared secret.
    pub fn compute(timestamp: &ApopTimestamp<'_>, secret: &[u8]) -> Self {
        let mut md5 = Md5::new();
        md5.update(timestamp.as_str().as_bytes());
        md5.update(secret);
        ApopDigest(md5.finalize().into())
    }

    /// True when this digest is the one of `timestamp` and `secret`. The comparison takes
    /// the same time wherever the digests differ.
    pub fn verify(&self, timestamp: &ApopTimestamp<'_>, secret: &[u8]) -> bool {
        let expected = Self::compute(timestamp, secret);
        let difference = self
            .0
            .iter()
            .zip(expected.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        difference == 0
    }

    /// The 16 octets.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 32 lower-case hex digits sent on the wire.
    pub fn to_hex(&self) -> String {
        let mut hex = String::with_capacity(32);
        for byte in self.0 {
            for nibble in [byte >> 4, byte & 0x0f] {
                hex.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            }
        }
        hex
    }

    /// Parses 32 hex digits (upper case accepted too).
    pub fn from_hex(hex: &[u8]) -> Result<Self, ValueError> {
        if hex.len() != 32 {
            return Err(ValueError::InvalidCharacter("digest"));
        }
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let (high, low) = match pair {
                [high, low] => (hex_value(*high), hex_value(*low)),
                _ => (None, None),
            };
            match (high, low) {
                (Some(high), Some(low)) => *byte = (high << 4) | low,
                _ => return Err(ValueError::InvalidCharacter("digest")),
            }
        }
        Ok(ApopDigest(bytes))
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl fmt::Debug for ApopDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApopDigest({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_apop_example_digest() {
        let timestamp = ApopTimestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap();
        let digest = ApopDigest::compute(&timestamp, b"tanstaaf");
        assert_eq!(digest.to_hex(), "c4c9334bac560ecc979e58001b3e22fb");
        assert!(digest.verify(&timestamp, b"tanstaaf"));
        assert!(!digest.verify(&timestamp, b"tanstaafl"));
        let parsed = ApopDigest::from_hex(b"C4C9334BAC560ECC979E58001B3E22FB").unwrap();
        assert_eq!(parsed, digest);
        assert!(ApopDigest::from_hex(b"c4c9334bac560ecc979e58001b3e22f").is_err());
        assert!(ApopDigest::from_hex(b"g4c9334bac560ecc979e58001b3e22fb").is_err());
    }

    #[test]
    fn values_are_validated() {
        assert!(Word::new("mrose").is_ok());
        assert!(Word::new("m rose").is_err());
        assert!(Word::new("").is_err());
        assert!(Word::new("caf\u{e9}").is_ok());
        assert!(Text::utf8("a\r\nb").is_err());
        assert!(Password::new(&b"with space"[..]).is_ok());
        assert!(Password::new(&b"a\nb"[..]).is_err());
        assert_eq!(
            format!("{:?}", Password::new(&b"x"[..]).unwrap()),
            "Password(<redacted>)"
        );
        assert!(UniqueId::new("whqtswO00WBw418f9t5JxYwZ").is_ok());
        assert!(UniqueId::new("a".repeat(71)).is_err());
        assert!(UniqueId::new("a b").is_err());
        assert_eq!(Mechanism::new("plain").unwrap().as_str(), "PLAIN");
        assert!(Mechanism::new("DIGEST-MD5").is_ok());
        assert!(Mechanism::new("A".repeat(21)).is_err());
        assert!(ApopTimestamp::new("<a@b>").is_ok());
        assert!(ApopTimestamp::new("<a b>").is_err());
        assert!(ApopTimestamp::new("a@b").is_err());
        assert!(ApopTimestamp::new("<>").is_err());
        assert_eq!(
            ApopTimestamp::generate(1896, 697170952, "dbc.mtview.ca.us")
                .unwrap()
                .as_str(),
            "<1896.697170952@dbc.mtview.ca.us>"
        );
        assert!(MessageNumber::new(0).is_err());
        assert_eq!(MessageNumber::from_index(0).unwrap().get(), 1);
        assert_eq!(MessageNumber::new(3).unwrap().index(), 2);
    }
}
