//! IM207 wrong-lookup-name: Renovate would look the entry up under another name.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::reference::Reference;
use crate::renovate::docker::lookup;

pub static CODE: Code = Code {
    code: "IM207",
    name: "wrong-lookup-name",
    severity: Severity::Error,
    summary: "The name Renovate looks up (packageName, else depName, on the registryUrl) is not \
              the entry's upstream image.",
    why: "For a mirrored entry Renovate must ask the upstream for new tags: the mirror only has \
          what was copied, so a lookup there never finds a release. Any other name bumps the \
          entry to a different image's tags and digests.",
    example: "depName quay.io/cki/mirror/grafana/grafana looks in the mirror; the regex should \
              capture grafana/grafana after (?:quay\\.io/cki/mirror/)?",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for (coverage, at) in ctx.single_covered() {
        let (Some(source), Some(name)) = (&coverage.source, ctx.dep(at).lookup_name()) else {
            continue;
        };
        let looked_up = lookup(name, ctx.dep(at).registry_urls.as_deref());
        if looked_up.host == source.domain() && looked_up.repository == source.path() {
            continue;
        }
        let in_mirror = Reference::parse(&looked_up.name()).is_ok_and(|r| ctx.prefix.covers(&r));
        let entry = &ctx.vars.images[coverage.entry].name;
        let message = if in_mirror {
            format!(
                "Renovate looks IMAGES.{entry} up in the mirror ({}), which never has new tags; it must look up {}",
                looked_up.name(),
                source.name()
            )
        } else {
            format!(
                "Renovate looks IMAGES.{entry} up as {} ({:?} via {}), not as its upstream {}",
                looked_up.name(),
                name,
                ctx.manager_name(at),
                source.name()
            )
        };
        out.push(ctx.entry_diagnostic(&CODE, coverage, message).help(format!(
            "capture the upstream name in depName (or set packageNameTemplate), leaving {}/ out",
            ctx.prefix
        )));
    }
}
