//! What a manifest holds: its child manifests, fetched and checked against their
//! descriptors, and its blobs. Copying, referrers and `verify` all walk it.

use futures_util::{StreamExt, stream};

use crate::registry::format::{self, Descriptor, Kind, ManifestError};
use crate::registry::{RawManifest, RegistryClient, RegistryError, Repo};

/// Index nesting deeper than this is refused (real images nest one level at most).
const MAX_INDEX_DEPTH: usize = 3;

/// Child manifests fetched or pushed at once within one image.
pub(crate) const CHILDREN_AT_ONCE: usize = 8;

/// One child manifest of an index, by digest, its size checked against the index's.
async fn fetch_child(
    client: &RegistryClient,
    source: &Repo,
    descriptor: Descriptor,
) -> Result<RawManifest, RegistryError> {
    let child = client
        .get_manifest(source, &descriptor.digest, Some(&descriptor.digest))
        .await?;
    if child.bytes.len() as u64 != descriptor.size {
        return Err(RegistryError::Manifest {
            what: format!("fetching manifest {}@{}", source.name, descriptor.digest),
            source: ManifestError::SizeMismatch {
                actual: child.bytes.len() as u64,
                declared: descriptor.size,
            },
        });
    }
    Ok(child)
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
                client.rate_limit_covers(source, manifests.len())?;
                // The platforms are fetched at once; each is checked against its
                // descriptor (digest and size).
                let fetched: Vec<Result<RawManifest, RegistryError>> = stream::iter(manifests)
                    .map(|descriptor| fetch_child(client, source, descriptor))
                    .buffered(CHILDREN_AT_ONCE)
                    .collect()
                    .await;
                for child in fetched {
                    pending.push((child?, depth + 1));
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
