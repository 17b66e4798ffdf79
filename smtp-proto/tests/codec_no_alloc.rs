//! Decoding a command allocates nothing. A counting global allocator watches the
//! decoder read the bench's kind of traffic and the rarer forms (SMTPUTF8, address
//! literals, source routes, unknown parameters, errors), values read back included.
//!
//! Its own test binary without the test harness: the count is global, and nothing else
//! may run while it is taken.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::alloc::System;
use std::hint::black_box;

use mailwire_core::Status;
use mailwire_smtp::codec::{decode_command, DecodeOptions};
use mailwire_smtp::types::Command;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const LINES: &[&str] = &[
    "EHLO client42.mail.example.org\r\n",
    "HELO [192.0.2.17]\r\n",
    "EHLO [IPv6:2001:db8::1]\r\n",
    "EHLO [x-tag:some-content]\r\n",
    "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n",
    "MAIL FROM:<bob.smith@university.example.edu> BODY=8BITMIME SIZE=81234 RET=HDRS ENVID=QQ123\r\n",
    "MAIL FROM:<> SIZE=100 BODY=BINARYMIME\r\n",
    "MAIL FROM:<a@b.example> AUTH=e+3Dmc2@example.com REQUIRETLS SMTPUTF8 X-TRACE=abc\r\n",
    "RCPT TO:<carol+lists@xn--bcher-kva.example> NOTIFY=SUCCESS,FAILURE\r\n",
    "RCPT TO:<noreply-bounce-1234@a.b.c.example.net> NOTIFY=FAILURE ORCPT=rfc822;x+2By@example.com\r\n",
    "RCPT TO:<@relay.example,@other.example:\"joe smith\"@example.com>\r\n",
    "RCPT TO:<Postmaster>\r\n",
    "RCPT TO:<用户@例子.广告> X-NOTE=grüße\r\n",
    "VRFY Jürgen SMTPUTF8\r\n",
    "BDAT 65536 LAST\r\n",
    "DATA\r\n",
    "RSET\r\n",
    "NOOP just checking\r\n",
    "HELP\r\n",
    "QUIT\r\n",
    "STARTTLS\r\n",
    // errors are values too
    "MAIL FROM:<a@b.example> SIZE=x\r\n",
    "RCPT TO:<a..b@example.com>\r\n",
    "FROB\r\n",
    "MAIL FROM:<a@b.example>\n",
    "MAIL FROM:<a@b.exam",
];

fn main() {
    let mut utf8 = DecodeOptions::default();
    utf8.smtputf8 = true;
    let strict = DecodeOptions::default();
    let region = Region::new(GLOBAL);
    let (mut decoded, mut text) = (0usize, 0usize);
    for _ in 0..100 {
        for line in LINES {
            for opts in [&strict, &utf8] {
                if let Ok(Status::Complete { value, .. }) = decode_command(line.as_bytes(), opts) {
                    decoded += 1;
                    // reading the values back does not allocate either
                    text += match &value {
                        Command::Mail { from, params } => {
                            from.mailbox().map_or(0, |m| m.local_part().as_str().len())
                                + params.envid.as_ref().map_or(0, |e| e.as_str().len())
                                + params.other.iter().count()
                        }
                        Command::Rcpt { to, params } => {
                            to.mailbox().map_or(0, |m| m.local_part().as_str().len())
                                + params
                                    .orcpt
                                    .as_ref()
                                    .map_or(0, |o| o.address().as_str().len())
                        }
                        Command::Ehlo { host } | Command::Helo { host } => {
                            usize::from(host.is_ascii())
                        }
                        _ => 0,
                    };
                    black_box(&value);
                } else {
                    black_box(line);
                }
            }
        }
    }
    let change = region.change();
    assert_eq!(
        (
            change.allocations,
            change.reallocations,
            change.bytes_allocated
        ),
        (0, 0, 0),
        "decoding allocated"
    );
    assert!(decoded >= 100 * 40, "only {decoded} decoded");
    assert!(text > 0);
    println!(
        "codec_no_alloc: {decoded} commands decoded, {} allocations",
        change.allocations
    );
}
