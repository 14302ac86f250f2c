//! The reference parser never panics, keeps the raw text, and its spans cut it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    if let Ok(reference) = img_mirror::reference::Reference::parse(data) {
        assert_eq!(reference.raw(), data);
        let _ = &data[reference.name_span()];
        if let Some(span) = reference.tag_span() {
            let _ = &data[span];
        }
        if let Some(span) = reference.digest_span() {
            let _ = &data[span];
        }
        let again = img_mirror::reference::Reference::parse(&reference.name())
            .expect("a normalised name parses");
        assert_eq!(again.name(), reference.name());
    }
});
