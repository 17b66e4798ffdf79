//! Differential test against Python's email package (policy=email.policy.default)
//! over CPython's own email test messages: part tree, content types, parameters,
//! file names, decoded header text and decoded payload hashes must agree, except for
//! the differences listed in `KNOWN_DIFFERENCES`, each with the reason we are right.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[allow(dead_code)]
#[path = "../examples/mime-inspect.rs"]
mod inspect;
mod tree_support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use tree_support::{cpython_email_data, skip};

/// Reasons shared by several entries below.
const DEFAULT_CHARSET: &str = "a part without Content-Type is text/plain; charset=us-ascii \
    (RFC 2045 5.2), so we report that charset; Python reports none";
const NO_DELIMITER: &str = "a multipart whose boundary never appears keeps its type with no \
    parts and its body as preamble, as Dovecot does (IMAP then sees a multipart); Python turns \
    it into a leaf, which changes IMAP part numbers, and the streaming parser cannot know in \
    advance without buffering the whole body";
const QP_TRAILING_BLANKS: &str = "RFC 2045 6.7 rule 3: trailing blanks on a quoted-printable \
    line were added in transport and are deleted by the decoder; Python keeps them";
const DELIVERY_STATUS: &str = "message/delivery-status (RFC 3464) is a leaf: its body is \
    a list of field groups, not a message (IMAP nests only message/rfc822); Python splits it \
    into header blocks and has no payload for it";
const EXTERNAL_BODY: &str = "message/external-body (RFC 2046 5.2.3) is a leaf: its body \
    is the phantom header of data stored elsewhere, not a message; Python nests it";

/// `(file, field, detail, reason)`: an expected difference in `field` of `file`, and
/// why our answer is the right one. `file` `*` matches every file; `field` is a path
/// into the report matched as a prefix, where `[*]` matches any index; `detail`
/// (`ours ... | python ...`) must match exactly unless empty.
const KNOWN_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    (
        "*",
        ".parts[*].charset",
        r#"ours "us-ascii" | python null"#,
        DEFAULT_CHARSET,
    ),
    (
        "*",
        ".parts[*].params.charset",
        r#"ours "us-ascii" | python null"#,
        DEFAULT_CHARSET,
    ),
    ("msg_15.txt", ".parts[1].s", "", NO_DELIMITER),
    ("msg_15.txt", ".parts[2].s", "", QP_TRAILING_BLANKS),
    ("msg_16.txt", ".parts[2].s", "", DELIVERY_STATUS),
    ("msg_17.txt", ".parts[0]", "", NO_DELIMITER),
    (
        "msg_25.txt",
        ".parts[0].params.bo",
        r#"ours null | python """#,
        "`bo` without `=value` is not a parameter (RFC 2045 5.1: parameter := attribute \
         \"=\" value); Python keeps it with an empty value",
    ),
    ("msg_31.txt", ".parts[0]", "", NO_DELIMITER),
    ("msg_36.txt", ".parts[3].s", "", EXTERNAL_BODY),
    ("msg_36.txt", ".parts[4].s", "", EXTERNAL_BODY),
    (
        "msg_37.txt",
        ".parts",
        "",
        "each delimiter line starts a part, so consecutive delimiter lines give empty parts \
         (as Dovecot reads them; part numbers follow the delimiters and every line stays \
         accounted for); Python folds runs of delimiter lines into one",
    ),
    ("msg_39.txt", ".parts[2].s", "", NO_DELIMITER),
    ("msg_42.txt", ".parts[3]", "", NO_DELIMITER),
    (
        "msg_43.txt",
        ".headers.from[0].address",
        r#"ours "" | python "<>""#,
        "`<>` is the null reverse-path: it has no address, so the address is empty; Python \
         returns the brackets as the address",
    ),
    ("msg_43.txt", ".parts[2].s", "", DELIVERY_STATUS),
];

/// `field` with every `[n]` index written `[*]`.
fn wildcard_indices(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut in_index = false;
    for c in field.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push_str("[*");
            }
            ']' => {
                in_index = false;
                out.push(']');
            }
            _ if in_index => {}
            _ => out.push(c),
        }
    }
    out
}

fn known(name: &str, field: &str, detail: &str) -> Option<usize> {
    KNOWN_DIFFERENCES
        .iter()
        .position(|(file, prefix, expected, _)| {
            (*file == "*" || *file == name)
                && (field.starts_with(prefix) || wildcard_indices(field).starts_with(prefix))
                && (expected.is_empty() || *expected == detail)
        })
}

/// Lists the differences between two reports as `field: ours | python` lines.
fn differences(ours: &Value, python: &Value, field: &str, out: &mut Vec<(String, String)>) {
    match (ours, python) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                differences(
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    &format!("{field}.{key}"),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{field}[{i}]"), out);
            }
        }
        _ if ours == python => {}
        _ => out.push((field.to_owned(), format!("ours {ours} | python {python}"))),
    }
}

#[test]
fn agrees_with_python_email_package() {
    let Some(data) = cpython_email_data() else {
        skip("python3 (email package and its test data)");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("msg_") && name.ends_with(".txt")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 48,
        "CPython ships 48 test messages, found {}",
        files.len()
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/diff_python.py");
    let output = Command::new("python3")
        .arg(&script)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let python: Value = serde_json::from_slice(&output.stdout).unwrap();

    let mut unexplained = Vec::new();
    let mut used = vec![false; KNOWN_DIFFERENCES.len()];
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(path).unwrap();
        let ours = inspect::tree_report(&input).unwrap();
        let theirs = &python[path.to_string_lossy().as_ref()];
        let mut found = Vec::new();
        differences(&ours, theirs, "", &mut found);
        for (field, detail) in found {
            match known(&name, &field, &detail) {
                Some(index) => used[index] = true,
                None => unexplained.push(format!("{name} {field}: {detail}")),
            }
        }
    }
    let stale: Vec<String> = KNOWN_DIFFERENCES
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|((file, field, _, _), _)| format!("{file} {field}"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "differences from Python:\n{}",
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed differences that no longer occur:\n{}",
        stale.join("\n")
    );
}
