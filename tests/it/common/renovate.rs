//! Real Renovate for the conformance tests: each version with the Node it needs, installed
//! once per machine by tests/tools/renovate.sh into a cache outside the clone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// The Renovate of the 39 line (Node 22, node-re2 1.21.4) and the current one (Node 24,
/// node-re2 1.26.1).
pub const VERSIONS: [&str; 2] = ["39.264.1", "44.121.2"];

/// An installed Renovate: its folder and the Node binary it was built for.
#[derive(Debug, Clone)]
pub struct Renovate {
    pub version: &'static str,
    pub prefix: PathBuf,
}

impl Renovate {
    /// Installs (or finds) `version`; panics with the installer's output when that
    /// fails, so a machine without npm fails the test loudly instead of skipping it.
    pub fn get(version: &'static str) -> Renovate {
        static INSTALLED: OnceLock<Mutex<Vec<Renovate>>> = OnceLock::new();
        let installed = INSTALLED.get_or_init(|| Mutex::new(Vec::new()));
        let mut installed = installed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = installed.iter().find(|r| r.version == version) {
            return found.clone();
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/renovate.sh");
        let output = super::tool_output(Command::new("bash").arg(script).arg(version));
        let stdout = String::from_utf8_lossy(&output);
        let prefix = PathBuf::from(stdout.lines().last().expect("the prefix").trim());
        let renovate = Renovate { version, prefix };
        installed.push(renovate.clone());
        renovate
    }

    /// `node` as this Renovate runs on it.
    pub fn node(&self) -> Command {
        Command::new(self.prefix.join("node"))
    }

    pub fn bin(&self, name: &str) -> PathBuf {
        self.prefix.join("node_modules/.bin").join(name)
    }

    /// Renovate 39 loads node-re2 1.21, current Renovate 1.26.
    pub fn engine(&self) -> img_mirror::renovate::re2::NodeRe2 {
        if self.version.starts_with("39.") {
            img_mirror::renovate::re2::NodeRe2::V1_21
        } else {
            img_mirror::renovate::re2::NodeRe2::V1_26
        }
    }
}

impl Renovate {
    /// Runs tests/conformance/`script` on this Renovate's Node with its prefix and then
    /// `args`, and returns what it printed; fails the test with its stderr otherwise.
    pub fn script(&self, script: &str, args: &[&Path]) -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/conformance")
            .join(script);
        super::tool_output(
            self.node()
                .arg(path)
                .arg(&self.prefix)
                .args(args)
                .env("LOG_LEVEL", "fatal"),
        )
    }

    /// A batch script (`script PREFIX CASES.json RESULTS.json`): the cases written to
    /// one file, the results read from the other.
    pub fn batch<T: serde::de::DeserializeOwned>(
        &self,
        script: &str,
        cases: &serde_json::Value,
    ) -> T {
        let cases_file = tempfile::NamedTempFile::new().unwrap();
        let results_file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(cases_file.path(), serde_json::to_vec(cases).unwrap()).unwrap();
        self.script(script, &[cases_file.path(), results_file.path()]);
        serde_json::from_slice(&std::fs::read(results_file.path()).unwrap()).unwrap()
    }
}

/// The allowedCommands patterns of renovate/self-hosted-config.js, as JavaScript holds
/// them (one `'^img-mirror ...'` string literal per line).
pub fn allowed_commands() -> Vec<String> {
    let config_js = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("renovate/self-hosted-config.js"),
    )
    .unwrap();
    config_js
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("'^img-mirror"))
        .map(|line| line[1..line.len() - 2].replace("\\\\", "\\"))
        .collect()
}
