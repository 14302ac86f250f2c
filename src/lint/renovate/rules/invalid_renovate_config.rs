//! IM201 invalid-renovate-config: the Renovate config does not parse.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::renovate::config::ConfigError;

pub static CODE: Code = Code {
    code: "IM201",
    name: "invalid-renovate-config",
    severity: Severity::Error,
    summary: "The Renovate config is not valid JSON (or JSON5 for .json5 files), or not an object.",
    why: "Renovate refuses a repository whose config does not parse: no update is proposed for \
          anything until it is fixed, and nobody is told except in Renovate's own log.",
    example: "renovate.json with a trailing comma or a comment: use renovate.json5 for those.",
};

pub(crate) fn diagnostic(error: &ConfigError, path: &Path) -> Diagnostic {
    let (line, column) = error.position();
    Diagnostic::new(&CODE, path, error.to_string()).at_opt(line, column)
}
