//! What Renovate does to a repository config before it validates it:
//! `migrateConfig` and then `massageConfig`, for the options a regex manager depends
//! on. Each step names the Renovate code it reproduces; both generations run them,
//! except where the step says otherwise.

use serde_json::{Map, Value};

use super::version::RenovateVersion;

/// One change Renovate makes to the config as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Where, as written: `regexManagers[0].fileMatch`.
    pub key_path: String,
    pub change: String,
}

/// The config as Renovate validates and runs it, and what changed.
#[derive(Debug, Clone)]
pub struct Migrated {
    pub root: Map<String, Value>,
    pub migrations: Vec<Migration>,
    /// Where each element of the migrated `customManagers` was written.
    pub written_at: Vec<String>,
}

/// `migrateConfig` then `massageConfig`, as far as they touch custom managers and the
/// settings that decide whether their deps are updated.
pub fn migrate(root: &Map<String, Value>, version: RenovateVersion) -> Migrated {
    let mut root = root.clone();
    let mut migrations = Vec::new();
    let mut note =
        |key_path: String, change: String| migrations.push(Migration { key_path, change });

    // renamedProperties ['regexManagers', 'customManagers'] with setSafely: the old
    // key is dropped, and kept only where the new one is absent.
    let mut written_at = Vec::new();
    if let Some(legacy) = root.remove("regexManagers") {
        if root.contains_key("customManagers") {
            note(
                "regexManagers".into(),
                "dropped: Renovate renames it to customManagers, which is already set, so its managers never run".into(),
            );
        } else {
            note("regexManagers".into(), "renamed to customManagers".into());
            let count = legacy.as_array().map_or(0, Vec::len);
            written_at = (0..count).map(|i| format!("regexManagers[{i}]")).collect();
            root.insert("customManagers".into(), legacy);
        }
    }
    if written_at.is_empty()
        && let Some(Value::Array(managers)) = root.get("customManagers")
    {
        written_at = (0..managers.len())
            .map(|i| format!("customManagers[{i}]"))
            .collect();
    }
    if let Some(Value::Array(managers)) = root.get_mut("customManagers") {
        for (manager, written) in managers.iter_mut().zip(&written_at) {
            if let Value::Object(object) = manager {
                migrate_manager(object, version, written, &mut note);
            }
        }
    }

    // ExtendsMigration: a string becomes a list.
    if let Some(Value::String(preset)) = root.get("extends").cloned() {
        root.insert("extends".into(), Value::Array(vec![Value::String(preset)]));
        note(
            "extends".into(),
            "a string becomes a one-element list".into(),
        );
    }
    if let Some(Value::Array(rules)) = root.get_mut("packageRules") {
        for (index, rule) in rules.iter_mut().enumerate() {
            if let Value::Object(rule) = rule {
                migrate_package_rule(rule, &format!("packageRules[{index}]"), &mut note);
            }
        }
    }
    // EnabledManagersMigration: `regex` is `custom.regex`, `yarn` is `npm`.
    if let Some(Value::Array(managers)) = root.get_mut("enabledManagers")
        && managers.iter().all(Value::is_string)
    {
        for manager in managers.iter_mut() {
            let renamed = match manager.as_str() {
                Some("regex") => "custom.regex",
                Some("yarn") => "npm",
                _ => continue,
            };
            note("enabledManagers".into(), format!("{manager} is {renamed}"));
            *manager = Value::String(renamed.into());
        }
    }
    Migrated {
        root,
        migrations,
        written_at,
    }
}

/// PackageRulesMigration (renamed matchers, legacy patterns, prefixes and excludes
/// merged into matchPackageNames/matchDepNames) and MatchManagersMigration, the same
/// in 39 and 44.
fn migrate_package_rule(
    rule: &mut Map<String, Value>,
    at: &str,
    note: &mut impl FnMut(String, String),
) {
    for (old, new) in [
        ("packagePatterns", "matchPackagePatterns"),
        ("packageNames", "matchPackageNames"),
        ("managers", "matchManagers"),
        ("datasources", "matchDatasources"),
        ("matchPaths", "matchFileNames"),
        ("matchFiles", "matchFileNames"),
        ("paths", "matchFileNames"),
        ("languages", "matchCategories"),
        ("matchLanguages", "matchCategories"),
        ("baseBranchList", "matchBaseBranches"),
        ("depTypeList", "matchDepTypes"),
        ("updateTypes", "matchUpdateTypes"),
    ] {
        if let Some(value) = rule.remove(old) {
            note(format!("{at}.{old}"), format!("renamed to {new}"));
            rule.entry(new.to_string()).or_insert(value);
        }
    }
    let strings = |value: Option<Value>| -> Vec<String> {
        match value {
            Some(Value::Array(items)) => items
                .into_iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(one)) => vec![one],
            _ => Vec::new(),
        }
    };
    for (target, patterns, prefixes, exclude_names, exclude_patterns, exclude_prefixes) in [
        (
            "matchPackageNames",
            "matchPackagePatterns",
            "matchPackagePrefixes",
            "excludePackageNames",
            "excludePackagePatterns",
            "excludePackagePrefixes",
        ),
        (
            "matchDepNames",
            "matchDepPatterns",
            "matchDepPrefixes",
            "excludeDepNames",
            "excludeDepPatterns",
            "excludeDepPrefixes",
        ),
    ] {
        let mut added: Vec<String> = Vec::new();
        for p in strings(rule.remove(patterns)) {
            added.push(if p == "*" { p } else { format!("/{p}/") });
        }
        for p in strings(rule.remove(prefixes)) {
            added.push(format!("{p}{{/,}}**"));
        }
        for p in strings(rule.remove(exclude_names)) {
            added.push(format!("!{p}"));
        }
        for p in strings(rule.remove(exclude_patterns)) {
            added.push(format!("!/{p}/"));
        }
        for p in strings(rule.remove(exclude_prefixes)) {
            added.push(format!("!{p}{{/,}}**"));
        }
        if !added.is_empty() {
            note(
                format!("{at}.{target}"),
                format!("legacy matchers merged in as {}", added.join(", ")),
            );
            let mut merged = strings(rule.remove(target));
            merged.extend(added);
            rule.insert(
                target.to_string(),
                Value::Array(merged.into_iter().map(Value::String).collect()),
            );
        }
    }
    if let Some(Value::Array(managers)) = rule.get_mut("matchManagers")
        && managers.iter().all(Value::is_string)
    {
        for manager in managers.iter_mut() {
            if manager.as_str() == Some("regex") {
                note(
                    format!("{at}.matchManagers"),
                    "regex is custom.regex".into(),
                );
                *manager = Value::String("custom.regex".into());
            }
        }
    }
}

fn migrate_manager(
    object: &mut Map<String, Value>,
    version: RenovateVersion,
    written: &str,
    note: &mut impl FnMut(String, String),
) {
    // CustomManagersMigration: `Object.assign({customType: 'regex'}, mgr)` for a
    // manager whose customType is falsy; a written `""` or null is copied back.
    if !object.get("customType").is_some_and(truthy) {
        let mut with_type = Map::new();
        with_type.insert(
            "customType".into(),
            object
                .get("customType")
                .cloned()
                .unwrap_or(Value::String("regex".into())),
        );
        if !object.contains_key("customType") {
            note(format!("{written}.customType"), "added as \"regex\"".into());
        }
        with_type.extend(std::mem::take(object));
        *object = with_type;
    }
    // renamedProperties ['lookupNameTemplate', 'packageNameTemplate'] (setSafely).
    if let Some(old) = object.remove("lookupNameTemplate") {
        if object.contains_key("packageNameTemplate") {
            note(
                format!("{written}.lookupNameTemplate"),
                "dropped: packageNameTemplate is already set".into(),
            );
        } else {
            note(
                format!("{written}.lookupNameTemplate"),
                "renamed to packageNameTemplate".into(),
            );
            object.insert("packageNameTemplate".into(), old);
        }
    }
    // migrateConfig's string rewrites, on every string option (not list elements),
    // repeated by its fixed-point loop until nothing changes.
    for (key, value) in object.iter_mut() {
        if let Value::String(text) = value {
            let rewritten = rewrite_template_names(text);
            if &rewritten != text {
                note(
                    format!("{written}.{key}"),
                    format!("rewritten to {rewritten:?}"),
                );
                *text = rewritten;
            }
        }
    }
    // MatchStringsMigration: empty strings (and non-strings) removed, `(?<lookupName>`
    // is `(?<packageName>`. A string is left alone: validation then fails on it.
    if let Some(Value::Array(strings)) = object.get_mut("matchStrings") {
        let before = strings.len();
        strings.retain(|s| s.as_str().is_some_and(|s| !s.is_empty()));
        if strings.len() != before {
            note(
                format!("{written}.matchStrings"),
                format!(
                    "{} empty or non-string items removed",
                    before - strings.len()
                ),
            );
        }
        for string in strings.iter_mut() {
            if let Value::String(text) = string
                && text.contains("(?<lookupName>")
            {
                *text = text.replace("(?<lookupName>", "(?<packageName>");
                note(
                    format!("{written}.matchStrings"),
                    "(?<lookupName> is (?<packageName>".into(),
                );
            }
        }
    }
    if version.has_manager_file_patterns() {
        // FileMatchMigration (40.2 and later): each fileMatch regex R is appended to
        // managerFilePatterns as `/R/`, unescaped; a managerFilePatterns that is not a
        // list is lost (coerceArray); fileMatch is deleted either way.
        if let Some(file_match) = object.remove("fileMatch") {
            let patterns: Option<Vec<String>> = match &file_match {
                Value::String(one) => Some(vec![one.clone()]),
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => None,
            };
            if let Some(patterns) = patterns {
                let mut merged: Vec<Value> = match object.get("managerFilePatterns") {
                    Some(Value::Array(existing)) => existing.clone(),
                    _ => Vec::new(),
                };
                if object
                    .get("managerFilePatterns")
                    .is_some_and(Value::is_string)
                {
                    note(
                        format!("{written}.managerFilePatterns"),
                        "lost: a string managerFilePatterns beside fileMatch is dropped by Renovate's migration".into(),
                    );
                }
                merged.extend(patterns.iter().map(|p| Value::String(format!("/{p}/"))));
                note(
                    format!("{written}.fileMatch"),
                    format!(
                        "migrated to managerFilePatterns {}",
                        patterns
                            .iter()
                            .map(|p| format!("/{p}/"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                object.insert("managerFilePatterns".into(), Value::Array(merged));
            } else {
                note(
                    format!("{written}.fileMatch"),
                    "dropped: not a list of strings".into(),
                );
            }
        }
        massage_string_to_list(object, "managerFilePatterns", written, note);
    } else {
        massage_string_to_list(object, "fileMatch", written, note);
    }
}

/// massageConfig: an option with `allowString` written as a string is a list.
fn massage_string_to_list(
    object: &mut Map<String, Value>,
    key: &str,
    written: &str,
    note: &mut impl FnMut(String, String),
) {
    if let Some(Value::String(one)) = object.get(key).cloned() {
        object.insert(key.into(), Value::Array(vec![Value::String(one)]));
        note(
            format!("{written}.{key}"),
            "a string becomes a one-element list".into(),
        );
    }
}

/// `{{baseDir}}`, `{{lookupName}}` and `{{depNameShort}}` renamed, then the version
/// names (`fromVersion` is `currentVersion`, ...) rewritten wherever they occur.
fn rewrite_template_names(text: &str) -> String {
    let mut out = text
        .replace("{{baseDir}}", "{{packageFileDir}}")
        .replace("{{lookupName}}", "{{packageName}}")
        .replace("{{depNameShort}}", "{{depName}}");
    for (from, to) in [
        ("fromVersion", "currentVersion"),
        ("newValueMajor", "newMajor"),
        ("newValueMinor", "newMinor"),
        ("newVersionMajor", "newMajor"),
        ("newVersionMinor", "newMinor"),
        ("toVersion", "newVersion"),
    ] {
        out = out.replace(from, to);
    }
    out
}

/// JavaScript's truthiness of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(config: Value, version: RenovateVersion) -> Value {
        let Value::Object(root) = config else {
            panic!()
        };
        Value::Object(migrate(&root, version).root)
    }

    /// The outputs Renovate's own migrateConfig + massageConfig gave for these inputs
    /// (39.264.1 and 44.121.2, run with node).
    #[test]
    fn renovates_own_migrations() {
        let input = json!({"regexManagers": [{"fileMatch": "^.cirrus.yml$", "matchStrings": "x(?<depName>a)", "lookupNameTemplate": "y", "datasourceTemplate": "docker"}]});
        assert_eq!(
            run(input.clone(), RenovateVersion::V39),
            json!({"customManagers": [{"customType": "regex", "fileMatch": ["^.cirrus.yml$"], "matchStrings": "x(?<depName>a)", "packageNameTemplate": "y", "datasourceTemplate": "docker"}]})
        );
        assert_eq!(
            run(input, RenovateVersion::CURRENT),
            json!({"customManagers": [{"customType": "regex", "managerFilePatterns": ["/^.cirrus.yml$/"], "matchStrings": "x(?<depName>a)", "packageNameTemplate": "y", "datasourceTemplate": "docker"}]})
        );
        let both = json!({"customManagers": [{"fileMatch": ["a", "b"], "managerFilePatterns": ["/c/"], "matchStrings": ["x"]}]});
        assert_eq!(
            run(both.clone(), RenovateVersion::CURRENT)["customManagers"][0]["managerFilePatterns"],
            json!(["/c/", "/a/", "/b/"])
        );
        assert_eq!(
            run(both, RenovateVersion::V39)["customManagers"][0]["fileMatch"],
            json!(["a", "b"])
        );
        let lost = json!({"customManagers": [{"managerFilePatterns": "/c/", "fileMatch": ["a"], "matchStrings": ["x"]}]});
        assert_eq!(
            run(lost, RenovateVersion::CURRENT)["customManagers"][0]["managerFilePatterns"],
            json!(["/a/"])
        );
        let strings = json!({"customManagers": [{"customType": "", "matchStrings": ["", "y", "(?<lookupName>z)"], "depNameTemplate": "{{lookupName}}-{{baseDir}}"}]});
        let migrated = run(strings, RenovateVersion::CURRENT);
        assert_eq!(migrated["customManagers"][0]["customType"], json!(""));
        assert_eq!(
            migrated["customManagers"][0]["matchStrings"],
            json!(["y", "(?<packageName>z)"])
        );
        assert_eq!(
            migrated["customManagers"][0]["depNameTemplate"],
            json!("{{packageName}}-{{packageFileDir}}")
        );
        let shadowed = json!({"customManagers": [{"matchStrings": ["c"]}], "regexManagers": [{"matchStrings": ["r"]}], "enabledManagers": ["regex"]});
        let migrated = run(shadowed, RenovateVersion::V39);
        assert_eq!(migrated["customManagers"].as_array().unwrap().len(), 1);
        assert!(migrated.get("regexManagers").is_none());
        assert_eq!(migrated["enabledManagers"], json!(["custom.regex"]));
    }

    #[test]
    fn the_missing_custom_type_goes_first() {
        let Value::Object(root) =
            json!({"customManagers": [{"fileMatch": ["x"], "matchStrings": ["y"]}]})
        else {
            panic!()
        };
        let migrated = migrate(&root, RenovateVersion::V39);
        let manager = migrated.root["customManagers"][0].as_object().unwrap();
        assert_eq!(
            manager.keys().next().map(String::as_str),
            Some("customType")
        );
        assert_eq!(migrated.written_at, ["customManagers[0]"]);
        assert!(
            migrated
                .migrations
                .iter()
                .any(|m| m.key_path == "customManagers[0].customType")
        );
    }
}
