//! `img-mirror diff`.

use std::fmt::Write as _;

use img_mirror::diff::Comparison;
use img_mirror::versions::Version;

use super::args::{DiffArgs, DiffFormat};
use super::workspace::Workspace;
use super::{Failure, Outcome, output};

pub fn run(args: DiffArgs) -> Result<Outcome, Failure> {
    let (old, new, label) = match args.files.as_slice() {
        [old, new] => (
            Version::File(old.clone()),
            Version::File(new.clone()),
            new.display().to_string(),
        ),
        _ => {
            let context = Workspace::open(&args.repo, None)?.context;
            let path = context.vars_path;
            let at = |rev: &str| Version::Git {
                repo: context.repo.clone(),
                rev: rev.to_string(),
                path: path.clone(),
            };
            let old = at(args.base.as_deref().unwrap_or("HEAD"));
            let new = match &args.head {
                Some(rev) => at(rev),
                None => Version::File(path.clone()),
            };
            (old, new, context.package_file)
        }
    };
    let comparison = Comparison::between(&old, &new)?;
    let text = match args.format {
        DiffFormat::Text => comparison.unified(&label),
        DiffFormat::Json => comparison
            .changes
            .iter()
            .fold(String::new(), |mut text, change| {
                let _ = writeln!(
                    text,
                    "{}",
                    serde_json::to_string(change).unwrap_or_default()
                );
                text
            }),
    };
    output::stdout(&text)?;
    Ok(if args.exit_code && !comparison.changes.is_empty() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
