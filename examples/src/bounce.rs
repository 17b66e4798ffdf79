//! Delivery status notifications (RFC 3464): the report the queue sends to a message's
//! sender when recipients failed for good, or were delivered and the sender asked to
//! know (RFC 3461 `NOTIFY=SUCCESS`).
//!
//! The notification is a `multipart/report; report-type=delivery-status` (RFC 6522)
//! with three parts: a human-readable explanation, the `message/delivery-status` fields
//! (per message, then one group per recipient), and the original message
//! (`message/rfc822`) or only its header section (`text/rfc822-headers`, for
//! `RET=HDRS`, for success reports as RFC 3461 §4.3 asks, and for content that no
//! identity encoding can carry). It is sent from the null reverse-path so that it can
//! never cause another notification (RFC 3464 §2, RFC 5321 §4.5.5).
//!
//! Header fields are written with mailwire-mime's encoders (folding, RFC 2047 words,
//! addresses, dates). The parts are assembled here rather than by
//! `mailwire_mime::build::MessageBuilder` because the builder only writes `text/*`,
//! binary, `message/rfc822` and `multipart/*` bodies, and `message/delivery-status`
//! must go as 7bit text under a `message/` type (RFC 3464 §2.1).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mailwire_mime::build::{address_field, Randomness};
use mailwire_mime::encode::{structured_field, unstructured_field};
use mailwire_mime::header::{Address, DateTime, Mailbox};

use crate::queue::{DsnReturn, MessageRecord, RecipientState};

/// Longest line a `message/rfc822` part may hold (RFC 5322 §2.1.1).
const MAX_LINE: usize = 998;

/// One notification about one queued message.
#[derive(Debug)]
pub struct Notice<'a> {
    /// This mail system's name (`Reporting-MTA`, the `MAILER-DAEMON@` sender).
    pub reporting_mta: &'a str,
    /// The message reported on.
    pub record: &'a MessageRecord,
    /// The recipients reported on (positions in `record.recipients`): failed ones, and
    /// delivered ones that asked for a success report.
    pub recipients: &'a [usize],
    /// The original content.
    pub original: &'a [u8],
    /// When the original arrived.
    pub arrival: SystemTime,
    /// Now (the notification's Date).
    pub now: SystemTime,
}

/// Removes what may not appear inside a DSN field or header value: line breaks and
/// other controls (RFC 3464 §2.3.2 allows exactly that alteration).
fn field_text(text: &str) -> String {
    text.split(|c: char| c.is_control() || c == ' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn rfc5322_date(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    DateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .or_else(|| DateTime::from_unix_timestamp(0, 0))
        .map(|date| date.to_rfc5322())
        .unwrap_or_default()
}

fn random_token(random: &mut dyn Randomness, octets: usize) -> String {
    let mut bytes = vec![0u8; octets];
    random.fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// The header section of a message (up to and including the blank line, or all of it).
fn header_section(content: &[u8]) -> &[u8] {
    match content.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => content.get(..end + 2).unwrap_or(content),
        None => content,
    }
}

/// True when the content can travel as `message/rfc822` in 7bit or 8bit.
fn fits_identity_encoding(content: &[u8]) -> bool {
    !content.contains(&0)
        && content
            .split(|&b| b == b'\n')
            .all(|line| line.strip_suffix(b"\r").unwrap_or(line).len() <= MAX_LINE)
}

/// Appends a field (name, value) with the encoder's result, or a plain sanitized line if
/// the encoder refuses (it only refuses values nothing here produces).
fn push_field(
    out: &mut Vec<u8>,
    encoded: Result<Vec<u8>, impl std::fmt::Debug>,
    name: &str,
    value: &str,
) {
    match encoded {
        Ok(bytes) => out.extend_from_slice(&bytes),
        Err(_) => {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(field_text(value).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Appends a DSN field line (`Name: value`), folded only by the structured-field writer.
fn push_dsn_field(out: &mut Vec<u8>, name: &str, value: &str) {
    let value = field_text(value);
    push_field(out, structured_field(name, &value), name, &value);
}

impl Notice<'_> {
    /// True when at least one reported recipient failed.
    pub fn reports_failure(&self) -> bool {
        self.reported()
            .any(|r| matches!(r.state, RecipientState::Failed))
    }

    fn reported(&self) -> impl Iterator<Item = &crate::queue::RecipientRecord> + '_ {
        self.recipients
            .iter()
            .filter_map(|&index| self.record.recipients.get(index))
    }

    /// The notification's content, CRLF line ends, ready to be queued from `<>`.
    /// `random` supplies the boundary and the Message-ID.
    pub fn build(&self, random: &mut dyn Randomness) -> Vec<u8> {
        let failure = self.reports_failure();
        let human = self.human_text(failure);
        let status = self.delivery_status();
        let (returned_type, returned) = self.returned_part(failure);

        let mut boundary = format!("=_mailwire_report_{}", random_token(random, 12));
        while contains(self.original, boundary.as_bytes()) {
            boundary = format!("=_mailwire_report_{}", random_token(random, 12));
        }

        let mut out = Vec::with_capacity(returned.len() + human.len() + status.len() + 2048);
        let date = rfc5322_date(self.now);
        push_field(&mut out, structured_field("Date", &date), "Date", &date);
        let daemon = Mailbox::new(
            Some("Mail Delivery System".into()),
            format!("MAILER-DAEMON@{}", self.reporting_mta),
        );
        match address_field("From", &[Address::Mailbox(daemon)]) {
            Ok(bytes) => out.extend_from_slice(&bytes),
            Err(_) => out.extend_from_slice(b"From: MAILER-DAEMON\r\n"),
        }
        if let Some(sender) = &self.record.envelope.reverse_path {
            let to = Mailbox::new(None, sender.clone());
            match address_field("To", &[Address::Mailbox(to)]) {
                Ok(bytes) => out.extend_from_slice(&bytes),
                Err(_) => {
                    push_dsn_field(&mut out, "To", &format!("<{}>", field_text(sender)));
                }
            }
        }
        let subject = if failure {
            "Undelivered Mail Returned to Sender"
        } else {
            "Successful Mail Delivery Report"
        };
        push_field(
            &mut out,
            unstructured_field("Subject", subject),
            "Subject",
            subject,
        );
        let message_id = format!(
            "<{}.{}@{}>",
            self.record.id,
            random_token(random, 8),
            self.reporting_mta
        );
        push_dsn_field(&mut out, "Message-ID", &message_id);
        // RFC 3834: an automatic message; no vacation responder should answer it.
        push_dsn_field(&mut out, "Auto-Submitted", "auto-replied");
        push_dsn_field(&mut out, "MIME-Version", "1.0");
        push_dsn_field(
            &mut out,
            "Content-Type",
            &format!("multipart/report; report-type=delivery-status; boundary=\"{boundary}\""),
        );
        out.extend_from_slice(b"\r\nThis is a MIME-encapsulated delivery status notification.\r\n");

        let mut part = |headers: &[(&str, &str)], body: &[u8]| {
            out.extend_from_slice(b"\r\n--");
            out.extend_from_slice(boundary.as_bytes());
            out.extend_from_slice(b"\r\n");
            for (name, value) in headers {
                push_dsn_field(&mut out, name, value);
            }
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(body);
        };
        part(
            &[
                ("Content-Description", "Notification"),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", "8bit"),
            ],
            human.as_bytes(),
        );
        part(
            &[
                ("Content-Description", "Delivery report"),
                ("Content-Type", "message/delivery-status"),
                ("Content-Transfer-Encoding", "7bit"),
            ],
            status.as_bytes(),
        );
        let encoding = if returned.is_ascii() { "7bit" } else { "8bit" };
        let description = if returned_type == "message/rfc822" {
            "Undelivered message"
        } else {
            "Message headers"
        };
        part(
            &[
                ("Content-Description", description),
                ("Content-Type", returned_type),
                ("Content-Transfer-Encoding", encoding),
            ],
            returned,
        );
        // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): the
        // returned message keeps its own last line end.
        out.extend_from_slice(b"\r\n--");
        out.extend_from_slice(boundary.as_bytes());
        out.extend_from_slice(b"--\r\n");
        out
    }

    fn human_text(&self, failure: bool) -> String {
        let mut text = format!("This is the mail system at {}.\r\n\r\n", self.reporting_mta);
        let failed: Vec<_> = self
            .reported()
            .filter(|r| matches!(r.state, RecipientState::Failed))
            .collect();
        let delivered: Vec<_> = self
            .reported()
            .filter(|r| matches!(r.state, RecipientState::Delivered))
            .collect();
        if failure {
            text.push_str(
                "Your message could not be delivered to the recipients below.\r\n\
                 The mail system gave up; the message is attached.\r\n\r\n",
            );
            for recipient in &failed {
                let reason = recipient.last.as_ref().map_or_else(
                    || String::from("no reason recorded"),
                    |d| {
                        let said = match d.reply_code {
                            Some(code) => format!("{code} {} {}", d.status, field_text(&d.text)),
                            None => format!("{} {}", d.status, field_text(&d.text)),
                        };
                        if d.status.starts_with('4') {
                            format!("delivery time expired, last attempt: {said}")
                        } else {
                            said
                        }
                    },
                );
                let host = recipient
                    .last
                    .as_ref()
                    .and_then(|d| d.remote_mta.as_deref())
                    .map(|h| format!(" (from {})", field_text(h)))
                    .unwrap_or_default();
                text.push_str(&format!(
                    "<{}>: {reason}{host}\r\n",
                    field_text(&recipient.recipient.address)
                ));
            }
        }
        if !delivered.is_empty() {
            if failure {
                text.push_str("\r\n");
            }
            text.push_str(
                "Your message was delivered to the recipients below, as you asked to know.\r\n\r\n",
            );
            for recipient in &delivered {
                text.push_str(&format!(
                    "<{}>: delivered\r\n",
                    field_text(&recipient.recipient.address)
                ));
            }
        }
        text
    }

    fn delivery_status(&self) -> String {
        let mut out = Vec::new();
        if let Some(envid) = &self.record.envelope.envid {
            push_dsn_field(&mut out, "Original-Envelope-Id", envid);
        }
        push_dsn_field(
            &mut out,
            "Reporting-MTA",
            &format!("dns; {}", self.reporting_mta),
        );
        if let Some(from) = &self.record.envelope.received_from {
            push_dsn_field(&mut out, "Received-From-MTA", &format!("dns; {from}"));
        }
        push_dsn_field(&mut out, "Arrival-Date", &rfc5322_date(self.arrival));
        for recipient in self.reported() {
            out.extend_from_slice(b"\r\n");
            if let Some(orcpt) = &recipient.recipient.orcpt {
                push_dsn_field(&mut out, "Original-Recipient", orcpt);
            }
            push_dsn_field(
                &mut out,
                "Final-Recipient",
                &format!("rfc822; {}", recipient.recipient.address),
            );
            let diagnostic = recipient.last.as_ref();
            let action = match recipient.state {
                RecipientState::Failed => "failed",
                RecipientState::Delivered if diagnostic.is_some_and(|d| d.relayed) => "relayed",
                RecipientState::Delivered => "delivered",
                RecipientState::Pending { .. } => "delayed",
            };
            push_dsn_field(&mut out, "Action", action);
            let status = diagnostic
                .map(|d| d.status.clone())
                .filter(|s| is_status_code(s))
                .unwrap_or_else(|| match recipient.state {
                    RecipientState::Delivered => String::from("2.0.0"),
                    RecipientState::Failed => String::from("5.0.0"),
                    RecipientState::Pending { .. } => String::from("4.0.0"),
                });
            push_dsn_field(&mut out, "Status", &status);
            if let Some(diagnostic) = diagnostic {
                if let Some(remote) = &diagnostic.remote_mta {
                    push_dsn_field(&mut out, "Remote-MTA", &format!("dns; {remote}"));
                }
                if let Some(code) = diagnostic.diagnostic_code() {
                    push_dsn_field(&mut out, "Diagnostic-Code", &code);
                }
                push_dsn_field(&mut out, "Last-Attempt-Date", &rfc5322_date(diagnostic.at));
            }
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// The third part: its media type and content.
    fn returned_part(&self, failure: bool) -> (&'static str, &[u8]) {
        let full = failure
            && self.record.envelope.ret != Some(DsnReturn::Headers)
            && fits_identity_encoding(self.original);
        if full {
            ("message/rfc822", self.original)
        } else {
            ("text/rfc822-headers", header_section(self.original))
        }
    }
}

/// `class.subject.detail` with 1-3 digit fields (RFC 3464 §2.3.4).
fn is_status_code(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        && matches!(parts.first(), Some(&"2" | &"4" | &"5"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{Diagnostic, Envelope, EnvelopeRecipient, QueueId, RecipientRecord};

    fn record() -> MessageRecord {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut envelope = Envelope::new(
            Some(String::from("alice@example.org")),
            [
                EnvelopeRecipient::new("bob@example.com"),
                EnvelopeRecipient::new("carol@example.com"),
            ],
            at,
        );
        envelope.envid = Some(String::from("QQ314159"));
        let failed = RecipientRecord {
            recipient: EnvelopeRecipient {
                address: String::from("bob@example.com"),
                orcpt: Some(String::from("rfc822;bob@example.com")),
                notify: None,
            },
            state: RecipientState::Failed,
            attempts: 1,
            last: Some(Diagnostic {
                status: String::from("5.1.1"),
                reply_code: Some(550),
                text: String::from("no such user\r\nhere"),
                remote_mta: Some(String::from("mx.example.com")),
                relayed: true,
                dsn_passed_on: false,
                at,
            }),
            notified: false,
        };
        let pending = RecipientRecord {
            recipient: EnvelopeRecipient::new("carol@example.com"),
            state: RecipientState::Pending { next_attempt: at },
            attempts: 0,
            last: None,
            notified: false,
        };
        MessageRecord {
            version: MessageRecord::VERSION,
            id: QueueId::generate(at, 1),
            size: 0,
            eight_bit: false,
            recipients: vec![failed, pending],
            envelope,
        }
    }

    #[test]
    fn failure_report_has_the_rfc3464_structure() {
        let record = record();
        let original = b"Subject: hello\r\nFrom: alice@example.org\r\n\r\nBody line\r\n";
        let notice = Notice {
            reporting_mta: "mx.mailwire.test",
            record: &record,
            recipients: &[0],
            original,
            arrival: record.envelope.received_at,
            now: record.envelope.received_at + Duration::from_secs(60),
        };
        let mut counter = 0u8;
        let bytes = notice.build(&mut |buffer: &mut [u8]| {
            for byte in buffer.iter_mut() {
                counter = counter.wrapping_add(1);
                *byte = counter;
            }
        });
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("Content-Type: multipart/report; report-type=delivery-status;"));
        assert!(text.contains("Reporting-MTA: dns; mx.mailwire.test\r\n"));
        assert!(text.contains("Original-Envelope-Id: QQ314159\r\n"));
        assert!(text.contains("Original-Recipient: rfc822;bob@example.com\r\n"));
        assert!(text.contains(
            "Final-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        ));
        assert!(text.contains("Diagnostic-Code: smtp; 550 5.1.1 no such user here\r\n"));
        assert!(text.contains("Content-Type: message/rfc822\r\n"));
        assert!(text.contains("\r\n\r\nBody line\r\n"));
        assert!(!text.contains("carol"));
        assert!(text.starts_with("Date: "));
        assert!(text.ends_with("--\r\n"));
        assert!(text.lines().all(|line| line.len() <= 998));
    }

    #[test]
    fn status_codes_are_checked() {
        assert!(is_status_code("5.1.1"));
        assert!(is_status_code("4.4.7"));
        assert!(!is_status_code("5.1"));
        assert!(!is_status_code("3.1.1"));
        assert!(!is_status_code("5.1.1234"));
    }
}
