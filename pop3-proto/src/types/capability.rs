//! CAPA capabilities (RFC 2449 §6, RFC 2595 §4, RFC 5034 §3, RFC 6856 §2-3).

use super::atoms::{Mechanism, Text, Word};

/// EXPIRE's retention policy (RFC 2449 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpirePolicy {
    /// Messages are kept at least this many days (0: not left on the server).
    Days(u32),
    /// The server does not delete messages.
    Never,
}

/// One capability line of a CAPA response. Tags are case-insensitive on the wire and
/// written in upper case; a known tag with parameters this crate does not understand is
/// kept as [`Capability::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability<'a> {
    /// `TOP`: the TOP command.
    Top,
    /// `USER`: USER and PASS.
    User,
    /// `SASL mech...`: AUTH with these mechanisms (RFC 5034 §3).
    Sasl(Vec<Mechanism<'a>>),
    /// `RESP-CODES`: texts starting with `[` are response codes.
    RespCodes,
    /// `LOGIN-DELAY seconds [USER]`.
    LoginDelay {
        /// Minimum seconds between logins.
        seconds: u32,
        /// `USER`: a more precise value is announced after login.
        per_user: bool,
    },
    /// `PIPELINING`: commands may be sent without waiting.
    Pipelining,
    /// `EXPIRE days|NEVER [USER]`.
    Expire {
        /// The retention policy.
        policy: ExpirePolicy,
        /// `USER`: a more precise value is announced after login.
        per_user: bool,
    },
    /// `UIDL`: the UIDL command.
    Uidl,
    /// `IMPLEMENTATION text`: the server's name.
    Implementation(Text<'a>),
    /// `STLS` (RFC 2595).
    Stls,
    /// `UTF8 [USER]` (RFC 6856 §2); `user`: UTF-8 user names and passwords accepted.
    Utf8 {
        /// `USER` argument present.
        user: bool,
    },
    /// `LANG` (RFC 6856 §3).
    Lang,
    /// Any other capability.
    Other {
        /// The tag (no `.`).
        tag: Word<'a>,
        /// Its parameters.
        params: Vec<Word<'a>>,
    },
}

impl Capability<'_> {
    /// True when the tag is `tag` (case-insensitive), whatever the parameters.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tag().eq_ignore_ascii_case(tag)
    }

    /// The tag, upper case for the known ones.
    pub fn tag(&self) -> &str {
        match self {
            Capability::Top => "TOP",
            Capability::User => "USER",
            Capability::Sasl(_) => "SASL",
            Capability::RespCodes => "RESP-CODES",
            Capability::LoginDelay { .. } => "LOGIN-DELAY",
            Capability::Pipelining => "PIPELINING",
            Capability::Expire { .. } => "EXPIRE",
            Capability::Uidl => "UIDL",
            Capability::Implementation(_) => "IMPLEMENTATION",
            Capability::Stls => "STLS",
            Capability::Utf8 { .. } => "UTF8",
            Capability::Lang => "LANG",
            Capability::Other { tag, .. } => tag.as_str(),
        }
    }

    /// The same capability, owning its data.
    pub fn into_owned(self) -> Capability<'static> {
        match self {
            Capability::Top => Capability::Top,
            Capability::User => Capability::User,
            Capability::Sasl(mechanisms) => {
                Capability::Sasl(mechanisms.into_iter().map(Mechanism::into_owned).collect())
            }
            Capability::RespCodes => Capability::RespCodes,
            Capability::LoginDelay { seconds, per_user } => {
                Capability::LoginDelay { seconds, per_user }
            }
            Capability::Pipelining => Capability::Pipelining,
            Capability::Expire { policy, per_user } => Capability::Expire { policy, per_user },
            Capability::Uidl => Capability::Uidl,
            Capability::Implementation(text) => Capability::Implementation(text.into_owned()),
            Capability::Stls => Capability::Stls,
            Capability::Utf8 { user } => Capability::Utf8 { user },
            Capability::Lang => Capability::Lang,
            Capability::Other { tag, params } => Capability::Other {
                tag: tag.into_owned(),
                params: params.into_iter().map(Word::into_owned).collect(),
            },
        }
    }
}
