//! `check --fix`: rewrite what can be fixed offline and safely, in the file's own
//! mirror-path convention, keeping every other byte.
//!
//! Fixed: an entry from an unapproved registry (IM101) is moved into the mirror form;
//! a needless mirror (IM106) goes back to the upstream written after the prefix; a
//! Docker Hub mirror in the other path convention (IM112) is written the file's way.
//! Each of those rules owns its fix (`lint::rules::fix_of`); this module applies them
//! and verifies the result. A fix is kept only when the rewritten entry then passes
//! `check` (vars rules and Renovate rules alike) and no other entry gains an error;
//! otherwise the finding stays, with the reason the fix was not made. The caller writes
//! the text atomically, or prints the diff.

use std::collections::BTreeSet;

use crate::check::{CheckError, check, check_text};
use crate::classify::Classification;
use crate::diag::{Diagnostic, Severity};
use crate::lint::rules::fix_of;
use crate::repo_context::RepoContext;
use crate::vars::{self, VarsFile, edit::set_image};

/// One entry rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub entry: String,
    /// The finding it answers.
    pub code: &'static str,
    pub old: String,
    pub new: String,
}

/// A fixable finding left as it was, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFixed {
    pub entry: String,
    pub code: &'static str,
    pub reason: String,
}

/// What `--fix` would do.
#[derive(Debug)]
pub struct FixPlan {
    pub fixes: Vec<Fix>,
    pub not_fixed: Vec<NotFixed>,
    /// The vars file before and after, when anything is fixed.
    pub old: Option<VarsFile>,
    pub new: Option<VarsFile>,
}

impl FixPlan {
    /// The unified diff of the fixes, `path` in the headers.
    pub fn unified(&self, path: &str) -> String {
        match (&self.old, &self.new) {
            (Some(old), Some(new)) => {
                crate::diff::unified(old, new, &crate::diff::changes(old, new), path)
            }
            _ => String::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// A fixable finding and the value that answers it.
struct Candidate {
    entry: String,
    code: &'static str,
    value: String,
}

/// Works out the fixes for the vars file of `context`; writes nothing.
pub fn plan(context: &RepoContext) -> Result<FixPlan, FixError> {
    let empty = || FixPlan {
        fixes: Vec::new(),
        not_fixed: Vec::new(),
        old: None,
        new: None,
    };
    let vars_path = &context.vars_path;
    let loaded = vars::load(vars_path).map_err(|source| FixError::Read {
        path: vars_path.display().to_string(),
        source,
    })?;
    let Some(old) = loaded.vars else {
        return Ok(empty());
    };
    let before = check(context)?;
    let mut not_fixed = Vec::new();
    let mut candidates = Vec::new();
    for diagnostic in &before.diagnostics {
        let Some(fix) = fix_of(diagnostic.code) else {
            continue;
        };
        let code = diagnostic.code.code;
        let Some(name) = &diagnostic.entry else {
            continue;
        };
        let Some(entry) = old.image(name) else {
            continue;
        };
        let classification = Classification::of_entry(entry, &context.mirror_prefix);
        match fix(
            classification.kind(),
            &context.mirror_prefix,
            before.mirror_style,
        ) {
            Ok(value) => candidates.push(Candidate {
                entry: name.clone(),
                code,
                value,
            }),
            Err(reason) => not_fixed.push(NotFixed {
                entry: name.clone(),
                code,
                reason,
            }),
        }
    }
    // Keep the fixes whose result passes; drop the others one round at a time, since
    // dropping one can change what another entry's check says.
    let errors_before = errors_by_entry(&before.diagnostics);
    loop {
        if candidates.is_empty() {
            return Ok(FixPlan {
                not_fixed,
                ..empty()
            });
        }
        let new_text = match apply(&old, &candidates) {
            Ok(text) => text,
            Err((index, reason)) => {
                let dropped = candidates.remove(index);
                not_fixed.push(NotFixed {
                    entry: dropped.entry,
                    code: dropped.code,
                    reason,
                });
                continue;
            }
        };
        let after = check_text(context, &new_text)?;
        let errors_after = errors_by_entry(&after.diagnostics);
        let fixed: BTreeSet<&str> = candidates.iter().map(|c| c.entry.as_str()).collect();
        let failing: Vec<usize> = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| errors_after.iter().any(|(entry, _)| entry == &c.entry))
            .map(|(index, _)| index)
            .collect();
        let worse_elsewhere = errors_after
            .iter()
            .any(|error| !fixed.contains(error.0.as_str()) && !errors_before.contains(error));
        if failing.is_empty() && !worse_elsewhere {
            let new = vars::parse(vars_path, new_text.into_bytes())
                .vars
                .expect("the edits were verified to parse");
            let fixes = candidates
                .into_iter()
                .map(|c| Fix {
                    old: old
                        .image(&c.entry)
                        .map(|e| e.value.to_string())
                        .unwrap_or_default(),
                    entry: c.entry,
                    code: c.code,
                    new: c.value,
                })
                .collect();
            return Ok(FixPlan {
                fixes,
                not_fixed,
                old: Some(old),
                new: Some(new),
            });
        }
        let blame: Vec<usize> = if failing.is_empty() {
            // Another entry got worse and no single fix is named: keep none.
            (0..candidates.len()).collect()
        } else {
            failing
        };
        for index in blame.into_iter().rev() {
            let dropped = candidates.remove(index);
            let reason = errors_after
                .iter()
                .find(|(entry, _)| entry == &dropped.entry)
                .map(|(_, message)| format!("the fixed entry would fail check: {message}"))
                .unwrap_or_else(|| "the fix would make another entry fail check".to_string());
            not_fixed.push(NotFixed {
                entry: dropped.entry,
                code: dropped.code,
                reason,
            });
        }
    }
}

/// The vars text with every candidate's value set, or the candidate that cannot be
/// written and why.
fn apply(old: &VarsFile, candidates: &[Candidate]) -> Result<String, (usize, String)> {
    let mut current = old.clone();
    for (index, candidate) in candidates.iter().enumerate() {
        let text = set_image(&current, &candidate.entry, &candidate.value)
            .map_err(|e| (index, e.to_string()))?;
        current = vars::parse(&current.path, text.into_bytes())
            .vars
            .ok_or_else(|| (index, "the edited file does not parse".to_string()))?;
    }
    Ok(current.text.to_string())
}

/// `(entry, message)` of every error on an entry.
fn errors_by_entry(diagnostics: &[Diagnostic]) -> BTreeSet<(String, String)> {
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .filter_map(|d| d.entry.clone().map(|entry| (entry, d.message.clone())))
        .collect()
}
