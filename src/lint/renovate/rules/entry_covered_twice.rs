//! IM206 entry-covered-twice: two deps on one entry.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;

pub static CODE: Code = Code {
    code: "IM206",
    name: "entry-covered-twice",
    severity: Severity::Error,
    summary: "Two deps (two managers, or two matchStrings) lie on the same IMAGES entry.",
    why: "Renovate then proposes two updates for one line; they conflict, or one rewrites the \
          other's text and fails with an update failure.",
    example: "Two customManagers that both select vars.yml with overlapping matchStrings.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for coverage in ctx.coverage.entries.iter().filter(|c| c.deps.len() > 1) {
        let who: Vec<String> = coverage
            .deps
            .iter()
            .map(|&at| {
                format!(
                    "{} (depName {:?})",
                    ctx.manager_name(at),
                    ctx.dep(at).dep_name.as_deref().unwrap_or("")
                )
            })
            .collect();
        let name = &ctx.vars.images[coverage.entry].name;
        out.push(ctx.entry_diagnostic(
            &CODE,
            coverage,
            format!(
                "IMAGES.{name} is extracted {} times: {}",
                coverage.deps.len(),
                who.join(", ")
            ),
        ));
    }
}
