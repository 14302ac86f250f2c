//! What to mirror: one job per `IMAGES` entry under the mirror prefix, from its
//! upstream by digest to `<prefix>/<upstream>:<tag>`.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use crate::classify::{Classification, Kind, Unusable};
use crate::mirror_map::MirrorPrefix;
use crate::reference::is_pinned_sha256;
use crate::vars::VarsFile;

/// One image to mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The `IMAGES` name.
    pub entry: String,
    /// Upstream registry (`docker.io`) and repository path (`grafana/grafana`).
    pub source_domain: String,
    pub source_path: String,
    /// Mirror registry (`quay.io`) and repository path (`cki/mirror/grafana/grafana`).
    pub target_domain: String,
    pub target_path: String,
    pub tag: String,
    /// The pinned digest: what the upstream is fetched by and the tag must resolve to.
    pub digest: String,
}

impl Job {
    pub fn source(&self) -> String {
        format!(
            "{}/{}@{}",
            self.source_domain, self.source_path, self.digest
        )
    }

    pub fn target(&self) -> String {
        format!("{}/{}:{}", self.target_domain, self.target_path, self.tag)
    }
}

/// `I/N`: this job runs the I-th of N deterministic slices of the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let (index, count) = text.split_once('/').ok_or("expected I/N, such as 1/4")?;
        let index: u32 = index
            .trim()
            .parse()
            .map_err(|_| format!("{index:?} is not a number"))?;
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| format!("{count:?} is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("{index}/{count}: I must be between 1 and N"));
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// Entries are assigned by a hash of their name, so a shard keeps its entries when
    /// others are added or removed, and every machine agrees without coordination.
    pub fn includes(&self, name: &str) -> bool {
        let hash = Sha256::digest(name.as_bytes());
        let value = u64::from_be_bytes(hash[..8].try_into().expect("8 bytes"));
        value % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why a selected entry cannot be mirrored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("IMAGES has no entry named {0:?}")]
    UnknownEntry(String),
    #[error("IMAGES.{0} is not under the mirror prefix {1}; nothing to mirror")]
    NotMirrored(String, String),
    #[error("IMAGES.{entry}: {reason} (run `img-mirror check`)")]
    Unusable { entry: String, reason: String },
}

/// The jobs for the selected entries (all mirrored entries when `selected` is empty),
/// and the entries that cannot be mirrored. Asking for an entry that does not exist or
/// is not mirrored is an error of the request itself.
pub fn plan(
    vars: &VarsFile,
    prefix: &MirrorPrefix,
    selected: &[String],
    shard: Option<Shard>,
) -> Result<(Vec<Job>, Vec<PlanError>), PlanError> {
    for name in selected {
        let entry = vars
            .image(name)
            .ok_or_else(|| PlanError::UnknownEntry(name.clone()))?;
        if !Classification::of_entry(entry, prefix).is_under_prefix() {
            return Err(PlanError::NotMirrored(name.clone(), prefix.to_string()));
        }
    }
    let mut jobs = Vec::new();
    let mut unusable = Vec::new();
    for entry in &vars.images {
        if !selected.is_empty() && !selected.contains(&entry.name) {
            continue;
        }
        if shard.is_some_and(|s| !s.includes(&entry.name)) {
            continue;
        }
        let unusable_because = |reason: String| PlanError::Unusable {
            entry: entry.name.clone(),
            reason,
        };
        let classification = Classification::of_entry(entry, prefix);
        let (reference, upstream) = match classification.kind() {
            Kind::Mirrored { mirror, upstream } => (mirror, upstream),
            Kind::Unusable(Unusable::MirrorPath(problem)) => {
                unusable.push(unusable_because(problem.to_string()));
                continue;
            }
            Kind::Direct(_) | Kind::Unusable(Unusable::Malformed(_)) => continue,
        };
        let (Some(tag), Some(digest)) = (reference.tag(), reference.digest()) else {
            unusable.push(unusable_because(
                "it is not pinned as <image>:<tag>@sha256:<digest>".into(),
            ));
            continue;
        };
        if !is_pinned_sha256(digest) {
            unusable.push(unusable_because(format!("{digest} is not a sha256 digest")));
            continue;
        }
        let target = reference.name();
        let (target_domain, target_path) = target.split_once('/').expect("a name has a domain");
        // Pushes go only under the prefix; the plan never makes anything else.
        debug_assert!(prefix.covers(reference));
        jobs.push(Job {
            entry: entry.name.clone(),
            source_domain: upstream.domain().to_string(),
            source_path: upstream.path().to_string(),
            target_domain: target_domain.to_string(),
            target_path: target_path.to_string(),
            tag: tag.to_string(),
            digest: digest.to_string(),
        });
    }
    Ok((jobs, unusable))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const D: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn vars() -> VarsFile {
        let text = format!(
            "MP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n  grafana: quay.io/cki/mirror/grafana/grafana:11.2.0@{D}\n  tools: quay.io/cki/tools:1@{D}\n  unpinned: quay.io/cki/mirror/nginx:1\n  dex: quay.io/cki/mirror/ghcr.io/dexidp/dex:v2@{D}\n"
        );
        crate::vars::parse(Path::new("vars.yml"), text.into_bytes())
            .vars
            .unwrap()
    }

    fn prefix() -> MirrorPrefix {
        MirrorPrefix::parse("quay.io/cki/mirror").unwrap()
    }

    #[test]
    fn every_mirrored_entry_becomes_a_job_from_its_upstream_by_digest() {
        let (jobs, unusable) = plan(&vars(), &prefix(), &[], None).unwrap();
        let names: Vec<_> = jobs.iter().map(|j| j.entry.as_str()).collect();
        assert_eq!(names, ["grafana", "dex"]);
        assert_eq!(jobs[0].source(), format!("docker.io/grafana/grafana@{D}"));
        assert_eq!(
            jobs[0].target(),
            "quay.io/cki/mirror/grafana/grafana:11.2.0"
        );
        assert_eq!(jobs[1].source_domain, "ghcr.io");
        assert_eq!(unusable.len(), 1, "{unusable:?}");
    }

    #[test]
    fn selecting_entries_checks_they_exist_and_are_mirrored() {
        let (jobs, _) = plan(&vars(), &prefix(), &["dex".into()], None).unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(
            plan(&vars(), &prefix(), &["nope".into()], None),
            Err(PlanError::UnknownEntry("nope".into()))
        );
        assert!(matches!(
            plan(&vars(), &prefix(), &["tools".into()], None),
            Err(PlanError::NotMirrored(..))
        ));
    }

    #[test]
    fn shards_partition_the_entries() {
        let names: Vec<String> = (0..200).map(|i| format!("image_{i}")).collect();
        let shards: Vec<Shard> = (1..=4).map(|i| format!("{i}/4").parse().unwrap()).collect();
        for name in &names {
            assert_eq!(shards.iter().filter(|s| s.includes(name)).count(), 1);
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| names.iter().filter(|n| s.includes(n)).count())
            .collect();
        assert!(sizes.iter().all(|&n| n > 30), "{sizes:?}");
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }
}
