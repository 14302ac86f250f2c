//! IM211 update-would-fail: Renovate could not write a bump of this entry back.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::renovate::ManagerRun;

use crate::lint::renovate::EntryCoverage;
use crate::lint::renovate::coverage::DepRef;
use crate::renovate::autoreplace::{Bump, Bumper, ReplaceFailure, auto_replace};
use crate::renovate::extract::{Dep, extract};
use crate::renovate::manager::Strategy;

pub static CODE: Code = Code {
    code: "IM211",
    name: "update-would-fail",
    severity: Severity::Error,
    summary: "Simulating Renovate's auto-replace with a new tag and digest does not give back the \
              same dep with the new values, or drops the mirror prefix.",
    why: "Renovate replaces every occurrence of the old tag inside the match (autoReplaceGlobalMatch) \
          and then re-extracts; when the result does not verify it abandons the update as an \
          \"update failure\", so the image silently stays old. A tag that also occurs inside its \
          digest is the classic case.",
    example: "redis: registry.redhat.io/rhel9/redis-7:20@sha256:...20... : bumping 20 to 21 \
              also rewrites the digest.",
};

/// A dep of the manager `key_path` in a repository file other than vars.yml (`text`,
/// shown as `shown`), whose bump Renovate could not write back.
pub(crate) fn in_repository_file(
    dep: &Dep,
    key_path: &str,
    failure: &ReplaceFailure,
    text: &str,
    shown: &Path,
) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        &CODE,
        shown,
        format!(
            "Renovate could not write a bump of {} ({key_path}) back: {failure}",
            dep.dep_name.as_deref().unwrap_or("this dep"),
        ),
    );
    super::at_match(diagnostic, text, dep.span.as_ref())
}

/// One entry whose bump is simulated.
struct Candidate<'c> {
    coverage: &'c EntryCoverage<'c>,
    at: DepRef,
    bump: Bump,
    mirrored: bool,
}

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    let bumpers: Vec<Bumper> = ctx
        .view
        .runs
        .iter()
        .map(|run| Bumper::new(&run.manager))
        .collect();
    // Entries whose bump verified in the one-pass simulation need nothing more.
    let unverified: Vec<Candidate<'_>> = ctx
        .single_covered()
        .filter(|(_, at)| !ctx.proven_bumps.contains(at))
        .filter_map(|(coverage, at)| {
            let reference = coverage.reference?;
            let dep = ctx.dep(at);
            // Wrong fields are wrong-current-value's finding; a bump of them means nothing.
            if reference.tag() != dep.current_value.as_deref()
                || reference.digest() != dep.current_digest.as_deref()
            {
                return None;
            }
            Some(Candidate {
                coverage,
                at,
                bump: bumpers[at.run].bump(dep),
                mirrored: ctx.prefix.strip(reference).is_some(),
            })
        })
        .collect();
    if unverified.is_empty() {
        return;
    }
    let prefix = format!("{}/", ctx.prefix);
    let by_start: Vec<Vec<(usize, usize)>> = ctx.view.runs.iter().map(deps_by_start).collect();
    for candidate in &unverified {
        let Candidate {
            coverage,
            at,
            bump,
            mirrored,
        } = candidate;
        let dep = ctx.dep(*at);
        let run = &ctx.view.runs[at.run];
        let entry = &ctx.vars.images[coverage.entry];
        let what = describe(bump, dep);
        match simulate(
            run,
            &by_start[at.run],
            &ctx.vars.text,
            ctx.package_file,
            at.dep,
            bump,
        ) {
            Err(failure) => out.push(
                ctx.entry_diagnostic(
                    &CODE,
                    coverage,
                    format!(
                        "Renovate could not write {what} for IMAGES.{}: {failure}",
                        entry.name
                    ),
                )
                .help(help(&failure, dep)),
            ),
            Ok(replaced) => {
                let line = replaced.line_at(&ctx.vars.text, coverage.region.start);
                if *mirrored && !line.contains(&prefix) {
                    out.push(ctx.entry_diagnostic(
                        &CODE,
                        coverage,
                        format!("writing {what} for IMAGES.{} drops the mirror prefix {}: the line becomes {:?}", entry.name, ctx.prefix, line.trim()),
                    ));
                }
            }
        }
    }
}

/// The replaced part of the file: `text[start..end]` became `new`.
struct Replaced {
    start: usize,
    end: usize,
    new: String,
}

impl Replaced {
    /// The line of the new text that holds old offset `offset` (inside the replaced part).
    fn line_at(&self, text: &str, offset: usize) -> String {
        let line_start = text[..self.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[self.end..]
            .find('\n')
            .map_or(text.len(), |i| self.end + i);
        let joined = format!(
            "{}{}{}",
            &text[line_start..self.start],
            self.new,
            &text[self.end..line_end]
        );
        let within = offset.saturating_sub(line_start).min(joined.len());
        let from = joined[..within].rfind('\n').map_or(0, |i| i + 1);
        let to = joined[within..]
            .find('\n')
            .map_or(joined.len(), |i| within + i);
        joined[from..to].to_string()
    }
}

/// `(span start, dep index)` sorted by start, for finding the deps inside a window.
fn deps_by_start(run: &ManagerRun) -> Vec<(usize, usize)> {
    let mut starts: Vec<(usize, usize)> = run
        .extraction
        .deps
        .iter()
        .enumerate()
        .filter_map(|(index, dep)| dep.span.as_ref().map(|s| (s.start, index)))
        .collect();
    starts.sort_unstable();
    starts
}

fn describe(bump: &Bump, dep: &Dep) -> String {
    match (bump.new_value.as_deref(), dep.current_value.as_deref()) {
        (Some(new), Some(old)) if new != old => {
            format!("a bump from {old} to {new} (and a new digest)")
        }
        _ => "a digest bump".to_string(),
    }
}

fn help(failure: &ReplaceFailure, dep: &Dep) -> String {
    let tag_in_digest = dep
        .current_value
        .as_deref()
        .zip(dep.current_digest.as_deref())
        .is_some_and(|(tag, digest)| digest.contains(tag));
    match failure {
        ReplaceFailure::NotVerified(_) if tag_in_digest => {
            "the tag also occurs inside the digest, and Renovate replaces it everywhere in the match: \
             set \"autoReplaceStringTemplate\" so the tag and digest are written separately"
                .into()
        }
        _ => "check the manager with `img-mirror extract` and Renovate's autoReplaceStringTemplate docs".into(),
    }
}

/// Runs the auto-replace on the smallest text that reproduces the file's own extraction
/// around the dep (its lines), and on the whole file when no such window exists.
fn simulate(
    run: &ManagerRun,
    by_start: &[(usize, usize)],
    text: &str,
    package_file: &str,
    dep_index: usize,
    bump: &Bump,
) -> Result<Replaced, ReplaceFailure> {
    if run.manager.strategy == Strategy::Any
        && let Some((start, end, local_index, local)) =
            window(run, by_start, text, package_file, dep_index)
    {
        let window = &text[start..end];
        return auto_replace(
            &run.manager,
            window,
            package_file,
            &local,
            local_index,
            bump,
        )
        .map(|new| Replaced { start, end, new });
    }
    auto_replace(
        &run.manager,
        text,
        package_file,
        &run.extraction.deps,
        dep_index,
        bump,
    )
    .map(|new| Replaced {
        start: 0,
        end: text.len(),
        new,
    })
}

/// The dep's lines plus the newline before them, if extracting that window alone
/// yields exactly the file's deps inside it (same fields, same places).
fn window(
    run: &ManagerRun,
    by_start: &[(usize, usize)],
    text: &str,
    package_file: &str,
    dep_index: usize,
) -> Option<(usize, usize, usize, Vec<Dep>)> {
    let deps = &run.extraction.deps;
    let span = deps[dep_index].span.clone()?;
    let start = text[..span.start].rfind('\n').unwrap_or(0);
    let end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i + 1);
    let first = by_start.partition_point(|&(s, _)| s < start);
    let last = by_start.partition_point(|&(s, _)| s < end);
    let mut inside: Vec<(usize, &Dep)> = by_start[first..last]
        .iter()
        .map(|&(_, index)| (index, &deps[index]))
        .filter(|(_, d)| d.span.as_ref().is_some_and(|s| s.end <= end))
        .collect();
    // Extraction order is by matchString, then position: keep the file's own order.
    inside.sort_unstable_by_key(|&(index, _)| index);
    let local = extract(&run.manager, &text[start..end], package_file).deps;
    if local.len() != inside.len() {
        return None;
    }
    for (local_dep, (_, file_dep)) in local.iter().zip(&inside) {
        let mut shifted = local_dep.clone();
        shifted.span = local_dep
            .span
            .clone()
            .map(|s| s.start + start..s.end + start);
        if &shifted != *file_dep {
            return None;
        }
    }
    let local_index = inside.iter().position(|(i, _)| *i == dep_index)?;
    Some((start, end, local_index, local))
}
