//! `pin`, `verify` and `inspect` against real registries started here.

use crate::common::images::{self, Platform, layer, two_platforms};
use crate::common::world::World;
use crate::common::{img_mirror, json_lines, stderr, stdout};

/// The shared world with `vars` and the shipped fixture's Renovate config.
fn world_with(vars: &str) -> World {
    let world = World::new();
    world.write_vars(vars);
    std::fs::copy(
        crate::common::fixtures().join("deployment-all/renovate.json"),
        world.repo.path().join("renovate.json"),
    )
    .unwrap();
    world
}

fn check_passes(world: &World) {
    let output = img_mirror()
        .args(["check", "--repo"])
        .arg(world.repo.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

fn single(seed: u64) -> Vec<Platform> {
    vec![Platform {
        architecture: "amd64",
        layers: vec![layer(seed, 10_000)],
    }]
}

fn multi(seed: u64) -> Vec<Platform> {
    two_platforms(vec![layer(seed, 10_000)], vec![layer(seed + 1, 10_000)])
}

const HEAD: &str = "MP_APPROVED_REGISTRIES:\n  - registry.redhat.io\n  - quay.io/cki\nIMAGES:\n";

#[test]
fn pin_writes_mirror_form_for_unapproved_and_direct_form_for_approved_images() {
    let world = world_with(&format!(
        "{HEAD}  alpha: registry.redhat.io/x/alpha:1@sha256:{}\n",
        "a".repeat(64)
    ));
    let grafana = world.publish("grafana/grafana", "11.3.0", single(1));
    let dex = world.publish("dexidp/dex", "v2.41.1", multi(3));
    let ubi = world.publish("ubi9/ubi", "9.4-1181", single(5));

    let output = world.run(&["pin", "grafana", "docker.io/grafana/grafana:11.3.0"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let line = format!("  grafana: quay.io/cki/mirror/grafana/grafana:11.3.0@{grafana}");
    assert!(
        world.vars().contains(&format!("{line}\n")),
        "{}",
        world.vars()
    );
    assert!(
        stdout(&output).contains(&format!("+{line}\n")),
        "the diff: {}",
        stdout(&output)
    );
    assert!(stderr(&output).contains("img-mirror mirror --entry grafana"));

    world.run(&["pin", "dex", "ghcr.io/dexidp/dex:v2.41.1"]);
    // The index digest, the one skopeo inspect reports for a multi-platform tag.
    assert!(
        world.vars().contains(&format!(
            "  dex: quay.io/cki/mirror/ghcr.io/dexidp/dex:v2.41.1@{dex}\n"
        )),
        "{}",
        world.vars()
    );

    world.run(&["pin", "ubi", "registry.redhat.io/ubi9/ubi:9.4-1181"]);
    assert!(
        world.vars().contains(&format!(
            "  ubi: registry.redhat.io/ubi9/ubi:9.4-1181@{ubi}\n"
        )),
        "{}",
        world.vars()
    );
    // Alphabetical, as the map was.
    let names: Vec<&str> = world
        .vars()
        .lines()
        .skip(4)
        .map(|l| l.trim().split(':').next().unwrap().to_string().leak() as &str)
        .collect();
    assert_eq!(names, ["alpha", "dex", "grafana", "ubi"]);
    check_passes(&world);
}

#[test]
fn pin_bumps_in_place_and_leaves_every_other_byte_alone() {
    let original = format!(
        "# deployment vars\r\n{}  # the dashboards\r\n  grafana: \"quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:{}\"  # bumped by Renovate\r\n  zzz: 'quay.io/cki/tools:1@sha256:{}'\r\nTAIL: 1\r\n",
        HEAD.replace('\n', "\r\n"),
        "b".repeat(64),
        "c".repeat(64)
    );
    let world = world_with(&original);
    // A manager that allows the quotes this file uses, so `check` can pass.
    std::fs::copy(
        crate::common::fixtures().join("renovate/quoted-values/renovate.json"),
        world.repo.path().join("renovate.json"),
    )
    .unwrap();
    let new = world.publish("grafana/grafana", "11.3.0", single(7));
    let output = world.run(&["pin", "grafana", "grafana/grafana:11.3.0"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let after = world.vars();
    let changed: Vec<(usize, &str, &str)> = original
        .split("\r\n")
        .zip(after.split("\r\n"))
        .enumerate()
        .filter(|(_, (a, b))| a != b)
        .map(|(i, (a, b))| (i + 1, a, b))
        .collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(
        changed[0].2,
        format!(
            "  grafana: \"quay.io/cki/mirror/grafana/grafana:11.3.0@{new}\"  # bumped by Renovate"
        )
    );
    assert_eq!(
        after.matches("\r\n").count(),
        original.matches("\r\n").count()
    );
    check_passes(&world);
}

#[test]
fn pin_refuses_bad_names_unknown_tags_and_unreachable_registries_without_touching_the_file() {
    let world = world_with(&format!(
        "{HEAD}  alpha: registry.redhat.io/x/alpha:1@sha256:{}\n",
        "a".repeat(64)
    ));
    let before = world.vars();
    world.publish("grafana/grafana", "11.3.0", single(9));
    let cases: [(&[&str], &str); 3] = [
        (
            &["pin", "kube-state-metrics", "grafana/grafana:11.3.0"],
            "cannot be an IMAGES name",
        ),
        (
            &["pin", "grafana", "grafana/grafana:99.0.0"],
            "has no tag \"99.0.0\"",
        ),
        (
            &["pin", "grafana", "grafana/grafana"],
            "has no tag; write IMAGE:TAG",
        ),
    ];
    for (args, message) in cases {
        let output = world.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(world.vars(), before, "{args:?} changed the file");
    }
    let unreachable = img_mirror()
        .args(["pin", "app", "ghcr.io/org/app:1", "--repo"])
        .arg(world.repo.path())
        .arg(format!(
            "--registry=ghcr.io=http://127.0.0.1:{}",
            crate::common::registry::free_port()
        ))
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(2));
    assert!(
        stderr(&unreachable).contains("ghcr.io/org/app"),
        "{}",
        stderr(&unreachable)
    );
    assert_eq!(world.vars(), before);
    let dry = world.run(&["pin", "grafana", "grafana/grafana:11.3.0", "--dry-run"]);
    assert!(stdout(&dry).contains("+  grafana:"));
    assert_eq!(world.vars(), before, "--dry-run wrote");
}

#[test]
fn verify_fails_before_mirror_passes_after_and_reports_a_moved_tag_as_stale() {
    let world = world_with(HEAD);
    world.publish("grafana/grafana", "11.3.0", multi(11));
    let pinned = world.run(&["pin", "grafana", "grafana/grafana:11.3.0"]);
    assert_eq!(pinned.status.code(), Some(0), "{}", stderr(&pinned));

    let before = world.run(&["verify"]);
    assert_eq!(before.status.code(), Some(1));
    assert!(
        stdout(&before)
            .starts_with("MISSING    IMAGES.grafana: quay.io/cki/mirror/grafana/grafana:11.3.0"),
        "{}",
        stdout(&before)
    );

    assert_eq!(world.run(&["mirror"]).status.code(), Some(0));
    let after = world.run(&["verify", "--deep", "--upstream", "--format", "json"]);
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));
    let lines = json_lines(&after);
    assert_eq!(lines[0]["verdict"], "ok");
    assert!(
        lines[0]["detail"]
            .as_str()
            .unwrap()
            .contains("blobs present")
    );

    // Someone re-tags the mirror by hand: the pin no longer matches.
    let layout = tempfile::tempdir().unwrap();
    images::write_layout(layout.path(), "11.3.0", single(13));
    images::push(
        layout.path(),
        "11.3.0",
        &world.mirror.authority(),
        "cki/mirror/grafana/grafana",
        false,
    );
    let stale = world.run(&["verify"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(stdout(&stale).starts_with("STALE"), "{}", stdout(&stale));
}

#[test]
fn pin_with_mirror_copies_at_once() {
    let world = world_with(HEAD);
    let digest = world.publish("org/app", "1.0", single(15));
    let output = world.run(&["pin", "app", "docker.io/org/app:1.0", "--mirror"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        images::inspect_digest(&world.mirror.authority(), "cki/mirror/org/app:1.0"),
        digest
    );
}

#[test]
fn inspect_reports_the_digest_skopeo_does_and_the_platforms() {
    let world = world_with(HEAD);
    let digest = world.publish("org/multi", "2", multi(17));
    let output = img_mirror()
        .args(["inspect", "docker.io/org/multi:2", "--format", "json"])
        .args(world.flags())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json = &json_lines(&output)[0];
    assert_eq!(json["digest"], digest.as_str());
    assert_eq!(
        json["media_type"],
        "application/vnd.oci.image.index.v1+json"
    );
    assert_eq!(
        json["platforms"],
        serde_json::json!(["linux/amd64", "linux/arm64"])
    );
}

/// A repository whose mirrors are written `quay.io/cki/mirror/<registry>/<path>` and whose
/// Renovate manager only reads that form: it needs a registry host after the prefix.
const QUALIFIED_MANAGER: &str = r#"{
  "customManagers": [{
    "customType": "regex",
    "managerFilePatterns": ["/(^|/)vars\\.yml$/"],
    "matchStrings": ["\\n  \\w+: (?:quay\\.io/cki/mirror/)?(?<depName>[a-z0-9-]+\\.[a-z0-9.-]+(?::\\d+)?/[^:@\\s]+):(?<currentValue>[^@\\s]+)@(?<currentDigest>sha256:[a-f0-9]{64})"],
    "datasourceTemplate": "docker"
  }]
}
"#;

#[test]
fn pin_writes_the_files_own_mirror_path_form_and_check_stays_green() {
    let world = world_with(HEAD);
    let existing = world.publish("library/old", "1.0", single(41));
    std::fs::write(
        world.vars_path(),
        format!("{HEAD}  old: quay.io/cki/mirror/docker.io/library/old:1.0@{existing}\n"),
    )
    .unwrap();
    std::fs::write(world.repo.path().join("renovate.json"), QUALIFIED_MANAGER).unwrap();
    check_passes(&world);
    let digest = world.publish("library/newimg", "2.0", single(42));

    let output = world.run(&["pin", "newimg", "docker.io/library/newimg:2.0"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        world.vars().contains(&format!(
            "  newimg: quay.io/cki/mirror/docker.io/library/newimg:2.0@{digest}\n"
        )),
        "{}",
        world.vars()
    );
    check_passes(&world);
}

#[test]
fn pin_refuses_an_entry_the_repositorys_renovate_config_would_not_bump() {
    let world = world_with(HEAD);
    // A manager that only reads ghcr.io images: a Docker Hub mirror is never bumped.
    std::fs::write(
        world.repo.path().join("renovate.json"),
        QUALIFIED_MANAGER.replace("[a-z0-9-]+\\\\.[a-z0-9.-]+", "ghcr\\\\.io"),
    )
    .unwrap();
    world.publish("library/newimg", "2.0", single(43));
    let before = world.vars();
    let output = world.run(&["pin", "newimg", "docker.io/library/newimg:2.0"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stderr(&output).contains("IM205"), "{}", stderr(&output));
    assert_eq!(world.vars(), before, "the file was touched");
}

#[test]
fn pin_writes_the_form_the_renovate_config_reads_and_says_so() {
    // No mirrors yet, so the file has no style of its own (the runbook's familiar one
    // applies), but the manager only reads the qualified form.
    let world = world_with(HEAD);
    std::fs::write(world.repo.path().join("renovate.json"), QUALIFIED_MANAGER).unwrap();
    let digest = world.publish("library/newimg", "2.0", single(44));
    let output = world.run(&["pin", "newimg", "docker.io/library/newimg:2.0"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        world.vars().contains(&format!(
            "  newimg: quay.io/cki/mirror/docker.io/library/newimg:2.0@{digest}\n"
        )),
        "{}",
        world.vars()
    );
    assert!(
        stderr(&output).contains("only extract that form"),
        "{}",
        stderr(&output)
    );
    check_passes(&world);
}
