//! IM006 file-too-large: an input over the size cap.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::Problem;

pub static CODE: Code = Code {
    code: "IM006",
    name: "file-too-large",
    severity: Severity::Error,
    summary: "An input file is larger than img-mirror's cap (16 MiB).",
    why: "A vars.yml or Renovate config is a few kilobytes; anything vastly larger is the wrong \
          file or an attempt to exhaust memory, and is refused before it is parsed.",
    example: "vars.yml of 200 MiB.",
};

pub(crate) fn diagnostic(problem: &Problem, path: &Path) -> Diagnostic {
    super::load_problem(&CODE, problem, path).help("is this really the vars.yml you meant?")
}
