//! Parsing a pattern as node-re2 and RE2 do never panics, in either node-re2 version,
//! matching with the result is bounded (Renovate's 10,000-match cap) even for empty
//! matches, and the ASCII program finds exactly the matches and groups the regex crate
//! finds alone.
#![no_main]
use img_mirror::renovate::re2::{self, NodeRe2};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let (pattern, text) = data
        .split_once('\u{0}')
        .unwrap_or((data, "IMAGES:\n  a: quay.io/x:1\n"));
    for engine in [NodeRe2::V1_21, NodeRe2::V1_26] {
        if let Ok(regex) = re2::compile(pattern, false, engine) {
            let matches = re2::match_all(&regex, text);
            assert!(matches.len() <= re2::MAX_MATCHES);
            assert_eq!(
                matches,
                re2::match_all(&regex.by_the_crate_alone(), text),
                "{pattern:?}"
            );
        }
    }
});
