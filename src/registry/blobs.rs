//! Blob requests: existence checks, and transfers that mount or stream, checked as
//! they flow.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::error::{Access, from_reqwest, status_error};
use super::format::Descriptor;
use super::transport::retry;
use super::verified::Verified;
use super::{Endpoint, RegistryClient, RegistryError, Repo, Result};

/// How a blob reached the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobTransfer {
    Mounted,
    Copied { bytes: u64 },
}

impl RegistryClient {
    /// Whether the repository a copy pushes to already has blob `digest`. Asked with the
    /// push token (which carries pull too), since a repository that does not exist yet
    /// grants no pull on its own; a refusal means "not there", as for
    /// [`Self::head_manifest_to_push`].
    pub async fn blob_exists(&self, repo: &Repo, digest: &str) -> Result<bool> {
        let what = format!("checking blob {digest} in {}", repo.name);
        let url = repo.url(&format!("blobs/{digest}"));
        retry::retry(self.retry_policy(), || async {
            let response = self
                .send(repo, true, &what, || self.clients(repo).http.head(&url))
                .await?;
            match response.status().as_u16() {
                200 => Ok(true),
                401 | 403 | 404 => Ok(false),
                _ => Err(status_error(&what, &url, response, Access::Read).await),
            }
        })
        .await
    }

    /// Puts blob `descriptor` into `to`: mounted from `mount_from` when given and the
    /// registry agrees, else streamed from `from` with size and digest checked as it
    /// flows, never held in memory. `progress` counts bytes as they pass.
    pub async fn transfer_blob(
        &self,
        from: &Repo,
        to: &Repo,
        mount_from: Option<&Repo>,
        descriptor: &Descriptor,
        progress: Arc<AtomicU64>,
    ) -> Result<BlobTransfer> {
        let digest = descriptor.digest.as_str();
        let what = format!("copying blob {digest} from {} to {}", from.name, to.name);
        retry::retry(self.retry_policy(), || async {
            let uploads = to.url("blobs/uploads/");
            let mount = mount_from.filter(|m| m.same_registry(to));
            let response = self
                .send(to, true, &what, || {
                    let request = self
                        .clients(to)
                        .http
                        .post(&uploads)
                        .header("Content-Length", "0");
                    match mount {
                        Some(source) => {
                            request.query(&[("mount", digest), ("from", source.path())])
                        }
                        None => request,
                    }
                })
                .await?;
            match response.status().as_u16() {
                201 if mount.is_some() => return Ok(BlobTransfer::Mounted),
                202 => {}
                _ => return Err(status_error(&what, &uploads, response, Access::Write).await),
            }
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(|l| absolute_location(&to.endpoint, l))
                .ok_or_else(|| RegistryError::Transport {
                    what: what.clone(),
                    message: "the registry opened an upload without a Location".into(),
                    transient: false,
                })?;
            // A 202 to a mount request is an upload session too: stream into it. The read
            // goes through `send` (logged, its redirects too: registries hand blob reads
            // to storage hosts, and reqwest drops the Authorization header on the way).
            let blob_url = from.url(&format!("blobs/{digest}"));
            let source = self
                .send(from, false, &what, || {
                    self.clients(from).http.get(&blob_url)
                })
                .await?;
            if !source.status().is_success() {
                return Err(status_error(&what, &blob_url, source, Access::Read).await);
            }
            let stream =
                futures_util::TryStreamExt::map_err(source.bytes_stream(), std::io::Error::other);
            let verified = Verified::new(stream, digest, descriptor.size, progress.clone());
            let separator = if location.contains('?') { '&' } else { '?' };
            let put_url = format!("{location}{separator}digest={digest}");
            let body = reqwest::Body::wrap_stream(verified);
            // Not through `send`: a streamed body cannot be replayed after a 401. The
            // upload's POST went through `send`, so the token it needed (if any) is
            // cached; asking oci-client again would cost an anonymous registry a ping.
            let token = self.cached_token(to, true).await;
            let put = self
                .clients(to)
                .http
                .put(&put_url)
                .header("Content-Type", "application/octet-stream")
                .header("Content-Length", descriptor.size.to_string())
                .body(body);
            let request = self.authorize(put, to, token.as_deref());
            let response = request.send().await.map_err(|e| from_reqwest(&what, e))?;
            tracing::debug!(
                method = "PUT",
                url = %crate::redact::scrub(&put_url),
                status = response.status().as_u16(),
                bytes = descriptor.size,
                "blob upload"
            );
            if response.status().as_u16() == 201 {
                Ok(BlobTransfer::Copied {
                    bytes: descriptor.size,
                })
            } else {
                Err(status_error(&what, &put_url, response, Access::Write).await)
            }
        })
        .await
    }
}

fn absolute_location(endpoint: &Endpoint, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else {
        format!(
            "{}/{}",
            endpoint.base_url(),
            location.trim_start_matches('/')
        )
    }
}
