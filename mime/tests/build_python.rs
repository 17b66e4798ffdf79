//! Python's `email` package (an independent parser) reads what the builder writes: subject,
//! addresses, file names and decoded payloads agree, and Python reports no defects.
//!
//! Needs `python3` (always on the project's machines, see PEERS.md); without it the test says
//! SKIPPED, or fails when MAILWIRE_REQUIRE_PEERS=1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod build_support;

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use build_support::{date, full_message, mailbox, python3_available, TestRandom};
use mailwire_mime::build::{normalize_line_ends, MessageBuilder};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::Value;

const READER: &str = r#"
import base64, email, json, sys
from email import policy

def addresses(message, name):
    header = message.get(name)
    if header is None:
        return None
    return [[a.display_name, a.addr_spec] for a in header.addresses]

results = []
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        message = email.message_from_bytes(handle.read(), policy=policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        parts.append({
            "type": part.get_content_type(),
            "filename": part.get_filename(),
            "payload": base64.b64encode(payload).decode(),
            "defects": [type(d).__name__ for d in part.defects],
        })
    subject = message["subject"]
    results.append({
        "subject": None if subject is None else str(subject),
        "from": addresses(message, "from"),
        "to": addresses(message, "to"),
        "defects": [type(d).__name__ for d in message.defects],
        "parts": parts,
    })
print(json.dumps(results))
"#;

/// What one test message should look like to any reader.
struct Expected {
    subject: String,
    from: Vec<(String, String)>,
    to: Vec<(String, String)>,
    /// (media type, file name, decoded payload) of each leaf in document order.
    leaves: Vec<(String, Option<String>, Vec<u8>)>,
}

fn run_python(label: &str, messages: &[Vec<u8>]) -> Vec<Value> {
    let dir = std::env::temp_dir().join(format!(
        "mailwire-build-python-{label}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let paths: Vec<PathBuf> = messages
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let path = dir.join(format!("{index}.eml"));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let output = Command::new("timeout")
        .arg("120")
        .arg("python3")
        .arg("-c")
        .arg(READER)
        .args(&paths)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        output.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    match serde_json::from_slice(&output.stdout).unwrap() {
        Value::Array(results) => results,
        other => panic!("unexpected output {other}"),
    }
}

fn pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn compare(result: &Value, expected: &Expected, bytes: &[u8]) {
    let context = String::from_utf8_lossy(bytes);
    assert_eq!(result["defects"], Value::Array(Vec::new()), "{context}");
    assert_eq!(
        result["subject"].as_str().unwrap(),
        expected.subject,
        "{context}"
    );
    let from: Vec<(String, String)> = pairs(&result["from"])
        .into_iter()
        .map(|(name, address)| (python_phrase(&name), address))
        .collect();
    assert_eq!(from, expected.from, "{context}");
    assert_eq!(pairs(&result["to"]), expected.to, "{context}");
    let parts = result["parts"].as_array().unwrap();
    assert_eq!(parts.len(), expected.leaves.len(), "{context}");
    for (part, (media_type, filename, payload)) in parts.iter().zip(&expected.leaves) {
        assert_eq!(part["defects"], Value::Array(Vec::new()), "{context}");
        assert_eq!(part["type"].as_str().unwrap(), media_type, "{context}");
        assert_eq!(part["filename"].as_str(), filename.as_deref(), "{context}");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(part["payload"].as_str().unwrap())
            .unwrap();
        assert_eq!(&decoded, payload, "{context}");
    }
}

#[test]
fn python_reads_the_full_featured_message() {
    if !python3_available() {
        return;
    }
    let bytes = full_message()
        .build(&mut TestRandom::new(21))
        .unwrap()
        .to_bytes();
    let expected = Expected {
        subject: "Gr\u{fc}\u{df}e \u{2014} quarterly report".to_owned(),
        from: vec![(
            "J\u{f6}rg M\u{fc}ller".to_owned(),
            "joerg@example.com".to_owned(),
        )],
        to: vec![
            ("Doe, John".to_owned(), "john@example.net".to_owned()),
            (String::new(), "plain@example.net".to_owned()),
        ],
        leaves: vec![
            (
                "text/plain".to_owned(),
                None,
                b"Hello,\r\nsee attached.\r\n".to_vec(),
            ),
            (
                "text/html".to_owned(),
                None,
                b"<p>Hello, <img src=\"cid:logo@example.com\"></p>\r\n".to_vec(),
            ),
            (
                "image/png".to_owned(),
                None,
                vec![0x89, b'P', b'N', b'G', 0, 1, 2],
            ),
            (
                "application/pdf".to_owned(),
                Some("r\u{e9}sum\u{e9}.pdf".to_owned()),
                b"%PDF-1.4\n\x00\xff".to_vec(),
            ),
            (
                "text/csv".to_owned(),
                Some("data.csv".to_owned()),
                b"a,b\r\n1,2\r\n".to_vec(),
            ),
            // Python walks into the forwarded message: its only leaf is its body.
            (
                "text/plain".to_owned(),
                None,
                b"forwarded body\r\n".to_vec(),
            ),
        ],
    };
    let results = run_python("full", std::slice::from_ref(&bytes));
    compare(&results[0], &expected, &bytes);
}

/// Values for the generated messages: plain words, Latin-1 accents, CJK, emoji, quotes and
/// specials, white space runs, and long unbreakable runs.
fn value_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::prop_oneof![
            "[a-zA-Z0-9]{1,10}",
            "[\u{e0}-\u{ff}]{1,6}",
            "[\u{4e00}-\u{4e80}]{1,8}",
            "[\u{1f600}-\u{1f640}]{1,3}",
            "[\"\\\\(),.:;<>@\\[\\]]{1,3}",
            "[a-z]{80,200}",
        ],
        1..12,
    )
    .prop_map(|words| words.join(" "))
}

/// Display names as Python reads them: it keeps one space between adjacent encoded words of a
/// phrase, where RFC 2047 §6.2 says to drop it. The builder splits encoded words after a space
/// where it can, so the difference is at most a doubled space, which this folds away; names
/// here have no word too long for one encoded word (which would be split inside the word, and
/// Python would show a space there).
fn python_phrase(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn short_words_strategy() -> impl Strategy<Value = String> {
    value_strategy().prop_map(|value| {
        value
            .split(' ')
            .map(|word| word.chars().take(30).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

#[test]
fn python_reads_generated_messages() {
    if !python3_available() {
        return;
    }
    let mut runner = TestRunner::deterministic();
    let values = value_strategy();
    let names = short_words_strategy();
    let bodies = "(\\PC{0,100}\\n){0,20}";
    let mut messages = Vec::new();
    let mut expectations = Vec::new();
    for round in 0..60u64 {
        let subject = values.new_tree(&mut runner).unwrap().current();
        let name = names.new_tree(&mut runner).unwrap().current();
        let filename = values.new_tree(&mut runner).unwrap().current();
        let body = bodies.new_tree(&mut runner).unwrap().current();
        let data: Vec<u8> = (0..round * 37).map(|n| (n * 7 + round) as u8).collect();
        let message = MessageBuilder::new()
            .from(mailbox(Some(&name), "sender@example.com"))
            .to(mailbox(None, "rcpt@example.net"))
            .subject(subject.as_str())
            .date(date())
            .text(body.as_str())
            .attachment(filename.as_str(), "application/octet-stream", data.clone())
            .build(&mut TestRandom::new(round))
            .unwrap();
        messages.push(message.to_bytes());
        expectations.push(Expected {
            subject,
            from: vec![(python_phrase(&name), "sender@example.com".to_owned())],
            to: vec![(String::new(), "rcpt@example.net".to_owned())],
            leaves: vec![
                (
                    "text/plain".to_owned(),
                    None,
                    normalize_line_ends(body.as_bytes()),
                ),
                ("application/octet-stream".to_owned(), Some(filename), data),
            ],
        });
    }
    let results = run_python("generated", &messages);
    assert_eq!(results.len(), messages.len());
    for ((result, expected), bytes) in results.iter().zip(&expectations).zip(&messages) {
        compare(result, expected, bytes);
    }
}
