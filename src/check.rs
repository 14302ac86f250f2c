//! `check`: everything that can be known about a repository without the network.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{self, Diagnostic, Sources};
use crate::lint::{self, LintOptions, RenovateInput};
use crate::mirror_map::MirrorStyle;
use crate::repo_context::RepoContext;
use crate::vars;

/// Every finding, sorted, with the file texts to show them against.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
    /// How the vars file writes its mirrors (the familiar form when it did not load):
    /// worked out once, for the lint's suggestions and `check --fix` alike.
    pub mirror_style: MirrorStyle,
}

/// The tool could not run the check at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

pub fn check(context: &RepoContext) -> Result<CheckReport, CheckError> {
    let vars_path = &context.vars_path;
    let read = || match vars::read_capped(vars_path) {
        Ok(read) => Ok(Some(read)),
        // A repository without vars.yml can still have Renovate managers worth checking;
        // with neither, or with a --vars that is missing, there is nothing to check.
        Err(source)
            if source.kind() == std::io::ErrorKind::NotFound
                && !context.vars_given
                && context.config_path.is_some() =>
        {
            Ok(None)
        }
        Err(source) => Err(CheckError::Read {
            path: vars_path.display().to_string(),
            source,
        }),
    };
    check_read(context, read, Templates::Walked)
}

/// [`check`] of `text` as if it were the vars file's content: what `pin` proves of an
/// edit before it writes it. The repository's templates are not read.
pub fn check_text(context: &RepoContext, text: &str) -> Result<CheckReport, CheckError> {
    check_read(
        context,
        || Ok(Some(vars::Capped::Bytes(text.as_bytes().to_vec()))),
        Templates::Skipped,
    )
}

/// Whether a check walks the repository for template references and other managers'
/// files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Templates {
    Walked,
    Skipped,
}

/// The check of what `read` reads of the vars file (`None`: the repository has none),
/// with the repository's files when `templates` walks them.
fn check_read(
    context: &RepoContext,
    read: impl FnOnce() -> Result<Option<vars::Capped>, CheckError>,
    templates: Templates,
) -> Result<CheckReport, CheckError> {
    let vars_path = &context.vars_path;
    let config_path = &context.config_path;
    let package_file = &context.package_file;
    let read_error = |path: &Path, source| CheckError::Read {
        path: path.display().to_string(),
        source,
    };
    let lint_options = LintOptions {
        mirror_prefix: context.mirror_prefix.clone(),
    };
    std::thread::scope(|scope| {
        // The Renovate side reads the config while this thread reads the vars file; it
        // hands its extraction over as soon as it has it, then goes on to prove the
        // simulated bumps while this thread runs the checks that need only the
        // extraction.
        let (text_tx, text_rx) = std::sync::mpsc::sync_channel::<Option<Arc<str>>>(1);
        let (extracted_tx, extracted_rx) = std::sync::mpsc::sync_channel(1);
        let renovate_job = scope.spawn(move || {
            let path = config_path.as_deref()?;
            let loaded =
                crate::renovate::resolve::load(path, context.renovate_version, &context.presets);
            // Nothing arrives when the vars file could not be read.
            let text = text_rx.recv().ok()?;
            let view = match &loaded {
                Ok(Ok(config)) => text
                    .as_deref()
                    .map(|text| Arc::new(crate::renovate::view_file(config, package_file, text))),
                _ => None,
            };
            let _ = extracted_tx.send((loaded, view.clone()));
            let (view, text) = (view?, text.as_deref()?);
            Some(crate::renovate::autoreplace::prove_bumps(
                &view,
                text,
                package_file,
                context.mirror_prefix.as_str(),
            ))
        });
        // The file is read once. Its YAML parse and lint, and what Renovate's managers
        // make of the text, are independent: run them on two cores.
        // One copy of the text serves the YAML side, the Renovate side and the report.
        let read = read()?;
        // The repository walk is mostly waiting on the file system: it runs beside
        // everything else, once the vars file is known to be readable (an error
        // waits for nothing).
        let walk = (templates == Templates::Walked).then(|| {
            scope.spawn(|| {
                crate::template_refs::walk(&context.repo, &|relative| {
                    context.settings.excludes_template(relative)
                })
            })
        });
        let (refused, content, text) = match read {
            Some(vars::Capped::Bytes(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => {
                    let text: Arc<str> = text.into();
                    (None, Some(Ok(text.clone())), Some(text))
                }
                // Renovate's managers read the file even where it is not UTF-8 (IM001
                // says so), so a stray byte does not hide every dep from the Renovate
                // rules.
                Err(error) => {
                    let bytes = error.into_bytes();
                    let text: Arc<str> = crate::renovate::package_file::decode(&bytes).into();
                    (None, Some(Err(bytes)), Some(text))
                }
            },
            Some(vars::Capped::TooLarge(size)) => {
                (Some(vars::too_large(vars_path, size)), None, None)
            }
            None => (None, None, None),
        };
        let vars_package_file =
            (refused.is_some() || content.is_some()).then_some(package_file.as_str());
        let _ = text_tx.send(text.clone());
        let loaded = refused.or_else(|| {
            content.map(|content| match content {
                Ok(text) => vars::parse_text(vars_path, text),
                Err(bytes) => vars::parse(vars_path, bytes),
            })
        });
        let vars = loaded.as_ref().and_then(|loaded| loaded.vars.as_ref());
        let entries = vars
            .map(|vars| lint::analyse(vars, &context.mirror_prefix))
            .unwrap_or_default();
        let mut report = CheckReport {
            mirror_style: lint::mirror_style(&entries, &context.mirror_prefix),
            ..CheckReport::default()
        };
        if let Some(loaded) = &loaded {
            if let Some(text) = &loaded.text {
                report.sources.add(vars_path, text.clone());
            }
            report.diagnostics.extend(lint::lint_analysed_vars(
                loaded,
                &entries,
                report.mirror_style,
                vars_path,
                &lint_options,
            ));
        }
        // Nothing arrives when there is no config to read.
        let extracted = extracted_rx.recv().ok();
        let renovate = match (config_path, extracted) {
            (Some(path), Some((loaded, view))) => {
                Some((loaded.map_err(|e| read_error(path, e))?, view))
            }
            _ => None,
        };
        let (config, prepared) = match renovate {
            Some((Ok(config), view)) => {
                let prepared = view.map(|view| lint::renovate::Prepared {
                    view,
                    proven_bumps: Box::new(move || {
                        renovate_job
                            .join()
                            .expect("the proof of the bumps does not panic")
                            .unwrap_or_default()
                    }),
                });
                (Some(Ok(config)), prepared)
            }
            Some((Err(error), _)) => (Some(Err(error)), None),
            None => (None, None),
        };
        // The managers compiled for the vars file serve the repository-wide check too.
        let compiled: Vec<(usize, crate::renovate::manager::Manager)> = prepared
            .as_ref()
            .map(|prepared| {
                prepared
                    .view
                    .runs
                    .iter()
                    .map(|run| (run.config_index, run.manager.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let input = match (config_path, &config) {
            (Some(path), Some(Ok(config))) => {
                report.sources.add(path, config.text.clone());
                RenovateInput::Loaded {
                    path,
                    config,
                    prepared,
                }
            }
            (Some(path), Some(Err(error))) => RenovateInput::Invalid { path, error },
            _ => RenovateInput::Missing {
                repo: &context.repo,
            },
        };
        report.diagnostics.extend(lint::lint_renovate(
            input,
            vars.map(|vars| (vars, entries.as_slice())),
            vars_path,
            package_file,
            &lint_options,
        ));
        let walked = walk.map(|walk| walk.join().expect("the repository walk does not panic"));
        if let (Some(vars), Some(walked)) = (vars, &walked) {
            report.diagnostics.extend(lint::template_refs::check(
                vars,
                vars_path,
                &context.repo,
                &walked.references,
                &mut report.sources,
            ));
        }
        if let (Some(path), Some(Ok(config)), Some(walked)) = (config_path, &config, &walked) {
            let repository = lint::renovate::repository::Repository {
                config,
                config_path: path,
                repo: &context.repo,
                files: &walked.files,
                vars_package_file,
                vars_text: text.as_deref(),
                compiled: &compiled,
                prefix: &context.mirror_prefix,
            };
            report.diagnostics.extend(lint::renovate::repository::check(
                &repository,
                &mut report.sources,
            ));
        }
        if let Some(text) = loaded.as_ref().and_then(|loaded| loaded.text.as_ref()) {
            lint::suppress::apply(&mut report.diagnostics, vars_path, text);
        }
        context.settings.apply(&mut report.diagnostics);
        diag::sort(&mut report.diagnostics);
        Ok(report)
    })
}
