#![no_main]
//! POP3 response decoding (every response kind, chosen by the first byte) never panics,
//! and what decodes re-encodes to bytes that decode to the same value. Message bodies
//! are re-sent with CRLF line ends, so a body with a bare CR or LF comes back
//! normalised once and is stable from then on.

use libfuzzer_sys::fuzz_target;
use mailwire_core::Status;
use mailwire_pop3::codec::{decode_response, encode_response};
use mailwire_pop3::types::{Response, ResponseKind};

const KINDS: [ResponseKind; 11] = [
    ResponseKind::Greeting,
    ResponseKind::Status,
    ResponseKind::Auth,
    ResponseKind::DropListing,
    ResponseKind::ScanListing,
    ResponseKind::ScanListings,
    ResponseKind::UniqueIdListing,
    ResponseKind::UniqueIdListings,
    ResponseKind::Capabilities,
    ResponseKind::Languages,
    ResponseKind::Message,
];

fn reencode(kind: ResponseKind, value: &Response<'_>) -> Response<'static> {
    let mut wire = Vec::new();
    encode_response(value, &mut wire);
    match decode_response(kind, &wire) {
        Ok(Status::Complete { value, consumed }) => {
            assert_eq!(consumed, wire.len());
            value.into_owned()
        }
        other => panic!("re-encoded response does not decode: {other:?}"),
    }
}

fn has_bare_line_end(body: &[u8]) -> bool {
    body.iter().enumerate().any(|(i, b)| match b {
        b'\r' => body.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || body.get(i - 1) != Some(&b'\r'),
        _ => false,
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((selector, rest)) = input.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(*selector) % KINDS.len()];
    if let Ok(Status::Complete { value, consumed }) = decode_response(kind, rest) {
        assert!(consumed <= rest.len());
        let once = reencode(kind, &value);
        let normalised =
            matches!(&value, Response::Message { body, .. } if has_bare_line_end(body));
        if !normalised {
            assert_eq!(once, value);
        }
        assert_eq!(reencode(kind, &once), once);
    }
});
