//! Why a [`Mailer`](crate::mailer::Mailer) could not send.

use std::io;

use mailwire_core::tls::TlsConfigError;

use crate::client::{ProtocolError, Waiting};
use crate::mailer::report::Delivery;
use crate::types::Reply;

/// What the mailer was doing when a time limit passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutStage {
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake (implicit TLS or after STARTTLS).
    TlsHandshake,
    /// Waiting for a reply of the server (the client machine's limits, RFC 5321
    /// §4.5.3.2).
    Reply(Waiting),
}

/// Why a mailer operation failed. Variants that come from the server carry its reply.
///
/// The messages never contain the server's text or any credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailerError {
    /// The configuration cannot work (see the reason).
    #[error("invalid mailer configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// No trusted root certificate could be loaded (none in the platform store, or none
    /// in the given PEM).
    #[error("no trusted root certificate")]
    NoTrustedRoots,
    /// The given CA certificates are not readable PEM.
    #[error("unreadable ca certificate")]
    InvalidCertificate(#[source] io::Error),
    /// The host name is not a valid TLS server name.
    #[error("the host name is not a valid tls server name")]
    InvalidServerName,
    /// The plaintext opt-in was used towards an address that is not loopback.
    #[error("insecure plaintext is only allowed towards a loopback address")]
    PlaintextNotLoopback,
    /// The TCP connection could not be opened.
    #[error("cannot connect to the server")]
    Connect(#[source] io::Error),
    /// The TLS handshake failed (certificate not trusted, name mismatch, ...).
    #[error("tls handshake failed")]
    Tls(#[source] io::Error),
    /// Reading or writing the connection failed.
    #[error("i/o error on the connection")]
    Io(#[source] io::Error),
    /// A time limit passed.
    #[error("timed out ({0:?})")]
    TimedOut(TimeoutStage),
    /// The server refused the session in its greeting.
    #[error("the server refused the session ({})", .0.code())]
    GreetingRefused(Reply<'static>),
    /// The server refused EHLO (and HELO).
    #[error("the server refused the greeting command ({})", .0.code())]
    HelloRefused(Reply<'static>),
    /// STARTTLS is required and the server does not offer it: nothing was sent in
    /// clear text beyond EHLO, and the connection was closed.
    #[error("the server does not offer starttls")]
    StartTlsNotOffered,
    /// The server refused STARTTLS.
    #[error("the server refused starttls ({})", .0.code())]
    StartTlsRefused(Reply<'static>),
    /// Credentials were given but the server offers no mechanism that can carry them.
    #[error("the server offers no usable authentication mechanism")]
    NoAuthMechanism,
    /// The server refused the credentials.
    #[error("authentication failed ({})", .0.code())]
    AuthFailed(Reply<'static>),
    /// The message needs an extension the server does not offer (8BITMIME for 8-bit
    /// content, SMTPUTF8 for internationalized addresses, DSN parameters, ...).
    #[error("the server does not offer {extension}")]
    NotOffered {
        /// The EHLO keyword, upper case.
        extension: &'static str,
    },
    /// The message is larger than the server's SIZE limit; nothing was sent.
    #[error("message size {declared} exceeds the server limit {limit}")]
    TooLarge {
        /// The size of the message, in octets.
        declared: u64,
        /// The limit the server advertised.
        limit: u64,
    },
    /// An address of the message cannot be used in the SMTP envelope.
    #[error("an address cannot be used in the smtp envelope")]
    InvalidAddress,
    /// The message has no recipient.
    #[error("the message has no recipient")]
    NoRecipients,
    /// The server did not take the message for any recipient; the delivery report says
    /// where it failed and carries every reply.
    #[error("the server did not accept the message")]
    Refused(Box<Delivery>),
    /// The server closes the connection (421).
    #[error("the server is closing the connection ({})", .0.code())]
    ServiceClosing(Reply<'static>),
    /// The server closed the connection before the operation ended.
    #[error("the server closed the connection")]
    ConnectionLost,
    /// The server broke the protocol.
    #[error("protocol error")]
    Protocol(#[source] ProtocolError),
}

impl From<TlsConfigError> for MailerError {
    fn from(error: TlsConfigError) -> Self {
        match error {
            TlsConfigError::NoTrustedRoots => Self::NoTrustedRoots,
            TlsConfigError::InvalidCertificate(source) => Self::InvalidCertificate(source),
            // The enum is non-exhaustive: whatever else it learns to say is a configuration
            // that cannot work.
            _ => Self::InvalidConfig {
                reason: "the tls provider offers no safe protocol version",
            },
        }
    }
}
