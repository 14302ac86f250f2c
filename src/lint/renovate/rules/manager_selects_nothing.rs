//! IM213 manager-selects-nothing: a regex manager selects no file of the repository.

use crate::diag::{Code, Severity};

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
