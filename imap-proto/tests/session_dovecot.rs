//! `session::Session` (feature `tls`) against Dovecot's IMAP server: STARTTLS on the
//! imap listener and implicit TLS on the imaps listener, both with certificate
//! checking; login (AUTHENTICATE PLAIN), a refused password, LIST with special-use
//! roles, SELECT / EXAMINE, SEARCH (typed and raw), FETCH as a stream (envelope,
//! structure, size, body byte for byte), a fetch stream dropped half-way, STORE, COPY,
//! MOVE, APPEND, EXPUNGE, and IDLE (renewed every second here) seeing a message
//! delivered meanwhile through Dovecot's LMTP (spoken by python3's smtplib), ended
//! with `done()` and by drop.
//!
//! Dovecot runs from a scratch configuration on 127.0.0.1 with free ports, bounded by
//! `timeout`, and is stopped at the end. A missing Dovecot (or python3) skips loudly,
//! or fails under `MAILWIRE_REQUIRE_PEERS=1`.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use mailwire_imap::session::{
    FetchOptions, MailboxChange, Session, SessionError, SpecialUse, Uids,
};
use mailwire_imap::types::{Capability, Flag, SearchKey};

fn skip_or_fail(reason: &str) {
    if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
        panic!("{reason} and MAILWIRE_REQUIRE_PEERS=1");
    }
    eprintln!("SKIPPED: {reason}");
}

/// The program's path, from the PATH or the sbin folders (dovecot lives in /usr/sbin).
fn find_program(program: &str) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    from_path
        .into_iter()
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
}

fn run(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let path = std::env::temp_dir().join(format!(
            "mailwire-imap-session-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Stops Dovecot (its own stop command, then SIGTERM to `timeout`, which passes it on,
/// then SIGKILL) however the test ends.
struct Dovecot {
    child: Child,
    config: String,
    doveadm: PathBuf,
    dir: TempDir,
    imap: u16,
    imaps: u16,
    lmtp: u16,
    cert_pem: String,
}

impl Dovecot {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("dovecot.log")).unwrap_or_default()
    }

    fn builder(&self) -> mailwire_imap::session::SessionBuilder {
        Session::builder("localhost")
            .address(([127, 0, 0, 1], self.imap).into())
            .ca_pem(self.cert_pem.as_bytes().to_vec())
            .response_timeout(Duration::from_secs(20))
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("timeout")
            .arg("10")
            .arg(&self.doveadm)
            .args(["-c", &self.config, "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_config(dir: &Path, imap: u16, imaps: u16, lmtp: u16) -> String {
    let d = dir.display();
    let config = format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         listen = 127.0.0.1\nprotocols = imap lmtp\nssl = yes\n\
         ssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\nssl_dh = </usr/share/dovecot/dh.pem\n\
         disable_plaintext_auth = yes\nauth_mechanisms = plain login\n\
         mail_location = maildir:~/Maildir\n\
         mailbox_idle_check_interval = 1 secs\n\
         postmaster_address = postmaster@example.test\n\
         default_internal_user = dovecot\ndefault_login_user = dovenull\n\
         passdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n}}\n\
         userdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n  \
         default_fields = uid=vmail gid=vmail home={d}/home/%n\n}}\n\
         namespace inbox {{\n  inbox = yes\n  separator = /\n  \
         mailbox Archive {{\n    auto = create\n    special_use = \\Archive\n  }}\n  \
         mailbox Sent {{\n    auto = subscribe\n    special_use = \\Sent\n  }}\n}}\n\
         service imap-login {{\n  inet_listener imap {{\n    port = {imap}\n  }}\n  \
         inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}\n}}\n\
         service lmtp {{\n  inet_listener lmtp {{\n    address = 127.0.0.1\n    port = {lmtp}\n  }}\n}}\n"
    );
    let path = dir.join("dovecot.conf");
    std::fs::write(&path, config).unwrap();
    path.display().to_string()
}

/// Messages as stored in the Maildir (LF line ends, as Dovecot stores mail).
const FIRST: &str = "From: Carol <carol@example.test>\nTo: alice@example.test\nSubject: first\nMessage-ID: <1@example.test>\n\nfirst body\n";
const SECOND: &str = "From: Dave <dave@example.test>\nTo: alice@example.test\nSubject: second\nMessage-ID: <2@example.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain; charset=utf-8\n\nsecond body\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAw==\n--b--\n";
const THIRD: &str = "From: Erin <erin@example.test>\nTo: alice@example.test\nSubject: third\nMessage-ID: <3@example.test>\n\nthird body\n";

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

/// Starts Dovecot with three messages for alice (the first one seen); `None` when it
/// cannot run here.
async fn start_dovecot() -> Option<Dovecot> {
    let Some(dovecot) = find_program("dovecot") else {
        skip_or_fail("peer dovecot missing");
        return None;
    };
    let Some(doveadm) = find_program("doveadm") else {
        skip_or_fail("peer doveadm missing");
        return None;
    };
    if !Path::new("/usr/share/dovecot/dh.pem").is_file() {
        skip_or_fail("dovecot's dh.pem missing");
        return None;
    }
    if !run("id", &["vmail"])
        && !run(
            "useradd",
            &[
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "vmail",
            ],
        )
    {
        skip_or_fail("no vmail user and useradd failed");
        return None;
    }
    let dir = TempDir::new();
    // Dovecot's unprivileged processes must traverse the folder.
    assert!(run("chmod", &["755", dir.0.to_str().unwrap()]));
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = certified.cert.pem();
    std::fs::write(dir.0.join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(dir.0.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    std::fs::write(dir.0.join("users"), "alice:{PLAIN}alicepw::::::\n").unwrap();
    let maildir = dir.0.join("home/alice/Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(maildir.join("cur/1700000001.M1P1.mailwire:2,S"), FIRST).unwrap();
    std::fs::write(maildir.join("new/1700000002.M2P1.mailwire"), SECOND).unwrap();
    std::fs::write(maildir.join("new/1700000003.M3P1.mailwire"), THIRD).unwrap();
    assert!(run(
        "chown",
        &["-R", "vmail:vmail", dir.0.join("home").to_str().unwrap()]
    ));
    let (imap, imaps, lmtp) = (free_port(), free_port(), free_port());
    let config = write_config(&dir.0, imap, imaps, lmtp);
    let child = Command::new("timeout")
        .arg("180")
        .arg(&dovecot)
        .args(["-F", "-c", &config])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let dovecot = Dovecot {
        child,
        config,
        doveadm,
        dir,
        imap,
        imaps,
        lmtp,
        cert_pem,
    };
    for port in [imap, imaps, lmtp] {
        let mut listening = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                listening = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            listening,
            "dovecot did not listen on {port}:\n{}",
            dovecot.log()
        );
    }
    Some(dovecot)
}

/// Delivers a message to alice through Dovecot's LMTP listener with python3's smtplib.
async fn deliver_by_lmtp(port: u16, subject: &str) {
    let script = format!(
        "import smtplib\n\
         s = smtplib.LMTP('127.0.0.1', {port})\n\
         s.sendmail('bob@example.test', ['alice@example.test'], \
         b'From: bob@example.test\\r\\nTo: alice@example.test\\r\\nSubject: {subject}\\r\\n\\r\\ndelivered by lmtp\\r\\n')\n\
         s.quit()\n"
    );
    let status = tokio::process::Command::new("timeout")
        .args(["20", "python3", "-c", &script])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "lmtp delivery failed");
}

fn subjects(messages: &[mailwire_imap::session::Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.subject().unwrap_or_default().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_against_dovecot() {
    if find_program("python3").is_none() {
        skip_or_fail("peer python3 missing");
        return;
    }
    let Some(dovecot) = start_dovecot().await else {
        return;
    };
    let result = tokio::time::timeout(Duration::from_secs(120), scenario(&dovecot)).await;
    assert!(result.is_ok(), "timed out; dovecot log:\n{}", dovecot.log());
}

async fn scenario(dovecot: &Dovecot) {
    // --- STARTTLS, capabilities, a refused password ---
    // IDLE renewed every second, so the IDLE below is renewed before the delivery.
    let mut session = dovecot
        .builder()
        .idle_refresh(Duration::from_secs(1))
        .connect()
        .await
        .unwrap();
    assert!(session.is_tls());
    assert!(!session.has_capability(&Capability::StartTls));
    let error = session.login("alice", "wrong").await.unwrap_err();
    let SessionError::AuthFailed(text) = error else {
        panic!("{error:?}");
    };
    assert!(!text.text.as_str().is_empty(), "the server's text is kept");
    session.login("alice", "alicepw").await.unwrap();
    assert!(session.has_capability(&Capability::Idle));
    assert!(session.has_capability(&Capability::Move));

    // --- LIST with special-use roles ---
    let mailboxes = session.list().await.unwrap();
    let names: Vec<&str> = mailboxes.iter().map(|m| m.name.as_str()).collect();
    for expected in ["INBOX", "Archive", "Sent"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let archive = session
        .find_role(SpecialUse::Archive)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(archive.name, "Archive");
    assert_eq!(archive.delimiter, Some('/'));
    assert!(archive.is_selectable());
    let sent = mailboxes.iter().find(|m| m.name == "Sent").unwrap();
    assert_eq!(sent.role, Some(SpecialUse::Sent));

    // --- SELECT ---
    let inbox = session.select("INBOX").await.unwrap();
    assert_eq!(inbox.exists, 3);
    assert!(inbox.uid_validity.is_some());
    assert_eq!(inbox.uid_next.map(NonZeroU32::get), Some(4));
    assert!(inbox.flags.contains(&Flag::Seen));
    assert!(!inbox.read_only);

    // --- SEARCH, typed and raw ---
    let unseen = session.search(SearchKey::Unseen).await.unwrap();
    assert_eq!(unseen.len(), 2, "{unseen:?}");
    let second = session
        .search_raw("UNSEEN SUBJECT \"second\"")
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert!(matches!(
        session.search_raw("UNSEEN\r\nA LOGOUT").await,
        Err(SessionError::InvalidSearch)
    ));

    // --- FETCH as a stream: envelope, structure, size, body byte for byte ---
    let options = FetchOptions::new().envelope().structure().size().body();
    let mut stream = session.fetch(Uids::All, options).await.unwrap();
    let mut messages = Vec::new();
    while let Some(message) = stream.next().await {
        messages.push(message.unwrap());
    }
    drop(stream);
    assert_eq!(subjects(&messages), ["first", "second", "third"]);
    let expected = [crlf(FIRST), crlf(SECOND), crlf(THIRD)];
    for (message, octets) in messages.iter().zip(&expected) {
        assert_eq!(message.body(), Some(octets.as_slice()));
        assert_eq!(message.size, Some(octets.len() as u64));
        assert!(message.uid.is_some());
        assert!(message.structure.is_some());
    }
    assert!(messages[0].is_seen());
    assert!(!messages[1].is_seen(), "BODY.PEEK[] leaves \\Seen alone");
    assert_eq!(
        messages[1].from_address().as_deref(),
        Some("dave@example.test")
    );
    let uids: Vec<NonZeroU32> = messages.iter().map(|m| m.uid.unwrap()).collect();

    // One part of the multipart message, by its part number.
    let part = FetchOptions::new().part(mailwire_imap::types::NonEmpty::new(
        NonZeroU32::new(2).unwrap(),
    ));
    let fetched = session
        .fetch(uids[1], part)
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        fetched[0].part(&[NonZeroU32::new(2).unwrap()]),
        Some(&b"AAECAw=="[..])
    );
    // The whole message as a MIME tree, on demand.
    {
        let tree = messages[1].mime().unwrap().unwrap();
        let [text, attachment] = tree.root().children() else {
            panic!("two parts expected");
        };
        assert_eq!(text.text(), "second body");
        assert_eq!(attachment.decoded().as_ref(), [0, 1, 2, 3]);
    }

    // A stream dropped after its first message: the session reads the rest away.
    {
        let mut stream = session
            .fetch(Uids::All, FetchOptions::new().body())
            .await
            .unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first.body(), Some(expected[0].as_slice()));
    }
    assert_eq!(session.search(SearchKey::All).await.unwrap(), uids);

    // --- STORE ---
    session.add_flags(&unseen, &[Flag::Seen]).await.unwrap();
    assert!(session.search(SearchKey::Unseen).await.unwrap().is_empty());
    session.remove_flags(uids[2], &[Flag::Seen]).await.unwrap();
    assert_eq!(
        session.search(SearchKey::Unseen).await.unwrap(),
        vec![uids[2]]
    );

    // --- APPEND, COPY, MOVE, EXPUNGE ---
    let appended = session
        .append(
            "INBOX",
            &[Flag::Flagged],
            &crlf("From: alice@example.test\nSubject: appended\n\nkept\n"),
        )
        .await
        .unwrap()
        .expect("UIDPLUS gives the new uid");
    assert_eq!(appended.get(), 4);
    session.noop().await.unwrap();
    assert_eq!(session.mailbox().unwrap().exists, 4);
    session.copy(uids[0], "Archive").await.unwrap();
    session.move_to(uids[1], "Archive").await.unwrap();
    assert_eq!(session.mailbox().unwrap().exists, 3);
    session.add_flags(appended, &[Flag::Deleted]).await.unwrap();
    let expunged = session.expunge().await.unwrap();
    assert_eq!(expunged.len(), 1);
    assert_eq!(session.mailbox().unwrap().exists, 2);
    let archived = session.examine("Archive").await.unwrap();
    assert_eq!(archived.exists, 2);
    assert!(archived.read_only);
    let archived = session
        .fetch(Uids::All, FetchOptions::new().envelope())
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(subjects(&archived), ["first", "second"]);
    let refused = session.select("No Such Mailbox").await.unwrap_err();
    assert!(
        matches!(
            refused,
            SessionError::No {
                command: "SELECT",
                ..
            }
        ),
        "{refused:?}"
    );

    // --- IDLE (renewed once at least) sees a message delivered through LMTP ---
    session.select("INBOX").await.unwrap();
    let lmtp = dovecot.lmtp;
    let delivery = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1600)).await;
        deliver_by_lmtp(lmtp, "by lmtp").await;
    });
    let mut idle = session.idle().await.unwrap();
    let mut exists = None;
    while let Some(change) = idle.next().await {
        if let MailboxChange::Exists(count) = change.unwrap() {
            exists = Some(count);
            break;
        }
    }
    idle.done().await.unwrap();
    delivery.await.unwrap();
    assert_eq!(exists, Some(3));
    let newest = session
        .fetch(Uids::All, FetchOptions::new().envelope())
        .await
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(subjects(&newest), ["first", "third", "by lmtp"]);

    // An Idle dropped without done(): the next command ends it first.
    {
        let _idle = session.idle().await.unwrap();
    }
    assert_eq!(session.search(SearchKey::All).await.unwrap().len(), 3);
    session.logout().await.unwrap();

    // --- implicit TLS on the imaps listener ---
    let mut session = Session::builder("localhost")
        .address(([127, 0, 0, 1], dovecot.imaps).into())
        .implicit_tls()
        .ca_pem(dovecot.cert_pem.as_bytes().to_vec())
        .connect()
        .await
        .unwrap();
    assert!(session.is_tls());
    session.login("alice", "alicepw").await.unwrap();
    assert_eq!(session.examine("INBOX").await.unwrap().exists, 3);
    session.logout().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused() {
    let Some(dovecot) = start_dovecot().await else {
        return;
    };
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let result = Session::builder("localhost")
        .address(([127, 0, 0, 1], dovecot.imaps).into())
        .implicit_tls()
        .ca_pem(other.cert.pem().into_bytes())
        .connect()
        .await;
    assert!(
        matches!(result, Err(SessionError::Tls(_))),
        "{:?}",
        result.map(|_| ())
    );
}
