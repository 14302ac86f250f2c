//! IM106 needless-mirror: mirrored although the upstream is approved.

use crate::classify::Kind;
use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};
use crate::mirror_map::{MirrorPrefix, MirrorStyle};

pub static CODE: Code = Code {
    code: "IM106",
    name: "needless-mirror",
    severity: Severity::Warning,
    summary: "An entry is written under the mirror prefix although its upstream registry is \
              approved.",
    why: "The copy costs a nightly job, storage and a chance of drift; clusters may pull the \
          approved upstream directly.",
    example: "Warns:  ubi: quay.io/cki/mirror/registry.redhat.io/ubi9/ubi:9.4-1181@sha256:...\n\
              Passes: ubi: registry.redhat.io/ubi9/ubi:9.4-1181@sha256:...",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(Ok(upstream)), Some(reference)) = (&facts.upstream, facts.valid()) else {
        return;
    };
    let Some(scope) = ctx.approved.approving(upstream) else {
        return;
    };
    out.push(
        facts
            .diagnostic_on(
                &CODE,
                ctx,
                format!(
                    "{} is mirrored although MP_APPROVED_REGISTRIES approves it ({})",
                    upstream.name(),
                    scope.raw()
                ),
                reference.name_span(),
            )
            .help(format!(
                "use it directly: `{}{}`",
                upstream.name(),
                reference.tag_and_digest()
            )),
    );
}

/// The fix: the upstream exactly as written after the prefix, so the entry keeps its
/// own spelling of the name.
pub(crate) fn fix(
    entry: Kind<'_>,
    prefix: &MirrorPrefix,
    _style: MirrorStyle,
) -> Result<String, String> {
    let Kind::Mirrored { mirror, .. } = entry else {
        return Err(super::NOT_THIS_FORM.to_string());
    };
    prefix
        .strip(mirror)
        .map(|upstream| upstream.trim_start_matches('/').to_string())
        .ok_or_else(|| "the entry is not under the mirror prefix".to_string())
}
