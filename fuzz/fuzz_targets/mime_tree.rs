#![no_main]
//! The tree parser never panics, keeps every range inside the input and in order,
//! accounts for every byte between the ranges of a multipart (delimiter lines only),
//! and never nests deeper or holds more parts than the limits allow.

use libfuzzer_sys::fuzz_target;
use mailwire_mime::header::HeaderLimits;
use mailwire_mime::limits::Limits;
use mailwire_mime::tree::{Message, PartKind};

const MAX_DEPTH: usize = 12;
const MAX_PARTS: usize = 200;

/// Whether `gap` (the bytes between two ranges of a multipart) is a delimiter line of
/// `boundary`, with the line break before it.
fn is_delimiter_gap(gap: &[u8], boundary: &[u8]) -> bool {
    let line = gap
        .strip_prefix(b"\r\n")
        .or_else(|| gap.strip_prefix(b"\n"))
        .unwrap_or(gap);
    line.strip_prefix(b"--")
        .and_then(|rest| rest.strip_prefix(boundary))
        .is_some()
}

fn check(input: &[u8], message: &Message<'_>, limits: &Limits) {
    assert!(message.part_count() <= limits.max_parts);
    assert_eq!(message.parts().count(), message.part_count());
    for part in message.parts() {
        assert!(part.depth() <= limits.max_depth);
        let range = part.range();
        assert!(range.start <= range.end && range.end <= input.len());
        assert_eq!(part.header_range().start, range.start);
        assert_eq!(part.header_range().end, part.body_range().start);
        assert_eq!(part.body_range().end, range.end);
        assert_eq!(part.body(), &input[part.body_range()]);
        for field in part.header().fields() {
            let field_range = part.field_range(field);
            assert!(field_range.start >= range.start && field_range.end <= part.body_range().start);
        }
        assert!(part.body_lines() <= part.size());
        let decoded = part.decoded();
        assert!(decoded.len() <= part.size());
        let _ = part.text();
        let _ = part.filename();
        match part.kind() {
            PartKind::Multipart(multipart) => {
                let body = part.body_range();
                let boundary = multipart.boundary().as_bytes();
                assert_eq!(multipart.preamble().start, body.start);
                let mut cursor = multipart.preamble().end;
                assert!(cursor <= body.end);
                for child in multipart.parts() {
                    assert_eq!(child.depth(), part.depth() + 1);
                    assert!(child.range().start >= cursor);
                    assert!(is_delimiter_gap(
                        &input[cursor..child.range().start],
                        boundary
                    ));
                    cursor = child.range().end;
                }
                match multipart.epilogue() {
                    Some(epilogue) => {
                        assert_eq!(epilogue.end, body.end);
                        assert!(epilogue.start >= cursor);
                        assert!(is_delimiter_gap(&input[cursor..epilogue.start], boundary));
                    }
                    None => assert_eq!(cursor, body.end),
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

fuzz_target!(|input: &[u8]| {
    let tight = Limits::DEFAULT
        .with_max_depth(MAX_DEPTH)
        .with_max_parts(MAX_PARTS)
        .with_max_transport_padding(8)
        .with_header(
            HeaderLimits::DEFAULT
                .with_max_fields(64)
                .with_max_line_length(512)
                .with_max_header_bytes(4096),
        );
    for limits in [tight, Limits::DEFAULT] {
        if let Ok(message) = Message::parse_with(input, &limits) {
            check(input, &message, &limits);
        }
    }
});
