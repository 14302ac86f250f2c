//! IM217 updates-disabled: Renovate is configured never to update an `IMAGES` entry, or
//! never to propose its digest updates.

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;
use crate::renovate::package_rules::{DepFacts, UpdateType, stops};

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
    for (coverage, at) in ctx.single_covered() {
        let dep = ctx.dep(at);
        let facts = DepFacts {
            dep_name: dep.dep_name.clone(),
            package_name: dep.package_name.clone().or_else(|| dep.dep_name.clone()),
            datasource: dep.datasource.clone(),
            package_file: ctx.package_file.to_string(),
            current_value: dep.current_value.clone(),
            dep_type: dep.dep_type.clone(),
        };
        let entry = &ctx.vars.images[coverage.entry].name;
        for stop in stops(&ctx.config.root, &facts) {
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
