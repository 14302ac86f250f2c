//! IM208 wrong-current-value: the extracted tag or digest is not the entry's.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;

pub static CODE: Code = Code {
    code: "IM208",
    name: "wrong-current-value",
    severity: Severity::Error,
    summary: "Renovate's currentValue is not the entry's tag, or its currentDigest is not the \
              entry's digest.",
    why: "Renovate compares releases against the wrong version, and its replacement looks for \
          text that is not there. A capture that took a trailing \\r in a CRLF file, or a tag \
          regex that stops at a dot, are the usual causes.",
    example: "(?<currentValue>[^@]+) on a CRLF file captures \"11.2.0\\r\" when the line has no digest.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for (coverage, at) in ctx.single_covered() {
        let Some(reference) = &coverage.reference else {
            continue;
        };
        let dep = ctx.dep(at);
        let entry = &ctx.vars.images[coverage.entry].name;
        if let Some(tag) = reference.tag()
            && dep.current_value.as_deref() != Some(tag)
        {
            out.push(ctx.entry_diagnostic(
                &CODE,
                coverage,
                format!(
                    "Renovate's currentValue for IMAGES.{entry} is {:?}, but the tag is {tag:?}",
                    dep.current_value.as_deref().unwrap_or("")
                ),
            ));
        }
        if let Some(digest) = reference.digest()
            && dep.current_digest.as_deref() != Some(digest)
        {
            out.push(ctx.entry_diagnostic(
                &CODE,
                coverage,
                format!(
                    "Renovate's currentDigest for IMAGES.{entry} is {:?}, but the digest is {digest:?}",
                    dep.current_digest.as_deref().unwrap_or("")
                ),
            ));
        }
    }
}
