//! The static binary (`dist/build-static.sh`) where Renovate runners and `FROM scratch`
//! images run it: an empty root with nothing but the binary, the repository it reads
//! and, where a test says so, what a container runtime injects (`/etc/hosts`) or a
//! user provides (a CA file). tests/run.sh builds the binary and names it in
//! `IMG_MIRROR_STATIC_BINARY`; chroot needs root, which CI has.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::images::publish_small;
use crate::common::registry::TestRegistry;
use crate::common::{fixtures, json_lines, stderr, stdout};

/// The static binary, or `None` outside CI when it was not built (in CI, a failure).
fn static_binary() -> Option<PathBuf> {
    match std::env::var_os("IMG_MIRROR_STATIC_BINARY") {
        Some(path) => Some(PathBuf::from(path)),
        None if std::env::var_os("CI").is_some() => {
            panic!("CI must test the static binary: tests/run.sh sets IMG_MIRROR_STATIC_BINARY")
        }
        None => {
            eprintln!(
                "not run: set IMG_MIRROR_STATIC_BINARY to the path dist/build-static.sh prints"
            );
            None
        }
    }
}

/// A root holding only `/img-mirror` and an empty `/repo`.
struct EmptyRoot {
    dir: tempfile::TempDir,
}

impl EmptyRoot {
    fn new(binary: &Path) -> EmptyRoot {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(binary, dir.path().join("img-mirror")).unwrap();
        std::fs::create_dir(dir.path().join("repo")).unwrap();
        EmptyRoot { dir }
    }

    fn path(&self, inside: &str) -> PathBuf {
        self.dir.path().join(inside.trim_start_matches('/'))
    }

    fn write(&self, inside: &str, text: &str) {
        let path = self.path(inside);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// `img-mirror ARGS` run with this root as `/`, with no environment but `env` (and
    /// `PATH`, for chroot itself to be found).
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new("chroot")
            .arg(self.dir.path())
            .arg("/img-mirror")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .output()
            .expect("chroot runs")
    }

    /// Every path in the root, to show that nothing else was there.
    fn listing(&self) -> Vec<String> {
        let mut paths = Vec::new();
        let mut pending = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path.clone());
                }
                let inside = path.strip_prefix(self.dir.path()).unwrap();
                paths.push(format!("/{}", inside.display()));
            }
        }
        paths.sort();
        paths
    }
}

#[test]
fn the_static_binary_has_no_dynamic_dependencies() {
    let Some(binary) = static_binary() else {
        return;
    };
    let headers = Command::new("readelf")
        .args(["--program-headers", "--dynamic", "--wide"])
        .arg(&binary)
        .output()
        .unwrap();
    let text = stdout(&headers);
    assert!(headers.status.success(), "{}", stderr(&headers));
    assert!(!text.contains("INTERP"), "needs a loader:\n{text}");
    assert!(
        !text.contains("(NEEDED)"),
        "needs a shared library:\n{text}"
    );
}

#[test]
fn check_runs_in_an_empty_root() {
    let Some(binary) = static_binary() else {
        return;
    };
    let root = EmptyRoot::new(&binary);
    for name in ["vars.yml", "renovate.json"] {
        let text = std::fs::read_to_string(fixtures().join("deployment-all").join(name)).unwrap();
        root.write(&format!("/repo/{name}"), &text);
    }
    assert_eq!(
        root.listing(),
        [
            "/img-mirror",
            "/repo",
            "/repo/renovate.json",
            "/repo/vars.yml"
        ]
    );
    let output = root.run(&["check", "--repo", "/repo"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

/// The registry commands in a root with no CA bundle, no NSS modules and no resolver
/// but the `/etc/hosts` a container runtime writes: the upstream is reached by name,
/// the HTTPS mirror through the CA file the user names in `SSL_CERT_FILE` (merged with
/// the binary's own roots, as a corporate CA would be).
#[test]
fn registry_commands_run_in_an_empty_root() {
    let Some(binary) = static_binary() else {
        return;
    };
    let upstream = TestRegistry::start();
    let mirror = TestRegistry::start_tls();
    let root = EmptyRoot::new(&binary);
    root.write("/etc/hosts", "127.0.0.1 upstream.registry.test\n");
    let ca = std::fs::read_to_string(mirror.certificate_authority()).unwrap();
    root.write("/ca.pem", &ca);
    let first = publish_small(&upstream.authority(), "grafana/grafana", "11.3.0", 71);
    let second = publish_small(&upstream.authority(), "grafana/grafana", "11.4.0", 72);
    root.write(
        "/repo/vars.yml",
        &format!(
            "MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  grafana: quay.io/cki/mirror/grafana/grafana:11.3.0@{first}\n"
        ),
    );
    let upstream_flag = format!(
        "--registry=docker.io=http://upstream.registry.test:{}",
        upstream.port
    );
    let mirror_flag = format!("--registry=quay.io=https://{}", mirror.authority());
    let with_ca = [("SSL_CERT_FILE", "/ca.pem")];
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--repo", "/repo", &upstream_flag, &mirror_flag]);
        root.run(&all, env)
    };

    let inspected = root.run(
        &[
            "inspect",
            "docker.io/grafana/grafana:11.4.0",
            &upstream_flag,
        ],
        &[],
    );
    assert_eq!(inspected.status.code(), Some(0), "{}", stderr(&inspected));
    assert!(
        stdout(&inspected).contains(&second),
        "{}",
        stdout(&inspected)
    );

    // Without the CA the mirror's certificate is refused: verification is on, and the
    // roots the binary carries are what it verifies with.
    let refused = run(&["mirror", "--format", "json"], &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let text = stdout(&refused);
    assert!(
        text.contains("UnknownIssuer") || text.contains("certificate"),
        "{text}"
    );

    let mirrored = run(&["mirror", "--format", "json"], &with_ca);
    assert_eq!(mirrored.status.code(), Some(0), "{}", stdout(&mirrored));
    let lines = json_lines(&mirrored);
    assert!(
        lines
            .iter()
            .any(|line| line["entry"] == "grafana" && line["status"] == "copied"),
        "{lines:?}"
    );

    let pinned = run(
        &[
            "pin",
            "grafana",
            "docker.io/grafana/grafana:11.4.0",
            "--mirror",
        ],
        &with_ca,
    );
    assert_eq!(pinned.status.code(), Some(0), "{}", stderr(&pinned));
    let vars = std::fs::read_to_string(root.path("/repo/vars.yml")).unwrap();
    assert!(
        vars.contains(&format!(
            "quay.io/cki/mirror/grafana/grafana:11.4.0@{second}"
        )),
        "{vars}"
    );

    let verified = run(&["verify", "--format", "json"], &with_ca);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
}

/// `buildah` with a store of its own in `store`, vfs storage as dist/build-image.sh uses.
fn buildah(store: &Path, args: &[&str]) -> Output {
    let output = Command::new("buildah")
        .arg("--root")
        .arg(store.join("root"))
        .arg("--runroot")
        .arg(store.join("run"))
        .args(["--storage-driver", "vfs"])
        .args(args)
        .output()
        .expect("buildah is installed by tests/run.sh");
    assert!(
        output.status.success(),
        "buildah {args:?}: {}",
        stderr(&output)
    );
    output
}

/// dist/build-image.sh builds the image offline; pushed upstream, img-mirror pins,
/// mirrors and verifies it like any other image, and the binary the mirror serves runs
/// as the image's entrypoint in an empty root.
#[test]
fn the_image_builds_and_is_mirrored_and_verified() {
    let Some(binary) = static_binary() else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let opts = format!(
        "--root {} --runroot {}",
        store.path().join("root").display(),
        store.path().join("run").display()
    );
    let built = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/build-image.sh"))
        .arg("localhost/img-mirror:test")
        .env("IMG_MIRROR_STATIC_BINARY", &binary)
        .env("BUILDAH_OPTS", &opts)
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", stderr(&built));
    assert_eq!(
        stdout(&built).lines().last(),
        Some("localhost/img-mirror:test")
    );

    let world = crate::common::world::World::new();
    std::fs::copy(
        fixtures().join("deployment-all/renovate.json"),
        world.repo.path().join("renovate.json"),
    )
    .unwrap();
    world.write_vars("MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n");
    buildah(
        store.path(),
        &[
            "push",
            "--quiet",
            "--tls-verify=false",
            "localhost/img-mirror:test",
            &format!(
                "docker://{}/cki/img-mirror:0.1.0",
                world.upstream.authority()
            ),
        ],
    );

    let pinned = world.run(&[
        "pin",
        "img_mirror",
        "docker.io/cki/img-mirror:0.1.0",
        "--mirror",
    ]);
    assert_eq!(pinned.status.code(), Some(0), "{}", stderr(&pinned));
    assert!(
        world
            .vars()
            .contains("  img_mirror: quay.io/cki/mirror/cki/img-mirror:0.1.0@sha256:"),
        "{}",
        world.vars()
    );
    let verified = world.run(&["verify"]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
    assert!(world.in_mirror("cki/mirror/cki/img-mirror:0.1.0"));

    // What the mirror serves: its config names the binary as entrypoint, and its one
    // layer, unpacked into an empty root, is a working img-mirror.
    let source = format!(
        "docker://{}/cki/mirror/cki/img-mirror:0.1.0",
        world.mirror.authority()
    );
    let config = Command::new("skopeo")
        .args(["inspect", "--config", "--tls-verify=false", &source])
        .output()
        .unwrap();
    assert!(config.status.success(), "{}", stderr(&config));
    let config: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(
        config["config"]["Entrypoint"],
        serde_json::json!(["/img-mirror"])
    );

    let copied = tempfile::tempdir().unwrap();
    let layout = copied.path().join("image");
    let copy = Command::new("skopeo")
        .args(["copy", "--quiet", "--src-tls-verify=false", &source])
        .arg(format!("dir:{}", layout.display()))
        .output()
        .unwrap();
    assert!(copy.status.success(), "{}", stderr(&copy));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("manifest.json")).unwrap()).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1, "{manifest}");
    let layer = layers[0]["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    let root = copied.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let unpacked = Command::new("tar")
        .arg("-xf")
        .arg(layout.join(layer))
        .arg("-C")
        .arg(&root)
        .output()
        .unwrap();
    assert!(unpacked.status.success(), "{}", stderr(&unpacked));
    let version = Command::new("chroot")
        .arg(&root)
        .args(["/img-mirror", "--version"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert_eq!(
        stdout(&version).trim(),
        concat!("img-mirror ", env!("CARGO_PKG_VERSION")),
        "{}",
        stderr(&version)
    );
}
