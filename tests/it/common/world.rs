//! The world most integration tests run in: an upstream registry (reached as docker.io,
//! ghcr.io and registry.redhat.io) and a mirror registry (reached as quay.io), both
//! Debian's docker-registry on loopback, and a scratch repository for vars.yml.

use std::path::PathBuf;
use std::process::{Command, Output};

use super::images::{self, Platform};
use super::registry::TestRegistry;

pub struct World {
    pub upstream: TestRegistry,
    pub mirror: TestRegistry,
    pub repo: tempfile::TempDir,
}

impl World {
    /// Two anonymous registries.
    pub fn new() -> World {
        World::with(TestRegistry::start(), TestRegistry::start())
    }

    /// Two anonymous registries that log every request.
    pub fn logged() -> World {
        World::with(TestRegistry::start_logged(), TestRegistry::start_logged())
    }

    pub fn with(upstream: TestRegistry, mirror: TestRegistry) -> World {
        World {
            upstream,
            mirror,
            repo: tempfile::tempdir().unwrap(),
        }
    }

    pub fn vars_path(&self) -> PathBuf {
        self.repo.path().join("vars.yml")
    }

    pub fn write_vars(&self, text: &str) {
        std::fs::write(self.vars_path(), text).unwrap();
    }

    pub fn vars(&self) -> String {
        std::fs::read_to_string(self.vars_path()).unwrap()
    }

    /// `--registry` flags sending the upstream names to `upstream_url` and quay.io to
    /// `mirror_url` (a fault proxy in front of either, say).
    pub fn flags_to(upstream_url: &str, mirror_url: &str) -> Vec<String> {
        vec![
            format!("--registry=docker.io={upstream_url}"),
            format!("--registry=ghcr.io={upstream_url}"),
            format!("--registry=registry.redhat.io={upstream_url}"),
            format!("--registry=quay.io={mirror_url}"),
        ]
    }

    pub fn flags(&self) -> Vec<String> {
        World::flags_to(&self.upstream.url(), &self.mirror.url())
    }

    /// `img-mirror ARGS --repo REPO` with this world's registry flags.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = super::img_mirror();
        command
            .args(args)
            .arg("--repo")
            .arg(self.repo.path())
            .args(self.flags());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Builds an image and pushes it upstream as `repo:tag`; returns its digest.
    pub fn publish(&self, repo: &str, tag: &str, platforms: Vec<Platform>) -> String {
        self.publish_as(repo, tag, platforms, false)
    }

    /// [`World::publish`], in Docker schema 2 formats when `docker_format`.
    pub fn publish_as(
        &self,
        repo: &str,
        tag: &str,
        platforms: Vec<Platform>,
        docker_format: bool,
    ) -> String {
        let layout = tempfile::tempdir().unwrap();
        images::write_layout(layout.path(), tag, platforms);
        images::push(
            layout.path(),
            tag,
            &self.upstream.authority(),
            repo,
            docker_format,
        )
    }

    /// Whether the mirror serves `reference` (`cki/mirror/x:1`) whole.
    pub fn in_mirror(&self, reference: &str) -> bool {
        images::copy_all_succeeds(&self.mirror.authority(), reference)
    }

    /// The digest the mirror's `reference` resolves to, if it exists.
    pub fn mirror_digest(&self, reference: &str) -> Option<String> {
        images::tag_digest(&self.mirror.authority(), reference, None)
    }
}
