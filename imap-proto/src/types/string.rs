//! The string-like values of IMAP: atoms, strings, text, tags, charsets, and a non-empty
//! list.
//!
//! A value holds its meaning, not its wire form: an [`IString`] read from a quoted string
//! or from a literal is the same value, and the encoder picks the form (atom, quoted or
//! literal) that can carry it. Every constructor checks the grammar, so every value can
//! be encoded.

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use crate::chars;
use crate::error::ValidationError;
use crate::types::IntoOwned;

fn first_invalid(bytes: &[u8], valid: impl Fn(u8) -> bool) -> Option<usize> {
    bytes.iter().position(|&byte| !valid(byte))
}

/// An atom: one or more ATOM-CHARs (RFC 3501 §9). Used for capabilities, keywords,
/// SASL mechanism names and extension labels.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom<'a>(Cow<'a, str>);

impl<'a> Atom<'a> {
    /// Checks that `value` is a valid atom.
    pub fn new(value: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::Empty { what: "atom" });
        }
        match first_invalid(value.as_bytes(), chars::is_atom_char) {
            Some(position) => Err(ValidationError::InvalidCharacter {
                what: "atom",
                position,
            }),
            None => Ok(Atom(value)),
        }
    }

    /// An atom from a slice the parser already checked.
    pub(crate) fn from_checked(value: &'a str) -> Self {
        Atom(Cow::Borrowed(value))
    }

    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The non-empty rest of the atom after its first `skip` bytes, keeping a borrow.
    pub(crate) fn tail(&self, skip: usize) -> Option<Atom<'a>> {
        match &self.0 {
            Cow::Borrowed(text) => text
                .get(skip..)
                .filter(|rest| !rest.is_empty())
                .map(|rest| Atom(Cow::Borrowed(rest))),
            Cow::Owned(text) => text
                .get(skip..)
                .filter(|rest| !rest.is_empty())
                .map(|rest| Atom(Cow::Owned(rest.to_owned()))),
        }
    }
}

impl<'a> TryFrom<&'a str> for Atom<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Atom::new(value)
    }
}

impl TryFrom<String> for Atom<'static> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Atom::new(value)
    }
}

impl fmt::Debug for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Atom({:?})", self.0)
    }
}

impl fmt::Display for Atom<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl IntoOwned for Atom<'_> {
    type Owned = Atom<'static>;
    fn into_owned(self) -> Atom<'static> {
        Atom(Cow::Owned(self.0.into_owned()))
    }
}

/// The octets of an IMAP `string` or `astring`: any bytes except NUL (CHAR8).
///
/// Whether it travels as an atom, a quoted string or a literal is the encoder's choice.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IString<'a>(Cow<'a, [u8]>);

impl<'a> IString<'a> {
    /// Checks that `value` holds no NUL octet.
    pub fn new(value: impl Into<Cow<'a, [u8]>>) -> Result<Self, ValidationError> {
        let value = value.into();
        match memchr::memchr(0, &value) {
            Some(position) => Err(ValidationError::InvalidCharacter {
                what: "string",
                position,
            }),
            None => Ok(IString(value)),
        }
    }

    /// A string from bytes the parser already checked.
    pub(crate) fn from_checked(value: Cow<'a, [u8]>) -> Self {
        IString(value)
    }

    /// The octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The octets as text, if they are UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The octets as text, invalid UTF-8 replaced by U+FFFD.
    pub fn to_str_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }

    /// The octets, owned or borrowed as they were decoded.
    pub fn into_inner(self) -> Cow<'a, [u8]> {
        self.0
    }
}

impl<'a> TryFrom<&'a str> for IString<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        IString::new(value.as_bytes())
    }
}

impl<'a> TryFrom<&'a [u8]> for IString<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a [u8]) -> Result<Self, Self::Error> {
        IString::new(value)
    }
}

impl TryFrom<String> for IString<'static> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        IString::new(value.into_bytes())
    }
}

impl TryFrom<Vec<u8>> for IString<'static> {
    type Error = ValidationError;
    fn try_from(value: Vec<u8>) -> Result<Self, Self::Error> {
        IString::new(value)
    }
}

impl fmt::Debug for IString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(&self.0) {
            Ok(text) => write!(f, "IString({text:?})"),
            Err(_) => write!(f, "IString({:?})", self.0),
        }
    }
}

impl IntoOwned for IString<'_> {
    type Owned = IString<'static>;
    fn into_owned(self) -> IString<'static> {
        IString(Cow::Owned(self.0.into_owned()))
    }
}

/// An `nstring`: a string or NIL.
pub type NString<'a> = Option<IString<'a>>;

/// Human-readable text of a response (`text` of RFC 3501 §9): no CR, LF or NUL.
///
/// IMAP4rev1 allows 7-bit text only; after `ENABLE IMAP4rev2` or `UTF8=ACCEPT` it may
/// hold any Unicode. The encoder writes `?` for non-ASCII characters when UTF-8 is not in
/// effect, because text has no form that could carry them.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text<'a>(Cow<'a, str>);

impl<'a> Text<'a> {
    /// Checks that `value` holds no CR, LF or NUL.
    pub fn new(value: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let value = value.into();
        match first_invalid(value.as_bytes(), |byte| {
            byte != 0 && byte != b'\r' && byte != b'\n'
        }) {
            Some(position) => Err(ValidationError::InvalidCharacter {
                what: "text",
                position,
            }),
            None => Ok(Text(value)),
        }
    }

    pub(crate) fn from_checked(value: Cow<'a, str>) -> Self {
        Text(value)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when there is no text.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> TryFrom<&'a str> for Text<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Text::new(value)
    }
}

impl TryFrom<String> for Text<'static> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Text::new(value)
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({:?})", self.0)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl IntoOwned for Text<'_> {
    type Owned = Text<'static>;
    fn into_owned(self) -> Text<'static> {
        Text(Cow::Owned(self.0.into_owned()))
    }
}

/// A command tag: one or more ASTRING-CHARs except `+`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag<'a>(Cow<'a, str>);

impl<'a> Tag<'a> {
    /// Checks that `value` is a valid tag.
    pub fn new(value: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::Empty { what: "tag" });
        }
        match first_invalid(value.as_bytes(), chars::is_tag_char) {
            Some(position) => Err(ValidationError::InvalidCharacter {
                what: "tag",
                position,
            }),
            None => Ok(Tag(value)),
        }
    }

    pub(crate) fn from_checked(value: &'a str) -> Self {
        Tag(Cow::Borrowed(value))
    }

    /// The tag's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'a> TryFrom<&'a str> for Tag<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Tag::new(value)
    }
}

impl TryFrom<String> for Tag<'static> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Tag::new(value)
    }
}

impl fmt::Debug for Tag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({:?})", self.0)
    }
}

impl fmt::Display for Tag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl IntoOwned for Tag<'_> {
    type Owned = Tag<'static>;
    fn into_owned(self) -> Tag<'static> {
        Tag(Cow::Owned(self.0.into_owned()))
    }
}

/// A charset name (SEARCH CHARSET, BADCHARSET): non-empty printable ASCII, written as an
/// atom when it can be and quoted otherwise (`charset = atom / quoted`, RFC 9051).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Charset<'a>(Cow<'a, str>);

impl<'a> Charset<'a> {
    /// Checks that `value` is non-empty printable ASCII.
    pub fn new(value: impl Into<Cow<'a, str>>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() {
            return Err(ValidationError::Empty { what: "charset" });
        }
        match first_invalid(value.as_bytes(), |byte| (0x20..0x7f).contains(&byte)) {
            Some(position) => Err(ValidationError::InvalidCharacter {
                what: "charset",
                position,
            }),
            None => Ok(Charset(value)),
        }
    }

    /// The charset name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'a> TryFrom<&'a str> for Charset<'a> {
    type Error = ValidationError;
    fn try_from(value: &'a str) -> Result<Self, Self::Error> {
        Charset::new(value)
    }
}

impl TryFrom<String> for Charset<'static> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Charset::new(value)
    }
}

impl fmt::Debug for Charset<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Charset({:?})", self.0)
    }
}

impl IntoOwned for Charset<'_> {
    type Owned = Charset<'static>;
    fn into_owned(self) -> Charset<'static> {
        Charset(Cow::Owned(self.0.into_owned()))
    }
}

/// A mailbox hierarchy delimiter: one printable ASCII character (`QUOTED-CHAR` of a
/// LIST response or a NAMESPACE description).
///
/// RFC 9051 would allow a non-ASCII delimiter after `ENABLE IMAP4rev2`; no server uses
/// one and IMAP4rev1 cannot carry it, so this type keeps to ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Delimiter(u8);

impl Delimiter {
    /// Checks that `value` is printable ASCII.
    pub fn new(value: char) -> Result<Self, ValidationError> {
        match u8::try_from(value) {
            Ok(byte) if (0x20..0x7f).contains(&byte) => Ok(Delimiter(byte)),
            _ => Err(ValidationError::InvalidCharacter {
                what: "delimiter",
                position: 0,
            }),
        }
    }

    pub(crate) fn from_checked(byte: u8) -> Self {
        Delimiter(byte)
    }

    /// The delimiter character.
    pub fn as_char(self) -> char {
        char::from(self.0)
    }

    pub(crate) fn as_byte(self) -> u8 {
        self.0
    }
}

/// A list with at least one element, for the grammar's `1*` repetitions.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    /// A list of one element.
    pub fn new(first: T) -> Self {
        NonEmpty(vec![first])
    }

    /// Appends an element.
    pub fn push(&mut self, value: T) {
        self.0.push(value);
    }

    /// The elements as a vector.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
}

impl<T> TryFrom<Vec<T>> for NonEmpty<T> {
    type Error = ValidationError;
    fn try_from(value: Vec<T>) -> Result<Self, Self::Error> {
        if value.is_empty() {
            Err(ValidationError::Empty { what: "list" })
        } else {
            Ok(NonEmpty(value))
        }
    }
}

impl<T> Deref for NonEmpty<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'b, T> IntoIterator for &'b NonEmpty<T> {
    type Item = &'b T;
    type IntoIter = std::slice::Iter<'b, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> IntoIterator for NonEmpty<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<T: fmt::Debug> fmt::Debug for NonEmpty<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: IntoOwned> IntoOwned for NonEmpty<T> {
    type Owned = NonEmpty<T::Owned>;
    fn into_owned(self) -> Self::Owned {
        NonEmpty(self.0.into_iter().map(IntoOwned::into_owned).collect())
    }
}

impl<T> NonEmpty<T> {
    pub(crate) fn from_vec_checked(value: Vec<T>) -> Option<Self> {
        if value.is_empty() {
            None
        } else {
            Some(NonEmpty(value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_check_the_grammar() {
        assert!(Atom::new("IMAP4rev1").is_ok());
        assert!(Atom::new("LITERAL+").is_ok());
        assert_eq!(Atom::new(""), Err(ValidationError::Empty { what: "atom" }));
        assert!(matches!(
            Atom::new("a b"),
            Err(ValidationError::InvalidCharacter { position: 1, .. })
        ));
        assert!(Atom::new("a]").is_err());
        assert!(Tag::new("A001").is_ok());
        assert!(Tag::new("a]b").is_ok());
        assert!(Tag::new("+").is_err());
        assert!(Tag::new("*").is_err());
        assert!(IString::new(&b"a\r\nb"[..]).is_ok());
        assert!(IString::new(&b"a\0b"[..]).is_err());
        assert!(Text::new("ok then").is_ok());
        assert!(Text::new("a\rb").is_err());
        assert!(Charset::new("UTF-8").is_ok());
        assert!(Charset::new("").is_err());
        assert!(Delimiter::new('/').is_ok());
        assert!(Delimiter::new('é').is_err());
        assert!(NonEmpty::<u8>::try_from(Vec::new()).is_err());
        let list = NonEmpty::try_from(vec![1, 2]).unwrap();
        assert_eq!(list.first(), Some(&1));
        assert_eq!(list.len(), 2);
    }
}
