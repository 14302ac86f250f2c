//! Registries that hand out bearer tokens (the flow of Docker Hub, quay.io and ghcr.io):
//! two `docker-registry` instances trust a token server that grants tokens to one user.
//! `mirror`, `verify --deep --upstream` and `pin` work with the user's auth file, the
//! token server sees the scopes they need, and a wrong password fails clearly without
//! printing either password.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::images::{self, layer, two_platforms};
use crate::common::registry::TestRegistry;
use crate::common::token::TokenServer;
use crate::common::world::World;
use crate::common::{stderr, stdout};
use base64::Engine as _;

const USER: &str = "robot";
const PASSWORD: &str = "t0ken-pa55-do-not-print";
const WRONG_PASSWORD: &str = "wr0ng-pa55-do-not-print";

/// The shared world on two registries behind a token server, holding a two-platform
/// image pushed with skopeo through the token flow.
struct TokenWorld {
    base: World,
    tokens: TokenServer,
    digest: String,
}

impl std::ops::Deref for TokenWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.base
    }
}

impl TokenWorld {
    fn new() -> TokenWorld {
        let tokens = TokenServer::start(USER, PASSWORD);
        let base = World::with(
            TestRegistry::start_with_token_auth(&tokens),
            TestRegistry::start_with_token_auth(&tokens),
        );
        let layout = tempfile::tempdir().unwrap();
        images::write_layout(
            layout.path(),
            "1.0",
            two_platforms(vec![layer(60, 50_000)], vec![layer(61, 50_000)]),
        );
        let pushed = Command::new("skopeo")
            .args(["copy", "--quiet", "--all", "--dest-tls-verify=false"])
            .arg(format!("--dest-creds={USER}:{PASSWORD}"))
            .arg(format!("oci:{}:1.0", layout.path().display()))
            .arg(format!(
                "docker://{}/org/app:1.0",
                base.upstream.authority()
            ))
            .output()
            .unwrap();
        assert!(pushed.status.success(), "{}", stderr(&pushed));
        let digest = inspect_digest(&base.upstream, "org/app:1.0").expect("the push is readable");
        base.write_vars(&format!(
            "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  app: quay.io/cki/mirror/org/app:1.0@{digest}\n"
        ));
        TokenWorld {
            base,
            tokens,
            digest,
        }
    }

    /// An auth file with `password` for both registries, by their logical names.
    fn auth_file(&self, password: &str) -> std::path::PathBuf {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
        let path = self
            .repo
            .path()
            .join(format!("auth-{}.json", password.len()));
        std::fs::write(
            &path,
            format!(
                r#"{{"auths": {{"docker.io": {{"auth": "{encoded}"}}, "quay.io": {{"auth": "{encoded}"}}}}}}"#
            ),
        )
        .unwrap();
        path
    }

    fn run(&self, args: &[&str], auth_file: &Path) -> Output {
        self.base
            .command(args)
            .env("REGISTRY_AUTH_FILE", auth_file)
            .env("HOME", self.repo.path())
            .output()
            .unwrap()
    }
}

/// The digest of the tag's manifest as the registry serves it, read with skopeo.
fn inspect_digest(registry: &TestRegistry, reference: &str) -> Option<String> {
    images::tag_digest(
        &registry.authority(),
        reference,
        Some(&format!("{USER}:{PASSWORD}")),
    )
}

fn assert_no_secret(output: &Output) {
    let everything = format!("{}{}", stdout(output), stderr(output));
    for password in [PASSWORD, WRONG_PASSWORD] {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{password}"));
        assert!(!everything.contains(password), "{everything}");
        assert!(!everything.contains(&encoded), "{everything}");
    }
}

#[test]
fn mirror_verify_and_pin_through_a_token_server() {
    let world = TokenWorld::new();
    let auth = world.auth_file(PASSWORD);

    let copied = world.run(&["mirror", "--format", "json"], &auth);
    assert_eq!(
        copied.status.code(),
        Some(0),
        "{}{}",
        stdout(&copied),
        stderr(&copied)
    );
    assert!(
        stdout(&copied).contains("\"status\":\"copied\""),
        "{}",
        stdout(&copied)
    );
    assert_no_secret(&copied);
    assert_eq!(
        inspect_digest(&world.mirror, "cki/mirror/org/app:1.0").as_deref(),
        Some(world.digest.as_str())
    );
    let scopes: Vec<String> = world
        .tokens
        .requests()
        .into_iter()
        .filter(|request| request.user == USER && request.granted)
        .flat_map(|request| request.scopes)
        .collect();
    assert!(
        scopes
            .iter()
            .any(|s| s.starts_with("repository:org/app:") && s.contains("pull")),
        "no pull token for the upstream: {scopes:?}"
    );
    assert!(
        scopes
            .iter()
            .any(|s| s.starts_with("repository:cki/mirror/org/app:") && s.contains("push")),
        "no push token for the mirror: {scopes:?}"
    );

    let again = world.run(&["mirror", "--format", "json"], &auth);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(
        stdout(&again).contains("\"status\":\"present\""),
        "{}",
        stdout(&again)
    );

    let verified = world.run(&["verify", "--deep", "--upstream"], &auth);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}{}",
        stdout(&verified),
        stderr(&verified)
    );

    let pinned = world.run(
        &["pin", "app2", "docker.io/org/app:1.0", "--dry-run"],
        &auth,
    );
    assert_eq!(
        pinned.status.code(),
        Some(0),
        "{}{}",
        stdout(&pinned),
        stderr(&pinned)
    );
    assert!(
        stdout(&pinned).contains(&world.digest),
        "{}",
        stdout(&pinned)
    );
}

#[test]
fn a_wrong_password_fails_clearly_and_prints_no_password() {
    let world = TokenWorld::new();
    let wrong = world.auth_file(WRONG_PASSWORD);

    let mirror = world.run(&["mirror"], &wrong);
    assert_eq!(
        mirror.status.code(),
        Some(1),
        "{}{}",
        stdout(&mirror),
        stderr(&mirror)
    );
    let said = format!("{}{}", stdout(&mirror), stderr(&mirror));
    assert!(
        said.contains("IMAGES.app") || said.contains("org/app"),
        "{said}"
    );
    assert!(
        said.contains("401") || said.to_lowercase().contains("unauthorized"),
        "{said}"
    );
    assert_no_secret(&mirror);
    assert_eq!(
        inspect_digest(&world.mirror, "cki/mirror/org/app:1.0"),
        None
    );
    assert!(
        world
            .tokens
            .requests()
            .iter()
            .any(|request| request.user == USER && !request.granted),
        "the token server was never asked with the wrong password"
    );

    let inspect = world.run(&["verify", "--upstream"], &wrong);
    assert_ne!(inspect.status.code(), Some(0));
    assert_no_secret(&inspect);
}

#[test]
fn the_first_copy_succeeds_where_pull_is_granted_only_on_repositories_that_exist() {
    // quay.io's token service grants nothing on a repository that does not exist yet, so
    // the registry answers 401 to the existence checks of the first copy.
    let world = TokenWorld::new();
    world
        .tokens
        .grant_pull_only_where_tagged(&[&world.upstream.storage(), &world.mirror.storage()]);
    let auth = world.auth_file(PASSWORD);
    let copied = world.run(&["mirror", "--format", "json"], &auth);
    let withheld = world
        .tokens
        .requests()
        .iter()
        .filter(|request| {
            request
                .pull_withheld
                .iter()
                .any(|name| name == "cki/mirror/org/app")
        })
        .count();
    assert!(
        withheld > 0,
        "no token for the mirror was refused pull: the test proves nothing"
    );
    assert_eq!(
        copied.status.code(),
        Some(0),
        "{}{}",
        stdout(&copied),
        stderr(&copied)
    );
    assert_eq!(
        inspect_digest(&world.mirror, "cki/mirror/org/app:1.0").as_deref(),
        Some(world.digest.as_str())
    );
}

/// `-v` shows what a failing nightly job needs from a token registry: the first 401
/// with its challenge, the scope asked for on each side, the bearer requests that
/// followed; never a password or a token (JWTs start with `eyJ`).
#[test]
fn verbose_logs_show_challenges_scopes_and_requests_but_no_token() {
    let world = TokenWorld::new();
    let auth = world.auth_file(PASSWORD);
    let copied = world.run(&["mirror", "-v"], &auth);
    assert_eq!(copied.status.code(), Some(0), "{}", stderr(&copied));
    let log = stderr(&copied);
    let issued = world
        .tokens
        .requests()
        .into_iter()
        .filter(|request| request.granted)
        .count();
    assert!(
        issued > 0,
        "the token server issued nothing: nothing to hide"
    );
    for expected in [
        "status=401",
        "challenge=\"Bearer realm=",
        "asking for a token",
        "scope=repository:org/app:pull",
        "scope=repository:cki/mirror/org/app:pull,push",
        "received a token",
        "auth=\"bearer\"",
        "method=PUT",
    ] {
        assert!(log.contains(expected), "no {expected:?} in:\n{log}");
    }
    assert!(!log.contains("eyJ"), "a token was logged:\n{log}");
    assert_no_secret(&copied);
}
