//! IM212 match-cap-reached: a matchString hit Renovate's 10,000-match limit.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;

pub static CODE: Code = Code {
    code: "IM212",
    name: "match-cap-reached",
    severity: Severity::Warning,
    summary: "A matchString matched 10,000 times, Renovate's cap; usually a pattern that can match \
              the empty string.",
    why: "Renovate stops at 10,000 matches with only a WARN in its log; an empty match repeats \
          until then, and real deps after the cap are never seen.",
    example: "\"matchStrings\": [\"(?<depName>\\\\S*)\"] matches the empty string.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for run in &ctx.view.runs {
        let what = if run.extraction.hit_candidate_cap {
            format!(
                "the recursive strategy produced more than {} candidates, so extraction stopped",
                crate::renovate::extract::MAX_CANDIDATES
            )
        } else if run.extraction.hit_match_cap {
            "a matchString reached Renovate's 10,000-match cap".to_string()
        } else {
            continue;
        };
        out.push(
            Diagnostic::new(
                &CODE,
                ctx.config_path,
                format!("{}: {what} on {}", run.manager.key_path, ctx.package_file),
            )
            .at(ctx.config.managers[run.config_index].line, 1),
        );
    }
}
