//! Property tests: arbitrary values survive encode -> decode unchanged, under IMAP4rev1
//! and IMAP4rev2 / UTF8=ACCEPT, with and without LITERAL+; and arbitrary bytes never
//! panic the decoders.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::Cow;
use std::num::{NonZeroU32, NonZeroU64};

use mailwire_core::{Secret, Status};
use mailwire_imap::codec::*;
use mailwire_imap::types::*;
use proptest::prelude::*;
use proptest::strategy::Union;

/// The number of cases: `default`, or `PROPTEST_CASES` for a longer run.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

// ----- primitives -----

fn nz() -> impl Strategy<Value = NonZeroU32> {
    prop_oneof![1u32..100, 1u32..=u32::MAX].prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn nz64() -> impl Strategy<Value = NonZeroU64> {
    (1u64..=i64::MAX as u64).prop_map(|n| NonZeroU64::new(n).unwrap())
}

fn n64() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..1000, 0u64..=i64::MAX as u64]
}

/// Bytes that need every form: atoms, quoted strings, literals (CR, LF, 8-bit).
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[a-zA-Z0-9]{1,12}".prop_map(String::into_bytes),
        "[ -~]{0,20}".prop_map(String::into_bytes),
        proptest::collection::vec(1u8..=255, 0..40),
        "\\PC{0,10}".prop_map(String::into_bytes),
    ]
}

fn istring() -> BoxedStrategy<IString<'static>> {
    bytes()
        .prop_map(|bytes| IString::try_from(bytes).unwrap())
        .boxed()
}

fn nstring() -> BoxedStrategy<NString<'static>> {
    proptest::option::of(istring()).boxed()
}

/// An atom no keyword table knows.
fn x_atom() -> impl Strategy<Value = Atom<'static>> {
    "X[A-Za-z0-9$._-]{0,10}".prop_map(|text| Atom::try_from(text).unwrap())
}

fn keyword() -> impl Strategy<Value = Atom<'static>> {
    "\\$?[A-Za-z][A-Za-z0-9_-]{0,10}".prop_map(|text| Atom::try_from(text).unwrap())
}

fn text() -> impl Strategy<Value = Text<'static>> {
    // ASCII text not starting with '[' (it would read as a response code).
    "([ -Z\\\\-~][ -~]{0,30})?".prop_map(|text| Text::try_from(text).unwrap())
}

fn mailbox_name() -> BoxedStrategy<MailboxName<'static>> {
    prop_oneof![
        "[A-Za-z0-9./ &_-]{0,16}",
        "[A-Za-zäöüßé台北日本語📬/&-]{0,10}",
        "\\PC{0,8}".prop_filter("no controls", |name| !name.chars().any(char::is_control)),
    ]
    .prop_map(|name| MailboxName::try_from(name).unwrap())
    .boxed()
}

fn mailbox() -> BoxedStrategy<Mailbox<'static>> {
    prop_oneof![
        Just(Mailbox::inbox()),
        mailbox_name().prop_map(Mailbox::new)
    ]
    .boxed()
}

fn pattern() -> impl Strategy<Value = MailboxName<'static>> {
    prop_oneof![
        "[A-Za-z0-9./%*_-]{0,12}".prop_map(|name| MailboxName::try_from(name).unwrap()),
        mailbox_name(),
    ]
}

fn seq_number() -> impl Strategy<Value = SeqNumber> {
    prop_oneof![nz().prop_map(SeqNumber::Value), Just(SeqNumber::Largest)]
}

fn sequence_set() -> BoxedStrategy<SequenceSet> {
    prop_oneof![
        1 => Just(SequenceSet::Saved),
        6 => proptest::collection::vec(
            prop_oneof![
                seq_number().prop_map(SequenceItem::Single),
                (seq_number(), seq_number()).prop_map(|(a, b)| SequenceItem::Range(a, b)),
            ],
            1..5
        )
        .prop_map(|items| SequenceSet::Items(NonEmpty::try_from(items).unwrap())),
    ]
    .boxed()
}

fn uid_set() -> impl Strategy<Value = UidSet> {
    proptest::collection::vec(
        prop_oneof![
            nz().prop_map(UidItem::Single),
            (nz(), nz()).prop_map(|(a, b)| UidItem::Range(a, b)),
        ],
        1..4,
    )
    .prop_map(|items| UidSet(NonEmpty::try_from(items).unwrap()))
}

fn date() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn date_time() -> BoxedStrategy<DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..=60, -5999i16..=5999)
        .prop_filter("zone minutes below 60", |(.., zone)| {
            zone.unsigned_abs() % 100 < 100
        })
        .prop_map(|(date, h, m, s, zone)| DateTime::new(date, h, m, s, zone).unwrap())
        .boxed()
}

fn flag() -> BoxedStrategy<Flag<'static>> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        keyword().prop_map(Flag::Keyword),
        x_atom().prop_map(Flag::Extension),
    ]
    .boxed()
}

fn list_attribute() -> BoxedStrategy<ListAttribute<'static>> {
    prop_oneof![
        Just(ListAttribute::NoInferiors),
        Just(ListAttribute::NoSelect),
        Just(ListAttribute::Marked),
        Just(ListAttribute::Unmarked),
        Just(ListAttribute::NonExistent),
        Just(ListAttribute::Subscribed),
        Just(ListAttribute::Remote),
        Just(ListAttribute::HasChildren),
        Just(ListAttribute::HasNoChildren),
        Just(ListAttribute::All),
        Just(ListAttribute::Archive),
        Just(ListAttribute::Drafts),
        Just(ListAttribute::Flagged),
        Just(ListAttribute::Junk),
        Just(ListAttribute::Sent),
        Just(ListAttribute::Trash),
        x_atom().prop_map(ListAttribute::Extension),
    ]
    .boxed()
}

fn capability() -> BoxedStrategy<Capability<'static>> {
    prop_oneof![
        Just(Capability::Imap4Rev1),
        Just(Capability::Imap4Rev2),
        Just(Capability::LiteralPlus),
        Just(Capability::CondStore),
        Just(Capability::Utf8Accept),
        Just(Capability::StatusSize),
        x_atom().prop_map(Capability::Auth),
        x_atom().prop_map(Capability::Compress),
        x_atom().prop_map(Capability::QuotaResource),
        x_atom().prop_map(Capability::Other),
    ]
    .boxed()
}

fn ext_items() -> BoxedStrategy<Vec<ExtItem<'static>>> {
    let leaf = istring().prop_map(ExtItem::String);
    let item = leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            2 => istring().prop_map(ExtItem::String),
            1 => proptest::collection::vec(inner, 1..3)
                .prop_map(|items| ExtItem::Group(NonEmpty::try_from(items).unwrap())),
        ]
    });
    proptest::collection::vec(item, 0..3).boxed()
}

fn tagged_ext_val() -> BoxedStrategy<TaggedExtVal<'static>> {
    prop_oneof![
        n64().prop_map(TaggedExtVal::Number),
        // A set that is not a bare number.
        (nz(), seq_number()).prop_map(|(a, b)| TaggedExtVal::SequenceSet(SequenceSet::range(
            SeqNumber::Value(a),
            b
        ))),
        ext_items().prop_map(TaggedExtVal::List),
        istring().prop_map(TaggedExtVal::String),
    ]
    .boxed()
}

fn ext_parameter() -> impl Strategy<Value = ExtParameter<'static>> {
    (x_atom(), proptest::option::of(tagged_ext_val()))
        .prop_map(|(name, value)| ExtParameter { name, value })
}

fn status_attribute() -> impl Strategy<Value = StatusAttribute> {
    prop_oneof![
        Just(StatusAttribute::Messages),
        Just(StatusAttribute::Recent),
        Just(StatusAttribute::UidNext),
        Just(StatusAttribute::UidValidity),
        Just(StatusAttribute::Unseen),
        Just(StatusAttribute::Deleted),
        Just(StatusAttribute::Size),
        Just(StatusAttribute::HighestModSeq),
        Just(StatusAttribute::DeletedStorage),
    ]
}

fn non_empty<T: std::fmt::Debug>(
    strategy: impl Strategy<Value = T>,
    max: usize,
) -> impl Strategy<Value = NonEmpty<T>> {
    proptest::collection::vec(strategy, 1..max).prop_map(|items| NonEmpty::try_from(items).unwrap())
}

// ----- commands -----

fn section() -> BoxedStrategy<Option<Section<'static>>> {
    let part = || non_empty(nz(), 4);
    proptest::option::of(prop_oneof![
        part().prop_map(Section::Part),
        proptest::option::of(part()).prop_map(Section::Header),
        (proptest::option::of(part()), non_empty(istring(), 4))
            .prop_map(|(p, names)| Section::HeaderFields(p, names)),
        (proptest::option::of(part()), non_empty(istring(), 4))
            .prop_map(|(p, names)| Section::HeaderFieldsNot(p, names)),
        proptest::option::of(part()).prop_map(Section::Text),
        part().prop_map(Section::Mime),
    ])
    .boxed()
}

fn partial() -> impl Strategy<Value = Option<Partial>> {
    proptest::option::of((n64(), nz64()).prop_map(|(offset, length)| Partial { offset, length }))
}

fn fetch_attribute() -> BoxedStrategy<FetchAttribute<'static>> {
    prop_oneof![
        Just(FetchAttribute::Envelope),
        Just(FetchAttribute::Flags),
        Just(FetchAttribute::InternalDate),
        Just(FetchAttribute::Rfc822),
        Just(FetchAttribute::Rfc822Header),
        Just(FetchAttribute::Rfc822Size),
        Just(FetchAttribute::Rfc822Text),
        Just(FetchAttribute::Body),
        Just(FetchAttribute::BodyStructure),
        Just(FetchAttribute::Uid),
        Just(FetchAttribute::ModSeq),
        (any::<bool>(), section(), partial()).prop_map(|(peek, section, partial)| {
            FetchAttribute::BodySection {
                peek,
                section,
                partial,
            }
        }),
        (
            any::<bool>(),
            proptest::collection::vec(nz(), 0..3),
            partial()
        )
            .prop_map(|(peek, part, partial)| FetchAttribute::Binary {
                peek,
                part,
                partial
            }),
        proptest::collection::vec(nz(), 0..3).prop_map(|part| FetchAttribute::BinarySize { part }),
    ]
    .boxed()
}

fn search_key() -> BoxedStrategy<SearchKey<'static>> {
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Answered),
        Just(SearchKey::Deleted),
        Just(SearchKey::Draft),
        Just(SearchKey::Flagged),
        Just(SearchKey::New),
        Just(SearchKey::Old),
        Just(SearchKey::Recent),
        Just(SearchKey::Seen),
        Just(SearchKey::Unanswered),
        Just(SearchKey::Undeleted),
        Just(SearchKey::Undraft),
        Just(SearchKey::Unflagged),
        Just(SearchKey::Unseen),
        istring().prop_map(SearchKey::Bcc),
        istring().prop_map(SearchKey::Body),
        istring().prop_map(SearchKey::Cc),
        istring().prop_map(SearchKey::From),
        istring().prop_map(SearchKey::Subject),
        istring().prop_map(SearchKey::Text),
        istring().prop_map(SearchKey::To),
        (istring(), istring()).prop_map(|(name, value)| SearchKey::Header(name, value)),
        date().prop_map(SearchKey::Before),
        date().prop_map(SearchKey::On),
        date().prop_map(SearchKey::Since),
        date().prop_map(SearchKey::SentBefore),
        date().prop_map(SearchKey::SentOn),
        date().prop_map(SearchKey::SentSince),
        keyword().prop_map(SearchKey::Keyword),
        keyword().prop_map(SearchKey::Unkeyword),
        n64().prop_map(SearchKey::Larger),
        n64().prop_map(SearchKey::Smaller),
        sequence_set().prop_map(SearchKey::Uid),
        sequence_set().prop_map(SearchKey::SequenceSet),
        (
            proptest::option::of((
                istring(),
                prop_oneof![
                    Just(EntryType::Private),
                    Just(EntryType::Shared),
                    Just(EntryType::All)
                ]
            )),
            n64()
        )
            .prop_map(|(entry, mod_seq)| SearchKey::ModSeq { entry, mod_seq }),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|key| SearchKey::Not(Box::new(key))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            non_empty(inner, 4).prop_map(SearchKey::And),
        ]
    })
    .boxed()
}

fn list_option_extension() -> impl Strategy<Value = ListOptionExtension<'static>> {
    (
        x_atom(),
        proptest::option::of(
            ext_items().prop_filter_map("non-empty", |items| NonEmpty::try_from(items).ok()),
        ),
    )
        .prop_map(|(name, value)| ListOptionExtension { name, value })
}

fn command_body() -> BoxedStrategy<CommandBody<'static>> {
    let simple = prop_oneof![
        Just(CommandBody::Capability),
        Just(CommandBody::Noop),
        Just(CommandBody::Logout),
        Just(CommandBody::StartTls),
        Just(CommandBody::Namespace),
        Just(CommandBody::Idle),
        Just(CommandBody::Check),
        Just(CommandBody::Close),
        Just(CommandBody::Unselect),
        Just(CommandBody::Expunge),
        sequence_set().prop_map(|uids| CommandBody::UidExpunge { uids }),
        x_atom().prop_map(|algorithm| CommandBody::Compress { algorithm }),
        (
            x_atom(),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20))
        )
            .prop_map(|(mechanism, response)| CommandBody::Authenticate {
                mechanism,
                initial_response: response.map(Secret::new),
            }),
        (istring(), istring()).prop_map(|(username, password)| CommandBody::Login {
            username,
            password: Secret::new(password),
        }),
        mailbox().prop_map(|mailbox| CommandBody::Delete { mailbox }),
        mailbox().prop_map(|mailbox| CommandBody::Subscribe { mailbox }),
        mailbox().prop_map(|mailbox| CommandBody::Unsubscribe { mailbox }),
        mailbox().prop_map(|mailbox| CommandBody::GetQuotaRoot { mailbox }),
        (mailbox(), mailbox()).prop_map(|(from, to)| CommandBody::Rename { from, to }),
        (mailbox(), pattern())
            .prop_map(|(reference, pattern)| CommandBody::Lsub { reference, pattern }),
        (mailbox(), non_empty(status_attribute(), 5)).prop_map(|(mailbox, attributes)| {
            CommandBody::Status {
                mailbox,
                attributes,
            }
        }),
        non_empty(capability(), 4).prop_map(|capabilities| CommandBody::Enable { capabilities }),
        proptest::option::of(proptest::collection::vec((istring(), nstring()), 0..4))
            .prop_map(|parameters| CommandBody::Id { parameters }),
        istring().prop_map(|root| CommandBody::GetQuota { root }),
        (
            istring(),
            proptest::collection::vec((x_atom().prop_map(Resource::Other), n64()), 0..3)
        )
            .prop_map(|(root, limits)| CommandBody::SetQuota { root, limits }),
    ];
    let select_parameter = prop_oneof![
        Just(SelectParameter::CondStore),
        (
            nz(),
            nz64(),
            proptest::option::of(sequence_set()),
            proptest::option::of((sequence_set(), sequence_set()))
        )
            .prop_map(|(uid_validity, mod_seq, known_uids, sequence_match)| {
                SelectParameter::QResync(QResyncParameters {
                    uid_validity,
                    mod_seq,
                    known_uids,
                    sequence_match,
                })
            }),
        ext_parameter().prop_map(SelectParameter::Other),
    ];
    let mailboxes = prop_oneof![
        (
            mailbox(),
            proptest::collection::vec(select_parameter.clone(), 0..3)
        )
            .prop_map(|(mailbox, parameters)| CommandBody::Select {
                mailbox,
                parameters
            }),
        (mailbox(), proptest::collection::vec(select_parameter, 0..3)).prop_map(
            |(mailbox, parameters)| CommandBody::Examine {
                mailbox,
                parameters
            }
        ),
        (
            mailbox(),
            proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(list_attribute(), 0..3)
                        .prop_map(CreateParameter::Use),
                    ext_parameter().prop_map(CreateParameter::Other),
                ],
                0..3
            )
        )
            .prop_map(|(mailbox, parameters)| CommandBody::Create {
                mailbox,
                parameters
            }),
        (
            proptest::collection::vec(
                prop_oneof![
                    Just(ListSelectOption::Subscribed),
                    Just(ListSelectOption::Remote),
                    Just(ListSelectOption::RecursiveMatch),
                    Just(ListSelectOption::SpecialUse),
                    list_option_extension().prop_map(ListSelectOption::Other),
                ],
                0..4
            ),
            mailbox(),
            non_empty(pattern(), 3),
            proptest::collection::vec(
                prop_oneof![
                    Just(ListReturnOption::Subscribed),
                    Just(ListReturnOption::Children),
                    Just(ListReturnOption::SpecialUse),
                    non_empty(status_attribute(), 3).prop_map(ListReturnOption::Status),
                    list_option_extension().prop_map(ListReturnOption::Other),
                ],
                0..4
            ),
        )
            .prop_map(|(selection, reference, patterns, return_options)| {
                CommandBody::List {
                    selection,
                    reference,
                    patterns,
                    return_options,
                }
            }),
        (
            mailbox(),
            non_empty(
                (
                    proptest::collection::vec(flag(), 0..3),
                    proptest::option::of(date_time()),
                    prop_oneof![
                        istring().prop_map(AppendData::Literal),
                        proptest::collection::vec(any::<u8>(), 0..30)
                            .prop_map(|data| AppendData::Literal8(Cow::Owned(data))),
                        proptest::collection::vec(any::<u8>(), 0..30)
                            .prop_map(|data| AppendData::Utf8(Cow::Owned(data))),
                    ]
                )
                    .prop_map(|(flags, date, data)| AppendMessage {
                        flags,
                        date,
                        data
                    }),
                3
            )
        )
            .prop_map(|(mailbox, messages)| CommandBody::Append { mailbox, messages }),
    ];
    let messages = prop_oneof![
        (
            any::<bool>(),
            proptest::option::of(proptest::collection::vec(
                prop_oneof![
                    Just(SearchReturnOption::Min),
                    Just(SearchReturnOption::Max),
                    Just(SearchReturnOption::All),
                    Just(SearchReturnOption::Count),
                    Just(SearchReturnOption::Save),
                    ext_parameter().prop_map(SearchReturnOption::Other),
                ],
                0..4
            )),
            proptest::option::of(
                "[A-Za-z0-9 _-]{1,10}".prop_map(|name| Charset::try_from(name).unwrap())
            ),
            non_empty(search_key(), 4),
        )
            .prop_map(
                |(uid, return_options, charset, criteria)| CommandBody::Search {
                    uid,
                    return_options,
                    charset,
                    criteria,
                }
            ),
        (
            any::<bool>(),
            sequence_set(),
            prop_oneof![
                Just(FetchAttributes::All),
                Just(FetchAttributes::Fast),
                Just(FetchAttributes::Full),
                non_empty(fetch_attribute(), 5).prop_map(FetchAttributes::Attributes),
            ],
            proptest::collection::vec(
                prop_oneof![
                    nz64().prop_map(FetchModifier::ChangedSince),
                    Just(FetchModifier::Vanished),
                    ext_parameter().prop_map(FetchModifier::Other),
                ],
                0..3
            ),
        )
            .prop_map(
                |(uid, sequence_set, attributes, modifiers)| CommandBody::Fetch {
                    uid,
                    sequence_set,
                    attributes,
                    modifiers,
                }
            ),
        (
            any::<bool>(),
            sequence_set(),
            proptest::collection::vec(
                prop_oneof![
                    n64().prop_map(StoreModifier::UnchangedSince),
                    ext_parameter().prop_map(StoreModifier::Other),
                ],
                0..3
            ),
            prop_oneof![
                Just(StoreAction::Replace),
                Just(StoreAction::Add),
                Just(StoreAction::Remove)
            ],
            any::<bool>(),
            proptest::collection::vec(flag(), 0..4),
        )
            .prop_map(|(uid, sequence_set, modifiers, action, silent, flags)| {
                CommandBody::Store {
                    uid,
                    sequence_set,
                    modifiers,
                    action,
                    silent,
                    flags,
                }
            }),
        (any::<bool>(), sequence_set(), mailbox()).prop_map(|(uid, sequence_set, mailbox)| {
            CommandBody::Copy {
                uid,
                sequence_set,
                mailbox,
            }
        }),
        (any::<bool>(), sequence_set(), mailbox()).prop_map(|(uid, sequence_set, mailbox)| {
            CommandBody::Move {
                uid,
                sequence_set,
                mailbox,
            }
        }),
    ];
    Union::new(vec![simple.boxed(), mailboxes.boxed(), messages.boxed()]).boxed()
}

fn command() -> BoxedStrategy<Command<'static>> {
    ("[A-Za-z0-9.]{1,8}", command_body())
        .prop_map(|(tag, body)| Command {
            tag: Tag::try_from(tag).unwrap(),
            body,
        })
        .boxed()
}

/// The session settings both ends agree on.
fn modes() -> impl Strategy<Value = (DecodeOptions, EncodeOptions)> {
    (any::<bool>(), any::<bool>(), 0u8..3).prop_map(|(rev2, utf8, literals)| {
        let non_sync = match literals {
            0 => NonSyncLiterals::Forbidden,
            1 => NonSyncLiterals::Minus,
            _ => NonSyncLiterals::Plus,
        };
        let decode = DecodeOptions::default()
            .with_version(if rev2 { Version::Rev2 } else { Version::Rev1 })
            .with_utf8_accept(utf8)
            .with_non_sync_literals(non_sync);
        let encode = EncodeOptions::from(&decode);
        (decode, encode)
    })
}

// ----- responses -----

fn address() -> BoxedStrategy<Address<'static>> {
    (nstring(), nstring(), nstring(), nstring())
        .prop_map(|(name, adl, mailbox, host)| Address {
            name,
            adl,
            mailbox,
            host,
        })
        .boxed()
}

fn envelope() -> BoxedStrategy<Envelope<'static>> {
    let addresses = || proptest::collection::vec(address(), 0..3);
    (
        (nstring(), nstring(), addresses(), addresses(), addresses()),
        (addresses(), addresses(), addresses(), nstring(), nstring()),
    )
        .prop_map(
            |((date, subject, from, sender, reply_to), (to, cc, bcc, in_reply_to, message_id))| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
        .boxed()
}

fn parameters() -> impl Strategy<Value = BodyParameters<'static>> {
    proptest::collection::vec((istring(), istring()), 0..3)
}

fn body_extension() -> impl Strategy<Value = BodyExtension<'static>> {
    let leaf = prop_oneof![
        nstring().prop_map(BodyExtension::String),
        n64().prop_map(BodyExtension::Number)
    ];
    leaf.prop_recursive(3, 8, 3, |inner| {
        non_empty(inner, 3).prop_map(BodyExtension::List)
    })
}

fn extension_tail() -> BoxedStrategy<Option<ExtensionTail<'static>>> {
    proptest::option::of(
        (
            proptest::option::of(
                (istring(), parameters())
                    .prop_map(|(kind, parameters)| Disposition { kind, parameters }),
            ),
            proptest::option::of(
                (
                    proptest::collection::vec(istring(), 0..3),
                    proptest::option::of(
                        (nstring(), proptest::collection::vec(body_extension(), 0..3)).prop_map(
                            |(location, extensions)| LocationTail {
                                location,
                                extensions,
                            },
                        ),
                    ),
                )
                    .prop_map(|(languages, location)| LanguageTail {
                        languages,
                        location,
                    }),
            ),
        )
            .prop_map(|(disposition, language)| ExtensionTail {
                disposition,
                language,
            }),
    )
    .boxed()
}

fn body_fields() -> BoxedStrategy<BodyFields<'static>> {
    (parameters(), nstring(), nstring(), istring(), any::<u32>())
        .prop_map(
            |(parameters, id, description, encoding, octets)| BodyFields {
                parameters,
                id,
                description,
                encoding,
                octets,
            },
        )
        .boxed()
}

fn media_type() -> impl Strategy<Value = IString<'static>> {
    istring().prop_filter("not TEXT or MESSAGE", |value| {
        !value.as_bytes().eq_ignore_ascii_case(b"TEXT")
            && !value.as_bytes().eq_ignore_ascii_case(b"MESSAGE")
    })
}

fn body_structure() -> BoxedStrategy<BodyStructure<'static>> {
    let single_extension = || {
        proptest::option::of(
            (nstring(), extension_tail()).prop_map(|(md5, tail)| SinglePartExtension { md5, tail }),
        )
    };
    let leaf = (
        prop_oneof![
            (media_type(), istring()).prop_map(|(media_type, subtype)| SinglePartKind::Basic {
                media_type,
                subtype
            }),
            (istring(), n64()).prop_map(|(subtype, lines)| SinglePartKind::Text { subtype, lines }),
        ],
        body_fields(),
        single_extension(),
    )
        .prop_map(|(kind, fields, extension)| BodyStructure::Single {
            kind,
            fields,
            extension,
        });
    leaf.prop_recursive(4, 16, 3, move |inner| {
        prop_oneof![
            (
                non_empty(inner.clone(), 3),
                istring(),
                proptest::option::of(
                    (parameters(), extension_tail())
                        .prop_map(|(parameters, tail)| MultiPartExtension { parameters, tail })
                ),
            )
                .prop_map(|(parts, subtype, extension)| BodyStructure::Multi {
                    parts,
                    subtype,
                    extension
                }),
            (
                prop_oneof![Just("RFC822"), Just("GLOBAL")],
                envelope(),
                inner,
                n64(),
                body_fields(),
                single_extension(),
            )
                .prop_map(|(subtype, envelope, body, lines, fields, extension)| {
                    BodyStructure::Single {
                        kind: SinglePartKind::Message {
                            subtype: IString::try_from(subtype).unwrap(),
                            envelope: Box::new(envelope),
                            body: Box::new(body),
                            lines,
                        },
                        fields,
                        extension,
                    }
                }),
        ]
    })
    .boxed()
}

fn message_data_item() -> BoxedStrategy<MessageDataItem<'static>> {
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![flag().prop_map(FlagFetch::Flag), Just(FlagFetch::Recent)],
            0..4
        )
        .prop_map(MessageDataItem::Flags),
        date_time().prop_map(MessageDataItem::InternalDate),
        nstring().prop_map(MessageDataItem::Rfc822),
        nstring().prop_map(MessageDataItem::Rfc822Header),
        nstring().prop_map(MessageDataItem::Rfc822Text),
        n64().prop_map(MessageDataItem::Rfc822Size),
        envelope().prop_map(|envelope| MessageDataItem::Envelope(Box::new(envelope))),
        body_structure().prop_map(|body| MessageDataItem::Body(Box::new(body))),
        body_structure().prop_map(|body| MessageDataItem::BodyStructure(Box::new(body))),
        (section(), proptest::option::of(any::<u32>()), nstring()).prop_map(
            |(section, origin, data)| MessageDataItem::BodySection {
                section,
                origin,
                data
            }
        ),
        (
            proptest::collection::vec(nz(), 0..3),
            proptest::option::of(any::<u32>()),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20))
        )
            .prop_map(|(part, origin, data)| MessageDataItem::Binary {
                part,
                origin,
                data: data.map(Cow::Owned),
            }),
        (proptest::collection::vec(nz(), 0..3), any::<u32>())
            .prop_map(|(part, size)| MessageDataItem::BinarySize { part, size }),
        nz().prop_map(MessageDataItem::Uid),
        nz64().prop_map(MessageDataItem::ModSeq),
    ]
    .boxed()
}

fn code() -> BoxedStrategy<Code<'static>> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::TryCreate),
        Just(Code::Closed),
        Just(Code::NoModSeq),
        Just(Code::UseAttr),
        proptest::collection::vec(
            "[A-Za-z0-9 -]{1,8}".prop_map(|name| Charset::try_from(name).unwrap()),
            0..3
        )
        .prop_map(Code::BadCharset),
        non_empty(capability(), 4).prop_map(Code::Capability),
        proptest::collection::vec(
            prop_oneof![flag().prop_map(FlagPerm::Flag), Just(FlagPerm::Wildcard)],
            0..4
        )
        .prop_map(Code::PermanentFlags),
        nz().prop_map(Code::UidNext),
        nz().prop_map(Code::UidValidity),
        nz().prop_map(Code::Unseen),
        (nz(), uid_set()).prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (nz(), uid_set(), uid_set()).prop_map(|(uid_validity, source, destination)| {
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            }
        }),
        nz64().prop_map(Code::HighestModSeq),
        sequence_set().prop_map(Code::Modified),
        (x_atom(), proptest::option::of("[ -\\\\^-~]{1,12}")).prop_map(|(name, argument)| {
            Code::Other(
                OtherCode::new(name, argument.map(|text| Text::try_from(text).unwrap())).unwrap(),
            )
        }),
    ]
    .boxed()
}

fn response_text() -> BoxedStrategy<ResponseText<'static>> {
    (proptest::option::of(code()), text())
        .prop_map(|(code, text)| ResponseText { code, text })
        .boxed()
}

fn list_data() -> BoxedStrategy<ListData<'static>> {
    (
        proptest::collection::vec(list_attribute(), 0..4),
        proptest::option::of(
            "[ -~]".prop_map(|d| Delimiter::new(d.chars().next().unwrap()).unwrap()),
        ),
        mailbox(),
        proptest::collection::vec(
            prop_oneof![
                non_empty(istring(), 3).prop_map(ListExtendedItem::ChildInfo),
                mailbox().prop_map(ListExtendedItem::OldName),
                (
                    istring().prop_filter("not a known tag", |tag| {
                        !tag.as_bytes().eq_ignore_ascii_case(b"CHILDINFO")
                            && !tag.as_bytes().eq_ignore_ascii_case(b"OLDNAME")
                    }),
                    tagged_ext_val()
                )
                    .prop_map(|(tag, value)| ListExtendedItem::Other { tag, value }),
            ],
            0..3,
        ),
    )
        .prop_map(|(attributes, delimiter, mailbox, extended)| ListData {
            attributes,
            delimiter,
            mailbox,
            extended,
        })
        .boxed()
}

fn namespace() -> BoxedStrategy<Vec<NamespaceDescription<'static>>> {
    proptest::collection::vec(
        (
            istring(),
            proptest::option::of(Just(Delimiter::new('/').unwrap())),
            proptest::collection::vec((istring(), non_empty(istring(), 3)), 0..2),
        )
            .prop_map(|(prefix, delimiter, extensions)| NamespaceDescription {
                prefix,
                delimiter,
                extensions,
            }),
        0..3,
    )
    .boxed()
}

fn data() -> BoxedStrategy<Data<'static>> {
    let status = prop_oneof![
        any::<u32>().prop_map(StatusItem::Messages),
        any::<u32>().prop_map(StatusItem::Recent),
        nz().prop_map(StatusItem::UidNext),
        nz().prop_map(StatusItem::UidValidity),
        any::<u32>().prop_map(StatusItem::Unseen),
        any::<u32>().prop_map(StatusItem::Deleted),
        n64().prop_map(StatusItem::Size),
        n64().prop_map(StatusItem::HighestModSeq),
        n64().prop_map(StatusItem::DeletedStorage),
    ];
    let one = prop_oneof![
        (
            prop_oneof![Just(State::Ok), Just(State::No), Just(State::Bad)],
            response_text()
        )
            .prop_map(|(state, text)| Data::State { state, text }),
        response_text().prop_map(Data::Bye),
        non_empty(capability(), 5).prop_map(Data::Capability),
        proptest::collection::vec(capability(), 0..3).prop_map(Data::Enabled),
        list_data().prop_map(Data::List),
        list_data().prop_map(Data::Lsub),
        (mailbox(), proptest::collection::vec(status, 0..4))
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        (
            proptest::collection::vec(nz(), 1..5),
            proptest::option::of(nz64())
        )
            .prop_map(|(numbers, mod_seq)| Data::Search { numbers, mod_seq }),
        Just(Data::Search {
            numbers: vec![],
            mod_seq: None
        }),
        proptest::collection::vec(flag(), 0..4).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        nz().prop_map(Data::Expunge),
    ];
    let two = prop_oneof![
        (
            proptest::option::of(istring()),
            any::<bool>(),
            proptest::collection::vec(
                prop_oneof![
                    nz().prop_map(ESearchData::Min),
                    nz().prop_map(ESearchData::Max),
                    sequence_set().prop_map(ESearchData::All),
                    any::<u32>().prop_map(ESearchData::Count),
                    nz64().prop_map(ESearchData::ModSeq),
                    (x_atom(), tagged_ext_val())
                        .prop_map(|(name, value)| ESearchData::Other { name, value }),
                ],
                0..4
            )
        )
            .prop_map(|(tag, uid, data)| Data::ESearch(ESearchResponse { tag, uid, data })),
        (any::<bool>(), sequence_set())
            .prop_map(|(earlier, uids)| Data::Vanished { earlier, uids }),
        (nz(), non_empty(message_data_item(), 5)).prop_map(|(sequence_number, items)| {
            Data::Fetch {
                sequence_number,
                items,
            }
        }),
        proptest::option::of(proptest::collection::vec((istring(), nstring()), 0..3))
            .prop_map(Data::Id),
        (namespace(), namespace(), namespace()).prop_map(|(personal, other, shared)| {
            Data::Namespace {
                personal,
                other,
                shared,
            }
        }),
        (
            istring(),
            proptest::collection::vec(
                (x_atom().prop_map(Resource::Other), n64(), n64()).prop_map(
                    |(resource, usage, limit)| QuotaResource {
                        resource,
                        usage,
                        limit
                    }
                ),
                0..3
            )
        )
            .prop_map(|(root, resources)| Data::Quota { root, resources }),
        (mailbox(), proptest::collection::vec(istring(), 0..3))
            .prop_map(|(mailbox, roots)| Data::QuotaRoot { mailbox, roots }),
    ];
    Union::new(vec![one.boxed(), two.boxed()]).boxed()
}

fn response() -> BoxedStrategy<Response<'static>> {
    prop_oneof![
        (
            "[A-Za-z0-9.]{1,8}",
            prop_oneof![Just(State::Ok), Just(State::No), Just(State::Bad)],
            response_text()
        )
            .prop_map(|(tag, state, text)| Response::Tagged(TaggedResponse {
                tag: Tag::try_from(tag).unwrap(),
                state,
                text
            })),
        data().prop_map(Response::Data),
        response_text().prop_map(|text| Response::Continuation(Continuation { text })),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    #[test]
    fn commands_round_trip(value in command(), (decode, encode) in modes()) {
        let encoded = encode_command_fragments(&value, &encode);
        let fragments: Vec<u8> = encoded.fragments().flatten().copied().collect();
        prop_assert_eq!(&fragments, encoded.as_bytes());
        // Every fragment but the last ends with a synchronizing literal announcement.
        let count = encoded.fragments().count();
        for fragment in encoded.fragments().take(count - 1) {
            prop_assert!(fragment.ends_with(b"}\r\n"), "fragment end");
            prop_assert!(!fragment.ends_with(b"+}\r\n"), "synchronizing");
        }
        let bytes = encoded.as_bytes();
        match decode_command(bytes, &decode) {
            Ok(Status::Complete { value: back, consumed }) => {
                prop_assert_eq!(consumed, bytes.len());
                prop_assert_eq!(back, value);
            }
            other => prop_assert!(false, "{:?} -> {:?}", String::from_utf8_lossy(bytes), other),
        }
        // The framer agrees on where the command ends.
        prop_assert_eq!(frame_command(bytes, &decode), Ok(Frame::Complete { length: bytes.len() }));
        // Every strict prefix is partial, never an error.
        for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            prop_assert_eq!(decode_command(&bytes[..cut], &decode), Ok(Status::Partial));
        }
    }

    #[test]
    fn responses_round_trip(value in response(), (decode, encode) in modes()) {
        let mut bytes = Vec::new();
        encode_response(&value, &encode, &mut bytes);
        match decode_response(&bytes, &decode) {
            Ok(Status::Complete { value: back, consumed }) => {
                prop_assert_eq!(consumed, bytes.len());
                prop_assert_eq!(back, value);
            }
            other => prop_assert!(false, "{:?} -> {:?}", String::from_utf8_lossy(&bytes), other),
        }
        prop_assert_eq!(frame_response(&bytes, &decode), Ok(Frame::Complete { length: bytes.len() }));
        prop_assert_eq!(decode_response(&bytes[..bytes.len() - 1], &decode), Ok(Status::Partial));
    }

    #[test]
    fn unicode_mailbox_names_round_trip_in_both_modes(name in "\\PC{0,12}", utf8 in any::<bool>()) {
        prop_assume!(!name.chars().any(char::is_control));
        let value = Command {
            tag: Tag::try_from("a").unwrap(),
            body: CommandBody::Select { mailbox: Mailbox::try_from(name.as_str()).unwrap(), parameters: vec![] },
        };
        let encode = EncodeOptions::default().with_utf8_accept(utf8);
        let mut bytes = Vec::new();
        encode_command(&value, &encode, &mut bytes);
        if !utf8 {
            prop_assert!(bytes.is_ascii());
        }
        let decode = DecodeOptions::default().with_utf8_accept(utf8);
        let Ok(Status::Complete { value: back, .. }) = decode_command(&bytes, &decode) else {
            panic!("{:?}", String::from_utf8_lossy(&bytes));
        };
        prop_assert_eq!(back, value);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..200)) {
        let options = DecodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus);
        let _ = decode_command(&input, &options);
        let _ = decode_response(&input, &options);
        let _ = decode_greeting(&input, &options);
        let _ = decode_authenticate_data(&input, &options);
        let _ = decode_idle_done(&input, &options);
        let _ = frame_command(&input, &options);
        let _ = frame_response(&input, &options);
        let _ = command_tag(&input);
    }
}

/// The RFC example lines, as raw messages (command or not, bytes).
fn example_messages() -> &'static [(bool, Vec<u8>)] {
    static EXAMPLES: std::sync::OnceLock<Vec<(bool, Vec<u8>)>> = std::sync::OnceLock::new();
    EXAMPLES.get_or_init(read_examples)
}

fn read_examples() -> Vec<(bool, Vec<u8>)> {
    let mut out = Vec::new();
    for text in [
        include_str!("data/rfc_examples.txt"),
        include_str!("data/extension_examples.txt"),
    ] {
        for line in text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
        {
            let (body, _) = line.split_once("\t# ").unwrap();
            let (kind, payload) = body.split_once(' ').unwrap_or((body, ""));
            let mut bytes = payload.replace('⏎', "\r\n").into_bytes();
            bytes.extend_from_slice(b"\r\n");
            match kind {
                "C" | "XC" => out.push((true, bytes)),
                "S" | "G" | "XS" => out.push((false, bytes)),
                _ => {}
            }
        }
    }
    out
}

/// What the fuzz targets check, on one input.
fn check_invariants(
    command: bool,
    input: &[u8],
    options: &DecodeOptions,
) -> Result<(), TestCaseError> {
    let encode = EncodeOptions::from(options);
    if command {
        if let Ok(Status::Complete { value, consumed }) = decode_command(input, options) {
            prop_assert_eq!(
                frame_command(input, options),
                Ok(Frame::Complete { length: consumed })
            );
            prop_assert_eq!(
                decode_command(&input[..consumed / 2], options),
                Ok(Status::Partial)
            );
            let mut bytes = Vec::new();
            encode_command(&value, &encode, &mut bytes);
            let again = decode_command(&bytes, options);
            prop_assert!(
                matches!(&again, Ok(Status::Complete { value: v, .. }) if *v == value),
                "{:?}",
                again
            );
        }
    } else if let Ok(Status::Complete { value, consumed }) = decode_response(input, options) {
        prop_assert_eq!(
            frame_response(input, options),
            Ok(Frame::Complete { length: consumed })
        );
        prop_assert_eq!(
            decode_response(&input[..consumed / 2], options),
            Ok(Status::Partial)
        );
        let mut bytes = Vec::new();
        encode_response(&value, &encode, &mut bytes);
        let again = decode_response(&bytes, options);
        prop_assert!(
            matches!(&again, Ok(Status::Complete { value: v, .. }) if *v == value),
            "{:?}",
            again
        );
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Duplicate(usize, usize),
}

fn apply(input: &mut Vec<u8>, mutation: &Mutation) {
    if input.is_empty() {
        return;
    }
    match *mutation {
        Mutation::Flip(at, byte) => {
            let at = at % input.len();
            input[at] = byte;
        }
        Mutation::Insert(at, byte) => input.insert(at % (input.len() + 1), byte),
        Mutation::Delete(at) => {
            input.remove(at % input.len());
        }
        Mutation::Duplicate(at, length) => {
            let at = at % input.len();
            let end = (at + length % 16).min(input.len());
            let copy = input[at..end].to_vec();
            input.splice(at..at, copy);
        }
    }
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        proptest::sample::select(b"()[]{}<>\"\\ *%$~+-.:,0123456789\r\nNILnil".to_vec()),
        any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), interesting_byte()).prop_map(|(at, byte)| Mutation::Flip(at, byte)),
        (any::<usize>(), interesting_byte()).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<usize>()).prop_map(|(at, length)| Mutation::Duplicate(at, length)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    /// A cheap stand-in for coverage-guided fuzzing in `cargo test`: RFC examples with
    /// random mutations keep every invariant of the fuzz targets.
    #[test]
    fn mutated_rfc_examples_keep_the_fuzz_invariants(
        index in any::<proptest::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
        (decode, _) in modes(),
    ) {
        let examples = example_messages();
        let (command, mut input) = examples[index.index(examples.len())].clone();
        for mutation in &mutations {
            apply(&mut input, mutation);
        }
        check_invariants(command, &input, &decode)?;
    }
}

#[test]
fn unmutated_rfc_examples_keep_the_fuzz_invariants() {
    for (command, input) in example_messages() {
        let (command, input) = (*command, input.as_slice());
        for options in [
            DecodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus),
            DecodeOptions::default()
                .with_version(Version::Rev2)
                .with_non_sync_literals(NonSyncLiterals::Plus),
        ] {
            check_invariants(command, input, &options).unwrap();
        }
    }
}
