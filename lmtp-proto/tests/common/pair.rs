//! Our LMTP client machine against our LMTP server machine, in memory: bytes are pumped
//! both ways on a virtual clock, no sockets. The server side runs a small delivery agent
//! that decides by the recipient's local part and keeps what it received.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::{Duration, Instant};

use mailwire_lmtp::client::{
    client_config, new_client, Client, ClientEvent, DeliveryReport, DeliveryTracker, MailEnvelope,
};
use mailwire_lmtp::server::{
    Delivery, LmtpServer, LmtpServerConfig, LmtpServerConfigBuilder, ReplyId, ServerEvent,
};
use mailwire_lmtp::types::{ForwardPath, Host, Mailbox};
use mailwire_lmtp::{Session, Transport};

pub fn host(name: &str) -> Host<'static> {
    Host::new(name).unwrap().into_owned()
}

pub fn mailbox(text: &str) -> Mailbox<'static> {
    Mailbox::parse(text).unwrap().into_owned()
}

pub fn envelope(from: &str, to: &[&str]) -> MailEnvelope {
    to.iter()
        .fold(MailEnvelope::new(mailbox(from)), |e, t| e.to(mailbox(t)))
}

pub fn server_config() -> LmtpServerConfigBuilder {
    LmtpServerConfig::builder("foo.test")
}

/// What the delivery agent does with a recipient, by its local part: `unknown*` is
/// refused at RCPT (550 5.1.1), `full*` gets 452 4.2.2 after the data, `over*` 552
/// 5.2.2, `gone*` 550 5.1.1 after the data; anything else is delivered.
pub fn outcome_for(path: &ForwardPath<'_>) -> Option<Delivery> {
    let local = path
        .mailbox()
        .map(|m| m.local_part().unquoted().into_owned())
        .unwrap_or_default();
    if local.starts_with("unknown") {
        None
    } else if local.starts_with("full") {
        Some(Delivery::MailboxFull { permanent: false })
    } else if local.starts_with("over") {
        Some(Delivery::MailboxFull { permanent: true })
    } else if local.starts_with("gone") {
        Some(Delivery::NoSuchUser)
    } else {
        Some(Delivery::Delivered)
    }
}

/// In which order the agent answers the recipients of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerOrder {
    /// RCPT order.
    InOrder,
    /// Last recipient first.
    Reversed,
    /// Not at all: the test answers itself (see `Pair::held`).
    Hold,
}

/// A message the agent received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub recipients: Vec<ForwardPath<'static>>,
    pub content: Vec<u8>,
}

pub struct Pair {
    pub client: Client,
    pub server: LmtpServer,
    pub now: Instant,
    /// Every flight the client sent (what it wrote before reading again).
    pub flights: Vec<Vec<u8>>,
    /// Everything the server sent.
    pub server_wire: Vec<u8>,
    pub client_events: Vec<ClientEvent>,
    pub server_events: Vec<ServerEvent>,
    pub tracker: DeliveryTracker,
    pub reports: Vec<DeliveryReport>,
    pub received: Vec<Received>,
    pub order: AnswerOrder,
    /// Messages whose answers are held (`AnswerOrder::Hold`), with their recipients.
    pub held: Vec<(ReplyId, Vec<ForwardPath<'static>>)>,
    content: Vec<u8>,
    server_saw_eof: bool,
    client_saw_eof: bool,
}

impl Pair {
    pub fn new(server: LmtpServerConfig) -> Self {
        let now = Instant::now();
        let mut pair = Pair {
            client: new_client(client_config(host("bar.test")), now),
            server: LmtpServer::new(server, now),
            now,
            flights: Vec::new(),
            server_wire: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            tracker: DeliveryTracker::new(),
            reports: Vec::new(),
            received: Vec::new(),
            order: AnswerOrder::InOrder,
            held: Vec::new(),
            content: Vec::new(),
            server_saw_eof: false,
            client_saw_eof: false,
        };
        pair.pump();
        assert!(
            pair.client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::Ready { .. })),
            "not ready: {:?}",
            pair.client_events
        );
        pair
    }

    /// Moves bytes and decisions until neither side has anything more to do.
    pub fn pump(&mut self) {
        for round in 0.. {
            assert!(round < 10_000, "the pair does not settle");
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
                if let Some(report) = self.tracker.observe(&event) {
                    self.reports.push(report);
                }
                self.client_events.push(event);
            }

            if self.client.transport() == Transport::Closed
                && self.server.transport() != Transport::Closed
                && !self.server_saw_eof
            {
                self.server_saw_eof = true;
                self.server.handle_eof(self.now);
                progressed = true;
            }
            if self.server.transport() == Transport::Closed
                && self.client.transport() != Transport::Closed
                && !self.client_saw_eof
            {
                self.client_saw_eof = true;
                self.client.handle_eof(self.now);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    /// The delivery agent.
    fn decide(&mut self, event: &ServerEvent) {
        match event {
            ServerEvent::Mail { id, .. } => self.server.accept(*id).unwrap(),
            ServerEvent::Recipient { id, to, .. } => match outcome_for(to) {
                Some(_) => self.server.accept(*id).unwrap(),
                None => self.server.reject(*id).unwrap(),
            },
            ServerEvent::MessageStart { .. } => self.content.clear(),
            ServerEvent::MessageData(chunk) => self.content.extend_from_slice(chunk),
            ServerEvent::MessageEnd { id, recipients, .. } => {
                self.received.push(Received {
                    recipients: recipients.clone(),
                    content: std::mem::take(&mut self.content),
                });
                let mut order: Vec<usize> = (0..recipients.len()).collect();
                match self.order {
                    AnswerOrder::InOrder => {}
                    AnswerOrder::Reversed => order.reverse(),
                    AnswerOrder::Hold => {
                        self.held.push((*id, recipients.clone()));
                        return;
                    }
                }
                for index in order {
                    let outcome = outcome_for(&recipients[index]).unwrap();
                    self.server.deliver(*id, index, outcome).unwrap();
                }
            }
            _ => {}
        }
    }

    /// Starts a transaction with the whole content given at once (in `chunk`-sized body
    /// pieces), tracked for its report, and pumps.
    pub fn send(&mut self, envelope: MailEnvelope, content: &[u8], chunk: usize) {
        let id = self.client.start_mail(envelope.clone()).unwrap();
        self.tracker.track(id, &envelope);
        for piece in content.chunks(chunk.max(1)) {
            self.client.send_body(piece.to_vec()).unwrap();
        }
        self.client.finish_body().unwrap();
        self.pump();
    }

    /// Moves the virtual clock, fires the timers that are due, and pumps.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
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

    pub fn server_text(&self) -> String {
        String::from_utf8(self.server_wire.clone()).unwrap()
    }

    pub fn flights_text(&self) -> Vec<String> {
        self.flights
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }

    /// The server's reply lines after the last `354` (DATA) or the last `BDAT ... LAST`
    /// flight: the per-recipient replies.
    pub fn replies_after_data(&self) -> Vec<String> {
        let text = self.server_text();
        let tail = match text.rfind("354 ") {
            Some(at) => &text[at..],
            None => &text[..],
        };
        tail.lines().skip(1).map(str::to_string).collect()
    }
}

/// Feeds a raw client transcript to a fresh server and returns what it answered, with
/// its events; the agent accepts MAIL and decides RCPT as `outcome_for`, and answers
/// every message in order.
pub fn raw_session(config: LmtpServerConfig, input: &[u8]) -> (String, Vec<ServerEvent>) {
    let now = Instant::now();
    let mut server = LmtpServer::new(config, now);
    let mut output = Vec::new();
    let mut events = Vec::new();
    server.handle_input(now, input);
    loop {
        while server.poll_transmit(&mut output) > 0 {}
        let Some(event) = server.poll_event() else {
            break;
        };
        match &event {
            ServerEvent::Mail { id, .. } => server.accept(*id).unwrap(),
            ServerEvent::Recipient { id, to, .. } => match outcome_for(to) {
                Some(_) => server.accept(*id).unwrap(),
                None => server.reject(*id).unwrap(),
            },
            ServerEvent::MessageEnd { id, recipients, .. } => {
                let outcomes: Vec<Delivery> =
                    recipients.iter().map(|r| outcome_for(r).unwrap()).collect();
                server.deliver_all(*id, outcomes).unwrap();
            }
            _ => {}
        }
        events.push(event);
    }
    (String::from_utf8(output).unwrap(), events)
}
