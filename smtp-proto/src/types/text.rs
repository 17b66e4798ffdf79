//! Text the grammar has accepted, kept as octets.

use std::borrow::Cow;
use std::fmt;

/// Octets the grammar accepted as text: ASCII, or UTF-8 when SMTPUTF8 is in effect (the
/// command decoder checks a non-ASCII line once, as a whole).
///
/// Decoding only slices the line: no value goes through a UTF-8 pass of its own, which
/// would cost more than the grammar check itself on short values. [`Text::as_str`] makes
/// the `&str` when it is read; that check can not fail (token boundaries are ASCII
/// delimiters, so a slice of a valid line is valid), and the empty string it would fall
/// back to is never reached.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct Text<'a>(Cow<'a, [u8]>);

impl<'a> Text<'a> {
    /// Borrowed text from a string constant.
    pub(crate) const fn from_static(text: &'static str) -> Text<'static> {
        Text(Cow::Borrowed(text.as_bytes()))
    }

    /// Octets the grammar accepted.
    pub(crate) fn from_valid(octets: &'a [u8]) -> Self {
        Text(Cow::Borrowed(octets))
    }

    /// Text given to a constructor.
    pub(crate) fn from_cow(text: Cow<'a, str>) -> Self {
        Text(match text {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        })
    }

    /// The octets.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Appends text (only ever to an owned copy: the borrowed octets are copied first).
    pub(crate) fn push_str(&mut self, text: &str) {
        self.0.to_mut().extend_from_slice(text.as_bytes());
    }

    /// A copy that owns its octets.
    pub(crate) fn into_owned(self) -> Text<'static> {
        Text(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_back_and_debugs_like_a_str() {
        let text = Text::from_valid("bücher.de".as_bytes());
        assert_eq!(text.as_str(), "bücher.de");
        assert_eq!(format!("{text:?}"), format!("{:?}", "bücher.de"));
        assert_eq!(text.to_string(), "bücher.de");
        let mut owned = Text::from_cow(Cow::Borrowed("a")).into_owned();
        owned.push_str(" b");
        assert_eq!(owned.as_bytes(), b"a b");
        assert_eq!(Text::from_static("PLAIN"), Text::from_valid(b"PLAIN"));
    }
}
