//! Renovate's own life cycle around img-mirror, for both Renovate versions: a
//! repository with mirrored entries in both path forms and the version's preset from
//! `renovate/`; Renovate's code (tests/conformance/renovate-lifecycle.js) clones it from
//! a local origin, extracts, looks every dep up at the upstream registry, auto-replaces
//! and runs the post-upgrade task, which is the real `img-mirror` behind a wrapper that
//! records how Renovate ran it. Asserted: the update Renovate proposes, the line it
//! rewrites (and that IM211's simulation writes the same file), the command and data file Renovate
//! handed over, the copy in the mirror, and for an upstream that lies about a blob, the
//! artifact error carrying img-mirror's message and no tag.

use std::path::{Path, PathBuf};

use crate::common::faulty::{Fault, FaultyProxy, Rule};
use crate::common::images::{Platform, layer, two_platforms};
use crate::common::renovate::{Renovate, VERSIONS};
use crate::common::world::World;
use crate::common::{git, img_mirror, stdout};

fn single(seed: u64) -> Vec<Platform> {
    vec![Platform {
        architecture: "amd64",
        layers: vec![layer(seed, 12_000)],
    }]
}

/// The preset each Renovate version is given.
fn preset(version: &str) -> &'static str {
    if version.starts_with("39.") {
        "renovate/renovate-39.json"
    } else {
        "renovate/default.json"
    }
}

struct Pins {
    grafana: (String, String),
    nginx: (String, String),
    dex: (String, String),
}

/// Old and new tags of three images upstream: grafana (its new tag multi-platform),
/// nginx from Docker Hub's library, dex from ghcr.io.
fn publish(world: &World) -> Pins {
    Pins {
        grafana: (
            world.publish("grafana/grafana", "11.2.0", single(1)),
            world.publish(
                "grafana/grafana",
                "11.3.0",
                two_platforms(vec![layer(2, 12_000)], vec![layer(3, 12_000)]),
            ),
        ),
        nginx: (
            world.publish("library/nginx", "1.27.0", single(4)),
            world.publish("library/nginx", "1.27.1", single(5)),
        ),
        dex: (
            world.publish("dexidp/dex", "v2.40.0", single(6)),
            world.publish("dexidp/dex", "v2.41.0", single(7)),
        ),
    }
}

/// The runbook's two path forms: `grafana/grafana` as Docker Hub users write it, and
/// the upstream's full name for the others.
fn vars(pins: &Pins) -> String {
    format!(
        "MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  grafana: quay.io/cki/mirror/grafana/grafana:11.2.0@{}\n  nginx: quay.io/cki/mirror/docker.io/library/nginx:1.27.0@{}\n  dex: quay.io/cki/mirror/ghcr.io/dexidp/dex:v2.40.0@{}\n",
        pins.grafana.0, pins.nginx.0, pins.dex.0
    )
}

/// The origin Renovate clones: `vars.yml` and the preset as `renovate.json` on main.
fn origin(vars: &str, preset: &str) -> tempfile::TempDir {
    let preset =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(preset)).unwrap();
    origin_with(&[("vars.yml", vars), ("renovate.json", &preset)])
}

/// An origin with these files committed on main.
fn origin_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let origin = tempfile::tempdir().unwrap();
    git(origin.path(), &["init", "-q", "-b", "main"]);
    for (name, text) in files {
        std::fs::write(origin.path().join(name), text).unwrap();
    }
    git(origin.path(), &["add", "."]);
    git(origin.path(), &["commit", "-q", "-m", "images"]);
    origin
}

/// What one Renovate run did, from the driver's result and the wrapper's records.
struct Run {
    result: serde_json::Value,
    commands: Vec<String>,
    data_files: Vec<serde_json::Value>,
    _scratch: tempfile::TempDir,
}

impl Run {
    fn branch(&self, dep_name: &str) -> &serde_json::Value {
        self.result["branches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["upgrades"][0]["depName"] == dep_name)
            .unwrap_or_else(|| panic!("no branch for {dep_name}: {:#}", self.result))
    }
}

/// Runs Renovate `version` over `origin`. Its lookups go to `upstream` (a package rule
/// per dep, as a self-hosted config would point a name at a pull-through cache); the
/// task's img-mirror reaches docker.io and ghcr.io at `task_upstream` and quay.io at
/// `mirror`, through `IMG_MIRROR_REGISTRIES` in `customEnvVariables`.
fn run_renovate(
    renovate: &Renovate,
    origin: &Path,
    upstream: &str,
    task_upstream: &str,
    mirror: &str,
) -> Run {
    let scratch = tempfile::tempdir().unwrap();
    let record = scratch.path().join("record");
    let bin = scratch.path().join("bin");
    std::fs::create_dir_all(&record).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    // The command Renovate runs is `img-mirror ...` found on PATH: this wrapper records
    // its arguments and data file, then runs the real binary.
    let wrapper = bin.join("img-mirror");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> \"$IMG_MIRROR_TEST_RECORD/commands\"\nif [ -n \"$RENOVATE_POST_UPGRADE_COMMAND_DATA_FILE\" ]; then cat \"$RENOVATE_POST_UPGRADE_COMMAND_DATA_FILE\" > \"$IMG_MIRROR_TEST_RECORD/data-$(date +%s%N)\"; fi\nexec {} \"$@\"\n",
            env!("CARGO_BIN_EXE_img-mirror")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    let upstream_host = upstream.trim_start_matches("http://");
    let rule = |name: &str, path: &str| {
        serde_json::json!({
            "matchDatasources": ["docker"],
            "matchPackageNames": [name],
            "overridePackageName": format!("{upstream_host}/{path}"),
        })
    };
    let local_dir = scratch.path().join("repo");
    let spec = serde_json::json!({
        "origin": origin,
        "localDir": local_dir,
        "cacheDir": scratch.path().join("cache"),
        "allowedCommands": crate::common::renovate::allowed_commands(),
        "customEnvVariables": {
            "IMG_MIRROR_REGISTRIES": format!(
                "docker.io={task_upstream},ghcr.io={task_upstream},quay.io={mirror}"
            ),
            "IMG_MIRROR_TEST_RECORD": record,
            "NO_COLOR": "1",
        },
        "hostRules": [{"hostType": "docker", "matchHost": "127.0.0.1", "insecureRegistry": true}],
        "packageRules": [
            rule("grafana/grafana", "grafana/grafana"),
            rule("docker.io/library/nginx", "library/nginx"),
            rule("ghcr.io/dexidp/dex", "dexidp/dex"),
        ],
    });
    let spec_path = scratch.path().join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let result_path = scratch.path().join("result.json");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = renovate
        .node()
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/renovate-lifecycle.js"))
        .arg(&renovate.prefix)
        .arg(&spec_path)
        .arg(&result_path)
        .env("PATH", path)
        .env("LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "Renovate {} failed:\n{}{}",
        renovate.version,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&result_path).unwrap()).unwrap();
    assert_eq!(result["engine"]["type"], "available", "RE2 must be loaded");
    let commands = std::fs::read_to_string(record.join("commands"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    let mut data: Vec<PathBuf> = std::fs::read_dir(&record)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("data-")
        })
        .collect();
    data.sort();
    let data_files = data
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect();
    Run {
        result,
        commands,
        data_files,
        _scratch: scratch,
    }
}

/// IM211's auto-replace simulation, run by `check` on the file Renovate started from,
/// found nothing to warn about: it predicts that every bump rewrites its own line.
fn simulation_predicts_clean_bumps(vars: &str) {
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("vars.yml"), vars).unwrap();
    for preset in ["renovate/default.json", "renovate/renovate-39.json"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(preset),
            repo.path().join("renovate.json"),
        )
        .unwrap();
        let output = img_mirror()
            .args(["check", "--format", "json", "--repo"])
            .arg(repo.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        assert!(
            !stdout(&output).contains("IM211"),
            "{preset}: {}",
            stdout(&output)
        );
    }
}

/// The file IM211's simulation of Renovate's auto-replace writes when `dep_name` is
/// bumped to `new_value@new_digest` under `preset`'s manager.
fn simulated_rewrite(
    preset: &str,
    text: &str,
    dep_name: &str,
    new_value: &str,
    new_digest: &str,
) -> String {
    use img_mirror::renovate::autoreplace::{Bump, auto_replace};
    let version = if preset.ends_with("renovate-39.json") {
        img_mirror::renovate::version::RenovateVersion::V39
    } else {
        img_mirror::renovate::version::RenovateVersion::CURRENT
    };
    let config = img_mirror::renovate::resolve::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(preset),
        version,
        &Default::default(),
    )
    .unwrap()
    .unwrap();
    let view = img_mirror::renovate::view_file(&config, "vars.yml", text);
    let run = &view.runs[0];
    let deps = &run.extraction.deps;
    let index = deps
        .iter()
        .position(|dep| dep.dep_name.as_deref() == Some(dep_name))
        .unwrap_or_else(|| panic!("img-mirror extracts no {dep_name}"));
    let bump = Bump {
        new_value: Some(new_value.to_string()),
        new_digest: Some(new_digest.to_string()),
    };
    auto_replace(&run.manager, text, "vars.yml", deps, index, &bump)
        .unwrap_or_else(|e| panic!("the simulation refuses {dep_name}: {e}"))
}

/// The platform manifests an index lists, read from the registry with skopeo.
fn index_children(authority: &str, reference: &str) -> Vec<String> {
    let raw = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{authority}/{reference}"))
        .output()
        .unwrap();
    let index: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn renovate_proposes_rewrites_and_runs_the_task_and_the_mirror_gets_every_bump() {
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let world = World::new();
        let pins = publish(&world);
        let before = vars(&pins);
        simulation_predicts_clean_bumps(&before);
        let origin = origin(&before, preset(version));
        let upstream = world.upstream.url();
        let run = run_renovate(
            &renovate,
            origin.path(),
            &upstream,
            &upstream,
            &world.mirror.url(),
        );
        let context = format!("Renovate {version}: {:#}", run.result);
        assert_eq!(
            run.result["branches"].as_array().unwrap().len(),
            3,
            "{context}"
        );

        for (dep_name, entry, mirror_path, old_tag, new_tag, digests, mirrored) in [
            (
                "grafana/grafana",
                "grafana",
                "grafana/grafana",
                "11.2.0",
                "11.3.0",
                &pins.grafana,
                "cki/mirror/grafana/grafana:11.3.0",
            ),
            (
                "docker.io/library/nginx",
                "nginx",
                "docker.io/library/nginx",
                "1.27.0",
                "1.27.1",
                &pins.nginx,
                "cki/mirror/docker.io/library/nginx:1.27.1",
            ),
            (
                "ghcr.io/dexidp/dex",
                "dex",
                "ghcr.io/dexidp/dex",
                "v2.40.0",
                "v2.41.0",
                &pins.dex,
                "cki/mirror/ghcr.io/dexidp/dex:v2.41.0",
            ),
        ] {
            let branch = run.branch(dep_name);
            let upgrade = &branch["upgrades"][0];
            assert_eq!(upgrade["newValue"], new_tag, "{context}");
            let new_digest = upgrade["newDigest"].as_str().unwrap().to_string();
            if dep_name == "grafana/grafana" {
                // A single-platform amd64 pin meeting a multi-platform tag: both
                // versions propose the amd64 manifest inside the index, not the index.
                let children =
                    index_children(&world.upstream.authority(), "grafana/grafana:11.3.0");
                assert_eq!(new_digest, children[0], "amd64 of {children:?}: {context}");
            } else {
                assert_eq!(new_digest, digests.1, "{context}");
            }

            // The rewrite: exactly the entry's line, tag and digest replaced; and what
            // IM211's auto-replace simulation writes for Renovate's own values.
            let written = branch["files"]["vars.yml"].as_str().unwrap();
            assert_eq!(
                simulated_rewrite(preset(version), &before, dep_name, new_tag, &new_digest),
                written,
                "{context}"
            );
            let line = |tag: &str, digest: &str| {
                format!("  {entry}: quay.io/cki/mirror/{mirror_path}:{tag}@{digest}\n")
            };
            assert_eq!(
                written,
                before.replace(&line(old_tag, &digests.0), &line(new_tag, &new_digest)),
                "{context}"
            );
            assert_eq!(branch["artifactErrors"], serde_json::json!([]), "{context}");
            assert_eq!(
                world.mirror_digest(mirrored).as_deref(),
                Some(new_digest.as_str()),
                "the mirror does not hold what Renovate pinned: {context}"
            );
        }

        // How Renovate ran the task: 39 once per update with the values on the command
        // line; current Renovate once per branch with the data file.
        if version.starts_with("39.") {
            assert_eq!(run.commands.len(), 3, "{:?}", run.commands);
            assert!(run.data_files.is_empty());
            let grafana = run.branch("grafana/grafana");
            assert!(
                run.commands.contains(&format!(
                    "post-upgrade --dep-name=grafana/grafana --new-value=11.3.0 --new-digest={}",
                    grafana["upgrades"][0]["newDigest"].as_str().unwrap()
                )),
                "{:?}",
                run.commands
            );
        } else {
            assert_eq!(run.commands, vec!["post-upgrade"; 3]);
            assert_eq!(run.data_files.len(), 3);
            let dex = run.branch("ghcr.io/dexidp/dex");
            assert!(
                run.data_files.contains(&serde_json::json!([{
                    "depName": "ghcr.io/dexidp/dex",
                    "newValue": "v2.41.0",
                    "newDigest": dex["upgrades"][0]["newDigest"],
                }])),
                "{:?}",
                run.data_files
            );
        }
    }
}

#[test]
fn a_lying_upstream_is_an_artifact_error_and_leaves_no_tag() {
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let world = World::new();
        let before = vars(&publish(&world));
        let origin = origin(&before, preset(version));
        // Renovate's lookups see the real upstream; the task's copies go through a proxy
        // that flips a byte of every blob it serves.
        let proxy = FaultyProxy::start(world.upstream.port);
        proxy.add(Rule::always("GET", "/blobs/sha256:", Fault::FlipByte(0)));
        let run = run_renovate(
            &renovate,
            origin.path(),
            &world.upstream.url(),
            &proxy.url(),
            &world.mirror.url(),
        );
        let context = format!("Renovate {version}: {:#}", run.result);
        assert!(proxy.injected() > 0, "no blob was corrupted: {context}");
        for (dep_name, mirrored) in [
            ("grafana/grafana", "cki/mirror/grafana/grafana:11.3.0"),
            (
                "docker.io/library/nginx",
                "cki/mirror/docker.io/library/nginx:1.27.1",
            ),
            (
                "ghcr.io/dexidp/dex",
                "cki/mirror/ghcr.io/dexidp/dex:v2.41.0",
            ),
        ] {
            let errors = run.branch(dep_name)["artifactErrors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                errors.contains("Command failed: img-mirror post-upgrade")
                    && errors.contains("this bump must not merge"),
                "{dep_name}: {errors}\n{context}"
            );
            assert_eq!(world.mirror_digest(mirrored), None, "{dep_name} was tagged");
        }
    }
}

/// A manager that names its dep only through `packageNameTemplate`, as two of Renovate's
/// own repository do: Renovate compares the re-extracted dep's depName before copying
/// packageName into it, but `upgrade.newName !== newUpgrade.depName` is false when both
/// are undefined, so the bump is written. IM211 must agree (it once did not).
#[test]
fn a_dep_named_only_by_package_name_template_is_judged_as_renovate_does() {
    for version in VERSIONS {
        let renovate = Renovate::get(version);
        let world = World::new();
        let old = world.publish("grafana/grafana", "11.2.0", single(21));
        let _new = world.publish("grafana/grafana", "11.3.0", single(22));
        let patterns = if version.starts_with("39.") {
            "\"fileMatch\": [\"(^|/)versions\\\\.ts$\"]"
        } else {
            "\"managerFilePatterns\": [\"/(^|/)versions\\\\.ts$/\"]"
        };
        let config = format!(
            "{{\"customManagers\": [{{\"customType\": \"regex\", {patterns}, \"matchStrings\": [\"const grafana = '(?<currentValue>[^'@]+)@(?<currentDigest>sha256:[a-f0-9]{{64}})'\"], \"packageNameTemplate\": \"grafana/grafana\", \"datasourceTemplate\": \"docker\"}}]}}\n"
        );
        let origin = origin_with(&[
            (
                "versions.ts",
                &format!("export const grafana = '11.2.0@{old}';\n"),
            ),
            ("renovate.json", &config),
        ]);
        let upstream = world.upstream.url();
        let run = run_renovate(
            &renovate,
            origin.path(),
            &upstream,
            &upstream,
            &world.mirror.url(),
        );
        let branch = &run.result["branches"][0];
        let written = branch["files"]["versions.ts"].as_str().unwrap_or_default();
        assert!(
            written.starts_with("export const grafana = '11.3.0@sha256:"),
            "Renovate {version} wrote no bump: {:#}",
            run.result
        );
        let check = img_mirror()
            .args(["check", "--format", "json", "--repo"])
            .arg(origin.path())
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
        assert!(!stdout(&check).contains("IM211"), "{}", stdout(&check));
    }
}
