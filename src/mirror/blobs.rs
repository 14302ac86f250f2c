//! Putting an image's blobs at the mirror with as few requests as the run's knowledge
//! allows, and never a HEAD:
//! - a blob this run already knows the mirror repository holds costs nothing;
//! - one it knows another repository of the same registry holds is mounted from there
//!   (a mount into a repository that has it is answered 201 too);
//! - one it knows nothing about opens its upload as a mount from the mirror repository
//!   itself: 201 when the repository has it (the price of the HEAD it replaces), else
//!   the registry answers 202 and the same session takes the bytes. It is transferred
//!   once per registry; later images mount it.
//!
//! The run's knowledge lives only as long as the run: a blob deleted at the mirror
//! between runs is found missing by that first request, not trusted from a cache.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use tokio::sync::{Mutex, OnceCell};

use crate::registry::format::Descriptor;
use crate::registry::{BlobTransfer, RegistryClient, RegistryError, Repo};

/// What the run knows about where blobs are at the mirror.
#[derive(Default)]
pub(super) struct Ledger {
    /// By (registry, digest): the mirror repositories known to hold the blob.
    holders: std::sync::Mutex<HashMap<(String, String), Vec<Repo>>>,
    /// By (registry, digest): the first transfer, which concurrent images wait for.
    firsts: Mutex<HashMap<(String, String), Arc<BlobHome>>>,
}

/// Set once, by the first copy of a blob to a registry: the repository it went to, or
/// `None` when that copy failed (later images then try their own).
type BlobHome = OnceCell<Option<Repo>>;

/// Where the run knows a blob is, seen from one mirror repository.
enum Holder {
    Here,
    Elsewhere(Repo),
    Unknown,
}

impl Ledger {
    fn key(target: &Repo, digest: &str) -> (String, String) {
        (target.registry().to_string(), digest.to_string())
    }

    fn holder(&self, target: &Repo, digest: &str) -> Holder {
        let holders = self.holders.lock().unwrap();
        let Some(known) = holders.get(&Ledger::key(target, digest)) else {
            return Holder::Unknown;
        };
        if known.contains(target) {
            return Holder::Here;
        }
        known
            .iter()
            .find(|repo| repo.same_registry(target))
            .map_or(Holder::Unknown, |repo| Holder::Elsewhere(repo.clone()))
    }

    fn record(&self, target: &Repo, digest: &str) {
        let mut holders = self.holders.lock().unwrap();
        let known = holders.entry(Ledger::key(target, digest)).or_default();
        if !known.contains(target) {
            known.push(target.clone());
        }
    }

    async fn first_transfer(&self, target: &Repo, digest: &str) -> Arc<BlobHome> {
        self.firsts
            .lock()
            .await
            .entry(Ledger::key(target, digest))
            .or_default()
            .clone()
    }
}

pub(super) enum BlobOutcome {
    Present,
    Mounted,
    Copied,
}

impl From<BlobTransfer> for BlobOutcome {
    fn from(transfer: BlobTransfer) -> BlobOutcome {
        match transfer {
            BlobTransfer::Mounted => BlobOutcome::Mounted,
            BlobTransfer::Copied { .. } => BlobOutcome::Copied,
        }
    }
}

/// Puts one blob in `target`, from `source`.
pub(super) async fn put_blob(
    client: &RegistryClient,
    source: &Repo,
    target: &Repo,
    blob: &Descriptor,
    ledger: &Ledger,
    bytes: Arc<AtomicU64>,
) -> Result<BlobOutcome, RegistryError> {
    let digest = blob.digest.as_str();
    match ledger.holder(target, digest) {
        Holder::Here => return Ok(BlobOutcome::Present),
        Holder::Elsewhere(home) => {
            let transfer = client
                .transfer_blob(source, target, Some(&home), blob, bytes)
                .await?;
            ledger.record(target, digest);
            return Ok(transfer.into());
        }
        Holder::Unknown => {}
    }
    let cell = ledger.first_transfer(target, digest).await;
    let mut transferred_here = None;
    let home = cell
        .get_or_init(|| async {
            match client
                .transfer_blob(source, target, Some(target), blob, bytes.clone())
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
        Some(Ok(transfer)) => {
            ledger.record(target, digest);
            return Ok(match transfer {
                // Mounted from itself: it was there.
                BlobTransfer::Mounted => BlobOutcome::Present,
                BlobTransfer::Copied { .. } => BlobOutcome::Copied,
            });
        }
        Some(Err(error)) => return Err(error),
        None => {}
    }
    if home.as_ref() == Some(target) {
        return Ok(BlobOutcome::Present);
    }
    let transfer = client
        .transfer_blob(source, target, home.as_ref(), blob, bytes)
        .await?;
    ledger.record(target, digest);
    Ok(transfer.into())
}
