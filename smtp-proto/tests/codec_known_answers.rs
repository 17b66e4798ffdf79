//! Known-answer tables for the SMTP codec: every command, parameter, reply and EHLO form,
//! each checked decode -> encode -> decode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::net::{Ipv4Addr, Ipv6Addr};

use mailwire_core::Status;
use mailwire_smtp::codec::{
    decode_capability, decode_command, decode_ehlo, decode_reply, decode_sasl_response,
    encode_capability, encode_command, encode_ehlo, encode_reply, encode_sasl_response, peek_verb,
    DecodeOptions,
};
use mailwire_smtp::error::DecodeError;
use mailwire_smtp::types::*;

fn strict() -> DecodeOptions {
    DecodeOptions::default()
}

fn utf8() -> DecodeOptions {
    let mut o = DecodeOptions::default();
    o.smtputf8 = true;
    o
}

/// Decodes a whole line (CRLF appended), checks it took all of it.
fn decode_ok<'a>(input: &'a [u8], opts: &DecodeOptions) -> Command<'a> {
    match decode_command(input, opts) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(
                consumed,
                input.len(),
                "consumed of {:?}",
                String::from_utf8_lossy(input)
            );
            value
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

fn encode(command: &Command<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    encode_command(command, &mut out);
    out
}

/// decode(input) encodes to `canonical`, and decoding that gives the same value again.
fn check_command(input: &str, canonical: &str, opts: &DecodeOptions) -> Command<'static> {
    let line = format!("{input}\r\n");
    let first = decode_ok(line.as_bytes(), opts).into_owned();
    let encoded = encode(&first);
    assert_eq!(
        String::from_utf8_lossy(&encoded),
        format!("{canonical}\r\n"),
        "canonical form of {input:?}"
    );
    let second = decode_ok(&encoded, opts);
    assert_eq!(first, second, "round trip of {input:?}");
    first
}

#[test]
fn command_table_round_trips() {
    let table: &[(&str, &str)] = &[
        ("EHLO client.example.com", "EHLO client.example.com"),
        ("ehlo Client.Example.COM", "EHLO Client.Example.COM"),
        ("EHLO localhost", "EHLO localhost"),
        ("EHLO [192.0.2.1]", "EHLO [192.0.2.1]"),
        ("EHLO [010.000.002.001]", "EHLO [10.0.2.1]"),
        ("EHLO [IPv6:2001:db8::1]", "EHLO [IPv6:2001:db8::1]"),
        ("EHLO [IPv6:2001:0db8:0:0:0:0:0:1]", "EHLO [IPv6:2001:db8::1]"),
        ("EHLO [ipv6:::ffff:192.0.2.1]", "EHLO [IPv6:::ffff:192.0.2.1]"),
        ("EHLO [x-foo:bar.baz]", "EHLO [x-foo:bar.baz]"),
        ("HELO relay.example.org", "HELO relay.example.org"),
        ("HELO [192.0.2.7]", "HELO [192.0.2.7]"),
        ("LHLO lmtp.example", "LHLO lmtp.example"),
        ("MAIL FROM:<>", "MAIL FROM:<>"),
        ("mail from:<Smith@bar.com>", "MAIL FROM:<Smith@bar.com>"),
        ("MAIL From:<JQP@bar.com>", "MAIL FROM:<JQP@bar.com>"),
        (
            "MAIL FROM:<@a.example,@b.example:joe@c.example>",
            "MAIL FROM:<@a.example,@b.example:joe@c.example>",
        ),
        (
            "MAIL FROM:<\"john smith\"@example.com> SIZE=1000 BODY=8BITMIME",
            "MAIL FROM:<\"john smith\"@example.com> SIZE=1000 BODY=8BITMIME",
        ),
        (
            "MAIL FROM:<\"a\\\"b\\\\c\"@example.com>",
            "MAIL FROM:<\"a\\\"b\\\\c\"@example.com>",
        ),
        ("MAIL FROM:<\"\"@example.com>", "MAIL FROM:<\"\"@example.com>"),
        (
            "MAIL FROM:<a@b.example> body=binarymime smtputf8 ret=full envid=QQ314159 auth=e+3Dmc2@example.com requiretls",
            "MAIL FROM:<a@b.example> BODY=BINARYMIME SMTPUTF8 RET=FULL ENVID=QQ314159 AUTH=e+3Dmc2@example.com REQUIRETLS",
        ),
        (
            "MAIL FROM:<john+@example.org> AUTH=<>",
            "MAIL FROM:<john+@example.org> AUTH=<>",
        ),
        ("MAIL FROM:<a@b.example> BODY=7BIT", "MAIL FROM:<a@b.example> BODY=7BIT"),
        ("MAIL FROM:<a@b.example> RET=HDRS", "MAIL FROM:<a@b.example> RET=HDRS"),
        (
            "MAIL FROM:<a@b.example> XYZ=1 SIZE=5 FOO HOLDFOR=60",
            "MAIL FROM:<a@b.example> SIZE=5 XYZ=1 FOO HOLDFOR=60",
        ),
        (
            "MAIL FROM:<a@b.example> SIZE=18446744073709551615",
            "MAIL FROM:<a@b.example> SIZE=18446744073709551615",
        ),
        ("MAIL FROM:<a@[192.0.2.1]>", "MAIL FROM:<a@[192.0.2.1]>"),
        ("RCPT TO:<Postmaster>", "RCPT TO:<Postmaster>"),
        ("rcpt to:<postmaster>", "RCPT TO:<Postmaster>"),
        ("RCPT TO:<Postmaster@example.com>", "RCPT TO:<Postmaster@example.com>"),
        ("RCPT TO:<Jones@XYZ.COM>", "RCPT TO:<Jones@XYZ.COM>"),
        (
            "RCPT TO:<x@[IPv6:::1]> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x+40y.example",
            "RCPT TO:<x@[IPv6:::1]> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x+40y.example",
        ),
        ("RCPT TO:<a@b.example> NOTIFY=never", "RCPT TO:<a@b.example> NOTIFY=NEVER"),
        (
            "RCPT TO:<a@b.example> NOTIFY=delay,success,failure",
            "RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE,DELAY",
        ),
        (
            "RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>",
            "RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>",
        ),
        ("RCPT TO:<a@b.example> X-RRVS=2014-04-03T23:01:00Z", "RCPT TO:<a@b.example> X-RRVS=2014-04-03T23:01:00Z"),
        ("DATA", "DATA"),
        ("data", "DATA"),
        ("RSET", "RSET"),
        ("QUIT", "QUIT"),
        ("STARTTLS", "STARTTLS"),
        ("StartTLS", "STARTTLS"),
        ("VRFY Smith", "VRFY Smith"),
        ("VRFY <smith@example.com>", "VRFY <smith@example.com>"),
        ("VRFY John Smith", "VRFY John Smith"),
        ("EXPN Example-People", "EXPN Example-People"),
        ("EXPN list smtputf8", "EXPN list SMTPUTF8"),
        ("VRFY Smith SMTPUTF8", "VRFY Smith SMTPUTF8"),
        ("HELP", "HELP"),
        ("HELP MAIL", "HELP MAIL"),
        ("NOOP", "NOOP"),
        ("NOOP hello there", "NOOP hello there"),
        ("AUTH PLAIN", "AUTH PLAIN"),
        ("AUTH PLAIN =", "AUTH PLAIN ="),
        ("AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=", "AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ="),
        ("AUTH LOGIN", "AUTH LOGIN"),
        ("auth cram-md5", "AUTH cram-md5"),
        ("AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8=", "AUTH SCRAM-SHA-256 biwsbj11c2VyLHI9ck9wck5HZndFYmVSV2diTkVrcU8="),
        ("BDAT 0 LAST", "BDAT 0 LAST"),
        ("BDAT 86", "BDAT 86"),
        ("bdat 1000 last", "BDAT 1000 LAST"),
        ("BDAT 0007", "BDAT 7"),
        ("BDAT 18446744073709551615", "BDAT 18446744073709551615"),
    ];
    for (input, canonical) in table {
        check_command(input, canonical, &strict());
    }
}

#[test]
fn command_fields() {
    let cmd = check_command(
        "MAIL FROM:<\"john smith\"@example.com> SIZE=1000 BODY=8BITMIME",
        "MAIL FROM:<\"john smith\"@example.com> SIZE=1000 BODY=8BITMIME",
        &strict(),
    );
    let Command::Mail { from, params } = cmd else {
        panic!("mail")
    };
    let mailbox = from.mailbox().unwrap();
    assert_eq!(mailbox.local_part().unquoted(), "john smith");
    assert!(mailbox.local_part().is_quoted());
    assert_eq!(
        mailbox.host(),
        &Host::Domain(Domain::new("example.com").unwrap())
    );
    assert_eq!(params.size, Some(1000));
    assert_eq!(params.body, Some(Body::EightBitMime));
    assert!(params.other.is_empty());

    let Command::Mail { from, params } = check_command(
        "MAIL FROM:<a@b.example> BODY=BINARYMIME SMTPUTF8 RET=FULL ENVID=QQ314159 AUTH=e+3Dmc2@example.com REQUIRETLS",
        "MAIL FROM:<a@b.example> BODY=BINARYMIME SMTPUTF8 RET=FULL ENVID=QQ314159 AUTH=e+3Dmc2@example.com REQUIRETLS",
        &strict(),
    ) else {
        panic!("mail")
    };
    assert!(matches!(from, ReversePath::Path(_)));
    assert_eq!(params.body, Some(Body::BinaryMime));
    assert!(params.smtputf8 && params.requiretls);
    assert_eq!(params.ret, Some(Ret::Full));
    assert_eq!(&*params.envid.unwrap().decode(), b"QQ314159");
    let auth = params.auth.unwrap();
    assert_eq!(auth.mailbox().unwrap().to_string(), "e=mc2@example.com");

    let Command::Mail { from, params } = check_command("MAIL FROM:<>", "MAIL FROM:<>", &strict())
    else {
        panic!("mail")
    };
    assert_eq!(from, ReversePath::Null);
    assert!(params.is_empty());

    let Command::Mail { params, .. } = check_command(
        "MAIL FROM:<a@b.example> XYZ=1 SIZE=5 FOO",
        "MAIL FROM:<a@b.example> SIZE=5 XYZ=1 FOO",
        &strict(),
    ) else {
        panic!("mail")
    };
    let other: Vec<_> = params.other.iter().collect();
    assert_eq!(
        other,
        vec![
            EsmtpParameter {
                keyword: "XYZ",
                value: Some("1")
            },
            EsmtpParameter {
                keyword: "FOO",
                value: None
            }
        ]
    );
    assert_eq!(params.other.get("xyz").and_then(|p| p.value), Some("1"));

    let Command::Mail { from, .. } = check_command(
        "MAIL FROM:<@a.example,@b.example:joe@c.example>",
        "MAIL FROM:<@a.example,@b.example:joe@c.example>",
        &strict(),
    ) else {
        panic!("mail")
    };
    let ReversePath::Path(path) = from else {
        panic!("path")
    };
    assert_eq!(
        path.source_route().unwrap().domains().collect::<Vec<_>>(),
        ["a.example", "b.example"]
    );
    assert_eq!(path.mailbox().to_string(), "joe@c.example");

    let Command::Rcpt { to, params } = check_command(
        "RCPT TO:<x@[IPv6:::1]> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x+40y.example",
        "RCPT TO:<x@[IPv6:::1]> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x+40y.example",
        &strict(),
    ) else {
        panic!("rcpt")
    };
    assert_eq!(
        to.mailbox().unwrap().host(),
        &Host::Literal(AddressLiteral::Ipv6(Ipv6Addr::LOCALHOST))
    );
    let notify = params.notify.unwrap();
    assert!(!notify.success() && notify.failure() && notify.delay() && !notify.is_never());
    let orcpt = params.orcpt.unwrap();
    assert_eq!(orcpt.address_type(), "rfc822");
    assert_eq!(&*orcpt.address().decode(), b"x@y.example");

    let Command::Rcpt { to, .. } =
        check_command("RCPT TO:<postmaster>", "RCPT TO:<Postmaster>", &strict())
    else {
        panic!("rcpt")
    };
    assert_eq!(to, ForwardPath::Postmaster);

    let Command::Ehlo { host } = check_command("EHLO [192.0.2.1]", "EHLO [192.0.2.1]", &strict())
    else {
        panic!("ehlo")
    };
    assert_eq!(
        host,
        Host::Literal(AddressLiteral::Ipv4(Ipv4Addr::new(192, 0, 2, 1)))
    );

    let Command::Ehlo { host } =
        check_command("EHLO [x-foo:bar.baz]", "EHLO [x-foo:bar.baz]", &strict())
    else {
        panic!("ehlo")
    };
    let Host::Literal(AddressLiteral::General(general)) = host else {
        panic!("general")
    };
    assert_eq!((general.tag(), general.content()), ("x-foo", "bar.baz"));

    let Command::Auth {
        mechanism,
        initial_response,
    } = check_command("AUTH PLAIN =", "AUTH PLAIN =", &strict())
    else {
        panic!("auth")
    };
    assert_eq!(mechanism, Mechanism::PLAIN);
    assert_eq!(initial_response, Some(SaslData::EMPTY));

    let Command::Auth {
        mechanism,
        initial_response,
    } = check_command(
        "auth plain dGVzdAB0ZXN0ADEyMzQ=",
        "AUTH plain dGVzdAB0ZXN0ADEyMzQ=",
        &strict(),
    )
    else {
        panic!("auth")
    };
    assert_eq!(mechanism, Mechanism::PLAIN);
    let response = initial_response.unwrap();
    assert_eq!(response.decode().unwrap().expose(), b"test\x00test\x001234");
    assert!(
        !format!("{response:?}").contains("dGVzd"),
        "debug must not show credentials"
    );

    assert_eq!(
        check_command("BDAT 0 LAST", "BDAT 0 LAST", &strict()),
        Command::Bdat {
            size: 0,
            last: true
        }
    );
    assert_eq!(
        check_command("BDAT 86", "BDAT 86", &strict()),
        Command::Bdat {
            size: 86,
            last: false
        }
    );

    let Command::Vrfy { target, smtputf8 } =
        check_command("VRFY John Smith", "VRFY John Smith", &strict())
    else {
        panic!("vrfy")
    };
    assert_eq!(target.as_str(), "John Smith");
    assert!(!smtputf8);
    let Command::Expn { target, smtputf8 } =
        check_command("EXPN list smtputf8", "EXPN list SMTPUTF8", &strict())
    else {
        panic!("expn")
    };
    assert_eq!(target.as_str(), "list");
    assert!(smtputf8);
}

#[test]
fn smtputf8_mailboxes_need_the_option() {
    let table = [
        (
            "MAIL FROM:<jøran@blåbærsyltetøy.example> SMTPUTF8",
            "MAIL FROM:<jøran@blåbærsyltetøy.example> SMTPUTF8",
        ),
        ("RCPT TO:<用户@例子.广告>", "RCPT TO:<用户@例子.广告>"),
        (
            "RCPT TO:<\"ü ü\"@example.com>",
            "RCPT TO:<\"ü ü\"@example.com>",
        ),
        ("EHLO bücher.example", "EHLO bücher.example"),
        ("VRFY Jürgen", "VRFY Jürgen"),
        (
            "MAIL FROM:<a@b.example> X-NOTE=grüße",
            "MAIL FROM:<a@b.example> X-NOTE=grüße",
        ),
    ];
    for (input, canonical) in table {
        let cmd = check_command(input, canonical, &utf8());
        if let Command::Mail {
            from: ReversePath::Path(p),
            ..
        } = &cmd
        {
            assert!(!p.mailbox().is_ascii() || input.contains("X-NOTE"));
        }
        let line = format!("{input}\r\n");
        assert_eq!(
            decode_command(line.as_bytes(), &strict()),
            Err(DecodeError::NonAscii),
            "{input}"
        );
    }
    // not UTF-8 at all
    assert_eq!(
        decode_command(b"RCPT TO:<\xff@example.com>\r\n", &utf8()),
        Err(DecodeError::InvalidUtf8)
    );
}

#[test]
fn smtputf8_values_read_back_as_text() {
    // values keep the line's octets; the line is checked as UTF-8 once, so every value
    // reads back as the text that was sent
    let input = "MAIL FROM:<用户@例子.广告> SMTPUTF8 ENVID=QQ+2B1 X-NOTE=grüße\r\n";
    let Ok(Status::Complete { value, .. }) = decode_command(input.as_bytes(), &utf8()) else {
        panic!("{input}");
    };
    let Command::Mail {
        from: ReversePath::Path(path),
        params,
    } = &value
    else {
        panic!("{value:?}");
    };
    assert_eq!(path.mailbox().local_part().as_str(), "用户");
    assert_eq!(path.mailbox().local_part().as_bytes(), "用户".as_bytes());
    assert_eq!(path.mailbox().host().to_string(), "例子.广告");
    assert!(!path.mailbox().is_ascii());
    assert_eq!(params.envid.as_ref().map(XText::as_str), Some("QQ+2B1"));
    assert_eq!(
        params.other.get("x-note").and_then(|p| p.value),
        Some("grüße")
    );
    let input = "EHLO bücher.example\r\n";
    let Ok(Status::Complete {
        value: Command::Ehlo { host },
        ..
    }) = decode_command(input.as_bytes(), &utf8())
    else {
        panic!("{input}");
    };
    assert_eq!(host.to_string(), "bücher.example");

    // octets that are not UTF-8 fail wherever they are, whatever else is wrong
    for line in [
        &b"RCPT TO:<a@b\xc3.example>\r\n"[..],
        b"RCPT TO:<a@b.example> NOTIFY=NEVER X=\xff\r\n",
        b"VRFY J\xfcrgen\r\n",
        b"EHLO b\xfccher.example\r\n",
        b"MAIL FROM:<\xe4\xb8\xad\xe6@x.example>\r\n",
        // a character cut at the end of the line
        b"NOOP \xe4\xb8\r\n",
        b"RCPT TO:<a@b.example> \xe4\xb8\r\n",
    ] {
        assert_eq!(
            decode_command(line, &utf8()),
            Err(DecodeError::InvalidUtf8),
            "{line:?}"
        );
        assert_eq!(
            decode_command(line, &strict()),
            Err(DecodeError::NonAscii),
            "{line:?}"
        );
    }
    // the base64 of AUTH is ASCII in any mode
    assert_eq!(
        decode_command("AUTH PLAIN dGVzdA==ü\r\n".as_bytes(), &utf8()),
        Err(DecodeError::InvalidBase64)
    );
    // an xtext is ASCII: ORCPT with a raw UTF-8 address is invalid, its xtext form is not
    assert_eq!(
        decode_command(
            "RCPT TO:<a@b.example> ORCPT=utf-8;jøran@x\r\n".as_bytes(),
            &utf8()
        ),
        Err(DecodeError::InvalidParameter { keyword: "ORCPT" })
    );
    let line = "RCPT TO:<jøran@b.example> ORCPT=rfc822;j+C3+B8ran@b.example\r\n";
    let Ok(Status::Complete {
        value: Command::Rcpt { params, .. },
        ..
    }) = decode_command(line.as_bytes(), &utf8())
    else {
        panic!("{line}");
    };
    let orcpt = params.orcpt.expect("orcpt");
    assert_eq!(&*orcpt.address().decode(), "jøran@b.example".as_bytes());
}

#[test]
fn partial_until_crlf() {
    let line = b"MAIL FROM:<a@b.example> SIZE=100\r\n";
    for cut in 0..line.len() {
        assert_eq!(
            decode_command(&line[..cut], &strict()),
            Ok(Status::Partial),
            "cut at {cut}"
        );
    }
    // two pipelined commands: only the first is consumed
    let input = b"RSET\r\nQUIT\r\n";
    assert_eq!(
        decode_command(input, &strict()),
        Ok(Status::Complete {
            value: Command::Rset,
            consumed: 6
        })
    );
    assert_eq!(
        decode_command(&input[6..], &strict()),
        Ok(Status::Complete {
            value: Command::Quit,
            consumed: 6
        })
    );
}

#[test]
fn command_errors_are_typed() {
    let long_local = "a".repeat(65);
    let long_label = "d".repeat(64);
    let domain_255 = ["d".repeat(63).as_str(); 4].join(".");
    let path_257 = format!(
        "{}@{}",
        "a".repeat(64),
        ["d".repeat(63).as_str(); 3].join(".")
    ); // 64 + 1 + 191 octets, 258 with the brackets
    let table: Vec<(String, DecodeError)> = vec![
        ("FOO bar".into(), DecodeError::UnknownCommand),
        ("".into(), DecodeError::UnknownCommand),
        (" MAIL FROM:<a@b>".into(), DecodeError::UnknownCommand),
        ("MAILFROM:<a@b>".into(), DecodeError::UnknownCommand),
        ("EHLO".into(), DecodeError::Syntax { verb: "EHLO" }),
        ("EHLO ".into(), DecodeError::InvalidDomain),
        ("EHLO  a.example".into(), DecodeError::InvalidDomain),
        ("EHLO bad_name.example".into(), DecodeError::InvalidDomain),
        ("EHLO a.example extra".into(), DecodeError::InvalidDomain),
        (
            "EHLO [300.1.1.1]".into(),
            DecodeError::InvalidAddressLiteral,
        ),
        ("EHLO [IPv6:1:2]".into(), DecodeError::InvalidAddressLiteral),
        (
            format!("EHLO {long_label}.example"),
            DecodeError::DomainLabelTooLong,
        ),
        (format!("EHLO a.{domain_255}"), DecodeError::DomainTooLong),
        ("MAIL".into(), DecodeError::Syntax { verb: "MAIL" }),
        ("MAIL TO:<a@b>".into(), DecodeError::Syntax { verb: "MAIL" }),
        ("MAIL FROM: <a@b>".into(), DecodeError::InvalidPath),
        ("MAIL FROM:a@b".into(), DecodeError::InvalidPath),
        ("MAIL FROM:<a@b".into(), DecodeError::InvalidPath),
        ("MAIL FROM:<a>".into(), DecodeError::InvalidPath),
        (
            "MAIL FROM:<a@b>SIZE=1".into(),
            DecodeError::Syntax { verb: "MAIL" },
        ),
        ("MAIL FROM:<a@b> ".into(), DecodeError::MalformedParameter),
        (
            "MAIL FROM:<a@b>  SIZE=1".into(),
            DecodeError::MalformedParameter,
        ),
        ("MAIL FROM:<a..b@c>".into(), DecodeError::InvalidLocalPart),
        ("MAIL FROM:<\"a@c>".into(), DecodeError::InvalidLocalPart),
        ("MAIL FROM:<a b@c>".into(), DecodeError::InvalidPath),
        (
            format!("MAIL FROM:<{long_local}@c>"),
            DecodeError::LocalPartTooLong,
        ),
        (format!("MAIL FROM:<{path_257}>"), DecodeError::PathTooLong),
        (
            "MAIL FROM:<a@b> SIZE=1 SIZE=2".into(),
            DecodeError::DuplicateParameter { keyword: "SIZE" },
        ),
        (
            "MAIL FROM:<a@b> SIZE=".into(),
            DecodeError::MalformedParameter,
        ),
        (
            "MAIL FROM:<a@b> SIZE=abc".into(),
            DecodeError::InvalidParameter { keyword: "SIZE" },
        ),
        (
            "MAIL FROM:<a@b> SIZE=18446744073709551616".into(),
            DecodeError::NumberOutOfRange,
        ),
        (
            "MAIL FROM:<a@b> BODY=8BIT".into(),
            DecodeError::InvalidParameter { keyword: "BODY" },
        ),
        (
            "MAIL FROM:<a@b> SMTPUTF8=1".into(),
            DecodeError::InvalidParameter {
                keyword: "SMTPUTF8",
            },
        ),
        (
            "MAIL FROM:<a@b> RET=ALL".into(),
            DecodeError::InvalidParameter { keyword: "RET" },
        ),
        (
            "MAIL FROM:<a@b> ENVID=a+1".into(),
            DecodeError::InvalidParameter { keyword: "ENVID" },
        ),
        (
            "MAIL FROM:<a@b> AUTH=nobody".into(),
            DecodeError::InvalidParameter { keyword: "AUTH" },
        ),
        (
            "MAIL FROM:<a@b> REQUIRETLS=YES".into(),
            DecodeError::InvalidParameter {
                keyword: "REQUIRETLS",
            },
        ),
        (
            "MAIL FROM:<a@b> NOTIFY=NEVER".into(),
            DecodeError::MisplacedParameter { keyword: "NOTIFY" },
        ),
        (
            "MAIL FROM:<a@b> X=a=b".into(),
            DecodeError::MalformedParameter,
        ),
        (
            "MAIL FROM:<a@b> _X=1".into(),
            DecodeError::MalformedParameter,
        ),
        ("RCPT TO:<>".into(), DecodeError::InvalidLocalPart),
        (
            "RCPT TO:<a@b> SIZE=1".into(),
            DecodeError::MisplacedParameter { keyword: "SIZE" },
        ),
        (
            "RCPT TO:<a@b> NOTIFY=NEVER,DELAY".into(),
            DecodeError::InvalidParameter { keyword: "NOTIFY" },
        ),
        (
            "RCPT TO:<a@b> ORCPT=rfc822".into(),
            DecodeError::InvalidParameter { keyword: "ORCPT" },
        ),
        (
            "RCPT TO:<a@b> ORCPT=rfc822;a+zz".into(),
            DecodeError::InvalidParameter { keyword: "ORCPT" },
        ),
        (
            "RCPT TO:<Postmaster>x".into(),
            DecodeError::Syntax { verb: "RCPT" },
        ),
        ("DATA x".into(), DecodeError::Syntax { verb: "DATA" }),
        ("DATA ".into(), DecodeError::Syntax { verb: "DATA" }),
        ("QUIT now".into(), DecodeError::Syntax { verb: "QUIT" }),
        (
            "STARTTLS x".into(),
            DecodeError::Syntax { verb: "STARTTLS" },
        ),
        ("VRFY".into(), DecodeError::Syntax { verb: "VRFY" }),
        ("VRFY  x".into(), DecodeError::Syntax { verb: "VRFY" }),
        ("HELP ".into(), DecodeError::Syntax { verb: "HELP" }),
        ("NOOP a\tb\x01".into(), DecodeError::Syntax { verb: "NOOP" }),
        ("AUTH".into(), DecodeError::Syntax { verb: "AUTH" }),
        ("AUTH PL@IN".into(), DecodeError::InvalidMechanism),
        (
            "AUTH ABCDEFGHIJKLMNOPQRSTU".into(),
            DecodeError::InvalidMechanism,
        ),
        ("AUTH PLAIN abc".into(), DecodeError::InvalidBase64),
        ("AUTH PLAIN a===".into(), DecodeError::InvalidBase64),
        ("AUTH PLAIN ab=c".into(), DecodeError::InvalidBase64),
        ("AUTH PLAIN ".into(), DecodeError::InvalidBase64),
        ("BDAT".into(), DecodeError::Syntax { verb: "BDAT" }),
        ("BDAT x".into(), DecodeError::Syntax { verb: "BDAT" }),
        ("BDAT -1".into(), DecodeError::Syntax { verb: "BDAT" }),
        ("BDAT 10 FIRST".into(), DecodeError::Syntax { verb: "BDAT" }),
        (
            "BDAT 10 LAST x".into(),
            DecodeError::Syntax { verb: "BDAT" },
        ),
        (
            "BDAT 18446744073709551616".into(),
            DecodeError::NumberOutOfRange,
        ),
        (
            "BDAT 99999999999999999999999999".into(),
            DecodeError::NumberOutOfRange,
        ),
        ("RSET\r".into(), DecodeError::UnknownCommand),
        ("NOOP \r".into(), DecodeError::Syntax { verb: "NOOP" }),
    ];
    for (input, expected) in table {
        let line = format!("{input}\r\n");
        assert_eq!(
            decode_command(line.as_bytes(), &strict()),
            Err(expected),
            "{input:?}"
        );
    }
}

#[test]
fn line_framing_errors() {
    // bare LF ends nothing while strict
    assert_eq!(
        decode_command(b"QUIT\n", &strict()),
        Err(DecodeError::BareLineFeed)
    );
    // a CR alone inside a line is part of the line, and no argument grammar allows it
    assert_eq!(
        decode_command(b"NOOP a\rb\r\n", &strict()),
        Err(DecodeError::Syntax { verb: "NOOP" })
    );
    // default limit: 2048 octets with CRLF
    let fits = format!("NOOP {}\r\n", "x".repeat(2048 - 7));
    assert_eq!(fits.len(), 2048);
    assert!(matches!(
        decode_command(fits.as_bytes(), &strict()),
        Ok(Status::Complete { .. })
    ));
    let over = format!("NOOP {}\r\n", "x".repeat(2048 - 6));
    assert_eq!(
        decode_command(over.as_bytes(), &strict()),
        Err(DecodeError::LineTooLong { limit: 2048 })
    );
    // too long is reported before the line end arrives (memory stays bounded)
    let no_end = vec![b'x'; 5000];
    assert_eq!(
        decode_command(&no_end, &strict()),
        Err(DecodeError::LineTooLong { limit: 2048 })
    );
    // configurable: the RFC 5321 minimum of 512
    let mut rfc = strict();
    rfc.max_command_line = 512;
    let over = format!("NOOP {}\r\n", "x".repeat(506));
    assert_eq!(over.len(), 513);
    assert_eq!(
        decode_command(over.as_bytes(), &rfc),
        Err(DecodeError::LineTooLong { limit: 512 })
    );
}

#[test]
fn quirks_are_opt_in() {
    let mut lenient = strict();
    lenient.quirk_space_after_colon = true;
    lenient.quirk_bare_lf = true;
    lenient.quirk_trailing_whitespace = true;
    let cases = [
        (
            "MAIL FROM: <a@b.example>\r\n",
            "MAIL FROM:<a@b.example>\r\n",
        ),
        (
            "RCPT TO:  <a@b.example> NOTIFY=NEVER\r\n",
            "RCPT TO:<a@b.example> NOTIFY=NEVER\r\n",
        ),
        ("QUIT\n", "QUIT\r\n"),
        ("DATA  \t\r\n", "DATA\r\n"),
        ("EHLO a.example \r\n", "EHLO a.example\r\n"),
    ];
    for (input, canonical) in cases {
        assert!(
            decode_command(input.as_bytes(), &strict()).is_err(),
            "strict {input:?}"
        );
        let cmd = decode_ok(input.as_bytes(), &lenient);
        assert_eq!(String::from_utf8(encode(&cmd)).unwrap(), canonical);
    }
    // bare LF: the command ends at the LF
    let mut bare = strict();
    bare.quirk_bare_lf = true;
    assert_eq!(
        decode_command(b"RSET\nQUIT\r\n", &bare),
        Ok(Status::Complete {
            value: Command::Rset,
            consumed: 5
        })
    );
}

#[test]
fn peek_verb_names_the_command() {
    assert_eq!(peek_verb(b"mail FROM:<bad"), Some(Verb::Mail));
    assert_eq!(peek_verb(b"STARTTLS"), Some(Verb::StartTls));
    assert_eq!(peek_verb(b"XYZZY"), None);
    assert_eq!(peek_verb(b""), None);
}

#[test]
fn sasl_lines() {
    let cases: [(&[u8], SaslResponse<'_>); 3] = [
        (b"*\r\n", SaslResponse::Cancel),
        (b"\r\n", SaslResponse::Data(SaslData::EMPTY)),
        (
            b"dGVzdA==\r\n",
            SaslResponse::Data(SaslData::new("dGVzdA==").unwrap()),
        ),
    ];
    for (input, expected) in cases {
        let Ok(Status::Complete { value, consumed }) = decode_sasl_response(input, &strict())
        else {
            panic!("{input:?}")
        };
        assert_eq!(value, expected);
        assert_eq!(consumed, input.len());
        let mut out = Vec::new();
        encode_sasl_response(&value, &mut out);
        assert_eq!(out, input);
    }
    assert_eq!(
        decode_sasl_response(b"dGVz", &strict()),
        Ok(Status::Partial)
    );
    for bad in [
        &b"**\r\n"[..],
        b"dGVzd\r\n",
        b"d GV\r\n",
        b"====\r\n",
        b"\xff\r\n",
    ] {
        assert_eq!(
            decode_sasl_response(bad, &strict()),
            Err(DecodeError::InvalidBase64),
            "{bad:?}"
        );
    }
    // RFC 4954 §4: 12288 octets for AUTH exchange lines
    let long = format!("{}\r\n", "A".repeat(12284));
    assert!(matches!(
        decode_sasl_response(long.as_bytes(), &strict()),
        Ok(Status::Complete { .. })
    ));
    let longer = format!("{}\r\n", "A".repeat(12288));
    assert_eq!(
        decode_sasl_response(longer.as_bytes(), &strict()),
        Err(DecodeError::LineTooLong { limit: 12288 })
    );
}

fn decode_reply_ok<'a>(input: &'a [u8], opts: &DecodeOptions) -> Reply<'a> {
    match decode_reply(input, opts) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(consumed, input.len());
            value
        }
        other => panic!("{:?}: {other:?}", String::from_utf8_lossy(input)),
    }
}

#[test]
fn reply_table_round_trips() {
    struct Case {
        input: &'static str,
        code: u16,
        enhanced: Option<&'static str>,
        lines: &'static [&'static str],
    }
    let table = [
        Case {
            input: "220 mail.example.com ESMTP Postfix\r\n",
            code: 220,
            enhanced: None,
            lines: &["mail.example.com ESMTP Postfix"],
        },
        Case {
            input: "250 OK\r\n",
            code: 250,
            enhanced: None,
            lines: &["OK"],
        },
        Case {
            input: "250 2.1.0 Sender ok\r\n",
            code: 250,
            enhanced: Some("2.1.0"),
            lines: &["Sender ok"],
        },
        Case {
            input: "550 5.1.1 <jones@xyz.com>: Recipient address rejected\r\n",
            code: 550,
            enhanced: Some("5.1.1"),
            lines: &["<jones@xyz.com>: Recipient address rejected"],
        },
        Case {
            input: "354 Start mail input; end with <CRLF>.<CRLF>\r\n",
            code: 354,
            enhanced: None,
            lines: &["Start mail input; end with <CRLF>.<CRLF>"],
        },
        Case {
            input: "334 \r\n",
            code: 334,
            enhanced: None,
            lines: &[""],
        },
        Case {
            input: "334 VXNlcm5hbWU6\r\n",
            code: 334,
            enhanced: None,
            lines: &["VXNlcm5hbWU6"],
        },
        Case {
            input: "250\r\n",
            code: 250,
            enhanced: None,
            lines: &[""],
        },
        Case {
            input: "250 \r\n",
            code: 250,
            enhanced: None,
            lines: &[""],
        },
        Case {
            input: "221 2.0.0 Bye\r\n",
            code: 221,
            enhanced: Some("2.0.0"),
            lines: &["Bye"],
        },
        Case {
            input: "250 2.0.0\r\n",
            code: 250,
            enhanced: Some("2.0.0"),
            lines: &[""],
        },
        Case {
            input: "452 4.5.3 Too many recipients\r\n",
            code: 452,
            enhanced: Some("4.5.3"),
            lines: &["Too many recipients"],
        },
        Case {
            input: "250 4.5.3 class disagrees, so it is text\r\n",
            code: 250,
            enhanced: None,
            lines: &["4.5.3 class disagrees, so it is text"],
        },
        Case {
            input: "250 2.0.0  two spaces\r\n",
            code: 250,
            enhanced: Some("2.0.0"),
            lines: &[" two spaces"],
        },
        Case {
            input: "250 2.6.100 big detail\r\n",
            code: 250,
            enhanced: Some("2.6.100"),
            lines: &["big detail"],
        },
        Case {
            input: "250 tab\there\r\n",
            code: 250,
            enhanced: None,
            lines: &["tab\there"],
        },
        Case {
            input: "553 5.6.7 Non-ASCII addresses not permitted\r\n",
            code: 553,
            enhanced: Some("5.6.7"),
            lines: &["Non-ASCII addresses not permitted"],
        },
        Case {
            input: "250 Grüße\r\n",
            code: 250,
            enhanced: None,
            lines: &["Grüße"],
        },
        Case {
            input: "250-mail.example.com\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            code: 250,
            enhanced: None,
            lines: &["mail.example.com", "PIPELINING", "8BITMIME"],
        },
        Case {
            input: "220-mail.example.com ESMTP\r\n220-\r\n220 no UCE\r\n",
            code: 220,
            enhanced: None,
            lines: &["mail.example.com ESMTP", "", "no UCE"],
        },
        Case {
            input: "550-5.7.1 first\r\n550-5.7.1 second\r\n550 5.7.1 third\r\n",
            code: 550,
            enhanced: Some("5.7.1"),
            lines: &["first", "second", "third"],
        },
        Case {
            // only the first line carries the code: the others keep their text
            input: "451-4.3.0 first\r\n451 second\r\n",
            code: 451,
            enhanced: Some("4.3.0"),
            lines: &["first", "second"],
        },
        Case {
            input: "250-2.0.0 a\r\n250 2.1.0 different code stays text\r\n",
            code: 250,
            enhanced: Some("2.0.0"),
            lines: &["a", "2.1.0 different code stays text"],
        },
    ];
    for case in table {
        let reply = decode_reply_ok(case.input.as_bytes(), &strict());
        assert_eq!(reply.code().get(), case.code, "{}", case.input);
        assert_eq!(
            reply.enhanced().map(|e| e.to_string()).as_deref(),
            case.enhanced,
            "{}",
            case.input
        );
        assert_eq!(
            reply.lines().collect::<Vec<_>>(),
            case.lines,
            "{}",
            case.input
        );
        assert_eq!(reply.line_count(), case.lines.len());
        let mut out = Vec::new();
        encode_reply(&reply, &mut out);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            case.input,
            "decoded replies re-encode as received"
        );
        assert_eq!(decode_reply_ok(&out, &strict()), reply);
        // built from its parts, it encodes to the same value
        let built = Reply::new(reply.code(), reply.enhanced(), reply.lines()).unwrap();
        assert_eq!(built, reply, "{}", case.input);
        let mut out = Vec::new();
        encode_reply(&built, &mut out);
        assert_eq!(decode_reply_ok(&out, &strict()), reply);
    }
}

#[test]
fn reply_building_writes_the_enhanced_code_on_every_line() {
    let reply = Reply::new(
        ReplyCode::MAILBOX_UNAVAILABLE,
        EnhancedStatusCode::new(5, 1, 1),
        ["no such user", "try again"],
    )
    .unwrap();
    assert_eq!(
        reply.to_string(),
        "550-5.1.1 no such user\r\n550 5.1.1 try again\r\n"
    );
    assert_eq!(
        Reply::single(ReplyCode::OK, "").unwrap().to_string(),
        "250\r\n"
    );
    assert_eq!(
        Reply::single(ReplyCode::OK, "OK").unwrap().first_line(),
        "OK"
    );
    // texts the decoder would misread as an enhanced code are refused without one
    assert_eq!(
        Reply::single(ReplyCode::OK, "2.0.0 ok"),
        Err(DecodeError::InvalidEnhancedStatusCode)
    );
    assert!(Reply::single(ReplyCode::START_MAIL_INPUT, "2.0.0 fine for 3yz").is_ok());
    for bad in ["a\rb", "a\nb", "nul\0", "del\x7f"] {
        assert_eq!(
            Reply::single(ReplyCode::OK, bad),
            Err(DecodeError::InvalidText),
            "{bad:?}"
        );
    }
    assert_eq!(
        Reply::new(ReplyCode::OK, EnhancedStatusCode::new(4, 0, 0), ["x"]),
        Err(DecodeError::InvalidEnhancedStatusCode)
    );
    assert_eq!(
        Reply::new(
            ReplyCode::AUTH_CHALLENGE,
            EnhancedStatusCode::new(2, 0, 0),
            ["x"]
        ),
        Err(DecodeError::InvalidEnhancedStatusCode)
    );
    let long = "x".repeat(507);
    assert_eq!(
        Reply::single(ReplyCode::OK, &long),
        Err(DecodeError::LineTooLong { limit: 512 })
    );
    assert!(Reply::single(ReplyCode::OK, &long[1..]).is_ok());
    assert_eq!(ReplyCode::new(250).map(ReplyCode::get), Some(250));
    assert!(
        ReplyCode::new(600).is_none()
            && ReplyCode::new(170).is_none()
            && ReplyCode::new(259).is_some()
            && ReplyCode::new(299).is_none()
    );
    let code = ReplyCode::new(451).unwrap();
    assert!(code.is_transient_failure() && !code.is_positive() && code.class() == 4);
}

#[test]
fn reply_errors_are_typed() {
    let table: &[(&[u8], DecodeError)] = &[
        (b"25 x\r\n", DecodeError::InvalidReplyCode),
        (b"\r\n", DecodeError::InvalidReplyCode),
        (b"abc ok\r\n", DecodeError::InvalidReplyCode),
        (b"150 ok\r\n", DecodeError::InvalidReplyCode),
        (b"670 ok\r\n", DecodeError::InvalidReplyCode),
        (b"280 ok\r\n", DecodeError::InvalidReplyCode),
        (b"250_ok\r\n", DecodeError::MalformedReplyLine),
        (b"250-a\r\n251 b\r\n", DecodeError::InconsistentReplyCodes),
        (
            b"250-a\r\n550-b\r\n250 c\r\n",
            DecodeError::InconsistentReplyCodes,
        ),
        (b"250 ok\n", DecodeError::BareLineFeed),
        (b"250-ok\r\n250 ok\n", DecodeError::BareLineFeed),
        (b"250 a\x01b\r\n", DecodeError::InvalidText),
        (b"250 a\rb\r\n", DecodeError::InvalidText),
        (b"250 \xff\r\n", DecodeError::InvalidUtf8),
    ];
    for (input, expected) in table {
        assert_eq!(
            decode_reply(input, &strict()),
            Err(*expected),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    // partial while the last line has not arrived
    let full = b"250-a\r\n250-b\r\n250 c\r\n";
    for cut in 0..full.len() {
        assert_eq!(
            decode_reply(&full[..cut], &strict()),
            Ok(Status::Partial),
            "cut {cut}"
        );
    }
    // line limits: 512 by default, configurable
    let fits = format!("250 {}\r\n", "x".repeat(506));
    assert!(matches!(
        decode_reply(fits.as_bytes(), &strict()),
        Ok(Status::Complete { .. })
    ));
    let over = format!("250 {}\r\n", "x".repeat(507));
    assert_eq!(
        decode_reply(over.as_bytes(), &strict()),
        Err(DecodeError::LineTooLong { limit: 512 })
    );
    let mut wide = strict();
    wide.max_reply_line = 1000;
    assert!(matches!(
        decode_reply(over.as_bytes(), &wide),
        Ok(Status::Complete { .. })
    ));
    // and the number of lines
    let many: String = (0..101).map(|_| "250-x\r\n").collect::<String>() + "250 y\r\n";
    assert_eq!(
        decode_reply(many.as_bytes(), &strict()),
        Err(DecodeError::TooManyReplyLines { limit: 100 })
    );
    let mut few = strict();
    few.max_reply_lines = 2;
    assert_eq!(
        decode_reply(b"250-a\r\n250-b\r\n", &few),
        Ok(Status::Partial)
    );
    assert_eq!(
        decode_reply(b"250-a\r\n250-b\r\n250 c\r\n", &few),
        Err(DecodeError::TooManyReplyLines { limit: 2 })
    );
}

fn ehlo_of(input: &str, opts: &DecodeOptions) -> EhloResponse<'static> {
    let reply = decode_reply_ok(input.as_bytes(), opts);
    let ehlo = decode_ehlo(&reply, opts).unwrap().into_owned();
    // encode -> decode gives the same capabilities
    let mut out = Vec::new();
    encode_ehlo(&ehlo, &mut out);
    let again = decode_reply_ok(&out, opts);
    assert_eq!(decode_ehlo(&again, opts).unwrap(), ehlo, "{input}");
    ehlo
}

#[test]
fn ehlo_capabilities() {
    // RFC 5321 Appendix D.1 style, plus the common extensions
    let ehlo = ehlo_of(
        "250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n",
        &strict(),
    );
    assert_eq!(ehlo.domain(), "foo.com");
    assert_eq!(ehlo.greeting(), "foo.com greets bar.com");
    assert_eq!(
        ehlo.capabilities(),
        &[
            Capability::EightBitMime,
            Capability::Size(None),
            Capability::Dsn,
            Capability::Help
        ]
    );
    assert_eq!(ehlo.size(), Some(None));

    let ehlo = ehlo_of(
        "250-mx.example.com at your service\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n\
         250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-SMTPUTF8\r\n\
         250-BINARYMIME\r\n250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n\
         250-AUTH=LOGIN PLAIN\r\n250-DELIVERBY 240\r\n250-ETRN\r\n250-ATRN\r\n250-EXPN\r\n\
         250-REQUIRETLS\r\n250-MT-PRIORITY MIXER\r\n250-FUTURERELEASE 604800 2012-10-12T10:00:00Z\r\n\
         250-NO-SOLICITING net.example:ADV\r\n250-BURL imap\r\n250-CHECKPOINT\r\n250-CONNEG\r\n\
         250-CONPERM\r\n250-SUBMITTER\r\n250-MTRK\r\n250-RRVS\r\n250-VERB\r\n250-ONEX\r\n\
         250-SEND\r\n250-SOML\r\n250-SAML\r\n250-TURN\r\n250-LIMITS RCPTMAX=50 MAILMAX=1000 RCPTDOMAINMAX=10\r\n\
         250-VRFY\r\n250-XCLIENT NAME ADDR PROTO HELO\r\n250 X-EXPS GSSAPI NTLM\r\n",
        &strict(),
    );
    let caps = ehlo.capabilities();
    assert_eq!(caps.len(), 35);
    assert_eq!(ehlo.size(), Some(Some(35882577)));
    assert!(ehlo.offers_mechanism(&Mechanism::XOAUTH2));
    assert!(ehlo.offers_mechanism(&Mechanism::new("plain").unwrap()));
    assert!(!ehlo.offers_mechanism(&Mechanism::CRAM_MD5));
    assert!(ehlo.has_keyword("pipelining") && ehlo.has_keyword("VRFY"));
    assert!(caps.contains(&Capability::DeliverBy(Some(240))));
    assert!(caps.contains(&Capability::MtPriority(Some("MIXER".into()))));
    assert!(caps.contains(&Capability::FutureRelease {
        max_interval: 604800,
        max_date_time: "2012-10-12T10:00:00Z".into()
    }));
    let Some(Capability::Limits(limits)) = caps.iter().find(|c| matches!(c, Capability::Limits(_)))
    else {
        panic!("limits")
    };
    assert_eq!(
        (
            limits.rcpt_max(),
            limits.mail_max(),
            limits.rcpt_domain_max()
        ),
        (Some(50), Some(1000), Some(10))
    );
    let legacy = caps
        .iter()
        .find(|c| {
            matches!(
                c,
                Capability::Auth {
                    legacy_form: true,
                    ..
                }
            )
        })
        .unwrap();
    let mut line = Vec::new();
    encode_capability(legacy, &mut line);
    assert_eq!(line, b"AUTH=LOGIN PLAIN");
    let Some(Capability::Unknown(xclient)) = caps.iter().find(|c| c.keyword() == "XCLIENT") else {
        panic!("xclient kept")
    };
    assert_eq!(
        xclient.params().iter().collect::<Vec<_>>(),
        ["NAME", "ADDR", "PROTO", "HELO"]
    );
    assert!(matches!(
        caps.iter().find(|c| c.keyword() == "VRFY"),
        Some(Capability::Unknown(_))
    ));

    // Postfix smtp-sink, verbatim: its list ends with an empty `250 ` line
    let ehlo = ehlo_of(
        "250-smtp-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n\
         250-XCLIENT NAME HELO\r\n250-XFORWARD NAME ADDR PROTO HELO\r\n250-ENHANCEDSTATUSCODES\r\n\
         250-DSN\r\n250 \r\n",
        &strict(),
    );
    assert_eq!(ehlo.domain(), "smtp-sink");
    assert_eq!(ehlo.capabilities().len(), 7);
    assert!(ehlo.offers_mechanism(&Mechanism::LOGIN));

    // a one-line reply (HELO-style) has no capabilities
    let ehlo = ehlo_of("250 mail.example.org\r\n", &strict());
    assert!(ehlo.capabilities().is_empty());

    // lower-case keywords are recognised
    let ehlo = ehlo_of("250-x\r\n250-size 100\r\n250 starttls\r\n", &strict());
    assert_eq!(
        ehlo.capabilities(),
        &[Capability::Size(Some(100)), Capability::StartTls]
    );
}

#[test]
fn ehlo_errors_and_quirk() {
    let input = b"250-x\r\n250-SIZE lots\r\n250 PIPELINING\r\n";
    let reply = decode_reply_ok(input, &strict());
    assert_eq!(
        decode_ehlo(&reply, &strict()),
        Err(DecodeError::InvalidCapability { keyword: "SIZE" })
    );
    let mut lenient = strict();
    lenient.quirk_skip_invalid_capabilities = true;
    assert_eq!(
        decode_ehlo(&reply, &lenient).unwrap().capabilities(),
        &[Capability::Pipelining]
    );
    let reply = decode_reply_ok(b"550 go away\r\n", &strict());
    assert_eq!(
        decode_ehlo(&reply, &strict()),
        Err(DecodeError::NotEhloReply)
    );
    for bad in [
        "-X",
        "X_Y",
        "A  B",
        "AUTH PL@IN",
        "DSN x",
        "LIMITS",
        "LIMITS RCPTMAX=x",
        "MT-PRIORITY a b",
        "DELIVERBY -1",
    ] {
        assert!(decode_capability(bad).is_err(), "{bad}");
    }
}

#[test]
fn ehlo_response_building() {
    let ehlo = EhloResponse::new(
        "mx.example Hello",
        vec![
            Capability::Size(Some(10_000_000)),
            Capability::Pipelining,
            Capability::Auth {
                mechanisms: MechanismList::new([&Mechanism::PLAIN, &Mechanism::LOGIN]),
                legacy_form: false,
            },
            Capability::Unknown(
                UnknownCapability::new("X-FOO", CapabilityParams::new("a b").unwrap()).unwrap(),
            ),
        ],
    )
    .unwrap();
    assert_eq!(
        ehlo.to_reply().to_string(),
        "250-mx.example Hello\r\n250-SIZE 10000000\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 X-FOO a b\r\n"
    );
    assert!(EhloResponse::new("", vec![]).is_err());
    assert!(EhloResponse::new("a\r\nb", vec![]).is_err());
    assert!(EhloResponse::new("x", vec![Capability::MtPriority(Some("a b".into()))]).is_err());
    let huge = Capability::Unknown(
        UnknownCapability::new("X", CapabilityParams::new("p".repeat(600)).unwrap()).unwrap(),
    );
    assert!(EhloResponse::new("x", vec![huge]).is_err());
}

#[test]
fn constructors_validate() {
    assert!(Domain::new("a-b.example").is_ok());
    assert!(Domain::new("a_b.example").is_err());
    assert!(Domain::new("").is_err());
    assert!(Domain::new("ex ample").is_err());
    assert!(LocalPart::new("a b").is_err());
    assert_eq!(LocalPart::from_unquoted("").unwrap().as_str(), "\"\"");
    assert_eq!(
        LocalPart::from_unquoted("a..b").unwrap().as_str(),
        "\"a..b\""
    );
    assert_eq!(LocalPart::from_unquoted("a\\b").unwrap().unquoted(), "a\\b");
    assert!(LocalPart::from_unquoted("tab\there").is_err());
    assert!(LocalPart::from_unquoted(&"a".repeat(65)).is_err());
    let mailbox = Mailbox::new(
        LocalPart::from_unquoted("joe smith").unwrap(),
        Domain::new("example.com").unwrap(),
    )
    .unwrap();
    assert_eq!(mailbox.to_string(), "\"joe smith\"@example.com");
    assert!(Mailbox::parse("joe@example.com>").is_err());
    let big = Domain::new(["d".repeat(63).as_str(); 4].join(".")).unwrap();
    assert_eq!(
        Mailbox::new(LocalPart::new("a".repeat(64)).unwrap(), big),
        Err(DecodeError::PathTooLong)
    );
    assert!(SourceRoute::new("@a.example,@b.example").is_ok());
    assert!(SourceRoute::new("a.example").is_err());
    assert!(GeneralLiteral::new("IPv6", "::1").is_err());
    assert!(GeneralLiteral::new("x", "a]b").is_err());
    assert!(
        Argument::new(" x").is_err()
            && Argument::new("x\r\n").is_err()
            && Argument::new("a b").is_ok()
    );
    assert!(Mechanism::new("").is_err() && Mechanism::new("X-Y_Z1").is_ok());
    assert!(SaslData::new("abc").is_err() && SaslData::new("").is_ok());
    assert!(XText::new("a+4").is_err());
    assert!(OriginalRecipient::new("rfc 822", XText::new("a").unwrap()).is_err());
    assert!(AuthIdentity::new(XText::new("junk").unwrap()).is_err());
    assert_eq!(
        AuthIdentity::new(XText::new("<>").unwrap()),
        Ok(AuthIdentity::Unknown)
    );
    assert!(Notify::on(false, false, false).is_none());
    assert!(UnknownCapability::new("size", CapabilityParams::none()).is_err());
    assert!(CapabilityParams::new("a  b").is_err());
    assert!(Limits::new(CapabilityParams::new("RCPTMAX=10").unwrap()).is_ok());
    assert!(EnhancedStatusCode::new(2, 1000, 0).is_none());
    let mut other = OtherParameters::new();
    assert_eq!(
        other.push("BODY", Some("7BIT")),
        Err(DecodeError::ReservedParameter { keyword: "BODY" })
    );
    assert_eq!(
        other.push("ORCPT", Some("x")),
        Err(DecodeError::ReservedParameter { keyword: "ORCPT" })
    );
    assert_eq!(
        other.push("X", Some("a b")),
        Err(DecodeError::MalformedParameter)
    );
    assert_eq!(
        other.push("X", Some("")),
        Err(DecodeError::MalformedParameter)
    );
}

#[test]
fn built_commands_encode_as_expected() {
    let mailbox = Mailbox::parse("user@example.org").unwrap();
    let mut params = MailParameters::default();
    params.size = Some(12345);
    params.body = Some(Body::EightBitMime);
    params.auth = Some(AuthIdentity::from_mailbox(
        &Mailbox::parse("e=mc2@example.com").unwrap(),
    ));
    params.other.push("X-TAG", Some("v1")).unwrap();
    let mail = Command::Mail {
        from: mailbox.clone().into(),
        params,
    };
    assert_eq!(
        String::from_utf8(encode(&mail)).unwrap(),
        "MAIL FROM:<user@example.org> SIZE=12345 BODY=8BITMIME AUTH=e+3Dmc2@example.com X-TAG=v1\r\n"
    );
    let mut params = RcptParameters::default();
    params.notify = Notify::on(true, true, false);
    params.orcpt = Some(OriginalRecipient::rfc822(&mailbox));
    let rcpt = Command::Rcpt {
        to: mailbox.into(),
        params,
    };
    assert_eq!(
        String::from_utf8(encode(&rcpt)).unwrap(),
        "RCPT TO:<user@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user@example.org\r\n"
    );
    let auth = Command::Auth {
        mechanism: Mechanism::PLAIN,
        initial_response: Some(SaslData::encode(b"\0user\0pass")),
    };
    assert_eq!(encode(&auth), b"AUTH PLAIN AHVzZXIAcGFzcw==\r\n");
    for cmd in [mail, rcpt, auth] {
        let bytes = encode(&cmd);
        assert_eq!(decode_ok(&bytes, &strict()), cmd);
    }
}

#[test]
fn suggested_replies() {
    let reply = |e: DecodeError| {
        let (code, enhanced) = e.suggested_reply();
        format!("{code} {enhanced}")
    };
    assert_eq!(reply(DecodeError::UnknownCommand), "500 5.5.1");
    assert_eq!(reply(DecodeError::LineTooLong { limit: 512 }), "500 5.5.2");
    assert_eq!(
        reply(DecodeError::InvalidParameter { keyword: "SIZE" }),
        "555 5.5.4"
    );
    assert_eq!(reply(DecodeError::InvalidLocalPart), "501 5.1.3");
    assert_eq!(reply(DecodeError::Syntax { verb: "DATA" }), "501 5.5.4");
    assert_eq!(reply(DecodeError::NonAscii), "553 5.6.7");
    // messages are lowercase and carry no input
    assert_eq!(
        DecodeError::Syntax { verb: "MAIL" }.to_string(),
        "syntax error in the arguments of MAIL"
    );
}
