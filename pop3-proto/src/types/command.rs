//! POP3 commands (RFC 1939, 2449, 2595, 5034, 6856).

use mailwire_core::Secret;

use super::atoms::{ApopDigest, Mechanism, MessageNumber, Password, Word};

/// A command from client to server.
///
/// Keywords are case-insensitive on the wire and written in upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `USER name` (RFC 1939 §7).
    User(Word<'a>),
    /// `PASS string` (RFC 1939 §7); the rest of the line, spaces included.
    Pass(Password<'a>),
    /// `APOP name digest` (RFC 1939 §7).
    Apop {
        /// The mailbox name.
        name: Word<'a>,
        /// MD5 of the greeting's timestamp and the shared secret.
        digest: ApopDigest,
    },
    /// `STAT` (RFC 1939 §5).
    Stat,
    /// `LIST [msg]` (RFC 1939 §5).
    List(Option<MessageNumber>),
    /// `RETR msg` (RFC 1939 §5).
    Retr(MessageNumber),
    /// `DELE msg` (RFC 1939 §5).
    Dele(MessageNumber),
    /// `NOOP` (RFC 1939 §5).
    Noop,
    /// `RSET` (RFC 1939 §5).
    Rset,
    /// `QUIT` (RFC 1939 §4, §6).
    Quit,
    /// `TOP msg n` (RFC 1939 §7): the headers and the first `lines` body lines.
    Top {
        /// The message.
        message: MessageNumber,
        /// How many body lines.
        lines: u32,
    },
    /// `UIDL [msg]` (RFC 1939 §7).
    Uidl(Option<MessageNumber>),
    /// `CAPA` (RFC 2449 §5).
    Capa,
    /// `STLS` (RFC 2595 §4).
    Stls,
    /// `AUTH mechanism [initial-response]` (RFC 5034 §4).
    Auth {
        /// The SASL mechanism.
        mechanism: Mechanism<'a>,
        /// The initial response, already base64-decoded; `Some` of an empty value is
        /// sent as `=`.
        initial_response: Option<Secret<Vec<u8>>>,
    },
    /// `UTF8` (RFC 6856 §2.1).
    Utf8,
    /// `LANG [range]` (RFC 6856 §3): without a range, asks for the language listing.
    Lang(Option<Word<'a>>),
}

/// The keyword of a command, without its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandName {
    /// USER
    User,
    /// PASS
    Pass,
    /// APOP
    Apop,
    /// STAT
    Stat,
    /// LIST
    List,
    /// RETR
    Retr,
    /// DELE
    Dele,
    /// NOOP
    Noop,
    /// RSET
    Rset,
    /// QUIT
    Quit,
    /// TOP
    Top,
    /// UIDL
    Uidl,
    /// CAPA
    Capa,
    /// STLS
    Stls,
    /// AUTH
    Auth,
    /// UTF8
    Utf8,
    /// LANG
    Lang,
}

impl CommandName {
    /// The upper-case keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandName::User => "USER",
            CommandName::Pass => "PASS",
            CommandName::Apop => "APOP",
            CommandName::Stat => "STAT",
            CommandName::List => "LIST",
            CommandName::Retr => "RETR",
            CommandName::Dele => "DELE",
            CommandName::Noop => "NOOP",
            CommandName::Rset => "RSET",
            CommandName::Quit => "QUIT",
            CommandName::Top => "TOP",
            CommandName::Uidl => "UIDL",
            CommandName::Capa => "CAPA",
            CommandName::Stls => "STLS",
            CommandName::Auth => "AUTH",
            CommandName::Utf8 => "UTF8",
            CommandName::Lang => "LANG",
        }
    }

    /// The command for a keyword, case-insensitively.
    pub fn from_keyword(keyword: &[u8]) -> Option<Self> {
        const ALL: [CommandName; 17] = [
            CommandName::User,
            CommandName::Pass,
            CommandName::Apop,
            CommandName::Stat,
            CommandName::List,
            CommandName::Retr,
            CommandName::Dele,
            CommandName::Noop,
            CommandName::Rset,
            CommandName::Quit,
            CommandName::Top,
            CommandName::Uidl,
            CommandName::Capa,
            CommandName::Stls,
            CommandName::Auth,
            CommandName::Utf8,
            CommandName::Lang,
        ];
        ALL.into_iter()
            .find(|name| name.as_str().as_bytes().eq_ignore_ascii_case(keyword))
    }
}

/// What shape the server's answer to a command takes; it decides how a response is
/// decoded (see [`crate::codec::decode_response`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseKind {
    /// The server greeting: one `+OK`/`-ERR` line, maybe with an APOP timestamp.
    Greeting,
    /// One status line.
    Status,
    /// A status line or, during AUTH, a `+ base64` challenge.
    Auth,
    /// STAT: `+OK count size`.
    DropListing,
    /// LIST msg: `+OK msg size`.
    ScanListing,
    /// LIST: `+OK` then scan listings then `.`.
    ScanListings,
    /// UIDL msg: `+OK msg unique-id`.
    UniqueIdListing,
    /// UIDL: `+OK` then unique-id listings then `.`.
    UniqueIdListings,
    /// CAPA: `+OK` then capabilities then `.`.
    Capabilities,
    /// LANG without argument: `+OK` then language listings then `.`.
    Languages,
    /// RETR and TOP: `+OK` then the dot-stuffed message then `.`.
    Message,
}

impl Command<'_> {
    /// The command's keyword.
    pub fn name(&self) -> CommandName {
        match self {
            Command::User(_) => CommandName::User,
            Command::Pass(_) => CommandName::Pass,
            Command::Apop { .. } => CommandName::Apop,
            Command::Stat => CommandName::Stat,
            Command::List(_) => CommandName::List,
            Command::Retr(_) => CommandName::Retr,
            Command::Dele(_) => CommandName::Dele,
            Command::Noop => CommandName::Noop,
            Command::Rset => CommandName::Rset,
            Command::Quit => CommandName::Quit,
            Command::Top { .. } => CommandName::Top,
            Command::Uidl(_) => CommandName::Uidl,
            Command::Capa => CommandName::Capa,
            Command::Stls => CommandName::Stls,
            Command::Auth { .. } => CommandName::Auth,
            Command::Utf8 => CommandName::Utf8,
            Command::Lang(_) => CommandName::Lang,
        }
    }

    /// The shape of the response to this command.
    pub fn response_kind(&self) -> ResponseKind {
        match self {
            Command::Stat => ResponseKind::DropListing,
            Command::List(Some(_)) => ResponseKind::ScanListing,
            Command::List(None) => ResponseKind::ScanListings,
            Command::Uidl(Some(_)) => ResponseKind::UniqueIdListing,
            Command::Uidl(None) => ResponseKind::UniqueIdListings,
            Command::Retr(_) | Command::Top { .. } => ResponseKind::Message,
            Command::Capa => ResponseKind::Capabilities,
            Command::Lang(None) => ResponseKind::Languages,
            Command::Auth { .. } => ResponseKind::Auth,
            _ => ResponseKind::Status,
        }
    }

    /// The same command, owning its data.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Command::User(name) => Command::User(name.into_owned()),
            Command::Pass(password) => Command::Pass(password.into_owned()),
            Command::Apop { name, digest } => Command::Apop {
                name: name.into_owned(),
                digest,
            },
            Command::Stat => Command::Stat,
            Command::List(message) => Command::List(message),
            Command::Retr(message) => Command::Retr(message),
            Command::Dele(message) => Command::Dele(message),
            Command::Noop => Command::Noop,
            Command::Rset => Command::Rset,
            Command::Quit => Command::Quit,
            Command::Top { message, lines } => Command::Top { message, lines },
            Command::Uidl(message) => Command::Uidl(message),
            Command::Capa => Command::Capa,
            Command::Stls => Command::Stls,
            Command::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: mechanism.into_owned(),
                initial_response,
            },
            Command::Utf8 => Command::Utf8,
            Command::Lang(range) => Command::Lang(range.map(Word::into_owned)),
        }
    }
}

/// A client line during an AUTH exchange (RFC 5034 §4): base64 data, or `*` to cancel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslResponse {
    /// The decoded response (empty for an empty line).
    Data(Secret<Vec<u8>>),
    /// `*`: the client cancels the exchange.
    Cancel,
}
