//! Renovate checks: would Renovate's regex manager find every `IMAGES` entry, look its
//! tags up at the right registry, and be able to write a bump back?
//!
//! Coverage is worked out once (which dep lies on which entry); each rule file then
//! judges one aspect of it. Offline, like the rest of `lint`.

pub(crate) mod coverage;
pub mod repository;
pub mod rules;

use std::collections::HashSet;
use std::path::Path;

use crate::diag::Diagnostic;
use crate::lint::EntryFacts;
use crate::mirror_map::MirrorPrefix;
use crate::renovate::FileView;
use crate::renovate::config::RenovateConfig;
use crate::vars::VarsFile;

pub use coverage::{Coverage, DepRef, EntryCoverage};

/// What the Renovate rules look at: the inputs, what the managers extract, and which
/// dep lies on which entry.
pub struct RenovateContext<'a> {
    pub inputs: Inputs<'a>,
    pub view: FileView,
    /// Deps whose simulated bump verified in [`Prepared`]'s one-pass simulation.
    pub proven_bumps: HashSet<DepRef>,
    pub coverage: Coverage<'a>,
}

impl<'a> std::ops::Deref for RenovateContext<'a> {
    type Target = Inputs<'a>;

    fn deref(&self) -> &Inputs<'a> {
        &self.inputs
    }
}

/// The files the Renovate rules judge, and how to show them.
pub struct Inputs<'a> {
    pub config: &'a RenovateConfig,
    /// The config path as shown to the user.
    pub config_path: &'a Path,
    pub vars: &'a VarsFile,
    /// `vars`' entries, analysed once for every rule.
    pub entries: &'a [EntryFacts<'a>],
    /// The vars path as shown to the user.
    pub vars_path: &'a Path,
    /// The vars path relative to the repository, as Renovate matches it.
    pub package_file: &'a str,
    pub prefix: &'a MirrorPrefix,
}

/// The part of the Renovate checks that needs only the vars file's text, not its YAML:
/// what the managers extract, and which simulated bumps verify when made all at once.
/// `check` works it out on a second core while the YAML is parsed.
pub struct Prepared {
    pub view: FileView,
    pub proven_bumps: HashSet<DepRef>,
}

impl Prepared {
    pub fn new(
        config: &RenovateConfig,
        package_file: &str,
        text: &str,
        prefix: &MirrorPrefix,
    ) -> Prepared {
        let view = crate::renovate::view_file(config, package_file, text);
        let proven_bumps =
            crate::renovate::autoreplace::prove_bumps(&view, text, package_file, prefix);
        Prepared { view, proven_bumps }
    }
}

/// Every Renovate finding for one vars file, given what the managers extract from it.
pub fn check(inputs: Inputs<'_>, prepared: Prepared) -> Vec<Diagnostic> {
    let Prepared { view, proven_bumps } = prepared;
    let coverage = Coverage::compute(&view, inputs.vars, inputs.entries);
    let ctx = RenovateContext {
        inputs,
        view,
        proven_bumps,
        coverage,
    };
    let mut out = Vec::new();
    for check in rules::CHECKS {
        check(&ctx, &mut out);
    }
    out
}
