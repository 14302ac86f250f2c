//! IM111 unused-suppression: an `# img-mirror: ignore` that silences nothing.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};

pub static CODE: Code = Code {
    code: "IM111",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "An `# img-mirror: ignore CODE` comment names a rule that reports nothing on its \
              line, or no rule at all.",
    why: "A suppression that outlives its reason hides the next real finding on that line \
          without anyone deciding to.",
    example: "Warns:  ubi: registry.redhat.io/ubi9/ubi:9.4@sha256:... # img-mirror: ignore IM106\n\
              Passes: ubi: quay.io/cki/mirror/registry.redhat.io/ubi9/ubi:9.4@sha256:... # img-mirror: ignore IM106",
};

pub(crate) fn diagnostic(
    path: &Path,
    line: usize,
    column: usize,
    name: &str,
    message: String,
) -> Diagnostic {
    Diagnostic::new(&CODE, path, message)
        .at(line, column)
        .width(name.chars().count())
        .help("remove it, or name the code reported on this line")
}
