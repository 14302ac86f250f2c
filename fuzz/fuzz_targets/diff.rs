//! Diffing two vars files never panics, and an identical pair has no changes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (old, new) = (&data[..split], data.get(split + 1..).unwrap_or_default());
    let path = std::path::Path::new("vars.yml");
    let (Some(old), Some(new)) = (
        img_mirror::vars::parse(path, old.to_vec()).vars,
        img_mirror::vars::parse(path, new.to_vec()).vars,
    ) else {
        return;
    };
    let changes = img_mirror::diff::changes(&old, &new);
    let _ = img_mirror::diff::unified(&old, &new, &changes, "vars.yml");
    assert!(img_mirror::diff::changes(&old, &old).is_empty());
});
