//! FETCH data computed from message bytes (feature `mime`), checked against the
//! RFC 3501 examples and against the codec: every computed item must encode into a
//! FETCH response that decodes back equal.
#![cfg(feature = "mime")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::{NonZeroU32, NonZeroU64};

use mailwire_core::Status;
use mailwire_imap::codec::{decode_response, encode_response, DecodeOptions, EncodeOptions};
use mailwire_imap::mime::{FetchDataError, FetchView, SectionError};
use mailwire_imap::types::*;

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn path(numbers: &[u32]) -> PartPath {
    NonEmpty::try_from(numbers.iter().map(|&n| nz(n)).collect::<Vec<_>>()).unwrap()
}

fn names(list: &[&str]) -> NonEmpty<IString<'static>> {
    NonEmpty::try_from(
        list.iter()
            .map(|name| IString::try_from(name.to_string()).unwrap())
            .collect::<Vec<_>>(),
    )
    .unwrap()
}

/// The items of a `* n FETCH (...)` line, decoded by the codec.
fn decode_fetch(line: &str) -> Vec<MessageDataItem<'static>> {
    match decode_response(line.as_bytes(), &DecodeOptions::default()) {
        Ok(Status::Complete {
            value: Response::Data(Data::Fetch { items, .. }),
            ..
        }) => items
            .into_vec()
            .into_iter()
            .map(|item| item.into_owned())
            .collect(),
        other => panic!("not a FETCH response: {other:?}"),
    }
}

/// Encodes the items as a FETCH response and checks the codec reads them back equal.
fn assert_round_trip(items: Vec<MessageDataItem<'static>>) {
    let response = Response::Data(Data::Fetch {
        sequence_number: nz(1),
        items: NonEmpty::try_from(items).unwrap(),
    });
    let mut bytes = Vec::new();
    encode_response(&response, &EncodeOptions::default(), &mut bytes);
    match decode_response(&bytes, &DecodeOptions::default()) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(consumed, bytes.len());
            assert_eq!(value.into_owned(), response);
        }
        other => panic!("{:?} -> {other:?}", String::from_utf8_lossy(&bytes)),
    }
}

/// A message matching the RFC 3501 §8 example: 4286 octets in all, a text body of
/// 3028 octets in 92 lines.
fn rfc3501_message() -> Vec<u8> {
    let mut header = String::from(
        "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
         From: Terry Gray <gray@cac.washington.edu>\r\n\
         Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
         To: imap@cac.washington.edu\r\n\
         cc: minutes@CNRI.Reston.VA.US,\r\n \"John Klensin\" <KLENSIN@MIT.EDU>\r\n\
         Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n",
    );
    let mut body = String::new();
    for _ in 0..91 {
        body.push_str(&"x".repeat(31));
        body.push_str("\r\n");
    }
    body.push_str(&"y".repeat(23));
    body.push_str("\r\n");
    assert_eq!(body.len(), 3028);
    let padding = 4286 - 3028 - header.len() - "X-Padding: \r\n\r\n".len();
    header.push_str(&format!("X-Padding: {}\r\n\r\n", "p".repeat(padding)));
    let message = format!("{header}{body}");
    assert_eq!(message.len(), 4286);
    message.into_bytes()
}

#[test]
fn rfc3501_section8_example_is_reproduced() {
    let raw = rfc3501_message();
    let view = FetchView::parse(&raw).unwrap();
    let expected = decode_fetch(
        "* 12 FETCH (RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
         \"IMAP4rev1 WG mtg summary and minutes\" \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((NIL NIL \"imap\" \"cac.washington.edu\")) \
         ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
         (\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
         \"<B27397-0100000@cac.washington.edu>\") \
         BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n",
    );
    let computed = vec![
        view.item(&FetchAttribute::Rfc822Size).unwrap(),
        view.item(&FetchAttribute::Envelope).unwrap(),
        view.item(&FetchAttribute::Body).unwrap(),
    ];
    assert_eq!(computed, expected);
    // The §7.4.2 BODYSTRUCTURE example, with the extension data a server adds.
    let MessageDataItem::BodyStructure(structure) =
        view.item(&FetchAttribute::BodyStructure).unwrap()
    else {
        panic!("not a BODYSTRUCTURE");
    };
    let expected = decode_fetch(
        "* 12 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \
         \"7BIT\" 3028 92 NIL NIL NIL NIL))\r\n",
    );
    assert_eq!(
        vec![MessageDataItem::BodyStructure(structure.clone())],
        expected
    );
    assert_round_trip(computed);
    assert_round_trip(vec![MessageDataItem::BodyStructure(structure)]);
}

const PART1_BODY: &str = "Hello";
const PART1_MIME: &str =
    "Content-Type: text/plain; charset=utf-8\r\nContent-Language: en, fr\r\n\r\n";
const PART2_HEADER: &str = "Content-Type: application/octet-stream; name=\"data.bin\"\r\n\
Content-Transfer-Encoding: base64\r\n\
Content-Disposition: attachment; filename=\"data.bin\"\r\n\
Content-ID: <att@example.org>\r\n\
Content-Description: some bytes\r\n\r\n";
const PART2_BODY: &str = "AAECAwQ=";
const INNER_HEADER: &str = "From: Inner <inner@example.org>\r\n\
Subject: inner\r\n\
Content-Type: multipart/alternative; boundary=inner\r\n\r\n";
const INNER_TEXT: &str = "inner text";
const INNER_HTML_MIME: &str = "Content-Type: text/html\r\n\r\n";
const INNER_HTML: &str = "<p>inner</p>\r\n<p>two</p>";
const OUTER_HEADER: &str = "From: Ann <ann@example.org>\r\n\
To: Team: bob@example.org, Carl <carl@example.net>;, dora@example.com\r\n\
Subject: parts\r\n\
Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\
Message-ID: <m1@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n";

fn inner_body() -> String {
    format!(
        "--inner\r\nContent-Type: text/plain\r\n\r\n{INNER_TEXT}\r\n--inner\r\n{INNER_HTML_MIME}{INNER_HTML}\r\n--inner--"
    )
}

fn mixed_message() -> String {
    format!(
        "{OUTER_HEADER}preamble\r\n--outer\r\n{PART1_MIME}{PART1_BODY}\r\n--outer\r\n{PART2_HEADER}{PART2_BODY}\r\n\
         --outer\r\nContent-Type: message/rfc822\r\n\r\n{INNER_HEADER}{}\r\n--outer--\r\nepilogue\r\n",
        inner_body()
    )
}

/// Lines as IMAP servers count them (Dovecot): line feeds.
fn lines(text: &str) -> usize {
    text.matches('\n').count()
}

#[test]
fn multipart_with_attachment_and_nested_message() {
    let raw = mixed_message();
    let view = FetchView::parse(raw.as_bytes()).unwrap();
    let inner = format!("{INNER_HEADER}{}", inner_body());
    // Compared with Dovecot 2.3 on this message: RFC822.SIZE 868 and "Hello" counted
    // as 0 lines agree. Dovecot reports the message/rfc822 part as 226 octets and 14
    // lines: it gives the CRLF after the inner close delimiter to the inner message,
    // where RFC 2046's grammar makes it part of the outer delimiter (224 and 13 here).
    assert_eq!(
        (raw.len(), inner.len(), lines(&inner), lines(PART1_BODY)),
        (868, 224, 13, 0)
    );
    let text = format!(
        "* 1 FETCH (ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"parts\" \
         ((\"Ann\" NIL \"ann\" \"example.org\")) ((\"Ann\" NIL \"ann\" \"example.org\")) \
         ((\"Ann\" NIL \"ann\" \"example.org\")) \
         ((NIL NIL \"Team\" NIL)(NIL NIL \"bob\" \"example.org\")(\"Carl\" NIL \"carl\" \"example.net\")\
         (NIL NIL NIL NIL)(NIL NIL \"dora\" \"example.com\")) NIL NIL NIL \"<m1@example.org>\") \
         BODYSTRUCTURE (\
         (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" {p1} {p1l} NIL NIL (\"en\" \"fr\") NIL)\
         (\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"data.bin\") \"<att@example.org>\" \"some bytes\" \"BASE64\" {p2} \
         NIL (\"ATTACHMENT\" (\"FILENAME\" \"data.bin\")) NIL NIL)\
         (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" {p3} \
         (NIL \"inner\" ((\"Inner\" NIL \"inner\" \"example.org\")) ((\"Inner\" NIL \"inner\" \"example.org\")) \
         ((\"Inner\" NIL \"inner\" \"example.org\")) NIL NIL NIL NIL NIL) \
         ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" {t} {tl} NIL NIL NIL NIL)\
         (\"TEXT\" \"HTML\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" {h} {hl} NIL NIL NIL NIL) \
         \"ALTERNATIVE\" (\"BOUNDARY\" \"inner\") NIL NIL NIL) {p3l} NIL NIL NIL NIL) \
         \"MIXED\" (\"BOUNDARY\" \"outer\") NIL NIL NIL) RFC822.SIZE {size})\r\n",
        p1 = PART1_BODY.len(),
        p1l = lines(PART1_BODY),
        p2 = PART2_BODY.len(),
        p3 = inner.len(),
        p3l = lines(&inner),
        t = INNER_TEXT.len(),
        tl = lines(INNER_TEXT),
        h = INNER_HTML.len(),
        hl = lines(INNER_HTML),
        size = raw.len(),
    );
    let expected = decode_fetch(&text);
    let computed = vec![
        view.item(&FetchAttribute::Envelope).unwrap(),
        view.item(&FetchAttribute::BodyStructure).unwrap(),
        view.item(&FetchAttribute::Rfc822Size).unwrap(),
    ];
    assert_eq!(computed, expected);
    // BODY is the same tree without extension data.
    let MessageDataItem::Body(body) = view.item(&FetchAttribute::Body).unwrap() else {
        panic!("not BODY");
    };
    let BodyStructure::Multi {
        parts, extension, ..
    } = body.as_ref()
    else {
        panic!("not multipart");
    };
    assert_eq!(extension, &None);
    assert_eq!(parts.len(), 3);
    let mut items = computed;
    items.push(MessageDataItem::Body(body));
    assert_round_trip(items);
}

fn section(view: &FetchView<'_>, section: Option<Section<'static>>) -> String {
    String::from_utf8(view.section(section.as_ref(), None).unwrap()).unwrap()
}

#[test]
fn sections_of_each_kind() {
    let raw = mixed_message();
    let view = FetchView::parse(raw.as_bytes()).unwrap();
    let inner = format!("{INNER_HEADER}{}", inner_body());
    assert_eq!(section(&view, None), raw);
    assert_eq!(section(&view, Some(Section::Header(None))), OUTER_HEADER);
    assert_eq!(
        section(&view, Some(Section::Text(None))),
        &raw[OUTER_HEADER.len()..]
    );
    assert_eq!(section(&view, Some(Section::Part(path(&[1])))), PART1_BODY);
    assert_eq!(section(&view, Some(Section::Mime(path(&[1])))), PART1_MIME);
    assert_eq!(section(&view, Some(Section::Part(path(&[2])))), PART2_BODY);
    assert_eq!(
        section(&view, Some(Section::Mime(path(&[2])))),
        PART2_HEADER
    );
    // A message/rfc822 part: its number is the whole encapsulated message, and HEADER
    // and TEXT below it are that message's.
    assert_eq!(section(&view, Some(Section::Part(path(&[3])))), inner);
    assert_eq!(
        section(&view, Some(Section::Mime(path(&[3])))),
        "Content-Type: message/rfc822\r\n\r\n"
    );
    assert_eq!(
        section(&view, Some(Section::Header(Some(path(&[3]))))),
        INNER_HEADER
    );
    assert_eq!(
        section(&view, Some(Section::Text(Some(path(&[3]))))),
        inner_body()
    );
    assert_eq!(
        section(&view, Some(Section::Part(path(&[3, 1])))),
        INNER_TEXT
    );
    assert_eq!(
        section(&view, Some(Section::Part(path(&[3, 2])))),
        INNER_HTML
    );
    assert_eq!(
        section(&view, Some(Section::Mime(path(&[3, 2])))),
        INNER_HTML_MIME
    );
    assert_eq!(
        section(
            &view,
            Some(Section::HeaderFields(
                None,
                names(&["subject", "FROM", "x-absent"])
            ))
        ),
        "From: Ann <ann@example.org>\r\nSubject: parts\r\n\r\n"
    );
    assert_eq!(
        section(
            &view,
            Some(Section::HeaderFieldsNot(
                None,
                names(&["to", "date", "message-id", "mime-version", "content-type"])
            ))
        ),
        "From: Ann <ann@example.org>\r\nSubject: parts\r\n\r\n"
    );
    assert_eq!(
        section(
            &view,
            Some(Section::HeaderFields(Some(path(&[3])), names(&["Subject"])))
        ),
        "Subject: inner\r\n\r\n"
    );
    // HEADER below a part that is not a message, and parts that do not exist.
    assert_eq!(
        view.section(Some(&Section::Header(Some(path(&[1])))), None),
        Err(FetchDataError::Section(SectionError::NotAMessage))
    );
    assert_eq!(
        view.section(Some(&Section::Part(path(&[4]))), None),
        Err(FetchDataError::Section(SectionError::NoSuchPart))
    );
    assert_eq!(
        view.section(Some(&Section::Part(path(&[1, 1]))), None),
        Err(FetchDataError::Section(SectionError::NoSuchPart))
    );
}

#[test]
fn partial_fetches_and_binary() {
    let raw = mixed_message();
    let view = FetchView::parse(raw.as_bytes()).unwrap();
    let part1 = Some(Section::Part(path(&[1])));
    let partial = |offset, length| {
        Some(Partial {
            offset,
            length: NonZeroU64::new(length).unwrap(),
        })
    };
    assert_eq!(view.section(part1.as_ref(), partial(2, 3)).unwrap(), b"llo");
    assert_eq!(
        view.section(part1.as_ref(), partial(3, 100)).unwrap(),
        b"lo"
    );
    assert_eq!(view.section(part1.as_ref(), partial(5, 1)).unwrap(), b"");
    assert_eq!(view.section(part1.as_ref(), partial(99, 1)).unwrap(), b"");
    assert_eq!(view.section(None, partial(0, 6)).unwrap(), b"From: ");

    // BINARY undoes base64; BINARY.SIZE is the decoded size.
    assert_eq!(view.binary(&[nz(2)], None).unwrap(), [0, 1, 2, 3, 4]);
    assert_eq!(view.binary(&[nz(2)], partial(1, 2)).unwrap(), [1, 2]);
    assert_eq!(view.binary_size(&[nz(2)]).unwrap(), 5);
    assert_eq!(view.binary(&[nz(1)], None).unwrap(), PART1_BODY.as_bytes());
    assert_eq!(view.binary(&[], None).unwrap(), raw.as_bytes());

    // The items carry the origin, and encode and decode back (the NUL octets of the
    // binary data need a literal8).
    let items = vec![
        view.item(&FetchAttribute::BodySection {
            peek: true,
            section: part1.clone(),
            partial: partial(2, 3),
        })
        .unwrap(),
        view.item(&FetchAttribute::Binary {
            peek: false,
            part: vec![nz(2)],
            partial: None,
        })
        .unwrap(),
        view.item(&FetchAttribute::BinarySize { part: vec![nz(2)] })
            .unwrap(),
        view.item(&FetchAttribute::BodySection {
            peek: false,
            section: Some(Section::HeaderFields(None, names(&["Subject"]))),
            partial: None,
        })
        .unwrap(),
        view.item(&FetchAttribute::Rfc822Header).unwrap(),
    ];
    assert_eq!(
        items[0],
        MessageDataItem::BodySection {
            section: part1,
            origin: Some(2),
            data: Some(IString::try_from("llo").unwrap()),
        }
    );
    assert_eq!(
        items[1],
        MessageDataItem::Binary {
            part: vec![nz(2)],
            origin: None,
            data: Some(vec![0, 1, 2, 3, 4].into()),
        }
    );
    assert_round_trip(items);
    assert_eq!(
        view.item(&FetchAttribute::Flags),
        Err(FetchDataError::NotFromBytes)
    );
}

#[test]
fn single_part_message_numbers_its_body_one() {
    let raw = "Subject: one\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n";
    let view = FetchView::parse(raw.as_bytes()).unwrap();
    assert_eq!(
        section(&view, Some(Section::Part(path(&[1])))),
        "caf=C3=A9\r\n"
    );
    assert_eq!(
        section(&view, Some(Section::Mime(path(&[1])))),
        "Subject: one\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
    );
    assert_eq!(view.binary(&[nz(1)], None).unwrap(), "café\r\n".as_bytes());
    assert_eq!(
        view.section(Some(&Section::Part(path(&[2]))), None),
        Err(FetchDataError::Section(SectionError::NoSuchPart))
    );
    // No From: the envelope has NIL address lists, and Sender/Reply-To stay NIL.
    let envelope = view.envelope();
    assert!(envelope.from.is_empty() && envelope.sender.is_empty());
    assert_eq!(envelope.subject, Some(IString::try_from("one").unwrap()));
    let unknown = "Content-Transfer-Encoding: x-rot13\r\n\r\nabc\r\n";
    let view = FetchView::parse(unknown.as_bytes()).unwrap();
    assert_eq!(
        view.binary(&[nz(1)], None),
        Err(FetchDataError::Section(SectionError::UnknownEncoding))
    );
    assert_round_trip(vec![
        view.item(&FetchAttribute::BodyStructure).unwrap(),
        view.item(&FetchAttribute::Envelope).unwrap(),
    ]);
}

#[test]
fn non_ascii_names_travel_as_encoded_words() {
    let raw = "From: =?utf-8?q?Andr=C3=A9?= <andre@example.org>\r\n\
               To: =?utf-8?b?w4lxdWlwZQ==?=: eve@example.org;\r\n\r\nbody\r\n";
    let view = FetchView::parse(raw.as_bytes()).unwrap();
    let envelope = view.envelope();
    let name = envelope.from[0].name.as_ref().unwrap().as_str().unwrap();
    assert!(name.is_ascii() && name.starts_with("=?"), "{name}");
    assert_eq!(
        mailwire_mime::encoded_word::decode_text(name.as_bytes()),
        "Andr\u{e9}"
    );
    assert_eq!(
        envelope.from[0].mailbox,
        Some(IString::try_from("andre").unwrap())
    );
    let group = envelope.to[0].mailbox.as_ref().unwrap().as_str().unwrap();
    assert_eq!(
        mailwire_mime::encoded_word::decode_text(group.as_bytes()),
        "\u{c9}quipe"
    );
    assert_eq!(envelope.to.len(), 3);
    assert_eq!(envelope.to[2], Address::default());
    assert_round_trip(vec![MessageDataItem::Envelope(Box::new(envelope))]);
}

#[test]
fn encapsulated_single_part_message_numbers_its_body_below_the_part() {
    let inner_header = "From: x@example.org\r\nSubject: fwd\r\n\r\n";
    let inner_body = "forwarded\r\ntext";
    let raw = format!(
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nfirst\r\n--b\r\n\
         Content-Type: message/rfc822\r\n\r\n{inner_header}{inner_body}\r\n--b--\r\n"
    );
    let view = FetchView::parse(raw.as_bytes()).unwrap();
    assert_eq!(section(&view, Some(Section::Part(path(&[1])))), "first");
    assert_eq!(
        section(&view, Some(Section::Part(path(&[2])))),
        format!("{inner_header}{inner_body}")
    );
    assert_eq!(
        section(&view, Some(Section::Header(Some(path(&[2]))))),
        inner_header
    );
    assert_eq!(
        section(&view, Some(Section::Text(Some(path(&[2]))))),
        inner_body
    );
    assert_eq!(
        section(&view, Some(Section::Part(path(&[2, 1])))),
        inner_body
    );
    let Ok(BodyStructure::Multi { parts, .. }) = view.body_structure(true) else {
        panic!("not multipart");
    };
    let BodyStructure::Single {
        kind:
            SinglePartKind::Message {
                envelope,
                body,
                lines,
                ..
            },
        ..
    } = &parts[1]
    else {
        panic!("part 2 is not a message: {:?}", parts[1]);
    };
    assert_eq!(*lines, 4);
    assert_eq!(envelope.subject, Some(IString::try_from("fwd").unwrap()));
    assert!(matches!(
        body.as_ref(),
        BodyStructure::Single { kind: SinglePartKind::Text { lines: 1, .. }, fields, .. }
            if fields.octets == 15
    ));
}
