//! The client machine against the server machine in memory, on a virtual clock.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::{Duration, Instant};

use common::{sample_message, Store, StoreApp};
use mailwire_core::{Session, Transport};
use mailwire_pop3::client::{Client, ClientCloseReason, ClientConfig, ClientEvent, CommandId};
use mailwire_pop3::server::{CleartextLogin, CloseReason, Server, ServerConfig, ServerEvent};
use mailwire_pop3::types::{ApopTimestamp, Command, CommandName, MessageNumber};

struct Pair {
    client: Client,
    server: Server,
    app: StoreApp,
    now: Instant,
    client_events: Vec<ClientEvent>,
    server_events: Vec<ServerEvent>,
    /// Bytes the client sent, for inspection.
    client_wire: Vec<u8>,
}

impl Pair {
    fn new(config: ServerConfig, store: std::sync::Arc<std::sync::Mutex<Store>>) -> Self {
        let now = Instant::now();
        let timestamp = ApopTimestamp::generate(42, 1_700_000_000, "pop.test").unwrap();
        Pair {
            client: Client::new(ClientConfig::default(), now),
            server: Server::with_apop(config, now, timestamp),
            app: StoreApp::new(store),
            now,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_wire: Vec::new(),
        }
    }

    /// Moves bytes and answers server events until nothing moves.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            let mut to_server = Vec::new();
            while self.client.poll_transmit(&mut to_server) > 0 {}
            if !to_server.is_empty() && self.server.transport() == Transport::Open {
                moved = true;
                self.client_wire.extend_from_slice(&to_server);
                self.server.handle_input(self.now, &to_server);
            }
            let mut to_client = Vec::new();
            while self.server.poll_transmit(&mut to_client) > 0 {}
            if !to_client.is_empty() {
                moved = true;
                self.client.handle_input(self.now, &to_client);
            }
            while let Some(event) = self.server.poll_event() {
                moved = true;
                self.server_events.push(event.clone());
                self.app.handle(&mut self.server, self.now, event);
            }
            while let Some(event) = self.client.poll_event() {
                self.client_events.push(event);
            }
            if self.server.transport() == Transport::StartTls
                && self.client.transport() == Transport::StartTls
            {
                // The "handshake".
                self.server.handle_tls_established(self.now);
                self.client.handle_tls_established(self.now);
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }

    fn body_of(&self, id: CommandId) -> Vec<u8> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::MessageData { id: got, chunk } if *got == id => Some(chunk.to_vec()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn has(&self, wanted: impl Fn(&ClientEvent) -> bool) -> bool {
        self.client_events.iter().any(wanted)
    }
}

fn open_config() -> ServerConfig {
    ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        ..ServerConfig::default()
    }
}

fn n(number: u32) -> MessageNumber {
    MessageNumber::new(number).unwrap()
}

#[test]
fn retrieves_dot_stuffed_messages_byte_for_byte() {
    let messages = vec![
        sample_message("one"),
        b".\r\n..\r\n.x\r\n".to_vec(),
        Vec::new(),
    ];
    let store = Store::with_user("bob", "pw", messages.clone());
    let mut pair = Pair::new(open_config(), store);
    pair.client.login("bob", "pw").unwrap();
    let ids: Vec<CommandId> = (1..=3)
        .map(|i| pair.client.send(Command::Retr(n(i))).unwrap())
        .collect();
    let top = pair
        .client
        .send(Command::Top {
            message: n(1),
            lines: 2,
        })
        .unwrap();
    pair.pump();
    for (id, expected) in ids.iter().zip(&messages) {
        assert_eq!(&pair.body_of(*id), expected);
        assert!(pair.has(|e| *e == ClientEvent::MessageEnd { id: *id }));
    }
    assert_eq!(pair.body_of(top), common::top_of(&messages[0], 2));
    assert!(pair.body_of(top).ends_with(b".leading dot\r\n"));
}

#[test]
fn pipelining_after_capa_keeps_order() {
    let store = Store::with_user("bob", "pw", vec![sample_message("a"), sample_message("b")]);
    let mut pair = Pair::new(open_config(), store);
    pair.client.send(Command::Capa).unwrap();
    pair.pump();
    assert!(pair.client.server_pipelining());
    // All of this leaves in one write and is answered in order.
    pair.client_wire.clear();
    let (user, pass) = pair.client.login("bob", "pw").unwrap();
    let stat = pair.client.send(Command::Stat).unwrap();
    let uidl = pair.client.send(Command::Uidl(None)).unwrap();
    let retr = pair.client.send(Command::Retr(n(2))).unwrap();
    let list = pair.client.send(Command::List(Some(n(1)))).unwrap();
    let mut first_write = Vec::new();
    while pair.client.poll_transmit(&mut first_write) > 0 {}
    assert_eq!(
        first_write,
        b"USER bob\r\nPASS pw\r\nSTAT\r\nUIDL\r\nRETR 2\r\nLIST 1\r\n"
    );
    pair.server.handle_input(pair.now, &first_write);
    pair.pump();
    let order: Vec<CommandId> = pair
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Ok { id, .. }
            | ClientEvent::Stat { id, .. }
            | ClientEvent::ListingEnd { id }
            | ClientEvent::MessageEnd { id }
            | ClientEvent::ScanListing { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec![user, pass, stat, uidl, retr, list]);
    assert_eq!(pair.body_of(retr), sample_message("b"));
}

#[test]
fn deletion_happens_only_at_quit() {
    let store = Store::with_user("bob", "pw", vec![sample_message("a"), sample_message("b")]);
    // A session that marks and then drops the connection removes nothing.
    let mut pair = Pair::new(open_config(), store.clone());
    pair.client.login("bob", "pw").unwrap();
    pair.client.send(Command::Dele(n(1))).unwrap();
    pair.pump();
    assert!(pair.has(|e| matches!(
        e,
        ClientEvent::Ok {
            command: CommandName::Dele,
            ..
        }
    )));
    pair.server.handle_eof(pair.now);
    pair.client.handle_eof(pair.now);
    pair.pump();
    assert_eq!(store.lock().unwrap().users["bob"].1.len(), 2);
    // RSET unmarks; a marked message refuses RETR; QUIT removes the marks.
    let mut pair = Pair::new(open_config(), store.clone());
    pair.client.login("bob", "pw").unwrap();
    pair.client.send(Command::Dele(n(1))).unwrap();
    pair.client.send(Command::Rset).unwrap();
    pair.client.send(Command::Dele(n(2))).unwrap();
    let retr = pair.client.send(Command::Retr(n(2))).unwrap();
    let stat = pair.client.send(Command::Stat).unwrap();
    pair.client.send(Command::Quit).unwrap();
    pair.pump();
    assert!(pair.has(|e| matches!(e, ClientEvent::Err { id, .. } if *id == retr)));
    assert!(pair.has(
        |e| matches!(e, ClientEvent::Stat { id, listing } if *id == stat && listing.count == 1)
    ));
    assert!(pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::Update { deleted, .. } if *deleted == vec![n(2)])));
    assert!(pair.has(|e| *e
        == ClientEvent::Closed {
            reason: ClientCloseReason::Quit
        }));
    let left = &store.lock().unwrap().users["bob"].1;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].unique_id, "uid-1");
}

#[test]
fn stls_then_login_and_injection_is_discarded() {
    let store = Store::with_user("bob", "pw", vec![sample_message("a")]);
    let config = ServerConfig {
        stls: true,
        ..ServerConfig::default()
    };
    let mut pair = Pair::new(config, store);
    pair.pump();
    // A man in the middle appends a command after the client's STLS.
    pair.client.send(Command::Stls).unwrap();
    let mut wire = Vec::new();
    while pair.client.poll_transmit(&mut wire) > 0 {}
    wire.extend_from_slice(b"DELE 1\r\n");
    pair.server.handle_input(pair.now, &wire);
    assert_eq!(
        pair.server.poll_event(),
        Some(ServerEvent::PlaintextDiscarded { octets: 8 })
    );
    // And a response injected after the server's +OK reaches the client.
    let mut answer = Vec::new();
    while pair.server.poll_transmit(&mut answer) > 0 {}
    answer.extend_from_slice(b"+OK injected\r\n");
    pair.client.handle_input(pair.now, &answer);
    pair.pump();
    assert!(pair.has(|e| *e == ClientEvent::InjectedAfterStls { octets: 14 }));
    assert!(pair.server.is_tls_active());
    // After TLS the client may log in with USER/PASS.
    let capa = pair.client.send(Command::Capa).unwrap();
    let (_, pass) = pair.client.login("bob", "pw").unwrap();
    pair.pump();
    assert!(pair.has(
        |e| matches!(e, ClientEvent::Capabilities { id, capabilities } if *id == capa
        && !capabilities.iter().any(|c| c.has_tag("STLS")))
    ));
    assert!(pair.has(|e| matches!(e, ClientEvent::Ok { id, .. } if *id == pass)));
}

#[test]
fn apop_and_auth_plain_log_in() {
    let store = Store::with_user("mrose", "tanstaaf", vec![sample_message("a")]);
    let mut pair = Pair::new(open_config(), store.clone());
    pair.pump();
    let apop = pair.client.apop("mrose", "tanstaaf").unwrap();
    pair.pump();
    assert!(pair.has(|e| matches!(e, ClientEvent::Ok { id, .. } if *id == apop)));
    let mut pair = Pair::new(
        ServerConfig {
            implicit_tls: true,
            ..ServerConfig::default()
        },
        store,
    );
    let wrong = pair
        .client
        .auth_plain(&mailwire_pop3::sasl::PlainCredentials::new("mrose", "nope"))
        .unwrap();
    let right = pair
        .client
        .auth_plain(&mailwire_pop3::sasl::PlainCredentials::new(
            "mrose", "tanstaaf",
        ))
        .unwrap();
    pair.pump();
    assert!(pair.has(
        |e| matches!(e, ClientEvent::Err { id, line, .. } if *id == wrong && line.code.is_some())
    ));
    assert!(pair.has(|e| matches!(e, ClientEvent::Ok { id, .. } if *id == right)));
}

#[test]
fn autologout_on_the_virtual_clock() {
    let store = Store::with_user("bob", "pw", vec![sample_message("a")]);
    let mut pair = Pair::new(open_config(), store.clone());
    pair.client.login("bob", "pw").unwrap();
    pair.client.send(Command::Dele(n(1))).unwrap();
    pair.pump();
    let deadline = pair.server.poll_timeout().unwrap();
    assert_eq!(deadline, pair.now + Duration::from_secs(600));
    pair.now += Duration::from_secs(599);
    pair.server.handle_timeout(pair.now);
    assert_eq!(pair.server.transport(), Transport::Open);
    pair.now = deadline;
    pair.server.handle_timeout(pair.now);
    pair.pump();
    assert_eq!(pair.server.transport(), Transport::Closed);
    assert_eq!(
        pair.server_events.last(),
        Some(&ServerEvent::Closed {
            reason: CloseReason::Autologout
        })
    );
    // No response was sent and nothing was removed.
    assert_eq!(store.lock().unwrap().users["bob"].1.len(), 1);
    pair.client.handle_eof(pair.now);
    assert_eq!(
        pair.client.poll_event(),
        Some(ClientEvent::Closed {
            reason: ClientCloseReason::PeerClosed
        })
    );
}

#[test]
fn chunking_does_not_change_what_the_client_sees() {
    let store = Store::with_user("bob", "pw", vec![sample_message("a")]);
    let mut server = Server::new(open_config(), Instant::now());
    let mut app = StoreApp::new(store);
    let now = Instant::now();
    server.handle_input(now, b"USER bob\r\nPASS pw\r\nUIDL\r\nRETR 1\r\nQUIT\r\n");
    let mut wire = Vec::new();
    loop {
        while server.poll_transmit(&mut wire) > 0 {}
        let Some(event) = server.poll_event() else {
            break;
        };
        app.handle(&mut server, now, event);
    }
    let run = |cuts: &[usize]| {
        let mut client = Client::new(ClientConfig::default(), now);
        client.login("bob", "pw").unwrap();
        client.send(Command::Uidl(None)).unwrap();
        client.send(Command::Retr(n(1))).unwrap();
        client.send(Command::Quit).unwrap();
        let mut start = 0;
        for &cut in cuts.iter().chain(std::iter::once(&wire.len())) {
            let cut = cut.min(wire.len()).max(start);
            client.handle_input(now, &wire[start..cut]);
            start = cut;
        }
        let mut events = Vec::new();
        let mut body = Vec::new();
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::MessageData { chunk, .. } => body.extend_from_slice(&chunk),
                other => events.push(other),
            }
        }
        (events, body)
    };
    let whole = run(&[]);
    assert_eq!(whole.1, sample_message("a"));
    for step in 1..wire.len() {
        let cuts: Vec<usize> = (step..wire.len()).step_by(step).collect();
        assert_eq!(run(&cuts), whole, "step {step}");
    }
}
