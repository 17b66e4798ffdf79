//! Known-answer tests of the tree parser: RFC 2046 / 2049 / 3501 examples and the
//! breakage common clients tolerate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_mime::error::ParseError;
use mailwire_mime::header::{ContentTransferEncoding, HeaderError};
use mailwire_mime::limits::Limits;
use mailwire_mime::tree::{Message, Part, PartKind, PartPath};

fn seed(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../fuzz/seeds/mime_tree/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `(path, essence)` of every entity in document order.
fn outline(message: &Message<'_>) -> Vec<(String, String)> {
    message
        .parts()
        .map(|part| (part.path().to_string(), part.content_type().essence()))
        .collect()
}

fn text(range: std::ops::Range<usize>, input: &[u8]) -> String {
    String::from_utf8(input[range].to_vec()).unwrap()
}

/// Structural invariants every tree must keep.
fn check_invariants(message: &Message<'_>) {
    let input = message.input();
    for part in message.parts() {
        let range = part.range();
        assert!(range.start <= range.end && range.end <= input.len());
        assert_eq!(part.header_range().start, range.start);
        assert_eq!(part.header_range().end, part.body_range().start);
        assert_eq!(part.body_range().end, range.end);
        for field in part.header().fields() {
            let field_range = part.field_range(field);
            assert!(field_range.start >= range.start && field_range.end <= part.body_range().start);
        }
        match part.kind() {
            PartKind::Multipart(multipart) => {
                let body = part.body_range();
                let mut cursor = body.start;
                assert_eq!(multipart.preamble().start, body.start);
                cursor = cursor.max(multipart.preamble().end);
                for child in multipart.parts() {
                    assert!(
                        child.range().start >= cursor,
                        "parts in order, after the preamble"
                    );
                    assert_eq!(child.depth(), part.depth() + 1);
                    cursor = child.range().end;
                }
                if let Some(epilogue) = multipart.epilogue() {
                    assert!(epilogue.start >= cursor);
                    assert_eq!(epilogue.end, body.end);
                }
            }
            PartKind::Message(inner) => {
                assert_eq!(inner.range(), part.body_range());
                assert_eq!(inner.depth(), part.depth() + 1);
            }
            _ => {}
        }
    }
}

#[test]
fn rfc2046_simple_boundary_example() {
    let input = seed("rfc2046_simple_boundary.eml");
    let message = Message::parse(&input).unwrap();
    check_invariants(&message);
    assert_eq!(
        outline(&message),
        [
            ("", "multipart/mixed"),
            ("1", "text/plain"),
            ("2", "text/plain")
        ]
        .map(|(p, t)| (p.to_owned(), t.to_owned()))
    );
    let root = message.root();
    let multipart = root.multipart().unwrap();
    assert_eq!(multipart.boundary(), "simple boundary");
    assert!(text(multipart.preamble(), &input).starts_with("This is the preamble."));
    assert!(text(multipart.preamble(), &input)
        .ends_with("explanatory note to non-MIME conformant readers.\r\n"));
    assert_eq!(
        text(multipart.epilogue().unwrap(), &input),
        "\r\nThis is the epilogue.  It is also to be ignored.\r\n"
    );
    let [first, second] = root.children() else {
        panic!("two parts")
    };
    assert!(!first.has_content_type_field());
    assert_eq!(first.charset(), Some("us-ascii"));
    assert_eq!(
        first.body(),
        b"This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak."
    );
    assert_eq!(first.body_lines(), 2);
    assert_eq!(
        second.body(),
        b"This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n"
    );
    assert_eq!(second.body_lines(), 2);
    assert_eq!(second.size(), second.body().len());
    assert_eq!(second.header().fields().len(), 1);
}

#[test]
fn rfc2049_appendix_a_paths() {
    let input = seed("rfc2049_appendix_a.eml");
    let message = Message::parse(&input).unwrap();
    check_invariants(&message);
    let expected = [
        ("", "multipart/mixed"),
        ("1", "text/plain"),
        ("2", "text/plain"),
        ("3", "multipart/parallel"),
        ("3.1", "audio/basic"),
        ("3.2", "image/jpeg"),
        ("4", "text/enriched"),
        ("5", "message/rfc822"),
        ("5.1", "text/plain"),
    ];
    assert_eq!(
        outline(&message),
        expected.map(|(p, t)| (p.to_owned(), t.to_owned()))
    );
    assert_eq!(message.part_count(), 9);
    let audio = message.part(&PartPath::parse("3.1").unwrap()).unwrap();
    assert_eq!(audio.transfer_encoding(), &ContentTransferEncoding::Base64);
    assert_eq!(audio.depth(), 2);
    let forwarded = message.part(&PartPath::parse("5").unwrap()).unwrap();
    let inner = forwarded.message().unwrap();
    assert_eq!(inner.path().to_string(), "5.1");
    assert_eq!(inner.charset(), Some("ISO-8859-1"));
    assert_eq!(
        inner.transfer_encoding(),
        &ContentTransferEncoding::QuotedPrintable
    );
    assert_eq!(
        inner.header().get("subject").unwrap().raw_value(),
        b" (subject in US-ASCII)"
    );
    // The encapsulated message runs to the line break before the close delimiter.
    assert_eq!(
        inner.body(),
        b"  ... Additional text in ISO-8859-1 goes here ...\r\n"
    );
    let parallel = message.part(&PartPath::parse("3").unwrap()).unwrap();
    let multipart = parallel.multipart().unwrap();
    assert_eq!(multipart.preamble().len(), 0);
    assert_eq!(text(multipart.epilogue().unwrap(), &input), "");
}

#[test]
fn rfc2046_digest_defaults_to_message_rfc822() {
    let input = seed("rfc2046_digest.eml");
    let message = Message::parse(&input).unwrap();
    check_invariants(&message);
    let expected = [
        ("", "multipart/mixed"),
        ("1", "text/plain"),
        ("2", "multipart/digest"),
        ("2.1", "message/rfc822"),
        ("2.1.1", "text/plain"),
        ("2.2", "message/rfc822"),
        ("2.2.1", "text/plain"),
    ];
    assert_eq!(
        outline(&message),
        expected.map(|(p, t)| (p.to_owned(), t.to_owned()))
    );
    let first = message.part(&PartPath::parse("2.1").unwrap()).unwrap();
    assert!(!first.has_content_type_field());
    let inner = first.message().unwrap();
    assert_eq!(
        inner.header().get("subject").unwrap().raw_value(),
        b" my opinion"
    );
    assert_eq!(inner.body(), b"  ...body goes here ...\r\n");
}

/// The structure of the RFC 3501 §6.4.5 FETCH example, built as a message.
fn rfc3501_example() -> Vec<u8> {
    let text = |body: &str| format!("Content-Type: text/plain\r\n\r\n{body}");
    let mut m = String::new();
    m += "Subject: outer\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n";
    m += &format!("--o\r\n{}\r\n", text("part 1"));
    m += "--o\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n";
    m += "--o\r\nContent-Type: message/rfc822\r\n\r\n";
    m += "Subject: inner 3\r\nContent-Type: multipart/mixed; boundary=i3\r\n\r\n";
    m += &format!("--i3\r\n{}\r\n", text("part 3.1"));
    m += "--i3\r\nContent-Type: application/octet-stream\r\n\r\nxyz\r\n--i3--\r\n";
    m += "--o\r\nContent-Type: multipart/mixed; boundary=m4\r\n\r\n";
    m += "--m4\r\nContent-Type: image/gif\r\n\r\nGIF89a\r\n";
    m += "--m4\r\nContent-Type: message/rfc822\r\n\r\n";
    m += "Subject: inner 4.2\r\nContent-Type: multipart/mixed; boundary=i42\r\n\r\n";
    m += &format!("--i42\r\n{}\r\n", text("part 4.2.1"));
    m += "--i42\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n";
    m += &format!("--a\r\n{}\r\n", text("part 4.2.2.1"));
    m += "--a\r\nContent-Type: text/richtext\r\n\r\n<bold>4.2.2.2</bold>\r\n--a--\r\n";
    m += "--i42--\r\n--m4--\r\n--o--\r\n";
    m.into_bytes()
}

#[test]
fn rfc3501_part_numbers() {
    let input = rfc3501_example();
    let message = Message::parse(&input).unwrap();
    check_invariants(&message);
    let expected = [
        ("", "multipart/mixed"),
        ("1", "text/plain"),
        ("2", "application/octet-stream"),
        ("3", "message/rfc822"),
        ("3", "multipart/mixed"),
        ("3.1", "text/plain"),
        ("3.2", "application/octet-stream"),
        ("4", "multipart/mixed"),
        ("4.1", "image/gif"),
        ("4.2", "message/rfc822"),
        ("4.2", "multipart/mixed"),
        ("4.2.1", "text/plain"),
        ("4.2.2", "multipart/alternative"),
        ("4.2.2.1", "text/plain"),
        ("4.2.2.2", "text/richtext"),
    ];
    assert_eq!(
        outline(&message),
        expected.map(|(p, t)| (p.to_owned(), t.to_owned()))
    );
    // A lookup by a shared path gives the message/rfc822 part (BODY[3] is the
    // whole encapsulated message).
    let three = message.part(&PartPath::parse("3").unwrap()).unwrap();
    assert_eq!(three.content_type().essence(), "message/rfc822");
    assert!(three.body().starts_with(b"Subject: inner 3\r\n"));
    let leaf = message.part(&PartPath::parse("4.2.2.2").unwrap()).unwrap();
    assert_eq!(leaf.body(), b"<bold>4.2.2.2</bold>");
    assert_eq!(leaf.depth(), 5);
    assert_eq!(
        message
            .part(&PartPath::parse("2").unwrap())
            .unwrap()
            .decoded()
            .as_ref(),
        [0, 1, 2]
    );
    assert!(message.part(&PartPath::parse("5").unwrap()).is_none());
}

#[test]
fn single_part_message_is_part_one() {
    let input =
        b"Subject: hi\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline one\r\nline two\r\n";
    let message = Message::parse(input).unwrap();
    check_invariants(&message);
    let root = message.root();
    assert_eq!(root.path().to_string(), "1");
    assert_eq!(
        message.part(&PartPath::parse("1").unwrap()).unwrap().body(),
        b"line one\r\nline two\r\n"
    );
    assert_eq!(root.size(), 20);
    assert_eq!(root.body_lines(), 2);
    assert_eq!(root.header_range(), 0..56);
    assert_eq!(root.text(), "line one\r\nline two\r\n");
}

#[test]
fn missing_close_delimiter_runs_to_the_end() {
    let input = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>two</p>\r\n";
    let message = Message::parse(input).unwrap();
    check_invariants(&message);
    let multipart = message.root().multipart().unwrap();
    assert_eq!(multipart.epilogue(), None);
    let [one, two] = multipart.parts() else {
        panic!()
    };
    assert_eq!(one.body(), b"one");
    assert_eq!(two.body(), b"<p>two</p>\r\n");
    assert_eq!(two.range().end, input.len());
}

#[test]
fn boundary_that_never_appears_leaves_only_a_preamble() {
    let input = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--c\r\nnot ours\r\n";
    let message = Message::parse(input).unwrap();
    let multipart = message.root().multipart().unwrap();
    assert!(multipart.parts().is_empty());
    assert_eq!(&input[multipart.preamble()], b"--c\r\nnot ours\r\n");
    assert_eq!(multipart.epilogue(), None);
    assert_eq!(message.root().path().to_string(), "");
}

#[test]
fn multipart_without_boundary_is_a_leaf() {
    let input = b"Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\ntext\r\n--b--\r\n";
    let message = Message::parse(input).unwrap();
    let root = message.root();
    assert!(matches!(root.kind(), PartKind::Leaf));
    assert_eq!(root.path().to_string(), "1");
    assert_eq!(root.body(), b"--b\r\n\r\ntext\r\n--b--\r\n");
}

#[test]
fn bare_lf_messages_have_the_same_structure() {
    let crlf = seed("rfc2049_appendix_a.eml");
    let lf: Vec<u8> = String::from_utf8(crlf.clone())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    let a = Message::parse(&crlf).unwrap();
    let b = Message::parse(&lf).unwrap();
    check_invariants(&b);
    assert_eq!(outline(&a), outline(&b));
    for (x, y) in a.parts().zip(b.parts()) {
        let x_body = String::from_utf8(x.body().to_vec())
            .unwrap()
            .replace("\r\n", "\n");
        assert_eq!(x_body.as_bytes(), y.body(), "part {}", x.path());
        assert_eq!(x.body_lines(), y.body_lines());
    }
}

#[test]
fn boundary_prefix_of_a_nested_boundary() {
    // The inner boundary starts with the outer one: "--abcdef" is not "--abc".
    let input = b"Content-Type: multipart/mixed; boundary=abc\r\n\r\n\
--abc\r\nContent-Type: multipart/alternative; boundary=abcdef\r\n\r\n\
--abcdef\r\n\r\ninner one\r\n--abcdef\r\n\r\ninner two\r\n--abcdef--\r\n\
--abc\r\n\r\nouter two\r\n--abc--\r\n";
    let message = Message::parse(input).unwrap();
    check_invariants(&message);
    let paths: Vec<String> = message.parts().map(|p| p.path().to_string()).collect();
    assert_eq!(paths, ["", "1", "1.1", "1.2", "2"]);
    assert_eq!(
        message
            .part(&PartPath::parse("1.2").unwrap())
            .unwrap()
            .body(),
        b"inner two"
    );
    assert_eq!(
        message.part(&PartPath::parse("2").unwrap()).unwrap().body(),
        b"outer two"
    );

    // And the other way round: the outer boundary is the longer one.
    let input = b"Content-Type: multipart/mixed; boundary=abcdef\r\n\r\n\
--abcdef\r\nContent-Type: multipart/alternative; boundary=abc\r\n\r\n\
--abc\r\n\r\ninner one\r\n--abc--\r\n\
--abcdef\r\n\r\nouter two\r\n--abcdef--\r\n";
    let message = Message::parse(input).unwrap();
    let paths: Vec<String> = message.parts().map(|p| p.path().to_string()).collect();
    assert_eq!(paths, ["", "1", "1.1", "2"]);
}

#[test]
fn outer_delimiter_ends_an_unclosed_inner_multipart() {
    let input = b"Content-Type: multipart/mixed; boundary=out\r\n\r\n\
--out\r\nContent-Type: multipart/alternative; boundary=in\r\n\r\n\
--in\r\n\r\nunclosed inner\r\n\
--out\r\n\r\nsecond\r\n--out--\r\n";
    let message = Message::parse(input).unwrap();
    check_invariants(&message);
    let paths: Vec<String> = message.parts().map(|p| p.path().to_string()).collect();
    assert_eq!(paths, ["", "1", "1.1", "2"]);
    assert_eq!(
        message
            .part(&PartPath::parse("1.1").unwrap())
            .unwrap()
            .body(),
        b"unclosed inner"
    );
    assert_eq!(
        message
            .part(&PartPath::parse("1").unwrap())
            .unwrap()
            .multipart()
            .unwrap()
            .epilogue(),
        None
    );
}

#[test]
fn same_boundary_nested_goes_to_the_outer_multipart() {
    let input = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n\
--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n\
--x\r\n\r\ntext\r\n--x--\r\n";
    let message = Message::parse(input).unwrap();
    check_invariants(&message);
    let paths: Vec<(String, String)> = outline(&message);
    assert_eq!(
        paths,
        [
            ("", "multipart/mixed"),
            ("1", "multipart/mixed"),
            ("2", "text/plain")
        ]
        .map(|(p, t)| (p.to_owned(), t.to_owned()))
    );
    assert!(message
        .part(&PartPath::parse("1").unwrap())
        .unwrap()
        .children()
        .is_empty());
}

#[test]
fn transport_padding_and_delimiter_at_body_start() {
    let input = b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b \t\r\n\r\none\r\n--b--  \r\nepilogue";
    let message = Message::parse(input).unwrap();
    let multipart = message.root().multipart().unwrap();
    assert_eq!(multipart.preamble().len(), 0);
    assert_eq!(multipart.parts()[0].body(), b"one");
    assert_eq!(&input[multipart.epilogue().unwrap()], b"epilogue");
    // Padding past the limit makes an ordinary line.
    let limits = Limits::DEFAULT.with_max_transport_padding(1);
    let message = Message::parse_with(input, &limits).unwrap();
    assert!(message.root().children().is_empty());
}

#[test]
fn consecutive_delimiters_make_empty_parts() {
    let input = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\nx\r\n--b--";
    let message = Message::parse(input).unwrap();
    check_invariants(&message);
    let parts = message.root().children();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].range().len(), 0);
    assert_eq!(parts[0].content_type().essence(), "text/plain");
    assert_eq!(parts[1].body(), b"x");
    assert_eq!(
        message
            .root()
            .multipart()
            .unwrap()
            .epilogue()
            .map(|r| r.len()),
        Some(0)
    );
}

#[test]
fn decoding_and_charsets() {
    let input = "Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 =\r\ncr=E8me\r\n\
--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nY2Fmw6k=\r\n\
--b\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename*=utf-8''%C3%A9t%C3%A9.pdf\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%PDF\r\n--b--\r\n";
    let message = Message::parse(input.as_bytes()).unwrap();
    let parts = message.root().children();
    assert_eq!(parts[0].decoded().as_ref(), b"caf\xE9 cr\xE8me");
    assert_eq!(parts[0].text(), "café crème");
    assert_eq!(parts[1].text(), "café");
    assert!(matches!(
        parts[2].decoded(),
        std::borrow::Cow::Borrowed(b"%PDF")
    ));
    assert_eq!(parts[2].filename().as_deref(), Some("été.pdf"));
    assert!(parts[2].disposition().unwrap().is_attachment());
    assert_eq!(parts[0].filename(), None);
}

#[test]
fn encoded_message_global_stays_a_leaf() {
    let input = b"Content-Type: message/global\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQpib2R5\r\n";
    let message = Message::parse(input).unwrap();
    let root = message.root();
    assert!(matches!(root.kind(), PartKind::Leaf));
    assert_eq!(root.decoded().as_ref(), b"Subject: x\r\n\r\nbody");
    // Its payload parses as a message of its own.
    let payload = root.decoded();
    let inner = Message::parse(&payload).unwrap();
    assert_eq!(inner.root().body(), b"body");

    let input = b"Content-Type: message/global\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSubject: \xC3\xA9\r\n\r\nbody";
    let message = Message::parse(input).unwrap();
    let inner = message.root().message().unwrap();
    assert_eq!(inner.path().to_string(), "1.1");
    assert_eq!(
        inner.header().get("subject").unwrap().raw_value(),
        " é".as_bytes()
    );
}

#[test]
fn message_rfc822_at_top_level() {
    let input = b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhello";
    let message = Message::parse(input).unwrap();
    let paths: Vec<String> = message.parts().map(|p| p.path().to_string()).collect();
    assert_eq!(paths, ["1", "1.1"]);
    assert_eq!(
        message
            .part(&PartPath::parse("1.1").unwrap())
            .unwrap()
            .body(),
        b"hello"
    );
}

#[test]
fn degenerate_inputs() {
    for input in [
        &b""[..],
        b"\r\n",
        b"no header at all",
        b"Subject: only a header",
        b"\n\nbody",
        b"From x\r\n",
    ] {
        let message = Message::parse(input).unwrap();
        check_invariants(&message);
        assert_eq!(message.part_count(), 1);
        assert_eq!(message.root().path().to_string(), "1");
    }
    let message = Message::parse(b"Subject: x\r\n\r\n").unwrap();
    assert_eq!(message.root().size(), 0);
    assert_eq!(message.root().body_lines(), 0);
}

fn nested(depth: usize) -> Vec<u8> {
    let mut m = Vec::new();
    for _ in 0..depth {
        m.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    m.extend_from_slice(b"Subject: innermost\r\n\r\nbody");
    m
}

#[test]
fn depth_limit() {
    let limits = Limits::DEFAULT.with_max_depth(5);
    let five = nested(5);
    let message = Message::parse_with(&five, &limits).unwrap();
    let deepest = message.parts().last().unwrap();
    assert_eq!(deepest.depth(), 5);
    assert_eq!(deepest.path().to_string(), "1.1.1.1.1.1");
    assert_eq!(deepest.body(), b"body");
    assert_eq!(
        Message::parse_with(&nested(6), &limits).unwrap_err(),
        ParseError::TooDeep { limit: 5 }
    );
    // The default is generous but bounded.
    assert!(Message::parse(&nested(100)).is_ok());
    assert_eq!(
        Message::parse(&nested(101)).unwrap_err(),
        ParseError::TooDeep { limit: 100 }
    );
}

#[test]
fn part_count_limit() {
    let mut m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    for _ in 0..10 {
        m.extend_from_slice(b"--b\r\n\r\nx\r\n");
    }
    m.extend_from_slice(b"--b--\r\n");
    let limits = Limits::DEFAULT.with_max_parts(11);
    assert_eq!(Message::parse_with(&m, &limits).unwrap().part_count(), 11);
    let limits = Limits::DEFAULT.with_max_parts(10);
    assert_eq!(
        Message::parse_with(&m, &limits).unwrap_err(),
        ParseError::TooManyParts { limit: 10 }
    );
}

#[test]
fn header_limits_name_the_part() {
    let input = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\nx\r\n--b--\r\n";
    let limits = Limits::DEFAULT
        .with_header(mailwire_mime::header::HeaderLimits::DEFAULT.with_max_fields(2));
    match Message::parse_with(input, &limits).unwrap_err() {
        ParseError::Header {
            part,
            source: HeaderError::TooManyFields { limit: 2 },
        } => assert_eq!(part, "1"),
        other => panic!("{other:?}"),
    }
    let input = b"Content-Type: text/plain; a=1; b=2; c=3\r\n\r\nx";
    let limits = Limits::DEFAULT
        .with_params(mailwire_mime::header::ParameterLimits::DEFAULT.with_max_parameters(2));
    assert!(matches!(
        Message::parse_with(input, &limits),
        Err(ParseError::Parameters { .. })
    ));
}

#[test]
fn walk_from_a_part() {
    let input = rfc3501_example();
    let message = Message::parse(&input).unwrap();
    let four: &Part<'_> = message.part(&PartPath::parse("4").unwrap()).unwrap();
    let paths: Vec<String> = four.walk().map(|p| p.path().to_string()).collect();
    assert_eq!(
        paths,
        ["4", "4.1", "4.2", "4.2", "4.2.1", "4.2.2", "4.2.2.1", "4.2.2.2"]
    );
}
