//! Renovate checks: would Renovate's regex manager find every `IMAGES` entry, look its
//! tags up at the right registry, and be able to write a bump back?
//!
//! Coverage is worked out once (which dep lies on which entry); each rule file then
//! judges one aspect of it. Offline, like the rest of `lint`.

mod coverage;
pub mod rules;

use std::path::Path;

use crate::diag::Diagnostic;
use crate::mirror_map::MirrorPrefix;
use crate::renovate::config::RenovateConfig;
use crate::renovate::{FileView, view_file};
use crate::vars::VarsFile;

pub use coverage::{Coverage, EntryCoverage};

/// What the Renovate rules look at.
pub struct RenovateContext<'a> {
    pub config: &'a RenovateConfig,
    /// The config path as shown to the user.
    pub config_path: &'a Path,
    pub vars: &'a VarsFile,
    /// The vars path as shown to the user.
    pub vars_path: &'a Path,
    /// The vars path relative to the repository, as Renovate matches it.
    pub package_file: &'a str,
    pub prefix: &'a MirrorPrefix,
    pub view: FileView,
    pub coverage: Coverage,
}

/// Every Renovate finding for one vars file and one config.
pub fn check(
    config: &RenovateConfig,
    config_path: &Path,
    vars: &VarsFile,
    vars_path: &Path,
    package_file: &str,
    prefix: &MirrorPrefix,
) -> Vec<Diagnostic> {
    let view = view_file(config, package_file, &vars.text);
    let coverage = Coverage::compute(&view, vars, prefix);
    let ctx = RenovateContext {
        config,
        config_path,
        vars,
        vars_path,
        package_file,
        prefix,
        view,
        coverage,
    };
    let mut out = Vec::new();
    for check in rules::CHECKS {
        check(&ctx, &mut out);
    }
    out
}
