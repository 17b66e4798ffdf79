//! Our client (the client machine through mailwire-core's tokio driver, as
//! `mailwire_imap::tokio::ImapClient`, with tokio-rustls) against Dovecot's IMAP server:
//! STARTTLS with certificate checking, LOGIN, LIST (with SPECIAL-USE), SELECT with
//! CONDSTORE, APPEND with non-synchronizing and synchronizing literals, FETCH BODY[]
//! back byte for byte, ENVELOPE, BODYSTRUCTURE, BINARY, FLAGS, STORE, SEARCH, UID FETCH,
//! COPY, MOVE, EXPUNGE, IDLE seeing a message another connection appends, LOGOUT; then
//! implicit TLS with AUTHENTICATE PLAIN, ENABLE and ESEARCH. Every response Dovecot sends
//! must decode: any protocol error fails the test.
//!
//! The imap-client example is run against the same Dovecot (STARTTLS and implicit TLS:
//! list, append, fetch byte for byte, headers, search, select, idle).
//!
//! Dovecot runs from a scratch configuration on 127.0.0.1 with free ports, bounded by
//! `timeout`, and is stopped at the end. Missing Dovecot skips loudly (fails with
//! MAILWIRE_REQUIRE_PEERS=1).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use mailwire_imap::client::{BodyItem, ClientConfig, ClientEvent};
use mailwire_imap::codec::NonSyncLiterals;
use mailwire_imap::tokio::{ImapClient, ImapError};
use mailwire_imap::types::{
    Capability, Code, CommandBody, Data, ESearchData, FetchAttribute, FetchAttributes, Flag,
    FlagFetch, ListAttribute, ListReturnOption, Mailbox, MailboxName, MessageDataItem, NonEmpty,
    SearchKey, SearchReturnOption, Section, SeqNumber, SequenceSet, State, StoreAction,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls;

fn require_peers() -> bool {
    std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1")
}

fn skip_or_fail(reason: &str) {
    if require_peers() {
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
        .map(|status| status.success())
        .unwrap_or(false)
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
            "mailwire-imap-client-{}-{}",
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

/// Stops Dovecot (its own stop command, then the process) however the test ends.
struct Dovecot {
    child: Child,
    config: String,
    doveadm: PathBuf,
    log: PathBuf,
}

impl Dovecot {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_config(dir: &Path, imap: u16, imaps: u16) -> String {
    let d = dir.display();
    let config = format!(
        "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n\
         listen = 127.0.0.1\nprotocols = imap\nssl = yes\n\
         ssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\nssl_dh = </usr/share/dovecot/dh.pem\n\
         disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
         mail_location = maildir:~/Maildir\n\
         mailbox_idle_check_interval = 1 secs\n\
         default_internal_user = dovecot\ndefault_login_user = dovenull\n\
         passdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n}}\n\
         userdb {{\n  driver = passwd-file\n  args = username_format=%n {d}/users\n  \
         default_fields = uid=vmail gid=vmail home={d}/home/%n\n}}\n\
         namespace inbox {{\n  inbox = yes\n  separator = /\n  \
         mailbox Archive {{\n    auto = create\n    special_use = \\Archive\n  }}\n  \
         mailbox Sent {{\n    auto = subscribe\n    special_use = \\Sent\n  }}\n}}\n\
         service imap-login {{\n  inet_listener imap {{\n    port = {imap}\n  }}\n  \
         inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}\n}}\n"
    );
    let path = dir.join("dovecot.conf");
    std::fs::write(&path, config).unwrap();
    path.display().to_string()
}

/// Certificate for Dovecot (rcgen's self-signed certificate is CA:FALSE, as rustls
/// wants of a server certificate) and a connector that trusts exactly it.
struct Tls {
    connector: tokio_rustls::TlsConnector,
}

fn make_tls(dir: &Path) -> Tls {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    Tls {
        connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
    }
}

fn start_dovecot(dir: &Path) -> Option<(Dovecot, u16, u16)> {
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
    // Dovecot's unprivileged processes must traverse the folder.
    assert!(run("chmod", &["755", dir.to_str().unwrap()]));
    std::fs::write(
        dir.join("users"),
        "alice:{PLAIN}alicepw::::::\nbob:{PLAIN}bobpw::::::\n",
    )
    .unwrap();
    for user in ["alice", "bob"] {
        std::fs::create_dir_all(dir.join("home").join(user)).unwrap();
    }
    assert!(run(
        "chown",
        &["-R", "vmail:vmail", dir.join("home").to_str().unwrap()]
    ));
    let (imap, imaps) = (free_port(), free_port());
    let config = write_config(dir, imap, imaps);
    let child = Command::new("timeout")
        .arg("300")
        .arg(&dovecot)
        .args(["-F", "-c", &config])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Some((
        Dovecot {
            child,
            config,
            doveadm,
            log: dir.join("dovecot.log"),
        },
        imap,
        imaps,
    ))
}

async fn connect(port: u16) -> tokio::net::TcpStream {
    let address = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&address).await {
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("dovecot did not listen on {port}");
}

/// No protocol error was reported: every response Dovecot sent decoded.
fn assert_clean<S: AsyncRead + AsyncWrite + Unpin>(client: &mut ImapClient<S>) {
    for event in client.take_unsolicited() {
        assert!(
            !matches!(event, ClientEvent::ProtocolError { .. }),
            "{event:?}"
        );
    }
}

const MESSAGE: &str = "From: Carol <carol@example.test>\r\n\
To: Alice <alice@example.test>\r\n\
Subject: interop over IMAP\r\n\
Message-ID: <imap-1@example.test>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
first part, line one\r\n\
line two\r\n\
--b1\r\n\
Content-Type: application/octet-stream\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAECAwQFBgcICQ==\r\n\
--b1--\r\n";

fn second_message(subject: &str) -> String {
    format!(
        "From: bob@example.test\r\nTo: alice@example.test\r\nSubject: {subject}\r\n\r\nplain body\r\n"
    )
}

fn seq(value: u32) -> SequenceSet {
    SequenceSet::single(NonZeroU32::new(value).unwrap())
}

fn all() -> SequenceSet {
    SequenceSet::all()
}

fn attributes(list: Vec<FetchAttribute<'static>>) -> FetchAttributes<'static> {
    FetchAttributes::Attributes(NonEmpty::try_from(list).unwrap())
}

fn numbers(list: &[NonZeroU32]) -> Vec<u32> {
    list.iter().map(|number| number.get()).collect()
}

fn name(text: &str) -> Mailbox<'static> {
    Mailbox::try_from(text.to_owned()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_against_dovecot_imap() {
    let dir = TempDir::new();
    let tls = make_tls(&dir.0);
    let Some((dovecot, imap_port, imaps_port)) = start_dovecot(&dir.0) else {
        return;
    };
    let result = tokio::time::timeout(Duration::from_secs(120), async {
        session(imap_port, imaps_port, &tls).await;
        example(imap_port, imaps_port, &dir.0).await;
    })
    .await;
    match result {
        Ok(()) => {}
        Err(_) => panic!("timed out; dovecot log:\n{}", dovecot.log()),
    }
}

async fn session(imap_port: u16, imaps_port: u16, tls: &Tls) {
    // --- STARTTLS and LOGIN ---
    let tcp = connect(imap_port).await;
    let (client, greeting) = ImapClient::connect(tcp, ClientConfig::default())
        .await
        .unwrap();
    assert!(greeting.text.as_str().contains("ready"), "{greeting:?}");
    assert!(client.machine().has_capability(&Capability::StartTls));
    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let connector = tls.connector.clone();
    let mut client = client
        .starttls(|plain| connector.connect(server_name, plain))
        .await
        .unwrap();
    assert!(client.machine().is_tls());
    assert!(!client.machine().has_capability(&Capability::StartTls));
    client.login("alice", "alicepw").await.unwrap();
    assert!(client.machine().has_capability(&Capability::Idle));
    assert!(client.machine().has_capability(&Capability::LiteralPlus));

    // --- LIST, with SPECIAL-USE ---
    let mailboxes = client.list("", "*").await.unwrap();
    let names: Vec<String> = mailboxes
        .iter()
        .map(|list| list.mailbox.name().to_string_lossy().into_owned())
        .collect();
    for expected in ["INBOX", "Archive", "Sent"] {
        assert!(names.iter().any(|n| n == expected), "{names:?}");
    }
    let special = client
        .run(CommandBody::List {
            selection: Vec::new(),
            reference: name(""),
            patterns: NonEmpty::new(MailboxName::try_from("*").unwrap()),
            return_options: vec![ListReturnOption::SpecialUse],
        })
        .await
        .unwrap();
    let archive = special
        .data
        .iter()
        .find_map(|data| match data {
            Data::List(list) if list.mailbox.name().to_string_lossy() == "Archive" => {
                Some(list.attributes.clone())
            }
            _ => None,
        })
        .unwrap();
    assert!(archive.contains(&ListAttribute::Archive), "{archive:?}");

    // --- SELECT with CONDSTORE ---
    let id = client
        .driver_mut()
        .machine_mut()
        .select_condstore("INBOX")
        .unwrap();
    let answer = client.wait(id, None).await.unwrap();
    let inbox = answer.mailbox.unwrap();
    assert_eq!(inbox.exists, 0);
    assert!(inbox.uid_validity.is_some());
    assert!(inbox.highest_mod_seq.is_some(), "{inbox:?}");
    assert!(!inbox.read_only);

    // --- APPEND: LITERAL+ (non-synchronizing) here ---
    let appended = client
        .append("INBOX", vec![Flag::Flagged], MESSAGE.as_bytes())
        .await
        .unwrap();
    assert!(
        matches!(appended.code, Some(Code::AppendUid { .. })),
        "{appended:?}"
    );
    // The mailbox learnt of it (EXISTS after APPEND, or at the next NOOP).
    client.noop().await.unwrap();
    assert_eq!(client.machine().mailbox().unwrap().exists, 1);

    // --- FETCH BODY[] byte for byte, streamed ---
    let fetched = client
        .fetch(
            false,
            seq(1),
            attributes(vec![FetchAttribute::BodySection {
                peek: true,
                section: None,
                partial: None,
            }]),
        )
        .await
        .unwrap();
    assert_eq!(fetched.len(), 1);
    assert_eq!(
        fetched[0].bodies,
        [(
            BodyItem::Section {
                section: None,
                origin: None
            },
            MESSAGE.as_bytes().to_vec()
        )]
    );

    // --- FETCH ENVELOPE, BODYSTRUCTURE, FLAGS, BINARY, a header section ---
    let fetched = client
        .fetch(
            false,
            seq(1),
            attributes(vec![
                FetchAttribute::Envelope,
                FetchAttribute::BodyStructure,
                FetchAttribute::Flags,
                FetchAttribute::Binary {
                    peek: true,
                    part: vec![NonZeroU32::new(2).unwrap()],
                    partial: None,
                },
                FetchAttribute::BodySection {
                    peek: true,
                    section: Some(Section::Text(None)),
                    partial: None,
                },
            ]),
        )
        .await
        .unwrap();
    let message = &fetched[0];
    let envelope = message
        .items
        .iter()
        .find_map(|item| match item {
            MessageDataItem::Envelope(envelope) => Some(envelope.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        envelope.subject.as_ref().unwrap().as_bytes(),
        b"interop over IMAP"
    );
    assert!(message
        .items
        .iter()
        .any(|item| matches!(item, MessageDataItem::BodyStructure(_))));
    assert!(message.items.iter().any(|item| matches!(
        item,
        MessageDataItem::Flags(flags) if flags.contains(&FlagFetch::Flag(Flag::Flagged))
            && !flags.contains(&FlagFetch::Flag(Flag::Seen))
    )));
    let binary = message
        .bodies
        .iter()
        .find(|(item, _)| matches!(item, BodyItem::Binary { .. }))
        .map(|(_, content)| content.clone())
        .or_else(|| {
            message.items.iter().find_map(|item| match item {
                MessageDataItem::Binary {
                    data: Some(data), ..
                } => Some(data.to_vec()),
                _ => None,
            })
        })
        .unwrap();
    assert_eq!(
        binary,
        (0u8..10).collect::<Vec<u8>>(),
        "decoded by the server"
    );
    let text_start = MESSAGE.find("\r\n\r\n").unwrap() + 4;
    assert!(message.bodies.iter().any(|(item, content)| matches!(
        item,
        BodyItem::Section {
            section: Some(Section::Text(None)),
            ..
        }
    ) && content
        == &MESSAGE.as_bytes()[text_start..]));

    // --- APPEND with a synchronizing literal (waits for Dovecot's "+") ---
    let tcp = connect(imap_port).await;
    let strict = ClientConfig {
        non_sync_literals: NonSyncLiterals::Forbidden,
        ..ClientConfig::default()
    };
    let (mut other, _) = ImapClient::connect(tcp, strict).await.unwrap();
    other.login("alice", "alicepw").await.unwrap();
    let second = second_message("second");
    other
        .append("INBOX", Vec::new(), second.as_bytes())
        .await
        .unwrap();
    assert_clean(&mut other);
    other.logout().await.unwrap();

    // --- STORE \Seen, SEARCH UNSEEN / ALL, UID FETCH ---
    let updates = client.noop().await.unwrap();
    assert!(updates.contains(&Data::Exists(2)), "{updates:?}");
    let stored = client
        .run(CommandBody::Store {
            uid: false,
            sequence_set: seq(1),
            modifiers: Vec::new(),
            action: StoreAction::Add,
            silent: false,
            flags: vec![Flag::Seen],
        })
        .await
        .unwrap();
    assert!(stored.fetches[0].items.iter().any(|item| matches!(
        item,
        MessageDataItem::Flags(flags) if flags.contains(&FlagFetch::Flag(Flag::Seen))
    )));
    let unseen = client
        .search(false, NonEmpty::new(SearchKey::Unseen))
        .await
        .unwrap();
    assert_eq!(numbers(&unseen), [2]);
    let every = client
        .search(false, NonEmpty::new(SearchKey::All))
        .await
        .unwrap();
    assert_eq!(numbers(&every), [1, 2]);
    let by_uid = client
        .fetch(
            true,
            all(),
            attributes(vec![FetchAttribute::Uid, FetchAttribute::Rfc822Size]),
        )
        .await
        .unwrap();
    assert_eq!(by_uid.len(), 2);
    let uids: Vec<u32> = by_uid
        .iter()
        .map(|message| message.uid().unwrap().get())
        .collect();
    assert!(uids[0] < uids[1]);
    assert!(by_uid[1]
        .items
        .contains(&MessageDataItem::Rfc822Size(second.len() as u64)));
    let second_body = client
        .fetch(
            true,
            SequenceSet::single(NonZeroU32::new(uids[1]).unwrap()),
            attributes(vec![FetchAttribute::BodySection {
                peek: true,
                section: None,
                partial: None,
            }]),
        )
        .await
        .unwrap();
    assert_eq!(second_body[0].body(), Some(second.as_bytes()));

    // --- COPY, MOVE, EXPUNGE ---
    let copied = client
        .run(CommandBody::Copy {
            uid: false,
            sequence_set: seq(1),
            mailbox: name("Archive"),
        })
        .await
        .unwrap();
    assert!(matches!(copied.completion.code, Some(Code::CopyUid { .. })));
    assert!(client.machine().has_capability(&Capability::Move));
    let moved = client
        .run(CommandBody::Move {
            uid: false,
            sequence_set: seq(2),
            mailbox: name("Archive"),
        })
        .await
        .unwrap();
    assert!(moved
        .data
        .iter()
        .any(|data| matches!(data, Data::Expunge(n) if n.get() == 2)));
    assert_eq!(client.machine().mailbox().unwrap().exists, 1);
    client
        .run(CommandBody::Store {
            uid: false,
            sequence_set: seq(1),
            modifiers: Vec::new(),
            action: StoreAction::Add,
            silent: true,
            flags: vec![Flag::Deleted],
        })
        .await
        .unwrap();
    let expunged = client.run(CommandBody::Expunge).await.unwrap();
    assert!(expunged
        .data
        .contains(&Data::Expunge(NonZeroU32::new(1).unwrap())));
    assert_eq!(client.machine().mailbox().unwrap().exists, 0);
    let archive = client.examine("Archive").await.unwrap();
    assert_eq!(archive.exists, 2);
    assert!(archive.read_only);
    client.select("INBOX").await.unwrap();

    // --- IDLE, while another connection appends ---
    let appender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let tcp = connect(imap_port).await;
        let (mut other, _) = ImapClient::connect(tcp, ClientConfig::default())
            .await
            .unwrap();
        other.login("alice", "alicepw").await.unwrap();
        other
            .append(
                "INBOX",
                Vec::new(),
                second_message("during idle").as_bytes(),
            )
            .await
            .unwrap();
        other.logout().await.unwrap();
    });
    let updates = client
        .idle(Duration::from_secs(30), |event| {
            matches!(
                event,
                ClientEvent::Data {
                    data: Data::Exists(1),
                    ..
                }
            )
        })
        .await
        .unwrap();
    appender.await.unwrap();
    assert!(
        updates.iter().any(|event| matches!(
            event,
            ClientEvent::Data {
                data: Data::Exists(1),
                ..
            }
        )),
        "{updates:?}"
    );
    assert_eq!(client.machine().mailbox().unwrap().exists, 1);
    assert_clean(&mut client);
    client.logout().await.unwrap();

    // --- Implicit TLS, AUTHENTICATE PLAIN with SASL-IR, ENABLE, ESEARCH ---
    let tcp = connect(imaps_port).await;
    let server_name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let secured = tls.connector.connect(server_name, tcp).await.unwrap();
    let config = ClientConfig {
        implicit_tls: true,
        ..ClientConfig::default()
    };
    let (mut client, _) = ImapClient::connect(secured, config).await.unwrap();
    assert!(client.machine().has_capability(&Capability::SaslIr));
    assert!(matches!(
        client.authenticate_plain("alice", "wrong").await,
        Err(ImapError::Refused {
            state: State::No,
            ..
        })
    ));
    client.authenticate_plain("alice", "alicepw").await.unwrap();
    let id = client
        .driver_mut()
        .machine_mut()
        .enable(NonEmpty::new(Capability::CondStore))
        .unwrap();
    client.wait(id, None).await.unwrap();
    assert_eq!(client.machine().enabled(), [Capability::CondStore]);
    client.examine("Archive").await.unwrap();
    let searched = client
        .run(CommandBody::Search {
            uid: true,
            return_options: Some(vec![SearchReturnOption::Count, SearchReturnOption::All]),
            charset: None,
            criteria: NonEmpty::new(SearchKey::All),
        })
        .await
        .unwrap();
    let esearch = searched
        .data
        .iter()
        .find_map(|data| match data {
            Data::ESearch(search) => Some(search.clone()),
            _ => None,
        })
        .unwrap();
    assert!(esearch.uid);
    assert!(esearch.data.contains(&ESearchData::Count(2)), "{esearch:?}");
    // Message numbers of the mailbox: `*` stands for the last one.
    let last = client
        .fetch(
            false,
            SequenceSet::range(SeqNumber::Largest, SeqNumber::Largest),
            attributes(vec![FetchAttribute::Flags, FetchAttribute::ModSeq]),
        )
        .await
        .unwrap();
    assert_eq!(last[0].sequence_number.get(), 2);
    assert!(last[0]
        .items
        .iter()
        .any(|item| matches!(item, MessageDataItem::ModSeq(_))));
    assert_clean(&mut client);
    client.logout().await.unwrap();
}

/// The example binary next to this test's binary, if cargo built it (`cargo test`
/// builds examples, named `imap-client` or `imap-client-<hash>`): the newest one.
fn example_binary() -> Option<PathBuf> {
    let test = std::env::current_exe().ok()?;
    let examples = test.parent()?.parent()?.join("examples");
    std::fs::read_dir(examples)
        .ok()?
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            (name == "imap-client" || name.starts_with("imap-client-")) && !name.contains('.')
        })
        .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
        .max()
        .map(|(_, path)| path)
}

/// Runs the example; returns its standard output, failing on a non-zero exit.
async fn run_example(binary: &Path, arguments: &[&str]) -> Vec<u8> {
    let output = tokio::process::Command::new(binary)
        .args(arguments)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "imap-client {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

async fn example(imap_port: u16, imaps_port: u16, dir: &Path) {
    let Some(binary) = example_binary() else {
        skip_or_fail("the imap-client example was not built");
        return;
    };
    let ca = dir.join("cert.pem").display().to_string();
    let starttls_server = format!("localhost:{imap_port}");
    let tls_server = format!("localhost:{imaps_port}");
    let common = |server: &str, security: &str| -> Vec<String> {
        [
            "--server", server, security, "--ca", &ca, "--user", "bob", "--pass", "bobpw",
        ]
        .map(String::from)
        .to_vec()
    };
    let starttls = common(&starttls_server, "--starttls");
    let tls = common(&tls_server, "--tls");
    let with = |base: &[String], extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|text| text.to_string()))
            .collect()
    };
    let call = |arguments: Vec<String>| {
        let binary = binary.clone();
        async move {
            let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
            run_example(&binary, &arguments).await
        }
    };

    let listed = call(with(&starttls, &["list"])).await;
    let listed = String::from_utf8(listed).unwrap();
    assert!(
        listed.lines().any(|line| line.starts_with("INBOX")),
        "{listed}"
    );
    assert!(listed.contains("Archive\t"), "{listed}");

    let file = dir.join("message.eml");
    std::fs::write(&file, MESSAGE).unwrap();
    let file = file.display().to_string();
    call(with(&tls, &["append", "INBOX", &file])).await;
    let fetched = call(with(&starttls, &["fetch", "INBOX", "1"])).await;
    assert_eq!(fetched, MESSAGE.as_bytes());
    let headers = String::from_utf8(call(with(&tls, &["headers", "INBOX"])).await).unwrap();
    assert!(headers.contains("Subject: interop over IMAP"), "{headers}");
    assert!(!headers.contains("Message-ID"), "{headers}");
    let unseen = call(with(&starttls, &["search", "INBOX", "unseen"])).await;
    assert_eq!(String::from_utf8(unseen).unwrap().trim(), "1");
    let selected = String::from_utf8(call(with(&tls, &["select", "INBOX"])).await).unwrap();
    assert!(selected.contains("exists: 1"), "{selected}");
    let idled = String::from_utf8(call(with(&starttls, &["idle", "INBOX", "1"])).await).unwrap();
    assert!(idled.contains("idling for 1 s"), "{idled}");
}
