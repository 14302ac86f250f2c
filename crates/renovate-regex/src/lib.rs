//! Renovate's regex custom managers, reproduced offline: a repository's config read,
//! migrated and validated as a given Renovate version does it (JSON, JSONC or JSON5;
//! built-in and local presets resolved), its regex managers run with RE2's semantics
//! (strategies, Handlebars templates, the docker datasource's lookup), what a
//! matchString nearly matched, and a simulation of Renovate's auto-replace.
//!
//! Everything here is offline and a pure function of file texts. It knows nothing of
//! img-mirror, which uses it; see README.md beside this crate.

pub mod autoreplace;
pub mod config;
pub mod docker;
pub mod extract;
pub mod file_match;
pub mod manager;
mod memo;
pub mod migrate;
pub mod near_miss;
pub mod package_file;
pub mod package_rules;
pub mod presets;
pub mod re2;
pub mod resolve;
pub mod template;
pub mod validate;
pub mod version;

use std::borrow::Cow;
use std::sync::LazyLock;

use config::RenovateConfig;
use extract::{Extraction, extract};
use file_match::{DEFAULT_IGNORE_PATHS, IgnorePaths};
use manager::Manager;

/// One manager's run over one file.
#[derive(Debug, Clone)]
pub struct ManagerRun {
    /// Index into [`RenovateConfig::managers`].
    pub config_index: usize,
    pub manager: Manager,
    pub extraction: Extraction,
}

/// A dep by position: `view.runs[run].extraction.deps[dep]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DepRef {
    pub run: usize,
    pub dep: usize,
}

/// The deps whose simulated bump verified ([`autoreplace::prove_bumps`]), by run and
/// dep index: a flag per dep rather than a hashed set, as every dep of a 10,000-entry
/// file is looked up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifiedBumps {
    by_run: Vec<Vec<bool>>,
}

impl VerifiedBumps {
    pub fn contains(&self, at: &DepRef) -> bool {
        self.by_run
            .get(at.run)
            .and_then(|deps| deps.get(at.dep))
            .is_some_and(|&verified| verified)
    }

    /// How many verified.
    pub fn len(&self) -> usize {
        self.by_run
            .iter()
            .flatten()
            .filter(|&&verified| verified)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How Renovate would see one package file.
#[derive(Debug, Clone, Default)]
pub struct FileView {
    /// Managers whose file patterns select the file, in config order.
    pub runs: Vec<ManagerRun>,
    /// Regex managers that compiled but do not select the file.
    pub unmatched: Vec<usize>,
    /// An `ignorePaths` entry that hides the file from every manager.
    pub ignored_by: Option<String>,
    /// Regex managers Renovate drops (a pattern RE2 refuses, a broken template) or that
    /// img-mirror cannot reproduce.
    pub dropped: Vec<usize>,
}

/// Runs every regex manager of `config` that selects `package_file` (repository-relative,
/// `/` separators) over `text`.
pub fn view_file(config: &RenovateConfig, package_file: &str, text: &str) -> FileView {
    let mut view = FileView {
        ignored_by: ignore_paths(config)
            .excluding(package_file)
            .map(str::to_string),
        ..FileView::default()
    };
    let included = included(config, package_file);
    for (config_index, manager_config) in config.managers.iter().enumerate() {
        if !included {
            view.unmatched.push(config_index);
            continue;
        }
        // A preset's manager (config:recommended brings two on 44) rarely selects the
        // file: its matchStrings are compiled only when it does.
        if manager_config.preset.is_some()
            && manager::FileSelector::of(manager_config)
                .is_some_and(|selector| !selector.reads(package_file))
        {
            view.unmatched.push(config_index);
            continue;
        }
        let Some(manager) = Manager::compile(manager_config) else {
            if manager_config.custom_type() == Some("regex") {
                view.dropped.push(config_index);
            }
            continue;
        };
        if !manager.reads(package_file) {
            view.unmatched.push(config_index);
            continue;
        }
        if view.ignored_by.is_some() {
            continue;
        }
        let extraction = extract(&manager, text, package_file);
        view.runs.push(ManagerRun {
            config_index,
            manager,
            extraction,
        });
    }
    view
}

/// Whether `includePaths` (when the config sets any) lets Renovate's managers see `path`.
pub fn included(config: &RenovateConfig, path: &str) -> bool {
    let Some(patterns) = config.root.get("includePaths").and_then(|v| v.as_array()) else {
        return true;
    };
    let patterns: Vec<String> = patterns
        .iter()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    patterns.is_empty() || IgnorePaths::new(&patterns).names(path)
}

/// `ignorePaths` of the resolved config (presets such as `config:recommended` set it
/// through `:ignoreModulesAndTests`), or Renovate's default. The default is compiled
/// once.
pub fn ignore_paths(config: &RenovateConfig) -> Cow<'static, IgnorePaths> {
    static DEFAULT: LazyLock<IgnorePaths> = LazyLock::new(|| IgnorePaths::of(DEFAULT_IGNORE_PATHS));
    if let Some(explicit) = config.root.get("ignorePaths").and_then(|v| v.as_array()) {
        let patterns: Vec<String> = explicit
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect();
        return Cow::Owned(IgnorePaths::new(&patterns));
    }
    Cow::Borrowed(&DEFAULT)
}
