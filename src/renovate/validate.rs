//! Renovate's config validation for custom managers, with Renovate's own messages, and
//! stricter where Renovate is lax (an unknown strategy, groups only found as text).

use super::config::{ManagerConfig, RenovateConfig};
use super::file_match::FilePattern;
use super::re2;
use super::template::Template;

/// Keys Renovate accepts inside a custom manager (both file-pattern generations).
const ALLOWED_KEYS: &[&str] = &[
    "customType",
    "description",
    "fileFormat",
    "fileMatch",
    "managerFilePatterns",
    "matchStrings",
    "matchStringsStrategy",
    "depNameTemplate",
    "packageNameTemplate",
    "datasourceTemplate",
    "versioningTemplate",
    "registryUrlTemplate",
    "currentValueTemplate",
    "extractVersionTemplate",
    "autoReplaceStringTemplate",
    "depTypeTemplate",
];

/// One validation finding about a manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationMessage {
    /// `customManagers[0]` and so on.
    pub key_path: String,
    pub message: String,
    /// True when Renovate itself reports exactly this message; false for our stricter
    /// checks (Renovate accepts the config and misbehaves quietly).
    pub from_renovate: bool,
    pub line: usize,
}

pub fn validate(config: &RenovateConfig) -> Vec<ValidationMessage> {
    let mut out = Vec::new();
    for manager in &config.managers {
        validate_manager(manager, &mut out);
    }
    out
}

fn validate_manager(manager: &ManagerConfig, out: &mut Vec<ValidationMessage>) {
    let mut say = |message: String, from_renovate: bool| {
        out.push(ValidationMessage {
            key_path: manager.key_path.clone(),
            message,
            from_renovate,
            line: manager.line,
        })
    };
    let Some(object) = manager.object() else {
        say(format!("{} must be an object", manager.key_path), true);
        return;
    };
    let disallowed: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|key| !ALLOWED_KEYS.contains(key))
        .collect();
    if !disallowed.is_empty() {
        say(
            format!(
                "Custom Manager contains disallowed fields: {}",
                disallowed.join(", ")
            ),
            true,
        );
        if disallowed.contains(&"currentDigestTemplate") {
            say(
                "currentDigestTemplate is not a Renovate option: a digest can only come from a regex group named currentDigest".into(),
                false,
            );
        }
        return;
    }
    match manager.custom_type() {
        None | Some("") => {
            say(
                "Each Custom Manager must contain a non-empty customType string".into(),
                true,
            );
            return;
        }
        Some("regex") => {}
        Some("jsonata") => return,
        Some(other) => {
            say(
                format!("Invalid customType: {other}. Key is not a custom manager"),
                true,
            );
            return;
        }
    }
    let file_match = manager.strings("fileMatch");
    let patterns = manager.strings("managerFilePatterns");
    if file_match.is_empty() && patterns.is_empty() {
        say(
            "Each Custom Manager must contain a non-empty managerFilePatterns array".into(),
            true,
        );
        return;
    }
    for pattern in &file_match {
        if let Err(error) = FilePattern::file_match(pattern) {
            if error.unsupported {
                say(
                    unreproducible(&manager.key_path, "fileMatch", pattern, &error),
                    false,
                );
                continue;
            }
            say(
                format!(
                    "Invalid regExp for {}.fileMatch: `{pattern}` ({error})",
                    manager.key_path
                ),
                true,
            );
        }
    }
    for pattern in &patterns {
        if let Err(error) = FilePattern::manager_file_pattern(pattern) {
            if error.unsupported {
                say(
                    unreproducible(&manager.key_path, "managerFilePatterns", pattern, &error),
                    false,
                );
                continue;
            }
            say(
                format!(
                    "Failed to parse regex pattern for {}.managerFilePatterns: {pattern} ({error})",
                    manager.key_path
                ),
                true,
            );
        }
    }
    if patterns.iter().any(|p| p == "*" || p == "**") && patterns.len() > 1 {
        say(
            format!(
                "{}.managerFilePatterns: Your input contains * or ** along with other patterns. Please remove them, as * or ** matches all patterns.",
                manager.key_path
            ),
            true,
        );
    }
    validate_regex_fields(manager, &mut say);
}

fn validate_regex_fields(manager: &ManagerConfig, say: &mut impl FnMut(String, bool)) {
    let match_strings = manager.strings("matchStrings");
    let mut group_names = Vec::new();
    let mut per_regex_groups = Vec::new();
    let engine = super::manager::engine_for(manager);
    for pattern in &match_strings {
        match re2::compile(pattern, false, engine) {
            Ok(regex) => {
                let names: Vec<String> = regex
                    .capture_names()
                    .flatten()
                    .map(str::to_string)
                    .collect();
                group_names.extend(names.iter().cloned());
                per_regex_groups.push(names);
            }
            Err(error) if error.unsupported => say(
                unreproducible(&manager.key_path, "matchStrings", pattern, &error),
                false,
            ),
            Err(error) => say(
                format!("Invalid regExp for customManagers: `{pattern}` ({error})"),
                true,
            ),
        }
    }
    if match_strings.is_empty() {
        say(
            "Each Custom Manager `matchStrings` array must have at least one item.".into(),
            true,
        );
    }
    let strategy = manager.string("matchStringsStrategy");
    if let Some(other) = strategy.filter(|s| !["any", "recursive", "combination"].contains(s)) {
        say(
            format!(
                "Invalid matchStringsStrategy: {other:?} (Renovate silently uses \"any\"); use any, recursive or combination"
            ),
            false,
        );
    }
    // Renovate looks for the text `(?<field>`; we also read the compiled groups, so a
    // group Renovate would miss (or invent) is named.
    let has = |field: &str| {
        let template = manager
            .string(&format!("{field}Template"))
            .is_some_and(|t| !t.is_empty());
        let textual = match_strings
            .iter()
            .any(|s| s.contains(&format!("(?<{field}>")));
        let compiled = group_names.iter().any(|g| g == field);
        (template || textual, template || compiled)
    };
    for field in ["currentValue", "datasource"] {
        let (renovate_sees, really_has) = has(field);
        if !renovate_sees {
            say(
                format!(
                    "Regex Managers must contain {field}Template configuration or regex group named {field}"
                ),
                true,
            );
            if really_has {
                say(
                    format!(
                        "Renovate finds groups by the text `(?<{field}>`; write the group that way"
                    ),
                    false,
                );
            }
        }
    }
    let (dep_seen, dep_has) = has("depName");
    let (pkg_seen, pkg_has) = has("packageName");
    if !dep_seen && !pkg_seen {
        say(
            "Regex Managers must contain depName or packageName regex groups or templates".into(),
            true,
        );
        if dep_has || pkg_has {
            say("Renovate finds groups by the text `(?<depName>` or `(?<packageName>`; write the group that way".into(), false);
        }
    }
    // With `any`, each matchString makes deps on its own: one without a field that no
    // template supplies yields only deps Renovate drops without a word.
    if strategy.unwrap_or("any") == "any" && per_regex_groups.len() > 1 {
        for (index, names) in per_regex_groups.iter().enumerate() {
            let lacks = |field: &str| {
                !names.iter().any(|n| n == field)
                    && manager
                        .string(&format!("{field}Template"))
                        .is_none_or(str::is_empty)
            };
            if lacks("currentValue") && lacks("currentDigest") {
                say(
                    format!(
                        "matchStrings[{index}] has no currentValue or currentDigest group: with matchStringsStrategy any, Renovate drops every dep it matches"
                    ),
                    false,
                );
            }
        }
    }
    for key in manager.object().into_iter().flat_map(|o| o.keys()) {
        if key.ends_with("Template")
            && let Some(source) = manager.string(key)
            && let Err(error) = Template::parse(source)
        {
            say(
                format!(
                    "Invalid template in config path: {}.{key} ({})",
                    manager.key_path, error.reason
                ),
                true,
            );
        }
    }
}

/// A pattern img-mirror cannot run as Renovate would: said plainly, never guessed at.
fn unreproducible(key_path: &str, field: &str, pattern: &str, error: &re2::PatternError) -> String {
    format!(
        "{key_path}.{field}: `{pattern}`: img-mirror cannot reproduce what Renovate's RE2 does with this pattern ({error}), so it checks nothing this manager extracts; rewrite the pattern without it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn messages(manager: serde_json::Value) -> Vec<String> {
        let text = serde_json::json!({"customManagers": [manager]}).to_string();
        let config =
            super::super::config::parse(Path::new("renovate.json"), text.into_bytes()).unwrap();
        validate(&config).into_iter().map(|m| m.message).collect()
    }

    #[test]
    fn a_correct_manager_passes() {
        assert!(messages(serde_json::json!({
            "customType": "regex", "managerFilePatterns": ["/vars\\.yml$/"],
            "matchStrings": ["(?<depName>\\S+):(?<currentValue>\\S+)"], "datasourceTemplate": "docker"
        })).is_empty());
    }

    #[test]
    fn disallowed_fields_are_named_and_current_digest_template_explained() {
        let found = messages(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"], "matchStrings": ["x"], "currentDigestTemplate": "x", "bogus": 1
        }));
        assert_eq!(
            found[0],
            "Custom Manager contains disallowed fields: currentDigestTemplate, bogus"
        );
        assert!(found[1].contains("currentDigestTemplate is not a Renovate option"));
    }

    #[test]
    fn missing_fields_use_renovates_messages() {
        let found = messages(
            serde_json::json!({"customType": "regex", "fileMatch": ["x"], "matchStrings": ["(?<x>y)"]}),
        );
        assert_eq!(
            found,
            [
                "Regex Managers must contain currentValueTemplate configuration or regex group named currentValue",
                "Regex Managers must contain datasourceTemplate configuration or regex group named datasource",
                "Regex Managers must contain depName or packageName regex groups or templates",
            ]
        );
        assert_eq!(
            messages(serde_json::json!({"matchStrings": ["x"]})),
            ["Each Custom Manager must contain a non-empty customType string"]
        );
        assert_eq!(
            messages(serde_json::json!({"customType": "regex", "matchStrings": ["x"]})),
            ["Each Custom Manager must contain a non-empty managerFilePatterns array"]
        );
        assert_eq!(
            messages(serde_json::json!({"customType": "bogus"})),
            ["Invalid customType: bogus. Key is not a custom manager"]
        );
    }

    #[test]
    fn bad_regexes_and_templates_and_strategies() {
        let found = messages(serde_json::json!({
            "customType": "regex", "fileMatch": ["("], "matchStrings": ["(?<depName>a)(?=b)", "(?<currentValue>x)"],
            "datasourceTemplate": "{{#if x}}", "matchStringsStrategy": "recursve"
        }));
        assert!(
            found
                .iter()
                .any(|m| m.starts_with("Invalid regExp for customManagers[0].fileMatch: `(`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|m| m.starts_with("Invalid regExp for customManagers: `(?<depName>a)(?=b)`")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|m| m.starts_with(
                "Invalid template in config path: customManagers[0].datasourceTemplate"
            )),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|m| m.starts_with("Invalid matchStringsStrategy: \"recursve\"")),
            "{found:?}"
        );
    }

    #[test]
    fn python_style_groups_are_real_but_invisible_to_renovate() {
        let found = messages(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?P<depName>\\S+):(?<currentValue>\\S+)"], "datasourceTemplate": "docker"
        }));
        assert_eq!(
            found[0],
            "Regex Managers must contain depName or packageName regex groups or templates"
        );
        assert!(found[1].contains("write the group that way"));
    }

    #[test]
    fn any_strategy_flags_a_matchstring_without_values() {
        let found = messages(serde_json::json!({
            "customType": "regex", "fileMatch": ["x"],
            "matchStrings": ["(?<depName>\\S+):(?<currentValue>\\S+)", "(?<depName>\\S+)"], "datasourceTemplate": "docker"
        }));
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("matchStrings[1] has no currentValue"));
    }
}
