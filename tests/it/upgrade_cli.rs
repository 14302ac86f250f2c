//! `img-mirror diff` and `img-mirror post-upgrade` in a real git repository, the second
//! against real registries, the way Renovate runs it: after auto-replace has written the
//! bump to the working tree.

use std::path::Path;

use crate::common::images::{self, Platform, layer};
use crate::common::world::World;
use crate::common::{git, img_mirror, json_lines, run, stderr, stdout};

const PREFIX: &str = "quay.io/cki/mirror";
const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// A git repository with `vars.yml` committed.
fn repo_with(vars: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join("vars.yml"), vars).unwrap();
    std::fs::copy(
        crate::common::fixtures().join("deployment-all/renovate.json"),
        dir.path().join("renovate.json"),
    )
    .unwrap();
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "vars"]);
    dir
}

fn vars(images: &str) -> String {
    format!("MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n{images}")
}

#[test]
fn diff_shows_only_changed_images_entries_against_head() {
    let repo = repo_with(&vars(&format!(
        "  grafana: {PREFIX}/grafana/grafana:11.2.0@{A}\n  tools: quay.io/cki/tools:1@{A}\n"
    )));
    let dir = repo.path().to_str().unwrap();
    let unchanged = run(&["diff", "--repo", dir, "--exit-code"]);
    assert_eq!(
        (stdout(&unchanged).as_str(), unchanged.status.code()),
        ("", Some(0))
    );

    std::fs::write(
        repo.path().join("vars.yml"),
        format!(
            "# a comment that is not an image\nMP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  grafana: {PREFIX}/grafana/grafana:11.3.0@{B}\n  tools: quay.io/cki/tools:1@{A}\n"
        ),
    )
    .unwrap();
    let output = run(&["diff", "--repo", dir, "--exit-code"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        format!(
            "--- a/vars.yml\n+++ b/vars.yml\n@@ -4,1 +5,1 @@\n-  grafana: {PREFIX}/grafana/grafana:11.2.0@{A}\n+  grafana: {PREFIX}/grafana/grafana:11.3.0@{B}\n"
        )
    );
    let json = json_lines(&run(&["diff", "--repo", dir, "--format", "json"]));
    assert_eq!(json.len(), 1);
    assert_eq!(json[0]["entry"], "grafana");
    assert_eq!(json[0]["kind"], "retagged");
    assert_eq!(json[0]["old"]["tag"], "11.2.0");
    assert_eq!(json[0]["new"]["digest"], B);
}

#[test]
fn diff_of_two_files_needs_no_git() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.yml"), dir.path().join("new.yml"));
    std::fs::write(&old, vars(&format!("  a: quay.io/cki/a:1@{A}\n"))).unwrap();
    std::fs::write(
        &new,
        vars(&format!(
            "  a: quay.io/cki/a:1@{A}\n  b: quay.io/cki/b:1@{B}\n"
        )),
    )
    .unwrap();
    let output = run(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert!(
        stdout(&output).ends_with(&format!("@@ -4,0 +5,1 @@\n+  b: quay.io/cki/b:1@{B}\n")),
        "{}",
        stdout(&output)
    );
}

#[test]
fn diff_errors_name_what_is_missing() {
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("vars.yml"), vars("")).unwrap();
    let output = run(&["diff", "--repo", plain.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not in a git repository"),
        "{}",
        stderr(&output)
    );

    let repo = repo_with(&vars(&format!("  a: quay.io/cki/a:1@{A}\n")));
    let output = run(&[
        "diff",
        "--repo",
        repo.path().to_str().unwrap(),
        "--base",
        "no-such-branch",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not know revision \"no-such-branch\""),
        "{}",
        stderr(&output)
    );
}

/// The shared world's registries, publishing one single-layer image per seed.
fn publish_small(world: &World, repo: &str, tag: &str, seed: u64) -> String {
    world.publish(
        repo,
        tag,
        vec![Platform {
            architecture: "amd64",
            layers: vec![layer(seed, 20_000)],
        }],
    )
}

fn post_upgrade(repo: &Path, registries: &World, extra: &[&str]) -> std::process::Output {
    img_mirror()
        .args(["post-upgrade", "--repo"])
        .arg(repo)
        .args(registries.flags())
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn post_upgrade_mirrors_exactly_the_bumped_entry_and_prints_the_diff() {
    let registries = World::new();
    let grafana_old = publish_small(&registries, "grafana/grafana", "11.2.0", 50);
    let grafana_new = publish_small(&registries, "grafana/grafana", "11.3.0", 51);
    let loki = publish_small(&registries, "grafana/loki", "3.1.1", 52);
    let before = vars(&format!(
        "  grafana: {PREFIX}/grafana/grafana:11.2.0@{grafana_old}\n  loki: {PREFIX}/grafana/loki:3.1.1@{loki}\n"
    ));
    let repo = repo_with(&before);
    // Renovate's auto-replace writes the bump; the working tree is left dirty.
    let after = before.replace(
        &format!("11.2.0@{grafana_old}"),
        &format!("11.3.0@{grafana_new}"),
    );
    std::fs::write(repo.path().join("vars.yml"), &after).unwrap();

    let output = post_upgrade(
        repo.path(),
        &registries,
        &[
            "--dep-name",
            "grafana/grafana",
            "--new-value",
            "11.3.0",
            "--new-digest",
            &grafana_new,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!(
            "--- a/vars.yml\n+++ b/vars.yml\n@@ -4,1 +4,1 @@\n-  grafana: {PREFIX}/grafana/grafana:11.2.0@{grafana_old}\n+  grafana: {PREFIX}/grafana/grafana:11.3.0@{grafana_new}\n"
        )
    );
    assert!(stderr(&output).contains("copied"), "{}", stderr(&output));
    assert_eq!(
        images::inspect_digest(
            &registries.mirror.authority(),
            "cki/mirror/grafana/grafana:11.3.0"
        ),
        grafana_new
    );
    assert!(
        !registries.in_mirror("cki/mirror/grafana/loki:3.1.1"),
        "an unchanged entry was mirrored"
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join("vars.yml")).unwrap(),
        after,
        "post-upgrade wrote a file"
    );

    // Idempotent, as executionMode "update" may run it again.
    assert_eq!(
        post_upgrade(repo.path(), &registries, &[]).status.code(),
        Some(0)
    );
}

#[test]
fn post_upgrade_fails_loudly_when_the_bumped_digest_does_not_exist_and_tags_nothing() {
    let registries = World::new();
    let grafana = publish_small(&registries, "grafana/grafana", "11.2.0", 60);
    let before = vars(&format!(
        "  grafana: {PREFIX}/grafana/grafana:11.2.0@{grafana}\n"
    ));
    let repo = repo_with(&before);
    let ghost = images::digest(b"a digest nobody published");
    std::fs::write(
        repo.path().join("vars.yml"),
        before.replace(&format!("11.2.0@{grafana}"), &format!("11.3.0@{ghost}")),
    )
    .unwrap();
    let output = post_upgrade(repo.path(), &registries, &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("IMAGES.grafana") && err.contains("must not merge"),
        "{err}"
    );
    assert!(!registries.in_mirror("cki/mirror/grafana/grafana:11.3.0"));
}

#[test]
fn post_upgrade_rejects_a_claim_the_diff_does_not_back() {
    let registries = World::new();
    let old = publish_small(&registries, "grafana/grafana", "11.2.0", 70);
    let new = publish_small(&registries, "grafana/grafana", "11.3.0", 71);
    let before = vars(&format!(
        "  grafana: {PREFIX}/grafana/grafana:11.2.0@{old}\n"
    ));
    let repo = repo_with(&before);
    std::fs::write(
        repo.path().join("vars.yml"),
        before.replace(&format!("11.2.0@{old}"), &format!("11.3.0@{new}")),
    )
    .unwrap();
    let wrong = post_upgrade(
        repo.path(),
        &registries,
        &["--dep-name", "grafana/grafana", "--new-value", "11.4.0"],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        stderr(&wrong).contains("Renovate says it updated grafana/grafana to 11.4.0"),
        "{}",
        stderr(&wrong)
    );
    assert!(
        !registries.in_mirror("cki/mirror/grafana/grafana:11.3.0"),
        "copied despite a bad claim"
    );
    let branch_mode = post_upgrade(
        repo.path(),
        &registries,
        &["--dep-name", "grafana/grafana grafana/loki"],
    );
    assert_eq!(branch_mode.status.code(), Some(1));
    assert!(stderr(&branch_mode).contains("executionMode \"branch\""));
}

#[test]
fn post_upgrade_fails_on_a_lint_error_in_the_changed_entry_only() {
    let registries = World::new();
    // (Tags like "2" would not do: Renovate's global replace also rewrites the "2" in
    // "sha256", which `check` rightly reports as update-would-fail.)
    let before = vars(&format!(
        "  old_unpinned: quay.io/cki/x:1\n  tools: quay.io/cki/tools:v1@{A}\n"
    ));
    let repo = repo_with(&before);
    // An unrelated, pre-existing error is a warning; the bump itself is fine.
    std::fs::write(
        repo.path().join("vars.yml"),
        before.replace(&format!("tools:v1@{A}"), &format!("tools:v2@{B}")),
    )
    .unwrap();
    let output = post_upgrade(repo.path(), &registries, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning[IM102]"),
        "{}",
        stderr(&output)
    );
    // The bump writes an unapproved registry: an error.
    std::fs::write(
        repo.path().join("vars.yml"),
        before.replace(
            &format!("quay.io/cki/tools:v1@{A}"),
            &format!("docker.io/org/tools:v2@{B}"),
        ),
    )
    .unwrap();
    let output = post_upgrade(repo.path(), &registries, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("error[IM101]"),
        "{}",
        stderr(&output)
    );
}

/// The current preset's dataFileTemplate rendered by Renovate 44's own template engine
/// for a branch-mode task (the executor's input: the branch config with `upgrades`).
fn renovate_data_file(dir: &Path, upgrades: serde_json::Value) -> std::path::PathBuf {
    let renovate = crate::common::renovate::Renovate::get("44.121.2");
    let preset: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("renovate/default.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let template = preset["postUpgradeTasks"]["dataFileTemplate"]
        .as_str()
        .unwrap();
    let depnames: Vec<&str> = upgrades
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["depName"].as_str().unwrap())
        .collect();
    let input = dir.join("input.json");
    std::fs::write(
        &input,
        serde_json::json!({
            "manager": "regex",
            "depName": depnames.join(" "),
            "branchName": "renovate/grafana-monorepo",
            "upgrades": upgrades,
        })
        .to_string(),
    )
    .unwrap();
    let rendered = renovate
        .node()
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/renovate-template.js"))
        .arg(&renovate.prefix)
        .arg(template)
        .arg(&input)
        .env("LOG_LEVEL", "fatal")
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    let path = dir.join("post-upgrade-data-file-0123456789abcdef.tmp");
    std::fs::write(&path, &rendered.stdout).unwrap();
    path
}

#[test]
fn post_upgrade_reads_every_update_from_renovates_data_file() {
    let registries = World::new();
    let grafana_old = publish_small(&registries, "grafana/grafana", "11.2.0", 80);
    let grafana_new = publish_small(&registries, "grafana/grafana", "11.3.0", 81);
    let loki_old = publish_small(&registries, "grafana/loki", "3.1.1", 82);
    let loki_new = publish_small(&registries, "grafana/loki", "3.2.0", 83);
    let before = vars(&format!(
        "  grafana: {PREFIX}/grafana/grafana:11.2.0@{grafana_old}\n  loki: {PREFIX}/grafana/loki:3.1.1@{loki_old}\n"
    ));
    let repo = repo_with(&before);
    // executionMode "branch": both updates are written, then the task runs once.
    let after = before
        .replace(
            &format!("11.2.0@{grafana_old}"),
            &format!("11.3.0@{grafana_new}"),
        )
        .replace(&format!("3.1.1@{loki_old}"), &format!("3.2.0@{loki_new}"));
    std::fs::write(repo.path().join("vars.yml"), &after).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let update = |name: &str, value: &str, digest: &str| serde_json::json!({"depName": name, "newValue": value, "newDigest": digest, "currentValue": "old"});
    let data_file = renovate_data_file(
        scratch.path(),
        serde_json::json!([
            update("grafana/grafana", "11.3.0", &grafana_new),
            update("grafana/loki", "3.2.0", &loki_new),
        ]),
    );

    let with_data_file = |path: &Path| {
        img_mirror()
            .args(["post-upgrade", "--repo"])
            .arg(repo.path())
            .args(registries.flags())
            .env("RENOVATE_POST_UPGRADE_COMMAND_DATA_FILE", path)
            .output()
            .unwrap()
    };
    let output = with_data_file(&data_file);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for (reference, digest) in [
        ("cki/mirror/grafana/grafana:11.3.0", &grafana_new),
        ("cki/mirror/grafana/loki:3.2.0", &loki_new),
    ] {
        assert_eq!(
            images::inspect_digest(&registries.mirror.authority(), reference),
            *digest
        );
    }

    // An update the diff does not back fails the task, naming it.
    let wrong = renovate_data_file(
        scratch.path(),
        serde_json::json!([
            update("grafana/grafana", "11.3.0", &grafana_new),
            update("grafana/tempo", "2.6.0", &loki_new),
        ]),
    );
    let refused = with_data_file(&wrong);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains(
            "Renovate says it updated grafana/tempo, but no changed IMAGES entry is that image"
        ),
        "{}",
        stderr(&refused)
    );

    // A data file that is not the preset's list: a usage error naming file and line.
    let malformed = scratch.path().join("malformed.tmp");
    std::fs::write(
        &malformed,
        "[{\"depName\": \"grafana/grafana\",\n \"newValue\": }]",
    )
    .unwrap();
    let broken = with_data_file(&malformed);
    assert_eq!(broken.status.code(), Some(2), "{}", stderr(&broken));
    assert!(
        stderr(&broken).contains(&format!("{}:2:", malformed.display())),
        "{}",
        stderr(&broken)
    );
    // The data file and values on the command line are one or the other.
    let both = img_mirror()
        .args(["post-upgrade", "--dep-name=grafana/grafana", "--repo"])
        .arg(repo.path())
        .env("RENOVATE_POST_UPGRADE_COMMAND_DATA_FILE", &data_file)
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}
