//! Where Renovate's docker datasource looks a name up (`getRegistryRepository`): only
//! the first path segment can be a registry, and only if it has a `.` or `:`;
//! everything else is on the registryUrl, Docker Hub by default.

use std::borrow::Cow;

const DOCKER_HUB_URL: &str = "https://index.docker.io";
/// Docker Hub's registry name, as image references normalise it.
pub const DOCKER_HUB: &str = "docker.io";

/// A registry host (Docker Hub as `docker.io`) and the repository path on it: slices of
/// the name and registryUrl where they need no change (a check looks up every dep).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup<'a> {
    pub host: Cow<'a, str>,
    pub repository: Cow<'a, str>,
}

impl Lookup<'_> {
    /// `host/repository`, as a normalised image reference names its repository.
    pub fn name(&self) -> String {
        format!("{}/{}", self.host, self.repository)
    }
}

/// The registry and repository Renovate queries for `package_name`.
pub fn lookup<'a>(package_name: &'a str, registry_urls: Option<&'a [String]>) -> Lookup<'a> {
    let registry_url = registry_urls
        .and_then(|urls| urls.first())
        .map_or(DOCKER_HUB_URL, String::as_str)
        .trim_end_matches('/');
    let registry_without_scheme = strip_scheme(registry_url);
    let (host_and_path, repository) = match package_name
        .strip_prefix(registry_without_scheme)
        .and_then(|rest| rest.strip_prefix('/'))
    {
        Some(rest) if !is_docker_hub(host_of(registry_without_scheme)) => {
            (registry_without_scheme, rest)
        }
        _ => {
            let mut segments = package_name.splitn(2, '/');
            let first = segments.next().unwrap_or_default();
            match segments.next() {
                Some(rest) if first.contains(['.', ':']) => (first, rest),
                _ => (registry_without_scheme, package_name),
            }
        }
    };
    let (host, url_path) = host_and_path.split_once('/').unwrap_or((host_and_path, ""));
    let mut repository = if url_path.is_empty() {
        Cow::Borrowed(repository)
    } else {
        Cow::Owned(format!("{}/{repository}", url_path.trim_matches('/')))
    };
    let host = if is_docker_hub(host) {
        if !repository.contains('/') {
            repository = Cow::Owned(format!("library/{repository}"));
        }
        Cow::Borrowed(DOCKER_HUB)
    } else if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    };
    Lookup { host, repository }
}

fn strip_scheme(url: &str) -> &str {
    url.split_once("://").map_or(url, |(_, rest)| rest)
}

fn host_of(host_and_path: &str) -> &str {
    host_and_path.split('/').next().unwrap_or(host_and_path)
}

fn is_docker_hub(host: &str) -> bool {
    ["docker.io", "index.docker.io", "registry-1.docker.io"]
        .iter()
        .any(|hub| host.eq_ignore_ascii_case(hub))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(package: &str, registry: Option<&str>) -> String {
        let urls = registry.map(|r| vec![r.to_string()]);
        lookup(package, urls.as_deref()).name()
    }

    #[test]
    fn renovate_docs_examples() {
        assert_eq!(
            name("docker.io/library/nginx", None),
            "docker.io/library/nginx"
        );
        assert_eq!(name("nginx", None), "docker.io/library/nginx");
        assert_eq!(
            name("quay.io/cki/mirror/docker.io/library/nginx", None),
            "quay.io/cki/mirror/docker.io/library/nginx"
        );
        assert_eq!(
            name("registry.redhat.io/ubi9/ubi", None),
            "registry.redhat.io/ubi9/ubi"
        );
        assert_eq!(
            name("localhost/foo", None),
            "docker.io/localhost/foo",
            "no dot or colon"
        );
        assert_eq!(name("grafana/grafana", None), "docker.io/grafana/grafana");
    }

    #[test]
    fn registry_url_supplies_host_and_path() {
        assert_eq!(
            name("grafana/grafana", Some("https://quay.io/")),
            "quay.io/grafana/grafana"
        );
        assert_eq!(
            name("quay.io/grafana/grafana", Some("https://quay.io")),
            "quay.io/grafana/grafana"
        );
        assert_eq!(
            name("grafana", Some("https://quay.io/cki/mirror")),
            "quay.io/cki/mirror/grafana"
        );
        assert_eq!(
            name("x", Some("https://registry-1.docker.io")),
            "docker.io/library/x"
        );
    }
}
