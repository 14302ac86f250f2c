//! `img-mirror post-upgrade`: what Renovate runs after writing a bump. The diff goes
//! to stdout (Renovate logs it); everything a reviewer must see when it fails goes to
//! stderr, which Renovate puts in its "Artifact update problem" comment.

use img_mirror::diag::render_human;
use img_mirror::mirror::{CopyOptions, Jobs, Status};
use img_mirror::post_upgrade::{RenovateClaim, data_file, post_upgrade};

use super::args::PostUpgradeArgs;
use super::reporter::{Reporter, Sink};
use super::workspace::{Registries, Workspace};
use super::{Failure, Outcome, output};

pub fn run(args: PostUpgradeArgs) -> Result<Outcome, Failure> {
    let workspace = Workspace::open(&args.repo, None)?;
    let referrers = workspace.referrers(&args.registry);
    let context = workspace.context;
    let Registries { client, runtime } = Registries::open(&args.registry)?;
    let copy = CopyOptions {
        dry_run: false,
        jobs: args
            .jobs
            .map_or_else(Jobs::default, |n| Jobs::Fixed(usize::from(n))),
        blob_jobs: 4,
        prefix: context.mirror_prefix.clone(),
        referrers,
    };
    let claims = match &args.data_file {
        Some(path) => data_file::read(path)?,
        None => {
            // Renovate renders a missing value as an empty string (`--new-digest=`).
            let given = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
            vec![RenovateClaim {
                dep_name: given(&args.dep_name),
                new_value: given(&args.new_value),
                new_digest: given(&args.new_digest),
            }]
        }
    };
    let reporter = Reporter::new(super::args::MirrorFormat::Human, Sink::Stderr);
    let report = reporter.run(|| {
        runtime.block_on(post_upgrade(
            &context, &args.base, &claims, &client, &copy, &reporter,
        ))
    })?;
    reporter.take_error()?;

    if !report.check.diagnostics.is_empty() {
        output::stderr(&render_human(
            &report.check.diagnostics,
            &report.check.sources,
            false,
        ));
    }
    if let Some(error) = &report.claim_error {
        output::stderr(&format!("img-mirror: {error}\n"));
    }
    for problem in &report.unmirrorable {
        output::stderr(&format!("img-mirror: cannot mirror {problem}\n"));
    }
    let failed: Vec<_> = report
        .mirrored
        .iter()
        .filter(|o| o.status == Status::Failed)
        .collect();
    if !failed.is_empty() {
        output::stderr(&format!(
            "img-mirror: {} of {} changed images could not be mirrored; this bump must not merge until they are\n",
            failed.len(),
            report.mirrored.len()
        ));
    }
    output::stdout(&report.comparison.unified(&context.package_file))?;
    Ok(if report.failed() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
