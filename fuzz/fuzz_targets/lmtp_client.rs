#![no_main]
//! The LMTP client machine (mailwire-smtp's client in its LMTP flavor) with
//! mailwire-lmtp's `DeliveryTracker` gives the same events, output and per-recipient
//! reports whether each server flight comes whole or split at arbitrary points, and
//! never panics.
//!
//! Input: one byte choosing the cut step, then the server's flights separated by NUL
//! (a reply never holds one). The application acts between flights, as it would
//! between two reads: it sends two messages (three recipients, then one) when the
//! session is ready, then QUIT. Cutting inside a flight must change nothing; what a
//! flight holds may depend on what the client sent before it, as on a real connection.

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::Session;
use mailwire_lmtp::client::{
    client_config, new_client, Client, ClientEvent, DeliveryReport, DeliveryTracker, MailEnvelope,
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

fn drain(client: &mut Client, app: &mut App, events: &mut Vec<ClientEvent>, output: &mut Vec<u8>) {
    loop {
        while client.poll_transmit(output) > 0 {}
        let Some(event) = client.poll_event() else {
            break;
        };
        if let Some(report) = app.tracker.observe(&event) {
            app.reports.push(report);
        }
        events.push(event);
    }
}

fn run(flights: &[Vec<&[u8]>]) -> (Vec<ClientEvent>, Vec<u8>, Vec<DeliveryReport>) {
    let now = Instant::now();
    let hello = Host::new("bar.com").unwrap().into_owned();
    let mut client = new_client(client_config(hello), now);
    let mut app = App {
        tracker: DeliveryTracker::new(),
        sent: 0,
        reports: Vec::new(),
    };
    let mut events = Vec::new();
    let mut output = Vec::new();
    for flight in flights {
        for chunk in flight {
            client.handle_input(now, chunk);
        }
        drain(&mut client, &mut app, &mut events, &mut output);
        if !client.is_closed() {
            app.act(&mut client);
            drain(&mut client, &mut app, &mut events, &mut output);
        }
    }
    client.handle_eof(now);
    drain(&mut client, &mut app, &mut events, &mut output);
    (events, output, app.reports)
}

fuzz_target!(|input: &[u8]| {
    let Some((&cuts, rest)) = input.split_first() else {
        return;
    };
    let flights: Vec<&[u8]> = rest.split(|b| *b == 0).collect();
    let whole: Vec<Vec<&[u8]>> = flights.iter().map(|f| vec![*f]).collect();
    let step = usize::from(cuts % 17) + 1;
    let split: Vec<Vec<&[u8]>> = flights.iter().map(|f| f.chunks(step).collect()).collect();
    let expected = run(&whole);
    assert_eq!(run(&split), expected);
    // Every recipient of a finished transaction has exactly one result, in order.
    for (report, count) in expected.2.iter().zip([3, 1]) {
        assert_eq!(report.recipients.len(), count);
        for (position, recipient) in report.recipients.iter().enumerate() {
            assert_eq!(recipient.index, position);
        }
    }
});
