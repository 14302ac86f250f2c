//! IM213 manager-selects-nothing: a regex manager selects no file of the repository.

use crate::diag::{Code, Diagnostic, Severity};
use crate::renovate::file_match::IgnorePaths;
use crate::renovate::re2::{self, NodeRe2};

use super::{ManagerSite, listed};

pub static CODE: Code = Code {
    code: "IM213",
    name: "manager-selects-nothing",
    severity: Severity::Warning,
    summary: "A regex custom manager's fileMatch / managerFilePatterns select no file of the \
              repository, or every file they select is hidden by ignorePaths; the finding says \
              which.",
    why: "Renovate runs such a manager on nothing and says nothing: the deps it was written for \
          are never bumped. The usual causes are a managerFilePatterns regex written without \
          its surrounding slashes, which Renovate reads as a glob, and an ignorePaths entry \
          (config:recommended ignores **/test/**, **/tests/**, **/node_modules/**, ...).",
    example: "Warns:  \"managerFilePatterns\": [\"(^|/)Chart\\\\.ya?ml$\"]   (a glob matching nothing)\n\
              Passes: \"managerFilePatterns\": [\"/(^|/)Chart\\\\.ya?ml$/\"]",
};

/// `hidden` are the files the manager would select but ignorePaths hides; `files` are
/// every file of the repository.
pub(crate) fn diagnostic(
    site: &ManagerSite<'_>,
    hidden: &[&String],
    files: &[String],
    ignore: &IgnorePaths,
) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        &CODE,
        site.config_path,
        format!(
            "{} selects no file of the repository{}",
            site.key_path,
            reasons(site, hidden, files, ignore)
        ),
    )
    .help(if hidden.is_empty() {
        "fix the pattern so it selects the files the manager is written for"
    } else {
        "narrow the ignorePaths entry (config:recommended brings **/test/** and more), or set ignorePaths yourself"
    });
    let first_pattern = site
        .config
        .strings("managerFilePatterns")
        .into_iter()
        .chain(site.config.strings("fileMatch"))
        .next();
    site.place(diagnostic, first_pattern.as_deref())
}

/// Why a manager selects nothing: files ignorePaths hides, and managerFilePatterns
/// entries that are regexes written without their slashes.
fn reasons(
    site: &ManagerSite<'_>,
    hidden: &[&String],
    files: &[String],
    ignore: &IgnorePaths,
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
    for pattern in site.config.strings("managerFilePatterns") {
        let glob = !(pattern.starts_with('/') || pattern.starts_with("!/") || pattern == "*");
        let looks_like_regex = pattern.contains(['(', ')', '|', '^', '$', '\\', '+']);
        if !(glob && looks_like_regex) {
            continue;
        }
        let as_regex: Vec<&String> = re2::compile(&pattern, false, NodeRe2::V1_26)
            .map(|compiled| {
                files
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
