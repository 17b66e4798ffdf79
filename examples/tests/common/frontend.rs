//! Test support for the front end (listeners, sessions, the whole server): an
//! in-process server on ephemeral ports in a temporary data folder, a raw SMTP client,
//! peers (python3, swaks, curl) run with time limits, Maildir readers.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mailwire_examples::config::Config;
use mailwire_examples::inbound::Role;
use mailwire_examples::queue::{OsSeededRandom, SystemClock};
use mailwire_examples::server::{self, Running};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// The users every test server has, with their passwords.
pub const ALICE: (&str, &str) = ("alice@mailwire.test", "alice's password");
pub const BOB: (&str, &str) = ("bob@mailwire.test", "bob-secret");

/// A folder under the system's temporary folder, removed on drop.
pub struct DataDir(PathBuf);

impl DataDir {
    pub fn new(name: &str) -> DataDir {
        let unique = format!(
            "mailwire-frontend-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap();
        DataDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// True when `program` is on PATH; otherwise panics under MAILWIRE_REQUIRE_PEERS=1, or
/// prints a loud skip.
pub fn peer(program: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer {program} missing and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED: peer {program} missing");
    }
    found
}

/// A configuration for tests: every listener and the delivery agent on port 0 of
/// 127.0.0.1, a resolver that is never asked unless a test says so.
pub fn test_config() -> Config {
    let any = |config: &mut mailwire_examples::config::ListenerConfig| {
        config.listen = "127.0.0.1:0".parse().unwrap();
    };
    let mut config = Config::default();
    any(&mut config.mx);
    any(&mut config.submission);
    any(&mut config.submissions);
    config.pop3.listen = "127.0.0.1:0".parse().unwrap();
    config.pop3s.listen = "127.0.0.1:0".parse().unwrap();
    config.imap.listen = "127.0.0.1:0".parse().unwrap();
    config.imaps.listen = "127.0.0.1:0".parse().unwrap();
    config.delivery.lmtp_listen = String::from("127.0.0.1:0");
    config.postmaster = ALICE.0.to_string();
    // Most tests compare delivered messages byte for byte with what was sent; signing
    // is tested on its own (tests/e2e_dkim.rs).
    config.dkim_selector = String::new();
    // Sender authentication would ask the system's resolver about the test domains and
    // add a field; it is tested on its own (tests/e2e_mx_auth.rs).
    config.mx_auth.enabled = false;
    config
}

/// A server running in this process.
pub struct TestServer {
    pub running: Option<Running>,
    pub dir: DataDir,
}

impl TestServer {
    /// Starts a server with `config` and the users [`ALICE`] and [`BOB`].
    pub async fn start(name: &str, config: Config) -> TestServer {
        let dir = DataDir::new(name);
        let users = server::user_store(&config, dir.path());
        users.set_password(ALICE.0, ALICE.1, &[1; 16]).unwrap();
        users.set_password(BOB.0, BOB.1, &[2; 16]).unwrap();
        let running = server::start(
            config,
            dir.path(),
            Arc::new(SystemClock),
            Arc::new(OsSeededRandom::default()),
        )
        .await
        .unwrap();
        TestServer {
            running: Some(running),
            dir,
        }
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    pub fn address(&self, role: Role) -> SocketAddr {
        self.running().address(role).unwrap()
    }

    pub fn imap_port(&self, role: mailwire_examples::access::AccessRole) -> u16 {
        self.running().access_address(role).unwrap().port()
    }

    pub fn port(&self, role: Role) -> u16 {
        self.address(role).port()
    }

    /// The PEM certificate the server made at its first start.
    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("tls/cert.pem")
    }

    pub fn maildir(&self, address: &str) -> PathBuf {
        self.running().maildir(address)
    }

    pub async fn stop(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}

/// The messages in `maildir/new`, oldest name first, once there are `count` of them
/// (waits up to 20 s).
pub async fn wait_for_messages(maildir: &Path, count: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let messages = read_messages(maildir);
        if messages.len() >= count {
            return messages;
        }
        if Instant::now() > deadline {
            panic!(
                "{} holds {} messages, expected {count}",
                maildir.display(),
                messages.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The messages in `maildir/new` now, by file name.
pub fn read_messages(maildir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    names.sort();
    names
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// Splits the trace fields the server and the delivery agent put on top
/// (Return-Path, Delivered-To, Received, unfolded) from the rest of the message.
pub fn split_trace(message: &[u8]) -> (Vec<String>, Vec<u8>) {
    let mut fields: Vec<String> = Vec::new();
    let mut rest = message;
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a header line")
            + 2;
        let line = &rest[..end];
        let text = String::from_utf8_lossy(&line[..end - 2]).into_owned();
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            let last = fields.last_mut().expect("a continuation after a field");
            last.push_str(&text);
        } else if ["return-path:", "delivered-to:", "received:"]
            .iter()
            .any(|name| text.to_ascii_lowercase().starts_with(name))
        {
            fields.push(text);
        } else {
            return (fields, rest.to_vec());
        }
        rest = &rest[end..];
    }
}

/// Runs `program` with `args` and `stdin`, at most 60 s; returns exit success, stdout,
/// stderr.
pub async fn run_peer(program: &str, args: &[&str], stdin: &[u8]) -> (bool, String, String) {
    let mut command = tokio::process::Command::new("timeout");
    command
        .arg("60")
        .arg(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    // The program may exit without reading its input.
    let _ = input.write_all(stdin).await;
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs a Python script (read from stdin by `python3 -`) with `args`.
pub async fn python(script: &str, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["-"];
    all.extend_from_slice(args);
    run_peer("python3", &all, script.as_bytes()).await
}

/// A hand-driven SMTP connection (no TLS).
pub struct Raw<S> {
    reader: BufReader<tokio::io::ReadHalf<S>>,
    writer: tokio::io::WriteHalf<S>,
}

/// A reply: its code and its lines' text (after the code and separator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl RawReply {
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

impl Raw<tokio::net::TcpStream> {
    pub async fn connect(address: SocketAddr) -> Self {
        Self::over(tokio::net::TcpStream::connect(address).await.unwrap())
    }

    /// Connects from `source` (another loopback address, for the policy checks).
    pub async fn connect_from(source: std::net::IpAddr, address: SocketAddr) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(source, 0)).unwrap();
        Self::over(socket.connect(address).await.unwrap())
    }
}

impl<S: AsyncRead + AsyncWrite> Raw<S> {
    pub fn over(stream: S) -> Self {
        let (reader, writer) = tokio::io::split(stream);
        Raw {
            reader: BufReader::new(reader),
            writer,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Sends `line` plus CRLF and reads the reply.
    pub async fn command(&mut self, line: &str) -> RawReply {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// Reads one reply (within 10 s); code 0 when the connection closed first.
    pub async fn reply(&mut self) -> RawReply {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read =
                tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
                    .await
                    .expect("a reply within 10 s")
                    .unwrap_or(0);
            if read == 0 {
                return RawReply { code: 0, lines };
            }
            let line = line.trim_end_matches(['\r', '\n']);
            let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            lines.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return RawReply { code, lines };
            }
        }
    }

    /// Reads whatever arrives until the connection closes (within 10 s).
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let mut all = Vec::new();
        let _ = tokio::time::timeout(
            Duration::from_secs(10),
            tokio::io::AsyncReadExt::read_to_end(&mut self.reader, &mut all),
        )
        .await;
        all
    }
}

/// A message with CRLF line ends that exercises transparency: leading dots, trailing
/// white space, 8-bit UTF-8, a long line, an empty last line.
pub fn tricky_body() -> String {
    let long = "x".repeat(900);
    format!(
        "first line\r\n.leading dot\r\n..two dots\r\ntrailing spaces   \r\n\
         caf\u{e9} \u{2014} na\u{ef}ve\r\n\ttab-started\r\n{long}\r\n\r\nlast\r\n"
    )
}
