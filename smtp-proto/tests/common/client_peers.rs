//! Real servers for the client interop tests: presence checks (loud skip, or failure
//! under `MAILWIRE_REQUIRE_PEERS=1`), free ports, scratch folders, and child processes
//! that are killed when dropped.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// True when `check` succeeds; otherwise skips loudly, or panics when
/// `MAILWIRE_REQUIRE_PEERS=1`.
pub fn peer_present(name: &str, check: &mut Command) -> bool {
    let present = check
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !present {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer {name} missing and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED: peer {name} missing");
    }
    present
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on the port.
pub fn wait_for_port(port: u16, within: Duration) {
    let start = Instant::now();
    while start.elapsed() < within {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on 127.0.0.1:{port} after {within:?}");
}

/// A scratch folder, removed when dropped.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "mailwire-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        ScratchDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Lets any user write (smtp-sink drops its privileges before dumping).
    pub fn open_to_all(&self) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o1777)).unwrap();
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process stopped (and reaped) when dropped.
///
/// Peers run under `timeout N`, which passes SIGTERM on to the server it runs but
/// cannot pass SIGKILL: stop it with SIGTERM first; if that fails, SIGKILL the whole
/// process group `timeout` leads, so that the server does not outlive the test.
pub struct Peer(pub Child);

impl Drop for Peer {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(Some(_))) {
            return;
        }
        // Not reaped yet, so the id is still this process's.
        let pid = self.0.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", &pid])
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// True when running as root (smtp-sink then needs `-u nobody`).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Waits until `dir` holds `count` files whose name passes `filter`, returning them
/// sorted.
pub fn wait_for_files(
    dir: &Path,
    count: usize,
    filter: impl Fn(&str) -> bool,
    within: Duration,
) -> Vec<PathBuf> {
    let start = Instant::now();
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&filter))
            .collect();
        if files.len() >= count || start.elapsed() > within {
            files.sort();
            return files;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
