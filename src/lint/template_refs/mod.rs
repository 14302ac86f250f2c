//! Reference checks: does every template reference name an `IMAGES` entry, and does
//! some file reference each entry? Works on what `template_refs::walk` found; offline.

pub mod rules;

use std::path::Path;

use crate::diag::{Diagnostic, Sources};
use crate::template_refs::FileScan;
use crate::vars::VarsFile;

/// A name this close to an unknown one is offered as what was meant.
const MAX_SUGGESTION_DISTANCE: usize = 2;

/// The findings on `files` (as found under `repo`, shown joined to `repo_display`)
/// against `vars`; the texts of files with findings go into `sources`.
pub fn check(
    vars: &VarsFile,
    vars_path: &Path,
    repo_display: &Path,
    files: &[FileScan],
    sources: &mut Sources,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let known: std::collections::HashSet<&str> = vars
        .images
        .iter()
        .map(|entry| entry.name.as_str())
        .collect();
    for file in files {
        let path = crate::diag::display_join(repo_display, &file.relative);
        let before = out.len();
        for found in &file.scan.found {
            if !known.contains(found.name.as_str()) {
                let closest = closest(&found.name, vars);
                out.push(rules::unknown_image_reference::diagnostic(
                    &path, found, closest,
                ));
            }
        }
        if out.len() > before {
            sources.add(&path, file.text.clone());
        }
    }
    let referencing = files.iter().filter(|f| !f.scan.found.is_empty()).count();
    let dynamic = files.iter().any(|f| f.scan.dynamic > 0);
    if referencing > 0 && !dynamic {
        let referenced: std::collections::HashSet<&str> = files
            .iter()
            .flat_map(|f| f.scan.found.iter().map(|found| found.name.as_str()))
            .collect();
        for entry in &vars.images {
            if !referenced.contains(entry.name.as_str()) {
                let column = name_column(&vars.text, entry);
                out.push(rules::unreferenced_image::diagnostic(
                    vars_path,
                    entry,
                    column,
                    referencing,
                ));
            }
        }
    }
    out
}

/// The existing entry name closest to `unknown`, if one is close enough to be a typo.
fn closest<'v>(unknown: &str, vars: &'v VarsFile) -> Option<&'v str> {
    vars.images
        .iter()
        .map(|entry| {
            (
                strsim::damerau_levenshtein(
                    &unknown.to_ascii_lowercase(),
                    &entry.name.to_ascii_lowercase(),
                ),
                entry.name.as_str(),
            )
        })
        .filter(|(distance, _)| *distance <= MAX_SUGGESTION_DISTANCE)
        .min()
        .map(|(_, name)| name)
}

/// The column where the entry's name starts on its line (its indentation plus one).
fn name_column(text: &str, entry: &crate::vars::ImageEntry) -> usize {
    text.lines()
        .nth(entry.line.saturating_sub(1))
        .and_then(|line| line.find(entry.name.as_str()))
        .map_or(1, |byte| byte + 1)
}
