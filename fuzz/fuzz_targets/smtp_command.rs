#![no_main]
//! SMTP command lines and AUTH exchange lines: decoding never panics, and whatever
//! decodes re-encodes to bytes that decode to an equal value, which re-encode to the
//! same bytes.

use libfuzzer_sys::fuzz_target;
use mailwire_core::Status;
use mailwire_smtp::codec::{
    decode_command, decode_command_line, decode_sasl_response, encode_command,
    encode_sasl_response, DecodeOptions,
};

fuzz_target!(|data: &[u8]| {
    // the first octet picks the options, the rest is the wire input
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let mut opts = DecodeOptions::default();
    opts.smtputf8 = flags & 1 != 0;
    opts.quirk_space_after_colon = flags & 2 != 0;
    opts.quirk_bare_lf = flags & 4 != 0;
    opts.quirk_trailing_whitespace = flags & 8 != 0;
    if flags & 16 != 0 {
        opts.max_command_line = 64;
        opts.max_sasl_line = 64;
    }

    if let Ok(Status::Complete { value, consumed }) = decode_command(input, &opts) {
        assert!(consumed <= input.len() && consumed <= opts.max_command_line);
        // without SMTPUTF8 only ASCII lines decode
        assert!(opts.smtputf8 || input.get(..consumed).is_some_and(<[u8]>::is_ascii));
        let mut encoded = Vec::new();
        encode_command(&value, &mut encoded);
        // the canonical form can be longer than the input (address literals are written
        // anew, quirks undone), so decode it without a line limit
        let mut roomy = opts;
        roomy.max_command_line = usize::MAX;
        match decode_command(&encoded, &roomy) {
            Ok(Status::Complete {
                value: again,
                consumed,
            }) => {
                assert_eq!(consumed, encoded.len());
                assert_eq!(again, value);
                let mut twice = Vec::new();
                encode_command(&again, &mut twice);
                assert_eq!(twice, encoded);
            }
            other => panic!("re-encoded command does not decode: {other:?}"),
        }
        // framing elsewhere and decoding the bare line agree
        let line_end = if input.get(consumed.wrapping_sub(2)) == Some(&b'\r') {
            2
        } else {
            1
        };
        let line = input.get(..consumed - line_end).unwrap_or_default();
        assert_eq!(decode_command_line(line, &opts).ok(), Some(value.clone()));
        // owned copies are equal
        assert_eq!(value.clone().into_owned(), value);
    }

    if let Ok(Status::Complete { value, .. }) = decode_sasl_response(input, &opts) {
        let mut encoded = Vec::new();
        encode_sasl_response(&value, &mut encoded);
        let mut roomy = opts;
        roomy.max_sasl_line = usize::MAX;
        match decode_sasl_response(&encoded, &roomy) {
            Ok(Status::Complete { value: again, .. }) => assert_eq!(again, value),
            other => panic!("re-encoded sasl line does not decode: {other:?}"),
        }
    }
});
