//! Mailbox names.
//!
//! A [`MailboxName`] holds the name as Unicode, whatever form carried it: modified UTF-7
//! under IMAP4rev1, UTF-8 once `UTF8=ACCEPT` (RFC 6855) or IMAP4rev2 (RFC 9051 §5.1) is
//! in effect. The codec converts on the way in and out, driven by its options, so the
//! application never sees modified UTF-7.
//!
//! A name that is not valid in the form in effect (a malformed `&...-` run, 8-bit octets
//! under IMAP4rev1, invalid UTF-8) is kept as its raw octets and written back unchanged,
//! so a client can still SELECT exactly what a server listed.

use std::borrow::Cow;
use std::fmt;

use crate::error::ValidationError;
use crate::types::{utf7, IntoOwned};

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr<'a> {
    Unicode(Cow<'a, str>),
    Raw(Cow<'a, [u8]>),
}

/// A mailbox name (or LIST pattern): Unicode text, or raw octets when the wire form was
/// not valid (modified UTF-7 under IMAP4rev1, UTF-8 under IMAP4rev2 or UTF8=ACCEPT; the
/// codec converts both ways).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MailboxName<'a>(Repr<'a>);

fn has_control(name: &str) -> Option<usize> {
    name.bytes().position(|byte| byte < 0x20 || byte == 0x7f)
}

impl<'a> MailboxName<'a> {
    /// A name from Unicode text. Control characters (U+0000 to U+001F, U+007F) are
    /// refused: no server allows them and UTF-8 mode could not quote them.
    pub fn new(name: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let name = name.into();
        match has_control(&name) {
            Some(position) => Err(ValidationError::InvalidCharacter {
                what: "mailbox name",
                position,
            }),
            None => Ok(MailboxName(Repr::Unicode(name))),
        }
    }

    /// A name from the octets of the wire: modified UTF-7 when `utf8` is false, UTF-8
    /// when it is true. Octets that are not valid in that form are kept raw. Only NUL is
    /// refused (no IMAP string can carry it).
    pub fn from_wire(bytes: impl Into<Cow<'a, [u8]>>, utf8: bool) -> Result<Self, ValidationError> {
        let bytes = bytes.into();
        if let Some(position) = memchr::memchr(0, &bytes) {
            return Err(ValidationError::InvalidCharacter {
                what: "mailbox name",
                position,
            });
        }
        Ok(Self::from_wire_checked(bytes, utf8))
    }

    pub(crate) fn from_wire_checked(bytes: Cow<'a, [u8]>, utf8: bool) -> Self {
        if utf8 {
            return match bytes {
                Cow::Borrowed(slice) => match std::str::from_utf8(slice) {
                    Ok(text) if has_control(text).is_none() => {
                        MailboxName(Repr::Unicode(Cow::Borrowed(text)))
                    }
                    _ => MailboxName(Repr::Raw(Cow::Borrowed(slice))),
                },
                Cow::Owned(vec) => match String::from_utf8(vec) {
                    Ok(text) if has_control(&text).is_none() => {
                        MailboxName(Repr::Unicode(Cow::Owned(text)))
                    }
                    Ok(text) => MailboxName(Repr::Raw(Cow::Owned(text.into_bytes()))),
                    Err(error) => MailboxName(Repr::Raw(Cow::Owned(error.into_bytes()))),
                },
            };
        }
        // One pass: printable ASCII without '&' stands for itself.
        let plain = bytes
            .iter()
            .all(|&byte| (0x20..0x7f).contains(&byte) && byte != b'&');
        if plain {
            // Plain ASCII stands for itself: no copy.
            return match bytes {
                Cow::Borrowed(slice) => match std::str::from_utf8(slice) {
                    Ok(text) => MailboxName(Repr::Unicode(Cow::Borrowed(text))),
                    Err(_) => MailboxName(Repr::Raw(Cow::Borrowed(slice))),
                },
                Cow::Owned(vec) => match String::from_utf8(vec) {
                    Ok(text) => MailboxName(Repr::Unicode(Cow::Owned(text))),
                    Err(error) => MailboxName(Repr::Raw(Cow::Owned(error.into_bytes()))),
                },
            };
        }
        match utf7::decode(&bytes) {
            Ok(text) if has_control(&text).is_none() => {
                MailboxName(Repr::Unicode(Cow::Owned(text)))
            }
            _ => MailboxName(Repr::Raw(bytes)),
        }
    }

    /// The name as Unicode, unless it was kept raw.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Unicode(text) => Some(text),
            Repr::Raw(_) => None,
        }
    }

    /// The raw octets of a name that was not valid in the form in effect.
    pub fn raw_bytes(&self) -> Option<&[u8]> {
        match &self.0 {
            Repr::Unicode(_) => None,
            Repr::Raw(bytes) => Some(bytes),
        }
    }

    /// The name as text, raw octets decoded lossily (for display only).
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Unicode(text) => Cow::Borrowed(text),
            Repr::Raw(bytes) => String::from_utf8_lossy(bytes),
        }
    }

    /// The octets that carry this name on the wire: modified UTF-7 unless `utf8`.
    pub fn to_wire(&self, utf8: bool) -> Cow<'_, [u8]> {
        match &self.0 {
            Repr::Unicode(text) if utf8 => Cow::Borrowed(text.as_bytes()),
            Repr::Unicode(text) => {
                let needs_encoding = text
                    .bytes()
                    .any(|byte| byte == b'&' || !(0x20..0x7f).contains(&byte));
                if needs_encoding {
                    Cow::Owned(utf7::encode(text).into_bytes())
                } else {
                    Cow::Borrowed(text.as_bytes())
                }
            }
            Repr::Raw(bytes) => Cow::Borrowed(bytes),
        }
    }

    fn is_inbox(&self) -> bool {
        matches!(&self.0, Repr::Unicode(text) if text.eq_ignore_ascii_case("INBOX"))
    }
}

impl<'a> TryFrom<&'a str> for MailboxName<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        MailboxName::new(value)
    }
}

impl TryFrom<String> for MailboxName<'static> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        MailboxName::new(value)
    }
}

impl fmt::Debug for MailboxName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Unicode(text) => write!(f, "MailboxName({text:?})"),
            Repr::Raw(bytes) => write!(f, "MailboxName(raw {:?})", String::from_utf8_lossy(bytes)),
        }
    }
}

impl IntoOwned for MailboxName<'_> {
    type Owned = MailboxName<'static>;
    fn into_owned(self) -> MailboxName<'static> {
        MailboxName(match self.0 {
            Repr::Unicode(text) => Repr::Unicode(Cow::Owned(text.into_owned())),
            Repr::Raw(bytes) => Repr::Raw(Cow::Owned(bytes.into_owned())),
        })
    }
}

/// A mailbox argument or LIST result (`mailbox` of RFC 3501 §9): any case of `INBOX`
/// means the user's inbox and is stored as `INBOX`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a>(MailboxName<'a>);

impl<'a> Mailbox<'a> {
    /// The inbox.
    pub fn inbox() -> Mailbox<'static> {
        Mailbox(MailboxName(Repr::Unicode(Cow::Borrowed("INBOX"))))
    }

    /// A mailbox from its name, folding any case of `INBOX`.
    pub fn new(name: MailboxName<'a>) -> Self {
        if name.is_inbox() {
            Mailbox(MailboxName(Repr::Unicode(Cow::Borrowed("INBOX"))))
        } else {
            Mailbox(name)
        }
    }

    /// True for the inbox.
    pub fn is_inbox(&self) -> bool {
        self.0.is_inbox()
    }

    /// The name.
    pub fn name(&self) -> &MailboxName<'a> {
        &self.0
    }

    /// The name, by value.
    pub fn into_name(self) -> MailboxName<'a> {
        self.0
    }
}

impl<'a> TryFrom<&'a str> for Mailbox<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Ok(Mailbox::new(MailboxName::new(value)?))
    }
}

impl TryFrom<String> for Mailbox<'static> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Ok(Mailbox::new(MailboxName::new(value)?))
    }
}

impl<'a> From<MailboxName<'a>> for Mailbox<'a> {
    fn from(name: MailboxName<'a>) -> Self {
        Mailbox::new(name)
    }
}

impl fmt::Debug for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 .0 {
            Repr::Unicode(text) => write!(f, "Mailbox({text:?})"),
            Repr::Raw(bytes) => write!(f, "Mailbox(raw {:?})", String::from_utf8_lossy(bytes)),
        }
    }
}

impl IntoOwned for Mailbox<'_> {
    type Owned = Mailbox<'static>;
    fn into_owned(self) -> Mailbox<'static> {
        Mailbox(self.0.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms_depend_on_the_mode() {
        let name = MailboxName::from_wire(&b"Entw&APw-rfe"[..], false).unwrap();
        assert_eq!(name.as_str(), Some("Entwürfe"));
        assert_eq!(&*name.to_wire(false), b"Entw&APw-rfe");
        assert_eq!(&*name.to_wire(true), "Entwürfe".as_bytes());
        let same = MailboxName::from_wire("Entwürfe".as_bytes(), true).unwrap();
        assert_eq!(name, same);
        // In UTF-8 mode, '&' is just a character.
        let literal = MailboxName::from_wire(&b"Entw&APw-rfe"[..], true).unwrap();
        assert_eq!(literal.as_str(), Some("Entw&APw-rfe"));
        assert_eq!(&*literal.to_wire(false), b"Entw&-APw-rfe");
    }

    #[test]
    fn invalid_wire_names_stay_raw() {
        let raw = MailboxName::from_wire(&b"&Jjo!"[..], false).unwrap();
        assert_eq!(raw.as_str(), None);
        assert_eq!(raw.raw_bytes(), Some(&b"&Jjo!"[..]));
        assert_eq!(&*raw.to_wire(false), b"&Jjo!");
        let eight_bit = MailboxName::from_wire("Entwürfe".as_bytes(), false).unwrap();
        assert!(eight_bit.raw_bytes().is_some());
        let bad_utf8 = MailboxName::from_wire(&b"\xff"[..], true).unwrap();
        assert!(bad_utf8.raw_bytes().is_some());
        assert!(MailboxName::from_wire(&b"a\0b"[..], false).is_err());
        assert!(MailboxName::new("a\nb").is_err());
    }

    #[test]
    fn inbox_is_case_insensitive() {
        let mailbox = Mailbox::try_from("iNbOx").unwrap();
        assert!(mailbox.is_inbox());
        assert_eq!(mailbox, Mailbox::inbox());
        assert_eq!(mailbox.name().as_str(), Some("INBOX"));
        assert!(!Mailbox::try_from("INBOX.Sent").unwrap().is_inbox());
    }
}
