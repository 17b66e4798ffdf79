//! Capabilities (CAPABILITY response and code, ENABLE, ENABLED).

use crate::types::{Atom, IntoOwned};

/// A capability name. The ones this crate knows are matched without regard to case and
/// written in their registered spelling; any other is kept as an atom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability<'a> {
    /// `IMAP4rev1` (RFC 3501).
    Imap4Rev1,
    /// `IMAP4rev2` (RFC 9051).
    Imap4Rev2,
    /// `AUTH=` and a SASL mechanism name.
    Auth(Atom<'a>),
    /// `STARTTLS`.
    StartTls,
    /// `LOGINDISABLED`.
    LoginDisabled,
    /// `IDLE` (RFC 2177).
    Idle,
    /// `LITERAL+` (RFC 7888).
    LiteralPlus,
    /// `LITERAL-` (RFC 7888).
    LiteralMinus,
    /// `UIDPLUS` (RFC 4315).
    UidPlus,
    /// `MOVE` (RFC 6851).
    Move,
    /// `ENABLE` (RFC 5161).
    Enable,
    /// `ID` (RFC 2971).
    Id,
    /// `SASL-IR` (RFC 4959).
    SaslIr,
    /// `NAMESPACE` (RFC 2342).
    Namespace,
    /// `UNSELECT` (RFC 3691).
    Unselect,
    /// `CHILDREN` (RFC 3348).
    Children,
    /// `SPECIAL-USE` (RFC 6154).
    SpecialUse,
    /// `CREATE-SPECIAL-USE` (RFC 6154).
    CreateSpecialUse,
    /// `LIST-EXTENDED` (RFC 5258).
    ListExtended,
    /// `LIST-STATUS` (RFC 5819).
    ListStatus,
    /// `ESEARCH` (RFC 4731).
    ESearch,
    /// `SEARCHRES` (RFC 5182).
    SearchRes,
    /// `CONDSTORE` (RFC 7162).
    CondStore,
    /// `QRESYNC` (RFC 7162).
    QResync,
    /// `BINARY` (RFC 3516).
    Binary,
    /// `QUOTA` (RFC 9208).
    Quota,
    /// `QUOTA=RES-` and a resource name (RFC 9208).
    QuotaResource(Atom<'a>),
    /// `QUOTASET` (RFC 9208).
    QuotaSet,
    /// `MULTIAPPEND` (RFC 3502).
    MultiAppend,
    /// `COMPRESS=` and an algorithm (RFC 4978).
    Compress(Atom<'a>),
    /// `UTF8=ACCEPT` (RFC 6855).
    Utf8Accept,
    /// `UTF8=ONLY` (RFC 6855).
    Utf8Only,
    /// `STATUS=SIZE` (RFC 8438).
    StatusSize,
    /// Any other capability.
    Other(Atom<'a>),
}

pub(crate) const SIMPLE_CAPABILITIES: [(&str, Capability<'static>); 28] = [
    ("IMAP4rev1", Capability::Imap4Rev1),
    ("IMAP4rev2", Capability::Imap4Rev2),
    ("STARTTLS", Capability::StartTls),
    ("LOGINDISABLED", Capability::LoginDisabled),
    ("IDLE", Capability::Idle),
    ("LITERAL+", Capability::LiteralPlus),
    ("LITERAL-", Capability::LiteralMinus),
    ("UIDPLUS", Capability::UidPlus),
    ("MOVE", Capability::Move),
    ("ENABLE", Capability::Enable),
    ("ID", Capability::Id),
    ("SASL-IR", Capability::SaslIr),
    ("NAMESPACE", Capability::Namespace),
    ("UNSELECT", Capability::Unselect),
    ("CHILDREN", Capability::Children),
    ("SPECIAL-USE", Capability::SpecialUse),
    ("CREATE-SPECIAL-USE", Capability::CreateSpecialUse),
    ("LIST-EXTENDED", Capability::ListExtended),
    ("LIST-STATUS", Capability::ListStatus),
    ("ESEARCH", Capability::ESearch),
    ("SEARCHRES", Capability::SearchRes),
    ("CONDSTORE", Capability::CondStore),
    ("QRESYNC", Capability::QResync),
    ("BINARY", Capability::Binary),
    ("QUOTA", Capability::Quota),
    ("QUOTASET", Capability::QuotaSet),
    ("MULTIAPPEND", Capability::MultiAppend),
    ("UTF8=ACCEPT", Capability::Utf8Accept),
];

const MORE_SIMPLE: [(&str, Capability<'static>); 2] = [
    ("UTF8=ONLY", Capability::Utf8Only),
    ("STATUS=SIZE", Capability::StatusSize),
];

impl<'a> Capability<'a> {
    /// Classifies an atom.
    pub fn from_atom(atom: Atom<'a>) -> Self {
        let name = atom.as_str();
        for (known, capability) in SIMPLE_CAPABILITIES.iter().chain(MORE_SIMPLE.iter()) {
            if name.eq_ignore_ascii_case(known) {
                return capability.clone();
            }
        }
        for (prefix, kind) in [("AUTH=", 0u8), ("COMPRESS=", 1), ("QUOTA=RES-", 2)] {
            let matches = name
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix));
            if !matches {
                continue;
            }
            if let Some(rest) = atom.tail(prefix.len()) {
                return match kind {
                    0 => Capability::Auth(rest),
                    1 => Capability::Compress(rest),
                    _ => Capability::QuotaResource(rest),
                };
            }
            break;
        }
        Capability::Other(atom)
    }

    /// The name of a capability without an argument, as registered.
    pub(crate) fn simple_name(&self) -> Option<&'static str> {
        SIMPLE_CAPABILITIES
            .iter()
            .chain(MORE_SIMPLE.iter())
            .find(|(_, known)| known == self)
            .map(|(name, _)| *name)
    }
}

impl IntoOwned for Capability<'_> {
    type Owned = Capability<'static>;
    fn into_owned(self) -> Capability<'static> {
        match self {
            Capability::Auth(atom) => Capability::Auth(atom.into_owned()),
            Capability::QuotaResource(atom) => Capability::QuotaResource(atom.into_owned()),
            Capability::Compress(atom) => Capability::Compress(atom.into_owned()),
            Capability::Other(atom) => Capability::Other(atom.into_owned()),
            Capability::Imap4Rev1 => Capability::Imap4Rev1,
            Capability::Imap4Rev2 => Capability::Imap4Rev2,
            Capability::StartTls => Capability::StartTls,
            Capability::LoginDisabled => Capability::LoginDisabled,
            Capability::Idle => Capability::Idle,
            Capability::LiteralPlus => Capability::LiteralPlus,
            Capability::LiteralMinus => Capability::LiteralMinus,
            Capability::UidPlus => Capability::UidPlus,
            Capability::Move => Capability::Move,
            Capability::Enable => Capability::Enable,
            Capability::Id => Capability::Id,
            Capability::SaslIr => Capability::SaslIr,
            Capability::Namespace => Capability::Namespace,
            Capability::Unselect => Capability::Unselect,
            Capability::Children => Capability::Children,
            Capability::SpecialUse => Capability::SpecialUse,
            Capability::CreateSpecialUse => Capability::CreateSpecialUse,
            Capability::ListExtended => Capability::ListExtended,
            Capability::ListStatus => Capability::ListStatus,
            Capability::ESearch => Capability::ESearch,
            Capability::SearchRes => Capability::SearchRes,
            Capability::CondStore => Capability::CondStore,
            Capability::QResync => Capability::QResync,
            Capability::Binary => Capability::Binary,
            Capability::Quota => Capability::Quota,
            Capability::QuotaSet => Capability::QuotaSet,
            Capability::MultiAppend => Capability::MultiAppend,
            Capability::Utf8Accept => Capability::Utf8Accept,
            Capability::Utf8Only => Capability::Utf8Only,
            Capability::StatusSize => Capability::StatusSize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_case_insensitively() {
        let classify = |name: &'static str| Capability::from_atom(Atom::new(name).unwrap());
        assert_eq!(classify("imap4REV1"), Capability::Imap4Rev1);
        assert_eq!(classify("literal+"), Capability::LiteralPlus);
        assert_eq!(
            classify("AUTH=PLAIN"),
            Capability::Auth(Atom::new("PLAIN").unwrap())
        );
        assert_eq!(
            classify("compress=deflate"),
            Capability::Compress(Atom::new("deflate").unwrap())
        );
        assert_eq!(
            classify("QUOTA=RES-STORAGE"),
            Capability::QuotaResource(Atom::new("STORAGE").unwrap())
        );
        assert_eq!(
            classify("AUTH="),
            Capability::Other(Atom::new("AUTH=").unwrap())
        );
        assert_eq!(
            classify("XFOO"),
            Capability::Other(Atom::new("XFOO").unwrap())
        );
        assert_eq!(Capability::Utf8Only.simple_name(), Some("UTF8=ONLY"));
    }
}
