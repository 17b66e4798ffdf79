#![no_main]
//! The SMTP/LMTP client machine gives the same events and the same output whether the
//! server's bytes come whole or split at arbitrary points, and never panics.
//!
//! Input: a flags byte, a cut byte, then the server's bytes. After every read the
//! application acts on the events read so far whenever the client awaits no reply (see
//! `Client::awaits_reply`), as it would between two reads of a real connection; a reply
//! may therefore arrive before the application sent the command it answers (the
//! machine holds it until then), so no cut, even one inside the replies of a single
//! command or across several, may change anything. A NUL marks where the transport
//! performs the TLS handshake if the client asked for one: bytes after the 220 to
//! STARTTLS before it are plaintext injection, after it they come over TLS, so the
//! handshake is the one place where reads always end. Flags: bit 0 LMTP, bit 1 no
//! pipelining, bit 2 no chunking, bit 3 no SASL initial response, bits 4-5 AUTH (none,
//! PLAIN, LOGIN, generic), bit 6 STARTTLS, bit 7 BINARYMIME.

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Secret, Session, Transport};
use mailwire_smtp::client::{
    Client, ClientConfig, ClientEvent, Credentials, MailEnvelope, CLIENT_MAX_UNSOLICITED_INPUT,
};
use mailwire_smtp::types::{Body, Command, Host, Mailbox, Mechanism};

struct Application {
    flags: u8,
    steps_done: usize,
}

impl Application {
    /// The application's decisions on the events it just read.
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

/// What a driver does after every read: transmit, fire the timer when it is due (a
/// decision asks for it at once, for instance to read replies that came early), and
/// let the application decide on the events read so far once no reply is owed; until
/// nothing more happens.
fn settle(
    client: &mut Client,
    application: &mut Application,
    now: Instant,
    events: &mut Vec<ClientEvent>,
    output: &mut Vec<u8>,
) {
    let mut unseen = Vec::new();
    loop {
        let sent = output.len();
        while client.poll_transmit(output) > 0 {}
        if client.poll_timeout().is_some_and(|at| at <= now) {
            client.handle_timeout(now);
            continue;
        }
        let read: Vec<ClientEvent> = std::iter::from_fn(|| client.poll_event()).collect();
        let quiet = read.is_empty();
        unseen.extend(read.iter().cloned());
        events.extend(read);
        if !client.awaits_reply() {
            application.act(client, &unseen);
            unseen.clear();
            while client.poll_transmit(output) > 0 {}
        }
        // Decisions send, they never raise events: no output and no event, no progress.
        if quiet && output.len() == sent {
            break;
        }
    }
}

fn run(
    flags: u8,
    segments: &[&[u8]],
    step: Option<usize>,
    limit: usize,
) -> (Vec<ClientEvent>, Vec<u8>) {
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
    // Whole input may hold more early replies than any split: keep the limit out of
    // reach, so that it cannot tell the two apart.
    config.max_unsolicited_input = limit;
    let mut client = Client::new(config, now);
    let mut application = Application {
        flags,
        steps_done: 0,
    };
    let mut events = Vec::new();
    let mut output = Vec::new();
    for segment in segments {
        let reads: Vec<&[u8]> = match step {
            Some(step) => segment.chunks(step).collect(),
            None => vec![segment],
        };
        for read in reads {
            client.handle_input(now, read);
            settle(&mut client, &mut application, now, &mut events, &mut output);
        }
        if client.transport() == Transport::StartTls {
            client.handle_tls_established(now);
            settle(&mut client, &mut application, now, &mut events, &mut output);
        }
    }
    client.handle_eof(now);
    settle(&mut client, &mut application, now, &mut events, &mut output);
    (events, output)
}

fuzz_target!(|input: &[u8]| {
    let [flags, cut, rest @ ..] = input else {
        return;
    };
    let segments: Vec<&[u8]> = rest.split(|b| *b == 0).collect();
    let limit = CLIENT_MAX_UNSOLICITED_INPUT.max(rest.len());
    let whole = run(*flags, &segments, None, limit);
    let step = usize::from(*cut % 23) + 1;
    assert_eq!(
        run(*flags, &segments, Some(step), limit),
        whole,
        "cut every {step} octets"
    );
    assert_eq!(
        run(*flags, &segments, Some(1), limit),
        whole,
        "cut every octet"
    );
});
