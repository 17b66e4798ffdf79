//! In-memory driver for the server machine: a virtual clock, the transcript of what the
//! server sent, the events it raised, and a scripted application.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use bytes::BytesMut;
use mailwire_core::{Session, Transport};
use mailwire_smtp::server::{ReplyId, ServerConfig, ServerEvent, ServerSession};
use mailwire_smtp::types::{EnhancedStatusCode, Reply, ReplyCode};

/// A server machine with a virtual clock.
pub struct Harness {
    pub server: ServerSession,
    pub now: Instant,
    output: Vec<u8>,
    events: Vec<ServerEvent>,
}

impl Harness {
    pub fn new(config: ServerConfig) -> Self {
        let now = Instant::now();
        let mut harness = Harness {
            server: ServerSession::new(config, now),
            now,
            output: Vec::new(),
            events: Vec::new(),
        };
        harness.pump();
        harness
    }

    /// A harness whose greeting was already read.
    pub fn greeted(config: ServerConfig) -> Self {
        let mut harness = Harness::new(config);
        let greeting = harness.output();
        assert!(greeting.starts_with("220 "), "{greeting}");
        harness
    }

    /// Feeds client bytes at the current virtual time.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        self.server.handle_input(self.now, bytes.as_ref());
        self.pump();
    }

    /// Feeds client bytes one octet at a time.
    pub fn send_bytewise(&mut self, bytes: impl AsRef<[u8]>) {
        for byte in bytes.as_ref() {
            self.server
                .handle_input(self.now, std::slice::from_ref(byte));
            self.pump();
        }
    }

    /// What a driver does after every input or decision: transmit, timer, events.
    pub fn pump(&mut self) {
        while self.server.poll_transmit(&mut self.output) > 0 {}
        // A timer already due (the machine asks for the time after a decision) fires.
        if let Some(due) = self.server.poll_timeout() {
            if due <= self.now {
                self.server.handle_timeout(self.now);
                while self.server.poll_transmit(&mut self.output) > 0 {}
            }
        }
        while let Some(event) = self.server.poll_event() {
            self.events.push(event);
        }
    }

    /// Moves the virtual clock, firing the timer as a driver would.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        while let Some(due) = self.server.poll_timeout() {
            if due > target {
                break;
            }
            self.now = self.now.max(due);
            self.server.handle_timeout(self.now);
            self.pump();
            if self.server.poll_timeout() == Some(due) {
                break;
            }
        }
        self.now = target;
        self.pump();
    }

    /// Everything sent since the last call, as text.
    pub fn output(&mut self) -> String {
        self.pump();
        String::from_utf8(std::mem::take(&mut self.output)).expect("replies are UTF-8")
    }

    /// The reply lines sent since the last call.
    pub fn lines(&mut self) -> Vec<String> {
        self.output()
            .split_terminator("\r\n")
            .map(str::to_owned)
            .collect()
    }

    /// The codes of the replies sent since the last call (one per final line).
    pub fn codes(&mut self) -> Vec<u16> {
        self.lines()
            .iter()
            .filter(|line| line.len() < 4 || line.as_bytes()[3] != b'-')
            .map(|line| line[..3].parse().unwrap())
            .collect()
    }

    /// The events raised since the last call.
    pub fn events(&mut self) -> Vec<ServerEvent> {
        self.pump();
        std::mem::take(&mut self.events)
    }

    pub fn transport(&self) -> Transport {
        self.server.transport()
    }

    pub fn accept(&mut self, id: ReplyId) {
        self.server.accept(id).unwrap();
        self.pump();
    }

    pub fn reject(&mut self, id: ReplyId) {
        self.server.reject(id).unwrap();
        self.pump();
    }

    /// Answers with `code text`; a leading `x.y.z ` in `text` is the enhanced code.
    pub fn reply(&mut self, id: ReplyId, code: u16, text: &str) {
        self.server.reply(id, reply(code, text)).unwrap();
        self.pump();
    }

    /// Accepts every decision raised so far (and those they unblock), returning every
    /// event seen on the way.
    pub fn accept_all(&mut self) -> Vec<ServerEvent> {
        let mut seen = Vec::new();
        loop {
            let events = self.events();
            if events.is_empty() {
                return seen;
            }
            for event in &events {
                if let Some(id) = decision_id(event) {
                    self.server.accept(id).unwrap();
                }
            }
            seen.extend(events);
        }
    }
}

/// Builds `code text`; a leading `x.y.z ` in `text` is the enhanced code.
pub fn reply(code: u16, text: &str) -> Reply<'static> {
    let code = ReplyCode::new(code).unwrap();
    let enhanced = text.split_once(' ').and_then(|(head, rest)| {
        let numbers: Vec<u16> = head.split('.').filter_map(|n| n.parse().ok()).collect();
        match numbers[..] {
            [class, subject, detail] => {
                EnhancedStatusCode::new(u8::try_from(class).ok()?, subject, detail)
                    .map(|e| (e, rest))
            }
            _ => None,
        }
    });
    match enhanced {
        Some((enhanced, rest)) => Reply::new(code, Some(enhanced), [rest]).unwrap(),
        None => Reply::single(code, text).unwrap(),
    }
}

/// The id of an event that waits for a decision.
pub fn decision_id(event: &ServerEvent) -> Option<ReplyId> {
    match event {
        ServerEvent::Connected { id }
        | ServerEvent::AuthCredentials { id, .. }
        | ServerEvent::SaslStart { id, .. }
        | ServerEvent::SaslResponse { id, .. }
        | ServerEvent::Mail { id, .. }
        | ServerEvent::Recipient { id, .. }
        | ServerEvent::MessageEnd { id, .. }
        | ServerEvent::Verify { id, .. }
        | ServerEvent::Expand { id, .. }
        | ServerEvent::Help { id, .. } => Some(*id),
        _ => None,
    }
}

/// The ids of the events of one kind, in order.
pub fn ids(events: &[ServerEvent], kind: fn(&ServerEvent) -> bool) -> Vec<ReplyId> {
    events
        .iter()
        .filter(|e| kind(e))
        .filter_map(decision_id)
        .collect()
}

/// The message bytes streamed in the events, concatenated.
pub fn body(events: &[ServerEvent]) -> Vec<u8> {
    let mut body = BytesMut::new();
    for event in events {
        if let ServerEvent::MessageData(chunk) = event {
            body.extend_from_slice(chunk);
        }
    }
    body.to_vec()
}

/// The config most tests start from.
pub fn config() -> mailwire_smtp::server::ServerConfigBuilder {
    ServerConfig::builder("mx.test")
}

impl Harness {
    /// The client closed its side.
    pub fn server_eof(&mut self) {
        self.server.handle_eof(self.now);
        self.pump();
    }
}
