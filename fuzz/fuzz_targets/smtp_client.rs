#![no_main]
//! The SMTP/LMTP client machine gives the same events and the same output whether the
//! server's bytes come whole or split at arbitrary points, and never panics.
//!
//! Input: a flags byte, a cut byte, then the server's turns separated by NUL (a server
//! only answers what it was sent, so the application acts between turns, never inside
//! one). Flags: bit 0 LMTP, bit 1 no pipelining, bit 2 no chunking, bit 3 no SASL
//! initial response, bits 4-5 AUTH (none, PLAIN, LOGIN, generic), bit 6 STARTTLS,
//! bit 7 BINARYMIME.

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Secret, Session, Transport};
use mailwire_smtp::client::{Client, ClientConfig, ClientEvent, Credentials, MailEnvelope};
use mailwire_smtp::types::{Body, Command, Host, Mailbox, Mechanism};

struct Application {
    flags: u8,
    steps_done: usize,
}

impl Application {
    /// The application's decisions, taken between the server's turns.
    fn act(&mut self, client: &mut Client, events: &[ClientEvent]) {
        for event in events {
            if let ClientEvent::AuthChallenge { challenge } = event {
                let _ = if challenge.len() % 2 == 0 {
                    client.auth_respond(Secret::new(b"response".to_vec()))
                } else {
                    client.auth_cancel()
                };
            }
        }
        while client.is_idle() && self.steps_done < 5 {
            let step = self.steps_done;
            self.steps_done += 1;
            let acted = match step {
                0 if self.flags & 0x40 != 0 => client.starttls().is_ok(),
                1 => match (self.flags >> 4) & 3 {
                    1 => client
                        .authenticate(Credentials::plain("user", "pass"))
                        .is_ok(),
                    2 => client
                        .authenticate(Credentials::login("user", "pass"))
                        .is_ok(),
                    3 => client
                        .authenticate_with(
                            Mechanism::new("X-FUZZ").unwrap_or(Mechanism::PLAIN),
                            Some(Secret::new(b"initial".to_vec())),
                        )
                        .is_ok(),
                    _ => false,
                },
                2 | 3 => self.mail(client, step),
                4 => {
                    let _ = client.send(Command::Noop { argument: None });
                    client.quit().is_ok()
                }
                _ => false,
            };
            if acted {
                // Wait for the outcome before the next step.
                break;
            }
        }
    }

    fn mail(&self, client: &mut Client, step: usize) -> bool {
        let (Ok(from), Ok(to), Ok(other)) = (
            Mailbox::parse("alice@client.test"),
            Mailbox::parse("bob@mx.test"),
            Mailbox::parse("carol@mx.test"),
        ) else {
            return false;
        };
        let mut envelope = MailEnvelope::new(from.into_owned())
            .to(to.into_owned())
            .to(other.into_owned())
            .size(24);
        if self.flags & 0x80 != 0 {
            envelope = envelope.body(Body::BinaryMime);
        }
        if client.start_mail(envelope).is_err() {
            return false;
        }
        let _ = client.send_body(&b"Subject: x\r\n\r\n.dot\r\n"[..]);
        if step == 2 {
            let _ = client.send_body(&b"end\r\n"[..]);
        }
        let _ = client.finish_body();
        true
    }
}

fn run(flags: u8, turns: &[&[u8]], step: Option<usize>) -> (Vec<ClientEvent>, Vec<u8>) {
    let now = Instant::now();
    let Ok(host) = Host::new("client.test") else {
        return (Vec::new(), Vec::new());
    };
    let mut config = if flags & 1 != 0 {
        ClientConfig::lmtp(host.into_owned())
    } else {
        ClientConfig::new(host.into_owned())
    };
    config.use_pipelining = flags & 2 == 0;
    config.use_chunking = flags & 4 == 0;
    config.sasl_initial_response = flags & 8 == 0;
    let mut client = Client::new(config, now);
    let mut application = Application {
        flags,
        steps_done: 0,
    };
    let mut events = Vec::new();
    let mut output = Vec::new();
    let mut clock = now;
    for turn in turns {
        let mut turn_events = Vec::new();
        let pieces: Vec<&[u8]> = match step {
            Some(step) => turn.chunks(step).collect(),
            None => vec![turn],
        };
        for piece in pieces {
            client.handle_input(clock, piece);
            while client.poll_transmit(&mut output) > 0 {}
            turn_events.extend(std::iter::from_fn(|| client.poll_event()));
        }
        if client.transport() == Transport::StartTls {
            client.handle_tls_established(clock);
            turn_events.extend(std::iter::from_fn(|| client.poll_event()));
        }
        application.act(&mut client, &turn_events);
        while client.poll_transmit(&mut output) > 0 {}
        turn_events.extend(std::iter::from_fn(|| client.poll_event()));
        // Let the timer learn the time, as a driver would.
        if let Some(at) = client.poll_timeout() {
            if at <= clock {
                client.handle_timeout(clock);
            }
        }
        clock += Duration::from_secs(1);
        events.extend(turn_events);
    }
    client.handle_eof(clock);
    while client.poll_transmit(&mut output) > 0 {}
    events.extend(std::iter::from_fn(|| client.poll_event()));
    (events, output)
}

fuzz_target!(|input: &[u8]| {
    let [flags, cut, rest @ ..] = input else {
        return;
    };
    let turns: Vec<&[u8]> = rest.split(|b| *b == 0).collect();
    let whole = run(*flags, &turns, None);
    let step = usize::from(*cut % 23) + 1;
    assert_eq!(
        run(*flags, &turns, Some(step)),
        whole,
        "cut every {step} octets"
    );
    assert_eq!(run(*flags, &turns, Some(1)), whole, "cut every octet");
});
