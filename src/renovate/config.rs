//! Renovate repository config: where it is, how it parses, and its regex custom managers.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// Renovate's repository config file names, in the order it tries them.
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
];

/// A Renovate config larger than this is not a config.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

/// The first config file that exists in `repo`, in Renovate's order.
pub fn find_config(repo: &Path) -> Option<PathBuf> {
    CONFIG_FILE_NAMES
        .iter()
        .map(|name| repo.join(name))
        .find(|path| path.is_file())
}

/// Why a config file could not be read as a config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the file is {bytes} bytes, more than the {MAX_CONFIG_BYTES}-byte limit")]
    TooLarge { bytes: usize },
    #[error("the file is not valid UTF-8")]
    NotUtf8,
    #[error("invalid {format}: {message}")]
    Syntax {
        format: &'static str,
        message: String,
        line: Option<usize>,
        column: Option<usize>,
    },
    #[error("the top level must be a JSON object")]
    NotAnObject,
}

impl ConfigError {
    pub fn position(&self) -> (Option<usize>, Option<usize>) {
        match self {
            ConfigError::Syntax { line, column, .. } => (*line, *column),
            _ => (None, None),
        }
    }
}

/// A parsed repository config.
#[derive(Debug, Clone)]
pub struct RenovateConfig {
    pub path: PathBuf,
    pub text: String,
    pub root: Map<String, Value>,
    pub managers: Vec<ManagerConfig>,
}

/// One element of `customManagers` (or the legacy `regexManagers`), as written.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// Renovate's key path, such as `customManagers[0]`.
    pub key_path: String,
    /// The element itself; not an object when the config is wrong.
    pub raw: Value,
    /// Where the element is in the config file (1-based), as far as it can be found.
    pub line: usize,
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

    /// `customType`, defaulting to `regex` for the legacy `regexManagers` list.
    pub fn custom_type(&self) -> Option<&str> {
        match self.string("customType") {
            Some(kind) => Some(kind),
            None if self.key_path.starts_with("regexManagers") => Some("regex"),
            None => None,
        }
    }
}

/// Reads and parses a config file. I/O errors are the caller's; content problems are
/// a [`ConfigError`].
pub fn load(path: &Path) -> std::io::Result<Result<RenovateConfig, ConfigError>> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_CONFIG_BYTES as u64 {
        return Ok(Err(ConfigError::TooLarge {
            bytes: size as usize,
        }));
    }
    let bytes = std::fs::read(path)?;
    Ok(parse(path, bytes))
}

pub fn parse(path: &Path, bytes: Vec<u8>) -> Result<RenovateConfig, ConfigError> {
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::TooLarge { bytes: bytes.len() });
    }
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8)?;
    let is_json5 = path.extension().is_some_and(|ext| ext == "json5");
    let value: Value = if is_json5 {
        json5::from_str(&text).map_err(|error| json5_error(&error.to_string()))?
    } else {
        serde_json::from_str(&text).map_err(|error| ConfigError::Syntax {
            format: "JSON",
            message: strip_position(&error.to_string()),
            line: Some(error.line()),
            column: Some(error.column()),
        })?
    };
    let Value::Object(root) = value else {
        return Err(ConfigError::NotAnObject);
    };
    let managers = managers(&root, &text);
    Ok(RenovateConfig {
        path: path.to_path_buf(),
        text,
        root,
        managers,
    })
}

fn managers(root: &Map<String, Value>, text: &str) -> Vec<ManagerConfig> {
    let mut found = Vec::new();
    for key in ["customManagers", "regexManagers"] {
        let Some(Value::Array(items)) = root.get(key) else {
            continue;
        };
        let key_line = locate_key(text, key).unwrap_or(1);
        for (index, raw) in items.iter().enumerate() {
            let line = raw
                .get("matchStrings")
                .and_then(|m| m.get(0))
                .and_then(Value::as_str)
                .and_then(|first| locate_string(text, first))
                .unwrap_or(key_line);
            found.push(ManagerConfig {
                key_path: format!("{key}[{index}]"),
                raw: raw.clone(),
                line,
            });
        }
    }
    found
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

    #[test]
    fn json_errors_carry_line_and_column() {
        let error = parse(Path::new("renovate.json"), b"{\n  \"a\": 1,\n}".to_vec()).unwrap_err();
        let (line, column) = error.position();
        assert_eq!(line, Some(3));
        assert!(column.is_some());
        assert!(
            error
                .to_string()
                .starts_with("invalid JSON: trailing comma"),
            "{error}"
        );
    }

    #[test]
    fn json5_allows_comments_trailing_commas_and_unquoted_keys() {
        let text = "// comment\n{\n  customManagers: [{customType: 'regex', matchStrings: ['x',],},],\n}\n";
        let config = parse(Path::new("renovate.json5"), text.as_bytes().to_vec()).unwrap();
        assert_eq!(config.managers.len(), 1);
        assert_eq!(config.managers[0].strings("matchStrings"), ["x"]);
        assert_eq!(config.managers[0].line, 3);
    }

    #[test]
    fn json5_errors_carry_line_and_column() {
        let error = parse(Path::new("renovate.json5"), b"{\n a: 1\n b: 2}".to_vec()).unwrap_err();
        assert_eq!(error.position(), (Some(3), Some(2)));
        assert!(!error.to_string().contains(" at line "));
    }

    #[test]
    fn legacy_regex_managers_default_to_regex() {
        let text = r#"{"regexManagers": [{"fileMatch": ["x"], "matchStrings": ["y"]}], "customManagers": [{"matchStrings": ["z"]}]}"#;
        let config = parse(Path::new("renovate.json"), text.as_bytes().to_vec()).unwrap();
        let kinds: Vec<_> = config
            .managers
            .iter()
            .map(|m| (m.key_path.as_str(), m.custom_type()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("customManagers[0]", None),
                ("regexManagers[0]", Some("regex"))
            ]
        );
    }

    #[test]
    fn config_is_found_in_renovates_order() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(find_config(dir.path()), None);
        std::fs::write(dir.path().join(".renovaterc"), "{}").unwrap();
        std::fs::create_dir(dir.path().join(".github")).unwrap();
        std::fs::write(dir.path().join(".github/renovate.json5"), "{}").unwrap();
        assert_eq!(
            find_config(dir.path()),
            Some(dir.path().join(".github/renovate.json5"))
        );
    }

    #[test]
    fn top_level_must_be_an_object() {
        assert_eq!(
            parse(Path::new("renovate.json"), b"[]".to_vec()).unwrap_err(),
            ConfigError::NotAnObject
        );
    }
}
