//! Server machine tests: the RFC 1939 examples replayed, and the rules of the machine.

use std::time::{Duration, Instant};

use bytes::Bytes;
use mailwire_core::{Session, Transport};

use super::*;
use crate::types::{ApopTimestamp, UniqueId};

struct Harness {
    server: Server,
    now: Instant,
}

impl Harness {
    fn new(config: ServerConfig) -> Self {
        let now = Instant::now();
        Harness {
            server: Server::new(config, now),
            now,
        }
    }

    fn with_apop(config: ServerConfig) -> Self {
        let now = Instant::now();
        let timestamp = ApopTimestamp::new("<1896.697170952@dbc.mtview.ca.us>").unwrap();
        Harness {
            server: Server::with_apop(config, now, timestamp),
            now,
        }
    }

    fn output(&mut self) -> String {
        let mut out = Vec::new();
        while self.server.poll_transmit(&mut out) > 0 {}
        String::from_utf8(out).unwrap()
    }

    fn send(&mut self, input: &str) -> String {
        self.server.handle_input(self.now, input.as_bytes());
        self.output()
    }

    fn event(&mut self) -> ServerEvent {
        self.server.poll_event().expect("an event")
    }

    fn no_event(&mut self) {
        assert_eq!(self.server.poll_event(), None);
    }
}

fn rfc_config() -> ServerConfig {
    ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        signoff: "dewey POP3 server signing off".into(),
        ..ServerConfig::default()
    }
}

fn rfc_maildrop() -> Maildrop {
    Maildrop::new(vec![
        MessageInfo {
            size: 120,
            unique_id: UniqueId::new("whqtswO00WBw418f9t5JxYwZ").unwrap(),
        },
        MessageInfo {
            size: 200,
            unique_id: UniqueId::new("QhdPYR:00WBw1Ph7x7").unwrap(),
        },
    ])
    .unwrap()
}

/// A message of exactly `size` octets with CRLF line ends.
fn message_of(size: usize, first_line: &str) -> Vec<u8> {
    let mut message = format!("Subject: {first_line}\r\n\r\n").into_bytes();
    while message.len() + 2 < size {
        message.push(b'x');
    }
    message.extend_from_slice(b"\r\n");
    message.truncate(size);
    message
}

fn login_apop(h: &mut Harness) {
    assert_eq!(
        h.send("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
        ""
    );
    let ServerEvent::Apop {
        id,
        name,
        digest,
        timestamp,
    } = h.event()
    else {
        panic!()
    };
    assert_eq!(name.as_str(), "mrose");
    assert!(digest.verify(&timestamp, b"tanstaaf"));
    h.server.accept_login(h.now, id, rfc_maildrop()).unwrap();
}

/// RFC 1939 §10, the example POP3 session, byte for byte.
#[test]
fn rfc1939_section_10_example_session() {
    let mut h = Harness::with_apop(rfc_config());
    assert_eq!(
        h.output(),
        "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
    );
    login_apop(&mut h);
    assert_eq!(
        h.output(),
        "+OK mrose's maildrop has 2 messages (320 octets)\r\n"
    );
    assert_eq!(h.send("STAT\r\n"), "+OK 2 320\r\n");
    assert_eq!(
        h.send("LIST\r\n"),
        "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"
    );
    for (message, size) in [(1u32, 120usize), (2, 200)] {
        assert_eq!(h.send(&format!("RETR {message}\r\n")), "");
        let ServerEvent::Retr {
            id,
            message: number,
        } = h.event()
        else {
            panic!()
        };
        assert_eq!(number.get(), message);
        let body = message_of(size, "message");
        h.server.send_body(id, Bytes::from(body.clone())).unwrap();
        h.server.finish_body(h.now, id).unwrap();
        let expected = format!(
            "+OK {size} octets\r\n{}.\r\n",
            String::from_utf8(body).unwrap()
        );
        assert_eq!(h.output(), expected);
        assert_eq!(
            h.send(&format!("DELE {message}\r\n")),
            format!("+OK message {message} deleted\r\n")
        );
    }
    assert_eq!(h.send("QUIT\r\n"), "");
    assert_eq!(h.server.state(), State::Update);
    let ServerEvent::Update { id, deleted } = h.event() else {
        panic!()
    };
    assert_eq!(
        deleted.iter().map(|n| n.get()).collect::<Vec<_>>(),
        vec![1, 2]
    );
    h.server
        .reply_ok(h.now, id, "dewey POP3 server signing off (maildrop empty)")
        .unwrap();
    assert_eq!(
        h.output(),
        "+OK dewey POP3 server signing off (maildrop empty)\r\n"
    );
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::Quit
        }
    );
    assert_eq!(h.server.transport(), Transport::Closed);
}

/// The examples of RFC 1939 §4, §5 and §7 (LIST, DELE, RSET, TOP, UIDL, USER, PASS, QUIT).
#[test]
fn rfc1939_command_examples() {
    let mut h = Harness::with_apop(rfc_config());
    h.output();
    // §7 USER / PASS.
    assert_eq!(h.send("USER frated\r\n"), "");
    let ServerEvent::User { id, name } = h.event() else {
        panic!()
    };
    assert_eq!(name.as_str(), "frated");
    h.server
        .reply_err(h.now, id, None, "sorry, no mailbox for frated here")
        .unwrap();
    assert_eq!(h.output(), "-ERR sorry, no mailbox for frated here\r\n");
    assert_eq!(h.send("USER mrose\r\n"), "");
    let ServerEvent::User { id, .. } = h.event() else {
        panic!()
    };
    h.server
        .reply_ok(h.now, id, "mrose is a real hoopy frood")
        .unwrap();
    assert_eq!(h.output(), "+OK mrose is a real hoopy frood\r\n");
    assert_eq!(h.send("PASS secret\r\n"), "");
    let ServerEvent::Pass { id, name, password } = h.event() else {
        panic!()
    };
    assert_eq!(
        (name.as_str(), password.expose()),
        ("mrose", &b"secret"[..])
    );
    h.server
        .reply_err(h.now, id, None, "maildrop already locked")
        .unwrap();
    assert_eq!(h.output(), "-ERR maildrop already locked\r\n");
    h.send("USER mrose\r\n");
    let ServerEvent::User { id, .. } = h.event() else {
        panic!()
    };
    h.server
        .reply_ok(h.now, id, "mrose is a real hoopy frood")
        .unwrap();
    h.output();
    h.send("PASS secret\r\n");
    let ServerEvent::Pass { id, .. } = h.event() else {
        panic!()
    };
    h.server.accept_login(h.now, id, rfc_maildrop()).unwrap();
    assert_eq!(
        h.output(),
        "+OK mrose's maildrop has 2 messages (320 octets)\r\n"
    );
    // §5 LIST.
    assert_eq!(h.send("LIST 2\r\n"), "+OK 2 200\r\n");
    assert_eq!(
        h.send("LIST 3\r\n"),
        "-ERR no such message, only 2 messages in maildrop\r\n"
    );
    // §7 UIDL.
    assert_eq!(
        h.send("UIDL\r\n"),
        "+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"
    );
    assert_eq!(h.send("UIDL 2\r\n"), "+OK 2 QhdPYR:00WBw1Ph7x7\r\n");
    assert_eq!(
        h.send("UIDL 3\r\n"),
        "-ERR no such message, only 2 messages in maildrop\r\n"
    );
    // §7 TOP.
    assert_eq!(h.send("TOP 1 10\r\n"), "");
    let ServerEvent::Top { id, message, lines } = h.event() else {
        panic!()
    };
    assert_eq!((message.get(), lines), (1, 10));
    h.server
        .send_body(id, Bytes::from_static(b"Subject: top\r\n\r\nline 1\r\n"))
        .unwrap();
    h.server.finish_body(h.now, id).unwrap();
    assert_eq!(h.output(), "+OK\r\nSubject: top\r\n\r\nline 1\r\n.\r\n");
    assert!(h.send("TOP 100 3\r\n").starts_with("-ERR no such message"));
    // §5 DELE and RSET.
    assert_eq!(h.send("DELE 1\r\n"), "+OK message 1 deleted\r\n");
    assert_eq!(h.send("DELE 2\r\n"), "+OK message 2 deleted\r\n");
    assert_eq!(h.send("DELE 2\r\n"), "-ERR message 2 already deleted\r\n");
    assert_eq!(h.send("STAT\r\n"), "+OK 0 0\r\n");
    assert_eq!(h.send("LIST\r\n"), "+OK 0 messages (0 octets)\r\n.\r\n");
    assert_eq!(h.send("RETR 1\r\n"), "-ERR message 1 already deleted\r\n");
    assert_eq!(
        h.send("RSET\r\n"),
        "+OK maildrop has 2 messages (320 octets)\r\n"
    );
    assert_eq!(h.send("NOOP\r\n"), "+OK\r\n");
    // §6 QUIT with nothing marked.
    assert_eq!(h.send("QUIT\r\n"), "");
    let ServerEvent::Update { id, deleted } = h.event() else {
        panic!()
    };
    assert!(deleted.is_empty());
    h.server
        .reply_ok(h.now, id, "dewey POP3 server signing off (2 messages left)")
        .unwrap();
    assert_eq!(
        h.output(),
        "+OK dewey POP3 server signing off (2 messages left)\r\n"
    );
}

/// RFC 1939 §4: QUIT in AUTHORIZATION closes without UPDATE.
#[test]
fn quit_before_login() {
    let mut h = Harness::new(rfc_config());
    assert_eq!(h.output(), "+OK POP3 server ready\r\n");
    assert_eq!(h.send("QUIT\r\n"), "+OK dewey POP3 server signing off\r\n");
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::Quit
        }
    );
    assert_eq!(h.send("NOOP\r\n"), "");
}

#[test]
fn bad_commands_get_err_then_the_session_closes() {
    let mut h = Harness::new(ServerConfig {
        max_errors: 3,
        ..rfc_config()
    });
    h.output();
    assert_eq!(h.send("FOO\r\n"), "-ERR unknown command\r\n");
    assert_eq!(
        h.send("STAT\r\n"),
        "-ERR command not valid in this state\r\n"
    );
    assert_eq!(
        h.send("CAPA\r\n").lines().next(),
        Some("+OK Capability list follows")
    );
    assert_eq!(
        h.send("RETR x\r\n"),
        "-ERR too many bad commands, closing\r\n"
    );
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::TooManyErrors
        }
    );
    assert_eq!(h.server.transport(), Transport::Closed);
}

#[test]
fn line_limit_and_bare_lf() {
    let mut h = Harness::new(rfc_config());
    h.output();
    let long = format!("USER {}\r\n", "a".repeat(300));
    assert_eq!(h.send(&long), "-ERR line too long\r\n");
    assert_eq!(h.send("NOOP\n"), "-ERR lines must end with CRLF\r\n");
    // 255 octets with CRLF is allowed (RFC 2449 §4).
    let fits = format!("USER {}\r\n", "a".repeat(248));
    assert_eq!(fits.len(), 255);
    assert_eq!(h.send(&fits), "");
    assert!(matches!(h.event(), ServerEvent::User { .. }));
    let mut quirky = Harness::new(ServerConfig {
        quirk_accept_bare_lf: true,
        ..rfc_config()
    });
    quirky.output();
    assert_eq!(
        quirky.send("QUIT\n"),
        "+OK dewey POP3 server signing off\r\n"
    );
}

#[test]
fn cleartext_login_is_refused_without_tls_by_default() {
    let mut h = Harness::new(ServerConfig {
        stls: true,
        ..ServerConfig::default()
    });
    h.output();
    let capa = h.send("CAPA\r\n");
    assert!(capa.contains("STLS\r\n"));
    assert!(!capa.contains("USER\r\n"));
    assert!(!capa.contains("SASL"));
    assert_eq!(
        h.send("USER alice\r\n"),
        "-ERR [AUTH] plaintext authentication needs TLS (use STLS)\r\n"
    );
    assert_eq!(
        h.send("AUTH PLAIN AGFsaWNlAHB3\r\n"),
        "-ERR [AUTH] plaintext authentication needs TLS (use STLS)\r\n"
    );
    h.no_event();
    assert_eq!(h.send("STLS\r\n"), "+OK Begin TLS negotiation now\r\n");
    assert_eq!(h.server.transport(), Transport::StartTls);
    h.server.handle_tls_established(h.now);
    assert!(h.server.is_tls_active());
    let capa = h.send("CAPA\r\n");
    assert!(!capa.contains("STLS"));
    assert!(capa.contains("USER\r\nSASL PLAIN\r\n"));
    assert_eq!(h.send("STLS\r\n"), "-ERR STLS not available\r\n");
    assert_eq!(h.send("USER alice\r\n"), "");
    assert!(matches!(h.event(), ServerEvent::User { .. }));
}

/// RFC 2595 §4 / DESIGN: commands pipelined behind STLS are discarded and reported.
#[test]
fn stls_discards_pipelined_plaintext() {
    let mut h = Harness::new(ServerConfig {
        stls: true,
        ..ServerConfig::default()
    });
    h.output();
    assert_eq!(
        h.send("STLS\r\nUSER evil\r\nPASS injected\r\n"),
        "+OK Begin TLS negotiation now\r\n"
    );
    assert_eq!(h.event(), ServerEvent::PlaintextDiscarded { octets: 26 });
    // More plaintext before the handshake: discarded too.
    assert_eq!(h.send("QUIT\r\n"), "");
    assert_eq!(h.event(), ServerEvent::PlaintextDiscarded { octets: 6 });
    h.no_event();
    h.server.handle_tls_established(h.now);
    assert_eq!(h.output(), "");
    h.no_event();
    assert_eq!(
        h.send("NOOP\r\n"),
        "-ERR command not valid in this state\r\n"
    );
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let mut h = Harness::new(rfc_config());
    h.output();
    // Everything in one packet; USER and PASS wait for the application in turn.
    let out = h.send("USER mrose\r\nPASS secret\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nLIST\r\nQUIT\r\n");
    assert_eq!(out, "");
    let ServerEvent::User { id, .. } = h.event() else {
        panic!()
    };
    h.no_event();
    h.server.reply_ok(h.now, id, "hi").unwrap();
    let ServerEvent::Pass { id, .. } = h.event() else {
        panic!()
    };
    h.server.accept_login(h.now, id, rfc_maildrop()).unwrap();
    let ServerEvent::Retr { id, .. } = h.event() else {
        panic!()
    };
    h.no_event();
    h.server
        .send_body(id, Bytes::from_static(b".hidden\r\n"))
        .unwrap();
    h.server
        .send_body(id, Bytes::from_static(b"..two\r\n."))
        .unwrap();
    h.server.finish_body(h.now, id).unwrap();
    let ServerEvent::Update { id, deleted } = h.event() else {
        panic!()
    };
    assert_eq!(deleted, vec![MessageNumber::new(1).unwrap()]);
    h.server.reply_ok(h.now, id, "bye").unwrap();
    assert_eq!(
        h.output(),
        "+OK hi\r\n+OK mrose's maildrop has 2 messages (320 octets)\r\n+OK 2 320\r\n\
         +OK 120 octets\r\n..hidden\r\n...two\r\n..\r\n.\r\n+OK message 1 deleted\r\n\
         +OK 1 message (200 octets)\r\n2 200\r\n.\r\n+OK bye\r\n"
    );
}

#[test]
fn pipelined_input_is_bounded() {
    let mut h = Harness::new(ServerConfig {
        max_pipelined_input: 64,
        ..rfc_config()
    });
    h.output();
    h.send("USER a\r\n");
    assert!(matches!(h.event(), ServerEvent::User { .. }));
    let out = h.send(&"NOOP\r\n".repeat(20));
    assert_eq!(out, "-ERR [SYS/PERM] too much pipelined input\r\n");
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::TooMuchInput
        }
    );
}

#[test]
fn decisions_are_checked() {
    let mut h = Harness::new(rfc_config());
    h.output();
    h.send("USER a\r\n");
    let ServerEvent::User { id, .. } = h.event() else {
        panic!()
    };
    assert_eq!(
        h.server.accept_login(h.now, id, Maildrop::default()),
        Err(SessionError::WrongDecision)
    );
    assert_eq!(
        h.server.send_body(id, Bytes::new()),
        Err(SessionError::WrongDecision)
    );
    assert_eq!(
        h.server.reply_ok(h.now, RequestId(99), "x"),
        Err(SessionError::UnknownId)
    );
    assert_eq!(
        h.server.reply_ok(h.now, id, "a\r\nb"),
        Err(SessionError::InvalidText)
    );
    h.server.reply_ok(h.now, id, "ok").unwrap();
    assert_eq!(
        h.server.reply_ok(h.now, id, "again"),
        Err(SessionError::UnknownId)
    );
    assert_eq!(h.send("PASS x\r\n"), "+OK ok\r\n");
    let ServerEvent::Pass { id, .. } = h.event() else {
        panic!()
    };
    h.server.close(None).unwrap();
    assert_eq!(
        h.server.accept_login(h.now, id, Maildrop::default()),
        Err(SessionError::Closed)
    );
}

/// RFC 1939 §3: the autologout timer restarts on each command, is suspended while the
/// application answers, and closes without UPDATE and without a response.
#[test]
fn autologout_timer() {
    let mut h = Harness::new(rfc_config());
    h.output();
    let start = h.now;
    assert_eq!(h.server.poll_timeout(), Some(start + DEFAULT_AUTOLOGOUT));
    h.now += Duration::from_secs(300);
    h.send("USER a\r\n");
    let ServerEvent::User { id, .. } = h.event() else {
        panic!()
    };
    assert_eq!(h.server.poll_timeout(), None);
    h.now += Duration::from_secs(30);
    h.server.reply_ok(h.now, id, "ok").unwrap();
    assert_eq!(
        h.server.poll_timeout(),
        Some(start + Duration::from_secs(330) + DEFAULT_AUTOLOGOUT)
    );
    h.send("PASS x\r\n");
    let ServerEvent::Pass { id, .. } = h.event() else {
        panic!()
    };
    h.server.accept_login(h.now, id, rfc_maildrop()).unwrap();
    assert_eq!(
        h.send("DELE 1\r\n"),
        "+OK a's maildrop has 2 messages (320 octets)\r\n+OK message 1 deleted\r\n"
    );
    let early = h.now + Duration::from_secs(599);
    h.server.handle_timeout(early);
    h.no_event();
    let deadline = h.server.poll_timeout().unwrap();
    h.server.handle_timeout(deadline);
    // No response at all, and no UPDATE event.
    assert_eq!(h.output(), "");
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::Autologout
        }
    );
    assert_eq!(h.server.transport(), Transport::Closed);
    assert_eq!(h.server.poll_timeout(), None);
}

/// RFC 5034 §4 and §6: initial response, empty challenge, cancel, bad base64, one AUTH.
#[test]
fn sasl_exchanges() {
    let mut h = Harness::new(ServerConfig {
        implicit_tls: true,
        sasl_mechanisms: vec![Mechanism::plain(), Mechanism::new("X-TOKEN").unwrap()],
        ..ServerConfig::default()
    });
    h.output();
    assert_eq!(
        h.send("AUTH CRAM-MD5\r\n"),
        "-ERR unsupported authentication mechanism\r\n"
    );
    // Without an initial response: an empty challenge "+ ".
    assert_eq!(h.send("AUTH PLAIN\r\n"), "");
    let ServerEvent::Auth {
        id,
        mechanism,
        initial_response,
    } = h.event()
    else {
        panic!()
    };
    assert_eq!((mechanism.as_str(), initial_response), ("PLAIN", None));
    h.server.sasl_challenge(h.now, id, b"").unwrap();
    assert_eq!(h.output(), "+ \r\n");
    assert_eq!(h.send("*\r\n"), "-ERR authentication cancelled\r\n");
    assert_eq!(h.event(), ServerEvent::AuthAborted { id });
    assert_eq!(h.send("AUTH X-TOKEN\r\n"), "");
    let ServerEvent::Auth { id, .. } = h.event() else {
        panic!()
    };
    h.server.sasl_challenge(h.now, id, b"challenge").unwrap();
    assert_eq!(h.output(), "+ Y2hhbGxlbmdl\r\n");
    assert_eq!(
        h.send("not base64!\r\n"),
        "-ERR invalid base64 in authentication\r\n"
    );
    assert_eq!(h.event(), ServerEvent::AuthAborted { id });
    // With the initial response of RFC 5034 §6.
    assert_eq!(h.send("AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n"), "");
    let ServerEvent::Auth {
        id,
        initial_response,
        ..
    } = h.event()
    else {
        panic!()
    };
    let credentials =
        crate::sasl::PlainCredentials::decode(initial_response.unwrap().expose()).unwrap();
    assert_eq!(credentials.authcid, "test");
    h.server
        .accept_login(h.now, id, Maildrop::default())
        .unwrap();
    assert_eq!(h.output(), "+OK maildrop has 0 messages (0 octets)\r\n");
    assert_eq!(
        h.send("AUTH PLAIN\r\n"),
        "-ERR command not valid in this state\r\n"
    );
    // A response line may be long (up to max_sasl_line).
    let mut h = Harness::new(ServerConfig {
        implicit_tls: true,
        ..ServerConfig::default()
    });
    h.output();
    h.send("AUTH PLAIN\r\n");
    let ServerEvent::Auth { id, .. } = h.event() else {
        panic!()
    };
    h.server.sasl_challenge(h.now, id, b"").unwrap();
    h.output();
    let long = format!("{}\r\n", "QUFB".repeat(200));
    assert_eq!(h.send(&long), "");
    let ServerEvent::SaslResponse { response, .. } = h.event() else {
        panic!()
    };
    assert_eq!(response.expose().len(), 600);
}

#[test]
fn capabilities_and_rfc6856() {
    let mut h = Harness::new(ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        utf8: Some(true),
        lang: true,
        stls: true,
        implementation: Some("mailwire".into()),
        extra_capabilities: vec![Capability::Expire {
            policy: crate::types::ExpirePolicy::Never,
            per_user: false,
        }],
        ..ServerConfig::default()
    });
    h.output();
    assert_eq!(
        h.send("CAPA\r\n"),
        "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN\r\nRESP-CODES\r\nPIPELINING\r\nSTLS\r\n\
         UTF8 USER\r\nLANG\r\nIMPLEMENTATION mailwire\r\nEXPIRE NEVER\r\n.\r\n"
    );
    assert_eq!(h.send("LANG\r\n"), "");
    let ServerEvent::Lang { id, range: None } = h.event() else {
        panic!()
    };
    let languages = [
        LanguageListing {
            tag: Word::new("en").unwrap(),
            description: Text::utf8("English").unwrap(),
        },
        LanguageListing {
            tag: Word::new("es").unwrap(),
            description: Text::utf8("Espanol").unwrap(),
        },
    ];
    h.server.reply_languages(h.now, id, &languages).unwrap();
    assert_eq!(
        h.output(),
        "+OK Language listing follows\r\nen English\r\nes Espanol\r\n.\r\n"
    );
    h.send("LANG es\r\n");
    let ServerEvent::Lang {
        id,
        range: Some(range),
    } = h.event()
    else {
        panic!()
    };
    assert_eq!(range.as_str(), "es");
    assert_eq!(
        h.server.reply_languages(h.now, id, &languages),
        Err(SessionError::WrongDecision)
    );
    h.server.reply_ok(h.now, id, "es Idioma cambiado").unwrap();
    assert_eq!(h.output(), "+OK es Idioma cambiado\r\n");
    h.send("UTF8\r\n");
    let ServerEvent::Utf8 { id } = h.event() else {
        panic!()
    };
    h.server.reply_ok(h.now, id, "UTF8 enabled").unwrap();
    assert!(h.server.is_utf8_mode());
    assert_eq!(h.output(), "+OK UTF8 enabled\r\n");
    assert_eq!(h.send("STLS\r\n"), "-ERR STLS not allowed after UTF8\r\n");
    assert_eq!(h.send("USER j\u{f6}rg\r\n"), "");
    let ServerEvent::User { name, .. } = h.event() else {
        panic!()
    };
    assert_eq!(name.as_str(), "j\u{f6}rg");
}

#[test]
fn apop_without_timestamp_and_pass_without_user() {
    let mut h = Harness::new(rfc_config());
    h.output();
    assert_eq!(
        h.send("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
        "-ERR APOP not supported\r\n"
    );
    assert_eq!(h.send("PASS secret\r\n"), "-ERR USER first\r\n");
    let mut h = Harness::with_apop(rfc_config());
    h.output();
    h.send("APOP mrose 00000000000000000000000000000000\r\n");
    let ServerEvent::Apop {
        id,
        digest,
        timestamp,
        ..
    } = h.event()
    else {
        panic!()
    };
    assert!(!digest.verify(&timestamp, b"tanstaaf"));
    h.server
        .reply_err(
            h.now,
            id,
            Some(ResponseCode::known(KnownCode::Auth)),
            "permission denied",
        )
        .unwrap();
    assert_eq!(h.output(), "-ERR [AUTH] permission denied\r\n");
    assert_eq!(h.server.state(), State::Authorization);
    login_apop(&mut h);
    assert_eq!(h.server.state(), State::Transaction);
}

/// RFC 1939 §6: a session that ends without QUIT never removes anything.
#[test]
fn eof_and_retr_error_do_not_update() {
    let mut h = Harness::with_apop(rfc_config());
    h.output();
    login_apop(&mut h);
    h.send("DELE 1\r\nRETR 2\r\n");
    let ServerEvent::Retr { id, .. } = h.event() else {
        panic!()
    };
    h.server
        .reply_err(
            h.now,
            id,
            Some(ResponseCode::known(KnownCode::Utf8)),
            "needs UTF8",
        )
        .unwrap();
    assert!(h.output().ends_with("-ERR [UTF8] needs UTF8\r\n"));
    h.server.handle_eof(h.now);
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::PeerClosed
        }
    );
    h.no_event();
}

/// Answers every request at once, the same way whatever the chunking.
fn auto_answer(server: &mut Server, now: Instant, event: &ServerEvent) {
    let _ = match event {
        ServerEvent::User { id, .. } => server.reply_ok(now, *id, "ok"),
        ServerEvent::Pass { id, .. }
        | ServerEvent::Apop { id, .. }
        | ServerEvent::SaslResponse { id, .. } => server.accept_login(now, *id, rfc_maildrop()),
        ServerEvent::Auth { id, .. } => server.sasl_challenge(now, *id, b"c"),
        ServerEvent::Retr { id, .. } | ServerEvent::Top { id, .. } => {
            let _ = server.send_body(*id, Bytes::from_static(b".x\r\ny"));
            server.finish_body(now, *id)
        }
        ServerEvent::Update { id, .. } => server.reply_ok(now, *id, "bye"),
        _ => Ok(()),
    };
}

fn run_chunks(chunks: &[&[u8]]) -> (Vec<ServerEvent>, Vec<u8>) {
    let now = Instant::now();
    let config = ServerConfig {
        max_pipelined_input: 1 << 20,
        ..rfc_config()
    };
    let mut server = Server::with_apop(config, now, ApopTimestamp::new("<a@b>").unwrap());
    let mut events = Vec::new();
    let mut out = Vec::new();
    while server.poll_transmit(&mut out) > 0 {}
    for chunk in chunks {
        server.handle_input(now, chunk);
        loop {
            while server.poll_transmit(&mut out) > 0 {}
            let Some(event) = server.poll_event() else {
                break;
            };
            auto_answer(&mut server, now, &event);
            events.push(event);
        }
    }
    (events, out)
}

proptest::proptest! {
    #[test]
    fn chunking_does_not_change_the_session(
        lines in proptest::collection::vec(proptest::sample::select(vec![
            "USER a\r\n", "PASS b\r\n", "APOP a 00000000000000000000000000000000\r\n", "STAT\r\n",
            "LIST\r\n", "LIST 2\r\n", "RETR 1\r\n", "TOP 2 0\r\n", "DELE 1\r\n", "RSET\r\n",
            "UIDL\r\n", "NOOP\r\n", "CAPA\r\n", "AUTH PLAIN\r\n", "dGVzdA==\r\n", "*\r\n",
            "BOGUS\r\n", "NOOP\n", "QUIT\r\n",
        ]), 0..30),
        step in 1usize..13,
    ) {
        let input = lines.concat().into_bytes();
        let whole = run_chunks(&[&input]);
        let chunks: Vec<&[u8]> = input.chunks(step).collect();
        proptest::prop_assert_eq!(run_chunks(&chunks), whole);
    }
}
