//! Auth files, credential helpers, and how they combine.

use std::time::{Duration, Instant};

use super::*;

fn from_json(json: &str) -> Credentials {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    std::fs::write(&path, json).unwrap();
    let mut credentials = Credentials::default();
    credentials.add_file(&path).unwrap();
    credentials
}

#[test]
fn most_specific_scope_wins_on_whole_components() {
    let c = from_json(
        r#"{"auths": {
        "quay.io": {"auth": "Z2VuZXJhbDpwdw=="},
        "quay.io/cki": {"username": "cki", "password": "s3cret"}
    }}"#,
    );
    assert_eq!(
        c.for_repository("quay.io/cki/mirror/x").unwrap().username,
        "cki"
    );
    assert_eq!(
        c.for_repository("quay.io/ckix/y").unwrap().username,
        "general"
    );
    assert_eq!(c.for_repository("quay.io/other").unwrap().password, "pw");
    assert!(c.for_repository("ghcr.io/x").is_none());
}

#[test]
fn docker_hub_legacy_key_is_docker_io() {
    let c = from_json(r#"{"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}}"#);
    assert_eq!(
        c.for_repository("docker.io/library/nginx")
            .unwrap()
            .username,
        "u"
    );
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let c = from_json(r#"{"auths": {"quay.io": {"username": "u", "password": "hunter2"}}}"#);
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn a_corrupt_auth_value_names_the_file_and_key_but_not_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.json");
    std::fs::write(
        &path,
        r#"{"auths": {"quay.io": {"auth": "not-base64-secret!"}}}"#,
    )
    .unwrap();
    let error = Credentials::default()
        .add_file(&path)
        .unwrap_err()
        .to_string();
    assert!(error.contains("quay.io") && error.contains("auth.json"));
    assert!(!error.contains("not-base64-secret"));
}

/// A directory of `docker-credential-<name>` shell scripts and the config naming them.
struct Helpers {
    dir: tempfile::TempDir,
}

impl Helpers {
    fn new() -> Helpers {
        Helpers {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `docker-credential-NAME`, a shell script running `body` after it has appended
    /// the server it was asked for to `NAME.log`.
    fn add(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let path = self.dir.path().join(format!("docker-credential-{name}"));
        let log = self.dir.path().join(format!("{name}.log"));
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\nserver=$(cat)\nprintf '%s\\n' \"$1 $server\" >> '{}'\n{body}\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A helper answering `user`/`secret` for every server.
    fn answering(&self, name: &str, user: &str, secret: &str) {
        self.add(
            name,
            &format!(
                r#"printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}\n' "$server""#
            ),
        );
    }

    /// The lines `docker-credential-NAME` logged: `get SERVER` for each run.
    fn calls(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log")))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Credentials from `config` (a docker config.json), helpers found here only.
    fn credentials(&self, config: &str) -> Credentials {
        let path = self.dir.path().join("config.json");
        std::fs::write(&path, config).unwrap();
        let mut credentials = Credentials::default();
        credentials.add_file(&path).unwrap();
        credentials.runner.search_path = Some(self.dir.path().as_os_str().to_owned());
        credentials
    }
}

#[test]
fn cred_helpers_and_creds_store_are_read_with_earlier_files_winning() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("auth.json");
    let second = dir.path().join("config.json");
    std::fs::write(&first, r#"{"credHelpers": {"quay.io": "first"}}"#).unwrap();
    std::fs::write(
        &second,
        r#"{"credHelpers": {"quay.io": "second", "https://index.docker.io/v1/": "hub", "ghcr.io": ""},
            "credsStore": "store"}"#,
    )
    .unwrap();
    let mut c = Credentials::default();
    c.add_file(&first).unwrap();
    c.add_file(&second).unwrap();
    assert_eq!(c.helper_for("quay.io"), Some("first"));
    assert_eq!(c.helper_for("docker.io"), Some("hub"));
    // An empty helper keeps credsStore away from that registry, as in docker.
    assert_eq!(c.helper_for("ghcr.io"), None);
    assert_eq!(c.helper_for("registry.redhat.io"), Some("store"));
}

#[test]
fn a_bad_helper_entry_names_the_file_and_registry() {
    let dir = tempfile::tempdir().unwrap();
    for (config, expected) in [
        (r#"{"credHelpers": {"quay.io": 5}}"#, "quay.io"),
        (r#"{"credHelpers": {"quay.io": "../../bin/sh"}}"#, "quay.io"),
        (r#"{"credHelpers": ["quay.io"]}"#, "credHelpers"),
        (r#"{"credsStore": {"quay.io": "x"}}"#, "credsStore"),
    ] {
        let path = dir.path().join("config.json");
        std::fs::write(&path, config).unwrap();
        let error = Credentials::default()
            .add_file(&path)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("config.json") && error.contains(expected),
            "{config}: {error}"
        );
    }
}

#[test]
fn docker_config_replaces_home_docker_and_registry_auth_file_replaces_all() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        }
    };
    assert_eq!(
        auth_files(env(&[("HOME", "/h"), ("XDG_RUNTIME_DIR", "/run/u")])),
        [
            "/run/u/containers/auth.json",
            "/h/.config/containers/auth.json",
            "/h/.docker/config.json"
        ]
        .map(PathBuf::from)
    );
    assert_eq!(
        auth_files(env(&[("HOME", "/h"), ("DOCKER_CONFIG", "/d")])),
        ["/h/.config/containers/auth.json", "/d/config.json"].map(PathBuf::from)
    );
    assert_eq!(
        auth_files(env(&[("HOME", "/h"), ("DOCKER_CONFIG", "")])),
        ["/h/.config/containers/auth.json", "/h/.docker/config.json"].map(PathBuf::from)
    );
    assert_eq!(
        auth_files(env(&[
            ("HOME", "/h"),
            ("DOCKER_CONFIG", "/d"),
            ("REGISTRY_AUTH_FILE", "/a.json")
        ])),
        [PathBuf::from("/a.json")]
    );
}

#[test]
fn auths_win_then_cred_helpers_then_creds_store() {
    let helpers = Helpers::new();
    helpers.answering("quay", "quay-user", "quay-pass");
    helpers.answering("store", "store-user", "store-pass");
    let c = helpers.credentials(
        r#"{"auths": {"quay.io/cki": {"username": "file", "password": "file-pass"}},
            "credHelpers": {"quay.io": "quay"}, "credsStore": "store"}"#,
    );
    assert_eq!(
        c.for_repository("quay.io/cki/mirror/x").unwrap().username,
        "file"
    );
    assert!(helpers.calls("quay").is_empty(), "an auths entry covers it");
    assert_eq!(
        c.for_repository("quay.io/other/x").unwrap().password,
        "quay-pass"
    );
    assert_eq!(helpers.calls("quay"), ["get quay.io"]);
    assert!(helpers.calls("store").is_empty());
    assert_eq!(
        c.for_repository("ghcr.io/org/x").unwrap().username,
        "store-user"
    );
    assert_eq!(helpers.calls("store"), ["get ghcr.io"]);
    assert!(c.try_for_repository("ghcr.io/org/y").unwrap().is_some());
}

#[test]
fn a_helper_runs_once_per_registry_and_only_when_asked() {
    let helpers = Helpers::new();
    helpers.add(
        "slow",
        r#"sleep 0.2; printf '{"ServerURL":"%s","Username":"u","Secret":"slow-secret"}' "$server""#,
    );
    let c = helpers.credentials(r#"{"credsStore": "slow"}"#);
    assert!(helpers.calls("slow").is_empty(), "nothing asked yet");
    std::thread::scope(|scope| {
        for i in 0..4 {
            let c = c.clone();
            scope.spawn(move || {
                assert_eq!(
                    c.for_repository(&format!("quay.io/org/app{i}"))
                        .unwrap()
                        .password,
                    "slow-secret"
                );
            });
        }
    });
    assert!(c.for_repository("quay.io/org/again").is_some());
    assert_eq!(helpers.calls("slow"), ["get quay.io"]);
    assert!(c.for_repository("ghcr.io/org/app").is_some());
    assert_eq!(helpers.calls("slow"), ["get quay.io", "get ghcr.io"]);
}

#[test]
fn docker_hub_is_asked_for_as_docker_does() {
    let helpers = Helpers::new();
    helpers.answering("hub", "u", "hub-secret");
    let c = helpers.credentials(r#"{"credHelpers": {"docker.io": "hub"}}"#);
    assert!(c.for_repository("docker.io/library/nginx").is_some());
    assert_eq!(helpers.calls("hub"), ["get https://index.docker.io/v1/"]);
}

#[test]
fn credentials_not_found_means_anonymous_and_is_asked_once() {
    let helpers = Helpers::new();
    helpers.add(
        "empty",
        "echo 'credentials not found in native keychain'; exit 1",
    );
    let c = helpers.credentials(r#"{"credHelpers": {"quay.io": "empty"}}"#);
    assert!(c.for_repository("quay.io/org/a").is_none());
    assert!(c.try_for_repository("quay.io/org/b").unwrap().is_none());
    assert_eq!(helpers.calls("empty"), ["get quay.io"]);
}

#[test]
fn a_failing_helper_names_its_exit_status_but_not_what_it_printed() {
    let helpers = Helpers::new();
    helpers.add(
        "broken",
        "echo 'token=leaked-stdout-secret'; echo 'leaked-stderr-secret' >&2; exit 3",
    );
    let c = helpers.credentials(r#"{"credHelpers": {"quay.io": "broken"}}"#);
    let error = c
        .try_for_repository("quay.io/org/a")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("docker-credential-broken")
            && error.contains("quay.io")
            && error.contains("exit status: 3"),
        "{error}"
    );
    assert!(!error.contains("leaked"), "{error}");
    // Anonymous through the Option API; the helper is not run again.
    assert!(c.for_repository("quay.io/org/b").is_none());
    assert_eq!(helpers.calls("broken"), ["get quay.io"]);
}

#[test]
fn an_answer_that_is_not_json_is_an_error_that_does_not_quote_it() {
    let helpers = Helpers::new();
    helpers.add("garbled", r#"echo '{"Username": "u", "Secret": 12345678}'"#);
    helpers.add("text", "echo 'password=garbled-secret'");
    let c = helpers.credentials(r#"{"credHelpers": {"quay.io": "garbled", "ghcr.io": "text"}}"#);
    for (repository, program) in [
        ("quay.io/a", "docker-credential-garbled"),
        ("ghcr.io/a", "docker-credential-text"),
    ] {
        let error = c.try_for_repository(repository).unwrap_err().to_string();
        assert!(
            error.contains(program) && error.contains("exit status: 0"),
            "{error}"
        );
        assert!(
            !error.contains("12345678") && !error.contains("garbled-secret"),
            "{error}"
        );
    }
}

#[test]
fn a_missing_helper_is_an_error_naming_it() {
    let helpers = Helpers::new();
    let c = helpers.credentials(r#"{"credsStore": "absent"}"#);
    let error = c.try_for_repository("quay.io/a").unwrap_err();
    assert!(matches!(
        error,
        CredentialsError::Helper(HelperError::Missing { .. })
    ));
    assert!(error.to_string().contains("docker-credential-absent"));
    assert!(c.for_repository("quay.io/a").is_none());
}

#[test]
fn a_hung_helper_is_killed_at_the_timeout() {
    let helpers = Helpers::new();
    helpers.add("hung", "exec sleep 30");
    let mut c = helpers.credentials(r#"{"credsStore": "hung"}"#);
    c.runner.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = c.try_for_repository("quay.io/a").unwrap_err().to_string();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        error.contains("docker-credential-hung") && error.contains("killed"),
        "{error}"
    );
}

#[test]
fn a_helpers_secrets_are_registered_for_redaction_before_use() {
    let helpers = Helpers::new();
    helpers.answering("redacted", "robot", "helper-secret-0451");
    let c = helpers.credentials(r#"{"credsStore": "redacted"}"#);
    let secret = c.for_repository("quay.io/a").unwrap();
    assert_eq!(secret.password, "helper-secret-0451");
    let basic = base64::engine::general_purpose::STANDARD.encode("robot:helper-secret-0451");
    let scrubbed = crate::redact::scrub(&format!("helper-secret-0451 {basic}"));
    assert!(
        !scrubbed.contains("helper-secret-0451") && !scrubbed.contains(&basic),
        "{scrubbed}"
    );
}

#[test]
fn an_identity_token_is_kept_as_user_and_secret() {
    let helpers = Helpers::new();
    helpers.answering("acr", "<token>", "identity-token-value");
    let c = helpers.credentials(r#"{"credsStore": "acr"}"#);
    let secret = c.for_repository("example.azurecr.io/a").unwrap();
    assert!(secret.is_identity_token());
    assert_eq!(secret.password, "identity-token-value");
}

#[test]
fn an_empty_secret_is_no_credentials() {
    let helpers = Helpers::new();
    helpers.answering("blank", "", "");
    let c = helpers.credentials(r#"{"credsStore": "blank"}"#);
    assert!(c.try_for_repository("quay.io/a").unwrap().is_none());
}

#[test]
fn a_helper_runs_from_the_tasks_of_either_kind_of_tokio_runtime() {
    let helpers = Helpers::new();
    helpers.answering("async", "u", "async-secret");
    for multi_thread in [false, true] {
        let runtime = if multi_thread {
            tokio::runtime::Builder::new_multi_thread().build().unwrap()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
        };
        let c = helpers.credentials(r#"{"credsStore": "async"}"#);
        let d = c.clone();
        let (in_task, in_block_on) = runtime.block_on(async move {
            let in_task =
                tokio::spawn(
                    async move { c.for_repository("quay.io/a").map(|s| s.password.clone()) },
                )
                .await
                .unwrap();
            (
                in_task,
                d.for_repository("ghcr.io/a").map(|s| s.password.clone()),
            )
        });
        assert_eq!(in_task.as_deref(), Some("async-secret"));
        assert_eq!(in_block_on.as_deref(), Some("async-secret"));
    }
}
