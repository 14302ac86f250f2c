//! No command ever prints a credential: every command runs with an auth file for
//! basic-auth registries on both sides (the right password, then a wrong one); each
//! command that talks to a registry is first shown (by the registries' access logs) to
//! have sent the credential, and then all of its stdout and stderr, human and JSON, is
//! searched for the secret and its base64 form. Registry commands run again at `-vv`,
//! whose log is first shown to hold requests that carried the credential.

use std::path::Path;
use std::process::Command;

use crate::common::images;
use crate::common::img_mirror;
use crate::common::registry::TestRegistry;

const SECRET: &str = "pa55-w0rd-do-not-print";

fn auth_file(dir: &Path, password: &str) -> std::path::PathBuf {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("robot:{password}"));
    let path = dir.join(format!("auth-{}.json", password.len()));
    std::fs::write(
        &path,
        format!(
            r#"{{"auths": {{"quay.io/cki": {{"auth": "{encoded}"}}, "docker.io": {{"auth": "{encoded}"}}}}}}"#
        ),
    )
    .unwrap();
    path
}

/// Whether a `-vv` log holds a request line of the registry client (whichever of its
/// modules sent it) that carried basic credentials.
fn logged_a_basic_request(log: &str) -> bool {
    log.lines().any(|line| {
        line.contains("img_mirror::registry")
            && line.contains(" request ")
            && line.contains("auth=\"basic\"")
    })
}

/// org/app:1.0 on `upstream` (which takes robot/`password`), published through an
/// anonymous registry and copied in with skopeo; its digest.
fn publish_app(upstream: &TestRegistry, password: &str) -> String {
    let staging = TestRegistry::start();
    images::publish_small(&staging.authority(), "org/app", "1.0", 90);
    let copied = Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            "--all",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
        ])
        .arg(format!("--dest-creds=robot:{password}"))
        .arg(format!("docker://{}/org/app:1.0", staging.authority()))
        .arg(format!("docker://{}/org/app:1.0", upstream.authority()))
        .output()
        .unwrap();
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    images::tag_digest(
        &upstream.authority(),
        "org/app:1.0",
        Some(&format!("robot:{password}")),
    )
    .unwrap()
}

#[test]
fn no_command_prints_a_secret() {
    use base64::Engine as _;
    let upstream = TestRegistry::start_with_basic_auth_logged("robot", SECRET);
    let mirror = TestRegistry::start_with_basic_auth_logged("robot", SECRET);
    let digest = publish_app(&upstream, SECRET);

    let repo = tempfile::tempdir().unwrap();
    let vars = format!(
        "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  app: quay.io/cki/mirror/org/app:1.0@{digest}\n"
    );
    std::fs::write(repo.path().join("vars.yml"), &vars).unwrap();
    crate::common::git(repo.path(), &["init", "-q"]);
    crate::common::git(repo.path(), &["add", "."]);
    crate::common::git(repo.path(), &["commit", "-q", "-m", "v"]);
    std::fs::write(
        repo.path().join("vars.yml"),
        vars.replace("  app:", "  app2:"),
    )
    .unwrap();

    let dir = repo.path().to_str().unwrap().to_string();
    let registries = [
        format!("--registry=docker.io={}", upstream.url()),
        format!("--registry=quay.io={}", mirror.url()),
    ];
    let commands: Vec<Vec<String>> = [
        vec!["check", "--repo", &dir],
        vec!["check", "--repo", &dir, "--format", "json"],
        vec!["extract", "--repo", &dir, "--format", "json"],
        vec!["diff", "--repo", &dir],
        vec!["mirror", "--repo", &dir],
        vec!["mirror", "--repo", &dir, "--format", "json"],
        vec!["verify", "--repo", &dir, "--deep", "--format", "json"],
        vec!["inspect", "quay.io/cki/mirror/org/app:1.0"],
        vec![
            "pin",
            "other",
            "docker.io/org/app:1.0",
            "--repo",
            &dir,
            "--dry-run",
        ],
        vec!["post-upgrade", "--repo", &dir],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_string).collect())
    .collect();

    let secrets = [
        SECRET.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("robot:{SECRET}")),
        "wrong-pa55".to_string(),
        base64::engine::general_purpose::STANDARD.encode("robot:wrong-pa55"),
    ];
    let mut copied = false;
    for password in [SECRET, "wrong-pa55"] {
        let auth = auth_file(repo.path(), password);
        let runs = commands.iter().flat_map(|args| {
            let offline = matches!(args[0].as_str(), "check" | "extract" | "diff");
            let verbosity: &[bool] = if offline { &[false] } else { &[false, true] };
            verbosity.iter().map(move |verbose| (args, *verbose))
        });
        for (args, verbose) in runs {
            let mut command = img_mirror();
            command.args(args).env("REGISTRY_AUTH_FILE", &auth);
            if !matches!(args[0].as_str(), "check" | "extract" | "diff") {
                command.args(&registries);
            }
            if verbose {
                // Every log line there is: ours, oci-client's and the HTTP stack's.
                command.arg("-vv");
            }
            let sent_before = upstream.authorized_requests() + mirror.authorized_requests();
            let output = command.output().unwrap();
            let offline = matches!(args[0].as_str(), "check" | "extract" | "diff");
            if password == SECRET && !offline {
                // The registries write their log lines as responses complete: give the
                // last ones a moment.
                let mut sent = 0;
                for _ in 0..40 {
                    sent =
                        upstream.authorized_requests() + mirror.authorized_requests() - sent_before;
                    if sent > 0 {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                assert!(
                    sent > 0,
                    "`img-mirror {}` sent no authenticated request: the test proves nothing for it\n{}",
                    args.join(" "),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            if verbose {
                let log = String::from_utf8_lossy(&output.stderr);
                assert!(
                    logged_a_basic_request(&log),
                    "`img-mirror -vv {}` logged no request that carried the credential:\n{log}",
                    args.join(" ")
                );
            }
            let everything = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            for secret in &secrets {
                assert!(
                    !everything.contains(secret.as_str()),
                    "`img-mirror {}` printed a secret:\n{everything}",
                    args.join(" ")
                );
            }
            copied |= password == SECRET && args[0] == "mirror" && output.status.success();
        }
    }
    assert!(
        copied,
        "the right credentials were never accepted, so nothing was tested against auth"
    );
}

/// A credential helper's secret, like an auth file's, never appears in output: every
/// registry command runs at `-vv` with credentials that only `credsStore` gives (for
/// Docker Hub as `https://index.docker.io/v1/`, and for quay.io), is shown to have sent
/// them, and its output is searched for the secret and its base64.
#[test]
fn a_credential_helpers_secret_is_never_printed() {
    use crate::credential_helpers::{HelperEnv, answers};
    use base64::Engine as _;
    const HELPER_SECRET: &str = "cred-helper-pa55-do-not-print";
    let upstream = TestRegistry::start_with_basic_auth_logged("robot", HELPER_SECRET);
    let mirror = TestRegistry::start_with_basic_auth_logged("robot", HELPER_SECRET);
    let digest = publish_app(&upstream, HELPER_SECRET);
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(
        repo.path().join("vars.yml"),
        format!(
            "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  app: quay.io/cki/mirror/org/app:1.0@{digest}\n"
        ),
    )
    .unwrap();
    let env = HelperEnv::new(
        r#"{"credsStore": "fake"}"#,
        &answers("robot", HELPER_SECRET),
    );
    let dir = repo.path().to_str().unwrap();
    let secrets = [
        HELPER_SECRET.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("robot:{HELPER_SECRET}")),
    ];
    let commands: [&[&str]; 3] = [
        &["mirror", "--repo", dir],
        &["verify", "--repo", dir, "--deep", "--format", "json"],
        &["inspect", "docker.io/org/app:1.0"],
    ];
    for args in commands {
        let mut command = img_mirror();
        command
            .args(args)
            .arg(format!("--registry=docker.io={}", upstream.url()))
            .arg(format!("--registry=quay.io={}", mirror.url()))
            .arg("-vv");
        env.apply(&mut command);
        let sent_before = upstream.authorized_requests() + mirror.authorized_requests();
        let output = command.output().unwrap();
        let log = String::from_utf8_lossy(&output.stderr);
        let mut sent = 0;
        for _ in 0..40 {
            sent = upstream.authorized_requests() + mirror.authorized_requests() - sent_before;
            if sent > 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
        }
        assert!(
            output.status.success() && sent > 0,
            "`img-mirror {}` did not get through with the helper's credentials:\n{log}",
            args.join(" ")
        );
        assert!(
            logged_a_basic_request(&log),
            "`img-mirror -vv {}` logged no request that carried the credential:\n{log}",
            args.join(" ")
        );
        let mut calls = env.take_calls();
        calls.sort();
        // Once a run for each registry it reaches, Docker Hub as docker files it.
        let expected: &[&str] = match args[0] {
            "mirror" => &["https://index.docker.io/v1/", "quay.io"],
            "verify" => &["quay.io"],
            _ => &["https://index.docker.io/v1/"],
        };
        assert_eq!(calls, expected, "`img-mirror {}`", args.join(" "));
        let everything = format!("{}{log}", String::from_utf8_lossy(&output.stdout));
        for secret in &secrets {
            assert!(
                !everything.contains(secret.as_str()),
                "`img-mirror {}` printed a secret:\n{everything}",
                args.join(" ")
            );
        }
    }
}
