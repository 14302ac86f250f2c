//! Which images a cluster restricted to `MP_APPROVED_REGISTRIES` may pull.
//!
//! Entries are matched the way containers/image policy scopes match (what OpenShift
//! enforces), not as raw string prefixes: a scope is `host`, `host:port`, `host/path`
//! (matched on whole path components) or `*.domain` (subdomains only, any port). The
//! image name is normalised first, so `docker.io` covers `nginx`.

use crate::reference::{DOCKER_HUB, Reference};

/// One `MP_APPROVED_REGISTRIES` entry, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    raw: String,
    normalized: String,
}

/// Why an approved-registry entry cannot be a policy scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{raw:?} is not a registry scope: {reason}")]
pub struct ScopeError {
    pub raw: String,
    pub reason: String,
}

impl Scope {
    pub fn parse(raw: &str) -> Result<Scope, ScopeError> {
        let fail = |reason: &str| ScopeError {
            raw: raw.to_string(),
            reason: reason.to_string(),
        };
        if raw.contains("://") {
            return Err(fail("write the registry host without a URL scheme"));
        }
        if let Some(suffix) = raw.strip_prefix("*.") {
            if suffix.is_empty() || suffix.contains(['/', '*', ':']) {
                return Err(fail(
                    "a wildcard scope is *.domain with nothing after the domain",
                ));
            }
            return Ok(Scope {
                raw: raw.to_string(),
                normalized: raw.to_ascii_lowercase(),
            });
        }
        if raw.contains(['@', '*']) || raw.ends_with('/') || raw.is_empty() {
            return Err(fail("expected host, host:port or host/namespace"));
        }
        // A scope names a registry, so its first component is always the host, even
        // without a dot (`localhost`, `registry`): parse it as `host/x` to reuse the
        // reference grammar without Docker Hub's implicit-domain rule.
        let (host, path) = raw.split_once('/').unwrap_or((raw, ""));
        let probe = if path.is_empty() {
            format!("{host}/x")
        } else {
            format!("{host}/{path}")
        };
        let probe = if host.contains(['.', ':']) || host == "localhost" {
            probe
        } else {
            format!("{host}.invalid-probe{}", &probe[host.len()..])
        };
        let parsed = Reference::parse(&probe).map_err(|e| fail(&e.reason))?;
        if parsed.tag().is_some() {
            return Err(fail("a scope takes no tag"));
        }
        let host = match host.to_ascii_lowercase().as_str() {
            "index.docker.io" => DOCKER_HUB.to_string(),
            other => other.to_string(),
        };
        let normalized = if path.is_empty() {
            host
        } else {
            format!("{host}/{path}")
        };
        Ok(Scope {
            raw: raw.to_string(),
            normalized,
        })
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether this scope covers the repository `reference` names.
    pub fn covers(&self, reference: &Reference) -> bool {
        self.covers_name(&reference.name())
    }

    /// Whether this scope covers a normalised repository name (`docker.io/library/x`).
    pub fn covers_name(&self, name: &str) -> bool {
        self.covers_lowercase(&name.to_ascii_lowercase())
    }

    /// Whether this scope is one of the scopes containers/image tries for `name`
    /// (lowercase), most specific first: the name, each parent namespace down to
    /// `host[:port]`, then `*.parent-domain` for every parent domain of the host
    /// (port dropped).
    fn covers_lowercase(&self, name: &str) -> bool {
        let scope = self.normalized.as_str();
        let mut rest = name;
        if rest == scope {
            return true;
        }
        while let Some(slash) = rest.rfind('/') {
            rest = &rest[..slash];
            if rest == scope {
                return true;
            }
        }
        let Some(wildcard_domain) = scope.strip_prefix("*.") else {
            return false;
        };
        let mut host = rest.split(':').next().unwrap_or(rest);
        while let Some(dot) = host.find('.') {
            host = &host[dot + 1..];
            if host == wildcard_domain {
                return true;
            }
        }
        false
    }
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

    /// The first scope that covers `reference`, if any.
    pub fn approving(&self, reference: &Reference) -> Option<&Scope> {
        self.approving_name(&reference.name())
    }

    pub fn approving_name(&self, name: &str) -> Option<&Scope> {
        let name = name.to_ascii_lowercase();
        self.scopes
            .iter()
            .find(|scope| scope.covers_lowercase(&name))
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
    fn docker_hub_is_normalised_on_both_sides() {
        assert!(covers("docker.io", "nginx"));
        assert!(covers("index.docker.io", "grafana/grafana"));
        assert!(covers("docker.io/library", "nginx:1"));
        assert!(!covers("docker.io/library", "grafana/grafana"));
    }

    #[test]
    fn malformed_scopes_are_rejected_with_a_reason() {
        for bad in [
            "https://quay.io",
            "quay.io/",
            "",
            "*.",
            "quay.io/*",
            "quay.io/Cki",
            "*.a/b",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad}");
        }
        assert!(Scope::parse("registry").is_ok());
    }
}
