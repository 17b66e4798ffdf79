//! Known-answer tests from RFC 5322 Appendix A (every example message),
//! run through the header section splitter and the field parsers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_mime::header::{
    Address, AddressList, DateTime, HeaderLimits, HeaderSection, HeaderTerminator, Mailbox,
    MessageId, Received,
};

/// Turns the RFC's LF text into CRLF wire form.
fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

fn section(msg: &[u8]) -> HeaderSection<'_> {
    HeaderSection::parse(msg, &HeaderLimits::default()).unwrap()
}

/// (display name, address) of every mailbox, groups flattened.
fn mailboxes(list: &AddressList<'_>) -> Vec<(Option<String>, String)> {
    list.mailboxes()
        .map(|m| (m.name().map(str::to_owned), m.address().to_owned()))
        .collect()
}

fn mb(name: Option<&str>, addr: &str) -> (Option<String>, String) {
    (name.map(str::to_owned), addr.to_owned())
}

fn ids(v: &[MessageId<'_>]) -> Vec<String> {
    v.iter().map(|i| i.as_str().to_owned()).collect()
}

#[test]
fn a_1_1_simple_addressing() {
    let msg = crlf(
        "From: John Doe <jdoe@machine.example>\n\
         Sender: Michael Jones <mjones@machine.example>\n\
         To: Mary Smith <mary@example.net>\n\
         Subject: Saying Hello\n\
         Date: Fri, 21 Nov 1997 09:55:06 -0600\n\
         Message-ID: <1234@local.machine.example>\n\
         \n\
         This is a message just to say hello.\n\
         So, \"Hello\".\n",
    );
    let s = section(&msg);
    assert_eq!(s.len(), 6);
    assert_eq!(s.terminator(), HeaderTerminator::EmptyLine);
    assert_eq!(
        s.body(),
        b"This is a message just to say hello.\r\nSo, \"Hello\".\r\n"
    );
    let names: Vec<&str> = s.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        ["From", "Sender", "To", "Subject", "Date", "Message-ID"]
    );
    assert_eq!(
        mailboxes(&s.addresses("from").unwrap()),
        [mb(Some("John Doe"), "jdoe@machine.example")]
    );
    let sender = Mailbox::parse(s.get_raw("Sender").unwrap()).unwrap();
    assert_eq!(sender.name(), Some("Michael Jones"));
    assert_eq!(sender.address(), "mjones@machine.example");
    assert_eq!(
        mailboxes(&s.addresses("TO").unwrap()),
        [mb(Some("Mary Smith"), "mary@example.net")]
    );
    assert_eq!(s.subject().unwrap(), "Saying Hello");
    let date = s.date().unwrap();
    assert_eq!(date.to_rfc3339(), "1997-11-21T09:55:06-06:00");
    assert_eq!(date.to_unix_timestamp(), 880_127_706);
    assert_eq!(
        s.message_id().unwrap().as_str(),
        "1234@local.machine.example"
    );
    // Every field's range covers exactly its own line.
    for f in &s {
        let line = &msg[f.range()];
        assert!(line.starts_with(f.name().as_bytes()));
        assert!(line.ends_with(b"\r\n"));
    }
}

#[test]
fn a_1_2_different_types_of_mailboxes() {
    let msg = crlf(
        "From: \"Joe Q. Public\" <john.q.public@example.com>\n\
         To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\n\
         Cc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>\n\
         Date: Tue, 1 Jul 2003 10:52:37 +0200\n\
         Message-ID: <5678.21-Nov-1997@example.com>\n\
         \n\
         Hi everyone.\n",
    );
    let s = section(&msg);
    assert_eq!(
        mailboxes(&s.addresses("From").unwrap()),
        [mb(Some("Joe Q. Public"), "john.q.public@example.com")]
    );
    assert_eq!(
        mailboxes(&s.addresses("To").unwrap()),
        [
            mb(Some("Mary Smith"), "mary@x.test"),
            mb(None, "jdoe@example.org"),
            mb(Some("Who?"), "one@y.test"),
        ]
    );
    assert_eq!(
        mailboxes(&s.addresses("Cc").unwrap()),
        [
            mb(None, "boss@nil.test"),
            mb(Some("Giant; \"Big\" Box"), "sysservices@example.net"),
        ]
    );
    assert_eq!(s.date().unwrap().to_rfc3339(), "2003-07-01T10:52:37+02:00");
    assert_eq!(
        s.message_id().unwrap().as_str(),
        "5678.21-Nov-1997@example.com"
    );
}

#[test]
fn a_1_3_group_addresses() {
    let msg = crlf(
        "From: Pete <pete@silly.example>\n\
         To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\n\
         Cc: Undisclosed recipients:;\n\
         Date: Thu, 13 Feb 1969 23:32:54 -0330\n\
         Message-ID: <testabcd.1234@silly.example>\n\
         \n\
         Testing.\n",
    );
    let s = section(&msg);
    let to = s.addresses("To").unwrap();
    assert_eq!(to.len(), 1);
    let Address::Group(group) = &to.addresses()[0] else {
        panic!("not a group")
    };
    assert_eq!(group.name(), "A Group");
    assert_eq!(
        mailboxes(&to),
        [
            mb(Some("Ed Jones"), "c@a.test"),
            mb(None, "joe@where.test"),
            mb(Some("John"), "jdoe@one.test"),
        ]
    );
    let cc = s.addresses("Cc").unwrap();
    let Address::Group(group) = &cc.addresses()[0] else {
        panic!("not a group")
    };
    assert_eq!(group.name(), "Undisclosed recipients");
    assert!(group.members().is_empty());
    let date = s.date().unwrap();
    assert_eq!(date.to_rfc3339(), "1969-02-13T23:32:54-03:30");
    assert_eq!(date.to_unix_timestamp(), -27_723_426);
}

#[test]
fn a_2_reply_messages() {
    let second = crlf(
        "From: Mary Smith <mary@example.net>\n\
         To: John Doe <jdoe@machine.example>\n\
         Reply-To: \"Mary Smith: Personal Account\" <smith@home.example>\n\
         Subject: Re: Saying Hello\n\
         Date: Fri, 21 Nov 1997 10:01:10 -0600\n\
         Message-ID: <3456@example.net>\n\
         In-Reply-To: <1234@local.machine.example>\n\
         References: <1234@local.machine.example>\n\
         \n\
         This is a reply to your hello.\n",
    );
    let s = section(&second);
    assert_eq!(
        mailboxes(&s.addresses("Reply-To").unwrap()),
        [mb(
            Some("Mary Smith: Personal Account"),
            "smith@home.example"
        )]
    );
    assert_eq!(ids(&s.in_reply_to()), ["1234@local.machine.example"]);
    assert_eq!(ids(&s.references()), ["1234@local.machine.example"]);
    assert_eq!(s.subject().unwrap(), "Re: Saying Hello");

    let third = crlf(
        "To: \"Mary Smith: Personal Account\" <smith@home.example>\n\
         From: John Doe <jdoe@machine.example>\n\
         Subject: Re: Saying Hello\n\
         Date: Fri, 21 Nov 1997 11:00:00 -0600\n\
         Message-ID: <abcd.1234@local.machine.test>\n\
         In-Reply-To: <3456@example.net>\n\
         References: <1234@local.machine.example> <3456@example.net>\n\
         \n\
         This is a reply to your reply.\n",
    );
    let s = section(&third);
    assert_eq!(ids(&s.in_reply_to()), ["3456@example.net"]);
    assert_eq!(
        ids(&s.references()),
        ["1234@local.machine.example", "3456@example.net"]
    );
    assert_eq!(
        s.message_id().unwrap().as_str(),
        "abcd.1234@local.machine.test"
    );
    assert_eq!(s.date().unwrap().to_rfc3339(), "1997-11-21T11:00:00-06:00");
}

#[test]
fn a_3_resent_messages() {
    let msg = crlf(
        "Resent-From: Mary Smith <mary@example.net>\n\
         Resent-To: Jane Brown <j-brown@other.example>\n\
         Resent-Date: Mon, 24 Nov 1997 14:22:01 -0800\n\
         Resent-Message-ID: <78910@example.net>\n\
         From: John Doe <jdoe@machine.example>\n\
         To: Mary Smith <mary@example.net>\n\
         Subject: Saying Hello\n\
         Date: Fri, 21 Nov 1997 09:55:06 -0600\n\
         Message-ID: <1234@local.machine.example>\n\
         \n\
         This is a message just to say hello.\n\
         So, \"Hello\".\n",
    );
    let s = section(&msg);
    assert_eq!(s.len(), 9);
    assert_eq!(
        mailboxes(&s.addresses("Resent-From").unwrap()),
        [mb(Some("Mary Smith"), "mary@example.net")]
    );
    assert_eq!(
        mailboxes(&s.addresses("Resent-To").unwrap()),
        [mb(Some("Jane Brown"), "j-brown@other.example")]
    );
    let resent = DateTime::parse(s.get_raw("Resent-Date").unwrap()).unwrap();
    assert_eq!(resent.to_rfc3339(), "1997-11-24T14:22:01-08:00");
    assert_eq!(
        MessageId::parse(s.get_raw("resent-message-id").unwrap())
            .unwrap()
            .as_str(),
        "78910@example.net"
    );
    // The first Date-like lookup is the plain Date, not Resent-Date.
    assert_eq!(s.date().unwrap().to_rfc3339(), "1997-11-21T09:55:06-06:00");
}

#[test]
fn a_4_trace_fields() {
    let msg = crlf(
        "Received: from x.y.test\n   by example.net\n   via TCP\n   with ESMTP\n   id ABC12345\n   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600\n\
         Received: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600\n\
         From: John Doe <jdoe@node.example>\n\
         To: Mary Smith <mary@example.net>\n\
         Subject: Saying Hello\n\
         Date: Fri, 21 Nov 1997 09:55:06 -0600\n\
         Message-ID: <1234@local.node.example>\n\
         \n\
         This is a message just to say hello.\n\
         So, \"Hello\".\n",
    );
    let s = section(&msg);
    assert_eq!(s.len(), 7);
    let first = s.fields()[0].clone();
    assert_eq!(first.raw_value().iter().filter(|&&b| b == b'\n').count(), 5);
    assert_eq!(
        &*first.unfolded_value(),
        &b"from x.y.test   by example.net   via TCP   with ESMTP   id ABC12345   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600"[..]
    );
    let received = s.received();
    assert_eq!(received.len(), 2);
    let r = &received[0];
    assert_eq!(r.clause("from"), Some("x.y.test"));
    assert_eq!(r.clause("by"), Some("example.net"));
    assert_eq!(r.clause("via"), Some("TCP"));
    assert_eq!(r.clause("with"), Some("ESMTP"));
    assert_eq!(r.clause("id"), Some("ABC12345"));
    assert_eq!(r.clause("for"), Some("mary@example.net"));
    assert_eq!(r.date().unwrap().to_rfc3339(), "1997-11-21T10:05:43-06:00");
    let r = Received::parse(s.get_all("received").nth(1).unwrap().raw_value());
    assert_eq!(r.clause("from"), Some("node.example"));
    assert_eq!(r.clause("by"), Some("x.y.test"));
    assert_eq!(r.date().unwrap().to_rfc3339(), "1997-11-21T10:01:22-06:00");
}

#[test]
fn a_5_white_space_comments_and_oddities() {
    let msg = crlf(
        "From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\n\
         To:A Group(Some people)\n     :Chris Jones <c@(Chris's host.)public.example>,\n         joe@example.org,\n  John <jdoe@one.test> (my dear friend); (the end of the group)\n\
         Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\n\
         Date: Thu,\n      13\n        Feb\n          1969\n      23:32\n               -0330 (Newfoundland Time)\n\
         Message-ID:              <testabcd.1234@silly.test>\n\
         \n\
         Testing.\n",
    );
    let s = section(&msg);
    assert_eq!(s.len(), 5);
    assert_eq!(
        mailboxes(&s.addresses("From").unwrap()),
        [mb(Some("Pete"), "pete@silly.test")]
    );
    let to = s.addresses("To").unwrap();
    assert!(to.invalid().is_empty());
    let Address::Group(group) = &to.addresses()[0] else {
        panic!("not a group")
    };
    assert_eq!(group.name(), "A Group");
    assert_eq!(
        mailboxes(&to),
        [
            mb(Some("Chris Jones"), "c@public.example"),
            mb(None, "joe@example.org"),
            mb(Some("John"), "jdoe@one.test"),
        ]
    );
    let cc = s.addresses("Cc").unwrap();
    let Address::Group(group) = &cc.addresses()[0] else {
        panic!("not a group")
    };
    assert_eq!(group.name(), "Hidden recipients");
    assert!(group.members().is_empty());
    // Seconds missing, folding everywhere, a trailing comment.
    assert_eq!(s.date().unwrap().to_rfc3339(), "1969-02-13T23:32:00-03:30");
    assert_eq!(s.message_id().unwrap().as_str(), "testabcd.1234@silly.test");
}

#[test]
fn a_6_1_obsolete_addressing() {
    let msg = crlf(
        "From: Joe Q. Public <john.q.public@example.com>\n\
         To: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example\n\
         Date: Tue, 1 Jul 2003 10:52:37 +0200\n\
         Message-ID: <5678.21-Nov-1997@example.com>\n\
         \n\
         Hi everyone.\n",
    );
    let s = section(&msg);
    assert_eq!(
        mailboxes(&s.addresses("From").unwrap()),
        [mb(Some("Joe Q. Public"), "john.q.public@example.com")]
    );
    let to = s.addresses("To").unwrap();
    assert!(to.invalid().is_empty());
    assert_eq!(
        mailboxes(&to),
        [
            mb(Some("Mary Smith"), "mary@example.net"),
            mb(None, "jdoe@test.example"),
        ]
    );
    let mary = to.mailboxes().next().unwrap();
    assert_eq!(mary.route(), ["node.test"]);
    let jdoe = to.mailboxes().nth(1).unwrap();
    assert_eq!(jdoe.local_part(), "jdoe");
    assert_eq!(jdoe.domain(), "test.example");
}

#[test]
fn a_6_2_obsolete_dates() {
    let msg = crlf(
        "From: John Doe <jdoe@machine.example>\n\
         To: Mary Smith <mary@example.net>\n\
         Subject: Saying Hello\n\
         Date: 21 Nov 97 09:55:06 GMT\n\
         Message-ID: <1234@local.machine.example>\n\
         \n\
         This is a message just to say hello.\n\
         So, \"Hello\".\n",
    );
    let s = section(&msg);
    let date = s.date().unwrap();
    assert_eq!(date.to_rfc3339(), "1997-11-21T09:55:06+00:00");
    assert!(!date.is_offset_unknown());
    assert_eq!(date.to_unix_timestamp(), 880_106_106);
}

#[test]
fn a_6_3_obsolete_white_space_and_comments() {
    let msg = crlf(
        "From  : John Doe <jdoe@machine(comment).  example>\n\
         To    : Mary Smith\n  \n          <mary@example.net>\n\
         Subject     : Saying Hello\n\
         Date  : Fri, 21 Nov 1997 09(comment):   55  :  06 -0600\n\
         Message-ID  : <1234   @   local(blah)  .machine .example>\n\
         \n\
         This is a message just to say hello.\n\
         So, \"Hello\".\n",
    );
    let s = section(&msg);
    assert_eq!(s.len(), 5);
    // Names exclude the whitespace before the colon.
    let names: Vec<&str> = s.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["From", "To", "Subject", "Date", "Message-ID"]);
    assert_eq!(
        mailboxes(&s.addresses("From").unwrap()),
        [mb(Some("John Doe"), "jdoe@machine.example")]
    );
    // The whitespace-only line is part of the To field's folding.
    assert_eq!(
        s.get("To").unwrap().raw_value(),
        b" Mary Smith\r\n  \r\n          <mary@example.net>"
    );
    assert_eq!(
        mailboxes(&s.addresses("To").unwrap()),
        [mb(Some("Mary Smith"), "mary@example.net")]
    );
    assert_eq!(s.subject().unwrap(), "Saying Hello");
    assert_eq!(s.date().unwrap().to_rfc3339(), "1997-11-21T09:55:06-06:00");
    assert_eq!(
        s.message_id().unwrap().as_str(),
        "1234@local.machine.example"
    );
}
