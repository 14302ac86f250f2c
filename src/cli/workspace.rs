//! What every repository command works on, built once from its arguments (as
//! ripgrep's HiArgs): the repository context (flags over `.img-mirror.toml`, then
//! resolved by the library's `RepoContext`); and for the commands that reach
//! registries, the client and its runtime.

use std::path::PathBuf;

use img_mirror::diag::{Sources, render_human};
use img_mirror::lint::{LintOptions, lint_vars};
use img_mirror::mirror::ReferrerPolicy;
use img_mirror::mirror_map::{DEFAULT_MIRROR_PREFIX, MirrorPrefix};
use img_mirror::registry::{ClientOptions, Credentials, Endpoints, RegistryClient, RetryPolicy};
use img_mirror::repo_context::RepoContext;
use img_mirror::settings::Settings;
use img_mirror::vars::{self, VarsFile};

use super::args::{RegistryArgs, RepoArgs};
use super::{Failure, output};

/// The repository a command acts on.
pub struct Workspace {
    pub context: RepoContext,
}

impl Workspace {
    /// From `--repo`, `--vars`, `--mirror-prefix`, (for check and extract) `--config`,
    /// and the repository's `.img-mirror.toml`, which the flags override.
    pub fn open(repo: &RepoArgs, config: Option<PathBuf>) -> Result<Workspace, Failure> {
        if !repo.repo.is_dir() {
            return Err(Failure::message(format!(
                "--repo {}: not a directory",
                repo.repo.display()
            )));
        }
        let settings = Settings::load(&repo.repo)?;
        let mirror_prefix = match &repo.mirror_prefix {
            Some(prefix) => MirrorPrefix::parse(prefix)
                .map_err(|e| Failure::message(format!("--mirror-prefix: {e}")))?,
            None => match &settings.mirror_prefix {
                Some(prefix) => prefix.clone(),
                None => MirrorPrefix::parse(DEFAULT_MIRROR_PREFIX).expect("the default parses"),
            },
        };
        let renovate_version = match &repo.renovate_version {
            Some(version) => version
                .parse()
                .map_err(|e| Failure::message(format!("--renovate-version: {e}")))?,
            None => settings.renovate_version.unwrap_or_default(),
        };
        let mut checkouts = Vec::new();
        for mapping in &repo.presets {
            let Some((name, dir)) = mapping
                .split_once('=')
                .filter(|(n, d)| !n.is_empty() && !d.is_empty())
            else {
                return Err(Failure::message(format!(
                    "--preset {mapping}: write the preset repository and its checkout as REPO=DIR"
                )));
            };
            checkouts.push((name.to_string(), PathBuf::from(dir)));
        }
        checkouts.extend(settings.presets.iter().cloned());
        let vars = repo.vars.clone().or_else(|| {
            settings
                .vars
                .as_ref()
                .map(|vars| img_mirror::diag::display_join(&repo.repo, &vars.to_string_lossy()))
        });
        Ok(Workspace {
            context: RepoContext::resolve(
                repo.repo.clone(),
                vars,
                config,
                mirror_prefix,
                renovate_version,
                img_mirror::renovate::presets::PresetSources { checkouts },
                settings,
            ),
        })
    }

    pub fn prefix(&self) -> &MirrorPrefix {
        &self.context.mirror_prefix
    }

    /// What travels with each image: `--referrers`, else `.img-mirror.toml`, else all.
    pub fn referrers(&self, registry: &RegistryArgs) -> ReferrerPolicy {
        registry
            .referrers
            .or(self.context.settings.referrers)
            .unwrap_or_default()
    }

    /// vars.yml for a command that acts on it (through the one capped read); when it
    /// cannot be used, prints why, as `check` would, and returns `None`.
    pub fn load_vars(&self) -> Result<Option<VarsFile>, Failure> {
        let vars_path = &self.context.vars_path;
        let loaded = vars::load(vars_path)
            .map_err(|e| Failure::message(format!("cannot read {}: {e}", vars_path.display())))?;
        if loaded.vars.is_none() {
            let lint_options = LintOptions {
                mirror_prefix: self.context.mirror_prefix.clone(),
            };
            let diagnostics = lint_vars(&loaded, vars_path, &lint_options);
            let mut sources = Sources::default();
            if let Some(text) = &loaded.text {
                sources.add(vars_path, text.clone());
            }
            output::stderr(&render_human(&diagnostics, &sources, false));
        }
        Ok(loaded.vars)
    }
}

/// The registries a command reaches: one client (endpoints, credentials, TLS, retries,
/// time-outs from the flags and the environment) and the runtime it runs on.
pub struct Registries {
    pub client: RegistryClient,
    pub runtime: tokio::runtime::Runtime,
}

impl Registries {
    pub fn open(args: &RegistryArgs) -> Result<Registries, Failure> {
        let endpoints = Endpoints::parse(args.registries.iter().map(String::as_str))?;
        let credentials = Credentials::from_environment()?;
        let client = RegistryClient::new(ClientOptions {
            endpoints,
            credentials,
            insecure_tls: args.insecure_tls.clone(),
            retry: RetryPolicy {
                attempts: args.retries,
                ..RetryPolicy::default()
            },
            connect_timeout: std::time::Duration::from_secs(args.timeout),
            read_timeout: std::time::Duration::from_secs(args.timeout),
            max_rate_limit_wait: std::time::Duration::from_secs(args.max_rate_limit_wait),
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::message(format!("cannot start the async runtime: {e}")))?;
        Ok(Registries { client, runtime })
    }
}
