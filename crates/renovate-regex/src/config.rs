//! Renovate repository config: where it is, how it parses (as the Renovate the
//! repository runs parses it), what Renovate's migration makes of it, and its regex
//! custom managers.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::migrate::{Migration, migrate};
use super::version::RenovateVersion;

/// Renovate's repository config file names, in the order it tries them (39.264's
/// `configFileNames`; `package.json` counts only with a `renovate` key).
pub const CONFIG_FILE_NAMES: &[&str] = &[
    "renovate.json",
    "renovate.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    "package.json",
];

/// 44.121's `getConfigFileNames()`: the `.jsonc` names too.
pub const CONFIG_FILE_NAMES_44: &[&str] = &[
    "renovate.json",
    "renovate.jsonc",
    "renovate.json5",
    ".github/renovate.json",
    ".github/renovate.jsonc",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
    ".gitlab/renovate.jsonc",
    ".gitlab/renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.jsonc",
    ".renovaterc.json5",
    "package.json",
];

/// A Renovate config larger than this is not a config.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

/// The config file names `version` tries, in its order.
pub fn config_file_names(version: RenovateVersion) -> &'static [&'static str] {
    if version.is_44_generation() {
        CONFIG_FILE_NAMES_44
    } else {
        CONFIG_FILE_NAMES
    }
}

/// The first config file that exists in `repo`, in the order the current Renovate
/// tries them.
pub fn find_config(repo: &Path) -> Option<PathBuf> {
    find_config_for(repo, RenovateVersion::CURRENT)
}

/// The first config file that exists in `repo`, in `version`'s order: `package.json`
/// only when it parses and its `renovate` key is truthy (`detectConfigFile`).
pub fn find_config_for(repo: &Path, version: RenovateVersion) -> Option<PathBuf> {
    config_file_names(version)
        .iter()
        .map(|name| repo.join(name))
        .find(|path| {
            path.is_file()
                && (!path.ends_with("package.json") || package_json_config(path).is_some())
        })
}

/// `JSON.parse(package.json).renovate`, when truthy.
fn package_json_config(path: &Path) -> Option<Value> {
    let metadata = std::fs::metadata(path).ok()?;
    if metadata.len() > MAX_CONFIG_BYTES as u64 {
        return None;
    }
    let root: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let config = root.get("renovate")?.clone();
    match &config {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Number(n) if n.as_f64() == Some(0.0) => None,
        _ => Some(config),
    }
}

/// Why a config file could not be read as a config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the file is {bytes} bytes, more than the {MAX_CONFIG_BYTES}-byte limit")]
    TooLarge { bytes: usize },
    #[error("invalid {format}: {message}")]
    Syntax {
        format: &'static str,
        message: String,
        line: Option<usize>,
        column: Option<usize>,
    },
    #[error("the top level must be a JSON object")]
    NotAnObject,
    #[error("duplicate key {key:?}: Renovate refuses the file (\"Duplicate keys in JSON\")")]
    DuplicateKey {
        key: String,
        line: usize,
        column: usize,
    },
}

impl ConfigError {
    pub fn position(&self) -> (Option<usize>, Option<usize>) {
        match self {
            ConfigError::Syntax { line, column, .. } => (*line, *column),
            ConfigError::DuplicateKey { line, column, .. } => (Some(*line), Some(*column)),
            _ => (None, None),
        }
    }
}

/// A parsed repository config.
#[derive(Debug, Clone)]
pub struct RenovateConfig {
    pub path: PathBuf,
    pub text: String,
    /// The config after Renovate's migration and massaging: what it validates and runs.
    pub root: Map<String, Value>,
    pub managers: Vec<ManagerConfig>,
    /// The Renovate the repository runs, which every reading of this config follows.
    pub version: RenovateVersion,
    /// What Renovate's migration changed, as written.
    pub migrations: Vec<Migration>,
    /// Presets merged in, as named in `extends` (nested ones included).
    pub presets_applied: Vec<String>,
    /// Presets Renovate would resolve and img-mirror could not.
    pub presets_unresolved: Vec<Unresolved>,
}

/// One element of `customManagers` (or the legacy `regexManagers`), as written.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// Renovate's key path after migration, such as `customManagers[0]`.
    pub key_path: String,
    /// Where it is written, such as `regexManagers[0]`, when that differs.
    pub written_as: Option<String>,
    /// The preset it comes from, as `extends` names it.
    pub preset: Option<String>,
    /// The element itself, migrated; not an object when the config is wrong.
    pub raw: Value,
    /// Where the element is in the config file (1-based), as far as it can be found.
    pub line: usize,
    pub version: RenovateVersion,
}

impl ManagerConfig {
    pub fn object(&self) -> Option<&Map<String, Value>> {
        self.raw.as_object()
    }

    fn field(&self, key: &str) -> Option<&Value> {
        self.object()?.get(key)
    }

    pub fn string(&self, key: &str) -> Option<&str> {
        self.field(key)?.as_str()
    }

    /// A string list field; non-strings are skipped (validation reports them).
    pub fn strings(&self, key: &str) -> Vec<String> {
        match self.field(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.field(key).is_some()
    }

    /// `customType` after migration (which supplies `regex` where it is missing).
    pub fn custom_type(&self) -> Option<&str> {
        self.string("customType")
    }

    /// The manager as the user finds it in the file: `regexManagers[0]
    /// (customManagers[0] to Renovate)` when migration renamed it.
    pub fn shown(&self) -> String {
        match (&self.preset, &self.written_as) {
            (Some(preset), _) => format!("{} of preset {preset}", self.key_path),
            (None, Some(written)) => format!("{written} (Renovate's {})", self.key_path),
            (None, None) => self.key_path.clone(),
        }
    }

    /// A manager for a test: the Renovate generation its file patterns are written for
    /// (`managerFilePatterns`: current; `fileMatch` alone: 39).
    pub fn for_test(raw: Value) -> ManagerConfig {
        let version = if raw.get("managerFilePatterns").is_none() && raw.get("fileMatch").is_some()
        {
            RenovateVersion::V39
        } else {
            RenovateVersion::CURRENT
        };
        ManagerConfig::from_json(raw, version)
    }

    /// A manager built from its JSON alone, for tests and callers without a file.
    pub fn from_json(raw: Value, version: RenovateVersion) -> ManagerConfig {
        let mut root = Map::new();
        root.insert("customManagers".into(), Value::Array(vec![raw]));
        let migrated = migrate(&root, version);
        ManagerConfig {
            key_path: "customManagers[0]".into(),
            written_as: None,
            preset: None,
            raw: migrated.root["customManagers"][0].clone(),
            line: 1,
            version,
        }
    }
}

/// A preset Renovate would resolve and img-mirror could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub preset: String,
    pub reason: String,
}

/// How Renovate reads a config file by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Json5,
    /// JSON with comments and trailing commas (44's `renovate.json`, `*.jsonc`).
    Jsonc,
    /// Strict JSON (39's `renovate.json` and `.renovaterc`; `package.json`).
    Json,
}

/// The config object a file holds, read by its name as `version` reads it
/// (`package.json`'s `renovate` key for package.json).
pub fn parse_text(
    path: &Path,
    text: &str,
    version: RenovateVersion,
) -> Result<Map<String, Value>, ConfigError> {
    let extension = path.extension().and_then(|e| e.to_str());
    let is_package_json = path.file_name().is_some_and(|n| n == "package.json");
    let syntax = match extension {
        Some("json5") => Syntax::Json5,
        _ if is_package_json => Syntax::Json,
        _ if version.is_44_generation() => Syntax::Jsonc,
        _ => Syntax::Json,
    };
    let value: Value = match syntax {
        Syntax::Json5 => json5::from_str(text).map_err(|error| json5_error(&error.to_string()))?,
        Syntax::Json | Syntax::Jsonc => {
            let json = if syntax == Syntax::Jsonc {
                std::borrow::Cow::Owned(strip_jsonc(text))
            } else {
                std::borrow::Cow::Borrowed(text)
            };
            let hint = if syntax == Syntax::Json && !is_package_json && json_with_comments(text) {
                " (Renovate before 44 reads this file as strict JSON: comments and trailing commas are errors; name it renovate.json5, or set renovate-version if the repository runs a newer Renovate)"
            } else {
                ""
            };
            let value: Value =
                serde_json::from_str(&json).map_err(|error| ConfigError::Syntax {
                    format: "JSON",
                    message: format!("{}{hint}", strip_position(&error.to_string())),
                    line: Some(error.line()),
                    column: Some(error.column()),
                })?;
            check_duplicate_keys(&json)?;
            value
        }
    };
    let value = if is_package_json {
        match value.get("renovate").cloned() {
            Some(Value::String(preset)) => serde_json::json!({ "extends": [preset] }),
            Some(config) => config,
            None => Value::Object(Map::new()),
        }
    } else {
        value
    };
    match value {
        Value::Object(written) => Ok(written),
        _ => Err(ConfigError::NotAnObject),
    }
}

/// Whether a text that fails as JSON would pass with its comments and trailing commas
/// gone: the case where only the Renovate generation decides.
fn json_with_comments(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_err()
        && serde_json::from_str::<Value>(&strip_jsonc(text)).is_ok()
}

/// `//` and `/* */` comments and trailing commas replaced by spaces outside strings,
/// so positions in the text stay where they were.
pub fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    let mut in_string = false;
    let mut last_comma: Option<usize> = None;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                last_comma = None;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                for byte in &mut out[i..end] {
                    if *byte != b'\n' {
                        *byte = b' ';
                    }
                }
                i = end;
                continue;
            }
            b',' => last_comma = Some(i),
            b'}' | b']' => {
                if let Some(comma) = last_comma.take() {
                    out[comma] = b' ';
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => last_comma = None,
        }
        i += 1;
    }
    // Only ASCII bytes outside strings were replaced by ASCII spaces.
    String::from_utf8(out).expect("still UTF-8")
}

/// Renovate's `json-dup-key-validator`: a key twice in one object refuses the file.
fn check_duplicate_keys(json: &str) -> Result<(), ConfigError> {
    use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    struct Checked;
    struct CheckVisitor;
    impl<'de> Visitor<'de> for CheckVisitor {
        type Value = Checked;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(A::Error::custom(format!("\u{0}{key}")));
                }
                map.next_value::<Checked>()?;
            }
            Ok(Checked)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
            while seq.next_element::<Checked>()?.is_some() {}
            Ok(Checked)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
            Ok(Checked)
        }
        fn visit_unit<E>(self) -> Result<Checked, E> {
            Ok(Checked)
        }
    }
    impl<'de> Deserialize<'de> for Checked {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Checked, D::Error> {
            d.deserialize_any(CheckVisitor)
        }
    }
    match serde_json::from_str::<Checked>(json) {
        Ok(_) => Ok(()),
        Err(error) => {
            let message = error.to_string();
            match message.strip_prefix('\u{0}') {
                Some(rest) => Err(ConfigError::DuplicateKey {
                    key: strip_position(rest),
                    line: error.line(),
                    column: error.column(),
                }),
                // The value already parsed; any other error is not ours to report.
                None => Ok(()),
            }
        }
    }
}

/// json5 reports "... at line L column C"; keep the message and the numbers apart.
fn json5_error(message: &str) -> ConfigError {
    let numbers: Vec<usize> = message
        .rsplit(" at line ")
        .next()
        .filter(|_| message.contains(" at line "))
        .map(|tail| {
            tail.split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    ConfigError::Syntax {
        format: "JSON5",
        message: strip_position(message),
        line: numbers.first().copied(),
        column: numbers.get(1).copied(),
    }
}

fn strip_position(message: &str) -> String {
    message
        .find(" at line ")
        .map_or(message, |index| &message[..index])
        .to_string()
}

/// The 1-based line of the first `"key"` (or unquoted `key:`) in the text.
pub fn locate_key(text: &str, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    let single = format!("'{key}'");
    text.lines()
        .position(|line| {
            let trimmed = line.trim_start();
            trimmed.starts_with(&quoted)
                || trimmed.starts_with(&single)
                || trimmed
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|index| index + 1)
}

/// The 1-based line where a string value is written, found by its JSON encoding.
pub fn locate_string(text: &str, value: &str) -> Option<usize> {
    let (offset, _) = string_offset(text, value)?;
    Some(text[..offset].matches('\n').count() + 1)
}

/// Where a string value is written (found by its JSON encoding) and how many
/// characters it takes there, escapes included.
pub fn string_offset(text: &str, value: &str) -> Option<(usize, usize)> {
    let encoded = serde_json::to_string(value).ok()?;
    let inner = &encoded[1..encoded.len() - 1];
    Some((text.find(inner)?, inner.chars().count()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PresetSources;
    use crate::resolve::{load, parse};

    fn current(name: &str, text: &str) -> Result<RenovateConfig, ConfigError> {
        parse(
            Path::new(name),
            text.as_bytes().to_vec(),
            RenovateVersion::CURRENT,
        )
    }

    fn v39(name: &str, text: &str) -> Result<RenovateConfig, ConfigError> {
        parse(
            Path::new(name),
            text.as_bytes().to_vec(),
            RenovateVersion::V39,
        )
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let error = v39("renovate.json", "{\n  \"a\": 1,\n}").unwrap_err();
        let (line, column) = error.position();
        assert_eq!(line, Some(3));
        assert!(column.is_some());
        assert!(
            error
                .to_string()
                .starts_with("invalid JSON: trailing comma"),
            "{error}"
        );
        assert!(error.to_string().contains("Renovate before 44"), "{error}");
    }

    #[test]
    fn renovate_44_reads_comments_and_trailing_commas_in_renovate_json() {
        let text = "// note\n{\n  \"a\": [1, 2,], /* x */\n  \"u\": \"http://x/*y*/,}\",\n}\n";
        let config = current("renovate.json", text).unwrap();
        assert_eq!(config.root["a"], serde_json::json!([1, 2]));
        assert_eq!(config.root["u"], "http://x/*y*/,}");
        assert!(v39("renovate.json", text).is_err());
        // Unquoted keys stay an error outside JSON5, in both.
        assert!(current("renovate.json", "{a: 1}").is_err());
        let error = current("renovate.json", "{\n  \"a\": 1 // x\n  \"b\": 2\n}").unwrap_err();
        assert_eq!(error.position().0, Some(3));
    }

    #[test]
    fn a_latin1_byte_is_replaced_as_renovate_reads_the_file() {
        let bytes = b"{\"description\": \"Pr\xfcfung\", \"customManagers\": []}".to_vec();
        let config = parse(Path::new("renovate.json"), bytes, RenovateVersion::CURRENT).unwrap();
        assert_eq!(config.root["description"], "Pr\u{fffd}fung");
    }

    #[test]
    fn duplicate_keys_refuse_the_file_except_in_json5() {
        let error =
            current("renovate.json", "{\"a\": 1,\n \"b\": {\"c\": 1, \"c\": 2}}").unwrap_err();
        assert!(
            matches!(&error, ConfigError::DuplicateKey { key, line: 2, .. } if key == "c"),
            "{error:?}"
        );
        assert!(current("renovate.json5", "{a: 1, a: 2}").is_ok());
    }

    #[test]
    fn json5_allows_comments_trailing_commas_and_unquoted_keys() {
        let text = "// comment\n{\n  customManagers: [{customType: 'regex', matchStrings: ['x',],},],\n}\n";
        let config = current("renovate.json5", text).unwrap();
        assert_eq!(config.managers.len(), 1);
        assert_eq!(config.managers[0].strings("matchStrings"), ["x"]);
        assert_eq!(config.managers[0].line, 3);
    }

    #[test]
    fn json5_errors_carry_line_and_column() {
        let error = current("renovate.json5", "{\n a: 1\n b: 2}").unwrap_err();
        assert_eq!(error.position(), (Some(3), Some(2)));
        assert!(!error.to_string().contains(" at line "));
    }

    #[test]
    fn legacy_regex_managers_are_migrated_to_custom_managers() {
        let text = r#"{"regexManagers": [{"fileMatch": ["x"], "matchStrings": ["y"]}]}"#;
        let config = current("renovate.json", text).unwrap();
        let kinds: Vec<_> = config
            .managers
            .iter()
            .map(|m| {
                (
                    m.key_path.as_str(),
                    m.written_as.as_deref(),
                    m.custom_type(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [("customManagers[0]", Some("regexManagers[0]"), Some("regex"))]
        );
        assert_eq!(config.managers[0].strings("managerFilePatterns"), ["/x/"]);
        assert_eq!(
            config.managers[0].shown(),
            "regexManagers[0] (Renovate's customManagers[0])"
        );
    }

    #[test]
    fn config_is_found_in_renovates_order() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_config(dir.path()), None);
        std::fs::write(dir.path().join("package.json"), r#"{"name": "x"}"#).unwrap();
        assert_eq!(
            find_config(dir.path()),
            None,
            "package.json without a renovate key"
        );
        std::fs::write(
            dir.path().join("package.json"),
            r#"{"renovate": "config:recommended"}"#,
        )
        .unwrap();
        assert_eq!(
            find_config(dir.path()),
            Some(dir.path().join("package.json"))
        );
        let config = load(
            &dir.path().join("package.json"),
            RenovateVersion::CURRENT,
            &PresetSources::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            config.presets_applied.first().map(String::as_str),
            Some("config:recommended")
        );
        std::fs::write(dir.path().join(".renovaterc"), "{}").unwrap();
        std::fs::create_dir(dir.path().join(".github")).unwrap();
        std::fs::write(dir.path().join(".github/renovate.json5"), "{}").unwrap();
        assert_eq!(
            find_config(dir.path()),
            Some(dir.path().join(".github/renovate.json5"))
        );
        std::fs::write(dir.path().join(".github/renovate.jsonc"), "{}").unwrap();
        assert_eq!(
            find_config(dir.path()),
            Some(dir.path().join(".github/renovate.jsonc")),
            "44 tries .jsonc before .json5"
        );
        assert_eq!(
            find_config_for(dir.path(), RenovateVersion::V39),
            Some(dir.path().join(".github/renovate.json5")),
            "39 knows no .jsonc"
        );
    }

    #[test]
    fn top_level_must_be_an_object() {
        assert_eq!(
            current("renovate.json", "[]").unwrap_err(),
            ConfigError::NotAnObject
        );
    }
}
