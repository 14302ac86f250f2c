//! Renovate checks: would Renovate's regex manager find every `IMAGES` entry, look its
//! tags up at the right registry, and be able to write a bump back?
//!
//! Coverage is worked out once (which dep lies on which entry); each rule file then
//! judges one aspect of it. Offline, like the rest of `lint`.

pub(crate) mod coverage;
pub mod repository;
pub mod rules;

use std::path::Path;
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::lint::EntryFacts;
use crate::mirror_map::MirrorPrefix;
use crate::renovate::config::RenovateConfig;
use crate::renovate::{FileView, VerifiedBumps};
use crate::vars::VarsFile;

pub use coverage::{Coverage, DepRef, EntryCoverage};

/// What the Renovate rules look at: the inputs, what the managers extract, and which
/// dep lies on which entry.
pub struct RenovateContext<'a> {
    pub inputs: Inputs<'a>,
    pub view: Arc<FileView>,
    /// Deps whose simulated bump verified in [`Prepared`]'s one-pass simulation (empty
    /// until the checks that read it).
    pub proven_bumps: VerifiedBumps,
    pub coverage: Coverage<'a>,
    /// Where each manager's matchStrings gave up in the vars file, by run, worked out
    /// once for the rules that explain them.
    attempts: std::sync::OnceLock<Vec<(usize, crate::renovate::near_miss::NearMiss)>>,
    lines: std::sync::OnceLock<coverage::LineIndex>,
}

impl RenovateContext<'_> {
    /// Every attempt of every manager run on the vars file that no match of it covers,
    /// with the run's index ([`crate::renovate::near_miss::attempts`]).
    pub(crate) fn attempts(&self) -> &[(usize, crate::renovate::near_miss::NearMiss)] {
        self.attempts.get_or_init(|| {
            self.view
                .runs
                .iter()
                .enumerate()
                .flat_map(|(index, run)| {
                    crate::renovate::near_miss::attempts(
                        &run.manager,
                        &run.extraction,
                        &self.vars.text,
                    )
                    .into_iter()
                    .map(move |miss| (index, miss))
                })
                .collect()
        })
    }

    /// The vars file's lines, to place findings without counting from the top each time.
    pub(crate) fn lines(&self) -> &coverage::LineIndex {
        self.lines
            .get_or_init(|| coverage::LineIndex::new(&self.vars.text))
    }
}

/// The proof of the simulated bumps: the deps whose bump verified, once it is done.
pub type ProvenBumps<'p> = Box<dyn FnOnce() -> VerifiedBumps + 'p>;

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
/// `check` works it out on a second core while the YAML is parsed, and hands the
/// extraction over before the proof is done.
pub struct Prepared<'p> {
    pub view: Arc<FileView>,
    pub proven_bumps: ProvenBumps<'p>,
}

impl<'a> Prepared<'a> {
    pub fn new(
        config: &RenovateConfig,
        package_file: &'a str,
        text: &'a str,
        prefix: &'a MirrorPrefix,
    ) -> Prepared<'a> {
        let view = Arc::new(crate::renovate::view_file(config, package_file, text));
        let proven = Arc::clone(&view);
        Prepared {
            view,
            proven_bumps: Box::new(move || {
                crate::renovate::autoreplace::prove_bumps(
                    &proven,
                    text,
                    package_file,
                    prefix.as_str(),
                )
            }),
        }
    }
}

/// Every Renovate finding for one vars file, given what the managers extract from it.
pub fn check(inputs: Inputs<'_>, prepared: Prepared<'_>) -> Vec<Diagnostic> {
    let Prepared { view, proven_bumps } = prepared;
    let coverage = Coverage::compute(&view, inputs.vars, inputs.entries);
    let mut ctx = RenovateContext {
        inputs,
        view,
        proven_bumps: VerifiedBumps::default(),
        coverage,
        attempts: Default::default(),
        lines: Default::default(),
    };
    let [before_proof, after_proof] = rules::CHECKS;
    let mut out = Vec::new();
    for check in before_proof {
        check(&ctx, &mut out);
    }
    ctx.proven_bumps = proven_bumps();
    for check in after_proof {
        check(&ctx, &mut out);
    }
    drop_in_background(ctx.view);
    out
}

/// Drops `value` on a thread of its own. Freeing a 10,000-entry file's deps takes 3 ms
/// that the findings need not wait for, and a command that exits first never pays it.
fn drop_in_background<T: Send + 'static>(value: T) {
    // Should no thread start, the closure, and `value` with it, drops here.
    let _ = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
}
