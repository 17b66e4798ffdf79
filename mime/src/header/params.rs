//! MIME parameters (RFC 2045 §5.1) with RFC 2231 extensions.
//!
//! - `name=token` and `name="quoted string"`; unquoted values are read
//!   leniently (tspecials like `=` inside are kept, and a value with spaces
//!   runs to the next `;`), as other clients do.
//! - RFC 2231 §3 continuations `name*0=`, `name*1=` and §4 charset and
//!   language `name*=utf-8'en'%E2%82%AC`, also combined (`name*0*=`).
//!   Sections are ordered by number whatever their order in the input; a
//!   duplicated section number keeps its first occurrence; a gap in the
//!   numbering is closed up. The charset is converted once for the whole
//!   joined value, so a character split across sections survives.
//! - When one name appears in several forms, `name*` wins over
//!   continuations, which win over plain `name`; among plain duplicates the
//!   first wins.
//! - Names are compared ASCII case-insensitively and stored lowercased.

use std::borrow::Cow;

use super::lex::{ascii_lowercase, is_mime_token, is_ws, Cursor};
use super::FieldError;
use crate::charset;
use crate::encoded_word;

/// Limits on parameter lists; exceeding one is a [`FieldError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParameterLimits {
    /// Maximum number of `attribute=value` pairs in one field, counting
    /// every RFC 2231 section separately. Default 128.
    pub max_parameters: usize,
    /// Maximum number of RFC 2231 sections of one parameter. Default 64,
    /// enough for a filename of several kilobytes.
    pub max_continuations: usize,
}

impl ParameterLimits {
    /// The documented defaults.
    pub const DEFAULT: ParameterLimits = ParameterLimits {
        max_parameters: 128,
        max_continuations: 64,
    };

    /// Returns these limits with `max_parameters` replaced.
    #[must_use]
    pub fn with_max_parameters(mut self, max_parameters: usize) -> Self {
        self.max_parameters = max_parameters;
        self
    }

    /// Returns these limits with `max_continuations` replaced.
    #[must_use]
    pub fn with_max_continuations(mut self, max_continuations: usize) -> Self {
        self.max_continuations = max_continuations;
        self
    }
}

impl Default for ParameterLimits {
    fn default() -> Self {
        ParameterLimits::DEFAULT
    }
}

/// One parameter with its value decoded (RFC 2231 sections joined,
/// percent-decoding and charset conversion done).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter<'a> {
    name: Cow<'a, str>,
    value: Cow<'a, str>,
    charset: Option<Cow<'a, str>>,
    language: Option<Cow<'a, str>>,
    extended: bool,
}

impl<'a> Parameter<'a> {
    /// A plain parameter (for building values).
    pub fn new(name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        Parameter {
            name: ascii_lowercase(name.into()),
            value: value.into(),
            charset: None,
            language: None,
            extended: false,
        }
    }

    /// The name, lowercased, without RFC 2231 markers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The decoded value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The value with RFC 2047 encoded words decoded, for the common but
    /// illegal `name="=?utf-8?B?...?="` form. RFC 2231 values are returned
    /// as they are.
    pub fn decoded_value(&self) -> Cow<'_, str> {
        if self.extended || !self.value.contains("=?") {
            Cow::Borrowed(&self.value)
        } else {
            encoded_word::decode_text(self.value.as_bytes())
        }
    }

    /// The RFC 2231 charset label, if the value had one.
    pub fn charset(&self) -> Option<&str> {
        self.charset.as_deref()
    }

    /// The RFC 2231 language tag, if the value had one.
    pub fn language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// Whether the value came in RFC 2231 form (`name*` or sections).
    pub fn is_extended(&self) -> bool {
        self.extended
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> Parameter<'static> {
        Parameter {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
            charset: self.charset.map(|c| Cow::Owned(c.into_owned())),
            language: self.language.map(|l| Cow::Owned(l.into_owned())),
            extended: self.extended,
        }
    }
}

/// The parameters of a Content-Type or Content-Disposition value, in the
/// order of their first appearance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Parameters<'a> {
    list: Vec<Parameter<'a>>,
}

impl<'a> Parameters<'a> {
    /// An empty list.
    pub fn new() -> Self {
        Parameters { list: Vec::new() }
    }

    /// The value of parameter `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_parameter(name).map(Parameter::value)
    }

    /// The value of parameter `name` with RFC 2047 words decoded
    /// (see [`Parameter::decoded_value`]).
    pub fn get_decoded(&self, name: &str) -> Option<Cow<'_, str>> {
        self.get_parameter(name).map(Parameter::decoded_value)
    }

    /// The parameter `name` (case-insensitive).
    pub fn get_parameter(&self, name: &str) -> Option<&Parameter<'a>> {
        self.list.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Iterates in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Parameter<'a>> {
        self.list.iter()
    }

    /// Number of parameters.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Sets parameter `name` to `value`, replacing an existing one.
    pub fn set(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        let param = Parameter::new(name, value);
        match self.list.iter_mut().find(|p| p.name == param.name) {
            Some(existing) => *existing = param,
            None => self.list.push(param),
        }
    }

    /// Removes parameter `name`; returns it if it was there.
    pub fn remove(&mut self, name: &str) -> Option<Parameter<'a>> {
        let index = self
            .list
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))?;
        Some(self.list.remove(index))
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> Parameters<'static> {
        Parameters {
            list: self.list.into_iter().map(Parameter::into_owned).collect(),
        }
    }
}

impl<'s, 'a> IntoIterator for &'s Parameters<'a> {
    type Item = &'s Parameter<'a>;
    type IntoIter = std::slice::Iter<'s, Parameter<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// One `attribute=value` pair as written.
struct Section<'a> {
    name: Cow<'a, str>,
    index: Option<u32>,
    extended: bool,
    value: Cow<'a, [u8]>,
}

/// Splits `name*3*` into (`name`, Some(3), extended = true).
fn split_attribute(raw: &str) -> (&str, Option<u32>, bool) {
    // Nearly every attribute is a plain name.
    if !raw.contains('*') {
        return (raw, None, false);
    }
    let (base, extended) = match raw.strip_suffix('*') {
        Some(base) => (base, true),
        None => (raw, false),
    };
    if let Some(star) = base.rfind('*') {
        let digits = base.get(star + 1..).unwrap_or_default();
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(index) = digits.parse::<u32>() {
                return (base.get(..star).unwrap_or_default(), Some(index), extended);
            }
        }
    }
    (base, None, extended)
}

/// Advances to the next `;` outside quotes and comments.
fn skip_to_semicolon(cursor: &mut Cursor<'_>) {
    while let Some(b) = cursor.peek() {
        match b {
            b';' => return,
            b'"' => {
                cursor.quoted_string();
            }
            b'(' => cursor.skip_comment(),
            _ => cursor.bump(),
        }
    }
}

/// Reads an unquoted value leniently: a run without `;`, whitespace, `(`
/// or `"`; if more non-comment text follows before the next `;`, the value
/// runs to that `;` (so `name=foo bar.txt` gives `foo bar.txt`).
fn unquoted_value<'a>(cursor: &mut Cursor<'a>) -> &'a [u8] {
    let start = cursor.pos();
    cursor.take_while(|b| b != b';' && !is_ws(b) && b != b'(' && b != b'"');
    let token_end = cursor.pos();
    cursor.skip_cfws();
    match cursor.peek() {
        None | Some(b';') => cursor.slice(start, token_end),
        Some(_) if token_end == start => {
            cursor.set_pos(token_end);
            cursor.slice(start, token_end)
        }
        Some(_) if starts_parameter(cursor) => {
            // The next parameter, with its `;` missing.
            cursor.set_pos(token_end);
            cursor.slice(start, token_end)
        }
        Some(_) => {
            cursor.set_pos(token_end);
            while let Some(b) = cursor.peek() {
                if b == b';' {
                    break;
                }
                cursor.bump();
            }
            let raw = cursor.slice(start, cursor.pos());
            let end = raw.iter().rposition(|&b| !is_ws(b)).map_or(0, |p| p + 1);
            raw.get(..end).unwrap_or_default()
        }
    }
}

/// Whether the cursor is at `attribute [CFWS] =`, without moving it.
fn starts_parameter(cursor: &Cursor<'_>) -> bool {
    let mut probe = cursor.clone();
    let attribute = probe.take_while(is_mime_token);
    probe.skip_cfws();
    !attribute.is_empty() && probe.peek() == Some(b'=')
}

/// Reads the next raw `attribute=value` pair (attribute lowercased, RFC
/// 2231 markers kept), skipping junk; `None` at the end of the list.
fn next_pair<'a>(cursor: &mut Cursor<'a>) -> Option<(Cow<'a, str>, Cow<'a, [u8]>)> {
    loop {
        cursor.skip_cfws();
        match cursor.peek() {
            None => return None,
            Some(b';') => {
                cursor.bump();
                continue;
            }
            Some(_) => {}
        }
        let Some(attribute) = cursor.lower_token() else {
            // Not a parameter: skip the junk up to the next one.
            cursor.bump();
            skip_to_semicolon(cursor);
            continue;
        };
        cursor.skip_cfws();
        if !cursor.eat(b'=') {
            skip_to_semicolon(cursor);
            continue;
        }
        cursor.skip_cfws();
        let value: Cow<'a, [u8]> = if cursor.peek() == Some(b'"') {
            cursor.quoted_string().unwrap_or_default()
        } else {
            Cow::Borrowed(unquoted_value(cursor))
        };
        return Some((attribute, value));
    }
}

/// Reads the raw sections of a parameter list, stopping at the end.
fn read_sections<'a>(
    cursor: &mut Cursor<'a>,
    limits: &ParameterLimits,
) -> Result<Vec<Section<'a>>, FieldError> {
    let mut sections = Vec::new();
    while let Some((attribute, value)) = next_pair(cursor) {
        if sections.len() >= limits.max_parameters {
            return Err(FieldError::TooManyParameters {
                limit: limits.max_parameters,
            });
        }
        let (name, index, extended) = match &attribute {
            Cow::Borrowed(raw) => {
                let (name, index, extended) = split_attribute(raw);
                (Cow::Borrowed(name), index, extended)
            }
            Cow::Owned(raw) => {
                let (name, index, extended) = split_attribute(raw);
                (Cow::Owned(name.to_owned()), index, extended)
            }
        };
        sections.push(Section {
            name,
            index,
            extended,
            value,
        });
    }
    Ok(sections)
}

fn percent_decode(bytes: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi << 4) | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Splits `charset'language'rest`; without two quotes there is no prefix.
fn split_charset_prefix(value: &[u8]) -> (Option<&[u8]>, Option<&[u8]>, &[u8]) {
    let Some(first) = value.iter().position(|&b| b == b'\'') else {
        return (None, None, value);
    };
    let after_first = value.get(first + 1..).unwrap_or_default();
    let Some(second) = after_first.iter().position(|&b| b == b'\'') else {
        return (None, None, value);
    };
    let charset = value.get(..first).unwrap_or_default();
    let language = after_first.get(..second).unwrap_or_default();
    let rest = after_first.get(second + 1..).unwrap_or_default();
    (
        Some(charset).filter(|c| !c.is_empty()),
        Some(language).filter(|l| !l.is_empty()),
        rest,
    )
}

/// Builds an extended parameter from its sections (already ordered).
fn join_extended<'a>(name: Cow<'a, str>, sections: &[&Section<'a>]) -> Parameter<'a> {
    let mut bytes = Vec::new();
    let mut charset_label: Option<Vec<u8>> = None;
    let mut language: Option<Vec<u8>> = None;
    for (position, section) in sections.iter().enumerate() {
        let raw = section.value.as_ref();
        if section.extended {
            let body = if position == 0 {
                let (cs, lang, rest) = split_charset_prefix(raw);
                charset_label = cs.map(<[u8]>::to_vec);
                language = lang.map(<[u8]>::to_vec);
                rest
            } else {
                raw
            };
            percent_decode(body, &mut bytes);
        } else {
            bytes.extend_from_slice(raw);
        }
    }
    let value = match &charset_label {
        Some(label) => charset::decode_owned(label, bytes),
        None => charset::decode_owned(b"utf-8", bytes),
    };
    Parameter {
        name,
        value: Cow::Owned(value),
        charset: charset_label.map(|c| Cow::Owned(String::from_utf8_lossy(&c).into_owned())),
        language: language.map(|l| Cow::Owned(String::from_utf8_lossy(&l).into_owned())),
        extended: true,
    }
}

/// Parses a parameter list (everything after the `;` that follows the
/// media type or disposition type).
pub(crate) fn parse_parameters<'a>(
    cursor: &mut Cursor<'a>,
    limits: &ParameterLimits,
) -> Result<Parameters<'a>, FieldError> {
    // The common case: no RFC 2231 `*` in any attribute, so the
    // parameters are built directly, with no list of sections in between.
    let start = cursor.clone();
    let mut list: Vec<Parameter<'a>> = Vec::new();
    let mut pairs = 0usize;
    while let Some((attribute, value)) = next_pair(cursor) {
        if attribute.contains('*') {
            *cursor = start;
            return parse_sections(cursor, limits);
        }
        if pairs >= limits.max_parameters {
            return Err(FieldError::TooManyParameters {
                limit: limits.max_parameters,
            });
        }
        pairs += 1;
        let name = attribute;
        if list.iter().any(|p| p.name == name) {
            continue;
        }
        let value = match value {
            Cow::Borrowed(b) => cursor.text_of(b),
            Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(&v).into_owned()),
        };
        list.push(Parameter {
            name,
            value,
            charset: None,
            language: None,
            extended: false,
        });
    }
    Ok(Parameters { list })
}

/// The general path: reads every section, then groups RFC 2231 sections
/// by name.
fn parse_sections<'a>(
    cursor: &mut Cursor<'a>,
    limits: &ParameterLimits,
) -> Result<Parameters<'a>, FieldError> {
    let sections = read_sections(cursor, limits)?;
    let mut list: Vec<Parameter<'a>> = Vec::with_capacity(sections.len());
    for (i, section) in sections.iter().enumerate() {
        // Handle each name once, at its first appearance.
        if sections
            .get(..i)
            .unwrap_or_default()
            .iter()
            .any(|s| s.name == section.name)
        {
            continue;
        }
        let same: Vec<&Section<'a>> = sections
            .get(i..)
            .unwrap_or_default()
            .iter()
            .filter(|s| s.name == section.name)
            .collect();
        if let Some(single) = same.iter().find(|s| s.index.is_none() && s.extended) {
            list.push(join_extended(section.name.clone(), &[*single]));
            continue;
        }
        let mut numbered: Vec<&Section<'a>> =
            same.iter().copied().filter(|s| s.index.is_some()).collect();
        if !numbered.is_empty() {
            if numbered.len() > limits.max_continuations {
                return Err(FieldError::TooManyContinuations {
                    limit: limits.max_continuations,
                });
            }
            numbered.sort_by_key(|s| s.index);
            numbered.dedup_by_key(|s| s.index);
            list.push(join_extended(section.name.clone(), &numbered));
            continue;
        }
        if let Some(plain) = same.first() {
            let value = match &plain.value {
                Cow::Borrowed(b) => cursor.text_of(b),
                Cow::Owned(v) => Cow::Owned(String::from_utf8_lossy(v).into_owned()),
            };
            list.push(Parameter {
                name: section.name.clone(),
                value,
                charset: None,
                language: None,
                extended: false,
            });
        }
    }
    Ok(Parameters { list })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(input: &[u8]) -> Parameters<'_> {
        parse_parameters(&mut Cursor::new(input), &ParameterLimits::default()).unwrap()
    }

    #[test]
    fn plain_values_borrow() {
        let p = params(b"; charset=us-ascii (Plain text); name=\"a b\"");
        assert!(matches!(
            p.get_parameter("charset").unwrap().value,
            Cow::Borrowed("us-ascii")
        ));
        assert_eq!(p.get("NAME"), Some("a b"));
    }

    #[test]
    fn split_attribute_forms() {
        assert_eq!(split_attribute("title*0*"), ("title", Some(0), true));
        assert_eq!(split_attribute("title*"), ("title", None, true));
        assert_eq!(split_attribute("title*12"), ("title", Some(12), false));
        assert_eq!(split_attribute("ti*tle"), ("ti*tle", None, false));
    }

    #[test]
    fn lenient_unquoted_values() {
        let p = params(b"; filename=foo bar.txt; boundary=----=_Part_1");
        assert_eq!(p.get("filename"), Some("foo bar.txt"));
        assert_eq!(p.get("boundary"), Some("----=_Part_1"));
        let p = params(b"; a=1 b=2");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("2"));
    }

    #[test]
    fn out_of_order_and_duplicate_sections() {
        let p = params(b"; t*1=b; t*0=a; t*1=x; t*2*=%41");
        assert_eq!(p.get("t"), Some("abA"));
    }

    #[test]
    fn plain_pairs_before_a_section_fall_back_to_grouping() {
        let p = params(b"; A=1; t*0=x; b=2; T*1=y; a=3; ti*tle=z");
        let names: Vec<&str> = p.iter().map(Parameter::name).collect();
        assert_eq!(names, ["a", "t", "b", "ti*tle"]);
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("t"), Some("xy"));
        assert!(p.get_parameter("t").unwrap().is_extended());
        assert_eq!(p.get("ti*tle"), Some("z"));
    }

    #[test]
    fn parameter_limit_counts_duplicates() {
        let limits = ParameterLimits::default().with_max_parameters(2);
        let mut cursor = Cursor::new(b"; a=1; a=2; a=3");
        assert!(parse_parameters(&mut cursor, &limits).is_err());
        let mut cursor = Cursor::new(b"; a=1; a=2");
        assert_eq!(parse_parameters(&mut cursor, &limits).unwrap().len(), 1);
    }
}
