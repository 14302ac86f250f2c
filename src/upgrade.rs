//! Versions of `vars.yml` (a file, or a file at a git revision) and what changed
//! between two of them: the basis of `diff` and of Renovate's `post-upgrade` task.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::diff::{self, EntryChange};
use crate::mirror_map::MirrorPrefix;
use crate::reference::Reference;
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
pub enum UpgradeError {
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
pub fn load(version: &Version) -> Result<VarsFile, UpgradeError> {
    let what = version.describe();
    let (display_path, bytes) = match version {
        Version::File(path) => {
            let read = vars::read_capped(path).map_err(|source| UpgradeError::Read {
                path: path.display().to_string(),
                source,
            })?;
            match read {
                vars::Capped::Bytes(bytes) => (path.clone(), bytes),
                vars::Capped::TooLarge(bytes) => {
                    return Err(UpgradeError::TooLarge { what, bytes });
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
            Err(UpgradeError::Invalid { what, problem })
        }
    }
}

/// `git show REV:./PATH` run in `repo`, with errors that say what went wrong.
fn git_show(repo: &Path, rev: &str, path: &Path) -> Result<Vec<u8>, UpgradeError> {
    let relative = path.strip_prefix(repo).unwrap_or(path);
    let what = format!("{rev}:{}", relative.display());
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .map_err(|source| UpgradeError::NoGit {
                what: what.clone(),
                source,
            })
    };
    let inside = git(&["rev-parse", "--is-inside-work-tree"])?;
    if !inside.status.success() {
        return Err(UpgradeError::NotARepository {
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
        return Err(UpgradeError::UnknownRevision {
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
        return Err(UpgradeError::TooLarge { what, bytes });
    }
    let shown = git(&["show", &spec])?;
    if shown.status.success() {
        return Ok(shown.stdout);
    }
    let message = String::from_utf8_lossy(&shown.stderr).trim().to_string();
    if message.contains("does not exist") || message.contains("exists on disk, but not in") {
        return Err(UpgradeError::NotAtRevision {
            rev: rev.to_string(),
            path: relative.display().to_string(),
        });
    }
    Err(UpgradeError::Git { what, message })
}

/// Two versions and what changed in `IMAGES` between them.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub old: VarsFile,
    pub new: VarsFile,
    pub changes: Vec<EntryChange>,
}

impl Comparison {
    pub fn between(old: &Version, new: &Version) -> Result<Comparison, UpgradeError> {
        let old = load(old)?;
        let new = load(new)?;
        let changes = diff::changes(&old, &new);
        Ok(Comparison { old, new, changes })
    }

    /// The unified diff, with `path` in the `---`/`+++` headers.
    pub fn unified(&self, path: &str) -> String {
        diff::unified(&self.old, &self.new, &self.changes, path)
    }

    /// Entries that exist after the change (added or modified), by name.
    pub fn changed_entries(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| c.new.is_some())
            .map(|c| c.entry.clone())
            .collect()
    }
}

/// What Renovate says it did, from `{{{depName}}}`, `{{{newValue}}}`, `{{{newDigest}}}`.
#[derive(Debug, Clone, Default)]
pub struct RenovateClaim {
    pub dep_name: Option<String>,
    pub new_value: Option<String>,
    pub new_digest: Option<String>,
}

/// Checks Renovate's claim against the changes: some changed entry must be that
/// package (its upstream, for a mirrored entry) with that tag and digest.
pub fn verify_claim(
    claim: &RenovateClaim,
    changes: &[EntryChange],
    prefix: &MirrorPrefix,
) -> Result<(), String> {
    let Some(dep_name) = claim.dep_name.as_deref().filter(|d| !d.is_empty()) else {
        if claim.new_value.is_some() || claim.new_digest.is_some() {
            return Err("--new-value and --new-digest need --dep-name".into());
        }
        return Ok(());
    };
    if dep_name.contains(char::is_whitespace) {
        return Err(format!(
            "--dep-name {dep_name:?} names several packages: in executionMode \"branch\" Renovate joins every depName with spaces, so leave --dep-name out there"
        ));
    }
    let wanted = Reference::parse(dep_name)
        .map_err(|e| format!("--dep-name: {e}"))?
        .name();
    let candidates: Vec<&EntryChange> = changes
        .iter()
        .filter(|change| {
            change
                .new
                .as_ref()
                .map(|side| crate::classify::Classification::of(&side.reference, prefix))
                .and_then(|classification| classification.looked_up().map(Reference::name))
                .is_some_and(|name| name == wanted)
        })
        .collect();
    if candidates.is_empty() {
        return Err(format!(
            "Renovate says it updated {dep_name}, but no changed IMAGES entry is that image"
        ));
    }
    let agrees = |change: &&EntryChange| {
        let side = change.new.as_ref().expect("filtered on new");
        claim
            .new_value
            .as_ref()
            .is_none_or(|v| side.tag.as_ref() == Some(v))
            && claim
                .new_digest
                .as_ref()
                .is_none_or(|d| side.digest.as_ref() == Some(d))
    };
    if candidates.iter().any(agrees) {
        return Ok(());
    }
    let found: Vec<String> = candidates
        .iter()
        .map(|c| {
            format!(
                "IMAGES.{} = {}",
                c.entry,
                c.new.as_ref().expect("new").reference
            )
        })
        .collect();
    Err(format!(
        "Renovate says it updated {dep_name} to {}{}, but vars.yml has {}",
        claim.new_value.as_deref().unwrap_or("?"),
        claim
            .new_digest
            .as_deref()
            .map(|d| format!("@{d}"))
            .unwrap_or_default(),
        found.join(", ")
    ))
}

/// What `post-upgrade` found and did.
#[derive(Debug)]
pub struct PostUpgradeReport {
    pub comparison: Comparison,
    /// `check` on the new file; errors on entries this change did not touch are
    /// downgraded to warnings (they are not this bump's doing).
    pub check: crate::check::CheckReport,
    /// Why Renovate's own account of the bump does not match the file, if it does not.
    pub claim_error: Option<String>,
    pub mirrored: Vec<crate::mirror::Outcome>,
    /// Changed entries under the prefix that cannot be mirrored.
    pub unmirrorable: Vec<crate::mirror::PlanError>,
}

impl PostUpgradeReport {
    pub fn failed(&self) -> bool {
        self.claim_error.is_some()
            || !self.unmirrorable.is_empty()
            || crate::diag::Summary::of(&self.check.diagnostics).errors > 0
            || self
                .mirrored
                .iter()
                .any(|o| o.status == crate::mirror::Status::Failed)
    }
}

/// Renovate's post-upgrade task: compare `base` with the working tree, check the new
/// file, verify Renovate's claim, and mirror exactly the changed mirrored entries.
/// It never writes a file. Mirroring is skipped when the check or the claim fails: a
/// bump that is wrong must not be copied.
pub async fn post_upgrade(
    options: &crate::check::CheckOptions,
    base: &str,
    claim: &RenovateClaim,
    client: &crate::registry::RegistryClient,
    copy: &crate::mirror::CopyOptions,
    progress: &dyn crate::mirror::Progress,
) -> Result<PostUpgradeReport, UpgradeError> {
    let vars_path = options.vars_path();
    let comparison = Comparison::between(
        &Version::Git {
            repo: options.repo.clone(),
            rev: base.to_string(),
            path: vars_path.clone(),
        },
        &Version::File(vars_path.clone()),
    )?;
    let mut check = crate::check::check(options).map_err(|error| UpgradeError::Read {
        path: vars_path.display().to_string(),
        source: std::io::Error::other(error.to_string()),
    })?;
    let changed = comparison.changed_entries();
    for diagnostic in &mut check.diagnostics {
        let ours = diagnostic
            .entry
            .as_ref()
            .is_some_and(|e| changed.contains(e));
        if !ours && diagnostic.severity == crate::diag::Severity::Error {
            diagnostic.severity = crate::diag::Severity::Warning;
        }
    }
    let claim_error = verify_claim(claim, &comparison.changes, &options.mirror_prefix).err();
    let mut report = PostUpgradeReport {
        comparison,
        check,
        claim_error,
        mirrored: Vec::new(),
        unmirrorable: Vec::new(),
    };
    if report.failed() {
        return Ok(report);
    }
    let mirrored: Vec<String> = changed
        .into_iter()
        .filter(|name| {
            report.comparison.new.image(name).is_some_and(|entry| {
                crate::classify::Classification::of(&entry.value, &options.mirror_prefix)
                    .is_under_prefix()
            })
        })
        .collect();
    if mirrored.is_empty() {
        return Ok(report);
    }
    let (jobs, unmirrorable) = crate::mirror::plan(
        &report.comparison.new,
        &options.mirror_prefix,
        &mirrored,
        None,
    )
    .map_err(|e| UpgradeError::Invalid {
        what: vars_path.display().to_string(),
        problem: e.to_string(),
    })?;
    report.unmirrorable = unmirrorable;
    report.mirrored = crate::mirror::mirror_all(client, jobs, copy, progress).await;
    Ok(report)
}
