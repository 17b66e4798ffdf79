//! Transcript and behaviour tests of the server machine, on a virtual clock.

use std::time::{Duration, Instant};

use mailwire_core::{Session, Transport};

use super::*;
use crate::codec::{decode_greeting, decode_response, DecodeOptions, NonSyncLiterals, Version};
use crate::types::{
    Atom, Capability, Code, CommandBody, Data, Greeting, Response, ResponseText, State, Text,
};

/// A machine, a virtual clock and everything the machine produced so far.
struct Harness {
    server: Server,
    now: Instant,
    out: Vec<u8>,
}

impl Harness {
    fn new(config: ServerConfig) -> Self {
        let now = Instant::now();
        let mut harness = Harness {
            server: Server::new(config, now),
            now,
            out: Vec::new(),
        };
        harness.collect();
        harness
    }

    fn collect(&mut self) {
        while self.server.poll_transmit(&mut self.out) > 0 {}
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.server.handle_input(self.now, bytes);
        self.collect();
    }

    /// The output since the last call, as text.
    fn take(&mut self) -> String {
        self.collect();
        String::from_utf8(std::mem::take(&mut self.out)).unwrap()
    }

    fn event(&mut self) -> ServerEvent {
        self.server.poll_event().expect("an event")
    }

    fn no_event(&mut self) {
        let event = self.server.poll_event();
        assert!(event.is_none(), "unexpected {event:?}");
    }

    fn command(&mut self) -> (CommandId, CommandBody<'static>) {
        match self.event() {
            ServerEvent::Command { id, command, .. } => (id, command),
            other => panic!("expected a command, got {other:?}"),
        }
    }

    fn ok(&mut self, id: CommandId, text: &str) {
        self.server.ok(self.now, id, text).unwrap();
        self.collect();
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        if let Some(deadline) = self.server.poll_timeout() {
            if self.now >= deadline {
                self.server.handle_timeout(self.now);
            }
        }
        self.collect();
    }

    /// Logs in with LOGIN (cleartext must be allowed) and drops the output.
    fn login(&mut self) {
        self.feed(b"L1 LOGIN user pass\r\n");
        let ServerEvent::Login { id, .. } = self.event() else {
            panic!("no login")
        };
        self.ok(id, "done");
        self.take();
    }

    /// Logs in and selects INBOX.
    fn select(&mut self) {
        self.login();
        self.feed(b"S1 SELECT INBOX\r\n");
        let (id, _) = self.command();
        self.server
            .send_data(id, &Data::Exists(3))
            .expect("send EXISTS");
        self.ok(id, "selected");
        self.take();
        assert_eq!(
            self.server.state(),
            SessionState::Selected { read_only: false }
        );
    }
}

fn open_config() -> ServerConfig {
    ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        capability_in_greeting: false,
        capability_after_login: false,
        ..ServerConfig::default()
    }
}

fn data(line: &str) -> Data<'static> {
    match response(line.as_bytes(), &DecodeOptions::default()) {
        Response::Data(data) => data,
        other => panic!("not untagged data: {other:?}"),
    }
}

fn response(bytes: &[u8], options: &DecodeOptions) -> Response<'static> {
    let mut line = bytes.to_vec();
    if !line.ends_with(b"\r\n") {
        line.extend_from_slice(b"\r\n");
    }
    let status = decode_response(&line, options).unwrap_or_else(|error| {
        panic!("{error}: {}", String::from_utf8_lossy(&line));
    });
    let (value, consumed) = status.complete().expect("a complete response");
    assert_eq!(consumed, line.len());
    value.into_owned()
}

// ---------------------------------------------------------------------------------------
// Transcript runner
// ---------------------------------------------------------------------------------------

/// One line of a transcript. `⏎` stands for CRLF inside a line (literal data).
///
/// - `G` the greeting, `M` a response the machine makes itself (compared without its
///   human-readable text, capabilities as a set);
/// - `C` a client line (CRLF added), `A` an AUTHENTICATE data line, `D` the DONE of IDLE,
///   `T` the TLS handshake completes;
/// - `S` a response the scripted application sends while answering the event at hand
///   (untagged data, a SASL challenge, the tagged completion);
/// - `P` an update the application pushes that leaves at once, `H` one that the machine
///   must hold back (it shows up later as `M` lines).
fn script(text: &str) -> Vec<(char, Vec<u8>)> {
    text.lines()
        .map(str::trim_start)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut chars = line.chars();
            let kind = chars.next().unwrap();
            let rest = chars.as_str().strip_prefix(' ').unwrap_or("");
            (kind, rest.replace('⏎', "\r\n").into_bytes())
        })
        .collect()
}

struct Transcript {
    server: Server,
    now: Instant,
    lines: Vec<(char, Vec<u8>)>,
    position: usize,
    /// Expected responses: (made by the machine, bytes).
    expected: Vec<(bool, Vec<u8>)>,
    /// APPEND tags by id, and the octets received.
    append_tag: Option<String>,
    appended: Vec<u8>,
    events: Vec<ServerEvent>,
}

fn code_key(code: &Option<Code<'_>>) -> String {
    match code {
        Some(Code::Capability(list)) => capability_key(list),
        other => format!("{other:?}"),
    }
}

fn capability_key(list: &[Capability<'_>]) -> String {
    let mut names: Vec<String> = list.iter().map(|c| format!("{c:?}")).collect();
    names.sort();
    names.join(",")
}

/// What must match in a response the machine makes: everything but the text.
fn machine_key(response: &Response<'_>) -> String {
    match response {
        Response::Tagged(tagged) => format!(
            "tagged {} {:?} {}",
            tagged.tag,
            tagged.state,
            code_key(&tagged.text.code)
        ),
        Response::Data(Data::State { state, text }) => {
            format!("state {state:?} {}", code_key(&text.code))
        }
        Response::Data(Data::Bye(text)) => format!("bye {}", code_key(&text.code)),
        Response::Data(Data::Capability(list)) => format!("capability {}", capability_key(list)),
        Response::Continuation(_) => "continuation".into(),
        other => format!("{other:?}"),
    }
}

impl Transcript {
    fn run(config: ServerConfig, text: &str, options: &DecodeOptions) -> Transcript {
        let now = Instant::now();
        let mut transcript = Transcript {
            server: Server::new(config, now),
            now,
            lines: script(text),
            position: 0,
            expected: Vec::new(),
            append_tag: None,
            appended: Vec::new(),
            events: Vec::new(),
        };
        let mut out = Vec::new();
        while transcript.position < transcript.lines.len() {
            let (kind, bytes) = transcript.lines[transcript.position].clone();
            transcript.position += 1;
            match kind {
                'G' | 'M' => transcript.expected.push((true, bytes)),
                'C' | 'A' | 'D' => {
                    let mut input = bytes;
                    input.extend_from_slice(b"\r\n");
                    transcript.server.handle_input(now, &input);
                }
                'T' => transcript.server.handle_tls_established(now),
                'P' | 'H' => transcript.push(kind, bytes),
                other => panic!(
                    "line {} ({other}) not consumed by the application",
                    transcript.position
                ),
            }
            transcript.drain();
            while transcript.server.poll_transmit(&mut out) > 0 {}
        }
        transcript.compare(&out, options);
        transcript
    }

    fn push(&mut self, kind: char, bytes: Vec<u8>) {
        let delivery = self
            .server
            .push(&data(std::str::from_utf8(&bytes).unwrap()));
        if kind == 'P' {
            assert_eq!(
                delivery,
                Ok(Delivery::Sent),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
            self.expected.push((false, bytes));
        } else {
            assert_eq!(
                delivery,
                Ok(Delivery::Held),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }

    /// The application answers `id` from the script: untagged data and pushes until the
    /// tagged completion (`tag`) or a continuation (SASL challenge).
    fn answer(&mut self, id: CommandId, tag: &str) {
        loop {
            let (kind, bytes) = self.lines[self.position].clone();
            self.position += 1;
            match kind {
                'M' => self.expected.push((true, bytes)),
                'P' | 'H' => self.push(kind, bytes),
                'S' => {
                    self.expected.push((false, bytes.clone()));
                    match response(&bytes, &DecodeOptions::default()) {
                        Response::Data(data) => {
                            self.server.send_data(id, &data).unwrap();
                        }
                        Response::Continuation(continuation) => {
                            let challenge = continuation.decode_base64().unwrap();
                            self.server
                                .sasl_challenge(self.now, id, &challenge)
                                .unwrap();
                            return;
                        }
                        Response::Tagged(tagged) => {
                            assert_eq!(tagged.tag.as_str(), tag);
                            self.server
                                .complete(self.now, id, tagged.state, tagged.text)
                                .unwrap();
                            return;
                        }
                    }
                }
                other => panic!("line {}: {other} while answering {tag}", self.position),
            }
        }
    }

    fn drain(&mut self) {
        while let Some(event) = self.server.poll_event() {
            match &event {
                ServerEvent::Command { id, tag, .. }
                | ServerEvent::Login { id, tag, .. }
                | ServerEvent::Authenticate { id, tag, .. } => {
                    let (id, tag) = (*id, tag.to_string());
                    self.events.push(event);
                    self.answer(id, &tag);
                    continue;
                }
                ServerEvent::SaslResponse { id, .. } => {
                    let id = *id;
                    let tag = self
                        .events
                        .iter()
                        .rev()
                        .find_map(|event| match event {
                            ServerEvent::Authenticate { tag, .. } => Some(tag.to_string()),
                            _ => None,
                        })
                        .unwrap();
                    self.events.push(event);
                    self.answer(id, &tag);
                    continue;
                }
                ServerEvent::AppendMessage { id, tag, .. } => {
                    self.append_tag = Some(tag.to_string());
                    self.server.accept_append(self.now, *id).unwrap();
                }
                ServerEvent::AppendData { chunk, .. } => self.appended.extend_from_slice(chunk),
                ServerEvent::AppendDone { id, .. } => {
                    let (id, tag) = (*id, self.append_tag.clone().unwrap());
                    self.events.push(event);
                    self.answer(id, &tag);
                    continue;
                }
                _ => {}
            }
            self.events.push(event);
        }
    }

    fn compare(&self, out: &[u8], options: &DecodeOptions) {
        let mut rest = out;
        let mut actual = Vec::new();
        let Some((greeting, consumed)) = decode_greeting(rest, options).unwrap().complete() else {
            panic!("no greeting in {}", String::from_utf8_lossy(out));
        };
        let greeting: Greeting<'static> = greeting.into_owned();
        rest = &rest[consumed..];
        while !rest.is_empty() {
            let status = decode_response(rest, options)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(rest)));
            let (value, consumed) = status.complete().expect("complete response");
            actual.push((value.into_owned(), rest[..consumed].to_vec()));
            rest = &rest[consumed..];
        }
        let (first, expected) = self.expected.split_first().expect("a greeting line");
        let mut expected_greeting = first.1.clone();
        expected_greeting.extend_from_slice(b"\r\n");
        let expected_greeting = decode_greeting(&expected_greeting, options)
            .unwrap()
            .complete()
            .unwrap()
            .0;
        assert_eq!(greeting.kind, expected_greeting.kind);
        assert_eq!(
            code_key(&greeting.text.code),
            code_key(&expected_greeting.text.code)
        );
        let show = |list: &[(Response<'static>, Vec<u8>)]| {
            list.iter()
                .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
                .collect::<String>()
        };
        assert_eq!(
            actual.len(),
            expected.len(),
            "output:\n{}\nexpected:\n{}",
            show(&actual),
            expected
                .iter()
                .map(|(_, bytes)| format!("{}\n", String::from_utf8_lossy(bytes)))
                .collect::<String>()
        );
        for ((got, raw), (machine, line)) in actual.iter().zip(expected) {
            let want = response(line, options);
            if *machine {
                assert_eq!(
                    machine_key(got),
                    machine_key(&want),
                    "{}",
                    String::from_utf8_lossy(raw)
                );
            } else {
                assert_eq!(got, &want, "{}", String::from_utf8_lossy(raw));
            }
        }
    }
}

/// RFC 3501 §8, the sample IMAP4rev1 connection.
const RFC3501_SESSION: &str = r#"
G * OK IMAP4rev1 Service Ready
C a001 login mrc secret
S a001 OK LOGIN completed
C a002 select inbox
S * 18 EXISTS
S * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S * 2 RECENT
S * OK [UNSEEN 17] Message 17 is the first unseen message
S * OK [UIDVALIDITY 3857529045] UIDs valid
S a002 OK [READ-WRITE] SELECT completed
C a003 fetch 12 full
S * 12 FETCH (FLAGS (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev1 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))
S a003 OK FETCH completed
C a004 fetch 12 body[header]
S * 12 FETCH (BODY[HEADER] {342}⏎Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)⏎From: Terry Gray <gray@cac.washington.edu>⏎Subject: IMAP4rev1 WG mtg summary and minutes⏎To: imap@cac.washington.edu⏎cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>⏎Message-Id: <B27397-0100000@cac.washington.edu>⏎MIME-Version: 1.0⏎Content-Type: TEXT/PLAIN; CHARSET=US-ASCII⏎⏎)
S a004 OK FETCH completed
C a005 store 12 +flags \deleted
S * 12 FETCH (FLAGS (\Seen \Deleted))
S a005 OK +FLAGS completed
C a006 logout
M * BYE IMAP4rev1 server terminating connection
M a006 OK LOGOUT completed
"#;

#[test]
fn rfc3501_sample_session_replays() {
    let config = ServerConfig {
        greeting: "IMAP4rev1 Service Ready".into(),
        logout_text: "IMAP4rev1 server terminating connection".into(),
        ..open_config()
    };
    let transcript = Transcript::run(config, RFC3501_SESSION, &DecodeOptions::default());
    assert_eq!(transcript.server.state(), SessionState::Logout);
    assert_eq!(transcript.server.transport(), Transport::Closed);
    let commands: Vec<&str> = transcript
        .events
        .iter()
        .filter_map(|event| match event {
            ServerEvent::Command { command, .. } => Some(command.name()),
            ServerEvent::Login { .. } => Some("LOGIN"),
            _ => None,
        })
        .collect();
    assert_eq!(commands, ["LOGIN", "SELECT", "FETCH", "FETCH", "STORE"]);
    assert!(matches!(
        transcript.events.last(),
        Some(ServerEvent::Closed {
            reason: CloseReason::Logout
        })
    ));
}

/// RFC 9051 §8, the sample IMAP4rev2 connection (STARTTLS, SCRAM with SASL-IR, ENABLE).
const RFC9051_SESSION: &str = r#"
G * OK [CAPABILITY STARTTLS AUTH=SCRAM-SHA-256 LOGINDISABLED IMAP4rev2] IMAP4rev2 Service Ready
C a000 starttls
M a000 OK Proceed with TLS negotiation
T
C A001 AUTHENTICATE SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=
S + cj1yT3ByTkdmd0ViZVJXZ2JORWtxTyVodllEcFdVYTJSYVRDQWZ1eEZJbGopaE5sRiRrMCxzPVcyMlphSjBTTlk3c29Fc1VFamI2Z1E9PSxpPTQwOTY=
A Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhObEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==
S + dj02cnJpVFJCaTIzV3BSUi93dHVwK21NaFVaVW4vZEI1bkxUSlJzamw5NUc0PQ==
A
S A001 OK SCRAM-SHA-256 authentication successful
C babc ENABLE IMAP4rev2
M * ENABLED IMAP4rev2
M babc OK Some capabilities enabled
C a002 select inbox
S * 18 EXISTS
S * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S * OK [UIDVALIDITY 3857529045] UIDs valid
S * LIST () "/" INBOX ("OLDNAME" ("inbox"))
S a002 OK [READ-WRITE] SELECT completed
C a003 fetch 12 full
S * 12 FETCH (FLAGS (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.ed>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))
S a003 OK FETCH completed
C a004 fetch 12 body[header]
S * 12 FETCH (BODY[HEADER] {342}⏎Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)⏎From: Terry Gray <gray@cac.washington.edu>⏎Subject: IMAP4rev2 WG mtg summary and minutes⏎To: imap@cac.washington.edu⏎cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>⏎Message-Id: <B27397-0100000@cac.washington.edu>⏎MIME-Version: 1.0⏎Content-Type: TEXT/PLAIN; CHARSET=US-ASCII⏎⏎)
S a004 OK FETCH completed
C a005 store 12 +flags \deleted
S * 12 FETCH (FLAGS (\Seen \Deleted))
S a005 OK +FLAGS completed
C a006 logout
M * BYE IMAP4rev2 server terminating connection
M a006 OK LOGOUT completed
"#;

/// The server of RFC 9051 §8: rev2 only, STARTTLS, SCRAM run by the application.
fn rfc9051_config() -> ServerConfig {
    ServerConfig {
        greeting: "IMAP4rev2 Service Ready".into(),
        logout_text: "IMAP4rev2 server terminating connection".into(),
        versions: Versions::Rev2,
        starttls: true,
        auth_mechanisms: vec![Atom::new("SCRAM-SHA-256").unwrap()],
        sasl_ir: false,
        non_sync_literals: NonSyncLiterals::Forbidden,
        idle: false,
        advertise_append_limit: false,
        capability_after_login: false,
        ..ServerConfig::default()
    }
}

#[test]
fn rfc9051_sample_session_replays() {
    // The sample enables IMAP4rev2 although the server offers only it: advertise both so
    // ENABLE has something to do, and check the greeting against the RFC's list plus
    // IMAP4rev1.
    // IMAP4rev1 is in effect until ENABLE, so SASL-IR must be offered for A001.
    let config = ServerConfig {
        versions: Versions::Both,
        sasl_ir: true,
        ..rfc9051_config()
    };
    let session = RFC9051_SESSION.replacen(
        "LOGINDISABLED IMAP4rev2]",
        "LOGINDISABLED IMAP4rev2 IMAP4rev1 ENABLE SASL-IR]",
        1,
    );
    let options = DecodeOptions::default().with_version(Version::Rev2);
    let transcript = Transcript::run(config, &session, &options);
    assert_eq!(transcript.server.version(), Version::Rev2);
    assert!(transcript.server.is_tls_active());
    assert!(transcript.events.iter().any(|event| matches!(
        event,
        ServerEvent::Enabled { capabilities } if capabilities == &[Capability::Imap4Rev2]
    )));
    let responses: Vec<usize> = transcript
        .events
        .iter()
        .filter_map(|event| match event {
            ServerEvent::SaslResponse { response, .. } => Some(response.expose().len()),
            _ => None,
        })
        .collect();
    // The client's final SCRAM message, then the empty response to the server's last.
    assert_eq!(responses, [106, 0]);
}

#[test]
fn rfc9051_sample_session_replays_on_a_rev2_only_server() {
    // Offered alone, IMAP4rev2 is in effect from the greeting: ENABLE is not offered,
    // and SASL-IR is part of rev2 (RFC 9051 §6.2.2) even when not advertised.
    let session = RFC9051_SESSION
        .replace("C babc ENABLE IMAP4rev2\n", "")
        .replace("M * ENABLED IMAP4rev2\n", "")
        .replace("M babc OK Some capabilities enabled\n", "");
    let options = DecodeOptions::default().with_version(Version::Rev2);
    let transcript = Transcript::run(rfc9051_config(), &session, &options);
    assert_eq!(transcript.server.version(), Version::Rev2);
}

/// RFC 9051 §6.3.13, IDLE: with the EXPUNGE of another client held back during FETCH
/// (RFC 3501 §7.4.1) and sent once IDLE is in progress, before `+ idling`.
const RFC9051_IDLE: &str = r#"
G * OK [CAPABILITY IMAP4rev2 IDLE] ready
C L LOGIN user pass
S L OK done
C A001 SELECT INBOX
S * FLAGS (\Deleted \Seen \Flagged)
S * OK [PERMANENTFLAGS (\Deleted \Seen \Flagged)] Limited
S * 3 EXISTS
S * OK [UIDVALIDITY 1]
S * OK [UIDNEXT 1]
S * LIST () "/" INBOX
S A001 OK [READ-WRITE] SELECT completed
C A002 IDLE
M + idling
# ...time passes; new mail arrives...
P * 4 EXISTS
D DONE
M A002 OK IDLE terminated
# ...another client expunges message 2 now...
C A003 FETCH 4 ALL
H * 2 EXPUNGE
H * 3 EXISTS
S * 4 FETCH (FLAGS (\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 44827 ENVELOPE (NIL "Hi" NIL NIL NIL NIL NIL NIL NIL NIL))
S A003 OK FETCH completed
C A004 IDLE
M * 2 EXPUNGE
M * 3 EXISTS
M + idling
# ...time passes; another client expunges message 3...
P * 3 EXPUNGE
P * 2 EXISTS
# ...time passes; new mail arrives...
P * 3 EXISTS
D DONE
M A004 OK IDLE terminated
C A005 FETCH 3 ALL
S * 3 FETCH (FLAGS () INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 44827 ENVELOPE (NIL "Hi" NIL NIL NIL NIL NIL NIL NIL NIL))
S A005 OK FETCH completed
"#;

#[test]
fn rfc9051_idle_example_replays_with_expunge_held_back() {
    let config = ServerConfig {
        versions: Versions::Rev2,
        cleartext_login: CleartextLogin::Allow,
        non_sync_literals: NonSyncLiterals::Forbidden,
        advertise_append_limit: false,
        capability_after_login: false,
        auth_mechanisms: Vec::new(),
        ..ServerConfig::default()
    };
    let options = DecodeOptions::default().with_version(Version::Rev2);
    let transcript = Transcript::run(config, RFC9051_IDLE, &options);
    let held: Vec<&ServerEvent> = transcript
        .events
        .iter()
        .filter(|event| matches!(event, ServerEvent::HeldUpdatesSent { .. }))
        .collect();
    assert_eq!(
        held,
        [&ServerEvent::HeldUpdatesSent {
            updates: vec![data("* 2 EXPUNGE"), data("* 3 EXISTS")]
        }]
    );
    // The held updates were reported before the IDLE they were sent in.
    let order: Vec<&str> = transcript
        .events
        .iter()
        .filter_map(|event| match event {
            ServerEvent::HeldUpdatesSent { .. } => Some("held"),
            ServerEvent::Idle { .. } => Some("idle"),
            ServerEvent::IdleDone { .. } => Some("done"),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["idle", "done", "held", "idle", "done"]);
}

/// RFC 3501 §6.3.11 and RFC 9051 §6.3.12, APPEND: synchronizing and LITERAL+ literals.
const APPEND_EXAMPLES: &str = r#"
G * OK ready
C L LOGIN user pass
S L OK done
C A003 APPEND saved-messages (\Seen) {310}⏎Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)⏎From: Fred Foobar <foobar@Blurdybloop.COM>⏎Subject: afternoon meeting⏎To: mooch@owatagu.siam.edu⏎Message-Id: <B27397-0100000@Blurdybloop.COM>⏎MIME-Version: 1.0⏎Content-Type: TEXT/PLAIN; CHARSET=US-ASCII⏎⏎Hello Joe, do you think we can meet at 3:30 tomorrow?⏎
M + Ready for literal data
S A003 OK APPEND completed
C A004 APPEND saved-messages (\Seen) {297+}⏎Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)⏎From: Fred Foobar <foobar@example.com>⏎Subject: afternoon meeting⏎To: mooch@example.com⏎Message-Id: <B27397-0100000@example.com>⏎MIME-Version: 1.0⏎Content-Type: TEXT/PLAIN; CHARSET=US-ASCII⏎⏎Hello Joe, do you think we can meet at 3:30 tomorrow?⏎
S A004 OK [APPENDUID 38505 3955] APPEND completed
"#;

#[test]
fn append_examples_replay_and_stream_the_octets() {
    let config = ServerConfig {
        non_sync_literals: NonSyncLiterals::Plus,
        ..open_config()
    };
    let transcript = Transcript::run(config, APPEND_EXAMPLES, &DecodeOptions::default());
    assert_eq!(transcript.appended.len(), 310 + 297);
    assert!(transcript.appended.starts_with(b"Date: Mon, 7 Feb 1994"));
    assert!(transcript.appended.ends_with(b"3:30 tomorrow?\r\n"));
    let announced: Vec<(u64, bool)> = transcript
        .events
        .iter()
        .filter_map(|event| match event {
            ServerEvent::AppendMessage {
                message,
                synchronizing,
                ..
            } => Some((message.length, *synchronizing)),
            _ => None,
        })
        .collect();
    assert_eq!(announced, [(310, true), (297, false)]);
}

// ---------------------------------------------------------------------------------------
// Behaviour
// ---------------------------------------------------------------------------------------

#[test]
fn greeting_advertises_what_the_policy_allows() {
    let mut h = Harness::new(ServerConfig {
        starttls: true,
        ..ServerConfig::default()
    });
    let greeting = h.take();
    assert!(greeting.starts_with("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED "));
    assert!(!greeting.contains("AUTH=PLAIN"), "{greeting}");
    assert!(
        greeting.contains("LITERAL- IDLE APPENDLIMIT=67108864]"),
        "{greeting}"
    );
    // Before TLS: LOGIN and AUTHENTICATE PLAIN are refused.
    h.feed(b"a LOGIN u p\r\nb AUTHENTICATE PLAIN AHUAcA==\r\n");
    assert_eq!(
        h.take(),
        "a NO [PRIVACYREQUIRED] LOGIN is disabled until TLS is active\r\n\
         b NO [PRIVACYREQUIRED] Plaintext authentication is disabled until TLS is active\r\n"
    );
    h.no_event();
}

#[test]
fn starttls_drops_pipelined_plaintext_and_reports_it() {
    let mut h = Harness::new(ServerConfig {
        starttls: true,
        ..ServerConfig::default()
    });
    h.take();
    // An injected LOGIN rides behind STARTTLS in the same segment.
    h.feed(b"a STARTTLS\r\nb LOGIN victim secret\r\n");
    assert_eq!(h.take(), "a OK Begin TLS negotiation now\r\n");
    assert_eq!(h.server.transport(), Transport::StartTls);
    assert_eq!(
        h.event(),
        ServerEvent::PlaintextDiscarded {
            octets: b"b LOGIN victim secret\r\n".len()
        }
    );
    // More plaintext before the handshake: dropped and reported too.
    h.feed(b"c NOOP\r\n");
    assert_eq!(h.event(), ServerEvent::PlaintextDiscarded { octets: 8 });
    assert_eq!(h.take(), "");
    h.server.handle_tls_established(h.now);
    assert_eq!(h.server.transport(), Transport::Open);
    h.feed(b"d CAPABILITY\r\ne STARTTLS\r\n");
    let answer = h.take();
    assert!(answer.contains("AUTH=PLAIN SASL-IR"), "{answer}");
    assert!(!answer.contains("STARTTLS") && !answer.contains("LOGINDISABLED"));
    assert!(
        answer.ends_with("e BAD Command not supported\r\n"),
        "{answer}"
    );
    h.no_event();
    // LOGIN works now.
    h.feed(b"f LOGIN user pass\r\n");
    assert!(matches!(h.event(), ServerEvent::Login { .. }));
}

#[test]
fn commands_are_checked_against_the_state() {
    let mut h = Harness::new(open_config());
    h.take();
    h.feed(b"a FETCH 1 FLAGS\r\nb SELECT INBOX\r\nc ENABLE CONDSTORE\r\nd NOOP\r\n");
    assert_eq!(
        h.take(),
        "a BAD Command not valid in this state\r\n\
         b BAD Command not valid in this state\r\n\
         c BAD Command not supported\r\n\
         d OK NOOP completed\r\n"
    );
    h.no_event();
    h.login();
    h.feed(b"e LOGIN u p\r\nf STORE 1 +FLAGS (\\Seen)\r\ng MOVE 1 Trash\r\n");
    assert_eq!(
        h.take(),
        "e BAD Command not valid in this state\r\n\
         f BAD Command not valid in this state\r\n\
         g BAD Command not supported\r\n"
    );
    // Once logged in, NOOP is the application's (to report changes).
    h.feed(b"h NOOP\r\n");
    let (id, command) = h.command();
    assert_eq!(command, CommandBody::Noop);
    h.ok(id, "NOOP completed");
    assert_eq!(h.take(), "h OK NOOP completed\r\n");
}

#[test]
fn select_examine_close_move_through_the_states() {
    let mut h = Harness::new(open_config());
    h.select();
    h.feed(b"a EXAMINE Archive\r\n");
    let (id, _) = h.command();
    // The previous mailbox closed when EXAMINE began.
    assert_eq!(h.server.state(), SessionState::Authenticated);
    h.ok(id, "examined");
    assert_eq!(h.server.state(), SessionState::Selected { read_only: true });
    h.feed(b"b SELECT Missing\r\n");
    let (id, _) = h.command();
    h.server
        .no(h.now, id, Some(Code::NonExistent), "no such mailbox")
        .unwrap();
    assert_eq!(h.server.state(), SessionState::Authenticated);
    h.feed(b"c CLOSE\r\n");
    assert_eq!(
        h.take(),
        "a OK examined\r\nb NO [NONEXISTENT] no such mailbox\r\n\
         c BAD Command not valid in this state\r\n"
    );
    h.feed(b"d SELECT INBOX\r\n");
    let (id, _) = h.command();
    h.ok(id, "selected");
    h.feed(b"e CLOSE\r\n");
    let (id, _) = h.command();
    h.ok(id, "closed");
    assert_eq!(h.server.state(), SessionState::Authenticated);
}

#[test]
fn pipelined_commands_are_answered_one_by_one_in_order() {
    let mut h = Harness::new(open_config());
    h.select();
    h.feed(b"a FETCH 1 FLAGS\r\nb NOOP\r\nc UID SEARCH ALL\r\nd CAPABILITY\r\n");
    let (first, _) = h.command();
    // The next command waits for the first one's completion.
    h.no_event();
    h.server
        .send_data(first, &data("* 1 FETCH (FLAGS (\\Seen))"))
        .unwrap();
    h.ok(first, "fetched");
    let (second, command) = h.command();
    assert_eq!(command, CommandBody::Noop);
    assert!(h.server.ok(h.now, first, "again").is_err());
    h.ok(second, "noop");
    let (third, _) = h.command();
    h.server.send_data(third, &data("* SEARCH 1 2 3")).unwrap();
    h.ok(third, "searched");
    let answer = h.take();
    let lines: Vec<&str> = answer.lines().collect();
    assert_eq!(
        lines,
        [
            "* 1 FETCH (FLAGS (\\Seen))",
            "a OK fetched",
            "b OK noop",
            "* SEARCH 1 2 3",
            "c OK searched",
            "* CAPABILITY IMAP4rev1 LITERAL- IDLE APPENDLIMIT=67108864",
            "d OK CAPABILITY completed",
        ]
    );
}

#[test]
fn synchronizing_literals_get_one_continuation_each_whatever_the_chunks() {
    for split in [false, true] {
        let mut h = Harness::new(open_config());
        h.take();
        let input = b"a1 LOGIN {4}\r\nfred {6}\r\nfoobar\r\n";
        if split {
            for byte in input.iter() {
                h.feed(&[*byte]);
            }
        } else {
            h.feed(input);
        }
        assert_eq!(
            h.take(),
            "+ Ready for literal data\r\n+ Ready for literal data\r\n",
            "split: {split}"
        );
        let ServerEvent::Login {
            id, credentials, ..
        } = h.event()
        else {
            panic!("no login")
        };
        assert_eq!(credentials.username, "fred");
        assert_eq!(credentials.password.expose(), "foobar");
        h.server
            .no(h.now, id, Some(Code::AuthenticationFailed), "no")
            .unwrap();
        assert_eq!(h.take(), "a1 NO [AUTHENTICATIONFAILED] no\r\n");
    }
}

#[test]
fn oversized_literals_are_refused_before_they_are_read() {
    let mut h = Harness::new(ServerConfig {
        max_literal_length: 100,
        max_append_size: 1000,
        ..open_config()
    });
    h.take();
    // A command literal over the limit: NO, and the line is the end of the command.
    h.feed(b"a LOGIN {101}\r\nb NOOP\r\n");
    assert_eq!(
        h.take(),
        "a NO [TOOBIG] Literal too large\r\nb OK NOOP completed\r\n"
    );
    h.login();
    // APPEND over the limit, and an absurd one: refused from the announcement alone.
    h.feed(b"c APPEND INBOX {1001}\r\nd APPEND INBOX {4294967295}\r\n");
    assert_eq!(
        h.take(),
        "c NO [TOOBIG] Message too large\r\nd NO [TOOBIG] Message too large\r\n"
    );
    h.feed(b"e APPEND INBOX {99999999999999999999999}\r\n");
    assert_eq!(h.take(), "e NO [TOOBIG] Literal too large\r\n");
    h.no_event();
    // The limit can be lowered for the session.
    h.server.set_append_limit(10);
    h.feed(b"f APPEND INBOX {11}\r\n");
    assert_eq!(h.take(), "f NO [TOOBIG] Message too large\r\n");
    h.feed(b"g CAPABILITY\r\n");
    assert!(h.take().contains("APPENDLIMIT=10\r\n"));
}

#[test]
fn refused_non_synchronizing_literals_are_skipped_or_end_the_session() {
    let mut h = Harness::new(open_config());
    h.login();
    // LITERAL-: at most 4096 octets without waiting. A larger one is refused with BAD
    // [TOOBIG] (RFC 7888 §5); its octets are read and dropped.
    let mut input = b"a APPEND INBOX {5000+}\r\n".to_vec();
    input.extend_from_slice(&[b'x'; 5000]);
    input.extend_from_slice(b" (\\Seen) {3+}\r\nabc\r\nb NOOP\r\n");
    h.feed(&input);
    assert_eq!(
        h.take(),
        "a BAD [TOOBIG] Non-synchronizing literal too large\r\n"
    );
    let (id, command) = h.command();
    assert_eq!(command, CommandBody::Noop);
    h.ok(id, "still here");
    assert_eq!(h.take(), "b OK still here\r\n");
    // One too large to skip ends the session (RFC 7888 §4, second choice).
    h.feed(b"c APPEND INBOX {2000000+}\r\n");
    assert_eq!(
        h.take(),
        "c BAD [TOOBIG] Non-synchronizing literal too large\r\n\
         * BYE [TOOBIG] Literal too large to skip\r\n"
    );
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::TooMuchInput
        }
    );

    // Without LITERAL+ or LITERAL-, non-synchronizing literals are refused outright.
    let mut h = Harness::new(ServerConfig {
        non_sync_literals: NonSyncLiterals::Forbidden,
        ..open_config()
    });
    h.take();
    h.feed(b"a LOGIN {4+}\r\nfred pass\r\nb NOOP\r\n");
    assert_eq!(
        h.take(),
        "a BAD Non-synchronizing literals are not supported\r\nb OK NOOP completed\r\n"
    );
}

#[test]
fn append_asks_the_application_before_the_continuation() {
    let mut h = Harness::new(open_config());
    h.login();
    h.feed(b"a APPEND Drafts (\\Draft \\Seen) \"05-Jan-2024 10:00:00 +0100\" {11}\r\n");
    let ServerEvent::AppendMessage {
        id,
        message,
        synchronizing,
        ..
    } = h.event()
    else {
        panic!("no append")
    };
    assert!(synchronizing);
    assert_eq!(
        message.mailbox,
        crate::types::Mailbox::try_from("Drafts").unwrap()
    );
    assert_eq!(message.flags.len(), 2);
    assert!(message.date.is_some());
    assert_eq!(message.length, 11);
    assert_eq!(message.format, AppendFormat::Literal);
    // No `+` yet, no timer while the application decides.
    assert_eq!(h.take(), "");
    assert_eq!(h.server.poll_timeout(), None);
    // The mailbox does not exist: NO [TRYCREATE], and nothing of the literal is read.
    h.server
        .no(h.now, id, Some(Code::TryCreate), "no such mailbox")
        .unwrap();
    h.feed(b"b NOOP\r\n");
    assert_eq!(h.take(), "a NO [TRYCREATE] no such mailbox\r\n");
    let (id, _) = h.command();
    h.ok(id, "ok");
    h.take();

    // Accepted: `+`, then the octets in the chunks they arrive in, then the end.
    h.feed(b"c APPEND INBOX {12}\r\n");
    let ServerEvent::AppendMessage { id, .. } = h.event() else {
        panic!("no append")
    };
    assert!(h.server.ok(h.now, id, "too early").is_err());
    h.server.accept_append(h.now, id).unwrap();
    assert_eq!(h.take(), "+ Ready for literal data\r\n");
    h.feed(b"Hello");
    h.feed(b", Joe\r\n");
    h.feed(b"\r\n");
    let mut chunks = Vec::new();
    loop {
        match h.event() {
            ServerEvent::AppendData { chunk, .. } => chunks.push(chunk),
            ServerEvent::AppendDone { id: done, messages } => {
                assert_eq!((done, messages), (id, 1));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(chunks, ["Hello", ", Joe\r\n"]);
    h.ok(id, "APPEND completed");
    assert_eq!(h.take(), "c OK APPEND completed\r\n");
}

#[test]
fn append_refused_while_octets_arrive_drops_the_rest() {
    let mut h = Harness::new(open_config());
    h.login();
    h.feed(b"a APPEND INBOX {10+}\r\n0123");
    let ServerEvent::AppendMessage {
        id, synchronizing, ..
    } = h.event()
    else {
        panic!("no append")
    };
    assert!(!synchronizing);
    // The octets wait for the application's decision, then flow.
    h.no_event();
    h.server.accept_append(h.now, id).unwrap();
    assert_eq!(h.take(), "");
    assert!(matches!(h.event(), ServerEvent::AppendData { chunk, .. } if chunk == "0123"));
    assert_eq!(
        h.server.accept_append(h.now, id),
        Err(ServerError::WrongDecision)
    );
    h.server
        .no(h.now, id, Some(Code::OverQuota), "quota exceeded")
        .unwrap();
    assert_eq!(h.take(), "a NO [OVERQUOTA] quota exceeded\r\n");
    h.feed(b"456789\r\nb NOOP\r\n");
    let (_, command) = h.command();
    assert_eq!(command, CommandBody::Noop);
}

#[test]
fn multiappend_streams_each_message_and_needs_the_capability() {
    let mut h = Harness::new(ServerConfig {
        capabilities: vec![Capability::MultiAppend],
        ..open_config()
    });
    h.login();
    h.feed(b"a APPEND {5}\r\n");
    assert_eq!(h.take(), "+ Ready for literal data\r\n");
    h.feed(b"INBOX (\\Seen) {3}\r\n");
    let ServerEvent::AppendMessage { id, message, .. } = h.event() else {
        panic!()
    };
    assert!(message.mailbox.is_inbox());
    assert_eq!(message.index, 0);
    h.server.accept_append(h.now, id).unwrap();
    h.feed(b"one ~{3}\r\n");
    assert!(matches!(h.event(), ServerEvent::AppendData { chunk, .. } if chunk == "one"));
    let ServerEvent::AppendMessage { message, .. } = h.event() else {
        panic!()
    };
    assert_eq!((message.index, message.format), (1, AppendFormat::Literal8));
    h.server.accept_append(h.now, id).unwrap();
    h.feed(b"t\0o\r\n");
    assert!(matches!(h.event(), ServerEvent::AppendData { chunk, .. } if chunk == "t\0o"));
    assert_eq!(h.event(), ServerEvent::AppendDone { id, messages: 2 });
    h.ok(id, "appended");
    assert_eq!(
        h.take(),
        "+ Ready for literal data\r\n+ Ready for literal data\r\na OK appended\r\n"
    );

    // Without MULTIAPPEND the second message is refused and the APPEND aborted.
    let mut h = Harness::new(open_config());
    h.login();
    h.feed(b"b APPEND INBOX {1+}\r\nx {1+}\r\ny\r\nc NOOP\r\n");
    let ServerEvent::AppendMessage { id, .. } = h.event() else {
        panic!()
    };
    h.server.accept_append(h.now, id).unwrap();
    assert!(matches!(h.event(), ServerEvent::AppendData { .. }));
    assert_eq!(h.event(), ServerEvent::AppendAborted { id });
    assert_eq!(h.take(), "b BAD MULTIAPPEND is not supported\r\n");
    assert!(matches!(h.command().1, CommandBody::Noop));
}

#[test]
fn append_needs_login_and_valid_arguments() {
    let mut h = Harness::new(open_config());
    h.take();
    h.feed(b"a APPEND INBOX {3}\r\n");
    assert_eq!(h.take(), "a BAD Command not valid in this state\r\n");
    h.login();
    h.feed(b"b APPEND INBOX (\\Seen {3}\r\nc APPEND INBOX {3}\r\nabc junk\r\n");
    let ServerEvent::AppendMessage { id, .. } = h.event() else {
        panic!()
    };
    h.server.accept_append(h.now, id).unwrap();
    assert_eq!(
        h.take(),
        "b BAD Invalid APPEND arguments\r\n+ Ready for literal data\r\n\
         c BAD Invalid APPEND arguments\r\n"
    );
    assert!(matches!(h.event(), ServerEvent::AppendData { .. }));
    assert_eq!(h.event(), ServerEvent::AppendAborted { id });
}

#[test]
fn authenticate_plain_with_and_without_initial_response() {
    let mut h = Harness::new(open_config());
    h.take();
    // SASL-IR (RFC 4959).
    h.feed(b"a AUTHENTICATE PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    let ServerEvent::Login {
        id,
        credentials,
        method,
        ..
    } = h.event()
    else {
        panic!()
    };
    assert_eq!(method, LoginMethod::Plain);
    assert_eq!(credentials.username, "tim");
    assert_eq!(credentials.password.expose(), "tanstaaftanstaaf");
    h.server
        .no(h.now, id, Some(Code::AuthenticationFailed), "no")
        .unwrap();
    // Without: an empty challenge, then the response line.
    h.feed(b"b AUTHENTICATE plain\r\n");
    assert_eq!(h.take(), "a NO [AUTHENTICATIONFAILED] no\r\n+ \r\n");
    h.no_event();
    h.feed(b"VXJzZWwAS3VydAB4aXBqM3BsbXE=\r\n");
    let ServerEvent::Login {
        id, credentials, ..
    } = h.event()
    else {
        panic!()
    };
    assert_eq!(credentials.authzid.as_deref(), Some("Ursel"));
    h.ok(id, "welcome");
    assert_eq!(h.take(), "b OK welcome\r\n");
    assert_eq!(h.server.state(), SessionState::Authenticated);
}

#[test]
fn authenticate_cancel_bad_data_and_unknown_mechanisms() {
    let mut h = Harness::new(open_config());
    h.take();
    h.feed(b"a AUTHENTICATE PLAIN\r\n*\r\nb AUTHENTICATE PLAIN\r\n!!!\r\n");
    h.feed(b"c AUTHENTICATE PLAIN AAAA\r\nd AUTHENTICATE GSSAPI\r\n");
    assert_eq!(
        h.take(),
        "+ \r\na BAD Authentication cancelled\r\n\
         + \r\nb BAD Invalid authentication data\r\n\
         c BAD Malformed PLAIN response\r\n\
         d NO Unsupported authentication mechanism\r\n"
    );
    h.no_event();
}

#[test]
fn other_sasl_mechanisms_are_stepped_by_the_application() {
    let mut h = Harness::new(ServerConfig {
        auth_mechanisms: vec![Atom::new("X-TWO-STEP").unwrap()],
        ..open_config()
    });
    h.take();
    h.feed(b"a AUTHENTICATE x-two-step\r\n");
    let ServerEvent::Authenticate {
        id,
        mechanism,
        initial_response,
        ..
    } = h.event()
    else {
        panic!()
    };
    assert_eq!(mechanism.as_str(), "x-two-step");
    assert!(initial_response.is_none());
    assert_eq!(h.server.poll_timeout(), None);
    h.server.sasl_challenge(h.now, id, b"who?").unwrap();
    // While the client owes its answer: no completion, no second challenge.
    assert_eq!(h.server.ok(h.now, id, "x"), Err(ServerError::WrongDecision));
    assert_eq!(
        h.server.sasl_challenge(h.now, id, b"again"),
        Err(ServerError::WrongDecision)
    );
    assert!(h.server.poll_timeout().is_some());
    h.feed(b"bWU=\r\n");
    let ServerEvent::SaslResponse { id: same, response } = h.event() else {
        panic!()
    };
    assert_eq!(same, id);
    assert_eq!(response.expose(), b"me");
    h.ok(id, "hello");
    assert_eq!(h.take(), "+ d2hvPw==\r\na OK hello\r\n");
    // A cancelled exchange of the application's is reported.
    let mut h = Harness::new(ServerConfig {
        auth_mechanisms: vec![Atom::new("X-TWO-STEP").unwrap()],
        sasl_ir: false,
        ..open_config()
    });
    h.take();
    h.feed(b"b AUTHENTICATE X-TWO-STEP AAAA\r\nc AUTHENTICATE X-TWO-STEP\r\n");
    assert_eq!(h.take(), "b BAD SASL-IR is not supported\r\n");
    let ServerEvent::Authenticate { id, .. } = h.event() else {
        panic!()
    };
    h.server.sasl_challenge(h.now, id, b"").unwrap();
    h.feed(b"*\r\n");
    assert_eq!(h.event(), ServerEvent::AuthenticateAborted { id });
    assert_eq!(h.take(), "+ \r\nc BAD Authentication cancelled\r\n");
}

#[test]
fn capability_code_is_added_to_a_successful_login() {
    let mut h = Harness::new(ServerConfig {
        capability_after_login: true,
        ..open_config()
    });
    h.take();
    h.feed(b"a LOGIN user pass\r\n");
    let ServerEvent::Login { id, .. } = h.event() else {
        panic!()
    };
    h.ok(id, "LOGIN completed");
    assert_eq!(
        h.take(),
        "a OK [CAPABILITY IMAP4rev1 LITERAL- IDLE APPENDLIMIT=67108864] LOGIN completed\r\n"
    );
}

#[test]
fn idle_pushes_updates_until_done() {
    let mut h = Harness::new(open_config());
    h.select();
    h.feed(b"a IDLE\r\n");
    let ServerEvent::Idle { id, .. } = h.event() else {
        panic!()
    };
    assert_eq!(h.take(), "+ idling\r\n");
    // The machine waits for the client: the autologout timer runs.
    assert!(h.server.poll_timeout().is_some());
    assert_eq!(h.server.push(&data("* 4 EXISTS")), Ok(Delivery::Sent));
    assert_eq!(h.server.push(&data("* 1 EXPUNGE")), Ok(Delivery::Sent));
    assert_eq!(h.server.ok(h.now, id, "x"), Err(ServerError::WrongDecision));
    h.feed(b"DONE\r\n");
    assert_eq!(h.event(), ServerEvent::IdleDone { id });
    assert_eq!(
        h.take(),
        "* 4 EXISTS\r\n* 1 EXPUNGE\r\na OK IDLE terminated\r\n"
    );
    // Anything but DONE ends IDLE with BAD.
    h.feed(b"b IDLE\r\nc NOOP\r\n");
    let ServerEvent::Idle { id, .. } = h.event() else {
        panic!()
    };
    assert_eq!(h.event(), ServerEvent::IdleDone { id });
    assert_eq!(h.take(), "+ idling\r\nb BAD Expected DONE\r\n");
}

#[test]
fn expunge_is_held_back_where_rfc3501_forbids_it() {
    let mut h = Harness::new(open_config());
    h.select();
    // No command in progress: held.
    assert_eq!(h.server.push(&data("* 2 EXPUNGE")), Ok(Delivery::Held));
    // Anything after a held EXPUNGE waits behind it, so the client sees the order.
    assert_eq!(h.server.push(&data("* 3 EXISTS")), Ok(Delivery::Held));
    assert_eq!(h.take(), "");
    // FETCH in progress: still held, and so is an EXPUNGE it would send itself.
    h.feed(b"a FETCH 1:* FLAGS\r\n");
    let (id, _) = h.command();
    assert_eq!(h.server.push(&data("* 1 EXPUNGE")), Ok(Delivery::Held));
    assert_eq!(
        h.server.send_data(id, &data("* 2 EXPUNGE")),
        Ok(Delivery::Held)
    );
    h.server
        .send_data(id, &data("* 1 FETCH (FLAGS ())"))
        .unwrap();
    h.ok(id, "fetched");
    assert_eq!(h.take(), "* 1 FETCH (FLAGS ())\r\na OK fetched\r\n");
    // UID FETCH may carry them: they leave before the command's event.
    h.feed(b"b UID FETCH 1:* FLAGS\r\n");
    let ServerEvent::HeldUpdatesSent { updates } = h.event() else {
        panic!()
    };
    assert_eq!(
        updates,
        [
            data("* 2 EXPUNGE"),
            data("* 3 EXISTS"),
            data("* 1 EXPUNGE"),
            data("* 2 EXPUNGE")
        ]
    );
    let (id, _) = h.command();
    assert_eq!(h.server.push(&data("* 1 EXPUNGE")), Ok(Delivery::Sent));
    h.ok(id, "done");
    assert_eq!(
        h.take(),
        "* 2 EXPUNGE\r\n* 3 EXISTS\r\n* 1 EXPUNGE\r\n* 2 EXPUNGE\r\n* 1 EXPUNGE\r\nb OK done\r\n"
    );
    // Held updates of a mailbox the client leaves are dropped.
    assert_eq!(h.server.push(&data("* 1 EXPUNGE")), Ok(Delivery::Held));
    h.feed(b"c SELECT Other\r\n");
    assert_eq!(h.event(), ServerEvent::HeldUpdatesDropped { count: 1 });
    let (id, _) = h.command();
    assert_eq!(
        h.server.push(&data("* 1 EXISTS")),
        Err(ServerError::NoMailboxSelected)
    );
    h.ok(id, "selected");
    // Non-renumbering updates leave at once, even with no command in progress.
    assert_eq!(h.server.push(&data("* 5 EXISTS")), Ok(Delivery::Sent));
    assert!(h.take().ends_with("c OK selected\r\n* 5 EXISTS\r\n"));
}

#[test]
fn vanished_is_held_during_uid_search_by_message_numbers() {
    let mut h = Harness::new(open_config());
    h.select();
    h.feed(b"a UID SEARCH 1:3\r\n");
    let (id, _) = h.command();
    assert_eq!(h.server.push(&data("* VANISHED 7")), Ok(Delivery::Held));
    h.ok(id, "searched");
    h.feed(b"b UID SEARCH UID 1:3\r\n");
    assert!(matches!(h.event(), ServerEvent::HeldUpdatesSent { .. }));
    // VANISHED (EARLIER) answers a command and never renumbers: never held.
    let (id, _) = h.command();
    assert_eq!(
        h.server.send_data(id, &data("* VANISHED (EARLIER) 3")),
        Ok(Delivery::Sent)
    );
}

#[test]
fn pushes_are_refused_where_they_make_no_sense() {
    let mut h = Harness::new(open_config());
    assert_eq!(
        h.server.push(&data("* 1 EXISTS")),
        Err(ServerError::NoMailboxSelected)
    );
    assert_eq!(
        h.server.push(&data("* CAPABILITY IMAP4rev1")),
        Err(ServerError::NotAllowedInState)
    );
    assert_eq!(
        h.server.push(&data("* OK [ALERT] maintenance at noon")),
        Ok(Delivery::Sent)
    );
    assert_eq!(
        h.server.push(&data("* BYE shutting down")),
        Ok(Delivery::Sent)
    );
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::Application
        }
    );
    assert_eq!(h.server.push(&data("* OK x")), Err(ServerError::Closed));
    assert!(h
        .take()
        .ends_with("* OK [ALERT] maintenance at noon\r\n* BYE shutting down\r\n"));

    let mut h = Harness::new(ServerConfig {
        max_held_updates: 2,
        ..open_config()
    });
    h.select();
    assert_eq!(h.server.push(&data("* 1 EXPUNGE")), Ok(Delivery::Held));
    assert_eq!(h.server.push(&data("* 1 EXPUNGE")), Ok(Delivery::Held));
    assert_eq!(
        h.server.push(&data("* 1 EXPUNGE")),
        Err(ServerError::TooManyHeldUpdates)
    );
}

#[test]
fn enable_changes_the_codec_options_in_effect() {
    let mut h = Harness::new(ServerConfig {
        versions: Versions::Both,
        enable: vec![
            Capability::CondStore,
            Capability::QResync,
            Capability::Utf8Accept,
        ],
        non_sync_literals: NonSyncLiterals::Forbidden,
        ..open_config()
    });
    h.login();
    // Rev1 without UTF8=ACCEPT: 8-bit quoted strings are not allowed.
    h.feed("a SELECT \"Entwürfe\"\r\n".as_bytes());
    assert!(h.take().starts_with("a BAD Invalid command"));
    h.feed(b"b ENABLE UTF8=ACCEPT X-UNKNOWN QRESYNC\r\n");
    assert_eq!(
        h.take(),
        "* ENABLED UTF8=ACCEPT QRESYNC\r\nb OK ENABLE completed\r\n"
    );
    assert_eq!(
        h.event(),
        ServerEvent::Enabled {
            capabilities: vec![Capability::Utf8Accept, Capability::QResync]
        }
    );
    assert!(h.server.is_enabled(&Capability::CondStore));
    // Again: nothing new is enabled (RFC 5161 §3.1: each ENABLED lists its own).
    h.feed(b"c ENABLE QRESYNC IMAP4rev2\r\n");
    assert_eq!(h.take(), "* ENABLED IMAP4rev2\r\nc OK ENABLE completed\r\n");
    assert!(matches!(h.event(), ServerEvent::Enabled { .. }));
    assert_eq!(h.server.version(), Version::Rev2);
    h.feed("d SELECT \"Entwürfe\"\r\n".as_bytes());
    let (id, command) = h.command();
    let CommandBody::Select { mailbox, .. } = command else {
        panic!()
    };
    assert_eq!(mailbox.name().as_str(), Some("Entwürfe"));
    h.ok(id, "selected");
    // IMAP4rev2 allows LITERAL- sized non-synchronizing literals without LITERAL+/-.
    h.feed(b"e UID FETCH 1 BODY.PEEK[HEADER.FIELDS ({7+}\r\nSUBJECT)]\r\n");
    assert!(matches!(h.command().1, CommandBody::Fetch { .. }));
    h.no_event();
    // ENABLE once a mailbox is selected: BAD (RFC 5161 §3.1).
    let mut h = Harness::new(ServerConfig {
        enable: vec![Capability::CondStore],
        ..open_config()
    });
    h.select();
    h.feed(b"f ENABLE CONDSTORE\r\n");
    assert_eq!(h.take(), "f BAD Command not valid in this state\r\n");
}

#[test]
fn select_with_condstore_enables_it_and_qresync_reports_closed() {
    let mut h = Harness::new(ServerConfig {
        enable: vec![Capability::CondStore, Capability::QResync],
        ..open_config()
    });
    h.login();
    h.feed(b"a SELECT INBOX (CONDSTORE)\r\n");
    assert_eq!(
        h.event(),
        ServerEvent::Enabled {
            capabilities: vec![Capability::CondStore]
        }
    );
    let (id, _) = h.command();
    h.ok(id, "selected");
    assert!(h.server.is_enabled(&Capability::CondStore));
    assert!(!h.server.is_enabled(&Capability::QResync));
    // QRESYNC cannot be enabled once selected; a rev1 SELECT switch sends no CLOSED.
    h.feed(b"b SELECT Other\r\n");
    let (id, _) = h.command();
    h.ok(id, "selected");
    assert_eq!(h.take(), "a OK selected\r\nb OK selected\r\n");

    let mut h = Harness::new(ServerConfig {
        enable: vec![Capability::QResync],
        ..open_config()
    });
    h.login();
    h.feed(b"a ENABLE QRESYNC\r\nb SELECT INBOX\r\n");
    let _ = h.event();
    let (id, _) = h.command();
    h.ok(id, "selected");
    h.feed(b"c EXAMINE Other\r\n");
    let (id, _) = h.command();
    h.ok(id, "examined");
    assert!(h
        .take()
        .ends_with("b OK selected\r\n* OK [CLOSED] Previous mailbox closed\r\nc OK examined\r\n"));
}

#[test]
fn malformed_commands_get_bad_and_too_many_end_the_session() {
    let mut h = Harness::new(ServerConfig {
        max_errors: 3,
        ..open_config()
    });
    h.take();
    h.feed(b"a FROBNICATE\r\n\r\nb NOOP\r\n");
    let answer = h.take();
    let lines: Vec<&str> = answer.lines().collect();
    assert!(lines[0].starts_with("a BAD Invalid command"), "{answer}");
    assert!(lines[1].starts_with("* BAD Invalid command"), "{answer}");
    assert_eq!(lines[2], "b OK NOOP completed");
    // Bare LF line ends are not CRLF: BAD as well.
    h.feed(b"c NOOP\n");
    assert_eq!(
        h.take().lines().collect::<Vec<_>>()[1],
        "* BYE Too many invalid commands"
    );
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::TooManyErrors
        }
    );
    assert_eq!(h.server.transport(), Transport::Closed);
    h.feed(b"d NOOP\r\n");
    assert_eq!(h.take(), "");
}

#[test]
fn over_long_lines_are_refused_and_the_session_resynchronises() {
    let mut h = Harness::new(ServerConfig {
        max_line_length: 64,
        ..open_config()
    });
    h.take();
    h.feed(b"a NOOP ");
    for _ in 0..100 {
        h.feed(&[b'x'; 50]);
        assert!(h.server.buffered_input() <= 64 + 50);
    }
    h.feed(b"xx\r\nb NOOP\r\n");
    assert_eq!(h.take(), "a BAD Line too long\r\nb OK NOOP completed\r\n");
    // Whole in one chunk: the same answers.
    let mut input = b"c NOOP ".to_vec();
    input.extend_from_slice(&[b'x'; 100]);
    input.extend_from_slice(b"\r\nd NOOP\r\n");
    h.feed(&input);
    assert_eq!(h.take(), "c BAD Line too long\r\nd OK NOOP completed\r\n");
}

#[test]
fn too_much_pipelined_input_ends_the_session() {
    let mut h = Harness::new(ServerConfig {
        max_pipelined_input: 100,
        max_command_length: 20,
        max_line_length: 30,
        ..open_config()
    });
    h.login();
    h.feed(b"a NOOP\r\n");
    let _ = h.command();
    for _ in 0..20 {
        h.feed(b"b NOOP\r\n");
    }
    assert_eq!(h.take(), "* BYE Too much input\r\n");
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::TooMuchInput
        }
    );
}

#[test]
fn autologout_runs_on_the_virtual_clock() {
    let mut h = Harness::new(open_config());
    h.take();
    // Before login: the short timer.
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + DEFAULT_UNAUTHENTICATED_TIMEOUT)
    );
    h.advance(Duration::from_secs(60));
    h.login();
    // Logged in: at least 30 minutes (RFC 3501 §5.4), counted from the last answer.
    assert_eq!(h.server.poll_timeout(), Some(h.now + DEFAULT_AUTOLOGOUT));
    h.feed(b"a NOOP\r\n");
    let (id, _) = h.command();
    // Never while the application owes an answer.
    assert_eq!(h.server.poll_timeout(), None);
    h.advance(Duration::from_secs(3600));
    assert_eq!(h.server.state(), SessionState::Authenticated);
    h.ok(id, "ok");
    h.take();
    h.advance(Duration::from_secs(29 * 60));
    // handle_timeout before the deadline changes nothing.
    h.server.handle_timeout(h.now);
    assert_eq!(h.server.state(), SessionState::Authenticated);
    h.advance(Duration::from_secs(60));
    assert_eq!(h.take(), "* BYE Autologout; idle for too long\r\n");
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::Autologout
        }
    );
    assert_eq!(h.server.poll_timeout(), None);

    let mut h = Harness::new(open_config());
    h.take();
    h.advance(DEFAULT_UNAUTHENTICATED_TIMEOUT);
    assert_eq!(h.take(), "* BYE Autologout; idle for too long\r\n");

    // Once logged in, never less than 30 minutes, whatever the configuration says.
    let mut h = Harness::new(ServerConfig {
        autologout: Duration::from_secs(60),
        ..open_config()
    });
    h.login();
    assert_eq!(
        h.server.poll_timeout(),
        Some(h.now + Duration::from_secs(30 * 60))
    );
}

#[test]
fn decisions_for_unknown_or_finished_commands_are_refused() {
    let mut h = Harness::new(open_config());
    h.login();
    h.feed(b"a NOOP\r\n");
    let (id, _) = h.command();
    assert_eq!(
        h.server.ok(h.now, CommandId(999), "x"),
        Err(ServerError::UnknownId)
    );
    assert_eq!(
        h.server.accept_append(h.now, id),
        Err(ServerError::WrongDecision)
    );
    assert_eq!(
        h.server.sasl_challenge(h.now, id, b""),
        Err(ServerError::WrongDecision)
    );
    assert_eq!(
        h.server.send_data(id, &data("* BYE no")),
        Err(ServerError::WrongDecision)
    );
    h.ok(id, "ok");
    assert_eq!(h.server.ok(h.now, id, "x"), Err(ServerError::UnknownId));
    h.feed(b"b LOGOUT\r\n");
    assert_eq!(
        h.take(),
        "a OK ok\r\n* BYE IMAP server terminating connection\r\nb OK LOGOUT completed\r\n"
    );
    assert_eq!(h.server.close("x"), Err(ServerError::Closed));
    assert_eq!(h.server.ok(h.now, id, "x"), Err(ServerError::Closed));
}

#[test]
fn eof_closes_and_voids_owed_decisions() {
    let mut h = Harness::new(open_config());
    h.login();
    h.feed(b"a NOOP\r\n");
    let (id, _) = h.command();
    h.server.handle_eof(h.now);
    assert_eq!(
        h.event(),
        ServerEvent::Closed {
            reason: CloseReason::PeerClosed
        }
    );
    assert_eq!(h.server.ok(h.now, id, "x"), Err(ServerError::Closed));
    assert_eq!(h.server.transport(), Transport::Closed);
}

#[test]
fn preauth_and_refusing_greetings() {
    let now = Instant::now();
    let mut server = Server::preauthenticated(open_config(), now);
    let mut out = Vec::new();
    while server.poll_transmit(&mut out) > 0 {}
    assert_eq!(out, b"* PREAUTH IMAP server ready\r\n");
    assert_eq!(server.state(), SessionState::Authenticated);

    let mut server = Server::refused(open_config(), now, "too busy\r\nreally");
    let mut out = Vec::new();
    while server.poll_transmit(&mut out) > 0 {}
    assert_eq!(out, b"* BYE too busy  really\r\n");
    assert_eq!(server.transport(), Transport::Closed);
}

#[test]
fn machine_texts_never_break_lines() {
    let mut h = Harness::new(open_config());
    h.login();
    h.feed(b"a NOOP\r\n");
    let (id, _) = h.command();
    h.server
        .complete(
            h.now,
            id,
            State::Ok,
            ResponseText {
                code: None,
                text: Text::try_from("fine").unwrap(),
            },
        )
        .unwrap();
    h.feed(b"b NOOP\r\n");
    let (id, _) = h.command();
    h.ok(id, "two\r\nlines\0");
    assert_eq!(h.take(), "a OK fine\r\nb OK two  lines \r\n");
}

// ---------------------------------------------------------------------------------------
// Chunking invariance
// ---------------------------------------------------------------------------------------

/// A deterministic application: every decision depends only on the event.
pub(super) fn stub_answer(server: &mut Server, now: Instant, event: &ServerEvent) {
    let _ = match event {
        ServerEvent::Login {
            id, credentials, ..
        } => {
            if credentials.password.expose().len() % 2 == 0 {
                server.ok(now, *id, "welcome")
            } else {
                server.no(now, *id, Some(Code::AuthenticationFailed), "no")
            }
        }
        ServerEvent::Authenticate { id, .. } => server.sasl_challenge(now, *id, b"more"),
        ServerEvent::SaslResponse { id, response } => {
            if response.expose().is_empty() {
                server.no(now, *id, None, "empty")
            } else {
                server.ok(now, *id, "ok")
            }
        }
        ServerEvent::AppendMessage { id, message, .. } => {
            if message.length % 7 == 3 {
                server.no(now, *id, Some(Code::TryCreate), "no")
            } else {
                server.accept_append(now, *id)
            }
        }
        ServerEvent::AppendDone { id, .. } => server.ok(now, *id, "appended"),
        ServerEvent::Command { id, command, .. } => {
            let _ = server.push(&Data::Expunge(std::num::NonZeroU32::MIN));
            let _ = server.send_data(*id, &Data::Exists(3));
            match command {
                CommandBody::Select { .. } | CommandBody::Examine { .. } => {
                    server.ok(now, *id, "selected")
                }
                CommandBody::Delete { .. } => server.bad(now, *id, "no"),
                _ => server.ok(now, *id, "done"),
            }
        }
        _ => Ok(()),
    };
}

/// Runs `chunks` through a machine answered by [`stub_answer`]; AppendData chunks and
/// discarded plaintext are merged, since their sizes follow the arrival.
pub(super) fn run_chunks(config: &ServerConfig, chunks: &[&[u8]]) -> (Vec<ServerEvent>, String) {
    let now = Instant::now();
    let mut server = Server::new(config.clone(), now);
    let mut events: Vec<ServerEvent> = Vec::new();
    let mut output = Vec::new();
    while server.poll_transmit(&mut output) > 0 {}
    for chunk in chunks {
        server.handle_input(now, chunk);
        loop {
            while server.poll_transmit(&mut output) > 0 {}
            let Some(event) = server.poll_event() else {
                break;
            };
            stub_answer(&mut server, now, &event);
            match (events.last_mut(), event) {
                (
                    Some(ServerEvent::PlaintextDiscarded { octets: total }),
                    ServerEvent::PlaintextDiscarded { octets },
                ) => *total += octets,
                (
                    Some(ServerEvent::AppendData { chunk: merged, .. }),
                    ServerEvent::AppendData { chunk, .. },
                ) => {
                    let mut joined = merged.to_vec();
                    joined.extend_from_slice(&chunk);
                    *merged = joined.into();
                }
                (_, event) => events.push(event),
            }
        }
    }
    (events, String::from_utf8_lossy(&output).into_owned())
}

pub(super) fn chunking_config() -> ServerConfig {
    ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        auth_mechanisms: vec![Atom::new("PLAIN").unwrap(), Atom::new("X-STEP").unwrap()],
        enable: vec![Capability::CondStore, Capability::Utf8Accept],
        capabilities: vec![Capability::MultiAppend, Capability::UidPlus],
        versions: Versions::Both,
        starttls: true,
        max_line_length: 200,
        max_literal_length: 50,
        max_append_size: 100,
        max_discarded_literal: 300,
        max_pipelined_input: 1 << 24,
        ..ServerConfig::default()
    }
}

/// A session touching every reading mode: literals, APPEND (accepted, refused, too large,
/// MULTIAPPEND), SASL, IDLE, errors, over-long lines, skipped literals, LOGOUT.
pub(super) fn chunking_session() -> Vec<u8> {
    let mut session = b"a0 AUTHENTICATE X-STEP\r\n\r\n\
a01 AUTHENTICATE PLAIN AGZyZWQAeHl6\r\n\
a1 CAPABILITY\r\n\
a2 LOGIN {4}\r\nfred {4}\r\npass\r\n\
a3 ENABLE CONDSTORE UTF8=ACCEPT\r\n\
a4 SELECT INBOX (CONDSTORE)\r\n\
a5 FETCH 1:* (FLAGS UID)\r\n\
a6 APPEND INBOX (\\Seen) {12}\r\nHello world!\r\n\
a7 APPEND INBOX {10}\r\n\
a8 APPEND INBOX {5+}\r\nabcde (\\Draft) ~{4}\r\nxy\0z\r\n\
a9 APPEND INBOX {500}\r\n\
b0 AUTHENTICATE X-STEP\r\n\
b1 APPEND INBOX {200+}\r\n"
        .to_vec();
    session.extend_from_slice(&[b'7'; 200]);
    session.extend_from_slice(
        b" {3+}\r\nabc\r\n\
b2 IDLE\r\nDONE\r\n\
b3 IDLE\r\nnope\r\n\
b4 SEARCH SUBJECT {3}\r\nabc\r\n\
b5 NOOP ",
    );
    session.extend_from_slice(&[b'x'; 300]);
    session.extend_from_slice(
        b"\r\n\
b6 DELETE x\r\n\
b7 UID STORE 1 +FLAGS (\\Deleted)\r\n\
b8 EXPUNGE\r\n\
b9 STARTTLS\r\n\
c1 LOGOUT\r\n",
    );
    session
}

#[test]
fn chunking_session_exercises_every_path() {
    let (events, output) = run_chunks(&chunking_config(), &[&chunking_session()]);
    for expected in [
        "+ bW9yZQ==",
        "a0 NO empty",
        "a01 NO [AUTHENTICATIONFAILED] no",
        "] welcome",
        "* ENABLED CONDSTORE UTF8=ACCEPT",
        "a6 OK appended",
        "a7 NO [TRYCREATE] no",
        "a8 OK appended",
        "a9 NO [TOOBIG] Message too large",
        "b1 BAD [TOOBIG] Message too large",
        "b2 OK IDLE terminated",
        "b3 BAD Expected DONE",
        "b4 OK done",
        "b5 BAD Line too long",
        "b0 BAD Command not valid in this state",
        "b6 BAD no",
        "b9 BAD Command not valid in this state",
        "c1 OK LOGOUT completed",
    ] {
        assert!(
            output.contains(expected),
            "{expected} missing from\n{output}"
        );
    }
    let appended: Vec<Vec<u8>> = events
        .iter()
        .filter_map(|event| match event {
            ServerEvent::AppendData { chunk, .. } => Some(chunk.to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(appended, [&b"Hello world!"[..], b"abcde", b"xy\0z"]);
}

proptest::proptest! {
    #[test]
    fn whole_and_split_input_give_the_same_events_and_output(
        cuts in proptest::collection::vec(0usize..1000, 0..40),
    ) {
        let config = chunking_config();
        let session = chunking_session();
        let whole = run_chunks(&config, &[&session]);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|cut| cut % session.len()).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in cuts.into_iter().chain([session.len()]) {
            chunks.push(&session[start..cut]);
            start = cut;
        }
        let split = run_chunks(&config, &chunks);
        proptest::prop_assert_eq!(whole, split);
    }
}

#[test]
fn plaintext_after_starttls_is_reported_in_total_whatever_the_chunks() {
    let config = chunking_config();
    let session = b"a CAPABILITY\r\nb STARTTLS\r\nc LOGIN fred pass\r\nd NOOP\r\n";
    let whole = run_chunks(&config, &[session]);
    assert!(whole
        .0
        .contains(&ServerEvent::PlaintextDiscarded { octets: 27 }));
    let bytes: Vec<&[u8]> = session.chunks(3).collect();
    assert_eq!(whole, run_chunks(&config, &bytes));
}

#[test]
fn byte_by_byte_input_gives_the_same_events_and_output() {
    let config = chunking_config();
    let session = chunking_session();
    let whole = run_chunks(&config, &[&session]);
    let bytes: Vec<&[u8]> = session.chunks(1).collect();
    assert_eq!(whole, run_chunks(&config, &bytes));
}
