//! A small IMAP client on mailwire-imap's client machine and tokio.
//!
//! ```text
//! cargo run -p mailwire-imap --features tokio --example imap-client -- \
//!     --server 127.0.0.1:143 [--starttls|--tls] [--ca CERT] --user U --pass P COMMAND
//!
//! COMMAND:  list [PATTERN]            mailboxes, with their attributes
//!           select MAILBOX            what the server says about a mailbox
//!           search MAILBOX [unseen]   message numbers (all, or the unseen ones)
//!           headers MAILBOX           From, Date and Subject of every message
//!           fetch MAILBOX N           message N, byte for byte, to standard output
//!           append MAILBOX FILE       a message from a file
//!           idle MAILBOX SECONDS      what the server reports while idling
//! ```
//!
//! TLS (`--tls` for port 993, `--starttls` to upgrade on 143) checks the server against
//! the PEM certificates of `--ca`; no system roots are bundled, so `--ca` is required
//! with TLS.

use std::io::Write;
use std::num::NonZeroU32;
use std::time::Duration;

use mailwire_core::tls::Trust;
use mailwire_imap::client::{BodyItem, ClientConfig, ClientEvent};
use mailwire_imap::tokio::{ImapClient, ImapError};
use mailwire_imap::types::{
    FetchAttribute, FetchAttributes, IString, MessageDataItem, NonEmpty, SearchKey, Section,
    SequenceSet,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls,
    Tls,
}

#[derive(Debug)]
enum Action {
    List(String),
    Select(String),
    Search(String, bool),
    Headers(String),
    Fetch(String, NonZeroU32),
    Append(String, String),
    Idle(String, u64),
}

#[derive(Debug)]
struct Options {
    server: String,
    security: Security,
    ca: Option<String>,
    user: String,
    pass: String,
    action: Action,
}

const USAGE: &str = "usage: imap-client --server HOST:PORT [--starttls|--tls] [--ca CERT] \
--user U --pass P (list [PATTERN] | select MAILBOX | search MAILBOX [unseen] | \
headers MAILBOX | fetch MAILBOX N | append MAILBOX FILE | idle MAILBOX SECONDS)";

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut server, mut ca, mut user, mut pass, mut action) = (None, None, None, None, None);
    let mut security = Security::Plain;
    let required = |value: Option<String>, what: &str| {
        value.ok_or_else(|| format!("{what} is missing\n{USAGE}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => server = args.next(),
            "--ca" => ca = args.next(),
            "--user" => user = args.next(),
            "--pass" => pass = args.next(),
            "--starttls" => security = Security::StartTls,
            "--tls" => security = Security::Tls,
            "list" => action = Some(Action::List(args.next().unwrap_or_else(|| "*".into()))),
            "select" => action = Some(Action::Select(required(args.next(), "MAILBOX")?)),
            "headers" => action = Some(Action::Headers(required(args.next(), "MAILBOX")?)),
            "search" => {
                let mailbox = required(args.next(), "MAILBOX")?;
                let unseen = match args.next().as_deref() {
                    None => false,
                    Some("unseen") => true,
                    Some(other) => return Err(format!("unknown search {other:?}\n{USAGE}")),
                };
                action = Some(Action::Search(mailbox, unseen));
            }
            "fetch" => {
                let mailbox = required(args.next(), "MAILBOX")?;
                let number = required(args.next(), "N")?
                    .parse::<NonZeroU32>()
                    .map_err(|_| format!("N is a message number from 1\n{USAGE}"))?;
                action = Some(Action::Fetch(mailbox, number));
            }
            "append" => {
                let mailbox = required(args.next(), "MAILBOX")?;
                action = Some(Action::Append(mailbox, required(args.next(), "FILE")?));
            }
            "idle" => {
                let mailbox = required(args.next(), "MAILBOX")?;
                let seconds = required(args.next(), "SECONDS")?
                    .parse::<u64>()
                    .map_err(|_| format!("SECONDS is a number\n{USAGE}"))?;
                action = Some(Action::Idle(mailbox, seconds));
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Options {
        server: required(server, "--server")?,
        security,
        ca,
        user: required(user, "--user")?,
        pass: required(pass, "--pass")?,
        action: action.ok_or_else(|| format!("COMMAND is missing\n{USAGE}"))?,
    })
}

fn tls_connector(
    ca: Option<&str>,
) -> Result<tokio_rustls::TlsConnector, Box<dyn std::error::Error>> {
    let ca =
        ca.ok_or("--ca CERT is required with --tls or --starttls (no system roots are bundled)")?;
    let config = mailwire_core::tls::client_config(&Trust::CaPem(std::fs::read(ca)?))?;
    Ok(tokio_rustls::TlsConnector::from(config))
}

fn server_name(
    server: &str,
) -> Result<rustls::pki_types::ServerName<'static>, Box<dyn std::error::Error>> {
    let host = match server.rsplit_once(':') {
        Some((host, _port)) => host.trim_start_matches('[').trim_end_matches(']'),
        None => server,
    };
    Ok(rustls::pki_types::ServerName::try_from(host.to_string())?)
}

fn header_fields() -> FetchAttributes<'static> {
    let names = ["FROM", "DATE", "SUBJECT"].map(|name| IString::try_from(name).ok());
    let names: Vec<IString<'static>> = names.into_iter().flatten().collect();
    let section = NonEmpty::try_from(names)
        .ok()
        .map(|names| Section::HeaderFields(None, names));
    FetchAttributes::Attributes(NonEmpty::new(FetchAttribute::BodySection {
        peek: true,
        section,
        partial: None,
    }))
}

async fn run_action<S: AsyncRead + AsyncWrite + Unpin>(
    mut client: ImapClient<S>,
    options: &Options,
) -> Result<(), Box<dyn std::error::Error>> {
    client.login(&options.user, &options.pass).await?;
    let mut stdout = std::io::stdout().lock();
    match &options.action {
        Action::List(pattern) => {
            for list in client.list("", pattern).await? {
                let attributes: Vec<String> = list
                    .attributes
                    .iter()
                    .map(|attribute| format!("{attribute:?}"))
                    .collect();
                writeln!(
                    stdout,
                    "{}\t{}",
                    list.mailbox.name().to_string_lossy(),
                    attributes.join(" ")
                )?;
            }
        }
        Action::Select(mailbox) => {
            let state = client.select(mailbox).await?;
            writeln!(stdout, "exists: {}", state.exists)?;
            writeln!(stdout, "recent: {}", state.recent)?;
            writeln!(stdout, "read-only: {}", state.read_only)?;
            if let Some(validity) = state.uid_validity {
                writeln!(stdout, "uidvalidity: {validity}")?;
            }
            if let Some(next) = state.uid_next {
                writeln!(stdout, "uidnext: {next}")?;
            }
            if let Some(modseq) = state.highest_mod_seq {
                writeln!(stdout, "highestmodseq: {modseq}")?;
            }
            writeln!(stdout, "flags: {:?}", state.flags)?;
        }
        Action::Search(mailbox, unseen) => {
            client.examine(mailbox).await?;
            let key = if *unseen {
                SearchKey::Unseen
            } else {
                SearchKey::All
            };
            let numbers = client.search(false, NonEmpty::new(key)).await?;
            let numbers: Vec<String> = numbers.iter().map(ToString::to_string).collect();
            writeln!(stdout, "{}", numbers.join(" "))?;
        }
        Action::Headers(mailbox) => {
            let state = client.examine(mailbox).await?;
            if state.exists > 0 {
                for message in client
                    .fetch(false, SequenceSet::all(), header_fields())
                    .await?
                {
                    writeln!(stdout, "--- message {}", message.sequence_number)?;
                    if let Some(header) = message.body() {
                        stdout.write_all(header)?;
                    }
                }
            }
        }
        Action::Fetch(mailbox, number) => {
            client.examine(mailbox).await?;
            let body = FetchAttributes::Attributes(NonEmpty::new(FetchAttribute::BodySection {
                peek: true,
                section: None,
                partial: None,
            }));
            let mut failed = None;
            let mut sink = |_: NonZeroU32, _: &BodyItem, chunk: bytes::Bytes| {
                if let Err(error) = std::io::stdout().write_all(&chunk) {
                    failed.get_or_insert(error);
                }
            };
            let answer = client
                .run_with(
                    mailwire_imap::types::CommandBody::Fetch {
                        uid: false,
                        sequence_set: SequenceSet::single(*number),
                        attributes: body,
                        modifiers: Vec::new(),
                    },
                    &mut sink,
                )
                .await?;
            if let Some(error) = failed {
                return Err(error.into());
            }
            // A server may send a small message as a quoted string instead of a literal.
            for message in &answer.fetches {
                for item in &message.items {
                    if let MessageDataItem::BodySection {
                        data: Some(data), ..
                    } = item
                    {
                        stdout.write_all(data.as_bytes())?;
                    }
                }
            }
        }
        Action::Append(mailbox, file) => {
            let message = std::fs::read(file)?;
            let completion = client.append(mailbox, Vec::new(), &message).await?;
            writeln!(stdout, "appended: {completion:?}")?;
        }
        Action::Idle(mailbox, seconds) => {
            client.select(mailbox).await?;
            writeln!(stdout, "idling for {seconds} s")?;
            stdout.flush()?;
            let updates = client
                .idle(Duration::from_secs(*seconds), |event| {
                    if let ClientEvent::Data { data, .. } = event {
                        println!("{data:?}");
                    }
                    false
                })
                .await?;
            writeln!(stdout, "{} updates", updates.len())?;
            if let Some(state) = client.machine().mailbox() {
                writeln!(stdout, "exists: {}", state.exists)?;
            }
        }
    }
    stdout.flush()?;
    drop(stdout);
    client.logout().await?;
    Ok(())
}

async fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let tcp = TcpStream::connect(&options.server).await?;
    match options.security {
        Security::Plain => {
            let (client, _) = ImapClient::connect(tcp, ClientConfig::default()).await?;
            run_action(client, &options).await
        }
        Security::Tls => {
            let connector = tls_connector(options.ca.as_deref())?;
            let tls = connector
                .connect(server_name(&options.server)?, tcp)
                .await?;
            let config = ClientConfig {
                implicit_tls: true,
                ..ClientConfig::default()
            };
            let (client, _) = ImapClient::connect(tls, config).await?;
            run_action(client, &options).await
        }
        Security::StartTls => {
            let connector = tls_connector(options.ca.as_deref())?;
            let name = server_name(&options.server)?;
            let (client, _) = ImapClient::connect(tcp, ClientConfig::default()).await?;
            let client = client
                .starttls(|plain| connector.connect(name, plain))
                .await?;
            run_action(client, &options).await
        }
    }
}

fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = match error.downcast_ref::<ImapError>() {
        Some(ImapError::Refused { state, text }) => {
            format!("server said {state:?}: {}", text.text)
        }
        _ => error.to_string(),
    };
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn main() -> std::process::ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("imap-client: {}", describe(error.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}
