//! img-mirror: keeps a GitOps repository's pinned container images safe to deploy.
//!
//! The library checks `vars.yml` against the approved-registry policy and, later, the
//! Renovate configuration, and mirrors images by digest. It never prints: the binary's
//! `cli` module owns all output and exit codes.

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod approval;
pub mod check;
pub mod classify;
pub mod diag;
pub mod diff;
pub mod extract;
pub mod fix;
pub mod history;
pub mod lint;
pub mod mirror;
pub mod mirror_map;
pub mod pin;
pub mod post_upgrade;
pub mod prune;
pub mod redact;
pub mod reference;
pub mod registry;
pub mod repo_context;
/// Renovate's side, from its own crate ([`renovate_regex`]).
pub use renovate_regex as renovate;
pub mod settings;
pub mod template_refs;
pub mod vars;
pub mod verify;
pub mod versions;
