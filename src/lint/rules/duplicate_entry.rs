//! IM003 duplicate-entry: two IMAGES entries with the same name.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::Problem;

pub static CODE: Code = Code {
    code: "IM003",
    name: "duplicate-entry",
    severity: Severity::Error,
    summary: "Two IMAGES entries have the same name.",
    why: "YAML readers keep only one of the two values (most keep the last, silently), so a \
          deployment may get a different image than the one a reviewer read. Renovate still \
          bumps both lines, which hides the problem further.",
    example: "IMAGES:\n  grafana: quay.io/cki/mirror/grafana/grafana:11.1.0@sha256:...\n  \
              grafana: quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:...",
};

pub(crate) fn diagnostic(problem: &Problem, path: &Path) -> Diagnostic {
    super::load_problem(&CODE, problem, path).help("remove one of the two entries, or rename it")
}
