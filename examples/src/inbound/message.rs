//! A message on its way from an SMTP session into the queue: the `Received` trace field
//! put on top (RFC 5321 §4.4), on submission the `Date` and `Message-ID` fields added
//! when missing (RFC 6409 §8.2, §8.3), and the content streamed into the spool.
//!
//! The content is never held whole in memory. On submission only the header section is
//! gathered (at most [`HeaderLimits::DEFAULT`]: 1 MiB, 1000 fields), parsed with
//! mailwire-mime, and its missing fields inserted with mailwire-mime's lossless editor
//! at the end of the section; every other octet goes to the spool as it came.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use mailwire_mime::edit::Editor;
use mailwire_mime::encode::structured_field;
use mailwire_mime::header::section::{HeaderLimits, HeaderSection};
use mailwire_mime::header::DateTime;
use mailwire_mime::tree::Message;

use crate::queue::{QueueError, QueueId, SpoolWriter};

/// Who handed the message over, for the `Received` field.
#[derive(Debug, Clone)]
pub struct Trace {
    /// The name the client gave in EHLO/HELO, if it gave one.
    pub helo: Option<String>,
    /// True when it said EHLO (ESMTP) rather than HELO.
    pub esmtp: bool,
    /// The client's address.
    pub peer: IpAddr,
    /// The client's forward-confirmed name, when the PTR check ran.
    pub ptr_name: Option<String>,
    /// The TLS version and cipher suite, when the session is encrypted.
    pub tls: Option<String>,
    /// True when the client authenticated.
    pub authenticated: bool,
    /// True when the transaction used SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
}

impl Trace {
    /// The `with` protocol of RFC 3848 (and RFC 6531 §3.7.3 for SMTPUTF8): `SMTP` for
    /// HELO; `ESMTP`, plus `S` with TLS and `A` with authentication.
    pub fn protocol(&self) -> String {
        if !self.esmtp {
            return String::from("SMTP");
        }
        let mut protocol = String::from(if self.smtputf8 { "UTF8SMTP" } else { "ESMTP" });
        if self.tls.is_some() {
            protocol.push('S');
        }
        if self.authenticated {
            protocol.push('A');
        }
        protocol
    }
}

/// The address literal of RFC 5321 §4.1.3: `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
pub fn address_literal(address: IpAddr) -> String {
    match address.to_canonical() {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => format!("[IPv6:{v6}]"),
    }
}

/// The date-time of `now` for header fields, in UTC.
pub fn rfc5322_date(now: SystemTime) -> String {
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    DateTime::from_unix_timestamp(seconds, 0)
        .or_else(|| DateTime::from_unix_timestamp(0, 0))
        .map(|date| date.to_rfc5322())
        .unwrap_or_else(|| String::from("Thu, 1 Jan 1970 00:00:00 +0000"))
}

/// The `Received` field (RFC 5321 §4.4):
/// `from HELO (PTR-NAME [ADDRESS]) by HOSTNAME (mailwire) with PROTOCOL (TLS) id ID
/// for <RECIPIENT>; DATE`. The `for` clause is written only for a single recipient, so
/// that one recipient's copy does not reveal the others.
pub fn received_field(
    hostname: &str,
    trace: &Trace,
    id: &QueueId,
    single_recipient: Option<&str>,
    now: SystemTime,
) -> Vec<u8> {
    let literal = address_literal(trace.peer);
    let tcp_info = match &trace.ptr_name {
        Some(name) => format!("{name} {literal}"),
        None => literal.clone(),
    };
    let mut value = String::new();
    let from = trace.helo.clone().unwrap_or_else(|| literal.clone());
    value.push_str(&format!(
        "from {from} ({tcp_info}) by {hostname} (mailwire) with {}",
        trace.protocol()
    ));
    if let Some(tls) = &trace.tls {
        value.push_str(&format!(" ({tls})"));
    }
    value.push_str(&format!(" id {id}"));
    if let Some(recipient) = single_recipient {
        value.push_str(&format!(" for <{recipient}>"));
    }
    value.push_str("; ");
    value.push_str(&rfc5322_date(now));
    structured_field("Received", &value).unwrap_or_else(|_| {
        // Only a client's name can make the value unwritable (a token longer than a
        // line): fall back to its address, which always fits.
        let value = format!(
            "from {literal} ({literal}) by {hostname} (mailwire) with {} id {id}; {}",
            trace.protocol(),
            rfc5322_date(now)
        );
        structured_field("Received", &value)
            .unwrap_or_else(|_| format!("Received: by {hostname} id {id}\r\n").into_bytes())
    })
}

/// What submission adds to a message's header section when it is missing.
#[derive(Debug, Clone)]
pub struct HeaderFixes {
    /// The `Date` value to add when there is none.
    pub date: String,
    /// The `Message-ID` value (with angle brackets) to add when there is none.
    pub message_id: String,
}

impl HeaderFixes {
    /// Fixes for a message received at `now`, with a Message-ID made of the queue id,
    /// a random number and `hostname`.
    pub fn new(hostname: &str, id: &QueueId, random: u64, now: SystemTime) -> Self {
        HeaderFixes {
            date: rfc5322_date(now),
            message_id: format!("<{id}.{random:016x}@{hostname}>"),
        }
    }

    /// The header section `head` (up to where the body starts) with the missing fields
    /// added at its end, every other octet kept.
    pub fn apply(&self, head: &[u8]) -> Result<Vec<u8>, HeaderRefusal> {
        let message = Message::parse(head).map_err(|_| HeaderRefusal::Unparsable)?;
        let header = message.header();
        let mut editor = Editor::new(&message);
        let mut additions = Vec::new();
        if header.get("Date").is_none() {
            additions.push(("Date", self.date.as_str()));
        }
        if header.get("Message-ID").is_none() {
            additions.push(("Message-ID", self.message_id.as_str()));
        }
        for (name, value) in additions {
            let field = structured_field(name, value).map_err(|_| HeaderRefusal::Unparsable)?;
            editor
                .add_field(message.root(), field)
                .map_err(|_| HeaderRefusal::Unparsable)?;
        }
        Ok(editor.to_bytes())
    }
}

/// Why a submitted message's header section was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderRefusal {
    /// The header section is larger than the limits (1 MiB, 1000 fields, long lines).
    #[error("header section too large")]
    TooLarge,
    /// The header section could not be edited.
    #[error("header section not editable")]
    Unparsable,
}

#[derive(Debug)]
enum HeaderStage {
    /// Gathering the header section to fix it.
    Gathering { fixes: HeaderFixes, buffer: Vec<u8> },
    /// Everything passes straight to the spool.
    Streaming,
    /// The header was refused; the rest is read and dropped.
    Refused(HeaderRefusal),
}

/// Why a message could not be queued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IncomingError {
    /// The spool refused.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The header section was refused.
    #[error(transparent)]
    Header(#[from] HeaderRefusal),
}

/// A message being received; see the [module docs](self).
#[derive(Debug)]
pub struct Incoming {
    writer: SpoolWriter,
    stage: HeaderStage,
    failed: Option<IncomingError>,
}

impl Incoming {
    /// Starts the message in `writer` with `received` on top; with `fixes`, the header
    /// section is gathered and fixed before it goes on.
    pub async fn start(
        mut writer: SpoolWriter,
        received: &[u8],
        fixes: Option<HeaderFixes>,
    ) -> Incoming {
        let failed = writer.write(received).await.err().map(IncomingError::from);
        let stage = match fixes {
            Some(fixes) => HeaderStage::Gathering {
                fixes,
                buffer: Vec::new(),
            },
            None => HeaderStage::Streaming,
        };
        Incoming {
            writer,
            stage,
            failed,
        }
    }

    /// The queue id the message will have.
    pub fn id(&self) -> &QueueId {
        self.writer.id()
    }

    /// Takes the next piece of the content.
    pub async fn push(&mut self, chunk: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        let result = match &mut self.stage {
            HeaderStage::Streaming => self.writer.write(chunk).await.map_err(IncomingError::from),
            HeaderStage::Refused(_) => Ok(()),
            HeaderStage::Gathering { fixes, buffer } => {
                buffer.extend_from_slice(chunk);
                // The section can end only at a line end: look again only then.
                if !chunk.contains(&b'\n') {
                    return;
                }
                match HeaderSection::parse_partial(buffer, &HeaderLimits::DEFAULT) {
                    Ok(None) => return,
                    Ok(Some(section)) => {
                        let split = section.body_offset();
                        let fixes = fixes.clone();
                        let buffer = std::mem::take(buffer);
                        self.pass_on(&fixes, &buffer, split).await
                    }
                    Err(_) => {
                        self.stage = HeaderStage::Refused(HeaderRefusal::TooLarge);
                        Ok(())
                    }
                }
            }
        };
        if let Err(error) = result {
            self.failed = Some(error);
        }
    }

    /// Writes the fixed header (`buffer` up to `split`) and the rest of `buffer`.
    async fn pass_on(
        &mut self,
        fixes: &HeaderFixes,
        buffer: &[u8],
        split: usize,
    ) -> Result<(), IncomingError> {
        let (head, rest) = buffer.split_at(split.min(buffer.len()));
        match fixes.apply(head) {
            Ok(fixed) => {
                self.stage = HeaderStage::Streaming;
                self.writer.write(&fixed).await?;
                self.writer.write(rest).await?;
                Ok(())
            }
            Err(refusal) => {
                self.stage = HeaderStage::Refused(refusal);
                Ok(())
            }
        }
    }

    /// The content is complete: returns the writer to commit, or why the message cannot
    /// be queued.
    pub async fn finish(mut self) -> Result<SpoolWriter, IncomingError> {
        if let HeaderStage::Gathering { fixes, buffer } = &mut self.stage {
            // No body (or no end of the header section): the whole content is header.
            let fixes = fixes.clone();
            let buffer = std::mem::take(buffer);
            let split = match HeaderSection::parse(&buffer, &HeaderLimits::DEFAULT) {
                Ok(section) => Some(section.body_offset()),
                Err(_) => None,
            };
            let result = match split {
                Some(split) => self.pass_on(&fixes, &buffer, split).await,
                None => {
                    self.stage = HeaderStage::Refused(HeaderRefusal::TooLarge);
                    Ok(())
                }
            };
            if let Err(error) = result {
                self.failed.get_or_insert(error);
            }
        }
        if let Some(error) = self.failed {
            return Err(error);
        }
        if let HeaderStage::Refused(refusal) = self.stage {
            return Err(refusal.into());
        }
        Ok(self.writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fixes() -> HeaderFixes {
        HeaderFixes {
            date: String::from("Thu, 1 Feb 2024 10:00:00 +0000"),
            message_id: String::from("<q1.00@mx.test>"),
        }
    }

    #[test]
    fn missing_fields_are_added_at_the_end_of_the_header() {
        let head = b"From: a@example.org\r\nSubject:  odd   spacing\r\n\r\n";
        assert_eq!(
            fixes().apply(head).unwrap(),
            b"From: a@example.org\r\nSubject:  odd   spacing\r\n\
Date: Thu, 1 Feb 2024 10:00:00 +0000\r\nMessage-ID: <q1.00@mx.test>\r\n\r\n"
        );
        let complete = b"Date: x\r\nmessage-id: <y@z>\r\n\r\n";
        assert_eq!(fixes().apply(complete).unwrap(), complete);
        // A header of bare LF lines gets bare LF fields; a header without its empty line
        // (the content is all header) gets the fields after the last one.
        assert_eq!(
            fixes().apply(b"Date: x\nSubject: s\n\n").unwrap(),
            b"Date: x\nSubject: s\nMessage-ID: <q1.00@mx.test>\n\n"
        );
        assert_eq!(
            fixes().apply(b"Date: x\r\nSubject: no end").unwrap(),
            b"Date: x\r\nSubject: no end\r\nMessage-ID: <q1.00@mx.test>\r\n"
        );
    }

    #[test]
    fn received_names_protocol_tls_and_single_recipient() {
        let trace = Trace {
            helo: Some(String::from("client.example")),
            esmtp: true,
            peer: "192.0.2.7".parse().unwrap(),
            ptr_name: Some(String::from("host.example")),
            tls: Some(String::from("TLSv1_3 TLS13_AES_256_GCM_SHA384")),
            authenticated: true,
            smtputf8: false,
        };
        let id = QueueId::parse("abc123").unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(1_706_781_600);
        let field = String::from_utf8(received_field(
            "mx.test",
            &trace,
            &id,
            Some("bob@mx.test"),
            at,
        ))
        .unwrap();
        let unfolded = field.replace("\r\n", "");
        assert_eq!(
            unfolded,
            "Received: from client.example (host.example [192.0.2.7]) by mx.test (mailwire) \
with ESMTPSA (TLSv1_3 TLS13_AES_256_GCM_SHA384) id abc123 for <bob@mx.test>; \
Thu, 01 Feb 2024 10:00:00 +0000"
        );
        assert!(field.lines().all(|line| line.len() <= 78));
        let plain = Trace {
            tls: None,
            authenticated: false,
            ptr_name: None,
            helo: None,
            esmtp: true,
            ..trace.clone()
        };
        let field = String::from_utf8(received_field("mx.test", &plain, &id, None, at)).unwrap();
        assert!(field.starts_with("Received: from [192.0.2.7] ([192.0.2.7]) by mx.test"));
        assert!(field.contains("with ESMTP id"));
        assert!(!field.contains(" for "));
        let protocols: Vec<String> = [
            (false, false, false),
            (true, false, false),
            (false, true, false),
            (true, true, true),
        ]
        .iter()
        .map(|&(tls, auth, utf8)| {
            Trace {
                tls: tls.then(String::new),
                authenticated: auth,
                smtputf8: utf8,
                ..plain.clone()
            }
            .protocol()
        })
        .collect();
        assert_eq!(protocols, ["ESMTP", "ESMTPS", "ESMTPA", "UTF8SMTPSA"]);
        assert_eq!(
            address_literal("2001:db8::1".parse().unwrap()),
            "[IPv6:2001:db8::1]"
        );
        assert_eq!(
            address_literal("::ffff:192.0.2.1".parse().unwrap()),
            "[192.0.2.1]"
        );
    }
}
