//! `.img-mirror.toml`: a repository's own settings, at its root, so every user and CI job
//! runs `check` the same way without repeating flags.
//!
//! ```toml
//! mirror-prefix = "quay.io/cki/mirror"   # --mirror-prefix / IMG_MIRROR_PREFIX win
//! vars = "deploy/vars.yml"               # relative to the repository; --vars wins
//! renovate-version = "44"                # the Renovate it runs; --renovate-version wins
//! referrers = "signatures"               # what travels with an image: all (the
//!                                        # default), signatures or none; --referrers wins
//! keep-revisions = 20                    # prune keeps what the last N revisions of
//!                                        # vars.yml reference; --keep-revisions wins
//!
//! [presets]                              # repository presets, read from local checkouts
//! "cki-project/renovate-presets" = "../renovate-presets"
//!
//! [rules]                                # a code or a rule name: "off", "warning", "error"
//! IM302 = "off"
//! needless-mirror = "error"
//!
//! [templates]
//! exclude = ["docs/**", "legacy/*.j2"]   # left out of the template scan (globs)
//! ```
//!
//! An unknown key, an unknown rule or a bad value is an error naming the file's line.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Code, Diagnostic, Severity};
use crate::mirror_map::MirrorPrefix;

/// The settings file's name, at the repository's root.
pub const FILE_NAME: &str = ".img-mirror.toml";

/// A file larger than this is not a settings file.
const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    mirror_prefix: Option<Spanned<String>>,
    vars: Option<PathBuf>,
    renovate_version: Option<Spanned<String>>,
    referrers: Option<crate::mirror::ReferrerPolicy>,
    keep_revisions: Option<usize>,
    #[serde(default)]
    presets: std::collections::BTreeMap<String, PathBuf>,
    #[serde(default)]
    rules: std::collections::BTreeMap<Spanned<String>, Level>,
    #[serde(default)]
    templates: Templates,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Templates {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

/// What a rule is set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Warning,
    Error,
}

/// The settings of one repository; empty when it has no settings file.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The file they came from.
    pub path: Option<PathBuf>,
    pub mirror_prefix: Option<MirrorPrefix>,
    /// The vars file, relative to the repository.
    pub vars: Option<PathBuf>,
    /// The Renovate release the repository runs.
    pub renovate_version: Option<crate::renovate::version::RenovateVersion>,
    /// What travels with each image copied.
    pub referrers: Option<crate::mirror::ReferrerPolicy>,
    /// How many revisions of vars.yml `prune` keeps the images of.
    pub keep_revisions: Option<usize>,
    /// Repository presets' local checkouts, relative paths taken from the settings
    /// file's folder.
    pub presets: Vec<(String, PathBuf)>,
    pub rules: Vec<(&'static Code, Level)>,
    pub template_exclude: Option<globset::GlobSet>,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the file is over {MAX_BYTES} bytes; a settings file is a few lines")]
    TooLarge { path: String },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

impl Settings {
    /// `repo`'s settings file, if it has one.
    pub fn load(repo: &Path) -> Result<Settings, SettingsError> {
        let path = repo.join(FILE_NAME);
        let shown = path.display().to_string();
        let read_error = |source| SettingsError::Read {
            path: shown.clone(),
            source,
        };
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Settings::default());
            }
            Err(error) => return Err(read_error(error)),
        };
        if metadata.len() > MAX_BYTES {
            return Err(SettingsError::TooLarge { path: shown });
        }
        let text = std::fs::read_to_string(&path).map_err(read_error)?;
        Settings::parse(&path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Settings, SettingsError> {
        let invalid = |span: Option<std::ops::Range<usize>>, message: String| {
            let offset = span.map_or(0, |span| span.start).min(text.len());
            let line = text[..offset].matches('\n').count() + 1;
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            SettingsError::Invalid {
                path: path.display().to_string(),
                line,
                column: text[line_start..offset].chars().count() + 1,
                message,
            }
        };
        let file: File = toml::from_str(text)
            .map_err(|error| invalid(error.span(), error.message().trim().to_string()))?;
        let mirror_prefix = file
            .mirror_prefix
            .map(|prefix| {
                MirrorPrefix::parse(prefix.get_ref())
                    .map_err(|e| invalid(Some(prefix.span()), format!("mirror-prefix: {e}")))
            })
            .transpose()?;
        let renovate_version =
            file.renovate_version
                .map(|version| {
                    version.get_ref().parse().map_err(|e| {
                        invalid(Some(version.span()), format!("renovate-version: {e}"))
                    })
                })
                .transpose()?;
        let mut rules = Vec::new();
        for (rule, level) in file.rules {
            let code = crate::lint::find_code(rule.get_ref()).ok_or_else(|| {
                invalid(
                    Some(rule.span()),
                    format!(
                        "rules: no rule {:?} (`img-mirror explain` lists them)",
                        rule.get_ref()
                    ),
                )
            })?;
            rules.push((code, level));
        }
        let template_exclude = if file.templates.exclude.is_empty() {
            None
        } else {
            let mut builder = globset::GlobSetBuilder::new();
            for pattern in &file.templates.exclude {
                let glob = globset::GlobBuilder::new(pattern.get_ref())
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        invalid(Some(pattern.span()), format!("templates.exclude: {e}"))
                    })?;
                builder.add(glob);
            }
            Some(
                builder
                    .build()
                    .map_err(|e| invalid(None, format!("templates.exclude: {e}")))?,
            )
        };
        Ok(Settings {
            path: Some(path.to_path_buf()),
            mirror_prefix,
            vars: file.vars,
            renovate_version,
            referrers: file.referrers,
            keep_revisions: file.keep_revisions,
            presets: file
                .presets
                .into_iter()
                .map(|(name, dir)| {
                    let dir = match path.parent() {
                        Some(base) if dir.is_relative() => base.join(dir),
                        _ => dir,
                    };
                    (name, dir)
                })
                .collect(),
            rules,
            template_exclude,
        })
    }

    /// Whether the template scan leaves `relative` (repository-relative) out.
    pub fn excludes_template(&self, relative: &str) -> bool {
        self.template_exclude
            .as_ref()
            .is_some_and(|set| set.is_match(relative))
    }

    /// The findings with the configured levels: dropped when off, re-levelled otherwise.
    pub fn apply(&self, diagnostics: &mut Vec<Diagnostic>) {
        if self.rules.is_empty() {
            return;
        }
        diagnostics.retain_mut(|diagnostic| {
            match self
                .rules
                .iter()
                .find(|(code, _)| code.code == diagnostic.code.code)
            {
                Some((_, Level::Off)) => false,
                Some((_, Level::Warning)) => {
                    diagnostic.severity = Severity::Warning;
                    true
                }
                Some((_, Level::Error)) => {
                    diagnostic.severity = Severity::Error;
                    true
                }
                None => true,
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse(Path::new(".img-mirror.toml"), text)
    }

    #[test]
    fn every_setting_is_read() {
        let settings = parse(
            "mirror-prefix = \"quay.io/other/mirror\"\nvars = \"deploy/vars.yml\"\nrenovate-version = \"39.264\"\nreferrers = \"signatures\"\n\n[rules]\nIM302 = \"off\"\nneedless-mirror = \"error\"\n\n[templates]\nexclude = [\"docs/**\"]\n",
        )
        .unwrap();
        assert_eq!(
            settings.mirror_prefix.as_ref().unwrap().to_string(),
            "quay.io/other/mirror"
        );
        assert_eq!(settings.vars.as_deref(), Some(Path::new("deploy/vars.yml")));
        assert_eq!(
            settings.renovate_version.map(|v| v.to_string()).as_deref(),
            Some("39.264.0")
        );
        assert_eq!(
            settings.referrers,
            Some(crate::mirror::ReferrerPolicy::Signatures)
        );
        let rules: Vec<(&str, Level)> = settings.rules.iter().map(|(c, l)| (c.code, *l)).collect();
        assert_eq!(rules, [("IM302", Level::Off), ("IM106", Level::Error)]);
        assert!(settings.excludes_template("docs/a/b.j2"));
        assert!(!settings.excludes_template("openshift/docs.j2"));
    }

    #[test]
    fn mistakes_name_the_line_and_column() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            message("mirror-prefix = \"quay.io/x\"\nmirror_prefix = \"y\"\n"),
            ".img-mirror.toml:2:1: unknown field `mirror_prefix`, expected one of `mirror-prefix`, `vars`, `renovate-version`, `referrers`, `keep-revisions`, `presets`, `rules`, `templates`"
        );
        assert!(
            message("[rules]\nIM999 = \"off\"\n")
                .starts_with(".img-mirror.toml:2:1: rules: no rule \"IM999\""),
        );
        assert!(
            message("[rules]\nIM101 = \"loud\"\n")
                .starts_with(".img-mirror.toml:2:9: unknown variant `loud`"),
            "{}",
            message("[rules]\nIM101 = \"loud\"\n")
        );
        assert!(
            message("mirror-prefix = \"https://quay.io/x\"\n")
                .starts_with(".img-mirror.toml:1:17: mirror-prefix:"),
            "{}",
            message("mirror-prefix = \"https://quay.io/x\"\n")
        );
        assert!(
            message("[templates]\nexclude = [\"a[\"]\n")
                .starts_with(".img-mirror.toml:2:12: templates.exclude:")
        );
        assert!(message("vars = 3\n").starts_with(".img-mirror.toml:1:8:"));
        assert!(
            message("referrers = \"some\"\n")
                .starts_with(".img-mirror.toml:1:13: unknown variant `some`, expected one of `all`, `signatures`, `none`"),
            "{}",
            message("referrers = \"some\"\n")
        );
        assert!(
            message("renovate-version = \"latest\"\n")
                .starts_with(".img-mirror.toml:1:20: renovate-version:")
        );
    }
}
