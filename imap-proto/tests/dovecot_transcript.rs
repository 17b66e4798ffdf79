//! A session recorded with a real Dovecot 2.3 (tests/data/capture_dovecot.py; messages
//! written for it, no third-party data): every response it sent and every command sent
//! to it decodes completely, encodes and decodes back to the same value, and the framer
//! agrees with the decoder on where each one ends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_core::Status;
use mailwire_imap::codec::*;
use mailwire_imap::types::*;

const GREETING: &[u8] = include_bytes!("data/dovecot/greeting.bin");
const COMMANDS: &[u8] = include_bytes!("data/dovecot/commands.bin");
const RESPONSES: &[u8] = include_bytes!("data/dovecot/responses.bin");

fn options() -> DecodeOptions {
    // Dovecot advertises IMAP4rev1 and LITERAL+.
    DecodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus)
}

#[test]
fn greeting_decodes() {
    let Ok(Status::Complete { value, consumed }) = decode_greeting(GREETING, &options()) else {
        panic!("{:?}", String::from_utf8_lossy(GREETING));
    };
    assert_eq!(consumed, GREETING.len());
    assert_eq!(value.kind, GreetingKind::Ok);
    let Some(Code::Capability(capabilities)) = &value.text.code else {
        panic!("{value:?}");
    };
    assert!(capabilities.contains(&Capability::Imap4Rev1));
    assert!(capabilities.contains(&Capability::LiteralPlus));
}

#[test]
fn every_response_decodes_and_round_trips() {
    let options = options();
    let encode = EncodeOptions::from(&options);
    let mut input = RESPONSES;
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    while !input.is_empty() {
        let value = match decode_response(input, &options) {
            Ok(Status::Complete { value, consumed }) => {
                assert_eq!(
                    frame_response(input, &options),
                    Ok(Frame::Complete { length: consumed })
                );
                input = &input[consumed..];
                value
            }
            other => {
                let end = input
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(input.len() - 1);
                panic!("{other:?}: {:?}", String::from_utf8_lossy(&input[..=end]));
            }
        };
        let kind = match &value {
            Response::Tagged(_) => "tagged",
            Response::Continuation(_) => "continuation",
            Response::Data(Data::Fetch { .. }) => "fetch",
            Response::Data(Data::List(_)) => "list",
            Response::Data(Data::Status { .. }) => "status",
            Response::Data(Data::ESearch(_)) => "esearch",
            Response::Data(Data::Vanished { .. }) => "vanished",
            Response::Data(Data::Quota { .. } | Data::QuotaRoot { .. }) => "quota",
            Response::Data(_) => "other data",
        };
        *kinds.entry(kind).or_default() += 1;
        let mut bytes = Vec::new();
        encode_response(&value, &encode, &mut bytes);
        match decode_response(&bytes, &options) {
            Ok(Status::Complete { value: again, .. }) => assert_eq!(again, value),
            other => panic!("{other:?}: {:?}", String::from_utf8_lossy(&bytes)),
        }
    }
    for kind in [
        "tagged",
        "continuation",
        "fetch",
        "list",
        "status",
        "esearch",
        "vanished",
        "quota",
    ] {
        assert!(kinds.contains_key(kind), "no {kind} response in {kinds:?}");
    }
}

#[test]
fn fetch_of_a_forwarded_forward_has_the_nested_structure() {
    let mut input = RESPONSES;
    let mut found = false;
    while let Ok(Status::Complete { value, consumed }) = decode_response(input, &options()) {
        input = &input[consumed..];
        let Response::Data(Data::Fetch { items, .. }) = value else {
            continue;
        };
        for item in items {
            let MessageDataItem::BodyStructure(body) = item else {
                continue;
            };
            // multipart/mixed > message/rfc822 > multipart/mixed > message/rfc822 > text
            let BodyStructure::Multi { parts, .. } = body.as_ref() else {
                continue;
            };
            let Some(BodyStructure::Single {
                kind: SinglePartKind::Message { body: inner, .. },
                ..
            }) = parts.get(1)
            else {
                continue;
            };
            let BodyStructure::Multi {
                parts: inner_parts, ..
            } = inner.as_ref()
            else {
                continue;
            };
            if let Some(BodyStructure::Single {
                kind: SinglePartKind::Message { envelope, .. },
                ..
            }) = inner_parts.get(1)
            {
                assert_eq!(
                    envelope.subject.as_ref().map(IString::as_bytes),
                    Some(&b"Plain hello"[..])
                );
                found = true;
            }
        }
    }
    assert!(found, "the forwarded forward was not fetched");
}

#[test]
fn every_command_decodes_and_round_trips() {
    let options = options();
    let encode = EncodeOptions::from(&options);
    let mut input = COMMANDS;
    let mut count = 0;
    while !input.is_empty() {
        if let Ok(Status::Complete { consumed, .. }) = decode_idle_done(input, &options) {
            input = &input[consumed..];
            continue;
        }
        match decode_command(input, &options) {
            Ok(Status::Complete { value, consumed }) => {
                assert_eq!(
                    frame_command(input, &options),
                    Ok(Frame::Complete { length: consumed })
                );
                input = &input[consumed..];
                let mut bytes = Vec::new();
                encode_command(&value, &encode, &mut bytes);
                match decode_command(&bytes, &options) {
                    Ok(Status::Complete { value: again, .. }) => assert_eq!(again, value),
                    other => panic!("{other:?}: {:?}", String::from_utf8_lossy(&bytes)),
                }
                count += 1;
            }
            // The one command Dovecot refuses is not IMAP either.
            Err(_) if input.starts_with(b"c48 BOGUS\r\n") => input = &input[11..],
            other => {
                let end = input
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(input.len() - 1);
                panic!("{other:?}: {:?}", String::from_utf8_lossy(&input[..=end]));
            }
        }
    }
    assert!(count > 40, "{count} commands");
}
