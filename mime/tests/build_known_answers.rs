//! Known-answer tests for the encoders (RFC 2045 quoted-printable and base64, RFC 2047 encoded
//! words, RFC 2231 parameters, RFC 5322 folding), checked against the RFC examples and decoded
//! back with the crate's own parsers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_mime::encode::{
    base64_lines, encode_parameter, encode_words, parameter_field, quoted_printable,
    structured_field, unstructured_field, EncodeError, QpLineBreaks, WordEncoding,
};
use mailwire_mime::encoded_word::decode_unstructured;
use mailwire_mime::header::{ContentDisposition, ContentTransferEncoding, ContentType};
use mailwire_mime::transfer::decode;

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn rfc2045_quoted_printable_example_decodes_like_ours() {
    // RFC 2045 §6.7: the same line written with soft line breaks.
    let raw = "Now's the time for all folk to come to the aid of their country.";
    let rfc = "Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.";
    let ours = quoted_printable(raw.as_bytes(), QpLineBreaks::Text);
    // It fits in 76 characters, so we write it unchanged.
    assert_eq!(ours, raw.as_bytes());
    let qp = ContentTransferEncoding::QuotedPrintable;
    assert_eq!(decode(&qp, rfc.as_bytes()), decode(&qp, &ours));
}

#[test]
fn quoted_printable_rules() {
    let encoded = text(quoted_printable(
        "tab\tend\t\r\n=equals \u{00e9}t\u{00e9}  \r\n".as_bytes(),
        QpLineBreaks::Text,
    ));
    assert_eq!(encoded, "tab\tend=09\r\n=3Dequals =C3=A9t=C3=A9 =20\r\n");
    let long = "0123456789".repeat(16);
    let encoded = text(quoted_printable(long.as_bytes(), QpLineBreaks::Text));
    assert_eq!(
        encoded,
        format!(
            "{}=\r\n{}=\r\n{}",
            &long[..75],
            &long[75..150],
            &long[150..]
        )
    );
    let qp = ContentTransferEncoding::QuotedPrintable;
    let binary: Vec<u8> = (0..=255u8).chain(b"\r\n\n\r".iter().copied()).collect();
    let encoded = quoted_printable(&binary, QpLineBreaks::Binary);
    // Binary mode: the only line breaks are soft ones.
    let hard_breaks = encoded
        .windows(3)
        .filter(|w| w[1..] == *b"\r\n" && w[0] != b'=')
        .count();
    assert_eq!(hard_breaks, 0);
    for line in encoded.split(|&b| b == b'\n') {
        assert!(line.len() <= 77);
    }
    assert_eq!(decode(&qp, &encoded).into_owned(), binary);
}

#[test]
fn base64_known_answers() {
    assert_eq!(
        text(base64_lines(b"Hello, World!")),
        "SGVsbG8sIFdvcmxkIQ==\r\n"
    );
    let data = vec![0u8; 100];
    let encoded = text(base64_lines(&data));
    assert_eq!(
        encoded,
        format!("{}\r\n{}AA==\r\n", "A".repeat(76), "A".repeat(56))
    );
}

#[test]
fn rfc2047_examples_in_utf8() {
    // RFC 2047 §8 names, written by us in UTF-8.
    assert_eq!(
        encode_words("Keld J\u{f8}rn Simonsen", WordEncoding::Q, 75, 75),
        ["=?utf-8?q?Keld_J=C3=B8rn_Simonsen?="]
    );
    assert_eq!(
        encode_words("Andr\u{e9}", WordEncoding::Q, 75, 75),
        ["=?utf-8?q?Andr=C3=A9?="]
    );
    assert_eq!(
        encode_words("If you can read this yo", WordEncoding::B, 75, 75),
        ["=?utf-8?b?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?="]
    );
}

#[test]
fn unstructured_fields_decode_back() {
    let cases = [
        "If you can read this you understand the example.",
        "Gr\u{fc}\u{df}e aus K\u{f6}ln",
        "\u{41f}\u{440}\u{438}\u{432}\u{435}\u{442}, \u{43c}\u{438}\u{440}! \u{1f30d}",
        "=?utf-8?q?not_an_encoded_word?=",
        "tab\tinside and  two spaces",
        &"a-very-long-unbreakable-token".repeat(50),
        &"\u{65e5}\u{672c}\u{8a9e} ".repeat(60),
    ];
    for value in cases {
        let field = text(unstructured_field("Subject", value).unwrap());
        for line in field.split_terminator("\r\n") {
            assert!(line.len() <= 78, "{line:?}");
        }
        let raw = field
            .strip_prefix("Subject:")
            .unwrap()
            .strip_suffix("\r\n")
            .unwrap();
        assert_eq!(decode_unstructured(raw.as_bytes()), value, "{field}");
    }
}

#[test]
fn rfc2231_examples_decode_like_ours() {
    // RFC 2231 §4: title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A
    let rfc = ContentType::parse(
        b" application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
    )
    .unwrap();
    let title = rfc.params().get_decoded("title").unwrap().into_owned();
    assert_eq!(title, "This is ***fun***");
    assert_eq!(
        encode_parameter("title", &title, 76),
        ["title=\"This is ***fun***\""]
    );

    // RFC 2231 §4.1: continuations mixing encoded and quoted sections (with the semicolons
    // the RFC's example forgot, erratum 590).
    let rfc = ContentType::parse(
        b" application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
    )
    .unwrap();
    let title = rfc.params().get_decoded("title").unwrap().into_owned();
    assert_eq!(title, "This is even more ***fun*** isn't it!");

    // Ours for a long non-ASCII filename, read back by the crate's parser.
    let filename = "\u{00c9}t\u{00e9} \u{2014} r\u{00e9}sum\u{00e9} annuel des activit\u{00e9}s de l'association (version d\u{00e9}finitive).pdf";
    let field = text(
        parameter_field(
            "Content-Disposition",
            "attachment",
            &[("filename", filename)],
        )
        .unwrap(),
    );
    assert_eq!(
        field,
        "Content-Disposition: attachment;\r\n filename*0*=utf-8''%C3%89t%C3%A9%20%E2%80%94%20r%C3%A9sum%C3%A9%20annuel;\r\n filename*1*=%20des%20activit%C3%A9s%20de%20l%27association%20%28version%20;\r\n filename*2*=d%C3%A9finitive%29.pdf\r\n"
    );
    for line in field.split_terminator("\r\n") {
        assert!(line.len() <= 78, "{line}");
    }
    let raw = field.strip_prefix("Content-Disposition:").unwrap();
    let parsed = ContentDisposition::parse(raw.as_bytes()).unwrap();
    assert_eq!(parsed.filename().unwrap(), filename);
}

#[test]
fn long_ascii_parameter_uses_quoted_continuations() {
    let filename = format!("{}.txt", "quarterly report ".repeat(8));
    let field = text(
        parameter_field(
            "Content-Disposition",
            "attachment",
            &[("filename", &filename)],
        )
        .unwrap(),
    );
    assert!(field.contains("filename*0=\""), "{field}");
    for line in field.split_terminator("\r\n") {
        assert!(line.len() <= 78, "{line}");
    }
    let raw = field.strip_prefix("Content-Disposition:").unwrap();
    assert_eq!(
        ContentDisposition::parse(raw.as_bytes())
            .unwrap()
            .filename()
            .unwrap(),
        filename
    );
}

#[test]
fn structured_fields_fold_only_at_their_spaces() {
    let value = "from mail-client.example.org (mail-client.example.org [192.0.2.25]) by mx.example.net (Postfix) with ESMTPS id 4Tq2Yx0Zz9z9rw for <mary@example.net>; Thu, 29 Feb 2024 13:37:05 +0100";
    let field = text(structured_field("Received", value).unwrap());
    for line in field.split_terminator("\r\n") {
        assert!(line.len() <= 78, "{line}");
    }
    assert_eq!(
        field.replace("\r\n ", " "),
        format!("Received: {value}\r\n")
    );
    assert_eq!(
        structured_field("Received", "a\r\nBcc: x"),
        Err(EncodeError::InvalidValue)
    );
    assert_eq!(
        structured_field("Bad:Name", "x"),
        Err(EncodeError::InvalidName)
    );
}
