//! Command lines (RFC 5321 §4.1.1, RFC 3207, RFC 4954, RFC 3030, RFC 2033).

use base64::Engine as _;

use super::address::{parse_host, parse_path};
use super::params::{encode_mail_params, encode_rcpt_params, parse_mail_params, parse_rcpt_params};
use super::{find_byte, is_base64_char, is_text, parse_u64};
use crate::codec::DecodeOptions;
use crate::error::DecodeError;
use crate::types::{
    Argument, Command, ForwardPath, Host, MailParameters, Mechanism, RcptParameters, ReversePath,
    SaslData, SaslResponse, Verb,
};

/// Free text of VRFY/EXPN/HELP/NOOP: non-empty, text octets, no space at either end.
pub(crate) fn is_argument(s: &[u8], utf8: bool) -> bool {
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) => {
            !matches!(first, b' ' | b'\t')
                && !matches!(last, b' ' | b'\t')
                && s.iter().all(|&b| is_text(b, utf8))
        }
        _ => false,
    }
}

/// `sasl-mech = 1*20mech-char` (RFC 4422 §3.1); lower case tolerated.
pub(crate) fn is_mechanism(s: &[u8]) -> bool {
    (1..=20).contains(&s.len())
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 4954 §8 `base64` (padding required), or empty.
pub(crate) fn is_base64(s: &[u8]) -> bool {
    if s.len() % 4 != 0 {
        return false;
    }
    let padding = s.iter().rev().take_while(|&&b| b == b'=').count();
    if padding > 2 {
        return false;
    }
    let body = s.get(..s.len() - padding).unwrap_or_default();
    body.iter().all(|&b| is_base64_char(b))
}

/// Standard base64 with padding.
pub(crate) fn base64_encode(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Decodes validated base64.
pub(crate) fn base64_decode(text: &[u8]) -> Result<Vec<u8>, DecodeError> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| DecodeError::InvalidBase64)
}

/// The four-letter verbs, lower case, as little-endian words.
const FOUR_LETTER_VERBS: [(u32, Verb); 14] = [
    (u32::from_le_bytes(*b"mail"), Verb::Mail),
    (u32::from_le_bytes(*b"rcpt"), Verb::Rcpt),
    (u32::from_le_bytes(*b"data"), Verb::Data),
    (u32::from_le_bytes(*b"ehlo"), Verb::Ehlo),
    (u32::from_le_bytes(*b"helo"), Verb::Helo),
    (u32::from_le_bytes(*b"lhlo"), Verb::Lhlo),
    (u32::from_le_bytes(*b"rset"), Verb::Rset),
    (u32::from_le_bytes(*b"quit"), Verb::Quit),
    (u32::from_le_bytes(*b"noop"), Verb::Noop),
    (u32::from_le_bytes(*b"bdat"), Verb::Bdat),
    (u32::from_le_bytes(*b"auth"), Verb::Auth),
    (u32::from_le_bytes(*b"vrfy"), Verb::Vrfy),
    (u32::from_le_bytes(*b"expn"), Verb::Expn),
    (u32::from_le_bytes(*b"help"), Verb::Help),
];

/// Multiplier of the perfect hash of [`FOUR_LETTER_VERBS`]: the top four bits of
/// `word * VERB_HASH` differ for all fourteen (checked by a test).
const VERB_HASH: u32 = 0x787c_d8df;

/// The slot of a word in [`VERB_SLOTS`].
#[inline(always)]
const fn verb_slot(word: u32) -> usize {
    (word.wrapping_mul(VERB_HASH) >> 28) as usize
}

/// Each four-letter verb in the slot of its word; unused slots hold a word no verb
/// folds to (0).
const VERB_SLOTS: [(u32, Verb); 16] = {
    let mut slots = [(0, Verb::Quit); 16];
    let mut i = 0;
    while i < FOUR_LETTER_VERBS.len() {
        // evaluated at compile time: an index out of bounds would fail the build
        #[allow(clippy::indexing_slicing)]
        {
            slots[verb_slot(FOUR_LETTER_VERBS[i].0)] = FOUR_LETTER_VERBS[i];
        }
        i += 1;
    }
    slots
};

/// The verb of a command line, if it is one this codec knows.
#[inline]
pub(crate) fn verb_of(line: &[u8]) -> Option<Verb> {
    match line {
        // every verb but STARTTLS has four letters: fold them into one lower-case word
        // (`| 0x20` maps exactly `X` and `x` to `x` for a letter `x`, and the verbs are
        // all letters), and look it up in one probe
        [a, b, c, d] | [a, b, c, d, b' ', ..] => {
            let word = u32::from_le_bytes([*a, *b, *c, *d]) | 0x2020_2020;
            let &(candidate, verb) = VERB_SLOTS.get(verb_slot(word))?;
            (candidate == word).then_some(verb)
        }
        _ => {
            let word = line.get(..8)?;
            (word.eq_ignore_ascii_case(b"STARTTLS") && matches!(line.get(8), None | Some(b' ')))
                .then_some(Verb::StartTls)
        }
    }
}

/// Strips a case-insensitive prefix of at most eight octets whose letters are given in
/// lower case (and whose other octets must match exactly), as one masked word compare.
#[inline(always)]
fn strip_word_prefix_ci<'a>(bytes: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let len = prefix.len();
    let (word, letters) = prefix_word(prefix);
    let head = match bytes.first_chunk::<8>() {
        Some(octets) => u64::from_le_bytes(*octets),
        None => {
            let head = bytes.get(..len)?;
            head.iter()
                .enumerate()
                .fold(0, |acc, (i, &b)| acc | u64::from(b) << (8 * i))
        }
    };
    let mask = u64::MAX.checked_shr(64 - 8 * len as u32).unwrap_or(0);
    if (head | letters) & mask == word {
        bytes.get(len..)
    } else {
        None
    }
}

/// A prefix as a little-endian word, and the case bit of each of its letters.
#[inline(always)]
const fn prefix_word(prefix: &[u8]) -> (u64, u64) {
    let mut word = 0;
    let mut letters = 0;
    let mut i = 0;
    while i < prefix.len() && i < 8 {
        // evaluated at compile time (the prefixes are constants)
        #[allow(clippy::indexing_slicing)]
        let b = prefix[i];
        word |= (b as u64) << (8 * i);
        if b.is_ascii_lowercase() {
            letters |= 0x20 << (8 * i);
        }
        i += 1;
    }
    (word, letters)
}

/// Splits at the first space: `(before, Some(after))` or `(all, None)`.
fn split_space(bytes: &[u8]) -> (&[u8], Option<&[u8]>) {
    match find_byte(b' ', bytes) {
        Some(i) => (
            bytes.get(..i).unwrap_or_default(),
            Some(bytes.get(i + 1..).unwrap_or_default()),
        ),
        None => (bytes, None),
    }
}

/// Strips a case-insensitive ASCII prefix.
#[inline(always)]
fn strip_prefix_ci<'a>(bytes: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = bytes.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        bytes.get(prefix.len()..)
    } else {
        None
    }
}

/// Decodes one command line, its line end already removed.
#[inline]
pub(crate) fn decode_line<'a>(
    line: &'a [u8],
    opts: &DecodeOptions,
) -> Result<Command<'a>, DecodeError> {
    decode_bytes(line, opts).map_err(|e| explain_error(line, opts.smtputf8, e))
}

/// The error to report for a line that did not decode: octets that are not UTF-8 (or
/// not ASCII without SMTPUTF8) are the reason whatever else is wrong. Only the error path
/// scans for them.
#[cold]
#[inline(never)]
fn explain_error(line: &[u8], utf8: bool, error: DecodeError) -> DecodeError {
    if line.is_ascii() {
        error
    } else if !utf8 {
        DecodeError::NonAscii
    } else if std::str::from_utf8(line).is_err() {
        DecodeError::InvalidUtf8
    } else {
        error
    }
}

#[inline(always)]
fn decode_bytes<'a>(mut line: &'a [u8], opts: &DecodeOptions) -> Result<Command<'a>, DecodeError> {
    let utf8 = opts.smtputf8;
    // Values keep their octets (see `types::Text`). Without SMTPUTF8 the grammar only
    // admits ASCII; with it, a line that is not all ASCII is checked as UTF-8 once here.
    if utf8 && !line.is_ascii() && std::str::from_utf8(line).is_err() {
        return Err(DecodeError::InvalidUtf8);
    }
    if opts.quirk_trailing_whitespace {
        while let Some((b' ' | b'\t', rest)) = line.split_last() {
            line = rest;
        }
    }
    let verb = verb_of(line).ok_or(DecodeError::UnknownCommand)?;
    let syntax = DecodeError::Syntax {
        verb: verb.as_str(),
    };
    let verb_len = verb.as_str().len();
    // the argument after exactly one space; `Some(b"")` for a trailing space
    let argument = match line.get(verb_len..) {
        Some([]) | None => None,
        Some([b' ', rest @ ..]) => Some(rest),
        Some(_) => return Err(syntax),
    };
    let no_argument = |cmd: Command<'a>| match argument {
        None => Ok(cmd),
        Some(_) => Err(syntax),
    };
    match verb {
        Verb::Ehlo | Verb::Helo | Verb::Lhlo => {
            let arg = argument.ok_or(syntax)?;
            let (host, len) = parse_host(arg, utf8)?;
            if len != arg.len() {
                return Err(if arg.first() == Some(&b'[') {
                    DecodeError::InvalidAddressLiteral
                } else {
                    DecodeError::InvalidDomain
                });
            }
            Ok(match verb {
                Verb::Ehlo => Command::Ehlo { host },
                Verb::Helo => Command::Helo { host },
                _ => Command::Lhlo { host },
            })
        }
        Verb::Mail => {
            let arg = argument.ok_or(syntax)?;
            let mut rest = strip_word_prefix_ci(arg, b"from:").ok_or(syntax)?;
            if opts.quirk_space_after_colon {
                while let Some((b' ', after)) = rest.split_first() {
                    rest = after;
                }
            }
            let (from, len) = if rest.starts_with(b"<>") {
                (ReversePath::Null, 2)
            } else {
                let (path, len) = parse_path(rest, utf8)?;
                (ReversePath::Path(path), len)
            };
            let params = match rest.get(len..) {
                Some([]) | None => MailParameters::default(),
                Some([b' ', tail @ ..]) => parse_mail_params(tail, utf8)?,
                Some(_) => return Err(syntax),
            };
            Ok(Command::Mail { from, params })
        }
        Verb::Rcpt => {
            let arg = argument.ok_or(syntax)?;
            let mut rest = strip_word_prefix_ci(arg, b"to:").ok_or(syntax)?;
            if opts.quirk_space_after_colon {
                while let Some((b' ', after)) = rest.split_first() {
                    rest = after;
                }
            }
            // most recipients are no bare postmaster: the second octet tells at once
            let postmaster = matches!(rest.get(1), Some(b'P' | b'p'))
                && strip_prefix_ci(rest, b"<Postmaster>").is_some();
            let (to, len) = if postmaster {
                (ForwardPath::Postmaster, b"<Postmaster>".len())
            } else {
                let (path, len) = parse_path(rest, utf8)?;
                (ForwardPath::Path(path), len)
            };
            let params = match rest.get(len..) {
                Some([]) | None => RcptParameters::default(),
                Some([b' ', tail @ ..]) => parse_rcpt_params(tail, utf8)?,
                Some(_) => return Err(syntax),
            };
            Ok(Command::Rcpt { to, params })
        }
        Verb::Data => no_argument(Command::Data),
        Verb::Rset => no_argument(Command::Rset),
        Verb::Quit => no_argument(Command::Quit),
        Verb::StartTls => no_argument(Command::StartTls),
        Verb::Vrfy | Verb::Expn => {
            let arg = argument.ok_or(syntax)?;
            // RFC 6531 §3.7.4: an optional SMTPUTF8 parameter after the string
            let (target, smtputf8) = match arg.iter().rposition(|&b| b == b' ') {
                Some(space)
                    if arg
                        .get(space + 1..)
                        .is_some_and(|flag| flag.eq_ignore_ascii_case(b"SMTPUTF8")) =>
                {
                    (arg.get(..space).unwrap_or_default(), true)
                }
                _ => (arg, false),
            };
            if !is_argument(target, utf8) {
                return Err(syntax);
            }
            let target = Argument::from_valid(target);
            Ok(if verb == Verb::Vrfy {
                Command::Vrfy { target, smtputf8 }
            } else {
                Command::Expn { target, smtputf8 }
            })
        }
        Verb::Help | Verb::Noop => {
            let arg = match argument {
                Some(arg) if is_argument(arg, utf8) => Some(Argument::from_valid(arg)),
                Some(_) => return Err(syntax),
                None => None,
            };
            Ok(if verb == Verb::Help {
                Command::Help { topic: arg }
            } else {
                Command::Noop { argument: arg }
            })
        }
        Verb::Auth => {
            let arg = argument.ok_or(syntax)?;
            let (mechanism, response) = split_space(arg);
            if !is_mechanism(mechanism) {
                return Err(DecodeError::InvalidMechanism);
            }
            let mechanism = Mechanism::from_valid(mechanism);
            let initial_response = match response {
                None => None,
                Some(b"=") => Some(SaslData::EMPTY),
                Some(r) if !r.is_empty() && is_base64(r) => Some(SaslData::from_valid(r)),
                Some(_) => return Err(DecodeError::InvalidBase64),
            };
            Ok(Command::Auth {
                mechanism,
                initial_response,
            })
        }
        Verb::Bdat => {
            let arg = argument.ok_or(syntax)?;
            let (digits, last) = match split_space(arg) {
                (size, Some(marker)) if marker.eq_ignore_ascii_case(b"LAST") => (size, true),
                (_, Some(_)) => return Err(syntax),
                (size, None) => (size, false),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(syntax);
            }
            // leading zeros are digits too; only the value must fit
            let zeros = digits.iter().take_while(|&&b| b == b'0').count();
            let significant = digits.get(zeros..).unwrap_or_default();
            let size = if significant.is_empty() {
                0
            } else {
                parse_u64(significant, 20)?
            };
            Ok(Command::Bdat { size, last })
        }
    }
}

/// Decodes one line of an AUTH exchange, line end removed.
pub(crate) fn decode_sasl_line(line: &[u8]) -> Result<SaslResponse<'_>, DecodeError> {
    if line == b"*" {
        return Ok(SaslResponse::Cancel);
    }
    // the base64 alphabet is ASCII: nothing else gets through
    if !is_base64(line) {
        return Err(DecodeError::InvalidBase64);
    }
    Ok(SaslResponse::Data(SaslData::from_valid(line)))
}

fn push_host(out: &mut Vec<u8>, host: &Host<'_>) {
    match host {
        Host::Domain(d) => out.extend_from_slice(d.as_bytes()),
        Host::Literal(l) => out.extend_from_slice(l.to_string().as_bytes()),
    }
}

fn push_path(out: &mut Vec<u8>, path: &crate::types::Path<'_>) {
    out.push(b'<');
    if let Some(route) = path.source_route() {
        out.extend_from_slice(route.as_str().as_bytes());
        out.push(b':');
    }
    let mailbox = path.mailbox();
    out.extend_from_slice(mailbox.local_part().as_bytes());
    out.push(b'@');
    push_host(out, mailbox.host());
    out.push(b'>');
}

/// Appends a command line, CRLF included.
pub(crate) fn encode(command: &Command<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(command.verb().as_str().as_bytes());
    match command {
        Command::Ehlo { host } | Command::Helo { host } | Command::Lhlo { host } => {
            out.push(b' ');
            push_host(out, host);
        }
        Command::Mail { from, params } => {
            out.extend_from_slice(b" FROM:");
            match from {
                ReversePath::Null => out.extend_from_slice(b"<>"),
                ReversePath::Path(p) => push_path(out, p),
            }
            encode_mail_params(params, out);
        }
        Command::Rcpt { to, params } => {
            out.extend_from_slice(b" TO:");
            match to {
                ForwardPath::Postmaster => out.extend_from_slice(b"<Postmaster>"),
                ForwardPath::Path(p) => push_path(out, p),
            }
            encode_rcpt_params(params, out);
        }
        Command::Vrfy { target, smtputf8 } | Command::Expn { target, smtputf8 } => {
            out.push(b' ');
            out.extend_from_slice(target.as_bytes());
            if *smtputf8 {
                out.extend_from_slice(b" SMTPUTF8");
            }
        }
        Command::Help { topic: arg } | Command::Noop { argument: arg } => {
            if let Some(arg) = arg {
                out.push(b' ');
                out.extend_from_slice(arg.as_bytes());
            }
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            out.push(b' ');
            out.extend_from_slice(mechanism.as_str().as_bytes());
            if let Some(response) = initial_response {
                out.push(b' ');
                if response.is_empty() {
                    out.push(b'=');
                } else {
                    out.extend_from_slice(response.as_base64().as_bytes());
                }
            }
        }
        Command::Bdat { size, last } => {
            out.push(b' ');
            out.extend_from_slice(size.to_string().as_bytes());
            if *last {
                out.extend_from_slice(b" LAST");
            }
        }
        Command::Data | Command::Rset | Command::Quit | Command::StartTls => {}
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends one AUTH exchange line, CRLF included.
pub(crate) fn encode_sasl(response: &SaslResponse<'_>, out: &mut Vec<u8>) {
    match response {
        SaslResponse::Cancel => out.push(b'*'),
        SaslResponse::Data(data) => out.extend_from_slice(data.as_base64().as_bytes()),
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verb_has_its_own_slot() {
        let mut seen = [false; 16];
        for (word, verb) in FOUR_LETTER_VERBS {
            let slot = verb_slot(word);
            assert!(!seen[slot], "{verb} shares slot {slot}");
            seen[slot] = true;
            assert_eq!(VERB_SLOTS[slot], (word, verb));
            let name = verb.as_str();
            for spelling in [name.to_owned(), name.to_ascii_lowercase(), {
                let mut mixed = name.to_ascii_lowercase().into_bytes();
                mixed[1] = mixed[1].to_ascii_uppercase();
                String::from_utf8(mixed).unwrap()
            }] {
                assert_eq!(verb_of(spelling.as_bytes()), Some(verb), "{spelling}");
                let with_argument = format!("{spelling} x");
                assert_eq!(verb_of(with_argument.as_bytes()), Some(verb));
            }
        }
        // words that fold onto no verb, or onto an empty slot
        for other in [
            &b"MAIK"[..],
            b"\0\0\0\0",
            b"    ",
            b"DATA:",
            b"DAT",
            b"QUITS",
            b"\xcd\xc1\xc9\xcc",
            b"m@il",
        ] {
            assert_eq!(verb_of(other), None, "{other:?}");
        }
        assert_eq!(verb_of(b"StartTLS"), Some(Verb::StartTls));
        assert_eq!(verb_of(b"STARTTLS x"), Some(Verb::StartTls));
        assert_eq!(verb_of(b"STARTTLSX"), None);
    }

    #[test]
    fn word_prefixes_fold_letters_only() {
        assert_eq!(
            strip_word_prefix_ci(b"FROM:<a@b>", b"from:"),
            Some(&b"<a@b>"[..])
        );
        assert_eq!(strip_word_prefix_ci(b"from:", b"from:"), Some(&b""[..]));
        assert_eq!(
            strip_word_prefix_ci(b"To:<a@b>", b"to:"),
            Some(&b"<a@b>"[..])
        );
        assert_eq!(strip_word_prefix_ci(b"tO:", b"to:"), Some(&b""[..]));
        // ":" is compared exactly (0x1a would fold onto it)
        assert_eq!(strip_word_prefix_ci(b"FROM\x1a<a@b>", b"from:"), None);
        assert_eq!(strip_word_prefix_ci(b"TO\x1a", b"to:"), None);
        assert_eq!(strip_word_prefix_ci(b"FRO", b"from:"), None);
        assert_eq!(strip_word_prefix_ci(b"FROX:<a@b>", b"from:"), None);
        assert_eq!(strip_word_prefix_ci(b"", b"to:"), None);
    }
}
