//! Known-answer tests from RFC 2047 §8, RFC 2231 and the Content-Type
//! examples of RFC 2045 and RFC 2046, plus the common illegal forms that
//! clients accept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::Cow;

use mailwire_mime::charset::{self, Charset};
use mailwire_mime::encoded_word::{decode_text, decode_unstructured, EncodedWord, WordEncoding};
use mailwire_mime::header::{
    filename, AddressList, ContentDisposition, ContentTransferEncoding, ContentType,
    DispositionType, FieldError, HeaderLimits, HeaderSection, MimeVersion, ParameterLimits,
};

fn first_mailbox(raw: &[u8]) -> (Option<String>, String) {
    let list = AddressList::parse(raw);
    let m = list.mailboxes().next().unwrap();
    (m.name().map(str::to_owned), m.address().to_owned())
}

#[test]
fn rfc2047_section8_headers() {
    let msg = b"From: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>\r\n\
To: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>\r\n\
CC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>\r\n\
Subject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\r\n\r\n";
    let s = HeaderSection::parse(msg, &HeaderLimits::default()).unwrap();
    assert_eq!(
        first_mailbox(s.get_raw("From").unwrap()),
        (Some("Keith Moore".into()), "moore@cs.utk.edu".into())
    );
    assert_eq!(
        first_mailbox(s.get_raw("To").unwrap()),
        (
            Some("Keld J\u{f8}rn Simonsen".into()),
            "keld@dkuug.dk".into()
        )
    );
    assert_eq!(
        first_mailbox(s.get_raw("cc").unwrap()),
        (
            Some("Andr\u{e9} Pirard".into()),
            "PIRARD@vm1.ulg.ac.be".into()
        )
    );
    assert_eq!(
        s.subject().unwrap(),
        "If you can read this you understand the example."
    );

    assert_eq!(
        first_mailbox(b" =?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>"),
        (
            Some("Olle J\u{e4}rnefors".into()),
            "ojarnef@admin.kth.se".into()
        )
    );
    assert_eq!(
        first_mailbox(b" =?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>"),
        (
            Some("Patrik F\u{e4}ltstr\u{f6}m".into()),
            "paf@nada.kth.se".into()
        )
    );
    // A comment holding an encoded word is skipped, not taken as a name.
    assert_eq!(
        first_mailbox(
            b" Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n      (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)"
        ),
        (Some("Nathaniel Borenstein".into()), "nsb@thumper.bellcore.com".into())
    );
    let to = AddressList::parse(
        b" Greg Vaudreuil <gvaudre@NRI.Reston.VA.US>, Ned Freed\r\n   <ned@innosoft.com>, Keith Moore <moore@cs.utk.edu>",
    );
    let names: Vec<_> = to
        .mailboxes()
        .map(|m| m.name().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Greg Vaudreuil", "Ned Freed", "Keith Moore"]);
    // The iso-8859-8 comment text itself decodes to Hebrew.
    assert_eq!(
        decode_text(b"=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?="),
        "\u{5dd}\u{5d5}\u{5dc}\u{5e9} \u{5df}\u{5d1} \u{5d9}\u{5dc}\u{5d8}\u{5e4}\u{5e0}"
    );
}

#[test]
fn rfc2047_section8_display_table() {
    // Our decoder also decodes words next to parentheses (as Python's and
    // most clients' do), so the table's "displayed as" column applies.
    let table: &[(&[u8], &str)] = &[
        (b"(=?ISO-8859-1?Q?a?=)", "(a)"),
        (b"(=?ISO-8859-1?Q?a?= b)", "(a b)"),
        (b"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"),
        (b"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"),
        (b"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"),
        (b"(=?ISO-8859-1?Q?a_b?=)", "(a b)"),
        (b"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"),
    ];
    for (encoded, shown) in table {
        assert_eq!(decode_unstructured(encoded), *shown, "{encoded:?}");
    }
}

#[test]
fn encoded_word_edge_cases() {
    // Malformed words stay as text.
    assert_eq!(
        decode_unstructured(b"=?utf-8?X?abc?= x"),
        "=?utf-8?X?abc?= x"
    );
    assert_eq!(decode_unstructured(b"=?utf-8?B?####?="), "=?utf-8?B?####?=");
    assert_eq!(
        decode_unstructured(b"=?utf-8?Q?unterminated"),
        "=?utf-8?Q?unterminated"
    );
    // Text between words is kept, whitespace-only gaps between words dropped.
    assert_eq!(
        decode_unstructured(b"Re: =?utf-8?q?caf=C3=A9?= and =?utf-8?q?th=C3=A9?="),
        "Re: caf\u{e9} and th\u{e9}"
    );
    // Missing base64 padding is tolerated.
    assert_eq!(decode_unstructured(b"=?utf-8?b?w6k?="), "\u{e9}");
    // RFC 2231 §5 language tag.
    let (word, _) = EncodedWord::parse(b"=?US-ASCII*EN?Q?Keith_Moore?=").unwrap();
    assert_eq!(word.language, Some(&b"EN"[..]));
    assert_eq!(word.encoding, WordEncoding::Q);
    assert_eq!(word.decode().unwrap(), "Keith Moore");
    assert_eq!(
        decode_unstructured(b"=?US-ASCII*EN?Q?Keith_Moore?="),
        "Keith Moore"
    );
    // UTF-7 and unknown charsets.
    assert_eq!(
        decode_unstructured(b"=?utf-7?q?Hi_+ZeVnLIqe-?="),
        "Hi \u{65e5}\u{672c}\u{8a9e}"
    );
    assert_eq!(decode_unstructured(b"=?x-unknown?q?ok=FF?="), "ok\u{fffd}");
    // Raw UTF-8 (RFC 6532) and raw 8-bit junk.
    assert!(matches!(
        decode_unstructured(" Grüße".as_bytes()),
        Cow::Borrowed("Grüße")
    ));
    assert_eq!(decode_unstructured(b"a\xffb"), "a\u{fffd}b");
    // Leading whitespace goes, trailing whitespace is content (as in
    // Python's email package); a `Q` word with a bad escape stays as text.
    assert_eq!(decode_unstructured(b" foo  "), "foo  ");
    assert_eq!(decode_unstructured(b" =?utf-8?q?a?=  b "), "a  b ");
    assert_eq!(decode_unstructured(b" =?utf-8?q?=ZZ?="), "=?utf-8?q?=ZZ?=");
    assert_eq!(decode_unstructured(b" x\r\n"), "x");
    // Folding is removed, plain text borrowed.
    assert_eq!(decode_unstructured(b" Saying\r\n Hello"), "Saying Hello");
    assert!(matches!(
        decode_unstructured(b" plain"),
        Cow::Borrowed("plain")
    ));
}

#[test]
fn charsets_resolve_every_way() {
    assert_eq!(Charset::from_label(b"UTF-7"), Charset::Utf7);
    assert!(matches!(
        Charset::from_label(b" windows-1251 "),
        Charset::Whatwg(_)
    ));
    assert_eq!(
        charset::decode(b"windows-1251", b"\xcf\xf0\xe8"),
        "\u{41f}\u{440}\u{438}"
    );
    assert_eq!(
        charset::decode(b"gb2312", b"\xc4\xe3\xba\xc3"),
        "\u{4f60}\u{597d}"
    );
    assert_eq!(
        charset::decode(b"iso-2022-jp", b"\x1b$B$3\x1b(B"),
        "\u{3053}"
    );
    assert_eq!(charset::decode(b"utf-16be", b"\x00A\x00B"), "AB");
    assert_eq!(charset::decode(b"no-such-charset", b"abc"), "abc");
}

#[test]
fn rfc2231_examples() {
    let ct = ContentType::parse(
        b" message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
    )
    .unwrap();
    assert!(ct.is("message", "external-body"));
    assert_eq!(ct.params().get("access-type"), Some("URL"));
    assert_eq!(
        ct.params().get("url"),
        Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
    );
    let same = ContentType::parse(
        b" message/external-body; access-type=URL;\r\n  URL=\"ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
    )
    .unwrap();
    assert_eq!(same.params().get("URL"), ct.params().get("URL"));

    let ct = ContentType::parse(
        b" application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
    )
    .unwrap();
    let title = ct.params().get_parameter("title").unwrap();
    assert_eq!(title.value(), "This is ***fun***");
    assert_eq!(title.charset(), Some("us-ascii"));
    assert_eq!(title.language(), Some("en-us"));
    assert!(title.is_extended());

    // As printed in the RFC, without the `;` separators.
    let ct = ContentType::parse(
        b" application/x-stuff\r\n title*0*=us-ascii'en'This%20is%20even%20more%20\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20\r\n title*2=\"isn't it!\"",
    )
    .unwrap();
    let title = ct.params().get_parameter("title").unwrap();
    assert_eq!(title.value(), "This is even more ***fun*** isn't it!");
    assert_eq!(title.language(), Some("en"));

    // Charset and language may be left empty.
    let cd = ContentDisposition::parse(b"attachment; filename*=''a%20b.txt").unwrap();
    assert_eq!(cd.filename().unwrap(), "a b.txt");
    assert_eq!(
        cd.params().get_parameter("filename").unwrap().charset(),
        None
    );
}

#[test]
fn rfc2231_defensive_continuations() {
    // Out of order, duplicated, with a gap, a UTF-8 character split across
    // sections, and a plain duplicate that loses to the extended form.
    let cd = ContentDisposition::parse(
        b"attachment; filename=\"fallback.txt\"; filename*2=\".txt\"; filename*1*=%A9; filename*0*=utf-8''caf%C3; filename*1=dup; filename*9=z",
    )
    .unwrap();
    assert_eq!(cd.filename().unwrap(), "caf\u{e9}.txtz");
    // `name*` beats sections and plain.
    let ct = ContentType::parse(b"text/plain; name=\"a\"; name*0=b; name*=utf-8''c").unwrap();
    assert_eq!(ct.params().get("name"), Some("c"));

    // Limits.
    let mut raw = b"attachment".to_vec();
    for i in 0..65 {
        raw.extend_from_slice(format!("; f*{i}=x").as_bytes());
    }
    assert_eq!(
        ContentDisposition::parse(&raw),
        Err(FieldError::TooManyContinuations { limit: 64 })
    );
    let relaxed = ParameterLimits::default().with_max_continuations(100);
    let cd = ContentDisposition::parse_with_limits(&raw, &relaxed).unwrap();
    assert_eq!(cd.params().get("f").unwrap().len(), 65);

    let tight = ParameterLimits::default().with_max_parameters(2);
    assert_eq!(
        ContentType::parse_with_limits(b"text/plain; a=1; b=2; c=3", &tight),
        Err(FieldError::TooManyParameters { limit: 2 })
    );
    assert!(ContentType::parse_with_limits(b"text/plain; a=1; b=2", &tight).is_ok());
    // A huge section number does not allocate by index.
    let cd = ContentDisposition::parse(b"inline; f*4294967295=b; f*0=a").unwrap();
    assert_eq!(cd.params().get("f"), Some("ab"));
}

#[test]
fn rfc2047_in_quoted_filename() {
    let cd = ContentDisposition::parse(
        b"attachment;\r\n filename=\"=?UTF-8?B?0L/RgNC40LLQtdGCLnR4dA==?=\"",
    )
    .unwrap();
    assert_eq!(
        cd.filename().unwrap(),
        "\u{43f}\u{440}\u{438}\u{432}\u{435}\u{442}.txt"
    );
    // The raw value stays available.
    assert_eq!(
        cd.params().get("filename"),
        Some("=?UTF-8?B?0L/RgNC40LLQtdGCLnR4dA==?=")
    );
    let ct =
        ContentType::parse(b"application/octet-stream; name=\"=?iso-8859-1?q?r=E9sum=E9.pdf?=\"")
            .unwrap();
    assert_eq!(ct.name().unwrap(), "r\u{e9}sum\u{e9}.pdf");
    assert_eq!(filename(None, Some(&ct)).unwrap(), "r\u{e9}sum\u{e9}.pdf");
    // A boundary is never 2047-decoded.
    let ct = ContentType::parse(b"multipart/mixed; boundary=\"=?x?q?y?=\"").unwrap();
    assert_eq!(ct.boundary(), Some("=?x?q?y?="));
}

#[test]
fn rfc2045_2046_content_type_examples() {
    let a = ContentType::parse(b" text/plain; charset=us-ascii (Plain text)").unwrap();
    let b = ContentType::parse(b" text/plain; charset=\"us-ascii\"").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.charset(), Some("us-ascii"));
    assert_eq!(a.essence(), "text/plain");
    assert_eq!(ContentType::default_text_plain(), a.into_owned());

    let ct = ContentType::parse(b" multipart/mixed; boundary=gc0p4Jq0M2Yt08j34c0p").unwrap();
    assert!(ct.is_multipart());
    assert_eq!(ct.boundary(), Some("gc0p4Jq0M2Yt08j34c0p"));
    // Invalid per RFC 2046 (the colon) but accepted like other clients do.
    let ct = ContentType::parse(b" multipart/mixed; boundary=gc0pJq0M:08jU534c0p").unwrap();
    assert_eq!(ct.boundary(), Some("gc0pJq0M:08jU534c0p"));
    let ct = ContentType::parse(b" multipart/mixed; boundary=\"gc0pJq0M:08jU534c0p\"").unwrap();
    assert_eq!(ct.boundary(), Some("gc0pJq0M:08jU534c0p"));
    let ct = ContentType::parse(b" multipart/mixed; boundary=\"simple boundary\"").unwrap();
    assert_eq!(ct.boundary(), Some("simple boundary"));
    let ct = ContentType::parse(
        b" multipart/mixed;\r\n              boundary=\"---- main boundary ----\"",
    )
    .unwrap();
    assert_eq!(ct.boundary(), Some("---- main boundary ----"));
    let ct =
        ContentType::parse(b" multipart/digest;\r\n boundary=\"---- next message ----\"").unwrap();
    assert!(ct.is("multipart", "digest"));

    let ct = ContentType::parse(
        b" Message/Partial; number=2; total=3;\r\n              id=\"oc=jpbe0M2Yt4s@thumper.bellcore.com\"",
    )
    .unwrap();
    assert_eq!(ct.media_type(), "message");
    assert_eq!(ct.subtype(), "partial");
    assert!(ct.is_message());
    assert_eq!(ct.params().get("number"), Some("2"));
    assert_eq!(ct.params().get("total"), Some("3"));
    assert_eq!(
        ct.params().get("id"),
        Some("oc=jpbe0M2Yt4s@thumper.bellcore.com")
    );
    let names: Vec<&str> = ct.params().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["number", "total", "id"]);

    let ct = ContentType::parse(b" message/partial; id=\"ABC@host.com\";").unwrap();
    assert_eq!(ct.params().len(), 1);
    let ct = ContentType::parse(b" text/plain; charset=ISO-8859-1").unwrap();
    assert_eq!(ct.charset(), Some("ISO-8859-1"));
    assert!(ContentType::parse(b" audio/basic")
        .unwrap()
        .params()
        .is_empty());

    // Whitespace and comments around the slash; junk between parameters.
    let ct = ContentType::parse(b"(c) TEXT (x) / (y) HTML ; ; junk ; charset = utf-8").unwrap();
    assert_eq!(ct.essence(), "text/html");
    assert_eq!(ct.charset(), Some("utf-8"));
    // No subtype.
    assert_eq!(
        ContentType::parse(b"text"),
        Err(FieldError::Invalid {
            what: "content type"
        })
    );
}

#[test]
fn content_transfer_encoding_and_disposition() {
    let cases: &[(&[u8], ContentTransferEncoding<'_>)] = &[
        (b" 7bit", ContentTransferEncoding::SevenBit),
        (b" 8BIT", ContentTransferEncoding::EightBit),
        (b" Binary", ContentTransferEncoding::Binary),
        (
            b" Quoted-Printable",
            ContentTransferEncoding::QuotedPrintable,
        ),
        (b" base64 (standard)", ContentTransferEncoding::Base64),
        (
            b" X-UUencode",
            ContentTransferEncoding::Other(Cow::Borrowed("x-uuencode")),
        ),
    ];
    for (raw, expected) in cases {
        assert_eq!(&ContentTransferEncoding::parse(raw).unwrap(), expected);
    }
    assert_eq!(ContentTransferEncoding::parse(b""), Err(FieldError::Empty));
    assert_eq!(ContentTransferEncoding::default().as_str(), "7bit");

    let cd = ContentDisposition::parse(b" INLINE").unwrap();
    assert!(cd.is_inline());
    let cd = ContentDisposition::parse(b" form-data; name=\"field\"").unwrap();
    assert_eq!(
        cd.disposition(),
        &DispositionType::Other(Cow::Borrowed("form-data"))
    );
    assert_eq!(cd.params().get("name"), Some("field"));
    let cd = ContentDisposition::parse(
        b" attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\"",
    )
    .unwrap();
    assert!(cd.is_attachment());
    assert_eq!(cd.filename().unwrap(), "genome.jpeg");
    assert_eq!(
        cd.params().get("modification-date"),
        Some("Wed, 12 Feb 1997 16:29:51 -0500")
    );

    assert_eq!(MimeVersion::parse(b" 1.0").unwrap(), MimeVersion::V1_0);
}
