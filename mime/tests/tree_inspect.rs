//! The mime-inspect example gives the same report from the tree and from the
//! streaming parser, whatever the read size.
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

use tree_support::{cpython_messages, seed_messages};

#[test]
fn tree_and_stream_reports_agree_on_the_corpus() {
    let mut corpus = seed_messages();
    corpus.extend(cpython_messages());
    assert!(corpus.len() >= 3);
    for (name, input) in &corpus {
        let tree = inspect::tree_report(input).unwrap();
        for chunk in [1, 7, 64, 8192] {
            let stream = inspect::stream_report(&input[..], chunk).unwrap();
            assert_eq!(tree, stream, "{name} read in pieces of {chunk}");
        }
    }
}

#[test]
fn report_of_the_rfc2049_example() {
    let input = seed_messages()
        .into_iter()
        .find(|(name, _)| name.ends_with("rfc2049_appendix_a.eml"))
        .unwrap()
        .1;
    let report = inspect::tree_report(&input).unwrap();
    assert_eq!(report["headers"]["subject"], "A multipart example");
    assert_eq!(report["headers"]["date"], "1994-10-07T16:15:05-07:00");
    assert_eq!(report["headers"]["from"][0]["name"], "Nathaniel Borenstein");
    assert_eq!(report["headers"]["from"][0]["address"], "nsb@nsb.fv.com");
    assert_eq!(report["headers"]["cc"], serde_json::Value::Null);
    let parts = report["parts"].as_array().unwrap();
    let paths: Vec<&str> = parts.iter().map(|p| p["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["", "1", "2", "3", "3.1", "3.2", "4", "5", "5.1"]);
    assert_eq!(parts[2]["charset"], "us-ascii");
    assert_eq!(parts[2]["params"]["charset"], "US-ASCII");
    assert_eq!(parts[0]["params"]["boundary"], "unique-boundary-1");
    assert_eq!(parts[0]["size"], serde_json::Value::Null);
    // Part 5.1 is quoted-printable text; its decoded payload is the text itself.
    assert_eq!(parts[8]["transfer_encoding"], "quoted-printable");
    let text = b"  ... Additional text in ISO-8859-1 goes here ...\r\n";
    assert_eq!(parts[8]["size"], text.len());
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(parts[8]["sha256"], digest);
}
