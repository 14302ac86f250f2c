//! Manifest requests: HEAD a tag or digest, GET exact bytes checked against a digest,
//! PUT exact bytes.

use bytes::Bytes;
use futures_util::StreamExt;

use super::error::{Access, from_reqwest, status_error};
use super::format::{self, ACCEPT, MAX_MANIFEST_BYTES};
use super::transport::retry;
use super::{RegistryClient, RegistryError, Repo, Result, sha256_digest};

/// What a HEAD of a manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: String,
    pub media_type: Option<String>,
}

/// What a `DELETE` of a manifest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    Deleted,
    /// Nothing was there (deleted before, by us in an interrupted run or by someone).
    Missing,
    /// The registry refuses deletes (405: docker-registry without `storage.delete`).
    Disabled,
}

/// A manifest's exact bytes, their digest and media type.
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub bytes: Bytes,
    pub digest: String,
    pub media_type: String,
}

/// What the registry said to a manifest push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedManifest {
    /// `OCI-Subject`: a registry with the referrers API names the subject of a pushed
    /// manifest that has one; a registry without it says nothing.
    pub subject: Option<String>,
    /// `Docker-Content-Digest`: the digest of what the registry stored.
    pub digest: Option<String>,
}

impl RegistryClient {
    /// A manifest request that accepts every manifest type a mirror copies.
    fn manifest_request(
        &self,
        repo: &Repo,
        method: reqwest::Method,
        url: &str,
    ) -> reqwest::RequestBuilder {
        self.clients(repo)
            .http
            .request(method, url)
            .header("Accept", ACCEPT.join(", "))
    }

    /// The digest a tag (or digest) resolves to, or `None` when the registry has no such
    /// manifest. One request.
    pub async fn head_manifest(
        &self,
        repo: &Repo,
        reference: &str,
    ) -> Result<Option<ManifestHead>> {
        self.head_manifest_reading(repo, reference, false).await
    }

    /// [`Self::head_manifest`] on the repository a copy is about to push to. quay.io and
    /// Docker Hub answer 401 (or 403) for a repository that does not exist yet, by
    /// design, the same as for one the credentials may not read; so once authentication
    /// has been tried, a refusal here means "not there" and the copy goes on to push. A
    /// credential that cannot write is refused at the push, which says so.
    pub async fn head_manifest_to_push(
        &self,
        repo: &Repo,
        reference: &str,
    ) -> Result<Option<ManifestHead>> {
        self.head_manifest_reading(repo, reference, true).await
    }

    async fn head_manifest_reading(
        &self,
        repo: &Repo,
        reference: &str,
        denied_is_missing: bool,
    ) -> Result<Option<ManifestHead>> {
        let what = format!("checking {}:{reference}", repo.name);
        let url = repo.url(&format!("manifests/{reference}"));
        retry::retry(self.retry_policy(), || async {
            let response = self
                .send(repo, false, &what, || {
                    self.manifest_request(repo, reqwest::Method::HEAD, &url)
                })
                .await?;
            match response.status().as_u16() {
                404 => Ok(None),
                401 | 403 if denied_is_missing => Ok(None),
                200 => {
                    let header = |name: &str| {
                        response
                            .headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    match header("docker-content-digest") {
                        Some(digest) => Ok(Some(ManifestHead {
                            digest,
                            media_type: header("content-type"),
                        })),
                        // Without the header the only way to know is to hash the body.
                        None => {
                            let manifest = self.get_manifest(repo, reference, None).await?;
                            Ok(Some(ManifestHead {
                                digest: manifest.digest,
                                media_type: Some(manifest.media_type),
                            }))
                        }
                    }
                }
                _ => Err(status_error(&what, &url, response, Access::Read).await),
            }
        })
        .await
    }

    /// The manifest at `reference`, its bytes checked against `expected` (when given)
    /// and its size capped.
    pub async fn get_manifest(
        &self,
        repo: &Repo,
        reference: &str,
        expected: Option<&str>,
    ) -> Result<RawManifest> {
        // A digest follows `@`, a tag `:`, as the user writes them.
        let separator = if reference.contains(':') { '@' } else { ':' };
        let what = format!("fetching manifest {}{separator}{reference}", repo.name);
        let url = repo.url(&format!("manifests/{reference}"));
        retry::retry(self.retry_policy(), || async {
            let response = self
                .send(repo, false, &what, || {
                    self.manifest_request(repo, reqwest::Method::GET, &url)
                })
                .await?;
            if !response.status().is_success() {
                return Err(status_error(&what, &url, response, Access::Read).await);
            }
            if response
                .content_length()
                .is_some_and(|len| len > MAX_MANIFEST_BYTES as u64)
            {
                return Err(RegistryError::TooLarge { what: what.clone() });
            }
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = read_capped(&what, response).await?;
            let digest = sha256_digest(&body);
            if let Some(expected) = expected
                && digest != expected
            {
                return Err(RegistryError::DigestMismatch {
                    what: what.clone(),
                    expected: expected.to_string(),
                    actual: digest,
                });
            }
            let media_type =
                format::media_type(content_type.as_deref(), &body).map_err(|source| {
                    RegistryError::Manifest {
                        what: what.clone(),
                        source,
                    }
                })?;
            Ok(RawManifest {
                bytes: Bytes::from(body),
                digest,
                media_type,
            })
        })
        .await
    }

    /// `DELETE /v2/<name>/manifests/<digest>`: the manifest goes, and with it every tag
    /// that points at it (registries delete by digest). One request.
    pub async fn delete_manifest(&self, repo: &Repo, digest: &str) -> Result<Deleted> {
        let what = format!("deleting {}@{digest}", repo.name);
        let url = repo.url(&format!("manifests/{digest}"));
        retry::retry(self.retry_policy(), || async {
            let response = self
                .send(repo, true, &what, || self.clients(repo).http.delete(&url))
                .await?;
            match response.status().as_u16() {
                200 | 202 | 204 => Ok(Deleted::Deleted),
                404 => Ok(Deleted::Missing),
                405 => Ok(Deleted::Disabled),
                _ => Err(status_error(&what, &url, response, Access::Write).await),
            }
        })
        .await
    }

    /// Pushes a manifest's exact bytes under `reference` (a tag or its digest).
    pub async fn put_manifest(
        &self,
        repo: &Repo,
        reference: &str,
        manifest: &RawManifest,
    ) -> Result<PushedManifest> {
        let what = format!("pushing manifest {}:{reference}", repo.name);
        let url = repo.url(&format!("manifests/{reference}"));
        retry::retry(self.retry_policy(), || async {
            let response = self
                .send(repo, true, &what, || {
                    self.clients(repo)
                        .http
                        .put(&url)
                        .header("Content-Type", &manifest.media_type)
                        .body(manifest.bytes.clone())
                })
                .await?;
            if !response.status().is_success() {
                return Err(status_error(&what, &url, response, Access::Write).await);
            }
            let subject = response
                .headers()
                .get("oci-subject")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let digest = response
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            Ok(PushedManifest { subject, digest })
        })
        .await
    }
}

/// A manifest or another JSON answer, refused past the manifest size cap.
pub(super) async fn read_capped(what: &str, response: reqwest::Response) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| from_reqwest(what, e))?;
        if body.len() + chunk.len() > MAX_MANIFEST_BYTES {
            return Err(RegistryError::TooLarge {
                what: what.to_string(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
