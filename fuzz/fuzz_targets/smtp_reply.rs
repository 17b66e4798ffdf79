#![no_main]
//! SMTP replies and EHLO capabilities: decoding never panics, and whatever decodes
//! re-encodes to bytes that decode to an equal value.

use libfuzzer_sys::fuzz_target;
use mailwire_core::Status;
use mailwire_smtp::codec::{
    decode_capability, decode_ehlo, decode_reply, encode_capability, encode_ehlo, encode_reply,
    DecodeOptions,
};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let mut opts = DecodeOptions::default();
    opts.quirk_skip_invalid_capabilities = flags & 1 != 0;
    if flags & 2 != 0 {
        opts.max_reply_line = 40;
        opts.max_reply_lines = 4;
    }

    let Ok(Status::Complete {
        value: reply,
        consumed,
    }) = decode_reply(input, &opts)
    else {
        return;
    };
    assert!(consumed <= input.len());
    assert!(reply.line_count() <= opts.max_reply_lines);
    let mut encoded = Vec::new();
    encode_reply(&reply, &mut encoded);
    match decode_reply(&encoded, &opts) {
        Ok(Status::Complete { value, .. }) => assert_eq!(value, reply),
        other => panic!("re-encoded reply does not decode: {other:?}"),
    }
    // a reply built from the decoded parts decodes back to the same value
    if let Ok(built) =
        mailwire_smtp::types::Reply::new(reply.code(), reply.enhanced(), reply.lines())
    {
        let mut bytes = Vec::new();
        encode_reply(&built, &mut bytes);
        let mut roomy = opts;
        roomy.max_reply_line = usize::MAX;
        roomy.max_reply_lines = usize::MAX;
        match decode_reply(&bytes, &roomy) {
            Ok(Status::Complete { value, .. }) => assert_eq!(value, reply),
            other => panic!("rebuilt reply does not decode: {other:?}"),
        }
    }

    for line in reply.raw_lines() {
        if let Ok(capability) = decode_capability(line) {
            let mut text = Vec::new();
            encode_capability(&capability, &mut text);
            let text = String::from_utf8(text).expect("capabilities encode to UTF-8");
            assert_eq!(decode_capability(&text).ok(), Some(capability));
        }
    }

    if let Ok(ehlo) = decode_ehlo(&reply, &opts) {
        let mut bytes = Vec::new();
        encode_ehlo(&ehlo, &mut bytes);
        let mut roomy = opts;
        roomy.max_reply_line = usize::MAX;
        roomy.max_reply_lines = usize::MAX;
        match decode_reply(&bytes, &roomy) {
            Ok(Status::Complete { value, .. }) => {
                assert_eq!(decode_ehlo(&value, &roomy).ok(), Some(ehlo));
            }
            other => panic!("re-encoded ehlo does not decode: {other:?}"),
        }
    }
});
