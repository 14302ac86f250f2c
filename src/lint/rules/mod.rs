//! One file per rule. File-level codes (IM0xx) come from load problems; entry codes
//! (IM1xx) run over each `IMAGES` entry.

pub mod digest_without_tag;
pub mod duplicate_entry;
pub mod file_too_large;
pub mod invalid_approved_registry;
pub mod invalid_encoding;
pub mod invalid_entry_name;
pub mod invalid_mirror_path;
pub mod invalid_yaml;
pub mod malformed_digest;
pub mod malformed_reference;
pub mod mirror_prefix_not_approved;
pub mod mirror_style_mismatch;
pub mod missing_key;
pub mod needless_mirror;
pub mod not_pinned;
pub mod unapproved_registry;
pub mod unused_suppression;
pub mod wrong_type;

use std::path::Path;

use crate::diag::{Code, Diagnostic};
use crate::vars::{Problem, ProblemKind};

use super::{Context, EntryFacts};

/// Every lint code.
pub static ALL: &[&Code] = &[
    &invalid_encoding::CODE,
    &invalid_yaml::CODE,
    &duplicate_entry::CODE,
    &missing_key::CODE,
    &wrong_type::CODE,
    &file_too_large::CODE,
    &unapproved_registry::CODE,
    &not_pinned::CODE,
    &digest_without_tag::CODE,
    &malformed_reference::CODE,
    &malformed_digest::CODE,
    &needless_mirror::CODE,
    &invalid_mirror_path::CODE,
    &mirror_prefix_not_approved::CODE,
    &invalid_entry_name::CODE,
    &invalid_approved_registry::CODE,
    &unused_suppression::CODE,
    &mirror_style_mismatch::CODE,
];

pub(super) type EntryCheck = fn(&EntryFacts<'_>, &Context<'_>, &mut Vec<Diagnostic>);

/// The per-entry checks, in the order their findings should read.
pub(super) static ENTRY_CHECKS: &[EntryCheck] = &[
    invalid_entry_name::check,
    malformed_reference::check,
    invalid_mirror_path::check,
    malformed_digest::check,
    not_pinned::check,
    digest_without_tag::check,
    unapproved_registry::check,
    needless_mirror::check,
    mirror_style_mismatch::check,
];

/// The diagnostic for a problem found while loading the file.
pub(super) fn file_problem(problem: &Problem, path: &Path) -> Diagnostic {
    let code: &'static Code = match &problem.kind {
        ProblemKind::TooLarge { .. } => &file_too_large::CODE,
        ProblemKind::NotUtf8 => &invalid_encoding::CODE,
        ProblemKind::Syntax { .. } | ProblemKind::NotAMapping { .. } => &invalid_yaml::CODE,
        ProblemKind::MissingKey { .. } => &missing_key::CODE,
        ProblemKind::WrongType { .. } => &wrong_type::CODE,
        ProblemKind::DuplicateName { .. } => &duplicate_entry::CODE,
    };
    let mut diagnostic =
        Diagnostic::new(code, path, problem.kind.to_string()).at_opt(problem.line, problem.column);
    if let Some(entry) = &problem.entry {
        diagnostic = diagnostic.entry(entry);
    }
    match &problem.kind {
        ProblemKind::MissingKey { key } => diagnostic.help(format!(
            "add a top-level `{key}:` {}",
            if *key == crate::vars::IMAGES_KEY {
                "mapping of NAME: image"
            } else {
                "list of approved registries"
            }
        )),
        ProblemKind::DuplicateName { .. } => {
            diagnostic.help("remove one of the two entries, or rename it")
        }
        ProblemKind::TooLarge { .. } => diagnostic.help("is this really the vars.yml you meant?"),
        _ => diagnostic,
    }
}
