//! Our client machine against our server machine, in memory: bytes are pumped both
//! ways, the clock is virtual, STARTTLS is a simulated upgrade. The server side runs a
//! small scripted application (accept, refuse or defer by recipient name) and keeps
//! every message it accepted.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use mailwire_core::{Secret, Session, Transport};
use mailwire_smtp::client::{
    Client, ClientConfig, ClientEvent, MailEnvelope, RecipientResult, RecipientStage,
    TransactionReport,
};
use mailwire_smtp::server::{DataMode, ReplyId, ServerConfig, ServerEvent, ServerSession};
use mailwire_smtp::types::{
    EnhancedStatusCode, ForwardPath, Host, MailParameters, Mailbox, Reply, ReplyCode, ReversePath,
};

/// A message the server application accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: ReversePath<'static>,
    pub params: MailParameters<'static>,
    pub recipients: Vec<ForwardPath<'static>>,
    pub mode: DataMode,
    pub content: Vec<u8>,
}

/// How the scripted server application decides, by the recipient's local part:
/// `reject*` 550 5.1.1, `defer*` 450 4.2.1, `quota*` accepted at RCPT but 452 4.2.2
/// after the data (LMTP), anything else accepted. PLAIN/LOGIN passwords must be
/// `secret`. The generic mechanism `X-ECHO` challenges with `ping` and accepts `pong`.
pub struct Pair {
    pub client: Client,
    pub server: ServerSession,
    pub now: Instant,
    /// Every flight the client sent: the bytes written before it read again.
    pub flights: Vec<Vec<u8>>,
    /// Everything the server sent.
    pub server_wire: Vec<u8>,
    pub client_events: Vec<ClientEvent>,
    pub server_events: Vec<ServerEvent>,
    pub received: Vec<Received>,
    pub tls_upgrades: usize,
    /// When false the server application leaves every decision pending (a silent
    /// server, for timeouts).
    pub server_answers: bool,
    current: Option<Received>,
    /// The end of stream was given to the server / to the client.
    server_saw_eof: bool,
    client_saw_eof: bool,
}

pub fn host(name: &str) -> Host<'static> {
    Host::new(name).unwrap().into_owned()
}

pub fn mailbox(text: &str) -> Mailbox<'static> {
    Mailbox::parse(text).unwrap().into_owned()
}

pub fn client_config() -> ClientConfig {
    ClientConfig::new(host("client.test"))
}

pub fn server_config() -> mailwire_smtp::server::ServerConfigBuilder {
    ServerConfig::builder("mx.test")
}

pub fn envelope(from: &str, to: &[&str]) -> MailEnvelope {
    to.iter()
        .fold(MailEnvelope::new(mailbox(from)), |e, t| e.to(mailbox(t)))
}

fn local_part(path: &ForwardPath<'_>) -> String {
    path.mailbox()
        .map(|m| m.local_part().unquoted().into_owned())
        .unwrap_or_default()
}

fn reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Reply<'static> {
    Reply::new(
        ReplyCode::new(code).unwrap(),
        EnhancedStatusCode::new(enhanced.0, enhanced.1, enhanced.2),
        [text],
    )
    .unwrap()
}

impl Pair {
    pub fn new(client: ClientConfig, server: ServerConfig) -> Self {
        Self::with_server_answers(client, server, true)
    }

    /// A pair whose server application answers nothing (when `answers` is false).
    pub fn with_server_answers(client: ClientConfig, server: ServerConfig, answers: bool) -> Self {
        let now = Instant::now();
        let mut pair = Pair {
            client: Client::new(client, now),
            server: ServerSession::new(server, now),
            now,
            flights: Vec::new(),
            server_wire: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            received: Vec::new(),
            tls_upgrades: 0,
            server_answers: answers,
            current: None,
            server_saw_eof: false,
            client_saw_eof: false,
        };
        pair.pump();
        pair
    }

    /// A pair past the greeting and EHLO.
    pub fn ready(client: ClientConfig, server: ServerConfig) -> Self {
        let pair = Pair::new(client, server);
        assert!(
            pair.client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::Ready { .. })),
            "{:?}",
            pair.client_events
        );
        pair
    }

    /// Moves bytes and decisions until neither side has anything more to do.
    pub fn pump(&mut self) {
        for round in 0.. {
            assert!(round < 100_000, "the pair does not settle");
            let mut progressed = false;

            let mut flight = Vec::new();
            while self.client.poll_transmit(&mut flight) > 0 {}
            if !flight.is_empty() {
                progressed = true;
                if self.server.transport() != Transport::Closed {
                    self.server.handle_input(self.now, &flight);
                }
                self.flights.push(flight);
            }

            while let Some(event) = self.server.poll_event() {
                progressed = true;
                self.decide(&event);
                self.server_events.push(event);
            }

            let mut answer = Vec::new();
            while self.server.poll_transmit(&mut answer) > 0 {}
            if !answer.is_empty() {
                progressed = true;
                if self.client.transport() != Transport::Closed {
                    self.client.handle_input(self.now, &answer);
                }
                self.server_wire.extend_from_slice(&answer);
            }

            while let Some(event) = self.client.poll_event() {
                progressed = true;
                self.client_events.push(event);
            }

            // Both sides agreed on STARTTLS and flushed: the simulated handshake.
            if self.client.transport() == Transport::StartTls
                && self.server.transport() == Transport::StartTls
            {
                self.tls_upgrades += 1;
                self.server.handle_tls_established(self.now);
                self.client.handle_tls_established(self.now);
                progressed = true;
            }

            // A side that closed makes the other see the end of the stream.
            if self.client.transport() == Transport::Closed
                && self.server.transport() != Transport::Closed
                && !self.server_saw_eof
            {
                self.server_saw_eof = true;
                let mut rest = Vec::new();
                while self.client.poll_transmit(&mut rest) > 0 {}
                if !rest.is_empty() {
                    self.server.handle_input(self.now, &rest);
                    self.flights.push(rest);
                }
                self.server.handle_eof(self.now);
                progressed = true;
            }
            if self.server.transport() == Transport::Closed
                && self.client.transport() != Transport::Closed
                && !self.client_saw_eof
            {
                self.client_saw_eof = true;
                let mut rest = Vec::new();
                while self.server.poll_transmit(&mut rest) > 0 {}
                if !rest.is_empty() {
                    self.client.handle_input(self.now, &rest);
                    self.server_wire.extend_from_slice(&rest);
                }
                if self.client.transport() != Transport::Closed {
                    self.client.handle_eof(self.now);
                }
                progressed = true;
            }

            if !progressed {
                break;
            }
        }
    }

    /// Moves the virtual clock and fires the timers that are due, then pumps.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
        self.fire_timers();
    }

    /// Fires due timers (a timer armed by a decision asks to be fired at once, to learn
    /// the time), then pumps.
    pub fn fire_timers(&mut self) {
        for _ in 0..4 {
            if let Some(at) = self.client.poll_timeout() {
                if at <= self.now {
                    self.client.handle_timeout(self.now);
                }
            }
            if let Some(at) = self.server.poll_timeout() {
                if at <= self.now {
                    self.server.handle_timeout(self.now);
                }
            }
            self.pump();
        }
    }

    /// The application's decisions were made: send and settle.
    pub fn run(&mut self) {
        self.fire_timers();
        self.pump();
    }

    fn decide(&mut self, event: &ServerEvent) {
        match event {
            ServerEvent::MessageStart { mode } => {
                if let Some(current) = self.current.as_mut() {
                    current.mode = *mode;
                    current.content.clear();
                }
            }
            ServerEvent::MessageData(bytes) => {
                if let Some(current) = self.current.as_mut() {
                    current.content.extend_from_slice(bytes);
                }
            }
            ServerEvent::TransactionAborted { .. } => self.current = None,
            _ => {}
        }
        if !self.server_answers {
            return;
        }
        match event {
            ServerEvent::Connected { id } => self.server.accept(*id).unwrap(),
            ServerEvent::Mail { id, from, params } => {
                self.current = Some(Received {
                    from: from.clone(),
                    params: params.clone(),
                    recipients: Vec::new(),
                    mode: DataMode::Data,
                    content: Vec::new(),
                });
                self.server.accept(*id).unwrap();
            }
            ServerEvent::Recipient { id, to, .. } => self.decide_recipient(*id, to),
            ServerEvent::MessageEnd { id, recipients, .. } => {
                let mut accepted = Vec::new();
                for recipient in recipients {
                    if local_part(recipient).starts_with("quota") {
                        self.reply(*id, reply(452, (4, 2, 2), "mailbox over quota"));
                    } else {
                        accepted.push(recipient.clone());
                        self.reply(*id, reply(250, (2, 0, 0), "delivered"));
                    }
                    if self.server.config().flavor() == mailwire_smtp::server::Flavor::Smtp {
                        break;
                    }
                }
                if let Some(mut message) = self.current.take() {
                    message.recipients =
                        if self.server.config().flavor() == mailwire_smtp::server::Flavor::Smtp {
                            recipients.clone()
                        } else {
                            accepted
                        };
                    if !message.recipients.is_empty() {
                        self.received.push(message);
                    }
                }
            }
            ServerEvent::AuthCredentials { id, password, .. } => {
                if password.expose() == "secret" {
                    self.server.accept(*id).unwrap();
                } else {
                    self.server.reject(*id).unwrap();
                }
            }
            ServerEvent::SaslStart { id, .. } => self.server.sasl_challenge(*id, b"ping").unwrap(),
            ServerEvent::SaslResponse { id, response } => {
                if response.expose() == b"pong" {
                    self.server.accept(*id).unwrap();
                } else {
                    self.server.reject(*id).unwrap();
                }
            }
            _ => {}
        }
    }

    fn decide_recipient(&mut self, id: ReplyId, to: &ForwardPath<'static>) {
        let local = local_part(to);
        if local.starts_with("reject") {
            self.reply(id, reply(550, (5, 1, 1), "no such user"));
        } else if local.starts_with("defer") {
            self.reply(id, reply(450, (4, 2, 1), "try again later"));
        } else {
            self.server.accept(id).unwrap();
        }
    }

    fn reply(&mut self, id: ReplyId, reply: Reply<'static>) {
        self.server.reply(id, reply).unwrap();
    }

    /// The client's flights as text.
    pub fn flights_text(&self) -> Vec<String> {
        self.flights
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }

    /// The client's events since the last call.
    pub fn take_client_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.client_events)
    }

    /// Per-recipient results of the client, as (index, stage, code).
    pub fn recipient_results(&self) -> Vec<(usize, RecipientStage, u16)> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Recipient(RecipientResult {
                    index,
                    stage,
                    reply,
                    ..
                }) => Some((*index, *stage, reply.code().get())),
                _ => None,
            })
            .collect()
    }

    /// The reports of finished transactions.
    pub fn reports(&self) -> Vec<TransactionReport> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::TransactionDone(report) => Some(report.clone()),
                _ => None,
            })
            .collect()
    }

    /// Sends a whole message in chunks of `chunk` octets.
    pub fn send_message(&mut self, envelope: MailEnvelope, content: &[u8], chunk: usize) {
        self.client.start_mail(envelope).unwrap();
        for piece in content.chunks(chunk.max(1)) {
            self.client.send_body(piece.to_vec()).unwrap();
        }
        self.client.finish_body().unwrap();
        self.run();
    }
}

/// A secret for SASL responses.
pub fn secret(bytes: &[u8]) -> Secret<Vec<u8>> {
    Secret::new(bytes.to_vec())
}
