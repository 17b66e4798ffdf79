#![no_main]
//! IMAP command decoding: never panics; a complete command encodes and decodes back to
//! the same value; the framer agrees on where it ends; every strict prefix is partial.

use libfuzzer_sys::fuzz_target;
use mailwire_core::Status;
use mailwire_imap::codec::{
    decode_command, encode_command_fragments, frame_command, DecodeOptions, EncodeOptions, Frame,
    Limits, NonSyncLiterals, Version,
};

/// The session settings, picked from the input length so RFC lines work as seeds as is.
fn options(input: &[u8]) -> DecodeOptions {
    let pick = input.len() % 6;
    let mut limits = Limits::default();
    limits.max_line_length = usize::MAX;
    DecodeOptions::default()
        .with_version(if pick % 2 == 0 {
            Version::Rev1
        } else {
            Version::Rev2
        })
        .with_utf8_accept(pick == 2)
        .with_non_sync_literals(match pick / 2 {
            0 => NonSyncLiterals::Forbidden,
            1 => NonSyncLiterals::Minus,
            _ => NonSyncLiterals::Plus,
        })
        .with_limits(limits)
}

fuzz_target!(|input: &[u8]| {
    let options = options(input);
    let Ok(Status::Complete { value, consumed }) = decode_command(input, &options) else {
        // Not complete: the framer must not see a whole command either.
        if let Ok(Frame::Complete { length }) = frame_command(input, &options) {
            assert!(
                !matches!(
                    decode_command(&input[..length], &options),
                    Ok(Status::Complete { .. })
                ),
                "framed a command the decoder does not see"
            );
        }
        return;
    };
    assert_eq!(
        frame_command(input, &options),
        Ok(Frame::Complete { length: consumed })
    );
    let cut = consumed * usize::from(input.first().copied().unwrap_or(0)) / 256;
    assert_eq!(decode_command(&input[..cut], &options), Ok(Status::Partial));

    let encoded = encode_command_fragments(&value, &EncodeOptions::from(&options));
    let bytes = encoded.as_bytes();
    match decode_command(bytes, &options) {
        Ok(Status::Complete {
            value: again,
            consumed,
        }) => {
            assert_eq!(consumed, bytes.len());
            assert_eq!(again, value);
        }
        other => panic!("re-encoded command does not decode: {other:?}"),
    }
    let joined: Vec<u8> = encoded.fragments().flatten().copied().collect();
    assert_eq!(joined, bytes);
});
