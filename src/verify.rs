//! `verify` and `inspect`: read-only questions to registries.
//!
//! `verify` is the gate before a deploy: every mirrored entry's mirror tag resolves to
//! its pinned digest (and, `deep`, every manifest and blob under it is there); with
//! `upstream`, every directly used entry exists at its registry by digest, and every
//! referrer (signature, attestation, SBOM) the upstream has for a mirrored image is at
//! the mirror too.

use futures_util::{StreamExt, stream};
use serde::Serialize;

use crate::mirror::referrers::{self, ReferrerCache};
use crate::mirror::{ReferrerPolicy, plan};
use crate::mirror_map::MirrorPrefix;
use crate::reference::Reference;
use crate::registry::format::{self, Kind};
use crate::registry::{RegistryClient, RegistryError, Repo};
use crate::vars::VarsFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Ok,
    /// The tag (or digest) does not exist.
    Missing,
    /// The mirror's tag resolves to another digest.
    Stale,
    /// The top manifest is there but something under it is not.
    Incomplete,
    /// The registry could not be asked.
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub entry: String,
    /// What was checked: `quay.io/cki/mirror/x:tag` or `registry/x@sha256:...`.
    pub target: String,
    pub expected: String,
    pub verdict: Verdict,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions {
    pub deep: bool,
    pub upstream: bool,
    pub concurrency: usize,
    /// Which upstream referrers the mirror must have (with `upstream`).
    pub referrers: ReferrerPolicy,
}

/// Checks every mirrored entry (and, with `upstream`, every direct one).
pub async fn verify(
    client: &RegistryClient,
    vars: &VarsFile,
    prefix: &MirrorPrefix,
    options: VerifyOptions,
) -> Vec<Check> {
    let (jobs, unusable) = plan(vars, prefix, &[], None).unwrap_or_default();
    let mut checks: Vec<Check> = unusable
        .iter()
        .map(|problem| Check {
            entry: match problem {
                crate::mirror::PlanError::Unusable { entry, .. } => entry.clone(),
                _ => String::new(),
            },
            target: String::new(),
            expected: String::new(),
            verdict: Verdict::Error,
            detail: Some(problem.to_string()),
        })
        .collect();
    let mut targets: Vec<(String, Repo, String, String, Option<Repo>)> = jobs
        .iter()
        .map(|job| {
            let repo = Repo::new(client.endpoints(), &job.target_domain, &job.target_path);
            let source = Repo::new(client.endpoints(), &job.source_domain, &job.source_path);
            (
                job.entry.clone(),
                repo,
                job.tag.clone(),
                job.digest.clone(),
                Some(source),
            )
        })
        .collect();
    if options.upstream {
        for entry in &vars.images {
            let classification = crate::classify::Classification::of_entry(entry, prefix);
            let crate::classify::Kind::Direct(reference) = classification.kind() else {
                continue;
            };
            if let Some(digest) = reference.digest() {
                let repo = Repo::new(client.endpoints(), reference.domain(), reference.path());
                targets.push((
                    entry.name.clone(),
                    repo,
                    digest.to_string(),
                    digest.to_string(),
                    None,
                ));
            }
        }
    }
    let cache = &ReferrerCache::default();
    let found: Vec<Check> = stream::iter(targets)
        .map(|(entry, repo, reference, digest, source)| async move {
            let separator = if source.is_some() { ':' } else { '@' };
            let target = format!("{}{separator}{reference}", repo.name);
            let mut checked = check_one(client, &repo, &reference, &digest, options.deep).await;
            if let (Ok((Verdict::Ok, _)), Some(source)) = (&checked, &source)
                && options.upstream
                && options.referrers != ReferrerPolicy::None
            {
                checked = referrers_at_mirror(client, cache, source, &repo, &digest, options)
                    .await
                    .map(|lacking| lacking.unwrap_or_else(|| checked.unwrap()));
            }
            let (verdict, detail) = match checked {
                Ok(result) => result,
                Err(error) => (Verdict::Error, Some(error.to_string())),
            };
            Check {
                entry,
                target,
                expected: digest,
                verdict,
                detail,
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    checks.extend(found);
    let order: Vec<&str> = vars.images.iter().map(|e| e.name.as_str()).collect();
    checks.sort_by_key(|c| {
        order
            .iter()
            .position(|n| *n == c.entry)
            .unwrap_or(usize::MAX)
    });
    checks
}

/// `Incomplete` when the upstream has referrers of the image that the mirror lacks.
async fn referrers_at_mirror(
    client: &RegistryClient,
    cache: &ReferrerCache,
    source: &Repo,
    target: &Repo,
    digest: &str,
    options: VerifyOptions,
) -> Result<Option<(Verdict, Option<String>)>, RegistryError> {
    let subjects = referrers::subjects_of_present(client, cache, source, target, digest).await?;
    let found = referrers::discover(client, cache, source, &subjects, options.referrers).await?;
    let missing = referrers::missing(client, cache, target, &found).await?;
    if missing.is_empty() {
        return Ok(None);
    }
    let names: Vec<&str> = missing.iter().map(|r| r.describe()).collect();
    Ok(Some((
        Verdict::Incomplete,
        Some(format!(
            "the upstream has {} referrer(s) the mirror lacks: {} (run `img-mirror mirror`)",
            missing.len(),
            names.join(", ")
        )),
    )))
}

async fn check_one(
    client: &RegistryClient,
    repo: &Repo,
    reference: &str,
    digest: &str,
    deep: bool,
) -> Result<(Verdict, Option<String>), RegistryError> {
    let Some(head) = client.head_manifest(repo, reference).await? else {
        return Ok((Verdict::Missing, None));
    };
    if head.digest != digest {
        return Ok((Verdict::Stale, Some(format!("resolves to {}", head.digest))));
    }
    if !deep {
        return Ok((Verdict::Ok, None));
    }
    let top = client.get_manifest(repo, digest, Some(digest)).await?;
    let (_, blobs) = match crate::mirror::tree::walk(client, repo, &top).await {
        Ok(found) => found,
        Err(error) => return Ok((Verdict::Incomplete, Some(error.to_string()))),
    };
    for blob in &blobs {
        if !client.blob_exists(repo, &blob.digest).await? {
            return Ok((
                Verdict::Incomplete,
                Some(format!("blob {} is missing", blob.digest)),
            ));
        }
    }
    Ok((Verdict::Ok, Some(format!("{} blobs present", blobs.len()))))
}

/// What `inspect` reports about one image.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    pub image: String,
    pub digest: String,
    pub media_type: String,
    /// `os/architecture[/variant]` of each index child, in index order.
    pub platforms: Vec<String>,
}

/// Why `inspect` has nothing to show.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error(transparent)]
    Reference(#[from] crate::reference::ReferenceError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Manifest(#[from] crate::registry::format::ManifestError),
}

/// The digest `skopeo inspect --format '{{.Digest}}'` prints (the index digest for a
/// multi-platform tag), the media type, and an index's platforms.
pub async fn inspect(client: &RegistryClient, image: &str) -> Result<Inspection, InspectError> {
    let reference = Reference::parse(image)?;
    let repo = Repo::new(client.endpoints(), reference.domain(), reference.path());
    let at = reference
        .digest()
        .or(reference.tag())
        .unwrap_or("latest")
        .to_string();
    let manifest = client.get_manifest(&repo, &at, reference.digest()).await?;
    let platforms = match format::kind(&manifest.media_type, &manifest.bytes)? {
        Kind::Index { manifests } => manifests
            .iter()
            .map(|m| {
                let platform = m.platform.clone().unwrap_or_default();
                let part = |key: &str| {
                    platform
                        .get(key)
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string()
                };
                let mut text = format!("{}/{}", part("os"), part("architecture"));
                if !part("variant").is_empty() {
                    text.push('/');
                    text.push_str(&part("variant"));
                }
                text
            })
            .collect(),
        Kind::Image { .. } => Vec::new(),
    };
    Ok(Inspection {
        image: image.to_string(),
        digest: manifest.digest,
        media_type: manifest.media_type,
        platforms,
    })
}
