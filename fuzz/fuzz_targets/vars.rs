//! The vars.yml loader never panics, every span it reports holds its value, and its
//! block-style reader reads whatever it takes as serde_yaml does.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(img_mirror::vars::block_style_reader_agrees(text), "the block-style reader and serde_yaml differ");
    }
    let loaded = img_mirror::vars::parse(std::path::Path::new("vars.yml"), data.to_vec());
    if let Some(vars) = loaded.vars {
        for entry in &vars.images {
            if let Some(span) = &entry.value_span {
                assert!(vars.text.get(span.clone()).is_some(), "span out of bounds");
            }
        }
    }
});
