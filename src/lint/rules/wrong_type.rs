//! IM005 wrong-type: a key or value of the wrong YAML type.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::Problem;

pub static CODE: Code = Code {
    code: "IM005",
    name: "wrong-type",
    severity: Severity::Error,
    summary: "IMAGES is not a mapping, MP_APPROVED_REGISTRIES is not a list of strings, or an \
              IMAGES value is not a string.",
    why: "The templates render `cki_variable('IMAGES').NAME` as a string; a number, a list or \
          null renders as garbage or fails the deployment.",
    example: "IMAGES:\n  grafana: 11.2   # a number, not an image reference",
};

pub(crate) fn diagnostic(problem: &Problem, path: &Path) -> Diagnostic {
    super::load_problem(&CODE, problem, path)
}
