//! IM217 updates-disabled: Renovate is configured never to update an `IMAGES` entry, or
//! never to propose its digest updates.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::renovate::package_rules::{DepFacts, Policy, UpdateType};

pub static CODE: Code = Code {
    code: "IM217",
    name: "updates-disabled",
    severity: Severity::Error,
    summary: "A setting stops Renovate from updating an IMAGES entry: `enabled: false`, \
              `enabledManagers` without custom.regex, `ignoreDeps`, or a package rule that \
              disables the dep, or its digest updates (a warning when only digests stop).",
    why: "The manager extracts the entry and every other check passes, yet Renovate never \
          proposes a bump: the image silently goes stale, which is what this tool exists to \
          catch.",
    example: "\"enabledManagers\": [\"dockerfile\"] leaves out the regex manager; \
              {\"matchManagers\": [\"custom.regex\"], \"enabled\": false} disables every entry.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    let policy = Policy::new(&ctx.config.root);
    for (coverage, at) in ctx.single_covered() {
        let dep = ctx.dep(at);
        let facts = DepFacts {
            dep_name: dep.dep_name.as_deref(),
            package_name: dep.package_name.as_deref().or(dep.dep_name.as_deref()),
            datasource: dep.datasource.as_deref(),
            package_file: ctx.package_file,
            current_value: dep.current_value.as_deref(),
            dep_type: dep.dep_type.as_deref(),
        };
        let entry = &ctx.vars.images[coverage.entry].name;
        for stop in policy.stops(&facts) {
            let everything =
                stop.update_types.is_empty() || stop.update_types.len() == UpdateType::ALL.len();
            let (message, severity) = if everything {
                (
                    format!(
                        "IMAGES.{entry} {} updated by Renovate: {}",
                        if stop.certain {
                            "is never"
                        } else {
                            "may never be"
                        },
                        stop.cause
                    ),
                    if stop.certain {
                        Severity::Error
                    } else {
                        Severity::Warning
                    },
                )
            } else if stop.update_types.contains(&UpdateType::Digest) {
                (
                    format!(
                        "Renovate {}never proposes digest updates for IMAGES.{entry}, so an image rebuilt under the same tag is not picked up: {}",
                        if stop.certain { "" } else { "may " },
                        stop.cause
                    ),
                    Severity::Warning,
                )
            } else {
                continue;
            };
            out.push(
                ctx.entry_diagnostic(&CODE, coverage, message)
                    .severity(severity)
                    .help("narrow the setting so it leaves IMAGES alone, or drop the entry if nothing should bump it"),
            );
        }
    }
}
