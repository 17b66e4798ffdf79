//! Domains, address literals, local parts, mailboxes and paths (RFC 5321 §4.1.2-4.1.3,
//! RFC 6531 §3.3).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{display_len, is_let_dig, is_qtext, let_dig_table, run_end, ATEXT_ASCII, ATEXT_UTF8};
use crate::error::DecodeError;
use crate::types::{
    AddressLiteral, Domain, GeneralLiteral, Host, LocalPart, Mailbox, Path, SourceRoute,
    MAX_DOMAIN_LEN, MAX_LABEL_LEN, MAX_LOCAL_PART_LEN, MAX_PATH_LEN,
};

/// Length of the Domain at the start of `s`; labels are `Let-dig [Ldh-str]`, or contain
/// non-ASCII octets (U-labels) when `utf8`.
#[inline(always)]
pub(crate) fn scan_domain(s: &[u8], utf8: bool) -> Result<usize, DecodeError> {
    let let_dig = let_dig_table(utf8);
    // one pass: runs of letters and digits, stopping only at the rarer hyphen (inside a
    // label), dot (between labels) or end of the domain
    let mut label_start = 0;
    let mut at = 0;
    loop {
        at = run_end(let_dig, s, at);
        match s.get(at) {
            Some(b'-') if at > label_start => at += 1,
            Some(b'.') => {
                check_label(s, label_start, at)?;
                at += 1;
                label_start = at;
            }
            _ => {
                check_label(s, label_start, at)?;
                if at > MAX_DOMAIN_LEN {
                    return Err(DecodeError::DomainTooLong);
                }
                return Ok(at);
            }
        }
    }
}

/// `sub-domain = Let-dig [Ldh-str]` for the label `start..end` of `s`, whose octets are
/// letters, digits, hyphens not in front (and non-ASCII under SMTPUTF8): not empty, no
/// hyphen at the end, 63 octets at most (the limit is on the DNS form; a U-label's
/// A-label is not computed here).
#[inline(always)]
fn check_label(s: &[u8], start: usize, end: usize) -> Result<(), DecodeError> {
    let label = s.get(start..end).unwrap_or_default();
    match label.last() {
        Some(&last) if last != b'-' => {}
        _ => return Err(DecodeError::InvalidDomain),
    }
    if label.len() > MAX_LABEL_LEN && label.is_ascii() {
        return Err(DecodeError::DomainLabelTooLong);
    }
    Ok(())
}

/// `Standardized-tag = Ldh-str`.
pub(crate) fn is_general_tag(tag: &[u8]) -> bool {
    !tag.eq_ignore_ascii_case(b"IPv6")
        && tag.last().is_some_and(|&b| is_let_dig(b))
        && tag.iter().all(|&b| is_let_dig(b) || b == b'-')
}

/// `1*dcontent`.
pub(crate) fn is_dcontent(content: &[u8]) -> bool {
    !content.is_empty() && content.iter().all(|&b| super::is_dcontent(b))
}

/// `IPv4-address-literal = Snum 3("." Snum)`, `Snum = 1*3DIGIT` at most 255, at the
/// start of `s`: the address and its length (the first octet that is neither a digit
/// nor a dot ends it).
fn scan_ipv4(s: &[u8]) -> Option<(Ipv4Addr, usize)> {
    let mut octets = [0u8; 4];
    let mut part = 0;
    let mut value: u32 = 0;
    let mut digits = 0;
    let mut len = s.len();
    for (at, &b) in s.iter().enumerate() {
        match b {
            b'0'..=b'9' if digits < 3 => {
                value = value * 10 + u32::from(b - b'0');
                digits += 1;
            }
            b'.' if digits > 0 => {
                *octets.get_mut(part)? = u8::try_from(value).ok()?;
                part += 1;
                value = 0;
                digits = 0;
            }
            b'0'..=b'9' | b'.' => return None,
            _ => {
                len = at;
                break;
            }
        }
    }
    if part != 3 || digits == 0 {
        return None;
    }
    *octets.get_mut(3)? = u8::try_from(value).ok()?;
    Some((Ipv4Addr::from(octets), len))
}

/// A whole IPv4 literal content.
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    match scan_ipv4(s) {
        Some((ip, len)) if len == s.len() => Some(ip),
        _ => None,
    }
}

/// Parses the inside of `[...]`.
fn parse_literal_content(content: &[u8]) -> Result<AddressLiteral<'_>, DecodeError> {
    if let Some(ip) = parse_ipv4(content) {
        return Ok(AddressLiteral::Ipv4(ip));
    }
    let colon = super::find_byte(b':', content).ok_or(DecodeError::InvalidAddressLiteral)?;
    let tag = content.get(..colon).unwrap_or_default();
    let rest = content.get(colon + 1..).unwrap_or_default();
    if tag.eq_ignore_ascii_case(b"IPv6") {
        // std's parser accepts exactly IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp
        // (at most 4 hex digits per group, one "::", dotted quad only at the end)
        let ip: Ipv6Addr = std::str::from_utf8(rest)
            .ok()
            .and_then(|text| text.parse().ok())
            .ok_or(DecodeError::InvalidAddressLiteral)?;
        return Ok(AddressLiteral::Ipv6(ip));
    }
    if is_general_tag(tag) && is_dcontent(rest) {
        return Ok(AddressLiteral::General(GeneralLiteral::from_valid(
            tag, rest,
        )));
    }
    Err(DecodeError::InvalidAddressLiteral)
}

/// Octets of a literal on the wire, brackets included.
pub(crate) fn literal_wire_len(literal: &AddressLiteral<'_>) -> usize {
    display_len(literal)
}

/// A domain or an address literal at the start of `text`, and its length.
#[inline(always)]
pub(crate) fn parse_host(text: &[u8], utf8: bool) -> Result<(Host<'_>, usize), DecodeError> {
    if let Some((b'[', inner)) = text.split_first() {
        // the usual literal, an IPv4 address, in one pass
        if let Some((ip, len)) = scan_ipv4(inner) {
            if inner.get(len) == Some(&b']') {
                return Ok((Host::Literal(AddressLiteral::Ipv4(ip)), len + 2));
            }
        }
        let close = super::find_byte(b']', inner).ok_or(DecodeError::InvalidAddressLiteral)?;
        let content = inner
            .get(..close)
            .ok_or(DecodeError::InvalidAddressLiteral)?;
        let literal = parse_literal_content(content)?;
        return Ok((Host::Literal(literal), close + 2));
    }
    let len = scan_domain(text, utf8)?;
    let domain = text.get(..len).ok_or(DecodeError::InvalidDomain)?;
    Ok((Host::Domain(Domain::from_valid(domain)), len))
}

/// Length of the local part (Dot-string or Quoted-string) at the start of `s`.
#[inline(always)]
pub(crate) fn scan_local_part(s: &[u8], utf8: bool) -> Result<usize, DecodeError> {
    let len = if s.first() == Some(&b'"') {
        scan_quoted_string(s, utf8)?
    } else {
        scan_dot_string(s, utf8)?
    };
    if len > MAX_LOCAL_PART_LEN {
        return Err(DecodeError::LocalPartTooLong);
    }
    Ok(len)
}

/// `Quoted-string = DQUOTE *QcontentSMTP DQUOTE`.
fn scan_quoted_string(s: &[u8], utf8: bool) -> Result<usize, DecodeError> {
    let mut i = 1;
    loop {
        match s.get(i) {
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match s.get(i + 1) {
                // quoted-pairSMTP = %d92 %d32-126
                Some(&b) if (32..=126).contains(&b) => i += 2,
                _ => return Err(DecodeError::InvalidLocalPart),
            },
            Some(&b) if is_qtext(b, utf8) => i += 1,
            _ => return Err(DecodeError::InvalidLocalPart),
        }
    }
}

/// `Dot-string = Atom *("." Atom)`.
#[inline(always)]
fn scan_dot_string(s: &[u8], utf8: bool) -> Result<usize, DecodeError> {
    let atext = if utf8 { &ATEXT_UTF8 } else { &ATEXT_ASCII };
    // atom by atom: each one non-empty, joined by single dots, none trailing
    let mut atom_start = 0;
    loop {
        let end = run_end(atext, s, atom_start);
        if end == atom_start {
            return Err(DecodeError::InvalidLocalPart);
        }
        if s.get(end) == Some(&b'.') {
            atom_start = end + 1;
            continue;
        }
        return Ok(end);
    }
}

/// True when the whole of `s` is a Dot-string.
pub(crate) fn is_dot_string(s: &[u8], utf8: bool) -> bool {
    scan_dot_string(s, utf8) == Ok(s.len())
}

/// Length of `A-d-l = At-domain *( "," At-domain )` at the start of `s`.
pub(crate) fn scan_source_route(s: &[u8], utf8: bool) -> Result<usize, DecodeError> {
    let mut i = 0;
    loop {
        if s.get(i) != Some(&b'@') {
            return Err(DecodeError::InvalidPath);
        }
        i += 1;
        let rest = s.get(i..).unwrap_or_default();
        i += scan_domain(rest, utf8)?;
        if s.get(i) == Some(&b',') {
            i += 1;
        } else {
            return Ok(i);
        }
    }
}

/// `Mailbox = Local-part "@" ( Domain / address-literal )` at the start of `text`.
#[inline(always)]
pub(crate) fn parse_mailbox(text: &[u8], utf8: bool) -> Result<(Mailbox<'_>, usize), DecodeError> {
    let local_len = scan_local_part(text, utf8)?;
    let local = text.get(..local_len).ok_or(DecodeError::InvalidLocalPart)?;
    let host_text = match text.get(local_len..) {
        Some([b'@', host @ ..]) => host,
        _ => return Err(DecodeError::InvalidPath),
    };
    let (host, host_len) = parse_host(host_text, utf8)?;
    Ok((
        Mailbox::from_parts_unchecked(LocalPart::from_valid(local), host),
        local_len + 1 + host_len,
    ))
}

/// `Path = "<" [ A-d-l ":" ] Mailbox ">"` at the start of `text`, and its length.
#[inline(always)]
pub(crate) fn parse_path(text: &[u8], utf8: bool) -> Result<(Path<'_>, usize), DecodeError> {
    let inner = match text.split_first() {
        Some((b'<', inner)) => inner,
        _ => return Err(DecodeError::InvalidPath),
    };
    let (route, route_len) = if inner.first() == Some(&b'@') {
        let len = scan_source_route(inner, utf8)?;
        let route = inner.get(..len).ok_or(DecodeError::InvalidPath)?;
        if inner.get(len) != Some(&b':') {
            return Err(DecodeError::InvalidPath);
        }
        (Some(SourceRoute::from_valid(route)), len + 1)
    } else {
        (None, 0)
    };
    let rest = inner.get(route_len..).unwrap_or_default();
    let (mailbox, mailbox_len) = parse_mailbox(rest, utf8)?;
    if rest.get(mailbox_len) != Some(&b'>') {
        return Err(DecodeError::InvalidPath);
    }
    let total = 1 + route_len + mailbox_len + 1;
    if total > MAX_PATH_LEN {
        return Err(DecodeError::PathTooLong);
    }
    Ok((Path::from_parts_unchecked(route, mailbox), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        assert_eq!(scan_domain(b"example.com", false), Ok(11));
        assert_eq!(scan_domain(b"a", false), Ok(1));
        assert_eq!(scan_domain(b"1-2.x>", false), Ok(5));
        assert_eq!(
            scan_domain(b"-a.com", false),
            Err(DecodeError::InvalidDomain)
        );
        assert_eq!(
            scan_domain(b"a-.com", false),
            Err(DecodeError::InvalidDomain)
        );
        assert_eq!(
            scan_domain(b"a..com", false),
            Err(DecodeError::InvalidDomain)
        );
        assert_eq!(
            scan_domain(b"a.com.", false),
            Err(DecodeError::InvalidDomain)
        );
        assert_eq!(scan_domain(b"", false), Err(DecodeError::InvalidDomain));
        assert_eq!(
            scan_domain("bücher.de".as_bytes(), false),
            Ok(1) // stops before the non-ASCII octet
        );
        assert_eq!(scan_domain("bücher.de".as_bytes(), true), Ok(10));
        let label = "a".repeat(63);
        assert_eq!(scan_domain(label.as_bytes(), false), Ok(63));
        let label = "a".repeat(64);
        assert_eq!(
            scan_domain(label.as_bytes(), false),
            Err(DecodeError::DomainLabelTooLong)
        );
        let long = ["a".repeat(63).as_str(); 4].join(".");
        assert_eq!(long.len(), 255);
        assert_eq!(scan_domain(long.as_bytes(), false), Ok(255));
        let longer = format!("{long}a");
        assert!(scan_domain(longer.as_bytes(), false).is_err());
        let too_long = format!("b.{long}");
        assert_eq!(
            scan_domain(too_long.as_bytes(), false),
            Err(DecodeError::DomainTooLong)
        );
    }

    #[test]
    fn literals() {
        let (host, len) = parse_host(b"[192.0.2.1]>", false).unwrap();
        assert_eq!(len, 11);
        assert_eq!(
            host,
            Host::Literal(AddressLiteral::Ipv4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        let (host, _) = parse_host(b"[IPv6:2001:db8::1]", false).unwrap();
        assert_eq!(
            host,
            Host::Literal(AddressLiteral::Ipv6("2001:db8::1".parse().unwrap()))
        );
        let (host, _) = parse_host(b"[ipv6:::ffff:1.2.3.4]", false).unwrap();
        assert!(matches!(host, Host::Literal(AddressLiteral::Ipv6(_))));
        let (host, _) = parse_host(b"[x-tag:some-content]", false).unwrap();
        assert!(matches!(host, Host::Literal(AddressLiteral::General(_))));
        for bad in [
            "[256.0.0.1]",
            "[1.2.3]",
            "[1.2.3.4.5]",
            "[IPv6:1::2::3]",
            "[IPv6:12345::]",
            "[tag:]",
            "[:x]",
            "[tag-:x]",
            "[tag:a[b]",
            "[1.2.3.4",
            "[]",
        ] {
            assert!(parse_host(bad.as_bytes(), false).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipv4_literals_in_one_pass() {
        assert_eq!(
            scan_ipv4(b"192.0.2.1]"),
            Some((Ipv4Addr::new(192, 0, 2, 1), 9))
        );
        assert_eq!(
            scan_ipv4(b"0.00.000.255"),
            Some((Ipv4Addr::new(0, 0, 0, 255), 12))
        );
        for bad in [
            &b"256.0.0.1"[..],
            b"1.2.3",
            b"1.2.3.4.5",
            b"1..2.3",
            b".1.2.3",
            b"1.2.3.",
            b"1234.1.1.1",
            b"1.2.3.4444",
            b"",
        ] {
            assert_eq!(parse_ipv4(bad), None, "{bad:?}");
        }
        // ended by any other octet; the caller checks it is "]"
        assert_eq!(scan_ipv4(b"1.2.3.4x").map(|r| r.1), Some(7));
    }

    #[test]
    fn local_parts() {
        assert_eq!(scan_local_part(b"john.smith@", false), Ok(10));
        assert_eq!(scan_local_part(b"\"a b\\\"c\"@", false), Ok(8));
        assert_eq!(scan_local_part(b"\"\"@", false), Ok(2));
        assert!(scan_local_part(b".a", false).is_err());
        assert!(scan_local_part(b"a.", false).is_err());
        assert!(scan_local_part(b"\"a", false).is_err());
        assert!(scan_local_part(b"\"a\\\x01\"", false).is_err());
        let long = "a".repeat(64);
        assert_eq!(scan_local_part(long.as_bytes(), false), Ok(64));
        let long = "a".repeat(65);
        assert_eq!(
            scan_local_part(long.as_bytes(), false),
            Err(DecodeError::LocalPartTooLong)
        );
    }

    #[test]
    fn paths() {
        let (path, len) = parse_path(b"<@a.example,@b.example:joe@c.example> X", false).unwrap();
        assert_eq!(len, 37);
        assert_eq!(
            path.source_route().map(|r| r.domains().collect::<Vec<_>>()),
            Some(vec!["a.example", "b.example"])
        );
        assert_eq!(path.mailbox().to_string(), "joe@c.example");
        assert!(parse_path(b"<joe@c.example", false).is_err());
        assert!(parse_path(b"joe@c.example>", false).is_err());
        assert!(parse_path(b"<@a.example:joe>", false).is_err());
        assert!(parse_path(b"<@a.example joe@x>", false).is_err());
        assert!(parse_path(b"<joe>", false).is_err());
        let local = "a".repeat(64);
        let domain = ["d".repeat(63).as_str(); 3].join(".");
        let path = format!("<{local}@{domain}>");
        assert_eq!(path.len(), 258);
        assert_eq!(
            parse_path(path.as_bytes(), false).map(|p| p.1),
            Err(DecodeError::PathTooLong)
        );
    }
}
