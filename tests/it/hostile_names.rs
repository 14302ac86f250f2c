//! Names that could smuggle URL syntax into a registry request (`..`, `%2F`, `?`, `#`,
//! whitespace, upper case, a second `@`) are refused by the reference grammar before any
//! request exists: every network command is run with such names against a registry
//! that logs its requests, and the log stays empty. A well-formed name afterwards shows
//! the log does record requests.

use crate::common::world::World;
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

/// The shared world on two logging registries, with a git repository whose committed
/// vars.yml is well-formed, so `post-upgrade` sees each hostile entry as Renovate's
/// change.
fn world() -> World {
    let world = World::logged();
    write_vars(&world, &format!("quay.io/cki/mirror/org/app:0.9@{DIGEST}"));
    for args in [
        &["init", "-q"][..],
        &["add", "vars.yml"],
        &["commit", "-qm", "vars"],
    ] {
        crate::common::git(world.repo.path(), args);
    }
    world
}

/// Runs img-mirror in the repository (commands take `--repo .` themselves; inspect
/// takes none) with the world's registry flags.
fn run(world: &World, args: &[&str]) -> std::process::Output {
    img_mirror()
        .current_dir(world.repo.path())
        .args(args)
        .args(world.flags())
        .output()
        .unwrap()
}

fn write_vars(world: &World, value: &str) {
    let quoted = serde_json::to_string(value).unwrap();
    world.write_vars(&format!(
        "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  app: {quoted}\n"
    ));
}

/// Every request either registry has logged.
fn requests(world: &World) -> Vec<String> {
    let mut all = world.upstream.requests();
    all.extend(world.mirror.requests());
    all
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
    let world = world();
    // The readiness probes of the test harness itself.
    let probes = requests(&world);
    for (path, why) in HOSTILE_PATHS {
        let mirrored = format!("quay.io/cki/mirror/{path}:1.0@{DIGEST}");
        write_vars(&world, &mirrored);
        for command in [
            &["mirror", "--repo", "."][..],
            &["mirror", "--repo", ".", "--dry-run"][..],
            &["verify", "--repo", "."][..],
            &["verify", "--repo", ".", "--deep", "--upstream"][..],
        ] {
            let output = run(&world, command);
            assert_refused(&output, &command.join(" "), why);
        }

        let upstream = format!("docker.io/{path}:1.0");
        for command in [
            vec!["pin", "app", upstream.as_str(), "--repo", "."],
            vec!["pin", "app", upstream.as_str(), "--repo", ".", "--dry-run"],
            vec!["inspect", upstream.as_str()],
        ] {
            let output = run(&world, &command);
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
        let output = run(&world, &command);
        assert_refused(&output, "post-upgrade", why);
        assert_eq!(
            requests(&world),
            probes,
            "a request was made for the {why} name {path:?}"
        );
    }

    // The log does record requests: a well-formed name is looked up.
    images::publish_small(&world.upstream.authority(), "org/app", "1.0", 7);
    let output = run(&world, &["inspect", "docker.io/org/app:1.0"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(requests(&world).len() > probes.len());
}
