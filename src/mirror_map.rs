//! The mapping between an upstream image and its copy under the mirror prefix.
//!
//! `quay.io/cki/mirror/<upstream-image-path>` holds a copy of `<upstream-image-path>`,
//! where the upstream path is a reference of its own, normalised:
//! `quay.io/cki/mirror/grafana/grafana` mirrors `docker.io/grafana/grafana`.

use std::fmt;

use crate::reference::{Reference, ReferenceError, parse_repository_name};

/// The default mirror prefix, from the runbook.
pub const DEFAULT_MIRROR_PREFIX: &str = "quay.io/cki/mirror";

/// A validated mirror prefix (`host/path`, no tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorPrefix {
    name: String,
}

/// Why a mirrored entry has no usable upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MirrorPathError {
    #[error("nothing follows the mirror prefix {prefix}")]
    Empty { prefix: String },
    #[error(
        "the upstream {upstream} has a port, which cannot be written as a repository path under {prefix}"
    )]
    Port { upstream: String, prefix: String },
    #[error("{upstream} is itself under the mirror prefix {prefix}: a mirror of the mirror")]
    MirrorOfMirror { upstream: String, prefix: String },
    #[error("the upstream part is not a valid image reference: {0}")]
    Invalid(ReferenceError),
}

impl MirrorPrefix {
    pub fn parse(raw: &str) -> Result<MirrorPrefix, ReferenceError> {
        let trimmed = raw.trim_end_matches('/');
        let reference = parse_repository_name(trimmed)?;
        if reference.written_name() != reference.name() {
            return Err(ReferenceError {
                raw: raw.to_string(),
                reason: format!(
                    "write the mirror prefix fully qualified, as {}",
                    reference.name()
                ),
            });
        }
        Ok(MirrorPrefix {
            name: reference.name(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The registry host of the mirror.
    pub fn domain(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }

    /// The upstream-image text after the prefix, when `reference` is under it.
    /// Matching is on whole path components of the written name.
    pub fn strip<'r>(&self, reference: &'r Reference) -> Option<&'r str> {
        let rest_len = self.rest_of_name_len(reference)?;
        // Return a slice of the raw text so tag and digest come along untouched.
        let written = reference.raw();
        let written_rest_len = rest_len + (written.len() - reference.written_name().len());
        Some(written[written.len() - written_rest_len..].trim_start_matches('/'))
    }

    /// The length of what follows the prefix in `reference`'s normalised name
    /// (`domain/path`), when the name starts with the prefix's whole components.
    /// Worked out on the two parts, without building the name: `check` asks it of
    /// every entry more than once.
    fn rest_of_name_len(&self, reference: &Reference) -> Option<usize> {
        let (domain, path) = (reference.domain(), reference.path());
        let prefix = self.name.as_str();
        let rest = match prefix.strip_prefix(domain)? {
            "" => return Some(1 + path.len()),
            under_domain => path.strip_prefix(under_domain.strip_prefix('/')?)?,
        };
        (rest.is_empty() || rest.starts_with('/')).then_some(rest.len())
    }

    /// The upstream repository an entry under the prefix mirrors, or `None` when the
    /// entry is not under the prefix.
    pub fn upstream_of(&self, reference: &Reference) -> Option<Result<Reference, MirrorPathError>> {
        let rest = self.strip(reference)?;
        Some(self.parse_upstream_in(rest, Some(reference)))
    }

    fn parse_upstream(&self, rest: &str) -> Result<Reference, MirrorPathError> {
        self.parse_upstream_in(rest, None)
    }

    /// The upstream written as `rest`, which ends `mirror` when one is given: the
    /// upstream then shares the mirror reference's text (a check holds both for every
    /// entry).
    fn parse_upstream_in(
        &self,
        rest: &str,
        mirror: Option<&Reference>,
    ) -> Result<Reference, MirrorPathError> {
        let prefix = || self.name.clone();
        if rest.is_empty() || rest.starts_with([':', '@']) {
            return Err(MirrorPathError::Empty { prefix: prefix() });
        }
        let first = rest.split('/').next().unwrap_or(rest);
        if rest.contains('/') && first.contains(':') {
            let without_digest = rest.split('@').next().unwrap_or(rest);
            let slash = without_digest.rfind('/').unwrap_or(0);
            let name = match without_digest.rfind(':') {
                Some(colon) if colon > slash => &without_digest[..colon],
                _ => without_digest,
            };
            return Err(MirrorPathError::Port {
                upstream: name.to_string(),
                prefix: prefix(),
            });
        }
        let upstream = mirror
            .and_then(|mirror| mirror.parse_suffix(rest))
            .unwrap_or_else(|| Reference::parse(rest))
            .map_err(MirrorPathError::Invalid)?;
        if self.covers(&upstream) {
            return Err(MirrorPathError::MirrorOfMirror {
                upstream: upstream.name(),
                prefix: prefix(),
            });
        }
        Ok(upstream)
    }

    /// For text that does not parse as a reference at all: if it is written under the
    /// prefix, the mirror-path problem that explains why (an upstream port, say).
    pub fn explain_unparsable(&self, raw: &str) -> Option<MirrorPathError> {
        let rest = raw.strip_prefix(self.name.as_str())?.strip_prefix('/')?;
        self.parse_upstream(rest).err()
    }

    /// Whether a normalised repository lies under the prefix.
    pub fn covers(&self, reference: &Reference) -> bool {
        self.rest_of_name_len(reference).is_some()
    }

    /// The mirror repository for an upstream: `<prefix>/<upstream name>`, the upstream
    /// written the familiar way (`grafana/grafana`, as the runbook does) or fully
    /// qualified (`docker.io/grafana/grafana`), as `style` says. The result is proved
    /// to map back to this very upstream; a host with a port or an IPv6 literal has no
    /// such form (a repository path cannot hold it).
    pub fn mirror_repository(
        &self,
        upstream: &Reference,
        style: MirrorStyle,
    ) -> Result<String, NoMirrorForm> {
        let domain = upstream.domain();
        if domain.starts_with('[') {
            return Err(NoMirrorForm::Ipv6 {
                upstream: upstream.name(),
            });
        }
        if upstream.has_port() {
            return Err(NoMirrorForm::Port {
                upstream: upstream.name(),
                prefix: self.name.clone(),
            });
        }
        // Host names are case-insensitive; a repository path is not.
        let lowered = Reference::parse(&format!(
            "{}/{}",
            domain.to_ascii_lowercase(),
            upstream.path()
        ))
        .map_err(|_| NoMirrorForm::Unmappable {
            upstream: upstream.name(),
        })?;
        let written = match style {
            MirrorStyle::Familiar => familiar_name(&lowered),
            MirrorStyle::Qualified => lowered.name(),
        };
        let repository = format!("{}/{written}", self.name);
        let maps_back = Reference::parse(&repository)
            .ok()
            .and_then(|mirror| self.upstream_of(&mirror))
            .and_then(Result::ok)
            .is_some_and(|back| back.name() == lowered.name());
        if !maps_back {
            return Err(NoMirrorForm::Unmappable {
                upstream: upstream.name(),
            });
        }
        Ok(repository)
    }
}

/// How a file writes upstreams under the mirror prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MirrorStyle {
    /// `quay.io/cki/mirror/nginx`, `quay.io/cki/mirror/grafana/grafana` (the runbook's).
    #[default]
    Familiar,
    /// `quay.io/cki/mirror/docker.io/library/nginx`.
    Qualified,
}

impl MirrorStyle {
    /// The style one mirrored Docker Hub entry is written in; `None` for anything else
    /// (only Docker Hub names have two spellings).
    pub fn written(prefix: &MirrorPrefix, reference: &Reference) -> Option<MirrorStyle> {
        let upstream = prefix.upstream_of(reference)?.ok()?;
        MirrorStyle::written_for(prefix, reference, &upstream)
    }

    /// [`MirrorStyle::written`] when the entry's upstream is already known.
    pub fn written_for(
        prefix: &MirrorPrefix,
        reference: &Reference,
        upstream: &Reference,
    ) -> Option<MirrorStyle> {
        if upstream.domain() != crate::reference::DOCKER_HUB {
            return None;
        }
        let rest = prefix.strip(reference).unwrap_or_default();
        Some(
            if rest.starts_with("docker.io/") || rest.starts_with("index.docker.io/") {
                MirrorStyle::Qualified
            } else {
                MirrorStyle::Familiar
            },
        )
    }

    /// The style most of a file's mirrored Docker Hub entries use (only those tell the
    /// two apart); the runbook's familiar form when none does. Worked out once per file:
    /// `check` keeps it in its report for `check --fix`; `pin` asks it of the file it edits.
    pub fn of<'r>(
        prefix: &MirrorPrefix,
        entries: impl Iterator<Item = &'r Reference>,
    ) -> MirrorStyle {
        MirrorStyle::most_common(
            entries.filter_map(|reference| MirrorStyle::written(prefix, reference)),
        )
    }

    /// [`MirrorStyle::of`] from the styles the entries are written in, for a caller that
    /// already knows each entry's upstream (and need not parse it again).
    pub fn most_common(styles: impl Iterator<Item = MirrorStyle>) -> MirrorStyle {
        let (mut familiar, mut qualified) = (0usize, 0usize);
        for style in styles {
            match style {
                MirrorStyle::Qualified => qualified += 1,
                MirrorStyle::Familiar => familiar += 1,
            }
        }
        if qualified > familiar {
            MirrorStyle::Qualified
        } else {
            MirrorStyle::Familiar
        }
    }
}

/// Why an upstream cannot be written under the mirror prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoMirrorForm {
    #[error(
        "{upstream} has a port, which a repository path under {prefix} cannot hold: approve its registry, or publish the image to an approved registry"
    )]
    Port { upstream: String, prefix: String },
    #[error(
        "{upstream} is on an IPv6 address, which a repository path cannot hold: use the registry's host name"
    )]
    Ipv6 { upstream: String },
    #[error("{upstream} has no mirror path that maps back to it")]
    Unmappable { upstream: String },
}

impl fmt::Display for MirrorPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Docker's short form of a name (`FamiliarName`): Docker Hub's domain left out, and
/// `library/` too when a single component remains (`docker.io/library/foo/bar` stays
/// `library/foo/bar`: `foo/bar` is another repository).
pub fn familiar_name(reference: &Reference) -> String {
    if reference.domain() != crate::reference::DOCKER_HUB {
        return reference.name();
    }
    match reference.path().strip_prefix("library/") {
        Some(rest) if !rest.contains('/') => rest.to_string(),
        _ => reference.path().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn prefix() -> MirrorPrefix {
        MirrorPrefix::parse(DEFAULT_MIRROR_PREFIX).unwrap()
    }

    fn upstream(raw: &str) -> Option<Result<Reference, MirrorPathError>> {
        prefix().upstream_of(&Reference::parse(raw).unwrap())
    }

    #[test]
    fn upstream_is_the_rest_of_the_path_normalised() {
        let up = upstream("quay.io/cki/mirror/grafana/grafana:11.2.0")
            .unwrap()
            .unwrap();
        assert_eq!(up.name(), "docker.io/grafana/grafana");
        assert_eq!(up.tag(), Some("11.2.0"));
        let up = upstream(&format!("quay.io/cki/mirror/ghcr.io/a/b:v1@sha256:{HEX}"))
            .unwrap()
            .unwrap();
        assert_eq!(up.name(), "ghcr.io/a/b");
        assert_eq!(up.digest(), Some(format!("sha256:{HEX}").as_str()));
        let up = upstream("quay.io/cki/mirror/nginx:1").unwrap().unwrap();
        assert_eq!(up.name(), "docker.io/library/nginx");
    }

    /// The rest of the name, worked out on domain and path, is what stripping the
    /// prefix from the whole name gives.
    #[test]
    fn the_prefix_is_matched_on_whole_components_of_the_name() {
        for prefix in [
            "quay.io/cki/mirror",
            "quay.io/cki",
            "docker.io/library/nginx",
            "localhost:5000/m",
        ] {
            let prefix = MirrorPrefix::parse(prefix).unwrap();
            for raw in [
                "quay.io/cki/mirror/grafana/grafana:1",
                "quay.io/cki/mirror",
                "quay.io/cki/mirrorx/a",
                "quay.io/ckimirror/a",
                "quay.iox/cki/mirror/a",
                "quay.io/cki",
                "nginx",
                "docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef",
                "localhost:5000/quay.io/cki/mirror/a",
            ] {
                let reference = Reference::parse(raw).unwrap();
                let name = reference.name();
                let expected = name
                    .strip_prefix(prefix.to_string().as_str())
                    .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                    .map(str::len);
                assert_eq!(
                    prefix.rest_of_name_len(&reference),
                    expected,
                    "{prefix} {raw}"
                );
                assert_eq!(
                    prefix.covers(&reference),
                    expected.is_some(),
                    "{prefix} {raw}"
                );
            }
        }
    }

    #[test]
    fn entries_outside_the_prefix_are_not_mirrored() {
        assert!(upstream("quay.io/cki/mirrors/x:1").is_none());
        assert!(upstream("quay.io/cki/tools:1").is_none());
        assert!(upstream("nginx:1").is_none());
    }

    #[test]
    fn invalid_mirror_paths_say_why() {
        assert!(matches!(
            upstream("quay.io/cki/mirror:1").unwrap(),
            Err(MirrorPathError::Empty { .. })
        ));
        assert!(matches!(
            upstream("quay.io/cki/mirror/quay.io/cki/mirror/x:1").unwrap(),
            Err(MirrorPathError::MirrorOfMirror { .. })
        ));
    }

    #[test]
    fn an_upstream_port_is_caught_before_the_grammar_misreads_it() {
        // The grammar would read `localhost:5000/foo` here as part of the path; the
        // colon makes the whole entry unparsable, so `MirrorPrefix` checks the raw text.
        assert!(matches!(
            prefix().parse_upstream("localhost:5000/foo:1"),
            Err(MirrorPathError::Port { .. })
        ));
    }

    #[test]
    fn mirror_repository_writes_the_files_style_and_maps_back() {
        let p = prefix();
        let form = |upstream: &str, style| {
            p.mirror_repository(&Reference::parse(upstream).unwrap(), style)
        };
        assert_eq!(
            form("docker.io/library/nginx", MirrorStyle::Familiar).unwrap(),
            "quay.io/cki/mirror/nginx"
        );
        assert_eq!(
            form("docker.io/library/nginx", MirrorStyle::Qualified).unwrap(),
            "quay.io/cki/mirror/docker.io/library/nginx"
        );
        assert_eq!(
            form("ghcr.io/a/b", MirrorStyle::Familiar).unwrap(),
            "quay.io/cki/mirror/ghcr.io/a/b"
        );
        // `foo/bar` would be another repository.
        assert_eq!(
            form("docker.io/library/foo/bar", MirrorStyle::Familiar).unwrap(),
            "quay.io/cki/mirror/library/foo/bar"
        );
        assert_eq!(
            form("REGISTRY.example.com/app", MirrorStyle::Familiar).unwrap(),
            "quay.io/cki/mirror/registry.example.com/app"
        );
        assert!(matches!(
            form("registry.com:8080/app", MirrorStyle::Familiar),
            Err(NoMirrorForm::Port { .. })
        ));
        assert!(matches!(
            form("[::1]:5000/app", MirrorStyle::Familiar),
            Err(NoMirrorForm::Ipv6 { .. }) | Err(NoMirrorForm::Port { .. })
        ));
    }

    #[test]
    fn a_files_style_is_what_its_docker_hub_mirrors_use() {
        let p = prefix();
        let refs = |raw: &[&str]| {
            raw.iter()
                .map(|r| Reference::parse(r).unwrap())
                .collect::<Vec<_>>()
        };
        let qualified = refs(&[
            "quay.io/cki/mirror/docker.io/library/nginx:1",
            "quay.io/cki/mirror/ghcr.io/a/b:1",
        ]);
        assert_eq!(
            MirrorStyle::of(&p, qualified.iter()),
            MirrorStyle::Qualified
        );
        let familiar = refs(&[
            "quay.io/cki/mirror/grafana/grafana:1",
            "registry.redhat.io/ubi9/ubi:9",
        ]);
        assert_eq!(MirrorStyle::of(&p, familiar.iter()), MirrorStyle::Familiar);
        assert_eq!(
            MirrorStyle::of(&p, std::iter::empty()),
            MirrorStyle::Familiar
        );
    }

    #[test]
    fn prefix_must_be_fully_qualified() {
        assert!(MirrorPrefix::parse("quay.io/cki/mirror/").is_ok());
        assert!(MirrorPrefix::parse("mirror").is_err());
        assert!(MirrorPrefix::parse("quay.io/cki/mirror:tag").is_err());
    }
}
