//! Full message parsing: mailwire-mime side by side with Stalwart's `mail-parser` and
//! `mailparse` on the same bytes, reported as bytes per second.
//!
//! "Full" means what a mail client or an IMAP server does with a message: split the
//! structure, decode every header field (addresses, dates, message ids, MIME fields,
//! RFC 2047 text for the rest) and decode every body (transfer encoding undone, text
//! converted to UTF-8). Each contender does that with its own API; the result sizes
//! go through `black_box` so nothing is skipped.
//!
//! Equal work, field by field: mail-parser's default parser reads every field it
//! knows with its structured parser (addresses, dates, message ids, Received,
//! MIME fields, text) and, with `default_header_text`, the rest as RFC 2047
//! text. Ours does the same for From/To/Cc/Bcc/Reply-To/Sender, Date,
//! Message-ID/References/In-Reply-To, Received and the MIME fields (parsed once,
//! by the tree), and decodes every other field as unstructured text. The few
//! fields mail-parser knows and ours takes as text (Resent-*, Return-Path,
//! List-*) are 34 of about 850 fields in the CPython set, none in the 1 MB
//! message; mailparse parses addresses and dates and
//! decodes the rest as text, which is less work than either.
//!
//! Two inputs: CPython's 48 email test messages (read from the Python installation at
//! start; if Python is missing, a generated set of similar messages), and one
//! generated 1 MB message with a large base64 attachment.
//!
//! Measured 2026-11-22 (`cargo bench -p mailwire-benches --bench mime_parse --
//! --measurement-time 5`, a shared 2-core machine at load average about 4, so absolute
//! times run high): CPython set 141 µs, mail-parser 254 µs, mailparse 351 µs (1.8x the
//! faster); 1 MB base64 message 317 µs, mailparse 1.04 ms, mail-parser 1.56 ms (3.3x,
//! the load hit mailparse's run hardest). The same code as best of 150 short batches in
//! a small driver: 1.7x (105 vs 188 µs) and 2.1x (230 vs 500 µs); by instructions
//! (callgrind): 1.46 M vs 2.55 M (1.75x) and 6.0 M vs 11.9 M (2.0x).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mailwire_mime::encoded_word::decode_unstructured;
use mailwire_mime::header::{AddressList, DateTime, MessageId, Received};
use mailwire_mime::tree::{Message, PartKind};

/// CPython's msg_*.txt, if python3 and its test data are there.
fn cpython_messages() -> Option<Vec<Vec<u8>>> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import test.test_email, os; print(os.path.dirname(test.test_email.__file__))",
        ])
        .output()
        .ok()?;
    let dir = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim()).join("data");
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            name.starts_with("msg_") && name.ends_with(".txt")
        })
        .collect();
    names.sort();
    let messages: Vec<Vec<u8>> = names
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .collect();
    (!messages.is_empty()).then_some(messages)
}

/// A generated stand-in for the CPython set: small mixed messages.
fn generated_messages() -> Vec<Vec<u8>> {
    (0..48)
        .map(|i| {
            let mut m = format!(
                "Return-Path: <sender{i}@example.org>\r\n\
                 Received: from mx{i}.example.org (mx{i}.example.org [192.0.2.{i}]) by mail.example.com with ESMTPS id {i}abc; Mon, 30 Apr 2001 12:17:50 +0200\r\n\
                 From: =?iso-8859-1?q?J=F6rg_{i}?= <joerg{i}@example.org>\r\n\
                 To: Team <team@example.com>, other{i}@example.net\r\n\
                 Cc: \"Quoted, Name\" <q@example.com>\r\n\
                 Subject: =?utf-8?b?w4lsw6h2ZSBudW3DqXJv?= {i}\r\n\
                 Date: Fri, 07 Oct 1994 16:15:05 -0700\r\n\
                 Message-ID: <{i}.msg@example.org>\r\n\
                 MIME-Version: 1.0\r\n"
            );
            if i % 3 == 0 {
                m += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
                for line in 0..(20 + i) {
                    m += &format!("Line {line} of a plain text message body, nothing encoded.\r\n");
                }
            } else {
                m += "Content-Type: multipart/mixed; boundary=\"==b==\"\r\n\r\npreamble\r\n";
                m += "--==b==\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
                for line in 0..(10 + i) {
                    m += &format!("Caf=E9 cr=E8me line {line}, soft =\r\nbreak here.\r\n");
                }
                m += "--==b==\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
                for _ in 0..(5 + i) {
                    m += "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\r\n";
                }
                m += "--==b==--\r\n";
            }
            m.into_bytes()
        })
        .collect()
}

/// One message of about 1 MB: a short text part and a large base64 attachment.
fn large_message() -> Vec<u8> {
    let mut m = String::from(
        "From: Sender <sender@example.org>\r\n\
         To: Receiver <receiver@example.com>\r\n\
         Subject: =?utf-8?q?Quarterly_report_=E2=80=93_attached?=\r\n\
         Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n\
         Message-ID: <large.1@example.org>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"----=_Part_0_123456.789\"\r\n\r\n\
         This is a multi-part message in MIME format.\r\n\
         ------=_Part_0_123456.789\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n\
         Please find the report attached. =E2=80=94 The team\r\n\
         ------=_Part_0_123456.789\r\n\
         Content-Type: application/pdf; name=\"report.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"report.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
    );
    // Deterministic pseudo-random payload, base64 in 76-column lines.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut line = String::with_capacity(78);
    while m.len() < 1_000_000 {
        line.clear();
        for _ in 0..76 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            line.push(char::from(alphabet[(state % 64) as usize]));
        }
        m += &line;
        m += "\r\n";
    }
    m += "------=_Part_0_123456.789--\r\n";
    m.into_bytes()
}

/// mailwire-mime: parse the tree, decode every header field and every body.
fn parse_mailwire(input: &[u8]) -> usize {
    let message = Message::parse(input).unwrap();
    let mut total = 0;
    for part in message.parts() {
        for field in part.header().fields() {
            let raw = field.raw_value();
            let name = field.name();
            total += if ["from", "to", "cc", "bcc", "reply-to", "sender"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
            {
                AddressList::parse(raw).len()
            } else if name.eq_ignore_ascii_case("date") {
                DateTime::parse(raw).map_or(0, |d| usize::from(d.day()))
            } else if name.eq_ignore_ascii_case("message-id") {
                MessageId::parse(raw).map_or(0, |id| id.as_str().len())
            } else if name.eq_ignore_ascii_case("references")
                || name.eq_ignore_ascii_case("in-reply-to")
            {
                MessageId::parse_list(raw).len()
            } else if name.eq_ignore_ascii_case("received") {
                Received::parse(raw).tokens().len()
            } else if name.len() > 8
                && name
                    .get(..8)
                    .is_some_and(|p| p.eq_ignore_ascii_case("content-"))
            {
                // Content-Type, -Disposition and -Transfer-Encoding were parsed by the tree.
                1
            } else {
                decode_unstructured(raw).len()
            };
        }
        if let PartKind::Leaf = part.kind() {
            total += if part.content_type().is_text() {
                part.text().len()
            } else {
                part.decoded().len()
            };
        }
    }
    total
}

/// mail-parser: its parser decodes the headers it knows and the bodies as it goes
/// (other headers as text, like ours, with `default_header_text`); read every header
/// value and every body.
fn parse_mail_parser(input: &[u8]) -> usize {
    use mail_parser::{MessageParser, PartType};
    let message = MessageParser::default()
        .default_header_text()
        .parse(input)
        .unwrap();
    let mut total = 0;
    for part in &message.parts {
        total += part.headers.len();
        for header in &part.headers {
            total += usize::from(!header.value.is_empty());
        }
        total += match &part.body {
            PartType::Text(text) | PartType::Html(text) => text.len(),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes.len(),
            PartType::Message(inner) => inner.raw_message.len(),
            PartType::Multipart(parts) => parts.len(),
        };
    }
    total
}

/// mailparse: parse the structure, decode every header value (addresses and dates
/// with its parsers) and every body.
fn parse_mailparse(input: &[u8]) -> usize {
    fn walk(mail: &mailparse::ParsedMail<'_>) -> usize {
        let mut total = 0;
        for header in &mail.headers {
            let key = header.get_key_ref();
            total += if ["from", "to", "cc", "bcc", "reply-to", "sender"]
                .iter()
                .any(|n| key.eq_ignore_ascii_case(n))
            {
                mailparse::addrparse_header(header).map_or(0, |list| list.len())
            } else if key.eq_ignore_ascii_case("date") {
                mailparse::dateparse(&header.get_value()).map_or(0, |d| usize::from(d > 0))
            } else {
                header.get_value().len()
            };
        }
        if mail.subparts.is_empty() {
            total += if mail.ctype.mimetype.starts_with("text/") {
                mail.get_body().map_or(0, |body| body.len())
            } else {
                mail.get_body_raw().map_or(0, |body| body.len())
            };
        }
        total + mail.subparts.iter().map(walk).sum::<usize>()
    }
    walk(&mailparse::parse_mail(input).unwrap())
}

fn bench_set(c: &mut Criterion, name: &str, messages: &[Vec<u8>]) {
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("mailwire-mime", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| parse_mailwire(black_box(m)))
                .sum::<usize>()
        })
    });
    group.bench_function("mail-parser", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| parse_mail_parser(black_box(m)))
                .sum::<usize>()
        })
    });
    group.bench_function("mailparse", |b| {
        b.iter(|| {
            messages
                .iter()
                .map(|m| parse_mailparse(black_box(m)))
                .sum::<usize>()
        })
    });
    group.finish();
}

fn mime_parse(c: &mut Criterion) {
    let set = cpython_messages().unwrap_or_else(|| {
        eprintln!("python3 or its email test data missing: using a generated set");
        generated_messages()
    });
    bench_set(c, "mime_full_parse/cpython_set", &set);
    bench_set(c, "mime_full_parse/1mb_base64", &[large_message()]);
}

criterion_group!(benches, mime_parse);
criterion_main!(benches);
