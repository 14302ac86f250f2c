//! IM112 mirror-style-mismatch: a mirrored Docker Hub entry spelled the other way.

use crate::classify::Kind;
use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};
use crate::mirror_map::{MirrorPrefix, MirrorStyle};

pub static CODE: Code = Code {
    code: "IM112",
    name: "mirror-style-mismatch",
    severity: Severity::Warning,
    summary: "A mirrored Docker Hub image is written in the other path convention than most of \
              the file's: `quay.io/cki/mirror/grafana/grafana` (familiar) against \
              `quay.io/cki/mirror/docker.io/grafana/grafana` (qualified).",
    why: "Both are the same upstream, but they are two mirror repositories: an image mirrored \
          under one spelling is missing under the other, and people copying an entry copy \
          whichever they see. `check --fix` rewrites the entry in the file's convention.",
    example: "Warns:  loki: quay.io/cki/mirror/docker.io/grafana/loki:3.1.1@sha256:...   (the file writes grafana/grafana)\n\
              Passes: loki: quay.io/cki/mirror/grafana/loki:3.1.1@sha256:...",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let (Some(Ok(upstream)), Some(reference)) = (&facts.upstream, facts.valid()) else {
        return;
    };
    let Some(written) = MirrorStyle::written_for(ctx.prefix, reference, upstream) else {
        return;
    };
    // A needless mirror is IM106's to rewrite, to no mirror at all.
    if written == ctx.mirror_style || ctx.approved.approving(upstream).is_some() {
        return;
    }
    let Ok(value) = super::mirror_entry(upstream, reference, ctx.prefix, ctx.mirror_style) else {
        return;
    };
    let (this, file) = match written {
        MirrorStyle::Familiar => ("the familiar name", "docker.io/..."),
        MirrorStyle::Qualified => ("docker.io/...", "familiar names"),
    };
    out.push(
        facts
            .diagnostic_on(
                &CODE,
                ctx,
                format!(
                    "{} is mirrored under {this}, while the file's other Docker Hub mirrors use {file}",
                    upstream.name()
                ),
                reference.name_span(),
            )
            .help(format!("write `{value}` (`check --fix` does)")),
    );
}

/// The fix: the entry written in the file's mirror-path style.
pub(crate) fn fix(
    entry: Kind<'_>,
    prefix: &MirrorPrefix,
    style: MirrorStyle,
) -> Result<String, String> {
    let Kind::Mirrored { mirror, upstream } = entry else {
        return Err(super::NOT_THIS_FORM.to_string());
    };
    super::mirror_entry(upstream, mirror, prefix, style).map_err(|e| e.to_string())
}
