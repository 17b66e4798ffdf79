//! Why a [`Session`](crate::session::Session) operation failed.

use std::io;

use mailwire_core::tls::TlsConfigError;

use crate::client::{ClientError, ProtocolError};
use crate::types::ResponseText;

/// What the session was doing when a time limit passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutStage {
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake (implicit TLS or after STARTTLS).
    TlsHandshake,
    /// Waiting for the greeting or for an answer of the server (the client machine's
    /// response timeout); the session is closed.
    Response,
}

/// Why an IMAP session operation failed. Refusals carry the server's completion (its
/// response code and text).
///
/// The messages never contain the server's text or any credential.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
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
    /// A time limit passed.
    #[error("timed out ({0:?})")]
    TimedOut(TimeoutStage),
    /// The greeting was `* BYE`: the server refused the connection.
    #[error("the server refused the connection")]
    Rejected(ResponseText<'static>),
    /// STARTTLS is required and the server does not offer it (or greeted with PREAUTH,
    /// which leaves no way to start TLS): nothing but CAPABILITY and LOGOUT was sent,
    /// and the connection was closed.
    #[error("the server does not offer starttls")]
    StartTlsNotOffered,
    /// The server offers no way to log in with these credentials (LOGINDISABLED
    /// without AUTH=PLAIN, or the token mechanism is not offered).
    #[error("the server offers no usable login method")]
    NoLoginMethod,
    /// The server refused the credentials (NO or BAD to LOGIN or AUTHENTICATE).
    #[error("authentication failed")]
    AuthFailed(ResponseText<'static>),
    /// The command completed with NO.
    #[error("the server refused {command}")]
    No {
        /// The command name (`UID FETCH`, `SELECT`, ...).
        command: &'static str,
        /// Code and text of the completion.
        text: ResponseText<'static>,
    },
    /// The command completed with BAD.
    #[error("the server rejected {command} as bad")]
    Bad {
        /// The command name.
        command: &'static str,
        /// Code and text of the completion.
        text: ResponseText<'static>,
    },
    /// The operation needs a capability the server does not offer.
    #[error("the server does not offer {capability}")]
    NotOffered {
        /// The capability.
        capability: &'static str,
    },
    /// The operation needs a selected mailbox.
    #[error("no mailbox is selected")]
    NoMailboxSelected,
    /// Message content larger than
    /// [`SessionBuilder::max_message_size`](crate::session::SessionBuilder::max_message_size)
    /// was announced; it was read and dropped, and the session goes on.
    #[error("message content of {length} octets exceeds the limit of {limit}")]
    MessageTooLarge {
        /// The announced length (all content items of the message together).
        length: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The search text is not a valid IMAP search.
    #[error("invalid search criteria")]
    InvalidSearch,
    /// The server said `* BYE` and closed the session.
    #[error("the server closed the session")]
    Bye(ResponseText<'static>),
    /// Reading or writing the connection failed.
    #[error("i/o error on the connection")]
    Io(#[source] io::Error),
    /// The server broke the protocol and the session ended.
    #[error("protocol error")]
    Protocol(#[source] ProtocolError),
    /// The session is over (logged out, or the server closed the connection).
    #[error("the session is closed")]
    Closed,
    /// The client machine refused the command (an invalid argument, a command not
    /// allowed in this state).
    #[error("command not sent")]
    Command(#[source] ClientError),
}

impl From<ClientError> for SessionError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::NotOffered { capability } => SessionError::NotOffered { capability },
            ClientError::Closed => SessionError::Closed,
            other => SessionError::Command(other),
        }
    }
}

impl From<TlsConfigError> for SessionError {
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
