//! What refers to a manifest: the OCI 1.1 referrers API. (The referrers tag schema's
//! `sha256-<hex>` tags and cosign's `.sig`/`.att`/`.sbom` are in tag lists:
//! [`super::listing`].)

use super::error::{Access, status_error};
use super::format::{self, Descriptor, Kind};
use super::listing::next_page;
use super::manifests::read_capped;
use super::transport::retry;
use super::{RegistryClient, RegistryError, Repo, Result};

use super::listing::MAX_PAGES;

/// What the referrers API said about a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Referrers {
    /// The registry serves the API: these manifests name the digest as their subject.
    Listed(Vec<Descriptor>),
    /// The registry has no referrers API (it answered 404, which the specification
    /// forbids a registry that has one to answer).
    Unsupported,
}

impl RegistryClient {
    /// `GET /v2/<name>/referrers/<digest>`: one request (more only when the registry
    /// pages its answer).
    pub async fn referrers(&self, repo: &Repo, digest: &str) -> Result<Referrers> {
        let what = format!("listing the referrers of {}@{digest}", repo.name);
        let mut url = repo.url(&format!("referrers/{digest}"));
        let mut listed = Vec::new();
        for _ in 0..MAX_PAGES {
            let (body, next) = retry::retry(self.retry_policy(), || async {
                let response = self
                    .send(repo, false, &what, || {
                        self.clients(repo)
                            .http
                            .get(&url)
                            .header("Accept", format::OCI_INDEX)
                    })
                    .await?;
                match response.status().as_u16() {
                    // A registry with the API answers 404 only for a repository that
                    // does not exist (NAME_UNKNOWN): nothing refers to anything there.
                    // Any other 404 is a registry without the route.
                    404 => {
                        let body = response.text().await.unwrap_or_default();
                        if body.contains("NAME_UNKNOWN") {
                            Ok((
                                Some(br#"{"schemaVersion":2,"manifests":[]}"#.to_vec()),
                                None,
                            ))
                        } else {
                            Ok((None, None))
                        }
                    }
                    200 => {
                        let next = next_page(repo, &response);
                        let body = read_capped(&what, response).await?;
                        Ok((Some(body), next))
                    }
                    _ => Err(status_error(&what, &url, response, Access::Read).await),
                }
            })
            .await?;
            let Some(body) = body else {
                return Ok(Referrers::Unsupported);
            };
            match format::kind(format::OCI_INDEX, &body) {
                Ok(Kind::Index { manifests }) => listed.extend(manifests),
                Ok(Kind::Image { .. }) => unreachable!("read as an index"),
                Err(source) => return Err(RegistryError::Manifest { what, source }),
            }
            match next {
                Some(next) => url = next,
                None => return Ok(Referrers::Listed(listed)),
            }
        }
        Err(RegistryError::Transport {
            what,
            message: format!("the registry's answer runs past {MAX_PAGES} pages"),
            transient: false,
        })
    }
}
