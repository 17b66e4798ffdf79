//! Limits that bound the work and memory spent on one message.
//!
//! Both parsers ([`Message`](crate::tree::Message) and
//! [`StreamParser`](crate::stream::StreamParser)) check every count and length
//! against these before they allocate for it. Exceeding a limit is an error
//! ([`ParseError`](crate::error::ParseError)) that names the limit: the message is
//! refused rather than silently cut, so a caller can decide (raise the limit, or
//! treat the message as one opaque part). The defaults are far above what real mail
//! needs and low enough that a hostile message cannot exhaust memory.

use crate::header::{HeaderLimits, ParameterLimits};

/// Limits for parsing one message. Build one from [`Limits::DEFAULT`] with the
/// `with_*` methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Limits of every header section (the message's and each part's): number of
    /// fields (default 1000), length of one header line (default 32 KiB), size of
    /// one header section (default 1 MiB). See [`HeaderLimits`].
    pub header: HeaderLimits,
    /// Limits of the parameter lists of Content-Type and Content-Disposition:
    /// number of parameters (default 128) and of RFC 2231 continuation sections of
    /// one parameter (default 64). See [`ParameterLimits`].
    pub params: ParameterLimits,
    /// How deeply multiparts and encapsulated messages (message/rfc822,
    /// message/global) may nest. The top-level message is depth 0, its parts are
    /// depth 1, and so on; a part deeper than this is an error. Default 100, as in
    /// Dovecot; RFC 2046 sets no limit. The tree parser recurses once per level, so
    /// keep this in the hundreds (a few hundred bytes of stack per level).
    pub max_depth: usize,
    /// How many entities one message may have in all: the message itself, every
    /// body part and every encapsulated message. Default 10 000.
    pub max_parts: usize,
    /// How many spaces and tabs (RFC 2046 "transport padding") may follow a
    /// boundary delimiter on its line. A longer run makes the line ordinary body
    /// text. Default 998, the longest line RFC 5322 allows; the streaming parser
    /// holds at most this plus the boundary back while it decides.
    pub max_transport_padding: usize,
}

impl Limits {
    /// The documented defaults (see each field).
    pub const DEFAULT: Limits = Limits {
        header: HeaderLimits::DEFAULT,
        params: ParameterLimits::DEFAULT,
        max_depth: 100,
        max_parts: 10_000,
        max_transport_padding: 998,
    };

    /// Returns these limits with the header section limits replaced.
    #[must_use]
    pub fn with_header(mut self, header: HeaderLimits) -> Self {
        self.header = header;
        self
    }

    /// Returns these limits with the parameter list limits replaced.
    #[must_use]
    pub fn with_params(mut self, params: ParameterLimits) -> Self {
        self.params = params;
        self
    }

    /// Returns these limits with `max_depth` replaced.
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Returns these limits with `max_parts` replaced.
    #[must_use]
    pub fn with_max_parts(mut self, max_parts: usize) -> Self {
        self.max_parts = max_parts;
        self
    }

    /// Returns these limits with `max_transport_padding` replaced.
    #[must_use]
    pub fn with_max_transport_padding(mut self, max_transport_padding: usize) -> Self {
        self.max_transport_padding = max_transport_padding;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
