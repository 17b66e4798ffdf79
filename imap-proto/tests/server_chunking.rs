//! Chunking invariance of the server machine through its public API: random sessions
//! built from command fragments (literals, APPEND in every form, SASL, IDLE, STARTTLS,
//! garbage, over-long lines) give the same events and the same output whether the
//! client's octets arrive whole or cut anywhere.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::NonZeroU32;
use std::time::Instant;

use mailwire_core::Session;
use mailwire_imap::server::{
    CleartextLogin, Server, ServerConfig, ServerEvent, SessionState, Versions,
};
use mailwire_imap::types::{Atom, Capability, Code, CommandBody, Data};
use proptest::prelude::*;

/// Fragments a client might send; several are incomplete on purpose, so that they
/// combine with what follows.
const FRAGMENTS: &[&[u8]] = &[
    b"a CAPABILITY\r\n",
    b"b LOGIN fred pass\r\n",
    b"c LOGIN {4}\r\nfred {3}\r\nodd\r\n",
    b"d AUTHENTICATE PLAIN\r\nAGZyZWQAcGFzcw==\r\n",
    b"e AUTHENTICATE X-STEP\r\nbWU=\r\n",
    b"f AUTHENTICATE PLAIN *\r\n",
    b"*\r\n",
    b"g SELECT INBOX\r\n",
    b"h EXAMINE {5}\r\nINBOX\r\n",
    b"i FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n",
    b"j UID FETCH 1 BODY[]\r\n",
    b"k STORE 1 +FLAGS (\\Seen)\r\n",
    b"l SEARCH UNSEEN\r\n",
    b"m APPEND INBOX (\\Seen) {5}\r\nhello\r\n",
    b"n APPEND INBOX {10}\r\n",
    b"o APPEND INBOX {3+}\r\nabc ~{2}\r\nxy\r\n",
    b"p APPEND INBOX UTF8 (~{4}\r\nutf8)\r\n",
    b"q APPEND INBOX {9000+}\r\n",
    b"r APPEND INBOX {99999999999999999999999}\r\n",
    b"s IDLE\r\nDONE\r\n",
    b"t IDLE\r\n",
    b"DONE\r\n",
    b"u ENABLE CONDSTORE UTF8=ACCEPT IMAP4rev2\r\n",
    b"v NOOP\r\n",
    b"w EXPUNGE\r\n",
    b"x CLOSE\r\n",
    b"y STARTTLS\r\n",
    b"z LOGOUT\r\n",
    b"garbage without a tag\r\n",
    b"\r\n",
    b"A1 NOOP\n",
    b"{3}\r\n",
    b"B1 LIST \"\" *\r\n",
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    b"0123456789",
];

fn config() -> ServerConfig {
    ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        starttls: true,
        auth_mechanisms: vec![Atom::new("PLAIN").unwrap(), Atom::new("X-STEP").unwrap()],
        enable: vec![Capability::CondStore, Capability::Utf8Accept],
        capabilities: vec![Capability::MultiAppend],
        versions: Versions::Both,
        max_line_length: 120,
        max_literal_length: 40,
        max_append_size: 64,
        max_discarded_literal: 5000,
        max_errors: 1000,
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
        ServerEvent::SaslResponse { id, .. } => server.no(now, *id, None, "not today"),
        ServerEvent::AppendMessage { id, message, .. } => {
            if message.length == 10 {
                server.no(now, *id, Some(Code::TryCreate), "no")
            } else {
                server.accept_append(now, *id)
            }
        }
        ServerEvent::AppendDone { id, .. } => server.ok(now, *id, "appended"),
        ServerEvent::Command { id, command, .. } => {
            if server.state() != SessionState::NotAuthenticated {
                let _ = server.push(&Data::Expunge(NonZeroU32::MIN));
                let _ = server.push(&Data::Exists(2));
            }
            match command {
                CommandBody::Examine { .. } => server.no(now, *id, None, "read-only"),
                _ => server.ok(now, *id, "done"),
            }
        }
        _ => Ok(()),
    };
}

fn run(chunks: &[&[u8]]) -> (Vec<ServerEvent>, String) {
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
    (events, String::from_utf8_lossy(&output).into_owned())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_sessions_do_not_depend_on_chunking(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 1..30),
        cuts in proptest::collection::vec(any::<u16>(), 0..30),
    ) {
        let session: Vec<u8> = picks.iter().flat_map(|&pick| FRAGMENTS[pick].iter().copied()).collect();
        let whole = run(&[&session]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| usize::from(cut) % session.len()).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([session.len()]) {
            chunks.push(&session[start..cut]);
            start = cut;
        }
        prop_assert_eq!(run(&chunks), whole);
    }
}

#[test]
fn a_long_session_split_at_every_point_in_two() {
    // Login, ENABLE, SELECT, IDLE cut short, every selected-state command, every APPEND
    // form, errors, then leaving the mailbox and refusals that end in skipping.
    let picks = [
        1, 0, 22, 7, 20, 6, 9, 10, 11, 12, 13, 14, 15, 16, 19, 21, 23, 29, 31, 34, 28, 30, 32, 33,
        8, 24, 25, 26, 18, 17,
    ];
    let session: Vec<u8> = picks
        .iter()
        .flat_map(|&pick: &usize| FRAGMENTS[pick].iter().copied())
        .collect();
    let whole = run(&[&session]);
    assert!(whole.1.contains("OK appended"), "{}", whole.1);
    assert!(whole.1.contains("IDLE terminated"), "{}", whole.1);
    for cut in 1..session.len() {
        let (left, right) = session.split_at(cut);
        assert_eq!(run(&[left, right]), whole, "cut at {cut}");
    }
}
