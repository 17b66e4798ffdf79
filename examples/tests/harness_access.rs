//! The embeddable test server's mailbox-access listeners, with clients nobody here
//! wrote: mail taken over SMTP and delivered to a local user is read back byte for byte
//! with Python's imaplib and poplib, each over STARTTLS/STLS and over implicit TLS, all
//! trusting the test CA.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/frontend.rs"]
mod frontend;

use std::path::Path;
use std::time::Duration;

use frontend::{peer, python, Raw};
use mailwire_examples::harness::{AccessRole, Role, TestServer};

const ALICE: (&str, &str) = ("alice@mailwire.test", "alice's password");

/// One poplib session that retrieves and deletes every message. Arguments: `stls|ssl
/// PORT CAFILE USER PASSWORD OUTDIR`; writes message N to OUTDIR/N.eml.
const POP3: &str = r#"
import poplib, ssl, sys
mode, port, cafile, user, password, outdir = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)
if mode == "ssl":
    client = poplib.POP3_SSL("localhost", int(port), context=context, timeout=30)
else:
    client = poplib.POP3("127.0.0.1", int(port), timeout=30)
    client.stls(context=context)
client.user(user)
client.pass_(password)
count, size = client.stat()
print("stat", count)
for number in range(1, count + 1):
    response, lines, octets = client.retr(number)
    with open("%s/%d.eml" % (outdir, number), "wb") as out:
        out.write(b"\r\n".join(lines) + b"\r\n")
    client.dele(number)
print(client.quit().decode().split()[0])
"#;

/// One imaplib session. Arguments: `starttls|ssl PORT CAFILE USER PASSWORD OUTFILE`;
/// selects INBOX, searches, writes message 1 (BODY.PEEK[]) to OUTFILE, sets \Seen and
/// prints one line a step.
const IMAP: &str = r#"
import imaplib, ssl, sys
mode, port, cafile, user, password, outfile = sys.argv[1:7]
context = ssl.create_default_context(cafile=cafile)
if mode == "ssl":
    client = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=context, timeout=30)
else:
    client = imaplib.IMAP4("127.0.0.1", int(port), timeout=30)
    client.starttls(ssl_context=context)
print("login", client.login(user, password)[0])
typ, data = client.select("INBOX")
print("select", typ, data[0].decode())
typ, data = client.search(None, "ALL")
print("search", typ, data[0].decode())
typ, data = client.fetch("1", "(BODY.PEEK[])")
with open(outfile, "wb") as out:
    out.write(data[0][1])
typ, data = client.store("1", "+FLAGS", "(\\Seen)")
print("store", typ, data[0].decode())
client.logout()
print("logout")
"#;

/// Sends `body` to Alice through the MX port.
async fn send_to_alice(server: &TestServer, body: &str) {
    let mut smtp = Raw::connect(server.smtp_address()).await;
    assert_eq!(smtp.reply().await.code, 220);
    assert_eq!(smtp.command("EHLO client.test").await.code, 250);
    assert_eq!(smtp.command("MAIL FROM:<x@example.org>").await.code, 250);
    assert_eq!(
        smtp.command(&format!("RCPT TO:<{}>", ALICE.0)).await.code,
        250
    );
    assert_eq!(smtp.command("DATA").await.code, 354);
    smtp.send(body.replace("\r\n.", "\r\n..").as_bytes()).await;
    assert_eq!(smtp.command(".").await.code, 250);
    assert_eq!(smtp.command("QUIT").await.code, 221);
}

fn maildir_files(maildir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for folder in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(maildir.join(folder)) {
            files.extend(entries.map(|entry| entry.unwrap().path()));
        }
    }
    files
}

#[tokio::test]
async fn poplib_reads_back_what_was_delivered_over_stls_and_implicit_tls() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::builder()
        .user(ALICE.0, ALICE.1)
        .start()
        .await
        .unwrap();
    assert!(server.access_address(AccessRole::Pop3).is_some());
    assert!(server.access_address(AccessRole::Pop3s).is_some());
    assert_ne!(server.pop3_address(), server.pop3s_address());
    assert_ne!(
        server.pop3_address().port(),
        2110,
        "not the configured default"
    );
    let maildir = server.maildir(ALICE.0);
    for (mode, address, body) in [
        (
            "stls",
            server.pop3_address(),
            "Subject: one\r\n\r\n.leading dot\r\nfirst\r\n",
        ),
        (
            "ssl",
            server.pop3s_address(),
            "Subject: two\r\n\r\nsecond\r\n",
        ),
    ] {
        send_to_alice(&server, body).await;
        let delivered = frontend::wait_for_messages(&maildir, 1).await;
        assert_eq!(delivered.len(), 1);
        let out = server.data_dir().join(format!("pop3-{mode}"));
        std::fs::create_dir_all(&out).unwrap();
        let (ok, stdout, stderr) = python(
            POP3,
            &[
                mode,
                &address.port().to_string(),
                server.ca_file().to_str().unwrap(),
                ALICE.0,
                ALICE.1,
                out.to_str().unwrap(),
            ],
        )
        .await;
        assert!(ok, "stdout: {stdout}\nstderr: {stderr}");
        assert_eq!(stdout, "stat 1\n+OK\n");
        // Byte for byte what the delivery agent stored, which ends with what was sent.
        let retrieved = std::fs::read(out.join("1.eml")).unwrap();
        assert_eq!(retrieved, delivered[0]);
        assert!(retrieved.ends_with(body.as_bytes()));
        // Deleted at QUIT.
        assert!(
            maildir_files(&maildir).is_empty(),
            "{:?}",
            maildir_files(&maildir)
        );
    }
    let received = server
        .wait_for_messages(2, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(received.iter().all(|m| m.role == Role::Mx));
    server.shutdown().await;
}

#[tokio::test]
async fn imaplib_reads_back_what_was_delivered_over_starttls_and_implicit_tls() {
    if !peer("python3") {
        return;
    }
    let server = TestServer::builder()
        .user(ALICE.0, ALICE.1)
        .start()
        .await
        .unwrap();
    assert!(server.access_address(AccessRole::Imap).is_some());
    assert!(server.access_address(AccessRole::Imaps).is_some());
    assert_ne!(server.imap_address(), server.imaps_address());
    assert_ne!(
        server.imap_address().port(),
        2143,
        "not the configured default"
    );
    let body = "Subject: for imap\r\n\r\n.leading dot\r\nline\r\n";
    send_to_alice(&server, body).await;
    let delivered = frontend::wait_for_messages(&server.maildir(ALICE.0), 1).await;
    for (mode, address) in [
        ("starttls", server.imap_address()),
        ("ssl", server.imaps_address()),
    ] {
        let out = server.data_dir().join(format!("imap-{mode}.eml"));
        let (ok, stdout, stderr) = python(
            IMAP,
            &[
                mode,
                &address.port().to_string(),
                server.ca_file().to_str().unwrap(),
                ALICE.0,
                ALICE.1,
                out.to_str().unwrap(),
            ],
        )
        .await;
        assert!(ok, "stdout: {stdout}\nstderr: {stderr}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines[0], "login OK", "{stdout}");
        assert_eq!(lines[1], "select OK 1", "{stdout}");
        assert_eq!(lines[2], "search OK 1", "{stdout}");
        assert!(
            lines[3].starts_with("store OK 1 (") && lines[3].contains("FLAGS (\\Seen"),
            "{stdout}"
        );
        assert_eq!(lines[4], "logout", "{stdout}");
        // Byte for byte what the delivery agent stored, which ends with what was sent.
        let fetched = std::fs::read(&out).unwrap();
        assert_eq!(fetched, delivered[0]);
        assert!(fetched.ends_with(body.as_bytes()));
    }
    server.shutdown().await;
}
