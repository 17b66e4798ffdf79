//! Prints a message as JSON: the decoded top-level header fields and the part tree.
//!
//! ```text
//! cargo run -p mailwire-mime --example mime-inspect -- [--stream] FILE
//! ```
//!
//! `headers` holds subject (RFC 2047 decoded), from/to/cc (lists of `{name,
//! address}`, groups flattened), date (RFC 3339) and message_id (without angle
//! brackets), each `null` when absent or unparsable. `parts` lists every entity in
//! document order with its IMAP path, content type and parameters (decoded),
//! disposition and filename, transfer encoding, charset (lowercased), and for leaves the size and
//! SHA-256 of the decoded payload. With `--stream` the same output comes from the
//! streaming parser, fed the file in 8 KiB reads.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Read;
use std::process::ExitCode;

use mailwire_mime::encoded_word::decode_unstructured;
use mailwire_mime::header::{AddressList, ContentType, DateTime, MessageId};
use mailwire_mime::stream::{Event, StreamParser};
use mailwire_mime::tree::Message;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// What the report says about one entity.
#[derive(Debug, Clone, PartialEq)]
pub struct PartReport {
    path: String,
    content_type: String,
    params: Map<String, Value>,
    disposition: Option<String>,
    filename: Option<String>,
    transfer_encoding: String,
    charset: Option<String>,
    /// Decoded size and SHA-256, for leaves.
    payload: Option<(usize, String)>,
}

impl PartReport {
    fn to_json(&self) -> Value {
        let (size, sha256) = match &self.payload {
            Some((size, sha256)) => (json!(size), json!(sha256)),
            None => (Value::Null, Value::Null),
        };
        json!({
            "path": self.path,
            "content_type": self.content_type,
            "params": self.params,
            "disposition": self.disposition,
            "filename": self.filename,
            "transfer_encoding": self.transfer_encoding,
            "charset": self.charset,
            "size": size,
            "sha256": sha256,
        })
    }
}

fn params_json(content_type: &ContentType<'_>) -> Map<String, Value> {
    content_type
        .params()
        .iter()
        .map(|param| (param.name().to_owned(), json!(param.decoded_value())))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The decoded top-level fields, from the header fields `(name, raw value)` in
/// input order (the first field of each name counts).
pub fn headers_json<'a>(fields: impl IntoIterator<Item = (&'a str, &'a [u8])> + Clone) -> Value {
    let first = |wanted: &str| {
        fields
            .clone()
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, raw)| raw)
    };
    let addresses = |name: &str| -> Value {
        match first(name) {
            None => Value::Null,
            Some(raw) => {
                let list = AddressList::parse(raw);
                Value::Array(
                    list.mailboxes()
                        .map(
                            |mailbox| json!({"name": mailbox.name(), "address": mailbox.address()}),
                        )
                        .collect(),
                )
            }
        }
    };
    json!({
        "subject": first("subject").map(decode_unstructured),
        "from": addresses("from"),
        "to": addresses("to"),
        "cc": addresses("cc"),
        "date": first("date").and_then(|raw| DateTime::parse(raw).ok()).map(|date| date.to_rfc3339()),
        "message_id": first("message-id").and_then(|raw| MessageId::parse(raw).ok()).map(|id| id.as_str().to_owned()),
    })
}

fn report(headers: Value, parts: &[PartReport]) -> Value {
    json!({
        "headers": headers,
        "parts": parts.iter().map(PartReport::to_json).collect::<Vec<_>>(),
    })
}

/// The report from the tree parser.
pub fn tree_report(input: &[u8]) -> Result<Value, String> {
    let message = Message::parse(input).map_err(|error| error.to_string())?;
    let headers = headers_json(
        message
            .header()
            .fields()
            .iter()
            .map(|field| (field.name(), field.raw_value()))
            .collect::<Vec<_>>(),
    );
    let parts: Vec<PartReport> = message
        .parts()
        .map(|part| PartReport {
            path: part.path().to_string(),
            content_type: part.content_type().essence(),
            params: params_json(part.content_type()),
            disposition: part
                .disposition()
                .map(|d| d.disposition().as_str().to_owned()),
            filename: part.filename().map(|name| name.into_owned()),
            transfer_encoding: part.transfer_encoding().as_str().to_owned(),
            charset: part.charset().map(str::to_ascii_lowercase),
            payload: match part.kind() {
                mailwire_mime::tree::PartKind::Leaf => {
                    let decoded = part.decoded();
                    Some((decoded.len(), hex(&Sha256::digest(&decoded))))
                }
                _ => None,
            },
        })
        .collect();
    Ok(report(headers, &parts))
}

/// The report from the streaming parser, reading `input` in `chunk_size` pieces.
pub fn stream_report(mut input: impl Read, chunk_size: usize) -> Result<Value, String> {
    let mut parser = StreamParser::new();
    let mut parts: Vec<PartReport> = Vec::new();
    let mut root_fields: Vec<(String, Vec<u8>)> = Vec::new();
    // Index into `parts` and the running hash of the leaf being read.
    let mut leaf: Option<(usize, usize, Sha256)> = None;
    let mut in_root_header = false;
    let mut buffer = vec![0u8; chunk_size.max(1)];
    let mut drain = |parser: &mut StreamParser, parts: &mut Vec<PartReport>| {
        while let Some(event) = parser.poll_event() {
            match event {
                Event::PartStart(start) => {
                    in_root_header = parts.is_empty();
                    if start.shape == mailwire_mime::stream::PartShape::Leaf {
                        leaf = Some((parts.len(), 0, Sha256::new()));
                    }
                    parts.push(PartReport {
                        path: start.path.to_string(),
                        content_type: start.content_type.essence(),
                        params: params_json(&start.content_type),
                        disposition: start
                            .disposition
                            .as_ref()
                            .map(|d| d.disposition().as_str().to_owned()),
                        filename: start.filename().map(|name| name.into_owned()),
                        transfer_encoding: start.transfer_encoding.as_str().to_owned(),
                        charset: start.content_type.charset().map(str::to_ascii_lowercase),
                        payload: None,
                    });
                }
                Event::HeaderField { name, value } if in_root_header => {
                    root_fields.push((name, value));
                }
                Event::HeaderEnd => in_root_header = false,
                Event::BodyChunk(bytes) => {
                    if let Some((_, size, hasher)) = leaf.as_mut() {
                        *size += bytes.len();
                        hasher.update(&bytes);
                    }
                }
                Event::PartEnd { .. } => {
                    if let Some((index, size, hasher)) = leaf.take() {
                        if let Some(part) = parts.get_mut(index) {
                            part.payload = Some((size, hex(&hasher.finalize())));
                        }
                    }
                }
                _ => {}
            }
        }
    };
    loop {
        let read = input.read(&mut buffer).map_err(|error| error.to_string())?;
        if read == 0 {
            break;
        }
        parser
            .feed(buffer.get(..read).unwrap_or_default())
            .map_err(|error| error.to_string())?;
        drain(&mut parser, &mut parts);
    }
    parser.finish().map_err(|error| error.to_string())?;
    drain(&mut parser, &mut parts);
    let headers = headers_json(
        root_fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_slice()))
            .collect::<Vec<_>>(),
    );
    Ok(report(headers, &parts))
}

fn run() -> Result<Value, String> {
    let mut stream = false;
    let mut file = None;
    for argument in std::env::args().skip(1) {
        match argument.as_str() {
            "--stream" => stream = true,
            "-h" | "--help" => return Err("usage: mime-inspect [--stream] FILE".to_owned()),
            _ if file.is_none() => file = Some(argument),
            _ => return Err("usage: mime-inspect [--stream] FILE".to_owned()),
        }
    }
    let file = file.ok_or("usage: mime-inspect [--stream] FILE")?;
    if stream {
        let reader = std::fs::File::open(&file).map_err(|error| format!("{file}: {error}"))?;
        stream_report(reader, 8192)
    } else {
        let input = std::fs::read(&file).map_err(|error| format!("{file}: {error}"))?;
        tree_report(&input)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(report) => match serde_json::to_string_pretty(&report) {
            Ok(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("mime-inspect: {error}");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            eprintln!("mime-inspect: {error}");
            ExitCode::FAILURE
        }
    }
}
