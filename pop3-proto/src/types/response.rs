//! POP3 responses: status lines with extended response codes (RFC 2449 §8, RFC 3206,
//! RFC 6856 §5), listings, capabilities and multi-line responses.

use std::borrow::Cow;
use std::fmt;

use super::atoms::{ApopTimestamp, MessageNumber, Text, UniqueId, Word};
use super::capability::Capability;
use crate::error::ValueError;

/// `+OK` or `-ERR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusIndicator {
    /// `+OK`
    Ok,
    /// `-ERR`
    Err,
}

impl StatusIndicator {
    /// The indicator as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusIndicator::Ok => "+OK",
            StatusIndicator::Err => "-ERR",
        }
    }
}

/// The response codes this crate knows, for matching (RFC 2449 §8.1, RFC 3206,
/// RFC 6856 §5). Unknown hierarchical detail below a known code is ignored, as RFC 2449
/// requires ("[SYS/TEMP/DISK]" is [`KnownCode::SysTemp`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KnownCode {
    /// `IN-USE`: authenticated, but the maildrop is in use.
    InUse,
    /// `LOGIN-DELAY`: logged in too recently.
    LoginDelay,
    /// `SYS/TEMP`: a temporary system problem.
    SysTemp,
    /// `SYS/PERM`: a permanent system problem.
    SysPerm,
    /// `SYS` with no (known) detail.
    Sys,
    /// `AUTH`: a problem with the credentials.
    Auth,
    /// `UTF8`: the message needs UTF-8 mode.
    Utf8,
}

/// Maximum number of levels in a response code this crate decodes.
pub const MAX_CODE_LEVELS: usize = 16;

/// An extended response code (RFC 2449 §8): `[level/level/...]`, kept whole, compared
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResponseCode<'a> {
    levels: Vec<Cow<'a, str>>,
}

fn is_code_char(byte: u8) -> bool {
    // rchar: printable ASCII except "/" and "]".
    (0x21..=0x7e).contains(&byte) && byte != b'/' && byte != b']'
}

impl<'a> ResponseCode<'a> {
    /// A code from its levels (`["SYS", "TEMP"]` for `[SYS/TEMP]`).
    pub fn new(levels: Vec<Cow<'a, str>>) -> Result<Self, ValueError> {
        if levels.is_empty() {
            return Err(ValueError::Empty("response code"));
        }
        if levels.len() > MAX_CODE_LEVELS {
            return Err(ValueError::TooLong("response code"));
        }
        for level in &levels {
            if level.is_empty() {
                return Err(ValueError::Empty("response code level"));
            }
            if !level.bytes().all(is_code_char) {
                return Err(ValueError::InvalidCharacter("response code"));
            }
        }
        Ok(ResponseCode { levels })
    }

    /// The code for a [`KnownCode`].
    pub fn known(code: KnownCode) -> ResponseCode<'static> {
        let levels: &[&'static str] = match code {
            KnownCode::InUse => &["IN-USE"],
            KnownCode::LoginDelay => &["LOGIN-DELAY"],
            KnownCode::SysTemp => &["SYS", "TEMP"],
            KnownCode::SysPerm => &["SYS", "PERM"],
            KnownCode::Sys => &["SYS"],
            KnownCode::Auth => &["AUTH"],
            KnownCode::Utf8 => &["UTF8"],
        };
        ResponseCode {
            levels: levels.iter().map(|level| Cow::Borrowed(*level)).collect(),
        }
    }

    /// The levels, as sent.
    pub fn levels(&self) -> impl Iterator<Item = &str> {
        self.levels.iter().map(|level| &**level)
    }

    /// Which known code this is, ignoring unknown detail; `None` for other codes.
    pub fn kind(&self) -> Option<KnownCode> {
        let mut levels = self.levels();
        let first = levels.next()?;
        let is = |level: &str, name: &str| level.eq_ignore_ascii_case(name);
        if is(first, "IN-USE") {
            Some(KnownCode::InUse)
        } else if is(first, "LOGIN-DELAY") {
            Some(KnownCode::LoginDelay)
        } else if is(first, "AUTH") {
            Some(KnownCode::Auth)
        } else if is(first, "UTF8") {
            Some(KnownCode::Utf8)
        } else if is(first, "SYS") {
            match levels.next() {
                Some(detail) if is(detail, "TEMP") => Some(KnownCode::SysTemp),
                Some(detail) if is(detail, "PERM") => Some(KnownCode::SysPerm),
                _ => Some(KnownCode::Sys),
            }
        } else {
            None
        }
    }

    /// The same code, owning its text.
    pub fn into_owned(self) -> ResponseCode<'static> {
        ResponseCode {
            levels: self
                .levels
                .into_iter()
                .map(|level| Cow::Owned(level.into_owned()))
                .collect(),
        }
    }
}

impl fmt::Display for ResponseCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (index, level) in self.levels.iter().enumerate() {
            if index > 0 {
                f.write_str("/")?;
            }
            f.write_str(level)?;
        }
        f.write_str("]")
    }
}

/// One status line: `+OK` or `-ERR`, an optional response code, free text.
///
/// A text that begins with `[` and no code is kept as text when decoded (a server
/// without RESP-CODES may write one); build such lines with a code instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusLine<'a> {
    /// `+OK` or `-ERR`.
    pub status: StatusIndicator,
    /// The extended response code, if any.
    pub code: Option<ResponseCode<'a>>,
    /// The human-readable text (may be empty).
    pub text: Text<'a>,
}

impl<'a> StatusLine<'a> {
    /// `+OK text`.
    pub fn ok(text: Text<'a>) -> Self {
        StatusLine {
            status: StatusIndicator::Ok,
            code: None,
            text,
        }
    }

    /// `-ERR [code] text`.
    pub fn err(code: Option<ResponseCode<'a>>, text: Text<'a>) -> Self {
        StatusLine {
            status: StatusIndicator::Err,
            code,
            text,
        }
    }

    /// True for `+OK`.
    pub fn is_ok(&self) -> bool {
        self.status == StatusIndicator::Ok
    }

    /// The APOP timestamp in a greeting's text (RFC 1939 §7): the first `<...>` of
    /// printable characters.
    pub fn apop_timestamp(&self) -> Option<ApopTimestamp<'static>> {
        let text = self.text.as_bytes();
        let mut rest = text;
        while let Some(start) = rest.iter().position(|b| *b == b'<') {
            let candidate = rest.get(start..).unwrap_or_default();
            if let Some(end) = candidate.iter().position(|b| *b == b'>') {
                let stamp = candidate.get(..=end).unwrap_or_default();
                if let Ok(stamp) = std::str::from_utf8(stamp) {
                    if let Ok(timestamp) = ApopTimestamp::new(stamp) {
                        return Some(timestamp.into_owned());
                    }
                }
            }
            rest = candidate.get(1..).unwrap_or_default();
        }
        None
    }

    /// The same line, owning its data.
    pub fn into_owned(self) -> StatusLine<'static> {
        StatusLine {
            status: self.status,
            code: self.code.map(ResponseCode::into_owned),
            text: self.text.into_owned(),
        }
    }
}

/// STAT's answer (RFC 1939 §5): `+OK count size`, anything after ignored but kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DropListing<'a> {
    /// Messages not marked as deleted.
    pub count: u32,
    /// Their total size in octets.
    pub size: u64,
    /// Text after the size (RFC 1939 discourages it; empty normally).
    pub extra: Text<'a>,
}

impl DropListing<'_> {
    /// The same listing, owning its data.
    pub fn into_owned(self) -> DropListing<'static> {
        DropListing {
            count: self.count,
            size: self.size,
            extra: self.extra.into_owned(),
        }
    }
}

/// A scan listing (RFC 1939 §5): `msg size`, anything after ignored but kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScanListing<'a> {
    /// The message number.
    pub message: MessageNumber,
    /// The exact size in octets (CRLF line ends, not counting stuffing).
    pub size: u64,
    /// Text after the size (discouraged; empty normally).
    pub extra: Text<'a>,
}

impl ScanListing<'_> {
    /// The same listing, owning its data.
    pub fn into_owned(self) -> ScanListing<'static> {
        ScanListing {
            message: self.message,
            size: self.size,
            extra: self.extra.into_owned(),
        }
    }
}

/// A unique-id listing (RFC 1939 §7): `msg unique-id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UniqueIdListing<'a> {
    /// The message number.
    pub message: MessageNumber,
    /// Its unique-id.
    pub unique_id: UniqueId<'a>,
}

impl UniqueIdListing<'_> {
    /// The same listing, owning its data.
    pub fn into_owned(self) -> UniqueIdListing<'static> {
        UniqueIdListing {
            message: self.message,
            unique_id: self.unique_id.into_owned(),
        }
    }
}

/// A language listing (RFC 6856 §3.2): a language tag, maybe a description.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguageListing<'a> {
    /// The language tag (RFC 5646).
    pub tag: Word<'a>,
    /// Its description, in the language itself (may be empty).
    pub description: Text<'a>,
}

impl LanguageListing<'_> {
    /// The same listing, owning its data.
    pub fn into_owned(self) -> LanguageListing<'static> {
        LanguageListing {
            tag: self.tag.into_owned(),
            description: self.description.into_owned(),
        }
    }
}

/// A whole response from server to client.
///
/// A `-ERR` answer to any command, and a `+OK` to commands without data, is
/// [`Response::Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'a> {
    /// One status line.
    Status(StatusLine<'a>),
    /// An AUTH challenge `+ base64` (RFC 5034 §4), decoded.
    Continuation(Vec<u8>),
    /// STAT's `+OK count size`.
    DropListing(DropListing<'a>),
    /// LIST msg's `+OK msg size`.
    ScanListing(ScanListing<'a>),
    /// UIDL msg's `+OK msg unique-id`.
    UniqueIdListing(UniqueIdListing<'a>),
    /// CAPA's list.
    Capabilities {
        /// The first line.
        line: StatusLine<'a>,
        /// One entry per capability line.
        capabilities: Vec<Capability<'a>>,
    },
    /// LIST's scan listings.
    ScanListings {
        /// The first line.
        line: StatusLine<'a>,
        /// One per message not marked as deleted.
        listings: Vec<ScanListing<'a>>,
    },
    /// UIDL's unique-id listings.
    UniqueIdListings {
        /// The first line.
        line: StatusLine<'a>,
        /// One per message not marked as deleted.
        listings: Vec<UniqueIdListing<'a>>,
    },
    /// LANG's language listings.
    Languages {
        /// The first line.
        line: StatusLine<'a>,
        /// One per language.
        languages: Vec<LanguageListing<'a>>,
    },
    /// RETR or TOP: the message, dot-stuffing removed.
    Message {
        /// The first line.
        line: StatusLine<'a>,
        /// The message octets (CRLF line ends), without the terminating `.` line.
        body: Cow<'a, [u8]>,
    },
}

impl Response<'_> {
    /// The same response, owning its data.
    pub fn into_owned(self) -> Response<'static> {
        match self {
            Response::Status(line) => Response::Status(line.into_owned()),
            Response::Continuation(data) => Response::Continuation(data),
            Response::DropListing(drop) => Response::DropListing(drop.into_owned()),
            Response::ScanListing(scan) => Response::ScanListing(scan.into_owned()),
            Response::UniqueIdListing(uid) => Response::UniqueIdListing(uid.into_owned()),
            Response::Capabilities { line, capabilities } => Response::Capabilities {
                line: line.into_owned(),
                capabilities: capabilities
                    .into_iter()
                    .map(Capability::into_owned)
                    .collect(),
            },
            Response::ScanListings { line, listings } => Response::ScanListings {
                line: line.into_owned(),
                listings: listings.into_iter().map(ScanListing::into_owned).collect(),
            },
            Response::UniqueIdListings { line, listings } => Response::UniqueIdListings {
                line: line.into_owned(),
                listings: listings
                    .into_iter()
                    .map(UniqueIdListing::into_owned)
                    .collect(),
            },
            Response::Languages { line, languages } => Response::Languages {
                line: line.into_owned(),
                languages: languages
                    .into_iter()
                    .map(LanguageListing::into_owned)
                    .collect(),
            },
            Response::Message { line, body } => Response::Message {
                line: line.into_owned(),
                body: Cow::Owned(body.into_owned()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_ignore_unknown_detail() {
        let code = |levels: &[&'static str]| {
            ResponseCode::new(levels.iter().map(|l| Cow::Borrowed(*l)).collect()).unwrap()
        };
        assert_eq!(code(&["in-use"]).kind(), Some(KnownCode::InUse));
        assert_eq!(
            code(&["SYS", "TEMP", "DISK"]).kind(),
            Some(KnownCode::SysTemp)
        );
        assert_eq!(code(&["SYS", "perm"]).kind(), Some(KnownCode::SysPerm));
        assert_eq!(code(&["SYS", "OTHER"]).kind(), Some(KnownCode::Sys));
        assert_eq!(
            code(&["LOGIN-DELAY", "X"]).kind(),
            Some(KnownCode::LoginDelay)
        );
        assert_eq!(code(&["AUTH"]).kind(), Some(KnownCode::Auth));
        assert_eq!(code(&["UTF8"]).kind(), Some(KnownCode::Utf8));
        assert_eq!(code(&["X-FOO"]).kind(), None);
        assert_eq!(code(&["SYS", "TEMP"]).to_string(), "[SYS/TEMP]");
        assert!(ResponseCode::new(vec![Cow::Borrowed("A]")]).is_err());
        assert!(ResponseCode::new(vec![]).is_err());
        for known in [KnownCode::InUse, KnownCode::SysPerm, KnownCode::Utf8] {
            assert_eq!(ResponseCode::known(known).kind(), Some(known));
        }
    }

    #[test]
    fn finds_the_apop_timestamp() {
        let line = StatusLine::ok(
            Text::utf8("POP3 server ready <1896.697170952@dbc.mtview.ca.us>").unwrap(),
        );
        assert_eq!(
            line.apop_timestamp().unwrap().as_str(),
            "<1896.697170952@dbc.mtview.ca.us>"
        );
        let line = StatusLine::ok(Text::utf8("a < b > <x@y> ready").unwrap());
        assert_eq!(line.apop_timestamp().unwrap().as_str(), "<x@y>");
        assert!(StatusLine::ok(Text::utf8("Dovecot ready.").unwrap())
            .apop_timestamp()
            .is_none());
    }
}
