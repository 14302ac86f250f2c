//! Helpers shared by the CLI tests: run the real binary, read fixtures.

#![allow(dead_code)]

pub mod artifacts;
pub mod faulty;
pub mod images;
pub mod pull_limit;
pub mod referrers_api;
pub mod registry;
pub mod renovate;
pub mod rng;
pub mod server;
pub mod token;
pub mod world;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs an external tool (git, skopeo, openssl, node...), which must succeed; its
/// stdout. A tool missing or failing panics with the command and its stderr.
pub fn tool_output(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e} (tests/run.sh installs the tools)"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// `git ARGS` in `repo`, as a test user, which must succeed.
pub fn git(repo: &Path, args: &[&str]) {
    tool_output(
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args([
                "-c",
                "user.name=img-mirror test",
                "-c",
                "user.email=test@example.invalid",
            ])
            .args(args),
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
    let subject = format!("/CN={common_name}");
    let mut args = vec![
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", &subject,
    ];
    let extension = subject_alt_name.map(|name| format!("subjectAltName={name}"));
    if let Some(extension) = &extension {
        args.extend(["-addext", extension]);
    }
    args.extend(["-keyout", "key.pem", "-out", "cert.pem"]);
    openssl(dir, &args);
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// `openssl ARGS` in `dir`, which must succeed.
fn openssl(dir: &Path, args: &[&str]) {
    tool_output(Command::new("openssl").args(args).current_dir(dir));
}

/// A server certificate for `subject_alt_name` (`IP:127.0.0.1`) issued by a CA made for
/// it, as real registries' are (webpki refuses a self-signed CA as a server's own
/// certificate): `cert.pem` and `key.pem` for the server and `ca.pem` for clients, in
/// `dir`.
pub fn ca_issued_certificate(dir: &Path, subject_alt_name: &str) -> (PathBuf, PathBuf) {
    let words = |line: &'static str| line.split_whitespace().collect::<Vec<_>>();
    let ca = words("req -x509 -newkey rsa:2048 -nodes -days 1 -keyout ca.key -out ca.pem");
    openssl(
        dir,
        &[&ca[..], &["-subj", "/CN=img-mirror test CA"]].concat(),
    );
    let request = words("req -newkey rsa:2048 -nodes -keyout key.pem -out server.csr");
    openssl(
        dir,
        &[&request[..], &["-subj", "/CN=img-mirror test registry"]].concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        format!(
            "subjectAltName={subject_alt_name}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    openssl(
        dir,
        &words(
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile server.ext -out cert.pem",
        ),
    );
    (dir.join("cert.pem"), dir.join("key.pem"))
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
