//! Conformance with real Renovate: for every scenario under fixtures/ (a folder with a
//! Renovate config and a vars.yml), `img-mirror extract --format json` must give the
//! same deps, fields and order as Renovate 39.264.1's own `extractPackageFile`, run
//! with RE2 loaded. Installs Renovate from npm on first use (about 3 minutes) into
//! target/tmp; a machine that cannot reach npm fails this test loudly.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{fixtures, run};

const RENOVATE_VERSION: &str = "39.264.1";

/// Renovate installed once per test run: the tests in this file run in parallel, and
/// two `npm install`s into one folder would break re2's native build.
fn renovate_prefix() -> PathBuf {
    static PREFIX: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PREFIX.get_or_init(install_renovate).clone()
}

fn install_renovate() -> PathBuf {
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("renovate-conformance");
    let manifest = prefix.join("node_modules/renovate/package.json");
    let installed = std::fs::read_to_string(&manifest)
        .is_ok_and(|text| text.contains(&format!("\"version\": \"{RENOVATE_VERSION}\"")));
    if !installed {
        std::fs::create_dir_all(&prefix).unwrap();
        let output = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(&prefix)
            .arg(format!("renovate@{RENOVATE_VERSION}"))
            .output()
            .expect("npm is needed for the Renovate conformance test (Debian: nodejs, npm)");
        assert!(
            output.status.success(),
            "npm install renovate@{RENOVATE_VERSION} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // An install interrupted earlier can leave re2 unbuilt: rebuild it rather than let
    // Renovate fall back to JavaScript regexes (the harness refuses to run then).
    let re2 = prefix.join("node_modules/re2");
    let loads = |dir: &Path| {
        Command::new("node")
            .arg("-e")
            .arg(format!("require({:?})", dir.display().to_string()))
            .status()
            .is_ok_and(|s| s.success())
    };
    if !loads(&re2) {
        let output = Command::new("npm")
            .args(["rebuild", "re2", "--loglevel=error", "--prefix"])
            .arg(&prefix)
            .output()
            .expect("npm runs");
        assert!(
            output.status.success() && loads(&re2),
            "re2 does not build, so Renovate would not use RE2:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    prefix
}

/// Every folder below fixtures/ with both a Renovate config and a vars.yml.
fn scenarios() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![fixtures()];
    while let Some(dir) = stack.pop() {
        if dir.join("vars.yml").is_file()
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

fn renovate_results(prefix: &Path, scenarios: &[PathBuf]) -> serde_json::Value {
    let input: Vec<_> = scenarios
        .iter()
        .map(|dir| {
            let config = img_mirror::renovate::config::find_config(dir).unwrap();
            serde_json::json!({
                "name": scenario_name(dir),
                "configPath": config.to_string_lossy(),
                "configText": std::fs::read_to_string(&config).unwrap(),
                "packageFile": "vars.yml",
                "content": std::fs::read_to_string(dir.join("vars.yml")).unwrap(),
            })
        })
        .collect();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/renovate-extract.js");
    let results = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new("node")
        .arg(script)
        .arg(prefix)
        .arg(results.path())
        .env("LOG_LEVEL", "fatal")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    serde_json::to_writer(child.stdin.take().unwrap(), &input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "Renovate's extraction failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&std::fs::read(results.path()).unwrap()).unwrap()
}

fn ours(dir: &Path) -> serde_json::Value {
    let output = run(&[
        "extract",
        "--repo",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    if output.status.code() == Some(2) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("invalid JSON"),
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
    let prefix = renovate_prefix();
    let theirs = renovate_results(&prefix, &scenarios);
    let mut mismatches = Vec::new();
    for dir in &scenarios {
        let name = scenario_name(dir);
        let expected = &theirs[&name];
        let found = ours(dir);
        if &found != expected {
            mismatches.push(format!(
                "{name}:\n  renovate:   {expected}\n  img-mirror: {found}"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} scenarios differ:\n{}",
        mismatches.len(),
        scenarios.len(),
        mismatches.join("\n")
    );
}

#[test]
fn renovate_validates_the_preset_for_its_own_version() {
    let prefix = renovate_prefix();
    let repo = tempfile::tempdir().unwrap();
    let preset = Path::new(env!("CARGO_MANIFEST_DIR")).join("renovate/renovate-39.json");
    std::fs::copy(&preset, repo.path().join("renovate.json")).unwrap();
    let output = Command::new(prefix.join("node_modules/.bin/renovate-config-validator"))
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
        "Renovate {RENOVATE_VERSION} rejects renovate/renovate-39.json:\n{log}"
    );
    assert!(log.contains("Config validated successfully"), "{log}");
}
