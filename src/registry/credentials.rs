//! Registry credentials from the files skopeo, podman and docker read.
//!
//! `REGISTRY_AUTH_FILE` when set; otherwise `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json` and `~/.docker/config.json`, earlier files winning.
//! An `auths` key names a registry or a registry namespace (`quay.io/cki`); the most
//! specific key that covers a repository applies. Secrets never reach `Debug` or errors.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::reference::canonical_registry_host;

/// A user name and password (or token) for one registry scope.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    pub username: String,
    pub password: String,
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
}

/// Every credential found, most specific scope first within each file.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    entries: Vec<(String, Secret)>,
}

impl Credentials {
    /// Registers every password, and the `user:password` base64 an auth file or an
    /// `Authorization: Basic` header would carry, with [`crate::redact`].
    pub fn register_for_redaction(&self) {
        use base64::Engine as _;
        for (_, secret) in &self.entries {
            crate::redact::register(&secret.password);
            crate::redact::register(
                &base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", secret.username, secret.password)),
            );
        }
    }

    /// Reads the standard auth files from the environment.
    pub fn from_environment() -> Result<Credentials, CredentialsError> {
        let files: Vec<PathBuf> = match std::env::var_os("REGISTRY_AUTH_FILE") {
            Some(path) if !path.is_empty() => vec![PathBuf::from(path)],
            _ => {
                let mut files = Vec::new();
                if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR") {
                    files.push(PathBuf::from(runtime).join("containers/auth.json"));
                }
                if let Some(home) = std::env::var_os("HOME") {
                    let home = PathBuf::from(home);
                    files.push(home.join(".config/containers/auth.json"));
                    files.push(home.join(".docker/config.json"));
                }
                files.retain(|path| path.is_file());
                files
            }
        };
        let mut credentials = Credentials::default();
        for file in files {
            credentials.add_file(&file)?;
        }
        Ok(credentials)
    }

    /// Adds one auth file's `auths`; entries already present win.
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

    /// The credential for a repository (`quay.io/cki/mirror/grafana`): the longest
    /// scope that covers it on whole path components.
    pub fn for_repository(&self, repository: &str) -> Option<&Secret> {
        self.entries
            .iter()
            .filter(|(scope, _)| {
                repository == scope || repository.starts_with(&format!("{scope}/"))
            })
            .max_by_key(|(scope, _)| scope.len())
            .map(|(_, secret)| secret)
    }
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
mod tests {
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
}
