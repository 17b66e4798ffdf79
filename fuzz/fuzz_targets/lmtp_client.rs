#![no_main]
//! The LMTP client machine (mailwire-smtp's client in its LMTP flavor) with
//! mailwire-lmtp's `DeliveryTracker` gives the same events, output and per-recipient
//! reports whether each server flight comes whole or split at arbitrary points, and
//! never panics.
//!
//! Input: one byte choosing the cut step, then the server's bytes (NULs are dropped, so
//! older inputs written as flights still read as one stream). The application acts
//! after every read, as it would between two reads of a real connection: it sends two
//! messages (three recipients, then one) when the session is ready, then QUIT. A reply
//! may arrive before the application sent the command it answers (the machine holds it
//! until then), so no cut anywhere may change anything.

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::Session;
use mailwire_lmtp::client::{
    client_config, new_client, Client, ClientEvent, DeliveryReport, DeliveryTracker, MailEnvelope,
    CLIENT_MAX_UNSOLICITED_INPUT,
};
use mailwire_lmtp::types::{Host, Mailbox};

const BODY: &[&[u8]] = &[
    b"From: chris@bar.com\r\nSubject: lmtp\r\n\r\n",
    b"Blah blah blah...\r\n.",
    b"..etc. etc. etc.\r\n",
];

fn envelope(recipients: &[&str]) -> MailEnvelope {
    let mailbox = |text: &str| Mailbox::parse(text).unwrap().into_owned();
    recipients
        .iter()
        .fold(MailEnvelope::new(mailbox("chris@bar.com")), |e, r| {
            e.to(mailbox(r))
        })
}

struct App {
    tracker: DeliveryTracker,
    sent: usize,
    reports: Vec<DeliveryReport>,
}

impl App {
    /// What the application does once the machine is idle: the next message, or QUIT.
    fn act(&mut self, client: &mut Client) {
        if !client.is_idle() {
            return;
        }
        let recipients: &[&str] = match self.sent {
            0 => &["pat@foo.edu", "jones@foo.edu", "green@foo.edu"],
            1 => &["lee@foo.edu"],
            _ => {
                let _ = client.quit();
                self.sent += 1;
                return;
            }
        };
        self.sent += 1;
        let envelope = envelope(recipients);
        if let Ok(id) = client.start_mail(envelope.clone()) {
            self.tracker.track(id, &envelope);
            for chunk in BODY {
                let _ = client.send_body(*chunk);
            }
            let _ = client.finish_body();
        }
    }
}

/// What a driver does after every read: transmit, fire the timer when it is due (a
/// decision asks for it at once, for instance to read replies that came early), hand
/// the events to the tracker, and let the application act once no reply is owed (see
/// `Client::awaits_reply`); until nothing more happens.
fn settle(
    client: &mut Client,
    app: &mut App,
    now: Instant,
    events: &mut Vec<ClientEvent>,
    output: &mut Vec<u8>,
) {
    loop {
        while client.poll_transmit(output) > 0 {}
        if client.poll_timeout().is_some_and(|at| at <= now) {
            client.handle_timeout(now);
            continue;
        }
        if let Some(event) = client.poll_event() {
            if let Some(report) = app.tracker.observe(&event) {
                app.reports.push(report);
            }
            events.push(event);
            continue;
        }
        if !client.awaits_reply() && client.is_idle() && app.sent < 3 {
            app.act(client);
            continue;
        }
        break;
    }
}

fn run(reads: &[&[u8]], limit: usize) -> (Vec<ClientEvent>, Vec<u8>, Vec<DeliveryReport>) {
    let now = Instant::now();
    let hello = Host::new("bar.com").unwrap().into_owned();
    let mut config = client_config(hello);
    // Whole input may hold more early replies than any split: keep the limit out of
    // reach, so that it cannot tell the two apart.
    config.max_unsolicited_input = limit;
    let mut client = new_client(config, now);
    let mut app = App {
        tracker: DeliveryTracker::new(),
        sent: 0,
        reports: Vec::new(),
    };
    let mut events = Vec::new();
    let mut output = Vec::new();
    for read in reads {
        client.handle_input(now, read);
        settle(&mut client, &mut app, now, &mut events, &mut output);
    }
    client.handle_eof(now);
    settle(&mut client, &mut app, now, &mut events, &mut output);
    (events, output, app.reports)
}

fuzz_target!(|input: &[u8]| {
    let Some((&cuts, rest)) = input.split_first() else {
        return;
    };
    let stream: Vec<u8> = rest.iter().copied().filter(|b| *b != 0).collect();
    let limit = CLIENT_MAX_UNSOLICITED_INPUT.max(stream.len());
    let expected = run(&[&stream], limit);
    let step = usize::from(cuts % 17) + 1;
    let split: Vec<&[u8]> = stream.chunks(step).collect();
    assert_eq!(run(&split, limit), expected, "cut every {step} octets");
    let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(run(&bytewise, limit), expected, "cut every octet");
    // Every recipient of a finished transaction has exactly one result, in order.
    for (report, count) in expected.2.iter().zip([3, 1]) {
        assert_eq!(report.recipients.len(), count);
        for (position, recipient) in report.recipients.iter().enumerate() {
            assert_eq!(recipient.index, position);
        }
    }
});
