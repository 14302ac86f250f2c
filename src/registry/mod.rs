//! The OCI distribution client img-mirror copies with.
//!
//! oci-client does the protocol work it does well: auth challenges and tokens, blob
//! existence checks, streaming blob pulls (digest-checked as they stream) and raw
//! manifest pushes. A thin layer of our own covers what a digest-exact mirror needs and
//! oci-client lacks (see the reference notes):
//! - a HEAD of a tag that costs one request and carries the full Accept list
//!   (`fetch_manifest_digest` falls back to a GET on a miss);
//! - manifest GETs that return the `Content-Type`, refuse oversized bodies and check the
//!   digest (`pull_manifest_raw` returns neither type nor cap);
//! - blob uploads that start with a cross-repository mount and, when the registry answers
//!   202 instead, continue streaming into that same upload (`mount_blob` errors on 202);
//! - retries with backoff and `Retry-After` (oci-client has none).

pub mod credentials;
pub mod endpoints;
mod error;
pub mod manifest;
pub mod retry;
mod roots;
mod verified;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference as OciReference, RegistryOperation};

pub use credentials::{Credentials, Secret};
pub use endpoints::{Endpoint, Endpoints};
pub use error::RegistryError;
pub use retry::{RetryPolicy, Transient};
pub use verified::sha256_digest;

use error::{Access, from_oci, from_reqwest, status_error};
use verified::Verified;

use manifest::{ACCEPT, MAX_MANIFEST_BYTES};

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

    pub fn same_registry(&self, other: &Repo) -> bool {
        self.endpoint == other.endpoint
    }

    fn oci(&self, digest: Option<&str>) -> OciReference {
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

    fn url(&self, suffix: &str) -> String {
        format!("{}/v2/{}/{suffix}", self.endpoint.base_url(), self.path)
    }
}

/// What a HEAD of a manifest says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    pub digest: String,
    pub media_type: Option<String>,
}

/// A manifest's exact bytes, their digest and media type.
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub bytes: Bytes,
    pub digest: String,
    pub media_type: String,
}

/// How a blob reached the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobTransfer {
    Mounted,
    Copied { bytes: u64 },
}

/// Settings for [`RegistryClient::new`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub endpoints: Endpoints,
    pub credentials: Credentials,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    /// The longest a read may stall before the request fails (and is retried).
    pub read_timeout: Duration,
    /// Hosts (or host:port) whose TLS certificates are not verified.
    pub insecure_tls: Vec<String>,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            endpoints: Endpoints::default(),
            credentials: Credentials::default(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            insecure_tls: Vec::new(),
        }
    }
}

/// A registry client shared by every copy of a run.
pub struct RegistryClient {
    verified: Clients,
    /// For `--insecure-tls` hosts only.
    unverified: Option<Clients>,
    options: ClientOptions,
    /// Bearer tokens by (endpoint, repository path, push), so each is fetched once.
    tokens: tokio::sync::Mutex<HashMap<(String, String, bool), Option<String>>>,
}

/// oci-client and our own reqwest client, configured alike.
struct Clients {
    oci: oci_client::Client,
    http: reqwest::Client,
}

impl Clients {
    fn build(
        options: &ClientOptions,
        accept_invalid_certificates: bool,
    ) -> Result<Clients, ClientBuildError> {
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(options.endpoints.plain_http_authorities()),
            connect_timeout: Some(options.connect_timeout),
            read_timeout: Some(options.read_timeout),
            accept_invalid_certificates,
            extra_root_certificates: roots::for_oci_client(),
            ..ClientConfig::default()
        };
        let oci = oci_client::Client::try_from(config)
            .map_err(|e| ClientBuildError::Registry(e.to_string()))?;
        let bundled_roots =
            roots::for_reqwest().map_err(|e| ClientBuildError::Http(e.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_certs_merge(bundled_roots)
            .redirect(logged_redirects())
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .danger_accept_invalid_certs(accept_invalid_certificates)
            .user_agent(concat!("img-mirror/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientBuildError::Http(e.to_string()))?;
        Ok(Clients { oci, http })
    }
}

/// reqwest's default policy (up to 10 redirects), each one logged: registries send
/// blob reads to storage hosts, and when such a read fails the hop is what to look at.
fn logged_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        tracing::debug!(
            status = attempt.status().as_u16(),
            to = %crate::redact::url(attempt.url()),
            "redirected"
        );
        if attempt.previous().len() >= 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Why the registry client could not be built (a TLS setup the machine cannot provide).
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    #[error("cannot build the registry client: {0}")]
    Registry(String),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// Installs rustls' ring provider once; a second install is harmless.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl RegistryClient {
    pub fn new(options: ClientOptions) -> Result<RegistryClient, ClientBuildError> {
        install_crypto_provider();
        options.credentials.register_for_redaction();
        let verified = Clients::build(&options, false)?;
        let unverified = if options.insecure_tls.is_empty() {
            None
        } else {
            Some(Clients::build(&options, true)?)
        };
        Ok(RegistryClient {
            verified,
            unverified,
            options,
            tokens: Default::default(),
        })
    }

    /// The clients for `repo`'s endpoint: certificate checks off only for the hosts the
    /// user named with `--insecure-tls`.
    fn clients(&self, repo: &Repo) -> &Clients {
        let host = repo
            .endpoint
            .authority
            .split(':')
            .next()
            .unwrap_or_default();
        let insecure = self
            .options
            .insecure_tls
            .iter()
            .any(|h| *h == repo.endpoint.authority || h == host);
        match (&self.unverified, insecure) {
            (Some(unverified), true) => unverified,
            _ => &self.verified,
        }
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.options.endpoints
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.options.retry
    }

    fn secret(&self, repo: &Repo) -> Option<&Secret> {
        self.options.credentials.for_repository(&repo.name)
    }

    fn registry_auth(&self, repo: &Repo) -> RegistryAuth {
        match self.secret(repo) {
            Some(secret) => RegistryAuth::Basic(secret.username.clone(), secret.password.clone()),
            None => RegistryAuth::Anonymous,
        }
    }

    /// Authenticates for `repo` through oci-client (which keeps the token for its own
    /// calls) and returns the bearer token for ours; `None` for basic or anonymous.
    async fn token(&self, repo: &Repo, push: bool) -> Result<Option<String>> {
        let key = (repo.endpoint.authority.clone(), repo.path.clone(), push);
        if let Some(token) = self.tokens.lock().await.get(&key) {
            return Ok(token.clone());
        }
        let operation = if push {
            RegistryOperation::Push
        } else {
            RegistryOperation::Pull
        };
        let what = format!("authenticating to {}", repo.name);
        tracing::debug!(
            repository = %repo.name,
            scope = %format!("repository:{}:{}", repo.path, if push { "pull,push" } else { "pull" }),
            credentials = if self.secret(repo).is_some() { "basic" } else { "anonymous" },
            "asking for a token"
        );
        let token = retry::retry(self.options.retry, || async {
            self.clients(repo)
                .oci
                .auth(&repo.oci(None), &self.registry_auth(repo), operation)
                .await
                .map_err(|e| from_oci(&what, e))
        })
        .await?;
        match &token {
            Some(token) => {
                crate::redact::register(token);
                tracing::debug!(repository = %repo.name, "received a token");
            }
            None => tracing::debug!(repository = %repo.name, "no token: basic or anonymous"),
        }
        self.tokens.lock().await.insert(key, token.clone());
        Ok(token)
    }

    async fn forget_token(&self, repo: &Repo, push: bool) {
        let key = (repo.endpoint.authority.clone(), repo.path.clone(), push);
        self.tokens.lock().await.remove(&key);
    }

    /// Adds the bearer token, or else the basic credentials, for `repo`.
    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        repo: &Repo,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        match (token, self.secret(repo)) {
            (Some(token), _) => request.bearer_auth(token),
            (None, Some(secret)) => request.basic_auth(&secret.username, Some(&secret.password)),
            (None, None) => request,
        }
    }

    /// Sends a request of our own with the right credentials. Authentication is lazy:
    /// without a token for the repository yet, the request goes out as is (with basic
    /// credentials when we have some), and only a 401 fetches a token and resends. An
    /// anonymous registry thus costs one request per call, which is what keeps a run
    /// with nothing to copy at one HEAD per image. A token that expired mid-run is
    /// refreshed the same way.
    async fn send(
        &self,
        repo: &Repo,
        push: bool,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let key = (repo.endpoint.authority.clone(), repo.path.clone(), push);
        let cached = self.tokens.lock().await.get(&key).cloned();
        let token = cached.clone().flatten();
        let response = self
            .send_logged(repo, what, &build, token.as_deref())
            .await?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        if cached.is_some() {
            self.forget_token(repo, push).await;
        }
        let token = self.token(repo, push).await?;
        self.send_logged(repo, what, &build, token.as_deref()).await
    }

    /// One request, logged with its method, URL (query redacted), the credential kind it
    /// carried and the answer; a 401's challenge too (realm, service, scope).
    async fn send_logged(
        &self,
        repo: &Repo,
        what: &str,
        build: &impl Fn() -> reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> Result<reqwest::Response> {
        let request = self
            .authorize(build(), repo, token)
            .build()
            .map_err(|e| from_reqwest(what, e))?;
        let (method, url) = (request.method().clone(), crate::redact::url(request.url()));
        let auth = match (token, self.secret(repo)) {
            (Some(_), _) => "bearer",
            (None, Some(_)) => "basic",
            (None, None) => "anonymous",
        };
        let sent = self.clients(repo).http.execute(request).await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                tracing::debug!(%method, %url, auth, error = %error, "request failed");
                return Err(from_reqwest(what, error));
            }
        };
        let challenge = response
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        tracing::debug!(
            %method,
            %url,
            auth,
            status = response.status().as_u16(),
            challenge,
            "request"
        );
        Ok(response)
    }

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
        retry::retry(self.options.retry, || async {
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
        retry::retry(self.options.retry, || async {
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
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| from_reqwest(&what, e))?;
                if body.len() + chunk.len() > MAX_MANIFEST_BYTES {
                    return Err(RegistryError::TooLarge { what: what.clone() });
                }
                body.extend_from_slice(&chunk);
            }
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
                manifest::media_type(content_type.as_deref(), &body).map_err(|source| {
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

    /// Pushes a manifest's exact bytes under `reference` (a tag or its digest).
    pub async fn put_manifest(
        &self,
        repo: &Repo,
        reference: &str,
        manifest: &RawManifest,
    ) -> Result<()> {
        let what = format!("pushing manifest {}:{reference}", repo.name);
        let url = repo.url(&format!("manifests/{reference}"));
        retry::retry(self.options.retry, || async {
            let response = self
                .send(repo, true, &what, || {
                    self.clients(repo)
                        .http
                        .put(&url)
                        .header("Content-Type", &manifest.media_type)
                        .body(manifest.bytes.clone())
                })
                .await?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(status_error(&what, &url, response, Access::Write).await)
            }
        })
        .await
    }

    /// Whether the repository a copy pushes to already has blob `digest`. Asked with the
    /// push token (which carries pull too), since a repository that does not exist yet
    /// grants no pull on its own; a refusal means "not there", as for
    /// [`Self::head_manifest_to_push`].
    pub async fn blob_exists(&self, repo: &Repo, digest: &str) -> Result<bool> {
        let what = format!("checking blob {digest} in {}", repo.name);
        let url = repo.url(&format!("blobs/{digest}"));
        retry::retry(self.options.retry, || async {
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
        descriptor: &manifest::Descriptor,
        progress: Arc<AtomicU64>,
    ) -> Result<BlobTransfer> {
        let digest = descriptor.digest.as_str();
        let what = format!("copying blob {digest} from {} to {}", from.name, to.name);
        retry::retry(self.options.retry, || async {
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
            // Not through `send`: a streamed body cannot be replayed after a 401.
            let token = self.token(to, true).await?;
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
