//! smtp-sink: an SMTP server that accepts every message and stores it in a Maildir.
//!
//! ```text
//! cargo run -p mailwire-smtp --features tokio --example smtp-sink -- \
//!     --listen 127.0.0.1:2525 --maildir DIR [--tls-cert CERT.pem --tls-key KEY.pem] \
//!     [--hostname NAME] [--auth USER:PASSWORD]
//! ```
//!
//! It offers PIPELINING, 8BITMIME, SMTPUTF8, CHUNKING, SIZE, ENHANCEDSTATUSCODES, and
//! STARTTLS when given a certificate; with `--auth`, AUTH PLAIN and LOGIN after STARTTLS
//! for that one user. Each message is written to `DIR/tmp/`, flushed to disk, renamed
//! into `DIR/new/` (Maildir, <https://cr.yp.to/proto/maildir.html>) and only then
//! acknowledged with 250: nothing acknowledged is lost. One line per message goes to
//! standard output.
//!
//! The machine is `mailwire_smtp::server::ServerSession`; the bytes move through the
//! tokio driver re-exported in `mailwire_smtp::tokio`; TLS is tokio-rustls, handed the
//! stream by the driver at STARTTLS.
#![forbid(unsafe_code)]

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_core::Session;
use mailwire_smtp::server::{ServerConfig, ServerEvent};
use mailwire_smtp::tokio::{server_driver, Driver, Next, ServerDriver};
use mailwire_smtp::types::{Mechanism, Reply, ReplyCode, ReversePath};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

/// What the sink serves.
pub struct SinkOptions {
    /// Folder of the Maildir (`tmp/`, `new/`, `cur/` are created).
    pub maildir: PathBuf,
    /// The server's name in its replies.
    pub hostname: String,
    /// TLS for STARTTLS, if any.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// The one user allowed to authenticate (AUTH PLAIN and LOGIN, after STARTTLS).
    pub user: Option<(String, String)>,
}

/// Any byte stream the driver can run on: plain TCP, then TLS after STARTTLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

type BoxedStream = Box<dyn Stream>;

/// Accepts connections until the listener fails; each runs in its own task.
pub async fn serve(listener: TcpListener, options: Arc<SinkOptions>) -> io::Result<()> {
    for folder in ["tmp", "new", "cur"] {
        tokio::fs::create_dir_all(options.maildir.join(folder)).await?;
    }
    let config = sink_config(&options)?;
    loop {
        let (stream, peer) = listener.accept().await?;
        let options = Arc::clone(&options);
        let config = Arc::clone(&config);
        tokio::spawn(async move {
            if let Err(error) = connection(stream, peer, config, &options).await {
                println!("smtp-sink: {peer}: connection error: {error}");
            }
        });
    }
}

fn sink_config(options: &SinkOptions) -> io::Result<Arc<ServerConfig>> {
    let mut builder = ServerConfig::builder(options.hostname.as_str())
        .greeting_text("ESMTP mailwire smtp-sink")
        .starttls(options.tls.is_some());
    if options.user.is_some() {
        builder = builder.auth_mechanisms([Mechanism::PLAIN, Mechanism::LOGIN]);
    }
    builder
        .build_shared()
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))
}

/// The message being received.
struct Incoming {
    temporary: PathBuf,
    name: String,
    file: tokio::fs::File,
}

/// One SMTP session.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    config: Arc<ServerConfig>,
    options: &SinkOptions,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let driver: ServerDriver<BoxedStream> = server_driver(Box::new(stream), config);
    let mut sender = String::new();
    let mut incoming: Option<Incoming> = None;
    let outcome = session(driver, peer, options, &mut sender, &mut incoming).await;
    // A message cut short (client gone, I/O error) leaves nothing behind in tmp/.
    if let Some(abandoned) = incoming.take() {
        discard(abandoned).await;
    }
    outcome
}

async fn session(
    mut driver: ServerDriver<BoxedStream>,
    peer: SocketAddr,
    options: &SinkOptions,
    sender: &mut String,
    incoming: &mut Option<Incoming>,
) -> io::Result<()> {
    loop {
        match driver.next_event().await? {
            Next::Event(event) => {
                handle(&mut driver, event, peer, options, sender, incoming).await?
            }
            Next::StartTls => {
                let Some(acceptor) = options.tls.clone() else {
                    return Err(io::Error::other("STARTTLS without a certificate"));
                };
                // The driver stopped reading at the 220: the client's handshake is intact.
                let (stream, mut machine) = driver.into_parts();
                let tls = acceptor.accept(stream).await?;
                machine.handle_tls_established(tokio::time::Instant::now().into_std());
                driver = Driver::new(Box::new(tls), machine);
            }
            Next::Closed => return Ok(()),
        }
    }
}

async fn handle(
    driver: &mut ServerDriver<BoxedStream>,
    event: ServerEvent,
    peer: SocketAddr,
    options: &SinkOptions,
    sender: &mut String,
    incoming: &mut Option<Incoming>,
) -> io::Result<()> {
    let server = driver.machine_mut();
    // The machine's ids are always fresh here, so its refusals cannot happen; a failure
    // would be a bug of this program, reported as an I/O error.
    let decided = |result: Result<(), mailwire_smtp::server::ServerError>| {
        result.map_err(|error| io::Error::other(format!("decision refused: {error}")))
    };
    match event {
        ServerEvent::Mail { id, from, .. } => {
            *sender = match from {
                ReversePath::Null => String::from("<>"),
                path => path.to_string(),
            };
            decided(server.accept(id))?;
        }
        ServerEvent::Recipient { id, .. } => decided(server.accept(id))?,
        ServerEvent::AuthCredentials {
            id,
            authcid,
            password,
            ..
        } => {
            let valid = options
                .user
                .as_ref()
                .is_some_and(|(user, pass)| *user == authcid && pass == password.expose());
            decided(if valid {
                server.accept(id)
            } else {
                server.reject(id)
            })?;
        }
        ServerEvent::MessageStart { .. } => {
            if let Some(abandoned) = incoming.take() {
                discard(abandoned).await;
            }
            *incoming = Some(create(&options.maildir, &options.hostname).await?);
        }
        ServerEvent::MessageData(chunk) => {
            if let Some(message) = incoming.as_mut() {
                message.file.write_all(&chunk).await?;
            }
        }
        ServerEvent::MessageEnd {
            id,
            size,
            recipients,
        } => {
            let stored = match incoming.take() {
                Some(message) => deliver(message, &options.maildir).await,
                None => Err(io::Error::other("message data without a file")),
            };
            let server = driver.machine_mut();
            let recipients: Vec<String> = recipients.iter().map(ToString::to_string).collect();
            match stored {
                Ok(name) => {
                    // Only now, with the file durable in new/, is the message acknowledged.
                    decided(server.accept(id))?;
                    println!(
                        "smtp-sink: {peer}: from={sender} to={} size={size} file=new/{name}",
                        recipients.join(",")
                    );
                }
                Err(error) => {
                    let reply = Reply::new(
                        ReplyCode::LOCAL_ERROR,
                        mailwire_smtp::types::EnhancedStatusCode::new(4, 3, 0),
                        ["Local error in processing"],
                    )
                    .map_err(io::Error::other)?;
                    decided(server.reply(id, reply))?;
                    println!("smtp-sink: {peer}: from={sender} not stored: {error}");
                }
            }
        }
        ServerEvent::TransactionAborted { .. } => {
            if let Some(abandoned) = incoming.take() {
                discard(abandoned).await;
            }
        }
        ServerEvent::DiscardedAfterStartTls { octets } => {
            println!("smtp-sink: {peer}: dropped {octets} octets sent after STARTTLS");
        }
        _ => {}
    }
    Ok(())
}

/// A file in `tmp/` with a unique Maildir name: `time.M<micros>P<pid>Q<n>.host`.
async fn create(maildir: &Path, hostname: &str) -> io::Result<Incoming> {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(io::Error::other)?;
    let host: String = hostname
        .chars()
        .map(|c| if c == '/' || c == ':' { '_' } else { c })
        .collect();
    let name = format!(
        "{}.M{}P{}Q{}.{host}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        SEQUENCE.fetch_add(1, Ordering::Relaxed)
    );
    let temporary = maildir.join("tmp").join(&name);
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .await?;
    Ok(Incoming {
        temporary,
        name,
        file,
    })
}

/// Flushes the message to disk, moves it into `new/` and makes the move durable.
async fn deliver(mut message: Incoming, maildir: &Path) -> io::Result<String> {
    message.file.flush().await?;
    message.file.sync_all().await?;
    drop(message.file);
    let destination = maildir.join("new").join(&message.name);
    tokio::fs::rename(&message.temporary, &destination).await?;
    // The rename lives in the directory: sync it too.
    tokio::fs::File::open(maildir.join("new"))
        .await?
        .sync_all()
        .await?;
    Ok(message.name)
}

async fn discard(message: Incoming) {
    drop(message.file);
    // Best effort: a leftover in tmp/ is what Maildir readers expect after a crash.
    let _ = tokio::fs::remove_file(&message.temporary).await;
}

/// Loads a PEM certificate chain and key for STARTTLS (rustls with the ring provider).
pub fn load_tls(cert: &Path, key: &Path) -> io::Result<tokio_rustls::TlsAcceptor> {
    let certs = rustls_pemfile::certs(&mut io::BufReader::new(std::fs::File::open(cert)?))
        .collect::<Result<Vec<_>, _>>()?;
    let key = rustls_pemfile::private_key(&mut io::BufReader::new(std::fs::File::open(key)?))?
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no private key found"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(io::Error::other)?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

const USAGE: &str = "usage: smtp-sink --listen ADDR:PORT --maildir DIR \
[--tls-cert CERT.pem --tls-key KEY.pem] [--hostname NAME] [--auth USER:PASSWORD]";

struct Arguments {
    listen: SocketAddr,
    options: SinkOptions,
}

fn parse_arguments(mut args: impl Iterator<Item = String>) -> Result<Arguments, String> {
    let mut listen = None;
    let mut maildir = None;
    let mut cert = None;
    let mut key = None;
    let mut hostname = String::from("localhost");
    let mut user = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => {
                let text = value()?;
                listen = Some(text.parse().map_err(|_| format!("bad address {text}"))?);
            }
            "--maildir" => maildir = Some(PathBuf::from(value()?)),
            "--tls-cert" => cert = Some(PathBuf::from(value()?)),
            "--tls-key" => key = Some(PathBuf::from(value()?)),
            "--hostname" => hostname = value()?,
            "--auth" => {
                let text = value()?;
                let (name, password) = text.split_once(':').ok_or("--auth takes USER:PASSWORD")?;
                user = Some((name.to_owned(), password.to_owned()));
            }
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let tls = match (cert, key) {
        (Some(cert), Some(key)) => {
            Some(load_tls(&cert, &key).map_err(|e| format!("cannot load the certificate: {e}"))?)
        }
        (None, None) => None,
        _ => return Err(String::from("--tls-cert and --tls-key go together")),
    };
    Ok(Arguments {
        listen: listen.ok_or_else(|| format!("--listen is required\n{USAGE}"))?,
        options: SinkOptions {
            maildir: maildir.ok_or_else(|| format!("--maildir is required\n{USAGE}"))?,
            hostname,
            tls,
            user,
        },
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let arguments = match parse_arguments(std::env::args().skip(1)) {
        Ok(arguments) => arguments,
        Err(message) => {
            eprintln!("smtp-sink: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(arguments.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("smtp-sink: cannot listen on {}: {error}", arguments.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    println!(
        "smtp-sink: listening on {} (STARTTLS {}), maildir {}",
        arguments.listen,
        if arguments.options.tls.is_some() {
            "on"
        } else {
            "off"
        },
        arguments.options.maildir.display()
    );
    match serve(listener, Arc::new(arguments.options)).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smtp-sink: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
