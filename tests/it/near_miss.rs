//! IM218 near misses on lines taken from real Renovate configs (fixtures/near-miss): each
//! broken line is reported at its exact line and column with its exact explanation, and
//! the same manager on the fixed line extracts a dep and reports nothing. The cases the
//! rule does not catch are kept beside them (not-reported.json) and must stay silent, so
//! that a change in what it catches is a decision, not an accident.

use std::path::Path;

use crate::common::{fixtures, json_lines, run};

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    file: String,
    manager: serde_json::Value,
    broken: String,
    fixed: String,
    #[serde(default)]
    near_misses: Vec<Expected>,
}

#[derive(serde::Deserialize, Debug, PartialEq, Eq)]
struct Expected {
    line: u64,
    column: u64,
    message: String,
}

fn cases(name: &str) -> Vec<Case> {
    let path = fixtures().join("near-miss").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// A repository of the case's manager and its file holding `text`.
fn repository(case: &Case, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = serde_json::json!({ "customManagers": [case.manager] });
    std::fs::write(dir.path().join("renovate.json"), config.to_string()).unwrap();
    let file = dir.path().join(&case.file);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
    dir
}

fn near_misses(repo: &Path) -> Vec<Expected> {
    let output = run(&[
        "check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    json_lines(&output)
        .into_iter()
        .filter(|finding| finding["code"] == "IM218")
        .map(|finding| Expected {
            line: finding["line"].as_u64().unwrap(),
            column: finding["column"].as_u64().unwrap(),
            message: finding["message"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn deps(repo: &Path) -> usize {
    let output = run(&[
        "extract",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let extraction: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    extraction["regex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["deps"].as_array().map_or(0, Vec::len))
        .sum()
}

#[test]
fn each_real_miss_is_reported_where_the_match_gave_up_and_its_fix_extracts() {
    let cases = cases("reported.json");
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let broken = repository(case, &case.broken);
        let found = near_misses(broken.path());
        if found != case.near_misses {
            failures.push(format!(
                "{}: expected {:#?}\nfound {found:#?}",
                case.name, case.near_misses
            ));
        }
        let fixed = repository(case, &case.fixed);
        let found = near_misses(fixed.path());
        if !found.is_empty() {
            failures.push(format!("{}, fixed: still reports {found:#?}", case.name));
        }
        if deps(fixed.path()) == 0 {
            failures.push(format!("{}, fixed: extracts no dep", case.name));
        }
        if deps(broken.path()) != 0 {
            failures.push(format!("{}: the broken line extracts a dep", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_misses_it_does_not_catch_stay_silent() {
    let cases = cases("not-reported.json");
    for case in &cases {
        let broken = repository(case, &case.broken);
        assert_eq!(near_misses(broken.path()), [], "{}", case.name);
    }
}

#[test]
fn a_suppression_on_the_line_silences_it_even_in_a_readme() {
    let case = Case {
        name: "readme".into(),
        file: "README.md".into(),
        manager: serde_json::json!({
            "customType": "regex",
            "managerFilePatterns": ["/(^|/)README\\.md$/"],
            "matchStrings": ["# renovate: datasource=(?<datasource>\\S+) depName=(?<depName>\\S+)\\n\\S+_VERSION=(?<currentValue>\\S+)"],
        }),
        broken: String::new(),
        fixed: String::new(),
        near_misses: Vec::new(),
    };
    let readme = "# Tools\n\nWrite the comment like this:\n\n```sh\n# renovate: datasource=github-releases depname=owner/repo\nTOOL_VERSION=1.2.3\n```\n";
    let repo = repository(&case, readme);
    let found = near_misses(repo.path());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].line, found[0].column), (6, 40));
    assert!(
        found[0]
            .message
            .contains("expected `depName=`, found `depname=`"),
        "{}",
        found[0].message
    );
    let suppressed = readme.replace(
        "depname=owner/repo",
        "depname=owner/repo # img-mirror: ignore IM218",
    );
    let repo = repository(&case, &suppressed);
    assert_eq!(near_misses(repo.path()), []);
}

#[test]
fn vars_yml_sections_beside_images_yield_none() {
    let repo = fixtures().join("check").join("im218-near-miss");
    let output = run(&[
        "check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let findings = json_lines(&output);
    let near: Vec<_> = findings
        .iter()
        .filter(|finding| finding["code"] == "IM218")
        .collect();
    // One in the Dockerfile, none in vars.yml, whose other sections hold URLs, booleans,
    // e-mail addresses, cron lines and paths that `\n  [A-Za-z_]+: ` gets into.
    assert_eq!(near.len(), 1, "{near:#?}");
    assert!(near[0]["path"].as_str().unwrap().ends_with("Dockerfile"));
    // The IMAGES entry without its digest is IM205's, with the same explanation.
    let missed = findings
        .iter()
        .find(|finding| finding["code"] == "IM205")
        .expect("IM205 for the entry without a digest");
    let message = missed["message"].as_str().unwrap();
    assert!(
        message.contains(
            "read `depName` = `grafana/grafana`, `currentValue` = `11.2.0`, then stopped at line"
        ),
        "{message}"
    );
}
