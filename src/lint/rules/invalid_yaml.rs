//! IM002 invalid-yaml: vars.yml must parse as one YAML mapping.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::Problem;

pub static CODE: Code = Code {
    code: "IM002",
    name: "invalid-yaml",
    severity: Severity::Error,
    summary: "vars.yml is not valid YAML, or its top level is not a mapping.",
    why: "Nothing can be checked or deployed from a file that does not parse. The message gives \
          the parser's reason and the line and column where it gave up.",
    example: "IMAGES:\n  grafana: [quay.io/cki/mirror/grafana/grafana:11.2.0\n\
              (an unclosed flow sequence)",
};

pub(crate) fn diagnostic(problem: &Problem, path: &Path) -> Diagnostic {
    super::load_problem(&CODE, problem, path)
}
