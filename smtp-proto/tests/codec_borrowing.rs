//! Decoding a command does not copy: every piece of text in the decoded value points into
//! the input buffer (the crate forbids `unsafe`, so a counting allocator is not an option
//! here; pointers into the input prove the same thing for the text fields, and the
//! remaining fields are integers, booleans and enums).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use mailwire_core::Status;
use mailwire_smtp::codec::{decode_command, decode_reply, DecodeOptions};
use mailwire_smtp::types::*;

fn inside(text: &str, buffer: &[u8]) -> bool {
    let start = buffer.as_ptr() as usize;
    let end = start + buffer.len();
    let p = text.as_ptr() as usize;
    text.is_empty() || (p >= start && p + text.len() <= end)
}

fn check_host(host: &Host<'_>, buffer: &[u8]) {
    match host {
        Host::Domain(d) => assert!(inside(d.as_str(), buffer)),
        Host::Literal(AddressLiteral::General(g)) => {
            assert!(inside(g.tag(), buffer) && inside(g.content(), buffer));
        }
        Host::Literal(_) => {}
    }
}

fn check_path(path: &Path<'_>, buffer: &[u8]) {
    assert!(inside(path.mailbox().local_part().as_str(), buffer));
    check_host(path.mailbox().host(), buffer);
    if let Some(route) = path.source_route() {
        assert!(inside(route.as_str(), buffer));
    }
}

fn check_other(other: &OtherParameters<'_>, buffer: &[u8]) {
    for p in other.iter() {
        assert!(inside(p.keyword, buffer));
        assert!(p.value.is_none_or(|v| inside(v, buffer)));
    }
}

#[test]
fn decoded_commands_borrow_the_input() {
    let input: &[u8] = b"EHLO [x-tag:content]\r\n\
        MAIL FROM:<@a.example:\"john smith\"@example.com> SIZE=10 ENVID=QQ+2B1 AUTH=a+40b.example X-ONE=1 X-TWO\r\n\
        RCPT TO:<joe@[IPv6:::1]> NOTIFY=NEVER ORCPT=rfc822;joe+40example.com X-THREE=3\r\n\
        VRFY John Smith\r\nNOOP hello\r\nHELP topic\r\nAUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\nBDAT 10 LAST\r\n";
    let opts = DecodeOptions::default();
    let mut rest = input;
    let mut count = 0;
    while let Ok(Status::Complete { value, consumed }) = decode_command(rest, &opts) {
        count += 1;
        match &value {
            Command::Ehlo { host } => check_host(host, input),
            Command::Mail { from, params } => {
                let ReversePath::Path(path) = from else {
                    panic!()
                };
                check_path(path, input);
                assert!(inside(params.envid.as_ref().unwrap().as_str(), input));
                let Some(AuthIdentity::Mailbox(auth)) = &params.auth else {
                    panic!()
                };
                assert!(inside(auth.as_str(), input));
                assert_eq!(params.other.iter().count(), 2);
                check_other(&params.other, input);
            }
            Command::Rcpt { to, params } => {
                let ForwardPath::Path(path) = to else {
                    panic!()
                };
                check_path(path, input);
                let orcpt = params.orcpt.as_ref().unwrap();
                assert!(
                    inside(orcpt.address_type(), input) && inside(orcpt.address().as_str(), input)
                );
                check_other(&params.other, input);
            }
            Command::Vrfy { target, .. } => assert!(inside(target.as_str(), input)),
            Command::Noop { argument: Some(a) } | Command::Help { topic: Some(a) } => {
                assert!(inside(a.as_str(), input));
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => {
                assert!(inside(mechanism.as_str(), input));
                assert!(inside(
                    initial_response.as_ref().unwrap().as_base64(),
                    input
                ));
            }
            Command::Bdat { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
        rest = &rest[consumed..];
    }
    assert!(rest.is_empty());
    assert_eq!(count, 8);
}

#[test]
fn decoded_replies_borrow_the_input() {
    let input: &[u8] = b"250-2.0.0 first\r\n250-2.0.0 second\r\n250 2.0.0 third\r\n";
    let Ok(Status::Complete { value, .. }) = decode_reply(input, &DecodeOptions::default()) else {
        panic!()
    };
    assert_eq!(value.lines().count(), 3);
    assert!(value.lines().all(|l| inside(l, input)));
    // into_owned detaches from the buffer
    let owned: Reply<'static> = value.clone().into_owned();
    assert!(owned.lines().all(|l| !inside(l, input)));
    assert_eq!(owned, value);
}
