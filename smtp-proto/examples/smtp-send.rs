//! Sends one message with the mailwire client machine and prints each recipient's result.
//!
//! ```text
//! cargo run -p mailwire-smtp --features tokio --example smtp-send -- \
//!     --server 127.0.0.1:2525 --from alice@example.org --to bob@example.com \
//!     [--to carol@example.com] [--starttls --ca cert.pem [--tls-name mx.example.com]] \
//!     [--auth USER:PASS] [--helo client.example] [--lmtp] message.eml
//! ```
//!
//! The file is sent as it is, except that bare LF line ends become CRLF (the canonical
//! form both DATA and BDAT need). STARTTLS needs `--ca`: PEM certificates that either
//! sign the server's certificate or are the server's (self-signed) certificate itself. With `--auth` the client uses PLAIN, or LOGIN
//! when PLAIN is not offered. The exit status is 0 when the server accepted the message
//! for at least one recipient.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use mailwire_core::Session;
use mailwire_smtp::client::{
    Client, ClientConfig, ClientEvent, Credentials, MailEnvelope, RecipientResult, RecipientStage,
    RecipientStatus, TransactionOutcome,
};
use mailwire_smtp::tokio::{Driver, Next};
use mailwire_smtp::types::{Body, Host, Mailbox, Mechanism, Reply};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// Any byte stream the driver can run on: plain TCP first, TLS after STARTTLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

struct Options {
    server: String,
    from: String,
    to: Vec<String>,
    starttls: bool,
    ca: Option<String>,
    tls_name: Option<String>,
    auth: Option<(String, String)>,
    helo: String,
    lmtp: bool,
    file: String,
}

const USAGE: &str = "usage: smtp-send --server HOST:PORT --from ADDR --to ADDR [--to ADDR]... \
[--starttls --ca CERT.pem [--tls-name NAME]] [--auth USER:PASS] [--helo NAME] [--lmtp] FILE";

fn parse_options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        server: String::new(),
        from: String::new(),
        to: Vec::new(),
        starttls: false,
        ca: None,
        tls_name: None,
        auth: None,
        helo: String::from("localhost"),
        lmtp: false,
        file: String::new(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--server" => options.server = value("--server")?,
            "--from" => options.from = value("--from")?,
            "--to" => options.to.push(value("--to")?),
            "--starttls" => options.starttls = true,
            "--ca" => options.ca = Some(value("--ca")?),
            "--tls-name" => options.tls_name = Some(value("--tls-name")?),
            "--auth" => {
                let text = value("--auth")?;
                let (user, pass) = text.split_once(':').ok_or("--auth takes USER:PASS")?;
                options.auth = Some((user.to_string(), pass.to_string()));
            }
            "--helo" => options.helo = value("--helo")?,
            "--lmtp" => options.lmtp = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other if other.starts_with("--") => return Err(format!("unknown option {other}")),
            other => options.file = other.to_string(),
        }
    }
    if options.server.is_empty()
        || options.from.is_empty()
        || options.to.is_empty()
        || options.file.is_empty()
    {
        return Err(USAGE.to_string());
    }
    if options.starttls && options.ca.is_none() {
        return Err("--starttls needs --ca CERT.pem".to_string());
    }
    Ok(options)
}

/// Completes bare LF line ends to CRLF.
fn canonical_line_ends(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut previous = 0u8;
    for &byte in raw {
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(byte);
        previous = byte;
    }
    out
}

fn describe(reply: &Reply<'_>) -> String {
    let mut text = reply.code().to_string();
    if let Some(enhanced) = reply.enhanced() {
        text.push(' ');
        text.push_str(&enhanced.to_string());
    }
    text.push(' ');
    text.push_str(reply.first_line());
    text
}

/// Accepts what the roots in `--ca` sign (full WebPKI checks), or a server certificate
/// that is byte for byte one of the `--ca` certificates: a self-signed certificate made
/// with `openssl req -x509` is marked as a CA, which WebPKI refuses as a server's own
/// certificate, yet pinning it exactly is as strong an identity check.
#[derive(Debug)]
struct PinnedOrSigned {
    signed: Arc<rustls::client::WebPkiServerVerifier>,
    pinned: Vec<rustls::pki_types::CertificateDer<'static>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for PinnedOrSigned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self.signed.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(_)
                if self
                    .pinned
                    .iter()
                    .any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            Err(error) => Err(error),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn tls_connector(ca: &str) -> Result<tokio_rustls::TlsConnector, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("cannot read {ca}: {e}"))?;
    let mut roots = rustls::RootCertStore::empty();
    let mut pinned = Vec::new();
    for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
        let cert = cert.map_err(|e| format!("bad certificate in {ca}: {e}"))?;
        roots
            .add(cert.clone())
            .map_err(|e| format!("unusable certificate in {ca}: {e}"))?;
        pinned.push(cert);
    }
    if pinned.is_empty() {
        return Err(format!("no certificate in {ca}"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let signed = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| format!("certificates in {ca}: {e}"))?;
    let verifier = PinnedOrSigned {
        signed,
        pinned,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

struct Run {
    options: Options,
    content: Vec<u8>,
    /// The last result of each recipient, by envelope position.
    results: BTreeMap<usize, RecipientResult>,
    outcome: Option<TransactionOutcome>,
    sent: bool,
    failure: Option<String>,
}

impl Run {
    /// The next step once the session is ready (after EHLO, STARTTLS or AUTH).
    fn proceed(&mut self, client: &mut Client) -> Result<(), String> {
        if self.options.starttls && !client.is_tls() {
            return client.starttls().map_err(|e| format!("starttls: {e}"));
        }
        if let Some((user, pass)) = &self.options.auth {
            if !client.is_authenticated() {
                let plain = client
                    .capabilities()
                    .is_some_and(|c| c.offers_mechanism(&Mechanism::PLAIN));
                let credentials = if plain {
                    Credentials::plain(user.clone(), pass.clone())
                } else {
                    Credentials::login(user.clone(), pass.clone())
                };
                return client
                    .authenticate(credentials)
                    .map_err(|e| format!("auth: {e}"));
            }
        }
        if self.sent {
            return Ok(());
        }
        self.sent = true;
        let from = Mailbox::parse(&self.options.from)
            .map_err(|e| format!("--from: {e}"))?
            .into_owned();
        let mut envelope = MailEnvelope::new(from).size(self.content.len() as u64);
        for to in &self.options.to {
            let to = Mailbox::parse(to).map_err(|e| format!("--to {to}: {e}"))?;
            envelope = envelope.to(to.into_owned());
        }
        let eight_bit = !self.content.is_ascii();
        if eight_bit
            && client
                .capabilities()
                .is_some_and(|c| c.has_keyword("8BITMIME"))
        {
            envelope = envelope.body(Body::EightBitMime);
        }
        client
            .start_mail(envelope)
            .map_err(|e| format!("cannot send: {e}"))?;
        // The machine holds the content until the server is ready for it.
        for chunk in self.content.chunks(64 * 1024) {
            client
                .send_body(chunk.to_vec())
                .map_err(|e| format!("content: {e}"))?;
        }
        client.finish_body().map_err(|e| format!("content: {e}"))
    }

    fn on_event(&mut self, client: &mut Client, event: ClientEvent) -> Result<(), String> {
        match event {
            ClientEvent::Greeting { reply } => println!("connected: {}", describe(&reply)),
            ClientEvent::Ready { tls, .. } => {
                if tls {
                    println!("tls active");
                }
                self.proceed(client)?;
            }
            ClientEvent::Authenticated { .. } => {
                println!("authenticated");
                self.proceed(client)?;
            }
            ClientEvent::AuthFailed { reply } => {
                self.failure = Some(format!("authentication failed: {}", describe(&reply)));
                let _ = client.quit();
            }
            ClientEvent::StartTlsRefused { reply } => {
                self.failure = Some(format!("starttls refused: {}", describe(&reply)));
                let _ = client.quit();
            }
            ClientEvent::Recipient(result) => {
                if result.stage == RecipientStage::Rcpt
                    && result.status != RecipientStatus::Accepted
                {
                    // Refused at RCPT: final. Accepted ones wait for the content's reply.
                    self.results.insert(result.index, result);
                } else if result.stage == RecipientStage::Delivery {
                    self.results.insert(result.index, result);
                }
            }
            ClientEvent::TransactionDone(report) => {
                self.outcome = Some(report.outcome);
                if let Some(reply) = report.reply {
                    println!("server: {}", describe(&reply));
                }
                let _ = client.quit();
            }
            ClientEvent::GreetingRefused { reply } | ClientEvent::HelloRefused { reply } => {
                self.failure = Some(format!("refused: {}", describe(&reply)));
            }
            ClientEvent::ServiceClosing { reply } => {
                self.failure = Some(format!("server closing: {}", describe(&reply)));
            }
            ClientEvent::TimedOut { waiting } => {
                self.failure = Some(format!("timed out waiting for {waiting:?}"));
            }
            ClientEvent::ProtocolError(error) => eprintln!("protocol error: {error}"),
            ClientEvent::ConnectionLost => {
                self.failure = Some("connection lost".to_string());
            }
            _ => {}
        }
        Ok(())
    }
}

async fn run(options: Options) -> Result<bool, String> {
    let raw = std::fs::read(&options.file).map_err(|e| format!("{}: {e}", options.file))?;
    let content = canonical_line_ends(&raw);
    let helo = Host::new(&options.helo)
        .map_err(|e| format!("--helo: {e}"))?
        .into_owned();
    let config = if options.lmtp {
        ClientConfig::lmtp(helo)
    } else {
        ClientConfig::new(helo)
    };
    let connector = match &options.ca {
        Some(ca) => Some(tls_connector(ca)?),
        None => None,
    };
    let tls_name = options.tls_name.clone().unwrap_or_else(|| {
        options
            .server
            .rsplit_once(':')
            .map_or(options.server.as_str(), |(host, _)| host)
            .trim_matches(|c| c == '[' || c == ']')
            .to_string()
    });

    let tcp = TcpStream::connect(&options.server)
        .await
        .map_err(|e| format!("{}: {e}", options.server))?;
    let stream: Box<dyn Stream> = Box::new(tcp);
    let client = Client::new(config, tokio::time::Instant::now().into_std());
    let mut driver = Driver::new(stream, client);
    let mut state = Run {
        options,
        content,
        results: BTreeMap::new(),
        outcome: None,
        sent: false,
        failure: None,
    };

    loop {
        match driver.next_event().await.map_err(|e| format!("i/o: {e}"))? {
            Next::Event(event) => {
                if let Err(error) = state.on_event(driver.machine_mut(), event) {
                    state.failure = Some(error);
                    let _ = driver.machine_mut().quit();
                }
            }
            Next::StartTls => {
                let Some(connector) = &connector else {
                    return Err("the server asked for tls without --ca".to_string());
                };
                let (stream, mut client) = driver.into_parts();
                let name = rustls::pki_types::ServerName::try_from(tls_name.clone())
                    .map_err(|e| format!("tls name {tls_name}: {e}"))?;
                let tls = connector
                    .connect(name, stream)
                    .await
                    .map_err(|e| format!("tls handshake: {e}"))?;
                client.handle_tls_established(tokio::time::Instant::now().into_std());
                let stream: Box<dyn Stream> = Box::new(tls);
                driver = Driver::new(stream, client);
            }
            Next::Closed => break,
        }
    }

    for (index, to) in state.options.to.iter().enumerate() {
        match state.results.get(&index) {
            Some(result) => {
                let status = match (result.stage, result.status) {
                    (_, RecipientStatus::Accepted) => "accepted",
                    (RecipientStage::Rcpt, RecipientStatus::Rejected) => "rejected at RCPT",
                    (RecipientStage::Rcpt, RecipientStatus::Deferred) => "deferred at RCPT",
                    (_, RecipientStatus::Rejected) => "rejected",
                    (_, RecipientStatus::Deferred) => "deferred",
                };
                println!("{to}: {status} ({})", describe(&result.reply));
            }
            None => println!("{to}: not delivered"),
        }
    }
    if let Some(failure) = &state.failure {
        eprintln!("error: {failure}");
    }
    Ok(matches!(
        state.outcome,
        Some(TransactionOutcome::Accepted { .. })
    ))
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
