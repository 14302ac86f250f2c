//! IM110 invalid-approved-registry: an MP_APPROVED_REGISTRIES item that is not a scope.

use std::path::Path;

use crate::approval::ScopeError;
use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::ApprovedEntry;

pub static CODE: Code = Code {
    code: "IM110",
    name: "invalid-approved-registry",
    severity: Severity::Error,
    summary: "An MP_APPROVED_REGISTRIES item is not a registry scope (`host`, `host:port`, \
              `host/namespace` or `*.domain`).",
    why: "The cluster policy matches images against these scopes; a URL, a trailing slash or a \
          glob never matches anything, so images you think approved are refused.",
    example: "Fails:  - https://quay.io/cki\nFails:  - quay.io/cki/\nPasses: - quay.io/cki",
};

pub(crate) fn diagnostic(item: &ApprovedEntry, error: &ScopeError, path: &Path) -> Diagnostic {
    Diagnostic::new(&CODE, path, error.to_string())
        .at(item.line, item.column)
        .width(item.value.chars().count())
}
