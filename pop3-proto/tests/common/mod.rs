//! Shared test helpers: an in-memory maildrop store answering the server machine's
//! events, a peer check, and free ports.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    dead_code
)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use mailwire_pop3::sasl::PlainCredentials;
use mailwire_pop3::server::{Maildrop, MessageInfo, Server, ServerEvent};
use mailwire_pop3::types::{KnownCode, MessageNumber, ResponseCode, UniqueId};

/// One stored message.
#[derive(Clone, Debug)]
pub struct Stored {
    pub unique_id: String,
    pub octets: Vec<u8>,
}

/// Users and their maildrops.
#[derive(Default, Debug)]
pub struct Store {
    pub users: BTreeMap<String, (String, Vec<Stored>)>,
}

impl Store {
    pub fn with_user(user: &str, password: &str, messages: Vec<Vec<u8>>) -> Arc<Mutex<Store>> {
        let mut store = Store::default();
        let messages = messages
            .into_iter()
            .enumerate()
            .map(|(index, octets)| Stored {
                unique_id: format!("uid-{}", index + 1),
                octets,
            })
            .collect();
        store.users.insert(user.into(), (password.into(), messages));
        Arc::new(Mutex::new(store))
    }
}

/// Answers one session's events from a shared store.
pub struct StoreApp {
    pub store: Arc<Mutex<Store>>,
    /// The logged-in user and the snapshot of their messages.
    session: Option<(String, Vec<Stored>)>,
    /// Bytes per body chunk, to exercise streaming.
    pub chunk: usize,
}

/// The first `lines` body lines of a message, headers and blank line included.
pub fn top_of(octets: &[u8], lines: u32) -> Vec<u8> {
    let header_end = octets
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .unwrap_or(octets.len());
    let mut out = octets[..header_end].to_vec();
    let mut rest = &octets[header_end..];
    for _ in 0..lines {
        if rest.is_empty() {
            break;
        }
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .map(|p| p + 2)
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

impl StoreApp {
    pub fn new(store: Arc<Mutex<Store>>) -> Self {
        StoreApp {
            store,
            session: None,
            chunk: 7,
        }
    }

    fn login(
        &mut self,
        server: &mut Server,
        now: Instant,
        id: mailwire_pop3::server::RequestId,
        user: &str,
        password: Option<&str>,
    ) {
        let store = self.store.lock().unwrap();
        match store.users.get(user) {
            Some((stored, messages)) if password.is_none_or(|p| p == stored) => {
                let infos = messages
                    .iter()
                    .map(|m| MessageInfo {
                        size: m.octets.len() as u64,
                        unique_id: UniqueId::new(m.unique_id.clone()).unwrap(),
                    })
                    .collect();
                self.session = Some((user.to_string(), messages.clone()));
                drop(store);
                server
                    .accept_login(now, id, Maildrop::new(infos).unwrap())
                    .unwrap();
            }
            _ => {
                drop(store);
                server
                    .reply_err(
                        now,
                        id,
                        Some(ResponseCode::known(KnownCode::Auth)),
                        "invalid login",
                    )
                    .unwrap();
            }
        }
    }

    fn body(
        &self,
        server: &mut Server,
        now: Instant,
        id: mailwire_pop3::server::RequestId,
        octets: &[u8],
    ) {
        for chunk in octets.chunks(self.chunk.max(1)) {
            server.send_body(id, Bytes::copy_from_slice(chunk)).unwrap();
        }
        server.finish_body(now, id).unwrap();
    }

    fn message(&self, message: MessageNumber) -> Vec<u8> {
        self.session.as_ref().unwrap().1[message.index()]
            .octets
            .clone()
    }

    /// Answers one event.
    pub fn handle(&mut self, server: &mut Server, now: Instant, event: ServerEvent) {
        match event {
            ServerEvent::User { id, .. } => server.reply_ok(now, id, "send PASS").unwrap(),
            ServerEvent::Pass { id, name, password } => {
                let password = String::from_utf8(password.expose().to_vec()).unwrap();
                self.login(server, now, id, name.as_str(), Some(&password));
            }
            ServerEvent::Apop {
                id,
                name,
                digest,
                timestamp,
            } => {
                let secret = self
                    .store
                    .lock()
                    .unwrap()
                    .users
                    .get(name.as_str())
                    .map(|u| u.0.clone());
                match secret {
                    Some(secret) if digest.verify(&timestamp, secret.as_bytes()) => {
                        self.login(server, now, id, name.as_str(), None)
                    }
                    _ => server
                        .reply_err(now, id, None, "permission denied")
                        .unwrap(),
                }
            }
            ServerEvent::Auth {
                id,
                initial_response,
                ..
            } => match initial_response {
                Some(response) => self.plain(server, now, id, response.expose()),
                None => server.sasl_challenge(now, id, b"").unwrap(),
            },
            ServerEvent::SaslResponse { id, response } => {
                self.plain(server, now, id, response.expose())
            }
            ServerEvent::Retr { id, message } => {
                let octets = self.message(message);
                self.body(server, now, id, &octets);
            }
            ServerEvent::Top { id, message, lines } => {
                let octets = top_of(&self.message(message), lines);
                self.body(server, now, id, &octets);
            }
            ServerEvent::Update { id, deleted } => {
                let (user, snapshot) = self.session.take().unwrap();
                let gone: Vec<String> = deleted
                    .iter()
                    .map(|n| snapshot[n.index()].unique_id.clone())
                    .collect();
                let mut store = self.store.lock().unwrap();
                let messages = &mut store.users.get_mut(&user).unwrap().1;
                messages.retain(|m| !gone.contains(&m.unique_id));
                let left = messages.len();
                drop(store);
                server
                    .reply_ok(now, id, &format!("signing off ({left} messages left)"))
                    .unwrap();
            }
            ServerEvent::Utf8 { id } | ServerEvent::Lang { id, .. } => {
                server.reply_err(now, id, None, "not supported").unwrap()
            }
            _ => {}
        }
    }

    fn plain(
        &mut self,
        server: &mut Server,
        now: Instant,
        id: mailwire_pop3::server::RequestId,
        message: &[u8],
    ) {
        match PlainCredentials::decode(message) {
            Ok(credentials) => {
                let password = credentials.password.expose().clone();
                self.login(server, now, id, &credentials.authcid, Some(&password));
            }
            Err(_) => server
                .reply_err(now, id, None, "malformed PLAIN message")
                .unwrap(),
        }
    }
}

/// True when `program` is on the PATH; otherwise skips loudly, or fails when
/// MAILWIRE_REQUIRE_PEERS=1.
pub fn peer_available(program: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer {program} missing and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED: peer {program} missing");
    }
    found
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A sample message with lines that need dot-stuffing.
pub fn sample_message(subject: &str) -> Vec<u8> {
    format!(
        "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: {subject}\r\n\r\n\
         first line\r\n.leading dot\r\n..two dots\r\n.\r\nlast line\r\n"
    )
    .into_bytes()
}

/// Stops `child`, a `timeout N PEER ...` process, and PEER with it.
///
/// `timeout` passes SIGTERM on to PEER but cannot pass SIGKILL: killing `timeout` alone
/// leaves PEER running for good. So SIGTERM first; if that has not ended it within a few
/// seconds, SIGKILL to the whole process group, which `timeout` leads.
pub fn stop_timeout_group(child: &mut Child) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    // Not reaped yet, so the id is still this process's.
    let pid = child.id().to_string();
    let _ = Command::new("kill")
        .args(["-TERM", &pid])
        .stderr(Stdio::null())
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pid}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}
