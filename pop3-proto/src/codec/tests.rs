//! Known-answer tables and round trips for every command and response.

use std::borrow::Cow;

use mailwire_core::{Secret, Status};
use proptest::prelude::*;

use super::*;
use crate::types::*;

fn n(number: u32) -> MessageNumber {
    MessageNumber::new(number).unwrap()
}

fn word(text: &'static str) -> Word<'static> {
    Word::new(text).unwrap()
}

fn text(text: &'static str) -> Text<'static> {
    Text::utf8(text).unwrap()
}

fn decode_one(wire: &[u8]) -> Command<'_> {
    match decode_command(wire) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(consumed, wire.len(), "{wire:?}");
            value
        }
        other => panic!("{wire:?}: {other:?}"),
    }
}

/// (wire as received, decoded value, canonical wire form).
fn command_table() -> Vec<(&'static [u8], Command<'static>, &'static [u8])> {
    let digest = ApopDigest::from_hex(b"c4c9334bac560ecc979e58001b3e22fb").unwrap();
    vec![
        (
            b"USER mrose\r\n",
            Command::User(word("mrose")),
            b"USER mrose\r\n",
        ),
        (
            b"user frated\r\n",
            Command::User(word("frated")),
            b"USER frated\r\n",
        ),
        (
            b"PASS secret\r\n",
            Command::Pass(Password::new(&b"secret"[..]).unwrap()),
            b"PASS secret\r\n",
        ),
        (
            b"PASS two words \r\n",
            Command::Pass(Password::new(&b"two words "[..]).unwrap()),
            b"PASS two words \r\n",
        ),
        (
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
            Command::Apop {
                name: word("mrose"),
                digest,
            },
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
        ),
        (
            b"apop mrose C4C9334BAC560ECC979E58001B3E22FB\r\n",
            Command::Apop {
                name: word("mrose"),
                digest,
            },
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
        ),
        (b"STAT\r\n", Command::Stat, b"STAT\r\n"),
        (b"LIST\r\n", Command::List(None), b"LIST\r\n"),
        (b"LIST 2\r\n", Command::List(Some(n(2))), b"LIST 2\r\n"),
        (b"list 007\r\n", Command::List(Some(n(7))), b"LIST 7\r\n"),
        (b"RETR 1\r\n", Command::Retr(n(1)), b"RETR 1\r\n"),
        (
            b"DELE 4294967295\r\n",
            Command::Dele(n(u32::MAX)),
            b"DELE 4294967295\r\n",
        ),
        (b"NOOP\r\n", Command::Noop, b"NOOP\r\n"),
        (b"RSET\r\n", Command::Rset, b"RSET\r\n"),
        (b"QUIT\r\n", Command::Quit, b"QUIT\r\n"),
        (
            b"TOP 1 10\r\n",
            Command::Top {
                message: n(1),
                lines: 10,
            },
            b"TOP 1 10\r\n",
        ),
        (
            b"TOP 100 0\r\n",
            Command::Top {
                message: n(100),
                lines: 0,
            },
            b"TOP 100 0\r\n",
        ),
        (b"UIDL\r\n", Command::Uidl(None), b"UIDL\r\n"),
        (b"UIDL 2\r\n", Command::Uidl(Some(n(2))), b"UIDL 2\r\n"),
        (b"CAPA\r\n", Command::Capa, b"CAPA\r\n"),
        (b"STLS\r\n", Command::Stls, b"STLS\r\n"),
        (
            b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
            Command::Auth {
                mechanism: Mechanism::plain(),
                initial_response: Some(Secret::new(b"test\0test\0test".to_vec())),
            },
            b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
        ),
        (
            b"auth plain\r\n",
            Command::Auth {
                mechanism: Mechanism::plain(),
                initial_response: None,
            },
            b"AUTH PLAIN\r\n",
        ),
        (
            b"AUTH EXTERNAL =\r\n",
            Command::Auth {
                mechanism: Mechanism::new("EXTERNAL").unwrap(),
                initial_response: Some(Secret::new(Vec::new())),
            },
            b"AUTH EXTERNAL =\r\n",
        ),
        (b"UTF8\r\n", Command::Utf8, b"UTF8\r\n"),
        (b"LANG\r\n", Command::Lang(None), b"LANG\r\n"),
        (
            b"LANG es\r\n",
            Command::Lang(Some(word("es"))),
            b"LANG es\r\n",
        ),
        (b"LANG *\r\n", Command::Lang(Some(word("*"))), b"LANG *\r\n"),
    ]
}

#[test]
fn command_known_answers() {
    for (wire, expected, canonical) in command_table() {
        let decoded = decode_one(wire);
        assert_eq!(decoded, expected, "{}", String::from_utf8_lossy(wire));
        let mut encoded = Vec::new();
        encode_command(&decoded, &mut encoded);
        assert_eq!(encoded, canonical);
        assert_eq!(decode_one(&encoded), expected);
        assert_eq!(decoded.clone().into_owned(), decoded);
    }
}

#[test]
fn command_errors() {
    let table: &[(&[u8], DecodeError)] = &[
        (b"FOO\r\n", DecodeError::UnknownCommand),
        (b"RETRIEVE 1\r\n", DecodeError::UnknownCommand),
        (b"\r\n", DecodeError::UnknownCommand),
        (b" STAT\r\n", DecodeError::UnknownCommand),
        (b"STAT 1\r\n", DecodeError::TooManyArguments),
        (b"STAT \r\n", DecodeError::InvalidArgument("argument")),
        (b"RETR\r\n", DecodeError::MissingArgument),
        (
            b"RETR 0\r\n",
            DecodeError::InvalidArgument("message number"),
        ),
        (
            b"RETR 4294967296\r\n",
            DecodeError::InvalidArgument("message number"),
        ),
        (
            b"RETR x\r\n",
            DecodeError::InvalidArgument("message number"),
        ),
        (b"RETR 1  \r\n", DecodeError::InvalidArgument("argument")),
        (b"TOP 1\r\n", DecodeError::MissingArgument),
        (b"TOP 1 -1\r\n", DecodeError::InvalidArgument("line count")),
        (b"LIST 1 2\r\n", DecodeError::TooManyArguments),
        (b"PASS\r\n", DecodeError::MissingArgument),
        (b"PASS \r\n", DecodeError::MissingArgument),
        (
            b"APOP mrose c4c9\r\n",
            DecodeError::InvalidArgument("digest"),
        ),
        (b"AUTH PLAIN dGVzd\r\n", DecodeError::InvalidBase64),
        (b"AUTH PLAIN =AAA\r\n", DecodeError::InvalidBase64),
        (b"AUTH PL@IN\r\n", DecodeError::InvalidArgument("mechanism")),
        (b"USER a\0b\r\n", DecodeError::ControlCharacter),
        (b"NOOP\n", DecodeError::BareLineFeed),
    ];
    for (wire, error) in table {
        assert_eq!(
            decode_command(wire),
            Err(*error),
            "{}",
            String::from_utf8_lossy(wire)
        );
    }
    assert_eq!(decode_command(b"NOO"), Ok(Status::Partial));
    assert_eq!(decode_command(b"NOOP\r"), Ok(Status::Partial));
    let long = [b"USER ".as_slice(), &[b'a'; 250], b"\r\n"].concat();
    assert_eq!(decode_command(&long), Err(DecodeError::LineTooLong));
    assert_eq!(decode_command(&long[..255]), Err(DecodeError::LineTooLong));
    let relaxed = Limits {
        max_command_line: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        decode_command_with(&long, &relaxed),
        Ok(Status::Complete { .. })
    ));
}

#[test]
fn sasl_response_lines() {
    assert_eq!(
        decode_sasl_response(b"dGVzdAB0ZXN0AHRlc3Q=\r\n"),
        Ok(Status::Complete {
            value: SaslResponse::Data(Secret::new(b"test\0test\0test".to_vec())),
            consumed: 22
        })
    );
    assert_eq!(
        decode_sasl_response(b"*\r\n"),
        Ok(Status::Complete {
            value: SaslResponse::Cancel,
            consumed: 3
        })
    );
    assert_eq!(
        decode_sasl_response(b"\r\n"),
        Ok(Status::Complete {
            value: SaslResponse::Data(Secret::new(Vec::new())),
            consumed: 2
        })
    );
    assert_eq!(
        decode_sasl_response(b"AAA=BBB\r\n"),
        Err(DecodeError::InvalidBase64)
    );
    assert_eq!(decode_sasl_response(b"dGVz"), Ok(Status::Partial));
    for response in [
        SaslResponse::Cancel,
        SaslResponse::Data(Secret::new(b"\0u\0p".to_vec())),
    ] {
        let mut wire = Vec::new();
        encode_sasl_response(&response, &mut wire);
        assert_eq!(
            decode_sasl_response(&wire).unwrap().complete().unwrap().0,
            response
        );
    }
}

fn decode_full(kind: ResponseKind, wire: &[u8]) -> Response<'_> {
    match decode_response(kind, wire) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(consumed, wire.len(), "{}", String::from_utf8_lossy(wire));
            value
        }
        other => panic!("{}: {other:?}", String::from_utf8_lossy(wire)),
    }
}

fn code(levels: &[&'static str]) -> ResponseCode<'static> {
    ResponseCode::new(levels.iter().map(|level| Cow::Borrowed(*level)).collect()).unwrap()
}

/// (kind, wire, decoded value); the wire is also the canonical encoding.
fn response_table() -> Vec<(ResponseKind, &'static [u8], Response<'static>)> {
    let ok = |t: &'static str| StatusLine::ok(text(t));
    vec![
        (
            ResponseKind::Greeting,
            b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
            Response::Status(ok("POP3 server ready <1896.697170952@dbc.mtview.ca.us>")),
        ),
        (ResponseKind::Status, b"+OK\r\n", Response::Status(ok(""))),
        (
            ResponseKind::Status,
            b"-ERR [IN-USE] Do you have another POP session running?\r\n",
            Response::Status(StatusLine::err(
                Some(ResponseCode::known(KnownCode::InUse)),
                text("Do you have another POP session running?"),
            )),
        ),
        (
            ResponseKind::Status,
            b"-ERR [LOGIN-DELAY] wait\r\n",
            Response::Status(StatusLine::err(Some(code(&["LOGIN-DELAY"])), text("wait"))),
        ),
        (
            ResponseKind::Status,
            b"-ERR [SYS/TEMP/DISK] try later\r\n",
            Response::Status(StatusLine::err(Some(code(&["SYS", "TEMP", "DISK"])), text("try later"))),
        ),
        (
            ResponseKind::Status,
            b"-ERR [SYS/PERM]\r\n",
            Response::Status(StatusLine::err(Some(code(&["SYS", "PERM"])), text(""))),
        ),
        (
            ResponseKind::Status,
            b"-ERR [AUTH] Plaintext authentication disallowed\r\n",
            Response::Status(StatusLine::err(Some(code(&["AUTH"])), text("Plaintext authentication disallowed"))),
        ),
        (
            ResponseKind::Message,
            b"-ERR [UTF8] needs UTF8 mode\r\n",
            Response::Status(StatusLine::err(Some(code(&["UTF8"])), text("needs UTF8 mode"))),
        ),
        (
            ResponseKind::Status,
            b"-ERR [not a code] text\r\n",
            Response::Status(StatusLine::err(None, text("[not a code] text"))),
        ),
        (
            ResponseKind::Status,
            b"+OK es Idioma cambiado\r\n",
            Response::Status(ok("es Idioma cambiado")),
        ),
        (
            ResponseKind::DropListing,
            b"+OK 2 320\r\n",
            Response::DropListing(DropListing { count: 2, size: 320, extra: Text::empty() }),
        ),
        (
            ResponseKind::ScanListing,
            b"+OK 2 200\r\n",
            Response::ScanListing(ScanListing { message: n(2), size: 200, extra: Text::empty() }),
        ),
        (
            ResponseKind::UniqueIdListing,
            b"+OK 2 QhdPYR:00WBw1Ph7x7\r\n",
            Response::UniqueIdListing(UniqueIdListing {
                message: n(2),
                unique_id: UniqueId::new("QhdPYR:00WBw1Ph7x7").unwrap(),
            }),
        ),
        (
            ResponseKind::ScanListings,
            b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n",
            Response::ScanListings {
                line: ok("2 messages (320 octets)"),
                listings: vec![
                    ScanListing { message: n(1), size: 120, extra: Text::empty() },
                    ScanListing { message: n(2), size: 200, extra: Text::empty() },
                ],
            },
        ),
        (
            ResponseKind::ScanListings,
            b"+OK\r\n.\r\n",
            Response::ScanListings { line: ok(""), listings: vec![] },
        ),
        (
            ResponseKind::UniqueIdListings,
            b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n",
            Response::UniqueIdListings {
                line: ok(""),
                listings: vec![
                    UniqueIdListing { message: n(1), unique_id: UniqueId::new("whqtswO00WBw418f9t5JxYwZ").unwrap() },
                    UniqueIdListing { message: n(2), unique_id: UniqueId::new("QhdPYR:00WBw1Ph7x7").unwrap() },
                ],
            },
        ),
        (
            ResponseKind::Capabilities,
            b"+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\nPIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n",
            Response::Capabilities {
                line: ok("Capability list follows"),
                capabilities: vec![
                    Capability::Top,
                    Capability::User,
                    Capability::Sasl(vec![Mechanism::new("CRAM-MD5").unwrap(), Mechanism::new("KERBEROS_V4").unwrap()]),
                    Capability::RespCodes,
                    Capability::LoginDelay { seconds: 900, per_user: false },
                    Capability::Pipelining,
                    Capability::Expire { policy: ExpirePolicy::Days(60), per_user: false },
                    Capability::Uidl,
                    Capability::Implementation(text("Shlemazle-Plotz-v302")),
                ],
            },
        ),
        (
            ResponseKind::Capabilities,
            b"+OK\r\nSTLS\r\nUTF8 USER\r\nUTF8\r\nLANG\r\nEXPIRE NEVER\r\nEXPIRE 5 USER\r\nLOGIN-DELAY 60 USER\r\nIMPLEMENTATION BlurdyBlurp POP3 server\r\nX-FOO a b\r\nSASL\r\n.\r\n",
            Response::Capabilities {
                line: ok(""),
                capabilities: vec![
                    Capability::Stls,
                    Capability::Utf8 { user: true },
                    Capability::Utf8 { user: false },
                    Capability::Lang,
                    Capability::Expire { policy: ExpirePolicy::Never, per_user: false },
                    Capability::Expire { policy: ExpirePolicy::Days(5), per_user: true },
                    Capability::LoginDelay { seconds: 60, per_user: true },
                    Capability::Implementation(text("BlurdyBlurp POP3 server")),
                    Capability::Other { tag: word("X-FOO"), params: vec![word("a"), word("b")] },
                    Capability::Sasl(vec![]),
                ],
            },
        ),
        (
            ResponseKind::Languages,
            b"+OK Language listing follows:\r\nen English\r\nen-boont English Boontling dialect\r\nde Deutsch\r\nsv\r\n.\r\n",
            Response::Languages {
                line: ok("Language listing follows:"),
                languages: vec![
                    LanguageListing { tag: word("en"), description: text("English") },
                    LanguageListing { tag: word("en-boont"), description: text("English Boontling dialect") },
                    LanguageListing { tag: word("de"), description: text("Deutsch") },
                    LanguageListing { tag: word("sv"), description: Text::empty() },
                ],
            },
        ),
        (
            ResponseKind::Message,
            b"+OK 120 octets\r\nSubject: hi\r\n\r\n..leading dot\r\n...\r\nend\r\n.\r\n",
            Response::Message {
                line: ok("120 octets"),
                body: Cow::Borrowed(b"Subject: hi\r\n\r\n.leading dot\r\n..\r\nend\r\n"),
            },
        ),
        (
            ResponseKind::Message,
            b"+OK\r\n.\r\n",
            Response::Message { line: ok(""), body: Cow::Borrowed(b"") },
        ),
        (
            ResponseKind::Auth,
            b"+ cmVhbG09ImVsd29vZC5pbm5vc29mdC5jb20i\r\n",
            Response::Continuation(b"realm=\"elwood.innosoft.com\"".to_vec()),
        ),
        (ResponseKind::Auth, b"+ \r\n", Response::Continuation(Vec::new())),
        (ResponseKind::Auth, b"+OK Maildrop locked and ready\r\n", Response::Status(ok("Maildrop locked and ready"))),
        (
            ResponseKind::Capabilities,
            b"-ERR not supported\r\n",
            Response::Status(StatusLine::err(None, text("not supported"))),
        ),
    ]
}

#[test]
fn response_known_answers() {
    for (kind, wire, expected) in response_table() {
        let decoded = decode_full(kind, wire);
        assert_eq!(decoded, expected, "{}", String::from_utf8_lossy(wire));
        let mut encoded = Vec::new();
        encode_response(&decoded, &mut encoded);
        assert_eq!(encoded, wire, "{}", String::from_utf8_lossy(&encoded));
        assert_eq!(decode_full(kind, &encoded), expected);
        assert_eq!(decoded.clone().into_owned(), decoded);
        // Every proper prefix is partial (never an error, never a different value).
        for cut in 0..wire.len() {
            assert_eq!(
                decode_response(kind, &wire[..cut]),
                Ok(Status::Partial),
                "cut {cut}"
            );
        }
    }
}

#[test]
fn greeting_timestamp_and_tolerated_forms() {
    let Response::Status(line) = decode_full(
        ResponseKind::Greeting,
        b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
    ) else {
        panic!("not a status")
    };
    assert_eq!(
        line.apop_timestamp().unwrap().as_str(),
        "<1896.697170952@dbc.mtview.ca.us>"
    );
    // A bare "+" is an empty challenge too; trailing space after a status is empty text.
    assert_eq!(
        decode_full(ResponseKind::Auth, b"+\r\n"),
        Response::Continuation(Vec::new())
    );
    assert_eq!(
        decode_full(ResponseKind::Status, b"+OK \r\n"),
        Response::Status(StatusLine::ok(Text::empty()))
    );
    // Dot-stuffed lines of listings are unstuffed.
    assert_eq!(
        decode_full(ResponseKind::Capabilities, b"+OK\r\n.X-A\r\n.\r\n"),
        Response::Capabilities {
            line: StatusLine::ok(Text::empty()),
            capabilities: vec![Capability::Other {
                tag: word("X-A"),
                params: vec![]
            }]
        }
    );
}

#[test]
fn response_errors() {
    let table: &[(ResponseKind, &[u8], DecodeError)] = &[
        (ResponseKind::Status, b"OK\r\n", DecodeError::InvalidStatus),
        (ResponseKind::Status, b"+ok\r\n", DecodeError::InvalidStatus),
        (ResponseKind::Status, b"+OKAY\r\n", DecodeError::InvalidStatus),
        (ResponseKind::Status, b"+ dGVz\r\n", DecodeError::InvalidStatus),
        (ResponseKind::Status, b"+OK\n", DecodeError::BareLineFeed),
        (ResponseKind::DropListing, b"+OK two 320\r\n", DecodeError::InvalidListing("drop")),
        (ResponseKind::ScanListing, b"+OK 0 200\r\n", DecodeError::InvalidListing("scan")),
        (ResponseKind::UniqueIdListing, b"+OK 1\r\n", DecodeError::InvalidListing("unique-id")),
        (ResponseKind::ScanListings, b"+OK\r\n1 x\r\n.\r\n", DecodeError::InvalidListing("scan")),
        (ResponseKind::ScanListings, b"+OK\r\n1 1\n.\r\n", DecodeError::BareLineFeed),
        (
            ResponseKind::UniqueIdListings,
            b"+OK\r\n1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n.\r\n",
            DecodeError::InvalidListing("unique-id"),
        ),
        (ResponseKind::Auth, b"+ ####\r\n", DecodeError::InvalidBase64),
    ];
    for (kind, wire, error) in table {
        assert_eq!(
            decode_response(*kind, wire),
            Err(*error),
            "{}",
            String::from_utf8_lossy(wire)
        );
    }
    let long = [b"+OK ".as_slice(), &[b'a'; 600], b"\r\n"].concat();
    assert_eq!(
        decode_response(ResponseKind::Status, &long),
        Err(DecodeError::LineTooLong)
    );
    let limits = Limits {
        max_listing_lines: 1,
        ..Limits::default()
    };
    assert_eq!(
        decode_response_with(
            ResponseKind::ScanListings,
            b"+OK\r\n1 1\r\n2 2\r\n.\r\n",
            &limits
        ),
        Err(DecodeError::TooManyLines)
    );
}

#[test]
fn message_bodies_are_sent_with_crlf_only() {
    let response = Response::Message {
        line: StatusLine::ok(Text::empty()),
        body: Cow::Borrowed(b"a\n.\nb"),
    };
    let mut wire = Vec::new();
    encode_response(&response, &mut wire);
    assert_eq!(wire, b"+OK\r\na\r\n..\r\nb\r\n.\r\n");
}

fn arb_word() -> impl Strategy<Value = Word<'static>> {
    "[!-~]{1,12}".prop_map(|w| Word::new(w).unwrap())
}

fn arb_text() -> impl Strategy<Value = Text<'static>> {
    // Texts that do not start with "[" (see StatusLine's docs) nor a space after a code.
    "([!-Z\\\\-~][ -~]{0,30})?".prop_map(|t| Text::new(t.into_bytes()).unwrap())
}

fn arb_number() -> impl Strategy<Value = MessageNumber> {
    (1u32..).prop_map(|n| MessageNumber::new(n).unwrap())
}

fn arb_command() -> impl Strategy<Value = Command<'static>> {
    prop_oneof![
        arb_word().prop_map(Command::User),
        "[ -~]{1,40}".prop_map(|p| Command::Pass(Password::new(p.into_bytes()).unwrap())),
        (arb_word(), any::<[u8; 16]>()).prop_map(|(name, d)| Command::Apop {
            name,
            digest: ApopDigest::from_bytes(d)
        }),
        Just(Command::Stat),
        proptest::option::of(arb_number()).prop_map(Command::List),
        arb_number().prop_map(Command::Retr),
        arb_number().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (arb_number(), any::<u32>()).prop_map(|(message, lines)| Command::Top { message, lines }),
        proptest::option::of(arb_number()).prop_map(Command::Uidl),
        Just(Command::Capa),
        Just(Command::Stls),
        (
            "[A-Z0-9_-]{1,20}",
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..60))
        )
            .prop_map(|(m, ir)| Command::Auth {
                mechanism: Mechanism::new(m).unwrap(),
                initial_response: ir.map(Secret::new),
            }),
        Just(Command::Utf8),
        proptest::option::of(arb_word()).prop_map(Command::Lang),
    ]
}

fn arb_status_line() -> impl Strategy<Value = StatusLine<'static>> {
    (
        any::<bool>(),
        proptest::option::of(proptest::collection::vec("[!-.0-\\\\^-~]{1,8}", 1..4)),
        arb_text(),
    )
        .prop_map(|(ok, levels, text)| StatusLine {
            status: if ok {
                StatusIndicator::Ok
            } else {
                StatusIndicator::Err
            },
            code: levels.map(|levels| {
                ResponseCode::new(levels.into_iter().map(Cow::Owned).collect()).unwrap()
            }),
            text,
        })
}

fn arb_capability() -> impl Strategy<Value = Capability<'static>> {
    prop_oneof![
        Just(Capability::Top),
        Just(Capability::User),
        proptest::collection::vec("[A-Z0-9_-]{1,20}", 0..4).prop_map(|m| Capability::Sasl(
            m.into_iter().map(|m| Mechanism::new(m).unwrap()).collect()
        )),
        Just(Capability::RespCodes),
        (any::<u32>(), any::<bool>())
            .prop_map(|(seconds, per_user)| Capability::LoginDelay { seconds, per_user }),
        Just(Capability::Pipelining),
        (proptest::option::of(any::<u32>()), any::<bool>()).prop_map(|(days, per_user)| {
            Capability::Expire {
                policy: days.map_or(ExpirePolicy::Never, ExpirePolicy::Days),
                per_user,
            }
        }),
        Just(Capability::Uidl),
        "[!-~][ -~]{0,20}"
            .prop_map(|t| Capability::Implementation(Text::new(t.into_bytes()).unwrap())),
        Just(Capability::Stls),
        any::<bool>().prop_map(|user| Capability::Utf8 { user }),
        Just(Capability::Lang),
        ("X-[A-Z]{1,6}", proptest::collection::vec(arb_word(), 0..3)).prop_map(|(tag, params)| {
            Capability::Other {
                tag: Word::new(tag).unwrap(),
                params,
            }
        }),
    ]
}

fn arb_response() -> impl Strategy<Value = (ResponseKind, Response<'static>)> {
    let ok_line = || {
        arb_status_line().prop_map(|mut line| {
            line.status = StatusIndicator::Ok;
            line
        })
    };
    prop_oneof![
        arb_status_line().prop_map(|line| (ResponseKind::Status, Response::Status(line))),
        proptest::collection::vec(any::<u8>(), 0..50)
            .prop_map(|d| (ResponseKind::Auth, Response::Continuation(d))),
        (any::<u32>(), any::<u64>()).prop_map(|(count, size)| (
            ResponseKind::DropListing,
            Response::DropListing(DropListing {
                count,
                size,
                extra: Text::empty()
            })
        )),
        (arb_number(), any::<u64>(), arb_text()).prop_map(|(message, size, extra)| (
            ResponseKind::ScanListing,
            Response::ScanListing(ScanListing {
                message,
                size,
                extra
            })
        )),
        (ok_line(), proptest::collection::vec(arb_capability(), 0..6)).prop_map(
            |(line, capabilities)| (
                ResponseKind::Capabilities,
                Response::Capabilities { line, capabilities }
            )
        ),
        (
            ok_line(),
            proptest::collection::vec((arb_number(), "[!-~]{1,70}"), 0..6)
        )
            .prop_map(|(line, l)| (
                ResponseKind::UniqueIdListings,
                Response::UniqueIdListings {
                    line,
                    listings: l
                        .into_iter()
                        .map(|(message, id)| UniqueIdListing {
                            message,
                            unique_id: UniqueId::new(id).unwrap()
                        })
                        .collect()
                }
            )),
        (
            ok_line(),
            proptest::collection::vec((arb_number(), any::<u64>()), 0..6)
        )
            .prop_map(|(line, l)| (
                ResponseKind::ScanListings,
                Response::ScanListings {
                    line,
                    listings: l
                        .into_iter()
                        .map(|(message, size)| ScanListing {
                            message,
                            size,
                            extra: Text::empty()
                        })
                        .collect()
                }
            )),
        (
            ok_line(),
            proptest::collection::vec((arb_word(), arb_text()), 0..4)
        )
            .prop_map(|(line, l)| (
                ResponseKind::Languages,
                Response::Languages {
                    line,
                    languages: l
                        .into_iter()
                        .map(|(tag, description)| LanguageListing { tag, description })
                        .collect()
                }
            )),
        (
            ok_line(),
            proptest::collection::vec("[a.\r]{0,5}\r\n", 0..6)
        )
            .prop_map(|(line, lines)| (
                ResponseKind::Message,
                Response::Message {
                    line,
                    body: Cow::Owned(lines.concat().into_bytes())
                }
            )),
    ]
}

proptest! {
    #[test]
    fn commands_round_trip(command in arb_command()) {
        let mut wire = Vec::new();
        encode_command(&command, &mut wire);
        prop_assume!(wire.len() <= MAX_COMMAND_LINE);
        prop_assert_eq!(decode_one(&wire), command);
    }

    #[test]
    fn responses_round_trip((kind, response) in arb_response()) {
        let mut wire = Vec::new();
        encode_response(&response, &mut wire);
        prop_assume!(wire.iter().position(|b| *b == b'\n').unwrap_or(0) < MAX_RESPONSE_LINE);
        let body_has_bare_cr = matches!(&response, Response::Message { body, .. }
            if body.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'));
        prop_assume!(!body_has_bare_cr);
        prop_assert_eq!(decode_full(kind, &wire), response);
    }

    #[test]
    fn decoding_never_panics_and_round_trips(input in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(Status::Complete { value, .. }) = decode_command(&input) {
            let mut wire = Vec::new();
            encode_command(&value, &mut wire);
            prop_assert_eq!(decode_one(&wire), value);
        }
        for kind in [ResponseKind::Status, ResponseKind::Capabilities, ResponseKind::ScanListings, ResponseKind::Auth] {
            if let Ok(Status::Complete { value, .. }) = decode_response(kind, &input) {
                let mut wire = Vec::new();
                encode_response(&value, &mut wire);
                prop_assert_eq!(decode_full(kind, &wire), value);
            }
        }
    }
}
