#![no_main]
//! mailwire-auth DKIM parsers and canonicalization on arbitrary bytes: the DKIM-Signature,
//! key record and tag-list parsers never panic; body canonicalization gives the same bytes
//! whole or cut at any point, its output is its own canonical form, ends with CRLF (or is
//! empty, relaxed only) and, relaxed, has no whitespace at line ends or in runs; header
//! canonicalization never panics and always ends with CRLF.

use libfuzzer_sys::fuzz_target;
use mailwire_auth::dkim::{
    canonicalize_body, canonicalize_header, parse_tag_list, BodyCanonicalizer, Canonicalization,
    DkimKey, DkimSignature,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = DkimSignature::parse(&text);
    let _ = DkimKey::parse(&text);
    if let Ok(tags) = parse_tag_list(&text) {
        for (index, (name, _)) in tags.iter().enumerate() {
            assert!(!tags[..index].iter().any(|(seen, _)| seen == name));
        }
    }

    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    for canonicalization in [Canonicalization::Simple, Canonicalization::Relaxed] {
        let whole = canonicalize_body(canonicalization, data);
        let mut chunked = Vec::new();
        let mut canonicalizer = BodyCanonicalizer::new(canonicalization);
        let mut sink = |bytes: &[u8]| chunked.extend_from_slice(bytes);
        canonicalizer.update(&data[..cut], &mut sink);
        canonicalizer.update(&data[cut..], &mut sink);
        canonicalizer.finish(&mut sink);
        assert_eq!(chunked, whole);
        assert_eq!(canonicalize_body(canonicalization, &whole), whole);
        assert!(
            whole.ends_with(b"\r\n")
                || (whole.is_empty() && canonicalization == Canonicalization::Relaxed)
        );
        assert!(!whole.ends_with(b"\r\n\r\n"));
        if canonicalization == Canonicalization::Relaxed {
            for bad in [&b" \r\n"[..], b"\t", b"  "] {
                assert!(!whole.windows(bad.len()).any(|w| w == bad));
            }
        }

        let mut header = Vec::new();
        canonicalize_header(canonicalization, data, &mut header);
        assert!(header.ends_with(b"\r\n"));
    }
});
