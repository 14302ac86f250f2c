//! The Renovate config loader (JSON and JSON5) and its validator never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = if data.first().is_some_and(|b| b % 2 == 0) {
        "renovate.json"
    } else {
        "renovate.json5"
    };
    if let Ok(config) =
        img_mirror::renovate::config::parse(std::path::Path::new(path), data.to_vec())
    {
        let _ = img_mirror::renovate::validate::validate(&config);
    }
});
