//! `img-mirror verify`.

use std::fmt::Write as _;

use img_mirror::verify::{Verdict, VerifyOptions, verify};

use super::args::{MirrorFormat, VerifyArgs};
use super::json_lines::Line;
use super::workspace::{Registries, Workspace};
use super::{Failure, Outcome, output};

pub fn run(args: VerifyArgs) -> Result<Outcome, Failure> {
    let workspace = Workspace::open(&args.repo, None)?;
    let Some(vars) = workspace.load_vars()? else {
        return Ok(Outcome::Findings);
    };
    let Registries { client, runtime } = Registries::open(&args.registry)?;
    let checks = runtime.block_on(verify(
        &client,
        &vars,
        workspace.prefix(),
        VerifyOptions {
            deep: args.deep,
            upstream: args.upstream,
            concurrency: 16,
            referrers: workspace.referrers(&args.registry),
        },
    ));
    let bad = checks.iter().filter(|c| c.verdict != Verdict::Ok).count();
    let mut text = String::new();
    for check in &checks {
        match args.format {
            MirrorFormat::Json => text.push_str(&Line::Verify(check).text()),
            MirrorFormat::Human if check.verdict != Verdict::Ok => {
                let verdict = format!("{:?}", check.verdict).to_uppercase();
                let _ = writeln!(
                    text,
                    "{verdict:<10} IMAGES.{}: {} (pinned {}){}",
                    check.entry,
                    check.target,
                    check.expected,
                    check
                        .detail
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                );
            }
            MirrorFormat::Human => {}
        }
    }
    match args.format {
        MirrorFormat::Json => {
            text.push_str(
                &Line::VerifySummary {
                    checked: checks.len(),
                    failed: bad,
                }
                .text(),
            );
        }
        MirrorFormat::Human => {
            let _ = writeln!(
                text,
                "verify: {} checked, {} ok, {bad} missing, stale or failing",
                checks.len(),
                checks.len() - bad
            );
        }
    }
    output::stdout(&text)?;
    Ok(if bad > 0 {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
