//! Our client machine against our server machine, in memory, on a virtual clock: no
//! sockets, no threads. A small application answers the server's events from an
//! in-memory mailbox. Covered: literals both ways (synchronizing and LITERAL+),
//! AUTHENTICATE (PLAIN with and without SASL-IR, a mechanism stepped by both
//! applications), IDLE with a pushed update, STARTTLS with a response injected before
//! the handshake, pipelining, the client's literal limit, the server's autologout, the
//! client's response timeout, and the same events whatever the transfer sizes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use mailwire_core::{Secret, Session, Transport};
use mailwire_imap::client::{
    BodyItem, Client, ClientConfig, ClientEvent, CloseReason, CommandId, ProtocolError,
};
use mailwire_imap::codec::NonSyncLiterals;
use mailwire_imap::server::{CleartextLogin, Server, ServerConfig, ServerEvent};
use mailwire_imap::types::{
    AppendData, AppendMessage, Atom, Capability, Code, CommandBody, Data, FetchAttribute,
    FetchAttributes, Flag, FlagFetch, IString, Mailbox, MessageDataItem, NonEmpty, ResponseText,
    SequenceSet, State,
};

/// The server's application: one mailbox of messages, logins `user`/`pass`, a test SASL
/// mechanism `X-TEST` (challenge "who?", answer "me").
#[derive(Default)]
struct Store {
    messages: Vec<Vec<u8>>,
    appending: Vec<u8>,
    idle: Option<mailwire_imap::server::CommandId>,
    /// Commands the application leaves unanswered (to test the client's timeout).
    ignore_noop: bool,
}

impl Store {
    fn answer(&mut self, server: &mut Server, now: Instant, event: ServerEvent) {
        match event {
            ServerEvent::Login {
                id, credentials, ..
            } => {
                if credentials.username == "user" && credentials.password.expose() == "pass" {
                    server.ok(now, id, "welcome").unwrap();
                } else {
                    server
                        .no(now, id, Some(Code::AuthenticationFailed), "no")
                        .unwrap();
                }
            }
            ServerEvent::Authenticate { id, mechanism, .. } => {
                assert_eq!(mechanism.as_str(), "X-TEST");
                server.sasl_challenge(now, id, b"who?").unwrap();
            }
            ServerEvent::SaslResponse { id, response } => {
                if response.expose() == b"me" {
                    server.ok(now, id, "it is you").unwrap();
                } else {
                    server.no(now, id, None, "who are you").unwrap();
                }
            }
            ServerEvent::AppendMessage { id, .. } => {
                self.appending.clear();
                server.accept_append(now, id).unwrap();
            }
            ServerEvent::AppendData { chunk, .. } => self.appending.extend_from_slice(&chunk),
            ServerEvent::AppendDone { id, .. } => {
                self.messages.push(std::mem::take(&mut self.appending));
                let count = self.messages.len() as u32;
                let appended = ResponseText {
                    code: Some(Code::AppendUid {
                        uid_validity: NonZeroU32::new(7).unwrap(),
                        uids: mailwire_imap::types::UidSet::single(NonZeroU32::new(count).unwrap()),
                    }),
                    text: "appended".to_owned().try_into().unwrap(),
                };
                server.complete(now, id, State::Ok, appended).unwrap();
            }
            ServerEvent::Idle { id, .. } => self.idle = Some(id),
            ServerEvent::IdleDone { .. } => self.idle = None,
            ServerEvent::Command { id, command, .. } => self.command(server, now, id, command),
            _ => {}
        }
    }

    fn command(
        &mut self,
        server: &mut Server,
        now: Instant,
        id: mailwire_imap::server::CommandId,
        command: CommandBody<'static>,
    ) {
        let count = self.messages.len() as u32;
        match command {
            CommandBody::Select { .. } | CommandBody::Examine { .. } => {
                server.send_data(id, &Data::Exists(count)).unwrap();
                server
                    .send_data(id, &Data::Flags(vec![Flag::Seen, Flag::Deleted]))
                    .unwrap();
                let validity = Data::State {
                    state: State::Ok,
                    text: ResponseText {
                        code: Some(Code::UidValidity(NonZeroU32::new(7).unwrap())),
                        text: "ok".to_owned().try_into().unwrap(),
                    },
                };
                server.send_data(id, &validity).unwrap();
                server.ok(now, id, "selected").unwrap();
            }
            CommandBody::Fetch {
                sequence_set,
                attributes,
                ..
            } => {
                for number in 1..=count {
                    if !sequence_set.contains(number, count) {
                        continue;
                    }
                    let content = &self.messages[number as usize - 1];
                    let items: Vec<MessageDataItem<'static>> = attributes
                        .expand()
                        .iter()
                        .filter_map(|attribute| match attribute {
                            FetchAttribute::Uid => {
                                Some(MessageDataItem::Uid(NonZeroU32::new(number).unwrap()))
                            }
                            FetchAttribute::Flags => {
                                Some(MessageDataItem::Flags(vec![FlagFetch::Flag(Flag::Seen)]))
                            }
                            FetchAttribute::BodySection { section: None, .. } => {
                                Some(MessageDataItem::BodySection {
                                    section: None,
                                    origin: None,
                                    data: Some(IString::new(content.clone()).unwrap()),
                                })
                            }
                            _ => None,
                        })
                        .collect();
                    let data = Data::Fetch {
                        sequence_number: NonZeroU32::new(number).unwrap(),
                        items: NonEmpty::try_from(items).unwrap(),
                    };
                    server.send_data(id, &data).unwrap();
                }
                server.ok(now, id, "fetched").unwrap();
            }
            CommandBody::Noop if self.ignore_noop => {}
            _ => server.ok(now, id, "done").unwrap(),
        }
    }
}

/// Both machines, the wire between them, and the application.
struct Pair {
    client: Client,
    server: Server,
    store: Store,
    now: Instant,
    events: Vec<ClientEvent>,
    /// At most this many octets move per transfer (to vary the chunking).
    transfer: usize,
    /// Octets "a man in the middle" adds after the server's STARTTLS completion.
    inject_after_starttls: Option<Vec<u8>>,
    client_to_server: Vec<u8>,
    server_to_client: Vec<u8>,
}

fn server_config() -> ServerConfig {
    ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        auth_mechanisms: vec![Atom::new("PLAIN").unwrap(), Atom::new("X-TEST").unwrap()],
        capabilities: vec![Capability::UidPlus],
        ..ServerConfig::default()
    }
}

impl Pair {
    fn new(client: ClientConfig, server: ServerConfig) -> Self {
        let now = Instant::now();
        Pair {
            client: Client::new(client, now),
            server: Server::new(server, now),
            store: Store::default(),
            now,
            events: Vec::new(),
            transfer: usize::MAX,
            inject_after_starttls: None,
            client_to_server: Vec::new(),
            server_to_client: Vec::new(),
        }
    }

    /// Moves octets and decisions until nothing happens any more.
    fn pump(&mut self) {
        for _ in 0..1_000_000 {
            let mut progressed = false;
            while self.client.poll_transmit(&mut self.client_to_server) > 0 {}
            if !self.client_to_server.is_empty() && self.server.transport() == Transport::Open {
                let count = self.transfer.min(self.client_to_server.len());
                let chunk: Vec<u8> = self.client_to_server.drain(..count).collect();
                self.server.handle_input(self.now, &chunk);
                progressed = true;
            }
            while let Some(event) = self.server.poll_event() {
                self.store.answer(&mut self.server, self.now, event);
                progressed = true;
            }
            let before = self.server_to_client.len();
            while self.server.poll_transmit(&mut self.server_to_client) > 0 {}
            if self.server.transport() == Transport::StartTls
                && self.server_to_client.len() > before
            {
                if let Some(injected) = self.inject_after_starttls.take() {
                    self.server_to_client.extend_from_slice(&injected);
                }
            }
            if !self.server_to_client.is_empty() {
                let count = self.transfer.min(self.server_to_client.len());
                let chunk: Vec<u8> = self.server_to_client.drain(..count).collect();
                self.client.handle_input(self.now, &chunk);
                progressed = true;
            }
            while let Some(event) = self.client.poll_event() {
                self.events.push(event);
                progressed = true;
            }
            if self.client.transport() == Transport::StartTls
                && self.server.transport() == Transport::StartTls
                && self.server_to_client.is_empty()
            {
                // The handshake, done by the transports.
                self.client_to_server.clear();
                self.server.handle_tls_established(self.now);
                self.client.handle_tls_established(self.now);
                progressed = true;
            }
            if self.client.transport() == Transport::Closed
                && self.client_to_server.is_empty()
                && self.server.transport() == Transport::Open
            {
                self.server.handle_eof(self.now);
            }
            if self.server.transport() == Transport::Closed
                && self.server_to_client.is_empty()
                && self.client.transport() != Transport::Closed
            {
                self.client.handle_eof(self.now);
                progressed = true;
            }
            if !progressed {
                return;
            }
        }
        panic!("the machines do not settle");
    }

    /// Moves the virtual clock; fires whichever timers are due.
    fn advance(&mut self, by: Duration) {
        self.pump();
        let target = self.now + by;
        loop {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .filter(|at| *at <= target)
                .min();
            let Some(at) = next else { break };
            self.now = at.max(self.now);
            if self
                .client
                .poll_timeout()
                .is_some_and(|due| due <= self.now)
            {
                self.client.handle_timeout(self.now);
            }
            if self
                .server
                .poll_timeout()
                .is_some_and(|due| due <= self.now)
            {
                self.server.handle_timeout(self.now);
            }
            self.pump();
        }
        self.now = target;
    }

    fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.events)
    }

    fn completion(&self, id: CommandId) -> Option<(State, ResponseText<'static>)> {
        self.events.iter().find_map(|event| match event {
            ClientEvent::Completed {
                id: got,
                state,
                text,
                ..
            } if *got == id => Some((*state, text.clone())),
            _ => None,
        })
    }

    fn assert_ok(&self, id: CommandId) {
        let completion = self.completion(id);
        assert!(
            matches!(completion, Some((State::Ok, _))),
            "{completion:?}: {:#?}",
            self.events
        );
    }

    fn login(&mut self) {
        let id = self.client.login("user", "pass").unwrap();
        self.pump();
        self.assert_ok(id);
    }
}

fn append(message: &[u8]) -> CommandBody<'static> {
    CommandBody::Append {
        mailbox: Mailbox::inbox(),
        messages: NonEmpty::new(AppendMessage {
            flags: vec![Flag::Seen],
            date: None,
            data: AppendData::Literal(IString::new(message.to_vec()).unwrap()),
        }),
    }
}

fn fetch_bodies() -> CommandBody<'static> {
    CommandBody::Fetch {
        uid: false,
        sequence_set: SequenceSet::all(),
        attributes: FetchAttributes::Attributes(
            NonEmpty::try_from(vec![
                FetchAttribute::Uid,
                FetchAttribute::BodySection {
                    peek: true,
                    section: None,
                    partial: None,
                },
            ])
            .unwrap(),
        ),
        modifiers: Vec::new(),
    }
}

/// The content streamed for each message number, in order.
fn bodies(events: &[ClientEvent]) -> Vec<(u32, Vec<u8>)> {
    let mut result: Vec<(u32, Vec<u8>)> = Vec::new();
    for event in events {
        match event {
            ClientEvent::BodyStart {
                sequence_number,
                item,
                ..
            } => {
                assert_eq!(
                    item,
                    &BodyItem::Section {
                        section: None,
                        origin: None
                    }
                );
                result.push((sequence_number.get(), Vec::new()));
            }
            ClientEvent::BodyChunk { chunk, .. } => {
                result.last_mut().unwrap().1.extend_from_slice(chunk)
            }
            _ => {}
        }
    }
    result
}

fn message(number: usize, size: usize) -> Vec<u8> {
    let mut message = format!("Subject: message {number}\r\n\r\n").into_bytes();
    while message.len() + 2 < size {
        message.push(b'a' + (message.len() % 26) as u8);
        if message.len() % 70 == 0 {
            message.extend_from_slice(b"\r\n");
        }
    }
    message.extend_from_slice(b"\r\n");
    message
}

#[test]
fn literals_both_ways_synchronizing_and_literal_plus() {
    for literals in [
        NonSyncLiterals::Forbidden,
        NonSyncLiterals::Minus,
        NonSyncLiterals::Plus,
    ] {
        let mut pair = Pair::new(
            ClientConfig::default(),
            ServerConfig {
                non_sync_literals: literals,
                ..server_config()
            },
        );
        pair.login();
        let messages = [message(1, 300), message(2, 70_000)];
        let ids: Vec<CommandId> = messages
            .iter()
            .map(|content| pair.client.send(append(content)).unwrap())
            .collect();
        pair.pump();
        for id in &ids {
            pair.assert_ok(*id);
        }
        assert_eq!(pair.store.messages, messages, "{literals:?}");
        let select = pair.client.select("INBOX").unwrap();
        let fetch = pair.client.send(fetch_bodies()).unwrap();
        pair.pump();
        pair.assert_ok(select);
        pair.assert_ok(fetch);
        assert_eq!(pair.client.mailbox().unwrap().exists, 2);
        assert_eq!(
            bodies(&pair.events),
            [(1, messages[0].clone()), (2, messages[1].clone())]
        );
    }
}

#[test]
fn authenticate_plain_and_a_stepped_mechanism() {
    for sasl_ir in [true, false] {
        let mut pair = Pair::new(
            ClientConfig::default(),
            ServerConfig {
                sasl_ir,
                ..server_config()
            },
        );
        pair.pump();
        let wrong = pair
            .client
            .authenticate_plain(None, "user", "wrong")
            .unwrap();
        pair.pump();
        assert!(matches!(
            pair.completion(wrong),
            Some((
                State::No,
                ResponseText {
                    code: Some(Code::AuthenticationFailed),
                    ..
                }
            ))
        ));
        let right = pair
            .client
            .authenticate_plain(Some("user"), "user", "pass")
            .unwrap();
        pair.pump();
        pair.assert_ok(right);
        assert!(pair.client.has_capability(&Capability::Idle));
    }

    let mut pair = Pair::new(ClientConfig::default(), server_config());
    pair.pump();
    let id = pair.client.authenticate("X-TEST", None).unwrap();
    pair.pump();
    assert!(pair.take_events().contains(&ClientEvent::SaslChallenge {
        id,
        challenge: b"who?".to_vec()
    }));
    pair.client
        .sasl_respond(id, Secret::new(b"me".to_vec()))
        .unwrap();
    pair.pump();
    pair.assert_ok(id);
}

#[test]
fn idle_receives_a_pushed_update() {
    let mut pair = Pair::new(ClientConfig::default(), server_config());
    pair.login();
    pair.client.select("INBOX").unwrap();
    pair.pump();
    let idle = pair.client.idle().unwrap();
    pair.pump();
    assert!(pair
        .take_events()
        .contains(&ClientEvent::IdleStarted { id: idle }));
    assert!(pair.store.idle.is_some());
    pair.server.push(&Data::Exists(1)).unwrap();
    pair.pump();
    assert_eq!(
        pair.take_events(),
        [ClientEvent::Data {
            command: Some(idle),
            data: Data::Exists(1)
        }]
    );
    assert_eq!(pair.client.mailbox().unwrap().exists, 1);
    pair.client.idle_done().unwrap();
    pair.pump();
    pair.assert_ok(idle);
    assert!(pair.store.idle.is_none());
}

#[test]
fn starttls_with_an_injected_response() {
    let mut pair = Pair::new(
        ClientConfig::default(),
        ServerConfig {
            starttls: true,
            cleartext_login: CleartextLogin::RequireTls,
            ..server_config()
        },
    );
    let forged = b"* CAPABILITY IMAP4rev1 AUTH=FORGED\r\n".to_vec();
    pair.inject_after_starttls = Some(forged.clone());
    pair.pump();
    assert!(pair.client.has_capability(&Capability::LoginDisabled));
    let starttls = pair.client.starttls().unwrap();
    let login = pair.client.login("user", "pass");
    assert!(login.is_err(), "LOGINDISABLED before TLS");
    pair.pump();
    pair.assert_ok(starttls);
    assert!(pair.client.is_tls());
    assert!(pair.server.is_tls_active());
    assert!(pair.events.contains(&ClientEvent::ProtocolError {
        error: ProtocolError::DataAfterStartTls {
            octets: forged.len()
        }
    }));
    // The capabilities are the server's real ones, asked over TLS.
    let capabilities = pair.client.capabilities().unwrap();
    assert!(!capabilities.iter().any(
        |capability| matches!(capability, Capability::Auth(name) if name.as_str() == "FORGED")
    ));
    assert!(!pair.client.has_capability(&Capability::LoginDisabled));
    pair.login();
}

#[test]
fn pipelined_commands_complete_in_order() {
    let mut pair = Pair::new(ClientConfig::default(), server_config());
    pair.login();
    for number in 1..=3 {
        let id = pair.client.send(append(&message(number, 100))).unwrap();
        let _ = id;
    }
    pair.pump();
    pair.client.select("INBOX").unwrap();
    pair.pump();
    pair.take_events();
    let ids: Vec<CommandId> = (0..4)
        .map(|_| pair.client.send(fetch_bodies()).unwrap())
        .collect();
    // All four leave in one flight.
    let mut flight = Vec::new();
    while pair.client.poll_transmit(&mut flight) > 0 {}
    assert_eq!(
        flight.iter().filter(|&&byte| byte == b'\n').count(),
        4,
        "{}",
        String::from_utf8_lossy(&flight)
    );
    pair.client_to_server.extend_from_slice(&flight);
    pair.pump();
    let order: Vec<CommandId> = pair
        .events
        .iter()
        .filter_map(|event| match event {
            ClientEvent::Completed { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(order, ids);
    // Each FETCH's responses are attributed to it.
    for id in &ids {
        let fetched = pair
            .events
            .iter()
            .filter(|event| matches!(event, ClientEvent::Fetch { command, .. } if *command == Some(*id)))
            .count();
        assert_eq!(fetched, 3);
    }
}

#[test]
fn the_client_refuses_a_literal_beyond_its_limit() {
    let mut pair = Pair::new(
        ClientConfig {
            max_streamed_literal: 1000,
            ..ClientConfig::default()
        },
        server_config(),
    );
    pair.login();
    pair.client.send(append(&message(1, 5000))).unwrap();
    pair.client.select("INBOX").unwrap();
    let fetch = pair.client.send(fetch_bodies()).unwrap();
    pair.pump();
    assert!(pair.events.contains(&ClientEvent::ProtocolError {
        error: ProtocolError::LiteralTooLarge {
            length: 5000,
            limit: 1000
        }
    }));
    assert!(pair.events.contains(&ClientEvent::Closed {
        reason: CloseReason::ProtocolError,
        unanswered: vec![fetch]
    }));
    assert!(bodies(&pair.events).is_empty());
}

#[test]
fn server_autologout_reaches_the_client() {
    let mut pair = Pair::new(
        ClientConfig {
            response_timeout: None,
            ..ClientConfig::default()
        },
        ServerConfig {
            unauthenticated_timeout: Duration::from_secs(60),
            ..server_config()
        },
    );
    pair.pump();
    pair.take_events();
    pair.advance(Duration::from_secs(61));
    let events = pair.take_events();
    assert!(
        matches!(
            events.first(),
            Some(ClientEvent::Data {
                command: None,
                data: Data::Bye(_)
            })
        ),
        "{events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed {
            reason: CloseReason::ServerBye,
            unanswered: Vec::new()
        })
    );
}

#[test]
fn the_client_times_out_a_silent_server() {
    let mut pair = Pair::new(
        ClientConfig {
            response_timeout: Some(Duration::from_secs(30)),
            ..ClientConfig::default()
        },
        server_config(),
    );
    pair.login();
    pair.store.ignore_noop = true;
    let noop = pair.client.noop().unwrap();
    pair.advance(Duration::from_secs(29));
    assert!(!pair.client.is_closed());
    pair.advance(Duration::from_secs(1));
    assert!(pair.events.contains(&ClientEvent::Closed {
        reason: CloseReason::TimedOut,
        unanswered: vec![noop]
    }));
}

/// A whole session with every transfer limited to `transfer` octets.
fn session_events(transfer: usize) -> Vec<ClientEvent> {
    let mut pair = Pair::new(ClientConfig::default(), server_config());
    pair.transfer = transfer;
    pair.login();
    pair.client.send(append(&message(1, 3000))).unwrap();
    pair.client.send(append(&message(2, 10))).unwrap();
    pair.client.select("INBOX").unwrap();
    pair.client.send(fetch_bodies()).unwrap();
    let idle = pair.client.idle().unwrap();
    pair.pump();
    pair.server.push(&Data::Exists(3)).unwrap();
    pair.pump();
    pair.client.idle_done().unwrap();
    pair.client.logout().unwrap();
    pair.pump();
    pair.assert_ok(idle);
    assert_eq!(pair.client.transport(), Transport::Closed);
    // Body chunks follow the transfers; their concatenation does not.
    let mut merged: Vec<ClientEvent> = Vec::new();
    for event in pair.events {
        if let (
            ClientEvent::BodyChunk { chunk, .. },
            Some(ClientEvent::BodyChunk {
                chunk: previous, ..
            }),
        ) = (&event, merged.last_mut())
        {
            let mut joined = previous.to_vec();
            joined.extend_from_slice(chunk);
            *previous = joined.into();
            continue;
        }
        merged.push(event);
    }
    merged
}

#[test]
fn events_do_not_depend_on_transfer_sizes() {
    let whole = session_events(usize::MAX);
    assert!(whole.len() > 20);
    assert!(whole.iter().any(|event| matches!(
        event,
        ClientEvent::Fetch { items, .. } if items.iter().any(|item| matches!(item, MessageDataItem::Uid(_)))
    )));
    for transfer in [1, 2, 3, 17, 100, 1000] {
        assert_eq!(session_events(transfer), whole, "transfer {transfer}");
    }
}
