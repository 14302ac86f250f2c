//! IM102 not-pinned: no digest.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};

pub static CODE: Code = Code {
    code: "IM102",
    name: "not-pinned",
    severity: Severity::Error,
    summary: "An IMAGES entry has no @sha256: digest.",
    why: "A tag can be moved at any time; without a digest, clusters may run content nobody \
          reviewed, and the mirror cannot be checked for the exact image.",
    example: "Fails:  ubi: registry.redhat.io/ubi9/ubi:9.4-1181\n\
              Passes: ubi: registry.redhat.io/ubi9/ubi:9.4-1181@sha256:<64 hex>",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(reference) = facts.valid() else {
        return;
    };
    if reference.digest().is_some() {
        return;
    }
    let target = facts.source().unwrap_or(reference);
    let tag = reference.tag().unwrap_or("<tag>");
    out.push(
        facts
            .diagnostic(
                &CODE,
                ctx,
                format!("{} is not pinned by digest", reference.raw()),
            )
            .help(format!(
                "pin it: `img-mirror pin {} {}:{tag}`, or look the digest up with \
                 `skopeo inspect --format '{{{{.Digest}}}}' docker://{}:{tag}`",
                facts.entry.name,
                target.name(),
                target.name()
            )),
    );
}
