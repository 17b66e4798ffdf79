//! One submission connection: opening it (TCP, TLS, EHLO, STARTTLS, AUTH) and running
//! mail transactions on it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mailwire_core::tokio::{Driver, Next};
use mailwire_core::{Secret, Session};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

use crate::client::{
    Client, ClientConfig, ClientError, ClientEvent, ClientTimeouts, CommandId, FailureStage,
    MailEnvelope, ProtocolError, RecipientResult, RecipientStage, RecipientStatus,
    TransactionOutcome,
};
use crate::mailer::auth::{plan, AuthPlan, Authentication};
use crate::mailer::error::{MailerError, TimeoutStage};
use crate::mailer::report::{Delivery, RecipientOutcome, RecipientReport};
use crate::types::{Body, Command, Host, ReplyCode};

/// Any stream a connection runs on: TCP, or TLS over it.
pub(crate) trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

type BoxedStream = Box<dyn AsyncStream>;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    ImplicitTls,
    StartTls,
    /// No TLS at all: only towards loopback addresses.
    PlaintextLoopback,
}

/// What every connection of a mailer is opened with.
#[derive(Debug)]
pub(crate) struct Settings {
    pub host: String,
    pub port: u16,
    pub address: Option<SocketAddr>,
    pub security: Security,
    pub tls: Arc<rustls::ClientConfig>,
    pub server_name: rustls::pki_types::ServerName<'static>,
    pub authentication: Option<Authentication>,
    pub hello_name: Option<Host<'static>>,
    pub connect_timeout: Duration,
    pub timeouts: ClientTimeouts,
    /// Largest BDAT chunk (and largest piece handed to the machine at once).
    pub chunk_size: usize,
    /// How long QUIT may take when a connection is closed politely.
    pub quit_timeout: Duration,
}

/// An open, greeted, protected and (if asked) authenticated connection.
pub(crate) struct Connection {
    driver: Driver<BoxedStream, Client>,
    /// Messages sent on this connection.
    pub messages: usize,
    /// When it was last used (tokio's clock).
    pub idle_since: tokio::time::Instant,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("machine", self.driver.machine())
            .field("messages", &self.messages)
            .field("idle_since", &self.idle_since)
            .finish_non_exhaustive()
    }
}

/// A failed transaction, and whether it may be retried on another connection.
pub(crate) struct TransactionFailure {
    pub error: MailerError,
    /// True when the server cannot have taken the message: nothing of this transaction
    /// was answered before the connection failed (a pooled connection that the server
    /// had closed meanwhile).
    pub retry_safe: bool,
    /// True when the connection is still fine for another message (the failure was
    /// the request's: an extension not offered, a size over the limit).
    pub connection_ok: bool,
}

fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// Maps an event that ends the connection to its error, if it is one.
fn fatal_event(
    event: &ClientEvent,
    last_protocol_error: &mut Option<ProtocolError>,
) -> Option<MailerError> {
    match event {
        ClientEvent::TimedOut { waiting } => {
            Some(MailerError::TimedOut(TimeoutStage::Reply(*waiting)))
        }
        ClientEvent::ServiceClosing { reply } => Some(MailerError::ServiceClosing(reply.clone())),
        ClientEvent::ConnectionLost => Some(MailerError::ConnectionLost),
        // Bytes injected between the 220 to STARTTLS and the handshake: someone on the
        // path tampers with the session, go no further.
        ClientEvent::ProtocolError(error @ ProtocolError::DataAfterStartTls { .. }) => {
            Some(MailerError::Protocol(error.clone()))
        }
        ClientEvent::ProtocolError(error) => {
            // The machine says what it did: closing errors show up as Next::Closed.
            *last_protocol_error = Some(error.clone());
            None
        }
        _ => None,
    }
}

/// The error for a machine that closed without a more precise event.
fn closed_error(last_protocol_error: Option<ProtocolError>) -> MailerError {
    last_protocol_error.map_or(MailerError::ConnectionLost, MailerError::Protocol)
}

fn client_error(error: ClientError) -> MailerError {
    match error {
        ClientError::NotOffered { extension } => MailerError::NotOffered { extension },
        ClientError::TooLarge { declared, limit } => MailerError::TooLarge { declared, limit },
        ClientError::NoRecipients => MailerError::NoRecipients,
        ClientError::MechanismNotOffered => MailerError::NoAuthMechanism,
        // Closed, busy or other states the mailer never asks for on a usable connection.
        _ => MailerError::ConnectionLost,
    }
}

/// The address literal of the local end, the EHLO name when none was configured
/// (RFC 5321 §4.1.4 prefers a name, and accepts a literal when there is none).
fn local_literal(address: SocketAddr) -> Option<Host<'static>> {
    let text = match address.ip() {
        IpAddr::V4(ip) => format!("[{ip}]"),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => format!("[{v4}]"),
            None => format!("[IPv6:{ip}]"),
        },
    };
    Host::new(&text).ok().map(Host::into_owned)
}

async fn tls_handshake(
    settings: &Settings,
    stream: BoxedStream,
) -> Result<BoxedStream, MailerError> {
    let handshake = tokio_rustls::TlsConnector::from(Arc::clone(&settings.tls))
        .connect(settings.server_name.clone(), stream);
    match tokio::time::timeout(settings.connect_timeout, handshake).await {
        Err(_) => Err(MailerError::TimedOut(TimeoutStage::TlsHandshake)),
        Ok(Err(error)) => Err(MailerError::Tls(error)),
        Ok(Ok(tls)) => Ok(Box::new(tls)),
    }
}

async fn tcp_connect(settings: &Settings) -> Result<TcpStream, MailerError> {
    mailwire_core::tokio::connect::connect_tcp(
        &settings.host,
        settings.address,
        settings.port,
        settings.connect_timeout,
        settings.security == Security::PlaintextLoopback,
    )
    .await
    .map_err(|error| match error {
        mailwire_core::tokio::connect::ConnectError::TimedOut => {
            MailerError::TimedOut(TimeoutStage::Connect)
        }
        mailwire_core::tokio::connect::ConnectError::NotLoopback => {
            MailerError::PlaintextNotLoopback
        }
        mailwire_core::tokio::connect::ConnectError::Io(error) => MailerError::Connect(error),
        _ => MailerError::Connect(std::io::Error::other("cannot connect")),
    })
}

/// Where opening a connection stands.
#[derive(Default)]
struct Opening {
    auth_started: bool,
    /// The answer to an error challenge of a token mechanism, sent once.
    after_error: Option<Vec<u8>>,
    last_protocol_error: Option<ProtocolError>,
}

impl Connection {
    /// Opens a connection and brings it to the point where mail can be sent.
    pub(crate) async fn open(settings: &Arc<Settings>) -> Result<Connection, MailerError> {
        let tcp = tcp_connect(settings).await?;
        let local = tcp.local_addr().map_err(MailerError::Connect)?;
        let hello = match &settings.hello_name {
            Some(name) => name.clone(),
            None => local_literal(local).ok_or(MailerError::InvalidConfig {
                reason: "no usable ehlo name",
            })?,
        };
        let mut config = ClientConfig::new(hello);
        config.timeouts = settings.timeouts;
        config.implicit_tls = settings.security == Security::ImplicitTls;
        let stream: BoxedStream = Box::new(tcp);
        let stream = if config.implicit_tls {
            tls_handshake(settings, stream).await?
        } else {
            stream
        };
        let mut driver = Driver::new(stream, Client::new(config, now()));
        let mut state = Opening::default();
        loop {
            let next = driver.next_event().await.map_err(MailerError::Io)?;
            let event = match next {
                Next::Event(event) => event,
                Next::StartTls => {
                    let (stream, mut client) = driver.into_parts();
                    let stream = tls_handshake(settings, stream).await?;
                    client.handle_tls_established(now());
                    driver = Driver::new(stream, client);
                    continue;
                }
                Next::Closed => return Err(closed_error(state.last_protocol_error)),
            };
            if let Some(error) = fatal_event(&event, &mut state.last_protocol_error) {
                return Err(error);
            }
            let failure = match event {
                ClientEvent::GreetingRefused { reply } => Some(MailerError::GreetingRefused(reply)),
                ClientEvent::HelloRefused { reply } => Some(MailerError::HelloRefused(reply)),
                ClientEvent::StartTlsRefused { reply } => Some(MailerError::StartTlsRefused(reply)),
                ClientEvent::AuthFailed { reply } => Some(MailerError::AuthFailed(reply)),
                ClientEvent::Authenticated { .. } => {
                    return Ok(Connection::ready(driver));
                }
                ClientEvent::AuthChallenge { .. } => {
                    let client = driver.machine_mut();
                    // Only the token mechanisms get here: their server sends an error
                    // challenge, answered once so that it can send its failure.
                    let answered = match state.after_error.take() {
                        Some(answer) => client.auth_respond(Secret::new(answer)),
                        None => client.auth_cancel(),
                    };
                    answered.err().map(client_error)
                }
                ClientEvent::Ready { tls, .. } => {
                    match Self::next_step(settings, driver.machine_mut(), tls, &mut state) {
                        Ok(true) => return Ok(Connection::ready(driver)),
                        Ok(false) => None,
                        Err(error) => Some(error),
                    }
                }
                _ => None,
            };
            if let Some(error) = failure {
                close_politely(driver, settings.quit_timeout).await;
                return Err(error);
            }
        }
    }

    /// After EHLO: STARTTLS, AUTH, or ready (`Ok(true)`).
    fn next_step(
        settings: &Settings,
        client: &mut Client,
        tls: bool,
        state: &mut Opening,
    ) -> Result<bool, MailerError> {
        if !tls && settings.security != Security::PlaintextLoopback {
            // Never a silent fallback to clear text: without STARTTLS, stop here.
            if !client
                .capabilities()
                .is_some_and(|c| c.has_keyword("STARTTLS"))
            {
                return Err(MailerError::StartTlsNotOffered);
            }
            client.starttls().map_err(client_error)?;
            return Ok(false);
        }
        let Some(authentication) = &settings.authentication else {
            return Ok(true);
        };
        if client.is_authenticated() {
            return Ok(true);
        }
        if state.auth_started {
            // EHLO again after AUTH cannot happen; refuse to loop.
            return Err(MailerError::NoAuthMechanism);
        }
        let offered = client.capabilities().ok_or(MailerError::NoAuthMechanism)?;
        let plan = plan(authentication, offered, &settings.host, settings.port)
            .ok_or(MailerError::NoAuthMechanism)?;
        state.auth_started = true;
        match plan {
            AuthPlan::Builtin(credentials) => client.authenticate(credentials),
            AuthPlan::Token {
                mechanism,
                initial,
                after_error,
            } => {
                state.after_error = Some(after_error);
                client.authenticate_with(mechanism, Some(initial))
            }
        }
        .map_err(client_error)?;
        Ok(false)
    }

    fn ready(driver: Driver<BoxedStream, Client>) -> Connection {
        Connection {
            driver,
            messages: 0,
            idle_since: tokio::time::Instant::now(),
        }
    }

    /// True when the connection can take another message.
    pub(crate) fn is_usable(&self) -> bool {
        self.driver.machine().is_idle()
    }

    /// Sends one message. `reused`: the connection sent a message before, so RSET goes
    /// first (RFC 5321 §4.1.1.5), pipelined with the envelope when the server allows.
    pub(crate) async fn transact(
        &mut self,
        mut envelope: MailEnvelope,
        content: Bytes,
        chunk_size: usize,
    ) -> Result<Delivery, TransactionFailure> {
        // Refusals of the machine before anything is sent leave the connection usable.
        let refused = |error| TransactionFailure {
            error,
            retry_safe: false,
            connection_ok: true,
        };
        let client = self.driver.machine_mut();
        let rset = if self.messages > 0 {
            Some(client.send(Command::Rset).map_err(|e| TransactionFailure {
                error: client_error(e),
                retry_safe: true,
                connection_ok: false,
            })?)
        } else {
            None
        };
        let eight_bit = !content.is_ascii();
        if eight_bit && envelope.parameters().body.is_none() {
            // RFC 6152: 8-bit content is declared; a server without 8BITMIME must not
            // get it (the machine refuses with NotOffered).
            envelope = envelope.body(Body::EightBitMime);
        }
        let size = u64::try_from(content.len()).unwrap_or(u64::MAX);
        let recipients: Vec<RecipientReport> = envelope
            .recipients()
            .iter()
            .map(|r| RecipientReport {
                recipient: r.path.clone(),
                outcome: RecipientOutcome::NotReached,
            })
            .collect();
        let started = client.start_mail(envelope.size(size));
        if let Err(error) = started {
            // Nothing of the transaction left; a queued RSET may still go, harmlessly.
            return Err(refused(client_error(error)));
        }
        let mut offset = 0;
        while offset < content.len() {
            let end = content.len().min(offset + chunk_size.max(1));
            client
                .send_body(content.slice(offset..end))
                .map_err(|e| refused(client_error(e)))?;
            offset = end;
        }
        client.finish_body().map_err(|e| refused(client_error(e)))?;
        self.messages += 1;
        self.await_transaction(rset, recipients).await
    }

    async fn await_transaction(
        &mut self,
        rset: Option<CommandId>,
        mut recipients: Vec<RecipientReport>,
    ) -> Result<Delivery, TransactionFailure> {
        // Until the server answered something of this send, a failure means the
        // connection was dead before it: safe to retry elsewhere.
        let mut answered = rset.is_none();
        let mut last_protocol_error = None;
        loop {
            let fail = |error, answered: bool| TransactionFailure {
                error,
                retry_safe: !answered,
                connection_ok: false,
            };
            let next = match self.driver.next_event().await {
                Ok(next) => next,
                Err(error) => return Err(fail(MailerError::Io(error), answered)),
            };
            let event = match next {
                Next::Event(event) => event,
                Next::Closed => return Err(fail(closed_error(last_protocol_error), answered)),
                // The mailer never asks for STARTTLS during a transaction.
                Next::StartTls => return Err(fail(MailerError::ConnectionLost, answered)),
            };
            if let Some(error) = fatal_event(&event, &mut last_protocol_error) {
                return Err(fail(error, answered));
            }
            match event {
                ClientEvent::Reply { id, .. } if Some(id) == rset => answered = true,
                ClientEvent::Recipient(result) => {
                    answered = true;
                    record(&mut recipients, result);
                }
                ClientEvent::TransactionDone(report) => {
                    if let TransactionOutcome::Failed {
                        stage: FailureStage::Connection,
                        ..
                    } = report.outcome
                    {
                        // The session ended under the transaction (a 421 comes with
                        // its reply; timeouts and losses were reported before).
                        let error = match report.reply {
                            Some(reply) if reply.code() == ReplyCode::SERVICE_NOT_AVAILABLE => {
                                MailerError::ServiceClosing(reply)
                            }
                            _ => closed_error(last_protocol_error),
                        };
                        return Err(fail(error, answered));
                    }
                    self.idle_since = tokio::time::Instant::now();
                    return Ok(Delivery {
                        recipients,
                        outcome: report.outcome,
                        reply: report.reply,
                    });
                }
                _ => {}
            }
        }
    }

    /// Sends QUIT and waits (bounded) for the server to close.
    pub(crate) async fn quit(self, limit: Duration) {
        close_politely(self.driver, limit).await;
    }
}

/// Keeps the latest result of each recipient: its RCPT refusal, or what became of it
/// after the content.
fn record(recipients: &mut [RecipientReport], result: RecipientResult) {
    let Some(report) = recipients.get_mut(result.index) else {
        return;
    };
    report.outcome = match (result.status, result.stage) {
        // Accepted at RCPT: the reply after the content decides.
        (RecipientStatus::Accepted, RecipientStage::Rcpt) => return,
        (RecipientStatus::Accepted, _) => RecipientOutcome::Accepted {
            reply: result.reply,
        },
        (RecipientStatus::Rejected, stage) => RecipientOutcome::Rejected {
            stage,
            reply: result.reply,
        },
        (RecipientStatus::Deferred, stage) => RecipientOutcome::Deferred {
            stage,
            reply: result.reply,
        },
    };
}

/// QUIT, then wait for the close, within `limit`; the connection is dropped either way.
async fn close_politely(mut driver: Driver<BoxedStream, Client>, limit: Duration) {
    if driver.machine_mut().quit().is_err() {
        return;
    }
    let _ = tokio::time::timeout(limit, async {
        while let Ok(Next::Event(_)) = driver.next_event().await {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ehlo_literal_of_the_local_address() {
        let literal = |text: &str| local_literal(text.parse().unwrap()).unwrap().to_string();
        assert_eq!(literal("192.0.2.7:1234"), "[192.0.2.7]");
        assert_eq!(literal("[2001:db8::7]:1234"), "[IPv6:2001:db8::7]");
        assert_eq!(literal("[::ffff:192.0.2.7]:1234"), "[192.0.2.7]");
    }
}
