//! IM004 missing-key: IMAGES or MP_APPROVED_REGISTRIES is absent.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::Problem;

pub static CODE: Code = Code {
    code: "IM004",
    name: "missing-key",
    severity: Severity::Error,
    summary: "vars.yml has no top-level IMAGES or MP_APPROVED_REGISTRIES key.",
    why: "Without IMAGES there is nothing to deploy or mirror; without MP_APPROVED_REGISTRIES \
          no entry can be judged pullable. A renamed or mis-indented key is the usual cause.",
    example: "MP_APPROVED_REGISTRIES:\n  - quay.io/cki\nIMAGES:\n  grafana: ...",
};

/// `key` is the missing one; the help says what it should hold.
pub(crate) fn diagnostic(problem: &Problem, key: &str, path: &Path) -> Diagnostic {
    let holds = if key == crate::vars::IMAGES_KEY {
        "mapping of NAME: image"
    } else {
        "list of approved registries"
    };
    super::load_problem(&CODE, problem, path).help(format!("add a top-level `{key}:` {holds}"))
}
