#![no_main]
//! POP3 command and SASL-line decoding never panics, and what decodes re-encodes to
//! bytes that decode to the same value.

use libfuzzer_sys::fuzz_target;
use mailwire_core::Status;
use mailwire_pop3::codec::{
    decode_command, decode_sasl_response, encode_command, encode_sasl_response,
};

fuzz_target!(|input: &[u8]| {
    if let Ok(Status::Complete { value, consumed }) = decode_command(input) {
        assert!(consumed <= input.len());
        let mut wire = Vec::new();
        encode_command(&value, &mut wire);
        match decode_command(&wire) {
            Ok(Status::Complete {
                value: again,
                consumed,
            }) => {
                assert_eq!(again, value);
                assert_eq!(consumed, wire.len());
            }
            other => panic!("re-encoded command does not decode: {other:?}"),
        }
    }
    if let Ok(Status::Complete { value, .. }) = decode_sasl_response(input) {
        let mut wire = Vec::new();
        encode_sasl_response(&value, &mut wire);
        match decode_sasl_response(&wire) {
            Ok(Status::Complete { value: again, .. }) => assert_eq!(again, value),
            other => panic!("re-encoded sasl line does not decode: {other:?}"),
        }
    }
});
