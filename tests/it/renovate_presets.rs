//! Renovate's built-in presets, as Renovate resolves them: the tables img-mirror ships
//! (crates/renovate-regex/src/presets/builtin-*.json) are what tests/conformance/renovate-presets.js
//! reads out of each installed Renovate today, and img-mirror's resolution of every
//! built-in preset (alone, through its aliases, and with `ignorePresets`) gives the
//! custom managers and `ignorePaths` Renovate's own `resolveConfigPresets` gives.

use std::path::Path;

use crate::common::renovate::{Renovate, VERSIONS};
use img_mirror::renovate::package_rules::{DepFacts, stops};
use img_mirror::renovate::presets::{PresetSources, resolve};
use img_mirror::renovate::version::RenovateVersion;

/// Runs tests/conformance/renovate-presets.js with `renovate`, and its output.
fn presets_script(renovate: &Renovate, configs: Option<&Path>) -> Vec<u8> {
    renovate.script("renovate-presets.js", configs.as_slice())
}

fn shipped(version: RenovateVersion) -> serde_json::Value {
    let name = if version.is_44_generation() {
        "builtin-44.json"
    } else {
        "builtin-39.json"
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/renovate-regex/src/presets")
        .join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Deps a regex manager could extract: a docker image, a dev npm dep, a maven one.
fn sample_deps() -> Vec<DepFacts<'static>> {
    let dep =
        |name: &'static str, datasource: &'static str, dep_type: Option<&'static str>| DepFacts {
            dep_name: Some(name),
            package_name: Some(name),
            datasource: Some(datasource),
            package_file: "vars.yml",
            current_value: Some("1.2.3"),
            dep_type,
        };
    vec![
        dep("grafana/grafana", "docker", None),
        dep("@types/node", "npm", Some("devDependencies")),
        dep(
            "org.eclipse.m2e:lifecycle-mapping",
            "maven",
            Some("parent-root"),
        ),
    ]
}

#[test]
fn the_shipped_preset_tables_are_renovates_own() {
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let theirs: serde_json::Value =
            serde_json::from_slice(&presets_script(&renovate, None)).unwrap();
        assert_eq!(
            theirs,
            shipped(version.parse().unwrap()),
            "Renovate {version}'s presets differ from the shipped table: regenerate it with tests/conformance/renovate-presets.js"
        );
    }
}

#[test]
fn built_in_presets_resolve_as_renovate_resolves_them() {
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let ours_version: RenovateVersion = version.parse().unwrap();
        let table = shipped(ours_version);
        let mut configs: Vec<serde_json::Value> = table["internal"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|name| name.as_str() != Some(":group"))
            .map(|name| serde_json::json!({ "extends": [name] }))
            .collect();
        for alias in table["aliases"].as_object().unwrap().keys() {
            configs.push(serde_json::json!({ "extends": [alias] }));
        }
        configs.push(serde_json::json!({"extends": ["config:recommended"], "ignorePresets": [":ignoreModulesAndTests"]}));
        configs.push(serde_json::json!({"extends": ["config:recommended"], "ignorePresets": ["replacements:all"]}));
        configs
            .push(serde_json::json!({"extends": ["config:best-practices", ":includeNodeModules"]}));
        configs.push(serde_json::json!({"extends": ["customManagers:dockerfileVersions", "config:recommended"], "ignorePaths": ["x/**"],
            "customManagers": [{"customType": "regex", "fileMatch": ["own"], "matchStrings": ["(?<depName>a)(?<currentValue>b)"], "datasourceTemplate": "docker"}]}));
        let input = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(input.path(), serde_json::to_vec(&configs).unwrap()).unwrap();
        let theirs: Vec<serde_json::Value> =
            serde_json::from_slice(&presets_script(&renovate, Some(input.path()))).unwrap();
        let mut differences = Vec::new();
        let mut compared = 0;
        for (config, expected) in configs.iter().zip(&theirs) {
            if expected.get("error").is_some() {
                continue;
            }
            compared += 1;
            let serde_json::Value::Object(root) = config.clone() else {
                unreachable!()
            };
            let migrated = img_mirror::renovate::migrate::migrate(&root, ours_version).root;
            let resolved = resolve(&migrated, ours_version, &PresetSources::default());
            let found = serde_json::json!({
                "customManagers": resolved.root.get("customManagers").cloned().unwrap_or(serde_json::json!([])),
                "ignorePaths": resolved.root.get("ignorePaths").cloned().unwrap_or(serde_json::Value::Null),
            });
            let expected_layout = serde_json::json!({
                "customManagers": expected["customManagers"],
                "ignorePaths": expected["ignorePaths"],
            });
            // What stops updates: the same stops for sample deps on Renovate's resolved
            // settings and on img-mirror's.
            let serde_json::Value::Object(their_stops) = expected["stops"].clone() else {
                panic!("stops is an object: {expected}")
            };
            let stops_differ = sample_deps()
                .iter()
                .any(|dep| stops(&resolved.root, dep) != stops(&their_stops, dep));
            if found != expected_layout || stops_differ || !resolved.unresolved.is_empty() {
                differences.push(format!("Renovate {version}, {config}:\n  renovate:   {expected}\n  img-mirror: {found} {:?}", resolved.unresolved));
            }
        }
        eprintln!("presets, Renovate {version}: {compared} configs resolved alike");
        assert!(compared > 1000, "only {compared} configs compared");
        assert!(
            differences.is_empty(),
            "{} differ:\n{}",
            differences.len(),
            differences.join("\n")
        );
    }
}
