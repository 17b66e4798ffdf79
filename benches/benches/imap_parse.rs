//! IMAP parsing: mailwire-imap side by side with imap-codec (the most complete Rust IMAP
//! codec) on the same bytes, reported as bytes per second.
//!
//! Responses: a FETCH of ENVELOPE and a multipart BODYSTRUCTURE with extension data (the
//! hardest everyday response), a LIST of 100 mailboxes, and a SEARCH of 2000 numbers.
//! Commands: a typical client session (LOGIN, SELECT, FETCH, UID FETCH with sections,
//! SEARCH, STORE, COPY, LIST, STATUS, APPEND with a literal, ...). Each contender decodes
//! the whole buffer message by message; both are checked once to take every message, so
//! they do the same work.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use imap_codec::decode::Decoder;
use imap_codec::{CommandCodec, ResponseCodec};
use mailwire_core::Status;
use mailwire_imap::codec::{decode_command, decode_response, DecodeOptions};

fn fetch_responses() -> Vec<u8> {
    let mut out = Vec::new();
    for number in 1..=20 {
        out.extend_from_slice(format!(
            "* {number} FETCH (UID {uid} FLAGS (\\Seen $Forwarded) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
RFC822.SIZE 44827 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) \
((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
\"<B27397-0100000@cac.washington.edu>\") BODYSTRUCTURE (((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"UTF-8\") NIL NIL \
\"QUOTED-PRINTABLE\" 1152 23 NIL NIL NIL NIL)(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"QUOTED-PRINTABLE\" \
4554 73 NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"b2\") NIL NIL NIL)(\"APPLICATION\" \"PDF\" (\"NAME\" \
\"minutes.pdf\") \"<part2@cac.washington.edu>\" \"Minutes\" \"BASE64\" 38012 NIL (\"attachment\" (\"FILENAME\" \
\"minutes.pdf\")) NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 342 (\"Tue, 16 Jul 1996 10:00:00 -0700\" \
\"Agenda\" ((NIL NIL \"chair\" \"example.org\")) NIL NIL ((NIL NIL \"imap\" \"cac.washington.edu\")) NIL NIL NIL \
\"<agenda@example.org>\") (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 120 4 NIL NIL NIL NIL) \
10 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") NIL (\"en\") NIL))\r\n",
            uid = 4827300 + number
        ).as_bytes());
    }
    out
}

fn list_responses() -> Vec<u8> {
    let mut out = Vec::new();
    for index in 0..100 {
        let attributes = match index % 4 {
            0 => "\\HasNoChildren",
            1 => "\\HasChildren \\Noselect",
            2 => "\\HasNoChildren \\Sent",
            _ => "\\Marked \\HasNoChildren",
        };
        out.extend_from_slice(
            format!(
                "* LIST ({attributes}) \"/\" \"Archive/{}/Folder {index}\"\r\n",
                2000 + index
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"A682 OK LIST completed\r\n");
    out
}

fn search_response() -> Vec<u8> {
    let mut out = b"* SEARCH".to_vec();
    for number in (1..=2000).map(|n| n * 7) {
        out.extend_from_slice(format!(" {number}").as_bytes());
    }
    out.extend_from_slice(b"\r\nA283 OK SEARCH completed\r\n");
    out
}

fn commands() -> Vec<u8> {
    let message = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\n\
Subject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu.example\r\nMessage-Id: <B27397-0100000@Blurdybloop.example>\r\n\
MIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n";
    let session = [
        "a001 CAPABILITY".to_owned(),
        "a002 LOGIN fred \"secret password\"".to_owned(),
        "a003 LIST \"\" \"*\"".to_owned(),
        "a004 STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)".to_owned(),
        "a005 SELECT INBOX".to_owned(),
        "a006 FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)".to_owned(),
        "a007 UID FETCH 4827313:4828442 (UID FLAGS BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT TO CC MESSAGE-ID)])".to_owned(),
        "a008 UID FETCH 4827313 (BODYSTRUCTURE BODY.PEEK[1.2]<0.2048>)".to_owned(),
        "a009 SEARCH CHARSET UTF-8 OR (FROM \"Smith\" SINCE 1-Feb-1994) (NOT SEEN LARGER 10000) UNDELETED".to_owned(),
        "a010 UID STORE 2,4:7,9,12:* +FLAGS.SILENT (\\Deleted \\Seen)".to_owned(),
        "a011 UID COPY 2:4 \"Archive/2024\"".to_owned(),
        "a012 NOOP".to_owned(),
        format!("a013 APPEND saved-messages (\\Seen) \"07-Feb-1994 21:52:25 -0800\" {{{}}}\r\n{message}", message.len()),
        "a014 EXPUNGE".to_owned(),
        "a015 CLOSE".to_owned(),
        "a016 LOGOUT".to_owned(),
    ];
    let mut out = Vec::new();
    for _ in 0..10 {
        for command in &session {
            out.extend_from_slice(command.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

fn mailwire_responses(mut input: &[u8], options: &DecodeOptions) -> usize {
    let mut count = 0;
    while !input.is_empty() {
        match decode_response(input, options) {
            Ok(Status::Complete { value, consumed }) => {
                black_box(&value);
                input = &input[consumed..];
                count += 1;
            }
            other => panic!("mailwire-imap: {other:?}"),
        }
    }
    count
}

fn imap_codec_responses(mut input: &[u8]) -> usize {
    let codec = ResponseCodec::default();
    let mut count = 0;
    while !input.is_empty() {
        match codec.decode(input) {
            Ok((rest, value)) => {
                black_box(&value);
                input = rest;
                count += 1;
            }
            Err(error) => panic!("imap-codec: {error:?}"),
        }
    }
    count
}

fn mailwire_commands(mut input: &[u8], options: &DecodeOptions) -> usize {
    let mut count = 0;
    while !input.is_empty() {
        match decode_command(input, options) {
            Ok(Status::Complete { value, consumed }) => {
                black_box(&value);
                input = &input[consumed..];
                count += 1;
            }
            other => panic!("mailwire-imap: {other:?}"),
        }
    }
    count
}

fn imap_codec_commands(mut input: &[u8]) -> usize {
    let codec = CommandCodec::default();
    let mut count = 0;
    while !input.is_empty() {
        match codec.decode(input) {
            Ok((rest, value)) => {
                black_box(&value);
                input = rest;
                count += 1;
            }
            Err(error) => panic!("imap-codec: {error:?}"),
        }
    }
    count
}

fn responses(c: &mut Criterion) {
    let options = DecodeOptions::default();
    for (name, input) in [
        ("fetch_envelope_bodystructure", fetch_responses()),
        ("list", list_responses()),
        ("search", search_response()),
    ] {
        assert_eq!(
            mailwire_responses(&input, &options),
            imap_codec_responses(&input),
            "{name}: both take every response"
        );
        let mut group = c.benchmark_group(format!("imap_response/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("mailwire-imap", |b| {
            b.iter(|| mailwire_responses(black_box(&input), &options))
        });
        group.bench_function("imap-codec", |b| {
            b.iter(|| imap_codec_responses(black_box(&input)))
        });
        group.finish();
    }
}

fn command_session(c: &mut Criterion) {
    let options = DecodeOptions::default();
    let input = commands();
    assert_eq!(
        mailwire_commands(&input, &options),
        imap_codec_commands(&input),
        "both take every command"
    );
    let mut group = c.benchmark_group("imap_command/session");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("mailwire-imap", |b| {
        b.iter(|| mailwire_commands(black_box(&input), &options))
    });
    group.bench_function("imap-codec", |b| {
        b.iter(|| imap_codec_commands(black_box(&input)))
    });
    group.finish();
}

criterion_group!(benches, responses, command_session);
criterion_main!(benches);
