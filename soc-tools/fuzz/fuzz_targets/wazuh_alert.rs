//! Any bytes as a Wazuh alert: parsed or refused, indicators extracted, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(alert) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = soc_tools::wazuh::indicators(&alert);
    }
});
