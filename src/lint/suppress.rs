//! `# img-mirror: ignore IM106` at the end of a vars.yml line silences those findings on
//! that line alone (codes or rule names, comma-separated). An ignore that silences
//! nothing is reported itself (IM111), as ruff reports an unused noqa: a suppression
//! outliving its reason would hide the next real finding.

use std::path::Path;

use crate::diag::Diagnostic;

use super::find_code;
use super::rules::unused_suppression;

/// What every suppression comment holds.
pub(crate) const MARKER: &str = "img-mirror:";

/// One `ignore` comment: its line and what it names, each with the column it starts at.
struct Suppression {
    line: usize,
    names: Vec<(String, usize)>,
}

/// The `# img-mirror: ignore ...` comments of `text`.
fn suppressions(text: &str) -> Vec<Suppression> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            // The line may hold other comments first (`# renovate: ...`).
            let after_marker = line
                .match_indices('#')
                .find_map(|(hash, _)| line[hash + 1..].trim_start().strip_prefix(MARKER))?;
            let list = after_marker.trim_start().strip_prefix("ignore")?;
            if !list.starts_with(char::is_whitespace) {
                return None;
            }
            let list_start = line.len() - list.len();
            let mut names = Vec::new();
            let mut offset = list_start;
            for part in list.split(',') {
                let name = part.trim();
                if !name.is_empty() {
                    let column = offset + (part.len() - part.trim_start().len());
                    names.push((name.to_string(), line[..column].chars().count() + 1));
                }
                offset += part.len() + 1;
            }
            Some(Suppression {
                line: index + 1,
                names,
            })
        })
        .collect()
}

/// Drops the findings on `path` that a comment on their line ignores, and adds an
/// IM111 for every ignore that silenced nothing or names no rule.
pub fn apply(diagnostics: &mut Vec<Diagnostic>, path: &Path, text: &str) {
    for suppression in suppressions(text) {
        let mut used = vec![false; suppression.names.len()];
        diagnostics.retain(|d| {
            if d.path != path || d.line != Some(suppression.line) {
                return true;
            }
            let silenced = suppression.names.iter().position(|(name, _)| {
                d.code.code.eq_ignore_ascii_case(name) || d.code.name == name
            });
            match silenced {
                Some(index) => {
                    used[index] = true;
                    false
                }
                None => true,
            }
        });
        for ((name, column), used) in suppression.names.iter().zip(used) {
            if used {
                continue;
            }
            let message = match find_code(name) {
                None => format!("`ignore {name}` names no img-mirror rule"),
                Some(code) => format!(
                    "`ignore {name}` silences nothing: {} ({}) is not reported on this line",
                    code.code, code.name
                ),
            };
            diagnostics.push(unused_suppression::diagnostic(
                path,
                suppression.line,
                *column,
                name,
                message,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_name_codes_or_rules_comma_separated() {
        let text = "IMAGES:\n  a: x:1 # img-mirror: ignore IM106, unapproved-registry\n  b: y # other\n  c: z # img-mirror: ignoreIM101\n";
        let found = suppressions(text);
        assert_eq!(found.len(), 1, "`ignore` must be followed by a space");
        assert_eq!(found[0].line, 2);
        let names: Vec<&str> = found[0].names.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["IM106", "unapproved-registry"]);
        assert_eq!(found[0].names[0].1, 31);
    }
}
