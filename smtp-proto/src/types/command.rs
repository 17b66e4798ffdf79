//! SMTP commands (RFC 5321 §4.1.1 and the extensions' verbs).

use std::borrow::Cow;
use std::fmt;

use crate::codec::parse::command as grammar;
use crate::error::DecodeError;
use crate::types::{ForwardPath, Host, MailParameters, RcptParameters, ReversePath, Text};

/// The verb of a command, without its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `EHLO` (RFC 5321 §4.1.1.1).
    Ehlo,
    /// `HELO` (RFC 5321 §4.1.1.1).
    Helo,
    /// `LHLO` (RFC 2033 §4.1), LMTP's EHLO.
    Lhlo,
    /// `MAIL` (RFC 5321 §4.1.1.2).
    Mail,
    /// `RCPT` (RFC 5321 §4.1.1.3).
    Rcpt,
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// `RSET` (RFC 5321 §4.1.1.5).
    Rset,
    /// `VRFY` (RFC 5321 §4.1.1.6).
    Vrfy,
    /// `EXPN` (RFC 5321 §4.1.1.7).
    Expn,
    /// `HELP` (RFC 5321 §4.1.1.8).
    Help,
    /// `NOOP` (RFC 5321 §4.1.1.9).
    Noop,
    /// `QUIT` (RFC 5321 §4.1.1.10).
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH` (RFC 4954).
    Auth,
    /// `BDAT` (RFC 3030).
    Bdat,
}

impl Verb {
    /// The verb on the wire, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Ehlo => "EHLO",
            Verb::Helo => "HELO",
            Verb::Lhlo => "LHLO",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data => "DATA",
            Verb::Rset => "RSET",
            Verb::Vrfy => "VRFY",
            Verb::Expn => "EXPN",
            Verb::Help => "HELP",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH",
            Verb::Bdat => "BDAT",
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Free text argument of VRFY, EXPN, HELP and NOOP: printable ASCII and spaces (UTF-8
/// too when SMTPUTF8 is in effect), not starting or ending with a space.
///
/// RFC 5321 says `String = Atom / Quoted-string`, but real clients send names with
/// spaces (`VRFY John Smith`) and RFC 5321 §3.5 lets servers interpret the string
/// freely, so the codec keeps it whole.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Argument<'a>(Text<'a>);

impl<'a> Argument<'a> {
    /// Validates an argument.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let text = text.into();
        if !grammar::is_argument(text.as_bytes(), true) {
            return Err(DecodeError::InvalidText);
        }
        Ok(Argument(Text::from_cow(text)))
    }

    pub(crate) fn from_valid(octets: &'a [u8]) -> Self {
        Argument(Text::from_valid(octets))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The text, as octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Argument<'static> {
        Argument(self.0.into_owned())
    }
}

/// A SASL mechanism name (RFC 4422 §3.1): `1*20(UPPER-ALPHA / DIGIT / "-" / "_")`.
///
/// Lower case is accepted from the wire (clients typed by hand send `auth plain`) and
/// compared ignoring case; [`Mechanism::as_str`] keeps what was sent.
#[derive(Debug, Clone, Eq, Hash)]
pub struct Mechanism<'a>(Text<'a>);

impl<'a> Mechanism<'a> {
    /// `PLAIN` (RFC 4616).
    pub const PLAIN: Mechanism<'static> = Mechanism(Text::from_static("PLAIN"));
    /// `LOGIN` (draft-murchison-sasl-login).
    pub const LOGIN: Mechanism<'static> = Mechanism(Text::from_static("LOGIN"));
    /// `CRAM-MD5` (RFC 2195).
    pub const CRAM_MD5: Mechanism<'static> = Mechanism(Text::from_static("CRAM-MD5"));
    /// `SCRAM-SHA-256` (RFC 7677).
    pub const SCRAM_SHA_256: Mechanism<'static> = Mechanism(Text::from_static("SCRAM-SHA-256"));
    /// `XOAUTH2` (Google).
    pub const XOAUTH2: Mechanism<'static> = Mechanism(Text::from_static("XOAUTH2"));
    /// `OAUTHBEARER` (RFC 7628).
    pub const OAUTHBEARER: Mechanism<'static> = Mechanism(Text::from_static("OAUTHBEARER"));
    /// `EXTERNAL` (RFC 4422 Appendix A).
    pub const EXTERNAL: Mechanism<'static> = Mechanism(Text::from_static("EXTERNAL"));

    /// Validates a mechanism name (either case).
    pub fn new(name: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let name = name.into();
        if !grammar::is_mechanism(name.as_bytes()) {
            return Err(DecodeError::InvalidMechanism);
        }
        Ok(Mechanism(Text::from_cow(name)))
    }

    pub(crate) fn from_valid(name: &'a [u8]) -> Self {
        Mechanism(Text::from_valid(name))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Mechanism<'static> {
        Mechanism(self.0.into_owned())
    }
}

impl PartialEq for Mechanism<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().eq_ignore_ascii_case(other.0.as_bytes())
    }
}

impl fmt::Display for Mechanism<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A base64 SASL payload as sent on the wire (RFC 4954 §4), possibly empty.
///
/// It carries credentials, so `Debug` shows only its length. [`SaslData::decode`] gives
/// the octets.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SaslData<'a>(Text<'a>);

impl<'a> SaslData<'a> {
    /// The empty response (`=` as an AUTH initial response, an empty line otherwise).
    pub const EMPTY: SaslData<'static> = SaslData(Text::from_static(""));

    /// Validates base64 text (padding required, RFC 4954 §8 `base64`).
    pub fn new(base64: impl Into<Cow<'a, str>>) -> Result<Self, DecodeError> {
        let base64 = base64.into();
        if !grammar::is_base64(base64.as_bytes()) {
            return Err(DecodeError::InvalidBase64);
        }
        Ok(SaslData(Text::from_cow(base64)))
    }

    /// Encodes octets as base64.
    ///
    /// ```
    /// use mailwire_smtp::types::SaslData;
    /// let data = SaslData::encode(b"\0user\0pass");
    /// assert_eq!(data.as_base64(), "AHVzZXIAcGFzcw==");
    /// assert_eq!(data.decode().unwrap().expose(), b"\0user\0pass");
    /// ```
    pub fn encode(raw: &[u8]) -> SaslData<'static> {
        SaslData(Text::from_cow(Cow::Owned(grammar::base64_encode(raw))))
    }

    pub(crate) fn from_valid(base64: &'a [u8]) -> Self {
        SaslData(Text::from_valid(base64))
    }

    /// The base64 text.
    pub fn as_base64(&self) -> &str {
        self.0.as_str()
    }

    /// True for the empty response.
    pub fn is_empty(&self) -> bool {
        self.0.as_bytes().is_empty()
    }

    /// The decoded octets, kept secret.
    pub fn decode(&self) -> Result<mailwire_core::Secret<Vec<u8>>, DecodeError> {
        grammar::base64_decode(self.0.as_bytes()).map(mailwire_core::Secret::new)
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> SaslData<'static> {
        SaslData(self.0.into_owned())
    }
}

impl fmt::Debug for SaslData<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SaslData(<{} base64 chars redacted>)",
            self.0.as_bytes().len()
        )
    }
}

/// A client line during an AUTH exchange (RFC 4954 §4): a base64 response or `*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SaslResponse<'a> {
    /// A response to a 334 challenge.
    Data(SaslData<'a>),
    /// `*`: the client cancels the exchange (answered with 501).
    Cancel,
}

impl SaslResponse<'_> {
    /// A copy that owns its text.
    pub fn into_owned(self) -> SaslResponse<'static> {
        match self {
            SaslResponse::Data(d) => SaslResponse::Data(d.into_owned()),
            SaslResponse::Cancel => SaslResponse::Cancel,
        }
    }
}

/// One SMTP command line.
///
/// Build with the variants and the validating constructors of the argument types; decode
/// with [`crate::codec::decode_command`]; encode with [`crate::codec::encode_command`].
///
/// ```
/// use mailwire_smtp::codec::{decode_command, encode_command, DecodeOptions};
/// use mailwire_smtp::types::Command;
/// use mailwire_core::Status;
///
/// let input = b"MAIL FROM:<a@example.com> SIZE=1000\r\n";
/// let Ok(Status::Complete { value, consumed }) = decode_command(input, &DecodeOptions::default())
/// else { panic!() };
/// assert_eq!(consumed, input.len());
/// let Command::Mail { from, params } = &value else { panic!() };
/// assert_eq!(params.size, Some(1000));
/// assert_eq!(from.to_string(), "<a@example.com>");
/// let mut out = Vec::new();
/// encode_command(&value, &mut out);
/// assert_eq!(out, input);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// `EHLO domain-or-literal`.
    Ehlo {
        /// The client's name for itself.
        host: Host<'a>,
    },
    /// `HELO domain` (an address literal is accepted too, as clients without a name send
    /// one, RFC 5321 §4.1.4).
    Helo {
        /// The client's name for itself.
        host: Host<'a>,
    },
    /// `LHLO domain-or-literal` (LMTP, RFC 2033).
    Lhlo {
        /// The client's name for itself.
        host: Host<'a>,
    },
    /// `MAIL FROM:<reverse-path> [params]`.
    Mail {
        /// The sender, or `<>`.
        from: ReversePath<'a>,
        /// MAIL parameters.
        params: MailParameters<'a>,
    },
    /// `RCPT TO:<forward-path> [params]`.
    Rcpt {
        /// The recipient.
        to: ForwardPath<'a>,
        /// RCPT parameters.
        params: RcptParameters<'a>,
    },
    /// `DATA`.
    Data,
    /// `RSET`.
    Rset,
    /// `VRFY string [SMTPUTF8]`.
    Vrfy {
        /// What to verify.
        target: Argument<'a>,
        /// The `SMTPUTF8` parameter of RFC 6531 §3.7.4.
        smtputf8: bool,
    },
    /// `EXPN string [SMTPUTF8]`.
    Expn {
        /// The list to expand.
        target: Argument<'a>,
        /// The `SMTPUTF8` parameter of RFC 6531 §3.7.4.
        smtputf8: bool,
    },
    /// `HELP [topic]`.
    Help {
        /// The topic, if any.
        topic: Option<Argument<'a>>,
    },
    /// `NOOP [string]` (the string is ignored by servers).
    Noop {
        /// The argument, if any.
        argument: Option<Argument<'a>>,
    },
    /// `QUIT`.
    Quit,
    /// `STARTTLS`.
    StartTls,
    /// `AUTH mechanism [initial-response]`.
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism<'a>,
        /// The initial response; `Some(SaslData::EMPTY)` is sent as `=`.
        initial_response: Option<SaslData<'a>>,
    },
    /// `BDAT chunk-size [LAST]`; the chunk octets follow the line and are not part of
    /// the command.
    Bdat {
        /// The chunk size in octets.
        size: u64,
        /// True for the last chunk.
        last: bool,
    },
}

impl Command<'_> {
    /// The verb.
    pub fn verb(&self) -> Verb {
        match self {
            Command::Ehlo { .. } => Verb::Ehlo,
            Command::Helo { .. } => Verb::Helo,
            Command::Lhlo { .. } => Verb::Lhlo,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Rset => Verb::Rset,
            Command::Vrfy { .. } => Verb::Vrfy,
            Command::Expn { .. } => Verb::Expn,
            Command::Help { .. } => Verb::Help,
            Command::Noop { .. } => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::StartTls => Verb::StartTls,
            Command::Auth { .. } => Verb::Auth,
            Command::Bdat { .. } => Verb::Bdat,
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Command::Ehlo { host } => Command::Ehlo {
                host: host.into_owned(),
            },
            Command::Helo { host } => Command::Helo {
                host: host.into_owned(),
            },
            Command::Lhlo { host } => Command::Lhlo {
                host: host.into_owned(),
            },
            Command::Mail { from, params } => Command::Mail {
                from: from.into_owned(),
                params: params.into_owned(),
            },
            Command::Rcpt { to, params } => Command::Rcpt {
                to: to.into_owned(),
                params: params.into_owned(),
            },
            Command::Data => Command::Data,
            Command::Rset => Command::Rset,
            Command::Vrfy { target, smtputf8 } => Command::Vrfy {
                target: target.into_owned(),
                smtputf8,
            },
            Command::Expn { target, smtputf8 } => Command::Expn {
                target: target.into_owned(),
                smtputf8,
            },
            Command::Help { topic } => Command::Help {
                topic: topic.map(Argument::into_owned),
            },
            Command::Noop { argument } => Command::Noop {
                argument: argument.map(Argument::into_owned),
            },
            Command::Quit => Command::Quit,
            Command::StartTls => Command::StartTls,
            Command::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: mechanism.into_owned(),
                initial_response: initial_response.map(SaslData::into_owned),
            },
            Command::Bdat { size, last } => Command::Bdat { size, last },
        }
    }
}
