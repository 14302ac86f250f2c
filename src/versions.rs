//! Versions of `vars.yml`: a file on disk, or a file at a git revision, each read
//! through the one capped read (a git blob's size is asked before it is shown).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::vars::{self, VarsFile};

/// Where a version of `vars.yml` comes from.
#[derive(Debug, Clone)]
pub enum Version {
    /// A file as it is on disk (the working tree).
    File(PathBuf),
    /// `git show REV:PATH` in the repository `repo`.
    Git {
        repo: PathBuf,
        rev: String,
        path: PathBuf,
    },
}

impl Version {
    fn describe(&self) -> String {
        match self {
            Version::File(path) => path.display().to_string(),
            Version::Git { rev, path, .. } => format!("{}:{}", rev, path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("git is needed to read {what}, but it could not run: {source}")]
    NoGit {
        what: String,
        source: std::io::Error,
    },
    #[error("{repo} is not in a git repository; pass two files instead (img-mirror diff OLD NEW)")]
    NotARepository { repo: String },
    #[error("git does not know revision {rev:?} in {repo}")]
    UnknownRevision { repo: String, rev: String },
    #[error("{path} does not exist at revision {rev}")]
    NotAtRevision { rev: String, path: String },
    #[error("git show {what} failed: {message}")]
    Git { what: String, message: String },
    #[error("{what} cannot be read as vars.yml: {problem}")]
    Invalid { what: String, problem: String },
    #[error("{what} is {bytes} bytes, more than the {limit}-byte limit; refused before reading it", limit = vars::MAX_FILE_BYTES)]
    TooLarge { what: String, bytes: usize },
}

/// Reads and parses one version.
pub fn load(version: &Version) -> Result<VarsFile, VersionError> {
    let what = version.describe();
    let (display_path, bytes) = match version {
        Version::File(path) => {
            let read = vars::read_capped(path).map_err(|source| VersionError::Read {
                path: path.display().to_string(),
                source,
            })?;
            match read {
                vars::Capped::Bytes(bytes) => (path.clone(), bytes),
                vars::Capped::TooLarge(bytes) => {
                    return Err(VersionError::TooLarge { what, bytes });
                }
            }
        }
        Version::Git { repo, rev, path } => (path.clone(), git_show(repo, rev, path)?),
    };
    let loaded = vars::parse(&display_path, bytes);
    match loaded.vars {
        Some(vars) => Ok(vars),
        None => {
            let problem = loaded
                .problems
                .first()
                .map(|p| match p.line {
                    Some(line) => format!("line {line}: {}", p.kind),
                    None => p.kind.to_string(),
                })
                .unwrap_or_else(|| "it has no IMAGES".into());
            Err(VersionError::Invalid { what, problem })
        }
    }
}

/// `git show REV:./PATH` run in `repo`, with errors that say what went wrong.
fn git_show(repo: &Path, rev: &str, path: &Path) -> Result<Vec<u8>, VersionError> {
    let relative = path.strip_prefix(repo).unwrap_or(path);
    let what = format!("{rev}:{}", relative.display());
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .map_err(|source| VersionError::NoGit {
                what: what.clone(),
                source,
            })
    };
    let inside = git(&["rev-parse", "--is-inside-work-tree"])?;
    if !inside.status.success() {
        return Err(VersionError::NotARepository {
            repo: repo.display().to_string(),
        });
    }
    let known = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])?;
    if !known.status.success() {
        return Err(VersionError::UnknownRevision {
            repo: repo.display().to_string(),
            rev: rev.to_string(),
        });
    }
    let spec = format!("{rev}:./{}", relative.display());
    // The blob's size first: an oversized file is refused before it is read.
    let size = git(&["cat-file", "-s", &spec])?;
    if size.status.success()
        && let Ok(bytes) = String::from_utf8_lossy(&size.stdout)
            .trim()
            .parse::<usize>()
        && bytes > vars::MAX_FILE_BYTES
    {
        return Err(VersionError::TooLarge { what, bytes });
    }
    let shown = git(&["show", &spec])?;
    if shown.status.success() {
        return Ok(shown.stdout);
    }
    let message = String::from_utf8_lossy(&shown.stderr).trim().to_string();
    if message.contains("does not exist") || message.contains("exists on disk, but not in") {
        return Err(VersionError::NotAtRevision {
            rev: rev.to_string(),
            path: relative.display().to_string(),
        });
    }
    Err(VersionError::Git { what, message })
}
