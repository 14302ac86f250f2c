//! What changed in `IMAGES` between two versions of `vars.yml`: a list of entry
//! changes, and a unified diff of exactly those entries' lines as the files write them.
//!
//! Only `IMAGES` counts: an edit elsewhere in the file, or an entry that merely moved,
//! is not a change. The diff is the file's own lines (quotes, comments, CRLF stripped
//! of `\r`), with each hunk's header giving real line numbers in each file.

use std::fmt::Write as _;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::reference::Reference;
use crate::vars::{ImageEntry, VarsFile};
use crate::versions::{Version, VersionError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Added,
    Removed,
    /// The tag changed (and maybe the digest with it).
    Retagged,
    /// Only the digest changed.
    Redigested,
    /// Something else changed: the image name, the registry, the form.
    Rewritten,
}

/// One entry that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryChange {
    pub entry: String,
    pub kind: ChangeKind,
    pub old: Option<Side>,
    pub new: Option<Side>,
}

/// An entry as one version has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Side {
    pub reference: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
    #[serde(skip)]
    pub line: usize,
}

impl Side {
    fn of(entry: &ImageEntry) -> Side {
        let parsed = Reference::parse(&entry.value).ok();
        Side {
            reference: entry.value.to_string(),
            tag: parsed.as_ref().and_then(|r| r.tag().map(str::to_string)),
            digest: parsed.as_ref().and_then(|r| r.digest().map(str::to_string)),
            line: entry.line,
        }
    }
}

/// The changed entries, in the new file's order, then removed ones in the old order.
pub fn changes(old: &VarsFile, new: &VarsFile) -> Vec<EntryChange> {
    let mut out = Vec::new();
    for entry in &new.images {
        let new_side = Side::of(entry);
        match old.image(&entry.name) {
            None => out.push(EntryChange {
                entry: entry.name.clone(),
                kind: ChangeKind::Added,
                old: None,
                new: Some(new_side),
            }),
            Some(before) if before.value != entry.value => {
                let old_side = Side::of(before);
                let same_name = Reference::parse(&before.value)
                    .ok()
                    .zip(Reference::parse(&entry.value).ok())
                    .is_some_and(|(a, b)| a.written_name() == b.written_name());
                let kind = if !same_name {
                    ChangeKind::Rewritten
                } else if old_side.tag != new_side.tag {
                    ChangeKind::Retagged
                } else if old_side.digest != new_side.digest {
                    ChangeKind::Redigested
                } else {
                    ChangeKind::Rewritten
                };
                out.push(EntryChange {
                    entry: entry.name.clone(),
                    kind,
                    old: Some(old_side),
                    new: Some(new_side),
                });
            }
            Some(_) => {}
        }
    }
    for entry in &old.images {
        if new.image(&entry.name).is_none() {
            out.push(EntryChange {
                entry: entry.name.clone(),
                kind: ChangeKind::Removed,
                old: Some(Side::of(entry)),
                new: None,
            });
        }
    }
    out
}

/// A unified diff of the changed entries' lines, `--- a/PATH` / `+++ b/PATH`; empty
/// when nothing changed.
pub fn unified(old: &VarsFile, new: &VarsFile, changes: &[EntryChange], path: &str) -> String {
    if changes.is_empty() {
        return String::new();
    }
    // Diff every IMAGES line of both files, so unchanged entries separate the changes,
    // then keep only the lines of changed entries: a moved entry is not shown.
    let lines = |vars: &VarsFile| -> Vec<(usize, String)> {
        let mut lines: Vec<(usize, String)> = vars
            .images
            .iter()
            .map(|e| (e.line, line_text(&vars.text, e.line)))
            .collect();
        lines.sort();
        lines
    };
    let (old_lines, new_lines) = (lines(old), lines(new));
    let changed_old: Vec<usize> = changes
        .iter()
        .filter_map(|c| c.old.as_ref().map(|s| s.line))
        .collect();
    let changed_new: Vec<usize> = changes
        .iter()
        .filter_map(|c| c.new.as_ref().map(|s| s.line))
        .collect();
    let old_texts: Vec<&str> = old_lines.iter().map(|(_, t)| t.as_str()).collect();
    let new_texts: Vec<&str> = new_lines.iter().map(|(_, t)| t.as_str()).collect();
    let diff = TextDiff::from_slices(&old_texts, &new_texts);

    // Each row also remembers the last old and new line passed before it: an empty side
    // of a hunk is named by the line it follows.
    let mut rows: Vec<Row<'_>> = Vec::new();
    let (mut old_anchor, mut new_anchor) = (old.images_line, new.images_line);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Delete => {
                let (line, text) =
                    &old_lines[change.old_index().expect("a deletion has an old index")];
                if changed_old.contains(line) {
                    rows.push((ChangeTag::Delete, *line, text, (old_anchor, new_anchor)));
                }
                old_anchor = *line;
            }
            ChangeTag::Insert => {
                let (line, text) =
                    &new_lines[change.new_index().expect("an insertion has a new index")];
                if changed_new.contains(line) {
                    rows.push((ChangeTag::Insert, *line, text, (old_anchor, new_anchor)));
                }
                new_anchor = *line;
            }
            ChangeTag::Equal => {
                old_anchor = old_lines[change.old_index().expect("old index")].0;
                new_anchor = new_lines[change.new_index().expect("new index")].0;
            }
        }
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut hunk: Vec<Row<'_>> = Vec::new();
    for row in rows {
        if !hunk.is_empty() && !continues(&hunk, &row) {
            write_hunk(&mut out, &hunk);
            hunk.clear();
        }
        hunk.push(row);
    }
    write_hunk(&mut out, &hunk);
    out
}

/// Whether `row` extends the hunk: deletions only before any insertion and on the next
/// old line, insertions on the next new line. Every hunk header then tells the truth.
/// A changed line: delete or insert, its file line, its text, and the (old, new) lines
/// it follows.
type Row<'a> = (ChangeTag, usize, &'a str, (usize, usize));

fn continues(hunk: &[Row<'_>], row: &Row<'_>) -> bool {
    let last_of = |tag| hunk.iter().rev().find(|r| r.0 == tag).map(|r| r.1);
    match row.0 {
        ChangeTag::Delete => {
            last_of(ChangeTag::Insert).is_none() && last_of(ChangeTag::Delete) == Some(row.1 - 1)
        }
        _ => last_of(ChangeTag::Insert).is_none_or(|line| line + 1 == row.1),
    }
}

fn write_hunk(out: &mut String, hunk: &[Row<'_>]) {
    let Some(first) = hunk.first() else {
        return;
    };
    let deleted: Vec<_> = hunk.iter().filter(|r| r.0 == ChangeTag::Delete).collect();
    let inserted: Vec<_> = hunk.iter().filter(|r| r.0 == ChangeTag::Insert).collect();
    let range = |rows: &[&Row<'_>], anchor: usize| match rows.first() {
        Some(row) => format!("{},{}", row.1, rows.len()),
        None => format!("{anchor},0"),
    };
    let (old_anchor, new_anchor) = first.3;
    let _ = writeln!(
        out,
        "@@ -{} +{} @@",
        range(&deleted, old_anchor),
        range(&inserted, new_anchor)
    );
    for row in deleted {
        let _ = writeln!(out, "-{}", row.2);
    }
    for row in inserted {
        let _ = writeln!(out, "+{}", row.2);
    }
}

fn line_text(text: &str, line: usize) -> String {
    let raw = text.split('\n').nth(line - 1).unwrap_or_default();
    raw.strip_suffix('\r').unwrap_or(raw).to_string()
}

/// Two versions and what changed in `IMAGES` between them.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub old: VarsFile,
    pub new: VarsFile,
    pub changes: Vec<EntryChange>,
}

impl Comparison {
    pub fn between(old: &Version, new: &Version) -> Result<Comparison, VersionError> {
        let old = crate::versions::load(old)?;
        let new = crate::versions::load(new)?;
        let changes = changes(&old, &new);
        Ok(Comparison { old, new, changes })
    }

    /// The unified diff, with `path` in the `---`/`+++` headers.
    pub fn unified(&self, path: &str) -> String {
        unified(&self.old, &self.new, &self.changes, path)
    }

    /// Entries that exist after the change (added or modified), by name.
    pub fn changed_entries(&self) -> Vec<String> {
        self.changes
            .iter()
            .filter(|c| c.new.is_some())
            .map(|c| c.entry.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn vars(text: &str) -> VarsFile {
        crate::vars::parse(Path::new("vars.yml"), text.as_bytes().to_vec())
            .vars
            .expect("valid vars")
    }

    fn head(images: &str) -> String {
        format!("OTHER: 1\nMP_APPROVED_REGISTRIES: [quay.io/cki]\nIMAGES:\n{images}")
    }

    fn diff(old: &str, new: &str) -> (Vec<(String, ChangeKind)>, String) {
        let (old, new) = (vars(old), vars(new));
        let changes = changes(&old, &new);
        let text = unified(&old, &new, &changes, "vars.yml");
        (
            changes.into_iter().map(|c| (c.entry, c.kind)).collect(),
            text,
        )
    }

    #[test]
    fn a_retag_is_one_hunk_with_real_line_numbers() {
        let old = head(&format!(
            "  a: quay.io/cki/x:1@{A}\n  g: quay.io/cki/mirror/grafana/grafana:11.2.0@{A}\n"
        ));
        let new = head(&format!(
            "  a: quay.io/cki/x:1@{A}\n  g: quay.io/cki/mirror/grafana/grafana:11.3.0@{B}\n"
        ));
        let (changes, text) = diff(&old, &new);
        assert_eq!(changes, [("g".to_string(), ChangeKind::Retagged)]);
        assert_eq!(
            text,
            format!(
                "--- a/vars.yml\n+++ b/vars.yml\n@@ -5,1 +5,1 @@\n-  g: quay.io/cki/mirror/grafana/grafana:11.2.0@{A}\n+  g: quay.io/cki/mirror/grafana/grafana:11.3.0@{B}\n"
            )
        );
    }

    #[test]
    fn added_removed_and_redigested_entries() {
        let old = head(&format!(
            "  a: quay.io/cki/x:1@{A}\n  b: quay.io/cki/y:1@{A}\n"
        ));
        let new = head(&format!(
            "  a: quay.io/cki/x:1@{B}\n  c: quay.io/cki/z:1@{A}\n"
        ));
        let (changes, text) = diff(&old, &new);
        assert_eq!(
            changes,
            [
                ("a".to_string(), ChangeKind::Redigested),
                ("c".to_string(), ChangeKind::Added),
                ("b".to_string(), ChangeKind::Removed)
            ]
        );
        assert_eq!(
            text,
            format!(
                "--- a/vars.yml\n+++ b/vars.yml\n@@ -4,2 +4,2 @@\n-  a: quay.io/cki/x:1@{A}\n-  b: quay.io/cki/y:1@{A}\n+  a: quay.io/cki/x:1@{B}\n+  c: quay.io/cki/z:1@{A}\n"
            )
        );
    }

    #[test]
    fn an_insert_only_hunk_names_the_old_line_it_follows() {
        let old = head(&format!(
            "  a: quay.io/cki/x:1@{A}\n  b: quay.io/cki/y:1@{A}\n"
        ));
        let new = head(&format!(
            "  a: quay.io/cki/x:1@{A}\n  ab: quay.io/cki/z:1@{A}\n  b: quay.io/cki/y:1@{A}\n"
        ));
        let (changes, text) = diff(&old, &new);
        assert_eq!(changes, [("ab".to_string(), ChangeKind::Added)]);
        assert_eq!(
            text,
            format!(
                "--- a/vars.yml\n+++ b/vars.yml\n@@ -4,0 +5,1 @@\n+  ab: quay.io/cki/z:1@{A}\n"
            )
        );
    }

    #[test]
    fn reordering_and_edits_outside_images_are_not_changes() {
        let old = head(&format!(
            "  a: quay.io/cki/x:1@{A}\n  b: quay.io/cki/y:1@{A}\n"
        ));
        let new = format!(
            "OTHER: 2\nMP_APPROVED_REGISTRIES: [quay.io/cki, quay.io]\nIMAGES:\n  b: quay.io/cki/y:1@{A}\n  a: quay.io/cki/x:1@{A}\n"
        );
        let (changes, text) = diff(&old, &new);
        assert!(changes.is_empty());
        assert_eq!(text, "");
    }

    #[test]
    fn crlf_and_quoted_lines_are_shown_as_written_without_carriage_returns() {
        let old = head(&format!("  a: \"quay.io/cki/x:1@{A}\" # pinned\n")).replace('\n', "\r\n");
        let new = head(&format!("  a: \"quay.io/cki/x:2@{B}\" # pinned\n")).replace('\n', "\r\n");
        let (changes, text) = diff(&old, &new);
        assert_eq!(changes, [("a".to_string(), ChangeKind::Retagged)]);
        assert!(
            text.contains(&format!("+  a: \"quay.io/cki/x:2@{B}\" # pinned\n")),
            "{text}"
        );
        assert!(!text.contains('\r'));
    }

    #[test]
    fn moving_to_the_mirror_is_a_rewrite() {
        let old = head(&format!("  g: docker.io/grafana/grafana:11.2.0@{A}\n"));
        let new = head(&format!(
            "  g: quay.io/cki/mirror/grafana/grafana:11.2.0@{A}\n"
        ));
        assert_eq!(
            diff(&old, &new).0,
            [("g".to_string(), ChangeKind::Rewritten)]
        );
    }
}
