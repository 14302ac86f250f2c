//! IM105 malformed-digest: a digest other than sha256 with 64 lowercase hex digits.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::{Context, EntryFacts};
use crate::reference::is_pinned_sha256;

pub static CODE: Code = Code {
    code: "IM105",
    name: "malformed-digest",
    severity: Severity::Error,
    summary: "A digest is not `sha256:` followed by 64 lowercase hex digits.",
    why: "Registries address content by exactly that form; an upper-case, truncated or \
          other-algorithm digest either matches nothing or is refused by the runtime.",
    example: "Fails:  ...:11.2.0@sha256:ABCD... (upper case), @sha256:abc (short), @sha512:...\n\
              Passes: ...:11.2.0@sha256:<64 lowercase hex>",
};

pub(crate) fn check(facts: &EntryFacts<'_>, ctx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(reference) = facts.valid() else {
        return;
    };
    let (Some(digest), Some(span)) = (reference.digest(), reference.digest_span()) else {
        return;
    };
    if is_pinned_sha256(digest) {
        return;
    }
    let (algorithm, hex) = digest.split_once(':').unwrap_or((digest, ""));
    let reason = if algorithm != "sha256" {
        format!("uses {algorithm}; IMAGES pins only sha256 digests")
    } else if hex.len() != 64 {
        format!("has {} hex digits; sha256 has 64", hex.len())
    } else {
        "has upper-case hex digits; write them in lower case".to_string()
    };
    out.push(facts.diagnostic_on(&CODE, ctx, format!("digest {digest} {reason}"), span));
}
