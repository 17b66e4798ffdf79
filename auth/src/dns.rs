//! DNS as an input: the questions an evaluator asks and the answers the caller hands back.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The record types the evaluators ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RecordType {
    /// TXT (policy records).
    Txt,
    /// A (IPv4 addresses).
    A,
    /// AAAA (IPv6 addresses).
    Aaaa,
    /// MX (mail exchangers).
    Mx,
    /// PTR (reverse names).
    Ptr,
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Txt => "TXT",
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Mx => "MX",
            Self::Ptr => "PTR",
        })
    }
}

/// One DNS question: a name (without trailing dot) and a record type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Question {
    /// The domain name asked about.
    pub name: String,
    /// The record type asked for.
    pub record_type: RecordType,
}

impl Question {
    /// A question for `name` and `record_type`.
    pub fn new(name: impl Into<String>, record_type: RecordType) -> Self {
        Self {
            name: name.into(),
            record_type,
        }
    }
}

/// One resource record of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Record {
    /// A TXT record, its character-strings already concatenated (RFC 7208 §3.3).
    Txt(String),
    /// An A record.
    A(Ipv4Addr),
    /// An AAAA record.
    Aaaa(Ipv6Addr),
    /// An MX record.
    Mx {
        /// The preference (lower is preferred).
        preference: u16,
        /// The exchange host name.
        exchange: String,
    },
    /// A PTR record.
    Ptr(String),
}

/// The outcome of a DNS query, as the caller's resolver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// RCODE 0 with these records (possibly none: "no data"). Records of types other than
    /// the one asked are ignored, so CNAME chains may be passed through as resolved.
    Records(Vec<Record>),
    /// RCODE 3, the name does not exist.
    NxDomain,
    /// Any other failure: SERVFAIL, timeout, refused.
    Error,
}
