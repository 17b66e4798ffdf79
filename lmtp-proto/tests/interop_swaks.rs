//! swaks (`--protocol LMTP`, a client nobody here wrote) against our LMTP server: an
//! in-test delivery agent on our server machine and the core driver that delivers to one
//! recipient and refuses the other after the data. Over TCP (with and without
//! `--pipeline`) and over a unix socket (`--socket`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{local_part, peer_available, serve, Agent, Delivered, Io, TempDir};
use mailwire_lmtp::server::{Delivery, LmtpServerConfig};
use mailwire_lmtp::tokio::{accept_tcp, accept_unix, Driver};
use mailwire_lmtp::types::ForwardPath;
use tokio::net::{TcpListener, UnixListener};

/// `full*` gets `552 5.2.2` after the data, anyone else is delivered.
fn decide(to: &ForwardPath<'_>) -> Option<Delivery> {
    if local_part(to).starts_with("full") {
        Some(Delivery::MailboxFull { permanent: true })
    } else {
        Some(Delivery::Delivered)
    }
}

fn agent() -> (Agent, Arc<Mutex<Vec<Delivered>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let agent = Agent {
        decide: Box::new(decide),
        // Answer the last recipient first: the replies must still come in RCPT order.
        reversed: true,
        die_after: None,
        log: log.clone(),
    };
    (agent, log)
}

fn config() -> LmtpServerConfig {
    LmtpServerConfig::builder("foo.test").build().unwrap()
}

/// Runs swaks under `timeout`, stopped if the test ends first.
async fn swaks(args: &[&str]) -> (bool, String) {
    let output = common::run_bounded("swaks", args, 60).await;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// The server's lines in swaks's transcript (`<-` for success, `<**` for failures).
fn server_lines(transcript: &str) -> Vec<String> {
    transcript
        .lines()
        .filter(|l| l.starts_with("<-") || l.starts_with("<**") || l.starts_with("<~"))
        .map(|l| l.trim_start_matches(['<', '-', '*', '~', ' ']).to_string())
        .collect()
}

fn check(transcript: &str, log: &Arc<Mutex<Vec<Delivered>>>) {
    let lines = server_lines(transcript);
    assert!(lines.iter().any(|l| l == "250-PIPELINING"), "{transcript}");
    // The two replies after the data, in RCPT order, each with its recipient.
    let data_at = lines
        .iter()
        .position(|l| l.starts_with("354 "))
        .unwrap_or_else(|| panic!("no 354 in:\n{transcript}"));
    assert_eq!(
        lines[data_at + 1..data_at + 3],
        [
            "250 2.0.0 <a@foo.test> delivered",
            "552 5.2.2 <full-b@foo.test> mailbox full"
        ],
        "{transcript}"
    );
    // The second reply is shown as a failure.
    assert!(
        transcript.contains("<** 552 5.2.2 <full-b@foo.test> mailbox full"),
        "{transcript}"
    );
    assert!(
        lines.last().unwrap().starts_with("221 2.0.0"),
        "{transcript}"
    );
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1, "{transcript}");
    let delivered = &log[0];
    assert_eq!(delivered.from, "<chris@bar.test>");
    assert_eq!(delivered.recipients, ["<a@foo.test>", "<full-b@foo.test>"]);
    assert_eq!(
        delivered.outcomes,
        [
            Delivery::Delivered,
            Delivery::MailboxFull { permanent: true }
        ]
    );
    let content = String::from_utf8(delivered.content.clone()).unwrap();
    assert!(content.contains("Subject: swaks lmtp\r\n"), "{content}");
    // swaks dot-stuffed the line, and appends two empty lines to the body.
    assert!(
        content.ends_with("\r\n\r\nswaks body\r\n.leading dot\r\nlast\r\n\r\n\r\n"),
        "{content:?}"
    );
}

const SWAKS_MESSAGE_ARGS: [&str; 10] = [
    "--protocol",
    "LMTP",
    "--helo",
    "bar.test",
    "--from",
    "chris@bar.test",
    "--to",
    "a@foo.test,full-b@foo.test",
    "--header",
    "Subject: swaks lmtp",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_lmtp_over_tcp_sees_both_replies() {
    if !peer_available("swaks") {
        return;
    }
    for pipeline in [false, true] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (agent, log) = agent();
        let server = tokio::spawn(async move {
            let (driver, _) = accept_tcp(&listener, &config()).await.unwrap();
            let (stream, machine) = driver.into_parts();
            serve(
                Driver::new(Box::new(stream) as Box<dyn Io>, machine),
                &agent,
                None,
            )
            .await;
        });
        let server_address = format!("127.0.0.1:{port}");
        let mut args = vec!["--server", server_address.as_str()];
        args.extend(SWAKS_MESSAGE_ARGS);
        args.extend(["--body", "swaks body\n.leading dot\nlast"]);
        if pipeline {
            args.push("--pipeline");
        }
        let (_, transcript) = swaks(&args).await;
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
        check(&transcript, &log);
        if pipeline {
            // MAIL, both RCPTs and DATA in one go: swaks shows them before any reply.
            let sent = transcript
                .lines()
                .skip_while(|l| !l.contains("MAIL FROM:"))
                .take(4)
                .collect::<Vec<_>>();
            assert!(sent.iter().all(|l| l.starts_with(" ->")), "{transcript}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_lmtp_over_a_unix_socket() {
    if !peer_available("swaks") {
        return;
    }
    let dir = TempDir::new("swaks-unix");
    let path = dir.0.join("lmtp.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let (agent, log) = agent();
    let server = tokio::spawn(async move {
        let driver = accept_unix(&listener, &config()).await.unwrap();
        let (stream, machine) = driver.into_parts();
        serve(
            Driver::new(Box::new(stream) as Box<dyn Io>, machine),
            &agent,
            None,
        )
        .await;
    });
    let socket = path.to_str().unwrap().to_string();
    let mut args = vec!["--socket", socket.as_str()];
    args.extend(SWAKS_MESSAGE_ARGS);
    args.extend(["--body", "swaks body\n.leading dot\nlast"]);
    let (_, transcript) = swaks(&args).await;
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap();
    check(&transcript, &log);
}
