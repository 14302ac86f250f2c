//! `img-mirror extract`: what Renovate's regex managers see in the repository (or in
//! the vars file `--vars` names).

use std::fmt::Write as _;

use img_mirror::extract::{ExtractReport, FileExtract, Scope, extract};
use img_mirror::renovate::extract::DepWithText;

use super::args::{ExtractArgs, ExtractFormat};
use super::workspace::Workspace;
use super::{Failure, Outcome, output};

pub fn run(args: ExtractArgs) -> Result<Outcome, Failure> {
    let workspace = Workspace::open(&args.repo, args.config.clone())?;
    let scope = if args.repo.vars.is_some() {
        Scope::VarsFile
    } else {
        Scope::Repository
    };
    let report = extract(&workspace.context, scope)?;
    let text = match args.format {
        ExtractFormat::Json => json_text(&report),
        ExtractFormat::Human => table(&report),
    };
    output::stdout(&text)?;
    Ok(Outcome::Clean)
}

/// Renovate's `packageFiles` shape: under `regex`, one element per manager and file
/// that extracted deps, manager by manager (Renovate runs each custom manager over its
/// files in turn). Serialised straight from the deps: a `serde_json::Value` copy of
/// 10,000 of them costs more than extracting them.
fn json_text(report: &ExtractReport) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct PackageFile<'a> {
        package_file: &'a str,
        deps: Vec<DepWithText<'a>>,
    }
    #[derive(serde::Serialize)]
    struct PackageFiles<'a> {
        regex: Vec<PackageFile<'a>>,
    }
    let mut regex = Vec::new();
    for (config_index, _) in &report.managers {
        for file in &report.files {
            for run in file.runs.iter().filter(|r| r.config_index == *config_index) {
                if !run.extraction.deps.is_empty() {
                    regex.push(PackageFile {
                        package_file: &file.package_file,
                        deps: run
                            .extraction
                            .deps
                            .iter()
                            .map(|dep| dep.with_text(&file.text))
                            .collect(),
                    });
                }
            }
        }
    }
    let mut text = serde_json::to_string(&PackageFiles { regex })
        .expect("deps serialise: strings and lists only");
    text.push('\n');
    text
}

fn table(report: &ExtractReport) -> String {
    let mut out = String::new();
    for file in report.files.iter().filter(|f| f.ignored_by.is_some()) {
        let _ = writeln!(
            out,
            "ignorePaths entry `{}` hides {} from every manager",
            file.ignored_by.as_deref().unwrap_or_default(),
            file.package_file
        );
    }
    for migration in &report.migrations {
        let _ = writeln!(
            out,
            "Renovate's config migration: {}: {}",
            migration.key_path, migration.change
        );
    }
    for (_, note) in &report.manager_notes {
        let _ = writeln!(out, "{note}");
    }
    if report.managers.is_empty() && report.manager_notes.is_empty() {
        let _ = writeln!(out, "the config has no regex custom manager");
    }
    for file in &report.files {
        file_table(&mut out, report, file);
    }
    out
}

/// Each manager's deps in one file, a row per dep.
fn file_table(out: &mut String, report: &ExtractReport, file: &FileExtract) {
    for run in &file.runs {
        let manager = report.manager(run.config_index);
        let _ = writeln!(
            out,
            "{} on {} (as Renovate {} runs it, with node-re2 {}): {} deps, {} dropped",
            manager.key_path,
            file.package_file,
            manager.version,
            match manager.engine {
                img_mirror::renovate::re2::NodeRe2::V1_21 => "1.21",
                img_mirror::renovate::re2::NodeRe2::V1_26 => "1.26",
            },
            run.extraction.deps.len(),
            run.extraction.dropped.len()
        );
        // Deps come in file order: each line is counted on from the one before, not
        // from the top (which made 10,000 deps take 0.8 s).
        let mut counted = (0, 1);
        let rows: Vec<[String; 5]> = run
            .extraction
            .deps
            .iter()
            .map(|dep| {
                let line = dep.span.as_ref().map_or(String::new(), |span| {
                    let start = span.start
                        + (file.text[span.clone()].len()
                            - file.text[span.clone()].trim_start().len());
                    let (from, line) = if start >= counted.0 { counted } else { (0, 1) };
                    counted = (start, line + file.text[from..start].matches('\n').count());
                    counted.1.to_string()
                });
                [
                    line,
                    dep.lookup_name().unwrap_or_default().to_string(),
                    dep.current_value.as_deref().unwrap_or_default().to_string(),
                    dep.current_digest
                        .as_deref()
                        .map(short_digest)
                        .unwrap_or_default(),
                    dep.datasource.as_deref().unwrap_or_default().to_string(),
                ]
            })
            .collect();
        let header = ["LINE", "PACKAGE", "VALUE", "DIGEST", "DATASOURCE"].map(str::to_string);
        let widths: Vec<usize> = (0..5)
            .map(|i| {
                rows.iter()
                    .chain([&header])
                    .map(|r| r[i].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in std::iter::once(&header).chain(&rows) {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
        }
    }
}

fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => format!("{algorithm}:{}…", &hex[..12]),
        _ => digest.to_string(),
    }
}
