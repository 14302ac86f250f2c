//! Registry credentials from the files skopeo, podman and docker read, and from the
//! docker credential helpers those files name.
//!
//! `REGISTRY_AUTH_FILE` when set; otherwise `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json` and docker's `config.json` (in `$DOCKER_CONFIG` when
//! set, else `~/.docker`), earlier files winning. An `auths` key names a registry or a
//! registry namespace (`quay.io/cki`); the most specific key that covers a repository
//! applies. Secrets never reach `Debug` or errors.
//!
//! After the `auths` of every file, as docker, crane and regclient do: `credHelpers`
//! (registry host -> helper) and then `credsStore` (one helper for every registry). A
//! helper is `docker-credential-<name>` on `PATH`, run as `docker-credential-<name> get`
//! with the registry on stdin, at most once per registry and only when a repository of
//! that registry is first asked for (see [`Credentials::for_repository`]).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;

use crate::reference::canonical_registry_host;

mod helper;

pub use helper::HelperError;
use helper::{HelperRunner, is_helper_name};

/// A user name and password (or token) for one registry scope.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub username: String,
    pub password: String,
}

/// The user name a credential helper answers with when its secret is an identity token.
pub const IDENTITY_TOKEN_USERNAME: &str = "<token>";

impl Secret {
    /// Whether a credential helper answered with an identity token (user name `<token>`).
    /// Docker does not send such a token as a password: it trades it for a registry
    /// token with an OAuth2 `refresh_token` grant. oci-client has no such grant, so for
    /// now it goes out like any user name and password (basic, or in the token request).
    pub fn is_identity_token(&self) -> bool {
        self.username == IDENTITY_TOKEN_USERNAME
    }

    /// Registers the password, and the `user:password` base64 an auth file or an
    /// `Authorization: Basic` header would carry, with [`crate::redact`].
    fn register_for_redaction(&self) {
        crate::redact::register(&self.password);
        crate::redact::register(
            &base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.username, self.password)),
        );
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Secret {{ username: {:?}, password: <redacted> }}",
            self.username
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read auth file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("auth file {path} is not valid JSON: {message}")]
    Json { path: String, message: String },
    #[error(
        "auth file {path}: the entry for {key:?} has an `auth` value that is not base64 of user:password"
    )]
    BadAuth { path: String, key: String },
    #[error("auth file {path}: {what}")]
    BadHelper { path: String, what: String },
    #[error(transparent)]
    Helper(#[from] HelperError),
}

/// Every credential found, most specific scope first within each file, and the
/// credential helpers the files name.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    entries: Vec<(String, Secret)>,
    /// `credHelpers`, by canonical registry host. An empty name keeps `credsStore` away
    /// from that registry, as in docker.
    helpers: Vec<(String, String)>,
    /// `credsStore`: the helper of every registry that `credHelpers` does not name.
    store: Option<String>,
    runner: HelperRunner,
    answers: Arc<HelperAnswers>,
}

/// The helpers' answers, by registry host, shared by the clones of one [`Credentials`]
/// (a run builds one, so a helper runs at most once per registry per process).
///
/// `for_repository` hands out `&Secret` under `&self` while answers are filled in
/// lazily, from several tasks at once: each registry's cell is leaked (`Box::leak`) when
/// first asked for, so the references are `'static`, without `unsafe` and without a
/// lock held by the caller. That is one small cell per registry a run asks a helper
/// about, kept for the process's lifetime, which is what a process-wide cache holds
/// anyway. The `OnceLock` makes concurrent first requests for one registry wait for the
/// single helper run rather than start their own.
#[derive(Debug, Default)]
struct HelperAnswers {
    by_registry: Mutex<HashMap<String, &'static HelperAnswer>>,
}

#[derive(Debug, Default)]
struct HelperAnswer {
    /// `Ok(None)`: the helper holds nothing for the registry (anonymous).
    answer: OnceLock<Result<Option<Secret>, HelperError>>,
}

impl HelperAnswers {
    fn cell(&self, registry: &str) -> &'static HelperAnswer {
        let mut cells = self.by_registry.lock().unwrap_or_else(|e| e.into_inner());
        cells
            .entry(registry.to_string())
            .or_insert_with(|| Box::leak(Box::default()))
    }
}

/// What a repository's credentials come from.
enum Lookup<'a> {
    None,
    File(&'a Secret),
    Helper(&'static Result<Option<Secret>, HelperError>),
}

impl Credentials {
    /// Registers every password, and the `user:password` base64 an auth file or an
    /// `Authorization: Basic` header would carry, with [`crate::redact`]. A helper's
    /// answer is registered as it arrives, before anything uses it.
    pub fn register_for_redaction(&self) {
        for (_, secret) in &self.entries {
            secret.register_for_redaction();
        }
    }

    /// Reads the standard auth files from the environment. Credential helpers run later,
    /// when a repository of their registry is first asked for.
    pub fn from_environment() -> Result<Credentials, CredentialsError> {
        let mut files = auth_files(|name| std::env::var_os(name));
        if std::env::var_os("REGISTRY_AUTH_FILE").is_none_or(|path| path.is_empty()) {
            files.retain(|path| path.is_file());
        }
        let mut credentials = Credentials::default();
        for file in files {
            credentials.add_file(&file)?;
        }
        Ok(credentials)
    }

    /// Adds one auth file's `auths`, `credHelpers` and `credsStore`; what is already
    /// present wins.
    pub fn add_file(&mut self, path: &Path) -> Result<(), CredentialsError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: display.clone(),
            source,
        })?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| CredentialsError::Json {
                path: display.clone(),
                message: e.to_string(),
            })?;
        self.add_helpers(&json, &display)?;
        let Some(auths) = json.get("auths").and_then(|a| a.as_object()) else {
            return Ok(());
        };
        for (key, entry) in auths {
            let secret = if let Some(encoded) = entry
                .get("auth")
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
            {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok());
                let Some((username, password)) = decoded.as_deref().and_then(|d| d.split_once(':'))
                else {
                    return Err(CredentialsError::BadAuth {
                        path: display,
                        key: key.clone(),
                    });
                };
                Secret {
                    username: username.to_string(),
                    password: password.to_string(),
                }
            } else {
                match (
                    entry.get("username").and_then(|v| v.as_str()),
                    entry.get("password").and_then(|v| v.as_str()),
                ) {
                    (Some(username), Some(password)) => Secret {
                        username: username.to_string(),
                        password: password.to_string(),
                    },
                    _ => continue,
                }
            };
            let scope = normalize_key(key);
            if !self.entries.iter().any(|(existing, _)| *existing == scope) {
                self.entries.push((scope, secret));
            }
        }
        Ok(())
    }

    /// `credHelpers` (registry host -> helper name) and `credsStore` (one helper name).
    fn add_helpers(
        &mut self,
        json: &serde_json::Value,
        path: &str,
    ) -> Result<(), CredentialsError> {
        let bad = |what: String| CredentialsError::BadHelper {
            path: path.to_string(),
            what,
        };
        match json.get("credHelpers") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::Object(helpers)) => {
                for (key, name) in helpers {
                    let name = name
                        .as_str()
                        .filter(|name| is_helper_name(name))
                        .ok_or_else(|| {
                            bad(format!(
                                "the `credHelpers` entry for {key:?} is not a helper name"
                            ))
                        })?;
                    let registry = normalize_key(key);
                    if !self.helpers.iter().any(|(known, _)| *known == registry) {
                        self.helpers.push((registry, name.to_string()));
                    }
                }
            }
            Some(_) => {
                return Err(bad(
                    "`credHelpers` is not an object of registry host to helper name".into(),
                ));
            }
        }
        match json.get("credsStore") {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(name)) if is_helper_name(name) => {
                if self.store.is_none() && !name.is_empty() {
                    self.store = Some(name.clone());
                }
            }
            Some(_) => return Err(bad("`credsStore` is not a helper name".into())),
        }
        Ok(())
    }

    /// The credential for a repository (`quay.io/cki/mirror/grafana`, the name images
    /// use, not the endpoint `--registry` sends it to): the longest `auths` scope that
    /// covers it on whole path components; else what the registry's credential helper
    /// (`credHelpers`, then `credsStore`) answers, asked once per registry.
    ///
    /// A helper that failed gives `None` here: the registry client asks
    /// [`Credentials::try_for_repository`] first, which returns the failure, so a run
    /// never goes on anonymous where a helper was meant to answer.
    pub fn for_repository(&self, repository: &str) -> Option<&Secret> {
        match self.lookup(repository) {
            Lookup::None => None,
            Lookup::File(secret) => Some(secret),
            Lookup::Helper(Ok(secret)) => secret.as_ref(),
            Lookup::Helper(Err(_)) => None,
        }
    }

    /// [`Credentials::for_repository`], with a failed credential helper as an error (the
    /// same error on every call for that registry; the helper is not run again).
    pub fn try_for_repository(
        &self,
        repository: &str,
    ) -> Result<Option<&Secret>, CredentialsError> {
        match self.lookup(repository) {
            Lookup::None => Ok(None),
            Lookup::File(secret) => Ok(Some(secret)),
            Lookup::Helper(answer) => answer
                .as_ref()
                .map(Option::as_ref)
                .map_err(|error| error.clone().into()),
        }
    }

    fn lookup(&self, repository: &str) -> Lookup<'_> {
        let from_files = self
            .entries
            .iter()
            .filter(|(scope, _)| {
                repository == scope || repository.starts_with(&format!("{scope}/"))
            })
            .max_by_key(|(scope, _)| scope.len())
            .map(|(_, secret)| secret);
        if let Some(secret) = from_files {
            return Lookup::File(secret);
        }
        let registry = canonical_registry_host(repository.split('/').next().unwrap_or(repository));
        let Some(helper) = self.helper_for(&registry) else {
            return Lookup::None;
        };
        let cell = self.answers.cell(&registry);
        let answer = cell
            .answer
            .get_or_init(|| self.runner.get(helper, &registry));
        Lookup::Helper(answer)
    }

    /// The helper for a registry host: its `credHelpers` entry, else `credsStore`.
    fn helper_for(&self, registry: &str) -> Option<&str> {
        match self.helpers.iter().find(|(known, _)| known == registry) {
            Some((_, name)) if name.is_empty() => None,
            Some((_, name)) => Some(name),
            None => self.store.as_deref(),
        }
    }
}

/// The auth files, earlier ones winning, from the environment `var` reads.
fn auth_files(var: impl Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let var = |name: &str| var(name).filter(|value| !value.is_empty());
    if let Some(path) = var("REGISTRY_AUTH_FILE") {
        return vec![PathBuf::from(path)];
    }
    let mut files = Vec::new();
    if let Some(runtime) = var("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(runtime).join("containers/auth.json"));
    }
    let home = var("HOME").map(PathBuf::from);
    if let Some(home) = &home {
        files.push(home.join(".config/containers/auth.json"));
    }
    // Docker's rule: `$DOCKER_CONFIG` is the directory of config.json instead of ~/.docker.
    match var("DOCKER_CONFIG") {
        Some(dir) => files.push(PathBuf::from(dir).join("config.json")),
        None => files.extend(home.map(|home| home.join(".docker/config.json"))),
    }
    files
}

/// `https://index.docker.io/v1/` and friends to `docker.io`; schemes and trailing
/// slashes dropped.
fn normalize_key(key: &str) -> String {
    let key = key
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let key = key
        .strip_suffix("/v1")
        .or_else(|| key.strip_suffix("/v2"))
        .unwrap_or(key);
    match key.split_once('/') {
        Some((host, rest)) => format!("{}/{rest}", canonical_registry_host(host)),
        None => canonical_registry_host(key),
    }
}

#[cfg(test)]
mod tests;
