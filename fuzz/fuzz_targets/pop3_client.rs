#![no_main]
//! The POP3 client machine gives the same events (message data joined) and the same
//! output whether the server's bytes come whole or split at arbitrary points.

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::Session;
use mailwire_pop3::client::{Client, ClientConfig, ClientEvent};
use mailwire_pop3::types::{Command, Mechanism, MessageNumber};

fn run(chunks: &[&[u8]]) -> (Vec<ClientEvent>, Vec<u8>) {
    let now = Instant::now();
    let mut client = Client::new(ClientConfig::default(), now);
    let one = MessageNumber::new(1).unwrap();
    let _ = client.send(Command::Capa);
    let _ = client.login("user", "pass");
    for command in [
        Command::Stat,
        Command::List(None),
        Command::List(Some(one)),
        Command::Uidl(None),
        Command::Uidl(Some(one)),
        Command::Retr(one),
        Command::Top {
            message: one,
            lines: 1,
        },
        Command::Auth {
            mechanism: Mechanism::new("X-TEST").unwrap(),
            initial_response: None,
        },
        Command::Lang(None),
        Command::Stls,
        Command::Quit,
    ] {
        let _ = client.send(command);
    }
    let mut events: Vec<ClientEvent> = Vec::new();
    let mut output = Vec::new();
    // The greeting (server) leaves before any input.
    while client.poll_transmit(&mut output) > 0 {}
    for chunk in chunks {
        client.handle_input(now, chunk);
        loop {
            while client.poll_transmit(&mut output) > 0 {}
            let Some(event) = client.poll_event() else {
                break;
            };
            if let ClientEvent::SaslChallenge { id, challenge } = &event {
                let _ = if challenge.len() % 2 == 0 {
                    client.sasl_respond(*id, b"r")
                } else {
                    client.sasl_cancel(*id)
                };
            }
            match (events.last_mut(), event) {
                (
                    Some(ClientEvent::MessageData {
                        id: last,
                        chunk: joined,
                    }),
                    ClientEvent::MessageData { id, chunk },
                ) if *last == id => {
                    let mut all = joined.to_vec();
                    all.extend_from_slice(&chunk);
                    *joined = all.into();
                }
                (
                    Some(ClientEvent::InjectedAfterStls { octets: total }),
                    ClientEvent::InjectedAfterStls { octets },
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
    let step = usize::from(cuts % 17) + 1;
    let chunks: Vec<&[u8]> = rest.chunks(step).collect();
    assert_eq!(run(&chunks), whole);
});
