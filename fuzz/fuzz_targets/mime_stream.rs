#![no_main]
//! The streaming parser gives the same events fed whole or split anywhere (adjacent
//! body chunks merged), keeps its buffer bounded by the limits, and agrees with the
//! tree parser: same entities, paths, header fields and decoded payloads, or the same
//! error.

use libfuzzer_sys::fuzz_target;
use mailwire_mime::error::{ParseError, StreamError};
use mailwire_mime::header::HeaderLimits;
use mailwire_mime::limits::Limits;
use mailwire_mime::stream::{Event, PartShape, PartStart, StreamParser};
use mailwire_mime::tree::{Message, Part, PartKind};

fn limits() -> Limits {
    Limits::DEFAULT
        .with_max_depth(8)
        .with_max_parts(64)
        .with_max_transport_padding(16)
        .with_header(
            HeaderLimits::DEFAULT
                .with_max_fields(32)
                .with_max_line_length(256)
                .with_max_header_bytes(2048),
        )
}

/// What the streaming parser may hold back after a feed (see the stream module docs):
/// a header section being looked at twice over, a line, and a delimiter candidate.
fn buffer_bound(limits: &Limits) -> usize {
    let header = &limits.header;
    3 * header.max_header_bytes + header.max_line_length + limits.max_transport_padding + 16
}

fn stream(chunks: &[&[u8]], limits: &Limits) -> (Vec<Event>, Result<(), StreamError>) {
    let mut parser = StreamParser::with_limits(*limits);
    let mut events: Vec<Event> = Vec::new();
    let mut result = Ok(());
    for chunk in chunks {
        result = parser.feed(chunk);
        assert!(
            parser.buffered() <= buffer_bound(limits),
            "buffered {}",
            parser.buffered()
        );
        while let Some(event) = parser.poll_event() {
            push_merged(&mut events, event);
        }
        if result.is_err() {
            break;
        }
    }
    if result.is_ok() {
        result = parser.finish();
        while let Some(event) = parser.poll_event() {
            push_merged(&mut events, event);
        }
    }
    (events, result)
}

fn push_merged(events: &mut Vec<Event>, event: Event) {
    if let (Event::BodyChunk(next), Some(Event::BodyChunk(previous))) = (&event, events.last_mut())
    {
        previous.extend_from_slice(next);
        return;
    }
    events.push(event);
}

fn tree_events(part: &Part<'_>, events: &mut Vec<Event>) {
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
                tree_events(child, events);
            }
        }
        PartKind::Message(inner) => tree_events(inner, events),
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

fuzz_target!(|input: &[u8]| {
    // The first two bytes pick the cuts of the rest.
    let Some((&[a, b], data)) = input.split_first_chunk::<2>() else {
        return;
    };
    let limits = limits();
    let step = usize::from(a % 31) + 1;
    let first_cut = (usize::from(b) * data.len() / 256).min(data.len());
    let (head, tail) = data.split_at(first_cut);
    let mut split: Vec<&[u8]> = vec![head];
    split.extend(tail.chunks(step));

    let (whole_events, whole_result) = stream(&[data], &limits);
    let (split_events, split_result) = stream(&split, &limits);
    assert_eq!(whole_result, split_result);
    if whole_result.is_ok() {
        assert_eq!(whole_events, split_events);
    }

    match Message::parse_with(data, &limits) {
        Ok(message) => {
            assert_eq!(whole_result, Ok(()));
            let mut expected = Vec::new();
            tree_events(message.root(), &mut expected);
            expected.push(Event::End);
            assert_eq!(whole_events, expected);
        }
        Err(error) => {
            let error: ParseError = error;
            assert_eq!(whole_result, Err(StreamError::Parse(error)));
        }
    }
});
