//! The mailwire reference mail server.
//!
//! ```text
//! mailserver [--data-dir DIR] [--config FILE] [run]   start the whole system
//! mailserver user add ADDRESS                          add a user (password on stdin)
//! mailserver user list                                 list the users
//! mailserver queue list                                show the queued messages
//! mailserver queue flush                               retry every deferred recipient now
//! ```
//!
//! The first start writes `DIR/mailserver.toml` with every default, makes a self-signed
//! certificate, a demo user whose password is printed once, and the DKIM key submission
//! signs with (its DNS TXT records printed, and kept in `DIR/dkim/`). See
//! examples/README.md.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::{Parser, Subcommand};
use mailwire_examples::access::AccessRole;
use mailwire_examples::config::Config;
use mailwire_examples::delivery::LmtpTarget;
use mailwire_examples::inbound::Role;
use mailwire_examples::queue::{OsSeededRandom, Queue, RecipientState, SystemClock};
use mailwire_examples::server::{self, Prepared, QUEUE_FOLDER};
use mailwire_examples::users::{normalize_address, PasswordChange, SALT_LEN};

/// The mailwire mail server: SMTP MX, submission and submissions, a durable queue, MX
/// relay and local delivery into Maildirs.
#[derive(Debug, Parser)]
#[command(name = "mailserver", version, about)]
struct Cli {
    /// The data folder (configuration, users, certificate, queue, mailboxes).
    #[arg(long, global = true, default_value = "mailwire-data")]
    data_dir: PathBuf,
    /// The configuration file (default DATA_DIR/mailserver.toml; written with every
    /// default when missing).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the whole system (the default).
    Run,
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Look at the queue.
    Queue {
        #[command(subcommand)]
        action: QueueAction,
    },
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Add a user, or change its password; the password is read from standard input
    /// (its first line).
    Add {
        /// The user's address, in one of the local domains.
        address: String,
    },
    /// List the users.
    List,
}

#[derive(Debug, Subcommand)]
enum QueueAction {
    /// Show every queued message and its recipients' states.
    List,
    /// Make every deferred recipient due now (the running server notices within seconds).
    Flush,
}

/// Random octets from the operating system: the only source of randomness of the
/// program, handed to what needs it.
fn os_random(buffer: &mut [u8]) {
    if let Err(error) = getrandom::fill(buffer) {
        // Without the system's randomness no password or salt can be made safely.
        eprintln!("mailserver: the operating system gave no random octets: {error}");
        std::process::exit(1);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Run);
    let running = matches!(command, Command::Run);
    let prepared = match server::prepare(
        &cli.data_dir,
        cli.config.as_deref(),
        running,
        &mut os_random,
    ) {
        Ok(prepared) => prepared,
        Err(error) => {
            eprintln!("mailserver: {error}");
            return ExitCode::FAILURE;
        }
    };
    if prepared.config_created {
        println!(
            "mailserver: wrote the default configuration to {}",
            prepared.config_path.display()
        );
    }
    if let Some((address, password)) = &prepared.demo_user {
        println!("mailserver: demo user {address} password {password}");
        println!("mailserver: (the password is stored hashed and shown only this once)");
    }
    if let Some(dkim) = prepared.dkim.as_ref().filter(|dkim| dkim.created) {
        println!(
            "mailserver: made the DKIM key of selector {}; publish these TXT records (also in {}):",
            dkim.keys.selector(),
            dkim.records_path.display()
        );
        print!("{}", dkim.records);
    }
    match command {
        Command::Run => run(&cli.data_dir, prepared),
        Command::User { action } => match action {
            UserAction::Add { address } => add_user(&cli.data_dir, &prepared.config, &address),
            UserAction::List => {
                for address in server::user_store(&prepared.config, &cli.data_dir).addresses() {
                    println!("{address}");
                }
                ExitCode::SUCCESS
            }
        },
        Command::Queue { action } => queue_command(&cli.data_dir, action),
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(error) => {
            eprintln!("mailserver: cannot start the runtime: {error}");
            None
        }
    }
}

fn run(data_dir: &Path, prepared: Prepared) -> ExitCode {
    init_logging(&prepared.config.log);
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let demo_user = prepared.config.demo_user.to_lowercase();
    let cert = Config::resolve(data_dir, &prepared.config.tls.cert);
    runtime.block_on(async {
        let running = match server::start(
            prepared.config,
            data_dir,
            Arc::new(SystemClock),
            Arc::new(OsSeededRandom::default()),
        )
        .await
        {
            Ok(running) => running,
            Err(error) => {
                eprintln!("mailserver: {error}");
                return ExitCode::FAILURE;
            }
        };
        for role in [Role::Mx, Role::Submission, Role::Submissions] {
            if let Some(address) = running.address(role) {
                println!("mailserver: {role} listening on {address}");
            }
        }
        for role in [
            AccessRole::Pop3,
            AccessRole::Pop3s,
            AccessRole::Imap,
            AccessRole::Imaps,
        ] {
            if let Some(address) = running.access_address(role) {
                println!("mailserver: {role} listening on {address}");
            }
        }
        let lmtp = match running.lmtp() {
            LmtpTarget::Tcp(address) => address.to_string(),
            LmtpTarget::Unix(path) => format!("unix:{}", path.display()),
        };
        println!("mailserver: delivery agent (lmtp) listening on {lmtp}");
        println!("mailserver: data in {}", data_dir.display());
        if !demo_user.is_empty() {
            print_client_settings(&running, &demo_user, &cert);
        }
        let _ = std::io::stdout().flush();
        wait_for_signal().await;
        running.shutdown().await;
        ExitCode::SUCCESS
    })
}

/// How to point Thunderbird (or any mail client) at this server as `user`.
fn print_client_settings(running: &server::Running, user: &str, cert: &Path) {
    let both = |plain: Option<std::net::SocketAddr>, tls: Option<std::net::SocketAddr>| {
        let mut ways = Vec::new();
        if let Some(address) = plain {
            ways.push(format!(
                "server {} port {}, STARTTLS",
                address.ip(),
                address.port()
            ));
        }
        if let Some(address) = tls {
            ways.push(format!(
                "server {} port {}, SSL/TLS",
                address.ip(),
                address.port()
            ));
        }
        ways.join("; or ")
    };
    let incoming = both(
        running.access_address(AccessRole::Imap),
        running.access_address(AccessRole::Imaps),
    );
    let download = both(
        running.access_address(AccessRole::Pop3),
        running.access_address(AccessRole::Pop3s),
    );
    let outgoing = both(
        running.address(Role::Submission),
        running.address(Role::Submissions),
    );
    println!("mailserver: to use it as {user} from Thunderbird or any mail client:");
    if !incoming.is_empty() {
        println!("mailserver:   incoming mail (IMAP): {incoming}");
    }
    if !download.is_empty() {
        println!("mailserver:   or incoming mail (POP3): {download}");
    }
    if !outgoing.is_empty() {
        println!("mailserver:   outgoing mail (SMTP): {outgoing}");
    }
    println!("mailserver:   user name {user}, normal password (the one printed at first start)");
    println!(
        "mailserver:   the certificate is self-signed: accept it once, or trust {}",
        cert.display()
    );
}

/// Ctrl-C, or SIGTERM on unix.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn add_user(data_dir: &Path, config: &Config, address: &str) -> ExitCode {
    let Some(address) = normalize_address(address) else {
        eprintln!("mailserver: {address} is not a plain local@domain address");
        return ExitCode::from(2);
    };
    if !config.is_local_address(&address) {
        eprintln!(
            "mailserver: {address} is not in the local domains ({})",
            config.local_domains.join(", ")
        );
        return ExitCode::from(2);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("password for {address}: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    if let Err(error) = stdin.lock().read_line(&mut line) {
        eprintln!("mailserver: cannot read the password: {error}");
        return ExitCode::FAILURE;
    }
    let password = line.trim_end_matches(['\r', '\n']);
    let mut salt = [0u8; SALT_LEN];
    os_random(&mut salt);
    match server::user_store(config, data_dir).set_password(&address, password, &salt) {
        Ok(PasswordChange::Added) => {
            println!("mailserver: user {address} added");
            ExitCode::SUCCESS
        }
        Ok(PasswordChange::Replaced) => {
            println!("mailserver: password of {address} changed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("mailserver: {error}");
            ExitCode::FAILURE
        }
    }
}

fn queue_command(data_dir: &Path, action: QueueAction) -> ExitCode {
    let Some(runtime) = runtime() else {
        return ExitCode::FAILURE;
    };
    let spool = data_dir.join(QUEUE_FOLDER);
    runtime.block_on(async {
        match action {
            QueueAction::List => match Queue::scan(&spool).await {
                Ok(records) => {
                    let now = SystemTime::now();
                    for record in &records {
                        let age = now
                            .duration_since(record.envelope.received_at)
                            .map(|age| age.as_secs())
                            .unwrap_or(0);
                        println!(
                            "{} {} octets, {} s old, from <{}>",
                            record.id,
                            record.size,
                            age,
                            record.envelope.reverse_path.as_deref().unwrap_or("")
                        );
                        for recipient in &record.recipients {
                            let state = match recipient.state {
                                RecipientState::Pending { .. } => "pending",
                                RecipientState::Delivered => "delivered",
                                RecipientState::Failed => "failed",
                            };
                            let last = recipient
                                .last
                                .as_ref()
                                .map(|d| format!(" ({} {})", d.status, d.text))
                                .unwrap_or_default();
                            println!(
                                "    {} {state}, {} attempts{last}",
                                recipient.recipient.address, recipient.attempts
                            );
                        }
                    }
                    println!("mailserver: {} queued messages", records.len());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("mailserver: {error}");
                    ExitCode::FAILURE
                }
            },
            QueueAction::Flush => match Queue::request_flush(&spool).await {
                Ok(()) => {
                    println!("mailserver: flush requested");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("mailserver: {error}");
                    ExitCode::FAILURE
                }
            },
        }
    })
}
