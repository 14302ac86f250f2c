//! One file per Renovate rule (IM2xx).

pub mod dep_dropped;
pub mod dep_outside_images;
pub mod entry_covered_twice;
pub mod entry_not_covered;
pub mod invalid_renovate_config;
pub mod manager_selects_nothing;
pub mod match_cap_reached;
pub mod match_string_matches_nothing;
pub mod near_miss;
pub mod preset_unresolved;
pub mod renovate_config_error;
pub mod renovate_config_pitfall;
pub mod update_would_fail;
pub mod updates_disabled;
pub mod vars_not_managed;
pub mod wrong_current_value;
pub mod wrong_datasource;
pub mod wrong_lookup_name;

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::renovate::config::ManagerConfig;
use crate::renovate::extract::Dep;
use crate::renovate::validate::{Source, ValidationMessage};

use super::RenovateContext;
use super::coverage::{DepRef, EntryCoverage, position};

pub static ALL: &[&Code] = &[
    &invalid_renovate_config::CODE,
    &renovate_config_error::CODE,
    &renovate_config_pitfall::CODE,
    &vars_not_managed::CODE,
    &entry_not_covered::CODE,
    &entry_covered_twice::CODE,
    &wrong_lookup_name::CODE,
    &wrong_current_value::CODE,
    &wrong_datasource::CODE,
    &dep_outside_images::CODE,
    &update_would_fail::CODE,
    &match_cap_reached::CODE,
    &manager_selects_nothing::CODE,
    &match_string_matches_nothing::CODE,
    &dep_dropped::CODE,
    &near_miss::CODE,
    &preset_unresolved::CODE,
    &updates_disabled::CODE,
];

pub(super) type Check = fn(&RenovateContext<'_>, &mut Vec<Diagnostic>);

/// Every check, in the order their findings are listed: those before the proof of the
/// simulated bumps run while it may still be working on another core; the rest after.
pub(super) static CHECKS: [&[Check]; 2] = [
    &[
        vars_not_managed::check,
        renovate_config_pitfall::check,
        match_cap_reached::check,
        entry_not_covered::check,
        entry_covered_twice::check,
        wrong_lookup_name::check,
        wrong_current_value::check,
        wrong_datasource::check,
        updates_disabled::check,
        near_miss::check,
    ],
    &[update_would_fail::check, dep_outside_images::check],
];

impl RenovateContext<'_> {
    pub(crate) fn dep(&self, at: DepRef) -> &Dep {
        &self.view.runs[at.run].extraction.deps[at.dep]
    }

    /// `customManagers[0]` (and `.matchStrings` detail is left to the message).
    pub(crate) fn manager_name(&self, at: DepRef) -> &str {
        &self.view.runs[at.run].manager.key_path
    }

    /// Entries covered by exactly one dep, with that dep: what the field rules judge.
    pub(crate) fn single_covered(&self) -> impl Iterator<Item = (&EntryCoverage<'_>, DepRef)> {
        self.coverage
            .entries
            .iter()
            .filter(|c| c.deps.len() == 1)
            .map(|c| (c, c.deps[0]))
    }

    /// A finding on an entry's value.
    pub(crate) fn entry_diagnostic(
        &self,
        code: &'static Code,
        coverage: &EntryCoverage<'_>,
        message: String,
    ) -> Diagnostic {
        let entry = &self.vars.images[coverage.entry];
        let width = if entry.value_span.is_some() {
            entry.value.chars().count()
        } else {
            1
        };
        Diagnostic::new(code, self.vars_path, message)
            .at(entry.line, entry.column)
            .width(width)
            .entry(&entry.name)
    }

    /// A finding at a dep's match in the vars file.
    pub(crate) fn dep_diagnostic(
        &self,
        code: &'static Code,
        at: DepRef,
        message: String,
    ) -> Diagnostic {
        let dep = self.dep(at);
        let text = &self.vars.text;
        let span = dep.span.clone().unwrap_or(0..0);
        // Matches often begin with the previous line's newline: point at the content.
        let skip = text[span.clone()].len() - text[span.clone()].trim_start().len();
        let start = span.start + skip;
        let (line, column) = position(text, start);
        let width = text[start..span.end]
            .lines()
            .next()
            .map_or(1, |l| l.chars().count());
        Diagnostic::new(code, self.vars_path, message)
            .at(line, column)
            .width(width)
    }
}

/// The diagnostics for validation messages: Renovate's own as IM202, ours as IM203.
pub(crate) fn validation(messages: &[ValidationMessage], path: &Path) -> Vec<Diagnostic> {
    messages
        .iter()
        .map(|m| {
            if m.from_renovate() {
                renovate_config_error::diagnostic(m, path)
            } else {
                renovate_config_pitfall::diagnostic(m, path)
            }
        })
        .collect()
}

/// A validation message as a finding of `code`, on its manager's line; a warning when
/// img-mirror cannot run the manager as Renovate does, since Renovate may well be fine.
fn validation_finding(code: &'static Code, m: &ValidationMessage, path: &Path) -> Diagnostic {
    let mut diagnostic =
        Diagnostic::new(code, path, format!("{}: {}", m.key_path, m.message)).at(m.line, 1);
    if m.source == Source::Unreproducible {
        diagnostic.severity = Severity::Warning;
    }
    diagnostic
}

/// A manager of the config, for the repository-wide findings about it.
pub(crate) struct ManagerSite<'a> {
    pub config_path: &'a Path,
    pub config_text: &'a str,
    /// `customManagers[0]`, as the messages name it.
    pub key_path: &'a str,
    pub config: &'a ManagerConfig,
}

impl ManagerSite<'_> {
    /// The finding placed on the config string it is about (a file pattern, a
    /// matchString); on the manager's own line when that string cannot be found.
    fn place(&self, diagnostic: Diagnostic, string: Option<&str>) -> Diagnostic {
        let found =
            string.and_then(|s| crate::renovate::config::string_offset(self.config_text, s));
        match found {
            Some((offset, width)) => {
                let (line, column) = position(self.config_text, offset);
                diagnostic.at(line, column).width(width.max(1))
            }
            None => diagnostic.at(self.config.line, 1),
        }
    }
}

/// The finding placed on a match's first line of content in a repository file (matches
/// often begin with the previous line's newline), underlined to that line's end; left
/// unplaced when the match has no span.
fn at_match(
    diagnostic: Diagnostic,
    text: &str,
    span: Option<&std::ops::Range<usize>>,
) -> Diagnostic {
    let Some(span) = span.cloned() else {
        return diagnostic;
    };
    let matched = &text[span.clone()];
    let start = span.start + (matched.len() - matched.trim_start().len());
    let (line, column) = position(text, start);
    let width = text[start..span.end]
        .lines()
        .next()
        .map_or(1, |first| first.chars().count().max(1));
    diagnostic.at(line, column).width(width)
}

/// Files shown by name in a finding before "and N more".
const LISTED: usize = 5;

/// Files named in a message, the first few of them.
fn listed(files: &[&String]) -> String {
    let shown: Vec<&str> = files.iter().take(LISTED).map(|f| f.as_str()).collect();
    match files.len().checked_sub(LISTED).filter(|more| *more > 0) {
        Some(more) => format!("{} and {more} more", shown.join(", ")),
        None => shown.join(", "),
    }
}
