//! Delivers one message over LMTP and prints each recipient's result.
//!
//! ```text
//! cargo run -p mailwire-lmtp --features tokio --example lmtp-deliver -- \
//!     (--server HOST:PORT | --socket PATH) [--lhlo NAME] --from A --to B [--to C ...] FILE
//! ```
//!
//! One line per recipient, in envelope order: `address code enhanced-code text` (`-`
//! where the server gave none, for example when the connection ended before the
//! recipient's reply). `--from '<>'` sends the null sender. Line ends in FILE are made
//! CRLF, as the protocol requires. The exit status is 0 when every recipient got the
//! message, 1 when any did not, 2 when the session could not be used at all.

use std::process::ExitCode;

use mailwire_lmtp::client::{client_config, DeliveryReport, MailEnvelope};
use mailwire_lmtp::tokio::{LmtpClient, LmtpError};
use mailwire_lmtp::types::{Host, Mailbox, ReversePath};
use tokio::io::{AsyncRead, AsyncWrite};

const USAGE: &str = "usage: lmtp-deliver (--server HOST:PORT | --socket PATH) [--lhlo NAME] --from A --to B [--to C ...] FILE";

#[derive(Debug)]
enum Target {
    Tcp(String),
    Unix(String),
}

#[derive(Debug)]
struct Options {
    target: Target,
    lhlo: String,
    from: String,
    to: Vec<String>,
    file: String,
}

fn parse_options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut target, mut from, mut file) = (None, None, None);
    let mut lhlo = String::from("localhost");
    let mut to = Vec::new();
    let value = |args: &mut dyn Iterator<Item = String>, flag: &str| {
        args.next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--server" => target = Some(Target::Tcp(value(&mut args, "--server")?)),
            "--socket" => target = Some(Target::Unix(value(&mut args, "--socket")?)),
            "--lhlo" => lhlo = value(&mut args, "--lhlo")?,
            "--from" => from = Some(value(&mut args, "--from")?),
            "--to" => to.push(value(&mut args, "--to")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            _ if file.is_none() => file = Some(arg),
            _ => return Err(format!("only one FILE\n{USAGE}")),
        }
    }
    Ok(Options {
        target: target.ok_or_else(|| format!("--server or --socket is needed\n{USAGE}"))?,
        lhlo,
        from: from.ok_or_else(|| format!("--from is needed\n{USAGE}"))?,
        to: if to.is_empty() {
            return Err(format!("at least one --to is needed\n{USAGE}"));
        } else {
            to
        },
        file: file.ok_or_else(|| format!("FILE is needed\n{USAGE}"))?,
    })
}

/// `a@b` or `<a@b>`.
fn mailbox(text: &str) -> Result<Mailbox<'static>, String> {
    let bare = text
        .strip_prefix('<')
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(text);
    Mailbox::parse(bare)
        .map(Mailbox::into_owned)
        .map_err(|error| format!("{text:?} is not a mailbox: {error}"))
}

fn envelope(options: &Options) -> Result<MailEnvelope, String> {
    let from = match options.from.as_str() {
        "<>" | "" => ReversePath::Null,
        text => mailbox(text)?.into(),
    };
    options
        .to
        .iter()
        .try_fold(MailEnvelope::new(from), |envelope, to| {
            Ok(envelope.to(mailbox(to)?))
        })
}

/// The file with every line end made CRLF.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut bytes = raw.iter().peekable();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if bytes.peek() == Some(&&b'\n') {
                    bytes.next();
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            other => out.push(other),
        }
    }
    out
}

async fn deliver<S>(
    connected: Result<LmtpClient<S>, LmtpError>,
    envelope: MailEnvelope,
    message: Vec<u8>,
) -> Result<DeliveryReport, LmtpError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut client = connected?;
    let report = client.deliver(envelope, message).await?;
    // The results are known; a failing QUIT changes nothing about them.
    if let Err(error) = client.quit().await {
        eprintln!("lmtp-deliver: quit: {}", chain(&error));
    }
    Ok(report)
}

/// The error and its causes, for a useful one-line message.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let prepared = envelope(&options).and_then(|envelope| {
        let hello = Host::new(&options.lhlo)
            .map(Host::into_owned)
            .map_err(|error| format!("--lhlo {:?}: {error}", options.lhlo))?;
        let message =
            std::fs::read(&options.file).map_err(|error| format!("{}: {error}", options.file))?;
        Ok((envelope, client_config(hello), crlf(&message)))
    });
    let (envelope, config, message) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("lmtp-deliver: {message}");
            return ExitCode::from(2);
        }
    };
    let outcome = match &options.target {
        Target::Tcp(address) => {
            let connected = LmtpClient::connect_tcp(address.as_str(), config).await;
            deliver(connected, envelope, message).await
        }
        Target::Unix(path) => {
            let connected = LmtpClient::connect_unix(path, config).await;
            deliver(connected, envelope, message).await
        }
    };
    match outcome {
        Ok(report) => {
            for recipient in &report.recipients {
                println!("{recipient}");
            }
            if report.all_delivered() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            eprintln!("lmtp-deliver: {}", chain(&error));
            if let LmtpError::Refused(reply) | LmtpError::ServiceClosing(reply) = &error {
                eprintln!(
                    "lmtp-deliver: server said: {}",
                    reply.to_string().trim_end()
                );
            }
            ExitCode::from(2)
        }
    }
}
