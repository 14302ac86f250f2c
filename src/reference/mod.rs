//! Container image references, parsed once by the distribution/reference grammar.
//!
//! A [`Reference`] keeps the text the user wrote, so every message can quote it, and
//! the byte spans of its name, tag and digest, so edits can touch only those bytes.
//! Normalisation follows Docker's: `nginx` is `docker.io/library/nginx` and
//! `index.docker.io` is `docker.io`. The grammar is strict on purpose: anything that
//! could smuggle URL syntax into a registry request (`..`, `%2F`, `?`, `#`, spaces,
//! upper case in a path) is rejected here, before any request exists.

mod grammar;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use grammar::{is_digest, is_domain, is_hex_identifier, is_path_component, is_tag};

/// Docker Hub's canonical registry name.
pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's legacy name, normalised to [`DOCKER_HUB`].
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
/// Docker Hub's namespace for single-component names (`nginx` is `library/nginx`).
const OFFICIAL_NAMESPACE: &str = "library";
/// distribution/reference's `RepositoryNameTotalLengthMax`: since its commit aaca75e
/// (2024) the limit applies to the repository path, not to `domain/path`.
pub const NAME_MAX_LEN: usize = 255;

/// Why a reference does not parse. The message names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid image reference {raw:?}: {reason}")]
pub struct ReferenceError {
    pub raw: String,
    pub reason: String,
}

/// A parsed, normalised image reference that remembers how it was written.
#[derive(Debug, Clone)]
pub struct Reference {
    /// The text as written is `text[start..]`: its own copy, or the text of the
    /// reference it ends (a mirrored entry's upstream), so the two share one copy.
    text: Arc<str>,
    start: u32,
    domain: Part,
    path: Part,
    /// The name as written is `raw[..name_end]`.
    name_end: u32,
    tag_span: Option<Span>,
    digest_span: Option<Span>,
}

/// A byte range of `raw`. References are at most a few hundred bytes, and a check holds
/// two for each of tens of thousands of entries: spans and parts are kept small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn of(range: Range<usize>) -> Span {
        Span {
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A normalised part of the name: most often exactly as written, so no copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Written(Span),
    DockerHub,
    Normalised(Box<str>),
}

/// Two references are equal when they were written alike: everything else is read
/// from the text.
impl PartialEq for Reference {
    fn eq(&self, other: &Reference) -> bool {
        self.raw() == other.raw()
    }
}

impl Eq for Reference {}

impl Reference {
    /// Parses `raw` by the distribution/reference grammar and normalises its name.
    pub fn parse(raw: &str) -> Result<Reference, ReferenceError> {
        Reference::parse_in(&Arc::from(raw), 0, None)
    }

    /// [`Reference::parse`], keeping `text` itself as the reference's copy.
    pub fn parse_shared(text: &Arc<str>) -> Result<Reference, ReferenceError> {
        Reference::parse_in(text, 0, None)
    }

    /// Parses the text this reference ends with, `suffix` (a slice of [`Reference::raw`]),
    /// sharing this reference's copy of it. `None` when `suffix` is not such a slice.
    pub fn parse_suffix(&self, suffix: &str) -> Option<Result<Reference, ReferenceError>> {
        let raw = self.raw();
        let offset = (suffix.as_ptr() as usize).checked_sub(raw.as_ptr() as usize)?;
        (offset + suffix.len() == raw.len())
            .then(|| Reference::parse_in(&self.text, self.start as usize + offset, Some(self)))
    }

    /// Parses `text[start..]`, keeping `text` as the reference's copy. `ending`: a
    /// reference whose text ends with this one's, already checked: its characters, and
    /// its tag and digest where they are this one's, need no second look.
    fn parse_in(
        text: &Arc<str>,
        start: usize,
        ending: Option<&Reference>,
    ) -> Result<Reference, ReferenceError> {
        let raw = &text[start..];
        // Where `ending`'s spans fall in `raw`.
        let checked = |span: &Range<usize>, of: fn(&Reference) -> Option<Range<usize>>| {
            ending.is_some_and(|ending| {
                let shift = ending.raw().len() - raw.len();
                of(ending) == Some(span.start + shift..span.end + shift)
            })
        };
        let fail = |reason: String| ReferenceError {
            raw: raw.to_string(),
            reason,
        };
        if raw.is_empty() {
            return Err(fail("it is empty".into()));
        }
        // Printable ASCII, as nearly every reference is, holds neither; only other text
        // needs the Unicode tables. The end of a checked reference was checked with it.
        let needs_unicode_check =
            ending.is_none() && !grammar::every_byte(raw.as_bytes(), |b| b.is_ascii_graphic());
        if needs_unicode_check
            && let Some(bad) = raw.chars().find(|c| c.is_whitespace() || c.is_control())
        {
            return Err(fail(format!("it contains {bad:?}")));
        }

        let (name_and_tag, digest_span) = match memchr::memchr(b'@', raw.as_bytes()) {
            Some(at) => (&raw[..at], Some(at + 1..raw.len())),
            None => (raw, None),
        };
        if let Some(span) = &digest_span
            && !checked(span, Reference::digest_span)
        {
            let digest = &raw[span.clone()];
            if !is_digest(digest) {
                return Err(fail(format!(
                    "digest {digest:?} is not of the form algorithm:hex (at least 32 hex digits)"
                )));
            }
        }

        // The last `:` after the last `/`, in one pass from the end.
        let tag_colon = name_and_tag
            .bytes()
            .rposition(|b| b == b':' || b == b'/')
            .filter(|&at| name_and_tag.as_bytes()[at] == b':');
        let (name, tag_span) = match tag_colon {
            Some(colon) => (&name_and_tag[..colon], Some(colon + 1..name_and_tag.len())),
            None => (name_and_tag, None),
        };
        if let Some(span) = &tag_span
            && !checked(span, Reference::tag_span)
        {
            let tag = &raw[span.clone()];
            if !is_tag(tag) {
                return Err(fail(format!(
                    "tag {tag:?} must be 1 to 128 of A-Z a-z 0-9 _ . - and not start with . or -"
                )));
            }
        }
        if name.is_empty() {
            return Err(fail("the repository name is empty".into()));
        }
        let (domain, path) = split_domain(name);
        if let Some(domain) = domain
            && !is_domain(domain)
        {
            return Err(fail(format!(
                "registry {domain:?} is not a valid host[:port]"
            )));
        }
        // A mirror's upstream is whole components of the mirror's path, checked there.
        let path_checked = ending.is_some_and(|ending| {
            let start =
                ending.raw().len() - raw.len() + (path.as_ptr() as usize - raw.as_ptr() as usize);
            matches!(ending.domain, Part::Written(domain) if start > domain.end as usize)
                && ending.raw().as_bytes()[start - 1] == b'/'
                && start + path.len() <= ending.name_end as usize
        });
        for component in path.as_bytes().split(|&b| b == b'/') {
            if path_checked || is_path_component(component) {
                continue;
            }
            let component = std::str::from_utf8(component).expect("split at an ASCII byte");
            let reason = if component.is_empty() {
                "the repository path has an empty component".to_string()
            } else if component.chars().any(|c| c.is_ascii_uppercase())
                && is_path_component(component.to_ascii_lowercase())
            {
                format!("repository name must be lowercase ({component:?})")
            } else {
                format!(
                    "path component {component:?} must be lowercase letters and digits joined by . _ __ or dashes"
                )
            };
            return Err(fail(reason));
        }
        // `ParseNormalizedNamed` refuses only an input that is exactly 64 hex digits (an
        // image ID); `docker.io/library/<hex>` or `<hex>:tag` are repositories.
        if is_hex_identifier(raw) {
            return Err(fail(
                "a 64-character hexadecimal name is an image ID, not a repository".into(),
            ));
        }

        // `text` is longer than any span in it only when it is over 4 GiB.
        if u32::try_from(text.len()).is_err() {
            return Err(fail("it is longer than 4 GiB".into()));
        }
        // `domain` and `path` are slices of `raw`: where they start in it.
        let written = |part: &str| {
            let start = part.as_ptr() as usize - raw.as_ptr() as usize;
            debug_assert!(raw.get(start..start + part.len()) == Some(part));
            Part::Written(Span::of(start..start + part.len()))
        };
        let is_docker_hub = matches!(domain, None | Some(DOCKER_HUB | LEGACY_DOCKER_HUB));
        let domain_part = match domain {
            Some(DOCKER_HUB | LEGACY_DOCKER_HUB) | None => Part::DockerHub,
            Some(other) => written(other),
        };
        let (path_part, path_len) = if is_docker_hub && !path.contains('/') {
            let mut official = String::with_capacity(OFFICIAL_NAMESPACE.len() + 1 + path.len());
            official.push_str(OFFICIAL_NAMESPACE);
            official.push('/');
            official.push_str(path);
            let len = official.len();
            (Part::Normalised(official.into()), len)
        } else {
            (written(path), path.len())
        };
        // The limit is on the normalised path (`nginx` is checked as `library/nginx`).
        if path_len > NAME_MAX_LEN {
            return Err(fail(format!(
                "the repository path is {path_len} characters long, more than {NAME_MAX_LEN}"
            )));
        }
        Ok(Reference {
            text: text.clone(),
            start: start as u32,
            domain: domain_part,
            path: path_part,
            name_end: name.len() as u32,
            tag_span: tag_span.map(Span::of),
            digest_span: digest_span.map(Span::of),
        })
    }

    fn part<'a>(&'a self, part: &'a Part) -> &'a str {
        match part {
            Part::Written(span) => &self.raw()[span.range()],
            Part::DockerHub => DOCKER_HUB,
            Part::Normalised(text) => text,
        }
    }

    /// The text as written.
    pub fn raw(&self) -> &str {
        &self.text[self.start as usize..]
    }
    /// Registry host (and port), normalised: `docker.io` for Docker Hub.
    pub fn domain(&self) -> &str {
        self.part(&self.domain)
    }
    /// Repository path inside the registry, normalised (`library/nginx`).
    pub fn path(&self) -> &str {
        self.part(&self.path)
    }
    /// Fully qualified repository name, such as `docker.io/library/nginx`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain(), self.path())
    }
    pub fn tag(&self) -> Option<&str> {
        self.tag_span.map(|span| &self.raw()[span.range()])
    }
    pub fn digest(&self) -> Option<&str> {
        self.digest_span.map(|span| &self.raw()[span.range()])
    }
    /// Byte span of the name as written (before any normalisation).
    pub fn name_span(&self) -> Range<usize> {
        0..self.name_end as usize
    }
    pub fn tag_span(&self) -> Option<Range<usize>> {
        self.tag_span.map(Span::range)
    }
    pub fn digest_span(&self) -> Option<Range<usize>> {
        self.digest_span.map(Span::range)
    }
    /// The name exactly as written, without tag or digest.
    pub fn written_name(&self) -> &str {
        &self.raw()[self.name_span()]
    }
    /// What follows the name as written: `:tag@digest`, either, or nothing.
    pub fn tag_and_digest(&self) -> &str {
        &self.raw()[self.name_end as usize..]
    }
    /// True when the registry host carries an explicit port (`host:5000`).
    pub fn has_port(&self) -> bool {
        let domain = self.domain();
        domain
            .rsplit_once(']')
            .map_or(domain, |(_, rest)| rest)
            .contains(':')
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw())
    }
}

/// A registry host as one name: Docker Hub's aliases (`index.docker.io`,
/// `registry-1.docker.io`) become `docker.io`, and hosts are case-insensitive.
pub fn canonical_registry_host(host: &str) -> String {
    match host.to_ascii_lowercase().as_str() {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.to_string(),
        other => other.to_string(),
    }
}

/// Whether go-digest's `Parse` takes `digest` (what distribution/reference's `Parse`
/// does after its grammar): a registered algorithm with its exact length of lowercase
/// hex. The grammar alone takes any `algorithm:hex`; IM105 says what is wrong with one.
pub fn is_registered_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == length && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// True for the only digest form `IMAGES` accepts: `sha256:` and 64 lowercase hex digits.
pub fn is_pinned_sha256(digest: &str) -> bool {
    grammar::is_pinned_sha256(digest)
}

/// Docker's rule for the registry part: the first component is a registry only when it
/// contains `.` or `:`, is `localhost`, or has upper case (which no path may have).
fn split_domain(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((first, rest))
            if first
                .bytes()
                .any(|b| b == b'.' || b == b':' || b.is_ascii_uppercase())
                || first == "localhost" =>
        {
            (Some(first), rest)
        }
        _ => (None, name),
    }
}

/// Whether a repository name (`host/path`, no tag) is well-formed; used for prefixes.
pub fn parse_repository_name(raw: &str) -> Result<Reference, ReferenceError> {
    let reference = Reference::parse(raw)?;
    if reference.tag().is_some() || reference.digest().is_some() {
        return Err(ReferenceError {
            raw: raw.to_string(),
            reason: "a repository name takes no tag or digest".into(),
        });
    }
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST_HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn parse(raw: &str) -> Reference {
        Reference::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    fn reason(raw: &str) -> String {
        Reference::parse(raw).expect_err(raw).reason
    }

    #[test]
    fn official_image_normalises_to_docker_hub_library() {
        let r = parse("nginx");
        assert_eq!(r.name(), "docker.io/library/nginx");
        assert_eq!(r.written_name(), "nginx");
        assert_eq!(
            parse("index.docker.io/nginx").name(),
            "docker.io/library/nginx"
        );
        assert_eq!(
            parse("docker.io/grafana/grafana").name(),
            "docker.io/grafana/grafana"
        );
    }

    #[test]
    fn first_component_is_a_domain_only_with_dot_colon_localhost_or_upper_case() {
        assert_eq!(parse("localhost/foo").domain(), "localhost");
        assert_eq!(parse("localhost:5000/foo").domain(), "localhost:5000");
        assert_eq!(parse("quay.io/cki/x").domain(), "quay.io");
        assert_eq!(parse("grafana/grafana").domain(), "docker.io");
        assert_eq!(parse("Registry/foo").domain(), "Registry");
        assert_eq!(parse("[::1]:5000/foo").domain(), "[::1]:5000");
        assert!(parse("[::1]:5000/foo").has_port());
        assert!(!parse("quay.io/foo").has_port());
    }

    /// An upstream parsed from the end of its mirror entry shares the entry's text and
    /// is the reference a parse of its own text gives.
    #[test]
    fn a_suffix_shares_the_text_it_ends() {
        let raw = format!("quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:{DIGEST_HEX}");
        let mirror = parse(&raw);
        let rest = &mirror.raw()["quay.io/cki/mirror/".len()..];
        let upstream = mirror.parse_suffix(rest).unwrap().unwrap();
        assert_eq!(upstream, parse(rest));
        assert!(Arc::ptr_eq(&upstream.text, &mirror.text));
        assert_eq!(upstream.name(), "docker.io/grafana/grafana");
        assert_eq!(upstream.tag(), Some("11.2.0"));
        assert_eq!(&upstream.raw()[upstream.name_span()], "grafana/grafana");
        assert_eq!(upstream.to_string(), rest);
        // Not the end of the mirror's text: a slice of something else, or of its middle.
        assert!(mirror.parse_suffix("grafana/grafana:11.2.0").is_none());
        assert!(mirror.parse_suffix(&mirror.raw()[19..34]).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Every suffix of a reference parses from its end as it parses alone: the
        /// checks the end's parse skips (its characters, tag, digest and path
        /// components) were made on the whole, or are made again.
        #[test]
        fn a_suffix_parses_as_its_own_text_does(
            raw in "(quay\\.io|[a-zA-Z0-9.:_-]{1,8})/[a-z0-9._/A-Z-]{1,24}(:[a-zA-Z0-9._-]{1,6})?(@sha256:[0-9a-f]{32})?",
        ) {
            let Ok(whole) = Reference::parse(&raw) else {
                return Ok(());
            };
            for start in 1..whole.raw().len() {
                let suffix = &whole.raw()[start..];
                let from_the_end = whole.parse_suffix(suffix).expect("a suffix of its text");
                match (from_the_end, Reference::parse(suffix)) {
                    (Ok(ours), Ok(alone)) => proptest::prop_assert_eq!(ours, alone),
                    (Err(_), Err(_)) => {}
                    (ours, alone) => proptest::prop_assert!(
                        false,
                        "{suffix:?} of {raw:?}: {ours:?} from the end, {alone:?} alone"
                    ),
                }
            }
        }
    }

    #[test]
    fn tag_and_digest_spans_point_into_the_raw_text() {
        let raw = format!("quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:{DIGEST_HEX}");
        let r = parse(&raw);
        assert_eq!(&raw[r.name_span()], "quay.io/cki/mirror/grafana/grafana");
        assert_eq!(&raw[r.tag_span().unwrap()], "11.2.0");
        assert_eq!(
            &raw[r.digest_span().unwrap()],
            format!("sha256:{DIGEST_HEX}")
        );
        assert_eq!(r.tag(), Some("11.2.0"));
    }

    #[test]
    fn port_colon_is_not_a_tag() {
        let r = parse("localhost:5000/foo");
        assert_eq!(r.tag(), None);
        let r = parse("localhost:5000/foo:1.0");
        assert_eq!(r.tag(), Some("1.0"));
    }

    #[test]
    fn real_world_tags_parse() {
        for tag in [
            "RELEASE.2024-09-13T20-26-02Z",
            "9.4-1181",
            "v2.54.1",
            "cli",
            "_x",
            "A",
        ] {
            assert_eq!(
                parse(&format!("quay.io/minio/minio:{tag}")).tag(),
                Some(tag)
            );
        }
    }

    #[test]
    fn tag_grammar_is_enforced() {
        assert!(reason("nginx:.hidden").contains("tag"));
        assert!(reason("nginx:-x").contains("tag"));
        assert!(reason(&format!("nginx:{}", "a".repeat(129))).contains("tag"));
        parse(&format!("nginx:{}", "a".repeat(128)));
    }

    #[test]
    fn path_components_are_lowercase_with_grammar_separators() {
        parse("a/b__c/d.e/f-g/h---i/j_k");
        assert!(reason("quay.io/Foo/bar").contains("lowercase"));
        assert!(reason("quay.io/a___b").contains("path component"));
        assert!(reason("quay.io/a/../b").contains("path component"));
        assert!(reason("quay.io/a//b").contains("empty component"));
        assert!(reason("quay.io/a-").contains("path component"));
        assert!(reason("quay.io/a%2Fb").contains("path component"));
    }

    #[test]
    fn url_syntax_and_whitespace_are_rejected() {
        for raw in [
            "quay.io/a?b",
            "quay.io/a#b",
            "quay.io/a b",
            "quay.io/a\tb",
            " nginx",
        ] {
            assert!(Reference::parse(raw).is_err(), "{raw}");
        }
        assert!(reason("").contains("empty"));
    }

    #[test]
    fn domain_grammar_is_enforced() {
        assert!(reason("-bad.io/x").contains("registry"));
        assert!(reason("bad.io:port/x").contains("registry"));
    }

    #[test]
    fn name_length_limit_counts_the_path_not_the_domain() {
        // distribution/reference since aaca75e: 255 characters of path, any domain.
        let long = format!("quay.io/{}", "a".repeat(NAME_MAX_LEN));
        parse(&long);
        assert!(reason(&format!("{long}a")).contains("more than 255"));
    }

    #[test]
    fn name_length_limit_counts_the_normalised_path() {
        // `nginx`-style names are checked as `library/...`.
        let fits = "a".repeat(NAME_MAX_LEN - "library/".len());
        assert_eq!(Reference::parse(&fits).unwrap().path().len(), NAME_MAX_LEN);
        assert!(reason(&format!("{fits}a")).contains("more than 255"));
        let familiar = format!("org/{}", "a".repeat(NAME_MAX_LEN - 4));
        parse(&familiar);
    }

    #[test]
    fn digest_grammar_accepts_any_algorithm_but_pinning_needs_sha256() {
        let upper = format!("nginx@sha256:{}", DIGEST_HEX.to_uppercase());
        assert!(parse(&upper).digest().is_some());
        assert!(!is_pinned_sha256(parse(&upper).digest().unwrap()));
        assert!(is_pinned_sha256(&format!("sha256:{DIGEST_HEX}")));
        assert!(!is_pinned_sha256(&format!("sha512:{DIGEST_HEX}")));
        assert!(!is_pinned_sha256(&format!("sha256:{}", &DIGEST_HEX[1..])));
        assert!(reason("nginx@sha256:abc").contains("digest"));
        assert!(reason("nginx@md5").contains("digest"));
    }

    #[test]
    fn bare_hex_identifier_is_not_a_repository() {
        assert!(reason(DIGEST_HEX).contains("image ID"));
    }

    #[test]
    fn repository_names_take_no_tag() {
        assert!(parse_repository_name("quay.io/cki/mirror").is_ok());
        assert!(parse_repository_name("quay.io/cki/mirror:1").is_err());
    }
}
