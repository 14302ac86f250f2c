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

use crate::classify::Kind;
use crate::diag::{Code, Diagnostic};
use crate::mirror_map::{MirrorPrefix, MirrorStyle, NoMirrorForm};
use crate::reference::Reference;
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

/// A rule's fix for `check --fix`: the value that answers its finding on an entry, in
/// the file's mirror-path style, or why there is none.
pub(crate) type Fix = fn(Kind<'_>, &MirrorPrefix, MirrorStyle) -> Result<String, String>;

/// The rules `check --fix` answers, with their fixes.
static FIXES: &[(&Code, Fix)] = &[
    (&unapproved_registry::CODE, unapproved_registry::fix),
    (&needless_mirror::CODE, needless_mirror::fix),
    (&mirror_style_mismatch::CODE, mirror_style_mismatch::fix),
];

/// The fix of the rule `code` names, when it has one.
pub(crate) fn fix_of(code: &Code) -> Option<Fix> {
    FIXES
        .iter()
        .find(|(fixable, _)| fixable.code == code.code)
        .map(|(_, fix)| *fix)
}

/// `upstream` written under the prefix in `style`, with the tag and digest `entry` is
/// written with: what IM101 and IM112 suggest and fix to.
fn mirror_entry(
    upstream: &Reference,
    entry: &Reference,
    prefix: &MirrorPrefix,
    style: MirrorStyle,
) -> Result<String, NoMirrorForm> {
    let repository = prefix.mirror_repository(upstream, style)?;
    Ok(format!("{repository}{}", entry.tag_and_digest()))
}

/// What a fix says of an entry that is not in the form its rule finds fault with.
const NOT_THIS_FORM: &str = "the entry is not in a form this fix applies to";

/// The diagnostic for a problem found while loading the file: each kind is one rule's.
pub(super) fn file_problem(problem: &Problem, path: &Path) -> Diagnostic {
    match &problem.kind {
        ProblemKind::TooLarge { .. } => file_too_large::diagnostic(problem, path),
        ProblemKind::NotUtf8 => invalid_encoding::diagnostic(problem, path),
        ProblemKind::Syntax { .. } | ProblemKind::NotAMapping { .. } => {
            invalid_yaml::diagnostic(problem, path)
        }
        ProblemKind::MissingKey { key } => missing_key::diagnostic(problem, key, path),
        ProblemKind::WrongType { .. } => wrong_type::diagnostic(problem, path),
        ProblemKind::DuplicateName { .. } => duplicate_entry::diagnostic(problem, path),
    }
}

/// A load problem as a finding of `code`, in the loader's words and at its place: the
/// file-level rules differ only in their help.
fn load_problem(code: &'static Code, problem: &Problem, path: &Path) -> Diagnostic {
    let diagnostic =
        Diagnostic::new(code, path, problem.kind.to_string()).at_opt(problem.line, problem.column);
    match &problem.entry {
        Some(entry) => diagnostic.entry(entry),
        None => diagnostic,
    }
}
