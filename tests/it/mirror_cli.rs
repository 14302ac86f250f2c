//! `img-mirror mirror` against real registries: an upstream and a mirror, both Debian's
//! docker-registry on loopback, images built here and pushed with skopeo, results
//! checked with skopeo too.

use std::path::Path;

use crate::common::artifacts;
use crate::common::images::{self, Platform, layer, two_platforms};
use crate::common::registry::TestRegistry;
use crate::common::world::World;
use crate::common::{img_mirror, json_lines, stdout};

const PREFIX: &str = "quay.io/cki/mirror";

/// The shared world, with mirror's own helpers.
trait MirrorWorld {
    fn write_images(&self, images: &[(&str, String)]);
    fn mirror(&self, extra: &[&str]) -> std::process::Output;
}

impl MirrorWorld for World {
    fn write_images(&self, images: &[(&str, String)]) {
        let mut text = String::from("MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n");
        for (name, value) in images {
            text.push_str(&format!("  {name}: {value}\n"));
        }
        self.write_vars(&text);
    }

    fn mirror(&self, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["mirror", "--format", "json"];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

fn by_entry(lines: &[serde_json::Value], entry: &str) -> serde_json::Value {
    lines
        .iter()
        .find(|l| l["type"] == "mirror" && l["entry"] == entry)
        .unwrap_or_else(|| panic!("no outcome for {entry} in {lines:?}"))
        .clone()
}

fn base_layers() -> Vec<crate::common::images::Layer> {
    vec![layer(1, 2 * 1024 * 1024)]
}

#[test]
fn mirrors_single_and_multi_platform_images_digest_exact_and_then_has_nothing_to_do() {
    let world = World::logged();
    let mut grafana_layers = base_layers();
    grafana_layers.push(layer(2, 300 * 1024));
    let grafana = world.publish_as(
        "grafana/grafana",
        "11.2.0",
        vec![Platform {
            architecture: "amd64",
            layers: grafana_layers,
        }],
        false,
    );
    let dex = world.publish_as(
        "dexidp/dex",
        "v2.41.1",
        two_platforms(
            vec![layer(1, 2 * 1024 * 1024), layer(3, 100_000)],
            vec![layer(4, 2 * 1024 * 1024), layer(5, 100_000)],
        ),
        false,
    );
    let nginx = world.publish_as(
        "library/nginx",
        "1.27.1",
        two_platforms(
            vec![layer(1, 2 * 1024 * 1024), layer(6, 50_000)],
            vec![layer(7, 50_000)],
        ),
        true,
    );
    world.write_images(&[
        (
            "grafana",
            format!("{PREFIX}/grafana/grafana:11.2.0@{grafana}"),
        ),
        ("dex", format!("{PREFIX}/ghcr.io/dexidp/dex:v2.41.1@{dex}")),
        ("nginx", format!("{PREFIX}/nginx:1.27.1@{nginx}")),
        ("direct", format!("quay.io/cki/tools:1@{grafana}")),
    ]);

    let output = world.mirror(&[]);
    let lines = json_lines(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (entry, repo, tag, digest) in [
        ("grafana", "cki/mirror/grafana/grafana", "11.2.0", &grafana),
        ("dex", "cki/mirror/ghcr.io/dexidp/dex", "v2.41.1", &dex),
        ("nginx", "cki/mirror/nginx", "1.27.1", &nginx),
    ] {
        let outcome = by_entry(&lines, entry);
        assert_eq!(outcome["status"], "copied", "{outcome}");
        assert_eq!(&outcome["digest"], digest.as_str());
        // Independent checks: the tag resolves to the pinned digest, and every manifest
        // and blob under it can be copied out.
        let reference = format!("{repo}:{tag}");
        assert_eq!(
            images::inspect_digest(&world.mirror.authority(), &reference),
            *digest
        );
        assert!(
            images::copy_all_succeeds(&world.mirror.authority(), &reference),
            "{reference}"
        );
    }
    // The 2 MiB base layer is shared by all three images: transferred once, mounted or
    // found present elsewhere.
    let images: Vec<_> = lines.iter().filter(|l| l["type"] == "mirror").collect();
    let copied_bytes: u64 = images.iter().filter_map(|l| l["bytes"].as_u64()).sum();
    let mounted: u64 = images
        .iter()
        .filter_map(|l| l["blobs_mounted"].as_u64())
        .sum();
    assert!(
        copied_bytes < 2 * 2 * 1024 * 1024 + 1024 * 1024,
        "copied {copied_bytes} bytes: {lines:#?}"
    );
    assert_eq!(
        mounted, 2,
        "the shared base layer is mounted into the two other repositories"
    );
    assert_eq!(lines.last().unwrap()["bytes"], copied_bytes);
    let summary = lines.last().unwrap();
    assert_eq!(summary["copied"], 3);
    assert_eq!(summary["failed"], 0);

    let upstream_before = world.upstream.requests().len();
    let mirror_before = world.mirror.requests().len();
    let again = world.mirror(&[]);
    let lines = json_lines(&again);
    // Nothing to do costs one HEAD per image at the mirror; upstream, each image's tag
    // list (where a signature added since would show) and one probe that finds the
    // registry has no referrers API.
    let mirror_requests = world.mirror.requests()[mirror_before..].to_vec();
    assert_eq!(mirror_requests.len(), 3, "{mirror_requests:?}");
    assert!(
        mirror_requests
            .iter()
            .all(|r| r.starts_with("HEAD /v2/cki/mirror/")),
        "{mirror_requests:?}"
    );
    let upstream_requests = world.upstream.requests()[upstream_before..].to_vec();
    assert_eq!(
        upstream_requests
            .iter()
            .filter(|r| r.starts_with("GET") && r.contains("/tags/list"))
            .count(),
        3,
        "{upstream_requests:?}"
    );
    assert_eq!(
        upstream_requests
            .iter()
            .filter(|r| r.contains("/referrers/"))
            .count(),
        1,
        "{upstream_requests:?}"
    );
    assert_eq!(upstream_requests.len(), 4, "{upstream_requests:?}");
    // Without referrers, nothing upstream at all.
    let upstream_before = world.upstream.requests().len();
    assert!(world.mirror(&["--referrers", "none"]).status.success());
    assert_eq!(world.upstream.requests().len(), upstream_before);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(lines.last().unwrap()["present"], 3);
    for entry in ["grafana", "dex", "nginx"] {
        assert_eq!(by_entry(&lines, entry)["status"], "present");
    }

    // Human output of a run with nothing to do is one line.
    let quiet = img_mirror()
        .args(["mirror", "--repo"])
        .arg(world.repo.path())
        .args(world.flags())
        .output()
        .unwrap();
    let text = stdout(&quiet);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.starts_with("mirror: 3 images: 3 present, 0 copied, 0 failed"),
        "{text}"
    );
}

#[test]
fn a_digest_the_upstream_does_not_have_fails_that_image_only_and_tags_nothing() {
    let world = World::logged();
    let good = world.publish_as(
        "grafana/grafana",
        "11.2.0",
        vec![Platform {
            architecture: "amd64",
            layers: base_layers(),
        }],
        false,
    );
    let missing = images::digest(b"no such manifest");
    world.write_images(&[
        (
            "ghost",
            format!("{PREFIX}/grafana/grafana:11.3.0@{missing}"),
        ),
        ("grafana", format!("{PREFIX}/grafana/grafana:11.2.0@{good}")),
    ]);
    let output = world.mirror(&[]);
    let lines = json_lines(&output);
    assert_eq!(output.status.code(), Some(1));
    let ghost = by_entry(&lines, "ghost");
    assert_eq!(ghost["status"], "failed");
    let error = ghost["error"].as_str().unwrap();
    assert!(
        error.contains("docker.io/grafana/grafana") && error.contains("404"),
        "{error}"
    );
    assert_eq!(by_entry(&lines, "grafana")["status"], "copied");
    assert!(!images::copy_all_succeeds(
        &world.mirror.authority(),
        "cki/mirror/grafana/grafana:11.3.0"
    ));
}

#[test]
fn a_tag_that_points_elsewhere_in_the_mirror_is_moved_to_the_pinned_digest() {
    let world = World::logged();
    let old = world.publish_as(
        "grafana/grafana",
        "11.2.0",
        vec![Platform {
            architecture: "amd64",
            layers: vec![layer(10, 1000)],
        }],
        false,
    );
    world.write_images(&[("grafana", format!("{PREFIX}/grafana/grafana:11.2.0@{old}"))]);
    assert_eq!(world.mirror(&[]).status.code(), Some(0));
    // Upstream re-publishes the tag; the pin moves with a Renovate bump.
    let new = world.publish_as(
        "grafana/grafana",
        "11.2.0",
        vec![Platform {
            architecture: "amd64",
            layers: vec![layer(11, 1000)],
        }],
        false,
    );
    assert_ne!(old, new);
    world.write_images(&[("grafana", format!("{PREFIX}/grafana/grafana:11.2.0@{new}"))]);
    let lines = json_lines(&world.mirror(&[]));
    assert_eq!(by_entry(&lines, "grafana")["status"], "copied");
    assert_eq!(
        images::inspect_digest(
            &world.mirror.authority(),
            "cki/mirror/grafana/grafana:11.2.0"
        ),
        new
    );
}

#[test]
fn dry_run_entry_selection_and_shards() {
    let world = World::logged();
    let a = world.publish_as(
        "org/a",
        "1",
        vec![Platform {
            architecture: "amd64",
            layers: vec![layer(20, 1000)],
        }],
        false,
    );
    let b = world.publish_as(
        "org/b",
        "1",
        vec![Platform {
            architecture: "amd64",
            layers: vec![layer(21, 1000)],
        }],
        false,
    );
    world.write_images(&[
        ("a", format!("{PREFIX}/org/a:1@{a}")),
        ("b", format!("{PREFIX}/org/b:1@{b}")),
    ]);
    let lines = json_lines(&world.mirror(&["--dry-run"]));
    assert_eq!(by_entry(&lines, "a")["status"], "would-copy");
    assert!(
        !images::copy_all_succeeds(&world.mirror.authority(), "cki/mirror/org/a:1"),
        "dry run copied"
    );

    let lines = json_lines(&world.mirror(&["--entry", "b"]));
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(by_entry(&lines, "b")["status"], "copied");

    let shard_1 = json_lines(&world.mirror(&["--shard", "1/2", "--dry-run"]));
    let shard_2 = json_lines(&world.mirror(&["--shard", "2/2", "--dry-run"]));
    assert_eq!(
        shard_1.len() + shard_2.len() - 2,
        2,
        "each entry in exactly one shard"
    );

    let unknown = world.mirror(&["--entry", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no entry named \"nope\""));
}

#[test]
fn a_mirror_behind_basic_auth_uses_the_auth_file_and_never_prints_the_secret() {
    let upstream = TestRegistry::start();
    let mirror = TestRegistry::start_with_basic_auth("robot", "s3cr3t-pass");
    let repo = tempfile::tempdir().unwrap();
    let digest = images::publish_small(&upstream.authority(), "org/app", "1", 30);
    std::fs::write(
        repo.path().join("vars.yml"),
        format!(
            "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  app: {PREFIX}/org/app:1@{digest}\n"
        ),
    )
    .unwrap();
    let run = |auth_file: Option<&Path>| {
        let mut command = img_mirror();
        command
            .args(["mirror", "--format", "json", "--repo"])
            .arg(repo.path())
            .arg(format!("--registry=docker.io={}", upstream.url()))
            .arg(format!("--registry=quay.io={}", mirror.url()))
            .env("HOME", repo.path());
        match auth_file {
            Some(path) => command.env("REGISTRY_AUTH_FILE", path),
            None => command.env_remove("REGISTRY_AUTH_FILE"),
        };
        command.output().unwrap()
    };
    let denied = run(None);
    assert_eq!(denied.status.code(), Some(1));
    assert!(stdout(&denied).contains("401"), "{}", stdout(&denied));

    let auth_file = repo.path().join("auth.json");
    std::fs::write(
        &auth_file,
        r#"{"auths": {"quay.io/cki": {"auth": "cm9ib3Q6czNjcjN0LXBhc3M="}}}"#,
    )
    .unwrap();
    let output = run(Some(&auth_file));
    let everything = format!(
        "{}{}",
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{everything}");
    assert!(everything.contains("\"status\":\"copied\""), "{everything}");
    for secret in ["s3cr3t-pass", "cm9ib3Q6czNjcjN0LXBhc3M="] {
        assert!(!everything.contains(secret));
        assert!(!stdout(&denied).contains(secret));
    }
}

#[test]
fn tls_certificates_are_verified_unless_the_host_is_named_insecure() {
    let upstream = TestRegistry::start();
    let mirror = TestRegistry::start_tls();
    let repo = tempfile::tempdir().unwrap();
    let digest = images::publish_small(&upstream.authority(), "org/app", "1", 40);
    std::fs::write(
        repo.path().join("vars.yml"),
        format!(
            "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  app: {PREFIX}/org/app:1@{digest}\n"
        ),
    )
    .unwrap();
    let run = |extra: &[String]| {
        img_mirror()
            .args(["mirror", "--format", "json", "--repo"])
            .arg(repo.path())
            .arg(format!("--registry=docker.io={}", upstream.url()))
            .arg(format!("--registry=quay.io=https://{}", mirror.authority()))
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1));
    let text = stdout(&refused);
    assert!(
        text.contains("certificate") || text.contains("UnknownIssuer"),
        "{text}"
    );

    let accepted = run(&["--insecure-tls".into(), "127.0.0.1".into()]);
    assert_eq!(accepted.status.code(), Some(0), "{}", stdout(&accepted));
    assert_eq!(by_entry(&json_lines(&accepted), "app")["status"], "copied");
}

#[test]
fn blobs_are_put_without_a_head_and_a_blob_deleted_at_the_mirror_is_uploaded_again() {
    let world = World::logged();
    let layers = || vec![layer(11, 64 * 1024), layer(12, 32 * 1024)];
    let digest = world.publish(
        "org/app",
        "1",
        vec![Platform {
            architecture: "amd64",
            layers: layers(),
        }],
    );
    world.write_images(&[("app", format!("{PREFIX}/org/app:1@{digest}"))]);
    assert!(world.mirror(&[]).status.success());
    let requests = world.mirror.requests();
    assert!(
        !requests
            .iter()
            .any(|r| r.starts_with("HEAD") && r.contains("/blobs/")),
        "a blob upload opens as a mount from the repository itself, no HEAD first: {requests:#?}"
    );

    // Behind the run's back: the layer leaves the mirror repository, and so does the tag.
    let mirror = world.mirror.authority();
    let repo = "cki/mirror/org/app";
    let layer_digest = images::digest(&layers()[0].gzip);
    let (status, _, _) = artifacts::request(
        &mirror,
        "DELETE",
        &format!("/v2/{repo}/blobs/{layer_digest}"),
        &[],
        &[],
    );
    assert_eq!(status, 202, "the blob was deleted");
    let (status, _, _) = artifacts::request(
        &mirror,
        "DELETE",
        &format!("/v2/{repo}/manifests/{digest}"),
        &[],
        &[],
    );
    assert_eq!(status, 202, "the manifest was deleted");
    assert!(!world.in_mirror(&format!("{repo}:1")));

    let again = world.mirror(&[]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let copied = by_entry(&json_lines(&again), "app");
    assert_eq!(copied["status"], "copied");
    assert_eq!(
        copied["blobs_copied"], 1,
        "the deleted layer was uploaded again: {copied}"
    );
    assert!(world.in_mirror(&format!("{repo}:1")));
}
