#![no_main]
//! The IMAP server machine, answered by a fixed application, gives the same events and
//! the same output whether the client's bytes come whole or split at arbitrary points;
//! and no input panics it or makes it hold more than its limits.

use std::num::NonZeroU32;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::Session;
use mailwire_imap::server::{
    CleartextLogin, Server, ServerConfig, ServerEvent, SessionState, Versions,
};
use mailwire_imap::types::{Atom, Capability, Code, CommandBody, Data};

fn config() -> ServerConfig {
    ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        starttls: true,
        auth_mechanisms: vec![Atom::new("PLAIN").unwrap(), Atom::new("X-STEP").unwrap()],
        enable: vec![
            Capability::CondStore,
            Capability::QResync,
            Capability::Utf8Accept,
        ],
        capabilities: vec![
            Capability::MultiAppend,
            Capability::UidPlus,
            Capability::Move,
        ],
        versions: Versions::Both,
        max_line_length: 512,
        max_literal_length: 256,
        max_command_length: 2048,
        max_append_size: 1024,
        max_discarded_literal: 4096,
        max_errors: 1000,
        // Larger than any fuzz input, so the check does not depend on chunking.
        max_pipelined_input: 1 << 24,
        ..ServerConfig::default()
    }
}

/// Every decision depends only on the event, never on when input arrived.
fn answer(server: &mut Server, now: Instant, event: &ServerEvent) {
    let _ = match event {
        ServerEvent::Login {
            id, credentials, ..
        } => {
            if credentials.password.expose().len() % 2 == 0 {
                server.ok(now, *id, "welcome")
            } else {
                server.no(now, *id, Some(Code::AuthenticationFailed), "no")
            }
        }
        ServerEvent::Authenticate { id, .. } => server.sasl_challenge(now, *id, b"next"),
        ServerEvent::SaslResponse { id, response } => {
            if response.expose().len() % 2 == 0 {
                server.ok(now, *id, "in")
            } else {
                server.sasl_challenge(now, *id, b"again")
            }
        }
        ServerEvent::AppendMessage { id, message, .. } => {
            if message.length % 5 == 4 {
                server.no(now, *id, Some(Code::TryCreate), "no")
            } else {
                server.accept_append(now, *id)
            }
        }
        ServerEvent::AppendDone { id, messages } => {
            if messages % 2 == 0 {
                server.no(now, *id, Some(Code::OverQuota), "full")
            } else {
                server.ok(now, *id, "appended")
            }
        }
        ServerEvent::Command { id, command, .. } => {
            if server.state() != SessionState::NotAuthenticated {
                let _ = server.push(&Data::Expunge(NonZeroU32::MIN));
                let _ = server.push(&Data::Exists(2));
                let _ = server.send_data(*id, &Data::Expunge(NonZeroU32::MIN));
            }
            match command {
                CommandBody::Examine { .. } | CommandBody::Delete { .. } => {
                    server.no(now, *id, None, "no")
                }
                CommandBody::Rename { .. } => server.bad(now, *id, "bad"),
                _ => server.ok(now, *id, "done"),
            }
        }
        _ => Ok(()),
    };
}

fn run(chunks: &[&[u8]]) -> (Vec<ServerEvent>, Vec<u8>) {
    let now = Instant::now();
    let mut server = Server::new(config(), now);
    let mut events: Vec<ServerEvent> = Vec::new();
    let mut output = Vec::new();
    while server.poll_transmit(&mut output) > 0 {}
    for chunk in chunks {
        server.handle_input(now, chunk);
        loop {
            while server.poll_transmit(&mut output) > 0 {}
            let Some(event) = server.poll_event() else {
                break;
            };
            answer(&mut server, now, &event);
            // Their sizes follow the arrival: compare what they add up to.
            match (events.last_mut(), event) {
                (
                    Some(ServerEvent::AppendData { chunk: merged, .. }),
                    ServerEvent::AppendData { chunk, .. },
                ) => {
                    let mut joined = merged.to_vec();
                    joined.extend_from_slice(&chunk);
                    *merged = joined.into();
                }
                (
                    Some(ServerEvent::PlaintextDiscarded { octets: total }),
                    ServerEvent::PlaintextDiscarded { octets },
                ) => *total += octets,
                (_, event) => events.push(event),
            }
        }
    }
    (events, output)
}

fuzz_target!(|input: &[u8]| {
    let Some((&cuts, rest)) = input.split_first() else {
        return;
    };
    let whole = run(&[rest]);
    // Cut every `step` bytes, `step` from the first byte.
    let step = usize::from(cuts % 23) + 1;
    let chunks: Vec<&[u8]> = rest.chunks(step).collect();
    assert_eq!(run(&chunks), whole);
});
