//! The client machine replays the session recorded with a real Dovecot 2.3
//! (tests/data/dovecot, see capture_dovecot.py): the recorded commands are queued through
//! `Client::send` with the recorded tags, the recorded greeting and responses are fed
//! back, whole and cut at many points. Every response must be understood (no protocol
//! error), every command must be completed with the recorded status, the client must
//! send the same commands, and the content FETCH streams must add up to the literals
//! Dovecot sent.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::time::Instant;

use mailwire_core::{Session, Status};
use mailwire_imap::client::{Client, ClientConfig, ClientEvent, CommandId};
use mailwire_imap::codec::{decode_command, decode_response, DecodeOptions, NonSyncLiterals};
use mailwire_imap::types::{Command, CommandBody, Response, State, Tag};

const GREETING: &[u8] = include_bytes!("data/dovecot/greeting.bin");
const COMMANDS: &[u8] = include_bytes!("data/dovecot/commands.bin");
const RESPONSES: &[u8] = include_bytes!("data/dovecot/responses.bin");

fn options() -> DecodeOptions {
    DecodeOptions::default().with_non_sync_literals(NonSyncLiterals::Plus)
}

/// The recorded commands (DONE and the deliberately bogus c48 left out).
fn recorded_commands(mut input: &[u8]) -> Vec<Command<'static>> {
    let mut commands = Vec::new();
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix(b"DONE\r\n") {
            input = rest;
            continue;
        }
        match decode_command(input, &options()) {
            Ok(Status::Complete { value, consumed }) => {
                commands.push(value.into_owned());
                input = &input[consumed..];
            }
            other => {
                // Only the BOGUS command does not decode; skip its line.
                let end = input.iter().position(|&b| b == b'\n').unwrap();
                assert!(input.starts_with(b"c48 BOGUS"), "{other:?}");
                input = &input[end + 1..];
            }
        }
    }
    commands
}

/// The recorded responses, with the completion of the bogus command left out, and two
/// continuations added for c21 (a MULTIAPPEND of two messages): the recording sent it
/// with LITERAL+, this client is set to always wait for `+` (the other APPENDs of the
/// recording waited, so their continuations are in it).
fn server_input() -> Vec<u8> {
    let mut input = GREETING.to_vec();
    let mut rest = RESPONSES;
    while !rest.is_empty() {
        let Ok(Status::Complete { consumed, value }) = decode_response(rest, &options()) else {
            panic!("recorded response does not decode");
        };
        let bytes = &rest[..consumed];
        let skip = matches!(&value, Response::Tagged(tagged) if tagged.tag.as_str() == "c48");
        if !skip {
            input.extend_from_slice(bytes);
        }
        if matches!(&value, Response::Tagged(tagged) if tagged.tag.as_str() == "c20") {
            input.extend_from_slice(b"+ OK\r\n+ OK\r\n");
        }
        rest = &rest[consumed..];
    }
    input
}

fn recorded_completions() -> BTreeMap<String, State> {
    let mut completions = BTreeMap::new();
    let mut rest = RESPONSES;
    while !rest.is_empty() {
        let Ok(Status::Complete { consumed, value }) = decode_response(rest, &options()) else {
            panic!("recorded response does not decode");
        };
        if let Response::Tagged(tagged) = value {
            completions.insert(tagged.tag.as_str().to_owned(), tagged.state);
        }
        rest = &rest[consumed..];
    }
    completions.remove("c48");
    completions
}

struct Replay {
    events: Vec<ClientEvent>,
    output: Vec<u8>,
    ids: Vec<(CommandId, String)>,
}

fn replay(cuts: &[usize]) -> Replay {
    let commands = recorded_commands(COMMANDS);
    let mut tags: Vec<Tag<'static>> = commands.iter().map(|c| c.tag.clone()).collect();
    tags.reverse();
    let config = ClientConfig {
        non_sync_literals: NonSyncLiterals::Forbidden,
        ..ClientConfig::default()
    };
    let now = Instant::now();
    let mut client = Client::with_tag_generator(config, now, move || tags.pop().unwrap());
    let mut ids = Vec::new();
    for command in &commands {
        let is_idle = command.body == CommandBody::Idle;
        let id = client.send(command.body.clone()).unwrap();
        ids.push((id, command.tag.as_str().to_owned()));
        if is_idle {
            // DONE leaves as soon as the server accepts the IDLE.
            client.idle_done().unwrap();
        }
    }
    let input = server_input();
    let mut events = Vec::new();
    let mut output = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        client.handle_input(now, &input[start..cut]);
        while client.poll_transmit(&mut output) > 0 {}
        events.extend(std::iter::from_fn(|| client.poll_event()));
        start = cut;
    }
    Replay {
        events,
        output,
        ids,
    }
}

#[test]
fn the_recorded_dovecot_session_replays_on_the_client() {
    let replay = replay(&[]);
    for event in &replay.events {
        assert!(
            !matches!(event, ClientEvent::ProtocolError { .. }),
            "{event:?}"
        );
    }
    // Every command completed as recorded.
    let recorded = recorded_completions();
    let mut completed = BTreeMap::new();
    for event in &replay.events {
        if let ClientEvent::Completed { id, tag, state, .. } = event {
            let (_, expected_tag) = replay.ids.iter().find(|(got, _)| got == id).unwrap();
            assert_eq!(tag.as_str(), expected_tag);
            completed.insert(tag.as_str().to_owned(), *state);
        }
    }
    assert_eq!(completed, recorded);
    assert_eq!(completed.len(), 48);
    assert!(matches!(
        replay.events.last(),
        Some(ClientEvent::Closed { .. })
    ));

    // The client sent the recorded commands (synchronizing literals throughout).
    let sent = recorded_commands(&replay.output);
    let expected = recorded_commands(COMMANDS);
    assert_eq!(sent, expected);

    // Content streamed: as many octets as the literals Dovecot announced for them.
    let announced: u64 = replay
        .events
        .iter()
        .filter_map(|event| match event {
            ClientEvent::BodyStart { length, .. } => Some(*length),
            _ => None,
        })
        .sum();
    let received: usize = replay
        .events
        .iter()
        .filter_map(|event| match event {
            ClientEvent::BodyChunk { chunk, .. } => Some(chunk.len()),
            _ => None,
        })
        .sum();
    assert!(announced > 3000, "{announced}");
    assert_eq!(announced, received as u64);
}

fn merged(events: Vec<ClientEvent>) -> Vec<ClientEvent> {
    let mut result: Vec<ClientEvent> = Vec::new();
    for event in events {
        if let (
            ClientEvent::BodyChunk { chunk, .. },
            Some(ClientEvent::BodyChunk {
                chunk: previous, ..
            }),
        ) = (&event, result.last_mut())
        {
            let mut joined = previous.to_vec();
            joined.extend_from_slice(chunk);
            *previous = joined.into();
            continue;
        }
        result.push(event);
    }
    result
}

#[test]
fn the_replay_does_not_depend_on_how_the_input_is_cut() {
    let whole = replay(&[]);
    let expected = merged(whole.events);
    let length = server_input().len();
    for step in [1usize, 7, 64, 1000] {
        let cuts: Vec<usize> = (step..length).step_by(step).collect();
        let split = replay(&cuts);
        assert_eq!(merged(split.events), expected, "every {step} octets");
        assert_eq!(split.output, whole.output, "every {step} octets");
    }
}
