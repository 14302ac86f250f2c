//! `prune`: the mirror keeps what the repository references now and in its recent
//! history, and nothing else.
//!
//! What is kept, per repository under the mirror prefix:
//! - every digest an `IMAGES` entry under the prefix pins, in each of the last N
//!   revisions of vars.yml from HEAD (and from each `--ref`), and every tag such an entry
//!   names without a digest;
//! - everything those need: the children of a kept index, and their referrers: cosign's
//!   `sha256-<hex>.sig/.att/.sbom` tags, the fallback `sha256-<hex>` index and what it
//!   lists, followed until nothing new is kept;
//! - every tag whose digest is kept, since registries delete by digest.
//!
//! Every other tag of every repository under the prefix goes. Nothing is deleted until
//! the whole history window has parsed and every catalog page and tag list has been
//! read; then each digest is deleted once (its tags go with it), after a fresh look at
//! the repository's tags shows no tag that appeared since points at it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use futures_util::{StreamExt, stream};

use crate::history::{self, HistoryError};
use crate::mirror_map::MirrorPrefix;
use crate::reference::Reference;
use crate::registry::format::{self, Kind};
use crate::registry::{Deleted, RegistryClient, RegistryError, Repo};
use crate::versions::{self, Version, VersionError};

/// Repositories read at once.
const REPOSITORIES_AT_ONCE: usize = 8;
/// Rounds of "what the kept digests refer to": index, child, signature, signature of a
/// signature... Real artifacts nest three deep at most.
const MAX_ROUNDS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error("{file} at {commit} does not parse, so what it references is unknown: {problem}")]
    Unparsable {
        file: String,
        commit: String,
        problem: String,
    },
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(
        "{registry} refuses deletes (HTTP 405: deletion is disabled on it{})",
        if *.deleted == 0 { "); nothing was deleted".to_string() } else { format!(") after {} deletions", .deleted) }
    )]
    DeletesDisabled { registry: String, deleted: usize },
}

/// What the repository references under the prefix across the window.
#[derive(Debug, Default, Clone)]
pub struct Referenced {
    /// (repository, digest): `quay.io/cki/mirror/grafana/grafana`, `sha256:...`.
    pub digests: BTreeSet<(String, String)>,
    /// (repository, tag) of entries written without a digest.
    pub tags: BTreeSet<(String, String)>,
    /// Revisions read, over every starting ref.
    pub revisions: usize,
}

/// Reads the last `keep_revisions` revisions of `vars_file` (relative to `repo`) from
/// HEAD and from each of `refs`, and collects what their entries under `prefix` pin.
pub fn referenced(
    repo: &Path,
    vars_file: &str,
    prefix: &MirrorPrefix,
    keep_revisions: usize,
    refs: &[String],
) -> Result<Referenced, PruneError> {
    let mut out = Referenced::default();
    let mut seen = BTreeSet::new();
    let starts = std::iter::once("HEAD").chain(refs.iter().map(String::as_str));
    for start in starts {
        for commit in history::revisions(repo, vars_file, start, keep_revisions)? {
            if !seen.insert(commit.clone()) {
                continue;
            }
            out.revisions += 1;
            let version = Version::Git {
                repo: repo.to_path_buf(),
                rev: commit.clone(),
                path: repo.join(vars_file),
            };
            let vars = match versions::load(&version) {
                Ok(vars) => vars,
                // The revision deleted it: it references nothing.
                Err(VersionError::NotAtRevision { .. }) => continue,
                Err(VersionError::Invalid { problem, .. }) => {
                    return Err(PruneError::Unparsable {
                        file: vars_file.to_string(),
                        commit,
                        problem,
                    });
                }
                Err(other) => return Err(other.into()),
            };
            for entry in &vars.images {
                let Ok(reference) = Reference::parse(&entry.value) else {
                    continue;
                };
                if !prefix.covers(&reference) {
                    continue;
                }
                let name = reference.name();
                match (reference.digest(), reference.tag()) {
                    (Some(digest), _) => {
                        out.digests.insert((name, digest.to_string()));
                    }
                    (None, Some(tag)) => {
                        out.tags.insert((name, tag.to_string()));
                    }
                    (None, None) => {
                        out.tags.insert((name, "latest".to_string()));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// One tag of the mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorTag {
    pub repository: String,
    pub tag: String,
    pub digest: String,
    /// Config and layers, where the manifest is an image's (known for removed tags).
    pub size: Option<u64>,
}

/// What a prune would keep and remove.
#[derive(Debug, Default)]
pub struct PrunePlan {
    pub repositories: usize,
    pub kept: Vec<MirrorTag>,
    pub removed: Vec<MirrorTag>,
}

/// Lists every repository under `prefix` and every tag in each, and decides.
pub async fn plan(
    client: &RegistryClient,
    prefix: &MirrorPrefix,
    referenced: &Referenced,
) -> Result<PrunePlan, PruneError> {
    let domain = prefix.domain();
    let under = prefix
        .as_str()
        .strip_prefix(domain)
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    let catalog_repo = Repo::new(client.endpoints(), domain, &under);
    let repositories: Vec<String> = client
        .catalog(&catalog_repo)
        .await?
        .into_iter()
        .filter(|path| under.is_empty() || *path == under || path.starts_with(&format!("{under}/")))
        .collect();
    let decided: Vec<Result<Decided, PruneError>> = stream::iter(repositories.iter())
        .map(|path| {
            decide(
                client,
                Repo::new(client.endpoints(), domain, path),
                referenced,
            )
        })
        .buffered(REPOSITORIES_AT_ONCE)
        .collect()
        .await;
    let mut plan = PrunePlan {
        repositories: repositories.len(),
        ..PrunePlan::default()
    };
    for one in decided {
        let Decided { kept, removed } = one?;
        plan.kept.extend(kept);
        plan.removed.extend(removed);
    }
    Ok(plan)
}

/// The tags of one repository and their digests; `None` for a tag gone meanwhile.
async fn tag_digests(
    client: &RegistryClient,
    repo: &Repo,
) -> Result<BTreeMap<String, String>, PruneError> {
    let tags = client.tags(repo).await?.unwrap_or_default();
    let mut out = BTreeMap::new();
    for tag in tags {
        if let Some(head) = client.head_manifest(repo, &tag).await? {
            out.insert(tag, head.digest);
        }
    }
    Ok(out)
}

/// The tags of one repository, kept and removed.
struct Decided {
    kept: Vec<MirrorTag>,
    removed: Vec<MirrorTag>,
}

async fn decide(
    client: &RegistryClient,
    repo: Repo,
    referenced: &Referenced,
) -> Result<Decided, PruneError> {
    let tags = tag_digests(client, &repo).await?;
    let mut kept: BTreeSet<String> = referenced
        .digests
        .iter()
        .filter(|(name, _)| *name == repo.name)
        .map(|(_, digest)| digest.clone())
        .collect();
    for (name, tag) in &referenced.tags {
        if *name == repo.name
            && let Some(digest) = tags.get(tag)
        {
            kept.insert(digest.clone());
        }
    }
    let mut expanded = BTreeSet::new();
    for _ in 0..MAX_ROUNDS {
        let before = kept.len();
        for digest in kept.clone() {
            if expanded.insert(digest.clone()) {
                kept.extend(listed_in(client, &repo, &digest).await?);
            }
        }
        for (tag, digest) in &tags {
            if subject_of(tag).is_some_and(|subject| kept.contains(&subject)) {
                kept.insert(digest.clone());
            }
        }
        if kept.len() == before && kept.iter().all(|d| expanded.contains(d)) {
            break;
        }
    }
    let mut keep = Vec::new();
    let mut remove = Vec::new();
    let mut sizes: BTreeMap<String, Option<u64>> = BTreeMap::new();
    for (tag, digest) in tags {
        let mut one = MirrorTag {
            repository: repo.name.clone(),
            tag,
            digest,
            size: None,
        };
        if kept.contains(&one.digest) {
            keep.push(one);
        } else {
            if !sizes.contains_key(&one.digest) {
                let size = image_size(client, &repo, &one.digest).await?;
                sizes.insert(one.digest.clone(), size);
            }
            one.size = sizes[&one.digest];
            remove.push(one);
        }
    }
    Ok(Decided {
        kept: keep,
        removed: remove,
    })
}

/// What a manifest in the mirror names that must stay with it: an index's children, a
/// fallback index's referrers. Nothing for a digest the repository does not have.
async fn listed_in(
    client: &RegistryClient,
    repo: &Repo,
    digest: &str,
) -> Result<Vec<String>, PruneError> {
    if client.head_manifest(repo, digest).await?.is_none() {
        return Ok(Vec::new());
    }
    let manifest = client.get_manifest(repo, digest, Some(digest)).await?;
    Ok(match format::kind(&manifest.media_type, &manifest.bytes) {
        Ok(Kind::Index { manifests }) => manifests.into_iter().map(|m| m.digest).collect(),
        _ => Vec::new(),
    })
}

async fn image_size(
    client: &RegistryClient,
    repo: &Repo,
    digest: &str,
) -> Result<Option<u64>, PruneError> {
    let manifest = client.get_manifest(repo, digest, Some(digest)).await?;
    Ok(match format::kind(&manifest.media_type, &manifest.bytes) {
        Ok(Kind::Image { blobs }) => Some(blobs.iter().map(|b| b.size).sum()),
        _ => None,
    })
}

/// The digest a referrer tag is about: `sha256-<hex>` (the referrers tag schema's
/// fallback index) and cosign's `sha256-<hex>.sig`, `.att`, `.sbom`.
pub fn subject_of(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("sha256-")?;
    let hex = match rest.split_once('.') {
        Some((hex, "sig" | "att" | "sbom")) => hex,
        Some(_) => return None,
        None => rest,
    };
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
    .then(|| format!("sha256:{hex}"))
}

/// What happened to one digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Deleted (or already gone), with its tags.
    Deleted { tags: Vec<MirrorTag>, already: bool },
    /// Left: a tag that appeared since the listing points at it.
    Spared {
        tags: Vec<MirrorTag>,
        because: String,
    },
}

/// Deletes what `plan` removes, digest by digest, reporting each as it goes.
pub async fn apply(
    client: &RegistryClient,
    plan: &PrunePlan,
    mut report: impl FnMut(&Outcome),
) -> Result<usize, PruneError> {
    let mut by_repository: BTreeMap<&str, BTreeMap<&str, Vec<&MirrorTag>>> = BTreeMap::new();
    for tag in &plan.removed {
        by_repository
            .entry(&tag.repository)
            .or_default()
            .entry(&tag.digest)
            .or_default()
            .push(tag);
    }
    let mut deleted = 0;
    for (name, digests) in by_repository {
        let (domain, path) = name
            .split_once('/')
            .expect("a repository name has a domain");
        let repo = Repo::new(client.endpoints(), domain, path);
        // A tag pushed since the listing (a mirror run at the same time) may point at a
        // digest about to go: look again.
        let now = tag_digests(client, &repo).await?;
        for (digest, tags) in digests {
            let tags: Vec<MirrorTag> = tags.into_iter().cloned().collect();
            let newcomer = now
                .iter()
                .find(|(tag, d)| *d == digest && !tags.iter().any(|t| &t.tag == *tag));
            if let Some((tag, _)) = newcomer {
                report(&Outcome::Spared {
                    tags,
                    because: format!("tag {tag} now points at it"),
                });
                continue;
            }
            match client.delete_manifest(&repo, digest).await? {
                Deleted::Deleted => {
                    deleted += 1;
                    report(&Outcome::Deleted {
                        tags,
                        already: false,
                    });
                }
                Deleted::Missing => report(&Outcome::Deleted {
                    tags,
                    already: true,
                }),
                Deleted::Disabled => {
                    return Err(PruneError::DeletesDisabled {
                        registry: repo.registry().to_string(),
                        deleted,
                    });
                }
            }
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrer_tags_name_their_subject() {
        let hex = "a".repeat(64);
        for tag in [
            format!("sha256-{hex}"),
            format!("sha256-{hex}.sig"),
            format!("sha256-{hex}.att"),
            format!("sha256-{hex}.sbom"),
        ] {
            assert_eq!(subject_of(&tag), Some(format!("sha256:{hex}")), "{tag}");
        }
        assert_eq!(subject_of(&format!("sha256-{hex}.other")), None);
        assert_eq!(subject_of("sha256-abc.sig"), None);
        assert_eq!(subject_of("v1.2.3"), None);
        assert_eq!(subject_of(&format!("sha256-{}", "A".repeat(64))), None);
    }
}
