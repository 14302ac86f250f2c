//! A registry that fails and lies on demand: an HTTP proxy on 127.0.0.1 in front of a
//! real docker-registry, applying fault rules to the requests that match them.
//! One request per connection (`Connection: close`), which keeps the proxy simple and
//! exercises the client's connection handling too.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::pull_limit::{PullLimit, Verdict};
use super::referrers_api::ReferrersApi;

/// What a proxy serves in front of the registry besides its faults.
struct Layers {
    referrers: Option<Arc<ReferrersApi>>,
    pull_limit: Option<Arc<PullLimit>>,
}
use super::server::LoopbackServer;

#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status (and `Retry-After` seconds) without asking the registry.
    Status { code: u16, retry_after: Option<u64> },
    /// Forward, then cut the response body in half and close the connection.
    ResetMidBody,
    /// Forward, then close the connection after `n % body length` bytes of the body.
    /// In [`Chaos`], `n` is drawn for each request.
    ResetAfter(u64),
    /// Forward, with the byte at `n % body length` changed. In [`Chaos`], `n` is drawn
    /// for each request.
    FlipByte(u64),
    /// Forward, with the last byte of the body changed.
    CorruptBody,
    /// Forward, with another `Content-Type`.
    ContentType(&'static str),
    /// Forward, with this `Docker-Content-Digest` (added when missing).
    DigestHeader(String),
    /// Answer 200 with a 5 MiB manifest.
    Oversized,
    /// Answer 200 claiming this `Docker-Content-Digest`, without asking the registry.
    ClaimDigest(String),
    /// Wait this long, then close without answering.
    Stall(Duration),
    /// Answer 307 pointing at the same URL.
    RedirectLoop,
    /// Answer 307 to the same path on this base URL (another host), with a signed query
    /// as S3 and GCS URLs carry: `X-Amz-Signature=` [`SIGNATURE`].
    RedirectTo(String),
    /// Answer 401 (UNAUTHORIZED, with a Basic challenge) while the repository in the
    /// request path has no tags at the registry, as quay.io and Docker Hub answer for a
    /// repository that does not exist yet; forward once it has. Counted only when it
    /// answers 401.
    UnauthorizedUntilTagged,
    /// Forward with the listing's page size (`n=`) set to this, as a registry that pages
    /// small (Quay pages its catalog by 100) answers; counted on every page.
    PageSize(u32),
    /// Forward after this long (a slow registry, to stop a run in the middle).
    Delay(Duration),
    /// Forward, then put this manifest at the same path as another writer would, right
    /// after ours and without merging it: the last writer wins at the registry.
    OverwriteAfter {
        content_type: &'static str,
        body: Vec<u8>,
    },
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub method: &'static str,
    /// A substring of the request path.
    pub path: &'static str,
    pub fault: Fault,
    /// How many matching requests get the fault.
    pub times: usize,
}

impl Rule {
    pub fn once(method: &'static str, path: &'static str, fault: Fault) -> Rule {
        Rule {
            method,
            path,
            fault,
            times: 1,
        }
    }

    pub fn always(method: &'static str, path: &'static str, fault: Fault) -> Rule {
        Rule {
            method,
            path,
            fault,
            times: usize::MAX,
        }
    }
}

/// Faults injected at random into a share of all requests, from a fixed seed.
#[derive(Debug, Clone)]
pub struct Chaos {
    pub seed: u64,
    /// Out of 100 requests.
    pub percent: u64,
    pub faults: Vec<Fault>,
}

pub struct FaultyProxy {
    server: LoopbackServer,
    /// The referrers API it serves in front of the registry, if any.
    pub referrers: Option<Arc<ReferrersApi>>,
    /// The pull limit it enforces in front of the registry, if any.
    pub pull_limit: Option<Arc<PullLimit>>,
    rules: Arc<Mutex<Vec<Rule>>>,
    chaos: Arc<Mutex<Option<(Chaos, u64)>>>,
    injected: Arc<AtomicUsize>,
}

impl FaultyProxy {
    pub fn start(upstream_port: u16) -> FaultyProxy {
        FaultyProxy::launch(upstream_port, None, None)
    }

    /// A proxy that serves the OCI 1.1 referrers API in front of the registry.
    pub fn with_referrers_api(upstream_port: u16) -> FaultyProxy {
        FaultyProxy::launch(upstream_port, Some(Arc::default()), None)
    }

    /// A proxy that enforces Docker Hub's kind of pull limit in front of the registry.
    pub fn with_pull_limit(upstream_port: u16, limit: PullLimit) -> FaultyProxy {
        FaultyProxy::launch(upstream_port, None, Some(Arc::new(limit)))
    }

    fn launch(
        upstream_port: u16,
        referrers: Option<Arc<ReferrersApi>>,
        pull_limit: Option<Arc<PullLimit>>,
    ) -> FaultyProxy {
        let rules: Arc<Mutex<Vec<Rule>>> = Arc::default();
        let chaos: Arc<Mutex<Option<(Chaos, u64)>>> = Arc::default();
        let injected = Arc::new(AtomicUsize::new(0));
        let server = {
            let (rules, chaos, injected) = (rules.clone(), chaos.clone(), injected.clone());
            let layers = Layers {
                referrers: referrers.clone(),
                pull_limit: pull_limit.clone(),
            };
            LoopbackServer::start(move |stream| {
                let _ = serve(stream, upstream_port, &rules, &chaos, &injected, &layers);
            })
        };
        FaultyProxy {
            server,
            referrers,
            pull_limit,
            rules,
            chaos,
            injected,
        }
    }

    pub fn add(&self, rule: Rule) {
        self.rules.lock().unwrap().push(rule);
    }

    /// From now on, `chaos.percent` of requests get one of `chaos.faults`.
    pub fn chaos(&self, chaos: Chaos) {
        let state = chaos.seed.max(1);
        *self.chaos.lock().unwrap() = Some((chaos, state));
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.port)
    }

    /// Faults injected so far.
    pub fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }
}

/// The next fault from the seeded generator, if this request draws one.
fn draw(chaos: &Mutex<Option<(Chaos, u64)>>) -> Option<Fault> {
    let mut guard = chaos.lock().unwrap();
    let (chaos, state) = guard.as_mut()?;
    let mut next = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    if next() % 100 >= chaos.percent || chaos.faults.is_empty() {
        return None;
    }
    let index = (next() % chaos.faults.len() as u64) as usize;
    Some(match chaos.faults[index] {
        Fault::ResetAfter(_) => Fault::ResetAfter(next()),
        Fault::FlipByte(_) => Fault::FlipByte(next()),
        ref fault => fault.clone(),
    })
}

/// The request head with `n=` in its path set to `size` (added when missing).
fn with_page_size(head: &str, path: &str, size: u32) -> String {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("n="))
        .map(str::to_string)
        .collect();
    params.push(format!("n={size}"));
    head.replacen(path, &format!("{route}?{}", params.join("&")), 1)
}

fn serve(
    mut client: TcpStream,
    upstream_port: u16,
    rules: &Mutex<Vec<Rule>>,
    chaos: &Mutex<Option<(Chaos, u64)>>,
    injected: &AtomicUsize,
    layers: &Layers,
) -> std::io::Result<()> {
    let referrers = layers.referrers.as_deref();
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let (head, body) = read_request(&mut client)?;
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if let Some(answer) = referrers.and_then(|api| api.answer(method, path)) {
        return client.write_all(&answer);
    }
    let limit_headers = match layers.pull_limit.as_deref().map(|l| l.judge(method, path)) {
        Some(Verdict::Refuse(answer)) => return client.write_all(&answer),
        Some(Verdict::Forward(headers)) => headers,
        None => String::new(),
    };
    let fault = {
        let mut rules = rules.lock().unwrap();
        rules
            .iter_mut()
            .find(|r| r.times > 0 && r.method == method && path.contains(r.path))
            .map(|rule| {
                rule.times = rule.times.saturating_sub(1);
                rule.fault.clone()
            })
            .or_else(|| draw(chaos))
    };
    let fault = match fault {
        Some(Fault::UnauthorizedUntilTagged) if has_tags(upstream_port, path)? => None,
        other => other,
    };
    if fault.is_some() {
        injected.fetch_add(1, Ordering::SeqCst);
    }
    match &fault {
        Some(Fault::Status { code, retry_after }) => {
            let retry = retry_after
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            write!(
                client,
                "HTTP/1.1 {code} Injected\r\n{retry}Content-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
            return Ok(());
        }
        Some(Fault::ClaimDigest(digest)) => {
            write!(
                client,
                "HTTP/1.1 200 OK\r\nDocker-Content-Digest: {digest}\r\nContent-Type: application/vnd.oci.image.index.v1+json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
            return Ok(());
        }
        Some(Fault::Stall(duration)) => {
            std::thread::sleep(*duration);
            return client.shutdown(Shutdown::Both);
        }
        Some(Fault::UnauthorizedUntilTagged) => {
            let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"access to the requested resource is not authorized"}]}"#;
            write!(
                client,
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"registry\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if method != "HEAD" {
                client.write_all(body.as_bytes())?;
            }
            return Ok(());
        }
        Some(Fault::RedirectTo(base)) => {
            write!(
                client,
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {base}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature={SIGNATURE}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
            return Ok(());
        }
        Some(Fault::RedirectLoop) => {
            write!(
                client,
                "HTTP/1.1 307 Again\r\nLocation: {path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )?;
            return Ok(());
        }
        Some(Fault::Oversized) => {
            let filler = "a".repeat(5 * 1024 * 1024);
            let body = format!(
                "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"x\":\"{filler}\"}}"
            );
            write!(
                client,
                "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            if method != "HEAD" {
                client.write_all(body.as_bytes())?;
            }
            return Ok(());
        }
        _ => {}
    }
    let head = match &fault {
        Some(Fault::PageSize(size)) => with_page_size(&head, path, *size),
        _ => head,
    };
    if let Some(Fault::Delay(duration)) = &fault {
        std::thread::sleep(*duration);
    }
    let response = forward(upstream_port, &head, &body)?;
    if let Some(Fault::OverwriteAfter { content_type, body }) = &fault {
        let theirs = format!(
            "PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{upstream_port}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
            body.len()
        );
        forward(upstream_port, &theirs, body)?;
    }
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(response.len(), |i| i + 4);
    let (mut headers, request_body, mut body) = (
        String::from_utf8_lossy(&response[..split]).into_owned(),
        body,
        response[split..].to_vec(),
    );
    if !limit_headers.is_empty() {
        headers = format!("{}\r\n{limit_headers}\r\n", headers.trim_end());
    }
    if headers.starts_with("HTTP/1.1 201")
        && let Some(header) =
            referrers.and_then(|api| api.pushed(method, path, &head, &request_body))
    {
        headers = format!("{}\r\n{header}\r\n", headers.trim_end());
    }
    match fault {
        Some(Fault::ResetMidBody) if !body.is_empty() => {
            client.write_all(headers.as_bytes())?;
            client.write_all(&body[..body.len() / 2])?;
            client.flush()?;
            return client.shutdown(Shutdown::Both);
        }
        Some(Fault::ResetAfter(n)) if !body.is_empty() => {
            let cut = (n % body.len() as u64) as usize;
            client.write_all(headers.as_bytes())?;
            client.write_all(&body[..cut])?;
            client.flush()?;
            return client.shutdown(Shutdown::Both);
        }
        Some(Fault::FlipByte(n)) if !body.is_empty() => {
            let at = (n % body.len() as u64) as usize;
            body[at] ^= 0x01;
        }
        Some(Fault::CorruptBody) => {
            if let Some(last) = body.last_mut() {
                *last = if *last == b'}' {
                    b']'
                } else {
                    last.wrapping_add(1)
                };
            }
        }
        Some(Fault::DigestHeader(digest)) => {
            let kept: Vec<String> = headers
                .trim_end()
                .lines()
                .filter(|line| {
                    !line
                        .to_ascii_lowercase()
                        .starts_with("docker-content-digest:")
                })
                .map(str::to_string)
                .collect();
            headers = format!(
                "{}\r\nDocker-Content-Digest: {digest}\r\n\r\n",
                kept.join("\r\n")
            );
        }
        Some(Fault::ContentType(media_type)) => {
            headers = headers
                .trim_end()
                .lines()
                .map(|line| {
                    if line.to_ascii_lowercase().starts_with("content-type:") {
                        format!("Content-Type: {media_type}")
                    } else {
                        line.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\r\n")
                + "\r\n\r\n";
        }
        _ => {}
    }
    client.write_all(headers.as_bytes())?;
    client.write_all(&body)?;
    client.flush()
}

/// The signature a [`Fault::RedirectTo`] puts in its signed URL: no output may show it.
pub const SIGNATURE: &str = "c2lnbmVkLXF1ZXJ5LW11c3Qtbm90LWxlYWs";

/// Blob storage on another host (127.0.0.2), as Docker Hub's CDN or quay.io's S3 are:
/// serves a redirected blob GET from the registry with credentials of its own, and
/// records whether the client sent it an `Authorization` header (S3 refuses a request
/// that carries both one and a signed query).
pub struct SignedStorage {
    server: LoopbackServer,
    requests: Arc<Mutex<Vec<StorageRequest>>>,
}

#[derive(Debug, Clone)]
pub struct StorageRequest {
    pub target: String,
    pub authorization: bool,
}

impl SignedStorage {
    /// In front of the registry on `registry_port`, reading it with `authorization`
    /// (a whole header value, or empty).
    pub fn start(registry_port: u16, authorization: &str) -> SignedStorage {
        let requests: Arc<Mutex<Vec<StorageRequest>>> = Arc::default();
        let authorization = authorization.to_string();
        let server = {
            let requests = requests.clone();
            LoopbackServer::start_on("127.0.0.2", move |mut client| {
                let Ok((head, _)) = read_request(&mut client) else {
                    return;
                };
                let target = head.split(' ').nth(1).unwrap_or_default().to_string();
                let sent_authorization = head
                    .lines()
                    .any(|l| l.to_ascii_lowercase().starts_with("authorization:"));
                requests.lock().unwrap().push(StorageRequest {
                    target: target.clone(),
                    authorization: sent_authorization,
                });
                let path = target.split('?').next().unwrap_or_default();
                let credentials = if authorization.is_empty() {
                    String::new()
                } else {
                    format!("Authorization: {authorization}\r\n")
                };
                let request = format!(
                    "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{registry_port}\r\n{credentials}\r\n"
                );
                if let Ok(response) = forward(registry_port, &request, &[]) {
                    let _ = client.write_all(&response);
                }
            })
        };
        SignedStorage { server, requests }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.2:{}", self.server.port)
    }

    pub fn requests(&self) -> Vec<StorageRequest> {
        self.requests.lock().unwrap().clone()
    }
}

/// Whether the repository of a `/v2/<repo>/manifests/..` path has tags at the registry.
fn has_tags(port: u16, path: &str) -> std::io::Result<bool> {
    let Some(repo) = path
        .strip_prefix("/v2/")
        .and_then(|rest| rest.split_once("/manifests/"))
        .map(|(repo, _)| repo)
    else {
        return Ok(true);
    };
    let head = format!("GET /v2/{repo}/tags/list HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let response = forward(port, &head, &[])?;
    Ok(response.starts_with(b"HTTP/1.1 200") || response.starts_with(b"HTTP/1.0 200"))
}

/// The request head (request line and headers) and its body (by Content-Length).
fn read_request(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Ok((head, body))
}

/// Sends the request to the registry with `Connection: close` and reads the whole
/// response.
fn forward(port: u16, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut upstream = TcpStream::connect(("127.0.0.1", port))?;
    let head: String = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    upstream.write_all(format!("{head}Connection: close\r\n\r\n").as_bytes())?;
    upstream.write_all(body)?;
    let mut response = Vec::new();
    upstream.read_to_end(&mut response)?;
    Ok(response)
}
