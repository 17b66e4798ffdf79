//! The header section splitter: every limit's error, streaming (partial)
//! parsing, line endings, section ends, lookups and lossless ranges.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_mime::header::{HeaderError, HeaderLimits, HeaderSection, HeaderTerminator};

fn parse(input: &[u8]) -> HeaderSection<'_> {
    HeaderSection::parse(input, &HeaderLimits::default()).unwrap()
}

#[test]
fn documented_defaults() {
    let limits = HeaderLimits::default();
    assert_eq!(limits.max_fields, 1000);
    assert_eq!(limits.max_line_length, 32 * 1024);
    assert_eq!(limits.max_header_bytes, 1024 * 1024);
    assert_eq!(limits, HeaderLimits::DEFAULT);
}

#[test]
fn too_many_fields() {
    let limits = HeaderLimits::default().with_max_fields(3);
    let ok = b"A: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    assert_eq!(HeaderSection::parse(ok, &limits).unwrap().len(), 3);
    let over = b"A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
    assert_eq!(
        HeaderSection::parse(over, &limits),
        Err(HeaderError::TooManyFields { limit: 3 })
    );
    assert_eq!(
        HeaderSection::parse_partial(b"A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n", &limits),
        Err(HeaderError::TooManyFields { limit: 3 })
    );
    // The default limit, on many tiny fields.
    let many = b"X: y\r\n".repeat(1001);
    assert_eq!(
        HeaderSection::parse(&many, &HeaderLimits::default()),
        Err(HeaderError::TooManyFields { limit: 1000 })
    );
}

#[test]
fn line_too_long() {
    let limits = HeaderLimits::default().with_max_line_length(10);
    // Exactly 10 bytes of content is fine; the line ending does not count.
    assert!(HeaderSection::parse(b"Ab: 567890\r\n\r\n", &limits).is_ok());
    assert_eq!(
        HeaderSection::parse(b"Ok: 1\r\nAb: 5678901\r\n\r\n", &limits),
        Err(HeaderError::LineTooLong {
            limit: 10,
            offset: 7
        })
    );
    // Continuation lines are checked one by one, not the whole field.
    assert!(HeaderSection::parse(b"Ab: 567890\r\n 23456789\r\n\r\n", &limits).is_ok());
    assert_eq!(
        HeaderSection::parse(b"Ab: 1\r\n 234567890123\r\n\r\n", &limits),
        Err(HeaderError::LineTooLong {
            limit: 10,
            offset: 7
        })
    );
    // Streaming: an unterminated line fails as soon as it is too long,
    // so the caller's buffer stays bounded.
    assert_eq!(
        HeaderSection::parse_partial(b"Ab: 56789", &limits),
        Ok(None)
    );
    assert_eq!(
        HeaderSection::parse_partial(b"Ab: 567890123", &limits),
        Err(HeaderError::LineTooLong {
            limit: 10,
            offset: 0
        })
    );
    // A non-field line that is too long is still refused.
    let long_junk = [b'x'; 40];
    assert!(matches!(
        HeaderSection::parse(&long_junk, &limits),
        Err(HeaderError::LineTooLong { .. })
    ));
}

#[test]
fn section_too_large() {
    let limits = HeaderLimits::default().with_max_header_bytes(20);
    // 10 + 10 bytes including the empty line: exactly at the limit.
    assert!(HeaderSection::parse(b"A: 12345\r\n1: 3456\r\n", &limits).is_ok());
    assert_eq!(
        HeaderSection::parse(b"A: 12345\r\nB: 45678\r\n\r\n", &limits),
        Err(HeaderError::SectionTooLarge { limit: 20 })
    );
    assert_eq!(
        HeaderSection::parse(b"A: 12345\r\n 7890123456\r\nB: 1\r\n\r\n", &limits),
        Err(HeaderError::SectionTooLarge { limit: 20 })
    );
    // Streaming stops early as well.
    assert_eq!(
        HeaderSection::parse_partial(b"A: 12345\r\nB: 45678\r\nC", &limits),
        Err(HeaderError::SectionTooLarge { limit: 20 })
    );
    // The body does not count.
    let msg = b"A: 1\r\n\r\nbody that is much longer than twenty bytes";
    assert!(HeaderSection::parse(msg, &limits).is_ok());
}

#[test]
fn errors_print_lowercase_without_input() {
    let e = HeaderError::LineTooLong {
        limit: 5,
        offset: 9,
    };
    assert_eq!(
        e.to_string(),
        "header line at byte 9 is longer than 5 bytes"
    );
    assert_eq!(
        HeaderError::TooManyFields { limit: 2 }.to_string(),
        "header section has more than 2 fields"
    );
    assert_eq!(
        HeaderError::SectionTooLarge { limit: 2 }.to_string(),
        "header section is larger than 2 bytes"
    );
}

#[test]
fn partial_parse_matches_whole_parse_at_every_split() {
    let msg: &[u8] = b"Received: from a\r\n\tby b; 1 Jan 2000 00:00 +0000\r\nSubject: s\r\nTo: x@y\r\n\r\nbody\r\n";
    let whole = parse(msg);
    for cut in 0..msg.len() {
        let partial = HeaderSection::parse_partial(&msg[..cut], &HeaderLimits::default()).unwrap();
        match partial {
            None => assert!(cut < whole.body_offset()),
            Some(section) => {
                assert!(cut >= whole.body_offset(), "complete too early at {cut}");
                assert_eq!(section.fields(), whole.fields());
                assert_eq!(section.body_offset(), whole.body_offset());
            }
        }
    }
}

#[test]
fn bare_lf_is_tolerated() {
    let s = parse(b"A: 1\nB: 2\n 3\n\nbody\n");
    assert!(s.has_bare_lf());
    assert_eq!(s.len(), 2);
    assert_eq!(s.fields()[1].raw_value(), b" 2\n 3");
    assert_eq!(&*s.fields()[1].unfolded_value(), b"2 3");
    assert_eq!(s.body(), b"body\n");
    assert_eq!(s.fields()[1].range(), 5..13);
    // A bare CR inside a line is content.
    let s = parse(b"A: 1\r2\r\n\r\n");
    assert_eq!(s.fields()[0].raw_value(), b" 1\r2");
    assert!(!s.has_bare_lf());
}

#[test]
fn section_ends() {
    // Empty line.
    let s = parse(b"A: 1\r\n\r\n");
    assert_eq!(s.terminator(), HeaderTerminator::EmptyLine);
    assert_eq!((s.header_end(), s.body_offset()), (6, 8));
    assert!(s.body().is_empty());
    // No empty line, no body.
    let s = parse(b"A: 1\r\nB: 2\r\n");
    assert_eq!(s.terminator(), HeaderTerminator::EndOfInput);
    assert_eq!(s.body_offset(), 12);
    assert_eq!(s.fields()[1].range(), 6..12);
    // No final line ending.
    let s = parse(b"A: 1");
    assert_eq!(s.fields()[0].range(), 0..4);
    assert_eq!(s.fields()[0].raw_value(), b" 1");
    // A lone CR at the very end is a truncated empty line, not field
    // content (found by fuzzing).
    let s = parse(b"A: 1\r\n\r");
    assert_eq!(s.fields()[0].range(), 0..6);
    assert_eq!((s.header_end(), s.body_offset()), (6, 7));
    // Empty input.
    let s = parse(b"");
    assert!(s.is_empty());
    assert_eq!(s.terminator(), HeaderTerminator::EndOfInput);
    // Body only (starts with an empty line).
    let s = parse(b"\r\nbody");
    assert!(s.is_empty());
    assert_eq!(s.body(), b"body");
    // A line that is no field starts the body.
    let s = parse(b"A: 1\r\nthis is body\r\nB: 2\r\n");
    assert_eq!(s.terminator(), HeaderTerminator::NonFieldLine);
    assert_eq!(s.len(), 1);
    assert_eq!(s.body(), b"this is body\r\nB: 2\r\n");
    // So does a leading continuation line, and a name with a space.
    assert_eq!(
        parse(b" A: 1\r\n").terminator(),
        HeaderTerminator::NonFieldLine
    );
    assert_eq!(parse(b"Bad Name: 1\r\n").len(), 0);
    // Empty values are fine.
    let s = parse(b"Empty:\r\nX:\r\n\r\n");
    assert_eq!(s.fields()[0].raw_value(), b"");
    assert_eq!(s.len(), 2);
}

#[test]
fn eight_bit_values_are_kept_as_bytes() {
    let msg = "Subject: Grüße \u{1f600}\r\nX-Latin1: caf\u{e9}\r\n\r\n"
        .as_bytes()
        .to_vec();
    let mut msg = msg;
    // Replace the UTF-8 "é" of X-Latin1 by a raw Latin-1 byte.
    let pos = msg.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    msg.splice(pos..pos + 2, [0xe9]);
    let s = parse(&msg);
    assert_eq!(s.subject().unwrap(), "Grüße \u{1f600}");
    assert_eq!(s.get_raw("x-latin1").unwrap(), b" caf\xe9");
    assert_eq!(s.text("X-Latin1").unwrap(), "caf\u{fffd}");
}

#[test]
fn lookups_are_case_insensitive_and_ordered() {
    let msg = b"Received: a\r\nSUBJECT: one\r\nreceived: b\r\nsubject: two\r\n\r\n";
    let s = parse(msg);
    assert_eq!(s.get("Subject").unwrap().raw_value(), b" one");
    assert_eq!(s.get_last("Subject").unwrap().raw_value(), b" two");
    let all: Vec<&[u8]> = s.get_all("RECEIVED").map(|f| f.raw_value()).collect();
    assert_eq!(all, [&b" a"[..], &b" b"[..]]);
    assert!(s.get("missing").is_none());
    assert!(s.fields()[1].is("subject"));
}

#[test]
fn ranges_reassemble_the_input() {
    let msg: &[u8] =
        b"From someone@x Mon Jan  1 00:00:00 2001\r\nA: 1\r\n\t2\r\nB  : 3\r\n\r\nbody";
    let s = parse(msg);
    let mut rebuilt = Vec::new();
    rebuilt.extend_from_slice(&msg[s.mbox_from().unwrap()]);
    for f in &s {
        rebuilt.extend_from_slice(&msg[f.range()]);
    }
    assert_eq!(rebuilt.len(), s.header_end());
    rebuilt.extend_from_slice(&msg[s.header_end()..]);
    assert_eq!(rebuilt, msg);
    assert_eq!(s.fields()[1].name(), "B");
}

#[test]
fn unlimited_limits_accept_big_sections() {
    let big = format!("X: {}\r\n\r\n", "y".repeat(100_000));
    assert!(matches!(
        HeaderSection::parse(big.as_bytes(), &HeaderLimits::default()),
        Err(HeaderError::LineTooLong { .. })
    ));
    let s = HeaderSection::parse(big.as_bytes(), &HeaderLimits::UNLIMITED).unwrap();
    assert_eq!(s.fields()[0].raw_value().len(), 100_001);
}
