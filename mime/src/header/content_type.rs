//! Content-Type (RFC 2045 §5, RFC 2046), Content-Disposition (RFC 2183
//! grammar) and Content-Transfer-Encoding (RFC 2045 §6).

use std::borrow::Cow;

use super::lex::{ascii_lowercase, Cursor};
use super::params::{parse_parameters, ParameterLimits, Parameters};
use super::FieldError;

/// A parsed Content-Type value: `type/subtype; parameters`.
///
/// Type and subtype are lowercased (borrowed when they already were).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentType<'a> {
    media_type: Cow<'a, str>,
    subtype: Cow<'a, str>,
    params: Parameters<'a>,
}

impl<'a> ContentType<'a> {
    /// A content type without parameters (type and subtype are
    /// lowercased).
    pub fn new(media_type: impl Into<Cow<'a, str>>, subtype: impl Into<Cow<'a, str>>) -> Self {
        ContentType {
            media_type: ascii_lowercase(media_type.into()),
            subtype: ascii_lowercase(subtype.into()),
            params: Parameters::new(),
        }
    }

    /// The RFC 2045 §5.2 default, `text/plain; charset=us-ascii`, for a
    /// part without (or with an unparsable) Content-Type.
    pub fn default_text_plain() -> ContentType<'static> {
        let mut ct = ContentType::new("text", "plain");
        ct.params.set("charset", "us-ascii");
        ct
    }

    /// Parses a raw Content-Type value (folded or not) with the default
    /// [`ParameterLimits`].
    pub fn parse(raw: &'a [u8]) -> Result<Self, FieldError> {
        Self::parse_with_limits(raw, &ParameterLimits::DEFAULT)
    }

    /// Parses a raw Content-Type value with explicit limits.
    ///
    /// Lenient where clients are: comments and whitespace anywhere between
    /// tokens, a missing `;` before a parameter, junk between parameters
    /// skipped. A value without `type/subtype` is an error (callers use
    /// [`ContentType::default_text_plain`] then, per RFC 2045 §5.2).
    pub fn parse_with_limits(raw: &'a [u8], limits: &ParameterLimits) -> Result<Self, FieldError> {
        let mut cursor = Cursor::checked(raw);
        cursor.skip_cfws();
        if cursor.at_end() {
            return Err(FieldError::Empty);
        }
        let media_type = cursor.lower_token().ok_or(FieldError::Invalid {
            what: "content type",
        })?;
        cursor.skip_cfws();
        if !cursor.eat(b'/') {
            return Err(FieldError::Invalid {
                what: "content type",
            });
        }
        cursor.skip_cfws();
        let subtype = cursor.lower_token().ok_or(FieldError::Invalid {
            what: "content subtype",
        })?;
        let params = parse_parameters(&mut cursor, limits)?;
        Ok(ContentType {
            media_type,
            subtype,
            params,
        })
    }

    /// The top-level type, lowercased (`text`, `multipart`, ...).
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The subtype, lowercased (`plain`, `mixed`, ...).
    pub fn subtype(&self) -> &str {
        &self.subtype
    }

    /// `type/subtype`, lowercased.
    pub fn essence(&self) -> String {
        let mut s = String::with_capacity(self.media_type.len() + 1 + self.subtype.len());
        s.push_str(&self.media_type);
        s.push('/');
        s.push_str(&self.subtype);
        s
    }

    /// Whether this is `media_type/subtype` (ASCII case-insensitive).
    pub fn is(&self, media_type: &str, subtype: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type)
            && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// Whether the type is `multipart`.
    pub fn is_multipart(&self) -> bool {
        self.media_type == "multipart"
    }

    /// Whether the type is `text`.
    pub fn is_text(&self) -> bool {
        self.media_type == "text"
    }

    /// Whether the type is `message`.
    pub fn is_message(&self) -> bool {
        self.media_type == "message"
    }

    /// The parameters.
    pub fn params(&self) -> &Parameters<'a> {
        &self.params
    }

    /// The parameters, for editing.
    pub fn params_mut(&mut self) -> &mut Parameters<'a> {
        &mut self.params
    }

    /// The `charset` parameter, as written (labels are case-insensitive).
    pub fn charset(&self) -> Option<&str> {
        self.params.get("charset")
    }

    /// The `boundary` parameter of a multipart type.
    pub fn boundary(&self) -> Option<&str> {
        self.params.get("boundary")
    }

    /// The `name` parameter (the old way to name an attachment), with RFC
    /// 2231 and RFC 2047-in-quoted-string forms decoded.
    pub fn name(&self) -> Option<Cow<'_, str>> {
        self.params.get_decoded("name")
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> ContentType<'static> {
        ContentType {
            media_type: Cow::Owned(self.media_type.into_owned()),
            subtype: Cow::Owned(self.subtype.into_owned()),
            params: self.params.into_owned(),
        }
    }
}

/// The disposition type of a Content-Disposition value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DispositionType<'a> {
    /// `inline`.
    Inline,
    /// `attachment`.
    Attachment,
    /// Any other token, lowercased (`form-data`, extensions).
    Other(Cow<'a, str>),
}

impl DispositionType<'_> {
    /// The token, lowercased.
    pub fn as_str(&self) -> &str {
        match self {
            DispositionType::Inline => "inline",
            DispositionType::Attachment => "attachment",
            DispositionType::Other(other) => other,
        }
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> DispositionType<'static> {
        match self {
            DispositionType::Inline => DispositionType::Inline,
            DispositionType::Attachment => DispositionType::Attachment,
            DispositionType::Other(other) => DispositionType::Other(Cow::Owned(other.into_owned())),
        }
    }
}

/// A parsed Content-Disposition value: `disposition-type; parameters`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentDisposition<'a> {
    disposition: DispositionType<'a>,
    params: Parameters<'a>,
}

impl<'a> ContentDisposition<'a> {
    /// A disposition without parameters.
    pub fn new(disposition: DispositionType<'a>) -> Self {
        ContentDisposition {
            disposition,
            params: Parameters::new(),
        }
    }

    /// Parses a raw Content-Disposition value with default limits.
    pub fn parse(raw: &'a [u8]) -> Result<Self, FieldError> {
        Self::parse_with_limits(raw, &ParameterLimits::DEFAULT)
    }

    /// Parses a raw Content-Disposition value with explicit limits.
    pub fn parse_with_limits(raw: &'a [u8], limits: &ParameterLimits) -> Result<Self, FieldError> {
        let mut cursor = Cursor::checked(raw);
        cursor.skip_cfws();
        if cursor.at_end() {
            return Err(FieldError::Empty);
        }
        let token = cursor.lower_token().ok_or(FieldError::Invalid {
            what: "disposition type",
        })?;
        let disposition = match token.as_ref() {
            "inline" => DispositionType::Inline,
            "attachment" => DispositionType::Attachment,
            _ => DispositionType::Other(token),
        };
        let params = parse_parameters(&mut cursor, limits)?;
        Ok(ContentDisposition {
            disposition,
            params,
        })
    }

    /// The disposition type.
    pub fn disposition(&self) -> &DispositionType<'a> {
        &self.disposition
    }

    /// Whether the disposition is `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.disposition == DispositionType::Attachment
    }

    /// Whether the disposition is `inline`.
    pub fn is_inline(&self) -> bool {
        self.disposition == DispositionType::Inline
    }

    /// The parameters.
    pub fn params(&self) -> &Parameters<'a> {
        &self.params
    }

    /// The parameters, for editing.
    pub fn params_mut(&mut self) -> &mut Parameters<'a> {
        &mut self.params
    }

    /// The `filename` parameter, with RFC 2231 and RFC 2047-in-quoted-string
    /// forms decoded.
    pub fn filename(&self) -> Option<Cow<'_, str>> {
        self.params.get_decoded("filename")
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> ContentDisposition<'static> {
        ContentDisposition {
            disposition: self.disposition.into_owned(),
            params: self.params.into_owned(),
        }
    }
}

/// The filename of a part: Content-Disposition's `filename`, else
/// Content-Type's `name` (both decoded from RFC 2231 or RFC 2047 forms).
pub fn filename<'s>(
    disposition: Option<&'s ContentDisposition<'_>>,
    content_type: Option<&'s ContentType<'_>>,
) -> Option<Cow<'s, str>> {
    disposition
        .and_then(ContentDisposition::filename)
        .or_else(|| content_type.and_then(ContentType::name))
}

/// A Content-Transfer-Encoding token (RFC 2045 §6.1), case-insensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentTransferEncoding<'a> {
    /// `7bit`, the default when the field is absent.
    #[default]
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `binary`.
    Binary,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `base64`.
    Base64,
    /// Any other token (an `x-` extension or junk), lowercased.
    Other(Cow<'a, str>),
}

impl<'a> ContentTransferEncoding<'a> {
    /// Parses a raw Content-Transfer-Encoding value: the first token, with
    /// surrounding whitespace and comments ignored.
    pub fn parse(raw: &'a [u8]) -> Result<Self, FieldError> {
        let mut cursor = Cursor::checked(raw);
        cursor.skip_cfws();
        if cursor.at_end() {
            return Err(FieldError::Empty);
        }
        let token = cursor.lower_token().ok_or(FieldError::Invalid {
            what: "transfer encoding",
        })?;
        Ok(match token.as_ref() {
            "7bit" => ContentTransferEncoding::SevenBit,
            "8bit" => ContentTransferEncoding::EightBit,
            "binary" => ContentTransferEncoding::Binary,
            "quoted-printable" => ContentTransferEncoding::QuotedPrintable,
            "base64" => ContentTransferEncoding::Base64,
            _ => ContentTransferEncoding::Other(token),
        })
    }

    /// The token, lowercased.
    pub fn as_str(&self) -> &str {
        match self {
            ContentTransferEncoding::SevenBit => "7bit",
            ContentTransferEncoding::EightBit => "8bit",
            ContentTransferEncoding::Binary => "binary",
            ContentTransferEncoding::QuotedPrintable => "quoted-printable",
            ContentTransferEncoding::Base64 => "base64",
            ContentTransferEncoding::Other(other) => other,
        }
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> ContentTransferEncoding<'static> {
        match self {
            ContentTransferEncoding::SevenBit => ContentTransferEncoding::SevenBit,
            ContentTransferEncoding::EightBit => ContentTransferEncoding::EightBit,
            ContentTransferEncoding::Binary => ContentTransferEncoding::Binary,
            ContentTransferEncoding::QuotedPrintable => ContentTransferEncoding::QuotedPrintable,
            ContentTransferEncoding::Base64 => ContentTransferEncoding::Base64,
            ContentTransferEncoding::Other(other) => {
                ContentTransferEncoding::Other(Cow::Owned(other.into_owned()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_basic() {
        let ct = ContentType::parse(b" Text/Plain; charset=\"us-ascii\"").unwrap();
        assert_eq!(ct.media_type(), "text");
        assert_eq!(ct.subtype(), "plain");
        assert_eq!(ct.charset(), Some("us-ascii"));
        assert!(ct.is("TEXT", "plain"));
        assert!(ContentType::parse(b"text").is_err());
        assert_eq!(ContentType::parse(b"  "), Err(FieldError::Empty));
    }

    #[test]
    fn disposition_and_filename_fallback() {
        let cd = ContentDisposition::parse(b"attachment; filename=\"a.txt\"").unwrap();
        assert!(cd.is_attachment());
        let ct = ContentType::parse(b"application/pdf; name=b.pdf").unwrap();
        assert_eq!(filename(Some(&cd), Some(&ct)).as_deref(), Some("a.txt"));
        let cd = ContentDisposition::parse(b"inline").unwrap();
        assert_eq!(filename(Some(&cd), Some(&ct)).as_deref(), Some("b.pdf"));
    }

    #[test]
    fn transfer_encoding_tokens() {
        assert_eq!(
            ContentTransferEncoding::parse(b" BASE64 (yes)").unwrap(),
            ContentTransferEncoding::Base64
        );
        assert_eq!(
            ContentTransferEncoding::parse(b"x-uuencode")
                .unwrap()
                .as_str(),
            "x-uuencode"
        );
    }
}
