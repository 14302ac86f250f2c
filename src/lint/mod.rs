//! Policy lint over `vars.yml`: can a cluster restricted to `MP_APPROVED_REGISTRIES`
//! pull every `IMAGES` entry, and is each one pinned the way the runbook requires?
//!
//! Offline by construction: this module never imports the registry client. Each rule is
//! a file under `rules/` with its [`Code`] and its check; [`codes`] lists them all.

mod entry;
pub mod renovate;
pub mod rules;
pub mod suppress;
pub mod template_refs;

use std::path::Path;

use crate::approval::ApprovedRegistries;
use crate::diag::{Code, Diagnostic};
use crate::mirror_map::{MirrorPrefix, MirrorStyle};
use crate::renovate::config::{ConfigError, RenovateConfig};
use crate::renovate::validate::validate;
use crate::vars::{Loaded, VarsFile};

pub use entry::EntryFacts;

/// What the rules need besides the file.
#[derive(Debug, Clone)]
pub struct LintOptions {
    pub mirror_prefix: MirrorPrefix,
}

/// Shared state for the rules of one file.
pub struct Context<'a> {
    /// The path to show in diagnostics.
    pub path: &'a Path,
    pub vars: &'a VarsFile,
    pub prefix: &'a MirrorPrefix,
    pub approved: ApprovedRegistries,
    /// How the file writes upstreams under the prefix, for suggested mirror entries.
    pub mirror_style: MirrorStyle,
}

/// Every code this tool can emit, in code order.
pub fn codes() -> Vec<&'static Code> {
    let mut all = rules::ALL.to_vec();
    all.extend(renovate::rules::ALL);
    all.extend(template_refs::rules::ALL);
    all.sort_by_key(|code| code.code);
    all
}

/// Looks a code up by identifier (`IM101`, any case) or name (`unapproved-registry`).
pub fn find_code(query: &str) -> Option<&'static Code> {
    codes()
        .into_iter()
        .find(|code| code.code.eq_ignore_ascii_case(query) || code.name == query)
}

/// Every `IMAGES` entry of `vars`, analysed once for the vars and the Renovate rules.
pub fn analyse<'a>(vars: &'a VarsFile, prefix: &MirrorPrefix) -> Vec<EntryFacts<'a>> {
    vars.images
        .iter()
        .map(|image| EntryFacts::analyse(image, prefix))
        .collect()
}

/// How a file writes its mirrors, from its entries analysed by [`analyse`].
pub fn mirror_style(entries: &[EntryFacts<'_>], prefix: &MirrorPrefix) -> MirrorStyle {
    MirrorStyle::most_common(entries.iter().filter_map(|facts| {
        match (&facts.reference, &facts.upstream) {
            (Ok(reference), Some(Ok(upstream))) => {
                MirrorStyle::written_for(prefix, reference, upstream)
            }
            _ => None,
        }
    }))
}

/// Lints a loaded `vars.yml`: its load problems, then every entry.
pub fn lint_vars(loaded: &Loaded, path: &Path, options: &LintOptions) -> Vec<Diagnostic> {
    let entries = loaded
        .vars
        .as_ref()
        .map(|vars| analyse(vars, &options.mirror_prefix))
        .unwrap_or_default();
    let style = mirror_style(&entries, &options.mirror_prefix);
    lint_analysed_vars(loaded, &entries, style, path, options)
}

/// [`lint_vars`] with the entries already analysed (by [`analyse`]) and the file's
/// [`mirror_style`] worked out.
pub fn lint_analysed_vars(
    loaded: &Loaded,
    entries: &[EntryFacts<'_>],
    mirror_style: MirrorStyle,
    path: &Path,
    options: &LintOptions,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = loaded
        .problems
        .iter()
        .map(|problem| rules::file_problem(problem, path))
        .collect();
    let Some(vars) = &loaded.vars else {
        return out;
    };
    let (approved, rejected) = ApprovedRegistries::read(&vars.approved, |item| &item.value);
    for (item, error) in rejected {
        out.push(rules::invalid_approved_registry::diagnostic(
            item, &error, path,
        ));
    }
    let ctx = Context {
        path,
        vars,
        prefix: &options.mirror_prefix,
        approved,
        mirror_style,
    };
    rules::mirror_prefix_not_approved::check(&ctx, &mut out);
    for facts in entries {
        for check in rules::ENTRY_CHECKS {
            check(facts, &ctx, &mut out);
        }
    }
    out
}

/// Where the Renovate config came from, and whether it parsed.
pub enum RenovateInput<'a> {
    /// No config file in the repository (and none given).
    Missing { repo: &'a Path },
    Invalid {
        path: &'a Path,
        error: &'a ConfigError,
    },
    /// `prepared` is the text-only part of the checks, when the caller already ran it
    /// (on another thread, say) over the very text the YAML was read from.
    Loaded {
        path: &'a Path,
        config: &'a RenovateConfig,
        prepared: Option<renovate::Prepared<'a>>,
    },
}

/// Lints the Renovate config: Renovate's validation, then (when `vars.yml` loaded) what
/// its regex managers make of `IMAGES` (`vars` with its entries analysed by
/// [`analyse`]). `package_file` is the vars path relative to the repository, as
/// Renovate matches it.
pub fn lint_renovate(
    input: RenovateInput<'_>,
    vars: Option<(&VarsFile, &[EntryFacts<'_>])>,
    vars_path: &Path,
    package_file: &str,
    options: &LintOptions,
) -> Vec<Diagnostic> {
    use renovate::rules as r;
    match input {
        RenovateInput::Missing { repo } => vec![r::vars_not_managed::no_config(repo, vars_path)],
        RenovateInput::Invalid { path, error } => {
            vec![r::invalid_renovate_config::diagnostic(error, path)]
        }
        RenovateInput::Loaded {
            path,
            config,
            prepared,
        } => {
            let mut out = r::validation(&validate(config), path);
            out.extend(r::preset_unresolved::diagnostics(config, path));
            if let Some((vars, entries)) = vars {
                let prepared = prepared.unwrap_or_else(|| {
                    renovate::Prepared::new(
                        config,
                        package_file,
                        &vars.text,
                        &options.mirror_prefix,
                    )
                });
                let inputs = renovate::Inputs {
                    config,
                    config_path: path,
                    vars,
                    entries,
                    vars_path,
                    package_file,
                    prefix: &options.mirror_prefix,
                };
                out.extend(renovate::check(inputs, prepared));
            }
            out
        }
    }
}
