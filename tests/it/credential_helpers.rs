//! Docker credential helpers (`credHelpers`, `credsStore` in docker's config.json)
//! against a real htpasswd-protected registry: a `docker-credential-fake` shell script
//! first on PATH, docker's config in a scratch `DOCKER_CONFIG`, an empty HOME and no
//! `REGISTRY_AUTH_FILE`, so the helper is the only way to the credentials. The helper
//! logs every registry it is asked for: the name images use (`quay.io`), once a run.

use std::path::PathBuf;
use std::process::Command;

use crate::common::images::{self, Platform, layer};
use crate::common::registry::TestRegistry;
use crate::common::world::World;

const USER: &str = "helper-robot";
const PASSWORD: &str = "h3lper-pa55-w0rd";

/// What `docker-credential-fake get` runs, after logging the server it was asked for:
/// an answer of `user`/`secret` for any server.
pub fn answers(user: &str, secret: &str) -> String {
    format!(r#"printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}\n' "$server""#)
}

/// The credential environment of an `img-mirror` run: `docker-credential-fake` (running
/// `body`) first on PATH, `config` as `$DOCKER_CONFIG/config.json`, an empty HOME, and
/// neither `REGISTRY_AUTH_FILE` nor `XDG_RUNTIME_DIR`, so no other auth file is read.
pub struct HelperEnv {
    bin: tempfile::TempDir,
    docker_config: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl HelperEnv {
    pub fn new(config: &str, body: &str) -> HelperEnv {
        use std::os::unix::fs::PermissionsExt as _;
        let env = HelperEnv {
            bin: tempfile::tempdir().unwrap(),
            docker_config: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        };
        let helper = env.bin.path().join("docker-credential-fake");
        std::fs::write(
            &helper,
            format!(
                "#!/bin/sh\nserver=$(cat)\nprintf '%s\\n' \"$server\" >> '{}'\n{body}\n",
                env.log().display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(env.docker_config.path().join("config.json"), config).unwrap();
        env
    }

    fn log(&self) -> PathBuf {
        self.bin.path().join("calls.log")
    }

    /// `command` in this environment.
    pub fn apply(&self, command: &mut Command) {
        let path = std::env::join_paths(std::iter::once(self.bin.path().to_path_buf()).chain(
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
        ))
        .unwrap();
        command
            .env("PATH", path)
            .env("DOCKER_CONFIG", self.docker_config.path())
            .env("HOME", self.home.path())
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("XDG_RUNTIME_DIR");
    }

    /// The servers the helper was asked for so far, one per run of it; then forgotten.
    pub fn take_calls(&self) -> Vec<String> {
        let calls = std::fs::read_to_string(self.log()).unwrap_or_default();
        let _ = std::fs::remove_file(self.log());
        calls.lines().map(str::to_string).collect()
    }
}

/// An upstream anonymous registry with grafana/grafana:11.2.0 and a mirror that takes
/// only `USER`/`PASSWORD`, with vars.yml pinning the image under quay.io/cki/mirror.
fn world_with_guarded_mirror() -> (World, String) {
    let world = World::with(
        TestRegistry::start(),
        TestRegistry::start_with_basic_auth(USER, PASSWORD),
    );
    let digest = world.publish(
        "grafana/grafana",
        "11.2.0",
        vec![Platform {
            architecture: "amd64",
            layers: vec![layer(31, 200_000)],
        }],
    );
    world.write_vars(&format!(
        "MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  grafana: quay.io/cki/mirror/grafana/grafana:11.2.0@{digest}\n"
    ));
    (world, digest)
}

#[test]
fn mirror_pushes_with_what_a_cred_helper_answers_for_the_registry_images_name() {
    let (world, digest) = world_with_guarded_mirror();
    let reference = "cki/mirror/grafana/grafana:11.2.0";

    // Without the helper the mirror refuses the push: the credentials can come from
    // nowhere else.
    let without = HelperEnv::new(r#"{"auths": {}}"#, &answers(USER, PASSWORD));
    let mut command = world.command(&["mirror"]);
    without.apply(&mut command);
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "mirrored without credentials:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(without.take_calls().is_empty());
    assert_eq!(
        images::tag_digest(
            &world.mirror.authority(),
            reference,
            Some(&format!("{USER}:{PASSWORD}"))
        ),
        None
    );

    let with = HelperEnv::new(
        r#"{"auths": {}, "credHelpers": {"quay.io": "fake"}}"#,
        &answers(USER, PASSWORD),
    );
    let mut command = world.command(&["mirror", "--format", "json"]);
    with.apply(&mut command);
    let output = command.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = crate::common::json_lines(&output);
    assert_eq!(lines.last().unwrap()["copied"], 1, "{lines:?}");
    assert_eq!(
        images::tag_digest(
            &world.mirror.authority(),
            reference,
            Some(&format!("{USER}:{PASSWORD}"))
        ),
        Some(digest)
    );
    // Asked once for the whole run (HEADs, blob uploads, the manifest), for the name
    // images use, not the endpoint `--registry` sends it to; docker.io has no helper.
    assert_eq!(with.take_calls(), ["quay.io"]);
}

#[test]
fn a_failing_cred_helper_fails_the_run_naming_it_and_its_exit_status_only() {
    let (world, _) = world_with_guarded_mirror();
    let leaked = "leaked-helper-output-7f3a9";
    let env = HelperEnv::new(
        r#"{"credHelpers": {"quay.io": "fake"}}"#,
        &format!("echo 'password={leaked}'; echo 'stderr-{leaked}' >&2; exit 1"),
    );
    let mut command = world.command(&["mirror"]);
    env.apply(&mut command);
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let everything = format!("{}{stderr}", String::from_utf8_lossy(&output.stdout));
    assert_eq!(output.status.code(), Some(1), "{everything}");
    // The image fails with the helper's name and status, on the outcome's line.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("FAILED   IMAGES.grafana")
            && stdout.contains("docker-credential-fake")
            && stdout.contains("exit status: 1"),
        "{everything}"
    );
    assert!(!everything.contains(leaked), "{everything}");
    assert_eq!(env.take_calls(), ["quay.io"]);
}
