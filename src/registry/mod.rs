//! The OCI distribution client img-mirror copies with, split as regclient splits its
//! registry code: [`transport`] (the clients, tokens, sending and logging, retries),
//! [`manifests`], [`blobs`], [`referrers`] and [`listing`] (the requests of each kind), and
//! [`format`] (what a manifest says).
//!
//! oci-client does the protocol work it does well: auth challenges and tokens. A thin
//! layer of our own covers what a digest-exact mirror needs and oci-client lacks (see
//! the reference notes):
//! - a HEAD of a tag that costs one request and carries the full Accept list
//!   (`fetch_manifest_digest` falls back to a GET on a miss);
//! - manifest GETs that return the `Content-Type`, refuse oversized bodies and check the
//!   digest (`pull_manifest_raw` returns neither type nor cap);
//! - blob uploads that start with a cross-repository mount and, when the registry answers
//!   202 instead, continue streaming into that same upload (`mount_blob` errors on 202);
//! - the referrers API and tag lists, which oci-client does not page or expose;
//! - retries with backoff and `Retry-After` (oci-client has none).

mod blobs;
pub mod credentials;
pub mod endpoints;
mod error;
pub mod format;
mod listing;
mod manifests;
mod referrers;
mod transport;
mod verified;

use oci_client::Reference as OciReference;

pub use blobs::BlobTransfer;
pub use credentials::{Credentials, Secret};
pub use endpoints::{Endpoint, Endpoints};
pub use error::{RegistryError, Transient};
pub use manifests::{Deleted, ManifestHead, PushedManifest, RawManifest};
pub use referrers::Referrers;
pub use transport::retry::RetryPolicy;
pub use transport::{ClientBuildError, ClientOptions, RateLimited, RegistryClient};
pub use verified::sha256_digest;

type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// A repository on a registry: the name users know, and where it is really reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// `quay.io/cki/mirror/grafana/grafana`: for messages and credential lookup.
    pub name: String,
    endpoint: Endpoint,
    path: String,
}

impl Repo {
    /// `domain` as written (`docker.io`, `quay.io`), `path` the repository path.
    pub fn new(endpoints: &Endpoints, domain: &str, path: &str) -> Repo {
        Repo {
            name: format!("{domain}/{path}"),
            endpoint: endpoints.resolve(domain),
            path: path.to_string(),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The registry name as written (`quay.io`).
    pub fn registry(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }

    /// Where the registry is reached (`127.0.0.1:5000`, `quay.io`).
    pub fn authority(&self) -> &str {
        &self.endpoint.authority
    }

    pub fn same_registry(&self, other: &Repo) -> bool {
        self.endpoint == other.endpoint
    }

    pub(crate) fn oci(&self, digest: Option<&str>) -> OciReference {
        match digest {
            Some(digest) => OciReference::with_digest(
                self.endpoint.authority.clone(),
                self.path.clone(),
                digest.to_string(),
            ),
            None => OciReference::with_tag(
                self.endpoint.authority.clone(),
                self.path.clone(),
                "latest".into(),
            ),
        }
    }

    pub(crate) fn url(&self, suffix: &str) -> String {
        format!("{}/v2/{}/{suffix}", self.endpoint.base_url(), self.path)
    }

    /// A URL of the registry itself (`/v2/_catalog`).
    pub(crate) fn registry_url(&self, suffix: &str) -> String {
        format!("{}/v2/{suffix}", self.endpoint.base_url())
    }
}
