//! Clients nobody here wrote against our IMAP server machine: Python's imaplib (plain,
//! STARTTLS, IMAP4_SSL) and curl (LIST, FETCH by UID, APPEND with -T, a custom command,
//! imaps and STARTTLS).
//!
//! The server is the machine on mailwire-core's tokio driver, TLS from an rcgen
//! certificate (tokio-rustls), and a small in-memory store written here: folders of
//! messages with flags, UIDs and internal dates, enough to answer LOGIN, CAPABILITY, LIST,
//! STATUS, SELECT/EXAMINE, FETCH (FLAGS, UID, RFC822.SIZE, INTERNALDATE, ENVELOPE,
//! BODY[]/BODY.PEEK[], HEADER, TEXT, RFC822), STORE, SEARCH, EXPUNGE, APPEND, IDLE and
//! LOGOUT. Sessions learn of messages appended by others through a broadcast and push
//! `* n EXISTS` (at once while idling).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mailwire_imap::server::{
    AppendedMessage, CleartextLogin, CommandId, LoginMethod, Server, ServerConfig, ServerEvent,
};
use mailwire_imap::tokio::{upgrade_server, Driver, Next};
use mailwire_imap::types::{
    Address, Capability, Code, CommandBody, Data, Date, DateTime, Delimiter, Envelope,
    FetchAttribute, Flag, FlagFetch, FlagPerm, IString, ListAttribute, ListData, Mailbox,
    MessageDataItem, NString, NonEmpty, ResponseText, SearchKey, Section, SequenceSet, State,
    StatusAttribute, StatusItem, StoreAction, Text, UidItem, UidSet,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_rustls::rustls;

// ---------------------------------------------------------------------------------------
// Peers, ports, TLS
// ---------------------------------------------------------------------------------------

/// True when `program` is on the PATH; otherwise skips loudly, or fails when
/// MAILWIRE_REQUIRE_PEERS=1.
fn peer_available(program: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .map(|output| output.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer {program} missing and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED: peer {program} missing");
    }
    found
}

/// A fresh temporary folder, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!(
            "mailwire-imap-server-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A self-signed certificate for localhost and 127.0.0.1; its PEM is the clients' CA.
fn test_tls(dir: &TempDir) -> (tokio_rustls::TlsAcceptor, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let ca_path = dir.write("ca.pem", certified.cert.pem().as_bytes());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(rustls::pki_types::PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), ca_path)
}

/// Runs a program under `timeout`, returning (success, stdout, stderr).
async fn run_bounded(program: &str, args: &[&str], seconds: u32) -> (bool, Vec<u8>, String) {
    let output = tokio::process::Command::new("timeout")
        .arg(seconds.to_string())
        .arg(program)
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    (
        output.status.success(),
        output.stdout,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Message {
    uid: u32,
    flags: Vec<Flag<'static>>,
    internal_date: DateTime,
    bytes: Vec<u8>,
}

#[derive(Debug)]
struct Folder {
    uid_validity: u32,
    uid_next: u32,
    messages: Vec<Message>,
}

#[derive(Debug)]
struct Store {
    users: BTreeMap<String, String>,
    folders: BTreeMap<String, Folder>,
    /// Names of folders that got new messages.
    changes: broadcast::Sender<String>,
    /// How clients logged in.
    logins: Vec<LoginMethod>,
}

fn sample_message(subject: &str, body: &str) -> Vec<u8> {
    format!(
        "Date: Fri, 05 Jan 2024 10:00:00 +0100\r\nFrom: Alice Example <alice@example.test>\r\n\
         To: Bob <bob@example.test>\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@example.test>\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn date() -> DateTime {
    DateTime::new(Date::new(2024, 1, 5).unwrap(), 10, 0, 0, 60).unwrap()
}

impl Store {
    /// User bob (password pw); INBOX with three messages of UIDs 10, 12, 13 (the first
    /// seen), and an empty Archive.
    fn new() -> Arc<Mutex<Store>> {
        let messages = [
            (10, vec![Flag::Seen], sample_message("first", "one")),
            (12, vec![], sample_message("second", "two\r\n.dot line")),
            (13, vec![], sample_message("third", "three")),
        ]
        .into_iter()
        .map(|(uid, flags, bytes)| Message {
            uid,
            flags,
            internal_date: date(),
            bytes,
        })
        .collect();
        let mut folders = BTreeMap::new();
        folders.insert(
            "INBOX".to_string(),
            Folder {
                uid_validity: 1_700_000_000,
                uid_next: 14,
                messages,
            },
        );
        folders.insert(
            "Archive".to_string(),
            Folder {
                uid_validity: 1_700_000_001,
                uid_next: 1,
                messages: Vec::new(),
            },
        );
        Arc::new(Mutex::new(Store {
            users: BTreeMap::from([("bob".to_string(), "pw".to_string())]),
            folders,
            changes: broadcast::channel(64).0,
            logins: Vec::new(),
        }))
    }
}

// ---------------------------------------------------------------------------------------
// One session's application
// ---------------------------------------------------------------------------------------

struct Selected {
    name: String,
    read_only: bool,
    /// The client's message numbers: UID of message n at n - 1.
    view: Vec<u32>,
}

struct PendingAppend {
    folder: String,
    messages: Vec<(AppendedMessage, Vec<u8>)>,
}

struct App {
    store: Arc<Mutex<Store>>,
    selected: Option<Selected>,
    append: Option<PendingAppend>,
}

fn folder_name(mailbox: &Mailbox<'_>) -> String {
    if mailbox.is_inbox() {
        "INBOX".into()
    } else {
        mailbox.name().to_string_lossy().into_owned()
    }
}

fn nstring(bytes: &[u8]) -> NString<'static> {
    Some(IString::try_from(bytes.to_vec()).unwrap())
}

/// `%` and `*` wildcards of LIST (RFC 3501 §6.3.8), with `/` as the hierarchy delimiter.
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| matches(rest, &name[skip..])),
        Some((b'%', rest)) => (0..=name.len())
            .take_while(|&skip| skip == 0 || name[skip - 1] != b'/')
            .any(|skip| matches(rest, &name[skip..])),
        Some((first, rest)) => name
            .split_first()
            .is_some_and(|(head, tail)| head == first && matches(rest, tail)),
    }
}

fn split_message(bytes: &[u8]) -> (&[u8], &[u8]) {
    let end = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or(bytes.len(), |position| position + 4);
    (&bytes[..end], &bytes[end..])
}

fn header(bytes: &[u8], name: &str) -> Option<String> {
    let (head, _) = split_message(bytes);
    String::from_utf8_lossy(head).lines().find_map(|line| {
        let (field, value) = line.split_once(':')?;
        field
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

/// `Name <local@host>` or `local@host`.
fn addresses(value: Option<String>) -> Vec<Address<'static>> {
    let Some(value) = value else {
        return Vec::new();
    };
    let (name, address) = match value.rsplit_once('<') {
        Some((name, address)) => (Some(name.trim()), address.trim_end_matches('>')),
        None => (None, value.as_str()),
    };
    let (local, host) = address.split_once('@').unwrap_or((address, ""));
    vec![Address {
        name: name
            .filter(|name| !name.is_empty())
            .map(|name| IString::try_from(name.to_string()).unwrap()),
        adl: None,
        mailbox: nstring(local.as_bytes()),
        host: nstring(host.as_bytes()),
    }]
}

fn envelope(bytes: &[u8]) -> Envelope<'static> {
    let text = |name| header(bytes, name).map(|value| IString::try_from(value).unwrap());
    let from = addresses(header(bytes, "From"));
    Envelope {
        date: text("Date"),
        subject: text("Subject"),
        sender: from.clone(),
        reply_to: from.clone(),
        from,
        to: addresses(header(bytes, "To")),
        cc: Vec::new(),
        bcc: Vec::new(),
        in_reply_to: None,
        message_id: text("Message-ID"),
    }
}

impl App {
    fn new(store: Arc<Mutex<Store>>) -> Self {
        App {
            store,
            selected: None,
            append: None,
        }
    }

    fn handle(&mut self, server: &mut Server, event: ServerEvent) {
        let now = Instant::now();
        match event {
            ServerEvent::Login {
                id,
                credentials,
                method,
                ..
            } => {
                let mut store = self.store.lock().unwrap();
                store.logins.push(method);
                let known = store.users.get(&credentials.username).cloned();
                drop(store);
                if known.as_deref() == Some(credentials.password.expose().as_str()) {
                    server.ok(now, id, "LOGIN completed").unwrap();
                } else {
                    server
                        .no(
                            now,
                            id,
                            Some(Code::AuthenticationFailed),
                            "invalid credentials",
                        )
                        .unwrap();
                }
            }
            ServerEvent::Command { id, command, .. } => self.command(server, now, id, command),
            ServerEvent::AppendMessage { id, message, .. } => {
                let folder = folder_name(&message.mailbox);
                if !self.store.lock().unwrap().folders.contains_key(&folder) {
                    self.append = None;
                    server
                        .no(now, id, Some(Code::TryCreate), "no such mailbox")
                        .unwrap();
                    return;
                }
                let pending = self.append.get_or_insert_with(|| PendingAppend {
                    folder,
                    messages: Vec::new(),
                });
                pending.messages.push((message, Vec::new()));
                server.accept_append(now, id).unwrap();
            }
            ServerEvent::AppendData { chunk, .. } => {
                if let Some((_, bytes)) = self
                    .append
                    .as_mut()
                    .and_then(|pending| pending.messages.last_mut())
                {
                    bytes.extend_from_slice(&chunk);
                }
            }
            ServerEvent::AppendDone { id, .. } => self.store_append(server, now, id),
            ServerEvent::AppendAborted { .. } => self.append = None,
            ServerEvent::Idle { .. } => self.report_new(server),
            _ => {}
        }
    }

    fn store_append(&mut self, server: &mut Server, now: Instant, id: CommandId) {
        let Some(pending) = self.append.take() else {
            server.no(now, id, None, "nothing to append").unwrap();
            return;
        };
        let mut store = self.store.lock().unwrap();
        let folder = store.folders.get_mut(&pending.folder).unwrap();
        let mut uids = Vec::new();
        for (message, bytes) in pending.messages {
            let uid = folder.uid_next;
            folder.uid_next += 1;
            uids.push(uid);
            folder.messages.push(Message {
                uid,
                flags: message.flags,
                internal_date: message.date.unwrap_or_else(date),
                bytes,
            });
        }
        let uid_validity = NonZeroU32::new(folder.uid_validity).unwrap();
        let _ = store.changes.send(pending.folder);
        drop(store);
        let items: Vec<UidItem> = uids
            .into_iter()
            .map(|uid| UidItem::Single(NonZeroU32::new(uid).unwrap()))
            .collect();
        let code = Code::AppendUid {
            uid_validity,
            uids: UidSet(NonEmpty::try_from(items).unwrap()),
        };
        let text = Text::try_from("APPEND completed").unwrap();
        server
            .complete(
                now,
                id,
                State::Ok,
                ResponseText {
                    code: Some(code),
                    text,
                },
            )
            .unwrap();
    }

    /// Pushes `* n EXISTS` when the selected folder has messages the client has not seen.
    fn report_new(&mut self, server: &mut Server) {
        let Some(selected) = &mut self.selected else {
            return;
        };
        let store = self.store.lock().unwrap();
        let Some(folder) = store.folders.get(&selected.name) else {
            return;
        };
        let fresh: Vec<u32> = folder
            .messages
            .iter()
            .map(|message| message.uid)
            .filter(|uid| !selected.view.contains(uid))
            .collect();
        drop(store);
        if fresh.is_empty() {
            return;
        }
        let count = selected.view.len() + fresh.len();
        if server.push(&Data::Exists(count as u32)).is_ok() {
            selected.view.extend(fresh);
        }
    }

    fn command(
        &mut self,
        server: &mut Server,
        now: Instant,
        id: CommandId,
        command: CommandBody<'static>,
    ) {
        match command {
            CommandBody::Noop | CommandBody::Check => {
                self.report_new(server);
                server.ok(now, id, "NOOP completed").unwrap();
            }
            CommandBody::List {
                reference,
                patterns,
                ..
            } => {
                let reference = folder_name(&reference);
                let names: Vec<String> =
                    self.store.lock().unwrap().folders.keys().cloned().collect();
                for pattern in patterns.iter() {
                    let pattern = format!("{reference}{}", pattern.to_string_lossy());
                    if pattern.is_empty() {
                        // RFC 3501 §6.3.8: the hierarchy delimiter.
                        let data = ListData {
                            attributes: vec![ListAttribute::NoSelect],
                            delimiter: Some(Delimiter::new('/').unwrap()),
                            mailbox: Mailbox::try_from(String::new()).unwrap(),
                            extended: Vec::new(),
                        };
                        server.send_data(id, &Data::List(data)).unwrap();
                        continue;
                    }
                    for name in &names {
                        let candidate = if pattern.eq_ignore_ascii_case("INBOX") && name == "INBOX"
                        {
                            true
                        } else {
                            matches(pattern.as_bytes(), name.as_bytes())
                        };
                        if candidate {
                            let data = ListData {
                                attributes: vec![ListAttribute::HasNoChildren],
                                delimiter: Some(Delimiter::new('/').unwrap()),
                                mailbox: Mailbox::try_from(name.clone()).unwrap(),
                                extended: Vec::new(),
                            };
                            server.send_data(id, &Data::List(data)).unwrap();
                        }
                    }
                }
                server.ok(now, id, "LIST completed").unwrap();
            }
            CommandBody::Status {
                mailbox,
                attributes,
            } => {
                let name = folder_name(&mailbox);
                let store = self.store.lock().unwrap();
                let Some(folder) = store.folders.get(&name) else {
                    drop(store);
                    server
                        .no(now, id, Some(Code::NonExistent), "no such mailbox")
                        .unwrap();
                    return;
                };
                let unseen = folder
                    .messages
                    .iter()
                    .filter(|message| !message.flags.contains(&Flag::Seen))
                    .count() as u32;
                let items = attributes
                    .iter()
                    .filter_map(|attribute| match attribute {
                        StatusAttribute::Messages => {
                            Some(StatusItem::Messages(folder.messages.len() as u32))
                        }
                        StatusAttribute::Unseen => Some(StatusItem::Unseen(unseen)),
                        StatusAttribute::Recent => Some(StatusItem::Recent(0)),
                        StatusAttribute::UidNext => {
                            NonZeroU32::new(folder.uid_next).map(StatusItem::UidNext)
                        }
                        StatusAttribute::UidValidity => {
                            NonZeroU32::new(folder.uid_validity).map(StatusItem::UidValidity)
                        }
                        _ => None,
                    })
                    .collect();
                drop(store);
                server
                    .send_data(id, &Data::Status { mailbox, items })
                    .unwrap();
                server.ok(now, id, "STATUS completed").unwrap();
            }
            CommandBody::Select { mailbox, .. } => self.select(server, now, id, &mailbox, false),
            CommandBody::Examine { mailbox, .. } => self.select(server, now, id, &mailbox, true),
            CommandBody::Fetch {
                uid,
                sequence_set,
                attributes,
                ..
            } => {
                let wanted: Vec<FetchAttribute<'static>> = attributes
                    .expand()
                    .into_iter()
                    .map(mailwire_imap::types::IntoOwned::into_owned)
                    .collect();
                self.fetch(server, id, uid, &sequence_set, &wanted);
                server.ok(now, id, "FETCH completed").unwrap();
            }
            CommandBody::Store {
                uid,
                sequence_set,
                action,
                silent,
                flags,
                ..
            } => {
                self.store_flags(server, id, uid, &sequence_set, action, silent, &flags);
                server.ok(now, id, "STORE completed").unwrap();
            }
            CommandBody::Search { uid, criteria, .. } => {
                let numbers = self.search(uid, criteria.as_slice());
                server
                    .send_data(
                        id,
                        &Data::Search {
                            numbers,
                            mod_seq: None,
                        },
                    )
                    .unwrap();
                server.ok(now, id, "SEARCH completed").unwrap();
            }
            CommandBody::Expunge => {
                self.expunge(server, Some(id), None);
                server.ok(now, id, "EXPUNGE completed").unwrap();
            }
            CommandBody::UidExpunge { uids } => {
                self.expunge(server, Some(id), Some(&uids));
                server.ok(now, id, "UID EXPUNGE completed").unwrap();
            }
            CommandBody::Close => {
                self.expunge(server, None, None);
                self.selected = None;
                server.ok(now, id, "CLOSE completed").unwrap();
            }
            CommandBody::Unselect => {
                self.selected = None;
                server.ok(now, id, "UNSELECT completed").unwrap();
            }
            CommandBody::Lsub { .. } => server.ok(now, id, "LSUB completed").unwrap(),
            other => server
                .no(
                    now,
                    id,
                    Some(Code::Cannot),
                    &format!("{} is not implemented here", other.name()),
                )
                .unwrap(),
        }
    }
}

impl App {
    fn select(
        &mut self,
        server: &mut Server,
        now: Instant,
        id: CommandId,
        mailbox: &Mailbox<'_>,
        read_only: bool,
    ) {
        self.selected = None;
        let name = folder_name(mailbox);
        let store = self.store.lock().unwrap();
        let Some(folder) = store.folders.get(&name) else {
            drop(store);
            server
                .no(now, id, Some(Code::NonExistent), "no such mailbox")
                .unwrap();
            return;
        };
        let view: Vec<u32> = folder.messages.iter().map(|message| message.uid).collect();
        let uid_validity = NonZeroU32::new(folder.uid_validity).unwrap();
        let uid_next = NonZeroU32::new(folder.uid_next).unwrap();
        drop(store);
        let flags = vec![
            Flag::Answered,
            Flag::Flagged,
            Flag::Deleted,
            Flag::Seen,
            Flag::Draft,
        ];
        let state = |code: Code<'static>, text: &'static str| Data::State {
            state: State::Ok,
            text: ResponseText {
                code: Some(code),
                text: Text::try_from(text).unwrap(),
            },
        };
        let mut permanent: Vec<FlagPerm<'static>> =
            flags.iter().cloned().map(FlagPerm::Flag).collect();
        permanent.push(FlagPerm::Wildcard);
        for data in [
            Data::Flags(flags),
            Data::Exists(view.len() as u32),
            Data::Recent(0),
            state(Code::UidValidity(uid_validity), "UIDs valid"),
            state(Code::UidNext(uid_next), "Predicted next UID"),
            state(Code::PermanentFlags(permanent), "Limited"),
        ] {
            server.send_data(id, &data).unwrap();
        }
        self.selected = Some(Selected {
            name,
            read_only,
            view,
        });
        let code = if read_only {
            Code::ReadOnly
        } else {
            Code::ReadWrite
        };
        let text = Text::try_from("SELECT completed").unwrap();
        server
            .complete(
                now,
                id,
                State::Ok,
                ResponseText {
                    code: Some(code),
                    text,
                },
            )
            .unwrap();
    }

    /// The messages of `set`: (message number, UID).
    fn targets(&self, uid: bool, set: &SequenceSet) -> Vec<(u32, u32)> {
        let Some(selected) = &self.selected else {
            return Vec::new();
        };
        let largest_uid = selected.view.last().copied().unwrap_or(0);
        let count = selected.view.len() as u32;
        selected
            .view
            .iter()
            .enumerate()
            .map(|(index, uid)| (index as u32 + 1, *uid))
            .filter(|(number, message_uid)| {
                if uid {
                    set.contains(*message_uid, largest_uid)
                } else {
                    set.contains(*number, count)
                }
            })
            .collect()
    }

    fn fetch(
        &mut self,
        server: &mut Server,
        id: CommandId,
        uid_command: bool,
        set: &SequenceSet,
        wanted: &[FetchAttribute<'static>],
    ) {
        let targets = self.targets(uid_command, set);
        let Some(selected) = &self.selected else {
            return;
        };
        let mut store = self.store.lock().unwrap();
        let folder = store.folders.get_mut(&selected.name).unwrap();
        let mut responses = Vec::new();
        for (number, uid) in targets {
            let Some(message) = folder.messages.iter_mut().find(|m| m.uid == uid) else {
                continue;
            };
            // RFC 3501 §6.4.5: BODY[...] and RFC822(.TEXT) set \Seen.
            let reads = wanted.iter().any(|attribute| {
                matches!(
                    attribute,
                    FetchAttribute::BodySection { peek: false, .. }
                        | FetchAttribute::Rfc822
                        | FetchAttribute::Rfc822Text
                )
            });
            let newly_seen = reads && !selected.read_only && !message.flags.contains(&Flag::Seen);
            if newly_seen {
                message.flags.push(Flag::Seen);
            }
            let flags = || {
                MessageDataItem::Flags(message.flags.iter().cloned().map(FlagFetch::Flag).collect())
            };
            let (head, body) = split_message(&message.bytes);
            let mut items = Vec::new();
            for attribute in wanted {
                let item = match attribute {
                    FetchAttribute::Flags => flags(),
                    FetchAttribute::Uid => MessageDataItem::Uid(NonZeroU32::new(uid).unwrap()),
                    FetchAttribute::Rfc822Size => {
                        MessageDataItem::Rfc822Size(message.bytes.len() as u64)
                    }
                    FetchAttribute::InternalDate => {
                        MessageDataItem::InternalDate(message.internal_date)
                    }
                    FetchAttribute::Envelope => {
                        MessageDataItem::Envelope(Box::new(envelope(&message.bytes)))
                    }
                    FetchAttribute::Rfc822 => MessageDataItem::Rfc822(nstring(&message.bytes)),
                    FetchAttribute::Rfc822Header => MessageDataItem::Rfc822Header(nstring(head)),
                    FetchAttribute::Rfc822Text => MessageDataItem::Rfc822Text(nstring(body)),
                    FetchAttribute::BodySection {
                        section, partial, ..
                    } => {
                        let content: Vec<u8> = match section {
                            None => message.bytes.clone(),
                            Some(Section::Header(None)) => head.to_vec(),
                            Some(Section::Text(None)) => body.to_vec(),
                            Some(Section::HeaderFields(None, names)) => {
                                let mut picked: Vec<u8> = String::from_utf8_lossy(head)
                                    .split("\r\n")
                                    .filter(|line| {
                                        line.split_once(':').is_some_and(|(field, _)| {
                                            names.iter().any(|name| {
                                                name.as_bytes()
                                                    .eq_ignore_ascii_case(field.as_bytes())
                                            })
                                        })
                                    })
                                    .flat_map(|line| format!("{line}\r\n").into_bytes())
                                    .collect();
                                picked.extend_from_slice(b"\r\n");
                                picked
                            }
                            Some(_) => Vec::new(),
                        };
                        let (origin, content) = match partial {
                            Some(partial) => {
                                let start = (partial.offset as usize).min(content.len());
                                let end = start
                                    .saturating_add(partial.length.get() as usize)
                                    .min(content.len());
                                (Some(partial.offset as u32), content[start..end].to_vec())
                            }
                            None => (None, content),
                        };
                        MessageDataItem::BodySection {
                            section: section.clone(),
                            origin,
                            data: nstring(&content),
                        }
                    }
                    _ => continue,
                };
                items.push(item);
            }
            if newly_seen && !wanted.contains(&FetchAttribute::Flags) {
                items.push(flags());
            }
            if uid_command && !wanted.contains(&FetchAttribute::Uid) {
                items.push(MessageDataItem::Uid(NonZeroU32::new(uid).unwrap()));
            }
            if let Ok(items) = NonEmpty::try_from(items) {
                responses.push(Data::Fetch {
                    sequence_number: NonZeroU32::new(number).unwrap(),
                    items,
                });
            }
        }
        drop(store);
        for data in responses {
            server.send_data(id, &data).unwrap();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn store_flags(
        &mut self,
        server: &mut Server,
        id: CommandId,
        uid_command: bool,
        set: &SequenceSet,
        action: StoreAction,
        silent: bool,
        flags: &[Flag<'static>],
    ) {
        let targets = self.targets(uid_command, set);
        let Some(selected) = &self.selected else {
            return;
        };
        if selected.read_only {
            return;
        }
        let mut store = self.store.lock().unwrap();
        let folder = store.folders.get_mut(&selected.name).unwrap();
        let mut responses = Vec::new();
        for (number, uid) in targets {
            let Some(message) = folder.messages.iter_mut().find(|m| m.uid == uid) else {
                continue;
            };
            match action {
                StoreAction::Replace => message.flags = flags.to_vec(),
                StoreAction::Add => {
                    for flag in flags {
                        if !message.flags.contains(flag) {
                            message.flags.push(flag.clone());
                        }
                    }
                }
                StoreAction::Remove => message.flags.retain(|flag| !flags.contains(flag)),
            }
            if !silent {
                let mut items = vec![MessageDataItem::Flags(
                    message.flags.iter().cloned().map(FlagFetch::Flag).collect(),
                )];
                if uid_command {
                    items.push(MessageDataItem::Uid(NonZeroU32::new(uid).unwrap()));
                }
                responses.push(Data::Fetch {
                    sequence_number: NonZeroU32::new(number).unwrap(),
                    items: NonEmpty::try_from(items).unwrap(),
                });
            }
        }
        drop(store);
        for data in responses {
            server.send_data(id, &data).unwrap();
        }
    }

    fn search(&self, uid_command: bool, criteria: &[SearchKey<'static>]) -> Vec<NonZeroU32> {
        let Some(selected) = &self.selected else {
            return Vec::new();
        };
        let store = self.store.lock().unwrap();
        let Some(folder) = store.folders.get(&selected.name) else {
            return Vec::new();
        };
        let largest_uid = selected.view.last().copied().unwrap_or(0);
        let count = selected.view.len() as u32;
        let mut found = Vec::new();
        for (index, uid) in selected.view.iter().enumerate() {
            let number = index as u32 + 1;
            let Some(message) = folder.messages.iter().find(|m| m.uid == *uid) else {
                continue;
            };
            let context = (number, count, largest_uid);
            if criteria
                .iter()
                .all(|key| key_matches(key, message, context))
            {
                found.push(NonZeroU32::new(if uid_command { *uid } else { number }).unwrap());
            }
        }
        found
    }

    /// Removes the messages marked \Deleted (of `uids` only, for UID EXPUNGE); reports
    /// each as `* n EXPUNGE` with the number it has when reported, when `id` is given.
    fn expunge(&mut self, server: &mut Server, id: Option<CommandId>, uids: Option<&SequenceSet>) {
        let Some(selected) = &mut self.selected else {
            return;
        };
        if selected.read_only {
            return;
        }
        let largest_uid = selected.view.last().copied().unwrap_or(0);
        let mut store = self.store.lock().unwrap();
        let folder = store.folders.get_mut(&selected.name).unwrap();
        let doomed: Vec<u32> = folder
            .messages
            .iter()
            .filter(|message| message.flags.contains(&Flag::Deleted))
            .filter(|message| uids.is_none_or(|set| set.contains(message.uid, largest_uid)))
            .map(|message| message.uid)
            .collect();
        folder
            .messages
            .retain(|message| !doomed.contains(&message.uid));
        drop(store);
        let mut index = 0;
        while index < selected.view.len() {
            if doomed.contains(&selected.view[index]) {
                selected.view.remove(index);
                if let Some(id) = id {
                    let number = NonZeroU32::new(index as u32 + 1).unwrap();
                    server.send_data(id, &Data::Expunge(number)).unwrap();
                }
            } else {
                index += 1;
            }
        }
    }
}

fn key_matches(key: &SearchKey<'_>, message: &Message, context: (u32, u32, u32)) -> bool {
    let (number, count, largest_uid) = context;
    let has = |flag: Flag<'static>| message.flags.contains(&flag);
    match key {
        SearchKey::All => true,
        SearchKey::Seen => has(Flag::Seen),
        SearchKey::Unseen => !has(Flag::Seen),
        SearchKey::Deleted => has(Flag::Deleted),
        SearchKey::Undeleted => !has(Flag::Deleted),
        SearchKey::Flagged => has(Flag::Flagged),
        SearchKey::Unflagged => !has(Flag::Flagged),
        SearchKey::Answered => has(Flag::Answered),
        SearchKey::Unanswered => !has(Flag::Answered),
        SearchKey::Draft => has(Flag::Draft),
        SearchKey::Undraft => !has(Flag::Draft),
        SearchKey::Uid(set) => set.contains(message.uid, largest_uid),
        SearchKey::SequenceSet(set) => set.contains(number, count),
        SearchKey::Larger(size) => message.bytes.len() as u64 > *size,
        SearchKey::Smaller(size) => (message.bytes.len() as u64) < *size,
        SearchKey::Subject(text) => header(&message.bytes, "Subject").is_some_and(|subject| {
            subject
                .to_lowercase()
                .contains(&text.to_str_lossy().to_lowercase())
        }),
        SearchKey::Not(inner) => !key_matches(inner, message, context),
        SearchKey::Or(left, right) => {
            key_matches(left, message, context) || key_matches(right, message, context)
        }
        SearchKey::And(keys) => keys.iter().all(|key| key_matches(key, message, context)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/// Any stream a session can run on.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Serves one connection to its end.
async fn serve(
    stream: Box<dyn Io>,
    config: ServerConfig,
    store: Arc<Mutex<Store>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let mut changes = store.lock().unwrap().changes.subscribe();
    let mut driver: Driver<Box<dyn Io>, Server> =
        Driver::new(stream, Server::new(config, Instant::now()));
    let mut app = App::new(store);
    let mut listening = true;
    loop {
        tokio::select! {
            next = driver.next_event() => match next {
                Ok(Next::Event(event)) => app.handle(driver.machine_mut(), event),
                Ok(Next::StartTls) => {
                    let Some(acceptor) = tls.clone() else { return };
                    let upgraded = upgrade_server(driver, |plain| async move {
                        acceptor
                            .accept(plain)
                            .await
                            .map(|secured| Box::new(secured) as Box<dyn Io>)
                    })
                    .await;
                    match upgraded {
                        Ok(upgraded) => driver = upgraded,
                        Err(_) => return,
                    }
                }
                Ok(Next::Closed) | Err(_) => return,
            },
            changed = changes.recv(), if listening => match changed {
                Ok(folder) => {
                    if app.selected.as_ref().is_some_and(|selected| selected.name == folder) {
                        app.report_new(driver.machine_mut());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => listening = false,
            },
        }
    }
}

/// Listens on a free port of 127.0.0.1. `implicit_tls` wraps every connection in TLS
/// first (port 993 style); otherwise STARTTLS is offered when `tls` is given.
async fn spawn_server(
    mut config: ServerConfig,
    store: Arc<Mutex<Store>>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    implicit_tls: bool,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    config.implicit_tls = implicit_tls;
    config.starttls = tls.is_some() && !implicit_tls;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (config, store, tls) = (config.clone(), store.clone(), tls.clone());
            tokio::spawn(async move {
                let stream: Box<dyn Io> = if implicit_tls {
                    let Some(acceptor) = tls.clone() else { return };
                    match acceptor.accept(tcp).await {
                        Ok(secured) => Box::new(secured),
                        Err(_) => return,
                    }
                } else {
                    Box::new(tcp)
                };
                serve(stream, config, store, tls).await;
            });
        }
    });
    port
}

fn server_config(cleartext: CleartextLogin) -> ServerConfig {
    ServerConfig {
        cleartext_login: cleartext,
        capabilities: vec![Capability::UidPlus, Capability::Unselect],
        ..ServerConfig::default()
    }
}

// ---------------------------------------------------------------------------------------
// Python's imaplib
// ---------------------------------------------------------------------------------------

const IMAPLIB_SCRIPT: &str = r#"
import imaplib, ssl, sys, time
mode, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
second = open(sys.argv[4], 'rb').read()
new_message = open(sys.argv[5], 'rb').read()
context = ssl.create_default_context(cafile=ca)

def connect():
    if mode == 'ssl':
        return imaplib.IMAP4_SSL('127.0.0.1', port, ssl_context=context, timeout=20)
    box = imaplib.IMAP4('127.0.0.1', port, timeout=20)
    if mode == 'starttls':
        assert 'STARTTLS' in box.capabilities, box.capabilities
        assert 'LOGINDISABLED' in box.capabilities, box.capabilities
        assert 'AUTH=PLAIN' not in box.capabilities, box.capabilities
        typ, _ = box.starttls(ssl_context=context)
        assert typ == 'OK', typ
        assert 'STARTTLS' not in box.capabilities, box.capabilities
        assert 'AUTH=PLAIN' in box.capabilities, box.capabilities
    return box

box = connect()
assert 'IMAP4REV1' in box.capabilities and 'IDLE' in box.capabilities, box.capabilities
try:
    box.login('bob', 'wrong')
    raise AssertionError('a wrong password was accepted')
except imaplib.IMAP4.error as error:
    assert 'AUTHENTICATIONFAILED' in str(error), error
typ, data = box.login('bob', 'pw')
assert typ == 'OK', data

typ, data = box.list()
assert typ == 'OK', data
assert sorted(line.rsplit(b' ', 1)[-1] for line in data) == [b'Archive', b'INBOX'], data
typ, data = box.status('INBOX', '(MESSAGES UNSEEN UIDNEXT)')
assert data == [b'INBOX (MESSAGES 3 UNSEEN 2 UIDNEXT 14)'], data

typ, data = box.select('INBOX')
assert (typ, data) == ('OK', [b'3']), data
assert box.search(None, 'ALL') == ('OK', [b'1 2 3'])
assert box.search(None, 'UNSEEN') == ('OK', [b'2 3'])
assert box.uid('SEARCH', 'ALL') == ('OK', [b'10 12 13'])

typ, data = box.fetch('2', '(FLAGS UID RFC822.SIZE BODY.PEEK[])')
meta, body = data[0]
assert body == second, body
assert b'FLAGS ()' in meta and b'UID 12' in meta, meta
assert b'RFC822.SIZE %d' % len(second) in meta, meta
typ, data = box.fetch('1', '(ENVELOPE INTERNALDATE)')
assert b'"first"' in data[0] and b'"alice" "example.test"' in data[0], data
assert b'"05-Jan-2024 10:00:00 +0100"' in data[0], data
typ, data = box.uid('FETCH', '13', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
assert data[0][1] == b'Subject: third\r\n\r\n', data
# BODY[] without PEEK sets \Seen, reported with the data.
typ, data = box.fetch('3', '(BODY[TEXT])')
assert data[0][1] == b'three\r\n', data
assert b'\\Seen' in data[1], data
typ, data = box.store('2', '+FLAGS', '(\\Flagged \\Seen)')
assert typ == 'OK' and b'\\Flagged' in data[0] and b'\\Seen' in data[0], data
assert box.search(None, 'UNSEEN') == ('OK', [b''])

typ, data = box.append('INBOX', '(\\Draft)', imaplib.Time2Internaldate(time.time()), new_message)
assert typ == 'OK' and b'[APPENDUID 1700000000 14]' in data[0], data
typ, data = box.append('Nowhere', None, None, new_message)
assert typ == 'NO' and b'[TRYCREATE]' in data[0], (typ, data)
box.noop()
assert box.search(None, 'ALL') == ('OK', [b'1 2 3 4'])
typ, data = box.fetch('4', '(FLAGS BODY.PEEK[])')
assert data[0][1] == new_message and b'\\Draft' in data[0][0], data
typ, data = box.store('1', '+FLAGS', '\\Deleted')
typ, data = box.expunge()
assert (typ, data) == ('OK', [b'1']), data
assert box.uid('SEARCH', 'ALL') == ('OK', [b'12 13 14'])

# IDLE while another session appends.
def other_append():
    other = connect()
    other.login('bob', 'pw')
    other.append('INBOX', None, None, new_message)
    other.logout()

if sys.version_info >= (3, 14):
    seen = []
    with box.idle(duration=15) as idler:
        other_append()
        for typ, datum in idler:
            seen.append((typ, datum))
            if typ == 'EXISTS':
                break
    assert any(typ == 'EXISTS' for typ, _ in seen), seen
    idle_how = 'imaplib idle'
else:
    # imaplib before 3.14 has no IDLE: speak it on imaplib's own connection.
    tag = box._new_tag()
    box.send(tag + b' IDLE\r\n')
    line = box.readline()
    assert line.startswith(b'+ '), line
    other_append()
    line = box.readline()
    assert line == b'* 4 EXISTS\r\n', line
    box.send(b'DONE\r\n')
    line = box.readline()
    assert line.startswith(tag + b' OK'), line
    idle_how = 'raw idle'

typ, data = box.logout()
assert typ == 'BYE', (typ, data)
print('imaplib ok', mode, idle_how)
"#;

async fn run_imaplib(mode: &str) {
    if !peer_available("python3") {
        return;
    }
    let dir = TempDir::new(&format!("imaplib-{mode}"));
    let (acceptor, ca_path) = test_tls(&dir);
    let store = Store::new();
    let (cleartext, tls, implicit) = match mode {
        "plain" => (CleartextLogin::Allow, None, false),
        "starttls" => (CleartextLogin::RequireTls, Some(acceptor), false),
        _ => (CleartextLogin::RequireTls, Some(acceptor), true),
    };
    let port = spawn_server(server_config(cleartext), store.clone(), tls, implicit).await;
    let second = store.lock().unwrap().folders["INBOX"].messages[1]
        .bytes
        .clone();
    let new_message = sample_message("appended", "fresh\r\nmail");
    let script = dir.write("check.py", IMAPLIB_SCRIPT.as_bytes());
    let second_path = dir.write("second.eml", &second);
    let new_path = dir.write("new.eml", &new_message);
    let (ok, stdout, stderr) = run_bounded(
        "python3",
        &[
            &script,
            mode,
            &port.to_string(),
            &ca_path,
            &second_path,
            &new_path,
        ],
        60,
    )
    .await;
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(ok, "imaplib {mode} failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("imaplib ok {mode}")), "{stdout}");
    // What the store holds after the session.
    let store = store.lock().unwrap();
    let inbox = &store.folders["INBOX"];
    let uids: Vec<u32> = inbox.messages.iter().map(|m| m.uid).collect();
    assert_eq!(uids, [12, 13, 14, 15]);
    assert!(inbox.messages[0].flags.contains(&Flag::Flagged));
    assert!(inbox.messages[0].flags.contains(&Flag::Seen));
    assert_eq!(inbox.messages[1].flags, [Flag::Seen]);
    assert_eq!(inbox.messages[2].flags, [Flag::Draft]);
    assert_eq!(inbox.messages[2].bytes, new_message);
    assert_eq!(inbox.messages[3].bytes, new_message);
    assert!(store
        .logins
        .iter()
        .all(|method| *method == LoginMethod::Login));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_plain() {
    run_imaplib("plain").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_starttls() {
    run_imaplib("starttls").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaplib_imap4_ssl() {
    run_imaplib("ssl").await;
}

// ---------------------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------------------

async fn curl(args: &[&str]) -> (bool, Vec<u8>, String) {
    let mut all = vec![
        "--silent",
        "--show-error",
        "--max-time",
        "20",
        "--user",
        "bob:pw",
    ];
    all.extend_from_slice(args);
    run_bounded("curl", &all, 30).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_list_fetch_append_and_custom_command() {
    if !peer_available("curl") {
        return;
    }
    let dir = TempDir::new("curl");
    let store = Store::new();
    let port = spawn_server(
        server_config(CleartextLogin::Allow),
        store.clone(),
        None,
        false,
    )
    .await;
    let base = format!("imap://127.0.0.1:{port}");

    let (ok, stdout, stderr) = curl(&[&format!("{base}/")]).await;
    let listing = String::from_utf8_lossy(&stdout);
    assert!(ok, "{stderr}");
    assert!(
        listing.contains("* LIST (\\HasNoChildren) \"/\" INBOX"),
        "{listing}"
    );
    assert!(
        listing.contains("* LIST (\\HasNoChildren) \"/\" Archive"),
        "{listing}"
    );

    let (ok, stdout, stderr) = curl(&[&format!("{base}/INBOX;UID=12")]).await;
    assert!(ok, "{stderr}");
    let second = store.lock().unwrap().folders["INBOX"].messages[1]
        .bytes
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&second)
    );

    let upload = sample_message("uploaded", "by curl");
    let path = dir.write("upload.eml", &upload);
    let (ok, _, stderr) = curl(&["-T", &path, &format!("{base}/Archive")]).await;
    assert!(ok, "{stderr}");
    {
        let store = store.lock().unwrap();
        let archive = &store.folders["Archive"];
        assert_eq!(archive.messages.len(), 1);
        assert_eq!(archive.messages[0].bytes, upload);
        assert_eq!(archive.messages[0].uid, 1);
    }

    let (ok, stdout, stderr) = curl(&[
        &format!("{base}/"),
        "-X",
        "STATUS Archive (MESSAGES UIDNEXT)",
    ])
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&stdout).trim_end(),
        "* STATUS Archive (MESSAGES 1 UIDNEXT 2)"
    );

    // An upload to a mailbox that does not exist fails (NO [TRYCREATE]).
    let (ok, _, _) = curl(&["-T", &path, &format!("{base}/Nowhere")]).await;
    assert!(!ok);
    assert_eq!(store.lock().unwrap().folders.len(), 2);
    // curl logs in with AUTHENTICATE PLAIN and SASL-IR, which the machine decodes.
    assert!(store
        .lock()
        .unwrap()
        .logins
        .iter()
        .all(|method| *method == LoginMethod::Plain));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_over_imaps_and_starttls() {
    if !peer_available("curl") {
        return;
    }
    let dir = TempDir::new("curl-tls");
    let (acceptor, ca_path) = test_tls(&dir);
    let store = Store::new();
    let implicit = spawn_server(
        server_config(CleartextLogin::RequireTls),
        store.clone(),
        Some(acceptor.clone()),
        true,
    )
    .await;
    let (ok, stdout, stderr) = curl(&[
        "--cacert",
        &ca_path,
        &format!("imaps://127.0.0.1:{implicit}/INBOX;UID=10"),
    ])
    .await;
    assert!(ok, "{stderr}");
    let first = store.lock().unwrap().folders["INBOX"].messages[0]
        .bytes
        .clone();
    assert_eq!(stdout, first);

    let starttls = spawn_server(
        server_config(CleartextLogin::RequireTls),
        store.clone(),
        Some(acceptor),
        false,
    )
    .await;
    let (ok, stdout, stderr) = curl(&[
        "--ssl-reqd",
        "--cacert",
        &ca_path,
        &format!("imap://127.0.0.1:{starttls}/"),
    ])
    .await;
    assert!(ok, "{stderr}");
    assert!(String::from_utf8_lossy(&stdout).contains("\"/\" INBOX"));
    assert_eq!(store.lock().unwrap().logins.len(), 2);
}
