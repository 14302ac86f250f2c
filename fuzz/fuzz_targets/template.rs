//! The Handlebars engine never panics, in either Renovate generation's dialect, and
//! never exceeds its output cap.
#![no_main]
use img_mirror::renovate::template::{Context, Dialect, Template, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    let (template, value) = data
        .split_once('\u{0}')
        .unwrap_or((data, "quay.io/cki/mirror/grafana/grafana"));
    let mut context = Context::new();
    context.insert("depName".into(), Value::Str(value.into()));
    context.insert("currentValue".into(), Value::Str("11.2.0".into()));
    context.insert(
        "list".into(),
        Value::Array(vec![Value::Str(value.into()), Value::Number(1.0)]),
    );
    for dialect in [Dialect::RENOVATE_39, Dialect::RENOVATE_44] {
        if let Ok(parsed) = Template::parse(template, dialect)
            && let Ok(output) = parsed.render(&context)
        {
            assert!(
                output.len()
                    <= 2 * img_mirror::renovate::template::MAX_OUTPUT + value.len() * 6 + 1024
            );
        }
    }
});
