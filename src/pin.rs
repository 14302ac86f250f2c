//! `pin`: add or bump an `IMAGES` entry in one step. Resolve the tag's digest at the
//! upstream (the index digest for a multi-platform image, as `skopeo inspect` reports
//! it), choose the form (direct when `MP_APPROVED_REGISTRIES` covers the upstream, else
//! under the mirror prefix, written the way the file already writes its mirrors), prove
//! with `check` that the repository's Renovate managers extract and bump the new entry
//! correctly, and compute the edited file. Writing is the caller's.

use crate::approval::ApprovedRegistries;
use crate::check::{CheckError, check_text};
use crate::diag::Severity;
use crate::diff::{self, EntryChange};
use crate::mirror_map::{MirrorStyle, NoMirrorForm};
use crate::reference::Reference;
use crate::registry::{RegistryClient, RegistryError, Repo};
use crate::repo_context::RepoContext;
use crate::vars::edit::{EditError, set_image};
use crate::vars::{VarsFile, parse};

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error(
        "{0:?} cannot be an IMAGES name: templates reach it as cki_variable('IMAGES').NAME, so it must be letters, digits and _ (not starting with a digit)"
    )]
    InvalidName(String),
    #[error("{0}")]
    InvalidImage(String),
    #[error("{image} has no tag; write IMAGE:TAG (the runbook pins <image>:<tag>@sha256:...)")]
    NoTag { image: String },
    #[error("{repository} has no tag {tag:?}")]
    UnknownTag { repository: String, tag: String },
    #[error("resolving {image}: {source}")]
    Registry {
        image: String,
        source: RegistryError,
    },
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("{0}")]
    NoMirrorForm(#[from] NoMirrorForm),
    #[error(
        "IMAGES.{name}: {value} would not be bumped correctly by the repository's Renovate config:\n{findings}"
    )]
    RenovateWouldFail {
        name: String,
        value: String,
        findings: String,
    },
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// Where the entry points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// On an approved registry: used as is.
    Direct,
    /// Under the mirror prefix: must be copied there.
    Mirrored,
}

/// The result of resolving a pin.
#[derive(Debug, Clone)]
pub struct Pinned {
    pub name: String,
    /// The upstream image the tag was resolved at.
    pub upstream: Reference,
    pub tag: String,
    pub digest: String,
    pub form: Form,
    /// The `IMAGES` value written.
    pub value: String,
    pub new_text: String,
    pub new_vars: VarsFile,
    pub changes: Vec<EntryChange>,
    /// Why the entry is written in another mirror-path style than the file's own, when
    /// only that one is extracted correctly by the repository's Renovate managers.
    pub note: Option<String>,
}

impl Pinned {
    /// The unified diff of the change, `path` in the headers.
    pub fn unified(&self, old: &VarsFile, path: &str) -> String {
        diff::unified(old, &self.new_vars, &self.changes, path)
    }
}

/// Resolves `image` (`IMAGE:TAG`, possibly already written under the mirror prefix) and
/// computes `vars` with `IMAGES.<name>` set to it.
pub async fn pin(
    client: &RegistryClient,
    vars: &VarsFile,
    context: &RepoContext,
    name: &str,
    image: &str,
) -> Result<Pinned, PinError> {
    let prefix = &context.mirror_prefix;
    if !crate::vars::is_valid_entry_name(name) {
        return Err(PinError::InvalidName(name.to_string()));
    }
    // The image may be written as the upstream or already under the mirror prefix.
    let classification = crate::classify::Classification::of(image, prefix);
    let upstream = match classification.kind() {
        crate::classify::Kind::Direct(reference) => reference.clone(),
        crate::classify::Kind::Mirrored { upstream, .. } => upstream.clone(),
        crate::classify::Kind::Unusable(reason) => {
            return Err(PinError::InvalidImage(reason.to_string()));
        }
    };
    let tag = upstream
        .tag()
        .ok_or_else(|| PinError::NoTag {
            image: image.to_string(),
        })?
        .to_string();
    let repo = Repo::new(client.endpoints(), upstream.domain(), upstream.path());
    let head = client
        .head_manifest(&repo, &tag)
        .await
        .map_err(|source| PinError::Registry {
            image: image.to_string(),
            source,
        })?
        .ok_or_else(|| PinError::UnknownTag {
            repository: upstream.name(),
            tag: tag.clone(),
        })?;
    let (approved, _) = ApprovedRegistries::read(&vars.approved, |item| &item.value);
    let direct = approved.approving(&upstream).is_some();
    let form = if direct { Form::Direct } else { Form::Mirrored };
    // The forms to try, the file's own first: a direct entry has one; a mirror has the
    // file's style and the other one.
    let candidates: Vec<(String, Option<String>)> = if direct {
        vec![(
            format!("{}:{tag}@{}", upstream.written_name(), head.digest),
            None,
        )]
    } else {
        let own = crate::lint::mirror_style(&crate::lint::analyse(vars, prefix), prefix);
        let other = match own {
            MirrorStyle::Familiar => MirrorStyle::Qualified,
            MirrorStyle::Qualified => MirrorStyle::Familiar,
        };
        let mut candidates = vec![(
            format!(
                "{}:{tag}@{}",
                prefix.mirror_repository(&upstream, own)?,
                head.digest
            ),
            None,
        )];
        let alternative = format!(
            "{}:{tag}@{}",
            prefix.mirror_repository(&upstream, other)?,
            head.digest
        );
        if alternative != candidates[0].0 {
            let note = format!(
                "written as {alternative}, not in the file's own mirror-path style, because the repository's Renovate managers only extract that form correctly"
            );
            candidates.push((alternative, Some(note)));
        }
        candidates
    };
    let mut first_failure = None;
    for (value, note) in candidates {
        let new_text = set_image(vars, name, &value)?;
        let findings = renovate_findings(context, &new_text, name)?;
        if !findings.is_empty() {
            first_failure.get_or_insert(PinError::RenovateWouldFail {
                name: name.to_string(),
                value: value.clone(),
                findings: findings.join("\n"),
            });
            continue;
        }
        let new_vars = parse(&vars.path, new_text.clone().into_bytes())
            .vars
            .ok_or_else(|| EditError::Verification("the edited file does not load".into()))?;
        let changes = diff::changes(vars, &new_vars);
        return Ok(Pinned {
            name: name.to_string(),
            upstream,
            tag,
            digest: head.digest,
            form,
            value,
            new_text,
            new_vars,
            changes,
            note,
        });
    }
    Err(first_failure.expect("at least one form was tried"))
}

/// The errors `check` finds on entry `name` of `text` from the Renovate rules (IM2xx):
/// a pin that Renovate would then look up in the wrong place, or could not bump.
fn renovate_findings(
    context: &RepoContext,
    text: &str,
    name: &str,
) -> Result<Vec<String>, CheckError> {
    let report = check_text(context, text)?;
    Ok(report
        .diagnostics
        .iter()
        .filter(|d| {
            d.severity == Severity::Error
                && d.code.code.starts_with("IM2")
                && d.entry.as_deref() == Some(name)
        })
        .map(|d| format!("  {}[{}]: {}", d.code.code, d.code.name, d.message))
        .collect())
}

/// `pin --mirror`: copies the entry just pinned into the mirror at once, so it exists
/// before anything deploys it.
pub async fn mirror_pinned(
    client: &RegistryClient,
    pinned: &Pinned,
    prefix: &crate::mirror_map::MirrorPrefix,
    referrers: crate::mirror::ReferrerPolicy,
    progress: &dyn crate::mirror::Progress,
) -> Result<Vec<crate::mirror::Outcome>, crate::mirror::PlanError> {
    let (jobs, _) = crate::mirror::plan(
        &pinned.new_vars,
        prefix,
        std::slice::from_ref(&pinned.name),
        None,
    )?;
    let copy = crate::mirror::CopyOptions {
        dry_run: false,
        jobs: crate::mirror::Jobs::Fixed(1),
        blob_jobs: 4,
        prefix: prefix.clone(),
        referrers,
    };
    Ok(crate::mirror::mirror_all(client, jobs, &copy, progress).await)
}
