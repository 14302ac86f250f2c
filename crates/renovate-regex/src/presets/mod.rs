//! Renovate's `extends`: presets resolved as `resolveConfigPresets` resolves them, for
//! what img-mirror reads of a config (custom managers, ignorePaths, and the settings
//! that stop updates).
//!
//! - Built-in presets come from a table of each Renovate version's own presets
//!   (builtin-39.json and builtin-44.json, made by tests/conformance/renovate-presets.js
//!   and checked against Renovate's resolveConfigPresets in the conformance suite):
//!   which names exist, the aliases Renovate applies first (`regexManagers:*`,
//!   `config:base`), and each preset's `extends`, `customManagers` and `ignorePaths`.
//! - Repository presets (`local>`, `github>`, `gitlab>`, `owner/repo`, ...) cannot be
//!   fetched offline; `.img-mirror.toml`'s `[presets]` or `--preset` maps a preset
//!   repository to a local checkout, read with Renovate's file rules (`default` is
//!   default.json then renovate.json, `.json` added to a bare name, `//path/`,
//!   `file/key` sub-presets, `{{argN}}` arguments), migrated, and resolved in turn.
//! - A preset neither built in nor mapped is named as unresolved; never taken to mean
//!   that the config has no manager.
//!
//! Merging is `mergeChildConfig`: presets first, in `extends` order, the config's own
//! entries last; `customManagers`, `packageRules` and `ignoreDeps` concatenate,
//! everything else is replaced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::migrate::migrate;
use super::version::RenovateVersion;

/// Options whose lists concatenate when a preset and a config both set them.
const MERGED_LISTS: &[&str] = &["customManagers", "packageRules", "ignoreDeps"];

/// Nesting beyond this is refused (Renovate has no limit, only its cycle check).
const MAX_DEPTH: usize = 32;

#[derive(Debug, Deserialize)]
struct BuiltinTable {
    internal: std::collections::HashSet<String>,
    aliases: BTreeMap<String, Option<String>>,
    /// Each internal preset as far as img-mirror reads it (extends, customManagers,
    /// ignorePaths); a preset that is not here sets none of them.
    definitions: BTreeMap<String, Map<String, Value>>,
}

static BUILTIN_39: LazyLock<BuiltinTable> = LazyLock::new(|| {
    serde_json::from_str(include_str!("builtin-39.json")).expect("the shipped table parses")
});
static BUILTIN_44: LazyLock<BuiltinTable> = LazyLock::new(|| {
    serde_json::from_str(include_str!("builtin-44.json")).expect("the shipped table parses")
});

fn builtin(version: RenovateVersion) -> &'static BuiltinTable {
    if version.is_44_generation() {
        &BUILTIN_44
    } else {
        &BUILTIN_39
    }
}

/// Where repository presets are read from: preset repository -> local checkout.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresetSources {
    pub checkouts: Vec<(String, PathBuf)>,
}

impl PresetSources {
    /// The checkout for `repo` as written after its source (`owner/repo`), or for the
    /// whole `source>owner/repo`.
    fn checkout(&self, source: &str, repo: &str) -> Option<&Path> {
        let qualified = format!("{source}>{repo}");
        self.checkouts
            .iter()
            .find(|(key, _)| *key == qualified || key == repo)
            .map(|(_, dir)| dir.as_path())
    }
}

/// Where a manager of the resolved config comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The config's own `customManagers[index]`.
    Own(usize),
    /// A preset's (as named in `extends`), its `index`-th manager.
    Preset { name: String, index: usize },
}

pub use super::config::Unresolved;

/// The config with its presets merged in.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub root: Map<String, Value>,
    /// One per element of `root.customManagers`.
    pub origins: Vec<Origin>,
    pub applied: Vec<String>,
    pub unresolved: Vec<Unresolved>,
}

/// Resolves `own` (already migrated) as the given Renovate would.
pub fn resolve(
    own: &Map<String, Value>,
    version: RenovateVersion,
    sources: &PresetSources,
) -> Resolved {
    let mut resolver = Resolver {
        version,
        sources,
        applied: Vec::new(),
        unresolved: Vec::new(),
    };
    let (root, origins) = resolver.config(own, None, &[], &mut Vec::new());
    Resolved {
        root,
        origins,
        applied: resolver.applied,
        unresolved: resolver.unresolved,
    }
}

struct Resolver<'a> {
    version: RenovateVersion,
    sources: &'a PresetSources,
    applied: Vec<String>,
    unresolved: Vec<Unresolved>,
}

type WithOrigins = (Map<String, Value>, Vec<Origin>);

impl Resolver<'_> {
    /// `resolveConfigPresets(input, ignorePresets, existingPresets)`; `preset` names
    /// the preset `input` is (None for the repository's own config).
    fn config(
        &mut self,
        input: &Map<String, Value>,
        preset: Option<&str>,
        ignore_presets: &[String],
        ancestors: &mut Vec<String>,
    ) -> WithOrigins {
        let own_ignore: Vec<String> = strings(input.get("ignorePresets"));
        let ignore_presets = if ignore_presets.is_empty() {
            own_ignore.as_slice()
        } else {
            ignore_presets
        };
        let mut merged: WithOrigins = (Map::new(), Vec::new());
        for name in strings(input.get("extends")) {
            if ancestors.contains(&name) || ignore_presets.contains(&name) {
                continue;
            }
            if ancestors.len() >= MAX_DEPTH {
                self.unresolved.push(Unresolved {
                    preset: name,
                    reason: format!("presets nest more than {MAX_DEPTH} deep"),
                });
                continue;
            }
            let Some(fetched) = self.fetch(&name) else {
                continue;
            };
            self.applied.push(name.clone());
            ancestors.push(name.clone());
            let resolved = self.config(&fetched, Some(&name), ignore_presets, ancestors);
            ancestors.pop();
            merged = merge(merged, resolved);
        }
        let mut own = input.clone();
        own.remove("extends");
        own.remove("ignorePresets");
        let count = own
            .get("customManagers")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let origins = (0..count)
            .map(|index| match preset {
                None => Origin::Own(index),
                Some(name) => Origin::Preset {
                    name: name.to_string(),
                    index,
                },
            })
            .collect();
        merge(merged, (own, origins))
    }

    /// The preset's config, migrated, or `None` (and said why) when it cannot be had.
    fn fetch(&mut self, written: &str) -> Option<Map<String, Value>> {
        let table = builtin(self.version);
        let mut name = written.to_string();
        // `removedPresets`, applied before the name is parsed (an alias may chain).
        for _ in 0..4 {
            match table.aliases.get(&name) {
                Some(Some(target)) => name = target.clone(),
                Some(None) => return Some(Map::new()),
                None => break,
            }
        }
        let parsed = match parse_preset(&name, self.version) {
            Ok(parsed) => parsed,
            Err(reason) => {
                self.unresolved.push(Unresolved {
                    preset: written.to_string(),
                    reason,
                });
                return None;
            }
        };
        match &parsed.source {
            Source::Internal => {
                let key = parsed.internal_name();
                if !table.internal.contains(&key) {
                    self.unresolved.push(Unresolved {
                        preset: written.to_string(),
                        reason: format!(
                            "Renovate {} has no built-in preset {key}; it stops with \"Preset name not found within published preset config\"",
                            self.version
                        ),
                    });
                    return None;
                }
                // getPreset: arguments replaced, then migrated like any preset. Most
                // built-in presets set nothing img-mirror reads.
                let Some(definition) = table.definitions.get(&key) else {
                    return Some(Map::new());
                };
                let mut definition = Value::Object(definition.clone());
                replace_args(&mut definition, &parsed.params);
                let Value::Object(definition) = definition else {
                    unreachable!("an object stays an object")
                };
                Some(migrate(&definition, self.version).root)
            }
            Source::Repository { source } => {
                let Some(checkout) = self.sources.checkout(source, &parsed.repo) else {
                    self.unresolved.push(Unresolved {
                        preset: written.to_string(),
                        reason: format!(
                            "a repository preset, which img-mirror reads only from a local checkout: map it in .img-mirror.toml ([presets] \"{}\" = \"path/to/checkout\") or with --preset {}=DIR",
                            parsed.repo, parsed.repo
                        ),
                    });
                    return None;
                };
                match self.read_file_preset(checkout, &parsed) {
                    Ok(config) => Some(config),
                    Err(reason) => {
                        self.unresolved.push(Unresolved {
                            preset: written.to_string(),
                            reason,
                        });
                        None
                    }
                }
            }
            Source::Other(kind) => {
                self.unresolved.push(Unresolved {
                    preset: written.to_string(),
                    reason: format!("{kind} presets are fetched from the network, which img-mirror does not do; map it with --preset"),
                });
                None
            }
        }
    }

    /// `fetchPreset` for a repository preset, from a local checkout.
    fn read_file_preset(
        &self,
        checkout: &Path,
        parsed: &ParsedPreset,
    ) -> Result<Map<String, Value>, String> {
        let mut segments = parsed.preset_name.split('/');
        let file_name = segments.next().unwrap_or("default");
        let keys: Vec<&str> = segments.collect();
        let directory = match &parsed.preset_path {
            Some(path) => checkout.join(path),
            None => checkout.to_path_buf(),
        };
        let candidates: Vec<String> = if file_name == "default" {
            vec!["default.json".into(), "renovate.json".into()]
        } else if file_name.ends_with(".json")
            || file_name.ends_with(".json5")
            || (self.version.is_44_generation() && file_name.ends_with(".jsonc"))
        {
            vec![file_name.to_string()]
        } else {
            vec![format!("{file_name}.json")]
        };
        let path = candidates
            .iter()
            .map(|name| directory.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| format!("{} has no {}", directory.display(), candidates.join(" or ")))?;
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))?;
        let value = super::config::parse_text(&path, &text, self.version)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut value = Value::Object(value);
        for key in keys {
            value = value
                .get(key)
                .cloned()
                .ok_or_else(|| format!("{} has no sub-preset {key:?}", path.display()))?;
        }
        replace_args(&mut value, &parsed.params);
        let Value::Object(object) = value else {
            return Err(format!("{} holds no preset object", path.display()));
        };
        Ok(migrate(&object, self.version).root)
    }
}

/// `mergeChildConfig(parent, child)` for the keys img-mirror reads.
fn merge(parent: WithOrigins, child: WithOrigins) -> WithOrigins {
    let (mut config, mut origins) = parent;
    let (child, child_origins) = child;
    for (key, value) in child {
        let concatenated = MERGED_LISTS.contains(&key.as_str())
            && matches!(
                (config.get(&key), &value),
                (Some(Value::Array(_)), Value::Array(_))
            );
        if concatenated {
            if let (Some(Value::Array(existing)), Value::Array(added)) =
                (config.get_mut(&key), value)
            {
                existing.extend(added);
            }
        } else {
            if key == "customManagers" {
                origins.clear();
            }
            config.insert(key, value);
        }
    }
    origins.extend(child_origins);
    (config, origins)
}

/// `{{arg0}}`... replaced in every string, as `replaceArgs` does.
fn replace_args(value: &mut Value, params: &[String]) {
    match value {
        Value::String(text) => {
            for (index, param) in params.iter().enumerate() {
                *text = text.replace(&format!("{{{{arg{index}}}}}"), param);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| replace_args(item, params)),
        Value::Object(map) => map.values_mut().for_each(|item| replace_args(item, params)),
        _ => {}
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Internal,
    /// `local`, `github`, `gitlab`, `gitea`, `forgejo`.
    Repository {
        source: String,
    },
    /// npm or http.
    Other(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ParsedPreset {
    source: Source,
    repo: String,
    preset_path: Option<String>,
    preset_name: String,
    params: Vec<String>,
}

impl ParsedPreset {
    fn internal_name(&self) -> String {
        if self.repo == "default" {
            format!(":{}", self.preset_name)
        } else {
            format!("{}:{}", self.repo, self.preset_name)
        }
    }
}

/// Whether `x` in `x:y` names one of Renovate's built-in preset groups (44 adds
/// `abandonments`).
fn is_internal_group(group: &str, version: RenovateVersion) -> bool {
    const GROUPS: &[&str] = &[
        "compatibility",
        "config",
        "customManagers",
        "default",
        "docker",
        "global",
        "group",
        "helpers",
        "mergeConfidence",
        "monorepo",
        "npm",
        "packages",
        "preview",
        "replacements",
        "schedule",
        "security",
        "workarounds",
    ];
    GROUPS.contains(&group) || (version.is_44_generation() && group == "abandonments")
}

/// `parsePreset`: source, repository, path, name and arguments of a preset name.
fn parse_preset(written: &str, version: RenovateVersion) -> Result<ParsedPreset, String> {
    let mut text = written.to_string();
    let mut params = Vec::new();
    if let Some(open) = text.find('(') {
        let inner = text[open + 1..]
            .strip_suffix(')')
            .unwrap_or(&text[open + 1..]);
        params = inner.split(',').map(|p| p.trim().to_string()).collect();
        text.truncate(open);
    }
    let prefixed = ["github", "gitlab", "gitea", "local", "forgejo"]
        .iter()
        .find_map(|source| {
            text.strip_prefix(&format!("{source}>"))
                .map(|rest| (source.to_string(), rest.to_string()))
        });
    if let Some((source, rest)) = prefixed {
        return parse_repository(written, source, &rest, params);
    }
    if text.starts_with("http://") || text.starts_with("https://") {
        return Ok(ParsedPreset {
            source: Source::Other("http"),
            repo: text,
            preset_path: None,
            preset_name: String::new(),
            params,
        });
    }
    if text.starts_with("./")
        || text.starts_with("../")
        || (text.starts_with('/') && version.is_44_generation())
    {
        return Err(
            "a relative preset (./x), which Renovate resolves only inside a repository preset"
                .into(),
        );
    }
    if !text.starts_with('@') && !text.starts_with(':') && text.contains('/') {
        return parse_repository(written, "local".into(), &text, params);
    }
    let (repo, preset_name) = match text.split_once(':') {
        Some(("", name)) => ("default".to_string(), name.to_string()),
        Some((group, name)) => (group.to_string(), name.to_string()),
        None => (text.clone(), "default".to_string()),
    };
    if is_internal_group(&repo, version) {
        return Ok(ParsedPreset {
            source: Source::Internal,
            repo,
            preset_path: None,
            preset_name,
            params,
        });
    }
    Ok(ParsedPreset {
        source: Source::Other("npm"),
        repo,
        preset_path: None,
        preset_name,
        params,
    })
}

/// `owner/repo[:file[/key]][#tag]` or `owner/repo//path/file[#tag]`.
fn parse_repository(
    written: &str,
    source: String,
    rest: &str,
    params: Vec<String>,
) -> Result<ParsedPreset, String> {
    let rest = rest.split_once('#').map_or(rest, |(before, _tag)| before);
    let invalid = || format!("{written:?} is not a preset name Renovate parses");
    if let Some((repo, path)) = rest.split_once("//") {
        if path.contains(':') {
            return Err(format!(
                "{written:?}: Renovate refuses a sub-preset after a // path"
            ));
        }
        let (preset_path, preset_name) = match path.rsplit_once('/') {
            Some((dir, name)) => (Some(dir.to_string()), name.to_string()),
            None => (None, path.to_string()),
        };
        if repo.is_empty() || preset_name.is_empty() {
            return Err(invalid());
        }
        return Ok(ParsedPreset {
            source: Source::Repository { source },
            repo: repo.to_string(),
            preset_path,
            preset_name,
            params,
        });
    }
    let (repo, preset_name) = match rest.split_once(':') {
        Some((repo, name)) if !name.contains(':') => {
            (repo, if name.is_empty() { "default" } else { name })
        }
        Some(_) => return Err(invalid()),
        None => (rest, "default"),
    };
    if repo.is_empty() {
        return Err(invalid());
    }
    Ok(ParsedPreset {
        source: Source::Repository { source },
        repo: repo.to_string(),
        preset_path: None,
        preset_name: preset_name.to_string(),
        params,
    })
}

#[cfg(test)]
mod tests;
