//! The Authentication-Results header field (RFC 8601) built from evaluation results.

use std::fmt::Write as _;

use crate::dkim::{DkimOutcome, DkimResult};
use crate::dmarc::{DkimIdentity, DmarcOutcome};
use crate::spf::SpfResult;

/// One `method=result ptype.property=value ...` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ResultEntry {
    method: &'static str,
    result: &'static str,
    properties: Vec<(&'static str, String)>,
}

/// Builds an `Authentication-Results:` field for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResults {
    authserv_id: String,
    entries: Vec<ResultEntry>,
}

impl AuthenticationResults {
    /// An empty field for the server identified by `authserv_id` (its host name).
    pub fn new(authserv_id: &str) -> Self {
        Self {
            authserv_id: authserv_id.to_owned(),
            entries: Vec::new(),
        }
    }

    /// Adds `spf=<result> smtp.mailfrom=<sender>` (or `smtp.helo=` when the reverse-path was
    /// empty and the HELO identity was checked: pass an empty `mail_from`).
    pub fn spf(mut self, result: SpfResult, mail_from: &str, helo: &str) -> Self {
        let property = if mail_from.is_empty() {
            ("smtp.helo", helo.to_owned())
        } else {
            ("smtp.mailfrom", mail_from.to_owned())
        };
        self.entries.push(ResultEntry {
            method: "spf",
            result: result.as_str(),
            properties: vec![property],
        });
        self
    }

    /// Adds `dkim=pass|fail header.d=<domain>` for one signature.
    pub fn dkim(mut self, signature: &DkimIdentity) -> Self {
        self.entries.push(ResultEntry {
            method: "dkim",
            result: if signature.pass { "pass" } else { "fail" },
            properties: vec![("header.d", signature.domain.clone())],
        });
        self
    }

    /// Adds one verified DKIM signature: `dkim=<result> reason="..." header.d=<d>
    /// header.s=<s> header.a=<a>` (the reason for anything but pass, so a neutral `l=`
    /// signature says that unsigned content follows). For a message without signatures,
    /// see [`Self::dkim_none`].
    pub fn dkim_outcome(mut self, outcome: &DkimOutcome) -> Self {
        let mut properties = Vec::new();
        if outcome.result != DkimResult::Pass {
            let shown = outcome.result.to_string();
            let reason = shown
                .split_once(" (")
                .map_or(shown.as_str(), |(_, reason)| reason.trim_end_matches(')'));
            properties.push(("reason", reason.to_owned()));
        }
        for (property, value) in [
            ("header.d", &outcome.domain),
            ("header.s", &outcome.selector),
            ("header.a", &outcome.algorithm),
        ] {
            if !value.is_empty() {
                properties.push((property, value.clone()));
            }
        }
        self.entries.push(ResultEntry {
            method: "dkim",
            result: outcome.result.as_str(),
            properties,
        });
        self
    }

    /// Adds `dkim=none`: the message carries no DKIM signature.
    pub fn dkim_none(mut self) -> Self {
        self.entries.push(ResultEntry {
            method: "dkim",
            result: "none",
            properties: Vec::new(),
        });
        self
    }

    /// Adds `dmarc=<result> header.from=<from domain>`.
    pub fn dmarc(mut self, outcome: &DmarcOutcome, from_domain: &str) -> Self {
        self.entries.push(ResultEntry {
            method: "dmarc",
            result: outcome.result.as_str(),
            properties: vec![("header.from", from_domain.to_owned())],
        });
        self
    }

    /// The field value (after `Authentication-Results:`), one result per folded line; `none`
    /// when no method was added (RFC 8601 §2.2).
    pub fn value(&self) -> String {
        let mut out = format!(" {};", render_value(&self.authserv_id));
        if self.entries.is_empty() {
            out.push_str(" none");
            return out;
        }
        let count = self.entries.len();
        for (index, entry) in self.entries.iter().enumerate() {
            let _ = write!(out, "\r\n\t{}={}", entry.method, entry.result);
            for (property, value) in &entry.properties {
                let _ = write!(out, " {property}={}", render_value(value));
            }
            if index + 1 < count {
                out.push(';');
            }
        }
        out
    }

    /// The whole field, `Authentication-Results:` and value, without the final CRLF.
    pub fn to_header(&self) -> String {
        format!("Authentication-Results:{}", self.value())
    }
}

/// A property value: kept bare when it is a token or `local-part@domain` of atext, quoted
/// otherwise, so no input can break out of the field (CR/LF are dropped).
fn render_value(value: &str) -> String {
    let is_atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    let bare = !value.is_empty()
        && value.split('@').count() <= 2
        && value
            .split('@')
            .all(|part| !part.is_empty() && part.chars().all(is_atext));
    if bare {
        return value.to_owned();
    }
    let mut quoted = String::from("\"");
    for c in value.chars().filter(|c| !matches!(c, '\r' | '\n')) {
        if matches!(c, '"' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmarc::{DmarcResult, Policy};

    #[test]
    fn all_three_methods() {
        let dmarc = DmarcOutcome {
            result: DmarcResult::Pass,
            disposition: Policy::None,
            policy_domain: Some("example.com".into()),
            record: None,
            spf_aligned: true,
            dkim_aligned: true,
        };
        let header = AuthenticationResults::new("mx.example.net")
            .spf(SpfResult::Pass, "bounce@example.com", "mail.example.com")
            .dkim(&DkimIdentity {
                pass: true,
                domain: "example.com".into(),
            })
            .dmarc(&dmarc, "example.com")
            .to_header();
        assert_eq!(
            header,
            "Authentication-Results: mx.example.net;\r\n\
             \tspf=pass smtp.mailfrom=bounce@example.com;\r\n\
             \tdkim=pass header.d=example.com;\r\n\
             \tdmarc=pass header.from=example.com"
        );
    }

    #[test]
    fn dkim_outcomes() {
        use crate::dkim::{DkimNeutral, DkimPermError};
        let mut outcome = DkimOutcome {
            result: DkimResult::Pass,
            domain: "example.com".into(),
            selector: "sel".into(),
            identity: "@example.com".into(),
            algorithm: "ed25519-sha256".into(),
            body_length: Some(10),
            unsigned_body_octets: 0,
            testing: false,
        };
        let pass = AuthenticationResults::new("mx.example.net")
            .dkim_outcome(&outcome)
            .to_header();
        assert_eq!(
            pass,
            "Authentication-Results: mx.example.net;\r\n\tdkim=pass header.d=example.com header.s=sel header.a=ed25519-sha256"
        );
        outcome.result = DkimResult::Neutral(DkimNeutral::UnsignedContent { unsigned_octets: 9 });
        outcome.algorithm = String::new();
        let neutral = AuthenticationResults::new("mx.example.net")
            .dkim_outcome(&outcome)
            .dkim_none()
            .to_header();
        assert_eq!(
            neutral,
            "Authentication-Results: mx.example.net;\r\n\tdkim=neutral reason=\"unsigned content follows the signed body length\" header.d=example.com header.s=sel;\r\n\tdkim=none"
        );
        outcome.result = DkimResult::PermError(DkimPermError::WeakAlgorithm);
        let weak = AuthenticationResults::new("mx")
            .dkim_outcome(&outcome)
            .value();
        assert!(
            weak.contains("dkim=permerror reason=\"rsa-sha1 is too weak\""),
            "{weak}"
        );
    }

    #[test]
    fn helo_identity_none_and_quoting() {
        let header = AuthenticationResults::new("mx.example.net")
            .spf(SpfResult::SoftFail, "", "helo.example.org")
            .to_header();
        assert_eq!(
            header,
            "Authentication-Results: mx.example.net;\r\n\tspf=softfail smtp.helo=helo.example.org"
        );
        assert_eq!(
            AuthenticationResults::new("mx.example.net").to_header(),
            "Authentication-Results: mx.example.net; none"
        );
        let header = AuthenticationResults::new("mx.example.net")
            .spf(SpfResult::Fail, "a b\"\r\nX-Evil: 1@x", "h")
            .to_header();
        assert_eq!(
            header,
            "Authentication-Results: mx.example.net;\r\n\tspf=fail smtp.mailfrom=\"a b\\\"X-Evil: 1@x\""
        );
    }
}
