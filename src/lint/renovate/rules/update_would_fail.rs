//! IM211 update-would-fail: Renovate could not write a bump of this entry back.

use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::renovate::ManagerRun;
use crate::renovate::autoreplace::{Bump, ReplaceFailure, auto_replace, next_tag};
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

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    for (coverage, at) in ctx.single_covered() {
        let Some(reference) = &coverage.reference else {
            continue;
        };
        let dep = ctx.dep(at);
        // Wrong fields are wrong-current-value's finding; a bump of them means nothing.
        if reference.tag() != dep.current_value.as_deref()
            || reference.digest() != dep.current_digest.as_deref()
        {
            continue;
        }
        let bump = Bump {
            new_value: reference
                .tag()
                .and_then(next_tag)
                .or_else(|| dep.current_value.clone()),
            new_digest: dep.current_digest.as_deref().map(different_digest),
        };
        let run = &ctx.view.runs[at.run];
        let entry = &ctx.vars.images[coverage.entry];
        let what = describe(&bump, dep);
        match simulate(run, &ctx.vars.text, ctx.package_file, at.dep, &bump) {
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
            Ok(new_text) => {
                let mirrored = ctx.prefix.strip(reference).is_some();
                let line = new_text.lines().nth(entry.line - 1).unwrap_or_default();
                if mirrored && !line.contains(&format!("{}/", ctx.prefix)) {
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

/// A sha256 digest that is certainly not `current`.
fn different_digest(current: &str) -> String {
    let hash = Sha256::digest(format!("img-mirror simulated bump of {current}").as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Runs the auto-replace on the smallest text that reproduces the file's own extraction
/// around the dep (its lines), and on the whole file when no such window exists.
fn simulate(
    run: &ManagerRun,
    text: &str,
    package_file: &str,
    dep_index: usize,
    bump: &Bump,
) -> Result<String, ReplaceFailure> {
    if run.manager.strategy == Strategy::Any
        && let Some((start, end, local_index)) = window(run, text, package_file, dep_index)
    {
        let window = &text[start..end];
        let local = extract(&run.manager, window, package_file).deps;
        return auto_replace(
            &run.manager,
            window,
            package_file,
            &local,
            local_index,
            bump,
        )
        .map(|new| format!("{}{new}{}", &text[..start], &text[end..]));
    }
    auto_replace(
        &run.manager,
        text,
        package_file,
        &run.extraction.deps,
        dep_index,
        bump,
    )
}

/// The dep's lines plus the newline before them, if extracting that window alone
/// yields exactly the file's deps inside it (same fields, same places).
fn window(
    run: &ManagerRun,
    text: &str,
    package_file: &str,
    dep_index: usize,
) -> Option<(usize, usize, usize)> {
    let deps = &run.extraction.deps;
    let span = deps[dep_index].span.clone()?;
    let start = text[..span.start].rfind('\n').unwrap_or(0);
    let end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i + 1);
    let inside: Vec<(usize, &Dep)> = deps
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.span
                .as_ref()
                .is_some_and(|s| s.start >= start && s.end <= end)
        })
        .collect();
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
    Some((start, end, local_index))
}
