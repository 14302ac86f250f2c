//! docker's credential helpers: `docker-credential-<name> get`, asked for a registry
//! host on stdin, answering `{ServerURL, Username, Secret}` on stdout.

use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::Secret;

/// Why a credential helper gave no answer. Never what it printed: its stdout may hold a
/// secret (a half-written answer), and so may its stderr, which is not even read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HelperError {
    #[error("credential helper {program} (asked for {registry}) is not on PATH")]
    Missing { program: String, registry: String },
    #[error("cannot run credential helper {program} (asked for {registry}): {reason}")]
    Spawn {
        program: String,
        registry: String,
        reason: String,
    },
    #[error(
        "credential helper {program} failed for {registry} ({status}); what it printed is not shown, as it may hold a secret"
    )]
    Failed {
        program: String,
        registry: String,
        status: String,
    },
    #[error(
        "credential helper {program} gave no answer for {registry} within {after:?} and was killed"
    )]
    TimedOut {
        program: String,
        registry: String,
        after: Duration,
    },
    #[error(
        "credential helper {program} answered for {registry} ({status}) with something other than {{\"ServerURL\", \"Username\", \"Secret\"}} JSON; it is not shown, as it may hold a secret"
    )]
    InvalidOutput {
        program: String,
        registry: String,
        status: String,
    },
}

/// How long a credential helper may take (a cloud login can take seconds) before it is
/// killed and its registry goes without credentials.
pub(super) const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

/// What the docker-credential-helpers protocol has a helper print (with a non-zero exit)
/// when it holds nothing for the registry: no credentials, not a failure.
pub(super) const NOT_FOUND: &str = "credentials not found in native keychain";

/// The most a helper's answer may be; the rest is not read.
const LONGEST_ANSWER: u64 = 1024 * 1024;

/// A name `docker-credential-<name>` can be made of: no path, no NUL. Empty is allowed
/// (in `credHelpers` it means "no helper", in `credsStore` it is ignored, as in docker).
pub(super) fn is_helper_name(name: &str) -> bool {
    !name.contains(['/', '\\', '\0'])
}

/// What a helper is asked for a registry host: the host, except Docker Hub, which docker
/// (and so every helper that `docker login` filled) files as `https://index.docker.io/v1/`.
pub(super) fn server_url(registry: &str) -> &str {
    if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    }
}

/// Runs `docker-credential-<name> get`.
#[derive(Debug, Clone)]
pub(super) struct HelperRunner {
    /// Where helpers are looked for: `None` is the process's `PATH` when the helper is
    /// run (tests name their own directory instead of changing the environment).
    pub(super) search_path: Option<OsString>,
    pub(super) timeout: Duration,
}

impl Default for HelperRunner {
    fn default() -> HelperRunner {
        HelperRunner {
            search_path: None,
            timeout: HELPER_TIMEOUT,
        }
    }
}

impl HelperRunner {
    /// The helper's answer for a registry host, its secrets registered for redaction.
    pub(super) fn get(&self, helper: &str, registry: &str) -> Result<Option<Secret>, HelperError> {
        let run = || self.run(helper, registry);
        // Called from the run's async tasks: on a multi-threaded runtime the worker hands
        // its other tasks on while the helper runs (up to the timeout).
        let answer = match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(run)
            }
            _ => run(),
        };
        match &answer {
            Ok(Some(secret)) => {
                secret.register_for_redaction();
                tracing::debug!(
                    helper,
                    registry,
                    credentials = if secret.is_identity_token() {
                        "identity token"
                    } else {
                        "basic"
                    },
                    "credential helper answered"
                );
            }
            Ok(None) => tracing::debug!(helper, registry, "credential helper has no credentials"),
            Err(_) => {}
        }
        answer
    }

    fn run(&self, helper: &str, registry: &str) -> Result<Option<Secret>, HelperError> {
        let program = format!("docker-credential-{helper}");
        let server = server_url(registry);
        let Some(path) = self.find(&program) else {
            return Err(HelperError::Missing {
                program,
                registry: registry.to_string(),
            });
        };
        let mut busy = 0;
        let mut child = loop {
            match Command::new(&path)
                .arg("get")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(child) => break child,
                // Written a moment ago (as tests do), the file may still be open for
                // writing in a process forked meanwhile; that passes within moments.
                Err(error)
                    if error.kind() == std::io::ErrorKind::ExecutableFileBusy && busy < 20 =>
                {
                    busy += 1;
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(error) => {
                    return Err(HelperError::Spawn {
                        program,
                        registry: registry.to_string(),
                        reason: error.to_string(),
                    });
                }
            }
        };
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that does not read its input is the helper's business.
            let _ = stdin.write_all(server.as_bytes());
        }
        let deadline = Instant::now() + self.timeout;
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut answer = Vec::new();
            let read = (&mut stdout)
                .take(LONGEST_ANSWER)
                .read_to_end(&mut answer)
                .map(|_| answer);
            let _ = sender.send(read);
        });
        let timed_out = |child: &mut std::process::Child| {
            let _ = child.kill();
            let _ = child.wait();
            HelperError::TimedOut {
                program: program.clone(),
                registry: registry.to_string(),
                after: self.timeout,
            }
        };
        // A read error leaves an empty answer, which is not JSON.
        let answer = match receiver.recv_timeout(self.timeout) {
            Ok(read) => read.unwrap_or_default(),
            Err(_) => return Err(timed_out(&mut child)),
        };
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => return Err(timed_out(&mut child)),
                Err(error) => {
                    let _ = child.kill();
                    return Err(HelperError::Spawn {
                        program,
                        registry: registry.to_string(),
                        reason: error.to_string(),
                    });
                }
            }
        };
        if !status.success() {
            if String::from_utf8_lossy(&answer).trim() == NOT_FOUND {
                return Ok(None);
            }
            return Err(HelperError::Failed {
                program,
                registry: registry.to_string(),
                status: status.to_string(),
            });
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(rename = "Username", default)]
            username: String,
            #[serde(rename = "Secret")]
            secret: String,
        }
        // serde's message can quote the answer: it is dropped.
        let answer: Answer =
            serde_json::from_slice(&answer).map_err(|_| HelperError::InvalidOutput {
                program,
                registry: registry.to_string(),
                status: status.to_string(),
            })?;
        if answer.secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(Secret {
            username: answer.username,
            password: answer.secret,
        }))
    }

    /// The first executable `program` in the search path's directories (empty entries,
    /// the current directory to a shell, are skipped).
    fn find(&self, program: &str) -> Option<PathBuf> {
        let search = self
            .search_path
            .clone()
            .or_else(|| std::env::var_os("PATH"))?;
        std::env::split_paths(&search)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(program))
            .find(|path| is_executable(path))
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}
