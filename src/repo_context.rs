//! The repository context every command works on: the repository, its vars.yml and
//! Renovate config, the mirror prefix and the repository's settings, resolved once (as
//! ripgrep's HiArgs) so that no command searches the file system for them again.

use std::path::{Path, PathBuf};

use crate::diag::display_join;
use crate::mirror_map::MirrorPrefix;
use crate::renovate::config;
use crate::renovate::presets::PresetSources;
use crate::renovate::version::RenovateVersion;
use crate::settings::Settings;

/// Where to look and what the mirror is, with every path already resolved.
#[derive(Debug, Clone)]
pub struct RepoContext {
    pub repo: PathBuf,
    /// The vars file to read: `--vars` (or `.img-mirror.toml`'s), else `vars.yml` in the
    /// repository; relative paths are taken from the current directory.
    pub vars_path: PathBuf,
    /// Whether `vars_path` was named rather than defaulted: a named file that is missing
    /// is an error, a missing default is not when there is a config to check.
    pub vars_given: bool,
    /// `--config`, else the first of Renovate's file names found in `repo`.
    pub config_path: Option<PathBuf>,
    /// The vars path relative to the repository root with `/` separators: what
    /// Renovate's file patterns are matched against.
    pub package_file: String,
    pub mirror_prefix: MirrorPrefix,
    /// The Renovate the repository runs.
    pub renovate_version: RenovateVersion,
    /// Local checkouts of the repository presets the config extends.
    pub presets: PresetSources,
    /// The repository's `.img-mirror.toml` (rule levels, template scan exclusions).
    pub settings: Settings,
}

impl RepoContext {
    /// Resolves the paths of `repo` from what was given: `vars` and `config` as named
    /// (by flags or settings), `None` for Renovate's and img-mirror's defaults.
    pub fn resolve(
        repo: PathBuf,
        vars: Option<PathBuf>,
        config: Option<PathBuf>,
        mirror_prefix: MirrorPrefix,
        renovate_version: RenovateVersion,
        presets: PresetSources,
        settings: Settings,
    ) -> RepoContext {
        let vars_given = vars.is_some();
        let vars_path = vars.unwrap_or_else(|| display_join(&repo, "vars.yml"));
        let config_path = config.or_else(|| find_config(&repo, renovate_version));
        let package_file = package_file(&repo, &vars_path);
        RepoContext {
            repo,
            vars_path,
            vars_given,
            config_path,
            package_file,
            mirror_prefix,
            renovate_version,
            presets,
            settings,
        }
    }
}

/// Renovate's config in `repo`, shown as joined to `repo` as the user wrote it, so that
/// messages quote the path in the form of `--repo`.
fn find_config(repo: &Path, version: RenovateVersion) -> Option<PathBuf> {
    config::find_config_for(repo, version).map(|found| {
        display_join(
            repo,
            &found.strip_prefix(repo).unwrap_or(&found).to_string_lossy(),
        )
    })
}

/// `vars` relative to `repo` with `/` separators; its file name alone when it lies
/// outside the repository.
fn package_file(repo: &Path, vars: &Path) -> String {
    let relative = std::path::absolute(vars)
        .ok()
        .zip(std::path::absolute(repo).ok())
        .and_then(|(vars, repo)| vars.strip_prefix(repo).ok().map(Path::to_path_buf));
    let relative = relative.unwrap_or_else(|| PathBuf::from(vars.file_name().unwrap_or_default()));
    relative.to_string_lossy().replace('\\', "/")
}
