//! How an image is mirrored, digest-exact:
//! 1. HEAD the mirror's tag; if it already resolves to the pinned digest, stop (no
//!    upstream request at all).
//! 2. GET the upstream manifest by the pinned digest, check its sha256; for an index,
//!    GET every child manifest (all platforms) by digest, checking each.
//! 3. Put every blob in the mirror repository: skip it when present, mount it when this
//!    run already put it in another repository of the mirror, else stream it with size
//!    and digest checked. Identical blobs are transferred once per run.
//! 4. Push child manifests by digest, then the top manifest by tag, as the exact bytes
//!    fetched; the tag moves only once everything it points at is there.
//! 5. HEAD the tag again: it must resolve to the pinned digest.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{StreamExt, stream};
use serde::Serialize;
use tokio::sync::{Mutex, OnceCell};

use super::plan::Job;
use crate::mirror_map::MirrorPrefix;
use crate::registry::format::{self, Descriptor, Kind, ManifestError};
use crate::registry::{BlobTransfer, RawManifest, RegistryClient, RegistryError, Repo};

/// Index nesting deeper than this is refused (real images nest one level at most).
const MAX_INDEX_DEPTH: usize = 3;

#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Only HEAD the mirror and report what would be copied.
    pub dry_run: bool,
    /// Images copied at once.
    pub jobs: usize,
    /// Blobs transferred at once within one image.
    pub blob_jobs: usize,
    /// Pushes outside this prefix are refused, whatever the plan says.
    pub prefix: MirrorPrefix,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Present,
    Copied,
    WouldCopy,
    Failed,
}

/// The result for one image, as the JSON output reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub entry: String,
    pub source: String,
    pub target: String,
    pub digest: String,
    pub status: Status,
    pub bytes: u64,
    pub blobs_copied: u32,
    pub blobs_mounted: u32,
    pub blobs_present: u32,
    pub error: Option<String>,
}

impl Outcome {
    fn new(job: &Job, status: Status) -> Outcome {
        Outcome {
            entry: job.entry.clone(),
            source: job.source(),
            target: job.target(),
            digest: job.digest.clone(),
            status,
            bytes: 0,
            blobs_copied: 0,
            blobs_mounted: 0,
            blobs_present: 0,
            error: None,
        }
    }
}

/// Which mirror repository each blob went to during this run, so the next image that
/// needs it mounts it instead of copying it again.
#[derive(Default)]
struct Ledger {
    cells: Mutex<HashMap<(String, String), Arc<BlobHome>>>,
}

/// Set once, by the first copy of a blob to a registry: the repository it went to, or
/// `None` when that copy failed (later images then try their own).
type BlobHome = OnceCell<Option<Repo>>;

impl Ledger {
    async fn cell(&self, registry: &str, digest: &str) -> Arc<BlobHome> {
        self.cells
            .lock()
            .await
            .entry((registry.to_string(), digest.to_string()))
            .or_default()
            .clone()
    }
}

/// HEAD checks are cheap: this many run per allowed copy, so a nightly run where
/// everything is present finishes in a fraction of the copy phase's time.
const CHECKS_PER_COPY: usize = 8;

/// What a run reports while it works. The library never prints: the CLI implements
/// this to print lines and draw progress bars.
pub trait Progress: Sync {
    /// An image's copy begins: how many blobs and bytes it may transfer, and the counter
    /// of bytes transferred so far, updated as they flow.
    fn copying(&self, _job: &Job, _blobs: usize, _bytes: u64, _transferred: Arc<AtomicU64>) {}
    /// An image is settled: present, copied, failed or would be copied.
    fn done(&self, _outcome: &Outcome) {}
}

/// For callers that want only the result.
pub struct Silent;
impl Progress for Silent {}

/// Mirrors every job with bounded concurrency; one failure never stops the others.
/// First every mirror tag is checked (many at once), then the images that need it are
/// copied, `options.jobs` at a time.
pub async fn mirror_all(
    client: &RegistryClient,
    jobs: Vec<Job>,
    options: &CopyOptions,
    progress: &dyn Progress,
) -> Vec<Outcome> {
    let ledger = Ledger::default();
    let checks = (options.jobs.max(1) * CHECKS_PER_COPY).min(64);
    let checked: Vec<(&Job, Option<Outcome>)> = stream::iter(jobs.iter())
        .map(|job| async move { (job, check(client, job, options).await) })
        .buffer_unordered(checks)
        .collect()
        .await;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut to_copy = Vec::new();
    for (job, settled) in checked {
        match settled {
            Some(outcome) => {
                progress.done(&outcome);
                outcomes.push(outcome);
            }
            None => to_copy.push(job),
        }
    }
    let copied: Vec<Outcome> = stream::iter(to_copy)
        .map(|job| copy_image(client, job, options, &ledger, progress))
        .buffer_unordered(options.jobs.max(1))
        .inspect(|outcome| progress.done(outcome))
        .collect()
        .await;
    outcomes.extend(copied);
    // Report in plan order, whatever order things finished in.
    let order: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.entry.as_str(), i))
        .collect();
    outcomes.sort_by_key(|o| order.get(o.entry.as_str()).copied().unwrap_or(usize::MAX));
    outcomes
}

/// The outcome when the HEAD of the mirror's tag settles it (present, a dry run, a
/// refusal or an error); `None` when the image must be copied.
async fn check(client: &RegistryClient, job: &Job, options: &CopyOptions) -> Option<Outcome> {
    let settle = |status, error: Option<String>| {
        let mut outcome = Outcome::new(job, status);
        outcome.error = error;
        Some(outcome)
    };
    let target_name = format!("{}/{}", job.target_domain, job.target_path);
    let prefix = options.prefix.as_str();
    if !(target_name.starts_with(prefix) && target_name[prefix.len()..].starts_with('/')) {
        let refusal =
            format!("refusing to push {target_name}: it is not under the mirror prefix {prefix}");
        return settle(Status::Failed, Some(refusal));
    }
    let target = Repo::new(client.endpoints(), &job.target_domain, &job.target_path);
    match client.head_manifest_to_push(&target, &job.tag).await {
        Ok(Some(head)) if head.digest == job.digest => settle(Status::Present, None),
        Ok(_) if options.dry_run => settle(Status::WouldCopy, None),
        Ok(_) => None,
        Err(error) => settle(Status::Failed, Some(error.to_string())),
    }
}

/// Copies one image the check found missing or stale, and says what happened.
async fn copy_image(
    client: &RegistryClient,
    job: &Job,
    options: &CopyOptions,
    ledger: &Ledger,
    progress: &dyn Progress,
) -> Outcome {
    let mut outcome = Outcome::new(job, Status::Copied);
    match copy(client, job, options, ledger, progress, &mut outcome).await {
        Ok(status) => outcome.status = status,
        Err(error) => {
            outcome.status = Status::Failed;
            outcome.error = Some(error.to_string());
        }
    }
    outcome
}

/// Why a copy failed after its check said it was needed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("after the push {target} resolves to {actual}, not the pinned {pinned}")]
    TagMoved {
        target: String,
        actual: String,
        pinned: String,
    },
    #[error("after the push {target} does not exist")]
    TagMissing { target: String },
}

async fn copy(
    client: &RegistryClient,
    job: &Job,
    options: &CopyOptions,
    ledger: &Ledger,
    progress: &dyn Progress,
    outcome: &mut Outcome,
) -> Result<Status, CopyError> {
    let source = Repo::new(client.endpoints(), &job.source_domain, &job.source_path);
    let target = Repo::new(client.endpoints(), &job.target_domain, &job.target_path);
    let top = client
        .get_manifest(&source, &job.digest, Some(&job.digest))
        .await?;
    let (children, blobs) = walk(client, &source, &top).await?;

    let bytes = Arc::new(AtomicU64::new(0));
    progress.copying(
        job,
        blobs.len(),
        blobs.iter().map(|b| b.size).sum(),
        bytes.clone(),
    );
    let results: Vec<Result<BlobOutcome, RegistryError>> = stream::iter(blobs.iter())
        .map(|blob| put_blob(client, &source, &target, blob, ledger, bytes.clone()))
        .buffer_unordered(options.blob_jobs.max(1))
        .collect()
        .await;
    for result in results {
        match result? {
            BlobOutcome::Present => outcome.blobs_present += 1,
            BlobOutcome::Mounted => outcome.blobs_mounted += 1,
            BlobOutcome::Copied => outcome.blobs_copied += 1,
        }
    }
    outcome.bytes = bytes.load(Ordering::Relaxed);

    for child in &children {
        client.put_manifest(&target, &child.digest, child).await?;
    }
    client.put_manifest(&target, &job.tag, &top).await?;

    match client.head_manifest(&target, &job.tag).await? {
        Some(head) if head.digest == job.digest => Ok(Status::Copied),
        Some(head) => Err(CopyError::TagMoved {
            target: job.target(),
            actual: head.digest,
            pinned: job.digest.clone(),
        }),
        None => Err(CopyError::TagMissing {
            target: job.target(),
        }),
    }
}

/// Every child manifest (depth first, children before parents) and every distinct blob
/// under `top`, each manifest checked against its descriptor.
pub(crate) async fn walk(
    client: &RegistryClient,
    source: &Repo,
    top: &RawManifest,
) -> Result<(Vec<RawManifest>, Vec<Descriptor>), RegistryError> {
    let mut children = Vec::new();
    let mut blobs: Vec<Descriptor> = Vec::new();
    let mut pending: Vec<(RawManifest, usize)> = vec![(top.clone(), 0)];
    while let Some((manifest, depth)) = pending.pop() {
        let kind = format::kind(&manifest.media_type, &manifest.bytes).map_err(|error| {
            RegistryError::Manifest {
                what: format!("reading manifest {}@{}", source.name, manifest.digest),
                source: error,
            }
        })?;
        match kind {
            Kind::Image { blobs: found } => {
                for blob in found {
                    if !blob.is_foreign() && !blobs.iter().any(|b| b.digest == blob.digest) {
                        blobs.push(blob);
                    }
                }
            }
            Kind::Index { manifests } => {
                if depth >= MAX_INDEX_DEPTH {
                    return Err(RegistryError::Manifest {
                        what: format!("reading {}@{}", source.name, manifest.digest),
                        source: ManifestError::NestedTooDeep(MAX_INDEX_DEPTH),
                    });
                }
                for descriptor in manifests {
                    let child = client
                        .get_manifest(source, &descriptor.digest, Some(&descriptor.digest))
                        .await?;
                    if child.bytes.len() as u64 != descriptor.size {
                        return Err(RegistryError::Manifest {
                            what: format!(
                                "fetching manifest {}@{}",
                                source.name, descriptor.digest
                            ),
                            source: ManifestError::SizeMismatch {
                                actual: child.bytes.len() as u64,
                                declared: descriptor.size,
                            },
                        });
                    }
                    pending.push((child, depth + 1));
                }
            }
        }
        if depth > 0 {
            children.push(manifest);
        }
    }
    // Children were discovered parents-first; push them leaves-first.
    children.reverse();
    Ok((children, blobs))
}

enum BlobOutcome {
    Present,
    Mounted,
    Copied,
}

async fn put_blob(
    client: &RegistryClient,
    source: &Repo,
    target: &Repo,
    blob: &Descriptor,
    ledger: &Ledger,
    bytes: Arc<AtomicU64>,
) -> Result<BlobOutcome, RegistryError> {
    if client.blob_exists(target, &blob.digest).await? {
        return Ok(BlobOutcome::Present);
    }
    let cell = ledger.cell(target.registry(), &blob.digest).await;
    let mut transferred_here = None;
    let home = cell
        .get_or_init(|| async {
            match client
                .transfer_blob(source, target, None, blob, bytes.clone())
                .await
            {
                Ok(transfer) => {
                    transferred_here = Some(Ok(transfer));
                    Some(target.clone())
                }
                Err(error) => {
                    transferred_here = Some(Err(error));
                    None
                }
            }
        })
        .await
        .clone();
    match transferred_here {
        Some(Ok(_)) => return Ok(BlobOutcome::Copied),
        Some(Err(error)) => return Err(error),
        None => {}
    }
    if home.as_ref() == Some(target) {
        return Ok(BlobOutcome::Present);
    }
    match client
        .transfer_blob(source, target, home.as_ref(), blob, bytes)
        .await?
    {
        BlobTransfer::Mounted => Ok(BlobOutcome::Mounted),
        BlobTransfer::Copied { .. } => Ok(BlobOutcome::Copied),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{ClientOptions, Endpoints};

    #[test]
    fn a_push_outside_the_prefix_is_refused_before_any_request() {
        // Every registry points at a closed port: reaching one would fail differently.
        let endpoints =
            Endpoints::parse(["quay.io=http://127.0.0.1:1", "docker.io=http://127.0.0.1:1"])
                .unwrap();
        let client = RegistryClient::new(ClientOptions {
            endpoints,
            ..ClientOptions::default()
        })
        .unwrap();
        let job = |target_path: &str| Job {
            entry: "app".into(),
            source_domain: "docker.io".into(),
            source_path: "org/app".into(),
            target_domain: "quay.io".into(),
            target_path: target_path.into(),
            tag: "1.0".into(),
            digest: format!("sha256:{}", "a".repeat(64)),
        };
        let options = CopyOptions {
            dry_run: false,
            jobs: 1,
            blob_jobs: 1,
            prefix: MirrorPrefix::parse("quay.io/cki/mirror").unwrap(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let outcomes = runtime.block_on(mirror_all(
            &client,
            vec![job("cki/app"), job("cki/mirrored/app"), job("other/app")],
            &options,
            &Silent,
        ));
        assert_eq!(outcomes.len(), 3);
        for outcome in outcomes {
            assert_eq!(outcome.status, Status::Failed);
            let error = outcome.error.unwrap_or_default();
            assert!(
                error.starts_with("refusing to push quay.io/")
                    && error.contains("not under the mirror prefix quay.io/cki/mirror"),
                "{error}"
            );
        }
    }
}
