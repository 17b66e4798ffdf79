//! EHLO lines: `ehlo-keyword *( SP ehlo-param )` (RFC 5321 §4.1.1.1) and the parameter
//! grammars of the registered keywords.

use std::borrow::Cow;

use super::command::is_mechanism;
use super::{is_let_dig, parse_u64};
use crate::codec::DecodeOptions;
use crate::error::DecodeError;
use crate::types::{
    Capability, CapabilityParams, EhloResponse, Limits, MechanismList, Reply, ReplyCode,
    UnknownCapability, MAX_REPLY_LINE_LEN,
};

/// `ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
pub(crate) fn is_keyword(s: &[u8]) -> bool {
    s.first().is_some_and(|&b| is_let_dig(b)) && s.iter().all(|&b| is_let_dig(b) || b == b'-')
}

/// `ehlo-param = 1*(%d33-126)`.
fn is_param(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| (33..=126).contains(&b))
}

/// Zero or more params separated by single spaces.
pub(crate) fn is_param_list(s: &[u8]) -> bool {
    s.is_empty() || s.split(|&b| b == b' ').all(is_param)
}

/// Registered keywords with a typed variant, upper case.
const REGISTERED: [&str; 33] = [
    "SIZE",
    "PIPELINING",
    "8BITMIME",
    "SMTPUTF8",
    "CHUNKING",
    "BINARYMIME",
    "STARTTLS",
    "AUTH",
    "ENHANCEDSTATUSCODES",
    "DSN",
    "DELIVERBY",
    "ETRN",
    "ATRN",
    "EXPN",
    "HELP",
    "REQUIRETLS",
    "MT-PRIORITY",
    "FUTURERELEASE",
    "NO-SOLICITING",
    "BURL",
    "CHECKPOINT",
    "CONNEG",
    "CONPERM",
    "SUBMITTER",
    "MTRK",
    "RRVS",
    "VERB",
    "ONEX",
    "SEND",
    "SOML",
    "SAML",
    "TURN",
    "LIMITS",
];

/// Multiplier of the perfect hash of [`REGISTERED`]: the top six bits of
/// `(first eight octets folded to lower case, xor the length) * KEYWORD_HASH` differ for
/// every keyword (a test checks).
const KEYWORD_HASH: u64 = 0x992c_7e2b_b538_ec05;

/// Up to the first eight octets of `keyword` as a little-endian word, zeros after.
#[inline]
const fn head_word(keyword: &[u8]) -> u64 {
    let mut word = 0u64;
    let mut i = 0;
    while i < keyword.len() && i < 8 {
        // `i` is below the length the loop checks
        #[allow(clippy::indexing_slicing)]
        {
            word |= (keyword[i] as u64) << (8 * i);
        }
        i += 1;
    }
    word
}

/// The case bit of each letter among the first eight octets of `keyword`.
const fn head_letters(keyword: &[u8]) -> u64 {
    let mut letters = 0u64;
    let mut i = 0;
    while i < keyword.len() && i < 8 {
        // `i` is below the length the loop checks
        #[allow(clippy::indexing_slicing)]
        if keyword[i].is_ascii_alphabetic() {
            letters |= 0x20 << (8 * i);
        }
        i += 1;
    }
    letters
}

/// The slot of a keyword (its head word and length) in [`KEYWORD_SLOTS`]. Only a
/// hint: the keyword in the slot is compared in full.
#[inline]
const fn keyword_slot(head: u64, len: usize) -> usize {
    let folded = head | (0x2020_2020_2020_2020 & (u64::MAX >> (64 - 8 * min8(len))));
    ((folded ^ len as u64).wrapping_mul(KEYWORD_HASH) >> 58) as usize
}

/// `len`, at most 8, at least 1 (an empty keyword hashes as a one-octet one).
const fn min8(len: usize) -> u32 {
    if len > 8 {
        8
    } else if len == 0 {
        1
    } else {
        len as u32
    }
}

/// A registered keyword in its hash slot: its spelling, head word (upper case) and the
/// case bits of the letters in that head.
type KeywordSlot = Option<(&'static str, u64, u64)>;

/// Each registered keyword in the slot of its hash.
const KEYWORD_SLOTS: [KeywordSlot; 64] = {
    let mut slots: [KeywordSlot; 64] = [None; 64];
    let mut i = 0;
    while i < REGISTERED.len() {
        // evaluated at compile time: an index out of bounds would fail the build
        #[allow(clippy::indexing_slicing)]
        {
            let keyword = REGISTERED[i].as_bytes();
            let head = head_word(keyword);
            slots[keyword_slot(head, keyword.len())] =
                Some((REGISTERED[i], head, head_letters(keyword)));
        }
        i += 1;
    }
    slots
};

/// The canonical spelling of a registered keyword, whatever its case: one probe of the
/// hash table, then the head compared as one word (letters folded, other octets exact)
/// and the rest octet by octet.
pub(crate) fn registered_keyword(keyword: &str) -> Option<&'static str> {
    let bytes = keyword.as_bytes();
    let head = match bytes.first_chunk::<8>() {
        Some(octets) => u64::from_le_bytes(*octets),
        None => head_word(bytes),
    };
    let (candidate, upper, letters) = (*KEYWORD_SLOTS.get(keyword_slot(head, bytes.len()))?)?;
    let same = candidate.len() == bytes.len()
        && (head | letters) == (upper | letters)
        && candidate
            .as_bytes()
            .get(8..)
            .is_none_or(|tail| tail.eq_ignore_ascii_case(bytes.get(8..).unwrap_or_default()));
    same.then_some(candidate)
}

/// RFC 9422 §4: `limit = name "=" value`; RCPTMAX, MAILMAX, RCPTDOMAINMAX are 1*6DIGIT.
pub(crate) fn is_limits(params: &str) -> bool {
    !params.is_empty()
        && is_param_list(params.as_bytes())
        && params.split(' ').all(|limit| match limit.split_once('=') {
            Some((name, value)) => {
                let numeric = ["RCPTMAX", "MAILMAX", "RCPTDOMAINMAX"]
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(name));
                is_keyword(name.as_bytes())
                    && !value.is_empty()
                    && (!numeric || parse_u64(value.as_bytes(), 6).is_ok())
            }
            None => false,
        })
}

/// Decodes one EHLO line (the text after `250-`/`250 `); trailing spaces are ignored,
/// as some servers send them.
pub(crate) fn parse_capability(line: &str) -> Result<Capability<'_>, DecodeError> {
    let trimmed = line
        .as_bytes()
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(0, |i| i + 1);
    let line = line.get(..trimmed).unwrap_or_default();
    // the keyword is usually a run of letters, digits and hyphens up to the space: one
    // pass finds it and checks it (then only its first octet is left to check)
    let run = super::run_end(&super::LDH, line.as_bytes(), 0);
    let ldh_head = matches!(line.as_bytes().get(run), None | Some(b' '));
    let space = if ldh_head {
        Some(run).filter(|&run| run < line.len())
    } else {
        super::find_byte(b' ', line.as_bytes())
    };
    let (head, params) = match space {
        Some(space) => (
            line.get(..space).unwrap_or_default(),
            line.get(space + 1..).unwrap_or_default(),
        ),
        None => (line, ""),
    };
    // the pre-standard `AUTH=PLAIN LOGIN` spelling
    if let Some(first) = head
        .get(..5)
        .filter(|h| h.eq_ignore_ascii_case("AUTH="))
        .and_then(|_| line.get(5..))
    {
        return parse_mechanisms(first).map(|mechanisms| Capability::Auth {
            mechanisms,
            legacy_form: true,
        });
    }
    let keyword_ok = if ldh_head {
        head.as_bytes().first().is_some_and(|&b| is_let_dig(b))
    } else {
        is_keyword(head.as_bytes())
    };
    if !keyword_ok || !is_param_list(params.as_bytes()) {
        return Err(DecodeError::InvalidEhloLine);
    }
    let Some(keyword) = registered_keyword(head) else {
        return Ok(Capability::Unknown(UnknownCapability::from_valid(
            head, params,
        )));
    };
    let invalid = DecodeError::InvalidCapability { keyword };
    let unit = |cap: Capability<'static>| -> Result<Capability<'_>, DecodeError> {
        if params.is_empty() {
            Ok(cap)
        } else {
            Err(invalid)
        }
    };
    let optional_number = |max_digits: usize| -> Result<Option<u64>, DecodeError> {
        if params.is_empty() {
            Ok(None)
        } else {
            parse_u64(params.as_bytes(), max_digits)
                .map(Some)
                .map_err(|_| invalid)
        }
    };
    match keyword {
        // size-param ::= [1*DIGIT]; 20 digits is the most a u64 can hold
        "SIZE" => optional_number(20).map(Capability::Size),
        "DELIVERBY" => optional_number(20).map(Capability::DeliverBy),
        "AUTH" => parse_mechanisms(params).map(|mechanisms| Capability::Auth {
            mechanisms,
            legacy_form: false,
        }),
        "MT-PRIORITY" => match params {
            "" => Ok(Capability::MtPriority(None)),
            p if !p.contains(' ') => Ok(Capability::MtPriority(Some(Cow::Borrowed(p)))),
            _ => Err(invalid),
        },
        "FUTURERELEASE" => {
            let (interval, date_time) = params.split_once(' ').ok_or(invalid)?;
            if date_time.contains(' ') {
                return Err(invalid);
            }
            let max_interval = parse_u64(interval.as_bytes(), 20).map_err(|_| invalid)?;
            Ok(Capability::FutureRelease {
                max_interval,
                max_date_time: Cow::Borrowed(date_time),
            })
        }
        "NO-SOLICITING" => Ok(Capability::NoSoliciting(CapabilityParams::from_valid(
            params,
        ))),
        "BURL" => Ok(Capability::Burl(CapabilityParams::from_valid(params))),
        "LIMITS" => {
            if is_limits(params) {
                Ok(Capability::Limits(Limits::from_valid(params)))
            } else {
                Err(invalid)
            }
        }
        "PIPELINING" => unit(Capability::Pipelining),
        "8BITMIME" => unit(Capability::EightBitMime),
        "SMTPUTF8" => unit(Capability::SmtpUtf8),
        "CHUNKING" => unit(Capability::Chunking),
        "BINARYMIME" => unit(Capability::BinaryMime),
        "STARTTLS" => unit(Capability::StartTls),
        "ENHANCEDSTATUSCODES" => unit(Capability::EnhancedStatusCodes),
        "DSN" => unit(Capability::Dsn),
        "ETRN" => unit(Capability::Etrn),
        "ATRN" => unit(Capability::Atrn),
        "EXPN" => unit(Capability::Expn),
        "HELP" => unit(Capability::Help),
        "REQUIRETLS" => unit(Capability::RequireTls),
        "CHECKPOINT" => unit(Capability::Checkpoint),
        "CONNEG" => unit(Capability::Conneg),
        "CONPERM" => unit(Capability::Conperm),
        "SUBMITTER" => unit(Capability::Submitter),
        "MTRK" => unit(Capability::Mtrk),
        "RRVS" => unit(Capability::Rrvs),
        "VERB" => unit(Capability::Verb),
        "ONEX" => unit(Capability::Onex),
        "SEND" => unit(Capability::Send),
        "SOML" => unit(Capability::Soml),
        "SAML" => unit(Capability::Saml),
        "TURN" => unit(Capability::Turn),
        _ => Err(invalid),
    }
}

/// `mech *(SP mech)`; an empty list is allowed (servers that offer AUTH only after TLS
/// sometimes send a bare `AUTH`).
fn parse_mechanisms(params: &str) -> Result<MechanismList<'_>, DecodeError> {
    const INVALID: DecodeError = DecodeError::InvalidCapability { keyword: "AUTH" };
    if !params.is_empty() && !params.split(' ').all(|m| is_mechanism(m.as_bytes())) {
        return Err(INVALID);
    }
    Ok(MechanismList::from_valid(params))
}

/// The keyword of a capability.
pub(crate) fn keyword_of<'c>(capability: &'c Capability<'_>) -> &'c str {
    match capability {
        Capability::Size(_) => "SIZE",
        Capability::Pipelining => "PIPELINING",
        Capability::EightBitMime => "8BITMIME",
        Capability::SmtpUtf8 => "SMTPUTF8",
        Capability::Chunking => "CHUNKING",
        Capability::BinaryMime => "BINARYMIME",
        Capability::StartTls => "STARTTLS",
        Capability::Auth { .. } => "AUTH",
        Capability::EnhancedStatusCodes => "ENHANCEDSTATUSCODES",
        Capability::Dsn => "DSN",
        Capability::DeliverBy(_) => "DELIVERBY",
        Capability::Etrn => "ETRN",
        Capability::Atrn => "ATRN",
        Capability::Expn => "EXPN",
        Capability::Help => "HELP",
        Capability::RequireTls => "REQUIRETLS",
        Capability::MtPriority(_) => "MT-PRIORITY",
        Capability::FutureRelease { .. } => "FUTURERELEASE",
        Capability::NoSoliciting(_) => "NO-SOLICITING",
        Capability::Burl(_) => "BURL",
        Capability::Checkpoint => "CHECKPOINT",
        Capability::Conneg => "CONNEG",
        Capability::Conperm => "CONPERM",
        Capability::Submitter => "SUBMITTER",
        Capability::Mtrk => "MTRK",
        Capability::Rrvs => "RRVS",
        Capability::Verb => "VERB",
        Capability::Onex => "ONEX",
        Capability::Send => "SEND",
        Capability::Soml => "SOML",
        Capability::Saml => "SAML",
        Capability::Turn => "TURN",
        Capability::Limits(_) => "LIMITS",
        Capability::Unknown(u) => u.keyword(),
    }
}

/// Appends the text of an EHLO line (no reply code, no CRLF).
pub(crate) fn encode_capability(capability: &Capability<'_>, out: &mut Vec<u8>) {
    let param = |out: &mut Vec<u8>, p: &str| {
        if !p.is_empty() {
            out.push(b' ');
            out.extend_from_slice(p.as_bytes());
        }
    };
    match capability {
        Capability::Auth {
            mechanisms,
            legacy_form: true,
        } => {
            out.extend_from_slice(b"AUTH=");
            out.extend_from_slice(mechanisms.as_str().as_bytes());
            return;
        }
        _ => out.extend_from_slice(keyword_of(capability).as_bytes()),
    }
    match capability {
        Capability::Size(Some(n)) | Capability::DeliverBy(Some(n)) => {
            param(out, &n.to_string());
        }
        Capability::Auth { mechanisms, .. } => param(out, mechanisms.as_str()),
        Capability::MtPriority(Some(p)) => param(out, p),
        Capability::FutureRelease {
            max_interval,
            max_date_time,
        } => {
            param(out, &max_interval.to_string());
            param(out, max_date_time);
        }
        Capability::NoSoliciting(p) | Capability::Burl(p) => param(out, p.as_str()),
        Capability::Limits(l) => param(out, l.params().as_str()),
        Capability::Unknown(u) => param(out, u.params().as_str()),
        _ => {}
    }
}

/// Checks every line of an EHLO response fits a reply line.
pub(crate) fn check_ehlo_lines(
    greeting: &str,
    capabilities: &[Capability<'_>],
) -> Result<(), DecodeError> {
    // "250-" + text + CRLF
    let overhead = 6;
    if greeting.len() + overhead > MAX_REPLY_LINE_LEN {
        return Err(DecodeError::LineTooLong {
            limit: MAX_REPLY_LINE_LEN,
        });
    }
    if greeting.is_empty()
        || greeting.starts_with(' ')
        || !greeting.bytes().all(|b| super::is_text(b, true))
    {
        return Err(DecodeError::InvalidText);
    }
    let mut line = Vec::new();
    for capability in capabilities {
        line.clear();
        encode_capability(capability, &mut line);
        if line.len() + overhead > MAX_REPLY_LINE_LEN {
            return Err(DecodeError::LineTooLong {
                limit: MAX_REPLY_LINE_LEN,
            });
        }
        check_capability_value(capability)?;
    }
    Ok(())
}

/// Checks the free-form fields a caller can set directly.
fn check_capability_value(capability: &Capability<'_>) -> Result<(), DecodeError> {
    let ok = match capability {
        Capability::MtPriority(Some(p)) => is_param(p.as_bytes()),
        Capability::FutureRelease { max_date_time, .. } => is_param(max_date_time.as_bytes()),
        Capability::NoSoliciting(p) | Capability::Burl(p) => is_param_list(p.as_str().as_bytes()),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(DecodeError::InvalidCapability {
            keyword: registered_keyword(keyword_of(capability)).unwrap_or("EHLO"),
        })
    }
}

/// The 250 reply of an EHLO response.
pub(crate) fn ehlo_to_reply(response: &EhloResponse<'_>) -> Reply<'static> {
    let mut wire = Vec::new();
    let count = response.capabilities().len();
    wire.extend_from_slice(if count == 0 { b"250 " } else { b"250-" });
    wire.extend_from_slice(response.greeting().as_bytes());
    for (i, capability) in response.capabilities().iter().enumerate() {
        wire.extend_from_slice(if i + 1 == count {
            b"\r\n250 "
        } else {
            b"\r\n250-"
        });
        encode_capability(capability, &mut wire);
    }
    // built from validated UTF-8 pieces
    let wire = String::from_utf8_lossy(&wire).into_owned();
    Reply::from_valid(ReplyCode::OK, None, Cow::Owned(wire))
}

/// Reads the capabilities of an EHLO reply.
pub(crate) fn decode_ehlo<'r>(
    reply: &'r Reply<'_>,
    opts: &DecodeOptions,
) -> Result<EhloResponse<'r>, DecodeError> {
    if reply.code() != ReplyCode::OK {
        return Err(DecodeError::NotEhloReply);
    }
    let mut lines = reply.raw_lines();
    let greeting = lines.next().unwrap_or("");
    // one allocation for the usual list (a dozen keywords) instead of growing through
    // 4 and 8; longer lists still grow, bounded by the reply's line limit
    let mut capabilities = Vec::with_capacity(16);
    for line in lines {
        if line.trim_end_matches(' ').is_empty() {
            // Postfix's smtp-sink ends its list with an empty `250 ` line
            continue;
        }
        match parse_capability(line) {
            Ok(capability) => capabilities.push(capability),
            Err(_) if opts.quirk_skip_invalid_capabilities => {}
            Err(e) => return Err(e),
        }
    }
    Ok(EhloResponse::from_valid(greeting, capabilities))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_keywords_have_their_own_slots() {
        let mut seen = [false; 64];
        for keyword in REGISTERED {
            let slot = keyword_slot(head_word(keyword.as_bytes()), keyword.len());
            assert!(!seen[slot], "{keyword} shares slot {slot}");
            seen[slot] = true;
            assert_eq!(registered_keyword(keyword), Some(keyword));
            assert_eq!(
                registered_keyword(&keyword.to_ascii_lowercase()),
                Some(keyword)
            );
        }
        for other in [
            "",
            "SIZ",
            "SIZES",
            "X-SIZE",
            "PIPELININ",
            "PIPELINIMG",
            "ENHANCEDSTATUSCODE",
            "ENHANCEDSTATUSCODEZ",
            "8BITMIMEX",
            "XEXPS",
            // octets that fold onto "-" or a digit are not them
            "MT\rPRIORITY",
            "\x18BITMIME",
        ] {
            assert_eq!(registered_keyword(other), None, "{other}");
        }
    }

    #[test]
    fn keywords_and_params() {
        assert_eq!(
            parse_capability("SIZE 1000"),
            Ok(Capability::Size(Some(1000)))
        );
        assert_eq!(parse_capability("size"), Ok(Capability::Size(None)));
        assert_eq!(parse_capability("PIPELINING "), Ok(Capability::Pipelining));
        assert_eq!(
            parse_capability("PIPELINING x"),
            Err(DecodeError::InvalidCapability {
                keyword: "PIPELINING"
            })
        );
        let Ok(Capability::Auth {
            mechanisms,
            legacy_form: true,
        }) = parse_capability("AUTH=LOGIN PLAIN")
        else {
            panic!("legacy auth");
        };
        assert_eq!(mechanisms.as_str(), "LOGIN PLAIN");
        assert!(matches!(
            parse_capability("XCLIENT NAME ADDR"),
            Ok(Capability::Unknown(u)) if u.keyword() == "XCLIENT" && u.params().iter().count() == 2
        ));
        assert!(parse_capability("-X").is_err());
        assert!(parse_capability("X  Y").is_err());
        assert!(parse_capability("LIMITS RCPTMAX=1234567").is_err());
        assert!(parse_capability("LIMITS RCPTMAX=12 X-FOO=bar").is_ok());
        assert!(parse_capability("FUTURERELEASE 604800 2012-10-12T10:00:00Z").is_ok());
        assert!(parse_capability("FUTURERELEASE 604800").is_err());
    }
}
