//! Known-answer table: every `C:` / `S:` example line of RFC 3501 §6-7 and RFC 9051 §6-7
//! (tests/data/rfc_examples.txt), decoded, encoded and decoded again.
//!
//! Each data line is `KIND PAYLOAD<TAB># SOURCE [NOTE]`. `⏎` in a payload stands for
//! CRLF inside a message (literal data). Kinds:
//! - `C` a command, `S` a response, `G` a greeting, `A` an AUTHENTICATE data line,
//!   `D` the DONE of IDLE: must decode and round-trip;
//! - `X` an example line that is not a complete valid message on its own (elisions like
//!   `...`, literal data shown as separate lines, deliberately invalid commands): must
//!   not decode as the kind given after `X` (`XC` / `XS`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_core::Status;
use mailwire_imap::codec::{
    decode_authenticate_data, decode_command, decode_greeting, decode_idle_done, decode_response,
    encode_authenticate_data, encode_command, encode_greeting, encode_response, DecodeOptions,
    EncodeOptions, NonSyncLiterals, Version,
};

struct Example {
    kind: String,
    payload: Vec<u8>,
    source: String,
}

fn examples(text: &str) -> Vec<Example> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (body, source) = line.split_once("\t# ").expect("a source comment");
            let (kind, payload) = body.split_once(' ').unwrap_or((body, ""));
            let mut bytes = payload.replace('⏎', "\r\n").into_bytes();
            bytes.extend_from_slice(b"\r\n");
            Example {
                kind: kind.to_owned(),
                payload: bytes,
                source: source.to_owned(),
            }
        })
        .collect()
}

/// Options for the RFC an example comes from: RFC 9051 examples run as IMAP4rev2 with
/// LITERAL+ (its examples use `{n+}`), RFC 3501 ones as plain IMAP4rev1, extension
/// examples as IMAP4rev1 with LITERAL+ (and UTF8=ACCEPT for RFC 6855).
fn options(source: &str) -> (DecodeOptions, EncodeOptions) {
    let decode = if source.starts_with("9051") {
        DecodeOptions::default()
            .with_version(Version::Rev2)
            .with_non_sync_literals(NonSyncLiterals::Plus)
    } else if source.starts_with("3501") {
        DecodeOptions::default()
    } else {
        DecodeOptions::default()
            .with_non_sync_literals(NonSyncLiterals::Plus)
            .with_utf8_accept(source.starts_with("6855"))
    };
    let encode = EncodeOptions::from(&decode);
    (decode, encode)
}

fn complete<T: std::fmt::Debug>(
    result: Result<Status<T>, mailwire_imap::DecodeError>,
    input: &[u8],
    source: &str,
) -> Result<T, String> {
    match result {
        Ok(Status::Complete { value, consumed }) if consumed == input.len() => Ok(value),
        other => Err(format!(
            "{source}: {:?} -> {other:?}",
            String::from_utf8_lossy(input)
        )),
    }
}

fn check(example: &Example) -> Result<(), String> {
    let (decode, encode) = options(&example.source);
    let input = example.payload.as_slice();
    let source = example.source.as_str();
    match example.kind.as_str() {
        "C" => {
            let first = complete(decode_command(input, &decode), input, source)?;
            let mut out = Vec::new();
            encode_command(&first, &encode, &mut out);
            let second = complete(decode_command(&out, &decode), &out, source)?;
            (first == second)
                .then_some(())
                .ok_or(format!("{source}: command changed: {first:?} / {second:?}"))
        }
        "S" => {
            let first = complete(decode_response(input, &decode), input, source)?;
            let mut out = Vec::new();
            encode_response(&first, &encode, &mut out);
            let second = complete(decode_response(&out, &decode), &out, source)?;
            (first == second).then_some(()).ok_or(format!(
                "{source}: response changed: {first:?} / {second:?}"
            ))
        }
        "G" => {
            let first = complete(decode_greeting(input, &decode), input, source)?;
            let mut out = Vec::new();
            encode_greeting(&first, &encode, &mut out);
            let second = complete(decode_greeting(&out, &decode), &out, source)?;
            (first == second)
                .then_some(())
                .ok_or(format!("{source}: greeting changed"))
        }
        "A" => {
            let first = complete(decode_authenticate_data(input, &decode), input, source)?;
            let mut out = Vec::new();
            encode_authenticate_data(&first, &mut out);
            (out == input)
                .then_some(())
                .ok_or(format!("{source}: authenticate data changed"))
        }
        "D" => complete(decode_idle_done(input, &decode), input, source).map(|_| ()),
        "XC" => match decode_command(input, &decode) {
            Ok(Status::Complete { consumed, .. }) if consumed == input.len() => {
                Err(format!("{source}: expected not to decode as a command"))
            }
            _ => Ok(()),
        },
        "XS" => match decode_response(input, &decode) {
            Ok(Status::Complete { consumed, .. }) if consumed == input.len() => {
                Err(format!("{source}: expected not to decode as a response"))
            }
            _ => Ok(()),
        },
        other => Err(format!("{source}: unknown kind {other}")),
    }
}

fn check_all(examples: &[Example]) {
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|example| check(example).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} examples failed:\n{}",
        failures.len(),
        examples.len(),
        failures.join("\n")
    );
}

#[test]
fn every_example_line_of_rfc_3501_and_9051_sections_6_and_7() {
    let examples = examples(include_str!("data/rfc_examples.txt"));
    assert!(examples.len() > 800, "{} examples", examples.len());
    check_all(&examples);
}

#[test]
fn every_example_line_of_the_sample_sessions_and_the_extension_rfcs() {
    let examples = examples(include_str!("data/extension_examples.txt"));
    assert!(examples.len() > 700, "{} examples", examples.len());
    check_all(&examples);
}
