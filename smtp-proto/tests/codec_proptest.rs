//! Property tests: arbitrary valid values encode then decode back equal; arbitrary bytes
//! never panic and, when they decode, re-encode to an equal value.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::{Ipv4Addr, Ipv6Addr};

use mailwire_core::Status;
use mailwire_smtp::codec::{
    decode_capability, decode_command, decode_ehlo, decode_reply, decode_sasl_response,
    encode_capability, encode_command, encode_ehlo, encode_reply, encode_sasl_response,
    DecodeOptions,
};
use mailwire_smtp::types::*;
use proptest::prelude::*;

fn label() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?"
}

fn domain() -> impl Strategy<Value = Domain<'static>> {
    prop::collection::vec(label(), 1..4).prop_map(|labels| Domain::new(labels.join(".")).unwrap())
}

fn address_literal() -> impl Strategy<Value = AddressLiteral<'static>> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|o| AddressLiteral::Ipv4(Ipv4Addr::from(o))),
        any::<[u16; 8]>().prop_map(|s| AddressLiteral::Ipv6(Ipv6Addr::from(s))),
        ("[a-z][a-z0-9-]{0,5}[a-z0-9]", "[!-Z^-~]{1,12}").prop_filter_map("tag", |(t, c)| {
            GeneralLiteral::new(t, c).ok().map(AddressLiteral::General)
        }),
    ]
}

fn host() -> impl Strategy<Value = Host<'static>> {
    prop_oneof![
        3 => domain().prop_map(Host::Domain),
        1 => address_literal().prop_map(Host::Literal),
    ]
}

fn local_part() -> impl Strategy<Value = LocalPart<'static>> {
    prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[a-zA-Z0-9_-]{1,8}){0,2}"
            .prop_map(|s| LocalPart::new(s).unwrap()),
        "[ -~]{0,20}".prop_map(|s| LocalPart::from_unquoted(&s).unwrap()),
    ]
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    (local_part(), host()).prop_filter_map("path length", |(l, h)| Mailbox::new(l, h).ok())
}

fn path() -> impl Strategy<Value = Path<'static>> {
    (
        prop::option::of(prop::collection::vec(domain(), 1..3)),
        mailbox(),
    )
        .prop_filter_map("path length", |(route, mailbox)| match route {
            None => Some(Path::new(mailbox)),
            Some(domains) => {
                let text = domains
                    .iter()
                    .map(|d| format!("@{d}"))
                    .collect::<Vec<_>>()
                    .join(",");
                Path::with_source_route(SourceRoute::new(text).unwrap(), mailbox).ok()
            }
        })
}

fn xtext() -> impl Strategy<Value = XText<'static>> {
    prop::collection::vec(any::<u8>(), 1..20).prop_map(|b| XText::encode(&b).unwrap())
}

fn other_params() -> impl Strategy<Value = Vec<(String, Option<String>)>> {
    prop::collection::vec(
        ("X-[A-Z0-9]{1,6}", prop::option::of("[!-<>-~]{1,10}")),
        0..3,
    )
}

fn mail_params() -> impl Strategy<Value = MailParameters<'static>> {
    (
        prop::option::of(any::<u64>()),
        prop::option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Headers)]),
        prop::option::of(xtext()),
        prop::option::of(prop_oneof![
            Just(AuthIdentity::Unknown),
            mailbox().prop_map(|m| AuthIdentity::from_mailbox(&m)),
        ]),
        any::<bool>(),
        other_params(),
    )
        .prop_map(
            |(size, body, smtputf8, ret, envid, auth, requiretls, other)| {
                let mut p = MailParameters::default();
                p.size = size;
                p.body = body;
                p.smtputf8 = smtputf8;
                p.ret = ret;
                p.envid = envid;
                p.auth = auth;
                p.requiretls = requiretls;
                for (k, v) in &other {
                    p.other.push(k, v.as_deref()).unwrap();
                }
                p
            },
        )
}

fn rcpt_params() -> impl Strategy<Value = RcptParameters<'static>> {
    (
        prop::option::of(prop_oneof![
            Just(Notify::NEVER),
            (any::<bool>(), any::<bool>(), any::<bool>())
                .prop_filter_map("some", |(s, f, d)| Notify::on(s, f, d)),
        ]),
        prop::option::of(
            ("[a-zA-Z0-9-]{1,8}", xtext()).prop_map(|(t, x)| OriginalRecipient::new(t, x).unwrap()),
        ),
        other_params(),
    )
        .prop_map(|(notify, orcpt, other)| {
            let mut p = RcptParameters::default();
            p.notify = notify;
            p.orcpt = orcpt;
            for (k, v) in &other {
                p.other.push(k, v.as_deref()).unwrap();
            }
            p
        })
}

fn argument() -> impl Strategy<Value = Argument<'static>> {
    "[!-~]([ -~]{0,15}[!-~])?".prop_map(|s| Argument::new(s).unwrap())
}

fn mechanism() -> impl Strategy<Value = Mechanism<'static>> {
    "[A-Za-z0-9_-]{1,20}".prop_map(|s| Mechanism::new(s).unwrap())
}

fn command() -> impl Strategy<Value = Command<'static>> {
    prop_oneof![
        host().prop_map(|host| Command::Ehlo { host }),
        host().prop_map(|host| Command::Helo { host }),
        host().prop_map(|host| Command::Lhlo { host }),
        (
            prop_oneof![
                1 => Just(ReversePath::Null),
                4 => path().prop_map(ReversePath::Path)
            ],
            mail_params()
        )
            .prop_map(|(from, params)| Command::Mail { from, params }),
        (
            prop_oneof![
                1 => Just(ForwardPath::Postmaster),
                4 => path().prop_map(ForwardPath::Path)
            ],
            rcpt_params()
        )
            .prop_map(|(to, params)| Command::Rcpt { to, params }),
        Just(Command::Data),
        Just(Command::Rset),
        Just(Command::Quit),
        Just(Command::StartTls),
        (argument(), any::<bool>())
            .prop_filter("not a lone SMTPUTF8", |(a, s)| *s
                || !a.as_str().to_ascii_uppercase().ends_with(" SMTPUTF8"))
            .prop_map(|(target, smtputf8)| Command::Vrfy { target, smtputf8 }),
        (argument(), any::<bool>())
            .prop_filter("not a lone SMTPUTF8", |(a, s)| *s
                || !a.as_str().to_ascii_uppercase().ends_with(" SMTPUTF8"))
            .prop_map(|(target, smtputf8)| Command::Expn { target, smtputf8 }),
        prop::option::of(argument()).prop_map(|topic| Command::Help { topic }),
        prop::option::of(argument()).prop_map(|argument| Command::Noop { argument }),
        (
            mechanism(),
            prop::option::of(prop::collection::vec(any::<u8>(), 0..40))
        )
            .prop_map(|(mechanism, ir)| Command::Auth {
                mechanism,
                initial_response: ir.map(|b| SaslData::encode(&b)),
            }),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
    ]
}

fn reply() -> impl Strategy<Value = Reply<'static>> {
    (
        2u16..=5,
        0u16..=5,
        0u16..=9,
        prop::option::of((0u16..=999, 0u16..=999)),
        prop::collection::vec("[ -~\t]{0,30}", 1..5),
    )
        .prop_filter_map("valid reply", |(a, b, c, enhanced, lines)| {
            let code = ReplyCode::new(a * 100 + b * 10 + c)?;
            let enhanced = match (a, enhanced) {
                (3, _) | (_, None) => None,
                (class, Some((s, d))) => EnhancedStatusCode::new(u8::try_from(class).ok()?, s, d),
            };
            Reply::new(code, enhanced, lines.iter().map(String::as_str)).ok()
        })
}

fn params_text() -> impl Strategy<Value = CapabilityParams<'static>> {
    prop::collection::vec("[!-~]{1,8}", 0..3)
        .prop_map(|p| CapabilityParams::new(p.join(" ")).unwrap())
}

fn capability() -> impl Strategy<Value = Capability<'static>> {
    prop_oneof![
        prop::option::of(any::<u64>()).prop_map(Capability::Size),
        Just(Capability::Pipelining),
        Just(Capability::EightBitMime),
        Just(Capability::SmtpUtf8),
        Just(Capability::Chunking),
        Just(Capability::BinaryMime),
        Just(Capability::StartTls),
        (prop::collection::vec(mechanism(), 0..4), any::<bool>()).prop_map(|(m, legacy_form)| {
            Capability::Auth {
                mechanisms: MechanismList::new(m.iter()),
                legacy_form,
            }
        }),
        Just(Capability::EnhancedStatusCodes),
        Just(Capability::Dsn),
        prop::option::of(any::<u64>()).prop_map(Capability::DeliverBy),
        Just(Capability::Etrn),
        Just(Capability::Help),
        Just(Capability::RequireTls),
        prop::option::of("[!-~]{1,10}").prop_map(|p| Capability::MtPriority(p.map(Into::into))),
        (any::<u64>(), "[!-~]{1,20}").prop_map(|(max_interval, dt)| Capability::FutureRelease {
            max_interval,
            max_date_time: dt.into()
        }),
        params_text().prop_map(Capability::NoSoliciting),
        params_text().prop_map(Capability::Burl),
        Just(Capability::Checkpoint),
        Just(Capability::Turn),
        (0u32..1_000_000, 0u32..1_000_000).prop_map(|(r, m)| Capability::Limits(
            Limits::new(CapabilityParams::new(format!("RCPTMAX={r} MAILMAX={m} X-Y=z")).unwrap())
                .unwrap()
        )),
        ("X[A-Z0-9-]{0,8}", params_text())
            .prop_map(|(k, p)| Capability::Unknown(UnknownCapability::new(k, p).unwrap())),
    ]
}

fn opts() -> DecodeOptions {
    DecodeOptions::default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn commands_round_trip(cmd in command()) {
        let mut out = Vec::new();
        encode_command(&cmd, &mut out);
        let Ok(Status::Complete { value, consumed }) = decode_command(&out, &opts()) else {
            panic!("{:?} -> {:?}: {:?}", cmd, String::from_utf8_lossy(&out), decode_command(&out, &opts()));
        };
        prop_assert_eq!(consumed, out.len());
        prop_assert_eq!(&value, &cmd);
        let mut again = Vec::new();
        encode_command(&value, &mut again);
        prop_assert_eq!(&again, &out);
        // every strict prefix is incomplete, never an error
        for cut in [0, out.len() / 2, out.len() - 1] {
            prop_assert_eq!(decode_command(&out[..cut], &opts()), Ok(Status::Partial));
        }
    }

    #[test]
    fn replies_round_trip(reply in reply()) {
        let mut out = Vec::new();
        encode_reply(&reply, &mut out);
        let Ok(Status::Complete { value, consumed }) = decode_reply(&out, &opts()) else {
            panic!("{:?} -> {:?}", reply, String::from_utf8_lossy(&out));
        };
        prop_assert_eq!(consumed, out.len());
        prop_assert_eq!(&value, &reply);
        prop_assert_eq!(decode_reply(&out[..out.len() - 1], &opts()), Ok(Status::Partial));
    }

    #[test]
    fn capabilities_round_trip(caps in prop::collection::vec(capability(), 0..8), greeting in "[a-z]{1,10}( [ -~]{0,20})?") {
        for cap in &caps {
            let mut line = Vec::new();
            encode_capability(cap, &mut line);
            let text = String::from_utf8(line).unwrap();
            prop_assert_eq!(&decode_capability(&text).unwrap(), cap);
        }
        let ehlo = EhloResponse::new(greeting, caps).unwrap();
        let mut out = Vec::new();
        encode_ehlo(&ehlo, &mut out);
        let Ok(Status::Complete { value, .. }) = decode_reply(&out, &opts()) else { panic!() };
        prop_assert_eq!(&decode_ehlo(&value, &opts()).unwrap(), &ehlo);
    }

    #[test]
    fn sasl_responses_round_trip(data in prop::option::of(prop::collection::vec(any::<u8>(), 0..64))) {
        let response = match data {
            None => SaslResponse::Cancel,
            Some(b) => SaslResponse::Data(SaslData::encode(&b)),
        };
        let mut out = Vec::new();
        encode_sasl_response(&response, &mut out);
        prop_assert_eq!(
            decode_sasl_response(&out, &opts()),
            Ok(Status::Complete { value: response, consumed: out.len() })
        );
    }

    #[test]
    fn arbitrary_command_bytes_never_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            // near-valid lines: a verb, then noise
            ("(MAIL FROM:|RCPT TO:|EHLO |AUTH |BDAT |VRFY )", "[ -~\u{80}-\u{ff}]{0,40}")
                .prop_map(|(v, rest)| format!("{v}{rest}\r\n").into_bytes()),
        ],
        smtputf8 in any::<bool>(),
    ) {
        let mut o = opts();
        o.smtputf8 = smtputf8;
        if let Ok(Status::Complete { value, consumed }) = decode_command(&bytes, &o) {
            prop_assert!(consumed <= bytes.len());
            // without SMTPUTF8 only ASCII lines decode
            prop_assert!(smtputf8 || bytes[..consumed].is_ascii());
            let mut out = Vec::new();
            encode_command(&value, &mut out);
            let Ok(Status::Complete { value: again, .. }) = decode_command(&out, &o) else {
                panic!("re-encoded {:?} does not decode", String::from_utf8_lossy(&out));
            };
            prop_assert_eq!(again, value);
        }
    }

    #[test]
    fn arbitrary_reply_bytes_never_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..80),
            prop::collection::vec("(250|220|550)[- ]?[ -~]{0,20}", 1..5)
                .prop_map(|lines| (lines.join("\r\n") + "\r\n").into_bytes()),
        ],
    ) {
        if let Ok(Status::Complete { value, .. }) = decode_reply(&bytes, &opts()) {
            let mut out = Vec::new();
            encode_reply(&value, &mut out);
            let Ok(Status::Complete { value: again, .. }) = decode_reply(&out, &opts()) else {
                panic!("re-encoded reply does not decode");
            };
            prop_assert_eq!(&again, &value);
            if let Ok(ehlo) = decode_ehlo(&value, &opts()) {
                let mut out = Vec::new();
                encode_ehlo(&ehlo, &mut out);
                let Ok(Status::Complete { value: reply, .. }) = decode_reply(&out, &opts()) else {
                    panic!("re-encoded ehlo does not decode");
                };
                prop_assert_eq!(decode_ehlo(&reply, &opts()).unwrap(), ehlo);
            }
        }
    }
}
