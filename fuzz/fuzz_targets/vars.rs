//! The vars.yml loader never panics, and every span it reports holds its value.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loaded = img_mirror::vars::parse(std::path::Path::new("vars.yml"), data.to_vec());
    if let Some(vars) = loaded.vars {
        for entry in &vars.images {
            if let Some(span) = &entry.value_span {
                assert!(vars.text.get(span.clone()).is_some(), "span out of bounds");
            }
        }
    }
});
