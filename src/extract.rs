//! `extract`: what Renovate's regex managers extract, as its `--dry-run=extract` shows
//! it: every regex manager on every file of the repository it selects (the walk `check`
//! uses, `ignorePaths` applied), or on one vars file.

use std::path::Path;

use crate::check::CheckError;
use crate::renovate::config::{self, RenovateConfig};
use crate::renovate::extract::{Extraction, extract as extract_text};
use crate::renovate::manager::Manager;
use crate::renovate::{FileView, ignore_paths, view_file};
use crate::repo_context::RepoContext;
use crate::vars;

/// Which files to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every file of the repository a manager selects.
    Repository,
    /// The vars file only (`--vars`).
    VarsFile,
}

/// What the regex managers extract, file by file.
#[derive(Debug)]
pub struct ExtractReport {
    /// The compiled managers, by config index.
    pub managers: Vec<(usize, Manager)>,
    /// Each file some manager extracted from (or, for one vars file, that file), in
    /// path order.
    pub files: Vec<FileExtract>,
    /// Why a manager extracts nothing, by config index.
    pub manager_notes: Vec<(usize, String)>,
    /// What Renovate's config migration changed.
    pub migrations: Vec<crate::renovate::migrate::Migration>,
}

/// One package file: the managers that selected it and what each extracted.
#[derive(Debug)]
pub struct FileExtract {
    /// Repository-relative, `/`-separated (Renovate's `packageFile`).
    pub package_file: String,
    pub runs: Vec<FileRun>,
    /// An `ignorePaths` entry that hides the file from every manager (one vars file).
    pub ignored_by: Option<String>,
    /// The text, to place deps by line.
    pub text: String,
}

/// One manager's extraction from one file.
#[derive(Debug)]
pub struct FileRun {
    pub config_index: usize,
    pub extraction: Extraction,
}

impl ExtractReport {
    pub fn manager(&self, config_index: usize) -> &Manager {
        &self
            .managers
            .iter()
            .find(|(index, _)| *index == config_index)
            .expect("a run's manager compiled")
            .1
    }
}

/// Why `extract` has nothing to show.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(transparent)]
    Read(#[from] CheckError),
    #[error("no Renovate config found in {0} (tried {names}); pass --config", names = config::CONFIG_FILE_NAMES.join(", "))]
    NoConfig(String),
    #[error("{path}: {error}")]
    InvalidConfig {
        path: String,
        error: config::ConfigError,
    },
    #[error("{path}: the file is {bytes} bytes, more than the {limit}-byte limit; refused before reading it", limit = vars::MAX_FILE_BYTES)]
    TooLarge { path: String, bytes: usize },
}

/// Runs every regex manager over what `scope` says, as Renovate would.
pub fn extract(context: &RepoContext, scope: Scope) -> Result<ExtractReport, ExtractError> {
    let config_path = context
        .config_path
        .as_deref()
        .ok_or_else(|| ExtractError::NoConfig(context.repo.display().to_string()))?;
    let config =
        crate::renovate::resolve::load(config_path, context.renovate_version, &context.presets)
            .map_err(|e| read_error(config_path, e))?
            .map_err(|error| ExtractError::InvalidConfig {
                path: config_path.display().to_string(),
                error,
            })?;
    match scope {
        Scope::VarsFile => vars_file(context, &config),
        Scope::Repository => repository(context, &config),
    }
}

fn read_error(path: &Path, source: std::io::Error) -> CheckError {
    CheckError::Read {
        path: path.display().to_string(),
        source,
    }
}

/// The vars file alone, with why each manager that does not read it does not.
fn vars_file(
    context: &RepoContext,
    config: &RenovateConfig,
) -> Result<ExtractReport, ExtractError> {
    let vars_path = &context.vars_path;
    let text = match vars::read_capped(vars_path).map_err(|e| read_error(vars_path, e))? {
        vars::Capped::Bytes(bytes) => crate::renovate::package_file::decode_owned(bytes),
        vars::Capped::TooLarge(bytes) => {
            return Err(ExtractError::TooLarge {
                path: vars_path.display().to_string(),
                bytes,
            });
        }
    };
    let package_file = context.package_file.clone();
    let FileView {
        runs,
        unmatched,
        ignored_by,
        dropped,
    } = view_file(config, &package_file, &text);
    let mut manager_notes = dropped_notes(config, &dropped);
    manager_notes.extend(unmatched.iter().map(|&index| {
        let key_path = config.managers[index].shown();
        (index, format!("{key_path} does not select {package_file}"))
    }));
    let mut managers = Vec::new();
    let mut file_runs = Vec::new();
    for run in runs {
        file_runs.push(FileRun {
            config_index: run.config_index,
            extraction: run.extraction,
        });
        managers.push((run.config_index, run.manager));
    }
    Ok(ExtractReport {
        managers,
        files: vec![FileExtract {
            package_file,
            runs: file_runs,
            ignored_by,
            text,
        }],
        manager_notes,
        migrations: config.migrations.clone(),
    })
}

/// Every file some manager selects, each manager compiled once. A selected file over
/// the size limit is refused, as the vars file is, rather than left out unsaid.
fn repository(
    context: &RepoContext,
    config: &RenovateConfig,
) -> Result<ExtractReport, ExtractError> {
    let walked = crate::template_refs::walk(&context.repo, &|_| true);
    let ignore = ignore_paths(config);
    let mut managers = Vec::new();
    let mut dropped = Vec::new();
    for (index, manager_config) in config.managers.iter().enumerate() {
        match Manager::compile(manager_config) {
            Some(manager) => managers.push((index, manager)),
            None if manager_config.custom_type() == Some("regex") => dropped.push(index),
            None => {}
        }
    }
    let mut files = Vec::new();
    let mut selected_any = vec![false; managers.len()];
    for package_file in &walked.files {
        if !crate::renovate::included(config, package_file)
            || ignore.excluding(package_file).is_some()
        {
            continue;
        }
        let readers: Vec<usize> = managers
            .iter()
            .enumerate()
            .filter(|(_, (_, manager))| manager.reads(package_file))
            .map(|(position, _)| position)
            .collect();
        if readers.is_empty() {
            continue;
        }
        let path = crate::diag::display_join(&context.repo, package_file);
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        if bytes > vars::MAX_FILE_BYTES as u64 {
            return Err(ExtractError::TooLarge {
                path: path.display().to_string(),
                bytes: bytes as usize,
            });
        }
        let Some(text) = crate::renovate::package_file::read(&path) else {
            continue;
        };
        let mut runs = Vec::new();
        for position in readers {
            selected_any[position] = true;
            let (config_index, manager) = &managers[position];
            let extraction = extract_text(manager, &text, package_file);
            runs.push(FileRun {
                config_index: *config_index,
                extraction,
            });
        }
        files.push(FileExtract {
            package_file: package_file.clone(),
            runs,
            ignored_by: None,
            text,
        });
    }
    let mut manager_notes = dropped_notes(config, &dropped);
    manager_notes.extend(
        managers
            .iter()
            .zip(&selected_any)
            .filter(|(_, selected)| !**selected)
            .map(|((index, manager), _)| {
                (
                    *index,
                    format!("{} selects no file of the repository", manager.key_path),
                )
            }),
    );
    manager_notes.sort_by_key(|(index, _)| *index);
    Ok(ExtractReport {
        managers,
        files,
        manager_notes,
        migrations: config.migrations.clone(),
    })
}

/// Why each manager Renovate drops extracts nothing, in its validator's words.
fn dropped_notes(config: &RenovateConfig, dropped: &[usize]) -> Vec<(usize, String)> {
    let messages = crate::renovate::validate::validate(config);
    dropped
        .iter()
        .map(|&index| {
            let key_path = &config.managers[index].shown();
            let reasons: Vec<&str> = messages
                .iter()
                .filter(|m| &m.key_path == key_path)
                .map(|m| m.message.as_str())
                .collect();
            let reason = if reasons.is_empty() {
                "it does not compile".to_string()
            } else {
                reasons.join("; ")
            };
            (index, format!("{key_path} extracts nothing: {reason}"))
        })
        .collect()
}
