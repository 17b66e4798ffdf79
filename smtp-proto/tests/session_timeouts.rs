//! Our client against our server on a virtual clock: the client's RFC 5321 §4.5.3.2
//! timeouts fire when the server (or the application) is silent, and not before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/session_pair.rs"]
mod pair;

use std::time::Duration;

use mailwire_core::{Session, Transport};
use mailwire_smtp::client::{
    ClientEvent, ClientTimeouts, FailureStage, TransactionOutcome, Waiting,
};
use mailwire_smtp::server::ServerEvent;
use pair::{client_config, envelope, server_config, Pair};

fn timed_out(pair: &Pair) -> Option<Waiting> {
    pair.client_events.iter().find_map(|e| match e {
        ClientEvent::TimedOut { waiting } => Some(*waiting),
        _ => None,
    })
}

#[test]
fn silent_server_on_mail_times_out_after_five_minutes() {
    let mut pair = Pair::ready(client_config(), server_config().build().unwrap());
    pair.server_answers = false;
    pair.client
        .start_mail(envelope("a@client.test", &["b@mx.test"]))
        .unwrap();
    pair.run();
    assert!(pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::Mail { .. })));
    pair.advance(Duration::from_secs(299));
    assert_eq!(timed_out(&pair), None);
    pair.advance(Duration::from_secs(1));
    assert_eq!(timed_out(&pair), Some(Waiting::Mail));
    assert_eq!(pair.client.transport(), Transport::Closed);
    assert_eq!(
        pair.reports()[0].outcome,
        TransactionOutcome::Failed {
            stage: FailureStage::Connection,
            temporary: true
        }
    );
}

#[test]
fn silent_server_after_the_content_waits_ten_minutes() {
    let mut pair = Pair::ready(
        client_config(),
        server_config().chunking(false).build().unwrap(),
    );
    pair.client
        .start_mail(envelope("a@client.test", &["b@mx.test"]))
        .unwrap();
    pair.run();
    // The application's final decision never comes.
    pair.server_answers = false;
    pair.client.send_body(b"content\r\n".to_vec()).unwrap();
    pair.client.finish_body().unwrap();
    pair.run();
    assert!(pair
        .server_events
        .iter()
        .any(|e| matches!(e, ServerEvent::MessageEnd { .. })));
    pair.advance(Duration::from_secs(599));
    assert_eq!(timed_out(&pair), None, "still within the 10 minutes");
    pair.advance(Duration::from_secs(1));
    assert_eq!(timed_out(&pair), Some(Waiting::DataTermination));
}

#[test]
fn stalled_application_before_the_content_times_out() {
    let mut pair = Pair::ready(
        client_config(),
        server_config().chunking(false).build().unwrap(),
    );
    pair.client
        .start_mail(envelope("a@client.test", &["b@mx.test"]))
        .unwrap();
    pair.run();
    assert!(pair
        .client_events
        .iter()
        .any(|e| matches!(e, ClientEvent::BodyReady { .. })));
    // The application gives a chunk every two minutes: no timeout.
    for _ in 0..3 {
        pair.advance(Duration::from_secs(120));
        pair.client.send_body(b"more\r\n".to_vec()).unwrap();
        pair.run();
    }
    assert_eq!(timed_out(&pair), None);
    // Then it stalls: three minutes later the client gives up.
    pair.advance(Duration::from_secs(180));
    assert_eq!(timed_out(&pair), Some(Waiting::DataBlock));
}

#[test]
fn shorter_configured_timeouts_apply() {
    let mut config = client_config();
    config.timeouts.greeting = Duration::from_secs(10);
    assert_eq!(ClientTimeouts::default().greeting, Duration::from_secs(300));
    // A server that never greets: its application owes the greeting decision.
    let server = server_config()
        .greeting(mailwire_smtp::server::Greeting::AskApplication)
        .build()
        .unwrap();
    let mut pair = Pair::with_server_answers(config, server, false);
    pair.advance(Duration::from_secs(9));
    assert_eq!(timed_out(&pair), None);
    pair.advance(Duration::from_secs(1));
    assert_eq!(timed_out(&pair), Some(Waiting::Greeting));
    assert_eq!(pair.client.transport(), Transport::Closed);
}
