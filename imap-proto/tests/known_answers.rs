//! Known answers: RFC examples decoded to the exact values they mean, and values
//! encoded to the exact bytes the RFCs show.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use mailwire_core::Status;
use mailwire_imap::codec::*;
use mailwire_imap::types::*;

fn nz(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap()
}

fn nz64(value: u64) -> NonZeroU64 {
    NonZeroU64::new(value).unwrap()
}

fn s(value: &str) -> IString<'_> {
    IString::try_from(value).unwrap()
}

fn atom(value: &str) -> Atom<'_> {
    Atom::try_from(value).unwrap()
}

fn mailbox(value: &str) -> Mailbox<'_> {
    Mailbox::try_from(value).unwrap()
}

fn set(text: &str) -> SequenceSet {
    let line = format!("a FETCH {text} UID\r\n");
    let Ok(Status::Complete { value, .. }) =
        decode_command(line.as_bytes(), &DecodeOptions::default())
    else {
        panic!("{text}");
    };
    let CommandBody::Fetch { sequence_set, .. } = value.body else {
        panic!()
    };
    sequence_set
}

fn options() -> DecodeOptions {
    DecodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus)
}

fn command(input: &str) -> Command<'static> {
    let bytes = format!("{input}\r\n").into_bytes();
    match decode_command(&bytes, &options()) {
        Ok(Status::Complete { value, consumed }) if consumed == bytes.len() => value.into_owned(),
        other => panic!("{input}: {other:?}"),
    }
}

fn response(input: &str) -> Response<'static> {
    let bytes = format!("{input}\r\n").into_bytes();
    match decode_response(&bytes, &options()) {
        Ok(Status::Complete { value, consumed }) if consumed == bytes.len() => value.into_owned(),
        other => panic!("{input}: {other:?}"),
    }
}

fn data(input: &str) -> Data<'static> {
    match response(input) {
        Response::Data(data) => data,
        other => panic!("{other:?}"),
    }
}

fn code(input: &str) -> Code<'static> {
    match response(input) {
        Response::Tagged(TaggedResponse {
            text: ResponseText {
                code: Some(code), ..
            },
            ..
        })
        | Response::Data(Data::State {
            text: ResponseText {
                code: Some(code), ..
            },
            ..
        }) => code,
        other => panic!("{other:?}"),
    }
}

/// Encodes with default options and checks the exact bytes.
fn encodes_command_to(value: &Command<'_>, expected: &str) {
    let mut out = Vec::new();
    encode_command(
        value,
        &EncodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus),
        &mut out,
    );
    assert_eq!(String::from_utf8_lossy(&out), format!("{expected}\r\n"));
}

fn encodes_response_to(value: &Response<'_>, expected: &str) {
    let mut out = Vec::new();
    encode_response(value, &EncodeOptions::default(), &mut out);
    assert_eq!(String::from_utf8_lossy(&out), format!("{expected}\r\n"));
}

#[test]
fn rfc3501_sample_fetch_full() {
    let line = "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
\"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") \
BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))";
    let Data::Fetch {
        sequence_number,
        items,
    } = data(line)
    else {
        panic!()
    };
    assert_eq!(sequence_number, nz(12));
    let gray = Address {
        name: Some(s("Terry Gray")),
        adl: None,
        mailbox: Some(s("gray")),
        host: Some(s("cac.washington.edu")),
    };
    let expected = vec![
        MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]),
        MessageDataItem::InternalDate(
            DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -7 * 60).unwrap(),
        ),
        MessageDataItem::Rfc822Size(4286),
        MessageDataItem::Envelope(Box::new(Envelope {
            date: Some(s("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)")),
            subject: Some(s("IMAP4rev1 WG mtg summary and minutes")),
            from: vec![gray.clone()],
            sender: vec![gray.clone()],
            reply_to: vec![gray],
            to: vec![Address {
                mailbox: Some(s("imap")),
                host: Some(s("cac.washington.edu")),
                ..Address::default()
            }],
            cc: vec![
                Address {
                    mailbox: Some(s("minutes")),
                    host: Some(s("CNRI.Reston.VA.US")),
                    ..Address::default()
                },
                Address {
                    name: Some(s("John Klensin")),
                    adl: None,
                    mailbox: Some(s("KLENSIN")),
                    host: Some(s("MIT.EDU")),
                },
            ],
            bcc: vec![],
            in_reply_to: None,
            message_id: Some(s("<B27397-0100000@cac.washington.edu>")),
        })),
        MessageDataItem::Body(Box::new(BodyStructure::Single {
            kind: SinglePartKind::Text {
                subtype: s("PLAIN"),
                lines: 92,
            },
            fields: BodyFields {
                parameters: vec![(s("CHARSET"), s("US-ASCII"))],
                id: None,
                description: None,
                encoding: s("7BIT"),
                octets: 3028,
            },
            extension: None,
        })),
    ];
    assert_eq!(items.into_vec(), expected);
    // The canonical encoding is the RFC's line.
    encodes_response_to(&response(line), line);
}

#[test]
fn rfc3501_bodystructure_with_extension_data() {
    // RFC 3501 §7.4.2 BODYSTRUCTURE example, plus extension data from a real message.
    let line = "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)\
(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" \
\"Compiled diff\" \"BASE64\" 4554 73 NIL (\"attachment\" (\"filename\" \"cc.diff\")) \"en\" NIL 7 (\"x\" 8)) \
\"MIXED\" (\"BOUNDARY\" \"--x\") NIL (\"en\" \"de\")))";
    let Data::Fetch { items, .. } = data(line) else {
        panic!()
    };
    let [MessageDataItem::BodyStructure(body)] = items.as_slice() else {
        panic!("{items:?}")
    };
    let BodyStructure::Multi {
        parts,
        subtype,
        extension,
    } = body.as_ref()
    else {
        panic!()
    };
    assert_eq!(parts.len(), 2);
    assert_eq!(subtype, &s("MIXED"));
    assert_eq!(
        extension.as_ref().unwrap(),
        &MultiPartExtension {
            parameters: vec![(s("BOUNDARY"), s("--x"))],
            tail: Some(ExtensionTail {
                disposition: None,
                language: Some(LanguageTail {
                    languages: vec![s("en"), s("de")],
                    location: None,
                }),
            }),
        }
    );
    let BodyStructure::Single {
        extension: Some(part_extension),
        fields,
        ..
    } = &parts.as_slice()[1]
    else {
        panic!()
    };
    assert_eq!(fields.description, Some(s("Compiled diff")));
    assert_eq!(
        part_extension,
        &SinglePartExtension {
            md5: None,
            tail: Some(ExtensionTail {
                disposition: Some(Disposition {
                    kind: s("attachment"),
                    parameters: vec![(s("filename"), s("cc.diff"))],
                }),
                language: Some(LanguageTail {
                    languages: vec![s("en")],
                    location: Some(LocationTail {
                        location: None,
                        extensions: vec![
                            BodyExtension::Number(7),
                            BodyExtension::List(
                                NonEmpty::try_from(vec![
                                    BodyExtension::String(Some(s("x"))),
                                    BodyExtension::Number(8),
                                ])
                                .unwrap()
                            ),
                        ],
                    }),
                }),
            }),
        }
    );
    encodes_response_to(&response(line), line);
}

#[test]
fn message_rfc822_part_nests_envelope_and_body() {
    let line = "* 3 FETCH (BODYSTRUCTURE (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 342 \
(NIL \"Fwd\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 20 2) 10))";
    let Data::Fetch { items, .. } = data(line) else {
        panic!()
    };
    let [MessageDataItem::BodyStructure(body)] = items.as_slice() else {
        panic!()
    };
    let BodyStructure::Single {
        kind:
            SinglePartKind::Message {
                envelope,
                body: inner,
                lines,
                ..
            },
        ..
    } = body.as_ref()
    else {
        panic!("{body:?}")
    };
    assert_eq!(envelope.subject, Some(s("Fwd")));
    assert_eq!(*lines, 10);
    assert!(matches!(
        inner.as_ref(),
        BodyStructure::Single {
            kind: SinglePartKind::Text { lines: 2, .. },
            ..
        }
    ));
}

#[test]
fn body_sections_partial_and_binary() {
    let Data::Fetch { items, .. } =
        data("* 2 FETCH (BODY[1.2.HEADER.FIELDS (DATE FROM)]<0> {5}\r\nabcde BINARY[1] ~{3}\r\na\0b BINARY.SIZE[1] 3)")
    else {
        panic!()
    };
    assert_eq!(
        items.into_vec(),
        vec![
            MessageDataItem::BodySection {
                section: Some(Section::HeaderFields(
                    Some(NonEmpty::try_from(vec![nz(1), nz(2)]).unwrap()),
                    NonEmpty::try_from(vec![s("DATE"), s("FROM")]).unwrap()
                )),
                origin: Some(0),
                data: Some(s("abcde")),
            },
            MessageDataItem::Binary {
                part: vec![nz(1)],
                origin: None,
                data: Some(Cow::Borrowed(&b"a\0b"[..])),
            },
            MessageDataItem::BinarySize {
                part: vec![nz(1)],
                size: 3,
            },
        ]
    );
    let value = command(
        "a FETCH 1 (BODY.PEEK[2.MIME] BODY[]<0.2048> BINARY.PEEK[1.1]<10.20> BINARY.SIZE[] MODSEQ)",
    );
    let CommandBody::Fetch { attributes, .. } = &value.body else {
        panic!()
    };
    let FetchAttributes::Attributes(list) = attributes else {
        panic!()
    };
    assert_eq!(
        list.as_slice(),
        &[
            FetchAttribute::BodySection {
                peek: true,
                section: Some(Section::Mime(NonEmpty::new(nz(2)))),
                partial: None,
            },
            FetchAttribute::BodySection {
                peek: false,
                section: None,
                partial: Some(Partial {
                    offset: 0,
                    length: nz64(2048)
                }),
            },
            FetchAttribute::Binary {
                peek: true,
                part: vec![nz(1), nz(1)],
                partial: Some(Partial {
                    offset: 10,
                    length: nz64(20)
                }),
            },
            FetchAttribute::BinarySize { part: vec![] },
            FetchAttribute::ModSeq,
        ]
    );
    encodes_command_to(
        &value,
        "a FETCH 1 (BODY.PEEK[2.MIME] BODY[]<0.2048> BINARY.PEEK[1.1]<10.20> BINARY.SIZE[] MODSEQ)",
    );
    // A response BINARY with NUL is written as literal8.
    encodes_response_to(
        &Response::Data(Data::Fetch {
            sequence_number: nz(1),
            items: NonEmpty::new(MessageDataItem::Binary {
                part: vec![],
                origin: None,
                data: Some(Cow::Borrowed(&b"\0"[..])),
            }),
        }),
        "* 1 FETCH (BINARY[] ~{1}\r\n\0)",
    );
}

#[test]
fn fetch_macros_and_modifiers() {
    let value = command("s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
    assert_eq!(
        value.body,
        CommandBody::Fetch {
            uid: true,
            sequence_set: set("300:500"),
            attributes: FetchAttributes::Attributes(NonEmpty::new(FetchAttribute::Flags)),
            modifiers: vec![
                FetchModifier::ChangedSince(nz64(12345)),
                FetchModifier::Vanished
            ],
        }
    );
    encodes_command_to(
        &value,
        "s100 UID FETCH 300:500 FLAGS (CHANGEDSINCE 12345 VANISHED)",
    );
    for (text, expected) in [
        ("ALL", FetchAttributes::All),
        ("fast", FetchAttributes::Fast),
        ("FULL", FetchAttributes::Full),
    ] {
        let CommandBody::Fetch { attributes, .. } = command(&format!("a FETCH 1 {text}")).body
        else {
            panic!()
        };
        assert_eq!(attributes, expected);
    }
    assert_eq!(FetchAttributes::Full.expand().len(), 5);
}

#[test]
fn store_with_unchangedsince() {
    let value = command("d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)");
    assert_eq!(
        value.body,
        CommandBody::Store {
            uid: false,
            sequence_set: set("7,5,9"),
            modifiers: vec![StoreModifier::UnchangedSince(320162338)],
            action: StoreAction::Add,
            silent: true,
            flags: vec![Flag::Deleted],
        }
    );
    encodes_command_to(
        &value,
        "d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)",
    );
    let bare = command("a STORE 1 -FLAGS \\Seen $Junk");
    let CommandBody::Store { flags, action, .. } = bare.body else {
        panic!()
    };
    assert_eq!(action, StoreAction::Remove);
    assert_eq!(flags, vec![Flag::Seen, Flag::Keyword(atom("$Junk"))]);
}

#[test]
fn select_with_condstore_and_qresync() {
    let value = command(
        "B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500 15000,22500)))",
    );
    assert_eq!(
        value.body,
        CommandBody::Select {
            mailbox: Mailbox::inbox(),
            parameters: vec![SelectParameter::QResync(QResyncParameters {
                uid_validity: nz(67890007),
                mod_seq: nz64(90060115194045000),
                known_uids: Some(set("1:29997")),
                sequence_match: Some((set("5000,7500"), set("15000,22500"))),
            })],
        }
    );
    let condstore = command("a EXAMINE Drafts (CONDSTORE)");
    assert_eq!(
        condstore.body,
        CommandBody::Examine {
            mailbox: mailbox("Drafts"),
            parameters: vec![SelectParameter::CondStore],
        }
    );
    encodes_command_to(&condstore, "a EXAMINE Drafts (CONDSTORE)");
}

#[test]
fn search_keys_of_rfc_3501_and_modseq() {
    let value = command(
        "a SEARCH CHARSET UTF-8 OR (ANSWERED BCC x BEFORE 1-Feb-1994 BODY y CC z DELETED DRAFT FLAGGED) \
NOT (FROM f HEADER X-H v KEYWORD $Forwarded LARGER 100 NEW OLD ON 2-Feb-1994 RECENT SEEN) \
SENTBEFORE 3-Mar-2000 SENTON 4-Apr-2000 SENTSINCE 5-May-2000 SINCE 6-Jun-2000 SMALLER 9 SUBJECT s \
TEXT t TO u UID 1:* UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNKEYWORD k UNSEEN 2,4:7 ALL \
MODSEQ \"/flags/\\\\draft\" all 620162338 MODSEQ 0",
    );
    let CommandBody::Search {
        charset, criteria, ..
    } = &value.body
    else {
        panic!()
    };
    assert_eq!(charset.as_ref().map(Charset::as_str), Some("UTF-8"));
    assert_eq!(criteria.len(), 20);
    assert!(matches!(&criteria.as_slice()[0], SearchKey::Or(left, right)
        if matches!(left.as_ref(), SearchKey::And(keys) if keys.len() == 8)
        && matches!(right.as_ref(), SearchKey::Not(_))));
    assert_eq!(
        criteria.as_slice()[18],
        SearchKey::ModSeq {
            entry: Some((s("/flags/\\draft"), EntryType::All)),
            mod_seq: 620162338,
        }
    );
    assert_eq!(
        criteria.as_slice()[19],
        SearchKey::ModSeq {
            entry: None,
            mod_seq: 0
        }
    );
    let esearch = command("A285 UID SEARCH RETURN (MIN MAX SAVE) 1:5000");
    assert_eq!(
        esearch.body,
        CommandBody::Search {
            uid: true,
            return_options: Some(vec![
                SearchReturnOption::Min,
                SearchReturnOption::Max,
                SearchReturnOption::Save
            ]),
            charset: None,
            criteria: NonEmpty::new(SearchKey::SequenceSet(set("1:5000"))),
        }
    );
    encodes_command_to(&esearch, "A285 UID SEARCH RETURN (MIN MAX SAVE) 1:5000");
    // Non-ASCII search strings go as literals under IMAP4rev1.
    let text = Command {
        tag: Tag::try_from("A285").unwrap(),
        body: CommandBody::Search {
            uid: false,
            return_options: None,
            charset: Some(Charset::try_from("UTF-8").unwrap()),
            criteria: NonEmpty::new(SearchKey::Text(s("отпуск"))),
        },
    };
    encodes_command_to(&text, "A285 SEARCH CHARSET UTF-8 TEXT {12+}\r\nотпуск");
}

#[test]
fn search_and_esearch_responses() {
    assert_eq!(
        data("* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)"),
        Data::Search {
            numbers: [2, 5, 6, 7, 11, 12, 18, 19, 20, 23].map(nz).to_vec(),
            mod_seq: Some(nz64(917162500)),
        }
    );
    assert_eq!(
        data("* SEARCH"),
        Data::Search {
            numbers: vec![],
            mod_seq: None
        }
    );
    assert_eq!(
        data("* ESEARCH (TAG \"a567\") UID COUNT 17 ALL 4:18,21,28 MODSEQ 12 XFOO (1 2)"),
        Data::ESearch(ESearchResponse {
            tag: Some(s("a567")),
            uid: true,
            data: vec![
                ESearchData::Count(17),
                ESearchData::All(set("4:18,21,28")),
                ESearchData::ModSeq(nz64(12)),
                ESearchData::Other {
                    name: atom("XFOO"),
                    value: TaggedExtVal::List(vec![
                        ExtItem::String(s("1")),
                        ExtItem::String(s("2"))
                    ]),
                },
            ],
        })
    );
}

#[test]
fn every_response_code() {
    assert_eq!(code("a OK [ALERT] x"), Code::Alert);
    assert_eq!(
        code("a NO [BADCHARSET (UTF-8 \"x y\")] x"),
        Code::BadCharset(vec![
            Charset::try_from("UTF-8").unwrap(),
            Charset::try_from("x y").unwrap()
        ])
    );
    assert_eq!(code("a NO [BADCHARSET] x"), Code::BadCharset(vec![]));
    assert_eq!(
        code("* OK [CAPABILITY IMAP4rev1 LITERAL+] x"),
        Code::Capability(
            NonEmpty::try_from(vec![Capability::Imap4Rev1, Capability::LiteralPlus]).unwrap()
        )
    );
    assert_eq!(
        code("* OK [PERMANENTFLAGS (\\Deleted $Foo \\*)] x"),
        Code::PermanentFlags(vec![
            FlagPerm::Flag(Flag::Deleted),
            FlagPerm::Flag(Flag::Keyword(atom("$Foo"))),
            FlagPerm::Wildcard
        ])
    );
    assert_eq!(code("* OK [UIDNEXT 4392] x"), Code::UidNext(nz(4392)));
    assert_eq!(
        code("* OK [UIDVALIDITY 3857529045] x"),
        Code::UidValidity(nz(3857529045))
    );
    assert_eq!(code("* OK [UNSEEN 12] x"), Code::Unseen(nz(12)));
    assert_eq!(
        code("A003 OK [APPENDUID 38505 3955] x"),
        Code::AppendUid {
            uid_validity: nz(38505),
            uids: UidSet::single(nz(3955))
        }
    );
    assert_eq!(
        code("A004 OK [COPYUID 38505 304,319:320 3956:3958] Done"),
        Code::CopyUid {
            uid_validity: nz(38505),
            source: UidSet(
                NonEmpty::try_from(vec![
                    UidItem::Single(nz(304)),
                    UidItem::Range(nz(319), nz(320))
                ])
                .unwrap()
            ),
            destination: UidSet(NonEmpty::new(UidItem::Range(nz(3956), nz(3958)))),
        }
    );
    assert_eq!(
        code("* OK [HIGHESTMODSEQ 715194045007] x"),
        Code::HighestModSeq(nz64(715194045007))
    );
    assert_eq!(code("a OK [MODIFIED 7,9] x"), Code::Modified(set("7,9")));
    for (name, expected) in [
        ("PARSE", Code::Parse),
        ("READ-ONLY", Code::ReadOnly),
        ("READ-WRITE", Code::ReadWrite),
        ("TRYCREATE", Code::TryCreate),
        ("UIDNOTSTICKY", Code::UidNotSticky),
        ("UNAVAILABLE", Code::Unavailable),
        ("AUTHENTICATIONFAILED", Code::AuthenticationFailed),
        ("AUTHORIZATIONFAILED", Code::AuthorizationFailed),
        ("EXPIRED", Code::Expired),
        ("PRIVACYREQUIRED", Code::PrivacyRequired),
        ("CONTACTADMIN", Code::ContactAdmin),
        ("NOPERM", Code::NoPerm),
        ("INUSE", Code::InUse),
        ("EXPUNGEISSUED", Code::ExpungeIssued),
        ("CORRUPTION", Code::Corruption),
        ("SERVERBUG", Code::ServerBug),
        ("CLIENTBUG", Code::ClientBug),
        ("CANNOT", Code::Cannot),
        ("LIMIT", Code::Limit),
        ("OVERQUOTA", Code::OverQuota),
        ("ALREADYEXISTS", Code::AlreadyExists),
        ("NONEXISTENT", Code::NonExistent),
        ("NOTSAVED", Code::NotSaved),
        ("HASCHILDREN", Code::HasChildren),
        ("UNKNOWN-CTE", Code::UnknownCte),
        ("CLOSED", Code::Closed),
        ("NOMODSEQ", Code::NoModSeq),
        ("COMPRESSIONACTIVE", Code::CompressionActive),
        ("USEATTR", Code::UseAttr),
    ] {
        assert_eq!(code(&format!("a NO [{name}] x")), expected, "{name}");
        assert_eq!(
            code(&format!("a NO [{}] x", name.to_lowercase())),
            expected,
            "{name}"
        );
        encodes_response_to(
            &response(&format!("a NO [{name}] x")),
            &format!("a NO [{name}] x"),
        );
    }
    let Code::Other(other) = code("* NO [REFERRAL imap://x/y] go away") else {
        panic!()
    };
    assert_eq!(other.name().as_str(), "REFERRAL");
    assert_eq!(other.argument().map(Text::as_str), Some("imap://x/y"));
}

#[test]
fn list_responses_and_commands() {
    assert_eq!(
        data("* LIST (\\Subscribed \\HasChildren \\Sent \\X-Foo) \"/\" \"Foo\" (\"CHILDINFO\" (\"SUBSCRIBED\") OLDNAME (\"Bar\") X-ITEM 7)"),
        Data::List(ListData {
            attributes: vec![
                ListAttribute::Subscribed,
                ListAttribute::HasChildren,
                ListAttribute::Sent,
                ListAttribute::Extension(atom("X-Foo"))
            ],
            delimiter: Some(Delimiter::new('/').unwrap()),
            mailbox: mailbox("Foo"),
            extended: vec![
                ListExtendedItem::ChildInfo(NonEmpty::new(s("SUBSCRIBED"))),
                ListExtendedItem::OldName(mailbox("Bar")),
                ListExtendedItem::Other {
                    tag: s("X-ITEM"),
                    value: TaggedExtVal::Number(7)
                },
            ],
        })
    );
    assert!(matches!(
        data("* LIST (\\Noselect) NIL \"\""),
        Data::List(ListData {
            delimiter: None,
            ..
        })
    ));
    let quoted = data("* LIST () \"\\\\\" x");
    assert!(
        matches!(quoted, Data::List(ListData { delimiter: Some(d), .. }) if d.as_char() == '\\')
    );
    let value = command(
        "A04 LIST (SUBSCRIBED REMOTE RECURSIVEMATCH SPECIAL-USE X-OPT (a (b))) \"\" (\"%\" \"Other/*\") RETURN (CHILDREN SUBSCRIBED SPECIAL-USE STATUS (MESSAGES UNSEEN))",
    );
    let CommandBody::List {
        selection,
        reference,
        patterns,
        return_options,
    } = &value.body
    else {
        panic!()
    };
    assert_eq!(selection.len(), 5);
    assert!(
        matches!(&selection[4], ListSelectOption::Other(ListOptionExtension { name, value: Some(items) })
        if name.as_str() == "X-OPT" && items.len() == 2)
    );
    assert_eq!(reference.name().as_str(), Some(""));
    assert_eq!(patterns.len(), 2);
    assert_eq!(
        return_options[3],
        ListReturnOption::Status(
            NonEmpty::try_from(vec![StatusAttribute::Messages, StatusAttribute::Unseen]).unwrap()
        )
    );
    encodes_command_to(
        &value,
        "A04 LIST (SUBSCRIBED REMOTE RECURSIVEMATCH SPECIAL-USE X-OPT (a (b))) \"\" (% Other/*) RETURN (CHILDREN SUBSCRIBED SPECIAL-USE STATUS (MESSAGES UNSEEN))",
    );
    let create = command("t1 CREATE \"Important Messages\" (USE (\\Important \\Flagged))");
    assert_eq!(
        create.body,
        CommandBody::Create {
            mailbox: mailbox("Important Messages"),
            parameters: vec![CreateParameter::Use(vec![
                ListAttribute::Extension(atom("Important")),
                ListAttribute::Flagged
            ])],
        }
    );
}

#[test]
fn status_namespace_id_quota_enable_vanished() {
    assert_eq!(
        data("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292 HIGHESTMODSEQ 7011231777 SIZE 9000000000 DELETED 2 DELETED-STORAGE 4 RECENT 1 UIDVALIDITY 5 UNSEEN 0)"),
        Data::Status {
            mailbox: mailbox("blurdybloop"),
            items: vec![
                StatusItem::Messages(231),
                StatusItem::UidNext(nz(44292)),
                StatusItem::HighestModSeq(7011231777),
                StatusItem::Size(9000000000),
                StatusItem::Deleted(2),
                StatusItem::DeletedStorage(4),
                StatusItem::Recent(1),
                StatusItem::UidValidity(nz(5)),
                StatusItem::Unseen(0),
            ],
        }
    );
    assert_eq!(
        data("* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL ((\"#shared/\" NIL))"),
        Data::Namespace {
            personal: vec![
                NamespaceDescription {
                    prefix: s(""),
                    delimiter: Some(Delimiter::new('/').unwrap()),
                    extensions: vec![],
                },
                NamespaceDescription {
                    prefix: s("#mh/"),
                    delimiter: Some(Delimiter::new('/').unwrap()),
                    extensions: vec![(
                        s("X-PARAM"),
                        NonEmpty::try_from(vec![s("FLAG1"), s("FLAG2")]).unwrap()
                    )],
                },
            ],
            other: vec![],
            shared: vec![NamespaceDescription {
                prefix: s("#shared/"),
                delimiter: None,
                extensions: vec![]
            }],
        }
    );
    assert_eq!(
        data("* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" NIL)"),
        Data::Id(Some(vec![
            (s("name"), Some(s("Cyrus"))),
            (s("version"), Some(s("1.5"))),
            (s("os"), None)
        ]))
    );
    assert_eq!(data("* ID NIL"), Data::Id(None));
    assert_eq!(
        command("a023 ID (\"name\" \"sodr\")").body,
        CommandBody::Id {
            parameters: Some(vec![(s("name"), Some(s("sodr")))])
        }
    );
    assert_eq!(
        data("* QUOTA \"\" (STORAGE 10 512 MESSAGE 1 5 X-RES 0 1)"),
        Data::Quota {
            root: s(""),
            resources: vec![
                QuotaResource {
                    resource: Resource::Storage,
                    usage: 10,
                    limit: 512
                },
                QuotaResource {
                    resource: Resource::Message,
                    usage: 1,
                    limit: 5
                },
                QuotaResource {
                    resource: Resource::Other(atom("X-RES")),
                    usage: 0,
                    limit: 1
                },
            ],
        }
    );
    assert_eq!(
        data("* QUOTAROOT INBOX \"\" foo"),
        Data::QuotaRoot {
            mailbox: Mailbox::inbox(),
            roots: vec![s(""), s("foo")]
        }
    );
    let setquota = command("A001 SETQUOTA \"\" (STORAGE 512 MAILBOX 10)");
    assert_eq!(
        setquota.body,
        CommandBody::SetQuota {
            root: s(""),
            limits: vec![(Resource::Storage, 512), (Resource::Mailbox, 10)]
        }
    );
    encodes_command_to(&setquota, "A001 SETQUOTA \"\" (STORAGE 512 MAILBOX 10)");
    assert_eq!(
        command("a GETQUOTAROOT INBOX").body,
        CommandBody::GetQuotaRoot {
            mailbox: Mailbox::inbox()
        }
    );
    assert_eq!(
        command("a ENABLE CONDSTORE UTF8=ACCEPT X-GOOD").body,
        CommandBody::Enable {
            capabilities: NonEmpty::try_from(vec![
                Capability::CondStore,
                Capability::Utf8Accept,
                Capability::Other(atom("X-GOOD"))
            ])
            .unwrap()
        }
    );
    assert_eq!(data("* ENABLED"), Data::Enabled(vec![]));
    assert_eq!(
        data("* VANISHED (EARLIER) 300:310,405,411"),
        Data::Vanished {
            earlier: true,
            uids: set("300:310,405,411")
        }
    );
    assert_eq!(
        data("* VANISHED 405"),
        Data::Vanished {
            earlier: false,
            uids: set("405")
        }
    );
    assert_eq!(
        data("* 1 FETCH (UID 4 MODSEQ (12121231000) FLAGS (\\Recent $x))"),
        Data::Fetch {
            sequence_number: nz(1),
            items: NonEmpty::try_from(vec![
                MessageDataItem::Uid(nz(4)),
                MessageDataItem::ModSeq(nz64(12121231000)),
                MessageDataItem::Flags(vec![
                    FlagFetch::Recent,
                    FlagFetch::Flag(Flag::Keyword(atom("$x")))
                ]),
            ])
            .unwrap()
        }
    );
}

#[test]
fn multiappend_with_literal8_and_utf8() {
    let input = b"a APPEND Drafts (\\Draft) \" 7-Feb-1994 22:43:04 -0800\" {3+}\r\nabc ~{2+}\r\n\0x UTF8 (~{2+}\r\n\xc3\xa9)\r\n";
    let Ok(Status::Complete { value, .. }) = decode_command(input, &options()) else {
        panic!()
    };
    let CommandBody::Append {
        mailbox: target,
        messages,
    } = &value.body
    else {
        panic!()
    };
    assert_eq!(target, &mailbox("Drafts"));
    assert_eq!(
        messages.as_slice(),
        &[
            AppendMessage {
                flags: vec![Flag::Draft],
                date: Some(
                    DateTime::new(Date::new(1994, 2, 7).unwrap(), 22, 43, 4, -8 * 60).unwrap()
                ),
                data: AppendData::Literal(s("abc")),
            },
            AppendMessage {
                flags: vec![],
                date: None,
                data: AppendData::Literal8(Cow::Borrowed(b"\0x")),
            },
            AppendMessage {
                flags: vec![],
                date: None,
                data: AppendData::Utf8(Cow::Borrowed("é".as_bytes())),
            },
        ]
    );
    let mut out = Vec::new();
    encode_command(
        &value,
        &EncodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus),
        &mut out,
    );
    assert_eq!(
        out,
        b"a APPEND Drafts (\\Draft) \"07-Feb-1994 22:43:04 -0800\" {3+}\r\nabc ~{2+}\r\n\0x UTF8 (~{2+}\r\n\xc3\xa9)\r\n"
    );
}

#[test]
fn utf8_accept_mailbox_names_and_quoted_strings() {
    let utf8 = DecodeOptions::default().with_utf8_accept(true);
    let input = "a CREATE \"Входящие/Спам\"\r\n".as_bytes();
    let Ok(Status::Complete { value, .. }) = decode_command(input, &utf8) else {
        panic!()
    };
    let CommandBody::Create { mailbox: name, .. } = &value.body else {
        panic!()
    };
    assert_eq!(name.name().as_str(), Some("Входящие/Спам"));
    // The same name under IMAP4rev1 travels in modified UTF-7.
    let mut out = Vec::new();
    encode_command(&value, &EncodeOptions::default(), &mut out);
    let rev1 = String::from_utf8(out).unwrap();
    assert!(
        rev1.starts_with("a CREATE &BBIERQQ+BDQETwRJBDgENQ-/&BCEEPwQwBDw-"),
        "{rev1}"
    );
    let Ok(Status::Complete { value: back, .. }) =
        decode_command(rev1.as_bytes(), &DecodeOptions::default())
    else {
        panic!()
    };
    assert_eq!(back, value);
}

#[test]
fn compress_idle_unselect_move() {
    assert_eq!(
        command("a COMPRESS DEFLATE").body,
        CommandBody::Compress {
            algorithm: atom("DEFLATE")
        }
    );
    assert_eq!(
        command("a UID MOVE 42:69 foo").body,
        CommandBody::Move {
            uid: true,
            sequence_set: set("42:69"),
            mailbox: mailbox("foo")
        }
    );
    assert_eq!(command("A002 IDLE").body, CommandBody::Idle);
    assert_eq!(command("A342 UNSELECT").body, CommandBody::Unselect);
    assert_eq!(
        command("a GETQUOTA \"\"").body,
        CommandBody::GetQuota { root: s("") }
    );
}
