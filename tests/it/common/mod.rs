//! Helpers shared by the CLI tests: run the real binary, read fixtures.

#![allow(dead_code)]

pub mod faulty;
pub mod images;
pub mod registry;
pub mod renovate;
pub mod server;
pub mod token;
pub mod world;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `git ARGS` in `repo`, as a test user; panics with git's stderr when it fails.
pub fn git(repo: &Path, args: &[&str]) {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=img-mirror test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The built `img-mirror`, with a clean environment for its own variables.
pub fn img_mirror() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_img-mirror"));
    command
        .env_remove("IMG_MIRROR_PREFIX")
        .env_remove("CI_PROJECT_DIR")
        .env("NO_COLOR", "1");
    command
}

/// A self-signed RSA certificate and its key, `cert.pem` and `key.pem` in `dir`, made by
/// the openssl command (installed by tests/run.sh). `subject_alt_name` is written as
/// openssl takes it, such as `IP:127.0.0.1`.
pub fn self_signed_certificate(
    dir: &Path,
    common_name: &str,
    subject_alt_name: Option<&str>,
) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let mut command = Command::new("openssl");
    command
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .arg("-subj")
        .arg(format!("/CN={common_name}"));
    if let Some(name) = subject_alt_name {
        command.arg("-addext").arg(format!("subjectAltName={name}"));
    }
    let made = command
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed by tests/run.sh");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

pub fn run(args: &[&str]) -> Output {
    run_with_env(args, &[])
}

pub fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    img_mirror()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("img-mirror runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// `--format json` output as one JSON value per line.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}
