//! IM203 renovate-config-pitfall: a manager Renovate accepts but misreads silently.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::renovate::validate::ValidationMessage;

pub static CODE: Code = Code {
    code: "IM203",
    name: "renovate-config-pitfall",
    severity: Severity::Error,
    summary: "A custom manager that Renovate accepts (or rejects for the wrong reason) but that \
              does not do what it says: an unknown matchStringsStrategy, a (?P<name>) group, a \
              matchString that can only produce deps Renovate drops.",
    why: "Renovate silently falls back to the `any` strategy, finds groups by searching the \
          pattern's text, and drops invalid deps at trace level: the images just stop updating.",
    example: "\"matchStringsStrategy\": \"recursve\" (a typo): Renovate uses `any`.",
};

/// The diagnostics for validation messages: Renovate's own as IM202, ours as IM203.
pub(crate) fn diagnostics(messages: &[ValidationMessage], path: &Path) -> Vec<Diagnostic> {
    messages
        .iter()
        .map(|m| {
            let code = if m.from_renovate {
                &super::renovate_config_error::CODE
            } else {
                &CODE
            };
            Diagnostic::new(code, path, format!("{}: {}", m.key_path, m.message)).at(m.line, 1)
        })
        .collect()
}
