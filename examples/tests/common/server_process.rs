//! The real `mailserver` binary as a child process, for the back end's end-to-end
//! tests (kill -9, load, idle memory): a data folder with a configuration made from the
//! library's defaults, users added with `mailserver user add`, and the process's memory
//! read from /proc.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailwire_examples::config::{Config, ListenerConfig};

pub const MAILSERVER: &str = env!("CARGO_BIN_EXE_mailserver");

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A configuration for tests: MX on `mx_port`, submission listeners off, the delivery
/// agent on an ephemeral loopback port, local domain `local.test`, no demo user, DNS
/// through `dns` (a test server; never the system's).
pub fn config(mx_port: u16, dns: SocketAddr) -> Config {
    let mut config = Config {
        hostname: String::from("mx.local.test"),
        local_domains: vec![String::from("local.test")],
        demo_user: String::new(),
        postmaster: String::from("postmaster@local.test"),
        mx: ListenerConfig::on(SocketAddr::from(([127, 0, 0, 1], mx_port))),
        ..Config::default()
    };
    config.submission.enabled = false;
    config.submissions.enabled = false;
    config.pop3.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.pop3s.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.imap.enabled = false;
    config.imaps.enabled = false;
    config.delivery.lmtp_listen = String::from("127.0.0.1:0");
    config.relay.dns = mailwire_examples::dns::DnsConfig::Nameserver(dns);
    config.relay.dns_timeout_secs = 2;
    config.relay.connect_timeout_secs = 5;
    config.relay.helo_name = String::from("mx.local.test");
    // Delivered copies are compared with what was sent; see tests/e2e_mx_auth.rs.
    config.mx_auth.enabled = false;
    config
}

/// Writes `config` as the data folder's configuration file.
pub fn write_config(data_dir: &Path, config: &Config) {
    std::fs::create_dir_all(data_dir).unwrap();
    std::fs::write(data_dir.join("mailserver.toml"), config.render().unwrap()).unwrap();
}

/// `mailserver user add ADDRESS` with the password on standard input.
pub fn add_user(data_dir: &Path, address: &str, password: &str) {
    let mut child = Command::new(MAILSERVER)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["user", "add", address])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "user add failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `mailserver queue ACTION` (list, flush); its standard output.
pub fn queue_command(data_dir: &Path, action: &str) -> String {
    let output = Command::new(MAILSERVER)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["queue", action])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "queue {action} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running `mailserver`; killed (SIGKILL) when dropped.
pub struct ServerProcess {
    child: Child,
    pub data_dir: PathBuf,
    pub mx: SocketAddr,
}

impl ServerProcess {
    /// Starts the binary on `data_dir` and waits until the MX port answers.
    pub fn start(data_dir: &Path, mx: SocketAddr) -> ServerProcess {
        let log = std::fs::File::create(data_dir.join("server.log")).unwrap();
        let child = Command::new(MAILSERVER)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("run")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = ServerProcess {
            child,
            data_dir: data_dir.to_path_buf(),
            mx,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(mx).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("mailserver exited with {status}: {}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "mailserver did not listen: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default()
    }

    /// SIGKILL: no destructor, no flush.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// A field of /proc/PID/status in KiB (VmRSS, VmHWM).
    pub fn status_kib(&self, field: &str) -> u64 {
        proc_status_kib(self.pid(), field)
    }

    /// The Maildir `new/` folder of `address`.
    pub fn maildir_new(&self, address: &str) -> PathBuf {
        self.data_dir
            .join("mail")
            .join(address.to_lowercase())
            .join("Maildir/new")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of /proc/PID/status in KiB.
pub fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The files in a folder (0 when it does not exist).
pub fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// Sends one message with Python's smtplib to `mx`; returns smtplib's error text or "".
pub fn python_send(mx: SocketAddr, from: &str, to: &[&str], body: &str) -> String {
    let script = r#"
import smtplib, sys
host, port, sender, rcpts, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(","), sys.stdin.read()
with smtplib.SMTP(host, port, timeout=30) as s:
    refused = s.sendmail(sender, rcpts, body.encode())
    print("REFUSED", refused if refused else "")
"#;
    let mut child = Command::new("timeout")
        .args(["60", "python3", "-c", script])
        .arg(mx.ip().to_string())
        .arg(mx.port().to_string())
        .arg(from)
        .arg(to.join(","))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "smtplib failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Sends one message with Python's smtplib through a submission port: STARTTLS (the
/// server's self-signed certificate is not checked), AUTH, then the message.
pub fn python_submit(
    address: SocketAddr,
    user: &str,
    password: &str,
    to: &[&str],
    body: &str,
) -> String {
    let script = r#"
import smtplib, ssl, sys
host, port, user, password, rcpts, body = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5].split(","), sys.stdin.read()
with smtplib.SMTP(host, port, timeout=30) as s:
    s.starttls(context=ssl._create_unverified_context())
    s.login(user, password)
    refused = s.sendmail(user, rcpts, body.encode())
    print("REFUSED", refused if refused else "")
"#;
    let mut child = Command::new("timeout")
        .args(["60", "python3", "-c", script])
        .arg(address.ip().to_string())
        .arg(address.port().to_string())
        .arg(user)
        .arg(password)
        .arg(to.join(","))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "smtplib failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}
