//! The JSON lines `mirror`, `verify`, `prune` (and `pin --mirror`, `post-upgrade`
//! through them) print: one serde-tagged enum, so every line's shape is declared in
//! one place.

use serde::Serialize;

use img_mirror::mirror::Outcome;
use img_mirror::verify::Check;

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Line<'a> {
    /// One image copied, present, to copy, or failed.
    Mirror(&'a Outcome),
    /// An entry `mirror` cannot copy at all (no usable upstream, not pinned).
    #[serde(rename = "mirror")]
    Unusable { status: &'static str, error: String },
    /// One entry verified.
    Verify(&'a Check),
    /// The end of a `mirror` run.
    #[serde(rename = "summary")]
    MirrorSummary {
        images: usize,
        present: usize,
        copied: usize,
        would_copy: usize,
        /// Present images whose missing referrers were copied.
        completed: usize,
        /// Referrers copied (or that would be) in all.
        referrers: u32,
        failed: usize,
        bytes: u64,
        seconds: f64,
    },
    /// The end of a `verify` run.
    #[serde(rename = "summary")]
    VerifySummary { checked: usize, failed: usize },
    /// One mirror tag `prune` deletes, would delete, or spares.
    Prune {
        status: &'static str,
        repository: &'a str,
        tag: &'a str,
        digest: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
    /// The end of a `prune` run.
    #[serde(rename = "summary")]
    PruneSummary {
        revisions: usize,
        repositories: usize,
        kept: usize,
        removed: usize,
        deleted: usize,
        applied: bool,
    },
}

impl Line<'_> {
    /// The line, newline included.
    pub fn text(&self) -> String {
        let mut text = serde_json::to_string(self).expect("lines are plain data");
        text.push('\n');
        text
    }
}
