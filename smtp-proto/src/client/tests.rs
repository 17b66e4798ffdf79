//! The client machine against scripted server bytes.

use std::time::{Duration, Instant};

use mailwire_core::{Secret, Session, Transport};

use super::*;
use crate::types::{
    Body, Command, EnhancedStatusCode, Host, Mailbox, Mechanism, Notify, RcptParameters, Verb,
};

struct Harness {
    client: Client,
    now: Instant,
}

fn mailbox(text: &str) -> Mailbox<'static> {
    Mailbox::parse(text).unwrap().into_owned()
}

fn config() -> ClientConfig {
    ClientConfig::new(Host::new("client.test").unwrap().into_owned())
}

impl Harness {
    fn new(config: ClientConfig) -> Self {
        let now = Instant::now();
        Harness {
            client: Client::new(config, now),
            now,
        }
    }

    /// Greeted and EHLO answered with these capability lines.
    fn ready(capabilities: &[&str]) -> Self {
        Self::ready_with(config(), capabilities)
    }

    fn ready_with(config: ClientConfig, capabilities: &[&str]) -> Self {
        let mut h = Harness::new(config);
        h.server(b"220 mx.test ESMTP\r\n");
        let hello = h.sent();
        assert!(
            hello.starts_with("EHLO ") || hello.starts_with("LHLO "),
            "{hello}"
        );
        let mut reply = String::from("250");
        reply.push(if capabilities.is_empty() { ' ' } else { '-' });
        reply.push_str("mx.test\r\n");
        for (i, line) in capabilities.iter().enumerate() {
            reply.push_str(if i + 1 == capabilities.len() {
                "250 "
            } else {
                "250-"
            });
            reply.push_str(line);
            reply.push_str("\r\n");
        }
        h.server(reply.as_bytes());
        let events = h.events();
        assert!(
            matches!(events.last(), Some(ClientEvent::Ready { .. })),
            "{events:?}"
        );
        h
    }

    fn server(&mut self, bytes: &[u8]) {
        self.client.handle_input(self.now, bytes);
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// Fires the timer if it is due (as a driver would).
    fn tick(&mut self) {
        if let Some(at) = self.client.poll_timeout() {
            if at <= self.now {
                self.client.handle_timeout(self.now);
            }
        }
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

fn envelope(to: &[&str]) -> MailEnvelope {
    to.iter()
        .fold(MailEnvelope::new(mailbox("alice@client.test")), |e, t| {
            e.to(mailbox(t))
        })
}

fn recipient_results(events: &[ClientEvent]) -> Vec<(usize, RecipientStage, RecipientStatus, u16)> {
    events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Recipient(r) => Some((r.index, r.stage, r.status, r.reply.code().get())),
            _ => None,
        })
        .collect()
}

fn report(events: &[ClientEvent]) -> TransactionReport {
    events
        .iter()
        .find_map(|e| match e {
            ClientEvent::TransactionDone(r) => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no TransactionDone in {events:?}"))
}

#[test]
fn greets_with_ehlo_and_reads_capabilities() {
    let mut h = Harness::new(config());
    assert_eq!(h.sent(), "", "nothing before the greeting");
    h.server(b"220-mx.test ESMTP\r\n220 second line\r\n");
    assert_eq!(h.sent(), "EHLO client.test\r\n");
    let events = h.events();
    assert!(matches!(&events[..], [ClientEvent::Greeting { reply }] if reply.line_count() == 2));
    h.server(b"250-mx.test hello\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250-AUTH PLAIN LOGIN\r\n250 CHUNKING\r\n");
    let events = h.events();
    let [ClientEvent::Ready {
        hello: Verb::Ehlo,
        capabilities: Some(caps),
        tls: false,
    }] = &events[..]
    else {
        panic!("{events:?}");
    };
    assert!(caps.has_keyword("PIPELINING"));
    assert_eq!(caps.size(), Some(Some(1_000_000)));
    assert!(caps.offers_mechanism(&Mechanism::LOGIN));
    assert!(h.client.is_idle());
}

#[test]
fn accepts_smtp_sink_trailing_empty_line() {
    // Postfix's smtp-sink ends its EHLO reply with a bare "250 " line.
    let mut h = Harness::new(config());
    h.server(b"220 smtp-sink ESMTP\r\n");
    let _ = h.sent();
    h.server(b"250-smtp-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250-XCLIENT NAME HELO\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250 \r\n");
    let events = h.events();
    let [_, ClientEvent::Ready {
        capabilities: Some(caps),
        ..
    }] = &events[..]
    else {
        panic!("{events:?}");
    };
    assert!(caps.has_keyword("DSN") && caps.has_keyword("8BITMIME") && caps.has_keyword("XCLIENT"));
}

#[test]
fn refused_greeting_sends_quit_and_closes() {
    let mut h = Harness::new(config());
    h.server(b"554 5.7.1 go away\r\n");
    assert_eq!(h.sent(), "QUIT\r\n");
    let events = h.events();
    assert!(
        matches!(&events[..], [ClientEvent::GreetingRefused { reply }] if reply.code().get() == 554)
    );
    assert_eq!(h.client.transport(), Transport::Open);
    assert_eq!(
        h.client.start_mail(envelope(&["b@mx.test"])),
        Err(ClientError::Closed)
    );
    h.server(b"221 bye\r\n");
    assert_eq!(h.client.transport(), Transport::Closed);
}

#[test]
fn falls_back_to_helo() {
    let mut h = Harness::new(config());
    h.server(b"220 old.test SMTP\r\n");
    assert_eq!(h.sent(), "EHLO client.test\r\n");
    h.server(b"502 5.5.1 what?\r\n");
    assert_eq!(h.sent(), "HELO client.test\r\n");
    h.server(b"250 old.test\r\n");
    let events = h.events();
    assert!(matches!(
        &events[1..],
        [ClientEvent::Ready {
            hello: Verb::Helo,
            capabilities: None,
            ..
        }]
    ));
    // No extensions after HELO: 8BITMIME cannot be declared.
    let e = envelope(&["b@old.test"]).body(Body::EightBitMime);
    assert_eq!(
        h.client.start_mail(e),
        Err(ClientError::NotOffered {
            extension: "8BITMIME"
        })
    );
}

#[test]
fn refused_ehlo_quits() {
    let mut h = Harness::new(config());
    h.server(b"220 mx.test\r\n");
    let _ = h.sent();
    h.server(b"550 5.7.1 not you\r\n");
    assert_eq!(h.sent(), "QUIT\r\n");
    assert!(matches!(
        &h.events()[1..],
        [ClientEvent::HelloRefused { .. }]
    ));
}

#[test]
fn lmtp_uses_lhlo_without_helo_fallback() {
    let mut h = Harness::new(ClientConfig::lmtp(
        Host::new("client.test").unwrap().into_owned(),
    ));
    h.server(b"220 lmtp.test LMTP\r\n");
    assert_eq!(h.sent(), "LHLO client.test\r\n");
    h.server(b"500 5.5.1 no\r\n");
    assert_eq!(h.sent(), "QUIT\r\n");
}

#[test]
fn pipelined_transaction_in_one_flight() {
    let mut h = Harness::ready(&[
        "PIPELINING",
        "8BITMIME",
        "SIZE 10000",
        "ENHANCEDSTATUSCODES",
    ]);
    let e = envelope(&["bob@mx.test", "nobody@mx.test", "carol@mx.test"])
        .size(42)
        .body(Body::EightBitMime);
    let tx = h.client.start_mail(e).unwrap();
    // The content is given before the server is ready: it waits for the 354.
    h.client
        .send_body(&b"Subject: t\r\n\r\n.leading dot\r\nline"[..])
        .unwrap();
    h.client.finish_body().unwrap();
    assert_eq!(
        h.sent(),
        "MAIL FROM:<alice@client.test> SIZE=42 BODY=8BITMIME\r\n\
         RCPT TO:<bob@mx.test>\r\n\
         RCPT TO:<nobody@mx.test>\r\n\
         RCPT TO:<carol@mx.test>\r\n\
         DATA\r\n"
    );
    h.server(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n450 4.2.1 try later\r\n");
    assert_eq!(h.sent(), "", "no content before 354");
    h.server(b"354 go\r\n");
    assert_eq!(h.sent(), "Subject: t\r\n\r\n..leading dot\r\nline\r\n.\r\n");
    h.server(b"250 2.0.0 queued as X\r\n");
    let events = h.events();
    assert!(events.contains(&ClientEvent::BodyReady { transaction: tx }));
    assert_eq!(
        recipient_results(&events),
        vec![
            (0, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (1, RecipientStage::Rcpt, RecipientStatus::Rejected, 550),
            (2, RecipientStage::Rcpt, RecipientStatus::Deferred, 450),
            (0, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
        ]
    );
    let rejected = events.iter().find_map(|e| match e {
        ClientEvent::Recipient(r) if r.index == 1 => Some(r.clone()),
        _ => None,
    });
    assert_eq!(
        rejected.unwrap().enhanced(),
        EnhancedStatusCode::new(5, 1, 1)
    );
    let done = report(&events);
    assert_eq!(done.transaction, tx);
    assert_eq!(done.outcome, TransactionOutcome::Accepted { recipients: 1 });
    assert_eq!(done.reply.unwrap().first_line(), "queued as X");
    assert!(h.client.is_idle());
}

#[test]
fn without_pipelining_one_command_at_a_time() {
    let mut h = Harness::ready(&["8BITMIME"]);
    h.client
        .start_mail(envelope(&["bob@mx.test", "carol@mx.test"]))
        .unwrap();
    assert_eq!(h.sent(), "MAIL FROM:<alice@client.test>\r\n");
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "RCPT TO:<bob@mx.test>\r\n");
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "RCPT TO:<carol@mx.test>\r\n");
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "DATA\r\n");
    h.server(b"354 go\r\n");
    h.client.send_body(&b"x"[..]).unwrap();
    h.client.finish_body().unwrap();
    assert_eq!(h.sent(), "x\r\n.\r\n");
    h.server(b"250 ok\r\n");
    let done = report(&h.events());
    assert_eq!(done.outcome, TransactionOutcome::Accepted { recipients: 2 });
}

#[test]
fn refused_sender_stops_the_envelope() {
    let mut h = Harness::ready(&[]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.send_body(&b"never sent"[..]).unwrap();
    assert_eq!(h.sent(), "MAIL FROM:<alice@client.test>\r\n");
    h.server(b"451 4.3.0 busy\r\n");
    assert_eq!(h.sent(), "", "no RCPT after a refused MAIL, no RSET either");
    let done = report(&h.events());
    assert_eq!(
        done.outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Sender,
            temporary: true
        }
    );
    assert_eq!(
        h.client.send_body(&b"late"[..]),
        Err(ClientError::NoBodyExpected)
    );
    assert!(h.client.is_idle());
}

#[test]
fn no_recipient_without_pipelining_sends_rset_not_data() {
    let mut h = Harness::ready(&[]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.send_body(&b"body"[..]).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "RCPT TO:<bob@mx.test>\r\n");
    h.server(b"550 5.1.1 unknown\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    h.server(b"250 flushed\r\n");
    let events = h.events();
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Recipients,
            temporary: false
        }
    );
    assert!(!events
        .iter()
        .any(|e| matches!(e, ClientEvent::ProtocolError(_))));
}

#[test]
fn pipelined_no_recipient_and_data_refused() {
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.send_body(&b"body"[..]).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n550 no\r\n554 5.5.1 no valid recipients\r\n");
    assert_eq!(
        h.sent(),
        "RSET\r\n",
        "no content, the transaction is cleared"
    );
    let events = h.events();
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Recipients,
            temporary: false
        }
    );
}

#[test]
fn pipelined_no_recipient_but_data_accepted_sends_lone_dot() {
    // RFC 2920 §3.1: the server said 354 anyway; send a single dot, not the content.
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.send_body(&b"secret content"[..]).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n550 no\r\n354 go\r\n");
    assert_eq!(h.sent(), ".\r\n");
    let done = report(&h.events());
    assert_eq!(
        done.outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Recipients,
            temporary: false
        }
    );
    // The reply to the dot is absorbed, and the next transaction waits for it.
    h.client.start_mail(envelope(&["carol@mx.test"])).unwrap();
    assert_eq!(h.sent(), "");
    h.server(b"554 no valid recipients\r\n");
    assert!(h
        .sent()
        .starts_with("MAIL FROM:<alice@client.test>\r\nRCPT TO:<carol@mx.test>\r\nDATA\r\n"));
    assert!(h.events().is_empty());
}

#[test]
fn lmtp_lone_dot_without_accepted_recipient_owes_no_reply() {
    // RFC 2033 §4.2: one reply per successful RCPT after the dot, so none here.
    let mut h = Harness::ready_with(
        ClientConfig::lmtp(Host::new("client.test").unwrap().into_owned()),
        &["PIPELINING"],
    );
    h.client
        .start_mail(envelope(&["bob@lmtp.test", "carol@lmtp.test"]))
        .unwrap();
    h.client.send_body(&b"secret content"[..]).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n550 no\r\n450 later\r\n354 go\r\n");
    assert_eq!(h.sent(), ".\r\n");
    assert_eq!(
        report(&h.events()).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Recipients,
            temporary: true
        }
    );
    // Nothing is awaited: no timer, and the next command leaves at once and gets the
    // server's next reply.
    assert!(h.client.is_idle());
    assert_eq!(h.client.poll_timeout(), None);
    let noop = h.client.send(Command::Noop { argument: None }).unwrap();
    assert_eq!(h.sent(), "NOOP\r\n");
    h.server(b"250 2.0.0 ok\r\n");
    let events = h.events();
    assert!(
        matches!(&events[..], [ClientEvent::Reply { id, reply }] if *id == noop && reply.code().get() == 250),
        "{events:?}"
    );
}

#[test]
fn pipelined_sender_refused() {
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    let _ = h.sent();
    h.server(b"553 5.1.8 bad sender\r\n503 5.5.1 need MAIL\r\n503 5.5.1 need RCPT\r\n");
    assert_eq!(h.sent(), "", "nothing to reset after a refused MAIL");
    let events = h.events();
    let done = report(&events);
    assert_eq!(
        done.outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Sender,
            temporary: false
        }
    );
    assert_eq!(done.reply.unwrap().code().get(), 553);
    assert_eq!(
        recipient_results(&events),
        vec![(0, RecipientStage::Rcpt, RecipientStatus::Rejected, 503)]
    );
}

#[test]
fn data_refused_after_accepted_recipient() {
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n250 ok\r\n451 4.3.0 try later\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    let events = h.events();
    assert_eq!(
        recipient_results(&events),
        vec![
            (0, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (0, RecipientStage::Delivery, RecipientStatus::Deferred, 451)
        ]
    );
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::DataCommand,
            temporary: true
        }
    );
}

#[test]
fn final_reply_refuses_content() {
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(h.sent(), ".\r\n", "an empty content is just the dot");
    h.server(b"552 5.3.4 too big\r\n");
    let events = h.events();
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Content,
            temporary: false
        }
    );
    assert_eq!(
        h.sent(),
        "",
        "the transaction ended with the reply: no RSET"
    );
}

#[test]
fn bdat_pipelined_chunks_and_last() {
    let mut h = Harness::ready(&["PIPELINING", "CHUNKING", "BINARYMIME", "8BITMIME"]);
    let tx = h
        .client
        .start_mail(envelope(&["bob@mx.test", "carol@mx.test"]).body(Body::BinaryMime))
        .unwrap();
    h.client.send_body(&b"first\x00chunk"[..]).unwrap();
    assert_eq!(
        h.sent(),
        "MAIL FROM:<alice@client.test> BODY=BINARYMIME\r\nRCPT TO:<bob@mx.test>\r\nRCPT TO:<carol@mx.test>\r\n",
        "BDAT waits for the envelope's replies"
    );
    h.server(b"250 ok\r\n250 ok\r\n550 no\r\n");
    let events = h.events();
    assert!(events.contains(&ClientEvent::BodyReady { transaction: tx }));
    assert_eq!(
        h.sent(),
        "",
        "the chunk is held until we know whether it is the last"
    );
    h.client.send_body(&b"second\r\n.\r\n"[..]).unwrap();
    assert_eq!(h.sent(), "BDAT 11\r\nfirst\x00chunk");
    h.client.send_body(&b"third"[..]).unwrap();
    h.client.finish_body().unwrap();
    assert_eq!(
        h.sent(),
        "BDAT 11\r\nsecond\r\n.\r\nBDAT 5 LAST\r\nthird",
        "pipelined, unstuffed"
    );
    h.server(b"250 11 octets\r\n250 11 octets\r\n250 2.0.0 message ok\r\n");
    let events = h.events();
    assert_eq!(
        recipient_results(&events),
        vec![(0, RecipientStage::Delivery, RecipientStatus::Accepted, 250)]
    );
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Accepted { recipients: 1 }
    );
}

#[test]
fn bdat_without_pipelining_waits_for_each_chunk() {
    let mut h = Harness::ready(&["CHUNKING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    for chunk in [&b"one"[..], b"two", b"three"] {
        h.client.send_body(chunk).unwrap();
    }
    h.client.finish_body().unwrap();
    assert_eq!(h.sent(), "MAIL FROM:<alice@client.test>\r\n");
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "RCPT TO:<bob@mx.test>\r\n");
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "BDAT 3\r\none");
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "BDAT 3\r\ntwo");
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "BDAT 5 LAST\r\nthree");
    h.server(b"250 done\r\n");
    assert_eq!(
        report(&h.events()).outcome,
        TransactionOutcome::Accepted { recipients: 1 }
    );
}

#[test]
fn bdat_empty_content_is_bdat_0_last() {
    let mut h = Harness::ready(&["CHUNKING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n");
    let _ = h.sent();
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "BDAT 0 LAST\r\n");
}

#[test]
fn refused_bdat_chunk_stops_and_resets() {
    let mut h = Harness::ready(&["PIPELINING", "CHUNKING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n250 ok\r\n");
    h.client.send_body(&b"aaaa"[..]).unwrap();
    h.client.send_body(&b"bbbb"[..]).unwrap();
    h.client.send_body(&b"cccc"[..]).unwrap();
    assert_eq!(h.sent(), "BDAT 4\r\naaaaBDAT 4\r\nbbbb");
    h.server(b"552 5.3.4 too big\r\n");
    // RSET may follow the chunk still in flight (RFC 3030 §2).
    assert_eq!(h.sent(), "RSET\r\n");
    let events = h.events();
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Content,
            temporary: false
        }
    );
    assert_eq!(
        h.client.send_body(&b"dddd"[..]),
        Err(ClientError::NoBodyExpected)
    );
    // The second chunk's reply and RSET's are absorbed.
    h.server(b"503 5.5.1 no\r\n250 reset\r\n");
    assert!(h.events().is_empty());
    assert!(h.client.is_idle());
}

#[test]
fn bdat_with_no_recipient_sends_rset() {
    let mut h = Harness::ready(&["PIPELINING", "CHUNKING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.send_body(&b"content"[..]).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n550 no\r\n");
    assert_eq!(h.sent(), "RSET\r\n");
    assert_eq!(
        report(&h.events()).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Recipients,
            temporary: false
        }
    );
}

#[test]
fn size_and_extension_checks() {
    let mut h = Harness::ready(&["SIZE 1000", "PIPELINING"]);
    assert_eq!(
        h.client.start_mail(envelope(&["b@mx.test"]).size(1001)),
        Err(ClientError::TooLarge {
            declared: 1001,
            limit: 1000
        })
    );
    assert_eq!(
        h.client
            .start_mail(envelope(&["b@mx.test"]).body(Body::BinaryMime)),
        Err(ClientError::NotOffered {
            extension: "BINARYMIME"
        })
    );
    assert_eq!(
        h.client
            .start_mail(MailEnvelope::new(mailbox("alice@client.test"))),
        Err(ClientError::NoRecipients)
    );
    assert_eq!(
        h.client.start_mail(envelope(&["jörg@mx.test"])),
        Err(ClientError::NotOffered {
            extension: "SMTPUTF8"
        })
    );
    let params = RcptParameters {
        notify: Notify::on(true, true, false),
        ..RcptParameters::default()
    };
    assert_eq!(
        h.client.start_mail(
            MailEnvelope::new(mailbox("a@client.test")).to_with(mailbox("b@mx.test"), params)
        ),
        Err(ClientError::NotOffered { extension: "DSN" })
    );
    assert_eq!(h.sent(), "", "refused calls send nothing");
    // BODY=7BIT is only for servers with 8BITMIME; SIZE only for servers with SIZE.
    h.client
        .start_mail(envelope(&["b@mx.test"]).size(1000).body(Body::SevenBit))
        .unwrap();
    assert!(h
        .sent()
        .starts_with("MAIL FROM:<alice@client.test> SIZE=1000\r\n"));

    let mut h = Harness::ready(&["8BITMIME"]);
    h.client
        .start_mail(envelope(&["b@mx.test"]).size(5))
        .unwrap();
    assert_eq!(h.sent(), "MAIL FROM:<alice@client.test>\r\n");
}

#[test]
fn smtputf8_declared_when_an_address_needs_it() {
    let mut h = Harness::ready(&["SMTPUTF8", "8BITMIME", "PIPELINING"]);
    h.client
        .start_mail(envelope(&["jörg@bücher.test"]).body(Body::EightBitMime))
        .unwrap();
    assert_eq!(
        h.sent(),
        "MAIL FROM:<alice@client.test> BODY=8BITMIME SMTPUTF8\r\nRCPT TO:<jörg@bücher.test>\r\nDATA\r\n"
    );
}

#[test]
fn starttls_upgrade_and_fresh_ehlo() {
    let mut h = Harness::ready(&["STARTTLS", "PIPELINING", "AUTH PLAIN"]);
    // A command of the application waits while STARTTLS runs.
    h.client.starttls().unwrap();
    let noop = h.client.send(Command::Noop { argument: None }).unwrap();
    assert_eq!(h.sent(), "STARTTLS\r\n");
    assert_eq!(h.client.starttls(), Err(ClientError::Busy));
    // The server (or a man in the middle) injects a reply after its 220.
    h.server(b"220 2.0.0 go ahead\r\n250 inj");
    assert_eq!(h.client.transport(), Transport::StartTls);
    // More arrives before the transport stops reading: discarded too.
    h.server(b"ected\r\n");
    assert_eq!(h.sent(), "");
    assert!(h.events().is_empty());
    h.client.handle_tls_established(h.now);
    // The total is reported once the wait is over.
    assert_eq!(
        h.events(),
        vec![ClientEvent::ProtocolError(
            ProtocolError::DataAfterStartTls { octets: 14 }
        )]
    );
    assert!(h.client.is_tls());
    assert!(
        h.client.capabilities().is_none(),
        "capabilities learned in clear are forgotten"
    );
    assert_eq!(h.client.transport(), Transport::Open);
    assert_eq!(h.sent(), "EHLO client.test\r\n");
    h.server(b"250-mx.test\r\n250 AUTH PLAIN LOGIN\r\n");
    assert_eq!(h.sent(), "NOOP\r\n");
    let events = h.events();
    let [ClientEvent::Ready {
        tls: true,
        capabilities: Some(caps),
        ..
    }] = &events[..]
    else {
        panic!("{events:?}");
    };
    assert!(!caps.has_keyword("STARTTLS"));
    assert!(!caps.has_keyword("PIPELINING"));
    assert_eq!(h.client.starttls(), Err(ClientError::TlsActive));
    h.server(b"250 ok\r\n");
    assert!(matches!(&h.events()[..], [ClientEvent::Reply { id, .. }] if *id == noop));
}

#[test]
fn starttls_refused_or_not_offered() {
    let mut h = Harness::ready(&["PIPELINING"]);
    assert_eq!(
        h.client.starttls(),
        Err(ClientError::NotOffered {
            extension: "STARTTLS"
        })
    );
    let mut h = Harness::ready(&["STARTTLS"]);
    h.client.starttls().unwrap();
    let _ = h.sent();
    h.server(b"454 4.7.0 TLS not available\r\n");
    assert!(matches!(
        &h.events()[..],
        [ClientEvent::StartTlsRefused { .. }]
    ));
    assert_eq!(h.client.transport(), Transport::Open);
    assert!(h.client.is_idle());
}

#[test]
fn auth_plain_with_initial_response() {
    let mut h = Harness::ready(&["AUTH LOGIN PLAIN"]);
    h.client
        .authenticate(Credentials::plain("alice", "wonderland"))
        .unwrap();
    // base64("\0alice\0wonderland")
    assert_eq!(h.sent(), "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n");
    assert_eq!(
        h.client.start_mail(envelope(&["b@mx.test"])),
        Err(ClientError::Busy)
    );
    h.server(b"235 2.7.0 Authentication successful\r\n");
    assert!(matches!(
        &h.events()[..],
        [ClientEvent::Authenticated { .. }]
    ));
    assert!(h.client.is_authenticated());
    assert_eq!(
        h.client
            .authenticate(Credentials::plain("alice", "wonderland")),
        Err(ClientError::AlreadyAuthenticated)
    );
}

#[test]
fn auth_plain_after_empty_challenge() {
    let mut c = config();
    c.sasl_initial_response = false;
    let mut h = Harness::ready_with(c, &["AUTH PLAIN"]);
    h.client
        .authenticate(Credentials::plain_as("admin", "alice", "pw"))
        .unwrap();
    assert_eq!(h.sent(), "AUTH PLAIN\r\n");
    h.server(b"334 \r\n");
    assert_eq!(h.sent(), "YWRtaW4AYWxpY2UAcHc=\r\n");
    // A second challenge is more than PLAIN has: cancel.
    h.server(b"334 \r\n");
    assert_eq!(h.sent(), "*\r\n");
    h.server(b"501 5.7.0 cancelled\r\n");
    assert!(
        matches!(&h.events()[..], [ClientEvent::AuthFailed { reply }] if reply.code().get() == 501)
    );
    assert!(!h.client.is_authenticated());
    assert!(h.client.is_idle());
}

#[test]
fn auth_login_answers_both_prompts() {
    let mut h = Harness::ready(&["AUTH=LOGIN"]);
    h.client
        .authenticate(Credentials::login("alice", "wonderland"))
        .unwrap();
    assert_eq!(h.sent(), "AUTH LOGIN\r\n");
    h.server(b"334 VXNlcm5hbWU6\r\n");
    assert_eq!(h.sent(), "YWxpY2U=\r\n");
    h.server(b"334 UGFzc3dvcmQ6\r\n");
    assert_eq!(h.sent(), "d29uZGVybGFuZA==\r\n");
    h.server(b"535 5.7.8 bad credentials\r\n");
    let events = h.events();
    assert!(
        matches!(&events[..], [ClientEvent::AuthFailed { reply }] if reply.code().get() == 535)
    );
    // The password never shows in a Debug of the events or the machine.
    assert!(!format!("{events:?}{:?}", h.client).contains("wonderland"));
}

#[test]
fn auth_mechanism_must_be_offered() {
    let mut h = Harness::ready(&["AUTH PLAIN"]);
    assert_eq!(
        h.client.authenticate(Credentials::login("a", "b")),
        Err(ClientError::MechanismNotOffered)
    );
    let mut h = Harness::ready(&["PIPELINING"]);
    assert_eq!(
        h.client.authenticate(Credentials::plain("a", "b")),
        Err(ClientError::NotOffered { extension: "AUTH" })
    );
    let mut h = Harness::ready(&["AUTH PLAIN"]);
    assert_eq!(
        h.client.authenticate(Credentials::plain("a\0b", "c")),
        Err(ClientError::InvalidCredentials)
    );
}

#[test]
fn generic_sasl_challenges_go_to_the_application() {
    let mut h = Harness::ready(&["AUTH CRAM-MD5 X-TOKEN"]);
    let mechanism = Mechanism::new("X-TOKEN").unwrap();
    h.client
        .authenticate_with(mechanism, Some(Secret::new(Vec::new())))
        .unwrap();
    assert_eq!(
        h.sent(),
        "AUTH X-TOKEN =\r\n",
        "an empty initial response is '='"
    );
    assert_eq!(
        h.client.auth_respond(Secret::new(b"x".to_vec())),
        Err(ClientError::NoChallengePending)
    );
    h.server(b"334 aGVsbG8=\r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::AuthChallenge {
            challenge: b"hello".to_vec()
        }]
    );
    h.client
        .auth_respond(Secret::new(b"world".to_vec()))
        .unwrap();
    assert_eq!(h.sent(), "d29ybGQ=\r\n");
    h.server(b"334 \r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::AuthChallenge {
            challenge: Vec::new()
        }]
    );
    h.client.auth_cancel().unwrap();
    assert_eq!(h.sent(), "*\r\n");
    h.server(b"501 5.0.0 cancelled\r\n");
    assert!(matches!(&h.events()[..], [ClientEvent::AuthFailed { .. }]));
}

#[test]
fn malformed_challenge_cancels() {
    let mut h = Harness::ready(&["AUTH LOGIN"]);
    h.client.authenticate(Credentials::login("a", "b")).unwrap();
    let _ = h.sent();
    h.server(b"334 not base64!\r\n");
    assert_eq!(h.sent(), "*\r\n");
    assert_eq!(
        h.events(),
        vec![ClientEvent::ProtocolError(
            ProtocolError::MalformedChallenge
        )]
    );
}

#[test]
fn lmtp_reports_each_recipient_after_data() {
    let mut h = Harness::ready_with(
        ClientConfig::lmtp(Host::new("client.test").unwrap().into_owned()),
        &["PIPELINING", "ENHANCEDSTATUSCODES"],
    );
    h.client
        .start_mail(envelope(&[
            "pat@lmtp.test",
            "jones@lmtp.test",
            "green@lmtp.test",
        ]))
        .unwrap();
    h.client.send_body(&b"Blah blah blah...\r\n"[..]).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    // RFC 2033 §4.2's example.
    h.server(b"250 OK\r\n250 OK\r\n550 No such user here\r\n250 OK\r\n354 go\r\n");
    assert_eq!(h.sent(), "Blah blah blah...\r\n.\r\n");
    h.server(b"250 2.1.5 OK\r\n");
    let events = h.events();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ClientEvent::TransactionDone(_))),
        "one reply per accepted recipient"
    );
    h.server(b"452 4.2.2 <green@lmtp.test> is temporarily over quota\r\n");
    let mut events = events;
    events.extend(h.events());
    assert_eq!(
        recipient_results(&events),
        vec![
            (0, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (1, RecipientStage::Rcpt, RecipientStatus::Rejected, 550),
            (2, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (0, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
            (2, RecipientStage::Delivery, RecipientStatus::Deferred, 452),
        ]
    );
    let done = report(&events);
    assert_eq!(done.outcome, TransactionOutcome::Accepted { recipients: 1 });
    assert_eq!(done.reply, None);
}

/// An LMTP client with three recipients accepted at RCPT and its content sent.
fn lmtp_waiting_for_three_replies() -> Harness {
    let mut h = Harness::ready_with(
        ClientConfig::lmtp(Host::new("client.test").unwrap().into_owned()),
        &["PIPELINING", "ENHANCEDSTATUSCODES"],
    );
    h.client
        .start_mail(envelope(&["a@lmtp.test", "b@lmtp.test", "c@lmtp.test"]))
        .unwrap();
    h.client.send_body(&b"Hello\r\n"[..]).unwrap();
    h.client.finish_body().unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(h.sent(), "Hello\r\n.\r\n");
    let _ = h.events();
    h
}

#[test]
fn lmtp_connection_closed_mid_replies_keeps_the_replies_that_arrived() {
    // RFC 2033 §5: process the replies that arrived, the rest are temporary failures.
    let mut h = lmtp_waiting_for_three_replies();
    h.server(b"250 2.0.0 <a@lmtp.test> delivered\r\n452 4.2.2 <b@lmtp.test> full\r\n");
    h.client.handle_eof(h.now);
    let events = h.events();
    assert_eq!(
        recipient_results(&events),
        vec![
            (0, RecipientStage::Delivery, RecipientStatus::Accepted, 250),
            (1, RecipientStage::Delivery, RecipientStatus::Deferred, 452),
        ]
    );
    assert!(events.contains(&ClientEvent::ConnectionLost));
    let done = report(&events);
    assert_eq!(done.outcome, TransactionOutcome::Accepted { recipients: 1 });
    assert_eq!(done.reply, None);
    assert_eq!(done.unanswered, vec![2]);
    assert!(h.client.is_closed());
}

#[test]
fn lmtp_service_closing_mid_replies_defers_only_the_rest() {
    let mut h = lmtp_waiting_for_three_replies();
    h.server(b"550 5.2.1 <a@lmtp.test> disabled\r\n421 4.3.2 shutting down\r\n");
    let events = h.events();
    assert_eq!(
        recipient_results(&events),
        vec![(0, RecipientStage::Delivery, RecipientStatus::Rejected, 550)]
    );
    let done = report(&events);
    // Nothing was delivered: a temporary failure of the connection, for the two
    // recipients still owed a reply.
    assert_eq!(
        done.outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Connection,
            temporary: true
        }
    );
    assert_eq!(done.reply.unwrap().code().get(), 421);
    assert_eq!(done.unanswered, vec![1, 2]);

    // Timing out after one delivery: the delivered recipient stays delivered.
    let mut h = lmtp_waiting_for_three_replies();
    h.server(b"250 2.0.0 <a@lmtp.test> delivered\r\n");
    h.advance(Duration::from_secs(600));
    h.tick();
    let events = h.events();
    assert!(events.contains(&ClientEvent::TimedOut {
        waiting: Waiting::DataTermination
    }));
    let done = report(&events);
    assert_eq!(done.outcome, TransactionOutcome::Accepted { recipients: 1 });
    assert_eq!(done.unanswered, vec![1, 2]);
}

#[test]
fn lmtp_bdat_last_waits_for_earlier_chunks() {
    let mut h = Harness::ready_with(
        ClientConfig::lmtp(Host::new("client.test").unwrap().into_owned()),
        &["PIPELINING", "CHUNKING"],
    );
    h.client
        .start_mail(envelope(&["a@lmtp.test", "b@lmtp.test"]))
        .unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n250 ok\r\n250 ok\r\n");
    h.client.send_body(&b"one"[..]).unwrap();
    h.client.send_body(&b"two"[..]).unwrap();
    h.client.finish_body().unwrap();
    assert_eq!(h.sent(), "BDAT 3\r\none");
    h.server(b"250 3 octets\r\n");
    assert_eq!(h.sent(), "BDAT 3 LAST\r\ntwo");
    h.server(b"550 5.2.0 rejected\r\n");
    assert!(!h
        .events()
        .iter()
        .any(|e| matches!(e, ClientEvent::TransactionDone(_))));
    h.server(b"550 5.2.0 rejected too\r\n");
    let events = h.events();
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Content,
            temporary: false
        }
    );
}

#[test]
fn greeting_timeout() {
    let mut h = Harness::new(config());
    let deadline = h.client.poll_timeout().unwrap();
    assert_eq!(deadline, h.now + Duration::from_secs(300));
    h.advance(Duration::from_secs(299));
    h.tick();
    assert!(h.events().is_empty());
    h.advance(Duration::from_secs(1));
    h.tick();
    assert_eq!(
        h.events(),
        vec![ClientEvent::TimedOut {
            waiting: Waiting::Greeting
        }]
    );
    assert_eq!(h.client.transport(), Transport::Closed);
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn data_timeouts_follow_rfc_5321() {
    let mut h = Harness::ready(&["PIPELINING"]);
    // No timer while idle.
    assert_eq!(h.client.poll_timeout(), None);
    h.advance(Duration::from_secs(1000));
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    // A decision carries no time: the timer asks to be called at once, then counts
    // from that moment.
    let at = h.client.poll_timeout().unwrap();
    assert!(at <= h.now);
    h.tick();
    assert!(h.events().is_empty());
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(300))
    );
    let _ = h.sent();
    h.advance(Duration::from_secs(10));
    h.server(b"250 ok\r\n250 ok\r\n");
    // Now waiting for the 354: two minutes.
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(120))
    );
    h.advance(Duration::from_secs(5));
    h.server(b"354 go\r\n");
    // Waiting for content from the application: three minutes.
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(180))
    );
    h.advance(Duration::from_secs(170));
    h.client.send_body(&b"progress"[..]).unwrap();
    h.tick();
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(180)),
        "progress restarts it"
    );
    h.client.finish_body().unwrap();
    h.tick();
    // Waiting for the final reply: ten minutes.
    assert_eq!(
        h.client.poll_timeout(),
        Some(h.now + Duration::from_secs(600))
    );
    h.advance(Duration::from_secs(600));
    h.tick();
    let events = h.events();
    assert_eq!(
        events[events.len() - 2..],
        [
            ClientEvent::TimedOut {
                waiting: Waiting::DataTermination
            },
            report_event(&events),
        ]
    );
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Connection,
            temporary: true
        }
    );
    assert!(h.client.is_closed());
}

fn report_event(events: &[ClientEvent]) -> ClientEvent {
    ClientEvent::TransactionDone(report(events))
}

#[test]
fn stalled_application_times_out_in_body() {
    let mut h = Harness::ready(&[]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.server(b"250 ok\r\n");
    h.server(b"250 ok\r\n");
    h.server(b"354 go\r\n");
    let _ = h.events();
    h.advance(Duration::from_secs(180));
    h.tick();
    assert_eq!(
        h.events()[0],
        ClientEvent::TimedOut {
            waiting: Waiting::DataBlock
        }
    );
}

#[test]
fn malformed_and_unexpected_replies_close() {
    // A reply nobody asked for waits for a command to answer; when the connection ends
    // first, it was unexpected.
    let mut h = Harness::ready(&[]);
    h.server(b"250 nobody asked\r\n");
    assert!(h.events().is_empty());
    assert!(!h.client.is_closed());
    h.client.handle_eof(h.now);
    assert_eq!(
        h.events(),
        vec![
            ClientEvent::ProtocolError(ProtocolError::UnexpectedReply {
                code: crate::types::ReplyCode::OK
            }),
            ClientEvent::ConnectionLost,
        ]
    );
    assert!(h.client.is_closed());

    // A server that keeps talking unasked is cut off at the limit: memory stays bounded.
    let mut config = config();
    config.max_unsolicited_input = 1000;
    let mut h = Harness::ready_with(config, &[]);
    for _ in 0..50 {
        h.server(b"250 nobody asked\r\n");
    }
    assert!(!h.client.is_closed());
    for _ in 0..50 {
        h.server(b"250 nobody asked\r\n");
    }
    assert_eq!(
        h.events(),
        vec![ClientEvent::ProtocolError(
            ProtocolError::UnsolicitedInput { octets: 1008 }
        )]
    );
    assert!(h.client.is_closed());

    let mut h = Harness::ready(&[]);
    h.client.send(Command::Noop { argument: None }).unwrap();
    h.server(b"2x0 what\r\n");
    assert!(matches!(
        &h.events()[..],
        [ClientEvent::ProtocolError(ProtocolError::MalformedReply(_))]
    ));
    assert_eq!(h.client.transport(), Transport::Closed);
    assert_eq!(
        h.client.send(Command::Noop { argument: None }),
        Err(ClientError::Closed)
    );

    // An endless line is refused once it passes the limit: memory stays bounded.
    let mut h = Harness::ready(&[]);
    h.client.send(Command::Noop { argument: None }).unwrap();
    for _ in 0..100 {
        h.server(&[b'2'; 100]);
    }
    assert!(matches!(
        &h.events()[..],
        [ClientEvent::ProtocolError(ProtocolError::MalformedReply(_))]
    ));
    assert!(h.client.is_closed());
}

#[test]
fn unsolicited_service_closing_is_reported_at_the_end_of_input() {
    // A server's idle timeout: 421, then it closes.
    let mut h = Harness::ready(&[]);
    h.server(b"421 4.4.2 mx.test idle too long\r\n");
    h.client.handle_eof(h.now);
    let events = h.events();
    assert!(
        matches!(&events[..], [ClientEvent::ServiceClosing { reply }] if reply.code().get() == 421),
        "{events:?}"
    );
    assert!(h.client.is_closed());
}

#[test]
fn an_early_reply_is_read_at_the_next_timer_call_after_its_command() {
    let mut h = Harness::ready(&[]);
    assert!(!h.client.awaits_reply());
    h.server(b"250 2.0.0 early\r\n");
    assert!(h.events().is_empty());
    assert_eq!(h.client.poll_timeout(), None, "nothing to read it for yet");
    let noop = h.client.send(Command::Noop { argument: None }).unwrap();
    assert!(h.client.awaits_reply());
    assert_eq!(h.sent(), "NOOP\r\n");
    // A decision never reads input: the machine asks to be called at once.
    assert!(h.events().is_empty());
    assert_eq!(h.client.poll_timeout(), Some(h.now));
    h.tick();
    let events = h.events();
    assert!(
        matches!(&events[..], [ClientEvent::Reply { id, reply }] if *id == noop && reply.code().get() == 250),
        "{events:?}"
    );
    assert!(!h.client.awaits_reply());
    assert_eq!(h.client.poll_timeout(), None);
}

/// The greeting, the EHLO reply and the replies to the transaction the application
/// starts on `Ready`, in one read or cut anywhere (the server answered faster than the
/// application acted): the same events and the same output.
#[test]
fn replies_before_their_command_wait_for_it() {
    let server: &[u8] = b"220 mx.test ESMTP\r\n250-mx.test\r\n250 PIPELINING\r\n\
        250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n250 2.0.0 queued\r\n250 2.0.0 noop\r\n\
        221 2.0.0 bye\r\n";
    let run = |cuts: &[usize]| {
        let now = Instant::now();
        let mut client = Client::new(config(), now);
        let mut out = Vec::new();
        let mut events = Vec::new();
        let mut start = 0;
        for end in cuts.iter().copied().chain(std::iter::once(server.len())) {
            client.handle_input(now, &server[start..end]);
            start = end;
            // As a driver does: transmit, timer, events, until nothing is due.
            loop {
                while client.poll_transmit(&mut out) > 0 {}
                if client.poll_timeout().is_some_and(|at| at <= now) {
                    client.handle_timeout(now);
                    continue;
                }
                let Some(event) = client.poll_event() else {
                    break;
                };
                if matches!(event, ClientEvent::Ready { .. }) {
                    client.start_mail(envelope(&["b@mx.test"])).unwrap();
                    client.send_body(&b"hi\r\n"[..]).unwrap();
                    client.finish_body().unwrap();
                    client.send(Command::Noop { argument: None }).unwrap();
                    client.quit().unwrap();
                }
                events.push(event);
            }
        }
        (String::from_utf8(out).unwrap(), events, client.transport())
    };
    let whole = run(&[]);
    assert_eq!(
        whole.0,
        "EHLO client.test\r\nMAIL FROM:<alice@client.test>\r\nRCPT TO:<b@mx.test>\r\n\
         DATA\r\nhi\r\n.\r\nNOOP\r\nQUIT\r\n"
    );
    assert!(!whole
        .1
        .iter()
        .any(|e| matches!(e, ClientEvent::ProtocolError(_))));
    assert!(whole.1.iter().any(|e| matches!(
        e,
        ClientEvent::TransactionDone(TransactionReport {
            outcome: TransactionOutcome::Accepted { recipients: 1 },
            ..
        })
    )));
    assert_eq!(whole.2, Transport::Closed);
    for at in 1..server.len() {
        assert_eq!(run(&[at]), whole, "cut at {at}");
    }
    let every: Vec<usize> = (1..server.len()).collect();
    assert_eq!(run(&every), whole, "byte by byte");
}

#[test]
fn service_closing_mid_transaction() {
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n421 4.3.2 shutting down\r\n");
    let events = h.events();
    assert!(events
        .iter()
        .any(|e| matches!(e, ClientEvent::ServiceClosing { .. })));
    let done = report(&events);
    assert_eq!(
        done.outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Connection,
            temporary: true
        }
    );
    assert_eq!(done.reply.unwrap().code().get(), 421);
    // The RCPT never got its answer: the recipient is to be tried again.
    assert_eq!(done.unanswered, vec![0]);
    assert_eq!(h.client.transport(), Transport::Closed);
}

#[test]
fn user_commands_wait_for_the_transaction_and_quit_closes() {
    let mut h = Harness::ready(&["PIPELINING"]);
    assert_eq!(
        h.client.send(Command::Data),
        Err(ClientError::UseDedicatedMethod { verb: Verb::Data })
    );
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    let noop = h.client.send(Command::Noop { argument: None }).unwrap();
    let quit = h.client.quit().unwrap();
    assert_eq!(h.client.quit(), Err(ClientError::Closed));
    h.client.finish_body().unwrap();
    assert!(!h.sent().contains("NOOP"));
    h.server(b"250 ok\r\n250 ok\r\n354 go\r\n");
    assert_eq!(h.sent(), ".\r\n");
    h.server(b"250 queued\r\n");
    assert_eq!(
        h.sent(),
        "NOOP\r\n",
        "NOOP ends a group: QUIT waits for its reply"
    );
    h.server(b"250 ok\r\n");
    assert_eq!(h.sent(), "QUIT\r\n");
    h.server(b"221 bye\r\n");
    let events = h.events();
    let replies: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Reply { id, reply } => Some((*id, reply.code().get())),
            _ => None,
        })
        .collect();
    assert_eq!(replies, vec![(noop, 250), (quit, 221)]);
    assert_eq!(h.client.transport(), Transport::Closed);
    h.client.handle_eof(h.now);
    assert!(!h.events().contains(&ClientEvent::ConnectionLost));
}

#[test]
fn rset_may_be_pipelined_with_following_commands() {
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.send(Command::Rset).unwrap();
    h.client.send(Command::Noop { argument: None }).unwrap();
    h.client.send(Command::Noop { argument: None }).unwrap();
    assert_eq!(h.sent(), "RSET\r\nNOOP\r\n");
}

#[test]
fn connection_lost() {
    let mut h = Harness::ready(&[]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.handle_eof(h.now);
    let events = h.events();
    assert_eq!(events[0], ClientEvent::ConnectionLost);
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Connection,
            temporary: true
        }
    );
    assert_eq!(report(&events).unanswered, vec![0]);
    assert!(h.client.is_closed());
}

/// The same server bytes, whole or split at any point, give the same events and
/// output. The server speaks in turns (it answers only what was sent); each turn is cut.
#[test]
fn split_input_gives_the_same_session() {
    let turns: [&[u8]; 5] = [
        b"220 mx.test ESMTP\r\n",
        b"250-mx.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
        b"250 ok\r\n250 ok\r\n550 5.1.1 no\r\n354 go\r\n",
        b"250 2.0.0 queued\r\n",
        b"221 bye\r\n",
    ];
    let run = |cut: &dyn Fn(usize, &[u8]) -> Vec<usize>| {
        let now = Instant::now();
        let mut client = Client::new(config(), now);
        let mut out = Vec::new();
        let mut events = Vec::new();
        for (turn, bytes) in turns.iter().enumerate() {
            let mut start = 0;
            for end in cut(turn, bytes)
                .into_iter()
                .chain(std::iter::once(bytes.len()))
            {
                client.handle_input(now, &bytes[start..end]);
                start = end;
                while client.poll_transmit(&mut out) > 0 {}
                while let Some(e) = client.poll_event() {
                    if matches!(e, ClientEvent::Ready { .. }) {
                        client
                            .start_mail(envelope(&["b@mx.test", "c@mx.test"]))
                            .unwrap();
                        client.send_body(&b"hi"[..]).unwrap();
                        client.finish_body().unwrap();
                        client.quit().unwrap();
                    }
                    events.push(e);
                }
                while client.poll_transmit(&mut out) > 0 {}
            }
        }
        (out, events, client.transport())
    };
    let whole = run(&|_, _| Vec::new());
    assert!(whole.1.iter().any(|e| matches!(
        e,
        ClientEvent::TransactionDone(TransactionReport {
            outcome: TransactionOutcome::Accepted { recipients: 1 },
            ..
        })
    )));
    assert_eq!(whole.2, Transport::Closed);
    assert!(!whole
        .1
        .iter()
        .any(|e| matches!(e, ClientEvent::ProtocolError(_))));
    for (turn, bytes) in turns.iter().enumerate() {
        for at in 1..bytes.len() {
            let split = run(&|t, _| if t == turn { vec![at] } else { Vec::new() });
            assert_eq!(split, whole, "turn {turn} split at {at}");
        }
    }
    assert_eq!(
        run(&|_, bytes| (1..bytes.len()).collect()),
        whole,
        "byte by byte"
    );
}

#[test]
fn data_answered_with_a_wrong_code_is_a_failure() {
    let mut h = Harness::ready(&["PIPELINING"]);
    h.client.start_mail(envelope(&["bob@mx.test"])).unwrap();
    h.client.send_body(&b"never sent"[..]).unwrap();
    let _ = h.sent();
    h.server(b"250 ok\r\n250 ok\r\n250 what?\r\n");
    assert_eq!(
        h.sent(),
        "RSET\r\n",
        "no content after a reply that is not 354"
    );
    let events = h.events();
    assert!(
        events.contains(&ClientEvent::ProtocolError(ProtocolError::UnexpectedCode {
            verb: Verb::Data,
            code: crate::types::ReplyCode::OK
        }))
    );
    assert_eq!(
        recipient_results(&events),
        vec![
            (0, RecipientStage::Rcpt, RecipientStatus::Accepted, 250),
            (0, RecipientStage::Delivery, RecipientStatus::Rejected, 250),
        ]
    );
    assert_eq!(
        report(&events).outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::DataCommand,
            temporary: false
        }
    );
}
