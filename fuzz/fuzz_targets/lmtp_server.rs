#![no_main]
//! The LMTP server machine (mailwire-smtp's server in its LMTP flavor, through
//! mailwire-lmtp's `LmtpServer`), driven by a fixed delivery agent that answers the
//! recipients of each message last one first, gives the same events (message data
//! joined) and the same output whether the client's bytes come whole or split at
//! arbitrary points, and never panics.

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::Session;
use mailwire_lmtp::server::{Delivery, LmtpServer, LmtpServerConfig, ServerEvent};
use mailwire_lmtp::types::{ForwardPath, Mechanism};

/// The agent's answer after the data, from the recipient alone: `j*` is refused at
/// RCPT, `g*` finds a full mailbox (452), `o*` one full for good (552), `n*` no such
/// user; anyone else gets the message.
fn outcome(path: &ForwardPath<'_>) -> Option<Delivery> {
    let first = path
        .mailbox()
        .and_then(|m| m.local_part().as_str().bytes().next())
        .unwrap_or(b'p');
    match first.to_ascii_lowercase() {
        b'j' => None,
        b'g' => Some(Delivery::MailboxFull { permanent: false }),
        b'o' => Some(Delivery::MailboxFull { permanent: true }),
        b'n' => Some(Delivery::NoSuchUser),
        _ => Some(Delivery::Delivered),
    }
}

fn answer(server: &mut LmtpServer, event: &ServerEvent) {
    let _ = match event {
        ServerEvent::Mail { id, from, .. } => {
            if from.to_string().contains("refuse") {
                server.reject(*id)
            } else {
                server.accept(*id)
            }
        }
        ServerEvent::Recipient { id, to, .. } => match outcome(to) {
            Some(_) => server.accept(*id),
            None => server.reject(*id),
        },
        ServerEvent::MessageEnd { id, recipients, .. } => {
            for index in (0..recipients.len()).rev() {
                let chosen = recipients
                    .get(index)
                    .and_then(outcome)
                    .unwrap_or(Delivery::Rejected);
                let _ = server.deliver(*id, index, chosen);
            }
            Ok(())
        }
        ServerEvent::AuthCredentials { id, password, .. } => {
            if password.expose().as_str() == "secret" {
                server.accept(*id)
            } else {
                server.reject(*id)
            }
        }
        ServerEvent::SaslStart { id, .. } => server.sasl_challenge(*id, b"challenge"),
        ServerEvent::SaslResponse { id, .. } => server.accept(*id),
        _ => Ok(()),
    };
}

/// Hands every event to the agent, collecting events (data joined) and output.
fn drain(server: &mut LmtpServer, events: &mut Vec<ServerEvent>, output: &mut Vec<u8>) {
    loop {
        while server.poll_transmit(output) > 0 {}
        let Some(event) = server.poll_event() else {
            break;
        };
        answer(server, &event);
        match (events.last_mut(), event) {
            (Some(ServerEvent::MessageData(joined)), ServerEvent::MessageData(chunk)) => {
                let mut all = joined.to_vec();
                all.extend_from_slice(&chunk);
                *joined = all.into();
            }
            // Bytes after STARTTLS are reported per arrival: compare the totals.
            (
                Some(ServerEvent::DiscardedAfterStartTls { octets: total }),
                ServerEvent::DiscardedAfterStartTls { octets },
            ) => *total += octets,
            (_, event) => events.push(event),
        }
    }
}

fn run(chunks: &[&[u8]]) -> (Vec<ServerEvent>, Vec<u8>) {
    let now = Instant::now();
    let config = LmtpServerConfig::builder("foo.edu")
        .starttls(true)
        .smtputf8(true)
        .dsn(true)
        .binary_mime(true)
        .auth_mechanisms([
            Mechanism::PLAIN,
            Mechanism::LOGIN,
            Mechanism::new("X-TEST").unwrap(),
        ])
        .plaintext_auth_without_tls(true)
        .max_message_size(Some(1024))
        .max_recipients(8)
        // Larger than any fuzz input, so the check does not depend on chunking.
        .max_pending_input(1 << 24)
        .build()
        .unwrap();
    let mut server = LmtpServer::new(config, now);
    let mut events: Vec<ServerEvent> = Vec::new();
    let mut output = Vec::new();
    drain(&mut server, &mut events, &mut output);
    for chunk in chunks {
        server.handle_input(now, chunk);
        drain(&mut server, &mut events, &mut output);
    }
    server.handle_eof(now);
    drain(&mut server, &mut events, &mut output);
    (events, output)
}

fuzz_target!(|input: &[u8]| {
    let Some((&cuts, rest)) = input.split_first() else {
        return;
    };
    let whole = run(&[rest]);
    // Cut every `step` bytes.
    let step = usize::from(cuts % 17) + 1;
    let chunks: Vec<&[u8]> = rest.chunks(step).collect();
    assert_eq!(run(&chunks), whole);
});
