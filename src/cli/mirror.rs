//! `img-mirror mirror`.

use std::time::Instant;

use img_mirror::mirror::{CopyOptions, Jobs, Outcome, Status, mirror_all, plan};

use super::args::{MirrorArgs, MirrorFormat};
use super::json_lines::Line;
use super::output::human_bytes;
use super::reporter::{Reporter, Sink};
use super::workspace::{Registries, Workspace};
use super::{Failure, Outcome as CliOutcome, output};

pub fn run(args: MirrorArgs) -> Result<CliOutcome, Failure> {
    let workspace = Workspace::open(&args.repo, None)?;
    let Some(vars_file) = workspace.load_vars()? else {
        return Ok(CliOutcome::Findings);
    };
    let (jobs, unusable) = plan(&vars_file, workspace.prefix(), &args.entries, args.shard)?;
    let Registries { client, runtime } = Registries::open(&args.registry)?;
    let copy_options = CopyOptions {
        dry_run: args.dry_run,
        jobs: args
            .jobs
            .map_or_else(Jobs::default, |n| Jobs::Fixed(usize::from(n))),
        blob_jobs: 4,
        prefix: workspace.prefix().clone(),
        referrers: workspace.referrers(&args.registry),
    };
    let started = Instant::now();
    let reporter = Reporter::new(args.format, Sink::Stdout);
    let outcomes =
        reporter.run(|| runtime.block_on(mirror_all(&client, jobs, &copy_options, &reporter)));
    reporter.take_error()?;
    let format = args.format;
    let mut failed = outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
        .count();
    for problem in &unusable {
        failed += 1;
        let text = match format {
            MirrorFormat::Human => format!("FAILED   {problem}\n"),
            MirrorFormat::Json => Line::Unusable {
                status: "failed",
                error: problem.to_string(),
            }
            .text(),
        };
        output::stdout(&text)?;
    }
    output::stdout(&summary(
        &outcomes,
        failed,
        started.elapsed().as_secs_f64(),
        format,
    ))?;
    Ok(if failed > 0 {
        CliOutcome::Findings
    } else {
        CliOutcome::Clean
    })
}

fn summary(outcomes: &[Outcome], failed: usize, seconds: f64, format: MirrorFormat) -> String {
    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    let bytes: u64 = outcomes.iter().map(|o| o.bytes).sum();
    match format {
        MirrorFormat::Json => Line::MirrorSummary {
            images: outcomes.len(),
            present: count(Status::Present),
            copied: count(Status::Copied),
            would_copy: count(Status::WouldCopy),
            completed: count(Status::Completed),
            referrers: outcomes.iter().map(|o| o.referrers).sum(),
            failed,
            bytes,
            seconds: (seconds * 1000.0).round() / 1000.0,
        }
        .text(),
        MirrorFormat::Human => {
            let mut text = format!(
                "mirror: {} images: {} present, {} copied, {} failed",
                outcomes.len(),
                count(Status::Present),
                count(Status::Copied),
                failed
            );
            let completed = count(Status::Completed);
            if completed > 0 {
                text.push_str(&format!(", {completed} completed with what refers to them"));
            }
            let would = count(Status::WouldCopy);
            if would > 0 {
                text.push_str(&format!(", {would} would be copied"));
            }
            text.push_str(&format!(" ({} in {seconds:.1} s)\n", human_bytes(bytes)));
            text
        }
    }
}
