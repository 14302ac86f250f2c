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

/// A manager whose matches on the file img-mirror cannot reproduce exactly: said, since
/// every other check of its deps rests on them.
pub(crate) fn check(ctx: &crate::lint::renovate::RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for run in &ctx.view.runs {
        let Some(pattern) = &run.extraction.unreproducible else {
            continue;
        };
        out.push(
            Diagnostic::new(
                &CODE,
                ctx.config_path,
                format!(
                    "{}: matchString `{pattern}` matches bytes in RE2 (`\\C`, or an empty `\\B` between the bytes of a character) and characters in img-mirror, which differ on {}'s non-ASCII text; its deps here are not checked against Renovate's for certain",
                    run.manager.key_path, ctx.package_file
                ),
            )
            .at(ctx.config.managers[run.config_index].line, 1),
        );
    }
}

/// One of img-mirror's own validation messages.
pub(crate) fn diagnostic(message: &ValidationMessage, path: &Path) -> Diagnostic {
    super::validation_finding(&CODE, message, path)
}
