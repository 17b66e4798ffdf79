//! Helpers shared by the builder and editor tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    dead_code
)]

use std::borrow::Cow;

use mailwire_mime::build::{Disposition, MessageBuilder, Part};
use mailwire_mime::header::{DateTime, Group, Mailbox};

/// A mailbox from a display name and an address.
pub fn mailbox(name: Option<&str>, address: &str) -> Mailbox<'static> {
    Mailbox::new(name.map(|n| Cow::Owned(n.to_owned())), address.to_owned())
}

/// A message using every feature of the builder: non-ASCII names and subject, a group, Bcc,
/// Reply-To, threading fields, a custom field, text + HTML with an inline image, attachments
/// and a forwarded message.
pub fn full_message() -> MessageBuilder {
    MessageBuilder::new()
        .from(mailbox(Some("J\u{f6}rg M\u{fc}ller"), "joerg@example.com"))
        .to(mailbox(Some("Doe, John"), "john@example.net"))
        .to(mailbox(None, "plain@example.net"))
        .cc(Group::new(
            "Team",
            vec![
                mailbox(None, "a@example.org"),
                mailbox(Some("B. B."), "b@example.org"),
            ],
        ))
        .bcc(mailbox(None, "hidden@example.org"))
        .bcc(mailbox(None, "JOHN@EXAMPLE.NET".to_lowercase().as_str()))
        .reply_to(mailbox(Some("Replies"), "replies@example.com"))
        .subject("Gr\u{fc}\u{df}e \u{2014} quarterly report")
        .date(date())
        .in_reply_to("<original@example.net>")
        .references("first@example.net")
        .references("<original@example.net>")
        .field("X-Mailer", "mailwire test \u{2713}")
        .text("Hello,\nsee attached.\n")
        .html("<p>Hello, <img src=\"cid:logo@example.com\"></p>\n")
        .inline(
            "logo@example.com",
            "image/png",
            vec![0x89, b'P', b'N', b'G', 0, 1, 2],
        )
        .attachment(
            "r\u{e9}sum\u{e9}.pdf",
            "application/pdf",
            b"%PDF-1.4\n\x00\xff".to_vec(),
        )
        .attach(
            Part::text_of_type("text/csv", "a,b\r\n1,2\r\n")
                .with_filename("data.csv")
                .with_disposition(Disposition::Inline)
                .with_description("Numbers"),
        )
        .forward(b"From: x@example.com\nSubject: inner\n\nforwarded body\n".to_vec())
}

/// Deterministic randomness (xorshift64*), so every run builds the same bytes.
pub struct TestRandom(u64);

impl TestRandom {
    pub fn new(seed: u64) -> Self {
        TestRandom(seed | 1)
    }
}

impl mailwire_mime::build::Randomness for TestRandom {
    fn fill(&mut self, buffer: &mut [u8]) {
        for byte in buffer {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            *byte = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
        }
    }
}

/// A fixed date, as an injected clock would give.
pub fn date() -> DateTime {
    DateTime::new(2024, 2, 29, 13, 37, 5, 60).unwrap()
}

/// Every line ends with CRLF (no bare CR or LF), no line exceeds 998 octets, and a line exceeds
/// 78 only when it holds a token (a run without white space) longer than 76 that no fold could
/// split. Returns the longest line length.
pub fn assert_line_limits(message: &[u8]) -> usize {
    let mut longest = 0;
    let mut rest = message;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n');
        let (line, next) = match end {
            Some(lf) => (&rest[..lf], &rest[lf + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        if end.is_some() {
            assert!(
                line.last() == Some(&b'\r'),
                "bare LF after {:?}",
                String::from_utf8_lossy(line)
            );
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        assert!(
            !line.contains(&b'\r'),
            "bare CR in {:?}",
            String::from_utf8_lossy(line)
        );
        assert!(line.len() <= 998, "line of {} octets", line.len());
        if line.len() > 78 {
            let longest_token = line
                .split(|&b| b == b' ' || b == b'\t')
                .map(<[u8]>::len)
                .max()
                .unwrap_or(0);
            assert!(
                longest_token > 76,
                "avoidable long line ({}): {:?}",
                line.len(),
                String::from_utf8_lossy(line)
            );
        }
        longest = longest.max(line.len());
        rest = next;
    }
    longest
}

/// Whether `python3` runs; if not, fails when MAILWIRE_REQUIRE_PEERS=1, else says so loudly.
pub fn python3_available() -> bool {
    let ok = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .map(|output| output.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("MAILWIRE_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("peer python3 missing and MAILWIRE_REQUIRE_PEERS=1");
        }
        eprintln!("SKIPPED: peer python3 missing");
    }
    ok
}

/// How Python's `email` package sees each message: the (content type, decoded payload) of
/// every leaf in walk order. One python3 process for all messages; `label` keeps concurrent
/// callers' scratch folders apart.
pub fn python_leaves(label: &str, messages: &[Vec<u8>]) -> Vec<Vec<(String, Vec<u8>)>> {
    const SCRIPT: &str = r#"
import base64, email, json, sys
from email import policy
out = []
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        message = email.message_from_bytes(handle.read(), policy=policy.compat32)
    leaves = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        leaves.append([part.get_content_type(), base64.b64encode(payload).decode()])
    out.append(leaves)
print(json.dumps(out))
"#;
    let dir = std::env::temp_dir().join(format!("mailwire-python-{label}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<std::path::PathBuf> = messages
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let path = dir.join(format!("{index}.eml"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let output = std::process::Command::new("timeout")
        .arg("120")
        .arg("python3")
        .arg("-c")
        .arg(SCRIPT)
        .args(&paths)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|leaves| {
            leaves
                .as_array()
                .unwrap()
                .iter()
                .map(|leaf| {
                    use base64::Engine as _;
                    (
                        leaf[0].as_str().unwrap().to_owned(),
                        base64::engine::general_purpose::STANDARD
                            .decode(leaf[1].as_str().unwrap())
                            .unwrap(),
                    )
                })
                .collect()
        })
        .collect()
}
