#![no_main]
//! IMAP response and greeting decoding: never panics; a complete response encodes and
//! decodes back to the same value; the framer agrees on where it ends; every strict
//! prefix is partial.

use libfuzzer_sys::fuzz_target;
use mailwire_core::Status;
use mailwire_imap::codec::{
    decode_greeting, decode_response, encode_greeting, encode_response, frame_response,
    DecodeOptions, EncodeOptions, Frame, Limits, Version,
};

/// The session settings, picked from the input length so RFC lines work as seeds as is.
fn options(input: &[u8]) -> DecodeOptions {
    let pick = input.len() % 3;
    let mut limits = Limits::default();
    limits.max_line_length = usize::MAX;
    DecodeOptions::default()
        .with_version(if pick == 1 {
            Version::Rev2
        } else {
            Version::Rev1
        })
        .with_utf8_accept(pick == 2)
        .with_limits(limits)
}

fuzz_target!(|input: &[u8]| {
    let options = options(input);
    let encode = EncodeOptions::from(&options);
    if let Ok(Status::Complete { value, consumed }) = decode_greeting(input, &options) {
        let mut bytes = Vec::new();
        encode_greeting(&value, &encode, &mut bytes);
        match decode_greeting(&bytes, &options) {
            Ok(Status::Complete { value: again, .. }) => assert_eq!(again, value),
            other => panic!("re-encoded greeting does not decode: {other:?}"),
        }
        assert!(consumed <= input.len());
    }
    let Ok(Status::Complete { value, consumed }) = decode_response(input, &options) else {
        return;
    };
    assert_eq!(
        frame_response(input, &options),
        Ok(Frame::Complete { length: consumed })
    );
    let cut = consumed * usize::from(input.first().copied().unwrap_or(0)) / 256;
    assert_eq!(
        decode_response(&input[..cut], &options),
        Ok(Status::Partial)
    );

    let mut bytes = Vec::new();
    encode_response(&value, &encode, &mut bytes);
    match decode_response(&bytes, &options) {
        Ok(Status::Complete {
            value: again,
            consumed,
        }) => {
            assert_eq!(consumed, bytes.len());
            assert_eq!(again, value);
        }
        other => panic!("re-encoded response does not decode: {other:?}"),
    }
});
