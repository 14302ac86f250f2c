//! IM214 match-string-matches-nothing: a matchString matches in none of the files its
//! manager selects.

use crate::diag::{Code, Diagnostic, Severity};

use super::{ManagerSite, listed};

pub static CODE: Code = Code {
    code: "IM214",
    name: "match-string-matches-nothing",
    severity: Severity::Warning,
    summary: "A matchString of a regex manager (matchStringsStrategy any) matches nowhere in \
              the files the manager selects.",
    why: "A pattern that matches nothing extracts nothing, silently: a changed file layout, an \
          indentation or quoting the pattern does not allow, or a pattern written for another \
          file all look like this.",
    example: "Warns:  \"matchStrings\": [\"image: (?<depName>\\\\S+):(?<currentValue>\\\\S+)\"] on a \
              file that writes `image: \"nginx:1.27\"` (quoted)",
};

/// `matchStrings[k]` of the manager matched in none of the files it selects, `kept`.
pub(crate) fn diagnostic(
    site: &ManagerSite<'_>,
    k: usize,
    match_string: &str,
    kept: &[&String],
) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        &CODE,
        site.config_path,
        format!(
            "{}.matchStrings[{k}] matches nothing in the {} it selects ({})",
            site.key_path,
            plural(kept.len(), "file"),
            listed(kept)
        ),
    )
    .help(
        "compare the pattern with the files: quoting, indentation and line ends must match exactly",
    );
    site.place(diagnostic, Some(match_string))
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
