//! Every flag, declared once with its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use img_mirror::mirror_map::DEFAULT_MIRROR_PREFIX;

#[derive(Debug, Parser)]
#[command(
    name = "img-mirror",
    version,
    about = "Keep a GitOps repository's pinned container images safe to deploy",
    long_about = "Checks vars.yml and its Renovate regex manager, and mirrors images that \
                  clusters may not pull directly into the mirror prefix, by digest."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint vars.yml: every IMAGES entry approved or mirrored, pinned and well-formed
    Check(CheckArgs),
    /// Show what Renovate's regex managers extract from vars.yml, as Renovate would
    Extract(ExtractArgs),
    /// Show what a diagnostic code means, why it matters, and an example
    Explain(ExplainArgs),
}

/// Where the repository and its files are.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The deployment-all checkout
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// vars.yml to read [default: REPO/vars.yml]
    #[arg(long, value_name = "PATH")]
    pub vars: Option<PathBuf>,
    /// Repository prefix that mirrored images live under
    #[arg(long, value_name = "PREFIX", env = "IMG_MIRROR_PREFIX", default_value = DEFAULT_MIRROR_PREFIX)]
    pub mirror_prefix: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Renovate config [default: the first of Renovate's config file names in REPO]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// file:line:column, the source line and a marker; colour on a terminal
    Human,
    /// One JSON object per finding per line, then a summary line
    Json,
    /// A GitLab Code Quality report (paths relative to CI_PROJECT_DIR)
    Gitlab,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Renovate config [default: the first of Renovate's config file names in REPO]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ExtractFormat::Human)]
    pub format: ExtractFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    /// A table per manager
    Human,
    /// Renovate's packageFiles shape: {"regex":[{"packageFile":...,"deps":[...]}]}
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code (IM101) or name (unapproved-registry); without one, list every code
    pub code: Option<String>,
}
