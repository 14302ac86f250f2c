//! A regex custom manager compiled for use: its regexes with RE2 semantics, its
//! templates parsed, its file patterns ready. Compilation fails quietly here; the
//! validator says why, with Renovate's own messages.

use super::config::ManagerConfig;
use super::file_match::FilePattern;
use super::re2::{self, NodeRe2, Pattern};
use super::template::Template;
use super::version::RenovateVersion;

/// The dependency fields a regex manager fills, in Renovate's order (`validMatchFields`).
pub const FIELDS: [&str; 10] = [
    "depName",
    "packageName",
    "currentValue",
    "currentDigest",
    "datasource",
    "versioning",
    "extractVersion",
    "registryUrl",
    "depType",
    "indentation",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Any,
    Recursive,
    Combination,
}

impl Strategy {
    /// Renovate treats anything unknown as `any` (the validator reports it).
    pub fn parse(value: Option<&str>) -> Strategy {
        match value {
            Some("recursive") => Strategy::Recursive,
            Some("combination") => Strategy::Combination,
            _ => Strategy::Any,
        }
    }
}

/// A custom manager ready to extract.
#[derive(Debug, Clone)]
pub struct Manager {
    pub key_path: String,
    pub strategy: Strategy,
    pub match_strings: Vec<String>,
    pub regexes: Vec<Pattern>,
    /// The node-re2 whose rewrite the patterns get: that of the Renovate the
    /// repository runs (1.26 from 40.2, 1.21 before).
    pub engine: NodeRe2,
    /// The Renovate the repository runs.
    pub version: RenovateVersion,
    /// `<field>Template` for each of [`FIELDS`], when set.
    pub templates: Vec<Option<Template>>,
    pub auto_replace_template: Option<Template>,
    /// The manager comes from a preset, which serves many repositories.
    pub from_preset: bool,
    files: FileSelector,
}

impl Manager {
    /// `None` when the manager is not a regex manager or something in it does not
    /// compile; such a manager extracts nothing, in Renovate too.
    pub fn compile(config: &ManagerConfig) -> Option<Manager> {
        if config.custom_type() != Some("regex") {
            return None;
        }
        let match_strings = config.strings("matchStrings");
        let engine = engine_for(config);
        let dialect = config.version.dialect();
        let regexes = match_strings
            .iter()
            .map(|pattern| re2::compile(pattern, false, engine).ok())
            .collect::<Option<Vec<_>>>()?;
        let templates = FIELDS
            .iter()
            .map(|field| match config.string(&format!("{field}Template")) {
                Some(source) if !source.is_empty() => {
                    Template::parse(source, dialect).ok().map(Some)
                }
                _ => Some(None),
            })
            .collect::<Option<Vec<_>>>()?;
        let auto_replace_template = match config.string("autoReplaceStringTemplate") {
            Some(source) if !source.is_empty() => Some(Template::parse(source, dialect).ok()?),
            _ => None,
        };
        let files = FileSelector::of(config)?;
        Some(Manager {
            key_path: config.shown(),
            strategy: Strategy::parse(config.string("matchStringsStrategy")),
            match_strings,
            regexes,
            engine,
            version: config.version,
            templates,
            auto_replace_template,
            from_preset: config.preset.is_some(),
            files,
        })
    }

    /// Whether this manager reads `path` (repository-relative, `/` separators). Either
    /// form selects the file, so a config written for either Renovate generation works.
    pub fn reads(&self, path: &str) -> bool {
        self.files.reads(path)
    }

    /// The bytes none of the manager's patterns tell apart.
    pub fn byte_classes(&self) -> re2::ByteClasses {
        re2::ByteClasses::common(self.regexes.iter().map(Pattern::byte_classes))
    }

    pub fn template(&self, field: &str) -> Option<&Template> {
        let index = FIELDS.iter().position(|f| *f == field)?;
        self.templates[index].as_ref()
    }
}

#[derive(Debug, Clone)]
/// A manager's file patterns alone, compiled: what a check asks of a preset's managers
/// before paying for their matchStrings.
pub struct FileSelector {
    patterns: Vec<FilePattern>,
}

impl FileSelector {
    /// `None` when a pattern does not compile.
    pub fn of(config: &ManagerConfig) -> Option<FileSelector> {
        let file_match = config
            .strings("fileMatch")
            .iter()
            .map(|p| FilePattern::file_match(p).ok())
            .collect::<Option<Vec<_>>>()?;
        // Before 40.2 Renovate's file matching reads `fileMatch` alone: a
        // `managerFilePatterns` there selects nothing (and fails validation, IM202).
        let manager_file_patterns = if config.version.has_manager_file_patterns() {
            config
                .strings("managerFilePatterns")
                .iter()
                .map(|p| FilePattern::manager_file_pattern(p).ok())
                .collect::<Option<Vec<_>>>()?
        } else {
            Vec::new()
        };
        Some(FileSelector {
            patterns: file_match
                .into_iter()
                .chain(manager_file_patterns)
                .collect(),
        })
    }

    pub fn reads(&self, path: &str) -> bool {
        self.patterns.iter().any(|pattern| pattern.matches(path))
    }
}

/// Which node-re2 the manager's patterns are compiled for: the one the repository's
/// Renovate loads.
pub fn engine_for(config: &ManagerConfig) -> NodeRe2 {
    config.version.node_re2()
}
