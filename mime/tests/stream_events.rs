//! The streaming parser against the tree parser, and against itself fed in pieces.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod tree_support;

use mailwire_mime::error::{ParseError, StreamError};
use mailwire_mime::limits::Limits;
use mailwire_mime::stream::{Event, PartShape, StreamParser};
use mailwire_mime::tree::Message;
use tree_support::{cpython_messages, seed_messages, stream_events, tree_events, Cuts};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut messages = seed_messages();
    messages.extend(cpython_messages());
    for (name, bytes) in messages.clone() {
        // The same messages with bare LF line ends, and with CRLF everywhere.
        let text = bytes.clone();
        let lf: Vec<u8> = String::from_utf8_lossy(&text)
            .replace("\r\n", "\n")
            .into_bytes();
        let crlf: Vec<u8> = String::from_utf8_lossy(&lf)
            .replace('\n', "\r\n")
            .into_bytes();
        messages.push((format!("{name} (LF)"), lf));
        messages.push((format!("{name} (CRLF)"), crlf));
    }
    messages
}

fn describe(events: &[Event]) -> String {
    events
        .iter()
        .map(|event| match event {
            Event::PartStart(start) => {
                format!("start {} {}", start.path, start.content_type.essence())
            }
            Event::BodyChunk(bytes) => format!("body {} bytes", bytes.len()),
            other => format!("{other:?}").chars().take(80).collect(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn whole_stream_matches_the_tree_on_the_corpus() {
    let corpus = corpus();
    assert!(corpus.len() >= 9, "the corpus has the seeds at least");
    eprintln!("corpus: {} messages", corpus.len());
    for (name, input) in &corpus {
        let message = Message::parse(input).unwrap();
        let expected = tree_events(&message);
        let got = stream_events(input, &[]);
        assert!(
            got == expected,
            "{name}:\nstream:\n{}\ntree:\n{}",
            describe(&got),
            describe(&expected)
        );
    }
}

#[test]
fn split_anywhere_gives_the_same_events() {
    for (name, input) in corpus() {
        let whole = stream_events(&input, &[]);
        let mut cuts = Cuts::new(input.len() as u64);
        for round in 0..20 {
            let offsets = cuts.offsets(input.len(), 1 + round % 7);
            assert_eq!(
                stream_events(&input, &offsets),
                whole,
                "{name} cut at {offsets:?}"
            );
        }
        if input.len() < 3000 {
            for cut in 0..=input.len() {
                assert_eq!(stream_events(&input, &[cut]), whole, "{name} cut at {cut}");
            }
        }
        let byte_by_byte: Vec<usize> = (1..input.len()).collect();
        assert_eq!(
            stream_events(&input, &byte_by_byte),
            whole,
            "{name} byte by byte"
        );
    }
}

#[test]
fn events_of_a_small_multipart() {
    let input = b"Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\naGVs\r\nbG8=\r\n--b--\r\nepilogue\r\n";
    let events = stream_events(input, &[]);
    let names: Vec<String> = events
        .iter()
        .map(|event| match event {
            Event::PartStart(start) => format!("start {} {:?}", start.path, start.shape),
            Event::HeaderField { name, .. } => format!("field {name}"),
            Event::HeaderEnd => "header end".to_owned(),
            Event::BodyChunk(bytes) => format!("body {}", String::from_utf8_lossy(bytes)),
            Event::PartEnd { path } => format!("end {path}"),
            Event::End => "END".to_owned(),
            _ => "?".to_owned(),
        })
        .collect();
    assert_eq!(
        names,
        [
            "start  Multipart",
            "field Subject",
            "field Content-Type",
            "header end",
            "start 1 Leaf",
            "field Content-Transfer-Encoding",
            "header end",
            "body hello",
            "end 1",
            "end ",
            "END"
        ]
    );
    let Event::PartStart(root) = &events[0] else {
        panic!()
    };
    assert_eq!(root.content_type.boundary(), Some("b"));
    assert_eq!(root.shape, PartShape::Multipart);
}

#[test]
fn boundary_split_across_chunks() {
    let input = b"Content-Type: multipart/mixed; boundary=abc\r\n\r\n--abc\r\n\r\nfirst\r\n--abcX\r\nstill first\r\n--abc\r\n\r\nsecond\r\n--abc--";
    let whole = stream_events(input, &[]);
    let bodies: Vec<&[u8]> = whole
        .iter()
        .filter_map(|event| match event {
            Event::BodyChunk(bytes) => Some(bytes.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(bodies, [&b"first\r\n--abcX\r\nstill first"[..], b"second"]);
    for cut in 0..=input.len() {
        for second in cut..=input.len() {
            assert_eq!(
                stream_events(input, &[cut, second]),
                whole,
                "cuts {cut} {second}"
            );
        }
    }
}

#[test]
fn memory_stays_bounded_on_a_large_attachment() {
    let mut head = b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n";
    let mut parser = StreamParser::new();
    parser.feed(&head).unwrap();
    head.clear();
    let mut decoded = 0usize;
    let mut max_buffered = 0usize;
    // 8 MiB of base64 lines, fed in chunks of 4093 bytes (not aligned with lines).
    let body: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 4096)
        .collect();
    for _ in 0..26 {
        for chunk in body.chunks(4093) {
            parser.feed(chunk).unwrap();
            max_buffered = max_buffered.max(parser.buffered());
            while let Some(event) = parser.poll_event() {
                if let Event::BodyChunk(bytes) = event {
                    decoded += bytes.len();
                }
            }
        }
    }
    parser.feed(b"--zz--\r\n").unwrap();
    parser.finish().unwrap();
    while let Some(event) = parser.poll_event() {
        if let Event::BodyChunk(bytes) = event {
            decoded += bytes.len();
        }
    }
    assert_eq!(decoded, 26 * 4096 * 57);
    assert!(max_buffered < 100, "buffered at most {max_buffered} bytes");
}

#[test]
fn long_delimiter_candidate_is_released() {
    // A line that starts like the boundary and then runs on is body text; the
    // parser must not keep it.
    let mut parser = StreamParser::new();
    parser
        .feed(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n")
        .unwrap();
    parser.feed(b"--b").unwrap();
    for _ in 0..1000 {
        parser.feed(b"          ").unwrap();
    }
    assert!(parser.buffered() < 1100, "{}", parser.buffered());
    parser.feed(b"x\r\n--b--\r\n").unwrap();
    parser.finish().unwrap();
    let mut body = Vec::new();
    while let Some(event) = parser.poll_event() {
        if let Event::BodyChunk(bytes) = event {
            body.extend(bytes);
        }
    }
    assert_eq!(body.len(), 3 + 10_000 + 1);
}

#[test]
fn header_buffer_is_bounded_by_the_limits() {
    let limits = Limits::DEFAULT
        .with_header(mailwire_mime::header::HeaderLimits::DEFAULT.with_max_header_bytes(10_000));
    let mut parser = StreamParser::with_limits(limits);
    let mut failed = None;
    for i in 0..10_000 {
        match parser.feed(format!("X-Field-{i}: some value\r\n").as_bytes()) {
            Ok(()) => assert!(parser.buffered() <= 2 * 10_000 + 100),
            Err(error) => {
                failed = Some(error);
                break;
            }
        }
    }
    let error = failed.expect("the header section is refused");
    assert!(
        matches!(error, StreamError::Parse(ParseError::Header { .. })),
        "{error:?}"
    );
    // The parser stays failed, and holds no input any more.
    assert_eq!(parser.buffered(), 0);
    assert_eq!(parser.feed(b"more").unwrap_err(), error);
    // A header section within the limits is fine.
    assert!(Message::parse_with(b"Subject: x\r\n\r\nbody", &limits).is_ok());
}

#[test]
fn long_header_line_is_refused_while_it_arrives() {
    let limits = Limits::DEFAULT
        .with_header(mailwire_mime::header::HeaderLimits::DEFAULT.with_max_line_length(100));
    let mut parser = StreamParser::with_limits(limits);
    parser.feed(b"Subject: ").unwrap();
    let mut result = Ok(());
    for _ in 0..100 {
        result = parser.feed(b"aaaaaaaaaa");
        if result.is_err() {
            break;
        }
    }
    assert!(matches!(
        result,
        Err(StreamError::Parse(ParseError::Header { .. }))
    ));
    let mut input = b"Subject: ".to_vec();
    input.extend(std::iter::repeat_n(b'a', 1000));
    assert!(matches!(
        Message::parse_with(&input, &limits),
        Err(ParseError::Header { .. })
    ));
}

#[test]
fn limits_fail_the_same_way_as_the_tree() {
    let mut nested = Vec::new();
    for _ in 0..8 {
        nested.extend_from_slice(b"Content-Type: message/rfc822\r\n\r\n");
    }
    nested.extend_from_slice(b"body");
    let limits = Limits::DEFAULT.with_max_depth(5);
    let tree_error = Message::parse_with(&nested, &limits).unwrap_err();
    let mut parser = StreamParser::with_limits(limits);
    let stream_error = parser
        .feed(&nested)
        .and_then(|()| parser.finish())
        .unwrap_err();
    assert_eq!(stream_error, StreamError::Parse(tree_error));
    assert_eq!(parser.finish().unwrap_err(), stream_error);
}

#[test]
fn feeding_after_finish_is_refused() {
    let mut parser = StreamParser::new();
    parser.feed(b"Subject: x\r\n\r\nbody").unwrap();
    parser.finish().unwrap();
    assert!(parser.is_finished());
    assert_eq!(parser.feed(b"more"), Err(StreamError::Finished));
    let events: Vec<Event> = std::iter::from_fn(|| parser.poll_event()).collect();
    assert_eq!(events.last(), Some(&Event::End));
}

/// A message whose multipart bodies are large (the tree searches those with a
/// substring search instead of line by line): boundary prefixes, nesting, padding,
/// bare LF and a missing close delimiter, against the stream fed in pieces.
#[test]
fn large_bodies_agree_between_tree_and_stream() {
    let filler: String = (0..80)
        .map(|i| format!("--abcd filler line {i} --abc-not-a-delimiter\r\n"))
        .collect();
    let message = format!(
        "Content-Type: multipart/mixed; boundary=abc\r\n\r\n{filler}\
--abc \t\r\nContent-Type: multipart/alternative; boundary=abcdef\r\n\r\n{filler}\
--abcdef\r\n\r\ninner one\r\n{filler}\
--abcdef\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n\
--abcdef--\r\n{filler}\
--abc\r\nContent-Type: multipart/mixed; boundary=never-closed\r\n\r\n\
--never-closed\r\n\r\n{filler}\
--abc--\r\nepilogue {filler}"
    );
    let input = message.as_bytes();
    assert!(input.len() > 4 * 4096);
    let tree = Message::parse(input).unwrap();
    let paths: Vec<String> = tree.parts().map(|p| p.path().to_string()).collect();
    assert_eq!(paths, ["", "1", "1.1", "1.2", "2", "2.1"]);
    assert_eq!(
        tree.part(&"1.2".parse_path()).unwrap().decoded().as_ref(),
        b"hello"
    );
    let expected = tree_events(&tree);
    assert_eq!(stream_events(input, &[]), expected);
    let mut cuts = Cuts::new(7);
    for count in [1, 3, 50, 500] {
        let offsets = cuts.offsets(input.len(), count);
        assert_eq!(stream_events(input, &offsets), expected, "cuts {offsets:?}");
    }
}

trait ParsePath {
    fn parse_path(&self) -> mailwire_mime::tree::PartPath;
}

impl ParsePath for str {
    fn parse_path(&self) -> mailwire_mime::tree::PartPath {
        mailwire_mime::tree::PartPath::parse(self).unwrap()
    }
}
