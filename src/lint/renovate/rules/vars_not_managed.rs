//! IM204 vars-not-managed: no regex custom manager reads the vars file.

use std::path::Path;

use crate::diag::{Code, Diagnostic, Severity};
use crate::lint::renovate::RenovateContext;

pub static CODE: Code = Code {
    code: "IM204",
    name: "vars-not-managed",
    severity: Severity::Error,
    summary: "No regex custom manager selects vars.yml (by fileMatch or managerFilePatterns), \
              ignorePaths hides it, or there is no Renovate config at all.",
    why: "Then Renovate never proposes a tag or digest bump for any image, and pinned images \
          silently go stale.",
    example: "\"managerFilePatterns\": [\"vars.yml\"] is a glob for the root file only; \
              [\"/(^|/)vars\\\\.yml$/\"] matches it anywhere.",
};

pub(crate) fn check(ctx: &RenovateContext<'_>, out: &mut Vec<Diagnostic>) {
    if !ctx.view.runs.is_empty() {
        return;
    }
    let regex_managers = ctx
        .config
        .managers
        .iter()
        .filter(|m| m.custom_type() == Some("regex"))
        .count();
    let (message, help) = if let Some(pattern) = &ctx.view.ignored_by {
        (
            format!(
                "ignorePaths entry {pattern:?} hides {} from every manager",
                ctx.package_file
            ),
            "move the file, or set ignorePaths so it no longer matches".to_string(),
        )
    } else if regex_managers == 0 {
        (
            format!(
                "{} has no regex custom manager, so no IMAGES entry is ever bumped",
                ctx.config_path.display()
            ),
            "add the manager from img-mirror's renovate/ preset".to_string(),
        )
    } else {
        (
            format!("no regex custom manager's fileMatch or managerFilePatterns selects {}", ctx.package_file),
            "Renovate matches the path relative to the repository root, e.g. \"/(^|/)vars\\\\.yml$/\"".to_string(),
        )
    };
    let mut diagnostic = Diagnostic::new(&CODE, ctx.config_path, message)
        .at(1, 1)
        .help(help);
    // A preset img-mirror could not read may hold the manager: said, not asserted.
    if ctx.view.ignored_by.is_none() && !ctx.config.presets_unresolved.is_empty() {
        let names: Vec<&str> = ctx
            .config
            .presets_unresolved
            .iter()
            .map(|u| u.preset.as_str())
            .collect();
        diagnostic = Diagnostic::new(
            &CODE,
            ctx.config_path,
            format!(
                "no manager img-mirror can see selects {}; the config extends {} it could not read (IM216), which may hold one",
                ctx.package_file,
                names.join(", ")
            ),
        )
        .at(1, 1)
        .severity(Severity::Warning)
        .help("map the preset to a local checkout so img-mirror checks its managers");
    }
    out.push(diagnostic);
}

/// The repository has no Renovate config at all: a warning, since it may be given
/// elsewhere.
pub(crate) fn no_config(repo: &Path, vars_path: &Path) -> Diagnostic {
    Diagnostic::new(
        &CODE,
        vars_path,
        format!(
            "no Renovate config in {} ({}), so IMAGES is never bumped",
            repo.display(),
            crate::renovate::config::CONFIG_FILE_NAMES[0]
        ),
    )
    .severity(Severity::Warning)
    .help("pass --config if it lives elsewhere, or add one from img-mirror's renovate/ preset")
}
