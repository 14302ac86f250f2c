//! Renovate's post-upgrade data file: with `postUpgradeTasks.dataFileTemplate`
//! (Renovate 41.1 and later) Renovate renders the template, writes it to a file and
//! names it in `RENOVATE_POST_UPGRADE_COMMAND_DATA_FILE`. In `executionMode: branch`
//! this is how the task learns every update of the branch: the command line only has a
//! pseudo-upgrade whose depName is every name joined by spaces.
//!
//! The presets render a JSON list, one object per update:
//! `[{"depName": "...", "newValue": "...", "newDigest": "..."}, ...]`.

use std::io::Read;
use std::path::Path;

use super::RenovateClaim;

/// The data file's environment variable, as Renovate sets it.
pub const ENV: &str = "RENOVATE_POST_UPGRADE_COMMAND_DATA_FILE";

/// A data file larger than this is refused unread: a branch's updates are a few
/// hundred bytes each, so anything near this size is not what the presets render.
pub const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum DataFileError {
    #[error("cannot read Renovate's data file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "Renovate's data file {path} is {bytes} bytes, more than the {MAX_BYTES}-byte limit; refused before reading it (does dataFileTemplate render whole upgrade objects?)"
    )]
    TooLarge { path: String, bytes: u64 },
    #[error(
        "Renovate's data file {path}:{line}:{column}: {message}; dataFileTemplate must render a JSON list of {{\"depName\", \"newValue\", \"newDigest\"}} objects, as img-mirror's preset does"
    )]
    Malformed {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("Renovate's data file {path} lists no updates")]
    Empty { path: String },
}

/// One update as the preset's template renders it. Renovate renders a missing value as
/// an empty string.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Update {
    dep_name: Option<String>,
    new_value: Option<String>,
    new_digest: Option<String>,
}

/// Every update the data file at `path` lists, as claims to check against the diff.
pub fn read(path: &Path) -> Result<Vec<RenovateClaim>, DataFileError> {
    let name = path.display().to_string();
    let read_error = |source| DataFileError::Read {
        path: name.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let bytes = file.metadata().map_err(read_error)?.len();
    if bytes > MAX_BYTES {
        return Err(DataFileError::TooLarge { path: name, bytes });
    }
    // The file may grow between the size check and the read: read one byte past the cap.
    let mut text = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(read_error)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(DataFileError::TooLarge {
            path: name,
            bytes: text.len() as u64,
        });
    }
    parse(&name, &text)
}

fn parse(path: &str, text: &[u8]) -> Result<Vec<RenovateClaim>, DataFileError> {
    let updates: Vec<Update> =
        serde_json::from_slice(text).map_err(|error| DataFileError::Malformed {
            path: path.to_string(),
            line: error.line(),
            column: error.column(),
            message: strip_position(&error.to_string()),
        })?;
    if updates.is_empty() {
        return Err(DataFileError::Empty {
            path: path.to_string(),
        });
    }
    let given = |value: Option<String>| value.filter(|v| !v.is_empty());
    Ok(updates
        .into_iter()
        .map(|update| RenovateClaim {
            dep_name: given(update.dep_name),
            new_value: given(update.new_value),
            new_digest: given(update.new_digest),
        })
        .collect())
}

/// serde_json's message without its " at line L column C" (the error names both).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_update_becomes_a_claim_and_empty_values_are_absent() {
        let claims = parse(
            "data.tmp",
            br#"[{"depName":"grafana/grafana","newValue":"11.3.0","newDigest":"sha256:aa"},
                {"depName":"grafana/loki","newValue":"3.2.0","newDigest":"","extra":1}]"#,
        )
        .unwrap();
        assert_eq!(claims.len(), 2);
        assert_eq!(claims[0].dep_name.as_deref(), Some("grafana/grafana"));
        assert_eq!(claims[0].new_digest.as_deref(), Some("sha256:aa"));
        assert_eq!(claims[1].new_value.as_deref(), Some("3.2.0"));
        assert_eq!(claims[1].new_digest, None);
    }

    #[test]
    fn a_malformed_file_names_the_file_line_and_column() {
        let error = parse("data.tmp", b"[{\"depName\": \"a\",\n \"newValue\": 3}]").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("Renovate's data file data.tmp:2:"),
            "{message}"
        );
        assert!(message.contains("invalid type: integer `3`"), "{message}");
        assert!(!message.contains(" at line "), "{message}");
        assert!(matches!(
            parse("data.tmp", b"{}").unwrap_err(),
            DataFileError::Malformed { .. }
        ));
        assert!(matches!(
            parse("data.tmp", b"[]").unwrap_err(),
            DataFileError::Empty { .. }
        ));
    }

    #[test]
    fn an_oversized_file_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.tmp");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_BYTES + 1).unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            matches!(error, DataFileError::TooLarge { bytes, .. } if bytes == MAX_BYTES + 1),
            "{error}"
        );
        assert!(matches!(
            read(&dir.path().join("missing")).unwrap_err(),
            DataFileError::Read { .. }
        ));
    }
}
