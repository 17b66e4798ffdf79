#![no_main]
//! The POP3 server machine, driven by a fixed application, gives the same events and
//! the same output whether the client's bytes come whole or split at arbitrary points.

use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mailwire_core::Session;
use mailwire_pop3::server::{
    CleartextLogin, Maildrop, MessageInfo, Server, ServerConfig, ServerEvent,
};
use mailwire_pop3::types::{ApopTimestamp, Mechanism, UniqueId};

const BODY: &[u8] = b"Subject: x\r\n\r\n.dot\r\nline\n.\r\nend";

fn maildrop() -> Maildrop {
    let info = |size: usize, uid: &str| MessageInfo {
        size: size as u64,
        unique_id: UniqueId::new(uid.to_string()).unwrap(),
    };
    Maildrop::new(vec![info(BODY.len(), "a"), info(10, "b"), info(0, "c")]).unwrap()
}

/// Answers every request at once; the choice depends only on the event.
fn answer(server: &mut Server, now: Instant, event: &ServerEvent) {
    let _ = match event {
        ServerEvent::User { id, name } if name.as_str().len() % 2 == 0 => {
            server.reply_ok(now, *id, "ok")
        }
        ServerEvent::User { id, .. } => server.reply_err(now, *id, None, "no"),
        ServerEvent::Pass { id, .. }
        | ServerEvent::Apop { id, .. }
        | ServerEvent::SaslResponse { id, .. } => server.accept_login(now, *id, maildrop()),
        ServerEvent::Auth {
            id,
            initial_response: None,
            ..
        } => server.sasl_challenge(now, *id, b"challenge"),
        ServerEvent::Auth { id, .. } => server.accept_login(now, *id, maildrop()),
        ServerEvent::Retr { id, .. } | ServerEvent::Top { id, .. } => {
            for chunk in BODY.chunks(5) {
                let _ = server.send_body(*id, Bytes::from_static(chunk));
            }
            server.finish_body(now, *id)
        }
        ServerEvent::Utf8 { id } | ServerEvent::Update { id, .. } => {
            server.reply_ok(now, *id, "done")
        }
        ServerEvent::Lang { id, range: None } => server.reply_languages(now, *id, &[]),
        ServerEvent::Lang { id, .. } => server.reply_err(now, *id, None, "no"),
        _ => Ok(()),
    };
}

fn run(chunks: &[&[u8]]) -> (Vec<ServerEvent>, Vec<u8>) {
    let now = Instant::now();
    let config = ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        stls: true,
        utf8: Some(true),
        lang: true,
        sasl_mechanisms: vec![Mechanism::plain(), Mechanism::new("X-TEST").unwrap()],
        // Larger than any fuzz input, so the check does not depend on chunking.
        max_pipelined_input: 1 << 24,
        ..ServerConfig::default()
    };
    let timestamp = ApopTimestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap();
    let mut server = Server::with_apop(config, now, timestamp);
    let mut events: Vec<ServerEvent> = Vec::new();
    let mut output = Vec::new();
    // The greeting (server) leaves before any input.
    while server.poll_transmit(&mut output) > 0 {}
    for chunk in chunks {
        server.handle_input(now, chunk);
        loop {
            while server.poll_transmit(&mut output) > 0 {}
            let Some(event) = server.poll_event() else {
                break;
            };
            answer(&mut server, now, &event);
            // Discarded plaintext is reported per arrival: compare the totals.
            match (events.last_mut(), &event) {
                (
                    Some(ServerEvent::PlaintextDiscarded { octets: total }),
                    ServerEvent::PlaintextDiscarded { octets },
                ) => *total += octets,
                _ => events.push(event),
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
    let step = usize::from(cuts % 17) + 1;
    let chunks: Vec<&[u8]> = rest.chunks(step).collect();
    assert_eq!(run(&chunks), whole);
});
