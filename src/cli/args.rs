//! Every flag, declared once with its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Log each registry request on stderr, credentials redacted (-vv: also
    /// oci-client's own logs); RUST_LOG overrides
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint vars.yml: every IMAGES entry approved or mirrored, pinned and well-formed
    Check(CheckArgs),
    /// Show what Renovate's regex managers extract from vars.yml, as Renovate would
    Extract(ExtractArgs),
    /// Copy mirrored IMAGES entries, by digest, into the mirror prefix
    Mirror(MirrorArgs),
    /// Show the IMAGES entries that changed between two versions of vars.yml
    Diff(DiffArgs),
    /// Renovate postUpgradeTasks: check the bump, mirror the changed images, print the diff
    PostUpgrade(PostUpgradeArgs),
    /// Add or bump an IMAGES entry: resolve the tag's digest and write it in the right form
    Pin(PinArgs),
    /// Check that every mirrored entry's digest is in the mirror (the gate before a deploy)
    Verify(VerifyArgs),
    /// Delete mirror tags that vars.yml no longer references, now or in its last N
    /// revisions (a dry run unless --apply)
    Prune(PruneArgs),
    /// Show an image's digest (as skopeo inspect reports it), media type and platforms
    Inspect(InspectArgs),
    /// Show what a diagnostic code means, why it matters, and an example
    Explain(ExplainArgs),
}

/// Where the repository and its files are.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The deployment-all checkout
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// vars.yml to read [default: `vars` in REPO/.img-mirror.toml, else REPO/vars.yml]
    #[arg(long, value_name = "PATH")]
    pub vars: Option<PathBuf>,
    /// Repository prefix that mirrored images live under [default: `mirror-prefix` in
    /// REPO/.img-mirror.toml, else quay.io/cki/mirror]
    #[arg(long, value_name = "PREFIX", env = "IMG_MIRROR_PREFIX")]
    pub mirror_prefix: Option<String>,
    /// The Renovate release the repository runs (44, 39.264.1, ...), which decides how
    /// its config is parsed, migrated and validated and how templates render
    /// [default: `renovate-version` in REPO/.img-mirror.toml, else 44.121.2]
    #[arg(long, value_name = "VERSION", env = "IMG_MIRROR_RENOVATE_VERSION")]
    pub renovate_version: Option<String>,
    /// A repository preset the Renovate config extends, read from a local checkout:
    /// `--preset cki-project/renovate-presets=../renovate-presets` (repeatable; adds to
    /// `[presets]` in REPO/.img-mirror.toml and wins over it)
    #[arg(long = "preset", value_name = "REPO=DIR")]
    pub presets: Vec<String>,
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
    /// Rewrite what can be fixed offline (IM101 into the mirror form, IM106 back to its
    /// upstream) when the result passes check, then report what is left
    #[arg(long)]
    pub fix: bool,
    /// With --fix: print the diff and write nothing
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
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

/// Where registries are reached.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// Send requests for registry HOST to URL (http:// or https://), e.g. a pull-through
    /// cache or a test registry; repeatable
    #[arg(
        long = "registry",
        value_name = "HOST=URL",
        env = "IMG_MIRROR_REGISTRIES",
        value_delimiter = ','
    )]
    pub registries: Vec<String>,
    /// Do not verify the TLS certificate of HOST (host or host:port); repeatable.
    /// Every other registry's certificate is verified
    #[arg(long = "insecure-tls", value_name = "HOST")]
    pub insecure_tls: Vec<String>,
    /// Attempts for a request that fails transiently (timeouts, 5xx, 429), the first included
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub retries: u32,
    /// Give up on a connection or a stalled read after this many seconds (then retry)
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Wait at most this long for a registry's pull limit (Docker Hub's 429) to reset;
    /// past it, that registry's images are left behind (named, with the reset time), the
    /// others are copied, and the run exits 1
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86400))]
    pub max_rate_limit_wait: u64,
    /// What travels with each image: all referrers (signatures, attestations, SBOMs,
    /// as OCI referrers or cosign tags), signatures only, or none [default: all, or
    /// `referrers` in .img-mirror.toml]
    #[arg(long, value_name = "all|signatures|none", env = "IMG_MIRROR_REFERRERS")]
    pub referrers: Option<img_mirror::mirror::ReferrerPolicy>,
}

#[derive(Debug, Args)]
pub struct MirrorArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Mirror only this IMAGES entry; repeatable [default: every mirrored entry]
    #[arg(long = "entry", value_name = "NAME")]
    pub entries: Vec<String>,
    /// Images copied at once [default: adaptive: from 4, one more for each image the
    /// registries took without pushing back (429, 503), halved when one did, up to 32]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// Only check the mirror and say what would be copied
    #[arg(long)]
    pub dry_run: bool,
    /// Run the I-th of N slices of the entries (by a hash of the name), for parallel jobs
    #[arg(long, value_name = "I/N")]
    pub shard: Option<img_mirror::mirror::Shard>,
    /// Output format
    #[arg(long, value_enum, default_value_t = MirrorFormat::Human)]
    pub format: MirrorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MirrorFormat {
    /// A line per image copied or failed, and a summary
    Human,
    /// One JSON object per image per line, then a summary line
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The old version: a git revision [default: HEAD]
    #[arg(long, value_name = "REV", conflicts_with = "files")]
    pub base: Option<String>,
    /// The new version: a git revision [default: the working tree]
    #[arg(long, value_name = "REV", conflicts_with = "files")]
    pub head: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when entries changed, as `git diff --exit-code` does
    #[arg(long)]
    pub exit_code: bool,
    /// Compare two files instead: OLD NEW
    #[arg(value_name = "FILE", num_args = 2)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A unified diff of the changed entries' lines
    Text,
    /// One JSON object per changed entry per line
    Json,
}

#[derive(Debug, Args)]
pub struct PostUpgradeArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Compare the working tree with this revision
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub base: String,
    /// Renovate's {{{depName}}} (update mode only): checked against the diff
    #[arg(long, value_name = "NAME")]
    pub dep_name: Option<String>,
    /// Renovate's {{{newValue}}}: checked against the diff
    #[arg(long, value_name = "TAG")]
    pub new_value: Option<String>,
    /// Renovate's {{{newDigest}}}: checked against the diff
    #[arg(long, value_name = "DIGEST")]
    pub new_digest: Option<String>,
    /// Renovate's data file (postUpgradeTasks.dataFileTemplate): every update of the
    /// branch, each checked against the diff
    #[arg(
        long,
        value_name = "PATH",
        env = "RENOVATE_POST_UPGRADE_COMMAND_DATA_FILE",
        conflicts_with_all = ["dep_name", "new_value", "new_digest"]
    )]
    pub data_file: Option<std::path::PathBuf>,
    /// Images copied at once [default: adaptive: from 4, one more for each image the
    /// registries took without pushing back (429, 503), halved when one did, up to 32]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// The IMAGES name (letters, digits and _)
    pub name: String,
    /// The upstream image and tag, e.g. docker.io/grafana/grafana:11.3.0
    #[arg(value_name = "IMAGE:TAG")]
    pub image: String,
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Also copy the image into the mirror now, when it is mirrored
    #[arg(long)]
    pub mirror: bool,
    /// Print the diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Also check that every manifest and blob under each mirror tag exists
    #[arg(long)]
    pub deep: bool,
    /// Also check that directly used (approved) entries exist at their registry by
    /// digest, and that the mirror has every referrer (signature, attestation, SBOM) the
    /// upstream has for each mirrored entry
    #[arg(long)]
    pub upstream: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = MirrorFormat::Human)]
    pub format: MirrorFormat,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Keep what the last N revisions that changed vars.yml reference, HEAD's included
    /// [default: `keep-revisions` in REPO/.img-mirror.toml, else 20]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_revisions: Option<u32>,
    /// Also keep what this git ref's last N revisions reference: a staging branch, an
    /// open merge request (repeatable)
    #[arg(long = "ref", value_name = "REF")]
    pub refs: Vec<String>,
    /// Delete; without it, only list what would be deleted
    #[arg(long)]
    pub apply: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = MirrorFormat::Human)]
    pub format: MirrorFormat,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// IMAGE[:TAG|@DIGEST]
    pub image: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = MirrorFormat::Human)]
    pub format: MirrorFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code (IM101) or name (unapproved-registry); without one, list every code
    pub code: Option<String>,
}
