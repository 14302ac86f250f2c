//! IM001 invalid-encoding: vars.yml must be UTF-8.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::Problem;

pub static CODE: Code = Code {
    code: "IM001",
    name: "invalid-encoding",
    severity: Severity::Error,
    summary: "vars.yml is not valid UTF-8.",
    why: "YAML is UTF-8 text; a stray byte (a pasted Latin-1 character, a binary file) makes every \
          reader of the file fail, including the deployment templates and Renovate.",
    example: "A byte 0xFF inside a value. Re-save the file as UTF-8.",
};

pub(crate) fn diagnostic(problem: &Problem, path: &Path) -> Diagnostic {
    super::load_problem(&CODE, problem, path)
}
