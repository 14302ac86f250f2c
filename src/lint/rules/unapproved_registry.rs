//! IM101 unapproved-registry: neither approved nor mirrored.

use crate::classify::Kind;
use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};
use crate::mirror_map::{MirrorPrefix, MirrorStyle};

pub static CODE: Code = Code {
    code: "IM101",
    name: "unapproved-registry",
    severity: Severity::Error,
    summary: "An IMAGES entry comes from a registry that MP_APPROVED_REGISTRIES does not cover, \
              and is not written under the mirror prefix.",
    why: "Internal OpenShift clusters only pull from Managed Platform approved registries; the \
          pod would fail with an image policy error at deploy time.",
    example: "Fails:  grafana: docker.io/grafana/grafana:11.2.0@sha256:...\n\
              Passes: grafana: quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:...",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(reference) = facts.valid() else {
        return;
    };
    if facts.upstream.is_some() || ctx.approved.approving(reference).is_some() {
        return;
    }
    let message = format!(
        "{} comes from {}, which MP_APPROVED_REGISTRIES does not cover",
        reference.name(),
        reference.domain()
    );
    // The suggestion is the fix itself, or the reason there is none.
    let help = match super::mirror_entry(reference, reference, ctx.prefix, ctx.mirror_style) {
        Ok(value) => format!("mirror it: write `{value}`"),
        Err(reason) => format!("it cannot be mirrored: {reason}"),
    };
    out.push(
        facts
            .diagnostic_on(&CODE, ctx, message, reference.name_span())
            .help(help),
    );
}

/// The fix: the entry moved under the mirror prefix, in the file's mirror-path style.
pub(crate) fn fix(
    entry: Kind<'_>,
    prefix: &MirrorPrefix,
    style: MirrorStyle,
) -> Result<String, String> {
    let Kind::Direct(reference) = entry else {
        return Err(super::NOT_THIS_FORM.to_string());
    };
    super::mirror_entry(reference, reference, prefix, style).map_err(|e| e.to_string())
}
