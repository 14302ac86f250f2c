//! Names that could smuggle URL syntax into a registry request (`..`, `%2F`, `?`, `#`,
//! whitespace, upper case, a second `@`) are refused by the reference grammar before any
//! request exists: every network command is run with such names against a registry
//! that logs its requests, and the log stays empty. A well-formed name afterwards shows
//! the log does record requests.

use crate::common::registry::TestRegistry;
use crate::common::{images, img_mirror, stderr, stdout};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Repository paths that must never reach a registry, each with what makes it hostile.
const HOSTILE_PATHS: &[(&str, &str)] = &[
    ("org/../app", "dot-dot"),
    ("org/%2e%2e/app", "percent-encoded dots"),
    ("org%2Fapp", "percent-encoded slash"),
    ("org/app?n=1", "query"),
    ("org/app#x", "fragment"),
    ("org/ app", "space"),
    ("org/\tapp", "tab"),
    ("Org/App", "upper case"),
    ("org//app", "empty component"),
    ("org/app@evil", "second @"),
    ("org/app/", "trailing slash"),
];

struct World {
    registry: TestRegistry,
    repo: tempfile::TempDir,
}

impl World {
    /// A git repository whose committed vars.yml is well-formed, so `post-upgrade`
    /// sees each hostile entry as Renovate's change.
    fn new() -> World {
        let world = World {
            registry: TestRegistry::start_logged(),
            repo: tempfile::tempdir().unwrap(),
        };
        world.write_vars(&format!("quay.io/cki/mirror/org/app:0.9@{DIGEST}"));
        for args in [
            &["init", "-q"][..],
            &["add", "vars.yml"],
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-qm",
                "vars",
            ],
        ] {
            let status = std::process::Command::new("git")
                .args(args)
                .current_dir(world.repo.path())
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        }
        world
    }

    /// Runs img-mirror with every registry routed to the logging one.
    fn run(&self, args: &[&str]) -> std::process::Output {
        let url = self.registry.url();
        img_mirror()
            .current_dir(self.repo.path())
            .env(
                "IMG_MIRROR_REGISTRIES",
                format!("docker.io={url},quay.io={url},ghcr.io={url}"),
            )
            .args(args)
            .output()
            .unwrap()
    }

    fn write_vars(&self, value: &str) {
        let quoted = serde_json::to_string(value).unwrap();
        std::fs::write(
            self.repo.path().join("vars.yml"),
            format!("MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  app: {quoted}\n"),
        )
        .unwrap();
    }
}

fn assert_refused(output: &std::process::Output, command: &str, why: &str) {
    assert_ne!(
        output.status.code(),
        Some(0),
        "{command} ({why}) succeeded:\n{}{}",
        stdout(output),
        stderr(output)
    );
    let text = format!("{}{}", stdout(output), stderr(output));
    assert!(
        text.contains("invalid") || text.contains("IM104") || text.contains("IM107"),
        "{command} ({why}) does not say the name is invalid:\n{text}"
    );
}

#[test]
fn hostile_names_are_refused_before_any_request() {
    let world = World::new();
    // The readiness probe of the test harness itself.
    let probes = world.registry.requests();
    for (path, why) in HOSTILE_PATHS {
        let mirrored = format!("quay.io/cki/mirror/{path}:1.0@{DIGEST}");
        world.write_vars(&mirrored);
        for command in [
            &["mirror", "--repo", "."][..],
            &["mirror", "--repo", ".", "--dry-run"][..],
            &["verify", "--repo", "."][..],
            &["verify", "--repo", ".", "--deep", "--upstream"][..],
        ] {
            let output = world.run(command);
            assert_refused(&output, &command.join(" "), why);
        }

        let upstream = format!("docker.io/{path}:1.0");
        for command in [
            vec!["pin", "app", upstream.as_str(), "--repo", "."],
            vec!["pin", "app", upstream.as_str(), "--repo", ".", "--dry-run"],
            vec!["inspect", upstream.as_str()],
        ] {
            let output = world.run(&command);
            assert_refused(&output, &command.join(" "), why);
        }

        let dep_name = format!("--dep-name={path}");
        let command = [
            "post-upgrade",
            "--repo",
            ".",
            dep_name.as_str(),
            "--new-value=1.0",
            "--new-digest",
            DIGEST,
        ];
        let output = world.run(&command);
        assert_refused(&output, "post-upgrade", why);
        assert_eq!(
            world.registry.requests(),
            probes,
            "a request was made for the {why} name {path:?}"
        );
    }

    // The log does record requests: a well-formed name is looked up.
    images::publish_small(&world.registry.authority(), "org/app", "1.0", 7);
    let output = world.run(&["inspect", "docker.io/org/app:1.0"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(world.registry.requests().len() > probes.len());
}
