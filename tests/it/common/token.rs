//! A Docker token server for tests: the bearer-token flow real registries (Docker Hub,
//! quay.io, ghcr.io) use. `docker-registry` is configured to trust its certificate
//! and sends clients here for a token; this issues RS256 JWTs (signed with the openssl
//! command) granting whatever scope is asked for, to one user and password only.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::server::LoopbackServer;

/// The `service` and `issuer` the registry is configured with.
pub const SERVICE: &str = "img-mirror-test";
pub const ISSUER: &str = "img-mirror-test-token-server";

/// One request for a token.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// The user it authenticated as, `-` when it sent no credentials.
    pub user: String,
    /// `repository:NAME:ACTIONS` scopes asked for.
    pub scopes: Vec<String>,
    pub granted: bool,
    /// Repositories it asked to pull from and was not granted pull on (they had no tag).
    pub pull_withheld: Vec<String>,
}

pub struct TokenServer {
    server: LoopbackServer,
    dir: tempfile::TempDir,
    requests: Arc<Mutex<Vec<TokenRequest>>>,
    pull_only_where_tagged: Arc<Mutex<Vec<PathBuf>>>,
}

impl TokenServer {
    pub fn start(user: &str, password: &str) -> TokenServer {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) =
            super::self_signed_certificate(dir.path(), "img-mirror-test-token-issuer", None);
        let der = super::tool_output(
            Command::new("openssl")
                .args(["x509", "-outform", "DER", "-in"])
                .arg(&cert),
        );
        let signer = Signer {
            key,
            x5c: STANDARD.encode(der),
        };

        let expected = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        let user = user.to_string();
        let requests: Arc<Mutex<Vec<TokenRequest>>> = Arc::default();
        let pull_only_where_tagged: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
        let server = {
            let (requests, storages) = (requests.clone(), pull_only_where_tagged.clone());
            LoopbackServer::start(move |stream| {
                let _ = answer(stream, &signer, &user, &expected, &requests, &storages);
            })
        };
        TokenServer {
            server,
            dir,
            requests,
            pull_only_where_tagged,
        }
    }

    /// From now on, grant `pull` alone only on repositories that have a tag in one of
    /// these registry storages, as quay.io grants nothing on a repository that does not
    /// exist yet; `pull,push` is still granted in full (the user may create it).
    pub fn grant_pull_only_where_tagged(&self, storages: &[&Path]) {
        *self.pull_only_where_tagged.lock().unwrap() =
            storages.iter().map(|p| p.to_path_buf()).collect();
    }

    /// What `docker-registry`'s `auth.token` section needs.
    pub fn registry_config(&self) -> String {
        format!(
            "auth: {{token: {{realm: 'http://127.0.0.1:{}/token', service: {SERVICE}, issuer: {ISSUER}, rootcertbundle: {}}}}}\n",
            self.server.port,
            self.certificate().display()
        )
    }

    pub fn certificate(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Every token request so far.
    pub fn requests(&self) -> Vec<TokenRequest> {
        self.requests.lock().unwrap().clone()
    }
}

struct Signer {
    key: PathBuf,
    /// The certificate, DER in standard base64, for the JWT's `x5c` header.
    x5c: String,
}

impl Signer {
    /// A JWT granting `scopes` (`repository:NAME:ACTIONS`) to `subject` for five minutes.
    fn token(&self, subject: &str, scopes: &[String], storages: &[PathBuf]) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let access: Vec<serde_json::Value> = scopes
            .iter()
            .filter_map(|scope| {
                let mut parts = scope.splitn(3, ':');
                let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
                let grants_pull = grants_pull(storages, name, actions);
                let actions: Vec<&str> = actions
                    .split(',')
                    .filter(|action| *action != "pull" || grants_pull)
                    .collect();
                Some(serde_json::json!({
                    "type": kind,
                    "name": name,
                    "actions": actions,
                }))
            })
            .collect();
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]});
        let claims = serde_json::json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": format!("{now}-{}", scopes.len()),
            "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(sign(&self.key, signing_input.as_bytes()))
        )
    }
}

/// Whether a scope's `pull` is granted under [`TokenServer::grant_pull_only_where_tagged`].
fn grants_pull(storages: &[PathBuf], name: &str, actions: &str) -> bool {
    storages.is_empty()
        || actions.split(',').any(|a| a == "push")
        || storages.iter().any(|root| tagged(root, name))
}

/// Whether docker-registry's filesystem storage at `root` has a tag in repository `name`.
fn tagged(root: &Path, name: &str) -> bool {
    let tags = root
        .join("docker/registry/v2/repositories")
        .join(name)
        .join("_manifests/tags");
    std::fs::read_dir(tags).is_ok_and(|mut entries| entries.next().is_some())
}

/// RSASSA-PKCS1-v1_5 with SHA-256 (JWT's RS256), by the openssl command.
fn sign(key: &Path, data: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(data).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    output.stdout
}

fn answer(
    mut stream: TcpStream,
    signer: &Signer,
    user: &str,
    expected_authorization: &str,
    requests: &Mutex<Vec<TokenRequest>>,
    storages: &Mutex<Vec<PathBuf>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split(' ').nth(1).unwrap_or_default();
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let scopes: Vec<String> = query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("scope="))
        .flat_map(|scope| {
            let decoded = percent_decode(scope);
            // Several scopes may also come space-separated in one parameter.
            decoded.split(' ').map(str::to_string).collect::<Vec<_>>()
        })
        .collect();
    let authorization = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("authorization")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    let granted = authorization == expected_authorization;
    let who = if authorization.is_empty() { "-" } else { user };
    let storages = storages.lock().unwrap().clone();
    let pull_withheld = scopes
        .iter()
        .filter_map(|scope| {
            let mut parts = scope.splitn(3, ':');
            let (_, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            let withheld =
                actions.split(',').any(|a| a == "pull") && !grants_pull(&storages, name, actions);
            withheld.then(|| name.to_string())
        })
        .collect();
    requests.lock().unwrap().push(TokenRequest {
        user: who.to_string(),
        scopes: scopes.clone(),
        granted,
        pull_withheld,
    });
    if !granted {
        let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#;
        return write!(
            stream,
            "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }
    let token = signer.token(user, &scopes, &storages);
    let body =
        serde_json::json!({"token": token, "access_token": token, "expires_in": 300}).to_string();
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz");
                match u8::from_str_radix(hex, 16) {
                    Ok(value) => {
                        out.push(value);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
