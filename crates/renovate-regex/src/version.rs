//! The Renovate release a repository runs, as far as it changes what img-mirror
//! reproduces: how the config file is parsed and migrated, which options a custom
//! manager may use and what validation says of them, which RE2 binding compiles the
//! patterns, and how templates render.
//!
//! Renovate 39.264.1 and 44.121.2 are the releases the conformance suite runs. Where
//! a behaviour changed at a known release it is keyed to that release; behaviours seen
//! to differ between the two whose release is not pinned down are keyed to 44.0.

use std::fmt;
use std::str::FromStr;

use super::re2::NodeRe2;
use super::template::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RenovateVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl RenovateVersion {
    /// The current Renovate img-mirror is tested against: the default.
    pub const CURRENT: RenovateVersion = RenovateVersion::new(44, 121, 2);
    /// The last release before `managerFilePatterns`, tested too.
    pub const V39: RenovateVersion = RenovateVersion::new(39, 264, 1);

    pub const fn new(major: u32, minor: u32, patch: u32) -> RenovateVersion {
        RenovateVersion {
            major,
            minor,
            patch,
        }
    }

    /// 40.2.0 (#34615): `managerFilePatterns` replaces `fileMatch`, which the
    /// migration turns into `/regex/` patterns; node-re2 1.26 replaces 1.21.
    pub fn has_manager_file_patterns(self) -> bool {
        self >= RenovateVersion::new(40, 2, 0)
    }

    /// 42.33.0 (#39204): templates see `packageFile` and `packageFileDir`.
    pub fn templates_see_package_file(self) -> bool {
        self >= RenovateVersion::new(42, 33, 0)
    }

    /// 43.91.0 (#42136): templates compile with `noEscape`.
    pub fn escapes_templates(self) -> bool {
        self < RenovateVersion::new(43, 91, 0)
    }

    /// Seen in 44, not in 39: `renovate.json` and `.renovaterc` may hold comments
    /// and trailing commas, and `*.jsonc` names are read; validation parses templates
    /// (39 compiles them against the config); a manager may give only a
    /// `currentDigest`; 44's helpers (`uppercase`, `decodeBase64`, `add`) and
    /// `renovateVersion`.
    pub fn is_44_generation(self) -> bool {
        self.major >= 44
    }

    pub fn node_re2(self) -> NodeRe2 {
        if self.has_manager_file_patterns() {
            NodeRe2::V1_26
        } else {
            NodeRe2::V1_21
        }
    }

    /// How this release renders templates.
    pub fn dialect(self) -> Dialect {
        let base = if self.is_44_generation() {
            Dialect::RENOVATE_44
        } else {
            Dialect::RENOVATE_39
        };
        Dialect {
            escape: self.escapes_templates(),
            helpers: super::template::Helpers {
                engine: self.node_re2(),
                ..base.helpers
            },
            ..base
        }
    }
}

impl Default for RenovateVersion {
    fn default() -> RenovateVersion {
        RenovateVersion::CURRENT
    }
}

impl fmt::Display for RenovateVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for RenovateVersion {
    type Err = String;

    /// `44`, `39.264`, `39.264.1` or `v44.121.2`; a missing part is 0.
    fn from_str(text: &str) -> Result<RenovateVersion, String> {
        let bare = text.trim().trim_start_matches('v');
        let parts: Vec<&str> = bare.split('.').collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "{text:?} is not a Renovate version (write 44, 44.121 or 44.121.2)"
            ));
        }
        let number = |part: &str| {
            part.parse::<u32>().map_err(|_| {
                format!("{text:?} is not a Renovate version (write 44, 44.121 or 44.121.2)")
            })
        };
        let major = number(parts[0])?;
        if !(20..1000).contains(&major) {
            return Err(format!(
                "{text:?}: Renovate {major} is not a release img-mirror knows"
            ));
        }
        Ok(RenovateVersion {
            major,
            minor: parts.get(1).map_or(Ok(0), |p| number(p))?,
            patch: parts.get(2).map_or(Ok(0), |p| number(p))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_key_behaviours() {
        let v: RenovateVersion = "39.264.1".parse().unwrap();
        assert_eq!(v, RenovateVersion::V39);
        assert!(!v.has_manager_file_patterns() && v.escapes_templates());
        let current: RenovateVersion = "v44".parse().unwrap();
        assert!(current.has_manager_file_patterns() && !current.escapes_templates());
        assert!(
            "40.2"
                .parse::<RenovateVersion>()
                .unwrap()
                .has_manager_file_patterns()
        );
        assert!(
            !"40.1.9"
                .parse::<RenovateVersion>()
                .unwrap()
                .has_manager_file_patterns()
        );
        assert!("latest".parse::<RenovateVersion>().is_err());
        assert!("4".parse::<RenovateVersion>().is_err());
        assert!("44..1".parse::<RenovateVersion>().is_err());
        assert_eq!(RenovateVersion::default().to_string(), "44.121.2");
    }
}
