//! `img-mirror check`, and `check --fix`.

use std::path::PathBuf;

use img_mirror::check::check;
use img_mirror::diag::{Summary, render_gitlab, render_human, render_json_lines};
use img_mirror::fix::{FixPlan, plan};
use img_mirror::vars::edit::write_atomically;

use super::args::{CheckArgs, CheckFormat};
use super::workspace::Workspace;
use super::{Failure, Outcome, output};

pub fn run(args: CheckArgs) -> Result<Outcome, Failure> {
    let workspace = Workspace::open(&args.repo, args.config.clone())?;
    if args.fix {
        let fixes = plan(&workspace.context)?;
        let vars_path = &workspace.context.vars_path;
        if args.dry_run {
            output::stdout(&fixes.unified(&workspace.context.package_file))?;
            output::stderr(&summary(&fixes, "would fix"));
            return Ok(if fixes.not_fixed.is_empty() {
                Outcome::Clean
            } else {
                Outcome::Findings
            });
        }
        if let Some(new) = &fixes.new {
            write_atomically(vars_path, new.text.as_bytes()).map_err(|e| {
                Failure::message(format!("cannot write {}: {e}", vars_path.display()))
            })?;
        }
        output::stderr(&summary(&fixes, "fixed"));
    }
    let report = check(&workspace.context)?;
    let text = match args.format {
        CheckFormat::Human => render_human(
            &report.diagnostics,
            &report.sources,
            output::stdout_wants_color(),
        ),
        CheckFormat::Json => render_json_lines(&report.diagnostics),
        CheckFormat::Gitlab => {
            let project_dir = std::env::var_os("CI_PROJECT_DIR").map(PathBuf::from);
            render_gitlab(&report.diagnostics, project_dir.as_deref())
        }
    };
    output::stdout(&text)?;
    Ok(if Summary::of(&report.diagnostics).errors > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// One line per fix and per finding left unfixed, for stderr.
fn summary(fixes: &FixPlan, verb: &str) -> String {
    let mut text = String::new();
    for fix in &fixes.fixes {
        text.push_str(&format!(
            "{verb} IMAGES.{} ({}): {} -> {}\n",
            fix.entry, fix.code, fix.old, fix.new
        ));
    }
    for left in &fixes.not_fixed {
        text.push_str(&format!(
            "not fixed: IMAGES.{} ({}): {}\n",
            left.entry, left.code, left.reason
        ));
    }
    if text.is_empty() {
        text.push_str("nothing to fix\n");
    }
    text
}
