//! Client machine tests against scripted server bytes, on a virtual clock.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use mailwire_core::{Secret, Session, Transport};

use super::*;
use crate::codec::NonSyncLiterals;
use crate::types::{
    AppendData, AppendMessage, Capability, CommandBody, Data, FetchAttribute, FetchAttributes,
    Flag, FlagFetch, GreetingKind, IString, Mailbox, MessageDataItem, NonEmpty, SearchKey, Section,
    SequenceSet, State, StoreAction, Tag,
};

/// A machine on a virtual clock.
struct Harness {
    client: Client,
    now: Instant,
}

fn tags(list: &[&'static str]) -> impl TagGenerator + 'static {
    let mut list: Vec<&'static str> = list.to_vec();
    list.reverse();
    move || Tag::new(list.pop().unwrap_or("ZZZ")).unwrap()
}

impl Harness {
    fn new(config: ClientConfig) -> Self {
        let now = Instant::now();
        Harness {
            client: Client::new(config, now),
            now,
        }
    }

    fn with_tags(config: ClientConfig, list: &[&'static str]) -> Self {
        let now = Instant::now();
        Harness {
            client: Client::with_tag_generator(config, now, tags(list)),
            now,
        }
    }

    /// Feeds server octets; returns the events they caused.
    fn feed(&mut self, bytes: &[u8]) -> Vec<ClientEvent> {
        self.client.handle_input(self.now, bytes);
        self.settle();
        self.events()
    }

    fn events(&mut self) -> Vec<ClientEvent> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    /// What the client sent since the last call, as text.
    fn take(&mut self) -> String {
        let mut out = Vec::new();
        while self.client.poll_transmit(&mut out) > 0 {}
        String::from_utf8(out).unwrap()
    }

    /// Lets a timer armed by a decision learn the time (what the driver does).
    fn settle(&mut self) {
        if self.client.poll_timeout().is_some_and(|at| at <= self.now) {
            self.client.handle_timeout(self.now);
        }
    }

    fn advance(&mut self, by: Duration) -> Vec<ClientEvent> {
        self.settle();
        self.now += by;
        if self.client.poll_timeout().is_some_and(|at| at <= self.now) {
            self.client.handle_timeout(self.now);
        }
        self.events()
    }

    /// A greeting with these capabilities, and the events it caused.
    fn greet(&mut self, capabilities: &str) -> Vec<ClientEvent> {
        self.feed(format!("* OK [CAPABILITY {capabilities}] ready\r\n").as_bytes())
    }
}

fn completed(events: &[ClientEvent]) -> Vec<(CommandId, State)> {
    events
        .iter()
        .filter_map(|event| match event {
            ClientEvent::Completed { id, state, .. } => Some((*id, *state)),
            _ => None,
        })
        .collect()
}

fn number(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap()
}

/// Merges consecutive body chunks: how content was cut depends on the input chunks.
fn merged(events: Vec<ClientEvent>) -> Vec<ClientEvent> {
    let mut result: Vec<ClientEvent> = Vec::new();
    for event in events {
        if let ClientEvent::BodyChunk {
            command,
            sequence_number,
            chunk,
        } = &event
        {
            if let Some(ClientEvent::BodyChunk {
                command: last_command,
                sequence_number: last_number,
                chunk: last_chunk,
            }) = result.last_mut()
            {
                if last_command == command && last_number == sequence_number {
                    let mut joined = BytesMut::from(&last_chunk[..]);
                    joined.extend_from_slice(chunk);
                    *last_chunk = joined.freeze();
                    continue;
                }
            }
        }
        result.push(event);
    }
    result
}

const RFC3501_HEADER: &str = "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n\
From: Terry Gray <gray@cac.washington.edu>\r\n\
Subject: IMAP4rev1 WG mtg summary and minutes\r\n\
To: imap@cac.washington.edu\r\n\
cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n\
Message-Id: <B27397-0100000@cac.washington.edu>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\
\r\n";

/// The server side of RFC 3501 §8, one response per entry.
fn rfc3501_server() -> Vec<String> {
    vec![
        "* OK IMAP4rev1 Service Ready\r\n".into(),
        "a001 OK LOGIN completed\r\n".into(),
        "* 18 EXISTS\r\n".into(),
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n".into(),
        "* 2 RECENT\r\n".into(),
        "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n".into(),
        "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n".into(),
        "a002 OK [READ-WRITE] SELECT completed\r\n".into(),
        "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
         RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \
         \"IMAP4rev1 WG mtg summary and minutes\" \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) \
         ((NIL NIL \"imap\" \"cac.washington.edu\")) \
         ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
         (\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \
         \"<B27397-0100000@cac.washington.edu>\") \
         BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"
            .into(),
        "a003 OK FETCH completed\r\n".into(),
        format!("* 12 FETCH (BODY[HEADER] {{342}}\r\n{RFC3501_HEADER})\r\n"),
        "a004 OK FETCH completed\r\n".into(),
        "* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n".into(),
        "a005 OK +FLAGS completed\r\n".into(),
        "* BYE IMAP4rev1 server terminating connection\r\n".into(),
        "a006 OK LOGOUT completed\r\n".into(),
    ]
}

/// The client of RFC 3501 §8 with every command queued before the greeting: the
/// barriers and the pipelining rules put them on the wire in the sample's order.
fn rfc3501_client() -> (Harness, Vec<CommandId>) {
    let config = ClientConfig {
        auto_capability: false,
        ..ClientConfig::default()
    };
    let mut harness = Harness::with_tags(config, &["a001", "a002", "a003", "a004", "a005", "a006"]);
    let client = &mut harness.client;
    let twelve = SequenceSet::single(number(12));
    let ids = vec![
        client.login("mrc", "secret").unwrap(),
        client.select("inbox").unwrap(),
        client
            .send(CommandBody::Fetch {
                uid: false,
                sequence_set: twelve.clone(),
                attributes: FetchAttributes::Full,
                modifiers: Vec::new(),
            })
            .unwrap(),
        client
            .send(CommandBody::Fetch {
                uid: false,
                sequence_set: twelve.clone(),
                attributes: FetchAttributes::Attributes(NonEmpty::new(
                    FetchAttribute::BodySection {
                        peek: false,
                        section: Some(Section::Header(None)),
                        partial: None,
                    },
                )),
                modifiers: Vec::new(),
            })
            .unwrap(),
        client
            .send(CommandBody::Store {
                uid: false,
                sequence_set: twelve,
                modifiers: Vec::new(),
                action: StoreAction::Add,
                silent: false,
                flags: vec![Flag::Deleted],
            })
            .unwrap(),
        client.logout().unwrap(),
    ];
    (harness, ids)
}

#[test]
fn rfc3501_sample_session_from_the_client_side() {
    assert_eq!(RFC3501_HEADER.len(), 342);
    let (mut harness, ids) = rfc3501_client();
    assert_eq!(harness.take(), "", "nothing leaves before the greeting");
    let mut events = Vec::new();
    let mut wire = Vec::new();
    for response in rfc3501_server() {
        events.extend(harness.feed(response.as_bytes()));
        wire.push(harness.take());
    }
    let wire: String = wire.concat();
    assert_eq!(
        wire,
        "a001 LOGIN mrc secret\r\n\
         a002 SELECT INBOX\r\n\
         a003 FETCH 12 FULL\r\n\
         a004 FETCH 12 BODY[HEADER]\r\n\
         a005 STORE 12 +FLAGS (\\Deleted)\r\n\
         a006 LOGOUT\r\n"
    );
    // FETCH and STORE are pipelined behind each other (RFC 3501 §5.5 allows it); the
    // barriers (LOGIN, SELECT, LOGOUT) waited for their turn.
    let ok = |index: usize| (ids[index], State::Ok);
    assert_eq!(completed(&events), (0..6).map(ok).collect::<Vec<_>>());

    let selected = events
        .iter()
        .find_map(|event| match event {
            ClientEvent::Selected { id, mailbox } if *id == ids[1] => Some(mailbox.clone()),
            _ => None,
        })
        .unwrap();
    assert!(selected.mailbox.is_inbox());
    assert_eq!(selected.exists, 18);
    assert_eq!(selected.recent, 2);
    assert_eq!(selected.flags.len(), 5);
    assert_eq!(selected.unseen, Some(number(17)));
    assert_eq!(selected.uid_validity, Some(number(3_857_529_045)));
    assert!(!selected.read_only);

    let full = events
        .iter()
        .find_map(|event| match event {
            ClientEvent::Fetch { command, items, .. } if *command == Some(ids[2]) => {
                Some(items.clone())
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(full.len(), 5);
    assert!(matches!(full[3], MessageDataItem::Envelope(_)));

    // The header literal was streamed, then the FETCH came without it.
    let header_events: Vec<&ClientEvent> = events
        .iter()
        .filter(|event| match event {
            ClientEvent::BodyStart { command, .. }
            | ClientEvent::BodyChunk { command, .. }
            | ClientEvent::BodyEnd { command, .. }
            | ClientEvent::Fetch { command, .. } => *command == Some(ids[3]),
            _ => false,
        })
        .collect();
    let header_item = BodyItem::Section {
        section: Some(Section::Header(None)),
        origin: None,
    };
    assert_eq!(
        header_events.first(),
        Some(&&ClientEvent::BodyStart {
            command: Some(ids[3]),
            sequence_number: number(12),
            item: header_item.clone(),
            length: 342
        })
    );
    let content: Vec<u8> = header_events
        .iter()
        .filter_map(|event| match event {
            ClientEvent::BodyChunk { chunk, .. } => Some(chunk.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(content, RFC3501_HEADER.as_bytes());
    assert_eq!(
        header_events.last(),
        Some(&&ClientEvent::Fetch {
            command: Some(ids[3]),
            sequence_number: number(12),
            items: Vec::new(),
            streamed: vec![header_item],
        })
    );

    assert!(events.iter().any(|event| matches!(
        event,
        ClientEvent::Fetch { command, items, .. }
            if *command == Some(ids[4])
                && items == &[MessageDataItem::Flags(vec![
                    FlagFetch::Flag(Flag::Seen),
                    FlagFetch::Flag(Flag::Deleted)
                ])]
    )));
    assert!(events.iter().any(|event| matches!(
        event,
        ClientEvent::Data { command, data: Data::Bye(_) } if *command == Some(ids[5])
    )));
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed {
            reason: CloseReason::Logout,
            unanswered: Vec::new()
        })
    );
    assert_eq!(harness.client.transport(), Transport::Closed);
    assert_eq!(harness.client.state(), ClientState::Logout);
}

/// Runs the RFC 3501 sample with the server's octets cut at `cuts`.
fn rfc3501_cut(cuts: &[usize]) -> (Vec<ClientEvent>, String) {
    let (mut harness, _) = rfc3501_client();
    let server: Vec<u8> = rfc3501_server().concat().into_bytes();
    let mut events = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&server.len())) {
        events.extend(harness.feed(&server[start..cut]));
        start = cut;
    }
    (merged(events), harness.take())
}

#[test]
fn whole_and_split_input_give_the_same_events_and_output() {
    let server_length = rfc3501_server().concat().len();
    let whole = rfc3501_cut(&[]);
    assert!(whole.1.ends_with("a006 LOGOUT\r\n"));
    for cut in 1..server_length {
        assert_eq!(rfc3501_cut(&[cut]), whole, "cut at {cut}");
    }
    let every_byte: Vec<usize> = (1..server_length).collect();
    assert_eq!(rfc3501_cut(&every_byte), whole);
}

#[test]
fn synchronizing_literal_waits_for_the_continuation() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 AUTH=PLAIN");
    let login = harness.client.login("fred", "two\r\nlines").unwrap();
    let noop = harness.client.noop().unwrap();
    assert_eq!(harness.take(), "A1 LOGIN fred {10}\r\n");
    assert!(harness.feed(b"+ Ready for literal data\r\n").is_empty());
    // The rest of LOGIN; NOOP waits behind the LOGIN barrier.
    assert_eq!(harness.take(), "two\r\nlines\r\n");
    let events = harness.feed(b"A1 OK [CAPABILITY IMAP4rev1] done\r\n");
    assert_eq!(completed(&events), [(login, State::Ok)]);
    assert_eq!(harness.take(), "A2 NOOP\r\n");
    let events = harness.feed(b"A2 OK\r\n");
    assert_eq!(completed(&events), [(noop, State::Ok)]);
}

#[test]
fn literal_refused_instead_of_continued_ends_the_command() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    let append = harness
        .client
        .send(CommandBody::Append {
            mailbox: Mailbox::inbox(),
            messages: NonEmpty::new(AppendMessage {
                flags: vec![Flag::Seen],
                date: None,
                data: AppendData::Literal(IString::try_from("Subject: x\r\n\r\nhi\r\n").unwrap()),
            }),
        })
        .unwrap();
    let list = harness
        .client
        .send(CommandBody::Lsub {
            reference: Mailbox::try_from("").unwrap(),
            pattern: crate::types::MailboxName::try_from("*").unwrap(),
        })
        .unwrap();
    assert_eq!(harness.take(), "A1 APPEND INBOX (\\Seen) {18}\r\n");
    let events = harness.feed(b"A1 NO [OVERQUOTA] no room\r\n");
    assert_eq!(completed(&events), [(append, State::No)]);
    // The message never left; the next command did.
    assert_eq!(harness.take(), "A2 LSUB \"\" *\r\n");
    let events = harness.feed(b"+ stray\r\nA2 OK\r\n");
    assert_eq!(
        events[0],
        ClientEvent::ProtocolError {
            error: ProtocolError::UnexpectedContinuation
        }
    );
    assert_eq!(completed(&events), [(list, State::Ok)]);
}

#[test]
fn literal_plus_and_minus_go_without_waiting() {
    let message = "Subject: x\r\n\r\nhi\r\n";
    let append = |harness: &mut Harness, text: &str| {
        harness
            .client
            .send(CommandBody::Append {
                mailbox: Mailbox::inbox(),
                messages: NonEmpty::new(AppendMessage {
                    flags: Vec::new(),
                    date: None,
                    data: AppendData::Literal(IString::try_from(text.to_owned()).unwrap()),
                }),
            })
            .unwrap()
    };
    let mut plus = Harness::new(ClientConfig::default());
    plus.greet("IMAP4rev1 LITERAL+");
    append(&mut plus, message);
    assert_eq!(
        plus.take(),
        format!("A1 APPEND INBOX {{18+}}\r\n{message}\r\n")
    );

    let mut minus = Harness::new(ClientConfig::default());
    minus.greet("IMAP4rev1 LITERAL-");
    append(&mut minus, message);
    assert_eq!(
        minus.take(),
        format!("A1 APPEND INBOX {{18+}}\r\n{message}\r\n")
    );
    // Above 4096 octets LITERAL- does not apply.
    minus.feed(b"A1 OK\r\n");
    let big = "x".repeat(5000);
    append(&mut minus, &big);
    assert_eq!(minus.take(), "A2 APPEND INBOX {5000}\r\n");
    minus.feed(b"+ go\r\n");
    assert_eq!(minus.take(), format!("{big}\r\n"));

    // The client can use less than the server allows.
    let mut capped = Harness::new(ClientConfig {
        non_sync_literals: NonSyncLiterals::Minus,
        ..ClientConfig::default()
    });
    capped.greet("IMAP4rev1 LITERAL+");
    append(&mut capped, message);
    assert_eq!(
        capped.take(),
        format!("A1 APPEND INBOX {{18+}}\r\n{message}\r\n")
    );
    capped.feed(b"A1 OK\r\n");
    append(&mut capped, &big);
    assert_eq!(capped.take(), "A2 APPEND INBOX {5000}\r\n");
    let mut never = Harness::new(ClientConfig {
        non_sync_literals: NonSyncLiterals::Forbidden,
        ..ClientConfig::default()
    });
    never.greet("IMAP4rev1 LITERAL+");
    append(&mut never, message);
    assert_eq!(never.take(), "A1 APPEND INBOX {18}\r\n");
}

#[test]
fn idle_start_updates_done() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 IDLE");
    let idle = harness.client.idle().unwrap();
    assert_eq!(harness.client.idle(), Err(ClientError::WrongState));
    assert_eq!(harness.take(), "A1 IDLE\r\n");
    assert_eq!(
        harness.feed(b"+ idling\r\n"),
        [ClientEvent::IdleStarted { id: idle }]
    );
    assert!(harness.client.is_idling());
    assert_eq!(
        harness.feed(b"* 4 EXISTS\r\n* 2 EXPUNGE\r\n"),
        [
            ClientEvent::Data {
                command: Some(idle),
                data: Data::Exists(4)
            },
            ClientEvent::Data {
                command: Some(idle),
                data: Data::Expunge(number(2))
            }
        ]
    );
    harness.client.idle_done().unwrap();
    assert_eq!(harness.client.idle_done(), Err(ClientError::NotIdling));
    assert_eq!(harness.take(), "DONE\r\n");
    let events = harness.feed(b"A1 OK IDLE terminated\r\n");
    assert_eq!(completed(&events), [(idle, State::Ok)]);
    assert_eq!(harness.client.idle_done(), Err(ClientError::NotIdling));
}

#[test]
fn idle_done_before_the_continuation_waits_for_it() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 IDLE");
    let idle = harness.client.idle().unwrap();
    harness.client.idle_done().unwrap();
    assert_eq!(harness.take(), "A1 IDLE\r\n");
    let events = harness.feed(b"+ idling\r\n");
    assert_eq!(events, [ClientEvent::IdleStarted { id: idle }]);
    assert_eq!(harness.take(), "DONE\r\n");
}

#[test]
fn idle_is_refreshed_before_thirty_minutes() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 IDLE");
    let idle = harness.client.idle().unwrap();
    harness.take();
    harness.feed(b"+ idling\r\n");
    // Updates do not extend the IDLE: it lasts 29 minutes from its start.
    harness.advance(Duration::from_secs(20 * 60));
    harness.feed(b"* 5 EXISTS\r\n");
    assert!(harness.advance(Duration::from_secs(8 * 60)).is_empty());
    assert_eq!(harness.take(), "");
    harness.advance(Duration::from_secs(60));
    assert_eq!(harness.take(), "DONE\r\n");
    let events = harness.feed(b"A1 OK done\r\n");
    assert_eq!(completed(&events), [(idle, State::Ok)]);
}

#[test]
fn idle_refused_by_the_server() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    assert_eq!(
        harness.client.idle(),
        Err(ClientError::NotOffered { capability: "IDLE" })
    );
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 IDLE");
    let idle = harness.client.idle().unwrap();
    harness.take();
    let events = harness.feed(b"A1 BAD no mailbox selected\r\n");
    assert_eq!(completed(&events), [(idle, State::Bad)]);
    assert!(!harness.client.is_idling());
}

#[test]
fn starttls_discards_and_reports_injected_responses() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 STARTTLS LOGINDISABLED");
    assert_eq!(
        harness.client.login("a", "b"),
        Err(ClientError::LoginDisabled)
    );
    let starttls = harness.client.starttls().unwrap();
    // Queued behind STARTTLS: must not leave before TLS.
    let capability = harness.client.capability().unwrap();
    assert_eq!(harness.take(), "A1 STARTTLS\r\n");
    let events = harness.feed(
        b"A1 OK Begin TLS negotiation now\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] forged\r\n",
    );
    assert_eq!(completed(&events), [(starttls, State::Ok)]);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(harness.client.transport(), Transport::StartTls);
    assert_eq!(harness.take(), "");
    // More plaintext before the handshake is discarded too.
    assert!(harness.feed(b"A2 OK forged\r\n").is_empty());
    harness.client.handle_tls_established(harness.now);
    assert!(harness.client.is_tls());
    assert_eq!(harness.client.capabilities(), None);
    assert_eq!(
        harness.events(),
        [ClientEvent::ProtocolError {
            error: ProtocolError::DataAfterStartTls { octets: 47 + 14 }
        }]
    );
    // Capabilities are asked again first, then the queued command leaves.
    assert_eq!(harness.take(), "A3 CAPABILITY\r\n");
    let events = harness.feed(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nA3 OK\r\n");
    assert!(matches!(
        events[0],
        ClientEvent::Capabilities { command: None, .. }
    ));
    assert!(harness
        .client
        .has_capability(&Capability::Auth(crate::types::Atom::new("PLAIN").unwrap())));
    assert_eq!(harness.take(), "A2 CAPABILITY\r\n");
    let events = harness.feed(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\nA2 OK\r\n");
    assert_eq!(completed(&events), [(capability, State::Ok)]);
    assert_eq!(harness.client.starttls(), Err(ClientError::TlsActive));
}

#[test]
fn authenticate_plain_with_and_without_sasl_ir() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 AUTH=PLAIN SASL-IR");
    let id = harness
        .client
        .authenticate_plain(None, "tim", "tanstaaftanstaaf")
        .unwrap();
    assert_eq!(
        harness.take(),
        "A1 AUTHENTICATE PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"
    );
    let events = harness.feed(b"A1 OK [CAPABILITY IMAP4rev1 IDLE] logged in\r\n");
    assert!(matches!(
        events[0],
        ClientEvent::Capabilities { command: Some(got), .. } if got == id
    ));
    assert_eq!(completed(&events), [(id, State::Ok)]);
    assert_eq!(harness.client.state(), ClientState::Authenticated);
    assert_eq!(harness.take(), "", "capabilities came with the OK");

    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 AUTH=PLAIN");
    let id = harness
        .client
        .authenticate_plain(Some("admin"), "tim", "secret")
        .unwrap();
    assert_eq!(harness.take(), "A1 AUTHENTICATE PLAIN\r\n");
    assert!(harness.feed(b"+ \r\n").is_empty());
    assert_eq!(harness.take(), "YWRtaW4AdGltAHNlY3JldA==\r\n");
    let events = harness.feed(b"A1 OK done\r\n");
    assert_eq!(completed(&events), [(id, State::Ok)]);
    // No capabilities in the OK: they are asked again.
    assert_eq!(harness.client.capabilities(), None);
    assert_eq!(harness.take(), "A2 CAPABILITY\r\n");

    // An untagged CAPABILITY during LOGIN is as good as the code.
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    let id = harness.client.login("tim", "secret").unwrap();
    harness.take();
    let events = harness.feed(b"* CAPABILITY IMAP4rev1 IDLE\r\nA1 OK logged in\r\n");
    assert_eq!(completed(&events), [(id, State::Ok)]);
    assert!(harness.client.has_capability(&Capability::Idle));
    assert_eq!(harness.take(), "");
}

#[test]
fn generic_sasl_steps_through_the_application() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 AUTH=CRAM-MD5");
    assert_eq!(
        harness.client.authenticate("SCRAM-SHA-1", None),
        Err(ClientError::MechanismNotOffered)
    );
    let id = harness.client.authenticate("cram-md5", None).unwrap();
    assert_eq!(harness.take(), "A1 AUTHENTICATE cram-md5\r\n");
    // RFC 2195's example challenge.
    let events =
        harness.feed(b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\nA1 OK\r\n");
    assert_eq!(
        events,
        [ClientEvent::SaslChallenge {
            id,
            challenge: b"<1896.697170952@postoffice.reston.mci.net>".to_vec()
        }]
    );
    // Nothing more is read until the application answers.
    assert!(!harness.client.wants_input() || harness.client.outstanding() == 1);
    assert_eq!(
        harness.client.sasl_cancel(CommandId(99)),
        Err(ClientError::UnknownCommand)
    );
    harness
        .client
        .sasl_respond(
            id,
            Secret::new(b"tim b913a602c7eda7a495b4e6e7334d3890".to_vec()),
        )
        .unwrap();
    // The OK carried no capabilities: they are asked again.
    assert_eq!(
        harness.take(),
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\nA2 CAPABILITY\r\n"
    );
    let events = harness.events();
    assert_eq!(completed(&events), [(id, State::Ok)]);
    assert_eq!(
        harness.client.sasl_respond(id, Secret::new(Vec::new())),
        Err(ClientError::UnknownCommand)
    );
}

#[test]
fn malformed_challenge_is_cancelled() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 AUTH=XTEST");
    let id = harness.client.authenticate("XTEST", None).unwrap();
    harness.take();
    let events = harness.feed(b"+ not base64!\r\n");
    assert_eq!(
        events,
        [ClientEvent::ProtocolError {
            error: ProtocolError::MalformedChallenge
        }]
    );
    assert_eq!(harness.take(), "*\r\n");
    let events = harness.feed(b"A1 BAD cancelled\r\n");
    assert_eq!(completed(&events), [(id, State::Bad)]);
}

fn fetch(uid: bool, set: SequenceSet) -> CommandBody<'static> {
    CommandBody::Fetch {
        uid,
        sequence_set: set,
        attributes: FetchAttributes::Attributes(NonEmpty::new(FetchAttribute::Flags)),
        modifiers: Vec::new(),
    }
}

fn one() -> SequenceSet {
    SequenceSet::single(number(1))
}

#[test]
fn pipelining_follows_the_ambiguity_rules() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    let client = &mut harness.client;
    // FETCH + STORE + SEARCH + CHECK: valid without waiting (RFC 3501 §5.5).
    client.send(fetch(false, one())).unwrap();
    client
        .send(CommandBody::Store {
            uid: false,
            sequence_set: one(),
            modifiers: Vec::new(),
            action: StoreAction::Add,
            silent: true,
            flags: vec![Flag::Seen],
        })
        .unwrap();
    client
        .send(CommandBody::Search {
            uid: false,
            return_options: None,
            charset: None,
            criteria: NonEmpty::new(SearchKey::Unseen),
        })
        .unwrap();
    client.send(CommandBody::Check).unwrap();
    // CHECK + FETCH: the FETCH waits.
    client.send(fetch(false, one())).unwrap();
    assert_eq!(
        harness.take(),
        "A1 FETCH 1 FLAGS\r\nA2 STORE 1 +FLAGS.SILENT (\\Seen)\r\nA3 SEARCH UNSEEN\r\nA4 CHECK\r\n"
    );
    harness.feed(b"A1 OK\r\nA2 OK\r\nA3 OK\r\n");
    assert_eq!(harness.take(), "");
    harness.feed(b"A4 OK\r\n");
    assert_eq!(harness.take(), "A5 FETCH 1 FLAGS\r\n");
    harness.feed(b"A5 OK\r\n");

    // COPY + COPY: invalid; UID commands do not use message numbers.
    let copy = || CommandBody::Copy {
        uid: false,
        sequence_set: one(),
        mailbox: Mailbox::try_from("Archive").unwrap(),
    };
    harness.client.send(copy()).unwrap();
    harness.client.send(fetch(true, one())).unwrap();
    harness.client.send(copy()).unwrap();
    assert_eq!(
        harness.take(),
        "A6 COPY 1 Archive\r\nA7 UID FETCH 1 FLAGS\r\n"
    );
    harness.feed(b"A6 OK\r\n");
    assert_eq!(harness.take(), "", "UID FETCH may be followed by EXPUNGE");
    harness.feed(b"A7 OK\r\n");
    assert_eq!(harness.take(), "A8 COPY 1 Archive\r\n");

    // Without pipelining every command waits.
    let mut serial = Harness::new(ClientConfig {
        pipelining: false,
        ..ClientConfig::default()
    });
    serial.greet("IMAP4rev1");
    serial.client.noop().unwrap();
    serial.client.noop().unwrap();
    assert_eq!(serial.take(), "A1 NOOP\r\n");
    serial.feed(b"A1 OK\r\n");
    assert_eq!(serial.take(), "A2 NOOP\r\n");
}

#[test]
fn examine_tracks_the_mailbox_and_its_updates() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 CONDSTORE");
    let examine = harness.client.examine("Sent").unwrap();
    assert_eq!(harness.take(), "A1 EXAMINE Sent\r\n");
    let events = harness.feed(
        b"* 3 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Deleted $Junk)\r\n\
          * OK [PERMANENTFLAGS ()] none\r\n* OK [UIDVALIDITY 42] ok\r\n\
          * OK [UIDNEXT 9] ok\r\n* OK [HIGHESTMODSEQ 715194045007] ok\r\n\
          A1 OK [READ-ONLY] EXAMINE completed\r\n",
    );
    assert_eq!(completed(&events), [(examine, State::Ok)]);
    assert!(events.iter().all(|event| match event {
        ClientEvent::Data { command, .. } => *command == Some(examine),
        _ => true,
    }));
    let mailbox = harness.client.mailbox().unwrap().clone();
    assert_eq!(harness.client.state(), ClientState::Selected);
    assert_eq!(mailbox.mailbox, Mailbox::try_from("Sent").unwrap());
    assert!(mailbox.read_only);
    assert_eq!(mailbox.exists, 3);
    assert_eq!(mailbox.recent, 0);
    assert_eq!(mailbox.flags.len(), 3);
    assert_eq!(mailbox.permanent_flags, Some(Vec::new()));
    assert_eq!(mailbox.uid_validity, Some(number(42)));
    assert_eq!(mailbox.uid_next, Some(number(9)));
    assert_eq!(
        mailbox.highest_mod_seq.map(|value| value.get()),
        Some(715_194_045_007)
    );
    // Unsolicited updates keep it current.
    let events = harness.feed(b"* 2 EXPUNGE\r\n* 5 EXISTS\r\n* VANISHED 3:4\r\n");
    assert!(events
        .iter()
        .all(|event| matches!(event, ClientEvent::Data { command: None, .. })));
    assert_eq!(harness.client.mailbox().unwrap().exists, 3);
    // A failed SELECT leaves no mailbox selected.
    let select = harness.client.select("Nope").unwrap();
    harness.take();
    let events = harness.feed(b"A2 NO [NONEXISTENT] no such mailbox\r\n");
    assert_eq!(completed(&events), [(select, State::No)]);
    assert_eq!(harness.client.mailbox(), None);
    assert_eq!(harness.client.state(), ClientState::Authenticated);
}

#[test]
fn close_deselects() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    harness.client.select("INBOX").unwrap();
    harness.feed(b"* 1 EXISTS\r\nA1 OK [READ-WRITE] done\r\n");
    assert!(!harness.client.mailbox().unwrap().read_only);
    harness.client.send(CommandBody::Close).unwrap();
    harness.feed(b"A2 OK closed\r\n");
    assert_eq!(harness.client.mailbox(), None);
    assert_eq!(harness.client.state(), ClientState::Authenticated);
}

#[test]
fn binary_content_with_nul_streams_in_chunks() {
    let config = ClientConfig {
        max_response_length: 1024,
        ..ClientConfig::default()
    };
    let mut harness = Harness::new(config);
    harness.greet("IMAP4rev1 BINARY");
    let id = harness.client.send(fetch(false, one())).unwrap();
    // A 1 MiB body through a 1 KiB response limit: never held.
    let body: Vec<u8> = (0..1024 * 1024).map(|index| (index % 251) as u8).collect();
    let mut events = harness.feed(b"* 1 FETCH (UID 8 BINARY[1] ~{1048576}\r\n");
    let mut received = Vec::new();
    for piece in body.chunks(4000) {
        for event in harness.feed(piece) {
            match event {
                ClientEvent::BodyChunk { chunk, .. } => received.extend_from_slice(&chunk),
                other => events.push(other),
            }
        }
    }
    events.extend(harness.feed(b" FLAGS (\\Seen))\r\nA1 OK\r\n"));
    assert_eq!(received, body);
    let item = BodyItem::Binary {
        part: vec![number(1)],
        origin: None,
    };
    assert_eq!(
        events,
        [
            ClientEvent::BodyStart {
                command: Some(id),
                sequence_number: number(1),
                item: item.clone(),
                length: 1024 * 1024
            },
            ClientEvent::BodyEnd {
                command: Some(id),
                sequence_number: number(1)
            },
            ClientEvent::Fetch {
                command: Some(id),
                sequence_number: number(1),
                items: vec![
                    MessageDataItem::Uid(number(8)),
                    MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)])
                ],
                streamed: vec![item]
            },
            ClientEvent::Completed {
                id,
                tag: Tag::new("A1").unwrap(),
                command: "FETCH",
                state: State::Ok,
                text: Default::default()
            }
        ]
    );
}

#[test]
fn quoted_and_nil_content_stay_in_the_fetch() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    harness.client.send(fetch(false, one())).unwrap();
    let events = harness.feed(
        b"* 1 FETCH (BODY[1] \"short\" BODY[2] NIL BODY[HEADER.FIELDS ({7}\r\nSUBJECT)] {0}\r\n)\r\n",
    );
    let ClientEvent::Fetch {
        items, streamed, ..
    } = &events[events.len() - 1]
    else {
        panic!("{events:?}");
    };
    assert_eq!(items.len(), 2);
    assert_eq!(streamed.len(), 1);
    assert!(matches!(
        &streamed[0],
        BodyItem::Section {
            section: Some(Section::HeaderFields(None, _)),
            ..
        }
    ));
    assert!(matches!(
        events[0],
        ClientEvent::BodyStart { length: 0, .. }
    ));
    assert!(matches!(events[1], ClientEvent::BodyEnd { .. }));
}

#[test]
fn malformed_responses_are_reported_and_skipped() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    let noop = harness.client.noop().unwrap();
    harness.take();
    let events = harness.feed(b"* 1 FETCH (FLAGS\r\nZ9 OK who?\r\n* 3 EXISTS\r\nA1 OK\r\n");
    assert!(matches!(
        events[0],
        ClientEvent::ProtocolError {
            error: ProtocolError::MalformedResponse(_)
        }
    ));
    assert_eq!(
        events[1],
        ClientEvent::ProtocolError {
            error: ProtocolError::UnknownTag
        }
    );
    assert!(matches!(
        events[2],
        ClientEvent::Data {
            data: Data::Exists(3),
            ..
        }
    ));
    assert_eq!(completed(&events), [(noop, State::Ok)]);
    assert!(!harness.client.is_closed());
    // No error message carries the server's bytes.
    for event in &events {
        if let ClientEvent::ProtocolError { error } = event {
            assert!(!error.to_string().contains("FLAGS"));
            assert!(!error.is_fatal());
        }
    }
}

fn fatal_case(config: ClientConfig, input: &[u8]) -> Vec<ClientEvent> {
    let mut harness = Harness::new(config);
    harness.greet("IMAP4rev1");
    let noop = harness.client.noop().unwrap();
    let events = harness.feed(input);
    assert_eq!(harness.client.transport(), Transport::Closed);
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed {
            reason: CloseReason::ProtocolError,
            unanswered: vec![noop]
        })
    );
    assert!(
        matches!(&events[events.len() - 2], ClientEvent::ProtocolError { error } if error.is_fatal())
    );
    events
}

#[test]
fn framing_violations_end_the_session() {
    let small = ClientConfig {
        max_line_length: 64,
        max_response_length: 128,
        ..ClientConfig::default()
    };
    fatal_case(
        small.clone(),
        format!("* OK {}\r\n", "x".repeat(100)).as_bytes(),
    );
    fatal_case(small.clone(), b"* LIST () \"/\" {200}\r\n");
    fatal_case(
        ClientConfig::default(),
        b"* 1 FETCH (BODY[] {4294967296}\r\n",
    );
    fatal_case(ClientConfig::default(), b"* LIST () \"/\" {4294967295}\r\n");
    fatal_case(ClientConfig::default(), b"* OK bare\n");
    fatal_case(ClientConfig::default(), b"* OK {3+}\r\nabc\r\n");
    // An over-long line is dropped while it arrives (mailwire-core's LineBuffer) and
    // reported when it ends.
    let mut harness = Harness::new(small);
    harness.greet("IMAP4rev1");
    harness.feed(b"* OK ");
    for _ in 0..100 {
        assert!(harness.feed(&[b'x'; 50]).is_empty());
    }
    let events = harness.feed(b"\r\n");
    assert_eq!(
        events[0],
        ClientEvent::ProtocolError {
            error: ProtocolError::LineTooLong { limit: 64 }
        }
    );
    assert!(harness.client.is_closed());
}

#[test]
fn greetings() {
    let mut harness = Harness::new(ClientConfig::default());
    let events = harness.feed(b"* PREAUTH [CAPABILITY IMAP4rev1] welcome back\r\n");
    assert!(matches!(
        events[0],
        ClientEvent::Greeting {
            kind: GreetingKind::PreAuth,
            ..
        }
    ));
    assert_eq!(harness.client.state(), ClientState::Authenticated);

    let mut harness = Harness::new(ClientConfig::default());
    let queued = harness.client.noop().unwrap();
    let events = harness.feed(b"* BYE [UNAVAILABLE] too busy\r\n");
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed {
            reason: CloseReason::Rejected,
            unanswered: vec![queued]
        })
    );
    assert_eq!(harness.take(), "");

    // No capabilities in the greeting: asked before anything else.
    let mut harness = Harness::new(ClientConfig::default());
    harness.client.noop().unwrap();
    harness.feed(b"* OK hello\r\n");
    assert_eq!(harness.take(), "A2 CAPABILITY\r\n");
    harness.feed(b"* CAPABILITY IMAP4rev1\r\nA2 OK\r\n");
    assert_eq!(harness.take(), "A1 NOOP\r\n");

    let mut harness = Harness::new(ClientConfig::default());
    let events = harness.feed(b"HELLO\r\n");
    assert!(matches!(
        events[0],
        ClientEvent::ProtocolError {
            error: ProtocolError::MalformedGreeting(_)
        }
    ));
    assert!(harness.client.is_closed());
}

#[test]
fn unsolicited_bye_then_close() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    let noop = harness.client.noop().unwrap();
    harness.take();
    let events = harness.feed(b"* BYE autologout\r\n");
    assert!(matches!(
        events[0],
        ClientEvent::Data {
            data: Data::Bye(_),
            ..
        }
    ));
    assert_eq!(harness.client.noop(), Err(ClientError::Closed));
    harness.client.handle_eof(harness.now);
    assert_eq!(
        harness.events(),
        [ClientEvent::Closed {
            reason: CloseReason::ServerBye,
            unanswered: vec![noop]
        }]
    );
}

#[test]
fn bye_without_close_is_bounded_by_the_response_timeout() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    harness.feed(b"* BYE going away\r\n");
    let events = harness.advance(DEFAULT_RESPONSE_TIMEOUT);
    assert_eq!(
        events,
        [ClientEvent::Closed {
            reason: CloseReason::ServerBye,
            unanswered: Vec::new()
        }]
    );
}

#[test]
fn timeouts_on_a_virtual_clock() {
    let limit = Duration::from_secs(60);
    let config = ClientConfig {
        response_timeout: Some(limit),
        ..ClientConfig::default()
    };
    // No greeting.
    let mut harness = Harness::new(config.clone());
    assert_eq!(harness.client.poll_timeout(), Some(harness.now + limit));
    assert!(harness.advance(limit - Duration::from_secs(1)).is_empty());
    let events = harness.advance(Duration::from_secs(1));
    assert!(matches!(
        events[0],
        ClientEvent::Closed {
            reason: CloseReason::TimedOut,
            ..
        }
    ));

    // Nothing outstanding: no timer. A command arms it; progress restarts it.
    let mut harness = Harness::new(config);
    harness.greet("IMAP4rev1");
    assert_eq!(harness.client.poll_timeout(), None);
    harness.advance(Duration::from_secs(600));
    let noop = harness.client.noop().unwrap();
    harness.settle();
    assert_eq!(harness.client.poll_timeout(), Some(harness.now + limit));
    harness.advance(Duration::from_secs(50));
    harness.feed(b"* 1 EXI");
    assert_eq!(harness.client.poll_timeout(), Some(harness.now + limit));
    assert!(harness.advance(Duration::from_secs(59)).is_empty());
    let events = harness.advance(Duration::from_secs(1));
    assert_eq!(
        events,
        [ClientEvent::Closed {
            reason: CloseReason::TimedOut,
            unanswered: vec![noop]
        }]
    );
}

#[test]
fn enable_utf8_changes_the_encoding() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 ENABLE UTF8=ACCEPT");
    harness.client.select("Entwürfe").unwrap();
    assert_eq!(harness.take(), "A1 SELECT Entw&APw-rfe\r\n");
    harness.feed(b"A1 OK\r\n");
    let enable = harness
        .client
        .enable(NonEmpty::new(Capability::Utf8Accept))
        .unwrap();
    harness.client.select("Entwürfe").unwrap();
    assert_eq!(harness.take(), "A2 ENABLE UTF8=ACCEPT\r\n");
    let events = harness.feed(b"* ENABLED UTF8=ACCEPT\r\nA2 OK\r\n");
    assert_eq!(completed(&events), [(enable, State::Ok)]);
    assert_eq!(harness.client.enabled(), [Capability::Utf8Accept]);
    assert_eq!(harness.take(), "A3 SELECT \"Entwürfe\"\r\n");
    // Without ENABLE offered the command is refused.
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1");
    assert_eq!(
        harness.client.enable(NonEmpty::new(Capability::CondStore)),
        Err(ClientError::NotOffered {
            capability: "ENABLE"
        })
    );
}

#[test]
fn esearch_is_attributed_by_its_tag() {
    let mut harness = Harness::new(ClientConfig::default());
    harness.greet("IMAP4rev1 ESEARCH");
    let search = |uid| CommandBody::Search {
        uid,
        return_options: Some(Vec::new()),
        charset: None,
        criteria: NonEmpty::new(SearchKey::All),
    };
    let first = harness.client.send(search(true)).unwrap();
    let second = harness.client.send(search(true)).unwrap();
    assert_eq!(
        harness.take(),
        "A1 UID SEARCH RETURN () ALL\r\nA2 UID SEARCH RETURN () ALL\r\n"
    );
    let events = harness.feed(b"* ESEARCH (TAG \"A2\") UID ALL 1:3\r\n");
    assert!(matches!(events[0], ClientEvent::Data { command: Some(id), .. } if id == second));
    let events = harness.feed(b"* ESEARCH (TAG \"A1\") UID\r\n");
    assert!(matches!(events[0], ClientEvent::Data { command: Some(id), .. } if id == first));
}

#[test]
fn commands_refused_by_the_machine() {
    let mut harness = Harness::with_tags(ClientConfig::default(), &["t", "t"]);
    harness.greet("IMAP4rev1");
    harness.client.noop().unwrap();
    assert_eq!(harness.client.noop(), Err(ClientError::DuplicateTag));
    assert_eq!(
        harness.client.send(CommandBody::Compress {
            algorithm: crate::types::Atom::new("DEFLATE").unwrap()
        }),
        Err(ClientError::Unsupported {
            command: "COMPRESS"
        })
    );
    assert!(matches!(
        harness.client.login("a\0b", "c"),
        Err(ClientError::Invalid(_))
    ));
    assert!(matches!(
        harness.client.authenticate_plain(None, "a", "b\0"),
        Err(ClientError::Invalid(_))
    ));
    assert_eq!(
        harness.client.starttls(),
        Err(ClientError::NotOffered {
            capability: "STARTTLS"
        })
    );
    let mut implicit = Harness::new(ClientConfig {
        implicit_tls: true,
        ..ClientConfig::default()
    });
    assert!(implicit.client.is_tls());
    assert_eq!(implicit.client.starttls(), Err(ClientError::TlsActive));
    implicit.greet("IMAP4rev1");
    implicit.client.logout().unwrap();
    assert_eq!(implicit.client.noop(), Err(ClientError::LoggingOut));
}

#[test]
fn event_chunks_borrow_nothing() {
    // Events own their data ('static) and can outlive the machine.
    let events = {
        let mut harness = Harness::new(ClientConfig::default());
        harness.greet("IMAP4rev1");
        harness.client.send(fetch(false, one())).unwrap();
        harness.feed(b"* 1 FETCH (RFC822 {2}\r\nhi)\r\n")
    };
    assert!(events.contains(&ClientEvent::BodyChunk {
        command: Some(CommandId(1)),
        sequence_number: number(1),
        chunk: Bytes::from_static(b"hi")
    }));
}
