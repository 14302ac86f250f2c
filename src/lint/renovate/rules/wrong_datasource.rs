//! IM209 wrong-datasource: an image dep that is not looked up with the docker datasource.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;

pub static CODE: Code = Code {
    code: "IM209",
    name: "wrong-datasource",
    severity: Severity::Error,
    summary: "The dep for an IMAGES entry does not use the docker datasource.",
    why: "Only the docker datasource reads registry tags and manifest digests; any other looks \
          the name up somewhere unrelated and finds nothing, or something wrong.",
    example: "\"datasourceTemplate\": \"github-tags\" on container images.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for (coverage, at) in ctx.single_covered() {
        let datasource = ctx.dep(at).datasource.as_deref().unwrap_or("");
        if datasource == "docker" {
            continue;
        }
        let entry = &ctx.vars.images[coverage.entry].name;
        out.push(
            ctx.entry_diagnostic(
                &CODE,
                coverage,
                format!(
                    "IMAGES.{entry} is looked up with datasource {datasource:?}, not \"docker\""
                ),
            )
            .help("set \"datasourceTemplate\": \"docker\" on the manager"),
        );
    }
}
