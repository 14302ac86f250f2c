//! `prune` against a real docker-registry with deletes enabled (reached as quay.io): a
//! vars.yml with 8 revisions in git, what the last 3 reference kept with its children,
//! signatures and same-digest tags, everything else under the prefix removed, nothing
//! outside it touched; a dry run that changes nothing; catalog paging; a mirror that
//! refuses deletes; a run killed between two deletions, then a rerun.

use std::process::{Command, Output};
use std::time::Duration;

use crate::common::artifacts::{self, cosign_signature};
use crate::common::faulty::{Fault, FaultyProxy, Rule};
use crate::common::images::publish_small;
use crate::common::registry::TestRegistry;
use crate::common::{git, img_mirror, json_lines, stderr, stdout};

const APP: &str = "cki/mirror/docker.io/library/app";

/// A mirror with app:v1..v8 (each a different image), and a git repository whose
/// vars.yml pinned each in turn, one revision per version.
struct Setup {
    mirror: TestRegistry,
    repo: tempfile::TempDir,
    /// The digest of app:vN at index N - 1.
    digests: Vec<String>,
}

impl Setup {
    fn new() -> Setup {
        let mirror = TestRegistry::start();
        let repo = tempfile::tempdir().unwrap();
        git(repo.path(), &["init", "-q", "-b", "main"]);
        let mut digests = Vec::new();
        for version in 1..=8u64 {
            let digest = publish_small(&mirror.authority(), APP, &format!("v{version}"), version);
            std::fs::write(
                repo.path().join("vars.yml"),
                format!(
                    "MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  app: quay.io/{APP}:v{version}@{digest}\n"
                ),
            )
            .unwrap();
            git(repo.path(), &["add", "vars.yml"]);
            git(
                repo.path(),
                &["commit", "-q", "-m", &format!("app v{version}")],
            );
            digests.push(digest);
        }
        // A commit that does not touch vars.yml does not use up the window.
        std::fs::write(repo.path().join("README.md"), "deployment\n").unwrap();
        git(repo.path(), &["add", "README.md"]);
        git(repo.path(), &["commit", "-q", "-m", "docs"]);
        Setup {
            mirror,
            repo,
            digests,
        }
    }

    fn authority(&self) -> String {
        self.mirror.authority()
    }

    fn prune(&self, mirror_url: &str, args: &[&str]) -> Output {
        self.prune_command(mirror_url, args).output().unwrap()
    }

    fn prune_command(&self, mirror_url: &str, args: &[&str]) -> Command {
        let mut command = img_mirror();
        command
            .arg("prune")
            .arg("--repo")
            .arg(self.repo.path())
            .arg(format!("--registry=quay.io={mirror_url}"))
            .args(args);
        command
    }

    fn has(&self, repo: &str, tag: &str) -> bool {
        artifacts::tag_digest(&self.authority(), repo, tag).is_some()
    }

    /// Another tag on the same manifest as `repo:tag`.
    fn alias(&self, repo: &str, tag: &str, alias: &str) {
        let bytes = artifacts::get_manifest(&self.authority(), repo, tag).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let media_type = value["mediaType"].as_str().unwrap().to_string();
        artifacts::push_manifest(&self.authority(), repo, alias, &media_type, &bytes);
    }
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap()
}

/// The (tag, status) lines of a `--format json` run, sorted.
fn pruned(output: &Output) -> Vec<(String, String, String)> {
    let mut lines: Vec<(String, String, String)> = json_lines(output)
        .into_iter()
        .filter(|line| line["type"] == "prune")
        .map(|line| {
            (
                line["repository"].as_str().unwrap().to_string(),
                line["tag"].as_str().unwrap().to_string(),
                line["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn prune_keeps_the_window_and_what_it_needs_and_removes_the_rest() {
    let setup = Setup::new();
    let authority = setup.authority();
    let d = &setup.digests;
    // A signature of a kept digest stays; one of a dropped digest goes.
    let kept_signature = format!("sha256-{}.sig", hex(&d[7]));
    let dropped_signature = format!("sha256-{}.sig", hex(&d[0]));
    cosign_signature(&format!("quay.io/{APP}"), &d[7], 1).push(&authority, APP, &kept_signature);
    cosign_signature(&format!("quay.io/{APP}"), &d[0], 1).push(&authority, APP, &dropped_signature);
    // An unreferenced tag on a kept digest stays: deleting it would delete v8.
    setup.alias(APP, "v8", "latest");
    // A tag nothing ever referenced, in a repository nothing references.
    publish_small(&authority, "cki/mirror/quay.io/stray/tool", "old", 40);
    // A repository outside the prefix is never touched.
    publish_small(&authority, "cki/other", "unreferenced", 41);

    let dry = setup.prune(
        &setup.mirror.url(),
        &["--keep-revisions", "3", "--format", "json"],
    );
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let app = format!("quay.io/{APP}");
    let mut expected: Vec<(String, String, String)> = ["v1", "v2", "v3", "v4", "v5"]
        .iter()
        .map(|tag| (app.clone(), tag.to_string(), "would-delete".to_string()))
        .chain([
            (
                app.clone(),
                dropped_signature.clone(),
                "would-delete".into(),
            ),
            (
                "quay.io/cki/mirror/quay.io/stray/tool".into(),
                "old".into(),
                "would-delete".into(),
            ),
        ])
        .collect();
    expected.sort();
    assert_eq!(pruned(&dry), expected);
    let summary = json_lines(&dry).pop().unwrap();
    assert_eq!(summary["revisions"], 3, "{summary}");
    assert_eq!(summary["applied"], false);
    // The dry run leaves every tag in place.
    for tag in ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "latest"] {
        assert!(setup.has(APP, tag), "{tag} after the dry run");
    }
    assert!(setup.has(APP, &dropped_signature));
    assert!(setup.has("cki/mirror/quay.io/stray/tool", "old"));

    let applied = setup.prune(
        &setup.mirror.url(),
        &["--keep-revisions", "3", "--format", "json", "--apply"],
    );
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    let deleted: Vec<_> = pruned(&applied)
        .into_iter()
        .map(|(repo, tag, status)| (repo, tag, status.replace("deleted", "would-delete")))
        .collect();
    assert_eq!(deleted, expected);
    for tag in ["v1", "v2", "v3", "v4", "v5"] {
        assert!(!setup.has(APP, tag), "{tag} after --apply");
    }
    assert!(!setup.has(APP, &dropped_signature));
    assert!(!setup.has("cki/mirror/quay.io/stray/tool", "old"));
    for tag in ["v6", "v7", "v8", "latest", kept_signature.as_str()] {
        assert!(setup.has(APP, tag), "{tag} was kept");
    }
    assert!(setup.has("cki/other", "unreferenced"));

    // Everything HEAD references is still whole.
    let verify = img_mirror()
        .arg("verify")
        .arg("--repo")
        .arg(setup.repo.path())
        .arg("--deep")
        .arg(format!("--registry=quay.io={}", setup.mirror.url()))
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));

    // A second run has nothing left to do.
    let again = setup.prune(&setup.mirror.url(), &["--keep-revisions", "3", "--apply"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("0 tags removed"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn prune_reads_every_page_of_the_catalog_and_of_each_tag_list() {
    let setup = Setup::new();
    let authority = setup.authority();
    for index in 0..5 {
        publish_small(
            &authority,
            &format!("cki/mirror/stray{index}"),
            "x",
            50 + index,
        );
    }
    let proxy = FaultyProxy::start(setup.mirror.port);
    proxy.add(Rule::always("GET", "/v2/_catalog", Fault::PageSize(2)));
    proxy.add(Rule::always("GET", "/tags/list", Fault::PageSize(2)));
    let output = setup.prune(&proxy.url(), &["--keep-revisions", "3", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // 6 repositories in pages of 2, and app's 8 tags in pages of 2 (and one page each
    // for the strays): the small pages were served.
    assert!(proxy.injected() >= 3 + 4, "{} pages", proxy.injected());
    let removed = pruned(&output);
    assert_eq!(removed.len(), 5 + 5, "{removed:#?}");
    for index in 0..5 {
        assert!(removed.contains(&(
            format!("quay.io/cki/mirror/stray{index}"),
            "x".into(),
            "would-delete".into()
        )));
    }
}

#[test]
fn a_mirror_that_refuses_deletes_stops_the_run_before_anything_goes() {
    let setup = Setup::new();
    let proxy = FaultyProxy::start(setup.mirror.port);
    proxy.add(Rule::always(
        "DELETE",
        "/manifests/",
        Fault::Status {
            code: 405,
            retry_after: None,
        },
    ));
    let output = setup.prune(&proxy.url(), &["--keep-revisions", "3", "--apply"]);
    assert_eq!(proxy.injected(), 1, "one DELETE tried");
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(
        stderr(&output).contains(
            "refuses deletes (HTTP 405: deletion is disabled on it); nothing was deleted"
        ),
        "{}",
        stderr(&output)
    );
    for version in 1..=8 {
        assert!(setup.has(APP, &format!("v{version}")));
    }
}

#[test]
fn a_history_it_cannot_read_whole_stops_the_run() {
    let setup = Setup::new();
    // A revision in the window that does not parse.
    std::fs::write(setup.repo.path().join("vars.yml"), "IMAGES: [unclosed\n").unwrap();
    git(setup.repo.path(), &["commit", "-qam", "broken"]);
    let output = setup.prune(&setup.mirror.url(), &["--keep-revisions", "3", "--apply"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("does not parse, so what it references is unknown"),
        "{}",
        stderr(&output)
    );
    // A shallow clone holds fewer revisions than the window.
    let shallow = tempfile::tempdir().unwrap();
    let source = format!("file://{}", setup.repo.path().display());
    let status = Command::new("git")
        .args(["clone", "-q", "--depth", "2", &source])
        .arg(shallow.path().join("clone"))
        .status()
        .unwrap();
    assert!(status.success());
    let output = img_mirror()
        .args(["prune", "--keep-revisions", "5", "--apply", "--repo"])
        .arg(shallow.path().join("clone"))
        .arg(format!("--registry=quay.io={}", setup.mirror.url()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("shallow clone"),
        "{}",
        stderr(&output)
    );
    for version in 1..=8 {
        assert!(setup.has(APP, &format!("v{version}")));
    }
}

#[test]
fn a_run_killed_between_deletions_converges_when_run_again() {
    let setup = Setup::new();
    let proxy = FaultyProxy::start(setup.mirror.port);
    proxy.add(Rule::always(
        "DELETE",
        "/manifests/",
        Fault::Delay(Duration::from_millis(1500)),
    ));
    let mut child = setup
        .prune_command(&proxy.url(), &["--keep-revisions", "3", "--apply"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The second DELETE has started, so the first is done.
    let started = std::time::Instant::now();
    while proxy.injected() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no second DELETE"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed");
    // The DELETE in flight reaches the registry all the same.
    std::thread::sleep(Duration::from_millis(2000));
    let gone = (1..=5)
        .filter(|version| !setup.has(APP, &format!("v{version}")))
        .count();
    assert_eq!(gone, 2, "the run stopped after two of five deletions");

    let rerun = setup.prune(&setup.mirror.url(), &["--keep-revisions", "3", "--apply"]);
    assert_eq!(rerun.status.code(), Some(0), "{}", stderr(&rerun));
    for version in 1..=5 {
        assert!(!setup.has(APP, &format!("v{version}")), "v{version}");
    }
    for version in 6..=8 {
        assert!(setup.has(APP, &format!("v{version}")), "v{version}");
    }
}

#[test]
fn another_branch_keeps_what_it_references() {
    let setup = Setup::new();
    let repo = setup.repo.path();
    // staging still runs v2.
    git(repo, &["checkout", "-q", "-b", "staging", "HEAD~7"]);
    git(repo, &["checkout", "-q", "main"]);
    let output = setup.prune(
        &setup.mirror.url(),
        &[
            "--keep-revisions",
            "1",
            "--ref",
            "staging",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let removed: Vec<String> = pruned(&output).into_iter().map(|(_, tag, _)| tag).collect();
    assert_eq!(removed, ["v1", "v3", "v4", "v5", "v6", "v7"]);
    let unknown = setup.prune(&setup.mirror.url(), &["--ref", "no-such-branch"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("no-such-branch: no such revision"));
}
