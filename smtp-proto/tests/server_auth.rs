//! AUTH (RFC 4954): PLAIN (RFC 4616) and LOGIN decoded by the machine, other mechanisms
//! through the generic SASL steps, cancellation, and the sequence rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/server_harness.rs"]
mod harness;

use harness::{config, Harness};
use mailwire_smtp::server::ServerEvent;
use mailwire_smtp::types::{Mechanism, SaslData};

fn b64(raw: &str) -> String {
    SaslData::encode(raw.as_bytes()).as_base64().to_string()
}

fn auth_harness() -> Harness {
    let mut h = Harness::greeted(
        config()
            .auth_mechanisms([
                Mechanism::PLAIN,
                Mechanism::LOGIN,
                Mechanism::new("SCRAM-SHA-256").unwrap(),
            ])
            .plaintext_auth_without_tls(true)
            .build()
            .unwrap(),
    );
    h.send("EHLO c.test\r\n");
    assert_eq!(
        h.lines().last().unwrap(),
        "250 AUTH PLAIN LOGIN SCRAM-SHA-256"
    );
    h.events();
    h
}

/// The credentials event, checked, and its id.
fn credentials(
    h: &mut Harness,
    mechanism: &Mechanism<'_>,
    authzid: Option<&str>,
    user: &str,
    pass: &str,
) -> mailwire_smtp::server::ReplyId {
    let events = h.events();
    let [ServerEvent::AuthCredentials {
        id,
        mechanism: m,
        authzid: z,
        authcid,
        password,
    }] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(m, mechanism);
    assert_eq!(z.as_deref(), authzid);
    assert_eq!(authcid, user);
    assert_eq!(password.expose(), pass);
    // The password never shows in logs.
    assert!(!format!("{events:?}").contains(pass));
    *id
}

#[test]
fn plain_with_initial_response() {
    let mut h = auth_harness();
    h.send(format!("AUTH PLAIN {}\r\n", b64("\0tim\0tanstaaftanstaaf")));
    let id = credentials(&mut h, &Mechanism::PLAIN, None, "tim", "tanstaaftanstaaf");
    assert_eq!(h.output(), "");
    h.accept(id);
    assert_eq!(h.output(), "235 2.7.0 Authentication successful\r\n");
    assert!(h.server.is_authenticated());
    // RFC 4954 §4: no second AUTH.
    h.send(format!("AUTH PLAIN {}\r\n", b64("\0tim\0x")));
    assert_eq!(h.output(), "503 5.5.1 Already authenticated\r\n");
}

#[test]
fn plain_without_initial_response_and_with_authzid() {
    let mut h = auth_harness();
    h.send("AUTH PLAIN\r\n");
    assert_eq!(h.output(), "334 \r\n");
    h.send(format!("{}\r\n", b64("Ursel\0Kurt\0xipj3plmq")));
    let id = credentials(
        &mut h,
        &Mechanism::PLAIN,
        Some("Ursel"),
        "Kurt",
        "xipj3plmq",
    );
    h.reject(id);
    assert_eq!(
        h.output(),
        "535 5.7.8 Authentication credentials invalid\r\n"
    );
    assert!(!h.server.is_authenticated());
    // A failed AUTH may be retried.
    h.send(format!("AUTH PLAIN {}\r\n", b64("\0Kurt\0right")));
    let id = credentials(&mut h, &Mechanism::PLAIN, None, "Kurt", "right");
    h.accept(id);
    assert!(h.server.is_authenticated());
}

#[test]
fn login_prompts_for_user_and_password() {
    let mut h = auth_harness();
    h.send("AUTH LOGIN\r\n");
    assert_eq!(h.output(), "334 VXNlcm5hbWU6\r\n");
    h.send(format!("{}\r\n", b64("alice")));
    assert_eq!(h.output(), "334 UGFzc3dvcmQ6\r\n");
    assert!(h.events().is_empty());
    h.send(format!("{}\r\n", b64("wonderland")));
    let id = credentials(&mut h, &Mechanism::LOGIN, None, "alice", "wonderland");
    h.accept(id);
    assert_eq!(h.output(), "235 2.7.0 Authentication successful\r\n");

    // The user name may come as initial response.
    let mut h = auth_harness();
    h.send(format!("AUTH LOGIN {}\r\n", b64("bob")));
    assert_eq!(h.output(), "334 UGFzc3dvcmQ6\r\n");
    h.send(format!("{}\r\n", b64("builder")));
    credentials(&mut h, &Mechanism::LOGIN, None, "bob", "builder");
}

#[test]
fn cancel_and_bad_base64_end_the_exchange_with_501() {
    let mut h = auth_harness();
    h.send("AUTH LOGIN\r\n*\r\n");
    assert_eq!(
        h.output(),
        "334 VXNlcm5hbWU6\r\n501 5.7.0 Authentication cancelled\r\n"
    );
    assert_eq!(h.events(), vec![ServerEvent::AuthCancelled]);
    h.send("AUTH PLAIN\r\n!!notbase64\r\nNOOP\r\n");
    assert_eq!(
        h.output(),
        "334 \r\n501 5.5.2 Invalid base64 data\r\n250 2.0.0 OK\r\n"
    );
    h.send("AUTH PLAIN =\r\n");
    assert_eq!(h.output(), "501 5.5.2 Malformed PLAIN response\r\n");
    h.send(format!("AUTH PLAIN {}\r\n", b64("no-nul-here")));
    assert_eq!(h.output(), "501 5.5.2 Malformed PLAIN response\r\n");
    h.send("AUTH PLAIN AAA=BBBB\r\n");
    assert_eq!(h.codes(), vec![501]);
    assert!(h.events().is_empty());
    assert!(!h.server.is_authenticated());
}

#[test]
fn generic_mechanism_goes_through_sasl_steps() {
    let mut h = auth_harness();
    h.send(format!(
        "AUTH SCRAM-SHA-256 {}\r\n",
        b64("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
    ));
    let events = h.events();
    let [ServerEvent::SaslStart {
        id,
        mechanism,
        initial_response,
    }] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(mechanism.as_str(), "SCRAM-SHA-256");
    assert_eq!(
        initial_response.as_ref().unwrap().expose(),
        b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    );
    h.server.sasl_challenge(*id, b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096").unwrap();
    let challenge = h.output();
    assert!(
        challenge.starts_with("334 cj1yT3ByTkdmd0ViZVJXZ2JOR"),
        "{challenge}"
    );
    h.send(format!("{}\r\n", b64("c=biws,r=...,p=proof")));
    let events = h.events();
    let [ServerEvent::SaslResponse { id, response }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(response.expose(), b"c=biws,r=...,p=proof");
    // A final step with server data is a challenge too; then the outcome.
    h.server.sasl_challenge(*id, b"v=signature").unwrap();
    h.send("\r\n");
    let events = h.events();
    let [ServerEvent::SaslResponse { id, response }] = &events[..] else {
        panic!("{events:?}")
    };
    assert!(response.expose().is_empty());
    h.accept(*id);
    assert_eq!(
        h.output(),
        "334 dj1zaWduYXR1cmU=\r\n235 2.7.0 Authentication successful\r\n"
    );
    assert!(h.server.is_authenticated());
}

#[test]
fn generic_mechanism_cancelled_by_the_client_tells_the_application() {
    let mut h = auth_harness();
    h.send("AUTH SCRAM-SHA-256\r\n");
    let events = h.events();
    let [ServerEvent::SaslStart {
        id,
        initial_response: None,
        ..
    }] = &events[..]
    else {
        panic!("{events:?}")
    };
    h.server.sasl_challenge(*id, b"").unwrap();
    assert_eq!(h.output(), "334 \r\n");
    h.send("*\r\n");
    assert_eq!(h.output(), "501 5.7.0 Authentication cancelled\r\n");
    assert_eq!(h.events(), vec![ServerEvent::AuthCancelled]);
}

#[test]
fn auth_sequence_rules() {
    let mut h = Harness::greeted(
        config()
            .auth_mechanisms([Mechanism::PLAIN])
            .plaintext_auth_without_tls(true)
            .build()
            .unwrap(),
    );
    h.send("AUTH PLAIN\r\n");
    assert_eq!(h.output(), "503 5.5.1 Send EHLO first\r\n");
    h.send("HELO c.test\r\nAUTH PLAIN\r\n");
    assert_eq!(h.lines()[1], "503 5.5.1 Send EHLO first");
    h.send("EHLO c.test\r\nAUTH CRAM-MD5\r\n");
    assert_eq!(
        h.lines().last().unwrap(),
        "504 5.5.4 Unrecognized authentication type"
    );
    h.send("MAIL FROM:<a@b.test>\r\n");
    h.accept_all();
    h.output();
    h.send("AUTH PLAIN\r\n");
    assert_eq!(
        h.output(),
        "503 5.5.1 AUTH not permitted during a mail transaction\r\n"
    );

    let mut h = Harness::greeted(config().build().unwrap());
    h.send("EHLO c.test\r\nAUTH PLAIN\r\n");
    assert_eq!(h.lines().last().unwrap(), "502 5.5.1 AUTH not available");
}

#[test]
fn over_long_auth_line_fails_with_500_5_5_6() {
    let mut h = Harness::greeted(
        config()
            .auth_mechanisms([Mechanism::PLAIN])
            .plaintext_auth_without_tls(true)
            .max_auth_line_length(64)
            .build()
            .unwrap(),
    );
    h.send("EHLO c.test\r\n");
    h.output();
    h.send(format!("AUTH PLAIN\r\n{}\r\nNOOP\r\n", "QUFB".repeat(100)));
    assert_eq!(
        h.output(),
        "334 \r\n500 5.5.6 Authentication exchange line too long\r\n250 2.0.0 OK\r\n"
    );
}

#[test]
fn auth_lines_may_exceed_the_command_limit() {
    // RFC 4954 §4: responses may be longer than a command line.
    let mut h = Harness::greeted(
        config()
            .auth_mechanisms([Mechanism::new("XOAUTH2").unwrap()])
            .max_line_length(512)
            .build()
            .unwrap(),
    );
    h.send("EHLO c.test\r\nAUTH XOAUTH2\r\n");
    let events = h.events();
    let Some(ServerEvent::SaslStart { id, .. }) = events.last() else {
        panic!("{events:?}")
    };
    h.server.sasl_challenge(*id, b"").unwrap();
    let token = "t".repeat(3000);
    h.send(format!("{}\r\n", b64(&token)));
    let events = h.events();
    let [ServerEvent::SaslResponse { response, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(response.expose().len(), 3000);
}

#[test]
fn a_sasl_answer_sent_early_is_framed_under_the_auth_limit() {
    // The client sends its answer before the challenge left (it guessed it): the line is
    // longer than a command line may be, but within the AUTH line limit. It must be
    // read as the answer once the application challenges, whatever arrived when.
    let config = || {
        config()
            .auth_mechanisms([Mechanism::CRAM_MD5])
            .plaintext_auth_without_tls(true)
            .max_line_length(64)
            .max_auth_line_length(512)
            .build()
            .unwrap()
    };
    let answer = b64(&"r".repeat(150));
    for together in [true, false] {
        let mut h = Harness::greeted(config());
        h.send("EHLO c.test\r\nAUTH CRAM-MD5\r\n");
        if together {
            h.send(format!("{answer}\r\n"));
        }
        let events = h.events();
        let Some(ServerEvent::SaslStart { id, .. }) = events.last() else {
            panic!("{events:?}")
        };
        h.server
            .sasl_challenge(*id, b"<1896.697170952@mx.test>")
            .unwrap();
        if !together {
            h.send(format!("{answer}\r\n"));
        }
        let events = h.events();
        let [ServerEvent::SaslResponse { response, .. }] = &events[..] else {
            panic!("together={together}: {events:?}")
        };
        assert_eq!(response.expose().len(), 150);
    }
}
