//! Extraction with an arbitrary manager over arbitrary text never panics, and every
//! dep's span is a slice of the text (its replaceString).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let (config, text) = data.split_once('\u{0}').unwrap_or((data, ""));
    let Ok(config) = img_mirror::renovate::resolve::parse(
        std::path::Path::new("renovate.json5"),
        config.as_bytes().to_vec(),
        img_mirror::renovate::version::RenovateVersion::CURRENT,
    ) else {
        return;
    };
    let view = img_mirror::renovate::view_file(&config, "vars.yml", text);
    for run in &view.runs {
        for dep in &run.extraction.deps {
            if dep.span.is_some() {
                assert!(dep.replace_string(text).is_some(), "{:?}", dep.span);
            }
        }
    }
});
