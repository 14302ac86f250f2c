//! `img-mirror check`.

use std::path::PathBuf;

use img_mirror::check::{CheckOptions, check};
use img_mirror::diag::{Summary, render_gitlab, render_human, render_json_lines};
use img_mirror::mirror_map::MirrorPrefix;

use super::args::{CheckArgs, CheckFormat, RepoArgs};
use super::{Failure, Outcome, output};

pub fn run(args: CheckArgs) -> Result<Outcome, Failure> {
    let mut options = check_options(&args.repo)?;
    options.config = args.config.clone();
    let report = check(&options)?;
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

pub fn check_options(repo: &RepoArgs) -> Result<CheckOptions, Failure> {
    let mirror_prefix = MirrorPrefix::parse(&repo.mirror_prefix)
        .map_err(|e| Failure(format!("--mirror-prefix: {e}")))?;
    if !repo.repo.is_dir() {
        return Err(Failure(format!(
            "--repo {}: not a directory",
            repo.repo.display()
        )));
    }
    Ok(CheckOptions {
        repo: repo.repo.clone(),
        vars: repo.vars.clone(),
        config: None,
        mirror_prefix,
    })
}
