//! What travels with an image: the manifests that refer to it (signatures, SBOMs,
//! provenance), found at the upstream and placed at the mirror.
//!
//! Found at the upstream, for every digest of an image (the index and each platform
//! manifest), and again for each referrer (a signature on an SBOM), down to
//! [`MAX_DEPTH`]:
//! - the OCI 1.1 referrers API, when the registry serves it;
//! - otherwise the referrers tag schema: the `sha256-<hex>` tag's index;
//! - cosign's tags, `sha256-<hex>.sig`, `.att` and `.sbom`, in either case.
//!
//! Which tags exist comes from one tag list per upstream repository per run, so an
//! image with nothing new costs one upstream request on a registry without the API
//! (Docker Hub, ghcr.io), and one more per digest where the API exists.
//!
//! Placed at the mirror, digest-exact, with the same verification as images. A mirror
//! with the referrers API lists what is pushed with a `subject`; for one without it
//! (Debian's docker-registry, older Quay) the `sha256-<hex>` tag's index is read, merged
//! and written back, never dropping an entry someone else put there. Cosign tags keep
//! their names.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, OnceCell};

use crate::registry::format::{self, Descriptor, Kind, OCI_INDEX};
use crate::registry::{RawManifest, Referrers, RegistryClient, RegistryError, Repo};

/// Referrers of referrers are followed this deep (an image's signature is depth 1, a
/// signature on its SBOM depth 2).
pub const MAX_DEPTH: usize = 3;

/// A concurrent writer of a mirror's fallback index is outlasted this many times.
const FALLBACK_WRITE_ATTEMPTS: usize = 5;

/// cosign's tag suffixes: signatures, attestations, SBOMs.
const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// Artifact types that are signatures: cosign's, sigstore bundles, Notary v2.
const SIGNATURE_TYPES: [&str; 4] = [
    "application/vnd.dev.cosign.artifact.sig",
    "application/vnd.dev.cosign.simplesigning",
    "application/vnd.dev.sigstore.bundle",
    "application/vnd.cncf.notary.signature",
];

/// Which referrers travel with an image.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferrerPolicy {
    /// Everything that refers to the image.
    #[default]
    All,
    /// Signatures only: cosign `.sig` tags and signature artifact types.
    Signatures,
    /// Nothing but the image.
    None,
}

impl FromStr for ReferrerPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<ReferrerPolicy, String> {
        match text {
            "all" => Ok(ReferrerPolicy::All),
            "signatures" => Ok(ReferrerPolicy::Signatures),
            "none" => Ok(ReferrerPolicy::None),
            other => Err(format!("{other:?}: expected all, signatures or none")),
        }
    }
}

impl fmt::Display for ReferrerPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReferrerPolicy::All => "all",
            ReferrerPolicy::Signatures => "signatures",
            ReferrerPolicy::None => "none",
        })
    }
}

/// One thing that refers to a digest at the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    /// The digest it refers to.
    pub subject: String,
    /// Its own digest.
    pub digest: String,
    /// cosign's tag (`sha256-<hex>.sig`) it lives under, kept at the mirror; `None` for a
    /// manifest found through the API or the fallback index, placed by digest.
    pub tag: Option<String>,
    /// The size its listing declared, checked when it is fetched.
    pub size: Option<u64>,
}

impl Referrer {
    /// `sha256-<hex>.sig`, or the digest.
    pub fn describe(&self) -> &str {
        self.tag.as_deref().unwrap_or(&self.digest)
    }
}

/// A repository's tags, read once per run.
type TagSet = Arc<HashSet<String>>;

/// What one run learns once and reuses: which registries serve the referrers API, and
/// each upstream repository's tags.
#[derive(Default)]
pub struct ReferrerCache {
    /// By registry authority: whether it serves the referrers API, once known.
    api: std::sync::Mutex<HashMap<String, bool>>,
    /// By repository name: its tags (empty when it has none or does not exist).
    tags: Mutex<HashMap<String, Arc<OnceCell<TagSet>>>>,
    /// Held while a registry is first asked whether it serves the API, so that images
    /// checked at once cost one probe, not one each.
    probing: Mutex<()>,
}

impl ReferrerCache {
    fn serves_api(&self, repo: &Repo) -> Option<bool> {
        self.api.lock().unwrap().get(repo.authority()).copied()
    }

    fn learn_api(&self, repo: &Repo, serves: bool) {
        self.api
            .lock()
            .unwrap()
            .insert(repo.authority().to_string(), serves);
    }

    async fn tags(&self, client: &RegistryClient, repo: &Repo) -> Result<TagSet, RegistryError> {
        let cell = self
            .tags
            .lock()
            .await
            .entry(repo.name.clone())
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let tags = client.tags(repo).await?.unwrap_or_default();
            Ok(Arc::new(tags.into_iter().collect()))
        })
        .await
        .cloned()
    }
}

/// The tag the referrers tag schema (and cosign, with a suffix) keeps for `digest`.
pub fn fallback_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// The digests of an image the mirror already has whose referrers to look for: its
/// top digest, and its child manifests' when the upstream may list referrers of them
/// (it serves the referrers API, or has referrer tags of digests other than the
/// top's). The children are read from the mirror, not the upstream.
pub async fn subjects_of_present(
    client: &RegistryClient,
    cache: &ReferrerCache,
    source: &Repo,
    target: &Repo,
    digest: &str,
) -> Result<Vec<String>, RegistryError> {
    let tags = cache.tags(client, source).await?;
    let own = fallback_tag(digest);
    let others_tagged = tags
        .iter()
        .any(|t| t.starts_with("sha256-") && !t.starts_with(&own));
    let mut subjects = vec![digest.to_string()];
    if !learn_api(client, cache, source, digest).await? && !others_tagged {
        return Ok(subjects);
    }
    let top = client.get_manifest(target, digest, Some(digest)).await?;
    let (children, _) = super::tree::walk(client, target, &top).await?;
    subjects.extend(children.into_iter().map(|c| c.digest));
    Ok(subjects)
}

/// Everything that refers to `subjects` at `source` (and, recursively, to those
/// referrers), that `policy` keeps. Parents come before their referrers.
pub async fn discover(
    client: &RegistryClient,
    cache: &ReferrerCache,
    source: &Repo,
    subjects: &[String],
    policy: ReferrerPolicy,
) -> Result<Vec<Referrer>, RegistryError> {
    let mut found: Vec<Referrer> = Vec::new();
    if policy == ReferrerPolicy::None {
        return Ok(found);
    }
    let mut seen: HashSet<String> = subjects.iter().cloned().collect();
    let mut level: Vec<String> = subjects.to_vec();
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for subject in &level {
            for referrer in referrers_of(client, cache, source, subject, policy).await? {
                if seen.insert(referrer.digest.clone()) {
                    next.push(referrer.digest.clone());
                    found.push(referrer);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    Ok(found)
}

/// Whether `repo`'s registry serves the referrers API: asked once per registry and run
/// (with `digest`, any digest of the repository), however many images are checked at
/// once.
async fn learn_api(
    client: &RegistryClient,
    cache: &ReferrerCache,
    repo: &Repo,
    digest: &str,
) -> Result<bool, RegistryError> {
    if let Some(known) = cache.serves_api(repo) {
        return Ok(known);
    }
    let _probing = cache.probing.lock().await;
    if let Some(known) = cache.serves_api(repo) {
        return Ok(known);
    }
    let serves = matches!(client.referrers(repo, digest).await?, Referrers::Listed(_));
    cache.learn_api(repo, serves);
    Ok(serves)
}

/// What refers to one digest at the upstream, directly.
async fn referrers_of(
    client: &RegistryClient,
    cache: &ReferrerCache,
    source: &Repo,
    subject: &str,
    policy: ReferrerPolicy,
) -> Result<Vec<Referrer>, RegistryError> {
    let tags = cache.tags(client, source).await?;
    let fallback = fallback_tag(subject);
    let mut listed: Vec<Descriptor> = Vec::new();
    if learn_api(client, cache, source, subject).await? {
        match client.referrers(source, subject).await? {
            Referrers::Listed(descriptors) => listed = descriptors,
            Referrers::Unsupported => cache.learn_api(source, false),
        }
    }
    if cache.serves_api(source) == Some(false) && tags.contains(&fallback) {
        let index = client.get_manifest(source, &fallback, None).await?;
        listed = index_entries(source, &index)?;
    }
    let mut found: Vec<Referrer> = listed
        .into_iter()
        .filter(|d| policy == ReferrerPolicy::All || is_signature(d.artifact_type.as_deref()))
        .map(|d| Referrer {
            subject: subject.to_string(),
            digest: d.digest,
            tag: None,
            size: Some(d.size),
        })
        .collect();
    for suffix in COSIGN_SUFFIXES {
        if policy == ReferrerPolicy::Signatures && suffix != "sig" {
            continue;
        }
        let tag = format!("{fallback}.{suffix}");
        if !tags.contains(&tag) {
            continue;
        }
        // A HEAD: Docker Hub does not count it against the pull limit.
        if let Some(head) = client.head_manifest(source, &tag).await? {
            found.push(Referrer {
                subject: subject.to_string(),
                digest: head.digest,
                tag: Some(tag),
                size: None,
            });
        }
    }
    Ok(found)
}

fn is_signature(artifact_type: Option<&str>) -> bool {
    artifact_type.is_some_and(|t| SIGNATURE_TYPES.iter().any(|s| t.starts_with(s)))
}

/// The descriptors of an index (a referrers listing or a fallback tag).
fn index_entries(repo: &Repo, index: &RawManifest) -> Result<Vec<Descriptor>, RegistryError> {
    match format::kind(&index.media_type, &index.bytes) {
        Ok(Kind::Index { manifests }) => Ok(manifests),
        Ok(Kind::Image { .. }) => Ok(Vec::new()),
        Err(source) => Err(RegistryError::Manifest {
            what: format!("reading the referrers index {}@{}", repo.name, index.digest),
            source,
        }),
    }
}

/// What placing referrers at the mirror needs from the image copy around it: the blob
/// transfer (with its ledger and mounts), and the manifest walk.
pub trait Placement {
    /// Fetches `referrer` from the upstream by digest (checked) and puts everything
    /// under it (blobs, child manifests) at the mirror, but not the manifest itself.
    fn fetch_and_fill(
        &self,
        referrer: &Referrer,
    ) -> impl std::future::Future<Output = Result<RawManifest, RegistryError>>;
}

/// Which referrers the mirror lacks: a cosign tag that does not resolve to the
/// upstream's digest, a manifest that does not exist by digest, or one that exists but
/// is not listed for its subject (by the API, or in the fallback index).
pub async fn missing(
    client: &RegistryClient,
    cache: &ReferrerCache,
    target: &Repo,
    referrers: &[Referrer],
) -> Result<Vec<Referrer>, RegistryError> {
    let mut missing = Vec::new();
    let mut listings: HashMap<String, HashSet<String>> = HashMap::new();
    for referrer in referrers {
        if let Some(tag) = &referrer.tag {
            let head = client.head_manifest_to_push(target, tag).await?;
            if head.is_none_or(|h| h.digest != referrer.digest) {
                missing.push(referrer.clone());
            }
            continue;
        }
        if !listings.contains_key(&referrer.subject) {
            let listed = target_listing(client, cache, target, &referrer.subject).await?;
            listings.insert(referrer.subject.clone(), listed);
        }
        if !listings[&referrer.subject].contains(&referrer.digest) {
            missing.push(referrer.clone());
        }
    }
    Ok(missing)
}

/// The digests the mirror lists as referring to `subject`: through its API, or its
/// fallback index.
async fn target_listing(
    client: &RegistryClient,
    cache: &ReferrerCache,
    target: &Repo,
    subject: &str,
) -> Result<HashSet<String>, RegistryError> {
    if cache.serves_api(target) != Some(false) {
        match client.referrers(target, subject).await {
            Ok(Referrers::Listed(listed)) => {
                cache.learn_api(target, true);
                return Ok(listed.into_iter().map(|d| d.digest).collect());
            }
            Ok(Referrers::Unsupported) => cache.learn_api(target, false),
            // A repository that does not exist yet: nothing is listed.
            Err(RegistryError::Status {
                status: 401 | 403, ..
            }) => return Ok(HashSet::new()),
            Err(error) => return Err(error),
        }
    }
    let index = fallback_index(client, target, subject).await?;
    Ok(index
        .map(|(entries, _)| {
            entries
                .iter()
                .filter_map(|e| e.get("digest").and_then(|d| d.as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

/// The entries of the mirror's fallback index for `subject`, as written (so that
/// whatever else they carry survives a merge), and the index's other fields.
async fn fallback_index(
    client: &RegistryClient,
    target: &Repo,
    subject: &str,
) -> Result<Option<(Vec<serde_json::Value>, serde_json::Value)>, RegistryError> {
    let tag = fallback_tag(subject);
    // One GET: a tag that is not there (or, on quay.io and Docker Hub, a repository
    // that does not exist yet, answered 401) is no index.
    let index = match client.get_manifest(target, &tag, None).await {
        Ok(index) => index,
        Err(RegistryError::Status {
            status: 401 | 403 | 404,
            ..
        }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let mut value: serde_json::Value =
        serde_json::from_slice(&index.bytes).map_err(|e| RegistryError::Manifest {
            what: format!("reading {}:{tag}", target.name),
            source: format::ManifestError::Json(e.to_string()),
        })?;
    let entries = match value.get_mut("manifests").map(serde_json::Value::take) {
        Some(serde_json::Value::Array(entries)) => entries,
        _ => Vec::new(),
    };
    Ok(Some((entries, value)))
}

/// Puts `referrers` (those [`missing`] found) at the mirror, parents before their
/// referrers; a mirror without the referrers API has each subject's fallback index
/// merged once, for all its referrers. Returns how many were pushed; on failure, which
/// referrer it was placing (by index), with the error.
pub async fn place(
    client: &RegistryClient,
    cache: &ReferrerCache,
    target: &Repo,
    referrers: &[Referrer],
    placement: &impl Placement,
) -> Result<u32, (usize, RegistryError)> {
    // Each subject's entries, and the first of its referrers (named if the merge fails).
    let mut unlisted: Vec<(String, usize, Vec<serde_json::Value>)> = Vec::new();
    let mut pushed = 0;
    for (index, referrer) in referrers.iter().enumerate() {
        let at = |error| (index, error);
        if let Some(tag) = &referrer.tag {
            let manifest = placement.fetch_and_fill(referrer).await.map_err(at)?;
            keep_mirror_signatures(client, target, tag, &manifest)
                .await
                .map_err(at)?;
            client
                .put_manifest(target, tag, &manifest)
                .await
                .map_err(at)?;
            pushed += 1;
            continue;
        }
        let present = client
            .head_manifest_to_push(target, &referrer.digest)
            .await
            .map_err(at)?
            .is_some_and(|h| h.digest == referrer.digest);
        let manifest = if present {
            client
                .get_manifest(target, &referrer.digest, Some(&referrer.digest))
                .await
                .map_err(at)?
        } else {
            let manifest = placement.fetch_and_fill(referrer).await.map_err(at)?;
            let answer = client
                .put_manifest(target, &referrer.digest, &manifest)
                .await
                .map_err(at)?;
            pushed += 1;
            if answer.subject.is_some() {
                cache.learn_api(target, true);
                continue;
            }
            // Silence says "no API" only about a manifest that has a subject to name.
            if has_subject(&manifest) && cache.serves_api(target) != Some(true) {
                cache.learn_api(target, false);
            }
            manifest
        };
        if cache.serves_api(target) == Some(true) {
            continue;
        }
        match unlisted.iter_mut().find(|(s, _, _)| *s == referrer.subject) {
            Some((_, _, entries)) => entries.push(index_entry(&manifest)),
            None => unlisted.push((
                referrer.subject.clone(),
                index,
                vec![index_entry(&manifest)],
            )),
        }
    }
    for (subject, first, entries) in unlisted {
        merge_fallback_index(client, target, &subject, entries)
            .await
            .map_err(|error| (first, error))?;
    }
    Ok(pushed)
}

fn has_subject(manifest: &RawManifest) -> bool {
    serde_json::from_slice::<serde_json::Value>(&manifest.bytes)
        .is_ok_and(|body| body.get("subject").is_some_and(|s| s.is_object()))
}

/// The fallback index's entry for `manifest`, as a registry with the API lists it:
/// media type, digest, size, artifact type (its own, else its config's) and
/// annotations.
fn index_entry(manifest: &RawManifest) -> serde_json::Value {
    let body: serde_json::Value = serde_json::from_slice(&manifest.bytes).unwrap_or_default();
    let artifact_type = body
        .get("artifactType")
        .or_else(|| body.get("config").and_then(|c| c.get("mediaType")))
        .cloned();
    let mut entry = serde_json::json!({
        "mediaType": manifest.media_type,
        "digest": manifest.digest,
        "size": manifest.bytes.len(),
    });
    if let Some(artifact_type) = artifact_type {
        entry["artifactType"] = artifact_type;
    }
    if let Some(annotations) = body.get("annotations") {
        entry["annotations"] = annotations.clone();
    }
    entry
}

/// Adds `entries` to the mirror's `sha256-<hex>` index for `subject`, keeping every
/// entry already there. A concurrent writer is handled by reading back: when what the
/// tag holds after the write lacks one of ours, someone wrote between our read and our
/// write; merge into what they wrote and write again.
async fn merge_fallback_index(
    client: &RegistryClient,
    target: &Repo,
    subject: &str,
    entries: Vec<serde_json::Value>,
) -> Result<(), RegistryError> {
    let tag = fallback_tag(subject);
    let digest_of = |e: &serde_json::Value| {
        e.get("digest")
            .and_then(|d| d.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let ours: Vec<String> = entries.iter().map(digest_of).collect();
    for _ in 0..FALLBACK_WRITE_ATTEMPTS {
        let (mut merged, mut index) = fallback_index(client, target, subject)
            .await?
            .unwrap_or_else(|| {
                (
                    Vec::new(),
                    serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX}),
                )
            });
        let present: HashSet<String> = merged.iter().map(digest_of).collect();
        let new: Vec<&serde_json::Value> = entries
            .iter()
            .filter(|e| !present.contains(&digest_of(e)))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        merged.extend(new.into_iter().cloned());
        index["manifests"] = serde_json::Value::Array(merged);
        let bytes = serde_json::to_vec(&index).expect("JSON values serialise");
        let manifest = RawManifest {
            digest: crate::registry::sha256_digest(&bytes),
            bytes: bytes.into(),
            media_type: OCI_INDEX.to_string(),
        };
        client.put_manifest(target, &tag, &manifest).await?;
        let written = fallback_index(client, target, subject).await?;
        let listed: HashSet<String> = written
            .map(|(entries, _)| entries.iter().map(digest_of).collect())
            .unwrap_or_default();
        if ours.iter().all(|d| listed.contains(d)) {
            return Ok(());
        }
        tracing::debug!(tag = %tag, repository = %target.name, "another writer changed the fallback index; merging again");
    }
    Err(RegistryError::Transport {
        what: format!("updating {}:{tag}", target.name),
        message: format!(
            "another writer kept replacing the referrers index; gave up after {FALLBACK_WRITE_ATTEMPTS} attempts"
        ),
        transient: false,
    })
}

/// A cosign tag at the mirror that holds signatures the upstream's does not (someone
/// signed the mirror's copy) is not overwritten: that would drop them.
async fn keep_mirror_signatures(
    client: &RegistryClient,
    target: &Repo,
    tag: &str,
    upstream: &RawManifest,
) -> Result<(), RegistryError> {
    let Some(head) = client.head_manifest_to_push(target, tag).await? else {
        return Ok(());
    };
    let mirror = client.get_manifest(target, tag, Some(&head.digest)).await?;
    // The layers are the signatures; the config lists their diff_ids, so it changes
    // with every signature added.
    let layers = |manifest: &RawManifest| -> HashSet<String> {
        let body: serde_json::Value = serde_json::from_slice(&manifest.bytes).unwrap_or_default();
        body.get("layers")
            .and_then(|l| l.as_array())
            .into_iter()
            .flatten()
            .filter_map(|l| l.get("digest").and_then(|d| d.as_str()))
            .map(str::to_string)
            .collect()
    };
    let theirs = layers(upstream);
    if layers(&mirror).is_subset(&theirs) {
        return Ok(());
    }
    Err(RegistryError::Transport {
        what: format!("copying {}:{tag}", target.name),
        message: "the mirror's tag holds signatures or attestations the upstream's does not; refusing to overwrite them (remove the tag at the mirror, or sign the upstream image)".into(),
        transient: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_print() {
        for policy in ["all", "signatures", "none"] {
            assert_eq!(
                policy.parse::<ReferrerPolicy>().unwrap().to_string(),
                policy
            );
        }
        assert!("some".parse::<ReferrerPolicy>().is_err());
    }

    #[test]
    fn the_fallback_tag_replaces_the_colon() {
        assert_eq!(fallback_tag("sha256:abc"), "sha256-abc");
    }

    #[test]
    fn signatures_are_known_by_artifact_type() {
        assert!(is_signature(Some(
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        )));
        assert!(is_signature(Some("application/vnd.cncf.notary.signature")));
        assert!(!is_signature(Some("application/spdx+json")));
        assert!(!is_signature(None));
    }

    #[test]
    fn an_index_entry_carries_the_artifact_type_and_annotations() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/spdx+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"a":"b"}}"#;
        let manifest = RawManifest {
            digest: crate::registry::sha256_digest(body),
            bytes: bytes::Bytes::from_static(body),
            media_type: format::OCI_MANIFEST.into(),
        };
        let entry = index_entry(&manifest);
        assert_eq!(entry["artifactType"], "application/spdx+json");
        assert_eq!(entry["annotations"]["a"], "b");
        assert_eq!(entry["size"], body.len());
    }
}
