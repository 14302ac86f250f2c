//! Paged name lists: a repository's tags (`/v2/<name>/tags/list`), where the referrers
//! tag schema's `sha256-<hex>` tags and cosign's `.sig`/`.att`/`.sbom` live, and the
//! registry's catalog (`/v2/_catalog`). Both page through `Link` headers, and both are
//! read whole or not at all: `prune` decides what to delete from them.

use super::error::{Access, status_error};
use super::manifests::read_capped;
use super::transport::retry;
use super::{RegistryClient, RegistryError, Repo, Result};

/// Listings are paged; one with more pages than this is refused rather than read
/// forever (a registry whose `Link` loops).
pub(super) const MAX_PAGES: usize = 1000;

/// Which list, and the field of its JSON pages that holds the names.
#[derive(Clone, Copy)]
enum List {
    Tags,
    Catalog,
}

impl RegistryClient {
    /// Every tag of `repo`, following `Link` pages; `None` when the repository does not
    /// exist (404, or the 401/403 quay.io and Docker Hub answer for that).
    pub async fn tags(&self, repo: &Repo) -> Result<Option<Vec<String>>> {
        let what = format!("listing the tags of {}", repo.name);
        self.pages(repo, &what, repo.url("tags/list?n=1000"), List::Tags)
            .await
    }

    /// Every repository of the registry `repo` is on, following `Link` pages. A registry
    /// without the catalog (Docker Hub, and 404 or a refusal anywhere) is an error: a
    /// caller that deletes must know every repository.
    pub async fn catalog(&self, repo: &Repo) -> Result<Vec<String>> {
        let what = format!("listing the repositories of {}", repo.registry());
        let url = repo.registry_url("_catalog?n=1000");
        match self.pages(repo, &what, url.clone(), List::Catalog).await? {
            Some(names) => Ok(names),
            None => Err(RegistryError::Transport {
                what,
                message: format!(
                    "{url} is refused or missing: the registry does not serve its catalog to these credentials"
                ),
                transient: false,
            }),
        }
    }

    async fn pages(
        &self,
        repo: &Repo,
        what: &str,
        first: String,
        list: List,
    ) -> Result<Option<Vec<String>>> {
        let mut url = first;
        let mut names = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = retry::retry(self.retry_policy(), || async {
                let response = self
                    .send(repo, false, what, || self.clients(repo).http.get(&url))
                    .await?;
                match response.status().as_u16() {
                    401 | 403 | 404 => Ok(None),
                    200 => {
                        let next = next_page(repo, &response);
                        let body = read_capped(what, response).await?;
                        Ok(Some((body, next)))
                    }
                    _ => Err(status_error(what, &url, response, Access::Read).await),
                }
            })
            .await?;
            let Some((body, next)) = page else {
                return Ok(None);
            };
            #[derive(serde::Deserialize)]
            struct Page {
                #[serde(default)]
                tags: Option<Vec<String>>,
                #[serde(default)]
                repositories: Option<Vec<String>>,
            }
            let page: Page =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Transport {
                    what: what.to_string(),
                    message: format!("the listing is not valid JSON: {e}"),
                    transient: false,
                })?;
            names.extend(
                match list {
                    List::Tags => page.tags,
                    List::Catalog => page.repositories,
                }
                .unwrap_or_default(),
            );
            match next {
                Some(next) => url = next,
                None => return Ok(Some(names)),
            }
        }
        Err(RegistryError::Transport {
            what: what.to_string(),
            message: format!("the listing runs past {MAX_PAGES} pages"),
            transient: false,
        })
    }
}

/// The next page a `Link: <url>; rel="next"` header points at, made absolute.
pub(super) fn next_page(repo: &Repo, response: &reqwest::Response) -> Option<String> {
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
