//! The SMTP and LMTP client machine (Sans-IO).
//!
//! [`Client`] implements [`mailwire_core::Session`]: feed it the server's bytes, drain
//! what it wants sent, and read its [`ClientEvent`]s. It greets by itself (EHLO, HELO
//! when the server knows no EHLO, LHLO for LMTP) and reports [`ClientEvent::Ready`] with
//! the typed capabilities; the application then decides:
//!
//! - [`Client::starttls`]: STARTTLS (RFC 3207); [`Transport::StartTls`] asks the
//!   transport to upgrade, [`Session::handle_tls_established`] resumes with a new EHLO.
//! - [`Client::authenticate`]: AUTH PLAIN or LOGIN (RFC 4954, 4616), or
//!   [`Client::authenticate_with`] for any mechanism whose challenges the application
//!   answers.
//! - [`Client::start_mail`], [`Client::send_body`], [`Client::finish_body`]: a mail
//!   transaction. With PIPELINING (RFC 2920) MAIL, every RCPT and DATA leave in one
//!   flight; with CHUNKING (RFC 3030) the content goes as BDAT chunks (BINARYMIME
//!   needs them), otherwise it is dot-stuffed after the 354. SIZE (RFC 1870), BODY
//!   (RFC 6152) and SMTPUTF8 (RFC 6531) are declared from the envelope. Each recipient's
//!   result is an event; with LMTP (RFC 2033) every accepted recipient gets its own
//!   reply after the content.
//! - [`Client::send`]: NOOP, RSET, VRFY, EXPN, HELP, QUIT, with their replies by id.
//!
//! Every wait has the time limit of RFC 5321 §4.5.3.2 ([`ClientTimeouts`]), through
//! [`Session::poll_timeout`]. The server's violations become
//! [`ClientEvent::ProtocolError`]s, never panics.
//!
//! Each reply answers the oldest command still waiting for one. A reply that arrives
//! before its command was sent (several replies in one read, while the application has
//! not yet acted on the events of the first) waits in the machine for that command, so
//! the same bytes give the same events however they are cut
//! ([`ClientConfig::max_unsolicited_input`] bounds that wait). Decisions never read
//! input: once a decision sends the command, [`Session::poll_timeout`] asks to be
//! called at once and [`Session::handle_timeout`] reads the waiting replies.
//!
//! ```
//! use std::time::Instant;
//! use mailwire_core::Session;
//! use mailwire_smtp::client::{Client, ClientConfig, ClientEvent, MailEnvelope, TransactionOutcome};
//! use mailwire_smtp::types::{Host, Mailbox};
//!
//! let now = Instant::now();
//! let mut client = Client::new(ClientConfig::new(Host::new("client.example").unwrap().into_owned()), now);
//! let mut wire = Vec::new();
//!
//! client.handle_input(now, b"220 mx.example ESMTP\r\n");
//! let _ = client.poll_transmit(&mut wire);
//! assert_eq!(wire, b"EHLO client.example\r\n");
//!
//! client.handle_input(now, b"250-mx.example\r\n250 PIPELINING\r\n");
//! let envelope = MailEnvelope::new(Mailbox::parse("a@client.example").unwrap().into_owned())
//!     .to(Mailbox::parse("b@mx.example").unwrap().into_owned());
//! client.start_mail(envelope).unwrap();
//! client.send_body(&b"Subject: hi\r\n\r\nHello\r\n"[..]).unwrap();
//! client.finish_body().unwrap();
//! wire.clear();
//! let _ = client.poll_transmit(&mut wire);
//! // one flight: MAIL, RCPT and DATA; the content waits for the 354
//! assert_eq!(wire, b"MAIL FROM:<a@client.example>\r\nRCPT TO:<b@mx.example>\r\nDATA\r\n");
//!
//! client.handle_input(now, b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go ahead\r\n");
//! wire.clear();
//! let _ = client.poll_transmit(&mut wire);
//! assert_eq!(wire, b"Subject: hi\r\n\r\nHello\r\n.\r\n");
//!
//! client.handle_input(now, b"250 2.0.0 queued\r\n");
//! let mut outcome = None;
//! while let Some(event) = client.poll_event() {
//!     if let ClientEvent::TransactionDone(report) = event {
//!         outcome = Some(report.outcome);
//!     }
//! }
//! assert_eq!(outcome, Some(TransactionOutcome::Accepted { recipients: 1 }));
//! ```
//!
//! [`Transport::StartTls`]: mailwire_core::Transport::StartTls
//! [`Session::handle_tls_established`]: mailwire_core::Session::handle_tls_established
//! [`Session::poll_timeout`]: mailwire_core::Session::poll_timeout
//! [`Session::handle_timeout`]: mailwire_core::Session::handle_timeout

mod auth;
mod config;
mod envelope;
mod error;
mod event;
mod machine;
#[cfg(test)]
mod tests;

pub use auth::Credentials;
pub use config::{
    ClientConfig, ClientTimeouts, Flavor, Waiting, CLIENT_MAX_REPLY_LINE, CLIENT_MAX_REPLY_LINES,
    CLIENT_MAX_UNSOLICITED_INPUT,
};
pub use envelope::{MailEnvelope, Recipient};
pub use error::{ClientError, ProtocolError};
pub use event::{
    ClientEvent, CommandId, FailureStage, RecipientResult, RecipientStage, RecipientStatus,
    TransactionId, TransactionOutcome, TransactionReport,
};
pub use machine::Client;
