//! Any text through the indicator extractor: no panic, positions inside the text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for indicator in soc_tools::extract::extract(&text) {
        for p in &indicator.positions {
            assert!(p.start <= p.end && p.end <= text.len());
        }
    }
});
