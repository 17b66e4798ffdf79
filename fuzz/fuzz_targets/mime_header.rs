#![no_main]
//! mailwire-mime header layer: the header section splitter and every field
//! parser on arbitrary bytes. Nothing panics; field ranges tile the header
//! section; the streaming (partial) parse agrees with the whole parse at a
//! split point chosen by the input; every typed value is the same whether
//! parsed from the input or from a copy, and survives `into_owned`; dates
//! re-parse from their RFC 5322 form and their timestamp.

use libfuzzer_sys::fuzz_target;
use mailwire_mime::charset;
use mailwire_mime::encoded_word::{decode_text, decode_unstructured};
use mailwire_mime::header::{
    filename, AddressList, ContentDisposition, ContentTransferEncoding, ContentType, DateTime,
    HeaderLimits, HeaderSection, Mailbox, MessageId, MimeVersion, Received, ReturnPath,
};

/// Runs every field parser on `raw`; checks each result against the same
/// parse of a copy (no hidden state, no dependence on the input's address).
fn check_field_parsers(raw: &[u8]) {
    let copy = raw.to_vec();

    let list = AddressList::parse(raw);
    assert_eq!(list, AddressList::parse(&copy));
    for mailbox in list.mailboxes() {
        // Invalid UTF-8 becomes U+FFFD (3 bytes); quoting adds 2.
        assert!(mailbox.address().len() <= raw.len() * 3 + 2);
    }
    let owned = list.clone().into_owned();
    assert_eq!(owned.addresses(), list.addresses());
    assert_eq!(Mailbox::parse(raw), Mailbox::parse(&copy));

    match DateTime::parse(raw) {
        Ok(date) => {
            assert_eq!(Ok(date), DateTime::parse(&copy));
            let printed = date.to_string();
            assert_eq!(DateTime::parse(printed.as_bytes()), Ok(date), "{printed}");
            assert_eq!(date.to_rfc3339().len(), 25);
            if date.second() < 60 && !date.is_offset_unknown() {
                let back =
                    DateTime::from_unix_timestamp(date.to_unix_timestamp(), date.offset_minutes());
                assert_eq!(back, Some(date));
            }
        }
        Err(e) => assert_eq!(Err(e), DateTime::parse(&copy)),
    }

    assert_eq!(MessageId::parse(raw), MessageId::parse(&copy));
    let ids = MessageId::parse_list(raw);
    assert_eq!(ids, MessageId::parse_list(&copy));
    assert!(ids.iter().all(|id| !id.as_str().is_empty()));

    let received = Received::parse(raw);
    assert_eq!(received, Received::parse(&copy));
    assert_eq!(received.clone().into_owned(), received);
    let _ = received.clause("from");

    assert_eq!(ReturnPath::parse(raw), ReturnPath::parse(&copy));
    assert_eq!(MimeVersion::parse(raw), MimeVersion::parse(&copy));

    let content_type = ContentType::parse(raw);
    assert_eq!(content_type, ContentType::parse(&copy));
    let disposition = ContentDisposition::parse(raw);
    assert_eq!(disposition, ContentDisposition::parse(&copy));
    if let Ok(ct) = &content_type {
        assert!(!ct.media_type().is_empty() && !ct.subtype().is_empty());
        assert!(!ct.media_type().bytes().any(|b| b.is_ascii_uppercase()));
        let _ = (ct.charset(), ct.boundary(), ct.name(), ct.essence());
        assert_eq!(ct.clone().into_owned(), *ct);
    }
    if let Ok(cd) = &disposition {
        let _ = filename(Some(cd), content_type.as_ref().ok());
        assert_eq!(cd.clone().into_owned(), *cd);
    }
    let cte = ContentTransferEncoding::parse(raw);
    assert_eq!(cte, ContentTransferEncoding::parse(&copy));

    assert_eq!(decode_unstructured(raw), decode_unstructured(&copy));
    let _ = decode_text(raw);
    let _ = charset::decode_utf7(raw);
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let limits = if flags & 1 == 0 {
        HeaderLimits::default()
    } else {
        HeaderLimits::default()
            .with_max_fields(8)
            .with_max_line_length(64)
            .with_max_header_bytes(256)
    };

    check_field_parsers(input);

    let Ok(section) = HeaderSection::parse(input, &limits) else {
        return;
    };
    // Fields tile the section in order, inside the input.
    let mut next = section.mbox_from().map_or(0, |r| r.end);
    for field in &section {
        let range = field.range();
        assert_eq!(range.start, next);
        assert!(range.end <= section.header_end());
        assert!(input.get(range.clone()).is_some());
        assert!(!field.name().is_empty());
        next = range.end;
        check_field_parsers(field.raw_value());
        let unfolded = field.unfolded_value();
        assert!(unfolded.len() <= field.raw_value().len());
    }
    assert_eq!(next, section.header_end());
    assert!(section.header_end() <= section.body_offset());
    assert!(section.body_offset() <= input.len());
    assert!(section.len() <= limits.max_fields);
    assert!(
        section.body_offset() <= limits.max_header_bytes
            || section.body().len() + section.body_offset() == input.len()
    );

    // The streaming parse agrees with the whole parse, at any split point.
    let split = usize::from(flags >> 1) * input.len() / 127;
    let split = split.min(input.len());
    if let Ok(Some(partial)) =
        HeaderSection::parse_partial(input.get(..split).unwrap_or_default(), &limits)
    {
        assert_eq!(partial.fields(), section.fields());
        assert_eq!(partial.body_offset(), section.body_offset());
        assert_eq!(partial.terminator(), section.terminator());
    }
    if let Ok(Some(partial)) = HeaderSection::parse_partial(input, &limits) {
        assert_eq!(partial.fields(), section.fields());
        assert_eq!(partial.body_offset(), section.body_offset());
    }

    // Shortcuts agree with the parsers.
    assert_eq!(
        section.subject(),
        section.get_raw("subject").map(decode_unstructured)
    );
    assert_eq!(
        section.date(),
        section
            .get_raw("date")
            .and_then(|r| DateTime::parse(r).ok())
    );
    let _ = (
        section.message_id(),
        section.references(),
        section.in_reply_to(),
        section.content_type(),
        section.content_disposition(),
        section.content_transfer_encoding(),
        section.mime_version(),
        section.return_path(),
        section.received(),
        section.addresses("to"),
    );
});
