//! Renovate's packageRules, exactly: rules generated from the matchers that decide
//! whether an `IMAGES` entry is updated (managers, package and dep names, datasources,
//! file names, current value, dep types, update types; exact names, globs, `/re/` and
//! `/re/i`, `!` negations, `*`, and the legacy keys migration rewrites) go through
//! Renovate's own migration and `applyPackageRules`, in both versions, and through
//! img-mirror's. For each dep, before lookup and for each update type, they must agree
//! on whether `enabled` ends up false; a case img-mirror says depends on a lookup is
//! counted, not compared.
//!
//! `IMG_MIRROR_RULES_CASES` (default 600) and `IMG_MIRROR_RULES_SEED` make longer runs.

use crate::common::renovate::{Renovate, VERSIONS};
use crate::common::rng::Rng;
use img_mirror::renovate::package_rules::{DepFacts, Policy, UpdateType};
use img_mirror::renovate::version::RenovateVersion;

const DEPS: &[(&str, &str, &str, &str, Option<&str>)] = &[
    ("grafana/grafana", "docker", "vars.yml", "11.2.0", None),
    (
        "ghcr.io/dexidp/dex",
        "docker",
        "deploy/vars.yml",
        "v2.41.1",
        None,
    ),
    (
        "registry.redhat.io/ubi9/ubi",
        "docker",
        "group_vars/all/vars.yml",
        "9.4-1181",
        Some("base"),
    ),
    (
        "helm/helm",
        "github-releases",
        "Dockerfile",
        "v3.16.2",
        Some("tools"),
    ),
];

const MATCHERS: &[(&str, &[&str])] = &[
    (
        "matchManagers",
        &[
            "custom.regex",
            "regex",
            "custom.*",
            "dockerfile",
            "!dockerfile",
            "*",
        ],
    ),
    (
        "matchPackageNames",
        &[
            "grafana/grafana",
            "Grafana/Grafana",
            "grafana/*",
            "grafana*",
            "**/dex",
            "ghcr.io/**",
            "/^grafana\\//",
            "/^GRAFANA/",
            "/^GRAFANA/i",
            "/dex$/",
            "!grafana/grafana",
            "!/^ghcr/",
            "*",
            "registry.redhat.io/{ubi9,ubi8}/*",
            "/(/",
        ],
    ),
    (
        "matchDepNames",
        &[
            "grafana/grafana",
            "grafana",
            "helm/*",
            "!helm/helm",
            "/^reg/",
        ],
    ),
    (
        "matchDatasources",
        &["docker", "!docker", "github-releases", "github-*"],
    ),
    (
        "matchFileNames",
        &[
            "vars.yml",
            "**/vars.yml",
            "*.yml",
            "/vars\\.yml$/",
            "Dockerfile",
            "deploy/**",
        ],
    ),
    ("matchDepTypes", &["base", "tools", "!base"]),
    ("matchUpdateTypes", &["digest", "major", "minor", "patch"]),
    ("matchPackagePatterns", &["^grafana", "dex", "*"]),
    ("excludePackageNames", &["grafana/grafana", "helm/helm"]),
    ("matchPackagePrefixes", &["ghcr.io/", "grafana"]),
];

const CURRENT_VALUES: &[&str] = &["/^11\\./", "11.*", "!/^11/", "/^v/", "v*"];

fn rule(rng: &mut Rng) -> serde_json::Value {
    let mut rule = serde_json::Map::new();
    for _ in 0..1 + rng.below(3) {
        let (key, pool) = MATCHERS[rng.below(MATCHERS.len())];
        let values: Vec<serde_json::Value> = (0..1 + rng.below(3))
            .map(|_| serde_json::Value::String(rng.pick(pool).to_string()))
            .collect();
        rule.insert(key.into(), serde_json::Value::Array(values));
    }
    if rng.chance(15) {
        rule.insert("matchCurrentValue".into(), rng.pick(CURRENT_VALUES).into());
    }
    if rng.chance(8) {
        rule.insert("digest".into(), serde_json::json!({"enabled": false}));
    } else {
        rule.insert("enabled".into(), rng.chance(75).into());
    }
    serde_json::Value::Object(rule)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn package_rules_disable_what_applypackagerules_disables() {
    let count = env_number("IMG_MIRROR_RULES_CASES", 600) as usize;
    let mut rng = Rng(env_number("IMG_MIRROR_RULES_SEED", 0x9a1e_0001));
    let cases: Vec<(usize, serde_json::Value)> = (0..count)
        .map(|_| {
            let rules: Vec<serde_json::Value> =
                (0..1 + rng.below(3)).map(|_| rule(&mut rng)).collect();
            (
                rng.below(DEPS.len()),
                serde_json::json!({ "packageRules": rules }),
            )
        })
        .collect();
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|(dep, config)| {
            let (name, datasource, file, value, dep_type) = DEPS[*dep];
            let mut dep = serde_json::json!({"depName": name, "packageName": name, "datasource": datasource, "packageFile": file, "currentValue": value});
            if let Some(dep_type) = dep_type {
                dep["depType"] = dep_type.into();
            }
            serde_json::json!({"dep": dep, "config": config})
        })
        .collect();
    let mut mismatches = Vec::new();
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let ours_version: RenovateVersion = version.parse().unwrap();
        let theirs: Vec<Vec<bool>> = renovate.batch(
            "renovate-package-rules.js",
            &serde_json::Value::Array(input.clone()),
        );
        let (mut compared, mut undecided) = (0, 0);
        for ((dep, config), expected) in cases.iter().zip(&theirs) {
            let (name, datasource, file, value, dep_type) = DEPS[*dep];
            let facts = DepFacts {
                dep_name: Some(name),
                package_name: Some(name),
                datasource: Some(datasource),
                package_file: file,
                current_value: Some(value),
                dep_type,
            };
            let serde_json::Value::Object(root) = config.clone() else {
                unreachable!()
            };
            let migrated = img_mirror::renovate::migrate::migrate(&root, ours_version).root;
            let stages = std::iter::once(None).chain(UpdateType::ALL.into_iter().map(Some));
            for (stage, expected) in stages.zip(expected) {
                compared += 1;
                match Policy::new(&migrated).disabled_by_rules(&facts, stage) {
                    None => undecided += 1,
                    Some(found) if found == *expected => {}
                    Some(found) => mismatches.push(format!(
                        "Renovate {version}, {name} at {:?}: {config}\n  renovate: enabled={}\n  img-mirror: enabled={}",
                        stage.map(UpdateType::name),
                        !expected,
                        !found
                    )),
                }
            }
        }
        eprintln!(
            "package rules differential, Renovate {version}: {compared} dep-stage cases, {undecided} left to a lookup (not compared)"
        );
        assert_eq!(undecided, 0, "every generated matcher is decidable offline");
    }
    let shown: Vec<&String> = mismatches.iter().take(20).collect();
    assert!(
        mismatches.is_empty(),
        "{} differ:\n{}",
        mismatches.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
