//! A small POP3 client on mailwire-pop3's client machine and tokio.
//!
//! ```text
//! cargo run -p mailwire-pop3 --features tokio --example pop3-client -- \
//!     --server 127.0.0.1:110 [--stls|--tls] [--ca CERT] --user U --pass P \
//!     (list | uidl | retr N | top N L | dele N)
//! ```
//!
//! TLS (`--tls` for port 995, `--stls` to upgrade on 110) checks the server against the
//! PEM certificates of `--ca`; no system roots are bundled, so `--ca` is required with
//! TLS. RETR and TOP write the message octets to standard output.

use std::io::Write;

use mailwire_core::tls::Trust;
use mailwire_pop3::client::ClientConfig;
use mailwire_pop3::tokio::{Pop3Client, Pop3Error};
use mailwire_pop3::types::MessageNumber;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    Stls,
    Tls,
}

#[derive(Debug)]
enum Action {
    List,
    Uidl,
    Retr(MessageNumber),
    Top(MessageNumber, u32),
    Dele(MessageNumber),
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

const USAGE: &str = "usage: pop3-client --server HOST:PORT [--stls|--tls] [--ca CERT] --user U --pass P (list|uidl|retr N|top N L|dele N)";

fn message_number(value: Option<String>) -> Result<MessageNumber, String> {
    value
        .and_then(|v| v.parse::<u32>().ok())
        .and_then(|n| MessageNumber::new(n).ok())
        .ok_or_else(|| format!("a message number (from 1) is needed\n{USAGE}"))
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut server, mut ca, mut user, mut pass, mut action) = (None, None, None, None, None);
    let mut security = Security::Plain;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => server = args.next(),
            "--ca" => ca = args.next(),
            "--user" => user = args.next(),
            "--pass" => pass = args.next(),
            "--stls" => security = Security::Stls,
            "--tls" => security = Security::Tls,
            "list" => action = Some(Action::List),
            "uidl" => action = Some(Action::Uidl),
            "retr" => action = Some(Action::Retr(message_number(args.next())?)),
            "dele" => action = Some(Action::Dele(message_number(args.next())?)),
            "top" => {
                let message = message_number(args.next())?;
                let lines = args
                    .next()
                    .and_then(|l| l.parse().ok())
                    .ok_or_else(|| format!("top needs a line count\n{USAGE}"))?;
                action = Some(Action::Top(message, lines));
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let missing = |what: &str| format!("{what} is required\n{USAGE}");
    Ok(Options {
        server: server.ok_or_else(|| missing("--server"))?,
        security,
        ca,
        user: user.ok_or_else(|| missing("--user"))?,
        pass: pass.ok_or_else(|| missing("--pass"))?,
        action: action.ok_or_else(|| missing("an action"))?,
    })
}

fn tls_connector(
    ca: Option<&str>,
) -> Result<tokio_rustls::TlsConnector, Box<dyn std::error::Error>> {
    let ca =
        ca.ok_or("--ca CERT is required with --tls or --stls (no system roots are bundled)")?;
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

async fn run_action<S: AsyncRead + AsyncWrite + Unpin>(
    mut client: Pop3Client<S>,
    options: &Options,
) -> Result<(), Pop3Error> {
    client.login(&options.user, &options.pass).await?;
    let mut stdout = std::io::stdout().lock();
    match options.action {
        Action::List => {
            for listing in client.list().await? {
                writeln!(stdout, "{} {}", listing.message, listing.size)?;
            }
        }
        Action::Uidl => {
            for listing in client.uidl().await? {
                writeln!(stdout, "{} {}", listing.message, listing.unique_id)?;
            }
        }
        Action::Retr(message) => {
            let mut failed = None;
            client
                .retr_with(message, |chunk| {
                    if let Err(error) = stdout.write_all(&chunk) {
                        failed.get_or_insert(error);
                    }
                })
                .await?;
            if let Some(error) = failed {
                return Err(error.into());
            }
        }
        Action::Top(message, lines) => stdout.write_all(&client.top(message, lines).await?)?,
        Action::Dele(message) => {
            client.dele(message).await?;
            writeln!(stdout, "message {message} marked as deleted")?;
        }
    }
    stdout.flush()?;
    drop(stdout);
    let goodbye = client.quit().await?;
    eprintln!("+OK {}", goodbye.text.to_string_lossy());
    Ok(())
}

async fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let tcp = TcpStream::connect(&options.server).await?;
    match options.security {
        Security::Plain => {
            let (client, _) = Pop3Client::connect(tcp, ClientConfig::default()).await?;
            run_action(client, &options).await?;
        }
        Security::Tls => {
            let connector = tls_connector(options.ca.as_deref())?;
            let tls: TlsStream<TcpStream> = connector
                .connect(server_name(&options.server)?, tcp)
                .await?;
            let (client, _) = Pop3Client::connect(tls, ClientConfig::default()).await?;
            run_action(client, &options).await?;
        }
        Security::Stls => {
            let connector = tls_connector(options.ca.as_deref())?;
            let name = server_name(&options.server)?;
            let (client, _) = Pop3Client::connect(tcp, ClientConfig::default()).await?;
            let client = client.stls(|plain| connector.connect(name, plain)).await?;
            run_action(client, &options).await?;
        }
    }
    Ok(())
}

fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = match error.downcast_ref::<Pop3Error>() {
        Some(Pop3Error::Refused(line)) => {
            format!("server said: -ERR {}", line.text.to_string_lossy())
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
            eprintln!("pop3-client: {}", describe(error.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}
