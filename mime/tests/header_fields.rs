//! Structured field parsers beyond the RFC examples: obsolete date forms,
//! address oddities, message identifiers, Return-Path, Received.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::borrow::Cow;

use mailwire_mime::header::{
    Address, AddressList, DateTime, FieldError, Mailbox, MessageId, Received, ReceivedToken,
    ReturnPath, Weekday,
};

fn rfc3339(raw: &str) -> String {
    DateTime::parse(raw.as_bytes()).unwrap().to_rfc3339()
}

#[test]
fn obsolete_zones() {
    let table = [
        ("UT", "+00:00"),
        ("GMT", "+00:00"),
        ("UTC", "+00:00"),
        ("EST", "-05:00"),
        ("EDT", "-04:00"),
        ("CST", "-06:00"),
        ("CDT", "-05:00"),
        ("MST", "-07:00"),
        ("MDT", "-06:00"),
        ("PST", "-08:00"),
        ("pdt", "-07:00"),
        ("Z", "+00:00"),
    ];
    for (zone, offset) in table {
        let d = DateTime::parse(format!("Tue, 1 Jul 2003 10:52:37 {zone}").as_bytes()).unwrap();
        assert_eq!(
            d.to_rfc3339(),
            format!("2003-07-01T10:52:37{offset}"),
            "{zone}"
        );
        assert!(!d.is_offset_unknown(), "{zone}");
    }
    // Military letters other than Z and unknown names mean -0000 (§4.3).
    for zone in ["A", "M", "N", "Y", "CET", "BST", "XYZZY"] {
        let d = DateTime::parse(format!("1 Jul 2003 10:52:37 {zone}").as_bytes()).unwrap();
        assert!(d.is_offset_unknown(), "{zone}");
        assert_eq!(d.to_rfc3339(), "2003-07-01T10:52:37-00:00");
        assert_eq!(d.to_unix_timestamp(), 1_057_056_757);
    }
    // Missing zone is tolerated as unknown too.
    assert!(DateTime::parse(b"1 Jul 2003 10:52:37")
        .unwrap()
        .is_offset_unknown());
}

#[test]
fn obsolete_years_and_layouts() {
    assert_eq!(rfc3339("1 Jan 00 00:00 +0000"), "2000-01-01T00:00:00+00:00");
    assert_eq!(rfc3339("1 Jan 49 00:00 +0000"), "2049-01-01T00:00:00+00:00");
    assert_eq!(rfc3339("1 Jan 50 00:00 +0000"), "1950-01-01T00:00:00+00:00");
    assert_eq!(rfc3339("1 Jan 99 00:00 +0000"), "1999-01-01T00:00:00+00:00");
    assert_eq!(
        rfc3339("1 Jan 103 00:00 +0000"),
        "2003-01-01T00:00:00+00:00"
    );
    assert!(DateTime::parse(b"1 Jan 12345 00:00 +0000").is_err());
    // Day of week optional, lowercase names, full names, dashes, single
    // digit hour, comments, leap second.
    assert_eq!(
        rfc3339("21 Nov 1997 09:55:06 -0600"),
        "1997-11-21T09:55:06-06:00"
    );
    assert_eq!(
        rfc3339("fri, 21 nov 1997 9:55:06 -0600"),
        "1997-11-21T09:55:06-06:00"
    );
    assert_eq!(
        rfc3339("Friday, 21 November 1997 09:55 -0600"),
        "1997-11-21T09:55:00-06:00"
    );
    assert_eq!(
        rfc3339("21-Nov-1997 09:55:06 +0100"),
        "1997-11-21T09:55:06+01:00"
    );
    assert_eq!(
        rfc3339("(c) Fri (x), (y) 21 (z) Nov 1997 09:55:06 +0000 (GMT)"),
        "1997-11-21T09:55:06+00:00"
    );
    assert_eq!(
        rfc3339("31 Dec 2016 23:59:60 +0000"),
        "2016-12-31T23:59:60+00:00"
    );
    assert_eq!(
        rfc3339("1 Jan 2000 00:00 +0530"),
        "2000-01-01T00:00:00+05:30"
    );
    assert_eq!(
        rfc3339("1 Jan 2000 00:00 +05:30"),
        "2000-01-01T00:00:00+05:30"
    );
    // The written day of week is not checked against the date.
    let d = DateTime::parse(b"Mon, 21 Nov 1997 09:55:06 -0600").unwrap();
    assert_eq!(d.weekday(), Weekday::Fri);
}

#[test]
fn invalid_dates_are_errors() {
    for raw in [
        "",
        "   ",
        "Fri, Nov 21 1997 09:55:06 -0600",
        "21 Nov 1997",
        "21 Nov 1997 09",
        "21 Nov 1997 09:5 +0000",
        "32 Jan 2000 00:00 +0000",
        "29 Feb 1900 00:00 +0000",
        "0 Jan 2000 00:00 +0000",
        "1 Jan 2000 23:60 +0000",
        "1 Jan 2000 00:00:61 +0000",
        "Funday, 1 Jan 2000 00:00 +0000",
        "1 Jan 2000 00:00:00:00 +0000 trailing ok?",
    ] {
        let result = DateTime::parse(raw.as_bytes());
        if raw.ends_with("ok?") {
            // Text after the time that is no zone: zone unknown, accepted.
            assert!(result.unwrap().is_offset_unknown());
        } else {
            assert!(result.is_err(), "{raw:?}");
        }
    }
    assert_eq!(DateTime::parse(b""), Err(FieldError::Empty));
}

#[test]
fn timestamps_and_formatting() {
    let epoch = DateTime::from_unix_timestamp(0, 0).unwrap();
    assert_eq!(epoch.to_rfc3339(), "1970-01-01T00:00:00+00:00");
    assert_eq!(epoch.to_string(), "Thu, 01 Jan 1970 00:00:00 +0000");
    let d = DateTime::from_unix_timestamp(951_782_400, 60).unwrap();
    assert_eq!(d.to_rfc3339(), "2000-02-29T01:00:00+01:00");
    assert_eq!(d.to_unix_timestamp(), 951_782_400);
    assert_eq!(d.to_rfc5322(), "Tue, 29 Feb 2000 01:00:00 +0100");
    assert_eq!(DateTime::parse(d.to_rfc5322().as_bytes()).unwrap(), d);
    // Before 1970 and across an offset date change.
    let d = DateTime::parse(b"1 Jan 1900 00:30 +0100").unwrap();
    assert_eq!(d.to_unix_timestamp(), -2_208_990_600);
    assert!(DateTime::from_unix_timestamp(i64::MAX, 0).is_none());
    assert!(DateTime::from_unix_timestamp(0, 6000).is_none());
    assert!(DateTime::new(2000, 2, 30, 0, 0, 0, 0).is_none());
    assert!(DateTime::new(2000, 13, 1, 0, 0, 0, 0).is_none());
    let d = DateTime::new(2024, 2, 29, 12, 0, 0, -480).unwrap();
    assert_eq!(d.to_string(), "Thu, 29 Feb 2024 12:00:00 -0800");
}

fn mailbox(raw: &str) -> Mailbox<'_> {
    Mailbox::parse(raw.as_bytes()).unwrap()
}

#[test]
fn address_oddities() {
    // Quoted local parts, domain literals, 8-bit names and addresses.
    let m = mailbox("\"a b\\\"c\"@[192.0.2.1]");
    assert_eq!(m.local_part(), "a b\"c");
    assert_eq!(m.domain(), "[192.0.2.1]");
    assert_eq!(m.address(), "\"a b\\\"c\"@[192.0.2.1]");
    let m = mailbox("Jöhn Dœ <jöhn@exämple.test>");
    assert_eq!(m.name(), Some("Jöhn Dœ"));
    assert_eq!(m.address(), "jöhn@exämple.test");
    // Display name folding and multiple spaces collapse to one space.
    let m = mailbox(" John\r\n   Q.   Public <jqp@x.test>");
    assert_eq!(m.name(), Some("John Q. Public"));
    // Quoted name with an encoded word inside (illegal, common).
    let m = mailbox("\"=?utf-8?B?w6k=?=\" <a@b.c>");
    assert_eq!(m.name(), Some("\u{e9}"));
    // Adjacent encoded words in a phrase join without space.
    let m = mailbox("=?utf-8?q?J=C3=B6?= =?utf-8?q?rg?= <j@x.test>");
    assert_eq!(m.name(), Some("J\u{f6}rg"));
    // Empty quoted name means no name.
    assert_eq!(mailbox("\"\" <a@b.c>").name(), None);
    // No domain (MAILER-DAEMON), null address.
    let m = mailbox("MAILER-DAEMON (Mail Delivery System)");
    assert_eq!(
        (m.local_part(), m.domain(), m.address()),
        ("MAILER-DAEMON", "", "MAILER-DAEMON")
    );
    let m = mailbox("Nobody <>");
    assert_eq!((m.name(), m.address()), (Some("Nobody"), ""));
    // Plain forms are borrowed from the input.
    let raw = b" Mary Smith <mary@x.test>";
    let list = AddressList::parse(raw);
    let Address::Mailbox(m) = &list.addresses()[0] else {
        panic!()
    };
    assert!(matches!(m.clone().into_owned().name(), Some("Mary Smith")));
    assert_eq!(Mailbox::parse(b"   "), Err(FieldError::Empty));
}

#[test]
fn address_list_recovery() {
    let list = AddressList::parse(
        b"a@x.test; b@x.test, <c@x.test> junk, Group: d@x.test, bad bad, e@x.test; f@x.test,,",
    );
    let addrs: Vec<&str> = list.mailboxes().map(|m| m.address()).collect();
    assert_eq!(
        addrs,
        ["a@x.test", "b@x.test", "d@x.test", "e@x.test", "f@x.test"]
    );
    assert_eq!(list.invalid(), [&b"<c@x.test> junk"[..]]);
    assert_eq!(list.len(), 4);
    let Address::Group(g) = &list.addresses()[2] else {
        panic!()
    };
    assert_eq!(g.members().len(), 2);
    // An unterminated group, quote, comment or angle bracket ends at the end.
    let list = AddressList::parse(b"G: a@x.test, b@x.test");
    assert_eq!(list.mailboxes().count(), 2);
    let list = AddressList::parse(b"\"unterminated <a@x.test>");
    assert_eq!(list.len(), 0);
    assert_eq!(list.invalid().len(), 1);
    let list = AddressList::parse(b"A <a@x.test");
    assert_eq!(list.mailboxes().next().unwrap().address(), "a@x.test");
    let list = AddressList::parse(b"a@x.test (unterminated");
    assert_eq!(list.mailboxes().next().unwrap().address(), "a@x.test");
    assert!(AddressList::parse(b"").is_empty());
    assert!(AddressList::parse(b" , ,, ").is_empty());
}

#[test]
fn message_ids() {
    let id = MessageId::parse(b" <\"quoted left\"@example.com>").unwrap();
    assert_eq!(id.as_str(), "\"quoted left\"@example.com");
    let id = MessageId::parse(b"<[literal]@[192.0.2.1]>").unwrap();
    assert_eq!(id.as_str(), "[literal]@[192.0.2.1]");
    // Bare ids without brackets, leniently.
    assert_eq!(
        MessageId::parse(b" 1234@example.com").unwrap().as_str(),
        "1234@example.com"
    );
    // References with a phrase (obs) and comments; In-Reply-To with text.
    let ids = MessageId::parse_list(
        b" <a@x> (comment <not@this>)\r\n \"quoted <no@no>\" <b@y>\r\n\t<c@z>",
    );
    let ids: Vec<&str> = ids.iter().map(MessageId::as_str).collect();
    assert_eq!(ids, ["a@x", "b@y", "c@z"]);
    let ids = MessageId::parse_list(b"Your message of \"Mon, 1 Jan\" <m@x.test>");
    assert_eq!(ids.len(), 1);
    // Missing closing bracket, adjacent ids.
    let ids = MessageId::parse_list(b"<a@x><b@y> <c@z");
    let ids: Vec<&str> = ids.iter().map(MessageId::as_str).collect();
    assert_eq!(ids, ["a@x", "b@y", "c@z"]);
    assert!(matches!(
        MessageId::parse(b"<>"),
        Err(FieldError::Invalid { .. })
    ));
    assert_eq!(MessageId::new("x@y").to_string(), "<x@y>");
}

#[test]
fn return_path_and_received() {
    assert_eq!(ReturnPath::parse(b" <>").unwrap(), ReturnPath::Null);
    assert_eq!(
        ReturnPath::parse(b" <(comment) >").unwrap(),
        ReturnPath::Null
    );
    assert_eq!(
        ReturnPath::parse(b" bare@x.test").unwrap(),
        ReturnPath::Address(Cow::Borrowed("bare@x.test"))
    );
    assert_eq!(ReturnPath::parse(b""), Err(FieldError::Empty));
    assert!(ReturnPath::parse(b" <a b c>").is_err());

    let r = Received::parse(
        b" from [192.0.2.1] (helo=\"odd;name\")\r\n\tby mx.test (Postfix; x) with ESMTP id \"q;q\";\r\n\tSat, 1 Jan 2000 00:00:00 +0000 (UTC)",
    );
    assert_eq!(r.clause("from"), Some("[192.0.2.1]"));
    assert_eq!(r.clause("id"), Some("q;q"));
    assert!(matches!(&r.tokens()[2], ReceivedToken::Comment(c) if c == "helo=\"odd;name\""));
    assert_eq!(r.date().unwrap().to_unix_timestamp(), 946_684_800);
    // Two semicolons: the date is after the last one.
    let r = Received::parse(b"by a; x; 1 Jan 2000 00:00 +0000");
    assert!(r.date().is_some());
    let words: Vec<&str> = r.tokens().iter().map(ReceivedToken::as_str).collect();
    assert_eq!(words, ["by", "a", "x"]);
    assert_eq!(Received::parse(b"").tokens().len(), 0);
}
