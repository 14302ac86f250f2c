//! IM110 invalid-approved-registry: an MP_APPROVED_REGISTRIES item that is not a scope.

use std::path::Path;

use crate::approval::ScopeError;
use crate::diag::{Code, Diagnostic, Severity};
use crate::vars::ApprovedEntry;

pub static CODE: Code = Code {
    code: "IM110",
    name: "invalid-approved-registry",
    severity: Severity::Error,
    summary: "An MP_APPROVED_REGISTRIES item is not a registry scope the docker transport can \
              select (`host`, `host:port`, `host/namespace` or `*.domain`).",
    why: "The cluster policy (containers/image) lists each image's namespaces under its \
          normalised host and compares scopes exactly as written: a URL, a trailing slash or \
          dot, a glob, a bare word such as `nginx`, `index.docker.io` or an IPv6 literal never \
          matches anything, so images you think approved are refused.",
    example: "Fails:  - https://quay.io/cki\nFails:  - index.docker.io\nFails:  - nginx\n\
              Passes: - quay.io/cki\nPasses: - docker.io/library",
};

pub(crate) fn diagnostic(item: &ApprovedEntry, error: &ScopeError, path: &Path) -> Diagnostic {
    Diagnostic::new(&CODE, path, error.to_string())
        .at(item.line, item.column)
        .width(item.value.chars().count())
}
