//! Every regex manager on every file of the repository it selects, with or without a
//! vars.yml: a manager that selects nothing (and why), a matchString that matches
//! nowhere, deps Renovate drops, and IM211's auto-replace simulation for each dep. The
//! vars file itself is left to the IMAGES rules, which judge it entry by entry; it still
//! counts as a file the manager selects and a place its matchStrings match.

use std::collections::HashSet;
use std::path::Path;

use crate::diag::{Diagnostic, Sources};
use crate::mirror_map::MirrorPrefix;
use crate::renovate::autoreplace::{Bumper, auto_replace, prove_bumps};
use crate::renovate::config::RenovateConfig;
use crate::renovate::extract::{DropReason, Extraction, extract};
use crate::renovate::manager::{Manager, Strategy};
use crate::renovate::re2::{self, NodeRe2};
use crate::renovate::{DepRef, FileView, ManagerRun};

use super::coverage::{LineIndex, position};
use super::rules::update_would_fail;
use super::rules::{dep_dropped, manager_selects_nothing, match_string_matches_nothing, near_miss};

/// Files shown by name in a finding before "and N more".
const LISTED: usize = 5;

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
        // Findings point at the string they are about: the first file pattern, or the
        // matchString; the manager's own line when the string cannot be found.
        let at = |diagnostic: Diagnostic, string: Option<&str>| match string
            .and_then(|s| string_position(&repository.config.text, s))
        {
            Some((line, column, width)) => diagnostic.at(line, column).width(width),
            None => diagnostic.at(manager_config.line, 1),
        };
        let first_pattern = manager_config
            .strings("managerFilePatterns")
            .into_iter()
            .chain(manager_config.strings("fileMatch"))
            .next();
        // A preset's manager serves many repositories: selecting nothing, or matching
        // nothing, in this one is no finding.
        let from_preset = manager_config.preset.is_some();
        if kept.is_empty() && from_preset {
            continue;
        }
        if kept.is_empty() {
            let reasons = nothing_selected_reasons(manager_config, &hidden, repository, &ignore);
            out.push(at(Diagnostic::new(
                &manager_selects_nothing::CODE,
                repository.config_path,
                format!(
                    "{} selects no file of the repository{}",
                    manager.key_path, reasons
                ),
            )
            .help(if hidden.is_empty() {
                "fix the pattern so it selects the files the manager is written for"
            } else {
                "narrow the ignorePaths entry (config:recommended brings **/test/** and more), or set ignorePaths yourself"
            }),
                first_pattern.as_deref(),
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
                out.push(at(Diagnostic::new(
                    &match_string_matches_nothing::CODE,
                    repository.config_path,
                    format!(
                        "{}.matchStrings[{k}] matches nothing in the {} it selects ({})",
                        manager.key_path,
                        plural(kept.len(), "file"),
                        listed(&kept)
                    ),
                )
                .help("compare the pattern with the files: quoting, indentation and line ends must match exactly"),
                    Some(&manager.match_strings[k]),
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

/// Why a manager selects nothing: files ignorePaths hides, and managerFilePatterns
/// entries that are regexes written without their slashes.
fn nothing_selected_reasons(
    manager_config: &crate::renovate::config::ManagerConfig,
    hidden: &[&String],
    repository: &Repository<'_>,
    ignore: &crate::renovate::file_match::IgnorePaths,
) -> String {
    let mut reasons = Vec::new();
    let mut hiding: Vec<(&str, Vec<&String>)> = Vec::new();
    for file in hidden {
        let entry = ignore.excluding(file).expect("partitioned on it");
        match hiding.iter_mut().find(|(e, _)| *e == entry) {
            Some((_, files)) => files.push(file),
            None => hiding.push((entry, vec![file])),
        }
    }
    for (entry, files) in hiding {
        reasons.push(format!(
            "the ignorePaths entry `{entry}` hides {}",
            listed(&files)
        ));
    }
    for pattern in manager_config.strings("managerFilePatterns") {
        let glob = !(pattern.starts_with('/') || pattern.starts_with("!/") || pattern == "*");
        let looks_like_regex = pattern.contains(['(', ')', '|', '^', '$', '\\', '+']);
        if !(glob && looks_like_regex) {
            continue;
        }
        let as_regex: Vec<&String> = re2::compile(&pattern, false, NodeRe2::V1_26)
            .map(|compiled| {
                repository
                    .files
                    .iter()
                    .filter(|file| compiled.regex().is_match(file))
                    .collect()
            })
            .unwrap_or_default();
        let would = if as_regex.is_empty() {
            String::new()
        } else {
            format!("; as a regex it would select {}", listed(&as_regex))
        };
        reasons.push(format!(
            "managerFilePatterns entry `{pattern}` has no surrounding slashes, so Renovate reads it as a glob{would}: write `/{pattern}/`"
        ));
    }
    if reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", reasons.join("; "))
    }
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
        let why = match &drop.reason {
            DropReason::Template(error) => format!("a template fails: {error}"),
            DropReason::Invalid(dep) => format!(
                "Renovate requires {} and the match gives none",
                dep.missing_fields().join(", ")
            ),
        };
        let mut diagnostic = Diagnostic::new(
            &dep_dropped::CODE,
            shown,
            format!(
                "{} matches here but Renovate drops the dep: {why}",
                manager.key_path
            ),
        );
        if let Some(span) = &drop.span {
            diagnostic = at_match(diagnostic, text, span.clone());
        }
        out.push(diagnostic);
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
    let proven: HashSet<DepRef> = prove_bumps(&view, text, package_file, prefix.as_str());
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
        let mut diagnostic = Diagnostic::new(
            &update_would_fail::CODE,
            shown,
            format!(
                "Renovate could not write a bump of {} ({}) back: {failure}",
                dep.dep_name.as_deref().unwrap_or("this dep"),
                manager.key_path
            ),
        );
        if let Some(span) = &dep.span {
            diagnostic = at_match(diagnostic, text, span.clone());
        }
        out.push(diagnostic);
    }
}

/// Line, column and width (in characters) of a JSON string value in the config text.
fn string_position(text: &str, value: &str) -> Option<(usize, usize, usize)> {
    let (offset, width) = crate::renovate::config::string_offset(text, value)?;
    let (line, column) = position(text, offset);
    Some((line, column, width.max(1)))
}

/// The finding placed on a match's first line of content (matches often begin with the
/// previous line's newline), underlined to that line's end.
fn at_match(diagnostic: Diagnostic, text: &str, span: std::ops::Range<usize>) -> Diagnostic {
    let matched = &text[span.clone()];
    let start = span.start + (matched.len() - matched.trim_start().len());
    let (line, column) = position(text, start);
    let width = text[start..span.end]
        .lines()
        .next()
        .map_or(1, |first| first.chars().count().max(1));
    diagnostic.at(line, column).width(width)
}

fn listed(files: &[&String]) -> String {
    let shown: Vec<&str> = files.iter().take(LISTED).map(|f| f.as_str()).collect();
    match files.len().checked_sub(LISTED).filter(|more| *more > 0) {
        Some(more) => format!("{} and {more} more", shown.join(", ")),
        None => shown.join(", "),
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
