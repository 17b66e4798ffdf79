//! Client machine tests: the RFC 1939 example session replayed from the client side.

use std::time::{Duration, Instant};

use mailwire_core::{Session, Transport};

use super::*;
use crate::types::{MessageNumber, Text};

struct Harness {
    client: Client,
    now: Instant,
}

impl Harness {
    fn new() -> Self {
        let now = Instant::now();
        Harness {
            client: Client::new(ClientConfig::default(), now),
            now,
        }
    }

    fn receive(&mut self, input: &str) {
        self.client.handle_input(self.now, input.as_bytes());
    }

    fn sent(&mut self) -> String {
        let mut out = Vec::new();
        while self.client.poll_transmit(&mut out) > 0 {}
        String::from_utf8(out).unwrap()
    }

    fn events(&mut self) -> Vec<ClientEvent> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }
}

fn n(number: u32) -> MessageNumber {
    MessageNumber::new(number).unwrap()
}

fn ok(text: &str) -> StatusLine<'static> {
    StatusLine::ok(Text::new(text.as_bytes().to_vec()).unwrap())
}

/// RFC 1939 §10, client side: what the client sends and what it reports.
#[test]
fn rfc1939_section_10_example_session() {
    let mut h = Harness::new();
    // Commands queued before the greeting wait for it.
    assert!(h.client.send(Command::Stat).is_ok());
    assert_eq!(h.sent(), "");
    assert_eq!(h.client.outstanding(), 1);
    h.receive("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
    let events = h.events();
    assert_eq!(
        events,
        vec![ClientEvent::Greeting {
            line: ok("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
            apop_timestamp: Some(ApopTimestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap()),
        }]
    );
    // The STAT queued earlier went out after the greeting; answer it, then log in.
    assert_eq!(h.sent(), "STAT\r\n");
    h.receive("-ERR not logged in\r\n");
    assert!(matches!(
        h.events()[..],
        [ClientEvent::Err {
            command: CommandName::Stat,
            ..
        }]
    ));
    let apop = h.client.apop("mrose", "tanstaaf").unwrap();
    assert_eq!(h.sent(), "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
    h.receive("+OK mrose's maildrop has 2 messages (320 octets)\r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::Ok {
            id: apop,
            command: CommandName::Apop,
            line: ok("mrose's maildrop has 2 messages (320 octets)")
        }]
    );
    let stat = h.client.send(Command::Stat).unwrap();
    assert_eq!(h.sent(), "STAT\r\n");
    h.receive("+OK 2 320\r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::Stat {
            id: stat,
            listing: DropListing {
                count: 2,
                size: 320,
                extra: Text::empty()
            }
        }]
    );
    let list = h.client.send(Command::List(None)).unwrap();
    assert_eq!(h.sent(), "LIST\r\n");
    h.receive("+OK 2 messages (320 octets)\r\n1 120\r\n2 2");
    h.receive("00\r\n.\r\n");
    assert_eq!(
        h.events(),
        vec![
            ClientEvent::ScanListing {
                id: list,
                listing: ScanListing {
                    message: n(1),
                    size: 120,
                    extra: Text::empty()
                }
            },
            ClientEvent::ScanListing {
                id: list,
                listing: ScanListing {
                    message: n(2),
                    size: 200,
                    extra: Text::empty()
                }
            },
            ClientEvent::ListingEnd { id: list },
        ]
    );
    for message in [1u32, 2] {
        let retr = h.client.send(Command::Retr(n(message))).unwrap();
        assert_eq!(h.sent(), format!("RETR {message}\r\n"));
        h.receive(&format!(
            "+OK 120 octets\r\nSubject: {message}\r\n\r\n..dot\r\n"
        ));
        h.receive(".\r\n");
        let events = h.events();
        assert_eq!(
            events.first(),
            Some(&ClientEvent::MessageStart {
                id: retr,
                line: ok("120 octets")
            })
        );
        assert_eq!(events.last(), Some(&ClientEvent::MessageEnd { id: retr }));
        let body: Vec<u8> = events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::MessageData { chunk, .. } => Some(chunk.to_vec()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(
            body,
            format!("Subject: {message}\r\n\r\n.dot\r\n").into_bytes()
        );
        let dele = h.client.send(Command::Dele(n(message))).unwrap();
        assert_eq!(h.sent(), format!("DELE {message}\r\n"));
        h.receive(&format!("+OK message {message} deleted\r\n"));
        assert!(
            matches!(h.events()[..], [ClientEvent::Ok { id, command: CommandName::Dele, .. }] if id == dele)
        );
    }
    let quit = h.client.send(Command::Quit).unwrap();
    assert_eq!(h.client.send(Command::Noop), Err(SessionError::NotAllowed));
    assert_eq!(h.sent(), "QUIT\r\n");
    h.receive("+OK dewey POP3 server signing off (maildrop empty)\r\n");
    assert_eq!(
        h.events(),
        vec![
            ClientEvent::Ok {
                id: quit,
                command: CommandName::Quit,
                line: ok("dewey POP3 server signing off (maildrop empty)")
            },
            ClientEvent::Closed {
                reason: ClientCloseReason::Quit
            },
        ]
    );
    assert_eq!(h.client.transport(), Transport::Closed);
}

#[test]
fn pipelines_only_once_advertised() {
    let mut h = Harness::new();
    h.receive("+OK ready\r\n");
    h.events();
    let capa = h.client.send(Command::Capa).unwrap();
    let (user, pass) = h.client.login("alice", "secret pw").unwrap();
    assert_eq!(h.sent(), "CAPA\r\n");
    h.receive("+OK\r\nTOP\r\nUSER\r\nPIPELINING\r\nUIDL\r\n.\r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::Capabilities {
            id: capa,
            capabilities: vec![
                Capability::Top,
                Capability::User,
                Capability::Pipelining,
                Capability::Uidl
            ]
        }]
    );
    assert!(h.client.server_pipelining());
    // Both queued commands leave at once now.
    assert_eq!(h.sent(), "USER alice\r\nPASS secret pw\r\n");
    let uidl = h.client.send(Command::Uidl(None)).unwrap();
    let top = h
        .client
        .send(Command::Top {
            message: n(1),
            lines: 0,
        })
        .unwrap();
    assert_eq!(h.sent(), "UIDL\r\nTOP 1 0\r\n");
    h.receive("+OK hi\r\n+OK in\r\n+OK\r\n1 abc\r\n.\r\n+OK\r\nSubject: x\r\n\r\n.\r\n");
    let events = h.events();
    assert!(matches!(events[0], ClientEvent::Ok { id, .. } if id == user));
    assert!(matches!(events[1], ClientEvent::Ok { id, .. } if id == pass));
    assert!(
        matches!(&events[2], ClientEvent::UniqueIdListing { id, listing } if *id == uidl && listing.unique_id.as_str() == "abc")
    );
    assert_eq!(events[3], ClientEvent::ListingEnd { id: uidl });
    assert!(matches!(events[4], ClientEvent::MessageStart { id, .. } if id == top));
    assert_eq!(events.last(), Some(&ClientEvent::MessageEnd { id: top }));
    // STLS is a barrier: nothing after it leaves before the upgrade.
    let stls = h.client.send(Command::Stls).unwrap();
    let capa_again = h.client.send(Command::Capa).unwrap();
    assert_eq!(h.sent(), "STLS\r\n");
    h.receive("+OK Begin TLS\r\n+OK injected\r\n");
    assert_eq!(
        h.events(),
        vec![
            ClientEvent::Ok {
                id: stls,
                command: CommandName::Stls,
                line: ok("Begin TLS")
            },
            ClientEvent::InjectedAfterStls { octets: 14 },
        ]
    );
    assert_eq!(h.client.transport(), Transport::StartTls);
    assert_eq!(h.sent(), "");
    h.client.handle_tls_established(h.now);
    assert!(!h.client.server_pipelining());
    assert_eq!(h.sent(), "CAPA\r\n");
    h.receive("+OK\r\nSASL PLAIN\r\n.\r\n");
    assert!(matches!(&h.events()[..], [ClientEvent::Capabilities { id, .. }] if *id == capa_again));
}

#[test]
fn without_pipelining_commands_go_one_by_one() {
    let mut h = Harness::new();
    h.receive("+OK ready\r\n");
    h.client.login("a", "b").unwrap();
    assert_eq!(h.sent(), "USER a\r\n");
    h.receive("+OK\r\n");
    assert_eq!(h.sent(), "PASS b\r\n");
}

/// RFC 5034 §6 examples: with an initial response, and after an empty challenge.
#[test]
fn auth_plain_and_generic_sasl() {
    let mut h = Harness::new();
    h.receive("+OK ready\r\n");
    let credentials = crate::sasl::PlainCredentials {
        authzid: "test".into(),
        authcid: "test".into(),
        password: Secret::new("test".into()),
    };
    let auth = h.client.auth_plain(&credentials).unwrap();
    assert_eq!(h.sent(), "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n");
    h.receive("+OK Maildrop locked and ready\r\n");
    assert!(
        matches!(h.events()[1], ClientEvent::Ok { id, command: CommandName::Auth, .. } if id == auth)
    );
    // Too long for an initial response: sent after the empty challenge.
    let mut h = Harness::new();
    h.receive("+OK ready\r\n");
    let long = crate::sasl::PlainCredentials::new("u", "p".repeat(200));
    h.client.auth_plain(&long).unwrap();
    assert_eq!(h.sent(), "AUTH PLAIN\r\n");
    h.receive("+ \r\n");
    let sent = h.sent();
    assert!(sent.starts_with("AHUAc") && sent.ends_with("\r\n") && sent.len() > 255);
    // Generic: the application answers challenges.
    let mut h = Harness::new();
    h.receive("+OK ready\r\n");
    h.events();
    let id = h
        .client
        .send(Command::Auth {
            mechanism: Mechanism::new("X-TOKEN").unwrap(),
            initial_response: None,
        })
        .unwrap();
    let noop = h.client.send(Command::Noop).unwrap();
    assert_eq!(h.sent(), "AUTH X-TOKEN\r\n");
    h.receive("+ Y2hhbGxlbmdl\r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::SaslChallenge {
            id,
            challenge: b"challenge".to_vec()
        }]
    );
    assert_eq!(h.client.poll_timeout(), None);
    assert_eq!(
        h.client.sasl_respond(noop, b"x"),
        Err(SessionError::UnknownId)
    );
    h.client.sasl_respond(id, b"response").unwrap();
    assert_eq!(
        h.client.sasl_respond(id, b"again"),
        Err(SessionError::WrongDecision)
    );
    assert_eq!(h.sent(), "cmVzcG9uc2U=\r\n");
    h.receive("+ \r\n");
    h.events();
    h.client.sasl_cancel(id).unwrap();
    assert_eq!(h.sent(), "*\r\n");
    h.receive("-ERR cancelled\r\n");
    assert!(matches!(
        h.events()[..],
        [ClientEvent::Err {
            command: CommandName::Auth,
            ..
        }]
    ));
    assert_eq!(h.sent(), "NOOP\r\n");
    // A challenge that is not base64 is cancelled by the machine (RFC 5034 §4).
    let id = h
        .client
        .send(Command::Auth {
            mechanism: Mechanism::new("X-TOKEN").unwrap(),
            initial_response: None,
        })
        .unwrap();
    h.receive("+OK\r\n");
    h.sent();
    h.receive("+ !!!!\r\n");
    assert_eq!(h.sent(), "*\r\n");
    h.receive("-ERR cancelled\r\n");
    assert!(matches!(h.events()[..], [_, ClientEvent::Err { id: got, .. }] if got == id));
}

#[test]
fn protocol_errors_close() {
    for (input, error) in [
        ("+OK x\r\n+OK 2 x\r\n", DecodeError::InvalidListing("drop")),
        ("+OK x\r\nHELLO\r\n", DecodeError::InvalidStatus),
        ("+OK x\r\n+OK\n", DecodeError::BareLineFeed),
    ] {
        let mut h = Harness::new();
        h.client.send(Command::Stat).unwrap();
        h.receive(input);
        let events = h.events();
        assert_eq!(
            &events[1..],
            &[
                ClientEvent::ProtocolError { error },
                ClientEvent::Closed {
                    reason: ClientCloseReason::ProtocolError
                }
            ],
            "{input:?}"
        );
    }
    let mut h = Harness::new();
    h.receive(&format!("+OK {}\r\n", "a".repeat(600)));
    assert_eq!(
        h.events()[0],
        ClientEvent::ProtocolError {
            error: DecodeError::LineTooLong
        }
    );
    let mut h = Harness::new();
    h.receive("-ERR go away\r\n");
    assert_eq!(
        h.events()[1],
        ClientEvent::Closed {
            reason: ClientCloseReason::Rejected
        }
    );
    assert_eq!(h.client.send(Command::Noop), Err(SessionError::Closed));
}

#[test]
fn response_timeout() {
    let mut h = Harness::new();
    let start = h.now;
    assert_eq!(
        h.client.poll_timeout(),
        Some(start + DEFAULT_RESPONSE_TIMEOUT)
    );
    h.receive("+OK ready\r\n");
    assert_eq!(h.client.poll_timeout(), None);
    h.now += Duration::from_secs(5);
    h.client.send(Command::Noop).unwrap();
    h.receive("");
    let deadline = h.client.poll_timeout().unwrap();
    h.client.handle_timeout(deadline);
    assert_eq!(
        h.events().last(),
        Some(&ClientEvent::Closed {
            reason: ClientCloseReason::TimedOut
        })
    );
}

#[test]
fn commands_over_255_octets_are_refused() {
    let mut h = Harness::new();
    let long = Password::new("p".repeat(260).into_bytes()).unwrap();
    assert_eq!(
        h.client.send(Command::Pass(long)),
        Err(SessionError::CommandTooLong)
    );
    assert_eq!(h.client.apop("a", "b"), Err(SessionError::NotAllowed));
}

/// Input after an unanswered challenge waits, so the application's answer goes out
/// before anything that follows is read.
#[test]
fn reading_stops_at_an_unanswered_challenge() {
    let mut h = Harness::new();
    h.receive("+OK ready\r\n");
    h.events();
    let id = h
        .client
        .send(Command::Auth {
            mechanism: Mechanism::new("X-TOKEN").unwrap(),
            initial_response: None,
        })
        .unwrap();
    h.sent();
    h.receive("+ YQ==\r\n+OK in\r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::SaslChallenge {
            id,
            challenge: b"a".to_vec()
        }]
    );
    h.client.sasl_respond(id, b"b").unwrap();
    assert_eq!(h.sent(), "Yg==\r\n");
    assert!(
        matches!(h.events()[..], [ClientEvent::Ok { id: got, command: CommandName::Auth, .. }] if got == id)
    );
}
