//! A Renovate config as Renovate ends up with it: the file read by its name
//! ([`super::config::parse_text`]), migrated ([`super::migrate`]), its presets resolved
//! ([`super::presets`]), and its regex managers listed with where each was written.

use std::path::Path;

use serde_json::{Map, Value};

use super::config::{
    ConfigError, MAX_CONFIG_BYTES, ManagerConfig, RenovateConfig, locate_key, locate_string,
    parse_text,
};
use super::migrate::migrate;
use super::presets::{self, Origin, PresetSources};
use super::version::RenovateVersion;

/// Reads and parses a config file as `version` does. I/O errors are the caller's;
/// content problems are a [`ConfigError`].
pub fn load(
    path: &Path,
    version: RenovateVersion,
    sources: &PresetSources,
) -> std::io::Result<Result<RenovateConfig, ConfigError>> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_CONFIG_BYTES as u64 {
        return Ok(Err(ConfigError::TooLarge {
            bytes: size as usize,
        }));
    }
    let bytes = std::fs::read(path)?;
    Ok(parse_with(path, bytes, version, sources))
}

/// Parses a config with the built-in presets only.
pub fn parse(
    path: &Path,
    bytes: Vec<u8>,
    version: RenovateVersion,
) -> Result<RenovateConfig, ConfigError> {
    parse_with(path, bytes, version, &PresetSources::default())
}

/// Parses, migrates and resolves a config as `version` does, repository presets read
/// from `sources`.
pub fn parse_with(
    path: &Path,
    bytes: Vec<u8>,
    version: RenovateVersion,
    sources: &PresetSources,
) -> Result<RenovateConfig, ConfigError> {
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { bytes: bytes.len() });
    }
    // Renovate reads its config as it reads any file: UTF-8, invalid bytes replaced.
    let text = super::package_file::decode_owned(bytes);
    let written = parse_text(path, &text, version)?;
    let migrated = migrate(&written, version);
    let resolved = presets::resolve(&migrated.root, version, sources);
    let managers = managers(
        &resolved.root,
        &resolved.origins,
        &migrated.written_at,
        &text,
        version,
    );
    Ok(RenovateConfig {
        path: path.to_path_buf(),
        text,
        root: resolved.root,
        managers,
        version,
        migrations: migrated.migrations,
        presets_applied: resolved.applied,
        presets_unresolved: resolved.unresolved,
    })
}

fn managers(
    root: &Map<String, Value>,
    origins: &[Origin],
    written_at: &[String],
    text: &str,
    version: RenovateVersion,
) -> Vec<ManagerConfig> {
    let Some(Value::Array(items)) = root.get("customManagers") else {
        return Vec::new();
    };
    let key_line = locate_key(text, "customManagers")
        .or_else(|| locate_key(text, "regexManagers"))
        .unwrap_or(1);
    items
        .iter()
        .zip(origins)
        .map(|(raw, origin)| {
            let (key_path, written_as, preset, line) = match origin {
                Origin::Own(index) => {
                    let key_path = format!("customManagers[{index}]");
                    let line = raw
                        .get("matchStrings")
                        .and_then(|m| m.get(0))
                        .and_then(Value::as_str)
                        .and_then(|first| locate_string(text, first))
                        .unwrap_or(key_line);
                    let written = written_at.get(*index).filter(|w| **w != key_path).cloned();
                    (key_path, written, None, line)
                }
                Origin::Preset { name, index } => (
                    format!("customManagers[{index}]"),
                    None,
                    Some(name.clone()),
                    locate_string(text, name).unwrap_or(1),
                ),
            };
            ManagerConfig {
                key_path,
                written_as,
                preset,
                raw: raw.clone(),
                line,
                version,
            }
        })
        .collect()
}
