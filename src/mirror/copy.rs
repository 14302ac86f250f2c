//! How an image is mirrored, digest-exact:
//! 1. HEAD the mirror's tag; if it already resolves to the pinned digest, stop (no
//!    upstream request at all).
//! 2. GET the upstream manifest by the pinned digest, check its sha256; for an index,
//!    GET every child manifest (all platforms) by digest, checking each.
//! 3. Put every blob in the mirror repository: skip it when present, mount it when this
//!    run already put it in another repository of the mirror, else stream it with size
//!    and digest checked. Identical blobs are transferred once per run.
//! 4. Find what refers to every digest of the image at the upstream (signatures, SBOMs,
//!    attestations: see [`super::referrers`]).
//! 5. Push child manifests by digest; when something refers to the image, the top
//!    manifest by digest and then the referrers the mirror lacks; then the top manifest
//!    by tag, as the exact bytes fetched. The tag moves only once everything it points
//!    at, and everything that refers to it, is there.
//! 6. HEAD the tag again: it must resolve to the pinned digest.
//!
//! An image already present still has its referrers checked, so a signature added
//! upstream after the copy arrives on the next run.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{StreamExt, stream};
use serde::Serialize;

use super::blobs::{BlobOutcome, Ledger, put_blob};
use super::concurrency::{Jobs, run_all};
use super::plan::Job;
use super::referrers::{self, Placement, Referrer, ReferrerCache, ReferrerPolicy};
use super::tree::{CHILDREN_AT_ONCE, walk};
use crate::mirror_map::MirrorPrefix;
use crate::registry::format::{self, Descriptor, Kind, ManifestError};
use crate::registry::{RawManifest, RegistryClient, RegistryError, Repo};

#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Only HEAD the mirror and report what would be copied.
    pub dry_run: bool,
    /// Images copied at once.
    pub jobs: Jobs,
    /// Blobs transferred at once within one image.
    pub blob_jobs: usize,
    /// Pushes outside this prefix are refused, whatever the plan says.
    pub prefix: MirrorPrefix,
    /// What travels with each image.
    pub referrers: ReferrerPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Present,
    /// The image was present; what refers to it was not, and has been copied.
    Completed,
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
    /// Referrers (signatures, SBOMs, attestations) copied, or that would be.
    pub referrers: u32,
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
            referrers: 0,
            error: None,
        }
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

/// What one run shares between its images.
struct Run<'a> {
    client: &'a RegistryClient,
    options: &'a CopyOptions,
    ledger: Ledger,
    referrers: ReferrerCache,
    progress: &'a dyn Progress,
    /// Blob transfers in flight across the run: however many images the window lets
    /// run, memory and sockets stay bounded.
    blob_slots: tokio::sync::Semaphore,
}

/// Blob transfers in flight across a run.
const BLOBS_AT_ONCE: usize = 8;

impl Run<'_> {
    /// The job's upstream and mirror repositories.
    fn repos(&self, job: &Job) -> (Repo, Repo) {
        let endpoints = self.client.endpoints();
        (
            Repo::new(endpoints, &job.source_domain, &job.source_path),
            Repo::new(endpoints, &job.target_domain, &job.target_path),
        )
    }

    /// What refers to `subjects` at the upstream, as the run's policy selects.
    async fn discover(
        &self,
        source: &Repo,
        subjects: &[String],
    ) -> Result<Vec<Referrer>, CopyError> {
        referrers::discover(
            self.client,
            &self.referrers,
            source,
            subjects,
            self.options.referrers,
        )
        .await
        .map_err(CopyError::Discovery)
    }
}

/// What the HEAD of an image's mirror tag leaves to do.
enum Checked<'a> {
    Settled(Outcome),
    /// The tag resolves to the pinned digest; what refers to it is still to check.
    Present(&'a Job),
    Copy(&'a Job),
}

/// Mirrors every job with bounded concurrency; one failure never stops the others.
/// First every mirror tag is checked (many at once), then the images that need it are
/// copied, and the referrers of those already present are completed, `options.jobs`
/// at a time.
pub async fn mirror_all(
    client: &RegistryClient,
    jobs: Vec<Job>,
    options: &CopyOptions,
    progress: &dyn Progress,
) -> Vec<Outcome> {
    let run = Run {
        client,
        options,
        ledger: Ledger::default(),
        referrers: ReferrerCache::default(),
        progress,
        blob_slots: tokio::sync::Semaphore::new(BLOBS_AT_ONCE),
    };
    let checks = (options.jobs.ceiling() * CHECKS_PER_COPY).min(64);
    let checked: Vec<Checked> = stream::iter(jobs.iter())
        .map(|job| check(client, job, options))
        .buffer_unordered(checks)
        .collect()
        .await;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut work = Vec::new();
    for checked in checked {
        match checked {
            Checked::Settled(outcome) => {
                progress.done(&outcome);
                outcomes.push(outcome);
            }
            other => work.push(other),
        }
    }
    let run = &run;
    let finished: Vec<Outcome> = run_all(
        work,
        options.jobs,
        || client.pushbacks(),
        |checked| async move {
            match checked {
                Checked::Copy(job) => copy_image(run, job).await,
                Checked::Present(job) => complete_image(run, job).await,
                Checked::Settled(outcome) => outcome,
            }
        },
        |outcome| progress.done(outcome),
    )
    .await;
    outcomes.extend(finished);
    // Report in plan order, whatever order things finished in.
    let order: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.entry.as_str(), i))
        .collect();
    outcomes.sort_by_key(|o| order.get(o.entry.as_str()).copied().unwrap_or(usize::MAX));
    outcomes
}

/// What the HEAD of the mirror's tag says: settled (present with nothing more to ask,
/// a dry run, a refusal or an error), present with referrers to check, or to copy.
async fn check<'a>(client: &RegistryClient, job: &'a Job, options: &CopyOptions) -> Checked<'a> {
    let settle = |status, error: Option<String>| {
        let mut outcome = Outcome::new(job, status);
        outcome.error = error;
        Checked::Settled(outcome)
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
        Ok(Some(head)) if head.digest == job.digest => {
            if options.referrers == ReferrerPolicy::None {
                settle(Status::Present, None)
            } else {
                Checked::Present(job)
            }
        }
        Ok(_) if options.dry_run => settle(Status::WouldCopy, None),
        Ok(_) => Checked::Copy(job),
        Err(error) => settle(Status::Failed, Some(error.to_string())),
    }
}

/// Copies one image the check found missing or stale, and says what happened.
async fn copy_image(run: &Run<'_>, job: &Job) -> Outcome {
    let mut outcome = Outcome::new(job, Status::Copied);
    match copy(run, job, &mut outcome).await {
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
    #[error("copying what refers to {subject} ({referrer}): {source}")]
    Referrer {
        subject: String,
        referrer: String,
        source: RegistryError,
    },
    #[error("finding what refers to the image: {0}")]
    Discovery(RegistryError),
}

async fn copy(run: &Run<'_>, job: &Job, outcome: &mut Outcome) -> Result<Status, CopyError> {
    let client = run.client;
    let (source, target) = run.repos(job);
    client.rate_limit_covers(&source, 1)?;
    let top = client
        .get_manifest(&source, &job.digest, Some(&job.digest))
        .await?;
    let (children, blobs) = walk(client, &source, &top).await?;
    let subjects: Vec<String> = std::iter::once(top.digest.clone())
        .chain(children.iter().map(|c| c.digest.clone()))
        .collect();
    let found = run.discover(&source, &subjects).await?;

    let bytes = Arc::new(AtomicU64::new(0));
    run.progress.copying(
        job,
        blobs.len(),
        blobs.iter().map(|b| b.size).sum(),
        bytes.clone(),
    );
    for result in put_blobs(run, &source, &target, &blobs, &bytes).await {
        match result? {
            BlobOutcome::Present => outcome.blobs_present += 1,
            BlobOutcome::Mounted => outcome.blobs_mounted += 1,
            BlobOutcome::Copied => outcome.blobs_copied += 1,
        }
    }

    push_children(client, &target, &children).await?;
    if !found.is_empty() {
        // Referrers name the image by digest: it must exist before they are listed.
        client.put_manifest(&target, &job.digest, &top).await?;
        let missing = referrers::missing(client, &run.referrers, &target, &found)
            .await
            .map_err(CopyError::Discovery)?;
        outcome.referrers = place_referrers(run, &source, &target, &missing, &bytes).await?;
    }
    outcome.bytes = bytes.load(Ordering::Relaxed);
    let pushed = client.put_manifest(&target, &job.tag, &top).await?;

    // The registry says what the tag now holds; one that does not say is asked.
    let stored = match pushed.digest {
        Some(digest) => Some(digest),
        None => client
            .head_manifest(&target, &job.tag)
            .await?
            .map(|head| head.digest),
    };
    match stored {
        Some(digest) if digest == job.digest => Ok(Status::Copied),
        Some(actual) => Err(CopyError::TagMoved {
            target: job.target(),
            actual,
            pinned: job.digest.clone(),
        }),
        None => Err(CopyError::TagMissing {
            target: job.target(),
        }),
    }
}

/// An image the mirror already has: copies what refers to it and the mirror lacks (a
/// signature added upstream since the copy). On a registry without the referrers API
/// this costs one upstream request (the repository's tag list, shared by every image
/// of that repository); the image's child manifests are read from the mirror, and only
/// when the upstream has referrer tags that may be theirs.
async fn complete_image(run: &Run<'_>, job: &Job) -> Outcome {
    let mut outcome = Outcome::new(job, Status::Present);
    match complete(run, job).await {
        Ok(0) => {}
        Ok(count) => {
            outcome.referrers = count;
            outcome.status = if run.options.dry_run {
                Status::WouldCopy
            } else {
                Status::Completed
            };
        }
        Err(error) => {
            outcome.status = Status::Failed;
            outcome.error = Some(error.to_string());
        }
    }
    outcome
}

async fn complete(run: &Run<'_>, job: &Job) -> Result<u32, CopyError> {
    let client = run.client;
    let (source, target) = run.repos(job);
    let subjects =
        referrers::subjects_of_present(client, &run.referrers, &source, &target, &job.digest)
            .await
            .map_err(CopyError::Discovery)?;
    let found = run.discover(&source, &subjects).await?;
    if found.is_empty() {
        return Ok(0);
    }
    let missing = referrers::missing(client, &run.referrers, &target, &found)
        .await
        .map_err(CopyError::Discovery)?;
    if run.options.dry_run || missing.is_empty() {
        return Ok(missing.len() as u32);
    }
    let bytes = Arc::new(AtomicU64::new(0));
    place_referrers(run, &source, &target, &missing, &bytes).await
}

/// Places the referrers the mirror lacks, naming the one that failed.
async fn place_referrers(
    run: &Run<'_>,
    source: &Repo,
    target: &Repo,
    missing: &[Referrer],
    bytes: &Arc<AtomicU64>,
) -> Result<u32, CopyError> {
    let placement = ImagePlacement {
        run,
        source,
        target,
        bytes,
    };
    let failed = |referrer: &Referrer, source: RegistryError| CopyError::Referrer {
        subject: referrer.subject.clone(),
        referrer: referrer.describe().to_string(),
        source,
    };
    let mut placed = 0;
    // A subject's referrers go together (a mirror without the API merges its fallback
    // index once for them); parents come first, as `missing` lists them.
    let mut start = 0;
    while start < missing.len() {
        let subject = &missing[start].subject;
        let end = start
            + missing[start..]
                .iter()
                .take_while(|r| &r.subject == subject)
                .count();
        let group = &missing[start..end];
        placed += referrers::place(run.client, &run.referrers, target, group, &placement)
            .await
            .map_err(|(index, e)| failed(&group[index], e))?;
        start = end;
    }
    Ok(placed)
}

/// Fetches referrers from the upstream and fills the mirror with what is under them,
/// through the same blob transfers (and ledger) as images.
struct ImagePlacement<'r, 'a> {
    run: &'r Run<'a>,
    source: &'r Repo,
    target: &'r Repo,
    bytes: &'r Arc<AtomicU64>,
}

impl Placement for ImagePlacement<'_, '_> {
    async fn fetch_and_fill(&self, referrer: &Referrer) -> Result<RawManifest, RegistryError> {
        let client = self.run.client;
        let manifest = client
            .get_manifest(self.source, &referrer.digest, Some(&referrer.digest))
            .await?;
        if let Some(declared) = referrer.size
            && manifest.bytes.len() as u64 != declared
        {
            return Err(RegistryError::Manifest {
                what: format!("fetching {}@{}", self.source.name, referrer.digest),
                source: ManifestError::SizeMismatch {
                    actual: manifest.bytes.len() as u64,
                    declared,
                },
            });
        }
        let (children, blobs) = walk(client, self.source, &manifest).await?;
        for result in put_blobs(self.run, self.source, self.target, &blobs, self.bytes).await {
            result?;
        }
        push_children(client, self.target, &children).await?;
        Ok(manifest)
    }
}

/// Puts every blob at the mirror, `blob_jobs` at a time.
async fn put_blobs(
    run: &Run<'_>,
    source: &Repo,
    target: &Repo,
    blobs: &[Descriptor],
    bytes: &Arc<AtomicU64>,
) -> Vec<Result<BlobOutcome, RegistryError>> {
    stream::iter(blobs.iter())
        .map(|blob| async {
            let _slot = run.blob_slots.acquire().await.expect("never closed");
            put_blob(run.client, source, target, blob, &run.ledger, bytes.clone()).await
        })
        .buffer_unordered(run.options.blob_jobs.max(1))
        .collect()
        .await
}

/// Pushes child manifests by digest: the platform images at once, then nested
/// indexes in order, so an index is never pushed before what it lists.
async fn push_children(
    client: &RegistryClient,
    target: &Repo,
    children: &[RawManifest],
) -> Result<(), RegistryError> {
    let is_index = |m: &RawManifest| {
        matches!(
            format::kind(&m.media_type, &m.bytes),
            Ok(Kind::Index { .. })
        )
    };
    let pushed: Vec<Result<_, RegistryError>> =
        stream::iter(children.iter().filter(|c| !is_index(c)))
            .map(|child| client.put_manifest(target, &child.digest, child))
            .buffer_unordered(CHILDREN_AT_ONCE)
            .collect()
            .await;
    for result in pushed {
        result?;
    }
    for index in children.iter().filter(|c| is_index(c)) {
        client.put_manifest(target, &index.digest, index).await?;
    }
    Ok(())
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
            jobs: Jobs::Fixed(1),
            blob_jobs: 1,
            referrers: ReferrerPolicy::All,
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
