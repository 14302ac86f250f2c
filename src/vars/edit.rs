//! Minimal edits of `vars.yml`: set one `IMAGES` entry and leave every other byte as
//! it was. A new text is only returned after re-parsing it proves the edit did exactly
//! that; [`write_atomically`] then replaces the file in one rename.

use std::io::Write as _;
use std::path::Path;

use super::{IMAGES_KEY, VarsFile, parse};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error(
        "IMAGES.{name} is not written on one line (block scalar, alias or flow style); edit it by hand"
    )]
    NotEditable { name: String },
    #[error(
        "IMAGES is written in flow style ({{...}}); rewrite it as a block mapping to add entries"
    )]
    FlowStyle,
    #[error("{0:?} cannot be written as a YAML plain or quoted scalar on one line")]
    Unwritable(String),
    #[error("the edit did not produce the expected file ({0}); nothing was written")]
    Verification(String),
}

/// The text of `vars` with `IMAGES.<name>` set to `value`: replaced in place when it
/// exists, else inserted (in alphabetical position when the entries are sorted, else
/// at the end) with the entries' own indentation, quoting and line endings.
pub fn set_image(vars: &VarsFile, name: &str, value: &str) -> Result<String, EditError> {
    if value.contains(['\n', '\r']) {
        return Err(EditError::Unwritable(value.to_string()));
    }
    let text = &vars.text;
    let new_text = match vars.image(name) {
        Some(entry) => {
            let span = entry
                .value_span
                .clone()
                .ok_or_else(|| EditError::NotEditable {
                    name: name.to_string(),
                })?;
            let quote = quote_before(text, span.start);
            format!(
                "{}{}{}",
                &text[..span.start],
                escape(value, quote),
                &text[span.end..]
            )
        }
        None => insert(vars, name, value)?,
    };
    verify(vars, &new_text, name, value)?;
    Ok(new_text)
}

/// The quote character that opens the scalar at `start`, if it is quoted.
fn quote_before(text: &str, start: usize) -> Option<char> {
    text[..start]
        .chars()
        .next_back()
        .filter(|c| *c == '"' || *c == '\'')
}

fn escape(value: &str, quote: Option<char>) -> String {
    match quote {
        Some('\'') => value.replace('\'', "''"),
        Some(_) => value.replace('\\', "\\\\").replace('"', "\\\""),
        None => value.to_string(),
    }
}

fn insert(vars: &VarsFile, name: &str, value: &str) -> Result<String, EditError> {
    let text = &vars.text;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |number: usize| {
        let start = line_starts[number - 1];
        let end = line_starts.get(number).copied().unwrap_or(text.len());
        (start, end)
    };
    let entries: Vec<_> = vars
        .images
        .iter()
        .filter(|e| e.value_span.is_some())
        .collect();
    let Some(first) = entries.first() else {
        let (start, end) = line_of(vars.images_line);
        let key_line = &text[start..end];
        if key_line.contains('{') {
            return Err(EditError::FlowStyle);
        }
        // An empty block: add the first entry right under `IMAGES:`.
        let needs_break = !key_line.ends_with('\n');
        let line = format!("  {name}: {value}");
        return Ok(format!(
            "{}{}{line}{newline}{}",
            &text[..end],
            if needs_break { newline } else { "" },
            &text[end..]
        ));
    };
    let (first_start, _) = line_of(first.line);
    let indent: String = text[first_start..]
        .chars()
        .take_while(|c| *c == ' ')
        .collect();
    let quoted: Vec<Option<char>> = entries
        .iter()
        .map(|e| quote_before(text, e.value_span.as_ref().expect("filtered").start))
        .collect();
    let quote = if quoted.iter().all(|q| *q == quoted[0]) {
        quoted[0]
    } else {
        None
    };
    let value = match quote {
        Some(q) => format!("{q}{}{q}", escape(value, Some(q))),
        None => value.to_string(),
    };
    let new_line = format!("{indent}{name}: {value}{newline}");
    let sorted = entries.windows(2).all(|pair| pair[0].name <= pair[1].name);
    let position = if sorted {
        match entries.iter().find(|e| e.name.as_str() > name) {
            Some(next) => line_of(next.line).0,
            None => line_of(entries.last().expect("non-empty").line).1,
        }
    } else {
        line_of(entries.last().expect("non-empty").line).1
    };
    // The last line of a file may lack its line break.
    let (head, tail) = text.split_at(position);
    let break_before = if head.ends_with('\n') || head.is_empty() {
        ""
    } else {
        newline
    };
    Ok(format!("{head}{break_before}{new_line}{tail}"))
}

/// Re-parses the new text: the entry must have the new value, every other entry its
/// old one, and the file must still load without new problems.
fn verify(old: &VarsFile, new_text: &str, name: &str, value: &str) -> Result<(), EditError> {
    let fail = |why: String| Err(EditError::Verification(why));
    let loaded = parse(&old.path, new_text.as_bytes().to_vec());
    let Some(new) = loaded.vars else {
        return fail(format!("{} no longer loads", old.path.display()));
    };
    if new.image(name).map(|e| &*e.value) != Some(value) {
        return fail(format!(
            "{IMAGES_KEY}.{name} does not read back as {value:?}"
        ));
    }
    let others_old: Vec<_> = old
        .images
        .iter()
        .filter(|e| e.name != name)
        .map(|e| (&e.name, &e.value))
        .collect();
    let others_new: Vec<_> = new
        .images
        .iter()
        .filter(|e| e.name != name)
        .map(|e| (&e.name, &e.value))
        .collect();
    if others_old != others_new || old.approved != new.approved {
        return fail("another entry changed".into());
    }
    Ok(())
}

/// Replaces `path` with `contents` in one rename: a temporary file in the same folder
/// (same file system), written, flushed to disk, given the old file's permissions.
/// Readers see the old file or the new one, never a half-written one.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{file_name}.img-mirror-{}.tmp",
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        if let Ok(metadata) = std::fs::metadata(path) {
            std::fs::set_permissions(&temp, metadata.permissions())?;
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn vars(text: &str) -> VarsFile {
        parse(Path::new("vars.yml"), text.as_bytes().to_vec())
            .vars
            .expect("valid")
    }

    #[test]
    fn replacing_keeps_quotes_comments_and_crlf() {
        let text = "MP_APPROVED_REGISTRIES: [quay.io]\r\nIMAGES:\r\n  a: 'quay.io/x:1' # keep\r\n  b: quay.io/y:1\r\n";
        let new = set_image(&vars(text), "a", &format!("quay.io/x:2@{A}")).unwrap();
        assert_eq!(
            new,
            format!(
                "MP_APPROVED_REGISTRIES: [quay.io]\r\nIMAGES:\r\n  a: 'quay.io/x:2@{A}' # keep\r\n  b: quay.io/y:1\r\n"
            )
        );
    }

    #[test]
    fn inserting_into_a_sorted_map_keeps_it_sorted_in_its_style() {
        let text = "MP_APPROVED_REGISTRIES: [quay.io]\nIMAGES:\n    alpha: \"quay.io/a:1\"\n    gamma: \"quay.io/g:1\"\nOTHER: 1\n";
        let new = set_image(&vars(text), "beta", "quay.io/b:1").unwrap();
        assert_eq!(
            new,
            "MP_APPROVED_REGISTRIES: [quay.io]\nIMAGES:\n    alpha: \"quay.io/a:1\"\n    beta: \"quay.io/b:1\"\n    gamma: \"quay.io/g:1\"\nOTHER: 1\n"
        );
        let new = set_image(&vars(text), "zeta", "quay.io/z:1").unwrap();
        assert!(
            new.ends_with("    gamma: \"quay.io/g:1\"\n    zeta: \"quay.io/z:1\"\nOTHER: 1\n"),
            "{new}"
        );
    }

    #[test]
    fn inserting_into_an_unsorted_map_appends_even_without_a_final_newline() {
        let text = "MP_APPROVED_REGISTRIES: [quay.io]\nIMAGES:\n  b: quay.io/b:1\n  a: quay.io/a:1";
        let new = set_image(&vars(text), "c", "quay.io/c:1").unwrap();
        assert_eq!(
            new,
            "MP_APPROVED_REGISTRIES: [quay.io]\nIMAGES:\n  b: quay.io/b:1\n  a: quay.io/a:1\n  c: quay.io/c:1\n"
        );
    }

    #[test]
    fn unwritable_places_are_refused() {
        let text = "MP_APPROVED_REGISTRIES: [quay.io]\nIMAGES:\n  a: >-\n    quay.io/a:1\n";
        assert!(matches!(
            set_image(&vars(text), "a", "quay.io/a:2"),
            Err(EditError::NotEditable { .. })
        ));
        let text = "MP_APPROVED_REGISTRIES: [quay.io]\nIMAGES: {a: quay.io/a:1}\n";
        assert_eq!(
            set_image(&vars(text), "b", "quay.io/b:1"),
            Err(EditError::FlowStyle)
        );
        let text = "MP_APPROVED_REGISTRIES: [quay.io]\nIMAGES:\n  a: quay.io/a:1\n";
        assert!(set_image(&vars(text), "b", "x\ny").is_err());
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temp_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vars.yml");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
