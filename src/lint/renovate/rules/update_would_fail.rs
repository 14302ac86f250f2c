//! IM211 update-would-fail: Renovate could not write a bump of this entry back.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::mirror_map::MirrorPrefix;
use crate::renovate::{FileView, ManagerRun};
use std::collections::{HashMap, HashSet};

use crate::lint::renovate::EntryCoverage;
use crate::lint::renovate::coverage::DepRef;
use crate::renovate::autoreplace::{
    Bump, ReplaceFailure, auto_replace, next_tag, replacement, verify,
};
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

/// One entry whose bump is simulated.
struct Candidate<'c> {
    coverage: &'c EntryCoverage<'c>,
    at: DepRef,
    bump: Bump,
    mirrored: bool,
}

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
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
                bump: simulated_bump(dep),
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

/// The bump simulated for a dep: the next tag (or the same one when none can be made
/// up) and a digest that is certainly different. A candidate's tag equals its dep's
/// current value, so this is the same bump whether worked out from the dep or the entry.
fn simulated_bump(dep: &Dep) -> Bump {
    Bump {
        new_value: dep
            .current_value
            .as_deref()
            .and_then(next_tag)
            .or_else(|| dep.current_value.clone()),
        new_digest: dep.current_digest.as_deref().map(different_digest),
    }
}

/// The deps whose simulated bump verifies when every dep of a manager is bumped at once
/// and the file re-extracted once. When the deps are independent (as line-based
/// managers' are) this is each dep's own simulation done in one pass; anything
/// non-local (a count or an untouched dep that changes) proves nothing, and each
/// entry gets its own simulation in [`check`].
///
/// Needs only the extraction, not `vars.yml`'s YAML, so `check` runs it on the
/// extraction thread. A bump that would drop the mirror prefix proves nothing either:
/// whether the entry is mirrored is only known once the YAML is read.
pub(crate) fn prove_bumps(
    view: &FileView,
    text: &str,
    package_file: &str,
    prefix: &MirrorPrefix,
) -> HashSet<DepRef> {
    let prefix = format!("{prefix}/");
    (0..view.runs.len())
        .flat_map(|run| prove_run(&view.runs[run], run, text, package_file, &prefix))
        .collect()
}

fn prove_run(
    manager_run: &ManagerRun,
    run: usize,
    text: &str,
    package_file: &str,
    prefix: &str,
) -> Vec<DepRef> {
    let before = &manager_run.extraction.deps;
    let mut planned: Vec<(std::ops::Range<usize>, String, usize, Bump)> = Vec::new();
    for (index, dep) in before.iter().enumerate() {
        let bump = simulated_bump(dep);
        let Ok((replace_string, new)) = replacement(&manager_run.manager, dep, &bump) else {
            continue;
        };
        let Some(span) = dep
            .span
            .clone()
            .filter(|s| text.get(s.clone()) == Some(replace_string.as_str()))
        else {
            continue;
        };
        if replace_string.contains(prefix) && !new.contains(prefix) {
            continue;
        }
        planned.push((span, new, index, bump));
    }
    planned.sort_by_key(|(span, ..)| span.start);
    if planned
        .windows(2)
        .any(|pair| pair[0].0.end > pair[1].0.start)
    {
        return Vec::new();
    }
    let mut new_text = String::with_capacity(text.len() + planned.len() * 8);
    let mut last = 0;
    for (span, new, ..) in &planned {
        new_text.push_str(&text[last..span.start]);
        new_text.push_str(new);
        last = span.end;
    }
    new_text.push_str(&text[last..]);
    let after = extract(&manager_run.manager, &new_text, package_file).deps;
    if after.len() != before.len() {
        return Vec::new();
    }
    let bumps: HashMap<usize, &Bump> = planned
        .iter()
        .map(|(_, _, index, bump)| (*index, bump))
        .collect();
    let mut ok = Vec::new();
    for (index, (old, new)) in before.iter().zip(&after).enumerate() {
        match bumps.get(&index) {
            Some(bump) => {
                if verify(old, new, bump).is_ok() {
                    ok.push(DepRef { run, dep: index });
                }
            }
            None => {
                let unchanged = old.dep_name == new.dep_name
                    && old.current_value == new.current_value
                    && old.current_digest == new.current_digest;
                if !unchanged {
                    return Vec::new();
                }
            }
        }
    }
    ok
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
    match (&bump.new_value, &dep.current_value) {
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

/// A digest that is certainly not `current`: every hex digit rotated by one.
fn different_digest(current: &str) -> String {
    let (algorithm, hex) = current.split_once(':').unwrap_or(("sha256", current));
    let rotated: String = hex
        .chars()
        .map(|c| match c {
            '0'..='8' | 'a'..='e' => char::from(c as u8 + 1),
            '9' => 'a',
            _ => '0',
        })
        .collect();
    format!("{algorithm}:{rotated}")
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
