//! Helpers shared by the tree and stream tests: the corpus, and the events the
//! streaming parser must give for a parsed tree.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use mailwire_mime::stream::{Event, PartShape, PartStart, StreamParser};
use mailwire_mime::tree::{Message, Part, PartKind};

/// The folder of CPython's email test messages, if python3 is there.
pub fn cpython_email_data() -> Option<PathBuf> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import test.test_email, os; print(os.path.dirname(test.test_email.__file__))",
        ])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim()).join("data");
    dir.is_dir().then_some(dir)
}

/// Fails when peers are required, else says loudly that a part of a test is skipped.
pub fn skip(what: &str) {
    if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("peer missing: {what}");
    }
    eprintln!("SKIPPED: peer {what} missing");
}

/// `(name, bytes)` of CPython's msg_*.txt, sorted by name (empty without python3).
pub fn cpython_messages() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = cpython_email_data() else {
        skip("python3 (CPython email test data)");
        return Vec::new();
    };
    let mut messages: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?.to_owned();
            (name.starts_with("msg_") && name.ends_with(".txt"))
                .then(|| (name, std::fs::read(&path).unwrap()))
        })
        .collect();
    messages.sort();
    messages
}

/// The seed messages of the tree fuzz target (the stream target's seeds start with
/// two bytes that choose the cuts).
pub fn seed_messages() -> Vec<(String, Vec<u8>)> {
    let mut messages = Vec::new();
    for target in ["mime_tree"] {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/seeds")
            .join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let name = format!("{target}/{}", path.file_name().unwrap().to_string_lossy());
            messages.push((name, std::fs::read(&path).unwrap()));
        }
    }
    messages.sort();
    messages
}

/// Feeds `input` cut at `cuts` (sorted offsets), then finishes; returns the events.
pub fn stream_events(input: &[u8], cuts: &[usize]) -> Vec<Event> {
    let mut parser = StreamParser::new();
    let mut events = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(start, input.len());
        parser.feed(&input[start..cut]).unwrap();
        start = cut;
        while let Some(event) = parser.poll_event() {
            events.push(event);
        }
    }
    parser.finish().unwrap();
    while let Some(event) = parser.poll_event() {
        events.push(event);
    }
    merge_body_chunks(events)
}

/// Joins adjacent body chunks (their number depends on how the input was cut).
pub fn merge_body_chunks(events: Vec<Event>) -> Vec<Event> {
    let mut merged: Vec<Event> = Vec::with_capacity(events.len());
    for event in events {
        if let (Event::BodyChunk(next), Some(Event::BodyChunk(previous))) =
            (&event, merged.last_mut())
        {
            previous.extend_from_slice(next);
            continue;
        }
        merged.push(event);
    }
    merged
}

/// The events the streaming parser must give for `message`, body chunks merged.
pub fn tree_events(message: &Message<'_>) -> Vec<Event> {
    let mut events = Vec::new();
    part_events(message.root(), &mut events);
    events.push(Event::End);
    events
}

fn part_events(part: &Part<'_>, events: &mut Vec<Event>) {
    let shape = match part.kind() {
        PartKind::Multipart(_) => PartShape::Multipart,
        PartKind::Message(_) => PartShape::Message,
        _ => PartShape::Leaf,
    };
    events.push(Event::PartStart(Box::new(PartStart {
        path: part.path().clone(),
        depth: part.depth(),
        content_type: part.content_type().clone().into_owned(),
        has_content_type_field: part.has_content_type_field(),
        disposition: part.disposition().cloned().map(|d| d.into_owned()),
        transfer_encoding: part.transfer_encoding().clone().into_owned(),
        shape,
    })));
    for field in part.header().fields() {
        events.push(Event::HeaderField {
            name: field.name().to_owned(),
            value: field.raw_value().to_vec(),
        });
    }
    events.push(Event::HeaderEnd);
    match part.kind() {
        PartKind::Multipart(multipart) => {
            for child in multipart.parts() {
                part_events(child, events);
            }
        }
        PartKind::Message(inner) => part_events(inner, events),
        _ => {
            let decoded = part.decoded();
            if !decoded.is_empty() {
                events.push(Event::BodyChunk(decoded.into_owned()));
            }
        }
    }
    events.push(Event::PartEnd {
        path: part.path().clone(),
    });
}

/// A small deterministic generator (xorshift) for cut positions.
pub struct Cuts(u64);

impl Cuts {
    pub fn new(seed: u64) -> Self {
        Cuts(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `count` sorted cut offsets within `0..=length`.
    pub fn offsets(&mut self, length: usize, count: usize) -> Vec<usize> {
        let mut cuts: Vec<usize> = (0..count)
            .map(|_| (self.next() % (length as u64 + 1)) as usize)
            .collect();
        cuts.sort_unstable();
        cuts
    }
}
