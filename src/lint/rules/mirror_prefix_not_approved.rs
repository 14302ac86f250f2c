//! IM108 mirror-prefix-not-approved: the mirror itself is not pullable.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::Context;
use crate::reference::Reference;

pub static CODE: Code = Code {
    code: "IM108",
    name: "mirror-prefix-not-approved",
    severity: Severity::Error,
    summary: "MP_APPROVED_REGISTRIES does not cover the mirror prefix.",
    why: "Every mirrored entry is pulled from the mirror prefix; if no approved scope covers it, \
          every one of them fails the cluster's image policy.",
    example: "Fails:  MP_APPROVED_REGISTRIES: [registry.redhat.io]  (prefix quay.io/cki/mirror)\n\
              Passes: MP_APPROVED_REGISTRIES: [registry.redhat.io, quay.io/cki]",
};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let probe = format!("{}/probe", ctx.prefix);
    let Ok(probe) = Reference::parse(&probe) else {
        return;
    };
    if ctx.approved.approving(&probe).is_some() {
        return;
    }
    out.push(
        Diagnostic::new(
            &CODE,
            ctx.path,
            format!("MP_APPROVED_REGISTRIES does not cover the mirror prefix {}", ctx.prefix),
        )
        .at(ctx.vars.approved_line, 1)
        .width(crate::vars::APPROVED_KEY.len())
        .help(format!(
            "add `{}` (or a parent such as `{}`) to MP_APPROVED_REGISTRIES, or pass the right --mirror-prefix",
            ctx.prefix,
            ctx.prefix.domain()
        )),
    );
}
