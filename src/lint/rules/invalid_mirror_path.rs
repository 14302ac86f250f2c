//! IM107 invalid-mirror-path: an entry under the prefix with no usable upstream.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};

pub static CODE: Code = Code {
    code: "IM107",
    name: "invalid-mirror-path",
    severity: Severity::Error,
    summary: "An entry under the mirror prefix does not name a valid upstream image.",
    why: "The mirror job copies `<upstream>` to `<prefix>/<upstream>`; with nothing after the \
          prefix, an upstream port (a colon cannot appear in a repository path) or a path that \
          is itself under the prefix, there is nothing it can copy.",
    example: "Fails:  x: quay.io/cki/mirror:1.0@sha256:...\n\
              Fails:  x: quay.io/cki/mirror/registry.example.com:5000/app:1@sha256:...\n\
              Fails:  x: quay.io/cki/mirror/quay.io/cki/mirror/app:1@sha256:...\n\
              Passes: x: quay.io/cki/mirror/ghcr.io/org/app:1@sha256:...",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(Err(error)) = &facts.upstream else {
        return;
    };
    out.push(
        facts
            .diagnostic(&CODE, ctx, error.to_string())
            .help(format!(
                "write it as `{}/<upstream-image-path>:<tag>@sha256:<digest>`",
                ctx.prefix
            )),
    );
}
