//! IM205 entry-not-covered: Renovate extracts no dep for an IMAGES entry.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::lint::renovate::coverage::lines_of;
use crate::lint::renovate::rules::near_miss as near_miss_rule;
use crate::renovate::extract::DropReason;
use crate::renovate::near_miss::NearMiss;

pub static CODE: Code = Code {
    code: "IM205",
    name: "entry-not-covered",
    severity: Severity::Error,
    summary: "No dep that Renovate keeps lies on an IMAGES entry.",
    why: "Renovate would never bump it. Either no matchString matches the line (quotes, a \
          comment, an unusual tag) or the match is dropped without a word (no datasource, an \
          empty value, a template that throws).",
    example: "grafana: \"quay.io/cki/mirror/grafana/grafana:11.2.0@sha256:...\" with a regex \
              that does not allow the quotes.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.view.runs.is_empty() {
        return;
    }
    let mut missed = ctx
        .coverage
        .entries
        .iter()
        .filter(|c| c.deps.is_empty())
        .peekable();
    if missed.peek().is_none() {
        return;
    }
    let text = &ctx.vars.text;
    let attempts: Vec<(&str, &NearMiss)> = ctx
        .attempts()
        .iter()
        .map(|(run, miss)| (ctx.view.runs[*run].manager.key_path.as_str(), miss))
        .collect();
    for coverage in missed {
        let dropped = ctx
            .view
            .runs
            .iter()
            .flat_map(|run| run.extraction.dropped.iter().map(move |d| (run, d)))
            .find(|(_, d)| {
                d.span.as_ref().is_some_and(|s| {
                    s.start < coverage.region.end && coverage.region.start < s.end.max(s.start + 1)
                })
            });
        let name = &ctx.vars.images[coverage.entry].name;
        let (message, help) = match dropped {
            Some((run, d)) => {
                let why = match &d.reason {
                    DropReason::Template(error) => format!("a template failed ({error})"),
                    DropReason::Invalid(dep) => {
                        format!("it has no {}", dep.missing_fields().join(", no "))
                    }
                };
                (
                    format!(
                        "Renovate drops the dep {} extracts for {name}: {why}",
                        run.manager.key_path
                    ),
                    "Renovate discards such deps at trace level, so the entry is never bumped",
                )
            }
            None => (
                format!(
                    "no Renovate matchString matches IMAGES.{name}, so Renovate never bumps it{}",
                    furthest_on(&attempts, &lines_of(text, &coverage.region))
                        .map(|(key_path, miss)| {
                            format!(
                                ": {}",
                                near_miss_rule::explanation(miss, key_path, text, ctx.lines())
                            )
                        })
                        .unwrap_or_default()
                ),
                "run `img-mirror extract` to see what the managers match, and widen the regex",
            ),
        };
        out.push(ctx.entry_diagnostic(&CODE, coverage, message).help(help));
    }
}

/// The attempt that gave up furthest into the entry's lines: most groups read, then
/// furthest.
fn furthest_on<'a>(
    attempts: &[(&'a str, &'a NearMiss)],
    region: &std::ops::Range<usize>,
) -> Option<(&'a str, &'a NearMiss)> {
    attempts
        .iter()
        .filter(|(_, miss)| region.contains(&miss.attempt.stop) || miss.attempt.stop == region.end)
        .max_by_key(|(_, miss)| (miss.captured.len(), miss.attempt.stop))
        .map(|(key_path, miss)| (*key_path, *miss))
}
