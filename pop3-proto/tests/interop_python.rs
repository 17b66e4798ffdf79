//! Python's poplib (a client nobody here wrote) against our server machine: plain
//! USER/PASS, STLS, POP3_SSL, RETR, TOP, UIDL, DELE.
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

/// Logs in, checks STAT/LIST/UIDL/RETR/TOP against the expected messages, deletes
/// message 1, quits, reconnects and checks it is gone.
const SCRIPT: &str = r#"
import poplib, ssl, sys
mode, port, ca, m1, m2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
messages = [open(m1, 'rb').read(), open(m2, 'rb').read()]
def connect():
    if mode == 'ssl':
        context = ssl.create_default_context(cafile=ca)
        return poplib.POP3_SSL('127.0.0.1', port, context=context, timeout=20)
    box = poplib.POP3('127.0.0.1', port, timeout=20)
    if mode == 'stls':
        assert 'STLS' in box.capa(), box.capa()
        box.stls(ssl.create_default_context(cafile=ca))
    return box
box = connect()
assert box.getwelcome().startswith(b'+OK'), box.getwelcome()
capa = box.capa()
assert 'TOP' in capa and 'UIDL' in capa and 'USER' in capa, capa
box.user('bob')
box.pass_('pw')
count, size = box.stat()
assert (count, size) == (2, sum(map(len, messages))), (count, size)
_, listing, _ = box.list()
assert listing == [b'%d %d' % (i + 1, len(m)) for i, m in enumerate(messages)], listing
_, uids, _ = box.uidl()
assert uids == [b'1 uid-1', b'2 uid-2'], uids
assert box.uidl(2) == b'+OK 2 uid-2', box.uidl(2)
for number, expected in enumerate(messages, 1):
    _, lines, octets = box.retr(number)
    assert b'\r\n'.join(lines) + b'\r\n' == expected, lines
_, top, _ = box.top(1, 1)
assert top == messages[0].split(b'\r\n')[:5], top
try:
    box.retr(3)
    raise AssertionError('RETR 3 succeeded')
except poplib.error_proto as error:
    assert str(error).startswith("b'-ERR"), error
assert box.dele(1).startswith(b'+OK')
try:
    box.retr(1)
    raise AssertionError('RETR of a deleted message succeeded')
except poplib.error_proto:
    pass
assert box.quit().startswith(b'+OK')
box = connect()
box.user('bob')
box.pass_('pw')
assert box.stat()[0] == 1, box.stat()
_, uids, _ = box.uidl()
assert uids == [b'1 uid-2'], uids
box.quit()
print('poplib ok', mode)
"#;

async fn run_poplib(mode: &str) {
    if !peer_available("python3") {
        return;
    }
    let dir = net::TempDir::new(&format!("poplib-{mode}"));
    let tls = net::test_tls(&dir.0);
    let messages = vec![sample_message("first"), sample_message("second")];
    let store = Store::with_user("bob", "pw", messages.clone());
    let config = ServerConfig {
        cleartext_login: CleartextLogin::Allow,
        ..ServerConfig::default()
    };
    let (tls_acceptor, implicit) = match mode {
        "plain" => (None, false),
        "stls" => (Some(tls.acceptor.clone()), false),
        _ => (Some(tls.acceptor.clone()), true),
    };
    let port = net::spawn_server(config, store.clone(), tls_acceptor, implicit).await;
    let script = dir.0.join("check.py");
    std::fs::write(&script, SCRIPT).unwrap();
    let paths: Vec<String> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let path = dir.0.join(format!("m{i}.eml"));
            std::fs::write(&path, m).unwrap();
            path.display().to_string()
        })
        .collect();
    let (ok, stdout, stderr) = net::run_bounded(
        "python3",
        &[
            script.to_str().unwrap(),
            mode,
            &port.to_string(),
            tls.ca_path.to_str().unwrap(),
            &paths[0],
            &paths[1],
        ],
        60,
    )
    .await;
    assert!(ok, "poplib {mode} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("poplib ok {mode}")), "{stdout}");
    // The DELE of the first session was applied at its QUIT, in our store.
    let left = &store.lock().unwrap().users["bob"].1;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].octets, messages[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poplib_plain_user_pass() {
    run_poplib("plain").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poplib_stls() {
    run_poplib("stls").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poplib_pop3_ssl() {
    run_poplib("ssl").await;
}
