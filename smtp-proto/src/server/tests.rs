//! Unit tests of the machine's pieces that the transcript tests under `tests/` do not
//! reach directly: configuration checks, capability lists, reply helpers.

use std::time::Instant;

use bytes::Bytes;
use mailwire_core::Session;

use super::session::test_support::{assemble_parts, first_bare_line_end, reply_code};
use super::*;
use crate::types::{Mechanism, ReplyCode};

fn output(server: &mut ServerSession) -> String {
    let mut out = Vec::new();
    while server.poll_transmit(&mut out) > 0 {}
    String::from_utf8(out).unwrap()
}

#[test]
fn config_checks_what_would_break_the_wire() {
    assert_eq!(
        ServerConfig::builder("not a domain").build().unwrap_err(),
        ConfigError::InvalidHostname
    );
    assert_eq!(
        ServerConfig::builder("mx.test")
            .greeting_text("two\r\nlines")
            .build()
            .unwrap_err(),
        ConfigError::InvalidGreetingText
    );
    assert_eq!(
        ServerConfig::builder("mx.test")
            .greeting(Greeting::Refuse("bad\nrefusal".into()))
            .build()
            .unwrap_err(),
        ConfigError::InvalidGreetingText
    );
    assert_eq!(
        ServerConfig::builder("mx.test")
            .chunking(false)
            .binary_mime(true)
            .build()
            .unwrap_err(),
        ConfigError::BinaryMimeWithoutChunking
    );
    assert_eq!(
        ServerConfig::builder("mx.test")
            .max_recipients(0)
            .build()
            .unwrap_err(),
        ConfigError::ZeroLimit("recipient")
    );
    assert_eq!(
        ServerConfig::builder("mx.test")
            .max_errors(0)
            .build()
            .unwrap_err(),
        ConfigError::ZeroLimit("error")
    );
    let config = ServerConfig::builder("mx.test").build().unwrap();
    assert_eq!(config.max_recipients(), 100);
    assert_eq!(config.max_message_size(), Some(25 * 1024 * 1024));
    assert_eq!(config.command_timeout(), DEFAULT_COMMAND_TIMEOUT);
    assert_eq!(config.data_timeout(), DEFAULT_DATA_TIMEOUT);
    assert!(!config.offers_starttls());
    assert!(config.auth_mechanisms().is_empty());
}

#[test]
fn capabilities_follow_the_configuration() {
    let config = ServerConfig::builder("mx.test")
        .pipelining(false)
        .max_message_size(None)
        .eight_bit_mime(false)
        .smtputf8(false)
        .binary_mime(true)
        .dsn(true)
        .auth_mechanisms([Mechanism::PLAIN, Mechanism::CRAM_MD5])
        .plaintext_auth_without_tls(true)
        .build()
        .unwrap();
    let now = Instant::now();
    let mut server = ServerSession::new(config, now);
    server.handle_input(now, b"EHLO c.test\r\n");
    assert_eq!(
        output(&mut server),
        "220 mx.test ESMTP mailwire\r\n250-mx.test\r\n250-SIZE 0\r\n250-CHUNKING\r\n\
         250-BINARYMIME\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN CRAM-MD5\r\n"
    );
    // DSN parameters pass when DSN is on.
    server.handle_input(now, b"MAIL FROM:<a@b.test> RET=HDRS ENVID=x1\r\n");
    assert!(matches!(
        server.poll_event(),
        Some(ServerEvent::Hello { .. })
    ));
    assert!(
        matches!(server.poll_event(), Some(ServerEvent::Mail { params, .. }) if params.envid.is_some())
    );
}

#[test]
fn without_enhanced_status_codes_replies_carry_none() {
    let config = ServerConfig::builder("mx.test")
        .enhanced_status_codes(false)
        .greeting_text("hello")
        .build()
        .unwrap();
    let now = Instant::now();
    let mut server = ServerSession::new(config, now);
    server.handle_input(now, b"EHLO c.test\r\nNOOP\r\nBOGUS\r\nQUIT\r\n");
    let text = output(&mut server);
    assert!(text.starts_with("220 mx.test hello\r\n"), "{text}");
    assert!(!text.contains("ENHANCEDSTATUSCODES"));
    assert!(
        text.ends_with("250 OK\r\n500 Command unrecognized\r\n221 mx.test closing connection\r\n"),
        "{text}"
    );
}

#[test]
fn help_lists_the_commands_in_effect() {
    let config = ServerConfig::builder("mx.test")
        .flavor(Flavor::Lmtp)
        .chunking(false)
        .starttls(true)
        .build()
        .unwrap();
    let now = Instant::now();
    let mut server = ServerSession::new(config, now);
    server.handle_input(now, b"HELP\r\n");
    assert!(output(&mut server).ends_with(
        "214 2.0.0 Commands: LHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS\r\n"
    ));
}

#[test]
fn greeting_decision_with_a_temporary_code_closes() {
    let config = ServerConfig::builder("mx.test")
        .greeting(Greeting::AskApplication)
        .build()
        .unwrap();
    let now = Instant::now();
    let mut server = ServerSession::new(config, now);
    // No timer while the application decides the greeting.
    assert_eq!(server.poll_timeout(), None);
    let Some(ServerEvent::Connected { id }) = server.poll_event() else {
        panic!()
    };
    assert!(server.awaits_decision());
    server
        .reply(
            id,
            crate::types::Reply::single(ReplyCode::SERVICE_NOT_AVAILABLE, "busy").unwrap(),
        )
        .unwrap();
    assert_eq!(output(&mut server), "421 busy\r\n");
    assert_eq!(server.transport(), mailwire_core::Transport::Closed);
    assert!(!server.awaits_decision());
}

#[test]
fn reply_code_reads_the_head_of_an_encoded_reply() {
    assert_eq!(reply_code(b"250 2.0.0 OK\r\n"), Some(ReplyCode::OK));
    assert_eq!(
        reply_code(b"421-a\r\n421 b\r\n"),
        Some(ReplyCode::SERVICE_NOT_AVAILABLE)
    );
    assert_eq!(reply_code(b"25"), None);
    assert_eq!(reply_code(b"abc"), None);
}

#[test]
fn body_pieces_are_joined_without_copy_when_single() {
    let taken = Bytes::from_static(b"hello world");
    let single = assemble_parts(&taken, &[(0, 5)], &[]).unwrap();
    assert_eq!(&single[..], b"hello");
    // Same allocation: a slice of the input, not a copy.
    assert_eq!(single.as_ptr(), taken.as_ptr());
    let joined = assemble_parts(&taken, &[(0, 5), (6, 11)], &[1]).unwrap();
    assert_eq!(&joined[..], b"hello\rworld");
    assert!(assemble_parts(&taken, &[], &[]).is_none());
}

#[test]
fn hello_and_tls_state_are_observable() {
    let config = ServerConfig::builder("mx.test")
        .starttls(true)
        .build()
        .unwrap();
    let now = Instant::now();
    let mut server = ServerSession::new(config, now);
    assert!(server.hello().is_none());
    server.handle_input(now, b"EHLO c.test\r\nSTARTTLS\r\n");
    let (kind, host) = server.hello().unwrap();
    assert_eq!(kind, HelloKind::Ehlo);
    assert_eq!(host.to_string(), "c.test");
    assert_eq!(server.transport(), mailwire_core::Transport::StartTls);
    assert_eq!(server.poll_timeout(), None, "no timer during the handshake");
    // The peer gives up during the handshake.
    server.handle_eof(now);
    assert_eq!(server.transport(), mailwire_core::Transport::Closed);
    assert!(!server.is_tls());
}

#[test]
fn bare_line_ends_are_found_where_they_are() {
    assert_eq!(first_bare_line_end(None, b"a\r\nb\r\n"), None);
    assert_eq!(first_bare_line_end(None, b"ab\ncd"), Some(2));
    assert_eq!(first_bare_line_end(None, b"\nab"), Some(0));
    assert_eq!(first_bare_line_end(Some(b'\r'), b"\nab"), None);
    assert_eq!(first_bare_line_end(Some(b'a'), b"\nab"), Some(0));
    assert_eq!(first_bare_line_end(None, b"ab\r.\r"), Some(2));
    // A final CR waits for its next octet.
    assert_eq!(first_bare_line_end(None, b"ab\r"), None);
    assert_eq!(first_bare_line_end(None, b"\r\r\n"), Some(0));
}
