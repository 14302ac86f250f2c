//! `img-mirror prune`.

use std::fmt::Write as _;
use std::path::Path;

use img_mirror::prune::{self, MirrorTag, Outcome as Pruned};

use super::args::{MirrorFormat, PruneArgs};
use super::json_lines::Line;
use super::output::human_bytes;
use super::workspace::{Registries, Workspace};
use super::{Failure, Outcome, output};

const DEFAULT_KEEP_REVISIONS: usize = 20;

pub fn run(args: PruneArgs) -> Result<Outcome, Failure> {
    let workspace = Workspace::open(&args.repo, None)?;
    let keep_revisions = args
        .keep_revisions
        .map(|n| n as usize)
        .or(workspace.context.settings.keep_revisions)
        .unwrap_or(DEFAULT_KEEP_REVISIONS);
    if keep_revisions == 0 {
        return Err(Failure::message(
            "keep-revisions = 0 would keep nothing HEAD references; use 1 or more",
        ));
    }
    let vars_file = relative_to(&workspace.context.repo, &workspace.context.vars_path)?;
    let referenced = prune::referenced(
        &workspace.context.repo,
        &vars_file,
        workspace.prefix(),
        keep_revisions,
        &args.refs,
    )?;
    let Registries { client, runtime } = Registries::open(&args.registry)?;
    let plan = runtime.block_on(prune::plan(&client, workspace.prefix(), &referenced))?;
    let json = args.format == MirrorFormat::Json;
    let mut text = String::new();
    let mut deleted = 0;
    if args.apply {
        let result = runtime.block_on(prune::apply(&client, &plan, |outcome| {
            let (status, tags, reason) = match outcome {
                Pruned::Deleted { tags, already } => {
                    (if *already { "gone" } else { "deleted" }, tags, None)
                }
                Pruned::Spared { tags, because } => ("spared", tags, Some(because.clone())),
            };
            for tag in tags {
                // Each deletion is on the screen the moment it is done: a run killed
                // half-way has said what it did.
                let _ = output::stdout(&line(json, status, tag, reason.as_deref()));
            }
        }));
        deleted = result?;
    } else {
        for tag in &plan.removed {
            text.push_str(&line(json, "would-delete", tag, None));
        }
    }
    let removed_bytes: u64 = {
        let mut seen = std::collections::BTreeSet::new();
        plan.removed
            .iter()
            .filter(|t| seen.insert((&t.repository, &t.digest)))
            .filter_map(|t| t.size)
            .sum()
    };
    if json {
        text.push_str(
            &Line::PruneSummary {
                revisions: referenced.revisions,
                repositories: plan.repositories,
                kept: plan.kept.len(),
                removed: plan.removed.len(),
                deleted,
                applied: args.apply,
            }
            .text(),
        );
    } else {
        let _ = write!(
            text,
            "prune: {} revisions of vars.yml read; {} tags kept in {} repositories; {} tags {} ({})",
            referenced.revisions,
            plan.kept.len(),
            plan.repositories,
            plan.removed.len(),
            if args.apply {
                format!("removed, {deleted} manifests deleted")
            } else {
                "would be removed".to_string()
            },
            human_bytes(removed_bytes),
        );
        if !args.apply && !plan.removed.is_empty() {
            text.push_str(": run with --apply to delete them");
        }
        text.push('\n');
    }
    output::stdout(&text)?;
    Ok(Outcome::Clean)
}

fn line(json: bool, status: &'static str, tag: &MirrorTag, reason: Option<&str>) -> String {
    if json {
        return Line::Prune {
            status,
            repository: &tag.repository,
            tag: &tag.tag,
            digest: &tag.digest,
            size: tag.size,
            reason,
        }
        .text();
    }
    let size = tag.size.map(human_bytes).unwrap_or_else(|| "-".into());
    let reason = reason.map(|r| format!("  ({r})")).unwrap_or_default();
    format!(
        "{status:<13} {}:{}  {}  {size}{reason}\n",
        tag.repository, tag.tag, tag.digest
    )
}

/// `vars` as a path inside `repo`, `/`-separated, as git names it.
fn relative_to(repo: &Path, vars: &Path) -> Result<String, Failure> {
    let canonical = |path: &Path| {
        path.canonicalize()
            .map_err(|e| Failure::message(format!("cannot read {}: {e}", path.display())))
    };
    let (repo_dir, vars_file) = (canonical(repo)?, canonical(vars)?);
    let relative = vars_file.strip_prefix(&repo_dir).map_err(|_| {
        Failure::message(format!(
            "{} is not inside {}: prune reads its history there",
            vars.display(),
            repo.display()
        ))
    })?;
    Ok(relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/"))
}
