//! Sentence-set importers (plain text, CSV, TSV) on arbitrary bytes: they must return
//! a set or an error, never panic, and what they accept must survive a write/parse round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simlens::io::sentences::{SentenceSet, SetFormat};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the format, so one corpus covers all three.
    let Some((&selector, bytes)) = data.split_first() else { return };
    let format = match selector % 3 {
        0 => SetFormat::Text,
        1 => SetFormat::Csv,
        _ => SetFormat::Tsv,
    };
    if let Ok(set) = SentenceSet::parse(bytes, format) {
        assert!(!set.is_empty());
        let mut out = Vec::new();
        set.write(&mut out, format).expect("writing to memory");
        let again = SentenceSet::parse(&out, format).expect("a written set parses");
        assert_eq!(again.len(), set.len(), "round trip keeps every sentence");
    }
});
