//! A real registry for tests: Debian's `docker-registry` (CNCF distribution) on
//! 127.0.0.1 with a free port and a temporary storage folder, killed when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub struct TestRegistry {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl TestRegistry {
    /// An anonymous registry.
    pub fn start() -> TestRegistry {
        TestRegistry::launch(None, false)
    }

    /// An anonymous registry that logs every request (see [`TestRegistry::requests`]).
    pub fn start_logged() -> TestRegistry {
        TestRegistry::launch(None, true)
    }

    /// A registry that demands HTTP basic auth with this user and password.
    pub fn start_with_basic_auth(user: &str, password: &str) -> TestRegistry {
        TestRegistry::launch(Some((user, password)), false)
    }

    /// [`TestRegistry::start_with_basic_auth`] that logs every request, and every one it
    /// authorized (see [`TestRegistry::authorized_requests`]).
    pub fn start_with_basic_auth_logged(user: &str, password: &str) -> TestRegistry {
        TestRegistry::launch(Some((user, password)), true)
    }

    /// A registry serving HTTPS for 127.0.0.1 with a certificate from a CA of its own
    /// (see [`TestRegistry::certificate_authority`]).
    pub fn start_tls() -> TestRegistry {
        TestRegistry::launch_with(None, false, true, None)
    }

    /// A registry that sends clients to `server` for bearer tokens, as Docker Hub,
    /// quay.io and ghcr.io do.
    pub fn start_with_token_auth(server: &super::token::TokenServer) -> TestRegistry {
        TestRegistry::launch_with(None, false, false, Some(server.registry_config()))
    }

    fn launch(basic_auth: Option<(&str, &str)>, logged: bool) -> TestRegistry {
        TestRegistry::launch_with(basic_auth, logged, false, None)
    }

    fn launch_with(
        basic_auth: Option<(&str, &str)>,
        logged: bool,
        tls: bool,
        auth_config: Option<String>,
    ) -> TestRegistry {
        let mut dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        // A logged registry with users logs each response at info level too: those
        // lines name the user the request authenticated as.
        let level = if logged && basic_auth.is_some() {
            "info"
        } else {
            "error"
        };
        let mut config = format!(
            "version: 0.1\nlog: {{level: {level}, accesslog: {{disabled: {}}}}}\nstorage:\n  filesystem: {{rootdirectory: {}}}\n  delete: {{enabled: true}}\nhttp: {{addr: 127.0.0.1:{port}, secret: img-mirror-test}}\n",
            !logged,
            dir.path().join("storage").display()
        );
        if let Some((user, password)) = basic_auth {
            let htpasswd = dir.path().join("htpasswd");
            let line = super::tool_output(Command::new("htpasswd").args(["-Bbn", user, password]));
            std::fs::write(&htpasswd, line).unwrap();
            config.push_str(&format!(
                "auth: {{htpasswd: {{realm: img-mirror-test, path: {}}}}}\n",
                htpasswd.display()
            ));
        }
        if let Some(auth_config) = auth_config {
            config.push_str(&auth_config);
        }
        if tls {
            let (cert, key) = super::ca_issued_certificate(dir.path(), "IP:127.0.0.1");
            config = config.replace(
                "secret: img-mirror-test}",
                &format!(
                    "secret: img-mirror-test, tls: {{certificate: {}, key: {}}}}}",
                    cert.display(),
                    key.display()
                ),
            );
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, &config).unwrap();
        // The port was free when asked for, but another test may take it before the
        // registry binds it (the registry then exits, and whatever holds the port would
        // answer in its place): a registry counts as started only once its own process
        // holds the listening socket; otherwise it is started again on another port.
        let mut port = port;
        for _ in 0..5 {
            let log = std::fs::File::create(dir.path().join("access.log")).unwrap();
            let child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config_path)
                .env("REGISTRY_HTTP_ADDR", format!("127.0.0.1:{port}"))
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("docker-registry is installed by tests/run.sh");
            let mut registry = TestRegistry { child, port, dir };
            if registry.wait_ready() {
                return registry;
            }
            let _ = registry.child.kill();
            let _ = registry.child.wait();
            dir = std::mem::replace(&mut registry.dir, tempfile::tempdir().unwrap());
            port = free_port();
        }
        panic!("docker-registry did not start on any of 5 ports");
    }

    pub fn authority(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.authority())
    }

    /// The CA that issued the certificate of a registry from [`TestRegistry::start_tls`].
    pub fn certificate_authority(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The registry's filesystem storage (its `rootdirectory`).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// The request lines (`HEAD /v2/... HTTP/1.1`) the registry has logged so far, for
    /// a registry started with [`TestRegistry::start_logged`].
    pub fn requests(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default();
        log.lines()
            .filter_map(|line| {
                let start = line.find('"')? + 1;
                let end = start + line[start..].find('"')?;
                let request = &line[start..end];
                request.contains(" /v2/").then(|| request.to_string())
            })
            .collect()
    }

    /// How many requests the registry authorized with the credentials it demands, by
    /// its own log (a registry from [`TestRegistry::start_with_basic_auth_logged`]).
    pub fn authorized_requests(&self) -> usize {
        let log = std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default();
        log.lines()
            .filter(|line| line.contains("msg=\"authorized request\""))
            .count()
    }

    /// Whether this registry's own process came to listen on its port (and answers);
    /// `false` when it exited, as it does when the port was taken meanwhile.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return false;
            }
            if listens(self.child.id(), self.port)
                && let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port))
            {
                let _ = stream.write_all(b"GET /v2/ HTTP/1.0\r\nHost: localhost\r\n\r\n");
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.") {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("docker-registry on port {} did not start", self.port);
    }
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux: the
/// socket's inode in /proc/net/tcp among the process's open files).
fn listens(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        // Not Linux: trust the answer.
        return true;
    };
    let local = format!("0100007F:{port:04X}");
    let Some(inode) = table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"0A"))
            .then(|| fields.get(9).map(|i| i.to_string()))
            .flatten()
    }) else {
        return false;
    };
    let socket = format!("socket:[{inode}]");
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|fds| {
            fds.flatten().any(|fd| {
                std::fs::read_link(fd.path()).is_ok_and(|target| target.to_string_lossy() == socket)
            })
        })
        .unwrap_or(false)
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
