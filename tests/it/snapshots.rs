//! What users read, pinned: `check`'s human output and JSON lines on every fixture, and
//! `extract`'s human table on every Renovate scenario. A change of wording or shape
//! fails here until the snapshot under tests/it/snapshots/ is reviewed and updated
//! (`INSTA_UPDATE=always cargo test --test it snapshots`, then read the diff).

use std::path::Path;

use crate::common::img_mirror;

/// `img-mirror ARGS` run from the crate root, so paths in the output are relative.
fn output_of(args: &[&str]) -> String {
    let output = img_mirror()
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    format!(
        "exit {}\n{}{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn folders(under: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(under);
    let mut names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn check_output_on_every_fixture() {
    let mut scenarios: Vec<String> = folders("fixtures/check")
        .into_iter()
        .map(|name| format!("fixtures/check/{name}"))
        .collect();
    scenarios.push("fixtures/deployment-all".into());
    for repo in scenarios {
        let human = output_of(&["check", "--repo", &repo]);
        let json = output_of(&["check", "--repo", &repo, "--format", "json"]);
        let name = repo.replace('/', "__");
        insta::assert_snapshot!(
            name,
            format!(
                "$ img-mirror check --repo {repo}\n{human}\n$ img-mirror check --repo {repo} --format json\n{json}"
            )
        );
    }
}

#[test]
fn extract_tables_on_every_renovate_scenario() {
    for name in folders("fixtures/renovate") {
        let repo = format!("fixtures/renovate/{name}");
        let table = output_of(&["extract", "--repo", &repo]);
        insta::assert_snapshot!(
            format!("extract__{name}"),
            format!("$ img-mirror extract --repo {repo}\n{table}")
        );
    }
}

#[test]
fn explain_text_of_every_code() {
    insta::assert_snapshot!("explain", output_of(&["explain"]));
}
