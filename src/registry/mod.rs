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
pub mod manifest;
pub mod retry;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference as OciReference, RegistryOperation};
use sha2::{Digest as _, Sha256};

pub use credentials::{Credentials, Secret};
pub use endpoints::{Endpoint, Endpoints};
pub use retry::{RetryPolicy, Transient};

use manifest::{ACCEPT, MAX_MANIFEST_BYTES, ManifestError};

/// What a failed registry operation was, where, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{what}: {url} answered HTTP {status}{detail}")]
    Status {
        what: String,
        url: String,
        status: u16,
        detail: String,
        retry_after: Option<Duration>,
    },
    #[error("{what}: {message}")]
    Transport {
        what: String,
        message: String,
        transient: bool,
    },
    #[error("{what}: the registry sent content with digest {actual}, expected {expected}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },
    #[error("{what}: the manifest is larger than {MAX_MANIFEST_BYTES} bytes; refused")]
    TooLarge { what: String },
    #[error("{what}: {source}")]
    Manifest { what: String, source: ManifestError },
}

impl Transient for RegistryError {
    fn is_transient(&self) -> bool {
        match self {
            RegistryError::Status { status, .. } => {
                *status >= 500 || *status == 429 || *status == 408
            }
            RegistryError::Transport { transient, .. } => *transient,
            _ => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            RegistryError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

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
    ) -> Result<Clients, String> {
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(options.endpoints.plain_http_authorities()),
            connect_timeout: Some(options.connect_timeout),
            read_timeout: Some(options.read_timeout),
            accept_invalid_certificates,
            ..ClientConfig::default()
        };
        let oci = oci_client::Client::try_from(config)
            .map_err(|e| format!("cannot build the registry client: {e}"))?;
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .danger_accept_invalid_certs(accept_invalid_certificates)
            .user_agent(concat!("img-mirror/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Clients { oci, http })
    }
}

/// Installs rustls' ring provider once; a second install is harmless.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl RegistryClient {
    pub fn new(options: ClientOptions) -> Result<RegistryClient, String> {
        install_crypto_provider();
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
        let token = retry::retry(self.options.retry, || async {
            self.clients(repo)
                .oci
                .auth(&repo.oci(None), &self.registry_auth(repo), operation)
                .await
                .map_err(|e| from_oci(&what, e))
        })
        .await?;
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
        let request = self.authorize(build(), repo, token.as_deref());
        let response = request.send().await.map_err(|e| from_reqwest(what, e))?;
        if response.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        if cached.is_some() {
            self.forget_token(repo, push).await;
        }
        let token = self.token(repo, push).await?;
        let request = self.authorize(build(), repo, token.as_deref());
        request.send().await.map_err(|e| from_reqwest(what, e))
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
        let what = format!("fetching manifest {}@{reference}", repo.name);
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
            // A 202 to a mount request is an upload session too: stream into it.
            self.token(from, false).await?;
            let source = self
                .clients(from)
                .oci
                .pull_blob_stream(&from.oci(Some(digest)), digest)
                .await
                .map_err(|e| from_oci(&what, e))?;
            let verified = Verified::new(source.stream, digest, descriptor.size, progress.clone());
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

/// The `sha256:<hex>` digest of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[(byte >> 4) as usize] as char);
        out.push(DIGITS[(byte & 15) as usize] as char);
    }
    out
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

/// Whether a request reads from or writes to the repository: a refusal means different
/// things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// What a 401 or 403 means, in words: registries such as quay.io and Docker Hub answer
/// 401 alike for a repository that does not exist and for one the credentials may not
/// read.
fn refusal_hint(status: u16, access: Access) -> &'static str {
    match (status, access) {
        (401 | 403, Access::Read) => {
            " (the repository does not exist, or these credentials have no access to it)"
        }
        (401 | 403, Access::Write) => {
            " (these credentials cannot create or write this repository: give them push access to it or its organisation)"
        }
        _ => "",
    }
}

async fn status_error(
    what: &str,
    url: &str,
    response: reqwest::Response,
    access: Access,
) -> RegistryError {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // The first bytes of the error body say what the registry objected to.
    let body = response.text().await.unwrap_or_default();
    let detail: String = body.trim().chars().take(300).collect();
    let hint = refusal_hint(status, access);
    RegistryError::Status {
        what: what.to_string(),
        url: strip_query(url),
        status,
        detail: if detail.is_empty() {
            hint.to_string()
        } else {
            format!("{hint}: {detail}")
        },
        retry_after,
    }
}

/// Upload URLs carry session state in their query; messages do not need it.
fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

fn from_reqwest(what: &str, error: reqwest::Error) -> RegistryError {
    // A certificate the client refuses will be refused again: not worth a retry.
    let certificate = error_chain(&error)
        .to_ascii_lowercase()
        .contains("certificate");
    let transient = !certificate
        && (error.is_timeout()
            || error.is_connect()
            || error.is_request()
            || error.is_body()
            || cut_while_reading_body(&error));
    // reqwest's messages carry the URL but never credentials; drop the query anyway.
    let error = error.without_url();
    RegistryError::Transport {
        what: what.to_string(),
        message: error_chain(&error),
        transient,
    }
}

/// reqwest reports a body cut short while collecting it (`bytes()`) as a decode error
/// caused by a body error: the connection broke, and another attempt may not.
fn cut_while_reading_body(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_body)
            || cause.downcast_ref::<std::io::Error>().is_some()
        {
            return true;
        }
        source = cause.source();
    }
    false
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn from_oci(what: &str, error: OciDistributionError) -> RegistryError {
    let what = what.to_string();
    match error {
        OciDistributionError::RequestError(e) => from_reqwest(&what, e),
        OciDistributionError::ServerError { code, url, message } => RegistryError::Status {
            what,
            url: strip_query(&url),
            status: code,
            detail: format!(": {message}"),
            retry_after: None,
        },
        OciDistributionError::IoError(e) => RegistryError::Transport {
            what,
            transient: e.kind() != std::io::ErrorKind::InvalidData,
            message: e.to_string(),
        },
        OciDistributionError::DigestError(e) => RegistryError::Transport {
            what,
            message: format!("the registry sent content that does not match its digest: {e}"),
            transient: false,
        },
        OciDistributionError::RegistryError { envelope, url } => {
            let busy = envelope
                .errors
                .iter()
                .any(|e| matches!(e.code, oci_client::errors::OciErrorCode::Toomanyrequests));
            RegistryError::Transport {
                what,
                message: format!("{} ({})", envelope, strip_query(&url)),
                transient: busy,
            }
        }
        OciDistributionError::UnauthorizedError { url } => RegistryError::Status {
            what,
            url: strip_query(&url),
            status: 401,
            detail: ": check the credentials for this registry (REGISTRY_AUTH_FILE, ~/.docker/config.json)".into(),
            retry_after: None,
        },
        other => RegistryError::Transport {
            what,
            message: other.to_string(),
            transient: false,
        },
    }
}

/// A blob stream that counts and hashes as it goes, and turns a wrong size or digest
/// into an error before the stream ends, so the upload it feeds is never completed.
struct Verified<S> {
    inner: S,
    expected_digest: String,
    expected_size: u64,
    seen: u64,
    hasher: Option<Sha256>,
    progress: Arc<AtomicU64>,
}

impl<S> Verified<S> {
    fn new(inner: S, digest: &str, size: u64, progress: Arc<AtomicU64>) -> Verified<S> {
        Verified {
            inner,
            expected_digest: digest.to_string(),
            expected_size: size,
            seen: 0,
            hasher: Some(Sha256::new()),
            progress,
        }
    }
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

impl<S> Stream for Verified<S>
where
    S: Stream<Item = std::result::Result<Bytes, std::io::Error>> + Unpin,
{
    type Item = std::result::Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.seen += chunk.len() as u64;
                if this.seen > this.expected_size {
                    return Poll::Ready(Some(Err(invalid(format!(
                        "blob {} is longer than its {} bytes",
                        this.expected_digest, this.expected_size
                    )))));
                }
                if let Some(hasher) = this.hasher.as_mut() {
                    hasher.update(&chunk);
                }
                this.progress
                    .fetch_add(chunk.len() as u64, Ordering::Relaxed);
                // Check the digest on the last chunk, before the upload can complete.
                if this.seen == this.expected_size
                    && let Some(hasher) = this.hasher.take()
                {
                    let actual = format!("sha256:{}", hex(&hasher.finalize()));
                    if this.expected_digest.starts_with("sha256:") && actual != this.expected_digest
                    {
                        return Poll::Ready(Some(Err(invalid(format!(
                            "blob content has digest {actual}, expected {}",
                            this.expected_digest
                        )))));
                    }
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(None) if this.seen < this.expected_size => {
                Poll::Ready(Some(Err(invalid(format!(
                    "blob {} ended after {} of {} bytes",
                    this.expected_digest, this.seen, this.expected_size
                )))))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    async fn collect(
        chunks: Vec<&'static [u8]>,
        digest: &str,
        size: u64,
    ) -> std::result::Result<Vec<u8>, std::io::Error> {
        let inner = stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))));
        let mut verified = Verified::new(inner, digest, size, Arc::new(AtomicU64::new(0)));
        let mut out = Vec::new();
        while let Some(chunk) = verified.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn verified_streams_pass_good_content() {
        let digest = sha256_digest(b"hello world");
        assert_eq!(
            collect(vec![b"hello ", b"world"], &digest, 11)
                .await
                .unwrap(),
            b"hello world"
        );
    }

    #[tokio::test]
    async fn verified_streams_fail_on_wrong_bytes_short_or_long_bodies() {
        let digest = sha256_digest(b"hello world");
        assert!(
            collect(vec![b"hello", b" WORLD"], &digest, 11)
                .await
                .unwrap_err()
                .to_string()
                .contains("expected")
        );
        assert!(
            collect(vec![b"hello"], &digest, 11)
                .await
                .unwrap_err()
                .to_string()
                .contains("ended after 5 of 11")
        );
        assert!(
            collect(vec![b"hello world!"], &digest, 11)
                .await
                .unwrap_err()
                .to_string()
                .contains("longer")
        );
    }

    #[test]
    fn digests_are_lowercase_hex_sha256() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn status_errors_5xx_and_429_are_transient() {
        let error = |status| RegistryError::Status {
            what: "x".into(),
            url: "u".into(),
            status,
            detail: String::new(),
            retry_after: None,
        };
        assert!(error(503).is_transient());
        assert!(error(429).is_transient());
        assert!(!error(404).is_transient());
        assert!(!error(401).is_transient());
    }
}
