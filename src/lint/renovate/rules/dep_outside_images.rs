//! IM210 dep-outside-images: a dep extracted from outside the IMAGES map.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;

pub static CODE: Code = Code {
    code: "IM210",
    name: "dep-outside-images",
    severity: Severity::Warning,
    summary: "The IMAGES manager extracts a dep from a line that is not an IMAGES entry.",
    why: "Renovate will propose bumps for text nobody meant to pin (a comment, another map), \
          and img-mirror does not mirror it.",
    example: "A commented-out old entry \"#  grafana: ...\" still matched by the regex.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for &at in &ctx.coverage.outside {
        let dep = ctx.dep(at);
        out.push(ctx.dep_diagnostic(
            &CODE,
            at,
            format!(
                "{} extracts {:?} ({}) from outside IMAGES",
                ctx.manager_name(at),
                dep.dep_name.as_deref().unwrap_or(""),
                dep.current_value.as_deref().or(dep.current_digest.as_deref()).unwrap_or("")
            ),
        ));
    }
}
