//! curl's POP3 client (pop3://, pop3s://, STARTTLS) against our server machine.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;
#[path = "common/net.rs"]
mod net;

use common::{peer_available, sample_message, Store};
use mailwire_pop3::server::{CleartextLogin, ServerConfig};

async fn curl(args: &[&str]) -> String {
    let mut all = vec!["-sS", "--max-time", "30", "--user", "bob:pw"];
    all.extend_from_slice(args);
    let (ok, stdout, stderr) = net::run_bounded("curl", &all, 45).await;
    assert!(ok, "curl {args:?} failed: {stderr}");
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_plain_list_retr_uidl_dele() {
    if !peer_available("curl") {
        return;
    }
    let messages = vec![sample_message("first"), sample_message("second")];
    let store = Store::with_user("bob", "pw", messages.clone());
    let config = ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        ..ServerConfig::default()
    };
    let port = net::spawn_server(config, store.clone(), None, false).await;
    let base = format!("pop3://127.0.0.1:{port}");
    // LIST (curl logs in with AUTH PLAIN after an empty challenge).
    let listing = curl(&[&format!("{base}/")]).await;
    let expected: String = messages
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}\r\n", i + 1, m.len()))
        .collect();
    assert_eq!(listing, expected);
    // RETR, with the SASL initial response this time; dot-stuffing undone by curl.
    let body = curl(&["--sasl-ir", &format!("{base}/2")]).await;
    assert_eq!(body.as_bytes(), &messages[1][..]);
    // A custom multi-line command.
    let uidl = curl(&["-X", "UIDL", &format!("{base}/")]).await;
    assert_eq!(uidl, "1 uid-1\r\n2 uid-2\r\n");
    // A custom single-line command: DELE, applied at curl's QUIT.
    curl(&["-X", "DELE 1", "-I", &format!("{base}/")]).await;
    let left = &store.lock().unwrap().users["bob"].1;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].unique_id, "uid-2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_pop3s_and_stls() {
    if !peer_available("curl") {
        return;
    }
    let dir = net::TempDir::new("curl-tls");
    let tls = net::test_tls(&dir.0);
    let ca = tls.ca_path.to_str().unwrap().to_string();
    let messages = vec![sample_message("secret")];
    let store = Store::with_user("bob", "pw", messages.clone());
    // Implicit TLS; cleartext policy stays the default (TLS required), TLS is active.
    let port = net::spawn_server(
        ServerConfig::default(),
        store.clone(),
        Some(tls.acceptor.clone()),
        true,
    )
    .await;
    let body = curl(&["--cacert", &ca, &format!("pop3s://localhost:{port}/1")]).await;
    assert_eq!(body.as_bytes(), &messages[0][..]);
    // STLS on a plain port, required by curl.
    let port = net::spawn_server(
        ServerConfig::default(),
        store,
        Some(tls.acceptor.clone()),
        false,
    )
    .await;
    let body = curl(&[
        "--ssl-reqd",
        "--cacert",
        &ca,
        &format!("pop3://localhost:{port}/1"),
    ])
    .await;
    assert_eq!(body.as_bytes(), &messages[0][..]);
    // Without TLS the default policy hides USER and SASL PLAIN: curl falls back to APOP
    // (the greeting has a timestamp), which never sends the password.
    let store = Store::with_user("bob", "pw", vec![sample_message("apop")]);
    let port = net::spawn_server(ServerConfig::default(), store, None, false).await;
    let url = format!("pop3://127.0.0.1:{port}/");
    let (ok, stdout, stderr) = net::run_bounded(
        "curl",
        &["-sS", "-v", "--max-time", "30", "--user", "bob:pw", &url],
        45,
    )
    .await;
    assert!(ok, "{stderr}");
    assert!(stderr.contains("> APOP bob "), "{stderr}");
    assert!(
        !stderr.contains("> USER") && !stderr.contains("> AUTH"),
        "{stderr}"
    );
    assert_eq!(stdout, format!("1 {}\r\n", sample_message("apop").len()));
    // PLAIN is not even advertised without TLS, so a client forcing it gives up.
    let (ok, _, stderr) = net::run_bounded(
        "curl",
        &[
            "-sS",
            "-v",
            "--max-time",
            "30",
            "--user",
            "bob:pw",
            "--login-options",
            "AUTH=PLAIN",
            &url,
        ],
        45,
    )
    .await;
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains("> CAPA") && !stderr.contains("< SASL"),
        "{stderr}"
    );
}
