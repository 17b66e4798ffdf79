//! The `Mailer` (feature `tls`) against our server machine, run in the test over real TCP
//! on 127.0.0.1: STARTTLS and implicit TLS with certificate checking, AUTH (PLAIN,
//! XOAUTH2, OAUTHBEARER, refusals), per-recipient results, Bcc delivered but stripped,
//! pool reuse with RSET on one TCP connection, a pooled connection the server dropped,
//! refusal without STARTTLS, 8BITMIME and the plain DATA path. Every test is bounded by
//! `tokio::time::timeout`.
#![cfg(feature = "tls")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "common/mailer_server.rs"]
mod server;

use std::borrow::Cow;
use std::time::Duration;

use mailwire_mime::build::{Message, MessageBuilder};
use mailwire_mime::header::{DateTime, Mailbox as MimeMailbox};
use mailwire_smtp::client::{FailureStage, MailEnvelope, RecipientStage};
use mailwire_smtp::mailer::{Authentication, Mailer, MailerBuilder, MailerError, RecipientOutcome};
use mailwire_smtp::server::DataMode;
use mailwire_smtp::types::{EnhancedStatusCode, Mailbox, ReplyCode};
use server::{Options, TestServer, PASSWORD, TOKEN, USER};

const LIMIT: Duration = Duration::from_secs(30);

async fn bounded<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("the test took too long")
}

fn mailbox(address: &str) -> MimeMailbox<'static> {
    MimeMailbox::new(None, address.to_string())
}

fn message(subject: &str) -> Message {
    MessageBuilder::new()
        .from(MimeMailbox::new(
            Some(Cow::Borrowed("Alice")),
            "alice@client.test".to_string(),
        ))
        .to(mailbox("bob@mx.test"))
        .cc(mailbox("nobody@mx.test"))
        .bcc(mailbox("carol@mx.test"))
        .subject(subject)
        .date(DateTime::new(2024, 5, 1, 12, 0, 0, 0).unwrap())
        .text("Hello Bob,\r\nthe report is attached.\r\n.a line with a leading dot\r\n")
        .attachment(
            "report.pdf",
            "application/pdf",
            vec![0u8, 1, 2, 255, 13, 10, 46],
        )
        .build(&mut |buffer: &mut [u8]| buffer.fill(7))
        .unwrap()
}

fn mailer(server: &TestServer) -> MailerBuilder {
    Mailer::builder("localhost")
        .port(server.port)
        .ca_pem(server.cert_pem.clone())
        .hello_name("client.test")
        .reply_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10))
}

fn outcome_of<'d>(
    delivery: &'d mailwire_smtp::mailer::Delivery,
    address: &str,
) -> &'d RecipientOutcome {
    &delivery
        .recipients()
        .iter()
        .find(|r| r.recipient.to_string().trim_matches(['<', '>']) == address)
        .unwrap_or_else(|| panic!("no result for {address}"))
        .outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_auth_bcc_and_per_recipient_results() {
    let server = TestServer::start(Options {
        starttls: true,
        auth: true,
        require_auth: true,
        reject: vec!["nobody@mx.test".into()],
        ..Options::default()
    })
    .await;
    let mailer = mailer(&server)
        .authentication(Authentication::password(USER, PASSWORD))
        .build()
        .unwrap();
    let message = message("quarterly report");
    let delivery = bounded(mailer.send(&message)).await.unwrap();

    assert!(delivery.is_accepted());
    assert_eq!(delivery.failure(), None);
    assert_eq!(delivery.recipients().len(), 3);
    assert!(outcome_of(&delivery, "bob@mx.test").is_accepted());
    assert!(outcome_of(&delivery, "carol@mx.test").is_accepted());
    let refused = outcome_of(&delivery, "nobody@mx.test");
    assert!(matches!(
        refused,
        RecipientOutcome::Rejected {
            stage: RecipientStage::Rcpt,
            ..
        }
    ));
    assert_eq!(refused.code(), Some(ReplyCode::MAILBOX_UNAVAILABLE));
    assert_eq!(refused.enhanced(), EnhancedStatusCode::new(5, 1, 1));
    assert_eq!(delivery.rejected().count(), 1);
    assert_eq!(delivery.accepted().count(), 2);
    assert_eq!(delivery.reply().map(|r| r.code()), Some(ReplyCode::OK));

    let received = server.messages();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert!(got.tls && got.authenticated);
    assert_eq!(got.from, "<alice@client.test>");
    // Bcc: in the envelope, not in the data.
    assert_eq!(got.to, ["bob@mx.test", "carol@mx.test"]);
    assert_eq!(got.content, message.to_bytes());
    let text = String::from_utf8_lossy(&got.content);
    assert!(!text.to_ascii_lowercase().contains("bcc:"), "{text}");
    assert!(!text.contains("carol"), "{text}");
    // CHUNKING is offered: BDAT, no dot-stuffing.
    assert_eq!(got.mode, DataMode::Bdat);

    let transcript = server.transcript(0);
    let (clear, encrypted) = transcript.split_once("STARTTLS\r\n").unwrap();
    assert_eq!(clear, "EHLO client.test\r\n");
    assert!(
        encrypted.starts_with("EHLO client.test\r\nAUTH PLAIN "),
        "{encrypted}"
    );
    // The envelope with SIZE, then the content as one BDAT LAST chunk.
    let size = message.to_bytes().len();
    let envelope = format!(
        "MAIL FROM:<alice@client.test> SIZE={size}\r\nRCPT TO:<bob@mx.test>\r\n\
         RCPT TO:<nobody@mx.test>\r\nRCPT TO:<carol@mx.test>\r\nBDAT {size} LAST\r\n"
    );
    assert!(encrypted.contains(&envelope), "{encrypted}");
    mailer.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_reuses_one_connection_with_rset() {
    let server = TestServer::start(Options {
        starttls: true,
        auth: true,
        ..Options::default()
    })
    .await;
    let mailer = mailer(&server)
        .authentication(Authentication::password(USER, PASSWORD))
        .build()
        .unwrap();
    let first = bounded(mailer.send(&message("first"))).await.unwrap();
    let second = bounded(mailer.send(&message("second"))).await.unwrap();
    assert!(first.is_accepted() && second.is_accepted());

    assert_eq!(server.connections(), 1, "one TCP connection for both");
    assert_eq!(mailer.connections_opened(), 1);
    let received = server.messages();
    assert_eq!(received.len(), 2);
    assert!(received.iter().all(|m| m.connection == 0));
    let transcript = server.transcript(0);
    assert_eq!(transcript.matches("AUTH PLAIN").count(), 1, "{transcript}");
    assert_eq!(transcript.matches("RSET\r\n").count(), 1, "{transcript}");
    let rset = transcript.find("RSET\r\n").unwrap();
    let mails: Vec<usize> = transcript
        .match_indices("MAIL FROM:")
        .map(|(at, _)| at)
        .collect();
    assert_eq!(mails.len(), 2);
    assert!(mails[0] < rset && rset < mails[1], "{transcript}");
    // RSET is pipelined with the next envelope.
    assert!(
        transcript[rset..].starts_with("RSET\r\nMAIL FROM:"),
        "{transcript}"
    );

    mailer.close().await;
    let transcript = server.transcript(0);
    assert!(transcript.ends_with("QUIT\r\n"), "{transcript}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_with_auth() {
    let server = TestServer::start(Options {
        implicit_tls: true,
        auth: true,
        require_auth: true,
        ..Options::default()
    })
    .await;
    let mailer = mailer(&server)
        .implicit_tls()
        .authentication(Authentication::password(USER, PASSWORD))
        .build()
        .unwrap();
    let delivery = bounded(mailer.send(&message("implicit"))).await.unwrap();
    assert_eq!(delivery.accepted().count(), 3);
    let received = server.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].tls && received[0].authenticated);
    let transcript = server.transcript(0);
    assert!(
        transcript.starts_with("EHLO client.test\r\nAUTH PLAIN "),
        "{transcript}"
    );
    assert!(!transcript.contains("STARTTLS"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_starttls_offered_means_no_mail() {
    let server = TestServer::start(Options {
        auth: true,
        plaintext_auth: true,
        ..Options::default()
    })
    .await;
    let mailer = mailer(&server)
        .authentication(Authentication::password(USER, PASSWORD))
        .build()
        .unwrap();
    let error = bounded(mailer.send(&message("never"))).await.unwrap_err();
    assert!(
        matches!(error, MailerError::StartTlsNotOffered),
        "{error:?}"
    );
    assert!(server.messages().is_empty());
    // Only EHLO and the polite QUIT went out: no credentials, no envelope.
    assert_eq!(server.transcript(0), "EHLO client.test\r\nQUIT\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_certificate_is_refused() {
    let server = TestServer::start(Options {
        implicit_tls: true,
        ..Options::default()
    })
    .await;
    let other = TestServer::start(Options::default()).await;
    let mailer = mailer(&server)
        .implicit_tls()
        .ca_pem(other.cert_pem.clone())
        .build()
        .unwrap();
    let error = bounded(mailer.send(&message("never"))).await.unwrap_err();
    assert!(matches!(error, MailerError::Tls(_)), "{error:?}");
    assert!(server.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_failures_carry_the_reply() {
    let server = TestServer::start(Options {
        starttls: true,
        auth: true,
        ..Options::default()
    })
    .await;
    for auth in [
        Authentication::password(USER, "wrong"),
        Authentication::xoauth2(USER, "expired-token"),
        Authentication::oauthbearer(USER, "expired-token"),
    ] {
        let mailer = mailer(&server).authentication(auth).build().unwrap();
        let error = bounded(mailer.send(&message("never"))).await.unwrap_err();
        let MailerError::AuthFailed(reply) = error else {
            panic!("{error:?}");
        };
        assert_eq!(reply.code(), ReplyCode::AUTH_INVALID);
    }
    assert!(server.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_tokens_authenticate() {
    let server = TestServer::start(Options {
        starttls: true,
        auth: true,
        require_auth: true,
        ..Options::default()
    })
    .await;
    for (auth, mechanism) in [
        (Authentication::xoauth2(USER, TOKEN), "AUTH XOAUTH2 "),
        (
            Authentication::oauthbearer(USER, TOKEN),
            "AUTH OAUTHBEARER ",
        ),
    ] {
        let mailer = mailer(&server).authentication(auth).build().unwrap();
        bounded(mailer.send(&message("token"))).await.unwrap();
        let last = server.connections() - 1;
        assert!(server.transcript(last).contains(mechanism));
    }
    assert_eq!(server.messages().len(), 2);
    assert!(server.messages().iter().all(|m| m.authenticated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_deferred_recipients() {
    let server = TestServer::start(Options {
        starttls: true,
        reject: vec!["x@mx.test".into()],
        defer: vec!["y@mx.test".into()],
        ..Options::default()
    })
    .await;
    let mailer = mailer(&server).build().unwrap();
    let envelope = |to: &[&str]| {
        let mut envelope =
            MailEnvelope::new(Mailbox::parse("alice@client.test").unwrap().into_owned());
        for to in to {
            envelope = envelope.to(Mailbox::parse(to).unwrap().into_owned());
        }
        envelope
    };
    // Nobody accepted: an error that still carries every recipient's reply.
    let error = bounded(mailer.send_raw(
        envelope(&["x@mx.test", "y@mx.test"]),
        &b"Subject: x\r\n\r\nx\r\n"[..],
    ))
    .await
    .unwrap_err();
    let MailerError::Refused(delivery) = error else {
        panic!("{error:?}");
    };
    assert_eq!(delivery.failure(), Some((FailureStage::Recipients, true)));
    assert_eq!(
        outcome_of(&delivery, "y@mx.test").enhanced(),
        EnhancedStatusCode::new(4, 2, 1)
    );
    assert!(matches!(
        outcome_of(&delivery, "y@mx.test"),
        RecipientOutcome::Deferred { .. }
    ));
    assert_eq!(delivery.rejected().count(), 1);
    assert_eq!(delivery.deferred().count(), 1);

    // The same connection goes on: one deferred, one accepted.
    let delivery = bounded(mailer.send_raw(
        envelope(&["y@mx.test", "z@mx.test"]),
        &b"Subject: y\r\n\r\ny\n"[..],
    ))
    .await
    .unwrap();
    assert_eq!(delivery.deferred().count(), 1);
    assert!(outcome_of(&delivery, "z@mx.test").is_accepted());
    assert_eq!(server.connections(), 1);
    let received = server.messages();
    assert_eq!(received.len(), 1);
    // The bare LF was sent as CRLF.
    assert_eq!(received[0].content, b"Subject: y\r\n\r\ny\r\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pooled_connection_the_server_dropped_is_replaced() {
    let server = TestServer::start(Options {
        starttls: true,
        close_after_message: true,
        ..Options::default()
    })
    .await;
    let mailer = mailer(&server).build().unwrap();
    bounded(mailer.send(&message("one"))).await.unwrap();
    // Let the server's 421 and close reach the idle connection.
    tokio::time::sleep(Duration::from_millis(200)).await;
    bounded(mailer.send(&message("two"))).await.unwrap();
    assert_eq!(server.messages().len(), 2, "each message exactly once");
    assert_eq!(server.connections(), 2);
    assert_eq!(mailer.connections_opened(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plaintext_data_path_and_8bitmime() {
    let server = TestServer::start(Options {
        no_pipelining: true,
        no_chunking: true,
        ..Options::default()
    })
    .await;
    let mailer = mailer(&server)
        .insecure_plaintext_loopback_only()
        .build()
        .unwrap();
    let envelope = MailEnvelope::new(Mailbox::parse("alice@client.test").unwrap().into_owned())
        .to(Mailbox::parse("bob@mx.test").unwrap().into_owned());
    let content = "Subject: caf\u{e9}\r\n\r\n.leading dot\r\nna\u{ef}ve\r\n"
        .as_bytes()
        .to_vec();
    bounded(mailer.send_raw(envelope.clone(), content.clone()))
        .await
        .unwrap();
    let received = server.messages();
    assert_eq!(received[0].content, content);
    assert_eq!(received[0].mode, DataMode::Data);
    assert!(received[0].body_8bit);
    assert!(!received[0].tls);
    let transcript = server.transcript(0);
    // Dot-stuffed on the wire.
    assert!(transcript.contains("\r\n..leading dot\r\n"), "{transcript}");
    assert!(transcript.contains("BODY=8BITMIME"), "{transcript}");

    // A server without 8BITMIME never gets 8-bit content.
    let seven_bit = TestServer::start(Options {
        no_8bitmime: true,
        ..Options::default()
    })
    .await;
    let mailer = Mailer::builder("127.0.0.1")
        .port(seven_bit.port)
        .insecure_plaintext_loopback_only()
        .build_with_ca(&seven_bit);
    let error = bounded(mailer.send_raw(envelope, content))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            MailerError::NotOffered {
                extension: "8BITMIME"
            }
        ),
        "{error:?}"
    );
    assert!(seven_bit.messages().is_empty());
}

/// Building with the test server's CA (the platform store may be empty in CI).
trait BuildWithCa {
    fn build_with_ca(self, server: &TestServer) -> Mailer;
}

impl BuildWithCa for MailerBuilder {
    fn build_with_ca(self, server: &TestServer) -> Mailer {
        self.ca_pem(server.cert_pem.clone()).build().unwrap()
    }
}

/// The README's example, the same code with the test server's port and certificate:
/// a message with an attachment and a Bcc, over STARTTLS with AUTH.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_example_against_a_server() {
    let server = TestServer::start(Options {
        starttls: true,
        auth: true,
        require_auth: true,
        ..Options::default()
    })
    .await;
    let pdf = b"%PDF-1.4 not really\n\x00\xff".to_vec();
    let now = 1_714_564_800;

    let run = async {
        let message = MessageBuilder::new()
            .from(MimeMailbox::new(None, "alice@example.com"))
            .to(MimeMailbox::new(None, "bob@example.org"))
            .bcc(MimeMailbox::new(None, "archive@example.com")) // in the envelope, not in the header
            .subject("Quarterly report")
            .date(DateTime::from_unix_timestamp(now, 0).ok_or("date out of range")?)
            .text("Hello Bob,\nthe report is attached.\n")
            .attachment("report.pdf", "application/pdf", pdf.clone())
            .build(&mut |buffer: &mut [u8]| getrandom::fill(buffer).unwrap_or_default())?;
        let mailer = Mailer::builder("localhost") // here: the test server
            .port(server.port)
            .ca_pem(server.cert_pem.clone())
            .authentication(Authentication::password(USER, PASSWORD))
            .build()?;
        let delivery = mailer.send(&message).await?;
        for recipient in delivery.recipients() {
            println!("{}: {:?}", recipient.recipient, recipient.outcome);
        }
        Ok::<_, Box<dyn std::error::Error>>((message, delivery))
    };
    let (message, delivery) = bounded(run).await.unwrap();
    assert_eq!(delivery.accepted().count(), 2);
    let received = server.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, ["bob@example.org", "archive@example.com"]);
    assert_eq!(received[0].content, message.to_bytes());
    // The attachment arrives intact (read back with the mime parser).
    let parsed = mailwire_mime::tree::Message::parse(&received[0].content).unwrap();
    let attachment = parsed
        .parts()
        .find(|part| part.filename().as_deref() == Some("report.pdf"))
        .expect("the attachment");
    assert_eq!(attachment.decoded().as_ref(), pdf.as_slice());
    assert!(!String::from_utf8_lossy(&received[0].content).contains("archive@"));
}
