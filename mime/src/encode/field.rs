//! Whole header fields: names, unstructured text and MIME parameter lists, folded.

use thiserror::Error;

use super::encoded_word::MAX_ENCODED_WORD;
use super::fold::{write_unstructured, FieldWriter, ENCODED_WORD_LINE_LIMIT};
use super::param::{encode_parameter, is_valid_parameter_name, legacy_encoded_words};

/// Longest field name accepted, so that `Name:` and a first piece fit a line.
pub const MAX_FIELD_NAME: usize = 76;

/// Why a header field could not be written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The field name is empty, too long, or has characters outside RFC 5322 `ftext`.
    #[error("invalid header field name")]
    InvalidName,
    /// A parameter name is empty, too long, or has characters outside RFC 2231 `attribute-char`.
    #[error("invalid parameter name")]
    InvalidParameterName,
    /// A structured value holds control characters or an unbreakable run over 998 octets.
    #[error("invalid structured field value")]
    InvalidValue,
    /// A media type or subtype is not an RFC 2045 token.
    #[error("invalid media type")]
    InvalidMediaType,
}

/// True when `name` is a valid field name: 1 to 76 printable ASCII characters other than `:`
/// (RFC 5322 §3.6.8 `ftext`).
#[must_use]
pub fn is_valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_FIELD_NAME
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// Writes `name: value` as an unstructured field (RFC 5322 §3.2.5), with RFC 2047 encoded
/// words where the text needs them, folded, ending in CRLF.
///
/// # Errors
/// [`EncodeError::InvalidName`] when `name` is not a valid field name.
pub fn unstructured_field(name: &str, value: &str) -> Result<Vec<u8>, EncodeError> {
    if !is_valid_field_name(name) {
        return Err(EncodeError::InvalidName);
    }
    let mut writer = FieldWriter::new(name);
    write_unstructured(&mut writer, value);
    Ok(writer.finish())
}

/// Writes `name: value` as a structured field whose value is already valid for the field
/// (Received, Return-Path, DKIM-Signature, ...): no encoding, folded only at its existing spaces
/// and tabs, ending in CRLF.
///
/// # Errors
/// [`EncodeError::InvalidName`] for a bad name, [`EncodeError::InvalidValue`] when the value
/// holds control characters (line breaks included) or a token too long for a 998-octet line.
pub fn structured_field(name: &str, value: &str) -> Result<Vec<u8>, EncodeError> {
    if !is_valid_field_name(name) {
        return Err(EncodeError::InvalidName);
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(EncodeError::InvalidValue);
    }
    let mut writer = FieldWriter::new(name);
    let mut rest = value.trim_start_matches([' ', '\t']);
    let mut first = true;
    while !rest.is_empty() {
        let space_end = rest
            .find(|c: char| c != ' ' && c != '\t')
            .unwrap_or(rest.len());
        let (space, after) = rest.split_at(space_end);
        let word_end = after.find([' ', '\t']).unwrap_or(after.len());
        let (word, remaining) = after.split_at(word_end);
        if word.len() + 2 > super::fold::HARD_LINE_LIMIT {
            return Err(EncodeError::InvalidValue);
        }
        if word.is_empty() {
            // Trailing white space is dropped: a folded line must not end the field with it.
            break;
        }
        writer.push(if first { " " } else { space }, word);
        first = false;
        rest = remaining;
    }
    Ok(writer.finish())
}

/// How one parameter is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterStyle {
    /// Token, quoted string, or RFC 2231 continuations as needed.
    Standard,
    /// Never split into continuations (boundary, whose readers rarely know RFC 2231).
    Whole,
    /// Legacy `name=` for old readers: RFC 2047 words in a quoted string when not ASCII.
    Legacy,
}

/// Writes a `type/subtype; param=value; ...` field such as Content-Type or (with an empty
/// subtype) Content-Disposition.
pub(crate) fn write_with_parameters(
    writer: &mut FieldWriter,
    value: &str,
    parameters: &[(&str, &str, ParameterStyle)],
) {
    writer.push(" ", value);
    for (name, parameter, style) in parameters {
        writer.glue(";");
        match style {
            ParameterStyle::Whole => {
                let mut segment = format!("{name}=");
                let quoted = encode_parameter(name, parameter, usize::MAX);
                match quoted.first() {
                    Some(only) if quoted.len() == 1 => segment = only.clone(),
                    _ => segment.push_str(parameter),
                }
                writer.push(" ", &segment);
            }
            ParameterStyle::Legacy
                if !parameter.bytes().all(|b| (0x20..0x7f).contains(&b))
                    || parameter.contains("=?") =>
            {
                write_legacy_words(writer, name, parameter);
            }
            ParameterStyle::Standard | ParameterStyle::Legacy => {
                let segments = encode_parameter(name, parameter, ENCODED_WORD_LINE_LIMIT);
                let count = segments.len();
                for (index, segment) in segments.iter().enumerate() {
                    writer.push(" ", segment);
                    if index + 1 < count {
                        writer.glue(";");
                    }
                }
            }
        }
    }
}

fn write_legacy_words(writer: &mut FieldWriter, name: &str, value: &str) {
    // ` name="word` on the first line, ` word` after, `";` at the end: keep lines <= 76.
    let first_max = ENCODED_WORD_LINE_LIMIT.saturating_sub(name.len() + 5);
    let rest_max = MAX_ENCODED_WORD.min(ENCODED_WORD_LINE_LIMIT - 3);
    let words = legacy_encoded_words(value, first_max, rest_max);
    let count = words.len();
    for (index, word) in words.iter().enumerate() {
        let mut piece = String::with_capacity(word.len() + name.len() + 3);
        if index == 0 {
            piece.push_str(name);
            piece.push_str("=\"");
        }
        piece.push_str(word);
        if index + 1 == count {
            piece.push('"');
        }
        writer.push_word(" ", &piece);
    }
}

/// Writes `name: type/subtype; parameters` with each parameter in the standard form
/// (token, quoted string, or RFC 2231 continuations and charset), folded, ending in CRLF.
///
/// # Errors
/// [`EncodeError`] when the field name, the media type or a parameter name is invalid.
pub fn parameter_field(
    name: &str,
    value: &str,
    parameters: &[(&str, &str)],
) -> Result<Vec<u8>, EncodeError> {
    let styled: Vec<(&str, &str, ParameterStyle)> = parameters
        .iter()
        .map(|(parameter, text)| (*parameter, *text, ParameterStyle::Standard))
        .collect();
    styled_parameter_field(name, value, &styled)
}

/// Like [`parameter_field`], with a [`ParameterStyle`] per parameter.
///
/// # Errors
/// [`EncodeError`] when the field name, the media type or a parameter name is invalid.
pub fn styled_parameter_field(
    name: &str,
    value: &str,
    parameters: &[(&str, &str, ParameterStyle)],
) -> Result<Vec<u8>, EncodeError> {
    if !is_valid_field_name(name) {
        return Err(EncodeError::InvalidName);
    }
    if !is_valid_media_value(value) {
        return Err(EncodeError::InvalidMediaType);
    }
    if !parameters
        .iter()
        .all(|(parameter, _, _)| is_valid_parameter_name(parameter))
    {
        return Err(EncodeError::InvalidParameterName);
    }
    let mut writer = FieldWriter::new(name);
    write_with_parameters(&mut writer, value, parameters);
    Ok(writer.finish())
}

/// True for `token` or `token/token` (a media type, or a disposition type), at most 127 octets.
pub(crate) fn is_valid_media_value(value: &str) -> bool {
    let is_token = |part: &str| !part.is_empty() && part.bytes().all(super::param::is_token_char);
    if value.len() > 127 {
        return false;
    }
    match value.split_once('/') {
        Some((kind, subtype)) => is_token(kind) && is_token(subtype),
        None => is_token(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn field_names_are_checked() {
        assert!(is_valid_field_name("X-Mailer"));
        assert!(!is_valid_field_name("Bad Name"));
        assert!(!is_valid_field_name("Bad:Name"));
        assert!(!is_valid_field_name(""));
        assert_eq!(
            unstructured_field("a b", "x"),
            Err(EncodeError::InvalidName)
        );
    }

    #[test]
    fn content_disposition_with_long_non_ascii_filename() {
        let name = format!(
            "{}.pdf",
            "\u{00e9}t\u{00e9}-r\u{00e9}sum\u{00e9}-".repeat(6)
        );
        let field = text(
            parameter_field("Content-Disposition", "attachment", &[("filename", &name)]).unwrap(),
        );
        assert!(field.starts_with("Content-Disposition: attachment;\r\n filename*0*=utf-8''"));
        for line in field.split_terminator("\r\n") {
            assert!(line.len() <= 78, "{line}");
        }
    }

    #[test]
    fn legacy_name_uses_quoted_encoded_words() {
        let mut writer = FieldWriter::new("Content-Type");
        write_with_parameters(
            &mut writer,
            "application/pdf",
            &[("name", "\u{00e9}t\u{00e9}.pdf", ParameterStyle::Legacy)],
        );
        assert_eq!(
            text(writer.finish()),
            "Content-Type: application/pdf; name=\"=?utf-8?b?w6l0w6kucGRm?=\"\r\n"
        );
    }

    #[test]
    fn boundary_is_never_continued() {
        let boundary = "=_".to_string() + &"a".repeat(68);
        let mut writer = FieldWriter::new("Content-Type");
        write_with_parameters(
            &mut writer,
            "multipart/mixed",
            &[("boundary", &boundary, ParameterStyle::Whole)],
        );
        let field = text(writer.finish());
        assert!(
            field.contains(&format!(" boundary=\"{boundary}\"")),
            "{field}"
        );
    }

    #[test]
    fn invalid_media_types_are_refused() {
        assert_eq!(
            parameter_field("Content-Type", "text /plain", &[]),
            Err(EncodeError::InvalidMediaType)
        );
        assert_eq!(
            parameter_field("Content-Type", "text/plain", &[("bad name", "x")]),
            Err(EncodeError::InvalidParameterName)
        );
    }
}
