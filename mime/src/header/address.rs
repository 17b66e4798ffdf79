//! Addresses: RFC 5322 §3.4 with the obsolete forms of §4.4 and UTF-8
//! (RFC 6532).
//!
//! Accepted: `name-addr` (`Name <a@b>`) and bare `addr-spec` (`a@b`),
//! groups (`Name: a@b, c@d;`), display names as atoms, quoted strings and
//! the obsolete phrase with dots (`Joe Q. Public`), RFC 2047 encoded words
//! in display names (also, leniently, inside quoted strings), comments
//! anywhere (skipped; a comment is never taken as a display name, as in
//! Python's `email` package), `obs-route` (`<@a,@b:x@c>`, the route is kept
//! apart), `obs-local-part` and `obs-domain` with whitespace and comments
//! around the dots, and null list members (`a@b, , c@d`).
//!
//! Leniency beyond the grammar: a mailbox without `@domain`
//! (`MAILER-DAEMON`) gets an empty domain; a group without its closing `;`
//! ends at the end of the value; `<>` is a mailbox with an empty address.
//! A list member that cannot be parsed is skipped up to the next comma and
//! its raw bytes are kept in [`AddressList::invalid`].

use std::borrow::Cow;

use super::lex::{cow_bytes_to_str, is_atext, Cursor};
use super::FieldError;
use crate::encoded_word;

/// A mailbox: optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a> {
    name: Option<Cow<'a, str>>,
    local_part: Cow<'a, str>,
    domain: Cow<'a, str>,
    address: Cow<'a, str>,
    route: Vec<Cow<'a, str>>,
}

impl<'a> Mailbox<'a> {
    /// Builds a mailbox from a display name and an address `local@domain`
    /// (split at the last `@`; without `@` the domain is empty). For
    /// building values: nothing is validated.
    pub fn new(name: Option<Cow<'a, str>>, address: impl Into<Cow<'a, str>>) -> Self {
        let address = address.into();
        let (local_part, domain) = match address.rfind('@') {
            Some(at) => (
                Cow::Owned(address.get(..at).unwrap_or_default().to_owned()),
                Cow::Owned(address.get(at + 1..).unwrap_or_default().to_owned()),
            ),
            None => (address.clone(), Cow::Borrowed("")),
        };
        Mailbox {
            name,
            local_part,
            domain,
            address,
            route: Vec::new(),
        }
    }

    /// Parses one mailbox (Sender, Resent-Sender); the first mailbox if the
    /// value holds a list.
    pub fn parse(raw: &'a [u8]) -> Result<Self, FieldError> {
        let list = AddressList::parse(raw);
        if list.addresses.is_empty() && list.invalid.is_empty() {
            return Err(FieldError::Empty);
        }
        list.into_mailboxes()
            .next()
            .ok_or(FieldError::Invalid { what: "mailbox" })
    }

    /// The display name, decoded (RFC 2047 words, quoted pairs, folding),
    /// with words joined by single spaces. `None` when absent or empty.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The local part, unquoted (`john doe` for `"john doe"@x`).
    pub fn local_part(&self) -> &str {
        &self.local_part
    }

    /// The domain as written without whitespace or comments (a domain
    /// literal keeps its brackets); empty when the address has none.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The address `local-part@domain`, the local part quoted only where
    /// it has to be (as Python's `addr_spec` does); just the local part
    /// when there is no domain; empty for `<>`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The domains of an obsolete source route (`<@a,@b:x@c>` gives
    /// `a`, `b`), empty in modern mail.
    pub fn route(&self) -> &[Cow<'a, str>] {
        &self.route
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            name: self.name.map(|n| Cow::Owned(n.into_owned())),
            local_part: Cow::Owned(self.local_part.into_owned()),
            domain: Cow::Owned(self.domain.into_owned()),
            address: Cow::Owned(self.address.into_owned()),
            route: self
                .route
                .into_iter()
                .map(|r| Cow::Owned(r.into_owned()))
                .collect(),
        }
    }
}

/// A named group of mailboxes (`Name: a@b, c@d;`), possibly empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group<'a> {
    name: Cow<'a, str>,
    members: Vec<Mailbox<'a>>,
}

impl<'a> Group<'a> {
    /// Builds a group.
    pub fn new(name: impl Into<Cow<'a, str>>, members: Vec<Mailbox<'a>>) -> Self {
        Group {
            name: name.into(),
            members,
        }
    }

    /// The group's display name, decoded.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The members, in order.
    pub fn members(&self) -> &[Mailbox<'a>] {
        &self.members
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> Group<'static> {
        Group {
            name: Cow::Owned(self.name.into_owned()),
            members: self.members.into_iter().map(Mailbox::into_owned).collect(),
        }
    }
}

/// One member of an address list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address<'a> {
    /// A single mailbox.
    Mailbox(Mailbox<'a>),
    /// A group.
    Group(Group<'a>),
}

impl<'a> Address<'a> {
    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> Address<'static> {
        match self {
            Address::Mailbox(m) => Address::Mailbox(m.into_owned()),
            Address::Group(g) => Address::Group(g.into_owned()),
        }
    }
}

/// A parsed address list (From, To, Cc, Bcc, Reply-To and their Resent-
/// forms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AddressList<'a> {
    addresses: Vec<Address<'a>>,
    invalid: Vec<&'a [u8]>,
}

impl<'a> AddressList<'a> {
    /// Parses a raw address-list value (folded or not). Never fails: an
    /// empty value gives an empty list, and members that cannot be parsed
    /// are listed in [`AddressList::invalid`].
    pub fn parse(raw: &'a [u8]) -> Self {
        let mut cursor = Cursor::checked(raw);
        let mut list = AddressList::default();
        loop {
            cursor.skip_cfws();
            match cursor.peek() {
                None => break,
                Some(b',' | b';') => {
                    cursor.bump();
                    continue;
                }
                Some(_) => {}
            }
            let start = cursor.pos();
            match parse_address(&mut cursor) {
                Some(address) => list.addresses.push(address),
                None => {
                    cursor.set_pos(start);
                    skip_member(&mut cursor);
                    let junk = super::section::trim_ws(cursor.slice(start, cursor.pos()));
                    if !junk.is_empty() {
                        list.invalid.push(junk);
                    }
                    // Always make progress, even on a lone stray byte.
                    if cursor.pos() == start {
                        cursor.bump();
                    }
                }
            }
        }
        list
    }

    /// The members, in order.
    pub fn addresses(&self) -> &[Address<'a>] {
        &self.addresses
    }

    /// Raw bytes of the members that could not be parsed.
    pub fn invalid(&self) -> &[&'a [u8]] {
        &self.invalid
    }

    /// Every mailbox, group members included, in order.
    pub fn mailboxes(&self) -> impl Iterator<Item = &Mailbox<'a>> + '_ {
        self.addresses.iter().flat_map(|a| match a {
            Address::Mailbox(m) => std::slice::from_ref(m).iter(),
            Address::Group(g) => g.members.iter(),
        })
    }

    /// Every mailbox, group members included, by value.
    pub fn into_mailboxes(self) -> impl Iterator<Item = Mailbox<'a>> {
        self.addresses.into_iter().flat_map(|a| match a {
            Address::Mailbox(m) => vec![m],
            Address::Group(g) => g.members,
        })
    }

    /// Number of members (a group counts once).
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// Whether there is no member.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// An owned copy with no borrow of the input (the invalid members are
    /// dropped).
    pub fn into_owned(self) -> AddressList<'static> {
        AddressList {
            addresses: self
                .addresses
                .into_iter()
                .map(Address::into_owned)
                .collect(),
            invalid: Vec::new(),
        }
    }
}

/// Skips to the next top-level `,` (outside quotes, comments, angle
/// brackets); also stops at `;`, which ends a group.
fn skip_member(cursor: &mut Cursor<'_>) {
    let mut in_angle = false;
    while let Some(b) = cursor.peek() {
        match b {
            b',' | b';' if !in_angle => return,
            b'"' => {
                cursor.quoted_string();
            }
            b'(' => cursor.skip_comment(),
            b'<' => {
                in_angle = true;
                cursor.bump();
            }
            b'>' => {
                in_angle = false;
                cursor.bump();
            }
            _ => cursor.bump(),
        }
    }
}

/// A phrase token: an atom, a quoted string or a dot.
enum Token<'a> {
    Atom(&'a [u8]),
    Quoted(Cow<'a, [u8]>),
    Dot,
}

/// A phrase read without keeping its tokens: its raw span and what the
/// callers need to know about the tokens. The tokens themselves are read
/// again from `start` only on the rare paths that need them (quoted
/// strings, comments, folding), so the common mailbox allocates nothing.
struct Phrase {
    /// Number of tokens.
    count: usize,
    /// Whether any token is a quoted string.
    quoted: bool,
    /// Whether any token after the first was preceded by CFWS.
    inner_space: bool,
    /// Whether the tokens form an obsolete local part (words separated by
    /// dots).
    local_ok: bool,
    start: usize,
    end: usize,
}

/// Reads the next phrase token after optional CFWS, with whether CFWS
/// preceded it; on failure the cursor is left where it was.
fn next_token<'a>(cursor: &mut Cursor<'a>) -> Option<(Token<'a>, bool, usize)> {
    let before = cursor.pos();
    let spaced = cursor.skip_cfws();
    let token_start = cursor.pos();
    let token = match cursor.peek() {
        Some(b'"') => cursor.quoted_string().map(Token::Quoted),
        Some(b'.') => {
            cursor.bump();
            Some(Token::Dot)
        }
        Some(b) if is_atext(b) => cursor.atom(false).map(Token::Atom),
        _ => None,
    };
    if token.is_none() {
        cursor.set_pos(before);
    }
    token.map(|t| (t, spaced, token_start))
}

fn read_phrase(cursor: &mut Cursor<'_>) -> Phrase {
    let mut phrase = Phrase {
        count: 0,
        quoted: false,
        inner_space: false,
        local_ok: true,
        start: cursor.pos(),
        end: cursor.pos(),
    };
    let mut expect_word = true;
    while let Some((token, spaced, token_start)) = next_token(cursor) {
        if phrase.count == 0 {
            phrase.start = token_start;
        } else {
            phrase.inner_space |= spaced;
        }
        match token {
            Token::Dot => expect_word = true,
            Token::Atom(_) | Token::Quoted(_) => {
                if expect_word {
                    expect_word = false;
                } else {
                    phrase.local_ok = false;
                }
                phrase.quoted |= matches!(token, Token::Quoted(_));
            }
        }
        phrase.count += 1;
        phrase.end = cursor.pos();
    }
    phrase
}

impl Phrase {
    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Reads the tokens again, handing each with its "preceded by CFWS"
    /// flag to `f` (the first token's flag is meaningless).
    fn replay<'a>(&self, input: &'a [u8], mut f: impl FnMut(Token<'a>, bool)) {
        let mut cursor = Cursor::new(input);
        cursor.set_pos(self.start);
        for _ in 0..self.count {
            match next_token(&mut cursor) {
                Some((token, spaced, _)) => f(token, spaced),
                None => break,
            }
        }
    }

    /// The display text: tokens joined by single spaces where the input
    /// had whitespace, encoded words decoded. Borrowed when the raw span
    /// already is that text.
    fn display<'a>(&self, cursor: &Cursor<'a>) -> Cow<'a, str> {
        let input = cursor.input();
        let raw = input.get(self.start..self.end).unwrap_or_default();
        let simple = !self.quoted
            && !raw
                .iter()
                .any(|&b| matches!(b, b'(' | b'\r' | b'\n' | b'\t'))
            && !raw.windows(2).any(|w| w == b"  ");
        if simple {
            return encoded_word::decode_text_with(raw, |piece| cursor.text_of(piece));
        }
        let mut text = Vec::with_capacity(raw.len());
        let mut first = true;
        self.replay(input, |token, spaced| {
            if !first && spaced {
                text.push(b' ');
            }
            first = false;
            push_token(&mut text, &token);
        });
        Cow::Owned(encoded_word::decode_text(&text).into_owned())
    }

    /// The tokens as an obsolete local part: words joined by dots, no
    /// whitespace. `None` if two words are not separated by a dot.
    fn local_part<'a>(&self, cursor: &Cursor<'a>) -> Option<(Cow<'a, str>, bool)> {
        if !self.local_ok {
            return None;
        }
        let input = cursor.input();
        let raw = input.get(self.start..self.end).unwrap_or_default();
        let contiguous = !self.quoted && raw.iter().all(|&b| b == b'.' || is_atext(b));
        if contiguous {
            return Some((cursor.text_of(raw), false));
        }
        let mut text = Vec::with_capacity(raw.len());
        self.replay(input, |token, _| push_token(&mut text, &token));
        Some((cow_bytes_to_str(Cow::Owned(text)), self.quoted))
    }
}

fn push_token(text: &mut Vec<u8>, token: &Token<'_>) {
    match token {
        Token::Atom(a) => text.extend_from_slice(a),
        Token::Quoted(q) => text.extend_from_slice(q),
        Token::Dot => text.push(b'.'),
    }
}

/// Parses a domain: dot-atom / obs-domain (CFWS around dots) / literal.
fn parse_domain<'a>(cursor: &mut Cursor<'a>) -> Option<Cow<'a, str>> {
    parse_domain_raw(cursor).map(|domain| domain.unwrap_or_else(|raw| cursor.text_of(raw)))
}

/// [`parse_domain`], leaving a plain domain (`Err`) as raw bytes not yet
/// checked as UTF-8.
fn parse_domain_raw<'a>(cursor: &mut Cursor<'a>) -> Option<Result<Cow<'a, str>, &'a [u8]>> {
    cursor.skip_cfws();
    if cursor.peek() == Some(b'[') {
        return cursor.domain_literal().map(|d| Ok(cursor.cow_text_of(d)));
    }
    let start = cursor.pos();
    let end = domain_atoms(cursor, |_| {})?;
    let raw = cursor.slice(start, end);
    if raw.iter().all(|&b| b == b'.' || is_atext(b)) {
        return Some(Err(raw));
    }
    // Comments or whitespace around the dots: walk it again, this time
    // keeping the atoms (the common plain domain never allocates).
    let after = cursor.pos();
    cursor.set_pos(start);
    let mut parts: Vec<&'a [u8]> = Vec::new();
    domain_atoms(cursor, |atom| parts.push(atom))?;
    cursor.set_pos(after);
    Some(Ok(cow_bytes_to_str(Cow::Owned(parts.join(&b'.')))))
}

/// Reads the dot-separated atoms of a domain, handing each to `atom`.
/// Returns where the last atom ends; the cursor stays before any trailing
/// dot or CFWS.
fn domain_atoms<'a>(cursor: &mut Cursor<'a>, mut atom: impl FnMut(&'a [u8])) -> Option<usize> {
    loop {
        atom(cursor.atom(false)?);
        let end = cursor.pos();
        let before_dot = cursor.pos();
        cursor.skip_cfws();
        if cursor.eat(b'.') {
            cursor.skip_cfws();
            if !cursor.peek().is_some_and(is_atext) {
                // A trailing dot: keep it off the domain.
                cursor.set_pos(before_dot);
                return Some(end);
            }
        } else {
            cursor.set_pos(before_dot);
            return Some(end);
        }
    }
}

/// Whether a local part can be written without quotes (a dot-atom).
fn is_dot_atom(text: &str) -> bool {
    is_dot_atom_bytes(text.as_bytes())
}

fn is_dot_atom_bytes(text: &[u8]) -> bool {
    !text.is_empty()
        && !text.starts_with(b".")
        && !text.ends_with(b".")
        && !text.windows(2).any(|w| w == b"..")
        && text.iter().all(|&b| b == b'.' || is_atext(b))
}

fn build_address<'a>(
    cursor: &Cursor<'a>,
    span: (usize, usize),
    local_part: &Cow<'a, str>,
    domain: &Cow<'a, str>,
) -> Cow<'a, str> {
    let raw = cursor.slice(span.0, span.1);
    let expected = local_part.len() + usize::from(!domain.is_empty()) + domain.len();
    if raw.len() == expected
        && raw.starts_with(local_part.as_bytes())
        && raw.ends_with(domain.as_bytes())
        && is_dot_atom(local_part)
    {
        return cursor.text_of(raw);
    }
    let mut text = String::with_capacity(expected + 2);
    if is_dot_atom(local_part) {
        text.push_str(local_part);
    } else {
        text.push('"');
        for c in local_part.chars() {
            if c == '"' || c == '\\' {
                text.push('\\');
            }
            text.push(c);
        }
        text.push('"');
    }
    if !domain.is_empty() {
        text.push('@');
        text.push_str(domain);
    }
    Cow::Owned(text)
}

/// Parses the inside of an angle address after `<`, through `>`.
fn parse_angle_addr<'a>(
    cursor: &mut Cursor<'a>,
    name: Option<Cow<'a, str>>,
) -> Option<Mailbox<'a>> {
    if !cursor.eat(b'<') {
        return None;
    }
    cursor.skip_cfws();
    if cursor.eat(b'>') {
        return Some(Mailbox {
            name,
            local_part: Cow::Borrowed(""),
            domain: Cow::Borrowed(""),
            address: Cow::Borrowed(""),
            route: Vec::new(),
        });
    }
    // obs-route: *(CFWS / ",") "@" domain ... ":"
    let mut route = Vec::new();
    if matches!(cursor.peek(), Some(b'@' | b',')) {
        loop {
            cursor.skip_cfws();
            match cursor.peek() {
                Some(b',') => cursor.bump(),
                Some(b'@') => {
                    cursor.bump();
                    route.push(parse_domain(cursor)?);
                }
                Some(b':') => {
                    cursor.bump();
                    break;
                }
                _ => return None,
            }
        }
    }
    let mut mailbox = parse_addr_spec(cursor, name)?;
    mailbox.route = route;
    cursor.skip_cfws();
    // A missing `>` at the very end is tolerated.
    if !cursor.eat(b'>') && !cursor.at_end() {
        return None;
    }
    Some(mailbox)
}

/// Parses `local-part [@ domain]` at the cursor.
fn parse_addr_spec<'a>(cursor: &mut Cursor<'a>, name: Option<Cow<'a, str>>) -> Option<Mailbox<'a>> {
    let phrase = read_phrase(cursor);
    finish_addr_spec(cursor, &phrase, name)
}

fn finish_addr_spec<'a>(
    cursor: &mut Cursor<'a>,
    phrase: &Phrase,
    name: Option<Cow<'a, str>>,
) -> Option<Mailbox<'a>> {
    if phrase.is_empty() || !phrase.local_ok {
        return None;
    }
    let input = cursor.input();
    let before_at = cursor.pos();
    cursor.skip_cfws();
    let (domain, end) = if cursor.eat(b'@') {
        let domain = match parse_domain_raw(cursor)? {
            Ok(domain) => domain,
            Err(domain_raw) => {
                // The common plain `local@domain`: checked as UTF-8 once
                // and split, giving what the general path below would.
                let local_raw = input.get(phrase.start..phrase.end).unwrap_or_default();
                let raw = cursor.slice(phrase.start, cursor.pos());
                if !phrase.quoted
                    && raw.len() == local_raw.len() + 1 + domain_raw.len()
                    && raw.ends_with(domain_raw)
                    && is_dot_atom_bytes(local_raw)
                {
                    if let Cow::Borrowed(address) = cursor.text_of(raw) {
                        if let (Some(local_part), Some(domain)) = (
                            address.get(..local_raw.len()),
                            address.get(local_raw.len() + 1..),
                        ) {
                            return Some(Mailbox {
                                name,
                                local_part: Cow::Borrowed(local_part),
                                domain: Cow::Borrowed(domain),
                                address: Cow::Borrowed(address),
                                route: Vec::new(),
                            });
                        }
                    }
                }
                cursor.text_of(domain_raw)
            }
        };
        (domain, cursor.pos())
    } else {
        cursor.set_pos(before_at);
        (Cow::Borrowed(""), phrase.end)
    };
    let (local_part, _) = phrase.local_part(cursor)?;
    let address = build_address(cursor, (phrase.start, end), &local_part, &domain);
    Some(Mailbox {
        name,
        local_part,
        domain,
        address,
        route: Vec::new(),
    })
}

fn non_empty(name: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if name.trim().is_empty() {
        None
    } else {
        Some(name)
    }
}

/// Parses a mailbox (no group) at the cursor.
fn parse_mailbox<'a>(cursor: &mut Cursor<'a>) -> Option<Mailbox<'a>> {
    cursor.skip_cfws();
    let phrase = read_phrase(cursor);
    cursor.skip_cfws();
    mailbox_after_phrase(cursor, &phrase)
}

/// Finishes a mailbox whose leading words (display name or local part)
/// were read; the cursor is past them and their trailing CFWS.
fn mailbox_after_phrase<'a>(cursor: &mut Cursor<'a>, phrase: &Phrase) -> Option<Mailbox<'a>> {
    match cursor.peek() {
        Some(b'<') => {
            let name = if phrase.is_empty() {
                None
            } else {
                non_empty(phrase.display(cursor))
            };
            parse_angle_addr(cursor, name)
        }
        Some(b'@') => finish_addr_spec(cursor, phrase, None),
        // A bare local part without domain (`MAILER-DAEMON`).
        None | Some(b',' | b';') if !phrase.inner_space && !phrase.quoted => {
            finish_addr_spec(cursor, phrase, None)
        }
        _ => None,
    }
}

/// Parses one address (mailbox or group) at the cursor.
fn parse_address<'a>(cursor: &mut Cursor<'a>) -> Option<Address<'a>> {
    cursor.skip_cfws();
    let phrase = read_phrase(cursor);
    cursor.skip_cfws();
    if !phrase.is_empty() && cursor.peek() == Some(b':') {
        let name = phrase.display(cursor);
        cursor.bump();
        let mut members = Vec::new();
        loop {
            cursor.skip_cfws();
            match cursor.peek() {
                None => break,
                Some(b';') => {
                    cursor.bump();
                    break;
                }
                Some(b',') => cursor.bump(),
                Some(_) => {
                    let member_start = cursor.pos();
                    let parsed = parse_mailbox(cursor).filter(|_| {
                        cursor.skip_cfws();
                        matches!(cursor.peek(), None | Some(b',' | b';'))
                    });
                    match parsed {
                        Some(m) => members.push(m),
                        None => {
                            cursor.set_pos(member_start);
                            skip_member(cursor);
                            if cursor.pos() == member_start {
                                cursor.bump();
                            }
                        }
                    }
                }
            }
        }
        return Some(Address::Group(Group { name, members }));
    }
    let mailbox = mailbox_after_phrase(cursor, &phrase)?;
    cursor.skip_cfws();
    // `;` between addresses is a common mistake; take it as a comma.
    match cursor.peek() {
        None | Some(b',' | b';') => Some(Address::Mailbox(mailbox)),
        _ => None,
    }
}

/// The Return-Path value (RFC 5322 §3.6.7): the null path `<>` or an
/// address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReturnPath<'a> {
    /// `<>`: no return path (bounces are not bounced).
    Null,
    /// The address inside the angle brackets (or bare, leniently).
    Address(Cow<'a, str>),
}

impl<'a> ReturnPath<'a> {
    /// Parses a raw Return-Path value.
    pub fn parse(raw: &'a [u8]) -> Result<Self, FieldError> {
        let mut cursor = Cursor::checked(raw);
        cursor.skip_cfws();
        if cursor.at_end() {
            return Err(FieldError::Empty);
        }
        let invalid = FieldError::Invalid {
            what: "return path",
        };
        let mailbox = if cursor.peek() == Some(b'<') {
            parse_angle_addr(&mut cursor, None)
        } else {
            parse_addr_spec(&mut cursor, None)
        }
        .ok_or(invalid)?;
        if mailbox.address.is_empty() {
            Ok(ReturnPath::Null)
        } else {
            Ok(ReturnPath::Address(mailbox.address))
        }
    }

    /// An owned copy with no borrow of the input.
    pub fn into_owned(self) -> ReturnPath<'static> {
        match self {
            ReturnPath::Null => ReturnPath::Null,
            ReturnPath::Address(a) => ReturnPath::Address(Cow::Owned(a.into_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: &[u8]) -> Mailbox<'_> {
        Mailbox::parse(raw).unwrap()
    }

    #[test]
    fn plain_forms_borrow() {
        let m = one(b" John Doe <jdoe@machine.example>");
        assert!(matches!(m.name, Some(Cow::Borrowed("John Doe"))));
        assert!(matches!(m.address, Cow::Borrowed("jdoe@machine.example")));
        let m = one(b"jdoe@example.org");
        assert_eq!(m.name(), None);
        assert_eq!(m.local_part(), "jdoe");
        assert_eq!(m.domain(), "example.org");
    }

    #[test]
    fn quoted_local_part_is_requoted_only_when_needed() {
        assert_eq!(one(b"\"joe\"@x.test").address(), "joe@x.test");
        let m = one(b"\"john doe\"@x.test");
        assert_eq!(m.local_part(), "john doe");
        assert_eq!(m.address(), "\"john doe\"@x.test");
    }

    #[test]
    fn invalid_members_are_kept_apart() {
        let list = AddressList::parse(b"a@b.c, John Smith, <d@e.f>");
        assert_eq!(list.len(), 2);
        assert_eq!(list.invalid(), &[&b"John Smith"[..]]);
    }

    #[test]
    fn return_path_forms() {
        assert_eq!(ReturnPath::parse(b" <>").unwrap(), ReturnPath::Null);
        assert_eq!(ReturnPath::parse(b" < >").unwrap(), ReturnPath::Null);
        assert_eq!(
            ReturnPath::parse(b"<bounce@x.test>").unwrap(),
            ReturnPath::Address(Cow::Borrowed("bounce@x.test"))
        );
        assert_eq!(
            ReturnPath::parse(b"<@relay.test:bounce@x.test>").unwrap(),
            ReturnPath::Address(Cow::Borrowed("bounce@x.test"))
        );
    }
}
