#![no_main]
//! mailwire-auth SPF record parser on arbitrary text: nothing panics, and a record that
//! parses prints to text that parses back to the same record (and prints the same again).
//! Macro strings in explanation mode get the same display round trip.

use libfuzzer_sys::fuzz_target;
use mailwire_auth::spf::{MacroString, SpfRecord};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(record) = SpfRecord::parse(&text) {
        let shown = record.to_string();
        let again = SpfRecord::parse(&shown).expect("a displayed record parses");
        assert_eq!(again, record);
        assert_eq!(again.to_string(), shown);
    }
    if let Ok(explanation) = MacroString::parse(&text, true) {
        let shown = explanation.to_string();
        let again = MacroString::parse(&shown, true).expect("a displayed macro string parses");
        assert_eq!(again, explanation);
    }
});
