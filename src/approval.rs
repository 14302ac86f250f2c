//! Which images a cluster restricted to `MP_APPROVED_REGISTRIES` may pull.
//!
//! Entries are matched exactly as containers/image selects policy scopes for the docker
//! transport (what OpenShift enforces), not as string prefixes. The image side is
//! normalised (`nginx` is `docker.io/library/nginx`, `index.docker.io` is `docker.io`),
//! then its namespaces are listed, most specific first: the repository, each parent
//! down to `host[:port]`, then `*.parent-domain` for every parent domain of the host
//! (port dropped). A scope approves the image when it is one of them, compared as
//! written: case and all, with no normalisation of the scope, so `index.docker.io`,
//! `QUAY.IO` or a bare `nginx` select nothing.

use crate::reference::{DOCKER_HUB, Reference};

/// One `MP_APPROVED_REGISTRIES` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    raw: String,
}

/// Why an approved-registry entry can never select an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{raw:?} is not a registry scope: {reason}")]
pub struct ScopeError {
    pub raw: String,
    pub reason: String,
}

impl Scope {
    pub fn parse(raw: &str) -> Result<Scope, ScopeError> {
        let fail = |reason: String| ScopeError {
            raw: raw.to_string(),
            reason,
        };
        if raw.contains("://") {
            return Err(fail("write the registry host without a URL scheme".into()));
        }
        if raw.ends_with('.') {
            return Err(fail(
                "it ends with a dot, and no image's namespace does, so it matches nothing".into(),
            ));
        }
        if raw.contains('[') {
            return Err(fail(
                "containers/image does not take IPv6 literals in a scope, so it matches nothing; use a host name".into(),
            ));
        }
        if let Some(suffix) = raw.strip_prefix("*.") {
            if suffix.is_empty() || suffix.contains(['/', '*', ':']) {
                return Err(fail(
                    "a wildcard scope is *.domain with nothing after the domain".into(),
                ));
            }
            return Ok(Scope {
                raw: raw.to_string(),
            });
        }
        if raw.contains(['@', '*']) || raw.ends_with('/') || raw.is_empty() {
            return Err(fail("expected host, host:port or host/namespace".into()));
        }
        let (host, path) = raw.split_once('/').unwrap_or((raw, ""));
        // Every namespace of an image starts with its registry host, and a name's first
        // component is a host only with a dot, a port or as localhost: any other word
        // is a Docker Hub namespace, listed as docker.io/<word>.
        if !(host.contains(['.', ':']) || host == "localhost") {
            let suggestion = if path.is_empty() && host != "library" {
                format!("docker.io/library/{host} or docker.io/{host}")
            } else {
                format!("docker.io/{raw}")
            };
            return Err(fail(format!(
                "{host:?} is not a registry host (no dot or port), and containers/image lists every image under its host, so this matches nothing; for Docker Hub write {suggestion}"
            )));
        }
        if host == "index.docker.io" || host == "registry-1.docker.io" {
            return Err(fail(format!(
                "containers/image names Docker Hub {DOCKER_HUB}, so {host} matches nothing; write {DOCKER_HUB}{}",
                if path.is_empty() {
                    String::new()
                } else {
                    format!("/{path}")
                }
            )));
        }
        let probe = if path.is_empty() {
            format!("{host}/x")
        } else {
            format!("{host}/{path}")
        };
        let parsed = Reference::parse(&probe).map_err(|e| fail(e.reason))?;
        if parsed.tag().is_some() {
            return Err(fail("a scope takes no tag".into()));
        }
        Ok(Scope {
            raw: raw.to_string(),
        })
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether this scope covers the repository `reference` names.
    pub fn covers(&self, reference: &Reference) -> bool {
        self.covers_parts(reference.domain(), reference.path())
    }

    /// [`Scope::covers_name`] of `domain/path`, without building it: `check` asks it
    /// of every entry.
    fn covers_parts(&self, domain: &str, path: &str) -> bool {
        let under = |name: &str, parent: &str| {
            name.strip_prefix(parent)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        match self.raw.strip_prefix("*.") {
            Some(_) => self.covers_name(domain),
            None => match self.raw.strip_prefix(domain) {
                Some("") => true,
                Some(rest) => rest
                    .strip_prefix('/')
                    .is_some_and(|parent| under(path, parent)),
                None => false,
            },
        }
    }

    /// Whether this scope is one of the namespaces containers/image lists for the
    /// normalised repository name `name` (`docker.io/library/x`), worked out without
    /// building them ([`namespaces`] builds a string for each): `check` asks it of
    /// every entry.
    pub fn covers_name(&self, name: &str) -> bool {
        match self.raw.strip_prefix("*.") {
            // `*.` and a domain the host is under.
            Some(domain) => {
                let host = name.split('/').next().unwrap_or(name);
                let host = host.split(':').next().unwrap_or(host);
                host.strip_suffix(domain)
                    .is_some_and(|head| head.ends_with('.'))
            }
            // The name or one of its parents, down to the host.
            None => name
                .strip_prefix(self.raw.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
        }
    }
}

/// containers/image's `DockerReferenceNamespaces` for a normalised repository name:
/// the name, each parent down to the host, then `*.` and each parent domain.
pub fn namespaces(name: &str) -> impl Iterator<Item = String> + '_ {
    let parents = std::iter::successors(Some(name), |rest| {
        rest.rsplit_once('/').map(|(head, _)| head)
    });
    let host = name.split('/').next().unwrap_or(name);
    let host = host.split(':').next().unwrap_or(host);
    let wildcards = std::iter::successors(host.split_once('.').map(|(_, rest)| rest), |rest| {
        rest.split_once('.').map(|(_, rest)| rest)
    })
    .map(|domain| format!("*.{domain}"));
    parents.map(str::to_string).chain(wildcards)
}

/// The parsed `MP_APPROVED_REGISTRIES`.
#[derive(Debug, Clone, Default)]
pub struct ApprovedRegistries {
    scopes: Vec<Scope>,
}

impl ApprovedRegistries {
    pub fn new(scopes: Vec<Scope>) -> ApprovedRegistries {
        ApprovedRegistries { scopes }
    }

    /// The one way to read `MP_APPROVED_REGISTRIES`: the scopes, and each item that is
    /// none, with why (IM110).
    pub fn read<T>(
        items: &[T],
        value: impl Fn(&T) -> &str,
    ) -> (ApprovedRegistries, Vec<(&T, ScopeError)>) {
        let mut scopes = Vec::new();
        let mut rejected = Vec::new();
        for item in items {
            match Scope::parse(value(item)) {
                Ok(scope) => scopes.push(scope),
                Err(error) => rejected.push((item, error)),
            }
        }
        (ApprovedRegistries { scopes }, rejected)
    }

    /// The first scope that covers `reference`, if any.
    pub fn approving(&self, reference: &Reference) -> Option<&Scope> {
        self.scopes.iter().find(|scope| scope.covers(reference))
    }

    pub fn approving_name(&self, name: &str) -> Option<&Scope> {
        self.scopes.iter().find(|scope| scope.covers_name(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(scope: &str, image: &str) -> bool {
        Scope::parse(scope)
            .unwrap()
            .covers(&Reference::parse(image).unwrap())
    }

    #[test]
    fn host_scope_covers_every_repository_on_that_host() {
        assert!(covers("quay.io", "quay.io/cki/x:1"));
        assert!(covers("registry.redhat.io", "registry.redhat.io/ubi9/ubi"));
        assert!(!covers("quay.io", "quay.io.evil.com/x"));
    }

    #[test]
    fn path_scope_matches_whole_components_only() {
        assert!(covers("quay.io/cki", "quay.io/cki/x"));
        assert!(covers("quay.io/cki", "quay.io/cki/mirror/a/b"));
        assert!(!covers("quay.io/cki", "quay.io/ckix/x"));
        assert!(!covers("quay.io/cki/x", "quay.io/cki/xy"));
    }

    #[test]
    fn wildcard_covers_subdomains_only_at_any_port() {
        assert!(covers("*.redhat.io", "registry.redhat.io/ubi9/ubi"));
        assert!(covers("*.redhat.io", "a.b.redhat.io:5000/x"));
        assert!(!covers("*.redhat.io", "redhat.io/x"));
    }

    #[test]
    fn port_must_match_exactly() {
        assert!(!covers("localhost", "localhost:5000/x"));
        assert!(covers("localhost:5000", "localhost:5000/x"));
        assert!(!covers("localhost:5000", "localhost:5001/x"));
    }

    #[test]
    fn docker_hub_is_normalised_on_the_image_side_only() {
        assert!(covers("docker.io", "nginx"));
        assert!(covers("docker.io", "index.docker.io/grafana/grafana"));
        assert!(covers("docker.io/library", "nginx:1"));
        assert!(!covers("docker.io/library", "grafana/grafana"));
        // containers/image never lists index.docker.io: the cluster refuses the pull.
        for scope in ["index.docker.io", "index.docker.io/library"] {
            let error = Scope::parse(scope).unwrap_err();
            assert!(error.reason.contains("matches nothing"), "{error}");
        }
    }

    #[test]
    fn hosts_compare_exactly_as_written() {
        assert!(!covers("quay.io/cki", "QUAY.IO/cki/x"));
        assert!(covers("QUAY.IO/cki", "QUAY.IO/cki/x"));
        assert!(!covers("*.Example.com", "a.example.com/x"));
    }

    /// containers/image's docker/policyconfiguration naming_test.go table: the
    /// namespaces it lists for each reference, most specific first.
    #[test]
    fn namespaces_follow_containers_image() {
        let table: [(&str, &[&str]); 13] = [
            (
                "example.com/ns/repo",
                &[
                    "example.com/ns/repo",
                    "example.com/ns",
                    "example.com",
                    "*.com",
                ],
            ),
            (
                "example.com/repo",
                &["example.com/repo", "example.com", "*.com"],
            ),
            (
                "localhost/ns/repo",
                &["localhost/ns/repo", "localhost/ns", "localhost"],
            ),
            ("localhost/repo", &["localhost/repo", "localhost"]),
            (
                "notlocalhost/repo",
                &[
                    "docker.io/notlocalhost/repo",
                    "docker.io/notlocalhost",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "docker.io/ns/repo",
                &["docker.io/ns/repo", "docker.io/ns", "docker.io", "*.io"],
            ),
            (
                "docker.io/library/repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "docker.io/repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "ns/repo",
                &["docker.io/ns/repo", "docker.io/ns", "docker.io", "*.io"],
            ),
            (
                "library/repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
            (
                "yet.another.example.com:8443/ns/repo",
                &[
                    "yet.another.example.com:8443/ns/repo",
                    "yet.another.example.com:8443/ns",
                    "yet.another.example.com:8443",
                    "*.another.example.com",
                    "*.example.com",
                    "*.com",
                ],
            ),
            (
                "index.docker.io/repo",
                &[
                    "docker.io/library/repo",
                    "docker.io/library",
                    "docker.io",
                    "*.io",
                ],
            ),
        ];
        for (input, expected) in table {
            for suffix in [
                ":tag",
                "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ] {
                let reference = Reference::parse(&format!("{input}{suffix}")).unwrap();
                let listed: Vec<String> = namespaces(&reference.name()).collect();
                assert_eq!(listed, expected, "{input}{suffix}");
            }
        }
        // A scope covers a name exactly when it is one of the name's namespaces, and
        // covers a reference exactly when it covers its name.
        let references: Vec<Reference> = table
            .iter()
            .map(|(input, _)| Reference::parse(input).unwrap())
            .collect();
        let mut scopes: Vec<&str> = table
            .iter()
            .flat_map(|(_, listed)| listed.iter().copied())
            .collect();
        scopes.extend([
            "*.",
            "docker.io/lib",
            "quay.io/",
            "*.ample.com",
            "example.com:8443",
        ]);
        for reference in &references {
            let name = &reference.name();
            for scope in &scopes {
                let scope = Scope {
                    raw: scope.to_string(),
                };
                assert_eq!(
                    scope.covers_name(name),
                    namespaces(name).any(|namespace| namespace == scope.raw),
                    "{} over {name}",
                    scope.raw
                );
                assert_eq!(
                    scope.covers(reference),
                    scope.covers_name(name),
                    "{} over {name}",
                    scope.raw
                );
            }
        }
    }

    #[test]
    fn scopes_the_docker_transport_never_selects_are_rejected_with_a_reason() {
        for (bad, reason) in [
            ("https://quay.io", "URL scheme"),
            ("quay.io/", "expected host"),
            ("", "expected host"),
            ("*.", "ends with a dot"),
            ("quay.io/*", "expected host"),
            ("quay.io/Cki", "lowercase"),
            ("*.a/b", "wildcard"),
            ("busybox", "not a registry host"),
            ("nginx", "not a registry host"),
            ("grafana", "not a registry host"),
            ("library", "not a registry host"),
            ("library/nginx", "not a registry host"),
            ("hostname/library/busybox", "not a registry host"),
            ("registry", "not a registry host"),
            ("[::1]", "IPv6"),
            ("[::1]:5000", "IPv6"),
            ("*.example.com.", "ends with a dot"),
            ("example.com.", "ends with a dot"),
        ] {
            let error = Scope::parse(bad).expect_err(bad);
            assert!(error.reason.contains(reason), "{bad}: {}", error.reason);
        }
        for good in [
            "localhost",
            "localhost:5000",
            "quay.io",
            "quay.io/cki",
            "*.redhat.io",
            "registry:5000",
        ] {
            assert!(Scope::parse(good).is_ok(), "{good}");
        }
    }
}
