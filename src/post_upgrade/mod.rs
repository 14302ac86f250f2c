//! Renovate's post-upgrade task: compare the bumped file with the base revision, check
//! it, check Renovate's claim, and mirror exactly the changed mirrored entries, before
//! the merge request can merge. It never writes a file.

mod claim;
pub mod data_file;

pub use claim::{RenovateClaim, verify_claim};

use crate::diff::Comparison;
use crate::versions::{Version, VersionError};

/// Why the task could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum PostUpgradeError {
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Check(#[from] crate::check::CheckError),
    #[error(transparent)]
    Plan(#[from] crate::mirror::PlanError),
}

/// What `post-upgrade` found and did.
#[derive(Debug)]
pub struct PostUpgradeReport {
    pub comparison: Comparison,
    /// `check` on the new file; errors on entries this change did not touch are
    /// downgraded to warnings (they are not this bump's doing).
    pub check: crate::check::CheckReport,
    /// Why Renovate's own account of the bump (each update it names) does not match
    /// the file, if it does not.
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
/// file, verify Renovate's claims (one per update it names), and mirror exactly the
/// changed mirrored entries.
/// It never writes a file. Mirroring is skipped when the check or the claim fails: a
/// bump that is wrong must not be copied.
pub async fn post_upgrade(
    context: &crate::repo_context::RepoContext,
    base: &str,
    claims: &[RenovateClaim],
    client: &crate::registry::RegistryClient,
    copy: &crate::mirror::CopyOptions,
    progress: &dyn crate::mirror::Progress,
) -> Result<PostUpgradeReport, PostUpgradeError> {
    let vars_path = &context.vars_path;
    let comparison = Comparison::between(
        &Version::Git {
            repo: context.repo.clone(),
            rev: base.to_string(),
            path: vars_path.clone(),
        },
        &Version::File(vars_path.clone()),
    )?;
    let mut check = crate::check::check(context)?;
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
    let claim_errors: Vec<String> = claims
        .iter()
        .filter_map(|claim| verify_claim(claim, &comparison.changes, &context.mirror_prefix).err())
        .collect();
    let claim_error = (!claim_errors.is_empty()).then(|| claim_errors.join("\n"));
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
                crate::classify::Classification::of_entry(entry, &context.mirror_prefix)
                    .is_under_prefix()
            })
        })
        .collect();
    if mirrored.is_empty() {
        return Ok(report);
    }
    let (jobs, unmirrorable) = crate::mirror::plan(
        &report.comparison.new,
        &context.mirror_prefix,
        &mirrored,
        None,
    )?;
    report.unmirrorable = unmirrorable;
    report.mirrored = crate::mirror::mirror_all(client, jobs, copy, progress).await;
    Ok(report)
}
