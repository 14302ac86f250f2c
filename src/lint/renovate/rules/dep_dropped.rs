//! IM215 dep-dropped: Renovate drops a dep a manager matched in a repository file.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::renovate::extract::{DropReason, Dropped};

pub static CODE: Code = Code {
    code: "IM215",
    name: "dep-dropped",
    severity: Severity::Warning,
    summary: "A match of a regex manager in a file other than vars.yml becomes no dep: a \
              template throws, or the dep lacks what Renovate requires (depName or \
              packageName, currentValue or currentDigest, datasource), so it is dropped.",
    why: "Renovate drops such a dep with a log line at TRACE or WARN level that nobody reads; \
          the version in the file is then never bumped. (In vars.yml, IM205 reports the same \
          for each IMAGES entry.)",
    example: "Warns:  a match whose <currentValue> group captured an empty string",
};

/// A match of the manager `key_path` in `text` (the file shown as `shown`) that
/// Renovate drops.
pub(crate) fn diagnostic(key_path: &str, drop: &Dropped, text: &str, shown: &Path) -> Diagnostic {
    let why = match &drop.reason {
        DropReason::Template(error) => format!("a template fails: {error}"),
        DropReason::Invalid(dep) => format!(
            "Renovate requires {} and the match gives none",
            dep.missing_fields().join(", ")
        ),
    };
    let diagnostic = Diagnostic::new(
        &CODE,
        shown,
        format!("{key_path} matches here but Renovate drops the dep: {why}"),
    );
    super::at_match(diagnostic, text, drop.span.as_ref())
}
