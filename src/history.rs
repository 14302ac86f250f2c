//! A file's git history: the last revisions that changed it, from a starting ref
//! (read each with [`crate::versions`]). `prune` keeps what any of them references, so
//! history it cannot read in full is an error, never a shorter window.

use std::path::Path;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot run git in {repo}: {source}")]
    Spawn {
        repo: String,
        source: std::io::Error,
    },
    #[error("git {args} in {repo} failed: {stderr}")]
    Git {
        repo: String,
        args: String,
        stderr: String,
    },
    #[error("{reference}: no such revision in {repo}")]
    UnknownRef { repo: String, reference: String },
    #[error(
        "{repo} is a shallow clone and holds only {found} of the last {wanted} revisions of {file} from {reference}: fetch the whole history (GIT_DEPTH: 0 in GitLab CI, `git fetch --unshallow`) or lower --keep-revisions"
    )]
    Shallow {
        repo: String,
        file: String,
        reference: String,
        found: usize,
        wanted: usize,
    },
}

fn git(repo: &Path, args: &[&str]) -> Result<std::process::Output, HistoryError> {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .map_err(|source| HistoryError::Spawn {
            repo: repo.display().to_string(),
            source,
        })
}

fn git_ok(repo: &Path, args: &[&str]) -> Result<Vec<u8>, HistoryError> {
    let output = git(repo, args)?;
    if !output.status.success() {
        return Err(HistoryError::Git {
            repo: repo.display().to_string(),
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(output.stdout)
}

/// The last `count` commits reachable from `reference` that changed `file` (a path
/// relative to `repo`), newest first: the first has the file as `reference` has it.
pub fn revisions(
    repo: &Path,
    file: &str,
    reference: &str,
    count: usize,
) -> Result<Vec<String>, HistoryError> {
    let resolved = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )?;
    if !resolved.status.success() {
        return Err(HistoryError::UnknownRef {
            repo: repo.display().to_string(),
            reference: reference.to_string(),
        });
    }
    let commit = String::from_utf8_lossy(&resolved.stdout).trim().to_string();
    let listed = git_ok(
        repo,
        &[
            "log",
            &format!("--max-count={count}"),
            "--format=%H",
            &commit,
            "--",
            file,
        ],
    )?;
    let commits: Vec<String> = String::from_utf8_lossy(&listed)
        .lines()
        .map(str::to_string)
        .collect();
    if commits.len() < count {
        let shallow = git_ok(repo, &["rev-parse", "--is-shallow-repository"])?;
        if String::from_utf8_lossy(&shallow).trim() == "true" {
            return Err(HistoryError::Shallow {
                repo: repo.display().to_string(),
                file: file.to_string(),
                reference: reference.to_string(),
                found: commits.len(),
                wanted: count,
            });
        }
    }
    Ok(commits)
}
