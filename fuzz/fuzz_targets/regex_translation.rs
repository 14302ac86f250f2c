//! Translating a JavaScript pattern to RE2 semantics never panics, and matching with
//! the result is bounded (Renovate's 10,000-match cap) even for empty matches.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let (pattern, text) = data
        .split_once('\u{0}')
        .unwrap_or((data, "IMAGES:\n  a: quay.io/x:1\n"));
    if let Ok(regex) = img_mirror::renovate::re2::compile(pattern, false) {
        let matches = img_mirror::renovate::re2::match_all(&regex, text);
        assert!(matches.len() <= img_mirror::renovate::re2::MAX_MATCHES);
    }
});
