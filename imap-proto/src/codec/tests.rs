//! Unit tests of the codec: primitives, literals, limits, framing.

use std::borrow::Cow;

use mailwire_core::Status;

use super::*;
use crate::types::*;

fn rev1() -> DecodeOptions {
    DecodeOptions::default()
}

fn command(input: &[u8]) -> Command<'_> {
    match decode_command(input, &rev1()) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(
                consumed,
                input.len(),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            value
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

fn response(input: &[u8]) -> Response<'_> {
    match decode_response(input, &rev1()) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(
                consumed,
                input.len(),
                "{:?}",
                String::from_utf8_lossy(input)
            );
            value
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

fn encoded_command(value: &Command<'_>, options: &EncodeOptions) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command(value, options, &mut out);
    out
}

fn encoded_response(value: &Response<'_>, options: &EncodeOptions) -> Vec<u8> {
    let mut out = Vec::new();
    encode_response(value, options, &mut out);
    out
}

#[test]
fn simple_commands_round_trip() {
    for line in [
        &b"a001 CAPABILITY\r\n"[..],
        b"A NOOP\r\n",
        b"x LOGOUT\r\n",
        b"a STARTTLS\r\n",
        b"a IDLE\r\n",
        b"a NAMESPACE\r\n",
        b"a UNSELECT\r\n",
        b"a CHECK\r\n",
        b"a CLOSE\r\n",
        b"a EXPUNGE\r\n",
        b"a UID EXPUNGE 3000:3002\r\n",
        b"a COMPRESS DEFLATE\r\n",
    ] {
        let value = command(line);
        assert_eq!(encoded_command(&value, &EncodeOptions::default()), line);
    }
}

#[test]
fn quoted_strings_unescape_and_borrow() {
    let value = command(b"a LOGIN \"fred\" \"a\\\"b\\\\c\"\r\n");
    let CommandBody::Login { username, password } = &value.body else {
        panic!("{value:?}");
    };
    assert!(matches!(
        username.clone().into_inner(),
        Cow::Borrowed(b"fred")
    ));
    assert_eq!(password.expose().as_bytes(), b"a\"b\\c");
    // Encoding picks the shortest valid form: an atom for fred.
    assert_eq!(
        encoded_command(&value, &EncodeOptions::default()),
        b"a LOGIN fred \"a\\\"b\\\\c\"\r\n"
    );
    // A bad escape, CR in a quoted string, and 8-bit under IMAP4rev1 are refused.
    for bad in [
        &b"a LOGIN \"a\\b\" x\r\n"[..],
        b"a LOGIN \"a\rb\" x\r\n",
        "a LOGIN \"é\" x\r\n".as_bytes(),
    ] {
        assert!(decode_command(bad, &rev1()).is_err(), "{bad:?}");
    }
    let mut utf8 = rev1();
    utf8.utf8_accept = true;
    assert!(decode_command("a LOGIN \"é\" x\r\n".as_bytes(), &utf8).is_ok());
    assert!(decode_command(b"a LOGIN \"\xff\" x\r\n", &utf8).is_err());
}

#[test]
fn literals_of_every_kind() {
    let value = command(b"a LOGIN {4}\r\nfred {3}\r\nx y\r\n");
    let CommandBody::Login { username, password } = &value.body else {
        panic!("{value:?}");
    };
    assert_eq!(username.as_bytes(), b"fred");
    assert_eq!(password.expose().as_bytes(), b"x y");
    // Non-synchronizing literals need LITERAL+ (or LITERAL- up to 4096 octets).
    let plus = b"a LOGIN {4+}\r\nfred x\r\n";
    assert_eq!(
        decode_command(plus, &rev1()),
        Err(DecodeError::NonSyncLiteralNotAllowed { length: 4 })
    );
    let mut options = rev1();
    options.non_sync_literals = NonSyncLiterals::Plus;
    assert!(decode_command(plus, &options).is_ok());
    options.non_sync_literals = NonSyncLiterals::Minus;
    assert!(decode_command(plus, &options).is_ok());
    let big = b"a LOGIN {5000+}\r\n";
    assert_eq!(
        decode_command(big, &options),
        Err(DecodeError::NonSyncLiteralNotAllowed { length: 5000 })
    );
    // There is no `{n-}` form: LITERAL- uses `{n+}` too.
    assert!(decode_command(b"a LOGIN {4-}\r\nfred x\r\n", &options).is_err());
    // A literal8 only where the grammar allows it.
    assert!(decode_command(b"a LOGIN ~{4}\r\nfred x\r\n", &rev1()).is_err());
    let append = command(b"a APPEND INBOX ~{3}\r\na\0b\r\n");
    let CommandBody::Append { messages, .. } = &append.body else {
        panic!("{append:?}");
    };
    assert_eq!(
        messages.as_slice()[0].data,
        AppendData::Literal8(Cow::Borrowed(b"a\0b"))
    );
    // NUL is not allowed in a plain literal.
    assert!(decode_command(b"a APPEND INBOX {3}\r\na\0b\r\n", &rev1()).is_err());
    // Servers never send non-synchronizing literals.
    assert!(decode_response(b"* 1 FETCH (RFC822 {1+}\r\nx)\r\n", &options).is_err());
}

#[test]
fn literal_length_is_checked_before_anything_is_read() {
    let huge = b"a APPEND INBOX {4294967295}\r\n";
    assert_eq!(
        decode_command(huge, &rev1()),
        Err(DecodeError::LiteralTooLarge {
            length: 4_294_967_295,
            limit: 64 * 1024 * 1024
        })
    );
    // Even without the line end and without any data.
    assert!(matches!(
        decode_command(b"a APPEND INBOX {4294967295", &rev1()),
        Err(DecodeError::LiteralTooLarge { .. })
    ));
    assert!(matches!(
        frame_command(huge, &rev1()),
        Err(DecodeError::LiteralTooLarge { .. })
    ));
    // A length that does not even fit 64 bits.
    assert!(matches!(
        decode_command(b"a LOGIN {99999999999999999999999}\r\n", &rev1()),
        Err(DecodeError::LiteralTooLarge { .. })
    ));
    assert!(matches!(
        frame_command(b"a LOGIN {99999999999999999999999}\r\n", &rev1()),
        Err(DecodeError::LiteralTooLarge { .. })
    ));
    let mut small = rev1();
    small.limits.max_literal_length = 3;
    assert!(decode_command(b"a LOGIN {3}\r\nabc x\r\n", &small).is_ok());
    assert_eq!(
        decode_command(b"a LOGIN {4}\r\n", &small),
        Err(DecodeError::LiteralTooLarge {
            length: 4,
            limit: 3
        })
    );
}

#[test]
fn partial_input_is_not_an_error() {
    let whole = b"a LOGIN {4}\r\nfred \"x\"\r\n";
    for cut in 0..whole.len() {
        assert_eq!(
            decode_command(&whole[..cut], &rev1()),
            Ok(Status::Partial),
            "cut at {cut}"
        );
    }
    assert!(decode_command(whole, &rev1()).is_ok());
}

#[test]
fn framing_signals_synchronizing_literals() {
    let options = rev1();
    assert_eq!(frame_command(b"a NOOP", &options), Ok(Frame::NeedLine));
    assert_eq!(
        frame_command(b"a NOOP\r\nb NOOP\r\n", &options),
        Ok(Frame::Complete { length: 8 })
    );
    let line = b"A003 APPEND saved-messages (\\Seen) {310}\r\n";
    let Ok(Frame::Literal(pending)) = frame_command(line, &options) else {
        panic!();
    };
    assert_eq!(pending.length, 310);
    assert!(pending.synchronizing && !pending.binary);
    assert_eq!(pending.data_offset, line.len());
    assert_eq!(pending.missing(), 310);
    let mut more = line.to_vec();
    more.extend_from_slice(&[b'x'; 100]);
    let Ok(Frame::Literal(pending)) = frame_command(&more, &options) else {
        panic!();
    };
    assert_eq!(pending.missing(), 210);
    more.extend_from_slice(&[b'x'; 210]);
    assert_eq!(frame_command(&more, &options), Ok(Frame::NeedLine));
    more.extend_from_slice(b"\r\nnext");
    assert_eq!(
        frame_command(&more, &options),
        Ok(Frame::Complete {
            length: more.len() - 4
        })
    );
    // Two literals in one command, the second a literal8.
    let Ok(Frame::Literal(second)) = frame_command(b"a APPEND x {1}\r\nq ~{2}\r\n", &options)
    else {
        panic!();
    };
    assert!(second.binary);
    assert_eq!(second.data_offset, 24);
    // A too long line is an error before its end arrives.
    let mut short = rev1();
    short.limits.max_line_length = 10;
    assert_eq!(
        frame_command(b"a LOGIN fred", &short),
        Err(DecodeError::LineTooLong { limit: 10 })
    );
    // A non-synchronizing literal needs LITERAL+ when framing too.
    assert!(frame_command(b"a LOGIN {1+}\r\n", &options).is_err());
    // Responses: a literal in FETCH.
    assert!(matches!(
        frame_response(b"* 1 FETCH (BODY[] {5}\r\nab", &options),
        Ok(Frame::Literal(PendingLiteral {
            length: 5,
            available: 2,
            ..
        }))
    ));
}

#[test]
fn command_tag_helps_answer_bad_commands() {
    assert_eq!(
        command_tag(b"A1 BOGUS\r\n").map(|t| t.as_str().to_owned()),
        Some("A1".into())
    );
    assert!(command_tag(b"+ x").is_none());
    assert!(command_tag(b"A1").is_none());
    assert!(command_tag(b" A1 x").is_none());
}

#[test]
fn sequence_sets() {
    let value = command(b"a FETCH 2,4:7,9,12:* FLAGS\r\n");
    let CommandBody::Fetch { sequence_set, .. } = &value.body else {
        panic!();
    };
    assert_eq!(sequence_set.to_string(), "2,4:7,9,12:*");
    // "$" stands for a whole set (RFC 9051 §6.4.4.1), not an element.
    assert!(decode_command(b"a FETCH 1,$ FLAGS\r\n", &rev1()).is_err());
    assert!(matches!(
        decode_command(b"a FETCH 0 FLAGS\r\n", &rev1()),
        Err(DecodeError::Syntax { .. })
    ));
    let saved = command(b"a UID FETCH $ FLAGS\r\n");
    let CommandBody::Fetch {
        sequence_set, uid, ..
    } = &saved.body
    else {
        panic!();
    };
    assert!(*uid);
    assert_eq!(*sequence_set, SequenceSet::Saved);
    for bad in [
        &b"a FETCH 1:2:3 FLAGS\r\n"[..],
        b"a FETCH 1,,2 FLAGS\r\n",
        b"a FETCH 01 FLAGS\r\n",
        b"a FETCH 4294967296 FLAGS\r\n",
    ] {
        assert!(
            decode_command(bad, &rev1()).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn mailbox_names_follow_the_mode() {
    let value = command(b"a SELECT Entw&APw-rfe\r\n");
    let CommandBody::Select { mailbox, .. } = &value.body else {
        panic!();
    };
    assert_eq!(mailbox.name().as_str(), Some("Entwürfe"));
    let utf8 = EncodeOptions::default().with_utf8_accept(true);
    assert_eq!(
        encoded_command(&value, &utf8),
        "a SELECT \"Entwürfe\"\r\n".as_bytes()
    );
    assert_eq!(
        encoded_command(&value, &EncodeOptions::default()),
        b"a SELECT Entw&APw-rfe\r\n"
    );
    let inbox = command(b"a SELECT inbox\r\n");
    let CommandBody::Select { mailbox, .. } = &inbox.body else {
        panic!();
    };
    assert!(mailbox.is_inbox());
    assert_eq!(
        encoded_command(&inbox, &EncodeOptions::default()),
        b"a SELECT INBOX\r\n"
    );
}

#[test]
fn fragments_split_at_synchronizing_literals() {
    let value = Command {
        tag: Tag::try_from("a1").unwrap(),
        body: CommandBody::Login {
            username: IString::try_from("fred\r\n").unwrap(),
            password: mailwire_core::Secret::new(IString::try_from("x y").unwrap()),
        },
    };
    let encoded = encode_command_fragments(&value, &EncodeOptions::default());
    let fragments: Vec<&[u8]> = encoded.fragments().collect();
    assert_eq!(
        fragments,
        vec![&b"a1 LOGIN {6}\r\n"[..], b"fred\r\n \"x y\"\r\n"]
    );
    let plus = EncodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus);
    let encoded = encode_command_fragments(&value, &plus);
    assert_eq!(encoded.fragments().count(), 1);
    assert_eq!(encoded.as_bytes(), b"a1 LOGIN {6+}\r\nfred\r\n \"x y\"\r\n");
    let mut decode = rev1();
    decode.non_sync_literals = NonSyncLiterals::Plus;
    let Ok(Status::Complete { value: back, .. }) = decode_command(encoded.as_bytes(), &decode)
    else {
        panic!();
    };
    assert_eq!(back, value);
}

#[test]
fn nesting_is_bounded() {
    let mut deep = b"a SEARCH ".to_vec();
    deep.extend(std::iter::repeat_n(b'(', 100));
    deep.extend_from_slice(b"ALL");
    deep.extend(std::iter::repeat_n(b')', 100));
    deep.extend_from_slice(b"\r\n");
    assert_eq!(
        decode_command(&deep, &rev1()),
        Err(DecodeError::NestingTooDeep { limit: 64 })
    );
    let mut nots = b"a SEARCH ".to_vec();
    for _ in 0..1000 {
        nots.extend_from_slice(b"NOT ");
    }
    nots.extend_from_slice(b"ALL\r\n");
    assert_eq!(
        decode_command(&nots, &rev1()),
        Err(DecodeError::NestingTooDeep { limit: 64 })
    );
    let mut ok = b"a SEARCH ".to_vec();
    ok.extend(std::iter::repeat_n(b'(', 60));
    ok.extend_from_slice(b"ALL");
    ok.extend(std::iter::repeat_n(b')', 60));
    ok.extend_from_slice(b"\r\n");
    assert!(decode_command(&ok, &rev1()).is_ok());
}

#[test]
fn greeting_and_status_responses() {
    let Ok(Status::Complete { value, .. }) = decode_greeting(
        b"* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN LOGINDISABLED] Dovecot ready.\r\n",
        &rev1(),
    ) else {
        panic!();
    };
    assert_eq!(value.kind, GreetingKind::Ok);
    let Some(Code::Capability(capabilities)) = &value.text.code else {
        panic!();
    };
    assert_eq!(capabilities.len(), 4);
    assert_eq!(value.text.text.as_str(), "Dovecot ready.");
    assert!(decode_response(b"* PREAUTH x\r\n", &rev1()).is_err());
    let tagged = response(b"a NO [TRYCREATE] no such mailbox\r\n");
    assert!(matches!(
        tagged,
        Response::Tagged(TaggedResponse {
            state: State::No,
            text: ResponseText {
                code: Some(Code::TryCreate),
                ..
            },
            ..
        })
    ));
    // A code that is not well-formed stays text; a known name with other arguments
    // becomes the generic code, as the ABNF says.
    let Response::Data(Data::State { text, .. }) = response(b"* OK [ fine\r\n") else {
        panic!();
    };
    assert_eq!((text.code, text.text.as_str()), (None, "[ fine"));
    let Response::Data(Data::State { text, .. }) = response(b"* OK [UIDNEXT 0] x\r\n") else {
        panic!();
    };
    let Some(Code::Other(other)) = text.code else {
        panic!()
    };
    assert_eq!(other.name().as_str(), "UIDNEXT");
    assert_eq!(other.argument().map(Text::as_str), Some("0"));
    // Empty text (RFC 9051) with and without the space.
    for line in [&b"a OK\r\n"[..], b"a OK \r\n", b"a OK [READ-ONLY]\r\n"] {
        let _ = response(line);
    }
}

#[test]
fn text_is_seven_bit_unless_utf8() {
    let line = "a OK Grüße\r\n".as_bytes();
    assert!(decode_response(line, &rev1()).is_err());
    let mut rev2 = rev1();
    rev2.version = Version::Rev2;
    assert!(decode_response(line, &rev2).is_ok());
    let mut lossy = rev1();
    lossy.quirks.lossy_text = true;
    let Ok(Status::Complete {
        value: Response::Tagged(tagged),
        ..
    }) = decode_response(b"a OK Gr\xfc\xdfe\r\n", &lossy)
    else {
        panic!();
    };
    assert_eq!(tagged.text.text.as_str(), "Gr\u{fffd}\u{fffd}e");
    // Encoding non-ASCII text under IMAP4rev1 substitutes '?'.
    let value = Response::Tagged(TaggedResponse {
        tag: Tag::try_from("a").unwrap(),
        state: State::Ok,
        text: ResponseText {
            code: None,
            text: Text::try_from("Grüße").unwrap(),
        },
    });
    assert_eq!(
        encoded_response(&value, &EncodeOptions::default()),
        b"a OK Gr??e\r\n"
    );
}

#[test]
fn continuation_requests() {
    let Response::Continuation(continuation) = response(b"+ Ready for additional command text\r\n")
    else {
        panic!();
    };
    assert_eq!(
        continuation.text.text.as_str(),
        "Ready for additional command text"
    );
    let Response::Continuation(challenge) =
        response(b"+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n")
    else {
        panic!();
    };
    assert_eq!(challenge.decode_base64().map(|data| data.len()), Some(53));
    let Response::Continuation(empty) = response(b"+ \r\n") else {
        panic!()
    };
    assert_eq!(empty.decode_base64(), Some(Vec::new()));
    let _ = response(b"+\r\n");
    let built = Response::Continuation(Continuation::base64(b"challenge"));
    assert_eq!(
        encoded_response(&built, &EncodeOptions::default()),
        b"+ Y2hhbGxlbmdl\r\n"
    );
}

#[test]
fn authenticate_data_and_idle_done() {
    let Ok(Status::Complete { value, consumed }) =
        decode_authenticate_data(b"AGZyZWQAc2VjcmV0\r\nx", &rev1())
    else {
        panic!();
    };
    assert_eq!(consumed, 18);
    let AuthenticateData::Response(data) = &value else {
        panic!()
    };
    assert_eq!(data.expose(), b"\0fred\0secret");
    let mut out = Vec::new();
    encode_authenticate_data(&value, &mut out);
    assert_eq!(out, b"AGZyZWQAc2VjcmV0\r\n");
    assert!(matches!(
        decode_authenticate_data(b"*\r\n", &rev1()),
        Ok(Status::Complete {
            value: AuthenticateData::Cancel,
            consumed: 3
        })
    ));
    assert!(decode_authenticate_data(b"not base64!\r\n", &rev1()).is_err());
    assert!(matches!(
        decode_idle_done(b"done\r\n", &rev1()),
        Ok(Status::Complete { consumed: 6, .. })
    ));
    assert_eq!(decode_idle_done(b"DON", &rev1()), Ok(Status::Partial));
    assert!(decode_idle_done(b"DONE \r\n", &rev1()).is_err());
    let mut done = Vec::new();
    encode_idle_done(&mut done);
    assert_eq!(done, b"DONE\r\n");
    // SASL-IR: an initial response, `=` for an empty one.
    let value = command(b"a AUTHENTICATE PLAIN AGZyZWQAc2VjcmV0\r\n");
    let CommandBody::Authenticate {
        initial_response: Some(data),
        ..
    } = &value.body
    else {
        panic!();
    };
    assert_eq!(data.expose(), b"\0fred\0secret");
    let empty = command(b"a AUTHENTICATE EXTERNAL =\r\n");
    let CommandBody::Authenticate {
        initial_response: Some(data),
        ..
    } = &empty.body
    else {
        panic!();
    };
    assert!(data.expose().is_empty());
    assert_eq!(
        encoded_command(&empty, &EncodeOptions::default()),
        b"a AUTHENTICATE EXTERNAL =\r\n"
    );
    // The password never shows in Debug output.
    let login = command(b"a LOGIN fred hunter2\r\n");
    assert!(!format!("{login:?}").contains("hunter2"));
}

#[test]
fn deep_body_structures_parse_within_the_limit() {
    // A message/rfc822 inside a message/rfc822 ... 20 levels deep.
    fn nested(depth: usize) -> String {
        let leaf = "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1)".to_owned();
        let envelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
        (0..depth).fold(leaf, |inner, _| {
            format!("((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 100 {envelope} {inner} 5) \"MIXED\")")
        })
    }
    let line = format!("* 1 FETCH (BODYSTRUCTURE {})\r\n", nested(20));
    let value = response(line.as_bytes());
    let encoded = encoded_response(&value, &EncodeOptions::default());
    assert_eq!(encoded, line.as_bytes());
    let too_deep = format!("* 1 FETCH (BODYSTRUCTURE {})\r\n", nested(40));
    assert_eq!(
        decode_response(too_deep.as_bytes(), &rev1()),
        Err(DecodeError::NestingTooDeep { limit: 64 })
    );
    let mut higher = rev1();
    higher.limits.max_body_depth = 100;
    assert!(decode_response(too_deep.as_bytes(), &higher).is_ok());
}

#[test]
fn deepest_allowed_structures_fit_a_small_thread_stack() {
    // The deepest structures the default limits allow fit in half the default thread
    // stack (2 MiB) even in debug builds; release builds need far less.
    fn nested(depth: usize) -> String {
        let leaf = "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1)".to_owned();
        let envelope = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
        (0..depth).fold(leaf, |inner, _| {
            format!("((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 100 {envelope} {inner} 5) \"MIXED\")")
        })
    }
    let handle = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            let body = format!("* 1 FETCH (BODYSTRUCTURE {})\r\n", nested(31));
            let decoded = decode_response(body.as_bytes(), &rev1());
            assert!(
                matches!(decoded, Ok(Status::Complete { .. })),
                "{decoded:?}"
            );
            let mut out = Vec::new();
            if let Ok(Status::Complete { value, .. }) = decoded {
                encode_response(&value, &EncodeOptions::default(), &mut out);
            }
            assert_eq!(out, body.as_bytes());
            let mut search = b"a SEARCH ".to_vec();
            for _ in 0..63 {
                search.extend_from_slice(b"NOT (");
            }
            search.extend_from_slice(b"ALL");
            search.extend(std::iter::repeat_n(b')', 63));
            search.extend_from_slice(b"\r\n");
            let decoded = decode_command(&search, &rev1());
            assert!(
                matches!(decoded, Err(DecodeError::NestingTooDeep { .. })),
                "{decoded:?}"
            );
        })
        .unwrap();
    handle.join().unwrap();
}
