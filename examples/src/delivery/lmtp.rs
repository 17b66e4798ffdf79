//! The queue's hand-off to the delivery agent: our LMTP client (mailwire-lmtp) over
//! loopback TCP or a unix socket, one result per recipient.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mailwire_lmtp::client::client_config;
use mailwire_lmtp::tokio::{LmtpClient, LmtpError};
use mailwire_smtp::types::Host;
use tokio::io::{AsyncRead, AsyncWrite};

use super::agent::LmtpTarget;
use super::wire;
use crate::queue::{BoxFuture, Clock, DeliveryJob, Outcome, Transport};

/// Delivers queued messages to the delivery agent over LMTP.
#[derive(Debug, Clone)]
pub struct LmtpTransport {
    target: LmtpTarget,
    hello: Host<'static>,
    clock: Arc<dyn Clock>,
    connect_timeout: Duration,
}

impl LmtpTransport {
    /// A transport to the agent at `target`, introducing itself as `hello_name` in LHLO.
    pub fn new(
        target: LmtpTarget,
        hello_name: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, mailwire_smtp::error::DecodeError> {
        let hello = Host::new(hello_name)?.into_owned();
        Ok(LmtpTransport {
            target,
            hello,
            clock,
            connect_timeout: Duration::from_secs(30),
        })
    }

    async fn deliver_over<S>(
        &self,
        client: Result<LmtpClient<S>, LmtpError>,
        job: &DeliveryJob,
    ) -> Vec<Outcome>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let now = self.clock.now();
        let mut client = match client {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!(queue_id = %job.id, %error, "lmtp: delivery agent unavailable");
                let diagnostic =
                    wire::local("4.4.1", format!("delivery agent unavailable: {error}"), now);
                return wire::all(job, Outcome::Deferred, diagnostic);
            }
        };
        let prepared = match wire::prepare(job, client.capabilities(), now) {
            Ok(prepared) => prepared,
            Err(outcome) => return job.recipients.iter().map(|_| outcome.clone()).collect(),
        };
        let content: Bytes = job.content.clone();
        let report = client.deliver(prepared.envelope.clone(), content).await;
        let now = self.clock.now();
        match report {
            Ok(report) => {
                let _ = client.quit().await;
                wire::outcomes(
                    &prepared,
                    &report,
                    Some("delivery agent (lmtp)"),
                    false,
                    now,
                )
            }
            Err(error) => {
                tracing::warn!(queue_id = %job.id, %error, "lmtp: delivery failed");
                let diagnostic = wire::local("4.3.0", format!("lmtp: {error}"), now);
                wire::all(job, Outcome::Deferred, diagnostic)
            }
        }
    }
}

impl Transport for LmtpTransport {
    fn deliver<'a>(&'a self, job: &'a DeliveryJob) -> BoxFuture<'a, Vec<Outcome>> {
        Box::pin(async move {
            let config = client_config(self.hello.clone());
            match &self.target {
                LmtpTarget::Tcp(address) => {
                    let connect = LmtpClient::connect_tcp(*address, config);
                    let client = tokio::time::timeout(self.connect_timeout, connect)
                        .await
                        .unwrap_or_else(|_| Err(LmtpError::Closed));
                    self.deliver_over(client, job).await
                }
                #[cfg(unix)]
                LmtpTarget::Unix(path) => {
                    let connect = LmtpClient::connect_unix(path, config);
                    let client = tokio::time::timeout(self.connect_timeout, connect)
                        .await
                        .unwrap_or_else(|_| Err(LmtpError::Closed));
                    self.deliver_over(client, job).await
                }
                #[cfg(not(unix))]
                LmtpTarget::Unix(_) => {
                    let diagnostic =
                        wire::local("4.3.5", "unix sockets are not available", self.clock.now());
                    wire::all(job, Outcome::Deferred, diagnostic)
                }
            }
        })
    }
}
