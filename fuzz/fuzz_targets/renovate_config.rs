//! The Renovate config loader (JSON, JSONC and JSON5, as Renovate 39 and 44 read
//! them), its migration and its validator never panic; stripping JSONC comments keeps
//! every line where it was.
#![no_main]
use img_mirror::renovate::version::RenovateVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first = data.first().copied().unwrap_or(0);
    let path = if first % 2 == 0 {
        "renovate.json"
    } else {
        "renovate.json5"
    };
    let version = if first % 4 < 2 {
        RenovateVersion::CURRENT
    } else {
        RenovateVersion::V39
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let stripped = img_mirror::renovate::config::strip_jsonc(text);
        assert_eq!(stripped.len(), text.len());
        assert_eq!(stripped.matches('\n').count(), text.matches('\n').count());
    }
    if let Ok(config) =
        img_mirror::renovate::resolve::parse(std::path::Path::new(path), data.to_vec(), version)
    {
        let _ = img_mirror::renovate::validate::validate(&config);
    }
});
