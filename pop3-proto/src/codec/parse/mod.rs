//! The nom grammar of POP3 lines (private). Every function takes one line without its
//! line end.
//!
//! Grammar: RFC 1939 §3, RFC 2449 §3 (ABNF), RFC 5034 §5, RFC 6856.

use std::borrow::Cow;

use base64::Engine;
use mailwire_core::Secret;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1, take_while_m_n};
use nom::combinator::{all_consuming, opt, rest};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

use crate::error::DecodeError;
use crate::types::{
    ApopDigest, Capability, Command, CommandName, DropListing, ExpirePolicy, LanguageListing,
    Mechanism, MessageNumber, Password, ResponseCode, SaslResponse, ScanListing, StatusIndicator,
    StatusLine, Text, UniqueId, UniqueIdListing, Word,
};

type Res<'a, T> = IResult<&'a [u8], T>;

fn is_word_byte(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte) || byte >= 0x80
}

fn is_code_char(byte: u8) -> bool {
    (0x21..=0x7e).contains(&byte) && byte != b'/' && byte != b']'
}

/// Space-separated words (`param *(SP param)`), the whole input.
fn words(input: &[u8]) -> Result<Vec<&[u8]>, DecodeError> {
    let parsed: Res<'_, Vec<&[u8]>> =
        all_consuming(separated_list1(tag(&b" "[..]), take_while1(is_word_byte))).parse(input);
    parsed
        .map(|(_, words)| words)
        .map_err(|_| DecodeError::InvalidArgument("argument"))
}

fn utf8<'a>(bytes: &'a [u8], what: &'static str) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidArgument(what))
}

fn word<'a>(bytes: &'a [u8], what: &'static str) -> Result<Word<'a>, DecodeError> {
    Word::new(utf8(bytes, what)?).map_err(|_| DecodeError::InvalidArgument(what))
}

fn text(bytes: &[u8]) -> Result<Text<'_>, DecodeError> {
    Text::new(bytes).map_err(|_| DecodeError::ControlCharacter)
}

/// A decimal number of at most `max_digits` digits that fits a `u64`.
fn number(bytes: &[u8], max_digits: usize, what: &'static str) -> Result<u64, DecodeError> {
    let parsed: Res<'_, &[u8]> =
        all_consuming(take_while_m_n(1, max_digits, |b: u8| b.is_ascii_digit())).parse(bytes);
    let (_, digits) = parsed.map_err(|_| DecodeError::InvalidArgument(what))?;
    digits.iter().try_fold(0u64, |acc, digit| {
        acc.checked_mul(10)
            .and_then(|acc| acc.checked_add(u64::from(digit - b'0')))
            .ok_or(DecodeError::InvalidArgument(what))
    })
}

fn number_u32(bytes: &[u8], what: &'static str) -> Result<u32, DecodeError> {
    u32::try_from(number(bytes, 10, what)?).map_err(|_| DecodeError::InvalidArgument(what))
}

pub(crate) fn message_number(bytes: &[u8]) -> Result<MessageNumber, DecodeError> {
    MessageNumber::new(number_u32(bytes, "message number")?)
        .map_err(|_| DecodeError::InvalidArgument("message number"))
}

fn size(bytes: &[u8]) -> Result<u64, DecodeError> {
    number(bytes, 20, "size")
}

/// Strict base64 (RFC 5034 §4: padding only at the end, no other characters).
pub(crate) fn base64_data(bytes: &[u8]) -> Result<Vec<u8>, DecodeError> {
    base64::engine::general_purpose::STANDARD
        .decode(bytes)
        .map_err(|_| DecodeError::InvalidBase64)
}

/// One command line.
pub(crate) fn command(line: &[u8]) -> Result<Command<'_>, DecodeError> {
    if line.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(DecodeError::ControlCharacter);
    }
    let parsed: Res<'_, (&[u8], Option<&[u8]>)> = (
        take_while1(|b: u8| b.is_ascii_alphanumeric()),
        opt(preceded(tag(&b" "[..]), rest)),
    )
        .parse(line);
    let (remainder, (keyword, arguments)) = parsed.map_err(|_| DecodeError::UnknownCommand)?;
    if !remainder.is_empty() {
        return Err(DecodeError::UnknownCommand);
    }
    let name = CommandName::from_keyword(keyword).ok_or(DecodeError::UnknownCommand)?;
    if name == CommandName::Pass {
        // The password is the rest of the line, spaces included (RFC 1939 §7).
        let password = arguments.ok_or(DecodeError::MissingArgument)?;
        return Password::new(password)
            .map(Command::Pass)
            .map_err(|_| DecodeError::MissingArgument);
    }
    let arguments = match arguments {
        Some(arguments) => words(arguments)?,
        None => Vec::new(),
    };
    let count = arguments.len();
    let (min, max) = match name {
        CommandName::User | CommandName::Retr | CommandName::Dele => (1, 1),
        CommandName::Apop | CommandName::Top => (2, 2),
        CommandName::List | CommandName::Uidl | CommandName::Lang => (0, 1),
        CommandName::Auth => (1, 2),
        _ => (0, 0),
    };
    if count < min {
        return Err(DecodeError::MissingArgument);
    }
    if count > max {
        return Err(DecodeError::TooManyArguments);
    }
    let first = arguments.first().copied().unwrap_or_default();
    let second = arguments.get(1).copied().unwrap_or_default();
    let optional_number = || {
        arguments
            .first()
            .map(|argument| message_number(argument))
            .transpose()
    };
    Ok(match name {
        CommandName::User => Command::User(word(first, "user name")?),
        CommandName::Pass => return Err(DecodeError::MissingArgument),
        CommandName::Apop => Command::Apop {
            name: word(first, "user name")?,
            digest: ApopDigest::from_hex(second)
                .map_err(|_| DecodeError::InvalidArgument("digest"))?,
        },
        CommandName::Stat => Command::Stat,
        CommandName::List => Command::List(optional_number()?),
        CommandName::Retr => Command::Retr(message_number(first)?),
        CommandName::Dele => Command::Dele(message_number(first)?),
        CommandName::Noop => Command::Noop,
        CommandName::Rset => Command::Rset,
        CommandName::Quit => Command::Quit,
        CommandName::Top => Command::Top {
            message: message_number(first)?,
            lines: number_u32(second, "line count")?,
        },
        CommandName::Uidl => Command::Uidl(optional_number()?),
        CommandName::Capa => Command::Capa,
        CommandName::Stls => Command::Stls,
        CommandName::Auth => Command::Auth {
            mechanism: Mechanism::new(utf8(first, "mechanism")?)
                .map_err(|_| DecodeError::InvalidArgument("mechanism"))?,
            initial_response: match arguments.get(1) {
                None => None,
                Some(&b"=") => Some(Secret::new(Vec::new())),
                Some(data) => Some(Secret::new(base64_data(data)?)),
            },
        },
        CommandName::Utf8 => Command::Utf8,
        CommandName::Lang => Command::Lang(
            arguments
                .first()
                .map(|range| word(range, "language range"))
                .transpose()?,
        ),
    })
}

/// A client line during AUTH: base64, or `*` to cancel (an empty line is an empty
/// response, as in RFC 5034 §6's last example).
pub(crate) fn sasl_response(line: &[u8]) -> Result<SaslResponse, DecodeError> {
    if line == b"*" {
        return Ok(SaslResponse::Cancel);
    }
    if line == b"=" {
        return Ok(SaslResponse::Data(Secret::new(Vec::new())));
    }
    Ok(SaslResponse::Data(Secret::new(base64_data(line)?)))
}

fn response_code(input: &[u8]) -> Res<'_, ResponseCode<'_>> {
    let (input, levels) = delimited(
        tag(&b"["[..]),
        separated_list1(tag(&b"/"[..]), take_while1(is_code_char)),
        tag(&b"]"[..]),
    )
    .parse(input)?;
    let levels: Option<Vec<Cow<'_, str>>> = levels
        .into_iter()
        .map(|level| std::str::from_utf8(level).ok().map(Cow::Borrowed))
        .collect();
    match levels.and_then(|levels| ResponseCode::new(levels).ok()) {
        Some(code) => Ok((input, code)),
        None => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Verify,
        ))),
    }
}

/// `+OK`/`-ERR` [SP [resp-code [SP]] text].
pub(crate) fn status_line(line: &[u8]) -> Result<StatusLine<'_>, DecodeError> {
    if line.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(DecodeError::ControlCharacter);
    }
    let parsed: Res<'_, (&[u8], Option<&[u8]>)> = (
        alt((tag(&b"+OK"[..]), tag(&b"-ERR"[..]))),
        opt(preceded(tag(&b" "[..]), rest)),
    )
        .parse(line);
    let (remainder, (status, after)) = parsed.map_err(|_| DecodeError::InvalidStatus)?;
    if !remainder.is_empty() {
        return Err(DecodeError::InvalidStatus);
    }
    let status = if status == b"+OK" {
        StatusIndicator::Ok
    } else {
        StatusIndicator::Err
    };
    let after = after.unwrap_or_default();
    // A malformed code is text: the server may not speak RESP-CODES.
    let with_code: Res<'_, (ResponseCode<'_>, Option<&[u8]>)> =
        (response_code, opt(preceded(tag(&b" "[..]), rest))).parse(after);
    let (code, text_bytes) = match with_code {
        Ok((&[], (code, text_bytes))) => (Some(code), text_bytes.unwrap_or_default()),
        _ => (None, after),
    };
    Ok(StatusLine {
        status,
        code,
        text: text(text_bytes)?,
    })
}

/// An AUTH challenge line `+ base64` (also `+` alone, as some servers send it).
pub(crate) fn continuation(line: &[u8]) -> Option<Result<Vec<u8>, DecodeError>> {
    match line {
        [b'+'] | [b'+', b' '] => Some(Ok(Vec::new())),
        [b'+', b' ', data @ ..] => Some(base64_data(data)),
        _ => None,
    }
}

/// The two numbers of a drop or scan listing and what follows them.
type TwoNumbers<'a> = (&'a [u8], &'a [u8], &'a [u8]);

fn two_numbers(line: &[u8]) -> Result<TwoNumbers<'_>, DecodeError> {
    let digits = || take_while1(|b: u8| b.is_ascii_digit());
    #[allow(clippy::type_complexity)]
    let parsed: Res<'_, (&[u8], &[u8], Option<&[u8]>)> = (
        digits(),
        preceded(tag(&b" "[..]), digits()),
        opt(preceded(tag(&b" "[..]), rest)),
    )
        .parse(line);
    match parsed {
        Ok((&[], (first, second, extra))) => Ok((first, second, extra.unwrap_or_default())),
        _ => Err(DecodeError::InvalidListing("listing")),
    }
}

/// The text of STAT's `+OK`: `count size [extra]`.
pub(crate) fn drop_listing(text_bytes: &[u8]) -> Result<DropListing<'_>, DecodeError> {
    let (count, octets, extra) =
        two_numbers(text_bytes).map_err(|_| DecodeError::InvalidListing("drop"))?;
    Ok(DropListing {
        count: number_u32(count, "count").map_err(|_| DecodeError::InvalidListing("drop"))?,
        size: size(octets).map_err(|_| DecodeError::InvalidListing("drop"))?,
        extra: text(extra)?,
    })
}

/// `msg size [extra]`.
pub(crate) fn scan_listing(line: &[u8]) -> Result<ScanListing<'_>, DecodeError> {
    let invalid = |_| DecodeError::InvalidListing("scan");
    let (message, octets, extra) = two_numbers(line).map_err(invalid)?;
    Ok(ScanListing {
        message: message_number(message).map_err(invalid)?,
        size: size(octets).map_err(invalid)?,
        extra: text(extra)?,
    })
}

/// `msg unique-id`.
pub(crate) fn unique_id_listing(line: &[u8]) -> Result<UniqueIdListing<'_>, DecodeError> {
    let invalid = || DecodeError::InvalidListing("unique-id");
    let parsed: Res<'_, (&[u8], &[u8])> = all_consuming((
        take_while1(|b: u8| b.is_ascii_digit()),
        preceded(
            tag(&b" "[..]),
            take_while1(|b: u8| (0x21..=0x7e).contains(&b)),
        ),
    ))
    .parse(line);
    let (_, (message, unique_id)) = parsed.map_err(|_| invalid())?;
    let unique_id = std::str::from_utf8(unique_id).map_err(|_| invalid())?;
    Ok(UniqueIdListing {
        message: message_number(message).map_err(|_| invalid())?,
        unique_id: UniqueId::new(unique_id).map_err(|_| invalid())?,
    })
}

/// `tag [SP description]`.
pub(crate) fn language_listing(line: &[u8]) -> Result<LanguageListing<'_>, DecodeError> {
    let invalid = || DecodeError::InvalidListing("language");
    let parsed: Res<'_, (&[u8], Option<&[u8]>)> = all_consuming((
        take_while1(is_word_byte),
        opt(preceded(tag(&b" "[..]), rest)),
    ))
    .parse(line);
    let (_, (language, description)) = parsed.map_err(|_| invalid())?;
    Ok(LanguageListing {
        tag: word(language, "language").map_err(|_| invalid())?,
        description: text(description.unwrap_or_default())?,
    })
}

/// `capa-tag *(SP param)`.
pub(crate) fn capability(line: &[u8]) -> Result<Capability<'_>, DecodeError> {
    let invalid = || DecodeError::InvalidListing("capability");
    if line.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(DecodeError::ControlCharacter);
    }
    let parsed: Res<'_, (&[u8], Option<&[u8]>)> = all_consuming((
        take_while1(|b: u8| is_word_byte(b) && b != b'.'),
        opt(preceded(tag(&b" "[..]), rest)),
    ))
    .parse(line);
    let (_, (capa_tag, arguments)) = parsed.map_err(|_| invalid())?;
    let capa_tag = std::str::from_utf8(capa_tag).map_err(|_| invalid())?;
    let arguments = arguments.unwrap_or_default();
    let is = |name: &str| capa_tag.eq_ignore_ascii_case(name);
    if is("IMPLEMENTATION") && !arguments.is_empty() {
        return Ok(Capability::Implementation(text(arguments)?));
    }
    let params: Vec<&[u8]> = if arguments.is_empty() {
        Vec::new()
    } else {
        words(arguments).map_err(|_| invalid())?
    };
    let known = match (params.as_slice(), capa_tag.to_ascii_uppercase().as_str()) {
        ([], "TOP") => Some(Capability::Top),
        ([], "USER") => Some(Capability::User),
        ([], "RESP-CODES") => Some(Capability::RespCodes),
        ([], "PIPELINING") => Some(Capability::Pipelining),
        ([], "UIDL") => Some(Capability::Uidl),
        ([], "STLS") => Some(Capability::Stls),
        ([], "LANG") => Some(Capability::Lang),
        ([], "UTF8") => Some(Capability::Utf8 { user: false }),
        ([user], "UTF8") if user.eq_ignore_ascii_case(b"USER") => {
            Some(Capability::Utf8 { user: true })
        }
        (mechanisms, "SASL") => mechanisms
            .iter()
            .map(|m| {
                std::str::from_utf8(m)
                    .ok()
                    .and_then(|m| Mechanism::new(m).ok())
            })
            .collect::<Option<Vec<_>>>()
            .map(Capability::Sasl),
        ([seconds, rest @ ..], "LOGIN-DELAY") => match (number_u32(seconds, "delay"), rest) {
            (Ok(seconds), []) => Some(Capability::LoginDelay {
                seconds,
                per_user: false,
            }),
            (Ok(seconds), [user]) if user.eq_ignore_ascii_case(b"USER") => {
                Some(Capability::LoginDelay {
                    seconds,
                    per_user: true,
                })
            }
            _ => None,
        },
        ([policy, rest @ ..], "EXPIRE") => {
            let policy = if policy.eq_ignore_ascii_case(b"NEVER") {
                Some(ExpirePolicy::Never)
            } else {
                number_u32(policy, "days").ok().map(ExpirePolicy::Days)
            };
            match (policy, rest) {
                (Some(policy), []) => Some(Capability::Expire {
                    policy,
                    per_user: false,
                }),
                (Some(policy), [user]) if user.eq_ignore_ascii_case(b"USER") => {
                    Some(Capability::Expire {
                        policy,
                        per_user: true,
                    })
                }
                _ => None,
            }
        }
        _ => None,
    };
    match known {
        Some(known) => Ok(known),
        None => Ok(Capability::Other {
            tag: word(capa_tag.as_bytes(), "capability").map_err(|_| invalid())?,
            params: params
                .into_iter()
                .map(|param| word(param, "capability"))
                .collect::<Result<_, _>>()
                .map_err(|_| invalid())?,
        }),
    }
}
