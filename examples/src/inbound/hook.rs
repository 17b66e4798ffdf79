//! A hook into the SMTP sessions for an embedding application, such as the test
//! harness ([`crate::harness`]): faults injected per command, and a copy of every
//! accepted message with its envelope.
//!
//! The normal server has no hook ([`Inbound::hook`](super::Inbound::hook) is `None`):
//! then none of this runs and no message is copied.
//!
//! Where each command's fault acts, and which faults apply:
//!
//! | command | decided by | [`Fault::Reply`] | [`Fault::Disconnect`] | [`Fault::Delay`] |
//! | --- | --- | --- | --- | --- |
//! | [`SmtpCommand::Connect`] | the application | instead of the greeting | before the greeting | of the greeting |
//! | [`SmtpCommand::Hello`] | the machine | — (ignored) | instead of the 250 | of the 250 |
//! | [`SmtpCommand::Auth`] | the application | instead of the check | instead of the answer | of the answer |
//! | [`SmtpCommand::Mail`], [`SmtpCommand::Rcpt`] | the application | instead of the decision | instead of the answer | of the answer |
//! | [`SmtpCommand::Data`] | the machine | — (ignored) | instead of the 354 | of the 354 |
//! | [`SmtpCommand::DataEnd`] | the application | message not queued | message not queued | of the 250 |
//!
//! A positive [`Fault::Reply`] is no fault: the command is handled as usual. A `421`
//! reply closes the session once sent.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use mailwire_smtp::types::Reply;

use super::Role;

/// An SMTP command (or moment) a fault can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmtpCommand {
    /// A client connected: the greeting is owed.
    Connect,
    /// HELO or EHLO; the argument is the name the client gave.
    Hello,
    /// AUTH (PLAIN or LOGIN) once the credentials are in; the argument is the user name.
    Auth,
    /// MAIL FROM; the argument is the sender's address (empty for `<>`).
    Mail,
    /// RCPT TO; the argument is the recipient's address (`Postmaster` for
    /// `<Postmaster>`).
    Rcpt,
    /// DATA (or the first BDAT chunk): the machine's `354`.
    Data,
    /// The end of the message data: the reply that takes or refuses the message.
    DataEnd,
}

impl SmtpCommand {
    /// True when the application decides the reply, so that [`Fault::Reply`] applies.
    pub fn takes_reply(self) -> bool {
        !matches!(self, SmtpCommand::Hello | SmtpCommand::Data)
    }

    /// The command's name, as in logs.
    pub fn name(self) -> &'static str {
        match self {
            SmtpCommand::Connect => "connect",
            SmtpCommand::Hello => "EHLO",
            SmtpCommand::Auth => "AUTH",
            SmtpCommand::Mail => "MAIL",
            SmtpCommand::Rcpt => "RCPT",
            SmtpCommand::Data => "DATA",
            SmtpCommand::DataEnd => "end of DATA",
        }
    }
}

impl fmt::Display for SmtpCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What happens to a command instead of (or before) its usual handling.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this reply instead of deciding (see the table in the
    /// [module docs](self) for where it applies).
    Reply(Reply<'static>),
    /// Close the connection without answering the command.
    Disconnect,
    /// Wait this long, then handle the command as usual.
    Delay(Duration),
}

/// A message the server took (answered `250` for), as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedMessage {
    /// The listener it came through.
    pub role: Role,
    /// The client's address.
    pub peer: SocketAddr,
    /// The queue id given in the `250` reply.
    pub queue_id: String,
    /// MAIL FROM: the sender's address, `None` for `<>`.
    pub mail_from: Option<String>,
    /// RCPT TO: the accepted recipients' addresses as the client wrote them, in order
    /// (`Postmaster` for `<Postmaster>`).
    pub rcpt_to: Vec<String>,
    /// The message data as the client sent it (DATA unstuffed, or the BDAT chunks),
    /// without the `Received` field the server adds.
    pub data: Bytes,
    /// The authenticated user, if any.
    pub authenticated: Option<String>,
    /// True when the message came over TLS.
    pub tls: bool,
}

/// What an embedding application plugs into every SMTP session.
pub trait SessionHook: Send + Sync {
    /// The fault to inject for `command` (with its `argument`, see [`SmtpCommand`]) on a
    /// listener of `role`, or `None` to handle it as usual.
    fn fault(&self, role: Role, command: SmtpCommand, argument: &str) -> Option<Fault>;

    /// A message was taken: its spool file is committed and the `250` is about to be
    /// sent (so a client that saw the `250` finds it already here).
    fn accepted(&self, message: AcceptedMessage);

    /// True to let the MX listener take recipients outside the local domains (they go
    /// to the queue's remote transport, which an embedding application replaces).
    /// False by default: the server is never an open relay.
    fn mx_accepts_any_domain(&self) -> bool {
        false
    }
}
