//! Which server a registry name is reached at.
//!
//! `vars.yml` names registries as users know them (`quay.io`, `docker.io`). A
//! `--registry HOST=URL` mapping sends requests for HOST to URL instead: a pull-through
//! cache, an air-gapped copy, or a test registry on loopback. Without one, a registry is
//! reached over HTTPS at its own name (Docker Hub at `registry-1.docker.io`).

use std::collections::HashMap;

use crate::reference::canonical_registry_host;

/// Where requests for one registry go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http` or `https`.
    pub scheme: &'static str,
    /// `host` or `host:port`.
    pub authority: String,
}

impl Endpoint {
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--registry {raw:?}: {reason}")]
pub struct EndpointError {
    pub raw: String,
    pub reason: String,
}

/// The `--registry` mappings.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    map: HashMap<String, Endpoint>,
}

impl Endpoints {
    /// Parses `HOST=URL` mappings, such as `quay.io=http://127.0.0.1:5000`.
    pub fn parse<'a>(
        mappings: impl IntoIterator<Item = &'a str>,
    ) -> Result<Endpoints, EndpointError> {
        let mut map = HashMap::new();
        for raw in mappings {
            let fail = |reason: &str| EndpointError {
                raw: raw.to_string(),
                reason: reason.to_string(),
            };
            let (host, url) = raw
                .split_once('=')
                .ok_or_else(|| fail("expected HOST=URL"))?;
            let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
                ("http", rest)
            } else if let Some(rest) = url.strip_prefix("https://") {
                ("https", rest)
            } else {
                return Err(fail("the URL must start with http:// or https://"));
            };
            let authority = rest.trim_end_matches('/');
            if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
                return Err(fail("the URL must be scheme://host[:port], without a path"));
            }
            map.insert(
                canonical_registry_host(host),
                Endpoint {
                    scheme,
                    authority: authority.to_string(),
                },
            );
        }
        Ok(Endpoints { map })
    }

    /// The endpoint for a registry name as written in references (`docker.io`, ...).
    pub fn resolve(&self, registry: &str) -> Endpoint {
        let registry = canonical_registry_host(registry);
        if let Some(endpoint) = self.map.get(&registry) {
            return endpoint.clone();
        }
        let authority = if registry == "docker.io" {
            "registry-1.docker.io".to_string()
        } else {
            registry
        };
        Endpoint {
            scheme: "https",
            authority,
        }
    }

    /// Every authority reached over plain HTTP, for oci-client's protocol setting.
    pub fn plain_http_authorities(&self) -> Vec<String> {
        self.map
            .values()
            .filter(|e| e.scheme == "http")
            .map(|e| e.authority.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings_redirect_a_registry_and_the_rest_use_https() {
        let endpoints = Endpoints::parse([
            "quay.io=http://127.0.0.1:5000/",
            "docker.io=https://mirror.local",
        ])
        .unwrap();
        assert_eq!(
            endpoints.resolve("quay.io").base_url(),
            "http://127.0.0.1:5000"
        );
        assert_eq!(
            endpoints.resolve("index.docker.io").base_url(),
            "https://mirror.local"
        );
        assert_eq!(endpoints.resolve("ghcr.io").base_url(), "https://ghcr.io");
        assert_eq!(
            Endpoints::default().resolve("docker.io").base_url(),
            "https://registry-1.docker.io"
        );
        assert_eq!(endpoints.plain_http_authorities(), ["127.0.0.1:5000"]);
    }

    #[test]
    fn malformed_mappings_are_refused() {
        for bad in [
            "quay.io",
            "quay.io=127.0.0.1:5000",
            "quay.io=http://h/path",
            "quay.io=http://",
        ] {
            assert!(Endpoints::parse([bad]).is_err(), "{bad}");
        }
    }
}
