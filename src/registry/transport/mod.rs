//! How requests reach a registry: the clients (oci-client for tokens, reqwest for our
//! own requests, configured alike), bearer tokens fetched lazily and cached, every
//! request logged, and retries with backoff.

mod rate_limit;
pub mod retry;
mod roots;

use std::collections::HashMap;
use std::time::Duration;

use oci_client::RegistryOperation;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;

use super::error::{from_oci, from_reqwest};
use super::{Credentials, Endpoints, RegistryError, Repo, Result, Secret};
pub use rate_limit::RateLimited;
use rate_limit::RateLimits;
use retry::RetryPolicy;

/// Settings for [`RegistryClient::new`].
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
    /// The longest a registry's pull limit is waited for; past it, its images are left
    /// behind and the others go on.
    pub max_rate_limit_wait: Duration,
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
            max_rate_limit_wait: Duration::from_secs(60),
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
    limits: RateLimits,
    /// 429 and 503 answers so far: the registries asking for less.
    pushbacks: std::sync::atomic::AtomicU64,
}

/// oci-client and our own reqwest client, configured alike. oci-client only fetches
/// tokens: it is built when the first registry asks for one, so a run against
/// anonymous registries never pays for its TLS setup and its copy of the roots.
pub(super) struct Clients {
    oci: std::sync::OnceLock<Result<oci_client::Client, String>>,
    oci_config: OciSettings,
    pub(super) http: reqwest::Client,
}

/// What oci-client is built from.
struct OciSettings {
    plain_http: Vec<String>,
    connect_timeout: Duration,
    read_timeout: Duration,
    accept_invalid_certificates: bool,
}

impl Clients {
    fn build(
        options: &ClientOptions,
        accept_invalid_certificates: bool,
    ) -> Result<Clients, ClientBuildError> {
        let oci_config = OciSettings {
            plain_http: options.endpoints.plain_http_authorities(),
            connect_timeout: options.connect_timeout,
            read_timeout: options.read_timeout,
            accept_invalid_certificates,
        };
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
        Ok(Clients {
            oci: std::sync::OnceLock::new(),
            oci_config,
            http,
        })
    }

    /// oci-client, built on first use.
    fn oci(&self) -> Result<&oci_client::Client, ClientBuildError> {
        self.oci
            .get_or_init(|| {
                let settings = &self.oci_config;
                let config = ClientConfig {
                    protocol: ClientProtocol::HttpsExcept(settings.plain_http.clone()),
                    connect_timeout: Some(settings.connect_timeout),
                    read_timeout: Some(settings.read_timeout),
                    accept_invalid_certificates: settings.accept_invalid_certificates,
                    extra_root_certificates: roots::for_oci_client(),
                    ..ClientConfig::default()
                };
                oci_client::Client::try_from(config).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|message| ClientBuildError::Registry(message.clone()))
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
            limits: RateLimits::new(options.max_rate_limit_wait),
            options,
            tokens: Default::default(),
            pushbacks: Default::default(),
        })
    }

    /// The clients for `repo`'s endpoint: certificate checks off only for the hosts the
    /// user named with `--insecure-tls`.
    pub(super) fn clients(&self, repo: &Repo) -> &Clients {
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

    /// How many times registries pushed back (429, 503) so far.
    pub fn pushbacks(&self) -> u64 {
        self.pushbacks.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.options.retry
    }

    /// Refuses when `gets` more manifest GETs from `repo`'s registry exceed what its
    /// pull limit has left and the limit will not reset within the bound: an image that
    /// cannot finish is not started.
    pub fn rate_limit_covers(&self, repo: &Repo, gets: usize) -> Result<()> {
        self.limits
            .covers(&repo.endpoint.authority, repo.registry(), gets as u64)
            .map_err(|source| RegistryError::RateLimited {
                what: format!("copying from {}", repo.name),
                source,
            })
    }

    /// Fails when the credential helper meant to answer for `repo`'s registry failed:
    /// going on anonymous would only end in a 401 that does not say why.
    fn credentials_answered(&self, repo: &Repo) -> Result<()> {
        self.options
            .credentials
            .try_for_repository(&repo.name)
            .map(|_| ())
            .map_err(|error| RegistryError::Transport {
                what: format!("finding credentials for {}", repo.name),
                message: error.to_string(),
                transient: false,
            })
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
    pub(super) async fn token(&self, repo: &Repo, push: bool) -> Result<Option<String>> {
        self.credentials_answered(repo)?;
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
            let oci = self
                .clients(repo)
                .oci()
                .map_err(|e| RegistryError::Transport {
                    what: what.clone(),
                    message: e.to_string(),
                    transient: false,
                })?;
            oci.auth(&repo.oci(None), &self.registry_auth(repo), operation)
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

    /// The token [`Self::send`] last used for `repo`, without fetching one.
    pub(super) async fn cached_token(&self, repo: &Repo, push: bool) -> Option<String> {
        let key = (repo.endpoint.authority.clone(), repo.path.clone(), push);
        self.tokens.lock().await.get(&key).cloned().flatten()
    }

    async fn forget_token(&self, repo: &Repo, push: bool) {
        let key = (repo.endpoint.authority.clone(), repo.path.clone(), push);
        self.tokens.lock().await.remove(&key);
    }

    /// Adds the bearer token, or else the basic credentials, for `repo`.
    pub(super) fn authorize(
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
    pub(super) async fn send(
        &self,
        repo: &Repo,
        push: bool,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        self.credentials_answered(repo)?;
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
        let manifest_get =
            method == reqwest::Method::GET && request.url().path().contains("/manifests/");
        let limited = |source| RegistryError::RateLimited {
            what: what.to_string(),
            source,
        };
        let pass = self
            .limits
            .before_send(&repo.endpoint.authority, repo.registry(), manifest_get)
            .await
            .map_err(limited)?;
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
        if matches!(response.status().as_u16(), 429 | 503) {
            self.pushbacks
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.limits
            .after_response(
                &pass,
                repo.registry(),
                response.status().as_u16(),
                response.headers(),
            )
            .map_err(limited)?;
        Ok(response)
    }
}
