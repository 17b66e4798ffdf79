//! Our client against our server, in memory: AUTH PLAIN and LOGIN (RFC 4954, 4616),
//! with and without initial response, wrong passwords, and a generic SASL mechanism.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/session_pair.rs"]
mod pair;

use mailwire_smtp::client::{ClientError, ClientEvent, Credentials};
use mailwire_smtp::server::{ServerConfig, ServerEvent};
use mailwire_smtp::types::Mechanism;
use pair::{client_config, secret, server_config, Pair};

fn auth_server() -> ServerConfig {
    server_config()
        .plaintext_auth_without_tls(true)
        .auth_mechanisms([
            Mechanism::PLAIN,
            Mechanism::LOGIN,
            Mechanism::new("X-ECHO").unwrap(),
        ])
        .build()
        .unwrap()
}

fn outcome(pair: &Pair) -> Option<u16> {
    pair.client_events.iter().rev().find_map(|e| match e {
        ClientEvent::Authenticated { reply } | ClientEvent::AuthFailed { reply } => {
            Some(reply.code().get())
        }
        _ => None,
    })
}

fn credentials_seen(pair: &Pair) -> Vec<(String, Option<String>, String, String)> {
    pair.server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::AuthCredentials {
                mechanism,
                authzid,
                authcid,
                password,
                ..
            } => Some((
                mechanism.as_str().to_string(),
                authzid.clone(),
                authcid.clone(),
                password.expose().clone(),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn plain_with_initial_response() {
    let mut pair = Pair::ready(client_config(), auth_server());
    let before = pair.flights.len();
    pair.client
        .authenticate(Credentials::plain("alice", "secret"))
        .unwrap();
    pair.run();
    assert_eq!(
        pair.flights_text()[before],
        "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
        "one line: the initial response"
    );
    assert_eq!(outcome(&pair), Some(235));
    assert!(pair.client.is_authenticated());
    assert!(pair.server.is_authenticated());
    assert_eq!(
        credentials_seen(&pair),
        vec![("PLAIN".into(), None, "alice".into(), "secret".into())]
    );
}

#[test]
fn plain_without_initial_response_and_authzid() {
    let mut config = client_config();
    config.sasl_initial_response = false;
    let mut pair = Pair::ready(config, auth_server());
    let before = pair.flights.len();
    pair.client
        .authenticate(Credentials::plain_as("admin", "alice", "secret"))
        .unwrap();
    pair.run();
    assert_eq!(
        &pair.flights_text()[before..],
        ["AUTH PLAIN\r\n", "YWRtaW4AYWxpY2UAc2VjcmV0\r\n"]
    );
    assert_eq!(outcome(&pair), Some(235));
    assert_eq!(
        credentials_seen(&pair),
        vec![(
            "PLAIN".into(),
            Some("admin".into()),
            "alice".into(),
            "secret".into()
        )]
    );
}

#[test]
fn login_then_wrong_password_then_right() {
    let mut pair = Pair::ready(client_config(), auth_server());
    let before = pair.flights.len();
    pair.client
        .authenticate(Credentials::login("alice", "wrong"))
        .unwrap();
    pair.run();
    assert_eq!(
        &pair.flights_text()[before..],
        ["AUTH LOGIN\r\n", "YWxpY2U=\r\n", "d3Jvbmc=\r\n"]
    );
    assert_eq!(outcome(&pair), Some(535));
    assert!(!pair.client.is_authenticated());
    assert!(pair.client.is_idle());
    pair.client
        .authenticate(Credentials::login("alice", "secret"))
        .unwrap();
    pair.run();
    assert_eq!(outcome(&pair), Some(235));
    assert_eq!(
        pair.client
            .authenticate(Credentials::login("alice", "secret")),
        Err(ClientError::AlreadyAuthenticated)
    );
    let seen = credentials_seen(&pair);
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, "LOGIN");
    assert_eq!(seen[1].3, "secret");
}

#[test]
fn generic_mechanism_through_the_application() {
    let mut pair = Pair::ready(client_config(), auth_server());
    pair.client
        .authenticate_with(Mechanism::new("X-ECHO").unwrap(), None)
        .unwrap();
    pair.run();
    let challenge = pair.client_events.iter().find_map(|e| match e {
        ClientEvent::AuthChallenge { challenge } => Some(challenge.clone()),
        _ => None,
    });
    assert_eq!(challenge.as_deref(), Some(&b"ping"[..]));
    pair.client.auth_respond(secret(b"pong")).unwrap();
    pair.run();
    assert_eq!(outcome(&pair), Some(235));
    assert!(pair.server.is_authenticated());
}

#[test]
fn generic_mechanism_cancelled() {
    let mut pair = Pair::ready(client_config(), auth_server());
    pair.client
        .authenticate_with(Mechanism::new("X-ECHO").unwrap(), Some(secret(b"hello")))
        .unwrap();
    pair.run();
    assert!(pair.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::SaslStart { initial_response: Some(r), .. } if r.expose() == b"hello"
    )));
    pair.client.auth_cancel().unwrap();
    pair.run();
    assert_eq!(outcome(&pair), Some(501));
    assert!(pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::AuthCancelled)));
    assert!(!pair.client.is_authenticated());
}

#[test]
fn mechanism_not_offered_is_refused_locally() {
    let mut pair = Pair::ready(client_config(), auth_server());
    assert_eq!(
        pair.client
            .authenticate_with(Mechanism::new("SCRAM-SHA-256").unwrap(), None),
        Err(ClientError::MechanismNotOffered)
    );
}
