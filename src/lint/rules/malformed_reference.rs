//! IM104 malformed-reference: not an image reference by the distribution grammar.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};

pub static CODE: Code = Code {
    code: "IM104",
    name: "malformed-reference",
    severity: Severity::Error,
    summary: "An IMAGES value is not a valid image reference.",
    why: "Container runtimes, skopeo and Renovate all parse references with the \
          distribution/reference grammar; a value they reject cannot be pulled, mirrored or \
          updated. Upper case in a repository path, spaces, `..` and URL characters are the \
          usual mistakes.",
    example: "Fails:  grafana: quay.io/cki/mirror/Grafana/grafana:11.2.0@sha256:...\n\
              Passes: grafana: quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:...",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Err(error) = &facts.reference else {
        return;
    };
    // An unparsable mirror path has a better explanation from invalid-mirror-path.
    if facts.upstream.is_some() {
        return;
    }
    out.push(facts.diagnostic(&CODE, ctx, error.to_string()));
}
