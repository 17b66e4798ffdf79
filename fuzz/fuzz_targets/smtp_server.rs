#![no_main]
//! The SMTP/LMTP server machine, driven by a fixed application that answers every
//! event, gives the same events and the same output whether the client's bytes come
//! whole or split at arbitrary points; it never panics, every reply it sends decodes,
//! and no message passes the size limit.
//!
//! The first input byte picks the configuration and the cut: bits 0-3 the step of the
//! cuts, bit 4 LMTP, bit 5 the bare-line-end policy, bit 6 small limits, bit 7 the bare
//! LF quirk.

use std::sync::Arc;
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mailwire_core::{Session, Status};
use mailwire_smtp::codec::{decode_reply, DecodeOptions};
use mailwire_smtp::server::{Flavor, ServerConfig, ServerEvent, ServerSession};
use mailwire_smtp::types::{Mechanism, Reply, ReplyCode};

fn config(control: u8) -> Arc<ServerConfig> {
    let small = control & 0x40 != 0;
    let mut builder = ServerConfig::builder("mx.test")
        .flavor(if control & 0x10 != 0 {
            Flavor::Lmtp
        } else {
            Flavor::Smtp
        })
        .reject_bare_line_ends_in_data(control & 0x20 != 0)
        .quirk_bare_lf_commands(control & 0x80 != 0)
        .starttls(true)
        .binary_mime(true)
        .dsn(true)
        .auth_mechanisms([Mechanism::PLAIN, Mechanism::LOGIN, Mechanism::CRAM_MD5])
        .plaintext_auth_without_tls(true)
        // Larger than any fuzz input, so the check does not depend on chunking.
        .max_pending_input(1 << 24);
    if small {
        builder = builder
            .max_message_size(Some(64))
            .max_recipients(2)
            .max_errors(5)
            .max_line_length(64)
            .max_auth_line_length(128);
    }
    match builder.build_shared() {
        Ok(config) => config,
        Err(error) => panic!("fixed configuration refused: {error}"),
    }
}

/// Answers every decision at once; the answer depends only on the event.
fn decide(server: &mut ServerSession, lmtp: bool, event: &ServerEvent) {
    let result = match event {
        ServerEvent::Recipient { id, to, .. } if to.to_string().len() % 3 == 0 => {
            server.reject(*id)
        }
        ServerEvent::Mail { id, from, .. } if from.to_string().contains('x') => server.reject(*id),
        ServerEvent::AuthCredentials { id, password, .. } if password.expose().len() % 2 == 0 => {
            server.reject(*id)
        }
        ServerEvent::SaslStart { id, .. } => {
            server.sasl_challenge(*id, b"<1896.697170952@mx.test>")
        }
        ServerEvent::SaslResponse { id, response } if response.expose().len() % 2 == 1 => {
            server.sasl_challenge(*id, b"again")
        }
        ServerEvent::MessageEnd { id, recipients, .. } => {
            // LMTP owes one reply per recipient; alternate accept and a temporary refusal.
            let replies = if lmtp { recipients.len() } else { 1 };
            let mut result = Ok(());
            for index in 0..replies {
                if result.is_err() {
                    break;
                }
                result = if index % 2 == 0 {
                    server.accept(*id)
                } else {
                    match Reply::single(ReplyCode::LOCAL_ERROR, "try later") {
                        Ok(reply) => server.reply(*id, reply),
                        Err(error) => panic!("fixed reply refused: {error}"),
                    }
                };
            }
            result
        }
        ServerEvent::Verify { id, .. }
        | ServerEvent::Expand { id, .. }
        | ServerEvent::Help { id, .. } => match Reply::single(ReplyCode::CANNOT_VERIFY, "maybe") {
            Ok(reply) => server.reply(*id, reply),
            Err(error) => panic!("fixed reply refused: {error}"),
        },
        ServerEvent::Connected { id }
        | ServerEvent::Mail { id, .. }
        | ServerEvent::Recipient { id, .. }
        | ServerEvent::AuthCredentials { id, .. }
        | ServerEvent::SaslResponse { id, .. } => server.accept(*id),
        _ => Ok(()),
    };
    if let Err(error) = result {
        panic!("decision on a fresh event refused: {error} ({event:?})");
    }
}

fn run(config: &Arc<ServerConfig>, chunks: &[&[u8]]) -> (Vec<ServerEvent>, Vec<u8>) {
    let now = Instant::now();
    let mut server = ServerSession::new(Arc::clone(config), now);
    let mut events: Vec<ServerEvent> = Vec::new();
    let mut output = Vec::new();
    let mut message_size = 0u64;
    let mut settle = |server: &mut ServerSession, events: &mut Vec<ServerEvent>| loop {
        while server.poll_transmit(&mut output) > 0 {}
        if server.poll_timeout().is_some_and(|due| due <= now) {
            server.handle_timeout(now);
        }
        let Some(event) = server.poll_event() else {
            break;
        };
        decide(server, config.flavor() == Flavor::Lmtp, &event);
        match &event {
            ServerEvent::MessageStart { .. } => message_size = 0,
            ServerEvent::MessageData(chunk) => {
                message_size += chunk.len() as u64;
                if let Some(max) = config.max_message_size() {
                    assert!(message_size <= max, "{message_size} octets passed on");
                }
            }
            _ => {}
        }
        // Data chunks and discard reports depend on the cuts: compare their sums.
        match (events.last_mut(), event) {
            (Some(ServerEvent::MessageData(total)), ServerEvent::MessageData(more)) => {
                let mut joined = total.to_vec();
                joined.extend_from_slice(&more);
                *total = joined.into();
            }
            (
                Some(ServerEvent::DiscardedAfterStartTls { octets: total }),
                ServerEvent::DiscardedAfterStartTls { octets },
            ) => *total += octets,
            (_, event) => events.push(event),
        }
    };
    settle(&mut server, &mut events);
    for chunk in chunks {
        server.handle_input(now, chunk);
        settle(&mut server, &mut events);
    }
    server.handle_eof(now);
    settle(&mut server, &mut events);
    (events, output)
}

/// Every reply the server sent decodes as a reply.
fn check_replies(mut output: &[u8]) {
    let opts = DecodeOptions::default();
    while !output.is_empty() {
        match decode_reply(output, &opts) {
            Ok(Status::Complete { consumed, .. }) => {
                output = output.get(consumed..).unwrap_or_default()
            }
            other => panic!(
                "the server sent a malformed reply: {other:?} in {:?}",
                String::from_utf8_lossy(output)
            ),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&control, rest)) = input.split_first() else {
        return;
    };
    let config = config(control);
    let whole = run(&config, &[rest]);
    check_replies(&whole.1);
    let step = usize::from(control & 0x0f) + 1;
    let chunks: Vec<&[u8]> = rest.chunks(step).collect();
    assert_eq!(run(&config, &chunks), whole);
});
