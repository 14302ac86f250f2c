//! Renovate's config validation for custom managers, with the messages of the Renovate
//! the repository runs, after its migration; and stricter where Renovate is lax (an
//! unknown strategy, groups only found as text, a `regexManagers` list the migration
//! drops).

use serde_json::Value;

use super::config::{ManagerConfig, RenovateConfig};
use super::file_match::FilePattern;
use super::re2;
use super::template::{Context, Template};

/// Keys Renovate accepts inside a custom manager, besides its file patterns key
/// (`fileMatch` before 40.2, `managerFilePatterns` after).
const ALLOWED_KEYS: &[&str] = &[
    "customType",
    "description",
    "fileFormat",
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

/// Who says a message, which decides its code and level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Renovate's own validation message: it refuses the config.
    Renovate,
    /// Renovate accepts the config and misbehaves quietly (or fails outside
    /// validation): img-mirror's words, an error.
    Pitfall,
    /// img-mirror cannot run this as Renovate does: a warning, since Renovate may well
    /// be fine.
    Unreproducible,
}

/// One validation finding about a manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationMessage {
    /// The manager as the user finds it in the file.
    pub key_path: String,
    pub message: String,
    pub source: Source,
    pub line: usize,
}

impl ValidationMessage {
    /// True when Renovate itself reports exactly this message.
    pub fn from_renovate(&self) -> bool {
        self.source == Source::Renovate
    }
}

pub fn validate(config: &RenovateConfig) -> Vec<ValidationMessage> {
    let mut out = Vec::new();
    for migration in &config.migrations {
        if migration.change.starts_with("dropped") || migration.change.starts_with("lost") {
            out.push(ValidationMessage {
                key_path: migration.key_path.clone(),
                message: format!(
                    "{}; Renovate's config migration does this silently",
                    migration.change
                ),
                source: Source::Pitfall,
                line: super::config::locate_key(
                    &config.text,
                    migration
                        .key_path
                        .split(['[', '.'])
                        .next()
                        .unwrap_or_default(),
                )
                .unwrap_or(1),
            });
        }
    }
    for manager in &config.managers {
        validate_manager(manager, &mut out);
    }
    out
}

fn validate_manager(manager: &ManagerConfig, out: &mut Vec<ValidationMessage>) {
    let shown = manager.shown();
    // Renovate validates the repository's own config, then resolves presets without
    // validating them: a preset's manager that would fail is a pitfall, said as one.
    let from_preset = manager.preset.is_some();
    let mut say = |message: String, source: Source| {
        let (message, source) = match source {
            Source::Renovate if from_preset => (
                format!(
                    "Renovate does not validate a preset's managers, and this one would fail: {message}"
                ),
                Source::Unreproducible,
            ),
            source => (message, source),
        };
        out.push(ValidationMessage {
            key_path: shown.clone(),
            message,
            source,
            line: manager.line,
        })
    };
    let Some(object) = manager.object() else {
        say(
            format!("{} must contain JSON objects", manager.key_path),
            Source::Renovate,
        );
        return;
    };
    let version = manager.version;
    let patterns_key = if version.has_manager_file_patterns() {
        "managerFilePatterns"
    } else {
        "fileMatch"
    };
    let disallowed: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|key| !ALLOWED_KEYS.contains(key) && *key != patterns_key)
        .collect();
    if !disallowed.is_empty() {
        say(
            format!(
                "Custom Manager contains disallowed fields: {}",
                disallowed.join(", ")
            ),
            Source::Renovate,
        );
        if disallowed.contains(&"currentDigestTemplate") {
            say(
                "currentDigestTemplate is not a Renovate option: a digest can only come from a regex group named currentDigest".into(),
                Source::Pitfall,
            );
        }
        if disallowed.contains(&"managerFilePatterns") {
            say(
                format!(
                    "managerFilePatterns arrived in Renovate 40.2; this repository runs {version} (renovate-version), which knows only fileMatch"
                ),
                Source::Pitfall,
            );
        }
        return;
    }
    match object.get("customType") {
        None => {}
        Some(Value::String(kind)) if kind.is_empty() => {}
        Some(Value::String(kind)) if kind == "regex" => {
            let patterns = manager.strings(patterns_key);
            if patterns.is_empty() {
                say(
                    format!("Each Custom Manager must contain a non-empty {patterns_key} array"),
                    Source::Renovate,
                );
                return;
            }
            validate_file_patterns(manager, patterns_key, &patterns, &mut say);
            validate_regex_fields(manager, &mut say);
            return;
        }
        Some(Value::String(kind)) if kind == "jsonata" => return,
        Some(other) => {
            let shown = match other {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            say(
                format!("Invalid customType: {shown}. Key is not a custom manager"),
                Source::Renovate,
            );
            return;
        }
    }
    say(
        "Each Custom Manager must contain a non-empty customType string".into(),
        Source::Renovate,
    );
}

fn validate_file_patterns(
    manager: &ManagerConfig,
    key: &str,
    patterns: &[String],
    say: &mut impl FnMut(String, Source),
) {
    for pattern in patterns {
        let compiled = if key == "fileMatch" {
            FilePattern::file_match(pattern)
        } else {
            FilePattern::manager_file_pattern(pattern)
        };
        let Err(error) = compiled else {
            continue;
        };
        if error.unsupported {
            say(
                unreproducible(&manager.shown(), key, pattern, &error),
                Source::Unreproducible,
            );
        } else if key == "fileMatch" {
            say(
                format!(
                    "Invalid regExp for {}.fileMatch: `{pattern}` ({error})",
                    manager.key_path
                ),
                Source::Renovate,
            );
        } else {
            say(
                format!(
                    "Failed to parse regex pattern for {}.managerFilePatterns: {pattern} ({error})",
                    manager.key_path
                ),
                Source::Renovate,
            );
        }
    }
    if key == "managerFilePatterns"
        && patterns.iter().any(|p| p == "*" || p == "**")
        && patterns.len() > 1
    {
        say(
            format!(
                "{}.managerFilePatterns: Your input contains * or ** along with other patterns. Please remove them, as * or ** matches all patterns.",
                manager.key_path
            ),
            Source::Renovate,
        );
    }
}

fn validate_regex_fields(manager: &ManagerConfig, say: &mut impl FnMut(String, Source)) {
    let version = manager.version;
    if manager.string("matchStrings").is_some() {
        say(
            "matchStrings is a string, not a list: Renovate's migration leaves it so and its validation then crashes (TypeError: customManager.matchStrings?.some is not a function), so the repository is not processed; write [\"...\"]".into(),
            Source::Pitfall,
        );
        return;
    }
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
                unreproducible(&manager.shown(), "matchStrings", pattern, &error),
                Source::Unreproducible,
            ),
            Err(error) => say(
                format!("Invalid regExp for customManagers: `{pattern}` ({error})"),
                Source::Renovate,
            ),
        }
    }
    if match_strings.is_empty() {
        say(
            "Each Custom Manager `matchStrings` array must have at least one item.".into(),
            Source::Renovate,
        );
    }
    let strategy = manager.string("matchStringsStrategy");
    if let Some(other) = strategy.filter(|s| !["any", "recursive", "combination"].contains(s)) {
        say(
            format!(
                "Invalid matchStringsStrategy: {other:?} (Renovate silently uses \"any\"); use any, recursive or combination"
            ),
            Source::Pitfall,
        );
    }
    // Renovate's `hasField`: `manager[fieldTemplate] ?? matchStrings.some(s =>
    // s.includes('(?<field>'))`, made boolean; we also read the compiled groups, so a
    // group Renovate would miss is named.
    let has = |field: &str| {
        let textual = || {
            match_strings
                .iter()
                .any(|s| s.contains(&format!("(?<{field}>")))
        };
        let renovate_sees = match manager
            .object()
            .and_then(|o| o.get(&format!("{field}Template")))
        {
            Some(Value::Null) | None => textual(),
            Some(template) => super::migrate::truthy(template),
        };
        let compiled = group_names.iter().any(|g| g == field);
        (renovate_sees, renovate_sees || compiled)
    };
    let require = |fields: &[&str], message: String, say: &mut dyn FnMut(String, Source)| {
        let seen = fields.iter().map(|f| has(f)).collect::<Vec<_>>();
        if !seen.iter().any(|(sees, _)| *sees) {
            say(message, Source::Renovate);
            if seen.iter().any(|(_, really)| *really) {
                let groups: Vec<String> = fields.iter().map(|f| format!("`(?<{f}>`")).collect();
                say(
                    format!(
                        "Renovate finds groups by the text {}; write the group that way",
                        groups.join(" or ")
                    ),
                    Source::Pitfall,
                );
            }
        }
    };
    let datasource = "Regex Managers must contain datasourceTemplate configuration or regex group named datasource".to_string();
    if version.is_44_generation() {
        require(&["datasource"], datasource, say);
        require(
            &["currentValue", "currentDigest"],
            "Regex Managers must contain currentValue or currentDigest, their template variants (currentValueTemplate or currentDigestTemplate) or regex groups named after configuration fields".into(),
            say,
        );
    } else {
        require(
            &["currentValue"],
            "Regex Managers must contain currentValueTemplate configuration or regex group named currentValue".into(),
            say,
        );
        require(&["datasource"], datasource, say);
    }
    require(
        &["depName", "packageName"],
        "Regex Managers must contain depName or packageName regex groups or templates".into(),
        say,
    );
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
                    Source::Pitfall,
                );
            }
        }
    }
    validate_templates(manager, &match_strings, say);
}

/// Renovate 44 parses every option that supports templating, `matchStrings` (joined
/// with commas, as `toString()` joins a list) among them; Renovate 39 compiles each
/// `*Template` three times over against the config.
fn validate_templates(
    manager: &ManagerConfig,
    match_strings: &[String],
    say: &mut impl FnMut(String, Source),
) {
    let version = manager.version;
    let dialect = version.dialect();
    let invalid = |key: &str| {
        format!(
            "Invalid template in config path: {}.{key}",
            manager.key_path
        )
    };
    if version.is_44_generation() && !match_strings.is_empty() {
        let joined = match_strings.join(",");
        if let Err(error) = Template::parse(&joined, dialect)
            && !error.unsupported
        {
            say(
                format!(
                    "{} (Renovate 44 reads matchStrings as a Handlebars template: {})",
                    invalid("matchStrings"),
                    error.reason
                ),
                Source::Renovate,
            );
        }
    }
    for key in manager.object().into_iter().flat_map(|o| o.keys()) {
        if !key.ends_with("Template") {
            continue;
        }
        let Some(source) = manager.string(key).filter(|s| !s.is_empty()) else {
            continue;
        };
        let mut text = source.to_string();
        let passes = if version.is_44_generation() { 1 } else { 3 };
        for _ in 0..passes {
            let rendered = Template::parse(&text, dialect).and_then(|template| {
                if version.is_44_generation() {
                    Ok(String::new())
                } else {
                    template.render(&Context::new())
                }
            });
            match rendered {
                Ok(next) => text = next,
                Err(error) if error.unsupported => break,
                Err(error) => {
                    say(
                        format!("{} ({})", invalid(key), error.reason),
                        Source::Renovate,
                    );
                    break;
                }
            }
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
    use crate::version::RenovateVersion;
    use std::path::Path;

    fn messages_for(manager: serde_json::Value, version: RenovateVersion) -> Vec<String> {
        let text = serde_json::json!({"customManagers": [manager]}).to_string();
        let config =
            crate::resolve::parse(Path::new("renovate.json"), text.into_bytes(), version).unwrap();
        validate(&config).into_iter().map(|m| m.message).collect()
    }

    /// As the generation the manager's file patterns are written for.
    fn messages(manager: serde_json::Value) -> Vec<String> {
        let version = if manager.get("fileMatch").is_some() {
            RenovateVersion::V39
        } else {
            RenovateVersion::CURRENT
        };
        messages_for(manager, version)
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
        // 39 knows no managerFilePatterns.
        let found = messages_for(
            serde_json::json!({"customType": "regex", "managerFilePatterns": ["/x/"], "matchStrings": ["x"]}),
            RenovateVersion::V39,
        );
        assert_eq!(
            found[0],
            "Custom Manager contains disallowed fields: managerFilePatterns"
        );
    }

    #[test]
    fn missing_fields_use_each_versions_messages() {
        let manager = serde_json::json!({"customType": "regex", "fileMatch": ["x"], "matchStrings": ["(?<x>y)"]});
        assert_eq!(
            messages_for(manager.clone(), RenovateVersion::V39),
            [
                "Regex Managers must contain currentValueTemplate configuration or regex group named currentValue",
                "Regex Managers must contain datasourceTemplate configuration or regex group named datasource",
                "Regex Managers must contain depName or packageName regex groups or templates",
            ]
        );
        assert_eq!(
            messages_for(manager, RenovateVersion::CURRENT),
            [
                "Regex Managers must contain datasourceTemplate configuration or regex group named datasource",
                "Regex Managers must contain currentValue or currentDigest, their template variants (currentValueTemplate or currentDigestTemplate) or regex groups named after configuration fields",
                "Regex Managers must contain depName or packageName regex groups or templates",
            ]
        );
        // 44 accepts a digest alone; 39 does not.
        let digest_only = serde_json::json!({"fileMatch": ["x"], "matchStrings": ["(?<depName>a)@(?<currentDigest>b)"], "datasourceTemplate": "docker"});
        assert!(messages_for(digest_only.clone(), RenovateVersion::CURRENT).is_empty());
        assert_eq!(messages_for(digest_only, RenovateVersion::V39).len(), 1);
        // An empty customType stays empty through migration; a missing one is supplied.
        assert_eq!(
            messages(serde_json::json!({"customType": "", "matchStrings": ["x"]})),
            ["Each Custom Manager must contain a non-empty customType string"]
        );
        assert_eq!(
            messages(serde_json::json!({"customType": "regex", "matchStrings": ["x"]})),
            ["Each Custom Manager must contain a non-empty managerFilePatterns array"]
        );
        assert_eq!(
            messages_for(
                serde_json::json!({"customType": "regex", "matchStrings": ["x"]}),
                RenovateVersion::V39
            ),
            ["Each Custom Manager must contain a non-empty fileMatch array"]
        );
        assert_eq!(
            messages(serde_json::json!({"customType": "bogus"})),
            ["Invalid customType: bogus. Key is not a custom manager"]
        );
    }

    #[test]
    fn migrated_configs_validate_as_renovate_validates_them() {
        // A string fileMatch and no customType: migration fixes both, in both versions.
        let manager = serde_json::json!({"fileMatch": "^.cirrus.yml$", "matchStrings": ["(?<depName>\\S+):(?<currentValue>\\S+)"], "datasourceTemplate": "docker"});
        assert!(messages_for(manager.clone(), RenovateVersion::V39).is_empty());
        assert!(messages_for(manager, RenovateVersion::CURRENT).is_empty());
        let found = messages(
            serde_json::json!({"managerFilePatterns": ["/x/"], "matchStrings": "(?<depName>a)"}),
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("matchStrings is a string"),
            "{found:?}"
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
    fn renovate_44_parses_match_strings_as_a_template() {
        let found = messages(serde_json::json!({
            "managerFilePatterns": ["/x/"], "datasourceTemplate": "docker",
            "matchStrings": ["image: {{ .Values.(?<depName>\\S+) }}:(?<currentValue>\\S+)"]
        }));
        assert!(
            found.iter().any(|m| m
                .starts_with("Invalid template in config path: customManagers[0].matchStrings")),
            "{found:?}"
        );
        // An else-if chain is valid Handlebars: no message.
        assert!(messages(serde_json::json!({
            "managerFilePatterns": ["/x/"], "datasourceTemplate": "docker",
            "matchStrings": ["(?<depName>\\S+):(?<currentValue>\\S+) (?<depType>\\w)"],
            "depTypeTemplate": "{{#if (equals depType 'a')}}x{{else if (equals depType 'b')}}y{{else}}z{{/if}}"
        })).is_empty());
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

    #[test]
    fn a_regex_managers_list_beside_custom_managers_is_named() {
        let text = r#"{"customManagers": [], "regexManagers": [{"fileMatch": ["x"], "matchStrings": ["y"]}]}"#;
        let config = crate::resolve::parse(
            Path::new("renovate.json"),
            text.as_bytes().to_vec(),
            RenovateVersion::CURRENT,
        )
        .unwrap();
        let found = validate(&config);
        assert_eq!(found[0].source, Source::Pitfall);
        assert!(found[0].message.contains("never run"), "{found:?}");
    }
}
