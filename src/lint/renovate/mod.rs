//! Renovate checks: would Renovate's regex manager find every `IMAGES` entry, look its
//! tags up at the right registry, and be able to write a bump back?
//!
//! Coverage is worked out once (which dep lies on which entry); each rule file then
//! judges one aspect of it. Offline, like the rest of `lint`.

pub(crate) mod coverage;
pub mod rules;

use std::path::Path;

use crate::diag::Diagnostic;
use crate::mirror_map::MirrorPrefix;
use crate::renovate::FileView;
use crate::renovate::config::RenovateConfig;
use crate::vars::VarsFile;

pub use coverage::{Coverage, EntryCoverage};

/// What the Renovate rules look at: the inputs, what the managers extract, and which
/// dep lies on which entry.
pub struct RenovateContext<'a> {
    pub inputs: Inputs<'a>,
    pub view: FileView,
    pub coverage: Coverage,
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
    /// The vars path as shown to the user.
    pub vars_path: &'a Path,
    /// The vars path relative to the repository, as Renovate matches it.
    pub package_file: &'a str,
    pub prefix: &'a MirrorPrefix,
}

/// Every Renovate finding for one vars file, given what the managers extract from it.
pub fn check(inputs: Inputs<'_>, view: FileView) -> Vec<Diagnostic> {
    let coverage = Coverage::compute(&view, inputs.vars, inputs.prefix);
    let ctx = RenovateContext {
        inputs,
        view,
        coverage,
    };
    let mut out = Vec::new();
    for check in rules::CHECKS {
        check(&ctx, &mut out);
    }
    out
}
