//! POP3 parsing throughput: mailwire-pop3 side by side with duesee's `pop3-codec` 0.3
//! (nom 7) on the same bytes, reported as bytes per second.
//!
//! Corpus: a 2 000-message LIST listing, a 2 000-message UIDL listing, 2 000 single
//! `+OK` lines, a 256 KiB RETR answer whose body has many dot-stuffed lines, and a batch
//! of client commands. `pop3-codec` keeps RETR lines as `String`s without removing the
//! stuffing, so its RETR number is an upper bound for the same work; mailwire's client
//! machine row (streaming, unstuffed `Bytes` chunks) has no counterpart there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mailwire_core::{Session, Status};
use mailwire_pop3::client::{Client, ClientConfig, ClientEvent};
use mailwire_pop3::codec::{decode_command, decode_response, decode_status_line};
use mailwire_pop3::types::{Command, MessageNumber, Response, ResponseKind};

const MESSAGES: usize = 2_000;

fn list_answer() -> Vec<u8> {
    let mut wire = format!("+OK {MESSAGES} messages (123456789 octets)\r\n").into_bytes();
    for n in 1..=MESSAGES {
        wire.extend_from_slice(format!("{n} {}\r\n", 1_000 + n * 37 % 90_000).as_bytes());
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

fn uidl_answer() -> Vec<u8> {
    let mut wire = b"+OK\r\n".to_vec();
    for n in 1..=MESSAGES {
        wire.extend_from_slice(
            format!("{n} {:08X}{:08X}\r\n", n * 7919, 1_700_000_000 + n).as_bytes(),
        );
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

fn ok_lines() -> Vec<u8> {
    let mut wire = Vec::new();
    for n in 1..=MESSAGES {
        wire.extend_from_slice(format!("+OK message {n} deleted\r\n").as_bytes());
    }
    wire
}

fn retr_answer() -> Vec<u8> {
    let mut wire = b"+OK 262144 octets\r\nFrom: a@example.test\r\nSubject: bench\r\n\r\n".to_vec();
    let mut n = 0;
    while wire.len() < 256 * 1024 {
        n += 1;
        if n % 5 == 0 {
            wire.extend_from_slice(b"..a line that started with a dot in the message\r\n");
        } else {
            wire.extend_from_slice(
                format!("body line {n} with some ordinary text in it, 60-70 octets\r\n").as_bytes(),
            );
        }
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

fn commands() -> Vec<u8> {
    let mut wire = Vec::new();
    for n in 1..=MESSAGES {
        let line = match n % 8 {
            0 => "USER alice\r\n".to_string(),
            1 => "PASS secret words\r\n".to_string(),
            2 => format!("RETR {n}\r\n"),
            3 => format!("DELE {n}\r\n"),
            4 => format!("TOP {n} 10\r\n"),
            5 => format!("LIST {n}\r\n"),
            6 => "UIDL\r\n".to_string(),
            _ => "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n".to_string(),
        };
        wire.extend_from_slice(line.as_bytes());
    }
    wire
}

fn ours_whole(kind: ResponseKind, wire: &[u8]) -> usize {
    match decode_response(kind, wire).unwrap() {
        Status::Complete { value, consumed } => {
            black_box(&value);
            assert_eq!(consumed, wire.len());
            match value {
                Response::ScanListings { listings, .. } => listings.len(),
                Response::UniqueIdListings { listings, .. } => listings.len(),
                Response::Message { body, .. } => body.len(),
                _ => 1,
            }
        }
        Status::Partial => panic!("partial"),
    }
}

fn bench_listings(c: &mut Criterion) {
    let list = list_answer();
    let uidl = uidl_answer();
    let mut group = c.benchmark_group("pop3_list");
    group.throughput(Throughput::Bytes(list.len() as u64));
    group.bench_function("mailwire-pop3", |b| {
        b.iter(|| {
            assert_eq!(
                ours_whole(ResponseKind::ScanListings, black_box(&list)),
                MESSAGES
            )
        })
    });
    group.bench_function("pop3-codec", |b| {
        b.iter(|| {
            let (rest, answer) = pop3_codec::parse::response_list_all(black_box(&list)).unwrap();
            assert!(rest.is_empty());
            black_box(answer);
        })
    });
    group.finish();
    let mut group = c.benchmark_group("pop3_uidl");
    group.throughput(Throughput::Bytes(uidl.len() as u64));
    group.bench_function("mailwire-pop3", |b| {
        b.iter(|| {
            assert_eq!(
                ours_whole(ResponseKind::UniqueIdListings, black_box(&uidl)),
                MESSAGES
            )
        })
    });
    group.bench_function("pop3-codec", |b| {
        b.iter(|| {
            let (rest, answer) = pop3_codec::parse::response_uidl_all(black_box(&uidl)).unwrap();
            assert!(rest.is_empty());
            black_box(answer);
        })
    });
    group.finish();
}

fn bench_ok_lines(c: &mut Criterion) {
    let wire = ok_lines();
    let mut group = c.benchmark_group("pop3_ok_lines");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("mailwire-pop3", |b| {
        b.iter(|| {
            let mut count = 0;
            for line in black_box(&wire)
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
            {
                let line = line.strip_suffix(b"\r").unwrap();
                black_box(decode_status_line(line).unwrap());
                count += 1;
            }
            assert_eq!(count, MESSAGES);
        })
    });
    group.bench_function("pop3-codec", |b| {
        b.iter(|| {
            let mut rest: &[u8] = black_box(&wire);
            let mut count = 0;
            while !rest.is_empty() {
                let (next, answer) = pop3_codec::parse::response_dele(rest).unwrap();
                black_box(answer);
                rest = next;
                count += 1;
            }
            assert_eq!(count, MESSAGES);
        })
    });
    group.finish();
}

fn bench_retr(c: &mut Criterion) {
    let wire = retr_answer();
    let mut group = c.benchmark_group("pop3_retr");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("mailwire-pop3 decode", |b| {
        b.iter(|| assert!(ours_whole(ResponseKind::Message, black_box(&wire)) > 200_000))
    });
    group.bench_function("mailwire-pop3 client machine (16 KiB reads)", |b| {
        b.iter(|| {
            let now = Instant::now();
            let mut client = Client::new(ClientConfig::default(), now);
            client.handle_input(now, b"+OK ready\r\n");
            client
                .send(Command::Retr(MessageNumber::new(1).unwrap()))
                .unwrap();
            let mut octets = 0;
            for read in black_box(&wire).chunks(16 * 1024) {
                client.handle_input(now, read);
                while let Some(event) = client.poll_event() {
                    if let ClientEvent::MessageData { chunk, .. } = event {
                        octets += chunk.len();
                    }
                }
            }
            assert!(octets > 200_000);
        })
    });
    group.bench_function("pop3-codec (lines, stuffing kept)", |b| {
        b.iter(|| {
            let (rest, answer) = pop3_codec::parse::response_retr(black_box(&wire)).unwrap();
            assert!(rest.is_empty());
            black_box(answer);
        })
    });
    group.finish();
}

fn bench_commands(c: &mut Criterion) {
    let wire = commands();
    let mut group = c.benchmark_group("pop3_commands");
    group.throughput(Throughput::Bytes(wire.len() as u64));
    group.bench_function("mailwire-pop3", |b| {
        b.iter(|| {
            let mut rest: &[u8] = black_box(&wire);
            let mut count = 0;
            while let Ok(Status::Complete { value, consumed }) = decode_command(rest) {
                black_box(value);
                rest = &rest[consumed..];
                count += 1;
            }
            assert_eq!(count, MESSAGES);
        })
    });
    group.bench_function("pop3-codec", |b| {
        b.iter(|| {
            let mut rest: &[u8] = black_box(&wire);
            let mut count = 0;
            while let Ok((next, command)) = pop3_codec::parse::command(rest) {
                black_box(command);
                rest = next;
                count += 1;
            }
            assert_eq!(count, MESSAGES);
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_listings,
    bench_ok_lines,
    bench_retr,
    bench_commands
);
criterion_main!(benches);
