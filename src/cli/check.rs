//! `img-mirror check`.

use std::path::PathBuf;

use img_mirror::check::check;
use img_mirror::diag::{Summary, render_gitlab, render_human, render_json_lines};

use super::args::{CheckArgs, CheckFormat};
use super::workspace::Workspace;
use super::{Failure, Outcome, output};

pub fn run(args: CheckArgs) -> Result<Outcome, Failure> {
    let workspace = Workspace::open(&args.repo, args.config.clone())?;
    let report = check(&workspace.options)?;
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
