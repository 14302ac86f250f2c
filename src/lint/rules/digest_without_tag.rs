//! IM103 digest-without-tag: `image@sha256:...` with no tag.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};

pub static CODE: Code = Code {
    code: "IM103",
    name: "digest-without-tag",
    severity: Severity::Error,
    summary: "An IMAGES entry is pinned by digest but has no tag.",
    why: "The runbook requires `<image>:<tag>@sha256:<digest>`: the tag tells a reader which \
          release it is and is what Renovate looks up for updates, and a mirrored image is \
          copied under that tag.",
    example: "Fails:  ubi: registry.redhat.io/ubi9/ubi@sha256:...\n\
              Passes: ubi: registry.redhat.io/ubi9/ubi:9.4-1181@sha256:...",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(reference) = facts.valid() else {
        return;
    };
    if reference.digest().is_none() || reference.tag().is_some() {
        return;
    }
    let at = reference.name_span().end..reference.name_span().end + 1;
    out.push(
        facts
            .diagnostic_on(
                &CODE,
                ctx,
                format!("{} has a digest but no tag", reference.raw()),
                at,
            )
            .help("write the tag the digest belongs to: `<image>:<tag>@sha256:<digest>`"),
    );
}
