//! Encoding: commands and responses to their wire form.

use base64::Engine;
use mailwire_core::dot::DotStuffer;

use crate::types::{
    Capability, Command, ExpirePolicy, LanguageListing, Response, SaslResponse, ScanListing,
    StatusLine, UniqueIdListing,
};

fn base64(data: &[u8], out: &mut Vec<u8>) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    out.extend_from_slice(encoded.as_bytes());
}

fn push_number(out: &mut Vec<u8>, number: impl std::fmt::Display) {
    out.extend_from_slice(number.to_string().as_bytes());
}

/// Appends a command line, CRLF included.
pub fn encode_command(command: &Command<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(command.name().as_str().as_bytes());
    match command {
        Command::User(name) => {
            out.push(b' ');
            out.extend_from_slice(name.as_str().as_bytes());
        }
        Command::Pass(password) => {
            out.push(b' ');
            out.extend_from_slice(password.expose());
        }
        Command::Apop { name, digest } => {
            out.push(b' ');
            out.extend_from_slice(name.as_str().as_bytes());
            out.push(b' ');
            out.extend_from_slice(digest.to_hex().as_bytes());
        }
        Command::List(Some(message))
        | Command::Uidl(Some(message))
        | Command::Retr(message)
        | Command::Dele(message) => {
            out.push(b' ');
            push_number(out, message);
        }
        Command::Top { message, lines } => {
            out.push(b' ');
            push_number(out, message);
            out.push(b' ');
            push_number(out, lines);
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            out.push(b' ');
            out.extend_from_slice(mechanism.as_str().as_bytes());
            if let Some(response) = initial_response {
                out.push(b' ');
                if response.expose().is_empty() {
                    out.push(b'=');
                } else {
                    base64(response.expose(), out);
                }
            }
        }
        Command::Lang(Some(range)) => {
            out.push(b' ');
            out.extend_from_slice(range.as_str().as_bytes());
        }
        Command::List(None)
        | Command::Uidl(None)
        | Command::Lang(None)
        | Command::Stat
        | Command::Noop
        | Command::Rset
        | Command::Quit
        | Command::Capa
        | Command::Stls
        | Command::Utf8 => {}
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends a client AUTH line: base64 (an empty response is an empty line), or `*`.
pub fn encode_sasl_response(response: &SaslResponse, out: &mut Vec<u8>) {
    match response {
        SaslResponse::Data(data) => base64(data.expose(), out),
        SaslResponse::Cancel => out.push(b'*'),
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends a status line, CRLF included.
pub fn encode_status_line(line: &StatusLine<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(line.status.as_str().as_bytes());
    if let Some(code) = &line.code {
        out.push(b' ');
        out.extend_from_slice(code.to_string().as_bytes());
    }
    if !line.text.is_empty() {
        out.push(b' ');
        out.extend_from_slice(line.text.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends `+OK` and the data of a single-line listing.
fn ok_with(out: &mut Vec<u8>, data: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(b"+OK ");
    data(out);
    out.extend_from_slice(b"\r\n");
}

fn scan_listing_data(listing: &ScanListing<'_>, out: &mut Vec<u8>) {
    push_number(out, listing.message);
    out.push(b' ');
    push_number(out, listing.size);
    if !listing.extra.is_empty() {
        out.push(b' ');
        out.extend_from_slice(listing.extra.as_bytes());
    }
}

fn unique_id_listing_data(listing: &UniqueIdListing<'_>, out: &mut Vec<u8>) {
    push_number(out, listing.message);
    out.push(b' ');
    out.extend_from_slice(listing.unique_id.as_str().as_bytes());
}

/// Appends a scan listing line (`msg size`), CRLF included.
pub fn encode_scan_listing_line(listing: &ScanListing<'_>, out: &mut Vec<u8>) {
    scan_listing_data(listing, out);
    out.extend_from_slice(b"\r\n");
}

/// Appends a unique-id listing line (`msg uid`), CRLF included.
pub fn encode_unique_id_listing_line(listing: &UniqueIdListing<'_>, out: &mut Vec<u8>) {
    unique_id_listing_data(listing, out);
    out.extend_from_slice(b"\r\n");
}

/// Appends a language listing line, CRLF included (dot-stuffed if it starts with `.`).
pub fn encode_language_listing_line(listing: &LanguageListing<'_>, out: &mut Vec<u8>) {
    if listing.tag.as_str().starts_with('.') {
        out.push(b'.');
    }
    out.extend_from_slice(listing.tag.as_str().as_bytes());
    if !listing.description.is_empty() {
        out.push(b' ');
        out.extend_from_slice(listing.description.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends a capability line, CRLF included.
pub fn encode_capability_line(capability: &Capability<'_>, out: &mut Vec<u8>) {
    if capability.tag().starts_with('.') {
        out.push(b'.');
    }
    out.extend_from_slice(capability.tag().as_bytes());
    let param = |out: &mut Vec<u8>, value: &[u8]| {
        out.push(b' ');
        out.extend_from_slice(value);
    };
    match capability {
        Capability::Sasl(mechanisms) => {
            for mechanism in mechanisms {
                param(out, mechanism.as_str().as_bytes());
            }
        }
        Capability::LoginDelay { seconds, per_user } => {
            param(out, seconds.to_string().as_bytes());
            if *per_user {
                param(out, b"USER");
            }
        }
        Capability::Expire { policy, per_user } => {
            match policy {
                ExpirePolicy::Days(days) => param(out, days.to_string().as_bytes()),
                ExpirePolicy::Never => param(out, b"NEVER"),
            }
            if *per_user {
                param(out, b"USER");
            }
        }
        Capability::Implementation(text) => {
            if !text.is_empty() {
                param(out, text.as_bytes());
            }
        }
        Capability::Utf8 { user: true } => param(out, b"USER"),
        Capability::Other { params, .. } => {
            for value in params {
                param(out, value.as_str().as_bytes());
            }
        }
        Capability::Top
        | Capability::User
        | Capability::RespCodes
        | Capability::Pipelining
        | Capability::Uidl
        | Capability::Stls
        | Capability::Utf8 { user: false }
        | Capability::Lang => {}
    }
    out.extend_from_slice(b"\r\n");
}

/// Appends a whole response. Multi-line responses are dot-stuffed and terminated; a
/// message body is sent with CRLF line ends (a bare CR or LF becomes CRLF, so no reader
/// can see a different end than the one written).
pub fn encode_response(response: &Response<'_>, out: &mut Vec<u8>) {
    match response {
        Response::Status(line) => encode_status_line(line, out),
        Response::Continuation(data) => {
            out.extend_from_slice(b"+ ");
            base64(data, out);
            out.extend_from_slice(b"\r\n");
        }
        Response::DropListing(drop) => ok_with(out, |out| {
            push_number(out, drop.count);
            out.push(b' ');
            push_number(out, drop.size);
            if !drop.extra.is_empty() {
                out.push(b' ');
                out.extend_from_slice(drop.extra.as_bytes());
            }
        }),
        Response::ScanListing(listing) => ok_with(out, |out| scan_listing_data(listing, out)),
        Response::UniqueIdListing(listing) => {
            ok_with(out, |out| unique_id_listing_data(listing, out))
        }
        Response::Capabilities { line, capabilities } => {
            encode_status_line(line, out);
            for capability in capabilities {
                encode_capability_line(capability, out);
            }
            out.extend_from_slice(b".\r\n");
        }
        Response::ScanListings { line, listings } => {
            encode_status_line(line, out);
            for listing in listings {
                encode_scan_listing_line(listing, out);
            }
            out.extend_from_slice(b".\r\n");
        }
        Response::UniqueIdListings { line, listings } => {
            encode_status_line(line, out);
            for listing in listings {
                encode_unique_id_listing_line(listing, out);
            }
            out.extend_from_slice(b".\r\n");
        }
        Response::Languages { line, languages } => {
            encode_status_line(line, out);
            for language in languages {
                encode_language_listing_line(language, out);
            }
            out.extend_from_slice(b".\r\n");
        }
        Response::Message { line, body } => {
            encode_status_line(line, out);
            let mut stuffer = DotStuffer::new();
            stuffer.feed(body, out);
            stuffer.finish(out);
        }
    }
}
