//! Every regex manager on every file of the repository it selects, with or without a
//! vars.yml: a manager that selects nothing (and why), a matchString that matches
//! nowhere, deps Renovate drops, and IM211's auto-replace simulation for each dep. The
//! vars file itself is left to the IMAGES rules, which judge it entry by entry; it still
//! counts as a file the manager selects and a place its matchStrings match.

use std::path::Path;

use crate::diag::{Diagnostic, Sources};
use crate::mirror_map::MirrorPrefix;
use crate::renovate::autoreplace::{Bumper, auto_replace, prove_bumps};
use crate::renovate::config::RenovateConfig;
use crate::renovate::extract::{Extraction, extract};
use crate::renovate::manager::{Manager, Strategy};
use crate::renovate::{DepRef, FileView, ManagerRun};

use super::coverage::LineIndex;
use super::rules::{
    ManagerSite, dep_dropped, manager_selects_nothing, match_string_matches_nothing, near_miss,
    update_would_fail,
};

/// What the repository-wide checks need.
pub struct Repository<'a> {
    pub config: &'a RenovateConfig,
    pub config_path: &'a Path,
    /// The repository as given on the command line, to show paths under it.
    pub repo: &'a Path,
    /// Every file, repository-relative and `/`-separated.
    pub files: &'a [String],
    /// The vars file's package path and text, when there is a vars file.
    pub vars_package_file: Option<&'a str>,
    pub vars_text: Option<&'a str>,
    /// Managers already compiled (for the vars file), by config index: compiling a
    /// manager is most of what this check would cost on a repository of one file.
    pub compiled: &'a [(usize, Manager)],
    pub prefix: &'a MirrorPrefix,
}

pub fn check(repository: &Repository<'_>, sources: &mut Sources) -> Vec<Diagnostic> {
    let ignore = crate::renovate::ignore_paths(repository.config);
    let mut out = Vec::new();
    // Files with an `img-mirror: ignore` comment, whose findings it may silence once
    // every manager has been through them.
    let mut suppressible: Vec<(std::path::PathBuf, String)> = Vec::new();
    for (index, manager_config) in repository.config.managers.iter().enumerate() {
        // A preset's manager that selects no file here is no finding: not compiled.
        if manager_config.preset.is_some()
            && crate::renovate::manager::FileSelector::of(manager_config)
                .is_some_and(|selector| !repository.files.iter().any(|file| selector.reads(file)))
        {
            continue;
        }
        let owned;
        let manager = match repository.compiled.iter().find(|(i, _)| *i == index) {
            Some((_, manager)) => manager,
            None => {
                // A manager that does not compile is IM202/IM203's finding.
                let Some(compiled) = Manager::compile(manager_config) else {
                    continue;
                };
                owned = compiled;
                &owned
            }
        };
        let selected: Vec<&String> = repository
            .files
            .iter()
            .filter(|file| manager.reads(file))
            .collect();
        let (hidden, kept): (Vec<&String>, Vec<&String>) = selected
            .into_iter()
            .partition(|file| ignore.excluding(file).is_some());
        // A preset's manager serves many repositories: selecting nothing, or matching
        // nothing, in this one is no finding.
        let from_preset = manager_config.preset.is_some();
        if kept.is_empty() && from_preset {
            continue;
        }
        let site = ManagerSite {
            config_path: repository.config_path,
            config_text: &repository.config.text,
            key_path: &manager.key_path,
            config: manager_config,
        };
        if kept.is_empty() {
            out.push(manager_selects_nothing::diagnostic(
                &site,
                &hidden,
                repository.files,
                &ignore,
            ));
            continue;
        }
        let mut matched = vec![false; manager.regexes.len()];
        for file in &kept {
            let is_vars = Some(file.as_str()) == repository.vars_package_file;
            let text = match (is_vars, repository.vars_text) {
                (true, Some(text)) => std::borrow::Cow::Borrowed(text),
                // The vars file was refused (over its limit): not read here either.
                (true, None) => continue,
                _ => match crate::renovate::package_file::read(&repository.repo.join(file)) {
                    Some(text) => std::borrow::Cow::Owned(text),
                    None => continue,
                },
            };
            for (k, pattern) in manager.regexes.iter().enumerate() {
                matched[k] = matched[k] || pattern.regex().is_match(&text);
            }
            if is_vars {
                continue;
            }
            let text = text.into_owned();
            let extraction = extract(manager, &text, file);
            let shown = crate::diag::display_join(repository.repo, file);
            let before = out.len();
            dropped(manager, &extraction, &text, &shown, &mut out);
            if !from_preset {
                let misses: Vec<_> =
                    crate::renovate::near_miss::attempts(manager, &extraction, &text)
                        .into_iter()
                        .filter(|miss| miss.is_significant())
                        .collect();
                if !misses.is_empty() {
                    let lines = LineIndex::new(&text);
                    out.extend(misses.iter().map(|miss| {
                        near_miss::diagnostic(miss, &manager.key_path, &text, &lines, &shown)
                    }));
                }
            }
            updates_that_fail(
                index,
                manager,
                extraction,
                &text,
                file,
                &shown,
                repository.prefix,
                &mut out,
            );
            if text.contains(crate::lint::suppress::MARKER)
                && !suppressible.iter().any(|(p, _)| *p == shown)
            {
                suppressible.push((shown.clone(), text.clone()));
            }
            if out.len() > before {
                sources.add(&shown, text);
            }
        }
        if manager.strategy == Strategy::Any && !from_preset {
            for (k, _) in matched.iter().enumerate().filter(|(_, m)| !**m) {
                out.push(match_string_matches_nothing::diagnostic(
                    &site,
                    k,
                    &manager.match_strings[k],
                    &kept,
                ));
            }
        }
    }
    for (shown, text) in suppressible {
        crate::lint::suppress::apply(&mut out, &shown, &text);
        if out.iter().any(|d| d.path == shown) {
            sources.add(shown, text);
        }
    }
    out
}

/// IM215 for each match the manager turned into no dep.
fn dropped(
    manager: &Manager,
    extraction: &Extraction,
    text: &str,
    shown: &Path,
    out: &mut Vec<Diagnostic>,
) {
    for drop in &extraction.dropped {
        out.push(dep_dropped::diagnostic(
            &manager.key_path,
            drop,
            text,
            shown,
        ));
    }
}

/// IM211 for each dep whose simulated bump Renovate could not write back: all deps are
/// first bumped at once and the file re-extracted once; the ones that does not prove
/// are simulated one by one.
#[allow(clippy::too_many_arguments)]
fn updates_that_fail(
    index: usize,
    manager: &Manager,
    extraction: Extraction,
    text: &str,
    package_file: &str,
    shown: &Path,
    prefix: &MirrorPrefix,
    out: &mut Vec<Diagnostic>,
) {
    if extraction.deps.is_empty() {
        return;
    }
    let view = FileView {
        runs: vec![ManagerRun {
            config_index: index,
            manager: manager.clone(),
            extraction,
        }],
        ..FileView::default()
    };
    let proven = prove_bumps(&view, text, package_file, prefix.as_str());
    let deps = &view.runs[0].extraction.deps;
    let bumper = Bumper::new(manager);
    for (i, dep) in deps.iter().enumerate() {
        if proven.contains(&DepRef { run: 0, dep: i }) {
            continue;
        }
        let bump = bumper.bump(dep);
        let Err(failure) = auto_replace(manager, text, package_file, deps, i, &bump) else {
            continue;
        };
        out.push(update_would_fail::in_repository_file(
            dep,
            &manager.key_path,
            &failure,
            text,
            shown,
        ));
    }
}
