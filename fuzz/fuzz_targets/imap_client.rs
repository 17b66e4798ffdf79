#![no_main]
//! The IMAP client machine, with a session's worth of commands queued, gives the same
//! events (content chunks joined) and the same output whether the server's bytes come
//! whole or split at arbitrary points, and never panics.
//!
//! Input: the first byte picks the split step, the rest is what the server sends.

use std::num::NonZeroU32;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Secret, Session};
use mailwire_imap::client::{Client, ClientConfig, ClientEvent};
use mailwire_imap::types::{
    AppendData, AppendMessage, Capability, CommandBody, FetchAttribute, FetchAttributes, Flag,
    IString, Mailbox, NonEmpty, SearchKey, Section, SequenceSet, StoreAction,
};

fn queue(client: &mut Client) {
    let all = SequenceSet::all();
    let one = SequenceSet::single(NonZeroU32::MIN);
    let fetch = FetchAttributes::Attributes(
        NonEmpty::try_from(vec![
            FetchAttribute::Flags,
            FetchAttribute::Uid,
            FetchAttribute::Envelope,
            FetchAttribute::BodySection {
                peek: true,
                section: None,
                partial: None,
            },
            FetchAttribute::BodySection {
                peek: true,
                section: Some(Section::Header(None)),
                partial: None,
            },
        ])
        .unwrap(),
    );
    let _ = client.capability();
    let _ = client.login("user", "pa\"ss");
    let _ = client.authenticate("X-TEST", None);
    let _ = client.authenticate_plain(None, "user", "pass");
    let _ = client.send(CommandBody::Append {
        mailbox: Mailbox::inbox(),
        messages: NonEmpty::new(AppendMessage {
            flags: vec![Flag::Seen],
            date: None,
            data: AppendData::Literal(IString::try_from("Subject: x\r\n\r\nbody\r\n").unwrap()),
        }),
    });
    let _ = client.select("INBOX");
    let _ = client.send(CommandBody::Fetch {
        uid: false,
        sequence_set: all.clone(),
        attributes: fetch.clone(),
        modifiers: Vec::new(),
    });
    let _ = client.send(CommandBody::Fetch {
        uid: true,
        sequence_set: all,
        attributes: fetch,
        modifiers: Vec::new(),
    });
    let _ = client.send(CommandBody::Store {
        uid: false,
        sequence_set: one,
        modifiers: Vec::new(),
        action: StoreAction::Add,
        silent: false,
        flags: vec![Flag::Deleted],
    });
    let _ = client.send(CommandBody::Search {
        uid: false,
        return_options: None,
        charset: None,
        criteria: NonEmpty::new(SearchKey::Unseen),
    });
    let _ = client.enable(NonEmpty::new(Capability::Utf8Accept));
    let _ = client.idle();
    // DONE leaves as soon as the server accepts the IDLE, whatever the chunking.
    let _ = client.idle_done();
    let _ = client.examine("Entwürfe");
    let _ = client.noop();
    let _ = client.starttls();
    let _ = client.logout();
}

fn run(chunks: &[&[u8]]) -> (Vec<ClientEvent>, Vec<u8>) {
    let now = Instant::now();
    let mut client = Client::new(ClientConfig::default(), now);
    queue(&mut client);
    let mut events: Vec<ClientEvent> = Vec::new();
    let mut output = Vec::new();
    let drain = |client: &mut Client, events: &mut Vec<ClientEvent>, output: &mut Vec<u8>| loop {
        while client.poll_transmit(output) > 0 {}
        let Some(event) = client.poll_event() else {
            break;
        };
        if let ClientEvent::SaslChallenge { id, challenge } = &event {
            let _ = if challenge.len() % 2 == 0 {
                client.sasl_respond(*id, Secret::new(b"response".to_vec()))
            } else {
                client.sasl_cancel(*id)
            };
        }
        match (events.last_mut(), event) {
            (
                Some(ClientEvent::BodyChunk {
                    command: last_command,
                    sequence_number: last_number,
                    chunk: joined,
                }),
                ClientEvent::BodyChunk {
                    command,
                    sequence_number,
                    chunk,
                },
            ) if *last_command == command && *last_number == sequence_number => {
                let mut all = joined.to_vec();
                all.extend_from_slice(&chunk);
                *joined = all.into();
            }
            (_, event) => events.push(event),
        }
    };
    for chunk in chunks {
        client.handle_input(now, chunk);
        drain(&mut client, &mut events, &mut output);
    }
    client.handle_eof(now);
    drain(&mut client, &mut events, &mut output);
    (events, output)
}

fuzz_target!(|input: &[u8]| {
    let Some((&cuts, rest)) = input.split_first() else {
        return;
    };
    let whole = run(&[rest]);
    let step = usize::from(cuts % 29) + 1;
    let chunks: Vec<&[u8]> = rest.chunks(step).collect();
    assert_eq!(run(&chunks), whole);
});
