//! Conformance with real Renovate: for every scenario under fixtures/ (a folder with a
//! Renovate config and a vars.yml), `img-mirror extract --format json` must give the
//! same deps, fields and order as Renovate's own `extractPackageFile`, for the package
//! file alone (`--vars`) and for the whole repository (each manager's files chosen by
//! Renovate's own `getMatchingFiles`, file by file), after Renovate's
//! own config parsing and migration, run with RE2 loaded, in Renovate 39.264.1 and
//! 44.121.2 (img-mirror told which with `--renovate-version`). Each
//! Renovate and its Node are installed once per machine (tests/tools/renovate.sh); a
//! machine that cannot reach npm fails this test loudly.

use std::path::{Path, PathBuf};

use crate::common::renovate::{Renovate, VERSIONS};
use crate::common::{fixtures, run};

/// The file a scenario's managers read: `vars.yml`, or the one its `package-file` names
/// (Renovate's own spec cases read Dockerfiles, JSON and Gradle files).
fn package_file(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("package-file"))
        .map_or_else(|_| "vars.yml".to_string(), |name| name.trim().to_string())
}

/// Whether a scenario is compared with this Renovate: all are, unless the scenario's
/// `renovate-versions` lists the ones whose behaviour it needs.
fn runs_on(dir: &Path, version: &str) -> bool {
    std::fs::read_to_string(dir.join("renovate-versions")).map_or(true, |versions| {
        versions.split_whitespace().any(|v| v == version)
    })
}

/// Every folder below fixtures/ with a Renovate config and its package file.
fn scenarios() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![fixtures()];
    while let Some(dir) = stack.pop() {
        if dir.join(package_file(&dir)).is_file()
            && img_mirror::renovate::config::find_config(&dir).is_some()
        {
            found.push(dir.clone());
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

fn scenario_name(dir: &Path) -> String {
    dir.strip_prefix(fixtures())
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn renovate_results(renovate: &Renovate, scenarios: &[PathBuf]) -> serde_json::Value {
    use base64::Engine;
    let version: img_mirror::renovate::version::RenovateVersion = renovate.version.parse().unwrap();
    let input: Vec<_> = scenarios
        .iter()
        .map(|dir| {
            let config = img_mirror::renovate::config::find_config_for(dir, version).unwrap();
            // The package file's bytes, which need not be UTF-8: Renovate decodes them.
            let content = std::fs::read(dir.join(package_file(dir))).unwrap();
            // Every file of the scenario's repository, as `extract` walks it.
            let files: Vec<serde_json::Value> = img_mirror::template_refs::walk(dir, &|_| true)
                .files
                .iter()
                .map(|file| {
                    let bytes = std::fs::read(dir.join(file)).unwrap();
                    serde_json::json!({
                        "packageFile": file,
                        "contentBase64": base64::engine::general_purpose::STANDARD.encode(bytes),
                    })
                })
                .collect();
            serde_json::json!({
                "name": scenario_name(dir),
                "configPath": config.to_string_lossy(),
                "configText": std::fs::read_to_string(&config).unwrap(),
                "packageFile": package_file(dir),
                "contentBase64": base64::engine::general_purpose::STANDARD.encode(content),
                "files": files,
            })
        })
        .collect();
    renovate.batch("renovate-extract.js", &serde_json::Value::Array(input))
}

/// `img-mirror extract` on the scenario: its package file alone (`--vars`), or the
/// whole repository.
fn ours(dir: &Path, version: &str, whole_repository: bool) -> serde_json::Value {
    let vars = dir.join(package_file(dir));
    let mut args = vec![
        "extract",
        "--repo",
        dir.to_str().unwrap(),
        "--renovate-version",
        version,
        "--format",
        "json",
    ];
    if !whole_repository {
        args.extend(["--vars", vars.to_str().unwrap()]);
    }
    let output = run(&args);
    if output.status.code() == Some(2) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("renovate.json")
                || stderr.contains(".renovaterc")
                || stderr.contains("package.json"),
            "{}: {stderr}",
            dir.display()
        );
        return serde_json::json!({"error": "config"});
    }
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn extraction_matches_renovate_on_every_scenario() {
    let scenarios = scenarios();
    assert!(scenarios.len() >= 20, "only {} scenarios", scenarios.len());
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let theirs = renovate_results(&renovate, &scenarios);
        for dir in scenarios.iter().filter(|dir| runs_on(dir, version)) {
            compared += 1;
            let name = scenario_name(dir);
            let result = &theirs[&name];
            let (file, repository) = match result.get("error") {
                Some(_) => (result.clone(), result.clone()),
                None => (
                    serde_json::json!({"regex": result["regex"]}),
                    result["repository"].clone(),
                ),
            };
            for (what, expected, found) in [
                ("the package file", file, ours(dir, version, false)),
                ("the whole repository", repository, ours(dir, version, true)),
            ] {
                if found != expected {
                    mismatches.push(format!(
                        "Renovate {version}, {name}, {what}:\n  renovate:   {expected}\n  img-mirror: {found}"
                    ));
                }
            }
        }
    }
    eprintln!(
        "{compared} scenario runs compared over {} scenarios",
        scenarios.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {compared} scenario runs differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn renovate_validates_the_preset_for_its_own_version() {
    for (version, preset) in [
        ("39.264.1", "renovate/renovate-39.json"),
        ("44.121.2", "renovate/default.json"),
    ] {
        let renovate = Renovate::get(version);
        let repo = tempfile::tempdir().unwrap();
        let preset_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(preset);
        std::fs::copy(&preset_path, repo.path().join("renovate.json")).unwrap();
        let output = renovate
            .node()
            .arg(renovate.bin("renovate-config-validator"))
            .arg("--strict")
            .current_dir(repo.path())
            .env("LOG_LEVEL", "info")
            .output()
            .expect("renovate-config-validator runs");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "Renovate {version} rejects {preset}:\n{log}"
        );
        assert!(log.contains("Config validated successfully"), "{log}");
    }
}
