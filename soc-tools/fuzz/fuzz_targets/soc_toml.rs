//! Any text as `soc.toml`: a configuration or an error naming where, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let _ = soc_tools::config::SocConfig::parse("fuzz/soc.toml".into(), text, &[]);
});
