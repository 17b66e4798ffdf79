//! Why a [`Pop3Session`](crate::session::Pop3Session) operation failed.

use std::io;

use mailwire_core::tls::TlsConfigError;

use crate::error::{DecodeError, SessionError};
use crate::tokio::Pop3Error;
use crate::types::StatusLine;

/// What the session was doing when a time limit passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutStage {
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake (implicit TLS or after STLS).
    TlsHandshake,
}

/// Why a POP3 session operation failed. Refusals carry the server's `-ERR` line.
///
/// The messages never contain the server's text or any credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailboxError {
    /// The configuration cannot work (see the reason).
    #[error("invalid session configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: &'static str,
    },
    /// No trusted root certificate could be loaded.
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
    /// A time limit of the connection passed (replies have their own limit, after
    /// which the session is [`Closed`](MailboxError::Closed)).
    #[error("timed out ({0:?})")]
    TimedOut(TimeoutStage),
    /// STLS is required and the server does not offer it: nothing was sent but CAPA,
    /// and the session was ended.
    #[error("the server does not offer stls")]
    StlsNotOffered,
    /// The server offers no way to log in with a password (neither USER nor SASL
    /// PLAIN).
    #[error("the server offers no password login")]
    NoLoginMethod,
    /// The server answered `-ERR` (refused greeting, wrong password, no such message,
    /// mailbox locked: see its response code).
    #[error("the server refused the command")]
    Refused(StatusLine<'static>),
    /// Reading or writing the connection failed.
    #[error("i/o error on the connection")]
    Io(#[source] io::Error),
    /// The server sent something that is not POP3.
    #[error("protocol error")]
    Protocol(#[source] DecodeError),
    /// The session ended before the answer (the server closed it, or did not answer
    /// within the response time limit).
    #[error("the session is closed")]
    Closed,
    /// The client machine refused the command (see the inner error).
    #[error("command not sent")]
    Session(#[source] SessionError),
}

impl From<Pop3Error> for MailboxError {
    fn from(error: Pop3Error) -> Self {
        match error {
            Pop3Error::Io(error) => MailboxError::Io(error),
            Pop3Error::Refused(line) => MailboxError::Refused(line),
            Pop3Error::Protocol(error) => MailboxError::Protocol(error),
            Pop3Error::Session(error) => MailboxError::Session(error),
            // Closed, and whatever later variants mean: the session cannot go on.
            _ => MailboxError::Closed,
        }
    }
}

impl From<SessionError> for MailboxError {
    fn from(error: SessionError) -> Self {
        MailboxError::Session(error)
    }
}

impl From<TlsConfigError> for MailboxError {
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
