//! The Handlebars renderer never panics and never exceeds its output cap.
#![no_main]
use img_mirror::renovate::template::{Context, Value, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let (template, value) = data
        .split_once('\u{0}')
        .unwrap_or((data, "quay.io/cki/mirror/grafana/grafana"));
    let mut context = Context::new();
    context.insert("depName".into(), Value::Str(value.into()));
    context.insert("currentValue".into(), Value::Str("11.2.0".into()));
    if let Ok(output) = render(template, &context) {
        assert!(
            output.len() <= img_mirror::renovate::template::MAX_OUTPUT + value.len() * 2 + 1024
        );
    }
});
