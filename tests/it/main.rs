//! img-mirror's integration tests, in one binary: the CLI against real registries
//! (docker-registry on loopback), real Renovate, and the Go libraries' tables. One
//! binary links once, which keeps a cold `cargo test` within its budget; the modules
//! share `common` (registries, images, fault proxies, Renovate installs).

mod common;

mod check_cli;
mod credential_helpers;
mod faults;
mod go_tables;
mod hostile_names;
mod integration_files;
mod interrupted;
mod mirror_cli;
mod near_miss;
mod package_rules_differential;
mod pin_cli;
mod properties;
mod prune;
mod pull_limits;
mod re2_differential;
mod referrers;
mod renovate_conformance;
mod renovate_lifecycle;
mod renovate_presets;
mod secrets;
mod snapshots;
mod static_binary;
mod template_differential;
mod token_auth;
mod upgrade_cli;
