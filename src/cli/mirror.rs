//! `img-mirror mirror`.

use std::time::Instant;

use img_mirror::diag::{Sources, render_human};
use img_mirror::lint::{LintOptions, lint_vars};
use img_mirror::mirror::{CopyOptions, Outcome, Status, mirror_all, plan};
use img_mirror::registry::{ClientOptions, Credentials, Endpoints, RegistryClient};
use img_mirror::vars;
use serde_json::json;

use super::args::{MirrorArgs, MirrorFormat, RegistryArgs};
use super::check::check_options;
use super::{Failure, Outcome as CliOutcome, output};

pub fn run(args: MirrorArgs) -> Result<CliOutcome, Failure> {
    let options = check_options(&args.repo)?;
    let vars_path = options.vars_path();
    let loaded = vars::load(&vars_path)
        .map_err(|e| Failure(format!("cannot read {}: {e}", vars_path.display())))?;
    let Some(vars_file) = &loaded.vars else {
        // The file is unusable: show why exactly as `check` would, and copy nothing.
        let diagnostics = lint_vars(
            &loaded,
            &vars_path,
            &LintOptions {
                mirror_prefix: options.mirror_prefix.clone(),
            },
        );
        let mut sources = Sources::default();
        if let Some(text) = &loaded.text {
            sources.add(&vars_path, text.clone());
        }
        output::stderr(&render_human(&diagnostics, &sources, false));
        return Ok(CliOutcome::Findings);
    };
    let (jobs, unusable) = plan(vars_file, &options.mirror_prefix, &args.entries, args.shard)?;
    let client = client(&args.registry)?;
    let copy_options = CopyOptions {
        dry_run: args.dry_run,
        jobs: usize::from(args.jobs),
        blob_jobs: 4,
        prefix: options.mirror_prefix.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure(format!("cannot start the async runtime: {e}")))?;
    let started = Instant::now();
    let format = args.format;
    let printed = std::cell::Cell::new(Ok(()));
    let outcomes = runtime.block_on(mirror_all(&client, jobs, &copy_options, |outcome| {
        if let Some(line) = line(outcome, format) {
            let result = output::stdout(&line);
            if result.is_err() {
                printed.set(result);
            }
        }
    }));
    printed.into_inner()?;
    let mut failed = outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
        .count();
    for problem in &unusable {
        failed += 1;
        let text = match format {
            MirrorFormat::Human => format!("FAILED   {problem}\n"),
            MirrorFormat::Json => format!(
                "{}\n",
                json!({"type": "mirror", "status": "failed", "error": problem.to_string()})
            ),
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

pub fn client(args: &RegistryArgs) -> Result<RegistryClient, Failure> {
    let endpoints = Endpoints::parse(args.registries.iter().map(String::as_str))?;
    let credentials = Credentials::from_environment()?;
    RegistryClient::new(ClientOptions {
        endpoints,
        credentials,
        ..ClientOptions::default()
    })
    .map_err(Failure)
}

/// The line for one finished image; images already present stay quiet in human output
/// so the nightly run with nothing to do prints only its summary.
fn line(outcome: &Outcome, format: MirrorFormat) -> Option<String> {
    match format {
        MirrorFormat::Json => {
            let mut object = serde_json::to_value(outcome).ok()?;
            object
                .as_object_mut()?
                .insert("type".into(), json!("mirror"));
            Some(format!("{object}\n"))
        }
        MirrorFormat::Human => match outcome.status {
            Status::Present => None,
            Status::WouldCopy => Some(format!(
                "would copy {} -> {}\n",
                outcome.source, outcome.target
            )),
            Status::Copied => Some(format!(
                "copied   {} -> {} ({} copied, {} mounted, {} present blobs; {})\n",
                outcome.source,
                outcome.target,
                outcome.blobs_copied,
                outcome.blobs_mounted,
                outcome.blobs_present,
                human_bytes(outcome.bytes)
            )),
            Status::Failed => Some(format!(
                "FAILED   IMAGES.{}: {} -> {}: {}\n",
                outcome.entry,
                outcome.source,
                outcome.target,
                outcome.error.as_deref().unwrap_or("unknown error")
            )),
        },
    }
}

fn summary(outcomes: &[Outcome], failed: usize, seconds: f64, format: MirrorFormat) -> String {
    let count = |status| outcomes.iter().filter(|o| o.status == status).count();
    let bytes: u64 = outcomes.iter().map(|o| o.bytes).sum();
    match format {
        MirrorFormat::Json => format!(
            "{}\n",
            json!({
                "type": "summary",
                "images": outcomes.len(),
                "present": count(Status::Present),
                "copied": count(Status::Copied),
                "would_copy": count(Status::WouldCopy),
                "failed": failed,
                "bytes": bytes,
                "seconds": (seconds * 1000.0).round() / 1000.0,
            })
        ),
        MirrorFormat::Human => {
            let mut text = format!(
                "mirror: {} images: {} present, {} copied, {} failed",
                outcomes.len(),
                count(Status::Present),
                count(Status::Copied),
                failed
            );
            let would = count(Status::WouldCopy);
            if would > 0 {
                text.push_str(&format!(", {would} would be copied"));
            }
            text.push_str(&format!(" ({} in {seconds:.1} s)\n", human_bytes(bytes)));
            text
        }
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
