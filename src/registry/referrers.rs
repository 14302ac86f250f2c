//! What refers to a manifest: the OCI 1.1 referrers API, and tag lists (where the
//! referrers tag schema's `sha256-<hex>` tags and cosign's `.sig`/`.att`/`.sbom` live).

use super::error::{Access, status_error};
use super::format::{self, Descriptor, Kind};
use super::manifests::read_capped;
use super::transport::retry;
use super::{RegistryClient, RegistryError, Repo, Result};

/// Tag lists are paged; a repository with more pages than this is refused rather than
/// read forever (a registry whose `Link` loops).
const MAX_TAG_PAGES: usize = 1000;

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
        for _ in 0..MAX_TAG_PAGES {
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
            message: format!("the registry's answer runs past {MAX_TAG_PAGES} pages"),
            transient: false,
        })
    }

    /// Every tag of `repo`, following `Link` pages; `None` when the repository does not
    /// exist (404, or the 401/403 quay.io and Docker Hub answer for that).
    pub async fn tags(&self, repo: &Repo) -> Result<Option<Vec<String>>> {
        let what = format!("listing the tags of {}", repo.name);
        let mut url = repo.url("tags/list?n=1000");
        let mut tags = Vec::new();
        for _ in 0..MAX_TAG_PAGES {
            let page = retry::retry(self.retry_policy(), || async {
                let response = self
                    .send(repo, false, &what, || self.clients(repo).http.get(&url))
                    .await?;
                match response.status().as_u16() {
                    401 | 403 | 404 => Ok(None),
                    200 => {
                        let next = next_page(repo, &response);
                        let body = read_capped(&what, response).await?;
                        Ok(Some((body, next)))
                    }
                    _ => Err(status_error(&what, &url, response, Access::Read).await),
                }
            })
            .await?;
            let Some((body, next)) = page else {
                return Ok(None);
            };
            #[derive(serde::Deserialize)]
            struct TagList {
                #[serde(default)]
                tags: Option<Vec<String>>,
            }
            let list: TagList =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Transport {
                    what: what.clone(),
                    message: format!("the tag list is not valid JSON: {e}"),
                    transient: false,
                })?;
            tags.extend(list.tags.unwrap_or_default());
            match next {
                Some(next) => url = next,
                None => return Ok(Some(tags)),
            }
        }
        Err(RegistryError::Transport {
            what,
            message: format!("the tag list runs past {MAX_TAG_PAGES} pages"),
            transient: false,
        })
    }
}

/// The next page a `Link: <url>; rel="next"` header points at, made absolute.
fn next_page(repo: &Repo, response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let target = link
        .split(',')
        .find(|part| part.contains("rel=\"next\"") || part.contains("rel=next"))?;
    let start = target.find('<')? + 1;
    let end = target[start..].find('>')? + start;
    let next = &target[start..end];
    Some(
        if next.starts_with("http://") || next.starts_with("https://") {
            next.to_string()
        } else {
            format!(
                "{}/{}",
                repo.endpoint.base_url(),
                next.trim_start_matches('/')
            )
        },
    )
}
